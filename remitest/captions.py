"""Captions ready to paste under a figure: what it shows, the sources it used, the run that made it.

Sources are cited by outlet, date and title (``Ledger.sources``); where a document names no outlet
or title, by the estimators it reports and its date, never by the file name it was read from. The
text depends only on the fit, so the same run always gets the same caption.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from remitest import __version__

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from remitest.fit_result import Fit

__all__ = ["FIGURE_TEXT", "caption", "cite_sources", "claims_key", "describe_run"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

_CLAIMS_KEY = (
    "Markers are published claims at their reference years, each on its own scope's panel and "
    "coloured by estimator type: vertical whiskers are stated ranges (marker at the geometric "
    "midpoint), arrows are bounds (up: \u201cmore than\u201d; down: \u201cas high as\u201d), "
    "horizontal bars span multi-year reference periods; hollow markers repeat an earlier claim "
    "and add no evidence."
)
FIGURE_TEXT = {
    "series": (
        "Yearly posterior estimates, {years}, one panel per quantity and per scope with claims "
        "(world first): workers abroad (thousand persons), remittances reaching the state "
        "(US$ million per year) and remittance per worker (US$ per worker-year; remittances = "
        "workers \u00d7 remittance per worker in every draw). Lines are posterior medians; dark "
        "and light bands are central 50% and 90% credible intervals. " + _CLAIMS_KEY + " Grey "
        "shading marks years that no claim on the panel's quantity and scope covers: there the "
        "series is extrapolated by the random walk."
    ),
    "biases": (
        "Multiplicative bias of each estimator (reported \u00f7 true value), for each quantity "
        "it made claims about: posterior median (marker), 50% (thick) and 90% (thin) credible "
        "intervals, over the prior 90% interval (grey bar). The right-hand column is the "
        "posterior sd over the prior sd: near 1, the claims taught that bias little beyond its "
        "prior. With no unbiased reference source, biases are identified only relative to the "
        "prior that centres them on 1\u00d7 (dashed line)."
    ),
    "host_split": (
        "Workers abroad by host, {years}: posterior median with central 50% and 90% credible "
        "bands (top), and each host's share of the world total, prior (grey) and posterior "
        "(colour), mean and 90% interval (bottom). {hosts_model} Hosts marked "
        "\u201cprior only\u201d have a share "
        "that the claims did not move from its prior: their split restates the prior."
    ),
    "ppc": (
        "Posterior predictive check of each claim, on one log axis scaled by the claim's "
        "predictive median: predictive 50% (thick grey) and 90% (thin grey) intervals against "
        "the reported value (a range's geometric midpoint with its whisker; a bound with an "
        "arrow towards where the estimator places the truth), in the estimator's colour and "
        "marker. The right-hand column is the predictive percentile (PIT) of each claim; values "
        "near 0 or 1 flag claims the fit finds surprising (a bound read as censored gets a "
        "percentile drawn uniformly over the side of its figure that it states). Hollow "
        "markers are repeats, which the fit does not use."
    ),
    "prior_predictive": (
        "Prior predictive check, world, {years}: median and central 50% and 90% bands of "
        "workers abroad and remittances reaching the state drawn from the priors alone (log "
        "scale), with the published claims overlaid. " + _CLAIMS_KEY + " Grey shading marks "
        "years that no claim covers."
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


def describe_run(fit: Fit) -> str:
    """Name the run that made a figure: id, version, ledger hash, seed, sampler, draws."""
    gate = "passed" if fit.diagnostics.passed else "FAILED (see the run's diagnostics)"
    return (
        f"Run {fit.run_id}: remitest {__version__}, ledger SHA-256 {fit.ledger.sha256[:12]} "
        f"({len(fit.ledger)} claims), seed {fit.random_seed}, sampler {fit.sampler}, "
        f"{fit.n_chains} chains \u00d7 {fit.n_draws} draws; diagnostics gate {gate}."
    )


def caption(fit: Fit, figure_name: str) -> str:
    """Write the caption of one of the figures of ``fit``, ready to paste under it.

    Parameters
    ----------
    fit : Fit
    figure_name : str
        A key of ``FIGURE_TEXT``: ``"series"``, ``"biases"``, ``"host_split"``, ``"ppc"`` or
        ``"prior_predictive"``.

    Returns
    -------
    str
        What the figure shows, then "Sources: ..." (outlet, date and title of each document,
        with the ids of the claims taken from it), then the run (id, remitest version, ledger
        SHA-256 prefix, seed, sampler).

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
    what = FIGURE_TEXT[figure_name].format(years=years, hosts_model=_hosts_model(fit))
    if figure_name in ("series", "prior_predictive"):
        what += " " + claims_key(fit)
    return f"{what} Sources: {cite_sources(fit)}. {describe_run(fit)}"


def _hosts_model(fit: Fit) -> str:
    """How the host series are made, in the words of the fit's own configuration."""
    from remitest.design import host_step_scale

    scale = host_step_scale(fit.structure, fit.config)  # (walking hosts, step into year t)
    if not len(scale):
        return "Host series are the world series times shares that are constant over time."
    hits = (scale != 1.0).any(axis=0)
    moved = [str(year) for year, hit in zip(fit.years[1:], hits, strict=True) if hit]
    events = f", larger at the events of {', '.join(moved)}" if moved else ""
    return (
        f"Each host is the world walk times its own walk from its share in "
        f"{fit.structure.pin_year} (a fixed step size{events}), and the world is the sum of its "
        "hosts: one host's fall lowers the world and leaves the others where they were."
    )


def claims_key(fit: Fit) -> str:
    """Which number labels which claim, for a ledger too large to name estimators in a legend.

    At most 12 claims (and 7 estimators): the legend names the estimators, so no key. Up to 30:
    the key in full, "1 scmp2016-workers (Japanese government), 2 ...". Above: the key is in
    claims.csv.
    """
    from remitest.plots._claims import CAPTION_KEY_LIMIT, by_estimator

    claims = fit.ledger.to_frame()
    if by_estimator(claims):
        return ""
    lead = ("Numbers label the claims where space allows; each is the claim's position in the "
            "ledger (the key column of claims.csv)")
    if len(claims) > CAPTION_KEY_LIMIT:
        return lead + "."
    entries = ", ".join(f"{i} {row.id} ({row.estimator})"
                        for i, row in enumerate(claims.itertuples(index=False), start=1))
    return f"{lead}: {entries}."
