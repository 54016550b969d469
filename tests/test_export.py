"""HepMC3 and LHE export (mcpgen.io.export): round trips against the ROOT file for every
record family, Pythia 8 reading the LHE (when pythia8mc is installed), bad input."""

from pathlib import Path

import numpy as np
import pytest

from mcpgen.errors import ConfigError
from mcpgen.io.chain import chain_of
from mcpgen.io.export import export_events, export_is_current, export_run_files
from mcpgen.io.lhe import read_record as read_lhe_record
from mcpgen.io.root import read_events

ROOT = Path(__file__).resolve().parents[1]
#: name -> (steering file, set-up index, channel, mass MeV): one file per record of mcpgen.io.chain
CASES = {
    "brem": ("na64mu_2025.toml", 0, "brem", 100.0),
    "darkphoton": ("na64mu_2025.toml", 0, "darkphoton", 100.0),
    "photoproduction": ("ldmx_2025.toml", 0, "rho", 300.0),
    "ee": ("stcf_2022_fig1.toml", 0, "ee", 1500.0),
    "meson_vector": ("ship_400gev.toml", 0, "rho", 100.0),
    "meson_pseudoscalar": ("ship_400gev.toml", 0, "eta", 100.0),
}
EVENTS = 150


def make_files(tmp_dir, names=tuple(CASES)):
    """One small ROOT file per case (run_job of the real steering files)."""
    from mcpgen.framework.jobs import Job, run_job
    from mcpgen.steering import load_steering

    out = {}
    for name in names:
        steering, i, channel, mass = CASES[name]
        st = load_steering(ROOT / "steering" / steering)
        job = Job(i, st.setups[i].label, channel, mass)
        d = Path(tmp_dir) / name
        d.mkdir()
        run_job(st, job, d, events=EVENTS, identity=f"test-{name}")
        out[name] = d / job.filename
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return make_files(tmp_path_factory.mktemp("export"))


def _four(batch, i):
    return np.stack([batch.px[i], batch.py[i], batch.pz[i], batch.E[i]], axis=1)


@pytest.mark.parametrize("name", list(CASES))
def test_hepmc3_round_trip(files, name, tmp_path):
    pyhepmc = pytest.importorskip("pyhepmc")
    out = export_events(files[name], "hepmc3", tmp_path / "ev.hepmc3")
    batch, meta = read_events(files[name])
    chain = chain_of(batch.names)
    with pyhepmc.open(out) as f:
        events = list(f)
    assert len(events) == len(batch) > 0
    pos = chain.positions(batch)
    for i, ev in enumerate(events):
        assert ev.event_number == i
        assert ev.momentum_unit == pyhepmc.Units.MEV and ev.length_unit == pyhepmc.Units.MM
        parts = ev.particles
        # HepMC3 ASCII writes 17 significant digits: doubles come back exactly
        got = np.array([[p.momentum.px, p.momentum.py, p.momentum.pz, p.momentum.e] for p in parts])
        np.testing.assert_array_equal(got, _four(batch, i))
        assert [p.pid for p in parts] == batch.pdgid[i].tolist()
        assert [p.status for p in parts] == batch.status[i].tolist()
        assert [p.generated_mass for p in parts] == batch.mass[i].tolist()
        w = batch.weight[i]
        assert ev.weights == [w, w * batch.det_eff[i] if batch.det_pass[i] else 0.0]
        assert ev.weight_names == ["weight", "weight_det"]
        for j, p in enumerate(parts):
            assert sorted(q.id - 1 for q in p.parents) == sorted(chain.parents[j])
            v = chain.production_vertex(j)
            if v is None:
                assert not p.parents
                continue
            x, y, z = (c[i] for c in pos[v])
            pv = p.production_vertex.position
            assert (pv.x, pv.y, pv.z, pv.t) == (x, y, z, 0.0)
        for vtx in ev.vertices:   # independent check of the chain: four-momentum conservation
            pin = sum(np.array([p.momentum.px, p.momentum.py, p.momentum.pz, p.momentum.e])
                      for p in vtx.particles_in)
            pout = sum(np.array([p.momentum.px, p.momentum.py, p.momentum.pz, p.momentum.e])
                       for p in vtx.particles_out)
            # 1e-10 relative: rounding of sums of O(1e5) MeV; the photoproduction brem vertex
            # l -> l' gamma takes both collinear, which leaves p_z short by about
            # m^2/(2 E) for the incoming and the outgoing lepton (the generator's approximation)
            slack = 1e-10 * pin[3] + 1e-9
            ins = list(vtx.particles_in)
            if len(ins) == 1 and abs(ins[0].pid) in (11, 13):
                slack += sum(p.generated_mass**2 / p.momentum.e
                             for p in [*ins, *vtx.particles_out] if abs(p.pid) in (11, 13))
            np.testing.assert_allclose(pout, pin, rtol=0, atol=slack)
    run = events[0].run_info
    assert run.tools[0].name == "mcpgen"
    assert run.attributes["chain_family"].astype(str) == chain.family
    assert run.attributes["chi_pdgid"].astype(int) == 9000011
    assert run.attributes["process"].astype(str) == meta["process"]
    if "E_beam" in batch.columns:
        got = [ev.attributes["E_beam"] for ev in events]
        got = [a.astype(float) if hasattr(a, "astype") else a for a in got]
        # HepMC3 writes double attributes with 15 significant digits (DoubleAttribute)
        np.testing.assert_allclose(got, batch.E_beam, rtol=1e-14, atol=0)
    if meta.get("weight_unit") == "pb":
        # the header's cross section is what the weights add up to (not the integrator's
        # sigma_pb, 1.6 % off for NA64mu at 100 MeV); GenCrossSection has 9 digits
        w = np.array([ev.weights[0] for ev in events])
        for ev in (events[0], events[-1]):
            assert ev.cross_section.xsec() == pytest.approx(w.sum(), rel=1e-8)
            assert ev.cross_section.xsec_err() == pytest.approx(np.sqrt(np.sum(w**2)), rel=1e-8)
        assert run.attributes["cross_section_pb"].astype(float) == pytest.approx(w.sum(),
                                                                                 rel=1e-14)
        assert run.attributes["sigma_integrated_pb"].astype(float) == pytest.approx(
            meta["sigma_pb"], rel=1e-14)    # 15 digits written


def test_hepmc3_primary_vertex_geometry(files, tmp_path):
    """The photoproduction record radiates the photon at z_brem and makes the V at vz."""
    pyhepmc = pytest.importorskip("pyhepmc")
    out = export_events(files["photoproduction"], "hepmc3", tmp_path / "pp.hepmc3")
    batch, _ = read_events(files["photoproduction"])
    with pyhepmc.open(out) as f:
        ev = f.read()
    by_label = dict(zip(batch.names, ev.particles))
    assert by_label["gamma_brem"].production_vertex.position.z == batch.z_brem[0]
    assert by_label["V"].production_vertex.position.z == batch.vz[0]
    assert by_label["chi"].production_vertex.position.z == batch.vz[0]
    assert batch.z_brem[0] <= batch.vz[0]


@pytest.mark.parametrize("name", ["brem", "darkphoton", "photoproduction", "ee"])
def test_lhe_round_trip(files, name, tmp_path):
    pylhe = pytest.importorskip("pylhe")
    out = export_events(files[name], "lhe", tmp_path / "ev.lhe")
    batch, meta = read_events(files[name])
    chain = chain_of(batch.names)
    lhef = pylhe.LHEFile.fromfile(out)
    events = list(lhef.events)
    n = len(batch)
    assert len(events) == n > 0
    info = lhef.init.initInfo
    assert info.weightingStrategy == 4 and info.numProcesses == 1
    ids = (info.beamA, info.beamB)
    assert ids == ((11, -11) if name == "ee" else (int(batch.pdgid[0, 0]), int(batch.pdgid[0, 1])))
    proc = lhef.init.procInfo[0]
    # XSECUP/XERRUP: the sum of the weights and sqrt(sum w^2) (.16e text: 17 digits, and
    # the generator's running sum differs from numpy's pairwise sum by rounding only)
    assert proc.xSection == pytest.approx(batch.weight.sum(), rel=1e-13)
    assert proc.error == pytest.approx(np.sqrt(np.sum(batch.weight**2)), rel=1e-13)
    assert proc.xSection != pytest.approx(meta["sigma_pb"], rel=1e-6)  # not the integrator's
    head = read_lhe_record(out)
    assert float(head["sigma_integrated_pb"]) == meta["sigma_pb"]
    assert float(head["sigma_integrated_err_pb"]) == meta["sigma_err_pb"]
    istup = {4: -1, 1: 1, 2: 2}
    for i, ev in enumerate(events):
        # .16e text: 17 digits; the MeV -> GeV division costs at most one ulp each way
        got = np.array([[p.px, p.py, p.pz, p.e] for p in ev.particles]) * 1000.0
        np.testing.assert_allclose(got, _four(batch, i), rtol=1e-15, atol=1e-12)
        assert [p.id for p in ev.particles] == batch.pdgid[i].tolist()
        assert [p.status for p in ev.particles] == [istup[s] for s in batch.status[i]]
        assert all(p.color1 == p.color2 == 0 for p in ev.particles)
        for j, p in enumerate(ev.particles):
            assert sorted({x for x in ev.mother_indices(p)}) == sorted(chain.parents[j])
            assert p.e <= max(info.energyA, info.energyB) or p.status != -1
        assert ev.eventinfo.weight == pytest.approx(n * batch.weight[i], rel=1e-15)
        vertex = [float(x) for x in ev.optional[0].split()[-3:]]
        assert vertex == [batch.vx[i], batch.vy[i], batch.vz[i]]
    # LHA strategy 4: the mean XWGTUP is the cross section of the file, XSECUP
    assert np.mean([e.eventinfo.weight for e in events]) == pytest.approx(proc.xSection,
                                                                          rel=1e-12)


def test_lhe_fixed_target_beams(files, tmp_path):
    pylhe = pytest.importorskip("pylhe")
    out = export_events(files["brem"], "lhe", tmp_path / "b.lhe")
    meta = read_events(files["brem"])[1]
    lhef = pylhe.LHEFile.fromfile(out)
    info = lhef.init.initInfo
    assert len(list(lhef.events)) == len(read_events(files["brem"])[0])  # (closes the file)
    nucleus = [p for p in meta["particles"] if p["label"] == "N"][0]
    assert info.energyA == pytest.approx(meta["beam_energy_MeV"] / 1000.0, rel=1e-15)
    assert info.energyB == pytest.approx(nucleus["mass"] / 1000.0, rel=1e-15)  # target at rest


def test_chunked_export_is_identical(files, tmp_path):
    pytest.importorskip("pyhepmc")
    pytest.importorskip("pylhe")
    for fmt in ("hepmc3", "lhe"):
        a = export_events(files["ee"], fmt, tmp_path / f"a.{fmt}")
        b = export_events(files["ee"], fmt, tmp_path / f"b.{fmt}", chunk_events=7)
        assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("fmt", ["hepmc3", "lhe"])
def test_chi_pdgid_option(files, fmt, tmp_path):
    pytest.importorskip("pyhepmc")
    pytest.importorskip("pylhe")
    out = export_events(files["brem"], fmt, tmp_path / f"x.{fmt}", chi_pdgid=17)
    text = out.read_text()
    assert "9000011" not in text.replace("chi_pdgid = 17", "").split("</header>")[-1]
    batch, _ = read_events(files["brem"])
    if fmt == "hepmc3":
        import pyhepmc

        with pyhepmc.open(out) as f:
            ev = f.read()
        pids = [p.pid for p in ev.particles]
    else:
        import pylhe

        pids = [p.id for p in list(pylhe.LHEFile.fromfile(out).events)[0].particles]
    want = np.where(np.abs(batch.pdgid[0]) == 9000011, np.sign(batch.pdgid[0]) * 17,
                    batch.pdgid[0]).tolist()
    assert pids == want


def test_default_output_and_overwrite(files, tmp_path):
    pytest.importorskip("pyhepmc")
    import shutil

    src = tmp_path / "run.root"
    shutil.copy(files["ee"], src)
    out = export_events(src, "hepmc3")
    assert out == tmp_path / "run.hepmc3" and out.is_file()
    out.write_text("user data")
    with pytest.raises(ConfigError, match=r"run\.hepmc3.*exists"):
        export_events(src, "hepmc3")
    assert out.read_text() == "user data"
    export_events(src, "hepmc3", overwrite=True)
    assert out.read_text().startswith("HepMC::Version")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.hepmc3", "run.root"]


def test_bad_input(files, tmp_path):
    with pytest.raises(ConfigError, match="unknown export format 'hepmc2'; allowed: hepmc3, lhe"):
        export_events(files["ee"], "hepmc2", tmp_path / "x")
    with pytest.raises(ConfigError, match="no such event file"):
        export_events(tmp_path / "missing.root", "hepmc3")
    with pytest.raises(ConfigError, match="chi PDG id"):
        export_events(files["ee"], "lhe", tmp_path / "y.lhe", chi_pdgid=-5)
    with pytest.raises(ConfigError, match="directory does not exist"):
        export_events(files["ee"], "lhe", tmp_path / "nodir" / "y.lhe")
    with pytest.raises(ConfigError, match="its own ROOT file"):
        export_events(files["ee"], "lhe", files["ee"], overwrite=True)
    pytest.importorskip("pylhe")
    with pytest.raises(ConfigError, match="LHE needs two incoming beams.*allowed: --format hepmc3"):
        export_events(files["meson_vector"], "lhe", tmp_path / "m.lhe")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError, match="not a readable ROOT file"):
        bad = tmp_path / "bad.root"
        bad.write_text("not root")
        export_events(bad, "hepmc3", tmp_path / "bad.hepmc3")
    assert not (tmp_path / "bad.hepmc3").exists()


def test_pythia8_reads_lhe(files, tmp_path):
    """Pythia 8 reads the e+e- LHE (Beams:frameType = 4) with chi defined, event by event.

    Pythia cannot take a nucleus beam (BeamSetup::checkBeams: 'cannot handle this beam
    combination'), so the fixed-target records are not fed to it; meson-spectrum decays
    have no beams and no LHE (see mcpgen.io.lhe)."""
    p8 = pytest.importorskip("pythia8mc")
    out = export_events(files["ee"], "lhe", tmp_path / "ee.lhe")
    batch, meta = read_events(files["ee"])
    m_gev = meta["mass_MeV"] / 1000.0
    py = p8.Pythia("", False)
    for line in ("Beams:frameType = 4", f"Beams:LHEF = {out}", "PDF:lepton = off",
                 "PartonLevel:all = off", "HadronLevel:all = off", "Next:numberCount = 0",
                 f"9000011:new = chi chibar 2 0 0 {m_gev!r}", "9000011:mayDecay = off"):
        assert py.readString(line), line
    assert py.init()
    chi = batch.index("chi")
    n = 0
    while py.next():
        hard = py.process
        found = [hard[j] for j in range(hard.size()) if hard[j].id() == 9000011]
        assert len(found) == 1
        p = found[0]
        # Pythia keeps the LHE momenta (same frame); text precision 17 digits
        np.testing.assert_allclose([p.px(), p.py(), p.pz(), p.e()],
                                   _four(batch, n)[chi] / 1000.0, rtol=1e-12, atol=1e-12)
        n += 1
    info = py.infoPython()
    assert info.atEndOfFile()
    assert n == len(batch)
    # Pythia's sigmaGen for LHA strategy 4 is the mean XWGTUP [mb = 1e9 pb]: it must be the
    # header's XSECUP (it was not when XSECUP was the integrator's sigma); 1e-12: rounding
    xsecup = pylhe_xsecup(out)
    assert info.sigmaGen() * 1e9 == pytest.approx(xsecup, rel=1e-12)
    assert xsecup == pytest.approx(batch.weight.sum(), rel=1e-13)


def pylhe_xsecup(path):
    pylhe = pytest.importorskip("pylhe")
    lhef = pylhe.LHEFile.fromfile(path)
    assert list(lhef.events)   # (reading to the end closes the file)
    return lhef.init.procInfo[0].xSection


ALLOWED = r"allowed: 9000011 \(the file's chi\), 17 \(G4DarkBreM\), 3000011 \(MadGraph MCP models\)"


def test_chi_pdgid_of_a_real_particle_is_refused(files, tmp_path):
    """chi must not be written as an electron, a photon or the target nucleus."""
    import shutil

    from mcpgen.io.chain import check_chi_pdgid
    from mcpgen.io.root import read_metadata

    pytest.importorskip("pyhepmc")
    meta = read_metadata(files["brem"])
    target = next(p["pdgid"] for p in meta["particles"] if p["label"] == "N")
    for bad, why in ((11, "the PDG id of e-"), (22, "gamma"),
                     (13, "particle l of the record"),
                     (target, "the id of particle N of the record"),
                     (1000822080, "the PDG id of Pb208"), (2212, "the PDG id of p"),
                     (1000999990, "a nucleus"), (113, "rho")):
        with pytest.raises(ConfigError, match=rf"key '--chi-pdgid': chi PDG id {bad} is "
                                              rf".*({why}).*; {ALLOWED}") as err:
            export_events(files["brem"], "hepmc3", tmp_path / "x.hepmc3", chi_pdgid=bad)
        assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []
    shutil.copy(files["brem"], tmp_path / "b.root")
    with pytest.raises(ConfigError, match=rf"key 'output.chi_pdgid': chi PDG id 11 .*{ALLOWED}"):
        export_run_files([tmp_path / "b.root"], ("hepmc3",), chi_pdgid=11)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.root"]
    # the file's own id, the MCP conventions (17 is tau' to `particle`) and free ids pass
    for ok in (9000011, 17, 3000011, 9000013):
        assert check_chi_pdgid(ok, meta) == ok
    # an id of the record that `particle` does not know is refused too
    fake = {"chi_pdgids": [9000011, -9000011],
            "particles": [{"label": "V", "pdgid": 9000113}, {"label": "chi", "pdgid": 9000011}]}
    with pytest.raises(ConfigError, match="9000113 is the id of particle V of the record"):
        check_chi_pdgid(9000113, fake)


def _other_run(src, dst, **changes):
    """A copy of the ROOT file ``src`` at ``dst`` as if written by another run."""
    from mcpgen.io.root import write_events

    batch, meta = read_events(src)
    text = meta.pop("steering")
    write_events(dst, batch, {**meta, **changes}, text)


@pytest.mark.parametrize("fmt", ["hepmc3", "lhe"])
def test_export_is_current_and_rerun(files, fmt, tmp_path):
    """A rerun keeps the exports written for the same ROOT file and chi id and rewrites
    the others (changed chi id, another run's file under the same name, older exports)."""
    pytest.importorskip({"hepmc3": "pyhepmc", "lhe": "pylhe"}[fmt])
    import shutil

    src = tmp_path / "run.root"
    shutil.copy(files["ee"], src)
    out = tmp_path / f"run.{fmt}"
    assert not export_is_current(src, fmt)                         # no export yet
    assert export_run_files([src], (fmt,)) == [out]                # first export writes
    assert export_is_current(src, fmt) and export_is_current(src, fmt, chi_pdgid=9000011)
    stamp = out.stat().st_mtime_ns
    assert export_run_files([src], (fmt,)) == []                   # current: skipped
    assert out.stat().st_mtime_ns == stamp
    assert not export_is_current(src, fmt, chi_pdgid=17)
    assert export_run_files([src], (fmt,), chi_pdgid=17) == [out]  # other chi id: rewritten
    assert export_is_current(src, fmt, chi_pdgid=17) and not export_is_current(src, fmt)
    for changes in ({"run_identity": "another-run"}, {"job_seed": 12345}):
        _other_run(files["ee"], src, **changes)                    # same name, other run
        assert not export_is_current(src, fmt, chi_pdgid=17)
        assert export_run_files([src], (fmt,), chi_pdgid=17) == [out]
        assert export_is_current(src, fmt, chi_pdgid=17)
    # only the header is read: the events after it do not matter
    head, sep, _ = out.read_text().partition("\nE 0 " if fmt == "hepmc3" else "<event>")
    out.write_text(head + sep + "garbage")
    assert export_is_current(src, fmt, chi_pdgid=17)
    # an export of older code (no record) is not current
    key = "A run_identity " if fmt == "hepmc3" else "run_identity = "
    out.write_text("".join(x for x in out.read_text().splitlines(True) if not x.startswith(key)))
    assert not export_is_current(src, fmt, chi_pdgid=17)
    assert not export_is_current(files["ee"], fmt, out=out, chi_pdgid=17)


def test_run_hook_and_steering_formats(files, tmp_path):
    """export_run_files (the [output] export hook): every format next to each file, LHE
    skipped for meson-spectrum records; check_formats rejects bad steering values."""
    pytest.importorskip("pyhepmc")
    pytest.importorskip("pylhe")
    import shutil

    from mcpgen.io.export import check_formats, export_run_files

    src = []
    for name in ("ee", "meson_vector"):
        shutil.copy(files[name], tmp_path / f"{name}.root")
        src.append(tmp_path / f"{name}.root")
    written = export_run_files(src, check_formats(["hepmc3", "lhe"]), chi_pdgid=17)
    assert sorted(p.name for p in written) == ["ee.hepmc3", "ee.lhe", "meson_vector.hepmc3"]
    assert export_run_files(src, ("hepmc3",)) == [tmp_path / "ee.hepmc3",
                                                   tmp_path / "meson_vector.hepmc3"]
    for bad, why in (("hepmc3", "expected an array"), (["root"], "unknown export format 'root'"),
                     (["lhe", "lhe"], "format listed twice")):
        with pytest.raises(ConfigError, match=f"s.toml: key 'output.export': {why}"):
            check_formats(bad, file="s.toml")


def test_file_without_events(files, tmp_path):
    """A file with no events exports to valid files with headers and no events."""
    pyhepmc = pytest.importorskip("pyhepmc")
    pylhe = pytest.importorskip("pylhe")
    from mcpgen.io.root import write_events

    batch, meta = read_events(files["brem"])
    meta.pop("steering")
    empty = write_events(tmp_path / "empty.root", batch.take(slice(0, 0)), meta)
    with pyhepmc.open(export_events(empty, "hepmc3")) as f:
        assert list(f) == []
    lhef = pylhe.LHEFile.fromfile(export_events(empty, "lhe"))
    assert lhef.init.initInfo.beamA == batch.pdgid[0, 0]
    assert list(lhef.events) == []
