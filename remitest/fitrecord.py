"""The record of one fitted run: its draws, the ledger, configuration and structure, its checks.

:class:`Fit` here is a plain record, low in the stack: the sampler (``remitest.sampling``) and
``remitest.export.load_run`` make one, and the stage modules above (``posterior``,
``predictive``, ``extrapolate``, ``tables``, ``plots``, ``export``, ``checks``) take one and never
reach back. The user's methods (``fit.summary()``, ``fit.series(...)``, ``fit.write(...)``) live on
its subclass :class:`remitest.api.Fit`, in the top layer, which is what ``remitest.fit``,
``remitest.Reconciler``, ``remitest.load_run`` and ``remitest.testing.fake_fit`` return.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from remitest._version import __version__
from remitest.config import ModelConfig
from remitest.diagnostics import Diagnostics
from remitest.ledger import Ledger
from remitest.structure import ModelStructure

if TYPE_CHECKING:  # pragma: no cover - PyMC and xarray only name the fields types here
    import pymc as pm
    import xarray as xr

__all__ = ["Fit"]


@dataclass
class Fit:
    """A fitted reconciliation, as a record (the user's methods: :class:`remitest.api.Fit`).

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

    def __repr__(self) -> str:
        status = "passed" if self.diagnostics.passed else "FAILED"
        return (
            f"<Fit {self.run_id}: {len(self.ledger)} claims, years {self.years[0]}-"
            f"{self.years[-1]}, {self.n_chains}x{self.n_draws} draws ({self.sampler}), "
            f"diagnostics {status}>"
        )


def _get_model(self: Fit) -> pm.Model:
    if self.__dict__.get("_model") is None:
        # Imported here, not above: reading a fit (plots, export, load_run) needs no PyMC.
        from remitest.model import build_model

        self.__dict__["_model"] = build_model(self.ledger, self.config, structure=self.structure)
    return self.__dict__["_model"]


def _set_model(self: Fit, value: pm.Model | None) -> None:
    self.__dict__["_model"] = value


# ``model`` stays an ordinary dataclass field (``Fit(..., model=m)``), read through a property
# that builds the PyMC model on first access when none was given.
Fit.model = property(_get_model, _set_model, doc="The PyMC model of this fit (built lazily).")
