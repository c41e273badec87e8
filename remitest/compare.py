"""Compare two fits side by side: a table of differences per year, scope and quantity, and a figure.

Typical use: fit a ledger, drop or add a claim (or change an interpretation or a prior), refit,
then ``rt.compare(fit, refit, labels=("shipped", "without KINU"))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from remitest.fit_result import Fit
    from remitest.ledger import Ledger

__all__ = ["Comparison", "compare", "ledger_differences"]

_KEYS = ["year", "scope", "quantity"]
_STATS = ("median", "q05", "q95")
_QUANTITIES = ("workers", "remittances_usd", "per_worker_usd")


@dataclass(frozen=True)
class Comparison:
    """Two fits side by side.

    Attributes
    ----------
    table : DataFrame
        One row per year, scope and quantity present in either fit: ``median_<a>``, ``q05_<a>``,
        ``q95_<a>``, the same for ``<b>`` (base units), ``median_diff`` (b - a, base units),
        ``median_rel_diff`` ((b - a) / a), and ``intervals_overlap`` (whether the 90% intervals
        q05-q95 overlap; missing where a fit lacks the row).
    claims : DataFrame
        The claims that differ between the two ledgers: ``id``, ``change`` (``only in <a>``,
        ``only in <b>`` or ``changed``), ``quantity``, ``kind``, ``low``, ``high``,
        ``ref_start``, ``ref_end``, ``scope``, ``estimator``.
    fit_a, fit_b : Fit
    labels : tuple of str
    """

    table: pd.DataFrame
    claims: pd.DataFrame
    fit_a: Fit
    fit_b: Fit
    labels: tuple[str, str]

    def plot(self, *, axes: Any = None) -> Figure:
        """Both fits' world medians with 90% bands per quantity, and the claims that differ.

        Parameters
        ----------
        axes : sequence of three matplotlib Axes, optional
            One per quantity (workers, remittances, per-worker remittance). Default: a new figure.

        Returns
        -------
        matplotlib.figure.Figure
        """
        return _plot(self, axes)

    def __repr__(self) -> str:
        a, b = self.labels
        world = self.table[self.table["scope"] == "world"]
        largest = world.loc[world["median_rel_diff"].abs().idxmax()] if world[
            "median_rel_diff"].notna().any() else None
        lines = [f"<Comparison {a} ({self.fit_a.run_id}) vs {b} ({self.fit_b.run_id}): "
                 f"{len(self.claims)} claims differ"]
        if largest is not None:
            lines.append(f"  largest world median change: {largest['quantity']} "
                         f"{int(largest['year'])} {largest['median_rel_diff']:+.1%}>")
        else:
            lines[0] += ">"
        return "\n".join(lines)


def compare(fit_a: Fit, fit_b: Fit, *, labels: tuple[str, str] = ("a", "b")) -> Comparison:
    """Compare two fits' yearly summaries, and list the claims that differ between their ledgers.

    Parameters
    ----------
    fit_a, fit_b : Fit
        Fits of the same series (their years and hosts may differ; rows present in only one fit
        have missing values for the other).
    labels : (str, str)
        Names of the two fits, used as column suffixes and in the figure legend.

    Returns
    -------
    Comparison
    """
    a, b = (str(label) for label in labels)
    if a == b:
        raise ValueError(f"labels = {labels!r}: the two labels must differ")
    table = _comparison_table(fit_a.summary(), fit_b.summary(), a, b)
    claims = ledger_differences(fit_a.ledger, fit_b.ledger, labels=(a, b))
    return Comparison(table=table, claims=claims, fit_a=fit_a, fit_b=fit_b, labels=(a, b))


def _comparison_table(summary_a: pd.DataFrame, summary_b: pd.DataFrame, a: str, b: str
                      ) -> pd.DataFrame:
    left = summary_a[[*_KEYS, *_STATS]].rename(columns={s: f"{s}_{a}" for s in _STATS})
    right = summary_b[[*_KEYS, *_STATS]].rename(columns={s: f"{s}_{b}" for s in _STATS})
    table = left.merge(right, on=_KEYS, how="outer", sort=False)
    table = _ordered(table, summary_a, summary_b)
    median_a, median_b = table[f"median_{a}"].to_numpy(float), table[f"median_{b}"].to_numpy(float)
    table["median_diff"] = median_b - median_a
    with np.errstate(divide="ignore", invalid="ignore"):
        table["median_rel_diff"] = np.where(median_a != 0, (median_b - median_a) / median_a,
                                            np.nan)
    overlap = (table[f"q05_{a}"] <= table[f"q95_{b}"]) & (table[f"q05_{b}"] <= table[f"q95_{a}"])
    known = table[[f"q05_{a}", f"q95_{b}"]].notna().all(axis=1)
    table["intervals_overlap"] = pd.array(overlap.where(known), dtype="boolean")
    return table


def _ordered(table: pd.DataFrame, *summaries: pd.DataFrame) -> pd.DataFrame:
    """Rows by year, then scope and quantity in the order the summaries list them."""
    scopes = list(dict.fromkeys(s for frame in summaries for s in frame["scope"]))
    quantities = list(dict.fromkeys(q for frame in summaries for q in frame["quantity"]))
    order = pd.DataFrame({
        "scope_rank": table["scope"].map({s: i for i, s in enumerate(scopes)}),
        "quantity_rank": table["quantity"].map({q: i for i, q in enumerate(quantities)}),
    })  # fmt: skip
    keys = np.lexsort((order["quantity_rank"], order["scope_rank"], table["year"].to_numpy()))
    table = table.iloc[keys].reset_index(drop=True)
    table["year"] = table["year"].astype(np.int64)
    return table


def ledger_differences(ledger_a: Ledger, ledger_b: Ledger, *,
                       labels: tuple[str, str] = ("a", "b")) -> pd.DataFrame:
    """Claims present in only one ledger, or with the same id but different content.

    Returns
    -------
    DataFrame
        ``id``, ``change`` and the claim's ``quantity, kind, low, high, ref_start, ref_end,
        scope, estimator`` (from ``ledger_b`` for a changed claim).
    """
    a, b = labels
    frame_a, frame_b = ledger_a.to_frame(), ledger_b.to_frame()
    columns = ["quantity", "kind", "low", "high", "ref_start", "ref_end", "scope", "estimator"]
    rows_a = {row["id"]: row for _, row in frame_a.iterrows()}
    rows_b = {row["id"]: row for _, row in frame_b.iterrows()}
    records = []
    for claim_id, row in rows_a.items():
        if claim_id not in rows_b:
            records.append({"id": claim_id, "change": f"only in {a}", **row[columns]})
    for claim_id, row in rows_b.items():
        if claim_id not in rows_a:
            records.append({"id": claim_id, "change": f"only in {b}", **row[columns]})
        elif not _same_claim(rows_a[claim_id], row):
            records.append({"id": claim_id, "change": "changed", **row[columns]})
    return pd.DataFrame(records, columns=["id", "change", *columns])


def _same_claim(row_a: pd.Series, row_b: pd.Series) -> bool:
    if list(row_a.index) != list(row_b.index):
        return False
    return all((pd.isna(x) and pd.isna(y)) or x == y for x, y in zip(row_a, row_b, strict=True))


# -- figure -----------------------------------------------------------------------------------
_COLOURS = ("#1b6ca8", "#d1495b")
_UNITS = {"workers": ("workers abroad\n(thousands)", 1e3),
          "remittances_usd": ("remittances\n(US$ million per year)", 1e6),
          "per_worker_usd": ("per worker\n(US$ per year)", 1.0)}
_MARKERS = {"point": "o", "range": "o", "lower_bound": "^", "upper_bound": "v"}


def _plot(comparison: Comparison, axes: Any) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    created = axes is None
    if created:
        figure = Figure(figsize=(7.0, 7.6), layout="constrained")
        axes = figure.subplots(len(_QUANTITIES), 1, sharex=True)
    axes = list(np.ravel(axes))
    if len(axes) != len(_QUANTITIES):
        raise ValueError(f"axes: expected {len(_QUANTITIES)} axes (one per quantity), "
                         f"got {len(axes)}")
    figure = axes[0].figure
    world = comparison.table[comparison.table["scope"] == "world"]
    for ax, quantity in zip(axes, _QUANTITIES, strict=True):
        label, scale = _UNITS[quantity]
        rows = world[world["quantity"] == quantity]
        for label_fit, colour in zip(comparison.labels, _COLOURS, strict=True):
            have = rows[rows[f"median_{label_fit}"].notna()]
            years = have["year"].to_numpy()
            ax.fill_between(years, have[f"q05_{label_fit}"] / scale,
                            have[f"q95_{label_fit}"] / scale, color=colour, alpha=0.18, lw=0)
            ax.plot(years, have[f"median_{label_fit}"] / scale, color=colour, lw=1.8)
        _draw_claims(ax, comparison, quantity, scale)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, lw=0.5)
    axes[-1].set_xlabel("year")
    handles: list[Any] = []
    for label_fit, colour in zip(comparison.labels, _COLOURS, strict=True):
        handles += [Line2D([], [], color=colour, lw=1.8, label=f"{label_fit}: median"),
                    Patch(color=colour, alpha=0.18, label=f"{label_fit}: 90% interval")]
    if len(comparison.claims):
        handles.append(Line2D([], [], color="k", marker="o", ls="", mfc="none",
                              label="claim in one ledger only (colour: which) or changed (black)"))
    if created:
        figure.legend(handles=handles, fontsize="small", ncols=2, loc="outside lower center")
    else:
        axes[0].legend(handles=handles, fontsize="small", ncols=2, loc="best")
    a, b = comparison.labels
    axes[0].set_title(f"{a} ({comparison.fit_a.run_id}) vs {b} ({comparison.fit_b.run_id}), "
                      "world", fontsize="medium")
    return figure


def _draw_claims(ax: Any, comparison: Comparison, quantity: str, scale: float) -> None:
    """Draw the claims that differ: markers (bounds as triangles), whiskers for ranges."""
    a, b = comparison.labels
    colour_of = {f"only in {a}": _COLOURS[0], f"only in {b}": _COLOURS[1], "changed": "k"}
    claims = comparison.claims[comparison.claims["quantity"] == quantity]
    for claim in claims.itertuples(index=False):
        colour = colour_of[claim.change]
        x = (claim.ref_start + claim.ref_end) / 2
        low, high = claim.low, claim.high
        value = high if pd.isna(low) else (low if pd.isna(high) else np.sqrt(low * high))
        ax.plot([x], [value / scale], marker=_MARKERS[claim.kind], ms=7, mfc="none",
                mec=colour, mew=1.6, ls="", zorder=4)
        if claim.kind == "range":
            ax.vlines(x, low / scale, high / scale, color=colour, lw=1.4, zorder=4)
        if claim.ref_end > claim.ref_start:
            ax.hlines(value / scale, claim.ref_start, claim.ref_end, color=colour, lw=1.0)
        scope = "" if claim.scope == "world" else f" ({claim.scope})"
        ax.annotate(f"{claim.id}{scope}", (x, value / scale), xytext=(4, 4),
                    textcoords="offset points", fontsize="x-small", color=colour)
