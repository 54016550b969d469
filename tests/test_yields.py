"""Yields, eps limits, CSV output and the reach plot."""

import csv
import math

import numpy as np
import pytest
from hepunits import cm

from mcpgen.analysis.limits import signal_upper_limit
from mcpgen.analysis.plots import reach_plot
from mcpgen.analysis.yields import compute_yield, write_limits_csv, write_yields_csv
from mcpgen.io.record import EventBatch
from mcpgen.sources.materials import get_material


def batch(weights, passed=None, eff=None):
    n = len(weights)
    z = np.zeros((n, 2))
    b = EventBatch(weight=np.asarray(weights, float), pdgid=z.astype(np.int32), status=z.astype(np.int32),
                   px=z, py=z, pz=z, E=z, mass=z, vx=np.zeros(n), vy=np.zeros(n), vz=np.zeros(n),
                   E_beam=np.zeros(n), names=("a", "b"))
    if passed is not None:
        b.det_pass = np.asarray(passed)
    if eff is not None:
        b.det_eff = np.asarray(eff, float)
    return b


PB = get_material("Pb")


def test_hand_calculation():
    # Pb, L = 22.5 cm, sigma = 1 pb, LOT = 1e14:
    # N = 1e14 x 3.2988e22 cm^-3 x 22.5 cm x 1e-36 cm^2 = 74.22 (n_T from PDG density and A)
    p = compute_yield(batch([0.25] * 4), {"m_chi_MeV": 10.0, "eps": 1.0}, lot=1e14,
                      n_target=PB.atoms_per_volume(), length=22.5 * cm, s_up=3.0)
    assert p.n_per_eps2 == pytest.approx(1e14 * 3.29881e22 * 22.5 * 1e-36, rel=1e-4)
    assert p.eps_limit == pytest.approx(math.sqrt(3.0 / p.n_per_eps2))
    assert p.sigma_sel_err_pb == pytest.approx(0.5)


def test_eps_scaling_and_no_reach():
    kw = dict(lot=1e14, n_target=PB.atoms_per_volume(), length=22.5 * cm, s_up=3.0)
    a = compute_yield(batch([1.0]), {"m_chi_MeV": 1.0, "eps": 1.0}, **kw)
    # weights stored at eps_ref = 1e-3 are 1e-6 smaller: same physics, same limit
    b = compute_yield(batch([1e-6]), {"m_chi_MeV": 1.0, "eps": 1e-3}, **kw)
    assert b.eps_limit == pytest.approx(a.eps_limit, rel=1e-12)
    assert b.n_per_eps2 == pytest.approx(a.n_per_eps2, rel=1e-12)
    # N(eps = 1) < s_up: no reach
    c = compute_yield(batch([1e-3]), {"m_chi_MeV": 1.0, "eps": 1.0}, **kw)
    assert math.isnan(c.eps_limit)


def test_detector_decision_counts():
    kw = dict(lot=1e14, n_target=PB.atoms_per_volume(), length=10.0, s_up=3.0)
    p = compute_yield(batch([1.0, 1.0, 1.0], passed=[True, False, True], eff=[1.0, 1.0, 0.5]),
                      {"m_chi_MeV": 1.0, "eps": 1.0}, **kw)
    assert p.sigma_sel_pb == pytest.approx(1.5)


def test_csv_round_trip(tmp_path):
    kw = dict(lot=1e14, n_target=PB.atoms_per_volume(), length=225.0, s_up=signal_upper_limit(0.95, "poisson", 0, -1))
    pts = [compute_yield(batch([w]), {"m_chi_MeV": m, "eps": 1.0}, label="X", **kw)
           for m, w in [(10.0, 1.0), (100.0, 1e-9)]]
    write_limits_csv(pts, tmp_path / "limits.csv")
    write_yields_csv(pts, tmp_path / "yields.csv")
    with open(tmp_path / "limits.csv") as f:
        rows = list(csv.DictReader(f))
    assert float(rows[0]["eps_limit"]) == pts[0].eps_limit and rows[1]["eps_limit"] == ""
    assert rows[0]["m_chi_MeV"] == "10.0" and rows[0]["label"] == "X"
    with open(tmp_path / "yields.csv") as f:
        y = list(csv.DictReader(f))
    assert float(y[0]["sigma_sel_pb"]) == 1.0 and "m_chi_MeV" in y[0]
    assert not list(tmp_path.glob(".*tmp*"))


def test_reach_plot(tmp_path):
    kw = dict(lot=1e14, n_target=PB.atoms_per_volume(), length=225.0, s_up=3.0)
    pts = [compute_yield(batch([w]), {"m_chi_MeV": m, "eps": 1.0}, label="A", **kw)
           for m, w in [(10.0, 1.0), (100.0, 0.1), (1000.0, 1e-12)]]
    reach_plot(pts, tmp_path / "r.png", title="t", references=[("seed", [10, 100], [1e-4, 7e-4])])
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    reach_plot(pts[2:], tmp_path / "n.png")
    assert (tmp_path / "n.png").stat().st_size > 1000
