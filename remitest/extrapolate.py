"""Years beyond the fit: every walk extended with steps drawn from its posterior step size.

A fit spans ``fit.years``. A claim for 2011, or a nowcast of the current year, needs the series
outside them. :func:`extend` continues, in every posterior draw,

* the world walk of workers and the walk of remittance per worker, with steps
  ``Normal(mean, step_sd x event scale)`` using that draw's step sizes (``mean`` is
  ``log(expected_change)`` of the events, for workers), and
* each walking host's share log-ratio against the reference host (``host_shares="walk"``), with
  steps ``Normal(mean, host_step_sd x event scale)``,

forwards from the last fitted year and backwards from the first, applying the configured events
that fall in those years (an event scales the step *into* its year). Each host is then the world
times its share (``remitest.forward``), so the world stays the sum of its hosts and remittances
stay workers x per-worker remittance in every draw. The intervals widen with the distance from
the data, as they should.
Nothing is refitted: a claim outside the fitted years teaches the fit nothing until it is refitted
with ``ModelConfig(years=...)`` covering it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np
import xarray as xr

from remitest import forward
from remitest.fitrecord import Fit
from remitest.structure import event_means, event_scales, host_walk_steps

__all__ = ["extend", "event_scales"]  # event_scales: re-exported from remitest.structure

_EXTENDED = ("workers", "per_worker_usd", "remittances_usd", "workers_host",
             "remittances_usd_host", "host_share_by_year")  # fmt: skip


def extend(fit: Fit, years: Iterable[int], *, random_seed: Any = 0) -> Fit:
    """A copy of ``fit`` whose yearly series also cover ``years`` (extrapolated outside the fit).

    Parameters
    ----------
    fit : Fit
    years : iterable of int
        Years wanted; the result spans from the earliest of these and the fitted years to the
        latest.
    random_seed : int or numpy.random.Generator
        Seeds the extrapolated steps (the fitted years are the fit's own draws, unchanged).

    Returns
    -------
    Fit
        With ``years`` extended and ``extrapolated_years`` naming the years outside the fit. Its
        posterior holds the yearly series (``workers``, ``per_worker_usd``, ``remittances_usd``,
        their host forms and ``host_share_by_year``) and every variable without a year; it is for
        summaries and predictions, not for refitting or writing a run folder.
    """
    wanted = np.asarray(sorted({int(y) for y in years}), dtype=int)
    fitted = fit.years
    first = int(min(fitted[0], wanted.min())) if len(wanted) else int(fitted[0])
    last = int(max(fitted[-1], wanted.max())) if len(wanted) else int(fitted[-1])
    if first == fitted[0] and last == fitted[-1]:
        return fit
    all_years = np.arange(first, last + 1)
    rng = np.random.default_rng(random_seed)
    post = fit.idata.posterior
    hosts = fit.hosts
    share = (post["host_share_by_year"].transpose("chain", "draw", "host", "year")
             .sel(host=list(hosts)).to_numpy())  # fmt: skip
    log_world = np.log(post["workers"].transpose("chain", "draw", "year").to_numpy())
    log_pw = np.log(post["per_worker_usd"].transpose("chain", "draw", "year").to_numpy())
    w_sd = post["workers_step_sd"].transpose("chain", "draw").to_numpy()
    p_sd = post["per_worker_step_sd"].transpose("chain", "draw").to_numpy()
    host_sd = fit.config.priors.host_step_sd
    world_scale, _ = event_scales(fit.config, hosts, all_years)
    world_mean, _ = event_means(fit.config, hosts, all_years)
    ratio_scale, ratio_mean = host_walk_steps(fit.config, hosts, all_years)
    n_walk = len(ratio_scale)
    lead = log_pw.shape[:2]
    # the shares' log-ratios against the reference (last) host: the walked coordinates
    log_ratio = np.log(share[..., :n_walk, :]) - np.log(share[..., -1:, :])
    log_weight = np.log(share[..., :, 0])  # any year's shares: the ratios carry the rest
    log_weight = log_weight - np.concatenate(
        [log_ratio[..., 0], np.zeros((*lead, 1))], axis=-1)

    def steps(index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draws of the step into all_years[index]: (world, log-ratios, per-worker)."""
        world = rng.standard_normal(lead) * w_sd * world_scale[index] + world_mean[index]
        ratio = (rng.standard_normal((*lead, n_walk)) * host_sd * ratio_scale[:, index]
                 + ratio_mean[:, index])
        per_worker = rng.standard_normal(lead) * p_sd * world_scale[index]
        return world, ratio, per_worker

    before, after = int(fitted[0] - first), int(last - fitted[-1])
    parts = {"w": [log_world], "r": [log_ratio], "p": [log_pw]}
    w, r, p = log_world[..., 0], log_ratio[..., 0], log_pw[..., 0]
    earlier: dict[str, list] = {"w": [], "r": [], "p": []}
    for k in range(before):  # backwards: undo the step into the year after
        dw, dr, dp = steps(before - k)  # the year after, in all_years
        w, r, p = w - dw, r - dr, p - dp
        for key, value in (("w", w), ("r", r), ("p", p)):
            earlier[key].insert(0, value)
    w, r, p = log_world[..., -1], log_ratio[..., -1], log_pw[..., -1]
    later: dict[str, list] = {"w": [], "r": [], "p": []}
    for k in range(after):
        dw, dr, dp = steps(before + len(fitted) + k)
        w, r, p = w + dw, r + dr, p + dp
        for key, value in (("w", w), ("r", r), ("p", p)):
            later[key].append(value)
    for key in parts:
        if before:
            parts[key].insert(0, np.stack(earlier[key], -1))
        if after:
            parts[key].append(np.stack(later[key], -1))
    log_world = np.concatenate(parts["w"], axis=-1)
    ratios = np.concatenate(parts["r"], axis=-1)
    ratios = np.concatenate([ratios, np.zeros((*lead, 1, len(all_years)))], axis=-2)
    share_by_year = forward.host_shares(np.exp(log_weight), ratios, len(all_years))
    workers_host = forward.compose(log_world, share_by_year)
    per_worker = np.exp(np.concatenate(parts["p"], axis=-1))
    workers = np.exp(log_world)
    dims = ("chain", "draw")
    keep = {name: post[name] for name in post.data_vars if "year" not in post[name].dims
            and "step" not in post[name].dims}  # fmt: skip
    coords = {"chain": post["chain"], "draw": post["draw"], "year": all_years, "host": list(hosts)}
    extended = xr.Dataset(
        {
            **keep,
            "workers": ((*dims, "year"), workers),
            "per_worker_usd": ((*dims, "year"), per_worker),
            "remittances_usd": ((*dims, "year"), workers * per_worker),
            "workers_host": ((*dims, "host", "year"), workers_host),
            "remittances_usd_host": (
                (*dims, "host", "year"),
                workers_host * per_worker[..., None, :],
            ),
            "host_share_by_year": ((*dims, "host", "year"), share_by_year),
        },
        coords=coords,
        attrs=dict(post.attrs),
    )
    idata = fit.idata.copy()
    idata["posterior"] = xr.DataTree(extended)
    out = dataclasses.replace(
        fit,
        idata=idata,
        structure=dataclasses.replace(fit.structure, years=tuple(int(y) for y in all_years)),
        model=None,
        recorded_run_id=fit.run_id,
        extrapolated_years=tuple(int(y) for y in all_years if y < fitted[0] or y > fitted[-1]),
    )
    return out
