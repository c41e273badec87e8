"""Claim predictions: the posterior predictive distribution of each claim's reported value.

Each claim is read exactly as the model's likelihood reads it (``remitest.reading``), and predicted
from every posterior draw at once (sample axes first, no loop over draws). ``claims_table`` is the
run folder's ``claims.csv`` and the data of ``plots.plot_ppc``; both use its default seed,
:func:`claims_seed`, so the figure and the file show the same predictive draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from remitest import forward
from remitest.extrapolate import extend
from remitest.fitrecord import Fit
from remitest.ledger import ESTIMATOR_TYPES, QUANTITIES, WORLD, Ledger
from remitest.posterior import _host_draws, _sample_shape
from remitest.reading import ClaimArrays, as_read, read_claims

__all__ = [
    "PREDICTION_COLUMNS",
    "ClaimDistribution",
    "claim_distribution",
    "claims_seed",
    "randomized_pit",
    "predict_claims",
    "claims_table",
]

PREDICTION_COLUMNS = (
    "id", "quantity", "kind", "read_as", "estimator", "estimator_type", "scope", "ref_start",
    "ref_end", "reported_value", "used", "pit", "pred_q05", "pred_q25", "pred_q50", "pred_q75",
    "pred_q95", "extrapolated",
)  # fmt: skip
_PRED_PROBS = (0.05, 0.25, 0.5, 0.75, 0.95)


def claims_seed(fit: Fit) -> int:
    """Seed of the claims' predictive draws, derived from the fit's seed (its own stream).

    Child 1 of ``numpy.random.SeedSequence(fit.random_seed)``, so it never repeats the sampler's
    stream. Recorded as ``claims_random_seed`` in a run folder's metadata; a run folder written
    with the same fit seed reproduces its ``claims.csv``.
    """
    state = np.random.SeedSequence(int(fit.random_seed), spawn_key=(1,)).generate_state(1)
    return int(state[0])


def randomized_pit(cdf: np.ndarray, direction: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Percentile of each claim: exact for a point, uniform over its side for a censored bound.

    A bound read as censored says only on which side of X the value lies. Its percentile is drawn
    uniformly over that side: ``u = F(X) + V (1 - F(X))`` for "more than X" and ``u = V F(X)``
    for "as high as X", with ``V ~ Uniform(0, 1)``. Under a calibrated model every claim's
    percentile is uniform and a bound counts as a 50% or 90% interval like any other claim. This
    rule decides which claims are called surprising (near 0 or 1), in ``predict_claims`` and in
    the checks.

    Parameters
    ----------
    cdf : ndarray, shape (claim,)
        Predictive CDF F at the observation (belief median, or the bound X), in [0, 1].
    direction : ndarray, shape (claim,)
        +1 "more than", -1 "as high as" for censored claims; 0 for the others (percentile F).
    uniform : ndarray, shape (claim,)
        Draws V from Uniform(0, 1), one per claim (used only for censored claims).

    Returns
    -------
    ndarray, shape (claim,)
    """
    cdf, direction, uniform = np.broadcast_arrays(
        np.asarray(cdf, float), np.asarray(direction), np.asarray(uniform, float)
    )
    return np.where(
        direction > 0, cdf + uniform * (1.0 - cdf), np.where(direction < 0, uniform * cdf, cdf)
    )


def _outside(frame: pd.DataFrame, fit: Fit) -> np.ndarray:
    """Claims whose reference period reaches outside the fitted years (extrapolated)."""
    years = fit.years
    return ((frame["ref_start"] < years[0]) | (frame["ref_end"] > years[-1])).to_numpy(bool)


def _check_claims(frame: pd.DataFrame, fit: Fit) -> None:
    known = (WORLD, *fit.hosts, *fit.config.scope_groups)
    bad = [f"claim {r.id!r}: scope {r.scope!r}" for r in frame.itertuples() if r.scope not in known]
    if bad:
        raise ValueError(
            "claims on scopes this fit does not model:\n  "
            + "\n  ".join(bad)
            + f"\nvalid scopes are {list(known)}"
        )


def _merge_blocks(gaussian: ClaimArrays, censored: ClaimArrays, ids: np.ndarray) -> dict:
    """Both blocks' arrays in ledger order (``ids``)."""
    merged = {
        field: np.concatenate([getattr(gaussian, field), getattr(censored, field)])
        for field in (
            "ids",
            "quantity",
            "estimator",
            "estimator_type",
            "window",
            "scope",
            "value",
            "spread",
            "direction",
            "reported",
            "reading",
        )
    }
    order = pd.Index(merged["ids"]).get_indexer(ids)
    merged = {k: v[order] for k, v in merged.items()}
    merged["censored"] = np.r_[np.zeros(len(gaussian), bool), np.ones(len(censored), bool)][order]
    return merged


def _claim_bias(
    fit: Fit, claims: dict, estimator_types: list[str], rng: np.random.Generator
) -> np.ndarray:
    """Bias of each claim per draw, shape (sample, claim): fitted, or drawn for new estimators."""
    post = fit.idata.posterior
    chains, draws = _sample_shape(fit)
    bias = post["estimator_bias"].transpose("chain", "draw", "estimator", "quantity")
    bias = (
        bias.sel(quantity=list(QUANTITIES)).to_numpy().reshape(chains * draws, -1, len(QUANTITIES))
    )
    n_new = len(estimator_types) - bias.shape[1]
    if n_new:
        # An estimator the fit never saw: a fresh draw from the hierarchy, Normal(0, bias_sd)
        # with the learned spread of its quantity, per draw.
        spread = post["bias_sd"].transpose("chain", "draw", "quantity")
        spread = spread.sel(quantity=list(QUANTITIES)).to_numpy()
        spread = spread.reshape(chains * draws, 1, len(QUANTITIES))
        fresh = spread * rng.standard_normal((chains * draws, n_new, len(QUANTITIES)))
        bias = np.concatenate([bias, fresh], axis=1)
    return bias[:, claims["estimator"], claims["quantity"]]


@dataclass(frozen=True)
class ClaimDistribution:
    """Each claim's observation as the likelihood reads it, and its per-draw distribution.

    On the log scale, per posterior draw ``i`` and claim ``j`` the observation is
    ``Normal(location[i, j], scale[i, j])``: observed exactly for a gaussian claim, and only on
    one side of ``value`` for a censored one (``direction`` +1: above, -1: below).

    Attributes
    ----------
    ids : ndarray of str
        Claim ids, in ledger order.
    value : ndarray, shape (claim,)
        The observation: log belief median (gaussian) or log bound (censored).
    censored : ndarray of bool, shape (claim,)
    direction : ndarray, shape (claim,)
        +1 "more than", -1 "as high as" for censored claims; 0 for gaussian ones.
    reported : ndarray, shape (claim,)
        Log of the reported value (figure, geometric midpoint of a range, or the bound).
    location, scale : ndarray, shape (sample, claim)
        ``log(scope-summed, window-averaged series) + bias + shared readings`` and
        ``sqrt(noise_sd[type]^2 + rounding_sd^2 + spread^2)``, samples in (chain, draw) order.
    outlier_weight, outlier_sd : float
        ``priors.claim_outlier_weight`` and ``claim_outlier_sd``: with a weight above 0 each
        observation is a mixture, an outlier's normal (``outlier_sd`` added in quadrature)
        beside the claim's own (:func:`remitest.forward.claim_log_density`, ``claim_cdf``,
        ``claim_draw``).
    """

    ids: np.ndarray
    value: np.ndarray
    censored: np.ndarray
    direction: np.ndarray
    reported: np.ndarray
    location: np.ndarray
    scale: np.ndarray
    outlier_weight: float = 0.0
    outlier_sd: float = 1.0

    def log_density(self) -> np.ndarray:
        """Log likelihood of each observation per sample, shape (sample, claim)."""
        return forward.claim_log_density(self.value, self.location, self.scale, self.direction,
                                         **self._mixture)

    def cdf(self) -> np.ndarray:
        """Predictive CDF at each observation per sample, shape (sample, claim)."""
        return forward.claim_cdf(self.value, self.location, self.scale, **self._mixture)

    def draw(self, rng: np.random.Generator, shift: Any = 0.0) -> np.ndarray:
        """One predictive draw per sample and claim, moved by ``shift`` (log scale)."""
        return forward.claim_draw(self.location + shift, self.scale, rng, **self._mixture)

    @property
    def _mixture(self) -> dict[str, float]:
        return {"outlier_weight": self.outlier_weight, "outlier_sd": self.outlier_sd}


def claim_distribution(
    fit: Fit, ledger: Ledger, *, random_seed: int | np.random.Generator | None = None
) -> ClaimDistribution:
    """Per-draw location and scale of each claim's observation, exactly as the model reads it.

    The one place where predictions (and the checks' pointwise log-likelihood) read claims. An
    estimator absent from the fit gets, per draw, ``bias_sd[quantity] * N(0, 1)`` (a fresh
    estimator from the hierarchy, with the learned spread); ``random_seed`` seeds those draws only.

    Parameters
    ----------
    fit : Fit
    ledger : Ledger
        Claims to read, in ledger order (must not be empty).
    random_seed : int, numpy.random.Generator or None

    Returns
    -------
    ClaimDistribution

    Raises
    ------
    ValueError
        For claims whose scope the fit does not model, naming them. A claim outside
        ``fit.years`` is predicted from every walk extended with steps drawn from its posterior
        step size (:func:`remitest.extrapolate.extend`); its ``extrapolated`` is True.
    """
    frame = ledger.to_frame()
    _check_claims(frame, fit)
    rng = np.random.default_rng(random_seed)
    if _outside(frame, fit).any():  # extend every walk over the claims' years
        span = range(int(frame["ref_start"].min()), int(frame["ref_end"].max()) + 1)
        fit = extend(fit, span, random_seed=rng)
    fitted = list(fit.structure.estimators)
    new = [e for e in dict.fromkeys(frame["estimator"]) if e not in fitted]
    new_types = [frame.loc[frame["estimator"] == e, "estimator_type"].iloc[0] for e in new]
    gaussian, censored = read_claims(frame, fit.config, fit.years, (*fitted, *new))
    claims = _merge_blocks(gaussian, censored, frame["id"].to_numpy(str))
    types = [*fit.structure.estimator_types, *new_types]
    bias = _claim_bias(fit, claims, types, rng)
    post = fit.idata.posterior
    chains, draws = _sample_shape(fit)
    reading_z = None
    if "reading_z" in post:  # absent from runs written before 0.4
        reading_z = post["reading_z"].transpose("chain", "draw", "reading").to_numpy()
        reading_z = reading_z.reshape(chains * draws, -1)
    location = forward.claim_location(
        _host_draws(fit, "workers_host").reshape(chains * draws, len(fit.hosts), -1),
        post["per_worker_usd"].transpose("chain", "draw", "year").to_numpy()
        .reshape(chains * draws, -1),
        claims["window"], claims["scope"], claims["quantity"], bias, reading_z, claims["reading"],
    )
    noise = post["noise_sd"].transpose("chain", "draw", "estimator_type")
    noise = noise.sel(estimator_type=list(ESTIMATOR_TYPES)).to_numpy().reshape(len(bias), -1)
    scale = forward.claim_scale(noise[:, claims["estimator_type"]],
                                fit.config.priors.rounding_sd, claims["spread"])
    return ClaimDistribution(
        ids=claims["ids"],
        value=claims["value"],
        censored=claims["censored"],
        direction=claims["direction"],
        reported=claims["reported"],
        location=location,
        scale=scale,
        outlier_weight=fit.config.priors.claim_outlier_weight,
        outlier_sd=fit.config.priors.claim_outlier_sd,
    )


def predict_claims(
    fit: Fit, ledger: Ledger, *, random_seed: int | np.random.Generator | None = None
) -> pd.DataFrame:
    """Posterior predictive percentile and quantiles of each claim's reported value.

    Each claim is read exactly as the model's likelihood reads it (``remitest.reading``): per draw,
    its predictive log location is ``m = log(scope-summed, window-averaged series) + bias`` and
    its scale ``s = sqrt(noise_sd[type]^2 + rounding_sd^2 + spread^2)`` (spread 0 for censored
    claims). The percentile is the predictive CDF at the observation, averaged over draws:
    ``Phi((value - m) / s)``, where ``value`` is the belief median for gaussian claims (the
    reported value less its fixed offset) and the log bound for censored ones. A censored
    bound's percentile is then drawn uniformly over the side it states (:func:`randomized_pit`,
    with one uniform per claim drawn after the predictive samples). The predictive quantiles come
    from one predictive sample per posterior draw.

    An estimator absent from the fit has no fitted bias: per draw it gets
    ``bias_sd[quantity] * N(0, 1)``, a fresh estimator from the hierarchy with the learned spread
    of biases. With no unbiased source, that spread is centred on zero by the prior: the level of
    every prediction rests on it.

    Parameters
    ----------
    fit : Fit
    ledger : Ledger
        Claims to predict (the fit's own, or others such as held-out claims).
    random_seed : int, numpy.random.Generator or None
        Seeds the predictive samples and the new estimators' biases.

    Returns
    -------
    DataFrame
        Columns ``PREDICTION_COLUMNS``, one row per claim in ledger order: ``read_as``, the
        kind as the likelihood reads it (:func:`remitest.reading.as_read`: a permit count from
        2020 on is ``"lower_bound"``, whatever its ``kind``); ``reported_value``
        (the figure, a range's geometric midpoint, or the bound) and ``pred_q05`` ...
        ``pred_q95`` in base units (persons, US$ per year, US$ per worker-year); ``pit`` in
        [0, 1], near 0 or 1 when the fit finds the claim surprising (:func:`randomized_pit`);
        ``used`` is True only for the originals of ``fit.ledger``.

    Raises
    ------
    ValueError
        For claims whose scope the fit does not model, naming them. A claim outside
        ``fit.years`` is predicted from every walk extended with steps drawn from its posterior
        step size (:func:`remitest.extrapolate.extend`); its ``extrapolated`` is True.
    """
    frame = ledger.to_frame()
    rng = np.random.default_rng(random_seed)
    out = frame.assign(read_as=as_read(frame, fit.config)["kind"].to_numpy(str))[
        list(PREDICTION_COLUMNS[:9])]
    out["ref_start"] = out["ref_start"].astype(np.int64)
    out["ref_end"] = out["ref_end"].astype(np.int64)
    if not len(frame):
        return out.reindex(columns=list(PREDICTION_COLUMNS))
    dist = claim_distribution(fit, ledger, random_seed=rng)  # same stream: new biases first
    # From what the model compares to what is written: a belief median to its figure, and a
    # measure's offset back (0 for a plain censored bound).
    offset = dist.reported - dist.value
    predictive = dist.draw(rng, offset)
    quantiles = np.exp(np.quantile(predictive, _PRED_PROBS, axis=0))
    out["reported_value"] = np.exp(dist.reported)
    out["used"] = out["id"].isin(fit.ledger.originals().to_frame()["id"]).to_numpy(bool)
    cdf = dist.cdf().mean(axis=0)
    out["pit"] = randomized_pit(cdf, dist.direction, rng.random(len(cdf)))  # after the draws
    for i, p in enumerate(_PRED_PROBS):
        out[f"pred_q{round(p * 100):02d}"] = quantiles[i]
    out["extrapolated"] = _outside(frame, fit)
    return out.reset_index(drop=True)


def claims_table(fit: Fit, *, random_seed: int | np.random.Generator | None = None) -> pd.DataFrame:
    """Every claim of ``fit.ledger``, repeats included, with its predictions (``claims.csv``).

    How a claim is *read* into the likelihood's arrays is :mod:`remitest.reading`; this is the
    table of the claims as published, beside what the fit predicts for each.

    Parameters
    ----------
    fit : Fit
    random_seed : int, numpy.random.Generator or None
        Seeds the predictive samples. Default (None): :func:`claims_seed` of the fit, the seed of
        the run folder's ``claims.csv`` and of ``plots.plot_ppc``, so the table is reproducible.

    Returns
    -------
    DataFrame
        ``PREDICTION_COLUMNS`` and ``note``: ``"repeat of <id>: adds no independent evidence"``
        for a repeat (``used`` False), empty for an original.
    """
    seed = claims_seed(fit) if random_seed is None else random_seed
    table = predict_claims(fit, fit.ledger, random_seed=seed)
    repeats = fit.ledger.repeats()
    table["note"] = [
        f"repeat of {repeats[i]}: adds no independent evidence" if i in repeats else ""
        for i in table["id"]
    ]
    return table
