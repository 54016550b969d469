"""Detector cards: TOML files describing a detector and where its numbers come from.

A card has a ``[detector]`` table (``name``, ``module``) that selects a detector
module from :data:`mcpgen.framework.registry.DETECTORS`; the module declares and
validates the rest of the card (e.g. :mod:`mcpgen.detectors.spectrometer`).
Built-in cards (``na64mu``, ``na64e``, ``ldmx``) ship as package data in
``mcpgen/data/detectors/``; identical copies live in the top-level
``detectors/`` folder of the repository for reading and as templates.  A user
card is given by path (after DarkNews ``Detector(experiment)``).  Unknown or
misspelled keys, wrong types, out-of-range values and numbers without a source
raise :class:`~mcpgen.errors.ConfigError` naming the card file and the key.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from ..errors import ConfigError
from ..units import check_keys, get_str, get_table, parse_toml, read_toml

#: names of the cards shipped with mcpgen
BUILTIN_CARDS = ("na64mu", "na64e", "ldmx", "ship_scatter", "stcf_tracker", "stcf_tracker_delta")
DETECTOR_KEYS = ("name", "module")


def card_table(module: str, section, example: str) -> str:
    """The README table of a module's card keys, generated from its ``section``
    declaration (:class:`mcpgen.schema.Section`)."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|",
            f"| `detector.name` | string | required | display name, e.g. `\"{example}\"` |",
            "| `detector.module` | string | required | detector module (`mcpgen list`): "
            f"`\"{module}\"` |", *section.markdown(),
            f"| `sources.<key>` | string | required for every `{section.name}` key that is set | "
            "free-text source of the number (paper, section, equation) |"]
    return "\n".join(rows) + "\n"


def card_header(table, module: str, sections, *, file) -> tuple:
    """Check a card's top-level tables against ``sections`` and read ``[detector]``:
    returns ``(name, module)``, the module required to be ``module``."""
    check_keys(table, sections, file=file, prefix="")
    det = get_table(table, "detector", file=file, required=True)
    return (get_str(det, "name", file=file, prefix="detector"),
            get_str(det, "module", file=file, prefix="detector", choices=(module,)))


def card_sources(table, section: str, keys, body: dict, defaults: dict, *, file) -> tuple:
    """The ``(key, source)`` pairs of a card's ``[sources]`` table for its ``[section]``:
    every key set in ``body`` needs a non-empty free-text source, and no source may be
    given for a key that is not set (``defaults[key]`` names the default then)."""
    src = get_table(table, "sources", file=file)
    check_keys(src, keys, file=file, prefix="sources")
    sources = []
    for key in keys:
        if key in body:
            if key not in src:
                raise ConfigError(f"missing source for {section}.{key}; every value set in a "
                                  "card needs a free-text source (paper, section, equation)",
                                  file=file, key=f"sources.{key}")
            text = get_str(src, key, file=file, prefix="sources")
            if not text.strip():
                raise ConfigError("empty source text", file=file, key=f"sources.{key}")
            sources.append((key, text))
        else:
            if key in src:
                raise ConfigError(f"source given for {section}.{key}, which is not set; set the "
                                  "value or remove the source", file=file, key=f"sources.{key}")
            sources.append((key, f"default ({defaults[key]})"))
    return tuple(sources)


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
    try:
        exists = path.is_file()
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise CardNotFound(f"detector card path unusable: {exc.strerror}; give a built-in card "
                           f"({', '.join(BUILTIN_CARDS)}) or an existing file") from None
    if not exists:
        close = difflib.get_close_matches(value, BUILTIN_CARDS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise CardNotFound(f"detector card {value!r} not found: no file {str(path)!r} and not a "
                           f"built-in card; {hint}built-in: {', '.join(BUILTIN_CARDS)}")
    return str(path), None, None


def load_card(name_or_path, *, base_dir=None):
    """Load a built-in card by name or a user card by path (see :func:`find_card`)."""
    label, text, builtin = find_card(name_or_path, base_dir=base_dir)
    if text is None:
        table, _ = read_toml(label)
    else:
        table = parse_toml(text, file=label)
    return card_from_dict(table, file=label, builtin=builtin)


def card_from_dict(table: dict, *, file="<dict>", builtin=None):
    """Validate a card given as a dict (the parsed TOML): ``[detector]`` here, the rest by
    the module it names."""
    from ..framework.registry import DETECTORS

    if not isinstance(table, dict):
        raise ConfigError("expected a table", file=file)
    det = get_table(table, "detector", file=file, required=True)
    check_keys(det, DETECTOR_KEYS, file=file, prefix="detector")
    get_str(det, "name", file=file, prefix="detector")
    module = DETECTORS.get(get_str(det, "module", file=file, prefix="detector"), file=file,
                           key="detector.module")
    return module.card_from_table(table, file=file, builtin=builtin)


def detector_module(card):
    """The detector module instance configured by ``card``."""
    from ..framework.registry import DETECTORS

    return DETECTORS.get(card.module)(card)
