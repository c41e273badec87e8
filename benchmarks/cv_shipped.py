"""Cross-validated coverage of a shipped ledger: leave out each estimator, predict its claims.

Runs ``remitest.checks.cross_validate(rt.load_ledger(LEDGER), by=...)`` with the default sampler
sizes (4 chains x 1000 draws, 1000 tuning; a fold that fails the gate is retried once) and prints
the coverage table, then every predicted claim; with ``--out``, writes the coverage, the coverage
by subgroup and the failed folds as markdown. ``--held-out YEAR`` instead fits the claims
published up to YEAR and predicts the later ones (``checks.held_out``). The numbers in
``docs/checks.md`` come from this script.

Run: python benchmarks/cv_shipped.py [--ledger record|seeds|PATH] [--by estimator|claim|published]
       [--held-out YEAR] [--seed S] [--workers N] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

import remitest as rt
from remitest._io import write_text  # the package's atomic writer
from remitest.diagnostics import DiagnosticsWarning


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--by", default="estimator", choices=("estimator", "claim", "published"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--ledger", default="record")
    parser.add_argument("--held-out", type=int, default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    ledger = rt.load_ledger(args.ledger)
    if args.held_out is not None:
        return held_out(ledger, args)
    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DiagnosticsWarning)
            result = rt.checks.cross_validate(ledger, by=args.by, executor=executor,
                                              random_seed=args.seed, progress=True)
    finally:
        if executor is not None:
            executor.shutdown()
    elapsed = time.perf_counter() - start
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        print(f"remitest {rt.__version__}: cross-validation by {args.by} of the shipped ledger "
              f"(sha256 {ledger.sha256[:12]}), seed {args.seed}, "
              f"{len(result.table)} claims predicted in {elapsed:.0f} s")
        for warning in caught:
            print(f"note: {warning.message}")
        print()
        columns = ["id", "fold", "pit", "in_50", "in_90", "log_score", "diagnostics_passed"]
        print(result.table[columns].to_string(index=False))
        print()
        print(result.coverage.to_string(index=False))
    if args.out:
        subgroups = result.subgroups(ledger)
        text = (f"# Cross-validation by {args.by} of the {args.ledger} ledger\n\n"
                f"remitest {rt.__version__}; ledger sha256 {ledger.sha256[:12]}; seed {args.seed}; "
                f"{result.n_folds} folds, {len(result.failed_folds)} failed the gate after a "
                f"retry{': ' + ', '.join(result.failed_folds) if result.failed_folds else ''}; "
                f"{int(result.table['diagnostics_passed'].sum())} claims predicted by "
                f"gate-passing folds; {elapsed:.0f} s.\n"
                f"Command: `python benchmarks/cv_shipped.py --ledger {args.ledger} --by {args.by} "
                f"--seed {args.seed} --out {args.out}`\n\n## By quantity\n\n"
                + result.coverage.to_markdown(index=False, floatfmt=".2f")
                + "\n\n## By subgroup\n\n" + subgroups.to_markdown(index=False, floatfmt=".2f")
                + "\n")
        write_text(text, Path(args.out))


def held_out(ledger: rt.Ledger, args: argparse.Namespace) -> None:
    """Fit the claims published up to ``args.held_out``; predict and score the later ones."""
    start = time.perf_counter()
    result = rt.checks.held_out(ledger, cutoff=args.held_out, random_seed=args.seed)
    table = result.table
    lines = [f"# Claims published after {args.held_out}, predicted from the earlier ones "
             f"({args.ledger} ledger)", "",
             f"remitest {rt.__version__}; ledger sha256 {ledger.sha256[:12]}; seed {args.seed}; "
             f"{time.perf_counter() - start:.0f} s.",
             f"Command: `python benchmarks/cv_shipped.py --ledger {args.ledger} --held-out "
             f"{args.held_out} --seed {args.seed} --out {args.out}`", "",
             "| quantity | claims | 50% | 90% | below / above the 90% |", "|---|---|---|---|---|"]
    for quantity, part in [*table.groupby("quantity"), ("all", table)]:
        pit = part["pit"].to_numpy(float)
        below, above = (pit < 0.05).sum(), (pit > 0.95).sum()
        lines.append(f"| {quantity} | {len(part)} | {part['in_50'].mean():.2f} "
                     f"| {part['in_90'].mean():.2f} | {below} / {above} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        write_text(text, Path(args.out))


if __name__ == "__main__":
    main()
