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

import numpy as np
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
# Optional columns the model reads, beyond `COLUMNS`; a table has them only where given.
OPTIONAL_COLUMNS = ("measure", "reading")
# Every column name the ledger knows; others are kept as extra columns unless they look like a
# misspelling of one of these (`misspelt_column`).
KNOWN_COLUMNS = (*COLUMNS, *OPTIONAL_COLUMNS)
# A figure this many times above or below the median of its quantity and scope draws a warning.
OUTLIER_FACTOR = 20.0
#: Written in a row's notes, it says the figure was checked against its source: no outlier warning.
OUTLIER_CHECKED_MARK = "figure checked"
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


class LedgerWarning(UserWarning):
    """Something in a claims ledger that is valid but probably not what was meant."""


class FigureOutlierWarning(LedgerWarning):
    """A figure far (more than `OUTLIER_FACTOR` times) from the median of its quantity and scope.

    ``100`` workers where the other claims say ``100000``: thousands typed as units, or
    millions of US$ typed as US$, are the usual causes.
    """


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


def edit_distance(a: str, b: str) -> int:
    """Edits between two strings: insertions, deletions, substitutions, adjacent swaps.

    The optimal-string-alignment form of the Damerau-Levenshtein distance: ``derived_form``
    is one edit (a swap) from ``derived_from``, ``coverge`` one (an insertion) from ``coverage``.
    """
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = int(ca != cb)
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            current.append(best)
        previous2, previous = previous, current
    return previous[-1]


def misspelt_column(name: str) -> tuple[str, int] | None:
    """The ledger column that an unknown column name probably means, and the edits between them.

    Names are compared in lower case with spaces and hyphens read as underscores
    (``Derived From`` is ``derived_from``, 0 edits). A name is taken for a ledger column when it
    is at most two edits from it, and at most one from a name of five letters or fewer (none
    from ``id``), so short extra columns such as ``x``, ``url`` or ``min`` are not read as
    ``id``, ``low`` or ``kind``. The nearest column wins, the first in `KNOWN_COLUMNS` on a tie.

    Returns
    -------
    (str, int) or None
        None when `name` is a ledger column or near none.
    """
    if name in KNOWN_COLUMNS:
        return None
    normal = _normal_name(name)
    best = None
    for known in KNOWN_COLUMNS:
        distance = edit_distance(normal, known)
        if distance <= min(2, len(known) // 3) and (best is None or distance < best[1]):
            best = (known, distance)
    return best


def _normal_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def header_score(names: Sequence[str]) -> int:
    """How many of `names` are ledger columns (in any case, spaces or hyphens for underscores)."""
    return sum(_normal_name(n) in KNOWN_COLUMNS for n in names)


def check_columns(
    columns: Sequence[str],
    table: pd.DataFrame | None = None,
    rows: Sequence[int] | None = None,
    *,
    unit: str = "line",
) -> list[Problem]:
    """Problems with the columns: missing, misspelt, named twice, or no ledger column at all.

    Parameters
    ----------
    columns : sequence of str
        The column names, as written.
    table : pandas.DataFrame, optional
        The cells as text, to name the first filled cell of a misspelt column.
    rows : sequence of int, optional
        The line number (or row position) of each row of `table`.
    unit : str
        ``"line"`` for a CSV file, whose header is line 1; ``"row"`` for a data frame.

    Returns
    -------
    list of Problem
        A header that names no ledger column at all gives one problem, not one per missing
        column. A misspelt column (`misspelt_column`) names the row, id and value of its first
        filled cell, and the column it probably means; the required column it stands for is
        then not reported missing as well.
    """
    header_row = 1 if unit == "line" else None
    columns = [str(c) for c in columns]
    unrecognised = unrecognised_header(columns, unit=unit)
    if unrecognised:
        return unrecognised
    misspelt = {c: m for c in columns if (m := misspelt_column(c)) is not None}
    meant = {known for known, _ in misspelt.values()}
    problems = [
        Problem(header_row, None, name, None, f"required column is missing; required columns "
                f"are {', '.join(REQUIRED_COLUMNS)}", unit)
        for name in REQUIRED_COLUMNS if name not in columns and name not in meant
    ]  # fmt: skip
    seen = set()
    for name in columns:
        if name in seen:
            problems.append(Problem(header_row, None, name, None, "column appears more than once",
                                    unit))  # fmt: skip
        seen.add(name)
    for name, (known, distance) in misspelt.items():
        problems.append(_misspelt_problem(name, known, distance, columns, table, rows, unit))
    return problems


def unrecognised_header(columns: Sequence[str], *, unit: str = "line") -> list[Problem]:
    """One problem when the header names no ledger column at all (else none).

    A file separated by another character than commas, semicolons or tabs, or a file without a
    header, gives this one problem rather than one per missing column and one per line.
    """
    columns = [str(c) for c in columns]
    if not columns or header_score(columns) or any(map(misspelt_column, columns)):
        return []
    text = ",".join(columns)
    shown = text if len(text) <= 80 else text[:77] + "..."
    count = f"{len(columns)} column{'s' * (len(columns) != 1)}"
    separators = [c for c in text if not (c.isalnum() or c in "_,\"' ")]
    hint = ""
    if len(columns) == 1 and separators:
        common = max(set(separators), key=separators.count)
        hint = f"; it looks separated by {common!r}"
    where = "the header names" if unit == "line" else "the data frame has"
    return [Problem(1 if unit == "line" else None, None, None, None,
                    f"{where} no column of a claims ledger: {shown!r} ({count}){hint}; a "
                    "claims ledger is a CSV file separated by commas (semicolons and tabs are "
                    "recognised too) whose header names its columns, among them "
                    f"{', '.join(REQUIRED_COLUMNS)}", unit)]  # fmt: skip


def _misspelt_problem(
    name: str,
    known: str,
    distance: int,
    columns: Sequence[str],
    table: pd.DataFrame | None,
    rows: Sequence[int] | None,
    unit: str,
) -> Problem:
    """A misspelt column, named at its first filled cell (at the header when it has none)."""
    if distance == 0:
        near = f"{known!r} written in another case or with spaces or hyphens"
    else:
        near = f"{distance} edit{'s' * (distance != 1)} from {known!r}"
    where = "the column in the header (line 1)" if unit == "line" else "the column"
    if known in columns:
        advice = f"{known!r} is a column too: rename or remove one of the two"
    elif known in REQUIRED_COLUMNS:
        advice = f"{known!r} is a required column and missing: rename {where} to {known!r}"
    else:
        advice = f"rename {where} to {known!r}, or its values would be lost"
    message = (f"column {name!r} is not a ledger column but {near}: probably meant {known!r}; "
               f"{advice}")  # fmt: skip
    filled: list[int] = []
    if table is not None and list(table.columns).count(name) == 1:
        filled = [i for i, v in enumerate(table[name]) if v != ""]
    if not filled:
        return Problem(1 if unit == "line" else None, None, name, None,
                       f"{message} (its cells are all empty)", unit)  # fmt: skip
    first = filled[0]
    row = rows[first] if rows is not None else first
    claim_id = table["id"].iloc[first] if list(table.columns).count("id") == 1 else ""
    if len(filled) > 1:
        others = [str(rows[i] if rows is not None else i) for i in filled[1:]]
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        message += f"; also filled on {unit}{'s' * (len(others) > 1)} {shown}"
    return Problem(row, claim_id or None, name, table[name].iloc[first], message, unit)


def validate_table(
    table: pd.DataFrame,
    rows: Sequence[int],
    *,
    unit: str,
    scopes: Sequence[str],
    measures: dict[str, tuple[str, ...]] | None = None,
    dot_thousands: bool = False,
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
    dot_thousands : bool
        Refuse a figure written like ``100.000`` (groups of three digits after dots): in a
        semicolon-separated file, written where the comma is the decimal mark, the dot is
        a thousands separator, and the figure would silently read as 100.

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
        found += [(position, *p) for p in _row_problems(record, scopes, dot_thousands)]
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


def _row_problems(
    record: dict[str, str], scopes: Sequence[str], dot_thousands: bool = False
) -> list[tuple[str, str, str]]:
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
    found += _bounds_problems(record, dot_thousands)
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


def _positive(
    record: dict[str, str], name: str, found: list, dot_thousands: bool = False
) -> float | None:
    """Parse a positive number, normalising the text; None when empty or invalid."""
    text = record[name]
    if text == "":
        return None
    if dot_thousands and _DOT_THOUSANDS.match(text):
        digits = text.replace(".", "")
        found.append((name, text, f"is ambiguous in a semicolon-separated file: it reads as "
                      f"{format_number(float(text))}, but is probably {digits} written with dots "
                      f"as thousands separators; write {digits} (or "
                      f"{format_number(float(text))} if a decimal point was meant)"))
        return None
    value = _to_float(text)
    if value is None or value <= 0:
        found.append((name, text, "must be a positive number in base units (persons or US$)"
                      + number_hint(text)))  # fmt: skip
        return None
    record[name] = format_number(value)
    return value


_THOUSANDS = re.compile(r"^\d{1,3}([,\s'\u2019])\d{3}(?:\1\d{3})*(?:\.\d+)?$")
_DOT_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_DECIMAL_COMMA = re.compile(r"^\d*,\d+$")


def number_hint(text: str) -> str:
    """A hint for a number written with a thousands separator or a decimal comma; else ""."""
    match = _THOUSANDS.match(text)
    if match:
        separator = {",": "a comma", " ": "a space", "'": "an apostrophe",
                     "\u2019": "an apostrophe"}.get(match.group(1), f"{match.group(1)!r}")
        digits = text.replace(match.group(1), "")
        return (f"; it looks written with {separator} as thousands separator: drop the "
                f"separator and write {digits}")
    if _DECIMAL_COMMA.match(text):
        return f"; write the decimal mark as a dot: {text.replace(',', '.')}"
    return ""


def _to_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and "_" not in text else None


def _bounds_problems(
    record: dict[str, str], dot_thousands: bool = False
) -> list[tuple[str, str, str]]:
    """Problems with low and high given the kind of claim."""
    found: list = []
    low = _positive(record, "low", found, dot_thousands)
    high = _positive(record, "high", found, dot_thousands)
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
        return [("coverage", text, "must be a number strictly between 0 and 1, e.g. 0.5"
                 + number_hint(text))]
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


def outlying_figures(
    table: pd.DataFrame, factor: float = OUTLIER_FACTOR
) -> list[tuple[int, str, str, float, int]]:
    """Figures more than `factor` times above or below the median of their quantity and scope.

    Each claim stands for one figure in the median: its value, the geometric mean of a range, or
    its bound; the median is taken over every claim (repeats included) of the same quantity and
    scope, so a group of one claim is never outlying. Each of a claim's ``low`` and ``high`` is
    then compared with its group's median. A point is one figure, reported once (as ``low``).
    A row whose ``notes`` contain `OUTLIER_CHECKED_MARK` ("figure checked") was confirmed
    against its source (a host's count after the 2019 deadline is genuinely 20x below its
    earlier ones) and is not reported; it still counts in its group's median.

    Parameters
    ----------
    table : pandas.DataFrame
        A valid ledger in canonical text form (`validate_table`).
    factor : float
        How many times away counts as outlying.

    Returns
    -------
    list of (int, str, str, float, int)
        (row position, field, value as written, the group's median, claims in the group),
        in row order, ``low`` before ``high``.
    """
    figures = [
        [float(v) for v in (low, high) if v]
        for low, high in zip(table["low"], table["high"], strict=True)
    ]
    centre = np.array([math.sqrt(f[0] * f[-1]) for f in figures])
    groups = table.groupby(["quantity", "scope"], sort=False).indices
    found = []
    for positions in groups.values():
        if len(positions) < 2:
            continue
        median = float(np.median(centre[positions]))
        for position in positions:
            if OUTLIER_CHECKED_MARK in str(table["notes"].iloc[position]).lower():
                continue
            point = table["low"].iloc[position] == table["high"].iloc[position]
            for name in ("low",) if point else ("low", "high"):
                text = table[name].iloc[position]
                if text and not 1 / factor <= float(text) / median <= factor:
                    found.append((int(position), name, text, median, len(positions)))
    return sorted(found, key=lambda f: (f[0], f[1] == "high"))
