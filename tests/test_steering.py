"""Steering files, units and detector cards: good files load, bad input gives one-line errors."""

from dataclasses import replace
from pathlib import Path

import pytest
from hepunits import GeV, MeV, cm, keV, mm

from mcpgen.detectors.cards import BUILTIN_CARDS, card_from_dict, load_card
from mcpgen.detectors.spectrometer import CARD_REFERENCE, SPECTROMETER_KEYS
from mcpgen.errors import ConfigError
from mcpgen.sources.materials import get_material
from mcpgen.sources.lepton_beam import LeptonBeamSource
from mcpgen.steering import (LIMITS, MASS_MIN, MASS_SCAN, PHYSICS, RUN, SETUP, load_steering,
                             reference_markdown, steering_from_dict)
from mcpgen.units import format_energy, format_length, parse_quantity

REPO = Path(__file__).resolve().parents[1]
PACKAGE_CARDS = REPO / "mcpgen" / "data" / "detectors"

GOOD = """\
[run]
seed = 1
events = 100

[physics]
eps = 1.0
masses = [10, "1 GeV"]

[[setup]]
label = "A"
beam = "mu-"
energy = "160 GeV"
leptons_on_target = 1e14
target = "Pb"
thickness = "40 X0"
detector = "na64mu"
"""

CARD = """\
[detector]
name = "Mine"
module = "spectrometer"
[spectrometer]
x_th = 0.6
efficiency = 0.5
[sources]
x_th = "test"
efficiency = "test"
"""


def write(folder, text, name="study.toml"):
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def check_error(exc_info, path, key=None, *contains):
    """The message is one line and names the file, the key and the given fragments."""
    msg = str(exc_info.value)
    assert "\n" not in msg
    assert str(path) in msg
    if key is not None:
        assert f"key '{key}'" in msg
    for fragment in contains:
        assert fragment in msg, (fragment, msg)


# ---------------------------------------------------------------- units

@pytest.mark.parametrize("value, kind, unit, expected", [
    ("160 GeV", "energy", "GeV", 160000.0),
    ("160GeV", "energy", "GeV", 160000.0),
    (160, "energy", "GeV", 160000.0),
    (" 2.5e-3 GeV ", "energy", "GeV", 2.5),
    ("10 keV", "energy", "MeV", 0.01),
    ("3 eV", "mass", "MeV", 3e-6),
    ("5 TeV", "energy", "GeV", 5e6),
    ("1e14", "number", "", 1e14),
    (1e14, "number", "", 1e14),
    ("22.5 cm", "length", "cm", 225.0),
    (22.5, "length", "cm", 225.0),
    ("350 um", "length", "cm", 0.35),
    ("350 µm", "length", "cm", 0.35),
    ("1 m", "length", "cm", 1000.0),
    (".5 mm", "length", "cm", 0.5),
])
def test_parse_quantity(value, kind, unit, expected):
    assert parse_quantity(value, kind, default_unit=unit) == pytest.approx(expected, rel=1e-14)


def test_parse_quantity_radiation_lengths():
    pb = get_material("Pb")
    # PDG: X0(Pb) = 6.37 g/cm^2 / 11.35 g/cm^3 = 5.612 mm
    assert parse_quantity("40 X0", "length", default_unit="cm", material=pb) == pytest.approx(
        40 * 5.612 * mm, rel=1e-4)
    with pytest.raises(ConfigError, match="needs a target material"):
        parse_quantity("40 X0", "length", default_unit="cm", file="f.toml", key="k")


@pytest.mark.parametrize("value, kind, fragment", [
    ("160 GeX", "energy", "unknown unit 'GeX'"),
    ("160 gev", "energy", "allowed units: eV, keV, MeV, GeV, TeV"),
    ("GeV 160", "energy", "cannot parse"),
    ("1,5 GeV", "energy", "cannot parse"),
    ("2*3 GeV", "energy", "cannot parse"),       # never evaluated
    ("__import__('os')", "energy", "cannot parse"),
    ("22.5 cn", "length", "X0 (radiation lengths"),
    ("1e14 GeV", "number", "no unit"),
    (True, "energy", "expected a number"),
    ([1], "energy", "expected a number"),
    (float("inf"), "energy", "not a finite number"),
    (float("nan"), "length", "not a finite number"),
])
def test_parse_quantity_errors(value, kind, fragment):
    unit = {"energy": "GeV", "length": "cm", "number": ""}[kind]
    with pytest.raises(ConfigError) as exc:
        parse_quantity(value, kind, default_unit=unit, file="f.toml", key="setup[0].x")
    check_error(exc, "f.toml", "setup[0].x", fragment)


def test_format():
    assert format_energy(160 * GeV) == "160 GeV"
    assert format_energy(0.5 * MeV) == "500 keV"
    assert format_length(22.5 * cm) == "22.5 cm"


# ---------------------------------------------------------------- good steering files

def test_seed_steering_files_load():
    pb_X0 = get_material("Pb").X0
    s = load_steering(REPO / "steering" / "na64mu_2025.toml")
    (mu,) = s.setups
    src = mu.source
    assert isinstance(src, LeptonBeamSource) and src.kind == "lepton-beam"
    assert src.beam == "mu-" and src.energy == 160000.0 and src.leptons_on_target == 1e14
    assert src.thickness == 225.0 and src.thickness_X0 == pytest.approx(40, rel=0.01)
    assert mu.x_th == 0.5 and s.limits.cl == 0.95 and s.limits.n_observed == 0
    assert s.physics.channels == ("brem",) and s.physics.process == "brem"
    assert 10 <= len(s.physics.masses) <= 12
    assert s.physics.masses[0] == pytest.approx(10.0)
    assert s.physics.masses[-1] == pytest.approx(1000.0)
    assert "NA64mu" in s.text and s.path.name == "na64mu_2025.toml"

    s = load_steering(REPO / "steering" / "ldmx_2025.toml")
    (e,) = s.setups
    src = e.source
    assert src.beam == "e-" and src.energy == 8000.0 and src.leptons_on_target == 2e16
    assert src.material.name == "Al" and src.thickness == pytest.approx(0.4 * src.material.X0)
    assert e.x_th == 0.7 and e.card.recoil == "lepton"
    assert max(s.physics.masses) < 4000.0   # below the kinematic limit E0/2

    s = load_steering(REPO / "steering" / "na64_2019.toml")
    ele, muon = s.setups
    assert (ele.source.beam, muon.source.beam) == ("e-", "mu-")
    assert ele.source.energy == muon.source.energy == 100000.0
    assert (ele.source.leptons_on_target, muon.source.leptons_on_target) == (5e12, 5e13)
    assert ele.source.thickness == pytest.approx(40 * 5.612 * mm, rel=1e-4) == 40 * pb_X0
    assert ele.source.electron_length == "x0" and ele.card.recoil == "visible"
    assert ele.x_th == muon.x_th == 0.5 and s.limits.cl == 0.9
    assert s.physics.masses[0] == pytest.approx(1.0)
    assert s.physics.masses[-1] == pytest.approx(1000.0)


def test_good_file_base_units_and_defaults(tmp_path):
    s = load_steering(write(tmp_path, GOOD))
    assert s.run.name == "study" and s.run.seed == 1 and s.run.events == 100
    assert s.run.train_iterations == 12 and s.run.unweighted is False
    assert s.physics.masses == (10.0, 1000.0)
    assert s.run.precision == 1e-3 and s.run.integrate_events == 10_000_000
    assert s.physics.method == "etl" and s.physics.x_min is None
    assert s.physics.channels == ("brem",)
    (a,) = s.setups
    assert a.label == "A" and a.source.target == "Pb"
    assert a.source.energy == 160000.0 and a.source.thickness == pytest.approx(40 * 5.612, rel=1e-4)
    assert a.source.material is get_material("Pb") and a.card.name == "NA64mu"
    assert a.source.electron_length == "tsai" and a.source.muon_energy_loss is False
    assert a.source.lepton_pdgid == 13 and a.source.is_muon and s.x_min(a) == 0.5
    assert s.limits.method == "poisson" and s.limits.observed == -1


def test_overrides_scan_and_relative_card(tmp_path, monkeypatch):
    write(tmp_path / "cards", CARD, "mine.toml")
    scan = 'mass_scan = {min = "1 MeV", max = 100, points = 3}\nx_min = 0.3'
    text = GOOD.replace('masses = [10, "1 GeV"]', scan)
    text = text.replace('detector = "na64mu"', 'detector = "../cards/mine.toml"\nx_th = 0.4')
    path = write(tmp_path / "study", text)
    monkeypatch.chdir(REPO)   # a relative card path is taken from the steering file's folder
    s = load_steering(path)
    assert s.physics.masses == pytest.approx((1.0, 10.0, 100.0))
    (a,) = s.setups
    assert a.card.name == "Mine" and a.card.efficiency == 0.5 and a.x_th == 0.4
    assert a.x_th_override == 0.4 and "override" in a.card.source("x_th")
    assert s.x_min(a) == 0.3


def test_to_dict_round_trip(tmp_path):
    s = load_steering(REPO / "steering" / "na64_2019.toml")
    again = steering_from_dict(s.to_dict(), file="<round trip>")
    assert again.run == s.run and again.physics == s.physics and again.limits == s.limits
    assert again.setups == s.setups
    assert s.to_dict(cards=True)["setup"][0]["card"]["spectrometer"]["recoil"] == "visible"


def test_reference_lists_every_key():
    from mcpgen.sources.lepton_beam import KEY_DOCS

    reference = reference_markdown()
    for section in (RUN, PHYSICS, SETUP, LIMITS):
        for key in section.names:
            assert f"`{section.name}.{key}`" in reference, key
    for key in LeptonBeamSource.keys:   # the source's keys are setup keys too
        assert f"`setup.{key}`" in reference, key
    assert LeptonBeamSource.keys == tuple(k for k, *_ in KEY_DOCS)
    for key in MASS_SCAN.names:
        assert key in reference
    # defaults are written once, in the declaration, and shown in the table
    assert "| `run.precision` | number | `0.001` |" in reference
    assert "| `run.integrate_events` | integer > 1 | `10000000` |" in reference
    for key in SPECTROMETER_KEYS:
        assert f"`spectrometer.{key}`" in CARD_REFERENCE


# ---------------------------------------------------------------- bad steering files

BAD = [
    # (old, new, key, fragment)
    ("events = 100", "evnts = 100", "run.evnts", "did you mean 'events'?"),
    ("[[setup]]", "[[setups]]", "setups", "did you mean 'setup'?"),
    ('beam = "mu-"', 'beam = "tau-"', "setup[0].beam", "'mu-'"),
    ('target = "Pb"', 'target = "Unobtainium"', "setup[0].target", "allowed: Pb"),
    ("eps = 1.0", "eps = 0.0", "physics.eps", "1e-20 <= eps <= 1"),
    ("eps = 1.0", "eps = -1e-3", "physics.eps", "1e-20 <= eps <= 1"),
    ("eps = 1.0", "eps = 1.5", "physics.eps", "1e-20 <= eps <= 1"),
    ("events = 100", "events = 0", "run.events", "0 < events <= 1e+10"),
    ("events = 100", "events = -5", "run.events", "0 < events <= 1e+10"),
    ("events = 100", 'events = "100"', "run.events", "expected an integer"),
    ("events = 100", "events = 100\ntrain_events = 0", "run.train_events", "0 < train_events"),
    ("leptons_on_target = 1e14", "leptons_on_target = 0", "setup[0].leptons_on_target", "> 0"),
    ('detector = "na64mu"', 'detector = "na64mu"\nx_th = 1.0', "setup[0].x_th", "0 < x_th < 1"),
    ('detector = "na64mu"', 'detector = "na64mu"\nx_th = 0', "setup[0].x_th", "0 < x_th < 1"),
    ('detector = "na64mu"', 'detector = "na64mu"\nx_th = -0.2', "setup[0].x_th", "0 < x_th < 1"),
    ('masses = [10, "1 GeV"]', "masses = [10, 0]", "physics.masses[1]", f"{MASS_MIN / keV:g} keV <= mass"),
    ('masses = [10, "1 GeV"]', 'masses = ["-5 MeV"]', "physics.masses[0]", f"{MASS_MIN / keV:g} keV <= mass"),
    ('masses = [10, "1 GeV"]', 'masses = ["10 cm"]', "physics.masses[0]", "unknown unit 'cm'"),
    ('masses = [10, "1 GeV"]', "masses = []", "physics.masses", "non-empty"),
    ('masses = [10, "1 GeV"]', 'masses = [10]\nmass_scan = {min = 1, max = 2, points = 2}',
     "physics.masses", "exactly one"),
    ('masses = [10, "1 GeV"]', "mass_scan = {min = 1, max = 2, points = 1}",
     "physics.mass_scan.points", "2 <= points <= 1000"),
    ('masses = [10, "1 GeV"]', "mass_scan = {min = 1, max = 2, pionts = 2}",
     "physics.mass_scan.pionts", "did you mean 'points'?"),
    ("eps = 1.0", "eps = 1.0\nx_min = 0.6", "physics.x_min", "smallest energy fraction a detector accepts"),
    ("eps = 1.0", 'eps = 1.0\nmethod = "eetl"', "physics.method", "did you mean 'etl'"),
    ('energy = "160 GeV"', 'energy = "160 GeX"', "setup[0].energy", "unknown unit 'GeX'"),
    ('energy = "160 GeV"', 'energy = true', "setup[0].energy", "expected a number"),
    ('thickness = "40 X0"', 'thickness = "22.5 cn"', "setup[0].thickness", "unknown unit 'cn'"),
    ('thickness = "40 X0"', 'thickness = "-1 cm"', "setup[0].thickness", "thickness > 0"),
    ('detector = "na64mu"', 'detector = "no_such_card.toml"', "setup[0].detector", "not found"),
    ('detector = "na64mu"', 'detector = "na64m"', "setup[0].detector", "did you mean 'na64mu'?"),
    ('beam = "mu-"\n', "", "setup[0].beam", "missing required key"),
    ('beam = "mu-"', 'beam = "e-"\nmuon_energy_loss = true', "setup[0].muon_energy_loss",
     "needs a muon beam"),
    ('beam = "mu-"', 'beam = "e-"\nelectron_length = "X0"', "setup[0].electron_length",
     "'tsai', 'x0'"),
    ("[[setup]]", "[setup]", "setup", "write [[setup]]"),
    ("[run]", '[limits]\nmethod = "feldman-cousins"\ncl = 0.68\n[run]', "limits.cl", "0.9, 0.95"),
    ("[run]", "[limits]\nobserved = -2\n[run]", "limits.observed", "-1 <= observed"),
    ("[run]", "[limits]\ncl = 1\n[run]", "limits.cl", "0 < cl < 1"),
    # masses give file names: duplicates (to 6 digits) are errors
    ('masses = [10, "1 GeV"]', 'masses = [10, "1 GeV", "10 MeV"]', "physics.masses[2]",
     "repeats physics.masses[0]"),
    ('masses = [10, "1 GeV"]', "masses = [10, 10.0000001]", "physics.masses[1]",
     "to 6 significant digits"),
    # channels
    ("eps = 1.0", 'eps = 1.0\nprocess = ["brem", "brem"]', "physics.process", "listed twice"),
    ("eps = 1.0", 'eps = 1.0\nprocess = ["brem", "darkphoton"]', "physics.process",
     "belong to different models"),
    ("eps = 1.0", 'eps = 1.0\nprocess = "bram"', "physics.process", "did you mean 'brem'?"),
    ("eps = 1.0", "eps = 1.0\nprocess = []", "physics.process", "expected a channel name"),
    ('label = "A"', 'label = "A"\nsource = "cosmics"', "setup[0].source",
     "unknown source 'cosmics'; allowed: lepton-beam"),
    # integration
    ("events = 100", "events = 100\nprecision = 0", "run.precision", "0 < precision < 1"),
    ("events = 100", "events = 100\nprecision = 1.0", "run.precision", "0 < precision < 1"),
    ("events = 100", "events = 100\nintegrate_events = 1", "run.integrate_events",
     "1 < integrate_events"),
]


@pytest.mark.parametrize("old, new, key, fragment", BAD, ids=[b[2] + ":" + b[3] for b in BAD])
def test_bad_steering(tmp_path, old, new, key, fragment):
    assert old in GOOD or old in ("[run]",)
    path = write(tmp_path, GOOD.replace(old, new, 1), "bad_study.toml")
    with pytest.raises(ConfigError) as exc:
        load_steering(path)
    check_error(exc, path, key, fragment)


def test_duplicate_labels(tmp_path):
    text = GOOD + GOOD[GOOD.index("[[setup]]"):]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_steering(path)
    check_error(exc, path, "setup[1].label", "unique", "is used twice")


@pytest.mark.parametrize("first, second", [("A", "a"), ("A B", "A_B"), ("NA64e, 100 GeV",
                                                                         "NA64e__100_GeV")])
def test_labels_with_the_same_file_name(tmp_path, first, second):
    setup = GOOD[GOOD.index("[[setup]]"):]
    text = GOOD.replace('label = "A"', f'label = "{first}"') + setup.replace(
        'label = "A"', f'label = "{second}"')
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_steering(path)
    check_error(exc, path, "setup[1].label", f"set-up label '{second}' gives the same file name "
                f"as setup[0] '{first}'")


def test_channels(tmp_path):
    s = load_steering(write(tmp_path, GOOD.replace("eps = 1.0", 'eps = 1.0\nprocess = ["brem"]')))
    assert s.physics.channels == ("brem",) and s.physics.process == "brem"
    s = load_steering(write(tmp_path, GOOD.replace("eps = 1.0", 'eps = 1.0\nprocess = '
                                                   '"darkphoton"')))
    assert s.physics.channels == ("darkphoton",)
    assert steering_from_dict(s.to_dict()).physics == s.physics
    s = load_steering(write(tmp_path, GOOD.replace("[run]", "[run]\nprecision = 0.02\n"
                                                   "integrate_events = 100000")))
    assert s.run.precision == 0.02 and s.run.integrate_events == 100000


def test_malformed_toml(tmp_path):
    path = write(tmp_path, GOOD.replace("events = 100", "events = "), "broken.toml")
    with pytest.raises(ConfigError) as exc:
        load_steering(path)
    check_error(exc, path, None, "malformed TOML", "line 3")


def test_missing_file_and_sections(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_steering(tmp_path / "nope.toml")
    check_error(exc, tmp_path / "nope.toml", None, "file not found")
    path = write(tmp_path, GOOD[GOOD.index("[[setup]]"):])
    with pytest.raises(ConfigError) as exc:
        load_steering(path)
    check_error(exc, path, "physics", "missing required table")
    with pytest.raises(ConfigError) as exc:
        steering_from_dict({"physics": {"masses": [1]}}, file="api")
    check_error(exc, "api", "setup", "[[setup]]")


# ---------------------------------------------------------------- detector cards

def test_builtin_cards_and_copies_identical():
    for name in BUILTIN_CARDS:
        top, packaged = REPO / "detectors" / f"{name}.toml", PACKAGE_CARDS / f"{name}.toml"
        if top.exists():   # only in a source checkout
            assert top.read_bytes() == packaged.read_bytes(), name
        card = load_card(name)
        assert card.builtin == name
        by_path = load_card(packaged)
        assert by_path.builtin is None and replace(by_path, builtin=name, file=card.file) == card
        for key, text in card.sources:   # literature values have real sources, others say so
            assert text and (text.startswith("default") or "seed" in text or
                             text.startswith("illustrative")), (name, key)
    assert [load_card(n).module for n in BUILTIN_CARDS] == ["spectrometer"] * 3 + ["scatter", "tracker", "tracker"]
    x_th = [load_card(name).x_th for name in ("na64mu", "na64e", "ldmx")]
    assert x_th == [0.5, 0.5, 0.7]
    assert load_card("na64e").recoil == "visible" and load_card("ldmx").recoil == "lepton"


def card_dict(**spectrometer):
    spec = {"x_th": 0.5, **spectrometer}
    return {"detector": {"name": "T", "module": "spectrometer"}, "spectrometer": spec,
            "sources": {k: "test" for k in spec}}


@pytest.mark.parametrize("mutate, key, fragment", [
    (lambda d: d["spectrometer"].update(efficency=1.0), "spectrometer.efficency",
     "did you mean 'efficiency'?"),
    (lambda d: d["spectrometer"].update(x_th=1.5), "spectrometer.x_th", "0 < x_th < 1"),
    (lambda d: d["spectrometer"].update(efficiency=1.2), "spectrometer.efficiency",
     "0 <= efficiency <= 1"),
    (lambda d: d["spectrometer"].update(resolution=-0.1), "spectrometer.resolution",
     "0 <= resolution"),
    (lambda d: d["spectrometer"].update(recoil="muon"), "spectrometer.recoil",
     "'lepton', 'visible'"),
    (lambda d: d["detector"].update(module="calorimeter"), "detector.module",
     "unknown detector module 'calorimeter' (did you mean 'spectrometer'?); allowed: spectrometer, scatter, tracker"),
    (lambda d: d["sources"].pop("x_th"), "sources.x_th", "missing source"),
    (lambda d: d["sources"].update(theta_max="x"), "sources.theta_max", "not set"),
    (lambda d: d.pop("detector"), "detector", "missing required table"),
    (lambda d: d.update(extra={}), "extra", "allowed: detector, sources, spectrometer"),
])
def test_bad_card_dict(mutate, key, fragment):
    d = card_dict()
    mutate(d)
    with pytest.raises(ConfigError) as exc:
        card_from_dict(d, file="card.toml")
    check_error(exc, "card.toml", key, fragment)


def test_bad_card_file_named_in_error(tmp_path):
    card = write(tmp_path, CARD.replace("efficiency = 0.5", "efficency = 0.5"), "typo_card.toml")
    path = write(tmp_path, GOOD.replace('"na64mu"', '"typo_card.toml"'))
    with pytest.raises(ConfigError) as exc:
        load_steering(path)
    check_error(exc, card, "spectrometer.efficency", "did you mean 'efficiency'?")
    broken = write(tmp_path, "[detector\n", "broken_card.toml")
    with pytest.raises(ConfigError) as exc:
        load_card(broken)
    check_error(exc, broken, None, "malformed TOML")
