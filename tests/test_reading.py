"""A claim's own reading of its bound (the optional ``reading`` column)."""

import numpy as np
import pandas as pd
import pytest

import remitest as rt
from remitest.config import ConfigError, ModelConfig
from remitest.ledger import QUANTITIES
from remitest.model import claim_blocks, model_structure
from remitest.reading import bound_readings, reading_names, reading_priors

UPPER, LOWER = "kinu-workers", "un-darusman2015-workers"


def _with_reading(readings: dict[str, str]) -> pd.DataFrame:
    frame = rt.load_ledger("seeds").to_frame()
    frame["reading"] = [readings.get(claim_id, "") for claim_id in frame["id"]]
    return frame


def _blocks(ledger, config=None):
    config = config or rt.ModelConfig()
    return claim_blocks(ledger, model_structure(ledger, config), config)


def test_an_empty_reading_is_the_configured_default():
    plain = rt.load_ledger("seeds")
    ledger = rt.Ledger.from_frame(_with_reading({}))
    for a, b in zip(_blocks(plain), _blocks(ledger), strict=True):
        assert list(a.ids) == list(b.ids)
        np.testing.assert_array_equal(a.value, b.value)
    gaussian, censored = _blocks(ledger)
    assert UPPER in gaussian.ids and LOWER in censored.ids  # the defaults


def test_a_reading_overrides_the_default_for_that_claim_only():
    ledger = rt.Ledger.from_frame(_with_reading({UPPER: "censored", LOWER: "interval_end"}))
    gaussian, censored = _blocks(ledger)
    assert UPPER in censored.ids and LOWER in gaussian.ids
    i = list(censored.ids).index(UPPER)
    assert censored.direction[i] == -1  # "as high as X": the belief lies below X
    assert "kinu-remittances" in gaussian.ids  # another "as high as" keeps the default
    # every bound's own reading switched is the same as both defaults switched
    ledger = rt.Ledger.from_frame(_with_reading(
        {UPPER: "censored", "kinu-remittances": "censored", LOWER: "interval_end"}))
    gaussian, censored = _blocks(ledger)
    switched = rt.ModelConfig().replace(
        interpretation={"upper_bound": "censored", "lower_bound": "interval_end"})
    g2, c2 = _blocks(rt.load_ledger("seeds"), switched)
    assert set(c2.ids) == set(censored.ids) and set(g2.ids) == set(gaussian.ids)
    np.testing.assert_allclose(np.sort(c2.value), np.sort(censored.value))
    np.testing.assert_allclose(np.sort(g2.value), np.sort(gaussian.value))
    # and other kinds keep the default
    other = rt.Ledger.from_frame(_with_reading({UPPER: "censored"})).to_frame()
    readings = bound_readings(other, rt.ModelConfig())
    assert readings[list(other["id"]).index("kinu-remittances")] == "interval_end"
    assert readings[list(other["id"]).index("usstate2017-workers")] == ""


def test_a_reading_round_trips_through_csv(tmp_path):
    ledger = rt.Ledger.from_frame(_with_reading({UPPER: "censored"}))
    path = tmp_path / "claims.csv"
    ledger.to_csv(path)
    again = rt.load_ledger(path)
    assert again.sha256 == ledger.sha256
    assert again.to_frame().set_index("id").loc[UPPER, "reading"] == "censored"


def test_an_unknown_reading_is_a_ledger_error_naming_row_field_and_value():
    with pytest.raises(rt.LedgerError) as error:
        rt.Ledger.from_frame(_with_reading({UPPER: "right_censored"}))
    text = str(error.value)
    row = list(rt.load_ledger("seeds").to_frame()["id"]).index(UPPER)
    assert f"row {row}" in text and "'reading'" in text and "'right_censored'" in text
    assert "censored, interval_end" in text


def test_a_reading_on_a_point_or_range_is_refused():
    with pytest.raises(rt.LedgerError) as error:
        rt.Ledger.from_frame(_with_reading({"usstate2017-workers": "censored"}))
    text = str(error.value)
    assert "'reading'" in text and "point" in text and "upper_bound and lower_bound" in text


def test_the_field_shift_is_one_reading_per_quantity_and_zero_removes_it():
    """``field_<quantity>``: median 1, log-sd field_shift_log_sd, on every claim of its quantity;
    at 0 the readings are 0.5's (the bound ratio and the measures only)."""
    config = ModelConfig()
    names = reading_names(config)
    assert names[-3:] == tuple(f"field_{q}" for q in QUANTITIES)
    median, sd = reading_priors(config)
    np.testing.assert_array_equal(median[-3:], 0.0)
    np.testing.assert_array_equal(sd[-3:], config.priors.field_shift_log_sd)
    off = config.replace(priors={"field_shift_log_sd": 0.0})
    assert reading_names(off) == ("bound_ratio", *sorted(config.measures))
    assert len(reading_priors(off)[0]) == len(reading_names(off))
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="field_shift_log_sd"):
            config.replace(priors={"field_shift_log_sd": bad})
    # a measure may not take a shared reading's name
    for name in ("field_workers", "bound_ratio"):
        with pytest.raises(ConfigError, match=name):
            config.replace(measures={name: {"quantity": "workers", "median": 1.0,
                                            "log_sd": 0.1}})
