"""Post-processing speed: the vectorized library against a per-draw loop and against ArviZ.

A fake fit of 4 chains x 25,000 draws over every year and host (remitest.testing.fake_fit) is
summarised (every year x scope x quantity), a derived series is computed (cumulative world
remittances over all years) and every claim of the shipped ledger is predicted, three ways:

(a) vectorized: remitest.posterior and remitest.predictive, numpy over all draws at once;
(b) loop: a straightforward Python loop over draws, with numpy inside each draw, then numpy per
    summary cell (np.quantile and a sorted-window HDI);
(c) ArviZ, for the summary part only: az.summary(kind="stats", ci_kind="hdi") (mean, sd, HDI) plus
    xarray's quantile for the median and the 5/25/75/95% quantiles, on the same draws.

Then the diagnostics gate that every fit passes (remitest.diagnostics.diagnostics_table: R-hat,
bulk and tail ESS of every gated scalar) on a fake fit of 4 chains x 1,000 draws, a fit's usual
size: vectorised over all scalars at once against az.rhat and az.ess, which loop in Python over the
scalars.

All paths must agree before any time is printed. Wall times are the best of the runs; peak memory
is the largest rise of the process's resident set (Linux /proc/self/statm, sampled every 2 ms by a
thread) above its level when the path started (tracemalloc would slow the per-draw loop ~25x).

Run: python benchmarks/bench_postprocess.py
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import warnings

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from _measures import measure, write_measures
from scipy import special

from remitest import posterior, predictive
from remitest.diagnostics import diagnostics_table, gated_names
from remitest.ledger import ESTIMATOR_TYPES, QUANTITIES
from remitest.predictive import randomized_pit
from remitest.reading import read_claims
from remitest.testing import fake_fit

CHAINS, DRAWS, HDI_PROB, SEED = 4, 25_000, 0.9, 20240101
GATE_DRAWS = 1_000  # per chain, for the diagnostics gate
PROBS = (0.05, 0.25, 0.5, 0.75, 0.95)
QCOLS = ("q05", "q25", "median", "q75", "q95")
# the HDI columns of az.summary(ci_kind="hdi") at HDI_PROB
HDI_LOW, HDI_HIGH = f"hdi{round(HDI_PROB * 100)}_lb", f"hdi{round(HDI_PROB * 100)}_ub"


# -- (a) vectorized -------------------------------------------------------------------------------
def vectorized_summary(fit):
    return posterior.summary(fit, hdi_prob=HDI_PROB)


def vectorized_rest(fit):
    cumulative = posterior.cumulative(fit, "remittances_usd", hdi_prob=HDI_PROB)
    claims = predictive.predict_claims(fit, fit.ledger, random_seed=SEED)
    return cumulative, claims


# -- (b) per-draw loop ----------------------------------------------------------------------------
def cell_stats(x):
    """Statistics of one cell's draws, the plain way."""
    ordered = np.sort(x)
    steps = int(np.floor(HDI_PROB * len(x)))
    start = int(np.argmin(ordered[steps:] - ordered[: len(x) - steps]))
    q05, q25, median, q75, q95 = np.quantile(x, PROBS)
    return {"mean": x.mean(), "median": median, "sd": x.std(ddof=1), "q05": q05, "q25": q25,
            "q75": q75, "q95": q95, "hdi_low": ordered[start],
            "hdi_high": ordered[start + steps]}  # fmt: skip


def loop_summary(fit):
    post = fit.idata.posterior
    world = {q: post[q].to_numpy() for q in QUANTITIES}
    hosts = {q: post[f"{q}_host"].sel(host=list(fit.hosts)).to_numpy()
             for q in ("workers", "remittances_usd")}  # fmt: skip
    n_scopes, n_years = 1 + len(fit.hosts), len(fit.years)
    cells = np.empty((CHAINS * DRAWS, len(QUANTITIES), n_scopes, n_years))
    for chain in range(CHAINS):
        for draw in range(DRAWS):
            sample = cells[chain * DRAWS + draw]
            for i, quantity in enumerate(("workers", "remittances_usd")):
                sample[i, 0] = world[quantity][chain, draw]
                sample[i, 1:] = hosts[quantity][chain, draw]
            sample[2] = world["per_worker_usd"][chain, draw]  # the same in every host
    rows = []
    for i, quantity in enumerate(QUANTITIES):
        for s, scope in enumerate(("world", *fit.hosts)):
            for y, year in enumerate(fit.years):
                rows.append({"year": year, "scope": scope, "quantity": quantity,
                             **cell_stats(cells[:, i, s, y])})  # fmt: skip
    return pd.DataFrame(rows)


def loop_rest(fit):
    post = fit.idata.posterior
    remittances = post["remittances_usd"].to_numpy()
    totals = np.empty(CHAINS * DRAWS)
    for chain in range(CHAINS):
        for draw in range(DRAWS):
            totals[chain * DRAWS + draw] = remittances[chain, draw].sum()
    cumulative = cell_stats(totals)

    frame = fit.ledger.to_frame()
    gaussian, censored = read_claims(frame, fit.config, fit.years, fit.structure.estimators)
    blocks = [(gaussian, False), (censored, True)]
    ids = np.concatenate([b.ids for b, _ in blocks])
    series = {
        "workers": post["workers_host"].sel(host=list(fit.hosts)).to_numpy(),
        "remittances_usd": post["remittances_usd_host"].sel(host=list(fit.hosts)).to_numpy(),
        "per_worker_usd": post["per_worker_usd"].to_numpy(),
    }
    bias = post["estimator_bias"].sel(quantity=list(QUANTITIES)).to_numpy()
    noise = post["noise_sd"].sel(estimator_type=list(ESTIMATOR_TYPES)).to_numpy()
    rounding = fit.config.priors.rounding_sd
    n = len(ids)
    # The same normal variates as the vectorized path, drawn up front in its order.
    rng = np.random.default_rng(SEED)
    z = rng.standard_normal((CHAINS * DRAWS, len(frame)))
    uniform = rng.random(len(frame))  # a censored bound's randomised PIT, in ledger order
    # z's columns follow the ledger; the blocks list gaussian claims first.
    z_column = np.argsort(pd.Index(ids).get_indexer(frame["id"].to_numpy(str)))
    cdf = np.empty((CHAINS * DRAWS, n))
    predictive = np.empty((CHAINS * DRAWS, n))
    for chain in range(CHAINS):
        for draw in range(DRAWS):
            k = chain * DRAWS + draw
            column = 0
            for block, _censored in blocks:
                for c in range(len(block)):
                    quantity = QUANTITIES[block.quantity[c]]
                    if quantity == "per_worker_usd":
                        measured = block.window[c] @ series[quantity][chain, draw] * block.scope[
                            c].sum()
                    else:
                        measured = block.scope[c] @ series[quantity][chain, draw] @ block.window[c]
                    m = np.log(measured) + bias[chain, draw, block.estimator[c], block.quantity[c]]
                    s = np.sqrt(noise[chain, draw, block.estimator_type[c]] ** 2 + rounding**2
                                + block.spread[c] ** 2)  # fmt: skip
                    offset = block.reported[c] - block.value[c]
                    cdf[k, column] = special.ndtr((block.value[c] - m) / s)
                    predictive[k, column] = m + offset + s * z[k, z_column[column]]
                    column += 1
    direction = np.concatenate([b.direction for b, _ in blocks])
    claims = pd.DataFrame({"id": ids, "cdf": cdf.mean(axis=0), "direction": direction})
    for p, q in zip(PROBS, np.exp(np.quantile(predictive, PROBS, axis=0)), strict=True):
        claims[f"pred_q{round(p * 100):02d}"] = q
    claims = claims.set_index("id").loc[frame["id"]].reset_index()
    claims["pit"] = randomized_pit(claims["cdf"].to_numpy(), claims["direction"].to_numpy(),
                                   uniform)
    return cumulative, claims.drop(columns=["cdf", "direction"])


# -- (c) ArviZ ------------------------------------------------------------------------------------
def arviz_dataset(fit):
    post = fit.idata.posterior
    scopes = ["world", *fit.hosts]

    def by_scope(quantity):
        both = xr.concat([post[quantity].expand_dims(scope=["world"]),
                          post[f"{quantity}_host"].sel(host=list(fit.hosts)).rename(host="scope")],
                         dim="scope")  # fmt: skip
        return both.assign_coords(scope=scopes).transpose("chain", "draw", "scope", "year")

    return xr.Dataset({"workers": by_scope("workers"),
                       "remittances_usd": by_scope("remittances_usd"),
                       "per_worker_usd": post["per_worker_usd"]})  # fmt: skip


def arviz_summary(dataset):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        stats = az.summary(dataset, kind="stats", ci_prob=HDI_PROB, ci_kind="hdi",
                           round_to="none")
    quantiles = dataset.quantile(list(PROBS), dim=("chain", "draw"))
    return stats, quantiles


# -- the diagnostics gate -------------------------------------------------------------------------
def gated_posterior(fit):
    posterior_ = fit.idata["posterior"].to_dataset()
    return posterior_[gated_names(posterior_)].load()


def arviz_gate(posterior_):
    """The gate as ArviZ computes it: one Python call per scalar and per diagnostic."""
    return (az.rhat(posterior_), az.ess(posterior_, method="bulk"),
            az.ess(posterior_, method="tail"))  # fmt: skip


def check_gate_agreement(table, arviz_out):
    for column, result in zip(("r_hat", "ess_bulk", "ess_tail"), arviz_out, strict=True):
        cells = np.concatenate([result[name].to_numpy().ravel() for name in result.data_vars])
        np.testing.assert_allclose(table[column], cells, rtol=1e-10)


# -- agreement ------------------------------------------------------------------------------------
def check_agreement(fit, vec_summary, vec_rest, loop_out, arviz_out):
    loop_summary_, (loop_cum, loop_claims) = loop_out
    vec_cum, vec_claims = vec_rest
    stat_columns = list(posterior.STAT_COLUMNS)
    # Same sorted draws, same interpolation, same HDI rule: agreement to rounding.
    np.testing.assert_allclose(vec_summary[stat_columns], loop_summary_[stat_columns], rtol=1e-9)
    np.testing.assert_allclose(vec_cum[stat_columns].to_numpy()[0],
                               [loop_cum[c] for c in stat_columns], rtol=1e-9)  # fmt: skip
    np.testing.assert_allclose(vec_claims["pit"], loop_claims["pit"], rtol=1e-9, atol=1e-12)
    pred = [f"pred_q{round(p * 100):02d}" for p in PROBS]
    np.testing.assert_allclose(vec_claims[pred], loop_claims[pred], rtol=1e-9)

    stats, quantiles = arviz_out
    world = vec_summary[vec_summary["scope"] == "world"]
    for quantity in QUANTITIES:
        mine = world[world["quantity"] == quantity]
        label = [f"{quantity}[{y}]" if quantity == "per_worker_usd" else f"{quantity}[world, {y}]"
                 for y in fit.years]  # fmt: skip
        theirs = stats.loc[label]
        np.testing.assert_allclose(mine["mean"], theirs["mean"], rtol=1e-9)
        np.testing.assert_allclose(mine["sd"], theirs["sd"], rtol=1e-9)
        # az.hdi and the sorted-window HDI apply one rule; a tie could pick a neighbouring
        # window, so allow a few draws' spacing (1e-6 of the value).
        np.testing.assert_allclose(mine["hdi_low"], theirs[HDI_LOW], rtol=1e-6)
        np.testing.assert_allclose(mine["hdi_high"], theirs[HDI_HIGH], rtol=1e-6)
        q = quantiles[quantity]
        q = q.sel(scope="world") if "scope" in q.dims else q
        np.testing.assert_allclose(mine[list(QCOLS)].to_numpy(), q.transpose("year", "quantile"),
                                   rtol=1e-9)  # fmt: skip
    for host in fit.hosts:
        mine = vec_summary[(vec_summary["scope"] == host)
                           & (vec_summary["quantity"] == "workers")]  # fmt: skip
        label = [f"workers[{host}, {y}]" for y in fit.years]
        np.testing.assert_allclose(mine["hdi_low"], stats.loc[label, HDI_LOW], rtol=1e-6)
        np.testing.assert_allclose(mine["median"],
                                   quantiles["workers"].sel(scope=host, quantile=0.5), rtol=1e-9)


# -- timing ---------------------------------------------------------------------------------------
def resident_bytes():
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: no memory figure
        return 0


class PeakResident:
    """Largest rise of the resident set above its level on entry, sampled by a thread."""

    def __enter__(self):
        self.base = self.peak = resident_bytes()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._done.wait(0.002):
            self.peak = max(self.peak, resident_bytes())

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, resident_bytes())

    @property
    def mib(self):
        return (self.peak - self.base) / 2**20


def timed(func, *args, repeat=1):
    """Best wall time over ``repeat`` runs, the largest memory rise, and the last output."""
    best, peak, out = np.inf, 0.0, None
    for _ in range(repeat):
        with PeakResident() as memory:
            start = time.perf_counter()
            out = func(*args)
            best = min(best, time.perf_counter() - start)
        peak = max(peak, memory.mib)
    return best, peak, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="also write the measures as JSON")
    args = parser.parse_args(argv)
    fit = fake_fit(chains=CHAINS, draws=DRAWS, random_seed=1)
    print(f"fake fit: {CHAINS} chains x {DRAWS} draws, {len(fit.years)} years "
          f"({fit.years[0]}-{fit.years[-1]}), scopes world + {len(fit.hosts)} hosts, "
          f"{len(fit.ledger)} claims")  # fmt: skip
    dataset = arviz_dataset(fit)
    vectorized_summary(fit), vectorized_rest(fit), arviz_summary(dataset)  # warm-up

    t_vec_summary, m_vec_summary, vec_summary = timed(vectorized_summary, fit, repeat=3)
    t_vec_rest, m_vec_rest, vec_rest = timed(vectorized_rest, fit, repeat=3)
    t_loop_summary, m_loop_summary, loop_summary_ = timed(loop_summary, fit)
    t_loop_rest, m_loop_rest, loop_rest_ = timed(loop_rest, fit)
    t_arviz, m_arviz, arviz_out = timed(arviz_summary, dataset, repeat=3)
    check_agreement(fit, vec_summary, vec_rest, (loop_summary_, loop_rest_), arviz_out)
    print("all three paths agree (summary, cumulative remittances, claim predictions)")

    gate_fit = fake_fit(chains=CHAINS, draws=GATE_DRAWS, random_seed=1)
    gate_posterior = gated_posterior(gate_fit)
    n_gated = sum(gate_posterior[name][0, 0].size for name in gate_posterior.data_vars)
    diagnostics_table(gate_posterior), arviz_gate(gate_posterior)  # warm-up
    t_gate_vec, _, gate_table = timed(diagnostics_table, gate_posterior, repeat=5)
    t_gate_arviz, _, gate_arviz = timed(arviz_gate, gate_posterior, repeat=3)
    check_gate_agreement(gate_table, gate_arviz)
    print(f"diagnostics gate agrees with az.rhat/az.ess on {n_gated} scalars "
          f"({CHAINS} chains x {GATE_DRAWS:,} draws)")  # fmt: skip

    t_vec, t_loop = t_vec_summary + t_vec_rest, t_loop_summary + t_loop_rest
    print(f"{'path':<32}{'wall s':>10}{'peak MiB':>12}")
    for name, seconds, mib in [
        ("vectorized summary", t_vec_summary, m_vec_summary),
        ("vectorized derived + claims", t_vec_rest, m_vec_rest),
        ("loop summary", t_loop_summary, m_loop_summary),
        ("loop derived + claims", t_loop_rest, m_loop_rest),
        ("arviz summary", t_arviz, m_arviz),
    ]:
        print(f"{name:<32}{seconds:>10.3f}{mib:>12.1f}")
    print(f"{'gate diagnostics, vectorised':<32}{t_gate_vec:>10.3f}")
    print(f"{'gate diagnostics, arviz.rhat/ess':<32}{t_gate_arviz:>10.3f}")
    print(f"{'vectorized total':<32}{t_vec:>10.3f}")
    print(f"{'loop total':<32}{t_loop:>10.3f}")
    print(f"vectorized/loop ratio: {t_vec / t_loop:.3f}  "
          f"vectorized/arviz ratio: {t_vec_summary / t_arviz:.3f}  "
          f"gate vectorised/arviz ratio: {t_gate_vec / t_gate_arviz:.3f}")  # fmt: skip
    draws = f"{CHAINS} x {DRAWS:,} draws"
    gate = f"{CHAINS} x {GATE_DRAWS:,} draws"
    loop = f"per-draw loop: summary, derived series and claims ({draws})"
    write_measures(args.json, [
        measure(loop, t_loop, "s"),
        measure(f"vectorized: summary, derived series and claims ({draws})", t_vec, "s",
                baseline=loop, baseline_value=t_loop),
        measure(f"ArviZ: az.summary + quantiles ({draws})", t_arviz, "s"),
        measure(f"vectorized summary ({draws})", t_vec_summary, "s",
                baseline="ArviZ: az.summary + quantiles", baseline_value=t_arviz),
        measure("per-draw loop: largest rise of resident memory", max(m_loop_summary, m_loop_rest),
                "MiB"),
        measure("vectorized: largest rise of resident memory", max(m_vec_summary, m_vec_rest),
                "MiB", baseline="per-draw loop: largest rise of resident memory",
                baseline_value=max(m_loop_summary, m_loop_rest)),
        measure(f"gate diagnostics, arviz.rhat/ess ({n_gated} scalars, {gate})", t_gate_arviz, "s"),
        measure(f"gate diagnostics, vectorised ({n_gated} scalars, {gate})", t_gate_vec, "s",
                baseline="gate diagnostics, arviz.rhat/ess", baseline_value=t_gate_arviz),
    ])  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
