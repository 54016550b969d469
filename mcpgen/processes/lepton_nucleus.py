"""The lepton-nucleus family: l N -> l N gamma*(-> chi chibar) and l N -> l N A'.

Adapts the sampler of :mod:`mcpgen.generators.brem` (VEGAS-adapted importance
sampling of the kernels in :mod:`mcpgen.generators.brem_kernels`; physics in
:mod:`mcpgen.physics`) to the :class:`~mcpgen.framework.process.Process`
interface.  Weights are cross sections per nucleus in pb at eps = 1, averaged
over the production depth of a :class:`~mcpgen.sources.lepton_beam.LeptonBeamSource`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import CHI_PDGID, LEPTONS, nucleus_mass, nucleus_pdgid
from ..errors import ConfigError
from ..framework.process import Column, CrossSection, Option, Particle, Process
from ..io.record import STATUS_DECAYED, STATUS_FINAL, STATUS_INCOMING

METHODS = ("etl", "ww", "iww")
#: smallest x_min accepted by the sampler (the "full kinematic range")
FULL_RANGE = 1e-12
#: PDG-style id of an invisible massive vector (dark photon), Pythia's hidden-valley gamma_v
VECTOR_PDGID = 4900022


@dataclass(frozen=True)
class LeptonNucleusSettings:
    """Generator settings of the family (resolved from the steering file)."""

    method: str = "etl"
    x_min: float = FULL_RANGE       #: generator cut on E_X/E0 (pair or A')
    train_events: int = 8192       #: quasi-Monte Carlo points per VEGAS training iteration
    train_iterations: int = 12     #: most training iterations (it stops when more do not pay)


class BremProcess(Process):
    """l N -> l N gamma*(-> chi chibar), m = m_chi (seed 001 eqs. 7-10; seed 002 sec. III)."""

    name = "brem"
    description = "l N -> l N gamma*(-> chi chibar)"
    model = "mcp"
    final_state = "pair"
    mass_name = "m_chi"
    source_kinds = ("lepton-beam",)
    columns = (Column("E_beam", "float64", "MeV", "lepton energy at the vertex"),)

    def __init__(self, source, mass, settings, seed):
        from ..generators.brem import BremGenerator, BremSetup

        self.source, self.mass, self.settings, self.seed = source, float(mass), settings, seed
        fixed = getattr(source, "thickness", 0.0) == 0.0
        setup = BremSetup(beam=source.beam, energy=source.energy, material=source.material,
                          m_chi=self.mass, x_min=settings.x_min, method=settings.method,
                          source="fixed" if fixed else "target", length=source.thickness,
                          electron_length=source.electron_length,
                          muon_energy_loss=source.muon_energy_loss, final_state=self.final_state)
        self.generator = BremGenerator(setup, seed=seed)
        self.xsec = None

    @classmethod
    def settings(cls, steering, setup):
        return LeptonNucleusSettings(method=steering.physics.method, x_min=steering.x_min(setup),
                                     train_events=steering.run.train_events,
                                     train_iterations=steering.run.train_iterations)

    @classmethod
    def mass_limit(cls, source, settings) -> float:
        """2 m_chi < E0 - m_l (pair), m_V < E0 - m_l (vector)."""
        free = source.energy - LEPTONS[source.beam][1]
        return free if cls.final_state == "vector" else 0.5 * free

    # -- particles ------------------------------------------------------------------
    @property
    def particles(self):
        s = self.source
        lep, ml = LEPTONS[s.beam]
        nuc, M = nucleus_pdgid(s.material.Z, s.material.A), nucleus_mass(s.material.Z, s.material.A)
        head = (Particle("l", lep, STATUS_INCOMING, ml), Particle("N", nuc, STATUS_INCOMING, M),
                Particle("l'", lep, STATUS_FINAL, ml), Particle("N'", nuc, STATUS_FINAL, M))
        if self.final_state == "vector":
            return head + (Particle("V", VECTOR_PDGID, STATUS_FINAL, self.mass),)
        return head + (Particle("gamma*", 22, STATUS_DECAYED),
                       Particle("chi", CHI_PDGID, STATUS_FINAL, self.mass),
                       Particle("chibar", -CHI_PDGID, STATUS_FINAL, self.mass))

    # -- sampling -------------------------------------------------------------------
    def integrate(self, rel_err, max_points):
        """VEGAS training on randomised quasi-Monte Carlo points, then integration to
        ``rel_err`` (:meth:`mcpgen.generators.brem.BremGenerator.prepare`)."""
        g, st = self.generator, self.settings
        xs = g.prepare(rel_err, max_points=max_points, train_points=st.train_events,
                       min_iterations=min(4, st.train_iterations),
                       max_iterations=st.train_iterations)
        if not (math.isfinite(xs.sigma_pb) and xs.sigma_pb > 0 and math.isfinite(xs.sigma_err_pb)):
            raise ConfigError(f"no finite positive cross section for m = {self.mass:g} MeV "
                              f"(sigma = {float(xs.sigma_pb)!r} pb); the mass is outside the range the "
                              "sampler resolves", key="physics.masses")
        self.xsec = CrossSection(xs.sigma_pb, xs.sigma_err_pb, xs.n_points, xs.w_max,
                                 xs.efficiency, xs.nonzero_fraction)
        return self.xsec

    def block(self, b, n_points, n_trials, unweighted):
        from ..generators import brem_kernels as K

        g = self.generator
        ys, jac, rs = g._uniforms(b)
        ys, jac, rs = ys[:n_points], jac[:n_points], rs[:n_points]
        k = 7
        out = (np.empty(n_points), np.empty((n_points, k)), np.empty((n_points, k)),
               np.empty((n_points, k)), np.empty((n_points, k)), np.empty(n_points),
               np.empty(n_points), np.empty(n_points, np.int64))
        kept, _ = K.brem_events(ys, jac, rs, g._par, g.xsec.w_max, unweighted, 0, *out)
        w, E, px, py, pz, vz, eb, _ = (a[:kept] for a in out)
        return g._batch(w / n_trials, E, px, py, pz, vz, eb)

    def warm_up(self):
        """Evaluate the kernels on 16 points with the exact argument types of
        :meth:`integrate` and :meth:`block` (a different type would compile anew)."""
        from ..generators import brem as B
        from ..generators import brem_kernels as K

        g = self.generator
        gen = np.random.default_rng(0)
        ys, rs = gen.random((16, B.MAP_DIM)), gen.random((16, K.N_AUX))
        K.brem_weights(ys, rs, g._par, np.empty(16))
        out = (np.empty(16), *(np.empty((16, 7)) for _ in range(4)), np.empty(16), np.empty(16),
               np.empty(16, np.int64))
        K.brem_events(ys, np.ones(16), rs, g._par, 1.0, False, 0, *out)
        g._batch(*out[:6], out[6])   # the mass kernel of the event record

    def metadata(self):
        return {**super().metadata(), "method": self.settings.method, "x_min": self.settings.x_min,
                f"{self.mass_name}_MeV": self.mass,
                "train_events": self.settings.train_events,
                "train_iterations": self.settings.train_iterations}

    # -- the xsec command --------------------------------------------------------------
    xsec_options = (
        Option("beam", "beam lepton: e-, e+, mu-, mu+", required=True),
        Option("energy", "beam energy (GeV unless a unit is given)", required=True,
               kind="energy", cli_unit="GeV"),
        Option("target", "target material (Pb, W, Al, Fe, Cu, C, Si)", required=True),
        Option("mass", "m_chi, or m_A' for darkphoton (MeV unless a unit is given)",
               required=True, kind="mass", cli_unit="MeV"),
        Option("xmin", "minimal energy fraction of the pair / A' (default: the full "
                       "kinematic range)"),
        Option("method", "etl (exact tree level), ww (Weizsaecker-Williams, exact t_min) or iww "
                         "(seed 001 eqs. 8-10)", default="etl"),
    )

    @classmethod
    def xsec(cls, *, eps, seed, precision, beam, energy, target, mass, xmin=None, method="etl",
             max_points=10_000_000):
        """sigma (pb) for a beam of fixed ``energy`` on one ``target`` nucleus with
        E_X/E0 >= ``xmin`` (X = chi chibar or A'); ``energy``/``mass`` are numbers in MeV
        (hepunits) or strings with a unit ("160 GeV")."""
        from ..sources.lepton_beam import LeptonBeamSource
        from ..sources.materials import get_material
        from ..units import parse_quantity

        if beam not in LEPTONS:
            raise ConfigError(f"unknown beam {beam!r}; allowed: {', '.join(LEPTONS)}", key="beam")
        energy, mass = (v if isinstance(v, (int, float)) and not isinstance(v, bool) else
                        parse_quantity(v, kind, default_unit="MeV", key=kind)
                        for v, kind in ((energy, "energy"), (mass, "mass")))
        if not (math.isfinite(energy) and LEPTONS[beam][1] < energy <= 1e9):
            raise ConfigError(f"value {energy!r} MeV out of range; allowed: {beam} mass < energy "
                              "<= 1e6 GeV", key="energy")
        from ..steering import MASS_MIN

        if not (math.isfinite(mass) and mass >= MASS_MIN):
            raise ConfigError(f"value {mass!r} MeV out of range; allowed: 10 keV <= mass",
                              key="mass")
        if method not in METHODS:
            raise ConfigError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}",
                              key="method")
        if xmin is not None:
            xmin = float(parse_quantity(xmin, "number", default_unit="", key="xmin"))
            if not 0 < xmin < 1:
                raise ConfigError(f"value {xmin!r} out of range; allowed: 0 < xmin < 1",
                                  key="xmin")
        try:
            material = get_material(target)
        except ValueError as e:
            raise ConfigError(str(e), key="target") from None
        source = LeptonBeamSource(beam=beam, energy=energy, leptons_on_target=1.0,
                                  target=target, material=material, thickness=0.0)
        settings = LeptonNucleusSettings(method=method,
                                         x_min=FULL_RANGE if xmin is None else xmin)
        limit = cls.mass_limit(source, settings)
        if not mass < limit:
            raise ConfigError(f"mass {mass:g} MeV is at or above the kinematic limit {limit:g} "
                              "MeV", key="mass")
        res = cls.build(source, mass, settings, seed).integrate(precision, max_points)
        return {"process": cls.name, "method": method, "beam": beam,
                "energy_GeV": energy / 1000.0, "target": target, "Z": material.Z,
                "A": material.A, "mass_MeV": mass, "x_min": xmin, "eps": eps,
                "sigma_pb": res.sigma * eps**2, "sigma_err_pb": res.sigma_err * eps**2,
                "points": res.n_points, "seed": seed, "unweighting_efficiency": res.efficiency}


class DarkPhotonProcess(BremProcess):
    """l N -> l N A' with an on-shell invisible A', m = m_A' (seed 001 eqs. 18-20)."""

    name = "darkphoton"
    description = "l N -> l N A' (on-shell, invisible)"
    model = "dark-photon"
    final_state = "vector"
    mass_name = "m_Aprime"
