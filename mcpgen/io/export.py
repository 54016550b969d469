"""Standard event export: an mcpgen ROOT file to HepMC3 (Geant4) or LHE (Pythia 8).

:func:`export_events` streams the ROOT file in chunks (bounded memory for files
of any size), builds the decay chain once (:mod:`mcpgen.io.chain`) and writes
through :mod:`mcpgen.io.hepmc3` or :mod:`mcpgen.io.lhe` into a temporary file
next to the output, renamed into place only when complete.  :func:`export_main`
is the body of ``mcpgen export``; :func:`export_run_files` the hook for writing
exports next to the ROOT files of a run, which skips the exports that
:func:`export_is_current` finds written for the same ROOT file and chi id.

The cross section in the headers (HepMC3 GenCrossSection, LHE XSECUP/XERRUP) is
the sum of the file's weights with its MC error sqrt(sum w^2), read before the
header is written; the integrator's cross section is the run attribute
``sigma_integrated_pb`` (:func:`mcpgen.io.hepmc3.run_attributes`).
"""

from __future__ import annotations

from pathlib import Path

from mcpgen.errors import ConfigError

#: format -> (default suffix, Python package needed)
FORMATS = {"hepmc3": (".hepmc3", "pyhepmc"), "lhe": (".lhe", "pylhe")}
#: events read from the ROOT file at a time
EXPORT_CHUNK = 10_000


def default_output(root_path, fmt) -> Path:
    """The default export file: the ROOT file's name with the format's suffix."""
    return Path(root_path).with_suffix(FORMATS[fmt][0])


def _need(package, fmt):
    import importlib.util

    if importlib.util.find_spec(package) is None:
        raise ConfigError(f"{fmt} export needs the Python package {package!r}: "
                          f"pip install {package}", key="--format")


def export_events(root_path, fmt, out=None, *, chi_pdgid=None, overwrite=False,
                  chunk_events=EXPORT_CHUNK) -> Path:
    """Export the mcpgen ROOT file ``root_path`` as ``fmt`` ("hepmc3" or "lhe").

    ``out`` defaults to the ROOT file with suffix ``.hepmc3``/``.lhe``; an existing
    ``out`` is replaced only with ``overwrite=True``.  ``chi_pdgid`` writes chi as
    +-``chi_pdgid`` instead of the file's +-9000011 (:data:`mcpgen.constants.CHI_PDGID`;
    e.g. 17 as G4DarkBreM, 3000011 as a MadGraph MCP model); the id of a known
    particle or of another particle of the record is refused
    (:func:`mcpgen.io.chain.check_chi_pdgid`).  The header's cross section is the sum
    of the weights (:class:`mcpgen.io.hepmc3.WeightTotals`).  Bad input raises a
    one-line :class:`~mcpgen.errors.ConfigError` and writes nothing.  Returns the
    output path.
    """
    from mcpgen.framework.rundir import atomic_path
    from mcpgen.io.chain import chain_of_metadata, check_chi_pdgid
    from mcpgen.io.hepmc3 import WeightTotals
    from mcpgen.io.root import iter_events, read_branches, read_metadata

    _check_format(fmt)
    root_path = Path(root_path)
    meta = read_metadata(root_path)          # one-line errors for missing / non-mcpgen files
    chi = check_chi_pdgid(chi_pdgid, meta, key="--chi-pdgid", file=root_path)
    out = default_output(root_path, fmt) if out is None else Path(out)
    if out.resolve() == root_path.resolve():
        raise ConfigError("the export would overwrite its own ROOT file; choose another --out",
                          file=out)
    if out.is_dir():
        raise ConfigError("is a directory, not an output file", file=out)
    if not out.parent.is_dir():
        raise ConfigError("cannot create output file: directory does not exist", file=out)
    if out.exists() and not overwrite:
        raise ConfigError("output file exists; use --force (overwrite=True) to replace it",
                          file=out)
    _need(FORMATS[fmt][1], fmt)
    chain = chain_of_metadata(meta, file=root_path)
    if fmt == "lhe":
        from mcpgen.io.lhe import beams

        beams(meta, chain, file=root_path)   # refuse before reading the weights
    # the whole file's weights before the header (the events are streamed after it)
    cols = {c["name"] for c in (meta.get("layout") or {}).get("columns", ())}
    sqrt_s = ["sqrt_s"] if fmt == "lhe" and chain.family == "ee" and "sqrt_s" in cols else []
    pre = read_branches(root_path, ["weight", *sqrt_s])[0]
    totals = WeightTotals.of(pre["weight"], meta)
    chunks = iter_events(root_path, step=chunk_events)
    try:
        with atomic_path(out) as tmp:
            if fmt == "hepmc3":
                from mcpgen.io.hepmc3 import write_hepmc3

                write_hepmc3(tmp, chunks, meta, chain, chi, totals=totals)
            else:
                from mcpgen.io.lhe import write_lhe

                rs = pre.get("sqrt_s")
                write_lhe(tmp, chunks, meta, chain, chi, totals=totals,
                          sqrt_s_max=float(rs.max()) if rs is not None and len(rs) else None,
                          file=root_path)
    except OSError as err:
        raise ConfigError(f"cannot write output file: {err.strerror or err}", file=out) from None
    return out


def _check_format(fmt):
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; allowed: {', '.join(FORMATS)}",
                          key="--format")


def export_is_current(root_path, fmt, *, chi_pdgid=None, out=None) -> bool:
    """Whether the ``fmt`` export ``out`` (default :func:`default_output`) of the mcpgen
    ROOT file ``root_path`` exists and was written for this file (its ``run_identity``
    and ``job_seed``) with chi as ``chi_pdgid`` (None: the file's own id) by this
    version of the export (:data:`mcpgen.io.hepmc3.EXPORT_VERSION`).  Reads only the
    header of the export and the metadata of the ROOT file.  False for a missing
    export, one without the record (older mcpgen), of another run or chi id, and for a
    ROOT file without a ``run_identity``."""
    from mcpgen.io.root import read_metadata

    _check_format(fmt)
    out = default_output(root_path, fmt) if out is None else Path(out)
    if not out.is_file():
        return False
    return _is_current(read_metadata(root_path), fmt, chi_pdgid, out)


def _is_current(meta, fmt, chi_pdgid, out) -> bool:
    from mcpgen.io.hepmc3 import record_of

    if not out.is_file() or meta.get("run_identity") is None or meta.get("job_seed") is None:
        return False
    if fmt == "hepmc3":
        from mcpgen.io.hepmc3 import read_record
    else:
        from mcpgen.io.lhe import read_record
    try:
        have = read_record(out)
    except OSError:
        return False
    return all(have.get(k) == v for k, v in record_of(meta, chi_pdgid).items())


def export_main(args) -> int:
    """``mcpgen export``: ``args`` has ``file``, ``format``, ``out``, ``chi_pdgid``, ``force``
    (see :func:`add_export_arguments`).  Prints the written path; returns exit code 0."""
    out = export_events(args.file, args.format, args.out, chi_pdgid=args.chi_pdgid,
                        overwrite=args.force)
    print(f"mcpgen: wrote {out}")
    return 0


def add_export_arguments(parser) -> None:
    """The arguments of ``mcpgen export`` on an argparse (sub)parser."""
    parser.add_argument("file", help="mcpgen ROOT event file")
    parser.add_argument("--format", required=True, choices=sorted(FORMATS),
                        help="hepmc3: HepMC3 ASCII (MeV, mm; for Geant4); lhe: Les Houches "
                             "events (GeV; for Pythia 8)")
    parser.add_argument("--out", default=None,
                        help="output file (default: FILE with suffix .hepmc3 / .lhe)")
    parser.add_argument("--chi-pdgid", type=int, default=None, dest="chi_pdgid",
                        help="PDG id written for chi (chibar: minus it); default: the file's "
                             "9000011 (e.g. 17 as G4DarkBreM, 3000011 as MadGraph MCP models)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing output file")


def check_formats(formats, *, file=None, key="output.export") -> tuple:
    """The steering's export formats as a tuple; ConfigError naming ``file`` and ``key``
    for anything but an array of distinct known format names."""
    if isinstance(formats, str) or not isinstance(formats, (list, tuple)):
        raise ConfigError(f"expected an array of formats, got {formats!r}; allowed: "
                          f"[{', '.join(repr(f) for f in FORMATS)}]", file=file, key=key)
    for f in formats:
        if f not in FORMATS:
            raise ConfigError(f"unknown export format {f!r}; allowed: {', '.join(FORMATS)}",
                              file=file, key=key)
    if len(set(formats)) != len(formats):
        raise ConfigError(f"format listed twice in {list(formats)!r}", file=file, key=key)
    return tuple(formats)


def export_run_files(root_files, formats, *, chi_pdgid=None, overwrite=True) -> list:
    """Write the ``formats`` exports next to each finished ROOT file of a run (the
    ``[output] export`` steering option); returns the paths written now.  Exports that
    are current (:func:`export_is_current`: same ROOT file and chi id) are kept as
    they are, so a rerun that reuses its jobs costs a header read per export; the
    others are rewritten (with ``overwrite=True``).  Files whose record cannot be an
    LHE event (meson-spectrum decays) are skipped for "lhe".  A ``chi_pdgid`` that
    :func:`mcpgen.io.chain.check_chi_pdgid` refuses raises a ConfigError naming the
    steering key ``output.chi_pdgid``."""
    from mcpgen.io.chain import chain_of_metadata, check_chi_pdgid
    from mcpgen.io.root import read_metadata

    written = []
    for path in map(Path, root_files):
        meta = read_metadata(path)
        chi = check_chi_pdgid(chi_pdgid, meta, key="output.chi_pdgid", file=path)
        family = chain_of_metadata(meta, file=path).family
        for fmt in formats:
            if fmt == "lhe" and family == "meson-decay":
                continue
            if _is_current(meta, fmt, chi, default_output(path, fmt)):
                continue
            written.append(export_events(path, fmt, chi_pdgid=chi, overwrite=overwrite))
    return written
