"""Does the model learn the spread of the sources' biases? Posterior ``bias_sd`` against the truth.

On ``rt.synthetic_ledger`` (tuning seeds only: a diagnosis, not a measure of the model), each
ledger is fitted once with the defaults (fit seed 1), and the posterior median of ``bias_sd`` per
quantity is set beside the root mean square of the true log biases of that ledger's sources of
that quantity (``sim.truth["claims"]``, one value per source).

Usage: ``python benchmarks/bias_spread_check.py [--first-seed 9] [--ledgers 8]``; writes
``benchmarks/results/bias_spread_tuning.md``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from _seeds import FIRST_REPORTING_SEED

import remitest as rt
from remitest._io import write_text
from remitest.simulate import synthetic_ledger

RESULTS = Path(__file__).parent / "results"


def one_ledger(seed: int) -> list[dict]:
    """Posterior median ``bias_sd`` and the realised RMS bias, per quantity, of one ledger."""
    sim = synthetic_ledger(60, random_seed=seed)
    fit = rt.fit(sim.ledger, sim.config, random_seed=1, progressbar=False)
    claims = sim.truth["claims"].merge(sim.ledger.to_frame()[["id", "estimator", "quantity"]],
                                       on="id")
    rows = []
    for quantity in ("workers", "remittances_usd"):
        biases = claims[claims["quantity"] == quantity].drop_duplicates("estimator")["bias"]
        rows.append({"seed": seed, "quantity": quantity, "sources": len(biases),
                     "true_rms_bias": float(np.sqrt(np.mean(biases.to_numpy() ** 2))),
                     "posterior_median_bias_sd":
                         float(fit.idata.posterior["bias_sd"].sel(quantity=quantity).median()),
                     "gate_passed": fit.diagnostics.passed})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-seed", type=int, default=9)
    parser.add_argument("--ledgers", type=int, default=8)
    args = parser.parse_args()
    if args.first_seed + args.ledgers > FIRST_REPORTING_SEED:
        parser.error("a diagnosis runs on tuning seeds only (below 1000)")
    table = pd.DataFrame([row for seed in range(args.first_seed, args.first_seed + args.ledgers)
                          for row in one_ledger(seed)])
    means = table.groupby("quantity")[["true_rms_bias", "posterior_median_bias_sd"]].mean()
    text = "\n".join([
        "# The learned spread of biases against the true one (tuning seeds)", "",
        f"remitest {rt.__version__}. Command: `python benchmarks/bias_spread_check.py "
        f"--first-seed {args.first_seed} --ledgers {args.ledgers}`. `rt.synthetic_ledger(60)`, "
        "default configuration, fit seed 1.", "",
        table.to_markdown(index=False, floatfmt=".3f"), "", "Means over the ledgers:", "",
        means.to_markdown(floatfmt=".3f"), ""])
    write_text(text, RESULTS / "bias_spread_tuning.md")
    print(text)


if __name__ == "__main__":
    main()
