"""``remitest ledger``: validate a claims ledger, print its claims and spread, draw it (--plot)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from remitest.ledger import QUANTITIES, Ledger, LedgerError, LedgerWarning, load_ledger

_TABLE_COLUMNS = ("id", "quantity", "kind", "low", "high", "ref years", "estimator", "scope",
                  "derived_from")  # fmt: skip
_NUMERIC = {"low", "high", "min", "max", "max/min", "claims", "originals", "repeats"}


def ledger_command(path: str | None, hosts: list[str] | None, plot: str | None = None) -> int:
    """Validate a ledger, print its claims and their spread per quantity and scope.

    Parameters
    ----------
    path : str or None
        A claims CSV, or the name of a shipped ledger (``"record"``, ``"seeds"``); None for
        the published record shipped with remitest.
    hosts : list of str or None
        Host scopes beyond the defaults that claims may use.
    plot : str or None
        Where to write the ledger-at-a-glance figure (``plot_ledger``); the format follows
        the suffix (.png at 300 dpi, .svg, .pdf).

    Notes
    -----
    Warnings go to stderr, one line each, and leave the exit status at 0: a figure far from the
    others of its quantity and scope (`Ledger.outlying_figures`), and each pair of claims that
    looks like a restatement without a ``derived_from`` (`Ledger.suspected_repeats`). Columns
    beyond the schema are kept and listed on stdout.

    Returns
    -------
    int
        0 when the ledger is valid; 2 when it is not (or cannot be read, or ``plot`` has a
        suffix matplotlib cannot write), with the problems printed to stderr; 1 when the figure
        cannot be written.
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LedgerWarning)
            ledger = load_ledger(path, hosts=hosts)
    except (LedgerError, OSError, ValueError) as error:
        print(f"remitest ledger: {error}", file=sys.stderr)
        return 2
    for warning in caught:
        if not issubclass(warning.category, LedgerWarning):
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)  # fmt: skip
    if plot is not None and Path(plot).suffix.lower() not in _PLOT_SUFFIXES:
        print(f"remitest ledger: --plot {plot!r}: the file name must end in one of "
              f"{', '.join(_PLOT_SUFFIXES)}", file=sys.stderr)
        return 2
    frame = ledger.to_frame()
    print(f"{len(ledger)} claims, sha256 {ledger.sha256}, hosts {', '.join(ledger.hosts)}")
    if ledger.extra_columns:
        print(f"extra columns (kept, not read by the model): {', '.join(ledger.extra_columns)}")
    print()
    print(_format_table(claims_table(frame)))
    print("\nSpread per quantity and scope (numbers in persons or US$ per year):")
    print(_format_table(spread_table(ledger)))
    sys.stdout.flush()
    for line in [*(str(w.message) for w in caught if issubclass(w.category, LedgerWarning)),
                 *suspected_repeat_lines(ledger)]:  # fmt: skip
        print(f"remitest ledger: warning: {line}", file=sys.stderr)
    if plot is not None:
        try:
            write_ledger_figure(ledger, Path(plot))
        except OSError as error:
            print(f"remitest ledger: cannot write {plot!r}: {error}", file=sys.stderr)
            return 1
        print(f"\nledger figure written to {plot}")
    return 0


_PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def suspected_repeat_lines(ledger: Ledger) -> list[str]:
    """One line per pair of `Ledger.suspected_repeats`, saying how to resolve it."""
    return [
        f"suspected repeat: {r.later_id!r} ({r.quantity}, {r.scope}, {r.later_figures}, "
        f"published {r.later_published}) may restate {r.earlier_id!r} ({r.earlier_figures}, "
        f"published {r.earlier_published}): {r.reason}; set derived_from = {r.earlier_id!r} on "
        f"{r.later_id!r}, or write 'independent of {r.earlier_id}' in its notes"
        for r in ledger.suspected_repeats().itertuples()
    ]


def write_ledger_figure(ledger: Ledger, path: Path) -> None:
    """Draw ``plot_ledger`` and write it atomically (a temporary file beside it, then a rename)."""
    from remitest._io import atomic_write
    from remitest.plots import plot_ledger

    figure = plot_ledger(ledger)
    fmt = path.suffix.lower().lstrip(".")
    metadata = None if fmt == "pdf" else {"Title": f"Claims ledger {ledger.sha256[:12]}"}
    atomic_write(path, lambda tmp: figure.savefig(tmp, dpi=300, format=fmt, metadata=metadata))


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
    """Per quantity and scope with claims: counts, and the smallest and largest number stated.

    ``max/min``, their ratio, is the spread the model reconciles.
    """
    frame = ledger.to_frame()
    rows = []
    for quantity in QUANTITIES:
        mine = frame[frame["quantity"] == quantity]
        scopes = [s for s in ledger.valid_scopes if s in set(mine["scope"])]
        for scope in scopes:
            claims = mine[mine["scope"] == scope]
            numbers = np.concatenate([claims["low"].dropna(), claims["high"].dropna()])
            repeats = int(claims["derived_from"].notna().sum())
            rows.append({
                "quantity": quantity, "scope": scope, "claims": len(claims),
                "originals": len(claims) - repeats, "repeats": repeats,
                "min": _number(numbers.min()), "max": _number(numbers.max()),
                "max/min": f"{numbers.max() / numbers.min():.3g}",
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
