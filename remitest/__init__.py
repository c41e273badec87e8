"""remitest: reconcile conflicting published estimates into yearly series with honest intervals."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("remitest")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

# --- run folders and comparisons (export.py, compare.py) -------------------------------------
from remitest.compare import Comparison as Comparison  # noqa: E402
from remitest.compare import compare as compare  # noqa: E402
from remitest.export import load_run as load_run  # noqa: E402
from remitest.export import write_run as write_run  # noqa: E402
# --- end run folders and comparisons ----------------------------------------------------------
