"""Cross-validated coverage on simulated ledgers, gate-clean and by subgroup, on reporting seeds.

For each reporting seed (1000, 1001, ...; tuning seeds are 1-999, see docs/checks.md), draws a
ledger from ``--simulator`` (``synthetic``: :func:`remitest.synthetic_ledger`; ``field``:
:func:`remitest.field_ledger`, written from how the field publishes), runs
``cross_validate(by="estimator")`` (a fold whose fit fails the diagnostics gate is retried once with
twice the tuning and draws), and pools the left-out claims of the folds that passed the gate into
one coverage table per quantity and one by subgroup (quantity, measure, kind, estimator type,
distance from the pin year); bands bootstrap (ledger, estimator) pairs. Claims of failed folds are
dropped from the committed per-claim table and counted in the report.

Run: python benchmarks/cv_synthetic.py [--simulator field] [--ledgers 20] [--claims 60]
       [--draws 1000] [--out FILE]
It writes the pooled tables (markdown) and the per-claim table (CSV) beside ``--out`` (default
``benchmarks/results/cv_<simulator>.md``). CI runs a small smoke version
(``tests/test_cross_validation.py``).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
from _seeds import (
    FIRST_REPORTING_SEED,
    add_seed_arguments,
    check_seeds,
    is_tuning,
    options_text,
    priors_of,
    result_suffix,
    seeds_text,
)

import remitest as rt
from remitest._io import atomic_write, write_text  # the package's atomic writer
from remitest.checks.cross_validation import coverage_table, subgroup_table, with_subgroups
from remitest.diagnostics import DiagnosticsWarning

SIMULATORS = {"synthetic": rt.synthetic_ledger, "field": rt.field_ledger}


def study(n_ledgers: int, n_claims: int, draws: int, *, first_seed: int = FIRST_REPORTING_SEED,
          simulator: str = "synthetic", priors: dict | None = None) -> pd.DataFrame:
    """Every left-out claim of every ledger, with its ledger's seed (column ``ledger``) and the
    subgroup columns; ``diagnostics_passed`` says whether its fold's fit passed the gate."""
    tables = []
    for seed in range(first_seed, first_seed + n_ledgers):
        sim = SIMULATORS[simulator](n_claims, random_seed=seed)
        config = sim.config.replace(priors=priors) if priors else sim.config
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DiagnosticsWarning)
            result = rt.checks.cross_validate(sim.ledger, by="estimator", config=config,
                                              random_seed=seed, draws=draws, tune=draws,
                                              progress=False)
        table = with_subgroups(result.table, sim.ledger).assign(ledger=seed)
        print(f"ledger {seed}: {len(table)} claims, {result.n_folds} folds, "
              f"{len(result.failed_folds)} failed the gate after a retry, "
              f"{time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def _per_ledger(table: pd.DataFrame) -> pd.DataFrame:
    """Estimators told apart per ledger, folds that failed the gate left out."""
    passing = table[table["diagnostics_passed"]]
    return passing.assign(estimator=passing["ledger"].astype(str) + ": " + passing["estimator"])


def pooled_coverage(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage per quantity over all ledgers' gate-passing folds."""
    return coverage_table(_per_ledger(table), random_seed=0)


def pooled_subgroups(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage by subgroup over all ledgers' gate-passing folds."""
    return subgroup_table(_per_ledger(table), random_seed=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulator", choices=list(SIMULATORS), default="synthetic")
    parser.add_argument("--ledgers", type=int, default=20)
    parser.add_argument("--claims", type=int, default=60)
    parser.add_argument("--draws", type=int, default=1000)
    add_seed_arguments(parser)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    check_seeds(parser, args)
    start = time.perf_counter()
    table = study(args.ledgers, args.claims, args.draws, priors=priors_of(args),
                  simulator=args.simulator, first_seed=args.first_seed)
    out = Path(args.out or f"benchmarks/results/cv_{args.simulator}{result_suffix(args)}.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    passing = table[table["diagnostics_passed"]]
    # a tuning run's table compressed: the repository stays small (test_project_files)
    gzip = {"method": "gzip", "mtime": 0} if is_tuning(args) else None
    atomic_write(out.with_suffix(".claims.csv.gz" if gzip else ".claims.csv"),
                 lambda tmp: passing.to_csv(tmp, index=False, float_format="%.6g",
                                            compression=gzip))
    failed = table[~table["diagnostics_passed"]]
    text = (
        f"# Cross-validated coverage on {args.ledgers} {args.simulator} ledgers "
        f"of {args.claims} claims\n\n"
        f"remitest {rt.__version__}; {seeds_text(args)}; leave one estimator out; 4 chains "
        f"x {args.draws} draws ({args.draws} tuning) per fold, a fold that fails the gate "
        f"retried once with twice both; {len(passing)} left-out claims from gate-passing folds; "
        f"{failed[['ledger', 'fold']].drop_duplicates().shape[0]} folds "
        f"({len(failed)} claims) failed the gate after the retry and are not counted; "
        f"{time.perf_counter() - start:.0f} s.\n"
        f"Command: `python benchmarks/cv_synthetic.py --simulator {args.simulator} "
        f"--ledgers {args.ledgers} --claims {args.claims} --draws {args.draws}"
        f"{options_text(args)}"
        f"{f' --first-seed {args.first_seed}' if is_tuning(args) else ''}`\n\n"
        "## By quantity\n\n"
        + pooled_coverage(table).to_markdown(index=False, floatfmt=".2f") + "\n\n"
        "## By subgroup (band for groups of 30 claims or more)\n\n"
        + pooled_subgroups(table).to_markdown(index=False, floatfmt=".2f") + "\n"
    )
    write_text(text, out)
    print(text)


if __name__ == "__main__":
    main()
