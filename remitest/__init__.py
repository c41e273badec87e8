"""remitest: reconcile conflicting published estimates into yearly series with honest intervals."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("remitest")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
