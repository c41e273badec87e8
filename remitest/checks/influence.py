"""Influence: refit without each original claim (or each estimator) and compare yearly medians."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm

from remitest.checks._figures import DIVERGING_CMAP, new_figure, styled
from remitest.checks._sweep import make_tasks, run_tasks, series_summary, sweep_config, warn_failed
from remitest.checks.result import DerivedCheckResult
from remitest.config import ModelConfig
from remitest.ledger import QUANTITIES, WORLD, Ledger
from remitest.plots import QUANTITY_LABELS, scope_label

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["InfluenceResult", "influence", "INFLUENCE_COLUMNS"]

INFLUENCE_COLUMNS = (
    "left_out", "n_left_out", "year", "median_full", "median_without", "shift", "shift_mcse",
    "diagnostics_passed",
)  # fmt: skip


@dataclass(frozen=True)
class InfluenceResult(DerivedCheckResult):
    """Shift of each year's posterior median when one claim or estimator is left out.

    A :class:`~remitest.checks.CheckResult` that informs (``passed`` None): a large shift says
    the fit rests on the item, not that it is wrong. ``name``: ``"influence_claim"`` or
    ``"influence_estimator"``. ``figures``: ``plot()``, drawn on first access.

    Attributes
    ----------
    table : DataFrame
        ``INFLUENCE_COLUMNS``: ``left_out`` (claim id or estimator), ``n_left_out`` (original
        claims removed), ``year``, the posterior medians with and without (base units), ``shift``
        = median_without / median_full - 1, ``shift_mcse`` (its Monte Carlo standard error: a
        shift within ~2 of these is sampling noise), and whether the refit passed its gate.
    by : {"claim", "estimator"}
    quantity, scope : str
    """

    by: str
    quantity: str
    scope: str

    def largest(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` rows with the largest absolute shift."""
        order = self.table["shift"].abs().sort_values(ascending=False).index
        return self.table.loc[order[:n]]

    def plot(self, *, ax: Axes | None = None) -> Figure:
        """Heatmap of the relative shift, left-out item x year, centred at 0."""
        return _plot_heatmap(self, ax=ax)

    def _name(self) -> str:
        return f"influence_{self.by}"

    def _describe(self) -> str:
        from remitest.plots import QUANTITY_LABELS

        what = QUANTITY_LABELS.get(self.quantity, self.quantity).lower()
        where = "world" if self.scope == WORLD else self.scope
        return (f"Largest shifts of the {where} median of {what} when one {self.by} is left "
                "out: " + "; ".join(
                    f"{r.left_out}, {r.year}: {100 * r.shift:+.0f}% (\u00b1"
                    f"{100 * 2 * r.shift_mcse:.0f}% MC)" for r in self.largest(3).itertuples())
                + ".")


def _left_out_ledgers(ledger: Ledger, by: str) -> dict[str, Ledger]:
    originals = ledger.originals().to_frame()
    if by == "claim":
        return {claim_id: ledger.drop(claim_id) for claim_id in originals["id"]}
    return {
        estimator: ledger.filter(lambda f, e=estimator: (f["estimator"] != e).to_numpy())
        for estimator in dict.fromkeys(originals["estimator"])
    }


def influence(
    ledger: Ledger,
    *,
    by: Literal["claim", "estimator"] = "claim",
    config: ModelConfig | None = None,
    quantity: str = "workers",
    scope: str = WORLD,
    executor: Executor | None = None,
    random_seed: int = 0,
    draws: int = 1000,
    tune: int = 1000,
) -> InfluenceResult:
    """Refit without each original claim (with its repeats) or each estimator's claims.

    Every fit has the full ledger's years and pin year (:func:`~remitest.checks._sweep.
    sweep_config`): dropping the earliest or latest claim would otherwise move the years whose
    medians are compared, and moving the pin year would change the level's prior. Every fit uses
    ``random_seed`` (common random numbers), so a shift is the claim's effect plus Monte Carlo
    noise, whose size ``shift_mcse`` gives.

    Parameters
    ----------
    ledger : Ledger
    by : {"claim", "estimator"}
    config : ModelConfig, optional
    quantity : {"workers", "remittances_usd", "per_worker_usd"}
    scope : str
        ``"world"`` or a host.
    executor : concurrent.futures.Executor, optional
        Runs one task per fit (``ProcessPoolExecutor``, a dask client's ``get_executor()``);
        None fits serially in this process through one compiled sampler.
    random_seed : int
    draws, tune : int
        Per chain (4 chains).

    Returns
    -------
    InfluenceResult
    """
    if by not in ("claim", "estimator"):
        raise ValueError(f"by = {by!r}: must be 'claim' or 'estimator'")
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity = {quantity!r}: must be one of {list(QUANTITIES)}")
    config = sweep_config(config or ModelConfig(), ledger)
    if scope != WORLD and scope not in config.hosts:
        raise ValueError(f"scope = {scope!r}: must be 'world' or a host {list(config.hosts)}")
    left_out = _left_out_ledgers(ledger, by)
    ledgers = [ledger, *left_out.values()]
    tasks = make_tasks(ledgers, config, structure_ledger=ledger,
                       seeds=[random_seed] * len(ledgers), draws=draws, tune=tune)
    results = run_tasks(tasks, partial(series_summary, scope=scope), executor=executor)
    labels = ["full ledger", *left_out]
    warn_failed(f"influence by {by}", labels, [d for _, d in results])
    full = results[0][0].query("quantity == @quantity").reset_index(drop=True)
    n_originals = len(ledger.originals())
    rows = []
    for name, (summary, diagnostics) in zip(left_out, results[1:], strict=True):
        without = summary.query("quantity == @quantity").reset_index(drop=True)
        rows.append(pd.DataFrame({
            "left_out": name,
            "n_left_out": n_originals - len(left_out[name].originals()),
            "year": full["year"].to_numpy(int),
            "median_full": full["median"],
            "median_without": without["median"],
            "shift": without["median"] / full["median"] - 1.0,
            "shift_mcse": np.hypot(full["mcse_median"], without["mcse_median"]) / full["median"],
            "diagnostics_passed": diagnostics["passed"] and results[0][1]["passed"],
        }))  # fmt: skip
    table = pd.concat(rows, ignore_index=True)[list(INFLUENCE_COLUMNS)]
    return InfluenceResult(table=table, by=by, quantity=quantity, scope=scope)


@styled
def _plot_heatmap(result: InfluenceResult, *, ax: Axes | None) -> Figure:
    grid = result.table.pivot(index="left_out", columns="year", values="shift")
    grid = grid.loc[list(dict.fromkeys(result.table["left_out"]))]
    values = 100 * grid.to_numpy(float)
    limit = max(5.0, float(np.nanmax(np.abs(values))) if values.size else 5.0)
    created = ax is None
    if created:
        label_width = max(len(str(s)) for s in grid.index) * 0.055
        fig = new_figure(2.2 + label_width + 0.42 * grid.shape[1], 0.3 * grid.shape[0] + 1.4)
        ax = fig.add_subplot()
    fig = ax.figure
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    image = ax.imshow(values, cmap=DIVERGING_CMAP, norm=norm, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:+.0f}", ha="center", va="center", fontsize=6,
                    color="white" if abs(v) > 0.6 * limit else "0.15")
    ax.set_xticks(range(grid.shape[1]), [str(y) for y in grid.columns],
                  rotation=0 if grid.shape[1] <= 16 else 90)
    ax.set_yticks(range(grid.shape[0]), [str(s) for s in grid.index])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    what = QUANTITY_LABELS[result.quantity].lower()
    where = "world" if result.scope == WORLD else scope_label(result.scope)
    ax.set_title(f"Influence of each {result.by} on the median of {what} ({where})", loc="left")
    ax.set_xlabel("year")
    ax.set_ylabel(f"{result.by} left out")
    bar = fig.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
    bar.set_label("median without \u00f7 median with \u2212 1 (%)")
    bar.outline.set_visible(False)
    return fig
