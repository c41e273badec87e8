"""Yearly series, posterior and prior predictive, with the published claims drawn over them.

The posterior figure has one panel per quantity and per scope with claims (world first), each
claim on its own scope's panel; see `remitest.plots._claims` for how claims stay legible at any
ledger size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from remitest import posterior
from remitest.config import ModelConfig
from remitest.fitrecord import Fit
from remitest.ledger import QUANTITIES, WORLD, Ledger
from remitest.plots._claims import (
    band_handles,
    by_estimator,
    claim_dodge,
    claim_keys,
    claim_styles,
    draw_claim,
    kind_handles,
    legend_below,
    panel_title,
    place_keys,
    scope_order,
    who_handles,
)
from remitest.plots._style import (
    BAND_COLOUR,
    BEYOND_FIT_COLOUR,
    MAX_HEIGHT,
    NO_CLAIM_COLOUR,
    QUANTITY_LABELS,
    _given_axes,
    _new_axes,
    _quantiles,
    _series_axes,
    _styled,
    scope_label,
    value_limits,
    value_scale,
)
from remitest.posterior import year_evidence
from remitest.reading import as_read
from remitest.structure import model_structure

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes


def _draw_bands(ax: Axes, years: np.ndarray, q: dict[str, np.ndarray]) -> None:
    """Median line and 50%/90% bands; ``q`` maps q05, q25, median, q75, q95 to arrays."""
    ax.fill_between(years, q["q05"], q["q95"], color=BAND_COLOUR, alpha=0.18, lw=0,
                    label="90% interval")
    ax.fill_between(years, q["q25"], q["q75"], color=BAND_COLOUR, alpha=0.35, lw=0,
                    label="50% interval")
    ax.plot(years, q["median"], color=BAND_COLOUR, lw=1.4, label="median")


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    flags = np.asarray(flags, dtype=bool)
    starts = np.flatnonzero(flags & ~np.r_[False, flags[:-1]])
    ends = np.flatnonzero(flags & ~np.r_[flags[1:], False])
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _shade_years(ax: Axes, years: np.ndarray, evidence: np.ndarray) -> tuple[bool, bool]:
    """Shade years that no claim covers (light grey) and years beyond the fit (hatched grey).

    Returns whether anything of each kind was shaded.
    """
    evidence = np.asarray(evidence)
    for first, last in _runs(evidence == "no claim"):
        ax.axvspan(years[first] - 0.5, years[last] + 0.5, color=NO_CLAIM_COLOUR, lw=0, zorder=0)
    for first, last in _runs(evidence == "beyond fit"):
        ax.axvspan(years[first] - 0.5, years[last] + 0.5, facecolor=BEYOND_FIT_COLOUR,
                   edgecolor="white", hatch="////", lw=0, zorder=0)
    return bool((evidence == "no claim").any()), bool((evidence == "beyond fit").any())


def _shade_extrapolation(ax: Axes, years: np.ndarray, n_claims: np.ndarray) -> bool:
    """Shade runs of years that no claim covers; True when anything was shaded."""
    evidence = np.where(np.asarray(n_claims) == 0, "no claim", "claims")
    return _shade_years(ax, years, evidence)[0]


def _claims_per_year(claims: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Count the original claims whose reference period covers each year."""
    originals = claims[claims["derived_from"].isna()]
    start = originals["ref_start"].to_numpy(int)[:, None]
    end = originals["ref_end"].to_numpy(int)[:, None]
    return ((years[None, :] >= start) & (years[None, :] <= end)).sum(axis=0)


def _members(scope: str, fit: Fit) -> set[str]:
    groups = {WORLD: tuple(fit.hosts), **fit.config.scope_groups}
    return set(groups.get(scope, (scope,)))


def _panels(claims: pd.DataFrame, fit: Fit, quantities: Sequence[str],
            scopes: Sequence[str] | None) -> list[tuple[str, str]]:
    """(quantity, scope) of each panel: per quantity, world, then each scope with claims."""
    valid = (WORLD, *fit.hosts, *fit.config.scope_groups)
    panels = []
    for quantity in quantities:
        with_claims = claims.loc[claims["quantity"] == quantity, "scope"]
        wanted = scope_order([WORLD, *with_claims], valid) if scopes is None else list(scopes)
        panels += [(quantity, scope) for scope in wanted]
    return panels


def _band_quantiles(fit: Fit, summary: pd.DataFrame, quantity: str, scope: str
                    ) -> tuple[np.ndarray, dict[str, np.ndarray], bool]:
    """Years, quantiles and prior-only flag of one panel's series (a group sums its hosts)."""
    if scope in fit.config.scope_groups and quantity != "per_worker_usd":
        hosts = list(fit.config.scope_groups[scope])
        draws = fit.idata.posterior[f"{quantity}_host"].sel(host=hosts).sum("host")
        draws = draws.transpose("chain", "draw", "year")
        return draws["year"].to_numpy().astype(int), _quantiles(draws.to_numpy()), False
    rows = summary[(summary["scope"] == (scope if scope in fit.hosts else WORLD))
                   & (summary["quantity"] == quantity)].sort_values("year")
    q = {c: rows[c].to_numpy(float) for c in ("q05", "q25", "median", "q75", "q95")}
    return rows["year"].to_numpy(int), q, bool(rows["prior_only"].all())


_SHORT_LABELS = {"workers": "Workers abroad", "remittances_usd": "Remittances",
                 "per_worker_usd": "Per worker"}


def _thin_year_ticks(ax: Axes, years: np.ndarray, *, inches_per_tick: float = 0.42) -> None:
    """Year ticks every 1, 2, 5 or 10 years, as many as the panel's width holds."""
    width = ax.get_position().width * ax.figure.get_figwidth()
    fits = max(2, int(width / inches_per_tick))
    step = next(s for s in (1, 2, 5, 10, 20) if len(years) / s <= fits)
    ax.set_xticks([y for y in years if y % step == 0])


def _series_grid(panels: list[tuple[str, str]], *, panel_height: float = 1.9,
                 legend_rows: int = 4) -> tuple[Figure, list[Axes]]:
    """One row per quantity (wrapping after three panels), blank cells removed.

    Panels shrink (to no less than 1.45 in) so that the figure, legend included, stays within
    ``MAX_HEIGHT``.
    """
    rows: list[list[int]] = []
    for i, (quantity, _scope) in enumerate(panels):
        if not rows or panels[rows[-1][0]][0] != quantity or len(rows[-1]) == 3:
            rows.append([])
        rows[-1].append(i)
    ncols = max(len(r) for r in rows)
    below = 0.35 + 0.16 * legend_rows
    panel_height = max(1.45, min(panel_height, (MAX_HEIGHT - below) / len(rows)))
    fig = Figure(figsize=(7.0 if ncols <= 2 else 7.5,
                          min(MAX_HEIGHT, panel_height * len(rows) + below)),
                 layout="constrained")
    grid = fig.add_gridspec(len(rows), ncols)
    axes: list[Any] = [None] * len(panels)
    for r, members in enumerate(rows):
        for c, index in enumerate(members):
            axes[index] = fig.add_subplot(grid[r, c])
    return fig, axes


def _dodge_width(ax: Axes, years: np.ndarray) -> float:
    """Points over which claims about one period spread: at most 0.8 of a year's width."""
    width = ax.get_position().width * ax.figure.get_figwidth() * 72 * 0.85
    return float(min(40.0, 0.8 * width / max(len(years) + 1, 2)))


def _x_room(ax: Axes, years: np.ndarray) -> None:
    """Year limits with half a year and a marker's width beyond the first and last years."""
    width = ax.get_position().width * ax.figure.get_figwidth() * 72 * 0.85
    per_year = width / max(len(years) + 1, 2)
    extra = min(0.5, 5.0 / max(per_year, 1e-6))
    ax.set_xlim(years[0] - 0.5 - extra, years[-1] + 0.5 + extra)


def _value_range(q: dict[str, np.ndarray], claims: pd.DataFrame
                 ) -> tuple[float, float, bool, bool]:
    """Lowest and highest value of a panel (bands and claims), and room for arrows.

    The last two: whether a bound's arrow points out of the bottom, or of the top.
    """
    values = [q["q05"], q["q95"]]
    if len(claims):
        values.append(claims[["low", "high"]].to_numpy(float).ravel())
    numbers = np.concatenate(values)
    numbers = numbers[np.isfinite(numbers) & (numbers > 0)]
    low, high = float(numbers.min()), float(numbers.max())
    span = np.log(high / low) if high > low else 1.0
    lower = claims.loc[claims["kind"] == "lower_bound", "low"].to_numpy(float)
    upper = claims.loc[claims["kind"] == "upper_bound", "high"].to_numpy(float)
    room_high = bool(len(lower) and np.log(high / lower.max()) < 0.3 * span)
    room_low = bool(len(upper) and np.log(upper.min() / low) < 0.3 * span)
    return low, high, room_low, room_high


#: How a reference series is drawn: near-black lines, one dash pattern and marker per label.
REFERENCE_COLOUR = "#1a1a1a"
REFERENCE_STYLES = (((0, (4.0, 2.0)), "D"), ((0, (1.2, 1.6)), "s"),
                    ((0, (6.0, 2.0, 1.2, 2.0)), "^"), ((0, (8.0, 3.0)), "v"), ("-", "o"))
REFERENCE_COLUMNS = ("year", "scope", "quantity", "value")
_DEFAULT_REFERENCE_LABEL = "reference"


def _reference_frame(reference: Any, fit: Fit, *, log: bool) -> pd.DataFrame:
    """Check a user's reference series and return it with a ``label`` column.

    Raises
    ------
    TypeError
        When ``reference`` is not a DataFrame.
    ValueError
        For a missing column, an unknown quantity or scope, a year that is not a whole number,
        a value that is not a finite number (or not positive on a log axis), or two rows for
        one label, quantity, scope and year; each names what is wrong.
    """
    import pandas as pd

    if not isinstance(reference, pd.DataFrame):
        raise TypeError(f"reference must be a pandas DataFrame with columns "
                        f"{list(REFERENCE_COLUMNS)} (and optionally 'label'), not "
                        f"{type(reference).__name__}")
    missing = [c for c in REFERENCE_COLUMNS if c not in reference.columns]
    if missing:
        raise ValueError(f"reference lacks the column(s) {missing}: it needs "
                         f"{list(REFERENCE_COLUMNS)} and optionally 'label'; it has "
                         f"{list(reference.columns)}")
    frame = reference.loc[:, [*REFERENCE_COLUMNS, *(["label"] if "label" in reference else [])]]
    frame = frame.copy()
    frame["label"] = (frame["label"].fillna(_DEFAULT_REFERENCE_LABEL).astype(str)
                      if "label" in frame else _DEFAULT_REFERENCE_LABEL)
    unknown = sorted(set(frame["quantity"].astype(str)) - set(QUANTITIES))
    if unknown:
        raise ValueError(f"reference has unknown quantity {unknown}: use {list(QUANTITIES)}")
    known = (WORLD, *fit.hosts, *fit.config.scope_groups)
    unknown = sorted(set(frame["scope"].astype(str)) - set(known))
    if unknown:
        raise ValueError(f"reference has scope {unknown}, which this fit does not have: it has "
                         f"{list(known)}")
    years = pd.to_numeric(frame["year"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(years) | (years != np.round(years))
    if bad.any():
        raise ValueError(f"reference has years that are not whole numbers: "
                         f"{frame.loc[bad, 'year'].tolist()[:5]}")
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"reference has values that are not finite numbers in "
                         f"{int(bad.sum())} row(s), e.g. {frame.loc[bad, 'value'].tolist()[:3]}")
    if log and (values <= 0).any():
        raise ValueError(f"reference has values <= 0 ({values[values <= 0].tolist()[:3]}), "
                         "which a log axis cannot show: pass log=False, or leave those rows out")
    frame["year"], frame["value"] = years.astype(int), values
    frame["quantity"], frame["scope"] = frame["quantity"].astype(str), frame["scope"].astype(str)
    twice = frame.duplicated(["label", "quantity", "scope", "year"], keep=False)
    if twice.any():
        first = frame[twice].iloc[0]
        raise ValueError(f"reference has {int(twice.sum())} rows for one label, quantity, scope "
                         f"and year, e.g. {first['label']!r}, {first['quantity']}, "
                         f"{first['scope']}, {first['year']}: give each line its own 'label'")
    return frame.sort_values(["label", "quantity", "scope", "year"], kind="stable")


def _reference_styles(labels: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Line style of each reference label, in order of first appearance."""
    return {label: {"ls": REFERENCE_STYLES[i % len(REFERENCE_STYLES)][0],
                    "marker": REFERENCE_STYLES[i % len(REFERENCE_STYLES)][1]}
            for i, label in enumerate(dict.fromkeys(labels))}


def _draw_reference(ax: Axes, rows: pd.DataFrame, style: dict[str, Any], label: str) -> None:
    (line,) = ax.plot(rows["year"].to_numpy(int), rows["value"].to_numpy(float),
                      color=REFERENCE_COLOUR, ls=style["ls"], lw=1.3, marker=style["marker"],
                      ms=3.2, mfc="white", mec=REFERENCE_COLOUR, mew=0.9, zorder=4,
                      label=label)
    line.set_gid(f"reference:{label}")


def _reference_handle(style: dict[str, Any]) -> Any:
    return Line2D([], [], color=REFERENCE_COLOUR, ls=style["ls"], lw=1.3,
                  marker=style["marker"], ms=3.2, mfc="white", mec=REFERENCE_COLOUR, mew=0.9)


@_styled
def plot_series(fit: Fit, *, quantities: Sequence[str] = ("workers", "remittances_usd",
                                                          "per_worker_usd"),
                scopes: Sequence[str] | None = None, axes: Any = None, log: bool | None = None,
                yscale: str | None = None, reference: pd.DataFrame | None = None) -> Figure:
    """Yearly posterior series with 50%/90% bands and the published claims, for any ledger size.

    Parameters
    ----------
    fit : Fit
    quantities : sequence of str
        Quantities to show, in order.
    scopes : sequence of str, optional
        Scopes to show for every quantity (``"world"``, hosts, groups). Default: for each
        quantity, the world, then each host or group that has claims on it.
    axes : sequence of matplotlib Axes, optional
        One per panel; a new figure (7 to 7.5 in wide, one row per quantity, at most 10 in
        tall) when None.
    log : bool, optional
        Log value axes (the default: counts and money that span orders of magnitude, and claims
        that differ by factors); ``log=False`` for linear axes from zero.
    yscale : {"log", "linear"}, optional
        The same choice, in matplotlib's words.
    reference : DataFrame, optional
        A series of your own to draw over the posterior, such as an official series or a
        simulator's truth: columns ``year``, ``scope`` (``"world"``, a host or a group),
        ``quantity`` and ``value`` (base units, as in ``summary.csv``), and optionally
        ``label`` (one line per label; default "reference"). Each label is a near-black line
        with hollow markers in a dash pattern of its own, named in the legend; rows of a
        quantity and scope that the figure has no panel for are left out, and the panels
        widen to the reference's years.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For an unknown scope; for a ``reference`` with a missing column, an unknown quantity
        or scope, a value that is not a finite number (or not positive on a log axis), or no
        row on any panel.

    Notes
    -----
    Lines are posterior medians, bands the central 50% and 90% intervals. Each claim is drawn
    on its own scope's panel at its reference years: a marker for a point, a vertical whisker
    for a range (marker at the geometric midpoint), an arrow for a bound (up: "more than", down:
    "as high as"; as the fit reads it, so a permit count from 2020 on points up,
    ``reading.as_read``), a horizontal bar across a multi-year period; hollow for a repeat.
    Colour is the estimator's type, its shade and marker the estimator (``estimator_styles``,
    the same in every figure). With at most 12 claims the legend names each estimator; above
    that the claims carry their key number (``claim_keys``; the ``key`` column of ``claims.csv`` and
    ``sources.csv``) wherever it collides with no other label. Years that no claim covers are
    shaded light grey ("no claim covers the year"; for remittance per worker, a claim on workers
    or remittances covers the year, through the identity); years beyond
    the fitted ones (a fit extended with ``Fit.extend``) are hatched ("beyond the fitted
    years"). Nothing here is called "extrapolated": see ``posterior.year_evidence``.
    """
    use_log = value_scale(log, yscale)
    ref = None if reference is None else _reference_frame(reference, fit, log=use_log)
    summary = posterior.summary(fit)
    claims = as_read(fit.ledger.to_frame(), fit.config)  # a bound's arrow as the fit reads it
    claims = claims[claims["quantity"].isin(quantities)]
    known = (WORLD, *fit.hosts, *fit.config.scope_groups)
    for scope in scopes or ():
        if scope not in known:
            raise ValueError(f"scope = {scope!r}: this fit has scopes {list(known)}")
    panels = _panels(claims, fit, quantities, scopes)
    ref_styles: dict[str, dict[str, Any]] = {}
    if ref is not None:
        on_panels = ref.set_index(["quantity", "scope"]).index.isin(panels)
        if not on_panels.any():
            raise ValueError(
                "reference: no row has the quantity and scope of a panel of this figure; its "
                f"rows are {sorted(set(zip(ref['quantity'], ref['scope'], strict=True)))}, the "
                f"panels {panels}")
        ref = ref[on_panels]
        ref_styles = _reference_styles(ref["label"].tolist())
    created = axes is None
    kinds = kind_handles(claims)
    per_estimator = by_estimator(claims)
    styles = claim_styles(claims, ledger=fit.ledger)
    who = who_handles(claims, styles, per_estimator=per_estimator)
    legend_rows = -(-(2 + len(who) + len(kinds) + len(ref_styles)) // 3)
    fig, axes = (_series_grid(panels, legend_rows=legend_rows) if created
                 else (None, _given_axes(axes, len(panels))))
    fig = fig or axes[0].figure
    keys = claim_keys(fit.ledger)
    marks, no_claim, beyond = [], False, False
    for ax, (quantity, scope) in zip(axes, panels, strict=True):
        years, q, prior_only = _band_quantiles(fit, summary, quantity, scope)
        mine = claims[(claims["quantity"] == quantity) & (claims["scope"] == scope)]
        own = (ref[(ref["quantity"] == quantity) & (ref["scope"] == scope)]
               if ref is not None else None)
        shaded = _shade_years(ax, years, _panel_evidence(fit, quantity, scope, years))
        no_claim, beyond = no_claim or shaded[0], beyond or shaded[1]
        _draw_bands(ax, years, q)
        dodges = claim_dodge(mine, width=_dodge_width(ax, years))
        for dodge, claim in zip(dodges, mine.itertuples(index=False), strict=True):
            x, y, transform = draw_claim(ax, claim, styles[claim.estimator], dodge=dodge)
            marks.append((ax, x, y, transform, str(keys[claim.id]), "0.15"))
        shown = years
        if own is not None and len(own):
            for label, rows in own.groupby("label", sort=False):
                _draw_reference(ax, rows, ref_styles[str(label)], str(label))
            span = np.r_[years, own["year"].to_numpy(int)]
            shown = np.arange(span.min(), span.max() + 1)
        _series_axes(ax, quantity, shown)
        _thin_year_ticks(ax, shown)
        _x_room(ax, shown)
        label = panel_title(_SHORT_LABELS[quantity], scope, scope_label(scope, fit.config))
        ax.set_title(label + ("\nhost split from the prior only" if prior_only else ""),
                     loc="left")
        low, high, room_low, room_high = _value_range(q, mine)
        if own is not None and len(own):
            values = own["value"].to_numpy(float)
            values = values[values > 0] if use_log else values
            if len(values):
                low, high = min(low, float(values.min())), max(high, float(values.max()))
        value_limits(ax, low, high, log=use_log, room_low=room_low, room_high=room_high)
    entries = [*band_handles(no_claim=no_claim, beyond_fit=beyond), *who, *kinds,
               *((_reference_handle(style), label) for label, style in ref_styles.items())]
    legend_below(fig, entries, axes=None if created else axes)
    if not per_estimator and created:
        place_keys(fig, marks)
    return fig


def _panel_evidence(fit: Fit, quantity: str, scope: str, years: np.ndarray) -> np.ndarray:
    """What informs each year of one panel (``posterior.year_evidence``), on the panel's years."""
    hosts = None if scope == WORLD else sorted(_members(scope, fit))
    evidence = year_evidence(fit, quantity, hosts)
    by_year = dict(zip(np.asarray(fit.years).tolist(), evidence, strict=True))
    return np.array([by_year.get(int(y), "beyond fit") for y in years], dtype=object)


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

    # PyMC only when a prior predictive is drawn: plotting a fit needs none.
    from remitest.model import build_model

    config = config or ModelConfig()
    quantities = ("workers", "remittances_usd")
    model = build_model(ledger, config)
    with model:
        prior = pm.sample_prior_predictive(draws=draws, random_seed=random_seed,
                                           var_names=list(quantities)).prior
    structure = model_structure(ledger, config)
    claims = as_read(ledger.to_frame(), config)
    claims = claims[claims["quantity"].isin(quantities) & (claims["scope"] == WORLD)]
    created = axes is None
    fig, axes = _new_axes(2, width=7.0, height=3.0) if created else (
        None, _given_axes(axes, 2))
    fig = fig or axes[0].figure
    kinds = kind_handles(claims)
    per_estimator = by_estimator(claims)
    styles = claim_styles(claims, ledger=ledger)
    keys = claim_keys(ledger)
    years = np.asarray(structure.years)
    marks, no_claim = [], False
    for ax, quantity in zip(axes, quantities, strict=True):
        values = prior[quantity].transpose("chain", "draw", "year").values
        mine = claims[claims["quantity"] == quantity]
        no_claim |= _shade_extrapolation(ax, years, _claims_per_year(mine, years))
        _draw_bands(ax, years, _quantiles(values))
        for dodge, claim in zip(claim_dodge(mine), mine.itertuples(index=False), strict=True):
            x, y, transform = draw_claim(ax, claim, styles[claim.estimator], dodge=dodge)
            marks.append((ax, x, y, transform, str(keys[claim.id]), "0.15"))
        _series_axes(ax, quantity, years, log=True)
        ax.set_title(f"{QUANTITY_LABELS[quantity]}, world: prior predictive", loc="left")
    entries = [*band_handles(no_claim=no_claim, what="prior"),
               *who_handles(claims, styles, per_estimator=per_estimator), *kinds]
    legend_below(fig, entries, axes=None if created else axes)
    if not per_estimator and created:
        place_keys(fig, marks)
    return fig


def _prior_panels(fit: Fit) -> list[tuple[str, str]]:
    """The panels of :func:`plot_prior_series`: world workers, each host's, world remittances."""
    return [("workers", WORLD), *(("workers", h) for h in fit.hosts), ("remittances_usd", WORLD)]


@_styled
def plot_prior_series(fit: Fit, *, random_seed: Any = 0, axes: Any = None) -> Figure:
    """The prior of the yearly series: what the configured priors allow before any claim.

    Median and 50%/90% bands by year of world workers, each host's workers and world
    remittances, from ``fit.series(..., prior=True)`` (``posterior.PRIOR_DRAWS`` seeded draws of
    the model's priors through its forward functions). The workers' panels share one log axis;
    a dotted line marks the pin year, where each walk's level is a parameter.

    Parameters
    ----------
    fit : Fit
        Any fit: the prior depends only on its years, hosts, pin year and configuration.
    random_seed : int or numpy.random.Generator
        Seeds the prior draws.
    axes : sequence of matplotlib Axes, optional
        One per panel (world workers, each host, world remittances); a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = _prior_panels(fit)
    created = axes is None
    fig, axes = (_new_axes(len(panels), ncols=3, width=7.0, height=2.0) if created
                 else (None, _given_axes(axes, len(panels))))
    fig = fig or axes[0].figure
    years = np.asarray(fit.years)
    worker_limits: list[float] = []
    for ax, (quantity, scope) in zip(axes, panels, strict=True):
        table = fit.series(quantity, scope, prior=True, random_seed=random_seed)
        _draw_bands(ax, years, {c: table[c].to_numpy() for c in
                                ("q05", "q25", "median", "q75", "q95")})
        ax.axvline(fit.structure.pin_year, color="0.3", lw=0.6, ls=":", zorder=1)
        _series_axes(ax, quantity, years, log=True)
        ax.set_title(panel_title(_SHORT_LABELS[quantity], scope, scope_label(scope, fit.config)),
                     loc="left")
        if quantity == "workers":
            worker_limits += [float(table["q05"].min()), float(table["q95"].max())]
    for ax, (quantity, _) in zip(axes, panels, strict=True):
        if quantity == "workers":  # one axis, so that the hosts read against the world
            ax.set_ylim(min(worker_limits) / 1.3, max(worker_limits) * 1.3)
    pin = Line2D([], [], color="0.3", lw=0.6, ls=":")
    legend_below(fig, [*band_handles(what="prior"), (pin, f"pin year ({fit.structure.pin_year})")],
                 axes=None if created else axes)
    return fig
