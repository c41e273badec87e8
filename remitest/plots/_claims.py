"""Claims drawn over a figure at any ledger size: panels, type colours, keys, legend entries.

Each claim takes its estimator's colour and marker from the registry
(``_style.estimator_styles``): the hue is the estimator's type, shade and marker tell the
estimators of a type apart, the same in every figure. A figure of at most
``ESTIMATOR_LEGEND_LIMIT`` claims names each estimator in its legend; a larger one numbers its
claims
with their key (``claim_keys``: the claim's position in the ledger, also the ``key`` column of a
run's ``claims.csv``), placed where a number collides with no other, and its legend names only
the types. Every legend holds at most ``LEGEND_LIMIT`` entries and sits outside the panels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib import patheffects, transforms
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox

from remitest.ledger import ESTIMATOR_TYPES, WORLD, Ledger
from remitest.plots._style import (
    BAND_COLOUR,
    BEYOND_FIT_COLOUR,
    BEYOND_FIT_LABEL,
    NO_CLAIM_COLOUR,
    NO_CLAIM_LABEL,
    TYPE_COLOURS,
    estimator_styles,
    marker_size,
    tag_estimator,
    type_colour,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LEGEND_LIMIT = 12
ESTIMATOR_LEGEND_LIMIT = 12  # claims; above this, claims are numbered instead
CAPTION_KEY_LIMIT = 30  # claims; above this, the key lives in claims.csv only

__all__ = ["TYPE_COLOURS", "type_colour"]  # re-exported: their home is _style
TYPE_LABELS = {t: t.replace("_", " ") for t in ESTIMATOR_TYPES}


def claim_keys(ledger: Ledger) -> pd.Series:
    """Key number of each claim (1, 2, ... in ledger order), indexed by claim id."""
    ids = ledger.to_frame()["id"]
    return pd.Series(np.arange(1, len(ids) + 1), index=pd.Index(ids, name="id"), name="key")


def by_estimator(claims: pd.DataFrame) -> bool:
    """True when the legend may name each estimator: few claims, and room for every name.

    The other entries take at most five places (two for the bands, three for how claims are
    drawn), so the estimators get the other seven.
    """
    return (len(claims) <= ESTIMATOR_LEGEND_LIMIT
            and claims["estimator"].nunique() <= LEGEND_LIMIT - 5)


def claim_styles(claims: pd.DataFrame, *, per_estimator: bool = True,
                 ledger: Ledger | None = None) -> dict[str, dict[str, str]]:
    """Colour and marker of each estimator, from the registry (``estimator_styles``).

    ``per_estimator`` is ignored: every figure draws each estimator the same way. Pass the whole
    ``ledger`` when ``claims`` is a subset, so that the styles match the other figures of the run.
    """
    del per_estimator
    return estimator_styles(ledger if ledger is not None else claims)


def scope_order(scopes: Sequence[str], valid: Sequence[str]) -> list[str]:
    """Scopes with claims: world first, then the hosts and groups in their declared order."""
    present = set(scopes)
    ordered = [s for s in valid if s in present]
    return [*ordered, *sorted(present - set(ordered))]


def claim_dodge(claims: pd.DataFrame, *, step: float = 6.5, width: float = 40.0) -> np.ndarray:
    """Horizontal dodge (points) so claims about the same period do not hide each other.

    Claims sharing a period spread over at most ``width`` points; many of them overlap a little
    rather than spill into the next year.
    """
    centre = (claims["ref_start"] + claims["ref_end"]).to_numpy(float) / 2
    dodge = np.zeros(len(claims))
    for value in np.unique(centre):
        same = np.flatnonzero(centre == value)
        gap = min(step, width / max(len(same) - 1, 1))
        dodge[same] = (np.arange(len(same)) - (len(same) - 1) / 2) * gap
    return dodge


def claim_value(claim: Any) -> tuple[float, Any]:
    """Where a claim's marker sits (a range at its geometric midpoint) and its vertical whisker."""
    if claim.kind == "range":
        y = float(np.sqrt(claim.low * claim.high))
        return y, [[y - claim.low], [claim.high - y]]
    return (claim.high if claim.kind == "upper_bound" else claim.low), None


def draw_claim(ax: Axes, claim: Any, style: dict[str, str], *, dodge: float,
               ms: float = 5.0) -> tuple[float, float, transforms.Transform]:
    """One claim at its reference period: marker, whisker or arrow, bar across its years.

    Returns the marker's data position and the (dodged) transform it was drawn with.
    """
    fig = ax.figure
    hollow = isinstance(claim.derived_from, str)
    x = (claim.ref_start + claim.ref_end) / 2
    y, yerr = claim_value(claim)
    half_period = (claim.ref_end - claim.ref_start) / 2
    shifted = transforms.offset_copy(ax.transData, fig=fig, x=dodge, units="points")
    bars = ax.errorbar(
        [x], [y], yerr=yerr, xerr=[[half_period]] if half_period else None,
        fmt=style["marker"], color=style["color"], ms=marker_size(style["marker"], ms), mew=1.0,
        elinewidth=1.0, capsize=2,
        mfc="white" if hollow else style["color"], zorder=4, transform=shifted,
    )
    bars.lines[0].set_markeredgecolor(style.get("edge", style["color"]))
    bars.lines[0].set_clip_on(False)  # a marker at the first or last year is never cut
    tag_estimator([bars.lines[0]], claim.estimator)
    if claim.kind in ("lower_bound", "upper_bound"):
        head = transforms.offset_copy(ax.transData, fig=fig, x=dodge,
                                      y=14 if claim.kind == "lower_bound" else -14,
                                      units="points")
        arrow = ax.annotate("", xy=(x, y), xycoords=head, xytext=(x, y), textcoords=shifted,
                            arrowprops={"arrowstyle": "-|>", "color": style["color"], "lw": 1.0,
                                        "mutation_scale": 7, "shrinkA": 3, "shrinkB": 0},
                            zorder=4, annotation_clip=False)
        arrow.set_in_layout(False)
    return x, y, shifted


def band_handles(*, no_claim: bool = False, beyond_fit: bool = False, what: str = "posterior",
                 extrapolation: bool | None = None) -> list[Any]:
    """One entry for the median and both bands, and one for each kind of shaded year.

    ``no_claim``: years that no claim covers; ``beyond_fit``: years beyond the fitted ones
    (``extrapolation`` is the old name of ``no_claim``).
    """
    no_claim = no_claim or bool(extrapolation)
    line = Line2D([], [], color=BAND_COLOUR, lw=1.4)
    inner = Patch(color=BAND_COLOUR, alpha=0.47, lw=0)
    outer = Patch(color=BAND_COLOUR, alpha=0.18, lw=0)
    handles = [((outer, inner, line), f"{what} median, 50% and 90% intervals")]
    if no_claim:
        handles.append((Patch(color=NO_CLAIM_COLOUR, lw=0), NO_CLAIM_LABEL))
    if beyond_fit:
        handles.append((Patch(facecolor=BEYOND_FIT_COLOUR, edgecolor="white", hatch="////",
                              lw=0), BEYOND_FIT_LABEL))
    return handles


def who_handles(claims: pd.DataFrame, styles: dict[str, dict[str, str]], *,
                per_estimator: bool) -> list[Any]:
    """Estimators (named, few claims) or estimator types (numbered claims), as legend entries."""
    if per_estimator:
        rows = claims.drop_duplicates("estimator")
        return [(Line2D([], [], ls="", marker=styles[r.estimator]["marker"],
                        ms=marker_size(styles[r.estimator]["marker"], 5),
                        mec=styles[r.estimator].get("edge", styles[r.estimator]["color"]),
                        color=styles[r.estimator]["color"]), r.estimator)
                for r in rows.itertuples(index=False)]
    present = [t for t in ESTIMATOR_TYPES if t in set(claims["estimator_type"])]
    entries = []
    for kind in present:  # the type's hue, in the shades and markers its estimators are drawn
        drawn = [s for s in styles.values() if s.get("type") == kind][:3]
        marks = tuple(Line2D([], [], ls="", marker=s["marker"], ms=marker_size(s["marker"], 4.5),
                             color=s["color"], mec=s.get("edge", s["color"]))
                      for s in drawn) or (Line2D([], [], ls="", marker="o", ms=5,
                                                 color=type_colour(kind)),)
        entries.append((marks, TYPE_LABELS[kind]))
    return entries


def kind_handles(claims: pd.DataFrame, *, horizontal: bool = False) -> list[Any]:
    """How claims are drawn: ranges, bounds (one entry for both directions), repeats."""
    kinds, handles = set(claims["kind"]), []
    if "range" in kinds:
        handles.append((Line2D([], [], ls="", marker="_" if horizontal else "|", color="0.2",
                               ms=9, mew=1.0), "range"))
    bounds = [k for k in ("lower_bound", "upper_bound") if k in kinds]
    if bounds:
        up, down = (r"$\rightarrow$", r"$\leftarrow$") if horizontal else (r"$\uparrow$",
                                                                             r"$\downarrow$")
        arrows = tuple(Line2D([], [], ls="", marker=up if k == "lower_bound" else down,
                              color="0.2", ms=8) for k in bounds)
        words = {"lower_bound": "\u201cmore than\u201d", "upper_bound": "\u201cas high as\u201d"}
        handles.append((arrows, "bound: " + ", ".join(words[k] for k in bounds)))
    if claims["derived_from"].notna().any():
        handles.append((Line2D([], [], ls="", marker="o", mfc="white", color="0.2", ms=5),
                        "repeat (adds no evidence)"))
    return handles


def legend_below(fig: Figure, entries: list[Any], *, axes: Sequence[Axes] | None = None) -> None:
    """One legend below the panels, or right of the caller's last axes.

    Callers keep it to ``LEGEND_LIMIT`` entries: two for the bands, at most three for how
    claims are drawn, and the estimators only where `by_estimator` allows, else the five types.
    """
    handles = [h for h, _ in entries]
    labels = [label for _, label in entries]
    options = {"handler_map": {tuple: HandlerTuple(ndivide=None, pad=0.3)}, "frameon": False,
               "handlelength": 2.2}
    if axes is None:
        longest = max(len(label) for label in labels)
        ncol = min(3 if longest <= 30 else 2, len(entries))
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol, columnspacing=1.5,
                   **options)
    else:
        axes[-1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                        **options)


_KEY_GAP = 2.0  # points between two key numbers
_MARKER_RADIUS = 3.5  # points: a claim's marker, which no number may cover


def place_keys(fig: Figure, marks: list[tuple[Axes, float, float, Any, str, str]],
               *, fontsize: float = 6.0) -> int:
    """Write each claim's key number beside its marker where it collides with nothing.

    ``marks`` holds (axes, x, y, transform, text, colour). The figure is laid out first; each
    number tries a few spots around its marker, inside its panel, keeping a gap of
    ``_KEY_GAP`` points from every other number (so that "38" and "39" side by side do not read
    as "3839") and off every claim's marker; it is left out when every spot is taken. Returns
    how many numbers were left out.
    """
    fig.draw_without_rendering()
    renderer = fig._get_renderer()  # a figure of our own has no canvas of its own
    points = fig.dpi / 72.0
    radius, gap = _MARKER_RADIUS * points, _KEY_GAP * points
    centres = [transform.transform((x, y)) for _, x, y, transform, _, _ in marks]
    markers = [Bbox.from_extents(cx - radius, cy - radius, cx + radius, cy + radius)
               for cx, cy in centres]  # every claim's marker, before any number is placed
    numbers: list[Any] = []
    left_out = 0
    spots = ((5, 3, "left", "bottom"), (5, -3, "left", "top"), (-5, 3, "right", "bottom"),
             (-5, -3, "right", "top"), (0, 7, "center", "bottom"), (0, -7, "center", "top"),
             (9, 0, "left", "center"), (-9, 0, "right", "center"))
    for i, (ax, x, y, transform, text, colour) in enumerate(marks):
        frame = ax.get_window_extent(renderer)
        # a marker drawn on this one (a repeat, the same figure twice) cannot be avoided
        others = [m for m, c in zip(markers, centres, strict=True)
                  if abs(c[0] - centres[i][0]) > points or abs(c[1] - centres[i][1]) > points]
        placed = False
        for dx, dy, ha, va in spots:
            label = ax.annotate(text, (x, y), xycoords=transform, xytext=(dx, dy),
                                textcoords="offset points", ha=ha, va=va, fontsize=fontsize,
                                color=colour, zorder=6, annotation_clip=False,
                                path_effects=[patheffects.withStroke(linewidth=1.8,
                                                                     foreground="white")])
            label.set_in_layout(False)
            box = label.get_window_extent(renderer)
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
                      and box.y1 <= frame.y1)
            if (inside and not any(box.padded(gap).overlaps(n) for n in numbers)
                    and not any(box.overlaps(m) for m in others)):
                numbers.append(box)
                placed = True
                break
            label.remove()
        left_out += not placed
    return left_out


def panel_title(quantity_label: str, scope: str, scope_text: str) -> str:
    return f"{quantity_label}: {'world' if scope == WORLD else scope_text}"
