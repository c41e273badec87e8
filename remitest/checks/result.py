"""One result shape for a check: a name, a verdict, a table, a sentence and figures.

Every check of :mod:`remitest.checks` returns a :class:`CheckResult` or a subclass of it that keeps
the check's own fields (``CrossValidationResult.coverage``, ``LooResult.elpd`` ...). A subclass
works out ``name``, ``passed``, ``text`` and ``figures`` from its own fields when it is made, so
``dataclasses.replace(result, table=...)`` gives a result whose verdict and text follow the new
table. ``run_all`` writes any of them the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["CheckResult", "DerivedCheckResult", "LazyFigures", "binomial_band", "cluster_band"]


class LazyFigures(Mapping[str, Any]):
    """Name -> matplotlib Figure, each drawn on first access and kept.

    Parameters
    ----------
    draw : mapping of str to callable
        Name -> a function of no arguments that returns the figure.
    """

    def __init__(self, draw: Mapping[str, Callable[[], Any]]):
        self._draw = dict(draw)
        self._drawn: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._drawn:
            self._drawn[name] = self._draw[name]()
        return self._drawn[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._draw)

    def __len__(self) -> int:
        return len(self._draw)

    def __repr__(self) -> str:
        return f"LazyFigures({list(self._draw)})"


@dataclass(frozen=True)
class CheckResult:
    """What a check found.

    Attributes
    ----------
    name : str
        The check's short name (``"truth"``); ``run_all`` names its files after it.
    passed : bool or None
        The verdict; None for a check that only informs.
    table : DataFrame
        The check's numbers, one row per item scored.
    text : str
        One to three sentences a report can print as they are.
    figures : mapping of str to matplotlib Figure
        Named figures, empty when the check draws none. A check whose figures take time draws
        each on first access (:class:`LazyFigures`).
    """

    name: str
    passed: bool | None
    table: pd.DataFrame
    text: str
    figures: Mapping[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """``"passed"``, ``"failed"`` or ``"informs"`` (``passed`` None)."""
        return {True: "passed", False: "failed", None: "informs"}[self.passed]

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the check by name, ``table`` first (named after the check)."""
        return {self.name: self.table}

    @property
    def headline(self) -> str:
        """What a report leads with when this check heads it (markdown); here ``text``."""
        return self.text


@dataclass(frozen=True)
class DerivedCheckResult(CheckResult):
    """A :class:`CheckResult` whose name, verdict, text and figures follow from its own fields.

    A subclass declares its fields (``table`` first, as here) and says how to judge and describe
    them in ``_name``, ``_judge``, ``_describe`` and ``_draw``; they are called once, when the
    result is made. ``figures`` draws with ``_draw``'s functions on first access.
    """

    name: str = field(init=False, default="")
    passed: bool | None = field(init=False, default=None)
    text: str = field(init=False, default="", repr=False)
    figures: Mapping[str, Any] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self._name())
        passed = self._judge()
        object.__setattr__(self, "passed", None if passed is None else bool(passed))
        object.__setattr__(self, "text", self._describe())
        object.__setattr__(self, "figures", LazyFigures(self._draw()))

    def _name(self) -> str:
        raise NotImplementedError

    def _judge(self) -> bool | None:
        return None

    def _describe(self) -> str:
        raise NotImplementedError

    def _draw(self) -> dict[str, Callable[[], Any]]:
        plot = getattr(self, "plot", None)
        return {self.name: plot} if plot is not None else {}


def binomial_band(n: int, level: float = 0.9, prob: float = 0.9) -> tuple[float, float]:
    """Central ``prob`` range of the share of ``n`` calibrated ``level`` intervals that cover.

    Under calibration the number of claims inside their ``level`` interval is
    Binomial(``n``, ``level``) (claims taken as independent); the band is its 5% and 95%
    quantiles divided by ``n``.

    Examples
    --------
    >>> [round(end, 2) for end in binomial_band(9)]
    [0.67, 1.0]
    """
    if n < 1:
        return (float("nan"), float("nan"))
    low, high = stats.binom.ppf([(1 - prob) / 2, (1 + prob) / 2], n, level)
    return float(low / n), float(high / n)


def cluster_band(hits: np.ndarray, counts: np.ndarray, resample: np.ndarray
                 ) -> tuple[float, float]:
    """5% and 95% quantiles of a share over bootstrap resamples of whole clusters.

    Parameters
    ----------
    hits, counts : ndarray, shape (cluster,)
        Per cluster (an estimator, a ledger): the rows that hit, and all its rows.
    resample : ndarray of int, shape (n_bootstrap, cluster)
        The clusters of each resample, drawn with replacement; each brings all its rows.
    """
    boot = hits[resample].sum(axis=1) / np.maximum(counts[resample].sum(axis=1), 1)
    low, high = np.quantile(boot, [0.05, 0.95])
    return float(low), float(high)

