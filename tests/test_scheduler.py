"""Same seed, same events: --workers 1, worker threads, an embedded dask cluster, and a
split scan merged with collect give bit-identical job files (issue 6, item 5); the API runs
from a plain script without a __main__ guard; a failing job stops the others."""

import hashlib
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import uproot
from _framework_cases import LDMX_SETUP, NA64MU_SETUP

STEERING = """
[run]
seed = 11
events = 3000
train_events = 2000
train_iterations = 2
precision = 0.02
[physics]
masses = [10, 100]
[[setup]]
""" + NA64MU_SETUP + """\
[[setup]]
""" + LDMX_SETUP
FILES = ["LDMX_m100MeV.root", "LDMX_m10MeV.root", "NA64mu_m100MeV.root",
         "NA64mu_m10MeV.root"]


def _digest(path):
    arrays = uproot.open(path)["events"].arrays(library="np")
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = arrays[name]
        h.update(name.encode())
        h.update(np.concatenate(a).tobytes() if a.dtype == object else a.tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def steering(tmp_path_factory):
    p = tmp_path_factory.mktemp("steer") / "s.toml"
    p.write_text(STEERING)
    return p


@pytest.fixture(scope="module")
def serial(steering, tmp_path_factory):
    from mcpgen.api import run

    out = tmp_path_factory.mktemp("serial") / "out"
    run(steering, out, workers=1, progress=False)
    return out


def test_worker_threads_give_the_same_events(steering, serial, tmp_path):
    from mcpgen.api import run

    res = run(steering, tmp_path / "threads", workers=2, progress=False)
    assert sorted(f.name for f in res.files) == FILES
    for name in FILES:
        assert _digest(tmp_path / "threads" / name) == _digest(serial / name)
    assert (tmp_path / "threads" / "limits.csv").read_bytes() == \
        (serial / "limits.csv").read_bytes()


def test_dask_cluster_gives_the_same_events(steering, serial, tmp_path, monkeypatch):
    """The same run with its worker threads under an embedded dask.distributed cluster."""
    from mcpgen.api import run
    from mcpgen.framework import scheduler

    used = []

    def on_dask(fn, jobs, **kw):
        used.append(kw)
        return run_jobs(fn, jobs, use_dask=True, **kw)

    run_jobs = scheduler.run_jobs
    monkeypatch.setattr(scheduler, "run_jobs", on_dask)
    res = run(steering, tmp_path / "dask", workers=2, progress=False)
    assert used and used[0]["workers"] == 2
    assert sorted(f.name for f in res.files) == FILES
    for name in FILES:
        assert _digest(tmp_path / "dask" / name) == _digest(serial / name)
    assert (tmp_path / "dask" / "limits.csv").read_bytes() == (serial / "limits.csv").read_bytes()


def test_failed_job_stops_the_other_threads():
    """A failing job cancels the jobs that have not started, and the running ones stop at
    their next block (check_cancelled), before run_jobs re-raises."""
    from mcpgen.framework.scheduler import Cancelled, check_cancelled, run_jobs

    started, stopped = [], []
    gate = threading.Event()

    def job(j):
        started.append(j)
        if j == "bad":
            gate.wait(10)
            raise ValueError("broken job")
        gate.set()
        try:
            for _ in range(1000):      # blocks of a long job
                check_cancelled()
                time.sleep(0.01)
        except Cancelled:
            stopped.append(j)
            raise
        return j

    with pytest.raises(ValueError, match="broken job"):
        run_jobs(job, ["bad", "long", "never"], workers=2, use_dask=False)
    # "never" may start in the moment between the failure and the cancellation; then it
    # stops at its first block like "long"
    assert set(started[:2]) == {"bad", "long"}
    assert sorted(stopped) == sorted(set(started) - {"bad"})
    check_cancelled()   # outside a run: no-op


def test_split_scan_merged_gives_the_same_events(steering, serial, tmp_path):
    from mcpgen.api import collect, run

    run(steering, tmp_path / "a", workers=1, masses=["10 MeV"], setups=["NA64mu"], progress=False)
    run(steering, tmp_path / "b", workers=1, masses=[100.0], progress=False)
    run(steering, tmp_path / "c", workers=1, masses=[10.0], setups=["LDMX"], progress=False)
    collect([tmp_path / "a", tmp_path / "b", tmp_path / "c"], tmp_path / "merged")
    for d, names in (("a", FILES[3:]), ("b", FILES[0:3:2]), ("c", FILES[1:2])):
        for name in names:
            assert _digest(tmp_path / d / name) == _digest(serial / name)
    assert (tmp_path / "merged" / "limits.csv").read_bytes() == \
        (serial / "limits.csv").read_bytes()


def test_plain_script_without_main_guard(steering, serial, tmp_path):
    """Worker threads (and the worker processes of processes=True, which start as fresh
    interpreters) never re-run the calling script, as a multiprocessing spawn pool
    would (and crash)."""
    script = tmp_path / "plain.py"
    script.write_text(f"import mcpgen\nmcpgen.run({str(steering)!r}, {str(tmp_path / 'o')!r}, "
                      "workers=2, progress=False)\nprint('done')\n")
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "done"
    assert _digest(tmp_path / "o" / FILES[0]) == _digest(serial / FILES[0])
