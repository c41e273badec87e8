"""benchmarks/cv_explain.py: the calibrated reference and the join to the simulator's record."""

import numpy as np
import pandas as pd
import pytest
from _benchmarks import load_benchmark
from scipy import stats

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
                           "quantity": written["quantity"].to_numpy(str),
                           "scope": written["scope"].to_numpy(str),
                           "estimator_type": written["estimator_type"].to_numpy(str)})
    joined = explain.with_simulator_truth(claims, "synthetic", 60)
    assert joined["bias"].tolist() == pytest.approx(known["bias"].tolist())
    joined = joined.assign(oracle=explain.oracle_coverage(joined, explain.NOISE["synthetic"]))
    table = explain.misses_by_cause(joined)
    assert set(table["by"]) == {"abs_bias", "outlier"}
    assert set(table["quantity"]) == set(claims["quantity"])
    assert table.groupby("by")["n_claims"].sum().eq(len(claims)).all()
    assert table.loc[table["by"] == "abs_bias", "oracle_cover_90"].between(0, 1).all()
    near = explain.near_source_misses(joined)
    assert near["n_claims"].sum() == (joined["bias"].abs() < 0.6).sum()
    assert set(near["period"]) <= {"to 2019", "2020 on"}
    for size in (40, 80):  # fewer claims lose ids; more keep them, with other sources
        with pytest.raises(ValueError, match="wrong --claims"):
            explain.with_simulator_truth(claims, "synthetic", size)


def test_the_oracle_covers_by_the_bias_alone():
    """No bias: inside unless the noise alone leaves the interval; a bias far out: outside."""
    joined = pd.DataFrame({"ledger": 1, "quantity": "workers", "estimator_type": "media",
                           "estimator": ["a", "b", "c", "d"], "bias": [0.0, 0.3, -0.3, 3.0]})
    covered = explain.oracle_coverage(joined, {"media": 0.2})
    rms = np.sqrt(np.mean(np.array([0.0, 0.3, -0.3, 3.0]) ** 2))
    half = 1.6448536269514722 * np.hypot(rms, 0.2)
    expected = stats.norm.cdf(half, loc=[0.0, 0.3, -0.3, 3.0], scale=0.2) - stats.norm.cdf(
        -half, loc=[0.0, 0.3, -0.3, 3.0], scale=0.2)
    np.testing.assert_allclose(covered, expected, rtol=1e-12)
    assert covered[0] > 0.999 and covered[1] == pytest.approx(covered[2])
    assert covered[3] < 0.5  # 3.0 lies beyond the interval's half-width (2.5)
