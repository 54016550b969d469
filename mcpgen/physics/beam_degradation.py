"""Beam energy at the production depth in a thick target: the source part of the
lepton-nucleus sampler (:mod:`mcpgen.generators.brem_kernels`).  No I/O.

Electrons and positrons: Tsai's degradation
-------------------------------------------
After a depth s (in radiation lengths X0) an electron of initial energy E0 has,
through bremsstrahlung, the energy E with density

    I(E0, E, s) = [ln(E0/E)]^(b s - 1) / (E0 Gamma(b s)),   b = 4/3,

(Y.-S. Tsai, Rev. Mod. Phys. 46 (1974) 815, the approximate straggling
distribution of a degraded electron beam; PDG review "Passage of particles
through matter", sec. on electromagnetic cascades.  The equation number was not
checked: the paper is not among the seeds.  Tsai's b carries a small Z-dependent
correction to 4/3, neglected here as in the earlier sampler.)  In u = ln(E0/E)
(dE = E du) it is the Gamma(b s, 1) density u^(b s - 1) e^(-u) / Gamma(b s).

Only electrons with E >= x_min E0, i.e. u <= U = ln(1/x_min), can pass the
generator threshold.  They are sampled by the exact change of variables
u = U y^(1/(b s)) (y uniform in [0, 1), density b s u^(b s - 1) / U^(b s) on
[0, U]), with the weight I dE/du over that density,

    w = U^(b s) e^(-u) / Gamma(b s + 1),

whose mean over y is the probability P(b s, U) (regularised lower incomplete
gamma function) that the electron still has E >= x_min E0.  At s = 0 the beam
is undegraded (E = E0, w = 1).

Muons: mean energy loss
-----------------------
A muon loses little energy by radiation in a target of a few tens of X0 (its
radiation length is ~ (m_mu/m_e)^2 X0, seed 001), so Tsai's
degradation does not apply; it loses the mean ionisation energy, E(z) = E0 -
<dE/dx> z (continuous slowing down; PDG review "Passage of particles through
matter", mean rate of energy loss), with production uniform in depth z.

Three layers (numba-stats style): scalar ``@jit`` kernels (``*_kernel``) that
the brem kernels and users' own jitted code call, array kernels over them, and
thin public wrappers.  Energies in MeV, lengths in mm (hepunits).
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit

#: Tsai's b in I(E0, E, s) (Tsai 1974: b = 4/3 up to a Z-dependent correction of ~2%)
B_TSAI = 4.0 / 3.0


@jit
def uniform_depth_kernel(length, y):
    """Production depth z = length * y, uniform in [0, length) for y uniform in [0, 1).

    Used by both sources: muons interact uniformly along the target (PDG, mean
    energy loss; seed 001), and electrons are degraded as a function of the
    uniformly sampled depth (Tsai, Rev. Mod. Phys. 46 (1974) 815)."""
    return length * y


@jit
def muon_energy_at_depth_kernel(E0, dedx, z):
    """Mean muon energy E0 - <dE/dx> z at depth z (continuous slowing down; PDG review
    "Passage of particles through matter", mean rate of energy loss).

    Muons are not degraded by bremsstrahlung in thin targets (radiation length
    ~ (m_mu/m_e)^2 X0), which is why Tsai's electron distribution (Tsai, Rev.
    Mod. Phys. 46 (1974) 815) is not used for them; ``dedx = 0`` neglects the loss."""
    return E0 - dedx * z


@jit
def tsai_log_energy_kernel(bs, U, y):
    """u = ln(E0/E) = U y^(1/(b s)), sampled in [0, U] with density b s u^(b s - 1)/U^(b s).

    Exact inverse of that density's CDF (u/U)^(b s); ``bs`` = b s > 0 is Tsai's
    exponent (Tsai, Rev. Mod. Phys. 46 (1974) 815: I ~ [ln(E0/E)]^(b s - 1)) and
    U = ln(1/x_min)."""
    return U * y ** (1.0 / bs)


@jit
def tsai_weight_kernel(bs, lnU, u):
    """Weight U^(b s) e^(-u) / Gamma(b s + 1) of a u drawn by :func:`tsai_log_energy_kernel`:
    Tsai's density I(E0, E, s) dE/du = u^(b s - 1) e^(-u) / Gamma(b s) (Tsai, Rev. Mod.
    Phys. 46 (1974) 815) over the sampling density b s u^(b s - 1) / U^(b s).
    ``lnU`` = ln U = ln(ln(1/x_min)) (precomputed by the caller)."""
    return math.exp(bs * lnU - u - math.lgamma(bs + 1.0))


@jit
def tsai_energy_kernel(E0, bs, U, lnU, y):
    """Degraded beam energy E and weight w at Tsai exponent ``bs`` = b s (s = depth/X0)
    for the uniform y: returns (E, w) with E = E0 e^(-u), u = U y^(1/(b s)),
    w = U^(b s) e^(-u) / Gamma(b s + 1) (Tsai, Rev. Mod. Phys. 46 (1974) 815; see the
    module docstring).  E >= x_min E0 by construction (U = ln(1/x_min), lnU = ln U);
    bs <= 0 (the target face) gives the undegraded beam (E0, 1)."""
    if bs > 0.0:
        u = tsai_log_energy_kernel(bs, U, y)
        return E0 * math.exp(-u), tsai_weight_kernel(bs, lnU, u)
    return E0, 1.0


@jit
def tsai_density_kernel(E0, E, s, b):
    """Tsai's I(E0, E, s) = [ln(E0/E)]^(b s - 1) / (E0 Gamma(b s)) in MeV^-1, for
    0 < E < E0 and s > 0 (Tsai, Rev. Mod. Phys. 46 (1974) 815); 0 outside."""
    if not (0.0 < E < E0) or s <= 0.0:
        return 0.0
    bs = b * s
    return math.exp((bs - 1.0) * math.log(math.log(E0 / E)) - math.lgamma(bs)) / E0


@jit
def _tsai_density_array(E0, E, s, b, out):
    for i in range(E.shape[0]):
        out[i] = tsai_density_kernel(E0[i], E[i], s[i], b[i])


@jit
def _tsai_sample_array(E0, s, x_min, y, b, E_out, w_out):
    for i in range(y.shape[0]):
        U = -math.log(x_min[i])
        E_out[i], w_out[i] = tsai_energy_kernel(E0[i], b[i] * s[i], U, math.log(U), y[i])


def _flat(*args):
    arrs = np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in args])
    return arrs[0].shape, [np.ascontiguousarray(a).ravel() for a in arrs]


def tsai_energy_density(E, E0, s, b=B_TSAI):
    """Tsai's I(E0, E, s) (MeV^-1): density of the energy E of an electron of initial
    energy E0 after s radiation lengths (Tsai, Rev. Mod. Phys. 46 (1974) 815); arrays
    broadcast."""
    shape, flat = _flat(E0, E, s, b)
    out = np.empty(flat[0].shape)
    _tsai_density_array(*flat, out)
    return out.reshape(shape)


def sample_tsai_energy(y, E0, s, x_min, b=B_TSAI):
    """Energies E >= x_min E0 of electrons degraded over s radiation lengths and their
    weights, from uniforms ``y`` in [0, 1) (Tsai, Rev. Mod. Phys. 46 (1974) 815; the
    change of variables of the module docstring).  The weighted E follow
    I(E0, E, s) restricted to E >= x_min E0; returns (E, w), arrays broadcast."""
    shape, flat = _flat(E0, s, x_min, y, b)
    E_out = np.empty(flat[0].shape)
    w_out = np.empty(flat[0].shape)
    _tsai_sample_array(*flat, E_out, w_out)
    return E_out.reshape(shape), w_out.reshape(shape)


def muon_energy_at_depth(z, E0, dedx):
    """Mean muon energy (MeV) at depth z (mm) for a mean loss dedx (MeV/mm): E0 - dedx z
    (PDG review "Passage of particles through matter"; see the module docstring for
    why Tsai's electron degradation does not apply to muons)."""
    return E0 - np.asarray(dedx, dtype=float) * np.asarray(z, dtype=float)
