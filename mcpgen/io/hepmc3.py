"""HepMC3 (ASCII v3) export of mcpgen events, with pyhepmc.

One GenEvent per record event, in MeV and mm, with the vertices of
:mod:`mcpgen.io.chain`: the beam and target (status 4) enter the primary vertex
and have no production vertex; the virtual photon or meson (status 2) leaves it
and decays at the same point (or where the record says: the photoproduction
photon is radiated at ``z_brem``); status codes, PDG ids and the generator's
masses (``generated_mass``) are those of the ROOT file, particles keep the
record order (HepMC3 id = record index + 1).  Weights, in the file's weight unit
(pb for cross sections, at the run's reference eps):

``weight``      the event weight (their sum is the cross section of the file);
``weight_det``  ``weight * det_eff`` for events with ``det_pass``, else 0.

Event attributes: ``det_pass`` (int 0/1), ``det_eff`` and every scalar per-event
column (``E_beam``, ``z_brem``, ``sqrt_s``, ...), which HepMC3 writes with 15
significant digits (particles and vertices get 17: exact).  The GenCrossSection,
where the weight unit is pb, is the sum of the event weights with the MC error
sqrt(sum w^2) (:class:`WeightTotals`), so that it agrees with the weights (a
reader's sum of weights); the integrator's cross section, of which the sum of the
weights is a second estimate, is the run attribute ``sigma_integrated_pb``.  Run
info: the tool mcpgen with its version, the weight names and the run attributes of
:func:`run_attributes`, among them the record (:func:`record_of`) that ties the
export to its ROOT file (:func:`mcpgen.io.export.export_is_current`).
A Geant4 HepMC3 reader (HepMC3::ReaderAscii as in the G4 HepMC examples) makes a
G4PrimaryVertex per vertex and shoots its status-1 outgoing particles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WEIGHT_NAMES = ("weight", "weight_det")
#: run metadata copied into the HepMC3 run info (when present in the file)
RUN_KEYS = ("process", "process_description", "channel", "label", "model", "eps", "eps_power",
            "weight_unit", "mass_MeV", "m_chi_MeV", "m_Aprime_MeV", "events", "unweighted",
            "seed", "source", "beam", "beam_energy_MeV", "target", "Z", "A", "sqrt_s_MeV",
            "meson", "exposure", "exposure_note", "normalisation", "mcpgen_version")
#: version of the export record; bump when the writers change what they write
EXPORT_VERSION = "2"
#: run attributes that tie an export to its ROOT file (:func:`record_of`)
RECORD_KEYS = ("run_identity", "job_seed", "chi_pdgid", "export_version")


@dataclass(frozen=True)
class WeightTotals:
    """The weights of a whole file, known before the header is written: the number of
    events, the cross section ``sum`` (sum of the weights), its MC error ``err``
    (sqrt of the sum of the squared weights, as ``sigma_sel_err`` of
    :mod:`mcpgen.analysis.yields`) and the largest weight."""

    n: int
    sum: float
    err: float
    max: float

    @classmethod
    def of(cls, weights, meta):
        """From all event weights of a file; the sum is the metadata's ``sum_weights``
        (the generator's accumulated sum) when present."""
        w = np.asarray(weights, np.float64)
        total = meta.get("sum_weights")
        return cls(len(w), float(w.sum() if total is None else total),
                   float(np.sqrt(np.sum(w * w))), float(w.max()) if len(w) else 0.0)


def record_of(meta, chi_pdgid) -> dict:
    """The :data:`RECORD_KEYS` of an export of the file with metadata ``meta`` and chi
    written as ``chi_pdgid`` (None: the file's own), as strings (``job_seed`` exceeds
    the 32-bit HepMC3 integer attribute)."""
    from mcpgen.io.chain import file_chi_pdgid

    return {"run_identity": str(meta.get("run_identity")), "job_seed": str(meta.get("job_seed")),
            "chi_pdgid": str(chi_pdgid if chi_pdgid is not None else file_chi_pdgid(meta)),
            "export_version": EXPORT_VERSION}


def run_attributes(meta, chain, chi_pdgid, totals) -> dict:
    """Scalar run metadata for the export headers: the :data:`RUN_KEYS` present in
    ``meta``, the units, the chi id written, the decay-chain family, the
    :func:`record_of` the ROOT file, the cross section of the export
    (``cross_section``/``cross_section_err``: the sum of the weights and
    sqrt(sum w^2), :class:`WeightTotals`) and the integrator's estimate
    (``sigma_integrated``/``sigma_integrated_err``: ``sigma``/``sigma_err`` of the
    file, which the sum of the weights estimates again).  The cross-section keys end
    in ``_pb`` where the weight unit is pb."""
    out = {k: meta[k] for k in RUN_KEYS
           if isinstance(meta.get(k), (str, int, float, bool)) and meta.get(k) is not None}
    unit = "_pb" if meta.get("weight_unit") == "pb" else ""
    out[f"cross_section{unit}"] = totals.sum
    out[f"cross_section_err{unit}"] = totals.err
    for key in ("sigma", "sigma_err"):
        if isinstance(meta.get(key), (int, float)):
            out[f"{key.replace('sigma', 'sigma_integrated')}{unit}"] = float(meta[key])
    out.update(units="energy MeV, length mm", chain_family=chain.family,
               particle_names=" ".join(chain.names), **record_of(meta, chi_pdgid),
               weight_names=" ".join(WEIGHT_NAMES),
               weight_doc="weight: event weight in weight_unit at eps (sum = cross section); "
                          "weight_det: weight x det_eff for det_pass events, else 0")
    out["chi_pdgid"] = int(out["chi_pdgid"])   # an integer attribute; same text in the file
    return out


def head_lines(path, max_bytes=1 << 20):
    """The lines of the text file ``path`` from its start, at most ``max_bytes`` in all
    (the caller stops at the end of the header it wants)."""
    seen = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in iter(lambda: f.readline(max_bytes), ""):
            seen += len(line)
            if seen > max_bytes:
                return
            yield line


def read_record(path) -> dict:
    """The run attributes (``A name value`` lines) of the HepMC3 ASCII file ``path``,
    read from its head only (:func:`head_lines`, up to the first event)."""
    out = {}
    for line in head_lines(path):
        if line.startswith("E "):
            break
        if line.startswith("A "):
            _, name, value = (line.rstrip("\n").split(" ", 2) + [""])[:3]
            out[name] = value
    return out


def _scalar_columns(batch):
    return {c: np.asarray(v).tolist() for c, v in batch.columns.items() if np.ndim(v) == 1}


def write_hepmc3(path, chunks, meta, chain, chi_pdgid=None, *, totals):
    """Write the events of ``chunks`` (iterable of ``(EventBatch, metadata)``) to the
    HepMC3 ASCII file ``path``; ``totals`` the :class:`WeightTotals` of the file (its
    cross section).  Returns the number of events written."""
    import pyhepmc as hep

    from mcpgen import __version__
    from mcpgen.io.chain import file_chi_pdgid, remap_chi

    run = hep.GenRunInfo()
    run.tools = [hep.GenRunInfo.ToolInfo("mcpgen", str(meta.get("mcpgen_version", __version__)),
                                         "millicharged-particle generator")]
    run.weight_names = list(WEIGHT_NAMES)
    for key, value in run_attributes(meta, chain, chi_pdgid, totals).items():
        run.attributes[key] = value
    file_chi = file_chi_pdgid(meta)
    in_pb = meta.get("weight_unit") == "pb"
    k = len(chain.names)
    number = 0
    out = hep.io.WriterAscii(str(path), run)   # writes the header now: valid even with no events
    if out.failed():
        raise OSError(f"cannot open {path} for writing")
    try:
        for batch, _ in chunks:
            n = len(batch)
            if not n:
                continue
            pdg = remap_chi(batch.pdgid, chi_pdgid, file_chi).tolist()
            status = np.asarray(batch.status).tolist()
            px, py, pz, E, mass = (np.asarray(getattr(batch, f), np.float64).tolist()
                                   for f in ("px", "py", "pz", "E", "mass"))
            pos = [tuple(np.asarray(a).tolist() for a in xyz) for xyz in chain.positions(batch)]
            w = np.asarray(batch.weight, np.float64)
            wdet = np.where(np.asarray(batch.det_pass, bool), w * np.asarray(batch.det_eff), 0.0)
            w, wdet = w.tolist(), wdet.tolist()
            dpass = np.asarray(batch.det_pass, bool).astype(int).tolist()
            deff = np.asarray(batch.det_eff, np.float64).tolist()
            cols = _scalar_columns(batch)
            for i in range(n):
                evt = hep.GenEvent(run, hep.Units.MEV, hep.Units.MM)
                evt.event_number = number
                parts = []
                for j in range(k):
                    p = hep.GenParticle(hep.FourVector(px[i][j], py[i][j], pz[i][j], E[i][j]),
                                        pdg[i][j], status[i][j])
                    p.generated_mass = mass[i][j]
                    evt.add_particle(p)
                    parts.append(p)
                for v, (x, y, z) in zip(chain.vertices, pos):
                    vtx = hep.GenVertex(hep.FourVector(x[i], y[i], z[i], 0.0))
                    for j in v.incoming:
                        vtx.add_particle_in(parts[j])
                    for j in v.outgoing:
                        vtx.add_particle_out(parts[j])
                    evt.add_vertex(vtx)
                evt.weights = [w[i], wdet[i]]
                evt.attributes["det_pass"] = dpass[i]
                evt.attributes["det_eff"] = deff[i]
                for c, vals in cols.items():
                    evt.attributes[c] = vals[i]
                if in_pb:
                    cs = hep.GenCrossSection()
                    cs.set_cross_section(totals.sum, totals.err, totals.n, totals.n)
                    evt.cross_section = cs
                out.write_event(evt)
                if out.failed():
                    raise OSError(f"writing event {number} to {path} failed")
                number += 1
    finally:
        out.close()
    return number
