"""chi e -> chi e physics and the "scatter" detector module (issue 7, item 3).

Physics against independent references: the spin-averaged |M|^2 from Dirac traces,
scipy quadrature, the leading 2 pi alpha^2/(m_e T) with a tolerance from the neglected
terms, the physics-notes number, a centre-of-mass computation of E_r,max, a KS test of
the sampled recoils, Poisson probabilities from scipy/mpmath, electrons per kton.  The
module on hand-built events (geometry by hand, tables against direct formulas), on
events of the real brem process, and bad cards.
"""

import math
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from hepunits import GeV, MeV, cm, g, m as metre
from scipy import stats
from scipy.integrate import quad

from mcpgen.constants import ALPHA, CHI_PDGID, HBARC2, M_E
from mcpgen.detectors.scatter import (DEFAULT_EPS_GRID, SCATTER_KEYS, Scatter, ScatterCard,
                                      card_reference, ray_box, ray_cylinder, scatter_card)
from mcpgen.errors import ConfigError
from mcpgen.framework.detector import EfficiencyModel
from mcpgen.framework.jobs import YieldAccumulator
from mcpgen.io.record import EventBatch
from mcpgen.physics import chi_e_scattering as cs
from mcpgen.units import parse_toml

CM2 = cm**2
#: the built-in card, wherever the package is installed
CARD_FILE = str(files("mcpgen") / "data" / "detectors" / "ship_scatter.toml")


# ------------------------------------------------------------------ cross section
def _dirac_trace_dsigma(E, m, T):
    """d sigma/dT (MeV^-3, eps = 1) from the spin-averaged |M|^2 of t-channel photon
    exchange between two Dirac fermions, built from the traces
    Tr[(p'+M) g^mu (p+M) g^nu] = 4 [p'^mu p^nu + p^mu p'^nu - g^{mu nu} (p.p' - M^2)]
    and dsigma/dT = <|M|^2> / (32 pi m_e p^2) (electron at rest); independent of seed 003."""
    g = np.diag([1.0, -1.0, -1.0, -1.0])
    dot = lambda a, b: a @ g @ b  # noqa: E731
    p = math.sqrt(E * E - m * m)
    pe = math.sqrt(T * (T + 2 * M_E))
    c = (E + M_E) / p * math.sqrt(T / (T + 2 * M_E))
    s = math.sqrt(max(0.0, 1 - c * c))
    p1, p2 = np.array([M_E, 0, 0, 0.0]), np.array([E, 0, 0, p])
    p3 = np.array([M_E + T, pe * s, 0, pe * c])
    p4 = p1 + p2 - p3

    def lep(a, b, M):
        return 4 * (np.outer(a, b) + np.outer(b, a) - g * (dot(a, b) - M * M))

    q = p1 - p3
    t = dot(q, q)
    contraction = np.einsum("ab,ac,bd,cd->", lep(p3, p1, M_E), g, g, lep(p4, p2, m))
    e2 = 4 * math.pi * ALPHA
    return e2 * e2 / t**2 * contraction / 4 / (32 * math.pi * M_E * p * p)


@pytest.mark.parametrize("E, m, T", [(1000.0, 100.0, 1.0), (1000.0, 100.0, 50.0),
                                     (5.0, 1.0, 0.3), (2e5, 1000.0, 5000.0), (100.0, 0.3, 80.0),
                                     (200.0, 150.0, 0.5)])
def test_dsigma_is_the_exact_tree_level_result(E, m, T):
    # seed 003's formula equals the trace computation to rounding (1e-10: the traces lose
    # a few digits in the t^2 denominator at forward kinematics)
    ours = float(cs.dsigma_dT(T, E, m))                     # mm^2/MeV
    ref = _dirac_trace_dsigma(E, m, T) * HBARC2             # MeV^-3 -> mm^2/MeV
    assert ours == pytest.approx(ref, rel=1e-9)
    assert float(cs.dsigma_dT(T, E, m, eps=1e-3)) == pytest.approx(1e-6 * ours, rel=1e-15)


def test_dsigma_dimensions_and_range():
    # [pi alpha^2 / (m_e^2 p^2)] x MeV = MeV^-3; at T -> 0: 2 pi alpha^2 E^2/(m_e p^2 T^2)
    E, m, T = 1000.0, 100.0, 1e-6
    lead = 2 * math.pi * ALPHA**2 * E**2 / (M_E * (E * E - m * m) * T * T) * HBARC2
    assert float(cs.dsigma_dT(T, E, m)) == pytest.approx(lead, rel=1e-6)
    t_max = float(cs.recoil_T_max(E, m))
    assert float(cs.dsigma_dT(t_max * (1 + 1e-12), E, m)) == 0.0
    assert float(cs.dsigma_dT(t_max, E, m)) > 0.0
    assert float(cs.dsigma_dT(1.0, 99.0, 100.0)) == 0.0          # below the mass


def _t_max_cm(E, m):
    """E_r,max from the centre-of-mass frame: the electron scattered backwards at 180 deg."""
    p = math.sqrt(E * E - m * m)
    s = m * m + M_E * M_E + 2 * M_E * E
    gamma, beta_gamma = (E + M_E) / math.sqrt(s), p / math.sqrt(s)   # CM motion in the lab
    pstar = p * M_E / math.sqrt(s)
    Estar = (s + M_E**2 - m * m) / (2 * math.sqrt(s))
    return gamma * Estar + beta_gamma * pstar - M_E


@pytest.mark.parametrize("E, m", [(1000.0, 100.0), (1000.0, 0.1), (1e6, 1.0), (150.0, 100.0),
                                  (1e5, 5000.0), (1.0, 0.5)])
def test_t_max_against_two_body(E, m):
    assert float(cs.recoil_T_max(E, m)) == pytest.approx(_t_max_cm(E, m), rel=1e-11)
    # the electron at the end point is emitted forward
    cos_end = float(cs.electron_cos_theta(cs.recoil_T_max(E, m), E, m))
    assert cos_end == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("E, m, T1, T2", [(1000.0, 100.0, 1.0, np.inf), (1000.0, 100.0, 5.0, 6.0),
                                          (1e5, 1000.0, 1000.0, 9000.0), (200.0, 150.0, 0.1, 0.7),
                                          (1e4, 0.5, 1.0, 1.0 + 1e-6), (1e6, 10.0, 1e-3, np.inf)])
def test_sigma_window_against_quad(E, m, T1, T2):
    top = min(T2, float(cs.recoil_T_max(E, m)))
    f = lambda t: float(cs.dsigma_dT(t, E, m)) / CM2  # noqa: E731
    pts = [T1 * 10**k for k in range(1, 15) if T1 * 10**k < top]
    ref = quad(f, T1, top, points=pts or None, epsabs=0.0, epsrel=1e-12, limit=500)[0]
    # quad is converged to ~1e-12 relative; the closed form is exact up to rounding
    assert float(cs.sigma_window(E, m, T1, T2)) / CM2 == pytest.approx(ref, rel=1e-9)


def test_sigma_window_edges():
    assert float(cs.sigma_window(1000.0, 100.0, 100.0)) == 0.0      # T_min above T_max (91.8)
    assert float(cs.sigma_window(1000.0, 100.0, 5.0, 5.0)) == 0.0
    with pytest.raises(ValueError, match="T_min must be > 0"):
        cs.sigma_window(1000.0, 100.0, 0.0)


@pytest.mark.parametrize("E, m, T", [(1e5, 1.0, 1e-2), (1e6, 10.0, 1.0), (2e4, 0.1, 1e-3)])
def test_sigma_approaches_the_limit(E, m, T):
    # sigma/limit = (1/beta^2)[1 - T/T_max - beta^2 (T/T_max) ln(T_max/T) + T (T_max - T)/(2E^2)]:
    # the neglected terms bound |sigma/limit - 1|
    t_max = float(cs.recoil_T_max(E, m))
    b2 = 1 - (m / E) ** 2
    bound = (1 / b2 - 1) + (T / t_max + (T / t_max) * math.log(t_max / T)
                            + T * t_max / (2 * E * E)) / b2
    assert bound < 2e-2   # the cases are in the limit
    ratio = float(cs.sigma_window(E, m, T)) / float(cs.sigma_limit(T))
    assert abs(ratio - 1) <= bound
    # and the limit itself is 2.55e-25 cm^2 MeV/T (physics-notes sec. 4)
    assert float(cs.sigma_limit(T)) / CM2 * T == pytest.approx(2.5495e-25, rel=1e-4)


def test_physics_notes_exact_value():
    # eps = 1, E = 1 GeV, m = 0.1 GeV, T = 1 MeV: 2.422e-25 cm^2 (quoted to 4 digits)
    sigma = float(cs.sigma_window(1 * GeV, 0.1 * GeV, 1 * MeV)) / CM2
    assert sigma == pytest.approx(2.422e-25, abs=0.0005e-25)
    assert float(cs.sigma_window(1 * GeV, 0.1 * GeV, 1 * MeV, eps=1e-3)) / CM2 == \
        pytest.approx(1e-6 * sigma, rel=1e-15)


# ------------------------------------------------------------------ sampling
@pytest.mark.parametrize("E, m, T1, T2", [(1000.0, 100.0, 1.0, np.inf),
                                          (1500.0, 1000.0, 0.2, np.inf),
                                          (1e5, 1000.0, 1000.0, 5000.0)])
def test_sampled_recoils_follow_the_cdf(E, m, T1, T2):
    rng = np.random.default_rng(20240607)
    u = rng.random(20000)
    T = cs.recoil_T_from_uniform(u, E, m, T1, T2)
    assert np.all((T >= T1) & (T <= min(T2, float(cs.recoil_T_max(E, m)))))
    # inverse CDF to rounding: CDF(T(u)) = u
    assert np.allclose(cs.recoil_cdf(T, E, m, T1, T2), u, rtol=0, atol=1e-11)
    # KS against the closed-form CDF (fixed seed; p > 1e-3 would fail for a wrong shape)
    p = stats.kstest(T, lambda t: cs.recoil_cdf(t, E, m, T1, T2)).pvalue
    assert p > 1e-3


def test_ks_detects_a_wrong_distribution():
    # the same test rejects the pure 1/T^2 shape where the exact one differs (heavy chi)
    E, m, T1 = 1500.0, 1000.0, 0.2
    t_max = float(cs.recoil_T_max(E, m))
    T = cs.recoil_T_from_uniform(np.random.default_rng(5).random(20000), E, m, T1)
    naive = lambda t: (1 / T1 - 1 / np.asarray(t)) / (1 / T1 - 1 / t_max)  # noqa: E731
    assert stats.kstest(T, naive).pvalue < 1e-6


def test_recoil_electron_kinematics():
    rng = np.random.default_rng(3)
    n = 2000
    E = 10 ** rng.uniform(2.5, 5, n)
    m = np.full(n, 100.0)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    T = cs.recoil_T_from_uniform(rng.random(n), E, m, 0.5)
    px, py, pz, Ee = cs.recoil_electron_momenta(T, E, m, d, rng.uniform(0, 2 * np.pi, n))
    pe = np.stack([px, py, pz], axis=1)
    assert np.allclose(Ee, T + M_E)
    assert np.allclose(np.linalg.norm(pe, axis=1), np.sqrt(T * (T + 2 * M_E)), rtol=1e-12)
    # the outgoing chi p4 = p_chi + p_e(rest) - p_e' is on shell (energy and momentum conserved)
    p = np.sqrt(E * E - m * m)[:, None] * d
    E4 = E + M_E - Ee
    p4 = p - pe
    assert np.allclose(E4**2 - (p4**2).sum(axis=1), m**2, rtol=1e-6, atol=1e-6 * E**2)
    cos = (pe * d).sum(axis=1) / np.linalg.norm(pe, axis=1)
    assert np.allclose(cos, cs.electron_cos_theta(T, E, m), atol=1e-12)


def test_sampling_draws_two_uniforms_per_chi():
    a = cs.sample_recoil_electrons([1000.0, 2000.0], 100.0, [[0, 0, 1.0], [1.0, 0, 0]], 1.0,
                                   np.inf, np.random.default_rng(9))
    rng = np.random.default_rng(9)
    u = rng.random((2, 2))
    assert np.array_equal(a[0], cs.recoil_T_from_uniform(u[:, 0], [1000.0, 2000.0], 100.0, 1.0))
    # the second chi flies along +x: the electron's angle to +x is the two-body one
    pe = np.array([a[1][1], a[2][1], a[3][1]])
    assert pe[0] / np.linalg.norm(pe) == pytest.approx(
        float(cs.electron_cos_theta(a[0][1], 2000.0, 100.0)), rel=1e-12)


# ------------------------------------------------------------------ targets, Poisson
def test_electrons_per_kton():
    kton = 1e9 * g
    water, lab = cs.get_target("water"), cs.get_target("lab")
    assert float(cs.electrons_per_mass(water.Z_over_A, kton)) == pytest.approx(3.343e32, rel=3e-4)
    assert float(cs.electrons_per_mass(lab.Z_over_A, kton)) == pytest.approx(3.37e32, rel=2e-3)
    # n_e = rho N_A Z/A: water has 3.343e23 electrons per cm^3
    assert water.electron_density * cm**3 == pytest.approx(3.343e23, rel=3e-4)
    with pytest.raises(ValueError, match="allowed: water, lab"):
        cs.get_target("led")


def test_poisson_probabilities():
    mu = np.array([0.0, 1e-300, 1e-12, 1e-6, 0.01, 0.3, 0.999, 1.0, 1.5, 7.0, 40.0, 800.0])
    for n in (1, 2):
        ref = stats.poisson.sf(n - 1, mu)
        assert np.allclose(cs.poisson_at_least(mu, n), ref, rtol=1e-13, atol=0)
    # seed 003 forms where they do not cancel
    big = mu[mu > 0.1]
    assert np.allclose(cs.poisson_at_least(big, 1), 1 - np.exp(-big), rtol=1e-14)
    assert np.allclose(cs.poisson_at_least(big, 2), 1 - np.exp(-big) * (1 + big), rtol=1e-13)
    mpmath = pytest.importorskip("mpmath")
    for x in (1e-200, 1e-20, 1e-8, 0.5):
        exact = 1 - mpmath.exp(-mpmath.mpf(x)) * (1 + mpmath.mpf(x))
        assert float(cs.poisson_at_least(x, 2)) == pytest.approx(float(exact), rel=1e-14)


# ------------------------------------------------------------------ geometry
def _rays(*pairs):
    o = np.array([p[0] for p in pairs], float)
    d = np.array([p[1] for p in pairs], float)
    return o, d / np.linalg.norm(d, axis=1)[:, None]


def test_ray_box_hand_cases():
    lo, hi = (-1.0, -2.0, 10.0), (1.0, 2.0, 14.0)
    o, d = _rays(([0, 0, 0], [0, 0, 1]),          # along the axis: the full length, 4
                 ([0, 0, 0], [0, 0, -1]),         # backwards: nothing
                 ([0, 0, 12], [0, 0, 1]),         # starts inside: 2
                 ([0, 0, 0], [0.1, 0, 1]),        # exits through x = 1 at z = 10 (enters at 10)
                 ([0, 0, 0], [1, 0, 0]),          # parallel to the faces, outside the slab
                 ([0, 0, 11], [1, 0, 0]),         # across x inside the slab: from x = 0 to 1
                 ([0, 0, 0], [0.05, 0.1, 1]),     # through both ends? y = 1.4 at z = 14: yes
                 ([5, 0, 0], [0, 0, 1]))          # off to the side: miss
    t_in, t_out = ray_box(o, d, lo, hi)
    L = t_out - t_in
    expect = [4.0, 0.0, 2.0, 0.0, 0.0, 1.0, 4 * math.sqrt(1 + 0.05**2 + 0.1**2), 0.0]
    assert L == pytest.approx(expect, abs=1e-12)
    assert t_in[0] == pytest.approx(10.0) and t_in[2] == 0.0
    # a ray entering the front face and leaving by a side: y = 0.16 z, z from 10 to 12.5
    o, d = _rays(([0, 0, 0], [0, 0.16, 1]))
    t_in, t_out = ray_box(o, d, lo, hi)
    assert (t_out - t_in)[0] == pytest.approx(2.5 * math.sqrt(1 + 0.16**2), rel=1e-12)


def test_ray_cylinder_hand_cases():
    c, R, z0, z1 = (0.0, 0.0), 2.0, 10.0, 20.0
    o, d = _rays(([0, 0, 0], [0, 0, 1]),          # along the axis: 10
                 ([1, 1, 0], [0, 0, 1]),          # parallel, inside: 10
                 ([3, 0, 0], [0, 0, 1]),          # parallel, outside: 0
                 ([-10, 0, 15], [1, 0, 0]),       # across a diameter: 2R = 4
                 ([-10, 1, 15], [1, 0, 0]),       # chord at y = 1: 2 sqrt(3)
                 ([0, 0, 15], [0, 1, 0]),         # from the axis outwards: R
                 ([0, 0, 0], [0.1, 0, 1]),        # leaves the side at z = 20 exactly: 10 sqrt(1.01)
                 ([-10, 0, 15], [-1, 0, 0]))      # away from it: 0
    t_in, t_out = ray_cylinder(o, d, c, R, z0, z1)
    expect = [10.0, 10.0, 0.0, 4.0, 2 * math.sqrt(3), 2.0, 10 * math.sqrt(1.01), 0.0]
    assert (t_out - t_in) == pytest.approx(expect, abs=1e-12)
    # off-centre axis: a ray along z at the centre sees the full length
    t_in, t_out = ray_cylinder(*_rays(([5, -3, 0], [0, 0, 1])), (5.0, -3.0), 1.0, z0, z1)
    assert (t_out - t_in)[0] == pytest.approx(10.0)


# ------------------------------------------------------------------ module on hand-made events
NAMES = ("l", "N", "l'", "N'", "gamma*", "chi", "chibar")


def make_batch(chi, chibar, vertex=None, mass=100.0):
    """Events with chi / chibar momenta (n, 3) in MeV (E from the mass)."""
    chi, chibar = np.asarray(chi, float), np.asarray(chibar, float)
    n, k = len(chi), len(NAMES)
    px, py, pz, E, ms = (np.zeros((n, k)) for _ in range(5))
    for j, p in ((5, chi), (6, chibar)):
        px[:, j], py[:, j], pz[:, j] = p.T
        E[:, j] = np.sqrt((p**2).sum(axis=1) + mass**2)
        ms[:, j] = mass
    v = np.zeros((n, 3)) if vertex is None else np.asarray(vertex, float)
    pdg = np.tile(np.array([13, 1, 13, 1, 22, CHI_PDGID, -CHI_PDGID], np.int32), (n, 1))
    return EventBatch(weight=np.full(n, 2.0), pdgid=pdg, status=np.ones((n, k), np.int32),
                      px=px, py=py, pz=pz, E=E, mass=ms, vx=v[:, 0], vy=v[:, 1], vz=v[:, 2],
                      names=NAMES)


def make_card(**kw):
    args = dict(name="test", distance=10 * metre, length=2 * metre, material="water",
                T_min=1.0, n_scatters=1, width=1 * metre, height=1 * metre)
    args.update(kw)
    return ScatterCard(**args)


def test_module_on_hand_built_events():
    card = make_card(eps_grid=(1e-4, 1e-3, 1e-2, 0.1, 1.0), efficiency=0.7)
    # ev 0: chi along z (2 m), chibar misses; ev 1: both along z; ev 2: both miss;
    # ev 3: chi slanted through the box; ev 4: chi too slow for T_min (T_max < 1 MeV)
    chi = [[0, 0, 5e3], [0, 0, 2e4], [1e3, 0, 1], [200, 0, 1e4], [0, 0, 20.0]]
    chibar = [[0, 5e3, 1], [0, 0, 8e3], [0, -1e3, 1], [0, 0, -5e3], [0, 0, 30.0]]
    batch = make_batch(chi, chibar)
    eps_ref = 1e-2
    mod = Scatter(card, eps_ref=eps_ref)
    mod.apply(batch, None, np.random.default_rng(1))
    n_e = cs.get_target("water").electron_density
    E = batch.E
    path_chi = np.array([2e3, 2e3, 0, 2e3 * math.sqrt(1 + 0.02**2), 2e3])
    assert batch.det_path_chi == pytest.approx(path_chi, rel=1e-12)
    assert batch.det_path_chibar == pytest.approx([0, 2e3, 0, 0, 2e3], abs=1e-9)
    sig = lambda e: float(cs.sigma_window(e, 100.0, 1.0))  # noqa: E731
    mu1 = np.array([n_e * sig(E[i, 5]) * path_chi[i] for i in range(5)])
    mu1[1] += n_e * sig(E[1, 6]) * 2e3
    assert mu1[4] == 0.0 and mu1[0] > 0
    assert batch.det_mu == pytest.approx(eps_ref**2 * mu1, rel=1e-12)
    # table: the Poisson sum of chi and chibar at every grid eps, thinned by the efficiency
    grid = np.array(card.eps_grid)
    expect = -np.expm1(-0.7 * mu1[:, None] * grid**2)       # 1 - exp(-x) without cancellation
    assert batch.det_eff_table == pytest.approx(expect, rel=1e-12, abs=0)
    assert batch.det_eff == pytest.approx(batch.det_eff_table[:, 2], rel=1e-15)   # eps_ref node
    assert batch.det_pass.tolist() == [True, True, False, True, False]
    # electrons: chi of ev 0, 1, 3 and chibar of ev 1, inside the volume, in the window
    off, f = batch.collections["det_electron"]
    assert off.tolist() == [0, 1, 3, 3, 4, 4]
    assert f["parent"].tolist() == [5, 5, 6, 5]
    assert np.all((f["z"] >= 10e3) & (f["z"] <= 12e3)) and np.all(np.abs(f["x"]) <= 500)
    assert np.all(f["T"] >= 1.0) and np.allclose(f["E"], f["T"] + M_E)
    assert f["prob"] == pytest.approx(-np.expm1(-eps_ref**2 * np.array(
        [mu1[0], n_e * sig(E[1, 5]) * 2e3, n_e * sig(E[1, 6]) * 2e3, mu1[3]])), rel=1e-12)
    # the yield sums take the table
    acc = YieldAccumulator(mod.efficiency_model)
    acc.add(batch)
    assert acc.table == pytest.approx((batch.weight[:, None] * expect).sum(axis=0), rel=1e-12)


def test_two_scatters_and_eps_scaling():
    card = make_card(n_scatters=2, eps_grid=DEFAULT_EPS_GRID)
    batch = make_batch([[0, 0, 5e4], [0, 0, 3e3]], [[0, 0, 1e4], [0, 3e3, 1]])
    Scatter(card, eps_ref=0.3).apply(batch, None, np.random.default_rng(2))
    mu1 = batch.det_mu / 0.3**2
    for j, eps in enumerate(card.eps_grid):
        mu = mu1 * eps**2
        ref = stats.poisson.sf(1, mu)             # P(N >= 2), direct
        assert batch.det_eff_table[:, j] == pytest.approx(ref, rel=1e-12, abs=1e-300)
    assert batch.det_eff == pytest.approx(1 - np.exp(-batch.det_mu) * (1 + batch.det_mu), rel=1e-12)
    # eps^4 at small eps
    assert batch.det_eff_table[:, 0] / batch.det_eff_table[:, 10] == pytest.approx(1e-4, rel=1e-6)


def test_empty_batch():
    batch = make_batch(np.zeros((0, 3)), np.zeros((0, 3)))
    Scatter(make_card(), eps_ref=1.0).apply(batch, None, np.random.default_rng(1))
    assert batch.det_eff_table.shape == (0, len(DEFAULT_EPS_GRID))
    off, f = batch.collections["det_electron"]
    assert off.tolist() == [0] and len(f["T"]) == 0


def test_module_needs_eps_ref_and_chi():
    batch = make_batch([[0, 0, 5e3]], [[0, 0, 5e3]])
    with pytest.raises(RuntimeError, match="eps_ref is not set"):
        Scatter(make_card()).apply(batch, None, np.random.default_rng(1))
    batch.names = tuple("abcdefg")
    with pytest.raises(ConfigError, match="needs particles labelled 'chi'"):
        Scatter(make_card(), eps_ref=1.0).apply(batch, None, np.random.default_rng(1))


def test_cylinder_module_and_reproducibility():
    card = make_card(shape="cylinder", width=None, height=None, radius=0.5 * metre,
                     x_center=0.1 * metre)
    rng = np.random.default_rng(8)
    n = 500
    p = np.stack([rng.normal(0, 40, n), rng.normal(0, 40, n), rng.uniform(1e3, 1e5, n)], axis=1)
    a, b = make_batch(p, -p), make_batch(p, -p)
    Scatter(card, eps_ref=1.0).apply(a, None, np.random.default_rng(4))
    Scatter(card, eps_ref=1.0).apply(b, None, np.random.default_rng(4))
    fa, fb = a.collections["det_electron"][1], b.collections["det_electron"][1]
    assert all(np.array_equal(fa[k], fb[k]) for k in fa)
    assert len(fa["x"]) == int((a.det_path_chi > 0).sum()) and np.all(a.det_path_chibar == 0)
    assert np.all(np.hypot(fa["x"] - 100.0, fa["y"]) <= 500.0 + 1e-9)


# ------------------------------------------------------------------ real brem events
@pytest.fixture(scope="module")
def brem_batch():
    from _framework_cases import PRECISION, SETTINGS, muon_source
    from mcpgen.processes.lepton_nucleus import BremProcess

    proc = BremProcess.build(muon_source(), 100.0, SETTINGS, seed=11)
    proc.integrate(PRECISION, 10_000_000)
    n = proc.plan(2000, False)
    batch = proc.block(0, n, n, False)
    batch.weight = batch.weight * 1e-3**proc.eps_power    # jobs.py: weights at eps_ref
    return batch


def test_module_on_brem_events(brem_batch, tmp_path):
    from mcpgen.io.root import EventLayout, EventWriter, read_events

    card = scatter_card(_card_table(), file=CARD_FILE)
    eps_ref = 1e-3
    mod = Scatter(card, eps_ref=eps_ref)
    batch = brem_batch.take(slice(None))
    mod.apply(batch, None, np.random.default_rng(6))
    assert batch.det_pass.sum() > 10              # 160 GeV muon brem: forward chi reach 30 m
    grid = np.array(card.eps_grid)
    j = int(np.argmin(abs(np.log(grid / eps_ref))))
    assert grid[j] == pytest.approx(eps_ref)
    assert batch.det_eff == pytest.approx(batch.det_eff_table[:, j], rel=1e-12, abs=0)
    assert np.all(batch.det_eff_table[:, :-1] <= batch.det_eff_table[:, 1:])
    off, f = batch.collections["det_electron"]
    assert len(f["T"]) == off[-1] > 0
    assert np.all((f["T"] >= 1e3) & (f["T"] <= 2e4))
    assert np.all((f["z"] >= 30e3) & (f["z"] <= 31e3)) and np.all(np.abs(f["x"]) <= 200 + 1e-9)
    acc = YieldAccumulator(mod.efficiency_model)
    acc.add(batch)
    assert acc.sum_we == pytest.approx(acc.table[j], rel=1e-12)
    # ROOT round trip of the columns and the electron collection
    declared = tuple(mod.columns)
    path = tmp_path / "scatter.root"
    writer = EventWriter(path, EventLayout.of(batch, declared=declared),
                         {"detector": mod.metadata()}, "").open()
    writer.write(batch)
    writer.close()
    back, meta = read_events(path)
    assert np.array_equal(back.det_eff_table, batch.det_eff_table)
    assert np.array_equal(back.collections["det_electron"][1]["T"], f["T"])
    assert meta["detector"]["eps_ref"] == eps_ref
    assert meta["detector"]["efficiency_model"]["kind"] == "table"


def test_check_rejects_dark_photon_process():
    from mcpgen.processes.lepton_nucleus import BremProcess, DarkPhotonProcess

    mod = Scatter(make_card(file="card.toml"), eps_ref=1.0)
    mod.check(BremProcess, object())                    # any source
    with pytest.raises(ConfigError, match="card.toml: key 'detector.module'"):
        mod.check(DarkPhotonProcess, object())
    assert mod.generator_threshold() is None
    assert mod.efficiency_model == EfficiencyModel("table", grid=DEFAULT_EPS_GRID)


# ------------------------------------------------------------------ cards
def _card_table():
    return parse_toml(Path(CARD_FILE).read_text(encoding="utf-8"), file=CARD_FILE)


def test_builtin_card_and_round_trip():
    card = scatter_card(_card_table(), file=CARD_FILE, builtin="ship_scatter")
    assert card.distance == 30 * metre and card.width == 40 * cm and card.T_min == 1 * GeV
    assert card.material == "tungsten" and card.n_scatters == 1 and card.shape == "box"
    assert card.eps_grid == DEFAULT_EPS_GRID and card.eps_grid[0] == 1e-5
    assert all(card.source(k).strip() for k in SCATTER_KEYS)
    d = card.to_dict()
    again = scatter_card({k: d[k] for k in ("detector", "scatter")} |
                         {"sources": {k: v for k, v in d["sources"].items()
                                      if not v.startswith("default")} |
                          {k: "round trip" for k in ("x_center", "y_center", "eps_grid")}},
                         file="again")
    for k in ("distance", "length", "width", "height", "T_min", "T_max", "eps_grid"):
        assert getattr(again, k) == getattr(card, k)
    ref = card_reference()
    assert all(f"`scatter.{k}`" in ref for k in SCATTER_KEYS)


def test_card_through_load_card(monkeypatch):
    from mcpgen.detectors.cards import detector_module, load_card
    from mcpgen.framework.registry import DETECTORS

    monkeypatch.setitem(DETECTORS._entries, "scatter", "mcpgen.detectors.scatter:Scatter")
    card = load_card(CARD_FILE)
    assert isinstance(card, ScatterCard)
    assert isinstance(detector_module(card), Scatter)


def test_eps_grid_forms():
    t = _card_table()
    t["scatter"]["eps_grid"] = {"min": 1e-6, "max": 0.1, "points": 6}
    t["sources"]["eps_grid"] = "test"
    assert scatter_card(t, file="f").eps_grid == pytest.approx((1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1))
    t["scatter"]["eps_grid"] = [1e-4, 1e-2, 1]
    assert scatter_card(t, file="f").eps_grid == (1e-4, 1e-2, 1.0)


BAD = [
    (("scatter", "width"), 0, "scatter.width", "width > 0"),
    (("scatter", "length"), "-1 m", "scatter.length", "length > 0"),
    (("scatter", "distance"), "-5 m", "scatter.distance", "distance >= 0"),
    (("scatter", "T_max"), "1 GeV", "scatter.T_max", "must be > T_min"),
    (("scatter", "T_max"), "0.5 GeV", "scatter.T_max", "must be > T_min"),
    (("scatter", "material"), "lead", "scatter.material", "allowed: 'water'"),
    (("scatter", "n_scatters"), 3, "scatter.n_scatters", "1 <= n_scatters <= 2"),
    (("scatter", "efficiency"), 1.5, "scatter.efficiency", "0 <= efficiency <= 1"),
    (("scatter", "shape"), "sphere", "scatter.shape", "allowed: 'box', 'cylinder'"),
    (("scatter", "radius"), "1 m", "scatter.radius", "not of 'box'"),
    (("scatter", "distanse"), "1 m", "scatter.distanse", "did you mean 'distance'"),
    (("scatter", "T_min"), "1 kg", "scatter.T_min", "unknown unit 'kg'"),
    (("scatter", "eps_grid"), [1e-3, 1e-4], "scatter.eps_grid[1]", "values must increase"),
    (("scatter", "eps_grid"), {"min": 1e-3, "max": 1.0}, "scatter.eps_grid.points", "missing"),
    (("scatter", "eps_grid"), [0.0, 1.0], "scatter.eps_grid[0]", "out of range"),
    (("sources", "width"), "  ", "sources.width", "empty source text"),
    (("sources", "radius"), "x", "sources.radius", "which is not set"),
    (("sources", "T_min"), None, "sources.T_min", "missing source"),
    (("scatter", "height"), None, "scatter.height", "missing required key for shape = 'box'"),
    (("detector", "module"), "spectrometer", "detector.module", "allowed: 'scatter'"),
    (("ship",), {}, "ship", "unknown key"),
]


@pytest.mark.parametrize("where, value, key, needle", BAD)
def test_bad_cards_are_one_line_errors(where, value, key, needle):
    t = _card_table()
    target = t
    for part in where[:-1]:
        target = target[part]
    if value is None:
        del target[where[-1]]
    else:
        target[where[-1]] = value
    if where == ("scatter", "radius"):
        t["sources"]["radius"] = "test"
    with pytest.raises(ConfigError) as exc:
        scatter_card(t, file="ship.toml")
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(f"ship.toml: key '{key}': ")
    assert needle in msg and exc.value.key == key
