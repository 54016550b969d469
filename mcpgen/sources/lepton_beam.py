"""Lepton beam on a fixed target: the source of the l N -> l N X channels.

Exposure (seed 001 eq. 12, seed 002 eq. 4): the event weights are cross sections
per nucleus in pb, averaged over the production depth, so

    N = LOT x n_T x L x sum_i w_i eff_i,   n_T = rho N_A / A,

and the exposure is LOT x n_T x L in pb^-1.  Where along the target the lepton
interacts and with which energy (the Tsai degradation of electrons, the mean
dE/dx of muons) is the source's part of the sampling; its kernels live in
:mod:`mcpgen.physics.beam_degradation` (selected from ``electron_length`` and
``muon_energy_loss``).
"""

from __future__ import annotations

from dataclasses import dataclass

from hepunits import picobarn

from ..constants import LEPTONS
from ..errors import ConfigError
from ..framework.source import Source
from .materials import Material, get_material

ELECTRON_LENGTHS = ("tsai", "x0")
MAX_ENERGY = 1e9          #: MeV (1e6 GeV): the kinematics stay in double precision
MAX_LOT = 1e30            #: keeps the exposure a finite double

#: steering keys of the source: (key, type, default, meaning) for the README table
KEY_DOCS = (
    ("beam", "string", "required", '`"e-"`, `"e+"`, `"mu-"`, `"mu+"`'),
    ("energy", "energy", "required", "beam energy E0 (number = GeV), > 0"),
    ("leptons_on_target", "number", "required",
     "leptons on target (LOT/EOT/MOT), > 0; `1e14` or `\"1e14\"`"),
    ("target", "string", "required", "built-in material: `Pb W Al Fe Cu C Si`"),
    ("thickness", "length", "required", "target thickness (number = cm, or `\"40 X0\"`), > 0"),
    ("electron_length", "string", '`"tsai"`',
     'e+-: `"tsai"` (beam degradation, Tsai 1974) or `"x0"` (effective length = X0, seed 001); '
     "ignored for muons"),
    ("muon_energy_loss", "boolean", "`false`",
     "muons: include the mean dE/dx (minimum ionisation) along the target; must be false for e+-"),
)


@dataclass(frozen=True)
class LeptonBeamSource(Source):
    """A lepton beam of energy ``energy`` (MeV) on a target of ``thickness`` (mm)."""

    beam: str
    energy: float
    leptons_on_target: float
    target: str
    material: Material
    thickness: float
    electron_length: str = "tsai"
    muon_energy_loss: bool = False

    kind = "lepton-beam"
    #: one line for `mcpgen list`
    description = ("e- or mu- beam of `energy` (number = GeV) on a target of `thickness` "
                   "(number = cm or X0), exposure `leptons_on_target`")
    weight_unit = "pb"
    keys = tuple(k for k, *_ in KEY_DOCS)

    @classmethod
    def from_table(cls, t, *, file, prefix):
        from ..units import get_bool, get_quantity, get_str

        kw = dict(file=file, prefix=prefix)
        beam = get_str(t, "beam", choices=tuple(LEPTONS), **kw)
        target = get_str(t, "target", **kw)
        try:
            material = get_material(target)
        except ValueError as exc:
            raise ConfigError(str(exc), file=file, key=f"{prefix}.target") from None
        energy = get_quantity(t, "energy", "energy", default_unit="GeV", **kw)
        if not LEPTONS[beam][1] < energy <= MAX_ENERGY:
            raise ConfigError(f"value {t['energy']!r} out of range; allowed: the {beam} mass "
                              f"{LEPTONS[beam][1]:g} MeV < energy <= 1e6 GeV", file=file,
                              key=f"{prefix}.energy")
        lot = get_quantity(t, "leptons_on_target", "number", default_unit="", **kw)
        if not lot <= MAX_LOT:
            raise ConfigError(f"value {t['leptons_on_target']!r} out of range; allowed: 0 < "
                              f"leptons_on_target <= {MAX_LOT:.0e}", file=file,
                              key=f"{prefix}.leptons_on_target")
        thickness = get_quantity(t, "thickness", "length", default_unit="cm", material=material,
                                 **kw)
        muon_loss = get_bool(t, "muon_energy_loss", default=False, **kw)
        if muon_loss and not beam.startswith("mu"):
            raise ConfigError(f"muon_energy_loss = true needs a muon beam, not {beam!r}; "
                              "allowed: false for e+-", file=file, key=f"{prefix}.muon_energy_loss")
        return cls(beam=beam, energy=energy, leptons_on_target=lot, target=target,
                   material=material, thickness=thickness,
                   electron_length=get_str(t, "electron_length", default="tsai",
                                           choices=ELECTRON_LENGTHS, **kw),
                   muon_energy_loss=muon_loss)

    # -- beam properties ------------------------------------------------------------
    @property
    def lepton_pdgid(self) -> int:
        return LEPTONS[self.beam][0]

    @property
    def lepton_mass(self) -> float:
        """Beam-lepton mass in MeV."""
        return LEPTONS[self.beam][1]

    @property
    def is_muon(self) -> bool:
        return self.beam.startswith("mu")

    @property
    def thickness_X0(self) -> float:
        """Target thickness in radiation lengths."""
        return self.thickness / self.material.X0

    # -- Source interface -------------------------------------------------------------
    @property
    def exposure(self) -> float:
        """LOT x n_T x L in pb^-1 (seed 001 eq. 12)."""
        return self.leptons_on_target * self.material.atoms_per_volume() * self.thickness * picobarn

    def metadata(self) -> dict:
        mat = self.material
        return {"source": self.kind, "beam": self.beam, "beam_pdgid": int(self.lepton_pdgid),
                "beam_energy_MeV": self.energy, "target": mat.name, "Z": mat.Z, "A": mat.A,
                "target_length_mm": self.thickness, "target_X0_mm": mat.X0,
                "n_target_per_mm3": mat.atoms_per_volume(),
                "leptons_on_target": self.leptons_on_target,
                "electron_length": self.electron_length,
                "muon_energy_loss": self.muon_energy_loss,
                "exposure": self.exposure, "weight_unit": self.weight_unit,
                "exposure_note": "LOT x n_T x L_T (seed 001 eq. 12); weights per nucleus in pb"}

    def to_table(self) -> dict:
        return {"source": self.kind, "beam": self.beam, "energy": f"{self.energy!r} MeV",
                "leptons_on_target": self.leptons_on_target, "target": self.target,
                "thickness": f"{self.thickness!r} mm", "electron_length": self.electron_length,
                "muon_energy_loss": self.muon_energy_loss}
