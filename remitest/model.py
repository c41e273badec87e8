"""The reconciliation model: a PyMC graph built from a ledger's structure, fed by its claims' data.

``build_model`` never samples. The graph depends only on a :class:`ModelStructure` (years, hosts,
estimators with their types, configuration); the claims enter through ``pm.Data`` containers of
any length, so a ledger with the same structure refits by swapping arrays without recompiling.

Latent series (log scale): a world walk of workers abroad and remittance per worker, each a
random walk whose level is a parameter at ``pin_year`` and which walks outwards from there
(pinning in the middle of the data removes the level/step-size trade-off at the edges). World
workers are exp(world walk) exactly; the hosts split them by shares that walk in additive
log-ratio against the reference host (the last one), pinned at the pin year at the normalised
Gamma weights (``remitest.forward``). Remittances are workers x per-worker remittance in every
draw.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from remitest import forward
from remitest.config import ConfigError, ModelConfig
from remitest.ledger import Ledger
from remitest.reading import reading_priors
from remitest.structure import (  # noqa: F401  (re-exported: the model's public data path)
    DATA_NAMES,
    ModelStructure,
    _step_mean,
    _step_scale,
    blocks_data,
    claim_blocks,
    host_step_mean,
    host_step_scale,
    model_coords,
    model_data,
    model_structure,
)

__all__ = [
    "ModelStructure",
    "model_structure",
    "model_data",
    "model_coords",
    "build_model",
    "DATA_NAMES",
]

def _random_walk(
    name: str,
    median: float,
    log_sd: float,
    step_sd: float,
    step_sd_log_sd: float,
    step_scale: np.ndarray,
    pin_index: int,
    step_mean: np.ndarray | float = 0.0,
) -> pt.TensorVariable:
    """Log series pinned at ``pin_index``: level there, non-centred steps outwards."""
    level = pm.Normal(f"log_{name}_pinned", mu=np.log(median), sigma=log_sd)
    step_size = pm.LogNormal(f"{name}_step_sd", mu=np.log(step_sd), sigma=step_sd_log_sd)
    step_z = pm.Normal(f"{name}_step_z", 0.0, 1.0, dims="step")
    return forward.pinned_walk(level, step_size, step_z, step_scale, pin_index, step_mean, pt)


def _predicted_log(
    series: pt.TensorVariable,
    bias: pt.TensorVariable,
    data: dict[str, pt.TensorVariable],
    block: str,
    reading_z: pt.TensorVariable,
) -> pt.TensorVariable:
    """Log of the scope-summed, window-averaged quantity each claim measures, times its bias.

    Plus the shared readings that the claim uses (its measure's offset, a bound's ratio, the
    field's shift of its quantity) beyond their prior medians, which ``remitest.reading`` has
    already taken out of the claim's value.
    """
    quantity = data[f"{block}_quantity"]  # one-hot (n, quantity)
    # (n, quantity, host) means over each claim's window, summed over its scope, then the
    # claim's own quantity picked out.
    by_quantity = pt.tensordot(data[f"{block}_window"], series, axes=[[1], [2]])
    in_scope = (by_quantity * data[f"{block}_scope"][:, None, :]).sum(axis=2)
    measured = (in_scope * quantity).sum(axis=1)
    claim_bias = ((data[f"{block}_estimator"] @ bias) * quantity).sum(axis=1)
    return pt.log(measured) + claim_bias + data[f"{block}_reading"] @ reading_z


def build_model(
    ledger: Ledger,
    config: ModelConfig | None = None,
    *,
    structure: ModelStructure | None = None,
) -> pm.Model:
    """Build the PyMC model of ``ledger`` without sampling.

    Parameters
    ----------
    ledger : Ledger
    config : ModelConfig, optional
    structure : ModelStructure, optional
        A structure that covers the ledger (e.g. a cached one); derived from the ledger if None.
        Its ``pin_year`` is used as given: in this PyMC graph the pin is a constant, so pass
        ``dataclasses.replace(structure, pin_year=...)`` to pin at the ledger's own year.

    Returns
    -------
    pymc.Model
        With deterministic world series ``workers`` (persons), ``remittances_usd`` and
        ``per_worker_usd`` (US$ per year) on dim ``year``, host series ``workers_host`` and
        ``remittances_usd_host`` on dims ``("host", "year")``, ``host_share``,
        ``estimator_bias`` (log factor, dims ``("estimator", "quantity")``), ``bias_sd`` (the
        learned spread of biases per quantity), ``noise_sd`` (log-sd per estimator type), and the
        two observed claim blocks.
    """
    config = config or ModelConfig()
    structure = structure or model_structure(ledger, config)
    if not structure.covers(model_structure(ledger, config)):
        raise ConfigError("the given structure does not cover this ledger; build without it")
    priors = config.priors
    coords = model_coords(structure)
    step_scale = _step_scale(structure, config)
    pin_index = structure.pin_year - structure.years[0]
    concentration = np.array([priors.host_share_concentration[h] for h in structure.hosts])

    with pm.Model(coords=coords) as model:
        data = {
            name: pm.Data(name, array)
            for name, array in model_data(ledger, structure, config).items()
        }
        log_workers = _random_walk(
            "workers",
            priors.workers_median,
            priors.workers_log_sd,
            priors.workers_step_sd,
            priors.step_sd_log_sd,
            step_scale,
            pin_index,
            _step_mean(structure, config),
        )
        log_per_worker = _random_walk(
            "per_worker",
            priors.per_worker_median_usd,
            priors.per_worker_log_sd,
            priors.per_worker_step_sd,
            priors.step_sd_log_sd,
            step_scale,
            pin_index,
        )
        # Dirichlet shares written as normalised Gamma weights: the same distribution, with a
        # log-transformed parameterisation whose density and gradient are simple (the fast kernel
        # in remitest.kernel reproduces it exactly).
        host_weight = pm.Gamma("host_weight", alpha=concentration, beta=1.0, dims="host")
        pm.Deterministic("host_share", host_weight / host_weight.sum(), dims="host")
        # World workers are exp(world walk) exactly; the hosts split them by shares that walk in
        # additive log-ratio against the reference (last) host, pinned at the weights' shares.
        host_scale = host_step_scale(structure, config)
        if len(host_scale):
            host_z = pm.Normal("host_step_z", 0.0, 1.0, dims=("walking_host", "step"))
            log_ratio = forward.host_log_ratios(
                host_z, priors.host_step_sd, host_scale, host_step_mean(structure, config),
                pin_index, pt,
            )
        else:
            log_ratio = None
        share_by_year = pm.Deterministic(
            "host_share_by_year",
            forward.host_shares(host_weight, log_ratio, len(structure.years), pt),
            dims=("host", "year"),
        )
        workers = pm.Deterministic("workers", pt.exp(log_workers), dims="year")
        workers_host = pm.Deterministic(
            "workers_host", forward.compose(log_workers, share_by_year, pt), dims=("host", "year")
        )
        per_worker = pm.Deterministic("per_worker_usd", pt.exp(log_per_worker), dims="year")
        pm.Deterministic("remittances_usd", workers * per_worker, dims="year")
        remittances_host = pm.Deterministic(
            "remittances_usd_host", workers_host * per_worker[None, :], dims=("host", "year")
        )
        # (quantity, host, year): what a claim on each quantity measures in each host.
        series = pt.stack(
            [workers_host, remittances_host, pt.ones((len(structure.hosts), 1)) * per_worker]
        )

        # The spread of estimator biases, learned per quantity; biases non-centred around zero.
        # No type-level offsets: their number would depend on which types a fold keeps.
        bias_sd = pm.LogNormal(
            "bias_sd",
            mu=np.log(priors.bias_sd_median),
            sigma=priors.bias_sd_log_sd,
            dims="quantity",
        )
        # An estimator's biases on the quantities share one factor (a one-factor correlation,
        # rho learned): a money figure that is its own count x an assumed rate moves the count's
        # bias with it instead of teaching the model the rate.
        rho = pm.Beta("bias_rho", alpha=2.0, beta=2.0)
        est_u = pm.Normal("estimator_bias_u", 0.0, 1.0, dims="estimator")
        if priors.bias_tail_nu > 0:  # heavy tails for an outlying source (an option)
            est_z = pm.StudentT(
                "estimator_bias_z", nu=priors.bias_tail_nu, mu=0.0, sigma=1.0,
                dims=("estimator", "quantity"),
            )
        else:
            est_z = pm.Normal("estimator_bias_z", 0.0, 1.0, dims=("estimator", "quantity"))
        bias = pm.Deterministic(
            "estimator_bias",
            bias_sd[None, :] * (pt.sqrt(rho) * est_u[:, None] + pt.sqrt(1.0 - rho) * est_z),
            dims=("estimator", "quantity"),
        )
        noise = pm.LogNormal(
            "noise_sd",
            mu=np.log(priors.noise_median),
            sigma=priors.noise_log_sd,
            dims="estimator_type",
        )

        # Shared readings: the bound ratio, each measure's offset and the field's shift per
        # quantity, one parameter each.
        reading_z = pm.Normal("reading_z", 0.0, 1.0, dims="reading")
        log_median, log_sd = reading_priors(config)
        pm.Deterministic("reading_factor", pt.exp(log_median + log_sd * reading_z),
                         dims="reading")

        def claim_sd(block: str) -> pt.TensorVariable:
            type_noise = data[f"{block}_estimator_type"] @ noise
            return forward.claim_scale(type_noise, priors.rounding_sd, data[f"{block}_spread"], pt)

        weight = priors.claim_outlier_weight

        def reading(block: str) -> tuple[Any, Any, Any]:
            """Location and sd of a block's claims, and an outlier's wider sd (the option)."""
            mu, sigma = _predicted_log(series, bias, data, block, reading_z), claim_sd(block)
            return mu, sigma, pt.sqrt(sigma**2 + priors.claim_outlier_sd**2)

        g_value = data["gaussian_value"]
        if weight <= 0:
            pm.Normal(
                "gaussian_claims",
                mu=_predicted_log(series, bias, data, "gaussian", reading_z),
                sigma=claim_sd("gaussian"),
                observed=g_value,
                shape=g_value.shape[0],
            )
        else:
            mu, sigma, wide = reading("gaussian")
            pm.NormalMixture("gaussian_claims", w=np.array([1.0 - weight, weight]),
                             mu=pt.stack([mu, mu], axis=-1),
                             sigma=pt.stack([sigma, wide], axis=-1),
                             observed=g_value, shape=g_value.shape[0])
        c_value = data["censored_value"]
        if weight <= 0:
            pm.Censored(
                "censored_claims",
                pm.Normal.dist(
                    mu=_predicted_log(series, bias, data, "censored", reading_z),
                    sigma=claim_sd("censored"),
                ),
                lower=data["censored_lower"],
                upper=data["censored_upper"],
                observed=c_value,
                shape=c_value.shape[0],
            )
        else:
            # The side a bound states, under the mixture, from each normal's own log-CDF: PyMC's
            # Censored(NormalMixture) takes "more than" as log1mexp(logcdf), which loses the far
            # tail (-36.9 for -45.0 nine log-units out).
            direction = pt.switch(pt.isinf(data["censored_upper"]), -1.0, 1.0)
            pm.CustomDist(
                "censored_claims",
                *reading("censored"),
                direction,
                logp=partial(_censored_mixture_logp, weight=weight),
                observed=c_value,
                shape=c_value.shape[0],
            )
    return model


def _censored_mixture_logp(value: Any, mu: Any, sigma: Any, wide: Any, direction: Any, *,
                           weight: float) -> Any:
    """Log probability of the side a censored bound states, under the outlier mixture."""
    side = direction * (mu - value)  # above 0: the reading lies on the stated side
    return pt.logaddexp(np.log1p(-weight) + pm.logcdf(pm.Normal.dist(0.0, sigma), side),
                        np.log(weight) + pm.logcdf(pm.Normal.dist(0.0, wide), side))
