"""The Source interface: where the parent particles come from, and the exposure.

A source turns the event weights of a process into expected counts:

    N = exposure x sum_i w_i eff_i,

with the exposure in the inverse of the process weight unit.  For a lepton beam
on a target (seed 001 eq. 12, seed 002 eq. 4) the weights are cross sections per
nucleus in pb and the exposure is LOT x n_T x L in pb^-1.  Other sources plug in
the same way: a colliding-beam source (integrated luminosity, a sqrt(s) spread),
tabulated meson spectra (mesons per proton on target x POT), cosmic-ray fluxes
(flux x area x time).  A source also carries the parameters that its processes
need to sample parents (beam energy at depth, spectra), documented per source.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Source(ABC):
    """Interface of a parent source; see the module docstring.

    ``kind`` is the registry name; ``weight_unit`` the unit of the weights whose
    sum the exposure multiplies; ``keys`` the steering keys the source reads from
    its ``[[setup]]`` table (each documented in :data:`KEY_DOCS` of the subclass).
    """

    kind: str = ""
    weight_unit: str = "pb"
    keys: tuple = ()

    @classmethod
    @abstractmethod
    def from_table(cls, table: dict, *, file, prefix: str) -> "Source":
        """Validate the source keys of one ``[[setup]]`` table (ConfigError on bad input)."""

    @property
    @abstractmethod
    def exposure(self) -> float:
        """Expected count per unit summed weight (inverse ``weight_unit``)."""

    @abstractmethod
    def metadata(self) -> dict:
        """Source description stored with the events (JSON-serialisable)."""

    @abstractmethod
    def to_table(self) -> dict:
        """The source keys in steering form (loadable again)."""
