"""The truth yardstick: score fits against the known truth of simulated ledgers, on reporting seeds.

For each simulator -- ``synthetic`` (:func:`remitest.synthetic_ledger`, close to the model's
assumptions) and ``field`` (:func:`remitest.field_ledger`, written from how the field publishes)
-- and each reporting seed ``s`` (1000, 1001, ...; tuning seeds are 1-999, see docs/checks.md),
this draws a ledger of ``--claims`` rows, fits it with the default sampler settings (seed ``s``;
a fit that fails the diagnostics gate is retried once with twice the tuning and draws, then
counted as failed and left out), and scores every series and year of the truth with
:func:`remitest.checks.score_truth`: 50% / 90% coverage, the 90% interval score and the CRPS on
the log scale, beside the naive reading of the claims.

Run: python benchmarks/truth_study.py --ledgers 120 [--claims 60] [--out PATH.md]
     python benchmarks/truth_study.py --ledgers 20 --ablate   (field: each departure off in turn)
CI runs a two-ledger smoke version (tests/test_truth_study.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

import pandas as pd
from _seeds import (
    FIRST_REPORTING_SEED,
    add_seed_arguments,
    check_seeds,
    options_text,
    priors_of,
    result_suffix,
    seeds_text,
)

import remitest as rt
from remitest._io import atomic_write, write_text  # the package's atomic writer
from remitest.checks._sweep import make_tasks, run_fit
from remitest.checks.truth import score_truth, truth_summary
from remitest.simulate.field import DEPARTURES, field_ledger

SIMULATORS = {
    "synthetic": lambda n, seed, departures: rt.synthetic_ledger(n, random_seed=seed),
    "field": lambda n, seed, departures: field_ledger(n, random_seed=seed, departures=departures),
}


def _score(fit, sim):
    return score_truth(fit, sim).table


def one_ledger(simulator: str, seed: int, *, n_claims: int = 60, draws: int = 2000,
               tune: int = 1000, departures=None, priors=None) -> tuple[pd.DataFrame, dict]:
    """Score one simulated ledger's fit against its truth; (table, gate record).

    ``priors``: overrides of the simulator's configuration (``ModelConfig.replace(priors=)``).
    """
    sim = SIMULATORS[simulator](n_claims, seed, departures)
    config = sim.config.replace(priors=priors) if priors else sim.config
    task = make_tasks([sim.ledger], config, structure_ledger=sim.ledger, seeds=[seed],
                      draws=draws, tune=tune)[0]
    table, gate = run_fit(task, partial(_score, sim=sim))
    record = {"simulator": simulator, "ledger": seed, "passed": gate["passed"],
              "retried": gate["retried"], "failures": ", ".join(gate["failures"])}
    return table.assign(simulator=simulator, ledger=seed), record


def study(simulators, n_ledgers: int, *, n_claims: int = 60, draws: int = 2000,
          departures=None, label: str = "", first_seed: int = FIRST_REPORTING_SEED,
          priors=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    tables, gates = [], []
    for simulator in simulators:
        for seed in range(first_seed, first_seed + n_ledgers):
            start = time.perf_counter()
            table, record = one_ledger(simulator, seed, n_claims=n_claims, draws=draws,
                                       departures=departures, priors=priors)
            gates.append({**record, "variant": label})
            if record["passed"]:
                tables.append(table.assign(variant=label))
            print(f"{label or simulator} ledger {seed}: {time.perf_counter() - start:.1f} s, "
                  f"gate {'passed' if record['passed'] else 'FAILED'}"
                  f"{' (retried)' if record['retried'] else ''}", file=sys.stderr, flush=True)
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(), pd.DataFrame(gates)


def _md(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, floatfmt=".2f")


def report(table: pd.DataFrame, gates: pd.DataFrame, *, by_variant: bool = False) -> str:
    """The study's tables as markdown."""
    key = ("variant",) if by_variant else ("simulator",)
    gate = gates.groupby(list(key)).agg(fits=("passed", "size"),
                                        failed=("passed", lambda p: int((~p).sum())),
                                        retried=("retried", "sum")).reset_index()
    parts = ["## Gate", "", _md(gate), "",
             "## By series", "", _md(truth_summary(table, (*key, "series"))), "",
             "## By series and year band", "",
             _md(truth_summary(table, (*key, "series", "band"))), "",
             "## Overall", "", _md(truth_summary(table, key)), ""]  # fmt: skip
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledgers", type=int, default=120)
    parser.add_argument("--claims", type=int, default=60)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--simulators", nargs="+", default=list(SIMULATORS),
                        choices=list(SIMULATORS))
    parser.add_argument("--ablate", action="store_true",
                        help="field simulator only: all departures, then each one switched off")
    add_seed_arguments(parser)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    check_seeds(parser, args)
    priors, suffix = priors_of(args), result_suffix(args)
    out = Path(args.out or (f"benchmarks/results/truth_ablation{suffix}.md" if args.ablate
                            else f"benchmarks/results/truth_study{suffix}.md"))
    start = time.perf_counter()
    if args.ablate:
        variants = [("all departures", None)] + [
            (f"without {d}", [x for x in DEPARTURES if x != d]) for d in DEPARTURES
        ] + [("no departure", [])]
        results = [study(["field"], args.ledgers, n_claims=args.claims, draws=args.draws,
                         departures=dep, label=label, first_seed=args.first_seed,
                         priors=priors)
                   for label, dep in variants]
        table = pd.concat([r[0] for r in results], ignore_index=True)
        gates = pd.concat([r[1] for r in results], ignore_index=True)
    else:
        table, gates = study(args.simulators, args.ledgers, n_claims=args.claims,
                             draws=args.draws, first_seed=args.first_seed, priors=priors)
    command = (f"python benchmarks/truth_study.py --ledgers {args.ledgers} --claims {args.claims}"
               f" --draws {args.draws}"
               + (f" --first-seed {args.first_seed}"
                  if args.first_seed != FIRST_REPORTING_SEED else "")
               + options_text(args)
               + (" --ablate" if args.ablate else
                                            f" --simulators {' '.join(args.simulators)}"))
    text = (
        f"# Truth study{' (ablation of the field simulator)' if args.ablate else ''}\n\n"
        f"remitest {rt.__version__}; {args.ledgers} ledgers of {args.claims} claims per "
        f"simulator, {seeds_text(args)} (ledger and fit seed alike; tuning seeds are "
        f"1-999); 4 chains x {args.draws} draws per fit, a failing fit retried once with twice "
        f"the tuning and draws, then left out; {time.perf_counter() - start:.0f} s.\n"
        f"Command: `{command}`\n\n"
        "Coverage is of the true series by the central 50% / 90% intervals, per series-year; "
        "`is_ratio` is the mean 90% interval score (log scale) over the naive reading's, and "
        "`crps_ratio` the same for the CRPS, over the series-years the naive reading can score "
        "(a series with at least one claim of its own); below 1 the model beats it. "
        "`cover_90_low` / `cover_90_high` is a 90% band for `cover_90` from resampling whole "
        "ledgers: a ledger's series-years share its draws of every shared error, so they miss "
        "together, and the band says how far the number could move on other seeds.\n\n"
        + report(table, gates, by_variant=args.ablate)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(text, out)
    summary = truth_summary(table, ("variant" if args.ablate else "simulator", "series", "band"))
    atomic_write(out.with_suffix(".csv"),
                 lambda tmp: summary.to_csv(tmp, index=False, float_format="%.4f"))
    print(text)


if __name__ == "__main__":
    main()
