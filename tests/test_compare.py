import numpy as np
import pytest
from matplotlib.figure import Figure

import remitest as rt
from remitest.compare import compare, ledger_differences
from remitest.testing import fake_fit


@pytest.fixture(scope="module")
def comparison(ledger):
    dropped = ledger.drop("scmp2016-workers")
    fit_a = fake_fit(ledger, draws=60, workers_median=100_000.0)
    fit_b = fake_fit(dropped, draws=60, workers_median=150_000.0, random_seed=1)
    return compare(fit_a, fit_b, labels=("all", "dropped"))


def test_table_has_both_fits_and_their_differences(comparison):
    table = comparison.table
    assert list(table.columns) == [
        "year", "scope", "quantity", "median_all", "q05_all", "q95_all", "median_dropped",
        "q05_dropped", "q95_dropped", "median_diff", "median_rel_diff", "intervals_overlap"]
    summary = comparison.fit_a.summary()
    assert len(table) == len(summary)
    assert table["year"].dtype == np.int64
    assert list(table["year"]) == sorted(table["year"])
    np.testing.assert_allclose(table["median_diff"],
                               table["median_dropped"] - table["median_all"])
    np.testing.assert_allclose(table["median_rel_diff"],
                               table["median_diff"] / table["median_all"])
    workers = table[(table["quantity"] == "workers") & (table["scope"] == "world")]
    assert (workers["median_rel_diff"].between(0.35, 0.65)).all()  # 150k vs 100k
    per_worker = table[(table["quantity"] == "per_worker_usd") & (table["scope"] == "world")]
    assert per_worker["intervals_overlap"].all()


def test_intervals_overlap_is_false_for_far_apart_fits(ledger):
    fit_a = fake_fit(ledger, draws=40, workers_median=50_000.0)
    fit_b = fake_fit(ledger, draws=40, workers_median=200_000.0)
    table = compare(fit_a, fit_b).table
    workers = table[(table["quantity"] == "workers") & (table["scope"] == "world")]
    assert not workers["intervals_overlap"].any()
    assert "median_a" in table.columns and "median_b" in table.columns


def test_rows_in_one_fit_only_have_missing_values(ledger):
    fit_a = fake_fit(ledger, rt.config.ModelConfig(years=(2012, 2024)), draws=20)
    fit_b = fake_fit(ledger, draws=20)
    table = compare(fit_a, fit_b).table
    only_a = table[table["year"] == 2012]
    assert len(only_a) and only_a["median_b"].isna().all()
    assert only_a["intervals_overlap"].isna().all()


def test_claims_that_differ_between_ledgers(comparison, ledger):
    claims = comparison.claims
    assert list(claims["id"]) == ["scmp2016-workers"]
    assert list(claims["change"]) == ["only in all"]
    frame = ledger.to_frame()
    frame.loc[frame["id"] == "scmp2016-remittances", "low"] = 4e8
    frame.loc[frame["id"] == "scmp2016-remittances", "high"] = 4e8
    changed = ledger_differences(ledger, rt.ledger.Ledger.from_frame(frame), labels=("x", "y"))
    assert list(changed["id"]) == ["scmp2016-remittances"]
    assert list(changed["change"]) == ["changed"] and changed["low"].iloc[0] == 4e8
    assert ledger_differences(ledger, ledger).empty


def test_plot_returns_figure_with_one_panel_per_quantity(comparison):
    figure = comparison.plot()
    assert isinstance(figure, Figure)
    axes = figure.axes
    assert len(axes) == 3
    assert axes[0].get_ylabel() == "thousand persons"
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert any("all" in label for label in labels) and any("dropped" in label for label in labels)
    annotations = [t.get_text() for t in axes[0].texts if t.get_text()]
    assert annotations == ["scmp2016-workers"]


def test_plot_uses_the_house_style(comparison):
    figure = comparison.plot()
    workers, remittances, _ = figure.axes
    assert workers.get_yscale() == "log"  # counts and money on a log axis by default
    assert remittances.yaxis.get_major_formatter()(1_500_000_000) == "1,500"  # separators
    assert workers.yaxis.get_major_formatter()(15_000) == "15"
    for ax in figure.axes:  # one filled band: the other is outlined, so none blends
        assert len([c for c in ax.collections if c.get_facecolor().size]) <= 2
        filled = [c for c in ax.collections if type(c).__name__ in ("PolyCollection",
                                                                      "FillBetweenPolyCollection")]
        assert len(filled) == 1
    drawn = {line.get_marker() for ax in figure.axes for line in ax.lines
             if line.get_marker() not in (None, "None", "")}
    legend = {handle.get_marker() for handle in figure.legends[0].legend_handles
              if hasattr(handle, "get_marker") and handle.get_marker() not in (None, "None", "")}
    assert drawn <= legend  # every marker drawn is in the legend
    linear = comparison.plot(log=False)
    assert linear.axes[0].get_yscale() == "linear" and linear.axes[0].get_ylim()[0] == 0
    assert comparison.plot(yscale="linear").axes[1].get_yscale() == "linear"


def test_plot_has_a_caption(comparison):
    text = comparison.caption()
    assert comparison.fit_a.run_id in text and comparison.fit_b.run_id in text
    assert "the claim that differs" in text and "only in all" in text
    assert len(text.split()) <= 120


def test_plot_draws_into_given_axes(comparison):
    figure = Figure()
    axes = figure.subplots(1, 3)
    assert comparison.plot(axes=axes) is figure
    with pytest.raises(ValueError, match="expected 3 axes"):
        comparison.plot(axes=axes[:2])


def test_labels_must_differ(comparison):
    with pytest.raises(ValueError, match="labels"):
        compare(comparison.fit_a, comparison.fit_b, labels=("x", "x"))


def test_exported_from_the_package(comparison):
    assert rt.compare is compare and rt.load_run is rt.api.load_run
    assert "claims differ" in repr(comparison)
