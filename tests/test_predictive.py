"""Claim predictions on fake fits with known answers (no sampler), and the claims' seed."""

from __future__ import annotations

import dataclasses
import json

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import special  # noqa: E402

from remitest import plots, predictive  # noqa: E402
from remitest.config import ModelConfig  # noqa: E402
from remitest.export import write_run  # noqa: E402
from remitest.ledger import Ledger, load_ledger  # noqa: E402
from remitest.predictive import claims_seed, claims_table  # noqa: E402
from remitest.reading import normal_quantile, read_claims  # noqa: E402
from remitest.testing import fake_fit  # noqa: E402


def degenerate_fit(
    *, workers=80_000.0, per_worker=6_000.0, bias=0.1, bias_sd=0.3, noise=0.2, draws=2_000
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
    post["bias_sd"].values[...] = bias_sd
    post["noise_sd"].values[...] = noise
    return fit


def ledger_with(frame: pd.DataFrame) -> Ledger:
    return Ledger.from_frame(frame)


# -- claim predictions ----------------------------------------------------------------------------
def test_predict_claims_columns(fit):
    table = predictive.predict_claims(fit, fit.ledger, random_seed=0)
    assert tuple(table.columns) == predictive.PREDICTION_COLUMNS
    assert len(table) == len(fit.ledger)
    assert table["used"].dtype == bool and table["ref_start"].dtype == np.int64
    assert ((table["pit"] >= 0) & (table["pit"] <= 1)).all()
    assert not table.set_index("id").loc["envoys2023-usstate-workers", "used"]
    assert table.drop(columns="id")["used"].sum() == len(fit.ledger.originals())
    preds = table[["pred_q05", "pred_q25", "pred_q50", "pred_q75", "pred_q95"]].to_numpy()
    assert (np.diff(preds, axis=1) >= 0).all()
    again = predictive.predict_claims(fit, fit.ledger, random_seed=0)
    assert again.equals(table)
    assert fit.predict_claims(random_seed=0).equals(table)


def test_pit_closed_form_degenerate():
    fit = degenerate_fit()
    table = predictive.predict_claims(fit, fit.ledger, random_seed=0).set_index("id")
    rounding = fit.config.priors.rounding_sd
    m_workers = np.log(80_000.0) + 0.1
    s = np.hypot(0.2, rounding)
    cap = fit.config.priors.rounding_sd_max  # the rounding of a figure as round as 100,000
    # point claim: "some 100,000 workers": rounding (capped) and the qualifier "some" (0.1)
    s_point = np.sqrt(s**2 + cap**2 + 0.1**2)
    expected = special.ndtr((np.log(1e5) - m_workers) / s_point)
    assert table.loc["usstate2017-workers", "pit"] == pytest.approx(expected, abs=1e-9)
    # its predictive quantiles: lognormal around exp(m), from 4,000 predictive draws
    z = normal_quantile(np.array([0.05, 0.5, 0.95]))
    np.testing.assert_allclose(
        table.loc["usstate2017-workers", ["pred_q05", "pred_q50", "pred_q95"]].to_numpy(float),
        np.exp(m_workers + s_point * z),
        rtol=0.03,
    )
    # range claim: belief median at the log-midpoint, spread from its half-width
    spread = (np.log(60_000) - np.log(50_000)) / 2 / normal_quantile(0.9)
    expected = special.ndtr(
        (np.log(np.sqrt(50_000 * 60_000)) - m_workers) / np.sqrt(s**2 + spread**2 + 0.05**2)
    )
    assert table.loc["scmp2016-workers", "pit"] == pytest.approx(expected, abs=1e-9)
    assert table.loc["scmp2016-workers", "reported_value"] == pytest.approx(
        np.sqrt(50_000 * 60_000)
    )
    # remittances: workers x per-worker amount
    m_remit = np.log(80_000.0 * 6_000.0) + 0.1
    expected = special.ndtr((np.log(5e8) - m_remit) / np.hypot(s, cap))
    assert table.loc["usstate2017-remittances", "pit"] == pytest.approx(expected, abs=1e-9)


def _uniforms(fit, ledger, seed):
    """The uniforms ``predict_claims`` draws for the randomized PIT: after the predictive draws."""
    rng = np.random.default_rng(seed)
    rng.standard_normal((fit.n_chains * fit.n_draws, len(ledger)))
    return pd.Series(rng.random(len(ledger)), index=ledger.to_frame()["id"])


def test_pit_censored_claim_is_uniform_over_its_side():
    fit = degenerate_fit()
    table = predictive.predict_claims(fit, fit.ledger, random_seed=0).set_index("id")
    uniform = _uniforms(fit, fit.ledger, 0)
    s = np.hypot(0.2, fit.config.priors.rounding_sd)
    # "more than 50,000" is censored by default: uniform above the CDF at the bound
    cdf = special.ndtr((np.log(50_000) - np.log(80_000.0) - 0.1) / s)
    expected = cdf + uniform["un-darusman2015-workers"] * (1 - cdf)
    assert table.loc["un-darusman2015-workers", "pit"] == pytest.approx(expected, abs=1e-9)
    assert table.loc["un-darusman2015-workers", "pit"] >= cdf
    assert table.loc["un-darusman2015-workers", "reported_value"] == pytest.approx(50_000)
    # "as high as 150,000" read as censored too: uniform below the CDF at the bound
    config = ModelConfig().replace(interpretation={"upper_bound": "censored"})
    fit_c = degenerate_fit()
    fit_c.config = config
    row = predictive.predict_claims(fit_c, fit_c.ledger, random_seed=0).set_index("id")
    cdf = special.ndtr((np.log(150_000) - np.log(80_000.0) - 0.1) / s)
    expected = uniform["kinu-workers"] * cdf
    assert row.loc["kinu-workers", "pit"] == pytest.approx(expected, abs=1e-9)


def test_randomized_pit_rule():
    cdf = np.array([0.2, 0.2, 0.2, 0.9])
    direction = np.array([0.0, 1.0, -1.0, 1.0])
    uniform = np.array([0.5, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(
        predictive.randomized_pit(cdf, direction, uniform), [0.2, 0.6, 0.1, 0.9]
    )
    # Under a calibrated model (the truth drawn from the predictive distribution) a censored
    # claim's randomized PIT is uniform, whichever side the bound turns out to state.
    rng = np.random.default_rng(0)
    truth, bound = rng.standard_normal(200_000), rng.normal(0.3, 0.5, 200_000)
    direction = np.where(truth > bound, 1.0, -1.0)
    pit = predictive.randomized_pit(special.ndtr(bound), direction, rng.random(len(truth)))
    counts = np.histogram(pit, bins=10, range=(0, 1))[0] / len(pit)
    np.testing.assert_allclose(counts, 0.1, atol=0.004)


def test_unseen_estimator_draws_from_hierarchy():
    fit = degenerate_fit(draws=20_000)
    frame = load_ledger("seeds").originals().to_frame()
    frame = frame[frame["id"] == "usstate2017-workers"].assign(
        id="new-workers", estimator="A new government", estimator_type="government"
    )
    table = predictive.predict_claims(fit, ledger_with(frame), random_seed=1)
    priors = fit.config.priors
    # "some 100,000": noise, floor, rounding (capped) and the qualifier "some"
    s = np.sqrt(0.2**2 + priors.rounding_sd**2 + priors.rounding_sd_max**2 + 0.1**2)
    # bias ~ N(0, bias_sd^2) with the fitted spread (0.3): the PIT integrates it analytically
    expected = special.ndtr((np.log(1e5) - np.log(80_000.0)) / np.hypot(s, 0.3))
    assert table["pit"].iloc[0] == pytest.approx(expected, abs=0.01)
    assert not table["used"].iloc[0]


def test_predict_claims_bad_input(fit):
    frame = load_ledger("seeds").to_frame()
    frame = frame[frame["id"] == "trend2024-workers"].assign(
        id="future",
        ref_start=2030,
        ref_end=2030,
        published=pd.Timestamp("2030-01-01"),
        derived_from="",
    )
    # outside the fitted years: predicted from the walks extended to 2030, and labelled
    future = predictive.predict_claims(fit, ledger_with(frame), random_seed=2).iloc[0]
    assert future["extrapolated"] and 0 <= future["pit"] <= 1
    inside = predictive.predict_claims(fit, fit.ledger, random_seed=2)
    assert not inside["extrapolated"].any()
    empty = predictive.predict_claims(fit, fit.ledger.filter(np.zeros(len(fit.ledger), bool)))
    assert tuple(empty.columns) == predictive.PREDICTION_COLUMNS and len(empty) == 0


def test_claims_table_marks_repeats(fit):
    table = predictive.claims_table(fit).set_index("id")
    assert len(table) == len(fit.ledger)
    note = table.loc["envoys2023-usstate-workers", "note"]
    assert note == "repeat of usstate2017-workers: adds no independent evidence"
    assert not table.loc["envoys2023-usstate-workers", "used"]
    assert (table.drop("envoys2023-usstate-workers")["note"] == "").all()


# No BLAS in a pip-installed PyTensor is a performance note, not a failure (as in test_model.py).
@pytest.mark.filterwarnings("ignore:PyTensor could not link to a BLAS:UserWarning")
def test_predictions_match_the_model_likelihood():
    """PIT of gaussian claims equals Phi((y - mu) / sigma) with the PyMC model's own mu, sigma."""
    from remitest.model import build_model, model_data

    ledger = load_ledger("seeds")
    model = build_model(ledger)
    names = ["workers", "per_worker_usd", "remittances_usd", "host_share", "workers_host",
             "remittances_usd_host", "estimator_bias", "bias_sd", "noise_sd",
             "reading_z"]  # fmt: skip
    likelihood = model["gaussian_claims"].owner.inputs  # rng, size, mu, sigma
    outputs = model.replace_rvs_by_values([*(model[n] for n in names), *likelihood[2:]])
    evaluate = model.compile_fn(outputs, inputs=model.value_vars, on_unused_input="ignore",
                                mode="FAST_COMPILE")  # fmt: skip
    rng = np.random.default_rng(5)
    point = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in model.initial_point().items()}
    *values, mu, sigma = evaluate(point)
    fit = fake_fit(ledger, chains=1, draws=1)
    for name, value in zip(names, values, strict=True):
        fit.idata.posterior[name].values[...] = value
    table = predictive.predict_claims(fit, ledger, random_seed=0).set_index("id")
    ids = read_claims(
        ledger.originals().to_frame(), fit.config, fit.years, fit.structure.estimators
    )[0].ids
    observed = model_data(ledger, fit.structure, fit.config)["gaussian_value"]
    np.testing.assert_allclose(
        table.loc[ids, "pit"], special.ndtr((observed - mu) / sigma), rtol=1e-10
    )


# -- one predictive seed --------------------------------------------------------------------------
def test_claims_seed_is_derived_from_the_fit_seed(fit):
    seeded = {s: claims_seed(dataclasses.replace(fit, random_seed=s)) for s in (0, 1, 3)}
    assert claims_seed(fit) == seeded[3] == claims_seed(fit)
    assert seeded[0] != seeded[1] and seeded[0] != 0
    # the derivation of earlier run folders (their datapackage's claims_random_seed): unchanged
    assert seeded == {0: 673228719, 1: 1454127163, 3: 1645421708}


def test_claims_table_defaults_to_the_claims_seed(fit):
    table = claims_table(fit)
    assert table.equals(claims_table(fit, random_seed=claims_seed(fit)))
    other = claims_table(fit, random_seed=claims_seed(fit) + 1)
    assert not table["pred_q50"].equals(other["pred_q50"])  # the seed matters, so the test bites
    rng = np.random.default_rng(claims_seed(fit))
    assert claims_table(fit, random_seed=rng).equals(table)


def test_ppc_figure_and_claims_csv_share_the_seed(fit, monkeypatch, tmp_path):
    expected = claims_table(fit, random_seed=claims_seed(fit))
    shown = []

    def spy(fit_, **kwargs):
        shown.append(claims_table(fit_, **kwargs))
        return shown[-1]

    monkeypatch.setattr(plots.ppc, "claims_table", spy)  # as plot_ppc reads it
    plots.plot_ppc(fit)
    assert len(shown) == 1 and shown[0].equals(expected)
    monkeypatch.undo()
    run = write_run(fit, tmp_path / "run", figures=False)
    written = pd.read_csv(run / "claims.csv", keep_default_na=False, na_values=[""])
    assert list(written["id"]) == list(expected["id"])
    for column in ("pit", "pred_q05", "pred_q50", "pred_q95"):
        np.testing.assert_allclose(written[column], expected[column], rtol=1e-9)
    package = json.loads((run / "datapackage.json").read_text())
    assert package["remitest"]["claims_random_seed"] == claims_seed(fit)
