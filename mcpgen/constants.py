"""Physical constants and particle data used by mcpgen.

Internal units are those of hepunits (MeV, mm, ns).  Cross sections computed in
natural units (MeV^-2) are converted with ``HBARC2`` (MeV^2 mm^2).

Sources: alpha, m_e, m_mu, m_p from CODATA 2018 / PDG as collected in
../shared/physics-notes.md ("Constants"); masses for other particles come from
the ``particle`` package (PDG tables) at the point of use; target nuclei are the
isotopes of :data:`TARGET_ISOTOPES`, with their AME2020 atomic masses (the masses
``particle`` gives for their PDG ids).
"""

import functools

from hepunits import MeV, GeV, picobarn
from hepunits.constants import Avogadro, hbarc_sq

#: fine-structure constant (CODATA 2018)
ALPHA = 1.0 / 137.035999084
#: (hbar c)^2 in MeV^2 mm^2 : sigma[mm^2] = sigma[MeV^-2] * HBARC2
HBARC2 = hbarc_sq
#: 1 MeV^-2 expressed in picobarn
INV_MEV2_TO_PB = hbarc_sq / picobarn
#: Avogadro's number (per mole)
N_A = Avogadro

M_E = 0.51099895 * MeV
M_MU = 105.6583755 * MeV
M_P = 938.272089 * MeV
#: proton magnetic moment in nuclear magnetons (Tsai 1974, inelastic form factor)
MU_P = 2.79

#: PDG-style id used for the millicharged fermion chi (chibar is the negative).
#: There is no PDG code for an MCP; 9000011 follows the BSM-range convention of
#: MadGraph UFO models.  Detector simulations must declare it.
CHI_PDGID = 9000011

LEPTONS = {
    # name: (pdgid, mass)
    "e-": (11, M_E),
    "e+": (-11, M_E),
    "mu-": (13, M_MU),
    "mu+": (-13, M_MU),
}


#: atomic mass unit (CODATA 2018), MeV
M_U = 931.49410242 * MeV

#: The nucleus of each target element (Z): the stable isotope whose mass is nearest to the
#: element's standard atomic weight (the materials' A), and its atomic mass in u from AME2020
#: (M. Wang et al., Chinese Phys. C 45 (2021) 030003).  Abundances (IUPAC): C-12 98.9%,
#: Al-27 100%, Si-28 92.2%, Fe-56 91.8%, Cu-63 69.2% (round(63.546) = 64 is not stable),
#: W-184 30.6%, Pb-207 22.1% (Pb-208, 52.4%, is 0.38% heavier than the mean; Pb-207 0.11%
#: lighter).  These masses are those `particle` gives for the same PDG ids (atomic masses:
#: the Z electrons included) within 2.4 keV (tests/test_nucleus_masses.py).
TARGET_ISOTOPES = {
    6: (12, 12.0),
    13: (27, 26.981538408),
    14: (28, 27.976926535),
    26: (56, 55.934936326),
    29: (63, 62.929597119),
    74: (184, 183.950930916),
    82: (207, 206.975896735),
}


def _isotope_A(Z: int, A: float) -> int:
    """Mass number of the nucleus written for element Z of (mean) atomic weight A: the
    table isotope when A lies within 1 u of its mass, else round(A)."""
    iso = TARGET_ISOTOPES.get(int(Z))
    if iso is not None and abs(A - iso[1]) < 1.0:
        return iso[0]
    return int(round(A))


def nucleus_pdgid(Z: int, A: float) -> int:
    """PDG nuclear code 10LZZZAAAI (PDG MC numbering scheme, rule 16) of the nucleus written
    for a target of atomic number Z and atomic weight A (:data:`TARGET_ISOTOPES`)."""
    return 1000000000 + int(Z) * 10000 + _isotope_A(Z, A) * 10


def nucleus_mass(Z: int, A: float) -> float:
    """Mass (MeV) of the nucleus :func:`nucleus_pdgid` writes, as `particle` gives it for that
    id (the isotope's atomic mass, AME2020); it enters the recoil kinematics.  Isotopes outside
    :data:`TARGET_ISOTOPES` are looked up in `particle` on first use."""
    iso = TARGET_ISOTOPES.get(int(Z))
    a = _isotope_A(Z, A)
    if iso is not None and iso[0] == a:
        return iso[1] * M_U
    return _particle_mass(nucleus_pdgid(Z, A))


@functools.lru_cache(maxsize=None)
def _particle_mass(pdgid: int) -> float:
    from particle import Particle
    from particle.particle import ParticleNotFound

    try:
        return float(Particle.from_pdgid(pdgid).mass) * MeV
    except ParticleNotFound:
        raise ValueError(f"no nuclear mass known for PDG id {pdgid}") from None


__all__ = [
    "ALPHA", "HBARC2", "INV_MEV2_TO_PB", "N_A", "M_E", "M_MU", "M_P", "MU_P",
    "CHI_PDGID", "LEPTONS", "M_U", "TARGET_ISOTOPES", "nucleus_pdgid", "nucleus_mass", "MeV",
    "GeV",
]
