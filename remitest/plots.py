"""Figures of a fit: yearly series, estimator biases, host split, posterior predictive check.

Each function draws with matplotlib only, returns the ``Figure``, draws into ``ax``/``axes``
when given (a new figure otherwise) and leaves saving to the export step. Data stay in base
units (persons, US$); only the tick labels are scaled (thousands, millions). Colours come from
the Okabe-Ito palette, which stays distinct under the common colour-vision deficiencies, and each
estimator keeps one colour and one marker across every figure of a fit.

``FIGURES`` maps the figure names used by the export step and the captions to their functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects, transforms
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from remitest.config import ModelConfig
    from remitest.fit_result import Fit
    from remitest.ledger import Ledger

__all__ = [
    "FIGURES",
    "QUANTITY_LABELS",
    "plot_biases",
    "plot_host_split",
    "plot_ppc",
    "plot_prior_predictive",
    "plot_series",
]

# Okabe & Ito (2008). Blue is kept for the posterior; estimators take the others.
BAND_COLOUR = "#0072B2"
ESTIMATOR_COLOURS = ("#E69F00", "#D55E00", "#009E73", "#CC79A7", "#000000", "#56B4E9",
                     "#999933", "#882255")
# No triangles: arrows mark bounds, so a triangle would read as a direction.
ESTIMATOR_MARKERS = ("o", "s", "D", "P", "X", "h", "p", "*")
HOST_COLOURS = ("#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
PRIOR_COLOUR = "0.55"
EXTRAPOLATION_COLOUR = "0.92"
FADED_ALPHA = 0.35

QUANTITY_LABELS = {
    "workers": "Workers abroad",
    "remittances_usd": "Remittances reaching the state",
    "per_worker_usd": "Remittance per worker",
}
_UNIT_LABELS = {
    "workers": "thousand persons",
    "remittances_usd": "US$ million per year",
    "per_worker_usd": "US$ per worker-year",
}
_UNIT_SCALE = {"workers": 1e3, "remittances_usd": 1e6, "per_worker_usd": 1.0}

_STYLE = {
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "lines.linewidth": 1.2,
}


def _styled(plot: Callable[..., Figure]) -> Callable[..., Figure]:
    """Draw under the package style, without touching the caller's global rcParams."""

    @functools.wraps(plot)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with mpl.rc_context(_STYLE):
            fig = plot(*args, **kwargs)
        for ax in fig.axes:  # ticks are created at draw time, outside the context
            ax.tick_params(labelsize=_STYLE["xtick.labelsize"], width=0.6)
        return fig

    return wrapper


# -- shared pieces -----------------------------------------------------------------------------
def _new_axes(n: int, *, ncols: int | None = None, width: float = 7.0, height: float = 2.4
              ) -> tuple[Figure, list[Axes]]:
    ncols = ncols or n
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(width, height * nrows), layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False)
    axes = list(grid.ravel())
    for extra in axes[n:]:
        extra.remove()
    return fig, axes[:n]


def _given_axes(axes: Any, n: int) -> list[Axes]:
    axes = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(axes) != n:
        raise ValueError(f"axes: expected {n} axes, got {len(axes)}")
    return axes


def _unit_formatter(quantity: str) -> FuncFormatter:
    scale = _UNIT_SCALE[quantity]

    def fmt(value: float, _pos: int | None = None) -> str:
        scaled = value / scale
        return f"{scaled:,.0f}" if abs(scaled) >= 10 or scaled == 0 else f"{scaled:,.3g}"

    return FuncFormatter(fmt)


def _factor_formatter(value: float, _pos: int | None = None) -> str:
    return f"{value:.3g}\u00d7"


def _factor_axis(ax: Axes) -> None:
    """Log x axis of multiplicative factors, ticked at round factors (0.5x, 1x, 2x ...)."""
    ax.set_xscale("log")
    ax.autoscale_view()
    low, high = ax.get_xlim()
    span = high / low
    if span > 30:
        candidates = (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100)
    elif span > 5:
        candidates = (0.125, 0.25, 0.5, 1, 2, 4, 8)
    else:
        candidates = (0.5, 0.67, 0.8, 1, 1.25, 1.5, 2)
    ticks = [t for t in candidates if low <= t <= high]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(_factor_formatter))
    ax.xaxis.set_minor_locator(NullLocator())


def _right_labels(ax: Axes, ypos: Sequence[float], labels: Sequence[str], *, title: str) -> None:
    """Write per-row values at the right as tick labels, which the layout makes room for."""
    right = ax.secondary_yaxis("right")
    right.set_yticks(list(ypos), list(labels))
    right.tick_params(length=0, labelsize=6.5, labelcolor="0.25")
    right.set_ylabel(title, color="0.25", fontsize=7)
    right.spines["right"].set_visible(False)


def scope_label(scope: str, config: ModelConfig | None = None) -> str:
    """Readable name of a scope: ``china_russia`` -> "China + Russia"."""
    groups = dict(config.scope_groups) if config is not None else {}
    if scope in groups:
        return " + ".join(_host_label(h) for h in groups[scope])
    if scope == "china_russia":  # the default group when no configuration is at hand
        return "China + Russia"
    return _host_label(scope)


def _host_label(host: str) -> str:
    return host.replace("_", " ").capitalize()


def estimator_styles(estimators: Sequence[str]) -> dict[str, dict[str, str]]:
    """Colour and marker of each estimator, in the fit's estimator order (stable across figures)."""
    return {
        name: {"color": ESTIMATOR_COLOURS[i % len(ESTIMATOR_COLOURS)],
               "marker": ESTIMATOR_MARKERS[i % len(ESTIMATOR_MARKERS)]}
        for i, name in enumerate(estimators)
    }


def _draw_bands(ax: Axes, years: np.ndarray, q: dict[str, np.ndarray]) -> None:
    """Median line and 50%/90% bands; ``q`` maps q05, q25, median, q75, q95 to arrays."""
    ax.fill_between(years, q["q05"], q["q95"], color=BAND_COLOUR, alpha=0.18, lw=0,
                    label="90% interval")
    ax.fill_between(years, q["q25"], q["q75"], color=BAND_COLOUR, alpha=0.35, lw=0,
                    label="50% interval")
    ax.plot(years, q["median"], color=BAND_COLOUR, lw=1.4, label="median")


def _shade_extrapolation(ax: Axes, years: np.ndarray, n_claims: np.ndarray) -> bool:
    """Shade runs of years that no claim covers; True when anything was shaded."""
    empty = np.asarray(n_claims) == 0
    starts = np.flatnonzero(empty & ~np.r_[False, empty[:-1]])
    ends = np.flatnonzero(empty & ~np.r_[empty[1:], False])
    for first, last in zip(starts, ends, strict=True):
        ax.axvspan(years[first] - 0.5, years[last] + 0.5, color=EXTRAPOLATION_COLOUR, lw=0,
                   zorder=0)
    return bool(empty.any())


def _claim_dodge(claims: pd.DataFrame, *, step: float = 6.5) -> np.ndarray:
    """Horizontal dodge (points) so claims about the same period do not hide each other."""
    centre = (claims["ref_start"] + claims["ref_end"]).to_numpy(float) / 2
    dodge = np.zeros(len(claims))
    for value in np.unique(centre):
        same = np.flatnonzero(centre == value)
        dodge[same] = (np.arange(len(same)) - (len(same) - 1) / 2) * step
    return dodge


def _claim_value(claim: Any) -> tuple[float, Any]:
    """Where a claim's marker sits (a range at its geometric midpoint) and its vertical whisker."""
    if claim.kind == "range":
        y = float(np.sqrt(claim.low * claim.high))
        return y, [[y - claim.low], [claim.high - y]]
    return (claim.high if claim.kind == "upper_bound" else claim.low), None


def _draw_claims(ax: Axes, claims: pd.DataFrame, *, scope: str, styles: dict[str, dict[str, str]],
                 config: ModelConfig | None) -> None:
    """Claims of one quantity at their reference periods (see ``plot_series``)."""
    fig = ax.figure
    for dodge, claim in zip(_claim_dodge(claims), claims.itertuples(index=False), strict=True):
        style = styles[claim.estimator]
        alpha = 1.0 if claim.scope == scope else FADED_ALPHA
        hollow = claim.derived_from != ""
        x = (claim.ref_start + claim.ref_end) / 2
        y, yerr = _claim_value(claim)
        half_period = (claim.ref_end - claim.ref_start) / 2
        shifted = transforms.offset_copy(ax.transData, fig=fig, x=dodge, units="points")
        ax.errorbar(
            [x], [y], yerr=yerr, xerr=[[half_period]] if half_period else None,
            fmt=style["marker"], color=style["color"], ms=5, mew=1.0, elinewidth=1.0, capsize=2,
            mfc="white" if hollow else style["color"], alpha=alpha, zorder=4, transform=shifted,
        )
        if claim.kind in ("lower_bound", "upper_bound"):
            head = transforms.offset_copy(ax.transData, fig=fig, x=dodge,
                                          y=16 if claim.kind == "lower_bound" else -16,
                                          units="points")
            ax.annotate("", xy=(x, y), xycoords=head, xytext=(x, y), textcoords=shifted,
                        arrowprops={"arrowstyle": "-|>", "color": style["color"], "lw": 1.0,
                                    "mutation_scale": 7, "shrinkA": 3, "shrinkB": 0,
                                    "alpha": alpha}, zorder=4)
        if claim.scope != scope:
            ax.annotate(f"{scope_label(claim.scope, config)}\nonly", (x, y), xycoords=shifted,
                        xytext=(-5, 0), textcoords="offset points", ha="right", va="center",
                        fontsize=6.5, color="0.25", linespacing=1.0, zorder=5,
                        path_effects=[patheffects.withStroke(linewidth=2.0, foreground="white")])


def _estimator_handles(claims: pd.DataFrame, styles: dict[str, dict[str, str]]) -> list[Any]:
    present = set(claims["estimator"])
    return [Line2D([], [], ls="", marker=style["marker"], color=style["color"], ms=5, label=name)
            for name, style in styles.items() if name in present]


def _kind_handles(claims: pd.DataFrame, *, faded: bool = False, horizontal: bool = False
                  ) -> list[Any]:
    """Legend keys for how claims are drawn: ranges, bounds, repeats, other scopes."""
    kinds, handles = set(claims["kind"]), []
    more, less = (r"$\rightarrow$", r"$\leftarrow$") if horizontal else (r"$\uparrow$",
                                                                         r"$\downarrow$")
    if "range" in kinds:
        handles.append(Line2D([], [], ls="", marker="_" if horizontal else "|", color="0.2",
                              ms=9, mew=1.0, label="range (whisker)"))
    if "lower_bound" in kinds:
        handles.append(Line2D([], [], ls="", marker=more, color="0.2", ms=8,
                              label='"more than" (lower bound)'))
    if "upper_bound" in kinds:
        handles.append(Line2D([], [], ls="", marker=less, color="0.2", ms=8,
                              label='"as high as" (upper bound)'))
    if (claims["derived_from"] != "").any():
        handles.append(Line2D([], [], ls="", marker="o", mfc="white", color="0.2", ms=5,
                              label="repeat (adds no evidence)"))
    if faded:
        handles.append(Line2D([], [], ls="", marker="o", color="0.2", alpha=FADED_ALPHA, ms=5,
                              label="claim about another scope"))
    return handles


def _band_legend_handles(*, extrapolation: bool, what: str = "posterior") -> list[Any]:
    handles = [
        Line2D([], [], color=BAND_COLOUR, lw=1.4, label=f"{what} median"),
        # the 50% band lies over the 90% one: show the colour the two make together
        Patch(color=BAND_COLOUR, alpha=0.47, lw=0, label="50% interval"),
        Patch(color=BAND_COLOUR, alpha=0.18, lw=0, label="90% interval"),
    ]
    if extrapolation:
        handles.append(Patch(color=EXTRAPOLATION_COLOUR, lw=0,
                             label="extrapolation (no claim)"))
    return handles


def _columns(*columns: list[Any]) -> tuple[list[Any], int]:
    """Lay out handles so that each list fills one legend column (legends fill column-major)."""
    rows = max(len(c) for c in columns)
    blank = Line2D([], [], ls="", label=" ")
    return [h for c in columns for h in [*c, *[blank] * (rows - len(c))]], len(columns)


def _figure_legend(fig: Figure, axes: list[Axes], handles: list[Any], *, created: bool,
                   ncol: int = 3) -> None:
    """Below the panels on a figure of our own; right of the last axes on the caller's."""
    if created:
        fig.legend(handles=handles, loc="outside lower center", ncol=ncol, frameon=False,
                   columnspacing=1.5, handlelength=1.6)
    else:
        axes[-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                        frameon=False)


def _series_axes(ax: Axes, quantity: str, years: np.ndarray, *, log: bool = False) -> None:
    ax.set_title(QUANTITY_LABELS[quantity], loc="left")
    ax.set_ylabel(_UNIT_LABELS[quantity])
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 3.0)))
    else:
        ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(_unit_formatter(quantity))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    step = 1 if len(years) <= 8 else 2 if len(years) <= 16 else 5
    ax.set_xticks([y for y in years if (y - years[0]) % step == 0])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f}"))
    ax.grid(axis="y", color="0.9", lw=0.5)
    ax.set_axisbelow(True)


# -- figures -----------------------------------------------------------------------------------
@_styled
def plot_series(fit: Fit, *, quantities: Sequence[str] = ("workers", "remittances_usd",
                                                          "per_worker_usd"),
                scope: str = "world", axes: Any = None) -> Figure:
    """Yearly posterior series with 50%/90% bands and the published claims.

    Parameters
    ----------
    fit : Fit
    quantities : sequence of str
        One panel each, in order.
    scope : str
        ``"world"`` or a host. Claims about another scope are drawn faded and labelled.
    axes : sequence of matplotlib Axes, optional
        One per quantity; a new figure (7 in wide) when None.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Lines are posterior medians, bands the central 50% and 90% intervals. Claims sit at their
    reference years: markers for points, vertical whiskers for ranges (marker at the geometric
    midpoint), arrows for bounds (up: "more than", down: "as high as"), horizontal bars across
    multi-year periods; one colour and marker per estimator, hollow for repeats. Years that no
    claim covers are shaded as extrapolation.
    """
    summary = fit.summary()
    known = sorted(set(summary["scope"]))
    if scope not in known:
        raise ValueError(f"scope = {scope!r}: the summary has scopes {known}")
    created = axes is None
    fig, axes = _new_axes(len(quantities), width=7.0, height=3.3) if created else (
        None, _given_axes(axes, len(quantities)))
    fig = fig or axes[0].figure
    claims = fit.ledger.to_frame()
    styles = estimator_styles(fit.structure.estimators)
    extrapolated = faded = False
    for ax, quantity in zip(axes, quantities, strict=True):
        rows = summary[(summary["scope"] == scope) & (summary["quantity"] == quantity)]
        rows = rows.sort_values("year")
        years = rows["year"].to_numpy(int)
        extrapolated |= _shade_extrapolation(ax, years, rows["n_claims"].to_numpy())
        _draw_bands(ax, years, {c: rows[c].to_numpy(float)
                                for c in ("q05", "q25", "median", "q75", "q95")})
        mine = claims[claims["quantity"] == quantity]
        _draw_claims(ax, mine, scope=scope, styles=styles, config=fit.config)
        faded |= bool((mine["scope"] != scope).any())
        _series_axes(ax, quantity, years)
        top = max(rows["q95"].max(), mine[["low", "high"]].max().max() if len(mine) else 0)
        ax.set_ylim(0, 1.12 * top)
    if scope != "world":
        fig.suptitle(scope_label(scope, fit.config), fontsize=9)
    shown = claims[claims["quantity"].isin(quantities)]
    handles, ncol = _columns(_band_legend_handles(extrapolation=extrapolated),
                             _estimator_handles(shown, styles), _kind_handles(shown, faded=faded))
    _figure_legend(fig, axes, handles, created=created, ncol=ncol)
    return fig


def _quantiles(values: np.ndarray, axis: tuple[int, ...] = (0, 1)) -> dict[str, np.ndarray]:
    q = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=axis)
    return dict(zip(("q05", "q25", "median", "q75", "q95"), q, strict=True))


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
    ax.tick_params(axis="y", length=0)
    ax.axvline(1.0, color="0.3", lw=0.8, ls="--", zorder=0)
    _factor_axis(ax)
    ax.set_xlabel("multiplicative bias (reported \u00f7 true)")
    ax.set_title("Estimator biases", loc="left")
    ax.set_ylim(bottom - 0.7, -0.4)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color="0.92", lw=0.5)
    ax.set_axisbelow(True)
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
    workers. Bottom: each host's share of the world total, prior 90% interval and mean (grey)
    above the posterior's (host colour), from ``tables.host_share_table``. Hosts whose share
    did not move from its prior are labelled "prior only": with few claims below world level,
    their split is the prior's, not the claims'.

    Parameters
    ----------
    fit : Fit
    axes : sequence of matplotlib Axes, optional
        One per host, then one for the shares (``len(fit.hosts) + 1``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from remitest.tables import host_share_table

    hosts = list(fit.hosts)
    created = axes is None
    if created:
        fig = Figure(figsize=(7.0, 2.3 + 0.3 * len(hosts) + 0.6), layout="constrained")
        mosaic = [hosts, ["share"] * len(hosts)]
        panels = fig.subplot_mosaic(mosaic, height_ratios=[2.3, 0.3 * len(hosts) + 0.6],
                                    sharey=False)
        axes = [panels[h] for h in hosts] + [panels["share"]]
        for ax in axes[1:len(hosts)]:
            ax.sharey(axes[0])
    axes = _given_axes(axes, len(hosts) + 1)
    fig = axes[0].figure
    summary = fit.summary()
    shares = host_share_table(fit).set_index("host")
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
        moved = bool(shares.loc[host, "moved_from_prior"])
        ax.set_title(_host_label(host) + ("" if moved else " (prior only)"), loc="left",
                     color="0.1" if moved else "0.4")
        top = max(top, float(rows["q95"].max()))
    for ax in axes[1:len(hosts)]:
        ax.set_ylabel("")
        ax.tick_params(labelleft=False)
    axes[0].set_ylim(0, 1.05 * top)
    _draw_shares(axes[-1], shares, hosts, colours)
    return fig


def _draw_shares(ax: Axes, shares: pd.DataFrame, hosts: list[str], colours: dict[str, str]
                 ) -> None:
    """Prior (grey, above) and posterior (host colour, below) 90% intervals of each share."""
    for i, host in enumerate(hosts):
        row = shares.loc[host]
        for kind, offset, colour in (("prior", 0.17, PRIOR_COLOUR), ("post", -0.17, colours[host])):
            y = -i + offset
            ax.plot([row[f"{kind}_q05"], row[f"{kind}_q95"]], [y, y], color=colour, lw=2.0,
                    solid_capstyle="butt")
            ax.plot([row[f"{kind}_mean"]], [y], ls="", marker="o", color=colour, mec="white",
                    mew=0.6, ms=5)
        if not row["moved_from_prior"]:
            ax.annotate("prior only", (row["post_q95"], -i - 0.17), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize=6.5, color="0.3",
                        style="italic")
    ax.set_yticks(-np.arange(len(hosts)), [_host_label(h) for h in hosts])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-len(hosts) + 0.5, 0.5)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    ax.set_xlabel("share of world workers abroad")
    ax.set_title("Host shares: prior (grey, above) and posterior (below), mean and 90% interval",
                 loc="left")
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color="0.92", lw=0.5)
    ax.set_axisbelow(True)


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
    ax.tick_params(axis="y", length=0)
    ax.axvline(1.0, color="0.3", lw=0.8, ls="--", zorder=0)
    _factor_axis(ax)
    ax.set_xlabel("reported value \u00f7 posterior predictive median")
    ax.set_title("Posterior predictive check of each claim", loc="left")
    ax.set_ylim(y - 0.7, -0.4)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color="0.92", lw=0.5)
    ax.set_axisbelow(True)
    handles = [
        Line2D([], [], color="0.6", lw=4.0, label="predictive 50%"),
        Line2D([], [], color="0.6", lw=1.0, label="predictive 90%"),
        Line2D([], [], ls="", marker="o", color="0.2", ms=5,
               label="reported value (estimator's colour and marker)"),
    ]
    handles, ncol = _columns(handles[:2], handles[2:], _kind_handles(claims, horizontal=True))
    _figure_legend(fig, [ax], handles, created=created, ncol=ncol)
    return fig


def _claims_per_year(claims: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Count the original claims (of any quantity) whose reference period covers each year."""
    originals = claims[claims["derived_from"] == ""]
    start = originals["ref_start"].to_numpy(int)[:, None]
    end = originals["ref_end"].to_numpy(int)[:, None]
    return ((years[None, :] >= start) & (years[None, :] <= end)).sum(axis=0)


@_styled
def plot_prior_predictive(ledger: Ledger, config: ModelConfig | None = None, *, draws: int = 500,
                          random_seed: Any = None, axes: Any = None) -> Figure:
    """Prior predictive check: the world series the priors allow, with the claims overlaid.

    Parameters
    ----------
    ledger : Ledger
    config : ModelConfig, optional
    draws : int
        Prior draws.
    random_seed : int or numpy.random.Generator, optional
    axes : pair of matplotlib Axes, optional
        For workers and remittances; a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure
        Log-scale panels: the prior spans orders of magnitude.
    """
    import pymc as pm

    from remitest.config import ModelConfig
    from remitest.model import build_model, model_structure

    config = config or ModelConfig()
    quantities = ("workers", "remittances_usd")
    model = build_model(ledger, config)
    with model:
        prior = pm.sample_prior_predictive(draws=draws, random_seed=random_seed,
                                           var_names=list(quantities)).prior
    structure = model_structure(ledger, config)
    styles = estimator_styles(structure.estimators)
    claims = ledger.to_frame()
    created = axes is None
    fig, axes = _new_axes(2, width=7.0, height=3.3) if created else (
        None, _given_axes(axes, 2))
    fig = fig or axes[0].figure
    years = np.asarray(structure.years)
    extrapolated = faded = False
    for ax, quantity in zip(axes, quantities, strict=True):
        values = prior[quantity].transpose("chain", "draw", "year").values
        mine = claims[claims["quantity"] == quantity]
        extrapolated |= _shade_extrapolation(ax, years, _claims_per_year(claims, years))
        _draw_bands(ax, years, _quantiles(values))
        _draw_claims(ax, mine, scope="world", styles=styles, config=config)
        faded |= bool((mine["scope"] != "world").any())
        _series_axes(ax, quantity, years, log=True)
        ax.set_title(f"{QUANTITY_LABELS[quantity]}: prior predictive", loc="left")
    shown = claims[claims["quantity"].isin(quantities)]
    handles, ncol = _columns(_band_legend_handles(extrapolation=extrapolated, what="prior"),
                             _estimator_handles(shown, styles), _kind_handles(shown, faded=faded))
    _figure_legend(fig, axes, handles, created=created, ncol=ncol)
    return fig


FIGURES: dict[str, Callable[..., Figure]] = {
    "series": plot_series,
    "biases": plot_biases,
    "host_split": plot_host_split,
    "ppc": plot_ppc,
}
