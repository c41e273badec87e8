"""Fit speed against stock PyMC, measured in one process, plus a cold-cache run and memory.

Run: ``python benchmarks/bench_fit.py`` (``--refits N`` for the memory check, ``--no-cold`` to
skip the cold-cache subprocess). In one process it runs, in this order:

1. stock ``pm.sample`` on the same PyMC model, same draws/tune/chains/target_accept, paying its
   own setup (model build + PyTensor compile, with PyTensor's on-disk cache as the machine has it);
2. ``remitest.fit`` on the shipped ledger (default sampler);
3. a refit with one claim removed (same structure: data swapped, nothing recompiled);
4. N further refits (default 200), recording resident memory: it must stay flat once the
   allocator has settled (~100 fits): medians at refits 11-20, 91-100 and the last ten.

Then the same measurement in a subprocess with every cache emptied (PyTensor compiledir and
numba cache pointed at empty folders). The last line is
``fit/stock ratio: X  refit/stock ratio: Y`` from the in-process (warm-cache) run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

from _measures import measure as row
from _measures import write_measures


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(draws: int, tune: int, chains: int, refits: int) -> dict[str, float]:
    """Time stock PyMC, a first remitest fit and refits, in this process."""
    t = time.perf_counter()
    import pymc as pm

    import remitest as rt
    from remitest.diagnostics import DiagnosticsWarning
    from remitest.model import build_model

    warnings.simplefilter("ignore", DiagnosticsWarning)
    out = {"import_s": time.perf_counter() - t}
    ledger = rt.load_ledger("seeds")
    config = rt.ModelConfig()

    t = time.perf_counter()
    model = build_model(ledger, config)
    with model:
        stock = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=2,
            random_seed=1,
            target_accept=config.target_accept,
            progressbar=False,
            compute_convergence_checks=False,
        )
    out["stock_s"] = time.perf_counter() - t
    out["stock_divergences"] = int(stock.sample_stats["diverging"].sum())

    t = time.perf_counter()
    first = rt.fit(
        ledger, config, draws=draws, tune=tune, chains=chains, random_seed=1, progressbar=False
    )
    out["fit_s"] = time.perf_counter() - t
    out.update({f"fit_{k}_s": v for k, v in first.timings.items()})
    out["fit_divergences"] = first.diagnostics.divergences

    dropped = ledger.drop("kinu-workers")
    t = time.perf_counter()
    again = rt.fit(
        dropped, config, draws=draws, tune=tune, chains=chains, random_seed=2, progressbar=False
    )
    out["refit_s"] = time.perf_counter() - t
    out.update({f"refit_{k}_s": v for k, v in again.timings.items()})

    # A realistic 60-claim ledger (its own structure: one compile, then sampling).
    sim = rt.synthetic_ledger(60, random_seed=1)
    t = time.perf_counter()
    big = rt.fit(sim.ledger, sim.config, draws=draws, tune=tune, chains=chains, random_seed=1,
                 progressbar=False)
    out["fit60_s"] = time.perf_counter() - t
    out.update({f"fit60_{k}_s": v for k, v in big.timings.items()})
    out["fit60_divergences"] = big.diagnostics.divergences

    # Memory over many refits: the allocator grows for ~100 fits, then stays flat. Medians of
    # resident memory over refits 11-20, 91-100 and the last ten show both phases.
    rss = []
    times = []
    for i in range(refits):
        t = time.perf_counter()
        rt.fit(
            ledger.drop(ledger.to_frame()["id"].iloc[i % 3]),
            config,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=10 + i,
            progressbar=False,
        )
        times.append(time.perf_counter() - t)
        gc.collect()
        rss.append(_rss_mb())
    if len(rss) >= 110:
        out.update(
            refits=refits,
            rss_early_mb=statistics.median(rss[10:20]),
            rss_mid_mb=statistics.median(rss[90:100]),
            rss_late_mb=statistics.median(rss[-10:]),
            refit_median_s=statistics.median(times),
        )
    return out


def _report(label: str, m: dict[str, float]) -> None:
    print(f"== {label}")
    print(f"  import (pymc + remitest):        {m['import_s']:.2f} s")
    print(
        f"  stock pm.sample (build+compile+sample): {m['stock_s']:.2f} s "
        f"({m['stock_divergences']} divergences)"
    )
    print(
        f"  remitest.fit:                    {m['fit_s']:.2f} s "
        f"(compile {m['fit_compile_s']:.2f}, sampling {m['fit_sampling_s']:.2f}, "
        f"postprocess {m['fit_postprocess_s']:.2f}, diagnostics {m['fit_diagnostics_s']:.2f}; "
        f"{m['fit_divergences']} divergences)"
    )
    print(
        f"  refit, one claim removed:        {m['refit_s']:.2f} s "
        f"(compile {m['refit_compile_s']:.3f}, sampling {m['refit_sampling_s']:.2f}, "
        f"diagnostics {m['refit_diagnostics_s']:.2f})"
    )
    if "fit60_s" in m:
        print(
            f"  60-claim synthetic ledger fit:   {m['fit60_s']:.2f} s "
            f"(compile {m['fit60_compile_s']:.2f}, sampling {m['fit60_sampling_s']:.2f}; "
            f"{m['fit60_divergences']} divergences) beside the shipped ledger's "
            f"{m['fit_s']:.2f} s"
        )
    if "refits" in m:
        print(
            f"  {m['refits']} further refits: median {m['refit_median_s']:.2f} s; resident "
            f"memory (medians) {m['rss_early_mb']:.0f} MB at refits 11-20, "
            f"{m['rss_mid_mb']:.0f} MB at 91-100, {m['rss_late_mb']:.0f} MB at the last ten "
            f"({m['rss_late_mb'] - m['rss_mid_mb']:+.1f} MB after the allocator settles)"
        )
    print(
        f"  ratios: fit/stock {m['fit_s'] / m['stock_s']:.3f}, "
        f"refit/stock {m['refit_s'] / m['stock_s']:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--refits", type=int, default=200)
    parser.add_argument("--no-cold", action="store_true")
    parser.add_argument("--json", metavar="PATH", help="also write the measures as JSON")
    parser.add_argument("--inner-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.inner_json:
        print(json.dumps(measure(args.draws, args.tune, args.chains, args.refits)))
        return 0

    cold = None
    if not args.no_cold:
        with tempfile.TemporaryDirectory() as empty:
            env = dict(
                os.environ,
                PYTENSOR_FLAGS=f"compiledir={os.path.join(empty, 'pytensor')}",
                NUMBA_CACHE_DIR=os.path.join(empty, "numba"),
            )
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--inner-json",
                    "--refits",
                    "0",
                    "--draws",
                    str(args.draws),
                    "--tune",
                    str(args.tune),
                    "--chains",
                    str(args.chains),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            cold = json.loads(proc.stdout.strip().splitlines()[-1])
        _report("all caches emptied (PyTensor compiledir and numba cache in empty folders)", cold)

    warm = measure(args.draws, args.tune, args.chains, args.refits)
    _report("caches as this machine has them (one process)", warm)
    print(
        f"fit/stock ratio: {warm['fit_s'] / warm['stock_s']:.3f}  "
        f"refit/stock ratio: {warm['refit_s'] / warm['stock_s']:.3f}"
    )
    write_measures(args.json, measures(warm, cold, args))
    return 0


def measures(warm: dict, cold: dict | None, args: argparse.Namespace) -> list[dict]:
    """Rows for results.md: each time against stock PyMC, memory against its earlier level."""
    size = f"{args.chains} chains x {args.draws} draws, {args.tune} tuning"
    stock = f"stock pm.sample, {{}} ({size})"
    rows = []
    for label, m in (("caches warm", warm), ("every cache emptied", cold)):
        if m is None:
            continue
        base = stock.format(label)
        rows += [
            row(base + ": build + compile + sample", m["stock_s"], "s"),
            row(f"rt.fit, {label}", m["fit_s"], "s", baseline=base, baseline_value=m["stock_s"]),
            row(f"refit with one claim removed, {label}", m["refit_s"], "s", baseline=base,
                baseline_value=m["stock_s"]),
        ]
    rows.append(row("rt.fit of synthetic_ledger(60, random_seed=1), caches warm", warm["fit60_s"],
                    "s", baseline="rt.fit of the shipped ledger, caches warm",
                    baseline_value=warm["fit_s"]))
    if "refits" in warm:
        n = warm["refits"]
        rows += [
            row(f"median refit over {n} refits, caches warm", warm["refit_median_s"], "s",
                baseline=stock.format("caches warm"), baseline_value=warm["stock_s"]),
            row("resident memory at refits 91-100 (median)", warm["rss_mid_mb"], "MB",
                baseline="resident memory at refits 11-20", baseline_value=warm["rss_early_mb"]),
            row(f"resident memory at refits {n - 9}-{n} (median)", warm["rss_late_mb"], "MB",
                baseline="resident memory at refits 91-100", baseline_value=warm["rss_mid_mb"]),
        ]
    return rows


if __name__ == "__main__":
    sys.exit(main())
