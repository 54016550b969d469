"""Round trips, atomicity and error handling of the ROOT event files (mcpgen.io.root)."""

import os
import tempfile
import warnings

import numpy as np
import pytest

uproot = pytest.importorskip("uproot")

from mcpgen.errors import ConfigError  # noqa: E402
from mcpgen.io.record import EventBatch  # noqa: E402
from mcpgen.framework.process import Column  # noqa: E402
from mcpgen.io.record import STATUS_LEGEND  # noqa: E402
from mcpgen.io.root import (  # noqa: E402
    FORMAT_VERSION,
    NORMALISATION,
    EventLayout,
    EventWriter,
    bench_root_write,
    read_branches,
    read_events,
    read_metadata,
    write_events,
)

NAMES = ("l", "N", "chi", "chibar")
EVENT_BRANCHES = ["weight", "vx", "vy", "vz", "E_beam", "det_pass", "det_eff", "det_E_rec"]
PARTICLE_FIELDS = ["pdgid", "status", "px", "py", "pz", "E", "mass"]
ALL_BRANCHES = {"nparticle", *EVENT_BRANCHES, *(f"particle_{f}" for f in PARTICLE_FIELDS)}


def make_batch(n, seed=0):
    """Synthetic batch with every dtype, NaNs and mixed detector decisions."""
    rng = np.random.default_rng(seed)
    k = len(NAMES)
    mass = np.array([0.511, 11177.9, 25.0, 25.0])
    p = rng.normal(0.0, 50.0, size=(3, n, k))
    return EventBatch(
        weight=rng.exponential(1e-3, n),
        pdgid=np.tile(np.array([11, 1000060120, 9000001, -9000001], np.int32), (n, 1)),
        status=np.tile(np.array([4, 4, 1, 1], np.int32), (n, 1)), px=p[0], py=p[1], pz=p[2],
        E=np.sqrt((p ** 2).sum(axis=0) + mass ** 2), mass=np.tile(mass, (n, 1)),
        vx=rng.normal(size=n), vy=rng.normal(size=n), vz=rng.uniform(0, 500, n),
        E_beam=np.full(n, 8000.0),
        names=NAMES, det_pass=rng.random(n) < 0.5, det_eff=rng.random(n),
        det_E_rec=np.where(rng.random(n) < 0.5, np.nan, rng.uniform(0, 100, n)),
    )


META = {"process": "brems", "beam": {"particle": "e-", "E_MeV": 8000.0}, "target": "W",
        "m_chi_MeV": 25.0, "eps": 1e-3, "sigma_pb": 1.25e-2, "sigma_err_pb": 3.0e-5,
        "n_generated": 1000, "seed": 12345, "mcpgen_version": "0.1.0", "unweighted": False}
STEERING = '[run]\nprocess = "brems"\nseed = 12345\n'


def assert_same(a: EventBatch, b: EventBatch):
    assert a.names == b.names
    for f in EventBatch.PER_EVENT + EventBatch.PER_PARTICLE:
        x, y = getattr(a, f), getattr(b, f)
        assert x.dtype == y.dtype and x.shape == y.shape, f
        np.testing.assert_array_equal(x, y, err_msg=f)  # NaNs compare equal here
    # per-event columns (E_beam, det_E_rec, ...) are no longer fixed fields: compare them too
    assert set(a.columns) == set(b.columns)
    for c in a.columns:
        x, y = np.asarray(a.columns[c]), np.asarray(b.columns[c])
        assert x.dtype == y.dtype and x.shape == y.shape, c
        np.testing.assert_array_equal(x, y, err_msg=c)
    assert set(a.collections) == set(b.collections)
    for c, (off, fields) in a.collections.items():
        off2, fields2 = b.collections[c]
        np.testing.assert_array_equal(off, off2, err_msg=c)
        assert set(fields) == set(fields2), c
        for f in fields:
            assert fields[f].dtype == fields2[f].dtype, (c, f)
            np.testing.assert_array_equal(fields[f], fields2[f], err_msg=f"{c}.{f}")


#: the two float64 columns of make_batch, in insertion order, without declarations
LAYOUT = {"columns": [{"name": "E_beam", "dtype": "<f8", "shape": [], "unit": "", "doc": ""},
                      {"name": "det_E_rec", "dtype": "<f8", "shape": [], "unit": "", "doc": ""}],
          "collections": []}


def expected_meta(meta=META, names=NAMES, layout=LAYOUT):
    return dict(meta, particle_names=list(names), format_version=2,
                units={"energy": "MeV", "length": "mm", "weight": "pb"}, layout=layout,
                normalisation=NORMALISATION,
                status_legend={str(k): v for k, v in STATUS_LEGEND.items()}, steering=STEERING)


def test_round_trip(tmp_path):
    batch = make_batch(1000)
    path = tmp_path / "out.root"
    assert write_events(path, batch, META, STEERING, chunk_events=300) == path  # 4 uneven chunks
    back, meta = read_events(path)
    assert_same(back, batch)
    assert meta == expected_meta()
    assert read_metadata(path) == meta
    assert sorted(os.listdir(tmp_path)) == ["out.root"]


def test_layout_read_with_uproot(tmp_path):
    batch = make_batch(50)
    path = tmp_path / "out.root"
    write_events(path, batch, META, STEERING)
    with uproot.open(path) as f:
        assert f.classnames() == {"events;1": "TTree", "metadata;1": "TObjString",
                                  "steering;1": "TObjString", "run;1": "TTree"}
        events = f["events"]
        assert isinstance(events, uproot.TTree)
        assert set(events.keys()) == ALL_BRANCHES
        assert events.num_entries == 50
        types = {b: events[b].typename for b in events.keys()}
        assert types["particle_pdgid"] == "int32_t[]" and types["particle_status"] == "int32_t[]"
        assert types["particle_px"] == "double[]" and types["weight"] == "double"
        assert types["det_pass"] == "bool"
        assert "MeV" in events.title and "mm" in events.title and "pb" in events.title
        assert np.all(events["nparticle"].array(library="np") == len(NAMES))
        run = f["run"]
        assert isinstance(run, uproot.TTree) and run.num_entries == 1
        row = run.arrays(library="np")
        # numeric scalars only: strings and nested dicts live in the JSON
        assert set(row) == {"m_chi_MeV", "eps", "sigma_pb", "sigma_err_pb", "n_generated",
                            "seed", "unweighted", "format_version"}
        assert row["sigma_pb"][0] == META["sigma_pb"] and row["n_generated"][0] == 1000
        assert row["unweighted"].dtype == np.bool_ and not row["unweighted"][0]


def test_streaming_writer_and_late_metadata(tmp_path):
    blocks = [make_batch(n, seed=i) for i, n in enumerate([7, 0, 120, 33, 250])]
    path = tmp_path / "stream.root"
    buf = make_batch(10, seed=99)
    layout = EventLayout.of(blocks[0])   # the columns to stream are declared up front
    with EventWriter(path, layout, {"process": "brems"}, STEERING, chunk_events=100) as w:
        for b in blocks:
            w.write(b)
        w.write(buf)
        expected_buf = EventBatch.concatenate([buf])
        buf.px[:] = -1.0  # the writer must not keep references to the caller's arrays
        assert not os.path.exists(path)  # nothing appears before close
        w.metadata.update(sigma_pb=0.5, n_generated=420)
    back, meta = read_events(path)
    assert_same(back, EventBatch.concatenate(blocks + [expected_buf]))
    assert meta["sigma_pb"] == 0.5 and meta["n_generated"] == 420
    assert meta["layout"] == LAYOUT
    part, _ = read_events(path, entry_start=5, entry_stop=130)
    assert_same(part, back.take(slice(5, 130)))


def test_empty_file_round_trip(tmp_path):
    path = tmp_path / "empty.root"
    with EventWriter(path, NAMES, META):
        pass
    back, meta = read_events(path)
    assert len(back) == 0 and back.px.shape == (0, len(NAMES))
    assert meta["steering"] == ""


def make_rich_batch(n, seed=0):
    """make_batch plus an int column, a fixed-size (n, 3) column and a jagged collection."""
    rng = np.random.default_rng(seed)
    batch = make_batch(n, seed)
    batch.det_eff_table = rng.random((n, 3))
    batch.n_hits_true = rng.integers(0, 5, n).astype(np.int32)
    counts = rng.integers(0, 4, n)          # zero-length entries included
    off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    batch.collections = {"hits": (off, {"x": rng.normal(size=off[-1]),
                                        "layer": rng.integers(0, 9, off[-1]).astype(np.int32)})}
    return batch


DECLARED = (Column("E_beam", "float64", "MeV", "lepton energy at the vertex"),
            Column("det_E_rec", "float64", "MeV", "measured recoil energy"),
            Column("det_eff_table", "float64", "", "efficiency on the eps grid", shape=(3,)))


def test_format_2_declared_columns_and_collections(tmp_path):
    batch = make_rich_batch(500)
    path = tmp_path / "rich.root"
    write_events(path, batch, META, STEERING, chunk_events=70, declared=DECLARED)
    back, meta = read_events(path)
    assert_same(back, batch)
    assert meta["format_version"] == FORMAT_VERSION == 2
    cols = {c["name"]: c for c in meta["layout"]["columns"]}
    assert list(cols) == ["E_beam", "det_E_rec", "det_eff_table", "n_hits_true"]
    assert cols["E_beam"] == {"name": "E_beam", "dtype": "<f8", "shape": [], "unit": "MeV",
                              "doc": "lepton energy at the vertex"}
    assert cols["det_eff_table"]["shape"] == [3] and cols["n_hits_true"]["dtype"] == "<i4"
    assert cols["n_hits_true"]["unit"] == "" and cols["n_hits_true"]["doc"] == ""  # undeclared
    (hits,) = meta["layout"]["collections"]
    assert hits["name"] == "hits" and [f["name"] for f in hits["fields"]] == ["x", "layer"]
    assert EventLayout.from_metadata(meta) == EventLayout.of(batch, declared=DECLARED)
    with uproot.open(path) as f:
        events = f["events"]
        assert {"det_eff_table", "n_hits_true", "nhits", "hits_x",
                "hits_layer"} <= set(events.keys())
        assert events["det_eff_table"].typename == "double[3]"
        assert events["hits_layer"].typename == "int32_t[]"
        assert np.array_equal(events["nhits"].array(library="np"),
                              np.diff(batch.collections["hits"][0]))
    # an entry range cuts the collections consistently
    part, _ = read_events(path, entry_start=33, entry_stop=401)
    assert_same(part, batch.take(slice(33, 401)))


def test_streamed_collections_across_chunks(tmp_path):
    blocks = [make_rich_batch(n, seed=i) for i, n in enumerate([13, 0, 90, 41])]
    path = tmp_path / "stream.root"
    with EventWriter(path, EventLayout.of(blocks[0], declared=DECLARED), META, STEERING,
                     chunk_events=25) as w:
        for b in blocks:
            w.write(b)
    assert_same(read_events(path)[0], EventBatch.concatenate(blocks))


def test_writer_requires_the_layout_columns(tmp_path):
    batch = make_batch(5)
    del batch.columns["det_E_rec"]
    with pytest.raises(ValueError, match="det_E_rec"):
        with EventWriter(tmp_path / "x.root", EventLayout.of(make_batch(5)), META) as w:
            w.write(batch)
    assert os.listdir(tmp_path) == []


def test_read_branches(tmp_path):
    batch = make_rich_batch(40)
    path = write_events(tmp_path / "b.root", batch, META, STEERING, declared=DECLARED)
    data, meta = read_branches(path, ["weight", "det_pass", "det_eff_table"])
    assert set(data) == {"weight", "det_pass", "det_eff_table"}
    assert np.array_equal(data["weight"], batch.weight)
    assert np.array_equal(data["det_pass"], batch.det_pass)
    assert np.array_equal(data["det_eff_table"], batch.det_eff_table)
    assert meta["m_chi_MeV"] == 25.0 and meta["steering"] == STEERING
    with pytest.raises(ConfigError, match="lacks branches") as info:
        read_branches(path, ["weight", "no_such_branch"])
    assert "no_such_branch" in str(info.value) and str(path) in str(info.value)


def _write_format_1(path, batch, meta):
    """A file as mcpgen format 1 wrote it: fixed E_beam/det_E_rec branches, no layout."""
    import json

    import awkward as ak

    counts = np.full(len(batch), len(batch.names))
    parts = ak.zip({f: ak.unflatten(np.ascontiguousarray(getattr(batch, f)).reshape(-1), counts)
                    for f in EventBatch.PER_PARTICLE})
    data = {"weight": batch.weight, "particle": parts, "vx": batch.vx, "vy": batch.vy,
            "vz": batch.vz, "E_beam": batch.E_beam, "det_pass": batch.det_pass,
            "det_eff": batch.det_eff, "det_E_rec": batch.det_E_rec}
    with uproot.recreate(path) as f:
        f.mktree("events", {b: (v.type if isinstance(v, ak.Array) else v.dtype)
                            for b, v in data.items()}).extend(data)
        f["metadata"] = json.dumps(dict(meta, particle_names=list(batch.names),
                                        format_version=1, units={"energy": "MeV"}))
        f["steering"] = STEERING


def test_format_1_files_are_still_read(tmp_path):
    batch = make_batch(60)
    path = tmp_path / "old.root"
    _write_format_1(path, batch, META)
    back, meta = read_events(path)
    assert meta["format_version"] == 1
    assert_same(back, batch)
    assert np.array_equal(back.E_beam, batch.E_beam)


def test_newer_format_is_refused(tmp_path):
    import json

    path = tmp_path / "future.root"
    with uproot.recreate(path) as f:
        f.mktree("events", {"x": np.float64}).extend({"x": np.arange(3.0)})
        f["metadata"] = json.dumps({"format_version": FORMAT_VERSION + 1})
    with pytest.raises(ConfigError, match="newer than this mcpgen reads") as info:
        read_metadata(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("compression",
                         [None, "none", "zlib", "lz4:1", "zstd:3", "lzma", uproot.ZSTD(1)])
def test_compression_options(tmp_path, compression):
    batch = make_batch(200)
    path = tmp_path / "c.root"
    write_events(path, batch, META, STEERING, compression=compression)
    assert_same(read_events(path)[0], batch)


def test_unknown_compression():
    with pytest.raises(ConfigError, match="compression"):
        EventWriter("x.root", NAMES, compression="gzip")


def test_exception_inside_writer_leaves_nothing(tmp_path):
    path = tmp_path / "out.root"
    with pytest.raises(RuntimeError, match="boom"):
        with EventWriter(path, EventLayout.of(make_batch(0)), META, STEERING, chunk_events=10) as w:
            w.write(make_batch(100))  # some baskets already on disk in the temporary
            assert len(os.listdir(tmp_path)) == 1
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_failed_rewrite_keeps_old_file(tmp_path):
    path = tmp_path / "out.root"
    old = make_batch(20)
    write_events(path, old, META, STEERING)
    with pytest.raises(TypeError, match="not JSON"):  # fails only at close, after all events
        write_events(path, make_batch(30), dict(META, bad=object()), STEERING)
    assert os.listdir(tmp_path) == ["out.root"]
    assert_same(read_events(path)[0], old)


def test_bad_batch_is_rejected(tmp_path):
    batch = make_batch(5)
    batch.vz = batch.vz[:3]
    with pytest.raises(ValueError, match="vz"):
        write_events(tmp_path / "x.root", batch, META)
    with pytest.raises(ValueError, match="names"):
        with EventWriter(tmp_path / "y.root", ("a", "b"), META) as w:
            w.write(make_batch(5))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("where", ["missing_dir", "parent_is_file"])
def test_unwritable_destination(tmp_path, where):
    if where == "parent_is_file":
        (tmp_path / "afile").write_text("x")
        path = tmp_path / "afile" / "out.root"
    else:
        path = tmp_path / "no" / "such" / "dir" / "out.root"
    with pytest.raises(ConfigError, match="cannot create output file") as info:
        write_events(path, make_batch(5), META)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert [p.name for p in tmp_path.rglob("*")] == (["afile"] if where == "parent_is_file" else [])


def test_permission_denied_is_a_config_error(tmp_path, monkeypatch):
    # stands in for a read-only directory when the tests run as root (below is skipped then)
    def deny(path, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(uproot, "recreate", deny)
    with pytest.raises(ConfigError, match="cannot create output file: Permission denied"):
        write_events(tmp_path / "out.root", make_batch(5), META)
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="permission bits do not stop root")
def test_read_only_directory(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="cannot create output file"):
            write_events(ro / "out.root", make_batch(5), META)
        assert os.listdir(ro) == []
    finally:
        ro.chmod(0o700)


def test_read_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such event file") as info:
        read_events(tmp_path / "missing.root")
    assert "missing.root" in str(info.value)
    text = tmp_path / "notes.root"
    text.write_text("not a ROOT file at all\n" * 10)
    with pytest.raises(ConfigError, match="not a readable ROOT file"):
        read_metadata(text)
    other = tmp_path / "other.root"
    with uproot.recreate(other) as f:
        f.mktree("events", {"x": np.float64}).extend({"x": np.arange(3.0)})
    with pytest.raises(ConfigError, match="not an mcpgen event file") as info:
        read_events(other)
    assert str(other) in str(info.value) and "\n" not in str(info.value)
    with uproot.recreate(other) as f:
        f.mktree("events", {"x": np.float64}).extend({"x": np.arange(3.0)})
        f["metadata"] = "{not json"
    with pytest.raises(ConfigError, match="metadata is not JSON"):
        read_events(other)


def test_bench_root_write(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    r = bench_root_write(n_events=2000)
    assert set(r) == {"n_events", "seconds", "payload_MB", "file_MB", "payload_MB_per_s",
                      "file_MB_per_s", "compression"}
    assert r["n_events"] == 2000 and r["payload_MB"] == pytest.approx(2000 * (57 + 7 * 48) / 1e6)
    assert 0 < r["file_MB"] and r["seconds"] > 0 and r["compression"] == "ZSTD(1)"
    assert os.listdir(tmp_path) == []  # temporary directory removed


@pytest.mark.root
def test_read_with_real_root(tmp_path):
    with warnings.catch_warnings():  # the pip ROOT wheel warns that it is an alpha distribution
        warnings.simplefilter("ignore", UserWarning)
        ROOT = pytest.importorskip("ROOT")
    ROOT.gROOT.SetBatch(True)
    batch = make_batch(300)
    path = str(tmp_path / "out.root")
    write_events(path, batch, META, STEERING, chunk_events=128)
    f = ROOT.TFile.Open(path)
    try:
        assert f and not f.IsZombie()
        tree = f.Get("events")
        assert tree.GetEntries() == 300
        tree.SetScanField(0)  # never wait for <CR> on stdin
        assert tree.Scan("weight:vz", "", "", 20) == 20  # rows scanned = entries for scalars
        # for jagged branches Scan counts one row per particle
        assert tree.Scan("particle_pdgid:particle_E", "", "", 5) == 5 * len(NAMES)
        assert tree.Scan("weight", "det_pass") == int(batch.det_pass.sum())
        meta_text = str(f.Get("metadata").GetString())
        steering = str(f.Get("steering").GetString())
    finally:
        f.Close()
    import json

    assert json.loads(meta_text) == {k: v for k, v in expected_meta().items() if k != "steering"}
    assert steering == STEERING
    df = ROOT.RDataFrame("events", path)
    assert df.Sum("weight").GetValue() == pytest.approx(batch.weight.sum(), rel=1e-12)
    sum_e = df.Define("sumE", "Sum(particle_E)").Sum("sumE").GetValue()
    assert sum_e == pytest.approx(batch.E.sum(), rel=1e-12)
    run = ROOT.RDataFrame("run", path).AsNumpy(["sigma_pb", "n_generated"])
    assert run["sigma_pb"][0] == META["sigma_pb"] and run["n_generated"][0] == 1000


def test_path_is_a_directory(tmp_path):
    with pytest.raises(ConfigError, match="is a directory"):
        write_events(tmp_path, make_batch(5), META)
    assert os.listdir(tmp_path) == []
