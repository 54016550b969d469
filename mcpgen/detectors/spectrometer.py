"""Spectrometer detector module for missing-energy experiments (NA64mu, NA64e, LDMX).

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

import numpy as np

from ..errors import ConfigError

#: particle labels used in :class:`mcpgen.io.record.EventBatch`
LEPTON_OUT = "l'"
CHI = "chi"
CHIBAR = "chibar"


def true_recoil_energy(batch, card, E0) -> np.ndarray:
    """True ``E_rec`` (MeV) per event according to ``card.recoil`` (no smearing)."""
    if card.recoil == "lepton":
        return np.array(batch.E[:, batch.index(LEPTON_OUT)], dtype=np.float64)
    if card.recoil == "visible":
        pair = batch.E[:, batch.index(CHI)] + batch.E[:, batch.index(CHIBAR)]
        return np.asarray(E0, dtype=np.float64) - pair
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
