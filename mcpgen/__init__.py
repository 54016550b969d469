"""mcpgen: Monte Carlo event generator for millicharged particles (MCPs).

Importing the package does no work: sub-modules (and Numba compilation) are
loaded on first use of the public API.
"""

__version__ = "0.1.0"

_API = {
    "xsec": "mcpgen.api",
    "generate": "mcpgen.api",
    "run": "mcpgen.api",
    "load_steering": "mcpgen.steering",
    "read_events": "mcpgen.io.root",
    "export_events": "mcpgen.io.export",
}

__all__ = ["__version__", *_API]


def __getattr__(name):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'mcpgen' has no attribute {name!r}")
