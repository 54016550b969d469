"""Steering files: the declared schema, validation and frozen config objects.

A steering file (TOML) describes one study: run statistics, the production
channels and MCP masses, one or more experimental set-ups (a parent source and a
detector card) and the limit settings.  Every key is declared once, in the
:class:`~mcpgen.schema.Section` tables below (name, kind, default, unit, bounds,
doc); the config dataclasses, the validation and the README table
(:func:`reference_markdown`) come from those declarations.  Loading is strict:
unknown or misspelled keys, wrong types and out-of-range values raise
:class:`~mcpgen.errors.ConfigError` with one line naming the file, the dotted key
(e.g. ``setup[0].beam``), the bad value and the allowed values.  Resolved values
are in hepunits base units: energies and masses in MeV, lengths in mm.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hepunits import keV

from .errors import ConfigError
from .plot_spec import PlotSpec, read_plot_spec
from .schema import Key, Section
from .units import check_range, get_table, parse_quantity, read_toml

LIMIT_METHODS = ("poisson", "feldman-cousins")
#: confidence levels with tabulated Feldman-Cousins upper limits
FC_CLS = (0.9, 0.95)
#: Feldman-Cousins belts are built by brute force: bounded so a run cannot hang
FC_MAX_BACKGROUND = 100.0
FC_MAX_OBSERVED = 200
#: validated ranges (documented in the README table)
#: ETL for 160 GeV muons gives NaN at 1 keV (measured; 2 keV is finite): keep a margin
MASS_MIN = 10.0 * keV
EPS_MIN = 1e-20               #: weights ~ eps^2 sigma stay normal doubles down to here
MAX_EVENTS = 10**10
MAX_TRAIN = 10**7
MAX_POINTS = 10**9
MAX_SCAN_POINTS = 1000
MAX_LABEL = 100               #: set-up labels become file names

RUN = Section("run", (
    Key("name", "str", None, "label for outputs", default_doc="file name stem"),
    Key("seed", "int", 0, "master random seed; job seeds are keyed by (set-up label, channel, "
        "mass), so any split of a scan gives the same events", bounds=dict(ge=0, lt=2**63),
        type_doc="integer >= 0"),
    Key("events", "int", 20000, f"events per (set-up, channel, mass), about: the trial count is "
        f"fixed before generation so weights are final when streamed; <= {MAX_EVENTS:.0e}",
        bounds=dict(gt=0, le=MAX_EVENTS), type_doc="integer > 0"),
    Key("unweighted", "bool", False, "unweighted (`true`) or weighted (`false`) events"),
    Key("train_events", "int", 8192, f"quasi-Monte Carlo points per VEGAS training iteration "
        f"(whole replicates of 1024, at least 2048), <= {MAX_TRAIN:.0e}", bounds=dict(gt=0, le=MAX_TRAIN), type_doc="integer > 0"),
    Key("train_iterations", "int", 12, "most VEGAS training iterations, 1 to 100 (training "
        "stops after 4 once one more iteration would save fewer integration points than it "
        "costs)", bounds=dict(ge=1, le=100), type_doc="integer >= 1"),
    Key("precision", "float", 1e-3, "target relative MC error of each cross section; the "
        "integration stops when it is reached", bounds=dict(gt=0.0, lt=1.0)),
    Key("integrate_events", "int", 10_000_000, f"most points spent on one cross section "
        f"(in whole replicates of 2^6 to 2^13 points, at least two), <= {MAX_POINTS:.0e}; the metadata "
        "records the error reached", bounds=dict(gt=1, le=MAX_POINTS), type_doc="integer > 1"),
))

PHYSICS = Section("physics", (
    Key("process", "any", "brem", "production channel or array of channels (each a registered "
        "process, `mcpgen list`): `\"brem\"` (l N -> l N chi chibar), `\"darkphoton\"` "
        "(l N -> l N A'), meson decays `\"pi0\"`, `\"eta\"`, `\"etaprime\"` (P -> gamma chi "
        "chibar), `\"rho\"`, `\"omega\"`, `\"phi\"`, `\"jpsi\"`, `\"psi2s\"`, "
        "`\"upsilon1s\"`... (V -> chi chibar; rho, omega, phi, jpsi also photoproduced at a lepton "
        "beam), `\"ee\"` (e+e- -> chi chibar with ISR, collider source); channels of one model "
        "add up in the yields; a meson channel is skipped at masses at or above m_meson/2",
        type_doc="string or array"),
    Key("method", "str", "etl", "lepton-nucleus cross-section method: `\"etl\"` exact tree level, "
        "`\"ww\"` Weizsaecker-Williams with the exact t_min, `\"iww\"` improved WW of seed 001 "
        "eqs. 8-10", choices=("etl", "ww", "iww")),
    Key("eps", "float", 1.0, f"reference eps of the stored weights, `{EPS_MIN:g} <= eps <= 1`",
        bounds=dict(ge=EPS_MIN, le=1.0)),
    Key("masses", "any", None, "MCP masses (number = MeV), each >= 10 keV; one of "
        "`masses`/`mass_scan` required", type_doc="array of masses", default_doc="see meaning"),
    Key("mass_scan", "table", None, f"`points` (2 to {MAX_SCAN_POINTS}) log-spaced masses from "
        "`min` to `max` (number = MeV)", type_doc="table `{min, max, points}`", default_doc=""),
    Key("x_min", "float", None, "generator cut on `(E_chi + E_chibar)/E0` (A' energy for "
        "darkphoton), `0 < x_min < 1`; must not exceed the smallest fraction the detector "
        "accepts (`x_th`, lowered by 5 resolutions)", bounds=dict(gt=0.0, lt=1.0),
        default_doc="that smallest fraction of each set-up's detector"),
))

MASS_SCAN = Section("physics.mass_scan", (
    Key("min", "any", None, "lightest mass (number = MeV)"),
    Key("max", "any", None, "heaviest mass (number = MeV)"),
    Key("points", "int", None, f"number of masses, 2 to {MAX_SCAN_POINTS}",
        bounds=dict(ge=2, le=MAX_SCAN_POINTS)),
))

SETUP = Section("setup", (
    Key("label", "str", None, "set-up label (unique, also after turning it into a file name)",
        default_doc="the card's `detector.name`"),
    Key("source", "str", "lepton-beam", "parent source (`mcpgen list`); its keys follow"),
    Key("detector", "str", None, "built-in card (`na64mu`, `na64e`, `ldmx`, `ship_scatter`, "
        "`stcf_tracker`, `stcf_tracker_delta`) or path to a card "
        "TOML (relative to the steering file)", default_doc="required"),
    Key("x_th", "float", None, "override of the card's signal threshold, `0 < x_th < 1`",
        bounds=dict(gt=0.0, lt=1.0), default_doc="the card's `x_th`"),
    Key("band", "str", None, "name of a systematic band: the reach curves of the set-ups "
        "with the same band (e.g. one per hadronic model) are drawn as a shaded band",
        default_doc="none"),
))

LIMITS = Section("limits", (
    Key("cl", "float", 0.95, "confidence level, `0 < cl < 1` (Poisson); 0.9 or 0.95 "
        "(Feldman-Cousins)", bounds=dict(gt=0.0, lt=1.0)),
    Key("method", "str", "poisson", "`\"poisson\"` or `\"feldman-cousins\"`", choices=LIMIT_METHODS),
    Key("background", "float", 0.0, f"expected background events, >= 0 (Feldman-Cousins: <= "
        f"{FC_MAX_BACKGROUND:g})", bounds=dict(ge=0.0, le=1e12)),
    Key("observed", "int", -1, f"observed events, >= 0; -1 = expected background rounded down "
        f"(Feldman-Cousins: <= {FC_MAX_OBSERVED})", bounds=dict(ge=-1, le=10**12)),
))

OUTPUT = Section("output", (
    Key("distributions", "any", False, "distribution plots written by the run into "
        "`distributions/` (README \"Differential distributions\"): `true` (every mass), `false`, "
        "or an array of masses of the study (number = MeV)", type_doc="boolean or array"),
    Key("export", "any", (), "event formats written beside each ROOT file (`mcpgen export`): "
        "`\"hepmc3\"`, `\"lhe\"`", type_doc="array of strings", default_doc="`[]`"),
    Key("chi_pdgid", "int", 9000011, "PDG id of chi in the exported files (the ROOT files keep "
        "9000011; G4DarkBreM uses 17, MadGraph MCP models 3000011)",
        bounds=dict(ge=1, le=2147483647), type_doc="integer > 0"),
    Key("hepdata", "bool", False, "write the HEPData submission of the reach and cross "
        "sections into `hepdata/` (`mcpgen hepdata`)"),
))

SECTIONS = ("run", "physics", "setup", "limits", "output", "reference", "plot")


class RunConfig(RUN.dataclass("RunConfig")):
    """``[run]``: statistics, precision and seed."""


class PhysicsConfig(PHYSICS.dataclass("PhysicsConfig", skip=("masses", "mass_scan", "process"))):
    """``[physics]``: channels, method, reference eps and the MCP masses (MeV)."""


@dataclass(frozen=True)
class PhysicsSettings:
    """``[physics]`` resolved: ``channels`` (process names) and ``masses`` (MeV)."""

    masses: tuple
    channels: tuple = ("brem",)
    method: str = "etl"
    eps: float = 1.0
    x_min: float | None = None

    @property
    def process(self) -> str:
        """The first channel (single-channel studies)."""
        return self.channels[0]


@dataclass(frozen=True)
class Setup:
    """One ``[[setup]]``: a parent source and a detector card."""

    label: str
    source: object               #: a Source (e.g. LeptonBeamSource)
    detector: str                #: as written in the steering file
    card: object                 #: loaded card, with the x_th override applied
    x_th_override: float | None = None
    band: str | None = None      #: systematic-band group of the reach plot

    @property
    def module(self):
        """The detector module configured by the card."""
        from .detectors.cards import detector_module

        return detector_module(self.card)

    @property
    def x_th(self) -> float | None:
        """The card's signal threshold on the energy fraction (None without one)."""
        return getattr(self.card, "x_th", None)

    @property
    def accepted_fraction(self) -> float | None:
        """Smallest energy fraction the detector can accept (its threshold widened by
        its resolution; None: no bound), the default generator cut."""
        return self.module.generator_threshold()


@dataclass(frozen=True)
class OutputConfig(OUTPUT.dataclass("OutputConfig")):
    """``[output]``: what the run writes besides the ROOT files and the summary; resolved
    ``distributions`` is True, False or a tuple of masses (MeV), ``export`` a tuple of
    formats."""

    distributions: object = False
    export: tuple = ()

    def plots_mass(self, mass: float) -> bool:
        d = self.distributions
        return d is True or (bool(d) and f"{mass:.6g}" in {f"{m:.6g}" for m in d})


class LimitsConfig(LIMITS.dataclass("LimitsConfig")):
    """``[limits]``: statistical method for the eps limits."""

    @property
    def n_observed(self) -> int:
        """Observed events; -1 resolves to the expected background rounded down."""
        return int(np.floor(self.background)) if self.observed < 0 else self.observed


@dataclass(frozen=True)
class Steering:
    """A validated steering file."""

    run: RunConfig
    physics: PhysicsSettings
    setups: tuple
    limits: LimitsConfig
    plots: PlotSpec = PlotSpec()  #: reference curves and extra reach figures
    output: OutputConfig = OutputConfig()  #: distributions, exports, HEPData
    path: Path | None = None     #: the steering file, None for a dict
    text: str | None = None      #: raw file text, None for a dict
    file: str = "<dict>"         #: the label used in error messages

    def x_min(self, setup: Setup) -> float:
        """Generator cut for ``setup``: ``physics.x_min``, else the smallest energy
        fraction the detector can accept (its threshold, widened by its resolution), else
        the full kinematic range."""
        if self.physics.x_min is not None:
            return self.physics.x_min
        th = setup.accepted_fraction
        return th if th is not None else 1e-12

    def to_dict(self, *, cards: bool = False) -> dict:
        """Plain dict in the steering schema, with resolved values.

        ``steering_from_dict(s.to_dict())`` gives back an equal configuration
        (masses as explicit MeV values, detector as built-in name or absolute
        path).  With ``cards=True`` each set-up also carries its card under
        ``"card"`` (for provenance; such a dict is not loadable).
        """
        phys = {"process": list(self.physics.channels), "method": self.physics.method,
                "eps": self.physics.eps, "masses": list(self.physics.masses)}
        if self.physics.x_min is not None:
            phys["x_min"] = self.physics.x_min
        setups = []
        for s in self.setups:
            d = {"label": s.label, **s.source.to_table(),
                 "detector": s.card.builtin or str(Path(s.card.file).resolve())}
            if s.x_th_override is not None:
                d["x_th"] = s.x_th_override
            if s.band is not None:
                d["band"] = s.band
            if cards:
                d["card"] = s.card.to_dict()
            setups.append(d)
        return {"run": dict(vars(self.run)), "physics": phys, "setup": setups,
                "limits": dict(vars(self.limits)), "output": self._output_dict(),
                **self.plots.to_steering()}

    def _output_dict(self) -> dict:
        d = dict(vars(self.output))
        d["export"] = list(d["export"])
        if not isinstance(d["distributions"], bool):
            d["distributions"] = list(d["distributions"])
        return d


def load_steering(path) -> Steering:
    """Read and validate a steering TOML file; relative card paths are taken from its folder."""
    path = Path(path)
    table, text = read_toml(path)
    steering = steering_from_dict(table, file=str(path), base_dir=path.parent,
                                  default_name=path.stem)
    return dataclasses.replace(steering, path=path, text=text, file=str(path))


def steering_from_dict(d: dict, *, file="<dict>", base_dir=None, default_name="mcpgen") -> Steering:
    """Validate a steering configuration given as a dict (Python API).

    ``base_dir`` resolves relative detector-card paths (default: current
    directory); ``default_name`` is used when ``run.name`` is absent.
    """
    from .framework.registry import PROCESSES

    if not isinstance(d, dict):
        raise ConfigError(f"expected a table (dict), got {type(d).__name__}", file=file)
    from .units import check_keys

    check_keys(d, SECTIONS, file=file, prefix="")
    run = RUN.read(RUN.table(d, file=file), file=file)
    run = RunConfig(**{**run, "name": run["name"] or default_name})
    physics = _physics(PHYSICS.table(d, file=file, required=True), file)
    if "setup" not in d:
        raise ConfigError("missing required array of tables [[setup]]", file=file, key="setup")
    raw = d["setup"]
    if isinstance(raw, dict):
        raise ConfigError("expected an array of tables; write [[setup]] (double brackets)",
                          file=file, key="setup")
    if not isinstance(raw, list) or not raw:
        raise ConfigError("expected one or more [[setup]] tables", file=file, key="setup")
    setups = tuple(_setup(t, i, file, base_dir) for i, t in enumerate(raw))
    _check_labels(setups, file)
    for i, s in enumerate(setups):
        for c in physics.channels:
            proc = PROCESSES.get(c)
            if s.source.kind not in proc.source_kinds:
                raise ConfigError(f"channel {c!r} takes parents from {', '.join(proc.source_kinds)}"
                                  f", not from source {s.source.kind!r}", file=file,
                                  key=f"setup[{i}].source")
            s.module.check(proc, s.source)
            proc.check_source(s.source, file=file, prefix=f"setup[{i}]")
    if physics.x_min is not None:
        ths = [s.accepted_fraction for s in setups if s.accepted_fraction is not None]
        if ths:
            check_range(physics.x_min, file=file, key="physics.x_min", gt=0.0, le=min(ths),
                        note=" (the smallest energy fraction a detector accepts, x_th lowered "
                             "by 5 resolutions: a higher generator cut would drop events the "
                             "detector accepts)")
    limits = _limits(LIMITS.table(d, file=file), file)
    plots = read_plot_spec(d, file=file, base_dir=base_dir, setups=[s.label for s in setups],
                           channels=physics.channels)
    output = _output(OUTPUT.table(d, file=file), physics.masses, file)
    return Steering(run, physics, setups, limits, plots, output, file=str(file))


def slug(label: str) -> str:
    """File-name form of a set-up label."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in label)


def _check_labels(setups, file):
    seen = {}
    for i, s in enumerate(setups):
        key = slug(s.label).lower()
        if key in seen:
            j = seen[key]
            same = setups[j].label == s.label
            raise ConfigError(f"set-up label {s.label!r} " + ("is used twice" if same else
                              f"gives the same file name as setup[{j}] {setups[j].label!r}")
                              + "; labels must be unique as file names (letters, digits, - and _)",
                              file=file, key=f"setup[{i}].label")
        seen[key] = i


def _physics(t, file) -> PhysicsSettings:
    from .framework.registry import PROCESSES

    v = PHYSICS.read(t, file=file)
    if ("masses" in t) == ("mass_scan" in t):
        raise ConfigError("give exactly one of 'masses' or 'mass_scan'", file=file,
                          key="physics.masses")
    if "masses" in t:
        values = t["masses"]
        if not isinstance(values, list) or not values:
            raise ConfigError(f"expected a non-empty array of masses, e.g. [10, \"1 GeV\"], got "
                              f"{values!r}", file=file, key="physics.masses")
        masses = tuple(_mass(x, f"physics.masses[{i}]", file) for i, x in enumerate(values))
    else:
        scan = get_table(t, "mass_scan", file=file, prefix="physics")
        s = MASS_SCAN.read(scan, file=file)
        for k in MASS_SCAN.names:
            if k not in scan:
                raise ConfigError("missing required key", file=file, key=f"physics.mass_scan.{k}")
        lo, hi = (_mass(scan[k], f"physics.mass_scan.{k}", file) for k in ("min", "max"))
        if not hi > lo:
            raise ConfigError(f"max {scan['max']!r} must be above min {scan['min']!r}",
                              file=file, key="physics.mass_scan.max")
        masses = tuple(float(m) for m in np.geomspace(lo, hi, s["points"]))
    if len(masses) > MAX_SCAN_POINTS:
        raise ConfigError(f"{len(masses)} masses; allowed: at most {MAX_SCAN_POINTS}", file=file,
                          key="physics.masses")
    names = [f"{m:.6g}" for m in masses]
    for i, n in enumerate(names):
        if n in names[:i]:
            j = names.index(n)
            raise ConfigError(f"mass {masses[i]!r} MeV repeats physics.masses[{j}] = {masses[j]!r} "
                              "MeV (to 6 significant digits, the precision of the file names); "
                              "allowed: distinct masses", file=file, key=f"physics.masses[{i}]")
    raw = t.get("process", "brem")
    channels = (raw,) if isinstance(raw, str) else raw
    if not isinstance(channels, (list, tuple)) or not channels or not all(
            isinstance(c, str) for c in channels):
        raise ConfigError(f"expected a channel name or an array of names, got {raw!r}; allowed: "
                          f"{', '.join(PROCESSES.names())}", file=file, key="physics.process")
    for c in channels:
        PROCESSES.get(c, file=file, key="physics.process")
    if len(set(channels)) != len(channels):
        raise ConfigError(f"channel listed twice in {list(channels)!r}", file=file,
                          key="physics.process")
    models = {PROCESSES.get(c).model for c in channels}
    if len(models) > 1:
        raise ConfigError(f"channels {list(channels)} belong to different models "
                          f"({', '.join(sorted(models))}) whose rates do not add; run them in "
                          "separate steering files", file=file, key="physics.process")
    return PhysicsSettings(masses=masses, channels=tuple(channels), method=v["method"],
                           eps=v["eps"], x_min=v["x_min"])


def _mass(value, key, file) -> float:
    mass = parse_quantity(value, "mass", default_unit="MeV", file=file, key=key)
    if not (mass >= MASS_MIN and np.isfinite(mass)):
        raise ConfigError(f"value {value!r} out of range; allowed: 10 keV <= mass (finite)",
                          file=file, key=key)
    return mass


def _setup(t, i, file, base_dir) -> Setup:
    from .detectors.cards import CardNotFound, load_card
    from .framework.registry import SOURCES

    prefix = f"setup[{i}]"
    if not isinstance(t, dict):
        raise ConfigError(f"expected a table, got {t!r}", file=file, key=prefix)
    kind = t.get("source", "lepton-beam")
    source_cls = SOURCES.get(kind, file=file, key=f"{prefix}.source")
    v = SETUP.read(t, file=file, prefix=prefix, extra=source_cls.keys)
    source = source_cls.from_table(t, file=file, prefix=prefix)
    if v["detector"] is None:
        raise ConfigError("missing required key", file=file, key=f"{prefix}.detector")
    try:
        card = load_card(v["detector"], base_dir=base_dir)
    except CardNotFound as exc:
        raise ConfigError(str(exc), file=file, key=f"{prefix}.detector") from None
    if v["x_th"] is not None:
        if not hasattr(card, "with_x_th"):
            raise ConfigError(f"detector module {card.module!r} has no threshold x_th to "
                              "override", file=file, key=f"{prefix}.x_th")
        card = card.with_x_th(v["x_th"], f"override in {file}, key {prefix}.x_th")
    label = v["label"] if v["label"] is not None else card.name
    if not 0 < len(label) <= MAX_LABEL:
        raise ConfigError(f"label of {len(label)} characters; allowed: 1 to {MAX_LABEL}",
                          file=file, key=f"{prefix}.label")
    return Setup(label=label, source=source,
                 detector=v["detector"], card=card, x_th_override=v["x_th"], band=v["band"])


def _output(t, masses, file) -> OutputConfig:
    v = OUTPUT.read(t, file=file)
    raw = t.get("distributions", False)
    if isinstance(raw, bool):
        dist = raw
    elif isinstance(raw, list) and raw:
        have = {f"{m:.6g}" for m in masses}
        dist = tuple(_mass(x, f"output.distributions[{i}]", file) for i, x in enumerate(raw))
        for i, m in enumerate(dist):
            if f"{m:.6g}" not in have:
                raise ConfigError(f"mass {m:g} MeV is not among the study's masses; allowed: "
                                  f"{', '.join(f'{x:g}' for x in masses)}", file=file,
                                  key=f"output.distributions[{i}]")
    else:
        raise ConfigError(f"expected true, false or a non-empty array of masses, got {raw!r}",
                          file=file, key="output.distributions")
    raw = t.get("export", [])
    if not isinstance(raw, (list, tuple)):
        raise ConfigError(f"expected an array of formats, got {raw!r}; allowed: \"hepmc3\", "
                          "\"lhe\"", file=file, key="output.export")
    from .io.export import check_formats

    export = check_formats(list(raw), file=file)
    if export and "chi_pdgid" in t:   # refused before the jobs run, not after
        from .io.chain import check_chi_pdgid

        check_chi_pdgid(v["chi_pdgid"], key="output.chi_pdgid", file=file)
    return OutputConfig(distributions=dist, export=export, chi_pdgid=v["chi_pdgid"],
                        hepdata=v["hepdata"])


def _limits(t, file) -> LimitsConfig:
    v = LIMITS.read(t, file=file)
    if v["method"] == "feldman-cousins":
        if v["cl"] not in FC_CLS:
            raise ConfigError(f"value {v['cl']!r} not tabulated for feldman-cousins; allowed: "
                              f"{', '.join(map(str, FC_CLS))}", file=file, key="limits.cl")
        check_range(v["background"], file=file, key="limits.background", ge=0.0,
                    le=FC_MAX_BACKGROUND, note=" for feldman-cousins (use poisson beyond)")
        check_range(v["observed"], file=file, key="limits.observed", ge=-1, le=FC_MAX_OBSERVED,
                    note=" for feldman-cousins (use poisson beyond)")
    return LimitsConfig(**v)


def reference_markdown() -> str:
    """The README table of every steering key, generated from the declarations."""
    from .sources.lepton_beam import KEY_DOCS

    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    rows += RUN.markdown() + PHYSICS.markdown()
    rows.append("| `setup` | array of tables `[[setup]]` | required | one or more experimental "
                "set-ups |")
    rows += SETUP.markdown()
    rows += [f"| `setup.{k}` | {typ} | {default} | lepton-beam source: {doc} |"
             for k, typ, default, doc in KEY_DOCS]
    from .sources import collider, meson_spectrum

    for name, mod in (("meson-spectrum", meson_spectrum), ("collider", collider)):
        rows += [dataclasses.replace(k, doc=f"{name} source: {k.doc}").markdown("setup")
                 for k in mod.KEYS.keys]
    rows += LIMITS.markdown()
    rows += OUTPUT.markdown()
    from . import plot_spec

    rows += plot_spec.markdown()
    return "\n".join(rows) + "\n"


__all__ = ["Steering", "RunConfig", "PhysicsSettings", "Setup", "LimitsConfig", "load_steering",
           "steering_from_dict", "reference_markdown", "slug"]
