"""The in-memory event record shared by generators, detectors and writers.

An :class:`EventBatch` holds ``n`` events of one process with ``k`` particles
each, in a fixed order given by ``names``.  Units: MeV for energies, momenta
and masses, mm for vertices (hepunits base units); weights in pb at the
reference eps stored in the run metadata.

Particle status codes follow HepMC3: 4 incoming beam/target, 1 final state,
2 decayed intermediate (the virtual photon).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

STATUS_FINAL = 1
STATUS_DECAYED = 2
STATUS_INCOMING = 4


@dataclass
class EventBatch:
    weight: np.ndarray            #: (n,) float64, pb
    pdgid: np.ndarray             #: (n, k) int32
    status: np.ndarray            #: (n, k) int32
    px: np.ndarray                #: (n, k) float64, MeV
    py: np.ndarray
    pz: np.ndarray
    E: np.ndarray
    mass: np.ndarray
    vx: np.ndarray                #: (n,) float64, mm: production vertex
    vy: np.ndarray
    vz: np.ndarray
    E_beam: np.ndarray            #: (n,) float64, MeV: incoming lepton energy at the vertex
    names: tuple = ()             #: k particle labels, e.g. ("l", "N", "l'", "N'", "gamma*", "chi", "chibar")
    #: detector decision, filled by a detector module (defaults: not yet applied)
    det_pass: np.ndarray = field(default=None)   #: (n,) bool
    det_eff: np.ndarray = field(default=None)    #: (n,) float64 in [0, 1]
    det_E_rec: np.ndarray = field(default=None)  #: (n,) float64, MeV: measured recoil energy

    def __post_init__(self):
        n = len(self.weight)
        if self.det_pass is None:
            self.det_pass = np.ones(n, dtype=bool)
        if self.det_eff is None:
            self.det_eff = np.ones(n, dtype=np.float64)
        if self.det_E_rec is None:
            self.det_E_rec = np.full(n, np.nan)

    def __len__(self):
        return len(self.weight)

    PER_EVENT = ("weight", "vx", "vy", "vz", "E_beam", "det_pass", "det_eff", "det_E_rec")
    PER_PARTICLE = ("pdgid", "status", "px", "py", "pz", "E", "mass")

    def index(self, name: str) -> int:
        """Column of the particle labelled ``name``."""
        return self.names.index(name)

    def take(self, sel) -> "EventBatch":
        """Sub-batch selected by a boolean mask or index array."""
        kw = {f: getattr(self, f)[sel] for f in self.PER_EVENT + self.PER_PARTICLE}
        return EventBatch(names=self.names, **kw)

    @classmethod
    def concatenate(cls, batches) -> "EventBatch":
        batches = list(batches)
        if not batches:
            raise ValueError("no batches to concatenate")
        kw = {
            f: np.concatenate([getattr(b, f) for b in batches])
            for f in cls.PER_EVENT + cls.PER_PARTICLE
        }
        return cls(names=batches[0].names, **kw)
