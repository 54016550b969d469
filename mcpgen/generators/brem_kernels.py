"""Numba kernels of the l N -> l N gamma*(-> chi chibar) sampler.

One phase-space point is six numbers y in [0, 1)^6 (after the VEGAS map),
mapped onto physics variables by fixed smooth transforms chosen to flatten the
integrand; the VEGAS grid then corrects what is left.

  y0 -> z        production depth: uniform in [0, L_src]
  y1 -> u_e      electrons only: energy-loss variable of the degraded beam
  y2 -> k^2      pair mass^2, log-uniform in [4 m_chi^2, (E - m_l)^2]
  y3 -> 1 - x    log-uniform, x = E_pair/E in [max(x_min E0/E, k/E), 1 - m_l/E]
  y4 -> u = 1 - cos theta of gamma*: density ~ 1/(1 + w)^2 in w = 2 x E^2 u/U0, u in [0, 2]
  y5 -> t        momentum transfer to the nucleus, log-uniform in [t_min, t_max]

Weight (pb, eps = 1, per unit target length for sources with a length):
  d sigma/(dx dcos theta)|_WW / chi  x  (t - t_min)/t^2 G2(t)   [the flux integrand]
  x  dP/dk^2 (pair factor, seed 001 eq. 7)  x  Jacobians  x  source weight.
Integrating t reproduces chi (seed 001 eq. 9), so the sampler integrates the
WW (IWW) cross section times the pair factor, i.e. seed 001 eq. (10), while
also giving each event a nuclear recoil consistent with its t.

Sources (parameter ``src``):
  0 fixed beam energy E0 (cross-section mode), weight 1;
  1 muon: z uniform in [0, L]; E = E0 - (dE/dx) z (dE/dx = 0 to neglect loss), weight 1;
  2 electron, Tsai degradation: at depth s = z/X0 the beam energy follows
    I(E0, E, s) = [ln(E0/E)]^(b s - 1) / (E0 Gamma(b s)), b = 4/3
    (Tsai, Rev. Mod. Phys. 46 (1974) 815, eq. 3.? ; PDG review "Passage of particles
    through matter", sec. 34.4.x).  With u_e = ln(E0/E) = U y1^(1/(b s)),
    U = ln(1/x_min), the weight is U^(b s) e^(-u_e) / Gamma(b s + 1) (exact change of
    variables; electrons below x_min E0 cannot pass the cut and are not sampled);
  3 electron with the seed-001 effective length L_eff = min(L, X0): z uniform in
    [0, L_eff], E = E0, weight L_eff / L.
Event weights are per unit length (divide-by-L convention), so that the expected
signal is N = LOT x n_target x L x sum(w).
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from ..physics.formfactors import g2_kernel
from ..physics.etl_amplitude import msq_2to3, msq_2to4
from ..physics.ww import ww_d2sigma_ut_kernel, ww_tmin_ut_kernel
from ..physics.pair import pair_density_kernel, transverse_costheta_kernel
from .kinematics import plane_basis, two_body_decay

# parameter vector layout
P_E0, P_ML, P_MN, P_Z, P_A, P_MCHI, P_XMIN, P_METHOD, P_SRC, P_L, P_X0, P_DEDX, \
    P_INEL, P_A2, P_AP2, P_D, P_CONV, P_MODE, P_MV = range(19)
N_PAR = 19
METHOD_IWW, METHOD_WW, METHOD_ETL = 0, 1, 2
#: final states: chi chibar pair through gamma* (2 -> 4), or an on-shell vector V (2 -> 3)
MODE_PAIR, MODE_VECTOR = 0, 1
#: ETL: sampled t range [t_lo, t_lo + T_HI_FACTOR (k^2 + m_l^2)], t_lo the exact kinematic
#: minimum for the point's (x, theta, k^2); above ~(k^2 + m_l^2) the integrand falls like
#: 1/t^2 (WW's t_max), so the truncation is O(1/T_HI_FACTOR) of one unit of ln t in chi
T_HI_FACTOR = 1.0e4
SRC_FIXED, SRC_MUON, SRC_E_TSAI, SRC_E_X0 = 0, 1, 2, 3
#: number of phase-space variables and of auxiliary uniforms per point.  The sampler
#: passes ys with N_DIM + 1 columns: column N_DIM is the recoil azimuth phi_q / (2 pi)
#: (adapted by VEGAS); rs column 1 is then unused
N_DIM = 6
N_AUX = 5
#: variables kept per point: z, E, k2, 1-x, 1-cos(theta), t, weight-valid flag
N_VAR = 9
B_TSAI = 4.0 / 3.0



@jit
def _point(y, par, v):
    """Weight (pb per unit length, eps = 1) of one point; fills v[0:6] = z, E, k2, 1-x, u, t.

    For the ETL method it returns 1 for a point inside the sampled region (0
    outside) and stores the product of the Jacobians and the source weight in
    v[6]; the weight itself needs the full momenta (:func:`_point_etl`).
    """
    E0 = par[P_E0]
    ml = par[P_ML]
    mchi = par[P_MCHI]
    src = int(par[P_SRC])
    L = par[P_L]
    v[6] = 0.0
    # --- source: depth and beam energy at the vertex
    wsrc = 1.0
    z = 0.0
    E = E0
    if src == SRC_MUON:
        z = L * y[0]
        E = E0 - par[P_DEDX] * z
    elif src == SRC_E_TSAI:
        z = L * y[0]
        bs = B_TSAI * z / par[P_X0]
        U = -math.log(par[P_XMIN])
        if bs > 0.0:
            ue = U * y[1] ** (1.0 / bs)
            wsrc = math.exp(bs * math.log(U) - ue - math.lgamma(bs + 1.0))
            E = E0 * math.exp(-ue)
    elif src == SRC_E_X0:
        leff = min(L, par[P_X0])
        z = leff * y[0]
        wsrc = leff / L
    v[0] = z
    v[1] = E
    if E <= ml:
        return 0.0
    # --- pair mass^2 (vector mode: fixed k^2 = m_V^2)
    if int(par[P_MODE]) == MODE_VECTOR:
        k2 = par[P_MV] * par[P_MV]
        if k2 >= (E - ml) * (E - ml):
            return 0.0
        jac = 1.0
    else:
        k2lo = 4.0 * mchi * mchi
        k2hi = (E - ml) * (E - ml)
        if k2hi <= k2lo:
            return 0.0
        lk = math.log(k2hi / k2lo)
        k2 = k2lo * math.exp(lk * y[2])
        jac = k2 * lk
    m = math.sqrt(k2)
    # --- energy fraction x = E_pair / E, sampled as 1 - x
    xa = max(par[P_XMIN] * E0 / E, m / E)
    omx_hi = 1.0 - xa
    omx_lo = ml / E
    if omx_hi <= omx_lo:
        return 0.0
    lo = math.log(omx_hi / omx_lo)
    omx = omx_lo * math.exp(lo * y[3])
    jac *= omx * lo
    x = 1.0 - omx
    v[2] = k2
    v[3] = omx
    # --- gamma* angle: u = 1 - cos(theta)
    U0 = k2 * omx / x + ml * ml * x
    W = 4.0 * x * E * E / U0
    c = W / (1.0 + W)
    yc = y[4] * c
    w = yc / (1.0 - yc)
    u = w * U0 / (2.0 * x * E * E)
    jac *= U0 / (2.0 * x * E * E) * c / ((1.0 - yc) * (1.0 - yc))
    if u > 2.0:
        u = 2.0
    v[4] = u
    # u~ with theta^2 -> 2 (1 - cos theta) (equal to O(theta^4)): the WW formula is a
    # small-angle result; this choice makes its integral over the physical range
    # cos(theta) in [-1, 1] analytic (physics.ww.ww_dsigma_dx_physical_kernel)
    ut = -2.0 * x * E * E * u - U0
    # --- momentum transfer t
    method = int(par[P_METHOD])
    if method == METHOD_IWW:
        tmin = k2 * k2 / (4.0 * E * E)
        tmax = k2 + ml * ml
    elif method == METHOD_WW:
        tmin = ww_tmin_ut_kernel(ut, E, omx)
        tmax = k2 + ml * ml
    else:
        kk2 = x * x * E * E - k2
        if kk2 <= 0.0:
            return 0.0
        kab = math.sqrt(kk2)
        C0 = _cos_gamma_c0(E, ml, k2, x, omx, kab, u)
        M = par[P_MN]
        if 2.0 * M * (E * omx - ml) < C0:
            return 0.0
        R = _stable_R(E, ml, k2, x, omx, kab, u)
        v[7] = kab
        v[8] = R
        q = _q_min(E, ml, M, omx, C0, R)
        if q <= 0.0:
            return 0.0
        T = q * q / (math.sqrt(M * M + q * q) + M)
        tmin = (q - T) * (q + T)
        tmax = tmin + T_HI_FACTOR * (k2 + ml * ml)
    if tmax <= tmin:
        return 0.0
    lt = math.log(tmax / tmin)
    t = tmin * math.exp(lt * y[5])
    v[5] = t
    if method == METHOD_ETL:
        v[6] = jac * t * lt * wsrc  # Jacobians of k^2, 1 - x, u, t and the source weight
        return 1.0
    flux_integrand = (1.0 - tmin / t) * g2_kernel(
        t, par[P_Z], par[P_A2], par[P_AP2], par[P_D], par[P_INEL] > 0.5) * lt
    # --- WW double differential with chi = 1 (the flux integrand above replaces chi)
    kk2 = x * x * E * E - k2
    if kk2 <= 0.0:
        return 0.0
    kabs = math.sqrt(kk2)
    ww = ww_d2sigma_ut_kernel(x, omx, ut, E, k2, ml, 1.0)
    # --- exact kinematics: the l' N' system needs M_Q >= m_l + M_N, i.e.
    # 2 M (E (1-x) - m_l) >= C0, and t must not exceed the backward limit
    C0 = _cos_gamma_c0(E, ml, k2, x, omx, kabs, u)
    M = par[P_MN]
    if 2.0 * M * (E * omx - ml) < C0:
        return 0.0
    # the recoil energy T = t/(2M) must leave the lepton on shell
    if E * omx - t / (2.0 * M) <= ml:
        return 0.0
    if _cos_gamma(E, ml, M, k2, x, omx, kabs, u, t, C0) < -1.0:
        return 0.0
    wt = ww * flux_integrand * jac * wsrc * par[P_CONV]
    if int(par[P_MODE]) == MODE_PAIR:
        wt *= pair_density_kernel(k2, mchi)
    return wt


@jit
def _cos_gamma_c0(E, ml, k2, x, omx, kabs, u):
    """C0 = |p - k|^2 + m_l^2 - E^2 (1-x)^2 (see _recoil), written without cancellations.

    With K = |k|^2 = x^2 E^2 - k^2, D1 = x E^2 + p |k|:
      C0 = [k^2 (E^2 (1-x) + (E^2 - p|k|)) + 2 m_l^2 K] / D1 + 2 p |k| (1 - cos theta),
      E^2 - p|k| = (E^4 (1-x)(1+x) + E^2 k^2 + m_l^2 K) / (E^2 + p|k|),
    every term positive.
    """
    pz = math.sqrt(E * E - ml * ml)
    K = kabs * kabs
    E2 = E * E
    pk = pz * kabs
    e2mpk = (E2 * E2 * omx * (1.0 + x) + E2 * k2 + ml * ml * K) / (E2 + pk)
    return (k2 * (E2 * omx + e2mpk) + 2.0 * ml * ml * K) / (x * E2 + pk) + 2.0 * pk * u


@jit
def _stable_R(E, ml, k2, x, omx, kabs, u):
    """|p - k| with |p - k|^2 = (p - |k|)^2 + 2 p |k| u written without cancellations."""
    pz = math.sqrt(E * E - ml * ml)
    dpk = (E * E * omx * (1.0 + x) - ml * ml + k2) / (pz + kabs)
    return math.sqrt(dpk * dpk + 2.0 * pz * kabs * u)


@jit
def _cos_gamma(E, ml, M, k2, x, omx, kabs, u, t, C0):
    """cos of the angle between the recoil q and R = p - k for momentum transfer t."""
    R = _stable_R(E, ml, k2, x, omx, kabs, u)
    T = t / (2.0 * M)
    q = math.sqrt(t + T * T)
    return (C0 + 2.0 * E * omx * T - T * T + q * q) / (2.0 * R * q)


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
def _recoil(E, ml, M, k2, x, omx, u, phiV, t, phiq, mom, allow_raise):
    """Build l(0), N(1), l'(2), N'(3), gamma*(4) four-momenta; returns False if impossible.

    With R = p - k (beam minus gamma* three-momentum), the nucleus recoil
    q = P' has |q|^2 = t + T^2, T = t/(2M) (exact for a nucleus at rest), and
    the lepton's on-shell condition fixes the angle between q and R:
      2 R q cos(gamma) = C0 + 2 E (1-x) T - T^2 + q^2,
    with C0 = R^2 + m_l^2 - E^2 (1-x)^2 written without cancellations.  If
    t is below the exact kinematic minimum for this (x, theta) (the IWW flux
    ignores the angle dependence of t_min), q is raised to the minimum
    (cos gamma = 1) by Newton iterations; the event weight is unchanged.
    """
    pz = math.sqrt(E * E - ml * ml)
    kabs = math.sqrt(x * x * E * E - k2)
    ct = 1.0 - u
    st = math.sqrt(max(0.0, u * (2.0 - u)))
    kx = kabs * st * math.cos(phiV)
    ky = kabs * st * math.sin(phiV)
    kz = kabs * ct
    R = _stable_R(E, ml, k2, x, omx, kabs, u)
    Rx, Ry, Rz = -kx, -ky, pz - kz
    C0 = _cos_gamma_c0(E, ml, k2, x, omx, kabs, u)
    Eo = E * omx
    T = t / (2.0 * M)
    q = math.sqrt(t + T * T)
    cg = (C0 + 2.0 * Eo * T - T * T + q * q) / (2.0 * R * q)
    if cg > 1.0:
        # below the kinematic minimum: the WW methods raise q to it (their flux ignores
        # the angle dependence of t_min); ETL samples t >= t_min, so only rounding lands here
        if not allow_raise and cg > 1.0 + 1e-9:
            return False
        qm = _q_min(E, ml, M, omx, C0, R)
        if qm <= 0.0:
            return False
        q = qm
        T = q * q / (math.sqrt(M * M + q * q) + M)
        cg = 1.0
    elif cg < -1.0:
        return False
    if Eo - T <= ml:
        return False
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
    # beam, target
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
    mom[2, 1] = Rx - qx
    mom[2, 2] = Ry - qy
    mom[2, 3] = Rz - qz
    # N'
    mom[3, 0] = M + T
    mom[3, 1] = qx
    mom[3, 2] = qy
    mom[3, 3] = qz
    # gamma*
    mom[4, 0] = x * E
    mom[4, 1] = kx
    mom[4, 2] = ky
    mom[4, 3] = kz
    return True


@jit
def _decay_pair(mom, k2, mchi, rc, rphi):
    """chi chibar from gamma* = mom[4] in its rest frame (helicity axis = gamma* direction),
    cos(theta*) from the transverse density; returns that density f(c) (normalised on [-1, 1])."""
    kv = mom[4]
    kab = math.sqrt(kv[1] * kv[1] + kv[2] * kv[2] + kv[3] * kv[3])
    beta2 = 1.0 - 4.0 * mchi * mchi / k2
    ct = transverse_costheta_kernel(rc, beta2)
    two_body_decay(kv, mchi, mchi, ct, 2.0 * math.pi * rphi, kv[1] / kab, kv[2] / kab,
                   kv[3] / kab, mom[5], mom[6])
    a = 2.0 - beta2
    return (a + beta2 * ct * ct) / (2.0 * a + 2.0 * beta2 / 3.0)


_TWO_PI = 2.0 * math.pi
#: constant of the exact phase space in the sampled variables (see _point_etl)
_PS3 = 1.0 / (16.0 * _TWO_PI ** 5)


@jit
def _point_etl(y, rs, par, v, mom):
    """Exact tree-level weight (pb per unit length, eps = 1) of one point; fills ``mom``.

    Flux factor 4 M |p| (nucleus at rest).  In the sampled variables the exact
    three-body phase space is (derivation in docs: integrate d^3p' with the
    momentum delta, the energy delta in cos(gamma) = angle(q, p - k) with
    dE_l'/dcos(gamma) = -R q/E_l', and q dq = (1 + T/M) dt/2 with E_N' = M + T):
        dPhi_3 = |k| dE_V dcos(theta) dphi_V dt dphi_q / (16 (2 pi)^5 M R),
    and the pair adds dk^2/(2 pi) x dPhi_2 = dk^2/(2 pi) x beta dOmega*/(32 pi^2).
    The azimuths are uniform (volume (2 pi)^2) and Omega* has density f(c)/(2 pi).
    """
    s0 = _point(y, par, v)
    if s0 <= 0.0:
        return 0.0
    ml = par[P_ML]
    M = par[P_MN]
    E = v[1]
    k2 = v[2]
    omx = v[3]
    x = 1.0 - omx
    t = v[5]
    ok = _recoil(E, ml, M, k2, x, omx, v[4], _TWO_PI * rs[0], t, _TWO_PI * y[6], mom, False)
    if not ok:
        return 0.0
    G2 = g2_kernel(t, par[P_Z], par[P_A2], par[P_AP2], par[P_D], par[P_INEL] > 0.5)
    pabs = math.sqrt(E * E - ml * ml)
    ps = _PS3 * v[7] * E / (M * v[8]) * _TWO_PI * _TWO_PI / (4.0 * M * pabs)
    if int(par[P_MODE]) == MODE_VECTOR:
        msq = msq_2to3(mom[0], mom[1], mom[2], mom[3], mom[4], ml, M, par[P_MV], G2)
    else:
        mchi = par[P_MCHI]
        f = _decay_pair(mom, k2, mchi, rs[2], rs[3])
        msq = msq_2to4(mom[0], mom[1], mom[2], mom[3], mom[5], mom[6], ml, M, mchi, G2)
        beta = math.sqrt(1.0 - 4.0 * mchi * mchi / k2)
        ps *= beta / (32.0 * math.pi * math.pi) * _TWO_PI / f / _TWO_PI
    return msq * ps * v[6] * par[P_CONV]


@jit(nogil=True)
def brem_weights(ys, rs, par, out):
    """Weights of many points (training / integration)."""
    v = np.empty(N_VAR)
    mom = np.empty((7, 4))
    etl = int(par[P_METHOD]) == METHOD_ETL
    for i in range(ys.shape[0]):
        if etl:
            out[i] = _point_etl(ys[i], rs[i], par, v, mom)
        else:
            out[i] = _point(ys[i], par, v)


@jit(nogil=True)
def brem_events(ys, jac, rs, par, w_max, unweighted, start, out_w, out_E, out_px, out_py,
                out_pz, out_vz, out_eb, out_idx):
    """Sample points and write the kept events compactly into the output arrays.

    Points are taken in order; a point is kept if its weight w = f * jac > 0
    (weighted mode) or if rs[i, 4] * w_max < w (unweighted mode, stored weight
    max(w, w_max)).  Kept events are written from row ``start`` on until the
    outputs are full; ``out_idx`` receives the index of each kept point.
    Returns (number kept, number of points consumed).

    Columns of the (n, 7) momentum outputs: l, N, l', N', gamma* (or V), chi, chibar.
    ``rs`` holds N_AUX uniforms per point: phi of gamma*, phi of the recoil,
    cos(theta*) and phi* of chi in the pair rest frame (helicity frame,
    transverse gamma* polarisation for the WW methods; ETL weights carry the
    exact angular correlations) and the unweighting draw.  Points whose exact
    kinematics is impossible have weight 0.
    """
    v = np.empty(N_VAR)
    mom = np.zeros((7, 4))
    ml = par[P_ML]
    M = par[P_MN]
    mchi = par[P_MCHI]
    etl = int(par[P_METHOD]) == METHOD_ETL
    pair = int(par[P_MODE]) == MODE_PAIR
    cap = out_w.shape[0]
    j = start
    used = 0
    for i in range(ys.shape[0]):
        if j >= cap:
            break
        used = i + 1
        if etl:
            w = _point_etl(ys[i], rs[i], par, v, mom) * jac[i]
        else:
            w = _point(ys[i], par, v) * jac[i]
        if w <= 0.0:
            continue
        if unweighted:
            if rs[i, 4] * w_max >= w:
                continue
            w = max(w, w_max)
        if not etl:
            omx = v[3]
            ok = _recoil(v[1], ml, M, v[2], 1.0 - omx, omx, v[4], _TWO_PI * rs[i, 0], v[5],
                         _TWO_PI * ys[i, 6], mom, True)
            if not ok:
                continue
            if pair:
                _decay_pair(mom, v[2], mchi, rs[i, 2], rs[i, 3])
        out_w[j] = w
        out_idx[j] = i
        out_vz[j] = v[0]
        out_eb[j] = v[1]
        for p in range(7):
            out_E[j, p] = mom[p, 0]
            out_px[j, p] = mom[p, 1]
            out_py[j, p] = mom[p, 2]
            out_pz[j, p] = mom[p, 3]
        j += 1
    return j - start, used
