"""Structural tests of the PyMC model: names, dims, coords, the identity, each claim's likelihood.

Nothing here samples; log densities are compiled and evaluated at fixed points.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from scipy import stats

from remitest.config import ConfigError, ModelConfig
from remitest.ledger import DEFAULT_HOSTS, ESTIMATOR_TYPES, QUANTITIES, Ledger, load_ledger
from remitest.model import (
    DATA_NAMES,
    ModelStructure,
    _step_scale,
    build_model,
    claim_blocks,
    host_step_scale,
    model_data,
    model_structure,
)

DETERMINISTICS = {
    "workers": ("year",),
    "remittances_usd": ("year",),
    "per_worker_usd": ("year",),
    "workers_host": ("host", "year"),
    "remittances_usd_host": ("host", "year"),
    "host_share": ("host",),
    "host_share_by_year": ("host", "year"),
    "estimator_bias": ("estimator", "quantity"),
}
DEFAULT = ModelConfig()
UPPER_CENSORED = ModelConfig().replace(interpretation={"upper_bound": "censored"})
LOWER_INTERVAL = ModelConfig().replace(interpretation={"lower_bound": "interval_end"})
ROUNDING_SD = DEFAULT.priors.rounding_sd
ROUND_CAP = DEFAULT.priors.rounding_sd_max  # a figure as round as 100,000 or 5,000
RATIO = DEFAULT.interpretation.bound_ratio
RATIO_SD = DEFAULT.interpretation.bound_ratio_log_sd


@cache
def shipped() -> Ledger:
    return load_ledger("seeds")


@cache
def shipped_model(config: str = "default") -> pm.Model:
    return build_model(shipped(), {"default": DEFAULT, "lower": LOWER_INTERVAL}[config])


# -- helpers --------------------------------------------------------------------------------
def claim_row(**fields) -> dict:
    """One ledger row with every column of the shipped ledger's frame."""
    base = {
        "id": "c1",
        "quantity": "workers",
        "kind": "point",
        "low": 100_000.0,
        "high": 100_000.0,
        "coverage": np.nan,
        "ref_start": 2017,
        "ref_end": 2017,
        "published": "2018",
        "estimator": "Gov A",
        "estimator_type": "government",
        "scope": "world",
        "document": "doc.txt",
        "quote": "some quote",
    }
    row = {**base, **fields}
    columns = [*shipped().to_frame().columns, "measure"]
    return {c: row.get(c, "") for c in columns}


def ledger_of(*rows: dict, hosts=None) -> Ledger:
    return Ledger.from_frame(pd.DataFrame(list(rows)), hosts=hosts)


def random_point(model: pm.Model, rng: np.random.Generator, scale: float = 0.5) -> dict:
    """The initial point (prior centres) moved at random in the unconstrained space."""
    start = model.initial_point()
    return {k: v + scale * rng.standard_normal(np.shape(v)) for k, v in start.items()}


def deterministics_fn(model: pm.Model, names=(*DETERMINISTICS, "noise_sd")):
    outs = model.replace_rvs_by_values([model[n] for n in names])
    fn = model.compile_fn(
        outs, inputs=model.value_vars, on_unused_input="ignore", mode="FAST_COMPILE"
    )
    return lambda point: dict(zip(names, fn(point), strict=True))


# -- names, dims, coords --------------------------------------------------------------------
def test_named_deterministics_and_dims():
    model = shipped_model()
    dims = model.named_vars_to_dims
    for name, expected in DETERMINISTICS.items():
        assert name in model.named_vars
        assert model[name] in model.deterministics
        assert tuple(dims[name]) == expected, name
    assert tuple(dims["noise_sd"]) == ("estimator_type",)
    assert {"gaussian_claims", "censored_claims"} == {v.name for v in model.observed_RVs}
    for name in DATA_NAMES:
        assert name in model.named_vars


def test_coords():
    model = shipped_model()
    frame = shipped().to_frame()
    first = int(frame["ref_start"].min()) - 2
    last = int(frame["published"].dt.year.max())
    assert list(model.coords["year"]) == list(range(first, last + 1))
    assert (first, last) == (2013, 2024)
    assert all(isinstance(y, int | np.integer) for y in model.coords["year"])
    assert tuple(model.coords["host"]) == DEFAULT_HOSTS == ("china", "russia", "rest_of_world")
    assert tuple(model.coords["estimator"]) == tuple(shipped().estimators()["estimator"])
    assert tuple(model.coords["quantity"]) == QUANTITIES
    assert tuple(model.coords["estimator_type"]) == ESTIMATOR_TYPES
    structure = model_structure(shipped())
    assert structure.years == tuple(range(2013, 2025))


def test_years_come_from_the_ledger_not_from_today():
    old = ledger_of(claim_row(ref_start=1999, ref_end=2000, published="2001"))
    structure = model_structure(old)
    assert structure.years == tuple(range(1997, 2002))
    model = build_model(old)
    assert list(model.coords["year"]) == list(range(1997, 2002))


def test_configured_years_are_used():
    cfg = ModelConfig(years=(2010, 2026))
    assert model_structure(shipped(), cfg).years == tuple(range(2010, 2027))


# -- the identity -----------------------------------------------------------------------------
def test_identity_at_random_points():
    model = shipped_model()
    evaluate = deterministics_fn(model)
    rng = np.random.default_rng(11)
    for _ in range(5):
        d = evaluate(random_point(model, rng, scale=1.0))
        np.testing.assert_allclose(
            d["remittances_usd"], d["workers"] * d["per_worker_usd"], rtol=1e-12
        )
        np.testing.assert_allclose(d["host_share"].sum(), 1.0, rtol=1e-12)
        np.testing.assert_allclose(d["workers_host"].sum(axis=0), d["workers"], rtol=1e-12)
        np.testing.assert_allclose(
            d["remittances_usd_host"],
            d["host_share_by_year"] * d["remittances_usd"][None, :],
            rtol=1e-12,
        )
        np.testing.assert_allclose(d["host_share_by_year"].sum(axis=0), 1.0, rtol=1e-12)
        # at the pin year each host's own walk is zero: its share is the pinned share
        pin = list(model.coords["year"]).index(model_structure(shipped()).pin_year)
        np.testing.assert_allclose(d["host_share_by_year"][:, pin], d["host_share"], rtol=1e-12)
        np.testing.assert_allclose(
            d["remittances_usd_host"], d["workers_host"] * d["per_worker_usd"][None, :], rtol=1e-12
        )


def test_identity_in_prior_draws():
    model = shipped_model()
    workers, per_worker, remittances = pm.draw(
        [model["workers"], model["per_worker_usd"], model["remittances_usd"]],
        draws=20,
        random_seed=5,
    )
    assert workers.shape == (20, len(model.coords["year"]))
    assert np.all(workers > 0) and np.all(per_worker > 0)
    np.testing.assert_allclose(remittances, workers * per_worker, rtol=1e-12)


# -- each claim kind's likelihood against a closed form ---------------------------------------
# One model per configuration, built from a template ledger that fixes years, pin year and
# estimators; each one-claim ledger then swaps its data in (the compile-once path).
YEARS = (2010, 2024)
TEMPLATE_ESTIMATORS = {"Gov A": "government", "Media B": "media", "Anon C": "anonymous"}


@cache
def likelihood_setup(name: str):
    config = {
        "default": DEFAULT,
        "upper_censored": UPPER_CENSORED,
        "lower_interval": LOWER_INTERVAL,
    }[name].replace(years=YEARS, pin_year=2016)
    template = ledger_of(
        *[
            claim_row(id=f"t{i}", estimator=e, estimator_type=t)
            for i, (e, t) in enumerate(TEMPLATE_ESTIMATORS.items())
        ]
    )
    structure = model_structure(template, config)
    model = build_model(template, config)
    obs_logp = model.compile_logp(vars=[model["gaussian_claims"], model["censored_claims"]])
    return config, structure, model, obs_logp, deterministics_fn(model)


def z(coverage: float) -> float:
    return stats.norm.ppf(0.5 + coverage / 2)


def year(t: int) -> int:
    return t - YEARS[0]


CHINA, RUSSIA = 0, 1
Q = {q: i for i, q in enumerate(QUANTITIES)}


def _gaussian(y, spread):
    return lambda m, noise: stats.norm.logpdf(y, m, np.sqrt(noise**2 + ROUNDING_SD**2 + spread**2))


# PyMC's normal log-CDF agrees with scipy's to ~1e-7 relative (erfcx-based), not to 1e-10.
CENSORED_RTOL = 1e-6


def _above(bound):  # "more than X": log P(belief > X)
    return lambda m, noise: stats.norm.logsf(np.log(bound), m, np.hypot(noise, ROUNDING_SD))


def _below(bound):  # "as high as X": log P(belief < X)
    return lambda m, noise: stats.norm.logcdf(np.log(bound), m, np.hypot(noise, ROUNDING_SD))


LIKELIHOOD_CASES = {
    # name: (config, claim fields, measured(deterministics), closed-form logp(m, noise))
    "point": (
        "default",
        {},
        lambda d: d["workers"][year(2017)],
        _gaussian(np.log(100_000), ROUND_CAP),
    ),
    "range_default_coverage": (
        "default",
        {
            "kind": "range",
            "low": 50_000,
            "high": 60_000,
            "ref_start": 2016,
            "ref_end": 2016,
            "estimator": "Media B",
            "estimator_type": "media",
        },
        lambda d: d["workers"][year(2016)],
        _gaussian(np.log(np.sqrt(50_000 * 60_000)), np.log(60_000 / 50_000) / 2 / z(0.8)),
    ),
    "range_claim_coverage": (
        "default",
        {
            "kind": "range",
            "low": 20_000,
            "high": 200_000,
            "coverage": 0.5,
            "ref_start": 2020,
            "ref_end": 2020,
            "published": "2021",
        },
        lambda d: d["workers"][year(2020)],
        _gaussian(np.log(np.sqrt(20_000 * 200_000)), np.log(10) / 2 / z(0.5)),
    ),
    "upper_bound_interval_end": (
        "default",
        {
            "kind": "upper_bound",
            "low": np.nan,
            "high": 150_000,
            "estimator": "Anon C",
            "estimator_type": "anonymous",
        },
        lambda d: d["workers"][year(2017)],
        _gaussian(np.log(150_000 / RATIO), np.log(RATIO) / z(0.8)),
    ),
    "upper_bound_interval_end_claim_coverage": (
        "default",
        {"kind": "upper_bound", "low": np.nan, "high": 150_000, "coverage": 0.5},
        lambda d: d["workers"][year(2017)],
        _gaussian(np.log(150_000 / RATIO), np.log(RATIO) / z(0.5)),
    ),
    "upper_bound_censored": (
        "upper_censored",
        {"kind": "upper_bound", "low": np.nan, "high": 150_000},
        lambda d: d["workers"][year(2017)],
        _below(150_000),
    ),
    "lower_bound_censored": (
        "default",
        {
            "kind": "lower_bound",
            "low": 50_000,
            "high": np.nan,
            "estimator": "Media B",
            "estimator_type": "media",
        },
        lambda d: d["workers"][year(2017)],
        _above(50_000),
    ),
    "lower_bound_interval_end": (
        "lower_interval",
        {"kind": "lower_bound", "low": 50_000, "high": np.nan},
        lambda d: d["workers"][year(2017)],
        _gaussian(np.log(50_000 * RATIO), np.log(RATIO) / z(0.8)),
    ),
    "lower_bound_censored_remittances": (
        "upper_censored",
        {"quantity": "remittances_usd", "kind": "lower_bound", "low": 3e8, "high": np.nan},
        lambda d: d["remittances_usd"][year(2017)],
        _above(3e8),
    ),
    "multi_year_window": (
        "default",
        {
            "quantity": "remittances_usd",
            "kind": "range",
            "low": 2e8,
            "high": 5e8,
            "ref_start": 2017,
            "ref_end": 2019,
            "published": "2023",
            "estimator": "Anon C",
            "estimator_type": "anonymous",
        },
        lambda d: np.mean(d["remittances_usd"][year(2017) : year(2019) + 1]),
        _gaussian(np.log(np.sqrt(2e8 * 5e8)), np.log(2.5) / 2 / z(0.8)),
    ),
    "china_russia_scope": (
        "default",
        {
            "kind": "range",
            "low": 20_000,
            "high": 200_000,
            "coverage": 0.5,
            "scope": "china_russia",
            "ref_start": 2024,
            "ref_end": 2024,
            "published": "2024",
            "estimator": "Media B",
            "estimator_type": "media",
        },
        lambda d: d["workers_host"][CHINA, year(2024)] + d["workers_host"][RUSSIA, year(2024)],
        _gaussian(np.log(np.sqrt(20_000 * 200_000)), np.log(10) / 2 / z(0.5)),
    ),
    "host_scope_multi_year": (
        "default",
        {
            "quantity": "remittances_usd",
            "kind": "point",
            "low": 1e8,
            "high": 1e8,
            "scope": "russia",
            "ref_start": 2018,
            "ref_end": 2019,
            "published": "2020",
        },
        lambda d: np.mean(d["remittances_usd_host"][RUSSIA, year(2018) : year(2019) + 1]),
        _gaussian(np.log(1e8), ROUND_CAP),
    ),
    "per_worker": (
        "default",
        {
            "quantity": "per_worker_usd",
            "kind": "point",
            "low": 5_000,
            "high": 5_000,
            "ref_start": 2018,
            "ref_end": 2018,
            "published": "2018",
        },
        lambda d: d["per_worker_usd"][year(2018)],
        _gaussian(np.log(5_000), ROUND_CAP),
    ),
    # a precise figure: u = 2,000 divides 64,000, rounding log(65/63)/sqrt(12)
    "precise_point_with_qualifier": (
        "default",
        {"kind": "point", "low": 64_000, "high": 64_000, "qualifier": "about"},
        lambda d: d["workers"][year(2017)],
        _gaussian(np.log(64_000), np.hypot(np.log(65 / 63) / np.sqrt(12), 0.1)),
    ),
    # gross earnings: read back to the state's revenue (x1.4); the offset's uncertainty is the
    # shared reading (_reading_shift), not noise of the claim
    "gross_earnings": (
        "default",
        {"quantity": "remittances_usd", "kind": "range", "low": 4e8, "high": 8e8,
         "measure": "gross_earnings"},
        lambda d: d["remittances_usd"][year(2017)],
        _gaussian(np.log(np.sqrt(4e8 * 8e8) / 1.4), np.log(2) / 2 / z(0.8)),
    ),
    # permits from 2020: "more than" the permit count, read back to heads
    "permits_after_deadline": (
        "default",
        {"kind": "point", "low": 9_000, "high": 9_000, "measure": "permits", "scope": "russia",
         "ref_start": 2021, "ref_end": 2021, "published": "2022"},
        lambda d: d["workers_host"][RUSSIA, year(2021)],
        _above(9_000 / 0.9),
    ),
    # per-worker amounts are the same in every host: a group scope does not sum them
    "per_worker_china_russia": (
        "default",
        {
            "quantity": "per_worker_usd",
            "kind": "range",
            "low": 3_000,
            "high": 6_000,
            "scope": "china_russia",
        },
        lambda d: d["per_worker_usd"][year(2017)],
        _gaussian(np.log(np.sqrt(3_000 * 6_000)), np.log(2) / 2 / z(0.8)),
    ),
}


def _reading_shift(config, row, reading_z):
    """The shared readings' pull on a claim's location, written out from the configuration.

    An interval-end bound's ratio beyond its median (``bound_ratio_log_sd x z``: an upper bound's
    belief median is the bound over the ratio, so the location moves up; a lower bound's down),
    a measure's offset beyond its median (``log_sd x z``), and the field's shift of the claim's
    quantity (``field_shift_log_sd x z``, on every claim).
    """
    field = [f"field_{q}" for q in QUANTITIES] if config.priors.field_shift_log_sd > 0 else []
    names = ("bound_ratio", *sorted(config.measures), *field)
    interp, shift = config.interpretation, 0.0
    if field:
        shift += (config.priors.field_shift_log_sd
                  * reading_z[names.index(f"field_{row['quantity']}")])
    if row["kind"] == "upper_bound" and interp.upper_bound == "interval_end":
        shift += interp.bound_ratio_log_sd * reading_z[0]
    if row["kind"] == "lower_bound" and interp.lower_bound == "interval_end":
        shift -= interp.bound_ratio_log_sd * reading_z[0]
    measure = row.get("measure")
    if isinstance(measure, str) and measure in config.measures:
        shift += config.measures[measure].log_sd * reading_z[names.index(measure)]
    return shift


@pytest.mark.parametrize("case", list(LIKELIHOOD_CASES))
def test_claim_likelihood_closed_form(case):
    config_name, fields, measured, closed_form = LIKELIHOOD_CASES[case]
    config, structure, model, obs_logp, evaluate = likelihood_setup(config_name)
    row = claim_row(**fields)
    ledger = ledger_of(row)
    assert structure.covers(model_structure(ledger, config))
    data = model_data(ledger, structure, config)
    pm.set_data(data, model=model)
    e = structure.estimators.index(row["estimator"])
    k = ESTIMATOR_TYPES.index(row["estimator_type"])
    rng = np.random.default_rng(list(LIKELIHOOD_CASES).index(case))
    for _ in range(3):
        point = random_point(model, rng)
        d = evaluate(point)
        m = np.log(measured(d)) + d["estimator_bias"][e, Q[row["quantity"]]]
        m += _reading_shift(config, row, point["reading_z"])
        expected = closed_form(m, d["noise_sd"][k])
        rtol = CENSORED_RTOL if len(data["censored_value"]) else 1e-10
        np.testing.assert_allclose(obs_logp(point), expected, rtol=rtol, atol=1e-12)


def test_claims_in_both_blocks_add_up():
    """Several claims at once: the blocks' logp is the sum of the one-claim closed forms."""
    config, structure, model, obs_logp, evaluate = likelihood_setup("default")
    names = [
        "point",
        "range_claim_coverage",
        "lower_bound_censored",
        "multi_year_window",
        "china_russia_scope",
        "per_worker",
    ]
    rows = [claim_row(id=f"c{i}", **LIKELIHOOD_CASES[n][1]) for i, n in enumerate(names)]
    pm.set_data(model_data(ledger_of(*rows), structure, config), model=model)
    point = random_point(model, np.random.default_rng(3))
    d = evaluate(point)
    expected = 0.0
    for name, row in zip(names, rows, strict=True):
        _, _, measured, closed_form = LIKELIHOOD_CASES[name]
        e = structure.estimators.index(row["estimator"])
        m = np.log(measured(d)) + d["estimator_bias"][e, Q[row["quantity"]]]
        m += _reading_shift(config, row, point["reading_z"])
        expected += closed_form(m, d["noise_sd"][ESTIMATOR_TYPES.index(row["estimator_type"])])
    np.testing.assert_allclose(obs_logp(point), expected, rtol=CENSORED_RTOL)


# -- repeats add no evidence ------------------------------------------------------------------
def test_repeats_add_no_evidence():
    ledger = shipped()
    frame = ledger.to_frame()
    repeat = frame["derived_from"].notna()
    assert repeat.sum() == 1
    # a repeat that even quotes a different figure must not change anything
    changed = frame.copy()
    changed.loc[repeat, ["low", "high"]] = 300_000.0
    with_repeat = Ledger.from_frame(changed)
    without = ledger.originals()
    assert len(with_repeat) == len(without) + 1
    structure = model_structure(with_repeat)
    assert structure == model_structure(without) == model_structure(ledger)

    data_with = model_data(with_repeat, structure, DEFAULT)
    data_without = model_data(without, structure, DEFAULT)
    assert set(data_with) == set(DATA_NAMES)
    for name in DATA_NAMES:
        np.testing.assert_array_equal(data_with[name], data_without[name], err_msg=name)
    n_claims = len(data_with["gaussian_value"]) + len(data_with["censored_value"])
    assert n_claims == len(without) == int((~repeat).sum())
    gaussian, censored = claim_blocks(with_repeat, structure, DEFAULT)
    used = {*gaussian.ids, *censored.ids}
    assert used == set(frame.loc[~repeat, "id"])

    rng = np.random.default_rng(2)
    model_with, model_without = build_model(with_repeat), build_model(without)
    logp_with, logp_without = model_with.compile_logp(), model_without.compile_logp()
    for _ in range(3):
        point = random_point(model_with, rng)
        assert logp_with(point) == logp_without(point)


# -- structure and the compile cache ----------------------------------------------------------
def test_structure_unchanged_when_a_claim_is_dropped():
    full = model_structure(shipped())
    dropped = model_structure(shipped().drop("kinu-workers"))  # KINU keeps its other claim
    assert dropped == full
    assert hash(dropped) == hash(full)
    assert full.covers(dropped) and dropped.covers(full)
    # so the cached structure builds the smaller ledger's model
    model = build_model(shipped().drop("kinu-workers"), structure=full)
    assert list(model.coords["estimator"]) == list(full.estimators)


def test_covers_subset_of_estimators_but_not_a_new_one():
    full = model_structure(shipped())
    fewer = model_structure(shipped().drop("experts2023-remittances"))
    assert set(fewer.estimators) < set(full.estimators)
    assert (fewer.years, fewer.pin_year) == (full.years, full.pin_year)
    assert full.covers(fewer)
    assert not fewer.covers(full)  # a new estimator is a recompile


def test_covers_is_false_for_changed_years_hosts_pin_or_config():
    full = model_structure(shipped())
    assert not full.covers(dataclasses.replace(full, years=full.years[1:]))
    assert not full.covers(dataclasses.replace(full, hosts=("china", "russia")))
    # the pin year reaches the compiled density as data: a different one is still covered
    assert full.covers(dataclasses.replace(full, pin_year=full.pin_year + 1))
    other_config = model_structure(shipped(), UPPER_CENSORED)
    assert other_config.config_json != full.config_json
    assert not full.covers(other_config)
    assert not full.covers(model_structure(shipped(), ModelConfig(years=(2012, 2024))))
    retyped = dataclasses.replace(full, estimator_types=("media", *full.estimator_types[1:]))
    assert not full.covers(retyped)


def test_build_model_rejects_a_structure_that_does_not_cover():
    fewer = model_structure(shipped().drop("experts2023-remittances"))
    with pytest.raises(ConfigError, match="does not cover"):
        build_model(shipped(), structure=fewer)


def test_structure_fields():
    structure = model_structure(shipped())
    assert isinstance(structure, ModelStructure)
    assert structure.hosts == DEFAULT_HOSTS
    assert structure.config_json == DEFAULT.to_json()
    assert structure.years[0] <= structure.pin_year <= structure.years[-1]
    est = shipped().estimators()
    assert structure.estimators == tuple(est["estimator"])
    assert structure.estimator_types == tuple(est["estimator_type"])


def vietnam_frame() -> pd.DataFrame:
    row = claim_row(
        id="vn-workers",
        scope="vietnam",
        ref_start=2018,
        ref_end=2018,
        published="2019",
        estimator="Gov A",
    )
    return pd.concat([shipped().to_frame(), pd.DataFrame([row])], ignore_index=True)


def test_scope_not_covered_by_hosts(tmp_path):
    path = tmp_path / "claims.csv"
    Ledger.from_frame(vietnam_frame(), hosts=["vietnam"]).to_csv(path)
    ledger = load_ledger(path, hosts=["vietnam"])
    for call in (lambda: model_structure(ledger), lambda: build_model(ledger)):
        with pytest.raises(ConfigError) as err:
            call()
        assert "vn-workers" in str(err.value)
        assert "'vietnam'" in str(err.value)
    config = DEFAULT.replace(
        hosts=[*DEFAULT_HOSTS, "vietnam"],
        priors={
            "host_share_concentration": {**DEFAULT.priors.host_share_concentration, "vietnam": 1.0}
        },
    )
    structure = model_structure(ledger, config)
    assert structure.hosts == (*DEFAULT_HOSTS, "vietnam")
    model = build_model(ledger, config)
    assert tuple(model.coords["host"]) == (*DEFAULT_HOSTS, "vietnam")
    np.testing.assert_array_equal(
        model_data(ledger, structure, config)["gaussian_scope"][-1], [0, 0, 0, 1]
    )


def test_configured_years_must_cover_reference_years():
    with pytest.raises(ConfigError, match="years"):
        model_structure(shipped(), ModelConfig(years=(2016, 2024)))
    with pytest.raises(ConfigError, match="years"):
        model_structure(shipped(), ModelConfig(years=(2010, 2023)))
    with pytest.raises(ConfigError, match="pin_year"):
        model_structure(shipped(), ModelConfig(pin_year=2030))


# -- empty likelihood blocks ------------------------------------------------------------------
def test_no_censored_claims_builds_with_empty_block():
    model = shipped_model("lower")
    structure = model_structure(shipped(), LOWER_INTERVAL)
    data = model_data(shipped(), structure, LOWER_INTERVAL)
    assert data["censored_value"].shape == (0,)
    assert data["censored_window"].shape == (0, len(structure.years))
    assert data["censored_scope"].shape == (0, len(structure.hosts))
    assert len(data["gaussian_value"]) == len(shipped().originals())
    assert model["censored_claims"] in model.observed_RVs
    point = random_point(model, np.random.default_rng(0))
    censored_logp = model.compile_logp(vars=[model["censored_claims"]])
    assert censored_logp(point) == 0.0
    assert np.isfinite(model.compile_logp()(point))


def test_only_a_censored_claim():
    ledger = ledger_of(
        claim_row(
            kind="lower_bound",
            low=50_000,
            high=np.nan,
            ref_start=2015,
            ref_end=2015,
            published="2015-10",
        )
    )
    structure = model_structure(ledger)
    data = model_data(ledger, structure, DEFAULT)
    assert data["gaussian_value"].shape == (0,)
    assert data["censored_value"].shape == (1,)
    model = build_model(ledger)
    assert list(model.coords["year"]) == [2013, 2014, 2015]
    obs_logp = model.compile_logp(vars=[model["gaussian_claims"], model["censored_claims"]])
    evaluate = deterministics_fn(model)
    point = random_point(model, np.random.default_rng(4))
    d = evaluate(point)
    m = np.log(d["workers"][2]) + d["estimator_bias"][0, Q["workers"]]
    m += _reading_shift(DEFAULT, ledger.to_frame().iloc[0], point["reading_z"])
    expected = _above(50_000)(m, d["noise_sd"][ESTIMATOR_TYPES.index("government")])
    np.testing.assert_allclose(obs_logp(point), expected, rtol=CENSORED_RTOL)
    assert np.isfinite(model.compile_logp()(point))


def test_fit_posterior_dims_match_the_pymc_model():
    """The fast path labels its posterior as the PyMC model does (sampling.POSTERIOR_DIMS)."""
    from remitest.sampling import POSTERIOR_DIMS

    model = build_model(load_ledger("seeds"))
    for name, dims in POSTERIOR_DIMS.items():
        assert tuple(model.named_vars_to_dims.get(name, ())) == dims, name
    deterministics = {v.name for v in model.deterministics}
    assert deterministics <= set(POSTERIOR_DIMS)


# -- hosts that walk ------------------------------------------------------------------------------
def _hosts_after_one_host_falls(config):
    """Deterministics at a point where Russia falls by ~90% into 2020 and the others hold.

    In share log-ratios: Russia's ratio to the reference steps by -2.3 and the world walk by
    the log of what is left, ``log(1 - s_russia (1 - e^-2.3))``.
    """
    model = build_model(shipped(), config)
    evaluate = deterministics_fn(model)
    point = random_point(model, np.random.default_rng(3), scale=0.0)
    if "host_step_z" in point:
        years = list(model.coords["year"])
        russia = list(model.coords["walking_host"]).index("russia")
        scale = host_step_scale(model_structure(shipped(), config), config)
        step = years.index(2020) - 1
        z = np.zeros_like(point["host_step_z"])
        z[russia, step] = -2.3 / (config.priors.host_step_sd * scale[russia, step])
        point["host_step_z"] = z
        share = evaluate(point)["host_share_by_year"][
            list(model.coords["host"]).index("russia"), years.index(2019)]
        world = np.zeros_like(point["workers_step_z"])
        sd = np.exp(point["workers_step_sd_log__"]) * _step_scale(
            model_structure(shipped(), config), config)[step]
        world[step] = np.log(1 - share * (1 - np.exp(-2.3))) / sd
        point["workers_step_z"] = world
    return model, evaluate(point)


def test_one_host_falling_lowers_the_world_by_its_loss_and_the_others_hold():
    """The structure can say what 0.3 said: one host's fall lowers the world by its loss."""
    model, d = _hosts_after_one_host_falls(DEFAULT)
    years, hosts = list(model.coords["year"]), list(model.coords["host"])
    before, after = years.index(2019), years.index(2020)
    russia, china = hosts.index("russia"), hosts.index("china")
    host = d["workers_host"]
    assert host[russia, after] / host[russia, before] == pytest.approx(np.exp(-2.3))
    assert host[china, after] == pytest.approx(host[china, before])  # the others hold
    loss = host[russia, before] - host[russia, after]
    assert d["workers"][before] - d["workers"][after] == pytest.approx(loss)
    np.testing.assert_allclose(host.sum(axis=0), d["workers"], rtol=1e-12)


def test_the_reference_host_does_not_walk():
    """Shares walk in log-ratio against the last host: one walk fewer than hosts (identified)."""
    model = build_model(shipped())
    assert list(model.coords["walking_host"]) == list(model.coords["host"])[:-1]
    assert model.initial_point()["host_step_z"].shape[0] == len(model.coords["host"]) - 1


def test_constant_host_shares_stay_an_option():
    config = DEFAULT.replace(host_shares="constant")
    model, d = _hosts_after_one_host_falls(config)
    assert "host_step_z" not in [v.name for v in model.value_vars]
    np.testing.assert_allclose(
        d["host_share_by_year"], np.repeat(d["host_share"][:, None], len(model.coords["year"]), 1)
    )


def test_events_scale_the_steps_of_their_own_hosts():
    structure = model_structure(shipped())
    scale = host_step_scale(structure, DEFAULT)
    years = structure.years
    china, russia = structure.hosts.index("china"), structure.hosts.index("russia")
    step_2024 = years.index(2024) - 1
    assert scale[china, step_2024] == 2.0 and scale[russia, step_2024] == 1.0
    step_2020 = years.index(2020) - 1
    assert (scale[:, step_2020] == 4.0).all()  # the deadline scales every share step 4x
    assert (scale[:, years.index(2018) - 1] == 2.0).all()  # a world event scales every host


    assert _step_scale(structure, DEFAULT)[step_2024] == 1.0  # not the world walk
    with pytest.raises(ConfigError, match="mongolia"):
        DEFAULT.replace(events=[{"name": "x", "year": 2020, "hosts": ["mongolia"]}])
