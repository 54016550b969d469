"""What :mod:`mcpgen.analysis.hepdata` reads from a run folder: the rows of ``limits.csv`` and
``yields.csv``, the metadata of the job files (``*.root``) the folder holds, ``provenance.json``
as a fallback, and the commented lines of the steering text by block.

Each mass's numbers come from what the folder really holds: a folder of ``mcpgen collect``
has the rows of every merged folder in its CSV files but the job files of its own runs
only, and its provenance.json may be that of an earlier run.
"""

from __future__ import annotations

import csv
import json
import math
import re

from ..errors import ConfigError

LIMITS_NUMBERS = ("m_chi_MeV", "eps_limit", "eps_low", "eps_high", "s_up")
YIELDS_NUMBERS = ("m_chi_MeV", "sigma_sel", "sigma_sel_err", "exposure", "n_per_eps2",
                  "eps_power")


def read_run(run_dir) -> dict:
    """The rows and metadata of run folder ``run_dir`` (a Path):

    ``dir``, ``limits`` and ``yields`` (rows as dicts, numbers as floats, NaN for blanks),
    ``provenance`` (the dict of provenance.json, or {}), ``meta`` ({(label, channel): the
    metadata of its first job file in the folder}) and ``sigma`` ({(label, channel,
    mass_key): (sigma, sigma_err)} of the generated cross section: from the job file of that
    mass in the folder, else from provenance.json's list of files; absent if neither has it).
    A one-line ConfigError if a CSV file is missing or unreadable.
    """
    for name in ("limits.csv", "yields.csv"):
        if not (run_dir / name).is_file():
            raise ConfigError(f"no {name}: not a finished run folder (run `mcpgen run` or "
                              "`mcpgen collect` first)", file=run_dir)
    limits = _read_csv(run_dir / "limits.csv", LIMITS_NUMBERS)
    yields = _read_csv(run_dir / "yields.csv", YIELDS_NUMBERS)
    if "weight_unit" not in yields[0]:
        raise ConfigError("no column weight_unit", file=run_dir / "yields.csv")
    provenance = _read_provenance(run_dir)
    meta, sigma = _job_files(run_dir)
    for f in provenance.get("files") or ():   # the fallback for masses without a job file here
        if isinstance(f, dict) and {"label", "channel", "mass_MeV"} <= set(f):
            sigma.setdefault((f["label"], f["channel"], mass_key(f["mass_MeV"])),
                             (f.get("sigma"), f.get("sigma_err")))
    return {"dir": run_dir, "limits": limits, "yields": yields, "provenance": provenance,
            "meta": meta, "sigma": sigma}


def mass_key(mass) -> str:
    """The key of a mass in MeV, as the job file names and ``mcpgen collect`` write it."""
    return f"{float(mass):.6g}"


def _read_csv(path, numeric):
    """Rows of a CSV file as dicts, the ``numeric`` columns as floats (NaN for blanks); a
    one-line error naming the file, row and column if it cannot be read."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ConfigError(f"cannot read {path.name}: {getattr(e, 'strerror', None) or e}",
                          file=path.parent) from None
    if not rows or any(k not in rows[0] for k in ("label", "channel", *numeric)):
        raise ConfigError(f"no rows or no column of label, channel, {', '.join(numeric)}",
                          file=path)
    for i, row in enumerate(rows, start=2):
        for k in numeric:
            try:
                row[k] = float(row[k]) if row[k] not in ("", None) else math.nan
            except (TypeError, ValueError):
                raise ConfigError(f"line {i}: {row[k]!r} is not a number", file=path,
                                  key=k) from None
    return rows


def _read_provenance(run_dir) -> dict:
    path = run_dir / "provenance.json"
    if not path.is_file():
        return {}
    try:
        provenance = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError("unreadable provenance.json", file=run_dir) from None
    if not isinstance(provenance, dict):
        raise ConfigError("provenance.json is not a JSON object", file=run_dir)
    return provenance


def _job_files(run_dir):
    """({(label, channel): metadata of its first job file}, {(label, channel, mass_key):
    (sigma, sigma_err)}) of the job files in ``run_dir`` that belong to its run (run.json's
    identity; every mcpgen job file if the folder has no run.json).  Unreadable files (not
    mcpgen's, or incomplete) are passed over."""
    from ..framework.rundir import read_identity
    from ..io.root import read_metadata

    try:
        identity = read_identity(run_dir)
    except ConfigError:
        identity = None
    meta, sigma = {}, {}
    for path in sorted(run_dir.glob("*.root")):
        try:
            m = read_metadata(path)
        except ConfigError:
            continue
        if identity is not None and m.get("run_identity") != identity:
            continue
        key = (m.get("label"), m.get("channel"))
        meta.setdefault(key, m)
        sigma.setdefault((*key, mass_key(m.get("mass_MeV", math.nan))),
                         (m.get("sigma", m.get("sigma_pb")),
                          m.get("sigma_err", m.get("sigma_err_pb"))))
    return meta, sigma


# ------------------------------------------------------------------ steering comments
def _split_comment(line):
    """(code, comment) of a TOML line: the comment starts at the first # outside quotes."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return line[:i], line[i + 1:]
    return line, ""


def _logical_lines(text):
    """A TOML text as 'key = value (comment)' lines (blanks collapsed, a multi-line array
    joined into one line, a comment line as its text), empty lines dropped."""
    codes, comments = [], []
    for line in (text or "").splitlines():
        code, comment = _split_comment(line.strip())
        codes.append(" ".join(code.split()))
        comments.append(" ".join(comment.split()))
        joined = " ".join(c for c in codes if c)
        if joined.count("[") > joined.count("]") and "=" in joined:
            continue   # inside a multi-line array
        comment = "; ".join(c for c in comments if c)
        codes, comments = [], []
        if joined or comment:
            yield joined, f"{joined} ({comment})" if joined and comment else joined or comment


def steering_blocks(text) -> dict:
    """The non-empty lines of a steering text by block: "header" (the comments before the
    first table), the table names ("run", "physics", "limits", ...) and "setup:<label>"."""
    blocks, current, setup_lines, comments = {"header": []}, "header", None, []
    for code, s in _logical_lines(text):
        head = re.fullmatch(r"\[\[?\s*([A-Za-z_]+)\s*\]\]?", code)
        if not code and current != "header":
            comments.append(s)    # a comment line belongs to the line or table that follows
            continue
        if head:
            current = head.group(1)
            setup_lines = [] if current == "setup" else None
            lines = setup_lines if setup_lines is not None else blocks.setdefault(current, [])
            lines.extend(comments + ([s[len(code):].strip(" ()")] if s != code else []))
            comments = []
            continue
        lines = (blocks["header"] if current == "header" else
                 setup_lines if setup_lines is not None else blocks.setdefault(current, []))
        lines.extend(comments + [s])
        comments = []
        label = re.match(r"label\s*=\s*\"([^\"]*)\"", code)
        if setup_lines is not None and label:
            blocks[f"setup:{label.group(1)}"] = setup_lines
    return blocks


__all__ = ["read_run", "mass_key", "steering_blocks"]
