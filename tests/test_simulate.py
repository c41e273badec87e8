"""Simulated ledgers: same claims as the template, new figures, known truths."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from remitest import kernel
from remitest.config import ModelConfig
from remitest.ledger import Ledger, load_ledger
from remitest.model import build_model, claim_blocks, model_structure
from remitest.simulate import SimulatedLedger, draw_prior, simulate_ledger

DEFAULT = ModelConfig()
BOTH_CENSORED = DEFAULT.replace(interpretation={"upper_bound": "censored"})
KEPT_FIELDS = ["quantity", "estimator", "estimator_type", "scope", "ref_start", "ref_end"]


@cache
def template() -> Ledger:
    return load_ledger("seeds")


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
    assert list(frame.index) == list(originals.index)  # every original kept, none dropped
    interp = (DEFAULT if config == "default" else BOTH_CENSORED).interpretation
    for field in KEPT_FIELDS:
        assert (frame[field] == originals[field]).all(), field
    reading = frame["reading"] if "reading" in frame else pd.Series(np.nan, index=frame.index)
    for claim_id, row in frame.iterrows():
        old_kind = originals.loc[claim_id, "kind"]
        if row["kind"] == old_kind:
            assert pd.isna(reading[claim_id])
            continue
        # a censored bound flipped to the opposite bound at the same figure, read as censored
        assert {row["kind"], old_kind} == {"lower_bound", "upper_bound"}
        assert getattr(interp, old_kind) == "censored"
        assert reading[claim_id] == "censored"
        figure = row["low"] if row["kind"] == "lower_bound" else row["high"]
        assert figure == originals.loc[claim_id, "low" if old_kind == "lower_bound" else "high"]


def _flipped(config: str) -> list[str]:
    originals = template().originals().to_frame().set_index("id")["kind"]
    return [
        claim_id
        for seed in range(12)
        for claim_id, kind in simulated(seed, config).ledger.to_frame().set_index("id")["kind"]
        .items()
        if kind != originals[claim_id]
    ]


def test_seeds_above_cover_flipped_bounds_under_both_configurations():
    assert _flipped("default") and _flipped("both_censored")


def test_a_flipped_bound_is_read_as_censored_under_the_default():
    seed = next(s for s in range(12) if "reading" in simulated(s).ledger.to_frame())
    ledger = simulated(seed).ledger
    structure = model_structure(ledger)
    _, censored = claim_blocks(ledger, structure, DEFAULT)
    flipped = ledger.to_frame().query("reading == 'censored'")
    assert (flipped["kind"] == "upper_bound").all()  # "as high as" defaults to an interval end
    assert set(flipped["id"]) <= set(censored.ids)


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
    # the simulated ledger fits the template's structure (its years and pin held, as sweeps do)
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
    model = build_model(template(), DEFAULT, structure=structure)
    x1 = draw_prior(model, layout, np.random.default_rng(3))
    x2 = draw_prior(model, layout, np.random.default_rng(3))
    assert x1.shape == (layout.n_dim,)
    assert np.all(np.isfinite(x1))
    np.testing.assert_array_equal(x1, x2)
    assert draw_prior(model, layout, np.random.default_rng(3), draws=5).shape == (5, layout.n_dim)


def test_draw_prior_follows_the_layout_and_the_model_priors():
    """Each layout slice holds its PyMC variable, transformed: moments match pm.draw's."""
    import pymc as pm
    from scipy import special

    structure = model_structure(template())
    layout = kernel.layout_for(structure)
    model = build_model(template(), DEFAULT, structure=structure)
    n = 4000
    x = draw_prior(model, layout, np.random.default_rng(0), draws=n)
    reference = dict(zip([rv.name for rv in model.free_RVs],
                         pm.draw(model.free_RVs, draws=n, random_seed=1), strict=True))
    for name, sl in layout.slices().items():
        rv = name.removesuffix("_log__").removesuffix("_logodds__")
        expected = reference[rv].reshape(n, -1)
        expected = np.log(expected) if name.endswith("_log__") else expected
        if name.endswith("_logodds__"):
            expected = np.log(expected) - np.log1p(-expected)
        got = x[:, sl]
        assert got.shape == expected.shape, name
        se = expected.std(axis=0) / np.sqrt(n)
        assert np.all(np.abs(got.mean(axis=0) - expected.mean(axis=0)) < 5 * np.sqrt(2) * se), name
        np.testing.assert_allclose(got.std(axis=0), expected.std(axis=0), rtol=0.1, err_msg=name)
    # and against the configured priors, so the slices are not merely self-consistent
    p = DEFAULT.priors
    sl = layout.slices()
    for name, mean, sd in [
        ("log_workers_pinned", np.log(p.workers_median), p.workers_log_sd),
        ("workers_step_sd_log__", np.log(p.workers_step_sd), p.step_sd_log_sd),
        ("bias_sd_log__", np.log(p.bias_sd_median), p.bias_sd_log_sd),
        ("noise_sd_log__", np.log(p.noise_median), p.noise_log_sd),
    ]:
        np.testing.assert_allclose(x[:, sl[name]].mean(axis=0), mean, atol=5 * sd / np.sqrt(n))
        np.testing.assert_allclose(x[:, sl[name]].std(axis=0), sd, rtol=0.1)
    alpha = np.array([p.host_share_concentration[h] for h in structure.hosts])
    log_weight = x[:, sl["host_weight_log__"]]
    np.testing.assert_allclose(log_weight.mean(axis=0), special.digamma(alpha),
                               atol=5 * np.sqrt(special.polygamma(1, alpha).max() / n))
