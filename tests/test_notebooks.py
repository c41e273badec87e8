"""The notebooks: committed with the outputs of a full run, and runnable with few draws in CI."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _outputs(notebook):
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def test_notebooks_found():
    assert [p.name for p in NOTEBOOKS][:4] == [
        "01_quickstart.ipynb", "02_your_own_claims.ipynb", "03_can_i_trust_it.ipynb",
        "04_downstream.ipynb",
    ]  # fmt: skip


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_outputs_of_a_full_run(path):
    notebook = nbformat.read(path, as_version=4)
    outputs = _outputs(notebook)
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, f"{path.name} was committed with error outputs"
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} has no figure output: execute it and commit it with its outputs"
    meta = notebook.metadata.get("remitest", {})
    assert meta.get("executed_with") == "full", (
        f"{path.name}: metadata['remitest'] = {meta!r}; execute it with the default draws "
        "(REMITEST_NOTEBOOK_DRAWS unset) and record {'executed_with': 'full'}"
    )
    unexecuted = [c for c in notebook.cells
                  if c.cell_type == "code" and c.get("execution_count") is None]
    assert not unexecuted, f"{path.name} has code cells that were not executed"


@pytest.mark.sampler
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, monkeypatch, tmp_path):
    monkeypatch.setenv("REMITEST_NOTEBOOK_DRAWS", "100")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for o in _outputs(notebook) if o.get("output_type") == "error"]
    assert not errors
    assert os.environ["REMITEST_NOTEBOOK_DRAWS"] == "100"
