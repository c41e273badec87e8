"""Run every check into one folder: a CSV per table, a PNG per figure and ``report.md``."""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from remitest.config import ModelConfig
from remitest.diagnostics import DiagnosticsWarning
from remitest.ledger import Ledger
from remitest.plots import plot_ppc
from remitest.predictive import claims_table
from remitest.sampling import fit

__all__ = ["run_all"]

DPI = 300


def _atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Write through ``write(temp_path)`` into the same folder, then rename over ``path``."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(handle)
    try:
        write(temp)
        os.chmod(temp, 0o644)  # mkstemp makes the file private; results are for sharing
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_table(out_dir: Path, name: str, table: pd.DataFrame) -> str:
    _atomic_write(out_dir / f"{name}.csv",
                  lambda p: table.to_csv(p, index=False, float_format="%.10g"))
    return f"{name}.csv"


def _write_figure(out_dir: Path, name: str, figure: Any) -> str:
    _atomic_write(out_dir / f"{name}.png", lambda p: figure.savefig(p, dpi=DPI, format="png"))
    return f"{name}.png"


def _one_line(message: object) -> str:
    lines = [line.strip().lstrip("- ") for line in str(message).splitlines()]
    return " ".join(line for line in lines if line)


def _pct(value: float) -> str:
    return f"{100 * value:+.0f}%"


def _coverage_pairs(coverage: pd.DataFrame) -> list[tuple[Any, Any]]:
    """(50% row, 90% row) of each quantity of a cross-validation coverage table."""
    rows = list(coverage.itertuples(index=False))
    return [(r50, r90) for r50, r90 in zip(rows[::2], rows[1::2], strict=True)]


def _headline(result: Any) -> list[str]:
    """The report's headline: cross-validated coverage per quantity, or why it is missing."""
    lines = ["## Headline: cross-validated coverage", ""]
    if result is None:
        return [*lines, "Cross-validation did not run (see its section below).", ""]
    lines += [
        "Each estimator's claims predicted from a fit without that estimator. Calibrated "
        "intervals hold about 50% and 90% of the claims; the band is the 5-95% range of a "
        "bootstrap over estimators, and misses are counted below and above the interval.", "",
        "| quantity | claims | estimators | 50% interval (band) | below / above "
        "| 90% interval (band) | below / above |",
        "|---|---|---|---|---|---|---|",
    ]
    for r50, r90 in _coverage_pairs(result.coverage):
        lines.append(
            f"| {r50.quantity} | {r50.n_claims} | {r50.n_estimators} "
            f"| {r50.coverage:.2f} ({r50.band_low:.2f}-{r50.band_high:.2f}) "
            f"| {r50.below} / {r50.above} "
            f"| {r90.coverage:.2f} ({r90.band_low:.2f}-{r90.band_high:.2f}) "
            f"| {r90.below} / {r90.above} |"
        )
    return [*lines, ""]


def _subgroup_markdown(subgroups: pd.DataFrame) -> str:
    """A subgroup coverage table (:func:`remitest.checks.subgroup_coverage`) as markdown."""
    lines = ["| by | group | claims | estimators | 50% | 90% (band) | below / above |",
             "|---|---|---|---|---|---|---|"]
    for r in subgroups.itertuples(index=False):
        band = f" ({r.band_low:.2f}-{r.band_high:.2f})" if np.isfinite(r.band_low) else ""
        lines.append(f"| {r.field} | {r.group} | {r.n_claims} | {r.n_estimators} "
                     f"| {r.cover_50:.2f} | {r.cover_90:.2f}{band} | {r.below} / {r.above} |")
    return "\n".join(lines)


class _Report:
    def __init__(self, out_dir: Path, progress: Callable[[str], None]):
        self.out_dir, self.progress = out_dir, progress
        self.sections: list[str] = []
        self.timings: dict[str, float] = {}
        self.gate_notes: list[str] = []

    def run(self, title: str, step: Callable[[], tuple[list[str], dict[str, Any], dict[str, Any]]]
            ) -> None:
        """Run one check; ``step`` returns (summary lines, tables by name, figures by name)."""
        self.progress(f"{title} ...")
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DiagnosticsWarning)
            try:
                lines, tables, figures = step()
            except ValueError as error:  # a check that does not apply to this ledger
                lines, tables, figures = [f"Not run: {error}"], {}, {}
        elapsed = time.perf_counter() - start
        self.timings[title] = elapsed
        gate = [_one_line(w.message) for w in caught if issubclass(w.category, DiagnosticsWarning)]
        for w in caught:
            if not issubclass(w.category, DiagnosticsWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        links = [f"[{n}]({_write_table(self.out_dir, n, t)})" for n, t in tables.items()]
        links += [f"![{n}]({_write_figure(self.out_dir, n, f)})" for n, f in figures.items()]
        body = [f"## {title}", "", *[f"- {line}" for line in lines]]
        if gate:
            self.gate_notes += [f"{title}: {g}" for g in gate]
            body += [f"- Diagnostics: {g}" for g in gate]
        body += [f"- Took {elapsed:.1f} s.", "", *links, ""]
        self.sections.append("\n".join(body))
        self.progress(f"{title}: done in {elapsed:.1f} s" + (" (some fits failed the "
                      "diagnostics gate; see report.md)" if gate else ""))


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

    Checks: cross-validation by estimator (its coverage table is the report's headline),
    posterior predictive PIT, PSIS-LOO, held-out prediction (cut-off from
    :func:`~remitest.checks.held_out.default_cutoff`), influence by claim and by estimator,
    interpretation and prior sensitivity, and SBC. Each table is written as CSV and each figure as
    PNG (300 dpi), atomically (a temporary file in the same folder, then ``os.replace``).

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
        Fewer draws (500 instead of 1000 for the main fit) and 30 SBC simulations instead of 100.
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
    report = _Report(out, progress or (lambda _line: None))
    config = config or ModelConfig()
    # Refits cost well under a second: sweeps use the same draws as a default fit, so their fits
    # pass the gate; quick mode halves them.
    sweep_draws = 500 if quick else 1000
    sweep = {"executor": executor, "random_seed": random_seed, "draws": sweep_draws,
             "tune": sweep_draws}
    main_draws = 500 if quick else 1000
    fitted: dict[str, Any] = {}

    def main_fit() -> tuple[list[str], dict, dict]:
        fitted["fit"] = fit(ledger, config, draws=main_draws, tune=main_draws,
                            random_seed=random_seed, progressbar=False)
        f = fitted["fit"]
        table = claims_table(f)
        used = table[table["used"]]
        extreme = used[(used["pit"] < 0.05) | (used["pit"] > 0.95)]
        lines = [f"Fit {f.run_id}: {len(ledger)} claims, 4 chains x {main_draws} draws; "
                 f"diagnostics {'passed' if f.diagnostics.passed else 'FAILED'}.",
                 f"{len(extreme)} of {len(used)} claims have a predictive percentile outside "
                 "5-95%" + (": " + ", ".join(f"{r.id} ({r.pit:.2f})" for r in
                                            extreme.itertuples()) if len(extreme) else ".")]
        return lines, {"pit": table}, {"pit": plot_ppc(f)}

    def loo_step() -> tuple[list[str], dict, dict]:
        result = checks.loo(fitted["fit"])
        s = result.summary
        high = result.table[result.table["k_high"]]
        return [f"elpd_loo {s['elpd_loo']:.1f} (se {s['se']:.1f}), p_loo {s['p_loo']:.1f}.",
                f"{s['n_k_high']} of {s['n_claims']} claims have Pareto k > 0.7"
                + (": " + ", ".join(f"{r.id} ({r.pareto_k:.2f})" for r in high.itertuples())
                   if len(high) else "") + ". High k here means the fit rests on that claim; "
                "read the influence tables, not elpd_loo, for those claims."], \
            {"loo": result.table}, {"loo": result.plot()}

    def cross_validation_step() -> tuple[list[str], dict, dict]:
        result = checks.cross_validate(ledger, by="estimator", config=config, **sweep)
        fitted["cross_validation"] = result
        table = result.table
        misses = table[~table["in_90"]]
        lines = [f"Refitted without each of {table['fold'].nunique()} estimators and predicted "
                 f"its {len(table)} original claims (a bound read as censored is scored by a "
                 "randomised PIT over its side).",
                 "Coverage of the predictive 50% / 90% intervals: " + "; ".join(
                     f"{r50.quantity} {r50.coverage:.2f} / {r90.coverage:.2f} of {r50.n_claims}"
                     for r50, r90 in _coverage_pairs(result.coverage)) + ".",
                 f"{len(misses)} claims outside their 90% interval"
                 + (": " + ", ".join(f"{r.id} (PIT {r.pit:.2f})" for r in misses.itertuples())
                    if len(misses) else "") + "."]
        if result.failed_folds:
            lines.append(f"{len(result.failed_folds)} of {result.n_folds} folds failed the "
                         "diagnostics gate, also on a retry with twice the tuning and draws; "
                         "no coverage counts them: " + ", ".join(result.failed_folds) + ".")
        subgroups = result.subgroups(ledger)
        lines += ["", "Coverage by subgroup (folds that passed the gate; the band, from a "
                  "bootstrap over estimators, only for groups of 30 claims or more):", "",
                  _subgroup_markdown(subgroups)]
        return lines, {"cross_validation": table,
                       "cross_validation_coverage": result.coverage,
                       "cross_validation_subgroups": subgroups}, \
            {"cross_validation": result.plot()}

    def held_out_step() -> tuple[list[str], dict, dict]:
        cutoff = checks.default_cutoff(ledger)
        result = checks.held_out(ledger, cutoff=cutoff, config=config, random_seed=random_seed)
        s = result.summary
        return [f"Fitted {s['n_fitted']} claims published up to {cutoff}; predicted "
                f"{s['n_held_out']} later claims.",
                f"Coverage of the predictive 50% / 90% intervals: {s['coverage_50']:.2f} / "
                f"{s['coverage_90']:.2f} over {s['n_scored']} claims; PIT: "
                + ", ".join(f"{r.id} {r.pit:.2f}" for r in result.table.itertuples()) + "."], \
            {"held_out": result.table}, {"held_out": result.plot()}

    def influence_step(by: str) -> Callable[[], tuple[list[str], dict, dict]]:
        def step() -> tuple[list[str], dict, dict]:
            result = checks.influence(ledger, by=by, config=config, **sweep)
            top = result.largest(3)
            lines = [f"Largest shifts of the world workers' median when one {by} is left out: "
                     + "; ".join(f"{r.left_out}, {r.year}: {_pct(r.shift)} (\u00b1"
                                 f"{100 * 2 * r.shift_mcse:.0f}% MC)" for r in top.itertuples())
                     + "."]
            return lines, {f"influence_{by}": result.table}, {f"influence_{by}": result.plot()}
        return step

    def sensitivity_step() -> tuple[list[str], dict, dict]:
        result = checks.sensitivity(ledger, **sweep)
        table = result.table[result.table["quantity"] != "per_worker_usd"]
        worst = table.loc[table["shift"].abs().sort_values(ascending=False).index[:3]]
        lines = [f"{table['config'].nunique()} configurations against {result.reference!r}.",
                 "Largest shifts of a world median: " + "; ".join(
                     f"{r.config}, {r.quantity} {r.year}: {_pct(r.shift)}"
                     for r in worst.itertuples()) + "."]
        return lines, {"sensitivity": result.table}, {"sensitivity": result.plot()}

    def sbc_step() -> tuple[list[str], dict, dict]:
        n_sims = 30 if quick else 100
        result = checks.sbc(ledger, config=checks.sbc_config(config), n_sims=n_sims,
                            draws=200 if quick else 1000, executor=executor,
                            random_seed=random_seed)
        s = result.summary
        worst = s.loc[s["p_value"].idxmin()]
        lines = [f"{n_sims} simulated ledgers; smallest rank-uniformity p-value "
                 f"{worst['p_value']:.3f} ({worst['parameter']}).",
                 "Coverage of the 90% intervals: " + ", ".join(
                     f"{r.parameter} {r.coverage_90:.2f}" for r in s.itertuples()) + "."]
        return lines, {"sbc": result.table, "sbc_summary": s}, {"sbc": result.plot()}

    report.run("Cross-validation by estimator", cross_validation_step)
    report.run("Posterior predictive PIT", main_fit)
    if "fit" in fitted:
        report.run("PSIS-LOO", loo_step)
    report.run("Held-out claims", held_out_step)
    report.run("Influence of each claim", influence_step("claim"))
    report.run("Influence of each estimator", influence_step("estimator"))
    report.run("Interpretation and prior sensitivity", sensitivity_step)
    report.run("Simulation-based calibration", sbc_step)

    header = [
        "# remitest checks", "",
        f"Ledger sha256 {ledger.sha256[:12]} ({len(ledger)} claims), seed {random_seed}"
        + (", quick" if quick else "") + f". Sweeps: 4 chains x {sweep_draws} draws per fit.", "",
        "| check | seconds |", "|---|---|",
        *[f"| {t} | {s:.1f} |" for t, s in report.timings.items()], "",
        *_headline(fitted.get("cross_validation")),
    ]
    text = "\n".join(header + report.sections)
    _atomic_write(out / "report.md", lambda p: Path(p).write_text(text, encoding="utf-8"))
    if report.gate_notes:
        warnings.warn("some fits failed the diagnostics gate (see report.md):\n  "
                      + "\n  ".join(report.gate_notes), DiagnosticsWarning, stacklevel=2)
    return out
