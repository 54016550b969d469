"""Exclusive vector-meson photoproduction gamma N -> V N on nucleons and nuclei.

On the proton: vector-meson dominance plus the optical theorem with the
Schuler-Sjostrand parametrisation (G. A. Schuler and T. Sjostrand, Phys. Rev. D 49
(1994) 2257 and hep-ph/0007314, as used in PYTHIA; ../shared/physics-notes.md
section 2):

    sigma_tot(V p) = X s^0.0808 + Y s^-0.4525 mb,  (X, Y) = (13.63, 31.79) rho, omega;
                                                    (10.01, -1.52) phi
    b_el = 2 b_p + 2 b_V + 4 s^0.0808 - 4.2 GeV^-2,  b_p = 2.3, b_V = 1.4
    d sigma/dt (gamma p -> V p) = (alpha / (f_V^2/4 pi)) sigma_tot(Vp)^2 / (16 pi) e^(b_el t)

(f_V^2/4pi = 2.2, 23.6, 18.4, 11.5 for rho, omega, phi, J/psi; the real part of the
forward amplitude is neglected).  Integrated over the physical t range,
sigma(k) = sigma_0 e^(-b_el |t_min|), which also gives the threshold suppression;
the parametrisation is made for high energies (k >~ 5 GeV; below it is an
extrapolation, and for J/psi, with the same slope formula, only indicative).

On a nucleus of mass number A (radius R = 1.2 A^(1/3) fm, uniform density, thickness
T(b)), the Glauber model of vector-meson photoproduction with V-nucleon absorption
cross section sigma_VN = sigma_tot(V p) (also in the incoherent survival, where the
inelastic part, ~0.85 sigma_tot, would be the stricter choice; T. H. Bauer, R. D. Spital, D. R. Yennie and
F. M. Pipkin, Rev. Mod. Phys. 50 (1978) 261, sec. IV, high-energy limit: coherence
length 2k/m_V^2 > R, no real part):

    coherent:   d sigma/dt = (d sigma_p/dt)_0 |A_coh|^2 |F(t)|^2,
                A_coh = (2/sigma_VN) int d^2b [1 - exp(-sigma_VN T(b)/2)],
                |F(t)|^2 = exp(R^2 t/5) (uniform sphere, <r^2> = 3R^2/5);
    incoherent: d sigma/dt = A_inc (d sigma_p/dt),
                A_inc = int d^2b T(b) exp(-sigma_VN T(b))

(the V produced on one nucleon leaves without being absorbed); without absorption
A_coh -> A and A_inc -> A.  Pauli blocking of the incoherent recoil at small |t|
and the nucleon Fermi motion are neglected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hepunits import GeV, fermi, millibarn, picobarn

from ..constants import ALPHA, M_P

#: Schuler-Sjostrand parameters: (X mb, Y mb, f_V^2/(4 pi)) per canonical meson name
SCHULER_SJOSTRAND = {
    "rho(770)0": (13.63, 31.79, 2.2),
    "omega(782)": (13.63, 31.79, 23.6),
    "phi(1020)": (10.01, -1.52, 18.4),
    "J/psi(1S)": (0.970, 0.0, 11.5),
}
EPS_POMERON, ETA_REGGE = 0.0808, 0.4525
B_P, B_V = 2.3, 1.4                        #: GeV^-2
#: J/psi: sigma_tot(J/psi p) is not in the Schuler-Sjostrand table of light mesons;
#: PYTHIA's value X = 0.970 mb (hep-ph/0007314 Table 1 lists it for the cc-bar state)
R0 = 1.2 * fermi
#: 1 mb in GeV^-2 (1 GeV^-2 = 0.3893794 mb, physics-notes "Constants")
GEV2_PER_MB = 1.0 / 0.3893794
#: hbar c in GeV fm: 1 fm^2 = 25.68 GeV^-2
HBARC_GEV_FM = 0.1973269804


def sigma_tot_vp(name: str, s_gev2):
    """sigma_tot(V p) in mb at s (GeV^2)."""
    X, Y, _ = SCHULER_SJOSTRAND[name]
    s = np.asarray(s_gev2, float)
    return X * s**EPS_POMERON + Y * s**(-ETA_REGGE)


def slope(s_gev2):
    """b_el(s) in GeV^-2."""
    return 2 * B_P + 2 * B_V + 4 * np.asarray(s_gev2, float) ** EPS_POMERON - 4.2


def forward_dsigma_dt(name: str, s_gev2):
    """(d sigma/dt)_{t=0} for gamma p -> V p in mb/GeV^2."""
    _, _, f2 = SCHULER_SJOSTRAND[name]
    st = sigma_tot_vp(name, s_gev2) * GEV2_PER_MB         # GeV^-2
    return (ALPHA / f2) * st**2 / (16 * math.pi) / GEV2_PER_MB  # GeV^-4 -> mb/GeV^2


def t_min(k, m_v, M):
    """|t_min| (MeV^2) of gamma(k) + T(M, at rest) -> V(m_v) + T; inf below threshold."""
    k = np.asarray(k, float)
    s = M * M + 2.0 * k * M
    rs = np.sqrt(s)
    ok = rs > m_v + M
    kc = (s - M * M) / (2.0 * rs)                      # photon c.m. momentum
    Ev = (s + m_v**2 - M * M) / (2.0 * rs)
    pv = np.sqrt(np.clip(Ev**2 - m_v**2, 0.0, None))
    tm = m_v**2 - 2.0 * kc * (Ev - pv)                 # t at cos = 1 (negative)
    return np.where(ok, -tm, np.inf)


@dataclass(frozen=True)
class NuclearFactors:
    """Glauber factors of one (meson, nucleus) at one s: A_coh, A_inc, b_coh (GeV^-2)."""

    A_coh: float
    A_inc: float
    b_coh: float


def nuclear_factors(name: str, A: float, s_gev2: float, sigma_vn_mb=None) -> NuclearFactors:
    """A_coh, A_inc (module docstring) for a uniform sphere of radius 1.2 A^(1/3) fm;
    ``sigma_vn_mb`` overrides the absorption cross section sigma_tot(V p)."""
    from scipy.integrate import quad

    R = R0 * A ** (1.0 / 3.0)
    rho0 = 3.0 * A / (4.0 * math.pi * R**3)
    sig = (float(sigma_tot_vp(name, s_gev2)) if sigma_vn_mb is None else sigma_vn_mb) * millibarn
    # with c = sqrt(R^2 - b^2): d^2b = 2 pi c dc and T = 2 rho0 c (smooth integrands)
    coh, _ = quad(lambda c: -2 * math.pi * c * math.expm1(-sig * rho0 * c), 0.0, R,
                  epsabs=0.0, epsrel=1e-12)
    inc, _ = quad(lambda c: 4 * math.pi * rho0 * c * c * math.exp(-2 * sig * rho0 * c), 0.0, R,
                  epsabs=0.0, epsrel=1e-12)
    b_coh = (R / fermi) ** 2 / 5.0 / HBARC_GEV_FM**2
    return NuclearFactors(A_coh=2.0 * coh / sig, A_inc=inc, b_coh=b_coh)


def cross_sections(name: str, k, A: float, m_v: float, M_A: float):
    """(sigma_coh, sigma_inc) in pb per nucleus at photon energies k (MeV), integrated over
    the physical t: sigma_0 |A_coh|^2 exp(-(b_el + b_coh)|t_min|)/(b_el + b_coh) and
    A_inc sigma_0 exp(-b_el |t_min|)/b_el with sigma_0 = (d sigma_p/dt)_0."""
    k = np.asarray(k, float)
    s_p = (M_P**2 + 2 * k * M_P) / GeV**2
    d0 = forward_dsigma_dt(name, s_p)                   # mb/GeV^2
    b = slope(s_p)
    out = []
    for kind in ("coh", "inc"):
        M = M_A if kind == "coh" else M_P
        tm = t_min(k, m_v, M) / GeV**2
        nf = [nuclear_factors(name, A, float(x)) for x in np.atleast_1d(s_p)]
        if kind == "coh":
            fac = np.array([f.A_coh**2 for f in nf]).reshape(k.shape)
            bb = b + np.array([f.b_coh for f in nf]).reshape(k.shape)
        else:
            fac = np.array([f.A_inc for f in nf]).reshape(k.shape)
            bb = b
        out.append(np.where(np.isfinite(tm), fac * d0 * np.exp(-bb * tm) / bb, 0.0)
                   * millibarn / picobarn)
    return tuple(out)
