"""The meson-decay family: V -> chi chibar and P -> gamma chi chibar.

One channel per meson (registered as ``rho``, ``omega``, ``phi``, ``jpsi``, ...,
``pi0``, ``eta``, ``etaprime``), with the parents from one of two sources:

``meson-spectrum`` (:mod:`mcpgen.sources.meson_spectrum`, proton beam dumps, user
    spectra): unpolarised mesons sampled exactly from the table; every event has the
    weight (mesons per POT) x BR / N, so the "cross section" is known exactly up to the
    table's statistical error.
``lepton-beam`` (vector mesons only; LDMX, NA64e): photoproduction in the target,
    e N -> e N gamma, gamma A -> V A (coherent) or gamma p -> V p (incoherent)
    (:mod:`mcpgen.physics.photoproduction`).  The electron degrades along the target
    (Tsai, as the brem channel: :mod:`mcpgen.physics.beam_degradation`), radiates one
    hard photon k = y E with the complete-screening spectrum (1/k)(4/3 - 4y/3 + y^2)/X0
    (PDG review "Passage of particles through matter", eq. 34.29; one hard photon per
    electron, first order in the target thickness), the photon travels to the
    conversion point with the survival exp(-(7/9) dz/X0) (pair-production length
    9/7 X0, same review) and makes the V there.  The photon and the recoil electron
    are taken collinear with the beam (their angle ~ m_e/E is neglected).  Weights are
    cross sections per nucleus in pb averaged over the target length, so the exposure
    is the lepton beam's LOT x n_T x L as for the brem channel.  The V keeps the
    photon's transverse helicity in the s-channel helicity frame (SCHC; Bauer et al.,
    Rev. Mod. Phys. 50 (1978) 261, sec. II.D): the spin axis is the V direction in the
    gamma-target c.m., i.e. minus the recoil direction in the V rest frame.

Vector mesons get their mass from the line shape (:func:`mcpgen.physics.mesons.line_shape_table`),
and the weights carry the line-shape BR (:func:`~mcpgen.physics.mesons.line_shape_br`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hepunits import GeV

from ..constants import CHI_PDGID, M_P, nucleus_mass, nucleus_pdgid
from ..errors import ConfigError
from ..framework.process import Column, CrossSection, Particle, Process
from ..io.record import STATUS_DECAYED, STATUS_FINAL, STATUS_INCOMING, EventBatch

#: share of the integral allowed above the unweighting threshold (photoproduction)
OVERWEIGHT_FRACTION = 1e-3
#: photon-energy nodes of the tabulated photoproduction cross sections
K_NODES = 96


@dataclass(frozen=True)
class MesonSettings:
    """Generator settings of the family (resolved from the steering file)."""

    x_min: float = 0.0        #: photoproduction: generator cut on k/E0
    polarised: bool = True    #: photoproduction: SCHC helicity (False: isotropic decay)


class MesonDecayProcess(Process):
    """Base class of one meson channel; subclasses set ``meson`` (canonical name)."""

    meson = ""
    model = "mcp"
    eps_power = 2
    source_kinds = ("meson-spectrum",)
    mass_name = "m_chi"

    def __init__(self, source, mass, settings, seed):
        from ..physics import mesons as M

        self.source, self.mass, self.settings, self.seed = source, float(mass), settings, seed
        self.data = M.meson(self.meson)
        self.weight_unit = source.weight_unit
        if self.data.kind == "vector":
            self.br = M.line_shape_br(self.data, self.mass)
            from ..generators.meson_decay import guide_table

            nodes, cdf = M.line_shape_table(self.data, self.mass)
            self.line_shape = (nodes, cdf, guide_table(cdf))
        else:
            from ..generators.meson_decay import dalitz_z_table

            self.br = M.branching_fraction(self.data, self.mass)
            self.z_table = dalitz_z_table((self.mass / self.data.mass) ** 2)
        self.photo = None
        if source.kind == "lepton-beam":
            self.photo = Photoproduction(source, self.data, settings.x_min)
        else:
            source.species(self.data.name, key="physics.process")
        self.xsec = None

    @classmethod
    def settings(cls, steering, setup):
        if setup.source.kind != "lepton-beam":
            return MesonSettings()
        return MesonSettings(x_min=steering.x_min(setup))

    @classmethod
    def check_source(cls, source, *, file=None, prefix="setup"):
        from ..physics.mesons import meson

        if source.kind == "lepton-beam":
            Photoproduction.check(source, meson(cls.meson), file=file, prefix=prefix)
        else:
            source.species(meson(cls.meson).name, file=file, key=f"{prefix}.spectrum")

    @classmethod
    def mass_limit(cls, source, settings) -> float:
        """m_chi < m_meson/2 (narrow width; module docstring of mcpgen.physics.mesons)."""
        from ..physics.mesons import meson

        return meson(cls.meson).threshold

    # -- particles --------------------------------------------------------------------
    @property
    def particles(self):
        d, m = self.data, self.mass
        chis = (Particle("chi", CHI_PDGID, STATUS_FINAL, m),
                Particle("chibar", -CHI_PDGID, STATUS_FINAL, m))
        if d.kind == "vector":
            tail = (Particle("V", d.pdgid, STATUS_DECAYED),) + chis
        else:
            tail = (Particle("P", d.pdgid, STATUS_DECAYED, d.mass), Particle("gamma", 22, STATUS_FINAL, 0.0),
                    Particle("gamma*", 22, STATUS_DECAYED)) + chis
        if self.photo is None:
            return tail
        return self.photo.particles + tail

    @property
    def columns(self):
        if self.photo is None:
            return ()
        return (Column("E_beam", "float64", "MeV", "electron energy at the photon emission"),
                Column("z_brem", "float64", "mm", "depth of the photon emission"),
                Column("coherent", "bool", "", "V made on the whole nucleus (else on a nucleon)"))

    # -- sampling ---------------------------------------------------------------------
    def integrate(self, rel_err, max_points):
        if self.photo is None:
            sp = self.source.species(self.data.name)
            sigma, err = sp.total * self.br, sp.total_err * self.br
            self.xsec = CrossSection(sigma, err, 0, sigma, 1.0, 1.0,
                                     extra={"mesons_per_pot": sp.total, "br": self.br})
        else:
            self.xsec = self.photo.integrate(self, rel_err, max_points)
        if not (math.isfinite(self.xsec.sigma) and self.xsec.sigma > 0):
            raise ConfigError(f"no {self.data.name} decays to chi pairs for m_chi = {self.mass:g} "
                              "MeV in this set-up (zero rate)", key="physics.masses")
        return self.xsec

    def _uniforms(self, purpose, b, n, k):
        from .. import rng as R

        return R.block_rng(self.seed, purpose, b).random((n, k))

    def block(self, b, n_points, n_trials, unweighted):
        if self.photo is None:
            return self._spectrum_block(b, n_points, self.xsec.sigma / n_trials)
        u = self._uniforms("generate", b, n_points, Photoproduction.N_UNIFORMS + 2 + 1)
        mass = self._parent_mass(u[:, Photoproduction.N_UNIFORMS - 1])
        ev = self.photo.sample(u, mass, self.br)
        w = ev["w"]
        if unweighted:
            w_max = self.xsec.w_max
            keep = u[:, -1] * w_max < w
            w = np.maximum(w, w_max)
        else:
            keep = w > 0
        sel = np.flatnonzero(keep)
        ev = {k: v[sel] for k, v in ev.items()}
        batch = self._decay(ev["V"], ev["axis"], u[sel, Photoproduction.N_UNIFORMS:-1],
                            w[sel] / n_trials, len(sel), head=ev)
        return batch

    def _spectrum_block(self, b, n, weight):
        """Events of block b from the spectrum table, made in one Numba pass."""
        from .. import rng as R
        from ..generators import meson_decay as K

        parts = self.particles
        k = len(parts)
        E, px, py, pz, mass = (np.empty((n, k)) for _ in range(5))
        pdg, status = np.empty((n, k), np.int32), np.empty((n, k), np.int32)
        w = np.empty(n)
        rows = (np.array([p.pdgid for p in parts], np.int32),
                np.array([p.status for p in parts], np.int32), np.array([p.mass for p in parts]))
        gen = R.block_rng(self.seed, "generate", b)
        table = self.source.kernel_table(self.data.name)
        if self.data.kind == "vector":
            K.spectrum_vector_events(gen, *table, *self.line_shape, self.mass, weight, *rows,
                                     E, px, py, pz, mass, pdg, status, w)
        else:
            K.spectrum_pseudoscalar_events(gen, *table, self.data.mass, *self.z_table, self.mass,
                                           weight, *rows, E, px, py, pz, mass, pdg, status, w)
        zero = np.zeros(n)
        return EventBatch(weight=w, pdgid=pdg, status=status, px=px, py=py, pz=pz, E=E, mass=mass,
                          vx=zero, vy=zero, vz=zero, names=tuple(p.label for p in parts))

    def _parent_mass(self, u):
        if self.data.kind != "vector":
            return np.full(len(u), self.data.mass)
        x, cdf, _ = self.line_shape
        return np.interp(u, cdf, x)

    def _decay(self, parent, axis, u, w, n, head):
        """The photoproduction events: V -> chi chibar about the SCHC axis, plus the head."""
        from ..generators import meson_decay as K

        parts = self.particles
        k = len(parts)
        E, px, py, pz = (np.empty((n, k)) for _ in range(4))
        j = {p.label: i for i, p in enumerate(parts)}
        K.vector_decays(np.ascontiguousarray(parent), np.ascontiguousarray(axis),
                        self.settings.polarised, np.ascontiguousarray(u), self.mass,
                        E, px, py, pz, j["V"], j["chi"], j["chibar"])
        pdg = np.tile(np.array([p.pdgid for p in parts], np.int32), (n, 1))
        status = np.tile(np.array([p.status for p in parts], np.int32), (n, 1))
        mass = np.tile(np.array([p.mass for p in parts]), (n, 1))
        c = j["V"]
        mass[:, c] = np.sqrt(np.maximum(E[:, c]**2 - px[:, c]**2 - py[:, c]**2 - pz[:, c]**2, 0.0))
        self.photo.fill_head(head, j, E, px, py, pz, pdg, mass)
        return EventBatch(weight=w, pdgid=pdg, status=status, px=px, py=py, pz=pz, E=E, mass=mass,
                          vx=np.zeros(n), vy=np.zeros(n), vz=head["z"],
                          names=tuple(p.label for p in parts), E_beam=head["E"],
                          z_brem=head["z1"], coherent=head["coherent"])

    def warm_up(self):
        """Compile the kernels of :meth:`block` with the argument types of real calls."""
        if self.photo is None:
            self._spectrum_block(0, 16, 1.0)
            return
        from ..generators import meson_decay as K

        n = 4
        E, px, py, pz = (np.empty((n, 8)) for _ in range(4))
        par = np.tile([2000.0, 0.0, 0.0, 1500.0], (n, 1))
        K.vector_decays(par, np.tile([0.0, 0.0, 1.0], (n, 1)), True, np.full((n, 2), 0.5), 1.0,
                        E, px, py, pz, 5, 6, 7)

    def metadata(self):
        from ..physics.mesons import branching_fraction

        d = self.data
        meta = {**super().metadata(), "meson": d.name, "meson_pdg": d.to_dict(),
                f"{self.mass_name}_MeV": self.mass, "br": self.br,
                "br_narrow_width": branching_fraction(d, self.mass),
                "parent_source": self.source.kind}
        if self.photo is not None:
            meta.update(self.photo.metadata())
            meta["polarised"] = self.settings.polarised
        return meta


# ---------------------------------------------------------------------------
# photoproduction of the parent V by the electron beam
# ---------------------------------------------------------------------------

class Photoproduction:
    """Sampling of e N -> e gamma (-> V on the target) in a thick target (module docstring).

    Uniforms per point: emission depth, Tsai energy, photon y, conversion depth,
    coherent/incoherent, t, azimuth, V mass (the last, index N_UNIFORMS - 1)."""

    N_UNIFORMS = 8

    @staticmethod
    def check(source, meson, *, file=None, prefix="setup"):
        """ConfigError if ``meson`` cannot be photoproduced by this lepton beam."""
        from ..physics import photoproduction as PP

        if meson.kind != "vector" or meson.name not in PP.SCHULER_SJOSTRAND:
            raise ConfigError(f"photoproduction is implemented for "
                              f"{', '.join(PP.SCHULER_SJOSTRAND)}, not {meson.name}",
                              file=file, key="physics.process")
        if source.is_muon:
            raise ConfigError(f"vector-meson photoproduction needs an electron beam, not "
                              f"{source.beam!r} (muon bremsstrahlung is suppressed by "
                              "(m_e/m_mu)^2); allowed: e-, e+", file=file, key=f"{prefix}.beam")
        if source.electron_length != "tsai":
            raise ConfigError("vector-meson photoproduction follows the degrading electron; "
                              "allowed: electron_length = \"tsai\"", file=file,
                              key=f"{prefix}.electron_length")

    def __init__(self, source, meson, x_min):
        from ..physics import photoproduction as PP

        self.check(source, meson)
        self.source, self.meson = source, meson
        mat = source.material
        self.A, self.Z = mat.A, mat.Z
        self.M_A = nucleus_mass(mat.Z, mat.A)
        self.x_min = max(float(x_min), 1e-6)
        E0 = source.energy
        k = np.geomspace(self.x_min * E0, E0, K_NODES)
        self.k_nodes = k
        s_p = (M_P**2 + 2 * k * M_P) / GeV**2
        d0 = PP.forward_dsigma_dt(meson.name, s_p)
        b = PP.slope(s_p)
        nf = [PP.nuclear_factors(meson.name, self.A, float(x)) for x in s_p]
        mb_pb = 1e9
        self.sig0 = {"coh": np.array([f.A_coh**2 for f in nf]) * d0 * mb_pb,
                     "inc": np.array([f.A_inc for f in nf]) * d0 * mb_pb}
        self.slopes = {"coh": b + np.array([f.b_coh for f in nf]), "inc": b}

    @property
    def particles(self):
        s = self.source
        nuc = nucleus_pdgid(self.Z, self.A)
        return (Particle("l", s.lepton_pdgid, STATUS_INCOMING, s.lepton_mass),
                Particle("N", nuc, STATUS_INCOMING, self.M_A),
                Particle("l'", s.lepton_pdgid, STATUS_FINAL, s.lepton_mass),
                Particle("gamma_brem", 22, STATUS_DECAYED, 0.0),
                Particle("N'", nuc, STATUS_FINAL, self.M_A))

    def _interp(self, table, k):
        return np.interp(np.log(k), np.log(self.k_nodes), table)

    def sample(self, u, m_v, br):
        """Weights (pb per nucleus at eps = 1, x BR) and kinematics of the points u."""
        from ..physics.beam_degradation import sample_tsai_energy
        from ..physics.photoproduction import t_min

        s = self.source
        E0, L, X0 = s.energy, s.thickness, s.material.X0
        z1 = L * u[:, 0]
        E, w = sample_tsai_energy(u[:, 1], E0, z1 / X0, self.x_min)
        ymin = np.minimum(self.x_min * E0 / E, 1.0)
        lny = -np.log(ymin)
        y = ymin ** (1.0 - u[:, 2])
        k = y * E
        z = z1 + (L - z1) * u[:, 3]
        w = w * lny * (4.0 / 3.0 - 4.0 / 3.0 * y + y * y) * (L - z1) / X0 \
            * np.exp(-7.0 / 9.0 * (z - z1) / X0)
        s_coh = self._interp(self.sig0["coh"], k)
        s_inc = self._interp(self.sig0["inc"], k)
        b_coh = self._interp(self.slopes["coh"], k) / GeV**2     # MeV^-2
        b_inc = self._interp(self.slopes["inc"], k) / GeV**2
        tm_coh = t_min(k, m_v, self.M_A)
        tm_inc = t_min(k, m_v, M_P)
        with np.errstate(over="ignore", invalid="ignore"):
            a_coh = np.where(np.isfinite(tm_coh), s_coh * np.exp(-b_coh * tm_coh) / (b_coh * GeV**2), 0.0)
            a_inc = np.where(np.isfinite(tm_inc), s_inc * np.exp(-b_inc * tm_inc) / (b_inc * GeV**2), 0.0)
        tot = a_coh + a_inc
        coherent = u[:, 4] * tot < a_coh
        w = w * tot * br
        M = np.where(coherent, self.M_A, M_P)
        b_t = np.where(coherent, b_coh, b_inc)
        tm = np.where(coherent, tm_coh, tm_inc)
        tabs = np.where(np.isfinite(tm), tm, 0.0) - np.log1p(-u[:, 5]) / b_t
        # gamma(k) + T(M) -> V(m_v) + T in the c.m., photon along +z
        s_cm = M * M + 2.0 * k * M
        rs = np.sqrt(s_cm)
        kc = (s_cm - M * M) / (2.0 * rs)
        Ev = (s_cm + m_v**2 - M * M) / (2.0 * rs)
        pv = np.sqrt(np.clip(Ev**2 - m_v**2, 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = (-tabs - m_v**2 + 2.0 * kc * Ev) / (2.0 * kc * pv)
        ok = np.isfinite(tm) & (np.abs(cos) <= 1.0) & (w > 0)
        w = np.where(ok, w, 0.0)
        cos = np.clip(np.where(ok, cos, 1.0), -1.0, 1.0)
        sin = np.sqrt(1.0 - cos**2)
        phi = 2.0 * math.pi * u[:, 6]
        beta = k / (k + M)
        gam = 1.0 / np.sqrt(1.0 - beta**2)
        V = np.empty((len(u), 4))
        V[:, 0] = gam * (Ev + beta * pv * cos)
        V[:, 1] = pv * sin * np.cos(phi)
        V[:, 2] = pv * sin * np.sin(phi)
        V[:, 3] = gam * (pv * cos + beta * Ev)
        R = np.empty_like(V)
        R[:, 0] = k + M - V[:, 0]
        R[:, 1:3] = -V[:, 1:3]
        R[:, 3] = k - V[:, 3]
        axis = -_boost_to_rest(R, V)
        axis /= np.linalg.norm(axis, axis=1)[:, None]
        return {"w": w, "V": V, "R": R, "axis": axis, "E": E, "k": k, "z": z, "z1": z1,
                "coherent": coherent}

    def fill_head(self, ev, j, E, px, py, pz, pdg, mass):
        """The incoming lepton and target, the recoil lepton, photon and target recoil."""
        s = self.source
        m = s.lepton_mass
        n = len(ev["E"])
        zero = np.zeros(n)
        Ein, k = ev["E"], ev["k"]
        for label, (e, x, y, zz) in {
                "l": (Ein, zero, zero, np.sqrt(np.maximum(Ein**2 - m * m, 0.0))),
                "N": (np.where(ev["coherent"], self.M_A, M_P), zero, zero, zero),
                "l'": (Ein - k, zero, zero, np.sqrt(np.maximum((Ein - k)**2 - m * m, 0.0))),
                "gamma_brem": (k, zero, zero, k),
                "N'": tuple(ev["R"].T)}.items():
            c = j[label]
            E[:, c], px[:, c], py[:, c], pz[:, c] = e, x, y, zz
        proton = ~ev["coherent"]
        for label in ("N", "N'"):
            pdg[proton, j[label]] = 2212
            mass[:, j[label]] = np.where(proton, M_P, self.M_A)

    def integrate(self, proc, rel_err, max_points):
        """Plain Monte Carlo in blocks until the relative error ``rel_err``."""
        from ..generators.sampling import plain_mc_integrate

        return plain_mc_integrate(
            lambda u: self.sample(u, proc._parent_mass(u[:, -1]), proc.br)["w"], proc.seed,
            self.N_UNIFORMS, rel_err, max_points, fraction=OVERWEIGHT_FRACTION)

    def metadata(self):
        from ..physics.photoproduction import nuclear_factors

        s_p = (M_P**2 + 2 * self.source.energy * M_P) / GeV**2
        nf = nuclear_factors(self.meson.name, self.A, s_p)
        return {"photoproduction": "Schuler-Sjostrand VMD x Glauber (Bauer et al. 1978)",
                "x_min": self.x_min, "A_coh_at_E0": nf.A_coh, "A_inc_at_E0": nf.A_inc,
                "b_coh_GeV-2": nf.b_coh}


def _boost_to_rest(P, Q):
    """Three-momenta of four-vectors P (n, 4) in the rest frame of Q (n, 4) (pure boost)."""
    mQ = np.sqrt(np.maximum(Q[:, 0]**2 - (Q[:, 1:]**2).sum(1), 0.0))
    b = Q[:, 1:] / Q[:, [0]]
    b2 = (b * b).sum(1)
    g = Q[:, 0] / mQ
    bp = (b * P[:, 1:]).sum(1)
    coef = np.where(b2 > 0, (g - 1.0) * bp / np.where(b2 > 0, b2, 1.0), 0.0) - g * P[:, 0]
    return P[:, 1:] + coef[:, None] * b


def _channel(name, meson, decay, sources=("meson-spectrum",)):
    return type(f"{name.capitalize()}Process", (MesonDecayProcess,), {
        "name": name, "meson": meson, "description": f"{meson} -> {decay}",
        "source_kinds": sources, "__doc__": f"{meson} -> {decay} (mcpgen.physics.mesons)"})


_PHOTO = ("meson-spectrum", "lepton-beam")
PI0 = _channel("pi0", "pi0", "gamma chi chibar")
ETA = _channel("eta", "eta", "gamma chi chibar")
ETAPRIME = _channel("etaprime", "eta'(958)", "gamma chi chibar")
RHO = _channel("rho", "rho(770)0", "chi chibar", _PHOTO)
OMEGA = _channel("omega", "omega(782)", "chi chibar", _PHOTO)
PHI = _channel("phi", "phi(1020)", "chi chibar", _PHOTO)
JPSI = _channel("jpsi", "J/psi(1S)", "chi chibar", _PHOTO)
PSI2S = _channel("psi2s", "psi(2S)", "chi chibar")
UPSILON1S = _channel("upsilon1s", "Upsilon(1S)", "chi chibar")
UPSILON2S = _channel("upsilon2s", "Upsilon(2S)", "chi chibar")
UPSILON3S = _channel("upsilon3s", "Upsilon(3S)", "chi chibar")
