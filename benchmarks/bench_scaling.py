"""How the cost of a fit grows with the number of claims and of years.

Run: ``python benchmarks/bench_scaling.py``. Ledgers are simulated from the model (truths drawn
from the prior) on templates made by repeating the shipped ledger's original claims -- the same
estimators, shifted reference years -- so only the sizes change. For each size it reports the
whole fit (median of three, after a warm-up that pays the compile), the number of gradient
evaluations after tuning, and the sampling time over them ("time per gradient"). A fit keeps no
statistics of its tuning steps, whose gradients the sampling time includes: that measure
overstates the true cost of a gradient (about twice, when tuning takes as many steps as the
draws), the same way for every case, so its ratios between cases hold. The last lines print
each cost relative to the smallest case, next to the growth of the size itself.

A last case is the refit that issue 17 names: 999 claims (the seed originals copied 111 times over
the same 12 years), 2 chains x 500 draws after 500 tuning steps, on the machine's cores, against the
9-claim ledger refitted with the same settings in the same run (median of three refits each, after
a warm-up fit that compiles).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _measures import measure, write_measures

import remitest as rt
from remitest.diagnostics import DiagnosticsWarning
from remitest.simulate import simulate_ledger


def template(n_copies: int, year_shift_step: int) -> rt.Ledger:
    """The seed originals repeated ``n_copies`` times, each copy shifted back in time."""
    base = rt.load_ledger("seeds").originals().to_frame()
    copies = []
    for k in range(n_copies):
        copy = base.copy()
        shift = k * year_shift_step
        copy["id"] = copy["id"] + f"-{k}"
        copy["ref_start"] -= shift
        copy["ref_end"] -= shift
        for column in ("published", "document_date"):
            copy[column] = [("" if pd.isna(v) else str(v.year - shift)) for v in copy[column]]
        copies.append(copy)
    return rt.Ledger.from_frame(pd.concat(copies, ignore_index=True))


def time_fit(ledger: rt.Ledger, config: rt.ModelConfig, reconciler: rt.Reconciler,
             **sampling: int) -> dict:
    reconciler.fit(ledger, config, random_seed=0, progressbar=False, **sampling)  # compile
    runs = []
    for seed in (1, 2, 3):
        t = time.perf_counter()
        fitted = reconciler.fit(ledger, config, random_seed=seed, progressbar=False, **sampling)
        runs.append((time.perf_counter() - t, fitted))
    wall, fitted = sorted(runs, key=lambda r: r[0])[1]
    steps = int(fitted.idata.sample_stats["n_steps"].sum())
    return {
        "fit_s": wall,
        "sampling_s": fitted.timings["sampling"],
        "grad_evals": steps,
        "us_per_grad": fitted.timings["sampling"] / steps * 1e6,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="also write the measures as JSON")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", DiagnosticsWarning)
    reconciler = rt.Reconciler()
    rows = []
    # Claims: 9, 18, 36, 72 over the same 12 years (copies share their years).
    for copies in (1, 2, 4, 8):
        sim = simulate_ledger(template(copies, 0), random_seed=copies).ledger
        rows.append(
            {
                "case": "claims",
                "claims": len(sim),
                "years": 12,
                **time_fit(sim, rt.ModelConfig(years=(2013, 2024)), reconciler),
            }
        )
    # Years: 12, 24, 48 with the claims spread over them (9 claims per 12 years).
    for copies, span in ((1, 12), (2, 24), (4, 48)):
        sim = simulate_ledger(template(copies, 12), random_seed=10 + copies).ledger
        config = rt.ModelConfig(years=(2025 - span, 2024))
        rows.append(
            {
                "case": "years",
                "claims": len(sim),
                "years": span,
                **time_fit(sim, config, reconciler),
            }
        )
    # The large refit: 999 claims against 9, both at 2 chains x 500 draws (500 tuning).
    small_sampling = {"chains": 2, "draws": 500, "tune": 500}
    for copies in (1, 111):
        sim = simulate_ledger(template(copies, 0), random_seed=copies).ledger
        rows.append(
            {
                "case": "refit",
                "claims": len(sim),
                "years": 12,
                **time_fit(sim, rt.ModelConfig(years=(2013, 2024)), reconciler, **small_sampling),
            }
        )
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 120, "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))
    for case, size in (("claims", "claims"), ("years", "years"), ("refit", "claims")):
        part = table[table["case"] == case]
        first = part.iloc[0]
        growth = part[size] / first[size]
        print(f"\n{case}: size x{', x'.join(f'{g:.0f}' for g in growth)}")
        print(
            "  fit time        x" + ", x".join(f"{v:.2f}" for v in part["fit_s"] / first["fit_s"])
        )
        print(
            "  time per grad   x"
            + ", x".join(f"{v:.2f}" for v in part["us_per_grad"] / first["us_per_grad"])
        )
        slope = np.polyfit(np.log(part[size]), np.log(part["fit_s"]), 1)[0]
        print(f"  log-log slope of fit time against {size}: {slope:.2f} (1.0 = linear)")
    write_measures(args.json, measures(table))


def measures(table: pd.DataFrame) -> list[dict]:
    """Each case's fit time and time per gradient, against the smallest case of its series."""
    rows = []
    for case in ("claims", "years", "refit"):
        part = table[table["case"] == case]
        first = part.iloc[0]
        name = (f"more {case}: {{}} claims over {{}} years" if case != "refit" else
                "refit, 2 chains x 500 draws: {} claims over {} years")
        smallest = name.format(first["claims"], first["years"])
        for i, (_, r) in enumerate(part.iterrows()):
            this = name.format(r["claims"], r["years"])
            fit_base = {} if i == 0 else {"baseline": f"fit, {smallest}",
                                          "baseline_value": first["fit_s"]}
            grad_base = {} if i == 0 else {"baseline": f"time per gradient, {smallest}",
                                           "baseline_value": first["us_per_grad"]}
            rows += [
                measure(f"fit, {this} (median of 3)", r["fit_s"], "s", **fit_base),
                measure(f"time per gradient, {this}", r["us_per_grad"], "\u00b5s", **grad_base),
            ]  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
