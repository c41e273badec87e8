"""Load a script of ``benchmarks/`` as a module (the folder is not a package)."""

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(name: str):
    """``benchmarks/<name>.py`` as a module, for the smoke tests of the committed studies.

    The folder goes on ``sys.path`` first, as ``python benchmarks/<name>.py`` puts it there, so
    that a script's imports of its siblings (``_seeds``, ``truth_study``) resolve.
    """
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
