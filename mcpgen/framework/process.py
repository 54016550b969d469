"""The Process interface: one production channel (e.g. l N -> l N chi chibar).

A process is built for one (set-up, mass) by :meth:`Process.build` and then

1. ``integrate(rel_err)`` -- trains its sampler and returns sigma with its MC error;
2. ``plan(n_events, unweighted)`` -- the number of points (trials) to draw for about
   ``n_events`` events.  The trial count is fixed *before* generation, so every
   event weight w/N_trials is final when its block is made and blocks can be
   streamed to disk: the sum of the weights of a file is the cross section;
3. ``block(b, n_points, n_trials, unweighted)`` -- the events of points
   ``b*BLOCK_SIZE ...`` of the block-seeded streams (:mod:`mcpgen.rng`), a pure
   function of (seed, b), so output never depends on chunking or workers.

It declares its particles (fixed blocks of the event record), its per-event
columns and variable-length collections, the unit of its weights and how they
scale with eps (:attr:`eps_power`), and its metadata.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Particle:
    """One fixed particle slot of the event record."""

    label: str          #: e.g. "chi"
    pdgid: int          #: PDG id (nuclei 10LZZZAAAI; chi: mcpgen.constants.CHI_PDGID)
    status: int         #: HepMC3: 4 incoming, 1 final, 2 decayed intermediate
    mass: float = float("nan")   #: MeV; NaN where it is per event (a virtual photon)


@dataclass(frozen=True)
class Column:
    """A per-event column (fixed shape per event), declared by a process or detector."""

    name: str
    dtype: str = "float64"
    unit: str = ""
    doc: str = ""
    shape: tuple = ()   #: per-event shape, () for a scalar


@dataclass(frozen=True)
class Collection:
    """A variable-length per-event collection (ISR photons, tracker hits, ...)."""

    name: str
    fields: tuple = ()  #: Column declarations of the items' fields
    doc: str = ""


@dataclass(frozen=True)
class Option:
    """One argument of a process's ``xsec`` (API keyword ``name``, CLI ``--name``)."""

    name: str
    help: str
    required: bool = False
    default: object = None
    kind: str | None = None   #: "energy", "mass", "length": the CLI parses it with units
    cli_unit: str = ""        #: unit of a plain number on the command line
    flag: bool = False        #: a switch without a value (``--isr``)

    @property
    def cli_name(self) -> str:
        """The command-line flag: ``--sqrt-s`` for ``sqrt_s``."""
        return "--" + self.name.replace("_", "-")


@dataclass
class CrossSection:
    """A cross section with its Monte Carlo error (weight units of the process, eps_ref)."""

    sigma: float
    sigma_err: float
    n_points: int
    w_max: float = float("nan")          #: unweighting threshold per point
    efficiency: float = float("nan")     #: expected unweighting efficiency <w>/w_max
    nonzero_fraction: float = float("nan")
    extra: dict = field(default_factory=dict)


class Process(ABC):
    """Interface of a production channel; see the module docstring.

    Class attributes
    ----------------
    name : registry name ("brem")
    description : one line, e.g. "l N -> l N gamma*(-> chi chibar)"
    model : the new-physics model whose rates add across channels ("mcp", "dark-photon")
    weight_unit : unit of the event weights ("pb" for cross sections)
    eps_power : weights scale as (eps/eps_ref)**eps_power (2 for production ~ eps^2)
    source_kinds : source names the process can take parents from
    columns, collections : declared per-event data beyond particles, weight and vertex
    """

    name: str = ""
    description: str = ""
    model: str = "mcp"
    weight_unit: str = "pb"
    eps_power: int = 2
    source_kinds: tuple = ()
    columns: tuple = ()
    collections: tuple = ()
    xsec_options: tuple = ()

    @classmethod
    def xsec(cls, *, eps, seed, precision, max_points, **options) -> dict:
        """Total cross section for the process's own ``options`` (``mcpgen xsec``); a dict
        with ``sigma_pb``/``sigma_err_pb`` (or the process's weight unit) at ``eps``."""
        from ..errors import ConfigError

        raise ConfigError(f"process {cls.name!r} has no stand-alone cross section; use "
                          "`mcpgen run` with a steering file", key="--process")

    @classmethod
    def build(cls, source, mass: float, settings, seed: int) -> "Process":
        """The process for one source and mass (MeV) with the channel's ``settings``
        (:meth:`settings`); bad input raises ConfigError.  Default: the constructor."""
        return cls(source, mass, settings, seed)

    @classmethod
    def settings(cls, steering, setup):
        """The generator settings of this channel for ``setup`` from the steering file."""
        return None

    @classmethod
    def check_source(cls, source, *, file=None, prefix="setup") -> None:
        """Raise ConfigError (naming ``file`` and the key under ``prefix``) if this source
        cannot feed the process (beyond its kind, checked with :attr:`source_kinds`)."""

    @classmethod
    def mass_limit(cls, source, settings) -> float:
        """Largest producible mass (MeV) for this source and settings (exclusive)."""
        return float("inf")

    @property
    @abstractmethod
    def particles(self) -> tuple:
        """The fixed :class:`Particle` slots of every event, in record order."""

    @abstractmethod
    def integrate(self, rel_err: float, max_points: int) -> CrossSection:
        """Train the sampler and integrate to ``rel_err`` (at most ``max_points`` points)."""

    def plan(self, n_events: int, unweighted: bool) -> int:
        """Points to draw for about ``n_events`` events (after :meth:`integrate`, whose
        CrossSection is ``self.xsec``): n / (unweighting efficiency) for unweighted events,
        n / (share of points with a non-zero weight) for weighted ones."""
        import math

        xs = self.xsec
        keep = min(xs.efficiency, 1.0) if unweighted else xs.nonzero_fraction
        return max(1, int(math.ceil(n_events / max(keep, 1e-12))))

    @abstractmethod
    def block(self, b: int, n_points: int, n_trials: int, unweighted: bool):
        """EventBatch of block ``b`` restricted to its first ``n_points`` points, with
        weights normalised to ``n_trials`` points in all; pure function of (seed, b)."""

    def warm_up(self) -> None:
        """Load (or compile) the process's Numba kernels with the argument types of real
        calls, so that a run can do it while its cluster starts.  Default: nothing."""

    def metadata(self) -> dict:
        """Process metadata stored with the events (JSON-serialisable)."""
        return {"process": self.name, "process_description": self.description,
                "model": self.model, "weight_unit": self.weight_unit, "eps_power": self.eps_power}


def dtype_of(column: Column) -> np.dtype:
    return np.dtype(column.dtype)
