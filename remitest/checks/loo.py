"""Pointwise log-likelihood of each original claim, and PSIS-LOO over the claims.

When PSIS-LOO is meaningful here
--------------------------------
PSIS-LOO approximates refitting without one claim by reweighting the full posterior's draws. That
works when leaving the claim out moves the posterior little. A ledger of about ten claims, each
the only evidence for some year, estimator or quantity, is the opposite case: most claims *are*
what the posterior rests on, and their Pareto ``k`` is expected to exceed 0.7. A high ``k`` then
says "this claim is what the fit rests on", not "the model is wrong"; the honest leave-one-out
answer for such a claim is a refit, which :func:`remitest.checks.influence` does. ``elpd_loo``
is meaningful for comparing models only when every ``k`` is below 0.7.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from remitest.checks._figures import GRID_COLOUR, new_figure, styled
from remitest.checks.result import DerivedCheckResult
from remitest.fitrecord import Fit
from remitest.plots import estimator_styles
from remitest.predictive import claim_distribution

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["K_HIGH", "LooResult", "loo", "pointwise_log_likelihood"]

K_HIGH = 0.7  # Pareto k above which the importance-sampling estimate is unreliable


def pointwise_log_likelihood(fit: Fit) -> xr.Dataset:
    """Log-likelihood of each original claim in every posterior draw, as the model reads it.

    A gaussian claim (point, range, bound read as an interval end) contributes the normal log
    density of its log belief median; a censored bound contributes ``log Phi(d (m - bound) / s)``
    (``d`` = +1 for "more than", -1 for "as high as"). Locations ``m`` and scales ``s`` come from
    :func:`remitest.predictive.claim_distribution`, the code that predictions use.

    Parameters
    ----------
    fit : Fit

    Returns
    -------
    xarray.Dataset
        One variable ``claims`` on ``(chain, draw, claim)`` (natural log, per claim); ``claim``
        holds the original claims' ids in ledger order. Repeats add no evidence and are absent.
    """
    originals = fit.ledger.originals()
    dist = claim_distribution(fit, originals)
    log_lik = dist.log_density()
    chains = fit.idata.posterior.sizes["chain"]
    draws = fit.idata.posterior.sizes["draw"]
    return xr.Dataset(
        {"claims": (("chain", "draw", "claim"), log_lik.reshape(chains, draws, -1))},
        coords={
            "chain": fit.idata.posterior["chain"].to_numpy(),
            "draw": fit.idata.posterior["draw"].to_numpy(),
            "claim": dist.ids,
        },
    )


@dataclass(frozen=True)
class LooResult(DerivedCheckResult):
    """PSIS-LOO of each original claim (a :class:`~remitest.checks.CheckResult`).

    ``passed``: no claim has Pareto k above ``K_HIGH`` (0.7), so ``elpd_loo`` can be trusted
    (see the module notes: on a small ledger a high k says the fit rests on the claim).
    ``figures``: ``plot()``, drawn on first access.

    Attributes
    ----------
    table : DataFrame
        ``id, quantity, estimator, elpd_loo_i, pareto_k, k_high`` (``k_high``: k > 0.7).
    elpd : arviz_stats.ELPDDataLOO
        ArviZ's result (``elpd``, ``se``, ``p``, pointwise ``elpd_i`` and ``pareto_k``).
    estimators : tuple of str
        The fit's ledger's estimators, in ledger order (the order that gives each its colour
        and marker in the run's figures).
    estimator_types : tuple of str
        The type of each estimator, aligned with ``estimators``; with it the figure draws each
        estimator as every figure of the run does (``remitest.plots.estimator_styles``).
    """

    elpd: Any
    estimators: tuple[str, ...] = ()
    estimator_types: tuple[str, ...] = ()

    @property
    def summary(self) -> dict[str, float]:
        """``elpd_loo``, its standard error, ``p_loo`` and the number of high-k claims."""
        return {
            "elpd_loo": float(self.elpd.elpd),
            "se": float(self.elpd.se),
            "p_loo": float(self.elpd.p),
            "n_k_high": int(self.table["k_high"].sum()),
            "n_claims": len(self.table),
        }

    def plot(self, *, ax: Axes | None = None) -> Figure:
        """Pareto k of each claim, with the 0.7 threshold (see the module notes)."""
        return _plot_pareto_k(self.table, self.estimators, self.estimator_types, ax=ax)

    def _name(self) -> str:
        return "loo"

    def _judge(self) -> bool | None:
        return None if self.table.empty else not self.table["k_high"].any()

    def _describe(self) -> str:
        s = self.summary
        high = self.table[self.table["k_high"]]
        return (f"elpd_loo {s['elpd_loo']:.1f} (se {s['se']:.1f}), p_loo {s['p_loo']:.1f}. "
                f"{s['n_k_high']} of {s['n_claims']} claims have Pareto k > {K_HIGH}"
                + (": " + ", ".join(f"{r.id} ({r.pareto_k:.2f})" for r in high.itertuples())
                   if len(high) else "") + ". High k here means the fit rests on that claim; "
                "read the influence tables, not elpd_loo, for those claims.")


def loo(fit: Fit) -> LooResult:
    """PSIS-LOO over the original claims (see the module notes on when it is meaningful).

    The pointwise log-likelihood (:func:`pointwise_log_likelihood`) is attached as the
    ``log_likelihood`` group of a copy of ``fit.idata``; ``fit`` is not changed. ArviZ's warning
    about high Pareto k is not repeated: ``table["k_high"]`` names those claims.

    Parameters
    ----------
    fit : Fit

    Returns
    -------
    LooResult
    """
    idata = fit.idata.copy()  # shallow: a new tree over the same draws
    idata["log_likelihood"] = xr.DataTree(pointwise_log_likelihood(fit))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Pp]areto.*", category=UserWarning)
        elpd = az.loo(idata, pointwise=True, var_name="claims")
    frame = fit.ledger.originals().to_frame().set_index("id")
    ids = elpd.elpd_i["claim"].to_numpy().astype(str)
    k = np.asarray(elpd.pareto_k, dtype=float)
    table = pd.DataFrame(
        {
            "id": ids,
            "quantity": frame.loc[ids, "quantity"].to_numpy(),
            "estimator": frame.loc[ids, "estimator"].to_numpy(),
            "elpd_loo_i": np.asarray(elpd.elpd_i, dtype=float),
            "pareto_k": k,
            "k_high": k > K_HIGH,
        }
    )
    everyone = fit.ledger.estimators()  # the ledger's order: the run's figures' colours
    return LooResult(table=table, elpd=elpd, estimators=tuple(everyone["estimator"]),
                     estimator_types=tuple(everyone["estimator_type"]))


@styled
def _plot_pareto_k(table: pd.DataFrame, estimators: tuple[str, ...],
                   estimator_types: tuple[str, ...] = (), *, ax: Axes | None) -> Figure:
    typed = len(estimator_types) == len(estimators) and estimators
    styles = (estimator_styles(estimators, estimator_types) if typed
              else estimator_styles(estimators))
    if ax is None:
        fig = new_figure(6.0, 0.28 * len(table) + 1.3)
        ax = fig.add_subplot()
    fig = ax.figure
    y = -np.arange(len(table), dtype=float)
    for yi, row in zip(y, table.itertuples(index=False), strict=True):
        style = styles.get(row.estimator, {"color": "0.3", "marker": "o"})
        ax.plot([0, row.pareto_k], [yi, yi], color="0.75", lw=0.8, zorder=1)
        ax.plot(row.pareto_k, yi, ls="", marker=style["marker"], color=style["color"], ms=6,
                mfc=style["color"] if row.k_high else "white", mew=1.2, zorder=3)
    ax.axvline(K_HIGH, color="0.3", lw=0.8, ls="--")
    ax.text(K_HIGH, 1.0, "k = 0.7", transform=ax.get_xaxis_transform(), fontsize=6.5,
            color="0.3", ha="center", va="bottom")
    ax.set_yticks(y, table["id"].tolist())
    ax.tick_params(axis="y", length=0)
    high = max(1.0, float(np.nanmax(table["pareto_k"])) + 0.1) if len(table) else 1.0
    ax.set_xlim(min(0.0, float(np.nanmin(table["pareto_k"])) - 0.1) if len(table) else 0, high)
    ax.set_ylim(y.min() - 0.7 if len(y) else -1, 0.7)
    ax.set_xlabel("Pareto k of the claim's importance weights\n(filled: k > 0.7, the fit rests "
                  "on the claim: PSIS-LOO is unreliable, see influence)")
    ax.set_title("PSIS-LOO: how much each claim carries the fit", loc="left")
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color=GRID_COLOUR, lw=0.5)
    ax.set_axisbelow(True)
    return fig
