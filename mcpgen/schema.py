"""One declaration per setting: keys of steering files and cards, declared once.

A :class:`Key` holds a setting's name, kind, default, unit, bounds and doc; a
:class:`Section` (one TOML table) reads and validates a table from its keys,
builds the frozen config dataclass and writes the README reference table, so a
default is written in one place only.  Reading is strict: unknown keys (with a
suggestion), wrong types and out-of-range values raise
:class:`~mcpgen.errors.ConfigError` naming the file and the dotted key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .units import (MISSING, check_keys, get_bool, get_float, get_int, get_quantity, get_str,
                    get_table)

_READERS = {"str": get_str, "bool": get_bool, "int": get_int, "float": get_float}
_TYPE_DOC = {"str": "string", "bool": "boolean", "int": "integer", "float": "number"}


@dataclass(frozen=True)
class Key:
    """One setting.  ``kind``: "str", "bool", "int", "float", "energy", "mass", "length",
    "count" (a number that may be written as a string, "1e14") or "table"/"any" (read by
    the owner).  ``bounds``: gt/ge/lt/le; ``unit``: default unit of a quantity."""

    name: str
    kind: str
    default: object = MISSING
    doc: str = ""
    choices: tuple | None = None
    bounds: dict = field(default_factory=dict)
    unit: str = ""
    default_doc: str = ""     #: README text for a computed default ("the card's x_th")
    type_doc: str = ""        #: README text for the type, if not the kind's

    def read(self, table, *, file, prefix, material=None):
        kw = dict(file=file, prefix=prefix, default=self.default)
        if self.kind in ("str",):
            return get_str(table, self.name, choices=self.choices, **kw)
        if self.kind in _READERS:
            return _READERS[self.kind](table, self.name, **kw, **self.bounds)
        if self.kind in ("energy", "mass", "length", "count"):
            kind = "number" if self.kind == "count" else self.kind
            return get_quantity(table, self.name, kind, default_unit=self.unit,
                                material=material, **kw)
        return table.get(self.name, self.default)

    def markdown(self, prefix) -> str:
        typ = self.type_doc or _TYPE_DOC.get(self.kind, self.kind)
        if self.default_doc:
            default = self.default_doc
        elif self.default is MISSING:
            default = "required"
        elif self.default is None:
            default = "none"
        else:
            default = f"`{_toml(self.default)}`"
        return f"| `{prefix}.{self.name}` | {typ} | {default} | {self.doc} |"


def _toml(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


@dataclass(frozen=True)
class Section:
    """A TOML table of declared keys."""

    name: str
    keys: tuple

    @property
    def names(self) -> tuple:
        return tuple(k.name for k in self.keys)

    def read(self, table, *, file, prefix=None, extra=(), material=None) -> dict:
        """Validated values of the declared keys (``extra`` names are allowed and left
        to the caller)."""
        prefix = self.name if prefix is None else prefix
        check_keys(table, self.names + tuple(extra), file=file, prefix=prefix)
        return {k.name: k.read(table, file=file, prefix=prefix, material=material)
                for k in self.keys if k.kind not in ("table", "any")}

    def table(self, parent, *, file, required=False):
        return get_table(parent, self.name, file=file, required=required)

    def dataclass(self, cls_name, *, doc="", skip=()):
        """A frozen dataclass with one field per plain key (defaults from the declaration)."""
        fields_ = []
        required = [k for k in self.keys if k.default is MISSING and k.name not in skip
                    and k.kind not in ("table", "any")]
        optional = [k for k in self.keys if k.default is not MISSING and k.name not in skip
                    and k.kind not in ("table", "any")]
        for k in required:
            fields_.append((k.name, object))
        for k in optional:
            fields_.append((k.name, object, dataclasses.field(default=k.default)))
        cls = dataclasses.make_dataclass(cls_name, fields_, frozen=True)
        cls.__doc__ = doc or f"``[{self.name}]`` settings (declared in mcpgen.steering)."
        return cls

    def markdown(self, prefix=None) -> list:
        prefix = self.name if prefix is None else prefix
        return [k.markdown(prefix) for k in self.keys]
