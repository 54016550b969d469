"""Colliding e+e- beams: the source of e+e- -> chi chibar (gamma).

Exposure: the event weights are cross sections in pb, so N = L_int x sum_i w_i eff_i
and the exposure is the integrated luminosity in pb^-1 (``luminosity`` is given in
fb^-1, 1 fb^-1 = 1000 pb^-1).  The beams collide head on along z (e- along +z) in the
centre-of-mass frame at the nominal ``sqrt_s``; the source carries what shapes the
collision energy of an event: a Gaussian spread ``energy_spread`` of sqrt(s) itself
(seed 004 eq. 2 writes the spread sigma_0 in sqrt(s); a per-beam spread sigma_b is
sigma_0 = sqrt(2) sigma_b), initial-state radiation (``isr``, models of
:mod:`mcpgen.physics.ee_annihilation`) and an optional Gaussian length of the
luminous region ``vertex_sigma_z``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError
from ..framework.source import Source
from ..physics.ee_annihilation import ISR_MODELS
from ..schema import Key, Section

MAX_SQRT_S = 1e7          #: MeV (10 TeV)

#: steering keys of the source, declared once (validation and README table)
KEYS = Section("setup", (
    Key("sqrt_s", "energy", doc="nominal collision energy sqrt(s) (number = GeV), > 2 m_e",
        unit="GeV"),
    Key("luminosity", "count", doc="integrated luminosity in fb^-1, > 0", type_doc="number"),
    Key("energy_spread", "any", 0.0, "Gaussian spread of sqrt(s) (number = MeV; a per-beam "
        "spread sigma_b gives sqrt(2) sigma_b), >= 0", unit="MeV", type_doc="energy"),
    Key("isr", "str", "kuraev-fadin", "initial-state radiation: `\"none\"`, `\"kuraev-fadin\"` "
        "(full structure function), `\"leading\"`, `\"seed\"` (seed 004's simplified form)",
        choices=ISR_MODELS),
    Key("vertex_sigma_z", "any", 0.0, "Gaussian length of the luminous region along z "
        "(number = mm), >= 0", unit="mm", type_doc="length"),
))


@dataclass(frozen=True)
class ColliderSource(Source):
    """e+e- beams at ``sqrt_s`` (MeV) with ``luminosity`` fb^-1 (module docstring)."""

    sqrt_s: float
    luminosity: float
    energy_spread: float = 0.0
    isr: str = "kuraev-fadin"
    vertex_sigma_z: float = 0.0

    kind = "collider"
    #: one line for `mcpgen list`
    description = ("e+e- collisions at `sqrt_s` (number = GeV) with `luminosity` fb^-1, a "
                   "Gaussian `energy_spread` and ISR")
    weight_unit = "pb"
    keys = KEYS.names

    def __post_init__(self):
        from ..constants import M_E

        for key, value, ok, allowed in (
                ("sqrt_s", self.sqrt_s, 2 * M_E < self.sqrt_s <= MAX_SQRT_S,
                 "2 m_e < sqrt_s <= 10 TeV"),
                ("luminosity", self.luminosity, 0 < self.luminosity <= 1e12, "0 < luminosity <= 1e12 fb^-1"),
                ("energy_spread", self.energy_spread,
                 0 <= self.energy_spread <= 0.1 * self.sqrt_s, "0 <= energy_spread <= 0.1 sqrt_s"),
                ("vertex_sigma_z", self.vertex_sigma_z, 0 <= self.vertex_sigma_z <= 1e4,
                 "0 <= vertex_sigma_z <= 10 m")):
            if not ok:
                raise ConfigError(f"value {value!r} out of range; allowed: {allowed}", key=key)
        if self.isr not in ISR_MODELS:
            raise ConfigError(f"unknown ISR model {self.isr!r}; allowed: {', '.join(ISR_MODELS)}",
                              key="isr")

    @classmethod
    def from_table(cls, t, *, file, prefix):
        from ..units import get_quantity

        v = KEYS.read(t, file=file, prefix=prefix, extra=tuple(t))
        for key, kind, unit in (("energy_spread", "energy", "MeV"),
                                ("vertex_sigma_z", "length", "mm")):   # zero is allowed here
            v[key] = get_quantity(t, key, kind, default_unit=unit, file=file, prefix=prefix,
                                  default=0.0, positive=False)
        try:
            return cls(**v)
        except ConfigError as e:
            raise ConfigError(str(e).split(": ", 1)[-1], file=file, key=f"{prefix}.{e.key}") \
                from None

    @property
    def exposure(self) -> float:
        """Integrated luminosity in pb^-1."""
        return self.luminosity * 1000.0

    def metadata(self) -> dict:
        return {"source": self.kind, "sqrt_s_MeV": self.sqrt_s, "luminosity_fb": self.luminosity,
                "energy_spread_MeV": self.energy_spread, "isr": self.isr,
                "vertex_sigma_z_mm": self.vertex_sigma_z, "exposure": self.exposure,
                "weight_unit": self.weight_unit,
                "exposure_note": "integrated luminosity in pb^-1; weights are cross sections in pb"}

    def to_table(self) -> dict:
        return {"source": self.kind, "sqrt_s": f"{self.sqrt_s!r} MeV",
                "luminosity": self.luminosity, "energy_spread": f"{self.energy_spread!r} MeV",
                "isr": self.isr, "vertex_sigma_z": f"{self.vertex_sigma_z!r} mm"}
