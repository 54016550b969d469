"""Recast a dark-photon limit eps_up(m_A') into a millicharged-particle limit.

Physics (seed 001, sec. 3, eqs. 16-20)
--------------------------------------
A dark photon couples as ``eps e J_SM . A'`` (eq. 16), so its production
cross section is that of a virtual photon of mass^2 ``k^2 = m_A'^2`` times
eps^2 (eq. 17).  A chi chibar pair is produced through a virtual photon of
any mass^2 above ``4 m_chi^2``; after integrating the chi phase space at
fixed pair momentum k (the chi current is conserved) the pair cross section
is the dark-photon cross section at ``m_A'^2 = k^2`` (unit coupling) folded
with the pair kernel (eqs. 18-19, :mod:`mcpgen.physics.pair`)::

    R(m^2) = (eps^2 alpha / (3 pi)) (1/m^2) sqrt(1 - 4 m_chi^2/m^2) (1 + 2 m_chi^2/m^2)

Derivation of the recast formula (eq. 20).  For the same target, beam and
cuts -- missing energy ``E_A' >= x_th E0`` in the dark-photon search and
``E_chi + E_chibar >= x_th E0`` for MCPs, i.e. the same cut on the energy of
the (virtual) photon -- eq. 18 gives for the MCP signal at charge eps

    N_chi(eps) = eps^2 Integral dm^2 R_1(m^2) N_A'(eps', m) / eps'^2,

with ``R_1 = R(eps = 1)`` and ``N_A'(eps', m)`` the dark-photon signal at any
coupling eps' (it scales as eps'^2, so the ratio does not depend on eps').
By definition of the dark-photon limit, ``N_A'(eps', m) = s_up (eps' /
eps_up(m))^2``, where ``s_up`` is the excluded number of signal events.
Hence ``N_chi(eps) = s_up eps^2 Integral dm^2 R_1(m^2) / eps_up^2(m)``, and
the MCP limit ``N_chi(eps_up,chi) = s_up`` is

    eps_up,chi^-2(m_chi) = Integral_{4 m_chi^2}^{inf} dm_A'^2  R_1(m_A'^2) / eps_up^2(m_A')   (eq. 20)

(``Q_up = eps_up,chi e``).  The flux, target, efficiencies and cross sections
cancel, and so do the confidence level and the background, *provided* both
limits use the same ``s_up`` (same CL, same observed events and background)
and the same cut on the photon energy.  Seed 001 notes that eq. 20 holds for
thick as well as thin targets.  The recast is only as good as that premise:
it is not valid when the dark-photon search used a different threshold x_th,
a different selection, or a visible-decay channel.

Conservative treatment of the mass range
----------------------------------------
Outside the tabulated masses the dark photon is taken as unconstrained
(``1/eps_up^2 = 0``).  Dropping a positive part of the integrand can only
lower the integral, so the MCP limit obtained is weaker (larger eps) than the
true one: conservative.  The largest effect is for ``2 m_chi`` near the ends
of the table; for ``2 m_chi >= max(m_A')`` nothing constrains the MCP and the
result is NaN.

Numerics
--------
eps_up is interpolated linearly in (ln m, ln eps) between the tabulated
points (exact for power laws).  The integral is done segment by segment
between the table nodes (the interpolant has kinks there) in the variable
``s = sqrt(x)``, ``x = ln(m^2 / 4 m_chi^2)``, which removes the square-root
threshold ``sqrt(1 - 4 m_chi^2/m^2) ~ sqrt(x)`` at ``m^2 = 4 m_chi^2``: in s
the integrand ``2 s (m^2 R_1) / eps_up^2`` is analytic on each segment.  The
node positions x_i are computed from mass ratios, not as differences of
logarithms.  Each segment is integrated with :func:`scipy.integrate.quad`
(adaptive Gauss-Kronrod 21) at ``epsrel = 1e-10``.

Measured accuracy of the MCP limit, against a 40-digit mpmath quadrature of
the same interpolated table (constant, power-law and broken power-law eps_up,
tables of 2 to 4 nodes, m_chi from 1e-4 MeV up to the end of the table):
relative error below 1e-14 for ``2 m_chi <= 0.99 max(m_A)``; within the last
percent it grows as ~1e-16/(1 - 2 m_chi/max m_A) -- 4e-14, 8e-13 and 3e-11 at
1e-3, 1e-4 and 1e-6 from the end -- from rounding in ``1 - 4 m_chi^2/m^2``
inside the kernel, where the MCP limit is anyway huge.  The closed forms in
``tests/test_recast.py`` are met to better than 1e-11.  Both are far below
the uncertainty of a tabulated limit, which is often read off a plot at the
percent level.  A 120-node table costs ~15 ms per m_chi.

Example
-------
Command line (subcommand wired by :mod:`mcpgen.cli`)::

    mcpgen recast --darkphoton-limit limit.csv steering/na64_2019.toml --out results/recast

Python::

    from mcpgen.analysis.recast import recast
    rows = recast("limit.csv", "na64e", "results/recast")      # card: default mass grid
    rows = recast("limit.csv", "steering/na64_2019.toml", "results/recast")
    for r in rows:
        print(r.label, r.m_chi, r.eps_limit)

The CSV needs a header with (at least) the columns ``m_Aprime_MeV`` and
``eps_limit``; other columns are ignored, a blank or NaN ``eps_limit`` means
"no limit at this mass" and the row is dropped, lines starting with ``#`` are
comments::

    # NA64e 90% CL, x_th = 0.5 (arXiv:...)
    m_Aprime_MeV,eps_limit
    1.0,2.1e-4
    10.0,9.0e-5
    100.0,6.0e-4
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, read_user_text
from ..framework.rundir import write_atomic

#: required CSV columns of a dark-photon limit table
MASS_COLUMN = "m_Aprime_MeV"
EPS_COLUMN = "eps_limit"
#: number of m_chi points of the default grid (card targets without masses)
DEFAULT_POINTS = 30
#: relative tolerance requested from quad on each segment
QUAD_EPSREL = 1e-10

_NAN_WORDS = ("", "nan")


@dataclass(frozen=True)
class RecastPoint:
    """One row of the recast: MCP limit ``eps_limit`` (NaN = no limit) at ``m_chi`` (MeV)."""

    label: str
    m_chi: float
    eps_limit: float


# ----------------------------------------------------------------------------- reading

def read_darkphoton_limit(path):
    """Read a dark-photon limit table; return ``(m_A, eps)`` sorted by mass (MeV, dimensionless).

    CSV with a header line containing the columns ``m_Aprime_MeV`` (dark-photon
    mass in MeV) and ``eps_limit`` (upper limit on eps); further columns are
    ignored.  Blank lines and lines starting with ``#`` are skipped.  A blank
    or NaN ``eps_limit`` means no limit at that mass: the row is dropped.
    Masses must be finite, positive and distinct; limits finite and positive;
    at least two rows must carry a limit.  Any problem raises
    :class:`~mcpgen.errors.ConfigError` naming the file, the row and column.
    """
    path = Path(path)
    text = read_user_text(path, "dark-photon limit file", encoding="utf-8-sig")

    lines = [(i, line) for i, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ConfigError(f"empty file; expected a CSV header with columns {MASS_COLUMN},"
                          f"{EPS_COLUMN} and at least two rows", file=path)
    try:
        rows = list(csv.reader([line for _, line in lines], strict=True))
    except csv.Error as exc:
        raise ConfigError(f"malformed CSV: {exc}", file=path) from None
    header = [h.strip() for h in rows[0]]
    for col in (MASS_COLUMN, EPS_COLUMN):
        if col not in header:
            found = ", ".join(repr(h) for h in header)
            raise ConfigError(f"line {lines[0][0]}: missing column {col!r} in the header; columns "
                              f"found: {found}; required: {MASS_COLUMN}, {EPS_COLUMN}", file=path)
        if header.count(col) > 1:
            raise ConfigError(f"line {lines[0][0]}: column {col!r} appears twice in the header",
                              file=path)
    i_m, i_e = header.index(MASS_COLUMN), header.index(EPS_COLUMN)

    masses, eps, where = [], [], []
    for (lineno, _), row in zip(lines[1:], rows[1:]):
        if len(row) != len(header):
            raise ConfigError(f"line {lineno}: {len(row)} fields, the header has {len(header)}",
                              file=path)
        m = _number(row[i_m], path, lineno, MASS_COLUMN, "a finite mass > 0 in MeV")
        if not (math.isfinite(m) and m > 0):
            raise ConfigError(f"line {lineno}: column {MASS_COLUMN!r}: value {row[i_m].strip()!r} "
                              "out of range; allowed: a finite mass > 0 in MeV", file=path)
        raw = row[i_e].strip()
        if raw.lower() in _NAN_WORDS:
            continue  # no limit at this mass
        e = _number(raw, path, lineno, EPS_COLUMN,
                    "a finite eps > 0, or blank/NaN for no limit at this mass")
        if math.isnan(e):
            continue
        if not (math.isfinite(e) and e > 0):
            raise ConfigError(f"line {lineno}: column {EPS_COLUMN!r}: value {raw!r} out of range; "
                              "allowed: a finite eps > 0, or blank/NaN for no limit at this mass",
                              file=path)
        masses.append(m)
        eps.append(e)
        where.append(lineno)

    if len(masses) < 2:
        raise ConfigError(f"{len(masses)} row(s) with a limit; need at least 2 rows with "
                          f"{MASS_COLUMN} and a finite {EPS_COLUMN} > 0 to interpolate", file=path)
    order = np.argsort(masses, kind="stable")
    m_A = np.asarray(masses, dtype=float)[order]
    eps_A = np.asarray(eps, dtype=float)[order]
    lineno = np.asarray(where)[order]
    dup = np.flatnonzero(np.diff(m_A) <= 0)
    if dup.size:
        j = dup[0]
        raise ConfigError(f"lines {lineno[j]} and {lineno[j + 1]}: the same mass "
                          f"{MASS_COLUMN} = {m_A[j]:g} appears twice; masses must be distinct",
                          file=path)
    return m_A, eps_A


def _number(raw: str, path, lineno: int, column: str, allowed: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise ConfigError(f"line {lineno}: column {column!r}: value {raw.strip()!r} is not a "
                          f"number; allowed: {allowed}", file=path) from None


# ----------------------------------------------------------------------------- physics

def mcp_limit_from_darkphoton(m_chi, m_A, eps_A, *, extrapolate=False) -> float:
    """MCP limit eps_up,chi(m_chi) from a dark-photon limit eps_up(m_A'); seed 001 eq. (20).

    ``eps_up,chi^-2 = Integral_{4 m_chi^2}^{inf} dm^2 R_1(m^2) / eps_up^2(m)``
    with ``R_1 = pair_density(m^2, m_chi, eps=1)`` (seed 001 eq. 19); see the
    module docstring for the derivation and the conditions of validity.

    Parameters
    ----------
    m_chi : float
        MCP mass in MeV, > 0.
    m_A, eps_A : array_like
        Tabulated dark-photon masses (MeV; positive, distinct, any order) and
        limits (positive), at least two points.  Interpolated linearly in
        (ln m, ln eps).
    extrapolate : bool
        False (default): no constraint outside ``[min m_A, max m_A]``
        (conservative).  True: below the smallest tabulated mass the power law
        of the first segment is continued down to the pair threshold
        ``2 m_chi``.  This is *not* conservative -- it assumes the search kept
        its trend below the measured range -- and only changes results for
        ``m_chi < min(m_A)/2``.  Above the table nothing is extrapolated (a
        power law would have to be continued to infinite mass, where no search
        has sensitivity).

    Returns
    -------
    float
        eps_up for the MCP (``Q_chi,up / e``); NaN when ``2 m_chi >= max(m_A)``.
        Relative accuracy better than 1e-14 away from the table end (module
        docstring, "Numerics").
    """
    from scipy.integrate import quad

    from ..physics.pair import pair_density

    m_chi = float(m_chi)
    if not (math.isfinite(m_chi) and m_chi > 0):
        raise ValueError(f"m_chi must be a finite mass > 0 in MeV, got {m_chi!r}")
    m_A, eps_A = _check_table(m_A, eps_A)

    if 2.0 * m_chi >= m_A[-1]:
        return math.nan
    # x = ln(m^2 / 4 m_chi^2) = t - t0 with t = ln m^2: distance above the pair threshold,
    # computed from the mass ratio (not as a difference of logs) to keep it accurate near 0
    x_nodes = 2.0 * np.log(m_A / (2.0 * m_chi))
    ln_eps = np.log(eps_A)
    slopes = np.diff(ln_eps) / np.diff(2.0 * np.log(m_A))  # d ln eps / d ln m^2 per segment
    four_m2 = 4.0 * m_chi**2

    # (x_lo, x_hi, x_ref, ln eps at x_ref, slope) for every segment above threshold
    segments = []
    if extrapolate and x_nodes[0] > 0:
        segments.append((0.0, x_nodes[0], x_nodes[0], ln_eps[0], slopes[0]))
    for i in range(len(x_nodes) - 1):
        if x_nodes[i + 1] > 0:
            segments.append((max(x_nodes[i], 0.0), x_nodes[i + 1], x_nodes[i], ln_eps[i],
                             slopes[i]))

    total = 0.0
    for x_lo, x_hi, x_ref, ln_eps_ref, slope in segments:
        def integrand(s, x_ref=x_ref, ln_eps_ref=ln_eps_ref, slope=slope):
            # s = sqrt(x), dm^2 = m^2 dx = m^2 2 s ds, m^2 = 4 m_chi^2 e^x
            x = s * s
            k2 = four_m2 * math.exp(x)
            inv_eps2 = math.exp(-2.0 * (ln_eps_ref + slope * (x - x_ref)))
            return 2.0 * s * k2 * float(pair_density(k2, m_chi)) * inv_eps2

        value, _ = quad(integrand, math.sqrt(x_lo), math.sqrt(x_hi),
                        epsabs=0.0, epsrel=QUAD_EPSREL, limit=200)
        total += value
    if not total > 0:
        return math.nan
    return 1.0 / math.sqrt(total)


def _check_table(m_A, eps_A):
    m_A = np.asarray(m_A, dtype=float).ravel()
    eps_A = np.asarray(eps_A, dtype=float).ravel()
    if m_A.shape != eps_A.shape or m_A.size < 2:
        raise ValueError(f"m_A and eps_A need the same length >= 2, got {m_A.size} and "
                         f"{eps_A.size}")
    if not (np.all(np.isfinite(m_A)) and np.all(m_A > 0)):
        raise ValueError("m_A must be finite masses > 0 (MeV)")
    if not (np.all(np.isfinite(eps_A)) and np.all(eps_A > 0)):
        raise ValueError("eps_A must be finite and > 0 (drop masses without a limit)")
    order = np.argsort(m_A, kind="stable")
    m_A, eps_A = m_A[order], eps_A[order]
    if np.any(np.diff(m_A) <= 0):
        raise ValueError("m_A must be distinct")
    return m_A, eps_A


# ----------------------------------------------------------------------------- driver

def default_masses(m_A, points: int = DEFAULT_POINTS) -> np.ndarray:
    """Default m_chi grid: ``points`` log-spaced masses from ``min(m_A)/2`` (included)
    to ``max(m_A)/2`` (excluded, where the recast has no reach left)."""
    m_A = np.asarray(m_A, dtype=float)
    return np.geomspace(m_A.min() / 2, m_A.max() / 2, points + 1)[:-1]


def recast(csv_path, target, out_dir, *, masses=None, label=None) -> list:
    """Recast the dark-photon limit in ``csv_path`` for ``target``; write limits.csv and reach.png.

    Parameters
    ----------
    csv_path : path
        Dark-photon limit table (:func:`read_darkphoton_limit`).
    target : str or path
        A steering file (its ``physics.masses`` give the m_chi points; label:
        the set-up label if there is one set-up, else ``run.name``) or a
        detector card, built-in name or path (label: the card's
        ``detector.name``; m_chi points: ``masses`` or :func:`default_masses`).
        The target only supplies masses and label: eq. 20 holds when the
        dark-photon search used the same target and cut on the photon energy
        (x_th) -- checking that is up to the user.
    out_dir : path
        Output folder, created if needed.  Receives ``limits.csv`` (columns
        ``label,m_chi_MeV,eps_limit``; ``eps_limit`` blank where there is no
        limit) and ``reach.png`` (MCP limit vs m_chi with the input limit vs
        m_A'/2 dashed), each written atomically.
    masses : sequence of float, optional
        m_chi points in MeV; override the steering file's masses.
    label : str, optional
        Label of the rows and the plot curve.

    Returns
    -------
    list of RecastPoint
    """
    csv_path = Path(csv_path)
    m_A, eps_A = read_darkphoton_limit(csv_path)
    target_masses, target_label = _target(target)
    if masses is not None:
        m_chi = _user_masses(masses)
    elif target_masses is not None:
        m_chi = np.asarray(target_masses, dtype=float)
    else:
        m_chi = default_masses(m_A)
    label = target_label if label is None else str(label)

    rows = [RecastPoint(label, float(m), mcp_limit_from_darkphoton(m, m_A, eps_A))
            for m in m_chi]

    if str(out_dir).strip() == "":
        raise ConfigError("empty output folder name; allowed: a folder path", key="--out")
    out = Path(out_dir)
    _prepare_out(out)
    write_atomic(out / "limits.csv", _limits_csv(rows).encode("utf-8"))
    _reach_plot(rows, m_A, eps_A, csv_path.name, out / "reach.png")
    return rows


def _target(target):
    """Return ``(masses or None, label)`` for a steering file or a detector card."""
    from ..detectors.cards import BUILTIN_CARDS, load_card

    value = str(target)

    def missing_energy(card, where):
        if card.module != "spectrometer":
            raise ConfigError(f"the recast (seed 001 eq. 20) needs a missing-energy experiment "
                              f"(module 'spectrometer'), not module {card.module!r}",
                              file=where, key="detector.module")
        return card

    if value in BUILTIN_CARDS:
        card = missing_energy(load_card(value), value)
        return None, card.name
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"recast target not found: no file {str(path)!r} and not a built-in "
                          f"card; give a steering file, a card file or one of: "
                          f"{', '.join(BUILTIN_CARDS)}", file=path)
    from ..units import read_toml

    table, _ = read_toml(path)
    if "detector" in table and not {"setup", "physics", "run"} & set(table):
        card = missing_energy(load_card(path), path)
        return None, card.name
    from ..steering import load_steering

    st = load_steering(path)
    for i, s in enumerate(st.setups):
        if s.source.kind != "lepton-beam":
            raise ConfigError(f"the recast (seed 001 eq. 20) needs a lepton-beam set-up, not "
                              f"source {s.source.kind!r}", file=path, key=f"setup[{i}].source")
    lab = st.setups[0].label if len(st.setups) == 1 else st.run.name
    return st.physics.masses, lab


def _user_masses(masses) -> np.ndarray:
    try:
        arr = np.asarray(masses, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ConfigError(f"expected MCP masses in MeV, got {masses!r}", key="masses") from None
    if arr.size == 0 or not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
        raise ConfigError(f"values {list(arr)!r} out of range; allowed: one or more finite "
                          "masses > 0 in MeV", key="masses")
    return arr


def _prepare_out(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".mcpgen-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(f"output folder is not writable: {exc.strerror}", file=out) from None


def _limits_csv(rows) -> str:
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["label", "m_chi_MeV", "eps_limit"])
    for r in rows:
        w.writerow([r.label, repr(r.m_chi), "" if math.isnan(r.eps_limit) else repr(r.eps_limit)])
    return buf.getvalue()


def _reach_plot(rows, m_A, eps_A, source: str, path) -> None:
    """``reach.png`` and ``reach.pdf``: the recast MCP limit with the input dark-photon
    limit at m_A'/2 (eps <= 1 of it) as the reference, in the style of the run's
    reach figures (:func:`mcpgen.analysis.plots.reach_plot`)."""
    from ..plot_spec import Reference
    from .plots import reach_plot

    keep = [(m / 2, e) for m, e in zip(np.asarray(m_A, float), np.asarray(eps_A, float))
            if 0 < e <= 1.0]
    refs = [Reference("input A' limit at m_A'/2", source,
                      tuple(m for m, _ in keep), tuple(e for _, e in keep))] if keep else []
    label = rows[0].label if rows else ""
    reach_plot(rows, path, title=f"{label}: dark-photon limit recast to MCPs (seed 001 eq. 20)",
               references=refs)


__all__ = ["RecastPoint", "read_darkphoton_limit", "mcp_limit_from_darkphoton",
           "default_masses", "recast", "MASS_COLUMN", "EPS_COLUMN"]
