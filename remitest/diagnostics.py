"""The diagnostics gate that every fit passes through, and the warning it raises when it fails."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import arviz as az
import numpy as np
import pandas as pd

from remitest.config import Gate

__all__ = [
    "Diagnostics",
    "DiagnosticsWarning",
    "DiagnosticsError",
    "check_fit",
    "gate_failures",
    "gated_names",
]



_LABELS = {"ess_bulk": "bulk ESS", "ess_tail": "tail ESS"}


class DiagnosticsWarning(UserWarning):
    """A fit fell short of the configured diagnostics gate. Its results may not be trustworthy."""


class DiagnosticsError(RuntimeError):
    """A fit fell short of the diagnostics gate in strict mode."""


@dataclass(frozen=True)
class Diagnostics:
    """Convergence diagnostics of one fit, and whether they pass the gate.

    Attributes
    ----------
    table : DataFrame
        One row per scalar parameter: ``r_hat``, ``ess_bulk``, ``ess_tail``.
    divergences : int
    ebfmi : ndarray
        E-BFMI per chain.
    failures : tuple of str
        Human-readable reasons the gate failed, each with what to try; empty when it passed.
    """

    table: pd.DataFrame
    divergences: int
    ebfmi: np.ndarray
    failures: tuple[str, ...] = field(default=())

    def against(self, gate: Gate) -> Diagnostics:
        """The same diagnostics judged against another gate."""
        failures = gate_failures(self.table, self.divergences, self.ebfmi, gate)
        return Diagnostics(table=self.table, divergences=self.divergences, ebfmi=self.ebfmi,
                           failures=failures)

    @property
    def passed(self) -> bool:
        """True when every check met its threshold."""
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary, as written into a run's metadata."""
        return {
            "passed": self.passed,
            "failures": list(self.failures),
            "divergences": int(self.divergences),
            "max_r_hat": _finite_max(self.table["r_hat"]),
            "min_ess_bulk": _finite_min(self.table["ess_bulk"]),
            "min_ess_tail": _finite_min(self.table["ess_tail"]),
            "min_ebfmi": float(np.min(self.ebfmi)) if len(self.ebfmi) else None,
        }

    def __str__(self) -> str:
        d = self.to_dict()
        status = "passed" if self.passed else "FAILED"
        lines = [
            f"diagnostics {status}: max R-hat {d['max_r_hat']:.4f}, min bulk ESS "
            f"{d['min_ess_bulk']:.0f}, min tail ESS {d['min_ess_tail']:.0f}, "
            f"{d['divergences']} divergences, min E-BFMI {d['min_ebfmi']:.2f}"
        ]
        lines += [f"  - {f}" for f in self.failures]
        return "\n".join(lines)


def _finite_max(values: pd.Series) -> float:
    return float(np.nanmax(values.to_numpy(float))) if len(values) else float("nan")


def _finite_min(values: pd.Series) -> float:
    return float(np.nanmin(values.to_numpy(float))) if len(values) else float("nan")


def gated_names(posterior: Any) -> list[str]:
    """Variables the gate checks: free parameters (on their own scale) and the world series.

    Host series, shares and biases are deterministic functions of these and are left out.
    """
    skip = {"workers_host", "remittances_usd_host", "host_share", "estimator_bias"}
    return [n for n in posterior.data_vars if n not in skip]


def check_fit(idata: az.InferenceData, gate: Gate) -> Diagnostics:
    """Compute R-hat, bulk/tail ESS, divergences and E-BFMI, and compare them with ``gate``."""
    posterior = idata.posterior[gated_names(idata.posterior)]
    stats = az.summary(posterior, kind="diagnostics", round_to="none")
    table = stats[["r_hat", "ess_bulk", "ess_tail"]].astype(float)
    divergences = int(idata.sample_stats["diverging"].sum())
    ebfmi = np.atleast_1d(az.bfmi(idata)) if "energy" in idata.sample_stats else np.array([])
    return Diagnostics(table=table, divergences=divergences, ebfmi=ebfmi).against(gate)


def gate_failures(
    table: pd.DataFrame, divergences: int, ebfmi: np.ndarray, gate: Gate
) -> tuple[str, ...]:
    """Each way the diagnostics fall short of ``gate``: what failed, where, and what to try.

    Every message starts with the failed check and its value (e.g. ``"R-hat 1.012 > 1.01 for
    workers_step_sd"``); the advice follows a colon.
    """
    failures = []
    r_hat = table["r_hat"].dropna()
    if len(table) and r_hat.empty:  # one chain: nothing to compare it with
        failures.append("R-hat cannot be computed from a single chain: run 2 or more chains")
    worst = r_hat.idxmax() if len(r_hat) else None
    if worst is not None and table.loc[worst, "r_hat"] > gate.r_hat_max:
        failures.append(
            f"R-hat {table.loc[worst, 'r_hat']:.3f} > {gate.r_hat_max} for {worst}: chains "
            "disagree; run more tuning steps and draws, or check for a multimodal posterior"
        )
    for column, threshold in (("ess_bulk", gate.ess_bulk_min), ("ess_tail", gate.ess_tail_min)):
        values = table[column].dropna()
        low = values.idxmin() if len(values) else None
        if low is not None and table.loc[low, column] < threshold:
            failures.append(
                f"{_LABELS[column]} {table.loc[low, column]:.0f} < {threshold:.0f} "
                f"for {low}: run more draws (or more chains)"
            )
    if divergences > gate.max_divergences:
        failures.append(
            f"{divergences} divergent transitions (allowed {gate.max_divergences}): raise "
            "target_accept (e.g. 0.95-0.99) or revisit priors that let the posterior get narrow"
        )
    if len(ebfmi) and np.min(ebfmi) < gate.ebfmi_min:
        failures.append(
            f"E-BFMI {np.min(ebfmi):.2f} < {gate.ebfmi_min}: the sampler explores the energy "
            "poorly; reparameterise or use more tuning"
        )
    return tuple(failures)


def enforce(diagnostics: Diagnostics, *, strict: bool) -> None:
    """Warn (or, in strict mode, raise) when the gate failed."""
    if diagnostics.passed:
        return
    message = "the fit failed its diagnostics gate:\n" + "\n".join(
        f"  - {f}" for f in diagnostics.failures
    )
    if strict:
        raise DiagnosticsError(message)
    warnings.warn(message, DiagnosticsWarning, stacklevel=3)
