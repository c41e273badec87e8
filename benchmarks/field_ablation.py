"""Where the field simulator's coverage went in v0.4: the model against variants, on tuning seeds.

Each variant fits ``field_ledger(60, random_seed=s)`` for s = 1..10 (tuning seeds: this chooses
nothing that is then reported) with 4 chains x 1,000 draws and scores the truth
(:func:`remitest.checks.score_truth`): ``current`` is the model as configured; ``old_steps`` the
same with 0.3's share steps (``host_step_sd`` 0.2, x5 into 2020, x3 for the other events). For
0.3.0 itself, run this file with that version of remitest importable as ``v030``.

Run: python benchmarks/field_ablation.py current|old_steps|v030
"""

from __future__ import annotations

import sys

import pandas as pd

import remitest as rt
from remitest.checks.truth import score_truth, truth_summary
from remitest.simulate.field import field_ledger


def variant_config(config: rt.ModelConfig, variant: str) -> rt.ModelConfig:
    if variant != "old_steps":
        return config
    events = [dict(name=e.name, year=e.year, step_scale=3.0 if e.hosts else e.step_scale,
                   hosts=list(e.hosts), host_step_scale=5.0 if e.year == 2020 else None)
              for e in config.events]
    return config.replace(priors={"host_step_sd": 0.2}, events=events)


def main(variant: str, seeds=range(1, 11)) -> pd.DataFrame:
    rows, rec = [], rt.Reconciler()
    for seed in seeds:
        sim = field_ledger(60, random_seed=seed)
        fitted = rec.fit(sim.ledger, variant_config(sim.config, variant), random_seed=seed,
                         draws=1000, progressbar=False)
        rows.append(score_truth(fitted, sim).table.assign(ledger=seed))
        print(variant, seed, fitted.diagnostics.passed, file=sys.stderr, flush=True)
    summary = truth_summary(pd.concat(rows), ("series",))
    print(variant)
    print(summary[["series", "n", "cover_50", "cover_90", "is_ratio"]].to_string(index=False))
    return summary


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "current")
