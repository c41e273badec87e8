"""Interpretation and prior sensitivity: refit under a grid of configurations, compare medians."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.ticker import LogLocator, NullLocator

from remitest.checks._figures import FONT_SIZE, GRID_COLOUR, new_figure, styled
from remitest.checks._sweep import make_tasks, run_tasks, series_summary, sweep_config, warn_failed
from remitest.checks.result import DerivedCheckResult
from remitest.config import ModelConfig
from remitest.ledger import Ledger
from remitest.plots import BAND_COLOUR, QUANTITY_LABELS, _unit_formatter

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "SENSITIVITY_COLUMNS",
    "SensitivityResult",
    "interpretation_grid",
    "prior_grid",
    "sensitivity",
]

SENSITIVITY_COLUMNS = (
    "config", "group", "year", "quantity", "median", "q05", "q95", "shift", "diagnostics_passed",
)  # fmt: skip

REFERENCE = "default"


def interpretation_grid(base: ModelConfig | None = None) -> dict[str, ModelConfig]:
    """The claim readings to compare, each a change of ``base`` (default ``ModelConfig()``).

    ``"default"`` is ``base`` itself; then upper bounds censored, lower bounds read as interval
    ends, both switched, range coverage 0.5 and 0.9, bound ratio 1.25 and 2, the bound ratio's own
    uncertainty off and doubled, qualifiers read as exact, and each non-reference measure's
    offset moved to the edges of its prior's 90% interval.
    """
    base = base or ModelConfig()
    changes = {
        REFERENCE: {},
        "upper bounds censored": {"upper_bound": "censored"},
        "lower bounds as interval ends": {"lower_bound": "interval_end"},
        "both bound readings switched": {"upper_bound": "censored", "lower_bound": "interval_end"},
        "range coverage 0.5": {"range_coverage": 0.5},
        "range coverage 0.9": {"range_coverage": 0.9},
        "bound ratio 1.25": {"bound_ratio": 1.25},
        "bound ratio 2": {"bound_ratio": 2.0},
        "bound ratio sd 0 (exact)": {"bound_ratio_log_sd": 1e-9},
        "bound ratio sd doubled": {
            "bound_ratio_log_sd": 2 * base.interpretation.bound_ratio_log_sd
        },
        "qualifiers exact": {"qualifier_sd": {}, "qualifier_default_sd": 0.0},
    }
    grid = {name: base.replace(interpretation=change) for name, change in changes.items()}
    for name, measure in base.measures.items():  # an offset is an interpretation too
        for label, factor in (("low", np.exp(-1.645 * measure.log_sd)),
                              ("high", np.exp(1.645 * measure.log_sd))):
            grid[f"{name} offset x{measure.median * factor:.2g} ({label})"] = base.replace(
                measures={name: {**dataclasses.asdict(measure),
                                 "median": measure.median * factor}}
            )
    return grid


def prior_grid(base: ModelConfig | None = None) -> dict[str, ModelConfig]:
    """Priors halved and doubled: workers' median, bias spread, noise, the field's shift.

    The field's shift (when the model has one) sets how far the level may sit from what the
    sources together say.
    """
    base = base or ModelConfig()
    p = base.priors
    grid = {}
    for factor, label in ((0.5, "\u00d70.5"), (2.0, "\u00d72")):
        grid[f"workers prior median {label}"] = {"workers_median": p.workers_median * factor}
        grid[f"bias spread median {label}"] = {"bias_sd_median": p.bias_sd_median * factor}
        grid[f"noise median {label}"] = {"noise_median": p.noise_median * factor}
        if p.field_shift_log_sd > 0:
            grid[f"field shift sd {label}"] = {
                "field_shift_log_sd": p.field_shift_log_sd * factor}
    order = sorted(grid, key=lambda name: name.split(" \u00d7")[0])  # pair x0.5 with x2
    return {name: base.replace(priors=grid[name]) for name in order}


@dataclass(frozen=True)
class SensitivityResult(DerivedCheckResult):
    """Posterior summaries of the world series under each configuration.

    A :class:`~remitest.checks.CheckResult` that informs (``passed`` None): it says how much the
    answer depends on a reading, not which reading is right. ``figures``: ``plot()`` at
    ``default_year``, drawn on first access.

    Attributes
    ----------
    table : DataFrame
        ``SENSITIVITY_COLUMNS``, one row per configuration x year x quantity: ``median``,
        ``q05``, ``q95`` (base units), ``shift`` = median / reference median - 1, ``group``
        ("interpretation", "prior" or "custom").
    reference : str
        The configuration that shifts are measured against.
    default_year : int
        Year the figure shows unless told otherwise: the latest year a claim describes.
    """

    reference: str
    default_year: int
    configs: dict[str, str] = field(default_factory=dict, repr=False)

    def plot(
        self,
        *,
        ax: Axes | None = None,
        year: int | None = None,
        quantities: tuple[str, ...] = ("workers", "remittances_usd"),
    ) -> Figure:
        """Median and 90% interval per configuration at ``year`` (forest plot per quantity)."""
        return _plot_forest(self, year=self.default_year if year is None else year,
                            quantities=quantities, ax=ax)

    def _name(self) -> str:
        return "sensitivity"

    def _describe(self) -> str:
        table = self.table[self.table["quantity"] != "per_worker_usd"]
        worst = table.loc[table["shift"].abs().sort_values(ascending=False).index[:3]]
        return (f"{table['config'].nunique()} configurations against {self.reference!r}. "
                "Largest shifts of a world median: " + "; ".join(
                    f"{r.config}, {r.quantity} {r.year}: {100 * r.shift:+.0f}%"
                    for r in worst.itertuples()) + ".")


def sensitivity(
    ledger: Ledger,
    configs: Mapping[str, ModelConfig] | None = None,
    *,
    reference: str | None = None,
    executor: Executor | None = None,
    random_seed: int = 0,
    draws: int = 1000,
    tune: int = 1000,
) -> SensitivityResult:
    """Refit ``ledger`` under each configuration and compare the world series.

    Parameters
    ----------
    ledger : Ledger
    configs : mapping of str to ModelConfig, optional
        Default: ``interpretation_grid() | prior_grid()``. Each keeps its own years unless set;
        the ledger's years are fixed in every one so the tables line up.
    reference : str, optional
        Name of the configuration shifts are measured against: ``"default"`` when present,
        else the first.
    executor : concurrent.futures.Executor, optional
        One task per configuration; None fits serially in this process.
    random_seed : int
        The same seed for every fit.
    draws, tune : int

    Returns
    -------
    SensitivityResult
    """
    if configs is None:
        configs = {**interpretation_grid(), **prior_grid()}
    if not configs:
        raise ValueError("sensitivity: configs is empty; pass at least one ModelConfig")
    reference = reference or (REFERENCE if REFERENCE in configs else next(iter(configs)))
    if reference not in configs:
        raise ValueError(f"reference = {reference!r}: not one of the configs {list(configs)}")
    names = list(configs)
    tasks = []
    for name in names:
        config = sweep_config(configs[name], ledger)
        tasks += make_tasks([ledger], config, structure_ledger=ledger, seeds=[random_seed],
                            draws=draws, tune=tune)
    results = run_tasks(tasks, series_summary, executor=executor)
    warn_failed("sensitivity", names, [d for _, d in results])
    interp, priors = set(interpretation_grid()), set(prior_grid())
    groups = {n: "interpretation" if n in interp else "prior" if n in priors else "custom"
              for n in names}
    frames = [summary.assign(config=name, group=groups[name], diagnostics_passed=d["passed"])
              for name, (summary, d) in zip(names, results, strict=True)]
    table = pd.concat(frames, ignore_index=True)
    base = table[table["config"] == reference].set_index(["year", "quantity"])["median"]
    table["shift"] = table["median"].to_numpy() / base.loc[
        list(zip(table["year"], table["quantity"], strict=True))].to_numpy() - 1.0
    # Shown by default: the pin year, in the middle of the data. The last year is mostly
    # extrapolation, where every configuration looks alike.
    pin_year = sweep_config(configs[reference], ledger).pin_year
    return SensitivityResult(table=table[list(SENSITIVITY_COLUMNS)], reference=reference,
                             default_year=int(pin_year), configs=groups)


@styled
def _plot_forest(result: SensitivityResult, *, year: int, quantities: tuple[str, ...],
                 ax: Axes | None) -> Figure:
    table = result.table[result.table["year"] == year]
    if table.empty:
        raise ValueError(f"year = {year}: not in the table's years "
                         f"{sorted(result.table['year'].unique())}")
    names = list(dict.fromkeys(table["config"]))
    if ax is None:
        fig = new_figure(7.0, 0.26 * len(names) + 1.3)
        axes = list(fig.subplots(1, len(quantities), sharey=True, squeeze=False).ravel())
    else:
        axes, fig = [ax], ax.figure
        quantities = quantities[:1]
    y = -np.arange(len(names), dtype=float)
    groups = [result.configs.get(n, "custom") for n in names]
    breaks = [i for i in range(1, len(names)) if groups[i] != groups[i - 1]]
    for ax_, quantity in zip(axes, quantities, strict=True):
        rows = table[table["quantity"] == quantity].set_index("config").loc[names]
        ref = rows.loc[result.reference]
        ax_.axvspan(ref["q05"], ref["q95"], color=BAND_COLOUR, alpha=0.08, lw=0)
        ax_.axvline(ref["median"], color=BAND_COLOUR, lw=0.8, ls="--")
        is_ref = np.array([n == result.reference for n in names])
        ax_.hlines(y, rows["q05"], rows["q95"], color=np.where(is_ref, BAND_COLOUR, "0.35"),
                   lw=1.2)
        ax_.plot(rows["median"], y, ls="", marker="o", ms=4.5, color="0.15", zorder=3)
        ax_.plot(rows["median"][is_ref], y[is_ref], ls="", marker="o", ms=5, color=BAND_COLOUR,
                 zorder=4)
        for b in breaks:
            ax_.axhline(y[b] + 0.5, color="0.75", lw=0.6)
        ax_.set_xscale("log")
        ax_.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax_.xaxis.set_major_formatter(_unit_formatter(quantity))
        ax_.xaxis.set_minor_locator(NullLocator())
        unit = "thousand persons" if quantity == "workers" else "US$ million per year"
        ax_.set_title(f"{QUANTITY_LABELS[quantity]}, {year}", loc="left")
        ax_.set_xlabel(unit)
        ax_.grid(axis="x", color=GRID_COLOUR, lw=0.5)
        ax_.set_axisbelow(True)
        ax_.spines["left"].set_visible(False)
        ax_.tick_params(axis="y", length=0)
    axes[0].set_yticks(y, names)
    axes[0].set_ylim(y.min() - 0.6, 0.6)
    fig.suptitle(f"Sensitivity: posterior median and 90% interval under each configuration "
                 f"(dashed line and band: {result.reference})", x=0.01, ha="left",
                 fontsize=FONT_SIZE + 0.5)
    return fig
