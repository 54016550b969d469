"""Physical constants and particle data used by mcpgen.

Internal units are those of hepunits (MeV, mm, ns).  Cross sections computed in
natural units (MeV^-2) are converted with ``HBARC2`` (MeV^2 mm^2).

Sources: alpha, m_e, m_mu, m_p from CODATA 2018 / PDG as collected in
../shared/physics-notes.md ("Constants"); masses for other particles come from
the ``particle`` package (PDG tables) at the point of use.
"""

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


def nucleus_pdgid(Z: int, A: float) -> int:
    """PDG nuclear code 10LZZZAAAI with A rounded to the nearest integer."""
    return 1000000000 + int(Z) * 10000 + int(round(A)) * 10


def nucleus_mass(Z: int, A: float) -> float:
    """Nuclear mass estimate A * m_u (in MeV); only enters the recoil kinematics."""
    return A * 931.49410242 * MeV


__all__ = [
    "ALPHA", "HBARC2", "INV_MEV2_TO_PB", "N_A", "M_E", "M_MU", "M_P", "MU_P",
    "CHI_PDGID", "LEPTONS", "nucleus_pdgid", "nucleus_mass", "MeV", "GeV",
]
