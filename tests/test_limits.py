"""Upper limits on a Poisson signal mean (mcpgen.analysis.limits).

References: physics-notes "Constants" (2.303 / 2.996 classical, 2.44 / 3.09
Feldman-Cousins for zero observed and zero background) and G. J. Feldman,
R. D. Cousins, Phys. Rev. D 57 (1998) 3873, Tables IV (90% CL) and V (95% CL),
which quote 2 decimals: agreement within half a unit of the last decimal
(0.005, plus 5e-4 for the precision of our b scan) is required.
"""

import math

import numpy as np
import pytest
from scipy.stats import chi2, poisson

from mcpgen.analysis.limits import (
    METHODS,
    feldman_cousins_upper_limit,
    poisson_upper_limit,
    signal_upper_limit,
)
from mcpgen.errors import ConfigError

PAPER_TOL = 0.005 + 5e-4

# (n_obs, b, cl, upper end of the interval in FC Tables IV / V)
FC_TABLE = [
    # b = 0 column, 90% and 95%
    (0, 0.0, 0.90, 2.44), (1, 0.0, 0.90, 4.36), (2, 0.0, 0.90, 5.91), (3, 0.0, 0.90, 7.42),
    (4, 0.0, 0.90, 8.60), (5, 0.0, 0.90, 9.99), (10, 0.0, 0.90, 16.50),
    (0, 0.0, 0.95, 3.09), (1, 0.0, 0.95, 5.14), (2, 0.0, 0.95, 6.72), (3, 0.0, 0.95, 8.25),
    # n = 0 row, 90%: the known decrease with b
    (0, 0.5, 0.90, 1.94), (0, 1.0, 0.90, 1.61), (0, 1.5, 0.90, 1.33), (0, 2.0, 0.90, 1.26),
    (0, 2.5, 0.90, 1.18), (0, 3.0, 0.90, 1.08), (0, 3.5, 0.90, 1.06), (0, 4.0, 0.90, 1.01),
    (0, 5.0, 0.90, 0.98),
    # n = 0 row, 95%
    (0, 0.5, 0.95, 2.63), (0, 1.0, 0.95, 2.33), (0, 2.0, 0.95, 1.78), (0, 3.0, 0.95, 1.63),
    (0, 5.0, 0.95, 1.54),
    # other cells, 90%
    (1, 3.0, 0.90, 1.88), (2, 3.0, 0.90, 3.04), (3, 3.0, 0.90, 4.42), (3, 1.0, 0.90, 6.42),
    (1, 4.0, 0.90, 1.39), (1, 5.0, 0.90, 1.22), (2, 5.0, 0.90, 1.73),
]


# --------------------------------------------------------------- classical
@pytest.mark.parametrize("cl, expected", [(0.90, 2.303), (0.95, 2.996)])
def test_poisson_zero_observed_zero_background(cl, expected):
    # physics-notes "Constants"; exactly -ln(1 - cl)
    s = poisson_upper_limit(0, 0.0, cl)
    assert s == pytest.approx(-math.log(1.0 - cl), rel=1e-12)
    assert round(s, 3) == expected


@pytest.mark.parametrize("n", [0, 1, 3, 10, 50])
@pytest.mark.parametrize("cl", [0.68, 0.90, 0.95])
def test_poisson_chi2_identity_and_definition(n, cl):
    # b = 0: s_up = chi2 quantile / 2 with 2(n+1) dof
    expected = 0.5 * chi2.ppf(cl, 2 * (n + 1))
    assert poisson_upper_limit(n, 0.0, cl) == pytest.approx(expected, rel=1e-10)
    # b > 0: the defining equation, checked with scipy's Poisson CDF
    for b in (0.3, 2.0):
        s = poisson_upper_limit(n, b, cl)
        if s > 0:
            assert poisson.cdf(n, s + b) == pytest.approx(1.0 - cl, rel=1e-9)


def test_poisson_background_above_observed_is_not_clipped():
    # n = 0, b = 5: mu_up = 2.303 < b, the classical interval is empty
    assert poisson_upper_limit(0, 5.0, 0.9) == pytest.approx(2.302585 - 5.0, abs=1e-6)
    with pytest.raises(ConfigError, match="feldman-cousins"):
        signal_upper_limit(0.9, "poisson", 5.0, 0)
    # small but positive: allowed
    assert signal_upper_limit(0.9, "poisson", 2.0, 0) == pytest.approx(0.302585, abs=1e-6)


# ---------------------------------------------------------- Feldman-Cousins
@pytest.mark.parametrize("n, b, cl, paper", FC_TABLE)
def test_fc_reproduces_paper_tables(n, b, cl, paper):
    assert feldman_cousins_upper_limit(n, b, cl) == pytest.approx(paper, abs=PAPER_TOL)


@pytest.mark.parametrize("cl, expected", [(0.90, 2.44), (0.95, 3.09)])
def test_fc_zero_zero_physics_notes(cl, expected):
    assert round(feldman_cousins_upper_limit(0, 0.0, cl), 2) == expected


def test_fc_raw_belt_and_monotonic_tabulation():
    # Raw construction at half-integer b already gives the table (1.18, 1.06);
    # at integer b it is lower (n discrete) and the table's values are the
    # supremum over larger b.
    raw = lambda b: feldman_cousins_upper_limit(0, b, 0.9, monotonic_in_b=False)  # noqa: E731
    assert raw(2.5) == pytest.approx(1.18, abs=PAPER_TOL)
    assert raw(3.5) == pytest.approx(1.06, abs=PAPER_TOL)
    assert raw(3.0) == pytest.approx(0.953, abs=1e-3)
    assert raw(3.0) < feldman_cousins_upper_limit(0, 3.0, 0.9)


def _fc_upper_bruteforce(n_obs, b, cl, ds=1e-3, s_hi=15.0):
    """Independent construction: sort n by R on a grid of s, take the largest accepting s."""
    s = np.arange(0.0, s_hi, ds)
    n = np.arange(0, 80)
    lam = s[:, None] + b
    p = poisson.pmf(n, lam)
    r = p / poisson.pmf(n, np.maximum(n, b))
    order = np.argsort(-r, axis=1, kind="stable")
    ps = np.take_along_axis(p, order, axis=1)
    before = np.cumsum(ps, axis=1) - ps
    rank = np.argmax(order == n_obs, axis=1)
    accepted = before[np.arange(len(s)), rank] < cl
    return s[np.flatnonzero(accepted)[-1]]


@pytest.mark.parametrize("n, b, cl", [(0, 0.0, 0.9), (2, 0.7, 0.9), (0, 3.0, 0.9),
                                      (1, 2.2, 0.95), (4, 1.3, 0.68), (0, 8.0, 0.95)])
def test_fc_raw_matches_bruteforce_grid(n, b, cl):
    # (0, 8, 0.95) has a hole in the accepting s: accepted to 1.12, again 1.24-1.41
    exact = feldman_cousins_upper_limit(n, b, cl, monotonic_in_b=False)
    grid = _fc_upper_bruteforce(n, b, cl)
    assert grid <= exact + 1e-9
    assert exact - grid <= 1e-3  # the grid step


def test_fc_monotonic_in_n_obs():
    for b in (0.0, 3.0):
        lims = [feldman_cousins_upper_limit(n, b, 0.9) for n in range(0, 11)]
        assert np.all(np.diff(lims) > 0), lims


def test_fc_monotonic_in_cl():
    for n, b in ((0, 0.0), (2, 3.0)):
        lims = [feldman_cousins_upper_limit(n, b, cl) for cl in (0.68, 0.8, 0.9, 0.95, 0.99)]
        assert np.all(np.diff(lims) > 0), lims


def test_fc_nonincreasing_in_background():
    lims = [feldman_cousins_upper_limit(0, b, 0.9) for b in np.arange(0.0, 6.01, 0.5)]
    assert np.all(np.diff(lims) <= 1e-9), lims


def test_classical_monotonic_in_n_and_cl():
    assert np.all(np.diff([poisson_upper_limit(n, 1.0, 0.9) for n in range(20)]) > 0)
    assert np.all(np.diff([poisson_upper_limit(2, 1.0, c) for c in (0.5, 0.68, 0.9, 0.95)]) > 0)


@pytest.mark.parametrize("cl", [0.9, 0.95])
def test_fc_not_below_classical_without_background(cl):
    for n in range(0, 16):
        assert feldman_cousins_upper_limit(n, 0.0, cl) >= poisson_upper_limit(n, 0.0, cl)


def test_fc_s_max_too_small_raises():
    with pytest.raises(ValueError, match="s_max"):
        feldman_cousins_upper_limit(3, 0.0, 0.9, s_max=5.0)
    # large enough: same answer as the automatic range
    assert feldman_cousins_upper_limit(3, 0.0, 0.9, s_max=12.0) == pytest.approx(
        feldman_cousins_upper_limit(3, 0.0, 0.9), abs=1e-9)


@pytest.mark.parametrize("args, exc", [((1.5, 0.0, 0.9), TypeError), ((-1, 0.0, 0.9), ValueError),
                                       ((0, -1.0, 0.9), ValueError), ((0, 0.0, 1.0), ValueError),
                                       ((0, math.nan, 0.9), ValueError)])
def test_bad_arguments(args, exc):
    for f in (poisson_upper_limit, feldman_cousins_upper_limit):
        with pytest.raises(exc):
            f(*args)


# ------------------------------------------------------------ dispatching
def test_signal_upper_limit_dispatch():
    assert METHODS == ("poisson", "feldman-cousins")
    assert signal_upper_limit(0.9, "poisson", 0.0, -1) == pytest.approx(2.302585, abs=1e-6)
    assert signal_upper_limit(0.95, "poisson", 0.0, 0) == pytest.approx(2.995732, abs=1e-6)
    assert signal_upper_limit(0.9, "feldman-cousins", 0.0, -1) == pytest.approx(2.44, abs=PAPER_TOL)
    # observed = -1 -> floor(background)
    assert signal_upper_limit(0.9, "feldman-cousins", 2.7, -1) == pytest.approx(
        feldman_cousins_upper_limit(2, 2.7, 0.9), abs=1e-12)
    assert signal_upper_limit(0.9, "poisson", 2.7, -1) == pytest.approx(
        poisson_upper_limit(2, 2.7, 0.9), abs=1e-12)


@pytest.mark.parametrize("kw, key", [
    (dict(cl=0.9, method="feldman_cousins", background=0.0, observed=0), "method"),
    (dict(cl=0.9, method="bayes", background=0.0, observed=0), "method"),
    (dict(cl=90, method="poisson", background=0.0, observed=0), "cl"),
    (dict(cl=0.9, method="poisson", background=-1.0, observed=0), "background"),
    (dict(cl=0.9, method="poisson", background=0.0, observed=-2), "observed"),
    (dict(cl=0.9, method="poisson", background=0.0, observed=1.5), "observed"),
])
def test_signal_upper_limit_bad_input(kw, key):
    with pytest.raises(ConfigError) as err:
        signal_upper_limit(**kw)
    assert err.value.key == key
    if kw["method"] == "feldman_cousins":
        assert "did you mean 'feldman-cousins'" in str(err.value)
