"""Virtual-photon to chi chibar pair factor (seed 001 eqs. 7 and 19).

Because the chi current is conserved, integrating the chi phase space at fixed
pair four-momentum k turns the 2->4 cross section into the 2->3 cross section
for a massive vector of mass^2 k^2 and unit coupling, times

    dP = (eps^2 alpha / (3 pi)) (dk^2 / k^2) sqrt(1 - 4 m^2/k^2) (1 + 2 m^2/k^2)

(seed 001 eq. 7 with Q_chi^2/(12 pi^2) = eps^2 alpha/(3 pi)).  The same kernel,
R(m_A'^2) = dP/dk^2 at k^2 = m_A'^2, recasts dark-photon limits (eq. 19-20).
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from ..constants import ALPHA


@jit
def pair_density_kernel(k2, m_chi):
    """dP/dk^2 (MeV^-2) for eps = 1; zero below threshold 4 m^2."""
    r = m_chi * m_chi / k2
    if 4.0 * r >= 1.0:
        return 0.0
    return ALPHA / (3.0 * math.pi) / k2 * math.sqrt(1.0 - 4.0 * r) * (1.0 + 2.0 * r)


def pair_density(k2, m_chi, eps=1.0):
    """R(k^2) = dP/dk^2 (MeV^-2); seed 001 eq. (19) with Q_chi = eps e."""
    k2 = np.asarray(k2, dtype=float)
    r = m_chi**2 / k2
    ok = r < 0.25
    rs = np.where(ok, r, 0.0)
    val = ALPHA / (3 * np.pi) / k2 * np.sqrt(1 - 4 * rs) * (1 + 2 * rs)
    return eps**2 * np.where(ok, val, 0.0)


@jit
def transverse_costheta_kernel(r, beta2):
    """cos(theta*) of chi in the pair rest frame for a transversely polarised
    gamma*, density ~ 1 + c^2 + (1 - beta^2)(1 - c^2) = (2 - beta^2) + beta^2 c^2
    (../shared/physics-notes.md section 1), by inverting its cubic CDF at r in [0, 1).
    """
    if beta2 < 1e-9:
        return 2.0 * r - 1.0
    a = 2.0 - beta2
    norm = 2.0 * a + 2.0 * beta2 / 3.0
    # beta2/3 c^3 + a c + (a + beta2/3 - r norm) = 0  ->  c^3 + p c + q = 0
    p = 3.0 * a / beta2
    q = 3.0 * (a + beta2 / 3.0 - r * norm) / beta2
    # single real root of a depressed cubic with p > 0 (hyperbolic form)
    s = math.sqrt(p / 3.0)
    c = -2.0 * s * math.sinh(math.asinh(1.5 * q / (p * s)) / 3.0)
    return min(1.0, max(-1.0, c))
