"""Reference cross sections for l N -> l N chi chibar (no Monte Carlo).

* :func:`sigma_eq10` — seed 001 eq. (10): the IWW 2->3 cross section (eq. 8)
  with the flux chi(k^2) of eq. (9), convolved with the pair factor (eq. 7),
  integrated by scipy quadrature over x in [x_min, x_max] and
  k^2 in [4 m_chi^2, x^2 E0^2].  This is the independent check of the Monte
  Carlo integration in :mod:`mcpgen.generators.brem`.
* :func:`sigma_eq11` — seed 001 eq. (11), the approximation
  sigma ~ (4/3) alpha^3 chi / (2m)^2 [ln(1/2 (2m/m_l)^2) + 11/12] kappa Q^2/(12 pi^2),
  kappa = 0.8, stated to hold "with a reasonable accuracy" for m_chi >~ m_l
  and x_th = 1/2; chi is evaluated at k^2 = (2 m_chi)^2.

Energies in MeV, cross sections in pb (eps = 1 unless given).
"""

from __future__ import annotations

import math


from ...constants import ALPHA, INV_MEV2_TO_PB
from ...constants import nucleus_mass
from ..formfactors import flux, flux_iww
from ..pair import pair_density
from .ww import iww_dsigma_dx, ww_dsigma_dx_physical_kernel


def x_max_default(E0, m_l):
    """Upper end of the x range, 1 - m_l/E0 (DMG4 range without the tiny recoil term)."""
    return 1.0 - m_l / E0


def _u_max(E0, m_l, M_N, k2, x):
    """Largest 1 - cos(theta) of the gamma* for which the l' N' system can exist,
    M_Q >= m_l + M_N, i.e. 2 M_N (E0 (1-x) - m_l) >= C0(u) with
    C0(u) = |p - k|^2 + m_l^2 - E0^2 (1-x)^2 = C0(0) + 2 p |k| u (written without
    cancellations as in mcpgen.generators.brem_kernels._cos_gamma_c0)."""
    omx = 1.0 - x
    pz = math.sqrt(E0 * E0 - m_l * m_l)
    K = x * x * E0 * E0 - k2
    kabs = math.sqrt(K)
    E2 = E0 * E0
    e2mpk = (E2 * E2 * omx * (1.0 + x) + E2 * k2 + m_l * m_l * K) / (E2 + pz * kabs)
    c00 = (k2 * (E2 * omx + e2mpk) + 2.0 * m_l * m_l * K) / (x * E2 + pz * kabs)
    return max(0.0, (2.0 * M_N * (E0 * omx - m_l) - c00) / (2.0 * pz * kabs))


def sigma_eq10(E0, m_chi, m_l, Z, A, x_min, x_max=None, *, eps=1.0, inelastic=True,
               epsrel=1e-7, angular="published"):
    """Seed 001 eq. (10) by nested scipy quadrature; returns sigma in pb.

    ``angular="published"`` uses eq. (8) as printed (gamma* angle integrated to
    infinity in the small-angle measure, flux limits of eq. 9).  ``"physical"``
    adds the limits exact kinematics imposes and the Monte Carlo respects: the
    angular integral stops at cos(theta) = -1 or where the l' N' system can no
    longer exist (M_Q < m_l + M_N, :func:`_u_max`), and the nucleus cannot take
    more recoil energy T = t/(2 M) than the lepton can give up,
    t <= 2 M (E0 (1-x) - m_l) (the recoil term of DMG4's
    x_max = 1 - m_l/E0 - m^4/(8 E0^3 M)).  These effects are < 1e-3 at NA64
    energies and reach per cent for LDMX near m_chi ~ 1 GeV.
    Variables: outer ln k^2, inner ln(1 - x) (the electron spectrum peaks as
    1/(1-x) near x -> 1).
    """
    if angular not in ("published", "physical"):
        raise ValueError(f"angular must be 'published' or 'physical', not {angular!r}")
    from scipy import integrate

    if x_max is None:
        x_max = x_max_default(E0, m_l)
    M_N = nucleus_mass(Z, A)
    k2_lo = 4.0 * m_chi**2
    k2_hi = (x_max * E0) ** 2
    if k2_hi <= k2_lo or x_max <= x_min:
        return 0.0

    def inner(lk2):
        k2 = math.exp(lk2)
        m_v = math.sqrt(k2)
        chi = flux_iww(E0, m_v, m_l, Z, A, inelastic)
        xa = max(x_min, m_v / E0)
        if xa >= x_max:
            return 0.0

        def f(v):  # v = ln(1 - x)
            x = 1.0 - math.exp(v)
            if angular == "physical":
                tmin, tmax = k2 * k2 / (4 * E0**2), k2 + m_l**2
                tkin = 2.0 * M_N * (E0 * (1.0 - x) - m_l)
                chi_x = chi if tkin >= tmax else flux(tmin, tkin, Z, A, inelastic)
                return ww_dsigma_dx_physical_kernel(x, E0, m_v, m_l, chi_x,
                                                    _u_max(E0, m_l, M_N, k2, x)) * (1.0 - x)
            return float(iww_dsigma_dx(x, E0, m_v, m_l, chi)) * (1.0 - x)

        val, _ = integrate.quad(f, math.log(1 - x_max), math.log(1 - xa), epsrel=epsrel,
                                limit=200)
        return val * float(pair_density(k2, m_chi)) * k2

    # outer variable w = sqrt(ln(k^2/4m^2)): removes the sqrt(1 - 4m^2/k^2) threshold
    # behaviour, which adaptive quadrature in ln k^2 resolves poorly (a 5e-4 error at
    # m_chi = 1 GeV was measured before this substitution)
    def outer(w):
        return inner(math.log(k2_lo) + w * w) * 2.0 * w

    val, _ = integrate.quad(outer, 0.0, math.sqrt(math.log(k2_hi / k2_lo)), epsrel=epsrel, limit=200)
    return eps**2 * val * INV_MEV2_TO_PB


def sigma_eq11(E0, m_chi, m_l, Z, A, *, eps=1.0, kappa=0.8, inelastic=False):
    """Seed 001 eq. (11) approximation (pb); elastic flux as in the seed."""
    chi = flux_iww(E0, 2 * m_chi, m_l, Z, A, inelastic)
    log = math.log(0.5 * (2 * m_chi / m_l) ** 2) + 11.0 / 12.0
    sigma = (4.0 / 3.0) * ALPHA**3 * chi / (2 * m_chi) ** 2 * log * kappa * eps**2 * ALPHA / (3 * math.pi)
    return sigma * INV_MEV2_TO_PB
