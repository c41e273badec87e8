"""The host collapse as a test case: does the fit follow one host's 90% fall while the others hold?

Each of ``remitest.synthetic_ledger(60, random_seed=s)`` (s = 1..N) has Russia's headcount fall by
about 90% over 2020-2021 while the other hosts hold (``remitest/simulate/synthetic.py``). For each
ledger this fits the whole ledger (default sampler settings) and records

* whether the 90% interval of the world's and of Russia's workers covers the truth, per year
  2020-2023 (criterion: at least 80% of these host-years over all ledgers), and
* whether the fall is detected: the 90% interval of Russia's log change 2018 -> 2021 excludes 0.

Run: python benchmarks/host_collapse.py [--ledgers 20] [--out benchmarks/results/host_collapse.md]
CI runs a two-ledger smoke version (tests/test_host_collapse.py).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import remitest as rt
from remitest._io import atomic_write, write_text  # the package's atomic writer
from remitest.diagnostics import DiagnosticsWarning

YEARS = (2020, 2021, 2022, 2023)
HOST = "russia"


def one_ledger(seed: int, *, draws: int = 2000, config_changes: dict | None = None) -> dict:
    """Coverage of the world's and the host's truth 2020-2023, and the detected fall."""
    sim = rt.synthetic_ledger(60, random_seed=seed)
    config = sim.config.replace(**(config_changes or {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiagnosticsWarning)
        fit = rt.fit(sim.ledger, config, random_seed=seed, draws=draws, tune=draws,
                     progressbar=False)
    truth = sim.truth["series"].query("quantity == 'workers'").pivot(
        index="year", columns="scope", values="value")
    row = {"ledger": seed, "gate_passed": fit.diagnostics.passed,
           "host_claims": int((sim.ledger.originals().to_frame()["scope"] == HOST).sum())}
    for scope in ("world", HOST):
        table = fit.series("workers", scope)
        for year in YEARS:
            inside = table.loc[year, "q05"] <= truth.loc[year, scope] <= table.loc[year, "q95"]
            row[f"{scope}_{year}"] = bool(inside)
    host = fit.idata.posterior["workers_host"].sel(host=HOST)
    change = np.log(host.sel(year=2021) / host.sel(year=2018)).to_numpy().ravel()
    low, high = np.quantile(change, [0.05, 0.95])
    row.update(change_q05=float(low), change_q95=float(high),
               true_change=float(np.log(truth.loc[2021, HOST] / truth.loc[2018, HOST])),
               fall_detected=bool(high < 0))
    return row


def study(n_ledgers: int, *, draws: int = 2000, first_seed: int = 1,
          config_changes: dict | None = None) -> pd.DataFrame:
    rows = []
    for seed in range(first_seed, first_seed + n_ledgers):
        start = time.perf_counter()
        rows.append(one_ledger(seed, draws=draws, config_changes=config_changes))
        print(f"ledger {seed}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage of the host-years per scope, and the share of ledgers whose fall was detected."""
    out = []
    for scope in ("world", HOST):
        cells = table[[f"{scope}_{y}" for y in YEARS]].to_numpy()
        out.append({"measure": f"{scope} workers 2020-2023: 90% interval covers the truth",
                    "value": cells.mean(), "n": cells.size})
    out.append({"measure": f"{HOST} 2018->2021 fall detected (90% interval of the change < 0)",
                "value": table["fall_detected"].mean(), "n": len(table)})
    out.append({"measure": "fits that passed the diagnostics gate",
                "value": table["gate_passed"].mean(), "n": len(table)})
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledgers", type=int, default=20)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--constant", action="store_true",
                        help="host_shares='constant' (the model of remitest 0.1), for comparison")
    parser.add_argument("--out", default="benchmarks/results/host_collapse.md")
    args = parser.parse_args()
    changes = {"host_shares": "constant"} if args.constant else None
    start = time.perf_counter()
    table = study(args.ledgers, draws=args.draws, config_changes=changes)
    result = summary(table)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out.with_suffix(".ledgers.csv"), lambda tmp: table.to_csv(tmp, index=False))
    text = (
        f"# Host collapse on {args.ledgers} synthetic ledgers of 60 claims\n\n"
        f"remitest {rt.__version__}; host_shares = "
        f"{'constant' if args.constant else 'walk'}; 4 chains x {args.draws} draws per fit; "
        f"{time.perf_counter() - start:.0f} s.\n"
        f"Command: `python benchmarks/host_collapse.py --ledgers {args.ledgers} "
        f"--draws {args.draws}{' --constant' if args.constant else ''} --out {args.out}`\n\n"
        + result.to_markdown(index=False, floatfmt=".2f") + "\n"
    )
    write_text(text, out)
    print(text)


if __name__ == "__main__":
    main()
