"""mcpgen.analysis: from event files to yields, eps limits and reach plots.

Data flow (CONVENTIONS.md): ROOT file -> :mod:`.yields` (N = exposure x sum w eff,
seed 001 eq. 12 / seed 002 eq. 4, summed over channels, eps scaling) -> :mod:`.limits` (classical
Poisson and Feldman-Cousins upper limits on the signal count) -> eps limit ->
:mod:`.plots` (reach plot).

The public names below are loaded lazily on first access (PEP 562), so that
``import mcpgen.analysis`` imports neither scipy nor matplotlib.
"""

_EXPORTS = {
    "METHODS": "limits",
    "poisson_upper_limit": "limits",
    "feldman_cousins_upper_limit": "limits",
    "signal_upper_limit": "limits",
    "YieldPoint": "yields",
    "point_from_metadata": "yields",
    "channel_sums": "yields",
    "eps_intervals": "yields",
    "eps_limit_from_yield": "yields",
    "yields_from_files": "yields",
    "write_yields_csv": "yields",
    "write_limits_csv": "yields",
    "read_limits_csv": "yields",
    "reach_plot": "plots",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
