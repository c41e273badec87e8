"""Run every benchmark, each in its own process, and write ``benchmarks/results.md``.

Run: ``make bench`` (or ``python benchmarks/run_all.py [--out PATH] [--only NAME ...]
[--previous PATH]``). ``--previous`` names an earlier ``results.md`` (``make bench`` passes the
committed ``benchmarks/results.md`` itself, read before it is overwritten): the value and ratio
of each measure of the same name go beside this run's, with that run's date and versions, so a
move to a new stack shows its numbers beside the old ones.

Each benchmark runs as the child of a small measuring process, which reports the child's peak
resident memory from ``resource.getrusage(RUSAGE_CHILDREN)``: that counts every allocation
(numba's, nutpie's Rust threads', BLAS'), which ``tracemalloc`` would miss, and includes the
processes the benchmark itself starts and waits for (the fit benchmark's cold-cache run). The
benchmark writes its measures as JSON (``--json``); this script turns them into one table, with
each measure's baseline and ratio, the date, the machine and the versions. A benchmark's full
output is echoed as it runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from remitest._io import write_text  # the package's atomic writer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCHMARKS = {
    "bench_fit": "fit speed against stock PyMC, cold and warm caches, memory over 200 refits",
    "bench_postprocess": "posterior products on 4 x 25,000 draws against a per-draw loop and ArviZ",
    "bench_scaling": "how a fit's cost grows with claims and years",
    "bench_checks": "leave-one-estimator-out CV, compile-once refits against fresh pm.sample",
    "bench_nutpie_numba": "nutpie's own numba path against the hand-written kernel, new processes",
    "bench_cli": "remitest --help in a fresh process against importing ArviZ alone",
}
PACKAGES = ("remitest", "pymc", "pytensor", "nutpie", "numba", "numpy", "scipy", "pandas",
            "arviz", "xarray")  # fmt: skip


def run_child(script: str, json_path: str) -> int:
    """In the measuring process: run one benchmark, then print its wall time and peak memory."""
    start = time.perf_counter()
    status = subprocess.run([sys.executable, str(HERE / f"{script}.py"), "--json", json_path],
                            check=False).returncode  # fmt: skip
    wall = time.perf_counter() - start
    # ru_maxrss: kilobytes on Linux, the largest resident set of any waited-for descendant.
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if sys.platform == "darwin":  # bytes there
        peak_kb //= 1024
    print(json.dumps({"status": status, "wall_s": wall, "peak_mib": peak_kb / 1024}))
    return status


def measure_benchmark(script: str) -> dict:
    """Run ``script`` under a fresh measuring process; return its measures, time and memory."""
    env = dict(os.environ)
    # The benchmarks import this checkout's remitest, whatever the environment has installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp:
        json_path = os.path.join(tmp, "measures.json")
        proc = subprocess.Popen(
            [sys.executable, __file__, "--child", script, json_path],
            env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        lines = []
        for line in proc.stdout:  # echo the benchmark's report as it comes
            print(line, end="", flush=True)
            lines.append(line)
        proc.wait()
        child = json.loads(lines[-1])
        if proc.returncode or child["status"]:
            raise SystemExit(f"{script} failed (exit status {child['status']})")
        measures = json.loads(Path(json_path).read_text(encoding="utf-8"))
    return {"measures": measures, "wall_s": child["wall_s"], "peak_mib": child["peak_mib"]}


def machine() -> dict:
    """Cores, memory, CPU model and operating system of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            names = [line.split(":", 1)[1].strip() for line in info
                     if line.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "memory_gib": memory,
            "os": f"{platform.system()} {platform.release()}"}  # fmt: skip


def versions() -> dict:
    """Python, the packages that set the speed, and this checkout's commit."""
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    found["commit"] = commit
    return found


def _number(value: float, unit: str) -> str:
    if unit == "s" and value < 10:
        return f"{value:.3g} s" if value < 1 else f"{value:.2f} s"
    return f"{value:,.1f} {unit}" if value < 1000 else f"{value:,.0f} {unit}"


def read_previous(path: str | None) -> tuple[str, dict[tuple[str, str], tuple[str, str]]]:
    """An earlier ``results.md``: its date and versions; (benchmark, measure) -> (value, ratio)."""
    if not path:
        return "", {}
    fields, rows = {"Date": "", "Versions": ""}, {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        for field in fields:
            if line.startswith(f"- **{field}:** "):
                fields[field] = line.removeprefix(f"- **{field}:** ")
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0].startswith("`bench"):
            rows[(cells[0].strip("`"), cells[1])] = (cells[2], cells[5])
    return f"{fields['Date']}; {fields['Versions']}", rows


def render(results: dict[str, dict], when: datetime.datetime, host: dict, found: dict,
           previous: tuple[str, dict] = ("", {})) -> str:
    """The markdown of ``results.md`` (with an earlier run's value and ratio beside, if given)."""
    about, earlier = previous
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run_all.py`); do not edit by hand. Each benchmark "
        "ran in its own process; its docstring says exactly what it measures.",
        "",
        f"- **Date:** {when:%Y-%m-%d %H:%M} UTC",
        f"- **Machine:** {host['cores']} cores ({host['usable_cores']} usable by this run), "
        f"{host['memory_gib']:.1f} GiB memory, {host['cpu']}, {host['os']}; load average "
        f"{host['load_start']:.1f} at the start, {host['load_end']:.1f} at the end"
        + (" (above the cores: other processes shared the machine, so the times are inflated)"
           if max(host["load_start"], host["load_end"]) > host["usable_cores"] else ""),
        "- **Versions:** " + ", ".join(f"{k} {v}" for k, v in found.items()),
        "",
        "## Measures",
        "",
        "A ratio is the measure over its baseline (below 1: faster, or less memory).",
        *([f"The last two columns are the same measure in an earlier run ({about}); "
           "blank where that run had no measure of this name."] if earlier else []),
        "",
        "| benchmark | measure | value | baseline | baseline value | ratio |"
        + (" earlier value | earlier ratio |" if earlier else ""),
        "|---|---|---:|---|---:|---:|" + ("---:|---:|" if earlier else ""),
    ]
    for script, result in results.items():
        for m in result["measures"]:
            has_base = m["baseline_value"] is not None
            base = _number(m["baseline_value"], m["unit"]) if has_base else ""
            ratio = f"{m['value'] / m['baseline_value']:.3f}" if has_base else ""
            then = (" {} | {} |".format(*earlier.get((script, m["measure"]), ("", "")))
                    if earlier else "")
            lines.append(f"| `{script}` | {m['measure']} | {_number(m['value'], m['unit'])} | "
                         f"{m['baseline']} | {base} | {ratio} |{then}")  # fmt: skip
    lines += [
        "",
        "## Each benchmark process",
        "",
        "Peak memory: the largest resident set of the benchmark's process and the processes it "
        "waited for, from `resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` in its parent.",
        "",
        "| benchmark | what it measures | wall time | peak resident memory |",
        "|---|---|---:|---:|",
    ]
    for script, result in results.items():
        lines.append(f"| `{script}` | {BENCHMARKS[script]} | {result['wall_s']:.0f} s | "
                     f"{result['peak_mib']:,.0f} MiB |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "results.md"), metavar="PATH",
                        help="markdown file to write (default benchmarks/results.md)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME",
                        help="run only these benchmarks (default: all)")
    parser.add_argument("--previous", metavar="PATH",
                        help="an earlier results.md whose values and ratios go beside this run's")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    previous = read_previous(args.previous)  # read now: --out may be the same file
    if args.child:
        return run_child(*args.child)
    # The code and the machine as they were when the benchmarks started.
    when, host, found = datetime.datetime.now(datetime.UTC), machine(), versions()
    host["load_start"] = os.getloadavg()[0]
    results = {}
    for script in args.only or BENCHMARKS:
        print(f"== {script}: {BENCHMARKS[script]}", flush=True)
        results[script] = measure_benchmark(script)
    host["load_end"] = os.getloadavg()[0]
    write_text(render(results, when, host, found, previous), Path(args.out))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
