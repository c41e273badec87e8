"""Years beyond the fit: every walk extended with steps drawn from its posterior step size.

A fit spans ``fit.years``. A claim for 2011, or a nowcast of the current year, needs the series
outside them. :func:`extend` continues, in every posterior draw,

* the world walk of workers and the walk of remittance per worker, with steps
  ``Normal(0, step_sd x event scale)`` using that draw's step sizes, and
* each host's own walk (``host_shares="walk"``), with steps ``Normal(0, host_step_sd x event
  scale)``,

forwards from the last fitted year and backwards from the first, applying the configured events
that fall in those years (an event scales the step *into* its year). Hosts are extended
multiplicatively, so the world stays the sum of its hosts and remittances stay workers x per-worker
remittance in every draw. The intervals widen with the distance from the data, as they should.
Nothing is refitted: a claim outside the fitted years teaches the fit nothing until it is refitted
with ``ModelConfig(years=...)`` covering it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from remitest.design import event_scales

if TYPE_CHECKING:  # pragma: no cover
    from remitest.fit_result import Fit

__all__ = ["extend", "event_scales"]  # event_scales: re-exported from remitest.design

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
    log_host = np.log(post["workers_host"].transpose("chain", "draw", "host", "year")
                      .sel(host=list(hosts)).to_numpy())  # fmt: skip
    log_pw = np.log(post["per_worker_usd"].transpose("chain", "draw", "year").to_numpy())
    w_sd = post["workers_step_sd"].transpose("chain", "draw").to_numpy()
    p_sd = post["per_worker_step_sd"].transpose("chain", "draw").to_numpy()
    walking = fit.config.host_shares == "walk"
    host_sd = fit.config.priors.host_step_sd if walking else 0.0
    world_scale, host_scale = event_scales(fit.config, hosts, all_years)
    lead = log_pw.shape[:2]

    def steps(index: int) -> tuple[np.ndarray, np.ndarray]:
        """Draws of the step into all_years[index]: (host log step, per-worker log step)."""
        common = rng.standard_normal(lead) * w_sd * world_scale[index]
        own = rng.standard_normal((*lead, len(hosts))) * host_sd * host_scale[:, index]
        per_worker = rng.standard_normal(lead) * p_sd * world_scale[index]
        return common[..., None] + own, per_worker

    before, after = int(fitted[0] - first), int(last - fitted[-1])
    host_parts, pw_parts = [log_host], [log_pw]
    h, p = log_host[..., 0], log_pw[..., 0]
    earlier_h, earlier_p = [], []
    for k in range(before):  # backwards: undo the step into the year after
        index = before - k  # the year after, in all_years
        dh, dp = steps(index)
        h, p = h - dh, p - dp
        earlier_h.insert(0, h)
        earlier_p.insert(0, p)
    h, p = log_host[..., -1], log_pw[..., -1]
    later_h, later_p = [], []
    for k in range(after):
        index = before + len(fitted) + k
        dh, dp = steps(index)
        h, p = h + dh, p + dp
        later_h.append(h)
        later_p.append(p)
    if before:
        host_parts.insert(0, np.stack(earlier_h, -1))
        pw_parts.insert(0, np.stack(earlier_p, -1))
    if after:
        host_parts.append(np.stack(later_h, -1))
        pw_parts.append(np.stack(later_p, -1))
    workers_host = np.exp(np.concatenate(host_parts, axis=-1))
    per_worker = np.exp(np.concatenate(pw_parts, axis=-1))
    workers = workers_host.sum(axis=-2)
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
            "host_share_by_year": ((*dims, "host", "year"), workers_host / workers[..., None, :]),
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
