"""A second simulated ledger, written from how the field publishes rather than from the model.

:func:`field_ledger` is the truth yardstick's second simulator (the first is
:func:`remitest.synthetic_ledger`). It departs from the model's assumptions in the ways the
published record does, and each departure can be switched off (``departures=``), so that a study
can say what each one costs:

``"truth_shape"``
    The truth is not a random walk: steady growth to 2017 (3-8% a year), a fall of 20-40% in a
    year that no configured event names (2014, 2015 or 2016), a recovery over the next three
    years, the deadline's fall (every host: China 10-40%, Russia 60-90% over 2020-21, the rest
    20-50%), and growth again from 2023 (Russia fastest). Remittance per worker drifts smoothly.
    Off: each host walks with log steps of sd 0.08, with no shock.
``"field_shift"``
    One log shift per ledger, shared by every claim of a quantity (sd 0.15): the whole field
    over- or under-counts together. No ledger can see it; it says what the prior on the level
    costs.
``"type_bias"``
    A log bias per estimator type and quantity (sd 0.15), shared by every source of that type.
``"derived_money"``
    Two in five of the sources that give both a count and a money figure derive the money from
    their own count times an assumed rate (US$3,000, 5,000 or 8,000 a head), not from the truth.
``"unflagged_repeats"``
    15% of rows restate an earlier figure in a later document; two in three carry no
    ``derived_from``, and half of those are restated as if current (reference year = the year of
    the restatement).
``"loose_hedges"``
    "More than X" puts X at the belief over 1.5-3 (not 1-1.6); "as high as X" at the belief
    times 1.1-3; ranges sit off-centre (their log-midpoint moves by up to 60% of the half-width).
``"measure_offsets"``
    The true offsets sit away from the configured priors: gross earnings are 2.5x the state's
    revenue (prior 1.4), permits count 70% of heads before 2020 (prior 0.9) and 25% after.
    Off: the configured medians.

Always on, as in the record: sources are named by type, claim counts follow a Zipf-like law,
biases are Student-t (3 d.f.) per estimator and quantity, and noise depends on the type. The model
is given the default configuration (hosts ``china``, ``russia``, ``rest_of_world``), not the truth's
structure. Default: every departure on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from remitest.config import ModelConfig
from remitest.ledger import ESTIMATOR_TYPES, Ledger
from remitest.simulate.synthetic import SyntheticLedger, _round, claim_row, truth_series

__all__ = ["field_ledger", "DEPARTURES", "FIELD_HOSTS"]

DEPARTURES = ("truth_shape", "field_shift", "type_bias", "derived_money", "unflagged_repeats",
              "loose_hedges", "measure_offsets")  # fmt: skip
FIELD_HOSTS = ("china", "russia", "rest_of_world")
_FIRST, _LAST = 2008, 2025
_YEARS = np.arange(_FIRST, _LAST + 1)
_START = {"china": 30_000.0, "russia": 15_000.0, "rest_of_world": 10_000.0}
_TYPE_P = (0.25, 0.1, 0.25, 0.25, 0.15)
_NOISE = {"government": 0.08, "intergovernmental": 0.10, "research_institute": 0.12,
          "media": 0.20, "anonymous": 0.25}  # fmt: skip
_BIAS_SCALE = {"workers": 0.25, "remittances_usd": 0.35, "per_worker_usd": 0.3}
_SCOPES = ("world", "china", "russia", "china_russia")
_GROUPS = {"world": FIELD_HOSTS, "china_russia": ("china", "russia"),
           **{h: (h,) for h in FIELD_HOSTS}}  # fmt: skip
_RATES = (3_000.0, 5_000.0, 8_000.0)


def _check_departures(departures: Iterable[str] | None) -> frozenset[str]:
    chosen = frozenset(DEPARTURES if departures is None else departures)
    unknown = sorted(chosen - set(DEPARTURES))
    if unknown:
        raise ValueError(f"departures = {unknown!r}: unknown; valid are {', '.join(DEPARTURES)}")
    return chosen


def _shaped_log_path(rng: np.random.Generator, growth: float, deadline_fall: float,
                     regrowth: float, dip_year: int, dip: float) -> np.ndarray:
    """Growth, an unannounced dip with recovery, the deadline's fall over 2020-21, regrowth."""
    steps = np.full(len(_YEARS) - 1, growth)  # step into _YEARS[1:]
    into = _YEARS[1:]
    steps[into == dip_year] -= dip
    for k in (1, 2, 3):
        steps[into == dip_year + k] += dip / 3
    steps[(into >= 2018) & (into <= 2019)] = 0.0
    steps[into == 2020] = 0.6 * deadline_fall
    steps[into == 2021] = 0.4 * deadline_fall
    steps[into == 2022] = 0.0
    steps[into >= 2023] = regrowth
    steps += rng.normal(0.0, 0.02, len(steps))
    return np.concatenate([[0.0], np.cumsum(steps)])


def _truth(rng: np.random.Generator, shaped: bool) -> tuple[dict[str, np.ndarray], np.ndarray]:
    level = rng.lognormal(0.0, 0.3)
    hosts = {}
    if shaped:
        dip_year = int(rng.choice([2014, 2015, 2016]))
        falls = {"china": rng.uniform(0.1, 0.4), "russia": rng.uniform(0.6, 0.9),
                 "rest_of_world": rng.uniform(0.2, 0.5)}  # fmt: skip
        regrowth = {"china": rng.uniform(0.0, 0.1), "russia": rng.uniform(0.1, 0.3),
                    "rest_of_world": rng.uniform(-0.05, 0.05)}  # fmt: skip
        for h in FIELD_HOSTS:
            path = _shaped_log_path(rng, rng.uniform(0.03, 0.08), np.log1p(-falls[h]),
                                    regrowth[h], dip_year, -np.log1p(-rng.uniform(0.2, 0.4)))
            hosts[h] = _START[h] * level * np.exp(path)
        trend = rng.uniform(-0.03, 0.04)
        per_worker = 4_500.0 * rng.lognormal(0.0, 0.2) * np.exp(
            trend * (_YEARS - _FIRST) + 0.1 * np.sin((_YEARS - _FIRST) / rng.uniform(2.0, 5.0)))
    else:
        for h in FIELD_HOSTS:
            steps = rng.normal(0.0, 0.08, len(_YEARS) - 1)
            hosts[h] = _START[h] * level * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))
        per_worker = 4_500.0 * rng.lognormal(0.0, 0.2) * np.exp(
            np.concatenate([[0.0], np.cumsum(rng.normal(0.0, 0.06, len(_YEARS) - 1))]))
    return hosts, per_worker


def _written(rng: np.random.Generator, belief: float, digits: int, loose: bool
             ) -> tuple[str, float, float, str]:
    """How a belief is published: (kind, low, high, qualifier)."""
    kind = str(rng.choice(["point", "range", "lower_bound", "upper_bound"],
                          p=[0.5, 0.25, 0.1, 0.15]))  # fmt: skip
    if kind == "point":
        value = _round(belief, digits)
        return kind, value, value, "about" if digits == 1 else ""
    if kind == "range":
        half = rng.uniform(0.15, 0.5)
        centre = np.log(belief) + (rng.uniform(-0.6, 0.6) * half if loose else 0.0)
        low, high = _round(np.exp(centre - half), 2), _round(np.exp(centre + half), 2)
        if high <= low:
            high = low * 1.1
        return kind, low, high, "between"
    if kind == "lower_bound":
        divisor = rng.uniform(1.5, 3.0) if loose else rng.uniform(1.0, 1.6)
        return kind, _round(belief / divisor, 1), np.nan, "more than"
    factor = rng.uniform(1.1, 3.0) if loose else rng.uniform(1.2, 2.5)
    return kind, np.nan, _round(belief * factor, 1), "as high as"


def field_ledger(
    n_claims: int = 60, *, random_seed: Any = None, departures: Iterable[str] | None = None
) -> SyntheticLedger:
    """Draw a ledger of about ``n_claims`` rows as the field publishes (see module docs).

    Parameters
    ----------
    n_claims : int
        Number of rows, repeats included (at least 10).
    random_seed : int, numpy.random.Generator or None
    departures : iterable of str, optional
        Which departures from the model's assumptions to simulate (``DEPARTURES``); None: all.
        ``departures=()`` gives a ledger close to the model's own assumptions.

    Returns
    -------
    SyntheticLedger
        ``.config`` is the default ``ModelConfig()`` (the model is not told the truth's
        structure); ``.truth["series"]`` holds ``year, scope, quantity, value`` for the world and
        each host; ``.truth["claims"]`` each claim's ``true_value`` (before bias), ``bias`` (the
        estimator's own log bias), ``shared`` (the field's and the type's log shift),
        ``measure_factor``, ``derived`` (money derived from the source's own count) and
        ``unflagged`` (a repeat with no ``derived_from``).

    Examples
    --------
    >>> sim = field_ledger(60, random_seed=1000)
    >>> len(sim.ledger)
    60
    """
    if n_claims < 10:
        raise ValueError(f"n_claims = {n_claims!r}: must be at least 10")
    on = _check_departures(departures)
    rng = np.random.default_rng(random_seed)
    hosts, per_worker = _truth(rng, "truth_shape" in on)
    n_repeats = int(round(0.15 * n_claims)) if "unflagged_repeats" in on else int(
        round(0.08 * n_claims))
    n_orig = n_claims - n_repeats
    n_est = max(5, n_orig // 3)
    types = rng.choice(ESTIMATOR_TYPES, size=n_est, p=_TYPE_P)
    names = [f"Source {i + 1:02d}" for i in range(n_est)]
    bias = {q: s * np.clip(rng.standard_t(3, size=n_est), -4, 4) for q, s in _BIAS_SCALE.items()}
    shift = {q: (rng.normal(0.0, 0.15) if "field_shift" in on else 0.0) for q in _BIAS_SCALE}
    type_bias = {(t, q): (rng.normal(0.0, 0.15) if "type_bias" in on else 0.0)
                 for t in ESTIMATOR_TYPES for q in _BIAS_SCALE}  # fmt: skip
    derives = (rng.random(n_est) < 0.4) & ("derived_money" in on)
    rate = rng.choice(_RATES, size=n_est)
    gross = rng.random(n_est) < 0.3
    if "measure_offsets" in on:
        factors = {"gross": 2.5, "permits_before": 0.7, "permits_after": 0.25}
    else:
        factors = {"gross": 1.4, "permits_before": 0.9, "permits_after": 0.9}
    weights = 1.0 / np.arange(1, n_est + 1) ** 0.7
    est_of = np.concatenate(
        [np.arange(n_est), rng.choice(n_est, size=n_orig - n_est, p=weights / weights.sum())])
    rng.shuffle(est_of)

    rows: list[dict[str, Any]] = []
    truths: list[dict[str, Any]] = []
    count_of: dict[tuple[int, str, int], float] = {}  # (estimator, scope, year) -> its count
    for i, e in enumerate(est_of):
        etype = str(types[e])
        quantity = str(rng.choice(["workers", "remittances_usd", "per_worker_usd"],
                                  p=[0.6, 0.34, 0.06]))  # fmt: skip
        permits = etype == "government" and quantity == "workers" and rng.random() < 0.4
        if permits:
            scope = str(rng.choice(["china", "russia"], p=[0.3, 0.7]))
        elif quantity == "workers":
            scope = str(rng.choice(_SCOPES, p=[0.55, 0.15, 0.2, 0.1]))
        else:
            scope = "world"
        ref_start = int(rng.integers(2010, 2025))
        span = int(rng.choice([1, 2, 3], p=[0.85, 0.1, 0.05]))
        ref_end = min(ref_start + span - 1, _LAST)
        published = min(ref_end + int(rng.choice([0, 1, 2], p=[0.5, 0.35, 0.15])), _LAST)
        window = (_YEARS >= ref_start) & (_YEARS <= ref_end)
        workers = sum(hosts[h] for h in _GROUPS[scope])
        true = float({"workers": workers, "remittances_usd": workers * per_worker,
                      "per_worker_usd": per_worker}[quantity][window].mean())  # fmt: skip
        measure, factor = ("headcount" if quantity == "workers" else ""), 1.0
        if permits:
            measure = "permits"
            factor = factors["permits_before"] if ref_end < 2020 else factors["permits_after"]
        elif quantity == "remittances_usd":
            measure = "gross_earnings" if gross[e] else "state_revenue"
            factor = factors["gross"] if gross[e] else 1.0
        shared = shift[quantity] + type_bias[(etype, quantity)]
        log_belief = (np.log(true * factor) + bias[quantity][e] + shared
                      + rng.normal(0.0, _NOISE[etype]))  # fmt: skip
        derived = False
        if quantity == "remittances_usd" and derives[e] and not gross[e]:
            own = count_of.get((int(e), scope, ref_start))
            if own is None:  # the source's own count of that year, as it would have put it
                own = float(np.exp(np.log(float(workers[window].mean())) + bias["workers"][e]
                                   + shift["workers"] + type_bias[(etype, "workers")]))
            log_belief, derived = np.log(own * rate[e]), True
        belief = float(np.exp(log_belief))
        if quantity == "workers" and measure == "headcount":
            count_of[(int(e), scope, ref_start)] = belief
        digits = 2 if etype in ("government", "intergovernmental", "research_institute") else 1
        if permits:
            kind, low, high, qualifier = "point", round(belief, -1), round(belief, -1), ""
        else:
            kind, low, high, qualifier = _written(rng, belief, digits, "loose_hedges" in on)
        claim_id = f"fld-{i + 1:03d}"
        rows.append(claim_row(
            claim_id, f"field-{e + 1:02d}-{published}.txt", quantity=quantity, kind=kind,
            low=low, high=high, qualifier=qualifier, ref_start=ref_start, ref_end=ref_end,
            published=published, estimator=names[e], estimator_type=etype, scope=scope,
            measure=measure,
        ))  # fmt: skip
        truths.append({"id": claim_id, "true_value": true, "bias": float(bias[quantity][e]),
                       "shared": float(shared), "measure_factor": factor, "derived": derived,
                       "unflagged": False})  # fmt: skip

    flagged_share = 1 / 3 if "unflagged_repeats" in on else 1.0
    for j in range(n_repeats):
        k = int(rng.integers(n_orig))
        source = rows[k]
        later = min(int(source["published"]) + int(rng.integers(1, 5)), _LAST)
        flagged = rng.random() < flagged_share
        as_current = not flagged and rng.random() < 0.5
        outlet = int(rng.integers(n_est))
        repeat = {**source, "id": f"fld-r{j + 1:02d}",
                  "derived_from": source["id"] if flagged else "",
                  "published": str(later), "document_date": str(later),
                  "document": f"field-repeat-{j + 1:02d}.txt"}  # fmt: skip
        if not flagged:  # the outlet repeats the figure as its own
            repeat.update(estimator=names[outlet], estimator_type=str(types[outlet]))
        if as_current:
            repeat.update(ref_start=later, ref_end=later)
        rows.append(repeat)
        truths.append({**truths[k], "id": repeat["id"], "unflagged": not flagged})

    ledger = Ledger.from_frame(pd.DataFrame(rows))
    truth = {"series": truth_series(_YEARS, hosts, per_worker), "claims": pd.DataFrame(truths)}
    return SyntheticLedger(ledger=ledger, config=ModelConfig(), truth=truth)
