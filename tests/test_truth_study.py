"""Smoke version of benchmarks/truth_study.py (the committed study: 120 ledgers per simulator)."""

import pytest
from _benchmarks import load_benchmark

pytestmark = [pytest.mark.slow, pytest.mark.sampler]



def test_two_ledgers_per_simulator_are_scored_against_the_truth():
    study = load_benchmark("truth_study")
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
