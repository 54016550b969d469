"""Meson decays to chi pairs with full lab-frame kinematics (Numba kernels).

Two kernels fill the four-momenta of the fixed particle slots of an event record
(arrays E, px, py, pz of shape (n, k), columns given by index), from the parent
four-momenta and per-event uniforms:

:func:`vector_decays` -- V -> chi chibar.  In the V rest frame (reached by a pure
    boost from the lab) the chi direction has polar angle theta about ``axis``:
    isotropic for an unpolarised V; for a V of helicity +-1 along ``axis`` the
    density is 1 - beta^2 |n.eps|^2 ~ 2 - beta^2 sin^2 theta (the spin sum of a vector
    decaying through a vector current, sum |u-bar gamma.eps v|^2 ~ M^2 (1 - beta^2
    |n.eps|^2) with beta the chi velocity; physics-notes section 2), inverted exactly by
    :func:`mcpgen.physics.pair.transverse_costheta_kernel`.

:func:`pseudoscalar_decays` -- P -> gamma gamma*(-> chi chibar).  In the P rest frame
    the photon is isotropic with |p| = (m_P^2 - q^2)/(2 m_P), q^2 = z m_P^2 given per
    event; in the gamma* rest frame the chi angle theta about the photon direction has
    the density (2 - beta^2 sin^2 theta) (physics-notes section 2, seed 001 eq. 2), the
    same transverse form.

Uniform draws per event: vector 2 (cos, phi), pseudoscalar 4 (photon cos, phi; chi cos,
phi).  Daughter 2 is the parent minus daughter 1 (four-momentum conserved to
rounding).  Energies and momenta in MeV.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from ..physics.kinematics import boost, two_body_decay_kernel
from ..physics.pair import transverse_costheta_kernel

TWO_PI = 2.0 * math.pi


@jit
def _put(E, px, py, pz, i, j, e, x, y, z):
    E[i, j] = e
    px[i, j] = x
    py[i, j] = y
    pz[i, j] = z


@jit
def vector_decays(parent, axis, polarised, u, m_chi, E, px, py, pz, jv, jchi, jbar):
    """Fill slots jv (the V), jchi, jbar of events i = 0..n-1.

    parent (n, 4): V lab four-momenta (E, px, py, pz), with the event's V mass;
    axis (n, 3): unit spin axis in the V rest frame (ignored unless ``polarised``);
    u (n, 2): uniforms in [0, 1)."""
    if u.shape[1] < 2 or u.shape[0] < parent.shape[0] or axis.shape[0] < parent.shape[0]:
        raise ValueError("vector_decays: u must be (n, 2) and axis (n, 3)")
    m2 = m_chi * m_chi
    for i in range(parent.shape[0]):
        Ev, qx, qy, qz = parent[i, 0], parent[i, 1], parent[i, 2], parent[i, 3]
        _put(E, px, py, pz, i, jv, Ev, qx, qy, qz)
        if polarised:
            M2 = Ev * Ev - (qx * qx + qy * qy + qz * qz)
            c = transverse_costheta_kernel(u[i, 0], max(0.0, 1.0 - 4.0 * m2 / M2))
            ax, ay, az = axis[i, 0], axis[i, 1], axis[i, 2]
        else:
            c = 2.0 * u[i, 0] - 1.0
            ax, ay, az = 0.0, 0.0, 1.0
        e1, x1, y1, z1 = two_body_decay_kernel(Ev, qx, qy, qz, m_chi, m_chi, c,
                                               TWO_PI * u[i, 1], ax, ay, az)
        _put(E, px, py, pz, i, jchi, e1, x1, y1, z1)
        _put(E, px, py, pz, i, jbar, Ev - e1, qx - x1, qy - y1, qz - z1)


@jit
def pseudoscalar_decays(parent, m_p, z, u, m_chi, E, px, py, pz, jp, jgam, jstar, jchi, jbar):
    """Fill slots jp (P), jgam (gamma), jstar (gamma*), jchi, jbar of events 0..n-1.

    parent (n, 4): P lab four-momenta; z (n,): q^2/m_P^2 of the pair; u (n, 4) uniforms."""
    if u.shape[1] < 4 or u.shape[0] < parent.shape[0] or z.shape[0] < parent.shape[0]:
        raise ValueError("pseudoscalar_decays: u must be (n, 4) and z (n,)")
    m2 = m_chi * m_chi
    for i in range(parent.shape[0]):
        Ep, qx, qy, qz = parent[i, 0], parent[i, 1], parent[i, 2], parent[i, 3]
        _put(E, px, py, pz, i, jp, Ep, qx, qy, qz)
        q2 = z[i] * m_p * m_p
        # photon in the P rest frame, then the lab
        k = 0.5 * (m_p * m_p - q2) / m_p
        ct = 2.0 * u[i, 0] - 1.0
        st = math.sqrt(max(0.0, 1.0 - ct * ct))
        ph = TWO_PI * u[i, 1]
        bx, by, bz = qx / Ep, qy / Ep, qz / Ep
        eg, gx, gy, gz = boost(k * st * math.cos(ph), k * st * math.sin(ph), k * ct, k, bx, by, bz)
        _put(E, px, py, pz, i, jgam, eg, gx, gy, gz)
        es, sx, sy, sz = Ep - eg, qx - gx, qy - gy, qz - gz
        _put(E, px, py, pz, i, jstar, es, sx, sy, sz)
        # the photon direction in the gamma* rest frame (pure boost from the lab)
        _, ax, ay, az = boost(gx, gy, gz, eg, -sx / es, -sy / es, -sz / es)
        norm = math.sqrt(ax * ax + ay * ay + az * az)
        c = transverse_costheta_kernel(u[i, 2], max(0.0, 1.0 - 4.0 * m2 / q2))
        e1, x1, y1, z1 = two_body_decay_kernel(es, sx, sy, sz, m_chi, m_chi, c,
                                               TWO_PI * u[i, 3], ax / norm, ay / norm, az / norm)
        _put(E, px, py, pz, i, jchi, e1, x1, y1, z1)
        _put(E, px, py, pz, i, jbar, es - e1, sx - x1, sy - y1, sz - z1)


# ---------------------------------------------------------------------------
# the q^2 spectrum of P -> gamma chi chibar (tabulated inverse CDF)
# ---------------------------------------------------------------------------

#: nodes of the tabulated CDF in w = sqrt(ln z - ln 4x)
Z_NODES = 16385


def dalitz_z_table(x: float):
    """(z nodes, cdf) of (1/Gamma_gg) dGamma/dz ~ (1 - z)^3 (1 + 2x/z) sqrt(1 - 4x/z)/z on
    [4x, 1] (physics-notes section 2), x = m_chi^2/m_P^2.

    The CDF is integrated by the trapezoid rule in w = sqrt(ln z - ln 4x), where the
    density w -> 2 w z f(z) is smooth (the sqrt threshold and the 1/z become regular),
    on 16385 nodes; :func:`sample_dalitz_z` interpolates its inverse linearly."""
    u0 = math.log(4.0 * x)
    w = np.linspace(0.0, math.sqrt(-u0), Z_NODES)
    z = np.exp(u0 + w * w)
    z[-1] = 1.0
    g = (1.0 - z) ** 3 * (1.0 + 2.0 * x / z) * np.sqrt(np.clip(1.0 - 4.0 * x / z, 0.0, None))
    dens = 2.0 * w * g
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(w))])
    return z, cdf / cdf[-1]


def sample_dalitz_z(table, u):
    """z = q^2/m_P^2 for uniforms ``u`` from :func:`dalitz_z_table` (inverse CDF)."""
    z, cdf = table
    return np.interp(u, cdf, z)
