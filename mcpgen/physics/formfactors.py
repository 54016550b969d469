"""Tsai nuclear form factors and the Weizsaecker-Williams photon flux chi.

Sources
-------
* Y.-S. Tsai, Rev. Mod. Phys. 46 (1974) 815, eqs. (3.38)-(3.39) (as used by
  Bjorken, Essig, Schuster, Toro, PRD 80 (2009) 075018, eqs. (A15)-(A17));
  seed 002 eq. (10); ../shared/physics-notes.md section 1:

    G2_el = Z^2 [a^2 t / (1 + a^2 t)]^2 [1 / (1 + t/d)]^2,
            a = 111 Z^(-1/3) / m_e,  d = 0.164 A^(-2/3) GeV^2
    G2_in = Z [a'^2 t / (1 + a'^2 t)]^2
              [(1 + t (mu_p^2 - 1) / (4 m_p^2)) / (1 + t / 0.71 GeV^2)^4]^2,
            a' = 773 Z^(-2/3) / m_e,  mu_p = 2.79

* Photon flux (seed 001 eq. 9; Kim & Tsai PRD 8 (1973) 3109):
    chi = Integral_{t_min}^{t_max} dt (t - t_min) / t^2 G2(t).

Three layers (numba-stats style): scalar ``@jit`` kernels (``*_kernel``), which
users may call from their own jitted code, and thin public wrappers.
All quantities in MeV (hepunits); t = -q^2 > 0 in MeV^2.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from ..constants import M_E, M_P, MU_P

_GEV2 = 1.0e6  # GeV^2 in MeV^2
_LAMBDA_P2 = 0.71 * _GEV2  # proton dipole scale


@jit
def tsai_parameters(Z, A):
    """(a^2, a'^2, d) in MeV^-2, MeV^-2, MeV^2 (Tsai 1974 eqs. 3.38-3.39)."""
    a = 111.0 * Z ** (-1.0 / 3.0) / M_E
    ap = 773.0 * Z ** (-2.0 / 3.0) / M_E
    d = 0.164 * A ** (-2.0 / 3.0) * _GEV2
    return a * a, ap * ap, d


@jit
def g2_elastic_kernel(t, Z, a2, d):
    s = a2 * t / (1.0 + a2 * t)
    n = 1.0 / (1.0 + t / d)
    return Z * Z * s * s * n * n


@jit
def g2_inelastic_kernel(t, Z, ap2):
    s = ap2 * t / (1.0 + ap2 * t)
    num = 1.0 + t * (MU_P * MU_P - 1.0) / (4.0 * M_P * M_P)
    den = (1.0 + t / _LAMBDA_P2) ** 4
    f = num / den
    return Z * s * s * f * f


@jit
def g2_kernel(t, Z, a2, ap2, d, inelastic):
    """Total G2 = G2_el (+ G2_in if ``inelastic``)."""
    g = g2_elastic_kernel(t, Z, a2, d)
    if inelastic:
        g += g2_inelastic_kernel(t, Z, ap2)
    return g


@jit
def flux_elastic_closed_kernel(tmin, tmax, Z, a2, d):
    """Closed form of the elastic chi.

    With alpha = 1/a^2 the integrand is d^2 (t - tmin) / ((t + alpha)^2 (t + d)^2);
    partial fractions give the antiderivative
        d^2 [A ln((t+alpha)/(t+d)) - B/(t+alpha) - D/(t+d)],
        A = (d + alpha + 2 tmin)/(d - alpha)^3,
        B = -(alpha + tmin)/(d - alpha)^2,  D = -(d + tmin)/(d - alpha)^2.
    (Equivalent to Bjorken et al. 2009 eq. (A18).)
    """
    if tmax <= tmin:
        return 0.0
    al = 1.0 / a2
    dm = d - al
    cA = (d + al + 2.0 * tmin) / (dm * dm * dm)
    cB = -(al + tmin) / (dm * dm)
    cD = -(d + tmin) / (dm * dm)
    log_term = math.log((tmax + al) / (tmin + al)) - math.log((tmax + d) / (tmin + d))
    val = cA * log_term - cB * (1.0 / (tmax + al) - 1.0 / (tmin + al)) \
        - cD * (1.0 / (tmax + d) - 1.0 / (tmin + d))
    return Z * Z * d * d * val


# Gauss-Legendre nodes on [-1, 1]; computed at call time of the wrapper and
# passed to the kernel (no import-time work).
_GL_ORDER = 16


@jit
def flux_numerical_kernel(tmin, tmax, Z, a2, ap2, d, inelastic, nodes, weights):
    """chi by composite Gauss-Legendre quadrature in ln t.

    The integrand in ln t, (1 - tmin/t) G2(t), is smooth; panels of width
    <= 1 in ln t with ``len(nodes)`` points each give ~1e-10 relative accuracy
    (tested against scipy.integrate.quad).
    """
    if tmax <= tmin:
        return 0.0
    lo = math.log(tmin)
    hi = math.log(tmax)
    npan = max(1, int(math.ceil(hi - lo)))
    h = (hi - lo) / npan
    total = 0.0
    for ip in range(npan):
        a = lo + ip * h
        for j in range(nodes.shape[0]):
            lt = a + 0.5 * h * (nodes[j] + 1.0)
            t = math.exp(lt)
            total += 0.5 * h * weights[j] * (1.0 - tmin / t) * g2_kernel(t, Z, a2, ap2, d, inelastic)
    return total


def _gl():
    return np.polynomial.legendre.leggauss(_GL_ORDER)


def g2(t, Z, A, inelastic=True):
    """Tsai G2(t) = G2_el + G2_in (array-friendly); t in MeV^2."""
    a2, ap2, d = tsai_parameters(float(Z), float(A))
    t = np.asarray(t, dtype=float)
    s = a2 * t / (1 + a2 * t)
    el = Z**2 * s**2 / (1 + t / d) ** 2
    if not inelastic:
        return el
    sp = ap2 * t / (1 + ap2 * t)
    f = (1 + t * (MU_P**2 - 1) / (4 * M_P**2)) / (1 + t / _LAMBDA_P2) ** 4
    return el + Z * sp**2 * f**2


def flux(tmin, tmax, Z, A, inelastic=True, method="numerical"):
    """Photon flux chi = Integral (t - tmin)/t^2 G2(t) dt over [tmin, tmax] (MeV^2).

    ``method="closed"`` gives the closed-form elastic part only (Bjorken et al.
    2009 eq. A18); ``"numerical"`` integrates G2_el (+ G2_in) by quadrature.
    """
    a2, ap2, d = tsai_parameters(float(Z), float(A))
    if method == "closed":
        if inelastic:
            raise ValueError("the closed form covers the elastic form factor only")
        return flux_elastic_closed_kernel(float(tmin), float(tmax), float(Z), a2, d)
    if method != "numerical":
        raise ValueError(f"unknown flux method {method!r}; allowed: 'numerical', 'closed'")
    x, w = _gl()
    return flux_numerical_kernel(float(tmin), float(tmax), float(Z), a2, ap2, d, bool(inelastic), x, w)


def flux_iww(E0, m_V, m_l, Z, A, inelastic=True):
    """chi with the seed-001 eq. (9) limits t_min = m_V^4/(4 E0^2), t_max = m_V^2 + m_l^2."""
    return flux(m_V**4 / (4 * E0**2), m_V**2 + m_l**2, Z, A, inelastic)
