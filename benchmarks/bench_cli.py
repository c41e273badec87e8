"""How long ``remitest --help`` takes, against importing ArviZ alone, in fresh processes.

Each run is a new Python process, as a user's shell starts one: ``python -m remitest --help``
(the same entry point as the ``remitest`` script, resolved through this interpreter), then
``python -c "import arviz"``, which is what ``--help`` paid before remitest imported ArviZ, PyMC,
PyTensor and matplotlib only in the commands that need them. Both are repeated (``--repeats``,
default 7, after one untimed run each to warm the file cache) and the median wall time is
reported, with the ratio of the two. Issue 20 asks for ``--help`` within 1 s.

Run: ``python benchmarks/bench_cli.py [--repeats N] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from _measures import measure, write_measures

HELP = [sys.executable, "-m", "remitest", "--help"]
BASELINE = [sys.executable, "-c", "import arviz"]
TARGET_S = 1.0


def wall_times(command: list[str], repeats: int) -> list[float]:
    """Wall times of ``repeats`` runs of ``command`` in fresh processes (one untimed run first)."""
    subprocess.run(command, check=True, capture_output=True)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, metavar="N")
    parser.add_argument("--json", metavar="PATH", help="also write the measures as JSON")
    args = parser.parse_args(argv)
    help_times = wall_times(HELP, args.repeats)
    base_times = wall_times(BASELINE, args.repeats)
    t_help, t_base = statistics.median(help_times), statistics.median(base_times)
    print(f"{'command':<36}{'median s':>10}{'min s':>8}{'max s':>8}")
    for name, times in (("remitest --help", help_times), ("python -c 'import arviz'", base_times)):
        print(f"{name:<36}{statistics.median(times):>10.3f}{min(times):>8.3f}{max(times):>8.3f}")
    print(f"--help / import arviz: {t_help / t_base:.3f}; --help within {TARGET_S:g} s: "
          f"{'yes' if t_help < TARGET_S else 'NO'} ({args.repeats} runs each)")
    write_measures(args.json, [
        measure("python -c 'import arviz' (median of fresh processes)", t_base, "s"),
        measure("remitest --help (median of fresh processes)", t_help, "s",
                baseline="python -c 'import arviz'", baseline_value=t_base),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
