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


#: Coefficients of :func:`transverse_costheta_guess`: a minimax (Lawson-iteration) fit of
#: (c - u) / (u (1 - u^2) beta^2) on beta^2 in [0, 1], u in [-1, 1]; |guess - c| <= 1.21e-3
#: there (tests/test_pair_sampling.py checks the bound on a dense grid).
_GUESS = (0.15089617, 0.15011492, -0.03275575, -0.24807532, 0.02071416, 0.12575921)


@jit
def transverse_costheta_guess(u, beta2):
    """Starting value for :func:`transverse_costheta_kernel` at u = 2r - 1: a polynomial
    within 1.21e-3 of the root for 0 <= beta^2 <= 1, exact at beta^2 = 0 and u = 0, +-1."""
    p0, p1, p2, p3, p4, p5 = _GUESS
    u2 = u * u
    return u + u * (1.0 - u2) * beta2 * (p0 + beta2 * (p1 + p4 * beta2 + p3 * u2)
                                         + u2 * (p2 + p5 * u2))


@jit
def transverse_costheta_kernel(r, beta2):
    """cos(theta*) of chi in the pair rest frame for a transversely polarised
    gamma*, density ~ 1 + c^2 + (1 - beta^2)(1 - c^2) = a + b c^2 with a = 2 - beta^2,
    b = beta^2 (../shared/physics-notes.md section 1), by inverting its CDF at r in [0, 1).

    Derivation.  The CDF is [a (c + 1) + b (c^3 + 1)/3] / [2 (a + b/3)].  Setting it to r
    and writing u = 2r - 1 gives the monotone cubic (F' >= 3a >= 3 for 0 <= b <= 1)

        F(c) = 3a (c - u) + b (c^3 - u) = 0,   F' = 3a + 3b c^2,   F'' = 6b c,   F''' = 6b.

    It is solved from the polynomial guess :func:`transverse_costheta_guess`
    (|e0| <= 1.21e-3) by one Halley step, c <- c - 2 F F' / (2 F'^2 - F F''), error
    <= (1/3) e0^3 < 6e-10, then one Newton step, c <- c - F / F', error <= (1/2) e1^2 <
    2e-19, both to leading order in e (the textbook error constants of the two methods,
    e.g. A. S. Householder, The Numerical Treatment of a Single Nonlinear Equation,
    McGraw-Hill 1970; J. F. Traub, Iterative Methods for the Solution of Equations,
    Prentice-Hall 1964).  The constants 1/3 and 1/2 bound |F''^2/(4 F'^2) - F'''/(6 F')|
    and |F''/(2 F')| for 0 <= b <= 1, |c| <= 1 (with k = b/a <= 1 and x = k c^2 they are
    k |x/(1+x) - 1/3| / (1+x) and k |c| / (1+x)).
    What is left is rounding; the residual is written in differences, so its terms are
    small near the root.  Measured |dc| <= 8.2e-17 for beta from 1e-8 to 1 - 1e-12 and r
    in [0, 1) (against mpmath on the grid of tests/test_pair_sampling.py, and a long-double
    Newton solution on 4e5 random points).  No branch: b = 0 gives c = u exactly.

    The Cardano form it replaces, c = -2 s sinh(asinh(.)/3) with c = 2r - 1 below
    beta^2 = 1e-9, had |dc| <= 6.5e-16 (6.4e-11 below beta^2 = 1e-9) at 73 ns a call,
    against 1.5 ns here in an array loop (9.5 ns in a loop that is not vectorised); in
    the NA64mu WW sampler (mcpgen.bench_kernel) brem_events went from 338 to 273 ns/event.
    """
    b = beta2
    u = 2.0 * r - 1.0
    a3 = 3.0 * (2.0 - b)
    c = transverse_costheta_guess(u, b)
    c2 = c * c
    f = a3 * (c - u) + b * (c2 * c - u)
    f1 = a3 + 3.0 * b * c2
    c = c - 2.0 * f * f1 / (2.0 * f1 * f1 - f * 6.0 * b * c)          # Halley
    c2 = c * c
    c = c - (a3 * (c - u) + b * (c2 * c - u)) / (a3 + 3.0 * b * c2)   # Newton
    return min(1.0, max(-1.0, c))
