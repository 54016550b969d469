"""The in-memory event record shared by processes, detectors and writers.

An :class:`EventBatch` holds ``n`` events of one process:

* fixed particle blocks: ``k`` particles per event in the order of ``names``,
  arrays ``pdgid``, ``status``, ``px``, ``py``, ``pz``, ``E``, ``mass`` of shape (n, k);
* the event ``weight`` (process weight unit, pb for cross sections, at the
  reference eps of the run) and the production vertex ``vx``, ``vy``, ``vz``;
* the detector decision ``det_pass`` (bool) and ``det_eff`` (probability at eps_ref);
* per-event ``columns`` declared by the process (``E_beam`` for lepton beams) or
  the detector (``det_E_rec``), each of shape (n,) or (n, ...), readable as
  attributes (``batch.E_beam``);
* variable-length ``collections``: name -> (offsets (n + 1,), {field: flat array}).

Units: MeV for energies, momenta and masses, mm for vertices (hepunits base units).
Particle status codes follow HepMC3: 4 incoming beam/target, 1 final state,
2 decayed intermediate (the virtual photon).

:meth:`EventBatch.to_awkward` gives the same events as an awkward array whose
particles are ``vector`` Momentum4D records with parent/child indices
(:mod:`mcpgen.io.chain`).
"""

from __future__ import annotations

import numpy as np

STATUS_FINAL = 1
STATUS_DECAYED = 2
STATUS_INCOMING = 4
#: legend of the status codes, stored with every file
STATUS_LEGEND = {STATUS_FINAL: "final state", STATUS_DECAYED: "decayed intermediate",
                 STATUS_INCOMING: "incoming beam or target"}


class EventBatch:
    """Events of one process; see the module docstring.  Extra keyword arguments are
    per-event columns (``EventBatch(..., E_beam=array)``)."""

    PER_EVENT = ("weight", "vx", "vy", "vz", "det_pass", "det_eff")
    PER_PARTICLE = ("pdgid", "status", "px", "py", "pz", "E", "mass")
    _CORE = PER_EVENT + PER_PARTICLE + ("names", "columns", "collections")

    def __init__(self, *, weight, pdgid, status, px, py, pz, E, mass, vx, vy, vz, names=(),
                 det_pass=None, det_eff=None, collections=None, **columns):
        n = len(weight)
        object.__setattr__(self, "columns", dict(columns))
        self.weight, self.pdgid, self.status = weight, pdgid, status
        self.px, self.py, self.pz, self.E, self.mass = px, py, pz, E, mass
        self.vx, self.vy, self.vz = vx, vy, vz
        self.names = tuple(names)
        self.det_pass = np.ones(n, dtype=bool) if det_pass is None else det_pass
        self.det_eff = np.ones(n, dtype=np.float64) if det_eff is None else det_eff
        self.collections = dict(collections or {})

    def __getattr__(self, name):
        columns = self.__dict__.get("columns", {})
        if name in columns:
            return columns[name]
        raise AttributeError(f"EventBatch has no field or column {name!r}")

    def __setattr__(self, name, value):
        if name in self._CORE:
            object.__setattr__(self, name, value)
        else:
            self.columns[name] = value

    def __len__(self):
        return len(self.weight)

    def index(self, name: str) -> int:
        """Column of the particle labelled ``name``."""
        return self.names.index(name)

    def vertices(self):
        """Production vertices (n, 3) in mm."""
        return np.stack([np.asarray(self.vx, float), np.asarray(self.vy, float),
                         np.asarray(self.vz, float)], axis=1)

    def direction(self, name: str):
        """(column, unit momentum direction (n, 3), |p| (n,)) of the particle ``name``;
        the direction is 0 where p = 0."""
        j = self.index(name)
        p = np.stack([self.px[:, j], self.py[:, j], self.pz[:, j]], axis=1).astype(float)
        norm = np.sqrt((p * p).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(norm[:, None] > 0.0, p / norm[:, None], 0.0)
        return j, d, norm

    def take(self, sel) -> "EventBatch":
        """Sub-batch selected by a slice, boolean mask or index array."""
        kw = {f: getattr(self, f)[sel] for f in self.PER_EVENT + self.PER_PARTICLE}
        cols = {c: v[sel] for c, v in self.columns.items()}
        colls = {}
        if self.collections:
            idx = np.arange(len(self))[sel]
            for c, (off, fields) in self.collections.items():
                counts = off[1:] - off[:-1]
                items = np.concatenate([np.arange(off[i], off[i + 1]) for i in idx]) \
                    if len(idx) else np.zeros(0, np.int64)
                colls[c] = (np.concatenate([[0], np.cumsum(counts[idx])]).astype(np.int64),
                            {f: a[items.astype(np.int64)] for f, a in fields.items()})
        return EventBatch(names=self.names, collections=colls, **kw, **cols)

    def to_awkward(self, *, chi_pdgid=None):
        """The events as an awkward array (one record per event; needs ``awkward``).

        Fields of an event: ``particles`` (list of ``vector`` Momentum4D records in
        record order: ``px``, ``py``, ``pz``, ``E`` [MeV], ``pdgid``, ``status``,
        ``gen_mass`` [MeV], the mass the generator wrote -- named so that vector does
        not take it for a coordinate, ``.mass`` is computed from E and p -- and
        ``parents``/``children``, lists of indices into the same event's particles,
        from :func:`mcpgen.io.chain.chain_of`); ``weight``; ``vertex`` (Vector3D
        ``x``, ``y``, ``z`` [mm]); ``det_pass``, ``det_eff``; every per-event column
        (``E_beam``, ...) and every collection (a list of records per event).  With
        ``vector`` installed its behaviours are attached, so ``.pt``, ``.eta``,
        ``.mass`` work without ``vector.register_awkward()``.  ``chi_pdgid`` rewrites
        +-9000011 (:data:`mcpgen.constants.CHI_PDGID`) to +-``chi_pdgid``.  A particle
        record that :mod:`mcpgen.io.chain` does not know raises ConfigError.
        """
        import awkward as ak

        from mcpgen.io.chain import chain_of, check_chi_pdgid, remap_chi

        chain = chain_of(self.names)
        n, k = len(self), len(self.names)
        C = ak.contents

        def flat(a, dtype):
            return C.NumpyArray(np.ascontiguousarray(a, dtype).reshape(-1))

        rel = {}
        for which in ("parents", "children"):
            off, idx = chain.index_table(which)
            counts = np.tile(np.diff(off), n)
            offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            rel[which] = C.ListOffsetArray(ak.index.Index64(offsets),
                                           C.NumpyArray(np.tile(idx, n)))
        pdgid = remap_chi(np.asarray(self.pdgid), check_chi_pdgid(chi_pdgid))
        fields = {"px": flat(self.px, np.float64), "py": flat(self.py, np.float64),
                  "pz": flat(self.pz, np.float64), "E": flat(self.E, np.float64),
                  "pdgid": flat(pdgid, np.int32), "status": flat(self.status, np.int32),
                  "gen_mass": flat(self.mass, np.float64), **rel}
        particles = C.ListOffsetArray(
            ak.index.Index64(np.arange(n + 1, dtype=np.int64) * k),
            C.RecordArray(list(fields.values()), list(fields), length=n * k,
                          parameters={"__record__": "Momentum4D"}))
        vertex = C.RecordArray([flat(self.vx, np.float64), flat(self.vy, np.float64),
                                flat(self.vz, np.float64)], ["x", "y", "z"], length=n,
                               parameters={"__record__": "Vector3D"})
        event = {"particles": particles, "weight": flat(self.weight, np.float64),
                 "vertex": vertex, "det_pass": flat(self.det_pass, np.bool_),
                 "det_eff": flat(self.det_eff, np.float64)}
        for name, v in self.columns.items():
            if name in event:
                raise ValueError(f"column {name!r} clashes with an event field")
            event[name] = ak.to_layout(np.ascontiguousarray(v))
        for name, (off, items) in self.collections.items():
            if name in event:
                raise ValueError(f"collection {name!r} clashes with an event field")
            m = int(off[-1]) if len(off) else 0
            event[name] = C.ListOffsetArray(
                ak.index.Index64(np.asarray(off, np.int64)),
                C.RecordArray([C.NumpyArray(np.ascontiguousarray(a)) for a in items.values()],
                              list(items), length=m))
        try:
            from vector.backends.awkward import behavior
        except ImportError:
            behavior = None
        return ak.Array(C.RecordArray(list(event.values()), list(event), length=n),
                        behavior=behavior)

    @classmethod
    def concatenate(cls, batches) -> "EventBatch":
        batches = list(batches)
        if not batches:
            raise ValueError("no batches to concatenate")
        first = batches[0]
        kw = {f: np.concatenate([getattr(b, f) for b in batches])
              for f in cls.PER_EVENT + cls.PER_PARTICLE}
        cols = {c: np.concatenate([b.columns[c] for b in batches]) for c in first.columns}
        colls = {}
        for c in first.collections:
            offs, fields, base = [np.zeros(1, np.int64)], {f: [] for f in first.collections[c][1]}, 0
            for b in batches:
                off, fl = b.collections[c]
                offs.append(off[1:] + base)
                base += int(off[-1])
                for f in fields:
                    fields[f].append(fl[f])
            colls[c] = (np.concatenate(offs), {f: np.concatenate(v) for f, v in fields.items()})
        return cls(names=first.names, collections=colls, **kw, **cols)
