"""Figures that stay legible at any ledger size: legends off the data, labels apart, tall panels.

Ledgers of 10 (shipped), 60 and 150 claims (``remitest.synthetic_ledger``); fits are fake, so no
sampler runs. At each size, every figure of a run: each axes box lies inside the figure, no
legend or label overlaps a data panel, nothing that draws a claim is cut by its panel, the
figure is at most 10 inches tall, each estimator has one colour and one marker in every figure,
and every caption has at most 120 words.
"""

import itertools

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import remitest as rt  # noqa: E402
from remitest import plots  # noqa: E402
from remitest.captions import FIGURE_TEXT, MAX_WORDS, caption  # noqa: E402
from remitest.ledger import load_ledger  # noqa: E402
from remitest.plots._claims import LEGEND_LIMIT  # noqa: E402
from remitest.testing import fake_fit  # noqa: E402

SIZES = [10, 60, 150]


def fit_of(n_claims):
    if n_claims == 10:
        return fake_fit(load_ledger("seeds"), draws=40)
    sim = rt.synthetic_ledger(n_claims, random_seed=1)
    return fake_fit(sim.ledger, sim.config, draws=40)


@pytest.fixture(scope="module", params=SIZES, ids=[f"{n}-claims" for n in SIZES])
def sized(request):
    fit = fit_of(request.param)
    assert len(fit.ledger) == request.param
    return fit


@pytest.fixture(scope="module")
def figures(sized):
    """Every figure of a run, and the ledger figure, drawn once per size."""
    drawn = {name: plot(sized) for name, plot in plots.FIGURES.items()}
    drawn["ledger"] = plots.plot_ledger(sized.ledger)
    return drawn


def drawn(fig):
    fig.draw_without_rendering()
    return fig._get_renderer()


def undrawn_ticks(fig):
    """Tick labels that matplotlib keeps but does not draw: their tick lies outside the view."""
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = high - low
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                if not low - 1e-9 * span <= tick.get_loc() <= high + 1e-9 * span:
                    hidden.update({id(tick.label1), id(tick.label2)})
    return hidden


def legends_of(fig):
    return list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]


def assert_legible(fig, *, min_panel_height=1.2):
    renderer = drawn(fig)
    legends = legends_of(fig)
    assert legends
    for legend in legends:
        assert len(legend.get_texts()) <= LEGEND_LIMIT
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), "legend over a panel"
    texts = [t for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and id(t) not in undrawn_ticks(fig)]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"labels {a!r} and {b!r} overlap"
    for ax in fig.axes:
        height = ax.get_window_extent(renderer).height / fig.dpi
        assert height >= min_panel_height, (
            f"panel {ax.get_title(loc='left')!r} is {height:.2f} in tall")


def assert_inside_figure(fig):
    """Every axes, its labels and ticks included, and every legend lie inside the figure.

    At the screen's resolution and at the export's (300 dpi), where text runs a little wider.
    """
    for dpi in (100, 300):
        fig.set_dpi(dpi)
        try:
            renderer = drawn(fig)
            frame = fig.bbox
            boxes = [ax.get_tightbbox(renderer) for ax in fig.axes]
            boxes += [legend.get_window_extent(renderer) for legend in legends_of(fig)]
            for box in boxes:
                assert box.x0 >= frame.x0 and box.y0 >= frame.y0, (dpi, box)
                assert box.x1 <= frame.x1 and box.y1 <= frame.y1, (dpi, box)
        finally:
            fig.set_dpi(100)


def claim_artists(fig):
    """(estimator, artist) of every marker that draws an estimator's claim or parameter."""
    return [(artist.get_gid().split(":", 1)[1], artist) for artist in fig.findobj()
            if isinstance(artist.get_gid(), str) and artist.get_gid().startswith("estimator:")]


def assert_nothing_clipped(fig):
    """Each claim's marker, and each bound's arrow, lies inside its own panel."""
    renderer = drawn(fig)
    for ax in fig.axes:
        frame = ax.get_window_extent(renderer)
        for _, artist in claim_artists(ax):
            for x, y in artist.get_transform().transform(artist.get_xydata()):
                assert frame.x0 - 1 <= x <= frame.x1 + 1 and frame.y0 - 1 <= y <= frame.y1 + 1, (
                    f"a marker of {artist.get_gid()} at ({x:.0f}, {y:.0f}) outside its panel "
                    f"{ax.get_title(loc='left')!r}")
        for text in ax.texts:
            patch = getattr(text, "arrow_patch", None)
            if patch is None or patch.get_arrowstyle().__class__.__name__ == "Curve":
                continue
            box = patch.get_window_extent(renderer)
            assert frame.x0 - 2 <= box.x0 and box.x1 <= frame.x1 + 2, "arrow cut at a side"
            assert frame.y0 - 2 <= box.y0 and box.y1 <= frame.y1 + 2, (
                f"arrow cut at the top or bottom of {ax.get_title(loc='left')!r}")


def test_series_is_legible(figures):
    assert_legible(figures["series"])


def test_ledger_figure_is_legible(figures):
    assert_legible(figures["ledger"])


@pytest.mark.parametrize("name", ["series", "ledger", "biases", "host_split", "ppc"])
def test_every_figure_fits_its_page(figures, name):
    fig = figures[name]
    assert fig.get_figheight() <= plots.MAX_HEIGHT + 1e-9
    assert_inside_figure(fig)
    renderer = drawn(fig)
    for legend in legends_of(fig):  # no legend over a data panel
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), f"{name}: legend over data"
    assert_nothing_clipped(fig)


@pytest.mark.parametrize("name", ["biases", "host_split", "ppc"])
def test_labels_of_other_figures_stay_apart(figures, name):
    assert_legible(figures[name], min_panel_height=0.6)


def test_each_estimator_is_drawn_one_way_in_every_figure(sized, figures):
    registry = plots.estimator_styles(sized.ledger)
    seen = {}
    for name, fig in figures.items():
        for estimator, artist in claim_artists(fig):
            style = (to_hex(artist.get_color()), artist.get_marker())
            seen.setdefault(estimator, set()).add((name, *style))
            assert style == (registry[estimator]["color"], registry[estimator]["marker"]), (
                f"{estimator} in {name}")
    drawn_in = {n for pairs in seen.values() for n, *_ in pairs}
    assert {"series", "ledger", "biases", "ppc"} <= drawn_in
    originals = set(sized.ledger.originals().to_frame()["estimator"])
    assert originals <= set(seen)  # every estimator with an original claim is drawn somewhere


def test_captions_have_at_most_120_words(sized):
    for name in FIGURE_TEXT:
        text = caption(sized, name)
        assert len(text.split()) <= MAX_WORDS, (name, len(text.split()))
        assert "sources.csv" in text
        assert sized.run_id in text


def test_ppc_and_biases_keep_their_height_by_showing_the_extremes(sized, figures):
    from remitest.plots.parameters import BIAS_ROWS, bias_rows
    from remitest.plots.ppc import PPC_ROWS

    rows_ax = figures["ppc"].axes[0]
    labels = [t.get_text() for t in rows_ax.get_yticklabels()]
    assert len(labels) == min(PPC_ROWS, len(sized.ledger))
    keys = plots.claim_keys(sized.ledger)
    assert all(int(label.split(" ")[0]) in set(keys) for label in labels)  # labelled by key
    strip = figures["ppc"].axes[-1]
    assert "every claim" in strip.get_xlabel()
    shown, total = bias_rows(sized)
    assert len(figures["biases"].axes[0].get_yticklabels()) == shown == min(total, BIAS_ROWS)


def test_large_ledgers_number_their_claims_and_name_types_not_estimators():
    fit = fit_of(60)
    fig = plots.plot_series(fit)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "government" in labels
    assert not any(label.startswith("Source") for label in labels)
    numbers = {t.get_text() for ax in fig.axes for t in ax.texts if t.get_text().isdigit()}
    assert len(numbers) > len(fit.ledger) // 2  # most claims carry their key


@pytest.mark.parametrize("name", ["series", "ledger"])
def test_key_numbers_keep_apart_and_off_other_markers(figures, name):
    """Two numbers side by side would read as one ("38" "39" as "3839"), and a number over
    another claim's marker hides it: a gap of 2 points between numbers, none on a marker."""
    fig = figures[name]
    renderer = drawn(fig)
    gap = 1.9 * fig.dpi / 72  # 2 points, less a rounding margin
    for ax in fig.axes:
        keys = [t for t in ax.texts if t.get_text().isdigit()]
        boxes = [t.get_window_extent(renderer) for t in keys]
        for a, b in itertools.combinations(boxes, 2):
            assert not a.padded(gap / 2).overlaps(b.padded(gap / 2)), f"{name}: numbers touch"
        centres = [tuple(xy) for _, artist in claim_artists(ax) if _is_marker(artist)
                   for xy in artist.get_transform().transform(artist.get_xydata())]
        for text, box in zip(keys, boxes, strict=True):
            own = text.xy if text.xycoords == "data" else None
            covered = [c for c in centres if box.contains(*c)]
            if own is not None:
                mine = ax.transData.transform(own)
                covered = [c for c in covered if abs(c[0] - mine[0]) > 1 or abs(c[1] - mine[1]) > 1]
            assert not covered, f"{name}: number {text.get_text()} covers a marker"


def _is_marker(artist):
    """A claim's marker, not a range's or an interval's line (whose ends are not markers)."""
    return (str(artist.get_marker()) not in ("", "None", " ")
            and str(artist.get_linestyle()) in ("None", "", " "))
