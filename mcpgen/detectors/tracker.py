"""Cylindrical gas tracker around the beam axis (registered as ``"tracker"``): seed 004.

Geometry (axis = beam axis z, centred at z = 0, lengths in mm): a beam pipe (shell
``pipe_radius <= r <= pipe_radius + pipe_thickness`` of ``pipe_material``), vacuum, an
inner wall (shell ``inner_radius - wall_thickness <= r <= inner_radius`` of
``wall_material``), then ``gas`` for ``inner_radius <= r <= radius``; everything is
clipped to ``|z| <= length/2`` (a chi leaving through an end cap leaves the tracker).
The vertex must lie inside the beam pipe (on the axis for the ee process).

Each chi and chibar flies on a straight line from the vertex along its momentum (a
millicharge is not deflected visibly: seed 004 sec. 2) and slows down continuously
(CSDA, electronic stopping of :mod:`mcpgen.physics.ionisation`, nuclear stopping and
straggling left out).  Because the electronic stopping is exactly eps^2 S_1(beta), the
range at charge eps is R_eps(beta) = M r(beta)/eps^2 with the per-mass range
r(beta) = int_0^beta beta' gamma^3 dbeta'/(rho S_1(beta')) (tabulated once per material
and chi mass, log-log interpolation, checked against :func:`csda_range`).  A layer of
thickness x changes the velocity from beta to r^-1(r(beta) - eps^2 x/M) (stopped if
<= 0): O(1) per MCP and eps, no stepping.

Signatures (``signature`` key):

``"ionisation"`` (seed 004 eqs. 7-8): dE/dx = eps^2 rho S_1(beta) >= I_min holds for
    beta in an interval [b_lo(eps), b_hi(eps)] (S_1 rises as beta, peaks near beta
    = 0.0125 and falls as 1/beta^2); the ionising length is the part of the slowing path
    in the gas with beta in that interval, L_ion = M (r(b_top) - r(b_bot))/eps^2.  A chi
    is seen if L_ion >= L_min; in a continuous gas hits are drawn every ``hit_spacing``
    along the ionising part (n = floor(L_ion/hit_spacing)), with ``layers`` = N > 0 the
    hits are the crossings of the N layer radii (cell centres) by the ionising part;
    the event passes (probability 1, else 0) if both are seen and n_chi + n_chibar >=
    min_hits.
``"delta"`` (seed 004 eqs. 9-11, PDG form with the spin-1/2 term): delta electrons
    with T >= T_min are Poisson with mean mu = int dx eps^2 nu_1(beta(x)) along the gas
    path, nu_1 = :func:`delta_ray_mean_number` at eps = 1.  With dx = (M/eps^2) dr this is
    mu = D(beta_in) - D(beta_out), D(beta) = M int_0^beta nu_1 r' dbeta (tabulated): over a
    full stopping path it does not depend on eps; in the thin limit mu = eps^2 nu_1 L.
    The event probability (each chi >= n_delta electrons, >= min_hits in total, the
    seed's ">= 4 hits, >= 1 from each") is exact for two independent Poisson counts:
    P = sum_{k = n_d}^{m - n_d - 1} p1(k) Q2(m - k) + Q1(max(n_d, m - n_d)) Q2(n_d),
    Q(k) = P(N >= k), m = min_hits.

Per-event output: ``det_eff_table`` (probability on the eps grid, efficiency model
"table"), ``det_eff`` (at ``eps_ref``, which the caller sets), ``det_pass`` (probability
> 0 somewhere on the grid), columns below at eps_ref, and the collection ``det_hit`` of
sampled hits at eps_ref: delta signature, N ~ Poisson(mu) per chi
(``rng.poisson``) at positions drawn from the delta density along the path (inverse of
D, ``rng.random``); ionisation signature, the fixed hits (every hit_spacing, or at the
layer crossings).  Every hit
is smeared by an isotropic Gaussian of sigma ``hit_resolution`` per coordinate
(``rng.normal``).  At most MAX_STORED_HITS hits per chi are stored (``det_nhit_*``
keeps the full count).  Draw order: per chi slot (chi, then chibar) the Poisson counts
of all events, then the positions, then the smearing.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from hepunits import cm, eV, keV, m as metre

from ..errors import ConfigError
from ..framework.detector import DetectorModule, EfficiencyModel
from ..framework.process import Collection, Column
from ..physics.ionisation import MATERIALS
from ..schema import Key, Section
from ..units import check_range
from .scatter import DEFAULT_EPS_GRID, _eps_grid
from .tracker_geometry import paths, ray_radius, ray_terms
from .tracker_ranges import ionising_interval, range_table

CARD_SECTIONS = ("detector", "sources", "tracker")
SIGNATURES = ("ionisation", "delta")
CHI, CHIBAR = "chi", "chibar"
MAX_STORED_HITS = 64

_L = dict(type_doc="length")
TRACKER = Section("tracker", (
    Key("radius", "any", 1.0 * metre, "outer radius of the gas, `> 0` (number = m)", unit="m",
        **_L),
    Key("inner_radius", "any", 0.0, "radius where the gas starts, `0 <= inner_radius < radius` "
        "(number = m)", unit="m", **_L),
    Key("length", "any", 2.0 * metre, "full length along z (centred at z = 0), `> 0` "
        "(number = m)", unit="m", **_L),
    Key("gas", "str", "propane", "tracker gas (a material of mcpgen.physics.ionisation)",
        choices=tuple(MATERIALS)),
    Key("pipe_material", "str", "beryllium", "beam-pipe material", choices=tuple(MATERIALS)),
    Key("pipe_radius", "any", 0.0, "inner radius of the beam pipe, `>= 0` (number = m)",
        unit="m", **_L),
    Key("pipe_thickness", "any", 0.0, "beam-pipe thickness, `>= 0` (number = mm)", unit="mm",
        **_L),
    Key("wall_material", "str", "carbon_fibre", "inner-wall material", choices=tuple(MATERIALS)),
    Key("wall_thickness", "any", 0.0, "inner-wall thickness (the wall ends at inner_radius), "
        "`>= 0` (number = mm)", unit="mm", **_L),
    Key("signature", "str", "ionisation", "`\"ionisation\"` (dE/dx >= I_min over >= L_min) or "
        "`\"delta\"` (>= n_delta delta electrons with T >= T_min per chi)", choices=SIGNATURES),
    Key("I_min", "any", 25.0 * eV / cm, "ionisation threshold in eV/cm, `> 0`",
        type_doc="number"),
    Key("L_min", "any", 10.0 * cm, "minimum ionising length, `>= 0` (number = cm)", unit="cm",
        **_L),
    Key("T_min", "energy", 1.0 * keV, "minimum delta-electron kinetic energy, `> 0` "
        "(number = keV)", unit="keV"),
    Key("n_delta", "int", 2, "delta electrons needed per chi, `>= 1`", bounds={"ge": 1,
                                                                                "le": 100}),
    Key("min_hits", "int", 4, "hits needed in the event (chi + chibar), `>= 0`",
        bounds={"ge": 0, "le": 1000}),
    Key("hit_spacing", "any", 5.0 * cm, "ionisation signature, continuous gas: distance "
        "between drawn hits, `> 0` (number = cm)", unit="cm", **_L),
    Key("layers", "int", 0, "sensitive layers at equally spaced radii (cell centres) from "
        "inner_radius to radius, `>= 0`; ionisation hits are the layers a chi crosses while it "
        "ionises; 0: continuous gas, hits every hit_spacing", bounds={"ge": 0, "le": 10000}),
    Key("hit_resolution", "any", 0.1, "Gaussian hit-position resolution per coordinate, "
        "`>= 0` (number = mm)", unit="mm", **_L),
    Key("eps_grid", "any", DEFAULT_EPS_GRID, "eps values of the efficiency table (as "
        "`scatter.eps_grid`)", type_doc="array or table",
        default_doc="`{min = 1e-5, max = 1, points = 51}`"),
))
TRACKER_KEYS = TRACKER.names
_UNITS = {"radius": "m", "inner_radius": "m", "length": "m", "pipe_radius": "m",
          "pipe_thickness": "mm", "wall_thickness": "mm", "L_min": "cm", "hit_spacing": "cm",
          "hit_resolution": "mm"}
_DEFAULT_TEXT = {"radius": "1 m", "inner_radius": "0 m", "length": "2 m", "gas": "propane",
                 "pipe_material": "beryllium", "pipe_radius": "0 m", "pipe_thickness": "0 mm",
                 "wall_material": "carbon_fibre", "wall_thickness": "0 mm",
                 "signature": "ionisation", "I_min": "25 eV/cm", "L_min": "10 cm",
                 "T_min": "1 keV", "n_delta": "2", "min_hits": "4",
                 "hit_spacing": "5 cm (with L_min = 10 cm: 2 hits per chi, 4 per event)",
                 "layers": "0",
                 "hit_resolution": "0.1 mm", "eps_grid": "51 log-spaced values 1e-5 ... 1"}
#: README defaults in the card's units (the declared defaults are in mm, MeV)
TRACKER = Section("tracker", tuple(
    dataclasses.replace(k, default_doc=k.default_doc or f"`{_DEFAULT_TEXT[k.name].split(' (')[0]}`")
    for k in TRACKER.keys))


def card_reference() -> str:
    """The README table of the card keys, generated from the declarations."""
    from .cards import card_table

    return card_table("tracker", TRACKER, "STCF tracker")


@dataclass(frozen=True)
class TrackerCard:
    """A cylindrical gas tracker (keys in :data:`TRACKER`); mm, MeV, I_min in MeV/mm."""

    name: str
    radius: float = 1.0 * metre
    inner_radius: float = 0.0
    length: float = 2.0 * metre
    gas: str = "propane"
    pipe_material: str = "beryllium"
    pipe_radius: float = 0.0
    pipe_thickness: float = 0.0
    wall_material: str = "carbon_fibre"
    wall_thickness: float = 0.0
    signature: str = "ionisation"
    I_min: float = 25.0 * eV / cm
    L_min: float = 10.0 * cm
    T_min: float = 1.0 * keV
    n_delta: int = 2
    min_hits: int = 4
    hit_spacing: float = 5.0 * cm
    layers: int = 0
    hit_resolution: float = 0.1
    eps_grid: tuple = DEFAULT_EPS_GRID
    module: str = "tracker"
    sources: tuple = ()
    file: str = ""
    builtin: str | None = None

    def source(self, key: str) -> str:
        return dict(self.sources)[key]

    def to_dict(self) -> dict:
        body = {k: getattr(self, k) for k in TRACKER_KEYS}
        for k, u in _UNITS.items():
            body[k] = f"{body[k]!r} mm"
        body["T_min"] = f"{self.T_min!r} MeV"
        body["I_min"] = self.I_min / (eV / cm)
        body["eps_grid"] = list(self.eps_grid)
        return {"detector": {"name": self.name, "module": self.module}, "tracker": body,
                "sources": dict(self.sources), "file": self.file, "builtin": self.builtin}

    def describe(self) -> str:
        return (f"{self.name}: {self.gas} r = {self.inner_radius:g}-{self.radius:g} mm, "
                f"length {self.length:g} mm, signature {self.signature}")


def _quantity(body, key, default, *, file, positive=False):
    from ..units import get_quantity

    kind = "length"
    v = get_quantity(body, key, kind, default_unit=_UNITS[key], file=file, prefix="tracker",
                     default=default, positive=False)
    check_range(float(v), file=file, key=f"tracker.{key}", **({"gt": 0.0} if positive
                                                              else {"ge": 0.0}))
    return float(v)


def tracker_card(table: dict, *, file="<dict>", builtin=None) -> TrackerCard:
    """Validate a tracker card given as a dict (the parsed TOML) and build it."""
    from .cards import card_header

    name, module = card_header(table, "tracker", CARD_SECTIONS, file=file)
    body = TRACKER.table(table, file=file, required=False)
    v = TRACKER.read(body, file=file)
    for key in _UNITS:
        v[key] = _quantity(body, key, TRACKER.keys[TRACKER_KEYS.index(key)].default, file=file,
                           positive=key in ("radius", "length", "hit_spacing"))
    if "I_min" in body:
        x = body["I_min"]
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise ConfigError(f"expected a number in eV/cm, got {x!r}", file=file,
                              key="tracker.I_min")
        check_range(float(x), file=file, key="tracker.I_min", gt=0.0)
        v["I_min"] = float(x) * eV / cm
    else:
        v["I_min"] = 25.0 * eV / cm
    v["eps_grid"] = (_eps_grid(body["eps_grid"], file=file) if "eps_grid" in body
                     else DEFAULT_EPS_GRID)
    if not v["inner_radius"] < v["radius"]:
        raise ConfigError(f"inner_radius = {v['inner_radius']:g} mm must be < radius = "
                          f"{v['radius']:g} mm (no gas)", file=file, key="tracker.inner_radius")
    if v["wall_thickness"] > v["inner_radius"]:
        raise ConfigError(f"wall_thickness = {v['wall_thickness']:g} mm exceeds inner_radius = "
                          f"{v['inner_radius']:g} mm", file=file, key="tracker.wall_thickness")
    if v["pipe_radius"] + v["pipe_thickness"] > v["inner_radius"] - v["wall_thickness"]:
        raise ConfigError("the beam pipe (pipe_radius + pipe_thickness = "
                          f"{v['pipe_radius'] + v['pipe_thickness']:g} mm) overlaps the inner "
                          f"wall (starts at {v['inner_radius'] - v['wall_thickness']:g} mm)",
                          file=file, key="tracker.pipe_radius")
    from .cards import card_sources

    sources = card_sources(table, "tracker", TRACKER_KEYS, body, _DEFAULT_TEXT, file=file)
    return TrackerCard(name=name, module=module, sources=sources, file=str(file),
                       builtin=builtin, **v)


def _eps_free(a) -> bool:
    """Whether (n, G) array ``a`` is a broadcast (n, 1) column (the same for every eps)."""
    return a.ndim == 2 and a.strides[1] == 0


# -------------------------------------------------------------------- Poisson
def poisson_pmf(k, mu):
    mu = np.asarray(mu, float)
    with np.errstate(divide="ignore"):
        return np.where(mu > 0, np.exp(k * np.log(np.maximum(mu, 1e-300)) - mu
                                       - math.lgamma(k + 1)), 1.0 if k == 0 else 0.0)


def poisson_tail(k, mu):
    """Q(k) = P(N >= k) (1 for k <= 0), accurate for tiny mu."""
    from ..physics.chi_e_scattering import poisson_at_least

    if k <= 0:
        return np.ones_like(np.asarray(mu, float))
    return poisson_at_least(mu, int(k))


def pair_probability(mu1, mu2, n_each, n_total):
    """P(N1 >= n_each, N2 >= n_each, N1 + N2 >= n_total) for independent Poisson N1, N2
    of means mu1, mu2 (module docstring)."""
    p = np.zeros(np.broadcast(mu1, mu2).shape)
    for k in range(n_each, n_total - n_each):
        p = p + poisson_pmf(k, mu1) * poisson_tail(n_total - k, mu2)
    return p + poisson_tail(max(n_each, n_total - n_each), mu1) * poisson_tail(n_each, mu2)


# --------------------------------------------------------------------- module
HIT_FIELDS = (
    Column("x", "float64", "mm", "hit position (smeared)"),
    Column("y", "float64", "mm", "hit position (smeared)"),
    Column("z", "float64", "mm", "hit position (smeared)"),
    Column("t", "float64", "mm", "true distance of the hit from the vertex along the chi"),
    Column("parent", "int32", "", "particle slot of the chi"),
)


class Tracker(DetectorModule):
    """The cylindrical gas tracker of seed 004 (module docstring)."""

    name = "tracker"
    #: one line for `mcpgen list`
    description = ("cylindrical gas tracker: slow-MCP ionisation or delta-electron hits "
                   "(seed 004)")
    columns = tuple(
        Column(f"det_{q}_{lab}", "float64", u, f"{doc} of {lab}")
        for lab in (CHI, CHIBAR) for q, u, doc in (
            ("T_gas", "MeV", "kinetic energy entering the gas at eps_ref (0: stopped before)"),
            ("gas_path", "mm", "straight-line path inside the gas volume"),
            ("ion_len", "mm", "ionising length (dE/dx >= I_min) at eps_ref"),
            ("mu", "", "expected delta electrons (T >= T_min) at eps_ref"))) + tuple(
        Column(f"det_nhit_{lab}", "int32", "", f"sampled hits of {lab} at eps_ref (all, also "
               "those not stored)") for lab in (CHI, CHIBAR))
    collections = (Collection("det_hit", HIT_FIELDS, "sampled tracker hits at eps_ref "
                              "(module docstring)"),)
    tallies = {"chi_in_gas": (0, "chi and chibar reaching the gas at eps_ref")}

    def __init__(self, card, eps_ref=None):
        super().__init__(card)
        self.eps_ref = None if eps_ref is None else float(eps_ref)
        self.columns = type(self).columns + (
            Column("det_eff_table", "float64", "", "detection probability on the eps grid",
                   shape=(len(card.eps_grid),)),)

    @classmethod
    def card_from_table(cls, table, *, file, builtin=None):
        return tracker_card(table, file=file, builtin=builtin)

    @property
    def efficiency_model(self) -> EfficiencyModel:
        return EfficiencyModel("table", grid=tuple(self.card.eps_grid))

    def check(self, process_cls, source):
        model = getattr(process_cls, "model", "mcp")
        if model != "mcp":
            raise ConfigError(f"the tracker module needs chi chibar in the events (model 'mcp'), "
                              f"not model {model!r}", file=self.card.file or None,
                              key="detector.module")

    def metadata(self) -> dict:
        return {**super().metadata(), "eps_ref": self.eps_ref}

    def tally(self, batch) -> dict:
        w = np.asarray(batch.weight, float)
        n = (np.asarray(batch.det_T_gas_chi) > 0).astype(float) + \
            (np.asarray(batch.det_T_gas_chibar) > 0)
        return {"chi_in_gas": float((w * n).sum())}

    # -- transport ---------------------------------------------------------------------
    def transport(self, beta0, M, pipe, wall, gas, eps):
        """(velocity entering the gas, per-mass gas range r there, r leaving the gas or 0
        if stopped in it) of MCPs with initial velocities ``beta0`` (n,), mass M, layer
        paths (n,), at charges eps (G,): arrays (n, G)."""
        card = self.card
        e2 = np.asarray(eps, float)[None, :] ** 2
        b = np.asarray(beta0, float)[:, None]   # (n, 1) until a layer makes it depend on eps
        for mat, x in ((card.pipe_material, pipe), (card.wall_material, wall)):
            if np.any(x > 0):
                tab = range_table(mat, M)
                b = tab.beta(tab.r(b) - e2 * x[:, None] / M)
        tab = self.gas_table(M)
        r_in = tab.r(b)
        r_out = np.maximum(r_in - e2 * gas[:, None] / M, 0.0)
        shape = r_out.shape
        return np.broadcast_to(b, shape), np.broadcast_to(r_in, shape), r_out

    def gas_table(self, M):
        return range_table(self.card.gas, float(M),
                           float(self.card.T_min) if self.card.signature == "delta" else 0.0)

    def response(self, r_in, r_out, M, eps):
        """(ionising length, distance of its start from the gas entry, delta mean) (n, G)
        from the per-mass ranges entering and leaving the gas."""
        card, tab = self.card, self.gas_table(M)
        eps = np.asarray(eps, float)
        e2 = eps[None, :] ** 2
        zero = np.zeros_like(r_in)
        if card.signature == "delta":
            # r_in does not depend on eps without material before the gas: one D per MCP
            d_in = tab.delta_count(r_in[:, :1]) if _eps_free(r_in) else tab.delta_count(r_in)
            mu = np.maximum(d_in - tab.delta_count(r_out), 0.0)
            return zero, zero, np.where(r_in > r_out, mu, 0.0)
        lo, hi = ionising_interval(tab, eps, card.I_min)
        top = np.minimum(tab.r(hi)[None, :], r_in)
        bot = np.maximum(tab.r(lo)[None, :], r_out)
        L = np.where(top > bot, M * (top - bot) / e2, 0.0)
        x0 = M * (r_in - top) / e2
        return L, x0, zero

    def probability(self, L, mu, n):
        """Event detection probability from the (chi, chibar) pairs of (L_ion, mu, hits)."""
        card = self.card
        if card.signature == "delta":
            return pair_probability(mu[0], mu[1], card.n_delta, card.min_hits)
        ok = (L[0] >= card.L_min) & (L[1] >= card.L_min) & (n[0] + n[1] >= card.min_hits) & \
            (L[0] > 0) & (L[1] > 0)
        return ok.astype(float)

    def n_ion_hits(self, L, t0=None, geo=None):
        """Hits of an ionising length L starting at path length t0 from the vertex:
        continuous gas, floor(L/hit_spacing) (1e-9 rounding guard); layers, the layers
        crossed between t0 and t0 + L (``geo``: the ray's :func:`ray_radius` terms)."""
        if self.card.signature == "delta":
            return 0.0                      # delta hits are Poisson counts (probability)
        if not self.card.layers:
            return np.floor(np.asarray(L) / self.card.hit_spacing * (1.0 + 1e-9))
        return (self.layers_within(ray_radius(geo, t0 + L))
                - self.layers_within(ray_radius(geo, t0)))

    def layer_radii(self):
        c = self.card
        step = (c.radius - c.inner_radius) / c.layers
        return c.inner_radius + step * (np.arange(c.layers) + 0.5)

    def layers_within(self, r):
        """Number of layer radii <= r."""
        c = self.card
        k = np.floor((np.asarray(r) - c.inner_radius) * c.layers / (c.radius - c.inner_radius)
                     + 0.5)
        return np.clip(k, 0, c.layers)

    def _slots(self, batch):
        origin = batch.vertices()
        out = []
        for label in (CHI, CHIBAR):
            j, d, pn = batch.direction(label)
            with np.errstate(invalid="ignore", divide="ignore"):
                beta = np.where(pn > 0, pn / np.asarray(batch.E[:, j], float), 0.0)
            pipe, wall, gas, t_in = paths(self.card, origin, d)
            out.append(dict(j=j, d=d, beta=beta, pipe=pipe, wall=wall, gas=gas, t_in=t_in,
                            geo=ray_terms(origin, d)))
        return origin, out

    def apply(self, batch, source, rng):
        if self.eps_ref is None:
            raise RuntimeError("Tracker.eps_ref is not set: the caller must give the run's "
                               "reference eps (Tracker(card, eps_ref=eps) or module.eps_ref)")
        for label in (CHI, CHIBAR):
            if label not in batch.names:
                raise ConfigError("the tracker module needs particles labelled 'chi' and "
                                  f"'chibar'; the events have {', '.join(batch.names)}",
                                  file=self.card.file or None, key="detector.module")
        card, n = self.card, len(batch)
        grid = np.asarray(card.eps_grid, float)
        origin, slots = self._slots(batch)
        masses = np.asarray(batch.mass[:, slots[0]["j"]], float)
        table = np.zeros((n, len(grid)))
        #: per slot, at eps_ref: T entering the gas, L_ion, mu, start of L_ion, r_in, r_out
        ref = {k: [np.zeros(n) for _ in range(6)] for k in range(2)}
        eff = np.zeros(n)
        for M in np.unique(masses):
            sel = np.flatnonzero(masses == M)
            Ls, mus, ns, Lr, mur, nr = [], [], [], [], [], []
            for k, s in enumerate(slots):
                args = (s["beta"][sel], M, s["pipe"][sel], s["wall"][sel], s["gas"][sel])
                geo = tuple(x[sel] for x in s["geo"])
                t_in = s["t_in"][sel][:, None]
                _, r_in, r_out = self.transport(*args, grid)
                L, x0, mu = self.response(r_in, r_out, M, grid)
                Ls.append(L)
                mus.append(mu)
                ns.append(self.n_ion_hits(L, t_in + x0, geo))
                b_in, r_in, r_out = self.transport(*args, np.array([self.eps_ref]))
                L, x0, mu = self.response(r_in, r_out, M, np.array([self.eps_ref]))
                Lr.append(L)
                mur.append(mu)
                nr.append(self.n_ion_hits(L, t_in + x0, geo))
                T_in = np.where(b_in[:, 0] > 0, M * (1 / np.sqrt(1 - b_in[:, 0] ** 2) - 1), 0.0)
                T_in = np.where(s["gas"][sel] > 0, T_in, 0.0)
                for q, v in enumerate((T_in, L[:, 0], mu[:, 0], x0[:, 0], r_in[:, 0],
                                       r_out[:, 0])):
                    ref[k][q][sel] = v
            table[sel] = self.probability(Ls, mus, ns)
            eff[sel] = self.probability(Lr, mur, nr)[:, 0]
        for k, lab in enumerate((CHI, CHIBAR)):
            setattr(batch, f"det_T_gas_{lab}", ref[k][0])
            setattr(batch, f"det_gas_path_{lab}", slots[k]["gas"])
            setattr(batch, f"det_ion_len_{lab}", ref[k][1])
            setattr(batch, f"det_mu_{lab}", ref[k][2])
        batch.det_eff_table = table
        batch.det_eff = eff
        batch.det_pass = np.any(table > 0, axis=1)
        batch.collections["det_hit"] = self._hits(batch, origin, slots, ref, masses, rng)

    # -- hits ----------------------------------------------------------------------------
    def _hits(self, batch, origin, slots, ref, masses, rng):
        card, n = self.card, len(batch)
        e2 = self.eps_ref ** 2
        per = []          # (event index, t along the chi, slot k)
        counts = []
        for k, s in enumerate(slots):
            if card.signature == "delta":
                N = rng.poisson(ref[k][2])
                counts.append(N.astype(np.int32))
                keep = np.minimum(N, MAX_STORED_HITS)
                ev = np.repeat(np.arange(n), keep)
                u = rng.random(len(ev))
                t = np.zeros(len(ev))
                d0, d1 = np.zeros(n), np.zeros(n)
                for M in np.unique(masses):
                    tab, sel = self.gas_table(M), masses == M
                    d0[sel] = tab.delta_count(ref[k][5][sel])
                    d1[sel] = tab.delta_count(ref[k][4][sel])
                mh = masses[ev]
                for M in np.unique(masses):
                    m = mh == M
                    e = ev[m]
                    r = self.gas_table(M).r_at_count(d0[e] + u[m] * (d1[e] - d0[e]))
                    t[m] = M * np.clip(ref[k][4][e] - r, 0.0, None) / e2
                t = s["t_in"][ev] + np.minimum(t, s["gas"][ev])
            else:
                t0 = s["t_in"] + ref[k][3]          # start of the ionising path
                N = self.n_ion_hits(ref[k][1], t0, s["geo"]).astype(np.int64)
                counts.append(N.astype(np.int32))
                keep = np.minimum(N, MAX_STORED_HITS)
                ev = np.repeat(np.arange(n), keep)
                start = np.cumsum(keep) - keep
                i = np.arange(len(ev)) - np.repeat(start, keep)
                if card.layers:   # the crossing of layer k0 + i (outward rays)
                    k0 = self.layers_within(ray_radius(s["geo"], t0)).astype(np.int64)
                    R = self.layer_radii()[k0[ev] + i]
                    a, b, c = (x[ev] for x in s["geo"])
                    t = (-b + np.sqrt(np.maximum(b * b - a * (c - R * R), 0.0))) / a
                else:
                    t = t0[ev] + (i + 0.5) * card.hit_spacing
            per.append((ev, t, np.full(len(ev), s["j"], np.int32), s["d"][ev]))
        batch.det_nhit_chi, batch.det_nhit_chibar = counts
        ev = np.concatenate([p[0] for p in per])
        order = np.argsort(ev, kind="stable")
        ev = ev[order]
        t = np.concatenate([p[1] for p in per])[order]
        parent = np.concatenate([p[2] for p in per])[order]
        d = np.concatenate([p[3] for p in per])[order]
        xyz = origin[ev] + t[:, None] * d
        if card.hit_resolution > 0:
            xyz = xyz + rng.normal(0.0, card.hit_resolution, xyz.shape)
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(ev, minlength=n), out=offsets[1:])
        return offsets, {"x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2], "t": t,
                         "parent": parent}
