"""Weizsaecker-Williams cross sections for l N -> l N V (massive vector, coupling eps e).

Formulas (../shared/physics-notes.md section 1, checked there against DMG4
``DarkPhotons::CrossSectionDSDXDU``; Liu & Miller, PRD 96 (2017) 016004
[arXiv:1705.01633] eqs. (21)-(30); seed 001 eq. (8) is the IWW form with eps = 1):

  x = E_V/E0, |k| = sqrt(x^2 E0^2 - m^2),
  u~ = -x E0^2 theta^2 - m^2 (1-x)/x - m_l^2 x,
  A2 = 2 (2 - 2x + x^2)/(1-x) + 4 (m^2 + 2 m_l^2)(x u~ + m^2 (1-x) + m_l^2 x^2)/u~^2,
  WW :  d sigma/(dx dcos theta) = 2 eps^2 alpha^3 |k| E0 (1-x) chi A2 / u~^2,
  IWW:  d sigma/dx = (2 eps^2 alpha^3 chi |k| / E0)
                     [m_l^2 x (x^2 + 2x - 2) - 2 u~_max (3 - 3x + x^2)] / (3 x u~_max^2),
        u~_max = u~(theta = 0).

IWW is the WW double-differential integrated over theta in [0, infinity) in the
small-angle measure dcos theta = theta d theta, with chi independent of theta
(tested).  In the WW method proper chi depends on (x, theta) through
t_min = u~^2 / (4 E0^2 (1-x)^2) (Liu & Miller eq. 21); the IWW method uses
t_min = m^4 / (4 E0^2) (seed 001 eq. 9).

Cross sections are in MeV^-2 with eps = 1 (multiply by eps^2 and
``constants.INV_MEV2_TO_PB`` for pb).
"""

from __future__ import annotations

import math

import numpy as np

from ..._jit import jit
from ...constants import ALPHA

_A3 = ALPHA**3


@jit
def utilde_kernel(x, theta, E0, m, m_l):
    return -x * E0 * E0 * theta * theta - m * m * (1.0 - x) / x - m_l * m_l * x


@jit
def ww_d2sigma_ut_kernel(x, omx, ut, E0, m2, m_l, chi):
    """WW d sigma/(dx dcos theta) in MeV^-2 (eps = 1) as a function of u~, with the vector
    mass squared m2 and 1 - x passed separately (precision near x -> 1); the sampler
    calls this with u~ = -2 x E0^2 (1 - cos theta) - U0."""
    k2 = x * x * E0 * E0 - m2
    if k2 <= 0.0 or omx <= 0.0:
        return 0.0
    kabs = math.sqrt(k2)
    a2 = 2.0 * (2.0 - 2.0 * x + x * x) / omx + 4.0 * (m2 + 2.0 * m_l * m_l) * (
        x * ut + m2 * omx + m_l * m_l * x * x) / (ut * ut)
    return 2.0 * _A3 * kabs * E0 * omx * a2 / (ut * ut) * chi


@jit
def ww_d2sigma_kernel(x, theta, E0, m, m_l, chi):
    """WW d sigma/(dx dcos theta) in MeV^-2 (eps = 1) for a given flux chi."""
    return ww_d2sigma_ut_kernel(x, 1.0 - x, utilde_kernel(x, theta, E0, m, m_l), E0, m * m, m_l, chi)


@jit
def ww_tmin_ut_kernel(ut, E0, omx):
    """Minimal momentum transfer of the WW method, u~^2 / (4 E0^2 (1-x)^2)."""
    return ut * ut / (4.0 * E0 * E0 * omx * omx)


@jit
def ww_tmin_kernel(x, theta, E0, m, m_l):
    """Minimal momentum transfer of the WW method, u~^2 / (4 E0^2 (1-x)^2)."""
    return ww_tmin_ut_kernel(utilde_kernel(x, theta, E0, m, m_l), E0, 1.0 - x)


@jit
def iww_dsigma_dx_kernel(x, E0, m, m_l, chi):
    """IWW d sigma/dx in MeV^-2 (eps = 1); seed 001 eq. (8), Liu-Miller eq. (30)."""
    k2 = x * x * E0 * E0 - m * m
    if k2 <= 0.0 or x >= 1.0:
        return 0.0
    kabs = math.sqrt(k2)
    umax = -m * m * (1.0 - x) / x - m_l * m_l * x
    br = m_l * m_l * x * (x * x + 2.0 * x - 2.0) - 2.0 * umax * (3.0 - 3.0 * x + x * x)
    return 2.0 * _A3 * chi * kabs / E0 * br / (3.0 * x * umax * umax)


@jit
def ww_dsigma_dx_physical_kernel(x, E0, m, m_l, chi, u_max=2.0):
    """WW d sigma/dx integrated over 1 - cos(theta) in [0, u_max] (MeV^-2, eps = 1);
    u_max = 2 is the whole physical range cos(theta) in [-1, 1].

    Uses u~ = -2 x E0^2 (1 - cos theta) - U0 (theta^2 -> 2(1 - cos theta)); with
    dcos(theta) = -du~/(2 x E0^2) and A2/u~^2 = c1/u~^2 + c2 x/u~^3 + c2 C/u~^4
    (c1 = 2(2-2x+x^2)/(1-x), c2 = 4(m^2 + 2 m_l^2), C = m^2(1-x) + m_l^2 x^2) the
    angular integral is elementary.  For u~_min -> -infinity it is the IWW form
    (seed 001 eq. 8); the difference is the tail beyond theta = pi, O(U0/(4 x E0^2)).
    """
    k2 = x * x * E0 * E0 - m * m
    if k2 <= 0.0 or x >= 1.0:
        return 0.0
    kabs = math.sqrt(k2)
    U0 = m * m * (1.0 - x) / x + m_l * m_l * x
    c1 = 2.0 * (2.0 - 2.0 * x + x * x) / (1.0 - x)
    c2 = 4.0 * (m * m + 2.0 * m_l * m_l)
    C = m * m * (1.0 - x) + m_l * m_l * x * x

    def F(u):
        return -c1 / u - c2 * x / (2.0 * u * u) - c2 * C / (3.0 * u * u * u)

    umax = -U0
    umin = -2.0 * x * E0 * E0 * min(u_max, 2.0) - U0
    ang = (F(umax) - F(umin)) / (2.0 * x * E0 * E0)
    return 2.0 * _A3 * kabs * E0 * (1.0 - x) * chi * ang


@jit
def _iww_array(x, E0, m, m_l, chi, out):
    for i in range(x.shape[0]):
        out[i] = iww_dsigma_dx_kernel(x[i], E0[i], m[i], m_l[i], chi[i])


@jit
def _ww_array(x, theta, E0, m, m_l, chi, out):
    for i in range(x.shape[0]):
        out[i] = ww_d2sigma_kernel(x[i], theta[i], E0[i], m[i], m_l[i], chi[i])


def _flat(*args):
    b = np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in args])
    return b[0].shape, [np.ascontiguousarray(a).ravel() for a in b]


def iww_dsigma_dx(x, E0, m_V, m_l, chi):
    """IWW d sigma/dx (MeV^-2, eps = 1) for l N -> l N V; arrays broadcast."""
    shape, flat = _flat(x, E0, m_V, m_l, chi)
    out = np.empty(flat[0].shape)
    _iww_array(*flat, out)
    return out.reshape(shape)


def ww_d2sigma(x, theta, E0, m_V, m_l, chi):
    """WW d sigma/(dx dcos theta) (MeV^-2, eps = 1) with a given flux chi."""
    shape, flat = _flat(x, theta, E0, m_V, m_l, chi)
    out = np.empty(flat[0].shape)
    _ww_array(*flat, out)
    return out.reshape(shape)
