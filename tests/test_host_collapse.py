"""Smoke version of benchmarks/host_collapse.py (the committed study runs 20 ledgers)."""

import pytest
from _benchmarks import load_benchmark

pytestmark = [pytest.mark.slow, pytest.mark.sampler]



def test_two_ledgers_follow_the_collapse_where_claims_show_it():
    study = load_benchmark("host_collapse")
    table = study.study(2, draws=500, first_seed=2)  # ledgers 2 and 3 hold post-2019 Russia claims
    summary = study.summary(table).set_index("measure")["value"]
    assert len(table) == 2 and table["gate_passed"].dtype == bool
    world = summary.filter(like="world workers").iloc[0]
    host = summary.filter(like="russia workers").iloc[0]
    assert world >= 0.8 and host >= 0.8  # the criterion, on 2 x 4 host-years
    assert table["fall_detected"].all()
    assert (table["change_q95"] < 0).all() and (table["true_change"] < -1.5).all()
