"""Realistic simulated ledgers: the yardstick that the model is judged by, not the model itself.

:func:`synthetic_ledger` draws a ledger the way this field publishes, from a generating process
that is deliberately *not* the model's own (that one is :func:`remitest.simulate.simulate_ledger`):

* **Sources.** About one estimator per three claims; claim counts per estimator follow a
  Zipf-like law (weights 1/rank^0.7: a few prolific sources, many with one claim). Types are
  drawn (government 20%, intergovernmental 10%, research institute 25%, media 30%, anonymous 15%).
* **Disagreement.** Each estimator's log bias per quantity is Student-t (3 degrees of freedom),
  centred on zero, clipped at four scale units, scaled 0.30 for workers, 0.45 for remittances and
  0.30 per worker: heavy tails, so a few sources are off by a factor of three or more. Reporting
  noise (log-sd) by type: government 0.08, intergovernmental 0.10, research 0.10, media 0.20,
  anonymous 0.20.
* **What a figure counts.** A third of remittance estimators report gross earnings, twice the
  state's revenue (``measure = "gross_earnings"``); host governments' worker claims count valid
  work permits at one host (``measure = "permits"``): 85% of the headcount before 2020 and 40%
  from 2020 on, when workers stayed on other visas. 5% of claims are outliers, off by x3 or /3.
* **Hosts that move apart.** Four hosts (China, Russia, the Middle East, the rest of the world)
  walk independently (log step sd 0.08) from 2006. Russia's headcount falls by about 90% over
  2020-2021 while the others hold; China's falls by 30% in 2024; every other host loses ~10% in
  2020. Remittance per worker walks on its own (log step sd 0.06). The world is the sum of its
  hosts.
* **How it is written.** Claims are 60% workers, 35% remittances, 5% per worker; over half of the
  worker claims that are not permit counts lie below world scope. World claims describe a year
  drawn uniformly from 2010-2024; host claims are three times as likely to describe 2018-2023
  (the sanctions and the deadline) as another year. 15% span two or three years; published 0-2
  years after their reference period (up to 2025). Kinds: point 55%, range 25%,
  lower bound 10% (X is the belief over U(1, 1.6)), upper bound 10% (X is the belief times
  U(1.2, 2.5)). Figures are rounded to one or two significant digits, except permit counts. 8% of
  rows repeat an earlier claim of the same estimator in a later document (``derived_from``).

The process is fixed: the yardstick must not move with the model it measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from remitest.config import ModelConfig
from remitest.ledger import ESTIMATOR_TYPES, Ledger

__all__ = ["SyntheticLedger", "synthetic_ledger", "SYNTHETIC_HOSTS"]

SYNTHETIC_HOSTS = ("china", "russia", "middle_east", "rest_of_world")
_FIRST, _LAST = 2006, 2025
_TYPE_P = (0.2, 0.1, 0.25, 0.3, 0.15)
_NOISE = {"government": 0.08, "intergovernmental": 0.10, "research_institute": 0.10,
          "media": 0.20, "anonymous": 0.20}  # fmt: skip
_BIAS_SCALE = {"workers": 0.30, "remittances_usd": 0.45, "per_worker_usd": 0.30}
_START = {"china": 40_000.0, "russia": 20_000.0, "middle_east": 10_000.0, "rest_of_world": 10_000.0}
# Log shocks on top of each host's walk: the step *into* the year.
_SHOCKS = {
    ("russia", 2020): -1.2,
    ("russia", 2021): -1.1,
    ("china", 2024): -0.36,
    **{(h, 2020): -0.1 for h in ("china", "middle_east", "rest_of_world")},
}
_SCOPES = ("china", "russia", "china_russia", "middle_east")
_HOST_YEARS = np.arange(2010, 2025)
_HOST_YEAR_P = np.where((_HOST_YEARS >= 2018) & (_HOST_YEARS <= 2023), 3.0, 1.0)
_HOST_YEAR_P = _HOST_YEAR_P / _HOST_YEAR_P.sum()


@dataclass(frozen=True)
class SyntheticLedger:
    """A realistic simulated ledger, the configuration that covers it, and the truth.

    Attributes
    ----------
    ledger : Ledger
    config : ModelConfig
        The default configuration with the extra host ``middle_east`` (concentration 1).
    truth : dict
        ``"series"``: DataFrame ``year, scope, quantity, value`` (world and each host; workers,
        remittances_usd, per_worker_usd), and ``"claims"``: DataFrame ``id, true_value, bias,
        measure_factor, outlier`` (the truth each claim measures, in base units, before the
        estimator's bias).
    """

    ledger: Ledger
    config: ModelConfig
    truth: dict[str, pd.DataFrame]


def _round(value: float, digits: int) -> float:
    if value <= 0:
        return value
    scale = 10 ** (np.floor(np.log10(value)) - digits + 1)
    return float(np.round(value / scale) * scale)


def claim_row(claim_id: str, document: str, *, quantity: str, kind: str, low: float, high: float,
              qualifier: str, ref_start: int, ref_end: int, published: int, estimator: str,
              estimator_type: str, scope: str, measure: str) -> dict[str, Any]:
    """One simulated ledger row (shared by both simulators), its quote written from its figure."""
    return {
        "id": claim_id, "quantity": quantity, "kind": kind, "low": low, "high": high,
        "coverage": np.nan, "qualifier": qualifier, "ref_start": ref_start, "ref_end": ref_end,
        "published": str(published), "document_date": str(published), "estimator": estimator,
        "estimator_type": estimator_type, "scope": scope, "document": document,
        "quote": f"{qualifier} {low if np.isfinite(low) else high:,.0f}".strip(),
        "outlet": "", "title": "", "derived_from": "", "notes": "simulated", "measure": measure,
    }  # fmt: skip


def truth_series(years: np.ndarray, hosts: dict[str, np.ndarray], per_worker: np.ndarray
                 ) -> pd.DataFrame:
    """The true series as a frame ``year, scope, quantity, value``.

    The world (the sum of the hosts) and each host, for workers, remittances (workers x per
    worker) and remittance per worker.
    """
    series = []
    for scope, w in (("world", sum(hosts.values())), *hosts.items()):
        for quantity, values in (("workers", w), ("remittances_usd", w * per_worker),
                                 ("per_worker_usd", per_worker)):  # fmt: skip
            series.append(pd.DataFrame({"year": years, "scope": scope, "quantity": quantity,
                                        "value": values}))  # fmt: skip
    return pd.concat(series, ignore_index=True)


def _truth_series(rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    years = np.arange(_FIRST, _LAST + 1)
    level = rng.lognormal(0.0, 0.3)
    hosts = {}
    for h in SYNTHETIC_HOSTS:
        steps = rng.normal(0.0, 0.08, len(years) - 1)
        steps += np.array([_SHOCKS.get((h, int(y)), 0.0) for y in years[1:]])
        hosts[h] = _START[h] * level * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))
    per_worker = 4_000.0 * rng.lognormal(0.0, 0.2) * np.exp(
        np.concatenate([[0.0], np.cumsum(rng.normal(0.0, 0.06, len(years) - 1))])
    )
    return years, hosts, per_worker


def synthetic_ledger(n_claims: int = 60, *, random_seed: Any = None) -> SyntheticLedger:
    """Draw a realistic ledger of about ``n_claims`` rows with known truth (see module docs).

    Parameters
    ----------
    n_claims : int
        Number of rows, repeats included (at least 8).
    random_seed : int, numpy.random.Generator or None

    Returns
    -------
    SyntheticLedger

    Examples
    --------
    >>> sim = synthetic_ledger(60, random_seed=1)
    >>> len(sim.ledger)
    60
    """
    if n_claims < 8:
        raise ValueError(f"n_claims = {n_claims!r}: must be at least 8")
    rng = np.random.default_rng(random_seed)
    years, hosts, per_worker = _truth_series(rng)
    groups = {"world": SYNTHETIC_HOSTS, "china_russia": ("china", "russia"),
              **{h: (h,) for h in SYNTHETIC_HOSTS}}  # fmt: skip

    n_repeats = int(round(0.08 * n_claims))
    n_orig = n_claims - n_repeats
    n_est = max(4, n_orig // 3)
    types = rng.choice(ESTIMATOR_TYPES, size=n_est, p=_TYPE_P)
    names = [f"Source {i + 1:02d} ({t.replace('_', ' ')})" for i, t in enumerate(types)]
    # Clipped at 4 scale units (x6 for remittances): heavy tails, not absurd figures.
    bias = {q: s * np.clip(rng.standard_t(3, size=n_est), -4, 4) for q, s in _BIAS_SCALE.items()}
    gross = rng.random(n_est) < 1 / 3
    # Each estimator at least one claim; the rest Zipf-like.
    weights = 1.0 / np.arange(1, n_est + 1) ** 0.7
    est_of = np.concatenate(
        [np.arange(n_est), rng.choice(n_est, size=n_orig - n_est, p=weights / weights.sum())]
    )
    rng.shuffle(est_of)

    rows, truths = [], []
    for i, e in enumerate(est_of):
        etype = types[e]
        quantity = rng.choice(["workers", "remittances_usd", "per_worker_usd"], p=[0.6, 0.35, 0.05])
        host_gov = etype == "government" and quantity == "workers" and rng.random() < 0.5
        if host_gov:
            scope = str(rng.choice(["china", "russia", "middle_east"], p=[0.4, 0.4, 0.2]))
        elif quantity == "workers" and rng.random() < 0.55:
            scope = str(rng.choice(_SCOPES, p=[0.3, 0.35, 0.15, 0.2]))
        else:
            scope = "world"
        if scope == "world":
            ref_start = int(rng.integers(2010, 2025))
        else:  # host figures are reported most around the sanctions and the deadline
            ref_start = int(rng.choice(_HOST_YEARS, p=_HOST_YEAR_P))
        span = int(rng.choice([1, 2, 3], p=[0.85, 0.1, 0.05]))
        ref_end = min(ref_start + span - 1, _LAST)
        published = min(ref_end + int(rng.choice([0, 1, 2], p=[0.5, 0.35, 0.15])), _LAST)
        window = (years >= ref_start) & (years <= ref_end)
        in_scope = groups[scope]
        workers = sum(hosts[h] for h in in_scope)
        if quantity == "workers":
            true = float(workers[window].mean())
        elif quantity == "remittances_usd":
            true = float((workers * per_worker)[window].mean())
        else:
            true = float(per_worker[window].mean())
        measure, factor = "headcount" if quantity == "workers" else "", 1.0
        if quantity == "workers" and host_gov and scope in SYNTHETIC_HOSTS:
            measure = "permits"
            factor = 0.85 if ref_end < 2020 else 0.4
        elif quantity == "remittances_usd":
            measure = "gross_earnings" if gross[e] else "state_revenue"
            factor = 2.0 if gross[e] else 1.0
        outlier = rng.random() < 0.05
        log_belief = (
            np.log(true * factor)
            + bias[quantity][e]
            + rng.normal(0.0, _NOISE[etype])
            + (np.log(3.0) * rng.choice([-1, 1]) if outlier else 0.0)
        )
        belief = float(np.exp(log_belief))
        digits = 2 if etype in ("government", "intergovernmental", "research_institute") else 1
        kind = str(rng.choice(["point", "range", "lower_bound", "upper_bound"],
                              p=[0.55, 0.25, 0.1, 0.1]))  # fmt: skip
        if measure == "permits":
            kind, low, high, qualifier = "point", round(belief, -1), round(belief, -1), ""
        elif kind == "point":
            low = high = _round(belief, digits)
            qualifier = "about" if digits == 1 else ""
        elif kind == "range":
            half = rng.uniform(0.1, 0.4)
            low = _round(belief * np.exp(-half), digits)
            high = _round(belief * np.exp(half), digits)
            if high <= low:
                low, high = _round(belief * np.exp(-half), 3), _round(belief * np.exp(half), 3)
            qualifier = "between"
        elif kind == "lower_bound":
            low, high, qualifier = _round(belief / rng.uniform(1.0, 1.6), 1), np.nan, "more than"
        else:
            low, high, qualifier = np.nan, _round(belief * rng.uniform(1.2, 2.5), 1), "as high as"
        claim_id = f"syn-{i + 1:03d}"
        rows.append(claim_row(
            claim_id, f"synthetic-{e + 1:02d}-{published}.txt", quantity=quantity, kind=kind,
            low=low, high=high, qualifier=qualifier, ref_start=ref_start, ref_end=ref_end,
            published=published, estimator=names[e], estimator_type=etype, scope=scope,
            measure=measure,
        ))  # fmt: skip
        truths.append({"id": claim_id, "true_value": true, "bias": float(bias[quantity][e]),
                       "measure_factor": factor, "outlier": bool(outlier)})  # fmt: skip

    for j in range(n_repeats):
        source = rows[int(rng.integers(len(rows)))]
        while source["derived_from"]:
            source = rows[int(rng.integers(len(rows)))]
        later = min(int(source["published"]) + int(rng.integers(1, 4)), _LAST)
        repeat = {**source, "id": f"syn-r{j + 1:02d}", "derived_from": source["id"],
                  "published": str(later), "document_date": str(later),
                  "document": f"synthetic-repeat-{j + 1:02d}.txt"}  # fmt: skip
        rows.append(repeat)
        truths.append({**next(t for t in truths if t["id"] == source["id"]), "id": repeat["id"]})

    frame = pd.DataFrame(rows)
    ledger = Ledger.from_frame(frame, hosts=["middle_east"])
    config = ModelConfig().replace(
        hosts=list(SYNTHETIC_HOSTS),
        priors={"host_share_concentration": {"china": 5.0, "russia": 3.5, "middle_east": 1.0,
                                             "rest_of_world": 1.5}},  # fmt: skip
    )
    truth = {"series": truth_series(years, hosts, per_worker), "claims": pd.DataFrame(truths)}
    return SyntheticLedger(ledger=ledger, config=config, truth=truth)
