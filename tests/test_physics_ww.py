"""WW / IWW cross sections and the pair factor against independent calculations."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from mcpgen.constants import ALPHA, M_E, M_MU
from mcpgen.physics.pair import pair_density, transverse_costheta_kernel
from mcpgen.physics.lepton_nucleus.ww import iww_dsigma_dx, ww_d2sigma


@pytest.mark.parametrize("E0,m,ml", [(100e3, 10.0, M_E), (100e3, 200.0, M_MU), (160e3, 30.0, M_MU),
                                     (8e3, 500.0, M_E)])
@pytest.mark.parametrize("x", [0.3, 0.7, 0.95])
def test_iww_is_ww_integrated_over_angle(E0, m, ml, x):
    """IWW (seed 001 eq. 8) = WW double differential integrated over theta in [0, inf)
    with the small-angle measure dcos(theta) = theta dtheta (Liu-Miller 2017 sec. III)."""
    chi = 1.0
    U0 = m * m * (1 - x) / x + ml * ml * x
    th0 = math.sqrt(U0 / (x * E0 * E0))  # angular scale of the distribution

    def f(s):  # theta = th0 * s/(1-s)
        th = th0 * s / (1 - s)
        return float(ww_d2sigma(x, th, E0, m, ml, chi)) * th * th0 / (1 - s) ** 2

    val, _ = integrate.quad(f, 0, 1, epsrel=1e-10, limit=400)
    # both sides are analytic; quadrature accuracy ~1e-9
    assert val == pytest.approx(float(iww_dsigma_dx(x, E0, m, ml, chi)), rel=1e-7)


def test_iww_massless_lepton_limit():
    # physics-notes: m_l -> 0: dsigma/dx = 4 alpha^3 chi beta_V x (1 - x + x^2/3)/(m^2 (1-x))
    # with |k|/E0 = x beta_V; m_l = 1e-6 MeV corrections are O(m_l^2/m^2) = 1e-16
    E0, m, chi = 100e3, 50.0, 3.0
    for x in (0.2, 0.5, 0.9):
        beta = math.sqrt(1 - m**2 / (x * E0) ** 2)
        ref = 4 * ALPHA**3 * chi * beta * x * (1 - x + x * x / 3) / (m * m * (1 - x))
        assert float(iww_dsigma_dx(x, E0, m, 1e-6, chi)) == pytest.approx(ref, rel=1e-9)


def test_pair_density_is_the_born_r_ratio():
    """dP/dk^2 = Im Pi(k^2)/(pi k^2); the same factor gives the e+e- -> chi chibar Born
    rate relative to a massless pair: beta (3 - beta^2)/2 (physics-notes sec. 3)."""
    m = 10.0
    k2 = np.array([4.0001, 5.0, 10.0, 100.0, 1e4]) * m * m
    beta = np.sqrt(1 - 4 * m * m / k2)
    ratio = pair_density(k2, m) * 3 * math.pi * k2 / ALPHA
    np.testing.assert_allclose(ratio, beta * (3 - beta**2) / 2, rtol=1e-12)
    assert pair_density(3.9 * m * m, m) == 0.0
    assert pair_density(k2, m, eps=1e-3)[2] == pytest.approx(1e-6 * pair_density(k2, m)[2])


@pytest.mark.parametrize("beta2", [0.0, 0.3, 0.99])
def test_transverse_angular_sampling_ks(beta2):
    """Inverse-CDF sampling of 1 + c^2 + (1 - beta^2)(1 - c^2): KS test against the exact CDF
    with a fixed seed (the test fails if the p-value drops below 1e-3)."""
    r = np.random.default_rng(12).random(20000)
    c = np.array([transverse_costheta_kernel(x, beta2) for x in r])
    a = 2 - beta2

    def cdf(x):
        return (a * (x + 1) + beta2 * (x**3 + 1) / 3) / (2 * a + 2 * beta2 / 3)

    assert stats.kstest(c, cdf).pvalue > 1e-3
