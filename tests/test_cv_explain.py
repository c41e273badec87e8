"""benchmarks/cv_explain.py: the calibrated reference and the join to the simulator's record."""

import numpy as np
import pandas as pd
import pytest
from _benchmarks import load_benchmark

import remitest as rt

explain = load_benchmark("cv_explain")


def _claims(n: int, inside: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    in_90 = np.arange(n) < round(inside * n)
    return pd.DataFrame({
        "quantity": "workers", "measure": "headcount", "kind": "point",
        "estimator_type": rng.choice(["media", "government"], n), "years_from_pin": "0-2",
        "in_90": in_90, "pit": np.where(in_90, 0.5, 0.99), "diagnostics_passed": True,
    })


def test_calibrated_reference_grows_surer_with_the_subgroup():
    small, _ = explain.calibrated_reference(_claims(40, 0.9), draws=4000)
    large, every = explain.calibrated_reference(_claims(1000, 0.8), draws=4000)
    p_small = small.set_index("group").loc["headcount", "p_in_range_if_calibrated"]
    p_large = large.set_index("group").loc["headcount", "p_in_range_if_calibrated"]
    assert 0.5 < p_small < 0.85 < p_large  # binomial(40, 0.9) vs binomial(1000, 0.9)
    assert bool(small.set_index("group").loc["headcount", "in_range"])
    assert not large["in_range"].any()  # 0.8 observed is out of range in every group
    assert 0 < every < 1
    edge, _ = explain.calibrated_reference(_claims(40, 0.85), draws=100)
    assert edge["in_range"].iloc[0]  # 34 of 40 is 0.85: the range includes its ends


def test_misses_are_joined_to_the_simulators_own_record():
    sim = rt.synthetic_ledger(60, random_seed=5)
    known = sim.truth["claims"]
    written = sim.ledger.to_frame().set_index("id").loc[known["id"]]
    claims = pd.DataFrame({"id": known["id"], "ledger": 5, "in_90": True, "pit": 0.5,
                           "estimator": written["estimator"].to_numpy(str),
                           "quantity": written["quantity"].to_numpy(str)})
    joined = explain.with_simulator_truth(claims, "synthetic", 60)
    assert joined["bias"].tolist() == pytest.approx(known["bias"].tolist())
    table = explain.misses_by_cause(joined)
    assert set(table["by"]) == {"abs_bias", "outlier"}
    assert set(table["quantity"]) == set(claims["quantity"])
    assert table.groupby("by")["n_claims"].sum().eq(len(claims)).all()
    for size in (40, 80):  # fewer claims lose ids; more keep them, with other sources
        with pytest.raises(ValueError, match="wrong --claims"):
            explain.with_simulator_truth(claims, "synthetic", size)
