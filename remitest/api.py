"""The user's entry points: ``fit``, ``Reconciler`` and ``load_run``, and the ``Fit`` they return.

The top layer of the package under the command line (see ``docs/architecture.md``). The sampler
(``remitest.sampling``) and ``remitest.export.load_run`` return the plain record
:class:`remitest.fitrecord.Fit`; this module's :class:`Fit` is that record with the user's methods
(``fit.summary()``, ``fit.series(...)``, ``fit.write(...)``), each a call into the stage module that
does the work. The stage modules take the record and never import this module, so there is no
import cycle and nothing is patched at run time: a ``Fit`` pickles by reference to this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from remitest import export, extrapolate, fitrecord, posterior, predictive, sampling, tables
from remitest.config import ModelConfig
from remitest.ledger import Ledger

__all__ = ["Fit", "Reconciler", "fit", "load_run"]


class Fit(fitrecord.Fit):
    """A fitted reconciliation: the record :class:`remitest.fitrecord.Fit` and the user's methods.

    The attributes are the record's (``idata``, ``ledger``, ``config``, ``structure``,
    ``diagnostics``, ``random_seed``, ``sampler``, ``n_draws``, ``n_tune``, ``n_chains``,
    ``model``, ``run_id``, ``metadata()``). Every function of the stage modules that takes a fit
    takes this one too.
    """

    @classmethod
    def of(cls, record: fitrecord.Fit) -> Fit:
        """The user's ``Fit`` of a record: the same attribute values, nothing copied."""
        if isinstance(record, cls):
            return record
        user_fit = cls.__new__(cls)
        user_fit.__dict__.update(record.__dict__)
        return user_fit

    def summary(self, *, hdi_prob: float = 0.9, prior: bool = False,
                random_seed: Any = 0) -> pd.DataFrame:
        """Tidy yearly summary per scope and quantity, in base units (see docs/design.md).

        ``prior=True`` gives the prior's statistics in the same rows and columns
        (``posterior.summary``; seeded by ``random_seed``).
        """
        return posterior.summary(self, hdi_prob=hdi_prob, prior=prior, random_seed=random_seed)

    def parameters(self) -> pd.DataFrame:
        """Every parameter, prior beside posterior, whether it moved, and the fixed constants.

        See :func:`remitest.tables.parameters_table` (written as ``parameters.csv``).
        """
        return tables.parameters_table(self)

    def draws(self) -> pd.DataFrame:
        """Joint posterior draws: ``chain, draw, year, scope`` and one column per quantity."""
        return posterior.joint_draws(self)

    def series(
        self, quantity: str, scope: str = "world", *, years: Any = None, prior: bool = False,
        random_seed: Any = 0,
    ) -> pd.DataFrame:
        """One quantity's yearly summary for one scope.

        ``years`` (e.g. ``range(2011, 2027)``) selects years, extending every walk beyond the
        fitted ones with steps drawn from its posterior step size (see :meth:`extend`); the
        ``extrapolated`` column says which years no fit covered. ``prior=True`` gives the
        prior's table, with the same index and columns (``posterior.PRIOR_DRAWS`` draws of the
        configured priors, seeded by ``random_seed``; see ``posterior.series``).
        """
        fit = self if years is None else self.extend(years, random_seed=random_seed)
        frame = posterior.series(fit, quantity, scope=scope, prior=prior, random_seed=random_seed)
        frame["extrapolated"] = frame.index.isin(fit.extrapolated_years)
        if years is not None:
            frame = frame.loc[sorted({int(y) for y in years})]
        return frame

    def extend(self, years: Any, *, random_seed: Any = 0) -> Fit:
        """A copy whose series also cover ``years`` (see :func:`remitest.extrapolate.extend`)."""
        return extrapolate.extend(self, years, random_seed=random_seed)

    def predict_claims(
        self, ledger: Ledger | None = None, *, random_seed: Any = None
    ) -> pd.DataFrame:
        """Posterior predictive percentile and intervals of each claim (default: this ledger)."""
        return predictive.predict_claims(
            self, ledger if ledger is not None else self.ledger, random_seed=random_seed
        )

    def derive(self, func: Any, *, name: str, hdi_prob: float = 0.9) -> pd.DataFrame:
        """Summary of a quantity derived from every joint draw (see ``posterior.derive``)."""
        return posterior.derive(self, func, name=name, hdi_prob=hdi_prob)

    def cumulative(
        self,
        quantity: str = "remittances_usd",
        start: int | None = None,
        end: int | None = None,
        scope: str = "world",
    ) -> pd.DataFrame:
        """Total of a quantity over ``start``-``end``, summarised (see ``posterior.cumulative``)."""
        return posterior.cumulative(self, quantity, start, end, scope)

    def year_on_year(self, quantity: str, scope: str = "world") -> pd.DataFrame:
        """Relative change from the previous year, summarised (see ``posterior.year_on_year``)."""
        return posterior.year_on_year(self, quantity, scope)

    def write(self, out_dir: Any, *, figures: bool = True, excel: bool = False) -> Any:
        """Write the run folder (CSVs, datapackage.json, idata.nc, figures, report.html).

        ``excel=True`` also writes ``tables.xlsx`` (see :func:`remitest.export.write_run`).
        Returns the folder's path.
        """
        return export.write_run(self, out_dir, figures=figures, excel=excel)


class Reconciler(sampling.Reconciler):
    """:class:`remitest.sampling.Reconciler`, whose fits are the user's :class:`Fit`.

    Examples
    --------
    >>> rec = Reconciler()                                         # doctest: +SKIP
    >>> first = rec.fit(ledger, random_seed=1)                     # compiles
    >>> again = rec.fit(ledger.drop("kinu-workers"), random_seed=1)  # swaps data only
    """

    record_type = Fit


def fit(
    ledger: Ledger,
    config: ModelConfig | None = None,
    *,
    draws: int = 2000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: Any = None,
    sampler: str = "auto",
    strict: bool = False,
    progressbar: bool | Callable[[str], Any] = True,
) -> Fit:
    """Fit the reconciliation model to a ledger.

    Parameters
    ----------
    ledger : Ledger
    config : ModelConfig, optional
        Defaults to ``ModelConfig()``.
    draws, tune, chains : int
        Posterior draws and tuning steps per chain, and the number of chains. 2,000 draws (not
        PyMC's 1,000): the level of per-worker remittance rests on the learned spread of biases,
        a ridge that NUTS crosses slowly, and with ~600 effective draws R-hat straddles the
        gate's 1.01 by chance; 2,000 draws cost ~0.2 s more.
    random_seed : int, numpy.random.Generator or None
        None draws a seed, records it in the fit's metadata, and prints it.
    sampler : {"auto", "nutpie", "pymc", "numpyro"}
    strict : bool
        Raise :class:`remitest.DiagnosticsError` instead of warning
        :class:`remitest.DiagnosticsWarning` when the fit fails its diagnostics gate.
    progressbar : bool or callable
        True: the sampler's progress bar (on a terminal or in a notebook). A callable: called
        with one line of text ("sampling: 2,400/12,000 draws (20%), ...") at most once a second
        while sampling, e.g. for a log file (not with ``sampler="numpyro"``).

    Returns
    -------
    Fit

    Notes
    -----
    Uses a module-level :class:`Reconciler`: the second fit of a ledger with the same structure
    reuses the compiled sampler and only swaps the data.
    """
    return Fit.of(sampling.fit(
        ledger, config, draws=draws, tune=tune, chains=chains, random_seed=random_seed,
        sampler=sampler, strict=strict, progressbar=progressbar,
    ))


def load_run(out_dir: Any) -> Fit:
    """Load a run folder written by ``fit.write`` or :func:`remitest.write_run` back as a ``Fit``.

    See :func:`remitest.export.load_run` (which returns the record) for what is read and checked.
    """
    return Fit.of(export.load_run(out_dir))
