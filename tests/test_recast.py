"""Recast of a dark-photon limit into an MCP limit (seed 001 eqs. 18-20), mcpgen.analysis.recast.

Reference integrals used below (alpha/(3 pi) factored out, m = m_chi):

* constant eps_up: with beta = sqrt(1 - 4 m^2/k^2), dk^2/k^2 = 2 beta dbeta/(1 - beta^2) and
      Integral dk^2/k^2 sqrt(1 - 4m^2/k^2)(1 + 2m^2/k^2) = Integral beta^2 (3 - beta^2)/(1 - beta^2) dbeta
                                                     = Integral (beta^2 - 2 + 2/(1 - beta^2)) dbeta
      G(k^2) = beta^3/3 - 2 beta + 2 artanh(beta)
             = beta^3/3 - 2 beta + 2 ln(1 + beta) - ln(4 m^2/k^2)        (G = 0 at threshold)
  (the second form avoids the cancellation in artanh for beta -> 1); G -> ln(k^2/m^2) - 5/3
  for k^2 >> m^2, which is the log growth of test (c).
* power law eps_up = e0 (m_A/m0)^p, p > 0: with u = 4 m^2/k^2,
      Integral dk^2/k^2 (k^2)^-p sqrt(1-u)(1 + u/2) = (4m^2)^-p Integral u^(p-1) sqrt(1-u)(1 + u/2) du
  = (4m^2)^-p [B(p, 3/2) I_u(p, 3/2) + B(p+1, 3/2) I_u(p+1, 3/2)/2] between the limits
  (regularised incomplete beta functions, scipy.special.betainc).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import beta as beta_fn
from scipy.special import betainc

from mcpgen.analysis.recast import (RecastPoint, default_masses, mcp_limit_from_darkphoton,
                                    read_darkphoton_limit, recast)
from mcpgen.constants import ALPHA
from mcpgen.errors import ConfigError

C = ALPHA / (3 * math.pi)
REPO = Path(__file__).resolve().parents[1]

# The integrator is asked for 1e-10 per segment and reaches ~1e-14 (measured); the closed
# forms below are good to ~1e-15 relative except for k^2 within a few percent of threshold,
# where G ~ beta^3 loses ~1e-16/beta^2.  1e-11 leaves a wide margin on both sides and still
# catches any mistake in the kernel, the substitution or the interpolation.
RTOL = 1e-11


def G(k: float, m: float) -> float:
    """Closed form of Integral_{4m^2}^{k^2} dk'^2/k'^2 sqrt(1 - 4m^2/k'^2)(1 + 2m^2/k'^2)."""
    u = 4 * m * m / (k * k)
    if u >= 1:
        return 0.0
    b = math.sqrt(1 - u)
    return b**3 / 3 - 2 * b + 2 * math.log1p(b) - math.log(u)


def exact_constant(m, lo, hi, e0):
    """MCP limit for eps_up = e0 on [lo, hi] and unconstrained outside."""
    integral = C * (G(hi, m) - G(max(lo, 2 * m), m)) / e0**2
    return 1 / math.sqrt(integral)


def exact_power(m, lo, hi, e0, m0, p):
    """MCP limit for eps_up = e0 (m_A/m0)^p on [lo, hi] (p > 0), via incomplete beta functions."""
    def prim(u):
        return (beta_fn(p, 1.5) * betainc(p, 1.5, u)
                + 0.5 * beta_fn(p + 1, 1.5) * betainc(p + 1, 1.5, u))

    u_lo = 4 * m * m / max(lo, 2 * m) ** 2
    u_hi = 4 * m * m / hi**2
    integral = C / e0**2 * (m0**2 / (4 * m * m)) ** p * (prim(u_lo) - prim(u_hi))
    return 1 / math.sqrt(integral)


def _kernel(k2, m):
    return math.sqrt(1 - 4 * m * m / k2) * (1 + 2 * m * m / k2) / k2


@pytest.mark.parametrize("m,k", [(1.0, 2.5), (1.0, 1e3), (0.3, 17.0), (1e-3, 1e2)])
def test_closed_form_matches_quad(m, k):
    # independent check of G: quad in k^2 with the threshold sqrt removed by k^2 = 4m^2 + x^2
    ref, _ = quad(lambda x: 2 * x * _kernel(4 * m * m + x * x, m), 0.0, math.sqrt(k * k - 4 * m * m),
                  epsabs=0.0, epsrel=1e-13, limit=500)
    assert G(k, m) == pytest.approx(ref, rel=1e-12)
    # and its large-k^2 form
    if k > 100 * m:
        assert G(k, m) == pytest.approx(math.log(k * k / (m * m)) - 5 / 3, rel=1e-6)


# (a) constant eps_up -------------------------------------------------------------------------

@pytest.mark.parametrize("nodes", [2, 3, 17])
@pytest.mark.parametrize("m_chi", [1e-3, 0.1, 0.5, 0.9, 3.0, 20.0, 49.0, 49.99])
def test_constant_limit_closed_form(nodes, m_chi):
    m_A = np.geomspace(1.0, 100.0, nodes)
    got = mcp_limit_from_darkphoton(m_chi, m_A, np.full(nodes, 3e-4))
    assert got == pytest.approx(exact_constant(m_chi, 1.0, 100.0, 3e-4), rel=RTOL)


def test_nan_above_table_and_unsorted_input():
    m_A, eps_A = np.array([100.0, 1.0, 10.0]), np.array([1e-4, 2e-4, 5e-5])
    assert math.isnan(mcp_limit_from_darkphoton(50.0, m_A, eps_A))   # 2 m_chi = max m_A
    assert math.isnan(mcp_limit_from_darkphoton(80.0, m_A, eps_A))
    order = np.argsort(m_A)
    assert mcp_limit_from_darkphoton(3.0, m_A, eps_A) == mcp_limit_from_darkphoton(
        3.0, m_A[order], eps_A[order])


@pytest.mark.parametrize("bad", [dict(m_chi=0.0), dict(m_chi=-1.0), dict(m_chi=math.nan),
                                 dict(m_A=[1.0]), dict(m_A=[1.0, 1.0]), dict(eps_A=[1e-4, 0.0]),
                                 dict(eps_A=[1e-4, math.nan]), dict(m_A=[-1.0, 2.0])])
def test_bad_arguments(bad):
    kw = dict(m_chi=1.0, m_A=[1.0, 10.0], eps_A=[1e-4, 1e-4])
    kw.update(bad)
    if len(kw["m_A"]) == 1:
        kw["eps_A"] = [1e-4]
    with pytest.raises(ValueError):
        mcp_limit_from_darkphoton(kw["m_chi"], kw["m_A"], kw["eps_A"])


# (b) power law, coarse table: log-log interpolation is exact -----------------------------------

@pytest.mark.parametrize("p", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("m_chi", [1e-3, 0.2, 0.6, 5.0, 30.0, 49.5])
def test_power_law_coarse_table(p, m_chi):
    m_A = np.array([1.0, 4.0, 100.0])        # three uneven nodes spanning two decades
    eps_A = 2e-4 * (m_A / 10.0) ** p
    got = mcp_limit_from_darkphoton(m_chi, m_A, eps_A)
    assert got == pytest.approx(exact_power(m_chi, 1.0, 100.0, 2e-4, 10.0, p), rel=RTOL)


def test_broken_power_law_vs_quad():
    # kinks at the nodes: compare with quad on the exact piecewise power law, split at the nodes
    m_A = np.array([0.5, 3.0, 20.0, 200.0])
    eps_A = np.array([1e-3, 2e-4, 4e-4, 5e-3])
    m = 1.1

    def inv_eps2(k):
        return np.exp(-2 * np.interp(np.log(k), np.log(m_A), np.log(eps_A)))

    total = 0.0
    for lo, hi in zip(m_A[:-1], m_A[1:]):
        lo = max(lo, 2 * m)
        if hi <= lo:
            continue
        x0, x1 = math.sqrt(lo * lo - 4 * m * m), math.sqrt(hi * hi - 4 * m * m)
        val, _ = quad(lambda x: 2 * x * _kernel(4 * m * m + x * x, m)
                      * inv_eps2(math.sqrt(4 * m * m + x * x)), x0, x1, epsabs=0.0, epsrel=1e-13,
                      limit=500)
        total += val
    assert mcp_limit_from_darkphoton(m, m_A, eps_A) == pytest.approx(1 / math.sqrt(C * total),
                                                                     rel=1e-10)


# (c) m_chi -> 0 ------------------------------------------------------------------------------

def test_small_mass_log_growth():
    # table reaching far below 2 m_chi: eps_chi^-2 = C/e0^2 (ln(m_hi^2/m_chi^2) - 5/3 + O(m^2/m_hi^2))
    e0, lo, hi = 1e-4, 1e-7, 1e3
    m_A = np.geomspace(lo, hi, 11)
    m = np.geomspace(1e-4, 1e-1, 7)
    inv2 = np.array([mcp_limit_from_darkphoton(x, m_A, np.full(11, e0)) ** -2 for x in m])
    assert inv2 == pytest.approx(C / e0**2 * (np.log(hi**2 / m**2) - 5 / 3), rel=1e-7)
    # slope in ln m_chi is -2 C/e0^2: the limit weakens only logarithmically as m_chi -> 0
    slope = np.diff(inv2) / np.diff(np.log(m))
    assert slope == pytest.approx(-2 * C / e0**2, rel=1e-6)


def test_small_mass_saturates_below_table():
    # table on [1, 100]: for 2 m_chi << 1 MeV only ln(hi^2/lo^2) is left (conservative cut-off)
    e0 = 1e-4
    m_A, eps_A = np.array([1.0, 100.0]), np.array([e0, e0])
    sat = e0 / math.sqrt(C * math.log(100.0**2))
    for m in (1e-3, 1e-4, 1e-6):
        assert mcp_limit_from_darkphoton(m, m_A, eps_A) == pytest.approx(sat, rel=10 * m**2)
    # extrapolate=True continues the (flat) lowest segment to threshold: back to the log growth
    for m in (1e-3, 1e-5):
        got = mcp_limit_from_darkphoton(m, m_A, eps_A, extrapolate=True)
        assert got == pytest.approx(exact_constant(m, 0.0, 100.0, e0), rel=RTOL)
        assert got < sat
    # above the table start, extrapolate changes nothing
    assert (mcp_limit_from_darkphoton(0.7, m_A, eps_A, extrapolate=True)
            == mcp_limit_from_darkphoton(0.7, m_A, eps_A))


# (f) scaling ---------------------------------------------------------------------------------

@pytest.mark.parametrize("c", [1e-3, 0.37, 12.0])
def test_eps_scaling(c):
    m_A = np.array([1.0, 2.0, 7.0, 30.0, 100.0])
    eps_A = np.array([3e-4, 1e-4, 8e-5, 2e-4, 1e-3])
    for m in (0.05, 0.8, 4.0, 40.0):
        base = mcp_limit_from_darkphoton(m, m_A, eps_A)
        assert mcp_limit_from_darkphoton(m, m_A, c * eps_A) == pytest.approx(c * base, rel=1e-12)


# (d) reading the CSV -------------------------------------------------------------------------

def _write(tmp_path, text, name="limit.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_good_csv(tmp_path):
    path = _write(tmp_path, "# NA64e 90% CL\nsource,eps_limit,m_Aprime_MeV\n"
                            "a, 2e-4 ,10\nb,,5\nc,NaN,7\nd,1e-4,1\n\ne,3e-4,100\n")
    m_A, eps = read_darkphoton_limit(path)
    assert m_A.tolist() == [1.0, 10.0, 100.0]
    assert eps.tolist() == [1e-4, 2e-4, 3e-4]


@pytest.mark.parametrize("text,words", [
    ("mass,eps_limit\n1,1e-4\n2,1e-4\n", ["missing column 'm_Aprime_MeV'", "'mass'", "'eps_limit'"]),
    ("m_Aprime_MeV,eps\n1,1e-4\n2,1e-4\n", ["missing column 'eps_limit'", "'eps'"]),
    ("m_Aprime_MeV,eps_limit\n1,1e-4\n-2,1e-4\n", ["line 3", "'m_Aprime_MeV'", "'-2'", "> 0"]),
    ("m_Aprime_MeV,eps_limit\n1,1e-4\n0,1e-4\n", ["line 3", "'0'", "> 0"]),
    ("m_Aprime_MeV,eps_limit\n1,1e-4\n2 MeV,1e-4\n", ["line 3", "'2 MeV'", "not a number"]),
    ("m_Aprime_MeV,eps_limit\n1,1e-4\n2,small\n", ["line 3", "'eps_limit'", "'small'",
                                                    "not a number", "blank/NaN"]),
    ("m_Aprime_MeV,eps_limit\n1,1e-4\n2,-1e-4\n", ["line 3", "'eps_limit'", "> 0"]),
    ("m_Aprime_MeV,eps_limit\n1,1e-4\n2,inf\n", ["line 3", "'inf'"]),
    ("m_Aprime_MeV,eps_limit\n1,1e-4\n,1e-4\n", ["line 3", "'m_Aprime_MeV'", "not a number"]),
    ("m_Aprime_MeV,eps_limit\n1,1e-4\n1.0,2e-4\n", ["lines 2 and 3", "twice"]),
    ("m_Aprime_MeV,eps_limit\n1,1e-4\n2\n", ["line 3", "1 fields", "header has 2"]),
    ("", ["empty file", "m_Aprime_MeV"]),
    ("# only a comment\n\n", ["empty file"]),
    ("m_Aprime_MeV,eps_limit\n", ["0 row(s)", "at least 2"]),
    ("m_Aprime_MeV,eps_limit\n1,1e-4\n2,nan\n", ["1 row(s)", "at least 2"]),
])
def test_bad_csv(tmp_path, text, words):
    path = _write(tmp_path, text, name="my_limit.csv")
    with pytest.raises(ConfigError) as exc:
        read_darkphoton_limit(path)
    msg = str(exc.value)
    assert "\n" not in msg
    assert str(path) in msg
    for w in words:
        assert w in msg


def test_missing_and_binary_csv(tmp_path):
    with pytest.raises(ConfigError, match="not found") as exc:
        read_darkphoton_limit(tmp_path / "nope.csv")
    assert "nope.csv" in str(exc.value)
    bad = tmp_path / "bin.csv"
    bad.write_bytes(b"\xff\xfe\x00m")
    with pytest.raises(ConfigError, match="bin.csv.*UTF-8"):
        read_darkphoton_limit(bad)


# (e) the recast driver -----------------------------------------------------------------------

SMALL = "m_Aprime_MeV,eps_limit,comment\n1,2e-4,a\n3,,gap\n10,1e-4,b\n100,5e-4,c\n"


def _read_limits(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_recast_card_writes_files(tmp_path):
    src = _write(tmp_path, SMALL)
    out = tmp_path / "new" / "recast"          # created, parents included
    rows = recast(src, "na64e", out, masses=[0.1, 2.0, 20.0, 60.0])
    assert [r.m_chi for r in rows] == [0.1, 2.0, 20.0, 60.0]
    assert all(isinstance(r, RecastPoint) and r.label == "NA64e" for r in rows)
    assert math.isnan(rows[-1].eps_limit)     # 2 m_chi = 120 MeV > 100 MeV
    m_A, eps_A = np.array([1.0, 10.0, 100.0]), np.array([2e-4, 1e-4, 5e-4])
    assert rows[1].eps_limit == mcp_limit_from_darkphoton(2.0, m_A, eps_A)

    assert sorted(p.name for p in out.iterdir()) == ["limits.csv", "reach.pdf", "reach.png"]  # no temp files
    assert (out / "reach.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = _read_limits(out / "limits.csv")
    assert list(back[0]) == ["label", "m_chi_MeV", "eps_limit"]
    assert back[-1]["eps_limit"] == ""
    for r, b in zip(rows, back):
        assert b["label"] == r.label
        assert float(b["m_chi_MeV"]) == r.m_chi
        if b["eps_limit"]:
            assert float(b["eps_limit"]) == r.eps_limit   # exact round trip (repr)

    # rerun with a label: files are replaced
    rows2 = recast(src, "na64e", out, masses=[2.0], label="NA64e 2017")
    assert [b["label"] for b in _read_limits(out / "limits.csv")] == ["NA64e 2017"]
    assert rows2[0].eps_limit == rows[1].eps_limit


def test_recast_card_default_masses(tmp_path):
    src = _write(tmp_path, SMALL)
    rows = recast(src, "na64e", tmp_path / "out")
    m = np.array([r.m_chi for r in rows])
    assert len(rows) == 30
    assert m[0] == pytest.approx(0.5) and m[-1] < 50.0 and np.all(np.diff(m) > 0)
    assert np.all(np.isfinite([r.eps_limit for r in rows]))
    assert default_masses([1.0, 100.0]).tolist() == m.tolist()


def test_recast_steering(tmp_path):
    src = _write(tmp_path, SMALL)
    steering = REPO / "steering" / "na64_2019.toml"   # two set-ups: label = run.name
    rows = recast(src, steering, tmp_path / "out")
    assert [r.label for r in rows] == ["na64_2019"] * 13
    assert rows[0].m_chi == pytest.approx(1.0)
    assert math.isnan(rows[-1].eps_limit)             # 1 GeV, above the table
    back = _read_limits(tmp_path / "out" / "limits.csv")
    assert len(back) == 13 and sum(b["eps_limit"] == "" for b in back) == sum(
        math.isnan(r.eps_limit) for r in rows)


def test_recast_card_by_path(tmp_path):
    src = _write(tmp_path, SMALL)
    rows = recast(src, REPO / "detectors" / "na64e.toml", tmp_path / "out", masses=[1.0])
    assert rows[0].label == "NA64e"


@pytest.mark.parametrize("target", ["na64x", "no/such/steering.toml"])
def test_recast_bad_target(tmp_path, target):
    src = _write(tmp_path, SMALL)
    with pytest.raises(ConfigError, match="not found"):
        recast(src, target, tmp_path / "out", masses=[1.0])
    assert not (tmp_path / "out").exists()


def test_recast_bad_masses_and_out(tmp_path):
    src = _write(tmp_path, SMALL)
    with pytest.raises(ConfigError, match="masses"):
        recast(src, "na64e", tmp_path / "out", masses=[1.0, -2.0])
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="not writable") as exc:
        recast(src, "na64e", blocker / "sub", masses=[1.0])
    assert "file.txt" in str(exc.value)
    bad = _write(tmp_path, "m_Aprime_MeV\n1\n", name="bad.csv")
    with pytest.raises(ConfigError, match="bad.csv.*missing column 'eps_limit'"):
        recast(bad, "na64e", tmp_path / "out2")
    assert not (tmp_path / "out2").exists()      # bad input: nothing written
