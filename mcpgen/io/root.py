"""ROOT event files: write and read :class:`~mcpgen.io.record.EventBatch` with uproot.

File layout (``format_version`` 2), driven by the columns the process and the
detector module declare (:class:`EventLayout`):

``events`` (TTree, one entry per event)
    ``weight`` [process weight unit, pb]; the fixed particle block ``nparticle``
    and ``particle_pdgid``, ``particle_status`` (int32), ``particle_px``,
    ``particle_py``, ``particle_pz``, ``particle_E``, ``particle_mass`` [MeV];
    ``vx``, ``vy``, ``vz`` [mm] (production vertex); ``det_pass`` (bool),
    ``det_eff``; then every declared per-event column (e.g. ``E_beam``,
    ``det_E_rec`` [MeV]; fixed-size arrays such as ``det_eff_table``), and every
    variable-length collection ``C`` as ``nC`` plus ``C_<field>`` branches.
    uproot cannot set per-branch titles, so units are in the metadata.
``metadata`` (TObjString)
    JSON of the run metadata, plus ``format_version``, ``particle_names``,
    ``particles`` (label, pdgid, status), ``layout`` (columns and collections with
    dtype, unit, doc), ``status_legend``, ``units`` and ``normalisation`` (which
    sum gives the cross section and how it becomes an expected count).
``steering`` (TObjString)
    The steering file text the run was made from.
``run`` (TTree, one entry)
    The numeric (int, float, bool) top-level metadata values, one branch per
    key, for RDataFrame users (e.g. ``sigma_pb``).

Files are written atomically: everything goes into ``.<name>.tmp-<pid>`` in
the target directory, which is renamed onto ``path`` only when complete and
removed on any error.  Format 1 files (fixed ``E_beam``/``det_E_rec`` branches)
are still read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass

import awkward as ak
import numpy as np
import uproot

from mcpgen.errors import ConfigError
from mcpgen.io.record import STATUS_LEGEND, EventBatch

FORMAT_VERSION = 2
UNITS = {"energy": "MeV", "length": "mm", "weight": "pb"}
#: Default compression: ZSTD level 1: files about as small as ZLIB(1), written ~5x
#: faster (>200 MB/s vs ~45 MB/s for ZLIB(1) here; see bench_root_write).
DEFAULT_COMPRESSION = "zstd:1"
#: Events per TTree.extend call (one basket per branch): bounds memory and basket size.
CHUNK_EVENTS = 100_000

_CORE_EVENT = {"weight": np.float64, "vx": np.float64, "vy": np.float64, "vz": np.float64}
_DECISION = {"det_pass": np.bool_, "det_eff": np.float64}
_PARTICLE_DTYPES = {"pdgid": np.int32, "status": np.int32, "px": np.float64, "py": np.float64,
                    "pz": np.float64, "E": np.float64, "mass": np.float64}
_TREE_TITLE = "mcpgen events: units in the metadata (energies MeV, lengths mm, weight pb)"
_CODECS = {"zlib": uproot.ZLIB, "lzma": uproot.LZMA, "lz4": uproot.LZ4, "zstd": uproot.ZSTD}
_RUN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: normalisation note stored in every file
NORMALISATION = ("sum(weight) over all events = cross section at eps_ref (weight_unit); "
                 "expected count = exposure x sum(weight x det_eff) over det_pass events, "
                 "scaled by (eps/eps_ref)^eps_power and the efficiency model")


@dataclass(frozen=True)
class EventLayout:
    """What a file holds: particle labels, per-event columns and collections.

    ``columns``: tuple of (name, dtype string, per-event shape, unit, doc);
    ``collections``: tuple of (name, ((field, dtype string, unit), ...), doc)."""

    names: tuple
    columns: tuple = ()
    collections: tuple = ()

    @classmethod
    def of(cls, batch: EventBatch, *, declared=()) -> "EventLayout":
        """Layout of ``batch``; units and docs from ``declared`` Column objects."""
        info = {c.name: c for c in declared}
        cols = []
        for name, v in batch.columns.items():
            c = info.get(name)
            v = np.asarray(v)
            cols.append((name, v.dtype.str, tuple(v.shape[1:]), c.unit if c else "",
                         c.doc if c else ""))
        colls = tuple((name, tuple((f, np.asarray(a).dtype.str, "") for f, a in fields.items()),
                       "") for name, (_, fields) in batch.collections.items())
        return cls(tuple(batch.names), tuple(cols), colls)

    def to_dict(self) -> dict:
        return {"columns": [{"name": n, "dtype": d, "shape": list(s), "unit": u, "doc": doc}
                            for n, d, s, u, doc in self.columns],
                "collections": [{"name": n, "fields": [{"name": f, "dtype": d, "unit": u}
                                                       for f, d, u in fields], "doc": doc}
                                for n, fields, doc in self.collections]}

    @classmethod
    def from_metadata(cls, meta) -> "EventLayout":
        names = tuple(meta["particle_names"])
        if meta["format_version"] == 1:
            return cls(names, (("E_beam", "<f8", (), "MeV", ""), ("det_E_rec", "<f8", (), "MeV", "")))
        lay = meta.get("layout") or {}
        cols = tuple((c["name"], c["dtype"], tuple(c["shape"]), c["unit"], c["doc"])
                     for c in lay.get("columns", ()))
        colls = tuple((c["name"], tuple((f["name"], f["dtype"], f["unit"]) for f in c["fields"]),
                       c["doc"]) for c in lay.get("collections", ()))
        return cls(names, cols, colls)


def _compression(spec):
    """uproot compression object from ``None``, a uproot object or ``"name[:level]"``."""
    if spec is None or isinstance(spec, uproot.compression.Compression):
        return spec
    name, _, level = str(spec).lower().partition(":")
    if name == "none":
        return None
    if name not in _CODECS or (level and not level.isdigit()):
        raise ConfigError(f"unknown compression {spec!r}; allowed: none, zlib, lzma, lz4, zstd, "
                          "optionally with ':level' (e.g. 'zstd:3')", key="compression")
    return _CODECS[name](int(level) if level else 1)


def _jagged_records(offsets, fields):
    contents = [ak.contents.NumpyArray(np.ascontiguousarray(a)) for a in fields.values()]
    n_items = int(offsets[-1]) if len(offsets) else 0
    records = ak.contents.RecordArray(contents, list(fields), length=n_items)
    return ak.Array(ak.contents.ListOffsetArray(ak.index.Index64(np.asarray(offsets, np.int64)),
                                                records))


def _chunk(batch, lo, hi, layout):
    """Branch data of events ``lo:hi`` in layout order (jagged parts as awkward arrays)."""
    n, k = hi - lo, len(layout.names)
    data = {"weight": np.ascontiguousarray(batch.weight[lo:hi], np.float64)}
    parts = {p: np.ascontiguousarray(getattr(batch, p)[lo:hi], dt).reshape(-1)
             for p, dt in _PARTICLE_DTYPES.items()}
    data["particle"] = _jagged_records(np.arange(n + 1, dtype=np.int64) * k, parts)
    for f, dt in {**_CORE_EVENT, **_DECISION}.items():
        if f != "weight":
            data[f] = np.ascontiguousarray(getattr(batch, f)[lo:hi], dt)
    for name, dtype, _, _, _ in layout.columns:
        data[name] = np.ascontiguousarray(batch.columns[name][lo:hi], np.dtype(dtype))
    for name, fields, _ in layout.collections:
        off, flat = batch.collections[name]
        a, b = int(off[lo]), int(off[hi])
        data[name] = _jagged_records(np.asarray(off[lo:hi + 1], np.int64) - a,
                                     {f: np.asarray(flat[f][a:b], np.dtype(d)) for f, d, _ in fields})
    return data


def _empty_batch(layout):
    k = len(layout.names)
    cols = {n: np.zeros((0, *s), np.dtype(d)) for n, d, s, _, _ in layout.columns}
    colls = {n: (np.zeros(1, np.int64), {f: np.zeros(0, np.dtype(d)) for f, d, _ in fields})
             for n, fields, _ in layout.collections}
    return EventBatch(**{f: np.zeros(0) for f in ("weight", "vx", "vy", "vz")},
                      **{f: np.zeros((0, k), dt) for f, dt in _PARTICLE_DTYPES.items()},
                      names=layout.names, collections=colls, **cols)


def _branch_types(layout):
    """uproot ``mktree`` types of the ``events`` branches."""
    return {b: (v.type if isinstance(v, ak.Array) else
                (np.dtype((v.dtype, v.shape[1:])) if v.ndim > 1 else v.dtype))
            for b, v in _chunk(_empty_batch(layout), 0, 0, layout).items()}


def _json_default(obj):
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    raise TypeError(f"metadata value {obj!r} ({type(obj).__name__}) is not JSON-serialisable")


def _run_row(meta):
    """One-entry ``run`` tree data: the scalar numeric metadata values."""
    row = {}
    for key, v in meta.items():
        if not (isinstance(key, str) and _RUN_KEY.match(key)):
            continue
        if isinstance(v, (bool, np.bool_)):
            row[key] = np.array([v], dtype=np.bool_)
        elif isinstance(v, (int, np.integer)) and -2**63 <= int(v) < 2**63:
            row[key] = np.array([v], dtype=np.int64)
        elif isinstance(v, (float, np.floating)):
            row[key] = np.array([v], dtype=np.float64)
    return row


class EventWriter:
    """Stream event batches into an mcpgen ROOT file, atomically.

    >>> with EventWriter("out.root", layout, {"process": "..."}, steering) as w:
    ...     for batch in blocks:
    ...         w.write(batch)
    ...     w.metadata.update(sigma_pb=sigma, sigma_err_pb=err)

    ``layout`` is an :class:`EventLayout` (or a tuple of particle names for events
    without extra columns).  ``write`` buffers (copies of) small blocks until
    ``chunk_events`` events are pending, then extends the TTree in chunks of at
    most ``chunk_events``, so memory is bounded and baskets are large whatever the
    block size; no reference to the caller's arrays is kept after ``write``
    returns.  ``metadata`` can be updated until the writer is closed.  On leaving
    the ``with`` block through an exception (or on :meth:`abort`) the temporary
    file is removed and ``path`` is left untouched.
    """

    def __init__(self, path, layout, metadata=None, steering_text="", *,
                 compression=DEFAULT_COMPRESSION, chunk_events=CHUNK_EVENTS):
        self.path = os.path.abspath(os.fspath(path))
        self.layout = layout if isinstance(layout, EventLayout) else EventLayout(tuple(layout))
        self.names = self.layout.names
        self.metadata = dict(metadata or {})
        self.steering_text = str(steering_text)
        self.compression = _compression(compression)
        self.chunk_events = max(1, int(chunk_events))
        self.n_written = 0
        self._tmp = self._file = self._tree = None
        self._pending, self._n_pending = [], 0

    def open(self):
        """Create the temporary file and the ``events`` tree."""
        if self._file is not None:
            return self
        head, tail = os.path.split(self.path)
        if not os.path.isdir(head) or os.path.isdir(self.path):  # uproot would mkdir -p
            why = "is a directory" if os.path.isdir(self.path) else "directory does not exist"
            raise ConfigError(f"cannot create output file: {why}", file=self.path)
        self._tmp = os.path.join(head, f".{tail}.tmp-{os.getpid()}")
        try:
            self._file = uproot.recreate(self._tmp, compression=self.compression)
        except OSError as err:
            self._tmp = None
            raise ConfigError(f"cannot create output file: {err.strerror or err}",
                              file=self.path) from err
        try:
            self._tree = self._file.mktree("events", _branch_types(self.layout), title=_TREE_TITLE)
        except BaseException:
            self.abort()
            raise
        return self

    def __enter__(self):
        return self.open()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False

    def write(self, batch: EventBatch):
        """Add the events of ``batch`` (its names and columns must match the layout)."""
        if self._file is None:
            raise RuntimeError("EventWriter is not open (use it as a context manager)")
        if tuple(batch.names) != self.names:
            raise ValueError(f"batch particle names {tuple(batch.names)} != writer names "
                             f"{self.names}")
        n, k = len(batch), len(self.names)
        for f in EventBatch.PER_EVENT + EventBatch.PER_PARTICLE:
            want = (n,) if f in EventBatch.PER_EVENT else (n, k)
            if np.shape(getattr(batch, f)) != want:
                raise ValueError(f"EventBatch.{f} has shape {np.shape(getattr(batch, f))}, "
                                 f"expected {want}")
        extra = set(batch.columns) - {c[0] for c in self.layout.columns}
        if extra:
            raise ValueError(f"EventBatch columns {sorted(extra)} are not in the writer's layout "
                             "(build it with EventLayout.of(batch))")
        for name, _, shape, _, _ in self.layout.columns:
            got = np.shape(batch.columns.get(name))
            if got != (n, *shape):
                raise ValueError(f"EventBatch column {name!r} has shape {got}, expected "
                                 f"{(n, *shape)}")
        if not n:
            return
        self._n_pending += n
        if self._n_pending >= self.chunk_events:
            self._pending.append(batch)
            try:
                self._flush()
            except OSError as err:  # full disk, file-size limit: nothing half-written stays
                self.abort()
                raise ConfigError(f"cannot write output file: {err.strerror or err}",
                                  file=self.path) from None
        else:  # keep a copy: the caller may refill its arrays after write() returns
            self._pending.append(EventBatch.concatenate([batch]))

    def _flush(self):
        if not self._pending:
            return
        pending, self._pending, self._n_pending = self._pending, [], 0
        batch = pending[0] if len(pending) == 1 else EventBatch.concatenate(pending)
        for lo in range(0, len(batch), self.chunk_events):
            hi = min(lo + self.chunk_events, len(batch))
            self._tree.extend(_chunk(batch, lo, hi, self.layout))
            self.n_written += hi - lo

    def close(self):
        """Flush, write metadata/steering/run tree and move the file into place."""
        if self._file is None:
            return
        try:
            meta = dict(self.metadata, particle_names=list(self.names),
                        format_version=FORMAT_VERSION, units=dict(UNITS),
                        layout=self.layout.to_dict(), normalisation=NORMALISATION,
                        status_legend={str(k): v for k, v in STATUS_LEGEND.items()})
            text = json.dumps(meta, default=_json_default, allow_nan=False)
            self._flush()
            self._file["metadata"] = text
            self._file["steering"] = self.steering_text
            run = self._file.mktree("run", {k: v.dtype for k, v in _run_row(meta).items()},
                                    title="mcpgen run metadata (numeric values)")
            run.extend(_run_row(meta))
            self._file.close()
            self._file = None
            with open(self._tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(self._tmp, self.path)
            self._tmp = None
        except OSError as err:
            self.abort()
            raise ConfigError(f"cannot write output file: {err.strerror or err}",
                              file=self.path) from None
        except ValueError as err:
            self.abort()
            if "JSON" in str(err) or "Out of range float" in str(err):
                raise ValueError(f"non-finite metadata value in {self.path}: {err}") from None
            raise
        except BaseException:
            self.abort()
            raise

    def abort(self):
        """Discard everything written so far; ``path`` is not touched."""
        file, tmp = self._file, self._tmp
        self._file = self._tree = self._tmp = None
        self._pending, self._n_pending = [], 0
        try:
            if file is not None:
                file.close()
        except Exception:  # noqa: BLE001 - the file is being discarded anyway
            pass
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.remove(tmp)


def write_events(path, batch: EventBatch, metadata: dict, steering_text: str = "", *,
                 compression=DEFAULT_COMPRESSION, chunk_events=CHUNK_EVENTS, declared=()):
    """Write ``batch`` with its run ``metadata`` and ``steering_text`` to the ROOT file ``path``.

    ``compression`` is a uproot compression object, ``None``, or a string
    ``"none"``, ``"zlib[:level]"``, ``"lzma"``, ``"lz4"``, ``"zstd"`` (level
    defaults to 1); ``declared`` optional Column declarations (units, docs) of the
    batch's columns.  Returns ``path``.  See the module docstring for the layout.
    """
    with EventWriter(path, EventLayout.of(batch, declared=declared), metadata, steering_text,
                     compression=compression, chunk_events=chunk_events) as w:
        w.write(batch)
    return path


def _open_mcpgen(path):
    """Open ``path`` with uproot and parse its metadata, or raise a one-line ConfigError."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ConfigError("no such event file", file=path)
    try:
        f = uproot.open(path)
    except Exception as err:  # uproot raises assorted errors for non-ROOT or truncated files
        raise ConfigError("not a readable ROOT file", file=path) from err
    try:
        classes = f.classnames(recursive=False)
        if classes.get("metadata;1") != "TObjString" or classes.get("events;1") != "TTree":
            raise ConfigError("not an mcpgen event file (no 'metadata' string or 'events' TTree)",
                              file=path)
        try:
            meta = json.loads(str(f["metadata"]))
        except ValueError as err:
            raise ConfigError("not an mcpgen event file (metadata is not JSON)", file=path) from err
        if not isinstance(meta, dict) or not isinstance(meta.get("format_version"), int):
            raise ConfigError("not an mcpgen event file (no format_version)", file=path)
        if meta["format_version"] > FORMAT_VERSION:
            raise ConfigError(f"format_version {meta['format_version']} is newer than this mcpgen "
                              f"reads ({FORMAT_VERSION}); upgrade mcpgen", file=path)
        meta["steering"] = str(f["steering"]) if classes.get("steering;1") == "TObjString" else ""
    except BaseException:
        f.close()
        raise
    return f, meta


def read_metadata(path) -> dict:
    """Run metadata of an mcpgen ROOT file (JSON dict plus ``"steering"`` text), without events."""
    f, meta = _open_mcpgen(path)
    f.close()
    return meta


def read_events(path, *, entry_start=None, entry_stop=None, library="np"):
    """Read an mcpgen ROOT file (any process family) into ``(events, metadata)``.

    ``entry_start``/``entry_stop`` select a range of events.  ``library="np"``
    (default) gives the events as an :class:`EventBatch` of numpy arrays;
    ``library="ak"`` as the awkward array of :meth:`EventBatch.to_awkward`
    (vector Momentum4D particles with parent/child indices).  The metadata is
    the dict written by :func:`write_events` (tuples come back as lists) with
    the steering text under ``"steering"``.
    """
    if library not in ("np", "ak"):
        raise ConfigError(f"unknown library {library!r}; allowed: np, ak", key="library")
    if library == "ak":
        batch, meta = read_events(path, entry_start=entry_start, entry_stop=entry_stop)
        return batch.to_awkward(), meta
    f, meta = _open_mcpgen(path)
    with f:
        tree = f["events"]
        layout = EventLayout.from_metadata(meta)
        names = layout.names
        scalar = {**_CORE_EVENT, **_DECISION}
        want = (list(scalar) + ["nparticle"] + [f"particle_{p}" for p in _PARTICLE_DTYPES]
                + [c[0] for c in layout.columns])
        missing = [b for b in want if b not in tree]
        if missing:
            raise ConfigError(f"events tree lacks branches {missing}", file=path)
        rng = dict(entry_start=entry_start, entry_stop=entry_stop)
        kw = {b: np.asarray(tree[b].array(library="np", **rng), dt) for b, dt in scalar.items()}
        n, k = len(kw["weight"]), len(names)
        if np.any(tree["nparticle"].array(library="np", **rng) != k):
            raise ConfigError(f"events do not all have {k} particles", file=path)
        for p, dt in _PARTICLE_DTYPES.items():
            flat = ak.to_numpy(ak.flatten(tree[f"particle_{p}"].array(library="ak", **rng)))
            kw[p] = np.asarray(flat, dt).reshape(n, k)
        cols = {c: np.asarray(tree[c].array(library="np", **rng), np.dtype(d)).reshape(n, *s)
                for c, d, s, _, _ in layout.columns}
        colls = {}
        for name, fields, _ in layout.collections:
            counts = np.asarray(tree[f"n{name}"].array(library="np", **rng), np.int64)
            off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            colls[name] = (off, {fl: np.asarray(ak.to_numpy(ak.flatten(
                tree[f"{name}_{fl}"].array(library="ak", **rng))), np.dtype(d))
                for fl, d, _ in fields})
    return EventBatch(names=names, collections=colls, **kw, **cols), meta


def iter_events(path, *, step=CHUNK_EVENTS):
    """Yield ``(EventBatch, metadata)`` for consecutive ranges of at most ``step`` events
    of the mcpgen ROOT file ``path``: a file of any size in bounded memory.  A file
    without events yields one empty batch (so the caller still gets the metadata)."""
    f, meta = _open_mcpgen(path)
    with f:
        n = int(f["events"].num_entries)
    step = max(1, int(step))
    for lo in range(0, max(n, 1), step):
        batch, _ = read_events(path, entry_start=lo, entry_stop=min(lo + step, n))
        yield batch, meta


def read_branches(path, branches):
    """``(dict of numpy arrays, metadata)`` for the named scalar/fixed-size branches only."""
    f, meta = _open_mcpgen(path)
    with f:
        tree = f["events"]
        missing = [b for b in branches if b not in tree]
        if missing:
            raise ConfigError(f"events tree lacks branches {missing}", file=path)
        return {b: tree[b].array(library="np") for b in branches}, meta


def _synthetic_batch(n, rng):
    """Realistic-looking content (7 particles, fixed masses/pdgids) for benchmarks."""
    names = ("l", "N", "l'", "N'", "gamma*", "chi", "chibar")
    pdg = np.array([11, 1000060120, 11, 1000060120, 22, 9000001, -9000001], np.int32)
    status = np.array([4, 4, 1, 1, 2, 1, 1], np.int32)
    mass = np.array([0.511, 11177.9, 0.511, 11177.9, 0.0, 10.0, 10.0])
    p = rng.normal(0.0, 100.0, size=(3, n, 7))
    E = np.sqrt((p ** 2).sum(axis=0) + mass ** 2)
    return EventBatch(weight=rng.exponential(1e-3, n), pdgid=np.broadcast_to(pdg, (n, 7)).copy(),
                      status=np.broadcast_to(status, (n, 7)).copy(), px=p[0], py=p[1], pz=p[2],
                      E=E, mass=np.broadcast_to(mass, (n, 7)).copy(), vx=rng.normal(0, 1, n),
                      vy=rng.normal(0, 1, n), vz=rng.uniform(0, 1000, n), names=names,
                      det_pass=rng.random(n) < 0.3, det_eff=rng.random(n),
                      E_beam=rng.uniform(1e3, 8e3, n), det_E_rec=rng.uniform(0, 1e3, n))


def bench_root_write(n_events=1_000_000, path=None, *, compression=DEFAULT_COMPRESSION, seed=0):
    """Time :func:`write_events` on synthetic 7-particle events.

    MB/s is uncompressed payload (sum of the numpy arrays' ``nbytes``, 1 MB =
    1e6 bytes) per wall second including file open, close, fsync and rename.
    With ``path=None`` the file goes to a temporary directory that is deleted
    afterwards; an explicit ``path`` is written and kept.
    """
    batch = _synthetic_batch(int(n_events), np.random.default_rng(seed))
    payload = (sum(getattr(batch, f).nbytes for f in EventBatch.PER_EVENT + EventBatch.PER_PARTICLE)
               + sum(v.nbytes for v in batch.columns.values()))
    tmpdir = tempfile.mkdtemp(prefix="mcpgen-bench-") if path is None else None
    out = os.path.join(tmpdir, "bench.root") if path is None else os.fspath(path)
    try:
        t0 = time.perf_counter()
        write_events(out, batch, {"process": "benchmark"}, compression=compression)
        seconds = time.perf_counter() - t0
        size = os.path.getsize(out)
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return {"n_events": int(n_events), "seconds": seconds, "payload_MB": payload / 1e6,
            "file_MB": size / 1e6, "payload_MB_per_s": payload / 1e6 / seconds,
            "file_MB_per_s": size / 1e6 / seconds, "compression": repr(_compression(compression))}
