"""Cross-validated coverage on realistic simulated ledgers: the yardstick of the model.

For each seed, draws ``remitest.synthetic_ledger(n_claims, random_seed=seed)`` (a generating
process that is not the model's own: heavy-tailed biases, gross earnings and permit counts, a host
whose count collapses; see ``remitest/synthetic.py``), runs ``cross_validate(by="estimator")`` and
pools the left-out claims of every ledger into one coverage table (per quantity; band from a
bootstrap over (ledger, estimator) pairs). The committed study is 20 ledgers of 60 claims; CI runs
a two-ledger smoke version (``tests/test_cross_validation.py``).

Run: python benchmarks/cv_synthetic.py [--ledgers 20] [--claims 60] [--draws 500] [--out FILE]
It writes the pooled table and the per-claim table (CSV) beside ``--out`` (default
``benchmarks/results/cv_synthetic.md``) and prints the coverage table.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

import remitest as rt
from remitest.checks.cross_validation import coverage_table
from remitest.diagnostics import DiagnosticsWarning


def study(n_ledgers: int, n_claims: int, draws: int, *, first_seed: int = 1,
          priors: dict | None = None) -> pd.DataFrame:
    """Every left-out claim of every ledger, with its ledger's seed (column ``ledger``)."""
    tables = []
    for seed in range(first_seed, first_seed + n_ledgers):
        sim = rt.synthetic_ledger(n_claims, random_seed=seed)
        config = sim.config.replace(priors=priors) if priors else sim.config
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DiagnosticsWarning)
            result = rt.checks.cross_validate(sim.ledger, by="estimator", config=config,
                                              random_seed=seed, draws=draws, tune=draws,
                                              progress=False)
        table = result.table.assign(ledger=seed)
        print(f"ledger {seed}: {len(table)} claims, {table['fold'].nunique()} folds, "
              f"90% coverage {table['in_90'].mean():.2f}, "
              f"{(~table['diagnostics_passed']).sum()} claims from folds that failed the gate, "
              f"{time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def pooled_coverage(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage per quantity over all ledgers; estimators are told apart per ledger."""
    table = table.assign(estimator=table["ledger"].astype(str) + ": " + table["estimator"])
    return coverage_table(table, random_seed=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledgers", type=int, default=20)
    parser.add_argument("--claims", type=int, default=60)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--bias-tail-nu", type=float, default=None,
                        help="Student-t biases with this many degrees of freedom (the option)")
    parser.add_argument("--out", default="benchmarks/results/cv_synthetic.md")
    args = parser.parse_args()
    start = time.perf_counter()
    priors = {"bias_tail_nu": args.bias_tail_nu} if args.bias_tail_nu else None
    table = study(args.ledgers, args.claims, args.draws, priors=priors)
    coverage = pooled_coverage(table)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out.with_suffix(".claims.csv"), index=False)
    text = (
        f"# Cross-validated coverage on {args.ledgers} synthetic ledgers "
        f"of {args.claims} claims\n\n"
        f"remitest {rt.__version__}; leave one estimator out; 4 chains x {args.draws} draws "
        f"({args.draws} tuning) per fold; {len(table)} left-out claims; "
        f"{time.perf_counter() - start:.0f} s.\n"
        f"Command: `python benchmarks/cv_synthetic.py --ledgers {args.ledgers} "
        f"--claims {args.claims} --draws {args.draws}"
        f"{f' --bias-tail-nu {args.bias_tail_nu:g}' if args.bias_tail_nu else ''} "
        f"--out {args.out}`\n\n"
        + coverage.to_markdown(index=False, floatfmt=".2f") + "\n"
    )
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
