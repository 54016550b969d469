"""mcpgen.io: the in-memory event record and ROOT event files.

``record`` holds :class:`EventBatch`; ``root`` writes and reads ROOT files with
uproot.  Names below are loaded on first use, so importing ``mcpgen.io`` (or
``mcpgen.io.record``) does not import uproot or awkward.
"""

_API = {
    "EventBatch": "mcpgen.io.record",
    "EventWriter": "mcpgen.io.root",
    "write_events": "mcpgen.io.root",
    "read_events": "mcpgen.io.root",
    "read_metadata": "mcpgen.io.root",
    "bench_root_write": "mcpgen.io.root",
    "iter_events": "mcpgen.io.root",
    "export_events": "mcpgen.io.export",
    "chain_of": "mcpgen.io.chain",
}

__all__ = list(_API)


def __getattr__(name):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'mcpgen.io' has no attribute {name!r}")
