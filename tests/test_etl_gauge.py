"""Gauge and Lorentz invariance of the exact tree-level amplitudes
(mcpgen.physics.lepton_nucleus.etl_amplitude); split from test_etl_amplitude.py.

Tolerances are stated next to each assertion with the reason.
"""

import math

import numpy as np
import pytest
from _etl_cases import (CASES_2TO3, CASES_2TO4, M_PB, METRIC, _ids, _kmass2, _points_2to3,
                        _points_2to4, polarisations)

from mcpgen.constants import ALPHA, M_E
from mcpgen.physics.lepton_nucleus import etl_amplitude as ea
from mcpgen.physics import kinematics as ek


# ---------------------------------------------------------------------------
# gauge invariance
# ---------------------------------------------------------------------------

def _rel_residual(L, v):
    """|L.v| / sum_mu |L^mu v_mu|: 0 for an exactly conserved L, ~1e-16 x (number of
    cancelling terms) at rounding; O(1) if the two diagrams do not cancel."""
    terms = np.asarray(L) * METRIC * np.asarray(v)
    return abs(terms.sum()) / np.abs(terms).sum()


@pytest.mark.parametrize("ml,E0,mV,fwd", CASES_2TO3, ids=_ids(CASES_2TO3))
def test_gauge_invariance_2to3(ml, E0, mV, fwd):
    """V side: k_nu L^{nu mu} J_mu = 0.  Tolerances: 1e-10 relative to the sum of the
    moduli of the terms of the contraction (measured max 7e-12 over these cases; a
    missing diagram or a wrong relative sign gives O(1), see the negative control),
    and 1e-6 relative to E_k times the physical amplitude, i.e. the unphysical part
    seen by a unit polarisation vector (measured max 3e-9, for 160 GeV electrons
    where the lab components exceed the physical part by ~E/m)."""
    rng = np.random.default_rng(5)
    e3 = (4 * math.pi * ALPHA) ** 1.5
    for p, P, pp, Pp, k in _points_2to3(rng, ml, E0, mV, fwd, 8):
        J = tuple((P + Pp).astype(complex))
        t = ek.momentum_transfer_t(P, Pp)
        for si in range(2):
            for so in range(2):
                L = np.array(ea.lepton_vector(p, pp, k, ml, mV * mV, J, si, so))
                assert _rel_residual(L, k) < 1e-10
                phys = math.sqrt(abs(np.sum(METRIC * L * L.conj()).real))
                assert abs(np.sum(METRIC * L * k)) < 1e-6 * k[0] * phys
                raw = ea.amp_2to3_current(p, pp, k, ml, mV, np.array(J), k.astype(complex), si, so)
                assert abs(raw) <= 1e-10 * np.abs(L * METRIC * k).sum()
                amp = ea.amp_2to3_helicity(p, P, pp, Pp, k, ml, mV, 1.0, k.astype(complex), si, so)
                assert amp == pytest.approx(-e3 / t * raw, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("ml,E0,mV,fwd", CASES_2TO3, ids=_ids(CASES_2TO3))
def test_gauge_invariance_exchanged_photon(ml, E0, mV, fwd):
    """Nucleus side: L^{nu mu} q_mu = 0 for every nu, q = p' + k - p, with the full
    tensor built from basis currents J = e_a.  For a single basis current the
    identity rests on (lslash + m)(lslash - m) = l^2 - m^2 = D, evaluated from
    components of size E0 while D ~ m^2: the expected rounding is
    eps E0^2/min|D|.  Tolerance 100 x that (measured <= 15 x); a wrong
    propagator or vertex gives O(1)."""
    rng = np.random.default_rng(15)
    eps = np.finfo(float).eps
    for p, P, pp, Pp, k in _points_2to3(rng, ml, E0, mV, fwd, 6):
        q = pp + k - p
        D1 = mV * mV + 2 * ek.onshell_dot_v(pp, ml * ml, k, mV * mV)
        D2 = mV * mV - 2 * ek.onshell_dot_v(p, ml * ml, k, mV * mV)
        tol = 100 * eps * max(1.0, E0 * E0 / min(abs(D1), abs(D2)))
        for si in range(2):
            for so in range(2):
                # J^mu = delta^mu_a gives Jslash = g_aa gamma^a, so T[a, nu] = L^nu_a and
                # L^{nu mu} q_mu = sum_a T[a, nu] q^a
                T = np.array([ea.lepton_vector(p, pp, k, ml, mV * mV, tuple(np.eye(4)[a].astype(complex)), si, so)
                              for a in range(4)])
                for nu in range(4):
                    terms = T[:, nu] * q
                    assert abs(terms.sum()) <= tol * np.abs(terms).sum()


@pytest.mark.parametrize("ml,E0,mc,fwd", CASES_2TO4, ids=_ids(CASES_2TO4))
def test_gauge_invariance_2to4(ml, E0, mc, fwd):
    """The 2->4 amplitude with the chi current replaced by k = k1 + k2 vanishes
    (relative to the moduli of the terms of the contraction, tolerance 1e-10 as
    above), and the chi current itself is conserved, k.jbar = 0 (tolerance 1e-12;
    it is a two-term cancellation of the spinor products)."""
    rng = np.random.default_rng(6)
    for p, P, pp, Pp, k1, k2 in _points_2to4(rng, ml, E0, mc, fwd, 6):
        k = k1 + k2
        kk2 = _kmass2(k1, k2, mc)
        t = ek.momentum_transfer_t(P, Pp)
        pref = (4 * math.pi * ALPHA) ** 2 / (t * kk2)
        J = tuple((P + Pp).astype(complex))
        for si in range(2):
            for so in range(2):
                L = np.array(ea.lepton_vector(p, pp, k, ml, kk2, J, si, so))
                amp_k = ea.amp_2to4_helicity(p, P, pp, Pp, k1, k2, ml, mc, 1.0, si, so, 0, 0, True)
                assert abs(amp_k) <= 1e-10 * pref * np.abs(L * METRIC * k).sum()
        for s1 in range(2):
            for s2 in range(2):
                j = np.array(ea.chi_current(k1, k2, mc, s1, s2))
                assert _rel_residual(j, k) < 1e-12


def test_gauge_control_fails_for_non_gauge_vector():
    """Negative control: contracting with k + a small transverse vector does not vanish,
    so the residual measure above can detect a broken amplitude."""
    rng = np.random.default_rng(7)
    p, P, pp, Pp, k = ek.forward_2to3_lab(rng, 8000.0, M_E, M_PB, 20.0)
    L = np.array(ea.lepton_vector(p, pp, k, M_E, 400.0, tuple((P + Pp).astype(complex)), 0, 0))
    eps_t = polarisations(k, 20.0)[0]
    assert _rel_residual(L, k + 1e-3 * k[0] * eps_t) > 1e-6


# ---------------------------------------------------------------------------
# Lorentz invariance
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("ml,E0,mV,fwd", CASES_2TO3[::2], ids=_ids(CASES_2TO3[::2]))
def test_lorentz_invariance_2to3(ml, E0, mV, fwd):
    """|M|^2 unchanged under random rotation x boost (rapidity <= 3) x rotation.
    Tolerance 1e-8: the transformed momenta carry rounding errors ~1e-16 of the
    largest components, and near t_min the amplitude depends on q ~ m^2/(2E) (up to
    (E/m)^2 ~ 1e11 amplification for 100 GeV electrons); measured max 2e-11."""
    rng = np.random.default_rng(8)
    for p, P, pp, Pp, k in _points_2to3(rng, ml, E0, mV, fwd, 4):
        a = ea.msq_2to3(p, P, pp, Pp, k, ml, M_PB, mV, 1.0)
        Lm = ek.random_lorentz(rng, 3.0)
        b = ea.msq_2to3(*(Lm @ v for v in (p, P, pp, Pp, k)), ml, M_PB, mV, 1.0)
        assert b == pytest.approx(a, rel=1e-8)


@pytest.mark.parametrize("ml,E0,mc,fwd", CASES_2TO4, ids=_ids(CASES_2TO4))
def test_lorentz_invariance_2to4(ml, E0, mc, fwd):
    """As for 2->3 (measured max 1.3e-11)."""
    rng = np.random.default_rng(9)
    for pts in _points_2to4(rng, ml, E0, mc, fwd, 4):
        a = ea.msq_2to4(*pts, ml, M_PB, mc, 1.0)
        Lm = ek.random_lorentz(rng, 3.0)
        b = ea.msq_2to4(*(Lm @ v for v in pts), ml, M_PB, mc, 1.0)
        assert b == pytest.approx(a, rel=1e-8)
