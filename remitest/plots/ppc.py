"""Posterior predictive check: each claim against its predictive interval."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib import transforms
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from remitest.plots._style import (
    QUANTITY_LABELS,
    _columns,
    _figure_legend,
    _finish_forest,
    _kind_handles,
    _right_labels,
    _styled,
    estimator_styles,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

    from remitest.fit_result import Fit


def _ppc_ratio(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(float) / frame["pred_q50"].to_numpy(float)


@_styled
def plot_ppc(fit: Fit, *, ax: Axes | None = None) -> Figure:
    """Posterior predictive check: each claim against its predictive 50%/90% interval.

    One row per claim, grouped by quantity, on one log axis normalised by each claim's predictive
    median (1x = the claim is exactly what the fit predicts), so that persons and dollars share
    it. Grey bars are the predictive 50%/90% intervals; the marker is the reported value (a
    range's geometric midpoint, with its whisker; a bound with an arrow pointing where the truth
    lies), in the estimator's colour and marker; hollow markers are claims not used by the fit
    (repeats). The predictive percentile (PIT) is printed at the right.

    Parameters
    ----------
    fit : Fit
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from remitest.predictive import claims_table

    predicted = claims_table(fit)  # default seed, claims_seed(fit): matches the run's claims.csv
    claims = fit.ledger.to_frame().set_index("id")
    styles = estimator_styles(fit.structure.estimators)
    order = {q: i for i, q in enumerate(QUANTITY_LABELS)}
    predicted = predicted.assign(_order=predicted["quantity"].map(order)).sort_values(
        "_order", kind="stable").reset_index(drop=True)

    ypos, headings, y = [], [], 0.0
    for quantity, group in predicted.groupby("_order", sort=True):
        y -= 1.0
        headings.append((str(group["quantity"].iloc[0]), y))
        for _ in range(len(group)):
            y -= 1.0
            ypos.append(y)
        del quantity
    created = ax is None
    if created:
        fig = Figure(figsize=(7.0, 0.24 * -y + 1.0), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    ratio = {c: _ppc_ratio(predicted, c) for c in
             ("pred_q05", "pred_q25", "pred_q75", "pred_q95", "reported_value")}
    for i, (row, yi) in enumerate(zip(predicted.itertuples(index=False), ypos, strict=True)):
        style = styles.get(row.estimator, {"color": "0.3", "marker": "o"})
        ax.plot([ratio["pred_q05"][i], ratio["pred_q95"][i]], [yi, yi], color="0.6", lw=1.0,
                zorder=1)
        ax.plot([ratio["pred_q25"][i], ratio["pred_q75"][i]], [yi, yi], color="0.6", lw=4.0,
                solid_capstyle="butt", zorder=1)
        x = ratio["reported_value"][i]
        used = bool(row.used)
        claim = claims.loc[row.id] if row.id in claims.index else None
        if claim is not None and row.kind == "range":
            scale = x / row.reported_value
            ax.plot([claim["low"] * scale, claim["high"] * scale], [yi, yi], color=style["color"],
                    lw=1.0, alpha=1.0 if used else 0.6, zorder=2,
                    marker="|", ms=5, markevery=[0, 1])
        ax.plot([x], [yi], ls="", marker=style["marker"], color=style["color"], ms=5.5, mew=1.0,
                mfc=style["color"] if used else "white", zorder=3)
        if row.kind in ("lower_bound", "upper_bound"):
            right = row.kind == "lower_bound"
            head = transforms.offset_copy(ax.transData, fig=fig, x=14 if right else -14, y=0,
                                          units="points")
            ax.annotate("", xy=(x, yi), xycoords=head, xytext=(x, yi), textcoords="data",
                        arrowprops={"arrowstyle": "-|>", "color": style["color"], "lw": 1.0,
                                    "mutation_scale": 7, "shrinkA": 3, "shrinkB": 0}, zorder=3)
    for quantity, yh in headings:
        ax.text(0.005, yh, QUANTITY_LABELS[quantity], transform=ax.get_yaxis_transform(),
                ha="left", va="center", fontweight="bold")
    ax.set_yticks(ypos, [str(i) for i in predicted["id"]])
    _right_labels(ax, ypos, [f"{p:.2f}" if u and np.isfinite(p) else "not used"
                             for p, u in zip(predicted["pit"], predicted["used"], strict=True)],
                  title="predictive percentile (PIT)")
    _finish_forest(ax, xlabel="reported value \u00f7 posterior predictive median",
                   title="Posterior predictive check of each claim", bottom=y)
    handles = [
        Line2D([], [], color="0.6", lw=4.0, label="predictive 50%"),
        Line2D([], [], color="0.6", lw=1.0, label="predictive 90%"),
        Line2D([], [], ls="", marker="o", color="0.2", ms=5,
               label="reported value (estimator's colour and marker)"),
    ]
    handles, ncol = _columns(handles[:2], handles[2:], _kind_handles(claims, horizontal=True))
    _figure_legend(fig, [ax], handles, created=created, ncol=ncol)
    return fig
