"""remitest: reconcile conflicting published estimates into yearly series with honest intervals.

>>> import remitest as rt
>>> ledger = rt.load_ledger()                    # the shipped claims   # doctest: +SKIP
>>> fit = rt.fit(ledger, random_seed=1)          # compile once, refit many   # doctest: +SKIP
>>> fit.summary()                                # yearly series with intervals   # doctest: +SKIP
>>> fit.write("results/")    # CSVs, datapackage.json, figures   # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("remitest")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

# The order follows the data: ledger -> config/model -> fit -> products.
# --- run folders and comparisons (export.py, compare.py) -------------------------------------
from remitest.compare import Comparison as Comparison  # noqa: E402
from remitest.compare import compare as compare  # noqa: E402
from remitest.config import ConfigError, Event, ModelConfig  # noqa: E402
from remitest.diagnostics import (  # noqa: E402
    Diagnostics,
    DiagnosticsError,
    DiagnosticsWarning,
)
from remitest.export import load_run as load_run  # noqa: E402
from remitest.export import write_run as write_run  # noqa: E402
from remitest.fit_result import Fit  # noqa: E402
from remitest.fitting import Reconciler, fit  # noqa: E402
from remitest.ledger import Ledger, LedgerError, load_ledger  # noqa: E402
from remitest.model import build_model, model_structure  # noqa: E402
from remitest.simulate import simulate_ledger, synthetic_ledger  # noqa: E402

# --- end run folders and comparisons ----------------------------------------------------------

__all__ = [
    "__version__", "Ledger", "LedgerError", "load_ledger", "ConfigError", "Event", "ModelConfig",
    "build_model", "model_structure", "Diagnostics", "DiagnosticsError", "DiagnosticsWarning",
    "Fit", "Reconciler", "fit", "simulate_ledger", "synthetic_ledger", "Comparison", "compare",
    "load_run", "write_run", "checks",
]

# Last: the checks build on everything above (rt.checks.cross_validate, rt.checks.run_all, ...).
from remitest import checks as checks  # noqa: E402
