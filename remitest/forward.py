"""The forward model's latent series, written once over an array namespace (numpy or PyTensor).

``remitest.model`` builds its PyMC graph through these functions (``xp = pytensor.tensor``); the
kernel's expansion of draws, the prior draws of ``remitest.posterior``, the extrapolation of
``remitest.extrapolate`` and the simulator call them with numpy, over any leading sample axes.
Only the numba kernel's density and gradient are a second writing, guarded by parity tests.

How a claim's observation is distributed around its location and scale is here too, in numpy
(:func:`claim_log_density`, :func:`claim_cdf`, :func:`claim_draw`, with the outlier mixture of
``priors.claim_outlier_weight``): predictions, cross-validation, LOO and the model's simulator
read it; the PyMC model writes the same likelihood in its own distributions.

The latent structure (``host_shares="walk"``)::

    log world(t)   = pinned walk: level at the pin year, steps sd x event scale x z + log(change)
    a_h(t)         = pinned walk of host h's additive log-ratio against the reference host (the
                     last configured host, whose a is 0), fixed step size x event scale
    share_h(t)     = w_h exp(a_h(t)) / sum_k w_k exp(a_k(t)),  w = Gamma weights (a Dirichlet)
    workers_h(t)   = world(t) x share_h(t)

The world is ``exp(world walk)`` exactly, so its prior is the walk's (log-symmetric, median
constant); shifting the world walk changes every host and every world claim, and shifting a
log-ratio changes the split, so no direction of the latent space is one that no claim can move.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

__all__ = [
    "pinned_walk", "host_log_ratios", "host_shares", "compose", "claim_location", "claim_scale",
    "claim_log_density", "claim_cdf", "claim_draw",
]


def pinned_walk(level: Any, step_sd: Any, z: Any, scale: Any, pin: int, mean: Any = 0.0,
                xp: Any = np) -> Any:
    """Log series pinned at ``pin``: ``level + C[t] - C[pin]``, C the cumulative steps.

    Steps (the last axis of ``z``) are ``step_sd x scale x z + mean``; ``level`` and
    ``step_sd`` carry the leading axes of ``z`` without its last one (or broadcast to them).
    """
    steps = step_sd[..., None] * scale * z + mean
    cum = xp.cumsum(steps, axis=-1)
    cum = xp.concatenate([xp.zeros_like(cum[..., :1]), cum], axis=-1)
    return level[..., None] + cum - cum[..., pin : pin + 1]


def host_log_ratios(host_z: Any, host_sd: float, host_scale: Any, host_mean: Any, pin: int,
                    xp: Any = np) -> Any:
    """Each host's log-ratio walk against the reference, shape (..., H, T); the last row is 0.

    ``host_z`` has shape (..., H - 1, T - 1): the non-reference hosts' standardised steps.
    """
    zero = host_z[..., 0] * 0.0
    walks = pinned_walk(zero, zero + host_sd, host_z, host_scale, pin, host_mean, xp)
    return xp.concatenate([walks, xp.zeros_like(walks[..., :1, :])], axis=-2)


def host_shares(weight: Any, log_ratio: Any | None, n_years: int, xp: Any = np) -> Any:
    """Shares by year, shape (..., H, T): ``w_h exp(a_h(t))`` normalised over the hosts.

    ``log_ratio`` None means constant shares (``host_shares="constant"``).
    """
    if log_ratio is None:
        share = weight / weight.sum(axis=-1, keepdims=True)
        return share[..., :, None] * xp.ones(n_years)
    raw = weight[..., :, None] * xp.exp(log_ratio)
    return raw / raw.sum(axis=-2, keepdims=True)


def compose(log_world: Any, share_by_year: Any, xp: Any = np) -> Any:
    """Workers in each host, shape (..., H, T): the world times each host's share that year."""
    return share_by_year * xp.exp(log_world)[..., None, :]


def claim_location(workers_host: np.ndarray, per_worker: np.ndarray, window: np.ndarray,
                   scope: np.ndarray, quantity: np.ndarray, bias: np.ndarray,
                   reading_z: np.ndarray | None = None,
                   reading: np.ndarray | None = None) -> np.ndarray:
    """Each claim's location on the log scale, over any leading sample axes (numpy).

    ``log(window mean of the series summed over the claim's scope) + bias + readings``: what the
    likelihood compares a claim's value with (``remitest.model._predicted_log`` and the kernel
    are its other writings, kept equal by tests). Per-worker amounts are the same in every host,
    so their scope weights average (``claims.scope_weights``).

    Parameters
    ----------
    workers_host : ndarray, shape (..., H, T)
    per_worker : ndarray, shape (..., T)
    window, scope : ndarray, shapes (n, T) and (n, H)
    quantity : ndarray of int, shape (n,)
        Index into ``QUANTITIES`` (workers, remittances_usd, per_worker_usd).
    bias : ndarray, shape (..., n)
        Each claim's estimator bias for its quantity.
    reading_z, reading : ndarray, shapes (..., R) and (n, R), optional
        The shared readings and each claim's loadings on them.

    Returns
    -------
    ndarray, shape (..., n)
    """
    lead = per_worker.shape[:-1]
    n_hosts, n_years = workers_host.shape[-2:]
    design = (scope[:, :, None] * window[:, None, :]).reshape(len(window), n_hosts * n_years)
    flat_workers = workers_host.reshape(-1, n_hosts * n_years)
    flat_remit = (workers_host * per_worker[..., None, :]).reshape(-1, n_hosts * n_years)
    flat_pw = per_worker.reshape(-1, n_years)
    measured = np.stack([flat_workers @ design.T, flat_remit @ design.T,
                         flat_pw @ (window * scope.sum(axis=1, keepdims=True)).T], axis=1)
    measured = measured[:, np.asarray(quantity), np.arange(len(window))]
    location = np.log(measured).reshape(*lead, len(window)) + bias
    if reading_z is not None and reading is not None:
        location = location + reading_z @ np.asarray(reading).T
    return location


def claim_scale(noise: Any, rounding_sd: float, spread: Any, xp: Any = np) -> Any:
    """Each claim's log-sd: ``sqrt(noise[type]^2 + rounding_sd^2 + spread^2)``."""
    return xp.sqrt(noise**2 + rounding_sd**2 + spread**2)


def _components(scale: Any, outlier_weight: float, outlier_sd: float
                ) -> list[tuple[float, Any]]:
    """The claim's mixture: (weight, log-sd) of the ordinary reading and, if any, the outlier's.

    An outlying claim (probability ``outlier_weight``) has ``outlier_sd`` more log-sd, added in
    quadrature; with ``outlier_weight`` 0 the claim is one normal, ``scale``.
    """
    if outlier_weight <= 0:
        return [(1.0, scale)]
    return [(1.0 - outlier_weight, scale),
            (outlier_weight, np.sqrt(np.asarray(scale) ** 2 + outlier_sd**2))]


def claim_log_density(value: Any, location: Any, scale: Any, direction: Any, *,
                      outlier_weight: float = 0.0, outlier_sd: float = 1.0) -> np.ndarray:
    """Log likelihood of each claim's observation, as the model reads it (numpy).

    A gaussian claim (``direction`` 0): the log density of ``value`` (per unit of log). A censored
    bound: the log probability of the side it states, above ``value`` for +1 ("more than"),
    below for -1 ("as high as"). Each is a mixture when ``outlier_weight`` > 0
    (``priors.claim_outlier_weight``).
    """
    value, location, direction = np.asarray(value), np.asarray(location), np.asarray(direction)
    logs, weights = [], []
    for weight, sd in _components(scale, outlier_weight, outlier_sd):
        z = (value - location) / sd
        logs.append(np.where(direction != 0, special.log_ndtr(-np.sign(direction) * z),
                             -0.5 * z**2 - np.log(sd) - 0.5 * np.log(2 * np.pi)))
        weights.append(weight)
    if len(logs) == 1:
        return logs[0]
    b = np.reshape(weights, (-1,) + (1,) * logs[0].ndim)
    return special.logsumexp(np.stack(logs), axis=0, b=b)


def claim_cdf(value: Any, location: Any, scale: Any, *, outlier_weight: float = 0.0,
              outlier_sd: float = 1.0) -> np.ndarray:
    """Predictive CDF of each claim's observation at ``value`` (numpy), mixture included."""
    return sum(weight * special.ndtr((np.asarray(value) - location) / sd)
               for weight, sd in _components(scale, outlier_weight, outlier_sd))


def claim_draw(location: Any, scale: Any, rng: np.random.Generator, *,
               outlier_weight: float = 0.0, outlier_sd: float = 1.0) -> np.ndarray:
    """One draw of each claim's observation (numpy): normal, or an outlier's wider normal.

    With ``outlier_weight`` 0 this is ``location + scale * rng.standard_normal(...)``, the same
    stream as before the option existed.
    """
    location, scale = np.broadcast_arrays(np.asarray(location, float), np.asarray(scale, float))
    noise = rng.standard_normal(location.shape)
    if outlier_weight <= 0:
        return location + scale * noise
    wide = rng.random(location.shape) < outlier_weight
    return location + np.where(wide, np.sqrt(scale**2 + outlier_sd**2), scale) * noise
