"""Inverse-CDF sampling of the chi polar angle for a transverse gamma*
(mcpgen.physics.pair.transverse_costheta_kernel, physics-notes section 1).

The density in c = cos(theta*) is a + b c^2, a = 2 - beta^2, b = beta^2; its CDF is
[a (c + 1) + b (c^3 + 1)/3] / [2 (a + b/3)].  The references below invert that CDF
independently of the kernel's algebra (mpmath bracketing root finder at 40 digits;
scipy brentq in double precision) or test the samples against it (KS).
"""

import numpy as np
import pytest
from scipy import optimize, stats

from mcpgen.physics.pair import transverse_costheta_guess, transverse_costheta_kernel

#: beta over the range the sampler meets: threshold (beta ~ 1e-8) to k^2 >> 4 m^2
BETAS = np.concatenate([
    [1e-8, 3e-8, 1e-6, 3e-5, 1e-4, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999,
     1 - 1e-6, 1 - 1e-9, 1 - 1e-12, 1.0],
    10 ** np.random.default_rng(1).uniform(-8, 0, 8),
    1 - 10 ** np.random.default_rng(2).uniform(-12, -1, 6),
])
#: r in [0, 1): the ends, both sides of the median, and random points
RS = np.concatenate([
    [0.0, 2.0**-53, 1e-12, 1e-6, 0.01, 0.25, 0.5 - 2.0**-53, 0.5, 0.5 + 2.0**-53, 0.75,
     0.99, 1 - 1e-9, 1 - 2.0**-53],
    np.random.default_rng(3).random(17),
])


def _cdf(c, beta2):
    a = 2.0 - beta2
    return (a * (c + 1.0) + beta2 * (c**3 + 1.0) / 3.0) / (2.0 * a + 2.0 * beta2 / 3.0)


def _kernel(r, beta2):
    return np.array([transverse_costheta_kernel(x, beta2) for x in np.atleast_1d(r)])


def test_against_mpmath():
    """|c - c_exact| against the root of the exact CDF at the given double inputs.

    Tolerance 2**-52 (one ulp just above 1, two just below): after the Halley and Newton
    steps the truncation error is < 2e-19 (docstring bound), so what remains is rounding
    in the last Newton step: a residual of a few roundings of terms that are small near
    the root, divided by F' >= 3, and the final subtraction (half an ulp of c).  The
    measured maximum is 8.2e-17; the Cardano/asinh form this replaced reached 6.5e-16,
    and 6.4e-11 below beta^2 = 1e-9, so this tolerance also says "no less accurate"."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    worst = 0.0
    for beta in BETAS:
        b2 = float(beta) ** 2
        b = mp.mpf(b2)
        a = 2 - b
        for r in RS:
            rr = mp.mpf(float(r))
            if rr == 0:
                exact = mp.mpf(-1)   # CDF(-1) = 0 exactly
            else:
                def g(c):
                    return a * (c + 1) + b * (c**3 + 1) / 3 - rr * (2 * a + 2 * b / 3)

                exact = mp.findroot(g, (mp.mpf(-1), mp.mpf(1)), solver="anderson")
                assert abs(g(exact)) < mp.mpf(10) ** -35      # the reference converged
            err = abs(float(mp.mpf(transverse_costheta_kernel(float(r), b2)) - exact))
            worst = max(worst, err)
    assert worst <= 2.0**-52, worst


def test_against_scipy_brentq():
    """Root of CDF(c) - r by brentq in double precision.  Tolerance 4e-15: brentq stops
    within xtol + rtol |c| = 1e-15 + 8.9e-16 (rtol cannot go below 4 eps), and near the
    root the double-precision CDF has rounding ~1e-16 divided by the density >= 3/8."""
    worst = 0.0
    for beta in BETAS[::2]:
        b2 = float(beta) ** 2
        c = _kernel(RS, b2)
        for r, ci in zip(RS, c):
            if r == 0.0:
                ref = -1.0
            else:
                ref = optimize.brentq(lambda x: _cdf(x, b2) - r, -1.0, 1.0,
                                      xtol=1e-15, rtol=4 * np.finfo(float).eps)
            worst = max(worst, abs(ci - ref))
    assert worst < 4e-15, worst


def test_guess_bound():
    """The starting polynomial is within 1.21e-3 of the root everywhere (the bound the
    docstring's error analysis uses); root by 60 double-precision Newton steps."""
    b = np.linspace(0.0, 1.0, 201)[:, None]
    u = np.linspace(-1.0, 1.0, 2001)[None, :]
    a = 2.0 - b
    c = np.broadcast_to(u, (b.shape[0], u.shape[1])).copy()
    for _ in range(60):
        c -= (3 * a * (c - u) + b * (c**3 - u)) / (3 * a + 3 * b * c * c)
    g = np.array([[transverse_costheta_guess(float(ui), float(bi)) for ui in u[0, ::4]]
                  for bi in b[:, 0]])
    assert np.abs(g - c[:, ::4]).max() <= 1.21e-3


@pytest.mark.parametrize("beta2", [1e-16, 1e-9, 0.3, 0.99, 1 - 2e-12, 1.0])
def test_ks_against_exact_cdf(beta2):
    """KS test of sampled cos(theta*) against the exact CDF, fixed seed; fails if the
    p-value drops below 1e-3 (a correct sampler fails it once in a thousand seeds)."""
    r = np.random.default_rng(2024).random(20000)
    c = _kernel(r, beta2)
    assert stats.kstest(c, lambda x: _cdf(x, beta2)).pvalue > 1e-3


def test_round_trip_and_shape():
    """CDF(c(r)) = r to rounding (|dCDF/dc| <= (a + b)/(2a + 2b/3) <= 3/4, so
    |dc| <= 2**-52 gives |dr| <= 1.7e-16, plus ~2 ulp from evaluating the CDF)."""
    r = np.random.default_rng(7).random(4000)
    for beta2 in [1e-16, 0.2, 0.8, 1.0]:
        c = _kernel(r, beta2)
        assert np.abs(_cdf(c, beta2) - r).max() < 1e-15
        assert np.all(np.abs(c) <= 1.0)


def test_exact_properties():
    """Exact in floating point: b = 0 gives 2r - 1, r = 0 gives -1, the map is odd in
    u = 2r - 1 (every operation is sign-symmetric), non-decreasing in r, and the
    pure-Python path (NUMBA_DISABLE_JIT=1) gives the same bits as the compiled one."""
    r = np.sort(np.random.default_rng(11).random(20000))
    assert np.array_equal(_kernel(r, 0.0), 2 * r - 1)
    for beta2 in [1e-16, 1e-9, 0.5, 1.0]:
        assert transverse_costheta_kernel(0.0, beta2) == -1.0
        c = _kernel(r, beta2)
        assert np.all(np.diff(c) >= 0.0)
        hi = r[r >= 0.5]                       # 1 - r is exact there
        assert np.array_equal(_kernel(1.0 - hi, beta2), -_kernel(hi, beta2))
        py = np.array([transverse_costheta_kernel.py_func(x, beta2) for x in r[::97]])
        assert np.array_equal(py, c[::97])


def test_small_beta_limit():
    """beta -> 0: c = u + (b/6) u (1 - u^2) + (b^2/12) u (1 - u^2)^2 + O(b^3) (the cubic
    solved order by order in b).  The O(b) term is what the old c = 2r - 1 shortcut below
    beta^2 = 1e-9 dropped.  Tolerance 3e-16: the kernel's 2**-52 plus the rounding of the
    series itself; the O(b^3) remainder is < 1e-24 here."""
    r = np.random.default_rng(5).random(2000)
    u = 2 * r - 1                                     # exact for r on the 2**-53 grid
    for b in [1e-16, 1e-12, 1e-10, 1e-8]:
        w = u * (1 - u * u)
        series = u + (b / 6 * w + b * b / 12 * w * (1 - u * u))
        assert np.abs(_kernel(r, b) - series).max() < 3e-16
