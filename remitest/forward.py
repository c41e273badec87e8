"""The forward model's latent series, written once over an array namespace (numpy or PyTensor).

``remitest.model`` builds its PyMC graph through these functions (``xp = pytensor.tensor``); the
kernel's expansion of draws, the prior draws of ``remitest.posterior``, the extrapolation of
``remitest.extrapolate`` and the simulator call them with numpy, over any leading sample axes.
Only the numba kernel's density and gradient are a second writing, guarded by parity tests.

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

__all__ = ["pinned_walk", "host_log_ratios", "host_shares", "compose"]


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
