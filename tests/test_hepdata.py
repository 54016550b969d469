"""HEPData submission of a run (mcpgen.analysis.hepdata): validates with hepdata_validator,
carries the numbers of limits.csv / yields.csv exactly, the eps intervals of an e+e- tracker
run, and refuses bad input without writing anything."""

import csv
import math
import os
import shutil
import tarfile
from pathlib import Path

import pytest
import yaml

from mcpgen import api
from mcpgen.analysis.hepdata import OUTPUT, validate_submission, write_hepdata
from mcpgen.analysis.yields import read_limits_csv
from mcpgen.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def na64(tmp_path_factory):
    out = tmp_path_factory.mktemp("hepdata") / "na64"
    api.run(ROOT / "steering/na64mu_2025.toml", out, events=500, masses=["100 MeV", "1 GeV"],
            workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def stcf(tmp_path_factory):
    out = tmp_path_factory.mktemp("hepdata") / "stcf"
    api.run(ROOT / "steering/stcf_2022_fig1.toml", out, events=500, masses=["1500 MeV"],
            setups=["3 GeV 2.1 MeV ionisation", "3 GeV 2.1 MeV delta"], workers=1,
            progress=False)
    return out


@pytest.fixture(scope="module")
def na64_hepdata(na64):
    # the steering asks for it ([output] hepdata = true): the run wrote it already, and a
    # second write must be asked for
    assert (na64 / "hepdata" / "submission.tar.gz").is_file()
    with pytest.raises(ConfigError, match="exists; pass --force"):
        write_hepdata(na64)
    return write_hepdata(na64, overwrite=True)


def tables(out):
    """{table name: (submission entry, data)} of a written submission folder."""
    folder = out / "submission"
    docs = list(yaml.safe_load_all((folder / "submission.yaml").read_text()))
    return {d["name"]: (d, yaml.safe_load((folder / d["data_file"]).read_text()))
            for d in docs[1:]}


def rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def dependent(data, start):
    return next(v for v in data["dependent_variables"] if v["header"]["name"].startswith(start))


def qualifier(var, name):
    return next(q for q in var["qualifiers"] if q["name"] == name)


# ------------------------------------------------------------------------ validation
# hepdata_validator 0.3.6 leaves its data files for the garbage collector to close
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_submission_validates(na64_hepdata):
    from hepdata_validator.data_file_validator import DataFileValidator
    from hepdata_validator.full_submission_validator import FullSubmissionValidator
    from hepdata_validator.submission_file_validator import SubmissionFileValidator

    out = na64_hepdata
    assert out == out.parent / "hepdata" and sorted(os.listdir(out)) == sorted(OUTPUT)
    for kw in ({"archive": str(out / "submission.tar.gz")},
               {"directory": str(out / "submission")}):
        v = FullSubmissionValidator()
        assert v.validate(**kw), v.get_messages()
    sub = SubmissionFileValidator()
    path = out / "submission" / "submission.yaml"
    assert sub.validate(file_path=str(path), data=list(yaml.safe_load_all(path.read_text()))), \
        sub.get_messages()
    for entry, _ in tables(out).values():
        d = DataFileValidator()
        assert d.validate(file_path=str(out / "submission" / entry["data_file"])), \
            d.get_messages()
    with tarfile.open(out / "submission.tar.gz") as tar:   # the archive holds the folder
        assert sorted(tar.getnames()) == sorted(os.listdir(out / "submission"))
    for f in (out / "submission").iterdir():   # readable by collaborators, like the ROOT files
        assert f.stat().st_mode & 0o044 == 0o044


def test_reach_numbers_are_limits_csv(na64, na64_hepdata):
    t = tables(na64_hepdata)
    assert set(t) == {"Reach NA64mu", "Cross sections NA64mu"}
    entry, data = t["Reach NA64mu"]
    lim = read_limits_csv(na64 / "limits.csv")
    (m,) = data["independent_variables"]
    assert m["header"] == {"name": "$m_{\\chi}$", "units": "MeV"}
    assert [v["value"] for v in m["values"]] == [r["m_chi_MeV"] for r in lim] == [100.0, 1000.0]
    (eps,) = data["dependent_variables"]
    assert [v["value"] for v in eps["values"]] == [r["eps_limit"] for r in lim]   # exact
    # independent of the CSV: an eps^2 law gives eps = sqrt(s_up / N(eps = 1)), yields.csv's
    # n_per_eps2 (agreement to rounding: both are one float operation from the same sums)
    y = rows(na64 / "yields.csv")
    s_up = -math.log(1 - 0.95)    # Poisson, b = 0, n = 0 at 95% CL (limits.py)
    for v, r in zip(eps["values"], y):
        assert v["value"] == pytest.approx(math.sqrt(s_up / float(r["n_per_eps2"])), rel=1e-12)
    assert qualifier(eps, "CL")["value"] == "95%"
    assert qualifier(eps, "$s_{up}$")["value"] == pytest.approx(s_up, rel=1e-15)
    assert qualifier(eps, "Seed")["value"] == 20250507           # the steering's seed
    assert qualifier(eps, "Limit method")["value"] == "poisson"
    assert qualifier(eps, "Background") == {"name": "Background", "value": 0.0,
                                            "units": "events"}
    assert "na64mu" in qualifier(eps, "Detector card")["value"]
    assert "mu- beam of 160 GeV on Pb" in qualifier(eps, "Source")["value"]
    # the steering's and the card's sources are in the description
    assert "seed 002 sec. II.B" in entry["description"]
    assert "x_th: seed 002 (arXiv:2505.04295)" in entry["description"]
    assert any(k["name"] == "reactions" for k in entry["keywords"])


def test_cross_sections_are_yields_csv(na64, na64_hepdata):
    import json

    _, data = tables(na64_hepdata)["Cross sections NA64mu"]
    y = rows(na64 / "yields.csv")
    sel = dependent(data, "$\\sigma_{sel}$")
    assert sel["header"]["units"] == "pb" == y[0]["weight_unit"]
    assert [v["value"] for v in sel["values"]] == [float(r["sigma_sel"]) for r in y]
    assert [v["errors"][0]["symerror"] for v in sel["values"]] == \
        [float(r["sigma_sel_err"]) for r in y]
    assert qualifier(sel, "Exposure") == {"name": "Exposure", "units": "pb$^{-1}$",
                                          "value": float(y[0]["exposure"])}
    gen = dependent(data, "$\\sigma$ (generated")
    files = json.loads((na64 / "provenance.json").read_text())["files"]
    assert [v["value"] for v in gen["values"]] == [f["sigma"] for f in files]
    n1 = dependent(data, "Expected signal events")
    assert n1["header"]["units"] == "events"
    # independent of the CSV writer: N(eps = 1) = exposure x sigma_sel
    for v, s in zip(n1["values"], sel["values"]):
        assert v["value"] == pytest.approx(float(y[0]["exposure"]) * s["value"], rel=1e-12)


def test_every_variable_has_units_or_is_eps(na64_hepdata):
    for _, data in tables(na64_hepdata).values():
        for var in data["independent_variables"] + data["dependent_variables"]:
            # eps = Q_chi/e is a pure number; everything else carries a unit
            assert var["header"].get("units") or "epsilon" in var["header"]["name"]


# ---------------------------------------------------------------------- e+e- tracker
def test_ee_intervals(stcf):
    out = write_hepdata(stcf)
    t = tables(out)
    lim = {r["label"]: r for r in read_limits_csv(stcf / "limits.csv")}
    _, closed = t["Reach 3 GeV 2.1 MeV ionisation"]
    lo, hi = closed["dependent_variables"]
    assert "lower edge" in lo["header"]["name"] and "upper edge" in hi["header"]["name"]
    r = lim["3 GeV 2.1 MeV ionisation"]
    assert (lo["values"][0]["value"], hi["values"][0]["value"]) == (r["eps_low"], r["eps_high"])
    assert 0 < r["eps_low"] < r["eps_high"] < 1.0     # a closed region (slow MCPs)
    _, open_ = t["Reach 3 GeV 2.1 MeV delta"]
    (eps,) = open_["dependent_variables"]
    assert eps["values"][0]["value"] == lim["3 GeV 2.1 MeV delta"]["eps_limit"]
    _, xs = t["Cross sections 3 GeV 2.1 MeV delta"]
    assert any(k["name"] == "cmenergies" and k["values"] == [3.0]
               for k in dict(t["Reach 3 GeV 2.1 MeV delta"][0])["keywords"])
    assert dependent(xs, "$\\sigma_{sel}$")["header"]["units"] == "pb"


# ----------------------------------------------------------------- folders and errors
def listing(path):
    return sorted(os.listdir(path))


def test_missing_folder_and_no_limits(tmp_path, na64):
    with pytest.raises(ConfigError, match="run folder not found") as e:
        write_hepdata(tmp_path / "nope")
    assert "\n" not in str(e.value) and not (tmp_path / "nope").exists()
    half = tmp_path / "half"
    shutil.copytree(na64, half, ignore=shutil.ignore_patterns("hepdata", "limits.csv"))
    before = listing(half)
    with pytest.raises(ConfigError, match="no limits.csv") as e:
        write_hepdata(half)
    assert "\n" not in str(e.value) and str(half) in str(e.value)
    assert listing(half) == before      # no output, no temporary folder left
    shutil.copy(na64 / "limits.csv", half)
    text = (half / "yields.csv").read_text().splitlines()
    cells = text[1].split(",")
    cells[6] = "lots"                   # sigma_sel
    (half / "yields.csv").write_text("\n".join([text[0], ",".join(cells), *text[2:]]) + "\n")
    before = listing(half)
    with pytest.raises(ConfigError, match="yields.csv: key 'sigma_sel': line 2: 'lots'"):
        write_hepdata(half)
    assert listing(half) == before


def test_refuses_to_overwrite(tmp_path, na64):
    out = tmp_path / "hd"
    write_hepdata(na64, out)
    first = (out / "submission.tar.gz").read_bytes()
    with pytest.raises(ConfigError, match="exists; pass --force"):
        write_hepdata(na64, out)
    write_hepdata(na64, out, overwrite=True)
    assert (out / "submission.tar.gz").read_bytes() == first     # reproducible archive
    assert listing(tmp_path) == ["hd"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not a HEPData folder of mcpgen"):
        write_hepdata(na64, mine, overwrite=True)
    assert (mine / "notes.txt").read_text() == "keep me"


def test_invalid_submission_writes_nothing(tmp_path, na64, monkeypatch):
    import mcpgen.analysis.hepdata as H

    write_files = H._write_files

    def unreferenced_file(sub, run, folder):
        write_files(sub, run, folder)
        (folder / "stray.txt").write_text("not in submission.yaml")

    monkeypatch.setattr(H, "_write_files", unreferenced_file)
    out = tmp_path / "new" / "hd"
    with pytest.raises(ConfigError, match="does not validate: stray.txt") as e:
        write_hepdata(na64, out)
    assert "\n" not in str(e.value)
    assert listing(tmp_path) == []


def test_without_provenance_reads_the_job_files(tmp_path, na64):
    """A folder of `mcpgen collect` has no provenance.json: the cross sections come from
    the job files' metadata."""
    copy = tmp_path / "collected"
    shutil.copytree(na64, copy, ignore=shutil.ignore_patterns("hepdata", "provenance.json"))
    _, ref = tables(write_hepdata(na64, tmp_path / "ref"))["Cross sections NA64mu"]
    _, data = tables(write_hepdata(copy))["Cross sections NA64mu"]
    assert data == ref


# ------------------------------------------------------- a folder of `mcpgen collect`
@pytest.fixture(scope="module")
def split(na64, tmp_path_factory):
    """Two run folders of one study split by mass (what `mcpgen run --mass` makes: the same
    run identity, one job file each), merged by `mcpgen collect` into the first, which then
    holds the rows of both masses but the job file of its own mass only."""
    from mcpgen.io.root import read_metadata

    base = tmp_path_factory.mktemp("split")
    files = {read_metadata(f)["mass_MeV"]: f for f in sorted(na64.glob("*.root"))}
    assert sorted(files) == [100.0, 1000.0]
    parts = []
    for mass in (100.0, 1000.0):
        part = base / f"m{mass:g}"
        part.mkdir()
        shutil.copy(na64 / "run.json", part)
        shutil.copy(files[mass], part)
        parts.append(part)
    api.collect(parts)
    assert [r["m_chi_MeV"] for r in read_limits_csv(parts[0] / "limits.csv")] == [100.0, 1000.0]
    return parts[0], files


def merged_copy(split, tmp_path, *, provenance_files=None, extra=()):
    """A copy of the collected folder with a provenance.json listing ``provenance_files``
    (None: no provenance.json) and the job files ``extra`` copied in."""
    folder, _ = split
    copy = tmp_path / "merged"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("hepdata", "provenance.json"))
    if provenance_files is not None:
        import json

        (copy / "provenance.json").write_text(json.dumps({"files": provenance_files}))
    for f in extra:
        shutil.copy(f, copy)
    return copy


def generated(out):
    entry, data = tables(out)["Cross sections NA64mu"]
    return entry, [v["value"] for v in dependent(data, "$\\sigma$ (generated")["values"]]


def job_sigma(path):
    from mcpgen.io.root import read_metadata

    return read_metadata(path)["sigma"]


def test_collected_sigma_of_a_mass_without_its_job_file_is_missing(split, tmp_path):
    """No provenance.json and no job file of 1 GeV in the folder: the generated sigma of
    1 GeV is '-' and the description says why; sigma_sel is complete (yields.csv)."""
    _, files = split
    copy = merged_copy(split, tmp_path)
    entry, gen = generated(write_hepdata(copy))
    assert gen == [job_sigma(files[100.0]), "-"]
    assert "the job file of that mass is not in this folder" in entry["description"]
    _, data = tables(copy / "hepdata")["Cross sections NA64mu"]
    assert [v["value"] for v in dependent(data, "$\\sigma_{sel}$")["values"]] == \
        [float(r["sigma_sel"]) for r in rows(copy / "yields.csv")]


def test_collected_sigma_from_every_job_file_of_the_folder(split, tmp_path):
    """A provenance.json of the folder's first run lists the 100 MeV file only (and with a
    wrong sigma): the job files the folder holds decide."""
    _, files = split
    stale = [{"file": files[100.0].name, "label": "NA64mu", "channel": "brem",
              "mass_MeV": 100.0, "sigma": 1.0, "sigma_err": 0.1}]
    copy = merged_copy(split, tmp_path, provenance_files=stale, extra=[files[1000.0]])
    entry, gen = generated(write_hepdata(copy))
    assert gen == [job_sigma(files[100.0]), job_sigma(files[1000.0])]
    assert "not in this folder" not in entry["description"]


def test_collected_sigma_falls_back_to_provenance(split, tmp_path):
    _, files = split
    listed = [{"file": files[1000.0].name, "label": "NA64mu", "channel": "brem",
               "mass_MeV": 1000.0, "sigma": 123.5, "sigma_err": 1.5}]
    copy = merged_copy(split, tmp_path, provenance_files=listed)
    _, gen = generated(write_hepdata(copy))
    assert gen == [job_sigma(files[100.0]), 123.5]


# ------------------------------------------------------------- open and closed regions
def with_eps_high(na64, tmp_path, eps_high):
    """A copy of the run folder whose limits.csv has the upper edges {mass: eps_high}."""
    copy = tmp_path / "edges"
    shutil.copytree(na64, copy, ignore=shutil.ignore_patterns("hepdata"))
    lim = rows(copy / "limits.csv")
    for r in lim:
        r["eps_high"] = repr(eps_high[float(r["m_chi_MeV"])])
    with open(copy / "limits.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(lim[0]))
        w.writeheader()
        w.writerows(lim)
    return copy


def test_top_of_the_scan_is_an_open_edge(na64, tmp_path):
    """eps_high = 1 (limits.csv: still excluded at eps = 1) is the top of the scan, not an
    upper edge: the table stays one limit per mass."""
    copy = with_eps_high(na64, tmp_path, {100.0: 1.0, 1000.0: 1.0})
    entry, data = tables(write_hepdata(copy))["Reach NA64mu"]
    (eps,) = data["dependent_variables"]
    assert eps["header"]["name"].startswith("$\\epsilon$ upper limit")
    assert [v["value"] for v in eps["values"]] == \
        [r["eps_limit"] for r in read_limits_csv(copy / "limits.csv")]


def test_closed_region_keeps_open_edges_open(na64, tmp_path):
    """One closed region (eps_high = 0.5) gives the two-edge form; the other mass's edge at
    the top of the scan (1) is written '-' (open)."""
    copy = with_eps_high(na64, tmp_path, {100.0: 1.0, 1000.0: 0.5})
    entry, data = tables(write_hepdata(copy))["Reach NA64mu"]
    lo, hi = data["dependent_variables"]
    lim = read_limits_csv(copy / "limits.csv")
    assert "lower edge" in lo["header"]["name"] and "upper edge" in hi["header"]["name"]
    assert [v["value"] for v in lo["values"]] == [r["eps_low"] for r in lim]
    assert [v["value"] for v in hi["values"]] == ["-", 0.5]
    assert "excluded up to the top of the scan, eps = 1" in entry["description"]


def test_edge_just_below_the_top_closes(na64, tmp_path):
    """eps_high = 0.99999886: N(eps = 1) < s_up, the region closes just below the top (the
    crossing interpolated between the last eps-grid node with events and eps = 1): a real
    upper edge, written as such."""
    copy = with_eps_high(na64, tmp_path, {100.0: 0.99999886, 1000.0: 1.0})
    entry, data = tables(write_hepdata(copy))["Reach NA64mu"]
    lo, hi = data["dependent_variables"]
    assert [v["value"] for v in hi["values"]] == [0.99999886, "-"]


# ------------------------------------------------------------------- names and modes
def test_empty_out_is_refused(tmp_path, na64, monkeypatch):
    monkeypatch.chdir(tmp_path)     # Path("") is ".": this folder
    for out in ("", "  "):
        for overwrite in (False, True):
            with pytest.raises(ConfigError, match="empty output folder name") as e:
                write_hepdata(na64, out, overwrite=overwrite)
            assert "--out" in str(e.value)
    assert listing(tmp_path) == []


def test_dot_names_the_run_folder(tmp_path, na64, monkeypatch):
    monkeypatch.chdir(na64)
    out = write_hepdata(".", tmp_path / "dot")
    for entry, _ in tables(out).values():
        assert entry["location"] in (f"mcpgen run folder {na64.name}, limits.csv",
                                     f"mcpgen run folder {na64.name}, yields.csv")


def test_outputs_honour_the_umask(tmp_path, na64):
    old = os.umask(0o027)
    try:
        out = write_hepdata(na64, tmp_path / "hd")
    finally:
        os.umask(old)
    paths = [out, out / "submission", *(out / "submission").iterdir()]
    assert all(p.stat().st_mode & 0o777 == 0o750 for p in paths[:2])
    assert all(p.stat().st_mode & 0o777 == 0o640 for p in [*paths[2:], out / OUTPUT[1]])


def test_locked_run_folder(na64):
    from mcpgen.framework.rundir import locked

    with locked(na64), pytest.raises(ConfigError, match="another mcpgen run"):
        write_hepdata(na64, overwrite=True)


def test_validate_submission_names_the_problem(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "submission.yaml").write_text("---\ncomment: x\n---\nname: t\n")
    archive = tmp_path / "bad.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bad / "submission.yaml", arcname="submission.yaml")
    with pytest.raises(ConfigError, match="does not validate: submission.yaml") as e:
        validate_submission(archive)
    assert "\n" not in str(e.value)
