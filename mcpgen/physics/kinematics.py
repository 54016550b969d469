"""Relativistic kinematics: the one kinematics module of mcpgen.

Three parts:

* ``@jit`` kernels of the samplers: orthonormal bases, boosts and two-body decays
  (four-vectors as length-4 arrays or scalars);
* ``@jit`` scalar helpers used inside the matrix-element kernels of
  :mod:`mcpgen.physics.lepton_nucleus.etl_amplitude`: a cancellation-free Minkowski product of
  two on-shell four-vectors and the momentum transfer t = -(P - P')^2 of an
  elastic vertex.  In the lab frame of a 100 GeV electron the naive products
  E_a E_b - a.b lose up to ~10 of the 16 digits for collinear momenta (e.g.
  p.k ~ m_e^2 against E E_k ~ 1e10 MeV^2); the forms below lose none.
* NumPy helpers that build physical momentum configurations for tests and
  validation: sequential two-body decays in the centre-of-mass frame boosted to
  the lab (nucleus at rest, lepton along +z) for generic points, and
  bremsstrahlung-like forward points solved exactly for the final-lepton
  momentum.  They are deliberately simple (per-point Python loops); the event
  generator has its own samplers.

Four-vectors are float64 arrays (E, px, py, pz) in MeV (hepunits base); the
metric is (+, -, -, -) (Peskin & Schroeder).
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit


# ---------------------------------------------------------------------------
# sampler kernels: bases, boosts, two-body decays
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# scalar kernels
# ---------------------------------------------------------------------------

@jit
def mdot(a, b):
    """Plain Minkowski product a.b (metric +,-,-,-)."""
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]


@jit
def onshell_dot(Ea, ax, ay, az, ma2, Eb, bx, by, bz, mb2):
    """Minkowski product of two on-shell vectors without cancellation.

    With c the cosine of the opening angle,
      a.b = [E_a E_b - |a||b|] + |a||b| (1 - c),
      E_a E_b - |a||b| = (m_a^2 E_b^2 + |a|^2 m_b^2) / (E_a E_b + |a||b|),
      |a||b| (1 - c)   = |a x b|^2 / (|a||b| + a.b_3),          (c > 0)
    so every term is a sum of positive numbers.  ``ma2``, ``mb2`` are the
    squared masses (>= 0).  For c <= 0 the plain form has no cancellation.
    """
    dot3 = ax * bx + ay * by + az * bz
    if dot3 <= 0.0:
        return Ea * Eb - dot3
    a = math.sqrt(ax * ax + ay * ay + az * az)
    b = math.sqrt(bx * bx + by * by + bz * bz)
    ab = a * b
    t1 = (ma2 * Eb * Eb + a * a * mb2) / (Ea * Eb + ab)
    cx = ay * bz - az * by
    cy = az * bx - ax * bz
    cz = ax * by - ay * bx
    t2 = (cx * cx + cy * cy + cz * cz) / (ab + dot3)
    return t1 + t2


@jit
def onshell_dot_v(a, ma2, b, mb2):
    """:func:`onshell_dot` for two length-4 arrays."""
    return onshell_dot(a[0], a[1], a[2], a[3], ma2, b[0], b[1], b[2], b[3], mb2)


@jit
def momentum_transfer_t(P, Pp):
    """t = -(P - P')^2 > 0 for an elastic vertex (P^2 = P'^2).

    Uses E - E' = (P - P')_3 . (P + P')_3 / (E + E'), exact for equal masses, so
    that in the lab (P at rest) t is not the difference of two numbers of
    order M_N^2.
    """
    dx = P[1] - Pp[1]
    dy = P[2] - Pp[2]
    dz = P[3] - Pp[3]
    d0 = (dx * (P[1] + Pp[1]) + dy * (P[2] + Pp[2]) + dz * (P[3] + Pp[3])) / (P[0] + Pp[0])
    return dx * dx + dy * dy + dz * dz - d0 * d0


# ---------------------------------------------------------------------------
# NumPy helpers (tests / validation)
# ---------------------------------------------------------------------------

def kallen(a, b, c):
    """Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc."""
    return a * a + b * b + c * c - 2 * a * b - 2 * a * c - 2 * b * c


def two_body_momentum(M, m1, m2):
    """|p| of either daughter in the rest frame of M -> m1 m2.

    lambda(M^2, m1^2, m2^2) in the factorised form
    (M - m1 - m2)(M + m1 + m2)(M - m1 + m2)(M + m1 - m2), without the
    cancellation of the expanded Kallen function when M >> |p|."""
    lam = (M - m1 - m2) * (M + m1 + m2) * (M - m1 + m2) * (M + m1 - m2)
    return math.sqrt(max(lam, 0.0)) / (2.0 * M)


def vec4(m, p3):
    """On-shell four-vector of mass m and three-momentum p3."""
    p3 = np.asarray(p3, dtype=float)
    return np.array([math.sqrt(m * m + p3 @ p3), *p3])


def direction(cos_theta, phi):
    s = math.sqrt(max(0.0, 1.0 - cos_theta * cos_theta))
    return np.array([s * math.cos(phi), s * math.sin(phi), cos_theta])


def boost_from_rest(p_rest, Q, mQ=None):
    """Boost ``p_rest`` (given in the rest frame of Q) to the frame where Q is given.

    Pure boost along Q_3 (no rotation): with n = Q_3/|Q_3|, gamma = Q^0/m_Q,
    beta gamma = |Q_3|/m_Q.  Pass the mass ``mQ`` when it is known: computing
    it from the components of a fast Q loses digits.
    """
    p_rest = np.asarray(p_rest, dtype=float)
    Q = np.asarray(Q, dtype=float)
    if mQ is None:
        mQ = math.sqrt(max(Q[0] ** 2 - Q[1:] @ Q[1:], 0.0))
    q3 = np.linalg.norm(Q[1:])
    if q3 == 0.0:
        return p_rest.copy()
    n = Q[1:] / q3
    g = Q[0] / mQ
    bg = q3 / mQ
    ppar = p_rest[1:] @ n
    E = g * p_rest[0] + bg * ppar
    p3 = p_rest[1:] + ((g - 1.0) * ppar + bg * p_rest[0]) * n
    return np.array([E, *p3])


def boost_matrix(beta3):
    """4x4 Lorentz boost with velocity ``beta3`` (active, acting on column vectors)."""
    b = np.asarray(beta3, dtype=float)
    b2 = b @ b
    g = 1.0 / math.sqrt(1.0 - b2)
    L = np.eye(4)
    L[0, 0] = g
    L[0, 1:] = g * b
    L[1:, 0] = g * b
    if b2 > 0:
        L[1:, 1:] += (g - 1.0) * np.outer(b, b) / b2
    return L


def rotation_matrix(rng):
    """Random 4x4 spatial rotation (Haar measure, via QR of a Gaussian matrix)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q @ np.diag(np.sign(np.diag(r)))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    R = np.eye(4)
    R[1:, 1:] = q
    return R


def random_lorentz(rng, max_rapidity=2.0):
    """A random proper Lorentz transformation: rotation x boost x rotation."""
    eta = rng.uniform(0.0, max_rapidity)
    n = direction(rng.uniform(-1, 1), rng.uniform(0, 2 * math.pi))
    return rotation_matrix(rng) @ boost_matrix(math.tanh(eta) * n) @ rotation_matrix(rng)


def _lab_frame(E0, m_l, M_N):
    p = vec4(m_l, [0.0, 0.0, math.sqrt(E0 * E0 - m_l * m_l)])
    P = np.array([M_N, 0.0, 0.0, 0.0])
    return p, P


def random_2to3_lab(rng, E0, m_l, M_N, m_V):
    """Generic l(p) N(P) -> l(p') N(P') V(k) point in the lab (N at rest, l along +z).

    Sequential two-body decays in the centre-of-mass frame: sqrt(s) -> N' + (l'V)
    with m_{lV} uniform in [m_l + m_V, sqrt(s) - M_N] and isotropic directions,
    then (l'V) -> l' V isotropic in its rest frame; everything boosted to the lab.
    The points are generic (large angles, large t), not weighted by any cross
    section.  Returns (p, P, pp, Pp, k).
    """
    p, P = _lab_frame(E0, m_l, M_N)
    tot = p + P
    rs = math.sqrt(m_l * m_l + M_N * M_N + 2.0 * M_N * E0)  # s without cancellation
    if rs <= M_N + m_l + m_V:
        raise ValueError("below threshold")
    mlv = rng.uniform(m_l + m_V, rs - M_N)
    q = two_body_momentum(rs, M_N, mlv)
    n = direction(rng.uniform(-1, 1), rng.uniform(0, 2 * math.pi))
    Pp_cm = vec4(M_N, -q * n)
    LV_cm = vec4(mlv, q * n)
    q2 = two_body_momentum(mlv, m_l, m_V)
    n2 = direction(rng.uniform(-1, 1), rng.uniform(0, 2 * math.pi))
    pp_r = vec4(m_l, q2 * n2)
    k_r = vec4(m_V, -q2 * n2)
    pp_cm = boost_from_rest(pp_r, LV_cm, mlv)
    k_cm = boost_from_rest(k_r, LV_cm, mlv)
    pp = boost_from_rest(pp_cm, tot, rs)
    k = boost_from_rest(k_cm, tot, rs)
    Pp = boost_from_rest(Pp_cm, tot, rs)
    return p, P, pp, Pp, k


def solve_final_lepton(p, P, k, nhat, m_l, M_N):
    """|p'| along the unit vector ``nhat`` from energy conservation (N recoil exact).

    Solves E' + T_N = E + M_N - E_k - M_N with T_N = |Q|^2/(E_N' + M_N) the
    recoil kinetic energy, Q = p + P - k - p'.  Returns None if there is no root.
    For M_N much larger than the momentum transfer the function is monotonic.
    """
    from scipy.optimize import brentq

    avail = p[0] + P[0] - k[0] - M_N  # E' + T_N
    Q0 = p[1:] + P[1:] - k[1:]

    def f(y):
        Q = Q0 - y * nhat
        Q2 = Q @ Q
        T = Q2 / (math.sqrt(M_N * M_N + Q2) + M_N)
        return math.sqrt(y * y + m_l * m_l) + T - avail

    if avail <= m_l:
        return None
    ymax = math.sqrt(avail * avail - m_l * m_l)
    if f(0.0) > 0 or f(ymax) < 0:
        return None
    return brentq(f, 0.0, ymax, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)


def forward_2to3_lab(rng, E0, m_l, M_N, m_V, x_range=(0.05, 0.95)):
    """Bremsstrahlung-like l N -> l N V point in the lab (the region that dominates
    the cross section): V energy fraction x uniform in ``x_range``, V and final
    lepton polar angles log-uniform around the characteristic angle
    max(m_l, m_V)/E0, azimuths uniform; |p'| solved exactly (nuclear recoil
    included), so momentum conservation holds to rounding.  Returns
    (p, P, pp, Pp, k).
    """
    p, P = _lab_frame(E0, m_l, M_N)
    th0 = max(m_l, m_V) / E0
    for _ in range(1000):
        x = rng.uniform(*x_range)
        EV = x * E0
        if EV <= m_V:
            continue
        thk = th0 * 10 ** rng.uniform(-1.5, 1.0)
        thl = th0 * 10 ** rng.uniform(-1.5, 1.0)
        if thk >= math.pi or thl >= math.pi:
            continue
        k = vec4(m_V, math.sqrt(EV * EV - m_V * m_V) * direction(math.cos(thk), rng.uniform(0, 2 * math.pi)))
        nhat = direction(math.cos(thl), rng.uniform(0, 2 * math.pi))
        y = solve_final_lepton(p, P, k, nhat, m_l, M_N)
        if y is None:
            continue
        pp = vec4(m_l, y * nhat)
        Q = p[1:] + P[1:] - k[1:] - pp[1:]
        Pp = vec4(M_N, Q)
        return p, P, pp, Pp, k
    raise RuntimeError("could not build a forward configuration")


def small_t_2to3_lab(rng, E0, m_l, M_N, m_V, QT):
    """Forward l N -> l N V point whose nuclear recoil has transverse momentum ``QT``
    (MeV), reaching down to t ~ t_min: V as in :func:`forward_2to3_lab`, final
    lepton p'_T = -k_T - Q_T, p'_z from energy conservation (recoil exact).
    These are the points where the amplitude is most sensitive to rounding.
    Returns (p, P, pp, Pp, k)."""
    from scipy.optimize import brentq

    p, P = _lab_frame(E0, m_l, M_N)
    th0 = max(m_l, m_V) / E0
    for _ in range(1000):
        EV = rng.uniform(0.05, 0.95) * E0
        if EV <= m_V:
            continue
        thk = th0 * 10 ** rng.uniform(-1.5, 1.0)
        k = vec4(m_V, math.sqrt(EV * EV - m_V * m_V) * direction(math.cos(thk), rng.uniform(0, 2 * math.pi)))
        phi = rng.uniform(0, 2 * math.pi)
        ppT = -k[1:3] - QT * np.array([math.cos(phi), math.sin(phi)])
        avail = p[0] + P[0] - k[0]
        pT2 = ppT @ ppT

        def f(y):
            Qz = p[3] - k[3] - y
            return math.sqrt(y * y + m_l * m_l + pT2) + math.sqrt(M_N * M_N + QT * QT + Qz * Qz) - avail

        ymax = math.sqrt(max((avail - M_N) ** 2 - m_l * m_l - pT2, 0.0))
        if ymax == 0.0 or f(0.0) > 0 or f(ymax) < 0:
            continue
        y = brentq(f, 0.0, ymax, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
        pp = vec4(m_l, [ppT[0], ppT[1], y])
        Pp = vec4(M_N, p[1:] - k[1:] - pp[1:])
        return p, P, pp, Pp, k
    raise RuntimeError("could not build a small-t configuration")


def pair_momenta(k, m_chi, cos_theta, phi, m_k=None):
    """chi(k1), chibar(k2) from k (invariant mass ``m_k``, computed from k if not
    given) with chi direction (cos_theta, phi) in the pair rest frame (axes
    parallel to those of the frame of k; pure boost)."""
    k = np.asarray(k, dtype=float)
    mk = m_k if m_k is not None else math.sqrt(k[0] ** 2 - k[1:] @ k[1:])
    q = two_body_momentum(mk, m_chi, m_chi)
    n = direction(cos_theta, phi)
    k1 = boost_from_rest(vec4(m_chi, q * n), k, mk)
    k2 = boost_from_rest(vec4(m_chi, -q * n), k, mk)
    return k1, k2


def random_2to4_lab(rng, E0, m_l, M_N, m_chi, forward=True, k2_max=None):
    """l N -> l N chi chibar point in the lab: k^2 log-uniform in
    [4 m_chi^2 (1 + 1e-3), k2_max] (default (10 m_chi)^2 + m_l^2, capped by the
    kinematic limit), a 2 -> 3 point with m_V^2 = k^2 (forward or generic), then
    an isotropic pair decay.  Returns (p, P, pp, Pp, k1, k2)."""
    lo = 4.0 * m_chi * m_chi * (1.0 + 1e-3)
    hi = k2_max if k2_max is not None else 100.0 * m_chi * m_chi + m_l * m_l
    hi = min(hi, (0.5 * E0) ** 2)
    k2 = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    mV = math.sqrt(k2)
    gen = forward_2to3_lab if forward else random_2to3_lab
    p, P, pp, Pp, k = gen(rng, E0, m_l, M_N, mV)
    k1, kb = pair_momenta(k, m_chi, rng.uniform(-1, 1), rng.uniform(0, 2 * math.pi), mV)
    return p, P, pp, Pp, k1, kb


__all__ = [
    "mdot", "onshell_dot", "onshell_dot_v", "momentum_transfer_t", "kallen",
    "two_body_momentum", "vec4", "direction", "boost_from_rest", "boost_matrix",
    "rotation_matrix", "random_lorentz", "random_2to3_lab", "solve_final_lepton",
    "forward_2to3_lab", "small_t_2to3_lab", "pair_momenta", "random_2to4_lab",
]
