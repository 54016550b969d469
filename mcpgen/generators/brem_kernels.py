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

Sources (parameter ``src``); the depth and beam-energy kernels are in
:mod:`mcpgen.physics.beam_degradation`:
  0 fixed beam energy E0 (cross-section mode), weight 1;
  1 muon: z uniform in [0, L]; E = E0 - (dE/dx) z (dE/dx = 0 to neglect loss), weight 1;
  2 electron, Tsai degradation (Tsai, Rev. Mod. Phys. 46 (1974) 815): at depth
    s = z/X0 the beam energy follows I(E0, E, s) = [ln(E0/E)]^(b s - 1) / (E0 Gamma(b s)),
    b = 4/3, sampled as u_e = ln(E0/E) = U y1^(1/(b s)), U = ln(1/x_min), with the weight
    U^(b s) e^(-u_e) / Gamma(b s + 1) (exact change of variables; electrons below
    x_min E0 cannot pass the cut and are not sampled);
  3 electron with the seed-001 effective length L_eff = min(L, X0): z uniform in
    [0, L_eff], E = E0, weight L_eff / L.
Event weights are per unit length (divide-by-L convention), so that the expected
signal is N = LOT x n_target x L x sum(w).

Kernel structure (issue 6, item 10).  The parameter vector is read once per
call into a named tuple of constants, with the loop invariants (ln U, the k^2
range and |p| of a fixed beam energy, ...).  The WW/IWW kernels work on chunks
of :data:`CHUNK` points, each step a loop over the chunk with independent
iterations, so that the processor overlaps the long latency chains (log, exp,
sqrt, divisions, asinh/sinh) of successive points; the per-point quantities
live in a scratch of N_VAR x CHUNK doubles allocated once per call (no
per-point allocation or array view):
  weights  (_ww_chunk)  source (depth, energy); transforms of y2..y4; t and the
                        flux integrand; WW cross section and exact kinematics
                        (|p|, |k|, C0, R = |p - k|, T, q, cos gamma kept);
  events   (_events_ww) kept points; recoil and gamma* momenta from the kept
                        quantities (nothing the weight computed is computed
                        again); chi polar angle; gamma* -> chi chibar; output in
                        point order until the outputs are full.
ETL weights need the full event, so that kernel goes point by point and reuses
the same helpers.  Every floating-point operation is the one of the single-loop
kernel this replaced (commit 7d99c89), in the same order: weights and events
are bit-identical to it.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .._jit import jit
from ..physics.beam_degradation import (B_TSAI, muon_energy_at_depth_kernel, tsai_energy_kernel,
                                        uniform_depth_kernel)
from ..physics.lepton_nucleus.etl_amplitude import msq_2to3, msq_2to4
from ..physics.formfactors import g2_kernel
from ..physics.pair import pair_density_kernel
from ..physics.lepton_nucleus.ww import ww_d2sigma_ut_kernel, ww_tmin_ut_kernel
from .brem_recoil import (_c0, _chi, _chi_costheta, _chi_momentum, _cos_gamma, _fill_mom, _q_min,
                          _recoil, _stable_R)

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
#: columns of the chunk scratch of the WW/IWW kernels (one row per quantity, one column
#: per point): what the weight stages compute and the event stages reuse
(V_OK, V_W, V_Z, V_E, V_WSRC, V_PZ, V_K2, V_OMX, V_X, V_U, V_UT, V_JAC, V_T, V_FLUX, V_KABS,
 V_C0, V_R, V_TREC, V_Q, V_CG, V_KX, V_KY, V_KZ, V_QX, V_QY, V_QZ, V_CT, V_CHI_E, V_CHI_X,
 V_CHI_Y, V_CHI_Z, V_LK, V_XA0, V_OMXLO) = range(34)
N_VAR = 34
#: points per chunk of the WW/IWW kernels (scratch N_VAR x CHUNK doubles, 17 kB: in L1)
CHUNK = 64

_TWO_PI = 2.0 * math.pi
#: constant of the exact phase space in the sampled variables (see _etl_point)
_PS3 = 1.0 / (16.0 * _TWO_PI ** 5)

#: the parameter vector as named constants, with loop invariants computed once
_Consts = namedtuple("_Consts", (
    "E0", "ml", "ml2", "M", "M2", "twoM", "mchi", "k2lo", "xmin", "method", "src", "mode",
    "L", "X0", "dedx", "leff", "wx0", "U", "lnU", "Z", "a2", "ap2", "d", "inel", "conv",
    "mv", "k2v", "fixedE"))


@jit
def _consts(par):
    """The parameter vector as a _Consts tuple (products computed as the kernels did)."""
    ml = par[P_ML]
    M = par[P_MN]
    mchi = par[P_MCHI]
    src = int(par[P_SRC])
    L = par[P_L]
    leff = min(L, par[P_X0])
    U = -math.log(par[P_XMIN])
    # sources whose vertex energy is always E0 (exactly: E0 - 0.0 * z == E0)
    fixed = src == SRC_FIXED or src == SRC_E_X0 or (src == SRC_MUON and par[P_DEDX] == 0.0)
    wx0 = leff / L if L > 0.0 else 1.0
    return _Consts(par[P_E0], ml, ml * ml, M, M * M, 2.0 * M, mchi, 4.0 * mchi * mchi,
                   par[P_XMIN], int(par[P_METHOD]), src, int(par[P_MODE]), L, par[P_X0],
                   par[P_DEDX], leff, wx0, U, math.log(U), par[P_Z], par[P_A2], par[P_AP2],
                   par[P_D], par[P_INEL] > 0.5, par[P_CONV], par[P_MV], par[P_MV] * par[P_MV],
                   fixed)


@jit
def _source(y0, y1, c):
    """Depth z, beam energy E at the vertex and source weight (physics.beam_degradation)."""
    if c.src == SRC_MUON:
        z = uniform_depth_kernel(c.L, y0)
        return z, muon_energy_at_depth_kernel(c.E0, c.dedx, z), 1.0
    if c.src == SRC_E_TSAI:
        z = uniform_depth_kernel(c.L, y0)
        E, w = tsai_energy_kernel(c.E0, B_TSAI * z / c.X0, c.U, c.lnU, y1)
        return z, E, w
    if c.src == SRC_E_X0:
        return uniform_depth_kernel(c.leff, y0), c.E0, c.wx0
    return 0.0, c.E0, 1.0


@jit
def _energy_terms(E, c):
    """What depends on the vertex energy E only: (ok, ln of the k^2 range, x_min E0/E,
    m_l/E, |p|); ok is False if no pair (or V) can be produced."""
    # the comparisons are written as the rejections of the single-loop kernel (not (a <= b)
    # rather than a > b), so that even a nan goes the same way
    ok = not (E <= c.ml)
    k2hi = (E - c.ml) * (E - c.ml)
    lk = 0.0
    if c.mode == MODE_VECTOR:
        ok = ok and not (c.k2v >= k2hi)
    else:
        ok = ok and not (k2hi <= c.k2lo)
        if ok:
            lk = math.log(k2hi / c.k2lo)
    pz = math.sqrt(E * E - c.ml2) if ok else 0.0
    return ok, lk, c.xmin * c.E0 / E, c.ml / E, pz


@jit
def _angles(ys, i, c, et, E):
    """k^2, 1 - x and u = 1 - cos theta of point i (transforms y2, y3, y4) with the product
    of their Jacobians; returns (ok, k2, omx, x, u, ut, U0, jac)."""
    ok, lk, xa0, omx_lo, pz = et
    if not ok:
        return False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    # --- pair mass^2 (vector mode: fixed k^2 = m_V^2)
    if c.mode == MODE_VECTOR:
        k2 = c.k2v
        jac = 1.0
    else:
        k2 = c.k2lo * math.exp(lk * ys[i, 2])
        jac = k2 * lk
    m = math.sqrt(k2)
    # --- energy fraction x = E_pair / E, sampled as 1 - x
    xa = max(xa0, m / E)
    omx_hi = 1.0 - xa
    if omx_hi <= omx_lo:
        return False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    lo = math.log(omx_hi / omx_lo)
    omx = omx_lo * math.exp(lo * ys[i, 3])
    jac *= omx * lo
    x = 1.0 - omx
    # --- gamma* angle: u = 1 - cos(theta); 2 x E^2 and 4 x E^2 are exact multiples of x E^2
    xee = x * E * E
    U0 = k2 * omx / x + c.ml2 * x
    W = 4.0 * xee / U0
    cw = W / (1.0 + W)
    yc = ys[i, 4] * cw
    w = yc / (1.0 - yc)
    u = w * U0 / (2.0 * xee)
    jac *= U0 / (2.0 * xee) * cw / ((1.0 - yc) * (1.0 - yc))
    if u > 2.0:
        u = 2.0
    # u~ with theta^2 -> 2 (1 - cos theta) (equal to O(theta^4)): the WW formula is a
    # small-angle result; this choice makes its integral over the physical range
    # cos(theta) in [-1, 1] analytic (physics.ww.ww_dsigma_dx_physical_kernel)
    ut = -(2.0 * xee) * u - U0
    return True, k2, omx, x, u, ut, U0, jac


@jit
def _ww_chunk(ys, i0, i1, c, fx, sv):
    """WW/IWW weights (pb per unit length, eps = 1, without the VEGAS Jacobian) of points
    i0 <= i < i1 into sv[V_W, i - i0], keeping in ``sv`` the quantities of their events.

    Loops with independent iterations, so that successive points overlap: the source
    (when the vertex energy varies), the transforms of y2..y4, t and the flux
    integrand, the WW cross section and the exact kinematics."""
    ml = c.ml
    if not c.fixedE:
        # --- vertex depth and energy, and what depends on the energy only
        for k in range(i1 - i0):
            i = i0 + k
            z, E, wsrc = _source(ys[i, 0], ys[i, 1], c)
            ok, lk, xa0, omx_lo, pz = _energy_terms(E, c)
            sv[V_Z, k] = z
            sv[V_E, k] = E
            sv[V_WSRC, k] = wsrc
            sv[V_OK, k] = 1.0 if ok else 0.0
            sv[V_LK, k] = lk
            sv[V_XA0, k] = xa0
            sv[V_OMXLO, k] = omx_lo
            sv[V_PZ, k] = pz
    for k in range(i1 - i0):
        i = i0 + k
        if c.fixedE:
            z, E, wsrc = _source(ys[i, 0], ys[i, 1], c)
            et = fx
            sv[V_Z, k] = z
            sv[V_E, k] = E
            sv[V_WSRC, k] = wsrc
            sv[V_PZ, k] = fx[4]
        else:
            E = sv[V_E, k]
            et = (sv[V_OK, k] != 0.0, sv[V_LK, k], sv[V_XA0, k], sv[V_OMXLO, k], sv[V_PZ, k])
        ok, k2, omx, x, u, ut, U0, jac = _angles(ys, i, c, et, E)
        sv[V_OK, k] = 1.0 if ok else 0.0
        sv[V_K2, k] = k2
        sv[V_OMX, k] = omx
        sv[V_X, k] = x
        sv[V_U, k] = u
        sv[V_UT, k] = ut
        sv[V_JAC, k] = jac
    # --- momentum transfer t, log-uniform in [t_min, t_max], and the flux integrand
    for k in range(i1 - i0):
        if sv[V_OK, k] == 0.0:
            continue
        k2 = sv[V_K2, k]
        E = sv[V_E, k]
        tmax = k2 + c.ml2
        if c.method == METHOD_IWW:
            tmin = k2 * k2 / (4.0 * E * E)
        else:
            tmin = ww_tmin_ut_kernel(sv[V_UT, k], E, sv[V_OMX, k])
        if tmax <= tmin:
            sv[V_OK, k] = 0.0
            continue
        lt = math.log(tmax / tmin)
        t = tmin * math.exp(lt * ys[i0 + k, 5])
        sv[V_T, k] = t
        sv[V_FLUX, k] = (1.0 - tmin / t) * g2_kernel(t, c.Z, c.a2, c.ap2, c.d, c.inel) * lt
    # --- WW double differential with chi = 1 (the flux integrand replaces chi) and the
    # exact kinematics of the recoil
    for k in range(i1 - i0):
        sv[V_W, k] = 0.0
        if sv[V_OK, k] == 0.0:
            continue
        E = sv[V_E, k]
        k2 = sv[V_K2, k]
        omx = sv[V_OMX, k]
        x = sv[V_X, k]
        u = sv[V_U, k]
        t = sv[V_T, k]
        pz = sv[V_PZ, k]
        kk2 = x * x * E * E - k2
        if kk2 <= 0.0:
            continue
        kabs = math.sqrt(kk2)
        ww = ww_d2sigma_ut_kernel(x, omx, sv[V_UT, k], E, k2, ml, 1.0)
        # the l' N' system needs M_Q >= m_l + M_N, i.e. 2 M (E (1-x) - m_l) >= C0, and t
        # must not exceed the backward limit
        C0 = _c0(E, ml, k2, x, omx, kabs, u, pz)
        Eo = E * omx
        if c.twoM * (Eo - ml) < C0:
            continue
        # the recoil energy T = t/(2M) must leave the lepton on shell
        T = t / c.twoM
        if Eo - T <= ml:
            continue
        R = _stable_R(E, ml, k2, x, omx, kabs, u, pz)
        q, cg = _cos_gamma(t, T, Eo, C0, R)
        if cg < -1.0:
            continue
        wt = ww * sv[V_FLUX, k] * sv[V_JAC, k] * sv[V_WSRC, k] * c.conv
        if c.mode == MODE_PAIR:
            wt *= pair_density_kernel(k2, c.mchi)
        sv[V_W, k] = wt
        sv[V_KABS, k] = kabs
        sv[V_C0, k] = C0
        sv[V_R, k] = R
        sv[V_TREC, k] = T
        sv[V_Q, k] = q
        sv[V_CG, k] = cg


@jit
def _etl_point(ys, i, rs, c, fx, mom):
    """Exact tree-level weight (pb per unit length, eps = 1) of point i without the VEGAS
    Jacobian; fills ``mom``; returns (weight, z, E).

    Flux factor 4 M |p| (nucleus at rest).  In the sampled variables the exact
    three-body phase space is (derivation in docs: integrate d^3p' with the
    momentum delta, the energy delta in cos(gamma) = angle(q, p - k) with
    dE_l'/dcos(gamma) = -R q/E_l', and q dq = (1 + T/M) dt/2 with E_N' = M + T):
        dPhi_3 = |k| dE_V dcos(theta) dphi_V dt dphi_q / (16 (2 pi)^5 M R),
    and the pair adds dk^2/(2 pi) x dPhi_2 = dk^2/(2 pi) x beta dOmega*/(32 pi^2).
    The azimuths are uniform (volume (2 pi)^2) and Omega* has density f(c)/(2 pi).
    The sampled t range starts at the exact minimum for the point's (x, theta, k^2).
    """
    z, E, wsrc = _source(ys[i, 0], ys[i, 1], c)
    et = fx if c.fixedE else _energy_terms(E, c)
    ok, k2, omx, x, u, ut, U0, jac = _angles(ys, i, c, et, E)
    if not ok:
        return 0.0, z, E
    pz = et[4]
    ml = c.ml
    M = c.M
    kk2 = x * x * E * E - k2
    if kk2 <= 0.0:
        return 0.0, z, E
    kab = math.sqrt(kk2)
    C0 = _c0(E, ml, k2, x, omx, kab, u, pz)
    Eo = E * omx
    if c.twoM * (Eo - ml) < C0:
        return 0.0, z, E
    R = _stable_R(E, ml, k2, x, omx, kab, u, pz)
    qmin = _q_min(E, ml, M, omx, C0, R)
    if qmin <= 0.0:
        return 0.0, z, E
    Tm = qmin * qmin / (math.sqrt(c.M2 + qmin * qmin) + M)
    tmin = (qmin - Tm) * (qmin + Tm)
    tmax = tmin + T_HI_FACTOR * (k2 + c.ml2)
    if tmax <= tmin:
        return 0.0, z, E
    lt = math.log(tmax / tmin)
    t = tmin * math.exp(lt * ys[i, 5])
    vjac = jac * t * lt * wsrc  # Jacobians of k^2, 1 - x, u, t and the source weight
    T = t / c.twoM
    q, cg = _cos_gamma(t, T, Eo, C0, R)
    ok, T, kx, ky, kz, qx, qy, qz = _recoil(E, ml, M, x, omx, u, pz, kab, C0, R, T, q, cg,
                                            qmin, False, _TWO_PI * rs[i, 0],
                                            _TWO_PI * ys[i, 6])
    if not ok:
        return 0.0, z, E
    _fill_mom(mom, E, pz, M, Eo, T, x * E, kx, ky, kz, qx, qy, qz)
    G2 = g2_kernel(t, c.Z, c.a2, c.ap2, c.d, c.inel)
    ps = _PS3 * kab * E / (M * R) * _TWO_PI * _TWO_PI / (4.0 * M * pz)
    if c.mode == MODE_VECTOR:
        msq = msq_2to3(mom[0], mom[1], mom[2], mom[3], mom[4], ml, M, c.mv, G2)
    else:
        mchi = c.mchi
        e, px, py, pzc, f = _chi(x * E, kx, ky, kz, k2, mchi, c.k2lo, rs[i, 2], rs[i, 3])
        mom[5, 0] = e
        mom[5, 1] = px
        mom[5, 2] = py
        mom[5, 3] = pzc
        for a in range(4):
            mom[6, a] = mom[4, a] - mom[5, a]
        msq = msq_2to4(mom[0], mom[1], mom[2], mom[3], mom[5], mom[6], ml, M, mchi, G2)
        beta = math.sqrt(1.0 - 4.0 * mchi * mchi / k2)
        ps *= beta / (32.0 * math.pi * math.pi) * _TWO_PI / f / _TWO_PI
    return msq * ps * vjac * c.conv, z, E


@jit(nogil=True)
def brem_weights(ys, rs, par, out):
    """Weights of many points (training / integration), without the VEGAS Jacobian."""
    c = _consts(par)
    fx = _energy_terms(c.E0, c)
    n = ys.shape[0]
    if c.method == METHOD_ETL:
        mom = np.zeros((7, 4))
        for i in range(n):
            out[i] = _etl_point(ys, i, rs, c, fx, mom)[0]
        return
    sv = np.empty((N_VAR, CHUNK))
    for i0 in range(0, n, CHUNK):
        i1 = min(n, i0 + CHUNK)
        _ww_chunk(ys, i0, i1, c, fx, sv)
        for i in range(i0, i1):
            out[i] = sv[V_W, i - i0]


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
    c = _consts(par)
    if c.method == METHOD_ETL:
        return _events_etl(ys, jac, rs, c, w_max, unweighted, start, out_w, out_E, out_px,
                           out_py, out_pz, out_vz, out_eb, out_idx)
    return _events_ww(ys, jac, rs, c, w_max, unweighted, start, out_w, out_E, out_px, out_py,
                      out_pz, out_vz, out_eb, out_idx)


@jit
def _events_ww(ys, jac, rs, c, w_max, unweighted, start, out_w, out_E, out_px, out_py,
               out_pz, out_vz, out_eb, out_idx):
    """brem_events for WW/IWW, chunk by chunk: the weights (_ww_chunk), then for the kept
    points the recoil, the chi angle, the pair decay and the output, each in its own loop
    over the chunk (independent iterations), from what the weights kept."""
    fx = _energy_terms(c.E0, c)
    sv = np.empty((N_VAR, CHUNK))
    M = c.M
    ml = c.ml
    pair = c.mode == MODE_PAIR
    cap = out_w.shape[0]
    n = ys.shape[0]
    j = start
    used = 0
    for i0 in range(0, n, CHUNK):
        if j >= cap:
            break
        i1 = min(n, i0 + CHUNK)
        m = i1 - i0
        _ww_chunk(ys, i0, i1, c, fx, sv)
        # --- kept points (V_OK = 1) and their stored weights
        for k in range(m):
            i = i0 + k
            w = sv[V_W, k] * jac[i]
            keep = not (w <= 0.0)
            if unweighted:
                keep = keep and not (rs[i, 4] * w_max >= w)
                w = max(w, w_max)
            sv[V_W, k] = w
            sv[V_OK, k] = 1.0 if keep else 0.0
        # --- gamma* and recoil three-momenta
        for k in range(m):
            if sv[V_OK, k] == 0.0:
                continue
            i = i0 + k
            omx = sv[V_OMX, k]
            ok, T, kx, ky, kz, qx, qy, qz = _recoil(
                sv[V_E, k], ml, M, 1.0 - omx, omx, sv[V_U, k], sv[V_PZ, k], sv[V_KABS, k],
                sv[V_C0, k], sv[V_R, k], sv[V_TREC, k], sv[V_Q, k], sv[V_CG, k], -1.0, True,
                _TWO_PI * rs[i, 0], _TWO_PI * ys[i, 6])
            if not ok:
                sv[V_OK, k] = 0.0
                continue
            sv[V_TREC, k] = T
            sv[V_KX, k] = kx
            sv[V_KY, k] = ky
            sv[V_KZ, k] = kz
            sv[V_QX, k] = qx
            sv[V_QY, k] = qy
            sv[V_QZ, k] = qz
        if pair:
            # --- chi polar angle in the pair rest frame (transverse gamma*)
            for k in range(m):
                if sv[V_OK, k] != 0.0:
                    sv[V_CT, k] = _chi_costheta(rs[i0 + k, 2], sv[V_K2, k], c.k2lo)[0]
            # --- gamma* -> chi chibar
            for k in range(m):
                if sv[V_OK, k] == 0.0:
                    continue
                e, px, py, pzc = _chi_momentum(sv[V_X, k] * sv[V_E, k], sv[V_KX, k],
                                               sv[V_KY, k], sv[V_KZ, k], c.mchi, sv[V_CT, k],
                                               rs[i0 + k, 3])
                sv[V_CHI_E, k] = e
                sv[V_CHI_X, k] = px
                sv[V_CHI_Y, k] = py
                sv[V_CHI_Z, k] = pzc
        # --- output, in point order until the outputs are full
        for k in range(m):
            if j >= cap:
                break
            i = i0 + k
            used = i + 1
            if sv[V_OK, k] == 0.0:
                continue
            E = sv[V_E, k]
            pz = sv[V_PZ, k]
            T = sv[V_TREC, k]
            kx = sv[V_KX, k]
            ky = sv[V_KY, k]
            kz = sv[V_KZ, k]
            qx = sv[V_QX, k]
            qy = sv[V_QY, k]
            qz = sv[V_QZ, k]
            xE = sv[V_X, k] * E
            out_w[j] = sv[V_W, k]
            out_idx[j] = i
            out_vz[j] = sv[V_Z, k]
            out_eb[j] = E
            out_E[j, 0] = E
            out_px[j, 0] = 0.0
            out_py[j, 0] = 0.0
            out_pz[j, 0] = pz
            out_E[j, 1] = M
            out_px[j, 1] = 0.0
            out_py[j, 1] = 0.0
            out_pz[j, 1] = 0.0
            # l' = R - q with energy E(1-x) - T
            out_E[j, 2] = E * sv[V_OMX, k] - T
            out_px[j, 2] = -kx - qx
            out_py[j, 2] = -ky - qy
            out_pz[j, 2] = (pz - kz) - qz
            out_E[j, 3] = M + T
            out_px[j, 3] = qx
            out_py[j, 3] = qy
            out_pz[j, 3] = qz
            out_E[j, 4] = xE
            out_px[j, 4] = kx
            out_py[j, 4] = ky
            out_pz[j, 4] = kz
            if pair:
                e = sv[V_CHI_E, k]
                px = sv[V_CHI_X, k]
                py = sv[V_CHI_Y, k]
                pzc = sv[V_CHI_Z, k]
                out_E[j, 5] = e
                out_px[j, 5] = px
                out_py[j, 5] = py
                out_pz[j, 5] = pzc
                out_E[j, 6] = xE - e
                out_px[j, 6] = kx - px
                out_py[j, 6] = ky - py
                out_pz[j, 6] = kz - pzc
            else:
                for p in range(5, 7):
                    out_E[j, p] = 0.0
                    out_px[j, p] = 0.0
                    out_py[j, p] = 0.0
                    out_pz[j, p] = 0.0
            j += 1
    return j - start, used


@jit
def _events_etl(ys, jac, rs, c, w_max, unweighted, start, out_w, out_E, out_px, out_py,
                out_pz, out_vz, out_eb, out_idx):
    """brem_events for ETL: the weight needs the full event, built point by point."""
    fx = _energy_terms(c.E0, c)
    mom = np.zeros((7, 4))
    cap = out_w.shape[0]
    j = start
    used = 0
    for i in range(ys.shape[0]):
        if j >= cap:
            break
        used = i + 1
        f, z, E = _etl_point(ys, i, rs, c, fx, mom)
        w = f * jac[i]
        if w <= 0.0:
            continue
        if unweighted:
            if rs[i, 4] * w_max >= w:
                continue
            w = max(w, w_max)
        out_w[j] = w
        out_idx[j] = i
        out_vz[j] = z
        out_eb[j] = E
        for p in range(7):
            out_E[j, p] = mom[p, 0]
            out_px[j, p] = mom[p, 1]
            out_py[j, p] = mom[p, 2]
            out_pz[j, p] = mom[p, 3]
        j += 1
    return j - start, used
