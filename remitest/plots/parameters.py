"""Figures of the model's parameters: estimator biases and the split of workers across hosts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from remitest import posterior
from remitest.fitrecord import Fit
from remitest.plots._claims import legend_below
from remitest.plots._style import (
    MAX_HEIGHT,
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
    host_colours,
    marker_size,
    tag_estimator,
    value_limits,
    value_scale,
)
from remitest.tables import estimators_table, host_share_by_year_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes


#: Most rows of the bias figure; a larger fit shows its largest biases and a strip of all.
BIAS_ROWS = 36


def bias_rows(fit: Fit) -> tuple[int, int]:
    """(rows shown, rows in all) of the bias figure.

    One row per estimator and quantity with original claims.
    """
    originals = fit.ledger.originals().to_frame()
    total = len(originals[["estimator", "quantity"]].drop_duplicates())
    return min(total, BIAS_ROWS), total


@_styled
def plot_biases(fit: Fit, *, ax: Axes | None = None, rows: int = BIAS_ROWS) -> Figure:
    """Forest plot of each estimator's multiplicative bias per quantity.

    Rows are grouped by quantity; each shows ``exp(estimator_bias)``: the posterior median (dot),
    50% (thick) and 90% (thin) intervals, with the prior 90% interval as a grey bar behind. Only
    the quantities an estimator made (original) claims about are shown; the others stay at their
    prior. The dashed line is 1x, an unbiased estimator. With more than ``rows`` such rows, the
    figure keeps its height: it shows the ``rows`` largest biases (posterior median furthest
    from 1x) and, below, a strip of every row's median (all of them are in ``estimators.csv``).

    Parameters
    ----------
    fit : Fit
    ax : matplotlib Axes, optional
        Draw the rows only (no strip) into this axes.
    rows : int
        Most rows drawn in full.

    Returns
    -------
    matplotlib.figure.Figure
    """
    bias = fit.idata.posterior["estimator_bias"]
    estimators = [str(e) for e in bias["estimator"].values]
    quantities = [str(q) for q in bias["quantity"].values]
    q = _quantiles(np.exp(bias.transpose("chain", "draw", "estimator", "quantity").values))
    table = estimators_table(fit)
    table = table[table["parameter"] == "estimator_bias"].set_index(["estimator", "quantity"])
    styles = estimator_styles(fit.ledger)

    every = [(ei, qi) for qi, quantity in enumerate(quantities)
             for ei, e in enumerate(estimators) if table.loc[(e, quantity), "n_claims"] > 0]
    chosen = set(every)
    if len(every) > rows:
        size = {pair: abs(np.log(q["median"][pair])) for pair in every}
        chosen = set(sorted(every, key=lambda p: -size[p])[:rows])
    placed: list[tuple[int, int, float]] = []  # (estimator, quantity, y), top to bottom
    headings: list[tuple[str, float]] = []
    y = 0.0
    for qi, quantity in enumerate(quantities):
        ests = [ei for ei, qj in every if qj == qi and (ei, qi) in chosen]
        if ests:
            y -= 1.0  # a line for the group's heading
            headings.append((quantity, y))
            for ei in ests:
                y -= 1.0
                placed.append((ei, qi, y))
    bottom = y
    created = ax is None
    strip = None
    if created:
        cut = len(every) > len(chosen)
        height = min(MAX_HEIGHT, 0.2 * -bottom + (2.3 if cut else 1.1))
        fig = Figure(figsize=(7.0, height), layout="constrained")
        if cut:
            ax, strip = fig.subplots(2, 1, height_ratios=[-bottom * 0.2, 1.0])
        else:
            ax = fig.add_subplot()
    fig = ax.figure
    for ei, qi, y in placed:
        style = styles.get(estimators[ei], {"color": "0.3", "marker": "o"})
        prior = table.loc[(estimators[ei], quantities[qi])]
        ax.plot(np.exp([prior["prior_q05"], prior["prior_q95"]]), [y, y], color=PRIOR_COLOUR,
                alpha=0.3, lw=8, solid_capstyle="butt", zorder=1)

        ax.plot([q["q05"][ei, qi], q["q95"][ei, qi]], [y, y], color=style["color"], lw=1.0,
                zorder=2)
        ax.plot([q["q25"][ei, qi], q["q75"][ei, qi]], [y, y], color=style["color"], lw=3.2,
                solid_capstyle="butt", zorder=2)
        (marker,) = ax.plot([q["median"][ei, qi]], [y], ls="", marker=style["marker"],
                            color=style["color"], mec="white", mew=0.6,
                            ms=marker_size(style["marker"], 5.5), zorder=3)
        tag_estimator([marker], estimators[ei])
    for quantity, y in headings:
        ax.text(0.005, y, QUANTITY_LABELS[quantity], transform=ax.get_yaxis_transform(),
                ha="left", va="center", fontweight="bold")
    _right_labels(ax, [r[2] for r in placed],
                  [f"{table.loc[(estimators[ei], quantities[qi]), 'sd_ratio']:.2f}"
                   for ei, qi, _ in placed], title="posterior sd \u00f7 prior sd")
    ax.set_yticks([r[2] for r in placed], [estimators[r[0]] for r in placed])
    title = ("Estimator biases" if len(chosen) == len(every) else
             f"Estimator biases: the {len(chosen)} furthest from 1\u00d7, of {len(every)}")
    _finish_forest(ax, xlabel="multiplicative bias (reported \u00f7 true)", title=title,
                   bottom=bottom)
    if strip is not None:
        _bias_strip(strip, every, q["median"], estimators, quantities, styles)
    handles = [
        Patch(color=PRIOR_COLOUR, alpha=0.35, lw=0, label="prior 90% interval"),
        Line2D([], [], color="0.2", lw=3.0, label="posterior 50%"),
        Line2D([], [], color="0.2", lw=1.0, label="posterior 90%"),
        Line2D([], [], color="0.3", lw=0.8, ls="--", label="unbiased (1\u00d7)"),
    ]
    _figure_legend(fig, [ax], handles, created=created, ncol=4)
    return fig


def _bias_strip(ax: Axes, every: list[tuple[int, int]], median: np.ndarray,
                estimators: list[str], quantities: list[str],
                styles: dict[str, dict[str, str]]) -> None:
    """Every row's posterior median bias, one line per quantity."""
    rng = np.random.default_rng(0)
    order = [qi for qi in range(len(quantities)) if any(qj == qi for _, qj in every)]
    for line, qi in enumerate(order):
        for ei, qj in every:
            if qj != qi:
                continue
            style = styles.get(estimators[ei], {"color": "0.3", "marker": "o"})
            (dot,) = ax.plot([median[ei, qi]], [-line + rng.uniform(-0.25, 0.25)], ls="",
                             marker=style["marker"], color=style["color"],
                             ms=marker_size(style["marker"], 3.8), mew=0.5,
                             mec="white", alpha=0.9)
            tag_estimator([dot], estimators[ei])
    ax.set_yticks([-i for i in range(len(order))],
                  [QUANTITY_LABELS[quantities[qi]] for qi in order])
    _finish_forest(ax, xlabel="posterior median bias of every estimator",
                   title="All estimators", bottom=-len(order) + 0.3)
    ax.set_ylim(-len(order) + 0.5, 0.5)


@_styled
def plot_host_split(fit: Fit, *, axes: Any = None, log: bool | None = None,
                    yscale: str | None = None) -> Figure:
    """Workers abroad in each host over the years, and each host's share, prior against posterior.

    Top: one small panel per host (shared y axis, log by default) with the median and 50%/90%
    bands of its workers, in the host's colour (hosts have a palette of their own). Bottom: each
    host's share of the world's workers by year, the prior's 90% band (grey) behind the
    posterior's (host colour) and its mean, from ``tables.host_share_by_year_table``. Years where
    the share did not move from its prior are marked by a hatched bar under the 0% line ("prior
    only": with no claim below world level there, the split is the prior's, not the claims'),
    which never covers a band. A host whose share moved in no year is titled "(prior only)". A
    legend names the bands, prior against posterior, and the hatching.

    Parameters
    ----------
    fit : Fit
    axes : sequence of matplotlib Axes, optional
        One per host for the workers, then one per host for the shares (``2 * len(fit.hosts)``).
    log : bool, optional
        Log axis for the workers (the default); ``log=False`` for a linear one.
    yscale : {"log", "linear"}, optional
        The same choice, in matplotlib's words.

    Returns
    -------
    matplotlib.figure.Figure
    """
    use_log = value_scale(log, yscale)
    hosts = list(fit.hosts)
    created = axes is None
    if created:
        fig = Figure(figsize=(7.0 if len(hosts) <= 4 else 1.75 * len(hosts), 5.0),
                     layout="constrained")
        mosaic = [hosts, [f"share:{h}" for h in hosts]]
        panels = fig.subplot_mosaic(mosaic, height_ratios=[2.3, 1.8], sharey=False)
        axes = [panels[h] for h in hosts] + [panels[f"share:{h}"] for h in hosts]
        for ax in axes[1:len(hosts)]:
            ax.sharey(axes[0])
        for ax in axes[len(hosts) + 1:]:
            ax.sharey(axes[len(hosts)])
    axes = _given_axes(axes, 2 * len(hosts))
    fig = axes[0].figure
    summary = posterior.summary(fit)
    by_year = host_share_by_year_table(fit)
    colours = host_colours(hosts)
    years = np.asarray(fit.years)
    low, high = np.inf, 0.0
    for ax, host in zip(axes, hosts, strict=False):
        rows = summary[(summary["scope"] == host) & (summary["quantity"] == "workers")]
        rows = rows.sort_values("year")
        colour = colours[host]
        ax.fill_between(rows["year"], rows["q05"], rows["q95"], color=colour, alpha=0.18, lw=0)
        ax.fill_between(rows["year"], rows["q25"], rows["q75"], color=colour, alpha=0.35, lw=0)
        ax.plot(rows["year"], rows["median"], color=colour, lw=1.4)
        _series_axes(ax, "workers", years)
        _host_year_ticks(ax, years, len(hosts))
        moved = bool(by_year.loc[by_year["host"] == host, "moved_from_prior"].any())
        ax.set_title(_host_label(host) + ("" if moved else " (prior only)"), loc="left",
                     color="0.1" if moved else "0.4")
        low, high = min(low, float(rows["q05"].min())), max(high, float(rows["q95"].max()))
    for ax in axes[1:len(hosts)]:
        ax.set_ylabel("")
        ax.tick_params(labelleft=False)
    value_limits(axes[0], low, high, log=use_log)
    for i, (ax, host) in enumerate(zip(axes[len(hosts):], hosts, strict=True)):
        _draw_share_by_year(ax, by_year[by_year["host"] == host].sort_values("year"),
                            colours[host], first=i == 0, n_hosts=len(hosts))
    handles = [
        ((Patch(color="0.45", alpha=0.18, lw=0), Patch(color="0.45", alpha=0.45, lw=0),
          Line2D([], [], color="0.3", lw=1.4)), "workers: median, 50% and 90% intervals"),
        ((Patch(color="0.45", alpha=0.35, lw=0), Line2D([], [], color="0.3", lw=1.2)),
         "share: posterior 90% interval, mean"),
        (Patch(color=PRIOR_COLOUR, alpha=0.3, lw=0), "share: prior 90% interval"),
        (Patch(facecolor="white", edgecolor="0.45", hatch="////", lw=0),
         "share did not move from its prior"),
    ]
    legend_below(fig, handles, axes=None if created else axes)
    return fig


def _host_year_ticks(ax: Axes, years: np.ndarray, n_hosts: int) -> None:
    step = 4 if n_hosts <= 3 else 6 if n_hosts <= 4 else 8
    ax.set_xticks([y for y in years if (y - years[0]) % step == 0])


_HATCH_BAR = (-0.09, -0.02)  # share units: under the 0% line, below every band


def _draw_share_by_year(ax: Axes, rows: pd.DataFrame, colour: str, *, first: bool,
                        n_hosts: int = 3) -> None:
    """One host's share by year: prior 90% band (grey), posterior 90% band and mean.

    A hatched bar under the 0% line marks the years whose share did not move from its prior.
    """
    years = rows["year"].to_numpy()
    ax.fill_between(years, rows["prior_q05"], rows["prior_q95"], color=PRIOR_COLOUR, alpha=0.3,
                    lw=0, label="prior 90%")
    ax.fill_between(years, rows["post_q05"], rows["post_q95"], color=colour, alpha=0.35, lw=0,
                    label="posterior 90%")
    ax.plot(years, rows["post_mean"], color=colour, lw=1.2)
    still = ~rows["moved_from_prior"].to_numpy(bool)
    start = None
    for k, flag in enumerate([*still, False]):  # mark runs of years that did not move
        if flag and start is None:
            start = k
        elif not flag and start is not None:
            ax.fill_between([years[start] - 0.5, years[k - 1] + 0.5], *_HATCH_BAR,
                            facecolor="white", hatch="////", edgecolor="0.45", lw=0, zorder=1)
            start = None
    ax.axhline(0, color="0.6", lw=0.5, zorder=1)
    ax.set_ylim(_HATCH_BAR[0] - 0.01, 1)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    _host_year_ticks(ax, years, n_hosts)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f}"))
    ax.tick_params(labelsize=7)
    if first:
        ax.set_ylabel("share of world")
        ax.set_title("share of world workers by year", loc="left", fontsize=7.5)
    else:
        ax.tick_params(labelleft=False)
