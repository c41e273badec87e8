"""Fake fits with known answers, for tests and examples that need no sampler.

``fake_fit`` draws every posterior variable from simple known distributions with the same names,
dims and identities as a real fit (remittances = workers x per-worker remittance in every draw;
host series = world series x shares), so downstream code can be tested in milliseconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from remitest.api import Fit
from remitest.config import ModelConfig
from remitest.diagnostics import Diagnostics
from remitest.ledger import ESTIMATOR_TYPES, QUANTITIES, Ledger, load_ledger
from remitest.reading import reading_names, reading_priors
from remitest.structure import model_coords, model_structure

__all__ = ["fake_fit"]


def fake_fit(
    ledger: Ledger | None = None,
    config: ModelConfig | None = None,
    *,
    chains: int = 2,
    draws: int = 100,
    random_seed: int = 0,
    workers_median: float = 100_000.0,
    per_worker_median_usd: float = 5_000.0,
    log_sd: float = 0.1,
) -> Fit:
    """A ``Fit`` whose posterior is known: log series ~ Normal(log median, log_sd), flat in time.

    Parameters
    ----------
    ledger : Ledger, optional
        Default: the ten seed claims, ``load_ledger("seeds")``.
    config : ModelConfig, optional
    chains, draws : int
    random_seed : int
    workers_median, per_worker_median_usd : float
        Medians of the world series in every year (persons; US$ per worker-year).
    log_sd : float
        Posterior log-sd of each series.
    """
    ledger = ledger if ledger is not None else load_ledger("seeds")
    config = config or ModelConfig()
    structure = model_structure(ledger, config)
    rng = np.random.default_rng(random_seed)
    years, hosts = np.array(structure.years), list(structure.hosts)
    shape = (chains, draws)
    coords = model_coords(structure)

    def lognormal(median: float, size: tuple[int, ...]) -> np.ndarray:
        return np.exp(np.log(median) + log_sd * rng.standard_normal(size))

    workers = lognormal(workers_median, (*shape, len(years)))
    per_worker = lognormal(per_worker_median_usd, (*shape, len(years)))
    weights = rng.gamma(
        [config.priors.host_share_concentration[h] for h in hosts], size=(*shape, len(hosts))
    )
    share = weights / weights.sum(-1, keepdims=True)
    remittances = workers * per_worker
    bias_sd = np.exp(np.log(0.4) + 0.3 * rng.standard_normal((*shape, len(QUANTITIES))))
    est_bias = bias_sd[:, :, None, :] * rng.standard_normal(
        (*shape, len(structure.estimators), len(QUANTITIES))
    )
    cd = ("chain", "draw")
    posterior = xr.Dataset(
        {
            "workers": (cd + ("year",), workers),
            "per_worker_usd": (cd + ("year",), per_worker),
            "remittances_usd": (cd + ("year",), remittances),
            "host_share": (cd + ("host",), share),
            "host_share_by_year": (
                cd + ("host", "year"),
                np.broadcast_to(share[..., None], (*share.shape, workers.shape[-1])),
            ),
            "workers_host": (cd + ("host", "year"), share[..., None] * workers[:, :, None, :]),
            "remittances_usd_host": (
                cd + ("host", "year"),
                share[..., None] * remittances[:, :, None, :],
            ),
            "bias_sd": (cd + ("quantity",), bias_sd),
            "estimator_bias": (cd + ("estimator", "quantity"), est_bias),
            "noise_sd": (
                cd + ("estimator_type",),
                np.exp(np.log(0.15) + 0.3 * rng.standard_normal((*shape, len(ESTIMATOR_TYPES)))),
            ),
            # the shared readings at their prior medians
            "reading_z": (cd + ("reading",), np.zeros((*shape, len(reading_names(config))))),
            "reading_factor": (cd + ("reading",), np.broadcast_to(
                np.exp(reading_priors(config)[0]), (*shape, len(reading_names(config))))),
            "workers_step_sd": (cd, np.abs(0.1 * rng.standard_normal(shape))),
            "per_worker_step_sd": (cd, np.abs(0.1 * rng.standard_normal(shape))),
            # the model's other free variables, drawn from standard distributions (their values
            # do not make the series above; they are there for tables of every parameter)
            "log_workers_pinned": (
                cd, np.log(workers_median) + log_sd * rng.standard_normal(shape)),
            "log_per_worker_pinned": (
                cd, np.log(per_worker_median_usd) + log_sd * rng.standard_normal(shape)),
            "workers_step_z": (cd + ("step",), rng.standard_normal((*shape, len(years) - 1))),
            "per_worker_step_z": (cd + ("step",), rng.standard_normal((*shape, len(years) - 1))),
            "host_weight": (cd + ("host",), weights),
            "host_step_z": (cd + ("walking_host", "step"), rng.standard_normal(
                (*shape, len(coords["walking_host"]), len(years) - 1))),
            "bias_rho": (cd, rng.beta(2.0, 2.0, shape)),
            "estimator_bias_u": (cd + ("estimator",),
                                 rng.standard_normal((*shape, len(structure.estimators)))),
            "estimator_bias_z": (cd + ("estimator", "quantity"), rng.standard_normal(
                (*shape, len(structure.estimators), len(QUANTITIES)))),
        },
        coords={"chain": np.arange(chains), "draw": np.arange(draws), **coords},
    )
    stats = xr.Dataset(
        {
            "diverging": (cd, np.zeros(shape, dtype=bool)),
            "energy": (cd, rng.standard_normal(shape)),
        },
        coords={"chain": np.arange(chains), "draw": np.arange(draws)},
    )
    idata = xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})
    diagnostics = Diagnostics(
        table=pd.DataFrame(columns=["r_hat", "ess_bulk", "ess_tail"], dtype=float),
        divergences=0,
        ebfmi=np.ones(chains),
    )
    return Fit(
        idata=idata,
        ledger=ledger,
        config=config,
        structure=structure,
        diagnostics=diagnostics,
        random_seed=random_seed,
        sampler="fake",
        n_draws=draws,
        n_tune=0,
        n_chains=chains,
    )
