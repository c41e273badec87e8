"""The ledger at a glance, before any fit: each claim at its reference period and scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from remitest.ledger import QUANTITIES, WORLD, Ledger
from remitest.plots._claims import (
    by_estimator,
    claim_dodge,
    claim_keys,
    claim_styles,
    draw_claim,
    kind_handles,
    legend_below,
    panel_title,
    place_keys,
    scope_order,
    who_handles,
)
from remitest.plots._style import (
    _given_axes,
    _series_axes,
    _styled,
    scope_label,
    value_limits,
    value_scale,
)
from remitest.plots.series import (
    _SHORT_LABELS,
    _dodge_width,
    _series_grid,
    _thin_year_ticks,
    _x_room,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def ledger_panels(ledger: Ledger) -> list[tuple[str, str]]:
    """(quantity, scope) of every pair with claims: quantities in order, world first."""
    claims = ledger.to_frame()
    return [(quantity, scope) for quantity in QUANTITIES
            for scope in scope_order(claims.loc[claims["quantity"] == quantity, "scope"],
                                     ledger.valid_scopes)]


def _spread(claims: pd.DataFrame) -> str:
    """Smallest and largest figure stated, and their ratio: "40k-250k (6.2x)"."""
    numbers = np.concatenate([claims["low"].dropna(), claims["high"].dropna()])
    low, high = numbers.min(), numbers.max()
    times = high / low  # "7.5x", "30x", "104x" (never "1e+02x")
    shown = f"{times:.2g}" if times < 100 else f"{times:,.0f}"
    ratio = f" ({shown}\u00d7)" if times > 1 else ""
    count = f"{len(claims)} claim{'s' * (len(claims) != 1)}"
    return f"{count}, {_short(low)}\u2013{_short(high)}{ratio}"


def _short(value: float) -> str:
    for scale, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def _log_limits(numbers: np.ndarray, *, min_ratio: float = 12.0) -> tuple[float, float]:
    """Value limits with room for the arrows, at least ``min_ratio`` apart.

    A log axis over a narrower range falls back to dense linear ticks.
    """
    low, high = numbers.min() / 2.0, numbers.max() * 2.0
    widen = np.sqrt(max(min_ratio / (high / low), 1.0))
    return low / widen, high * widen


def _link_repeats(ax: Axes, positions: dict[str, tuple[float, float, Any]],
                  claims: pd.DataFrame) -> None:
    """A dotted line from each repeat to the claim it repeats, where both are on this panel."""
    for claim in claims[claims["derived_from"].notna()].itertuples(index=False):
        if claim.derived_from not in positions or claim.id not in positions:
            continue
        x0, y0, t0 = positions[claim.derived_from]
        x1, y1, t1 = positions[claim.id]
        ax.annotate("", xy=(x0, y0), xycoords=t0, xytext=(x1, y1), textcoords=t1,
                    arrowprops={"arrowstyle": "-", "ls": ":", "color": "0.35", "lw": 0.9,
                                "shrinkA": 3, "shrinkB": 3}, zorder=3)


@_styled
def plot_ledger(ledger: Ledger, *, axes: Any = None, log: bool | None = None,
                yscale: str | None = None) -> Figure:
    """Every claim of a ledger at its reference period, one panel per quantity and scope.

    Parameters
    ----------
    ledger : Ledger
    axes : sequence of matplotlib Axes, optional
        One per (quantity, scope) with claims (`ledger_panels`); a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Log value axes by default, so that the spread the model reconciles reads as a ratio
    (``log=False`` or ``yscale="linear"`` for linear ones); each panel's
    title gives its number of claims and the smallest and largest figure stated. A point is a
    marker, a range a vertical whisker (marker at its geometric midpoint), a bound an arrow (up:
    "more than", down: "as high as"), a multi-year period a horizontal bar. Colour is the
    estimator's type; a repeat is hollow, joined to its original by a dotted line. With at most
    12 claims the legend names each estimator; above that the claims carry their key
    (``claim_keys``, their position in the ledger) wherever it collides with no other label.
    """
    use_log = value_scale(log, yscale)
    claims = ledger.to_frame()
    panels = ledger_panels(ledger)
    created = axes is None
    fig, axes = _series_grid(panels, panel_height=2.0) if created else (
        None, _given_axes(axes, len(panels)))
    fig = fig or axes[0].figure
    kinds = kind_handles(claims)
    per_estimator = by_estimator(claims)
    styles = claim_styles(claims, ledger=ledger)
    keys = claim_keys(ledger)
    years = np.arange(claims["ref_start"].min() - 1, claims["ref_end"].max() + 2)
    marks = []
    for ax, (quantity, scope) in zip(axes, panels, strict=True):
        mine = claims[(claims["quantity"] == quantity) & (claims["scope"] == scope)]
        positions = {}
        dodges = claim_dodge(mine, width=_dodge_width(ax, years))
        for dodge, claim in zip(dodges, mine.itertuples(index=False), strict=True):
            x, y, transform = draw_claim(ax, claim, styles[claim.estimator], dodge=dodge)
            positions[claim.id] = (x, y, transform)
            marks.append((ax, x, y, transform, str(keys[claim.id]), "0.15"))
        _link_repeats(ax, positions, mine)
        _series_axes(ax, quantity, years, log=use_log)
        _thin_year_ticks(ax, years)
        _x_room(ax, years)
        numbers = np.concatenate([mine["low"].dropna(), mine["high"].dropna()])
        if use_log:
            ax.set_ylim(*_log_limits(numbers))
        else:
            value_limits(ax, numbers.min(), numbers.max(), log=False, room_high=True)
        scope_text = "world" if scope == WORLD else scope_label(scope)
        ax.set_title(f"{panel_title(_SHORT_LABELS[quantity], scope, scope_text)}\n"
                     f"{_spread(mine)}", loc="left")
    entries = [*who_handles(claims, styles, per_estimator=per_estimator), *kinds]
    legend_below(fig, entries, axes=None if created else axes)
    if not per_estimator and created:
        place_keys(fig, marks)
    return fig
