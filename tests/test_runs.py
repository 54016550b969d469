"""Runs through the framework with the real brem process: keyed job seeds across splits,
locked and resumable run folders, collect() of split runs, the generator threshold and
mass selection.  Small statistics (2000 events, 1% precision), as in test_framework.py.
"""

import fcntl
import json
import math
import os
import shutil

import pytest

from mcpgen import api
from mcpgen.analysis.yields import (point_from_metadata, read_limits_csv, yields_from_files)
from mcpgen.errors import ConfigError
from mcpgen.framework.jobs import Job, job_seed, jobs_of
from mcpgen.framework.rundir import LOCK, MANIFEST, RunFolder, run_identity
from mcpgen.io.record import EventBatch
from mcpgen.io.root import read_events, read_metadata
from mcpgen.steering import load_steering

from _framework_cases import FILES, PRECISION, STEERING, SUMMARY, TIMING, write_steering


# ----------------------------------------------------------------------------- runs
@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The full run and its two halves split by mass, from one steering file."""
    base = tmp_path_factory.mktemp("runs")
    path = write_steering(base)
    kw = dict(workers=1, progress=False)
    return {"steering": path, "base": base,
            "full": api.run(path, base / "full", **kw),
            "m10": api.run(path, base / "m10", masses=[10], **kw),
            "m100": api.run(path, base / "m100", masses=["0.1 GeV"], **kw)}


def same_events(a, b):
    """Bit-identical events and equal metadata (except wall-clock timing)."""
    (x, ma), (y, mb) = read_events(a), read_events(b)
    assert len(x) == len(y) > 0
    for f in EventBatch.PER_EVENT + EventBatch.PER_PARTICLE:
        assert getattr(x, f).tobytes() == getattr(y, f).tobytes(), f
    assert set(x.columns) == set(y.columns) == {"E_beam", "det_E_rec"}
    for c in x.columns:
        assert x.columns[c].tobytes() == y.columns[c].tobytes(), c
    strip = lambda m: {k: v for k, v in m.items() if k not in TIMING}  # noqa: E731
    assert strip(ma) == strip(mb)


def test_run_outputs(runs):
    res = runs["full"]
    out = res.out
    assert sorted(os.listdir(out)) == sorted(FILES + SUMMARY + (MANIFEST,))   # lock released
    assert res.reused == 0 and [p.name for p in res.files] == list(FILES)
    st = load_steering(runs["steering"])
    for job in jobs_of(st):
        meta = read_metadata(out / job.filename)
        # the trial count is fixed before generation: about run.events events, not exactly
        assert abs(meta["events"] - 2000) < 5 * math.sqrt(2000)
        assert meta["job_seed"] == job_seed(7, job) and meta["seed"] == 7
        assert meta["job"] == {"label": "NA64mu", "channel": "brem", "mass_MeV": job.mass,
                               "file": job.filename}
        assert meta["sigma_err_pb"] <= PRECISION * meta["sigma_pb"]
        batch, _ = read_events(out / job.filename)
        assert len(batch) == meta["events"]
        w = batch.weight
        assert w.sum() == pytest.approx(meta["sum_weights_pb"], rel=1e-12)
        # the weights of a file sum to sigma: an estimate from `trials` points of the
        # generation stream, compared within 5 combined standard errors
        err = math.sqrt(max((w * w).sum() - w.sum() ** 2 / meta["trials"], 0.0))
        assert abs(w.sum() - meta["sigma_pb"]) < 5 * math.hypot(err, meta["sigma_err_pb"])
        # the yield sums made inside the job are those recomputed from the file
        (p,) = yields_from_files([out / job.filename], s_up=res.yields[0].s_up)
        stored = point_from_metadata(meta, s_up=res.yields[0].s_up)
        assert stored.sigma_sel == pytest.approx(p.sigma_sel, rel=1e-12)
        assert stored.sigma_sel_err == pytest.approx(p.sigma_sel_err, rel=1e-12)
        assert meta["yield_sums"]["n_pass"] == int(batch.det_pass.sum()) > 0
        assert meta["exposure"] == st.setups[0].source.exposure
        assert meta["run_identity"] == json.loads((out / MANIFEST).read_text())["identity"]
    assert [(p.label, p.channel, p.m_chi) for p in res.yields] == [("NA64mu", "brem", 10.0),
                                                                   ("NA64mu", "brem", 100.0)]
    rows = read_limits_csv(out / "limits.csv")
    assert [r["m_chi_MeV"] for r in rows] == [10.0, 100.0]
    assert all(1e-6 < r["eps_limit"] < 1e-2 and r["eps_high"] == 1.0 for r in rows)


def test_restricted_run_gives_identical_files(runs):
    for part, name in (("m10", FILES[1]), ("m100", FILES[0])):
        res = runs[part]
        assert [p.name for p in res.files] == [name]
        assert sorted(os.listdir(res.out)) == sorted((name,) + SUMMARY + (MANIFEST,))
        same_events(runs["full"].out / name, res.out / name)
        # the same run identity: the halves are parts of one run
        assert (res.out / MANIFEST).read_text() == (runs["full"].out / MANIFEST).read_text()


def test_collect_of_split_folders_reproduces_the_full_run(runs, tmp_path):
    merged = tmp_path / "merged"
    points = api.collect([runs["m10"].out, runs["m100"].out], merged)
    assert points == runs["full"].yields
    for name in ("limits.csv", "yields.csv"):
        assert (merged / name).read_text() == (runs["full"].out / name).read_text(), name
    assert (merged / "reach.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a folder of another run is refused
    alien = tmp_path / "alien"
    shutil.copytree(runs["m100"].out, alien)
    (alien / MANIFEST).write_text(json.dumps({"identity": "0" * 20}))
    with pytest.raises(ConfigError, match="another run") as exc:
        api.collect([runs["m10"].out, alien], tmp_path / "x")
    assert str(alien) in str(exc.value)
    with pytest.raises(ConfigError, match="not an mcpgen run folder"):
        api.collect([tmp_path], tmp_path / "y")


def copy_of(runs, tmp_path, name="full"):
    dst = tmp_path / name
    shutil.copytree(runs[name].out, dst)
    return dst


def test_rerun_reuses_finished_jobs_and_removes_debris(runs, tmp_path):
    out = copy_of(runs, tmp_path)
    stamps = {f: (out / f).stat().st_mtime_ns for f in FILES}
    debris = [out / ".NA64mu_brem_m10MeV.root.tmp-99999", out / ".limits.csv.abc.tmp"]
    for d in debris:
        d.write_bytes(b"partial")
    (out / ".mcpgen-staging-12").mkdir()
    (out / ".mcpgen-staging-12" / "x.root").write_bytes(b"partial")
    res = api.run(runs["steering"], out, workers=1, progress=False)
    assert res.reused == 2 and [p.name for p in res.files] == list(FILES)
    assert {f: (out / f).stat().st_mtime_ns for f in FILES} == stamps   # not rewritten
    assert sorted(os.listdir(out)) == sorted(FILES + SUMMARY + (MANIFEST,))
    assert (out / "limits.csv").read_text() == (runs["full"].out / "limits.csv").read_text()


def test_resume_after_a_kill_remakes_only_the_missing_job(runs, tmp_path):
    out = copy_of(runs, tmp_path)
    (out / FILES[1]).unlink()
    (out / f".{FILES[1]}.tmp-4242").write_bytes(b"killed half way")
    res = api.run(runs["steering"], out, workers=1, progress=False)
    assert res.reused == 1
    assert sorted(os.listdir(out)) == sorted(FILES + SUMMARY + (MANIFEST,))
    same_events(runs["full"].out / FILES[1], out / FILES[1])


def test_run_folder_refuses_another_run(runs, tmp_path):
    out = copy_of(runs, tmp_path)
    before = {f: (out / f).read_bytes() for f in os.listdir(out)}
    for kw in (dict(seed=8), dict(events=1000)):
        with pytest.raises(ConfigError, match="holds the outputs of another run") as exc:
            api.run(runs["steering"], out, workers=1, progress=False, **kw)
        assert str(out) in str(exc.value) and "\n" not in str(exc.value)
    (tmp_path / "other").mkdir()
    other = write_steering(tmp_path / "other", STEERING.replace("seed = 7", "seed = 9"))
    with pytest.raises(ConfigError, match="another run"):
        api.run(other, out, workers=1, progress=False)
    assert {f: (out / f).read_bytes() for f in os.listdir(out)} == before


def test_run_folder_refuses_a_concurrent_run(runs, tmp_path):
    out = copy_of(runs, tmp_path)
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # another run holds the folder
        with pytest.raises(ConfigError, match="another mcpgen run is writing into this folder"):
            api.run(runs["steering"], out, workers=1, progress=False)
        st = load_steering(runs["steering"])
        with pytest.raises(ConfigError, match="another mcpgen run"):
            with RunFolder(out, run_identity(st, seed=None, events=None), {}):
                pass
    finally:
        os.close(fd)
    # released: the run goes ahead (and reuses everything)
    assert api.run(runs["steering"], out, workers=1, progress=False).reused == 2
    # one RunFolder at a time, also within one process
    with RunFolder(tmp_path / "fresh", "id-1", {}):
        with pytest.raises(ConfigError, match="another mcpgen run"):
            with RunFolder(tmp_path / "fresh", "id-1", {}):
                pass
    assert not (tmp_path / "fresh" / LOCK).exists()


def test_run_folder_refuses_foreign_files(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty and holds no mcpgen run"):
        with RunFolder(notes, "id-1", {}):
            pass
    assert os.listdir(notes) == ["notes.txt"]
    ours = tmp_path / "ours"
    with RunFolder(ours, "id-1", {"seed": 3}):
        pass
    assert json.loads((ours / MANIFEST).read_text()) == {"identity": "id-1", "seed": 3}
    (ours / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not outputs of this run \\('notes.txt'\\)"):
        with RunFolder(ours, "id-1", {}):
            pass
    (ours / "notes.txt").unlink()
    with pytest.raises(ConfigError, match="holds the outputs of another run"):
        with RunFolder(ours, "id-2", {}):
            pass
    (ours / MANIFEST).write_text("{broken")
    with pytest.raises(ConfigError, match="unreadable run.json"):
        with RunFolder(ours, "id-1", {}):
            pass
    with pytest.raises(ConfigError, match="empty output folder name"):
        RunFolder(" ", "id-1", {})
    # a folder with nothing but debris is taken over and cleaned
    dirty = tmp_path / "dirty"
    dirty.mkdir()
    (dirty / ".x.root.tmp-1").write_bytes(b"")
    with RunFolder(dirty, "id-1", {}) as folder:
        assert folder.finished(Job(0, "x", "brem", 1.0)) is None
    assert sorted(os.listdir(dirty)) == [MANIFEST]


def test_run_rejects_bad_restrictions_before_writing(runs, tmp_path):
    out = tmp_path / "never"
    with pytest.raises(ConfigError, match="not in the steering's masses; allowed: 10, 100"):
        api.run(runs["steering"], out, masses=[20], workers=1, progress=False)
    with pytest.raises(ConfigError, match="no set-up labelled 'NA64e'; allowed: NA64mu"):
        api.run(runs["steering"], out, setups=["NA64e"], workers=1, progress=False)
    assert not out.exists()


def test_resolution_lowers_the_generator_threshold():
    """With a resolution r the spectrometer accepts x >= 1 - (1 - x_th)/(1 - 5 r) (events
    5 sigma below the cut can pass); no bound once 5 r >= 1; x_th itself when ideal."""
    from mcpgen.detectors.spectrometer import Spectrometer, SpectrometerCard

    def threshold(r):
        return Spectrometer(SpectrometerCard(x_th=0.5, resolution=r)).generator_threshold()

    assert threshold(0.0) == 0.5
    assert threshold(0.05) == pytest.approx(1.0 - 0.5 / 0.75, rel=1e-15)
    assert threshold(0.2) is None and threshold(0.15) is None   # 1 - 0.5/0.25 < 0


def test_scan_masses_are_selected_by_their_printed_value(tmp_path):
    """`--mass 15.8489` (the value mcpgen prints and names files with) selects the scan mass
    10^1.2 = 15.84893... (6 significant digits)."""
    from mcpgen.api import run

    p = tmp_path / "s.toml"
    p.write_text(STEERING.replace('masses = [10, "0.1 GeV"]',
                                  "mass_scan = {min = 10, max = 1000, points = 11}"))
    res = run(p, tmp_path / "o", masses=["15.8489"], workers=1, progress=False)
    assert [f.name for f in res.files] == ["NA64mu_m15.8489MeV.root"]


def test_collect_refuses_to_write_beside_another_run(tmp_path):
    from mcpgen.api import collect, run

    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(STEERING)
    b.write_text(STEERING.replace("seed = 7", "seed = 99"))
    run(a, tmp_path / "a", workers=1, masses=[10.0], progress=False)
    run(b, tmp_path / "b", workers=1, masses=[10.0], progress=False)
    before = (tmp_path / "b" / "yields.csv").read_bytes()
    with pytest.raises(ConfigError, match="another run"):
        collect([tmp_path / "a"], tmp_path / "b")
    assert (tmp_path / "b" / "yields.csv").read_bytes() == before
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError):
        collect([tmp_path / "a"], tmp_path / "foreign")
    collect([tmp_path / "a"], tmp_path / "new")      # a new folder becomes a run folder
    assert (tmp_path / "new" / "limits.csv").read_bytes() == (tmp_path / "a" / "limits.csv").read_bytes()
