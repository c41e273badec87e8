"""Cross-validation: folds, scoring and coverage without a sampler; one tiny real run."""

from __future__ import annotations

import concurrent.futures

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from _benchmarks import load_benchmark  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy import special  # noqa: E402

import remitest as rt  # noqa: E402
from remitest import checks  # noqa: E402
from remitest.checks import _sweep  # noqa: E402
from remitest.checks import cross_validation as cv  # noqa: E402
from remitest.predictive import claim_distribution, predict_claims  # noqa: E402
from remitest.testing import fake_fit  # noqa: E402

TINY = pytest.mark.filterwarnings("ignore::remitest.diagnostics.DiagnosticsWarning")


@pytest.fixture
def fast_fits(monkeypatch, ledger):
    """Stand-in fits: a known posterior over the full ledger's structure, as a sweep fit has."""

    def fake_run_fit(task, reduce):
        config = rt.ModelConfig.from_json(task.config_json)
        fitted = fake_fit(ledger, config, draws=50, random_seed=task.random_seed)
        fitted.ledger = task.ledger
        return reduce(fitted), {"passed": True, "failures": []}

    monkeypatch.setattr(_sweep, "run_fit", fake_run_fit)


def ids(some_ledger):
    return some_ledger.to_frame()["id"].tolist()


# -- folds ---------------------------------------------------------------------------------------
def test_each_original_claim_is_in_exactly_one_estimator_fold(ledger):
    folds = checks.cv_folds(ledger, "estimator")
    predicted = [i for fold in folds for i in ids(fold.predicted)]
    assert sorted(predicted) == sorted(ids(ledger.originals()))
    estimators = ledger.originals().to_frame()["estimator"]
    assert [f.name for f in folds] == list(dict.fromkeys(estimators))
    for fold in folds:
        assert (fold.predicted.to_frame()["estimator"] == fold.name).all()
        assert not set(ids(fold.predicted)) & set(ids(fold.training))
        assert fold.name not in set(fold.training.to_frame()["estimator"])


def test_repeats_travel_with_their_original(ledger):
    # The repeat of the US State Department's figure, credited to another estimator here.
    frame = ledger.to_frame()
    frame.loc[frame["id"] == "envoys2023-usstate-workers", ["estimator", "estimator_type"]] = (
        "unnamed private experts", "anonymous")  # fmt: skip
    moved = rt.Ledger.from_frame(frame)
    folds = {f.name: f for f in checks.cv_folds(moved, "estimator")}
    assert "envoys2023-usstate-workers" not in ids(folds["US State Department"].training)
    assert "envoys2023-usstate-workers" in ids(folds["unnamed private experts"].training)
    assert "experts2023-remittances" not in ids(folds["unnamed private experts"].training)
    # Repeats are never predicted: they add no evidence of their own.
    for by in ("estimator", "claim", "published"):
        predicted = [i for f in checks.cv_folds(moved, by) for i in ids(f.predicted)]
        assert "envoys2023-usstate-workers" not in predicted
    by_claim = {f.name: f for f in checks.cv_folds(ledger, "claim")}
    assert set(by_claim) == set(ids(ledger.originals()))
    assert ids(by_claim["usstate2017-workers"].training) == [
        i for i in ids(ledger) if i not in ("usstate2017-workers", "envoys2023-usstate-workers")]


def test_published_folds_predict_from_earlier_claims_and_skip_thin_years(ledger):
    folds = checks.cv_folds(ledger, "published")
    # Originals by year: 2015 1, 2016 4, 2017 2, 2023 1, 2024 1; 2015 and 2016 have < 3 before.
    assert [f.name for f in folds] == ["2017", "2023", "2024"]
    for fold in folds:
        year = int(fold.name)
        assert (fold.predicted.published_year == year).all()
        assert (fold.training.published_year < year).all()
        assert len(fold.training.originals()) >= cv.MIN_EARLIER_CLAIMS
    assert ids(folds[0].predicted) == ["usstate2017-workers", "usstate2017-remittances"]
    originals = ledger.originals()
    later = originals.filter(originals.published_year >= 2017)
    assert sorted(i for f in folds for i in ids(f.predicted)) == sorted(ids(later))


def test_folds_reject_bad_options(ledger):
    with pytest.raises(ValueError, match="must be 'estimator', 'claim' or 'published'"):
        checks.cv_folds(ledger, "year")
    alone = ledger.filter(lambda f: (f["estimator"] == "US State Department").to_numpy())
    with pytest.raises(ValueError, match="every fold must keep claims to fit"):
        checks.cv_folds(alone, "estimator")
    with pytest.raises(ValueError, match="3 published before"):
        checks.cv_folds(alone, "published")


# -- scoring -------------------------------------------------------------------------------------
def test_score_fold_is_predict_claims_with_the_fold_seed(ledger):
    fit = fake_fit(ledger, draws=200, random_seed=2)
    predicted = ledger.originals().filter(np.r_[True, True, True, True, False, False, False,
                                                False, True])  # fmt: skip
    scored = cv.score_fold(fit, predicted, fold="f", random_seed=7, index=3)
    expected = predict_claims(fit, predicted, random_seed=cv.fold_rng(7, 3))
    pd.testing.assert_frame_equal(scored[expected.columns], expected)
    pit = scored["pit"]
    assert (scored["in_50"] == ((pit >= 0.25) & (pit <= 0.75))).all()
    assert (scored["in_90"] == ((pit >= 0.05) & (pit <= 0.95))).all()
    # log score: log of the draws' mean density (gaussian) or side probability (censored)
    dist = claim_distribution(fit, predicted)
    z = (dist.value - dist.location) / dist.scale
    density = np.exp(-0.5 * z**2) / (dist.scale * np.sqrt(2 * np.pi))
    side = special.ndtr(np.where(dist.direction > 0, -z, z))
    np.testing.assert_allclose(
        scored["log_score"], np.log(np.where(dist.censored, side, density).mean(axis=0)),
        rtol=1e-10)  # fmt: skip
    assert dist.censored[ids(predicted).index("un-darusman2015-workers")]


# -- coverage ------------------------------------------------------------------------------------
def hand_table():
    return pd.DataFrame({
        "quantity": ["workers"] * 4 + ["remittances_usd"] * 2,
        "estimator": ["A", "A", "B", "C", "A", "C"],
        "pit": [0.5, 0.99, 0.3, 0.02, 0.8, 0.6],
    })  # fmt: skip


def test_coverage_counts_hits_and_misses_by_side():
    coverage = checks.coverage_table(hand_table(), random_seed=1).set_index(["quantity", "level"])
    assert list(coverage.index) == [("workers", 0.5), ("workers", 0.9), ("remittances_usd", 0.5),
                                    ("remittances_usd", 0.9), ("all", 0.5), ("all", 0.9)]
    row = coverage.loc[("workers", 0.9)]
    assert (row.n_claims, row.n_estimators, row.coverage, row.below, row.above) == (4, 3, 0.5, 1, 1)
    row = coverage.loc[("workers", 0.5)]
    assert (row.coverage, row.below, row.above) == (0.5, 1, 1)
    row = coverage.loc[("remittances_usd", 0.5)]
    assert (row.coverage, row.below, row.above) == (0.5, 0, 1)
    row = coverage.loc[("all", 0.9)]
    assert (row.n_claims, row.n_estimators, row.coverage) == (6, 3, pytest.approx(4 / 6))


def test_bootstrap_resamples_estimators_with_all_their_claims():
    table = hand_table()
    coverage = checks.coverage_table(table, random_seed=1, n_bootstrap=20_000)
    row = coverage.set_index(["quantity", "level"]).loc[("workers", 0.9)]
    # Per estimator (hits, claims): A (1, 2), B (1, 1), C (0, 1). Every resample of three
    # estimators, weighted by its multinomial probability, gives the exact distribution.
    hits, claims = np.array([1, 1, 0]), np.array([2, 1, 1])
    picks = np.array(np.meshgrid(*[range(3)] * 3)).reshape(3, -1).T
    exact = hits[picks].sum(1) / claims[picks].sum(1)
    assert row.band_low == pytest.approx(np.quantile(exact, 0.05), abs=0.02)
    assert row.band_high == pytest.approx(np.quantile(exact, 0.95), abs=0.02)
    # Seeded; and estimators that all cover alike leave no spread.
    pd.testing.assert_frame_equal(coverage, checks.coverage_table(table, random_seed=1,
                                                                  n_bootstrap=20_000))
    alike = table.assign(pit=[0.5, 0.99, 0.3, 0.02, 0.5, 0.5], estimator=["A", "A", "B", "B",
                                                                        "A", "B"])
    alike_cov = checks.coverage_table(alike).set_index(["quantity", "level"])
    assert tuple(alike_cov.loc[("workers", 0.9), ["band_low", "band_high"]]) == (0.5, 0.5)


# -- the whole check on fake fits ----------------------------------------------------------------
def test_cross_validate_table_coverage_and_figure(fast_fits, ledger):
    lines = []
    result = checks.cross_validate(ledger, by="estimator", random_seed=3, draws=10, tune=10,
                                   progress=lines.append)
    table = result.table
    assert tuple(table.columns) == cv.CV_COLUMNS
    assert sorted(table["id"]) == sorted(ids(ledger.originals()))
    assert table["fold"].nunique() == 6 and (table["fold"] == table["estimator"]).all()
    assert table["diagnostics_passed"].all() and np.isfinite(table["log_score"]).all()
    assert tuple(result.coverage.columns) == cv.COVERAGE_COLUMNS
    assert len(lines) == 6 and lines[-1].startswith("cross-validation by estimator: fold 6/6")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        threaded = checks.cross_validate(ledger, by="estimator", random_seed=3, draws=10,
                                         tune=10, executor=pool)
    pd.testing.assert_frame_equal(threaded.table, table)
    figure = result.plot()
    assert isinstance(figure, Figure) and len(figure.axes) == 3  # workers, remittances, all
    published = checks.cross_validate(ledger, by="published", draws=10, tune=10)
    assert list(published.table["fold"]) == ["2017", "2017", "2023", "2024"]


# -- a tiny real run -----------------------------------------------------------------------------
@pytest.mark.sampler
@TINY
def test_cross_validate_on_the_shipped_ledger(ledger):
    result = checks.cross_validate(ledger, draws=200, tune=200, random_seed=4)
    table = result.table
    assert len(table) == len(ledger.originals()) and tuple(table.columns) == cv.CV_COLUMNS
    assert table["pit"].between(0, 1).all() and np.isfinite(table["log_score"]).all()
    assert (table["pred_q05"] < table["pred_q50"]).all()
    # One fold equals predict_claims from a fit of the reduced ledger through the sweep's
    # structure, years and pin year, with the same seeds.
    folds = checks.cv_folds(ledger, "estimator")
    config = _sweep.sweep_config(rt.ModelConfig(), ledger)
    (task,) = _sweep.make_tasks([folds[2].training], config, structure_ledger=ledger, seeds=[4],
                                draws=200, tune=200)
    expected, _ = _sweep.run_fit(task, lambda fit: predict_claims(
        fit, folds[2].predicted, random_seed=cv.fold_rng(4, 2)))
    rows = table[table["fold"] == folds[2].name].reset_index(drop=True)
    shared = ["id", "quantity", "scope", "estimator", "kind", "reported_value", "pit",
              "pred_q05", "pred_q25", "pred_q50", "pred_q75", "pred_q95"]  # fmt: skip
    pd.testing.assert_frame_equal(rows[shared], expected[shared])
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        parallel = checks.cross_validate(ledger, draws=200, tune=200, random_seed=4,
                                         executor=pool)
    pd.testing.assert_frame_equal(parallel.table, table)
    pd.testing.assert_frame_equal(parallel.coverage, result.coverage)


@pytest.mark.slow
@pytest.mark.sampler
@TINY
def test_coverage_of_ledgers_simulated_from_the_model_falls_in_its_band(ledger):
    """Truths from the prior and claims from the model: the intervals must hold as promised.

    Claims of one simulated ledger share its truth (series, noise, type biases), so their PITs
    are not independent: the band resamples whole ledgers, not estimators. On 5 ledgers the
    pooled coverage strays from nominal by chance (50% intervals held 71% on seeds 100-104),
    hence 20.
    """
    # both bounds censored, as this test was calibrated (the default reading would do as well:
    # a simulated bound on the wrong side now carries its own censored reading)
    config = checks.sbc_config().replace(
        interpretation={"upper_bound": "censored", "lower_bound": "censored"})
    tables = []
    for k in range(20):
        simulated = rt.simulate_ledger(ledger, config, random_seed=100 + k).ledger
        result = checks.cross_validate(simulated, config=config, draws=300, tune=300,
                                       random_seed=k)
        tables.append(result.table.assign(estimator=f"ledger {k}"))
    coverage = checks.coverage_table(pd.concat(tables, ignore_index=True), random_seed=0)
    pooled = coverage[coverage["quantity"] == "all"].set_index("level")
    for level in (0.5, 0.9):
        row = pooled.loc[level]
        assert row.band_low <= level <= row.band_high, coverage.to_string()




@pytest.mark.slow
@pytest.mark.sampler
def test_synthetic_cv_study_smoke():
    """The committed synthetic study (``benchmarks/cv_synthetic.py``) at two small ledgers."""
    cv_synthetic = load_benchmark("cv_synthetic")
    table = cv_synthetic.study(1, 30, 300, simulator="field")
    assert set(cv.CV_COLUMNS) <= set(table.columns)
    assert sorted(table["ledger"].unique()) == [cv_synthetic.FIRST_REPORTING_SEED]
    assert table["pit"].between(0, 1).all()
    coverage = cv_synthetic.pooled_coverage(table)
    assert list(coverage.columns) == list(cv.COVERAGE_COLUMNS)
    assert set(coverage["level"]) == set(cv.LEVELS)
    overall = coverage[coverage["quantity"] == "all"]
    assert len(overall) == len(cv.LEVELS)
    assert (overall["n_claims"] == table["diagnostics_passed"].sum()).all()  # gate-clean only
    subgroups = cv_synthetic.pooled_subgroups(table)
    assert set(subgroups["field"]) == set(cv.SUBGROUP_FIELDS)
    assert (subgroups.groupby("field")["n_claims"].sum() == overall["n_claims"].iloc[0]).all()
    bounded = coverage[["coverage", "band_low", "band_high"]].to_numpy(float)
    assert np.isfinite(bounded).all() and ((bounded >= 0) & (bounded <= 1)).all()
    assert (coverage["below"] + coverage["above"] <= coverage["n_claims"]).all()


# -- gate-clean folds and subgroups (no sampler) ---------------------------------------------------
def test_a_failing_fit_is_retried_once_with_longer_tuning(monkeypatch):
    from remitest.checks import _sweep

    calls = []

    def fake_fit_task(task, config, *, factor):
        calls.append(factor)
        return type("F", (), {"diagnostics": None, "name": f"fit x{factor}"})()

    verdicts = iter([["r_hat"], []])
    monkeypatch.setattr(_sweep, "_fit_task", fake_fit_task)
    monkeypatch.setattr(_sweep, "gate_failures", lambda diagnostics, config: next(verdicts))
    monkeypatch.setattr(_sweep, "ModelConfig", type("C", (), {"from_json": staticmethod(
        lambda text: None)}))  # fmt: skip
    task = type("T", (), {"config_json": "{}"})()
    result, record = _sweep.run_fit(task, lambda fit: fit.name)
    assert calls == [1, _sweep.RETRY_FACTOR] and result == "fit x2"
    assert record == {"passed": True, "failures": [], "retried": True}


def test_subgroup_coverage_counts_by_field_with_bands_for_large_groups():
    from remitest.checks.cross_validation import MIN_BAND_CLAIMS, subgroup_coverage

    ledger = rt.load_ledger("seeds").originals()
    frame = ledger.to_frame()
    pit = np.linspace(0.01, 0.99, len(frame))
    table = frame[["id", "quantity", "kind", "estimator"]].assign(pit=pit)
    sub = subgroup_coverage(table, ledger, pin_year=2016).set_index(["field", "group"])
    assert set(sub.index.get_level_values("field")) == {
        "quantity", "measure", "kind", "estimator_type", "years_from_pin"}
    workers = frame["quantity"] == "workers"
    inside = (pit >= 0.05) & (pit <= 0.95)
    assert sub.loc[("quantity", "workers"), "n_claims"] == workers.sum()
    assert sub.loc[("quantity", "workers"), "cover_90"] == pytest.approx(inside[workers].mean())
    assert sub.loc[("measure", "headcount"), "n_claims"] == workers.sum()
    assert sub["n_claims"].max() < MIN_BAND_CLAIMS and sub["band_low"].isna().all()
    below = sub.loc[("quantity", "workers"), "below"] + sub.loc[("quantity", "remittances_usd"),
                                                                 "below"]
    assert below == (pit < 0.05).sum()
