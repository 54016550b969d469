"""Spectrometer detector module (registered as ``"spectrometer"``) for missing-energy experiments (NA64mu, NA64e, LDMX).

The signal is a lepton that loses most of its energy to the invisible
chi chibar pair.  The detector reconstructs a recoil energy ``E_rec`` and
accepts events in the signal region

    E_rec <= (1 - x_th) E0                                        (seed 002 eq. 4, sec. II)

where ``E0`` is the nominal beam energy (known to the experiment; the energy
at the vertex may be lower after degradation in the target).  Two ways of
reconstructing ``E_rec`` are supported (card key ``recoil``):

``"lepton"``
    energy of the outgoing lepton ``l'`` measured by a magnetic spectrometer or
    tracker (NA64mu, seed 002 sec. II.B; LDMX, sec. II.A).
``"visible"``
    ``E0 - (E_chi + E_chibar)``: an active thick target (the NA64e ECAL) sees
    everything except the pair (seed 001 footnote 9: ``E_chi + E_chibar >= 0.5 E0``).

Optional detector effects from the card: a relative Gaussian resolution
``sigma_E / E = resolution`` on ``E_rec`` (the smeared value is clipped at 0),
a polar-angle acceptance ``theta_max`` for ``l'`` (0 = no cut) and a flat
efficiency.

Randomness: the smearing draws ``len(batch)`` standard normals from the
Generator passed in, in event order, and nothing when ``resolution == 0``.
For results that do not depend on chunking the caller applies the module
block by block with one Generator per block, e.g.
``mcpgen.rng.block_rng(seed, "detector", block)``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..framework.detector import DetectorModule
from ..framework.process import Column
from ..schema import Key, Section
from ..units import MISSING

CARD_SECTIONS = ("detector", "sources", "spectrometer")
#: how the recoil energy E_rec is reconstructed
RECOIL_MODES = ("lepton", "visible")

#: the ``[spectrometer]`` keys, declared once (validation, card dataclass, README table)
SPECTROMETER = Section("spectrometer", (
    Key("x_th", "float", MISSING, "signal region `E_rec <= (1 - x_th) E0`, `0 < x_th < 1`",
        bounds=dict(gt=0.0, lt=1.0)),
    Key("recoil", "str", "lepton", "`\"lepton\"`: `E_rec` is the energy of the outgoing lepton "
        "(magnetic spectrometer / tracker); `\"visible\"`: `E_rec = E0 - (E_chi + E_chibar)` "
        "(active thick target: all but the pair is seen, NA64e ECAL)", choices=RECOIL_MODES),
    Key("resolution", "float", 0.0, "relative Gaussian resolution `sigma_E/E` on `E_rec`, "
        "`0 <= r <= 1` (0 = ideal)", bounds=dict(ge=0.0, le=1.0)),
    Key("theta_max", "float", 0.0, "acceptance of the recoil-lepton polar angle in rad, "
        "`0 <= theta_max <= pi`; 0 = no cut", bounds=dict(ge=0.0, le=math.pi)),
    Key("efficiency", "float", 1.0, "flat signal efficiency, `0 <= efficiency <= 1`",
        bounds=dict(ge=0.0, le=1.0)),
))
SPECTROMETER_KEYS = SPECTROMETER.names
SPECTROMETER_DEFAULTS = {k.name: k.default for k in SPECTROMETER.keys if k.default is not MISSING}


def card_reference() -> str:
    """The README table of the card keys, generated from the declarations."""
    from .cards import card_table

    return card_table("spectrometer", SPECTROMETER, "NA64mu")


CARD_REFERENCE = card_reference()


@dataclass(frozen=True)
class SpectrometerCard(SPECTROMETER.dataclass("_SpectrometerSettings")):
    """A spectrometer-type detector (missing-energy experiments); keys in :data:`SPECTROMETER`.

    Numbers are dimensionless except ``theta_max`` (rad).  ``sources`` is a
    tuple of ``(key, source)`` pairs, one per spectrometer key (``"default"``
    for keys not set in the card).
    """

    name: str = ""
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


def spectrometer_card(table: dict, *, file="<dict>", builtin=None) -> SpectrometerCard:
    """Validate a spectrometer card given as a dict (the parsed TOML) and build it."""
    from .cards import card_header

    name, module = card_header(table, "spectrometer", CARD_SECTIONS, file=file)
    spec = SPECTROMETER.table(table, file=file, required=True)
    values = SPECTROMETER.read(spec, file=file)
    from .cards import card_sources

    sources = card_sources(table, "spectrometer", SPECTROMETER_KEYS, spec,
                           {k: repr(v) for k, v in SPECTROMETER_DEFAULTS.items()}, file=file)
    return SpectrometerCard(name=name, module=module, sources=sources, file=str(file),
                            builtin=builtin, **values)


#: particle labels used in :class:`mcpgen.io.record.EventBatch`
LEPTON_OUT = "l'"
CHI = "chi"
CHIBAR = "chibar"
INVISIBLE_V = "V"


def true_recoil_energy(batch, card, E0) -> np.ndarray:
    """True ``E_rec`` (MeV) per event according to ``card.recoil`` (no smearing).

    ``"visible"``: E0 minus the energy of the invisible final state, chi + chibar
    (or the A' labelled ``V`` of the dark-photon process)."""
    if card.recoil == "lepton":
        return np.array(batch.E[:, batch.index(LEPTON_OUT)], dtype=np.float64)
    if card.recoil == "visible":
        labels = (CHI, CHIBAR) if CHI in batch.names else (INVISIBLE_V,)
        invisible = sum(batch.E[:, batch.index(p)] for p in labels)
        return np.asarray(E0, dtype=np.float64) - invisible
    raise ConfigError(f"unknown recoil mode {card.recoil!r}; allowed: 'lepton', 'visible'",
                      file=card.file or None, key="spectrometer.recoil")


def recoil_angle(batch) -> np.ndarray:
    """Polar angle (rad) of the outgoing lepton with respect to the beam (z) axis."""
    j = batch.index(LEPTON_OUT)
    pt = np.hypot(batch.px[:, j], batch.py[:, j])
    return np.arctan2(pt, batch.pz[:, j])


def smear(values: np.ndarray, resolution: float, rng) -> np.ndarray:
    """Relative Gaussian smearing ``v (1 + resolution z)``, z ~ N(0, 1), clipped at 0.

    Returns ``values`` unchanged (a copy, no draws) when ``resolution == 0``.
    """
    values = np.array(values, dtype=np.float64)
    if resolution == 0.0:
        return values
    if rng is None:
        raise ValueError("a numpy Generator is required when the resolution is non-zero")
    z = rng.standard_normal(values.shape)
    return np.maximum(values * (1.0 + resolution * z), 0.0)


def apply_spectrometer(batch, card, E0: float, rng) -> None:
    """Fill ``batch.det_E_rec``, ``batch.det_pass`` and ``batch.det_eff`` in place.

    Parameters
    ----------
    batch : mcpgen.io.record.EventBatch
        Events with particles labelled ``"l'"``, ``"chi"``, ``"chibar"``.
    card : mcpgen.detectors.cards.SpectrometerCard
        Detector description (``x_th``, ``recoil``, ``resolution``, ``theta_max``,
        ``efficiency``).
    E0 : float
        Nominal beam energy in MeV (the reference of the cut and of the
        ``"visible"`` recoil).
    rng : numpy.random.Generator or None
        Source of the resolution draws (may be None for ``resolution == 0``);
        pass one Generator per block, see the module docstring.

    Sets ``det_E_rec`` (measured recoil energy, MeV), ``det_pass``
    (``E_rec <= (1 - x_th) E0`` and, if ``theta_max > 0``,
    ``theta(l') <= theta_max``) and ``det_eff`` (``efficiency`` where passed,
    0 otherwise).
    """
    if card.module != "spectrometer":
        raise ConfigError(f"card {card.name!r} selects module {card.module!r}, not 'spectrometer'",
                          file=card.file or None, key="detector.module")
    E_rec = smear(true_recoil_energy(batch, card, E0), card.resolution, rng)
    passed = E_rec <= (1.0 - card.x_th) * E0
    if card.theta_max > 0.0:
        passed &= recoil_angle(batch) <= card.theta_max
    batch.det_E_rec = E_rec
    batch.det_pass = passed
    batch.det_eff = np.where(passed, float(card.efficiency), 0.0)


class Spectrometer(DetectorModule):
    """The spectrometer as a :class:`~mcpgen.framework.detector.DetectorModule`.

    Its decision depends on kinematics only, so the efficiency model is constant in
    eps; its threshold ``x_th`` bounds the generator's phase-space cut (a cut above
    it would drop events the detector accepts)."""

    name = "spectrometer"
    #: one line for `mcpgen list`
    description = "missing-energy spectrometer: recoil-lepton energy below x_th E0"
    columns = (Column("det_E_rec", "float64", "MeV", "measured recoil energy"),)

    @classmethod
    def card_from_table(cls, table, *, file, builtin=None):
        return spectrometer_card(table, file=file, builtin=builtin)

    #: events measured within this many resolutions of the cut can pass it
    SMEAR_REACH = 5.0

    def generator_threshold(self):
        """Smallest x = E_X/E0 that can pass: x_th for an ideal spectrometer; with a
        resolution r the measured E_rec = E_rec (1 + r z) passes up to z = 5 (a 3e-7
        tail), i.e. x >= 1 - (1 - x_th)/(1 - 5 r); None (no bound) once 5 r >= 1.

        x is measured from the nominal E0 (seed 002 eq. 4): for a degraded beam the
        photons radiated before the vertex stay visible in the calorimeter, so the
        missing energy is the produced system's."""
        r = self.card.resolution
        if r == 0.0:
            return self.card.x_th
        if self.SMEAR_REACH * r >= 1.0:
            return None
        bound = 1.0 - (1.0 - self.card.x_th) / (1.0 - self.SMEAR_REACH * r)
        return bound if bound > 0.0 else None

    def check(self, process_cls, source):
        if getattr(source, "kind", None) != "lepton-beam":
            raise ConfigError(f"the spectrometer needs a lepton-beam source, not "
                              f"{getattr(source, 'kind', source)!r}", file=self.card.file or None,
                              key="detector.module")

    def apply(self, batch, source, rng):
        apply_spectrometer(batch, self.card, source.energy, rng)
