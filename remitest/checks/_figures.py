"""Shared drawing pieces of the checks' figures (package style, Okabe-Ito colours)."""

from __future__ import annotations

from matplotlib.figure import Figure

from remitest.plots import _STYLE, _styled

__all__ = ["styled", "new_figure", "DIVERGING_CMAP", "GRID_COLOUR"]

styled = _styled
# ColorBrewer's purple-orange diverging map stays readable under the common colour-vision
# deficiencies and in greyscale (light at 0, dark at both ends).
DIVERGING_CMAP = "PuOr_r"
GRID_COLOUR = "0.92"
FONT_SIZE = _STYLE["font.size"]


def new_figure(width: float, height: float) -> Figure:
    """A figure with constrained layout (not registered with pyplot)."""
    return Figure(figsize=(width, height), layout="constrained")
