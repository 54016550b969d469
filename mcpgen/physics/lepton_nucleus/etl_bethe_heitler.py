"""Bethe-Heitler bremsstrahlung: the massless-photon, static-nucleus, unscreened
limit of the exact tree-level l N -> l N V amplitude (issue 3, item 5).

* :func:`bethe_heitler_3BN` -- Koch & Motz, Rev. Mod. Phys. 31 (1959) 920,
  formula 3BN: Born approximation, no screening, infinitely heavy nucleus,
  integrated over the photon and lepton angles, any energy.  In units of the
  lepton mass (E0, E, p0, p, k in units of m, r0 = alpha/m):

    d sigma_k = (Z^2 r0^2 alpha) (dk/k) (p/p0) { 4/3 - 2 E0 E (p^2 + p0^2)/(p^2 p0^2)
        + eps0 E/p0^3 + eps E0/p^3 - eps eps0/(p0 p)
        + L [ 8 E0 E/(3 p0 p) + k^2 (E0^2 E^2 + p0^2 p^2)/(p0^3 p^3)
              + k/(2 p0 p) ( eps0 (E0 E + p0^2)/p0^3 - eps (E0 E + p^2)/p^3
                             + 2 k E0 E/(p^2 p0^2) ) ] },
    L = 2 ln[(E0 E + p0 p - 1)/k],  eps0 = ln[(E0 + p0)/(E0 - p0)],
    eps = ln[(E + p)/(E - p)],  E = E0 - k.

  For E0, E >> m it tends to the familiar unscreened extreme-relativistic form
  (:func:`bethe_heitler_er`)
    d sigma/dk = (4 Z^2 alpha r0^2/k) (1 + (E/E0)^2 - 2E/(3 E0)) (ln(2 E0 E/(m k)) - 1/2),
  which the tests use to check the transcription.
* :func:`etl_brems_dsigma_dk` -- the same quantity from
  :func:`mcpgen.physics.etl_amplitude.msq_2to3` with m_V = 0, G2 = Z^2, and a
  very heavy nucleus, integrated numerically over the photon and lepton
  directions with ``vegas``.  Exact lab-frame three-body phase space with the
  nuclear recoil (negligible for the heavy nucleus).

Cross sections in natural units: d sigma/dk in MeV^-3 (MeV^-2 per MeV);
multiply by ``constants.INV_MEV2_TO_PB`` for pb/MeV.
"""

from __future__ import annotations

import math

import numpy as np

from ..._jit import jit
from ...constants import ALPHA
from .etl_amplitude import msq_2to3


@jit
def bethe_heitler_3BN(E0, k, Z, m):
    """Koch & Motz 3BN d sigma/dk (MeV^-3) for a lepton of mass m and total
    energy E0 emitting a photon of energy k on a point nucleus of charge Z."""
    E0u = E0 / m
    ku = k / m
    Eu = E0u - ku
    if Eu <= 1.0 or ku <= 0.0:
        return 0.0
    p0 = math.sqrt(E0u * E0u - 1.0)
    p = math.sqrt(Eu * Eu - 1.0)
    # ln((E+p)/(E-p)) = 2 asinh-free form: (E-p) = 1/(E+p)
    eps0 = 2.0 * math.log(E0u + p0)
    eps = 2.0 * math.log(Eu + p)
    L = 2.0 * math.log((E0u * Eu + p0 * p - 1.0) / ku)
    p02 = p0 * p0
    p2 = p * p
    p03 = p02 * p0
    p3 = p2 * p
    br = (4.0 / 3.0 - 2.0 * E0u * Eu * (p2 + p02) / (p2 * p02)
          + eps0 * Eu / p03 + eps * E0u / p3 - eps * eps0 / (p0 * p)
          + L * (8.0 * E0u * Eu / (3.0 * p0 * p)
                 + ku * ku * (E0u * E0u * Eu * Eu + p02 * p2) / (p03 * p3)
                 + ku / (2.0 * p0 * p) * (eps0 * (E0u * Eu + p02) / p03
                                          - eps * (E0u * Eu + p2) / p3
                                          + 2.0 * ku * E0u * Eu / (p2 * p02))))
    r0 = ALPHA / m
    return Z * Z * r0 * r0 * ALPHA / k * (p / p0) * br


@jit
def bethe_heitler_er(E0, k, Z, m):
    """Unscreened extreme-relativistic limit of 3BN (E0, E0 - k >> m), MeV^-3."""
    E = E0 - k
    r0 = ALPHA / m
    y = E / E0
    return 4.0 * Z * Z * ALPHA * r0 * r0 / k * (1.0 + y * y - 2.0 * y / 3.0) \
        * (math.log(2.0 * E0 * E / (m * k)) - 0.5)


@jit
def _solve_lepton(p3z, kx, ky, kz, nx, ny, nz, avail, m, M):
    """|p'| along n with E' + T_N = avail, T_N the recoil kinetic energy of N
    (Q = p - k - |p'| n); Newton from the static solution.  Returns (y, f'(y))."""
    y = math.sqrt(max(avail * avail - m * m, 0.0))
    fp = 1.0
    for _ in range(30):
        Qx = -kx - y * nx
        Qy = -ky - y * ny
        Qz = p3z - kz - y * nz
        Q2 = Qx * Qx + Qy * Qy + Qz * Qz
        EN = math.sqrt(M * M + Q2)
        T = Q2 / (EN + M)
        E = math.sqrt(y * y + m * m)
        f = E + T - avail
        fp = y / E - (Qx * nx + Qy * ny + Qz * nz) / EN
        dy = f / fp
        y -= dy
        if abs(dy) <= 1e-15 * y:
            break
    return y, fp


@jit
def _brems_angles_kernel(x, E0, omega, m, M, Z, umin, out):
    """d sigma/(d omega dOmega_k dOmega_l) times the Jacobian of the map
    x = (u_k, u_l, phi) in [0,1]^3 -> (1 - cos theta = exp(u), azimuth of the
    lepton relative to the photon), times 2 pi for the photon azimuth."""
    lnmin = math.log(umin)
    ln2 = math.log(2.0)
    p0 = math.sqrt(E0 * E0 - m * m)
    avail = E0 - omega  # E' + T_N
    p = np.zeros(4)
    P = np.zeros(4)
    pp = np.zeros(4)
    Pp = np.zeros(4)
    k = np.zeros(4)
    p[0] = E0
    p[3] = p0
    P[0] = M
    for i in range(x.shape[0]):
        uk = lnmin + (ln2 - lnmin) * x[i, 0]
        ul = lnmin + (ln2 - lnmin) * x[i, 1]
        phi = 2.0 * math.pi * x[i, 2]
        omk = math.exp(uk)  # 1 - cos theta_k
        oml = math.exp(ul)
        ck = 1.0 - omk
        cl = 1.0 - oml
        sk = math.sqrt(omk * (2.0 - omk))
        sl = math.sqrt(oml * (2.0 - oml))
        jac = (ln2 - lnmin) ** 2 * omk * oml * 2.0 * math.pi * 2.0 * math.pi
        k[0] = omega
        k[1] = omega * sk
        k[2] = 0.0
        k[3] = omega * ck
        nx = sl * math.cos(phi)
        ny = sl * math.sin(phi)
        nz = cl
        y, fp = _solve_lepton(p0, k[1], k[2], k[3], nx, ny, nz, avail, m, M)
        if not (y > 0.0) or fp <= 0.0:
            out[i] = 0.0
            continue
        Ep = math.sqrt(y * y + m * m)
        pp[0] = Ep
        pp[1] = y * nx
        pp[2] = y * ny
        pp[3] = y * nz
        Qx = -k[1] - pp[1]
        Qy = -k[2] - pp[2]
        Qz = p0 - k[3] - pp[3]
        EN = math.sqrt(M * M + Qx * Qx + Qy * Qy + Qz * Qz)
        Pp[0] = EN
        Pp[1] = Qx
        Pp[2] = Qy
        Pp[3] = Qz
        msq = msq_2to3(p, P, pp, Pp, k, m, M, 0.0, Z * Z)
        ps = (omega / 2.0) * y * y / (2.0 * Ep) / (2.0 * EN) / fp / (2.0 * math.pi) ** 5
        out[i] = msq / (4.0 * M * p0) * ps * jac
    return out


def etl_brems_dsigma_dk(E0, omega, m, Z, M=None, nitn=10, neval=200_000, seed=1, umin=1e-10):
    """d sigma/d omega (MeV^-3) of l N -> l N gamma from the exact |M|^2 (m_V = 0,
    point nucleus G2 = Z^2, nucleus mass ``M``, default 1e6 m so that the static
    limit of 3BN is reached to O(1e-6)), integrated over the photon and lepton
    directions with vegas.  Returns a ``gvar`` (mean +- MC error) of the last
    ``nitn`` iterations after 5 adaptation iterations.

    ``umin`` is the smallest 1 - cos theta sampled; the region below it
    contributes O(umin/(m/E0)^2) relatively.
    """
    import vegas

    if M is None:
        M = 1.0e6 * m
    rng = np.random.default_rng(seed)
    integ = vegas.Integrator([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]],
                             ran_array_generator=lambda size: rng.random(size))

    @vegas.lbatchintegrand
    def f(x):
        return _brems_angles_kernel(np.ascontiguousarray(x), float(E0), float(omega), float(m),
                                    float(M), float(Z), float(umin), np.empty(x.shape[0]))

    integ(f, nitn=5, neval=neval)
    return integ(f, nitn=nitn, neval=neval)


__all__ = ["bethe_heitler_3BN", "bethe_heitler_er", "etl_brems_dsigma_dk"]
