"""Load a script of ``benchmarks/`` as a module (the folder is not a package)."""

import importlib.util
from pathlib import Path


def load_benchmark(name: str):
    """``benchmarks/<name>.py`` as a module, for the smoke tests of the committed studies."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
