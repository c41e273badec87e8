"""How each claim is read: from ledger rows to arrays that the model and the predictions share.

Every claim becomes one of two observations on the log scale:

* **gaussian** -- a point, a range, or a bound read as an interval end. ``y`` is the log of the
  belief's median (the figure, a range's log-midpoint, or a bound moved inwards by
  ``log(bound_ratio)``) and ``spread`` is the belief's own log-sd (0 for a point, a range's
  half-width over the normal quantile of its coverage). The likelihood is
  ``y ~ Normal(log(true x bias), sqrt(noise^2 + rounding^2 + spread^2))``.
* **censored** -- a bound read as censored. ``bound`` is the log of the figure and ``direction``
  is +1 for "more than" (the belief lies above) and -1 for "as high as" (it lies below).

Keeping this in one pure-numpy module means the likelihood and the posterior predictive
percentiles cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from remitest.config import ModelConfig
from remitest.ledger import QUANTITIES

__all__ = ["ClaimArrays", "read_claims", "scope_weights", "window_weights", "normal_quantile"]


def normal_quantile(p: np.ndarray | float) -> np.ndarray:
    """Standard normal quantile (scipy's ``ndtri``)."""
    return special.ndtri(p)


@dataclass(frozen=True)
class ClaimArrays:
    """Claims of one likelihood block as aligned arrays (one entry per claim).

    Attributes
    ----------
    ids : ndarray of str
    quantity, estimator, estimator_type : ndarray of int
        Indices into ``QUANTITIES``, the model's estimators, and ``ESTIMATOR_TYPES``.
    window : ndarray, shape (n, n_years)
        Weights that average a yearly series over the claim's reference years.
    scope : ndarray, shape (n, n_hosts)
        Weights that sum host series over the claim's scope (averaged for per-worker amounts).
    value : ndarray
        Log of the observed figure: the belief median for gaussian claims, the bound for censored.
    spread : ndarray
        The belief's own log-sd (gaussian block; 0 for censored claims).
    direction : ndarray
        +1 lower bound, -1 upper bound (censored block; 0 for gaussian claims).
    reported : ndarray
        Log of the value at which the predictive percentile is taken (figure, log-midpoint or
        bound); ``reported - value`` is the offset from belief median to reported value.
    """

    ids: np.ndarray
    quantity: np.ndarray
    estimator: np.ndarray
    estimator_type: np.ndarray
    window: np.ndarray
    scope: np.ndarray
    value: np.ndarray
    spread: np.ndarray
    direction: np.ndarray
    reported: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def window_weights(ref_start: np.ndarray, ref_end: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Weights, shape (n, n_years), averaging each claim's reference years arithmetically."""
    years = np.asarray(years)
    inside = (years[None, :] >= np.asarray(ref_start)[:, None]) & (
        years[None, :] <= np.asarray(ref_end)[:, None]
    )
    counts = inside.sum(axis=1, keepdims=True)
    return np.divide(inside, counts, out=np.zeros(inside.shape), where=counts > 0)


def scope_weights(scopes: np.ndarray, quantities: np.ndarray, config: ModelConfig) -> np.ndarray:
    """Weights, shape (n, n_hosts): a claim measures the sum over the hosts of its scope.

    Per-worker amounts are the same in every host, so for them the weights average instead.
    """
    hosts = config.hosts
    members = {"world": hosts, **{h: (h,) for h in hosts}, **config.scope_groups}
    weights = np.zeros((len(scopes), len(hosts)))
    for i, (scope, quantity) in enumerate(zip(scopes, quantities, strict=True)):
        in_scope = [hosts.index(h) for h in members[scope]]
        weights[i, in_scope] = 1.0 / len(in_scope) if quantity == "per_worker_usd" else 1.0
    return weights


def _coverage(frame: pd.DataFrame, default: float) -> np.ndarray:
    return frame["coverage"].fillna(default).to_numpy(float)


def read_claims(
    frame: pd.DataFrame,
    config: ModelConfig,
    years: np.ndarray,
    estimators: tuple[str, ...],
) -> tuple[ClaimArrays, ClaimArrays]:
    """Split claims into the gaussian and censored blocks under ``config.interpretation``.

    Parameters
    ----------
    frame : DataFrame
        Ledger rows (``Ledger.to_frame()``), normally originals only.
    config : ModelConfig
    years : ndarray of int
        The model's years; every reference period must lie inside them.
    estimators : tuple of str
        The model's estimators (indices refer to this order).

    Returns
    -------
    gaussian, censored : ClaimArrays
    """
    from remitest.ledger import ESTIMATOR_TYPES

    interp = config.interpretation
    kind = frame["kind"].to_numpy(str)
    low = np.log(frame["low"].to_numpy(float))
    high = np.log(frame["high"].to_numpy(float))
    coverage = np.where(
        np.isin(kind, ["upper_bound", "lower_bound"]),
        frame["coverage"].fillna(interp.bound_coverage).to_numpy(float),
        _coverage(frame, interp.range_coverage),
    )
    z = normal_quantile(0.5 + coverage / 2)
    shift = np.log(interp.bound_ratio)

    censored = ((kind == "upper_bound") & (interp.upper_bound == "censored")) | (
        (kind == "lower_bound") & (interp.lower_bound == "censored")
    )
    with np.errstate(invalid="ignore"):
        median = np.select(
            [kind == "point", kind == "range", kind == "upper_bound", kind == "lower_bound"],
            [low, (low + high) / 2, high - shift, low + shift],
        )
        spread = np.select(
            [kind == "range", np.isin(kind, ["upper_bound", "lower_bound"])],
            [(high - low) / 2 / z, shift / z],
            default=0.0,
        )
        reported = np.select([kind == "upper_bound", kind == "lower_bound"], [high, low], median)
    direction = np.select([kind == "lower_bound", kind == "upper_bound"], [1.0, -1.0], 0.0)

    quantity = frame["quantity"].to_numpy(str)
    est_index = {e: i for i, e in enumerate(estimators)}
    common = {
        "ids": frame["id"].to_numpy(str),
        "quantity": np.array([QUANTITIES.index(q) for q in quantity], dtype=np.int64),
        "estimator": np.array([est_index[e] for e in frame["estimator"]], dtype=np.int64),
        "estimator_type": np.array(
            [ESTIMATOR_TYPES.index(t) for t in frame["estimator_type"]], dtype=np.int64
        ),
        "window": window_weights(
            frame["ref_start"].to_numpy(int), frame["ref_end"].to_numpy(int), years
        ).reshape(len(frame), len(years)),
        "scope": scope_weights(frame["scope"].to_numpy(str), quantity, config).reshape(
            len(frame), len(config.hosts)
        ),
        "reported": reported,
    }

    def block(mask: np.ndarray, value: np.ndarray) -> ClaimArrays:
        fields = {k: v[mask] for k, v in common.items()}
        return ClaimArrays(
            **fields,
            value=value[mask],
            spread=np.where(mask, spread, 0.0)[mask],
            direction=np.where(mask, direction, 0.0)[mask],
        )

    gaussian = block(~censored, median)
    bounds = np.where(kind == "lower_bound", low, high)
    cens = block(censored, bounds)
    cens = ClaimArrays(**{**cens.__dict__, "spread": np.zeros(len(cens))})
    gaussian = ClaimArrays(**{**gaussian.__dict__, "direction": np.zeros(len(gaussian))})
    return gaussian, cens
