"""remitest: reconcile conflicting published estimates into yearly series with honest intervals.

>>> import remitest as rt
>>> ledger = rt.load_ledger()                    # the shipped claims   # doctest: +SKIP
>>> fit = rt.fit(ledger, random_seed=1)          # compile once, refit many   # doctest: +SKIP
>>> fit.summary()                                # yearly series with intervals   # doctest: +SKIP
>>> fit.write("results/")    # CSVs, datapackage.json, figures   # doctest: +SKIP

The names below are loaded on first use (PEP 562), so that ``import remitest`` and the command
line's ``--help`` do not pay for ArviZ, PyMC, PyTensor and matplotlib until something needs them.
``rt.fit``, ``from remitest import fit`` and ``from remitest import *`` work as if they were
imported here.
"""

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from remitest._version import __version__

# Public name -> the module that defines it. The order follows the data: ledger -> config/model
# -> fit -> products. ``fit``, ``Reconciler``, ``Fit`` and ``load_run`` come from remitest.api, the
# top layer, which wraps the sampler's record in the Fit with the user's methods.
_LAZY = {
    "Ledger": "remitest.ledger",
    "LedgerError": "remitest.ledger",
    "load_ledger": "remitest.ledger",
    "ConfigError": "remitest.config",
    "Event": "remitest.config",
    "ModelConfig": "remitest.config",
    "build_model": "remitest.model",
    "model_structure": "remitest.model",
    "Diagnostics": "remitest.diagnostics",
    "DiagnosticsError": "remitest.diagnostics",
    "DiagnosticsWarning": "remitest.diagnostics",
    "Fit": "remitest.api",
    "Reconciler": "remitest.api",
    "fit": "remitest.api",
    "simulate_ledger": "remitest.simulate.from_model",
    "synthetic_ledger": "remitest.simulate.synthetic",
    "field_ledger": "remitest.simulate.field",
    # --- run folders and comparisons (export.py, compare.py) ---------------------------------
    "Comparison": "remitest.compare",
    "compare": "remitest.compare",
    "load_run": "remitest.api",
    "write_run": "remitest.export",
    # --- end run folders and comparisons -------------------------------------------------------
}

__all__ = [
    "__version__", "Ledger", "LedgerError", "load_ledger", "ConfigError", "Event", "ModelConfig",
    "build_model", "model_structure", "Diagnostics", "DiagnosticsError", "DiagnosticsWarning",
    "Fit", "Reconciler", "fit", "simulate_ledger", "synthetic_ledger", "field_ledger", "Comparison",
    "compare", "load_run", "write_run", "checks",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs, which do not run __getattr__
    from remitest import checks as checks
    from remitest.api import Fit, Reconciler, fit
    from remitest.api import load_run as load_run
    from remitest.compare import Comparison as Comparison
    from remitest.compare import compare as compare
    from remitest.config import ConfigError, Event, ModelConfig
    from remitest.diagnostics import Diagnostics, DiagnosticsError, DiagnosticsWarning
    from remitest.export import write_run as write_run
    from remitest.ledger import Ledger, LedgerError, load_ledger
    from remitest.model import build_model, model_structure
    from remitest.simulate.field import field_ledger as field_ledger
    from remitest.simulate.from_model import simulate_ledger
    from remitest.simulate.synthetic import synthetic_ledger


def __getattr__(name: str) -> Any:
    """Load a public name (or a submodule, such as ``rt.checks``) on first use."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        return importlib.import_module(f"{__name__}.{name}")  # binds itself on the package
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise  # the submodule exists and failed to import something: say so
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package's module type: importing ``remitest.compare`` keeps ``rt.compare`` a function.

    Python binds a submodule on its package once it is first imported. ``compare`` is both a
    submodule and the function ``rt.compare``; the function wins, as it did when this file
    imported it eagerly.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "compare" and isinstance(value, types.ModuleType):
            value = value.compare
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
