"""The figures of a steering file: ``[[reference]]`` curves and ``[[plot]]`` layouts.

A ``[[reference]]`` is a curve drawn on the reach plots: existing bounds or another
study's reach, from a CSV file (columns ``m_chi_MeV``, ``eps`` and optionally
``eps_max``, the upper edge of an excluded band) or inline ``masses`` / ``eps``
arrays, always with a ``source``.  ``shaded = true`` shades the excluded region
(above the curve, or between ``eps`` and ``eps_max``).

A ``[[plot]]`` is one extra reach figure, ``reach_<name>.png`` and ``.pdf``: the
set-ups it draws with their colours and line styles (e.g. seed 004 Fig. 1: red
for sigma_0 = 2.1 MeV, blue for 4 MeV, solid for ionisation, dashed for delta
electrons) and the references it shows.  ``reach.png`` / ``reach.pdf`` always show
every set-up and every reference.

The resolved spec is plain JSON (:meth:`PlotSpec.to_dict`): it travels in the job
metadata, so ``mcpgen collect`` draws the same figures without the steering's CSV
files.  It does not enter the run identity: restyling a figure reuses the events.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .schema import Key, Section
from .units import parse_quantity

LINES = ("solid", "dashed", "dotted", "dashdot")

REFERENCE = Section("reference", (
    Key("label", "str", None, "legend text", default_doc="required"),
    Key("source", "str", None, "where the numbers come from (paper, figure, table)",
        default_doc="required"),
    Key("file", "str", None, "CSV file (relative to the steering file) with columns "
        "`m_chi_MeV`, `eps` and optionally `eps_max`; `#` lines are comments",
        default_doc="none: give `masses` and `eps`"),
    Key("masses", "any", None, "inline masses (number = MeV)", type_doc="array of masses",
        default_doc="none"),
    Key("eps", "any", None, "inline eps values, one per mass", type_doc="array of numbers",
        default_doc="none"),
    Key("eps_max", "any", None, "inline upper edges of an excluded band, one per mass",
        type_doc="array of numbers", default_doc="none: excluded up to the top of the plot"),
    Key("shaded", "bool", False, "shade the excluded region instead of drawing a dashed line"),
))

PLOT = Section("plot", (
    Key("name", "str", None, "figure name: writes `reach_<name>.png` and `.pdf`",
        default_doc="required"),
    Key("title", "str", "", "axes title"),
    Key("curves", "any", None, "the set-ups drawn, each a label or a table `{setup, channel, "
        "color, line, label}` (`line`: " + ", ".join(f"`{x}`" for x in LINES) + "; "
        "`channel`: one channel of a multi-channel set-up, default their sum)",
        type_doc="array", default_doc="every set-up"),
    Key("references", "any", None, "labels of the `[[reference]]` curves shown",
        type_doc="array of strings", default_doc="every reference"),
))

CURVE = Section("curve", (
    Key("setup", "str", None, "set-up label", default_doc="required"),
    Key("channel", "str", "", "channel of a multi-channel set-up (default: their sum)"),
    Key("color", "str", "", "matplotlib colour"),
    Key("line", "str", "solid", "line style", choices=LINES),
    Key("label", "str", "", "legend text", default_doc="the set-up label"),
))


@dataclass(frozen=True)
class Reference:
    label: str
    source: str
    masses: tuple            #: MeV
    eps: tuple
    eps_max: tuple | None = None
    shaded: bool = False


@dataclass(frozen=True)
class Curve:
    setup: str
    channel: str = ""
    color: str = ""
    line: str = "solid"
    label: str = ""


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    curves: tuple | None       #: None: every set-up
    references: tuple | None   #: None: every reference


@dataclass(frozen=True)
class PlotSpec:
    references: tuple = ()
    figures: tuple = ()

    def to_dict(self) -> dict:
        return {"references": [vars(r) | {"masses": list(r.masses), "eps": list(r.eps),
                                          "eps_max": None if r.eps_max is None else list(r.eps_max)}
                               for r in self.references],
                "figures": [{"name": f.name, "title": f.title,
                             "curves": None if f.curves is None else [vars(c) for c in f.curves],
                             "references": None if f.references is None else list(f.references)}
                            for f in self.figures]}

    @classmethod
    def from_dict(cls, d) -> "PlotSpec":
        d = d or {}
        refs = tuple(Reference(r["label"], r["source"], tuple(r["masses"]), tuple(r["eps"]),
                               None if r.get("eps_max") is None else tuple(r["eps_max"]),
                               bool(r.get("shaded"))) for r in d.get("references", ()))
        figs = tuple(Figure(f["name"], f.get("title", ""),
                            None if f.get("curves") is None else
                            tuple(Curve(**c) for c in f["curves"]),
                            None if f.get("references") is None else tuple(f["references"]))
                     for f in d.get("figures", ()))
        return cls(refs, figs)

    def to_steering(self) -> dict:
        """The ``reference`` / ``plot`` arrays of :meth:`Steering.to_dict` (inline values)."""
        out = {}
        if self.references:
            out["reference"] = [{k: v for k, v in r.items() if v is not None}
                                for r in self.to_dict()["references"]]
        if self.figures:
            out["plot"] = [{k: v for k, v in f.items() if v is not None}
                           for f in self.to_dict()["figures"]]
        return out


def _array_of_tables(d, name, file):
    raw = d.get(name, [])
    if isinstance(raw, dict):
        raise ConfigError(f"expected an array of tables; write [[{name}]] (double brackets)",
                          file=file, key=name)
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ConfigError(f"expected [[{name}]] tables", file=file, key=name)
    return raw


def _numbers(values, key, file, *, positive=True):
    if not isinstance(values, list) or not values:
        raise ConfigError(f"expected a non-empty array of numbers, got {values!r}", file=file,
                          key=key)
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or (
                positive and v <= 0):
            raise ConfigError(f"value {v!r} out of range; allowed: finite numbers > 0", file=file,
                              key=f"{key}[{i}]")
        out.append(float(v))
    return tuple(out)


def _read_csv(path, key, file):
    """(masses, eps, eps_max or None) of a reference CSV."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(line for line in fh if not line.lstrip().startswith("#"))
                    if r and any(c.strip() for c in r)]
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror or e}", file=file, key=key) from None
    if not rows:
        raise ConfigError(f"{path} is empty; allowed: a header m_chi_MeV,eps[,eps_max] and rows",
                          file=file, key=key)
    header = [c.strip() for c in rows[0]]
    if header[:2] != ["m_chi_MeV", "eps"] or header[2:] not in ([], ["eps_max"]):
        raise ConfigError(f"{path}: header {','.join(header)!r}; allowed: m_chi_MeV,eps or "
                          "m_chi_MeV,eps,eps_max", file=file, key=key)
    cols = [[] for _ in header]
    for n, r in enumerate(rows[1:], start=2):
        try:
            vals = [float(c) for c in r]
        except ValueError:
            vals = []
        if len(vals) != len(header) or not all(math.isfinite(v) and v > 0 for v in vals):
            raise ConfigError(f"{path} row {n}: {','.join(r)!r}; allowed: {len(header)} finite "
                              "numbers > 0", file=file, key=key)
        for c, v in zip(cols, vals):
            c.append(v)
    if not cols[0]:
        raise ConfigError(f"{path} has no data rows", file=file, key=key)
    return tuple(cols[0]), tuple(cols[1]), tuple(cols[2]) if len(cols) == 3 else None


def _reference(t, i, file, base_dir) -> Reference:
    prefix = f"reference[{i}]"
    v = REFERENCE.read(t, file=file, prefix=prefix)
    for k in ("label", "source"):
        if not v[k]:
            raise ConfigError("missing required key", file=file, key=f"{prefix}.{k}")
    inline = "masses" in t or "eps" in t
    if ("file" in t) == inline:
        raise ConfigError("give either 'file' or 'masses' and 'eps'", file=file, key=f"{prefix}.file")
    if "file" in t:
        path = Path(v["file"])
        if not path.is_absolute():
            path = Path(base_dir or ".") / path
        masses, eps, eps_max = _read_csv(path, f"{prefix}.file", file)
    else:
        if "masses" not in t or "eps" not in t:
            raise ConfigError("inline references need both 'masses' and 'eps'", file=file,
                              key=f"{prefix}.masses")
        raw = t["masses"]
        if not isinstance(raw, list) or not raw:
            raise ConfigError(f"expected a non-empty array of masses, got {raw!r}", file=file,
                              key=f"{prefix}.masses")
        masses = tuple(parse_quantity(m, "mass", default_unit="MeV", file=file,
                                      key=f"{prefix}.masses[{j}]") for j, m in enumerate(raw))
        eps = _numbers(t["eps"], f"{prefix}.eps", file)
        eps_max = _numbers(t["eps_max"], f"{prefix}.eps_max", file) if "eps_max" in t else None
        for name, arr in (("eps", eps), ("eps_max", eps_max)):
            if arr is not None and len(arr) != len(masses):
                raise ConfigError(f"{len(arr)} values for {len(masses)} masses; allowed: one per "
                                  "mass", file=file, key=f"{prefix}.{name}")
    if eps_max is not None:
        for j, (lo, hi) in enumerate(zip(eps, eps_max)):
            if not hi > lo:
                where = f"{prefix}.eps_max[{j}]" if "file" not in t else f"{prefix}.file"
                raise ConfigError(f"eps_max {hi:g} is not above eps {lo:g} (row {j + 1}); "
                                  "allowed: eps < eps_max (the band excluded between them)",
                                  file=file, key=where)
    return Reference(v["label"], v["source"], masses, eps, eps_max, v["shaded"])


def _curve(c, key, file, setups, channels) -> Curve:
    if isinstance(c, str):
        c = {"setup": c}
    if not isinstance(c, dict):
        raise ConfigError(f"expected a set-up label or a table, got {c!r}", file=file, key=key)
    v = CURVE.read(c, file=file, prefix=key)
    if v["setup"] not in setups:
        raise ConfigError(f"no set-up labelled {v['setup']!r}; allowed: {', '.join(setups)}",
                          file=file, key=f"{key}.setup")
    allowed = list(channels) + (["sum"] if len(channels) > 1 else [])
    if v["channel"] and v["channel"] not in allowed:
        raise ConfigError(f"no channel {v['channel']!r} in the study; allowed: "
                          f"{', '.join(allowed)}", file=file, key=f"{key}.channel")
    if v["color"]:
        from matplotlib.colors import is_color_like   # only when a colour is given

        if not is_color_like(v["color"]):
            raise ConfigError(f"unknown colour {v['color']!r}; allowed: a matplotlib colour "
                              "name (red, tab:blue, ...) or '#rrggbb'", file=file,
                              key=f"{key}.color")
    return Curve(**v)


def _figure(t, i, file, setups, channels, ref_labels) -> Figure:
    from .steering import slug

    prefix = f"plot[{i}]"
    v = PLOT.read(t, file=file, prefix=prefix)
    if not v["name"]:
        raise ConfigError("missing required key", file=file, key=f"{prefix}.name")
    if slug(v["name"]) != v["name"]:
        raise ConfigError(f"name {v['name']!r}; allowed: letters, digits, - and _", file=file,
                          key=f"{prefix}.name")
    curves = None
    if "curves" in t:
        raw = t["curves"]
        if not isinstance(raw, list) or not raw:
            raise ConfigError("expected a non-empty array of set-ups", file=file,
                              key=f"{prefix}.curves")
        curves = tuple(_curve(c, f"{prefix}.curves[{j}]", file, setups, channels)
                       for j, c in enumerate(raw))
    refs = None
    if "references" in t:
        raw = t["references"]
        if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
            raise ConfigError(f"expected an array of reference labels, got {raw!r}", file=file,
                              key=f"{prefix}.references")
        for j, r in enumerate(raw):
            if r not in ref_labels:
                raise ConfigError(f"no [[reference]] labelled {r!r}; allowed: "
                                  f"{', '.join(ref_labels) or '(none defined)'}", file=file,
                                  key=f"{prefix}.references[{j}]")
        refs = tuple(raw)
    return Figure(v["name"], v["title"], curves, refs)


def read_plot_spec(d, *, file, base_dir, setups, channels=("brem",)) -> PlotSpec:
    """The ``[[reference]]`` and ``[[plot]]`` arrays of steering table ``d``;
    ``setups``: the set-up labels, ``channels``: the study's channels."""
    refs = tuple(_reference(t, i, file, base_dir)
                 for i, t in enumerate(_array_of_tables(d, "reference", file)))
    labels = [r.label for r in refs]
    for i, lab in enumerate(labels):
        if lab in labels[:i]:
            raise ConfigError(f"reference label {lab!r} is used twice", file=file,
                              key=f"reference[{i}].label")
    figs = tuple(_figure(t, i, file, list(setups), tuple(channels), labels)
                 for i, t in enumerate(_array_of_tables(d, "plot", file)))
    names = [f.name for f in figs]
    for i, n in enumerate(names):
        if n in names[:i] or n == "":
            raise ConfigError(f"figure name {n!r} is used twice", file=file, key=f"plot[{i}].name")
    return PlotSpec(refs, figs)


def markdown() -> list:
    """README rows of the two arrays."""
    rows = ["| `reference` | array of tables `[[reference]]` | none | curves drawn on the reach "
            "plots (existing bounds, other studies) |"]
    rows += REFERENCE.markdown()
    rows.append("| `plot` | array of tables `[[plot]]` | none | extra reach figures "
                "(`reach.png`/`.pdf` always shows everything) |")
    rows += PLOT.markdown()
    rows += CURVE.markdown("plot.curves")
    return rows


__all__ = ["PlotSpec", "Reference", "Figure", "Curve", "read_plot_spec", "LINES"]
