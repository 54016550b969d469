"""Tabulated meson spectra: the source of meson-decay channels at proton beam dumps.

A spectrum table gives, per meson species, the number of mesons per proton on
target (POT) in bins of lab momentum and polar angle (uniform in log10 p/GeV and
log10 theta/rad).  The shipped tables (``mcpgen/data/meson_spectra/*.csv``) were
made with real hadronic models by ``python -m mcpgen.sources.meson_tables``; users
give their own in the same CSV format:

    # mcpgen meson spectrum table, format 1
    # model = ...            (free "# key = value" header lines, stored as provenance)
    meson,log10_p_lo,log10_p_hi,log10_theta_lo,log10_theta_hi,per_pot[,stat_err]
    pi0,-1.0,-0.9,-4.0,-3.9,1.234e-03,1.0e-05

(``log10_E_lo``/``log10_E_hi``, the total lab energy in GeV, may replace the momentum
columns).  Meson names are those of the ``particle`` package or the short aliases
of :mod:`mcpgen.physics.mesons`.

Exposure: the event weights of a meson channel are decays per POT (mesons per POT x
BR at the reference eps), so N = POT x sum_i w_i eff_i and the exposure is the POT.
Parents are sampled exactly from the table (a bin with probability proportional to
its content, then uniform in log10 p and log10 theta inside it, uniform azimuth),
so every event of a channel has the same weight.  Mesons are produced and decay at
the origin, the front of the dump (the tabulated species decay promptly: c tau <=
0.3 um from the PDG lifetimes, 25 nm for the pi0); detector distances are measured
from there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError, read_user_text
from ..framework.source import Source
from ..schema import Key, Section

#: the shipped tables
DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "meson_spectra"
MAX_POT = 1e30
LOG10_PI = math.log10(math.pi)
COLUMNS_P = ("meson", "log10_p_lo", "log10_p_hi", "log10_theta_lo", "log10_theta_hi", "per_pot")
COLUMNS_E = ("meson", "log10_E_lo", "log10_E_hi", "log10_theta_lo", "log10_theta_hi", "per_pot")

#: steering keys of the source, declared once (validation and README table)
KEYS = Section("setup", (
    Key("protons_on_target", "count", doc="protons on target (POT), > 0; `2e20` or `\"2e20\"`",
        type_doc="number"),
    Key("spectrum", "str", doc="meson spectrum table: a shipped one (`mcpgen list`, e.g. "
        "`\"sibyll23d_400GeV\"`) or the path of a CSV file (relative to the steering file)"),
))


@dataclass(frozen=True)
class SpeciesSpectrum:
    """The bins of one species: edges in log10 (GeV, rad) and mesons per POT."""

    lo: np.ndarray          #: (n, 2) lower edges (log10 p or log10 E, log10 theta)
    hi: np.ndarray          #: (n, 2) upper edges
    per_pot: np.ndarray     #: (n,)
    stat_err: np.ndarray    #: (n,) (zeros if the table has none)

    @property
    def total(self) -> float:
        return float(self.per_pot.sum())

    @property
    def total_err(self) -> float:
        return float(np.sqrt((self.stat_err ** 2).sum()))


@dataclass(frozen=True)
class MesonTable:
    """A parsed spectrum table (see the module docstring)."""

    file: str
    variable: str                       #: "p" or "E"
    header: dict = field(default_factory=dict)
    species: dict = field(default_factory=dict)   #: canonical name -> SpeciesSpectrum

    def multiplicities(self) -> dict:
        return {k: v.total for k, v in self.species.items()}


def builtin_spectra() -> tuple:
    """Names of the shipped tables."""
    return tuple(sorted(p.stem for p in DATA_DIR.glob("*.csv")))


def resolve_spectrum(name: str, *, base_dir=None, file=None, key="spectrum") -> Path:
    """The path of a shipped table ``name`` or of a user CSV (relative to ``base_dir``)."""
    if name in builtin_spectra():
        return DATA_DIR / f"{name}.csv"
    path = Path(name)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if path.suffix.lower() != ".csv" or not path.exists():
        raise ConfigError(f"spectrum {name!r} is neither a shipped table ("
                          f"{', '.join(builtin_spectra()) or 'none'}) nor an existing .csv file",
                          file=file, key=key)
    return path


def read_table(path) -> MesonTable:
    """Parse and validate a spectrum CSV; bad content is a one-line ConfigError naming the
    file and the line."""
    from ..physics.mesons import canonical_name

    path = Path(path)
    text = read_user_text(path, "CSV file")
    header, rows, columns = {}, {}, None
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            k, eq, v = s[1:].partition("=")
            if eq:
                header[k.strip()] = v.strip()
            continue
        cells = [c.strip() for c in s.split(",")]
        if columns is None:
            if tuple(cells[:6]) not in (COLUMNS_P, COLUMNS_E) or cells[6:] not in ([], ["stat_err"]):
                raise ConfigError(f"header row {s!r}; allowed: {','.join(COLUMNS_P)}[,stat_err] "
                                  f"or {','.join(COLUMNS_E)}[,stat_err]", file=path, key=f"line {n}")
            columns = cells
            continue
        if len(cells) != len(columns):
            raise ConfigError(f"{len(cells)} values, expected {len(columns)} ({','.join(columns)})",
                              file=path, key=f"line {n}")
        name = canonical_name(cells[0], key=f"line {n}, column meson", file=path)
        try:
            vals = [float(c) for c in cells[1:]]
        except ValueError:
            raise ConfigError(f"non-numeric value in {s!r}", file=path, key=f"line {n}") from None
        if not all(math.isfinite(v) for v in vals):
            raise ConfigError(f"non-finite value in {s!r}", file=path, key=f"line {n}")
        if not (vals[0] < vals[1] and vals[2] < vals[3]):
            raise ConfigError(f"bin edges not increasing in {s!r}; allowed: lo < hi",
                              file=path, key=f"line {n}")
        if vals[4] < 0 or (len(vals) > 5 and vals[5] < 0):
            raise ConfigError(f"negative per_pot or stat_err in {s!r}; allowed: >= 0",
                              file=path, key=f"line {n}")
        if vals[2] >= LOG10_PI:
            raise ConfigError(f"log10_theta_lo = {vals[2]:g} >= log10(pi); allowed: a bin "
                              "starting below theta = pi", file=path, key=f"line {n}")
        rows.setdefault(name, []).append(vals)
    if columns is None or not rows:
        raise ConfigError("no header row or no bins; expected the columns "
                          f"{','.join(COLUMNS_P)}[,stat_err]", file=path)
    species = {}
    for name, r in rows.items():
        a = np.array(r, float)
        if not a[:, 4].sum() > 0:
            raise ConfigError(f"every bin of {name} is empty; allowed: at least one bin with "
                              "per_pot > 0 (or leave the species out)", file=path)
        err = a[:, 5] if a.shape[1] > 5 else np.zeros(len(a))
        species[name] = SpeciesSpectrum(lo=a[:, [0, 2]], hi=a[:, [1, 3]], per_pot=a[:, 4],
                                        stat_err=err)
    return MesonTable(file=str(path), variable="p" if columns[1].startswith("log10_p") else "E",
                      header=header, species=species)


@dataclass(frozen=True)
class MesonSpectrumSource(Source):
    """Mesons from a tabulated spectrum, ``protons_on_target`` POT (module docstring)."""

    protons_on_target: float
    spectrum: str
    table: MesonTable

    kind = "meson-spectrum"
    #: one line for `mcpgen list`
    description = ("mesons from a tabulated spectrum (shipped table or CSV), exposure "
                   "`protons_on_target`")
    weight_unit = "per POT"
    keys = KEYS.names

    @classmethod
    def from_table(cls, t, *, file, prefix):
        # unknown keys are the steering's check (SETUP.read with extra = these keys)
        v = KEYS.read(t, file=file, prefix=prefix, extra=tuple(t))
        if not v["protons_on_target"] <= MAX_POT:
            raise ConfigError(f"value {t['protons_on_target']!r} out of range; allowed: 0 < "
                              f"protons_on_target <= {MAX_POT:.0e}", file=file,
                              key=f"{prefix}.protons_on_target")
        base = Path(file).parent if file and not str(file).startswith("<") else None
        path = resolve_spectrum(v["spectrum"], base_dir=base, file=file, key=f"{prefix}.spectrum")
        return cls(protons_on_target=v["protons_on_target"], spectrum=v["spectrum"],
                   table=read_table(path))

    @property
    def exposure(self) -> float:
        """POT: the weights are decays per POT."""
        return self.protons_on_target

    def species(self, name: str, *, file=None, key=None) -> SpeciesSpectrum:
        if name not in self.table.species:
            raise ConfigError(f"spectrum {self.spectrum!r} has no {name}; it has "
                              f"{', '.join(self.table.species)}", file=file, key=key)
        return self.table.species[name]

    def kernel_table(self, name: str) -> tuple:
        """(cdf, guide, lo, hi, is_energy) of species ``name`` for
        :func:`mcpgen.generators.meson_decay.table_parent`: the cumulative bin contents
        from 0 to 1 (n + 1 nodes), its guide table and the (n, 2) bin edges."""
        from ..generators.meson_decay import guide_table

        sp = self.species(name)
        cdf = np.concatenate([[0.0], np.cumsum(sp.per_pot)])
        cdf /= cdf[-1]
        cdf[-1] = 1.0
        hi = np.array(sp.hi)
        hi[:, 1] = np.minimum(hi[:, 1], LOG10_PI)   # a last bin reaching past pi holds theta <= pi
        return (cdf, guide_table(cdf), np.ascontiguousarray(sp.lo), hi, self.table.variable == "E")

    def sample(self, name: str, mass, u):
        """Lab four-momenta (n, 4) of mesons ``name`` of mass ``mass`` (MeV, scalar or (n,))
        from uniforms u (n, 4): bin, log10 p (or E), log10 theta, azimuth."""
        from ..generators.meson_decay import table_parents

        u = np.ascontiguousarray(u, dtype=np.float64)
        mass = np.ascontiguousarray(np.broadcast_to(np.asarray(mass, float), (len(u),)))
        out = np.empty((len(u), 4))
        table_parents(u, *self.kernel_table(name), mass, out)
        return out

    def metadata(self) -> dict:
        return {"source": self.kind, "spectrum": self.spectrum, "spectrum_file": self.table.file,
                "spectrum_header": dict(self.table.header),
                "protons_on_target": self.protons_on_target,
                "exposure": self.exposure, "weight_unit": self.weight_unit,
                "exposure_note": "POT; weights are meson decays per POT (mesons per POT x BR)"}

    def to_table(self) -> dict:
        return {"source": self.kind, "protons_on_target": self.protons_on_target,
                "spectrum": self.spectrum if self.spectrum in builtin_spectra() else self.table.file}
