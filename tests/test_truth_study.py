"""Smoke version of benchmarks/truth_study.py (the committed study: 40 ledgers per simulator)."""

import importlib.util
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.sampler]


def _study_module():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "truth_study.py"
    spec = importlib.util.spec_from_file_location("truth_study", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_two_ledgers_per_simulator_are_scored_against_the_truth():
    study = _study_module()
    table, gates = study.study(["synthetic", "field"], 1, draws=500)
    assert len(gates) == 2 and set(gates["simulator"]) == {"synthetic", "field"}
    assert gates["ledger"].tolist() == [study.FIRST_REPORTING_SEED] * 2  # reporting seeds only
    # no failed fit is counted
    assert set(table["ledger"].astype(str) + table["simulator"]) == {
        f"{r.ledger}{r.simulator}" for r in gates.itertuples() if r.passed}
    text = study.report(table, gates)
    for heading in ("## Gate", "## By series", "## By series and year band", "## Overall"):
        assert heading in text
    # every series the truth holds and the fit models is scored
    assert {"workers", "remittances_usd", "per_worker_usd"} <= set(table["quantity"])
    assert table["interval_score"].gt(0).all() and table["crps"].gt(0).all()
