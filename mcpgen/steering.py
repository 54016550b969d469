"""Steering files: the declared schema, validation and frozen config objects.

A steering file (TOML) describes one study: run statistics, the physics
process and MCP masses, one or more experimental set-ups and the limit
settings.  The schema, with every default, is :data:`STEERING_REFERENCE`.
Loading is strict: unknown or misspelled keys, wrong types and out-of-range
values raise :class:`~mcpgen.errors.ConfigError` with one line naming the
file, the dotted key (e.g. ``setup[0].beam``), the bad value and the allowed
values.  Resolved values are in hepunits base units: energies and masses in
MeV, lengths in mm.  Checks that need physics (a mass above the kinematic
limit) are left to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .constants import LEPTONS
from .detectors.cards import CardNotFound, SpectrometerCard, load_card
from .errors import ConfigError
from .sources.materials import Material, get_material
from .units import (check_keys, check_range, get_bool, get_float, get_int,
                    get_quantity, get_str, get_table, parse_quantity, read_toml)

BEAMS = tuple(LEPTONS)                     # "e-", "e+", "mu-", "mu+"
PROCESSES = ("brem",)
METHODS = ("etl", "iww", "ww")
ELECTRON_LENGTHS = ("tsai", "x0")
LIMIT_METHODS = ("poisson", "feldman-cousins")
#: confidence levels with tabulated Feldman-Cousins upper limits
FC_CLS = (0.9, 0.95)

SECTIONS = ("run", "physics", "setup", "limits")
RUN_KEYS = ("name", "seed", "events", "unweighted", "train_events", "train_iterations",
            "integrate_events")
PHYSICS_KEYS = ("process", "method", "eps", "masses", "mass_scan", "x_min")
MASS_SCAN_KEYS = ("min", "max", "points")
SETUP_KEYS = ("label", "beam", "energy", "leptons_on_target", "target", "thickness", "detector",
              "x_th", "electron_length", "muon_energy_loss")
LIMITS_KEYS = ("cl", "method", "background", "observed")

STEERING_REFERENCE = """\
### Steering files

TOML with the tables below; unknown keys are errors.  Quantities accept a
number (in the unit given in the table) or a string with a unit:
energies/masses `eV keV MeV GeV TeV` (`"160 GeV"`), lengths `um mm cm m` or
`X0` = radiation lengths of the target (`"22.5 cm"`, `"40 X0"`).

| key | type | default | meaning |
|---|---|---|---|
| `run.name` | string | file name stem | label for outputs |
| `run.seed` | integer >= 0 | `0` | master random seed (runs are reproducible) |
| `run.events` | integer > 0 | `20000` | events generated per mass point and set-up |
| `run.unweighted` | boolean | `false` | unweighted (`true`) or weighted (`false`) events |
| `run.train_events` | integer > 0 | `20000` | points per VEGAS training iteration |
| `run.train_iterations` | integer >= 1 | `8` | VEGAS training iterations |
| `run.integrate_events` | integer > 0 | `200000` | points used for the cross section |
| `physics.process` | string | `"brem"` | production process; allowed: `"brem"` |
| `physics.method` | string | `"etl"` | cross-section method: `"etl"` exact tree level (default), `"ww"` Weizsaecker-Williams with the exact t_min, `"iww"` improved WW of seed 001 eqs. 8-10 |
| `physics.eps` | number | `1.0` | reference eps of the stored weights, `0 < eps <= 1` |
| `physics.masses` | array of masses | one of `masses`/`mass_scan` required | MCP masses (number = MeV), each > 0 |
| `physics.mass_scan` | table `{min, max, points}` | | `points` (>= 2) log-spaced masses from `min` to `max` (number = MeV) |
| `physics.x_min` | number | each set-up's `x_th` | generator threshold on `(E_chi + E_chibar)/E0`, `0 < x_min < 1`, at most every set-up's `x_th` |
| `setup` | array of tables `[[setup]]` | required | one or more experimental set-ups |
| `setup.label` | string | the card's `detector.name` | set-up label (unique) |
| `setup.beam` | string | required | `"e-"`, `"e+"`, `"mu-"`, `"mu+"` |
| `setup.energy` | energy | required | beam energy E0 (number = GeV), > 0 |
| `setup.leptons_on_target` | number | required | leptons on target (LOT/EOT/MOT), > 0; `1e14` or `"1e14"` |
| `setup.target` | string | required | built-in material: `Pb W Al Fe Cu C Si` |
| `setup.thickness` | length | required | target thickness (number = cm, or `"40 X0"`), > 0 |
| `setup.detector` | string | required | built-in card (`na64mu`, `na64e`, `ldmx`) or path to a card TOML (relative to the steering file) |
| `setup.x_th` | number | the card's `x_th` | override of the signal threshold, `0 < x_th < 1` |
| `setup.electron_length` | string | `"tsai"` | e+-: `"tsai"` (beam degradation, Tsai 1974) or `"x0"` (effective length = X0, seed 001); ignored for muons |
| `setup.muon_energy_loss` | boolean | `false` | muons: include the mean dE/dx (minimum ionisation) along the target; must be false for e+- |
| `limits.cl` | number | `0.95` | confidence level, `0 < cl < 1` (Poisson); 0.9 or 0.95 (Feldman-Cousins) |
| `limits.method` | string | `"poisson"` | `"poisson"` or `"feldman-cousins"` |
| `limits.background` | number | `0.0` | expected background events, >= 0 |
| `limits.observed` | integer | `-1` | observed events, >= 0; -1 = expected background rounded down |
"""


@dataclass(frozen=True)
class RunConfig:
    """``[run]``: statistics and seed (see :data:`STEERING_REFERENCE`)."""

    name: str
    seed: int = 0
    events: int = 20000
    unweighted: bool = False
    train_events: int = 20000
    train_iterations: int = 8
    integrate_events: int = 200000


@dataclass(frozen=True)
class PhysicsConfig:
    """``[physics]``: process, method, reference eps and the MCP masses (MeV)."""

    masses: tuple            #: MeV, in the order given (mass_scan: increasing)
    process: str = "brem"
    method: str = "etl"
    eps: float = 1.0
    x_min: float | None = None   #: None: use each set-up's x_th


@dataclass(frozen=True)
class Setup:
    """One ``[[setup]]``: beam, target and detector, in base units (MeV, mm)."""

    label: str
    beam: str
    energy: float                #: MeV
    leptons_on_target: float
    target: str
    material: Material
    thickness: float             #: mm
    detector: str                #: as written in the steering file
    card: SpectrometerCard       #: loaded card, with the x_th override applied
    x_th_override: float | None = None
    electron_length: str = "tsai"
    muon_energy_loss: bool = False

    @property
    def x_th(self) -> float:
        """Effective signal threshold (override or card value)."""
        return self.card.x_th

    @property
    def lepton_pdgid(self) -> int:
        return LEPTONS[self.beam][0]

    @property
    def lepton_mass(self) -> float:
        """Beam-lepton mass in MeV."""
        return LEPTONS[self.beam][1]

    @property
    def is_muon(self) -> bool:
        return self.beam.startswith("mu")

    @property
    def thickness_X0(self) -> float:
        """Target thickness in radiation lengths."""
        return self.thickness / self.material.X0


@dataclass(frozen=True)
class LimitsConfig:
    """``[limits]``: statistical method for the eps limits."""

    cl: float = 0.95
    method: str = "poisson"
    background: float = 0.0
    observed: int = -1

    @property
    def n_observed(self) -> int:
        """Observed events; -1 resolves to the expected background rounded down."""
        return int(np.floor(self.background)) if self.observed < 0 else self.observed


@dataclass(frozen=True)
class Steering:
    """A validated steering file."""

    run: RunConfig
    physics: PhysicsConfig
    setups: tuple
    limits: LimitsConfig
    path: Path | None = None     #: the steering file, None for a dict
    text: str | None = None      #: raw file text, None for a dict

    def x_min(self, setup: Setup) -> float:
        """Generator threshold on x for ``setup``: ``physics.x_min`` or the set-up's x_th."""
        return self.physics.x_min if self.physics.x_min is not None else setup.x_th

    def to_dict(self, *, cards: bool = False) -> dict:
        """Plain dict in the steering schema, with resolved values.

        ``steering_from_dict(s.to_dict())`` gives back an equal configuration
        (masses as explicit MeV values, detector as built-in name or absolute
        path).  With ``cards=True`` each set-up also carries its card under
        ``"card"`` (for provenance; such a dict is not loadable).
        """
        phys = {"process": self.physics.process, "method": self.physics.method,
                "eps": self.physics.eps, "masses": list(self.physics.masses)}
        if self.physics.x_min is not None:
            phys["x_min"] = self.physics.x_min
        setups = []
        for s in self.setups:
            d = {"label": s.label, "beam": s.beam, "energy": f"{s.energy!r} MeV",
                 "leptons_on_target": s.leptons_on_target, "target": s.target,
                 "thickness": f"{s.thickness!r} mm",
                 "detector": s.card.builtin or str(Path(s.card.file).resolve()),
                 "electron_length": s.electron_length, "muon_energy_loss": s.muon_energy_loss}
            if s.x_th_override is not None:
                d["x_th"] = s.x_th_override
            if cards:
                d["card"] = s.card.to_dict()
            setups.append(d)
        return {"run": dict(vars(self.run)), "physics": phys, "setup": setups,
                "limits": dict(vars(self.limits))}


def load_steering(path) -> Steering:
    """Read and validate a steering TOML file; relative card paths are taken from its folder."""
    path = Path(path)
    table, text = read_toml(path)
    steering = steering_from_dict(table, file=str(path), base_dir=path.parent,
                                  default_name=path.stem)
    return Steering(steering.run, steering.physics, steering.setups, steering.limits,
                    path=path, text=text)


def steering_from_dict(d: dict, *, file="<dict>", base_dir=None, default_name="mcpgen") -> Steering:
    """Validate a steering configuration given as a dict (Python API).

    ``base_dir`` resolves relative detector-card paths (default: current
    directory); ``default_name`` is used when ``run.name`` is absent.
    """
    if not isinstance(d, dict):
        raise ConfigError(f"expected a table (dict), got {type(d).__name__}", file=file)
    check_keys(d, SECTIONS, file=file, prefix="")
    run = _run(get_table(d, "run", file=file), file, default_name)
    physics = _physics(get_table(d, "physics", file=file, required=True), file)
    if "setup" not in d:
        raise ConfigError("missing required array of tables [[setup]]", file=file, key="setup")
    raw = d["setup"]
    if isinstance(raw, dict):
        raise ConfigError("expected an array of tables; write [[setup]] (double brackets)",
                          file=file, key="setup")
    if not isinstance(raw, list) or not raw:
        raise ConfigError("expected one or more [[setup]] tables", file=file, key="setup")
    setups = tuple(_setup(t, i, file, base_dir) for i, t in enumerate(raw))
    labels = [s.label for s in setups]
    for i, lab in enumerate(labels):
        if lab in labels[:i]:
            raise ConfigError(f"duplicate set-up label {lab!r}; labels must be unique",
                              file=file, key=f"setup[{i}].label")
    if physics.x_min is not None:
        low = min(s.x_th for s in setups)
        check_range(physics.x_min, file=file, key="physics.x_min", gt=0.0, le=low,
                    note=" (the smallest set-up x_th)")
    limits = _limits(get_table(d, "limits", file=file), file)
    return Steering(run, physics, setups, limits)


def _run(t, file, default_name) -> RunConfig:
    check_keys(t, RUN_KEYS, file=file, prefix="run")
    kw = dict(file=file, prefix="run")
    return RunConfig(
        name=get_str(t, "name", default=default_name, **kw),
        seed=get_int(t, "seed", default=0, ge=0, **kw),
        events=get_int(t, "events", default=20000, gt=0, **kw),
        unweighted=get_bool(t, "unweighted", default=False, **kw),
        train_events=get_int(t, "train_events", default=20000, gt=0, **kw),
        train_iterations=get_int(t, "train_iterations", default=8, ge=1, **kw),
        integrate_events=get_int(t, "integrate_events", default=200000, gt=0, **kw),
    )


def _physics(t, file) -> PhysicsConfig:
    check_keys(t, PHYSICS_KEYS, file=file, prefix="physics")
    kw = dict(file=file, prefix="physics")
    if ("masses" in t) == ("mass_scan" in t):
        raise ConfigError("give exactly one of 'masses' or 'mass_scan'", file=file,
                          key="physics.masses")
    if "masses" in t:
        values = t["masses"]
        if not isinstance(values, list) or not values:
            raise ConfigError(f"expected a non-empty array of masses, e.g. [10, \"1 GeV\"], got "
                              f"{values!r}", file=file, key="physics.masses")
        masses = tuple(_mass(v, f"physics.masses[{i}]", file) for i, v in enumerate(values))
    else:
        scan = get_table(t, "mass_scan", **kw)
        check_keys(scan, MASS_SCAN_KEYS, file=file, prefix="physics.mass_scan")
        skw = dict(default_unit="MeV", file=file, prefix="physics.mass_scan")
        lo = get_quantity(scan, "min", "mass", **skw)
        hi = get_quantity(scan, "max", "mass", **skw)
        points = get_int(scan, "points", file=file, prefix="physics.mass_scan", ge=2)
        if not hi > lo:
            raise ConfigError(f"max {scan['max']!r} must be above min {scan['min']!r}",
                              file=file, key="physics.mass_scan.max")
        masses = tuple(float(m) for m in np.geomspace(lo, hi, points))
    return PhysicsConfig(
        masses=tuple(masses),
        process=get_str(t, "process", default="brem", choices=PROCESSES, **kw),
        method=get_str(t, "method", default="etl", choices=METHODS, **kw),
        eps=get_float(t, "eps", default=1.0, gt=0.0, le=1.0, **kw),
        x_min=get_float(t, "x_min", default=None, gt=0.0, lt=1.0, **kw),
    )


def _mass(value, key, file) -> float:
    mass = parse_quantity(value, "mass", default_unit="MeV", file=file, key=key)
    if not mass > 0:
        raise ConfigError(f"value {value!r} out of range; allowed: mass > 0", file=file, key=key)
    return mass


def _setup(t, i, file, base_dir) -> Setup:
    prefix = f"setup[{i}]"
    if not isinstance(t, dict):
        raise ConfigError(f"expected a table, got {t!r}", file=file, key=prefix)
    check_keys(t, SETUP_KEYS, file=file, prefix=prefix)
    kw = dict(file=file, prefix=prefix)
    beam = get_str(t, "beam", choices=BEAMS, **kw)
    target = get_str(t, "target", **kw)
    try:
        material = get_material(target)
    except ValueError as exc:
        raise ConfigError(str(exc), file=file, key=f"{prefix}.target") from None
    energy = get_quantity(t, "energy", "energy", default_unit="GeV", **kw)
    lot = get_quantity(t, "leptons_on_target", "number", default_unit="", **kw)
    thickness = get_quantity(t, "thickness", "length", default_unit="cm", material=material, **kw)
    detector = get_str(t, "detector", **kw)
    try:
        card = load_card(detector, base_dir=base_dir)
    except CardNotFound as exc:
        raise ConfigError(str(exc), file=file, key=f"{prefix}.detector") from None
    x_th = get_float(t, "x_th", default=None, gt=0.0, lt=1.0, **kw)
    if x_th is not None:
        card = card.with_x_th(x_th, f"override in {file}, key {prefix}.x_th")
    muon_loss = get_bool(t, "muon_energy_loss", default=False, **kw)
    if muon_loss and not beam.startswith("mu"):
        raise ConfigError(f"muon_energy_loss = true needs a muon beam, not {beam!r}; "
                          "allowed: false for e+-", file=file, key=f"{prefix}.muon_energy_loss")
    return Setup(
        label=get_str(t, "label", default=card.name, **kw),
        beam=beam, energy=energy, leptons_on_target=lot, target=target, material=material,
        thickness=thickness, detector=detector, card=card, x_th_override=x_th,
        electron_length=get_str(t, "electron_length", default="tsai", choices=ELECTRON_LENGTHS,
                                **kw),
        muon_energy_loss=muon_loss,
    )


def _limits(t, file) -> LimitsConfig:
    check_keys(t, LIMITS_KEYS, file=file, prefix="limits")
    kw = dict(file=file, prefix="limits")
    method = get_str(t, "method", default="poisson", choices=LIMIT_METHODS, **kw)
    cl = get_float(t, "cl", default=0.95, gt=0.0, lt=1.0, **kw)
    if method == "feldman-cousins" and cl not in FC_CLS:
        raise ConfigError(f"value {cl!r} not tabulated for feldman-cousins; allowed: "
                          f"{', '.join(map(str, FC_CLS))}", file=file, key="limits.cl")
    return LimitsConfig(
        cl=cl, method=method,
        background=get_float(t, "background", default=0.0, ge=0.0, **kw),
        observed=get_int(t, "observed", default=-1, ge=-1,
                         note=" (-1: the expected background rounded down)", **kw),
    )


__all__ = ["STEERING_REFERENCE", "Steering", "RunConfig", "PhysicsConfig", "Setup",
           "LimitsConfig", "load_steering", "steering_from_dict"]
