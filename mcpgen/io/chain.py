"""The decay chain of an mcpgen event: who comes from whom, and at which vertex.

Every process family writes a fixed particle record whose labels and order are
documented by the process (:attr:`mcpgen.framework.process.Process.particles`,
stored in the file metadata as ``particle_names``/``particles``).  The chain is
read off the labels: each known record below lists, for every particle that has
parents, the labels of its parents.  Particles without an entry are roots (the
incoming beam and target, status 4, or the decaying meson of a meson-spectrum
file, status 2).  The chain is the same for every event of a file, so it is built
once per file and shared by the HepMC3 and LHE writers and the awkward view.

Vertices group the particles by their parents: one vertex per distinct parent
set, with the parents as incoming and the children as outgoing particles.  All
vertices sit at the event vertex (``vx``, ``vy``, ``vz`` [mm]: the production
point) except where the record says otherwise: in the photoproduction record the
beam lepton radiates the photon at the depth ``z_brem`` and the photon makes the
vector meson at ``vz``.  The record has no times: vertices are at t = 0.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from mcpgen.errors import ConfigError

_LN = {"l'": ("l", "N"), "N'": ("l", "N")}
_PAIR_OF_PHOTON = {"chi": ("gamma*",), "chibar": ("gamma*",)}
_PAIR_OF_V = {"chi": ("V",), "chibar": ("V",)}

#: (family, particle labels in record order, parents by label, z column by vertex parents)
_RECORDS = (
    ("lepton-nucleus", ("l", "N", "l'", "N'", "gamma*", "chi", "chibar"),
     {**_LN, "gamma*": ("l", "N"), **_PAIR_OF_PHOTON}, {}),
    ("lepton-nucleus", ("l", "N", "l'", "N'", "V"), {**_LN, "V": ("l", "N")}, {}),
    ("ee", ("e-", "e+", "gamma*", "chi", "chibar"),
     {"gamma*": ("e-", "e+"), **_PAIR_OF_PHOTON}, {}),
    ("ee", ("e-", "e+", "gamma*", "gamma_isr", "chi", "chibar"),
     {"gamma*": ("e-", "e+"), "gamma_isr": ("e-", "e+"), **_PAIR_OF_PHOTON}, {}),
    ("meson-decay", ("V", "chi", "chibar"), _PAIR_OF_V, {}),
    ("meson-decay", ("P", "gamma", "gamma*", "chi", "chibar"),
     {"gamma": ("P",), "gamma*": ("P",), **_PAIR_OF_PHOTON}, {}),
    ("photoproduction", ("l", "N", "l'", "gamma_brem", "N'", "V", "chi", "chibar"),
     {"l'": ("l",), "gamma_brem": ("l",), "N'": ("gamma_brem", "N"), "V": ("gamma_brem", "N"),
      **_PAIR_OF_V}, {("l",): "z_brem"}),
)


@dataclass(frozen=True)
class Vertex:
    """One vertex: record indices of its incoming and outgoing particles, and the
    names of the event columns that give its position [mm]."""

    incoming: tuple
    outgoing: tuple
    position: tuple = ("vx", "vy", "vz")


@dataclass(frozen=True)
class Chain:
    """The decay chain of one particle record (same for every event of a file)."""

    family: str
    names: tuple
    parents: tuple      #: per particle, the record indices of its parents
    vertices: tuple     #: :class:`Vertex` objects, production before decay

    @property
    def children(self) -> tuple:
        """Per particle, the record indices of its children."""
        out = [[] for _ in self.names]
        for i, ps in enumerate(self.parents):
            for p in ps:
                out[p].append(i)
        return tuple(tuple(c) for c in out)

    def production_vertex(self, i: int):
        """Index into :attr:`vertices` of the vertex that makes particle ``i`` (None: a root)."""
        return next((v for v, vx in enumerate(self.vertices) if i in vx.outgoing), None)

    def positions(self, batch):
        """Per vertex, the (x, y, z) arrays [mm] of the events of ``batch``."""
        cols = {"vx": batch.vx, "vy": batch.vy, "vz": batch.vz}
        return [tuple(np.asarray(cols[c] if c in cols else getattr(batch, c), np.float64)
                      for c in v.position) for v in self.vertices]

    def index_table(self, which: str):
        """``(offsets (k + 1,), flat indices)`` of the parents or children lists."""
        lists = self.parents if which == "parents" else self.children
        offsets = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
        flat = np.array([i for x in lists for i in x], dtype=np.int64)
        return offsets, flat


def chain_of(names, *, file=None) -> Chain:
    """The :class:`Chain` of a record with particle labels ``names`` (record order).

    Raises a one-line ConfigError naming ``file`` for a record that is not one of
    the documented ones (see the module docstring)."""
    names = tuple(names)
    for family, labels, parents, zcols in _RECORDS:
        if labels != names:
            continue
        idx = {n: i for i, n in enumerate(names)}
        par = tuple(tuple(idx[p] for p in parents.get(n, ())) for n in names)
        groups = {}
        for i, ps in enumerate(par):
            if ps:
                groups.setdefault(ps, []).append(i)
        # production before decay: a vertex comes after the vertices making its incoming
        order = sorted(groups, key=lambda ps: max(ps))
        pos = {tuple(idx[p] for p in key): col for key, col in zcols.items()}
        vertices = tuple(Vertex(ps, tuple(groups[ps]),
                                ("vx", "vy", pos[ps]) if ps in pos else ("vx", "vy", "vz"))
                         for ps in order)
        return Chain(family, names, par, vertices)
    raise ConfigError(f"no decay chain is known for the particle record {list(names)}; "
                      f"known records: {'; '.join(' '.join(r[1]) for r in _RECORDS)}", file=file)


def chain_of_metadata(meta, *, file=None) -> Chain:
    """The :class:`Chain` of a file from its metadata (``particle_names``)."""
    return chain_of(meta["particle_names"], file=file)


def file_chi_pdgid(meta) -> int:
    """The chi PDG id of a file (``chi_pdgids`` of its metadata; default
    :data:`mcpgen.constants.CHI_PDGID`)."""
    from mcpgen.constants import CHI_PDGID

    ids = meta.get("chi_pdgids") or [CHI_PDGID]
    return abs(int(ids[0]))


def remap_chi(pdgid, chi_pdgid, file_chi=None):
    """``pdgid`` (any shape) with +-``file_chi`` (default the file's id,
    :data:`mcpgen.constants.CHI_PDGID`) replaced by +-``chi_pdgid`` (None: unchanged)."""
    from mcpgen.constants import CHI_PDGID

    pdgid = np.asarray(pdgid)
    if chi_pdgid is None:
        return pdgid
    old = CHI_PDGID if file_chi is None else abs(int(file_chi))
    out = pdgid.copy()
    out[pdgid == old] = chi_pdgid
    out[pdgid == -old] = -chi_pdgid
    return out


#: PDG ids that the MCP tools give chi although `particle` knows them for something else
MCP_PDGID_CONVENTIONS = {17: "G4DarkBreM", 3000011: "MadGraph MCP models"}


@functools.lru_cache(maxsize=64)
def known_particle(pdgid: int):
    """The name `particle` (PDG tables) gives ``pdgid``, "a nucleus" for any nuclear
    code 10LZZZAAAI, else None (the id is free for a new particle such as chi)."""
    from particle import PDGID, Particle
    from particle.particle import InvalidParticle, ParticleNotFound

    try:
        return Particle.from_pdgid(pdgid).name
    except (ParticleNotFound, InvalidParticle):
        return "a nucleus" if PDGID(pdgid).is_nucleus else None


def check_chi_pdgid(chi_pdgid, meta=None, *, key="chi_pdgid", file=None):
    """``chi_pdgid`` as an int (None stays None).

    ConfigError (naming ``key``) unless a positive integer that is the file's own chi
    id (``meta``; default 9000011), one of :data:`MCP_PDGID_CONVENTIONS`, or an id that
    is neither a particle of the record ``meta`` (beam, target, photon, ...) nor one
    that `particle` knows (:func:`known_particle`): chi must not pass for an electron
    or the target nucleus in the exported file."""
    if chi_pdgid is None:
        return None
    if isinstance(chi_pdgid, bool) or not (isinstance(chi_pdgid, (int, np.integer))
                                          or (isinstance(chi_pdgid, str) and chi_pdgid.isdigit())):
        raise ConfigError(f"chi PDG id {chi_pdgid!r} is not an integer; allowed: a positive "
                          "integer such as 9000011 (default), 17 or 3000011", key=key)
    value = int(chi_pdgid)
    if not 0 < value < 2**31:
        raise ConfigError(f"chi PDG id {value} out of range; allowed: 0 < id < 2^31", key=key)
    own = file_chi_pdgid(meta or {})
    if value == own or value in MCP_PDGID_CONVENTIONS:
        return value
    record = {}
    for p in (meta or {}).get("particles", ()):
        if p["label"] not in ("chi", "chibar"):
            record.setdefault(abs(int(p["pdgid"])), p["label"])
    taken = (f"the id of particle {record[value]} of the record" if value in record
             else f"the PDG id of {known_particle(value)}" if known_particle(value) else None)
    if taken:
        conventions = ", ".join(f"{i} ({who})" for i, who in MCP_PDGID_CONVENTIONS.items())
        raise ConfigError(f"chi PDG id {value} is {taken}; allowed: {own} (the file's chi), "
                          f"{conventions} or an id of no known particle or nucleus",
                          file=file, key=key)
    return value
