"""Spectrometer module on synthetic events: cuts, recoil modes, efficiency, smearing, seeds."""

from dataclasses import replace

import numpy as np
import pytest

from mcpgen.detectors.cards import load_card
from mcpgen.detectors.spectrometer import SpectrometerCard, apply_spectrometer, recoil_angle
from mcpgen.io.record import EventBatch
from mcpgen.rng import block_rng

NAMES = ("l", "N", "l'", "N'", "gamma*", "chi", "chibar")
E0 = 100000.0  # MeV


def make_batch(E_lep, E_chi=None, E_chibar=None, theta=0.0):
    """Events with the given l' energy (and polar angle) and chi / chibar energies."""
    E_lep = np.asarray(E_lep, dtype=float)
    n, k = len(E_lep), len(NAMES)
    z = lambda: np.zeros((n, k))  # noqa: E731
    E, px, pz = z(), z(), z()
    j = NAMES.index("l'")
    E[:, j] = E_lep
    px[:, j] = E_lep * np.sin(theta)
    pz[:, j] = E_lep * np.cos(theta)
    E[:, NAMES.index("chi")] = 0.0 if E_chi is None else E_chi
    E[:, NAMES.index("chibar")] = 0.0 if E_chibar is None else E_chibar
    return EventBatch(weight=np.ones(n), pdgid=np.zeros((n, k), np.int32),
                      status=np.ones((n, k), np.int32), px=px, py=z(), pz=pz, E=E, mass=z(),
                      vx=np.zeros(n), vy=np.zeros(n), vz=np.zeros(n), E_beam=np.full(n, E0),
                      names=NAMES)


CARD = SpectrometerCard(name="test", x_th=0.5)


@pytest.mark.parametrize("x_th, E0_", [(0.5, 160000.0), (0.7, 8000.0), (0.5, 100000.0)])
def test_cut_boundary_lepton(x_th, E0_):
    cut = (1.0 - x_th) * E0_  # the same expression as in the module: the boundary is inclusive
    E = [0.0, np.nextafter(cut, 0.0), cut, np.nextafter(cut, np.inf), 0.9 * E0_, E0_]
    batch = make_batch(E)
    apply_spectrometer(batch, replace(CARD, x_th=x_th), E0_, None)
    assert batch.det_pass.tolist() == [True, True, True, False, False, False]
    assert np.array_equal(batch.det_E_rec, E)             # zero resolution: exact, deterministic
    assert batch.det_eff.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]


def test_visible_recoil_ignores_lepton():
    # pair energies 60, 50, 40 GeV -> visible 40, 50, 60 GeV; l' energies chosen to contradict
    batch = make_batch([90000.0, 90000.0, 0.0], E_chi=[30000.0, 20000.0, 10000.0],
                       E_chibar=[30000.0, 30000.0, 30000.0])
    apply_spectrometer(batch, replace(CARD, recoil="visible"), E0, None)
    assert batch.det_E_rec.tolist() == [40000.0, 50000.0, 60000.0]
    assert batch.det_pass.tolist() == [True, True, False]
    apply_spectrometer(batch, CARD, E0, None)              # lepton mode on the same events
    assert batch.det_pass.tolist() == [False, False, True]


def test_efficiency_and_angle_cut():
    theta = np.array([0.0, 0.009, 0.011, 0.5])
    batch = make_batch([10000.0] * 4, theta=theta)
    assert recoil_angle(batch) == pytest.approx(theta, abs=1e-15)
    apply_spectrometer(batch, replace(CARD, efficiency=0.8, theta_max=0.01), E0, None)
    assert batch.det_pass.tolist() == [True, True, False, False]
    assert batch.det_eff.tolist() == [0.8, 0.8, 0.0, 0.0]
    apply_spectrometer(batch, replace(CARD, efficiency=0.8), E0, None)  # theta_max = 0: no cut
    assert batch.det_pass.all() and np.all(batch.det_eff == 0.8)


def test_zero_resolution_draws_nothing():
    batch = make_batch(np.linspace(0, E0, 11))
    rng = np.random.default_rng(1)
    apply_spectrometer(batch, CARD, E0, rng)
    assert np.array_equal(batch.det_E_rec, np.linspace(0, E0, 11))
    assert rng.random() == np.random.default_rng(1).random()   # generator state untouched


def test_resolution_width():
    n, res, E_true = 200_000, 0.05, 40000.0
    batch = make_batch(np.full(n, E_true))
    apply_spectrometer(batch, replace(CARD, resolution=res), E0, np.random.default_rng(7))
    r = batch.det_E_rec / E_true - 1.0
    # Gaussian sample of n: the mean has standard error res/sqrt(n) = 1.1e-4 and the sample
    # standard deviation has relative standard error 1/sqrt(2n) = 0.16%; 5 sigma is allowed for
    # each.  Clipping at 0 is a 20-sigma effect here and cannot bias the check.
    assert abs(r.mean()) < 5 * res / np.sqrt(n)
    assert abs(r.std(ddof=1) / res - 1.0) < 5 / np.sqrt(2 * n)
    # at the boundary E_true = (1 - x_th) E0 half of the events pass: binomial, 5 sigma
    batch = make_batch(np.full(n, 0.5 * E0))
    apply_spectrometer(batch, replace(CARD, resolution=res), E0, np.random.default_rng(8))
    assert abs(batch.det_pass.mean() - 0.5) < 5 * 0.5 / np.sqrt(n)


def test_smearing_clipped_at_zero():
    batch = make_batch(np.full(10_000, 1000.0))
    apply_spectrometer(batch, replace(CARD, resolution=1.0), E0, np.random.default_rng(3))
    assert batch.det_E_rec.min() == 0.0          # P(z < -1) = 16%: many clipped events
    assert batch.det_pass.all()


def test_same_seed_same_result_and_blocks():
    E = np.linspace(40000.0, 60000.0, 1000)
    card = replace(CARD, resolution=0.1)
    runs = []
    for seed in (11, 11, 12):
        batch = make_batch(E)
        apply_spectrometer(batch, card, E0, block_rng(seed, "detector", 0))
        runs.append((batch.det_E_rec, batch.det_pass))
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    assert not np.array_equal(runs[0][0], runs[2][0])
    # one Generator per block: block 1 is the same whether or not block 0 was processed first
    lone = make_batch(E)
    apply_spectrometer(lone, card, E0, block_rng(11, "detector", 1))
    assert not np.array_equal(lone.det_E_rec, runs[0][0])
    again = make_batch(E)
    apply_spectrometer(again, card, E0, block_rng(11, "detector", 1))
    assert np.array_equal(lone.det_E_rec, again.det_E_rec)


def test_builtin_cards_on_events():
    batch = make_batch([0.2 * 8000.0, 0.35 * 8000.0])
    apply_spectrometer(batch, load_card("ldmx"), 8000.0, None)
    assert batch.det_pass.tolist() == [True, False]       # E_rec <= 0.3 E0
    batch = make_batch([0.45 * 160000.0, 0.55 * 160000.0])
    apply_spectrometer(batch, load_card("na64mu"), 160000.0, None)
    assert batch.det_pass.tolist() == [True, False]       # E_rec <= 0.5 E0


def test_nonzero_resolution_needs_generator():
    with pytest.raises(ValueError, match="Generator"):
        apply_spectrometer(make_batch([1.0]), replace(CARD, resolution=0.1), E0, None)
