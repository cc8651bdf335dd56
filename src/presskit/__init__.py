"""presskit: a static site generator for press releases."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("presskit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
