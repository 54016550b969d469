"""Exact event kinematics of the lepton-nucleus sampler: the recoil and the pair.

Given the sampled (E, x, cos theta, t, azimuths) of l N -> l N gamma*, these kernels
solve the exact 2 -> 3 kinematics for the outgoing lepton and nucleus (``_recoil``,
with the cancellation-free forms ``_c0``, ``_stable_R``, ``_cos_gamma``, ``_q_min``),
fill the four-momenta (``_fill_mom``) and decay gamma* -> chi chibar in the pair rest
frame with the transverse angular distribution (``_chi*``; physics-notes sec. 1);
``fill_masses`` writes the particle masses of the events (the gamma*'s from its
four-momentum).  Used by :mod:`mcpgen.generators.brem_kernels` and
:mod:`mcpgen.generators.brem`; four-vectors in MeV.
"""

from __future__ import annotations

import math

from .._jit import jit
from ..physics.kinematics import plane_basis, two_body_decay_kernel
from ..physics.pair import transverse_costheta_kernel

_TWO_PI = 2.0 * math.pi


@jit
def _c0(E, ml, k2, x, omx, kabs, u, pz):
    """C0 = |p - k|^2 + m_l^2 - E^2 (1-x)^2 (see _recoil), written without cancellations;
    pz = |p| = sqrt(E^2 - m_l^2).

    With K = |k|^2 = x^2 E^2 - k^2, D1 = x E^2 + p |k|:
      C0 = [k^2 (E^2 (1-x) + (E^2 - p|k|)) + 2 m_l^2 K] / D1 + 2 p |k| (1 - cos theta),
      E^2 - p|k| = (E^4 (1-x)(1+x) + E^2 k^2 + m_l^2 K) / (E^2 + p|k|),
    every term positive.
    """
    K = kabs * kabs
    E2 = E * E
    pk = pz * kabs
    e2mpk = (E2 * E2 * omx * (1.0 + x) + E2 * k2 + ml * ml * K) / (E2 + pk)
    return (k2 * (E2 * omx + e2mpk) + 2.0 * ml * ml * K) / (x * E2 + pk) + 2.0 * pk * u


@jit
def _cos_gamma_c0(E, ml, k2, x, omx, kabs, u):
    """:func:`_c0` computing |p| itself."""
    return _c0(E, ml, k2, x, omx, kabs, u, math.sqrt(E * E - ml * ml))


@jit
def _stable_R(E, ml, k2, x, omx, kabs, u, pz):
    """|p - k| with |p - k|^2 = (p - |k|)^2 + 2 p |k| u written without cancellations."""
    dpk = (E * E * omx * (1.0 + x) - ml * ml + k2) / (pz + kabs)
    return math.sqrt(dpk * dpk + 2.0 * pz * kabs * u)


@jit
def _cos_gamma(t, T, Eo, C0, R):
    """Recoil momentum q = sqrt(t + T^2) and cos of the angle between q and R = p - k for
    momentum transfer t, recoil energy T = t/(2M), Eo = E (1 - x) (see _recoil)."""
    q = math.sqrt(t + T * T)
    return q, (C0 + 2.0 * Eo * T - T * T + q * q) / (2.0 * R * q)


@jit
def _q_min(E, ml, M, omx, C0, R):
    """Smallest recoil momentum q (cos gamma = 1): root of
    h(q) = C0 + 2 E (1-x) T - T^2 + q^2 - 2 R q,  T = q^2/(sqrt(M^2 + q^2) + M).
    Start from the stable root of q^2 - 2 R q + C0 (T -> 0) and refine by Newton.
    Returns -1 if there is no root (kinematically forbidden point).
    """
    disc = R * R - C0
    q = C0 / (R + math.sqrt(disc)) if disc > 0.0 else R
    Eo = E * omx
    for _ in range(50):
        s = math.sqrt(M * M + q * q)
        T = q * q / (s + M)
        Tp = q / s
        h = C0 + 2.0 * Eo * T - T * T + q * q - 2.0 * R * q
        dh = 2.0 * Eo * Tp - 2.0 * T * Tp + 2.0 * q - 2.0 * R
        if dh >= 0.0:
            return -1.0
        dq = h / dh
        q -= dq
        if abs(dq) <= 1e-14 * q:
            return q
    return q if abs(h) <= 1e-9 * C0 else -1.0


@jit
def _recoil(E, ml, M, x, omx, u, pz, kabs, C0, R, T, q, cg, qmin, allow_raise, phiV, phiq):
    """Three-momenta of gamma* (k) and of the nuclear recoil (q) of a point, from the
    quantities its weight computed; returns (ok, T, kx, ky, kz, qx, qy, qz).  Then
    l' = (E (1-x) - T, -k - q + (0, 0, |p|)), N' = (M + T, q), gamma* = (x E, k).

    With R = p - k (beam minus gamma* three-momentum), the nucleus recoil
    q = P' has |q|^2 = t + T^2, T = t/(2M) (exact for a nucleus at rest), and
    the lepton's on-shell condition fixes the angle between q and R:
      2 R q cos(gamma) = C0 + 2 E (1-x) T - T^2 + q^2,
    with C0 = R^2 + m_l^2 - E^2 (1-x)^2 written without cancellations (_c0).  If
    t is below the exact kinematic minimum for this (x, theta) (cg > 1: the IWW flux
    ignores the angle dependence of t_min), q is raised to the minimum ``qmin``
    (cos gamma = 1; computed by Newton iterations if ``qmin`` <= 0); the event weight
    is unchanged.
    """
    Eo = E * omx
    if cg > 1.0:
        # below the kinematic minimum: the WW methods raise q to it (their flux ignores
        # the angle dependence of t_min); ETL samples t >= t_min, so only rounding lands here
        if not allow_raise and cg > 1.0 + 1e-9:
            return False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
        qm = qmin if qmin > 0.0 else _q_min(E, ml, M, omx, C0, R)
        if qm <= 0.0:
            return False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
        q = qm
        T = q * q / (math.sqrt(M * M + q * q) + M)
        cg = 1.0
    elif cg < -1.0:
        return False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    if Eo - T <= ml:
        return False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    ct = 1.0 - u
    st = math.sqrt(max(0.0, u * (2.0 - u)))
    kx = kabs * st * math.cos(phiV)
    ky = kabs * st * math.sin(phiV)
    kz = kabs * ct
    Rx, Ry, Rz = -kx, -ky, pz - kz
    sg = math.sqrt(max(0.0, 1.0 - cg * cg))
    nx, ny, nz = Rx / R, Ry / R, Rz / R
    # phi_q is measured from the plane of R and k (the scattering plane), so that it is
    # the physically relevant relative azimuth of the recoil (the exact matrix element
    # depends on it strongly at small t)
    e1x, e1y, e1z, e2x, e2y, e2z = plane_basis(nx, ny, nz, kx, ky, kz)
    cp = math.cos(phiq)
    sp = math.sin(phiq)
    qx = q * (cg * nx + sg * (cp * e1x + sp * e2x))
    qy = q * (cg * ny + sg * (cp * e1y + sp * e2y))
    qz = q * (cg * nz + sg * (cp * e1z + sp * e2z))
    return True, T, kx, ky, kz, qx, qy, qz


@jit
def _fill_mom(mom, E, pz, M, Eo, T, xE, kx, ky, kz, qx, qy, qz):
    """Rows l, N, l', N', gamma* of ``mom`` from the output of _recoil."""
    mom[0, 0] = E
    mom[0, 1] = 0.0
    mom[0, 2] = 0.0
    mom[0, 3] = pz
    mom[1, 0] = M
    mom[1, 1] = 0.0
    mom[1, 2] = 0.0
    mom[1, 3] = 0.0
    # l' = R - q with energy E(1-x) - T
    mom[2, 0] = Eo - T
    mom[2, 1] = -kx - qx
    mom[2, 2] = -ky - qy
    mom[2, 3] = (pz - kz) - qz
    mom[3, 0] = M + T
    mom[3, 1] = qx
    mom[3, 2] = qy
    mom[3, 3] = qz
    mom[4, 0] = xE
    mom[4, 1] = kx
    mom[4, 2] = ky
    mom[4, 3] = kz


@jit
def _chi_costheta(rc, k2, k2lo):
    """(cos theta*, beta^2) of chi in the pair rest frame (helicity axis = gamma*
    direction) from the uniform rc, for a transversely polarised gamma* of mass^2 k2;
    k2lo = 4 m_chi^2."""
    beta2 = 1.0 - k2lo / k2
    return transverse_costheta_kernel(rc, beta2), beta2


@jit
def _chi_momentum(k0, kx, ky, kz, mchi, ct, rphi):
    """(E, px, py, pz) of chi from gamma* = (k0, k) with cos theta* = ct about the gamma*
    direction and azimuth 2 pi rphi; chibar is gamma* - chi."""
    kab = math.sqrt(kx * kx + ky * ky + kz * kz)
    return two_body_decay_kernel(k0, kx, ky, kz, mchi, mchi, ct, _TWO_PI * rphi,
                                 kx / kab, ky / kab, kz / kab)


@jit
def _chi(k0, kx, ky, kz, k2, mchi, k2lo, rc, rphi):
    """chi from gamma* = (k0, k) (:func:`_chi_costheta`, :func:`_chi_momentum`); returns
    (E, px, py, pz) of chi and the density f(c) of cos theta* (normalised on [-1, 1])."""
    ct, beta2 = _chi_costheta(rc, k2, k2lo)
    e, px, py, pz = _chi_momentum(k0, kx, ky, kz, mchi, ct, rphi)
    a = 2.0 - beta2
    return e, px, py, pz, (a + beta2 * ct * ct) / (2.0 * a + 2.0 * beta2 / 3.0)


@jit(nogil=True)
def fill_masses(E, px, py, pz, masses, col, out):
    """Masses of the particles of n events into ``out`` (n, k): ``masses[p]`` in column p,
    except column ``col`` (if >= 0; the gamma*), which gets the invariant mass
    sqrt(max(E^2 - px^2 - py^2 - pz^2, 0)) of its four-momentum, operation for operation
    as numpy computes ``np.sqrt(np.maximum(E**2 - px**2 - py**2 - pz**2, 0.0))``.  One pass
    over the outputs instead of numpy's tile plus column temporaries."""
    k = out.shape[1]
    for j in range(out.shape[0]):
        for p in range(k):
            out[j, p] = masses[p]
        if col >= 0:
            e = E[j, col]
            x = px[j, col]
            y = py[j, col]
            z = pz[j, col]
            v = e * e - x * x - y * y - z * z
            out[j, col] = math.sqrt(v if (v >= 0.0 or v != v) else 0.0)
