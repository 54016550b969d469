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
significant digits (particles and vertices get 17: exact); the GenCrossSection is the
file's sigma in pb where the weight unit is pb.  Run info: the tool mcpgen with
its version, the weight names and the run attributes of :func:`run_attributes`.
A Geant4 HepMC3 reader (HepMC3::ReaderAscii as in the G4 HepMC examples) makes a
G4PrimaryVertex per vertex and shoots its status-1 outgoing particles.
"""

from __future__ import annotations

import numpy as np

WEIGHT_NAMES = ("weight", "weight_det")
#: run metadata copied into the HepMC3 run info (when present in the file)
RUN_KEYS = ("process", "process_description", "channel", "label", "model", "eps", "eps_power",
            "weight_unit", "mass_MeV", "m_chi_MeV", "m_Aprime_MeV", "sigma", "sigma_err",
            "sigma_pb", "sigma_err_pb", "events", "unweighted", "seed", "source", "beam",
            "beam_energy_MeV", "target", "Z", "A", "sqrt_s_MeV", "meson", "exposure",
            "exposure_note", "normalisation", "mcpgen_version")


def run_attributes(meta, chain, chi_pdgid) -> dict:
    """Scalar run metadata for the export headers: the :data:`RUN_KEYS` present in
    ``meta`` plus the units, the chi id written and the decay-chain family."""
    from mcpgen.constants import CHI_PDGID

    out = {k: meta[k] for k in RUN_KEYS
           if isinstance(meta.get(k), (str, int, float, bool)) and meta.get(k) is not None}
    out.update(units="energy MeV, length mm", chain_family=chain.family,
               particle_names=" ".join(chain.names),
               chi_pdgid=int(chi_pdgid if chi_pdgid is not None else CHI_PDGID),
               weight_names=" ".join(WEIGHT_NAMES),
               weight_doc="weight: event weight in weight_unit at eps (sum = cross section); "
                          "weight_det: weight x det_eff for det_pass events, else 0")
    return out


def _scalar_columns(batch):
    return {c: np.asarray(v).tolist() for c, v in batch.columns.items() if np.ndim(v) == 1}


def write_hepmc3(path, chunks, meta, chain, chi_pdgid=None):
    """Write the events of ``chunks`` (iterable of ``(EventBatch, metadata)``) to the
    HepMC3 ASCII file ``path``; returns the number of events written."""
    import pyhepmc as hep

    from mcpgen import __version__
    from mcpgen.io.chain import remap_chi

    run = hep.GenRunInfo()
    run.tools = [hep.GenRunInfo.ToolInfo("mcpgen", str(meta.get("mcpgen_version", __version__)),
                                         "millicharged-particle generator")]
    run.weight_names = list(WEIGHT_NAMES)
    for key, value in run_attributes(meta, chain, chi_pdgid).items():
        run.attributes[key] = value
    file_chi = (meta.get("chi_pdgids") or [None])[0]
    sigma_pb = meta.get("sigma_pb")
    sigma_err = meta.get("sigma_err_pb", 0.0)
    n_total = int(meta.get("events", 0) or 0)
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
                if sigma_pb is not None:
                    cs = hep.GenCrossSection()
                    cs.set_cross_section(float(sigma_pb), float(sigma_err), n_total, n_total)
                    evt.cross_section = cs
                out.write_event(evt)
                if out.failed():
                    raise OSError(f"writing event {number} to {path} failed")
                number += 1
    finally:
        out.close()
    return number
