"""Leave-one-estimator-out cross-validation through compile-once refits, against fresh fits.

Run: ``python benchmarks/bench_checks.py [--draws 1000] [--tune 1000] [--naive-folds 2]``.
On ``remitest.synthetic_ledger(60, random_seed=1)`` (a realistic 60-claim ledger, under its own
``sim.config``) it times, in this order:

1. ``rt.checks.cross_validate(ledger, by="estimator")`` serially: one compiled kernel sampler
   for the full structure, each fold only swapping data (compile, fits and scoring included);
2. the same through ``concurrent.futures.ProcessPoolExecutor(2)`` (each worker compiles once);
3. the naive way: a fresh stock ``pm.sample`` fit (``rt.fit(..., sampler="pymc")``, which builds
   and compiles the PyMC model every call) of the training ledger of ``--naive-folds`` folds,
   the folds of :func:`remitest.checks.cross_validation.cv_folds` with the same years and pin
   (``sweep_config``). Their mean time is **extrapolated** to every fold; it leaves out scoring,
   so the naive total is a lower bound.

Same draws, tuning, 4 chains and seed everywhere. The last line is ``cv/naive ratio: X``
(serial cross-validation over the extrapolated naive total).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

from _measures import measure as row
from _measures import write_measures

SEED = 1


def measure(draws: int, tune: int, naive_folds: int) -> dict:
    """Time the three ways; return the times in seconds and the counts."""
    import remitest as rt
    from remitest.checks._sweep import sweep_config
    from remitest.checks.cross_validation import cv_folds
    from remitest.diagnostics import DiagnosticsWarning

    warnings.simplefilter("ignore", DiagnosticsWarning)
    sim = rt.synthetic_ledger(60, random_seed=1)
    ledger, config = sim.ledger, sim.config
    sizes = {"draws": draws, "tune": tune, "random_seed": SEED}
    out = {"claims": len(ledger.originals()), "folds": len(cv_folds(ledger, "estimator"))}

    t = time.perf_counter()
    serial = rt.checks.cross_validate(ledger, by="estimator", config=config, **sizes)
    out["serial_s"] = time.perf_counter() - t
    print(f"  cross_validate, serial:        {out['serial_s']:7.1f} s "
          f"({out['folds']} folds, {len(serial.table)} claims predicted)", flush=True)

    t = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        pooled = rt.checks.cross_validate(ledger, by="estimator", config=config, executor=pool,
                                          **sizes)  # fmt: skip
    out["pool_s"] = time.perf_counter() - t
    out["pool_same_table"] = bool(pooled.table.equals(serial.table))
    print(f"  cross_validate, 2 processes:   {out['pool_s']:7.1f} s "
          f"(same table as serial: {out['pool_same_table']})", flush=True)

    fold_config = sweep_config(config, ledger)
    naive = []
    for fold in cv_folds(ledger, "estimator")[:naive_folds]:
        t = time.perf_counter()
        rt.fit(fold.training, fold_config, sampler="pymc", progressbar=False, **sizes)
        naive.append(time.perf_counter() - t)
        print(f"  fresh pm.sample fit, fold {fold.name!r}: {naive[-1]:.1f} s", flush=True)
    out["naive_fold_s"] = sum(naive) / len(naive)
    out["naive_timed"] = len(naive)
    out["naive_s"] = out["naive_fold_s"] * out["folds"]
    return out


def report(m: dict, args: argparse.Namespace) -> None:
    print(f"== leave-one-estimator-out on synthetic_ledger(60, random_seed=1): {m['claims']} "
          f"original claims, {m['folds']} folds; 4 chains x {args.draws} draws, "
          f"{args.tune} tuning")  # fmt: skip
    print(f"  naive (fresh pm.sample per fold): {m['naive_fold_s']:.1f} s per fold, the mean of "
          f"{m['naive_timed']} timed folds, extrapolated to {m['folds']} folds: "
          f"{m['naive_s']:.0f} s (fits only, no scoring: a lower bound)")  # fmt: skip
    print(f"  process-pool cv/naive ratio: {m['pool_s'] / m['naive_s']:.3f}")
    print(f"cv/naive ratio: {m['serial_s'] / m['naive_s']:.3f}")


def measures(m: dict, args: argparse.Namespace) -> list[dict]:
    """Rows for results.md: each cross-validation time against the extrapolated naive total."""
    size = f"4 chains x {args.draws} draws, {args.tune} tuning"
    naive = (f"fresh pm.sample per fold, {m['naive_timed']} of {m['folds']} folds timed and "
             f"extrapolated ({size})")  # fmt: skip
    return [
        row(naive, m["naive_s"], "s"),
        row(f"cross_validate by estimator, serial, {m['folds']} folds", m["serial_s"], "s",
            baseline=naive, baseline_value=m["naive_s"]),
        row("cross_validate by estimator, ProcessPoolExecutor(2)", m["pool_s"], "s",
            baseline=naive, baseline_value=m["naive_s"]),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--naive-folds", type=int, default=2,
                        help="folds fitted with fresh pm.sample, then extrapolated (default 2)")
    parser.add_argument("--json", metavar="PATH", help="also write the measures as JSON")
    args = parser.parse_args(argv)
    m = measure(args.draws, args.tune, args.naive_folds)
    report(m, args)
    write_measures(args.json, measures(m, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
