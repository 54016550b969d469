"""e+e- -> gamma*(-> chi chibar) (gamma_ISR): the process ``ee`` (seed 004).

Physics in :mod:`mcpgen.physics.ee_annihilation`; beams from a
:class:`~mcpgen.sources.collider.ColliderSource`.  Per point (uniforms from the
block-seeded streams):

1. sqrt(s) = sqrt(s0) + sigma_0 z with z ~ N(0, 1) (inverse normal CDF of a uniform);
2. with ISR, the radiated fraction x = x_max u^(1/b) (density b x^(b-1)/x_max^b, which
   takes the x^(b-1) peak of F(x, s) exactly), the photon along the e- (+z) or e+ (-z)
   beam with probability 1/2 each; weight F(x, s)/(density) sigma_B(s (1 - x));
   without ISR the weight is sigma_B(s);
3. the pair decay in its rest frame (a pure boost along z from the lab), with the chi
   angle to the beam axis following 1 + cos^2 + (1 - beta^2) sin^2
   (:func:`mcpgen.generators.meson_decay.vector_decays` about z: the same
   2 - beta^2 sin^2 shape of a helicity +-1 vector);
4. the vertex z ~ N(0, vertex_sigma_z).

Weights are pb at eps = 1 (the run scales them).  Plain Monte Carlo: the weights are
smooth except near threshold, where they follow beta.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import CHI_PDGID, INV_MEV2_TO_PB, M_E
from ..errors import ConfigError
from ..framework.process import Column, CrossSection, Option, Particle, Process
from ..io.record import STATUS_DECAYED, STATUS_FINAL, STATUS_INCOMING, EventBatch

#: share of the integral allowed above the unweighting threshold
OVERWEIGHT_FRACTION = 1e-3
#: uniforms per point: spread, x, side, chi cos, chi phi, vertex, unweighting
N_UNIFORMS = 7


@dataclass(frozen=True)
class EESettings:
    """No generator settings beyond the source's (kept for the interface)."""


class EEProcess(Process):
    """e+ e- -> gamma*(-> chi chibar) with ISR and beam-energy spread."""

    name = "ee"
    description = "e+ e- -> gamma*(-> chi chibar) (gamma_ISR)"
    model = "mcp"
    weight_unit = "pb"
    eps_power = 2
    source_kinds = ("collider",)
    columns = (Column("sqrt_s", "float64", "MeV", "collision energy of the event (with the spread)"),
               Column("sqrt_s_pair", "float64", "MeV", "chi chibar mass after ISR"))

    def __init__(self, source, mass, settings, seed):
        self.source, self.mass, self.settings, self.seed = source, float(mass), settings, seed
        self.xsec = None

    @classmethod
    def settings(cls, steering, setup):
        return EESettings()

    @classmethod
    def mass_limit(cls, source, settings) -> float:
        """2 m_chi < sqrt(s) + 5 sigma_0 (the spread's reach above nominal)."""
        return 0.5 * (source.sqrt_s + 5.0 * source.energy_spread)

    @property
    def particles(self):
        head = (Particle("e-", 11, STATUS_INCOMING, M_E), Particle("e+", -11, STATUS_INCOMING, M_E),
                Particle("gamma*", 22, STATUS_DECAYED))
        isr = (Particle("gamma_isr", 22, STATUS_FINAL, 0.0),) if self.source.isr != "none" else ()
        return head + isr + (Particle("chi", CHI_PDGID, STATUS_FINAL, self.mass),
                             Particle("chibar", -CHI_PDGID, STATUS_FINAL, self.mass))

    # -- sampling ---------------------------------------------------------------------
    def _points(self, u):
        """Weights (pb) and the kinematics of the points u (n, N_UNIFORMS)."""
        from scipy.special import ndtri

        from ..physics import ee_annihilation as P

        src, m = self.source, self.mass
        rs = src.sqrt_s + src.energy_spread * ndtri(np.clip(u[:, 0], 1e-300, 1 - 1e-16)) \
            if src.energy_spread > 0 else np.full(len(u), src.sqrt_s)
        s = rs * rs
        x = np.zeros(len(u))
        w = np.ones(len(u))
        if src.isr != "none":
            x_max = np.clip(1.0 - 4.0 * m * m / s, 0.0, None)
            b = P.isr_b(s)
            x = x_max * u[:, 1] ** (1.0 / b)
            ok = x > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                r = P.radiator_over_leading(np.where(ok, x, 0.5), s, src.isr)
            w = np.where(ok, r * x_max**b, 0.0)
        s_pair = s * (1.0 - x)
        w = w * P.born_sigma(s_pair, m) * INV_MEV2_TO_PB
        return w, rs, s_pair, x

    def integrate(self, rel_err, max_points):
        if self.source.isr == "none" and self.source.energy_spread == 0:
            from ..physics.ee_annihilation import born_sigma_pb

            sigma = float(born_sigma_pb(self.source.sqrt_s, self.mass))
            self.xsec = CrossSection(sigma, 0.0, 0, sigma, 1.0, 1.0 if sigma > 0 else 0.0)
        else:
            from ..generators.sampling import plain_mc_integrate

            self.xsec = plain_mc_integrate(lambda u: self._points(u)[0], self.seed, N_UNIFORMS,
                                           rel_err, max_points, fraction=OVERWEIGHT_FRACTION)
        if not (self.xsec.sigma > 0 and math.isfinite(self.xsec.sigma)):
            raise ConfigError(f"no chi pairs of m = {self.mass:g} MeV at sqrt(s) = "
                              f"{self.source.sqrt_s:g} MeV (zero cross section)",
                              key="physics.masses")
        return self.xsec

    def block(self, b, n_points, n_trials, unweighted):
        from .. import rng as R
        from ..generators.meson_decay import vector_decays

        src = self.source
        u = R.block_rng(self.seed, "generate", b).random((n_points, N_UNIFORMS))
        w, rs, s_pair, x = self._points(u)
        if unweighted:
            keep = u[:, 6] * self.xsec.w_max < w
            w = np.maximum(w, self.xsec.w_max)
        else:
            keep = w > 0
        sel = np.flatnonzero(keep)
        u, w, rs, s_pair, x = u[sel], w[sel], rs[sel], s_pair[sel], x[sel]
        n = len(sel)
        parts = self.particles
        j = {p.label: i for i, p in enumerate(parts)}
        k = len(parts)
        E, px, py, pz = (np.zeros((n, k)) for _ in range(4))
        Eb = 0.5 * rs
        pb = np.sqrt(np.maximum(Eb * Eb - M_E * M_E, 0.0))
        E[:, j["e-"]], pz[:, j["e-"]] = Eb, pb
        E[:, j["e+"]], pz[:, j["e+"]] = Eb, -pb
        kgam = 0.5 * x * rs
        side = np.where(u[:, 2] < 0.5, 1.0, -1.0)
        pair = np.zeros((n, 4))
        pair[:, 0] = rs - kgam
        pair[:, 3] = -side * kgam
        if "gamma_isr" in j:
            E[:, j["gamma_isr"]], pz[:, j["gamma_isr"]] = kgam, side * kgam
        E[:, j["gamma*"]], pz[:, j["gamma*"]] = pair[:, 0], pair[:, 3]
        axis = np.zeros((n, 3))
        axis[:, 2] = 1.0
        vector_decays(np.ascontiguousarray(pair), axis, True, np.ascontiguousarray(u[:, 3:5]),
                      self.mass, E, px, py, pz, j["gamma*"], j["chi"], j["chibar"])
        pdg = np.tile(np.array([p.pdgid for p in parts], np.int32), (n, 1))
        status = np.tile(np.array([p.status for p in parts], np.int32), (n, 1))
        mass = np.tile(np.array([p.mass for p in parts]), (n, 1))
        mass[:, j["gamma*"]] = np.sqrt(s_pair)
        vz = np.zeros(n)
        if src.vertex_sigma_z > 0:
            from scipy.special import ndtri

            vz = src.vertex_sigma_z * ndtri(np.clip(u[:, 5], 1e-300, 1 - 1e-16))
        zero = np.zeros(n)
        return EventBatch(weight=w / n_trials, pdgid=pdg, status=status, px=px, py=py, pz=pz,
                          E=E, mass=mass, vx=zero, vy=zero, vz=vz,
                          names=tuple(p.label for p in parts), sqrt_s=rs, sqrt_s_pair=np.sqrt(s_pair))

    def metadata(self):
        return {**super().metadata(), "m_chi_MeV": self.mass, "isr": self.source.isr,
                "energy_spread_MeV": self.source.energy_spread}

    # -- the xsec command --------------------------------------------------------------
    xsec_options = (
        Option("sqrt_s", "collision energy sqrt(s) (GeV unless a unit is given)", required=True,
               kind="energy", cli_unit="GeV"),
        Option("mass", "m_chi (MeV unless a unit is given)", required=True, kind="mass",
               cli_unit="MeV"),
        Option("isr", "initial-state radiation with the full Kuraev-Fadin structure function",
               flag=True, default=False),
        Option("isr_model", "ISR structure function with --isr: kuraev-fadin, leading, seed",
               default="kuraev-fadin"),
        Option("spread", "Gaussian spread of sqrt(s) (MeV unless a unit is given)", kind="energy",
               cli_unit="MeV"),
    )

    @classmethod
    def xsec(cls, *, eps, seed, precision, sqrt_s, mass, isr=False, isr_model="kuraev-fadin",
             spread=None, max_points=10_000_000):
        """sigma (pb) of e+e- -> chi chibar at ``sqrt_s`` (MeV) for m_chi = ``mass`` (MeV),
        with ISR (``isr``) and a Gaussian sqrt(s) ``spread`` (MeV)."""
        from ..physics.ee_annihilation import ISR_MODELS
        from ..sources.collider import ColliderSource
        from ..units import parse_quantity

        sqrt_s, mass = (v if isinstance(v, (int, float)) and not isinstance(v, bool) else
                        parse_quantity(v, kind, default_unit="MeV", key=key)
                        for v, kind, key in ((sqrt_s, "energy", "sqrt_s"), (mass, "mass", "mass")))
        spread = 0.0 if spread is None else (
            spread if isinstance(spread, (int, float)) else
            parse_quantity(spread, "energy", default_unit="MeV", key="spread"))
        if isr_model not in ISR_MODELS[1:]:
            raise ConfigError(f"unknown ISR model {isr_model!r}; allowed: "
                              f"{', '.join(ISR_MODELS[1:])}", key="isr_model")
        try:
            src = ColliderSource(sqrt_s=float(sqrt_s), luminosity=1.0,
                                 energy_spread=float(spread), isr=isr_model if isr else "none")
        except ConfigError as e:
            names = {"sqrt_s": ("--sqrt-s", "sqrt_s"), "energy_spread": ("--spread", "spread")}
            flag, word = names.get(e.key, (e.key, e.key))
            msg = str(e).split(": ", 1)[-1].replace(str(e.key), word)
            raise ConfigError(msg, key=flag) from None
        limit = cls.mass_limit(src, None)
        if not (math.isfinite(mass) and 0 < mass < limit):
            raise ConfigError(f"mass {mass!r} MeV out of range; allowed: 0 < mass < "
                              f"{limit:g} MeV (sqrt(s)/2 plus 5 spreads)", key="--mass")
        res = cls(src, mass, EESettings(), seed).integrate(precision, max_points)
        return {"process": cls.name, "sqrt_s_MeV": sqrt_s, "mass_MeV": mass,
                "isr": src.isr, "spread_MeV": spread, "eps": eps,
                "sigma_pb": res.sigma * eps**2, "sigma_err_pb": res.sigma_err * eps**2,
                "points": res.n_points, "seed": seed}
