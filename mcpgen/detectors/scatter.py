"""Scattering detector module (registered as ``"scatter"``): chi e -> chi e in a volume.

A chi (or chibar) produced at the event vertex (vx, vy, vz) flies on a straight line
along its momentum (no energy loss or deflection before or inside the volume: both are
O(eps^2) and negligible for a millicharge) through a detector volume whose front face
is at z = ``distance`` (from z = 0, the origin of the event coordinates: the upstream
face of the target for lepton-beam sources):

``"box"``       |x - x_center| <= width/2, |y - y_center| <= height/2,
                distance <= z <= distance + length;
``"cylinder"``  (x - x_center)^2 + (y - y_center)^2 <= radius^2, same z range (axis along z).

Along a path L in a material of electron density n_e the number of scatters with an
electron recoil T_min <= T <= T_max is Poisson with mean mu = n_e sigma(E; T window) L,
sigma from :func:`mcpgen.physics.chi_e_scattering.sigma_window` (exact, seed 003).  The
chi and chibar of an event add as Poisson processes, mu = mu_chi + mu_chibar, and every
scatter is detected independently with the card's ``efficiency`` (the detected scatters
are Poisson with mean efficiency x mu).  The event's detection probability is

    n_scatters = 1:  P = 1 - exp(-efficiency mu)
    n_scatters = 2:  P = 1 - exp(-efficiency mu) (1 + efficiency mu)

(seed 003, "Multiple Scatter Constraint").  mu scales as eps^2, so P(eps) is computed
exactly on the card's eps grid from mu at eps = 1: the efficiency model is ``"table"``
(column ``det_eff_table``), and ``det_eff`` is P at the run's reference eps, which the
caller gives as ``Scatter(card, eps_ref=...)`` (or sets ``module.eps_ref``) because
:meth:`apply` does not receive it.

Columns: ``det_mu`` (mu at the reference eps, efficiency not included),
``det_path_chi``, ``det_path_chibar`` (mm inside the volume), ``det_eff_table``.
Collection ``det_electron``: one sampled recoil electron for each chi whose mu > 0,
with ``prob``, the probability (reference eps, efficiency not included) that this chi
scatters at least once in the window: an electron is a possible scatter, weighted by
``prob`` (x the event weight), not a certain one.  Its position is uniform along the
path in the volume, its T follows the exact d sigma/dT on the window and its direction
the two-body kinematics.  Randomness: ``rng.random((K, 3))`` for the K such chi of the
batch, in event order (chi before chibar): CDF value of T, azimuth, position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..framework.detector import DetectorModule, EfficiencyModel
from ..framework.process import Collection, Column
from ..physics.chi_e_scattering import (TARGETS, get_target, poisson_at_least,
                                        recoil_electron_momenta, recoil_T_from_uniform,
                                        sigma_window)
from ..schema import Key, Section
from ..units import (MISSING, check_keys, check_range, dotted, format_energy, format_length,
                     get_quantity)

CARD_SECTIONS = ("detector", "sources", "scatter")
SHAPES = ("box", "cylinder")
#: default eps grid of the efficiency table: 10 points per decade from 1e-5 to 1
DEFAULT_EPS_GRID = tuple(10.0 ** (k / 10.0) for k in range(-50, 1))
#: bounds of the grid values (the steering's eps range) and of its length
EPS_GRID_MIN, EPS_GRID_MAX, EPS_GRID_POINTS = 1e-20, 1.0, 2001
#: particle labels of the event record (mcpgen.io.record)
CHI, CHIBAR = "chi", "chibar"

_LEN = dict(unit="m", type_doc="length")
#: the ``[scatter]`` keys, declared once (validation and README table)
SCATTER = Section("scatter", (
    Key("shape", "str", "box", "`\"box\"` (width x height x length) or `\"cylinder\"` "
        "(radius x length), axis along z", choices=SHAPES),
    Key("distance", "any", MISSING, "z of the front face, from z = 0 (the upstream face of "
        "the target), `>= 0` (number = m)", **_LEN),
    Key("length", "length", MISSING, "depth along z, `> 0` (number = m)", unit="m"),
    Key("width", "length", None, "box: size in x, `> 0` (number = m); required for a box",
        unit="m"),
    Key("height", "length", None, "box: size in y, `> 0` (number = m); required for a box",
        unit="m"),
    Key("radius", "length", None, "cylinder: radius, `> 0` (number = m); required for a "
        "cylinder", unit="m"),
    Key("x_center", "any", 0.0, "x of the volume's axis (number = m)", **_LEN),
    Key("y_center", "any", 0.0, "y of the volume's axis (number = m)", **_LEN),
    Key("material", "str", MISSING, "scattering material: " + ", ".join(
        f"`\"{t}\"`" for t in TARGETS) + " (Z/A and density with sources in "
        "`mcpgen.physics.chi_e_scattering.TARGETS`)", choices=tuple(TARGETS)),
    Key("T_min", "energy", MISSING, "lowest accepted electron recoil kinetic energy, `> 0` "
        "(number = MeV)", unit="MeV"),
    Key("T_max", "energy", None, "highest accepted recoil kinetic energy, `> T_min` "
        "(number = MeV); default: the kinematic end point of each chi", unit="MeV",
        default_doc="kinematic"),
    Key("efficiency", "float", 1.0, "detection efficiency of one scatter in the window, "
        "`0 <= efficiency <= 1` (scatters detected independently)", bounds=dict(ge=0.0, le=1.0)),
    Key("n_scatters", "int", MISSING, "signature: `1` (at least one detected scatter) or `2` "
        "(at least two, chi and chibar combined)", bounds=dict(ge=1, le=2)),
    Key("eps_grid", "any", None, "eps values of the per-event efficiency table: an "
        "increasing array of numbers in [1e-20, 1], or a table `{min, max, points}` "
        "(log-spaced, 2 to 2001 points); S(eps) is interpolated as a power law between the "
        "nodes and extended with the end segments' powers outside", type_doc="array or table",
        default_doc="`{min = 1e-5, max = 1, points = 51}`"),
))
SCATTER_KEYS = SCATTER.names
_DEFAULT_TEXT = {"shape": "'box'", "width": "none", "height": "none", "radius": "none",
                 "x_center": "0 m", "y_center": "0 m", "T_max": "kinematic end point",
                 "efficiency": "1.0", "eps_grid": "51 log-spaced values 1e-5 ... 1"}


def card_reference() -> str:
    """The README table of the card keys, generated from the declarations."""
    from .cards import card_table

    return card_table("scatter", SCATTER, "SHiP SND")


# --------------------------------------------------------------------------- card
@dataclass(frozen=True)
class ScatterCard:
    """A scattering detector (keys in :data:`SCATTER`); lengths in mm, energies in MeV.

    ``sources`` is a tuple of ``(key, source)`` pairs, one per scatter key
    (``"default (...)"`` for keys not set in the card)."""

    name: str
    distance: float
    length: float
    material: str
    T_min: float
    n_scatters: int
    shape: str = "box"
    width: float | None = None
    height: float | None = None
    radius: float | None = None
    x_center: float = 0.0
    y_center: float = 0.0
    T_max: float | None = None
    efficiency: float = 1.0
    eps_grid: tuple = DEFAULT_EPS_GRID
    module: str = "scatter"
    sources: tuple = ()
    file: str = ""
    builtin: str | None = None

    @property
    def target(self):
        """The scattering material (:class:`~mcpgen.physics.chi_e_scattering.ElectronTarget`)."""
        return get_target(self.material)

    @property
    def T_hi(self) -> float:
        """Upper end of the recoil window (inf: the kinematic end point)."""
        return math.inf if self.T_max is None else self.T_max

    def source(self, key: str) -> str:
        """Source text of card key ``key``."""
        return dict(self.sources)[key]

    def to_dict(self) -> dict:
        """Card in its TOML layout (quantities as strings with units), for provenance."""
        mm = lambda v: None if v is None else f"{v!r} mm"  # noqa: E731
        MeV = lambda v: None if v is None else f"{v!r} MeV"  # noqa: E731
        body = {"shape": self.shape, "distance": mm(self.distance), "length": mm(self.length),
                "width": mm(self.width), "height": mm(self.height), "radius": mm(self.radius),
                "x_center": mm(self.x_center), "y_center": mm(self.y_center),
                "material": self.material, "T_min": MeV(self.T_min), "T_max": MeV(self.T_max),
                "efficiency": self.efficiency, "n_scatters": self.n_scatters,
                "eps_grid": list(self.eps_grid)}
        return {"detector": {"name": self.name, "module": self.module},
                "scatter": {k: v for k, v in body.items() if v is not None},
                "sources": dict(self.sources), "file": self.file, "builtin": self.builtin}

    def describe(self) -> str:
        """One line, e.g. for logs: geometry, material, window."""
        size = (f"{format_length(self.width)} x {format_length(self.height)}"
                if self.shape == "box" else f"radius {format_length(self.radius)}")
        top = "kinematic" if self.T_max is None else format_energy(self.T_max)
        return (f"{self.name}: {self.shape} {size} x {format_length(self.length)} of "
                f"{self.material} at {format_length(self.distance)}, T in "
                f"[{format_energy(self.T_min)}, {top}], n >= {self.n_scatters}")


def _length(table, name, *, file, default, ge=None):
    key = dotted("scatter", name)
    value = get_quantity(table, name, "length", default_unit="m", file=file, prefix="scatter",
                         default=default, positive=False)
    if ge is not None:
        check_range(value, file=file, key=key, ge=ge)
    return float(value)


def _eps_grid(value, *, file) -> tuple:
    key = "scatter.eps_grid"
    if isinstance(value, dict):
        check_keys(value, ("min", "max", "points"), file=file, prefix=key)
        for k in ("min", "max", "points"):
            if k not in value:
                raise ConfigError("missing required key", file=file, key=f"{key}.{k}")
        lo, hi, n = value["min"], value["max"], value["points"]
        for k, v in (("min", lo), ("max", hi)):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ConfigError(f"expected a number, got {v!r}", file=file, key=f"{key}.{k}")
            check_range(float(v), file=file, key=f"{key}.{k}", ge=EPS_GRID_MIN, le=EPS_GRID_MAX)
        if isinstance(n, bool) or not isinstance(n, int):
            raise ConfigError(f"expected an integer, got {n!r}", file=file, key=f"{key}.points")
        check_range(n, file=file, key=f"{key}.points", ge=2, le=EPS_GRID_POINTS)
        if not hi > lo:
            raise ConfigError(f"max = {hi!r} must be > min = {lo!r}", file=file, key=f"{key}.max")
        grid = np.logspace(math.log10(lo), math.log10(hi), n)
        grid[0], grid[-1] = lo, hi      # exact end points
        return tuple(float(e) for e in grid)
    if not isinstance(value, list):
        raise ConfigError(f"expected an array of eps values or a table {{min, max, points}}, got "
                          f"{value!r}", file=file, key=key)
    if not 2 <= len(value) <= EPS_GRID_POINTS:
        raise ConfigError(f"{len(value)} values; allowed: 2 to {EPS_GRID_POINTS}", file=file,
                          key=key)
    grid = []
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ConfigError(f"expected a number, got {v!r}", file=file, key=f"{key}[{i}]")
        check_range(float(v), file=file, key=f"{key}[{i}]", ge=EPS_GRID_MIN, le=EPS_GRID_MAX)
        if grid and not float(v) > grid[-1]:
            raise ConfigError("values must increase", file=file, key=f"{key}[{i}]")
        grid.append(float(v))
    return tuple(grid)


def scatter_card(table: dict, *, file="<dict>", builtin=None) -> ScatterCard:
    """Validate a scatter card given as a dict (the parsed TOML) and build it."""
    from .cards import card_header

    name, module = card_header(table, "scatter", CARD_SECTIONS, file=file)
    body = SCATTER.table(table, file=file, required=True)
    v = SCATTER.read(body, file=file)
    v["distance"] = _length(body, "distance", file=file, default=MISSING, ge=0.0)
    v["x_center"] = _length(body, "x_center", file=file, default=0.0)
    v["y_center"] = _length(body, "y_center", file=file, default=0.0)
    v["eps_grid"] = (_eps_grid(body["eps_grid"], file=file) if "eps_grid" in body
                     else DEFAULT_EPS_GRID)
    sizes = {"box": ("width", "height"), "cylinder": ("radius",)}
    for shape, keys in sizes.items():
        for k in keys:
            if v["shape"] == shape and v[k] is None:
                raise ConfigError(f"missing required key for shape = {shape!r}", file=file,
                                  key=f"scatter.{k}")
            if v["shape"] != shape and v[k] is not None:
                raise ConfigError(f"{k} is a size of shape = {shape!r}, not of "
                                  f"{v['shape']!r}; remove it", file=file, key=f"scatter.{k}")
    if v["T_max"] is not None and not v["T_max"] > v["T_min"]:
        raise ConfigError(f"T_max = {format_energy(v['T_max'])} must be > T_min = "
                          f"{format_energy(v['T_min'])}", file=file, key="scatter.T_max")
    from .cards import card_sources

    sources = card_sources(table, "scatter", SCATTER_KEYS, body,
                           {k: _DEFAULT_TEXT.get(k, "none") for k in SCATTER_KEYS}, file=file)
    return ScatterCard(name=name, module=module, sources=sources, file=str(file),
                       builtin=builtin, **v)


# ----------------------------------------------------------------------- geometry
def _slab(o, d, lo, hi):
    """Ray parameters (t0, t1) inside lo <= o + t d <= hi, per component arrays."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (lo - o) / d
        b = (hi - o) / d
    t0, t1 = np.minimum(a, b), np.maximum(a, b)
    parallel = d == 0.0
    inside = (o >= lo) & (o <= hi)
    t0 = np.where(parallel, np.where(inside, -np.inf, np.inf), t0)
    t1 = np.where(parallel, np.where(inside, np.inf, -np.inf), t1)
    return t0, t1


def _clip(t0, t1):
    """(t_in, t_out) of the part t >= 0 of [t0, t1]; (0, 0) when empty."""
    t_in = np.maximum(t0, 0.0)
    hit = t1 > t_in
    return np.where(hit, t_in, 0.0), np.where(hit, t1, 0.0)


def ray_box(origin, direction, lo, hi):
    """Entry and exit parameters (t_in, t_out) of the rays ``origin + t direction``,
    t >= 0, in the axis-aligned box ``lo <= x <= hi`` (slab method); (0, 0) for a miss.
    ``origin``, ``direction``: shape (n, 3); with a unit direction t is a length."""
    o, d = np.asarray(origin, float), np.asarray(direction, float)
    t0, t1 = np.full(len(o), -np.inf), np.full(len(o), np.inf)
    for k in range(3):
        a, b = _slab(o[:, k], d[:, k], lo[k], hi[k])
        t0, t1 = np.maximum(t0, a), np.minimum(t1, b)
    return _clip(t0, t1)


def ray_cylinder(origin, direction, center, radius, z_lo, z_hi):
    """(t_in, t_out), t >= 0, of the rays in the cylinder (x - cx)^2 + (y - cy)^2 <= R^2,
    z_lo <= z <= z_hi; (0, 0) for a miss.  The quadratic is solved without cancellation
    (q = -(b + sign(b) sqrt(b^2 - a c)), roots q/a and c/q)."""
    o, d = np.asarray(origin, float), np.asarray(direction, float)
    ox, oy = o[:, 0] - center[0], o[:, 1] - center[1]
    dx, dy = d[:, 0], d[:, 1]
    a = dx * dx + dy * dy
    b = ox * dx + oy * dy
    c = ox * ox + oy * oy - radius * radius
    disc = b * b - a * c
    with np.errstate(divide="ignore", invalid="ignore"):
        q = -(b + np.copysign(np.sqrt(np.maximum(disc, 0.0)), b))
        r1 = q / a
        r2 = np.where(q != 0.0, c / q, 0.0)
    t0, t1 = np.minimum(r1, r2), np.maximum(r1, r2)
    axial = a == 0.0
    t0 = np.where(axial, np.where(c <= 0.0, -np.inf, np.inf), np.where(disc >= 0.0, t0, np.inf))
    t1 = np.where(axial, np.where(c <= 0.0, np.inf, -np.inf), np.where(disc >= 0.0, t1, -np.inf))
    zs0, zs1 = _slab(o[:, 2], d[:, 2], z_lo, z_hi)
    return _clip(np.maximum(t0, zs0), np.minimum(t1, zs1))


def ray_volume(card, origin, direction):
    """(t_in, t_out) of the rays in the card's volume (box or cylinder)."""
    z_lo, z_hi = card.distance, card.distance + card.length
    if card.shape == "box":
        lo = (card.x_center - card.width / 2, card.y_center - card.height / 2, z_lo)
        hi = (card.x_center + card.width / 2, card.y_center + card.height / 2, z_hi)
        return ray_box(origin, direction, lo, hi)
    return ray_cylinder(origin, direction, (card.x_center, card.y_center), card.radius,
                        z_lo, z_hi)


# ------------------------------------------------------------------------ module
ELECTRON_FIELDS = (
    Column("x", "float64", "mm", "scatter position"),
    Column("y", "float64", "mm", "scatter position"),
    Column("z", "float64", "mm", "scatter position"),
    Column("px", "float64", "MeV", "recoil-electron momentum"),
    Column("py", "float64", "MeV", "recoil-electron momentum"),
    Column("pz", "float64", "MeV", "recoil-electron momentum"),
    Column("E", "float64", "MeV", "recoil-electron energy (T + m_e)"),
    Column("T", "float64", "MeV", "recoil-electron kinetic energy"),
    Column("parent", "int32", "", "particle slot of the chi that scattered"),
    Column("prob", "float64", "", "probability at eps_ref that this chi scatters at least "
           "once in the window (efficiency not included)"),
)


class Scatter(DetectorModule):
    """chi e -> chi e in a detector volume as a :class:`DetectorModule` (module docstring).

    ``eps_ref`` is the reference eps of the run's weights; :meth:`apply` needs it for
    ``det_eff`` and ``det_mu`` (the table does not depend on it)."""

    name = "scatter"
    #: one line for `mcpgen list`
    description = "chi e -> chi e scattering in a downstream detector volume"
    columns = (
        Column("det_mu", "float64", "", "expected chi e scatters in the recoil window at "
               "eps_ref, chi + chibar (efficiency not included)"),
        Column("det_path_chi", "float64", "mm", "path length of chi in the volume"),
        Column("det_path_chibar", "float64", "mm", "path length of chibar in the volume"),
    )
    collections = (Collection("det_electron", ELECTRON_FIELDS,
                              "one sampled recoil electron per chi with mu > 0, weighted by "
                              "its prob (module docstring)"),)

    def __init__(self, card, eps_ref=None):
        super().__init__(card)
        self.eps_ref = None if eps_ref is None else float(eps_ref)
        self.columns = type(self).columns + (
            Column("det_eff_table", "float64", "", "detection probability on the eps grid "
                   "(metadata efficiency_model.grid)", shape=(len(card.eps_grid),)),)

    @classmethod
    def card_from_table(cls, table, *, file, builtin=None):
        return scatter_card(table, file=file, builtin=builtin)

    @property
    def efficiency_model(self) -> EfficiencyModel:
        return EfficiencyModel("table", grid=tuple(self.card.eps_grid))

    def generator_threshold(self):
        return None

    def check(self, process_cls, source):
        model = getattr(process_cls, "model", "mcp")
        if model != "mcp":
            raise ConfigError(f"the scatter module needs chi chibar in the events (model 'mcp'), "
                              f"not process {getattr(process_cls, 'name', process_cls)!r} of "
                              f"model {model!r}", file=self.card.file or None,
                              key="detector.module")

    def metadata(self) -> dict:
        return {**super().metadata(), "eps_ref": self.eps_ref}

    # -- the per-event computation -----------------------------------------------------
    def expected_scatters(self, batch):
        """Per particle slot (chi, chibar): (index, path in mm, t_in in mm, unit direction,
        mu at eps = 1); mu = n_e sigma(E; window) L."""
        card = self.card
        n_e = card.target.electron_density
        origin = batch.vertices()
        out = []
        for label in (CHI, CHIBAR):
            j, d, norm = batch.direction(label)
            t_in, t_out = ray_volume(card, origin, d)
            path = np.where(norm > 0.0, t_out - t_in, 0.0)
            mu1 = np.zeros(len(batch))
            hit = path > 0.0
            if hit.any():
                sig = sigma_window(batch.E[hit, j], batch.mass[hit, j], card.T_min, card.T_hi)
                mu1[hit] = n_e * sig * path[hit]
            out.append((j, path, t_in, d, mu1))
        return out

    tallies = {"chi_crossing": (0, "chi and chibar crossing the detector volume"),
               "chi_scatters": (2, "expected chi e scatters in the recoil window (efficiency "
                                   "not included)")}

    def tally(self, batch) -> dict:
        """``chi_crossing``: sum_i w_i (number of chi and chibar whose path crosses the
        volume), the chi flux through the detector per unit exposure; ``chi_scatters``:
        sum_i w_i mu_i, the expected scatters (efficiency not included), both at eps_ref
        (the flux scales with the production, eps^2; the scatters as eps^4)."""
        w = np.asarray(batch.weight, np.float64)
        crossing = (np.asarray(batch.det_path_chi) > 0).astype(float) + \
            (np.asarray(batch.det_path_chibar) > 0)
        return {"chi_crossing": float((w * crossing).sum()),
                "chi_scatters": float((w * np.asarray(batch.det_mu)).sum())}

    def apply(self, batch, source, rng):
        if self.eps_ref is None:
            raise RuntimeError("Scatter.eps_ref is not set: the caller must give the run's "
                               "reference eps (Scatter(card, eps_ref=eps) or module.eps_ref = eps)")
        for label in (CHI, CHIBAR):
            if label not in batch.names:
                raise ConfigError(f"the scatter module needs particles labelled 'chi' and "
                                  f"'chibar'; the events have {', '.join(batch.names)}",
                                  file=self.card.file or None, key="detector.module")
        card, e2 = self.card, self.eps_ref ** 2
        slots = self.expected_scatters(batch)
        mu1 = slots[0][4] + slots[1][4]
        seen = card.efficiency * mu1
        grid2 = np.asarray(card.eps_grid, float) ** 2
        batch.det_mu = e2 * mu1
        batch.det_path_chi = slots[0][1]
        batch.det_path_chibar = slots[1][1]
        batch.det_eff_table = poisson_at_least(seen[:, None] * grid2[None, :], card.n_scatters)
        batch.det_eff = poisson_at_least(e2 * seen, card.n_scatters)
        batch.det_pass = seen > 0.0
        batch.collections["det_electron"] = self._electrons(batch, slots, rng)

    def _electrons(self, batch, slots, rng):
        """The ``det_electron`` collection: (offsets, fields), event-major, chi first."""
        card, n = self.card, len(batch)
        mu = np.stack([s[4] for s in slots], axis=1)              # (n, 2), eps = 1
        ev, k = np.nonzero(mu > 0.0)                              # row-major: event order
        K = len(ev)
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(ev, minlength=n), out=offsets[1:])
        fields = {c.name: np.zeros(K, np.dtype(c.dtype)) for c in ELECTRON_FIELDS}
        if K == 0:
            return offsets, fields
        u = rng.random((K, 3))
        j = np.array([s[0] for s in slots])[k]
        path = np.stack([s[1] for s in slots], axis=1)[ev, k]
        t_in = np.stack([s[2] for s in slots], axis=1)[ev, k]
        d = np.stack([s[3] for s in slots], axis=1)[ev, k]
        E, m = batch.E[ev, j], batch.mass[ev, j]
        T = recoil_T_from_uniform(u[:, 0], E, m, card.T_min, card.T_hi)
        px, py, pz, Ee = recoil_electron_momenta(T, E, m, d, 2.0 * np.pi * u[:, 1])
        t = t_in + u[:, 2] * path
        fields.update(x=batch.vx[ev] + t * d[:, 0], y=batch.vy[ev] + t * d[:, 1],
                      z=batch.vz[ev] + t * d[:, 2], px=px, py=py, pz=pz, E=Ee, T=T,
                      parent=j.astype(np.int32),
                      prob=poisson_at_least(self.eps_ref ** 2 * mu[ev, k], 1))
        return offsets, fields

