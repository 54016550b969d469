"""Target materials.

Values from the PDG "Atomic and Nuclear Properties of Materials" tables
(pdg.lbl.gov/AtomicNuclearProperties, as in R.L. Workman et al. (PDG),
PTEP 2022, 083C01): Z, A [g/mol], density [g/cm^3], radiation length X0
[g/cm^2] and minimum ionisation <dE/dx>_min [MeV cm^2/g].  X0 in length units
is X0 [g/cm^2] / density.  Carbon is graphite at 2.210 g/cm^3.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from hepunits import cm, g, MeV

_g_cm2 = g / cm**2
_g_cm3 = g / cm**3


@dataclass(frozen=True)
class Material:
    name: str
    Z: int
    A: float            #: atomic weight in g/mol (dimensionless number)
    density: float      #: hepunits mass/volume
    X0_mass: float      #: radiation length, hepunits mass/area
    dEdx_min: float     #: minimum ionisation, hepunits energy * area / mass
    source: str = "PDG Atomic and Nuclear Properties"

    @property
    def X0(self) -> float:
        """Radiation length in hepunits length (mm)."""
        return self.X0_mass / self.density

    @property
    def dEdx(self) -> float:
        """Minimum-ionisation energy loss per length (MeV/mm)."""
        return self.dEdx_min * self.density

    def atoms_per_volume(self) -> float:
        """Number density of nuclei n = rho N_A / A (per mm^3)."""
        from ..constants import N_A

        return self.density / g * N_A / self.A


def _m(name, Z, A, rho, X0, dedx):
    return Material(name, Z, A, rho * _g_cm3, X0 * _g_cm2, dedx * MeV * cm**2 / g)


MATERIALS = {
    m.name: m
    for m in (
        _m("Pb", 82, 207.2, 11.35, 6.37, 1.122),
        _m("W", 74, 183.84, 19.30, 6.76, 1.145),
        _m("Al", 13, 26.9815385, 2.699, 24.01, 1.615),
        _m("Fe", 26, 55.845, 7.874, 13.84, 1.451),
        _m("Cu", 29, 63.546, 8.960, 12.86, 1.403),
        _m("C", 6, 12.0107, 2.210, 42.70, 1.742),
        _m("Si", 14, 28.0855, 2.329, 21.82, 1.664),
    )
}


def get_material(name: str) -> Material:
    """Look up a built-in material; unknown names raise ValueError with the allowed ones."""
    try:
        return MATERIALS[name]
    except KeyError:
        close = difflib.get_close_matches(name, MATERIALS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"unknown target material {name!r}{hint}; allowed: {', '.join(MATERIALS)}"
        ) from None
