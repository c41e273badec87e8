"""Shared style of the figures: palette, rc context, tick formatters, axes and legend helpers.

Colours come from the Okabe-Ito palette, which stays distinct under the common colour-vision
deficiencies, and each estimator keeps one colour and one marker across every figure of a fit.
Data stay in base units (persons, US$); only the tick labels are scaled (thousands, millions).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

    from remitest.config import ModelConfig


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


def _finish_forest(ax: Axes, *, xlabel: str, title: str, bottom: float) -> None:
    """Shared frame of the forest plots: a log factor axis with a dashed 1x line, no y spine."""
    ax.tick_params(axis="y", length=0)
    ax.axvline(1.0, color="0.3", lw=0.8, ls="--", zorder=0)
    _factor_axis(ax)
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    ax.set_ylim(bottom - 0.7, -0.4)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color="0.92", lw=0.5)
    ax.set_axisbelow(True)


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
    if claims["derived_from"].notna().any():
        handles.append(Line2D([], [], ls="", marker="o", mfc="white", color="0.2", ms=5,
                              label="repeat (adds no evidence)"))
    if faded:
        handles.append(Line2D([], [], ls="", marker="o", color="0.2", alpha=FADED_ALPHA, ms=5,
                              label="claim about another scope"))
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


def _quantiles(values: np.ndarray, axis: tuple[int, ...] = (0, 1)) -> dict[str, np.ndarray]:
    q = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=axis)
    return dict(zip(("q05", "q25", "median", "q75", "q95"), q, strict=True))
