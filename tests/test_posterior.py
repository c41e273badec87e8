"""Posterior products on fake fits with known answers (no sampler)."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from remitest import posterior
from remitest.claims import normal_quantile
from remitest.config import ModelConfig
from remitest.ledger import ESTIMATOR_TYPES, QUANTITIES, Ledger, load_ledger
from remitest.testing import fake_fit

HOSTS = ("china", "russia", "rest_of_world")
SCOPES = ("world", *HOSTS)


@pytest.fixture(scope="module")
def fit():
    return fake_fit(chains=2, draws=300, random_seed=3)


def degenerate_fit(
    *, workers=80_000.0, per_worker=6_000.0, bias=0.1, type_bias=0.05, noise=0.2, draws=2_000
):
    """Posterior concentrated on known values: series, biases and noise all (nearly) constant."""
    fit = fake_fit(
        chains=2,
        draws=draws,
        log_sd=1e-12,
        workers_median=workers,
        per_worker_median_usd=per_worker,
        random_seed=1,
    )
    post = fit.idata.posterior
    post["estimator_bias"].values[...] = bias
    post["type_bias"].values[...] = type_bias
    post["noise_sd"].values[...] = noise
    return fit


def ledger_with(frame: pd.DataFrame) -> Ledger:
    return Ledger.from_frame(frame)


# -- summary --------------------------------------------------------------------------------------
def test_summary_columns_shape_dtypes(fit):
    table = posterior.summary(fit)
    assert tuple(table.columns) == posterior.SUMMARY_COLUMNS
    assert len(table) == len(QUANTITIES) * len(SCOPES) * len(fit.years)
    assert table["year"].dtype == np.int64 and table["n_claims"].dtype == np.int64
    for column in posterior.STAT_COLUMNS:
        assert table[column].dtype == np.float64
    # deterministic order: quantity, scope (world then hosts), year
    assert list(dict.fromkeys(table["quantity"])) == list(QUANTITIES)
    assert list(dict.fromkeys(table["scope"])) == list(SCOPES)
    assert (
        table.groupby(["quantity", "scope"], sort=False)["year"]
        .apply(lambda y: y.is_monotonic_increasing)
        .all()
    )
    ordered = table[["q05", "q25", "median", "q75", "q95"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()
    assert fit.summary().equals(table)


def test_summary_one_cell_by_hand(fit):
    table = posterior.summary(fit, hdi_prob=0.8)
    row = table.query("quantity == 'workers' and scope == 'china' and year == 2016").iloc[0]
    draws = fit.idata.posterior["workers_host"].sel(host="china", year=2016).to_numpy().ravel()
    assert row["mean"] == pytest.approx(draws.mean(), rel=1e-12)
    assert row["sd"] == pytest.approx(draws.std(ddof=1), rel=1e-10)
    expected = np.quantile(draws, [0.05, 0.25, 0.5, 0.75, 0.95])
    np.testing.assert_allclose(
        row[["q05", "q25", "median", "q75", "q95"]].to_numpy(float), expected, rtol=1e-12
    )
    np.testing.assert_allclose(
        row[["hdi_low", "hdi_high"]].to_numpy(float), az.hdi(draws, hdi_prob=0.8), rtol=1e-12
    )


def test_host_per_worker_equals_world(fit):
    table = posterior.summary(fit).query("quantity == 'per_worker_usd'")
    stats_ = list(posterior.STAT_COLUMNS)
    world = table.query("scope == 'world'")[stats_].to_numpy()
    for host in HOSTS:
        np.testing.assert_array_equal(table[table["scope"] == host][stats_].to_numpy(), world)


def test_hdi_on_known_distribution():
    n = 200_001
    normal = stats.norm.ppf((np.arange(n) + 0.5) / n)[::-1].reshape(1, n)
    low, high = posterior.hdi(normal, 0.9)
    assert low == pytest.approx(-1.644854, abs=1e-3) and high == pytest.approx(1.644854, abs=1e-3)
    # a skewed distribution: the HDI of an exponential starts at 0
    expo = stats.expon.ppf((np.arange(n) + 0.5) / n).reshape(1, n)
    low, high = posterior.hdi(expo, 0.9)
    assert low == pytest.approx(0.0, abs=1e-4) and high == pytest.approx(-np.log(0.1), rel=1e-3)


def test_hdi_matches_arviz_cell_by_cell():
    draws = np.random.default_rng(0).gamma(2.0, size=(3, 500, 4, 2))
    ours = posterior.hdi(draws, 0.85)
    assert ours.shape == (4, 2, 2)
    for i in range(4):
        for j in range(2):
            np.testing.assert_array_equal(ours[i, j], az.hdi(draws[:, :, i, j].ravel(), 0.85))


def test_n_claims_hand_count(fit):
    # shipped ledger originals (the 2023 repeat of the US State Department figure excluded):
    # 2015 Darusman; 2016 SCMP x2 + KINU x2; 2017 US State x2 + experts (2017-2019);
    # 2018-2019 experts; 2024 the china_russia media estimate.
    counts = (
        posterior.summary(fit)
        .query("quantity == 'workers'")
        .pivot(index="year", columns="scope", values="n_claims")
    )
    world = {2013: 0, 2014: 0, 2015: 1, 2016: 4, 2017: 3, 2018: 1, 2019: 1, 2020: 0, 2024: 1}
    for year, n in world.items():
        assert counts.loc[year, "world"] == n
    assert counts.loc[2024, "china"] == 1 and counts.loc[2024, "russia"] == 1
    assert counts.loc[2024, "rest_of_world"] == 0
    assert counts.loc[2016, "rest_of_world"] == 4  # world claims overlap every host


def test_series(fit):
    table = posterior.series(fit, "remittances_usd", "russia")
    assert list(table.index) == list(fit.years) and table.index.name == "year"
    full = posterior.summary(fit).query("quantity == 'remittances_usd' and scope == 'russia'")
    np.testing.assert_allclose(table["median"].to_numpy(), full["median"].to_numpy())
    np.testing.assert_array_equal(table["n_claims"].to_numpy(), full["n_claims"].to_numpy())
    with pytest.raises(ValueError, match="valid quantities are"):
        posterior.series(fit, "remittance")
    with pytest.raises(ValueError, match=r"valid scopes are \['world', 'china'"):
        posterior.series(fit, "workers", "mongolia")


# -- joint draws ----------------------------------------------------------------------------------
def test_joint_draws_layout_and_identity(fit):
    table = posterior.joint_draws(fit)
    chains, draws = 2, 300
    assert list(table.columns) == ["chain", "draw", "year", "scope", *QUANTITIES]
    assert len(table) == chains * draws * len(fit.years) * len(SCOPES)
    assert list(table["scope"].cat.categories) == list(SCOPES)
    np.testing.assert_allclose(
        table["remittances_usd"], table["workers"] * table["per_worker_usd"], rtol=1e-12
    )
    assert fit.draws().equals(table)


def test_joint_draws_rows_are_one_sample(fit):
    table = posterior.joint_draws(fit).set_index(["chain", "draw", "year", "scope"])
    post = fit.idata.posterior
    for chain, draw, year in [(0, 0, 2013), (1, 17, 2016), (1, 299, 2024)]:
        rows = table.loc[(chain, draw, year)]
        point = post.sel(chain=chain, draw=draw, year=year)
        assert rows.loc["world", "workers"] == point["workers"].item()
        assert rows.loc["world", "remittances_usd"] == point["remittances_usd"].item()
        for host in HOSTS:
            assert rows.loc[host, "workers"] == point["workers_host"].sel(host=host).item()
        # same sample in every scope: one per-worker amount, hosts sum to the world
        assert rows["per_worker_usd"].nunique() == 1
        assert rows.loc[list(HOSTS), "workers"].sum() == pytest.approx(
            rows.loc["world", "workers"], rel=1e-12
        )


# -- derived --------------------------------------------------------------------------------------
def test_cumulative_is_sum_of_yearly_draws(fit):
    table = posterior.cumulative(fit, "remittances_usd", 2016, 2019)
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["scope"], row["start"], row["end"]) == ("world", 2016, 2019)
    total = fit.idata.posterior["remittances_usd"].sel(year=slice(2016, 2019)).sum("year")
    total = total.to_numpy().ravel()
    assert row["mean"] == pytest.approx(total.mean(), rel=1e-12)
    assert row["q95"] == pytest.approx(np.quantile(total, 0.95), rel=1e-12)
    assert fit.cumulative("remittances_usd", 2016, 2019).equals(table)
    with pytest.raises(ValueError, match="start=2030"):
        posterior.cumulative(fit, start=2030)


def test_year_on_year(fit):
    table = posterior.year_on_year(fit, "workers", "china")
    assert list(table["year"]) == list(fit.years[1:])
    host = fit.idata.posterior["workers_host"].sel(host="china")
    change = (host.sel(year=2017) / host.sel(year=2016)).to_numpy().ravel() - 1
    row = table.query("year == 2017").iloc[0]
    assert row["median"] == pytest.approx(np.median(change), rel=1e-12)
    assert row["scope"] == "china" and row["quantity"] == "workers_year_on_year"
    assert fit.year_on_year("workers", "china").equals(table)


def test_derive_labels_and_errors(fit):
    table = fit.derive(lambda p: p.remittances_usd / p.workers, name="ratio")
    assert list(table.columns[:3]) == ["year", "scope", "quantity"]
    assert len(table) == len(SCOPES) * len(fit.years)
    np.testing.assert_allclose(
        table["median"], posterior.summary(fit).query("quantity == 'per_worker_usd'")["median"]
    )
    scalar = posterior.derive(fit, lambda p: p.workers.to_numpy()[:, :, 0, 0], name="w0")
    assert len(scalar) == 1 and scalar["quantity"].iloc[0] == "w0"
    with pytest.raises(ValueError, match="chain"):
        posterior.derive(fit, lambda p: p.workers.mean("draw"), name="bad")
    with pytest.raises(ValueError, match="shape"):
        posterior.derive(fit, lambda p: np.ones(3), name="bad")


# -- claim predictions ----------------------------------------------------------------------------
def test_predict_claims_columns(fit):
    table = posterior.predict_claims(fit, fit.ledger, random_seed=0)
    assert tuple(table.columns) == posterior.PREDICTION_COLUMNS
    assert len(table) == len(fit.ledger)
    assert table["used"].dtype == bool and table["ref_start"].dtype == np.int64
    assert ((table["pit"] >= 0) & (table["pit"] <= 1)).all()
    assert not table.set_index("id").loc["envoys2023-usstate-workers", "used"]
    assert table.drop(columns="id")["used"].sum() == len(fit.ledger.originals())
    preds = table[["pred_q05", "pred_q25", "pred_q50", "pred_q75", "pred_q95"]].to_numpy()
    assert (np.diff(preds, axis=1) >= 0).all()
    again = posterior.predict_claims(fit, fit.ledger, random_seed=0)
    assert again.equals(table)
    assert fit.predict_claims(random_seed=0).equals(table)


def test_pit_closed_form_degenerate():
    fit = degenerate_fit()
    table = posterior.predict_claims(fit, fit.ledger, random_seed=0).set_index("id")
    rounding = fit.config.priors.rounding_sd
    m_workers = np.log(80_000.0) + 0.1
    s = np.hypot(0.2, rounding)
    # point claim: "100,000 workers"
    expected = special.ndtr((np.log(1e5) - m_workers) / s)
    assert table.loc["usstate2017-workers", "pit"] == pytest.approx(expected, abs=1e-9)
    # its predictive quantiles: lognormal around exp(m), from 4,000 predictive draws
    z = normal_quantile(np.array([0.05, 0.5, 0.95]))
    np.testing.assert_allclose(
        table.loc["usstate2017-workers", ["pred_q05", "pred_q50", "pred_q95"]].to_numpy(float),
        np.exp(m_workers + s * z),
        rtol=0.03,
    )
    # range claim: belief median at the log-midpoint, spread from its half-width
    spread = (np.log(60_000) - np.log(50_000)) / 2 / normal_quantile(0.9)
    expected = special.ndtr(
        (np.log(np.sqrt(50_000 * 60_000)) - m_workers) / np.sqrt(s**2 + spread**2)
    )
    assert table.loc["scmp2016-workers", "pit"] == pytest.approx(expected, abs=1e-9)
    assert table.loc["scmp2016-workers", "reported_value"] == pytest.approx(
        np.sqrt(50_000 * 60_000)
    )
    # remittances: workers x per-worker amount
    m_remit = np.log(80_000.0 * 6_000.0) + 0.1
    expected = special.ndtr((np.log(5e8) - m_remit) / s)
    assert table.loc["usstate2017-remittances", "pit"] == pytest.approx(expected, abs=1e-9)


def test_pit_censored_claim():
    fit = degenerate_fit()
    table = posterior.predict_claims(fit, fit.ledger, random_seed=0).set_index("id")
    s = np.hypot(0.2, fit.config.priors.rounding_sd)
    # "more than 50,000" is censored by default: the CDF at the bound
    expected = special.ndtr((np.log(50_000) - np.log(80_000.0) - 0.1) / s)
    assert table.loc["un-darusman2015-workers", "pit"] == pytest.approx(expected, abs=1e-9)
    assert table.loc["un-darusman2015-workers", "reported_value"] == pytest.approx(50_000)
    # "as high as 150,000" read as censored too
    config = ModelConfig().replace(interpretation={"upper_bound": "censored"})
    fit_c = degenerate_fit()
    fit_c.config = config
    row = posterior.predict_claims(fit_c, fit_c.ledger, random_seed=0).set_index("id")
    expected = special.ndtr((np.log(150_000) - np.log(80_000.0) - 0.1) / s)
    assert row.loc["kinu-workers", "pit"] == pytest.approx(expected, abs=1e-9)


def test_unseen_estimator_draws_from_hierarchy():
    fit = degenerate_fit(draws=20_000)
    frame = load_ledger().originals().to_frame()
    frame = frame[frame["id"] == "usstate2017-workers"].assign(
        id="new-workers", estimator="A new government", estimator_type="government"
    )
    table = posterior.predict_claims(fit, ledger_with(frame), random_seed=1)
    s = np.hypot(0.2, fit.config.priors.rounding_sd)
    eb = fit.config.priors.estimator_bias_sd
    # bias ~ type_bias (0.05) + N(0, eb^2): the PIT integrates that normal analytically
    expected = special.ndtr((np.log(1e5) - np.log(80_000.0) - 0.05) / np.hypot(s, eb))
    assert table["pit"].iloc[0] == pytest.approx(expected, abs=0.01)
    assert not table["used"].iloc[0]


def test_predict_claims_bad_input(fit):
    frame = load_ledger().to_frame()
    frame = frame[frame["id"] == "trend2024-workers"].assign(
        id="future",
        ref_start=2030,
        ref_end=2030,
        published=pd.Timestamp("2030-01-01"),
        derived_from="",
    )
    with pytest.raises(ValueError, match=r"claim 'future': ref_start-ref_end 2030-2030"):
        posterior.predict_claims(fit, ledger_with(frame))
    empty = posterior.predict_claims(fit, fit.ledger.filter(np.zeros(len(fit.ledger), bool)))
    assert tuple(empty.columns) == posterior.PREDICTION_COLUMNS and len(empty) == 0


def test_claims_table_marks_repeats(fit):
    table = posterior.claims_table(fit).set_index("id")
    assert len(table) == len(fit.ledger)
    note = table.loc["envoys2023-usstate-workers", "note"]
    assert note == "repeat of usstate2017-workers: adds no independent evidence"
    assert not table.loc["envoys2023-usstate-workers", "used"]
    assert (table.drop("envoys2023-usstate-workers")["note"] == "").all()


# -- prior versus posterior -----------------------------------------------------------------------
def test_estimators_table_priors_analytic(fit):
    table = posterior.estimators_table(fit)
    priors = fit.config.priors
    bias = table[table["parameter"] == "estimator_bias"]
    assert len(bias) == len(fit.structure.estimators) * len(QUANTITIES)
    prior = stats.norm(0.0, np.sqrt(priors.type_bias_sd**2 + priors.estimator_bias_sd**2))
    np.testing.assert_allclose(bias["prior_sd"], prior.std())
    np.testing.assert_allclose(bias["prior_q05"], prior.ppf(0.05))
    np.testing.assert_allclose(bias["prior_q95"], prior.ppf(0.95))
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
    table = posterior.host_share_table(fit)
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
    assert posterior.host_share_table(fit)["moved_from_prior"].all()
