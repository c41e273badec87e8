"""Yearly series, posterior and prior predictive, with the published claims drawn over them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import patheffects, transforms
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from remitest.plots._style import (
    BAND_COLOUR,
    EXTRAPOLATION_COLOUR,
    FADED_ALPHA,
    QUANTITY_LABELS,
    _columns,
    _figure_legend,
    _given_axes,
    _kind_handles,
    _new_axes,
    _quantiles,
    _series_axes,
    _styled,
    estimator_styles,
    scope_label,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from remitest.config import ModelConfig
    from remitest.fit_result import Fit
    from remitest.ledger import Ledger


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
        hollow = isinstance(claim.derived_from, str)
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


def _claims_per_year(claims: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Count the original claims (of any quantity) whose reference period covers each year."""
    originals = claims[claims["derived_from"].isna()]
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
