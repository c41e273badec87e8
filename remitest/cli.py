"""Command line for remitest (temporary: only the ``ledger`` subcommand, to be merged)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from remitest.ledger_cli import ledger_command


def main(argv: Sequence[str] | None = None) -> int:
    """Run the remitest command line and return its exit status."""
    parser = argparse.ArgumentParser(prog="remitest")
    commands = parser.add_subparsers(dest="command", required=True)
    ledger = commands.add_parser("ledger", help="validate a claims ledger and print its claims")
    ledger.add_argument("path", nargs="?", help="claims CSV (default: the shipped ledger)")
    ledger.add_argument("--host", action="append", dest="hosts", help="an extra host scope")
    args = parser.parse_args(argv)
    return ledger_command(args.path, args.hosts)


if __name__ == "__main__":
    raise SystemExit(main())
