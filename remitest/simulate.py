"""Simulated ledgers drawn from the model's own generative process, with known truths.

The truths (series, shares, biases, noise) are drawn from the prior; every claim of a template
ledger keeps its kind, quantity, estimator, scope and reference years, and gets a new figure drawn
from the likelihood that the model uses to read it. The same simulator feeds parameter recovery
and simulation-based calibration.

Realistic ledgers from a process that is *not* the model's own (the yardstick of
:func:`remitest.checks.cross_validate`) are :func:`synthetic_ledger`, in
:mod:`remitest.synthetic`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from remitest import kernel
from remitest.config import ModelConfig
from remitest.ledger import Ledger
from remitest.model import _step_scale, blocks_data, claim_blocks, model_structure
from remitest.synthetic import SyntheticLedger, synthetic_ledger

__all__ = [
    "SimulatedLedger", "simulate_ledger", "draw_prior", "SyntheticLedger", "synthetic_ledger"
]


@dataclass(frozen=True)
class SimulatedLedger:
    """A simulated ledger and the truth that generated it.

    Attributes
    ----------
    ledger : Ledger
        Original claims of the template with new figures (repeats are left out: they add no
        evidence).
    truth : dict of str to ndarray
        Every posterior variable's true value (same names as ``Fit.idata.posterior``).
    dropped : tuple of str
        Censored claims whose simulated belief fell on the wrong side of their bound and whose
        opposite kind the configuration does not read as censored (see :func:`simulate_ledger`).
    """

    ledger: Ledger
    truth: dict[str, np.ndarray]
    dropped: tuple[str, ...] = ()


def draw_prior(layout: kernel.Layout, config: ModelConfig, rng: np.random.Generator) -> np.ndarray:
    """One draw of the unconstrained parameter vector from the prior."""
    p = config.priors
    sl = layout.slices()
    x = rng.standard_normal(layout.n_dim)  # every z, and the bias z's
    x[sl["log_workers_pinned"]] = rng.normal(np.log(p.workers_median), p.workers_log_sd)
    x[sl["log_per_worker_pinned"]] = rng.normal(
        np.log(p.per_worker_median_usd), p.per_worker_log_sd
    )
    x[sl["workers_step_sd_log__"]] = rng.normal(np.log(p.workers_step_sd), p.step_sd_log_sd)
    x[sl["per_worker_step_sd_log__"]] = rng.normal(np.log(p.per_worker_step_sd), p.step_sd_log_sd)
    hosts = list(config.hosts)
    x[sl["host_weight_log__"]] = np.log(rng.gamma([p.host_share_concentration[h] for h in hosts]))
    x[sl["bias_sd_log__"]] = rng.normal(np.log(p.bias_sd_median), p.bias_sd_log_sd, size=3)
    x[sl["noise_sd_log__"]] = rng.normal(
        np.log(p.noise_median), p.noise_log_sd, size=layout.n_types
    )
    return x


def simulate_ledger(
    template: Ledger, config: ModelConfig | None = None, *, random_seed: Any = None
) -> SimulatedLedger:
    """Draw a ledger like ``template`` from the model, with truths drawn from the prior.

    Parameters
    ----------
    template : Ledger
        Supplies the claims' kinds, quantities, estimators, scopes and years (originals only).
    config : ModelConfig, optional
    random_seed : int, numpy.random.Generator or None

    Returns
    -------
    SimulatedLedger

    Notes
    -----
    Gaussian-block claims (points, ranges, bounds read as interval ends) get a belief median
    drawn from their likelihood; a range keeps its template log-width, a bound its offset
    ``bound_ratio`` from the median. A censored bound states only which side of a fixed figure
    the belief lies: the belief is drawn, and when it falls on the other side the claim becomes the
    opposite bound at the same figure -- exact when the configuration reads that kind as censored
    too; otherwise the claim is dropped and listed in ``dropped``.
    """
    config = config or ModelConfig()
    rng = np.random.default_rng(random_seed)
    originals = template.originals()
    structure = model_structure(originals, config)
    layout = kernel.layout_for(structure, config)
    gaussian, censored = claim_blocks(originals, structure, config)
    kdata = kernel.kernel_data(
        blocks_data(gaussian, censored, structure), structure, config,
        _step_scale(structure, config),
    )
    x = draw_prior(layout, config, rng)
    truth = kernel.expand_draws(x, layout, kdata)
    frame = originals.to_frame().set_index("id")
    interp = config.interpretation
    shift = np.log(interp.bound_ratio)
    dropped = []
    for block, claims in (("gaussian", gaussian), ("censored", censored)):
        if not len(claims):
            continue
        loc, scale = _claim_distribution(claims, truth, config)
        belief = rng.normal(loc, scale)
        for i, claim_id in enumerate(claims.ids):
            row = frame.loc[claim_id]
            kind = row["kind"]
            if block == "censored":
                holds = (belief[i] > claims.value[i]) == (claims.direction[i] > 0)
                if holds:
                    continue
                flipped = "upper_bound" if kind == "lower_bound" else "lower_bound"
                if getattr(interp, flipped) != "censored":
                    dropped.append(claim_id)
                    continue
                figure = row["low"] if kind == "lower_bound" else row["high"]
                low, high = (np.nan, figure) if flipped == "upper_bound" else (figure, np.nan)
                frame.loc[claim_id, ["kind", "low", "high"]] = [flipped, low, high]
                continue
            median = belief[i]
            if kind == "point":
                low = high = np.exp(median)
            elif kind == "range":
                half = (np.log(row["high"]) - np.log(row["low"])) / 2
                low, high = np.exp(median - half), np.exp(median + half)
            elif kind == "upper_bound":
                low, high = np.nan, np.exp(median + shift)
            else:
                low, high = np.exp(median - shift), np.nan
            frame.loc[claim_id, ["low", "high"]] = [low, high]
    frame = frame.drop(index=dropped).reset_index()
    ledger = Ledger.from_frame(_as_text_dates(frame), hosts=list(template.hosts))
    return SimulatedLedger(ledger=ledger, truth=truth, dropped=tuple(dropped))


def _claim_distribution(
    claims, truth: dict[str, np.ndarray], config: ModelConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Location and scale of each claim's belief median (log scale), as the model reads it."""
    series = np.stack(
        [
            truth["workers_host"],
            truth["remittances_usd_host"],
            np.broadcast_to(truth["per_worker_usd"], truth["workers_host"].shape),
        ]
    )
    by_quantity = np.einsum("ny,qhy->nqh", claims.window, series)
    measured = np.einsum("nqh,nh->nq", by_quantity, claims.scope)[
        np.arange(len(claims)), claims.quantity
    ]
    loc = np.log(measured) + truth["estimator_bias"][claims.estimator, claims.quantity]
    scale = np.sqrt(
        truth["noise_sd"][claims.estimator_type] ** 2
        + config.priors.rounding_sd**2
        + claims.spread**2
    )
    return loc, scale


def _as_text_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates back to the text a ledger file holds (the year is all a simulation needs)."""
    out = frame.copy()
    for column in ("published", "document_date"):
        if column in out:
            out[column] = [("" if pd.isna(v) else str(pd.Timestamp(v).year)) for v in out[column]]
    return out
