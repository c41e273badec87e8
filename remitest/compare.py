"""Compare two fits side by side: a table of differences per year, scope and quantity, and a figure.

Typical use: fit a ledger, drop or add a claim (or change an interpretation or a prior), refit,
then ``rt.compare(fit, refit, labels=("shipped", "without KINU"))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from remitest import posterior
from remitest.fitrecord import Fit
from remitest.ledger import Ledger
from remitest.plots._style import (
    _STYLE,
    QUANTITY_LABELS,
    _series_axes,
    value_limits,
    value_scale,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

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

    def plot(self, *, axes: Any = None, log: bool | None = None,
             yscale: str | None = None) -> Figure:
        """Both fits' world medians with 90% bands per quantity, and the claims that differ.

        In the house style of the other figures: a log value axis by default, scaled tick
        labels with thousands separators, fit a filled and fit b outlined (so that the bands
        never blend into a third colour), claims drawn as elsewhere (whiskers, arrows) with a
        legend that shows what is drawn. :meth:`caption` gives its caption.

        Parameters
        ----------
        axes : sequence of three matplotlib Axes, optional
            One per quantity (workers, remittances, per-worker remittance). Default: a new figure.
        log : bool, optional
            Log value axes (the default); ``log=False`` for linear ones from zero.
        yscale : {"log", "linear"}, optional
            The same choice, in matplotlib's words.

        Returns
        -------
        matplotlib.figure.Figure
        """
        return _plot(self, axes, log=log, yscale=yscale)

    def caption(self, *, log: bool = True) -> str:
        """Caption of :meth:`plot`, ready to paste under it (at most 120 words)."""
        return comparison_caption(self, log=log)

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
    table = _comparison_table(posterior.summary(fit_a), posterior.summary(fit_b), a, b)
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
# Fit a: the posterior blue, filled; fit b: vermillion outlines, unfilled. A filled band under an
# outlined one never blends into a third colour, and each stays readable where they overlap.
_COLOURS = ("#0072B2", "#D55E00")
_CHANGED = "0.15"


def _plot(comparison: Comparison, axes: Any, log: bool | None = None,
          yscale: str | None = None) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch


    use_log = value_scale(log, yscale)
    created = axes is None
    with mpl_context(_STYLE):
        if created:
            figure = Figure(figsize=(7.0, 7.6), layout="constrained")
            axes = figure.subplots(len(_QUANTITIES), 1, sharex=True)
        axes = list(np.ravel(axes))
        if len(axes) != len(_QUANTITIES):
            raise ValueError(f"axes: expected {len(_QUANTITIES)} axes (one per quantity), "
                             f"got {len(axes)}")
        figure = axes[0].figure
        world = comparison.table[comparison.table["scope"] == "world"]
        years_all = np.sort(world["year"].unique())
        for ax, quantity in zip(axes, _QUANTITIES, strict=True):
            rows = world[world["quantity"] == quantity]
            values = []
            for index, (label_fit, colour) in enumerate(zip(comparison.labels, _COLOURS,
                                                            strict=True)):
                have = rows[rows[f"median_{label_fit}"].notna()]
                years = have["year"].to_numpy()
                low, high = have[f"q05_{label_fit}"], have[f"q95_{label_fit}"]
                if index == 0:
                    ax.fill_between(years, low, high, color=colour, alpha=0.22, lw=0, zorder=1)
                    ax.plot(years, have[f"median_{label_fit}"], color=colour, lw=1.6, zorder=3)
                else:
                    ax.plot(years, low, color=colour, lw=0.9, ls=(0, (4, 2)), zorder=2)
                    ax.plot(years, high, color=colour, lw=0.9, ls=(0, (4, 2)), zorder=2)
                    ax.plot(years, have[f"median_{label_fit}"], color=colour, lw=1.6, ls="--",
                            zorder=3)
                values += [low.to_numpy(float), high.to_numpy(float)]
            values.append(_draw_claims(ax, comparison, quantity))
            numbers = np.concatenate(values)
            numbers = numbers[np.isfinite(numbers) & (numbers > 0)]
            _series_axes(ax, quantity, years_all)
            ax.set_title(f"{QUANTITY_LABELS[quantity]}, world", loc="left")
            if len(numbers):
                value_limits(ax, float(numbers.min()), float(numbers.max()), log=use_log,
                             room_low=True, room_high=True)
        for ax in axes[:-1]:
            ax.tick_params(labelbottom=False)
        a, b = comparison.labels
        entries: list[Any] = [
            ((Patch(color=_COLOURS[0], alpha=0.22, lw=0), Line2D([], [], color=_COLOURS[0],
                                                                  lw=1.6)),
             f"{a}: median and 90% interval (filled)"),
            ((Line2D([], [], color=_COLOURS[1], lw=0.9, ls=(0, (4, 2))),
              Line2D([], [], color=_COLOURS[1], lw=1.6, ls="--")),
             f"{b}: median and 90% interval (dashed edges)"),
        ]
        changes = set(comparison.claims["change"]) if len(comparison.claims) else set()
        for change, colour in ((f"only in {a}", _COLOURS[0]), (f"only in {b}", _COLOURS[1]),
                               ("changed", _CHANGED)):
            if change in changes:
                entries.append((Line2D([], [], ls="", marker="o", mfc="white", mec=colour,
                                       mew=1.4, ms=6), f"claim {change}"))
        kinds = set(comparison.claims["kind"]) if len(comparison.claims) else set()
        if "range" in kinds:
            entries.append((Line2D([], [], ls="", marker="|", color="0.2", ms=9, mew=1.0),
                            "range (whisker)"))
        bounds = [k for k in ("lower_bound", "upper_bound") if k in kinds]
        if bounds:
            arrows = tuple(Line2D([], [], ls="", color="0.2", ms=8, marker=r"$\uparrow$"
                                  if k == "lower_bound" else r"$\downarrow$") for k in bounds)
            words = {"lower_bound": "\u201cmore than\u201d",
                     "upper_bound": "\u201cas high as\u201d"}
            entries.append((arrows, "bound: " + ", ".join(words[k] for k in bounds)))
        options = {"handler_map": {tuple: HandlerTuple(ndivide=None, pad=0.3)},
                   "frameon": False, "handlelength": 2.4}
        handles, labels = [h for h, _ in entries], [t for _, t in entries]
        if created:
            figure.legend(handles, labels, loc="outside lower center", ncols=2, **options)
        else:
            axes[0].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                           **options)
        for ax in figure.axes:
            ax.tick_params(labelsize=_STYLE["xtick.labelsize"], width=0.6)
    return figure


def mpl_context(style: dict[str, Any]) -> Any:
    import matplotlib as mpl

    return mpl.rc_context(style)


def _draw_claims(ax: Any, comparison: Comparison, quantity: str) -> np.ndarray:
    """Draw the claims that differ, as the other figures draw claims; their values (base units).

    Hollow markers, whiskers for ranges, arrows for bounds (up: "more than"), bars across
    multi-year periods, each labelled by its id; colour says which ledger holds the claim
    (black: a claim that both hold, changed).
    """
    from matplotlib import transforms

    a, b = comparison.labels
    colour_of = {f"only in {a}": _COLOURS[0], f"only in {b}": _COLOURS[1], "changed": _CHANGED}
    claims = comparison.claims[comparison.claims["quantity"] == quantity]
    values = []
    for claim in claims.itertuples(index=False):
        colour = colour_of[claim.change]
        x = (claim.ref_start + claim.ref_end) / 2
        low, high = claim.low, claim.high
        value = high if pd.isna(low) else (low if pd.isna(high) else np.sqrt(low * high))
        values += [v for v in (low, high, value) if not pd.isna(v)]
        ax.plot([x], [value], marker="o", ms=6, mfc="white", mec=colour, mew=1.4, ls="",
                zorder=4, clip_on=False)
        if claim.kind == "range":
            ax.vlines(x, low, high, color=colour, lw=1.2, zorder=4)
        if claim.ref_end > claim.ref_start:
            ax.hlines(value, claim.ref_start, claim.ref_end, color=colour, lw=1.0, zorder=4)
        if claim.kind in ("lower_bound", "upper_bound"):
            head = transforms.offset_copy(ax.transData, fig=ax.figure, x=0,
                                          y=14 if claim.kind == "lower_bound" else -14,
                                          units="points")
            arrow = ax.annotate("", xy=(x, value), xycoords=head, xytext=(x, value),
                                textcoords="data", annotation_clip=False,
                                arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.0,
                                            "mutation_scale": 7, "shrinkA": 3, "shrinkB": 0},
                                zorder=4)
            arrow.set_in_layout(False)
        scope = "" if claim.scope == "world" else f" ({claim.scope})"
        label = ax.annotate(f"{claim.id}{scope}", (x, value), xytext=(5, 3),
                            textcoords="offset points", fontsize=6.5, color=colour)
        label.set_in_layout(False)
    return np.asarray(values, dtype=float)


def comparison_caption(comparison: Comparison, *, log: bool = True) -> str:
    """Caption of ``Comparison.plot()``: what it shows, which claims differ, both runs."""
    a, b = comparison.labels
    n = len(comparison.claims)
    changes = list(dict.fromkeys(comparison.claims["change"])) if n else []
    colour = {f"only in {a}": f"blue: only in {a}", f"only in {b}": f"vermillion: only in {b}",
              "changed": "black: changed"}
    which = "; ".join(colour[c] for c in changes)
    differ = (f"Hollow markers: the {'claim that differs' if n == 1 else f'{n} claims that differ'}"
              f" between the two ledgers ({which}), labelled by id." if n
              else "Both fits use the same claims.")
    return (
        f"World series of two fits, {a} (blue: median, 90% interval filled) and {b} "
        f"(vermillion: dashed median, dashed 90% interval edges), per quantity "
        f"({'log' if log else 'linear'} scale). {differ} Runs: {a} {comparison.fit_a.run_id}, "
        f"{b} {comparison.fit_b.run_id}."
    )
