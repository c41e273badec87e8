"""The layers contract of pyproject.toml (import-linter): it holds, and a climb breaks it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = "remitest layers: data flows one way"


def _lint_imports(folder: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with ``folder``'s pyproject.toml and its ``remitest`` first on the path."""
    script = Path(sys.executable).with_name("lint-imports")
    command = [str(script)] if script.exists() else [shutil.which("lint-imports") or "lint-imports"]
    return subprocess.run([*command, "--no-cache"], cwd=folder, capture_output=True, text=True,
                          env={"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(folder)},
                          check=False)


def test_the_package_keeps_its_layers():
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{CONTRACT} KEPT" in done.stdout


def test_a_low_module_importing_a_high_one_breaks_the_contract(tmp_path):
    shutil.copytree(ROOT / "remitest", tmp_path / "remitest",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    ledger = tmp_path / "remitest" / "ledger.py"
    ledger.write_text(ledger.read_text() + "\nimport remitest.cli  # a climb: ledger -> cli\n")
    done = _lint_imports(tmp_path)
    assert done.returncode != 0
    assert f"{CONTRACT} BROKEN" in done.stdout
    assert "remitest.ledger -> remitest.cli" in done.stdout


def test_the_user_gets_methods_the_stages_get_the_record(tmp_path):
    from remitest import api, export, fitrecord, posterior
    from remitest.testing import fake_fit

    fit = fake_fit(draws=20)
    assert isinstance(fit, api.Fit) and isinstance(fit, fitrecord.Fit)
    folder = fit.write(tmp_path / "run", figures=False)
    record = export.load_run(folder)
    assert type(record) is fitrecord.Fit and not hasattr(record, "summary")
    loaded = api.load_run(folder)
    assert type(loaded) is api.Fit and loaded.run_id == fit.run_id
    assert loaded.summary().equals(posterior.summary(record))
    assert api.Fit.of(loaded) is loaded
    assert api.Reconciler.record_type is api.Fit
