"""The installed version of remitest, in a module of its own so that any layer can read it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("remitest")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
