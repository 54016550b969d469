"""Stopping media of :mod:`mcpgen.physics.ionisation`: mean Z/A, density, mean excitation
energy and Sternheimer density-effect parameters (PDG Atomic and Nuclear Properties of
Materials), composition (Lindhard-Scharff electronic and nuclear stopping) and, for
propane, the PSTAR proton table; and the parameter layout the Numba kernels read."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from hepunits import MeV, cm, eV, g, keV
from hepunits.constants import hbarc

from ..constants import ALPHA, M_E, M_P, N_A

_G_CM3 = g / cm**3
#: hbar c in MeV cm; Bohr radius a0 = hbar c/(alpha m_e) in cm
_HBARC_CM = hbarc / cm
_A0 = _HBARC_CM / (ALPHA * M_E)
#: atomic mass unit in MeV (nuclear masses for the nuclear stopping)
_AMU = 931.49410242
#: power of the LS / Bethe interpolation for materials without PSTAR data
P_INTERP = 1.5
#: floor velocity for materials without a PSTAR table (residual range below it)
_BETA_FLOOR_DEFAULT = 2e-3

# layout of Material.kernel_data[0]
_ZA, _RHO, _I, _CBAR, _X0, _X1, _A, _K, _D0, _CLS, _P, _BFLOOR, _BLO, _BHI, _NPAR = range(15)


def _beta_from_T(T, M):
    return math.sqrt(T * (T + 2.0 * M)) / (T + M)


_PDG = ("PDG Atomic and Nuclear Properties of Materials (pdg.lbl.gov/AtomicNuclearProperties; "
        "I from ICRU Report 37, density-effect parameters from Sternheimer, Berger, Seltzer, "
        "At. Data Nucl. Data Tables 30 (1984) 261)")

#: PSTAR electronic stopping of protons in propane gas (notes sec. 3): (T_p [keV], S [MeV cm^2/g])
PSTAR_PROPANE = (
    (1.0, 218.3), (1.5, 267.3), (2.0, 308.7), (3.0, 378.0), (5.0, 488.0), (7.0, 577.5),
    (10.0, 690.2), (15.0, 819.0), (20.0, 918.0), (30.0, 1061.0), (50.0, 1211.0),
    (70.0, 1254.0), (75.0, 1254.0), (100.0, 1220.0), (200.0, 937.9), (500.0, 515.0),
    (1000.0, 316.3), (2000.0, 189.0),
)


def lindhard_scharff_coefficient(composition) -> float:
    """c (MeV cm^2/g) in S_LS = c beta for Z1 = 1 (Lindhard-Scharff, Phys. Rev. 124 (1961)
    128; Bragg additivity); ``composition`` = ((Z, A [g/mol], atoms per molecule), ...)."""
    mass = sum(n * A for _, A, n in composition)
    per_molecule = sum(n * 8.0 * math.pi * _HBARC_CM**2 / M_E * Z / (1.0 + Z ** (2.0 / 3.0))**1.5
                       for Z, _, n in composition)
    return per_molecule * N_A / mass / ALPHA


@dataclass(frozen=True)
class Material:
    """A stopping medium: mean Z/A, density, mean excitation energy, Sternheimer
    density-effect parameters, composition (Lindhard-Scharff, nuclear stopping) and,
    where available, the PSTAR proton table."""

    name: str
    Z_over_A: float        #: <Z/A> in mol/g
    density: float         #: hepunits mass/volume
    I: float               #: mean excitation energy, hepunits energy
    Cbar: float            #: Sternheimer -C
    x0: float
    x1: float
    a: float
    k: float
    delta0: float          #: delta at x < x0 for conductors (0 for insulators and gases)
    composition: tuple     #: ((Z, A [g/mol], atoms per molecule), ...)
    pstar: tuple = ()      #: ((T_p [keV], S [MeV cm^2/g]), ...) or ()
    description: str = ""
    source: str = ""

    @property
    def density_g_cm3(self) -> float:
        return self.density / _G_CM3

    @property
    def electron_density(self) -> float:
        """Electrons per mm^3, rho N_A <Z/A>."""
        return self.density / g * N_A * self.Z_over_A

    @property
    def lindhard_scharff_coefficient(self) -> float:
        """c (MeV cm^2/g) in S_LS = c beta."""
        return lindhard_scharff_coefficient(self.composition)

    @cached_property
    def kernel_data(self):
        """(par, lnT, lnS, elem) for the kernels: parameter vector (layout ``_ZA ...``),
        ln T_p [MeV] and ln S [MeV cm^2/g] of the PSTAR table, element rows
        (Z2, M2 [MeV], atoms per gram, ZBL screening length [cm])."""
        par = np.zeros(_NPAR)
        par[[_ZA, _RHO, _I, _CBAR, _X0, _X1, _A, _K, _D0]] = (
            self.Z_over_A, self.density_g_cm3, self.I / MeV, self.Cbar, self.x0, self.x1,
            self.a, self.k, self.delta0)
        par[_CLS] = self.lindhard_scharff_coefficient
        par[_P] = P_INTERP
        if self.pstar:
            tab = np.array(self.pstar, dtype=float)
            lnT, lnS = np.log(tab[:, 0] * keV / MeV), np.log(tab[:, 1])
            par[_BLO] = _beta_from_T(tab[0, 0] * keV / MeV, M_P)
            par[_BHI] = _beta_from_T(tab[-1, 0] * keV / MeV, M_P)
            par[_BFLOOR] = par[_BLO]
        else:
            lnT = lnS = np.zeros(0)
            par[_BFLOOR] = _BETA_FLOOR_DEFAULT
        mass = sum(n * A for _, A, n in self.composition)
        elem = np.array([(Z, A * _AMU, n * N_A / mass, 0.8854 * _A0 / Z**0.23)
                         for Z, A, n in self.composition], dtype=float)
        return par, lnT, lnS, elem


_H, _C = (1, 1.00794), (6, 12.0107)

#: built-in stopping media (name -> Material)
MATERIALS = {m.name: m for m in (
    Material("propane", 0.58961, 1.879e-3 * _G_CM3, 47.1 * eV, 8.7878, 1.4326, 3.7998,
             0.09916, 3.592, 0.0, ((*_C, 3), (*_H, 8)), PSTAR_PROPANE,
             "propane gas C3H8 (tracker gas of seed 004)",
             f"{_PDG}, 'Propane (C3H8)': rho = 1.879e-3 g/cm^3, I = 47.1 eV, Z/A = 0.58961 "
             "(physics-notes sec. 3); PSTAR row from physics-notes sec. 3"),
    Material("beryllium", 4.0 / 9.012182, 1.848 * _G_CM3, 63.7 * eV, 2.7847, 0.0592, 1.6922,
             0.80392, 2.4339, 0.14, ((4, 9.012182, 1),), (),
             "beryllium (beam pipe)",
             f"{_PDG}, 'Beryllium (Be)': Z/A = 0.44384, rho = 1.848 g/cm^3, I = 63.7 eV"),
    Material("aluminium", 13.0 / 26.9815385, 2.699 * _G_CM3, 166.0 * eV, 4.2395, 0.1708,
             3.0127, 0.08024, 3.6345, 0.12, ((13, 26.9815385, 1),), (),
             "aluminium (beam pipe, inner wall)",
             f"{_PDG}, 'Aluminum (Al)': Z/A = 0.48181, rho = 2.699 g/cm^3, I = 166.0 eV"),
    Material("graphite", 6.0 / 12.0107, 2.265 * _G_CM3, 78.0 * eV, 2.8680, -0.0178, 2.3415,
             0.26142, 2.8697, 0.12, ((*_C, 1),), (),
             "graphite, compact (rho = 2.265 g/cm^3)",
             f"{_PDG}, 'Carbon (compact)': Z/A = 0.49955, rho = 2.265 g/cm^3, I = 78.0 eV"),
    Material("carbon_fibre", 6.0 / 12.0107, 1.700 * _G_CM3, 78.0 * eV, 3.1550, 0.0480, 2.5387,
             0.20762, 2.9532, 0.14, ((*_C, 1),), (),
             "carbon fibre inner wall modelled as graphite at 1.70 g/cm^3 (the H and O of the "
             "epoxy matrix neglected)",
             "Sternheimer, Berger, Seltzer, At. Data Nucl. Data Tables 30 (1984) 261, "
             "graphite row for rho = 1.70 g/cm^3 (I = 78.0 eV); Z/A = 6/12.0107"),
)}


def get_material(name) -> Material:
    """A built-in stopping medium by name (a Material passes through); unknown names raise
    ValueError listing the allowed ones."""
    if isinstance(name, Material):
        return name
    try:
        return MATERIALS[name]
    except KeyError:
        raise ValueError(f"unknown stopping material {name!r}; allowed: "
                         f"{', '.join(MATERIALS)}") from None


__all__ = ["Material", "MATERIALS", "get_material", "PSTAR_PROPANE", "lindhard_scharff_coefficient"]
