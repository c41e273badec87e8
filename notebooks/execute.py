"""Execute every notebook with the library's default draws and commit-ready outputs.

Run from the repository root: ``python notebooks/execute.py [NAME ...]``. Each notebook runs
top to bottom with ``REMITEST_NOTEBOOK_DRAWS`` unset, so every fit uses the library defaults
(``rt.fit``: draws=2000, tune=1000, as ``remitest fit`` and ``make run``; each check its own), and
is written back in place with its outputs and ``metadata["remitest"] = {"executed_with": "full",
"remitest_version": ...}``, which ``tests/test_notebooks.py`` checks. Run folders go to
``notebooks/results/`` (ignored by git) or a temporary folder.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import remitest

HERE = Path(__file__).resolve().parent


def execute(path: Path) -> None:
    env_draws = os.environ.pop("REMITEST_NOTEBOOK_DRAWS", None)
    try:
        notebook = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(notebook, timeout=1800, kernel_name="python3",
                       resources={"metadata": {"path": str(HERE)}}).execute()
        notebook.metadata["remitest"] = {
            "executed_with": "full",
            "draws": 2000,
            "tune": 1000,
            "remitest_version": remitest.__version__,
        }
        tmp = path.with_suffix(".ipynb.tmp")
        nbformat.write(notebook, tmp)
        tmp.replace(path)  # atomic: a failed run leaves the committed notebook as it was
        print(f"{path.name}: {time.perf_counter() - start:.0f} s", flush=True)
    finally:
        if env_draws is not None:
            os.environ["REMITEST_NOTEBOOK_DRAWS"] = env_draws


def main(names: list[str]) -> None:
    paths = [HERE / n for n in names] if names else sorted(HERE.glob("*.ipynb"))
    for path in paths:
        execute(path)


if __name__ == "__main__":
    main(sys.argv[1:])
