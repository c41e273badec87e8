"""Large ledgers for figure and command-line tests, drawn with the existing simulator.

A stand-in for ``remitest.simulate.synthetic_ledger`` until it exists: a random template of
claims (estimators of every type, hosts and groups, every kind, multi-year periods) whose figures
``simulate_ledger`` then draws from the model, plus a few repeats.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from remitest.ledger import ESTIMATOR_TYPES, Ledger
from remitest.simulate import simulate_ledger

_SCOPES = ("world", "world", "world", "china", "russia", "china_russia", "rest_of_world")
_LEVEL = {"workers": 100_000.0, "remittances_usd": 5e8, "per_worker_usd": 5_000.0}


def _template(n_claims: int, rng: np.random.Generator) -> pd.DataFrame:
    n_estimators = max(3, n_claims // 4)
    estimators = [f"Estimator {i + 1:02d}" for i in range(n_estimators)]
    types = [ESTIMATOR_TYPES[i % len(ESTIMATOR_TYPES)] for i in range(n_estimators)]
    rows = []
    for i in range(n_claims):
        quantity = rng.choice(list(_LEVEL), p=[0.55, 0.35, 0.10])
        scope = "world" if quantity == "per_worker_usd" else rng.choice(_SCOPES)
        kind = rng.choice(["point", "range", "lower_bound", "upper_bound"],
                          p=[0.4, 0.3, 0.15, 0.15])
        start = int(rng.integers(2012, 2024))
        end = min(2024, start + int(rng.choice([0, 0, 0, 0, 1, 2])))
        level = _LEVEL[quantity] * (1.0 if scope == "world" else 0.4)
        low = level if kind != "upper_bound" else np.nan
        high = level * (1.6 if kind == "range" else 1.0) if kind != "lower_bound" else np.nan
        e = int(rng.integers(n_estimators))
        rows.append({
            "id": f"c{i + 1:03d}", "quantity": quantity, "kind": kind, "low": low, "high": high,
            "ref_start": start, "ref_end": end, "published": str(min(2025, end + 1)),
            "estimator": estimators[e], "estimator_type": types[e], "scope": scope,
            "document": f"doc{i // 3:03d}.txt", "quote": "simulated",
        })  # fmt: skip
    return pd.DataFrame(rows)


@cache
def synthetic_ledger(n_claims: int, random_seed: int = 0) -> Ledger:
    """About ``n_claims`` claims (exactly, unless the simulator drops many bounds), 5% repeats."""
    rng = np.random.default_rng(random_seed)
    n_repeats = n_claims // 20
    template = Ledger.from_frame(_template(n_claims - n_repeats + 10 + n_claims // 4, rng))
    simulated = simulate_ledger(template, random_seed=rng).ledger
    frame = simulated.to_frame().head(n_claims - n_repeats)
    repeats = frame.sample(n_repeats, random_state=random_seed).assign(
        derived_from=lambda f: f["id"], document="repeats.txt")
    repeats["id"] = [f"{i}-repeat" for i in repeats["id"]]
    return Ledger.from_frame(pd.concat([frame, repeats], ignore_index=True))
