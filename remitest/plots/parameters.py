"""Figures of the model's parameters: estimator biases and the split of workers across hosts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from remitest.plots._style import (
    HOST_COLOURS,
    PRIOR_COLOUR,
    QUANTITY_LABELS,
    _figure_legend,
    _finish_forest,
    _given_axes,
    _host_label,
    _quantiles,
    _right_labels,
    _series_axes,
    _styled,
    estimator_styles,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

    from remitest.fit_result import Fit


@_styled
def plot_biases(fit: Fit, *, ax: Axes | None = None) -> Figure:
    """Forest plot of each estimator's multiplicative bias per quantity.

    Rows are grouped by quantity; each shows ``exp(estimator_bias)``: the posterior median (dot),
    50% (thick) and 90% (thin) intervals, with the prior 90% interval as a grey bar behind. Only
    the quantities an estimator made (original) claims about are shown; the others stay at their
    prior. The dashed line is 1x, an unbiased estimator.

    Parameters
    ----------
    fit : Fit
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from remitest.tables import estimators_table

    bias = fit.idata.posterior["estimator_bias"]
    estimators = [str(e) for e in bias["estimator"].values]
    quantities = [str(q) for q in bias["quantity"].values]
    q = _quantiles(np.exp(bias.transpose("chain", "draw", "estimator", "quantity").values))
    table = estimators_table(fit)
    table = table[table["parameter"] == "estimator_bias"].set_index(["estimator", "quantity"])
    styles = estimator_styles(fit.structure.estimators)

    rows: list[tuple[int, int, float]] = []  # (estimator, quantity, y), top to bottom
    headings: list[tuple[str, float]] = []
    y = 0.0
    for qi, quantity in enumerate(quantities):
        ests = [ei for ei, e in enumerate(estimators) if table.loc[(e, quantity), "n_claims"] > 0]
        if ests:
            y -= 1.0  # a line for the group's heading
            headings.append((quantity, y))
            for ei in ests:
                y -= 1.0
                rows.append((ei, qi, y))
    bottom = y
    created = ax is None
    if created:
        fig = Figure(figsize=(7.0, 0.24 * -bottom + 1.0), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    for ei, qi, y in rows:
        style = styles[estimators[ei]]
        prior = table.loc[(estimators[ei], quantities[qi])]
        ax.plot(np.exp([prior["prior_q05"], prior["prior_q95"]]), [y, y], color=PRIOR_COLOUR,
                alpha=0.3, lw=8, solid_capstyle="butt", zorder=1)

        ax.plot([q["q05"][ei, qi], q["q95"][ei, qi]], [y, y], color=style["color"], lw=1.0,
                zorder=2)
        ax.plot([q["q25"][ei, qi], q["q75"][ei, qi]], [y, y], color=style["color"], lw=3.2,
                solid_capstyle="butt", zorder=2)
        ax.plot([q["median"][ei, qi]], [y], ls="", marker=style["marker"], color=style["color"],
                mec="white", mew=0.6, ms=5.5, zorder=3)
    for quantity, y in headings:
        ax.text(0.005, y, QUANTITY_LABELS[quantity], transform=ax.get_yaxis_transform(),
                ha="left", va="center", fontweight="bold")
    _right_labels(ax, [r[2] for r in rows],
                  [f"{table.loc[(estimators[ei], quantities[qi]), 'sd_ratio']:.2f}"
                   for ei, qi, _ in rows], title="posterior sd \u00f7 prior sd")
    ax.set_yticks([r[2] for r in rows], [estimators[r[0]] for r in rows])
    _finish_forest(ax, xlabel="multiplicative bias (reported \u00f7 true)",
                   title="Estimator biases", bottom=bottom)
    handles = [
        Patch(color=PRIOR_COLOUR, alpha=0.35, lw=0, label="prior 90% interval"),
        Line2D([], [], color="0.2", lw=3.0, label="posterior 50%"),
        Line2D([], [], color="0.2", lw=1.0, label="posterior 90%"),
        Line2D([], [], color="0.3", lw=0.8, ls="--", label="unbiased (1\u00d7)"),
    ]
    _figure_legend(fig, [ax], handles, created=created, ncol=4)
    return fig


@_styled
def plot_host_split(fit: Fit, *, axes: Any = None) -> Figure:
    """Workers abroad in each host over the years, and each host's share, prior against posterior.

    Top: one small panel per host (shared y axis) with the median and 50%/90% bands of its
    workers. Bottom: each host's share of the world's workers by year, the prior's 90% band (grey)
    behind the posterior's (host colour) and its median, from
    ``tables.host_share_by_year_table``; years where the share did not move from its prior are
    hatched ("prior only": with no claim below world level there, the split is the prior's, not
    the claims'). A host whose share moved in no year is titled "(prior only)".

    Parameters
    ----------
    fit : Fit
    axes : sequence of matplotlib Axes, optional
        One per host for the workers, then one per host for the shares (``2 * len(fit.hosts)``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from remitest.tables import host_share_by_year_table

    hosts = list(fit.hosts)
    created = axes is None
    if created:
        fig = Figure(figsize=(7.0, 4.6), layout="constrained")
        mosaic = [hosts, [f"share:{h}" for h in hosts]]
        panels = fig.subplot_mosaic(mosaic, height_ratios=[2.3, 1.8], sharey=False)
        axes = [panels[h] for h in hosts] + [panels[f"share:{h}"] for h in hosts]
        for ax in axes[1:len(hosts)]:
            ax.sharey(axes[0])
        for ax in axes[len(hosts) + 1:]:
            ax.sharey(axes[len(hosts)])
    axes = _given_axes(axes, 2 * len(hosts))
    fig = axes[0].figure
    summary = fit.summary()
    by_year = host_share_by_year_table(fit)
    colours = {h: HOST_COLOURS[i % len(HOST_COLOURS)] for i, h in enumerate(hosts)}
    years = np.asarray(fit.years)
    top = 0.0
    for ax, host in zip(axes, hosts, strict=False):
        rows = summary[(summary["scope"] == host) & (summary["quantity"] == "workers")]
        rows = rows.sort_values("year")
        colour = colours[host]
        ax.fill_between(rows["year"], rows["q05"], rows["q95"], color=colour, alpha=0.18, lw=0)
        ax.fill_between(rows["year"], rows["q25"], rows["q75"], color=colour, alpha=0.35, lw=0)
        ax.plot(rows["year"], rows["median"], color=colour, lw=1.4)
        _series_axes(ax, "workers", years)
        ax.set_xticks([y for y in years if (y - years[0]) % 4 == 0])
        moved = bool(by_year.loc[by_year["host"] == host, "moved_from_prior"].any())
        ax.set_title(_host_label(host) + ("" if moved else " (prior only)"), loc="left",
                     color="0.1" if moved else "0.4")
        top = max(top, float(rows["q95"].max()))
    for ax in axes[1:len(hosts)]:
        ax.set_ylabel("")
        ax.tick_params(labelleft=False)
    axes[0].set_ylim(0, 1.05 * top)
    for i, (ax, host) in enumerate(zip(axes[len(hosts):], hosts, strict=True)):
        _draw_share_by_year(ax, by_year[by_year["host"] == host].sort_values("year"),
                            colours[host], first=i == 0)
    return fig


def _draw_share_by_year(ax: Axes, rows: pd.DataFrame, colour: str, *, first: bool) -> None:
    """One host's share by year: prior 90% band (grey), posterior 90% band and median."""
    years = rows["year"].to_numpy()
    ax.fill_between(years, rows["prior_q05"], rows["prior_q95"], color=PRIOR_COLOUR, alpha=0.3,
                    lw=0, label="prior 90%")
    ax.fill_between(years, rows["post_q05"], rows["post_q95"], color=colour, alpha=0.35, lw=0,
                    label="posterior 90%")
    ax.plot(years, rows["post_mean"], color=colour, lw=1.2)
    still = ~rows["moved_from_prior"].to_numpy(bool)
    start = None
    for k, flag in enumerate([*still, False]):  # hatch runs of years that did not move
        if flag and start is None:
            start = k
        elif not flag and start is not None:
            ax.axvspan(years[start] - 0.5, years[k - 1] + 0.5, facecolor="none", hatch="///",
                       edgecolor="0.75", lw=0)
            start = None
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    ax.set_xticks([y for y in years if (y - years[0]) % 4 == 0])
    ax.tick_params(labelsize=7)
    if first:
        ax.set_ylabel("share of world")
        ax.set_title("share by year (hatched: prior only)", loc="left", fontsize=7.5)
    else:
        ax.tick_params(labelleft=False)


