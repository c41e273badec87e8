"""Simulated ledgers drawn from the model's own generative process, with known truths.

The truths (series, shares, biases, noise) are drawn from the PyMC model's prior; every claim of
a template ledger keeps its quantity, estimator, scope and reference years, and gets a new figure
drawn from the likelihood that the model uses to read it. The same simulator feeds parameter
recovery and simulation-based calibration.

Realistic ledgers from a process that is *not* the model's own (the yardstick of
:func:`remitest.checks.cross_validate`) are :func:`synthetic_ledger`, in
:mod:`remitest.simulate.synthetic`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
from pymc.logprob.transforms import LogOddsTransform, LogTransform

from remitest import forward, kernel
from remitest.config import ModelConfig
from remitest.ledger import Ledger
from remitest.model import build_model
from remitest.reading import _measures
from remitest.simulate.synthetic import SyntheticLedger, synthetic_ledger
from remitest.structure import _step_scale, blocks_data, claim_blocks, model_structure

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
    """

    ledger: Ledger
    truth: dict[str, np.ndarray]


def draw_prior(
    model: pm.Model,
    layout: kernel.Layout,
    rng: np.random.Generator,
    *,
    draws: int | None = None,
) -> np.ndarray:
    """Draws of the unconstrained parameter vector from the prior of a PyMC model.

    Every free variable of ``model`` (:func:`remitest.model.build_model`) is drawn with
    ``pm.draw`` and mapped to its value variable's space by the model's own transform (log for
    the positive ones: step sizes, host weights, bias and noise sds; logodds for the biases'
    correlation), then laid out in the
    kernel's order (:data:`remitest.kernel.VALUE_VARS`). The priors are thus read from the model
    itself, not written out a third time.

    Parameters
    ----------
    model : pymc.Model
    layout : kernel.Layout
        The kernel layout of the model's structure.
    rng : numpy.random.Generator
        Seeds ``pm.draw``.
    draws : int, optional
        Number of draws; None for one draw without a leading axis.

    Returns
    -------
    ndarray, shape (layout.n_dim,) or (draws, layout.n_dim)
    """
    n = 1 if draws is None else draws
    rvs = model.free_RVs
    values = pm.draw(rvs, draws=n, random_seed=int(rng.integers(2**31)))
    by_name = {}
    for rv, value in zip(rvs, values, strict=True):
        transform = model.rvs_to_transforms.get(rv)
        if transform is None:
            value = np.asarray(value, float)
        elif isinstance(transform, LogTransform):
            value = np.log(value)
        elif isinstance(transform, LogOddsTransform):
            value = np.log(value) - np.log1p(-value)
        else:
            raise NotImplementedError(f"{rv.name}: no numpy form of the transform {transform}")
        by_name[model.rvs_to_values[rv].name] = value.reshape(n, -1)
    shapes = layout.shapes()
    if set(by_name) != set(shapes):
        raise ValueError(
            f"the model's value variables {sorted(by_name)} do not match the kernel layout "
            f"{sorted(shapes)}"
        )
    x = np.concatenate([by_name[name] for name in shapes], axis=1)
    if x.shape[1] != layout.n_dim:
        raise ValueError(f"prior draws have {x.shape[1]} values, the layout {layout.n_dim}")
    return x[0] if draws is None else x


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
    The truth is one :func:`draw_prior` of the PyMC model of the template. Gaussian-block claims
    (points, ranges, bounds read as interval ends) get a belief median drawn from their
    likelihood; a range keeps its template log-width, a bound its offset ``bound_ratio`` from the
    median. A censored bound states only which side of a fixed figure the belief lies: the belief
    is drawn, and when it falls on the other side the claim becomes the opposite bound at the
    same figure with its own ``reading = "censored"``, whatever the configured default for that
    kind. Every original claim is kept, so nothing depends on the truth but the figures.
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
    x = draw_prior(build_model(originals, config, structure=structure), layout, rng)
    truth = kernel.expand_draws(x, layout, kdata)
    frame = originals.to_frame().set_index("id")
    had_reading = "reading" in frame
    if not had_reading:
        frame["reading"] = pd.Series(np.nan, index=frame.index, dtype=object)
    shift = np.log(config.interpretation.bound_ratio)
    for block, claims in (("gaussian", gaussian), ("censored", censored)):
        if not len(claims):
            continue
        loc, scale = _claim_distribution(claims, truth, config)
        belief = forward.claim_draw(loc, scale, rng,
                                    outlier_weight=config.priors.claim_outlier_weight,
                                    outlier_sd=config.priors.claim_outlier_sd)
        # A figure of a non-reference measure is written on its own scale: the model reads it
        # back by its offset (claims._measures), so the simulator writes the offset in.
        rows = frame.loc[list(claims.ids)].reset_index()
        offset, _, _ = _measures(rows, rows["quantity"].to_numpy(str), config)
        for i, claim_id in enumerate(claims.ids):
            row = frame.loc[claim_id]
            kind = row["kind"]
            if block == "censored":
                if (belief[i] > claims.value[i]) == (claims.direction[i] > 0):
                    continue
                if kind not in ("lower_bound", "upper_bound"):
                    raise NotImplementedError(
                        f"claim {claim_id!r}: a {kind} read as a bound through its measure "
                        "cannot be simulated exactly (its reading cannot be flipped)"
                    )
                flipped = "upper_bound" if kind == "lower_bound" else "lower_bound"
                figure = row["low"] if kind == "lower_bound" else row["high"]
                low, high = (np.nan, figure) if flipped == "upper_bound" else (figure, np.nan)
                frame.loc[claim_id, ["kind", "low", "high", "reading"]] = [
                    flipped, low, high, "censored"
                ]
                continue
            median = belief[i] + offset[i]
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
    if not had_reading and frame["reading"].isna().all():
        frame = frame.drop(columns="reading")
    ledger = Ledger.from_frame(
        _as_text_dates(frame.reset_index()), hosts=list(template.hosts),
        measures=template.measures,
    )
    return SimulatedLedger(ledger=ledger, truth=truth)


def _claim_distribution(
    claims, truth: dict[str, np.ndarray], config: ModelConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Location and scale of each claim's belief median (log scale), as the model reads it."""
    loc = forward.claim_location(
        truth["workers_host"], truth["per_worker_usd"], claims.window, claims.scope,
        claims.quantity, truth["estimator_bias"][claims.estimator, claims.quantity],
        truth["reading_z"], claims.reading,
    )
    scale = forward.claim_scale(truth["noise_sd"][claims.estimator_type],
                                config.priors.rounding_sd, claims.spread)
    return loc, scale


def _as_text_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates back to the text a ledger file holds (the year is all a simulation needs)."""
    out = frame.copy()
    for column in ("published", "document_date"):
        if column in out:
            out[column] = [("" if pd.isna(v) else str(pd.Timestamp(v).year)) for v in out[column]]
    return out
