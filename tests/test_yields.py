"""Yields, eps limits, channel sums, CSV outputs and the reach plot (mcpgen.analysis.yields,
.plots).

Yield formula: seed 001 eq. (12) / seed 002 eq. (4), N = LOT n_T L_T sigma, with the exposure
LOT n_T L_T of the lepton-beam source; the hand calculation below uses PDG lead
(rho = 11.35 g/cm^3, A = 207.2).  The selected cross section sum(w eff) is accumulated by
mcpgen.framework.jobs.YieldAccumulator, as inside a job.
"""

import csv
import math
import os

import numpy as np
import pytest
from hepunits import cm, mm, picobarn

from mcpgen.analysis.yields import (
    LIMITS_COLUMNS,
    SUM_CHANNEL,
    YIELDS_COLUMNS,
    atomic_path,
    channel_sums,
    eps_limit_from_yield,
    point_from_metadata,
    read_limits_csv,
    write_limits_csv,
    write_yields_csv,
    yields_from_files,
)
from mcpgen.errors import ConfigError
from mcpgen.framework.detector import EfficiencyModel
from mcpgen.framework.jobs import YieldAccumulator
from mcpgen.io.record import EventBatch
from mcpgen.sources.lepton_beam import LeptonBeamSource
from mcpgen.sources.materials import get_material

PB_N_PER_CM3 = 11.35 * 6.02214076e23 / 207.2  # = 3.2988e22 nuclei / cm^3


def make_batch(weights, det_pass=None, det_eff=None, **columns):
    w = np.asarray(weights, dtype=np.float64)
    n, k = len(w), 2
    z = np.zeros((n, k))
    return EventBatch(
        weight=w, pdgid=np.zeros((n, k), np.int32), status=np.ones((n, k), np.int32),
        px=z, py=z, pz=z, E=z, mass=z, vx=np.zeros(n), vy=np.zeros(n), vz=np.zeros(n),
        E_beam=np.full(n, 160e3), names=("chi", "chibar"),
        det_pass=None if det_pass is None else np.asarray(det_pass, bool),
        det_eff=None if det_eff is None else np.asarray(det_eff, np.float64), **columns,
    )


def source(target="Pb", lot=1e14, length=22.5 * cm, beam="mu-", energy=160e3):
    return LeptonBeamSource(beam=beam, energy=energy, leptons_on_target=lot, target=target,
                            material=get_material(target), thickness=length)


def sums_of(batch, model=None):
    acc = YieldAccumulator(model or EfficiencyModel())
    acc.add(batch)
    return acc.to_dict()


def job_meta(src, m, eps, label, channel="brem"):
    """The keys of a job's metadata that the yield needs (as run_job writes them)."""
    return {**src.metadata(), "mass_MeV": m, "eps": eps, "label": label, "channel": channel,
            "eps_power": 2}


def pb_yield(batch, eps=1.0, m=100.0, s_up=2.3, lot=1e14, label="NA64mu", channel="brem"):
    return point_from_metadata(job_meta(source(lot=lot), m, eps, label, channel), s_up=s_up,
                               sums=sums_of(batch))


# ----------------------------------------------------------------- yields
def test_hand_calculation_lead():
    assert get_material("Pb").atoms_per_volume() * cm**3 == pytest.approx(3.2988e22, rel=1e-4)
    # sigma = 1 pb spread over 4 events, LOT = 1e14, L = 22.5 cm:
    # N = 1e14 * 3.2988e22 cm^-3 * 22.5 cm * 1e-36 cm^2 = 74.22
    p = pb_yield(make_batch([0.25] * 4))
    hand = 1e14 * PB_N_PER_CM3 * 22.5 * 1e-36
    assert hand == pytest.approx(74.22, abs=0.01)
    assert p.n_per_eps2 == pytest.approx(hand, rel=1e-12)
    assert p.sigma_sel == pytest.approx(1.0)
    assert p.sigma_sel_err == pytest.approx(math.sqrt(4 * 0.25**2))
    # the exposure LOT n_T L_T (pb^-1) is what the source stores with the events
    meta = source().metadata()
    assert p.exposure == meta["exposure"] == pytest.approx(hand, rel=1e-12)
    assert meta["target_length_mm"] == pytest.approx(225.0)
    assert meta["n_target_per_mm3"] * 1e3 == pytest.approx(PB_N_PER_CM3, rel=1e-12)
    assert meta["leptons_on_target"] == 1e14
    assert p.m_chi == 100.0 and p.label == "NA64mu" and p.s_up == 2.3 and p.channel == "brem"
    # eps limit: N(eps) = 74.22 eps^2 = 2.3
    assert p.eps_limit == pytest.approx(math.sqrt(2.3 / hand), rel=1e-12)
    assert p.intervals == ((p.eps_limit, 1.0),)


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
    assert math.isnan(p.eps_limit) and p.intervals == ()
    # nothing passes the detector
    q = pb_yield(make_batch([1.0, 2.0], det_pass=[False, False]))
    assert q.sigma_sel == 0.0 and q.n_per_eps2 == 0.0 and math.isnan(q.eps_limit)
    # empty file
    assert math.isnan(pb_yield(make_batch([])).eps_limit)
    # exactly at the edge: eps_limit = 1
    assert eps_limit_from_yield(2.3, 2.3) == 1.0
    assert math.isnan(eps_limit_from_yield(2.2999, 2.3))


def test_detector_efficiency_and_failing_events():
    batch = make_batch([1.0, 1.0, 1.0, 1.0], det_pass=[True, False, True, True],
                       det_eff=[0.5, 1.0, 1.0, 0.25])
    p = pb_yield(batch)
    assert p.sigma_sel == pytest.approx(0.5 + 1.0 + 0.25)
    assert p.sigma_sel_err == pytest.approx(math.sqrt(0.25 + 1.0 + 0.0625))
    full = pb_yield(make_batch([1.0] * 4))
    assert p.n_per_eps2 / full.n_per_eps2 == pytest.approx(1.75 / 4.0)
    # the accumulator also keeps the total cross section and the passing count
    sums = sums_of(batch)
    assert sums["sum_w"] == 4.0 and sums["n_pass"] == 3


def test_bad_inputs():
    # non-finite weights are refused where the sums are made (a ConfigError naming the file
    # when read back, see test_yields_from_files_non_finite)
    with pytest.raises(FloatingPointError, match="non-finite"):
        sums_of(make_batch([np.nan]))
    with pytest.raises(FloatingPointError, match="non-finite"):
        sums_of(make_batch([1.0], det_eff=[np.inf]))
    with pytest.raises(ValueError, match="s_up"):
        pb_yield(make_batch([1.0]), s_up=0.0).eps_limit
    with pytest.raises(ValueError, match="s_up"):
        eps_limit_from_yield(1.0, float("nan"))
    meta = job_meta(source(), 100.0, 1.0, "A")
    del meta["eps"]
    with pytest.raises(ConfigError, match="'eps'"):
        point_from_metadata(meta, s_up=2.3, sums=sums_of(make_batch([1.0])))
    with pytest.raises(ConfigError, match="yield_sums"):
        point_from_metadata(job_meta(source(), 100.0, 1.0, "A"), s_up=2.3)


def test_efficiencies_outside_unit_interval_are_refused():
    with pytest.raises(ValueError, match="efficienc"):
        sums_of(make_batch([1.0], det_eff=[1.5]))


def test_reference_eps_must_be_positive():
    with pytest.raises(ConfigError, match="eps"):
        pb_yield(make_batch([1.0]), eps=0.0)


def test_missing_mass_is_a_config_error():
    meta = job_meta(source(), 100.0, 1.0, "A")
    del meta["mass_MeV"]
    with pytest.raises(ConfigError, match="mass_MeV"):
        point_from_metadata(meta, s_up=2.3, sums=sums_of(make_batch([1.0])))


# ------------------------------------------------------------ channel sums
def test_channel_sums_add_the_channels():
    a = pb_yield(make_batch([0.3]), m=10.0, channel="brem")
    b = pb_yield(make_batch([0.5]), m=10.0, channel="other")
    c = pb_yield(make_batch([0.2]), m=20.0, channel="brem")          # alone at its mass
    out = channel_sums([a, b, c])
    assert out[:3] == [a, b, c] and len(out) == 5
    s = out[3]
    # the set-up has two channels: its sum continues where one is closed
    assert out[4].parts == (c,) and out[4].n_per_eps2 == pytest.approx(c.n_per_eps2, rel=1e-15)
    assert (s.label, s.m_chi, s.channel, s.parts) == ("NA64mu", 10.0, SUM_CHANNEL, (a, b))
    for eps in (1e-4, 0.01, 1.0):
        assert s.n_expected(eps) == pytest.approx(a.n_expected(eps) + b.n_expected(eps),
                                                  rel=1e-14)
    assert s.eps_limit == pytest.approx(math.sqrt(2.3 / (a.n_per_eps2 + b.n_per_eps2)), rel=1e-12)
    assert s.eps_limit < min(a.eps_limit, b.eps_limit)
    # set-ups are never summed together
    other = pb_yield(make_batch([0.5]), m=10.0, channel="other", label="NA64e")
    assert len(channel_sums([a, other])) == 2


# ------------------------------------------------------------ from files
def _meta(**kw):
    meta = job_meta(source("Al", lot=2e16, length=35.6 * mm, beam="e-", energy=8e3), 50.0, 1e-3,
                    "LDMX")
    meta.update(kw)
    return meta


def test_yields_from_files_uses_metadata(tmp_path):
    pytest.importorskip("uproot")
    from mcpgen.io.root import write_events

    a = write_events(tmp_path / "a.root", make_batch([1e-6, 2e-6]), _meta())
    b = write_events(tmp_path / "b.root", make_batch([1e-6]), _meta(mass_MeV=100.0, label=""))
    pts = yields_from_files([a, b], s_up=2.3)
    assert [p.m_chi for p in pts] == [50.0, 100.0]
    assert pts[0].label == "LDMX" and pts[1].label == "b"  # empty label -> file stem
    n_T = get_material("Al").atoms_per_volume()
    expect = (2e16 * n_T * 35.6 * 3e-6 * 1e-34) / 1e-6
    assert pts[0].n_per_eps2 == pytest.approx(expect, rel=1e-12)
    # overrides
    exposure = 1e16 * n_T * 10 * mm * picobarn
    over = yields_from_files([a], s_up=2.3, exposure=exposure, label="override")
    assert over[0].exposure == exposure and over[0].label == "override"
    assert over[0].n_per_eps2 == pytest.approx(expect * (1e16 / 2e16) * (10 / 35.6), rel=1e-12)


def test_yields_from_files_missing_key(tmp_path):
    pytest.importorskip("uproot")
    from mcpgen.io.root import write_events

    meta = _meta()
    del meta["exposure"]
    path = write_events(tmp_path / "x.root", make_batch([1.0]), meta)
    with pytest.raises(ConfigError, match="exposure") as err:
        yields_from_files([path], s_up=2.3)
    assert err.value.key == "exposure" and "x.root" in str(err.value)
    # the override makes the key unnecessary
    assert len(yields_from_files([path], s_up=2.3, exposure=1.0)) == 1


def test_yields_from_files_non_finite(tmp_path):
    pytest.importorskip("uproot")
    from mcpgen.io.root import write_events

    path = write_events(tmp_path / "nan.root", make_batch([1.0, np.nan]), _meta())
    with pytest.raises(ConfigError, match="non-finite") as err:
        yields_from_files([path], s_up=2.3)
    assert "nan.root" in str(err.value) and "\n" not in str(err.value)


def test_yields_from_real_root_file(tmp_path):
    pytest.importorskip("uproot")
    from mcpgen.io.root import write_events

    batch = make_batch([2e-7, 3e-7, 5e-7], det_pass=[True, True, False], det_eff=[1.0, 0.5, 1.0])
    path = write_events(tmp_path / "run.root", batch, _meta())
    (p,) = yields_from_files([path], s_up=3.0)
    assert p.sigma_sel == pytest.approx(2e-7 + 1.5e-7, rel=1e-12)
    direct = point_from_metadata(_meta(), s_up=3.0, sums=sums_of(batch))
    assert p == direct


def test_yields_from_files_table_model(tmp_path):
    # a per-event efficiency table (kind "table") is read from the det_eff_table column
    pytest.importorskip("uproot")
    from mcpgen.io.root import write_events

    model = EfficiencyModel("table", grid=(1e-4, 1e-2, 1.0))
    table = np.array([[0.1, 0.5, 1.0], [0.0, 0.2, 0.9], [1.0, 1.0, 1.0]])
    batch = make_batch([1e-6, 2e-6, 4e-6], det_pass=[True, True, False], det_eff_table=table)
    meta = _meta(detector={"module": "test", "efficiency_model": model.to_dict()})
    path = write_events(tmp_path / "t.root", batch, meta)
    (p,) = yields_from_files([path], s_up=2.3)
    assert p.efficiency_model["kind"] == "table"
    assert p.table == pytest.approx((1e-7 + 0.0, 5e-7 + 4e-7, 1e-6 + 1.8e-6), rel=1e-12)
    assert p == point_from_metadata(meta, s_up=2.3, sums=sums_of(batch, model))
    assert p.selected(1e-2) == pytest.approx(9e-7, rel=1e-12)


# ----------------------------------------------------------------- CSV
def _points():
    a = pb_yield(make_batch([0.3, 0.7]), m=10.0, label="NA64mu")
    b = pb_yield(make_batch([1e-5]), m=1000.0, label="NA64mu")          # no reach
    c = pb_yield(make_batch([0.02]), m=50.0, label="NA64e, 100 GeV")    # comma in label
    return [b, a, c]


def test_yields_csv_round_trip(tmp_path):
    b, a, c = pts = _points()
    path = tmp_path / "yields.csv"
    write_yields_csv(pts, path)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["label", "channel", "m_chi_MeV", "eps_ref", "eps_power",
                             "efficiency_model", "sigma_sel", "sigma_sel_err",
                             "weight_unit", "exposure", "n_per_eps2", "s_up", "eps_limit"]
    assert tuple(rows[0]) == YIELDS_COLUMNS
    # rows are grouped by label (first appearance) and sorted by mass, like limits.csv
    assert len(rows) == 3
    for row, p in zip(rows, [a, b, c]):
        assert row["label"] == p.label and row["channel"] == p.channel
        assert row["efficiency_model"] == "constant" and row["weight_unit"] == "pb"
        for col, value in [("m_chi_MeV", p.m_chi), ("eps_ref", p.eps_ref),
                           ("eps_power", p.eps_power), ("sigma_sel", p.sigma_sel),
                           ("sigma_sel_err", p.sigma_sel_err),
                           ("exposure", p.exposure),
                           ("n_per_eps2", p.n_per_eps2), ("s_up", p.s_up)]:
            assert float(row[col]) == value, col  # repr: exact round trip
        if math.isnan(p.eps_limit):
            assert row["eps_limit"] == ""
        else:
            assert float(row["eps_limit"]) == p.eps_limit


def test_limits_csv(tmp_path):
    path = tmp_path / "limits.csv"
    b, a, c = _points()
    write_limits_csv([b, a, c], path)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == LIMITS_COLUMNS == ("label", "channel", "m_chi_MeV", "eps_limit",
                                                "eps_low", "eps_high", "s_up")
    # grouped by label (first appearance), sorted by mass
    assert [(r["label"], float(r["m_chi_MeV"])) for r in rows] == [
        ("NA64mu", 10.0), ("NA64mu", 1000.0), ("NA64e, 100 GeV", 50.0)]
    assert rows[1]["eps_limit"] == rows[1]["eps_low"] == rows[1]["eps_high"] == ""
    assert float(rows[0]["eps_limit"]) > 0
    back = read_limits_csv(path)
    assert back[0]["eps_limit"] == back[0]["eps_low"] == a.eps_limit
    assert back[0]["eps_high"] == 1.0 and back[0]["s_up"] == 2.3 and back[0]["channel"] == "brem"
    assert math.isnan(back[1]["eps_limit"]) and math.isnan(back[1]["eps_high"])
    assert back[2]["label"] == "NA64e, 100 GeV"


def test_limits_csv_channel_sum_rows(tmp_path):
    a = pb_yield(make_batch([0.3]), m=10.0, channel="brem")
    b = pb_yield(make_batch([0.5]), m=10.0, channel="other")
    path = tmp_path / "limits.csv"
    write_limits_csv(channel_sums([b, a]), path)
    rows = read_limits_csv(path)
    assert [r["channel"] for r in rows] == ["brem", "other", SUM_CHANNEL]
    assert rows[2]["eps_limit"] == channel_sums([a, b])[2].eps_limit
    write_yields_csv(channel_sums([a, b]), tmp_path / "yields.csv")
    with open(tmp_path / "yields.csv", newline="") as fh:
        ys = list(csv.DictReader(fh))
    assert ys[2]["channel"] == SUM_CHANNEL and ys[2]["efficiency_model"] == "sum"
    assert float(ys[2]["n_per_eps2"]) == pytest.approx(a.n_per_eps2 + b.n_per_eps2, rel=1e-14)


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
    from mcpgen.plot_spec import Reference

    path = tmp_path / "reach.png"   # the stem; one file per format
    ref = Reference("seed 001 Fig. 2", "test", (10.0, 100.0), (1e-4, 1e-3))
    bound = Reference("excluded", "test", (10.0, 100.0), (1e-2, 2e-2), shaded=True)
    fig = reach_plot(_points(), path, title="test", references=[ref, bound])
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert (tmp_path / "reach.pdf").read_bytes()[:5] == b"%PDF-"
    assert sorted(os.listdir(tmp_path)) == ["reach.pdf", "reach.png"]
    assert all(os.stat(tmp_path / n).st_mode & 0o044 == 0o044 for n in os.listdir(tmp_path))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    styles = {ln.get_label(): ln.get_linestyle() for ln in ax.get_lines()}
    assert styles["seed 001 Fig. 2"] == "--"
    assert styles["NA64mu"] == "-"
    assert "excluded" in ax.get_legend_handles_labels()[1]   # the shaded region
    # the NaN point is not drawn
    (na64mu,) = [ln for ln in ax.get_lines() if ln.get_label() == "NA64mu"]
    assert list(na64mu.get_xdata()) == [10.0]


def test_reach_plot_process(tmp_path, monkeypatch):
    """The helper process writes the same PNGs as reach_figures in-process; a helper that
    cannot start, or dies, answers False (the caller then plots itself) and leaves no
    file behind."""
    from mcpgen.analysis.plots import ReachPlotProcess, _power_of_ten, reach_figures
    from mcpgen.plot_spec import Curve, Figure, PlotSpec

    spec = PlotSpec(figures=(Figure("one", "only NA64mu", (Curve("NA64mu", color="red"),),
                                    None),))
    (tmp_path / "here").mkdir()
    (tmp_path / "there").mkdir()
    assert reach_figures(_points(), tmp_path / "here", spec, title="t") == [
        str(tmp_path / "here" / n) for n in ("reach.png", "reach.pdf", "reach_one.png",
                                              "reach_one.pdf")]
    with ReachPlotProcess() as helper:
        assert helper.plot(_points(), tmp_path / "there", spec, title="t")
    for name in ("reach.png", "reach_one.png"):
        assert (tmp_path / "there" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()
    helper = ReachPlotProcess()
    helper.close()                      # stopped unused: no answer, no file
    assert not helper.plot(_points(), tmp_path / "never")
    monkeypatch.setattr("sys.executable", str(tmp_path / "no-such-python"))
    assert not ReachPlotProcess().plot(_points(), tmp_path / "never")
    assert sorted(os.listdir(tmp_path)) == ["here", "there"]
    assert [_power_of_ten(x) for x in (1e-3, 2e-3, 0.0126, 9.9999, 1.0)] == \
        ["10\u207b\u00b3", "2\u00d710\u207b\u00b3", "1.26\u00d710\u207b\u00b2", "10\u00b9",
         "10\u2070"]


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


def test_public_names_of_the_analysis_package_resolve():
    import mcpgen.analysis as analysis

    missing = [n for n in analysis.__all__ if not hasattr(analysis, n)]
    assert missing == []


def test_import_does_not_load_matplotlib():
    import subprocess
    import sys

    code = ("import sys, mcpgen.analysis.plots, mcpgen.analysis.yields, mcpgen.analysis.limits;"
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_table_interpolation_is_exact_for_power_laws():
    from mcpgen.analysis.yields import table_interpolation

    grid = np.geomspace(1e-5, 1.0, 51)
    for k in (2.0, 4.0):
        values = 3.0 * grid**k
        for eps in (1.3e-5, 4.7e-3, 0.77, 1e-7):   # between nodes and below the grid
            assert table_interpolation(grid, values, eps) == pytest.approx(3.0 * eps**k, rel=1e-10)
    # a zero node: linear in S between it and its neighbour, the end value beyond
    g, v = (1e-2, 1e-1, 1.0), (0.0, 1.0, 2.0)
    assert table_interpolation(g, v, math.sqrt(1e-3)) == pytest.approx(0.5)
    assert table_interpolation(g, v, 1e-3) == 0.0


def test_reach_plot_narrow_scan_ticks_are_masses(tmp_path):
    """A scan within a few MeV (e+e- thresholds) has a linear mass axis labelled with the
    masses themselves, not offsets from 1.5e3."""
    from types import SimpleNamespace as P

    from mcpgen.analysis.plots import reach_plot

    pts = [P(label="a", channel="", m_chi=m, eps_limit=3e-3, intervals=((3e-3, 0.5),),
             efficiency_model={"kind": "table"}) for m in (1499.0, 1500.0)]
    fig = reach_plot(pts, tmp_path / "r.png")
    fig.canvas.draw()
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear" and ax.xaxis.get_offset_text().get_text() == ""
    labels = [float(t.get_text()) for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(1490.0 < x < 1510.0 for x in labels)
