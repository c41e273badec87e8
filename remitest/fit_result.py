"""``Fit``: one fitted run -- its draws, the ledger and configuration that made it, and its checks.

Everything a user does after sampling starts here; the work itself lives in the stage modules
(``posterior``, ``plots``, ``export``), which take a ``Fit`` and never reach back into sampling.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from remitest import __version__
from remitest.config import ModelConfig
from remitest.design import ModelStructure
from remitest.diagnostics import Diagnostics
from remitest.ledger import Ledger

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pymc as pm
    import xarray as xr

__all__ = ["Fit"]


@dataclass
class Fit:
    """A fitted reconciliation.

    Attributes
    ----------
    idata : xarray.DataTree
        ArviZ 1's container (ArviZ 0.x's ``InferenceData`` in remitest 0.3 and before).
        ``posterior`` holds the world series ``workers`` (persons), ``remittances_usd`` and
        ``per_worker_usd`` (US$ per year) on ``(chain, draw, year)``; ``workers_host`` and
        ``remittances_usd_host`` on ``(chain, draw, host, year)``; ``host_share``;
        ``estimator_bias`` (log factor, ``(estimator, quantity)``), ``bias_sd`` (per quantity),
        ``noise_sd`` and the random-walk parameters. ``sample_stats`` and ``observed_data`` as
        PyMC writes them. ``posterior.attrs`` hold the run metadata (see :meth:`metadata`).
    ledger : Ledger
        The ledger as given, repeats included.
    config : ModelConfig
    structure : ModelStructure
    diagnostics : Diagnostics
    random_seed : int
    sampler : str
    n_draws, n_tune, n_chains : int
    model : pymc.Model
        The PyMC model of this fit. The default sampler never needs it, so it is built on first
        access (a fraction of a second, nothing compiled), also for a fit loaded from a run folder.
    """

    idata: xr.DataTree
    ledger: Ledger
    config: ModelConfig
    structure: ModelStructure
    diagnostics: Diagnostics
    random_seed: int
    sampler: str
    n_draws: int
    n_tune: int
    n_chains: int
    model: pm.Model | None = field(default=None, repr=False, compare=False)
    timings: dict[str, float] = field(default_factory=dict, repr=False)
    recorded_run_id: str | None = field(default=None, repr=False)
    #: Years outside the fitted ones, extrapolated by :meth:`extend` (empty for a fit).
    extrapolated_years: tuple[int, ...] = field(default=(), repr=False)

    # -- identity -----------------------------------------------------------------------------
    @property
    def years(self) -> np.ndarray:
        """Modelled years (ints)."""
        return np.asarray(self.structure.years)

    @property
    def hosts(self) -> tuple[str, ...]:
        """Modelled hosts, in order."""
        return self.structure.hosts

    @property
    def run_id(self) -> str:
        """Short, deterministic id of this run: same inputs and seed, same id.

        A fit loaded from a run folder keeps the id it was written with.
        """
        if self.recorded_run_id is not None:
            return self.recorded_run_id
        key = json.dumps(
            [
                __version__,
                self.ledger.sha256,
                self.config.to_json(),
                self.random_seed,
                self.sampler,
                self.n_draws,
                self.n_tune,
                self.n_chains,
                # The structure names the parameter vector: a fit under a sweep's shared
                # structure draws differently from the ledger's own.
                [list(self.structure.years), list(self.structure.hosts),
                 list(self.structure.estimators), int(self.structure.pin_year)],
            ],
        )
        return "run-" + hashlib.sha256(key.encode()).hexdigest()[:12]

    def metadata(self) -> dict[str, Any]:
        """Run metadata as written into ``datapackage.json`` and the idata attributes."""
        return {
            "run_id": self.run_id,
            "remitest_version": __version__,
            "ledger_sha256": self.ledger.sha256,
            "n_claims": len(self.ledger),
            "config": json.loads(self.config.to_json()),
            "random_seed": int(self.random_seed),
            "sampler": self.sampler,
            "draws": int(self.n_draws),
            "tune": int(self.n_tune),
            "chains": int(self.n_chains),
            "diagnostics": self.diagnostics.to_dict(),
            "structure": {
                "years": [int(y) for y in self.structure.years],
                "hosts": list(self.structure.hosts),
                "estimators": list(self.structure.estimators),
                "estimator_types": list(self.structure.estimator_types),
                "pin_year": int(self.structure.pin_year),
            },
        }

    # -- posterior products (see remitest.posterior) --------------------------------------------
    def summary(self, *, hdi_prob: float = 0.9, prior: bool = False,
                random_seed: Any = 0) -> pd.DataFrame:
        """Tidy yearly summary per scope and quantity, in base units (see docs/design.md).

        ``prior=True`` gives the prior's statistics in the same rows and columns
        (``posterior.summary``; seeded by ``random_seed``).
        """
        from remitest.posterior import summary

        return summary(self, hdi_prob=hdi_prob, prior=prior, random_seed=random_seed)

    def parameters(self) -> pd.DataFrame:
        """Every parameter, prior beside posterior, whether it moved, and the fixed constants.

        See :func:`remitest.tables.parameters_table` (written as ``parameters.csv``).
        """
        from remitest.tables import parameters_table

        return parameters_table(self)

    def draws(self) -> pd.DataFrame:
        """Joint posterior draws: ``chain, draw, year, scope`` and one column per quantity."""
        from remitest.posterior import joint_draws

        return joint_draws(self)

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
        from remitest.posterior import series

        fit = self if years is None else self.extend(years, random_seed=random_seed)
        frame = series(fit, quantity, scope=scope, prior=prior, random_seed=random_seed)
        frame["extrapolated"] = frame.index.isin(fit.extrapolated_years)
        if years is not None:
            frame = frame.loc[sorted({int(y) for y in years})]
        return frame

    def extend(self, years: Any, *, random_seed: Any = 0) -> Fit:
        """A copy whose series also cover ``years`` (see :func:`remitest.extrapolate.extend`)."""
        from remitest.extrapolate import extend

        return extend(self, years, random_seed=random_seed)

    def predict_claims(
        self, ledger: Ledger | None = None, *, random_seed: Any = None
    ) -> pd.DataFrame:
        """Posterior predictive percentile and intervals of each claim (default: this ledger)."""
        from remitest.predictive import predict_claims

        return predict_claims(
            self, ledger if ledger is not None else self.ledger, random_seed=random_seed
        )

    def derive(self, func: Any, *, name: str, hdi_prob: float = 0.9) -> pd.DataFrame:
        """Summary of a quantity derived from every joint draw (see ``posterior.derive``)."""
        from remitest.posterior import derive

        return derive(self, func, name=name, hdi_prob=hdi_prob)

    def cumulative(
        self,
        quantity: str = "remittances_usd",
        start: int | None = None,
        end: int | None = None,
        scope: str = "world",
    ) -> pd.DataFrame:
        """Total of a quantity over ``start``-``end``, summarised (see ``posterior.cumulative``)."""
        from remitest.posterior import cumulative

        return cumulative(self, quantity, start, end, scope)

    def year_on_year(self, quantity: str, scope: str = "world") -> pd.DataFrame:
        """Relative change from the previous year, summarised (see ``posterior.year_on_year``)."""
        from remitest.posterior import year_on_year

        return year_on_year(self, quantity, scope)

    def write(self, out_dir: Any, *, figures: bool = True, excel: bool = False) -> Any:
        """Write the run folder (CSVs, datapackage.json, idata.nc, figures, report.html).

        ``excel=True`` also writes ``tables.xlsx`` (see :func:`remitest.export.write_run`).
        Returns the folder's path.
        """
        from remitest.export import write_run

        return write_run(self, out_dir, figures=figures, excel=excel)

    def __repr__(self) -> str:
        status = "passed" if self.diagnostics.passed else "FAILED"
        return (
            f"<Fit {self.run_id}: {len(self.ledger)} claims, years {self.years[0]}-"
            f"{self.years[-1]}, {self.n_chains}x{self.n_draws} draws ({self.sampler}), "
            f"diagnostics {status}>"
        )


def _get_model(self: Fit) -> pm.Model:
    if self.__dict__.get("_model") is None:
        from remitest.model import build_model

        self.__dict__["_model"] = build_model(self.ledger, self.config, structure=self.structure)
    return self.__dict__["_model"]


def _set_model(self: Fit, value: pm.Model | None) -> None:
    self.__dict__["_model"] = value


# ``model`` stays an ordinary dataclass field (``Fit(..., model=m)``), read through a property
# that builds the PyMC model on first access when none was given.
Fit.model = property(_get_model, _set_model, doc="The PyMC model of this fit (built lazily).")
