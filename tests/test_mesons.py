"""Meson branching fractions and decay kinematics (mcpgen.physics.mesons,
mcpgen.generators.meson_decay) against physics-notes section 2 and independent
quadratures of the formulas."""

import json
import math

import numpy as np
import pytest
from scipy import integrate, stats

from mcpgen.constants import ALPHA, M_E
from mcpgen.errors import ConfigError
from mcpgen.generators import meson_decay as K
from mcpgen.physics import mesons as M

# physics-notes section 2: PDG 2026 through the pdg package, quoted to 3-4 digits
PDG_NOTES = {"rho": 4.72e-5, "omega": 7.41e-5, "phi": 2.963e-4, "jpsi": 5.971e-2,
             "psi(2S)": 7.95e-3, "Y1S": 2.39e-2, "Y2S": 1.91e-2, "Y3S": 2.18e-2,
             "pi0": 0.98823, "eta": 0.3936, "eta'": 0.02307}


@pytest.mark.parametrize("name, value", PDG_NOTES.items())
def test_parent_branching_fractions_from_pdg(name, value):
    # the notes round to the digits shown: half a unit of the last digit
    digits = len(f"{value:.6g}".replace(".", "").lstrip("0").split("e")[0])
    assert M.meson(name).br_parent == pytest.approx(value, rel=0.6 * 10 ** (1 - digits))


@pytest.mark.parametrize("name, kroll_wada", [("pi0", 0.011851), ("eta", 0.016190),
                                               ("eta'", 0.017920)])
def test_kroll_wada(name, kroll_wada):
    # alpha I3 at eps = 1, m_chi = m_e (physics-notes, 5 digits)
    m = M.meson(name)
    assert ALPHA * M.i3((M_E / m.mass) ** 2) == pytest.approx(kroll_wada, rel=5e-5)


@pytest.mark.parametrize("name, m_chi, value", [
    ("pi0", 1.0, 1.3393), ("pi0", 10.0, 0.38207), ("pi0", 50.0, 1.5854e-3),
    ("eta", 10.0, 0.95766), ("eta", 100.0, 0.088024), ("eta", 250.0, 1.233e-5)])
def test_i3_against_notes(name, m_chi, value):
    m = M.meson(name)
    # notes quote 4-5 digits; the m_P they used agrees with PDG 2026 to < 1e-5
    assert M.i3((m_chi / m.mass) ** 2) == pytest.approx(value, rel=4e-4)


def test_i3_against_mpmath():
    # independent: 30-digit tanh-sinh quadrature of the notes' integrand in z
    import mpmath as mp

    mp.mp.dps = 30
    for x in (1e-5, 1e-3, 0.05, 0.2):
        f = lambda z: 2 / (3 * mp.pi) * mp.sqrt(1 - 4 * x / z) * (1 - z) ** 3 * (2 * x + z) / z**2  # noqa
        ref = mp.quad(f, [4 * x, min(8 * x, (4 * x + 1) / 2), 1])
        assert M.i3(x) == pytest.approx(float(ref), rel=1e-12)   # measured <= 5e-16


def test_vector_br_formula_limits():
    rho = M.meson("rho")
    assert M.branching_fraction(rho, M_E) == pytest.approx(rho.br_parent, rel=1e-15)
    # sqrt(1 - 4r) -> 0 at threshold: 1e-12 below it the factor is 3 sqrt(8e-12) = 8.5e-6
    assert M.branching_fraction(rho, rho.threshold * (1 - 1e-12)) < 1e-5 * rho.br_parent
    assert M.branching_fraction(rho, rho.threshold) == 0.0
    r = 0.1
    expect = rho.br_parent * (1 + 2 * r) * math.sqrt(1 - 4 * r)
    expect /= (1 + 2 * (M_E / rho.mass) ** 2) * math.sqrt(1 - 4 * (M_E / rho.mass) ** 2)
    assert M.branching_fraction(rho, math.sqrt(r) * rho.mass, eps=1e-3) == \
        pytest.approx(1e-6 * expect, rel=1e-13)


def test_line_shape_br():
    rho, omega = M.meson("rho"), M.meson("omega")
    # normalised to the PDG BR(V -> e e) for chi = e
    assert M.line_shape_br(rho, M_E) == pytest.approx(rho.br_parent, rel=1e-12)
    # far below threshold the width does not matter (O((m_chi/M)^2 Gamma/M) effects)
    assert M.line_shape_br(rho, 100.0) == pytest.approx(M.branching_fraction(rho, 100.0), rel=1e-3)
    assert M.line_shape_br(omega, 250.0) == pytest.approx(M.branching_fraction(omega, 250.0),
                                                          rel=1e-3)
    # near threshold the tail above the pole opens the decay: larger than narrow width
    assert M.line_shape_br(rho, 387.0) > 3 * M.branching_fraction(rho, 387.0)
    # against an independent quadrature of the P-wave Breit-Wigner (module docstring)
    mpi = 139.57039
    q = lambda m: math.sqrt(max(m * m / 4 - mpi**2, 0.0))  # noqa: E731
    G = lambda m: rho.width * rho.mass / m * (q(m) / q(rho.mass)) ** 3  # noqa: E731
    bw = lambda m, part: 2 * m * m * part / ((m * m - rho.mass**2) ** 2 + (m * G(m)) ** 2)  # noqa
    f = lambda r: (1 + 2 * r) * math.sqrt(max(1 - 4 * r, 0.0))  # noqa: E731
    hi = rho.mass + 5 * rho.width
    part = lambda mc: integrate.quad(lambda m: bw(m, m * f((mc / m) ** 2)), max(2 * mpi, 2 * mc),
                                     hi, points=[rho.mass] if 2 * mc < rho.mass else None,
                                     limit=400, epsrel=1e-10)[0]  # noqa: E731
    for mc in (250.0, 380.0):
        ref = rho.br_parent * part(mc) / part(M_E)
        # 1e-6: m_pi+ typed here (PDG 139.57039 MeV) vs the particle package's value
        assert M.line_shape_br(rho, mc) == pytest.approx(ref, rel=1e-6)
    x, cdf = M.line_shape_table(rho, 300.0)
    assert x[0] >= 600.0 and cdf[0] == 0 and cdf[-1] == 1 and np.all(np.diff(cdf) >= 0)


def test_names_and_errors():
    assert M.canonical_name("rho0") == "rho(770)0" and M.canonical_name("J/psi") == "J/psi(1S)"
    assert M.canonical_name("jpsi") == "J/psi(1S)" and M.canonical_name("Upsilon(1S)") == "Upsilon(1S)"
    assert M.canonical_name("eta'(958)") == "eta'(958)" and M.canonical_name("psi(2S)") == "psi(2S)"
    with pytest.raises(ConfigError, match="unknown meson 'kaon'; allowed: pi0"):
        M.meson("kaon")
    with pytest.raises(ConfigError, match="at or above the threshold"):
        M.report("omega", 400.0)
    with pytest.raises(ConfigError, match="out of range"):
        M.report("pi0", -1.0)


def test_br_command_json(capsys):
    from mcpgen.cli import main

    assert main(["br", "--meson", "rho0", "--mass", "300", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["br"] == pytest.approx(M.branching_fraction(M.meson("rho"), 300.0), rel=1e-14)
    assert out["meson"] == "rho(770)0" and out["mass_MeV"] == 300.0 and out["eps"] == 1.0
    assert main(["br", "--meson", "pi0", "--mass", "10MeV", "--eps", "1e-3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["br"] == pytest.approx(1e-6 * ALPHA * M.meson("pi0").br_parent *
                                      M.i3((10 / M.meson("pi0").mass) ** 2), rel=1e-12)
    assert main(["br", "--meson", "kaon", "--mass", "1"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


# ------------------------------------------------------------------------- kinematics
def _inv_mass(E, px, py, pz):
    return np.sqrt(np.maximum(E**2 - px**2 - py**2 - pz**2, 0.0))


def _rest(p, q):
    """Three-momenta of p (n, 4) in the rest frame of q (n, 4)."""
    m = _inv_mass(*q.T)
    b = q[:, 1:] / q[:, [0]]
    b2 = (b * b).sum(1)
    g = q[:, 0] / m
    bp = (b * p[:, 1:]).sum(1)
    return p[:, 1:] + (((g - 1) * bp / b2) - g * p[:, 0])[:, None] * b


def _vectors(E, px, py, pz, j):
    return np.stack([E[:, j], px[:, j], py[:, j], pz[:, j]], axis=1)


def _transverse_cdf(c, beta2):
    # CDF of (2 - beta^2) + beta^2 c^2 on [-1, 1]
    a, b = 2 - beta2, beta2
    return (a * (c + 1) + b * (c**3 + 1) / 3) / (2 * a + 2 * b / 3)


@pytest.mark.parametrize("polarised", [False, True])
def test_vector_decay_kinematics(polarised):
    rng = np.random.default_rng(11)
    n, m_v, m_chi = 40000, 775.0, 300.0
    p = rng.uniform(100, 20000, n)
    dirs = rng.normal(size=(n, 3))
    dirs /= np.linalg.norm(dirs, axis=1)[:, None]
    parent = np.column_stack([np.sqrt(p**2 + m_v**2), p[:, None] * dirs])
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1)[:, None]
    E, px, py, pz = (np.zeros((n, 3)) for _ in range(4))
    K.vector_decays(parent, axis, polarised, rng.random((n, 2)), m_chi, E, px, py, pz, 0, 1, 2)
    chi, bar = _vectors(E, px, py, pz, 1), _vectors(E, px, py, pz, 2)
    assert np.allclose(_inv_mass(*chi.T), m_chi, rtol=1e-6)
    assert np.allclose(_inv_mass(*bar.T), m_chi, rtol=1e-6)
    assert np.allclose(chi + bar, parent, rtol=1e-12, atol=1e-9)
    q = _rest(chi, parent)
    c = (q * (axis if polarised else np.array([0.0, 0.0, 1.0]))).sum(1) / np.linalg.norm(q, axis=1)
    beta2 = 1 - 4 * m_chi**2 / m_v**2
    cdf = (lambda x: _transverse_cdf(x, beta2)) if polarised else (lambda x: (x + 1) / 2)
    # fixed seed: a correct sampler passes at p ~ U(0, 1); p < 1e-3 flags a wrong shape
    assert stats.kstest(c, cdf).pvalue > 1e-3
    # the other shape is rejected: the test can fail
    other = (lambda x: (x + 1) / 2) if polarised else (lambda x: _transverse_cdf(x, 1.0))
    assert stats.kstest(c, other).pvalue < 1e-6


def test_pseudoscalar_decay_kinematics():
    rng = np.random.default_rng(5)
    n, m_p, m_chi = 40000, 547.862, 60.0
    x = (m_chi / m_p) ** 2
    table = K.dalitz_z_table(x)
    z = K.sample_dalitz_z(table, rng.random(n))
    # z against the CDF of (1 - z)^3 (1 + 2x/z) sqrt(1 - 4x/z)/z by independent quadrature
    f = lambda v: (1 - v) ** 3 * (1 + 2 * x / v) * math.sqrt(max(1 - 4 * x / v, 0)) / v  # noqa
    norm = integrate.quad(f, 4 * x, 1, limit=200)[0]
    grid = np.geomspace(4 * x, 1, 60)
    cdf_grid = np.array([integrate.quad(f, 4 * x, g, limit=200)[0] for g in grid]) / norm
    assert stats.kstest(z, lambda v: np.interp(v, grid, cdf_grid)).pvalue > 1e-3
    assert np.all((z >= 4 * x) & (z <= 1))
    p = rng.uniform(100, 5000, n)
    parent = np.column_stack([np.sqrt(p**2 + m_p**2), np.zeros(n), np.zeros(n), p])
    E, px, py, pz = (np.zeros((n, 5)) for _ in range(4))
    K.pseudoscalar_decays(parent, m_p, z, rng.random((n, 4)), m_chi, E, px, py, pz, 0, 1, 2, 3, 4)
    gam, star = _vectors(E, px, py, pz, 1), _vectors(E, px, py, pz, 2)
    chi, bar = _vectors(E, px, py, pz, 3), _vectors(E, px, py, pz, 4)
    assert np.allclose(gam + chi + bar, parent, rtol=1e-12, atol=1e-8)
    assert np.allclose(_inv_mass(*gam.T), 0.0, atol=1e-3)
    assert np.allclose(_inv_mass(*star.T) ** 2, z * m_p**2, rtol=1e-8)
    assert np.allclose(_inv_mass(*chi.T), m_chi, rtol=1e-6)
    # the photon is isotropic in the P rest frame
    g = _rest(gam, parent)
    assert stats.kstest(g[:, 2] / np.linalg.norm(g, axis=1), lambda v: (v + 1) / 2).pvalue > 1e-3
    # chi angle about the photon in the pair rest frame: 2 - beta^2 sin^2 theta
    qc, qg = _rest(chi, star), _rest(gam, star)
    c = (qc * qg).sum(1) / np.linalg.norm(qc, axis=1) / np.linalg.norm(qg, axis=1)
    beta2 = 1 - 4 * x / z
    u = np.array([_transverse_cdf(ci, b2) for ci, b2 in zip(c, beta2)])  # probability transform
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert stats.kstest((c + 1) / 2, "uniform").pvalue < 1e-6   # not isotropic
