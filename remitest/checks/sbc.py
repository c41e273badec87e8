"""Simulation-based calibration: ranks of prior-drawn truths among posterior draws.

For each simulation a truth is drawn from the prior, a ledger like the template is drawn from the
model given that truth (:func:`remitest.simulate_ledger`), the model is fitted, its draws are
thinned to ``N_RANK_DRAWS`` roughly independent ones, and the truth's rank among them is recorded
for a few scalars. If the sampler and the model's code agree with its generative process, each
rank is uniform on ``0 .. N_RANK_DRAWS``.
"""

from __future__ import annotations

import textwrap
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from remitest.checks._figures import new_figure, styled
from remitest.checks._sweep import make_tasks, run_tasks, warn_failed
from remitest.checks.result import DerivedCheckResult
from remitest.config import ModelConfig
from remitest.fitrecord import Fit
from remitest.ledger import Ledger, load_ledger
from remitest.simulate import simulate_ledger
from remitest.structure import model_structure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["SBCResult", "sbc", "sbc_config", "N_RANK_DRAWS"]

N_RANK_DRAWS = 99  # ranks 0..99: 100 values, 10 equal bins
N_BINS = 10
#: A parameter whose ranks' chi-square p-value falls below this fails the check.
P_MIN = 0.01


def sbc_config(base: ModelConfig | None = None) -> ModelConfig:
    """``base`` (default: the default configuration) with a gate fitted to rank statistics.

    The claims are read as ``base`` reads them: a simulated bound whose belief falls on the wrong
    side becomes the opposite bound with its own ``reading = "censored"``
    (see :func:`remitest.simulate_ledger`), so no configuration needs changing to simulate it.
    Ranks are taken among ``N_RANK_DRAWS`` thinned draws, which need to be nearly independent:
    the gate asks for that many effective draws, not the 400 of a published fit.
    """
    return (base or ModelConfig()).replace(
        gate={"ess_bulk_min": float(N_RANK_DRAWS), "ess_tail_min": float(N_RANK_DRAWS)},
    )


def _parameters(template: Ledger, config: ModelConfig) -> dict[str, tuple[str, tuple]]:
    """Name -> (posterior variable, index) of the scalars whose ranks are recorded.

    World workers at the pin year and the last year, world remittances at the pin year, the share
    at the pin year of the host with most claims of its own (else the first host), the spread of
    workers biases, and the bias of the estimator with most claims.
    """
    structure = model_structure(template.originals(), config)
    years = list(structure.years)
    pin, last = structure.pin_year, years[-1]
    frame = template.originals().to_frame()
    counts = frame.groupby("estimator", sort=False)
    first = counts.size().idxmax()
    quantity = counts.get_group(first)["quantity"].iloc[0]
    e = structure.estimators.index(first)
    q = ("workers", "remittances_usd", "per_worker_usd").index(quantity)
    in_hosts = frame.loc[frame["scope"].isin(structure.hosts), "scope"]
    host = in_hosts.value_counts(sort=False).idxmax() if len(in_hosts) else structure.hosts[0]
    return {
        f"workers {pin}": ("workers", (years.index(pin),)),
        f"workers {last}": ("workers", (years.index(last),)),
        f"remittances {pin}": ("remittances_usd", (years.index(pin),)),
        f"{host} share {pin}": (
            "host_share_by_year", (structure.hosts.index(host), years.index(pin))
        ),
        "bias sd (workers)": ("bias_sd", (0,)),
        f"bias of {first} ({quantity})": ("estimator_bias", (e, q)),
    }


def rank_truth(fit: Fit, *, truths: dict[str, float], parameters: dict[str, tuple]) -> dict:
    """Rank of each truth among ``N_RANK_DRAWS`` thinned draws, and whether the 90% covers it."""
    post = fit.idata.posterior
    out = {}
    for name, (variable, index) in parameters.items():
        values = post[variable].to_numpy()[(slice(None), slice(None), *index)]
        flat = values.reshape(-1)  # chain-major
        keep = np.linspace(0, flat.size - 1, N_RANK_DRAWS).round().astype(int)
        truth = truths[name]
        low, high = np.quantile(flat, [0.05, 0.95])
        out[name] = (int((flat[keep] < truth).sum()), bool(low <= truth <= high))
    return out


@dataclass(frozen=True)
class SBCResult(DerivedCheckResult):
    """Ranks of the truth per simulation and parameter (a :class:`~remitest.checks.CheckResult`).

    ``passed``: every parameter's ranks pass the chi-square test of uniformity at ``P_MIN``
    (0.01). ``tables`` adds ``summary`` as ``"sbc_summary"``. ``figures``: ``plot()``, drawn on
    first access.

    Attributes
    ----------
    table : DataFrame
        ``simulation, parameter, truth, rank`` (0 .. ``n_rank_draws``), ``in_90`` (the posterior's
        central 90% interval covers the truth: parameter recovery) and ``diagnostics_passed``.
    n_rank_draws : int
    """

    n_rank_draws: int = N_RANK_DRAWS

    @property
    def summary(self) -> pd.DataFrame:
        """Per parameter: chi-square test of uniform ranks over 10 bins, and 90% coverage."""
        rows = []
        for name, group in self.table.groupby("parameter", sort=False):
            counts = _bin_counts(group["rank"].to_numpy(), self.n_rank_draws)
            chi2, p = stats.chisquare(counts)
            rows.append({"parameter": name, "n_sims": len(group), "chi2": float(chi2),
                         "p_value": float(p), "coverage_90": float(group["in_90"].mean())})
        return pd.DataFrame(rows)

    def plot(self, *, ax: Axes | None = None) -> Figure:
        """Rank histograms per parameter with the binomial 99% band of a uniform histogram.

        ``ax`` is not used (one panel per parameter); it is accepted for a common signature.
        """
        del ax
        return _plot_ranks(self)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """``table`` as ``"sbc"`` and ``summary`` as ``"sbc_summary"``."""
        return {self.name: self.table, f"{self.name}_summary": self.summary}

    def _name(self) -> str:
        return "sbc"

    def _judge(self) -> bool | None:
        summary = self.summary
        return None if summary.empty else bool((summary["p_value"] >= P_MIN).all())

    def _describe(self) -> str:
        s = self.summary
        if s.empty:
            return "No simulation was ranked."
        worst = s.loc[s["p_value"].idxmin()]
        return (f"{int(s['n_sims'].max())} simulated ledgers; smallest rank-uniformity p-value "
                f"{worst['p_value']:.3f} ({worst['parameter']}; the check fails below {P_MIN}). "
                "Coverage of the 90% intervals: " + ", ".join(
                    f"{r.parameter} {r.coverage_90:.2f}" for r in s.itertuples()) + ".")


def _bin_counts(ranks: np.ndarray, n_rank_draws: int) -> np.ndarray:
    edges = np.linspace(0, n_rank_draws + 1, N_BINS + 1)
    return np.histogram(ranks, bins=edges)[0]


def _simulate(template: Ledger, config: ModelConfig, seeds: list[np.random.SeedSequence],
              parameters: dict[str, tuple]) -> tuple[list[Ledger], list[dict[str, float]]]:
    ledgers, truths = [], []
    for seed in seeds:
        sim = simulate_ledger(template, config, random_seed=np.random.default_rng(seed))
        ledgers.append(sim.ledger)
        truths.append({name: float(sim.truth[var][index])
                       for name, (var, index) in parameters.items()})
    return ledgers, truths


def sbc(
    template: Ledger | None = None,
    *,
    config: ModelConfig | None = None,
    n_sims: int = 100,
    draws: int = 1000,
    tune: int = 1000,
    executor: Executor | None = None,
    random_seed: int = 0,
) -> SBCResult:
    """Simulation-based calibration on ledgers like ``template`` (default: the seed claims).

    Parameters
    ----------
    template : Ledger, optional
    config : ModelConfig, optional
        Default :func:`sbc_config` (the default reading of every claim); a given config is
        used as is.
    n_sims : int
    draws, tune : int
        Per chain (4 chains); ``4 * draws`` must be at least ``N_RANK_DRAWS``.
    executor : concurrent.futures.Executor, optional
        One task per simulated ledger; None fits serially in this process.
    random_seed : int
        Seeds every simulation and fit (independent streams per simulation).

    Returns
    -------
    SBCResult
    """
    template = (template if template is not None else load_ledger("seeds")).originals()
    config = config or sbc_config()
    if 4 * draws < N_RANK_DRAWS:
        raise ValueError(f"draws = {draws}: need 4 * draws >= {N_RANK_DRAWS} to thin to ranks")
    if n_sims < 1:
        raise ValueError(f"n_sims = {n_sims}: must be >= 1")
    parameters = _parameters(template, config)
    children = np.random.SeedSequence(random_seed).spawn(2 * n_sims)
    ledgers, truths = _simulate(template, config, children[:n_sims], parameters)
    fit_seeds = [int(c.generate_state(1)[0] % 2**31) for c in children[n_sims:]]
    tasks = make_tasks(ledgers, config, structure_ledger=template, seeds=fit_seeds, draws=draws,
                       tune=tune)
    # Each simulation's truths travel with its task, inside a picklable partial.
    reducers = [partial(rank_truth, truths=truth, parameters=parameters) for truth in truths]
    outputs = run_tasks(tasks, reducers, executor=executor)
    warn_failed("sbc", [f"simulation {i}" for i in range(n_sims)], [d for _, d in outputs])
    rows = [
        {"simulation": i, "parameter": name, "truth": truths[i][name], "rank": rank,
         "in_90": covered, "diagnostics_passed": diagnostics["passed"]}
        for i, (ranks, diagnostics) in enumerate(outputs)
        for name, (rank, covered) in ranks.items()
    ]
    return SBCResult(table=pd.DataFrame(rows))


@styled
def _plot_ranks(result: SBCResult) -> Figure:
    summary = result.summary
    n = len(summary)
    ncols = 3
    nrows = int(np.ceil(n / ncols))
    fig = new_figure(7.0, 1.9 * nrows + 0.6)
    axes = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for extra in axes[n:]:
        extra.remove()
    n_sims = int(summary["n_sims"].max()) if n else 0
    low, high = stats.binom.ppf([0.005, 0.995], n_sims, 1 / N_BINS)
    edges = np.linspace(0, result.n_rank_draws + 1, N_BINS + 1)
    for ax, row in zip(axes, summary.itertuples(index=False), strict=False):
        ranks = result.table.loc[result.table["parameter"] == row.parameter, "rank"].to_numpy()
        ax.axhspan(low, high, color="0.88", lw=0, zorder=0)
        ax.axhline(n_sims / N_BINS, color="0.5", lw=0.8, zorder=1)
        ax.hist(ranks, bins=edges, color="#0072B2", alpha=0.85, edgecolor="white", lw=0.5,
                zorder=2)
        title = textwrap.shorten(row.parameter, width=60, placeholder="\u2026")
        title = "\n".join(textwrap.wrap(title, width=34))
        flag = "  (!)" if row.p_value < 0.01 else ""
        ax.set_title(f"{title}\n\u03c7\u00b2 p = {row.p_value:.2f}{flag}", loc="left")
        ax.set_xlim(0, result.n_rank_draws + 1)
        ax.set_ylim(0, 1.1 * max(high, _bin_counts(ranks, result.n_rank_draws).max()))
        ax.set_ylabel("simulations", fontsize=6.5)
    for ax in axes[max(0, n - ncols):n]:
        ax.set_xlabel(f"rank of the truth among {result.n_rank_draws} draws")
    fig.suptitle(f"Simulation-based calibration: {n_sims} simulated ledgers (grey band: 99% "
                 "range of a uniform histogram)", x=0.01, ha="left")
    return fig
