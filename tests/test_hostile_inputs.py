"""Hostile inputs (issue 6, item 9): each gives one line 'mcpgen: error: ...' naming the
key, exit status 2, no traceback, and writes nothing."""

import pytest

from _framework_cases import NA64MU_SETUP
from mcpgen.cli import main

BASE = """
[run]
{run}
[physics]
{physics}
{limits}
[[setup]]
label = "{label}"
beam = "mu-"
energy = "160 GeV"
leptons_on_target = 1e14
target = "Pb"
thickness = "22.5 cm"
detector = "{detector}"
{extra}
"""


def _steering(tmp_path, *, run="seed = 1\nevents = 100", physics='masses = [10]', limits="", label="NA64mu",
              detector="na64mu", extra=""):
    p = tmp_path / "s.toml"
    p.write_text(BASE.format(run=run, physics=physics, limits=limits, label=label,
                             detector=detector, extra=extra))
    return p


STEERING_CASES = {
    "mass below 1 keV": (dict(physics="masses = [1e-4]"), "physics.masses[0]"),
    "mass at the kinematic limit": (dict(physics='masses = ["80 GeV"]'), "physics.masses"),
    "eps 1e-200": (dict(physics="masses = [10]\neps = 1e-200"), "physics.eps"),
    "train_events 1e12": (dict(run="train_events = 1e12"), "run.train_events"),
    "events 1e12": (dict(run="events = 1e12"), "run.events"),
    "train_iterations 1e6": (dict(run="train_iterations = 1000000"), "run.train_iterations"),
    "5000-point scan": (dict(physics='mass_scan = {min = 10, max = 100, points = 5000}'),
                        "physics.mass_scan.points"),
    "FC observed 100000": (dict(limits='[limits]\nmethod = "feldman-cousins"\nobserved = 100000'),
                           "limits.observed"),
    "FC background 1e6": (dict(limits='[limits]\nmethod = "feldman-cousins"\nbackground = 1e6'),
                          "limits.background"),
    "duplicate masses": (dict(physics='masses = [10, "10 MeV", "0.01 GeV"]'), "physics.masses[1]"),
    "nearly equal masses": (dict(physics="masses = [10, 10.0000001]"), "physics.masses[1]"),
    "5000-character card path": (dict(detector="x" * 5000), "setup[0].detector"),
    "unknown process": (dict(physics='masses = [10]\nprocess = "bremm"'), "physics.process"),
    "seed -1": (dict(run="seed = -1"), "run.seed"),
    "5000 listed masses": (dict(physics="masses = [" + ", ".join(str(10 + i) for i in range(5000))
                                + "]"), "physics.masses"),
    "300-character label": (dict(label="x" * 300), "setup[0].label"),
    "energy 1e20 TeV": (dict(extra=""), None),
}


@pytest.mark.parametrize("case", list(STEERING_CASES))
def test_hostile_steering(case, tmp_path, capsys):
    kw, key = STEERING_CASES[case]
    if key is None:  # cases that change the set-up table itself
        kw, key = {}, "setup[0].energy"
        text = _steering(tmp_path).read_text().replace('energy = "160 GeV"', 'energy = "1e20 TeV"')
        (tmp_path / "s.toml").write_text(text)
        out = tmp_path / "out"
        status = main(["run", str(tmp_path / "s.toml"), "--out", str(out), "--quiet"])
        err = capsys.readouterr().err
        assert status == 2 and key in err and err.count("\n") == 1 and not out.exists(), err
        return
    out = tmp_path / "out"
    status = main(["run", str(_steering(tmp_path, **kw)), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("mcpgen: error: ") and err.count("\n") == 1, err
    assert key in err and "Traceback" not in err
    assert not out.exists()


def test_label_collision(tmp_path, capsys):
    p = _steering(tmp_path, label="NA64 mu", extra='''
[[setup]]
label = "NA64_mu"
beam = "mu-"
energy = "100 GeV"
leptons_on_target = 1e14
target = "Pb"
thickness = "22.5 cm"
detector = "na64mu"''')
    assert main(["run", str(p), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "setup[1].label" in err and "same file name" in err


def test_deep_toml(tmp_path, capsys):
    p = tmp_path / "deep.toml"
    p.write_text("a = " + "[" * 3000 + "]" * 3000 + "\n")
    assert main(["run", str(p), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "nested too deeply" in err and err.count("\n") == 1


def test_empty_out(tmp_path, capsys, monkeypatch):
    steering = _steering(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)  # '' must not mean "the current folder"
    for argv in (["run", str(steering), "--out", "", "--quiet"], ["collect", str(tmp_path), "--out", ""]):
        assert main(argv) == 2
        assert "empty output folder name" in capsys.readouterr().err
    assert list(empty.iterdir()) == []


def test_huge_lepton_count(tmp_path, capsys):
    p = _steering(tmp_path)
    p.write_text(p.read_text().replace("leptons_on_target = 1e14", "leptons_on_target = 1e308"))
    assert main(["run", str(p), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "setup[0].leptons_on_target" in capsys.readouterr().err


def test_unreachable_scheduler(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("mcpgen.framework.scheduler.SCHEDULER_TIMEOUT", "1s")
    for address in ("notaurl", "tcp://127.0.0.1:1"):
        assert main(["run", str(_steering(tmp_path)), "--out", str(tmp_path / "o"), "--quiet",
                     "--scheduler", address]) == 2
        err = capsys.readouterr().err
        assert "--scheduler" in err and err.count("\n") == 1, err
        assert not (tmp_path / "o").exists()


XSEC_CASES = {
    "seed -1": (["--seed", "-1"], "seed"),
    "eps 1e200": (["--eps", "1e200"], "eps"),
    "mass 1e-30": (["--mass", "1e-30"], "mass"),
    "energy 1e20 TeV": (["--energy", "1e20 TeV"], "energy"),
    "precision 0": (["--precision", "0"], "precision"),
    "bad beam": (["--beam", "tau-"], "beam"),
}


@pytest.mark.parametrize("case", list(XSEC_CASES))
def test_hostile_xsec(case, capsys):
    extra, key = XSEC_CASES[case]
    args = {"--beam": "mu-", "--energy": "160", "--target": "Pb", "--mass": "10"}
    for k, v in zip(extra[::2], extra[1::2]):
        args[k] = v
    argv = ["xsec"] + [x for kv in args.items() for x in kv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcpgen: error: ") and err.count("\n") == 1 and key in err, err


SMALL = """
[run]
seed = 3
events = {events}
train_events = 2000
train_iterations = 2
precision = 0.02
[physics]
masses = [10, 20, 40, 80]
[[setup]]
""" + NA64MU_SETUP


def _cli(args, **kw):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "mcpgen", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_file_size_limit_leaves_nothing(tmp_path):
    """A file-size limit (as a full disk) gives one line and removes what the run made."""
    import resource

    steering = tmp_path / "s.toml"
    steering.write_text(SMALL.format(events=20000))
    out = tmp_path / "out"

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    p = _cli(["run", str(steering), "--out", str(out), "--quiet", "--workers", "1"],
             preexec_fn=limit)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 2
    assert err.startswith("mcpgen: error: ") and "File too large" in err and err.count("\n") == 1
    assert not out.exists()


def test_kill_then_rerun_reuses_jobs(tmp_path):
    """SIGKILL in the middle of a run, then the same command: finished jobs are reused,
    the temporary debris is removed, the result equals an uninterrupted run."""
    import os
    import signal
    import time

    steering = tmp_path / "s.toml"
    steering.write_text(SMALL.format(events=300000))
    out = tmp_path / "out"
    args = ["run", str(steering), "--out", str(out), "--quiet", "--workers", "1"]
    p = _cli(args)
    deadline = time.time() + 240
    while time.time() < deadline and not list(out.glob("*.root")):
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.communicate()  # reap it and close its pipes
    done = sorted(f.name for f in out.glob("*.root"))
    assert 1 <= len(done) < 4
    q = _cli(args)
    stdout, err = q.communicate(timeout=300)
    assert q.returncode == 0, err
    assert f"({len(done)} finished jobs reused)" in stdout
    assert sorted(f.name for f in out.glob("*.root")) == [
        "NA64mu_m10MeV.root", "NA64mu_m20MeV.root", "NA64mu_m40MeV.root",
        "NA64mu_m80MeV.root"]
    assert not [n for n in os.listdir(out) if n.startswith(".")]
