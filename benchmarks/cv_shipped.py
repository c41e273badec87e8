"""Cross-validated coverage of the seed ledger: leave out each estimator, predict its claims.

Runs ``remitest.checks.cross_validate(rt.load_ledger("seeds"), by=...)`` with the default sampler
sizes (4 chains x 1000 draws, 1000 tuning) and prints the coverage table, then every predicted
claim. The numbers in ``docs/checks.md`` ("Baseline coverage") come from this script.

Run: python benchmarks/cv_shipped.py [--by estimator|claim|published] [--seed S] [--workers N]
"""

from __future__ import annotations

import argparse
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

import remitest as rt
from remitest.diagnostics import DiagnosticsWarning


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--by", default="estimator", choices=("estimator", "claim", "published"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    ledger = rt.load_ledger("seeds")
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


if __name__ == "__main__":
    main()
