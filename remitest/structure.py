"""The model's structure and data: ``ModelStructure`` and the claim arrays both paths read (numpy).

A ledger and a configuration become a :class:`ModelStructure` (years, hosts, estimators with their
types, pin year, configuration) and the arrays of both likelihood blocks (this module was
``remitest.design`` before 0.5; it holds no design matrix). Data flow one way::

    ledger -> structure (this module) -> {PyMC model (remitest.model), kernel (remitest.kernel)}

The PyMC specification and the fast kernel both read these arrays; neither reads the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from remitest.config import ConfigError, ModelConfig
from remitest.ledger import ESTIMATOR_TYPES, QUANTITIES, Ledger
from remitest.reading import ClaimArrays, read_claims, reading_names

__all__ = [
    "ModelStructure",
    "model_structure",
    "model_data",
    "model_coords",
    "claim_blocks",
    "blocks_data",
    "host_step_scale",
    "host_step_mean",
    "host_walk_steps",
    "event_scales",
    "event_means",
    "walking_hosts",
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
    "reading",
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
        The configuration, canonical JSON: what two structures compare by.
    config : ModelConfig, optional
        The configuration itself, carried along so that no consumer parses ``config_json`` back
        (see :attr:`configuration`); not compared.
    """

    years: tuple[int, ...]
    hosts: tuple[str, ...]
    estimators: tuple[str, ...]
    estimator_types: tuple[str, ...]
    pin_year: int
    config_json: str
    config: ModelConfig | None = field(default=None, compare=False, repr=False)

    @property
    def configuration(self) -> ModelConfig:
        """The configuration this structure was derived under."""
        if self.config is not None:
            return self.config
        return ModelConfig.from_json(self.config_json)  # a structure read back from a run

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
        config=config,
    )


def model_coords(structure: ModelStructure) -> dict[str, Any]:
    """Coordinates of every dim of the model (and of a fit's posterior)."""
    years = np.asarray(structure.years)
    return {
        "year": years,
        "step": years[1:],
        "host": list(structure.hosts),
        "walking_host": list(walking_hosts(structure)),
        "estimator": list(structure.estimators),
        "estimator_type": list(ESTIMATOR_TYPES),
        "quantity": list(QUANTITIES),
        "reading": list(reading_names(structure.configuration)),
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
        f"{block}_reading": claims.reading.astype(float),
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


def event_scales(
    config, hosts: tuple[str, ...], years: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scale of the step *into* each year: world (n_years,), and per host (n_hosts, n_years)."""
    world = np.ones(len(years))
    host = np.ones((len(hosts), len(years)))
    for event in config.events:
        hit = years == event.year
        if not hit.any():
            continue
        if event.hosts:
            rows = [hosts.index(h) for h in event.hosts]
            host[np.ix_(rows, hit)] = np.maximum(host[np.ix_(rows, hit)], event.host_scale)
        else:
            world[hit] = np.maximum(world[hit], event.step_scale)
            host[:, hit] = np.maximum(host[:, hit], event.host_scale)
    return world, host


def event_means(
    config, hosts: tuple[str, ...], years: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the log step *into* each year: world (n_years,), per host (n_hosts, n_years).

    ``log(expected_change)`` of the events of that year (summed when several fall in one year):
    a world event's on the world walk of workers, a named-host event's on those hosts' share
    log-ratios. 0 (no direction) by default.
    """
    world = np.zeros(len(years))
    host = np.zeros((len(hosts), len(years)))
    for event in config.events:
        hit = years == event.year
        if not hit.any() or event.expected_change == 1.0:
            continue
        shift = np.log(event.expected_change)
        if event.hosts:
            rows = [hosts.index(h) for h in event.hosts]
            host[np.ix_(rows, hit)] += shift
        else:
            world[hit] += shift
    return world, host


def walking_hosts(structure: ModelStructure) -> tuple[str, ...]:
    """Hosts whose share log-ratio walks: all but the reference (the last host), or none.

    None with ``host_shares="constant"`` or a single host.
    """
    return tuple(structure.hosts[: _walking(structure, structure.configuration)])


def _step_scale(structure: ModelStructure, config: ModelConfig) -> np.ndarray:
    """Multiplier on each yearly step (the step *into* year t) of the world walks: world events."""
    world, _ = event_scales(config, structure.hosts, np.asarray(structure.years))
    return world[1:]


def _step_mean(structure: ModelStructure, config: ModelConfig) -> np.ndarray:
    """Mean of each yearly log step of the world walk of workers (events' expected changes)."""
    world, _ = event_means(config, structure.hosts, np.asarray(structure.years))
    return world[1:]


def _walking(structure: ModelStructure, config: ModelConfig) -> int:
    if config.host_shares == "constant" or len(structure.hosts) < 2:
        return 0
    return len(structure.hosts) - 1


def host_walk_steps(
    config, hosts: tuple[str, ...], years: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scale and mean of the log-ratio step *into* each year, shape (walking hosts, n_years).

    The walking hosts are all but the reference (the last host); none with
    ``host_shares="constant"`` or one host. World events scale every host's step; an event of
    named hosts only theirs, and one naming the reference moves the reference against every
    other host (its scale applies to all their steps, its expected change the opposite way).
    """
    n = 0 if config.host_shares == "constant" or len(hosts) < 2 else len(hosts) - 1
    _, scale = event_scales(config, hosts, np.asarray(years))
    _, mean = event_means(config, hosts, np.asarray(years))
    return np.maximum(scale[:n], scale[-1:]), mean[:n] - mean[-1:]


def host_step_scale(structure: ModelStructure, config: ModelConfig) -> np.ndarray:
    """Multiplier on each walking host's yearly log-ratio step, shape (walking hosts, steps).

    See :func:`host_walk_steps`; with ``host_shares="constant"`` the array has no rows.
    """
    scale, _ = host_walk_steps(config, structure.hosts, np.asarray(structure.years))
    return scale[:, 1:]


def host_step_mean(structure: ModelStructure, config: ModelConfig) -> np.ndarray:
    """Mean of each walking host's yearly log-ratio step, shape (walking hosts, steps)."""
    _, mean = host_walk_steps(config, structure.hosts, np.asarray(structure.years))
    return mean[:, 1:]
