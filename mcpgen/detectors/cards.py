"""Detector cards: TOML files describing a detector module and where its numbers come from.

Built-in cards (``na64mu``, ``na64e``, ``ldmx``) ship as package data in
``mcpgen/data/detectors/``; identical copies live in the top-level
``detectors/`` folder of the repository for reading and as templates.  A user
card is given by path (after DarkNews ``Detector(experiment)``).  The schema is
declared in :data:`CARD_REFERENCE`; unknown or misspelled keys, wrong types,
out-of-range values and numbers without a source raise
:class:`~mcpgen.errors.ConfigError` naming the card file and the key.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..units import check_keys, get_float, get_str, get_table, parse_toml, read_toml

#: names of the cards shipped with mcpgen
BUILTIN_CARDS = ("na64mu", "na64e", "ldmx")
#: detector modules a card may select
MODULES = ("spectrometer",)
#: how the recoil energy E_rec is reconstructed
RECOIL_MODES = ("lepton", "visible")

CARD_SECTIONS = ("detector", "sources", "spectrometer")
DETECTOR_KEYS = ("name", "module")
SPECTROMETER_KEYS = ("x_th", "recoil", "resolution", "theta_max", "efficiency")
#: defaults of the optional spectrometer keys (x_th is required)
SPECTROMETER_DEFAULTS = {"recoil": "lepton", "resolution": 0.0, "theta_max": 0.0, "efficiency": 1.0}

CARD_REFERENCE = """\
### Detector cards

A card is a TOML file with three tables.  Built-in cards: `na64mu`, `na64e`,
`ldmx` (copies in `detectors/`); any other value of `setup.detector` is a path,
relative to the steering file.  Unknown keys are errors.

| key | type | default | meaning |
|---|---|---|---|
| `detector.name` | string | required | display name, e.g. `"NA64mu"` |
| `detector.module` | string | required | detector module; only `"spectrometer"` for now |
| `spectrometer.x_th` | number | required | signal region `E_rec <= (1 - x_th) E0`, `0 < x_th < 1` |
| `spectrometer.recoil` | string | `"lepton"` | `"lepton"`: `E_rec` is the energy of the outgoing lepton (magnetic spectrometer / tracker); `"visible"`: `E_rec = E0 - (E_chi + E_chibar)` (active thick target: all but the pair is seen, NA64e ECAL) |
| `spectrometer.resolution` | number | `0.0` | relative Gaussian resolution `sigma_E/E` on `E_rec`, `0 <= r <= 1` (0 = ideal) |
| `spectrometer.theta_max` | number | `0.0` | acceptance of the recoil-lepton polar angle in rad, `0 <= theta_max <= pi`; 0 = no cut |
| `spectrometer.efficiency` | number | `1.0` | flat signal efficiency, `0 <= efficiency <= 1` |
| `sources.<key>` | string | required for every `spectrometer` key that is set | free-text source of the number (paper, section, equation) |
"""


@dataclass(frozen=True)
class SpectrometerCard:
    """A spectrometer-type detector (missing-energy experiments); see :data:`CARD_REFERENCE`.

    Numbers are dimensionless except ``theta_max`` (rad).  ``sources`` is a
    tuple of ``(key, source)`` pairs, one per spectrometer key (``"default"``
    for keys not set in the card).
    """

    name: str
    x_th: float
    recoil: str = "lepton"
    resolution: float = 0.0
    theta_max: float = 0.0
    efficiency: float = 1.0
    module: str = "spectrometer"
    sources: tuple = ()
    #: where the card came from: a file path (for built-ins the installed resource)
    file: str = ""
    #: built-in card name, or None for a user file
    builtin: str | None = None

    def source(self, key: str) -> str:
        """Source text of card key ``key`` (e.g. ``"x_th"``)."""
        return dict(self.sources)[key]

    def with_x_th(self, x_th: float, source: str) -> "SpectrometerCard":
        """Copy with ``x_th`` replaced (steering-file override) and its source updated."""
        sources = tuple((k, source if k == "x_th" else s) for k, s in self.sources)
        return dataclasses.replace(self, x_th=float(x_th), sources=sources)

    def to_dict(self) -> dict:
        """Card in its TOML layout (plus ``file``/``builtin``), for provenance."""
        return {
            "detector": {"name": self.name, "module": self.module},
            "spectrometer": {k: getattr(self, k) for k in SPECTROMETER_KEYS},
            "sources": dict(self.sources),
            "file": self.file,
            "builtin": self.builtin,
        }


class CardNotFound(ConfigError):
    """Neither a built-in card name nor an existing file (the caller adds file/key)."""


def _builtin_resource(name: str):
    from importlib.resources import files

    return files("mcpgen") / "data" / "detectors" / f"{name}.toml"


def find_card(name_or_path, *, base_dir=None):
    """Locate a card; return ``(label, text, builtin_name_or_None)``.

    A value equal to a built-in name selects that card (built-ins win: write
    ``./na64mu.toml`` for a local file of that name).  Anything else is a
    path; relative paths are taken from ``base_dir`` (default: the current
    directory).  Raises :class:`CardNotFound` otherwise.
    """
    value = str(name_or_path)
    if value in BUILTIN_CARDS:
        resource = _builtin_resource(value)
        return str(resource), resource.read_text(encoding="utf-8"), value
    path = Path(value).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.is_file():
        close = difflib.get_close_matches(value, BUILTIN_CARDS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise CardNotFound(f"detector card {value!r} not found: no file {str(path)!r} and not a "
                           f"built-in card; {hint}built-in: {', '.join(BUILTIN_CARDS)}")
    return str(path), None, None


def load_card(name_or_path, *, base_dir=None) -> SpectrometerCard:
    """Load a built-in card by name or a user card by path (see :func:`find_card`)."""
    label, text, builtin = find_card(name_or_path, base_dir=base_dir)
    if text is None:
        table, _ = read_toml(label)
    else:
        table = parse_toml(text, file=label)
    return card_from_dict(table, file=label, builtin=builtin)


def card_from_dict(table: dict, *, file="<dict>", builtin=None) -> SpectrometerCard:
    """Validate a card given as a dict (the parsed TOML) and build the card."""
    check_keys(table, CARD_SECTIONS, file=file, prefix="")
    det = get_table(table, "detector", file=file, required=True)
    check_keys(det, DETECTOR_KEYS, file=file, prefix="detector")
    name = get_str(det, "name", file=file, prefix="detector")
    module = get_str(det, "module", file=file, prefix="detector", choices=MODULES)

    spec = get_table(table, "spectrometer", file=file, required=True)
    check_keys(spec, SPECTROMETER_KEYS, file=file, prefix="spectrometer")
    kw = dict(file=file, prefix="spectrometer")
    values = {
        "x_th": get_float(spec, "x_th", gt=0.0, lt=1.0, **kw),
        "recoil": get_str(spec, "recoil", default="lepton", choices=RECOIL_MODES, **kw),
        "resolution": get_float(spec, "resolution", default=0.0, ge=0.0, le=1.0, **kw),
        "theta_max": get_float(spec, "theta_max", default=0.0, ge=0.0, le=3.141592653589793, **kw),
        "efficiency": get_float(spec, "efficiency", default=1.0, ge=0.0, le=1.0, **kw),
    }

    src = get_table(table, "sources", file=file)
    check_keys(src, SPECTROMETER_KEYS, file=file, prefix="sources")
    sources = []
    for key in SPECTROMETER_KEYS:
        if key in spec:
            if key not in src:
                raise ConfigError(f"missing source for spectrometer.{key}; every value set in a "
                                  "card needs a free-text source (paper, section, equation)",
                                  file=file, key=f"sources.{key}")
            text = get_str(src, key, file=file, prefix="sources")
            if not text.strip():
                raise ConfigError("empty source text", file=file, key=f"sources.{key}")
            sources.append((key, text))
        else:
            if key in src:
                raise ConfigError(f"source given for spectrometer.{key}, which is not set; set "
                                  "the value or remove the source", file=file, key=f"sources.{key}")
            sources.append((key, f"default ({SPECTROMETER_DEFAULTS[key]!r})"))
    return SpectrometerCard(name=name, module=module, sources=tuple(sources), file=str(file),
                            builtin=builtin, **values)
