import colorsys
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex, to_rgb, to_rgba  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from remitest import plots  # noqa: E402
from remitest.ledger import load_ledger  # noqa: E402
from remitest.plots._style import TYPE_COLOURS  # noqa: E402
from remitest.testing import fake_fit  # noqa: E402


@pytest.fixture(scope="module")
def fit():
    return fake_fit()


@pytest.fixture(scope="module")
def claims(fit):
    return fit.ledger.to_frame()


def legend_labels(fig):
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def errorbars(ax):
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def arrows(ax):
    return [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]


def no_claim_spans(ax):
    grey = to_rgba(plots.NO_CLAIM_COLOUR)
    return [p for p in ax.patches if np.allclose(p.get_facecolor(), grey)]


def beyond_fit_spans(ax):
    grey = to_rgba(plots.BEYOND_FIT_COLOUR)
    return [p for p in ax.patches if np.allclose(p.get_facecolor(), grey) and p.get_hatch()]


def test_registry_names_the_exported_figures():
    assert set(plots.FIGURES) == {"series", "biases", "host_split", "ppc"}
    assert all(callable(f) for f in plots.FIGURES.values())


@pytest.mark.parametrize("name", list(plots.FIGURES))
def test_each_figure_returns_a_figure_that_saves(fit, name):
    fig = plots.FIGURES[name](fit)
    assert isinstance(fig, Figure)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    assert buffer.getvalue()[:4] == b"\x89PNG"


def test_plotting_leaves_global_style_alone(fit):
    before = dict(mpl.rcParams)
    plots.plot_series(fit)
    assert dict(mpl.rcParams) == before


def panel_of(fig, quantity, scope):
    label = {"workers": "Workers abroad", "remittances_usd": "Remittances",
             "per_worker_usd": "Per worker"}[quantity]
    name = "world" if scope == "world" else plots.scope_label(scope)
    (ax,) = [a for a in fig.axes if a.get_title(loc="left").split("\n")[0] == f"{label}: {name}"]
    return ax


def test_series_has_a_panel_per_quantity_and_scope_with_claims(fit, claims):
    fig = plots.plot_series(fit)
    panels = {("workers", "world"), ("workers", "china_russia"), ("remittances_usd", "world"),
              ("per_worker_usd", "world")}
    assert len(fig.axes) == len(panels)
    for quantity, scope in panels:
        ax = panel_of(fig, quantity, scope)
        mine = claims[(claims["quantity"] == quantity) & (claims["scope"] == scope)]
        assert len(errorbars(ax)) == len(mine)  # a host's claims only on the host's panel
        assert len(arrows(ax)) == mine["kind"].isin(["lower_bound", "upper_bound"]).sum()
        assert len(ax.collections) >= 2  # the 50% and 90% bands
    # the 2017-2019 range is drawn across its period
    multi_year = [c for c in errorbars(panel_of(fig, "remittances_usd", "world")) if c.has_xerr]
    assert len(multi_year) == 1


def test_series_draws_each_claim_in_its_estimators_style_and_repeats_hollow(fit, claims):
    fig = plots.plot_series(fit, quantities=("workers",))
    ax = panel_of(fig, "workers", "world")
    mine = claims[(claims["quantity"] == "workers") & (claims["scope"] == "world")]
    mine = mine.reset_index(drop=True)
    bars = errorbars(ax)
    repeat = bars[int(np.flatnonzero(mine["derived_from"].notna())[0])]
    assert repeat.lines[0].get_markerfacecolor() == "white"
    styles = plots.estimator_styles(fit.ledger)
    for bar, estimator in zip(bars, mine["estimator"], strict=True):
        assert to_hex(bar.lines[0].get_color()) == styles[estimator]["color"]
        assert bar.lines[0].get_marker() == styles[estimator]["marker"]
    assert not [t for t in ax.texts if "only" in t.get_text()]


def test_style_registry_gives_each_estimator_one_distinct_look():
    names = [f"E{i:02d}" for i in range(40)]
    one_type = plots.estimator_styles(names, types=["media"] * 40)
    pairs = {(s["color"], s["marker"]) for s in one_type.values()}
    assert len(pairs) == 40  # colour and marker do not cycle together
    hues = {round(colorsys.rgb_to_hls(*to_rgb(s["color"]))[0], 2) for s in one_type.values()}
    assert len(hues) == 1  # shades of the type's one hue
    types = [("government", "media", "anonymous", "research_institute",
              "intergovernmental")[i % 5] for i in range(40)]
    mixed = plots.estimator_styles(names, types=types)
    assert len({(s["color"], s["marker"]) for s in mixed.values()}) == 40
    for kind, colour in TYPE_COLOURS.items():  # a type's first estimator wears its colour
        first = next(n for n, t in zip(names, types, strict=True) if t == kind)
        assert mixed[first]["color"] == to_hex(colour)
    bare = plots.estimator_styles(names)  # names alone (the check figures): still 40 pairs
    assert len({(s["color"], s["marker"]) for s in bare.values()}) == 40
    # keyed by name: a ledger, its frame and a fit give the same registry
    ledger = load_ledger("seeds")
    assert plots.estimator_styles(ledger) == plots.estimator_styles(ledger.to_frame())
    # hosts have a palette of their own
    hosts = plots.host_colours(["china", "russia", "rest_of_world", "vietnam", "mongolia"])
    assert not {to_hex(c) for c in hosts.values()} & {to_hex(c) for c in TYPE_COLOURS.values()}


def test_series_shades_years_without_claims_and_years_beyond_the_fit_apart(fit):
    fig = plots.plot_series(fit)
    assert no_claim_spans(panel_of(fig, "workers", "world"))
    labels = legend_labels(fig)
    assert "no claim covers the year" in labels
    assert not any("extrapolat" in label for label in labels)
    assert "beyond the fitted years" not in labels
    for estimator in fit.ledger.estimators()["estimator"]:
        assert estimator in labels  # ten claims: the legend names each estimator
    assert "posterior median, 50% and 90% intervals" in labels
    assert any("repeat" in label for label in labels)
    assert len(fig.legends) == 1  # below the panels, not over the data
    wide = plots.plot_series(fit.extend(range(fit.years[0] - 2, fit.years[-1] + 3)))
    assert "beyond the fitted years" in legend_labels(wide)
    assert len(beyond_fit_spans(panel_of(wide, "workers", "world"))) == 2


def test_per_worker_years_that_the_identity_informs_are_not_shaded(fit):
    from remitest.posterior import year_evidence

    evidence = year_evidence(fit, "per_worker_usd")
    assert "identity" in set(evidence)  # no per-worker claim, but workers and remittances
    fig = plots.plot_series(fit, quantities=("per_worker_usd",))
    (ax,) = fig.axes
    shaded = set()
    for span in no_claim_spans(ax):
        x0, x1 = span.get_x(), span.get_x() + span.get_width()
        shaded |= {y for y in fit.years if x0 < y < x1}
    assert shaded == {y for y, e in zip(fit.years, evidence, strict=True) if e == "no claim"}


def test_series_fit_series_and_summary_use_two_words(fit):
    table = fit.series("workers", years=range(fit.years[0] - 1, fit.years[-1] + 2))
    assert {"extrapolated", "evidence"} <= set(table.columns)
    beyond = table["evidence"] == "beyond fit"
    assert (table["extrapolated"] == beyond).all()  # the old column keeps its meaning
    assert beyond.sum() == 2 and (table["evidence"] == "no claim").any()
    summary = fit.summary()
    assert set(summary["evidence"]) <= {"claims", "identity", "no claim", "beyond fit"}
    assert ((summary["evidence"] == "claims") == (summary["n_claims"] > 0)).all()


def test_series_is_on_a_log_axis_unless_asked(fit):
    fig = plots.plot_series(fit, quantities=("workers",), scopes=["world"])
    assert fig.axes[0].get_yscale() == "log"
    assert fig.axes[0].yaxis.get_major_formatter()(100_000) == "100"
    for linear in (plots.plot_series(fit, quantities=("workers",), scopes=["world"], log=False),
                   plots.plot_series(fit, quantities=("workers",), scopes=["world"],
                                     yscale="linear")):
        assert linear.axes[0].get_yscale() == "linear"
        assert linear.axes[0].get_ylim()[0] == 0
    with pytest.raises(ValueError, match="disagree"):
        plots.plot_series(fit, log=True, yscale="linear")
    with pytest.raises(TypeError):
        plots.plot_series(fit, ("workers",), None, None, False)  # keyword-only
    assert plots.plot_ledger(fit.ledger, log=False).axes[0].get_yscale() == "linear"
    assert plots.plot_host_split(fit, yscale="linear").axes[0].get_yscale() == "linear"


def test_series_units_are_scaled_on_the_axis_only(fit):
    fig = plots.plot_series(fit, quantities=("workers", "remittances_usd"), scopes=["world"])
    workers, remittances = fig.axes
    assert workers.get_ylabel() == "thousand persons"
    assert remittances.get_ylabel() == "US$ million per year"
    assert workers.yaxis.get_major_formatter()(100_000) == "100"
    assert remittances.yaxis.get_major_formatter()(500_000_000) == "500"
    assert remittances.yaxis.get_major_formatter()(1_500_000_000) == "1,500"
    # the data stay in base units
    assert workers.get_ylim()[1] > 100_000


def test_series_draws_into_given_axes(fit):
    fig = Figure()
    axes = fig.subplots(1, 2)
    out = plots.plot_series(fit, quantities=("workers", "remittances_usd"), scopes=["world"],
                            axes=axes)
    assert out is fig
    assert len(fig.axes) == 2
    assert axes[-1].get_legend() is not None
    with pytest.raises(ValueError, match="expected 4 axes"):
        plots.plot_series(fit, axes=axes)


def test_series_for_chosen_scopes(fit):
    fig = plots.plot_series(fit, quantities=("workers",), scopes=["china", "china_russia"])
    china, group = fig.axes
    assert not errorbars(china)
    assert len(errorbars(group)) == 1
    with pytest.raises(ValueError, match="scope"):
        plots.plot_series(fit, scopes=["mars"])


def _reference(fit, **columns):
    import pandas as pd

    years = np.asarray(fit.years)
    frame = pd.DataFrame({"year": years, "scope": "world", "quantity": "workers",
                          "value": 80_000.0 + 1_000.0 * (years - years[0])})
    return frame.assign(**columns)


def reference_lines(ax):
    return {line.get_gid().split(":", 1)[1]: line for line in ax.lines
            if (line.get_gid() or "").startswith("reference:")}


def test_series_overlays_a_reference_series_with_a_legend_entry(fit):
    import pandas as pd

    official = _reference(fit, label="official series")
    truth = _reference(fit, label="simulator's truth", value=120_000.0)
    money = _reference(fit, quantity="remittances_usd", value=3e8, label="official series")
    fig = plots.plot_series(fit, quantities=("workers", "remittances_usd"), scopes=["world"],
                            reference=pd.concat([official, truth, money]))
    workers, remittances = fig.axes
    lines = reference_lines(workers)
    assert set(lines) == {"official series", "simulator's truth"}
    np.testing.assert_array_equal(lines["official series"].get_xdata(), fit.years)
    np.testing.assert_allclose(lines["official series"].get_ydata(), official["value"])
    assert set(reference_lines(remittances)) == {"official series"}
    # one style per label, the same on every panel, apart from the bands and the claims
    official_line = lines["official series"]
    assert official_line.get_marker() != lines["simulator's truth"].get_marker()
    assert official_line._unscaled_dash_pattern != \
        lines["simulator's truth"]._unscaled_dash_pattern
    assert reference_lines(remittances)["official series"].get_marker() == \
        official_line.get_marker()
    assert to_hex(official_line.get_color()) == plots.series.REFERENCE_COLOUR
    assert to_hex(official_line.get_color()) != to_hex(plots.BAND_COLOUR)
    assert to_hex(official_line.get_color()) not in {to_hex(c) for c in TYPE_COLOURS.values()}
    labels = legend_labels(fig)
    assert labels.count("official series") == 1 and labels.count("simulator's truth") == 1
    # nothing clipped: the panel's limits take in the reference
    assert workers.get_ylim()[1] > 120_000 and remittances.get_ylim()[0] < 3e8


def test_series_reference_label_defaults_and_years_beyond_the_fit_widen_the_panel(fit):
    import pandas as pd

    years = np.arange(fit.years[0] - 3, fit.years[-1] + 1)
    frame = pd.DataFrame({"year": years, "scope": "world", "quantity": "workers",
                          "value": 90_000.0})
    fig = plots.plot_series(fit, quantities=("workers",), scopes=["world"], reference=frame)
    (ax,) = fig.axes
    assert set(reference_lines(ax)) == {"reference"}
    assert ax.get_xlim()[0] < years[0] and "reference" in legend_labels(fig)


def test_series_reference_is_checked_and_keyword_only(fit):
    good = _reference(fit)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['value'\]"):
        plots.plot_series(fit, reference=good.drop(columns="value"))
    with pytest.raises(ValueError, match="unknown quantity \\['migrants'\\]"):
        plots.plot_series(fit, reference=good.assign(quantity="migrants"))
    with pytest.raises(ValueError, match="scope \\['vietnam'\\]"):
        plots.plot_series(fit, reference=good.assign(scope="vietnam"))
    with pytest.raises(ValueError, match="log axis"):
        plots.plot_series(fit, reference=good.assign(value=0.0))
    plots.plot_series(fit, quantities=("workers",), scopes=["world"], log=False,
                      reference=good.assign(value=0.0))  # a linear axis takes zero
    with pytest.raises(ValueError, match="not finite"):
        plots.plot_series(fit, reference=good.assign(value=float("nan")))
    with pytest.raises(ValueError, match="one label, quantity, scope and year"):
        plots.plot_series(fit, reference=pd_concat(good, good))
    with pytest.raises(ValueError, match="no row has the quantity and scope of a panel"):
        plots.plot_series(fit, quantities=("workers",), scopes=["world"],
                          reference=good.assign(scope="china"))
    with pytest.raises(TypeError, match="DataFrame"):
        plots.plot_series(fit, reference={"year": [2015]})
    with pytest.raises(TypeError):
        plots.plot_series(fit, ("workers",), None, None, None, None, good)  # keyword-only


def pd_concat(*frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def test_biases_show_only_quantities_with_claims(fit, claims):
    fig = plots.plot_biases(fit)
    (ax,) = fig.axes
    originals = claims[claims["derived_from"].isna()]
    pairs = originals[["estimator", "quantity"]].drop_duplicates()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(pairs)
    assert set(labels) == set(pairs["estimator"])
    assert ax.get_xscale() == "log"
    # one prior bar, one 90% line, one 50% line and a median marker per row
    assert len(ax.lines) == 4 * len(pairs) + 1
    assert "prior 90% interval" in legend_labels(fig)


def test_biases_draw_into_given_axes(fit):
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.plot_biases(fit, ax=ax) is fig
    assert ax.get_legend() is not None


def test_host_split_labels_hosts_that_stayed_at_their_prior(fit):
    from remitest.tables import host_share_by_year_table

    fig = plots.plot_host_split(fit)
    hosts = list(fit.hosts)
    assert len(fig.axes) == 2 * len(hosts)
    by_year = host_share_by_year_table(fit)
    colours = plots.host_colours(hosts)
    for ax, host in zip(fig.axes, hosts, strict=False):
        stayed = not by_year.loc[by_year["host"] == host, "moved_from_prior"].any()
        assert ("prior only" in ax.get_title(loc="left")) == stayed
        assert len(ax.collections) == 2  # 50% and 90% bands
        assert to_hex(ax.lines[0].get_color()) == colours[host]
        assert ax.get_yscale() == "log"
    for ax, host in zip(fig.axes[len(hosts):], hosts, strict=True):
        rows = by_year[by_year["host"] == host]
        hatched = [c for c in ax.collections if c.get_hatch()]
        bands = [c for c in ax.collections if not c.get_hatch()]
        # one hatched bar per run of years that did not move; none when every year moved
        assert bool(hatched) == (~rows["moved_from_prior"]).any()
        assert len(bands) == 2  # prior and posterior bands
        low = min(b.get_paths()[0].vertices[:, 1].min() for b in bands)
        for bar in hatched:  # the hatching lies below every band: it never hides one
            assert bar.get_paths()[0].vertices[:, 1].max() <= min(low, 0.0)


def test_host_split_reads_alone(fit):
    labels = legend_labels(plots.plot_host_split(fit))
    assert any("prior 90%" in label for label in labels)
    assert any("posterior 90%" in label for label in labels)
    assert any("50% and 90%" in label for label in labels)
    assert any("did not move from its prior" in label for label in labels)


def test_host_split_draws_into_given_axes(fit):
    fig = Figure()
    axes = fig.subplots(2, len(fit.hosts)).ravel()
    assert plots.plot_host_split(fit, axes=axes) is fig
    with pytest.raises(ValueError):
        plots.plot_host_split(fit, axes=axes[:2])


def test_ppc_has_one_row_per_claim_labelled_by_key(fit, claims):
    fig = plots.plot_ppc(fit)
    ax, strip = fig.axes[0], fig.axes[-1]
    keys = plots.claim_keys(fit.ledger)
    order = {"workers": 0, "remittances_usd": 1, "per_worker_usd": 2}
    expected = sorted(zip(claims["quantity"].map(order), keys[claims["id"]], strict=True))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert [int(label.split(" ")[0]) for label in labels] == [int(k) for _, k in expected]
    estimators = dict(zip(keys[claims["id"]], claims["estimator"], strict=True))
    for label in labels:  # "3 \u00b7 Korea Institute for ...": the key, then the estimator
        key, name = label.split(" \u00b7 ")
        assert estimators[int(key)].startswith(name.rstrip("\u2026"))
    assert len(arrows(ax)) == claims["kind"].isin(["lower_bound", "upper_bound"]).sum()
    hollow = [line for line in ax.lines if line.get_markerfacecolor() == "white"]
    assert len(hollow) == claims["derived_from"].notna().sum()
    assert ax.get_xscale() == "log"
    assert "predictive 50%" in legend_labels(fig)
    assert "PIT" in strip.get_xlabel()


def test_ppc_shows_the_most_surprising_claims_of_a_large_ledger():
    import remitest as rt
    from remitest.plots.ppc import PPC_ROWS
    from remitest.predictive import claims_seed

    sim = rt.synthetic_ledger(150, random_seed=1)
    large = fake_fit(sim.ledger, sim.config, draws=20)
    fig = plots.plot_ppc(large)
    assert fig.get_figheight() <= plots.MAX_HEIGHT
    # the figure's own predictive seed: a censored claim's percentile is drawn
    predicted = large.predict_claims(random_seed=claims_seed(large))
    predicted = predicted.assign(
        key=plots.claim_keys(large.ledger).reindex(predicted["id"]).to_numpy())
    shown = {int(t.get_text().split(" ")[0]) for t in fig.axes[0].get_yticklabels()}
    assert len(shown) == PPC_ROWS
    used = predicted[predicted["used"]]
    extremes = (used["pit"] - 0.5).abs()
    threshold = extremes.sort_values(ascending=False).iloc[PPC_ROWS - 1]
    assert set(used.loc[extremes > threshold, "key"]) <= shown
    strip_dots = [line for line in fig.axes[-1].lines if line.get_gid()]
    assert len(strip_dots) == int(predicted["pit"].notna().sum())  # every PIT in the strip


def test_ppc_draws_into_given_axes(fit):
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.plot_ppc(fit, ax=ax) is fig


def test_prior_predictive_draws_prior_bands_and_claims():
    ledger = load_ledger("seeds")
    fig = plots.plot_prior_predictive(ledger, draws=30, random_seed=1)
    assert len(fig.axes) == 2
    claims = ledger.to_frame()
    world = claims[claims["scope"] == "world"]
    for ax, quantity in zip(fig.axes, ("workers", "remittances_usd"), strict=True):
        assert ax.get_yscale() == "log"
        assert len(errorbars(ax)) == (world["quantity"] == quantity).sum()
        assert len(ax.collections) >= 2
    assert "prior median, 50% and 90% intervals" in legend_labels(fig)


def test_ledger_figure_draws_every_claim_on_its_panel():
    from remitest.plots.ledger import ledger_panels

    ledger = load_ledger("seeds")
    claims = ledger.to_frame()
    fig = plots.plot_ledger(ledger)
    panels = ledger_panels(ledger)
    assert panels == [("workers", "world"), ("workers", "china_russia"),
                      ("remittances_usd", "world")]
    assert len(fig.axes) == len(panels)
    for ax, (quantity, scope) in zip(fig.axes, panels, strict=True):
        mine = claims[(claims["quantity"] == quantity) & (claims["scope"] == scope)]
        assert len(errorbars(ax)) == len(mine)
        assert ax.get_yscale() == "log"
        assert f"{len(mine)} claim" in ax.get_title(loc="left")
    # the spread: smallest and largest figure, and their ratio
    assert "50k\u2013150k (3\u00d7)" in fig.axes[0].get_title(loc="left")
    # the repeat is joined to its original by a line without an arrow head
    links = [t for t in fig.axes[0].texts if getattr(t, "arrow_patch", None) is not None
             and t.arrow_patch.get_arrowstyle().__class__.__name__ == "Curve"]
    assert len(links) == 1
    for estimator in ledger.estimators()["estimator"]:
        assert estimator in legend_labels(fig)


def test_ledger_figure_draws_into_given_axes():
    fig = Figure()
    axes = fig.subplots(3, 1)
    assert plots.plot_ledger(load_ledger("seeds"), axes=axes) is fig
    assert axes[-1].get_legend() is not None


def test_check_figures_draw_each_estimator_as_the_run_figures_do(fit):
    """held_out's and loo's figures take colour and marker from the registry, by the ledger."""
    from remitest.checks.held_out import HeldOutResult
    from remitest.checks.loo import loo
    from remitest.predictive import predict_claims

    registry = plots.estimator_styles(fit.ledger)
    ledger = fit.ledger
    later = ledger.originals().filter(lambda f: (f["published"].dt.year > 2017).to_numpy())
    table = predict_claims(fit, later, random_seed=1)
    table.insert(8, "published", later.published_year)
    table["reading"], table["in_50"], table["in_90"] = "gaussian", 1.0, 1.0
    everyone = ledger.estimators()
    result = HeldOutResult(table=table, cutoff=2017, n_fitted=7,
                           estimators=tuple(everyone["estimator"]),
                           estimator_types=tuple(everyone["estimator_type"]))
    loo_result = loo(fit)
    assert loo_result.estimator_types == tuple(everyone["estimator_type"])
    for figure, rows in ((result.plot(), table), (loo_result.plot(), loo_result.table)):
        ax = figure.axes[0]
        marks = [line for line in ax.lines if line.get_marker() not in ("None", "", None)]
        assert len(marks) == len(rows)
        for line, estimator in zip(marks, rows["estimator"], strict=True):
            assert to_hex(line.get_color()) == to_hex(registry[estimator]["color"]), estimator
            assert line.get_marker() == registry[estimator]["marker"], estimator
