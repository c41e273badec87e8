"""The claim outlier option (``priors.claim_outlier_weight``): one writing, read the same way
by the likelihood's numpy twin, the predictions, the checks and the simulator. No sampler.

The PyMC model and the numba kernel agree on it through tests/test_kernel.py's parity cases
``claim_outliers`` and ``claim_outliers_simulated``.
"""

import numpy as np
import pytest
from scipy import integrate, special, stats

import remitest as rt
from remitest import forward

LOC = np.array([0.0, 1.0, -0.5, 2.0])
SCALE = np.array([0.2, 0.5, 0.1, 0.3])


def test_with_no_weight_the_claim_is_one_normal_bit_for_bit():
    value = np.array([0.1, 0.2, -0.9, 2.0])
    direction = np.array([0.0, 1.0, -1.0, 0.0])
    z = (value - LOC) / SCALE
    expected = np.where(direction > 0, special.log_ndtr(-z),
                        np.where(direction < 0, special.log_ndtr(z),
                                 -0.5 * z**2 - np.log(SCALE) - 0.5 * np.log(2 * np.pi)))
    np.testing.assert_array_equal(forward.claim_log_density(value, LOC, SCALE, direction),
                                  expected)
    np.testing.assert_array_equal(forward.claim_cdf(value, LOC, SCALE), special.ndtr(z))
    draws = forward.claim_draw(LOC, SCALE, np.random.default_rng(4))
    np.testing.assert_array_equal(draws, np.random.default_rng(4).normal(LOC, SCALE))


def test_the_mixture_is_a_density_its_cdf_and_its_draws_agree():
    w, extra = 0.05, 1.0
    wide = np.sqrt(SCALE**2 + extra**2)
    for loc, sd, sd_wide in zip(LOC, SCALE, wide, strict=True):
        total, _ = integrate.quad(
            lambda x, loc=loc, sd=sd: np.exp(forward.claim_log_density(
                x, loc, sd, 0.0, outlier_weight=w, outlier_sd=extra)), -np.inf, np.inf)
        assert total == pytest.approx(1.0, abs=1e-7)
        x = loc + 0.7
        mixed = (1 - w) * stats.norm.cdf(x, loc, sd) + w * stats.norm.cdf(x, loc, sd_wide)
        assert forward.claim_cdf(x, loc, sd, outlier_weight=w) == pytest.approx(mixed, rel=1e-12)
        # a censored bound: the probability of the side it states, under the mixture
        up = forward.claim_log_density(x, loc, sd, 1.0, outlier_weight=w, outlier_sd=extra)
        down = forward.claim_log_density(x, loc, sd, -1.0, outlier_weight=w, outlier_sd=extra)
        assert np.exp(up) == pytest.approx(1 - mixed, rel=1e-9)
        assert np.exp(down) == pytest.approx(mixed, rel=1e-9)
    draws = forward.claim_draw(np.zeros(200_000), np.full(200_000, 0.2),
                               np.random.default_rng(0), outlier_weight=w, outlier_sd=extra)
    grid = np.array([-1.5, -0.3, 0.0, 0.25, 2.0])
    expected = forward.claim_cdf(grid, 0.0, 0.2, outlier_weight=w, outlier_sd=extra)
    np.testing.assert_allclose((draws[:, None] <= grid).mean(axis=0), expected, atol=0.004)
    # the tails are the outliers': beyond 1 (x2.7) a plain 0.2 normal has 3e-7
    assert (np.abs(draws) > 1.0).mean() == pytest.approx(w * 2 * special.ndtr(-1 / 1.0198),
                                                         abs=0.002)


def test_the_weight_is_checked():
    with pytest.raises(rt.ConfigError, match=r"claim_outlier_weight = 0\.5: must lie in"):
        rt.ModelConfig().replace(priors={"claim_outlier_weight": 0.5})
    with pytest.raises(rt.ConfigError, match="claim_outlier_sd"):
        rt.ModelConfig().replace(priors={"claim_outlier_sd": 0.0})


def test_predictions_read_the_mixture_and_the_tables_name_it():
    from remitest.testing import fake_fit

    config = rt.ModelConfig().replace(priors={"claim_outlier_weight": 0.1})
    plain, mixed = fake_fit(draws=1000), fake_fit(config=config, draws=1000)
    a, b = plain.predict_claims(), mixed.predict_claims()
    # the same posterior; wider predictive 90% intervals on the whole (an outlier is possible)
    width = {k: np.log(t["pred_q95"] / t["pred_q05"]).mean() for k, t in (("a", a), ("b", b))}
    assert width["b"] > 1.05 * width["a"]  # 1.10 here; Monte Carlo noise about 0.01
    # percentiles are the mixture's CDF (pulled towards 0.5 where the plain one is extreme)
    dist = rt.predictive.claim_distribution(mixed, mixed.ledger.originals())
    assert dist.outlier_weight == 0.1
    plain_cdf = special.ndtr((dist.value - dist.location) / dist.scale)
    np.testing.assert_allclose(dist.cdf(), 0.9 * plain_cdf + 0.1 * special.ndtr(
        (dist.value - dist.location) / np.sqrt(dist.scale**2 + 1.0)))
    from remitest.checks.loo import pointwise_log_likelihood

    ll_plain = pointwise_log_likelihood(plain)["claims"].to_numpy()
    ll_mixed = pointwise_log_likelihood(mixed)["claims"].to_numpy()
    assert (ll_mixed >= ll_plain + np.log(0.9) - 1e-12).all()
    from remitest.tables import fixed_parameters

    fixed = fixed_parameters(mixed).set_index("parameter")["value"]
    assert fixed["priors.claim_outlier_weight"] == 0.1 and fixed["priors.claim_outlier_sd"] == 1.0


def test_the_outlier_sd_must_be_finite_and_the_prior_spread_shows_the_term():
    with pytest.raises(rt.ConfigError, match="claim_outlier_sd = nan"):
        rt.ModelConfig().replace(priors={"claim_outlier_sd": float("nan")})
    plain = rt.checks.claim_spread_prior(random_seed=1).set_index("term")
    mixed = rt.checks.claim_spread_prior(
        rt.ModelConfig().replace(priors={"claim_outlier_weight": 0.2}), random_seed=1
    ).set_index("term")
    assert "an outlying claim (the option; its share of claims)" in mixed.index
    assert not any("outlying" in t for t in plain.index)
    together = "all together: a round point claim by a new source, workers"
    # drawn after the others: every other row is the default's, and the total is wider
    shared = [t for t in plain.index if t != together and not t.startswith("all together")]
    assert plain.loc[shared].equals(mixed.loc[shared])
    assert mixed.loc[together, "q95"] > plain.loc[together, "q95"]
