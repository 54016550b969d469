"""Vector-meson photoproduction (mcpgen.physics.photoproduction) and the photoproduced
meson channels at a lepton beam (mcpgen.processes.meson_decay) against hand values of
the cited formulas, the Glauber limits and the thin-target limit of the yield."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from mcpgen.constants import ALPHA, M_P, nucleus_mass
from mcpgen.physics import photoproduction as PP
from mcpgen.physics.mesons import line_shape_br, meson
from mcpgen.processes.meson_decay import PHI, RHO, MesonSettings
from mcpgen.sources.lepton_beam import LeptonBeamSource
from mcpgen.sources.materials import get_material


def test_gamma_p_cross_section_by_hand():
    # physics-notes section 2 at k = 8 GeV: s = m_p^2 + 2 k m_p
    s = (0.938272089**2 + 2 * 8 * 0.938272089)
    st = 13.63 * s**0.0808 + 31.79 * s**-0.4525               # mb
    b = 2 * 2.3 + 2 * 1.4 + 4 * s**0.0808 - 4.2                # GeV^-2
    sigma = ALPHA / 2.2 * (st * 2.5682) ** 2 / (16 * math.pi * b) / 2.5682   # mb
    assert PP.forward_dsigma_dt("rho(770)0", s) / PP.slope(s) == pytest.approx(sigma, rel=1e-4)
    # and close to the measured ~ 15 ub at 8 GeV (the parametrisation's fit quality, ~10%)
    assert 0.012 < sigma < 0.018


def test_glauber_limits():
    # without absorption the nucleus acts as A nucleons, coherently and incoherently
    f = PP.nuclear_factors("rho(770)0", 27.0, 16.0, sigma_vn_mb=1e-6)
    assert f.A_coh == pytest.approx(27.0, rel=1e-6) and f.A_inc == pytest.approx(27.0, rel=1e-6)
    # strong absorption: coherent ~ the geometric cross section 2 pi R^2 / sigma
    g = PP.nuclear_factors("rho(770)0", 27.0, 16.0, sigma_vn_mb=1e5)
    R = 1.2 * 27 ** (1 / 3)
    assert g.A_coh == pytest.approx(2 * math.pi * R**2 / 1e4, rel=1e-2)   # 1e5 mb = 1e4 fm^2
    assert f.b_coh == pytest.approx(R**2 / 5 * 25.68, rel=1e-3)


def test_t_min_threshold():
    m_v = 775.0
    k_th = ((m_v + M_P) ** 2 - M_P**2) / (2 * M_P)
    assert np.isinf(PP.t_min(0.999 * k_th, m_v, M_P))
    # high energy: |t_min| -> (m_V^2 / 2k)^2 for a heavy target, up to O(m_V^2/k^2, k/M)
    k = 80000.0
    assert PP.t_min(k, m_v, 1e10) == pytest.approx((m_v**2 / (2 * k)) ** 2, rel=1e-3)


def _source(thickness_X0, energy=8000.0):
    mat = get_material("Al")
    return LeptonBeamSource(beam="e-", energy=energy, leptons_on_target=1.0, target="Al",
                            material=mat, thickness=thickness_X0 * mat.X0)


def test_thin_target_limit_of_the_weight():
    """sigma_eff -> (L / 2 X0) int dy/y (4/3 - 4y/3 + y^2) sigma(y E0) BR for L -> 0:
    the photon track length of a thin target (the O(L/X0) degradation and attenuation
    corrections are 1e-3 at L = 1e-3 X0)."""
    src, x_min, m_chi = _source(1e-3), 0.7, 100.0
    proc = PHI.build(src, m_chi, MesonSettings(x_min=x_min), seed=3)
    xs = proc.integrate(1e-3, 10**7)
    m = meson("phi")
    M_A = nucleus_mass(13, src.material.A)

    def integrand(y):
        coh, inc = PP.cross_sections(m.name, np.array([y * src.energy]), src.material.A,
                                     m.mass, M_A)
        return (4 / 3 - 4 / 3 * y + y * y) / y * float(coh[0] + inc[0])

    ref = src.thickness_X0 / 2 * integrate.quad(integrand, x_min, 1.0, epsrel=1e-8)[0]
    ref *= line_shape_br(m, m_chi)
    # MC error 1e-3 (3 sigma), O(L/X0) = 1e-3 corrections, the 4 MeV line shape in t_min
    assert xs.sigma == pytest.approx(ref, rel=5e-3)
    assert xs.sigma_err / xs.sigma < 1.2e-3


def test_rho_events_at_ldmx():
    src = _source(0.4)
    proc = RHO.build(src, 300.0, MesonSettings(x_min=0.7), seed=7)
    xs = proc.integrate(3e-3, 10**6)
    n = proc.plan(20000, False)
    batch = proc.block(0, n, n, False)
    assert batch.names == ("l", "N", "l'", "gamma_brem", "N'", "V", "chi", "chibar")
    w = batch.weight
    # the block is an independent estimate of sigma: 5 combined standard errors
    err = math.hypot(xs.sigma_err, math.sqrt(len(w) * np.var(w)))
    assert np.all(w > 0) and abs(w.sum() - xs.sigma) < 5 * err
    j = {k: batch.index(k) for k in batch.names}
    # momentum conservation gamma + N = V + N' and V = chi + chibar
    for c in ("E", "px", "py", "pz"):
        a = getattr(batch, c)
        assert np.allclose(a[:, j["gamma_brem"]] + a[:, j["N"]], a[:, j["V"]] + a[:, j["N'"]],
                           rtol=1e-9, atol=1e-6)
        assert np.allclose(a[:, j["V"]], a[:, j["chi"]] + a[:, j["chibar"]], rtol=1e-12, atol=1e-8)
    # the photon carries >= x_min E0 and the recoil electron the rest of the lepton energy
    k = batch.E[:, j["gamma_brem"]]
    assert np.all(k >= 0.7 * 8000.0 * (1 - 1e-12))
    assert np.allclose(batch.E[:, j["l'"]], batch.E_beam - k)
    # coherent events: |t| - |t_min| is exponential with the slope b_el + b_coh
    coh = batch.coherent
    V = np.stack([getattr(batch, c)[:, j["V"]] for c in ("E", "px", "py", "pz")], 1)[coh]
    q = V.copy()
    q[:, 0] -= k[coh]
    q[:, 3] -= k[coh]
    t = -(q[:, 0] ** 2 - (q[:, 1:] ** 2).sum(1))
    mV = batch.mass[coh, j["V"]]
    tm = PP.t_min(k[coh], mV, nucleus_mass(13, src.material.A))
    s_p = (M_P**2 + 2 * k[coh] * M_P) / 1e6
    b = (PP.slope(s_p) + PP.nuclear_factors("rho(770)0", src.material.A, 16.0).b_coh) / 1e6
    # the slope varies by < 1% over 5.6-8 GeV; KS of b (|t| - |t_min|) against Exp(1)
    assert stats.kstest(b * (t - tm), "expon").pvalue > 1e-3
    assert 0.5 < coh.mean() < 0.98


def test_glauber_factors_against_the_impact_parameter_integrals():
    # independent of the code's substitution c = sqrt(R^2 - b^2): midpoint sums in b
    A, s = 27.0, 16.0
    sig = float(PP.sigma_tot_vp("rho(770)0", s)) * 0.1           # mb -> fm^2
    R = 1.2 * A ** (1 / 3)
    rho0 = 3 * A / (4 * math.pi * R**3)
    b = (np.arange(200000) + 0.5) * (R / 200000)
    T = 2 * rho0 * np.sqrt(R**2 - b**2)
    db = R / 200000
    coh = 2 / sig * np.sum(2 * math.pi * b * (1 - np.exp(-sig * T / 2))) * db
    inc = np.sum(2 * math.pi * b * T * np.exp(-sig * T)) * db
    f = PP.nuclear_factors("rho(770)0", A, s)
    # the midpoint rule's error at the sqrt edge is ~ (db/R)^1.5 ~ 1e-8
    assert f.A_coh == pytest.approx(coh, rel=1e-6) and f.A_inc == pytest.approx(inc, rel=1e-6)


def test_schc_axis_is_the_helicity_frame():
    """Rebuild the helicity frame from the events (boost to the gamma-target c.m., then to
    the V rest frame, z along the V c.m. direction): the chi angle follows
    2 - beta^2 sin^2 theta there (SCHC, helicity +-1), and is not isotropic."""
    src = _source(0.4)
    m_chi = 300.0
    proc = RHO.build(src, m_chi, MesonSettings(x_min=0.7), seed=4)
    proc.integrate(1e-2, 10**6)
    b = proc.block(0, 1 << 16, 1 << 16, False)
    vec = lambda lab: np.stack([getattr(b, c)[:, b.index(lab)] for c in ("E", "px", "py", "pz")], 1)  # noqa

    def boost(p, beta):
        b2 = (beta**2).sum(1)
        g = 1 / np.sqrt(1 - b2)
        bp = (beta * p[:, 1:]).sum(1)
        coef = (g - 1) * bp / b2 - g * p[:, 0]
        return np.column_stack([g * (p[:, 0] - bp), p[:, 1:] + coef[:, None] * beta])

    tot = vec("gamma_brem") + vec("N")
    Vc = boost(vec("V"), tot[:, 1:] / tot[:, [0]])
    chir = boost(boost(vec("chi"), tot[:, 1:] / tot[:, [0]]), Vc[:, 1:] / Vc[:, [0]])
    z = Vc[:, 1:] / np.linalg.norm(Vc[:, 1:], axis=1)[:, None]
    c = (chir[:, 1:] * z).sum(1) / np.linalg.norm(chir[:, 1:], axis=1)
    beta2 = 1 - 4 * m_chi**2 / b.mass[:, b.index("V")] ** 2
    a = 2 - beta2
    u = (a * (c + 1) + beta2 * (c**3 + 1) / 3) / (2 * a + 2 * beta2 / 3)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert stats.kstest((c + 1) / 2, "uniform").pvalue < 1e-6
