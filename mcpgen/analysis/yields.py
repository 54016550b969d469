"""Signal yields and eps limits, summed over channels.

For one (set-up, channel, mass) the expected count at charge eps is

    N(eps) = exposure x (eps/eps_ref)^p x S(eps),   S(eps) = sum_i w_i eff_i(eps),

summed over the events that pass the detector (seed 001 eq. 12, seed 002 eq. 4
for a lepton beam, where exposure = LOT x n_T x L_T in pb^-1 and the weights are
cross sections per nucleus in pb; for tabulated meson spectra the exposure is the
number of protons on target and the weights are decays per POT).  ``p`` is the process's eps power (2: the
production amplitude is linear in eps; the O(eps^4) trident terms and the O(eps^3)
interference are neglected, seed 001 footnote 4) and eff_i(eps) follows the
detector's efficiency model (:mod:`mcpgen.framework.detector`): constant, a power
law, or a per-event table.  Channels of one model add: N = sum_c N_c(eps).

The limit stage returns the eps *intervals* inside (0, 1] where N(eps) >= s_up:
for a single power law one interval [eps_limit, 1], in general (slow-MCP islands
of an e+e- tracker, a ceiling from absorption) several.  ``eps_limit`` is the
lowest edge (NaN when N < s_up everywhere); eps > 1 is outside the validity of
the scaling and of "millicharged".

The sums are accumulated where the events are made (:mod:`mcpgen.framework.jobs`)
and stored in each file's metadata (``yield_sums``); :func:`yields_from_files`
recomputes them from the three branches it needs.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..framework.rundir import atomic_path

from ..errors import ConfigError

#: lower end of the eps range searched for limit intervals
EPS_SEARCH_MIN = 1e-12
#: label of the channel-sum rows
SUM_CHANNEL = "sum"


@dataclass(frozen=True)
class YieldPoint:
    """Expected signal and eps limit for one set-up, channel (or their sum) and mass.

    ``exposure`` x ``sigma_sel`` is the count at eps_ref; ``parts`` holds
    the channel points of a sum.  ``sigma_sel`` is in the weight unit of the process
    (``weight_unit``: "pb" for cross sections per nucleus, "per POT" for meson decays per
    proton on target) and ``exposure`` in its inverse.
    """

    label: str                 #: set-up name, e.g. "NA64mu"
    m_chi: float               #: mass, MeV
    eps_ref: float             #: reference eps at which the weights were generated
    sigma_sel: float           #: selected weight sum at eps_ref, sum w eff (weight_unit)
    sigma_sel_err: float       #: its MC error, sqrt(sum (w eff)^2) (weight_unit)
    exposure: float            #: expected count per unit of selected weight
    s_up: float                #: upper limit on the signal count used for the limits
    channel: str = "brem"
    eps_power: float = 2.0
    efficiency_model: dict = field(default_factory=lambda: {"kind": "constant", "power": 0.0,
                                                            "grid": []})
    table: tuple = ()          #: S(eps) on the efficiency grid (kind "table"), weight_unit
    parts: tuple = ()          #: channel points of a sum
    weight_unit: str = "pb"

    def selected(self, eps) -> float:
        """S(eps) in the weight unit: the selected weight sum at eps_ref, with the
        efficiency model."""
        m = self.efficiency_model
        if m["kind"] == "constant":
            return self.sigma_sel
        if m["kind"] == "power":
            return self.sigma_sel * (eps / self.eps_ref) ** float(m["power"])
        return table_interpolation(m["grid"], self.table, eps)

    def n_expected(self, eps: float) -> float:
        """Expected selected events at charge eps."""
        if self.parts:
            return sum(p.n_expected(eps) for p in self.parts)
        return self.exposure * (eps / self.eps_ref) ** self.eps_power * self.selected(eps)

    @property
    def n_per_eps2(self) -> float:
        """Expected events at eps = 1 (for an eps^2 law, N(eps) = n_per_eps2 eps^2)."""
        return self.n_expected(1.0)

    @property
    def intervals(self) -> tuple:
        """The eps intervals (low, high) in (0, 1] with N(eps) >= s_up."""
        return eps_intervals(self, self.s_up)

    @property
    def eps_limit(self) -> float:
        """Smallest eps at which the expected count reaches s_up; NaN when none."""
        iv = self.intervals
        return iv[0][0] if iv else math.nan


def table_interpolation(grid, values, eps) -> float:
    """S(eps) from a table on an increasing eps grid: a power law between neighbouring
    nodes (linear in ln S vs ln eps; linear in S where a node is 0), extended beyond
    the grid with the power of the end segment (held constant if that is not defined).

    A detection probability that is a power of eps between nodes (a thin detector:
    P ~ eps^2 per scatter, eps^4 for two) is then reproduced exactly; linear
    interpolation in ln eps overestimated such a table by up to 11% between nodes
    10 per decade apart, and holding the end value overestimated it below the grid."""
    g = np.log(np.asarray(grid, float))
    v = np.asarray(values, float)
    x = math.log(eps)
    i = int(np.clip(np.searchsorted(g, x) - 1, 0, len(g) - 2))
    a, b = v[i], v[i + 1]
    t = (x - g[i]) / (g[i + 1] - g[i])
    if a > 0 and b > 0:
        return float(math.exp(math.log(a) + t * (math.log(b) - math.log(a))))
    if 0.0 <= t <= 1.0:
        return float(a + t * (b - a))
    return float(a if t < 0 else b)


def _power_law(point):
    """Total eps power if N(eps) is one power law c eps^P, else None."""
    parts = point.parts or (point,)
    powers = set()
    for p in parts:
        kind = p.efficiency_model["kind"]
        if kind == "table":
            return None
        powers.add(p.eps_power + (float(p.efficiency_model["power"]) if kind == "power" else 0.0))
    return powers.pop() if len(powers) == 1 else None


def eps_intervals(point, s_up: float, *, eps_max: float = 1.0) -> tuple:
    """Intervals of eps in (EPS_SEARCH_MIN, eps_max] where ``point.n_expected(eps) >= s_up``.

    A single power law is solved in closed form (eps = (s_up / N(1))^(1/P)); otherwise
    N is scanned on a log grid (40 points per e-fold of eps, plus the nodes of every
    efficiency table, between which N is monotonic) and each crossing refined by
    bisection in log eps.  An interval still open at the top of the range ends at exactly
    ``eps_max``; one that closes below it (N(eps_max) < s_up) ends at its crossing, even
    just below ``eps_max``.
    """
    if not (s_up > 0.0 and math.isfinite(s_up)):
        raise ValueError(f"s_up must be a positive finite number, got {s_up!r}")
    P = _power_law(point)
    if P is not None and P > 0:
        n1 = point.n_expected(eps_max)
        if not (n1 > 0.0) or n1 < s_up:
            return ()
        return ((eps_max * (s_up / n1) ** (1.0 / P), eps_max),)
    lo = math.log(EPS_SEARCH_MIN)
    hi = math.log(eps_max)
    nodes = [math.log(e) for p in (point.parts or (point,))
             for e in p.efficiency_model.get("grid", ()) if EPS_SEARCH_MIN < e < eps_max]
    # the table nodes are where N can turn: scanning them cannot step over a dip
    grid = np.unique(np.concatenate([np.linspace(lo, hi, int(40 * (hi - lo)) + 2), nodes]))
    f = np.array([point.n_expected(math.exp(x)) - s_up for x in grid])
    inside = f >= 0
    out, start = [], None
    for i, ok in enumerate(inside):
        if ok and start is None:
            start = math.exp(grid[0]) if i == 0 else _edge(point, s_up, grid[i - 1], grid[i])
        if not ok and start is not None:
            out.append((start, _edge(point, s_up, grid[i - 1], grid[i])))
            start = None
    if start is not None:
        out.append((start, eps_max))
    return tuple(out)


def _edge(point, s_up, a, b):
    """Crossing of N = s_up between log eps a and b (bisection, 60 steps)."""
    fa = point.n_expected(math.exp(a)) - s_up
    for _ in range(60):
        m = 0.5 * (a + b)
        fm = point.n_expected(math.exp(m)) - s_up
        if (fm >= 0) == (fa >= 0):
            a, fa = m, fm
        else:
            b = m
    return math.exp(0.5 * (a + b))


def eps_limit_from_yield(n_per_eps2: float, s_up: float) -> float:
    """eps with n_per_eps2 eps^2 = s_up, or NaN when there is no reach (eps^2 law)."""
    if not (s_up > 0.0 and math.isfinite(s_up)):
        raise ValueError(f"s_up must be a positive finite number, got {s_up!r}")
    if not (n_per_eps2 > 0.0) or n_per_eps2 < s_up:
        return math.nan
    return math.sqrt(s_up / n_per_eps2)


def point_from_metadata(meta: dict, *, s_up: float, exposure=None, label=None, sums=None,
                        path=None) -> YieldPoint:
    """YieldPoint of one job from its metadata (``yield_sums``, or ``sums`` given)."""
    sums = sums if sums is not None else meta.get("yield_sums")
    where = dict(file=path) if path is not None else {}
    for key in ("eps", "mass_MeV"):
        if key == "mass_MeV" and "m_chi_MeV" in meta:
            continue
        if key not in meta:
            raise ConfigError(f"run metadata has no {key!r}", key=key, **where)
    try:
        eps_ref = float(meta["eps"])
    except (TypeError, ValueError):
        eps_ref = math.nan
    if not (math.isfinite(eps_ref) and eps_ref > 0):
        raise ConfigError(f"metadata value {meta['eps']!r} is not a positive number", key="eps",
                          **where)
    if not (isinstance(s_up, (int, float)) and math.isfinite(s_up) and s_up > 0):
        raise ValueError(f"s_up must be a positive finite number, got {s_up!r}")
    if sums is None:
        raise ConfigError("run metadata has no 'yield_sums'; use yields_from_files", **where)
    if exposure is None:
        key = "exposure" if "exposure" in meta else "exposure_per_pb"   # files before 0.2
        if key not in meta:
            raise ConfigError("run metadata has no 'exposure'; pass exposure= to "
                              "recompute the yield", key="exposure", **where)
        exposure = float(meta[key])
    model = sums.get("efficiency_model", {"kind": "constant", "power": 0.0, "grid": []})
    mass = meta.get("mass_MeV", meta.get("m_chi_MeV"))
    return YieldPoint(
        label=str(label if label is not None else meta.get("label") or
                  (Path(path).stem if path else "")),
        m_chi=float(mass), eps_ref=eps_ref,
        sigma_sel=float(sums["sum_w_eff"]),
        sigma_sel_err=math.sqrt(float(sums["sum_w2_eff2"])),
        exposure=float(exposure), s_up=float(s_up),
        channel=str(meta.get("channel", meta.get("process", "brem"))),
        eps_power=float(meta.get("eps_power", 2)), efficiency_model=model,
        table=tuple(sums.get("table_sum_w_eff", ())), weight_unit=str(meta.get("weight_unit", "pb")))


def channel_sums(points) -> list:
    """The points plus, for every mass of a set-up with more than one channel, their sum
    (also where only one channel is open at that mass, e.g. above a meson's m/2, so that
    the summed reach is a continuous curve)."""
    groups, channels = {}, {}
    for p in points:
        groups.setdefault((p.label, f"{p.m_chi:.6g}"), []).append(p)
        channels.setdefault(p.label, set()).add(p.channel)
    out = list(points)
    for (label, _), ps in groups.items():
        if len(channels[label]) > 1:
            first = ps[0]
            out.append(YieldPoint(
                label=label, m_chi=first.m_chi, eps_ref=first.eps_ref,
                sigma_sel=math.nan, sigma_sel_err=math.nan, exposure=math.nan,
                s_up=first.s_up, channel=SUM_CHANNEL, parts=tuple(ps)))
    return out


def yields_from_files(paths, *, s_up: float, exposure: float | None = None,
                      label: str | None = None) -> list[YieldPoint]:
    """Yields and eps limits recomputed from event files alone (any process family).

    Reads only ``weight``, ``det_pass``, ``det_eff`` (and ``det_eff_table`` for a
    table efficiency model) and the metadata.  The exposure (inverse weight unit)
    comes from the metadata key ``exposure`` unless given.  Points come back in the
    order of ``paths``.
    """
    from ..io.root import read_branches, read_metadata
    from ..framework.detector import EfficiencyModel
    from ..framework.jobs import YieldAccumulator

    points = []
    for path in paths:
        meta = read_metadata(path)
        model = (meta.get("yield_sums") or {}).get("efficiency_model") or \
            (meta.get("detector") or {}).get("efficiency_model") or {"kind": "constant"}
        model = EfficiencyModel.from_dict(model)
        names = ["weight", "det_pass", "det_eff"] + (["det_eff_table"] if model.kind == "table"
                                                      else [])
        data, _ = read_branches(path, names)
        acc = YieldAccumulator(model)

        class _B:  # the three (four) arrays as a batch for the accumulator
            weight, det_pass, det_eff = data["weight"], data["det_pass"], data["det_eff"]
            det_eff_table = data.get("det_eff_table")
        try:
            acc.add(_B)
        except FloatingPointError:
            raise ConfigError("non-finite weight or efficiency among the events", file=path) \
                from None
        points.append(point_from_metadata(meta, s_up=s_up, exposure=exposure, label=label,
                                          sums=acc.to_dict(), path=path))
    return points


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


YIELDS_COLUMNS = ("label", "channel", "m_chi_MeV", "eps_ref", "eps_power", "efficiency_model",
                  "sigma_sel", "sigma_sel_err", "weight_unit", "exposure", "n_per_eps2", "s_up",
                  "eps_limit")
LIMITS_COLUMNS = ("label", "channel", "m_chi_MeV", "eps_limit", "eps_low", "eps_high", "s_up")


def _order(points):
    order = {}
    for p in points:
        order.setdefault(p.label, len(order))
    return sorted(points, key=lambda p: (order[p.label], p.m_chi, p.channel == SUM_CHANNEL,
                                         p.channel))


def write_yields_csv(points, path) -> None:
    """One row per set-up, channel (and channel sum) and mass, atomically.

    Columns: label, channel, m_chi_MeV, eps_ref, eps_power, efficiency_model, sigma_sel
    and sigma_sel_err (sum w eff and its error in weight_unit: "pb" for cross sections,
    "per POT" for meson decays), weight_unit, exposure (its inverse), n_per_eps2
    (events at eps = 1), s_up, eps_limit (blank where there is no reach).
    """
    rows = [[p.label, p.channel, _fmt(p.m_chi), _fmt(p.eps_ref), _fmt(float(p.eps_power)),
             "sum" if p.parts else p.efficiency_model["kind"], _fmt(p.sigma_sel),
             _fmt(p.sigma_sel_err), "" if p.parts else p.weight_unit, _fmt(p.exposure),
             _fmt(p.n_per_eps2),
             _fmt(p.s_up), _fmt(p.eps_limit)] for p in _order(points)]
    _write_csv(path, YIELDS_COLUMNS, rows)


def write_limits_csv(points, path) -> None:
    """``label,channel,m_chi_MeV,eps_limit,eps_low,eps_high,s_up``, one row per interval.

    A point without reach has one row with blank eps_limit/eps_low/eps_high;
    ``eps_high = 1`` means the region reaches the top of the range eps <= 1.
    Rows are sorted by label (in order of first appearance), mass and channel.
    """
    rows = []
    for p in _order(points):
        iv = p.intervals
        for lo, hi in iv or ((math.nan, math.nan),):
            rows.append([p.label, p.channel, _fmt(p.m_chi), _fmt(p.eps_limit), _fmt(lo), _fmt(hi),
                         _fmt(p.s_up)])
    _write_csv(path, LIMITS_COLUMNS, rows)


def read_limits_csv(path) -> list[dict]:
    """Rows of a limits.csv as dicts of floats (NaN for blanks) and strings."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: (v if k in ("label", "channel") else (float(v) if v else math.nan))
                 for k, v in row.items()} for row in csv.DictReader(fh)]


__all__ = [
    "YieldPoint",
    "eps_intervals",
    "eps_limit_from_yield",
    "point_from_metadata",
    "channel_sums",
    "yields_from_files",
    "write_yields_csv",
    "write_limits_csv",
    "read_limits_csv",
    "atomic_path",
]
