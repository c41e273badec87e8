"""Figures: the ledger at a glance; of a fit, yearly series, biases, host split, predictive check.

Each function draws with matplotlib only, returns the ``Figure``, draws into ``ax``/``axes``
when given (a new figure otherwise) and leaves saving to the export step. Data stay in base
units (persons, US$); only the tick labels are scaled (thousands, millions). Colours come from
the Okabe-Ito palette, which stays distinct under the common colour-vision deficiencies, and each
estimator keeps one colour and one marker across every figure of a fit.

``FIGURES`` maps the figure names used by the export step and the captions to their functions.

``plot_ledger`` draws a ledger before any fit. ``estimator_styles`` is the one registry of each
estimator's colour and marker, used by every figure: the hue is the estimator's type, shade and
marker tell the estimators of a type apart (40 distinct pairs per type). Hosts have a palette of
their own (``host_colours``). Counts and money are on log axes by default (``log=False`` or
``yscale="linear"`` for linear ones); no figure is taller than ``MAX_HEIGHT`` (10 in) at any
ledger size; ``_claims`` keeps claims legible at 150 claims (numbered keys, a legend of at most
12 entries outside the panels).

Modules: ``_style`` (palette, rc context, formatters, axes and legend helpers), ``series``
(posterior and prior predictive series with the claims), ``ledger`` (the ledger at a
glance), ``parameters`` (estimator biases, host
split) and ``ppc`` (posterior predictive check of each claim).
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from remitest.plots._claims import claim_keys
from remitest.plots._style import _STYLE as _STYLE
from remitest.plots._style import BAND_COLOUR as BAND_COLOUR
from remitest.plots._style import BEYOND_FIT_COLOUR as BEYOND_FIT_COLOUR
from remitest.plots._style import ESTIMATOR_COLOURS as ESTIMATOR_COLOURS
from remitest.plots._style import ESTIMATOR_MARKERS as ESTIMATOR_MARKERS
from remitest.plots._style import EXTRAPOLATION_COLOUR as EXTRAPOLATION_COLOUR
from remitest.plots._style import FADED_ALPHA as FADED_ALPHA
from remitest.plots._style import HOST_COLOURS as HOST_COLOURS
from remitest.plots._style import MAX_HEIGHT as MAX_HEIGHT
from remitest.plots._style import NO_CLAIM_COLOUR as NO_CLAIM_COLOUR
from remitest.plots._style import PRIOR_COLOUR as PRIOR_COLOUR
from remitest.plots._style import QUANTITY_LABELS
from remitest.plots._style import TYPE_COLOURS as TYPE_COLOURS
from remitest.plots._style import _factor_axis as _factor_axis
from remitest.plots._style import _right_labels as _right_labels
from remitest.plots._style import _styled as _styled
from remitest.plots._style import _unit_formatter as _unit_formatter
from remitest.plots._style import estimator_styles as estimator_styles
from remitest.plots._style import host_colours as host_colours
from remitest.plots._style import scope_label as scope_label
from remitest.plots.ledger import plot_ledger
from remitest.plots.parameters import plot_biases, plot_host_split
from remitest.plots.ppc import plot_ppc
from remitest.plots.series import plot_prior_predictive, plot_prior_series, plot_series

__all__ = [
    "FIGURES",
    "QUANTITY_LABELS",
    "claim_keys",
    "plot_biases",
    "plot_host_split",
    "plot_ledger",
    "plot_ppc",
    "plot_prior_predictive",
    "plot_prior_series",
    "plot_series",
]

FIGURES: dict[str, Callable[..., Figure]] = {
    "series": plot_series,
    "biases": plot_biases,
    "host_split": plot_host_split,
    "ppc": plot_ppc,
}
