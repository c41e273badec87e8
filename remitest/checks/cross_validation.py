"""Cross-validation: refit without some claims, predict them, and score the predictions.

Each fold fits the claims it keeps and predicts the original claims it leaves out with
:func:`remitest.predictive.predict_claims`. Every claim gets a percentile (PIT; a bound read as
censored gets one drawn uniformly over the side it states, :func:`remitest.predictive.
randomized_pit`), so a claim lies in the predictive 50% interval when its PIT is within
0.25-0.75 and in the 90% interval when it is within 0.05-0.95, bounds included. Coverage is
counted per quantity, with a band from a bootstrap over estimators (misses cluster by source).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import special

from remitest.checks._figures import GRID_COLOUR, new_figure, styled
from remitest.checks._sweep import make_tasks, run_tasks, sweep_config, warn_failed
from remitest.checks.result import DerivedCheckResult, binomial_band, cluster_band
from remitest.config import ModelConfig
from remitest.fitrecord import Fit
from remitest.ledger import QUANTITIES, Ledger
from remitest.plots import QUANTITY_LABELS
from remitest.predictive import claim_distribution, predict_claims

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CrossValidationResult",
    "cross_validate",
    "cv_folds",
    "coverage_table",
    "subgroup_coverage",
    "subgroup_table",
    "with_subgroups",
    "fold_rng",
    "pit_ecdf_band",
    "Fold",
    "CV_COLUMNS",
    "COVERAGE_COLUMNS",
]

CV_COLUMNS = (
    "id", "quantity", "scope", "estimator", "fold", "pit", "pred_q05", "pred_q25", "pred_q50",
    "pred_q75", "pred_q95", "in_50", "in_90", "log_score", "kind", "reported_value",
    "diagnostics_passed",
)  # fmt: skip
COVERAGE_COLUMNS = (
    "quantity", "level", "n_claims", "n_estimators", "coverage", "band_low", "band_high",
    "below", "above",
)  # fmt: skip

LEVELS = (0.5, 0.9)
MIN_EARLIER_CLAIMS = 3
N_BOOTSTRAP = 2000
# Streams of SeedSequence(random_seed) used here (the sweep fits use random_seed itself).
_FOLD_STREAM, _BOOTSTRAP_STREAM, _BAND_STREAM = 3, 4, 5


@dataclass(frozen=True)
class Fold:
    """One fold: the ledger fitted and the original claims predicted from that fit.

    Attributes
    ----------
    name : str
        The estimator left out, the claim id left out, or the publication year predicted.
    training : Ledger
        The claims fitted (repeats go with their original, in or out).
    predicted : Ledger
        The original claims predicted.
    """

    name: str
    training: Ledger
    predicted: Ledger


def cv_folds(ledger: Ledger, by: str) -> list[Fold]:
    """The folds of ``ledger``: each predicted original claim appears in exactly one fold.

    ``by="estimator"``: one fold per estimator with original claims, leaving out all of them
    (with their repeats, whoever repeats them). ``by="claim"``: one fold per original claim,
    left out with its repeats. ``by="published"``: one fold per publication year, predicting
    the original claims published that year from every claim published in earlier years; a year
    with fewer than ``MIN_EARLIER_CLAIMS`` earlier original claims is skipped.

    Raises
    ------
    ValueError
        For an unknown ``by``, or when no fold keeps any claim to fit.
    """
    originals = ledger.originals()
    frame = originals.to_frame()
    ids = frame["id"].to_numpy(str)
    if by == "estimator":
        groups = {str(e): ids[(frame["estimator"] == e).to_numpy()]
                  for e in dict.fromkeys(frame["estimator"])}  # fmt: skip
        folds = [Fold(e, ledger.drop(group), originals.filter(np.isin(ids, group)))
                 for e, group in groups.items()]  # fmt: skip
    elif by == "claim":
        folds = [Fold(str(i), ledger.drop(i), originals.filter(ids == i)) for i in ids]
    elif by == "published":
        published = originals.published_year
        folds = [
            Fold(str(year), ledger.filter(ledger.published_year < year),
                 originals.filter(published == year))
            for year in np.unique(published)
            if (published < year).sum() >= MIN_EARLIER_CLAIMS
        ]  # fmt: skip
    else:
        raise ValueError(f"by = {by!r}: must be 'estimator', 'claim' or 'published'")
    if not folds or any(len(f.training.originals()) == 0 for f in folds):
        raise ValueError(
            f"cross_validate by {by}: every fold must keep claims to fit; this ledger has "
            f"{len(frame)} original claims from {frame['estimator'].nunique()} estimators"
            + (f" and needs {MIN_EARLIER_CLAIMS} published before a later year"
               if by == "published" else "")  # fmt: skip
        )
    return folds


def fold_rng(random_seed: int, index: int) -> np.random.Generator:
    """The generator of fold ``index``'s predictions (its own stream of ``random_seed``)."""
    seed = np.random.SeedSequence(random_seed, spawn_key=(_FOLD_STREAM, index))
    return np.random.default_rng(seed)


def score_fold(fit: Fit, predicted: Ledger, *, fold: str, random_seed: int, index: int
               ) -> pd.DataFrame:
    """Predict ``predicted`` from ``fit`` and score each claim (the reduce of one fold's task).

    ``pit`` and the quantiles are :func:`~remitest.predictive.predict_claims` with
    ``fold_rng(random_seed, index)``; ``log_score`` is the log predictive density of the claim's
    log belief median (per unit of log), or for a censored bound the log predictive probability
    of the side it states, averaged over posterior draws.
    """
    table = predict_claims(fit, predicted, random_seed=fold_rng(random_seed, index))
    dist = claim_distribution(fit, predicted, random_seed=fold_rng(random_seed, index))
    log_density = dist.log_density()
    table["log_score"] = special.logsumexp(log_density, axis=0) - np.log(len(log_density))
    table["fold"] = fold
    pit = table["pit"]
    table["in_50"] = pit.between(0.25, 0.75)
    table["in_90"] = pit.between(0.05, 0.95)
    return table


@dataclass(frozen=True)
class CrossValidationResult(DerivedCheckResult):
    """Claims predicted from fits that did not see them (a :class:`~remitest.checks.CheckResult`).

    ``passed``: the 90% coverage over every claim of the gate-passing folds lies within the range
    that calibrated intervals give 90% of the time (:func:`~remitest.checks.result.binomial_band`);
    None when no claim was scored. ``text``: what was refitted, the coverage per quantity and the
    misses, then the coverage by subgroup as a markdown table when ``by_subgroup`` is given.
    ``headline``: the coverage table in markdown. ``figures``: ``plot()``, drawn on first access.

    Attributes
    ----------
    table : DataFrame
        ``CV_COLUMNS``, one row per predicted original claim, in fold order: ``fold`` (the
        estimator, claim id or publication year left out), ``pit`` (randomized for a censored
        bound), the predictive quantiles ``pred_q05`` ... ``pred_q95`` of the reported value
        (base units), ``in_50`` / ``in_90`` (PIT within 0.25-0.75 / 0.05-0.95), ``log_score``
        (see :func:`score_fold`), and whether the fold's fit passed its diagnostics gate.
    coverage : DataFrame
        ``COVERAGE_COLUMNS`` (:func:`coverage_table`): coverage of the 50% and 90% intervals
        per quantity and over all claims, with a 90% bootstrap band over estimators and the
        misses below and above the interval, counted over the folds whose fit passed the gate
        only (a failing fold is retried once with longer tuning first).
    by : {"estimator", "claim", "published"}
    random_seed : int
    failed_folds : tuple of str
        The folds whose fit failed the gate, also on its retry; their rows stay in ``table``
        (``diagnostics_passed`` False) but no coverage counts them.
    n_folds : int
    by_subgroup : DataFrame, optional
        :meth:`subgroups` of the ledger cross-validated (``cross_validate`` fills it).
    """

    coverage: pd.DataFrame
    by: str
    random_seed: int = 0
    failed_folds: tuple[str, ...] = ()
    n_folds: int = 0
    by_subgroup: pd.DataFrame | None = dataclass_field(default=None, repr=False)

    def subgroups(self, ledger: Ledger, *, pin_year: int | None = None) -> pd.DataFrame:
        """Coverage by subgroup of the gate-passing folds (see :func:`subgroup_coverage`)."""
        return subgroup_coverage(self.table[self.table["diagnostics_passed"]], ledger,
                                 pin_year=pin_year, random_seed=self.random_seed)

    def plot(self, *, ax: Axes | None = None) -> Figure:
        """ECDF of the PIT minus the uniform CDF, with a simultaneous 90% band, by quantity.

        With ``ax``, one panel of every claim together is drawn there.
        """
        return _plot_pit_ecdf(self, ax=ax)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """``table``, ``coverage`` and, when given, ``by_subgroup``, named for their files."""
        tables = {self.name: self.table, f"{self.name}_coverage": self.coverage}
        if self.by_subgroup is not None:
            tables[f"{self.name}_subgroups"] = self.by_subgroup
        return tables

    @property
    def headline(self) -> str:
        """The coverage per quantity as a markdown table, with a sentence on how to read it."""
        lines = [
            f"{_PREDICTED[self.by]}. Calibrated "
            "intervals hold about 50% and 90% of the claims; the band is the 5-95% range of a "
            "bootstrap over estimators, and misses are counted below and above the interval.", "",
            "| quantity | claims | estimators | 50% interval (band) | below / above "
            "| 90% interval (band) | below / above |",
            "|---|---|---|---|---|---|---|",
        ]  # fmt: skip
        for r50, r90 in _coverage_pairs(self.coverage):
            lines.append(
                f"| {r50.quantity} | {r50.n_claims} | {r50.n_estimators} "
                f"| {r50.coverage:.2f} ({r50.band_low:.2f}-{r50.band_high:.2f}) "
                f"| {r50.below} / {r50.above} "
                f"| {r90.coverage:.2f} ({r90.band_low:.2f}-{r90.band_high:.2f}) "
                f"| {r90.below} / {r90.above} |"
            )
        return "\n".join(lines)

    def _name(self) -> str:
        return "cross_validation" if self.by == "estimator" else f"cross_validation_{self.by}"

    def _overall_90(self) -> tuple[int, float]:
        row = self.coverage[(self.coverage["quantity"] == "all") & (self.coverage["level"] == 0.9)]
        return (int(row["n_claims"].iloc[0]), float(row["coverage"].iloc[0])) if len(row) \
            else (0, float("nan"))

    def _judge(self) -> bool | None:
        n, coverage = self._overall_90()
        if n == 0:
            return None
        low, high = binomial_band(n)
        return low <= coverage <= high

    def _describe(self) -> str:
        table = self.table
        n_folds = self.n_folds or table["fold"].nunique()
        misses = table[~table["in_90"].astype(bool)]
        what = {"estimator": f"Refitted without each of {n_folds} estimators and predicted their "
                             f"{len(table)} original claims",
                "claim": f"Refitted without each of {n_folds} original claims and predicted it",
                "published": f"Predicted the {len(table)} original claims of each of {n_folds} "
                             "publication years from the claims published before it"}[self.by]
        n, coverage = self._overall_90()
        low, high = binomial_band(n)
        lines = [
            f"{what} (a bound read as censored is scored by a randomised PIT over its side).",
            "Coverage of the predictive 50% / 90% intervals: " + "; ".join(
                f"{r50.quantity} {r50.coverage:.2f} / {r90.coverage:.2f} of {r50.n_claims}"
                for r50, r90 in _coverage_pairs(self.coverage)) + (
                f"; calibrated 90% intervals cover {low:.2f}-{high:.2f} of {n} claims 90% of the "
                "time." if n else "."),
            f"{len(misses)} claims outside their 90% interval"
            + (": " + ", ".join(f"{r.id} (PIT {r.pit:.2f})" for r in misses.itertuples())
               if len(misses) else "") + ".",
        ]  # fmt: skip
        if self.failed_folds:
            lines.append(f"{len(self.failed_folds)} of {n_folds} folds failed the diagnostics "
                         "gate, also on a retry with twice the tuning and draws; no coverage "
                         "counts them: " + ", ".join(self.failed_folds) + ".")
        text = " ".join(lines)
        if self.by_subgroup is not None:
            text += ("\n\nCoverage by subgroup (folds that passed the gate; the band, from a "
                     f"bootstrap over estimators, only for groups of {MIN_BAND_CLAIMS} claims or "
                     "more):\n\n" + _subgroup_markdown(self.by_subgroup))
        return text


_PREDICTED = {
    "estimator": "Each estimator's claims predicted from a fit without that estimator",
    "claim": "Each claim predicted from a fit without it",
    "published": "Each year's claims predicted from a fit to the claims published before it",
}


def _coverage_pairs(coverage: pd.DataFrame) -> list[tuple[Any, Any]]:
    """(50% row, 90% row) of each quantity of a coverage table."""
    rows = list(coverage.itertuples(index=False))
    return [(r50, r90) for r50, r90 in zip(rows[::2], rows[1::2], strict=True)]


def _subgroup_markdown(subgroups: pd.DataFrame) -> str:
    """A subgroup coverage table (:func:`subgroup_coverage`) as markdown."""
    lines = ["| by | group | claims | estimators | 50% | 90% (band) | below / above |",
             "|---|---|---|---|---|---|---|"]
    for r in subgroups.itertuples(index=False):
        band = f" ({r.band_low:.2f}-{r.band_high:.2f})" if np.isfinite(r.band_low) else ""
        lines.append(f"| {r.field} | {r.group} | {r.n_claims} | {r.n_estimators} "
                     f"| {r.cover_50:.2f} | {r.cover_90:.2f}{band} | {r.below} / {r.above} |")
    return "\n".join(lines)


def cross_validate(
    ledger: Ledger,
    *,
    by: Literal["estimator", "claim", "published"] = "estimator",
    config: ModelConfig | None = None,
    executor: Executor | None = None,
    random_seed: int = 0,
    draws: int = 1000,
    tune: int = 1000,
    progress: bool | Callable[[str], None] = False,
) -> CrossValidationResult:
    """Refit without each estimator (or claim, or later year) and predict what was left out.

    ``by="estimator"`` leaves out every original claim of one estimator at a time (repeats go with
    their original); the fit keeps the estimator in its structure with no claims, so its bias is a
    fresh draw from its type's hierarchy, as :func:`~remitest.predictive.predict_claims` gives a
    new source. ``by="claim"`` leaves out one original claim with its repeats (the same fits as
    :func:`~remitest.checks.influence` by claim with the same seed). ``by="published"`` predicts
    the claims published in each year from the claims published before it, skipping years with
    fewer than ``MIN_EARLIER_CLAIMS`` earlier original claims.

    Every fold keeps the full ledger's years and pin year, and every fit is compiled once for the
    full ledger's structure (:mod:`remitest.checks._sweep`) and seeded with ``random_seed``;
    fold ``i`` predicts with :func:`fold_rng` ``(random_seed, i)``. Serial and executor runs give
    the same table.

    Parameters
    ----------
    ledger : Ledger
    by : {"estimator", "claim", "published"}
    config : ModelConfig, optional
    executor : concurrent.futures.Executor, optional
        Runs one task per fold (``ProcessPoolExecutor``, a dask client's ``get_executor()``);
        None fits serially in this process through one compiled sampler.
    random_seed : int
        Seeds the fits, the predictions (with the censored bounds' randomized PIT) and the
        bootstrap.
    draws, tune : int
        Per chain (4 chains).
    progress : bool or callable
        True: a progress bar on standard error; a callable is given one line per finished fold.

    Returns
    -------
    CrossValidationResult

    Raises
    ------
    ValueError
        For an unknown ``by`` or a ledger with no fold to fit (see :func:`cv_folds`).
    """
    folds = cv_folds(ledger, by)
    config = sweep_config(config or ModelConfig(), ledger)
    tasks = make_tasks([f.training for f in folds], config, structure_ledger=ledger,
                       seeds=[random_seed] * len(folds), draws=draws, tune=tune)
    reducers = [partial(score_fold, predicted=f.predicted, fold=f.name, random_seed=random_seed,
                        index=i) for i, f in enumerate(folds)]  # fmt: skip
    results = run_tasks(tasks, reducers, executor=executor,
                        done=_progress(progress, by, [f.name for f in folds]))
    warn_failed(f"cross-validation by {by}", [f.name for f in folds], [d for _, d in results])
    frames = [table.assign(diagnostics_passed=diagnostics["passed"])
              for table, diagnostics in results]  # fmt: skip
    table = pd.concat(frames, ignore_index=True)[list(CV_COLUMNS)]
    failed = tuple(f.name for f, (_, d) in zip(folds, results, strict=True) if not d["passed"])
    passing = table[table["diagnostics_passed"]]
    coverage = coverage_table(passing, random_seed=random_seed)
    by_subgroup = subgroup_coverage(passing, ledger, random_seed=random_seed)
    return CrossValidationResult(table=table, coverage=coverage, by=by, random_seed=random_seed,
                                 failed_folds=failed, n_folds=len(folds), by_subgroup=by_subgroup)


def _progress(progress: bool | Callable[[str], None], by: str, names: list[str]
              ) -> Callable[[int], None] | None:
    """A ``done(index)`` callback that reports each finished fold."""
    if not progress:
        return None
    finished: list[int] = []

    def done(index: int) -> None:
        finished.append(index)
        n, total = len(finished), len(names)
        if callable(progress):
            progress(f"cross-validation by {by}: fold {n}/{total} done ({names[index]})")
            return
        filled = round(30 * n / total)
        sys.stderr.write(f"\rcross-validation by {by} [{'#' * filled}{'.' * (30 - filled)}] "
                         f"{n}/{total} folds" + ("\n" if n == total else ""))
        sys.stderr.flush()

    return done


def coverage_table(table: pd.DataFrame, *, random_seed: int = 0,
                   n_bootstrap: int = N_BOOTSTRAP) -> pd.DataFrame:
    """Coverage of the 50% and 90% predictive intervals, per quantity and over every claim.

    Parameters
    ----------
    table : DataFrame
        With columns ``quantity``, ``estimator`` and ``pit`` (as ``CrossValidationResult.table``).
    random_seed : int
        Seeds the bootstrap (its own stream).
    n_bootstrap : int

    Returns
    -------
    DataFrame
        ``COVERAGE_COLUMNS``, one row per quantity present (in ``QUANTITIES`` order, then
        ``"all"``) and level (0.5, 0.9): ``n_claims``, ``n_estimators``, ``coverage`` (the share
        of claims whose PIT lies within the central interval), ``band_low`` / ``band_high`` (5%
        and 95% quantiles of coverage over ``n_bootstrap`` resamples of the estimators with
        replacement, each bringing all its claims), and ``below`` / ``above`` (claims whose PIT
        falls below / above the interval: a surplus on one side says the level is off, on both
        sides that the intervals are too narrow).
    """
    rng = np.random.default_rng(np.random.SeedSequence(random_seed, spawn_key=(_BOOTSTRAP_STREAM,)))
    groups = [(q, table[table["quantity"] == q]) for q in QUANTITIES
              if (table["quantity"] == q).any()]  # fmt: skip
    rows = []
    for quantity, part in [*groups, ("all", table)]:
        estimators, index = np.unique(part["estimator"].to_numpy(str), return_inverse=True)
        n_per = np.bincount(index, minlength=len(estimators))
        resample = rng.integers(len(estimators), size=(n_bootstrap, len(estimators))) if len(
            estimators) else np.zeros((0, 0), int)  # fmt: skip
        pit = part["pit"].to_numpy(float)
        for level in LEVELS:
            low, high = (1 - level) / 2, (1 + level) / 2
            inside = (pit >= low) & (pit <= high)
            hits = np.bincount(index, weights=inside, minlength=len(estimators))
            band = cluster_band(hits, n_per, resample) if len(estimators) else (np.nan, np.nan)
            rows.append({
                "quantity": quantity, "level": level, "n_claims": len(part),
                "n_estimators": len(estimators),
                "coverage": inside.mean() if len(part) else np.nan,
                "band_low": band[0], "band_high": band[1],
                "below": int((pit < low).sum()), "above": int((pit > high).sum()),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))


#: Monte Carlo draws of uniform samples behind the simultaneous band (ArviZ's default for it).
_BAND_SIMULATIONS = 1000


def pit_ecdf_band(n: int, *, prob: float = 0.9, random_seed: int = 0
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simultaneous ``prob`` band of the ECDF of ``n`` independent uniform PIT values.

    ArviZ's envelope (``arviz_stats.ecdf_utils.ecdf_pit``, Säilynoja et al. 2022, by simulation),
    valid here because each left-out claim's PIT comes from its own fold.

    Returns
    -------
    x, lower, upper : ndarray
        Evaluation points ``0, 1/n, ..., 1`` and the band's ends, as ECDF values.
    """
    from arviz_stats.ecdf_utils import ecdf_pit

    rng = np.random.default_rng(np.random.SeedSequence(random_seed, spawn_key=(_BAND_STREAM,)))
    x, _, lower, upper = ecdf_pit(np.linspace(0, 1, n), prob, _BAND_SIMULATIONS, rng=rng)
    return x, lower, upper


#: Subgroups of at least this many claims get a bootstrap band.
MIN_BAND_CLAIMS = 30
SUBGROUP_FIELDS = ("quantity", "measure", "kind", "estimator_type", "years_from_pin")


def subgroup_coverage(table: pd.DataFrame, ledger: Ledger, *, pin_year: int | None = None,
                      random_seed: int = 0, n_bootstrap: int = N_BOOTSTRAP) -> pd.DataFrame:
    """Coverage of the 50% and 90% intervals by subgroup, not only pooled.

    Parameters
    ----------
    table : DataFrame
        A cross-validation table (``CV_COLUMNS``); pass only gate-passing folds.
    ledger : Ledger
        The ledger the claims come from (for ``measure``, ``estimator_type`` and the years).
    pin_year : int, optional
        For the distance of a claim's reference period from the pin year (0-2, 3-5, 6+ years);
        default the median reference year of the ledger's original claims.
    random_seed : int
    n_bootstrap : int

    Returns
    -------
    DataFrame
        ``field, group, n_claims, n_estimators, cover_50, cover_90, band_low, band_high,
        below, above`` for every field of ``SUBGROUP_FIELDS``. The band (90%, of the 90%
        coverage, from a bootstrap over estimators) is given only for groups of at least
        ``MIN_BAND_CLAIMS`` claims; ``below`` / ``above`` count the misses of the 90% interval
        on each side.
    """
    return subgroup_table(with_subgroups(table, ledger, pin_year=pin_year),
                          random_seed=random_seed, n_bootstrap=n_bootstrap)


def with_subgroups(table: pd.DataFrame, ledger: Ledger, *, pin_year: int | None = None
                   ) -> pd.DataFrame:
    """``table`` with one column per field of ``SUBGROUP_FIELDS``, from the claims' ledger."""
    frame = ledger.to_frame().set_index("id")
    claims = frame.loc[table["id"]]
    if pin_year is None:
        originals = ledger.originals().to_frame()
        pin_year = int(np.median((originals["ref_start"] + originals["ref_end"]) / 2))
    middle = (claims["ref_start"].to_numpy(float) + claims["ref_end"].to_numpy(float)) / 2
    distance = np.abs(middle - pin_year)
    measure = (claims["measure"].astype("string").fillna("") if "measure" in claims
               else pd.Series("", index=claims.index))  # fmt: skip
    reference = {"workers": "headcount", "remittances_usd": "state_revenue"}
    return table.assign(
        measure=[m or reference.get(q, "-") for m, q in
                 zip(measure.to_numpy(str), table["quantity"], strict=True)],
        estimator_type=claims["estimator_type"].to_numpy(str),
        years_from_pin=np.select([distance <= 2, distance <= 5], ["0-2", "3-5"], "6+"),
    )  # fmt: skip


def subgroup_table(table: pd.DataFrame, *, random_seed: int = 0,
                   n_bootstrap: int = N_BOOTSTRAP) -> pd.DataFrame:
    """Coverage by subgroup of a table that holds the ``SUBGROUP_FIELDS`` columns.

    Pooling several ledgers: concatenate their :func:`with_subgroups` tables, with the
    estimator names made distinct per ledger (the bootstrap resamples estimators).
    """
    rng = np.random.default_rng(np.random.SeedSequence(random_seed, spawn_key=(_BOOTSTRAP_STREAM,)))
    pit = table["pit"].to_numpy(float)
    estimator = table["estimator"].to_numpy(str)
    rows = []
    for field in SUBGROUP_FIELDS:
        values = table[field].to_numpy(str)
        for group in sorted(set(values)):
            mask = values == group
            inside = (pit[mask] >= 0.05) & (pit[mask] <= 0.95)
            names, index = np.unique(estimator[mask], return_inverse=True)
            band = (np.nan, np.nan)
            if mask.sum() >= MIN_BAND_CLAIMS:
                hits = np.bincount(index, weights=inside, minlength=len(names))
                n_per = np.bincount(index, minlength=len(names))
                pick = rng.integers(len(names), size=(n_bootstrap, len(names)))
                band = cluster_band(hits, n_per, pick)
            rows.append({
                "field": field, "group": group, "n_claims": int(mask.sum()),
                "n_estimators": len(names),
                "cover_50": float(((pit[mask] >= 0.25) & (pit[mask] <= 0.75)).mean()),
                "cover_90": float(inside.mean()), "band_low": band[0], "band_high": band[1],
                "below": int((pit[mask] < 0.05).sum()), "above": int((pit[mask] > 0.95).sum()),
            })  # fmt: skip
    return pd.DataFrame(rows)


@styled
def _plot_pit_ecdf(result: CrossValidationResult, *, ax: Axes | None) -> Figure:
    table = result.table
    if ax is not None:
        panels = [("all", table)]
        axes = [ax]
        fig = ax.figure
    else:
        panels = [(q, table[table["quantity"] == q]) for q in QUANTITIES
                  if (table["quantity"] == q).any()] + [("all", table)]  # fmt: skip
        fig = new_figure(2.4 * len(panels) + 0.4, 2.6)
        axes = list(fig.subplots(1, len(panels), squeeze=False, sharey=True).ravel())
    grid = np.linspace(0.0, 1.0, 1001)
    for panel, (quantity, part) in zip(axes, panels, strict=True):
        pit = np.sort(part["pit"].to_numpy(float))
        if len(pit):
            x, lower, upper = pit_ecdf_band(len(pit), prob=0.9, random_seed=result.random_seed)
            panel.fill_between(x, lower - x, upper - x, color="0.85", lw=0, zorder=1)
            ecdf = np.searchsorted(pit, grid, side="right") / len(pit)
            panel.plot(grid, ecdf - grid, color="#0072B2", lw=1.2, zorder=3)
        panel.axhline(0.0, color="0.4", lw=0.6, zorder=2)
        label = "All claims" if quantity == "all" else QUANTITY_LABELS[quantity]
        panel.set_title(f"{label}\n{len(pit)} claims", loc="left")
        panel.set_xlim(0, 1)
        panel.set_xlabel("predictive percentile (PIT)")
        panel.grid(axis="y", color=GRID_COLOUR, lw=0.5)
    axes[0].set_ylabel("ECDF \u2212 uniform")
    fig.suptitle(f"Cross-validation by {result.by}: PIT of each left-out claim (grey: 90% "
                 "simultaneous band of a uniform PIT)", x=0.01, ha="left")
    return fig
