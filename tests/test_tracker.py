"""The "tracker" detector module (issue 8, item 2): geometry, range tables, the Poisson
probabilities, eps scaling, stopping before the gas, bad cards, a real ee batch."""

from __future__ import annotations

import math
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from hepunits import cm, eV, keV, m as metre

from mcpgen.constants import CHI_PDGID
from mcpgen.detectors.tracker import (TRACKER_KEYS, Tracker, TrackerCard, card_reference,
                                      ionising_interval, pair_probability, paths,
                                      range_table, tracker_card)
from mcpgen.errors import ConfigError
from mcpgen.io.record import EventBatch
from mcpgen.physics.delta_rays import delta_ray_mean_number
from mcpgen.physics.ionisation import (T_from_beta, csda_range,
                                       ionisation_per_length, transport_slab)
from mcpgen.units import read_toml

M = 1499.0
CARD_FILE = str(files("mcpgen") / "data" / "detectors" / "stcf_tracker.toml")
REPO_CARD = Path(__file__).resolve().parents[1] / "detectors" / "stcf_tracker.toml"


def make_batch(beta_theta_chi, beta_theta_chibar, vz=None):
    """Events with chi, chibar of mass M at (beta, polar angle) each, azimuth 0 / pi."""
    n = len(beta_theta_chi)
    k = 2
    px, py, pz, E = (np.zeros((n, k)) for _ in range(4))
    for j, (rows, phi) in enumerate(((beta_theta_chi, 0.0), (beta_theta_chibar, math.pi))):
        for i, (b, th) in enumerate(rows):
            g = 1.0 / math.sqrt(1.0 - b * b)
            p = M * b * g
            px[i, j], py[i, j] = p * math.sin(th) * math.cos(phi), p * math.sin(th) * math.sin(phi)
            pz[i, j], E[i, j] = p * math.cos(th), M * g
    z = np.zeros(n)
    return EventBatch(weight=np.ones(n), pdgid=np.tile(np.array([CHI_PDGID, -CHI_PDGID],
                                                                 np.int32), (n, 1)),
                      status=np.ones((n, k), np.int32), px=px, py=py, pz=pz, E=E,
                      mass=np.full((n, k), M), vx=z, vy=z, vz=z if vz is None else np.asarray(vz),
                      names=("chi", "chibar"))


def card(**kw):
    args = dict(name="test", eps_grid=(1e-4, 1e-3, 1e-2, 0.1, 1.0))
    args.update(kw)
    return TrackerCard(**args)


# ------------------------------------------------------------------------- geometry
def test_paths_hand_cases():
    c = card(radius=1000.0, inner_radius=200.0, length=2000.0, pipe_radius=30.0,
             pipe_thickness=1.0, wall_thickness=2.0)
    th = np.array([math.pi / 2, math.pi / 3, 0.3, 0.0])
    d = np.stack([np.sin(th), np.zeros(4), np.cos(th)], axis=1)
    o = np.zeros((4, 3))
    pipe, wall, gas, t_in = paths(c, o, d)
    s = np.sin(th)
    # barrel: (r2 - r1)/sin(theta); theta = 0.3 leaves through the end cap at z = 1 m
    assert pipe[:3] == pytest.approx(1.0 / s[:3], rel=1e-12)
    assert wall[:3] == pytest.approx(2.0 / s[:3], rel=1e-12)
    assert gas[:2] == pytest.approx(800.0 / s[:2], rel=1e-12)
    assert gas[2] == pytest.approx(1000.0 / math.cos(0.3) - 200.0 / s[2], rel=1e-12)
    assert t_in[:3] == pytest.approx(200.0 / s[:3], rel=1e-12)
    assert pipe[3] == wall[3] == gas[3] == 0.0        # along the beam: never in the barrel
    # a displaced vertex (z = 500 mm) at 45 degrees: the end cap at z = 1 m is reached at
    # t = 500 sqrt(2), inside the gas
    d45 = np.array([[math.sqrt(0.5), 0.0, math.sqrt(0.5)]])
    _, _, gas, t_in = paths(c, np.array([[0.0, 0.0, 500.0]]), d45)
    assert gas[0] == pytest.approx(500.0 * math.sqrt(2) - 200.0 * math.sqrt(2), rel=1e-12)


# ---------------------------------------------------------------- range tables
@pytest.mark.parametrize("material", ["propane", "beryllium", "aluminium", "carbon_fibre"])
def test_range_table_against_quadrature(material):
    """r(beta) M = csda_range (scipy quad, independent of the trapezoid table): 1e-4."""
    tab = range_table(material, M)
    beta = np.array([1e-3, 4e-3, 0.02, 0.07, 0.3])
    ref = csda_range(T_from_beta(beta, M), M, 1.0, material)
    assert M * tab.r(beta) == pytest.approx(ref, rel=2e-4)
    assert tab.beta(tab.r(beta)) == pytest.approx(beta, rel=1e-10)


def test_transport_against_stepping():
    """Energy after the wall from range tables = transport_slab's stepping (2e-3)."""
    mod = Tracker(card(inner_radius=100.0, wall_material="aluminium", wall_thickness=1.0))
    beta0 = np.array([0.01, 0.03, 0.05])
    for eps in (1e-3, 3e-3):
        b_in, _, _ = mod.transport(beta0, M, np.zeros(3), np.full(3, 1.0), np.zeros(3), [eps])
        T_ref, _, stop = transport_slab(T_from_beta(beta0, M), M, eps, 1.0, "aluminium")
        assert not stop.any()
        assert T_from_beta(b_in[:, 0], M) == pytest.approx(T_ref, rel=2e-3)


def test_slow_chi_stops_in_the_wall():
    """beta = 0.01 in 2 mm aluminium: R(eps) = R_1/eps^2 < 2 mm for eps >~ 4e-3 (at
    eps = 1 the range is a few um): no gas energy, probability 0; at eps = 1e-4 it is
    unchanged."""
    c = card(inner_radius=100.0, wall_material="aluminium", wall_thickness=2.0,
             signature="delta", eps_grid=(1e-4, 1e-2, 1e-1, 1.0))
    R1 = float(csda_range(T_from_beta(0.01, M), M, 1.0, "aluminium")[()])
    assert R1 < 2e-3
    mod = Tracker(c, eps_ref=0.1)
    b = make_batch([(0.01, math.pi / 2)], [(0.06, math.pi / 2)])
    mod.apply(b, None, np.random.default_rng(0))
    assert b.det_T_gas_chi[0] == 0.0 and b.det_T_gas_chibar[0] > 0.0
    assert b.det_eff_table[0, 1:] == pytest.approx([0, 0, 0])
    b_in, _, _ = mod.transport(np.array([0.01]), M, np.zeros(1), np.full(1, 2.0), np.zeros(1),
                            [1e-4])
    assert b_in[0, 0] == pytest.approx(0.01, rel=1e-4)     # loses ~1e-5 of beta


# ------------------------------------------------------------ Poisson and signatures
def test_pair_probability_against_double_sum():
    from scipy.stats import poisson

    for mu1, mu2, n_each, m in ((0.3, 2.0, 2, 4), (1.5, 0.7, 1, 4), (3.0, 5.0, 2, 7),
                                (0.01, 0.02, 1, 1)):
        k = np.arange(60)
        p1, p2 = poisson.pmf(k, mu1), poisson.pmf(k, mu2)
        ok = (k[:, None] >= n_each) & (k[None, :] >= n_each) & (k[:, None] + k[None, :] >= m)
        ref = (p1[:, None] * p2[None, :] * ok).sum()
        assert float(pair_probability(mu1, mu2, n_each, m)) == pytest.approx(ref, rel=1e-10)
    # seed's case: 2 each -> 4 in total is automatic: Q(2)^2, 1 - e^-mu (1 + mu)
    q = lambda mu: 1 - math.exp(-mu) * (1 + mu)  # noqa: E731
    assert float(pair_probability(0.5, 1.5, 2, 4)) == pytest.approx(q(0.5) * q(1.5), rel=1e-12)


def test_delta_thin_limit_eps_scaling():
    """Thin limit: mu = eps^2 nu_1(beta) L (no slowing), P ~ (mu^2/2)^2 ~ eps^8."""
    grid = (1e-6, 1e-5, 1e-4)
    c = card(signature="delta", eps_grid=grid)
    mod = Tracker(c, eps_ref=1e-5)
    beta = 0.05
    b = make_batch([(beta, math.pi / 2)], [(beta, math.pi / 2)])
    mod.apply(b, None, np.random.default_rng(0))
    nu1 = float(delta_ray_mean_number(1 * keV, T_from_beta(beta, M), M, 1.0, "propane"))
    mu = 1e-10 * nu1 * 1000.0
    assert b.det_mu_chi[0] == pytest.approx(mu, rel=1e-3)
    assert b.det_eff[0] == pytest.approx((mu**2 / 2) ** 2, rel=3e-3)
    p = b.det_eff_table[0]
    assert np.log(p[1:] / p[:-1]) / np.log(10.0) == pytest.approx([8, 8], rel=1e-3)
    # below the delta threshold (W_max = 2 m_e beta^2 < T_min: beta < 0.0313) nothing
    b = make_batch([(0.03, 1.0)], [(0.03, 2.0)])
    mod.apply(b, None, np.random.default_rng(0))
    assert b.det_eff_table[0] == pytest.approx([0, 0, 0])


def test_ionisation_interval_and_length():
    """b_lo, b_hi solve eps^2 dE/dx_1 = I_min; a chi inside the band over its whole gas
    path has L_ion = the path; below eps ~ 3.2e-3 the band is empty (PSTAR peak
    2.36 MeV/cm x eps^2 < 25 eV/cm)."""
    tab = range_table("propane", M)
    eps = np.array([2e-3, 5e-3, 2e-2])
    lo, hi = ionising_interval(tab, eps, 25 * eV / cm)
    assert lo[0] == hi[0]
    for i in (1, 2):
        for b in (lo[i], hi[i]):
            dedx = float(ionisation_per_length(b, M, eps[i], "propane"))
            assert dedx == pytest.approx(25 * eV / cm, rel=2e-3)
    # eps = 1e-2: band beta in [lo, hi] ~ [1.0e-3, 0.05]; a chi at beta = 0.02 barely
    # slows over 0.8 m (range ~ (1e2)^2 x 2 mm = 20 m)
    c = card(inner_radius=200.0, eps_grid=(1e-3, 1e-2))
    mod = Tracker(c, eps_ref=1e-2)
    b = make_batch([(0.02, math.pi / 2)], [(0.02, math.pi / 4)])
    mod.apply(b, None, np.random.default_rng(0))
    assert b.det_ion_len_chi[0] == pytest.approx(800.0, rel=1e-9)
    assert b.det_ion_len_chibar[0] == pytest.approx(800.0 * math.sqrt(2), rel=1e-9)
    assert b.det_eff_table[0].tolist() == [0.0, 1.0] and b.det_eff[0] == 1.0
    assert b.det_nhit_chi[0] == 16 and b.det_nhit_chibar[0] == 22     # every 5 cm
    # L_min: a chi that stops after < 10 cm of ionising path is not seen
    c = card(eps_grid=(0.2, 0.3))
    mod = Tracker(c, eps_ref=0.3)
    b = make_batch([(0.01, math.pi / 2)], [(0.02, math.pi / 2)])
    mod.apply(b, None, np.random.default_rng(0))
    assert 0 < b.det_ion_len_chi[0] < 10 * cm and b.det_eff[0] == 0.0


def test_layered_tracker_hits_are_layer_crossings():
    """With layers = N the ionisation hits are the layer radii the ionising path crosses:
    a chi that barely slows crosses every layer, at r = R_k exactly (no smearing), so a
    chi at 90 degrees has its hits at t = R_k and one at 45 degrees at t = sqrt(2) R_k;
    a chi stopping inside the gas crosses only the layers below its stopping radius
    (counted by hand from its ionising path)."""
    c = card(inner_radius=200.0, layers=8, hit_resolution=0.0, eps_grid=(1e-3, 1e-2))
    radii = 200.0 + 100.0 * (np.arange(8) + 0.5)       # cell centres of 8 x 10 cm
    mod = Tracker(c, eps_ref=1e-2)
    b = make_batch([(0.02, math.pi / 2)], [(0.02, math.pi / 4)])
    mod.apply(b, None, np.random.default_rng(0))
    assert b.det_nhit_chi[0] == 8 and b.det_nhit_chibar[0] == 8
    offsets, hits = b.collections["det_hit"]
    t = np.asarray(hits["t"])
    parent = np.asarray(hits["parent"])
    assert np.allclose(t[parent == 0], radii, rtol=1e-12)
    assert np.allclose(t[parent == 1], math.sqrt(2) * radii, rtol=1e-12)
    r = np.hypot(hits["x"], hits["y"])
    assert np.allclose(np.sort(r), np.sort(np.concatenate([radii, radii])), rtol=1e-12)
    # a slow chi that stops in the gas: the layers crossed while it ionises, by hand
    mod = Tracker(card(inner_radius=200.0, layers=8, eps_grid=(0.01, 0.05)), eps_ref=0.05)
    b = make_batch([(0.012, math.pi / 2)], [(0.02, math.pi / 2)])
    mod.apply(b, None, np.random.default_rng(0))
    L = b.det_ion_len_chi[0]
    lo, hi = ionising_interval(range_table("propane", M), np.array([0.05]), 25 * eV / cm)
    start = 200.0 + M * (range_table("propane", M).r(0.012) - range_table("propane", M).r(
        min(hi[0], 0.012))) / 0.05 ** 2
    assert 0 < L < 800.0
    assert b.det_nhit_chi[0] == np.count_nonzero((radii >= start) & (radii <= start + L))


# ------------------------------------------------------------------------- cards
def test_builtin_card_and_copy():
    assert Path(CARD_FILE).read_text() == REPO_CARD.read_text()
    t, _ = read_toml(CARD_FILE)
    c = tracker_card(t, file=CARD_FILE, builtin="stcf_tracker")
    assert c.radius == 1 * metre and c.gas == "propane" and c.L_min == 10 * cm
    assert c.I_min == pytest.approx(25 * eV / cm) and c.T_min == pytest.approx(1 * keV)
    assert c.n_delta == 2 and c.min_hits == 4 and c.pipe_thickness == 0.0
    assert "seed 004" in c.source("I_min") and c.source("inner_radius").startswith("default")
    ref = card_reference()
    assert all(f"`tracker.{k}`" in ref for k in TRACKER_KEYS)


def _table(**tracker):
    t, _ = read_toml(CARD_FILE)
    t["tracker"].update(tracker)
    for k in tracker:
        t["sources"].setdefault(k, "test")
    return t


@pytest.mark.parametrize("change, key", [
    (dict(radius="0 m"), "tracker.radius"),
    (dict(length=0), "tracker.length"),
    (dict(gas="argon"), "tracker.gas"),
    (dict(pipe_material="unobtainium"), "tracker.pipe_material"),
    (dict(wall_thickness="-1 mm"), "tracker.wall_thickness"),
    (dict(pipe_thickness=-0.5), "tracker.pipe_thickness"),
    (dict(inner_radius="2 m"), "tracker.inner_radius"),
    (dict(signature="photon"), "tracker.signature"),
    (dict(I_min=-3.0), "tracker.I_min"),
    (dict(n_delta=0), "tracker.n_delta"),
    (dict(pipe_radius="50 cm", pipe_thickness="1 mm", inner_radius="30 cm"),
     "tracker.pipe_radius"),
    (dict(radiuss="1 m"), "tracker.radiuss"),
])
def test_bad_cards(change, key):
    with pytest.raises(ConfigError) as err:
        tracker_card(_table(**change), file="my.toml")
    msg = str(err.value)
    assert "\n" not in msg and "my.toml" in msg and key in msg


def test_missing_source():
    t, _ = read_toml(CARD_FILE)
    t["tracker"]["inner_radius"] = "10 cm"
    with pytest.raises(ConfigError, match="sources.inner_radius"):
        tracker_card(t, file="my.toml")


# ---------------------------------------------------------------- a real ee batch
@pytest.fixture(scope="module")
def ee_batch():
    from mcpgen.processes.ee_annihilation import EEProcess
    from mcpgen.sources.collider import ColliderSource

    src = ColliderSource(sqrt_s=3000., luminosity=100., energy_spread=2.1, isr="kuraev-fadin")
    proc = EEProcess(src, 1499.0, EEProcess.settings(None, None), 11)
    proc.integrate(1e-2, 10**6)
    n = 4000
    return src, lambda: proc.block(0, n, n, False)


@pytest.mark.parametrize("signature", ["ionisation", "delta"])
def test_ee_batch(ee_batch, signature):
    src, make = ee_batch
    t, _ = read_toml(CARD_FILE)
    t["tracker"]["signature"] = t["sources"]["signature"] = signature
    t["sources"]["signature"] = "test"
    mod = Tracker(tracker_card(t, file=CARD_FILE))
    mod.eps_ref = 1.0
    b = make()
    mod.apply(b, src, np.random.default_rng(5))
    n = len(b)
    assert n > 1000
    assert b.det_eff_table.shape == (n, len(mod.card.eps_grid))
    assert mod.card.eps_grid[-1] == 1.0
    assert b.det_eff == pytest.approx(b.det_eff_table[:, -1], abs=1e-15)
    assert np.all((b.det_eff_table >= 0) & (b.det_eff_table <= 1))
    assert b.det_pass.tolist() == np.any(b.det_eff_table > 0, axis=1).tolist()
    assert b.det_pass.mean() > 0.3
    # no material before the gas: the chi enters with its produced kinetic energy
    beta = np.hypot(np.hypot(b.px[:, -2], b.py[:, -2]), b.pz[:, -2]) / b.E[:, -2]
    inside = b.det_gas_path_chi > 0
    assert b.det_T_gas_chi[inside] == pytest.approx((b.E[:, -2] - M)[inside], rel=1e-9)
    assert np.all(beta < 0.1)
    S = (b.weight[:, None] * b.det_eff_table).sum(axis=0)
    grid = np.array(mod.card.eps_grid)
    assert S[grid < 1e-3].max() < 1e-6 * S.max()      # tiny eps: nothing seen
    off, f = b.collections["det_hit"]
    assert off[-1] == len(f["x"]) and np.all(np.diff(off) >= 0)
    r = np.hypot(f["x"], f["y"])
    assert np.all(r < 1000.0 + 1.0) and np.all(np.abs(f["z"]) < 1000.0 + 1.0)
    nstored = np.diff(off)
    assert np.all(nstored <= b.det_nhit_chi + b.det_nhit_chibar)
    if signature == "delta":    # at eps = 1 chi with beta > 0.0313 make delta electrons
        assert nstored.sum() > 0
        again = make()
        mod.apply(again, src, np.random.default_rng(5))
        assert np.array_equal(again.collections["det_hit"][1]["x"], f["x"])


def test_delta_mean_with_slowing_against_quadrature():
    """mu = int eps^2 nu_1 dx = int_{T_out}^{T_in} nu_1(T)/(rho S_1(T)) dT (scipy quad), with
    T_out from transport_slab's stepping (independent of the range tables): 2e-3.  Over a
    full stopping path mu does not depend on eps."""
    from scipy.integrate import quad

    from mcpgen.physics.ionisation import stopping_power

    beta, L = 0.06, 800.0
    T0 = float(T_from_beta(beta, M))
    c = card(signature="delta", inner_radius=200.0, eps_grid=(0.18, 0.3, 1.0))
    mod = Tracker(c, eps_ref=0.18)
    b = make_batch([(beta, math.pi / 2)], [(beta, math.pi / 2)])
    mod.apply(b, None, np.random.default_rng(0))
    T_out, _, stop = transport_slab(T0, M, 0.18, L, "propane")   # R = 1.5 L
    assert not stop and T_out < 0.8 * T0           # it slows down appreciably

    def f(T):
        bb = float(np.sqrt(T * (T + 2 * M)) / (T + M))
        return float(delta_ray_mean_number(1 * keV, T, M, 1.0, "propane")) / float(
            stopping_power(bb, M, 1.0, "propane"))

    ref = quad(f, float(T_out), T0, limit=200)[0]
    assert b.det_mu_chi[0] == pytest.approx(ref, rel=2e-3)
    full = quad(f, 1e-6, T0, points=[float(T_from_beta(0.0313, M))], limit=200)[0]
    for eps in (0.3, 1.0):                          # stops inside the gas
        mod.eps_ref = eps
        mod.apply(b, None, np.random.default_rng(0))
        assert b.det_mu_chi[0] == pytest.approx(full, rel=2e-3)
        hits = b.collections["det_hit"][1]
        assert np.all(hits["t"] >= 200.0) and np.all(hits["t"] <= 200.0 + L)


def test_card_round_trip_and_registry(monkeypatch):
    from mcpgen.detectors.cards import card_from_dict, detector_module
    from mcpgen.framework.registry import DETECTORS

    t, _ = read_toml(CARD_FILE)
    c = tracker_card(t, file=CARD_FILE)
    d = c.to_dict()
    again = tracker_card({k: d[k] for k in ("detector", "tracker", "sources")}, file="x")
    assert all(getattr(again, k) == pytest.approx(getattr(c, k)) for k in TRACKER_KEYS
               if k not in ("gas", "pipe_material", "wall_material", "signature"))
    monkeypatch.setitem(DETECTORS._entries, "tracker", "mcpgen.detectors.tracker:Tracker")
    card2 = card_from_dict(t, file=CARD_FILE)
    mod = detector_module(card2)
    assert isinstance(mod, Tracker) and mod.efficiency_model.kind == "table"
