"""How wide the field's shared shift should be: ``priors.field_shift_log_sd``, on tuning seeds.

Each candidate value fits ``rt.synthetic_ledger(60, random_seed=s)`` and ``rt.field_ledger(60,
random_seed=s)`` for the tuning seeds s = 1..20 (the truth study reports on 1000 on; nothing
here is reported as a result of the model), 4 chains x 1,000 draws, and scores the truth
(:func:`remitest.checks.score_truth`). A fit that fails the gate is retried once, then left out.
0 is the model of 0.5 (no shift); the default was chosen as the smallest value whose 90%
coverage of world and host workers and remittances lies in 0.85-0.95 on both simulators.

Run: python benchmarks/field_shift_tuning.py [--values 0 0.1 0.15 0.2] [--ledgers 20]
     (writes benchmarks/results/field_shift_tuning.md and .csv)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
from truth_study import SIMULATORS, one_ledger  # the truth study's own fit-and-score

import remitest as rt
from remitest._io import atomic_write, write_text
from remitest.checks.truth import truth_summary


def one_fit(simulator: str, seed: int, value: float, draws: int) -> pd.DataFrame | None:
    """Truth scores of one ledger fitted with ``field_shift_log_sd = value``; None if failed."""
    table, gate = one_ledger(simulator, seed, draws=draws, tune=1000,
                             priors={"field_shift_log_sd": value})
    if not gate["passed"]:
        print(f"  {simulator} {seed} at {value}: FAILED the gate", file=sys.stderr)
        return None
    return table.assign(field_shift_log_sd=value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=float, nargs="+", default=[0.0, 0.1, 0.15, 0.2])
    parser.add_argument("--ledgers", type=int, default=20)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--out", default="benchmarks/results/field_shift_tuning.md")
    args = parser.parse_args()
    start, tables = time.perf_counter(), []
    for value in args.values:
        for simulator in SIMULATORS:
            for seed in range(1, args.ledgers + 1):
                table = one_fit(simulator, seed, value, args.draws)
                if table is not None:
                    tables.append(table)
            print(f"{value} {simulator}: {time.perf_counter() - start:.0f} s", file=sys.stderr,
                  flush=True)
    table = pd.concat(tables, ignore_index=True)
    key = ("field_shift_log_sd", "simulator")
    by_series = truth_summary(table, (*key, "series"))
    wide = by_series.pivot_table(index=["simulator", "series"], columns="field_shift_log_sd",
                                 values="cover_90").reset_index()
    wide.columns = [c if isinstance(c, str) else f"cover_90 at {c:g}" for c in wide.columns]
    fits = table.groupby(list(key))["ledger"].nunique().rename("fits").reset_index()
    text = "\n".join([
        "# The field's shared shift: tuning `priors.field_shift_log_sd`", "",
        f"remitest {rt.__version__}; tuning seeds 1-{args.ledgers} per simulator (60 claims), "
        f"4 chains x {args.draws} draws per fit; {time.perf_counter() - start:.0f} s.",
        f"Command: `python benchmarks/field_shift_tuning.py --values "
        f"{' '.join(f'{v:g}' for v in args.values)} --ledgers {args.ledgers}`", "",
        "## 90% coverage of the truth, by series", "",
        wide.to_markdown(index=False, floatfmt=".2f"), "",
        "## Overall", "",
        truth_summary(table, key).to_markdown(index=False, floatfmt=".2f"), "",
        "## Fits that passed the gate", "", fits.to_markdown(index=False), "",
        "## By series", "", by_series.to_markdown(index=False, floatfmt=".2f"), "",
    ])  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(text, out)
    atomic_write(out.with_suffix(".csv"),
                 lambda tmp: by_series.to_csv(tmp, index=False, float_format="%.4f"))
    print(text)


if __name__ == "__main__":
    main()
