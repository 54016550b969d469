"""Signal yields and eps limits from generated events.

Yield for a thin target, seed 001 eq. (12) and seed 002 eq. (4):

    N(eps) = LOT x n_T x L_T x sigma_sel(eps),   n_T = rho N_A / A,

with LOT the leptons on target, n_T the number of nuclei per volume, L_T the
(effective) target length and sigma_sel the cross section of the events that
pass the detector selection,

    sigma_sel = sum_i w_i eff_i   over events with det_pass_i,

where w_i is the event weight in pb at the reference eps_ref of the file (the
weights of a file add up to its cross section; see
:class:`mcpgen.io.record.EventBatch`) and eff_i the per-event detector
efficiency.  The production amplitude is linear in eps, so
sigma(eps) = sigma(eps_ref) (eps / eps_ref)^2; the O(eps^4) trident terms and
the O(eps^3) interference are neglected (seed 001, footnote 4).  The eps limit
solves N(eps) = s_up:

    eps_limit = eps_ref sqrt(s_up / N(eps_ref)) = sqrt(s_up / N(eps = 1)),

reported as NaN when there is no reach, N(eps = 1) < s_up (eps_limit > 1 is
outside the validity of the eps^2 scaling and of "millicharged").

Units: hepunits internally -- n_T in mm^-3, L_T in mm, sigma in mm^2 (a weight
w [pb] is w * picobarn); CSV outputs state their units in the column names.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hepunits import picobarn

from ..errors import ConfigError


@dataclass(frozen=True)
class YieldPoint:
    """Expected signal and eps limit for one set-up and one chi mass.

    All quantities are plain numbers in the units named by the field (hepunits
    base units: MeV, mm); counts are dimensionless.
    """

    label: str                 #: set-up name, e.g. "NA64mu 160 GeV Pb"
    m_chi: float               #: chi mass, MeV
    eps_ref: float             #: reference eps at which the weights were generated
    sigma_sel_pb: float        #: selected cross section at eps_ref, pb
    sigma_sel_err_pb: float    #: its MC error, sqrt(sum (w eff)^2), pb
    n_per_eps2: float          #: expected selected events at eps = 1
    lot: float                 #: leptons on target
    n_target_per_mm3: float    #: nuclei per mm^3, rho N_A / A
    length_mm: float           #: target length used in the yield, mm
    s_up: float                #: upper limit on the signal count used for eps_limit
    eps_limit: float           #: eps where N(eps) = s_up; NaN when there is no reach

    def n_expected(self, eps: float) -> float:
        """Expected selected events at charge eps, N(eps) = n_per_eps2 eps^2."""
        return self.n_per_eps2 * eps * eps


#: YieldPoint field -> CSV column name (units in the name where it has units)
_CSV_COLUMNS = {
    "label": "label",
    "m_chi": "m_chi_MeV",
    "eps_ref": "eps_ref",
    "sigma_sel_pb": "sigma_sel_pb",
    "sigma_sel_err_pb": "sigma_sel_err_pb",
    "n_per_eps2": "n_per_eps2",
    "lot": "lot",
    "n_target_per_mm3": "n_target_per_mm3",
    "length_mm": "length_mm",
    "s_up": "s_up",
    "eps_limit": "eps_limit",
}
_LIMITS_COLUMNS = ("label", "m_chi", "eps_limit", "s_up")


def eps_limit_from_yield(n_per_eps2: float, s_up: float) -> float:
    """eps with n_per_eps2 eps^2 = s_up, or NaN when there is no reach.

    No reach means n_per_eps2 < s_up (the limit would lie above eps = 1) or no
    selected events at all.  Written without evaluating a square root of a
    negative number, so it never warns.
    """
    if not (s_up > 0.0 and math.isfinite(s_up)):
        raise ValueError(f"s_up must be a positive finite number, got {s_up!r}")
    if not (n_per_eps2 > 0.0) or n_per_eps2 < s_up:
        return math.nan
    return math.sqrt(s_up / n_per_eps2)


def _positive(name, value):
    value = float(value)
    if not (value > 0.0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def compute_yield(
    batch,
    metadata: dict,
    *,
    lot: float,
    n_target: float,
    length: float,
    s_up: float,
    label: str = "",
) -> YieldPoint:
    """Yield and eps limit for one event file (seed 001 eq. 12, seed 002 eq. 4).

    Parameters
    ----------
    batch : mcpgen.io.record.EventBatch
        Events with weights in pb at ``metadata["eps"]`` and the detector
        decision (``det_pass``, ``det_eff``) filled in.
    metadata : dict
        Run metadata; ``"m_chi_MeV"`` and ``"eps"`` (the reference eps) are used.
    lot : leptons on target.
    n_target : nuclei per volume in hepunits (mm^-3), e.g.
        ``Material.atoms_per_volume()``.
    length : target length in hepunits (mm).
    s_up : upper limit on the signal count (see :mod:`mcpgen.analysis.limits`).

    The selected cross section is sum(w eff) over events with det_pass; its
    MC error is sqrt(sum (w eff)^2), the usual error of a sum of weights.
    """
    for key in ("m_chi_MeV", "eps"):
        if key not in metadata:
            raise KeyError(f"run metadata lacks {key!r} (have: {', '.join(map(str, metadata))})")
    m_chi = float(metadata["m_chi_MeV"])
    eps_ref = _positive("metadata eps", metadata["eps"])
    lot = _positive("lot", lot)
    n_target = _positive("n_target", n_target)
    length = _positive("length", length)
    s_up = _positive("s_up", s_up)

    weight = np.asarray(batch.weight, dtype=np.float64)
    passed = np.asarray(batch.det_pass, dtype=bool)
    eff = np.asarray(batch.det_eff, dtype=np.float64)
    if not (weight.shape == passed.shape == eff.shape):
        raise ValueError(
            f"inconsistent event arrays: weight {weight.shape}, det_pass {passed.shape}, "
            f"det_eff {eff.shape}"
        )
    w_sel = weight[passed] * eff[passed]
    if not np.all(np.isfinite(w_sel)):
        raise ValueError("non-finite weight or efficiency among the selected events")
    if np.any((eff[passed] < 0.0) | (eff[passed] > 1.0)):
        raise ValueError("detector efficiencies must lie in [0, 1]")

    sigma_sel_pb = float(np.sum(w_sel))
    sigma_err_pb = float(np.sqrt(np.sum(w_sel * w_sel)))
    n_ref = lot * n_target * length * sigma_sel_pb * picobarn
    n_per_eps2 = n_ref / (eps_ref * eps_ref)
    return YieldPoint(
        label=str(label),
        m_chi=m_chi,
        eps_ref=eps_ref,
        sigma_sel_pb=sigma_sel_pb,
        sigma_sel_err_pb=sigma_err_pb,
        n_per_eps2=n_per_eps2,
        lot=lot,
        n_target_per_mm3=n_target,
        length_mm=length,
        s_up=s_up,
        eps_limit=eps_limit_from_yield(n_per_eps2, s_up),
    )


def _from_metadata(metadata, key, override, path):
    if override is not None:
        return override
    if key not in metadata:
        raise ConfigError(
            f"run metadata has no {key!r}; pass it explicitly to recompute the yield",
            file=path,
            key=key,
        )
    try:
        return float(metadata[key])
    except (TypeError, ValueError):
        raise ConfigError(
            f"metadata value {metadata[key]!r} is not a number", file=path, key=key
        ) from None


def yields_from_files(
    paths,
    *,
    s_up: float,
    lot: float | None = None,
    n_target: float | None = None,
    length: float | None = None,
    label: str | None = None,
) -> list[YieldPoint]:
    """Yields and eps limits recomputed from event files alone.

    Each file is read with ``mcpgen.io.root.read_events(path) -> (EventBatch,
    metadata)``.  LOT, n_T [mm^-3] and L_T [mm] come from the metadata keys
    ``"leptons_on_target"``, ``"n_target_per_mm3"`` and ``"target_length_mm"``
    unless given here (``lot``, ``n_target``, ``length``, hepunits).  The label
    is ``label`` if given, else the metadata ``"label"``, else the file name
    without extension.  A missing key raises :class:`ConfigError` naming the
    file and the key.  Points come back in the order of ``paths``.
    """
    from ..io.root import read_events  # the ROOT reader is only needed here

    points = []
    for path in paths:
        batch, metadata = read_events(path)
        point_label = label if label is not None else str(metadata.get("label") or Path(path).stem)
        points.append(
            compute_yield(
                batch,
                metadata,
                lot=_from_metadata(metadata, "leptons_on_target", lot, path),
                n_target=_from_metadata(metadata, "n_target_per_mm3", n_target, path),
                length=_from_metadata(metadata, "target_length_mm", length, path),
                s_up=s_up,
                label=point_label,
            )
        )
    return points


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temporary file name next to ``path``; move it onto ``path`` on success.

    The temporary file lives in the same directory so that ``os.replace`` is an
    atomic rename; on an exception it is removed and ``path`` is untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix + ".tmp")
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _fmt(value):
    """CSV cell: blank for NaN, round-trip repr for floats, text otherwise."""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _write_csv(path, header, rows):
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)


def write_yields_csv(points, path) -> None:
    """Write every :class:`YieldPoint` field, one row per point, atomically.

    Columns (units in the names): label, m_chi_MeV, eps_ref, sigma_sel_pb,
    sigma_sel_err_pb, n_per_eps2 (events at eps = 1), lot, n_target_per_mm3,
    length_mm, s_up, eps_limit (blank where there is no reach).
    """
    fields = [f.name for f in dataclasses.fields(YieldPoint)]
    header = [_CSV_COLUMNS[f] for f in fields]
    rows = [[_fmt(getattr(p, f)) for f in fields] for p in points]
    _write_csv(path, header, rows)


def write_limits_csv(points, path) -> None:
    """Write ``label,m_chi_MeV,eps_limit,s_up``, one row per set-up and mass, atomically.

    eps_limit is left blank where there is no reach (NaN).  Rows are sorted by
    label (in order of first appearance) and mass.
    """
    order = {}
    for p in points:
        order.setdefault(p.label, len(order))
    pts = sorted(points, key=lambda p: (order[p.label], p.m_chi))
    header = [_CSV_COLUMNS[f] for f in _LIMITS_COLUMNS]
    rows = [[_fmt(getattr(p, f)) for f in _LIMITS_COLUMNS] for p in pts]
    _write_csv(path, header, rows)


def read_yields_csv(path) -> list[YieldPoint]:
    """Read a file written by :func:`write_yields_csv` back into YieldPoints."""
    fields = {f.name: f for f in dataclasses.fields(YieldPoint)}
    points = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            kw = {}
            for name in fields:
                cell = row[_CSV_COLUMNS[name]]
                kw[name] = cell if name == "label" else (float(cell) if cell != "" else math.nan)
            points.append(YieldPoint(**kw))
    return points


__all__ = [
    "YieldPoint",
    "compute_yield",
    "eps_limit_from_yield",
    "yields_from_files",
    "write_yields_csv",
    "write_limits_csv",
    "read_yields_csv",
    "atomic_path",
]
