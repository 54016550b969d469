"""Yields, eps limits, CSV outputs and the reach plot (mcpgen.analysis.yields, .plots).

Yield formula: seed 001 eq. (12) / seed 002 eq. (4), N = LOT n_T L_T sigma;
the hand calculation below uses PDG lead (rho = 11.35 g/cm^3, A = 207.2).
"""

import csv
import math
import os

import numpy as np
import pytest
from hepunits import cm, mm

from mcpgen.analysis.yields import (
    YieldPoint,
    atomic_path,
    compute_yield,
    eps_limit_from_yield,
    read_yields_csv,
    write_limits_csv,
    write_yields_csv,
    yields_from_files,
)
from mcpgen.errors import ConfigError
from mcpgen.io.record import EventBatch
from mcpgen.sources.materials import get_material

PB_N_PER_CM3 = 11.35 * 6.02214076e23 / 207.2  # = 3.2988e22 nuclei / cm^3


def make_batch(weights, det_pass=None, det_eff=None):
    w = np.asarray(weights, dtype=np.float64)
    n, k = len(w), 2
    z = np.zeros((n, k))
    return EventBatch(
        weight=w, pdgid=np.zeros((n, k), np.int32), status=np.ones((n, k), np.int32),
        px=z, py=z, pz=z, E=z, mass=z, vx=np.zeros(n), vy=np.zeros(n), vz=np.zeros(n),
        E_beam=np.full(n, 160e3), names=("chi", "chibar"),
        det_pass=None if det_pass is None else np.asarray(det_pass, bool),
        det_eff=None if det_eff is None else np.asarray(det_eff, np.float64),
    )


def pb_yield(batch, eps=1.0, m=100.0, s_up=2.3, lot=1e14, label="NA64mu"):
    pb = get_material("Pb")
    return compute_yield(batch, {"m_chi_MeV": m, "eps": eps}, lot=lot,
                         n_target=pb.atoms_per_volume(), length=22.5 * cm, s_up=s_up, label=label)


# ----------------------------------------------------------------- yields
def test_hand_calculation_lead():
    assert get_material("Pb").atoms_per_volume() * cm**3 == pytest.approx(3.2988e22, rel=1e-4)
    # sigma = 1 pb spread over 4 events, LOT = 1e14, L = 22.5 cm:
    # N = 1e14 * 3.2988e22 cm^-3 * 22.5 cm * 1e-36 cm^2 = 74.22
    p = pb_yield(make_batch([0.25] * 4))
    hand = 1e14 * PB_N_PER_CM3 * 22.5 * 1e-36
    assert hand == pytest.approx(74.22, abs=0.01)
    assert p.n_per_eps2 == pytest.approx(hand, rel=1e-12)
    assert p.sigma_sel_pb == pytest.approx(1.0)
    assert p.sigma_sel_err_pb == pytest.approx(math.sqrt(4 * 0.25**2))
    assert p.length_mm == pytest.approx(225.0)
    assert p.n_target_per_mm3 * 1e3 == pytest.approx(PB_N_PER_CM3, rel=1e-12)
    assert p.m_chi == 100.0 and p.label == "NA64mu" and p.lot == 1e14 and p.s_up == 2.3
    # eps limit: N(eps) = 74.22 eps^2 = 2.3
    assert p.eps_limit == pytest.approx(math.sqrt(2.3 / hand), rel=1e-12)


def test_eps_scaling_independent_of_reference_eps():
    # weights generated at eps_ref scale as eps_ref^2: the limit must not depend on eps_ref
    base = pb_yield(make_batch([0.1, 0.2, 0.05]), eps=1.0)
    for eps_ref in (1e-4, 3e-3, 0.5):
        p = pb_yield(make_batch(np.array([0.1, 0.2, 0.05]) * eps_ref**2), eps=eps_ref)
        assert p.eps_ref == eps_ref
        assert p.n_per_eps2 == pytest.approx(base.n_per_eps2, rel=1e-12)
        assert p.eps_limit == pytest.approx(base.eps_limit, rel=1e-12)
    # N(eps_limit) = s_up and N scales as eps^2
    assert base.n_expected(base.eps_limit) == pytest.approx(base.s_up, rel=1e-12)
    assert base.n_expected(2e-3) / base.n_expected(1e-3) == pytest.approx(4.0)


def test_s_up_scaling():
    a = pb_yield(make_batch([1.0]), s_up=2.3)
    b = pb_yield(make_batch([1.0]), s_up=3.0)
    assert b.eps_limit / a.eps_limit == pytest.approx(math.sqrt(3.0 / 2.3))


def test_no_reach_gives_nan_without_warnings():
    # N(eps = 1) = 74.2 * 1e-3 < 2.3: the limit would be above eps = 1
    p = pb_yield(make_batch([1e-3]))
    assert math.isnan(p.eps_limit)
    # nothing passes the detector
    q = pb_yield(make_batch([1.0, 2.0], det_pass=[False, False]))
    assert q.sigma_sel_pb == 0.0 and q.n_per_eps2 == 0.0 and math.isnan(q.eps_limit)
    # empty file
    assert math.isnan(pb_yield(make_batch([])).eps_limit)
    # exactly at the edge: eps_limit = 1
    assert eps_limit_from_yield(2.3, 2.3) == 1.0
    assert math.isnan(eps_limit_from_yield(2.2999, 2.3))


def test_detector_efficiency_and_failing_events():
    batch = make_batch([1.0, 1.0, 1.0, 1.0], det_pass=[True, False, True, True],
                       det_eff=[0.5, 1.0, 1.0, 0.25])
    p = pb_yield(batch)
    assert p.sigma_sel_pb == pytest.approx(0.5 + 1.0 + 0.25)
    assert p.sigma_sel_err_pb == pytest.approx(math.sqrt(0.25 + 1.0 + 0.0625))
    full = pb_yield(make_batch([1.0] * 4))
    assert p.n_per_eps2 / full.n_per_eps2 == pytest.approx(1.75 / 4.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="efficiencies"):
        pb_yield(make_batch([1.0], det_eff=[1.5]))
    with pytest.raises(ValueError, match="non-finite"):
        pb_yield(make_batch([np.nan]))
    with pytest.raises(ValueError, match="s_up"):
        pb_yield(make_batch([1.0]), s_up=0.0)
    with pytest.raises(ValueError, match="eps"):
        pb_yield(make_batch([1.0]), eps=0.0)
    with pytest.raises(KeyError, match="m_chi_MeV"):
        compute_yield(make_batch([1.0]), {"eps": 1.0}, lot=1, n_target=1, length=1, s_up=1)


# ------------------------------------------------------------ from files
def _meta(**kw):
    meta = {"m_chi_MeV": 50.0, "eps": 1e-3, "label": "LDMX", "leptons_on_target": 2e16,
            "n_target_per_mm3": get_material("Al").atoms_per_volume(), "target_length_mm": 35.6}
    meta.update(kw)
    return meta


def test_yields_from_files_uses_metadata(monkeypatch, tmp_path):
    import mcpgen.io.root as root

    files = {"a.root": (make_batch([1e-6, 2e-6]), _meta()),
             "b.root": (make_batch([1e-6]), _meta(m_chi_MeV=100.0, label=""))}
    monkeypatch.setattr(root, "read_events", lambda path: files[os.path.basename(path)])
    pts = yields_from_files([tmp_path / "a.root", tmp_path / "b.root"], s_up=2.3)
    assert [p.m_chi for p in pts] == [50.0, 100.0]
    assert pts[0].label == "LDMX" and pts[1].label == "b"  # empty label -> file stem
    meta = _meta()
    expect = (2e16 * meta["n_target_per_mm3"] * 35.6 * 3e-6 * 1e-34) / 1e-6
    assert pts[0].n_per_eps2 == pytest.approx(expect, rel=1e-12)
    # overrides
    over = yields_from_files([tmp_path / "a.root"], s_up=2.3, lot=1e16, length=10 * mm,
                             label="override")
    assert over[0].lot == 1e16 and over[0].length_mm == 10.0 and over[0].label == "override"
    assert over[0].n_per_eps2 == pytest.approx(expect * (1e16 / 2e16) * (10 / 35.6), rel=1e-12)


def test_yields_from_files_missing_key(monkeypatch, tmp_path):
    import mcpgen.io.root as root

    meta = _meta()
    del meta["target_length_mm"]
    monkeypatch.setattr(root, "read_events", lambda path: (make_batch([1.0]), meta))
    with pytest.raises(ConfigError, match="target_length_mm") as err:
        yields_from_files([tmp_path / "x.root"], s_up=2.3)
    assert err.value.key == "target_length_mm" and "x.root" in str(err.value)
    # the override makes the key unnecessary
    assert len(yields_from_files([tmp_path / "x.root"], s_up=2.3, length=1.0)) == 1


def test_yields_from_real_root_file(tmp_path):
    pytest.importorskip("uproot")
    from mcpgen.io.root import write_events

    batch = make_batch([2e-7, 3e-7, 5e-7], det_pass=[True, True, False], det_eff=[1.0, 0.5, 1.0])
    path = write_events(tmp_path / "run.root", batch, _meta())
    (p,) = yields_from_files([path], s_up=3.0)
    assert p.sigma_sel_pb == pytest.approx(2e-7 + 1.5e-7, rel=1e-12)
    direct = compute_yield(batch, _meta(), lot=2e16, n_target=_meta()["n_target_per_mm3"],
                           length=35.6, s_up=3.0, label="LDMX")
    assert p == direct


# ----------------------------------------------------------------- CSV
def _points():
    a = pb_yield(make_batch([0.3, 0.7]), m=10.0, label="NA64mu")
    b = pb_yield(make_batch([1e-5]), m=1000.0, label="NA64mu")          # no reach
    c = pb_yield(make_batch([0.02]), m=50.0, label="NA64e, 100 GeV")    # comma in label
    return [b, a, c]


def test_yields_csv_round_trip(tmp_path):
    pts = _points()
    path = tmp_path / "yields.csv"
    write_yields_csv(pts, path)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["label", "m_chi_MeV", "eps_ref", "sigma_sel_pb", "sigma_sel_err_pb",
                             "n_per_eps2", "lot", "n_target_per_mm3", "length_mm", "s_up",
                             "eps_limit"]
    assert len(rows) == 3
    for row, p in zip(rows, pts):
        assert row["label"] == p.label
        assert float(row["m_chi_MeV"]) == p.m_chi
        assert float(row["n_per_eps2"]) == p.n_per_eps2  # repr: exact round trip
        assert float(row["sigma_sel_err_pb"]) == p.sigma_sel_err_pb
        if math.isnan(p.eps_limit):
            assert row["eps_limit"] == ""
        else:
            assert float(row["eps_limit"]) == p.eps_limit
    back = read_yields_csv(path)
    for q, p in zip(back, pts):
        for name in YieldPoint.__dataclass_fields__:
            x, y = getattr(q, name), getattr(p, name)
            assert (x == y) or (isinstance(x, float) and math.isnan(x) and math.isnan(y))


def test_limits_csv(tmp_path):
    path = tmp_path / "limits.csv"
    write_limits_csv(_points(), path)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) >= {"label", "m_chi_MeV", "eps_limit"}
    # grouped by label (first appearance), sorted by mass
    assert [(r["label"], float(r["m_chi_MeV"])) for r in rows] == [
        ("NA64mu", 10.0), ("NA64mu", 1000.0), ("NA64e, 100 GeV", 50.0)]
    assert rows[1]["eps_limit"] == ""
    assert float(rows[0]["eps_limit"]) > 0


def test_atomic_writes_leave_no_temporaries(tmp_path):
    path = tmp_path / "yields.csv"
    write_yields_csv(_points(), path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            with open(tmp, "w") as fh:
                fh.write("partial")
            raise RuntimeError("interrupted")
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["yields.csv"]


# ----------------------------------------------------------------- plot
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_reach_plot_png(tmp_path):
    from mcpgen.analysis.plots import reach_plot

    path = tmp_path / "reach.pdf"  # the extension must not change the format
    fig = reach_plot(_points(), path, title="test",
                     references=[("seed 001 Fig. 2", [10.0, 100.0], [1e-4, 1e-3])])
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert sorted(os.listdir(tmp_path)) == ["reach.pdf"]
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    styles = {ln.get_label(): ln.get_linestyle() for ln in ax.get_lines()}
    assert styles["seed 001 Fig. 2"] == "--"
    assert styles["NA64mu"] == "-"
    # the NaN point is not drawn
    (na64mu,) = [ln for ln in ax.get_lines() if ln.get_label() == "NA64mu"]
    assert list(na64mu.get_xdata()) == [10.0]


def test_reach_plot_all_nan(tmp_path):
    from mcpgen.analysis.plots import reach_plot

    pts = [pb_yield(make_batch([1e-6]), m=m) for m in (10.0, 100.0)]
    assert all(math.isnan(p.eps_limit) for p in pts)
    path = tmp_path / "reach.png"
    fig = reach_plot(pts, path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert any(t.get_text() == "no reach" for t in fig.axes[0].texts)
    # and with no points at all
    reach_plot([], tmp_path / "empty.png")
    assert (tmp_path / "empty.png").read_bytes()[:8] == PNG_MAGIC


def test_import_does_not_load_matplotlib():
    import subprocess
    import sys

    code = ("import sys, mcpgen.analysis.plots, mcpgen.analysis.yields, mcpgen.analysis.limits;"
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
