"""Captions ready to paste under a figure: what it shows, the sources it used, the run that made it.

A caption has at most ``MAX_WORDS`` (120) words. Sources are cited by outlet, date and title
(``Ledger.sources``) where the citations fit in that budget; where a document names no outlet or
title, by the estimators it reports and its date, never by the file name it was read from. Every
claim's source is also in the run folder's ``sources.csv`` (``sources_table``), which the caption
points to. The text depends only on the fit, so the same run always gets the same caption.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from remitest._version import __version__
from remitest.fitrecord import Fit
from remitest.ledger import WORLD, Ledger
from remitest.plots._claims import by_estimator
from remitest.plots.parameters import bias_rows
from remitest.plots.ppc import PPC_ROWS
from remitest.reading import as_read
from remitest.structure import host_step_scale

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["FIGURE_TEXT", "MAX_WORDS", "caption", "cite_sources", "claims_key", "describe_run",
           "sources_table"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

#: Most words in a caption, sources and run included; the full citations go to sources.csv.
MAX_WORDS = 120

_CLAIMS_KEY = (
    "Markers are published claims at their reference years: whiskers are ranges, arrows bounds "
    "(up: \u201cmore than\u201d), hollow markers repeats; hue gives the estimator type, shade "
    "and marker the estimator."
)

FIGURE_TEXT = {
    "series": (
        "Yearly posterior medians (lines), 50% and 90% credible intervals (bands), {years}, per "
        "quantity and scope with claims ({scale} scale). " + _CLAIMS_KEY + " Light grey: no "
        "claim covers the year (per worker: a claim on workers or remittances covers it)."
    ),
    "biases": (
        "Multiplicative bias of each estimator (reported \u00f7 true) for each quantity it made "
        "claims about: posterior median (marker), 50% (thick) and 90% (thin) intervals over the "
        "prior 90% interval (grey). Right: posterior sd \u00f7 prior sd; near 1, the claims "
        "taught that bias little. With no unbiased source, biases are identified only relative "
        "to the prior centred on 1\u00d7 (dashed){field_shift}."
    ),
    "host_split": (
        "Workers abroad by host, {years}: median, 50% and 90% intervals (top); each host's share "
        "of the world, prior 90% interval (grey) against posterior 90% interval and mean "
        "(colour; bottom). Hatched bar under 0%: years whose share did not move from its prior. "
        "{hosts_model}"
    ),
    "ppc": (
        "Posterior predictive check: each claim's reported value (estimator's colour and marker; "
        "a range's midpoint with its whisker, a bound with an arrow) against its predictive 50% "
        "and 90% intervals (grey), scaled by the predictive median. Right: predictive percentile "
        "(PIT); near 0 or 1 is surprising. Hollow: repeats, not used. Rows are labelled by claim "
        "key and estimator."
    ),
    "prior_predictive": (
        "Prior predictive check, world, {years}: median, 50% and 90% bands of workers and "
        "remittances drawn from the priors alone (log scale), with the published claims. "
        + _CLAIMS_KEY + " Light grey: no claim covers the year."
    ),
}


def _readable_date(text: str) -> str:
    """``2016`` -> "2016", ``2016-04`` -> "April 2016", ``2020-01-14`` -> "14 January 2020"."""
    parts = text.split("-")
    if len(parts) == 2:
        return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 3:
        return f"{int(parts[2])} {_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return text


def _cite(source: pd.Series, estimators: list[str]) -> str:
    """One source: outlet, date and title, or the estimators it reports where it names neither."""
    date = _readable_date(source["document_date"])
    title = f"\u201c{source['title']}\u201d" if source["title"] else ""
    citing = "citing " + ", ".join(estimators)
    if source["outlet"]:
        parts = [source["outlet"], date, title or citing]
    elif title:
        parts = [title, date, citing]
    else:
        parts = ["Estimates by " + ", ".join(estimators), date]
    return ", ".join(parts) + f" [claims {source['claim_ids']}]"


def cite_sources(fit: Fit) -> str:
    """Cite the documents behind the fit's claims, one citation each, in ledger order."""
    claims = fit.ledger.to_frame()
    citations = []
    for _, source in fit.ledger.sources().iterrows():
        ids = source["claim_ids"].split(", ")
        estimators = list(dict.fromkeys(claims.loc[claims["id"].isin(ids), "estimator"]))
        citations.append(_cite(source, estimators))
    return "; ".join(citations)


def sources_table(ledger: Ledger) -> pd.DataFrame:
    """The sources the captions cite, one row per claim: the run folder's ``sources.csv``.

    Columns ``key`` (the number that labels the claim on the figures, ``claim_keys``),
    ``estimator``, ``outlet``, ``title``, ``date`` (the document's date at its stated
    precision, else the claim's publication date) and ``address`` (the ledger's ``url`` or
    ``address`` column where it has one; empty otherwise). Text is "" where the ledger is silent.
    """
    import pandas as pd

    claims = ledger.to_frame()
    by_document = ledger.sources().set_index("document")
    wanted = [c for c in ("estimator", "outlet", "title", "published", "address", "url")
              if c in claims.columns]
    text = claims[wanted].astype(object).where(claims[wanted].notna(), "")
    address = next((text[c] for c in ("address", "url") if c in text.columns),
                   pd.Series("", index=text.index))
    return pd.DataFrame({
        "key": np.arange(1, len(claims) + 1, dtype=np.int64),
        "estimator": text["estimator"].astype(str).to_numpy(),
        "outlet": text["outlet"].astype(str).to_numpy(),
        "title": text["title"].astype(str).to_numpy(),
        "date": [str(by_document.loc[d, "document_date"]) if d in by_document.index else str(p)
                 for d, p in zip(claims["document"], text["published"], strict=True)],
        "address": address.astype(str).to_numpy(),
    })  # fmt: skip


def describe_run(fit: Fit) -> str:
    """Name the run that made a figure: id, version, ledger hash, seed, sampler, draws."""
    gate = "passed" if fit.diagnostics.passed else "FAILED (see the run's diagnostics)"
    return (
        f"Run {fit.run_id}: remitest {__version__}, ledger SHA-256 {fit.ledger.sha256[:12]} "
        f"({len(fit.ledger)} claims), seed {fit.random_seed}, sampler {fit.sampler}, "
        f"{fit.n_chains} chains \u00d7 {fit.n_draws} draws; diagnostics gate {gate}."
    )


def caption(fit: Fit, figure_name: str, *, log: bool = True) -> str:
    """Write the caption of one of the figures of ``fit``, ready to paste under it.

    Parameters
    ----------
    fit : Fit
    figure_name : str
        A key of ``FIGURE_TEXT``: ``"series"``, ``"biases"``, ``"host_split"``, ``"ppc"`` or
        ``"prior_predictive"``.
    log : bool
        Whether the series figure was drawn on a log value axis (its default).

    Returns
    -------
    str
        At most ``MAX_WORDS`` (120) words: what the figure shows, then its sources (cited by
        outlet, date and title where they fit, else pointed to: every claim's source is in the
        run folder's ``sources.csv``, by the key that labels the claim), then the run (id,
        remitest version, ledger SHA-256 prefix, seed, sampler).

    Raises
    ------
    ValueError
        For an unknown figure name, listing the known ones.
    """
    if figure_name not in FIGURE_TEXT:
        raise ValueError(
            f"figure_name = {figure_name!r}: known figures are {', '.join(FIGURE_TEXT)}"
        )
    years = f"{fit.years[0]}\u2013{fit.years[-1]}"
    shift = fit.config.priors.field_shift_log_sd
    field_shift = (f", beyond the field's shift (\u00d7{math.exp(-1.645 * shift):.2f}-"
                   f"{math.exp(1.645 * shift):.2f} at 90%)" if shift > 0 else "")
    what = FIGURE_TEXT[figure_name].format(years=years, hosts_model=_hosts_model(fit),
                                           scale="log" if log else "linear",
                                           field_shift=field_shift)
    what += _shown_rows(fit, figure_name)
    read = (_read_as_note(fit, world_only=figure_name == "prior_predictive")
            if figure_name in ("series", "ppc", "prior_predictive") else "")
    key = (" " + claims_key(fit)
           if figure_name in ("series", "prior_predictive") and claims_key(fit) else "")
    run = describe_run(fit)
    documents = len(fit.ledger.sources())
    cited = f"Sources: {cite_sources(fit)}; by claim key in sources.csv."
    pointer = (f"Sources: {documents} document{'s' * (documents != 1)}, listed by claim key in "
               "sources.csv in the run folder.")
    # Longest first: the sources cited, then pointed to, then without the reading's note
    # (claims.csv's read_as says it too).
    for text in (f"{what}{read}{key} {cited} {run}", f"{what}{read}{key} {pointer} {run}"):
        if len(text.split()) <= MAX_WORDS:
            return text
    return f"{what}{key} {pointer} {run}"


def _shown_rows(fit: Fit, figure_name: str) -> str:
    """For figures that show a selection of rows at large ledgers, say which and how many."""
    if figure_name == "ppc":
        n = len(fit.ledger)
        if n > PPC_ROWS:
            return (f" Rows: the {PPC_ROWS} claims with the most extreme PIT of {n}; the strip "
                    "below shows every PIT.")
        return ""
    if figure_name == "biases":
        shown, total = bias_rows(fit)
        if shown < total:
            return (f" Rows: the {shown} largest biases of {total}; the strip below shows every "
                    "median, estimators.csv every interval.")
    return ""


def _read_as_note(fit: Fit, *, world_only: bool = False) -> str:
    """Say which claims carry an arrow that their written kind does not (``reading.as_read``)."""
    read = as_read(fit.ledger.to_frame(), fit.config)
    moved = read[(read["kind"] != read["written_kind"])
                 & ((read["scope"] == WORLD) | (not world_only))]
    if not len(moved):
        return ""
    parts = []
    for name, rows in moved.groupby("measure", sort=True):
        start = fit.config.measures[str(name)].lower_bound_from
        parts.append(f"{str(name).replace('_', ' ')} from {start} on ({len(rows)})")
    return f" {' and '.join(parts).capitalize()} are read as \u201cmore than\u201d."


def _hosts_model(fit: Fit) -> str:
    """How the host series are made, in the words of the fit's own configuration."""
    scale = host_step_scale(fit.structure, fit.config)  # (walking hosts, step into year t)
    if not len(scale):
        return "Host series are the world series times shares that are constant over time."
    hits = (scale != 1.0).any(axis=0)
    moved = [str(year) for year, hit in zip(fit.years[1:], hits, strict=True) if hit]
    events = f", larger into {', '.join(moved)}" if moved else ""
    return (
        f"The world is one walk; the hosts split it by shares that walk from their "
        f"{fit.structure.pin_year} values in log-ratio to {fit.hosts[-1]} (fixed step{events})."
    )


def claims_key(fit: Fit) -> str:
    """Where the key numbers that label claims are explained, if any.

    None when the legend names the estimators; else the run folder's ``sources.csv`` and
    ``claims.csv``, by key.
    """
    if by_estimator(fit.ledger.to_frame()):
        return ""
    return "Numbers are claim keys (key column of sources.csv and claims.csv)."
