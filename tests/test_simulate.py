"""Simulated ledgers: same claims as the template, new figures, known truths."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from remitest import kernel
from remitest.config import ModelConfig
from remitest.ledger import Ledger, load_ledger
from remitest.model import model_structure
from remitest.simulate import SimulatedLedger, draw_prior, simulate_ledger

DEFAULT = ModelConfig()
BOTH_CENSORED = DEFAULT.replace(interpretation={"upper_bound": "censored"})
KEPT_FIELDS = ["quantity", "estimator", "estimator_type", "scope", "ref_start", "ref_end"]


@cache
def template() -> Ledger:
    return load_ledger()


@cache
def simulated(seed: int, config: str = "default") -> SimulatedLedger:
    cfg = {"default": DEFAULT, "both_censored": BOTH_CENSORED}[config]
    return simulate_ledger(template(), cfg, random_seed=seed)


@pytest.mark.parametrize("config", ["default", "both_censored"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_keeps_the_template_claims(seed, config):
    sim = simulated(seed, config)
    originals = template().originals().to_frame().set_index("id")
    frame = sim.ledger.to_frame().set_index("id")
    assert isinstance(sim.ledger, Ledger)
    assert frame["derived_from"].isna().all()  # repeats are left out
    # every original is either kept (same position order) or listed as dropped
    assert list(frame.index) == [i for i in originals.index if i not in sim.dropped]
    assert set(sim.dropped) <= set(originals.index)
    interp = (DEFAULT if config == "default" else BOTH_CENSORED).interpretation
    for claim_id in sim.dropped:  # only a censored bound whose opposite is not censored
        kind = originals.loc[claim_id, "kind"]
        opposite = "upper_bound" if kind == "lower_bound" else "lower_bound"
        assert kind.endswith("_bound")
        assert getattr(interp, kind) == "censored" != getattr(interp, opposite)
    kept = originals.loc[frame.index]
    for field in KEPT_FIELDS:
        assert (frame[field] == kept[field]).all(), field
    for claim_id, row in frame.iterrows():
        old_kind = kept.loc[claim_id, "kind"]
        if row["kind"] != old_kind:
            # a censored bound flipped to the opposite censored bound at the same figure
            assert {row["kind"], old_kind} == {"lower_bound", "upper_bound"}
            assert interp.lower_bound == interp.upper_bound == "censored"
            figure = row["low"] if row["kind"] == "lower_bound" else row["high"]
            old = kept.loc[claim_id, "low" if old_kind == "lower_bound" else "high"]
            assert figure == old


def test_seeds_above_cover_dropped_and_flipped_bounds():
    assert any(simulated(seed).dropped for seed in range(4))
    originals = template().originals().to_frame().set_index("id")["kind"]
    flipped = [
        claim_id
        for seed in range(4)
        for claim_id, kind in simulated(seed, "both_censored")
        .ledger.to_frame()
        .set_index("id")["kind"]
        .items()
        if kind != originals[claim_id]
    ]
    assert flipped


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_figures_are_positive_finite_and_shaped_by_kind(seed):
    sim = simulated(seed)
    frame = sim.ledger.to_frame().set_index("id")
    originals = template().originals().to_frame().set_index("id")
    ratio = DEFAULT.interpretation.bound_ratio
    for claim_id, row in frame.iterrows():
        kind = row["kind"]
        if kind in ("point", "range"):
            assert np.isfinite([row["low"], row["high"]]).all()
            assert 0 < row["low"] <= row["high"]
        if kind == "point":
            assert row["low"] == row["high"]
        if kind == "range":  # keeps the template's log-width
            width = np.log(originals.loc[claim_id, "high"] / originals.loc[claim_id, "low"])
            np.testing.assert_allclose(np.log(row["high"] / row["low"]), width, rtol=1e-9)
        if kind == "upper_bound":
            assert np.isnan(row["low"]) and np.isfinite(row["high"]) and row["high"] > 0
        if kind == "lower_bound":
            assert np.isnan(row["high"]) and np.isfinite(row["low"]) and row["low"] > 0
            # the default reads "more than X" as censored: the figure is the template's
            assert row["low"] == originals.loc[claim_id, "low"]
    assert ratio > 1


def test_valid_ledger_that_round_trips(tmp_path):
    sim = simulated(0)
    path = tmp_path / "simulated.csv"
    sim.ledger.to_csv(path)
    again = load_ledger(path)
    assert again.sha256 == sim.ledger.sha256
    assert Ledger.from_frame(sim.ledger.to_frame()).sha256 == sim.ledger.sha256
    # the simulated ledger fits the template's structure (its years and pin held, as sweeps do:
    # a dropped early claim would otherwise move the default years)
    from remitest.checks._sweep import sweep_config

    cfg = sweep_config(DEFAULT, template())
    assert model_structure(template(), cfg).covers(model_structure(sim.ledger, cfg))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_truth_obeys_the_identity(seed):
    truth = simulated(seed).truth
    n_years = len(model_structure(template()).years)
    for name in ("workers", "per_worker_usd", "remittances_usd"):
        assert truth[name].shape == (n_years,)
        assert np.all(np.isfinite(truth[name])) and np.all(truth[name] > 0)
    np.testing.assert_allclose(
        truth["remittances_usd"], truth["workers"] * truth["per_worker_usd"], rtol=1e-12
    )
    np.testing.assert_allclose(truth["host_share"].sum(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(truth["workers_host"].sum(axis=0), truth["workers"], rtol=1e-12)
    np.testing.assert_allclose(
        truth["workers_host"], truth["host_share_by_year"] * truth["workers"], rtol=1e-12
    )
    np.testing.assert_allclose(
        truth["remittances_usd_host"].sum(axis=0), truth["remittances_usd"], rtol=1e-12
    )
    assert truth["estimator_bias"].shape == (len(template().estimators()), 3)
    assert np.all(truth["noise_sd"] > 0)


def test_reproducible_with_a_seed_and_different_with_another():
    a = simulate_ledger(template(), random_seed=11)
    b = simulate_ledger(template(), random_seed=11)
    c = simulate_ledger(template(), random_seed=12)
    assert a.ledger.sha256 == b.ledger.sha256
    assert a.dropped == b.dropped
    for name in a.truth:
        np.testing.assert_array_equal(a.truth[name], b.truth[name])
    assert a.ledger.sha256 != c.ledger.sha256
    assert not np.array_equal(a.truth["workers"], c.truth["workers"])
    # a Generator works as a seed too
    d = simulate_ledger(template(), random_seed=np.random.default_rng(11))
    assert d.ledger.sha256 == a.ledger.sha256


def test_draw_prior_shapes_and_reproducibility():
    structure = model_structure(template())
    layout = kernel.layout_for(structure)
    x1 = draw_prior(layout, DEFAULT, np.random.default_rng(3))
    x2 = draw_prior(layout, DEFAULT, np.random.default_rng(3))
    assert x1.shape == (layout.n_dim,)
    assert np.all(np.isfinite(x1))
    np.testing.assert_array_equal(x1, x2)
