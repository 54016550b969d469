"""Energy loss of a (slow) millicharged particle in matter: stopping powers and range.

A chi of mass M, charge eps e and velocity beta loses energy to the electrons of the
medium.  Everything here is proportional to eps^2 (linear response, the projectile is a
point charge that binds no electrons) except the optional nuclear stopping, whose
screening logarithm carries ln(1/eps).  Sources: PDG review "Passage of particles through
matter" (R. L. Workman et al., PTEP 2022 083C01, sec. 34.2, the "PDG review" below) and
../shared/physics-notes.md section 3 ("the notes").

Electronic stopping, three regimes
----------------------------------
* **Bethe-Bloch** (PDG review eq. 34.5; notes sec. 3), mass stopping power

      S_BB = K eps^2 (Z/A) (1/beta^2) [ (1/2) ln(2 m_e beta^2 gamma^2 W_max / I^2) - beta^2 - delta/2 ],
      W_max = 2 m_e beta^2 gamma^2 / (1 + 2 gamma m_e/M + (m_e/M)^2)            (PDG eq. 34.4),

  K = 4 pi N_A r_e^2 m_e = 0.307075 MeV cm^2/mol, with the Sternheimer density effect
  (PDG eq. 34.7; R. M. Sternheimer, M. J. Berger, S. M. Seltzer, At. Data Nucl. Data
  Tables 30 (1984) 261), x = log10(beta gamma):

      delta = 2 ln10 x - Cbar                      x >= x1
            = 2 ln10 x - Cbar + a (x1 - x)^k       x0 <= x < x1
            = delta0 10^(2 (x - x0))               x < x0  (delta0 = 0 for insulators, gases).

  The spin-1/2 term (1/8)(W_max/E)^2 of the bracket is left out (< 1e-4 of it for a
  muon at beta gamma = 3, smaller for heavy chi); shell and Barkas corrections are not in
  the formula, which is why it fails below beta ~ 0.05 (notes sec. 3).
* **PSTAR** (notes sec. 3: NIST PSTAR electronic stopping of protons in propane gas, the
  corrected G4_PROPANE row of Geant4's G4PSTARStopping.cc), proton kinetic energies
  T_p = 1 keV ... 2 MeV, used at equal velocity, T_p = m_p (gamma - 1), and scaled by
  eps^2.  Interpolation is linear in (ln T_p, ln S) between the nodes, so the nodes are
  reproduced exactly.  The notes give the peak as "70-75 keV: 1254"; both nodes carry
  1254.  Caveats, documented not corrected: (i) below T_p ~ 25 keV the proton data
  include charge exchange (the proton spends part of its path as neutral H), and a
  proton is not in the linear-response regime (Barkas Z1^3 terms, nonlinear screening
  at low velocity), so eps^2 S_p(beta) for a point charge eps e is uncertain at the
  tens-of-per-cent level there (notes sec. 3); (ii) equal-velocity scaling assumes
  M >> m_e: W_max(M) differs from W_max(m_p) by < 0.5 % of the logarithm for M > 100 MeV
  at beta < 0.065.
* **Lindhard-Scharff** (J. Lindhard, M. Scharff, Phys. Rev. 124 (1961) 128), electronic
  stopping proportional to velocity for v < v0 Z1^(2/3), v0 = alpha c (beta < 7.3e-3
  for Z1 = 1):

      S_LS per atom = 8 pi e^2 a0 Z1^(7/6) Z2 / (Z1^(2/3) + Z2^(2/3))^(3/2) (v/v0),

  with Z1 = 1 (the proton; eps^2 scaling as above), e^2 a0 = (hbar c)^2/m_e, and Bragg
  additivity over the atoms of a compound.  Propane: S_LS = 1.737e5 beta MeV cm^2/g
  (notes sec. 3), 1.162 x PSTAR at T_p <= 10 keV.

The combined electronic stopping S_e(beta) (:func:`electronic_stopping`), continuous in
beta by construction:

* materials with a PSTAR row (propane):

  - beta below the first node (T_p < 1 keV, beta < 1.46e-3): the Lindhard-Scharff shape
    S ~ beta, normalised to the 1 keV node (i.e. 0.861 x the LS prediction; pure LS would
    jump by +16.2 % there);
  - 1 keV <= T_p <= 2 MeV: PSTAR interpolation;
  - above 2 MeV (beta > 0.0652): Bethe-Bloch with a fading correction to its bracket,
    L -> L - dL_j (eta_j/eta)^2, eta = beta gamma, dL_j fixed so that S is continuous at
    the 2 MeV node (pure Bethe-Bloch jumps by +2.0 % there).  The eta^-2 fall-off is the
    leading term of the shell correction C/Z (PDG review eq. 34.5 discussion; Barkas-Berger
    parametrisation C = (0.422377 eta^-2 + ...) 1e-6 I^2 + ...), so the correction is
    < 1e-3 of S above beta gamma ~ 1;

* materials without one (beryllium, aluminium, carbon): a power-mean interpolation in
  the spirit of the Varelas-Biersack form used in ICRU Report 49 and SRIM
  (1/S = 1/S_low + 1/S_high):

      S_e = (S_LS^-p + S_hi^-p)^(-1/p),   p = 1.5,
      S_hi = K (Z/A)/beta^2 [ ln(1 + z) - beta^2 - delta/2 ],  z = sqrt(2 m_e beta^2 gamma^2 W_max)/I,

  the Bethe bracket with ln z -> ln(1 + z), so that S_hi stays positive and tends to a
  constant at low velocity (S_e -> S_LS).  p = 1.5 was calibrated on propane: applied to
  propane, the recipe matches the PSTAR nodes within -6 % ... +15 % (r.m.s. 8 %; the +15 %
  at T_p <= 10 keV is the Lindhard-Scharff excess itself); take that as its uncertainty.
  Above beta = 0.3 it equals Bethe-Bloch to < 3e-4.

Nuclear stopping (optional, off by default)
-------------------------------------------
Elastic Coulomb scattering on the screened nuclei, ZBL universal nuclear stopping
(J. F. Ziegler, J. P. Biersack, U. Littmark, "The Stopping and Range of Ions in Solids",
Pergamon 1985, ch. 2), per atom

    S_n = 4 pi a mu eps Z2 e^2 s_n(epsr) / M2,   epsr = a mu beta^2 / (2 eps Z2 e^2),
    s_n = ln(1 + 1.1383 epsr) / (2 (epsr + 0.01321 epsr^0.21226 + 0.19593 epsr^0.5))  (epsr <= 30),
    s_n = ln(epsr) / (2 epsr)                                                      (epsr > 30),

mu = M M2/(M + M2), a = 0.8854 a0 / Z2^0.23 (the ZBL screening length without the
projectile's Z1^0.23: a point charge carries no electrons).  For epsr >> 1 this is the
screened Rutherford result 4 pi eps^2 Z2^2 e^4 ln(epsr)/(M2 v^2).  It falls as 1/beta^2
while S_e ~ beta, and for eps ~ 3e-3 and M ~ 1.5 GeV in propane it is ~4 % of S_e at
beta = 5e-3 and exceeds S_e below beta ~ 1.5e-3: it matters for where a slow chi stops,
not for its ionisation (energy given to recoiling nuclei is not counted as ionisation).

Range and stepping
------------------
:func:`csda_range` is the continuous-slowing-down range R(T) = int_0^beta M beta gamma^3
dbeta / (rho S(beta)) by scipy quadrature (finite integrand at beta -> 0 since S ~ beta).
:func:`slab_transport_kernel` steps a chi through a slab: step length dx = f T/(dE/dx)
(f = ``max_step_fraction``, default 0.02: <= ~2 % energy loss per step), midpoint rule
in T (local error O(f^3), global O(f^2): ~1e-4 relative at f = 0.02); once beta is below
the material's floor velocity (the first PSTAR node, or 2e-3) the residual range is a
16-point Gauss-Legendre quadrature of the same integrand, and the chi stops inside the
slab if that fits.

Delta electrons
---------------
PDG review eq. 34.10 with the spin-1/2 term (notes sec. 3), for I << T <= W_max,

    d^2N/(dT dx) = (1/2) K eps^2 (Z/A) rho (1/beta^2) F(T)/T^2,  F = 1 - beta^2 T/W_max + T^2/(2 E^2).

This is n_e d sigma/dT of the exact tree-level chi e -> chi e cross section of
:mod:`mcpgen.physics.chi_e_scattering` (same W_max = T_max), so the closed-form count
with T >= T_min and the inverse-CDF sampling (one uniform per electron) reuse its
kernels (in :mod:`mcpgen.physics.delta_rays`).  It assumes free electrons: T >> I and
beta > alpha (seed 004, below eq. 9).  The media are in :mod:`mcpgen.physics.stopping_media`.

Ionisation per unit length (seed 004's signature) is the electronic stopping times the
density (:func:`ionisation_per_length`); seed 004 eq. (4)-(5) as printed is
:func:`seed004_dedx` (its eq. 6: 25 eV/cm at eps = 1.8e-3, beta = 1e-2, I = 11 eV).

Layers as elsewhere in mcpgen: scalar ``@jit`` kernels taking a material's kernel data
(``Material.kernel_data``: a parameter vector, the PSTAR table in logs, the element
table), array kernels, thin wrappers.  Kernels work with mass stopping in MeV cm^2/g and
linear dE/dx in MeV/mm; the wrappers take and return hepunits.
"""

from __future__ import annotations

import math

import numpy as np
from hepunits import MeV, cm, eV, g

from .._jit import jit
from ..constants import ALPHA, M_E, M_P
from .stopping_media import (_BFLOOR, _BHI, _BLO, _CBAR, _CLS, _D0, _G_CM3, _HBARC_CM, _I, _K,
                             _P, _RHO, _X0, _X1, _ZA, _A, get_material)
# the media, re-exported: mcpgen.physics.ionisation is where users look for them
from .stopping_media import (MATERIALS, PSTAR_PROPANE, Material,  # noqa: F401
                             lindhard_scharff_coefficient)

#: K = 4 pi N_A r_e^2 m_e c^2 in MeV cm^2/mol (PDG review Table 34.1)
K_BETHE = 0.307075
#: hepunits unit of mass stopping power, MeV cm^2/g
MASS_STOPPING_UNIT = MeV * cm**2 / g
_LN10 = math.log(10.0)
_E2 = ALPHA * _HBARC_CM
#: 16-point Gauss-Legendre nodes/weights on [-1, 1] (residual range)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)


# ---------------------------------------------------------------------------- kernels
@jit
def beta_from_T_kernel(T, M):
    """Velocity of a particle of kinetic energy T and mass M (MeV), sqrt(T (T + 2M))/(T + M)."""
    if not T > 0.0:
        return 0.0
    return math.sqrt(T * (T + 2.0 * M)) / (T + M)


@jit
def T_from_beta_kernel(beta, M):
    """Kinetic energy M (gamma - 1) = M beta^2 gamma^2/(gamma + 1), without cancellation."""
    g2 = 1.0 / (1.0 - beta * beta)
    return M * beta * beta * g2 / (math.sqrt(g2) + 1.0)


@jit
def density_effect_kernel(bg, Cbar, x0, x1, a, k, delta0):
    """Sternheimer density-effect correction delta(beta gamma) (PDG review eq. 34.7)."""
    if not bg > 0.0:
        return 0.0
    x = math.log10(bg)
    if x >= x1:
        return 2.0 * _LN10 * x - Cbar
    if x >= x0:
        return 2.0 * _LN10 * x - Cbar + a * (x1 - x) ** k
    return delta0 * 10.0 ** (2.0 * (x - x0))


@jit
def w_max_kernel(beta, M):
    """Largest energy transfer to a free electron (MeV), PDG review eq. 34.4."""
    g2 = 1.0 / (1.0 - beta * beta)
    r = M_E / M
    return 2.0 * M_E * beta * beta * g2 / (1.0 + 2.0 * math.sqrt(g2) * r + r * r)


@jit
def bethe_bracket_kernel(beta, M, I, Cbar, x0, x1, a, k, delta0):
    """The Bethe bracket (1/2) ln(2 m_e b^2 g^2 W_max/I^2) - b^2 - delta/2 (PDG eq. 34.5)."""
    g2 = 1.0 / (1.0 - beta * beta)
    bg2 = beta * beta * g2
    d = density_effect_kernel(math.sqrt(bg2), Cbar, x0, x1, a, k, delta0)
    return (0.5 * math.log(2.0 * M_E * bg2 * w_max_kernel(beta, M) / (I * I))
            - beta * beta - 0.5 * d)


@jit
def bethe_bloch_kernel(beta, M, Z_over_A, I, Cbar, x0, x1, a, k, delta0):
    """Bethe-Bloch mass stopping power (MeV cm^2/g) at eps = 1 (PDG review eq. 34.5);
    I and M in MeV.  Negative where the bracket is (beta below ~ sqrt(I/2m_e))."""
    return (K_BETHE * Z_over_A / (beta * beta)
            * bethe_bracket_kernel(beta, M, I, Cbar, x0, x1, a, k, delta0))


@jit
def _bb_par(beta, M, par):
    return bethe_bracket_kernel(beta, M, par[_I], par[_CBAR], par[_X0], par[_X1], par[_A],
                                par[_K], par[_D0])


@jit
def _interpolated_kernel(beta, M, par):
    """LS / Bethe power-mean interpolation for materials without PSTAR data (docstring)."""
    s_ls = par[_CLS] * beta
    g2 = 1.0 / (1.0 - beta * beta)
    bg2 = beta * beta * g2
    z = math.sqrt(2.0 * M_E * bg2 * w_max_kernel(beta, M)) / par[_I]
    d = density_effect_kernel(math.sqrt(bg2), par[_CBAR], par[_X0], par[_X1], par[_A],
                              par[_K], par[_D0])
    bracket = math.log1p(z) - beta * beta - 0.5 * d
    s_hi = K_BETHE * par[_ZA] / (beta * beta) * bracket
    if not s_hi > 0.0:
        return s_ls
    p = par[_P]
    if s_hi < s_ls:
        return s_hi * (1.0 + (s_hi / s_ls) ** p) ** (-1.0 / p)
    return s_ls * (1.0 + (s_ls / s_hi) ** p) ** (-1.0 / p)


@jit
def electronic_stopping_kernel(beta, M, par, lnT, lnS):
    """Combined electronic mass stopping power (MeV cm^2/g) at eps = 1 for velocity beta
    and mass M (MeV); ``par, lnT, lnS`` from ``Material.kernel_data`` (module docstring:
    LS shape below the PSTAR table, PSTAR, Bethe-Bloch with a fading join; or the
    LS / Bethe interpolation without a table).  0 at beta <= 0, NaN at beta >= 1."""
    if not beta > 0.0:
        return 0.0
    if not beta < 1.0:
        return math.nan
    n = lnT.shape[0]
    if n == 0:
        return _interpolated_kernel(beta, M, par)
    if beta <= par[_BLO]:
        return math.exp(lnS[0]) * beta / par[_BLO]
    if beta < par[_BHI]:
        lt = math.log(T_from_beta_kernel(beta, M_P))
        lo, hi = 0, n - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if lnT[mid] <= lt:
                lo = mid
            else:
                hi = mid
        w = (lt - lnT[lo]) / (lnT[hi] - lnT[lo])
        w = min(max(w, 0.0), 1.0)
        return math.exp(lnS[lo] + w * (lnS[hi] - lnS[lo]))
    bj = par[_BHI]
    kza = K_BETHE * par[_ZA]
    dl_j = _bb_par(bj, M, par) - math.exp(lnS[n - 1]) * bj * bj / kza
    fade = (bj * bj / (1.0 - bj * bj)) / (beta * beta / (1.0 - beta * beta))
    return kza / (beta * beta) * (_bb_par(beta, M, par) - dl_j * fade)


@jit
def nuclear_stopping_kernel(beta, M, eps, elem):
    """ZBL nuclear mass stopping power (MeV cm^2/g) of a point charge eps e of mass M
    (MeV); ``elem`` rows are (Z2, M2 [MeV], atoms per gram, screening length a [cm])."""
    q = abs(eps)
    if not (beta > 0.0 and q > 0.0):
        return 0.0
    total = 0.0
    for j in range(elem.shape[0]):
        Z2, M2, n_g, a = elem[j, 0], elem[j, 1], elem[j, 2], elem[j, 3]
        mu = M * M2 / (M + M2)
        er = a * mu * beta * beta / (2.0 * q * Z2 * _E2)
        if er > 30.0:
            sn = math.log(er) / (2.0 * er)
        else:
            sn = math.log1p(1.1383 * er) / (
                2.0 * (er + 0.01321 * er ** 0.21226 + 0.19593 * math.sqrt(er)))
        total += n_g * 4.0 * math.pi * a * mu * q * Z2 * _E2 * sn / M2
    return total


@jit
def linear_dedx_kernel(T, M, eps, par, lnT, lnS, elem, nuclear):
    """Mean energy loss per length (MeV/mm) of a chi of kinetic energy T (MeV):
    rho (eps^2 S_e + [nuclear] S_n) with S in MeV cm^2/g and rho in g/cm^3 (/10: cm -> mm)."""
    beta = beta_from_T_kernel(T, M)
    s = eps * eps * electronic_stopping_kernel(beta, M, par, lnT, lnS)
    if nuclear:
        s += nuclear_stopping_kernel(beta, M, eps, elem)
    return 0.1 * par[_RHO] * s


@jit
def _range_integrand_kernel(beta, M, eps, par, lnT, lnS, elem, nuclear):
    """d R/d beta = M beta gamma^3 / (dE/dx) in mm (finite at beta -> 0 since S ~ beta)."""
    if not beta > 0.0:  # S_e ~ beta dominates S_n ~ beta^1.58 (ZBL, epsr -> 0) as beta -> 0
        s1 = par[_CLS] if lnT.shape[0] == 0 else math.exp(lnS[0]) / par[_BLO]
        return M / (0.1 * par[_RHO] * eps * eps * s1)
    g = 1.0 / math.sqrt(1.0 - beta * beta)
    s = eps * eps * electronic_stopping_kernel(beta, M, par, lnT, lnS)
    if nuclear:
        s += nuclear_stopping_kernel(beta, M, eps, elem)
    return M * beta * g * g * g / (0.1 * par[_RHO] * s)


@jit
def residual_range_kernel(beta, M, eps, par, lnT, lnS, elem, nuclear):
    """Range (mm) from velocity beta to rest, 16-point Gauss-Legendre in beta; meant for
    beta below the floor velocity, where the integrand is smooth."""
    h = 0.5 * beta
    total = 0.0
    for i in range(_GL_X.shape[0]):
        total += _GL_W[i] * _range_integrand_kernel(h * (1.0 + _GL_X[i]), M, eps, par, lnT,
                                                    lnS, elem, nuclear)
    return h * total


@jit
def slab_transport_kernel(T0, M, eps, L, par, lnT, lnS, elem, frac, nuclear):
    """Step a chi of mass M, kinetic energy T0 (MeV) and charge eps through a slab of
    thickness L (mm) along its direction.  Returns (T_exit, x_end, stopped): the exit
    kinetic energy and x_end = L, or (0, stopping depth, True).

    Step control (module docstring): dx = frac T/(dE/dx) (<= ~frac energy loss per step),
    midpoint rule in T; below the floor velocity the residual range decides stopping."""
    if not T0 > 0.0:
        return 0.0, 0.0, True
    x = 0.0
    T = T0
    checked = False
    for _ in range(1000000):
        if not x < L:
            break
        if not checked and beta_from_T_kernel(T, M) <= par[_BFLOOR]:
            checked = True
            r = residual_range_kernel(beta_from_T_kernel(T, M), M, eps, par, lnT, lnS, elem,
                                      nuclear)
            if x + r <= L:
                return 0.0, x + r, True
        f0 = linear_dedx_kernel(T, M, eps, par, lnT, lnS, elem, nuclear)
        if not f0 > 0.0:
            return T, L, False
        dx = min(frac * T / f0, L - x)
        Tm = T - 0.5 * dx * f0
        f1 = linear_dedx_kernel(Tm, M, eps, par, lnT, lnS, elem, nuclear)
        Tn = T - dx * f1
        if not Tn > 0.0:
            return 0.0, x + T / f1, True
        T = Tn
        x += dx
    return T, L, False


# ---------------------------------------------------------------------- array kernels
@jit
def _electronic_array(beta, M, par, lnT, lnS, out):
    for i in range(beta.shape[0]):
        out[i] = electronic_stopping_kernel(beta[i], M[i], par, lnT, lnS)


@jit
def _bethe_array(beta, M, par, out):
    for i in range(beta.shape[0]):
        out[i] = K_BETHE * par[_ZA] / (beta[i] * beta[i]) * _bb_par(beta[i], M[i], par)


@jit
def _interp_array(beta, M, par, out):
    for i in range(beta.shape[0]):
        out[i] = _interpolated_kernel(beta[i], M[i], par) if beta[i] > 0.0 else 0.0


@jit
def _nuclear_array(beta, M, eps, elem, out):
    for i in range(beta.shape[0]):
        out[i] = nuclear_stopping_kernel(beta[i], M[i], eps[i], elem)


@jit
def _transport_array(T0, M, eps, L, par, lnT, lnS, elem, frac, nuclear, T_out, x_out, stop):
    for i in range(T0.shape[0]):
        T_out[i], x_out[i], stop[i] = slab_transport_kernel(T0[i], M[i], eps[i], L[i], par,
                                                            lnT, lnS, elem, frac, nuclear)


def _flat(*args):
    arrs = np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in args])
    return arrs[0].shape, [np.ascontiguousarray(a).ravel() for a in arrs]


# ---------------------------------------------------------------------- public wrappers
def beta_from_T(T, M):
    """Velocity for kinetic energy ``T`` and mass ``M`` (hepunits energies)."""
    T, M = np.asarray(T, dtype=float), np.asarray(M, dtype=float)
    return np.sqrt(T * (T + 2.0 * M)) / (T + M)


def T_from_beta(beta, M):
    """Kinetic energy M (gamma - 1) for velocity ``beta`` and mass ``M``."""
    b2 = np.asarray(beta, dtype=float) ** 2
    g2 = 1.0 / (1.0 - b2)
    return np.asarray(M, dtype=float) * b2 * g2 / (np.sqrt(g2) + 1.0)


def density_effect(beta_gamma, material="propane"):
    """Sternheimer delta(beta gamma) of ``material`` (PDG review eq. 34.7)."""
    m = get_material(material)
    f = np.vectorize(lambda bg: density_effect_kernel(bg, m.Cbar, m.x0, m.x1, m.a, m.k,
                                                      m.delta0), otypes=[float])
    return f(np.asarray(beta_gamma, dtype=float))


def bethe_bloch(beta, M, eps=1.0, material="propane"):
    """Bethe-Bloch mean mass stopping power (hepunits, MeV cm^2/g) of charge ``eps`` e,
    mass ``M``, velocity ``beta`` (PDG review eq. 34.5, density effect included, no shell
    correction); proportional to eps^2."""
    par = get_material(material).kernel_data[0]
    shape, (b, m) = _flat(beta, M)
    out = np.empty(b.shape)
    _bethe_array(b, m / MeV, par, out)
    return np.asarray(eps, dtype=float) ** 2 * out.reshape(shape) * MASS_STOPPING_UNIT


def lindhard_scharff(beta, eps=1.0, material="propane"):
    """Lindhard-Scharff electronic mass stopping eps^2 c beta (hepunits), valid for
    beta < 7.3e-3 (module docstring)."""
    c = get_material(material).lindhard_scharff_coefficient
    return np.asarray(eps, dtype=float) ** 2 * c * np.asarray(beta, dtype=float) * MASS_STOPPING_UNIT


def pstar_stopping(beta, eps=1.0, material="propane"):
    """The PSTAR proton table at equal velocity (log-log interpolation, scaled by eps^2;
    hepunits mass stopping); NaN outside 1 keV <= T_p <= 2 MeV or without a table."""
    m = get_material(material)
    b = np.asarray(beta, dtype=float)
    if not m.pstar:
        return np.full(b.shape, np.nan)
    _, lnT, lnS, _ = m.kernel_data
    lt = np.log(T_from_beta(b, M_P) / MeV)
    s = np.exp(np.interp(lt, lnT, lnS, left=np.nan, right=np.nan))
    return np.asarray(eps, dtype=float) ** 2 * s * MASS_STOPPING_UNIT


def interpolated_stopping(beta, M, eps=1.0, material="propane"):
    """The LS / Bethe power-mean recipe of materials without PSTAR data, for any material
    (on propane it measures the recipe against PSTAR); hepunits mass stopping."""
    par = get_material(material).kernel_data[0]
    shape, (b, m) = _flat(beta, M)
    out = np.empty(b.shape)
    _interp_array(b, m / MeV, par, out)
    return np.asarray(eps, dtype=float) ** 2 * out.reshape(shape) * MASS_STOPPING_UNIT


def electronic_stopping(beta, M, eps=1.0, material="propane"):
    """Combined electronic mass stopping power S_e(beta) (hepunits, MeV cm^2/g) for
    1e-3 <~ beta < 1 (module docstring), proportional to eps^2."""
    par, lnT, lnS, _ = get_material(material).kernel_data
    shape, (b, m) = _flat(beta, M)
    out = np.empty(b.shape)
    _electronic_array(b, m / MeV, par, lnT, lnS, out)
    return np.asarray(eps, dtype=float) ** 2 * out.reshape(shape) * MASS_STOPPING_UNIT


def nuclear_stopping(beta, M, eps=1.0, material="propane"):
    """ZBL nuclear mass stopping (hepunits) of a point charge eps e (module docstring)."""
    elem = get_material(material).kernel_data[3]
    shape, (b, m, e) = _flat(beta, M, eps)
    out = np.empty(b.shape)
    _nuclear_array(b, m / MeV, e, elem, out)
    return out.reshape(shape) * MASS_STOPPING_UNIT


def stopping_power(beta, M, eps=1.0, material="propane", nuclear=False):
    """Mean energy loss per length -dE/dx (hepunits energy/length) = rho (S_e [+ S_n])."""
    m = get_material(material)
    s = electronic_stopping(beta, M, eps, m)
    if nuclear:
        s = s + nuclear_stopping(beta, M, eps, m)
    return s * m.density


def ionisation_per_length(beta, M, eps, material="propane"):
    """Energy given to the electrons per unit path (hepunits; ``/ (eV/cm)`` for eV/cm):
    rho S_e, the quantity seed 004 compares with I_min (its eqs. 4, 6, 7)."""
    return stopping_power(beta, M, eps, material, nuclear=False)


def seed004_dedx(beta, eps, M, I=11.0 * eV, density=1.864e-3 * _G_CM3, Z_over_A=26.0 / 44.0,
                 K=0.307):
    """Seed 004 eqs. (4)-(5) as printed (hepunits energy/length): rho K (Z/A) eps^2/beta^2
    (1/2) ln(2 m_e beta^2 T_max/I^2), T_max = 2 m_e b^2 g^2/(1 + 2 g m_e/M + (m_e/M)^2);
    defaults are the seed's propane (I = 11 eV, rho = 1.864e-3 g/cm^3, Z = 26, A = 44,
    K = 0.307 MeV cm^2/mol)."""
    b = np.asarray(beta, dtype=float)
    t_max = np.vectorize(lambda x, m: w_max_kernel(x, m), otypes=[float])(b, np.asarray(M) / MeV)
    i = I / MeV
    s = K * Z_over_A * np.asarray(eps, dtype=float) ** 2 / b**2 * 0.5 * np.log(
        2.0 * M_E * b**2 * t_max / i**2)
    return s * MASS_STOPPING_UNIT * density


def _log_range_integrand(u, *args):
    b = math.exp(u)
    return b * _range_integrand_kernel(b, *args)


def csda_range(T, M, eps=1.0, material="propane", nuclear=False, epsrel=1e-9):
    """Continuous-slowing-down range (hepunits length) of a chi of kinetic energy ``T``
    and mass ``M``: int_0^beta M beta gamma^3 dbeta/(dE/dx), scipy quadrature in ln beta
    with the PSTAR nodes (and the ZBL form switch) as break points; the reference for
    :func:`transport_slab`."""
    from scipy.integrate import quad

    m = get_material(material)
    par, lnT, lnS, elem = m.kernel_data
    T, M = np.broadcast_arrays(np.asarray(T, dtype=float), np.asarray(M, dtype=float))
    out = np.empty(T.shape)
    for idx in np.ndindex(T.shape):
        mm = float(M[idx]) / MeV
        b0 = beta_from_T_kernel(float(T[idx]) / MeV, mm)
        nodes = np.exp(lnT) if lnT.size else np.zeros(0)
        pts = [beta_from_T_kernel(t, M_P) for t in nodes]
        if nuclear:  # ZBL switches form at epsr = 30 (a 1 % step in s_n)
            mu = mm * elem[:, 1] / (mm + elem[:, 1])
            pts += list(np.sqrt(60.0 * abs(float(eps)) * elem[:, 0] * _E2 / (elem[:, 3] * mu)))
        pts = sorted(p for p in pts if 0.0 < p < b0)
        if not b0 > 0.0:
            out[idx] = 0.0
            continue
        args = (mm, float(eps), par, lnT, lnS, elem, bool(nuclear))
        # in u = ln beta: smooth also where nuclear stopping makes dR/dbeta ~ beta^-0.58
        # (beta << 1e-4); the part below beta0 e^-40 is added as beta f(beta) (negligible)
        u0, u1 = math.log(b0) - 40.0, math.log(b0)
        upts = [math.log(p) for p in pts if p > b0 * math.exp(-40.0)]
        lo = math.exp(u0)
        out[idx] = lo * _range_integrand_kernel(lo, *args) + quad(
            _log_range_integrand, u0, u1, args=args, points=upts or None, epsrel=epsrel,
            epsabs=0.0, limit=400)[0]
    return out


def transport_slab(T, M, eps, thickness, material="propane", nuclear=False,
                   max_step_fraction=0.02):
    """Step chi of kinetic energy ``T`` and mass ``M`` (hepunits), charge ``eps``, through
    ``thickness`` (hepunits length) of ``material`` (:func:`slab_transport_kernel`).
    Returns (T_exit, x_end, stopped): exit kinetic energy (0 if stopped), the depth where
    it stopped (or ``thickness``), and a bool array."""
    if not 0.0 < max_step_fraction <= 0.2:
        raise ValueError(f"max_step_fraction = {max_step_fraction!r}; allowed: 0 < f <= 0.2")
    par, lnT, lnS, elem = get_material(material).kernel_data
    shape, (t, m, e, L) = _flat(T, M, eps, thickness)
    T_out, x_out, stop = np.empty(t.shape), np.empty(t.shape), np.empty(t.shape, dtype=np.bool_)
    _transport_array(t / MeV, m / MeV, e, L, par, lnT, lnS, elem, float(max_step_fraction),
                     bool(nuclear), T_out, x_out, stop)
    return T_out.reshape(shape) * MeV, x_out.reshape(shape), stop.reshape(shape)
