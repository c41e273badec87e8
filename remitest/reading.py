"""How each claim is read: from ledger rows to arrays that the model and the predictions share.

(This module was ``remitest.claims`` before 0.5. It holds no table of claims: the run folder's
``claims.csv``, each claim with its posterior predictive, is ``remitest.predictive.claims_table``.)

Every claim becomes one of two observations on the log scale:

* **gaussian** -- a point, a range, or a bound read as an interval end. ``y`` is the log of the
  belief's median (the figure, a range's log-midpoint, or a bound moved inwards by
  ``log(bound_ratio)``), less ``log(median)`` of its measure's offset, and ``spread`` is the
  claim's own log-sd, the root sum of squares of

  - the belief's width: 0 for a point, a range's half-width over the normal quantile of its
    coverage, ``log(bound_ratio) / z`` for a bound read as an interval end;
  - the figure's rounding (points): ``min(log((x + u/2) / (x - u/2)) / sqrt(12),
    rounding_sd_max)`` with ``u`` the largest of {1, 2, 5} x 10^k dividing the figure;
  - the qualifier's imprecision (``interpretation.qualifier_sd``).

  The likelihood is ``y ~ Normal(log(true x bias) + reading @ reading_z, sqrt(noise^2 +
  rounding_sd^2 + spread^2))``.
* **shared readings** -- the bound ratio of "as high as" (and of a lower bound read as an
  interval end) and each measure's offset are uncertain, and that uncertainty is ONE model
  parameter per reading, shared by every claim that uses it (``reading_z ~ Normal(0, 1)``; the
  log factor is ``log(median) + log_sd x reading_z``), not independent noise per claim, which
  would average away. ``reading`` holds each claim's loadings, shape (n, readings): ``+log_sd``
  of its measure; ``+bound_ratio_log_sd`` for an upper bound read as an interval end (its
  belief median is the bound over the ratio), ``-bound_ratio_log_sd`` for a lower bound; and
  ``+field_shift_log_sd`` of the field's shift of its quantity (``field_<quantity>``, median 1),
  on every claim: an error that all sources of a quantity share, which no claim can tell from
  the level and which therefore widens it.
* **censored** -- a bound read as censored (its own ``reading``, else
  ``config.interpretation``), or a figure of a measure read as a lower bound from
  its ``lower_bound_from`` year. ``bound`` is the log of the figure (less the measure's offset)
  and ``direction`` is +1 for "more than" (the belief lies above) and -1 for "as high as" (it
  lies below).

Keeping this in one pure-numpy module means the likelihood and the posterior predictive
percentiles cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from remitest.config import ConfigError, ModelConfig
from remitest.ledger import ESTIMATOR_TYPES, MEASURES, QUANTITIES

# The reference measure of each quantity (an empty ``measure`` means it too).
_REFERENCE = {q: m[0] for q, m in MEASURES.items() if m}

__all__ = [
    "ClaimArrays",
    "read_claims",
    "as_read",
    "bound_readings",
    "scope_weights",
    "window_weights",
    "normal_quantile",
    "reading_names",
    "reading_priors",
]


def _field_readings(config: ModelConfig) -> tuple[str, ...]:
    """The field's shared shift per quantity (``field_<quantity>``), if it has a prior."""
    if config.priors.field_shift_log_sd <= 0:
        return ()
    return tuple(f"field_{q}" for q in QUANTITIES)


def reading_names(config: ModelConfig) -> tuple[str, ...]:
    """The shared readings of a model.

    The bound ratio, then every configured measure (sorted), then the field's shift per quantity.
    """
    return ("bound_ratio", *sorted(config.measures), *_field_readings(config))


def reading_priors(config: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
    """Log median and log-sd of each reading's factor, in :func:`reading_names` order."""
    interp = config.interpretation
    names = sorted(config.measures)
    field = _field_readings(config)
    median = np.log([interp.bound_ratio, *(config.measures[m].median for m in names),
                     *np.ones(len(field))])
    sd = np.array([interp.bound_ratio_log_sd, *(config.measures[m].log_sd for m in names),
                   *np.full(len(field), config.priors.field_shift_log_sd)])
    return median, sd


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
    reading : ndarray, shape (n, readings)
        Loadings of the shared readings (:func:`reading_names`) on each claim's location.
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
    reading: np.ndarray

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


def rounding_unit(x: float) -> float:
    """The largest of {1, 2, 5} x 10^k (k integer) that divides ``x``; 0 when none does.

    >>> rounding_unit(100_000), rounding_unit(64_000), rounding_unit(37_218)
    (100000.0, 2000.0, 2.0)
    """
    if not np.isfinite(x) or x <= 0:
        return 0.0
    for k in range(int(np.floor(np.log10(x))), -1, -1):
        for m in (5, 2, 1):
            u = m * 10.0**k
            if u <= x and abs(x / u - round(x / u)) < 1e-9:
                return u
    return 0.0


def rounding_sd(values: np.ndarray, cap: float) -> np.ndarray:
    """Log-sd of a uniform rounding error of each figure (see :func:`rounding_unit`), capped."""
    out = np.zeros(len(values))
    for i, x in enumerate(np.asarray(values, float)):
        u = rounding_unit(x)
        if u > 0:
            out[i] = np.log((x + u / 2) / (x - u / 2)) / np.sqrt(12) if u < 2 * x else np.inf
    return np.minimum(out, cap)


def qualifier_sd(qualifiers: np.ndarray, table: dict, default: float) -> np.ndarray:
    """Imprecision of each claim's hedge: the largest table entry whose words it contains."""
    out = np.zeros(len(qualifiers))
    for i, text in enumerate(qualifiers):
        text = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
        words = " " + " ".join(text.lower().replace("...", " ").split()) + " "
        if not words.strip():
            continue
        found = [sd for key, sd in table.items() if f" {key.lower()} " in words]
        out[i] = max(found) if found else default
    return out


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
    quantity = frame["quantity"].to_numpy(str)
    offset, measure_sd, _ = _measures(frame, quantity, config)
    names = reading_names(config)
    measure_of = _measure_names(frame, quantity)
    # A measure read as a lower bound from some year on: "more than X", censored.
    read = as_read(frame, config)
    kind, low = read["kind"].to_numpy(str), np.log(read["low"].to_numpy(float))
    censored = read["censored"].to_numpy(bool)

    with np.errstate(invalid="ignore"):
        median = np.select(
            [kind == "point", kind == "range", kind == "upper_bound", kind == "lower_bound"],
            [low, (low + high) / 2, high - shift, low + shift],
        )
        width = np.select(
            [kind == "range", np.isin(kind, ["upper_bound", "lower_bound"])],
            [(high - low) / 2 / z, shift / z],
            default=0.0,
        )
        reported = np.select([kind == "upper_bound", kind == "lower_bound"], [high, low], median)
    round_sd = np.where(
        kind == "point",
        rounding_sd(frame["low"].to_numpy(float), config.priors.rounding_sd_max),
        0.0,
    )
    hedge_sd = qualifier_sd(
        frame["qualifier"].to_numpy(object) if "qualifier" in frame else np.full(len(frame), ""),
        dict(interp.qualifier_sd),
        interp.qualifier_default_sd,
    )
    spread = np.sqrt(width**2 + round_sd**2 + hedge_sd**2)
    # Shared readings: one parameter each, loaded on every claim that uses it.
    reading = np.zeros((len(frame), len(names)))
    reading[:, 0] = np.select(
        [(kind == "upper_bound") & ~censored, (kind == "lower_bound") & ~censored],
        [interp.bound_ratio_log_sd, -interp.bound_ratio_log_sd], 0.0)
    for i, name in enumerate(measure_of):
        if name:
            reading[i, names.index(name)] = measure_sd[i]
    # The field's shift of the claim's quantity, on every claim (absent when its prior is 0).
    if _field_readings(config):
        rows = np.array([names.index(f"field_{q}") for q in quantity], dtype=np.int64)
        reading[np.arange(len(frame)), rows] = config.priors.field_shift_log_sd
    # What the model compares with truth x bias: the figure read back to the reference measure.
    # ``reported`` stays the figure as written: predictions are made in the claim's own units.
    median, low, high = median - offset, low - offset, high - offset
    direction = np.select([kind == "lower_bound", kind == "upper_bound"], [1.0, -1.0], 0.0)

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
        "reading": reading,
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


def as_read(frame: pd.DataFrame, config: ModelConfig) -> pd.DataFrame:
    """The claims as the likelihood reads them: each ``kind`` and ``low`` after its measure.

    A figure of a measure read as a lower bound from some year on
    (``Measure.lower_bound_from``: permit counts from 2020, when workers stayed on other visas)
    says "more than X": its ``kind`` becomes ``"lower_bound"`` and, where it had no ``low``
    (an "as high as"), its ``low`` is its ``high``. Every other claim is read as written. The
    written kind is kept in ``written_kind``, and ``censored`` says whether the likelihood reads
    the claim as a censored bound (its own or the configured bound reading, or such a measure).

    :func:`read_claims` builds the likelihood from this; ``predict_claims`` reports it as
    ``read_as``, and the figures draw a claim's arrow from it.

    Parameters
    ----------
    frame : DataFrame
        Ledger rows (``Ledger.to_frame()``).
    config : ModelConfig

    Returns
    -------
    DataFrame
        A copy of ``frame`` with ``kind`` and ``low`` as read, and ``written_kind`` and
        ``censored`` added.

    Raises
    ------
    ConfigError
        For a claim whose ``measure`` has no prior in ``config``, naming it.
    """
    quantity = frame["quantity"].to_numpy(str)
    as_lower = _measures(frame, quantity, config)[2]
    out = frame.copy()
    if "written_kind" not in out:  # read once: a second reading keeps the written kind
        out["written_kind"] = frame["kind"].to_numpy(str)
    out["kind"] = np.where(as_lower, "lower_bound", frame["kind"].to_numpy(str))
    low, high = frame["low"].to_numpy(float), frame["high"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        out["low"] = np.where(as_lower & ~(np.isfinite(low) & (low > 0)), high, low)
    out["censored"] = (bound_readings(frame, config) == "censored") | as_lower
    return out


def bound_readings(frame: pd.DataFrame, config: ModelConfig) -> np.ndarray:
    """How each claim is read: a bound's own ``reading``, else the configured default.

    ``"censored"`` or ``"interval_end"`` for bounds, ``""`` for points and ranges.
    """
    interp = config.interpretation
    kind = frame["kind"].to_numpy(str)
    default = np.select(
        [kind == "upper_bound", kind == "lower_bound"],
        [interp.upper_bound, interp.lower_bound],
        "",
    )
    if "reading" not in frame:
        return default
    own = np.array(["" if pd.isna(v) else str(v) for v in frame["reading"]], dtype=object)
    return np.where((own != "") & (default != ""), own, default)


def _measure_names(frame: pd.DataFrame, quantity: np.ndarray) -> list[str]:
    """Each claim's non-reference measure, or "" (checked against the config by _measures)."""
    if "measure" not in frame:
        return [""] * len(frame)
    names = frame["measure"].fillna("").astype(str).to_numpy()
    return ["" if not n or n == _REFERENCE.get(quantity[i]) else str(n)
            for i, n in enumerate(names)]


def _measures(
    frame: pd.DataFrame, quantity: np.ndarray, config: ModelConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per claim: log offset of its measure, the offset's log-sd, and whether read as a bound."""
    n = len(frame)
    offset, sd, as_lower = np.zeros(n), np.zeros(n), np.zeros(n, bool)
    if "measure" not in frame:
        return offset, sd, as_lower
    names = frame["measure"].fillna("").astype(str).to_numpy()
    ref_start = frame["ref_start"].to_numpy(int)
    for i, name in enumerate(names):
        if not name or name == _REFERENCE.get(quantity[i]):
            continue
        measure = config.measures.get(name)
        if measure is None or measure.quantity != quantity[i]:
            raise ConfigError(
                f"claim {frame['id'].iloc[i]!r}: measure = {name!r} ({quantity[i]}) has no prior "
                f"in the configuration; add one: ModelConfig().replace(measures={{{name!r}: "
                f"{{'quantity': {quantity[i]!r}, 'median': ..., 'log_sd': ...}}}})"
            )
        offset[i], sd[i] = np.log(measure.median), measure.log_sd
        if measure.lower_bound_from is not None and ref_start[i] >= measure.lower_bound_from:
            as_lower[i] = True
    return offset, sd, as_lower
