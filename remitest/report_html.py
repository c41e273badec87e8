"""``report.html``: the run folder on one self-contained page, for readers who open no CSV.

The page holds the headline numbers (world workers and remittances in the years that claims
cover: median and central 90% interval, rounded to what the interval supports), every figure
with its caption, the diagnostics against the gate, and the sources table (``sources.csv``).
Figures are embedded as base64 PNG and the style sheet is inline: the page loads nothing from
anywhere, runs no script, and can be mailed or archived as one file.

:func:`render_report` builds the page's text from a fit and what the run folder holds;
``remitest.export`` writes it (``write_run``, and ``remitest plot`` redraws it with the figures).
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from remitest._version import __version__
from remitest.fitrecord import Fit

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "render_report", "round_to_interval", "rounding_step", "figures_in", "covered_years",
    "FIGURE_TITLES",
]

#: Short titles of the figures of ``remitest.plots.FIGURES``, above their captions.
FIGURE_TITLES = {
    "series": "Yearly series with the published claims",
    "biases": "Estimator biases: how far each source runs above or below the truth",
    "host_split": "Where the workers are: each host's share",
    "ppc": "Which claims the fit finds surprising",
}
_HEADLINE = ("workers", "remittances_usd")
_EVIDENCE_MARKS = {"no claim": "\u2020", "identity": "\u2021", "beyond fit": "\u00a7"}
_EVIDENCE_NOTES = {
    "no claim": "no claim covers the year: the series is carried there from the years around "
                "it, so read the interval rather than the median",
    "identity": "no claim of this quantity covers the year; claims on the other two quantities "
                "reach it through remittances = workers \u00d7 remittance per worker",
    "beyond fit": "beyond the fitted years",
}


# -- rounding ---------------------------------------------------------------------------------
def _decade(value: float) -> int:
    """Power of ten of the leading digit of ``value`` (``79_421`` -> 4)."""
    return math.floor(math.log10(abs(value)))


def _step(value: float, step: float) -> float:
    """The step of one number: two significant figures of its own, or ``step`` where finer."""
    if value == 0 or not math.isfinite(value):
        return step
    return min(step, 10.0 ** (_decade(value) - 1))


def rounding_step(medians: Sequence[float], lows: Sequence[float], highs: Sequence[float]
                  ) -> float:
    """The finest rounding step that a column of medians with their intervals supports.

    The place of the leading digit of the narrowest interval's half-width: a number rounds to
    two significant figures of its own, or to this step where it is finer (a narrow interval
    supports more digits). Where no row has an interval, three significant figures of the
    smallest median.

    Parameters
    ----------
    medians, lows, highs : sequence of float
        The medians and the ends of their intervals; non-finite rows are ignored.

    Returns
    -------
    float
        The step (10,000.0 for 79,421 with 50,759 to 116,679; 100.0 with 78,800 to 80,060).
    """
    rows = [(m, lo, hi) for m, lo, hi in zip(medians, lows, highs, strict=True)
            if all(math.isfinite(v) for v in (m, lo, hi))]
    halves = [(hi - lo) / 2 for _, lo, hi in rows if hi > lo]
    if halves:
        return 10.0 ** _decade(min(halves))
    levels = [abs(m) for m, _, _ in rows if m]
    return 10.0 ** (_decade(min(levels)) - 2) if levels else 1.0


def round_to_interval(median: float, low: float, high: float, *, step: float | None = None
                      ) -> tuple[float, float, float]:
    """Round a median and its interval to the precision that the interval supports.

    Each number keeps two significant figures, and more only where the interval is narrow
    enough to support them (:func:`rounding_step`): 79,421 (50,759 to 116,679) becomes 79,000
    (51,000 to 120,000), 79,421 (78,800 to 80,060) becomes 79,400 (78,800 to 80,100), and
    487,654,321 (312,345,678 to 760,123,456) becomes 490,000,000 (310,000,000 to 760,000,000).

    Parameters
    ----------
    median, low, high : float
        The median and the ends of its interval (any unit).
    step : float, optional
        A step shared with other rows (a table's column, :func:`rounding_step` of all its
        rows); default: this row's own.

    Returns
    -------
    tuple of float
        The rounded median, low and high; non-finite input comes back as it was.
    """
    if not all(math.isfinite(v) for v in (median, low, high)):
        return median, low, high
    steps = _steps(median, low, high, step)
    m, lo, hi = (_round(v, s) for v, s in zip((median, low, high), steps, strict=True))
    return m, lo, hi


def _steps(median: float, low: float, high: float, step: float | None = None
           ) -> tuple[float, float, float]:
    """The rounding step of the median, the low end and the high end."""
    step = rounding_step([median], [low], [high]) if step is None else step
    return _step(median, step), _step(low, step), _step(high, step)


def _round(value: float, step: float) -> float:
    return float(round(value / step) * step) if step > 0 else value


def _decimals(step: float) -> int:
    return max(0, -_decade(step)) if step > 0 else 0


def _format_count(value: float, step: float) -> str:
    return f"{value:,.{_decimals(step)}f}"


def _money_unit(value: float) -> tuple[float, str]:
    if abs(value) >= 1e9:
        return 1e9, " billion"
    if abs(value) >= 1e6:
        return 1e6, " million"
    return 1.0, ""


class _Column:
    """How one quantity's numbers are written in a table column and its lead box (one unit)."""

    def __init__(self, quantity: str, rows: pd.DataFrame) -> None:
        self.quantity = quantity
        medians = rows["median"].to_numpy(float)
        finite = np.abs(medians[np.isfinite(medians) & (medians != 0)])
        self.scale, self.unit = ((1.0, "") if quantity == "workers" or not len(finite)
                                 else _money_unit(float(finite.min())))

    def text(self, median: float, low: float, high: float, *, dollars: bool
             ) -> tuple[str, str]:
        """The rounded median and its interval: ``("79,000", "51,000–117,000")``."""
        if not all(math.isfinite(v) for v in (median, low, high)):
            return "not available", ""
        rounded = round_to_interval(median, low, high)  # each row to its own interval
        steps = _steps(median, low, high)
        m, lo, hi = (_format_count(v / self.scale, s / self.scale)
                     for v, s in zip(rounded, steps, strict=True))
        sign = "US$" if dollars and self.quantity != "workers" else ""
        return f"{sign}{m}{self.unit}", f"{sign}{lo}–{hi}{self.unit}"


# -- the page ---------------------------------------------------------------------------------
def render_report(fit: Fit, *, summary: pd.DataFrame, sources: pd.DataFrame,
                  figures: Sequence[tuple[str, bytes, str]] = (),
                  files: Sequence[str] = ()) -> str:
    """The text of ``report.html``: one self-contained page about one run.

    Parameters
    ----------
    fit : Fit
    summary : DataFrame
        ``posterior.summary(fit)`` (the run's ``summary.csv``).
    sources : DataFrame
        ``captions.sources_table(fit.ledger)`` (the run's ``sources.csv``).
    figures : sequence of (name, png bytes, caption)
        The figures, in order; none when the run was written without figures.
    files : sequence of str
        The other files of the run folder, listed at the end of the page.

    Returns
    -------
    str
        HTML5 with inline CSS, the figures as ``data:image/png;base64`` images, no script and
        no address of anything outside the page.
    """
    years = covered_years(summary)
    parts = [
        _head(fit),
        "<body>\n<main>",
        _header(fit, sources),
        _headline(summary, years),
        _figures(figures),
        _diagnostics(fit),
        _sources(sources),
        _footer(fit, files),
        "</main>\n</body>\n</html>\n",
    ]
    return "\n".join(p for p in parts if p)


def covered_years(summary: pd.DataFrame) -> list[int]:
    """Every year from the first to the last that a claim covers (all years if none does)."""
    world = summary[summary["scope"] == "world"]
    years = sorted(int(y) for y in world["year"].unique())
    if "n_claims" not in world:
        return years
    counts = world.groupby("year")["n_claims"].sum()
    covered = [int(y) for y in counts.index[counts.to_numpy() > 0]]
    return [y for y in years if covered[0] <= y <= covered[-1]] if covered else years


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


_CSS = """
:root { --ink: #1a1a1a; --muted: #5a5a5a; --rule: #d6d6d6; --band: #0072B2;
        --ok: #1b6e3a; --fail: #a3231f; --paper: #ffffff; --tint: #f4f6f8; }
* { box-sizing: border-box; }
html { background: var(--paper); }
body { margin: 0; color: var(--ink); font: 16px/1.5 Georgia, "DejaVu Serif", "Times New Roman",
       serif; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.5rem 3rem; }
h1, h2, h3, .run, table, figcaption, .note, footer, .verdict, .lead-label {
  font-family: "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
h1 { font-size: 1.85rem; line-height: 1.2; margin: 0 0 .4rem; }
h2 { font-size: 1.3rem; margin: 2.6rem 0 .8rem; padding-bottom: .3rem;
     border-bottom: 2px solid var(--ink); }
.run { color: var(--muted); font-size: .85rem; margin: 0 0 1rem; }
.run code { font-size: .8rem; }
.verdict { display: inline-block; padding: .35rem .8rem; border-radius: 3px; font-weight: 600;
           font-size: .95rem; }
.verdict.ok { background: #e4f2e8; color: var(--ok); }
.verdict.fail { background: #f9e3e2; color: var(--fail); }
.lead { display: flex; flex-wrap: wrap; gap: 1rem; margin: 1rem 0 1.4rem; }
.lead div { flex: 1 1 16rem; background: var(--tint); border-left: 4px solid var(--band);
            padding: .8rem 1rem; }
.lead-label { display: block; color: var(--muted); font-size: .85rem; }
.lead strong { display: block; font-size: 1.9rem; line-height: 1.2;
               font-family: "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
.lead span.interval { font-size: .95rem; color: var(--muted);
                      font-family: "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--rule);
         vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.num .interval { display: block; padding-right: .7em; color: var(--muted); font-size: .8rem; }
sup.mark { color: var(--muted); width: .7em; display: inline-block;
           text-align: left; }
tr.faint td { color: var(--muted); }
.note { color: var(--muted); font-size: .85rem; margin: .4rem 0; }
.note p { margin: .2rem 0; }
figure { margin: 1.6rem 0 2.4rem; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto;
             border: 1px solid var(--rule); }
figcaption { font-size: .85rem; color: #333; margin-top: .6rem; line-height: 1.45; }
figcaption b { color: var(--ink); }
td.met { color: var(--ok); font-weight: 600; }
td.unmet { color: var(--fail); font-weight: 600; }
ul.failures { color: var(--fail); }
table.sources td:first-child { text-align: right; color: var(--muted); }
table.sources td.date { white-space: nowrap; }
table.sources td { padding-top: .25rem; padding-bottom: .25rem; font-size: .85rem; }
table.headline { width: auto; min-width: 60%; }
table.headline th.num, table.headline td.num { padding-left: 3rem; }
.address { word-break: break-all; font-size: .8rem; color: var(--muted); }
footer { margin-top: 3rem; padding-top: .8rem; border-top: 1px solid var(--rule);
         color: var(--muted); font-size: .8rem; }
footer code { font-size: .78rem; }
@media print { main { max-width: none; padding: 0; } figure { break-inside: avoid; } }
"""


def _head(fit: Fit) -> str:
    title = f"North Korean workers abroad: remitest run {fit.run_id}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"remitest {_e(__version__)}\">\n"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>"
    )


def _header(fit: Fit, sources: pd.DataFrame) -> str:
    years = np.asarray(fit.years)
    n_documents = _n_documents(sources)
    diagnostics = fit.diagnostics
    verdict = ("<p class=\"verdict ok\">Diagnostics gate passed</p>" if diagnostics.passed else
               "<p class=\"verdict fail\">Diagnostics gate FAILED: the sampler did not converge "
               "well enough; the numbers below may not be trustworthy (see Diagnostics)</p>")
    documents = f" from {n_documents} document{'s' if n_documents != 1 else ''}" \
        if n_documents else ""
    return (
        "<header>\n<h1>North Korean workers abroad and the remittances they send</h1>\n"
        f"<p class=\"run\">Reconciled from {len(fit.ledger)} published claims{documents}, "
        f"{int(years[0])}\u2013{int(years[-1])}. remitest {_e(__version__)}, run "
        f"<code>{_e(fit.run_id)}</code>, ledger SHA-256 <code>{_e(fit.ledger.sha256[:12])}"
        f"</code>, seed {int(fit.random_seed)}, {_e(fit.sampler)} sampler, "
        f"{int(fit.n_chains)} chains \u00d7 {int(fit.n_draws)} draws.</p>\n{verdict}\n</header>"
    )


def _n_documents(sources: pd.DataFrame) -> int:
    columns = [c for c in ("outlet", "title", "date") if c in sources.columns]
    if not columns or not len(sources):
        return 0
    return int(len(sources[columns].astype(str).drop_duplicates()))


def _world(summary: pd.DataFrame, quantity: str, year: int) -> Any:
    rows = summary[(summary["scope"] == "world") & (summary["quantity"] == quantity)
                   & (summary["year"] == year)]
    return rows.iloc[0] if len(rows) else None


def _headline(summary: pd.DataFrame, years: Sequence[int]) -> str:
    quantities = [q for q in _HEADLINE if q in set(summary["quantity"])]
    if not years or not quantities:
        return ""
    labels = {"workers": "Workers abroad",
              "remittances_usd": "Remittances reaching the state, US$ a year"}
    world = summary[(summary["scope"] == "world") & summary["year"].isin(list(years))]
    columns = {q: _Column(q, world[world["quantity"] == q]) for q in quantities}
    lead_year = _lead_year(summary, years)
    lead = []
    for quantity in quantities:
        row = _world(summary, quantity, lead_year)
        if row is None:
            continue
        median, interval = columns[quantity].text(row["median"], row["q05"], row["q95"],
                                                  dollars=True)
        what = ("North Korean workers abroad" if quantity == "workers" else
                "Remittances reaching the state")
        lead.append(f"<div><span class=\"lead-label\">{_e(what)} in {lead_year}</span>"
                    f"<strong>{_e(median)}</strong><span class=\"interval\">90% interval "
                    f"{_e(interval)}</span></div>")
    rows, used = [], set()
    for year in years:
        cells = [f"<th scope=\"row\">{int(year)}</th>"]
        for quantity in quantities:
            row = _world(summary, quantity, year)
            if row is None:
                cells.append("<td class=\"num\">\u2013</td>")
                continue
            median, interval = columns[quantity].text(row["median"], row["q05"], row["q95"],
                                                      dollars=False)
            evidence = str(row.get("evidence", "claims"))
            mark = _EVIDENCE_MARKS.get(evidence, "")
            if mark:
                used.add(evidence)
            cells.append(f"<td class=\"num\">{_e(median)}<sup class=\"mark\">{mark}</sup>"
                         f"<span class=\"interval\">{_e(interval)}</span></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    header = "".join(f"<th class=\"num\">{_e(labels[q])}</th>" for q in quantities)
    notes = [f"<p>{mark} {_e(_EVIDENCE_NOTES[evidence])}.</p>"
             for evidence, mark in _EVIDENCE_MARKS.items() if evidence in used]
    return (
        "<section id=\"headline\">\n<h2>Headline numbers</h2>\n"
        f"<div class=\"lead\">{''.join(lead)}</div>\n"
        "<table class=\"headline\">\n<thead><tr><th>Year</th>" + header + "</tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>\n"
        "<div class=\"note\"><p>The world series in every year that claims cover: posterior "
        "median, with the central 90% interval below it (under the model, a 90% chance that "
        "the number lies inside). Numbers are rounded to what the intervals support: two "
        "significant figures, more only where the intervals are narrow; <code>summary.csv</code> "
        "has them at full precision, for every year, host and quantity.</p>"
        + "".join(notes) + "</div>\n</section>"
    )


def _lead_year(summary: pd.DataFrame, years: Sequence[int]) -> int:
    """The latest covered year that a claim on workers covers, else the latest covered year."""
    world = summary[(summary["scope"] == "world") & (summary["quantity"] == "workers")]
    if "evidence" in world:
        claimed = [int(y) for y in world.loc[world["evidence"] == "claims", "year"]
                   if int(y) in set(years)]
        if claimed:
            return max(claimed)
    return int(years[-1])


def _figures(figures: Sequence[tuple[str, bytes, str]]) -> str:
    if not figures:
        return ("<section id=\"figures\">\n<h2>Figures</h2>\n<p class=\"note\">This run was "
                "written without figures (<code>--no-figures</code>); <code>remitest plot "
                "RUN_DIR</code> draws them and this page again.</p>\n</section>")
    blocks = []
    for number, (name, png, caption) in enumerate(figures, start=1):
        title = FIGURE_TITLES.get(name, name.replace("_", " ").capitalize())
        data = base64.b64encode(png).decode("ascii")
        paragraphs = [p.strip() for p in caption.strip().split("\n\n") if p.strip()]
        text = "</p><p>".join(_e(p).replace("\n", " ") for p in paragraphs) or ""
        blocks.append(
            f"<figure id=\"figure-{_e(name)}\">\n"
            f"<img src=\"data:image/png;base64,{data}\" alt=\"Figure {number}: {_e(title)}\">\n"
            f"<figcaption><p><b>Figure {number}. {_e(title)}.</b> {text}</p>"
            f"<p class=\"note\">Also in this folder as <code>{_e(name)}.png</code> (300 dpi), "
            f"<code>{_e(name)}.svg</code> and <code>{_e(name)}.caption.txt</code>.</p>"
            "</figcaption>\n</figure>")
    return "<section id=\"figures\">\n<h2>Figures</h2>\n" + "\n".join(blocks) + "\n</section>"


def _diagnostics(fit: Fit) -> str:
    diagnostics = fit.diagnostics
    d = diagnostics.to_dict()
    gate = fit.config.gate

    def number(value: Any, digits: int) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "not computed"
        return f"{value:,.{digits}f}"

    def status(value: Any, ok: bool) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "<td>\u2013</td>"
        return "<td class=\"met\">met</td>" if ok else "<td class=\"unmet\">not met</td>"

    def finite(value: Any) -> bool:
        return value is not None and math.isfinite(float(value))

    checks = [
        ("Largest R-hat", "chains agree (1 is perfect)", number(d["max_r_hat"], 3),
         f"\u2264 {gate.r_hat_max:g}", d["max_r_hat"],
         finite(d["max_r_hat"]) and d["max_r_hat"] <= gate.r_hat_max),
        ("Smallest bulk ESS", "effective draws for medians", number(d["min_ess_bulk"], 0),
         f"\u2265 {gate.ess_bulk_min:,.0f}", d["min_ess_bulk"],
         finite(d["min_ess_bulk"]) and d["min_ess_bulk"] >= gate.ess_bulk_min),
        ("Smallest tail ESS", "effective draws for the 5% and 95% quantiles",
         number(d["min_ess_tail"], 0), f"\u2265 {gate.ess_tail_min:,.0f}", d["min_ess_tail"],
         finite(d["min_ess_tail"]) and d["min_ess_tail"] >= gate.ess_tail_min),
        ("Divergent transitions", "the sampler failed to follow the posterior",
         f"{int(d['divergences']):,}", f"\u2264 {gate.max_divergences}", d["divergences"],
         int(d["divergences"]) <= gate.max_divergences),
        ("Smallest E-BFMI", "energy diagnostic, per chain", number(d["min_ebfmi"], 2),
         f"\u2265 {gate.ebfmi_min:g}", d["min_ebfmi"],
         finite(d["min_ebfmi"]) and d["min_ebfmi"] >= gate.ebfmi_min),
    ]
    missing = (" \u201cnot computed\u201d: the run holds too few chains or draws for the "
               "statistic." if any(not finite(raw) for *_, raw, _ok in checks) else "")
    rows = "\n".join(
        f"<tr><th scope=\"row\">{_e(name)}</th><td class=\"note\">{_e(what)}</td>"
        f"<td class=\"num\">{_e(value)}</td><td class=\"num\">{_e(threshold)}</td>"
        f"{status(raw, ok)}</tr>"
        for name, what, value, threshold, raw, ok in checks)
    verdict = ("The fit passed its diagnostics gate." if diagnostics.passed else
               "The fit FAILED its diagnostics gate; its numbers may not be trustworthy:")
    failures = ("<ul class=\"failures\">" + "".join(f"<li>{_e(f)}</li>"
                                                    for f in diagnostics.failures) + "</ul>"
                if diagnostics.failures else "")
    return (
        "<section id=\"diagnostics\">\n<h2>Diagnostics</h2>\n"
        f"<p>{_e(verdict)}</p>{failures}\n"
        "<table class=\"diagnostics\">\n<thead><tr><th>Check</th><th>What it measures</th>"
        "<th class=\"num\">This fit</th><th class=\"num\">Gate</th><th>Verdict</th></tr>"
        "</thead>\n<tbody>\n" + rows + "\n</tbody>\n</table>\n"
        f"<p class=\"note\">{int(fit.n_chains)} chains \u00d7 {int(fit.n_draws)} draws after "
        f"{int(fit.n_tune)} tuning steps, {_e(fit.sampler)} sampler, seed "
        f"{int(fit.random_seed)}.{missing}</p>\n</section>"
    )


_SOURCE_COLUMNS = (("key", "Key"), ("estimator", "Estimator"), ("outlet", "Outlet"),
                   ("title", "Title"), ("date", "Date"), ("address", "Address"))


def _sources(sources: pd.DataFrame) -> str:
    columns = [(c, label) for c, label in _SOURCE_COLUMNS if c in sources.columns]
    if not len(sources) or not columns:
        return ""
    def filled(column: str) -> bool:
        return bool(sources[column].fillna("").astype(str).str.strip().ne("").any())

    # a column that no row fills (a ledger without titles or addresses) is left out
    columns = [(c, label) for c, label in columns if c in ("key", "estimator") or filled(c)]
    header = "".join(f"<th>{_e(label)}</th>" for _, label in columns)
    rows = []
    for record in sources.to_dict("records"):
        cells = []
        for column, _label in columns:
            value = record.get(column)
            text = "" if value is None or (isinstance(value, float) and math.isnan(value)) \
                else str(value)
            css = f" class=\"{column}\"" if column in ("address", "date") else ""
            cells.append(f"<td{css}>{_e(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "<section id=\"sources\">\n<h2>Sources</h2>\n<p class=\"note\">One row per claim, by "
        "the key number that labels it on the figures (<code>sources.csv</code>; the claims "
        "themselves, with what the fit made of each, are in <code>claims.csv</code>).</p>\n"
        "<table class=\"sources\">\n<thead><tr>" + header + "</tr></thead>\n<tbody>\n"
        + "\n".join(rows) + "\n</tbody>\n</table>\n</section>"
    )


def _footer(fit: Fit, files: Sequence[str]) -> str:
    listed = ", ".join(f"<code>{_e(f)}</code>" for f in sorted(files))
    folder = f" The run folder also holds {listed}." if listed else ""
    return (
        "<footer>\n<p>To cite a number or figure, give the run id "
        f"<code>{_e(fit.run_id)}</code> and the ledger SHA-256 "
        f"<code>{_e(fit.ledger.sha256)}</code>; <code>datapackage.json</code> records both, "
        f"with the checksum of every file of the run.{folder}</p>\n</footer>"
    )


def figures_in(folder: Any, names: Sequence[str]) -> list[tuple[str, bytes, str]]:
    """The figures of ``names`` that a run folder holds, for :func:`render_report`.

    Parameters
    ----------
    folder : path-like
    names : sequence of str
        Figure names, in the page's order (``remitest.plots.FIGURES``).

    Returns
    -------
    list of (str, bytes, str)
        Name, PNG bytes and caption (empty without a ``.caption.txt``) of each figure whose
        ``<name>.png`` is in the folder.
    """
    from pathlib import Path

    found = []
    for name in names:
        png, caption = Path(folder) / f"{name}.png", Path(folder) / f"{name}.caption.txt"
        if png.is_file():
            text = caption.read_text(encoding="utf-8") if caption.is_file() else ""
            found.append((name, png.read_bytes(), text))
    return found

