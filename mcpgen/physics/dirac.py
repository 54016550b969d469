"""Dirac algebra on 4-tuples of complex numbers, for the exact tree-level amplitudes.

Peskin & Schroeder conventions: metric (+,-,-,-), chiral basis
gamma^0 = [[0,1],[1,0]], gamma^i = [[0,sigma^i],[-sigma^i,0]], spinors
u(p) = (sqrt(p.sigma) xi, sqrt(p.sigmabar) xi), v(p) = (sqrt(p.sigma) eta,
-sqrt(p.sigmabar) eta) (P&S eqs. 3.25, 3.53, 3.62).  Scalar Numba kernels on
tuples, no heap allocation.  Used by :mod:`mcpgen.physics.lepton_nucleus.etl_amplitude`.
"""

from __future__ import annotations

import math

from .._jit import jit


@jit
def _ediff(E, pz, m, p2T):
    """(E - pz, E + pz) for an on-shell vector without cancellation."""
    if pz >= 0.0:
        ep = E + pz
        return (m * m + p2T) / ep, ep
    em = E - pz
    return em, (m * m + p2T) / em


@jit
def u_spinor(E, px, py, pz, m, s):
    """Dirac spinor u(p, s), P&S eq. (3.53), xi = (1, 0) for s = 0, (0, 1) for s = 1.

    sqrt(p.sigma) = (p.sigma + m)/sqrt(2 (E + m)) (valid for the 2x2 matrix with
    eigenvalues E -+ |p|).  Returns a 4-tuple of complex numbers.
    """
    em, ep = _ediff(E, pz, m, px * px + py * py)
    nrm = 1.0 / math.sqrt(2.0 * (E + m))
    pm = complex(px, -py)  # px - i py
    pp = complex(px, py)   # px + i py
    if s == 0:
        # first column of sqrt(p.sigma), sqrt(p.sigmabar)
        return ((em + m) * nrm + 0j, -pp * nrm, (ep + m) * nrm + 0j, pp * nrm)
    return (-pm * nrm, (ep + m) * nrm + 0j, pm * nrm, (em + m) * nrm + 0j)


@jit
def v_spinor(E, px, py, pz, m, s):
    """Dirac spinor v(p, s) = (sqrt(p.sigma) eta, -sqrt(p.sigmabar) eta), P&S eq. (3.62)."""
    a0, a1, a2, a3 = u_spinor(E, px, py, pz, m, s)
    return (a0, a1, -a2, -a3)


@jit
def dirac_bar(psi):
    """psibar = psi^dagger gamma^0 as a row 4-tuple."""
    return (psi[2].conjugate(), psi[3].conjugate(), psi[0].conjugate(), psi[1].conjugate())


@jit
def slash_col(a0, a1, a2, a3, psi):
    """aslash psi for contravariant (possibly complex) a^mu."""
    amz = a0 - a3
    apz = a0 + a3
    am = a1 - 1j * a2
    ap = a1 + 1j * a2
    return (amz * psi[2] - am * psi[3],
            -ap * psi[2] + apz * psi[3],
            apz * psi[0] + am * psi[1],
            ap * psi[0] + amz * psi[1])


@jit
def row_slash(chi, a0, a1, a2, a3):
    """chi aslash for a row spinor chi."""
    amz = a0 - a3
    apz = a0 + a3
    am = a1 - 1j * a2
    ap = a1 + 1j * a2
    return (chi[2] * apz + chi[3] * ap,
            chi[2] * am + chi[3] * amz,
            chi[0] * amz - chi[1] * ap,
            -chi[0] * am + chi[1] * apz)


@jit
def bilinear(chi, psi):
    """The vector V^mu = chi gamma^mu psi (contravariant components)."""
    v0 = chi[0] * psi[2] + chi[1] * psi[3] + chi[2] * psi[0] + chi[3] * psi[1]
    a = chi[0] * psi[3]
    b = chi[1] * psi[2]
    c = chi[2] * psi[1]
    d = chi[3] * psi[0]
    v1 = (a + b) - (c + d)
    v2 = 1j * ((b - a) - (d - c))
    v3 = (chi[0] * psi[2] - chi[1] * psi[3]) - (chi[2] * psi[0] - chi[3] * psi[1])
    return (v0, v1, v2, v3)


@jit
def _add4(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3])


@jit
def _scale4(a, c):
    return (a[0] * c, a[1] * c, a[2] * c, a[3] * c)


@jit
def _abs2(z):
    return z.real * z.real + z.imag * z.imag


@jit
def _cdot(X, Y):
    """Plain Minkowski product X.Y of complex 4-tuples (no conjugation)."""
    return X[0] * Y[0] - X[1] * Y[1] - X[2] * Y[2] - X[3] * Y[3]
