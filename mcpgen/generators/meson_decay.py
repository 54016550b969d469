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

For parents from a spectrum table the whole event is made in one pass by
:func:`spectrum_vector_events` and :func:`spectrum_pseudoscalar_events`, which draw
their uniforms from the block's ``numpy.random.Generator`` inside Numba (per event:
4 for the parent from the table, :func:`table_parent`; then the V mass and 2 for the
decay, or q^2 and 4 for the Dalitz decay) and fill every array of the event record.
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


def guide_table(cdf, size=None):
    """Guide table of an increasing ``cdf`` from 0 to 1 (L. Devroye, Non-Uniform Random
    Variate Generation, Springer 1986, sec. III.2.4): entry j is the last node with
    cdf <= j/size, so :func:`find_node` starts next to its answer (O(1) on average)."""
    size = len(cdf) if size is None else int(size)
    g = np.searchsorted(cdf, np.arange(size) / size, side="right") - 1
    return np.ascontiguousarray(np.clip(g, 0, len(cdf) - 2), dtype=np.int64)


@jit
def find_node(cdf, guide, u):
    """The node i with cdf[i] <= u < cdf[i + 1] (i <= len(cdf) - 2), for u in [0, 1)."""
    i = guide[min(int(u * guide.shape[0]), guide.shape[0] - 1)]
    last = cdf.shape[0] - 2
    while i < last and cdf[i + 1] <= u:
        i += 1
    return i


@jit
def inverse_cdf(x, cdf, guide, u):
    """x at which the tabulated increasing ``cdf`` (0 ... 1 on nodes ``x``) reaches u
    (guide-table search, linear interpolation)."""
    i = find_node(cdf, guide, u)
    d = cdf[i + 1] - cdf[i]
    t = (u - cdf[i]) / d if d > 0.0 else 0.0
    return x[i] + t * (x[i + 1] - x[i])


@jit
def table_parent(u0, u1, u2, u3, cdf, guide, lo, hi, is_energy, mass):
    """Lab four-momentum (E, px, py, pz) of a meson of ``mass`` (MeV) from a spectrum table:
    the bin b with cdf[b] <= u0 < cdf[b + 1] (cdf: cumulative contents from 0 to 1), then
    uniform in log10 p (or log10 E) in GeV and log10 theta in rad, azimuth 2 pi u3."""
    b = find_node(cdf, guide, u0)
    v = 1000.0 * 10.0 ** (lo[b, 0] + u1 * (hi[b, 0] - lo[b, 0]))
    p = math.sqrt(max(v * v - mass * mass, 0.0)) if is_energy else v
    th = 10.0 ** (lo[b, 1] + u2 * (hi[b, 1] - lo[b, 1]))
    ph = TWO_PI * u3
    st = math.sin(th)
    return math.sqrt(p * p + mass * mass), p * st * math.cos(ph), p * st * math.sin(ph), \
        p * math.cos(th)


@jit
def table_parents(u, cdf, guide, lo, hi, is_energy, mass, out):
    """:func:`table_parent` for the rows of u (n, 4) and masses (n,) into out (n, 4)."""
    for i in range(u.shape[0]):
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = table_parent(
            u[i, 0], u[i, 1], u[i, 2], u[i, 3], cdf, guide, lo, hi, is_energy, mass[i])


@jit
def vector_decays(parent, axis, polarised, u, m_chi, E, px, py, pz, jv, jchi, jbar):
    """Fill slots jv (the V), jchi, jbar of events i = 0..n-1.

    parent (n, 4): V lab four-momenta (E, px, py, pz), with the event's V mass;
    axis (n, 3): unit spin axis in the V rest frame (ignored unless ``polarised``);
    u (n, 2): uniforms in [0, 1)."""
    if u.shape[1] < 2 or u.shape[0] < parent.shape[0] or axis.shape[0] < parent.shape[0] \
            or E.shape[0] < parent.shape[0] or max(jv, jchi, jbar) >= E.shape[1] \
            or min(jv, jchi, jbar) < 0:
        raise ValueError("vector_decays: u must be (n, 2), axis (n, 3), E (n, k) with the slots < k")
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
def pseudoscalar_event(i, Ep, qx, qy, qz, m_p, z, u0, u1, u2, u3, m_chi, E, px, py, pz,
                       jp, jgam, jstar, jchi, jbar):
    """Row i of :func:`pseudoscalar_decays` for the parent (Ep, qx, qy, qz)."""
    _put(E, px, py, pz, i, jp, Ep, qx, qy, qz)
    q2 = z * m_p * m_p
    # photon in the P rest frame, then the lab
    k = 0.5 * (m_p * m_p - q2) / m_p
    ct = 2.0 * u0 - 1.0
    st = math.sqrt(max(0.0, 1.0 - ct * ct))
    ph = TWO_PI * u1
    eg, gx, gy, gz = boost(k * st * math.cos(ph), k * st * math.sin(ph), k * ct, k,
                           qx / Ep, qy / Ep, qz / Ep)
    _put(E, px, py, pz, i, jgam, eg, gx, gy, gz)
    es, sx, sy, sz = Ep - eg, qx - gx, qy - gy, qz - gz
    _put(E, px, py, pz, i, jstar, es, sx, sy, sz)
    # the photon direction in the gamma* rest frame (pure boost from the lab)
    _, ax, ay, az = boost(gx, gy, gz, eg, -sx / es, -sy / es, -sz / es)
    norm = math.sqrt(ax * ax + ay * ay + az * az)
    c = transverse_costheta_kernel(u2, max(0.0, 1.0 - 4.0 * m_chi * m_chi / q2))
    e1, x1, y1, z1 = two_body_decay_kernel(es, sx, sy, sz, m_chi, m_chi, c, TWO_PI * u3,
                                           ax / norm, ay / norm, az / norm)
    _put(E, px, py, pz, i, jchi, e1, x1, y1, z1)
    _put(E, px, py, pz, i, jbar, es - e1, sx - x1, sy - y1, sz - z1)


@jit
def pseudoscalar_decays(parent, m_p, z, u, m_chi, E, px, py, pz, jp, jgam, jstar, jchi, jbar):
    """Fill slots jp (P), jgam (gamma), jstar (gamma*), jchi, jbar of events 0..n-1.

    parent (n, 4): P lab four-momenta; z (n,): q^2/m_P^2 of the pair; u (n, 4) uniforms."""
    if u.shape[1] < 4 or u.shape[0] < parent.shape[0] or z.shape[0] < parent.shape[0] \
            or E.shape[0] < parent.shape[0] or max(jp, jgam, jstar, jchi, jbar) >= E.shape[1] \
            or min(jp, jgam, jstar, jchi, jbar) < 0:
        raise ValueError("pseudoscalar_decays: u must be (n, 4), z (n,), E (n, k) with the "
                         "slots < k")
    for i in range(parent.shape[0]):
        pseudoscalar_event(i, parent[i, 0], parent[i, 1], parent[i, 2], parent[i, 3], m_p, z[i],
                           u[i, 0], u[i, 1], u[i, 2], u[i, 3], m_chi, E, px, py, pz,
                           jp, jgam, jstar, jchi, jbar)


@jit
def _check_event_arrays(k, cdf, lo, hi, pdg_row, status_row, mass_row, E, px, py, pz, mass, pdg,
                        status, w):
    n = E.shape[0]
    for a in (px, py, pz, mass):
        if a.shape[0] != n or a.shape[1] != k:
            raise ValueError("spectrum events: the momentum and mass arrays must be (n, k)")
    if pdg.shape[0] != n or pdg.shape[1] != k or status.shape[0] != n or status.shape[1] != k \
            or E.shape[1] != k or w.shape[0] != n:
        raise ValueError("spectrum events: pdg and status must be (n, k), w (n,)")
    if pdg_row.shape[0] != k or status_row.shape[0] != k or mass_row.shape[0] != k:
        raise ValueError("spectrum events: the slot rows must have k entries")
    if lo.shape[0] != cdf.shape[0] - 1 or hi.shape[0] != cdf.shape[0] - 1 or lo.shape[1] < 2:
        raise ValueError("spectrum events: the table needs n_bins + 1 cdf nodes and (n_bins, 2) edges")


@jit
def _fixed_slots(i, pdg_row, status_row, mass_row, pdg, status, mass):
    for j in range(pdg_row.shape[0]):
        pdg[i, j] = pdg_row[j]
        status[i, j] = status_row[j]
        mass[i, j] = mass_row[j]


@jit(nogil=True)
def spectrum_vector_events(gen, cdf, guide, lo, hi, is_energy, m_nodes, m_cdf, m_guide, m_chi,
                           weight, pdg_row, status_row, mass_row, E, px, py, pz, mass, pdg, status,
                           w):
    """Events V -> chi chibar (slots V, chi, chibar) with unpolarised V from a spectrum
    table; the V mass from the line shape (nodes, cdf, guide); every event gets ``weight``."""
    _check_event_arrays(3, cdf, lo, hi, pdg_row, status_row, mass_row, E, px, py, pz, mass, pdg,
                        status, w)
    for i in range(E.shape[0]):
        u0, u1, u2, u3 = gen.random(), gen.random(), gen.random(), gen.random()
        mv = inverse_cdf(m_nodes, m_cdf, m_guide, gen.random())
        Ev, qx, qy, qz = table_parent(u0, u1, u2, u3, cdf, guide, lo, hi, is_energy, mv)
        _put(E, px, py, pz, i, 0, Ev, qx, qy, qz)
        # isotropic in the V rest frame, then boosted
        c = 2.0 * gen.random() - 1.0
        ph = TWO_PI * gen.random()
        ps = 0.5 * math.sqrt(max(mv * mv - 4.0 * m_chi * m_chi, 0.0))
        st = ps * math.sqrt(max(0.0, 1.0 - c * c))
        e1, x1, y1, z1 = boost(st * math.cos(ph), st * math.sin(ph), ps * c, 0.5 * mv,
                               qx / Ev, qy / Ev, qz / Ev)
        _put(E, px, py, pz, i, 1, e1, x1, y1, z1)
        _put(E, px, py, pz, i, 2, Ev - e1, qx - x1, qy - y1, qz - z1)
        _fixed_slots(i, pdg_row, status_row, mass_row, pdg, status, mass)
        mass[i, 0] = mv
        w[i] = weight


@jit(nogil=True)
def spectrum_pseudoscalar_events(gen, cdf, guide, lo, hi, is_energy, m_p, z_nodes, z_cdf, z_guide,
                                 m_chi, weight, pdg_row, status_row, mass_row, E, px, py, pz, mass,
                                 pdg, status, w):
    """Events P -> gamma gamma*(-> chi chibar) (slots P, gamma, gamma*, chi, chibar) from a
    spectrum table, q^2 = z m_P^2 from the tabulated Dalitz spectrum (nodes, cdf, guide)."""
    _check_event_arrays(5, cdf, lo, hi, pdg_row, status_row, mass_row, E, px, py, pz, mass, pdg,
                        status, w)
    for i in range(E.shape[0]):
        u0, u1, u2, u3 = gen.random(), gen.random(), gen.random(), gen.random()
        Ep, qx, qy, qz = table_parent(u0, u1, u2, u3, cdf, guide, lo, hi, is_energy, m_p)
        z = inverse_cdf(z_nodes, z_cdf, z_guide, gen.random())
        v0, v1, v2, v3 = gen.random(), gen.random(), gen.random(), gen.random()
        pseudoscalar_event(i, Ep, qx, qy, qz, m_p, z, v0, v1, v2, v3, m_chi, E, px, py, pz,
                           0, 1, 2, 3, 4)
        _fixed_slots(i, pdg_row, status_row, mass_row, pdg, status, mass)
        mass[i, 2] = math.sqrt(z) * m_p
        w[i] = weight


# ---------------------------------------------------------------------------
# the q^2 spectrum of P -> gamma chi chibar (tabulated inverse CDF)
# ---------------------------------------------------------------------------

#: nodes of the tabulated CDF in w = sqrt(ln z - ln 4x)
Z_NODES = 16385


def dalitz_z_table(x: float):
    """(z nodes, cdf, guide table) of (1/Gamma_gg) dGamma/dz ~ (1 - z)^3 (1 + 2x/z) sqrt(1 - 4x/z)/z on
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
    cdf /= cdf[-1]
    return z, cdf, guide_table(cdf)


def sample_dalitz_z(table, u):
    """z = q^2/m_P^2 for uniforms ``u`` from :func:`dalitz_z_table` (inverse CDF)."""
    z, cdf, _ = table
    return np.interp(u, cdf, z)
