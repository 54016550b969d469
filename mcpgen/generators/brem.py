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

Set-up per mass (:meth:`BremGenerator.prepare`): the map is trained, and the cross
section integrated, on randomised quasi-Monte Carlo points -- scrambled Sobol' nets
(Matousek's linear scramble and digital shift, drawn from the same ``block_rng``
streams), whose mean is unbiased point by point and whose error comes from independent
replicates.  On the NA64mu ETL scan (10 MeV - 1 GeV) it reaches 1e-3 with 55000-91000
weight evaluations per mass, training included, where 8 x 20000 training points and
200000 pseudo-random points reached ~1.1e-3; ``python -m mcpgen.bench_setup`` prints
the seconds.  Events are still
generated from pseudo-random blocks (:meth:`BremGenerator.generate`).

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
from .brem_recoil import fill_masses
from .sampling import replicate_bits, scrambled_sobol, unweighting_threshold
from .vegas_map import map_with

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
        """y -> (x, Jacobian) through the VEGAS map, by the Numba kernel of
        :mod:`mcpgen.generators.vegas_map` (bit-identical to ``AdaptiveMap.map``, 2x faster)."""
        return map_with(self.map, y)

    def _points(self, gen, n: int):
        """Draw n points from the Generator ``gen``: (ys, Jacobian, rs), all C-contiguous.

        ys are the N_DIM + 1 VEGAS-mapped columns (phase-space variables and the recoil
        azimuth); rs the N_AUX auxiliary uniforms (gamma* azimuth, -, chi angles,
        unweighting draw), drawn as a second block so the kernels read them contiguously."""
        ys, jac = self._mapped(gen.random((n, MAP_DIM)))
        return ys, jac, gen.random((n, K.N_AUX))

    def train(self, n_points: int = 20000, iterations: int = 8, alpha: float = 1.0):
        """Train the VEGAS map on ``iterations`` x ``n_points`` pseudo-random points (the
        original schedule, unchanged; :meth:`prepare` is the faster way to a cross section)."""
        import vegas

        self.map = vegas.AdaptiveMap([[0.0, 1.0]] * MAP_DIM, ninc=self.ninc)
        w = np.empty(n_points)
        f = None
        for it in range(iterations):
            gen = _rng.block_rng(self.seed, "train", it)
            y = gen.random((n_points, MAP_DIM))
            ys, jac = self._mapped(y)
            rs = gen.random((n_points, K.N_AUX))
            K.brem_weights(ys, rs, self._par, w)
            f = w * jac
            self._check_phase_space(f)
            self.map.add_training_data(y, f * f)
            self.map.adapt(alpha=alpha)
        # scale for integrate(rel_err=...): the last iteration's estimate and its error
        self._scale = None if f is None else (float(f.mean()), float(f.std()) / math.sqrt(n_points))
        self._planned_points = None
        self._train_sd2 = None if f is None or not f.mean() > 0 else float(f.var() / f.mean() ** 2)
        return self

    def prepare(self, rel_err: float = 1e-3, *, max_points: int = 100_000_000,
                train_points: int = 8192, min_iterations: int = 4, max_iterations: int = 12,
                alpha: float = 0.7) -> CrossSection:
        """Train the map and integrate the cross section to ``rel_err``, the fast way.

        Training: VEGAS iterations of ``train_points`` randomised quasi-Monte Carlo
        points each (:func:`_sobol_uniforms`); after ``min_iterations`` it stops as soon
        as one more iteration is predicted to save fewer integration points than it
        costs (the prediction uses the iteration's own replicate variance and the
        last improvement of the map), at most ``max_iterations``.  The training only
        shapes the map: its points are not part of the cross section.

        Integration: :meth:`integrate` with ``rel_err`` on the frozen map (at most
        ``max_points`` points).  Returns :attr:`xsec`, which also holds w_max and the
        non-zero fraction used by :meth:`generate`.  Deterministic for a given seed.
        """
        if not 0.0 < rel_err < 1.0:
            raise ConfigError(f"rel_err = {rel_err} must be in (0, 1)", key="rel_err")
        self._train_qmc(rel_err, train_points, min_iterations, max_iterations, alpha)
        return self.integrate(rel_err=rel_err, max_points=max_points)

    def _check_phase_space(self, f):
        if not np.any(f > 0):
            raise ConfigError(
                f"no phase space with non-zero cross section for m_chi = {self.setup.m_chi:g} MeV "
                f"and x_min = {self.setup.x_min:g} (kinematic limit?)", key="mass")

    def _qmc_weights(self, gen, bits: int, replicates: int = 1):
        """Uniforms y (map columns), and f = weight x Jacobian, of ``replicates`` independently
        scrambled Sobol' nets of 2**bits points each, all drawn from ``gen``."""
        n = replicates << bits
        y = np.empty((n, MAP_DIM))
        rs = np.empty((n, K.N_AUX))
        for r in range(replicates):
            _sobol_uniforms(gen, bits, y[r << bits:(r + 1) << bits], rs[r << bits:(r + 1) << bits])
        ys, jac = self._mapped(y)
        w = np.empty(n)
        K.brem_weights(ys, rs, self._par, w)
        return y, w * jac

    def _train_qmc(self, rel_err, n_points, min_iterations, max_iterations, alpha):
        import vegas

        self.map = vegas.AdaptiveMap([[0.0, 1.0]] * MAP_DIM, ninc=self.ninc)
        n_rep = max(2, int(n_points) >> _TRAIN_REPLICATE_BITS)
        cost = n_rep << _TRAIN_REPLICATE_BITS
        sd2 = []      # plain relative variance of f per point, per iteration
        qmc2 = []     # relative variance of a 2**10-point replicate mean x 2**10, per iteration
        planned = None
        for it in range(max(1, max_iterations)):
            y, f = self._qmc_weights(_rng.block_rng(self.seed, "train", it), _TRAIN_REPLICATE_BITS, n_rep)
            self._check_phase_space(f)
            means = f.reshape(n_rep, -1).mean(axis=1)
            mean = float(means.mean())
            sd2.append(float(f.var()) / mean**2)
            qmc2.append(float(means.var(ddof=1)) * (1 << _TRAIN_REPLICATE_BITS) / mean**2)
            self.map.add_training_data(y, f * f)
            self.map.adapt(alpha=alpha)
            self._scale = (mean, float(means.std(ddof=1)) / math.sqrt(n_rep))
            if it < 2:
                continue
            # forecast of the integration points at rel_err for the map just adapted: the
            # quasi-Monte Carlo gain G = qmc2 / sd2 (pooled over the iterations after the
            # first two, for more degrees of freedom) times the plain variance, assumed
            # to improve once more by the last ratio q
            gain = sum(qmc2[2:]) / sum(sd2[2:])
            q = min(sd2[-1] / sd2[-2], 1.0)
            planned = gain * sd2[-1] * q / rel_err**2
            # one more iteration costs `cost` points and is forecast to save planned (1 - q)
            if it + 1 >= min_iterations and planned * (1.0 - q) < cost:
                break
        self._planned_points = planned
        self._train_sd2 = None
        return self

    # -- cross section --------------------------------------------------------
    def _integrate_block(self, b: int, bits: int) -> np.ndarray:
        """f = weight x Jacobian on replicate ``b``: one scrambled Sobol' net of 2**bits
        points, randomised by the stream ``block_rng(seed, "integrate", b)``."""
        return self._qmc_weights(_rng.block_rng(self.seed, "integrate", b), bits)[1]

    def integrate(self, n_points: int = 200000, *, rel_err: float | None = None,
                  max_points: int = 100_000_000) -> CrossSection:
        """Cross section (pb, eps = 1) and its MC error by randomised quasi-Monte Carlo.

        The estimate is the mean of R independent replicates, each a scrambled Sobol'
        net of 2**m points mapped through the frozen VEGAS map (:func:`_sobol_uniforms`,
        stream ``block_rng(seed, "integrate", replicate)``); the error is the standard
        deviation of the replicate means over sqrt(R).

        * Without ``rel_err``: R = ceil(n_points / 2**m) replicates, 2**m ~ n_points / 16.
        * With ``rel_err``: replicates are added (at least 16, at most ``max_points``
          points in all) until the error is below ``rel_err`` times a lower bound (3 standard
          errors) of sigma from the training; 2**m is chosen from the training's
          forecast of the points needed (2**10 to 2**13).

        w_max and the non-zero fraction come from all integration points.  Deterministic
        for a given seed.

        Unbiased: the random digital shift makes every point of a replicate uniform on
        [0, 1)^12 (on the 2**-53 grid of ``Generator.random``), so each replicate mean is
        an unbiased estimate of the integral over the frozen map, whatever the net; the
        replicates are independent.  R is either fixed in advance (``n_points``) or set
        by a rule that looks only at the replicates' sample variance against a scale
        fixed before the integration, never at their mean: for normal replicate means
        the running mean is independent of the running variances (Helmert's
        decomposition), hence of the stopping decision, and the estimate stays
        unbiased; the replicate means average >= 1024 points and are close to normal
        (measured, ETL NA64mu on one map: mean of 800 stopped estimates at 1e-3 minus the
        fixed-statistics value = +0.003 +- 0.041 of their scatter; the quoted errors are
        5-10% smaller than the scatter, as usual when a rule stops on a low variance).
        Without training information (map set by hand) the running mean is the scale.
        """
        if self.map is None:
            self._train_qmc(1e-3 if rel_err is None else rel_err, 8192, 4, 12, 0.7)
        ref = None
        if rel_err is None:
            bits = replicate_bits(n_points, 16, 6, 16)
            n_rep = max(2, -(-int(n_points) // (1 << bits)))
        else:
            plan = getattr(self, "_planned_points", None)
            sd2 = getattr(self, "_train_sd2", None)
            if not plan and sd2:
                plan = _QMC_GAIN_GUESS * sd2 / rel_err**2     # map trained by train()
            bits = replicate_bits(plan, _TARGET_REPLICATES, 10, 13) if plan else 10
            bits = min(bits, replicate_bits(max_points, _MIN_REPLICATES, 6, 13))
            n_rep = max(2, int(max_points) >> bits)       # the point budget caps the replicates
            scale = getattr(self, "_scale", None)
            if scale and scale[0] > 0:
                # a lower bound (3 standard errors) of sigma from the training: the reached
                # relative error is then below rel_err unless that bound fails
                ref = scale[0] * max(1.0 - 3.0 * scale[1] / scale[0], 0.5)
        means = []
        samples = []
        for b in range(n_rep):
            f = self._integrate_block(b, bits)
            means.append(f.mean())
            samples.append(f)
            if rel_err is not None and len(means) >= min(_MIN_REPLICATES, n_rep):
                if np.std(means, ddof=1) / math.sqrt(len(means)) <= rel_err * (
                        ref if ref is not None else float(np.mean(means))):
                    break
        means = np.array(means)
        f = np.concatenate(samples)
        n = len(f)
        mean = float(means.mean())
        err = float(means.std(ddof=1)) / math.sqrt(len(means))
        w_max = unweighting_threshold(f, self.overweight_fraction)
        eff = mean / w_max if w_max > 0 else float("nan")
        self.xsec = CrossSection(mean, err, n, w_max, eff, int(np.count_nonzero(f)) / n)
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
        receiving the number of new events after each block.  The ``pdgid`` and
        ``status`` arrays of the batch are read-only views (the same in every event).
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
        # ids and status codes are the same in every event: read-only broadcast views
        # (the writer copies them into its baskets), no n x k arrays to fill
        pdg = np.broadcast_to(np.array(ids, np.int32), (n, k))
        status = np.broadcast_to(np.array(st, np.int32), (n, k))
        mass = np.empty((n, k))
        fill_masses(E, px, py, pz, np.array(masses, np.float64),
                      4 if s.final_state == "pair" else -1, mass)
        return EventBatch(weight=weight, pdgid=pdg, status=status, px=px, py=py, pz=pz, E=E,
                          mass=mass, vx=np.zeros(n), vy=np.zeros(n), vz=vz, E_beam=eb, names=names)


# -- randomised quasi-Monte Carlo (training and integration) -----------------------------
#: uniform number fed by Sobol' coordinate c (the first coordinates are the most uniform):
#: 1 - x, k^2, t, theta, phi_q, the electron energy loss, the depth, then the auxiliary
#: uniforms cos(theta*), phi*, phi of gamma*, the unused one and the unweighting draw
#: (index >= MAP_DIM: auxiliary uniform index - MAP_DIM)
_SOBOL_ORDER = (3, 2, 5, 4, 6, 1, 0, 9, 10, 7, 8, 11)
_SOBOL_DIM = len(_SOBOL_ORDER)
assert sorted(_SOBOL_ORDER) == list(range(MAP_DIM + K.N_AUX)), "one Sobol' coordinate per uniform"
#: replicates of 2**10 points in the training iterations of prepare()
_TRAIN_REPLICATE_BITS = 10
#: rel_err integration: at least 16 replicates (the error is then known to ~18%); the
#: replicate size aims at ~24 replicates for the forecast number of points
_MIN_REPLICATES = 16
_TARGET_REPLICATES = 24
#: rough ratio of the replicate variance (x points) to the plain variance of f, used only to
#: choose the replicate size after train() (measured 0.03-0.3 on NA64mu, NA64e, LDMX)
_QMC_GAIN_GUESS = 0.1


def _sobol_uniforms(gen, bits: int, y: np.ndarray, rs: np.ndarray) -> None:
    """Fill y (2**bits, MAP_DIM) and rs (2**bits, N_AUX) with a scrambled Sobol' net
    (:func:`mcpgen.generators.sampling.scrambled_sobol`), coordinates in ``_SOBOL_ORDER``."""
    u = scrambled_sobol(gen, bits, _SOBOL_DIM)
    for c, k in enumerate(_SOBOL_ORDER):
        if k < MAP_DIM:
            y[:, k] = u[:, c]
        else:
            rs[:, k - MAP_DIM] = u[:, c]
