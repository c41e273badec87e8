"""Figures that stay legible at any ledger size: legends off the data, labels apart, tall panels.

Ledgers of 10 (shipped), 60 and 150 claims (simulated); fits are fake, so no sampler runs.
"""

import itertools

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from _synthetic import synthetic_ledger  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from remitest import plots  # noqa: E402
from remitest.ledger import load_ledger  # noqa: E402
from remitest.plots._claims import LEGEND_LIMIT  # noqa: E402
from remitest.testing import fake_fit  # noqa: E402

SIZES = [10, 60, 150]


def ledger_of(n_claims):
    return load_ledger("seeds") if n_claims == 10 else synthetic_ledger(n_claims, random_seed=1)


@pytest.fixture(scope="module", params=SIZES, ids=[f"{n}-claims" for n in SIZES])
def sized(request):
    ledger = ledger_of(request.param)
    assert len(ledger) == request.param
    return ledger


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


def assert_legible(fig):
    renderer = drawn(fig)
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
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
        assert height >= 1.2, f"panel {ax.get_title(loc='left')!r} is {height:.2f} in tall"


def test_series_is_legible(sized):
    fig = plots.plot_series(fake_fit(sized, draws=40))
    assert_legible(fig)


def test_ledger_figure_is_legible(sized):
    fig = plots.plot_ledger(sized)
    assert_legible(fig)


def test_large_ledgers_number_their_claims_and_name_types_not_estimators():
    ledger = ledger_of(60)
    fig = plots.plot_series(fake_fit(ledger, draws=40))
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "government" in labels
    assert not any(label.startswith("Estimator") for label in labels)
    numbers = {t.get_text() for ax in fig.axes for t in ax.texts if t.get_text().isdigit()}
    assert len(numbers) > len(ledger) // 2  # most claims carry their key
