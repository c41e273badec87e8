"""The claims ledger: published numbers about one quantity, period and scope, one claim per row.

Load a shipped ledger (``load_ledger()``, the published record; ``load_ledger("seeds")``, the
ten claims of the seed articles) or your own (``load_ledger(path)``), or build one from a data
frame with `Ledger.from_frame`. Both validate every row and raise one `LedgerError` listing every
problem. A `Ledger` is immutable: `filter`, `drop`, `originals` and ``+`` return new ledgers.
`Ledger.suspected_repeats` lists pairs of claims that look like a restatement without a
``derived_from``; `Ledger.outlying_figures` the figures far from the others of their quantity and
scope.
The schema and the validation rules live in `remitest._validate`.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from remitest._validate import (
    COLUMNS,
    DEFAULT_GROUPS,
    DEFAULT_HOSTS,
    ESTIMATOR_TYPES,
    KINDS,
    KNOWN_COLUMNS,
    MEASURES,
    OPTIONAL_COLUMNS,
    OUTLIER_FACTOR,
    QUANTITIES,
    READINGS,
    REQUIRED_COLUMNS,
    WORLD,
    FigureOutlierWarning,
    LedgerError,
    LedgerWarning,
    Problem,
    check_columns,
    format_number,
    header_score,
    outlying_figures,
    parse_date,
    unrecognised_header,
    validate_table,
)

__all__ = [
    "COLUMNS",
    "DEFAULT_GROUPS",
    "DEFAULT_HOSTS",
    "ESTIMATOR_TYPES",
    "KINDS",
    "KNOWN_COLUMNS",
    "MEASURES",
    "OPTIONAL_COLUMNS",
    "OUTLIER_FACTOR",
    "QUANTITIES",
    "READINGS",
    "REQUIRED_COLUMNS",
    "SHIPPED_LEDGERS",
    "FigureOutlierWarning",
    "Ledger",
    "LedgerError",
    "LedgerWarning",
    "Problem",
    "load_ledger",
]

# Ledgers shipped with remitest, by the name `load_ledger` knows them by.
SHIPPED_LEDGERS = {"record": "record.csv", "seeds": "seeds.csv"}

_NUMBER_COLUMNS = ("low", "high", "coverage")
_YEAR_COLUMNS = ("ref_start", "ref_end")
_DATE_COLUMNS = ("published", "document_date")


class Ledger:
    """A validated set of claims.

    Build one with `load_ledger` or `Ledger.from_frame` (``Ledger(frame)`` is the same as
    ``Ledger.from_frame(frame)``). Values are held as canonical text, so a ledger has one exact
    CSV form and one SHA-256, whether it was read from a file or built in code.

    Parameters
    ----------
    frame : pandas.DataFrame
        One claim per row with at least `REQUIRED_COLUMNS`; see `from_frame`.
    hosts : sequence of str, optional
        Host scopes beyond `DEFAULT_HOSTS` that claims may use.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        hosts: Sequence[str] | None = None,
        measures: Mapping[str, Sequence[str]] | None = None,
    ):
        table = pd.DataFrame({str(c): [_cell_text(v) for v in frame[c]] for c in frame.columns})
        rows = list(range(len(frame)))
        built = _build(table, rows, unit="row", hosts=_all_hosts(hosts),
                       measures=_all_measures(measures), source="claims frame")
        self._table, self._hosts, self._sha256 = built._table, built._hosts, None
        self._measures = built._measures

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the claims, not the frames cached from them (`to_frame`, `originals`)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_typed", "_originals")}

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        hosts: Sequence[str] | None = None,
        measures: Mapping[str, Sequence[str]] | None = None,
    ) -> Ledger:
        """Validate a data frame of claims and return it as a ledger.

        Parameters
        ----------
        frame : pandas.DataFrame
            One claim per row. Cells may be text, numbers, dates or missing values (NaN, None,
            NaT, ""): the output of `to_frame` is accepted. Datetimes are written back at the
            precision of the first day they fall on (2015-01-01 -> "2015", 2015-10-01 ->
            "2015-10"), so pass text to keep another precision. Problems name ``row N``, the
            position of the row in `frame` (as in ``frame.iloc[N]``). Columns are checked as
            `load_ledger` checks them: a name within two edits of a ledger column
            (``derived_form``) is an error naming the column it probably means; other extra
            columns are kept (`extra_columns`).
        hosts : sequence of str, optional
            Extra host scopes, added to `DEFAULT_HOSTS`.
        measures : mapping of quantity to list of str, optional
            Extra values of the optional ``measure`` column, added to `MEASURES`
            (``{"workers": ["contracts"]}``); the model needs a prior for each
            (``ModelConfig.measures``).

        Returns
        -------
        Ledger

        Raises
        ------
        LedgerError
            Listing every row, field and value that breaks a rule.
        """
        return cls(frame, hosts=hosts, measures=measures)

    @classmethod
    def _from_valid(
        cls, table: pd.DataFrame, hosts: tuple[str, ...], measures: dict[str, tuple[str, ...]]
    ) -> Ledger:
        ledger = cls.__new__(cls)
        ledger._table = table.reset_index(drop=True)
        ledger._hosts, ledger._sha256, ledger._measures = hosts, None, measures
        return ledger

    @property
    def measures(self) -> dict[str, tuple[str, ...]]:
        """Valid values of the ``measure`` column per quantity: `MEASURES` plus declared ones."""
        return dict(self._measures)

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Columns beyond `KNOWN_COLUMNS` (the schema), kept as given, in order.

        An unknown column is kept only when no ledger column is within two edits of its name
        (`load_ledger` refuses ``derived_form``); `to_csv` and `to_frame` carry it along.
        """
        return tuple(c for c in self._table.columns if c not in KNOWN_COLUMNS)

    # -- scopes -----------------------------------------------------------------------------
    @property
    def hosts(self) -> tuple[str, ...]:
        """Host scopes: `DEFAULT_HOSTS` then any declared extra hosts, in order."""
        return self._hosts

    @property
    def valid_scopes(self) -> tuple[str, ...]:
        """Scopes a claim may name: ``"world"``, each host, each group of `DEFAULT_GROUPS`."""
        return _scopes(self._hosts)

    # -- basics -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._table)

    def __repr__(self) -> str:
        originals = int((self._table["derived_from"] == "").sum())
        extra = f", extra columns {', '.join(self.extra_columns)}" if self.extra_columns else ""
        return (f"<Ledger: {len(self)} claims, {originals} originals, sha256 "
                f"{self.sha256[:12]}{extra}>")  # fmt: skip

    def __add__(self, other: Ledger) -> Ledger:
        """Concatenate two ledgers, re-validated; their hosts are united.

        Raises
        ------
        LedgerError
            When the two share an id, or an estimator has a different type in each.
        """
        if not isinstance(other, Ledger):
            return NotImplemented
        table = pd.concat([self._table, other._table], ignore_index=True).fillna("")
        hosts = self._hosts + tuple(h for h in other._hosts if h not in self._hosts)
        measures = {q: (*m, *(x for x in other._measures.get(q, ()) if x not in m))
                    for q, m in self._measures.items()}  # fmt: skip
        rows = list(range(len(table)))
        return _build(table, rows, unit="row", hosts=hosts, measures=measures,
                      source="combined ledger")

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the canonical CSV text (see `to_csv`), encoded as UTF-8."""
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self.to_csv().encode("utf-8")).hexdigest()
        return self._sha256

    # -- export -----------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Return the claims as a new data frame with typed columns.

        Returns
        -------
        pandas.DataFrame
            `COLUMNS` first, then any extra columns. ``low``, ``high`` (persons or US$) and
            ``coverage`` are float64, NaN when absent; ``ref_start`` and ``ref_end`` are int64;
            ``published`` and ``document_date`` are datetime64, the first day of the stated period
            (NaT when absent). Every other column is text, missing (NaN) when empty, as pandas
            users expect: ``frame["derived_from"].notna()`` marks the repeats. The CSV form
            (`to_csv`) keeps empty cells.
        """
        return self._typed.copy()

    @functools.cached_property
    def _typed(self) -> pd.DataFrame:
        """`to_frame`'s frame, typed once: a ledger never changes."""
        frame = self._table.copy()
        text = [c for c in frame.columns
                if c not in (*_NUMBER_COLUMNS, *_YEAR_COLUMNS, *_DATE_COLUMNS)]
        frame[text] = frame[text].where(frame[text] != "", np.nan)
        for name in _NUMBER_COLUMNS:
            frame[name] = np.array([float(v) if v else np.nan for v in frame[name]], dtype=float)
        for name in _YEAR_COLUMNS:
            frame[name] = frame[name].astype(np.int64)
        for name in _DATE_COLUMNS:
            days = [parse_date(v) if v else None for v in frame[name]]
            frame[name] = pd.to_datetime(pd.Series(days, dtype=object)).astype("datetime64[ns]")
        return frame

    def to_csv(self, path: str | PathLike | None = None) -> str | None:
        """Write the canonical CSV form, which `load_ledger` reads back to an equal ledger.

        The canonical form has `COLUMNS` then extra columns, rows in ledger order, numbers in
        their shortest exact form (``50000``, ``0.5``), dates at their stated precision, minimal
        quoting, newline line endings and UTF-8 encoding.

        Parameters
        ----------
        path : str or path-like, optional
            Where to write. When omitted, the text is returned instead.

        Returns
        -------
        str or None
            The CSV text when `path` is None.
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self._table.columns)
        writer.writerows(self._table.itertuples(index=False, name=None))
        if path is None:
            return buffer.getvalue()
        from remitest._io import write_text

        write_text(buffer.getvalue(), Path(path))  # atomically: a temporary file, then a rename
        return None

    # -- selection --------------------------------------------------------------------------
    def filter(self, mask: Sequence[bool] | Callable[[pd.DataFrame], Sequence[bool]]) -> Ledger:
        """Keep the claims where `mask` is True.

        A repeat whose original (or any link of its ``derived_from`` chain) is not kept is
        dropped too, so that every kept repeat still points to a claim in the ledger.

        Parameters
        ----------
        mask : boolean array-like or callable
            One boolean per claim, in ledger order (a Series must have the index of `to_frame`),
            or a callable that takes `to_frame` and returns such a mask.

        Returns
        -------
        Ledger
        """
        if callable(mask):
            mask = mask(self.to_frame())
        if isinstance(mask, pd.Series) and not mask.index.equals(pd.RangeIndex(len(self))):
            raise ValueError("a mask Series must have the index of Ledger.to_frame()")
        keep = np.asarray(mask)
        if keep.dtype != bool or keep.shape != (len(self),):
            raise ValueError(
                f"mask must hold one boolean per claim ({len(self)}); got dtype {keep.dtype}, "
                f"shape {keep.shape}"
            )
        return self._keep(keep)

    def drop(self, ids: str | Iterable[str]) -> Ledger:
        """Remove claims by id, and every repeat derived from them (directly or in a chain).

        Parameters
        ----------
        ids : str or iterable of str

        Returns
        -------
        Ledger

        Raises
        ------
        KeyError
            Naming any id that is not in the ledger.
        """
        ids = {ids} if isinstance(ids, str) else set(ids)
        unknown = sorted(ids - set(self._table["id"]))
        if unknown:
            raise KeyError(f"no claim with id {', '.join(map(repr, unknown))} in this ledger")
        return self._keep(~self._table["id"].isin(ids).to_numpy())

    def originals(self) -> Ledger:
        """Only the claims that repeat no other (each original claim once)."""
        return self._originals

    @functools.cached_property
    def _originals(self) -> Ledger:
        """`originals`, found once: a ledger never changes."""
        return self._keep((self._table["derived_from"] == "").to_numpy())

    def _keep(self, keep: np.ndarray) -> Ledger:
        """Rows where `keep` holds, less the repeats left without their original."""
        keep = keep.copy()
        ids, parents = self._table["id"].to_numpy(), self._table["derived_from"].to_numpy()
        while True:
            kept = set(ids[keep])
            orphaned = keep & np.array([p != "" and p not in kept for p in parents], dtype=bool)
            if not orphaned.any():
                return Ledger._from_valid(self._table[keep], self._hosts, self._measures)
            keep &= ~orphaned

    # -- repeats ----------------------------------------------------------------------------
    def original_id(self, claim_id: str) -> str:
        """Id of the original claim that `claim_id` repeats (itself for an original).

        Raises
        ------
        KeyError
            When `claim_id` is not in the ledger.
        """
        parents = dict(zip(self._table["id"], self._table["derived_from"], strict=True))
        if claim_id not in parents:
            raise KeyError(f"no claim with id {claim_id!r} in this ledger")
        while parents[claim_id]:
            claim_id = parents[claim_id]
        return claim_id

    def repeats(self) -> dict[str, str]:
        """Map each repeat's id to the id of the original claim at the root of its chain."""
        repeat_ids = self._table.loc[self._table["derived_from"] != "", "id"]
        return {claim_id: self.original_id(claim_id) for claim_id in repeat_ids}

    # -- lineage ---------------------------------------------------------------------------
    def suspected_repeats(self) -> pd.DataFrame:
        """Pairs of claims that look like a restatement but are not linked by ``derived_from``.

        A pair (earlier, later) is listed when all of these hold:

        - the same ``quantity`` and ``scope``;
        - the same figure once rounded: the distinct figures of each claim (``low`` and
          ``high``; one for a point) rounded to **two significant figures** are equal, so
          147,000 matches "about 150,000" and 100,000 matches "more than 100,000", while
          120,000 and 100,000, or a range and its upper end alone, do not;
        - the later one is published later, compared at the coarser of the two dates'
          precisions (``2017`` and ``2017-10`` are the same date; on the same date, the one
          higher in the ledger counts as earlier);
        - the later one's reference years overlap the earlier one's, or reach its own
          publication year (an old figure restated as if it were current);
        - the later one is an original: a row that already has a ``derived_from`` is resolved,
          whichever claim it names;
        - the two are not linked: a chain of ``derived_from`` does not lead both to one original;
        - the later one is not marked independent of the earlier one: its ``notes`` do not say
          ``independent of <earlier id>`` (in any case; several ids may follow in one sentence,
          ``independent of kinu-workers and usstate2017-workers``). Naming one claim of a chain
          of ``derived_from`` marks the later one independent of the whole chain.

        Where the earlier claim is a repeat and its original pairs with the same later claim,
        only the original's pair is listed: it stands for the chain.

        Returns
        -------
        pandas.DataFrame
            One row per pair, earlier claim in ledger order then later: ``earlier_id``,
            ``later_id``, ``quantity``, ``scope``, ``earlier_figures`` and ``later_figures``
            (as stated, with thousands separators; ``low-high`` for a range),
            ``earlier_published``, ``later_published``, ``earlier_ref`` and ``later_ref``
            (reference years) and ``reason``. Empty (with these columns) when none is found.
        """
        table = self._table
        rows = table.to_dict("records")
        roots = {r["id"]: self.original_id(r["id"]) for r in rows}
        chains: dict[str, list[str]] = {}
        for claim_id, root in roots.items():
            chains.setdefault(root, []).append(claim_id)
        rounded = [_rounded_figures(r["low"], r["high"]) for r in rows]
        records = []
        for i, earlier in enumerate(rows):
            for j, later in enumerate(rows):
                if (i == j or later["derived_from"]
                        or (earlier["quantity"], earlier["scope"])
                        != (later["quantity"], later["scope"])
                        or rounded[i] != rounded[j]
                        or not _published_after(earlier, later, i < j)
                        or roots[earlier["id"]] == roots[later["id"]]
                        or any(_marked_independent(later["notes"], linked)
                               for linked in chains[roots[earlier["id"]]])):  # fmt: skip
                    continue
                window = _window_reason(earlier, later)
                if window is None:
                    continue
                figures = " and ".join(_number_text(v) for v in rounded[j])
                records.append({
                    "earlier_id": earlier["id"], "later_id": later["id"],
                    "quantity": earlier["quantity"], "scope": earlier["scope"],
                    "earlier_figures": _figures_text(earlier),
                    "later_figures": _figures_text(later),
                    "earlier_published": earlier["published"],
                    "later_published": later["published"],
                    "earlier_ref": _years_text(earlier), "later_ref": _years_text(later),
                    "reason": f"same figure at two significant figures ({figures}), published "
                              f"later, {window}",
                    "_order": (i, j),
                })  # fmt: skip
        pairs = {(r["earlier_id"], r["later_id"]) for r in records}
        records = [r for r in records
                   if roots[r["earlier_id"]] == r["earlier_id"]
                   or (roots[r["earlier_id"]], r["later_id"]) not in pairs]  # fmt: skip
        records.sort(key=lambda r: r.pop("_order"))
        return pd.DataFrame(records, columns=_REPEAT_COLUMNS).astype(str)

    def outlying_figures(self, factor: float = OUTLIER_FACTOR) -> pd.DataFrame:
        """Figures more than `factor` times above or below the median of their quantity and scope.

        Each claim stands for one figure in the median (its value, the geometric mean of a
        range, or its bound), taken over every claim, repeats included, of the same quantity and
        scope; each ``low`` and ``high`` is compared with it. A quantity and scope with one claim
        has no outlier. `load_ledger` warns of each (`FigureOutlierWarning`).

        Parameters
        ----------
        factor : float
            How many times away counts as outlying (default `OUTLIER_FACTOR`, 20).

        Returns
        -------
        pandas.DataFrame
            Indexed by the claim's position in the ledger: ``id``, ``field`` (``low`` or
            ``high``), ``value`` (as written), ``quantity``, ``scope``, ``median`` (float),
            ``n_claims`` (in the quantity and scope) and ``message``.
        """
        records, index = [], []
        for position, name, text, median, count in outlying_figures(self._table, factor):
            row = self._table.iloc[position]
            value = float(text)
            ratio, side = (median / value, "below") if value < median else (value / median, "above")
            why = ("thousands or millions typed as units?" if side == "below"
                   else "a figure typed with too many zeros, or of another quantity or scope?")
            records.append({
                "id": row["id"], "field": name, "value": text, "quantity": row["quantity"],
                "scope": row["scope"], "median": median, "n_claims": count,
                "message": f"is {ratio:,.0f} times {side} the median figure "
                           f"({_number_text(median)}) of the {count} {row['quantity']} "
                           f"claims for {row['scope']} in this ledger; figures are in base "
                           f"units (persons, US$): {why}",
            })  # fmt: skip
            index.append(position)
        columns = ["id", "field", "value", "quantity", "scope", "median", "n_claims", "message"]
        frame = pd.DataFrame(records, columns=columns, index=pd.Index(index, dtype=np.int64))
        return frame.astype({"median": float, "n_claims": np.int64})

    # -- summaries --------------------------------------------------------------------------
    @property
    def published_year(self) -> np.ndarray:
        """Year of ``published`` for each claim, int64, in ledger order."""
        return np.array([int(v[:4]) for v in self._table["published"]], dtype=np.int64)

    def estimators(self) -> pd.DataFrame:
        """One row per estimator, in order of first appearance.

        Returns
        -------
        pandas.DataFrame
            Columns ``estimator``, ``estimator_type``, ``n_claims``.
        """
        grouped = self._table.groupby("estimator", sort=False)
        return pd.DataFrame(
            {"estimator_type": grouped["estimator_type"].first(), "n_claims": grouped.size()}
        ).reset_index()

    def sources(self) -> pd.DataFrame:
        """One row per document, for citing in figure captions.

        Returns
        -------
        pandas.DataFrame
            Columns ``document``, ``outlet``, ``title`` ("" where the document names none),
            ``document_date`` (text at its stated precision: the document's date, or else the
            latest ``published`` of its claims) and ``claim_ids`` (joined with ", ").
        """
        records = []
        for document, claims in self._table.groupby("document", sort=False):
            dates = [d for d in claims["document_date"] if d]
            records.append({
                "document": document,
                "outlet": _first_filled(claims["outlet"]),
                "title": _first_filled(claims["title"]),
                "document_date": dates[0] if dates else max(claims["published"], key=parse_date),
                "claim_ids": ", ".join(claims["id"]),
            })  # fmt: skip
        return pd.DataFrame(records, columns=[
            "document", "outlet", "title", "document_date", "claim_ids"
        ]).astype(str)  # fmt: skip


def load_ledger(
    path: str | PathLike | None = None,
    *,
    hosts: Sequence[str] | None = None,
    measures: Mapping[str, Sequence[str]] | None = None,
) -> Ledger:
    """Read and validate a claims CSV; the file is read once and never changed.

    Parameters
    ----------
    path : str or path-like, optional
        A CSV file with a header line, or the name of a ledger shipped with remitest:

        - None or ``"record"``: the published record, ``remitest/data/record.csv`` (the default);
        - ``"seeds"``: the ten claims of the five seed articles, ``remitest/data/seeds.csv``.

        Any other string is a path. To read a file that is itself called ``seeds`` or
        ``record``, pass ``Path("seeds")`` or ``"./seeds"``.

        Columns may be separated by commas, semicolons or tabs: the header tells which (the
        separator under which it names the most ledger columns). Columns beyond the schema are
        kept (`Ledger.extra_columns`), except a name within two edits of a ledger column
        (``derived_form``, ``coverge``), which is an error naming the column it probably means.
    hosts : sequence of str, optional
        Host scopes beyond `DEFAULT_HOSTS` that claims may use (``hosts=["mongolia"]``).
    measures : mapping of quantity to list of str, optional
        Values of the optional ``measure`` column beyond `MEASURES`
        (``measures={"workers": ["contracts"]}``).

    Returns
    -------
    Ledger

    Raises
    ------
    LedgerError
        Listing every problem, each with its CSV line number (header = line 1), id, field,
        value and what would be valid.

    Warns
    -----
    FigureOutlierWarning
        Once per figure (``low`` or ``high``) more than `OUTLIER_FACTOR` (20) times above or
        below the median figure of the claims with its quantity and scope in this ledger
        (``100`` workers where the others say ``100000``: thousands typed as units?), naming
        the line, id, field and value. See `Ledger.outlying_figures`.
    """
    if path is None or (isinstance(path, str) and path in SHIPPED_LEDGERS):
        name = SHIPPED_LEDGERS["record" if path is None else path]
        data = resources.files("remitest").joinpath("data", name).read_bytes()
        source = f"shipped ledger remitest/data/{name}"
    else:
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError as missing:
            raise _no_ledger(path) from missing
        source = f"claims ledger {str(path)!r}"
    text, problems = _decode(data)
    delimiter = ","
    if not problems:
        delimiter = _sniff_delimiter(text)
        header, records, rows, problems = _read_csv(text, delimiter)
    if problems:
        raise LedgerError(problems, source)
    table = pd.DataFrame(records, columns=header, dtype=str)
    ledger = _build(table, rows, unit="line", hosts=_all_hosts(hosts),
                    measures=_all_measures(measures), source=source,
                    dot_thousands=delimiter == ";")  # fmt: skip
    for outlier in ledger.outlying_figures().itertuples():
        problem = Problem(rows[outlier.Index], outlier.id, outlier.field, outlier.value,
                          outlier.message)  # fmt: skip
        warnings.warn(f"{source}: {problem}", FigureOutlierWarning, stacklevel=2)
    return ledger


def _decode(data: bytes) -> tuple[str, list[Problem]]:
    """The file's text, or the problem that keeps it from being a UTF-8 CSV file."""
    expected = ("a claims ledger is a CSV text file encoded as UTF-8 (in a spreadsheet: save "
                "as 'CSV UTF-8')")
    if b"\x00" in data:
        offset = data.index(b"\x00")
        line = data[:offset].count(b"\n") + 1
        return "", [Problem(line, None, None, None,
                            f"holds a NUL byte at byte {offset}, so it looks like a binary file "
                            f"(a spreadsheet, an archive, a PDF?); {expected}")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        byte = data[error.start:error.start + 1].hex()
        return "", [Problem(line, None, None, None,
                            f"byte 0x{byte} at byte {error.start} is not UTF-8 ({error.reason}); "
                            f"{expected}")]


_DELIMITERS = (",", ";", "\t")


def _sniff_delimiter(text: str) -> str:
    """The separator under which the header names the most ledger columns (commas on a tie)."""
    first = text.split("\n", 1)[0]
    scores = [header_score(next(csv.reader([first], delimiter=d), [])) for d in _DELIMITERS]
    return _DELIMITERS[scores.index(max(scores))]


def _read_csv(
    text: str, delimiter: str = ","
) -> tuple[list[str], list[list[str]], list[int], list[Problem]]:
    """Split CSV text into stripped cells, noting the line each record starts on.

    A header that names no ledger column is the one problem reported (not one per line).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in next(reader, [])]
    unrecognised = unrecognised_header(header)
    if unrecognised:
        return header, [], [], unrecognised
    records, rows, problems, line = [], [], [], reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            message = f"has {len(cells)} fields but the header has {len(header)}"
            problems.append(Problem(start, cells[0].strip() or None, None, None, message))
            continue
        records.append([_cell_text(cell) for cell in cells])
        rows.append(start)
    if not header:
        problems.append(Problem(None, None, None, None, "the file is empty; it needs a header"))
    return header, records, rows, problems


def _no_ledger(path: str | PathLike) -> FileNotFoundError:
    """A missing ledger file, with the shipped ledger it may have meant."""
    text = str(path)
    meant = next((n for n in SHIPPED_LEDGERS if text.strip().lower() == n), None)
    if meant is None:
        hint = f"the shipped ledgers are {', '.join(map(repr, SHIPPED_LEDGERS))}"
    elif not isinstance(path, str):
        hint = f"to read the shipped ledger, pass the string {meant!r}, not a path"
    elif text.strip() != text:
        hint = f"the shipped ledger is {meant!r}, without the spaces around it"
    else:
        hint = f"the shipped ledger is {meant!r}, in lower case"
    return FileNotFoundError(f"no claims ledger at {text!r}; {hint}")  # the OS error: __cause__


def _build(
    table: pd.DataFrame,
    rows: list[int],
    *,
    unit: str,
    hosts: tuple[str, ...],
    measures: dict[str, tuple[str, ...]],
    source: str,
    dot_thousands: bool = False,
) -> Ledger:
    """Validate a text table (columns checked, optional ones added) into a Ledger."""
    column_problems = check_columns(list(table.columns), table, rows, unit=unit)
    if column_problems and (len(set(table.columns)) != len(table.columns)
                            or any(p.field is None for p in column_problems)):
        # a column named twice, or a header that names no ledger column: no cell can be read
        raise LedgerError(column_problems, source)
    absent = {c for c in COLUMNS if c not in table.columns}
    extras = [c for c in table.columns if c not in COLUMNS]
    table = table.reindex(columns=[*COLUMNS, *extras], fill_value="")
    table, problems = validate_table(
        table, rows, unit=unit, scopes=_scopes(hosts), measures=measures,
        dot_thousands=dot_thousands,
    )
    if column_problems:  # with the cells of the columns that are there, minus what the absent
        # ones would make every row repeat: their own empty cells, and with no id every
        # derived_from names no claim
        skip = absent | ({"derived_from"} if "id" in absent else set())
        problems = [p for p in problems if p.field not in skip]
        raise LedgerError(column_problems + problems, source)
    if problems:
        raise LedgerError(problems, source)
    return Ledger._from_valid(table, hosts, measures)


_REPEAT_COLUMNS = [
    "earlier_id", "later_id", "quantity", "scope", "earlier_figures", "later_figures",
    "earlier_published", "later_published", "earlier_ref", "later_ref", "reason",
]  # fmt: skip


def _rounded_figures(low: str, high: str) -> tuple[float, ...]:
    """A claim's distinct figures, each rounded to two significant figures."""
    return tuple(sorted({float(f"{float(v):.2g}") for v in (low, high) if v}))


def _published_after(earlier: dict[str, str], later: dict[str, str], in_order: bool) -> bool:
    """Whether `later` is published after `earlier`, at the coarser of the two precisions.

    On the same date the one higher in the ledger (`in_order`), or else a repeat, is earlier.
    """
    size = min(len(earlier["published"]), len(later["published"]))
    first, second = earlier["published"][:size], later["published"][:size]
    if first != second:
        return second > first
    return in_order or bool(earlier["derived_from"])


def _window_reason(earlier: dict[str, str], later: dict[str, str]) -> str | None:
    """Why the later claim's reference years fit a restatement, or None when they do not."""
    start, end = int(later["ref_start"]), int(later["ref_end"])
    if start <= int(earlier["ref_end"]) and int(earlier["ref_start"]) <= end:
        return f"reference years overlap ({_years_text(earlier)} and {_years_text(later)})"
    published = int(later["published"][:4])
    if end >= published:
        return (f"reference years moved from {_years_text(earlier)} to {_years_text(later)}, "
                f"the later claim's publication year")
    return None


def _marked_independent(notes: str, claim_id: str) -> bool:
    """Whether `notes` say ``independent of`` `claim_id` (several ids may follow in a sentence)."""
    own_id = re.compile(rf"(?<![\w-]){re.escape(claim_id)}(?![\w-])")
    for match in re.finditer(r"independent of\s+(.*?)(?:[;\n]|\.(?:\s|$)|$)", notes,
                             flags=re.IGNORECASE):  # fmt: skip
        if own_id.search(match.group(1)):
            return True
    return False


def _years_text(row: dict[str, str]) -> str:
    start, end = row["ref_start"], row["ref_end"]
    return start if start == end else f"{start}-{end}"


def _figures_text(row: dict[str, str]) -> str:
    """The figures as stated: ``100,000``, ``50,000-60,000``, ``more than 50,000``."""
    low, high, kind = row["low"], row["high"], row["kind"]
    if kind == "range":
        return f"{_number_text(float(low))}-{_number_text(float(high))}"
    if kind == "lower_bound":
        return f"more than {_number_text(float(low))}"
    if kind == "upper_bound":
        return f"up to {_number_text(float(high))}"
    return _number_text(float(low))


def _number_text(value: float) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def _all_measures(measures: Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    """`MEASURES` plus the declared ones, per quantity."""
    out = {q: tuple(m) for q, m in MEASURES.items()}
    for quantity, extra in dict(measures or {}).items():
        if quantity not in out:
            raise ValueError(
                f"measures: {quantity!r} is not a quantity (quantities are {list(out)})"
            )
        if isinstance(extra, str):
            extra = [extra]
        for name in extra:
            if not isinstance(name, str) or not name:
                raise ValueError(f"measures[{quantity!r}]: {name!r} is not a valid measure name")
            if name not in out[quantity]:
                out[quantity] = (*out[quantity], name)
    return out


def _all_hosts(hosts: Sequence[str] | None) -> tuple[str, ...]:
    """`DEFAULT_HOSTS` followed by the extra hosts, each once."""
    if isinstance(hosts, str):
        hosts = [hosts]
    extra = []
    for host in hosts or ():
        if not isinstance(host, str) or not host or host == WORLD or host in DEFAULT_GROUPS:
            raise ValueError(
                f"host {host!r} is not a valid host name: use a non-empty name other than "
                f"{WORLD!r} and {', '.join(map(repr, DEFAULT_GROUPS))}"
            )
        if host not in DEFAULT_HOSTS and host not in extra:
            extra.append(host)
    return (*DEFAULT_HOSTS, *extra)


def _scopes(hosts: tuple[str, ...]) -> tuple[str, ...]:
    return (WORLD, *hosts, *DEFAULT_GROUPS)


def _first_filled(values: Iterable[str]) -> str:
    return next((v for v in values if v), "")


def _cell_text(value: object) -> str:
    """Canonical text of one cell: numbers shortest, dates at first-day precision, "" if missing."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if value is None or (not isinstance(value, Sequence) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return format_number(float(value))
    if isinstance(value, dt.date):  # includes datetime and pandas.Timestamp
        if value.day != 1:
            return f"{value:%Y-%m-%d}"
        return f"{value:%Y}" if value.month == 1 else f"{value:%Y-%m}"
    return str(value).strip()
