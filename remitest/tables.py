"""Prior beside posterior: what the claims taught each estimator bias, noise and host share.

The priors are analytic, from ``fit.config.priors``; the posterior columns are
``posterior.summarize_draws`` over the draws. ``host_share_table`` is defined in
``remitest.posterior`` (the summary's ``prior_only`` column reads it) and shown here.
``sd_ratio`` near 1 means the claims taught the parameter little beyond its prior.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from remitest.fitrecord import Fit
from remitest.ledger import ESTIMATOR_TYPES, QUANTITIES
from remitest.posterior import (  # host_share_table: the summary's prior_only column reads it
    _claims_per_scope_year,
    _posterior_columns,
    _with_movement,
    host_share_table,
    prior_series_draws,
    summarize_draws,
)

__all__ = [
    "estimators_table", "host_share_table", "host_share_by_year_table", "bias_prior_sd",
    "bias_prior_quantile",
]

_Z95 = float(special.ndtri(0.95))


def bias_prior_sd(priors) -> float:
    """Marginal prior sd of one estimator's bias: ``bias_sd * N(0, 1)``, bias_sd lognormal."""
    return float(priors.bias_sd_median * np.exp(priors.bias_sd_log_sd**2))


def bias_prior_quantile(priors, p: float) -> float:
    """Quantile ``p`` of the marginal prior of one estimator's bias (a normal scale mixture).

    The CDF ``E[Phi(x / bias_sd)]`` is integrated by Gauss-Hermite quadrature over the lognormal
    ``bias_sd`` and inverted by root finding.
    """
    from scipy import optimize

    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()
    scales = priors.bias_sd_median * np.exp(priors.bias_sd_log_sd * nodes)

    def cdf(x: float) -> float:
        return float(np.sum(weights * special.ndtr(x / scales))) - p

    bound = 50.0 * float(scales.max())
    return float(optimize.brentq(cdf, -bound, bound, xtol=1e-10))


def estimators_table(fit: Fit) -> pd.DataFrame:
    """Each estimator's bias per quantity and each type's noise, prior beside posterior.

    Priors are analytic from ``fit.config.priors``: an estimator's bias (natural-log factor) is
    ``bias_sd * Normal(0, 1)`` with ``bias_sd ~ LogNormal(log(bias_sd_median), bias_sd_log_sd)``,
    whose marginal sd is ``bias_sd_median * exp(bias_sd_log_sd^2)`` (its quantiles are computed
    from that scale mixture); a type's noise (log-sd)
    is ``LogNormal(log(noise_median), noise_log_sd)``. With no unbiased reference source the
    biases are identified only relative to that prior: ``sd_ratio`` near 1 means the claims
    taught the parameter nothing beyond it.

    Parameters
    ----------
    fit : Fit

    Returns
    -------
    DataFrame
        ``parameter`` (``estimator_bias`` or ``noise_sd``), ``estimator`` (empty for noise),
        ``estimator_type``, ``quantity`` (empty for noise), ``prior_mean, prior_sd, prior_q05,
        prior_q95, post_mean, post_sd, post_q05, post_q95`` (log scale), ``sd_ratio``
        (post_sd / prior_sd) and ``n_claims`` (original claims that inform it).
    """
    priors, post = fit.config.priors, fit.idata.posterior
    originals = fit.ledger.originals().to_frame()
    estimators, types = list(fit.structure.estimators), list(fit.structure.estimator_types)
    bias_sd, bias_q95 = bias_prior_sd(priors), bias_prior_quantile(priors, 0.95)
    counts = originals.groupby(["estimator", "quantity"]).size()
    bias = pd.DataFrame({
        "parameter": "estimator_bias",
        "estimator": np.repeat(estimators, len(QUANTITIES)),
        "estimator_type": np.repeat(types, len(QUANTITIES)),
        "quantity": np.tile(QUANTITIES, len(estimators)),
        "prior_mean": 0.0, "prior_sd": bias_sd,
        "prior_q05": -bias_q95, "prior_q95": bias_q95,
        **{k: v.ravel() for k, v in _posterior_columns(
            post["estimator_bias"].transpose("chain", "draw", "estimator", "quantity")
            .sel(estimator=estimators, quantity=list(QUANTITIES)).to_numpy()).items()},
    })  # fmt: skip
    bias["n_claims"] = counts.reindex(
        pd.MultiIndex.from_arrays([bias["estimator"], bias["quantity"]]), fill_value=0
    ).to_numpy()
    mu, sigma = np.log(priors.noise_median), priors.noise_log_sd
    noise = pd.DataFrame({
        "parameter": "noise_sd",
        "estimator": "",
        "estimator_type": list(ESTIMATOR_TYPES),
        "quantity": "",
        "prior_mean": np.exp(mu + sigma**2 / 2),
        "prior_sd": np.sqrt(np.expm1(sigma**2) * np.exp(2 * mu + sigma**2)),
        "prior_q05": np.exp(mu - _Z95 * sigma), "prior_q95": np.exp(mu + _Z95 * sigma),
        **_posterior_columns(post["noise_sd"].transpose("chain", "draw", "estimator_type")
                             .sel(estimator_type=list(ESTIMATOR_TYPES)).to_numpy()),
        "n_claims": originals.groupby("estimator_type").size()
        .reindex(list(ESTIMATOR_TYPES), fill_value=0).to_numpy(),
    })  # fmt: skip
    table = pd.concat([bias, noise], ignore_index=True)
    table["sd_ratio"] = table["post_sd"] / table["prior_sd"]
    table["n_claims"] = table["n_claims"].astype(np.int64)
    return table[[c for c in table.columns if c != "n_claims"] + ["n_claims"]]


def host_share_prior_draws(fit: Fit, n: int = 4000, *, random_seed: int = 0) -> np.ndarray:
    """Draws of each host's share by year from the prior, shape (n, host, year).

    The host rows of :func:`remitest.posterior.prior_series_draws` over its world row (the world
    walk cancels in a share): Dirichlet shares at the pin year, the shares' log-ratio walks.
    """
    log_workers = prior_series_draws(fit, n, random_seed=random_seed)[:, 0]  # (n, scope, year)
    return np.exp(log_workers[:, 1:] - log_workers[:, :1])


def host_share_by_year_table(fit: Fit) -> pd.DataFrame:
    """Each host's share of the world's workers in each year, prior beside posterior.

    The prior is sampled (:func:`host_share_prior_draws`, seeded); ``moved_from_prior`` follows
    :func:`host_share_table`'s rule per host-year; ``n_claims`` counts the original claims below
    world level whose scope includes the host and whose reference period covers the year (only
    those can move a share). A year with ``n_claims == 0`` far from such claims shows the prior.

    Returns
    -------
    DataFrame
        ``host, year, prior_mean, prior_sd, prior_q05, prior_q95, post_mean, post_sd, post_q05,
        post_q95, sd_ratio, moved_from_prior, n_claims``, one row per host and year.
    """
    hosts, years = list(fit.hosts), np.asarray(fit.years)
    prior = host_share_prior_draws(fit)
    post = fit.idata.posterior["host_share_by_year"].transpose("chain", "draw", "host", "year")
    post = post.sel(host=hosts).to_numpy()
    prior_stats = summarize_draws(prior[None])
    post_stats = _posterior_columns(post)
    counts = _claims_per_scope_year(fit, below_world=True)[1:]  # rows: world, then the hosts
    table = pd.DataFrame({
        "host": np.repeat(hosts, len(years)),
        "year": np.tile(years.astype(np.int64), len(hosts)),
        "prior_mean": prior_stats["mean"].ravel(), "prior_sd": prior_stats["sd"].ravel(),
        "prior_q05": prior_stats["q05"].ravel(), "prior_q95": prior_stats["q95"].ravel(),
        **{k: v.ravel() for k, v in post_stats.items()},
        "n_claims": counts.ravel(),
    })  # fmt: skip
    return _with_movement(table, at=10)
