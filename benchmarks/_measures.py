"""Measures a benchmark hands to ``run_all.py``: one row each, written as JSON with ``--json``."""

from __future__ import annotations

import json
from pathlib import Path

from remitest._io import write_text  # the package's atomic writer


def measure(name: str, value: float, unit: str, *, baseline: str = "",
            baseline_value: float | None = None) -> dict:
    """One row of ``results.md``: ``value`` in ``unit``, and the baseline it is a ratio of."""
    return {"measure": name, "value": float(value), "unit": unit, "baseline": baseline,
            "baseline_value": None if baseline_value is None else float(baseline_value)}


def write_measures(path: str | None, rows: list[dict]) -> None:
    """Write ``rows`` to ``path`` as JSON (nothing when ``path`` is None)."""
    if path:
        write_text(json.dumps(rows, indent=1), Path(path))
