"""Event generator for l N -> l N gamma* (-> chi chibar) in the WW / IWW approximation.

Adaptive importance sampling: the six-dimensional integrand of
:mod:`mcpgen.generators.brem_kernels` is flattened by fixed physics transforms
and a VEGAS grid (``vegas.AdaptiveMap``, G. P. Lepage, J. Comput. Phys. 27
(1978) 192; 439 (2021) 110386) trained on it.  The trained map stays frozen
while events are generated, so every block of events is an independent,
identically distributed sample.

Reproducibility: all random numbers come from :func:`mcpgen.rng.block_rng`
streams, one per block of :data:`mcpgen.rng.BLOCK_SIZE` points, so the output
depends only on the seed, not on how blocks are split into chunks or workers.

Unweighting: a point of weight w is accepted with probability min(1, w/w_max)
and stored with weight max(w, w_max)/N_trials; the sum of stored weights is an
unbiased estimate of the cross section whatever w_max is.  w_max is chosen on
the integration sample so that overweight points (w > w_max) carry at most
``overweight_fraction`` of the cross section.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import rng as _rng
from ..constants import CHI_PDGID, INV_MEV2_TO_PB, LEPTONS, nucleus_mass, nucleus_pdgid
from ..errors import ConfigError
from ..io.record import STATUS_DECAYED, STATUS_FINAL, STATUS_INCOMING, EventBatch
from ..physics.formfactors import tsai_parameters
from ..sources.materials import Material
from . import brem_kernels as K

PARTICLE_NAMES = ("l", "N", "l'", "N'", "gamma*", "chi", "chibar")
#: the VEGAS map covers the 6 phase-space variables and the recoil azimuth phi_q (measured
#: from the scattering plane; the exact matrix element depends on it); the gamma* azimuth,
#: the chi angles and the unweighting draw stay uniform
MAP_DIM = K.N_DIM + 1
VECTOR_NAMES = ("l", "N", "l'", "N'", "V")
METHODS = {"iww": K.METHOD_IWW, "ww": K.METHOD_WW, "etl": K.METHOD_ETL}
FINAL_STATES = {"pair": K.MODE_PAIR, "vector": K.MODE_VECTOR}
#: PDG-style id of an invisible massive vector (dark photon), Pythia's hidden-valley gamma_v
VECTOR_PDGID = 4900022
SOURCES = ("fixed", "target")


@dataclass(frozen=True)
class BremSetup:
    """Everything that defines the sampled process (energies MeV, lengths mm)."""

    beam: str                      #: "e-", "e+", "mu-", "mu+"
    energy: float                  #: beam energy E0 (MeV)
    material: Material
    m_chi: float                   #: MCP mass (MeV); for final_state "vector" the mass m_V of V
    x_min: float                   #: generator threshold on (E_chi + E_chibar)/E0 (or E_V/E0)
    method: str = "iww"
    final_state: str = "pair"      #: "pair": gamma* -> chi chibar (2 -> 4); "vector": on-shell V (2 -> 3)
    source: str = "fixed"          #: "fixed": beam energy E0 at one point; "target": thick target
    length: float = 0.0            #: target length (mm), source "target"
    electron_length: str = "tsai"  #: e+-: "tsai" or "x0"
    muon_energy_loss: bool = False
    inelastic: bool = True         #: include Tsai's inelastic form factor

    def __post_init__(self):
        if self.beam not in LEPTONS:
            raise ConfigError(f"unknown beam {self.beam!r}; allowed: {', '.join(LEPTONS)}", key="beam")
        if self.method not in METHODS:
            raise ConfigError(f"unknown method {self.method!r}; allowed: {', '.join(METHODS)}",
                              key="method")
        if self.final_state not in FINAL_STATES:
            raise ConfigError(f"unknown final state {self.final_state!r}; allowed: "
                              f"{', '.join(FINAL_STATES)}", key="final_state")
        if self.source not in SOURCES:
            raise ConfigError(f"unknown source {self.source!r}; allowed: {', '.join(SOURCES)}",
                              key="source")
        if self.electron_length not in ("tsai", "x0"):
            raise ConfigError(f"unknown electron_length {self.electron_length!r}; allowed: tsai, x0",
                              key="electron_length")
        if not (0.0 < self.x_min < 1.0):
            raise ConfigError(f"x_min = {self.x_min} must be in (0, 1)", key="x_min")
        if not self.m_chi > 0:
            raise ConfigError(f"m_chi = {self.m_chi} MeV must be > 0", key="m_chi")
        if self.source == "target" and not self.length > 0:
            raise ConfigError(f"target length = {self.length} mm must be > 0", key="thickness")
        if not self.energy > self.lepton_mass:
            raise ConfigError(f"beam energy {self.energy:g} MeV must exceed the {self.beam} mass "
                              f"{self.lepton_mass:g} MeV", key="energy")
        lim = self.mass_limit
        if self.m_chi >= lim:
            raise ConfigError(
                f"m_chi = {self.m_chi:g} MeV is at or above the kinematic limit "
                f"{lim:g} MeV for a {self.energy / 1000:g} GeV {self.beam} beam with x_min = {self.x_min:g}",
                key="mass")

    @property
    def lepton_mass(self) -> float:
        return LEPTONS[self.beam][1]

    @property
    def mass_limit(self) -> float:
        """Largest mass that can be produced: 2 m_chi < E0 - m_l (pair) or m_V < E0 - m_l."""
        if self.final_state == "vector":
            return self.energy - self.lepton_mass
        return 0.5 * (self.energy - self.lepton_mass)

    @property
    def is_electron(self) -> bool:
        return abs(LEPTONS[self.beam][0]) == 11

    def source_code(self) -> int:
        if self.source == "fixed":
            return K.SRC_FIXED
        if self.is_electron:
            return K.SRC_E_TSAI if self.electron_length == "tsai" else K.SRC_E_X0
        return K.SRC_MUON

    def parameters(self) -> np.ndarray:
        mat = self.material
        a2, ap2, d = tsai_parameters(float(mat.Z), float(mat.A))
        par = np.zeros(K.N_PAR)
        par[K.P_E0] = self.energy
        par[K.P_ML] = self.lepton_mass
        par[K.P_MN] = nucleus_mass(mat.Z, mat.A)
        par[K.P_Z] = mat.Z
        par[K.P_A] = mat.A
        par[K.P_MCHI] = self.m_chi
        par[K.P_XMIN] = self.x_min
        par[K.P_METHOD] = METHODS[self.method]
        par[K.P_SRC] = self.source_code()
        par[K.P_L] = self.length
        par[K.P_X0] = mat.X0
        par[K.P_DEDX] = mat.dEdx if (self.muon_energy_loss and not self.is_electron) else 0.0
        par[K.P_INEL] = 1.0 if self.inelastic else 0.0
        par[K.P_A2], par[K.P_AP2], par[K.P_D] = a2, ap2, d
        par[K.P_CONV] = INV_MEV2_TO_PB
        par[K.P_MODE] = FINAL_STATES[self.final_state]
        par[K.P_MV] = self.m_chi if self.final_state == "vector" else 0.0
        return par


@dataclass
class CrossSection:
    sigma_pb: float
    sigma_err_pb: float
    n_points: int
    w_max: float = float("nan")          #: unweighting threshold (pb per point)
    efficiency: float = float("nan")     #: expected unweighting efficiency <w>/w_max
    nonzero_fraction: float = float("nan")


@dataclass
class BremGenerator:
    """Train, integrate and generate l N -> l N chi chibar events for one set-up.

    Cross sections and weights are for eps = 1 (weights scale as eps^2).
    """

    setup: BremSetup
    seed: int
    ninc: int = 200
    overweight_fraction: float = 1e-3
    map: object = field(default=None, init=False, repr=False)
    xsec: CrossSection = field(default=None, init=False)

    def __post_init__(self):
        self._par = self.setup.parameters()

    # -- adaptive grid ------------------------------------------------------
    def _mapped(self, y):
        x = np.empty_like(y)
        jac = np.empty(y.shape[0])
        self.map.map(y, x, jac)
        return x, jac

    def _points(self, gen, n: int):
        """Draw n points from the Generator ``gen``: (ys, Jacobian, rs), all C-contiguous.

        ys are the N_DIM + 1 VEGAS-mapped columns (phase-space variables and the recoil
        azimuth); rs the N_AUX auxiliary uniforms (gamma* azimuth, -, chi angles,
        unweighting draw), drawn as a second block so the kernels read them contiguously."""
        ys, jac = self._mapped(gen.random((n, MAP_DIM)))
        return ys, jac, gen.random((n, K.N_AUX))

    def train(self, n_points: int = 20000, iterations: int = 8, alpha: float = 1.0):
        import vegas

        self.map = vegas.AdaptiveMap([[0.0, 1.0]] * MAP_DIM, ninc=self.ninc)
        w = np.empty(n_points)
        for it in range(iterations):
            gen = _rng.block_rng(self.seed, "train", it)
            y = gen.random((n_points, MAP_DIM))
            ys, jac = self._mapped(y)
            rs = gen.random((n_points, K.N_AUX))
            K.brem_weights(ys, rs, self._par, w)
            f = w * jac
            if not np.any(f > 0):
                raise ConfigError(
                    f"no phase space with non-zero cross section for m_chi = {self.setup.m_chi:g} MeV "
                    f"and x_min = {self.setup.x_min:g} (kinematic limit?)", key="mass")
            self.map.add_training_data(y, f * f)
            self.map.adapt(alpha=alpha)
        return self

    # -- cross section --------------------------------------------------------
    def _integrate_block(self, b: int, size: int) -> np.ndarray:
        ys, jac, rs = self._points(_rng.block_rng(self.seed, "integrate", b), size)
        w = np.empty(size)
        K.brem_weights(ys, rs, self._par, w)
        return w * jac

    def integrate(self, n_points: int = 200000, *, rel_err: float | None = None,
                  max_points: int = 100_000_000) -> CrossSection:
        """Cross section (pb, eps = 1) and its MC error from ``n_points`` points, or, with
        ``rel_err``, from as many whole blocks as needed to reach that relative error
        (at least one block, at most ``max_points``).  Deterministic for a given seed.
        """
        if self.map is None:
            self.train()
        s1 = s2 = 0.0
        nz = 0
        n = 0
        samples = []
        blocks = _rng.block_sizes(max_points if rel_err is not None else n_points)
        for b, size in blocks:
            f = self._integrate_block(b, size)
            s1 += f.sum()
            s2 += (f * f).sum()
            nz += int(np.count_nonzero(f))
            n += size
            samples.append(f)
            if rel_err is not None and n > 1:
                mean = s1 / n
                var = max(s2 / n - mean * mean, 0.0)
                if mean > 0 and math.sqrt(var / (n - 1)) <= rel_err * mean:
                    break
        mean = s1 / n
        var = max(s2 / n - mean * mean, 0.0)
        err = math.sqrt(var / (n - 1)) if n > 1 else float("inf")
        f = np.concatenate(samples)
        w_max = _unweighting_threshold(f, self.overweight_fraction)
        eff = mean / w_max if w_max > 0 else float("nan")
        self.xsec = CrossSection(mean, err, n, w_max, eff, nz / n)
        return self.xsec

    # -- events ---------------------------------------------------------------
    def _uniforms(self, b: int):
        return self._points(_rng.block_rng(self.seed, "generate", b), _rng.BLOCK_SIZE)

    def _block_into(self, b, unweighted, start, *out):
        """Run block ``b`` writing kept events into ``out`` from row ``start`` on."""
        x, jac, rs = self._uniforms(b)
        return K.brem_events(x, jac, rs, self._par, self.xsec.w_max, unweighted, start, *out)

    def _block(self, b: int, cap: int, unweighted: bool):
        """Run block ``b``; keep at most ``cap`` events.  Pure function of (seed, b)."""
        x, jac, rs = self._uniforms(b)
        k = len(PARTICLE_NAMES)
        out = (np.empty(cap), np.empty((cap, k)), np.empty((cap, k)), np.empty((cap, k)),
               np.empty((cap, k)), np.empty(cap), np.empty(cap), np.empty(cap, np.int64))
        new, _ = K.brem_events(x, jac, rs, self._par, self.xsec.w_max, unweighted, 0, *out)
        return tuple(a[:new] for a in out)

    def generate(self, n_events: int, *, unweighted: bool = False, workers: int = 1,
                 progress=None) -> EventBatch:
        """Generate ``n_events`` events (weights in pb at eps = 1).

        Weighted mode keeps every point with non-zero weight, stored with
        weight w/N_trials; unweighted mode accepts a point with probability
        min(1, w/w_max) and stores max(w, w_max)/N_trials.  N_trials counts every
        point drawn up to the last event kept.  Blocks are independent and are
        merged in block order, so ``workers`` (threads; the kernels release the
        GIL) never changes the output.  ``progress`` is an optional callable
        receiving the number of new events after each block.
        """
        if n_events <= 0:
            raise ConfigError(f"events = {n_events} must be > 0", key="events")
        if self.xsec is None:
            self.integrate()
        n = int(n_events)
        k = len(PARTICLE_NAMES)
        w = np.empty(n)
        E, px, py, pz = (np.empty((n, k)) for _ in range(4))
        vz = np.empty(n)
        eb = np.empty(n)
        idx = np.empty(n, np.int64)
        expected = self.xsec.nonzero_fraction * (min(self.xsec.efficiency, 1.0) if unweighted else 1.0)
        max_blocks = 1000 + int(20 * n / max(expected, 1e-9) / _rng.BLOCK_SIZE)
        cap = min(n, _rng.BLOCK_SIZE)
        have = trials = 0
        b0 = 0
        pool = None
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor
            pool = ThreadPoolExecutor(max_workers=workers)
        try:
            while have < n:
                if b0 > max_blocks:
                    raise RuntimeError(
                        f"event generation stalled after {trials} points ({have} events kept)")
                if pool is None:
                    # one worker: the kernel writes straight into the outputs (no copies)
                    new, used = self._block_into(b0, unweighted, have, w, E, px, py, pz, vz, eb, idx)
                    have += new
                    trials += used
                    b0 += 1
                    if progress is not None:
                        progress(new)
                    continue
                blocks = range(b0, b0 + workers)
                results = list(pool.map(lambda b: self._block(b, cap, unweighted), blocks))
                for res in results:
                    if have >= n:
                        break
                    take = min(len(res[0]), n - have)
                    sl = slice(have, have + take)
                    for dst, src in zip((w, E, px, py, pz, vz, eb), res[:7]):
                        dst[sl] = src[:take]
                    if have + take == n and take > 0:
                        trials += int(res[7][take - 1]) + 1
                    else:
                        trials += _rng.BLOCK_SIZE
                    have += take
                    if progress is not None:
                        progress(take)
                b0 += len(blocks)
        finally:
            if pool is not None:
                pool.shutdown()
        self.last_trials = trials
        return self._batch(w / trials, E, px, py, pz, vz, eb)

    def _batch(self, weight, E, px, py, pz, vz, eb) -> EventBatch:
        s = self.setup
        n = len(weight)
        lep = LEPTONS[s.beam][0]
        nuc = nucleus_pdgid(s.material.Z, s.material.A)
        M = nucleus_mass(s.material.Z, s.material.A)
        if s.final_state == "vector":
            names = VECTOR_NAMES
            ids = [lep, nuc, lep, nuc, VECTOR_PDGID]
            st = [STATUS_INCOMING, STATUS_INCOMING, STATUS_FINAL, STATUS_FINAL, STATUS_FINAL]
            masses = [s.lepton_mass, M, s.lepton_mass, M, s.m_chi]
        else:
            names = PARTICLE_NAMES
            ids = [lep, nuc, lep, nuc, 22, CHI_PDGID, -CHI_PDGID]
            st = [STATUS_INCOMING, STATUS_INCOMING, STATUS_FINAL, STATUS_FINAL, STATUS_DECAYED,
                  STATUS_FINAL, STATUS_FINAL]
            masses = [s.lepton_mass, M, s.lepton_mass, M, 0.0, s.m_chi, s.m_chi]
        k = len(names)
        E, px, py, pz = (np.ascontiguousarray(a[:, :k]) for a in (E, px, py, pz))
        pdg = np.tile(np.array(ids, np.int32), (n, 1))
        status = np.tile(np.array(st, np.int32), (n, 1))
        mass = np.tile(np.array(masses), (n, 1))
        if s.final_state == "pair":
            mass[:, 4] = np.sqrt(np.maximum(E[:, 4] ** 2 - px[:, 4] ** 2 - py[:, 4] ** 2 - pz[:, 4] ** 2, 0.0))
        return EventBatch(weight=weight, pdgid=pdg, status=status, px=px, py=py, pz=pz, E=E,
                          mass=mass, vx=np.zeros(n), vy=np.zeros(n), vz=vz, E_beam=eb, names=names)


def _unweighting_threshold(f: np.ndarray, fraction: float) -> float:
    """Smallest w_max with sum(max(f - w_max, 0)) <= fraction * sum(f)."""
    f = np.sort(f[f > 0])[::-1]
    if len(f) == 0:
        return 0.0
    total = f.sum()
    # excess(w) = sum_{f_i > w} (f_i - w) is decreasing in w; scan the sorted weights
    csum = np.cumsum(f)
    i = np.arange(1, len(f) + 1)
    excess_at = csum - i * f          # excess if w_max = f[i-1]
    ok = np.flatnonzero(excess_at <= fraction * total)
    j = ok[-1]                         # largest index (smallest threshold) allowed
    return float(f[j])
