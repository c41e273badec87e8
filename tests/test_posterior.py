"""Posterior products on fake fits with known answers (no sampler)."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
from scipy import stats

from remitest import posterior
from remitest.ledger import QUANTITIES
from remitest.testing import fake_fit

HOSTS = ("china", "russia", "rest_of_world")
SCOPES = ("world", *HOSTS)


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
        row[["hdi_low", "hdi_high"]].to_numpy(float), az.hdi(draws, prob=0.8), rtol=1e-12
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


def test_summary_hdi_matches_arviz_cell_by_cell():
    # summarize_draws keeps its own window over the sorted draws; it must be ArviZ's HDI
    draws = np.random.default_rng(0).gamma(2.0, size=(3, 500, 4, 2))
    whole = posterior.summarize_draws(draws, hdi_prob=0.85)
    ours = np.stack([whole["hdi_low"], whole["hdi_high"]], axis=-1)
    assert ours.shape == (4, 2, 2)
    for i in range(4):
        for j in range(2):
            np.testing.assert_array_equal(ours[i, j], az.hdi(draws[:, :, i, j].ravel(), 0.85))
    np.testing.assert_array_equal(posterior.hdi(draws, 0.85), ours)


def test_n_claims_hand_count(fit):
    # shipped ledger's worker claims (originals; the 2023 repeat of the US State Department
    # figure excluded): 2015 Darusman; 2016 SCMP and KINU; 2017 US State; 2024 the china_russia
    # media estimate. Rows count the claims of their own quantity.
    counts = (
        posterior.summary(fit)
        .query("quantity == 'workers'")
        .pivot(index="year", columns="scope", values="n_claims")
    )
    world = {2013: 0, 2014: 0, 2015: 1, 2016: 2, 2017: 1, 2018: 0, 2019: 0, 2020: 0, 2024: 1}
    for year, n in world.items():
        assert counts.loc[year, "world"] == n
    assert counts.loc[2024, "china"] == 1 and counts.loc[2024, "russia"] == 1
    assert counts.loc[2024, "rest_of_world"] == 0
    assert counts.loc[2016, "rest_of_world"] == 2  # world claims overlap every host
    remittances = posterior.summary(fit).query("quantity == 'remittances_usd' and scope == 'world'")
    assert remittances.set_index("year").loc[2018, "n_claims"] == 1  # the experts (2017-2019)


def test_series(fit):
    table = posterior.series(fit, "remittances_usd", "russia")
    assert list(table.index) == list(fit.years) and table.index.name == "year"
    full = posterior.summary(fit).query("quantity == 'remittances_usd' and scope == 'russia'")
    np.testing.assert_allclose(table["median"].to_numpy(), full["median"].to_numpy())
    np.testing.assert_array_equal(table["n_claims"].to_numpy(), full["n_claims"].to_numpy())
    np.testing.assert_allclose(table["sd_ratio"].to_numpy(), full["sd_ratio"].to_numpy())
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


def test_summarize_draws_blocks_agree(monkeypatch):
    draws = np.random.default_rng(2).lognormal(size=(2, 400, 3, 5))
    whole = posterior.summarize_draws(draws)
    monkeypatch.setattr(posterior, "_BLOCK_VALUES", 800 * 2)  # two cells per block
    blocked = posterior.summarize_draws(draws)
    for name in posterior.STAT_COLUMNS:
        assert blocked[name].shape == (3, 5)
        np.testing.assert_array_equal(blocked[name], whole[name])
    np.testing.assert_array_equal(
        posterior.hdi(draws, 0.9), np.stack([whole["hdi_low"], whole["hdi_high"]], axis=-1)
    )
    log_sd = posterior.summarize_draws(draws, log_sd=True)["log_sd"]  # two threads, two cells each
    np.testing.assert_allclose(log_sd, np.log(draws).std(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_array_equal(posterior._log_sd(draws), log_sd)  # the prior tables' path


def test_prior_only_labels_hosts_whose_share_did_not_move():
    fit = fake_fit()  # its shares are drawn from the prior: no host moved
    table = posterior.summary(fit)
    hosts = table[(table["scope"] != "world") & (table["quantity"] != "per_worker_usd")]
    assert hosts["prior_only"].all()
    assert not table.loc[table["scope"] == "world", "prior_only"].any()
    assert not table.loc[table["quantity"] == "per_worker_usd", "prior_only"].any()
    # A posterior far from the prior for every host: every share moved.
    certain = fit.idata.posterior["host_share"] * 0 + np.array([0.9, 0.05, 0.05])
    fit.idata.posterior = fit.idata.posterior.assign(host_share=certain)
    assert not posterior.summary(fit)["prior_only"].any()


def test_series_is_the_summary_rows_of_one_quantity_and_scope():
    fit = fake_fit()
    table = posterior.summary(fit)
    rows = table[(table["quantity"] == "workers") & (table["scope"] == "china")]
    series = posterior.series(fit, "workers", scope="china")
    assert list(series.reset_index().columns) == list(rows.columns)
    np.testing.assert_array_equal(series["median"].to_numpy(), rows["median"].to_numpy())
    assert series["prior_only"].all() and (series["n_claims"].to_numpy() == rows["n_claims"]).all()
