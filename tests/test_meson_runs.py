"""Meson channels through the whole chain: steering -> events -> detector -> ROOT -> yields
-> limits, for a beam dump with the scatter module and for LDMX photoproduction with
the spectrometer; bad input gets one line and no output."""

import csv
import math

import numpy as np
import pytest

import mcpgen
from mcpgen.cli import main

from _framework_cases import LDMX_SETUP
from mcpgen.io.root import read_events

SPECTRUM = """\
# mcpgen meson spectrum table, format 1
# model = toy (tests)
meson,log10_p_lo,log10_p_hi,log10_theta_lo,log10_theta_hi,per_pot,stat_err
pi0,1.0,1.5,-3.0,-2.0,2.0,0.01
pi0,1.5,2.0,-3.0,-2.0,1.0,0.01
rho0,1.5,2.0,-3.0,-2.5,0.3,0.005
"""

CARD = """\
[detector]
name = "toy SND"
module = "scatter"
[scatter]
shape = "box"
distance = "30 m"
length = "1 m"
width = "1 m"
height = "1 m"
material = "tungsten"
T_min = "1 GeV"
n_scatters = 1
[sources]
shape = "test"
distance = "test"
length = "test"
width = "test"
height = "test"
material = "test"
T_min = "test"
n_scatters = "test"
"""

DUMP = """\
[run]
name = "dump"
seed = 3
events = 3000

[physics]
process = ["pi0", "rho"]
masses = [10, 100]

[[setup]]
label = "dump"
source = "meson-spectrum"
spectrum = "spec.csv"
protons_on_target = 1e18
detector = "card.toml"
"""


def _dump(tmp_path, steering=DUMP, spectrum=SPECTRUM, card=CARD):
    (tmp_path / "spec.csv").write_text(spectrum)
    (tmp_path / "card.toml").write_text(card)
    path = tmp_path / "dump.toml"
    path.write_text(steering)
    return path


def test_beam_dump_run(tmp_path):
    res = mcpgen.run(_dump(tmp_path), tmp_path / "out", workers=1, progress=False)
    # pi0 closes at 67.5 MeV: 3 jobs, not 4
    names = sorted(p.name for p in res.files)
    assert names == ["dump_pi0_m10MeV.root", "dump_rho_m100MeV.root", "dump_rho_m10MeV.root"]
    batch, meta = read_events(tmp_path / "out" / "dump_pi0_m10MeV.root")
    assert meta["weight_unit"] == "per POT" and meta["exposure"] == 1e18
    assert batch.names == ("P", "gamma", "gamma*", "chi", "chibar")
    from mcpgen.physics.mesons import branching_fraction, meson

    assert batch.weight.sum() == pytest.approx(3.0 * branching_fraction(meson("pi0"), 10.0),
                                               rel=1e-12)
    assert "det_electron" in batch.collections and batch.det_eff_table.shape[1] == 51
    # the chi flux through the detector, summed where the events are made
    crossing = (batch.det_path_chi > 0).astype(float) + (batch.det_path_chibar > 0)
    tally = meta["detector_tally"]
    assert tally["chi_crossing"]["sum"] == pytest.approx((batch.weight * crossing).sum(), rel=1e-12)
    assert 0 < tally["chi_crossing"]["sum"] < 2 * batch.weight.sum()
    assert tally["chi_crossing"]["detector_eps_power"] == 0
    assert tally["chi_scatters"]["detector_eps_power"] == 2
    # detector.csv: the chi flux through the detector at eps = 1 (eps^2 law)
    with open(tmp_path / "out" / "detector.csv", newline="") as fh:
        flux = {(r["channel"], float(r["m_chi_MeV"]), r["quantity"]): r for r in csv.DictReader(fh)}
    row = flux[("pi0", 10.0, "chi_crossing")]
    assert float(row["count_at_eps1"]) == pytest.approx(1e18 * tally["chi_crossing"]["sum"])
    assert float(row["eps_power"]) == 2.0 and float(flux[("pi0", 10.0, "chi_scatters")]["eps_power"]) == 4.0
    with open(tmp_path / "out" / "yields.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by = {(r["channel"], float(r["m_chi_MeV"])): r for r in rows}
    assert by[("pi0", 10.0)]["weight_unit"] == "per POT"
    # the sum is there at every mass, also where one channel is closed (pi0 at 100 MeV)
    assert by[("sum", 100.0)]["n_per_eps2"] == by[("rho", 100.0)]["n_per_eps2"]
    # the sum's count is the channels' sum at any eps (here eps = 1e-3, the table model)
    pts = {(p.channel, p.m_chi): p for p in res.yields}
    s = pts[("sum", 10.0)]
    for eps in (1e-4, 1e-3):
        assert s.n_expected(eps) == pytest.approx(
            pts[("pi0", 10.0)].n_expected(eps) + pts[("rho", 10.0)].n_expected(eps), rel=1e-12)
    # production x one scatter in a thin detector: N ~ eps^4
    p = pts[("pi0", 10.0)]
    assert p.n_expected(1e-3) / p.n_expected(1e-4) == pytest.approx(1e4, rel=1e-2)


def test_ldmx_photoproduction_run(tmp_path):
    text = """\
[run]
name = "ldmx"
seed = 5
events = 2000
train_events = 2048
train_iterations = 2
precision = 0.01

[physics]
process = ["brem", "rho"]
masses = [300, 450]

[[setup]]
""" + LDMX_SETUP
    path = tmp_path / "ldmx.toml"
    path.write_text(text)
    res = mcpgen.run(path, tmp_path / "out", workers=1, progress=False)
    assert sorted(p.name for p in res.files) == ["LDMX_brem_m300MeV.root", "LDMX_brem_m450MeV.root",
                                                 "LDMX_rho_m300MeV.root"]
    batch, meta = read_events(tmp_path / "out" / "LDMX_rho_m300MeV.root")
    assert meta["weight_unit"] == "pb" and meta["meson"] == "rho(770)0"
    # the spectrometer sees the recoil electron: E_rec <= 0.3 E0 for all (ideal card)
    assert np.all(batch.E[:, batch.index("l'")] <= 0.3 * 8000.0 + 1e-6) and batch.det_pass.all()
    pts = {(p.channel, p.m_chi): p for p in res.yields}
    lim = {k: p.eps_limit for k, p in pts.items()}
    # seed 002: the rho channel reaches ~1e-3 at 300 MeV, below the brem channel's ~4e-3
    assert 0.7e-3 < lim[("rho", 300.0)] < 1.5e-3 and lim[("sum", 300.0)] < lim[("rho", 300.0)]
    assert 2.5e-3 < lim[("brem", 300.0)] < 6e-3
    assert math.isclose(pts[("sum", 300.0)].n_per_eps2,
                        pts[("rho", 300.0)].n_per_eps2 + pts[("brem", 300.0)].n_per_eps2)


@pytest.mark.parametrize("edit, needle", [
    (lambda s, sp, c: (s.replace('process = ["pi0", "rho"]', 'process = "pi0"')
                       .replace("masses = [10, 100]", "masses = [70]"), sp, c),
     "kinematic limit"),
    (lambda s, sp, c: (s.replace('"pi0", "rho"', '"pi0", "kaon"'), sp, c), "unknown process 'kaon'"),
    (lambda s, sp, c: (s, sp.replace("pi0,1.0,1.5", "pi0,1.0,x"), c), "non-numeric"),
    (lambda s, sp, c: (s, sp, c.replace('length = "1 m"', 'length = "0 m"')), "length"),
    (lambda s, sp, c: (s.replace('spectrum = "spec.csv"', 'spectrum = "nope"'), sp, c),
     "neither a shipped table"),
    (lambda s, sp, c: (s.replace('process = ["pi0", "rho"]', 'process = "eta"'), sp, c),
     "has no eta"),
])
def test_bad_meson_input(tmp_path, capsys, edit, needle):
    s, sp, c = edit(DUMP, SPECTRUM, CARD)
    path = _dump(tmp_path, s, sp, c)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and err.startswith("mcpgen: error:")
    assert not out.exists() or not any(out.iterdir())


def test_recast_refuses_non_missing_energy_targets(tmp_path, capsys):
    from pathlib import Path

    limit = str(Path(__file__).resolve().parents[1] / "validation" / "data" /
                "na64mu_darkphoton_limit_mcpgen.csv")
    for target, needle in (("ship_scatter", "module 'scatter'"),
                           (str(_dump(tmp_path)), "source 'meson-spectrum'")):
        out = tmp_path / "rc"
        assert main(["recast", "--darkphoton-limit", limit, target, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1 and not out.exists()


def test_metadata_names_the_weight_unit(tmp_path):
    mcpgen.run(_dump(tmp_path), tmp_path / "out", workers=1, progress=False, masses=[10.0])
    _, meta = read_events(tmp_path / "out" / "dump_pi0_m10MeV.root")
    # decays per POT are not picobarns: no *_pb keys
    assert meta["sigma"] > 0 and meta["weight_unit"] == "per POT"
    assert not any(k.endswith("_pb") for k in meta)


def test_model_band_curves():
    from types import SimpleNamespace as P

    from mcpgen.analysis.plots import _band_curves

    pts = [P(label="A", channel="sum", m_chi=10.0, eps_limit=1e-4),
           P(label="A", channel="pi0", m_chi=10.0, eps_limit=2e-4),
           P(label="B", channel="sum", m_chi=10.0, eps_limit=3e-4),
           P(label="A", channel="sum", m_chi=20.0, eps_limit=float("nan")),
           P(label="B", channel="sum", m_chi=20.0, eps_limit=5e-4),
           P(label="C", channel="sum", m_chi=10.0, eps_limit=9e-4)]
    # the band spans the sums of its set-ups; a mass with one finite member is left out
    assert _band_curves(pts, {"A": "m", "B": "m"}) == {"m": ([10.0], [1e-4], [3e-4])}
    assert _band_curves(pts, None) == {}


def test_closed_regions_are_drawn_as_regions(tmp_path):
    from types import SimpleNamespace as P

    from mcpgen.analysis.plots import _closed_regions, reach_plot

    open_ = [P(label="A", channel="x", m_chi=m, eps_limit=1e-3, intervals=((1e-3, 1.0),),
               efficiency_model={"kind": "constant"}) for m in (1.0, 2.0)]
    closed = [P(label="B", channel="x", m_chi=m, eps_limit=3e-3, intervals=((3e-3, 2e-2),) if
                m != 3.0 else (), efficiency_model={"kind": "table"}) for m in (2.0, 1.0, 3.0, 4.0)]
    assert _closed_regions(open_) is None       # a lower limit: a curve
    # tabulated detection probability: outlined regions, split where a mass has no reach
    assert _closed_regions(closed) == [([1.0, 2.0], [3e-3, 3e-3], [2e-2, 2e-2]),
                                       ([4.0], [3e-3], [2e-2])]
    reach_plot(open_ + closed, tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
