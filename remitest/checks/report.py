"""Run every check into one folder: a CSV per table, a PNG per figure and ``report.md``.

The report is a loop over :class:`~remitest.checks.CheckResult`: each check's section is its
verdict, its ``text``, its tables and its figures, whatever the check. Nothing here knows what a
check computes.
"""

from __future__ import annotations

import functools
import os
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from remitest._io import atomic_write, write_text
from remitest.checks.result import CheckResult
from remitest.config import ModelConfig
from remitest.diagnostics import DiagnosticsWarning
from remitest.fitrecord import Fit
from remitest.ledger import Ledger
from remitest.sampling import fit

__all__ = ["run_all", "TITLES", "HEADLINE"]

DPI = 300
#: The checks of ``run_all``, in the order of the report.
TITLES = (
    "Cross-validation by estimator",
    "Posterior predictive PIT",
    "PSIS-LOO",
    "Held-out claims",
    "Influence of each claim",
    "Influence of each estimator",
    "Interpretation and prior sensitivity",
    "Simulation-based calibration",
)
#: The check whose ``headline`` leads the report, and what the headline is called.
HEADLINE = ("Cross-validation by estimator", "cross-validated coverage")
_VERDICT = {"passed": "**passed**", "failed": "**FAILED**", "informs": "informs (no verdict)"}


def _one_line(message: object) -> str:
    lines = [line.strip().lstrip("- ") for line in str(message).splitlines()]
    return " ".join(line for line in lines if line)


@dataclass
class _Section:
    """One check's outcome: its result, or why it did not run, and what it took."""

    title: str
    result: CheckResult | None
    error: str = ""
    seconds: float = 0.0
    gate: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "not run" if self.result is None else self.result.verdict


def _run(title: str, check: Callable[[], CheckResult], progress: Callable[[str], None]
         ) -> _Section:
    """Run one check, keeping the diagnostics warnings of its fits and a ValueError it raises."""
    progress(f"{title} ...")
    start = time.perf_counter()
    result, error = None, ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DiagnosticsWarning)
        try:
            result = check()
        except ValueError as raised:  # a check that does not apply to this ledger
            error = _one_line(raised)
    seconds = time.perf_counter() - start
    gate = [_one_line(w.message) for w in caught if issubclass(w.category, DiagnosticsWarning)]
    for w in caught:
        if not issubclass(w.category, DiagnosticsWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    progress(f"{title}: done in {seconds:.1f} s" + (" (some fits failed the diagnostics gate; "
             "see report.md)" if gate else ""))
    return _Section(title, result, error, seconds, gate)


def _write(section: _Section, out_dir: Path) -> str:
    """Write the section's tables (CSV) and figures (PNG); its markdown."""
    verdict = _VERDICT.get(section.verdict, section.verdict)
    body = [f"## {section.title}", "", f"Verdict: {verdict}.", ""]
    result = section.result
    if result is None:
        body += [f"Not run: {section.error}", ""]
    else:
        body += [result.text, ""]
    body += [f"- Diagnostics: {g}" for g in section.gate]
    body += [f"- Took {section.seconds:.1f} s.", ""]
    if result is not None:
        for name, table in result.tables.items():
            atomic_write(out_dir / f"{name}.csv",
                         lambda p, t=table: t.to_csv(p, index=False, float_format="%.10g"))
            body.append(f"[{name}]({name}.csv)")
        for name, figure in result.figures.items():
            atomic_write(out_dir / f"{name}.png",
                         lambda p, f=figure: f.savefig(p, dpi=DPI, format="png"))
            body.append(f"![{name}]({name}.png)")
        body.append("")
    return "\n".join(body)


def run_all(
    ledger: Ledger,
    *,
    out_dir: str | os.PathLike,
    config: ModelConfig | None = None,
    executor: Executor | None = None,
    random_seed: int = 0,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Run every check on ``ledger`` and write tables, figures and ``report.md`` to ``out_dir``.

    Checks (``TITLES``, in this order): cross-validation by estimator (its ``headline``, the
    coverage table, leads the report), the posterior predictive PIT of the main fit, PSIS-LOO,
    held-out prediction (cut-off from :func:`~remitest.checks.held_out.default_cutoff`),
    influence by claim and by estimator, interpretation and prior sensitivity, and SBC. Each
    returns a :class:`~remitest.checks.CheckResult`; its section gives the verdict (passed,
    FAILED, informs, or not run with the reason when the check raised a ValueError), its text,
    and links to its tables, written as CSV, and figures, written as PNG (300 dpi). Every file
    is written atomically (:mod:`remitest._io`).

    Parameters
    ----------
    ledger : Ledger
    out_dir : path
        Created if missing; files of an earlier run with the same names are replaced.
    config : ModelConfig, optional
    executor : concurrent.futures.Executor, optional
        Runs the sweeps' fits (cross-validation, influence, sensitivity, SBC).
    random_seed : int
    quick : bool
        Fewer draws (500 instead of 1000 for the main fit and each sweep fit, 200 for SBC) and
        30 SBC simulations instead of 100.
    progress : callable, optional
        Called with one line of text before and after each check.

    Returns
    -------
    pathlib.Path
        The folder.

    Warns
    -----
    DiagnosticsWarning
        Once, when any fit failed its diagnostics gate (listed in ``report.md``).
    """
    from remitest import checks

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = config or ModelConfig()
    # Refits cost well under a second: sweeps use the same draws as a default fit, so their fits
    # pass the gate; quick mode halves them.
    draws = 500 if quick else 1000
    sweep = {"executor": executor, "random_seed": random_seed, "draws": draws, "tune": draws}

    @functools.cache
    def main_fit() -> Fit:  # shared by the PIT and PSIS-LOO
        return fit(ledger, config, draws=draws, tune=draws, random_seed=random_seed,
                   progressbar=False)

    steps: list[Callable[[], CheckResult]] = [
        lambda: checks.cross_validate(ledger, by="estimator", config=config, **sweep),
        lambda: checks.posterior_predictive(main_fit()),
        lambda: checks.loo(main_fit()),
        lambda: checks.held_out(ledger, cutoff=checks.default_cutoff(ledger), config=config,
                                random_seed=random_seed),
        lambda: checks.influence(ledger, by="claim", config=config, **sweep),
        lambda: checks.influence(ledger, by="estimator", config=config, **sweep),
        lambda: checks.sensitivity(ledger, **sweep),
        lambda: checks.sbc(ledger, config=checks.sbc_config(config), n_sims=30 if quick else 100,
                           draws=200 if quick else 1000, executor=executor,
                           random_seed=random_seed),
    ]
    say = progress or (lambda _line: None)
    sections = [_run(title, step, say) for title, step in zip(TITLES, steps, strict=True)]

    lead = next(s for s in sections if s.title == HEADLINE[0])
    header = [
        "# remitest checks", "",
        f"Ledger sha256 {ledger.sha256[:12]} ({len(ledger)} claims), seed {random_seed}"
        + (", quick" if quick else "") + f". Sweeps: 4 chains x {draws} draws per fit.", "",
        "| check | verdict | seconds |", "|---|---|---|",
        *[f"| {s.title} | {s.verdict} | {s.seconds:.1f} |" for s in sections], "",
        f"## Headline: {HEADLINE[1]}", "",
        lead.result.headline if lead.result is not None
        else f"{lead.title} did not run (see its section below).", "",
    ]  # fmt: skip
    text = "\n".join(header + [_write(s, out) for s in sections])
    write_text(text, out / "report.md")
    gate_notes = [f"{s.title}: {g}" for s in sections for g in s.gate]
    if gate_notes:
        warnings.warn("some fits failed the diagnostics gate (see report.md):\n  "
                      + "\n  ".join(gate_notes), DiagnosticsWarning, stacklevel=2)
    return out
