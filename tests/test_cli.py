"""The command line: exit codes, JSON output, one-line errors, no partial output."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
import uproot

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
beam = "mu-"
energy = "160 GeV"
leptons_on_target = 1e14
target = "Pb"
thickness = "22.5 cm"
detector = "na64mu"

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
    rc = main(["xsec", "--process", "brem", "--beam", "mu-", "--energy", "160", "--target", "Pb",
               "--mass", "100", "--xmin", "0.5", "--method", "iww", "--points", "50000", "--json"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert d["sigma_pb"] > 0 and 0 < d["sigma_err_pb"] < 0.01 * d["sigma_pb"]
    assert d["energy_GeV"] == 160 and d["mass_MeV"] == 100


def test_xsec_units_and_eps_scaling(capsys):
    args = ["xsec", "--process", "darkphoton", "--beam", "e-", "--target", "Pb", "--method", "ww",
            "--points", "30000", "--json"]
    main(args + ["--energy", "100GeV", "--mass", "0.1 GeV"])
    a = json.loads(capsys.readouterr().out)
    main(args + ["--energy", "100", "--mass", "100", "--eps", "1e-4"])
    b = json.loads(capsys.readouterr().out)
    # same seed, same points: identical up to the eps^2 factor
    assert b["sigma_pb"] == pytest.approx(1e-8 * a["sigma_pb"], rel=1e-12)


@pytest.mark.parametrize("args,needle", [
    (["--target", "Pbb"], "did you mean 'Pb'"),
    (["--energy", "160 GeX"], "unknown unit"),
    (["--mass", "90 GeV"], "kinematic limit"),
    (["--eps", "0"], "eps"),
    (["--beam", "tau-"], "allowed"),
    (["--method", "cheap"], "allowed"),
    (["--xmin", "1.5"], "x_min"),
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


def test_run_writes_everything(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["run", str(write(tmp_path, TINY.format(method="ww"))), "--out", str(out), "--quiet"])
    assert rc == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["NA64mu_m200MeV.root", "NA64mu_m20MeV.root", "limits.csv", "provenance.json",
                     "reach.png", "yields.csv"]
    with uproot.open(out / "NA64mu_m20MeV.root") as f:
        assert isinstance(f["events"], uproot.TTree) and f["events"].num_entries == 3000
        meta = json.loads(str(f["metadata"]))
        assert meta["m_chi_MeV"] == 20 and meta["method"] == "ww" and meta["sigma_pb"] > 0
    with open(out / "limits.csv") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["m_chi_MeV"]) for r in rows] == [20.0, 200.0]
    assert all(1e-6 < float(r["eps_limit"]) < 1e-2 for r in rows)
    assert (out / "reach.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_same_seed_same_output_any_workers(tmp_path):
    st = write(tmp_path, TINY.format(method="etl"))
    arrays = []
    for w in ("1", "2"):
        out = tmp_path / f"w{w}"
        assert main(["run", str(st), "--out", str(out), "--workers", w, "--events", "2000", "--quiet"]) == 0
        with uproot.open(out / "NA64mu_m200MeV.root") as f:
            arrays.append(f["events"].arrays(["weight", "particle_px"], library="np"))
        lim = (out / "limits.csv").read_text()
        arrays.append(lim)
    np.testing.assert_array_equal(arrays[0]["weight"], arrays[2]["weight"])
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
