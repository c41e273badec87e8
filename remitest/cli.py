"""Command line: ``remitest ledger``, ``remitest fit`` and ``remitest check``.

``ledger`` validates and prints a ledger; ``fit`` fits it and writes a run folder; ``check`` runs
every statistical check into one folder with a ``report.md``.

Exit status: 0 success; 1 the run folder could not be written; 2 a bad ledger, configuration or
option; 3 a strict fit that failed its diagnostics gate; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from remitest.ledger_cli import ledger_command

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Executor

    import pandas as pd

    from remitest.config import ModelConfig

SAMPLER_CHOICES = ("auto", "nutpie", "pymc", "numpyro")
_SUMMARY_YEARS = 8  # at most this many years in the printed summary
_SCHEDULER_TIMEOUT_S = 30  # how long --scheduler waits to connect


def main(argv: Sequence[str] | None = None) -> int:
    """Run the remitest command line and return its exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "ledger":
        return ledger_command(args.path, args.hosts, args.plot)
    if args.command == "check":
        try:
            return check_command(args)
        except KeyboardInterrupt:
            print("remitest check: interrupted", file=sys.stderr)
            return 130
    try:
        return fit_command(args)
    except KeyboardInterrupt:
        print("remitest fit: interrupted", file=sys.stderr)
        return 130


def _add_inputs(parser: argparse.ArgumentParser, *, out_help: str) -> None:
    """The options every fitting command shares: the ledger, its hosts, the config, the folder."""
    parser.add_argument("--ledger", metavar="PATH",
                        help="claims CSV (default: the shipped ledger)")
    parser.add_argument("--host", action="append", dest="hosts", metavar="H",
                        help="an extra host scope the ledger may use (repeatable)")
    parser.add_argument("--config", metavar="JSON_OR_PATH",
                        help="configuration overrides: a JSON object, or a path to a JSON file")
    parser.add_argument("--out", required=True, metavar="DIR", help=out_help)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="remitest")
    commands = parser.add_subparsers(dest="command", required=True)
    ledger = commands.add_parser("ledger", help="validate a claims ledger and print its claims")
    ledger.add_argument("path", nargs="?", help="claims CSV (default: the shipped ledger)")
    ledger.add_argument("--host", action="append", dest="hosts", help="an extra host scope")
    ledger.add_argument("--plot", metavar="FILE",
                        help="also draw the ledger at a glance into FILE (.png, .svg or .pdf)")

    fit = commands.add_parser(
        "fit", help="fit a ledger and write a run folder (CSVs, datapackage.json, figures)",
        description="Fit the reconciliation model to a claims ledger, print its diagnostics and "
                    "a short summary, and write the run folder.",
    )
    _add_inputs(fit, out_help="run folder to write")
    fit.add_argument("--draws", type=_positive_int, default=2000, metavar="N",
                     help="posterior draws per chain (default 2000)")
    fit.add_argument("--tune", type=_non_negative_int, default=1000, metavar="N",
                     help="tuning steps per chain (default 1000)")
    fit.add_argument("--chains", type=_positive_int, default=4, metavar="N",
                     help="chains (default 4)")
    fit.add_argument("--seed", type=_non_negative_int, default=None, metavar="S",
                     help="random seed (default: drawn, recorded and printed)")
    fit.add_argument("--sampler", choices=SAMPLER_CHOICES, default="auto",
                     help="sampler (default auto: the fastest available)")
    fit.add_argument("--strict", action="store_true",
                     help="exit with status 3 when the fit fails its diagnostics gate")
    fit.add_argument("--no-figures", dest="figures", action="store_false",
                     help="write the CSVs and metadata only")

    check = commands.add_parser(
        "check", help="run every statistical check and write tables, figures and report.md",
        description="Run the checks (PIT, PSIS-LOO, held-out claims, influence, sensitivity, "
                    "simulation-based calibration) and write their tables (CSV), figures (PNG) "
                    "and a report.md into one folder.",
    )
    _add_inputs(check, out_help="folder to write")
    check.add_argument("--seed", type=_non_negative_int, default=0, metavar="S",
                       help="random seed of every fit and simulation (default 0)")
    check.add_argument("--quick", action="store_true",
                       help="fewer draws in the main fit and 30 instead of 100 SBC simulations")
    fan_out = check.add_mutually_exclusive_group()
    fan_out.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                         help="fit the sweeps in N local processes (default 1: in this process)")
    fan_out.add_argument("--scheduler", metavar="ADDRESS",
                         help="send the sweeps to a running dask.distributed scheduler, e.g. "
                              "tcp://10.0.0.5:8786 (needs pip install 'remitest[dask]')")
    return parser


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def fit_command(args: argparse.Namespace) -> int:
    """``remitest fit``: load, fit, print diagnostics and a summary, write the run folder."""
    from remitest.config import ConfigError
    from remitest.diagnostics import DiagnosticsError, DiagnosticsWarning
    from remitest.ledger import LedgerError, load_ledger

    try:
        ledger = load_ledger(args.ledger, hosts=args.hosts)
    except (LedgerError, OSError, ValueError) as error:
        return _fail(error, 2)
    try:
        config = read_config(args.config)
    except ConfigError as error:
        return _fail(error, 2)
    print(f"fitting {len(ledger)} claims (ledger sha256 {ledger.sha256[:12]}), "
          f"{args.chains} chains x {args.draws} draws, sampler {args.sampler}", flush=True)
    from remitest import fitting

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DiagnosticsWarning)
        try:
            fit = fitting.fit(ledger, config, draws=args.draws, tune=args.tune,
                              chains=args.chains, random_seed=args.seed, sampler=args.sampler,
                              strict=args.strict, progressbar=True)
        except DiagnosticsError as error:
            return _fail(error, 3)
        except (ConfigError, ImportError, ValueError) as error:
            return _fail(error, 2)
    for warning in caught:  # other warnings are shown as Python shows them
        if not issubclass(warning.category, DiagnosticsWarning):
            warnings.showwarning(warning.message, warning.category, warning.filename,
                                 warning.lineno)
    seed_note = "" if args.seed is not None else " (drawn; pass --seed to repeat this run)"
    print(f"\nrandom seed {fit.random_seed}{seed_note}")
    print(str(fit.diagnostics))
    print("\n" + format_summary(fit.summary()))
    try:
        from remitest.export import write_run

        if args.figures:
            print("\nwriting the run folder and its figures", flush=True)
        folder = write_run(fit, Path(args.out), figures=args.figures,
                           progress=lambda line: print(f"  {line}", flush=True))
    except OSError as error:
        return _fail(f"cannot write the run folder {args.out!r}: {error}", 1)
    print(f"\nrun {fit.run_id} written to {folder}")
    if not fit.diagnostics.passed:
        print("warning: the fit failed its diagnostics gate (see above); its results may not "
              "be trustworthy", file=sys.stderr)
    return 0


def _fail(error: object, status: int, command: str = "fit") -> int:
    print(f"remitest {command}: {error}", file=sys.stderr)
    return status


def check_command(args: argparse.Namespace) -> int:
    """``remitest check``: load, then run every check into ``--out`` with progress per check."""
    from remitest.config import ConfigError
    from remitest.diagnostics import DiagnosticsWarning
    from remitest.ledger import LedgerError, load_ledger

    try:
        ledger = load_ledger(args.ledger, hosts=args.hosts)
        config = read_config(args.config)
        from remitest.design import model_structure

        model_structure(ledger, config)  # scopes and years: fail here, not in a sweep
    except (LedgerError, ConfigError, OSError, ValueError) as error:
        return _fail(error, 2, "check")
    from remitest.checks import run_all

    try:
        executor, where, close = _sweep_executor(args)
    except (ImportError, OSError) as error:
        return _fail(error, 2, "check")
    print(f"checking {len(ledger)} claims (ledger sha256 {ledger.sha256[:12]}), seed "
          f"{args.seed}{', quick' if args.quick else ''}, {where}", flush=True)
    try:
        with warnings.catch_warnings():
            # Fits that fail the gate are listed in report.md and in the progress lines.
            warnings.simplefilter("ignore", DiagnosticsWarning)
            folder = run_all(ledger, out_dir=Path(args.out), config=config, executor=executor,
                             random_seed=args.seed, quick=args.quick,
                             progress=lambda line: print(f"  {line}", flush=True))
    except OSError as error:
        return _fail(f"cannot write the checks folder {args.out!r}: {error}", 1, "check")
    except (ConfigError, ValueError) as error:
        return _fail(error, 2, "check")
    finally:
        close()
    print(f"\nchecks written to {folder} (see {folder / 'report.md'})")
    return 0


def _sweep_executor(args: argparse.Namespace) -> tuple[Executor | None, str, Callable[[], None]]:
    """The executor of ``remitest check``'s sweeps, a phrase saying where they run, and a closer.

    ``--scheduler``: a dask ``Client``'s executor (each fit one task; ``pure=False``, since a
    sweep never submits the same fit twice). ``--workers N`` (N > 1): a local process pool.
    Otherwise None: the sweeps fit in this process.

    Raises
    ------
    ImportError
        ``--scheduler`` without dask.distributed installed.
    OSError
        The scheduler cannot be reached (``TimeoutError`` included).
    """
    if args.scheduler is not None:
        try:
            from dask.distributed import Client
        except ImportError:
            raise ImportError(
                f"--scheduler {args.scheduler}: dask.distributed is not installed; install "
                "it with pip install 'remitest[dask]', or use --workers N for local processes"
            ) from None
        try:
            client = Client(args.scheduler, timeout=_SCHEDULER_TIMEOUT_S)
        except (OSError, ValueError) as error:
            raise OSError(f"--scheduler {args.scheduler}: cannot reach the dask scheduler "
                          f"({error})") from None
        executor = client.get_executor(pure=False)
        n_workers = len(client.nthreads())

        def close() -> None:
            executor.shutdown()
            client.close()

        return executor, f"dask scheduler {args.scheduler} ({n_workers} workers)", close
    if args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(args.workers)
        return pool, f"{args.workers} worker processes", pool.shutdown
    return None, "in this process", lambda: None


def read_config(text: str | None) -> ModelConfig:
    """Read a configuration from a JSON object's text or a JSON file's path (None: the defaults).

    Raises
    ------
    remitest.config.ConfigError
        For a missing file, invalid JSON, or an invalid configuration.
    """
    from remitest.config import ConfigError, ModelConfig

    if text is None:
        return ModelConfig()
    if text.lstrip().startswith("{"):
        return ModelConfig.from_json(text)
    path = Path(text)
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"--config {text!r} is neither a JSON object nor a readable JSON file: {error}"
        ) from None
    try:
        return ModelConfig.from_json(content)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


# -- the printed summary ----------------------------------------------------------------------
_LABELS = {"workers": "workers abroad", "remittances_usd": "remittances, US$/year",
           "per_worker_usd": "per worker, US$/year"}


def format_summary(summary: pd.DataFrame) -> str:
    """World series for a few years: median and 90% interval (5%-95%) in readable units."""
    world = summary[summary["scope"] == "world"]
    years = np.sort(world["year"].unique())
    if len(years) > _SUMMARY_YEARS:
        years = years[np.unique(np.linspace(0, len(years) - 1, _SUMMARY_YEARS).round().astype(int))]
    quantities = [q for q in _LABELS if q in set(world["quantity"])]
    header = ["year", *(_LABELS[q] for q in quantities)]
    rows = []
    for year in years:
        cells = [f"{int(year)}"]
        for quantity in quantities:
            row = world[(world["year"] == year) & (world["quantity"] == quantity)].iloc[0]
            cells.append(f"{_readable(row['median'])} ({_readable(row['q05'])}-"
                         f"{_readable(row['q95'])})")
        # n_claims counts each row's own quantity: a year no claim of any quantity covers
        in_year = world[world["year"] == year]
        extrapolated = "n_claims" in in_year and int(in_year["n_claims"].sum()) == 0
        rows.append(cells + (["no claims"] if extrapolated else [""]))
    widths = [max(len(r[i]) for r in [header + [""], *rows]) for i in range(len(header))]
    lines = ["World series: posterior median (90% interval)"]
    lines.append("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for cells in rows:
        lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=False))
                     + ("  " + cells[-1] if cells[-1] else ""))
    return "\n".join(lines)


def _readable(value: float) -> str:
    """120,000 -> '120k'; 480,000,000 -> '480M'; 1.2e9 -> '1.2bn'; 5,100 -> '5.1k'."""
    for scale, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


if __name__ == "__main__":
    raise SystemExit(main())
