"""Schema of the claims ledger and the rules a loader enforces.

Every value arrives as text, exactly as written in the CSV (or converted from a data frame cell).
`validate_table` checks all rows, collects every problem, and returns the table in canonical
text form: numbers in their shortest form, a point's missing end filled in.
`remitest.ledger` builds on it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

QUANTITIES = ("workers", "remittances_usd", "per_worker_usd")
KINDS = ("point", "range", "lower_bound", "upper_bound")
ESTIMATOR_TYPES = ("government", "intergovernmental", "research_institute", "media", "anonymous")
DEFAULT_HOSTS = ("china", "russia", "rest_of_world")
DEFAULT_GROUPS = {"china_russia": ("china", "russia")}
WORLD = "world"
# What a figure counts (the optional ``measure`` column); the first of each is the reference,
# which an empty value also means. Others are declared with ``load_ledger(measures=...)``.
MEASURES = {
    "workers": ("headcount", "permits"),
    "remittances_usd": ("state_revenue", "gross_earnings"),
    "per_worker_usd": (),
}
# How a bound is read (the optional ``reading`` column); empty means the configured default,
# ``ModelConfig.interpretation.upper_bound`` / ``lower_bound``.
READINGS = ("censored", "interval_end")

COLUMNS = (
    "id", "quantity", "kind", "low", "high", "coverage", "qualifier", "ref_start", "ref_end",
    "published", "document_date", "estimator", "estimator_type", "scope", "document", "quote",
    "outlet", "title", "derived_from", "notes",
)  # fmt: skip
REQUIRED_COLUMNS = (
    "id", "quantity", "kind", "low", "high", "ref_start", "ref_end", "published", "estimator",
    "estimator_type", "scope", "document", "quote",
)  # fmt: skip
# low and high are required columns, but whether a row needs a value depends on its kind.
REQUIRED_FIELDS = tuple(c for c in REQUIRED_COLUMNS if c not in ("low", "high"))

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_YEAR = re.compile(r"^\d{4}$")
_DATE_FORMS = "a date written YYYY, YYYY-MM or YYYY-MM-DD"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a ledger.

    Attributes
    ----------
    row : int or None
        CSV line number (header = line 1) or data-frame row position; None for a column problem.
    id : str or None
        The claim's id, where the row has one.
    field : str or None
        The column concerned.
    value : str or None
        The value as written.
    message : str
        What is wrong and what would be valid.
    unit : str
        ``"line"`` for a CSV file, ``"row"`` for a data frame.
    """

    row: int | None
    id: str | None
    field: str | None
    value: str | None
    message: str
    unit: str = "line"

    def __str__(self) -> str:
        parts = []
        if self.row is not None:
            where = f"{self.unit} {self.row}"
            parts.append(f"{where} (id {self.id!r})" if self.id else where)
        if self.field is not None:
            parts.append(
                f"field {self.field!r}" + ("" if self.value is None else f" = {self.value!r}")
            )
        return ": ".join([*parts, self.message])


class LedgerError(ValueError):
    """A claims ledger broke one or more rules; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[Problem], source: str = "claims ledger"):
        self.problems = list(problems)
        self.source = source
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source} has {count} problem{'s' * (count != 1)}:\n{lines}")


def format_number(value: float) -> str:
    """Write a number in its shortest exact form: ``50000`` rather than ``50000.0``."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def parse_date(text: str) -> dt.date | None:
    """Return the first day of a period written YYYY, YYYY-MM or YYYY-MM-DD (None if invalid)."""
    match = _DATE.match(text)
    if match is None:
        return None
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def check_columns(columns: Sequence[str]) -> list[Problem]:
    """Problems with the header: required columns missing, a column named twice."""
    problems = [
        Problem(None, None, name, None, f"required column is missing; required columns are "
                f"{', '.join(REQUIRED_COLUMNS)}")
        for name in REQUIRED_COLUMNS if name not in columns
    ]  # fmt: skip
    seen = set()
    for name in columns:
        if name in seen:
            problems.append(Problem(None, None, name, None, "column appears more than once"))
        seen.add(name)
    return problems


def validate_table(
    table: pd.DataFrame,
    rows: Sequence[int],
    *,
    unit: str,
    scopes: Sequence[str],
    measures: dict[str, tuple[str, ...]] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check every row of a ledger held as text and return it in canonical form.

    Parameters
    ----------
    table : pandas.DataFrame
        One claim per row, every cell a string ("" when empty), every column of `COLUMNS` present.
    rows : sequence of int
        The line number (or row position) of each row, used in messages.
    unit : str
        ``"line"`` or ``"row"``: how `rows` are named in messages.
    scopes : sequence of str
        The valid scopes: ``"world"``, the hosts, the group names.
    measures : dict, optional
        Valid values of the optional ``measure`` column per quantity (default `MEASURES`).

    Returns
    -------
    table : pandas.DataFrame
        A normalised copy: numbers in shortest form, a point's missing end copied from the other.
    problems : list of Problem
        Every problem found, in row order; empty when the ledger is valid.
    """
    records = table.to_dict("records")
    found: list[tuple[int, str, str, str]] = []  # (position, field, value, message)
    for position, record in enumerate(records):
        found += [(position, *p) for p in _row_problems(record, scopes)]
        found += [(position, *p) for p in _measure_problems(record, measures or MEASURES)]
        found += [(position, *p) for p in _reading_problems(record)]
    labels = [f"{unit} {row}" for row in rows]
    found += _duplicate_ids(records, labels)
    found += _derivation_problems(records)
    found += _estimator_type_conflicts(records, labels)
    found.sort(key=lambda p: p[0])
    problems = [
        Problem(rows[pos], records[pos]["id"] or None, field, value, message, unit)
        for pos, field, value, message in found
    ]
    normalised = pd.DataFrame(records, columns=table.columns, dtype=str)
    return normalised, problems


def _row_problems(record: dict[str, str], scopes: Sequence[str]) -> list[tuple[str, str, str]]:
    """Problems confined to one row, as (field, value, message); normalises `record` in place."""
    found = [
        (name, "", "is required and must not be empty")
        for name in REQUIRED_FIELDS
        if record[name] == ""
    ]
    for name, valid in [
        ("quantity", QUANTITIES),
        ("kind", KINDS),
        ("estimator_type", ESTIMATOR_TYPES),
        ("scope", scopes),
    ]:
        if record[name] and record[name] not in valid:
            found.append((name, record[name], f"must be one of {', '.join(valid)}"))
    found += _bounds_problems(record)
    found += _coverage_problems(record)
    found += _period_problems(record)
    return found


def _measure_problems(
    record: dict[str, str], measures: dict[str, tuple[str, ...]]
) -> list[tuple[str, str, str]]:
    """The optional ``measure`` column: empty (the reference measure) or known for the quantity."""
    value, quantity = record.get("measure", ""), record["quantity"]
    if not value or quantity not in measures:
        return []
    valid = measures[quantity]
    if value in valid:
        return []
    listed = ", ".join(valid) if valid else "none besides the empty reference measure"
    return [("measure", value,
             f"is not a measure of {quantity} (valid: {listed}; empty means the reference); "
             f"declare a new one with load_ledger(..., measures={{{quantity!r}: [{value!r}]}})")]


def _reading_problems(record: dict[str, str]) -> list[tuple[str, str, str]]:
    """The optional ``reading`` column: empty (the configured default) or a bound's reading."""
    value, kind = record.get("reading", ""), record["kind"]
    if not value:
        return []
    if value not in READINGS:
        return [("reading", value, f"must be one of {', '.join(READINGS)}, or empty for the "
                 "configured default (ModelConfig.interpretation)")]
    if kind in KINDS and kind not in ("upper_bound", "lower_bound"):
        return [("reading", value, f"applies only to upper_bound and lower_bound claims, not "
                 f"to a {kind}; leave it empty")]
    return []


def _positive(record: dict[str, str], name: str, found: list) -> float | None:
    """Parse a positive number, normalising the text; None when empty or invalid."""
    text = record[name]
    if text == "":
        return None
    value = _to_float(text)
    if value is None or value <= 0:
        found.append((name, text, "must be a positive number in base units (persons or US$)"))
        return None
    record[name] = format_number(value)
    return value


def _to_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and "_" not in text else None


def _bounds_problems(record: dict[str, str]) -> list[tuple[str, str, str]]:
    """Problems with low and high given the kind of claim."""
    found: list = []
    low, high = _positive(record, "low", found), _positive(record, "high", found)
    kind, low_text, high_text = record["kind"], record["low"], record["high"]
    if kind == "point":
        if low_text == "" and high_text == "":
            found.append(("low", "", "a point needs low (or high) to hold its value"))
        elif high_text == "" or low_text == "":
            record["low"] = record["high"] = low_text or high_text
        elif low is not None and high is not None and low != high:
            found.append(("high", high_text, f"a point needs high equal to low ({low_text})"))
    elif kind == "range":
        found += [(n, "", "a range needs both low and high") for n in ("low", "high")
                  if record[n] == ""]  # fmt: skip
        if low is not None and high is not None and low > high:
            found.append(("low", low_text, f"must not be above high ({high_text})"))
    elif kind == "lower_bound":
        if low_text == "":
            found.append(("low", "", "a lower_bound needs low"))
        if high_text:
            found.append(("high", high_text, "a lower_bound has no high; leave it empty"))
    elif kind == "upper_bound":
        if high_text == "":
            found.append(("high", "", "an upper_bound needs high"))
        if low_text:
            found.append(("low", low_text, "an upper_bound has no low; leave it empty"))
    return found


def _coverage_problems(record: dict[str, str]) -> list[tuple[str, str, str]]:
    text = record["coverage"]
    if text == "":
        return []
    value = _to_float(text)
    if value is None or not 0 < value < 1:
        return [("coverage", text, "must be a number strictly between 0 and 1, e.g. 0.5")]
    record["coverage"] = format_number(value)
    return []


def _period_problems(record: dict[str, str]) -> list[tuple[str, str, str]]:
    """Problems with the reference years and the dates."""
    found = []
    years = {}
    for name in ("ref_start", "ref_end"):
        text = record[name]
        if text and not _YEAR.match(text):
            found.append((name, text, "must be a whole four-digit year, e.g. 2016"))
        elif text:
            years[name] = int(text)
    dates = {}
    for name in ("published", "document_date"):
        text = record[name]
        if text and parse_date(text) is None:
            found.append((name, text, f"must be {_DATE_FORMS}"))
        elif text:
            dates[name] = parse_date(text)
    start, end = years.get("ref_start"), years.get("ref_end")
    if start is not None and end is not None and end < start:
        found.append(("ref_end", record["ref_end"], f"must not be before ref_start ({start})"))
    if start is not None and "published" in dates and start > dates["published"].year:
        found.append(
            ("ref_start", record["ref_start"],
             f"must not be after the year the claim was published ({dates['published'].year})")
        )  # fmt: skip
    return found


def _duplicate_ids(records: list[dict], labels: Sequence[str]) -> list[tuple[int, str, str, str]]:
    first: dict[str, int] = {}
    found = []
    for position, record in enumerate(records):
        claim_id = record["id"]
        if claim_id in first:
            message = f"duplicate id; first used on {labels[first[claim_id]]}; ids must be unique"
            found.append((position, "id", claim_id, message))
        elif claim_id:
            first[claim_id] = position
    return found


def _derivation_problems(records: list[dict]) -> list[tuple[int, str, str, str]]:
    """Find each derived_from that names no claim, or whose chain runs in a circle."""
    parent = {}
    for record in records:
        parent.setdefault(record["id"], record["derived_from"])
    found = []
    for position, record in enumerate(records):
        target = record["derived_from"]
        if not target:
            continue
        if target not in parent:
            message = "names no claim in this ledger; must be the id of another row"
            found.append((position, "derived_from", target, message))
            continue
        chain = [record["id"], target]
        while parent.get(chain[-1]) and chain[-1] not in chain[:-1]:
            chain.append(parent[chain[-1]])
        if chain[-1] in chain[:-1] and chain[-1] == record["id"]:
            found.append((position, "derived_from", target,
                          f"runs in a circle: {' -> '.join(chain)}"))  # fmt: skip
    return found


def _estimator_type_conflicts(
    records: list[dict], labels: Sequence[str]
) -> list[tuple[int, str, str, str]]:
    first: dict[str, tuple[str, int]] = {}
    found = []
    for position, record in enumerate(records):
        name, kind = record["estimator"], record["estimator_type"]
        if not name or kind not in ESTIMATOR_TYPES:
            continue
        if name not in first:
            first[name] = (kind, position)
        elif first[name][0] != kind:
            seen_kind, seen_at = first[name]
            message = (f"estimator {name!r} has type {seen_kind!r} on {labels[seen_at]}; "
                       f"one estimator has one type")  # fmt: skip
            found.append((position, "estimator_type", kind, message))
    return found
