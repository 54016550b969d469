"""Registries: name -> implementation for processes, sources and detector modules.

Entries are ``"module:attribute"`` strings, imported on first lookup, so that
importing mcpgen (or listing the names) loads no physics and compiles nothing.
A new channel registers itself by adding one line here.
"""

from __future__ import annotations

import difflib
from importlib import import_module

from ..errors import ConfigError


class Registry:
    """A named table of lazily imported implementations."""

    def __init__(self, kind: str, entries: dict):
        self.kind = kind
        self._entries = dict(entries)

    def names(self) -> tuple:
        return tuple(self._entries)

    def __contains__(self, name) -> bool:
        return name in self._entries

    def get(self, name, *, file=None, key=None):
        """The implementation registered as ``name``; unknown names are a one-line ConfigError."""
        if name not in self._entries:
            close = difflib.get_close_matches(str(name), self.names(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"unknown {self.kind} {name!r}{hint}; allowed: "
                              f"{', '.join(self.names())}", file=file, key=key)
        module, _, attr = self._entries[name].partition(":")
        return getattr(import_module(module), attr)


#: production channels: name -> Process subclass
PROCESSES = Registry("process", {
    "brem": "mcpgen.processes.lepton_nucleus:BremProcess",
    "darkphoton": "mcpgen.processes.lepton_nucleus:DarkPhotonProcess",
    **{name: f"mcpgen.processes.meson_decay:{attr}" for name, attr in (
        ("pi0", "PI0"), ("eta", "ETA"), ("etaprime", "ETAPRIME"), ("rho", "RHO"),
        ("omega", "OMEGA"), ("phi", "PHI"), ("jpsi", "JPSI"), ("psi2s", "PSI2S"),
        ("upsilon1s", "UPSILON1S"), ("upsilon2s", "UPSILON2S"), ("upsilon3s", "UPSILON3S"))},
    "ee": "mcpgen.processes.ee_annihilation:EEProcess",
})

#: parent sources: name -> Source subclass
SOURCES = Registry("source", {
    "lepton-beam": "mcpgen.sources.lepton_beam:LeptonBeamSource",
    "meson-spectrum": "mcpgen.sources.meson_spectrum:MesonSpectrumSource",
    "collider": "mcpgen.sources.collider:ColliderSource",
})

#: detector modules: name (the card's ``detector.module``) -> DetectorModule subclass
DETECTORS = Registry("detector module", {
    "spectrometer": "mcpgen.detectors.spectrometer:Spectrometer",
    "scatter": "mcpgen.detectors.scatter:Scatter",
    "tracker": "mcpgen.detectors.tracker:Tracker",
})
