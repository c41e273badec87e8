"""Scoring against the truth: hand-computed cases, the naive reading, and the field simulator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import remitest as rt
from remitest.checks import CheckResult, naive_reading, score_truth, truth_summary
from remitest.checks.truth import (
    NAIVE_MIN_LOG_SD,
    crps_draws,
    crps_normal,
    interval_score,
)
from remitest.simulate.field import DEPARTURES, field_ledger  # also rt.field_ledger
from remitest.testing import fake_fit


def _claim(id_, low, high, kind="point", start=2016, end=None, scope="world",
           quantity="workers", derived_from=""):
    return {"id": id_, "quantity": quantity, "kind": kind, "low": low, "high": high,
            "ref_start": start, "ref_end": end or start, "published": str(end or start),
            "estimator": f"E {id_}", "estimator_type": "media", "scope": scope,
            "document": "x.txt", "quote": "q", "derived_from": derived_from}


def _ledger(*rows):
    return rt.Ledger.from_frame(pd.DataFrame(list(rows)))


# -- scores, hand-computed -------------------------------------------------------------------------
def test_interval_score_hand_computed():
    # inside: the width; below: width + 2/alpha * miss; above likewise
    assert interval_score(1.0, 3.0, 2.0) == pytest.approx(2.0)
    assert interval_score(1.0, 3.0, 0.5) == pytest.approx(2.0 + 20 * 0.5)
    assert interval_score(1.0, 3.0, 4.0, alpha=0.5) == pytest.approx(2.0 + 4 * 1.0)


def test_crps_of_draws_matches_the_normal_closed_form():
    rng = np.random.default_rng(5)
    draws = rng.normal(0.3, 0.7, size=200_000)
    for y in (0.3, 1.0, -2.0):
        assert crps_draws(draws, y) == pytest.approx(float(crps_normal(0.3, 0.7, y)), rel=5e-3)
    # two draws, by hand: E|X - y| - E|X - X'| / 2 = (0 + 1) / 2 - (1 / 2) / 2
    assert crps_draws(np.array([0.0, 1.0]), 0.0) == pytest.approx(0.25)
    # a point mass: the absolute error
    assert crps_draws(np.full(10, 2.0), 5.0) == pytest.approx(3.0)


def test_crps_normal_at_the_mean():
    assert crps_normal(0.0, 2.0, 0.0) == pytest.approx(2.0 * (2 * stats.norm.pdf(0) - 1 / np.sqrt(
        np.pi)))


# -- the naive reading -----------------------------------------------------------------------------
def test_naive_reading_geometric_mean_and_spread_by_hand():
    ledger = _ledger(
        _claim("a", 50_000, 50_000),
        _claim("b", 40_000, 90_000, kind="range"),  # geometric midpoint 60,000
        _claim("c", 200_000, np.nan, kind="lower_bound", start=2018),
        _claim("d", 50_000, 50_000, start=2016, derived_from="a"),  # a repeat: left out
    )
    naive = naive_reading(ledger, "workers", "world", [2015, 2016, 2017, 2018, 2019])
    logs = np.log([50_000, 60_000])
    assert naive.loc[2016, "n_claims"] == 2
    assert naive.loc[2016, "centre"] == pytest.approx(np.sqrt(50_000 * 60_000))
    assert naive.loc[2016, "log_sd"] == pytest.approx(np.std(logs, ddof=1))
    # one claim in 2018: its figure, with the pooled within-year spread of the series
    assert naive.loc[2018, "centre"] == pytest.approx(200_000)
    assert naive.loc[2018, "log_sd"] == pytest.approx(np.std(logs, ddof=1))
    # no claim: the nearest year is carried, ties to the earlier year
    assert bool(naive.loc[2017, "carried"]) and naive.loc[2017, "centre"] == pytest.approx(
        naive.loc[2016, "centre"])
    assert naive.loc[2015, "centre"] == pytest.approx(naive.loc[2016, "centre"])
    assert naive.loc[2019, "centre"] == pytest.approx(200_000)
    assert not naive.loc[2016, "carried"]


def test_naive_reading_floor_and_series_without_claims():
    ledger = _ledger(_claim("a", 100_000, 100_000), _claim("b", 100_000, 100_000))
    naive = naive_reading(ledger, "workers", "world", [2016])
    assert naive.loc[2016, "log_sd"] == NAIVE_MIN_LOG_SD
    assert naive_reading(ledger, "workers", "china", [2016])["centre"].isna().all()


def test_naive_reading_of_the_seeds():
    naive = naive_reading(rt.load_ledger("seeds"), "workers", "world", range(2014, 2019))
    # 2016: the Japanese range 50,000-60,000 and KINU's "as many as 150,000"
    assert naive.loc[2016, "centre"] == pytest.approx(np.exp(np.mean(np.log(
        [np.sqrt(50_000 * 60_000), 150_000]))))


# -- score_truth on a posterior whose answer is known ----------------------------------------------
@pytest.fixture(scope="module")
def known_fit():
    return fake_fit(rt.load_ledger("seeds"), draws=4000, log_sd=0.1, workers_median=100_000.0,
                    per_worker_median_usd=5_000.0)


def _truth(fit, workers, per_worker=5_000.0):
    rows = []
    for year in fit.years:
        rows += [{"year": year, "scope": "world", "quantity": "workers", "value": workers},
                 {"year": year, "scope": "world", "quantity": "per_worker_usd",
                  "value": per_worker}]  # fmt: skip
    return pd.DataFrame(rows)


def test_score_truth_at_the_median(known_fit):
    result = score_truth(known_fit, _truth(known_fit, 100_000.0))
    assert isinstance(result, CheckResult) and result.name == "truth"
    table = result.table
    assert set(table["quantity"]) == {"workers", "per_worker_usd"}
    assert table["in_50"].all() and table["in_90"].all()
    width = 2 * stats.norm.ppf(0.95) * 0.1
    assert table["interval_score"].to_numpy() == pytest.approx(width, rel=0.05)
    assert table["crps"].to_numpy() == pytest.approx(
        float(crps_normal(0.0, 0.1, 0.0)), rel=0.05)


def test_score_truth_off_by_a_factor_e(known_fit):
    table = score_truth(known_fit, _truth(known_fit, 100_000.0 * np.e)).table
    workers = table[table["quantity"] == "workers"]
    assert not workers["in_90"].any() and not workers["in_50"].any()
    upper = stats.norm.ppf(0.95) * 0.1
    expected = 2 * upper + 20 * (1.0 - upper)
    assert workers["interval_score"].to_numpy() == pytest.approx(expected, rel=0.02)


def test_score_truth_scores_the_naive_reading_too(known_fit):
    result = score_truth(known_fit, _truth(known_fit, 55_000.0))
    table = result.table.set_index(["quantity", "year"])
    row = table.loc[("workers", 2016)]
    naive = naive_reading(known_fit.ledger, "workers", "world", [2016]).loc[2016]
    y, mu, sd = np.log(55_000.0), np.log(naive["centre"]), naive["log_sd"]
    assert row["naive_interval_score"] == pytest.approx(
        float(interval_score(mu - 1.645 * sd, mu + 1.645 * sd, y)), rel=1e-3)
    assert row["naive_in_90"] == (abs(y - mu) <= stats.norm.ppf(0.95) * sd)
    # per worker has no claim in the seeds: the naive reading cannot score it
    assert result.table.query("quantity == 'per_worker_usd'")["naive_interval_score"].isna().all()
    summary = truth_summary(result.table, ("series",))
    assert set(summary["series"]) == {"workers, world", "per worker"}
    assert np.isnan(summary.set_index("series").loc["per worker", "is_ratio"])


def test_intervals_far_too_wide_lose_to_a_good_naive_reading():
    """Power against intervals that are too wide: coverage 1.0, but a worse interval score."""
    ledger = _ledger(*[_claim(f"c{i}", v, v, start=y) for i, (y, v) in enumerate(
        [(2014, 99_000), (2014, 101_000), (2015, 99_000), (2015, 101_000), (2016, 100_000),
         (2016, 100_000)])])  # fmt: skip
    wide = fake_fit(ledger, draws=2000, log_sd=2.0, workers_median=100_000.0)
    result = score_truth(wide, _truth(wide, 100_000.0))
    workers = result.table[result.table["quantity"] == "workers"]
    assert workers["in_90"].all()
    assert (workers["interval_score"] > workers["naive_interval_score"]).all()
    assert result.passed is False


def test_score_truth_refuses_a_frame_without_values(known_fit):
    with pytest.raises(ValueError, match="value"):
        score_truth(known_fit, pd.DataFrame({"year": [2016], "scope": ["world"]}))


# -- the field simulator ---------------------------------------------------------------------------
def test_field_ledger_is_reproducible_and_loads():
    a, b = field_ledger(60, random_seed=1000), field_ledger(60, random_seed=1000)
    assert len(a.ledger) == 60 and a.ledger.sha256 == b.ledger.sha256
    assert a.config == rt.ModelConfig()
    series = a.truth["series"]
    assert set(series["scope"]) == {"world", "china", "russia", "rest_of_world"}
    world = series.query("scope == 'world' and quantity == 'workers'")["value"].to_numpy()
    hosts = series.query("scope != 'world' and quantity == 'workers'").groupby("year")["value"]
    assert world == pytest.approx(hosts.sum().to_numpy())


def test_field_ledger_departures_switch_off():
    claims = pd.concat([field_ledger(60, random_seed=s).truth["claims"] for s in range(1000, 1010)])
    assert claims["derived"].any() and claims["unflagged"].any()
    assert (claims["shared"] != 0).any()
    off = pd.concat([field_ledger(60, random_seed=s, departures=()).truth["claims"]
                     for s in range(1000, 1010)])  # fmt: skip
    assert not off["derived"].any() and not off["unflagged"].any()
    assert (off["shared"] == 0).all()
    # without unflagged repeats every repeat carries derived_from
    frame = field_ledger(60, random_seed=1001, departures=()).ledger.to_frame()
    assert frame["id"].str.startswith("fld-r").sum() == frame["derived_from"].notna().sum()


def test_field_ledger_truth_is_not_a_walk_with_the_configured_events():
    sim = field_ledger(60, random_seed=1002)
    world = sim.truth["series"].query("scope == 'world' and quantity == 'workers'").set_index(
        "year")["value"]  # fmt: skip
    russia = sim.truth["series"].query("scope == 'russia' and quantity == 'workers'").set_index(
        "year")["value"]  # fmt: skip
    assert russia[2021] < 0.45 * russia[2019]  # the deadline's fall, at least 60%
    steps = np.diff(np.log(world.loc[2010:2017].to_numpy()))
    assert (steps < -0.15).any()  # the unannounced dip in 2014-16


def test_field_ledger_rejects_an_unknown_departure():
    with pytest.raises(ValueError, match="truth_shapes"):
        field_ledger(60, random_seed=1, departures=["truth_shapes"])
    assert "derived_money" in DEPARTURES


def _summary_rows(ledger: int, hits: list[bool]) -> pd.DataFrame:
    n = len(hits)
    return pd.DataFrame({
        "quantity": "workers", "scope": "world", "year": np.arange(2010, 2010 + n),
        "in_50": hits, "in_90": hits, "interval_score": 1.0, "crps": 1.0,
        "naive_in_50": True, "naive_in_90": True, "naive_interval_score": 2.0,
        "naive_crps": 2.0, "ledger": ledger,
    })


def test_truth_summary_band_resamples_whole_ledgers():
    """Misses that cluster by ledger give a wide band; one ledger gives none."""
    clustered = pd.concat([_summary_rows(i, [i % 2 == 0] * 10) for i in range(20)])
    spread = pd.concat([_summary_rows(i, [True] * 5 + [False] * 5) for i in range(20)])
    row = truth_summary(clustered).iloc[0]
    assert row["cover_90"] == pytest.approx(0.5)
    assert row["cover_90_low"] < 0.35 and row["cover_90_high"] > 0.65  # 20 clusters of 0 or 1
    same = truth_summary(spread).iloc[0]  # every ledger covers half: resampling changes nothing
    assert same["cover_90_low"] == same["cover_90_high"] == pytest.approx(0.5)
    alone = truth_summary(_summary_rows(1, [True, False, True])).iloc[0]
    assert np.isnan(alone["cover_90_low"]) and np.isnan(alone["cover_90_high"])
    again = truth_summary(clustered).iloc[0]
    assert again["cover_90_low"] == row["cover_90_low"]  # seeded


def test_truth_summary_band_tells_simulators_apart_and_groups_apart():
    """Ledger seeds repeat across simulators; a group's band ignores the other groups."""
    # ledger 0 covers every year in simulator a and none in b; ledger 1 the other way round
    two = pd.concat([_summary_rows(0, [True] * 10).assign(simulator="a"),
                     _summary_rows(1, [False] * 10).assign(simulator="a"),
                     _summary_rows(0, [False] * 10).assign(simulator="b"),
                     _summary_rows(1, [True] * 10).assign(simulator="b")])
    pooled = truth_summary(two, ("series",)).iloc[0]
    # four clusters of 0 or 1; merged by seed they would be two clusters of exactly 0.5
    assert pooled["cover_90_low"] < 0.5 < pooled["cover_90_high"]
    alone = truth_summary(two[two["simulator"] == "b"], ("simulator",)).iloc[0]
    beside = truth_summary(two, ("simulator",)).set_index("simulator").loc["b"]
    assert alone["cover_90_low"] == beside["cover_90_low"]
    assert alone["cover_90_high"] == beside["cover_90_high"]
