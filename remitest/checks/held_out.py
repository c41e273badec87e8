"""Held-out prediction: fit on the claims published up to a cut-off year, predict the later ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import transforms
from matplotlib.lines import Line2D

from remitest.checks._figures import GRID_COLOUR, new_figure, styled
from remitest.checks._sweep import sweep_config
from remitest.checks.result import DerivedCheckResult, binomial_band
from remitest.config import ModelConfig
from remitest.ledger import Ledger
from remitest.plots import _factor_axis, _right_labels, estimator_styles
from remitest.predictive import predict_claims
from remitest.reading import as_read
from remitest.sampling import fit

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["HeldOutResult", "held_out", "default_cutoff"]


@dataclass(frozen=True)
class HeldOutResult(DerivedCheckResult):
    """Later claims predicted from a fit to the earlier ones, as a ``CheckResult``.

    ``passed``: the 90% coverage of the gaussian-read later claims lies within the range that
    calibrated intervals give 90% of the time (:func:`~remitest.checks.result.binomial_band`);
    None when no later claim is scored. ``figures``: ``plot()``, drawn on first access.

    Attributes
    ----------
    table : DataFrame
        One row per held-out original claim: ``predict_claims`` columns (``pit``, ``pred_q05`` ...
        ``pred_q95``, base units) plus ``published``, ``reading`` ("gaussian" or "censored"),
        ``in_50`` and ``in_90`` (whether the reported value lies in the predictive 50% / 90%
        interval; NaN for a censored bound, whose figure is a threshold, not a draw).
    cutoff : int
        Claims published in or before this year were fitted.
    n_fitted : int
        Original claims in the fit.
    estimators : tuple of str
        Every estimator of the ledger, in ledger order (the order that gives each its colour
        and marker in the run's figures).
    estimator_types : tuple of str
        The type of each estimator, aligned with ``estimators``; with it the figure draws each
        estimator as every figure of the run does (``remitest.plots.estimator_styles``).
    """

    cutoff: int
    n_fitted: int
    estimators: tuple[str, ...] = ()
    estimator_types: tuple[str, ...] = ()

    @property
    def summary(self) -> dict[str, Any]:
        """Coverage of the 50% and 90% predictive intervals over the gaussian-read claims."""
        scored = self.table[self.table["reading"] == "gaussian"]
        return {
            "cutoff": self.cutoff,
            "n_fitted": self.n_fitted,
            "n_held_out": len(self.table),
            "n_scored": len(scored),
            "coverage_50": float(scored["in_50"].mean()) if len(scored) else float("nan"),
            "coverage_90": float(scored["in_90"].mean()) if len(scored) else float("nan"),
        }

    def plot(self, *, ax: Axes | None = None) -> Figure:
        """Each held-out claim against its predictive 50%/90% interval (as the ppc figure)."""
        return _plot_held_out(self, ax=ax)

    def _name(self) -> str:
        return "held_out"

    def _judge(self) -> bool | None:
        s = self.summary
        if s["n_scored"] == 0:
            return None
        low, high = binomial_band(s["n_scored"])
        return low <= s["coverage_90"] <= high

    def _describe(self) -> str:
        s = self.summary
        pit = ", ".join(f"{r.id} {r.pit:.2f}" for r in self.table.itertuples())
        low, high = binomial_band(s["n_scored"])
        band = (f" (calibrated 90% intervals cover {low:.2f}-{high:.2f} of them 90% of the time)"
                if s["n_scored"] else "")
        return (f"Fitted {s['n_fitted']} claims published up to {self.cutoff}; predicted "
                f"{s['n_held_out']} later claims. Coverage of the predictive 50% / 90% "
                f"intervals: {s['coverage_50']:.2f} / {s['coverage_90']:.2f} over "
                f"{s['n_scored']} claims{band}; PIT: {pit}.")


def default_cutoff(ledger: Ledger) -> int:
    """The latest publication year that still leaves max(2, 20%) of the original claims later."""
    published = np.sort(ledger.originals().published_year)
    if len(np.unique(published)) < 2:
        raise ValueError(
            "held_out: every original claim was published in the same year "
            f"({published[0] if len(published) else 'none'}); no cut-off separates them"
        )
    want = max(2, int(np.ceil(0.2 * len(published))))
    candidates = [y for y in np.unique(published)[:-1] if (published > y).sum() >= want]
    return int(candidates[-1] if candidates else np.unique(published)[-2])


def held_out(
    ledger: Ledger,
    *,
    cutoff: int,
    config: ModelConfig | None = None,
    random_seed: int = 0,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
) -> HeldOutResult:
    """Fit on the claims first published up to and including ``cutoff``; predict the later ones.

    Only original claims count (a repeat adds no evidence and is published after its original).
    The fit keeps the full ledger's years, so the later claims' reference years exist in it.
    A later claim by an estimator the early fit never saw is predicted with a fresh bias drawn
    from its type's hierarchy (see :func:`remitest.predictive.predict_claims`).

    Parameters
    ----------
    ledger : Ledger
    cutoff : int
        Year; claims whose ``published`` year is <= ``cutoff`` are fitted.
    config : ModelConfig, optional
    random_seed : int
        Seeds the fit and the predictive draws.
    draws, tune, chains : int

    Returns
    -------
    HeldOutResult

    Raises
    ------
    ValueError
        When no original claim falls on one side of the cut-off.
    """
    config = sweep_config(config or ModelConfig(), ledger)
    originals = ledger.originals()
    published = originals.published_year
    early, late = published <= cutoff, published > cutoff
    if not early.any() or not late.any():
        years = sorted(set(published.tolist()))
        side = "in or before" if not early.any() else "after"
        raise ValueError(
            f"held_out: no original claim was published {side} cutoff={cutoff}; the claims' "
            f"publication years are {years}, so choose a cutoff from {years[0]} to {years[-2]}"
            if len(years) > 1
            else f"held_out: no original claim was published {side} cutoff={cutoff}; every "
            f"claim was published in {years[0]}, so no cut-off separates them"
        )
    training, later = originals.filter(early), originals.filter(late)
    fitted = fit(training, config.replace(pin_year=None), draws=draws, tune=tune, chains=chains,
                 random_seed=random_seed, progressbar=False)
    seed = np.random.SeedSequence(random_seed, spawn_key=(2,))
    table = predict_claims(fitted, later, random_seed=np.random.default_rng(seed))
    frame = later.to_frame()
    table.insert(table.columns.get_loc("ref_end") + 1, "published", published[late])
    censored = as_read(frame, config)["censored"].to_numpy(bool)  # permits from 2020 too
    table["reading"] = np.where(censored, "censored", "gaussian")
    value = table["reported_value"]
    table["in_50"] = ((table["pred_q25"] <= value) & (value <= table["pred_q75"])).astype(float)
    table["in_90"] = ((table["pred_q05"] <= value) & (value <= table["pred_q95"])).astype(float)
    table.loc[table["reading"] == "censored", ["in_50", "in_90"]] = np.nan
    everyone = ledger.estimators()  # the ledger's order: the run's figures' colours
    return HeldOutResult(table=table, cutoff=int(cutoff), n_fitted=len(training),
                         estimators=tuple(everyone["estimator"]),
                         estimator_types=tuple(everyone["estimator_type"]))


@styled
def _plot_held_out(result: HeldOutResult, *, ax: Axes | None) -> Figure:
    table = result.table
    typed = len(result.estimator_types) == len(result.estimators) and result.estimators
    styles = (estimator_styles(result.estimators, result.estimator_types) if typed
              else estimator_styles(result.estimators))
    created = ax is None
    if created:
        fig = new_figure(6.5, 0.32 * len(table) + 1.5)
        ax = fig.add_subplot()
    fig = ax.figure
    y = -np.arange(len(table), dtype=float)
    median = table["pred_q50"].to_numpy(float)
    for yi, row, m in zip(y, table.itertuples(index=False), median, strict=True):
        ax.plot([row.pred_q05 / m, row.pred_q95 / m], [yi, yi], color="0.6", lw=1.0, zorder=1)
        ax.plot([row.pred_q25 / m, row.pred_q75 / m], [yi, yi], color="0.6", lw=4.0,
                solid_capstyle="butt", zorder=1)
        style = styles.get(row.estimator, {"color": "0.3", "marker": "o"})
        x = row.reported_value / m
        ax.plot([x], [yi], ls="", marker=style["marker"], color=style["color"], ms=5.5, zorder=3)
        if row.read_as in ("lower_bound", "upper_bound"):  # as the fit reads it
            head = transforms.offset_copy(ax.transData, fig=fig, units="points", y=0,
                                          x=14 if row.read_as == "lower_bound" else -14)
            ax.annotate("", xy=(x, yi), xycoords=head, xytext=(x, yi), textcoords="data",
                        arrowprops={"arrowstyle": "-|>", "color": style["color"], "lw": 1.0,
                                    "mutation_scale": 7, "shrinkA": 3, "shrinkB": 0})
    ax.set_yticks(y, [f"{i} ({p})" for i, p in zip(table["id"], table["published"], strict=True)])
    ax.tick_params(axis="y", length=0)
    _right_labels(ax, y, [f"{p:.2f}" for p in table["pit"]], title="predictive percentile")
    ax.axvline(1.0, color="0.3", lw=0.8, ls="--", zorder=0)
    _factor_axis(ax)
    ax.set_ylim(y.min() - 0.7, 0.7)
    ax.set_xlabel("reported value \u00f7 predictive median (fit to claims published "
                  f"\u2264 {result.cutoff})")
    s = result.summary
    ax.set_title(f"Held-out claims published after {result.cutoff}: {s['n_held_out']} predicted "
                 f"from {s['n_fitted']} earlier claims", loc="left")
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color=GRID_COLOUR, lw=0.5)
    ax.set_axisbelow(True)
    if created:
        handles = [Line2D([], [], color="0.6", lw=4.0, label="predictive 50%"),
                   Line2D([], [], color="0.6", lw=1.0, label="predictive 90%"),
                   Line2D([], [], ls="", marker="o", color="0.2", ms=5,
                          label="reported value (estimator's colour)")]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
    return fig
