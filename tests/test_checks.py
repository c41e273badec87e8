"""Checks: structure on fake fits (no sampler), a few tiny real fits, and a small real SBC."""

from __future__ import annotations

import concurrent.futures
import dataclasses

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import remitest as rt  # noqa: E402
from remitest import checks  # noqa: E402
from remitest.checks import _sweep  # noqa: E402
from remitest.checks.held_out import HeldOutResult  # noqa: E402
from remitest.checks.sbc import N_RANK_DRAWS, SBCResult  # noqa: E402
from remitest.predictive import predict_claims  # noqa: E402
from remitest.testing import fake_fit  # noqa: E402

TINY = pytest.mark.filterwarnings("ignore::remitest.diagnostics.DiagnosticsWarning")


@pytest.fixture(scope="module")
def fake(ledger):
    return fake_fit(ledger, chains=2, draws=200, random_seed=4)


def fake_run_fit(task, reduce):
    """Stands in for a real fit: the workers' level is 10,000 per original claim, exactly."""
    config = rt.ModelConfig.from_json(task.config_json)
    n = len(task.ledger.originals())
    fitted = fake_fit(task.ledger, config, draws=50, random_seed=task.random_seed,
                      workers_median=10_000.0 * n, log_sd=1e-9)
    return reduce(fitted), {"passed": True, "failures": []}


@pytest.fixture
def fast_fits(monkeypatch):
    monkeypatch.setattr(_sweep, "run_fit", fake_run_fit)


# -- pointwise log-likelihood and LOO --------------------------------------------------------------
def test_pointwise_log_likelihood_has_one_value_per_draw_and_original_claim(fake, ledger):
    ll = checks.pointwise_log_likelihood(fake)
    assert list(ll.data_vars) == ["claims"]
    assert ll["claims"].dims == ("chain", "draw", "claim")
    originals = ledger.originals().to_frame()["id"].tolist()
    assert ll["claim"].to_numpy().tolist() == originals
    assert ll["claims"].shape == (2, 200, len(originals))
    assert np.isfinite(ll["claims"]).all()


def test_censored_claims_contribute_log_probabilities(fake):
    ll = checks.pointwise_log_likelihood(fake)["claims"]
    censored = ll.sel(claim="un-darusman2015-workers")  # "more than": censored by default
    assert (censored <= 0).all()


def test_pointwise_log_likelihood_matches_scipy_by_hand(ledger):
    """A degenerate posterior: every draw at the same values, so each claim is a known normal."""
    from scipy import stats

    fit = fake_fit(ledger, chains=1, draws=3, log_sd=1e-12, workers_median=90_000.0)
    post = fit.idata.posterior
    ll = checks.pointwise_log_likelihood(fit)["claims"].isel(chain=0, draw=0)
    # us state 2017: a world point claim of 100,000 workers (government type).
    workers = float(post["workers"].sel(year=2017)[0, 0])
    bias = float(post["estimator_bias"].sel(estimator="US State Department",
                                            quantity="workers")[0, 0])
    noise = float(post["noise_sd"].sel(estimator_type="government")[0, 0])
    priors = fit.config.priors  # "some 100,000": rounding (capped) and the qualifier (0.1)
    scale = np.sqrt(noise**2 + priors.rounding_sd**2 + priors.rounding_sd_max**2 + 0.1**2)
    expected = stats.norm.logpdf(np.log(100_000), np.log(workers) + bias, scale)
    assert float(ll.sel(claim="usstate2017-workers")) == pytest.approx(expected, rel=1e-9)
    # "more than 50,000" in 2015 (censored): log P(belief > 50,000).
    workers = float(post["workers"].sel(year=2015)[0, 0])
    bias = float(post["estimator_bias"].sel(
        estimator="UN Special Rapporteur (Marzuki Darusman)", quantity="workers")[0, 0])
    noise = float(post["noise_sd"].sel(estimator_type="intergovernmental")[0, 0])
    scale = np.hypot(noise, fit.config.priors.rounding_sd)
    expected = stats.norm.logsf(np.log(50_000), np.log(workers) + bias, scale)
    assert float(ll.sel(claim="un-darusman2015-workers")) == pytest.approx(expected, rel=1e-9)


def test_loo_table_flags_high_pareto_k_and_leaves_the_fit_alone(fake):
    result = checks.loo(fake)
    assert list(result.table.columns) == [
        "id", "quantity", "estimator", "elpd_loo_i", "pareto_k", "k_high"]
    assert len(result.table) == len(fake.ledger.originals())
    assert (result.table["k_high"] == (result.table["pareto_k"] > 0.7)).all()
    assert "log_likelihood" not in fake.idata.children
    assert result.summary["n_k_high"] == int(result.table["k_high"].sum())
    assert isinstance(result.plot(), Figure)


# -- held-out claims -----------------------------------------------------------------------------
def test_default_cutoff_leaves_later_claims(ledger):
    cutoff = checks.default_cutoff(ledger)
    published = ledger.originals().published_year
    assert (published <= cutoff).any() and (published > cutoff).sum() >= 2


@pytest.mark.parametrize("cutoff, side", [(2000, "in or before"), (2030, "after")])
def test_held_out_needs_claims_on_both_sides(ledger, cutoff, side):
    with pytest.raises(ValueError, match=f"published {side} cutoff={cutoff}"):
        checks.held_out(ledger, cutoff=cutoff)


def test_held_out_figure_from_predictions(fake, ledger):
    later = ledger.originals().filter(lambda f: (f["published"].dt.year > 2017).to_numpy())
    table = predict_claims(fake, later, random_seed=1)
    table.insert(table.columns.get_loc("ref_end") + 1, "published", later.published_year)
    table["reading"] = "gaussian"
    table["in_50"] = 1.0
    table["in_90"] = 1.0
    result = HeldOutResult(table=table, cutoff=2017, n_fitted=7,
                           estimators=tuple(fake.structure.estimators))
    assert result.summary["coverage_90"] == 1.0
    assert isinstance(result.plot(), Figure)


# -- influence and sensitivity (fast fake fits) --------------------------------------------------
def test_influence_by_claim_table_has_one_row_per_claim_and_year(fast_fits, ledger):
    result = checks.influence(ledger, by="claim")
    originals = ledger.originals()
    n_years = len(rt.model_structure(ledger).years)
    assert list(result.table.columns) == list(checks.influence.__globals__["INFLUENCE_COLUMNS"])
    assert len(result.table) == len(originals) * n_years
    # The fake level is 10,000 per original claim: leaving one out shifts it by -1/n.
    assert np.allclose(result.table["shift"], -1 / len(originals), atol=1e-6)
    repeat = result.table[result.table["left_out"] == "usstate2017-workers"]
    assert (repeat["n_left_out"] == 1).all()  # its repeat goes too, but adds no evidence
    assert isinstance(result.plot(), Figure)


def test_influence_by_estimator_drops_all_their_claims(fast_fits, ledger):
    result = checks.influence(ledger, by="estimator")
    kinu = result.table[result.table["left_out"].str.startswith("Korea")]
    assert (kinu["n_left_out"] == 2).all()
    assert np.allclose(kinu["shift"], -2 / len(ledger.originals()), atol=1e-6)
    assert result.table["left_out"].nunique() == len(ledger.estimators())


def test_influence_rejects_unknown_options(ledger):
    with pytest.raises(ValueError, match="by = 'host'"):
        checks.influence(ledger, by="host")
    with pytest.raises(ValueError, match="quantity"):
        checks.influence(ledger, quantity="gdp")
    with pytest.raises(ValueError, match="scope"):
        checks.influence(ledger, scope="mars")


def test_sweep_fixes_years_and_pin_year(ledger):
    config = _sweep.sweep_config(rt.ModelConfig(), ledger)
    structure = rt.model_structure(ledger)
    assert config.years == (structure.years[0], structure.years[-1])
    assert config.pin_year == structure.pin_year
    without_first = ledger.drop("un-darusman2015-workers")
    assert rt.model_structure(without_first, config).years == structure.years


def test_grids_are_valid_distinct_configs():
    interp, priors = checks.interpretation_grid(), checks.prior_grid()
    assert interp["default"] == rt.ModelConfig()
    assert len(interp) == 15 and len(priors) == 8
    assert interp["gross_earnings offset x2.3 (high)"].measures["gross_earnings"].median > 2
    configs = [*interp.values(), *priors.values()]
    assert all(isinstance(c, rt.ModelConfig) for c in configs)
    assert len({c.to_json() for c in configs}) == len(configs)
    assert interp["both bound readings switched"].interpretation.lower_bound == "interval_end"
    assert priors["noise median \u00d72"].priors.noise_median == 0.3
    assert priors["field shift sd \u00d70.5"].priors.field_shift_log_sd == 0.075
    no_shift = rt.ModelConfig().replace(priors={"field_shift_log_sd": 0.0})
    assert len(checks.prior_grid(no_shift)) == 6


def test_sensitivity_table_shape_and_shift(fast_fits, ledger):
    configs = {"default": rt.ModelConfig(), "wide ranges": rt.ModelConfig().replace(
        interpretation={"range_coverage": 0.5})}
    result = checks.sensitivity(ledger, configs)
    n_years = len(rt.model_structure(ledger).years)
    assert len(result.table) == 2 * n_years * 3
    assert list(result.table.columns) == list(checks.sensitivity.__globals__[
        "SENSITIVITY_COLUMNS"])
    assert np.allclose(result.table["shift"], 0.0, atol=1e-6)
    assert set(result.table["group"]) == {"interpretation", "custom"}
    assert isinstance(result.plot(), Figure)
    assert isinstance(result.plot(year=2016, quantities=("workers",)), Figure)
    with pytest.raises(ValueError, match="reference"):
        checks.sensitivity(ledger, configs, reference="nope")


# -- SBC -----------------------------------------------------------------------------------------
def test_sbc_table_and_summary_shapes(fast_fits, ledger):
    result = checks.sbc(ledger, n_sims=5, draws=30, tune=10)
    assert set(result.table.columns) == {
        "simulation", "parameter", "truth", "rank", "in_90", "diagnostics_passed"}
    assert result.table["rank"].between(0, N_RANK_DRAWS).all()
    assert len(result.summary) == 6 and (result.summary["n_sims"] == 5).all()


def test_sbc_summary_of_uniform_ranks_and_figure():
    table = _uniform_ranks()
    result = SBCResult(table=table)
    assert (result.summary["p_value"] > 0.001).all()
    skewed = SBCResult(table=table.assign(rank=np.minimum(table["rank"], 20)))
    assert (skewed.summary["p_value"] < 1e-6).all()
    assert isinstance(result.plot(), Figure)


def test_sbc_needs_enough_draws_to_rank(ledger):
    with pytest.raises(ValueError, match="draws"):
        checks.sbc(ledger, n_sims=2, draws=10)


# -- run_all and the command line ----------------------------------------------------------------
def test_run_all_writes_every_table_figure_and_report(fast_fits, monkeypatch, tmp_path, ledger):
    from remitest.checks import report

    monkeypatch.setattr(report, "fit", lambda lg, config=None, **kw: fake_fit(
        lg, config, random_seed=kw.get("random_seed", 0)))
    lines = []
    folder = checks.run_all(ledger, out_dir=tmp_path / "checks", quick=True, progress=lines.append)
    names = {p.name for p in folder.iterdir()}
    for stem in ("cross_validation", "pit", "loo", "held_out", "influence_claim",
                 "influence_estimator", "sensitivity", "sbc"):
        assert f"{stem}.csv" in names and f"{stem}.png" in names
    assert {"sbc_summary.csv", "cross_validation_coverage.csv", "cross_validation_subgroups.csv",
            "report.md"} <= names
    assert not [n for n in names if n.startswith(".")]  # no temporary files left
    report = (folder / "report.md").read_text()
    assert "](influence_claim.png)" in report and "## Simulation-based calibration" in report
    # The headline is the cross-validated coverage, before every check's section.
    headline = report.index("## Headline: cross-validated coverage")
    assert headline < report.index("## Cross-validation by estimator")
    assert headline < report.index("## Held-out claims")
    assert "| all | 9 | 6 |" in report
    assert "Coverage by subgroup" in report and "| estimator_type | government |" in report
    assert sum(line.endswith("...") for line in lines) == 8
    # Each section is the check's verdict and its own text; the summary table lists the verdicts.
    assert "| check | verdict | seconds |" in report
    assert "| Influence of each claim | informs |" in report
    assert report.count("Verdict: ") == 8 and "Not run" not in report
    sbc_section = report[report.index("## Simulation-based calibration"):]
    assert "30 simulated ledgers; smallest rank-uniformity p-value" in sbc_section
    assert "](sbc_summary.csv)" in sbc_section


def _uniform_ranks(n_sims: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "simulation": np.repeat(np.arange(n_sims), 2),
        "parameter": np.tile(["a", "b"], n_sims),
        "truth": 0.0,
        "rank": rng.integers(0, N_RANK_DRAWS + 1, 2 * n_sims),
        "in_90": True,
        "diagnostics_passed": True,
    })  # fmt: skip


def test_report_shows_a_failed_verdict_and_a_check_that_did_not_run(monkeypatch, tmp_path,
                                                                     ledger):
    from remitest.checks import report

    def no_folds(*args, **kwargs):
        raise ValueError("cross_validate by estimator: too few estimators")

    table = _uniform_ranks()
    skewed = SBCResult(table=table.assign(rank=np.minimum(table["rank"], 20)))
    informs = checks.CheckResult(name="stub", passed=None, table=pd.DataFrame({"a": [1]}),
                                 text="A stub that informs.")
    monkeypatch.setattr(report, "fit", lambda lg, config=None, **kw: fake_fit(
        lg, config, random_seed=kw.get("random_seed", 0)))
    monkeypatch.setattr(checks, "cross_validate", no_folds)
    monkeypatch.setattr(checks, "sbc", lambda *args, **kwargs: skewed)
    for name in ("influence", "sensitivity"):
        monkeypatch.setattr(checks, name, lambda *args, **kwargs: informs)
    folder = checks.run_all(ledger, out_dir=tmp_path, quick=True)
    report = (folder / "report.md").read_text()
    assert skewed.passed is False
    sbc_section = report[report.index("## Simulation-based calibration"):]
    assert sbc_section.startswith("## Simulation-based calibration\n\nVerdict: **FAILED**.")
    assert "| Simulation-based calibration | failed |" in report
    assert "| Cross-validation by estimator | not run |" in report
    assert "Not run: cross_validate by estimator: too few estimators" in report
    assert "Cross-validation by estimator did not run" in report
    assert "](sbc.png)" in report and (folder / "sbc_summary.csv").exists()
    assert not (folder / "cross_validation.csv").exists()


# -- every check returns a CheckResult ---------------------------------------------------------
def _check_functions() -> set[str]:
    """The public functions of remitest.checks whose return annotation is a CheckResult."""
    import inspect

    found = set()
    for name in checks.__all__:
        obj = getattr(checks, name)
        if not inspect.isfunction(obj):
            continue
        returned = getattr(checks, str(inspect.signature(obj).return_annotation), None)
        if isinstance(returned, type) and issubclass(returned, checks.CheckResult):
            found.add(name)
    return found


def _known_truth(fit):
    return pd.DataFrame([{"year": y, "scope": "world", "quantity": "workers", "value": 1e5}
                         for y in fit.years])


CHECK_CALLS = {
    "cross_validate": lambda ledger, fake: checks.cross_validate(ledger, draws=30, tune=10),
    "posterior_predictive": lambda ledger, fake: checks.posterior_predictive(fake),
    "loo": lambda ledger, fake: checks.loo(fake),
    "held_out": lambda ledger, fake: checks.held_out(ledger, cutoff=checks.default_cutoff(ledger),
                                                     draws=30, tune=10),
    "influence": lambda ledger, fake: checks.influence(ledger, by="estimator", draws=30, tune=10),
    "sensitivity": lambda ledger, fake: checks.sensitivity(
        ledger, {"default": rt.ModelConfig(), "bound ratio 2": rt.ModelConfig().replace(
            interpretation={"bound_ratio": 2.0})}, draws=30, tune=10),
    "sbc": lambda ledger, fake: checks.sbc(ledger, n_sims=3, draws=30, tune=10),
    "score_truth": lambda ledger, fake: checks.score_truth(fake, _known_truth(fake)),
}


def test_every_public_check_is_tested_below():
    assert _check_functions() == set(CHECK_CALLS)


@pytest.mark.parametrize("name", sorted(CHECK_CALLS))
def test_every_check_returns_a_check_result(name, fast_fits, monkeypatch, ledger, fake):
    import importlib
    from collections.abc import Mapping

    held_out_module = importlib.import_module("remitest.checks.held_out")  # not the function
    monkeypatch.setattr(held_out_module, "fit", lambda lg, config=None, **kw: fake_fit(
        lg, config, random_seed=kw.get("random_seed", 0)))
    result = CHECK_CALLS[name](ledger, fake)
    assert isinstance(result, checks.CheckResult)
    assert result.passed in (True, False, None) and result.verdict in (
        "passed", "failed", "informs")
    assert isinstance(result.table, pd.DataFrame) and not result.table.empty
    assert isinstance(result.text, str) and result.text.strip()
    assert result.tables[result.name] is result.table
    assert isinstance(result.figures, Mapping)
    for figure in result.figures.values():
        assert isinstance(figure, Figure)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.passed = True


def test_verdicts_follow_the_rules(fake):
    loo = checks.loo(fake)
    assert loo.passed is (not loo.table["k_high"].any())
    calm = dataclasses.replace(loo, table=loo.table.assign(k_high=False))
    assert calm.passed is True and "0 of" in calm.text
    assert dataclasses.replace(loo, table=loo.table.assign(k_high=True)).passed is False
    assert SBCResult(table=_uniform_ranks()).passed is True
    assert checks.result.binomial_band(9) == pytest.approx((6 / 9, 1.0))
    assert checks.result.binomial_band(100) == pytest.approx((0.85, 0.95))


def test_figures_are_drawn_once_on_first_access():
    calls = []
    figures = checks.result.LazyFigures({"a": lambda: calls.append(1) or Figure()})
    assert list(figures) == ["a"] and len(figures) == 1 and calls == []
    assert figures["a"] is figures["a"] and calls == [1]


def test_cli_check_reports_bad_input_with_status_2(tmp_path, capsys):
    from remitest.cli import main

    assert main(["check", "--out", str(tmp_path), "--config", '{"bogus": 1}']) == 2
    assert "remitest check: unknown configuration key" in capsys.readouterr().err
    assert main(["check", "--out", str(tmp_path), "--ledger", str(tmp_path / "none.csv")]) == 2


def test_cli_check_runs_all_with_progress(monkeypatch, tmp_path, capsys):
    from remitest import cli

    seen = {}

    def fake_run_all(ledger, *, out_dir, config, executor, random_seed, quick, progress):
        seen.update(executor=executor, seed=random_seed, quick=quick)
        progress("PSIS-LOO ...")
        out_dir.mkdir()
        return out_dir

    monkeypatch.setattr(checks, "run_all", fake_run_all)
    assert cli.main(["check", "--out", str(tmp_path / "c"), "--quick", "--seed", "7"]) == 0
    assert seen == {"executor": None, "seed": 7, "quick": True}
    assert "PSIS-LOO ..." in capsys.readouterr().out


# -- real tiny fits ------------------------------------------------------------------------------
@pytest.mark.sampler
@TINY
def test_pointwise_log_likelihood_matches_the_pymc_model(ledger):
    fitted = rt.fit(ledger, draws=50, tune=100, chains=2, random_seed=3, progressbar=False)
    model = rt.build_model(ledger, fitted.config, structure=fitted.structure)
    logp = model.compile_logp(vars=[model["gaussian_claims"], model["censored_claims"]])
    ll = checks.pointwise_log_likelihood(fitted)["claims"]
    post = fitted.idata.posterior
    for chain, draw in [(0, 0), (1, 17), (0, 49)]:
        point = {}
        for value_var in model.value_vars:  # the log and log-odds transforms of the model
            name = value_var.name
            base = name.removesuffix("_log__").removesuffix("_logodds__")
            value = post[base].isel(chain=chain, draw=draw).to_numpy()
            point[name] = np.log(value) if name.endswith("_log__") else value
            if name.endswith("_logodds__"):
                point[name] = np.log(value) - np.log1p(-value)
        expected = float(logp(point))
        assert float(ll.isel(chain=chain, draw=draw).sum()) == pytest.approx(
            expected, rel=1e-8, abs=1e-7  # a sum of terms of order 1 can land near 0
        )


@pytest.mark.sampler
@TINY
def test_influence_by_estimator_on_real_fits(ledger):
    result = checks.influence(ledger, by="estimator", draws=100, tune=200)
    assert result.table["left_out"].nunique() == len(ledger.estimators())
    assert np.isfinite(result.table["shift"]).all()
    # Without the Japanese government's claims (50-60k workers in 2016) the level rises.
    japan = result.table[result.table["left_out"].str.startswith("Japanese")]
    assert float(japan.loc[japan["year"] == 2016, "shift"].iloc[0]) > 0


@pytest.mark.sampler
@TINY
def test_executor_gives_the_serial_table(ledger):
    configs = dict(list(checks.interpretation_grid().items())[:2])
    serial = checks.sensitivity(ledger, configs, draws=100, tune=200, random_seed=5)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        threaded = checks.sensitivity(ledger, configs, draws=100, tune=200, random_seed=5,
                                      executor=pool)
    pd.testing.assert_frame_equal(serial.table, threaded.table)


@pytest.mark.slow
@pytest.mark.sampler
@TINY
def test_sbc_ranks_are_uniform_under_the_default_configuration():
    """100 ledgers like a realistic 30-claim one (host-level claims, every kind of claim), read
    under its configuration's default interpretation: every rank histogram must be uniform at
    p >= 0.01 (chi-square over 10 bins)."""
    template = rt.synthetic_ledger(30, random_seed=1)
    config = checks.sbc_config(template.config)
    assert config.interpretation == template.config.interpretation  # the default reading
    scopes = set(template.ledger.to_frame()["scope"])
    assert scopes & set(config.hosts) and {"upper_bound", "lower_bound"} <= set(
        template.ledger.to_frame()["kind"])
    result = checks.sbc(template.ledger, config=config, n_sims=100, draws=300, tune=300,
                        random_seed=7)
    summary = result.summary
    assert len(result.table) == 100 * len(summary)
    assert {"bias sd (workers)"} <= set(summary["parameter"])
    assert summary["parameter"].str.contains("share").any()
    assert (summary["p_value"] >= 0.01).all(), summary.to_string()


def test_task_is_picklable(ledger):
    import pickle

    config = _sweep.sweep_config(rt.ModelConfig(), ledger)
    (task,) = _sweep.make_tasks([ledger], config, structure_ledger=ledger, seeds=[1], draws=10,
                                tune=10)
    again = pickle.loads(pickle.dumps(task))
    assert dataclasses.asdict(again)["config_json"] == task.config_json
    assert again.ledger.sha256 == ledger.sha256


def test_claim_spread_prior_follows_the_configured_priors():
    table = checks.claim_spread_prior(random_seed=1).set_index("term")
    assert table.loc["measure 'gross_earnings': figure over the reference", "q50"] == (
        pytest.approx(1.4, rel=0.01)
    )
    wider = checks.claim_spread_prior(
        rt.ModelConfig().replace(priors={"bias_sd_median": 0.8}), random_seed=1
    ).set_index("term")
    key = "bias (new source), workers"
    assert wider.loc[key, "q95"] > table.loc[key, "q95"] * 1.5
    field = "the field's shift (every source of a quantity)"
    assert table.loc[field, "q95"] == pytest.approx(np.exp(1.645 * 0.15), rel=0.01)
    without = checks.claim_spread_prior(
        rt.ModelConfig().replace(priors={"field_shift_log_sd": 0.0}), random_seed=1
    ).set_index("term")
    assert without.loc[field, "q95"] == 1.0
    key = "all together: a round point claim by a new source, workers"
    assert table.loc[key, "q95"] > without.loc[key, "q95"]
