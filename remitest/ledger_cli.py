"""``remitest ledger``: validate a claims ledger and print its claims and their spread."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd

from remitest.ledger import QUANTITIES, Ledger, LedgerError, load_ledger

_TABLE_COLUMNS = ("id", "quantity", "kind", "low", "high", "ref years", "estimator", "scope",
                  "derived_from")  # fmt: skip
_NUMERIC = {"low", "high", "min", "max", "claims", "originals", "repeats"}


def ledger_command(path: str | None, hosts: list[str] | None) -> int:
    """Validate a ledger, then print its claims and the spread of numbers per quantity.

    Parameters
    ----------
    path : str or None
        A claims CSV; None for the ledger shipped with remitest.
    hosts : list of str or None
        Host scopes beyond the defaults that claims may use.

    Returns
    -------
    int
        0 when the ledger is valid; 2 when it is not (or cannot be read), with the problems
        printed to stderr.
    """
    try:
        ledger = load_ledger(path, hosts=hosts)
    except (LedgerError, OSError, ValueError) as error:
        print(f"remitest ledger: {error}", file=sys.stderr)
        return 2
    frame = ledger.to_frame()
    print(f"{len(ledger)} claims, sha256 {ledger.sha256}, hosts {', '.join(ledger.hosts)}\n")
    print(_format_table(claims_table(frame)))
    print("\nSpread per quantity (numbers in persons or US$ per year):")
    print(_format_table(spread_table(ledger)))
    return 0


def claims_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One text row per claim: id, quantity, kind, low, high, ref years, estimator, scope."""
    years = [
        str(start) if start == end else f"{start}-{end}"
        for start, end in zip(frame["ref_start"], frame["ref_end"], strict=True)
    ]
    table = frame.assign(low=frame["low"].map(_number), high=frame["high"].map(_number))
    table["ref years"] = years
    return table[list(_TABLE_COLUMNS)].fillna("")


def spread_table(ledger: Ledger) -> pd.DataFrame:
    """Per quantity with claims: count, originals, repeats, smallest and largest number stated."""
    frame = ledger.to_frame()
    rows = []
    for quantity in QUANTITIES:
        claims = frame[frame["quantity"] == quantity]
        if claims.empty:
            continue
        numbers = np.concatenate([claims["low"].dropna(), claims["high"].dropna()])
        repeats = int(claims["derived_from"].notna().sum())
        rows.append({
            "quantity": quantity, "claims": len(claims), "originals": len(claims) - repeats,
            "repeats": repeats, "min": _number(numbers.min()), "max": _number(numbers.max()),
        })  # fmt: skip
    return pd.DataFrame(rows).astype(str)


def _number(value: float) -> str:
    """Write a number with thousands separators; "" when absent."""
    if pd.isna(value):
        return ""
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def _format_table(table: pd.DataFrame) -> str:
    """Align columns: numbers to the right, text to the left."""
    cells = table.astype(str)
    widths = {c: max([len(c), *cells[c].str.len()]) for c in cells.columns}

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(widths[c]) if c in _NUMERIC else v.ljust(widths[c])
            for c, v in zip(cells.columns, values, strict=True)
        ).rstrip()

    return "\n".join([line(list(cells.columns)), *(line(list(r)) for r in cells.to_numpy())])
