"""Values given by users: quantities with units, and strict typed key lookup.

Steering files and detector cards give quantities as numbers (in a documented
default unit) or as strings with a unit, e.g. ``"160 GeV"``, ``"22.5 cm"`` or
``"40 X0"``.  :func:`parse_quantity` turns them into hepunits base units (MeV
for energies and masses, mm for lengths) with a regular expression; nothing is
ever evaluated.

The second half holds the small readers shared by :mod:`mcpgen.steering` and
:mod:`mcpgen.detectors.cards`: :func:`read_toml`, :func:`check_keys` (unknown
keys with a difflib suggestion) and typed getters with range checks.  Every
failure raises :class:`~mcpgen.errors.ConfigError` with one line naming the
file, the dotted key, the bad value and what is allowed.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path

from hepunits import GeV, MeV, TeV, cm, eV, keV, m, micrometer, mm

from .errors import ConfigError, read_user_text

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: unit name -> value in hepunits base units, per kind of quantity
UNITS = {
    "energy": {"eV": eV, "keV": keV, "MeV": MeV, "GeV": GeV, "TeV": TeV},
    "length": {"um": micrometer, "mm": mm, "cm": cm, "m": m},
    "number": {},
}
UNITS["mass"] = UNITS["energy"]  # masses in energy units (c = 1)
_ALIASES = {"µm": "um", "μm": "um"}  # micro sign and Greek mu
#: unit meaning "radiation lengths of the target material" (length only)
X0_UNIT = "X0"

_EXAMPLES = {"energy": "160 GeV", "mass": "100 MeV", "length": "22.5 cm", "number": "1e14"}
_QUANTITY = re.compile(
    r"^\s*(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"\s*(?P<unit>[^\W\d_][\w]*)?\s*$"
)


def _allowed_units(kind: str, default_unit: str) -> str:
    names = list(UNITS[kind])
    if kind == "length":
        names.append(f"{X0_UNIT} (radiation lengths of the target)")
    plain = f"a plain number is in {default_unit}" if default_unit else "a plain number"
    if not names:
        return f"allowed: {plain}, no unit"
    return f"allowed units: {', '.join(names)}; {plain}"


def parse_quantity(value, kind: str, *, default_unit: str, file=None, key=None,
                   material=None) -> float:
    """Return ``value`` in hepunits base units (MeV, mm; plain float for ``kind="number"``).

    Parameters
    ----------
    value : int, float or str
        A number (interpreted in ``default_unit``) or a string ``"<number> [unit]"``
        such as ``"160 GeV"``, ``"160GeV"``, ``"1e14"``, ``"350 um"``, ``"40 X0"``.
    kind : {"energy", "mass", "length", "number"}
        Energy/mass units: eV keV MeV GeV TeV.  Length units: um mm cm m, and
        X0 (radiation lengths of ``material``).  ``"number"`` takes no unit.
    default_unit : str
        Unit of a plain number (``""`` for ``kind="number"``).
    file, key :
        Named in the :class:`ConfigError` raised for bad input.
    material : mcpgen.sources.materials.Material, optional
        Needed for lengths given in X0.
    """
    if kind not in UNITS:
        raise ValueError(f"unknown quantity kind {kind!r}; allowed: {', '.join(UNITS)}")
    table = UNITS[kind]
    if default_unit and default_unit not in table:
        raise ValueError(f"default unit {default_unit!r} is not a {kind} unit")
    scale = table[default_unit] if default_unit else 1.0
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(
            f"expected a number or a string with a unit, got {type(value).__name__} {value!r}; "
            + _allowed_units(kind, default_unit), file=file, key=key)
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        if match is None:
            raise ConfigError(f"cannot parse {value!r} as {'an' if kind[0] in 'aeiou' else 'a'} "
                              f"{kind}; write e.g. "
                              f"'{_EXAMPLES[kind]}'; " + _allowed_units(kind, default_unit),
                              file=file, key=key)
        number = float(match["num"])
        unit = _ALIASES.get(match["unit"], match["unit"])
        if unit is None:  # plain number: default unit
            pass
        elif unit in table:
            scale = table[unit]
        elif unit == X0_UNIT and kind == "length":
            if material is None:
                raise ConfigError(f"{value!r}: a length in {X0_UNIT} needs a target material",
                                  file=file, key=key)
            scale = material.X0
        else:
            raise ConfigError(f"{value!r}: unknown unit {unit!r}; "
                              + _allowed_units(kind, default_unit), file=file, key=key)
    else:
        try:
            number = float(value)
        except OverflowError:  # a huge TOML integer
            number = math.inf
    result = number * scale
    if not math.isfinite(result):
        raise ConfigError(f"value {value!r} is not a finite number", file=file, key=key)
    return result


def _format(value: float, units) -> str:
    for name, scale in units:
        if abs(value) >= scale:
            return f"{value / scale:g} {name}"
    name, scale = units[-1]
    return f"{value / scale:g} {name}"


def format_energy(value: float) -> str:
    """Human-readable energy, e.g. ``format_energy(160000.0) == '160 GeV'`` (input in MeV)."""
    return _format(value, (("TeV", TeV), ("GeV", GeV), ("MeV", MeV), ("keV", keV), ("eV", eV)))


def format_length(value: float) -> str:
    """Human-readable length, e.g. ``format_length(225.0) == '22.5 cm'`` (input in mm)."""
    return _format(value, (("m", m), ("cm", cm), ("mm", mm), ("um", micrometer)))


# --------------------------------------------------------------------------
# strict readers shared by steering files and detector cards
# --------------------------------------------------------------------------

class _Missing:
    def __repr__(self):
        return "MISSING"


#: marker for "no default: the key is required"
MISSING = _Missing()


def dotted(prefix: str, name) -> str:
    """Join a key path: ``dotted("setup[0]", "beam") == "setup[0].beam"``."""
    return f"{prefix}.{name}" if prefix else str(name)


def read_toml(path) -> tuple[dict, str]:
    """Read a TOML file; return ``(table, raw text)``.  Errors name the file."""
    path = Path(path)
    text = read_user_text(path, "TOML file")
    return parse_toml(text, file=path), text


def parse_toml(text: str, *, file) -> dict:
    """Parse TOML text; a syntax error becomes a one-line ConfigError with line/column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = " ".join(str(exc).split())
        raise ConfigError(f"malformed TOML: {msg}", file=file) from None
    except RecursionError:
        raise ConfigError("TOML nested too deeply; allowed: ordinary steering/card tables",
                          file=file) from None


def check_keys(table: dict, allowed, *, file, prefix: str) -> None:
    """Reject keys of ``table`` not in ``allowed``, suggesting the closest valid key."""
    allowed = list(allowed)
    for name in table:
        if name not in allowed:
            close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ConfigError(f"unknown key; {hint}allowed: {', '.join(allowed)}",
                              file=file, key=dotted(prefix, name))


def get_table(table: dict, name: str, *, file, prefix: str = "", required: bool = False) -> dict:
    """Sub-table ``name`` (``{}`` if absent and not required)."""
    if name not in table:
        if required:
            raise ConfigError("missing required table", file=file, key=dotted(prefix, name))
        return {}
    value = table[name]
    if not isinstance(value, dict):
        raise ConfigError(f"expected a table ([{dotted(prefix, name)}]), got {_describe(value)}",
                          file=file, key=dotted(prefix, name))
    return value


def _describe(value) -> str:
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string",
             list: "array", dict: "table"}
    return f"{kinds.get(type(value), type(value).__name__)} {value!r}"


def _lookup(table, name, default, *, file, prefix):
    if name in table:
        return table[name], True
    if default is MISSING:
        raise ConfigError("missing required key", file=file, key=dotted(prefix, name))
    return default, False


def check_range(value, *, file, key, gt=None, ge=None, lt=None, le=None, note="") -> None:
    """Raise unless ``value`` satisfies the given bounds, e.g. ``gt=0, le=1``."""
    ok = ((gt is None or value > gt) and (ge is None or value >= ge)
          and (lt is None or value < lt) and (le is None or value <= le))
    if ok:
        return
    name = key.rsplit(".", 1)[-1]
    lower = (">", gt) if gt is not None else (">=", ge) if ge is not None else None
    upper = ("<", lt) if lt is not None else ("<=", le) if le is not None else None
    if lower and upper:  # "0 < eps <= 1"
        text = f"{lower[1]:g} {lower[0].replace('>', '<')} {name} {upper[0]} {upper[1]:g}"
    else:  # "events > 0"
        op, bound = lower or upper
        text = f"{name} {op} {bound:g}"
    raise ConfigError(f"value {value!r} out of range; allowed: {text}{note}",
                      file=file, key=key)


def get_str(table, name, *, file, prefix, default=MISSING, choices=None):
    """String value; with ``choices`` it must be one of them."""
    value, given = _lookup(table, name, default, file=file, prefix=prefix)
    if not given:
        return value
    key = dotted(prefix, name)
    allowed = f"; allowed: {', '.join(repr(c) for c in choices)}" if choices else ""
    if not isinstance(value, str):
        raise ConfigError(f"expected a string, got {_describe(value)}{allowed}", file=file, key=key)
    if choices is not None and value not in choices:
        close = difflib.get_close_matches(value, list(choices), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"invalid value {value!r}{hint}{allowed}", file=file, key=key)
    return value


def get_bool(table, name, *, file, prefix, default=MISSING):
    """Boolean value (TOML ``true``/``false`` only)."""
    value, given = _lookup(table, name, default, file=file, prefix=prefix)
    if given and not isinstance(value, bool):
        raise ConfigError(f"expected true or false, got {_describe(value)}",
                          file=file, key=dotted(prefix, name))
    return value


def get_int(table, name, *, file, prefix, default=MISSING, **bounds):
    """Integer value (an integral float such as ``2e4`` is accepted), with range ``bounds``."""
    value, given = _lookup(table, name, default, file=file, prefix=prefix)
    if not given:
        return value
    key = dotted(prefix, name)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"expected an integer, got {_describe(value)}", file=file, key=key)
    check_range(value, file=file, key=key, **bounds)
    return value


def get_float(table, name, *, file, prefix, default=MISSING, **bounds):
    """Real number (TOML integer or float, finite), with range ``bounds``."""
    value, given = _lookup(table, name, default, file=file, prefix=prefix)
    if not given:
        return value
    key = dotted(prefix, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"expected a number, got {_describe(value)}", file=file, key=key)
    try:
        value = float(value)
    except OverflowError:  # a huge TOML integer
        value = math.inf
    if not math.isfinite(value):
        raise ConfigError(f"value {value!r} is not a finite number", file=file, key=key)
    check_range(value, file=file, key=key, **bounds)
    return value


def get_quantity(table, name, kind, *, default_unit, file, prefix, default=MISSING,
                 material=None, positive=True):
    """Quantity in base units via :func:`parse_quantity`; with ``positive`` it must be > 0."""
    value, given = _lookup(table, name, default, file=file, prefix=prefix)
    if not given:
        return value
    key = dotted(prefix, name)
    result = parse_quantity(value, kind, default_unit=default_unit, file=file, key=key,
                            material=material)
    if positive and not result > 0:
        raise ConfigError(f"value {value!r} out of range; allowed: {name} > 0", file=file, key=key)
    return result
