"""The prior in public (issue 17): its series table, and per-worker amounts that no claim states.

No sampler: fake fits (``remitest.testing.fake_fit``) with the seeds ledger, whose posterior is
narrow (log-sd 0.1) and centred on 100,000 workers and US$5,000 per worker.
"""

from __future__ import annotations

import numpy as np
import pytest

from remitest import posterior
from remitest.ledger import QUANTITIES
from remitest.testing import fake_fit

SCOPES = ("world", "china", "russia", "rest_of_world")


@pytest.fixture(scope="module")
def fit():
    return fake_fit(chains=2, draws=300, random_seed=3)


@pytest.mark.parametrize("quantity", QUANTITIES)
@pytest.mark.parametrize("scope", SCOPES)
def test_prior_table_has_the_posterior_tables_columns_and_index(fit, quantity, scope):
    post = fit.series(quantity, scope)
    prior = fit.series(quantity, scope, prior=True)
    assert list(prior.columns) == list(post.columns)
    assert prior.index.equals(post.index) and (prior.dtypes == post.dtypes).all()
    labels = ["n_claims", "evidence", "sd_ratio", "prior_only", "extrapolated"]
    assert prior[labels].equals(post[labels])  # the two tables line up row by row
    assert not np.allclose(prior["median"], post["median"])


def test_prior_table_covers_years_beyond_the_fit(fit):
    years = range(int(fit.years[0]) - 2, int(fit.years[-1]) + 3)
    post = fit.series("workers", years=years)
    prior = fit.series("workers", years=years, prior=True)
    assert prior.index.equals(post.index) and list(prior.columns) == list(post.columns)
    assert prior["extrapolated"].sum() == 4
    assert (prior["extrapolated"] == post["extrapolated"]).all()
    # the prior widens away from the pin year, and past the fit too
    width = np.log(prior["q95"] / prior["q05"])
    assert width.iloc[0] > width.loc[fit.structure.pin_year] < width.iloc[-1]


def test_prior_summary_is_the_prior_series_rows(fit):
    table = posterior.summary(fit, prior=True, random_seed=5)
    assert list(table.columns) == list(posterior.SUMMARY_COLUMNS)
    assert table[["year", "scope", "quantity"]].equals(fit.summary()[["year", "scope", "quantity"]])
    rows = table[(table["quantity"] == "remittances_usd") & (table["scope"] == "russia")]
    one = posterior.series(fit, "remittances_usd", "russia", prior=True, random_seed=5)
    np.testing.assert_allclose(rows["median"].to_numpy(), one["median"].to_numpy())


def test_prior_table_is_seeded(fit):
    a = fit.series("workers", prior=True, random_seed=1)
    b = fit.series("workers", prior=True, random_seed=1)
    c = fit.series("workers", prior=True, random_seed=2)
    assert a.equals(b) and not a["median"].equals(c["median"])


@pytest.mark.parametrize("quantity", ["workers", "remittances_usd"])
@pytest.mark.parametrize("scope", SCOPES)
def test_prior_medians_are_neutral_and_wider_than_the_posterior(fit, quantity, scope):
    """Medians within +-10% of the pin year; every prior interval wider than the posterior's.

    20,000 draws, as tests/test_prior_neutrality.py: at the default 4,000 a median's Monte
    Carlo error (about 2%) is a fifth of the margin.
    """
    prior = posterior.series(fit, quantity, scope, prior=True, prior_draws=20_000)
    post = fit.series(quantity, scope)
    median = prior["median"]
    ratio = median / median.loc[fit.structure.pin_year]
    assert (np.abs(ratio - 1) <= 0.10).all(), ratio.round(3).to_dict()
    for low, high in (("q05", "q95"), ("q25", "q75"), ("hdi_low", "hdi_high")):
        assert (prior[high] / prior[low] > post[high] / post[low]).all(), (low, high)


def test_pay_per_worker_that_no_claim_states_is_marked(fit):
    """The seeds ledger states no pay per worker: no year of it says "claims"."""
    assert "per_worker_usd" not in set(fit.ledger.to_frame()["quantity"])
    table = fit.summary()
    per_worker = table[table["quantity"] == "per_worker_usd"]
    assert (per_worker["n_claims"] == 0).all()
    assert set(per_worker["evidence"]) <= {"identity", "no claim"}
    # identity: a year some claim on workers or remittances covers (remittances / workers)
    world = per_worker[per_worker["scope"] == "world"].set_index("year")["evidence"]
    counted = table[(table["scope"] == "world") & (table["quantity"] != "per_worker_usd")]
    covered = counted.groupby("year")["n_claims"].sum() > 0
    assert ((world == "identity") == covered.reindex(world.index)).all()
    # the workers series, which the seeds do state, says "claims" in some years
    assert (table.loc[table["quantity"] == "workers", "evidence"] == "claims").any()


# -- every parameter: moved from its prior, or fixed ---------------------------------------------
@pytest.fixture(scope="module")
def parameters(fit):
    return fit.parameters()


def _sizes(fit, name):
    dims = fit.model.named_vars_to_dims.get(name, ())
    return int(np.prod([fit.idata.posterior.sizes[d] for d in dims]))


def test_parameters_cover_every_free_variable_of_the_model(fit, parameters):
    """A parameter added to the model without a posterior or a prior row fails here."""
    sampled = parameters[~parameters["fixed"]]
    free = [rv.name for rv in fit.model.free_RVs]
    assert list(dict.fromkeys(sampled["parameter"])) == free
    for name in free:
        assert (sampled["parameter"] == name).sum() == _sizes(fit, name), name
    assert not sampled.duplicated(["parameter", "element"]).any()
    assert {"bias_sd", "bias_rho", "reading_z", "workers_step_sd", "noise_sd"} <= set(free)
    assert set(sampled.loc[sampled["parameter"] == "reading_z", "element"]) == {
        "bound_ratio", "gross_earnings", "permits", "field_workers", "field_remittances_usd",
        "field_per_worker_usd"}
    scales = sampled.groupby("parameter")["scale"].first()
    assert scales["workers_step_sd"] == "log" and scales["bias_rho"] == "log-odds"
    assert scales["log_workers_pinned"] == "identity"


def test_parameters_priors_are_the_configured_ones(parameters):
    sampled = parameters[~parameters["fixed"]].set_index(["parameter", "element"])
    # LogNormal(log 0.1, 0.25) step sizes: on the log scale, sd 0.25 and mean log 0.1
    row = sampled.loc[("workers_step_sd", "")]
    assert row["prior_sd"] == pytest.approx(0.25, rel=0.05)
    assert row["prior_mean"] == pytest.approx(np.log(0.1), abs=0.02)
    # Beta(2, 2) on the log-odds scale: sd sqrt(2 trigamma(2)) = 1.136
    assert sampled.loc[("bias_rho", ""), "prior_sd"] == pytest.approx(1.136, rel=0.05)
    assert sampled.loc[("log_workers_pinned", ""), "prior_sd"] == pytest.approx(1.0, rel=0.05)


def test_moved_and_fixed(parameters):
    sampled = parameters[~parameters["fixed"]].set_index(["parameter", "element"])
    # the fake posterior: levels at log-sd 0.1 (moved); bias_rho drawn from its Beta(2, 2) prior
    assert sampled.loc[("log_workers_pinned", ""), "moved_from_prior"]
    assert sampled.loc[("log_workers_pinned", ""), "sd_ratio"] < 0.2
    assert not sampled.loc[("bias_rho", ""), "moved_from_prior"]
    assert not sampled.loc["host_step_z", "moved_from_prior"].any()
    np.testing.assert_allclose(sampled["sd_ratio"], sampled["post_sd"] / sampled["prior_sd"])
    fixed = parameters[parameters["fixed"]].set_index(["parameter", "element"])
    assert fixed.loc[("priors.host_step_sd", ""), "value"] == 0.1
    assert fixed.loc[("priors.rounding_sd", ""), "value"] == 0.05
    assert not fixed["moved_from_prior"].any() and fixed["prior_sd"].isna().all()
    assert (fixed.index.get_level_values(0) == "event.step_scale").sum() >= 1


@pytest.mark.sampler
def test_on_a_real_seeds_fit_the_prior_is_wider_and_the_level_moved():
    import remitest as rt

    config = rt.ModelConfig().replace(
        gate={"ess_bulk_min": 50, "ess_tail_min": 50, "r_hat_max": 1.1, "max_divergences": 20})
    real = rt.Reconciler().fit(rt.load_ledger("seeds"), config, random_seed=7, draws=300,
                               tune=300, chains=2, progressbar=False)
    for quantity in QUANTITIES:
        post, prior = real.series(quantity), real.series(quantity, prior=True)
        assert list(prior.columns) == list(post.columns) and prior.index.equals(post.index)
        assert (prior["q95"] / prior["q05"] > post["q95"] / post["q05"]).all(), quantity
    table = real.parameters()
    sampled = table[~table["fixed"]]
    assert set(sampled["parameter"]) == {rv.name for rv in real.model.free_RVs}
    moved = sampled.set_index(["parameter", "element"])["moved_from_prior"]
    assert moved[("log_workers_pinned", "")] and moved[("log_per_worker_pinned", "")]


def test_the_readme_prior_numbers_and_the_prior_figure():
    """README quotes the record's prior at the pin year; the prior needs no fit (no sampler)."""
    import re
    from pathlib import Path

    from remitest import plots
    from remitest.ledger import load_ledger

    record = fake_fit(load_ledger(), draws=20)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    text = " ".join(readme.split())
    found = re.search(r"world workers have a median of ([\d,]+) at the pin year (\d+) with a 90% "
                      r"interval of ([\d,]+)-([\d,]+)", text)
    assert found, "the README no longer quotes the prior of world workers"
    median, pin, low, high = (int(g.replace(",", "")) for g in found.groups())
    assert pin == record.structure.pin_year
    table = record.series("workers", prior=True)
    for quoted, column in ((median, "median"), (low, "q05"), (high, "q95")):
        value = table.loc[pin, column]  # as the README writes it: two significant figures
        digits = int(np.floor(np.log10(value))) - 1
        assert quoted == round(value / 10**digits) * 10**digits, column
    fig = plots.plot_prior_series(record)
    assert len(fig.axes) == 5 and fig.get_figwidth() <= 7.0
    assert fig.get_figheight() <= plots.MAX_HEIGHT


def test_summary_sd_ratio_is_the_posterior_over_the_prior_sd_of_the_log(fit):
    """The summary reads the posterior sd of the log from its sorted blocks; it is the plain one,
    and the prior table's ``sd_ratio`` is the posterior table's, bit for bit."""
    post = posterior.summary(fit)
    prior_sd = posterior.prior_series_draws(fit).std(axis=0)  # (quantity, scope, year)
    series = [posterior._scope_series(fit, q) for q in QUANTITIES]
    plain = np.stack([np.log(s).std(axis=(0, 1)) for s in series]) / prior_sd
    np.testing.assert_allclose(post["sd_ratio"].to_numpy(), plain.ravel(), rtol=1e-12)
    assert posterior.summary(fit, prior=True)["sd_ratio"].equals(post["sd_ratio"])
    one = fit.series("remittances_usd", "china")["sd_ratio"].to_numpy()
    rows = post[(post["quantity"] == "remittances_usd") & (post["scope"] == "china")]
    np.testing.assert_array_equal(one, rows["sd_ratio"].to_numpy())
