"""e+e- -> gamma* -> chi chibar near threshold, with initial-state radiation (seed 004).

Born cross section with the full mass dependence (../shared/physics-notes.md section 3;
seed 004 eq. 1 is its beta -> 0 limit):

    sigma_B(s) = (4 pi alpha^2 eps^2 / (3 s)) beta (3 - beta^2)/2,   beta = sqrt(1 - 4 m^2/s),
    d sigma/d cos theta ~ 1 + cos^2 theta + (1 - beta^2) sin^2 theta

(theta: chi to the beam axis in the pair rest frame).

ISR: sigma(s) = int_0^{x_max} dx F(x, s) sigma_B(s (1 - x)), x the energy fraction of the
radiation, x_max = 1 - 4 m^2/s, with the structure function of E. A. Kuraev and V. S.
Fadin, Sov. J. Nucl. Phys. 41 (1985) 466 (L = ln(s/m_e^2), b = (2 alpha/pi)(L - 1)):

``"kuraev-fadin"`` (full, as in physics-notes and ISRSolver's KuraevFadin.cpp; the
    e+e- pair terms are left out):
    F = b x^(b-1) [1 + (alpha/pi)(pi^2/3 - 1/2) + 3b/4 - (b^2/24)(L/3 + 2 pi^2 - 37/4)]
        - b (1 - x/2) + (b^2/8) [4 (2 - x) ln(1/x) - ((1 + 3 (1 - x)^2)/x) ln(1 - x) - 6 + x];
``"leading"``: F = b (x^(b-1) (1 + 3b/4) - 1 + x/2);
``"seed"``: seed 004's simplified form F = b (x^(b-1) - 1 + x/2) (no 3b/4 term).

The radiation is one photon collinear with the radiating beam (the structure-function
picture: its transverse momentum, ~ m_e, is neglected).  Energies in MeV, cross
sections in MeV^-2 unless the name says pb.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import ALPHA, INV_MEV2_TO_PB, M_E

ISR_MODELS = ("none", "kuraev-fadin", "leading", "seed")


def born_beta(s, m):
    """Velocity of chi in the pair rest frame, sqrt(1 - 4 m^2/s) (0 below threshold)."""
    s = np.asarray(s, float)
    return np.sqrt(np.clip(1.0 - 4.0 * m * m / s, 0.0, None))


def born_sigma(s, m, eps=1.0):
    """sigma_B(s) in MeV^-2 (module docstring); 0 below threshold."""
    s = np.asarray(s, float)
    b = born_beta(s, m)
    return np.where(s > 4 * m * m, 4 * math.pi * ALPHA**2 * eps**2 / (3 * s) * b * (3 - b * b) / 2,
                    0.0)


def born_sigma_pb(sqrt_s, m, eps=1.0):
    """sigma_B at sqrt(s) = ``sqrt_s`` (MeV) in pb."""
    return born_sigma(np.asarray(sqrt_s, float) ** 2, m, eps) * INV_MEV2_TO_PB


def isr_b(s):
    """b = (2 alpha/pi)(ln(s/m_e^2) - 1) (scalar or array s)."""
    return 2.0 * ALPHA / math.pi * (np.log(np.asarray(s, float) / M_E**2) - 1.0)


def radiator(x, s, model="kuraev-fadin"):
    """F(x, s) of the ISR ``model`` (module docstring), for 0 < x < 1."""
    x = np.asarray(x, float)
    L = np.log(np.asarray(s, float) / M_E**2)
    b = 2.0 * ALPHA / math.pi * (L - 1.0)
    if model == "seed":
        return b * (x ** (b - 1.0) - 1.0 + x / 2.0)
    if model == "leading":
        return b * (x ** (b - 1.0) * (1.0 + 0.75 * b) - 1.0 + x / 2.0)
    if model != "kuraev-fadin":
        raise ValueError(f"unknown ISR model {model!r}; allowed: {', '.join(ISR_MODELS[1:])}")
    c = 1.0 + ALPHA / math.pi * (math.pi**2 / 3.0 - 0.5) + 0.75 * b \
        - b * b / 24.0 * (L / 3.0 + 2.0 * math.pi**2 - 37.0 / 4.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        hard = b * b / 8.0 * (4.0 * (2.0 - x) * np.log(1.0 / x)
                              - (1.0 + 3.0 * (1.0 - x) ** 2) / x * np.log1p(-x) - 6.0 + x)
    return b * x ** (b - 1.0) * c - b * (1.0 - x / 2.0) + hard


def radiator_over_leading(x, s, model):
    """F(x, s) / (b x^(b-1)): the smooth part the sampler weights with."""
    x = np.asarray(x, float)
    b = isr_b(s)
    return radiator(x, s, model) / (b * x ** (b - 1.0))


def sigma_isr(sqrt_s, m, model="kuraev-fadin", eps=1.0) -> float:
    """sigma(s) with ISR in pb: the convolution of the module docstring by quadrature in
    t = x^b (which absorbs the x^(b-1) singularity)."""
    from scipy.integrate import quad

    s = float(sqrt_s) ** 2
    if model == "none":
        return float(born_sigma_pb(sqrt_s, m, eps))
    x_max = 1.0 - 4.0 * m * m / s
    if x_max <= 0:
        return 0.0
    b = float(isr_b(s))

    def f(t):
        x = t ** (1.0 / b)
        return float(radiator_over_leading(x, s, model) * born_sigma(s * (1.0 - x), m, eps))

    val, _ = quad(f, 0.0, x_max**b, epsabs=0.0, epsrel=1e-10, limit=400)
    return val * INV_MEV2_TO_PB
