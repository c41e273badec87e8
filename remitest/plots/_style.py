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
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

from remitest.config import ModelConfig

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes


# Okabe & Ito (2008). Blue is kept for the posterior; estimator types take the others.
BAND_COLOUR = "#0072B2"
#: Colour of each estimator type: the hue of every estimator of that type, in every figure.
TYPE_COLOURS = {
    "government": "#D55E00",
    "intergovernmental": "#009E73",
    "research_institute": "#E69F00",
    "media": "#CC79A7",
    "anonymous": "#000000",
}
ESTIMATOR_COLOURS = tuple(TYPE_COLOURS.values())
# No triangles: arrows mark bounds, so a triangle would read as a direction.
ESTIMATOR_MARKERS = ("o", "s", "D", "P", "X", "h", "p", "*")
_MARKER_SCALE = {"*": 1.45, "D": 0.9, "s": 0.95}  # so that every marker reads at one size


def marker_size(marker: str, size: float) -> float:
    """Marker size that makes ``marker`` look as large as a circle of ``size``."""
    return size * _MARKER_SCALE.get(marker, 1.0)
#: Shades of a type's hue that tell its estimators apart: mixed towards black (negative) or
#: white (positive). Five shades and eight markers cycle at different periods, so the first
#: 40 estimators of one type all get a distinct (colour, marker) pair.
_SHADES = (0.0, -0.35, 0.3, -0.55, 0.5)
#: Hosts have a palette of their own (Tol's muted and dark colours), apart from the types'.
HOST_COLOURS = ("#332288", "#882255", "#999933", "#44AA99", "#661100", "#88CCEE", "#AA4499")
PRIOR_COLOUR = "0.55"
#: Years that no claim covers (light grey), and years beyond the fitted ones (hatched grey).
NO_CLAIM_COLOUR = "0.92"
EXTRAPOLATION_COLOUR = NO_CLAIM_COLOUR  # the name before 0.4, kept for downstream code
BEYOND_FIT_COLOUR = "0.78"
NO_CLAIM_LABEL = "no claim covers the year"
BEYOND_FIT_LABEL = "beyond the fitted years"
FADED_ALPHA = 0.35
#: Tallest figure, in inches, at any ledger size.
MAX_HEIGHT = 10.0

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


def _shade(colour: str, amount: float) -> str:
    """``colour`` mixed towards white (amount > 0) or black (amount < 0)."""
    rgb = np.asarray(to_rgb(colour))
    if np.allclose(rgb, 0.0) and amount < 0:  # black has no darker shade: lighten instead
        amount = -amount * 0.9
    target = 1.0 if amount > 0 else 0.0
    return to_hex(rgb + (target - rgb) * abs(amount))


def _pair(rank: int) -> tuple[int, int]:
    """Shade and marker index of the ``rank``-th estimator of a type: distinct up to 40."""
    return rank % len(_SHADES), rank % len(ESTIMATOR_MARKERS)


def estimator_styles(estimators: Any, types: Sequence[str] | None = None
                     ) -> dict[str, dict[str, str]]:
    """The registry: colour and marker of each estimator, the same in every figure of a run.

    Parameters
    ----------
    estimators : Ledger, Fit, DataFrame of claims, or sequence of str
        A ledger (or a fit's, or a claims frame with ``estimator`` and ``estimator_type``) keys
        every estimator by name, in ledger order. A bare sequence of names needs ``types``.
    types : sequence of str, optional
        Estimator type of each name in ``estimators``, when those are bare names.

    Returns
    -------
    dict
        ``{estimator: {"color": hex, "marker": str, "type": str, "edge": hex}}`` (``edge``:
        the marker's outline, the type's own colour around a pale shade). The colour is a shade of
        the estimator type's hue (``TYPE_COLOURS``), so that a type reads the same in every
        figure; shade and marker together tell the estimators of one type apart: five shades
        against eight markers give 40 distinct pairs per type before any repeats. Bare names
        without ``types`` (the check figures of 0.3) cycle five colours against eight markers
        (40 distinct pairs) in their own order; pass the ledger to match the run's figures.
    """
    names, kinds = _estimators_and_types(estimators, types)
    if types is None and set(kinds) == {"unknown"}:  # bare names: the pre-0.4 look, no cycling
        unique = list(dict.fromkeys(names))
        return {name: {"color": ESTIMATOR_COLOURS[i % len(ESTIMATOR_COLOURS)],
                       "marker": ESTIMATOR_MARKERS[i % len(ESTIMATOR_MARKERS)],
                       "type": "unknown", "edge": ESTIMATOR_COLOURS[i % len(ESTIMATOR_COLOURS)]}
                for i, name in enumerate(unique)}
    styles: dict[str, dict[str, str]] = {}
    rank: dict[str, int] = {}
    for name, kind in zip(names, kinds, strict=True):
        if name in styles:
            continue
        shade, marker = _pair(rank.get(kind, 0))
        rank[kind] = rank.get(kind, 0) + 1
        base = TYPE_COLOURS.get(kind, "#555555")
        colour = _shade(base, _SHADES[shade])
        # a pale shade keeps an outline in the type's own colour, so that it reads on white
        styles[name] = {"color": colour, "marker": ESTIMATOR_MARKERS[marker], "type": kind,
                        "edge": to_hex(base) if _SHADES[shade] > 0 else colour}
    return styles


def _estimators_and_types(estimators: Any, types: Sequence[str] | None
                          ) -> tuple[list[str], list[str]]:
    import pandas as pd

    if hasattr(estimators, "ledger") and hasattr(estimators, "idata"):  # a Fit
        estimators = estimators.ledger
    if hasattr(estimators, "to_frame") and not isinstance(estimators, pd.Series):  # a Ledger
        estimators = estimators.to_frame()
    if isinstance(estimators, pd.DataFrame):
        return ([str(e) for e in estimators["estimator"]],
                [str(t) for t in estimators["estimator_type"]])
    names = [str(e) for e in estimators]
    return names, [str(t) for t in types] if types is not None else ["unknown"] * len(names)


def type_colour(estimator_type: str) -> str:
    return TYPE_COLOURS.get(estimator_type, "0.4")


def host_colours(hosts: Sequence[str]) -> dict[str, str]:
    """Colour of each host, in the fit's host order: a palette apart from the estimator types'."""
    return {h: HOST_COLOURS[i % len(HOST_COLOURS)] for i, h in enumerate(hosts)}


def tag_estimator(artists: Any, estimator: str) -> None:
    """Mark the artists that draw one estimator's claim, so that tests can find them."""
    for artist in np.ravel(np.asarray(artists, dtype=object)):
        if artist is not None and hasattr(artist, "set_gid"):
            artist.set_gid(f"estimator:{estimator}")


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


def value_scale(log: bool | None, yscale: str | None) -> bool:
    """True for a log value axis: ``log`` and ``yscale`` ("log" or "linear") name one choice."""
    if yscale is not None:
        if yscale not in ("log", "linear"):
            raise ValueError(f"yscale = {yscale!r}: use 'log' or 'linear'")
        if log is not None and log != (yscale == "log"):
            raise ValueError(f"log = {log!r} and yscale = {yscale!r} disagree")
        return yscale == "log"
    return True if log is None else bool(log)


def value_limits(ax: Axes, low: float, high: float, *, log: bool, room_low: bool = False,
                 room_high: bool = False) -> None:
    """Value limits around ``low``-``high`` with room for bound arrows; ticks that fit the span.

    On a log axis the span is at least 3x (a narrower one has too few ticks to read) and each
    end gains 8% of it, or 22% where an arrow points out of that end (``room_low``,
    ``room_high``): a bound's arrow is 14 points long. A linear axis starts at zero.
    """
    formatter = ax.yaxis.get_major_formatter()  # a change of scale resets the formatters
    if log:
        low, high = max(low, 1e-12), max(high, low * 1.0001)
        span = np.log(high / low)
        widen = max(np.log(3.0) - span, 0.0) / 2
        span += 2 * widen
        pad_low = (0.22 if room_low else 0.08) * span + widen
        pad_high = (0.22 if room_high else 0.08) * span + widen
        ax.set_yscale("log")
        ax.set_ylim(low * np.exp(-pad_low), high * np.exp(pad_high))
        decades = np.log10(high / low) + (pad_low + pad_high) / np.log(10)
        subs = ((1.0,) if decades > 3.5 else (1.0, 3.0) if decades > 1.6
                else (1.0, 2.0, 5.0) if decades > 0.8 else (1.0, 1.5, 2.0, 3.0, 5.0, 7.0))
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
        ax.yaxis.set_minor_locator(NullLocator())
    else:
        ax.set_yscale("linear")
        ax.set_ylim(0, high * (1.22 if room_high else 1.1))
    if isinstance(formatter, FuncFormatter):
        ax.yaxis.set_major_formatter(formatter)
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))


def _quantiles(values: np.ndarray, axis: tuple[int, ...] = (0, 1)) -> dict[str, np.ndarray]:
    q = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=axis)
    return dict(zip(("q05", "q25", "median", "q75", "q95"), q, strict=True))
