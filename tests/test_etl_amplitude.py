"""Checks of the exact tree-level amplitudes (mcpgen.physics.lepton_nucleus.etl_amplitude).

Independent references used here:
* explicit 4x4 gamma matrices and traces in NumPy (Peskin & Schroeder chiral basis),
  with the polarisation sum -g + k k/m_V^2 written out (no current conservation used);
* explicit polarisation vectors / chi spinors contracted with the plain metric;
* gauge invariance, Lorentz invariance, the pair-factor identity of seed 001 eq. (7);
* Koch & Motz (1959) formula 3BN for the Bethe-Heitler limit.

Tolerances are stated next to each assertion with the reason.
"""

import math

import numpy as np
import pytest

from mcpgen.constants import ALPHA, M_E, M_MU
from mcpgen.physics.lepton_nucleus import etl_amplitude as ea
from mcpgen.physics import kinematics as ek
from mcpgen.physics.lepton_nucleus import etl_bethe_heitler as bh

from _etl_cases import (CASES_2TO3, CASES_2TO4, M_PB, METRIC, _ids,  # noqa: E402
                        _points_2to3, _points_2to4, polarisations)


# ---------------------------------------------------------------------------
# explicit Dirac matrices (Peskin & Schroeder chiral basis)
# ---------------------------------------------------------------------------
_I2 = np.eye(2)
_Z2 = np.zeros((2, 2))
_SIG = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
GAM = [np.block([[_Z2, _I2], [_I2, _Z2]]).astype(complex)] + [
    np.block([[_Z2, s], [-s, _Z2]]).astype(complex) for s in _SIG]


def slash(a):
    return sum(METRIC[m] * a[m] * GAM[m] for m in range(4))


def mdot(a, b):
    return np.sum(METRIC * a * b)


def reference_msq_2to3(p, P, pp, Pp, k, m, mV, G2):
    """Trace evaluation with explicit matrices and -g + kk/mV^2 (mV > 0)."""
    e2 = 4 * math.pi * ALPHA
    J = P + Pp
    t = -mdot(P - Pp, P - Pp)
    one = np.eye(4)
    S1 = (slash(pp + k) + m * one) / (mdot(pp + k, pp + k) - m * m)
    S2 = (slash(p - k) + m * one) / (mdot(p - k, p - k) - m * m)
    Js = slash(J)
    gam = [GAM[n] @ S1 @ Js + Js @ S2 @ GAM[n] for n in range(4)]
    gbar = [GAM[0] @ G.conj().T @ GAM[0] for G in gam]
    A = slash(pp) + m * one
    B = slash(p) + m * one
    L = np.array([[np.trace(A @ gam[a] @ B @ gbar[b]) for b in range(4)] for a in range(4)])
    kl = METRIC * k
    pol = -np.diag(METRIC) + np.outer(kl, kl) / mV**2
    return 0.5 * e2**3 * G2 / t**2 * np.real(np.sum(L * pol))


# ---------------------------------------------------------------------------
# Dirac algebra
# ---------------------------------------------------------------------------

def test_dirac_algebra():
    """Spinors, slash products and bilinears against explicit matrices (rounding level)."""
    rng = np.random.default_rng(1)
    for _ in range(5):
        m = rng.uniform(0.1, 3.0)
        p = ek.vec4(m, rng.normal(size=3) * rng.uniform(0.1, 30.0))
        scale = p[0] + m
        su = sum(np.outer(ea.u_spinor(*p, m, s), ea.dirac_bar(ea.u_spinor(*p, m, s))) for s in range(2))
        sv = sum(np.outer(ea.v_spinor(*p, m, s), ea.dirac_bar(ea.v_spinor(*p, m, s))) for s in range(2))
        assert np.abs(su - (slash(p) + m * np.eye(4))).max() < 1e-14 * scale
        assert np.abs(sv - (slash(p) - m * np.eye(4))).max() < 1e-14 * scale
        u = np.array(ea.u_spinor(*p, m, 1))
        v = np.array(ea.v_spinor(*p, m, 0))
        assert np.abs(slash(p) @ u - m * u).max() < 1e-14 * scale
        assert np.abs(slash(p) @ v + m * v).max() < 1e-14 * scale
        a = rng.normal(size=4) + 1j * rng.normal(size=4)
        psi = rng.normal(size=4) + 1j * rng.normal(size=4)
        chi = rng.normal(size=4) + 1j * rng.normal(size=4)
        assert np.allclose(ea.slash_col(*a, tuple(psi)), slash(a) @ psi, rtol=0, atol=1e-13)
        assert np.allclose(ea.row_slash(tuple(chi), *a), chi @ slash(a), rtol=0, atol=1e-13)
        assert np.allclose(ea.bilinear(tuple(chi), tuple(psi)), [chi @ g @ psi for g in GAM], rtol=0, atol=1e-13)


# ---------------------------------------------------------------------------
# |M|^2 against independent evaluations
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("ml,E0,mV", [(M_E, 10.0, 1.0), (M_MU, 1000.0, 50.0), (M_E, 2000.0, 300.0)])
def test_msq_2to3_trace_reference(ml, E0, mV):
    """Generic points: numerical spinors + conserved-current contraction vs. explicit
    traces with -g + kk/m^2.  Both are exact; at generic (large-angle) points the
    naive trace loses no digits, so agreement must be at rounding (1e-10)."""
    rng = np.random.default_rng(2)
    for p, P, pp, Pp, k in _points_2to3(rng, ml, E0, mV, False, 4):
        G2 = 6724.0
        a = ea.msq_2to3(p, P, pp, Pp, k, ml, M_PB, mV, G2)
        b = reference_msq_2to3(p, P, pp, Pp, k, ml, mV, G2)
        assert a == pytest.approx(b, rel=1e-10)


@pytest.mark.parametrize("ml,E0,mV,fwd", CASES_2TO3, ids=_ids(CASES_2TO3))
def test_msq_2to3_explicit_polarisations(ml, E0, mV, fwd):
    """(1/2) sum over spins and explicit polarisation vectors of |amp_2to3_helicity|^2
    (plain Minkowski contractions) equals msq_2to3 (conserved-current form).  The
    plain contraction of forward currents cancels in the components along k, losing
    up to ~(E0/m)^2 * 1e-16 ~ 1e-6 for 100 GeV electrons; tolerance 1e-5 there,
    1e-9 at generic points (measured: <= 1e-7 and 1e-13)."""
    rng = np.random.default_rng(3)
    tol = 1e-5 if fwd else 1e-9
    for p, P, pp, Pp, k in _points_2to3(rng, ml, E0, mV, fwd, 3):
        tot = 0.0
        for pol in polarisations(k, mV):
            for si in range(2):
                for so in range(2):
                    tot += abs(ea.amp_2to3_helicity(p, P, pp, Pp, k, ml, mV, 1.0, pol.astype(complex), si, so)) ** 2
        assert 0.5 * tot == pytest.approx(ea.msq_2to3(p, P, pp, Pp, k, ml, M_PB, mV, 1.0), rel=tol)


@pytest.mark.parametrize("ml,E0,mc,fwd", CASES_2TO4, ids=_ids(CASES_2TO4))
def test_msq_2to4_explicit_chi_spinors(ml, E0, mc, fwd):
    """(1/2) sum over all spins of |amp_2to4_helicity|^2 with the chi current built
    from explicit u, v spinors equals msq_2to4 (analytic chi trace,
    conserved-current form).  Tolerances as in the 2->3 test (measured <= 1.1e-7)."""
    rng = np.random.default_rng(4)
    tol = 1e-5 if fwd else 1e-9
    for p, P, pp, Pp, k1, k2 in _points_2to4(rng, ml, E0, mc, fwd, 3):
        tot = 0.0
        for si in range(2):
            for so in range(2):
                for s1 in range(2):
                    for s2 in range(2):
                        tot += abs(ea.amp_2to4_helicity(p, P, pp, Pp, k1, k2, ml, mc, 1.0, si, so, s1, s2, False)) ** 2
        assert 0.5 * tot == pytest.approx(ea.msq_2to4(p, P, pp, Pp, k1, k2, ml, M_PB, mc, 1.0), rel=tol)


# ---------------------------------------------------------------------------
# pair-factor identity (seed 001 eq. 7)
# ---------------------------------------------------------------------------

def _integrate_pair(p, P, pp, Pp, k, mk, mc, ml, kernel, n_cos=3, n_phi=4):
    """Integral dPhi_2(k -> k1 k2) of kernel(k1, k2) = beta/(8 pi) <kernel>_{Omega*}.
    The spin-summed |M_2to4|^2 is a quadratic polynomial in the chi direction n* in
    the pair rest frame (it is quadratic in r = k1 - k2, linear in n*), so 3-point
    Gauss-Legendre in cos theta* x 4-point trapezoid in phi* is exact."""
    x, w = np.polynomial.legendre.leggauss(n_cos)
    tot = 0.0
    for xi, wi in zip(x, w):
        for j in range(n_phi):
            k1, k2 = ek.pair_momenta(k, mc, xi, 2 * math.pi * (j + 0.3) / n_phi, mk)
            tot += wi / (2 * n_phi) * kernel(k1, k2)
    return math.sqrt(1 - 4 * mc * mc / mk**2) / (8 * math.pi) * tot


@pytest.mark.parametrize("ml,E0,mc,fwd", CASES_2TO4, ids=_ids(CASES_2TO4))
def test_pair_factor_identity(ml, E0, mc, fwd):
    """Integral dPhi_2 msq_2to4 = msq_2to3(m_V^2 = k^2) (2 alpha/3) beta (1 + 2 m^2/k^2)/k^2.
    The quadrature is exact, so the tolerance is rounding-level (1e-10; measured 1e-15);
    the brief's target was 1e-3.  Doubling the quadrature order must not change it."""
    rng = np.random.default_rng(10)
    for _ in range(3):
        mk = 2 * mc * math.exp(rng.uniform(1e-3, 2.0))
        gen = ek.forward_2to3_lab if fwd else ek.random_2to3_lab
        p, P, pp, Pp, k = gen(rng, E0, ml, M_PB, mk)

        def kern(k1, k2):
            return ea.msq_2to4(p, P, pp, Pp, k1, k2, ml, M_PB, mc, 1.0)

        lhs = _integrate_pair(p, P, pp, Pp, k, mk, mc, ml, kern)
        lhs2 = _integrate_pair(p, P, pp, Pp, k, mk, mc, ml, kern, 7, 9)
        rhs = ea.msq_2to3(p, P, pp, Pp, k, ml, M_PB, mk, 1.0) * ea.pair_factor(mk * mk, mc)
        assert lhs == pytest.approx(rhs, rel=1e-10)
        assert lhs2 == pytest.approx(rhs, rel=1e-10)


def test_pair_factor_identity_explicit_spinors():
    """Same identity with |M_2to4|^2 from explicit chi spinors (independent of the
    analytic chi trace) at generic points (rounding-level tolerance 1e-9)."""
    rng = np.random.default_rng(11)
    for ml, E0, mc in [(M_E, 300.0, 5.0), (M_MU, 2000.0, 60.0)]:
        mk = 2 * mc * 1.7
        p, P, pp, Pp, k = ek.random_2to3_lab(rng, E0, ml, M_PB, mk)

        def kern(k1, k2):
            s = 0.0
            for si in range(2):
                for so in range(2):
                    for s1 in range(2):
                        for s2 in range(2):
                            s += abs(ea.amp_2to4_helicity(p, P, pp, Pp, k1, k2, ml, mc, 1.0, si, so, s1, s2, False)) ** 2
            return 0.5 * s

        lhs = _integrate_pair(p, P, pp, Pp, k, mk, mc, ml, kern)
        rhs = ea.msq_2to3(p, P, pp, Pp, k, ml, M_PB, mk, 1.0) * ea.pair_factor(mk * mk, mc)
        assert lhs == pytest.approx(rhs, rel=1e-9)


def test_pair_factor_matches_seed001_eq7():
    """pair_factor x dk^2/(2 pi) is the seed-001 eq. (7) factor
    (alpha/(3 pi)) beta (1 + 2 m^2/k^2) dk^2/k^2 (eps = 1)."""
    for k2, m in [(4.0001, 1.0), (10.0, 1.0), (1e6, 100.0)]:
        r = m * m / k2
        seed = ALPHA / (3 * math.pi) * math.sqrt(1 - 4 * r) * (1 + 2 * r) / k2
        assert ea.pair_factor(k2, m) / (2 * math.pi) == pytest.approx(seed, rel=1e-14)
    assert ea.pair_factor(3.9, 1.0) == 0.0


# ---------------------------------------------------------------------------
# nucleus spin, limits, form factor, wrappers
# ---------------------------------------------------------------------------

def test_spin_half_nucleus_agrees():
    """Dirac (seed 002 eq. 9) and scalar nucleus differ by q^2 g_{mu nu} L^{mu nu},
    i.e. by O(t/M^2): < 1e-6 at forward (physical) points, and < 20 t/M^2 at generic
    large-t points (measured ratios up to ~6 t/M^2)."""
    rng = np.random.default_rng(12)
    for ml, E0, mV in [(M_E, 100_000.0, 10.0), (M_MU, 160_000.0, 100.0), (M_E, 8_000.0, 1.0)]:
        for p, P, pp, Pp, k in _points_2to3(rng, ml, E0, mV, True, 3):
            a = ea.msq_2to3(p, P, pp, Pp, k, ml, M_PB, mV, 1.0)
            b = ea.msq_2to3_spin_half(p, P, pp, Pp, k, ml, M_PB, mV, 1.0)
            assert abs(b / a - 1) < 1e-6
    for ml, E0, mV in [(M_E, 200.0, 1.0), (M_MU, 20_000.0, 50.0)]:
        for p, P, pp, Pp, k in _points_2to3(rng, ml, E0, mV, False, 3):
            t = ek.momentum_transfer_t(P, Pp)
            a = ea.msq_2to3(p, P, pp, Pp, k, ml, M_PB, mV, 1.0)
            b = ea.msq_2to3_spin_half(p, P, pp, Pp, k, ml, M_PB, mV, 1.0)
            assert abs(b / a - 1) < 20 * t / M_PB**2 + 1e-12
    pts = ek.random_2to4_lab(rng, 8_000.0, M_E, M_PB, 30.0)
    a = ea.msq_2to4(*pts, M_E, M_PB, 30.0, 1.0)
    b = ea.msq_2to4_spin_half(*pts, M_E, M_PB, 30.0, 1.0)
    assert abs(b / a - 1) < 1e-6


def test_massless_limit_continuous():
    """m_V -> 0: the longitudinal polarisation decouples (conserved current), so the
    massive |M|^2 tends to the massless one; same directions, energies rescaled."""
    rng = np.random.default_rng(13)
    p, P, pp, Pp, k = ek.forward_2to3_lab(rng, 8000.0, M_E, M_PB, 0.0)
    a0 = ea.msq_2to3(p, P, pp, Pp, k, M_E, M_PB, 0.0, 1.0)
    for mV, tol in [(1e-3, 1e-4), (1e-5, 1e-8)]:
        k_m = k.copy()
        k_m[0] = math.sqrt(k[0] ** 2 + mV**2)
        # recoil absorbs the tiny energy mismatch; |M|^2 is smooth in it
        a = ea.msq_2to3(p, P, pp, Pp, k_m, M_E, M_PB, mV, 1.0)
        assert a == pytest.approx(a0, rel=tol)


def test_tsai_G2():
    """Tsai G2 limits, and agreement with mcpgen.physics.formfactors if present."""
    Z, A = 82.0, 207.2
    # screening region: G2 -> 0; plateau a^2 t >> 1, t << d: G2_el -> Z^2
    assert ea.tsai_G2(1e-12, Z, A, False) < 1e-3 * Z * Z
    a = 111.0 * Z ** (-1 / 3) / M_E
    t_mid = 100.0 / a**2
    assert ea.tsai_G2(t_mid, Z, A, False) == pytest.approx(Z * Z, rel=0.03)
    assert ea.tsai_G2(1.0, Z, A, True) > ea.tsai_G2(1.0, Z, A, False)
    ff = pytest.importorskip("mcpgen.physics.formfactors")
    ts = np.geomspace(1e-8, 1e5, 25)
    for inel in (False, True):
        ours = np.array([ea.tsai_G2(t, Z, A, inel) for t in ts])
        assert np.allclose(ours, ff.g2(ts, Z, A, inelastic=inel), rtol=1e-12, atol=0)


def test_public_wrappers_and_tsai_kernels():
    """Array wrappers reproduce the scalar kernels; Z, A path uses tsai_G2(t)."""
    rng = np.random.default_rng(14)
    pts = [ek.random_2to4_lab(rng, 8000.0, M_E, M_PB, 20.0) for _ in range(5)]
    cols = [np.array([pt[i] for pt in pts]) for i in range(6)]
    got = ea.matrix_element_2to4(*cols, M_E, M_PB, 20.0, Z=82, A=207.2)
    for i, pt in enumerate(pts):
        assert got[i] == pytest.approx(ea.msq_2to4_tsai(*pt, M_E, M_PB, 20.0, 82.0, 207.2, True), rel=1e-14)
    k = cols[4] + cols[5]
    mk = 50.0
    one = ea.matrix_element_2to3(cols[0][0], cols[1][0], cols[2][0], cols[3][0], k[0], M_E, M_PB, mk, G2=6724.0)
    assert one[0] == pytest.approx(ea.msq_2to3(cols[0][0], cols[1][0], cols[2][0], cols[3][0], k[0],
                                               M_E, M_PB, mk, 6724.0), rel=1e-14)
    t = ek.momentum_transfer_t(cols[1][0], cols[3][0])
    assert ea.msq_2to3_tsai(cols[0][0], cols[1][0], cols[2][0], cols[3][0], k[0], M_E, M_PB, mk, 82.0, 207.2, False) \
        == pytest.approx(ea.msq_2to3(cols[0][0], cols[1][0], cols[2][0], cols[3][0], k[0], M_E, M_PB, mk,
                                     ea.tsai_G2(t, 82.0, 207.2, False)), rel=1e-14)
    with pytest.raises(ValueError):
        ea.matrix_element_2to3(cols[0], cols[1], cols[2], cols[3], k, M_E, M_PB, mk)


def test_onshell_dot_and_t_are_exact_forms():
    """The cancellation-free products equal the plain ones where the latter are safe,
    and stay accurate where they are not (collinear 100 GeV electron and photon)."""
    rng = np.random.default_rng(15)
    for _ in range(10):
        ma, mb = rng.uniform(0.1, 5, 2)
        a = ek.vec4(ma, rng.normal(size=3) * 10)
        b = ek.vec4(mb, rng.normal(size=3) * 10)
        assert ek.onshell_dot_v(a, ma * ma, b, mb * mb) == pytest.approx(mdot(a, b), rel=1e-12)
    E, m, th = 1e5, M_E, 1e-7
    p = ek.vec4(m, [0, 0, math.sqrt(E * E - m * m)])
    k = np.array([0.5 * E, 0.5 * E * math.sin(th), 0.0, 0.5 * E * math.cos(th)])
    beta = math.sqrt(1 - (m / E) ** 2)
    one_minus_beta = (m / E) ** 2 / (1 + beta)
    exact = 0.5 * E * E * (one_minus_beta + beta * 2 * math.sin(th / 2) ** 2)
    assert ek.onshell_dot_v(p, m * m, k, 0.0) == pytest.approx(exact, rel=1e-12)
    P = np.array([M_PB, 0, 0, 0.0])
    Q = np.array([1e-6, 2e-6, -3e-6])
    Pp = ek.vec4(M_PB, Q)
    t_exact = Q @ Q - (Pp[0] - M_PB) ** 2
    assert ek.momentum_transfer_t(P, Pp) == pytest.approx(Q @ Q, rel=1e-12)
    assert ek.momentum_transfer_t(P, Pp) == pytest.approx(t_exact, rel=1e-6)


def test_kinematics_generators():
    """All test-point generators conserve four-momentum to rounding (1e-14 E0), put
    every particle on its mass shell, and the small-t points reach t ~ q_T^2."""
    rng = np.random.default_rng(17)
    eps = np.finfo(float).eps
    for ml, E0, m in [(M_E, 100_000.0, 1.0), (M_MU, 160_000.0, 30.0), (M_E, 100.0, 5.0)]:
        pts = [ek.random_2to3_lab(rng, E0, ml, M_PB, m), ek.forward_2to3_lab(rng, E0, ml, M_PB, m),
               ek.small_t_2to3_lab(rng, E0, ml, M_PB, m, 1e-3)]
        for p, P, pp, Pp, k in pts:
            assert np.abs(p + P - pp - Pp - k).max() < 64 * eps * (E0 + M_PB)
            for v, mass in [(pp, ml), (Pp, M_PB), (k, m)]:
                assert math.sqrt(v[1:] @ v[1:] + mass**2) == pytest.approx(v[0], rel=1e-14)
        P, Pp = pts[2][1], pts[2][3]
        assert ek.momentum_transfer_t(P, Pp) >= 1e-6 * (1 - 1e-9)
        p, P, pp, Pp, k1, k2 = ek.random_2to4_lab(rng, E0, ml, M_PB, m / 2)
        assert np.abs(p + P - pp - Pp - k1 - k2).max() < 64 * eps * (E0 + M_PB)


# ---------------------------------------------------------------------------
# Bethe-Heitler limit (Koch & Motz 1959, formula 3BN)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("y", [0.1, 0.5, 0.9])
def test_3BN_extreme_relativistic_limit(y):
    """The transcription of 3BN tends to the unscreened ER formula, with corrections
    O((m/E)^2 log) -> < 1e-6 at E0 = 1e5 m (measured 5e-8 at y = 0.9)."""
    E0 = 1e5 * M_E
    assert bh.bethe_heitler_3BN(E0, y * E0, 1.0, M_E) == pytest.approx(bh.bethe_heitler_er(E0, y * E0, 1.0, M_E), rel=1e-6)


@pytest.mark.parametrize("E0_over_m,frac", [(10.0, 0.3), (10.0, 0.8)])
def test_bethe_heitler_limit_electron(E0_over_m, frac):
    """d sigma/dk from msq_2to3 (m_V = 0, G2 = Z^2, M_N = 1e6 m) integrated over the
    photon and lepton directions with vegas reproduces 3BN.  Tolerance: 1% and
    5 standard deviations of the MC estimate (fixed seed; measured agreement 1e-4
    with 2e-4 MC error).  Static-nucleus corrections are O(E0/M_N) = 1e-5."""
    E0 = E0_over_m * M_E
    k = frac * (E0 - M_E)
    r = bh.etl_brems_dsigma_dk(E0, k, M_E, 1.0, nitn=6, neval=40_000, seed=3)
    ref = bh.bethe_heitler_3BN(E0, k, 1.0, M_E)
    assert abs(r.mean - ref) < 5 * r.sdev
    assert r.mean == pytest.approx(ref, rel=0.01)


@pytest.mark.slow
@pytest.mark.parametrize("lepton,E0_over_m,frac", [
    ("e", 3.0, 0.5), ("e", 50.0, 0.5), ("e", 200.0, 0.9), ("mu", 20.0, 0.4), ("mu", 2.0, 0.7)])
def test_bethe_heitler_limit_slow(lepton, E0_over_m, frac):
    """More 3BN points (electron and muon) at higher statistics; tolerance 0.5% and 5 sigma."""
    m = M_E if lepton == "e" else M_MU
    E0 = E0_over_m * m
    k = frac * (E0 - m)
    r = bh.etl_brems_dsigma_dk(E0, k, m, 1.0, nitn=10, neval=200_000, seed=4)
    ref = bh.bethe_heitler_3BN(E0, k, 1.0, m)
    assert abs(r.mean - ref) < 5 * r.sdev
    assert r.mean == pytest.approx(ref, rel=0.005)


# ---------------------------------------------------------------------------
# 40-digit reference (slow): exact kinematics and traces in mpmath
# ---------------------------------------------------------------------------

def _mp_reference_point(mp, rng, E0, m, M, mV, QT):
    """Forward configuration built in 40-digit arithmetic with recoil transverse
    momentum QT (small QT -> t near t_min), and its |M|^2 from explicit traces."""
    E0, m, M, mV, QT = (mp.mpf(v) for v in (E0, m, M, mV, QT))

    def v4(mass, p3):
        return [mp.sqrt(mass * mass + sum(c * c for c in p3))] + list(p3)

    p = v4(m, [0, 0, mp.sqrt(E0**2 - m**2)])
    P = [M, mp.mpf(0), mp.mpf(0), mp.mpf(0)]
    x = mp.mpf(rng.uniform(0.05, 0.95))
    thk = max(m, mV) / E0 * mp.mpf(10) ** mp.mpf(rng.uniform(-1.5, 1.0))
    ph, ph2 = (mp.mpf(v) for v in rng.uniform(0, 2 * math.pi, 2))
    kk = mp.sqrt((x * E0) ** 2 - mV**2)
    k = v4(mV, [kk * mp.sin(thk) * mp.cos(ph), kk * mp.sin(thk) * mp.sin(ph), kk * mp.cos(thk)])
    ppT = [-k[1] - QT * mp.cos(ph2), -k[2] - QT * mp.sin(ph2)]
    avail = p[0] + P[0] - k[0]

    def f(y):
        return mp.sqrt(y * y + m * m + ppT[0] ** 2 + ppT[1] ** 2) + mp.sqrt(M * M + QT**2 + (p[3] - k[3] - y) ** 2) - avail

    y = mp.findroot(f, mp.sqrt((avail - M) ** 2 - m * m - ppT[0] ** 2 - ppT[1] ** 2))
    pp = v4(m, [ppT[0], ppT[1], y])
    Pp = v4(M, [p[i] - k[i] - pp[i] for i in (1, 2, 3)])

    I = mp.mpc(0, 1)
    G = [mp.matrix([[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]),
         mp.matrix([[0, 0, 0, 1], [0, 0, 1, 0], [0, -1, 0, 0], [-1, 0, 0, 0]]),
         mp.matrix([[0, 0, 0, -I], [0, 0, I, 0], [0, I, 0, 0], [-I, 0, 0, 0]]),
         mp.matrix([[0, 0, 1, 0], [0, 0, 0, -1], [-1, 0, 0, 0], [0, 1, 0, 0]])]
    met = [1, -1, -1, -1]

    def sl(a):
        return G[0] * a[0] - G[1] * a[1] - G[2] * a[2] - G[3] * a[3]

    def dot(a, b):
        return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]

    one = mp.eye(4)
    l1 = [pp[i] + k[i] for i in range(4)]
    l2 = [p[i] - k[i] for i in range(4)]
    S1 = (sl(l1) + one * m) / (dot(l1, l1) - m * m)
    S2 = (sl(l2) + one * m) / (dot(l2, l2) - m * m)
    Js = sl([P[i] + Pp[i] for i in range(4)])
    gam = [G[n] * S1 * Js + Js * S2 * G[n] for n in range(4)]
    A = sl(pp) + one * m
    B = sl(p) + one * m
    kl = [met[i] * k[i] for i in range(4)]
    tot = 0
    for a in range(4):
        for b in range(4):
            pol = (-met[a] if a == b else 0) + (kl[a] * kl[b] / mV**2 if mV > 0 else 0)
            if pol != 0:
                X = A * gam[a] * B * (G[0] * gam[b].H * G[0])
                tot += sum(X[i, i] for i in range(4)) * pol
    q = [P[i] - Pp[i] for i in range(4)]
    t = -dot(q, q)
    e2 = 4 * mp.pi * mp.mpf(ALPHA)
    ref = mp.re(tot) * e2**3 / t**2 / 2
    floats = [np.array([float(c) for c in v]) for v in (p, P, pp, Pp, k)]
    return floats, float(ref), float(t)


@pytest.mark.slow
@pytest.mark.parametrize("ml,E0,mV", [(M_E, 100_000.0, 0.0), (M_E, 100_000.0, 1.0), (M_E, 8_000.0, 20.0),
                                      (M_MU, 160_000.0, 0.0), (M_MU, 160_000.0, 10.0)])
def test_msq_2to3_against_40_digit_reference(ml, E0, mV):
    """Double-precision kernel on rounded lab momenta vs 40-digit exact kinematics and
    traces.  Measured: <= 1e-10 for recoil q_T >= 1e-3 MeV (<= 1e-14 at generic forward
    points); for q_T -> 0, t -> t_min ~ 1e-12..1e-10 MeV^2 (100 GeV electrons, where
    Tsai screening suppresses G2 by >~1e-10) the rounding of the lab momenta
    themselves limits the result to ~1e-7 (worst seen 2e-5).  Tolerance 1e-8
    (q_T >= 1e-3 MeV) and 1e-3 (q_T = 1e-6, 1e-9 MeV)."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(16)
    for QT, tol in [(1e-3, 1e-8), (1e-1, 1e-8), (1e-6, 1e-3), (1e-9, 1e-3)]:
        (p, P, pp, Pp, k), ref, t = _mp_reference_point(mp, rng, E0, ml, M_PB, mV, QT)
        got = ea.msq_2to3(p, P, pp, Pp, k, ml, M_PB, mV, 1.0)
        assert got == pytest.approx(ref, rel=tol), (QT, t)
