"""Les Houches Event File (LHEF 3.0) export of mcpgen events, with pylhe.

Conventions (Alwall et al., "A standard format for Les Houches Event Files",
hep-ph/0609017; Boos et al., hep-ph/0109068 for the HEPRUP/HEPEUP blocks):

* momenta and masses in GeV (the LHE convention; the ROOT file is in MeV);
* ISTUP -1 for the incoming beam and target (status 4 in the file), 1 final
  state (1), 2 intermediate (2: the virtual photon, the meson, the brem photon);
  MOTHUP the 1-based record indices of the parents (:mod:`mcpgen.io.chain`),
  both equal for one parent; ICOLUP 0 (no colour); VTIMUP 0; SPINUP 9 (unknown);
* IDWTUP = 4 (weighted events): XWGTUP = N x weight [pb], so that the mean XWGTUP
  over the N events of the file is the sum of its weights, its cross section, as
  LHA strategy 4 wants; XSECUP/XERRUP that sum and its MC error sqrt(sum w^2)
  (:class:`mcpgen.io.hepmc3.WeightTotals`, pb at the reference eps), so that
  Pythia's ``sigmaGen`` equals XSECUP; XMAXUP the largest XWGTUP.  The
  integrator's cross section and error (``sigma_pb``/``sigma_err_pb`` of the file,
  which the sum of the weights estimates again) are ``sigma_integrated_pb`` and
  ``sigma_integrated_err_pb`` of the ``<mcpgen>`` header;
* one process, LPRUP = IDPRUP = 1; no PDFs (PDFGUP = PDFSUP = 0);
* the event vertex [mm] goes into a comment line ``# mcpgen vertex_mm x y z``
  after the particles (LHE has no vertices); the header holds an ``<mcpgen>``
  element with the run metadata as ``key = value`` lines
  (:func:`mcpgen.io.hepmc3.run_attributes`, with the record that ties the export to
  its ROOT file; :func:`read_record` reads them back).

How the families map:

fixed target (lepton-nucleus, photoproduction)
    beams IDBMUP = (lepton id, nucleus id), EBMUP = (beam energy E0, nuclear mass:
    the target at rest); events in the lab frame; a degraded incoming lepton has
    its energy at the vertex (``E_beam``), a nucleon target (incoherent
    photoproduction) is a proton at rest.
e+e- collider
    beams (11, -11) with the largest sqrt(s)/2 of the file each (:func:`beams`);
    events in the collider frame.
meson decays from a meson-spectrum source
    have no beams and cannot be an LHE event: the export refuses (use HepMC3).

Pythia 8 (8.317) reads the e+e- files with ``Beams:frameType = 4``; it refuses a
nucleus beam (``BeamSetup::checkBeams: cannot handle this beam combination``), so
the fixed-target files are for other LHEF readers.
"""

from __future__ import annotations

import numpy as np

from mcpgen.errors import ConfigError

MEV_PER_GEV = 1000.0
ISTUP = {4: -1, 1: 1, 2: 2}
PARTICLE_FORMAT = ("{id:9d} {status:3d} {mother1:3d} {mother2:3d} {color1:3d} {color2:3d} "
                   "{px: .16e} {py: .16e} {pz: .16e} {e: .16e} {m: .16e} {lifetime: .1e} "
                   "{spin: .1e}")
EVENTINFO_FORMAT = "{nparticles:3d} {pid:4d} {weight: .16e} {scale: .8e} {aqed: .8e} {aqcd: .8e}"
INITINFO_FORMAT = ("{beamA:9d} {beamB:9d} {energyA: .16e} {energyB: .16e} {PDFgroupA:d} "
                   "{PDFgroupB:d} {PDFsetA:d} {PDFsetB:d} {weightingStrategy:d} {numProcesses:d}")
PROCINFO_FORMAT = "{xSection: .16e} {error: .16e} {unitWeight: .16e} {procId:d}"


def beams(meta, chain, *, sqrt_s_max=None, file=None):
    """``((id_A, id_B), (E_A, E_B) [GeV])`` of the LHE <init> block for a file.

    Pythia 8 rejects an event whose incoming lepton has more energy than its beam
    (x > 1), so with a beam-energy spread the e+e- beams get ``sqrt_s_max``/2, the
    largest collision energy of the file (MeV), instead of the nominal sqrt(s)/2."""
    parts = {p["label"]: p for p in meta.get("particles", [])}
    if chain.family in ("lepton-nucleus", "photoproduction"):
        lep, nuc = parts["l"], parts["N"]
        return ((int(lep["pdgid"]), int(nuc["pdgid"])),
                (float(meta["beam_energy_MeV"]) / MEV_PER_GEV, float(nuc["mass"]) / MEV_PER_GEV))
    if chain.family == "ee":
        e = 0.5 * max(float(meta["sqrt_s_MeV"]), float(sqrt_s_max or 0.0)) / MEV_PER_GEV
        return (11, -11), (e, e)
    raise ConfigError(f"LHE needs two incoming beams; the {chain.family} record "
                      f"({' '.join(chain.names)}) has none; allowed: --format hepmc3", file=file)


def _header(pylhe, attrs):
    import xml.etree.ElementTree as ET

    el = ET.Element("mcpgen")
    el.text = "\n" + "\n".join(f"{k} = {v}" for k, v in attrs.items()) + "\n"
    return pylhe.LHEHeader(initrwgt=pylhe.LHEInitRWGT(), extra_elements=[el])


def _events(pylhe, chunks, chain, n_total, chi_pdgid, file_chi):
    from mcpgen.io.chain import remap_chi

    k = len(chain.names)
    moth = [(ps[0] + 1, ps[-1] + 1) if ps else (0, 0) for ps in chain.parents]
    for batch, _ in chunks:
        if not len(batch):
            continue
        pdg = remap_chi(batch.pdgid, chi_pdgid, file_chi).tolist()
        ist = np.vectorize(ISTUP.__getitem__, otypes=[int])(np.asarray(batch.status)).tolist()
        px, py, pz, E, mass = ((np.asarray(getattr(batch, f), np.float64) / MEV_PER_GEV).tolist()
                               for f in ("px", "py", "pz", "E", "mass"))
        xw = (np.asarray(batch.weight, np.float64) * n_total).tolist()
        vx, vy, vz = (np.asarray(a, np.float64).tolist() for a in (batch.vx, batch.vy, batch.vz))
        for i in range(len(batch)):
            parts = [pylhe.LHEParticle(id=pdg[i][j], status=ist[i][j], mother1=moth[j][0],
                                       mother2=moth[j][1], color1=0, color2=0, px=px[i][j],
                                       py=py[i][j], pz=pz[i][j], e=E[i][j], m=mass[i][j],
                                       lifetime=0.0, spin=9.0) for j in range(k)]
            info = pylhe.LHEEventInfo(nparticles=k, pid=1, weight=xw[i], scale=-1.0,
                                      aqed=-1.0, aqcd=-1.0)
            yield pylhe.LHEEvent(eventinfo=info, particles=parts,
                                 optional=[f"# mcpgen vertex_mm {vx[i]!r} {vy[i]!r} {vz[i]!r}"])


def read_record(path) -> dict:
    """The ``key = value`` lines of the ``<mcpgen>`` header element of the LHE file
    ``path``, read from its head only (up to ``</mcpgen>`` or ``<init>``)."""
    from html import unescape

    from mcpgen.io.hepmc3 import head_lines

    out, inside = {}, False
    for line in head_lines(path):
        text = line.strip()
        if text.startswith(("</mcpgen>", "<init", "<event")):
            break
        if text == "<mcpgen>":
            inside = True
        elif inside and " = " in text:
            key, value = text.split(" = ", 1)
            out[key] = unescape(value)
    return out


def write_lhe(path, chunks, meta, chain, chi_pdgid=None, *, totals, sqrt_s_max=None,
              file=None):
    """Write the events of ``chunks`` (iterable of ``(EventBatch, metadata)``) to the
    LHE file ``path``.  ``totals`` are the :class:`~mcpgen.io.hepmc3.WeightTotals` of
    the file (N, XSECUP, XERRUP, XMAXUP), ``sqrt_s_max`` the largest ``sqrt_s`` of an
    e+e- file (:func:`beams`): one cheap pass over those branches before the header.
    Returns the number of events."""
    import pylhe

    from mcpgen.io.chain import file_chi_pdgid
    from mcpgen.io.hepmc3 import run_attributes

    (id_a, id_b), (e_a, e_b) = beams(meta, chain, sqrt_s_max=sqrt_s_max, file=file)
    n = totals.n
    init = pylhe.LHEInit(
        initInfo=pylhe.LHEInitInfo(beamA=id_a, beamB=id_b, energyA=e_a, energyB=e_b,
                                   PDFgroupA=0, PDFgroupB=0, PDFsetA=0, PDFsetB=0,
                                   weightingStrategy=4, numProcesses=1),
        procInfo=[pylhe.LHEProcInfo(xSection=totals.sum, error=totals.err,
                                    unitWeight=totals.max * n, procId=1)],
        generators=[pylhe.LHEGenerator(name="mcpgen", version=str(meta.get("mcpgen_version", "")),
                                       description="millicharged-particle generator")])
    attrs = run_attributes(meta, chain, chi_pdgid, totals)
    attrs.update(xwgtup="N x weight in pb (IDWTUP = 4: mean XWGTUP = XSECUP = sum of weights)",
                 momenta="GeV", vertex="comment line '# mcpgen vertex_mm x y z' (mm)")
    file_chi = file_chi_pdgid(meta)
    counter = [0]

    def counted():
        for ev in _events(pylhe, chunks, chain, n, chi_pdgid, file_chi):
            counter[0] += 1
            yield ev

    lhef = pylhe.LHEFile(init=init, events=counted(), header=_header(pylhe, attrs))
    fmt = pylhe.LHEXMLFormat(particle=PARTICLE_FORMAT, eventinfo=EVENTINFO_FORMAT,
                             initinfo=INITINFO_FORMAT, procinfo=PROCINFO_FORMAT)
    lhef.tofile(path, fmt)
    return counter[0]
