"""Posterior predictive check: the claims the fit finds most surprising, and a strip of every PIT.

At most ``PPC_ROWS`` claims get a row of their own (all of them in a ledger that small): those
whose predictive percentile (PIT) lies furthest from 0.5. A strip below shows every claim's PIT,
so that the figure keeps its height at any ledger size. Claims are labelled by their key, the
number that labels them on every figure (``claim_keys``; the ``key`` column of ``claims.csv``
and ``sources.csv``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib import transforms
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from remitest.fitrecord import Fit
from remitest.plots._claims import claim_keys
from remitest.plots._style import (
    MAX_HEIGHT,
    QUANTITY_LABELS,
    _columns,
    _factor_axis,
    _figure_legend,
    _finish_forest,
    _kind_handles,
    _right_labels,
    _styled,
    estimator_styles,
    marker_size,
    tag_estimator,
)
from remitest.predictive import claims_table
from remitest.reading import as_read

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

#: Most claims with a row of their own; the strip shows every claim's PIT.
PPC_ROWS = 25
_LABEL_CHARS = 36


def _ppc_ratio(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(float) / frame["pred_q50"].to_numpy(float)


def surprising(predicted: pd.DataFrame, n: int = PPC_ROWS) -> pd.DataFrame:
    """The ``n`` used claims whose PIT lies furthest from 0.5, in quantity, then key order.

    Every claim when there are at most ``n``.
    """
    order = {q: i for i, q in enumerate(QUANTITY_LABELS)}
    if len(predicted) > n:
        extreme = (predicted["pit"] - 0.5).abs().where(predicted["used"].astype(bool), -1.0)
        predicted = predicted.loc[extreme.fillna(-1.0).sort_values(
            ascending=False, kind="stable").index[:n]]
    return predicted.assign(_order=predicted["quantity"].map(order)).sort_values(
        ["_order", "key"], kind="stable").reset_index(drop=True)


def _label(key: int, estimator: str) -> str:
    if len(estimator) > _LABEL_CHARS:
        estimator = estimator[:_LABEL_CHARS - 1] + "\u2026"
    name = estimator
    return f"{key} \u00b7 {name}"


@_styled
def plot_ppc(fit: Fit, *, ax: Axes | None = None, rows: int = PPC_ROWS) -> Figure:
    """Posterior predictive check: the most surprising claims against their predictive intervals.

    One row per claim, for at most ``rows`` claims (those whose predictive percentile lies
    furthest from 0.5; every claim in a smaller ledger), grouped by quantity, on one log axis
    normalised by each claim's predictive median (1x = the claim is exactly what the fit
    predicts), so that persons and dollars share it. Grey bars are the predictive 50%/90%
    intervals; the marker is the reported value (a range's geometric midpoint, with its whisker;
    a bound with an arrow pointing where the truth lies, as the fit reads it: a permit count from
    2020 on says "more than"), in the estimator's colour and marker;
    hollow markers are claims not used by the fit (repeats). Rows are labelled by claim key and
    estimator, with the PIT at the right. Below, a strip shows every claim's PIT by quantity.

    Parameters
    ----------
    fit : Fit
    ax : matplotlib Axes, optional
        Draw the rows only (no strip) into this axes.
    rows : int
        Most claims with a row of their own.

    Returns
    -------
    matplotlib.figure.Figure
    """
    predicted = claims_table(fit)  # default seed, claims_seed(fit): matches the run's claims.csv
    keys = claim_keys(fit.ledger)
    predicted = predicted.assign(key=keys.reindex(predicted["id"]).to_numpy())
    claims = as_read(fit.ledger.to_frame(), fit.config).set_index("id")  # kinds as read
    styles = estimator_styles(fit.ledger)
    shown = surprising(predicted, rows)

    ypos, headings, y = [], [], 0.0
    for _, group in shown.groupby("_order", sort=True):
        y -= 1.0
        headings.append((str(group["quantity"].iloc[0]), y))
        for _ in range(len(group)):
            y -= 1.0
            ypos.append(y)
    created = ax is None
    strip = None
    if created:
        height = min(MAX_HEIGHT, 0.2 * -y + 2.7)
        fig = Figure(figsize=(7.0, height), layout="constrained")
        ax, strip = fig.subplots(2, 1, height_ratios=[max(-y * 0.2, 1.3), 1.0])
    fig = ax.figure
    ratio = {c: _ppc_ratio(shown, c) for c in
             ("pred_q05", "pred_q25", "pred_q75", "pred_q95", "reported_value")}
    for i, (row, yi) in enumerate(zip(shown.itertuples(index=False), ypos, strict=True)):
        style = styles.get(row.estimator, {"color": "0.3", "marker": "o"})
        ax.plot([ratio["pred_q05"][i], ratio["pred_q95"][i]], [yi, yi], color="0.6", lw=1.0,
                zorder=1)
        ax.plot([ratio["pred_q25"][i], ratio["pred_q75"][i]], [yi, yi], color="0.6", lw=4.0,
                solid_capstyle="butt", zorder=1)
        x = ratio["reported_value"][i]
        used = bool(row.used)
        claim = claims.loc[row.id] if row.id in claims.index else None
        if claim is not None and row.read_as == "range":
            scale = x / row.reported_value
            ax.plot([claim["low"] * scale, claim["high"] * scale], [yi, yi], color=style["color"],
                    lw=1.0, alpha=1.0 if used else 0.6, zorder=2,
                    marker="|", ms=5, markevery=[0, 1])
        (marker,) = ax.plot([x], [yi], ls="", marker=style["marker"], color=style["color"],
                            ms=marker_size(style["marker"], 5.5), mew=1.0,
                            mfc=style["color"] if used else "white", zorder=3,
                            mec=style.get("edge", style["color"]),
                            clip_on=False)
        tag_estimator([marker], row.estimator)
        if row.read_as in ("lower_bound", "upper_bound"):
            right = row.read_as == "lower_bound"
            head = transforms.offset_copy(ax.transData, fig=fig, x=14 if right else -14, y=0,
                                          units="points")
            arrow = ax.annotate("", xy=(x, yi), xycoords=head, xytext=(x, yi),
                                textcoords="data", annotation_clip=False,
                                arrowprops={"arrowstyle": "-|>", "color": style["color"],
                                            "lw": 1.0, "mutation_scale": 7, "shrinkA": 3,
                                            "shrinkB": 0}, zorder=3)
            arrow.set_in_layout(False)
    for quantity, yh in headings:
        ax.text(0.005, yh, QUANTITY_LABELS[quantity], transform=ax.get_yaxis_transform(),
                ha="left", va="center", fontweight="bold")
    ax.set_yticks(ypos, [_label(int(k), str(e))
                         for k, e in zip(shown["key"], shown["estimator"], strict=True)])
    _right_labels(ax, ypos, [f"{p:.2f}" if u and np.isfinite(p) else "not used"
                             for p, u in zip(shown["pit"], shown["used"], strict=True)],
                  title="predictive percentile (PIT)")
    title = ("Posterior predictive check of each claim" if len(shown) == len(predicted) else
             f"Posterior predictive check: the {len(shown)} most surprising of "
             f"{len(predicted)} claims")
    _finish_forest(ax, xlabel="reported value \u00f7 posterior predictive median",
                   title=title, bottom=y)
    _room_for_arrows(ax, ratio, shown)
    if strip is not None:
        _pit_strip(strip, predicted, styles)
    handles = [
        Line2D([], [], color="0.6", lw=4.0, label="predictive 50%"),
        Line2D([], [], color="0.6", lw=1.0, label="predictive 90%"),
        Line2D([], [], ls="", marker="o", color="0.2", ms=5,
               label="reported value (estimator's colour and marker)"),
    ]
    handles, ncol = _columns(handles[:2], handles[2:],
                             _kind_handles(claims.reset_index(), horizontal=True))
    _figure_legend(fig, [ax], handles, created=created, ncol=ncol)
    return fig


def _room_for_arrows(ax: Axes, ratio: dict[str, np.ndarray], shown: pd.DataFrame) -> None:
    """Widen the factor axis so that a bound's 14-point arrow at either end stays inside."""
    values = np.concatenate([ratio["pred_q05"], ratio["pred_q95"], ratio["reported_value"]])
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        return
    low, high = ax.get_xlim()
    span = np.log(high / low)
    kinds = shown["read_as"].to_numpy()
    if (kinds == "lower_bound").any():
        high = max(high, float(np.max(ratio["reported_value"][kinds == "lower_bound"]))
                   * np.exp(0.2 * span))
    if (kinds == "upper_bound").any():
        low = min(low, float(np.min(ratio["reported_value"][kinds == "upper_bound"]))
                  * np.exp(-0.2 * span))
    ax.set_xlim(low, high)
    _factor_axis(ax)


def _pit_strip(ax: Axes, predicted: pd.DataFrame, styles: dict[str, dict[str, str]]) -> None:
    """Every claim's PIT, one line per quantity, in the estimator's colour and marker."""
    order = [q for q in QUANTITY_LABELS if q in set(predicted["quantity"])]
    rng = np.random.default_rng(0)  # a fixed vertical jitter, so that dots do not stack
    for row_index, quantity in enumerate(order):
        mine = predicted[predicted["quantity"] == quantity]
        jitter = rng.uniform(-0.28, 0.28, len(mine))
        for j, row in zip(jitter, mine.itertuples(index=False), strict=True):
            if not np.isfinite(row.pit):
                continue
            style = styles.get(row.estimator, {"color": "0.3", "marker": "o"})
            (dot,) = ax.plot([row.pit], [-row_index + j], ls="", marker=style["marker"],
                             color=style["color"], ms=marker_size(style["marker"], 3.8),
                             mew=0.8, clip_on=False,
                             mfc=style["color"] if row.used else "white", alpha=0.85,
                             mec=style.get("edge", style["color"]))
            tag_estimator([dot], row.estimator)
    for edge in (0.05, 0.95):
        ax.axvline(edge, color="0.5", lw=0.6, ls=":", zorder=0)
    ax.axvspan(0, 0.05, color="0.93", lw=0, zorder=0)
    ax.axvspan(0.95, 1, color="0.93", lw=0, zorder=0)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-len(order) + 0.5, 0.5)
    ax.set_yticks([-i for i in range(len(order))], [QUANTITY_LABELS[q] for q in order])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("predictive percentile (PIT) of every claim; shaded: below 5% or above 95%")
    ax.set_title(f"All {int(np.isfinite(predicted['pit']).sum())} claims", loc="left")
