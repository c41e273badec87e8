"""The realistic simulated ledgers (the yardstick's ledgers): valid, varied, and seeded."""

import numpy as np
import pytest

import remitest as rt
from remitest.simulate import synthetic_ledger
from remitest.simulate.synthetic import SYNTHETIC_HOSTS


@pytest.mark.parametrize("n", [10, 60, 150])
def test_synthetic_ledger_is_a_valid_ledger_of_the_asked_size(n):
    sim = synthetic_ledger(n, random_seed=n)
    assert len(sim.ledger) == n
    frame = sim.ledger.to_frame()
    assert set(frame["scope"]) <= {"world", *sim.config.hosts, *sim.config.scope_groups}
    rt.model_structure(sim.ledger, sim.config)  # the configuration covers it
    assert set(sim.truth["claims"]["id"]) == set(frame["id"])


def test_synthetic_ledger_is_reproducible_and_seeded():
    a = synthetic_ledger(60, random_seed=4).ledger.to_frame()
    b = synthetic_ledger(60, random_seed=4).ledger.to_frame()
    c = synthetic_ledger(60, random_seed=5).ledger.to_frame()
    assert a.equals(b)
    assert not a[["low", "high"]].equals(c[["low", "high"]])


def test_synthetic_ledger_has_what_real_ledgers_have():
    frames = [synthetic_ledger(60, random_seed=s).ledger.to_frame() for s in range(1, 6)]
    frame = np.concatenate([f["kind"] for f in frames])
    assert {"point", "range", "lower_bound", "upper_bound"} <= set(frame)
    everything = __import__("pandas").concat(frames)
    assert (everything["derived_from"].fillna("") != "").mean() > 0.05
    assert (everything["scope"] != "world").mean() > 0.2
    assert {"permits", "gross_earnings", "state_revenue"} <= set(everything["measure"])
    # Most estimators have one or two claims, a few have many.
    counts = frames[0].groupby("estimator").size()
    assert counts.max() >= 4 and (counts <= 2).mean() > 0.4


def test_synthetic_truth_has_the_host_collapse_and_world_is_the_sum():
    series = synthetic_ledger(60, random_seed=1).truth["series"]
    workers = series[series["quantity"] == "workers"].pivot(
        index="year", columns="scope", values="value"
    )
    assert workers.loc[2021, "russia"] / workers.loc[2019, "russia"] < 0.2
    assert workers.loc[2021, "china"] / workers.loc[2019, "china"] > 0.5
    hosts = workers[list(SYNTHETIC_HOSTS)].sum(axis=1)
    np.testing.assert_allclose(hosts, workers["world"])


def test_synthetic_ledger_refuses_a_tiny_ledger():
    with pytest.raises(ValueError, match="n_claims"):
        synthetic_ledger(3)
