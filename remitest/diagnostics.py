"""The diagnostics gate that every fit passes through, and the warning it raises when it fails.

The gate's R-hat, bulk ESS and tail ESS are ArviZ 1's (``az.rhat`` with its default
``method="rank"``, ``az.ess`` with ``method="bulk"`` and ``"tail"``), written again here over an
array of every gated scalar at once (:func:`rank_diagnostics`). ArviZ 1.3 loops in Python over the
scalars (``arviz_stats.base.stats_utils.make_ufunc``: one call per element, each with its own
ranking, FFT and Geyer loop), which cost 0.55-0.85 s per fit at ~270 scalars and 4 chains x
300-2,000 draws, more than the sampling itself; its numba backend is no faster. Here one sort per
scalar serves both rankings (the folded draws' order is a merge of the two sides of the median,
:func:`_ranks_by_merge`), one FFT along the draw axis and cumulative masks for Geyer's truncation
serve all scalars: 0.11 s against ArviZ's 0.68 s on a 4 x 300 fit's 270 scalars, measured side
by side on a shared 2-core machine, and 0.07-0.08 s for a 4 x 1,000 refit's 162 scalars
(``benchmarks/bench_postprocess.py`` and ``bench_fit.py`` time it again).
``tests/test_diagnostics.py`` holds the three numbers to ArviZ's to rtol 1e-10, on adversarial
arrays and on a fake fit's posterior, so a change on either side shows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import arviz as az
import numba
import numpy as np
import pandas as pd
import xarray as xr
from arviz_base import rcParams, xarray_sel_iter
from arviz_base.labels import BaseLabeller
from scipy import special
from scipy.fftpack import next_fast_len  # ArviZ's FFT length: the same padding, the same rounding

from remitest._threads import map_blocks
from remitest.config import Gate

__all__ = [
    "Diagnostics",
    "DiagnosticsWarning",
    "DiagnosticsError",
    "check_fit",
    "gate_failures",
    "gated_names",
    "rank_diagnostics",
]


_LABELS = {"ess_bulk": "bulk ESS", "ess_tail": "tail ESS"}


class DiagnosticsWarning(UserWarning):
    """A fit fell short of the configured diagnostics gate. Its results may not be trustworthy."""


class DiagnosticsError(RuntimeError):
    """A fit fell short of the diagnostics gate in strict mode."""


@dataclass(frozen=True)
class Diagnostics:
    """Convergence diagnostics of one fit, and whether they pass the gate.

    Attributes
    ----------
    table : DataFrame
        One row per scalar parameter: ``r_hat``, ``ess_bulk``, ``ess_tail``.
    divergences : int
    ebfmi : ndarray
        E-BFMI per chain.
    failures : tuple of str
        Human-readable reasons the gate failed, each with what to try; empty when it passed.
    """

    table: pd.DataFrame
    divergences: int
    ebfmi: np.ndarray
    failures: tuple[str, ...] = field(default=())

    def against(self, gate: Gate) -> Diagnostics:
        """The same diagnostics judged against another gate."""
        failures = gate_failures(self.table, self.divergences, self.ebfmi, gate)
        return Diagnostics(table=self.table, divergences=self.divergences, ebfmi=self.ebfmi,
                           failures=failures)

    @property
    def passed(self) -> bool:
        """True when every check met its threshold."""
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary, as written into a run's metadata."""
        return {
            "passed": self.passed,
            "failures": list(self.failures),
            "divergences": int(self.divergences),
            "max_r_hat": _finite_max(self.table["r_hat"]),
            "min_ess_bulk": _finite_min(self.table["ess_bulk"]),
            "min_ess_tail": _finite_min(self.table["ess_tail"]),
            "min_ebfmi": float(np.min(self.ebfmi)) if len(self.ebfmi) else None,
        }

    def __str__(self) -> str:
        d = self.to_dict()
        status = "passed" if self.passed else "FAILED"
        lines = [
            f"diagnostics {status}: max R-hat {d['max_r_hat']:.4f}, min bulk ESS "
            f"{d['min_ess_bulk']:.0f}, min tail ESS {d['min_ess_tail']:.0f}, "
            f"{d['divergences']} divergences, min E-BFMI {d['min_ebfmi']:.2f}"
        ]
        lines += [f"  - {f}" for f in self.failures]
        return "\n".join(lines)


def _finite_max(values: pd.Series) -> float:
    return float(np.nanmax(values.to_numpy(float))) if len(values) else float("nan")


def _finite_min(values: pd.Series) -> float:
    return float(np.nanmin(values.to_numpy(float))) if len(values) else float("nan")


def gated_names(posterior: Any) -> list[str]:
    """Variables the gate checks: free parameters (on their own scale) and the world series.

    Host series, shares and biases are deterministic functions of these and are left out.
    """
    skip = {"workers_host", "remittances_usd_host", "host_share", "estimator_bias"}
    return [n for n in posterior.data_vars if n not in skip]


def diagnostics_table(posterior: xr.Dataset) -> pd.DataFrame:
    """Rank-normalised split R-hat, bulk and tail ESS of every scalar in ``posterior``.

    The columns of ``arviz.summary(kind="diagnostics")`` that the gate reads, with its row labels
    (``workers_step_z[2014]``), without the Monte Carlo errors the gate does not use. The numbers
    are ``az.rhat`` and ``az.ess`` (bulk, tail at ArviZ's ``stats.ci_prob``), computed by
    :func:`rank_diagnostics` over all scalars at once.
    """
    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    blocks = [
        posterior[name].transpose("chain", "draw", ...).to_numpy().reshape(n_chain, n_draw, -1)
        for name in posterior.data_vars
    ]
    draws = np.concatenate(blocks, axis=-1) if blocks else np.empty((n_chain, n_draw, 0))
    # az.summary's labels in its order, each on its own cell: arviz_base.dataset_to_dataframe
    # (0.4 s here) stacks a variable by the Dataset's dimension order but labels it by its own, so
    # it put host_step_z[china, 2010]'s numbers on another row (walking_host, step vs step first)
    labeller = BaseLabeller()
    labels = [
        labeller.make_label_flat(name, sel, isel)
        for name, sel, isel in xarray_sel_iter(posterior, skip_dims={"chain", "draw"})
    ]
    r_hat, ess_bulk, ess_tail = rank_diagnostics(draws)
    return pd.DataFrame(
        {"r_hat": r_hat, "ess_bulk": ess_bulk, "ess_tail": ess_tail}, index=pd.Index(labels)
    )


# -- ArviZ 1's rank diagnostics over (chain, draw, scalar) ----------------------------------------
# Each step mirrors arviz_stats.base.diagnostics._DiagnosticsBase (named in the comments), with
# the scalars as a leading axis and the reductions over the same contiguous axes as ArviZ's.


_BLOCK = 32  # scalars per block of rank_diagnostics


def rank_diagnostics(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ArviZ 1's rank-normalised split R-hat, bulk ESS and tail ESS of every scalar at once.

    Parameters
    ----------
    draws : ndarray, shape (chain, draw, scalar)

    Returns
    -------
    r_hat, ess_bulk, ess_tail : ndarray, shape (scalar,)
        ``az.rhat(method="rank")``, ``az.ess(method="bulk")`` and ``az.ess(method="tail")``
        (the quantiles ``1 - stats.ci_prob`` and ``stats.ci_prob`` of ArviZ's rcParams). NaN
        where ArviZ gives NaN: a scalar with a NaN draw, fewer than 4 draws, or (R-hat) one chain.
    """
    x = np.moveaxis(np.asarray(draws, dtype=float), -1, 0)  # (scalar, chain, draw)
    # Blocks of _BLOCK scalars, two at a time (remitest._threads): a block's arrays stay small
    # enough to be reused rather than paged in afresh. A first fit's gate took 0.99 s in one
    # piece and 0.15 s in blocks; a refit's 0.21 s and 0.12 s, and 0.08 s with one sort a
    # scalar instead of two (a 32-scalar block of 4 x 1,000 draws: 43 ms to 28 ms).
    blocks = [x[i : i + _BLOCK] for i in range(0, x.shape[0], _BLOCK)] or [x]
    parts = map_blocks(_rank_diagnostics, blocks)
    return tuple(np.concatenate(values) for values in zip(*parts, strict=True))


def _rank_diagnostics(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`rank_diagnostics` of one block, ``x`` of shape (scalar, chain, draw)."""
    n_scalar, n_chain, n_draw = x.shape
    # _not_valid: any NaN, or too few draws / chains, gives NaN (the values are then not read)
    has_nan = np.isnan(x).any(axis=(1, 2))
    if n_draw < 4 or n_scalar == 0:
        nan = np.full(n_scalar, np.nan)
        return nan, nan.copy(), nan.copy()
    x = np.where(has_nan[:, None, None], 0.0, x)

    high = rcParams["stats.ci_prob"]
    prob_low, prob_high = sorted((high, 1 - high))  # _ess_tail
    split = _split_chains(x)
    # One sort per scalar serves the bulk ranks, the median, the folded ranks (a merge of the
    # two sides of the median) and, when the split chains hold every draw, the quantiles.
    flat = split.reshape(n_scalar, -1)
    order = np.argsort(flat, axis=-1)
    ordered = np.take_along_axis(flat, order, axis=-1)
    whole = ordered if n_draw % 2 == 0 else x.reshape(n_scalar, -1)  # odd: the middle draw too
    quantiles = np.quantile(whole, [prob_low, prob_high], axis=-1)  # (2, scalar)
    median = np.median(ordered, axis=-1)

    with np.errstate(divide="ignore", invalid="ignore"):
        z_bulk, z_folded = _normal_scores(order, ordered, median).reshape(2, *split.shape)
        rhat_bulk, rhat_tail = _rhat(z_bulk), _rhat(z_folded)
        r_hat = np.where(rhat_tail > rhat_bulk, rhat_tail, rhat_bulk)  # max(bulk, tail)
        indicators = [_split_chains(x <= q[:, None, None]) for q in quantiles]  # _ess_quantile
        ess_bulk, ess_low, ess_high = _ess(np.concatenate([z_bulk, *indicators])).reshape(3, -1)
        ess_tail = np.where(ess_high < ess_low, ess_high, ess_low)  # min(low, high)

    r_hat[has_nan | (n_chain < 2)] = np.nan
    ess_bulk[has_nan] = np.nan
    ess_tail[has_nan] = np.nan
    return r_hat, ess_bulk, ess_tail


def _split_chains(x: np.ndarray) -> np.ndarray:
    """First halves of every chain, then their last halves (the middle draw of an odd count out)."""
    half = x.shape[-1] // 2
    return np.concatenate([x[..., :half], x[..., -half:]], axis=-2)


def _normal_scores(order: np.ndarray, ordered: np.ndarray, median: np.ndarray) -> np.ndarray:
    """Normal scores of each row's draws and of their distances to ``median`` (ArviZ's z_scale).

    A score is ``ndtri((rank - 3/8) / (n + 1/4))`` (Blom's offset), ties sharing their mean rank
    (``scipy.stats.rankdata(method="average")``). ``ordered`` is each row sorted and ``order``
    its argsort: one sort serves both. Returns shape (2, row, draw): the bulk scores, then the
    folded ones. Ranks are exact (integers, or halves within ties), so a row without ties takes
    its scores from one table of ``ndtri`` at ranks 1..n, bit for bit what each draw's own call
    gives.
    """
    n = ordered.shape[-1]
    ranks = np.empty((2, *ordered.shape))
    ties = _ranks_by_merge(order, ordered, median, ranks)
    for row in np.flatnonzero(~np.isfinite(median)):  # infinite median: sort the distances
        draws = np.empty(n)
        draws[order[row]] = ordered[row]
        with np.errstate(invalid="ignore"):
            folded = np.abs(draws - median[row])  # inf, and NaN where a draw is the median
        by_distance = np.argsort(folded)  # numpy's order, NaNs last in draw order's sort
        _tied_ranks(folded[by_distance], by_distance, np.arange(n), ranks[1, row], ties[1], row)
        ties[1, row] = True  # ndtri draw by draw below
    c = 3 / 8
    table = special.ndtri((np.arange(1, n + 1, dtype=float) - c) / (n - 2 * c + 1))
    scores = table[ranks.astype(np.intp) - 1]  # rows with ties are overwritten just below
    for half, row in zip(*np.nonzero(ties), strict=True):  # half ranks: ndtri draw by draw
        scores[half, row] = special.ndtri((ranks[half, row] - c) / (n - 2 * c + 1))
    return scores


@numba.njit(cache=True, nogil=True)
def _ranks_by_merge(order, ordered, median, ranks):  # pragma: no cover - compiled
    """Average ranks of each row (``ranks[0]``) and of ``|row - median|`` (``ranks[1]``).

    The distances of a sorted row fall on the left of the median and rise on its right, so their
    order is a merge of the two sides. Ties share their mean rank. Rows whose median is not
    finite are left to the caller (their distances are infinite or NaN, with no sorted sides).
    Returns, per (half, row), whether it had ties.
    """
    n_row, n = ordered.shape
    ties = np.zeros((2, n_row), dtype=np.bool_)
    folded = np.empty(n)
    member = np.empty(n, dtype=np.int64)  # merged position -> sorted position
    itself = np.arange(n)
    for row in range(n_row):
        v = ordered[row]
        _tied_ranks(v, order[row], itself, ranks[0, row], ties[0], row)
        med = median[row]
        if not np.isfinite(med):  # distances inf or NaN: left to the caller's sort
            continue
        # below the median the distances fall, above it they rise: merge the two sides
        right = np.searchsorted(v, med)  # the first draw not below the median
        left = right - 1
        for k in range(n):
            take_left = left >= 0 and (right >= n or abs(v[left] - med) <= abs(v[right] - med))
            if take_left:
                member[k] = left
                left -= 1
            else:
                member[k] = right
                right += 1
            folded[k] = abs(v[member[k]] - med)
        _tied_ranks(folded, order[row], member, ranks[1, row], ties[1], row)
    return ties


@numba.njit(cache=True, nogil=True)
def _tied_ranks(values, order, member, out, ties, row):  # pragma: no cover - compiled
    """Write mean ranks of the sorted ``values`` to ``out[order[member[k]]]``."""
    n = values.shape[0]
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and values[stop] == values[start]:
            stop += 1
        if stop - start > 1:
            ties[row] = True
        rank = (start + stop - 1) / 2 + 1
        for k in range(start, stop):
            out[order[member[k]]] = rank
        start = stop


def _rhat(x: np.ndarray) -> np.ndarray:
    """Split R-hat of each scalar's (chain, draw) block."""
    n_draw = x.shape[-1]
    chain_mean = np.mean(x, axis=-1)
    chain_var = np.var(x, axis=-1, ddof=1)
    between = n_draw * np.var(chain_mean, axis=-1, ddof=1)
    within = np.mean(chain_var, axis=-1)
    return np.sqrt((between / within + n_draw - 1) / n_draw)


def _autocov(x: np.ndarray) -> np.ndarray:
    """Autocovariance at every lag along the last axis, by one FFT (ArviZ's ``autocov``)."""
    n = x.shape[-1]
    m = next_fast_len(2 * n)
    x = x - x.mean(-1, keepdims=True)
    spectrum = np.fft.rfft(x, n=m, axis=-1)
    spectrum *= np.conjugate(spectrum)
    cov = np.fft.irfft(spectrum, n=m, axis=-1)[..., :n]
    cov /= n
    return cov


def _ess(x: np.ndarray) -> np.ndarray:
    """Effective sample size of each (split chain, draw) block, Geyer-truncated (ArviZ's ``_ess``).

    ArviZ's two while loops become masks: the initial positive sequence keeps the lag pairs up to
    the first whose sum is not positive (that pair too when its sum is zero), and the initial
    monotone sequence caps each pair at the running minimum of the pair sums before it.
    """
    n_scalar, n_chain, n_draw = x.shape
    acov = _autocov(x)
    mean_acov = np.ascontiguousarray(np.moveaxis(acov, 1, -1)).mean(axis=-1)  # (scalar, lag)
    mean_var = mean_acov[:, 0] * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw + np.var(x.mean(axis=-1), axis=-1, ddof=1)
    rho = 1.0 - (mean_var[:, None] - mean_acov) / var_plus[:, None]  # rho_hat at every lag

    # Geyer's initial positive sequence: pair j holds lags 2j+2, 2j+3, tried while 2j+1 < n-3
    n_pairs = max(0, (n_draw - 3) // 2)
    pair_sum = rho[:, 2 : 2 + 2 * n_pairs : 2] + rho[:, 3 : 3 + 2 * n_pairs : 2]
    started = (1.0 + rho[:, 1]) > 0.0
    leading = np.logical_and.accumulate(pair_sum > 0.0, axis=1).sum(axis=1)
    tried = np.where(started, np.minimum(n_pairs, leading + 1), 0)  # loop iterations, J
    rows = np.arange(n_scalar)
    last_sum = pair_sum[rows, np.maximum(tried - 1, 0)] if n_pairs else np.zeros(n_scalar)
    last_kept = (tried > 0) & (last_sum >= 0)
    even = rho[rows, 2 * tried]  # the last pair's even lag (rho[0] = 1 when no pair was tried)

    lag = np.arange(n_draw)
    rho_t = np.where(lag < 2 * tried[:, None], rho, 0.0)
    rho_t[:, 0] = 1.0
    rho_t[:, 1] = rho[:, 1]
    at_end = lag == 2 * tried[:, None]
    keep_end = at_end & (last_kept | (even > 0))[:, None]
    keep_end |= (lag == 2 * tried[:, None] + 1) & last_kept[:, None]
    rho_t = np.where(keep_end, rho, rho_t)
    rho_t[:, 0] = 1.0

    # Geyer's initial monotone sequence over pairs 0 .. J-1 (in rho_t's pairs)
    n_even = n_draw // 2
    sums = rho_t[:, 0 : 2 * n_even : 2] + rho_t[:, 1 : 2 * n_even : 2]
    floor = np.minimum.accumulate(sums, axis=1)
    pair = np.arange(n_even)
    capped = (pair[None, 1:] < tried[:, None]) & (sums[:, 1:] > floor[:, :-1])
    capped_value = np.repeat(np.where(capped, floor[:, :-1] / 2.0, 0.0), 2, axis=1)
    capped_lag = np.repeat(capped, 2, axis=1)
    rho_t[:, 2 : 2 * n_even] = np.where(capped_lag, capped_value, rho_t[:, 2 : 2 * n_even])

    size = n_chain * n_draw
    tau = -1.0 + 2.0 * np.sum(np.where(lag < 2 * tried[:, None], rho_t, 0.0), axis=1)
    tau += rho_t[rows, 2 * tried]
    floor_tau = 1 / np.log10(size)
    tau = np.where(floor_tau > tau, floor_tau, tau)  # max(tau, 1 / log10(size))
    ess = size / tau
    ess[np.isnan(rho_t).any(axis=1)] = np.nan
    constant = (x.max(axis=(1, 2)) - x.min(axis=(1, 2))) < np.finfo(float).resolution
    return np.where(constant, float(x[0].size), ess)


def check_fit(idata: xr.DataTree, gate: Gate) -> Diagnostics:
    """Compute R-hat, bulk/tail ESS, divergences and E-BFMI, and compare them with ``gate``."""
    posterior = idata["posterior"].to_dataset()
    table = diagnostics_table(posterior[gated_names(posterior)])
    stats = idata["sample_stats"]
    divergences = int(stats["diverging"].sum())
    ebfmi = az.bfmi(stats["energy"]).to_numpy() if "energy" in stats else np.array([])
    return Diagnostics(table=table, divergences=divergences, ebfmi=ebfmi).against(gate)


def gate_failures(
    table: pd.DataFrame, divergences: int, ebfmi: np.ndarray, gate: Gate
) -> tuple[str, ...]:
    """Each way the diagnostics fall short of ``gate``: what failed, where, and what to try.

    Every message starts with the failed check and its value (e.g. ``"R-hat 1.012 > 1.01 for
    workers_step_sd"``); the advice follows a colon.
    """
    failures = []
    r_hat = table["r_hat"].dropna()
    if len(table) and r_hat.empty:  # one chain: nothing to compare it with
        failures.append("R-hat cannot be computed from a single chain: run 2 or more chains")
    worst = r_hat.idxmax() if len(r_hat) else None
    if worst is not None and table.loc[worst, "r_hat"] > gate.r_hat_max:
        failures.append(
            f"R-hat {table.loc[worst, 'r_hat']:.3f} > {gate.r_hat_max} for {worst}: chains "
            "disagree; run more tuning steps and draws, or check for a multimodal posterior"
        )
    for column, threshold in (("ess_bulk", gate.ess_bulk_min), ("ess_tail", gate.ess_tail_min)):
        values = table[column].dropna()
        low = values.idxmin() if len(values) else None
        if low is not None and table.loc[low, column] < threshold:
            failures.append(
                f"{_LABELS[column]} {table.loc[low, column]:.0f} < {threshold:.0f} "
                f"for {low}: run more draws (or more chains)"
            )
    if divergences > gate.max_divergences:
        failures.append(
            f"{divergences} divergent transitions (allowed {gate.max_divergences}): raise "
            "target_accept (e.g. 0.95-0.99) or revisit priors that let the posterior get narrow"
        )
    if len(ebfmi) and np.min(ebfmi) < gate.ebfmi_min:
        failures.append(
            f"E-BFMI {np.min(ebfmi):.2f} < {gate.ebfmi_min}: the sampler explores the energy "
            "poorly; reparameterise or use more tuning"
        )
    return tuple(failures)


def enforce(diagnostics: Diagnostics, *, strict: bool) -> None:
    """Warn (or, in strict mode, raise) when the gate failed."""
    if diagnostics.passed:
        return
    message = "the fit failed its diagnostics gate:\n" + "\n".join(
        f"  - {f}" for f in diagnostics.failures
    )
    if strict:
        raise DiagnosticsError(message)
    warnings.warn(message, DiagnosticsWarning, stacklevel=3)
