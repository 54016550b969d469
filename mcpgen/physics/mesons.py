"""Meson decays to millicharged pairs: V -> chi chibar and P -> gamma chi chibar.

Branching fractions (../shared/physics-notes.md section 2):

* vector mesons (seed 002 eq. 11, exact in m_chi):

      BR(V -> chi chibar) = eps^2 BR(V -> e e) (1 + 2r) sqrt(1 - 4r) / [(1 + 2r_e) sqrt(1 - 4r_e)],
      r = m_chi^2/m_V^2, r_e = m_e^2/m_V^2;

* pseudoscalars, the Dalitz-like decay through one virtual photon (seed 001 eq. 2;
  N. M. Kroll and W. Wada, Phys. Rev. 98 (1955) 1355 for chi = e):

      BR(P -> gamma chi chibar) = eps^2 alpha BR(P -> gamma gamma) I3(m_chi^2/m_P^2),
      I3(x) = (2/(3 pi)) int_{4x}^{1} dz sqrt(1 - 4x/z) (1 - z)^3 (2x + z)/z^2,

  with z = q^2/m_P^2 the pair mass squared (point-like transition form factor, as
  in the seeds; the eta and eta' form-factor slopes change I3 by a few per cent
  near m_chi ~ m_P/4 and are not included).

A branching fraction counts decays; each decay gives one chi and one chibar (the
"factor 2" of some public codes belongs to the chi flux, not to BR).

Masses, widths, lifetimes and the parent branching fractions are read offline from
the PDG database through the ``pdg`` package (the particle's MC id from the
``particle`` package), never typed in: :func:`meson` returns a :class:`Meson`.

The rho line shape
------------------
Near 2 m_chi ~ m_V the width of the rho (148 MeV) matters: a rho produced with
mass m above m_rho can still decay to a pair that the nominal mass forbids.
:func:`line_shape_br` averages the partial width over the relativistic
Breit-Wigner line shape

    dP/dm^2 = (1/pi) m Gamma(m) / [(m^2 - M^2)^2 + m^2 Gamma(m)^2],

normalised on m in [m_lo, M + 5 Gamma] (m_lo = 2 m_pi+ for the rho, M - 5 Gamma
otherwise), with the energy-dependent P-wave width of the rho,
Gamma(m) = Gamma_0 (M/m) (q/q_0)^3, q = sqrt(m^2/4 - m_pi^2) (J. D. Jackson, Nuovo
Cimento 34 (1964) 1644; the form used for the rho in e.g. PYTHIA's mass sampling),
and a constant width for the other mesons.  The partial width to chi chibar at mass
m grows as m (a vector coupled to a conserved current with fixed strength):
Gamma_chi(m) = Gamma_ee(M) (m/M) f(m_chi^2/m^2)/f(m_e^2/M^2), f(r) = (1 + 2r) sqrt(1 - 4r),
and BR_ls = <Gamma_chi(m)/Gamma(m)> over the line shape, normalised to the same
average for chi = e so that it reproduces the measured BR(V -> e e) (the m-dependence
of Gamma_ee off the pole is model-dependent; the ratio cancels most of it).  For
m_chi far below M/2 it equals the narrow-width BR (0.03% at m_chi = 100 MeV for the
rho); near M/2 the tail above the pole dominates.  The event generator samples m
from the same line shape (:func:`line_shape_table`).  The channels stay closed at
m_chi >= M/2 (the kinematic limit of a run), where the rho tail would still give a
BR of 1.35e-5 at 395 MeV (29% of BR(rho -> e e)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from hepunits import GeV, MeV, s as second

from ..constants import ALPHA, M_E
from ..errors import ConfigError

#: canonical names (as the ``particle`` package writes them):
#: (PDG MC id, kind, PDG identifier of BR(V -> e e) or BR(P -> gamma gamma), line shape)
MESONS = {
    "pi0": (111, "pseudoscalar", "S009.1", None),
    "eta": (221, "pseudoscalar", "S014.1", None),
    "eta'(958)": (331, "pseudoscalar", "M002.6", None),
    "rho(770)0": (113, "vector", "M009.4", "p-wave"),
    "omega(782)": (223, "vector", "M001.7", "fixed"),
    "phi(1020)": (333, "vector", "M004.5", "fixed"),
    "J/psi(1S)": (443, "vector", "M070.1", "fixed"),
    "psi(2S)": (100443, "vector", "M071.1", "fixed"),
    "Upsilon(1S)": (553, "vector", "M049.2", "fixed"),
    "Upsilon(2S)": (100553, "vector", "M052.2", "fixed"),
    "Upsilon(3S)": (200553, "vector", "M048.2", "fixed"),
}

#: the short names users type -> canonical name
ALIASES = {
    "pi0": "pi0", "pion": "pi0", "eta": "eta",
    "eta'": "eta'(958)", "etap": "eta'(958)", "etaprime": "eta'(958)", "eta'(958)": "eta'(958)",
    "rho": "rho(770)0", "rho0": "rho(770)0", "rho(770)": "rho(770)0", "rho(770)0": "rho(770)0",
    "omega": "omega(782)", "omega(782)": "omega(782)",
    "phi": "phi(1020)", "phi(1020)": "phi(1020)",
    "J/psi": "J/psi(1S)", "jpsi": "J/psi(1S)", "J/psi(1S)": "J/psi(1S)",
    "psi(2S)": "psi(2S)", "psi2s": "psi(2S)", "psi'": "psi(2S)",
    **{f"Upsilon({n}S)": f"Upsilon({n}S)" for n in (1, 2, 3)},
    **{f"upsilon{n}s": f"Upsilon({n}S)" for n in (1, 2, 3)},
    **{f"Y{n}S": f"Upsilon({n}S)" for n in (1, 2, 3)},
}

#: line-shape range above the pole, in widths
LINE_SHAPE_WIDTHS = 5.0
#: nodes of the tabulated line shape (inverse CDF of the event sampler)
LINE_SHAPE_NODES = 4097


@dataclass(frozen=True)
class Meson:
    """PDG data of one meson (MeV, ns), read by :func:`meson`."""

    name: str
    pdgid: int
    kind: str                #: "vector" or "pseudoscalar"
    mass: float
    width: float
    lifetime: float
    br_parent: float         #: BR(V -> e+ e-) or BR(P -> gamma gamma)
    br_parent_code: str      #: its PDG identifier
    line_shape: str | None   #: "p-wave", "fixed" or None (pseudoscalars)
    pdg_edition: str

    @property
    def threshold(self) -> float:
        """m_chi at and above which the decay is closed (narrow width): m/2."""
        return 0.5 * self.mass

    def to_dict(self) -> dict:
        return {"meson": self.name, "pdgid": self.pdgid, "kind": self.kind,
                "meson_mass_MeV": self.mass, "width_MeV": self.width, "lifetime_ns": self.lifetime,
                ("br_ee" if self.kind == "vector" else "br_gammagamma"): self.br_parent,
                "br_parent_pdg_code": self.br_parent_code, "pdg": self.pdg_edition}


def canonical_name(name: str, *, key: str = "meson", file=None) -> str:
    """The canonical meson name of ``name`` (an alias or canonical name), or ConfigError."""
    if isinstance(name, str):
        if name in ALIASES:
            return ALIASES[name]
        low = {k.lower(): v for k, v in ALIASES.items()}
        if name.lower() in low:
            return low[name.lower()]
    raise ConfigError(f"unknown meson {name!r}; allowed: {', '.join(MESONS)} (or "
                      f"{', '.join(a for a in ALIASES if a not in MESONS)})", file=file, key=key)


@lru_cache(maxsize=None)
def _pdg_data(name: str) -> Meson:
    import warnings

    import pdg

    mcid, kind, br_code, shape = MESONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # SQLAlchemy warnings inside the pdg package
        api = pdg.connect()
        p = api.get_particle_by_mcid(mcid)
        br = float(api.get(br_code).value)
        edition = str(api.edition) if hasattr(api, "edition") else "PDG"
        width = float(p.width) * GeV
        lifetime = float(p.lifetime) * second if p.lifetime else math.inf
    return Meson(name=name, pdgid=mcid, kind=kind, mass=float(p.mass) * GeV, width=width,
                 lifetime=lifetime, br_parent=br, br_parent_code=br_code, line_shape=shape,
                 pdg_edition=edition)


def meson(name: str, *, key: str = "meson", file=None) -> Meson:
    """PDG data of meson ``name`` (canonical or alias); unknown names are a ConfigError."""
    return _pdg_data(canonical_name(name, key=key, file=file))


def charged_pion_mass() -> float:
    from particle import Particle

    return Particle.from_pdgid(211).mass * MeV


# ---------------------------------------------------------------------------
# branching fractions
# ---------------------------------------------------------------------------

def pair_factor(r):
    """(1 + 2r) sqrt(1 - 4r) for r = m^2/M^2 (0 at and above r = 1/4)."""
    r = np.asarray(r, float)
    return np.where(r < 0.25, (1.0 + 2.0 * r) * np.sqrt(np.clip(1.0 - 4.0 * r, 0.0, None)), 0.0)


def br_vector(m: Meson, m_chi, eps=1.0):
    """BR(V -> chi chibar), narrow width (seed 002 eq. 11)."""
    r, re = (np.asarray(m_chi, float) / m.mass) ** 2, (M_E / m.mass) ** 2
    return eps**2 * m.br_parent * pair_factor(r) / pair_factor(re)


def i3_integrand(z, x):
    """(2/(3 pi)) sqrt(1 - 4x/z) (1 - z)^3 (2x + z)/z^2: dI3/dz (physics-notes section 2)."""
    z = np.asarray(z, float)
    return (2.0 / (3.0 * math.pi)) * np.sqrt(np.clip(1.0 - 4.0 * x / z, 0.0, None)) \
        * (1.0 - z) ** 3 * (2.0 * x + z) / z**2


def i3(x: float) -> float:
    """I3(x) = int_{4x}^1 dz dI3/dz (seed 001 eq. 2), by adaptive quadrature in
    w = sqrt(ln z - ln 4x), where the integrand 2 w z dI3/dz is smooth (the sqrt
    threshold and the 1/z become regular; also for x just below 1/4)."""
    from scipy.integrate import quad

    x = float(x)
    if not 0.0 < x < 0.25:
        return 0.0
    u0 = math.log(4.0 * x)

    def f(w):
        z = math.exp(u0 + w * w)
        return 2.0 * w * z * float(i3_integrand(z, x))

    val, _ = quad(f, 0.0, math.sqrt(-u0), epsabs=0.0, epsrel=1e-11, limit=200)
    return val


def br_pseudoscalar(m: Meson, m_chi, eps=1.0) -> float:
    """BR(P -> gamma chi chibar) = eps^2 alpha BR(P -> gamma gamma) I3(m_chi^2/m_P^2)."""
    return eps**2 * ALPHA * m.br_parent * i3((float(m_chi) / m.mass) ** 2)


def branching_fraction(m: Meson, m_chi, eps=1.0) -> float:
    """The narrow-width branching fraction of ``m`` to a chi pair (+ gamma for P)."""
    if m.kind == "vector":
        return float(br_vector(m, m_chi, eps))
    return br_pseudoscalar(m, m_chi, eps)


# ---------------------------------------------------------------------------
# the vector-meson line shape
# ---------------------------------------------------------------------------

def line_shape_range(m: Meson) -> tuple:
    """(m_lo, m_hi) of the line shape in MeV (module docstring)."""
    hi = m.mass + LINE_SHAPE_WIDTHS * m.width
    lo = 2.0 * charged_pion_mass() if m.line_shape == "p-wave" else m.mass - LINE_SHAPE_WIDTHS * m.width
    return lo, hi


def total_width(m: Meson, mass):
    """Gamma(m): P-wave energy-dependent width for the rho (Jackson 1964), constant otherwise."""
    mass = np.asarray(mass, float)
    if m.line_shape != "p-wave":
        return np.full_like(mass, m.width)
    mpi = charged_pion_mass()
    q = np.sqrt(np.clip(mass**2 / 4.0 - mpi**2, 0.0, None))
    q0 = math.sqrt(m.mass**2 / 4.0 - mpi**2)
    return m.width * (m.mass / mass) * (q / q0) ** 3


def _breit_wigner(m: Meson, mass, partial):
    """(1/pi) m Gamma_x / [(m^2 - M^2)^2 + m^2 Gamma^2] per dm^2, times dm^2/dm = 2m."""
    g = total_width(m, mass)
    return 2.0 * mass * (mass * partial / math.pi) / ((mass**2 - m.mass**2) ** 2 + (mass * g) ** 2)


def chi_width_ratio(m: Meson, mass, m_chi):
    """Gamma_chi(m)/Gamma_ee(M) at eps = 1 (module docstring)."""
    mass = np.asarray(mass, float)
    return (mass / m.mass) * pair_factor((m_chi / mass) ** 2) / pair_factor((M_E / m.mass) ** 2)


def _line_shape_grid(m: Meson, m_chi):
    """Masses (MeV) and densities dP_chi/dm (per unit BR(V->ee)) and dP/dm of the line shape."""
    lo, hi = line_shape_range(m)
    # nodes dense near the pole: uniform in the Breit-Wigner phase atan((m - M)/(G/2))
    a, b = (math.atan(2.0 * (v - m.mass) / m.width) for v in (lo, hi))
    masses = m.mass + 0.5 * m.width * np.tan(np.linspace(a, b, LINE_SHAPE_NODES))
    masses[0], masses[-1] = lo, hi
    gamma_ee = m.br_parent * m.width
    total = _breit_wigner(m, masses, total_width(m, masses))
    chi = _breit_wigner(m, masses, gamma_ee * chi_width_ratio(m, masses, m_chi))
    return masses, chi / m.br_parent, total


def _trapezoid_cdf(x, f):
    c = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(x))])
    return c


def _chi_line_integral(m: Meson, m_chi) -> float:
    """int dm Gamma_chi(m) BW(m) over the line shape above 2 m_chi (eps = 1)."""
    from scipy.integrate import quad

    lo, hi = line_shape_range(m)
    start = max(lo, 2.0 * float(m_chi))
    if start >= hi:
        return 0.0
    gamma_ee = m.br_parent * m.width
    pts = [m.mass] if start < m.mass < hi else None
    val, _ = quad(lambda v: float(_breit_wigner(m, v, gamma_ee * chi_width_ratio(m, v, m_chi))),
                  start, hi, points=pts, epsrel=1e-10, limit=400)
    return val


def line_shape_br(m: Meson, m_chi, eps=1.0) -> float:
    """BR(V -> chi chibar) averaged over the line shape (module docstring), normalised
    so that chi = e gives the PDG BR(V -> e e) exactly:
    BR_ls = eps^2 BR(V -> e e) <Gamma_chi/Gamma> / <Gamma_e/Gamma>.  For pseudoscalars
    the narrow-width value."""
    if m.kind != "vector":
        return branching_fraction(m, m_chi, eps)
    return eps**2 * m.br_parent * _chi_line_integral(m, m_chi) / _chi_line_integral(m, M_E)


def line_shape_table(m: Meson, m_chi):
    """(masses, cdf) of the chi-pair-weighted line shape above 2 m_chi, for inverse-CDF
    sampling of the V mass of an event: cdf rises from 0 to 1 (linear interpolation
    between 4097 nodes dense near the pole)."""
    masses, chi, _ = _line_shape_grid(m, m_chi)
    keep = masses > 2.0 * m_chi
    if keep.sum() < 2:
        raise ConfigError(f"m_chi = {m_chi:g} MeV: no {m.name} line shape above 2 m_chi",
                          key="physics.masses")
    x = np.concatenate([[max(2.0 * m_chi, masses[0])], masses[keep]]) if not keep[0] else masses
    f = np.concatenate([[0.0], chi[keep]]) if not keep[0] else chi
    c = _trapezoid_cdf(x, f)
    return x, c / c[-1]


def report(name: str, m_chi: float, eps: float = 1.0) -> dict:
    """What ``mcpgen br`` prints: the narrow-width BR (key ``br``), the line-shape BR
    for vectors, and the PDG inputs."""
    m = meson(name, key="--meson")
    if not (math.isfinite(m_chi) and m_chi > 0):
        raise ConfigError(f"value {m_chi!r} MeV out of range; allowed: 0 < mass < "
                          f"{m.threshold:g} MeV", key="--mass")
    if not m_chi < m.threshold:
        raise ConfigError(f"m_chi = {m_chi:g} MeV is at or above the threshold m/2 = "
                          f"{m.threshold:g} MeV of {m.name}; allowed: mass < {m.threshold:g} MeV",
                          key="--mass")
    out = {"meson": m.name, "mass_MeV": float(m_chi), "eps": float(eps),
           "decay": f"{m.name} -> chi chibar" if m.kind == "vector" else
           f"{m.name} -> gamma chi chibar",
           "br": branching_fraction(m, m_chi, eps)}
    if m.kind == "vector":
        out["br_line_shape"] = line_shape_br(m, m_chi, eps)
    else:
        out["I3"] = i3((m_chi / m.mass) ** 2)
    out.update({k: v for k, v in m.to_dict().items() if k != "meson"})
    return out
