"""Posterior predictive check of the fitted claims: each claim's percentile under its own fit."""

from __future__ import annotations

from remitest.checks.result import CheckResult, LazyFigures
from remitest.fitrecord import Fit

__all__ = ["posterior_predictive"]


def posterior_predictive(fit: Fit) -> CheckResult:
    """Each claim's predictive percentile (PIT) under the fit it is part of.

    The claims are in the fit, so their PITs are pulled toward 0.5, and with few claims no
    histogram of them can be judged: the check informs (``passed`` None) and names the claims
    outside 5-95%, which are worth a second look.

    Parameters
    ----------
    fit : Fit

    Returns
    -------
    CheckResult
        ``name`` ``"pit"``; ``table``: :func:`remitest.predictive.claims_table` (one row per
        claim, ``pit`` for the claims used); ``text``: the fit, its diagnostics and the claims
        outside 5-95%; ``figures``: ``{"pit": plot_ppc(fit)}``, drawn on first access.
    """
    from remitest.plots import plot_ppc
    from remitest.predictive import claims_table

    table = claims_table(fit)
    used = table[table["used"]]
    extreme = used[(used["pit"] < 0.05) | (used["pit"] > 0.95)]
    posterior = fit.idata.posterior
    text = (f"Fit {fit.run_id}: {len(fit.ledger)} claims, {posterior.sizes['chain']} chains x "
            f"{posterior.sizes['draw']} draws; diagnostics "
            f"{'passed' if fit.diagnostics.passed else 'FAILED'}. {len(extreme)} of {len(used)} "
            "claims have a predictive percentile outside 5-95%"
            + (": " + ", ".join(f"{r.id} ({r.pit:.2f})" for r in extreme.itertuples())
               if len(extreme) else "") + ".")
    return CheckResult(name="pit", passed=None, table=table, text=text,
                       figures=LazyFigures({"pit": lambda: plot_ppc(fit)}))
