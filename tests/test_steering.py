"""Steering files, units and detector cards: good files load, bad input gives one-line errors."""

from dataclasses import replace
from pathlib import Path

import pytest
from hepunits import GeV, MeV, cm, mm

from mcpgen.detectors.cards import (BUILTIN_CARDS, CARD_REFERENCE, SPECTROMETER_KEYS,
                                    card_from_dict, load_card)
from mcpgen.errors import ConfigError
from mcpgen.sources.materials import get_material
from mcpgen.steering import (LIMITS_KEYS, MASS_SCAN_KEYS, PHYSICS_KEYS, RUN_KEYS, SETUP_KEYS,
                             STEERING_REFERENCE, load_steering, steering_from_dict)
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
    assert mu.beam == "mu-" and mu.energy == 160000.0 and mu.leptons_on_target == 1e14
    assert mu.thickness == 225.0 and mu.thickness_X0 == pytest.approx(40, rel=0.01)
    assert mu.x_th == 0.5 and s.limits.cl == 0.95 and s.limits.n_observed == 0
    assert 10 <= len(s.physics.masses) <= 12
    assert s.physics.masses[0] == pytest.approx(10.0)
    assert s.physics.masses[-1] == pytest.approx(1000.0)
    assert "NA64mu" in s.text and s.path.name == "na64mu_2025.toml"

    s = load_steering(REPO / "steering" / "ldmx_2025.toml")
    (e,) = s.setups
    assert e.beam == "e-" and e.energy == 8000.0 and e.leptons_on_target == 2e16
    assert e.material.name == "Al" and e.thickness == pytest.approx(0.4 * e.material.X0)
    assert e.x_th == 0.7 and e.card.recoil == "lepton"
    assert max(s.physics.masses) < 4000.0   # below the kinematic limit E0/2

    s = load_steering(REPO / "steering" / "na64_2019.toml")
    ele, muon = s.setups
    assert (ele.beam, muon.beam) == ("e-", "mu-")
    assert ele.energy == muon.energy == 100000.0
    assert (ele.leptons_on_target, muon.leptons_on_target) == (5e12, 5e13)
    assert ele.thickness == pytest.approx(40 * 5.612 * mm, rel=1e-4) == 40 * pb_X0
    assert ele.electron_length == "x0" and ele.card.recoil == "visible"
    assert ele.x_th == muon.x_th == 0.5 and s.limits.cl == 0.9
    assert s.physics.masses[0] == pytest.approx(1.0)
    assert s.physics.masses[-1] == pytest.approx(1000.0)


def test_good_file_base_units_and_defaults(tmp_path):
    s = load_steering(write(tmp_path, GOOD))
    assert s.run.name == "study" and s.run.seed == 1 and s.run.events == 100
    assert s.run.train_iterations == 8 and s.run.unweighted is False
    assert s.physics.masses == (10.0, 1000.0)
    assert s.physics.method == "etl" and s.physics.x_min is None
    (a,) = s.setups
    assert a.energy == 160000.0 and a.thickness == pytest.approx(40 * 5.612, rel=1e-4)
    assert a.material is get_material("Pb") and a.card.name == "NA64mu"
    assert a.lepton_pdgid == 13 and a.is_muon and s.x_min(a) == 0.5
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
    for prefix, keys in [("run", RUN_KEYS), ("physics", PHYSICS_KEYS), ("setup", SETUP_KEYS),
                         ("limits", LIMITS_KEYS)]:
        for key in keys:
            assert f"`{prefix}.{key}`" in STEERING_REFERENCE, key
    for key in MASS_SCAN_KEYS:
        assert key in STEERING_REFERENCE
    for key in SPECTROMETER_KEYS:
        assert f"`spectrometer.{key}`" in CARD_REFERENCE


# ---------------------------------------------------------------- bad steering files

BAD = [
    # (old, new, key, fragment)
    ("events = 100", "evnts = 100", "run.evnts", "did you mean 'events'?"),
    ("[[setup]]", "[[setups]]", "setups", "did you mean 'setup'?"),
    ('beam = "mu-"', 'beam = "tau-"', "setup[0].beam", "'mu-'"),
    ('target = "Pb"', 'target = "Unobtainium"', "setup[0].target", "allowed: Pb"),
    ("eps = 1.0", "eps = 0.0", "physics.eps", "0 < eps <= 1"),
    ("eps = 1.0", "eps = -1e-3", "physics.eps", "0 < eps <= 1"),
    ("eps = 1.0", "eps = 1.5", "physics.eps", "0 < eps <= 1"),
    ("events = 100", "events = 0", "run.events", "events > 0"),
    ("events = 100", "events = -5", "run.events", "events > 0"),
    ("events = 100", 'events = "100"', "run.events", "expected an integer"),
    ("events = 100", "events = 100\ntrain_events = 0", "run.train_events", "> 0"),
    ("leptons_on_target = 1e14", "leptons_on_target = 0", "setup[0].leptons_on_target", "> 0"),
    ('detector = "na64mu"', 'detector = "na64mu"\nx_th = 1.0', "setup[0].x_th", "0 < x_th < 1"),
    ('detector = "na64mu"', 'detector = "na64mu"\nx_th = 0', "setup[0].x_th", "0 < x_th < 1"),
    ('detector = "na64mu"', 'detector = "na64mu"\nx_th = -0.2', "setup[0].x_th", "0 < x_th < 1"),
    ('masses = [10, "1 GeV"]', "masses = [10, 0]", "physics.masses[1]", "mass > 0"),
    ('masses = [10, "1 GeV"]', 'masses = ["-5 MeV"]', "physics.masses[0]", "mass > 0"),
    ('masses = [10, "1 GeV"]', 'masses = ["10 cm"]', "physics.masses[0]", "unknown unit 'cm'"),
    ('masses = [10, "1 GeV"]', "masses = []", "physics.masses", "non-empty"),
    ('masses = [10, "1 GeV"]', 'masses = [10]\nmass_scan = {min = 1, max = 2, points = 2}',
     "physics.masses", "exactly one"),
    ('masses = [10, "1 GeV"]', "mass_scan = {min = 1, max = 2, points = 1}",
     "physics.mass_scan.points", "points >= 2"),
    ('masses = [10, "1 GeV"]', "mass_scan = {min = 1, max = 2, pionts = 2}",
     "physics.mass_scan.pionts", "did you mean 'points'?"),
    ("eps = 1.0", "eps = 1.0\nx_min = 0.6", "physics.x_min", "smallest set-up x_th"),
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
    ("[run]", "[limits]\nobserved = -2\n[run]", "limits.observed", "observed >= -1"),
    ("[run]", "[limits]\ncl = 1\n[run]", "limits.cl", "0 < cl < 1"),
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
    check_error(exc, path, "setup[1].label", "unique")


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
        assert card.builtin == name and card.module == "spectrometer"
        by_path = load_card(packaged)
        assert by_path.builtin is None and replace(by_path, builtin=name, file=card.file) == card
        for key, text in card.sources:   # literature values have real sources
            assert text and (text.startswith("default") or "seed" in text), (name, key)
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
    (lambda d: d["detector"].update(module="tracker"), "detector.module", "'spectrometer'"),
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
