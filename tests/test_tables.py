"""Prior-versus-posterior tables on fake fits with known answers (no sampler)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from remitest import tables
from remitest.ledger import ESTIMATOR_TYPES, QUANTITIES
from remitest.testing import fake_fit

HOSTS = ("china", "russia", "rest_of_world")


def test_estimators_table_priors_analytic(fit):
    table = tables.estimators_table(fit)
    priors = fit.config.priors
    bias = table[table["parameter"] == "estimator_bias"]
    assert len(bias) == len(fit.structure.estimators) * len(QUANTITIES)
    # bias = bias_sd * z, bias_sd lognormal: checked against a large prior sample.
    rng = np.random.default_rng(0)
    sample = np.exp(
        np.log(priors.bias_sd_median) + priors.bias_sd_log_sd * rng.standard_normal(2_000_000)
    ) * rng.standard_normal(2_000_000)
    np.testing.assert_allclose(bias["prior_sd"], sample.std(), rtol=0.01)
    np.testing.assert_allclose(bias["prior_q05"], np.quantile(sample, 0.05), rtol=0.01)
    np.testing.assert_allclose(bias["prior_q95"], np.quantile(sample, 0.95), rtol=0.01)
    noise = table[table["parameter"] == "noise_sd"].set_index("estimator_type")
    assert list(noise.index) == list(ESTIMATOR_TYPES)
    lognormal = stats.lognorm(s=priors.noise_log_sd, scale=priors.noise_median)
    np.testing.assert_allclose(noise["prior_mean"], lognormal.mean())
    np.testing.assert_allclose(noise["prior_sd"], lognormal.std())
    np.testing.assert_allclose(noise["prior_q05"], lognormal.ppf(0.05))
    np.testing.assert_allclose(noise["prior_q95"], lognormal.ppf(0.95))
    np.testing.assert_allclose(table["sd_ratio"], table["post_sd"] / table["prior_sd"])
    # hand counts on the shipped ledger (originals only)
    assert noise.loc["government", "n_claims"] == 4
    usstate = bias.set_index(["estimator", "quantity"]).loc["US State Department"]
    assert usstate.loc["workers", "n_claims"] == 1
    assert usstate.loc["per_worker_usd", "n_claims"] == 0
    draws = (
        fit.idata.posterior["estimator_bias"]
        .sel(estimator="US State Department", quantity="workers")
        .to_numpy()
        .ravel()
    )
    assert usstate.loc["workers", "post_mean"] == pytest.approx(draws.mean())


def test_host_share_table():
    fit = fake_fit(draws=4_000)
    table = tables.host_share_table(fit)
    conc = np.array([5.0, 3.5, 1.5])
    prior = stats.beta(conc, conc.sum() - conc)
    assert list(table["host"]) == list(HOSTS)
    np.testing.assert_allclose(table["prior_mean"], prior.mean())
    np.testing.assert_allclose(table["prior_q95"], prior.ppf(0.95))
    # the fake posterior is the prior: nothing moved
    assert not table["moved_from_prior"].any()
    assert list(table["n_claims"]) == [1, 1, 0]
    # a share pinned by data moves
    share = fit.idata.posterior["host_share"]
    share.values[...] = share.values.mean(axis=(0, 1))
    assert tables.host_share_table(fit)["moved_from_prior"].all()
