"""The package version (read by hatchling and by ``codex_python_sdk.__version__``)."""

__version__ = "0.3.0"
