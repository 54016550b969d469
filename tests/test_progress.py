"""Batch-log progress lines, the first-compile notice, and output files that respect the
umask (issue 9, item 5)."""

import io
import os
import stat

import pytest

from mcpgen.framework.progress import BlockLog, RunProgress, compile_notice, kernels_cached
from mcpgen.framework.rundir import atomic_path, write_atomic


def test_batch_log_lines():
    out = io.StringIO()   # not a terminal: plain lines, no bar
    bar = RunProgress(2, stream=out)
    assert bar.bar is None
    bar.job_done({"label": "NA64mu", "channel": "brem", "mass_MeV": 100.0, "cpu_seconds": 1.25})
    bar.job_done({"label": "NA64mu", "channel": "brem", "mass_MeV": 10.0, "cpu_seconds": None})
    bar.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "mcpgen run: 2 jobs to run"
    assert lines[1].startswith("mcpgen run: [1/2] NA64mu brem m = 100 MeV done in 1.2 s, ")
    assert lines[2].startswith("mcpgen run: [2/2] NA64mu brem m = 10 MeV done, ")
    log = io.StringIO()
    block = BlockLog("NA64mu brem m = 100 MeV", 1000, stream=log, every=0.0)
    block(400)
    block(600)
    assert log.getvalue().splitlines() == ["mcpgen run: NA64mu brem m = 100 MeV: 400 of ~1000 "
                                           "events", "mcpgen run: NA64mu brem m = 100 MeV: "
                                           "1000 of ~1000 events"]
    quiet = io.StringIO()
    slow = BlockLog("x", 10, stream=quiet)      # default: at most one line per 30 s
    slow(5)
    assert quiet.getvalue() == ""


def test_compile_notice(monkeypatch, tmp_path):
    out = io.StringIO()
    monkeypatch.setattr("mcpgen.framework.progress.kernels_cached", lambda: False)
    compile_notice(out)
    assert out.getvalue().startswith("mcpgen: compiling the Numba kernels for the first time")
    assert out.getvalue().count("\n") == 1
    monkeypatch.setattr("mcpgen.framework.progress.kernels_cached", lambda: True)
    out = io.StringIO()
    compile_notice(out)
    assert out.getvalue() == ""


def test_kernels_cached_sees_numba_cache_dir(monkeypatch, tmp_path):
    package, cache = tmp_path / "package", tmp_path / "cache"
    (package / "generators" / "__pycache__").mkdir(parents=True)
    cache.mkdir()
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert not kernels_cached(str(package))                 # a fresh install
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(cache))
    assert not kernels_cached(str(package))
    (cache / "mcpgen" / "generators").mkdir(parents=True)
    (cache / "mcpgen" / "generators" / "brem_kernels.f-1.py311.nbi").write_bytes(b"")
    assert kernels_cached(str(package))                     # cached where NUMBA_CACHE_DIR says
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert not kernels_cached(str(package))
    (package / "generators" / "__pycache__" / "brem_kernels.f-1.py311.nbi").write_bytes(b"")
    assert kernels_cached(str(package))                     # cached beside the sources
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "empty"))
    assert not kernels_cached(str(package))                 # numba would not look there


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_outputs_respect_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        with atomic_path(tmp_path / "a.csv") as tmp:
            with open(tmp, "w") as fh:
                fh.write("x\n")
        write_atomic(tmp_path / "b.json", b"{}")
    finally:
        os.umask(old)
    for name in ("a.csv", "b.json"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o666 & ~umask
    assert sorted(os.listdir(tmp_path)) == ["a.csv", "b.json"]   # no temporary files left
