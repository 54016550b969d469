"""Relativistic kinematics kernels (scalar, Numba) used by the samplers.

Four-vectors are length-4 float64 arrays (E, px, py, pz) in MeV.
"""

from __future__ import annotations

import math

from .._jit import jit


@jit
def orthonormal_basis(nx, ny, nz):
    """Two unit vectors e1, e2 orthogonal to the unit vector n (right-handed n, e1, e2)."""
    if abs(nz) < 0.9:
        # e1 = normalise(z x n)
        ax, ay, az = -ny, nx, 0.0
    else:
        # e1 = normalise(x x n)
        ax, ay, az = 0.0, -nz, ny
    a = math.sqrt(ax * ax + ay * ay + az * az)
    ax /= a
    ay /= a
    az /= a
    bx = ny * az - nz * ay
    by = nz * ax - nx * az
    bz = nx * ay - ny * ax
    return ax, ay, az, bx, by, bz


@jit
def plane_basis(nx, ny, nz, vx, vy, vz):
    """Unit vectors e1, e2 orthogonal to the unit vector n, e1 in the plane of n and v
    (pointing along the part of v perpendicular to n); falls back to
    :func:`orthonormal_basis` when v is parallel to n."""
    vn = vx * nx + vy * ny + vz * nz
    ax, ay, az = vx - vn * nx, vy - vn * ny, vz - vn * nz
    a = math.sqrt(ax * ax + ay * ay + az * az)
    if a <= 1e-12 * math.sqrt(vx * vx + vy * vy + vz * vz):
        return orthonormal_basis(nx, ny, nz)
    ax /= a
    ay /= a
    az /= a
    return ax, ay, az, ny * az - nz * ay, nz * ax - nx * az, nx * ay - ny * ax


@jit
def boost(px, py, pz, E, bx, by, bz):
    """Boost four-momentum (E, p) by velocity (bx, by, bz); returns (E', px', py', pz')."""
    b2 = bx * bx + by * by + bz * bz
    if b2 <= 0.0:
        return E, px, py, pz
    g = 1.0 / math.sqrt(1.0 - b2)
    bp = bx * px + by * py + bz * pz
    g2 = (g - 1.0) / b2
    return (
        g * (E + bp),
        px + g2 * bp * bx + g * bx * E,
        py + g2 * bp * by + g * by * E,
        pz + g2 * bp * bz + g * bz * E,
    )


@jit
def two_body_decay_kernel(E, px, py, pz, m1, m2, cos_t, phi, axis_x, axis_y, axis_z):
    """Four-momentum (E1, p1x, p1y, p1z) of daughter 1 (mass m1) of the decay of a parent
    (E, px, py, pz) into masses m1, m2; daughter 2 is parent - daughter 1.

    The daughter-1 direction in the parent rest frame has polar angle
    acos(cos_t) about the unit vector ``axis`` and azimuth ``phi`` (measured from
    :func:`orthonormal_basis` of the axis).
    """
    M2 = E * E - (px * px + py * py + pz * pz)
    M = math.sqrt(max(M2, 0.0))
    lam = (M2 - (m1 + m2) ** 2) * (M2 - (m1 - m2) ** 2)
    pstar = math.sqrt(max(lam, 0.0)) / (2.0 * M)
    e1x, e1y, e1z, e2x, e2y, e2z = orthonormal_basis(axis_x, axis_y, axis_z)
    st = math.sqrt(max(0.0, 1.0 - cos_t * cos_t))
    cp = math.cos(phi)
    sp = math.sin(phi)
    dx = cos_t * axis_x + st * (cp * e1x + sp * e2x)
    dy = cos_t * axis_y + st * (cp * e1y + sp * e2y)
    dz = cos_t * axis_z + st * (cp * e1z + sp * e2z)
    E1 = math.sqrt(pstar * pstar + m1 * m1)
    return boost(pstar * dx, pstar * dy, pstar * dz, E1, px / E, py / E, pz / E)


@jit
def two_body_decay(parent, m1, m2, cos_t, phi, axis_x, axis_y, axis_z, out1, out2):
    """Decay ``parent`` (E, p) into masses m1, m2 (:func:`two_body_decay_kernel`).

    The daughter-1 direction in the parent rest frame has polar angle
    acos(cos_t) about the unit vector ``axis`` and azimuth ``phi``.  out2 is
    filled as parent - out1, so four-momentum is conserved to rounding.
    """
    Eb, qx, qy, qz = two_body_decay_kernel(parent[0], parent[1], parent[2], parent[3], m1, m2,
                                           cos_t, phi, axis_x, axis_y, axis_z)
    out1[0] = Eb
    out1[1] = qx
    out1[2] = qy
    out1[3] = qz
    for i in range(4):
        out2[i] = parent[i] - out1[i]
