"""Posterior products: yearly summaries, joint draws, derived series (numpy over the draws).

Everything here is array arithmetic over the draws, with the sample axes ``(chain, draw)`` first and
any new axes last (the layout of arviz-stats' array functions); there is no Python loop over draws.
The statistics come from one sort of every cell's draws at once: quantiles interpolate the sorted
draws exactly as ``numpy.quantile`` does (method "linear"), and the HDI is the narrowest window of
sorted draws, ArviZ's rule (``arviz.hdi``, method "nearest"). The HDI on its own (:func:`hdi`) is
ArviZ's; the summary keeps the window over its already sorted draws, since ArviZ's function sorts
every cell again (about twenty times the window's cost; ``benchmarks/bench_postprocess.py``
measures the summary, and ``tests/test_posterior.py`` checks the two agree cell by cell).

Scopes are ``world`` followed by the configured hosts. A host's per-worker remittance is the
world's, as in the model. Claim predictions live in ``remitest.predictive`` and the
prior-versus-posterior tables in ``remitest.tables``; both build on the helpers here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from remitest import forward
from remitest._threads import map_blocks
from remitest.fitrecord import Fit
from remitest.ledger import QUANTITIES, WORLD
from remitest.structure import _step_mean, _step_scale, host_step_mean, host_step_scale

__all__ = [
    "SUMMARY_COLUMNS",
    "summarize_draws",
    "hdi",
    "summary",
    "series",
    "joint_draws",
    "derive",
    "cumulative",
    "year_on_year",
    "year_evidence",
    "EVIDENCE",
    "PRIOR_DRAWS",
    "prior_series_draws",
]

STAT_COLUMNS = ("mean", "median", "sd", "q05", "q25", "q75", "q95", "hdi_low", "hdi_high")
SUMMARY_COLUMNS = (
    "year", "scope", "quantity", *STAT_COLUMNS, "n_claims", "evidence", "sd_ratio", "prior_only",
)

#: Values of the ``evidence`` column: what informs a year of a series. "extrapolated" is not one
#: of them: a year no claim covers is still inside the fit, and one beyond it is its own word.
EVIDENCE = ("claims", "identity", "no claim", "beyond fit")
#: Prior draws behind ``prior=True`` tables (:func:`series`, :func:`summary`) and the
#: ``sd_ratio`` column: independent draws, so a prior quantile's Monte Carlo error is about
#: 1-2% of the prior sd.
PRIOR_DRAWS = 4000
_QUANTILES = {"q05": 0.05, "median": 0.5, "q25": 0.25, "q75": 0.75, "q95": 0.95}


# -- pure numpy core ------------------------------------------------------------------------------
def _lerp_quantiles(sorted_draws: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Quantiles (last axis new) of draws sorted along the last axis, as ``numpy.quantile``."""
    n = sorted_draws.shape[-1]
    position = np.asarray(probs, dtype=float) * (n - 1)
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, n - 1)
    frac = position - below
    low, high = sorted_draws[..., below], sorted_draws[..., above]
    step = high - low
    # numpy's lerp: interpolate from the nearer end so that the result is monotone and exact.
    return np.where(frac >= 0.5, high - step * (1 - frac), low + step * frac)


def _sorted_hdi(sorted_draws: np.ndarray, hdi_prob: float) -> np.ndarray:
    """Narrowest interval holding ``floor(hdi_prob * n)`` steps of sorted draws, shape (..., 2)."""
    n = sorted_draws.shape[-1]
    steps = int(np.floor(hdi_prob * n))
    if steps >= n or steps < 1:
        raise ValueError(f"too few draws ({n}) for an HDI at hdi_prob={hdi_prob}")
    widths = sorted_draws[..., steps:] - sorted_draws[..., : n - steps]
    start = widths.argmin(axis=-1)[..., None]
    return np.concatenate(
        [
            np.take_along_axis(sorted_draws, start, -1),
            np.take_along_axis(sorted_draws, start + steps, -1),
        ],
        axis=-1,
    )


# Cells are sorted in blocks of about this many values (8 MiB of float64), which bounds the
# memory a summary needs beyond its input while keeping each sort a large vectorized call. Two
# blocks are sorted at a time, on two threads (remitest._threads). Blocks of 32 MiB
# were slower and uneven (0.19-0.7 s for 80 cells x 100,000 draws, against 0.19 s): glibc maps
# blocks that large afresh for each allocation, so every one paid its page faults again.
_BLOCK_VALUES = 2**20


def _cell_blocks(draws: np.ndarray, sample_ndim: int) -> tuple[np.ndarray, list[slice]]:
    """The draws as (sample, cell) and the slices of cells that make up each block."""
    draws = np.asarray(draws, dtype=float)
    n_samples = int(np.prod(draws.shape[:sample_ndim]))
    flat = draws.reshape(n_samples, -1)
    step = max(1, _BLOCK_VALUES // max(n_samples, 1))
    return flat, [slice(first, min(first + step, flat.shape[1]))
                  for first in range(0, flat.shape[1], step)]  # fmt: skip


def _sorted_block(flat: np.ndarray, cells: slice) -> np.ndarray:
    """One block's draws as sorted rows (cell, sample)."""
    block = np.ascontiguousarray(flat[:, cells].T)
    block.sort(axis=-1)
    return block


def hdi(draws: np.ndarray, hdi_prob: float = 0.9, *, sample_ndim: int = 2) -> np.ndarray:
    """Highest-density interval of every cell at once.

    Parameters
    ----------
    draws : ndarray, shape (chain, draw, ...)
        Draws with the sample axes first (``sample_ndim`` of them).
    hdi_prob : float
        Probability mass inside the interval.
    sample_ndim : int
        Number of leading sample axes (2 for ``(chain, draw)``).

    Returns
    -------
    ndarray, shape (..., 2)
        Lower and upper end, in the draws' units: ``arviz.hdi`` (method "nearest", unimodal).
    """
    import arviz as az

    draws = np.asarray(draws, dtype=float)
    return az.hdi(draws, hdi_prob, axis=tuple(range(sample_ndim)), method="nearest")


def summarize_draws(
    draws: np.ndarray, *, hdi_prob: float = 0.9, sample_ndim: int = 2, log_sd: bool = False
) -> dict[str, np.ndarray]:
    """Mean, median, sd, 5/25/75/95% quantiles and HDI of every cell, from one sort.

    Parameters
    ----------
    draws : ndarray, shape (chain, draw, ...)
        Draws with the sample axes first.
    hdi_prob : float
        Probability mass of the HDI.
    sample_ndim : int
        Number of leading sample axes.
    log_sd : bool
        Also return ``"log_sd"``: the sd (``ddof=0``) of the natural log of each cell's draws
        (no unit; draws must be positive), from the same sorted blocks. The summary's
        ``sd_ratio`` reads it.

    Returns
    -------
    dict of str to ndarray
        Keys ``STAT_COLUMNS``, and ``"log_sd"`` when asked; each value has the cell shape
        ``draws.shape[sample_ndim:]``. All but ``log_sd`` are in the draws' units; ``sd`` uses
        ``ddof=1`` like ``arviz.summary``.
    """
    draws = np.asarray(draws, dtype=float)
    cell_shape = draws.shape[sample_ndim:]
    names = (*STAT_COLUMNS, "log_sd") if log_sd else STAT_COLUMNS
    out = {name: np.empty(int(np.prod(cell_shape))) for name in names}
    probs = np.array(list(_QUANTILES.values()))
    flat, blocks = _cell_blocks(draws, sample_ndim)

    def summarize_block(cells: slice) -> None:  # each block writes only its own cells
        block = _sorted_block(flat, cells)
        quantiles = _lerp_quantiles(block, probs)
        interval = _sorted_hdi(block, hdi_prob)
        out["mean"][cells] = block.mean(axis=-1)
        out["sd"][cells] = block.std(axis=-1, ddof=1)
        for i, name in enumerate(_QUANTILES):
            out[name][cells] = quantiles[:, i]
        out["hdi_low"][cells], out["hdi_high"][cells] = interval[:, 0], interval[:, 1]
        if log_sd:
            out["log_sd"][cells] = _sorted_log_sd(block)

    map_blocks(summarize_block, blocks)
    return {name: values.reshape(cell_shape) for name, values in out.items()}


def _sorted_log_sd(block: np.ndarray) -> np.ndarray:
    """The sd (``ddof=0``) of the log of each sorted row.

    Written once, so that the summary's and :func:`_log_sd`'s agree bit for bit.
    """
    return np.log(block).std(axis=-1)


def _log_sd(draws: np.ndarray, *, sample_ndim: int = 2) -> np.ndarray:
    """``summarize_draws(draws, log_sd=True)["log_sd"]``, bit for bit, without the rest."""
    flat, blocks = _cell_blocks(draws, sample_ndim)
    sd = map_blocks(lambda cells: _sorted_log_sd(_sorted_block(flat, cells)), blocks)
    return np.concatenate(sd).reshape(np.shape(draws)[sample_ndim:])


# -- the posterior's series -----------------------------------------------------------------------
def _scopes(fit: Fit) -> tuple[str, ...]:
    return (WORLD, *fit.hosts)


def _check_choice(what: str, value: Any, valid: tuple[Any, ...]) -> None:
    if value not in valid:
        plural = "quantities" if what == "quantity" else f"{what}s"
        raise ValueError(f"unknown {what} {value!r}; valid {plural} are {list(valid)}")


def _sample_shape(fit: Fit) -> tuple[int, int]:
    post = fit.idata.posterior
    return post.sizes["chain"], post.sizes["draw"]


def _scope_series(fit: Fit, quantity: str) -> np.ndarray:
    """One quantity's draws, shape (chain, draw, scope, year); per-worker is a broadcast view."""
    post = fit.idata.posterior
    world = post[quantity].transpose("chain", "draw", "year").to_numpy()
    if quantity == "per_worker_usd":
        chains, draws = _sample_shape(fit)
        return np.broadcast_to(
            world[:, :, None, :], (chains, draws, len(_scopes(fit)), world.shape[-1])
        )
    hosts = _host_draws(fit, f"{quantity}_host")
    return np.concatenate([world[:, :, None, :], hosts], axis=2)


def _host_draws(fit: Fit, name: str) -> np.ndarray:
    """A host variable's draws, shape (chain, draw, host, year), hosts in ``fit.hosts`` order."""
    draws = fit.idata.posterior[name].transpose("chain", "draw", "host", "year")
    if tuple(draws["host"].to_numpy()) != fit.hosts:  # reorder only when needed (it copies)
        draws = draws.sel(host=list(fit.hosts))
    return draws.to_numpy()


def _claims_per_scope_year(
    fit: Fit, quantity: str | None = None, *, below_world: bool = False
) -> np.ndarray:
    """Original claims informing each (scope, year), shape (scope, year), int64.

    A claim on scope S informs scope T's year when its reference period covers the year and S's
    hosts overlap T's hosts: every claim informs the world; a host is informed by claims on
    itself, on a group that contains it, and on the world. With ``quantity``, only claims of
    that quantity count; with ``below_world``, only claims below world level (those that can move
    a host's share).
    """
    frame = fit.ledger.originals().to_frame()
    if quantity is not None:
        frame = frame[frame["quantity"] == quantity]
    if below_world:
        frame = frame[frame["scope"] != WORLD]
    hosts = fit.hosts
    members = {WORLD: hosts, **{h: (h,) for h in hosts}, **fit.config.scope_groups}
    claim_hosts = np.array(
        [[h in members[s] for h in hosts] for s in frame["scope"]], dtype=bool
    ).reshape(len(frame), len(hosts))
    scope_hosts = np.vstack([np.ones(len(hosts), dtype=bool), np.eye(len(hosts), dtype=bool)])
    overlaps = (claim_hosts.astype(np.int64) @ scope_hosts.T.astype(np.int64)) > 0
    years = fit.years
    covers = (years[None, :] >= frame["ref_start"].to_numpy(int)[:, None]) & (
        years[None, :] <= frame["ref_end"].to_numpy(int)[:, None]
    )
    return overlaps.T.astype(np.int64) @ covers.astype(np.int64)


def year_evidence(fit: Fit, quantity: str, hosts: Any = None) -> np.ndarray:
    """What informs each of ``fit.years`` of one series: one of ``EVIDENCE`` per year.

    ``"claims"``: an original claim of this quantity whose scope overlaps ``hosts`` (default:
    the world, which every claim overlaps) covers the year. ``"identity"``: none does, but
    remittances = workers x per-worker remittance carries other claims to it: for remittance per
    worker (rarely claimed, one series for every host), a claim on workers or on remittances
    at any scope; for workers or remittances, claims on both other quantities.
    ``"no claim"``: neither; the year rests on the walks from the years around it. ``"beyond
    fit"``: a year outside the fitted ones, added by :meth:`Fit.extend`.
    """
    _check_choice("quantity", quantity, QUANTITIES)
    frame = fit.ledger.originals().to_frame()
    members = {WORLD: tuple(fit.hosts), **{h: (h,) for h in fit.hosts},
               **fit.config.scope_groups}
    wanted = set(fit.hosts if hosts is None else hosts)
    overlaps = frame["scope"].map(lambda s: bool(set(members.get(s, (s,))) & wanted)).to_numpy(
        bool)
    years = np.asarray(fit.years)
    covers = (years[None, :] >= frame["ref_start"].to_numpy(int)[:, None]) & (
        years[None, :] <= frame["ref_end"].to_numpy(int)[:, None])
    of = frame["quantity"].to_numpy()

    def covered(q: str) -> np.ndarray:
        mine = (of == q) & (overlaps | (quantity == "per_worker_usd") | (q == "per_worker_usd"))
        return covers[mine].any(axis=0)

    others = [q for q in QUANTITIES if q != quantity]
    if quantity == "per_worker_usd":  # remittances / workers: a claim on either informs it
        through = covered(others[0]) | covered(others[1])
    else:  # workers = remittances / per worker: it takes claims on both
        through = covered(others[0]) & covered(others[1])
    evidence = np.where(covered(quantity), "claims",
                        np.where(through, "identity", "no claim")).astype(object)
    evidence[np.isin(years, list(getattr(fit, "extrapolated_years", ())))] = "beyond fit"
    return evidence


def _stats_frame(
    stats_by_cell: dict[str, np.ndarray], labels: dict[str, np.ndarray]
) -> pd.DataFrame:
    frame = pd.DataFrame(labels)
    for name in STAT_COLUMNS:
        frame[name] = stats_by_cell[name].ravel()
    return frame


# -- summaries ------------------------------------------------------------------------------------
def summary(fit: Fit, *, hdi_prob: float = 0.9, prior: bool = False,
            prior_draws: int = PRIOR_DRAWS, random_seed: Any = 0) -> pd.DataFrame:
    """Yearly summary of every quantity in every scope, in base units.

    Parameters
    ----------
    fit : Fit
    hdi_prob : float
        Probability mass of the HDI columns.
    prior : bool
        Summarise the prior instead (:func:`prior_series_draws`): the same rows and columns,
        whose statistics are the prior's; ``n_claims``, ``evidence``, ``sd_ratio`` and
        ``prior_only`` stay the posterior table's, so that the two tables line up row by row.
    prior_draws : int
        Number of prior draws (with ``prior=True``).
    random_seed : int or numpy.random.Generator
        Seeds the prior draws (with ``prior=True``).

    Returns
    -------
    DataFrame
        Columns ``SUMMARY_COLUMNS``: ``year`` (int), ``scope`` (``world`` then the hosts),
        ``quantity``, the statistics (persons for ``workers``; US$ per year for
        ``remittances_usd``; US$ per worker-year for ``per_worker_usd``) and ``n_claims``, the
        number of original claims of the row's quantity whose reference period covers the year and
        whose scope overlaps this scope (every such claim for the world), ``evidence``, what
        informs the year (:func:`year_evidence`: ``claims``, ``identity``, ``no claim`` or
        ``beyond fit``; "no claim" and "beyond fit" are two different things), ``sd_ratio``, the
        posterior sd of the log series over its prior sd (near 1: the claims taught that year
        little, whatever ``n_claims`` says; see :func:`prior_series_draws`), and ``prior_only``:
        True for a host's workers and remittances when that host's share did not move from its
        prior, so the split shown is the prior's, not the claims'.
        Rows sorted by quantity (in ``QUANTITIES`` order), scope, year.
    """
    scopes, years = _scopes(fit), fit.years
    if prior:
        draws = _prior_scope_series(fit, prior_draws, random_seed)  # (1, n, q, scope, year)
        cells = summarize_draws(draws, hdi_prob=hdi_prob)
        post_log_sd = _posterior_log_sd(fit)  # the posterior table's, bit for bit
    else:
        cells = _posterior_cells(fit, hdi_prob)
        post_log_sd = cells.pop("log_sd")
    shape = (len(QUANTITIES), len(scopes), len(years))
    labels = {
        "year": np.broadcast_to(years, shape).ravel().astype(np.int64),
        "scope": np.broadcast_to(np.array(scopes)[:, None], shape).ravel(),
        "quantity": np.broadcast_to(np.array(QUANTITIES)[:, None, None], shape).ravel(),
    }
    frame = _stats_frame(cells, labels)
    frame["n_claims"] = np.stack([_claims_per_scope_year(fit, q) for q in QUANTITIES]).ravel()
    frame["evidence"] = np.concatenate([
        year_evidence(fit, q, None if s == WORLD else (s,)) for q in QUANTITIES for s in scopes
    ])  # fmt: skip
    frame["sd_ratio"] = (post_log_sd / _prior_log_sd(fit)).ravel()
    frame["prior_only"] = np.broadcast_to(_prior_only(fit, scopes)[:, :, None], shape).ravel()
    return frame


def _posterior_cells(fit: Fit, hdi_prob: float) -> dict[str, np.ndarray]:
    """Posterior statistics of every series, and the sd of its log (``"log_sd"``).

    Each of shape (quantity, scope, year).
    """
    return _by_quantity(fit, lambda draws: summarize_draws(draws, hdi_prob=hdi_prob, log_sd=True))


def _posterior_log_sd(fit: Fit) -> np.ndarray:
    """The posterior sd of every log series, shape (quantity, scope, year).

    As the posterior summary computes it (:func:`_posterior_cells`'s ``log_sd``).
    """
    return _by_quantity(fit, lambda draws: {"log_sd": _log_sd(draws)})["log_sd"]


def _by_quantity(
    fit: Fit, cells_of: Callable[[np.ndarray], dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """``cells_of`` applied to every quantity's draws, stacked to (quantity, scope, year).

    Host per-worker amounts equal the world's: ``cells_of`` sees the per-worker series once, as
    (chain, draw, year), and its cells are repeated for every scope.
    """
    scopes, years = _scopes(fit), fit.years
    by_scope = [cells_of(_scope_series(fit, q)) for q in ("workers", "remittances_usd")]
    per_worker = cells_of(
        fit.idata.posterior["per_worker_usd"].transpose("chain", "draw", "year").to_numpy()
    )
    return {
        name: np.stack([
            *(cells[name] for cells in by_scope),
            np.broadcast_to(per_worker[name], (len(scopes), len(years))),
        ])  # fmt: skip
        for name in per_worker
    }


def _prior_log_sd(fit: Fit) -> np.ndarray:
    """The prior sd of every log series, shape (quantity, scope, year).

    The denominator of the summary's ``sd_ratio`` (:func:`prior_series_draws`, its default draws
    and seed).
    """
    return prior_series_draws(fit).std(axis=0)


def _prior_scope_series(fit: Fit, n: int, random_seed: Any) -> np.ndarray:
    """Prior draws of every series in base units, shape (1, n, quantity, scope, year)."""
    return np.exp(prior_series_draws(fit, n, random_seed=random_seed))[None]


def prior_series_draws(fit: Fit, n: int = PRIOR_DRAWS, *, random_seed: Any = 0) -> np.ndarray:
    """Prior draws of every log series, shape (n, quantity, scope, year), scopes as ``summary``.

    From the configured priors, in numpy (seeded), through the model's own forward functions
    (:mod:`remitest.forward`): the pinned world walk and per-worker walk with lognormal step
    sizes and the events' scales and expected changes, the Dirichlet shares at the pin year, the
    shares' log-ratio walks (``host_shares="walk"``), each host the world times its share.
    """
    rng = np.random.default_rng(random_seed)
    p, years, hosts = fit.config.priors, fit.years, list(fit.hosts)
    pin = fit.structure.pin_year - int(years[0])
    scale = _step_scale(fit.structure, fit.config)

    def walk(median: float, log_sd: float, step_median: float, mean=0.0) -> np.ndarray:
        level = rng.normal(np.log(median), log_sd, n)
        step_sd = np.exp(rng.normal(np.log(step_median), p.step_sd_log_sd, n))
        z = rng.standard_normal((n, len(years) - 1))
        return forward.pinned_walk(level, step_sd, z, scale, pin, mean)

    log_world = walk(p.workers_median, p.workers_log_sd, p.workers_step_sd,
                     _step_mean(fit.structure, fit.config))
    log_pw = walk(p.per_worker_median_usd, p.per_worker_log_sd, p.per_worker_step_sd)
    weight = rng.gamma([p.host_share_concentration[h] for h in hosts], size=(n, len(hosts)))
    host_scale = host_step_scale(fit.structure, fit.config)
    log_ratio = None
    if len(host_scale):
        log_ratio = forward.host_log_ratios(
            rng.standard_normal((n, *host_scale.shape)), p.host_step_sd, host_scale,
            host_step_mean(fit.structure, fit.config), pin,
        )
    share = forward.host_shares(weight, log_ratio, len(years))
    log_host = np.log(forward.compose(log_world, share))
    log_workers = np.concatenate([log_world[:, None, :], log_host], axis=1)
    log_remit = log_workers + log_pw[:, None, :]
    log_pw_all = np.broadcast_to(log_pw[:, None, :], log_workers.shape)
    return np.stack([log_workers, log_remit, log_pw_all], axis=1)


# -- host shares, prior beside posterior (remitest.tables shows them; the summary's prior_only
# column reads them) ---------------------------------------------------------------------------
def _posterior_columns(draws: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, sd (ddof 1), 5% and 95% quantiles over the leading (chain, draw) axes."""
    stats_by_cell = summarize_draws(draws)
    return {
        "post_mean": stats_by_cell["mean"],
        "post_sd": stats_by_cell["sd"],
        "post_q05": stats_by_cell["q05"],
        "post_q95": stats_by_cell["q95"],
    }


def host_share_table(fit: Fit) -> pd.DataFrame:
    """Each host's share of the world series, prior beside posterior, and whether it moved.

    The prior of one share is the Beta marginal of the Dirichlet,
    ``Beta(a_h, sum(a) - a_h)`` with ``a = priors.host_share_concentration``.
    ``moved_from_prior`` is ``sd_ratio < 0.9`` or ``|post_mean - prior_mean| > 0.5 prior_sd``:
    both margins lie well above Monte Carlo error at the gate's ESS >= 400 (about 4% of an sd for
    the sd, 5% of an sd for the mean), and a 10% narrower sd means the claims added about a quarter
    of the prior's precision. Host outputs whose share did not move are the prior's split, not
    the data's.

    Parameters
    ----------
    fit : Fit

    Returns
    -------
    DataFrame
        ``host, prior_mean, prior_sd, prior_q05, prior_q95, post_mean, post_sd, post_q05,
        post_q95`` (fractions of the world total), ``sd_ratio``, ``moved_from_prior`` (bool) and
        ``n_claims``: original claims below world level whose scope includes the host.
    """
    hosts = list(fit.hosts)
    conc = np.array([fit.config.priors.host_share_concentration[h] for h in hosts], dtype=float)
    prior = stats.beta(conc, conc.sum() - conc)
    post = fit.idata.posterior["host_share"].transpose("chain", "draw", "host").sel(host=hosts)
    members = {h: (h,) for h in hosts} | dict(fit.config.scope_groups)
    scopes = fit.ledger.originals().to_frame()["scope"]
    table = pd.DataFrame({
        "host": hosts,
        "prior_mean": prior.mean(), "prior_sd": prior.std(),
        "prior_q05": prior.ppf(0.05), "prior_q95": prior.ppf(0.95),
        **_posterior_columns(post.to_numpy()),
        "n_claims": [int(sum(h in members.get(s, ()) for s in scopes)) for h in hosts],
    })  # fmt: skip
    return _with_movement(table, at=9)


def _with_movement(table: pd.DataFrame, *, at: int) -> pd.DataFrame:
    """Insert ``sd_ratio`` and ``moved_from_prior`` (the rule of :func:`host_share_table`)."""
    table.insert(at, "sd_ratio", table["post_sd"] / table["prior_sd"])
    table.insert(
        at + 1,
        "moved_from_prior",
        (table["sd_ratio"] < 0.9)
        | ((table["post_mean"] - table["prior_mean"]).abs() > 0.5 * table["prior_sd"]),
    )
    return table


def _prior_only(fit: Fit, scopes: tuple[str, ...]) -> np.ndarray:
    """(quantity, scope): True where a host's series only restates its prior share.

    Workers and remittances of a host whose share did not move from its prior
    (``tables.host_share_table``); never the world, nor per-worker amounts (equal in every host).
    """
    moved = dict(zip(*host_share_table(fit)[["host", "moved_from_prior"]].to_numpy().T,
                     strict=True))
    by_scope = np.array([scope != "world" and not bool(moved[scope]) for scope in scopes])
    return np.stack([by_scope, by_scope, np.zeros(len(scopes), dtype=bool)])


def series(fit: Fit, quantity: str, scope: str = WORLD, *, hdi_prob: float = 0.9,
           prior: bool = False, prior_draws: int = PRIOR_DRAWS,
           random_seed: Any = 0) -> pd.DataFrame:
    """One quantity's yearly summary in one scope, indexed by year.

    Parameters
    ----------
    fit : Fit
    quantity : {"workers", "remittances_usd", "per_worker_usd"}
    scope : str
        ``world`` or a host.
    hdi_prob : float
    prior : bool
        The prior's table instead: the same index and columns, the statistics computed from
        ``prior_draws`` draws of the configured priors through the model's forward functions
        (:func:`prior_series_draws`); the other columns are the posterior table's.
    prior_draws : int
        Number of prior draws (default ``PRIOR_DRAWS``).
    random_seed : int or numpy.random.Generator
        Seeds the prior draws.

    Returns
    -------
    DataFrame
        The rows of :func:`summary` for this quantity and scope, indexed by ``year``. Their
        ``evidence`` keeps two things apart: ``"no claim"`` (no claim covers the year, directly
        or through the identity: the walks carry it from the years around) and ``"beyond
        fit"`` (the year lies outside the fitted years, see :meth:`Fit.extend`).
        :meth:`Fit.series` adds ``extrapolated``, True exactly where ``evidence`` is ``"beyond
        fit"`` (its meaning since 0.2, kept for existing code).

    Raises
    ------
    ValueError
        For an unknown quantity or scope, naming the valid ones.
    """
    _check_choice("quantity", quantity, QUANTITIES)
    _check_choice("scope", scope, _scopes(fit))
    s = _scopes(fit).index(scope)
    q = QUANTITIES.index(quantity)
    posterior_draws = _scope_series(fit, quantity)[:, :, s, :]
    if prior:
        cells = summarize_draws(_prior_scope_series(fit, prior_draws, random_seed)[:, :, q, s],
                                hdi_prob=hdi_prob)
        post_log_sd = _log_sd(posterior_draws)  # the posterior table's, bit for bit
    else:
        cells = summarize_draws(posterior_draws, hdi_prob=hdi_prob, log_sd=True)
        post_log_sd = cells.pop("log_sd")
    frame = _stats_frame(
        cells, {"year": fit.years.astype(np.int64), "scope": scope, "quantity": quantity}
    )
    frame["n_claims"] = _claims_per_scope_year(fit, quantity)[s]
    frame["evidence"] = year_evidence(fit, quantity, None if scope == WORLD else (scope,))
    frame["sd_ratio"] = post_log_sd / _prior_log_sd(fit)[q, s]
    frame["prior_only"] = bool(_prior_only(fit, _scopes(fit))[q, s])
    return frame.set_index("year")


# -- joint draws ----------------------------------------------------------------------------------
def joint_draws(fit: Fit) -> pd.DataFrame:
    """Joint posterior draws, one row per chain x draw x year x scope.

    One ``(chain, draw)`` pair is one coherent sample across all years, scopes and quantities, and
    ``remittances_usd == workers * per_worker_usd`` in every row (to floating-point rounding), as
    in the posterior arrays the rows come from.

    Parameters
    ----------
    fit : Fit

    Returns
    -------
    DataFrame
        Columns ``chain, draw, year, scope, workers, remittances_usd, per_worker_usd``
        (int64, int64, int64, categorical ordered ``world`` then hosts, persons, US$ per year,
        US$ per worker-year). Rows in ``chain, draw, year, scope`` order.
    """
    scopes, years = _scopes(fit), fit.years
    chains, draws = _sample_shape(fit)
    post = fit.idata.posterior
    shape = (chains, draws, len(years), len(scopes))
    columns: dict[str, Any] = {
        "chain": np.broadcast_to(post["chain"].to_numpy()[:, None, None, None], shape).ravel(),
        "draw": np.broadcast_to(post["draw"].to_numpy()[None, :, None, None], shape).ravel(),
        "year": np.broadcast_to(years[:, None], shape).ravel(),
        "scope": pd.Categorical.from_codes(
            np.broadcast_to(np.arange(len(scopes)), shape).ravel(),
            categories=list(scopes),
        ),
    }
    for quantity in QUANTITIES:
        # (chain, draw, scope, year) -> (chain, draw, year, scope), flattened in C order.
        columns[quantity] = np.ascontiguousarray(
            _scope_series(fit, quantity).transpose(0, 1, 3, 2)
        ).ravel()
    frame = pd.DataFrame(columns)
    for name in ("chain", "draw", "year"):
        frame[name] = frame[name].astype(np.int64)
    return frame


# -- derived quantities ---------------------------------------------------------------------------
def draws_dataset(fit: Fit) -> xr.Dataset:
    """Return the three quantities as a Dataset on ``(chain, draw, scope, year)``, base units."""
    coords = {
        "chain": fit.idata.posterior["chain"].to_numpy(),
        "draw": fit.idata.posterior["draw"].to_numpy(),
        "scope": list(_scopes(fit)),
        "year": fit.years,
    }
    dims = ("chain", "draw", "scope", "year")
    return xr.Dataset({q: (dims, _scope_series(fit, q)) for q in QUANTITIES}, coords=coords)


def _as_labelled(result: Any, template: xr.DataArray) -> xr.DataArray:
    if isinstance(result, xr.DataArray):
        if "chain" not in result.dims or "draw" not in result.dims:
            raise ValueError(
                f"a derived quantity must keep the dims 'chain' and 'draw' (one value per draw); "
                f"got dims {result.dims}"
            )
        return result
    array = np.asarray(result, dtype=float)
    for dims in (("chain", "draw"), template.dims):
        if array.shape == tuple(template.sizes[d] for d in dims):
            return xr.DataArray(array, dims=dims, coords={d: template[d] for d in dims})
    raise ValueError(
        f"a derived quantity must be an xarray.DataArray with dims 'chain' and 'draw', or an "
        f"array of shape (chain, draw) = {template.shape[:2]} or (chain, draw, scope, year) = "
        f"{template.shape}; got shape {array.shape}"
    )


def derive(
    fit: Fit,
    func: Callable[[xr.Dataset], xr.DataArray | np.ndarray],
    *,
    name: str,
    hdi_prob: float = 0.9,
) -> pd.DataFrame:
    """Summarise a quantity derived from every joint draw at once.

    Parameters
    ----------
    fit : Fit
    func : callable
        Takes an ``xarray.Dataset`` with ``workers`` (persons), ``remittances_usd`` (US$ per year)
        and ``per_worker_usd`` (US$ per worker-year) on dims ``(chain, draw, scope, year)`` and
        returns the derived draws: a ``DataArray`` that keeps ``chain`` and ``draw`` (its other
        dims label the rows), or an array of shape ``(chain, draw)`` or
        ``(chain, draw, scope, year)``. It sees all draws together; write it with array
        operations, e.g. ``lambda p: p.remittances_usd.sel(scope="world").sum("year")``.
    name : str
        Written into the ``quantity`` column.
    hdi_prob : float

    Returns
    -------
    DataFrame
        One row per cell of the derived quantity: its dims' coordinates (``year`` first, then
        ``scope``, then any others), ``quantity``, then the ``STAT_COLUMNS`` in the derived
        quantity's units. Rows in scope, then year order.
    """
    dataset = draws_dataset(fit)
    derived = _as_labelled(func(dataset), dataset["workers"])
    others = [d for d in derived.dims if d not in ("chain", "draw", "scope", "year")]
    cell_dims = [*others, *(d for d in ("scope", "year") if d in derived.dims)]
    derived = derived.transpose("chain", "draw", *cell_dims)
    cell_shape = derived.shape[2:]
    grids = np.meshgrid(
        *(
            np.asarray(derived[d]) if d in derived.coords else np.arange(derived.sizes[d])
            for d in cell_dims
        ),
        indexing="ij",
    )
    labels = {d: g.ravel() for d, g in zip(cell_dims, grids, strict=True)}
    order = [d for d in ("year", "scope") if d in labels] + others
    labels = {d: labels[d] for d in order}
    labels["quantity"] = np.full(int(np.prod(cell_shape)), name)
    frame = _stats_frame(summarize_draws(derived.to_numpy(), hdi_prob=hdi_prob), labels)
    if "year" in frame:
        frame["year"] = frame["year"].astype(np.int64)
    return frame


def cumulative(
    fit: Fit,
    quantity: str = "remittances_usd",
    start: int | None = None,
    end: int | None = None,
    scope: str = WORLD,
    *,
    hdi_prob: float = 0.9,
) -> pd.DataFrame:
    """Total of a yearly quantity over ``start``-``end`` (inclusive), per draw, summarised.

    Parameters
    ----------
    fit : Fit
    quantity : str
        Default ``remittances_usd``: the total is in US$ over the period (persons x years for
        ``workers``).
    start, end : int, optional
        First and last year; default the fit's first and last year.
    scope : str
    hdi_prob : float

    Returns
    -------
    DataFrame
        One row: ``scope, start, end, quantity`` (``"<quantity>_cumulative"``) and the statistics.
    """
    _check_choice("quantity", quantity, QUANTITIES)
    _check_choice("scope", scope, _scopes(fit))
    years = fit.years
    start = int(years[0]) if start is None else int(start)
    end = int(years[-1]) if end is None else int(end)
    if not years[0] <= start <= end <= years[-1]:
        raise ValueError(
            f"start={start}, end={end}: need {years[0]} <= start <= end <= {years[-1]} "
            "(the fit's years)"
        )
    frame = derive(
        fit,
        lambda p: p[quantity].sel(scope=scope, year=slice(start, end)).sum("year"),
        name=f"{quantity}_cumulative",
        hdi_prob=hdi_prob,
    )
    frame.insert(0, "scope", scope)
    frame.insert(1, "start", start)
    frame.insert(2, "end", end)
    return frame


def year_on_year(
    fit: Fit, quantity: str, scope: str = WORLD, *, hdi_prob: float = 0.9
) -> pd.DataFrame:
    """Relative change from the previous year, per draw, summarised.

    Parameters
    ----------
    fit : Fit
    quantity : str
    scope : str
    hdi_prob : float

    Returns
    -------
    DataFrame
        One row per year from the fit's second year: ``year, scope, quantity``
        (``"<quantity>_year_on_year"``) and the statistics of ``x[year] / x[year - 1] - 1``
        (a fraction: 0.1 is +10%).
    """
    _check_choice("quantity", quantity, QUANTITIES)
    _check_choice("scope", scope, _scopes(fit))

    def change(p: xr.Dataset) -> xr.DataArray:
        x = p[quantity].sel(scope=scope)
        return x.isel(year=slice(1, None)) / x.isel(year=slice(None, -1)).to_numpy() - 1.0

    frame = derive(fit, change, name=f"{quantity}_year_on_year", hdi_prob=hdi_prob)
    frame.insert(1, "scope", scope)
    return frame
