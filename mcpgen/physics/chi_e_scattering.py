"""Elastic chi e- -> chi e- scattering on electrons at rest (photon exchange, Dirac chi).

For a chi of mass m, energy E and momentum p = sqrt(E^2 - m^2) hitting an electron at
rest, the recoil kinetic energy T (= E_r) has (seed 003, "Single scatter", after Wu,
Hardy, Song, arXiv:2406.01668; physics-notes section 4)

    d sigma/dT = pi alpha^2 eps^2 [2 E^2 m_e + T^2 m_e - T (m^2 + m_e (2E + m_e))]
                 / [T^2 m_e^2 (E^2 - m^2)]

           = (2 pi alpha^2 eps^2 / (m_e beta^2 T^2)) [1 - beta^2 T/T_max + T^2/(2 E^2)],

the second form being the PDG spin-1/2 delta-ray cross section (Rossi); it is exact at
tree level (tests/test_scatter.py checks it against the spin-averaged |M|^2 built from
the Dirac traces).  The kinematic end point (exact two-body) is

    T_max = 2 m_e p^2 / (m_e^2 + m^2 + 2 m_e E)                      (physics-notes sec. 4)

(public codes have had a factor 2 missing or m where m_e belongs: physics-notes "Traps").
Dimensions: [alpha^2 / (m_e T^2)] = MeV^-3, a cross section per energy.  For
T_min << T_max and E >> m the integral is sigma(T > T_min) ~ 2 pi alpha^2 eps^2 / (m_e T_min)
= 2.55e-25 eps^2 cm^2 (MeV / T_min); seed 003 writes pi alpha eps^2/(m_e T_min), a slip
in the power of alpha and the factor 2 (physics-notes "Traps"; its number is right).

The integral over a window T1 <= T <= T2 is closed form (:func:`sigma_window`):

    sigma = (pi alpha^2 eps^2 / (m_e^2 p^2)) [2 E^2 m_e (1/T1 - 1/T2) + m_e (T2 - T1)
                                             - (m^2 + 2 m_e E + m_e^2) ln(T2/T1)].

Recoils are sampled by inverting this closed-form CDF (safeguarded Newton, one uniform
per recoil); the electron direction follows from two-body kinematics,

    cos(theta_e) = ((E + m_e)/p) sqrt(T/(T + 2 m_e)),
    sin^2(theta_e) = (m_e^2 + m^2 + 2 m_e E)(T_max - T) / (p^2 (T + 2 m_e)),

the second form free of cancellation for forward electrons.  Electron densities come
from Z/A and the density (n_e = rho N_A Z/A; physics-notes sec. 4: not rho N_A), and the
probability of n or more scatters along a path with mean mu from the Poisson law
(seed 003, "Multiple Scatter Constraint").

Kernels work in natural units (MeV, MeV^-2 cross sections at eps = 1); the public
wrappers return hepunits areas (mm^2) and take ``eps``.  Nothing here knows about a
detector's geometry: the same functions serve beam-dump and atmospheric detectors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hepunits import cm, g

from .._jit import jit
from ..constants import ALPHA, HBARC2, M_E, N_A
from .kinematics import orthonormal_basis

#: pi alpha^2 (natural units); the prefactor of d sigma/dT up to 1/(m_e^2 p^2)
_PI_A2 = math.pi * ALPHA * ALPHA


# ---------------------------------------------------------------------------- kernels
@jit
def momentum2_kernel(E, m):
    """p^2 = (E - m)(E + m) in MeV^2 (no cancellation for slow chi); <= 0 below m."""
    return (E - m) * (E + m)


@jit
def t_max_kernel(E, m):
    """Largest electron recoil kinetic energy (MeV), 2 m_e p^2 / (m_e^2 + m^2 + 2 m_e E);
    0 for a chi at rest or below its mass."""
    p2 = momentum2_kernel(E, m)
    if not p2 > 0.0:
        return 0.0
    return 2.0 * M_E * p2 / (M_E * M_E + m * m + 2.0 * M_E * E)


@jit
def _shape_kernel(T, E, m):
    """h(T) = 2 E^2 m_e / T^2 + m_e - (m^2 + m_e (2E + m_e)) / T, so that
    d sigma/dT = pi alpha^2 h / (m_e^2 p^2) at eps = 1 (seed 003)."""
    K = m * m + M_E * (2.0 * E + M_E)
    return 2.0 * E * E * M_E / (T * T) + M_E - K / T


@jit
def _window_integral_kernel(E, m, T1, T2):
    """Integral of h(T) from T1 to T2 (closed form; see the module docstring), written
    with D = T2 - T1 so that narrow windows lose no digits."""
    K = m * m + M_E * (2.0 * E + M_E)
    D = T2 - T1
    return 2.0 * E * E * M_E * D / (T1 * T2) + M_E * D - K * math.log1p(D / T1)


@jit
def dsigma_dT_kernel(T, E, m):
    """d sigma/dT (MeV^-3) at eps = 1 for 0 < T <= T_max; 0 outside (seed 003)."""
    p2 = momentum2_kernel(E, m)
    if not (p2 > 0.0 and 0.0 < T <= t_max_kernel(E, m)):
        return 0.0
    return _PI_A2 * _shape_kernel(T, E, m) / (M_E * M_E * p2)


@jit
def sigma_window_kernel(E, m, T1, T2):
    """sigma (MeV^-2) at eps = 1 for recoils T1 <= T <= min(T2, T_max); 0 for an empty
    window, NaN for T1 <= 0 (the integral diverges as 1/T1)."""
    if not T1 > 0.0:
        return math.nan
    hi = min(T2, t_max_kernel(E, m))
    if not hi > T1:
        return 0.0
    return _PI_A2 * _window_integral_kernel(E, m, T1, hi) / (M_E * M_E * momentum2_kernel(E, m))


@jit
def inverse_cdf_kernel(u, E, m, T1, T2):
    """Recoil T (MeV) with CDF(T) = u on T1 <= T <= min(T2, T_max); NaN for an empty window.

    Newton on the closed-form CDF from the inverse of its 1/T^2 part, kept inside a
    bisection bracket; the CDF is concave (d sigma/dT decreases on (0, T_max]), so the
    iteration converges monotonically after the first step."""
    hi = min(T2, t_max_kernel(E, m))
    if not (T1 > 0.0 and hi > T1):
        return math.nan
    if u <= 0.0:
        return T1
    if u >= 1.0:
        return hi
    target = u * _window_integral_kernel(E, m, T1, hi)
    T = 1.0 / (1.0 / T1 - u * (1.0 / T1 - 1.0 / hi))
    T = min(max(T, T1), hi)
    lo_b, hi_b = T1, hi
    for _ in range(200):
        r = _window_integral_kernel(E, m, T1, T) - target
        if r == 0.0:
            return T
        if r > 0.0:
            hi_b = T
        else:
            lo_b = T
        T_new = T - r / _shape_kernel(T, E, m)
        if not (lo_b < T_new < hi_b):
            T_new = 0.5 * (lo_b + hi_b)
        if abs(T_new - T) <= 1e-14 * T or hi_b - lo_b <= 4e-16 * hi_b:
            return T_new
        T = T_new
    return T


@jit
def recoil_electron_kernel(T, E, m, dx, dy, dz, phi):
    """Recoil electron (px, py, pz, E_e) in MeV for recoil T of a chi of energy E moving
    along the unit vector (dx, dy, dz); phi is the azimuth about that axis.
    Two-body kinematics with the electron at rest (module docstring)."""
    p2 = momentum2_kernel(E, m)
    t_max = t_max_kernel(E, m)
    pe = math.sqrt(T * (T + 2.0 * M_E))
    c = (E + M_E) / math.sqrt(p2) * math.sqrt(T / (T + 2.0 * M_E))
    s2 = (M_E * M_E + m * m + 2.0 * M_E * E) * max(t_max - T, 0.0) / (p2 * (T + 2.0 * M_E))
    c = min(c, 1.0)
    s = math.sqrt(min(s2, 1.0))
    e1x, e1y, e1z, e2x, e2y, e2z = orthonormal_basis(dx, dy, dz)
    cp, sp = math.cos(phi), math.sin(phi)
    px = pe * (c * dx + s * (cp * e1x + sp * e2x))
    py = pe * (c * dy + s * (cp * e1y + sp * e2y))
    pz = pe * (c * dz + s * (cp * e1z + sp * e2z))
    return px, py, pz, T + M_E


# ---------------------------------------------------------------------- array kernels
@jit
def _t_max_array(E, m, out):
    for i in range(E.shape[0]):
        out[i] = t_max_kernel(E[i], m[i])


@jit
def _dsigma_array(T, E, m, out):
    for i in range(T.shape[0]):
        out[i] = dsigma_dT_kernel(T[i], E[i], m[i])


@jit
def _sigma_window_array(E, m, T1, T2, out):
    for i in range(E.shape[0]):
        out[i] = sigma_window_kernel(E[i], m[i], T1[i], T2[i])


@jit
def _inverse_cdf_array(u, E, m, T1, T2, out):
    for i in range(u.shape[0]):
        out[i] = inverse_cdf_kernel(u[i], E[i], m[i], T1[i], T2[i])


@jit
def _recoil_electron_array(T, E, m, dx, dy, dz, phi, px, py, pz, Ee):
    for i in range(T.shape[0]):
        px[i], py[i], pz[i], Ee[i] = recoil_electron_kernel(T[i], E[i], m[i], dx[i], dy[i],
                                                            dz[i], phi[i])


def _flat(*args):
    arrs = np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in args])
    return arrs[0].shape, [np.ascontiguousarray(a).ravel() for a in arrs]


def _check_window(T_min):
    if not np.all(np.asarray(T_min, dtype=float) > 0.0):
        raise ValueError("T_min must be > 0: the chi e cross section diverges as 1/T_min")


# ---------------------------------------------------------------------- public wrappers
def recoil_T_max(E, m):
    """Exact two-body end point of the electron recoil kinetic energy (MeV),
    T_max = 2 m_e p^2 / (m_e^2 + m^2 + 2 m_e E) (physics-notes sec. 4), for chi energy
    ``E`` and mass ``m`` in MeV; 0 where E <= m.  Arrays broadcast."""
    shape, flat = _flat(E, m)
    out = np.empty(flat[0].shape)
    _t_max_array(*flat, out)
    return out.reshape(shape)


def dsigma_dT(T, E, m, eps=1.0):
    """d sigma/dT (hepunits area per energy, mm^2/MeV) of chi e -> chi e for recoil
    kinetic energy ``T``, chi energy ``E`` and mass ``m`` (MeV), charge ``eps`` e; seed 003
    ("Single scatter"), exact at tree level; 0 outside 0 < T <= T_max."""
    shape, flat = _flat(T, E, m)
    out = np.empty(flat[0].shape)
    _dsigma_array(*flat, out)
    return (np.asarray(eps, dtype=float) ** 2 * HBARC2) * out.reshape(shape)


def sigma_window(E, m, T_min, T_max=np.inf, eps=1.0):
    """Cross section (mm^2) for recoils ``T_min <= T <= min(T_max, T_max_kin(E, m))``: the
    closed-form integral of :func:`dsigma_dT` (module docstring); 0 where the window is
    empty.  Energies in MeV; arrays broadcast; ``T_min`` must be > 0."""
    _check_window(T_min)
    shape, flat = _flat(E, m, T_min, T_max)
    out = np.empty(flat[0].shape)
    _sigma_window_array(*flat, out)
    return (np.asarray(eps, dtype=float) ** 2 * HBARC2) * out.reshape(shape)


def sigma_limit(T_min, eps=1.0):
    """The leading term 2 pi alpha^2 eps^2 / (m_e T_min) (mm^2) of sigma(T > T_min) for
    T_min << T_max and E >> m (physics-notes sec. 4; seed 003's form corrected, "Traps")."""
    return (np.asarray(eps, dtype=float) ** 2 * HBARC2) * 2.0 * _PI_A2 / (
        M_E * np.asarray(T_min, dtype=float))


def recoil_T_from_uniform(u, E, m, T_min, T_max=np.inf):
    """The recoil T (MeV) at CDF value ``u`` in [0, 1] of d sigma/dT restricted to
    ``T_min <= T <= min(T_max, T_max_kin)`` (inverse CDF of the exact formula); NaN where
    the window is empty.  Arrays broadcast."""
    _check_window(T_min)
    shape, flat = _flat(u, E, m, T_min, T_max)
    out = np.empty(flat[0].shape)
    _inverse_cdf_array(*flat, out)
    return out.reshape(shape)


def recoil_cdf(T, E, m, T_min, T_max=np.inf):
    """CDF of the recoil T on the window (closed form, :func:`sigma_window` ratio)."""
    T = np.asarray(T, dtype=float)
    top = np.minimum(T_max, recoil_T_max(E, m))
    part = sigma_window(E, m, T_min, np.clip(T, T_min, top))
    return part / sigma_window(E, m, T_min, T_max)


def electron_cos_theta(T, E, m):
    """Cosine of the recoil-electron angle to the chi direction, ((E + m_e)/p)
    sqrt(T/(T + 2 m_e)) (two-body kinematics, electron at rest)."""
    T, E, m = (np.asarray(a, dtype=float) for a in (T, E, m))
    return (E + M_E) / np.sqrt((E - m) * (E + m)) * np.sqrt(T / (T + 2.0 * M_E))


def recoil_electron_momenta(T, E, m, direction, phi):
    """Recoil-electron four-momenta for recoils ``T`` (MeV) of chi of energy ``E`` and
    mass ``m`` moving along the unit vectors ``direction`` (shape (n, 3)); ``phi`` is the
    azimuth about the chi direction.  Returns (px, py, pz, E_e) in MeV."""
    d = np.asarray(direction, dtype=float).reshape(-1, 3)
    shape, flat = _flat(T, E, m, d[:, 0], d[:, 1], d[:, 2], phi)
    outs = [np.empty(flat[0].shape) for _ in range(4)]
    _recoil_electron_array(*flat, *outs)
    return tuple(o.reshape(shape) for o in outs)


def sample_recoil_electrons(E, m, direction, T_min, T_max, rng):
    """Sample one recoil per chi from the exact d sigma/dT on its window: returns
    (T, px, py, pz, E_e) in MeV.  Draws two uniforms per chi (``rng.random((n, 2))``:
    CDF value, azimuth), in order; ``rng`` is a numpy Generator."""
    E = np.asarray(E, dtype=float).ravel()
    u = rng.random((len(E), 2))
    T = recoil_T_from_uniform(u[:, 0], E, m, T_min, T_max)
    px, py, pz, Ee = recoil_electron_momenta(T, E, m, direction, 2.0 * np.pi * u[:, 1])
    return T, px, py, pz, Ee


# ---------------------------------------------------------------------- Poisson counts
def poisson_at_least(mu, n):
    """P(N >= n) for a Poisson count of mean ``mu`` (n = 1: 1 - e^-mu; n = 2:
    1 - e^-mu (1 + mu); seed 003 "Multiple Scatter Constraint"), accurate for tiny mu:
    P(N >= n) = P(n, mu), the regularised lower incomplete gamma function, which
    ``scipy.special.gammainc`` evaluates without the cancellation of 1 - P(N < n)."""
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"n = {n!r}; allowed: an integer >= 1")
    mu = np.asarray(mu, dtype=float)
    if np.any(mu < 0.0):
        raise ValueError("a Poisson mean must be >= 0")
    if n == 1:
        return -np.expm1(-mu)
    from scipy.special import gammainc

    return gammainc(float(n), mu)


# ---------------------------------------------------------------------- electron targets
_G_CM3 = g / cm**3


@dataclass(frozen=True)
class ElectronTarget:
    """A detector material as the scattering target: mean Z/A and density."""

    name: str
    Z_over_A: float      #: <Z/A> in mol/g (electrons per nucleon-mass unit)
    density: float       #: hepunits mass/volume
    description: str = ""
    source: str = ""

    @property
    def electron_density(self) -> float:
        """Electrons per volume (per mm^3), n_e = rho N_A <Z/A>."""
        return electron_density(self.Z_over_A, self.density)


def electron_density(Z_over_A, density):
    """Electrons per volume (per mm^3), n_e = rho N_A <Z/A> (physics-notes sec. 4:
    with Z/A, not rho N_A); ``density`` in hepunits mass/volume."""
    return np.asarray(density, dtype=float) / g * N_A * np.asarray(Z_over_A, dtype=float)


def electrons_per_mass(Z_over_A, mass):
    """Electrons in ``mass`` (hepunits mass) of a material of mean ``Z_over_A``."""
    return np.asarray(mass, dtype=float) / g * N_A * np.asarray(Z_over_A, dtype=float)


_PDG = "PDG Atomic and Nuclear Properties of Materials (pdg.lbl.gov/AtomicNuclearProperties)"

#: built-in scattering materials (name -> ElectronTarget)
TARGETS = {t.name: t for t in (
    ElectronTarget("water", 0.55509, 1.000 * _G_CM3, "liquid water H2O",
                   f"{_PDG}, 'Water (liquid)': <Z/A> = 0.55509, rho = 1.000 g/cm^3 "
                   "(3.343e32 electrons per kton, physics-notes sec. 4)"),
    ElectronTarget("lab", 138.0 / (18 * 12.0107 + 30 * 1.00794), 0.86 * _G_CM3,
                   "linear alkylbenzene C18H30 (liquid scintillator, JUNO)",
                   "<Z/A> = 138/246.43 from C18H30 with the standard atomic weights "
                   "C 12.0107, H 1.00794 (3.37e32 electrons per kton, physics-notes sec. 4); "
                   "rho = 0.86 g/cm^3, typical LAB density (illustrative)"),
    ElectronTarget("argon", 18.0 / 39.948, 1.396 * _G_CM3, "liquid argon",
                   f"{_PDG}, 'Liquid argon (LAr)': Z/A = 18/39.948 = 0.45059, "
                   "rho = 1.396 g/cm^3"),
    ElectronTarget("polystyrene", 0.53768, 1.060 * _G_CM3,
                   "polystyrene (C8H8)n, the base of plastic scintillators",
                   f"{_PDG}, 'Polystyrene': <Z/A> = 0.53768, rho = 1.060 g/cm^3"),
    ElectronTarget("iron", 26.0 / 55.845, 7.874 * _G_CM3, "iron",
                   f"{_PDG}, 'Iron (Fe)': Z/A = 26/55.845 = 0.46557, rho = 7.874 g/cm^3"),
    ElectronTarget("tungsten", 74.0 / 183.84, 19.30 * _G_CM3, "tungsten",
                   f"{_PDG}, 'Tungsten (W)': Z/A = 74/183.84 = 0.40253, rho = 19.30 g/cm^3"),
)}


def get_target(name: str) -> ElectronTarget:
    """A built-in scattering material; unknown names raise ValueError listing the allowed."""
    try:
        return TARGETS[name]
    except KeyError:
        raise ValueError(f"unknown scattering material {name!r}; allowed: "
                         f"{', '.join(TARGETS)}") from None
