"""Delta electrons knocked out by a chi of charge eps (seed 004 eqs. 9-11): the spectrum
with the spin-1/2 term of the PDG review (eq. 34.10), its mean number per length in a
window of kinetic energies (closed form, :mod:`mcpgen.physics.chi_e_scattering`) and
its inverse CDF for sampling.  Materials and kinematics from
:mod:`mcpgen.physics.ionisation`; hepunits (MeV, mm) at the interface."""

from __future__ import annotations

import numpy as np
from hepunits import MeV, cm

from .._jit import jit
from ..constants import HBARC2
from .chi_e_scattering import inverse_cdf_kernel, sigma_window_kernel
from .ionisation import K_BETHE, _flat, beta_from_T_kernel, get_material, w_max_kernel


@jit
def delta_ray_spectrum_kernel(Te, T_chi, M, Z_over_A, rho):
    """d^2N/(dT dx) in 1/(MeV cm) at eps = 1 (PDG review eq. 34.10 with the spin-1/2
    term): (1/2) K (Z/A) rho F(T)/(beta^2 T^2), F = 1 - beta^2 T/W_max + T^2/(2E^2);
    rho in g/cm^3; 0 outside 0 < T <= W_max."""
    beta = beta_from_T_kernel(T_chi, M)
    if not beta > 0.0:
        return 0.0
    w = w_max_kernel(beta, M)
    if not (0.0 < Te <= w):
        return 0.0
    E = T_chi + M
    F = 1.0 - beta * beta * Te / w + Te * Te / (2.0 * E * E)
    return 0.5 * K_BETHE * Z_over_A * rho * F / (beta * beta * Te * Te)


@jit
def delta_ray_rate_kernel(T_chi, M, T_min, T_max, n_e):
    """Mean number of delta electrons per mm with T_min <= T <= min(T_max, W_max) at
    eps = 1, n_e sigma_window (closed form, chi_e_scattering); n_e in 1/mm^3."""
    return n_e * HBARC2 * sigma_window_kernel(T_chi + M, M, T_min, T_max)


@jit
def _delta_spectrum_array(Te, T_chi, M, za, rho, out):
    for i in range(Te.shape[0]):
        out[i] = delta_ray_spectrum_kernel(Te[i], T_chi[i], M[i], za, rho)


@jit
def _delta_rate_array(T_chi, M, T_min, T_max, n_e, out):
    for i in range(T_chi.shape[0]):
        out[i] = delta_ray_rate_kernel(T_chi[i], M[i], T_min[i], T_max[i], n_e)


@jit
def _delta_inverse_array(u, T_chi, M, T_min, T_max, out):
    for i in range(u.shape[0]):
        out[i] = inverse_cdf_kernel(u[i], T_chi[i] + M[i], M[i], T_min[i], T_max[i])


def delta_ray_spectrum(Te, T_chi, M, eps=1.0, material="propane"):
    """d^2N/(dT dx) of delta electrons (hepunits: per energy per length), PDG review eq.
    34.10 with the spin-1/2 term; 0 outside 0 < T <= W_max."""
    m = get_material(material)
    shape, (te, tc, mm) = _flat(Te, T_chi, M)
    out = np.empty(te.shape)
    _delta_spectrum_array(te / MeV, tc / MeV, mm / MeV, m.Z_over_A, m.density_g_cm3, out)
    return np.asarray(eps, dtype=float) ** 2 * out.reshape(shape) / (MeV * cm)


def delta_ray_mean_number(T_min, T_chi, M, eps=1.0, material="propane", T_max=np.inf):
    """Mean number of delta electrons per unit length (hepunits 1/length) with
    T_min <= T <= min(T_max, W_max), closed form; 0 if W_max <= T_min."""
    m = get_material(material)
    if not np.all(np.asarray(T_min, dtype=float) > 0.0):
        raise ValueError("T_min must be > 0: the delta-ray count diverges as 1/T_min")
    shape, (tc, mm, t1, t2) = _flat(T_chi, M, T_min, T_max)
    out = np.empty(tc.shape)
    _delta_rate_array(tc / MeV, mm / MeV, t1 / MeV, t2 / MeV, m.electron_density, out)
    return np.asarray(eps, dtype=float) ** 2 * out.reshape(shape)


def delta_ray_T_from_uniform(u, T_chi, M, T_min, T_max=np.inf):
    """Delta-electron kinetic energy (hepunits) at CDF value ``u`` of the spectrum on
    T_min <= T <= min(T_max, W_max) (inverse of the closed-form CDF); NaN if empty."""
    shape, (uu, tc, mm, t1, t2) = _flat(u, T_chi, M, T_min, T_max)
    out = np.empty(uu.shape)
    _delta_inverse_array(uu, tc / MeV, mm / MeV, t1 / MeV, t2 / MeV, out)
    return out.reshape(shape) * MeV


def sample_delta_ray_T(n, T_chi, M, T_min, rng, T_max=np.inf):
    """``n`` delta-electron energies for one chi, drawing exactly ``rng.random(n)``."""
    return delta_ray_T_from_uniform(rng.random(n), T_chi, M, T_min, T_max)


__all__ = ["delta_ray_spectrum", "delta_ray_mean_number", "delta_ray_T_from_uniform",
           "sample_delta_ray_T", "delta_ray_spectrum_kernel", "delta_ray_rate_kernel"]
