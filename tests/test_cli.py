"""The command line: exit codes, JSON output, one-line errors, no partial output, split runs
merged by collect."""

import csv
import fcntl
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import uproot

from _framework_cases import NA64MU_SETUP
from mcpgen.cli import main

TINY = """
[run]
name = "tiny"
seed = 7
events = 3000
train_events = 4000
train_iterations = 3
integrate_events = 20000

[physics]
method = "{method}"
masses = [20, "0.2 GeV"]

[[setup]]
label = "NA64mu"
""" + NA64MU_SETUP + """
[limits]
cl = 0.95
"""


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_help_and_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    with pytest.raises(SystemExit) as e:
        main(["xsec", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "GeV" in out and "MeV" in out


def test_console_script_entry_point():
    r = subprocess.run([sys.executable, "-m", "mcpgen", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and "mcpgen" in r.stdout


def test_xsec_json(capsys):
    # xsec integrates to --precision (whole blocks of points) instead of a fixed --points
    rc = main(["xsec", "--process", "brem", "--beam", "mu-", "--energy", "160", "--target", "Pb",
               "--mass", "100", "--xmin", "0.5", "--method", "iww", "--precision", "0.005",
               "--json"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert d["sigma_pb"] > 0 and 0 < d["sigma_err_pb"] < 0.01 * d["sigma_pb"]
    assert d["sigma_err_pb"] <= 0.005 * d["sigma_pb"]
    assert d["energy_GeV"] == 160 and d["mass_MeV"] == 100 and d["x_min"] == 0.5
    assert d["process"] == "brem" and d["method"] == "iww"


def test_xsec_text_output(capsys):
    rc = main(["xsec", "--beam", "mu-", "--energy", "160", "--target", "Pb", "--mass", "100",
               "--xmin", "0.5", "--method", "iww", "--precision", "0.05"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "sigma = " in out and out.rstrip().endswith("pb") and "method = iww" in out


def test_xsec_units_and_eps_scaling(capsys):
    args = ["xsec", "--process", "darkphoton", "--beam", "e-", "--target", "Pb", "--method", "ww",
            "--precision", "0.01", "--json"]
    main(args + ["--energy", "100GeV", "--mass", "0.1 GeV"])
    a = json.loads(capsys.readouterr().out)
    main(args + ["--energy", "100", "--mass", "100", "--eps", "1e-4"])
    b = json.loads(capsys.readouterr().out)
    # same seed, same points: identical up to the eps^2 factor
    assert b["points"] == a["points"]
    assert b["sigma_pb"] == pytest.approx(1e-8 * a["sigma_pb"], rel=1e-12)


@pytest.mark.parametrize("args,needle", [
    (["--target", "Pbb"], "did you mean 'Pb'"),
    (["--energy", "160 GeX"], "unknown unit"),
    (["--mass", "90 GeV"], "kinematic limit"),
    (["--eps", "0"], "eps"),
    (["--beam", "tau-"], "allowed"),
    (["--method", "cheap"], "allowed"),
    (["--xmin", "1.5"], "0 < xmin < 1"),
    (["--precision", "0"], "precision"),
    (["--precision", "abc"], "'abc' is not a number"),
    (["--process", "bremm"], "did you mean 'brem'"),
])
def test_xsec_bad_input(capsys, args, needle):
    base = {"--beam": "mu-", "--energy": "160", "--target": "Pb", "--mass": "100"}
    argv = ["xsec"]
    for k, v in base.items():
        if k not in args:
            argv += [k, v]
    rc = main(argv + args)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("mcpgen: error:") and needle in err and err.count("\n") == 1


FILES = ["NA64mu_m200MeV.root", "NA64mu_m20MeV.root"]
SUMMARY = ["limits.csv", "provenance.json", "reach.pdf", "reach.png", "run.json", "yields.csv"]


@pytest.fixture(scope="module")
def ww_run(tmp_path_factory):
    """One full run of the TINY study (method ww) through the CLI."""
    base = tmp_path_factory.mktemp("cli")
    steering = write(base, TINY.format(method="ww"))
    out = base / "out"
    rc = main(["run", str(steering), "--out", str(out), "--quiet"])
    return rc, steering, out


def test_xsec_missing_required_option(capsys):
    with pytest.raises(SystemExit) as e:
        main(["xsec", "--energy", "160", "--target", "Pb", "--mass", "100"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith("mcpgen: error:") and "--beam" in err
    assert err.count("\n") == 1


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("brem", "darkphoton", "lepton-beam", "spectrometer", "na64mu", "ldmx", "Pb"):
        assert word in out


def test_run_writes_everything(ww_run):
    rc, _, out = ww_run
    assert rc == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(FILES + SUMMARY)
    with uproot.open(out / "NA64mu_m20MeV.root") as f:
        assert isinstance(f["events"], uproot.TTree)
        meta = json.loads(str(f["metadata"]))
        # the trial count is fixed before generation: about (not exactly) run.events events
        n = f["events"].num_entries
        assert n == meta["events"] and abs(n - 3000) < 5 * math.sqrt(3000)
        assert meta["m_chi_MeV"] == 20 and meta["mass_MeV"] == 20 and meta["channel"] == "brem"
        assert meta["method"] == "ww" and meta["sigma_pb"] > 0 and meta["label"] == "NA64mu"
    with open(out / "limits.csv") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["m_chi_MeV"]) for r in rows] == [20.0, 200.0]
    assert [r["channel"] for r in rows] == ["brem", "brem"]
    assert all(1e-6 < float(r["eps_limit"]) < 1e-2 for r in rows)
    assert all(r["eps_low"] == r["eps_limit"] and float(r["eps_high"]) == 1.0 for r in rows)
    assert (out / "reach.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_reuses_finished_jobs(ww_run, capsys):
    _, steering, out = ww_run
    stamps = {n: (out / n).stat().st_mtime_ns for n in FILES}
    assert main(["run", str(steering), "--out", str(out), "--quiet"]) == 0
    assert "(2 finished jobs reused)" in capsys.readouterr().out
    assert {n: (out / n).stat().st_mtime_ns for n in FILES} == stamps


def test_split_run_and_collect(ww_run, tmp_path, capsys):
    _, steering, full = ww_run
    a, b, merged = tmp_path / "a", tmp_path / "b", tmp_path / "merged"
    assert main(["run", str(steering), "--out", str(a), "--mass", "20", "--setup", "NA64mu",
                 "--quiet"]) == 0
    assert main(["run", str(steering), "--out", str(b), "--mass", "0.2GeV", "--quiet"]) == 0
    assert sorted(p.name for p in a.iterdir()) == sorted(FILES[1:] + SUMMARY)
    assert sorted(p.name for p in b.iterdir()) == sorted(FILES[:1] + SUMMARY)
    capsys.readouterr()
    assert main(["collect", str(a), str(b), "--out", str(merged)]) == 0
    assert "limits.csv" in capsys.readouterr().out
    for name in ("limits.csv", "yields.csv"):
        assert (merged / name).read_text() == (full / name).read_text(), name
    # a folder that is not a run folder is a one-line error
    rc = main(["collect", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "not an mcpgen run folder" in err and err.count("\n") == 1


def test_run_mass_not_in_steering(ww_run, tmp_path, capsys):
    _, steering, _ = ww_run
    rc = main(["run", str(steering), "--out", str(tmp_path / "o"), "--mass", "30", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "not in the steering's masses" in err and err.count("\n") == 1
    rc = main(["run", str(steering), "--out", str(tmp_path / "o"), "--setup", "LDMX", "--quiet"])
    assert rc == 2 and "no set-up labelled 'LDMX'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_run_into_a_busy_or_foreign_folder(ww_run, tmp_path, capsys):
    _, steering, full = ww_run
    fd = os.open(full / ".mcpgen.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        rc = main(["run", str(steering), "--out", str(full), "--quiet"])
    finally:
        os.close(fd)
        os.unlink(full / ".mcpgen.lock")
    err = capsys.readouterr().err
    assert rc == 2 and "another mcpgen run is writing into this folder" in err
    rc = main(["run", str(steering), "--out", str(full), "--seed", "8", "--quiet"])
    assert rc == 2 and "holds the outputs of another run" in capsys.readouterr().err
    (tmp_path / "mine.txt").write_text("x")
    rc = main(["run", str(steering), "--out", str(tmp_path), "--quiet"])
    assert rc == 2 and "holds no mcpgen run" in capsys.readouterr().err


def test_run_same_seed_same_output_any_workers(tmp_path):
    st = write(tmp_path, TINY.format(method="etl"))
    arrays = []
    for w in ("1", "2"):
        out = tmp_path / f"w{w}"
        assert main(["run", str(st), "--out", str(out), "--workers", w, "--events", "2000",
                     "--quiet"]) == 0
        with uproot.open(out / "NA64mu_m200MeV.root") as f:
            arrays.append(f["events"].arrays(["weight", "particle_px"], library="np"))
        lim = (out / "limits.csv").read_text()
        arrays.append(lim)
    np.testing.assert_array_equal(arrays[0]["weight"], arrays[2]["weight"])
    np.testing.assert_array_equal(np.concatenate(arrays[0]["particle_px"]),
                                  np.concatenate(arrays[2]["particle_px"]))
    assert arrays[1] == arrays[3]


@pytest.mark.parametrize("text,needle", [
    ("[run\nseed = 1", "line"),
    (TINY.format(method="ww").replace("seed = 7", "sed = 7"), "did you mean 'seed'"),
    (TINY.format(method="ww").replace('masses = [20, "0.2 GeV"]', 'masses = [20, "90 GeV"]'), "kinematic limit"),
    (TINY.format(method="ww").replace('target = "Pb"', 'target = "Unobtainium"'), "allowed"),
    (TINY.format(method="ww").replace("events = 3000", "events = 0"), "events"),
    (TINY.format(method="ww").replace("[limits]", "[limits]\nbackground = -1"), "background"),
])
def test_run_bad_input_leaves_nothing(tmp_path, capsys, text, needle):
    out = tmp_path / "out"
    rc = main(["run", str(write(tmp_path, text)), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and needle in err and err.count("\n") == 1 and "s.toml" in err
    assert not out.exists() or not any(out.iterdir())


def test_run_unwritable_output(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(["run", str(write(tmp_path, TINY.format(method="ww"))), "--out", str(blocker / "sub"), "--quiet"])
    assert rc == 2 and "not writable" in capsys.readouterr().err


def test_run_overrides_must_be_positive(tmp_path, capsys):
    rc = main(["run", str(write(tmp_path, TINY.format(method="ww"))), "--events", "0", "--out",
               str(tmp_path / "o")])
    assert rc == 2 and "events" in capsys.readouterr().err


def test_recast_bad_csv(tmp_path, capsys):
    bad = tmp_path / "dp.csv"
    bad.write_text("mass,eps\n1,2\n")
    rc = main(["recast", "--darkphoton-limit", str(bad), "na64e", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert rc == 2 and "m_Aprime_MeV" in err and err.count("\n") == 1
