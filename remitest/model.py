"""The reconciliation model: a PyMC graph built from a ledger's structure, fed by its claims' data.

``build_model`` never samples. The graph depends only on a :class:`ModelStructure` (years, hosts,
estimators with their types, configuration); the claims enter through ``pm.Data`` containers of
any length, so a ledger with the same structure refits by swapping arrays without recompiling.

Latent series (log scale): a world walk of workers abroad and remittance per worker, each a
random walk whose level is a parameter at ``pin_year`` and which walks outwards from there
(pinning in the middle of the data removes the level/step-size trade-off at the edges). Each host
is the world walk times its share at the pin year times its own pinned walk (fixed step size);
the world series is the sum of the hosts. Remittances are workers x per-worker remittance in every
draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from remitest.claims import ClaimArrays, read_claims
from remitest.config import ConfigError, ModelConfig
from remitest.ledger import ESTIMATOR_TYPES, QUANTITIES, Ledger

__all__ = [
    "ModelStructure",
    "model_structure",
    "model_data",
    "model_coords",
    "build_model",
    "DATA_NAMES",
]

# pm.Data containers, per likelihood block; both blocks always exist, possibly empty.
_FIELDS = (
    "value",
    "spread",
    "lower",
    "upper",
    "quantity",
    "estimator",
    "estimator_type",
    "window",
    "scope",
)
DATA_NAMES = tuple(f"{block}_{f}" for block in ("gaussian", "censored") for f in _FIELDS)


@dataclass(frozen=True)
class ModelStructure:
    """What the compiled graph depends on. Two ledgers with equal structure share one compile.

    Attributes
    ----------
    years : tuple of int
    hosts : tuple of str
    estimators : tuple of str
    estimator_types : tuple of str
        The type of each estimator, aligned with ``estimators``.
    pin_year : int
    config_json : str
        The configuration, canonical JSON.
    """

    years: tuple[int, ...]
    hosts: tuple[str, ...]
    estimators: tuple[str, ...]
    estimator_types: tuple[str, ...]
    pin_year: int
    config_json: str

    def covers(self, other: ModelStructure) -> bool:
        """True when ``other``'s ledger can be fitted by this structure's compiled model.

        Same years, hosts and configuration, and every estimator of ``other`` present here with
        the same type (an estimator with no claims left is informed by its prior alone). The pin
        year may differ: it reaches the compiled density as data, not as structure.
        """
        if (self.years, self.hosts, self.config_json) != (
            other.years,
            other.hosts,
            other.config_json,
        ):
            return False
        mine = dict(zip(self.estimators, self.estimator_types, strict=True))
        return all(
            mine.get(e) == t for e, t in zip(other.estimators, other.estimator_types, strict=True)
        )


def _default_years(ledger: Ledger) -> tuple[int, int]:
    frame = ledger.to_frame()
    first = int(frame["ref_start"].min()) - 2
    last = int(max(frame["ref_end"].max(), ledger.published_year.max()))
    return first, last


def _check_scopes(ledger: Ledger, config: ModelConfig) -> None:
    known = {"world", *config.hosts, *config.scope_groups}
    frame = ledger.to_frame()
    bad = frame.loc[~frame["scope"].isin(known), ["id", "scope"]]
    if len(bad):
        lines = [f"claim {r.id!r}: scope {r.scope!r}" for r in bad.itertuples()]
        raise ConfigError(
            "the configuration does not cover every scope in the ledger:\n  "
            + "\n  ".join(lines)
            + f"\nconfigured hosts are {list(config.hosts)} and groups "
            f"{sorted(config.scope_groups)}; add the missing host to ModelConfig(hosts=...) with "
            "a priors.host_share_concentration entry, or a scope_groups entry"
        )


def model_structure(ledger: Ledger, config: ModelConfig | None = None) -> ModelStructure:
    """Derive the structure that a model of ``ledger`` under ``config`` compiles to."""
    config = config or ModelConfig()
    _check_scopes(ledger, config)
    first, last = config.years or _default_years(ledger)
    frame = ledger.to_frame()
    if frame["ref_start"].min() < first or frame["ref_end"].max() > last:
        raise ConfigError(
            f"years = ({first}, {last}) do not cover the ledger's reference years "
            f"{int(frame['ref_start'].min())}-{int(frame['ref_end'].max())}"
        )
    originals = ledger.originals().to_frame()
    if config.pin_year is not None:
        pin = config.pin_year
    elif len(originals):
        pin = int(np.round(np.median((originals["ref_start"] + originals["ref_end"]) / 2)))
    else:
        pin = (first + last) // 2
    if not first <= pin <= last:
        raise ConfigError(f"pin_year = {pin}: must lie within years ({first}, {last})")
    est = ledger.estimators()
    return ModelStructure(
        years=tuple(range(first, last + 1)),
        hosts=tuple(config.hosts),
        estimators=tuple(est["estimator"]),
        estimator_types=tuple(est["estimator_type"]),
        pin_year=pin,
        config_json=config.to_json(),
    )


def model_coords(structure: ModelStructure) -> dict[str, Any]:
    """Coordinates of every dim of the model (and of a fit's posterior)."""
    years = np.asarray(structure.years)
    return {
        "year": years,
        "step": years[1:],
        "host": list(structure.hosts),
        "estimator": list(structure.estimators),
        "estimator_type": list(ESTIMATOR_TYPES),
        "quantity": list(QUANTITIES),
    }


def _one_hot(index: np.ndarray, size: int) -> np.ndarray:
    return (np.asarray(index)[:, None] == np.arange(size)[None, :]).astype(float)


def _block_data(block: str, claims: ClaimArrays, n_estimators: int) -> dict[str, np.ndarray]:
    lower = np.where(claims.direction < 0, claims.value, -np.inf)
    upper = np.where(claims.direction > 0, claims.value, np.inf)
    return {
        f"{block}_value": claims.value.astype(float),
        f"{block}_spread": claims.spread.astype(float),
        f"{block}_lower": lower.astype(float),
        f"{block}_upper": upper.astype(float),
        # One-hot rows rather than integer indices: dense products of these small matrices are
        # cheap, and their gradients need no advanced-indexing updates.
        f"{block}_quantity": _one_hot(claims.quantity, len(QUANTITIES)),
        f"{block}_estimator": _one_hot(claims.estimator, n_estimators),
        f"{block}_estimator_type": _one_hot(claims.estimator_type, len(ESTIMATOR_TYPES)),
        f"{block}_window": claims.window.astype(float),
        f"{block}_scope": claims.scope.astype(float),
    }


def claim_blocks(
    ledger: Ledger, structure: ModelStructure, config: ModelConfig
) -> tuple[ClaimArrays, ClaimArrays]:
    """The original claims (repeats add no evidence) read into the two likelihood blocks."""
    return read_claims(
        ledger.originals().to_frame(), config, np.array(structure.years), structure.estimators
    )


def model_data(
    ledger: Ledger, structure: ModelStructure, config: ModelConfig
) -> dict[str, np.ndarray]:
    """Arrays for every ``pm.Data`` container (see ``DATA_NAMES``)."""
    return blocks_data(*claim_blocks(ledger, structure, config), structure)


def blocks_data(
    gaussian: ClaimArrays, censored: ClaimArrays, structure: ModelStructure
) -> dict[str, np.ndarray]:
    """:func:`model_data` of claims already read by :func:`claim_blocks`."""
    n_est = len(structure.estimators)
    return {**_block_data("gaussian", gaussian, n_est), **_block_data("censored", censored, n_est)}


def _step_scale(structure: ModelStructure, config: ModelConfig) -> np.ndarray:
    """Multiplier on each yearly step (the step *into* year t) of the world walks: world events."""
    from remitest.extrapolate import event_scales

    world, _ = event_scales(config, structure.hosts, np.asarray(structure.years))
    return world[1:]


def host_step_scale(structure: ModelStructure, config: ModelConfig) -> np.ndarray:
    """Multiplier on each host's own yearly step, shape (walking hosts, steps).

    World events scale every host's step; an event of named hosts only theirs. With
    ``host_shares="constant"`` no host walks: the array has no rows.
    """
    from remitest.extrapolate import event_scales

    if config.host_shares == "constant":
        return np.ones((0, len(structure.years) - 1))
    _, host = event_scales(config, structure.hosts, np.asarray(structure.years))
    return host[:, 1:]


def _random_walk(
    name: str,
    median: float,
    log_sd: float,
    step_sd: float,
    step_sd_log_sd: float,
    step_scale: np.ndarray,
    pin_index: int,
) -> pt.TensorVariable:
    """Log series pinned at ``pin_index``: level there, non-centred steps outwards."""
    level = pm.Normal(f"log_{name}_pinned", mu=np.log(median), sigma=log_sd)
    step_size = pm.LogNormal(f"{name}_step_sd", mu=np.log(step_sd), sigma=step_sd_log_sd)
    step_z = pm.Normal(f"{name}_step_z", 0.0, 1.0, dims="step")
    offsets = pt.concatenate([pt.zeros(1), pt.cumsum(step_size * step_scale * step_z)])
    return level + offsets - offsets[pin_index]


def _predicted_log(
    series: pt.TensorVariable,
    bias: pt.TensorVariable,
    data: dict[str, pt.TensorVariable],
    block: str,
) -> pt.TensorVariable:
    """Log of the scope-summed, window-averaged quantity each claim measures, times its bias."""
    quantity = data[f"{block}_quantity"]  # one-hot (n, quantity)
    # (n, quantity, host) means over each claim's window, summed over its scope, then the
    # claim's own quantity picked out.
    by_quantity = pt.tensordot(data[f"{block}_window"], series, axes=[[1], [2]])
    in_scope = (by_quantity * data[f"{block}_scope"][:, None, :]).sum(axis=2)
    measured = (in_scope * quantity).sum(axis=1)
    claim_bias = ((data[f"{block}_estimator"] @ bias) * quantity).sum(axis=1)
    return pt.log(measured) + claim_bias


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
        share = pm.Deterministic("host_share", host_weight / host_weight.sum(), dims="host")
        # Each host: world walk x share at the pin year x its own walk (pinned there too), with
        # a fixed step size; the world is the sum of its hosts. A fall in one host lowers the
        # world by that host's loss and leaves the others where they were.
        host_scale = host_step_scale(structure, config)
        if len(host_scale):
            host_z = pm.Normal("host_step_z", 0.0, 1.0, dims=("host", "step"))
            cum = pt.cumsum(priors.host_step_sd * host_scale * host_z, axis=1)
            cum = pt.concatenate([pt.zeros((len(structure.hosts), 1)), cum], axis=1)
            own = cum - cum[:, pin_index : pin_index + 1]
        else:
            own = pt.zeros((len(structure.hosts), len(structure.years)))

        workers_host = pm.Deterministic(
            "workers_host",
            share[:, None] * pt.exp(log_workers[None, :] + own),
            dims=("host", "year"),
        )
        workers = pm.Deterministic("workers", workers_host.sum(axis=0), dims="year")
        pm.Deterministic(
            "host_share_by_year", workers_host / workers[None, :], dims=("host", "year")
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
        if priors.bias_tail_nu > 0:  # heavy tails for an outlying source (an option)
            est_z = pm.StudentT(
                "estimator_bias_z", nu=priors.bias_tail_nu, mu=0.0, sigma=1.0,
                dims=("estimator", "quantity"),
            )
        else:
            est_z = pm.Normal("estimator_bias_z", 0.0, 1.0, dims=("estimator", "quantity"))
        bias = pm.Deterministic(
            "estimator_bias", bias_sd[None, :] * est_z, dims=("estimator", "quantity")
        )
        noise = pm.LogNormal(
            "noise_sd",
            mu=np.log(priors.noise_median),
            sigma=priors.noise_log_sd,
            dims="estimator_type",
        )

        def claim_sd(block: str) -> pt.TensorVariable:
            type_noise = data[f"{block}_estimator_type"] @ noise
            return pt.sqrt(type_noise**2 + priors.rounding_sd**2 + data[f"{block}_spread"] ** 2)

        g_value = data["gaussian_value"]
        pm.Normal(
            "gaussian_claims",
            mu=_predicted_log(series, bias, data, "gaussian"),
            sigma=claim_sd("gaussian"),
            observed=g_value,
            shape=g_value.shape[0],
        )
        c_value = data["censored_value"]
        pm.Censored(
            "censored_claims",
            pm.Normal.dist(
                mu=_predicted_log(series, bias, data, "censored"), sigma=claim_sd("censored")
            ),
            lower=data["censored_lower"],
            upper=data["censored_upper"],
            observed=c_value,
            shape=c_value.shape[0],
        )
    return model
