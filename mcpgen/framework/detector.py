"""The detector-module interface and the efficiency models in eps.

A detector module is configured by a card (TOML, built-in by name or a user file
by path, schema declared by the module) and decides per event:

    apply(batch, rng) -> fills batch.det_pass, batch.det_eff and its own columns

``det_eff`` is the detection probability at the reference eps of the weights.
How it changes with eps is the module's :class:`EfficiencyModel`, so that an eps
scan never needs regeneration:

``constant``  eff_i(eps) = eff_i                       (cuts on kinematics only)
``power``     eff_i(eps) = eff_i (eps/eps_ref)^k        (e.g. k = 2 for a single
                                                          small-probability scatter)
``table``     eff_i(eps) in [0, 1] tabulated per event on a grid of eps; the summed
              S(eps) = sum w_i eff_i(eps) is interpolated as a power law between nodes
              and extended with the end segments' powers outside the grid
              (:func:`mcpgen.analysis.yields.table_interpolation`); stored as the
              fixed-size column ``det_eff_table`` with the grid in the metadata.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

EFFICIENCY_KINDS = ("constant", "power", "table")


@dataclass(frozen=True)
class EfficiencyModel:
    """How per-event detection probabilities scale with eps (see the module docstring)."""

    kind: str = "constant"
    power: float = 0.0
    grid: tuple = ()     #: eps values of the table (increasing), kind "table"

    def __post_init__(self):
        if self.kind not in EFFICIENCY_KINDS:
            raise ConfigError(f"unknown efficiency model {self.kind!r}; allowed: "
                              f"{', '.join(EFFICIENCY_KINDS)}", key="efficiency_model")
        if self.kind == "table":
            g = np.asarray(self.grid, float)
            if g.ndim != 1 or len(g) < 2 or not np.all(g > 0) or not np.all(np.diff(g) > 0):
                raise ConfigError("a table efficiency model needs an increasing grid of >= 2 "
                                  "positive eps values", key="efficiency_model.grid")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "power": self.power, "grid": list(self.grid)}

    @classmethod
    def from_dict(cls, d) -> "EfficiencyModel":
        return cls(kind=d["kind"], power=float(d.get("power", 0.0)),
                   grid=tuple(float(e) for e in d.get("grid", ())))


class DetectorModule(ABC):
    """Interface of a detector module; see the module docstring.

    Class attributes: ``name`` (registry name = the card's ``detector.module``),
    ``columns`` (the :class:`~mcpgen.framework.process.Column` it adds to events).
    """

    name: str = ""
    columns: tuple = ()
    #: the run's reference eps of the weights (set by the job before ``apply``)
    eps_ref: float | None = None
    #: the quantities of :meth:`tally`: name -> (eps power beyond the production's, doc)
    tallies: dict = {}

    def __init__(self, card):
        self.card = card

    @classmethod
    @abstractmethod
    def card_from_table(cls, table: dict, *, file, builtin=None):
        """Validate the module's card tables (unknown keys rejected) and build the card."""

    @property
    def efficiency_model(self) -> EfficiencyModel:
        return EfficiencyModel("constant")

    def generator_threshold(self) -> float | None:
        """The smallest energy fraction of the produced system the detector can accept,
        if the module has one (the generator's phase-space cut must not exceed it)."""
        return None

    def check(self, process_cls, source) -> None:
        """Raise ConfigError if this module cannot see events of ``process_cls``."""

    @abstractmethod
    def apply(self, batch, source, rng) -> None:
        """Fill ``batch.det_pass``, ``batch.det_eff`` and the module's columns in place.

        ``rng`` is a numpy Generator for this block (one per block, so the result
        does not depend on chunking); draw nothing when no randomness is needed."""

    def tally(self, batch) -> dict:
        """Weighted sums the job adds up over all events besides the yield (e.g. the chi
        flux through a detector): name -> sum_i w_i q_i, in weight units at eps_ref,
        stored in the job metadata as ``detector_tally``.  Default: none."""
        return {}

    def metadata(self) -> dict:
        return {"module": self.name, "card": self.card.to_dict(),
                "efficiency_model": self.efficiency_model.to_dict()}
