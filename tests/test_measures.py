"""What a figure counts (the ``measure`` column) and a hedge's own imprecision."""

import numpy as np
import pandas as pd
import pytest

import remitest as rt
from remitest.model import claim_blocks, model_structure
from remitest.reading import qualifier_sd, reading_names, rounding_sd, rounding_unit


def _with_measure(measure, quantity="workers", **more):
    frame = rt.load_ledger("seeds").to_frame()
    row = frame[frame["id"] == "usstate2017-workers"].assign(
        id="extra", measure=measure, quantity=quantity, **more
    )
    return pd.concat([frame.assign(measure=""), row], ignore_index=True)


@pytest.mark.parametrize(
    ("x", "u"), [(100_000, 100_000), (64_000, 2_000), (37_218, 2), (500e6, 500e6), (75, 5)]
)
def test_rounding_unit_is_the_largest_1_2_5_power_of_ten_that_divides(x, u):
    assert rounding_unit(x) == u


def test_rounding_sd_is_capped_and_small_for_precise_figures():
    sd = rounding_sd(np.array([100_000.0, 64_000.0, 37_218.0]), 0.15)
    assert sd[0] == 0.15
    assert sd[1] == pytest.approx(np.log(65 / 63) / np.sqrt(12))
    assert sd[2] < 1e-4


def test_qualifier_takes_the_largest_matching_entry_or_the_default():
    table = {"about": 0.1, "estimated": 0.05, "more than": 0.0}
    got = qualifier_sd(np.array(["about", "an estimated", "roughly", "", "More than"]), table, 0.07)
    np.testing.assert_allclose(got, [0.1, 0.05, 0.07, 0.0, 0.0])


def test_an_unknown_measure_is_a_ledger_error_naming_row_field_and_value():
    frame = _with_measure("contracts")
    with pytest.raises(rt.LedgerError) as err:
        rt.Ledger.from_frame(frame)
    text = str(err.value)
    assert "row 10" in text and "'measure'" in text and "'contracts'" in text
    assert "measures=" in text
    # declared, it loads; the model then needs its prior
    ledger = rt.Ledger.from_frame(frame, measures={"workers": ["contracts"]})
    assert "contracts" in ledger.measures["workers"]
    with pytest.raises(rt.ConfigError, match="contracts"):
        claim_blocks(ledger, model_structure(ledger), rt.ModelConfig())
    config = rt.ModelConfig().replace(
        measures={"contracts": {"quantity": "workers", "median": 1.2, "log_sd": 0.2}}
    )
    assert {"permits", "gross_earnings", "contracts"} <= set(config.measures)
    gaussian, _ = claim_blocks(ledger, model_structure(ledger, config), config)
    plain = claim_blocks(rt.load_ledger("seeds"), model_structure(ledger, config), config)[0]
    i, j = list(gaussian.ids).index("extra"), list(plain.ids).index("usstate2017-workers")
    assert gaussian.value[i] == pytest.approx(plain.value[j] - np.log(1.2))
    # the offset's uncertainty is one shared parameter, loaded on the claim, not added noise
    assert gaussian.spread[i] == pytest.approx(plain.spread[j])
    names = list(reading_names(config))
    assert gaussian.reading[i, names.index("contracts")] == pytest.approx(0.2)
    # beside it only the field's shift of its quantity, which every claim carries
    assert np.count_nonzero(gaussian.reading[i]) == 2
    assert gaussian.reading[i, names.index("field_workers")] == pytest.approx(
        config.priors.field_shift_log_sd)


def test_a_measure_of_another_quantity_is_refused():
    with pytest.raises(rt.LedgerError, match="permits"):
        rt.Ledger.from_frame(_with_measure("permits", quantity="remittances_usd", low=5e8,
                                           high=5e8))


def test_permits_from_the_deadline_on_are_read_as_lower_bounds():
    frame = _with_measure("permits", ref_start=2021, ref_end=2021, scope="russia", low=9_000,
                          high=9_000, published="2022")
    ledger = rt.Ledger.from_frame(frame)
    config = rt.ModelConfig()
    gaussian, censored = claim_blocks(ledger, model_structure(ledger, config), config)
    assert "extra" in censored.ids and "extra" not in gaussian.ids
    k = list(censored.ids).index("extra")
    assert censored.direction[k] == 1.0
    assert censored.value[k] == pytest.approx(np.log(9_000 / 0.9))


def test_measures_round_trip_through_json():
    config = rt.ModelConfig().replace(
        measures={"permits": {"quantity": "workers", "median": 0.8, "log_sd": 0.3}}
    )
    again = rt.ModelConfig.from_json(config.to_json())
    assert again == config and again.measures["permits"].median == 0.8
    with pytest.raises(rt.ConfigError, match="measures"):
        rt.ModelConfig().replace(measures={"x": {"quantity": "heads", "median": 1, "log_sd": 0}})


def _permit_rows():
    """The seeds, with two permit counts at Russia: one before the deadline, one after."""
    frame = rt.load_ledger("seeds").to_frame().assign(measure="")
    base = frame[frame["id"] == "usstate2017-workers"].iloc[0]
    rows = [
        base.copy().rename(None).to_dict() | dict(
            id=f"permits-{year}", measure="permits", scope="russia", ref_start=year,
            ref_end=year, published=str(year + 1), kind=kind, low=low, high=high)
        for year, kind, low, high in [(2019, "point", 30_000.0, 30_000.0),
                                      (2021, "upper_bound", np.nan, 9_000.0),
                                      (2022, "point", 8_000.0, 8_000.0)]
    ]
    return pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)


def test_as_read_reads_a_permit_count_from_the_deadline_on_as_more_than():
    from remitest.reading import as_read

    frame = rt.Ledger.from_frame(_permit_rows()).to_frame()
    read = as_read(frame, rt.ModelConfig()).set_index("id")
    assert read.loc["permits-2019", "kind"] == "point"  # before 2020: a count, as written
    assert read.loc["permits-2021", "kind"] == "lower_bound"  # from 2020: "more than"
    assert read.loc["permits-2021", "written_kind"] == "upper_bound"
    assert read.loc["permits-2021", "low"] == 9_000.0  # its figure becomes the bound
    assert read.loc["permits-2021", "censored"] and not read.loc["permits-2019", "censored"]
    again = as_read(read.reset_index(), rt.ModelConfig()).set_index("id")
    assert again.loc["permits-2021", "written_kind"] == "upper_bound"  # read twice: still kept
    assert read.loc["permits-2022", "kind"] == "lower_bound"
    assert read.loc["permits-2022", "low"] == 8_000.0
    others = read.drop(index=["permits-2019", "permits-2021", "permits-2022"])
    assert (others["kind"] == others["written_kind"]).all()
    assert frame.set_index("id").loc["permits-2021", "kind"] == "upper_bound"  # not changed


def test_predict_claims_and_the_figures_use_the_kind_as_read():
    import matplotlib

    matplotlib.use("Agg")
    from remitest import plots
    from remitest.testing import fake_fit

    ledger = rt.Ledger.from_frame(_permit_rows())
    fit = fake_fit(ledger, draws=50)
    table = fit.predict_claims().set_index("id")
    assert table.loc["permits-2021", "read_as"] == "lower_bound"
    assert table.loc["permits-2021", "kind"] == "upper_bound"
    assert table.loc["permits-2019", "read_as"] == "point"
    fig = plots.plot_series(fit, quantities=["workers"], scopes=["russia"])
    (ax,) = fig.axes
    heads = _arrow_heads(ax)
    assert len(heads) == 2  # the 2021 and 2022 counts, both read as "more than"
    assert all(dy > 0 and dx == pytest.approx(0, abs=1) for dx, dy in heads)  # pointing up
    ppc = plots.plot_ppc(fit, rows=len(table))
    heads = _arrow_heads(ppc.axes[0])
    written = table["kind"].isin(["lower_bound", "upper_bound"]).sum()
    assert len(heads) == table["read_as"].isin(["lower_bound", "upper_bound"]).sum() == written + 1
    ids = table.index.tolist()
    assert sum(dx > 0 for dx, _ in heads) == sum(table.loc[i, "read_as"] == "lower_bound"
                                                 for i in ids)


def test_a_written_upper_bound_from_the_deadline_on_is_censored_at_its_figure():
    ledger = rt.Ledger.from_frame(_permit_rows())
    config = rt.ModelConfig()
    gaussian, censored = claim_blocks(ledger, model_structure(ledger, config), config)
    assert "permits-2021" in censored.ids and "permits-2021" not in gaussian.ids
    k = list(censored.ids).index("permits-2021")
    assert censored.direction[k] == 1.0  # "more than", though written "as high as"
    assert censored.value[k] == pytest.approx(np.log(9_000 / 0.9))
    assert "permits-2019" in gaussian.ids


def test_captions_say_which_claims_are_drawn_as_bounds_by_their_reading():
    from remitest.captions import caption
    from remitest.testing import fake_fit

    fit = fake_fit(rt.Ledger.from_frame(_permit_rows()), draws=20)
    for name in ("series", "ppc"):
        assert "Permits from 2020 on (2) are read as \u201cmore than\u201d" in caption(fit, name)
    assert "are read as" not in caption(fit, "biases")
    assert "are read as" not in caption(fit, "prior_predictive")  # world claims only
    assert "are read as" not in caption(fake_fit(draws=20), "series")


def _arrow_heads(ax):
    """(dx, dy) in display points from each bound arrow's tail to its head."""
    out = []
    for t in ax.texts:
        patch = getattr(t, "arrow_patch", None)
        if patch is None or patch.get_arrowstyle().__class__.__name__ == "Curve":
            continue
        head = (ax.transData if t.xycoords == "data" else t.xycoords).transform(t.xy)
        tail = (ax.transData if t.anncoords == "data" else t.anncoords).transform(t.xyann)
        out.append(tuple(head - tail))
    return out
