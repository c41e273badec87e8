"""The model's log density and gradient as one cached numba function, for fast NUTS.

Why this exists: every PyTensor route measured here either recompiles in each new process
(nutpie's numba wrapper: 12-60 s) or costs ~130 us per gradient through PyTensor's C VM, which
puts a fit at 10-20 s. This kernel is compiled by numba once per machine (``cache=True``), loads in
well under a second afterwards, and evaluates the density and gradient in a few microseconds
(1.9 us on the shipped ledger, 87 dimensions). Per call it allocates one scratch array, cuts
its data into views without numba's reshape, and reads what the priors alone determine (logs
of fixed scales, log-gamma of the share concentrations) from :class:`KernelConstants`, computed
once per fit: 2.6 us to 1.9 us, every number bit for bit the same. Claims that measure the same
thing share one computation of it and of its log (:class:`KernelData`): on ``bench_scaling``'s
999-claim ledger a call of the density alone went from 53 us to 37 us, and ``make bench``'s refit
of it from 6.5 s to 3.8 s (``benchmarks/results.md``).

The PyMC model in ``remitest.model`` stays the specification: the same unconstrained
parameterisation (PyMC's value variables, in the same order), the same constants, the same
likelihood. ``tests/test_kernel.py`` checks that the two agree in value and gradient at random
points, so any change to the model must be mirrored here or the tests fail.

Layout of the unconstrained vector ``x`` (PyMC value variables, in order)::

    log_workers_pinned, workers_step_sd_log__, workers_step_z[T-1],
    log_per_worker_pinned, per_worker_step_sd_log__, per_worker_step_z[T-1],
    host_weight_log__[H], host_step_z[H', T-1], bias_sd_log__[3], bias_rho_logodds__,
    estimator_bias_u[E], estimator_bias_z[E, 3], noise_sd_log__[K], reading_z[R]

where H' = H - 1 (every host but the reference, the last) with ``host_shares="walk"`` and 0
(absent) with ``"constant"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np

from remitest import forward
from remitest.config import ModelConfig
from remitest.ledger import ESTIMATOR_TYPES, QUANTITIES
from remitest.reading import reading_names, reading_priors
from remitest.structure import _step_mean, host_step_mean, host_step_scale

__all__ = [
    "Layout",
    "KernelData",
    "layout_for",
    "kernel_data",
    "logp_dlogp",
    "expand_draws",
    "VALUE_VARS",
    "pack",
    "cfuncs",
]

VALUE_VARS = (
    "log_workers_pinned",
    "workers_step_sd_log__",
    "workers_step_z",
    "log_per_worker_pinned",
    "per_worker_step_sd_log__",
    "per_worker_step_z",
    "host_weight_log__",
    "host_step_z",
    "bias_sd_log__",
    "bias_rho_logodds__",
    "estimator_bias_u",
    "estimator_bias_z",
    "noise_sd_log__",
    "reading_z",
)
_LOG_2PI = math.log(2.0 * math.pi)
_N_TYPES = len(ESTIMATOR_TYPES)  # a compile-time constant for numba
# Integer columns of a claim block: quantity, estimator, type, measurement row, variance row.
_INT_COLUMNS = 5


@dataclass(frozen=True)
class Layout:
    """Sizes of the model's pieces; offsets into ``x`` follow from them."""

    n_years: int
    n_hosts: int
    n_estimators: int
    n_types: int = len(ESTIMATOR_TYPES)
    n_quantities: int = len(QUANTITIES)
    n_walking_hosts: int = 0
    n_readings: int = 1

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of each value variable, in layout order (no ``host_step_z`` when none walks)."""
        steps = (self.n_years - 1,)
        shapes = {
            "log_workers_pinned": (),
            "workers_step_sd_log__": (),
            "workers_step_z": steps,
            "log_per_worker_pinned": (),
            "per_worker_step_sd_log__": (),
            "per_worker_step_z": steps,
            "host_weight_log__": (self.n_hosts,),
            "host_step_z": (self.n_walking_hosts, self.n_years - 1),
            "bias_sd_log__": (self.n_quantities,),
            "bias_rho_logodds__": (),
            "estimator_bias_u": (self.n_estimators,),
            "estimator_bias_z": (self.n_estimators, self.n_quantities),
            "noise_sd_log__": (self.n_types,),
            "reading_z": (self.n_readings,),
        }
        if not self.n_walking_hosts:
            del shapes["host_step_z"]
        return shapes

    def slices(self) -> dict[str, slice]:
        """Slice of each value variable in the flat vector."""
        out, start = {}, 0
        for name, shape in self.shapes().items():
            size = math.prod(shape)
            out[name] = slice(start, start + size)
            start += size
        return out

    @property
    def n_dim(self) -> int:
        """Length of the unconstrained vector."""
        return sum(math.prod(s) for s in self.shapes().values())


def layout_for(structure, config: ModelConfig | None = None) -> Layout:
    """The layout of a :class:`remitest.model.ModelStructure` (under its configuration)."""
    config = config or structure.configuration
    walking = len(structure.hosts) - 1 if config.host_shares == "walk" else 0
    return Layout(
        len(structure.years), len(structure.hosts), len(structure.estimators),
        n_walking_hosts=walking, n_readings=len(reading_names(config)),
    )


@dataclass(frozen=True)
class KernelData:
    """Everything the kernel reads besides ``x``: priors, structure and both claim blocks.

    ``params`` packs the scalar priors; ``*_int`` columns are (quantity, estimator, type,
    measurement, variance) indices stored as floats (everything travels in one float64 buffer,
    see :func:`pack`); ``*_real`` columns are (value, spread, direction), the spread read by the
    density through the claim's variance row.

    Claims that measure the same thing (quantity, years and hosts) share a row of
    ``measure_*``: its columns are (quantity, first year, stop year), its window and scope the
    claims'. Claims with the same estimator type and spread share a row of ``variance``, (type,
    spread). The density computes each measurement and its log, and each variance with its
    square root and log, once per row instead of once per claim: the same arithmetic on the same
    numbers, so the same bits, for a ledger whose claims repeat what others measure.
    """

    params: np.ndarray
    step_scale: np.ndarray
    step_mean: np.ndarray
    host_scale: np.ndarray
    host_mean: np.ndarray
    concentration: np.ndarray
    estimator_type: np.ndarray
    gauss_int: np.ndarray
    gauss_real: np.ndarray
    cens_int: np.ndarray
    cens_real: np.ndarray
    gauss_reading: np.ndarray
    cens_reading: np.ndarray
    measure_int: np.ndarray
    measure_window: np.ndarray
    measure_scope: np.ndarray
    variance: np.ndarray
    reading_log_median: np.ndarray  # for the expansion only (not passed to the density)
    reading_log_sd: np.ndarray

    def args(self) -> tuple[np.ndarray, ...]:
        """Positional arguments of :func:`logp_dlogp` after ``x`` and ``grad``."""
        return (
            self.params,
            self.step_scale,
            self.step_mean,
            self.host_scale,
            self.host_mean,
            self.concentration,
            self.estimator_type,
            self.gauss_int,
            self.gauss_real,
            self.cens_int,
            self.cens_real,
            self.gauss_reading,
            self.cens_reading,
            self.measure_int,
            self.measure_window,
            self.measure_scope,
            self.variance,
            _constants(self.params, self.concentration),  # derived here: never out of date
        )


class KernelPriors(NamedTuple):
    """The prior constants the kernel reads, by name; their order is the ``params`` buffer's."""

    log_workers_median: float
    workers_log_sd: float
    log_workers_step_sd: float
    log_per_worker_median: float
    per_worker_log_sd: float
    log_per_worker_step_sd: float
    log_bias_sd_median: float
    bias_sd_log_sd: float
    log_noise_median: float
    noise_log_sd: float
    rounding_sd: float
    pin_index: float
    host_step_sd: float
    step_sd_log_sd: float
    bias_tail_nu: float
    claim_outlier_weight: float
    claim_outlier_sd: float


# Where each constant sits in ``params``: a global namedtuple of ints, which numba freezes into
# the compiled kernel, so that the kernel reads ``params[_AT.pin_index]``, not ``params[11]``.
_AT = KernelPriors(*range(len(KernelPriors._fields)))
_N_PARAMS = len(KernelPriors._fields)


class KernelConstants(NamedTuple):
    """What the density derives from the priors alone, computed once per fit, not per gradient.

    Computed by the kernel's own numba (:func:`_constants`), so that each value has the bits the
    density had when it derived them on every call. ``log_gamma_concentration`` starts a block
    of one value per host.
    """

    log_workers_log_sd: float
    log_per_worker_log_sd: float
    log_step_sd_log_sd: float
    log_bias_sd_log_sd: float
    log_noise_log_sd: float
    student_t_const: float
    host_walk_step_sd: float
    log_gamma_concentration: float


_AC = KernelConstants(*range(len(KernelConstants._fields)))
_N_CONSTANTS = len(KernelConstants._fields) - 1  # besides the per-host block


def _prior_params(config: ModelConfig, pin_index: int) -> np.ndarray:
    p = config.priors
    return np.array(
        KernelPriors(
            log_workers_median=math.log(p.workers_median),
            workers_log_sd=p.workers_log_sd,
            log_workers_step_sd=math.log(p.workers_step_sd),
            log_per_worker_median=math.log(p.per_worker_median_usd),
            per_worker_log_sd=p.per_worker_log_sd,
            log_per_worker_step_sd=math.log(p.per_worker_step_sd),
            log_bias_sd_median=math.log(p.bias_sd_median),
            bias_sd_log_sd=p.bias_sd_log_sd,
            log_noise_median=math.log(p.noise_median),
            noise_log_sd=p.noise_log_sd,
            rounding_sd=p.rounding_sd,
            pin_index=float(pin_index),
            host_step_sd=p.host_step_sd,
            step_sd_log_sd=p.step_sd_log_sd,
            bias_tail_nu=p.bias_tail_nu,
            claim_outlier_weight=p.claim_outlier_weight,
            claim_outlier_sd=p.claim_outlier_sd,
        ),
        dtype=float,
    )


def kernel_data(
    data: dict[str, np.ndarray], structure, config: ModelConfig, step_scale: np.ndarray
) -> KernelData:
    """Convert the model's ``pm.Data`` arrays (see ``remitest.model.model_data``) for the kernel."""
    blocks = ("gaussian", "censored")
    n = [len(data[f"{p}_value"]) for p in blocks]
    quantity = np.concatenate([np.argmax(data[f"{p}_quantity"], axis=1) for p in blocks])
    kind = np.concatenate([np.argmax(data[f"{p}_estimator_type"], axis=1) for p in blocks])
    window = np.concatenate([np.asarray(data[f"{p}_window"], dtype=float) for p in blocks])
    scope = np.concatenate([np.asarray(data[f"{p}_scope"], dtype=float) for p in blocks])
    spread = np.concatenate([np.asarray(data[f"{p}_spread"], dtype=float) for p in blocks])
    # what each claim measures, and the variance it adds, as rows shared by the claims alike
    measures, measure = np.unique(
        np.column_stack([quantity, window, scope]), axis=0, return_inverse=True
    )
    variances, variance = np.unique(np.column_stack([kind, spread]), axis=0, return_inverse=True)
    n_years = window.shape[1]
    m_window = measures[:, 1 : 1 + n_years]
    covered = m_window > 0  # a claim's window is contiguous: loop over its years only
    first = np.argmax(covered, axis=1)
    stop = covered.shape[1] - np.argmax(covered[:, ::-1], axis=1)
    estimator = np.concatenate([np.argmax(data[f"{p}_estimator"], axis=1) for p in blocks])
    ints = np.column_stack([quantity, estimator, kind, measure.ravel(), variance.ravel()])
    ints = ints.astype(float).reshape(-1, _INT_COLUMNS)

    def block(prefix: str, rows: slice) -> tuple[np.ndarray, np.ndarray]:
        direction = np.where(
            np.isfinite(data[f"{prefix}_upper"]),
            1.0,
            np.where(np.isfinite(data[f"{prefix}_lower"]), -1.0, 0.0),
        )
        real = np.stack(
            [data[f"{prefix}_value"], data[f"{prefix}_spread"], direction], axis=1
        ).reshape(-1, 3)
        return np.ascontiguousarray(ints[rows]), np.ascontiguousarray(real)

    g_int, g_real = block("gaussian", slice(0, n[0]))
    c_int, c_real = block("censored", slice(n[0], n[0] + n[1]))
    params = _prior_params(config, structure.pin_year - structure.years[0])
    concentration = np.array(
        [config.priors.host_share_concentration[h] for h in structure.hosts], dtype=float
    )
    return KernelData(
        params=params,
        step_scale=np.asarray(step_scale, dtype=float),
        step_mean=np.ascontiguousarray(_step_mean(structure, config), dtype=float),
        host_scale=np.ascontiguousarray(host_step_scale(structure, config), dtype=float),
        host_mean=np.ascontiguousarray(host_step_mean(structure, config), dtype=float),
        concentration=concentration,
        estimator_type=np.array(
            [ESTIMATOR_TYPES.index(t) for t in structure.estimator_types], dtype=float
        ),
        gauss_int=g_int,
        gauss_real=g_real,
        cens_int=c_int,
        cens_real=c_real,
        gauss_reading=np.ascontiguousarray(data["gaussian_reading"], dtype=float),
        cens_reading=np.ascontiguousarray(data["censored_reading"], dtype=float),
        measure_int=np.column_stack([measures[:, 0], first, stop]).astype(float).reshape(-1, 3),
        measure_window=np.ascontiguousarray(m_window).reshape(-1, n_years),
        measure_scope=np.ascontiguousarray(measures[:, 1 + n_years :]).reshape(-1, scope.shape[1]),
        variance=np.ascontiguousarray(variances, dtype=float).reshape(-1, 2),
        reading_log_median=reading_priors(config)[0],
        reading_log_sd=reading_priors(config)[1],
    )


# --------------------------------------------------------------------------------------------
# numba kernels
# --------------------------------------------------------------------------------------------
_JIT = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}


@numba.njit(**_JIT)
def _matrix(flat: np.ndarray, start: int, rows: int, cols: int) -> np.ndarray:
    """A C-ordered (rows, cols) view of ``flat[start : start + rows * cols]``, without a copy."""
    return np.lib.stride_tricks.as_strided(
        flat[start:], shape=(rows, cols), strides=(cols * flat.itemsize, flat.itemsize)
    )


@numba.njit(**_JIT)
def _log_ndtr(u: float) -> tuple[float, float]:
    """Log Phi(u) and d/du log Phi(u), stable in the lower tail (as PyMC's normal_lcdf)."""
    if u > -30.0:
        phi_cdf = 0.5 * math.erfc(-u / math.sqrt(2.0))
        log_cdf = math.log(phi_cdf)
    else:  # asymptotic expansion of the Mills ratio, to 1/u^8 (relative error < 1e-12 here)
        w = 1.0 / (u * u)
        series = w * (-1.0 + w * (3.0 + w * (-15.0 + w * 105.0)))
        log_cdf = -0.5 * u * u - math.log(-u) - 0.5 * _LOG_2PI + math.log1p(series)
    log_pdf = -0.5 * u * u - 0.5 * _LOG_2PI
    return log_cdf, math.exp(log_pdf - log_cdf)


@numba.njit(**_JIT)
def _constants(params: np.ndarray, concentration: np.ndarray) -> np.ndarray:
    """:class:`KernelConstants` of these priors, in the density's own arithmetic."""
    out = np.zeros(_N_CONSTANTS + concentration.shape[0])
    out[_AC.log_workers_log_sd] = math.log(params[_AT.workers_log_sd])
    out[_AC.log_per_worker_log_sd] = math.log(params[_AT.per_worker_log_sd])
    out[_AC.log_step_sd_log_sd] = math.log(params[_AT.step_sd_log_sd])
    out[_AC.log_bias_sd_log_sd] = math.log(params[_AT.bias_sd_log_sd])
    out[_AC.log_noise_log_sd] = math.log(params[_AT.noise_log_sd])
    nu = params[_AT.bias_tail_nu]
    if nu > 0.0:
        out[_AC.student_t_const] = math.lgamma(0.5 * (nu + 1.0)) - math.lgamma(
            0.5 * nu
        ) - 0.5 * math.log(nu * math.pi)
    # exp(log(sd)), not sd: the host walks took their step sd through a log before (draws kept)
    out[_AC.host_walk_step_sd] = math.exp(math.log(params[_AT.host_step_sd]))
    for h in range(concentration.shape[0]):
        out[_AC.log_gamma_concentration + h] = math.lgamma(concentration[h])
    return out


@numba.njit(**_JIT)
def _walk(
    level: float,
    step_sd: float,
    z: np.ndarray,
    scale: np.ndarray,
    mean: np.ndarray,
    pin: int,
    out: np.ndarray,
) -> None:
    """Log series pinned at ``pin``: level + C[t] - C[pin], C = cumulative steps (+ means)."""
    out[0] = 0.0
    for s in range(z.shape[0]):
        out[s + 1] = out[s] + step_sd * scale[s] * z[s] + mean[s]
    pinned = out[pin]
    for t in range(out.shape[0]):
        out[t] = level + out[t] - pinned


@numba.njit(**_JIT)
def _walk_grad(
    g: np.ndarray,
    step_sd: float,
    z: np.ndarray,
    scale: np.ndarray,
    pin: int,
    grad: np.ndarray,
    i_level: int,
    i_sd: int,
    i_z: int,
) -> None:
    """Back-propagate d logp / d log-series ``g`` into the walk's level, step sd and steps."""
    total = 0.0
    for t in range(g.shape[0]):
        total += g[t]
    grad[i_level] += total
    # d/d step_s = sum_{t >= s} g_t - [s <= pin] * total   (steps s = 1..T-1)
    tail = 0.0
    d_log_sd = 0.0
    for s in range(z.shape[0], 0, -1):
        tail += g[s]
        d_step = tail - (total if s <= pin else 0.0)
        grad[i_z + s - 1] += d_step * step_sd * scale[s - 1]
        d_log_sd += d_step * step_sd * scale[s - 1] * z[s - 1]
    grad[i_sd] += d_log_sd


@numba.njit(**_JIT)
def _fixed_walk_grad(
    g: np.ndarray,
    step_sd: float,
    z: np.ndarray,
    scale: np.ndarray,
    pin: int,
    grad: np.ndarray,
    i_z: int,
) -> None:
    """Back-propagate into the steps of a walk with no level and a fixed step size."""
    total = 0.0
    for t in range(g.shape[0]):
        total += g[t]
    tail = 0.0
    for s in range(z.shape[0], 0, -1):
        tail += g[s]
        d_step = tail - (total if s <= pin else 0.0)
        grad[i_z + s - 1] += d_step * step_sd * scale[s - 1]


@numba.njit(**_JIT)
def _measurements(
    measure_int: np.ndarray,
    window: np.ndarray,
    scope: np.ndarray,
    host_w: np.ndarray,
    per_worker: np.ndarray,
    measured: np.ndarray,
    log_measured: np.ndarray,
) -> None:
    """What each measurement row (quantity, years, hosts) comes to, and its log."""
    n_hosts = scope.shape[1]
    for u in range(measure_int.shape[0]):
        q, first, stop = int(measure_int[u, 0]), int(measure_int[u, 1]), int(measure_int[u, 2])
        value = 0.0
        for h in range(n_hosts):
            for t in range(first, stop):
                c = scope[u, h] * window[u, t]
                if c != 0.0:
                    if q == 0:
                        value += c * host_w[h, t]
                    elif q == 1:
                        value += c * host_w[h, t] * per_worker[t]
                    else:
                        value += c * per_worker[t]
        measured[u] = value
        log_measured[u] = math.log(value)


@numba.njit(**_JIT)
def _claim_term(censored: bool, value: float, direction: float, m: float, var: float, s: float,
                log_s: float) -> tuple[float, float, float]:
    """One normal reading of a claim: log-likelihood and its derivatives in m and in s."""
    if censored:
        z = direction * (m - value) / s
        ll, mills = _log_ndtr(z)
        return ll, mills * direction / s, -mills * z / s
    r = value - m
    return -0.5 * r * r / var - log_s - 0.5 * _LOG_2PI, r / var, r * r / (var * s) - 1.0 / s


@numba.njit(**_JIT)
def _claims(
    censored: bool,
    ints: np.ndarray,
    real: np.ndarray,
    reading: np.ndarray,
    measure_int: np.ndarray,
    window: np.ndarray,
    scope: np.ndarray,
    measured: np.ndarray,
    log_measured: np.ndarray,
    var_v: np.ndarray,
    sd_v: np.ndarray,
    log_sd_v: np.ndarray,
    host_w: np.ndarray,
    per_worker: np.ndarray,
    bias: np.ndarray,
    noise: np.ndarray,
    reading_z: np.ndarray,
    outlier_w: float,
    outlier_var: float,
    d_host_w: np.ndarray,
    d_per_worker: np.ndarray,
    d_bias: np.ndarray,
    d_noise: np.ndarray,
    d_reading: np.ndarray,
) -> float:
    """Log-likelihood of one claim block; accumulates gradients w.r.t. the series and biases.

    Each claim reads its measurement (``measured``, its log) and its variance (``var_v``, its
    square root and log) from rows shared with the claims alike (:class:`KernelData`). With
    ``outlier_w`` > 0 each claim is a mixture: weight ``1 - outlier_w`` on its own normal and
    ``outlier_w`` on one with ``outlier_var`` more variance (``priors.claim_outlier_*``).
    """
    logp = 0.0
    n_hosts = scope.shape[1]
    for i in range(ints.shape[0]):
        q, e, k = int(ints[i, 0]), int(ints[i, 1]), int(ints[i, 2])
        u, v = int(ints[i, 3]), int(ints[i, 4])
        m = log_measured[u] + bias[e, q]
        for r in range(reading_z.shape[0]):
            m += reading[i, r] * reading_z[r]
        var, s = var_v[v], sd_v[v]
        ll, dm, ds = _claim_term(censored, real[i, 0], real[i, 2], m, var, s, log_sd_v[v])
        if outlier_w > 0.0:  # the mixture: d(wide sd)/d(sd) = s / wide
            wide_var = var + outlier_var
            wide = math.sqrt(wide_var)
            ll2, dm2, ds2 = _claim_term(censored, real[i, 0], real[i, 2], m, wide_var, wide,
                                        math.log(wide))
            a, b = math.log1p(-outlier_w) + ll, math.log(outlier_w) + ll2
            ll = max(a, b) + math.log1p(math.exp(-abs(a - b)))
            r1, r2 = math.exp(a - ll), math.exp(b - ll)
            dm = r1 * dm + r2 * dm2
            ds = r1 * ds + r2 * ds2 * s / wide
        logp += ll
        d_bias[e, q] += dm
        for r in range(reading_z.shape[0]):
            d_reading[r] += dm * reading[i, r]
        d_noise[k] += ds * noise[k] * noise[k] / s  # through noise = exp(v)
        d_measured = dm / measured[u]
        first, stop = int(measure_int[u, 1]), int(measure_int[u, 2])
        for h in range(n_hosts):
            for t in range(first, stop):
                c = scope[u, h] * window[u, t] * d_measured
                if c != 0.0:
                    if q == 0:
                        d_host_w[h, t] += c
                    elif q == 1:
                        d_host_w[h, t] += c * per_worker[t]
                        d_per_worker[t] += c * host_w[h, t]
                    else:
                        d_per_worker[t] += c
    return logp


@numba.njit(**_JIT)
def logp_dlogp(
    x,
    grad,
    params,
    step_scale,
    step_mean,
    host_scale,
    host_mean,
    concentration,
    estimator_type,
    gauss_int,
    gauss_real,
    cens_int,
    cens_real,
    gauss_reading,
    cens_reading,
    measure_int,
    measure_window,
    measure_scope,
    variance,
    constants,
) -> float:
    """Log density of the model at unconstrained ``x``; writes its gradient into ``grad``."""
    n_years = step_scale.shape[0] + 1
    n_hosts = concentration.shape[0]
    n_types = _N_TYPES
    n_est = estimator_type.shape[0]
    nq = 3
    mu_w, sd_w = params[_AT.log_workers_median], params[_AT.workers_log_sd]
    step_w = params[_AT.log_workers_step_sd]
    mu_p, sd_p = params[_AT.log_per_worker_median], params[_AT.per_worker_log_sd]
    step_p = params[_AT.log_per_worker_step_sd]
    mu_tau, sd_tau = params[_AT.log_bias_sd_median], params[_AT.bias_sd_log_sd]
    mu_noise, sd_noise = params[_AT.log_noise_median], params[_AT.noise_log_sd]
    rounding = params[_AT.rounding_sd]
    pin = int(params[_AT.pin_index])
    host_sd = params[_AT.host_step_sd]
    step_log_sd = params[_AT.step_sd_log_sd]
    nu = params[_AT.bias_tail_nu]
    outlier_w = params[_AT.claim_outlier_weight]
    outlier_var = params[_AT.claim_outlier_sd] * params[_AT.claim_outlier_sd]
    n_walk = host_scale.shape[0]
    # offsets
    i_w0, i_wsd, i_wz = 0, 1, 2
    i_p0 = i_wz + n_years - 1
    i_psd, i_pz = i_p0 + 1, i_p0 + 2
    i_hw = i_pz + n_years - 1
    i_hz = i_hw + n_hosts
    i_tau = i_hz + n_walk * (n_years - 1)
    i_rho = i_tau + nq
    i_eu = i_rho + 1
    i_ez = i_eu + n_est
    i_nv = i_ez + n_est * nq
    i_rz = i_nv + n_types
    n_read = gauss_reading.shape[1]

    for j in range(grad.shape[0]):
        grad[j] = 0.0
    logp = 0.0
    # One scratch allocation per call, cut into every working array below (an allocation per
    # array cost about a tenth of a small ledger's gradient).
    n_ht = n_hosts * n_years
    n_measure, n_var = measure_int.shape[0], variance.shape[0]
    work = np.zeros(
        nq + 2 * n_types + 6 * n_years - 1 + 5 * n_ht + 2 * n_est * nq + n_read
        + 2 * n_measure + 3 * n_var
    )
    at = 0
    tau = work[at : at + nq]
    at += nq
    noise = work[at : at + n_types]
    at += n_types
    log_w = work[at : at + n_years]
    at += n_years
    log_p = work[at : at + n_years]
    at += n_years
    no_mean = work[at : at + n_years - 1]
    at += n_years - 1
    per_worker = work[at : at + n_years]
    at += n_years
    d_per_worker = work[at : at + n_years]
    at += n_years
    g_w = work[at : at + n_years]  # d logp / d world walk
    at += n_years
    ratio = _matrix(work, at, n_hosts, n_years)
    at += n_ht
    share_t = _matrix(work, at, n_hosts, n_years)  # share of each host in each year
    at += n_ht
    host_w = _matrix(work, at, n_hosts, n_years)
    at += n_ht
    d_host_w = _matrix(work, at, n_hosts, n_years)
    at += n_ht
    g_logit = _matrix(work, at, n_hosts, n_years)
    at += n_ht
    bias = _matrix(work, at, n_est, nq)
    at += n_est * nq
    d_bias = _matrix(work, at, n_est, nq)
    at += n_est * nq
    d_noise = work[at : at + n_types]
    at += n_types
    d_reading = work[at : at + n_read]
    at += n_read
    measured = work[at : at + n_measure]
    at += n_measure
    log_measured = work[at : at + n_measure]
    at += n_measure
    var_v = work[at : at + n_var]
    at += n_var
    sd_v = work[at : at + n_var]
    at += n_var
    log_sd_v = work[at : at + n_var]

    # priors -----------------------------------------------------------------------------
    for i_level, mu, sd, log_sd in (
        (i_w0, mu_w, sd_w, constants[_AC.log_workers_log_sd]),
        (i_p0, mu_p, sd_p, constants[_AC.log_per_worker_log_sd]),
    ):
        r = x[i_level] - mu
        logp += -0.5 * r * r / (sd * sd) - log_sd - 0.5 * _LOG_2PI
        grad[i_level] -= r / (sd * sd)
    log_step_log_sd = constants[_AC.log_step_sd_log_sd]
    for i_sd, log_median in ((i_wsd, step_w), (i_psd, step_p)):  # LogNormal, log-transformed
        r = x[i_sd] - log_median
        logp += -0.5 * r * r / (step_log_sd**2) - log_step_log_sd - 0.5 * _LOG_2PI
        grad[i_sd] -= r / (step_log_sd**2)
    for start, count in (
        (i_wz, n_years - 1),
        (i_pz, n_years - 1),
        (i_hz, n_walk * (n_years - 1)),
        (i_eu, n_est),
        (i_rz, n_read),
    ):
        for j in range(start, start + count):
            logp += -0.5 * x[j] * x[j] - 0.5 * _LOG_2PI
            grad[j] -= x[j]
    if nu > 0.0:  # Student-t standardised biases
        t_const = constants[_AC.student_t_const]
        for j in range(i_ez, i_ez + n_est * nq):
            logp += t_const - 0.5 * (nu + 1.0) * math.log1p(x[j] * x[j] / nu)
            grad[j] -= (nu + 1.0) * x[j] / (nu + x[j] * x[j])
    else:
        for j in range(i_ez, i_ez + n_est * nq):
            logp += -0.5 * x[j] * x[j] - 0.5 * _LOG_2PI
            grad[j] -= x[j]
    for h in range(n_hosts):  # Gamma(alpha, 1), log-transformed
        gamma_v = x[i_hw + h]
        weight = math.exp(gamma_v)
        logp += (
            concentration[h] * gamma_v
            - weight
            - constants[_AC.log_gamma_concentration + h]
        )
        grad[i_hw + h] += concentration[h] - weight
    # the biases' correlation: Beta(2, 2), logodds-transformed (with its Jacobian)
    v_rho = x[i_rho]
    if v_rho >= 0.0:
        log_rho = -math.log1p(math.exp(-v_rho))
        log_1m_rho = -v_rho + log_rho
    else:
        log_1m_rho = -math.log1p(math.exp(v_rho))
        log_rho = v_rho + log_1m_rho
    rho = math.exp(log_rho)
    logp += math.log(6.0) + 2.0 * log_rho + 2.0 * log_1m_rho
    grad[i_rho] += 2.0 - 4.0 * rho
    load_u = math.sqrt(rho)
    load_z = math.exp(0.5 * log_1m_rho)
    log_sd_tau = constants[_AC.log_bias_sd_log_sd]
    for q in range(nq):  # bias spread per quantity: LogNormal, log-transformed
        r = x[i_tau + q] - mu_tau
        logp += -0.5 * r * r / (sd_tau * sd_tau) - log_sd_tau - 0.5 * _LOG_2PI
        grad[i_tau + q] -= r / (sd_tau * sd_tau)
        tau[q] = math.exp(x[i_tau + q])
    log_sd_noise = constants[_AC.log_noise_log_sd]
    for k in range(n_types):  # LogNormal, log-transformed: a normal on the log
        r = x[i_nv + k] - mu_noise
        logp += -0.5 * r * r / (sd_noise * sd_noise) - log_sd_noise - 0.5 * _LOG_2PI
        grad[i_nv + k] -= r / (sd_noise * sd_noise)
        noise[k] = math.exp(x[i_nv + k])

    # deterministic pieces -----------------------------------------------------------------
    step_sd_w, step_sd_p = math.exp(x[i_wsd]), math.exp(x[i_psd])
    _walk(x[i_w0], step_sd_w, x[i_wz : i_wz + n_years - 1], step_scale, step_mean, pin, log_w)
    _walk(x[i_p0], step_sd_p, x[i_pz : i_pz + n_years - 1], step_scale, no_mean, pin, log_p)
    for t in range(n_years):
        per_worker[t] = math.exp(log_p[t])
    # hosts: world x shares, the shares walking in additive log-ratio against the last host
    host_walk_sd = constants[_AC.host_walk_step_sd]
    for h in range(n_walk):
        start = i_hz + h * (n_years - 1)
        _walk(0.0, host_walk_sd, x[start : start + n_years - 1], host_scale[h], host_mean[h], pin,
              ratio[h])
    for t in range(n_years):
        total = 0.0
        for h in range(n_hosts):
            share_t[h, t] = math.exp(x[i_hw + h] + ratio[h, t])
            total += share_t[h, t]
        world = math.exp(log_w[t])
        for h in range(n_hosts):
            share_t[h, t] /= total
            host_w[h, t] = world * share_t[h, t]
    for e in range(n_est):
        for q in range(nq):
            bias[e, q] = tau[q] * (load_u * x[i_eu + e] + load_z * x[i_ez + e * nq + q])

    # likelihood ---------------------------------------------------------------------------
    reading_z = x[i_rz : i_rz + n_read]
    _measurements(
        measure_int, measure_window, measure_scope, host_w, per_worker, measured, log_measured
    )
    for v in range(n_var):
        k = int(variance[v, 0])
        var_v[v] = noise[k] * noise[k] + rounding * rounding + variance[v, 1] * variance[v, 1]
        sd_v[v] = math.sqrt(var_v[v])
        log_sd_v[v] = math.log(sd_v[v])
    for censored, ints, real, reading in (
        (False, gauss_int, gauss_real, gauss_reading),
        (True, cens_int, cens_real, cens_reading),
    ):
        logp += _claims(
            censored,
            ints,
            real,
            reading,
            measure_int,
            measure_window,
            measure_scope,
            measured,
            log_measured,
            var_v,
            sd_v,
            log_sd_v,
            host_w,
            per_worker,
            bias,
            noise,
            reading_z,
            outlier_w,
            outlier_var,
            d_host_w,
            d_per_worker,
            d_bias,
            d_noise,
            d_reading,
        )

    # back-propagation ---------------------------------------------------------------------
    for k in range(n_types):
        grad[i_nv + k] += d_noise[k]
    for r in range(n_read):
        grad[i_rz + r] += d_reading[r]
    # bias = tau (sqrt(rho) u + sqrt(1 - rho) z); d rho / d v = rho (1 - rho)
    for e in range(n_est):
        for q in range(nq):
            u, z = x[i_eu + e], x[i_ez + e * nq + q]
            g = d_bias[e, q] * tau[q]
            grad[i_ez + e * nq + q] += g * load_z
            grad[i_eu + e] += g * load_u
            grad[i_tau + q] += d_bias[e, q] * bias[e, q]
            grad[i_rho] += g * 0.5 * (u * load_u * (1.0 - rho) - z * load_z * rho)
    for t in range(n_years):
        for h in range(n_hosts):
            g_w[t] += d_host_w[h, t] * host_w[h, t]
    # softmax: d logp / d logit_h(t) = D[h,t] host_w[h,t] - share_h(t) g_w[t]
    for h in range(n_hosts):
        for t in range(n_years):
            g_logit[h, t] = d_host_w[h, t] * host_w[h, t] - share_t[h, t] * g_w[t]
            grad[i_hw + h] += g_logit[h, t]
    for h in range(n_walk):
        start = i_hz + h * (n_years - 1)
        _fixed_walk_grad(
            g_logit[h], host_sd, x[start : start + n_years - 1], host_scale[h], pin, grad, start
        )
    for t in range(n_years):  # d logp / d log pay
        d_per_worker[t] *= per_worker[t]
    _walk_grad(
        g_w, step_sd_w, x[i_wz : i_wz + n_years - 1], step_scale, pin, grad, i_w0, i_wsd, i_wz
    )
    _walk_grad(
        d_per_worker,
        step_sd_p,
        x[i_pz : i_pz + n_years - 1],
        step_scale,
        pin,
        grad,
        i_p0,
        i_psd,
        i_pz,
    )
    return logp


# --------------------------------------------------------------------------------------------
# expansion of draws (numpy, vectorised over all draws at once)
# --------------------------------------------------------------------------------------------
def expand_draws(x: np.ndarray, layout: Layout, kdata: KernelData) -> dict[str, np.ndarray]:
    """Map unconstrained draws ``x[..., n_dim]`` to every posterior variable (leading axes kept).

    Returns arrays named as the PyMC model's free variables and deterministics.
    """
    sl = layout.slices()
    lead = x.shape[:-1]
    p = kdata.params
    pin = int(p[_AT.pin_index])

    def part(name: str) -> np.ndarray:
        return x[..., sl[name]].reshape((*lead, *layout.shapes()[name]))

    def walk(level: np.ndarray, log_sd: np.ndarray, z: np.ndarray, mean=0.0) -> np.ndarray:
        return forward.pinned_walk(level, np.exp(log_sd), z, kdata.step_scale, pin, mean)

    log_world = walk(
        part("log_workers_pinned"), part("workers_step_sd_log__"), part("workers_step_z"),
        kdata.step_mean,
    )
    per_worker = np.exp(
        walk(
            part("log_per_worker_pinned"),
            part("per_worker_step_sd_log__"),
            part("per_worker_step_z"),
        )
    )
    weight = np.exp(part("host_weight_log__"))
    share = weight / weight.sum(axis=-1, keepdims=True)
    log_ratio = None
    if layout.n_walking_hosts:
        log_ratio = forward.host_log_ratios(
            part("host_step_z"), p[_AT.host_step_sd], kdata.host_scale, kdata.host_mean, pin
        )
    share_by_year = forward.host_shares(weight, log_ratio, layout.n_years)
    workers_host = forward.compose(log_world, share_by_year)
    workers = np.exp(log_world)
    remittances = workers * per_worker
    bias_sd = np.exp(part("bias_sd_log__"))
    rho = 1.0 / (1.0 + np.exp(-part("bias_rho_logodds__")))
    estimator_bias = bias_sd[..., None, :] * (
        np.sqrt(rho)[..., None, None] * part("estimator_bias_u")[..., :, None]
        + np.sqrt(1.0 - rho)[..., None, None] * part("estimator_bias_z")
    )
    return {
        "log_workers_pinned": part("log_workers_pinned"),
        "workers_step_sd": np.exp(part("workers_step_sd_log__")),
        "workers_step_z": part("workers_step_z"),
        "log_per_worker_pinned": part("log_per_worker_pinned"),
        "per_worker_step_sd": np.exp(part("per_worker_step_sd_log__")),
        "per_worker_step_z": part("per_worker_step_z"),
        "host_weight": weight,
        **({"host_step_z": part("host_step_z")} if layout.n_walking_hosts else {}),
        "bias_sd": bias_sd,
        "bias_rho": rho,
        "estimator_bias_u": part("estimator_bias_u"),
        "estimator_bias_z": part("estimator_bias_z"),
        "noise_sd": np.exp(part("noise_sd_log__")),
        "reading_z": part("reading_z"),
        "reading_factor": np.exp(kdata.reading_log_median
                                 + kdata.reading_log_sd * part("reading_z")),
        "workers": workers,
        "per_worker_usd": per_worker,
        "remittances_usd": remittances,
        "host_share": share,
        "workers_host": workers_host,
        "host_share_by_year": share_by_year,
        "remittances_usd_host": workers_host * per_worker[..., None, :],
        "estimator_bias": estimator_bias,
    }


# --------------------------------------------------------------------------------------------
# C entry points for nutpie's Rust sampler (no GIL, chains in parallel threads)
# --------------------------------------------------------------------------------------------
# The buffer's first values: its total length, then n_years, n_hosts, n_estimators, n_gaussian,
# n_censored, n_walking, n_readings, n_measurements, n_variances (read by _unpack)
_HEADER = 10


def pack(kdata: KernelData) -> np.ndarray:
    """All kernel data in one contiguous float64 buffer, read back by :func:`_unpack`."""
    n_years = kdata.step_scale.shape[0] + 1
    body = np.concatenate([np.ravel(p).astype(float) for p in kdata.args()])
    header = np.array(
        [
            _HEADER + body.size,
            n_years,
            kdata.concentration.size,
            kdata.estimator_type.size,
            kdata.gauss_int.shape[0],
            kdata.cens_int.shape[0],
            kdata.host_scale.shape[0],
            kdata.gauss_reading.shape[1],
            kdata.measure_int.shape[0],
            kdata.variance.shape[0],
        ],
        dtype=float,
    )
    buf = np.ascontiguousarray(np.concatenate([header, body]))
    end = _unpack(buf)[0]
    if end != buf.size:  # pack and _unpack disagree: a bug, never the user's
        raise AssertionError(f"kernel buffer of {buf.size} values, header says {end}")
    return buf


@numba.njit(**_JIT)
def _unpack(buf: np.ndarray):
    """The end of what the header describes, and :meth:`KernelData.args` as views of the buffer.

    The views follow :func:`pack`'s order, one after another from the header on: nothing
    allocated, and no reshape (numba's calls a C helper, ~15 ns a view, a sixth of a small
    ledger's gradient in all). A view past the buffer's end is built but must not be read:
    callers compare the end with the buffer's length first.
    """
    n_years, n_hosts, n_est = int(buf[1]), int(buf[2]), int(buf[3])
    n_g, n_c, n_walk, n_read = int(buf[4]), int(buf[5]), int(buf[6]), int(buf[7])
    n_measure, n_var = int(buf[8]), int(buf[9])
    n_steps = n_years - 1
    a = _HEADER
    params = buf[a : a + _N_PARAMS]
    a += _N_PARAMS
    step_scale = buf[a : a + n_steps]
    a += n_steps
    step_mean = buf[a : a + n_steps]
    a += n_steps
    host_scale = _matrix(buf, a, n_walk, n_steps)
    a += n_walk * n_steps
    host_mean = _matrix(buf, a, n_walk, n_steps)
    a += n_walk * n_steps
    concentration = buf[a : a + n_hosts]
    a += n_hosts
    estimator_type = buf[a : a + n_est]
    a += n_est
    gauss_int = _matrix(buf, a, n_g, _INT_COLUMNS)
    a += n_g * _INT_COLUMNS
    gauss_real = _matrix(buf, a, n_g, 3)
    a += n_g * 3
    cens_int = _matrix(buf, a, n_c, _INT_COLUMNS)
    a += n_c * _INT_COLUMNS
    cens_real = _matrix(buf, a, n_c, 3)
    a += n_c * 3
    gauss_reading = _matrix(buf, a, n_g, n_read)
    a += n_g * n_read
    cens_reading = _matrix(buf, a, n_c, n_read)
    a += n_c * n_read
    measure_int = _matrix(buf, a, n_measure, 3)
    a += n_measure * 3
    measure_window = _matrix(buf, a, n_measure, n_years)
    a += n_measure * n_years
    measure_scope = _matrix(buf, a, n_measure, n_hosts)
    a += n_measure * n_hosts
    variance = _matrix(buf, a, n_var, 2)
    a += n_var * 2
    constants = buf[a : a + _N_CONSTANTS + n_hosts]
    a += _N_CONSTANTS + n_hosts
    return a, (
        params,
        step_scale,
        step_mean,
        host_scale,
        host_mean,
        concentration,
        estimator_type,
        gauss_int,
        gauss_real,
        cens_int,
        cens_real,
        gauss_reading,
        cens_reading,
        measure_int,
        measure_window,
        measure_scope,
        variance,
        constants,
    )


_LOGP_SIG = numba.types.int64(
    numba.types.uint64,
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.voidptr,
)
_EXPAND_SIG = numba.types.int64(
    numba.types.uint64,
    numba.types.uint64,
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.voidptr,
)


def _logp_c(dim, x_, out_, logp_, user_data_):
    # nutpie's contract: 0 ok, 3 non-finite gradient, 4 non-finite logp (a rejected point).
    head = numba.carray(user_data_, (1,), np.float64)
    buf = numba.carray(user_data_, (int(head[0]),), np.float64)
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (dim,))
    logp = numba.carray(logp_, (1,))
    end, args = _unpack(buf)
    if end != buf.shape[0]:  # views would reach past the buffer: refuse before reading them
        return 1
    value = logp_dlogp(x, out, *args)
    logp[0] = value
    for j in range(dim):
        if not np.isfinite(out[j]):
            return 3
    if not np.isfinite(value):
        return 4
    return 0


def _expand_c(dim, expanded, x_, out_, user_data_):
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (expanded,))
    for j in range(dim):
        out[j] = x[j]
    return 0


_CFUNCS: list = []


def cfuncs():
    """The cached C callbacks ``(logp, expand)`` for nutpie, compiled (or loaded) on first use."""
    if not _CFUNCS:
        _CFUNCS.extend(
            [
                numba.cfunc(_LOGP_SIG, cache=True, nopython=True)(_logp_c),
                numba.cfunc(_EXPAND_SIG, cache=True, nopython=True)(_expand_c),
            ]
        )
    return tuple(_CFUNCS)
