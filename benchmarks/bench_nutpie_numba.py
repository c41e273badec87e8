"""nutpie's own numba path against remitest's hand-written kernel, each in a new process.

Run: ``python benchmarks/bench_nutpie_numba.py``. Issue 17 asks for this comparison before the
hand-written kernel (``remitest/kernel.py``) is kept. Both samplers are nutpie's Rust NUTS; they
differ in where the density comes from:

- **nutpie's numba path**: ``nutpie.compile_pymc_model(model, backend="numba")`` on remitest's PyMC
  model (``remitest.model.build_model``), which asks PyTensor to write numba code for the model's
  density and gradient. Nothing of it is cached between processes, so every new process pays it.
- **remitest**: ``rt.fit``, the numba kernel compiled once per machine and cached on disk, data
  passed in at sampling time.

Each is run in a fresh Python process on the shipped seed ledger (10 claims) with the library's
sampling defaults (4 chains x 2000 draws, 1000 tuning, target_accept from ``ModelConfig``, 2
cores). Before the timed processes, one untimed ``rt.fit`` process warms remitest's on-disk cache,
as on any machine after its first fit. The times include ``import``; the last line prints the
ratio of remitest's process to nutpie's numba process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from _measures import measure, write_measures

DRAWS, TUNE, CHAINS = 2000, 1000, 4


def _child(method: str) -> dict[str, float]:
    """One method, timed in this (new) process."""
    start = time.perf_counter()
    import warnings

    import remitest as rt
    from remitest.diagnostics import DiagnosticsWarning

    warnings.simplefilter("ignore", DiagnosticsWarning)
    ledger = rt.load_ledger("seeds")
    config = rt.ModelConfig()
    out: dict[str, float] = {}
    if method == "remitest":
        fitted = rt.fit(ledger, config, draws=DRAWS, tune=TUNE, chains=CHAINS,
                        random_seed=1, progressbar=False)
        out["compile_s"] = fitted.timings["compile"]
        out["sampling_s"] = fitted.timings["sampling"]
        out["divergences"] = fitted.diagnostics.divergences
    else:
        import nutpie

        from remitest.model import build_model

        t = time.perf_counter()
        model = build_model(ledger, config)
        out["build_s"] = time.perf_counter() - t
        t = time.perf_counter()
        compiled = nutpie.compile_pymc_model(model, backend="numba")
        out["compile_s"] = time.perf_counter() - t
        t = time.perf_counter()
        trace = nutpie.sample(compiled, draws=DRAWS, tune=TUNE, chains=CHAINS, cores=2, seed=1,
                              progress_bar=False, target_accept=config.target_accept)
        out["sampling_s"] = time.perf_counter() - t
        out["divergences"] = int(trace.sample_stats["diverging"].sum())
    out["process_s"] = time.perf_counter() - start
    return out


def _run(method: str) -> dict[str, float]:
    t = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", method], check=True,
                          capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - t  # with the interpreter's start
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=("remitest", "nutpie-numba"), help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="PATH", help="also write the measures as JSON")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child)))
        return
    _run("remitest")  # warms the kernel's on-disk cache, as after a machine's first fit
    numba_path = _run("nutpie-numba")
    ours = _run("remitest")
    for label, m in (("nutpie numba path", numba_path), ("remitest kernel", ours)):
        build = f"build {m['build_s']:.2f} s, " if "build_s" in m else ""
        print(f"{label:18s} new process {m['wall_s']:.2f} s ({build}compile "
              f"{m['compile_s']:.2f} s, sampling {m['sampling_s']:.2f} s, "
              f"{m['divergences']:.0f} divergences)")
    ratio = ours["wall_s"] / numba_path["wall_s"]
    print(f"remitest / nutpie numba path, new process: {ratio:.3f}")
    base = "nutpie numba path, new process"
    write_measures(args.json, [
        measure(f"{base} (build + compile + sample, 4 x 2000 draws)", numba_path["wall_s"], "s"),
        measure("nutpie numba path: compile_pymc_model alone", numba_path["compile_s"], "s"),
        measure("remitest kernel, new process (cache on disk)", ours["wall_s"], "s",
                baseline=base, baseline_value=numba_path["wall_s"]),
        measure("nutpie numba path: sampling alone", numba_path["sampling_s"], "s"),
        measure("remitest kernel: sampling alone", ours["sampling_s"], "s",
                baseline="nutpie numba path: sampling alone",
                baseline_value=numba_path["sampling_s"]),
    ])


if __name__ == "__main__":
    main()
