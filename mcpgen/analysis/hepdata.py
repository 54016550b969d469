"""A finished run as a HEPData submission: the reach and the cross sections, with units and
the steering's sources.

:func:`write_hepdata` reads a run folder (``limits.csv``, ``yields.csv``, the metadata of the
job files it holds, which carry the steering text and the detector card with its sources, and
``provenance.json`` as a fallback; :mod:`mcpgen.analysis.hepdata_inputs`) and writes, with
``hepdata_lib``:

* one reach table per set-up, per channel where a set-up has several, and their sum:
  m_chi (MeV) -> the eps upper limit at the run's CL; where the excluded region is closed
  (an e+e- tracker: slow MCPs are stopped or too faint) the lower and upper eps edges of each
  interval instead, one row per interval (an upper edge at the top of the scan, eps = 1, is
  open: '-');
* one cross-section table per set-up and channel: m_chi -> the generated cross section, the
  selected one (sum w eff at eps_ref) with their MC errors in the run's weight unit ("pb", or
  "per POT" for meson spectra) and the expected count at eps = 1, with the exposure.

Qualifiers name the process, source, detector card, CL, limit method, background, s_up,
eps_ref and seed; the steering's commented lines and the card's ``[sources]`` are the table
descriptions, the steering's header the record abstract.  The steering file and the two CSV
files travel as additional resources.  No image is added, so neither ROOT nor ImageMagick is
needed.

Output (default ``RUN_DIR/hepdata``): ``submission/`` (``submission.yaml`` and the tables)
and ``submission.tar.gz`` (the same files, the archive to upload).  The archive is validated
with ``hepdata_validator`` before the folder appears; it is built in a temporary folder beside
it and renamed into place.  ``hepdata_lib``'s own ``create_files`` is not used: it writes its
archive into the working directory.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import shutil
from pathlib import Path

from ..errors import ConfigError
from .hepdata_inputs import mass_key, read_run, steering_blocks
from .yields import SUM_CHANNEL

#: what an output folder of :func:`write_hepdata` holds
OUTPUT = ("submission", "submission.tar.gz")
#: significant digits kept: 17 round-trips every float of the CSV files exactly
DIGITS = 17
#: units of the weights and of the exposure that multiplies them
EXPOSURE_UNITS = {"pb": "pb$^{-1}$", "per POT": "POT"}
MISSING = "-"   # HEPData's mark for a value that does not exist (no reach, open edge)
#: an upper eps edge within this of 1 is the top of the scanned range eps <= 1, where
#: limits.csv writes exactly 1 for a region still excluded at eps = 1 (open).  An edge just
#: below 1 (e.g. 0.99999886) is a region that closes: N(eps = 1) < s_up, the crossing
#: interpolated between the last eps-grid node with events and eps = 1
OPEN_TOP_RTOL = 1e-12


def write_hepdata(run_dir, out=None, *, overwrite: bool = False, lock: bool = True) -> Path:
    """Write the HEPData submission of run folder ``run_dir`` into ``out`` (default
    ``run_dir/hepdata``); return ``out``.

    ``out`` holds ``submission/`` and ``submission.tar.gz``; an existing ``out`` is replaced
    only with ``overwrite=True`` and only if it is such a folder.  ``lock=False`` when the
    caller holds the run folder's lock (``mcpgen run``).  Bad input and a submission that
    does not validate raise :class:`ConfigError` and write nothing.
    """
    if out is not None and str(out).strip() == "":   # before Path(""), which is "."
        raise ConfigError("empty output folder name; allowed: a folder path", key="--out")
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError("run folder not found", file=run_dir)
    out = run_dir / "hepdata" if out is None else Path(out)
    inside = out.resolve().parent == run_dir.resolve()
    guard = _run_lock(run_dir) if lock and inside else contextlib.nullcontext()
    with guard:
        _load_libraries()
        run = read_run(run_dir)
        run["name"] = run_dir.resolve().name   # "." names no folder
        _check_target(out, overwrite)
        from .. import __version__

        submission = _submission(run, __version__)
        _publish(submission, run, out)
    return out


def _load_libraries():
    """Import hepdata_lib and hepdata_validator.  hepdata_validator 0.3 imports
    ``jsonschema.RefResolver`` and ``RefResolutionError``, deprecated since jsonschema 4.18:
    the deprecation warnings of its imports are silenced (theirs to fix; a user cannot act
    on them), and so is the "alpha stage" notice of the PyPI build of ROOT, which
    hepdata_lib imports when it is installed."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning,
                                module=r"hepdata_validator\b")
        warnings.filterwarnings("ignore", category=UserWarning,
                                message=r"\s*This distribution of ROOT is in alpha stage")
        import hepdata_lib  # noqa: F401
        import hepdata_validator.full_submission_validator  # noqa: F401


def _run_lock(run_dir):
    from ..framework.rundir import locked

    return locked(run_dir)


def _source_text(run, label, m):
    """One line describing the source of a set-up (job metadata, else the provenance)."""
    src = m.get("source")
    if src == "lepton-beam":
        return (f"{m.get('beam')} beam of {m.get('beam_energy_MeV', math.nan) / 1e3:g} GeV on "
                f"{m.get('target')} (Z = {m.get('Z')}, A = {m.get('A')}), "
                f"{m.get('target_length_mm', math.nan):g} mm, "
                f"{m.get('leptons_on_target', math.nan):.3g} leptons on target")
    if src == "collider":
        return (f"e+e- collider, sqrt(s) = {m.get('sqrt_s_MeV', math.nan) / 1e3:g} GeV, "
                f"{m.get('luminosity_fb', math.nan):g} fb^-1, energy spread "
                f"{m.get('energy_spread_MeV', math.nan):g} MeV, ISR {m.get('isr')}")
    if src == "meson-spectrum":
        model = (m.get("spectrum_header") or {}).get("model", "")
        return (f"meson spectrum {m.get('spectrum')} ({model}), "
                f"{m.get('protons_on_target', math.nan):.3g} protons on target")
    setups = (run["provenance"].get("steering") or {}).get("setup") or ()
    entry = next((d for d in setups if d.get("label") == label), {})
    text = ", ".join(f"{k} = {v}" for k, v in entry.items() if k not in ("label", "card"))
    return text or str(src or "")


def _card_text(m):
    """Detector card name and origin, and its sources as 'key: text' lines."""
    card = (m.get("detector") or {}).get("card") or {}
    name = (card.get("detector") or {}).get("name", "")
    origin = (f"built-in card {card['builtin']}" if card.get("builtin")
              else f"card {Path(card['file']).name}" if card.get("file") else "")
    sources = [f"{k}: {v}" for k, v in (card.get("sources") or {}).items()]
    return (f"{name} ({origin})" if name and origin else name or origin), sources


def _meta_of(run, label, channel):
    """Metadata of a set-up and channel (of the set-up's first channel for the sum), or {}."""
    meta = run["meta"]
    return meta.get((label, channel)) or next(
        (v for (lab, _), v in meta.items() if lab == label), {})


def _qualifiers(run, label, channel, *, limits):
    """(name, value, units) qualifiers of the tables of one set-up and channel; ``limits``
    adds those of the limit (CL, method, background, observed, s_up)."""
    m = _meta_of(run, label, channel)
    prov = run["provenance"]
    steering = prov.get("steering") or {}
    lim, slim = m.get("limits") or {}, steering.get("limits") or {}
    if channel == SUM_CHANNEL:
        chans = dict.fromkeys(r["channel"] for r in run["limits"]
                              if r["label"] == label and r["channel"] != SUM_CHANNEL)
        described = {c: run["meta"].get((label, c), {}).get("process_description")
                     for c in chans}
        process = "sum of " + ", ".join(f"{c} ({d})" if d else c for c, d in described.items())
    else:
        process = f"{channel}: {m.get('process_description', channel)}"
        if m.get("method"):
            process += f", method {m['method']}"
    seed = m.get("seed", (prov.get("overrides") or {}).get("seed")
                 or (steering.get("run") or {}).get("seed"))
    q = [("RE", m.get("process_description", process) if channel != SUM_CHANNEL else process,
          ""),
         ("Process", process, ""), ("Source", _source_text(run, label, m), ""),
         ("Detector card", _card_text(m)[0], "")]
    if limits:
        cl = lim.get("cl", slim.get("cl"))
        q += [("CL", f"{100 * float(cl):g}%" if cl is not None else "", ""),
              ("Limit method", lim.get("method", slim.get("method", "")), ""),
              ("Background", lim.get("background", slim.get("background", "")), "events"),
              ("Observed", lim.get("n_observed", slim.get("observed", "")), "events"),
              ("$s_{up}$", run["limits"][0]["s_up"], "events")]
    q += [("$\\epsilon_{ref}$", m.get("eps", (steering.get("physics") or {}).get("eps", "")),
           ""),
          ("Seed", seed if seed is not None else "", "")]
    return [(n, v, u) for n, v, u in q if v not in ("", None)
            and not (isinstance(v, float) and math.isnan(v))]


def _description(run, label, channel, what, *, limits):
    m = _meta_of(run, label, channel)
    blocks = steering_blocks(m.get("steering", ""))
    card, sources = _card_text(m)
    lines = [what, f"Set-up {label!r}: {_source_text(run, label, m)}."]
    if blocks.get(f"setup:{label}"):
        lines.append("Steering [[setup]]: " + "; ".join(blocks[f"setup:{label}"]) + ".")
    for section in ("physics", "limits") if limits else ("physics",):
        if blocks.get(section):
            lines.append(f"Steering [{section}]: " + "; ".join(blocks[section]) + ".")
    if sources:
        lines.append(f"Detector card {card}, sources: " + "; ".join(sources) + ".")
    if m.get("exposure_note"):
        lines.append(f"Exposure: {m['exposure_note']}.")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- tables
def _groups(rows):
    """(label, channel) in the order of the file, the channel sum of a set-up last."""
    order = {}
    for r in rows:
        order.setdefault((r["label"], r["channel"]), len(order))
    return sorted(order, key=lambda k: (min(order[x] for x in order if x[0] == k[0]),
                                        k[1] == SUM_CHANNEL, order[k]))


def _value(x):
    return MISSING if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


def _variable(name, values, units="", *, independent=False, qualifiers=()):
    from hepdata_lib import Variable

    v = Variable(name, is_independent=independent, is_binned=False, units=units,
                 zero_uncertainties_warning=False)
    v.digits = DIGITS
    v.values = [_value(x) for x in values]
    for qn, qv, qu in qualifiers:
        v.add_qualifier(qn, qv, qu)
    return v


def _with_error(var, errors, label="MC stat."):
    from hepdata_lib import Uncertainty

    u = Uncertainty(label, is_symmetric=True)
    u.values = [0.0 if e is None or not math.isfinite(e) else e for e in errors]
    var.add_uncertainty(u)
    return var


def _table(name, description, location, keywords, variables):
    from hepdata_lib import Table

    t = Table(name)
    t.description, t.location, t.keywords = description, location, keywords
    for v in variables:
        t.add_variable(v)
    return t


def _keywords(run, label, channel, observable):
    m = _meta_of(run, label, channel)
    kw = {"observables": [observable],
          "phrases": ["Millicharged particles", "Dark sector", "Exclusion", "Monte Carlo"]}
    re_ = m.get("process_description") if channel != SUM_CHANNEL else None
    if re_:
        kw["reactions"] = [re_[:128]]
    observed = ((run["provenance"].get("steering") or {}).get("limits") or {}).get("observed")
    if observed == -1:    # the background-only count: a projection, not a measurement
        kw["phrases"].append("Projected sensitivity")
    if m.get("source") == "collider" and m.get("sqrt_s_MeV"):
        kw["cmenergies"] = [float(m["sqrt_s_MeV"]) / 1e3]
    return kw


def _reach_table(run, name, label, channel):
    rows = [r for r in run["limits"] if (r["label"], r["channel"]) == (label, channel)]
    quals = _qualifiers(run, label, channel, limits=True)
    masses = [r["m_chi_MeV"] for r in rows]
    per_mass = {}
    for r in rows:
        per_mass[r["m_chi_MeV"]] = per_mass.get(r["m_chi_MeV"], 0) + 1
    closed = any(not _open_top(r["eps_high"]) for r in rows) or \
        any(n > 1 for n in per_mass.values())
    cl = next((v for n, v, _ in quals if n == "CL"), "")
    mchi = _variable("$m_{\\chi}$", masses, "MeV", independent=True)
    if closed:
        deps = [_variable(f"$\\epsilon$ lower edge of the excluded region at {cl} CL",
                          [r["eps_low"] for r in rows], qualifiers=quals),
                _variable(f"$\\epsilon$ upper edge of the excluded region at {cl} CL",
                          [MISSING if _open_top(r["eps_high"]) else r["eps_high"]
                           for r in rows], qualifiers=quals)]
        what = (f"Region of the charge eps (= Q_chi/e, dimensionless) of a millicharged Dirac "
                f"fermion chi excluded at {cl} CL: N(eps) >= s_up expected signal events for "
                "eps_low < eps < eps_high, one row per interval; an upper edge '-' beside a "
                "lower edge: the region is open, excluded up to the top of the scan, eps = 1 "
                "(the range of the scaling); both edges '-': no reach.")
    else:
        deps = [_variable(f"$\\epsilon$ upper limit at {cl} CL", [r["eps_limit"] for r in rows],
                          qualifiers=quals)]
        what = (f"Upper limit at {cl} CL on the charge eps (= Q_chi/e, dimensionless) of a "
                "millicharged Dirac fermion chi: the smallest eps with N(eps) >= s_up expected "
                "signal events; larger eps is excluded up to eps = 1 (the range of the "
                "scaling); '-': no reach.")
    return _table(name, _description(run, label, channel, what, limits=True),
                  f"mcpgen run folder {run['name']}, limits.csv",
                  _keywords(run, label, channel, "EPS"), [mchi, *deps])


def _open_top(eps_high):
    """True for an upper eps edge that is no edge: the top of the scan (1, to
    :data:`OPEN_TOP_RTOL`) or none (a mass without reach)."""
    return not math.isfinite(eps_high) or abs(eps_high - 1.0) <= OPEN_TOP_RTOL


def _xsec_table(run, name, label, channel):
    rows = [r for r in run["yields"] if (r["label"], r["channel"]) == (label, channel)]
    quals = _qualifiers(run, label, channel, limits=False)
    unit = rows[0]["weight_unit"] or "pb"
    exposure = rows[0]["exposure"]
    quals = quals + [("Exposure", exposure, EXPOSURE_UNITS.get(unit, f"1/({unit})")),
                     ("$\\epsilon$ power", rows[0]["eps_power"], "")]
    masses = [r["m_chi_MeV"] for r in rows]
    sig = [run["sigma"].get((label, channel, mass_key(x)), (None, None)) for x in masses]
    per_pot = unit != "pb"
    total, selected = (("Decays to $\\chi\\bar\\chi$ per POT", "Selected decays per POT")
                       if per_pot else ("$\\sigma$", "$\\sigma_{sel}$"))
    variables = [_variable("$m_{\\chi}$", masses, "MeV", independent=True)]
    if any(s is not None for s, _ in sig):
        variables.append(_with_error(_variable(
            f"{total} (generated, at $\\epsilon_{{ref}}$)", [s for s, _ in sig], unit,
            qualifiers=quals), [e for _, e in sig]))
    variables.append(_with_error(_variable(
        f"{selected} = $\\sum w\\,\\mathrm{{eff}}$ (at $\\epsilon_{{ref}}$)",
        [r["sigma_sel"] for r in rows], unit, qualifiers=quals),
        [r["sigma_sel_err"] for r in rows]))
    variables.append(_variable("Expected signal events at $\\epsilon = 1$",
                               [r["n_per_eps2"] for r in rows], "events",
                               qualifiers=quals))
    what = (f"{'Yields' if per_pot else 'Cross sections'} of chi chibar production at the "
            f"reference charge eps_ref, in {unit}: generated (within the generator cuts, "
            "integrated, with its integration error) and selected by the detector (sum of "
            "weight x efficiency over the events, with its MC error); expected events = "
            "exposure x selected x (eps/eps_ref)^power (with the detector's efficiency model).")
    if any(s is None for s, _ in sig) and any(s is not None for s, _ in sig):
        what += (" Generated '-': the job file of that mass is not in this folder (e.g. merged "
                 "by `mcpgen collect` from another folder, which copies no job files) and "
                 "provenance.json does not list it; the selected values, from yields.csv, are "
                 "complete.")
    return _table(name, _description(run, label, channel, what, limits=False),
                  f"mcpgen run folder {run['name']}, yields.csv",
                  _keywords(run, label, channel, "SIG"), variables)


def _names(groups, prefix, several):
    """Unique table names of at most 64 characters whose data files do not collide."""
    out, seen = {}, set()
    for label, channel in groups:
        base = f"{prefix} {label}" + (f" {channel}" if several[label] else "")
        base = base.replace("/", "-").replace("\\", "-")[:60]
        name, i = base, 2
        while name.lower().replace(" ", "_") in seen:
            name, i = f"{base[:56]} ({i})", i + 1
        seen.add(name.lower().replace(" ", "_"))
        out[(label, channel)] = name
    return out


def _abstract(run, version):
    prov = run["provenance"]
    m = next(iter(run["meta"].values()), {})
    blocks = steering_blocks(m.get("steering", ""))
    header = " ".join(blocks["header"])
    steering = prov.get("steering") or {}
    name = (steering.get("run") or {}).get("name", run["name"])
    parts = [f"Reach and cross sections of millicharged particles (Dirac fermions chi of charge "
             f"eps e) computed with mcpgen {version}, run {name!r}"
             + (f" from steering file {prov['steering_file']}" if prov.get("steering_file")
                else "") + "."]
    if header:
        parts.append(f"Steering file: {header}")
    refs = [f"{r.get('label')}: {r.get('source')}" for r in steering.get("reference") or ()]
    if refs:
        parts.append("Reference curves: " + "; ".join(refs) + ".")
    return " ".join(parts)


def _submission(run, version):
    from hepdata_lib import Submission

    sub = Submission()
    sub.comment = _abstract(run, version)
    reach_groups = _groups(run["limits"])
    chans = {}
    for label, channel in reach_groups:
        if channel != SUM_CHANNEL:
            chans.setdefault(label, set()).add(channel)
    several = {lab: len(c) > 1 for lab, c in chans.items()}
    for (label, channel), name in _names(reach_groups, "Reach", several).items():
        sub.add_table(_reach_table(run, name, label, channel))
    xs_groups = [g for g in _groups(run["yields"]) if g[1] != SUM_CHANNEL]
    for (label, channel), name in _names(xs_groups, "Cross sections", several).items():
        sub.add_table(_xsec_table(run, name, label, channel))
    return sub


# --------------------------------------------------------------------------- writing
def _check_target(out, overwrite):
    if out.is_symlink() or out.is_file():
        raise ConfigError("exists and is not a folder; choose another --out", file=out)
    if not out.exists():
        return
    if not overwrite:
        raise ConfigError("exists; pass --force (overwrite=True) to replace it", file=out)
    foreign = sorted(set(os.listdir(out)) - set(OUTPUT))
    if foreign:
        raise ConfigError(f"is not a HEPData folder of mcpgen (holds {foreign[0]!r}); "
                          "choose another --out", file=out)


def _write_files(sub, run, folder):
    """hepdata_lib's ``create_files`` without images and without its archive in the
    working directory: submission.yaml, the table files and the additional resources."""
    import yaml

    folder.mkdir()
    resources = [("limits.csv", "eps limits of the run (mcpgen limits.csv)"),
                 ("yields.csv", "yields and selected cross sections of the run "
                                "(mcpgen yields.csv)")]
    for name, text in resources:
        shutil.copyfile(run["dir"] / name, folder / name)
        sub.additional_resources.append({"description": text, "location": name})
    steering = next((m.get("steering") for m in run["meta"].values() if m.get("steering")), "")
    if steering:
        (folder / "steering.toml").write_text(steering, encoding="utf-8")
        sub.additional_resources.append({"description": "steering file of the run",
                                         "location": "steering.toml"})
    head = {"data_license": sub.get_license(), "comment": sub.comment,
            "additional_resources": sub.additional_resources}
    with open(folder / "submission.yaml", "w", encoding="utf-8") as fh:
        yaml.dump(head, fh, default_flow_style=False, explicit_start=True)
    for table in sub.tables:
        table.write_yaml(str(folder))


def _archive(folder, path):
    """A reproducible .tar.gz of the files of ``folder`` (flat, sorted, no times/owners)."""
    import gzip
    import tarfile

    def clean(info):
        info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
        return info

    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for f in sorted(folder.iterdir()):
            tar.add(f, arcname=f.name, filter=clean)


def validate_submission(archive) -> None:
    """Validate a HEPData archive with ``hepdata_validator``; a one-line ConfigError naming
    the first problem if it is invalid."""
    import warnings

    _load_libraries()
    from hepdata_validator.full_submission_validator import FullSubmissionValidator

    validator = FullSubmissionValidator()
    with warnings.catch_warnings():
        # hepdata_validator 0.3.6 reads each data file with yaml.load(open(...)) and leaves
        # it to the garbage collector to close (CPython does at once)
        warnings.simplefilter("ignore", ResourceWarning)
        valid = validator.validate(archive=str(archive))
    if valid:
        return
    for file, messages in validator.get_messages().items():
        for msg in messages:
            text = " ".join(str(msg.message).split())
            raise ConfigError(f"the HEPData submission does not validate: {Path(file).name}: "
                              f"{text}", file=archive)
    raise ConfigError("the HEPData submission does not validate", file=archive)


def _make_build_folder(out):
    """A new hidden folder beside ``out`` (mode 0777 less the umask, like ``open``'s files;
    ``tempfile.mkdtemp`` would give 0700, unreadable for collaborators after the rename)."""
    for _ in range(100):
        tmp = out.with_name(f".{out.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.mkdir(tmp)
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {out}")


def _publish(sub, run, out):
    """Build in a temporary folder beside ``out``, validate, and rename it into place (an
    old ``out`` is moved aside first and put back if the rename fails)."""
    made = [p for p in (out.parent, *out.parent.parents) if not p.exists()]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = _make_build_folder(out)
    except OSError as e:
        raise ConfigError(f"output folder is not writable: {e.strerror}", file=out) from None
    old = out.with_name(f".{out.name}.old.tmp")
    done = False
    try:
        _write_files(sub, run, tmp / OUTPUT[0])
        _archive(tmp / OUTPUT[0], tmp / OUTPUT[1])
        validate_submission(tmp / OUTPUT[1])
        if out.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.rename(out, old)
            try:
                os.rename(tmp, out)
            except OSError:
                os.rename(old, out)
                raise
        else:
            os.rename(tmp, out)
        done = True
    except OSError as e:
        raise ConfigError(f"cannot write the HEPData submission: {e.strerror or e}",
                          file=out) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        for p in made if not done else ():    # the folders made for a failed output
            with contextlib.suppress(OSError):
                p.rmdir()


__all__ = ["write_hepdata", "validate_submission"]
