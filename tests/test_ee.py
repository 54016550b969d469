"""e+e- -> chi chibar (gamma_ISR) (mcpgen.physics.ee_annihilation, processes.ee_annihilation)
against physics-notes section 3, analytic normalisations and independent quadratures."""

import json
import math

import numpy as np
import pytest
from scipy import integrate, stats

from mcpgen.cli import main
from mcpgen.physics import ee_annihilation as P
from mcpgen.processes.ee_annihilation import EEProcess, EESettings
from mcpgen.sources.collider import ColliderSource


@pytest.mark.parametrize("m, nb", [(1900.0, 2.460), (1990.0, 0.8105)])
def test_born_against_notes(m, nb):
    # physics-notes, eps = 1, sqrt(s) = 4 GeV, 4 digits
    assert P.born_sigma_pb(4000.0, m) / 1e3 == pytest.approx(nb, rel=2e-4)


def test_radiator_normalisations():
    s = 4000.0**2
    b = float(P.isr_b(s))
    # int_0^1 of the leading form is exactly 1; of the seed's form 1 - 3b/4
    for model, expect in (("leading", 1.0), ("seed", 1.0 - 0.75 * b)):
        val = integrate.quad(lambda t: float(P.radiator_over_leading(t ** (1 / b), s, model)),
                             0.0, 1.0, epsabs=0.0, epsrel=1e-12, limit=400)[0]
        assert val == pytest.approx(expect, rel=1e-9)
    # the full form differs from the leading one by O(b^2, alpha/pi) only
    x = np.array([1e-4, 1e-2, 0.3])
    rel = P.radiator(x, s, "kuraev-fadin") / P.radiator(x, s, "leading") - 1
    assert np.all(np.abs(rel) < 0.05)


def _proc(isr="kuraev-fadin", spread=0.0, m=1900.0, sqrt_s=4000.0, seed=3):
    src = ColliderSource(sqrt_s=sqrt_s, luminosity=100.0, energy_spread=spread, isr=isr)
    return EEProcess(src, m, EESettings(), seed)


@pytest.mark.parametrize("model", ["kuraev-fadin", "seed"])
def test_isr_integral_against_quadrature(model):
    xs = _proc(model).integrate(1e-3, 10**7)
    ref = P.sigma_isr(4000.0, 1900.0, model)
    assert abs(xs.sigma - ref) < 4 * xs.sigma_err and xs.sigma_err < 1.5e-3 * ref


def test_spread_against_gaussian_convolution():
    sig0, m = 4.0, 1999.0     # 2 MeV below the nominal threshold: the spread matters
    xs = _proc("none", sig0, m).integrate(1e-3, 10**7)
    f = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi) * float(P.born_sigma_pb(4000 + sig0 * z, m))  # noqa
    ref = integrate.quad(f, -8, 8, points=[(2 * m - 4000) / sig0], limit=400, epsrel=1e-10)[0]
    assert abs(xs.sigma - ref) < 4 * xs.sigma_err


def _vec(b, lab):
    return np.stack([getattr(b, c)[:, b.index(lab)] for c in ("E", "px", "py", "pz")], 1)


def test_events_kinematics_and_angles():
    proc = _proc("kuraev-fadin", 2.1)
    proc.integrate(3e-3, 10**6)
    b = proc.block(0, 1 << 16, 1 << 16, False)
    assert b.names == ("e-", "e+", "gamma*", "gamma_isr", "chi", "chibar")
    ini = _vec(b, "e-") + _vec(b, "e+")
    fin = _vec(b, "gamma_isr") + _vec(b, "chi") + _vec(b, "chibar")
    assert np.allclose(ini, fin, rtol=1e-12, atol=1e-7)
    chi, pair = _vec(b, "chi"), _vec(b, "gamma*")
    assert np.allclose(np.sqrt(chi[:, 0] ** 2 - (chi[:, 1:] ** 2).sum(1)), 1900.0, rtol=1e-6)
    # chi angle to the beam in the pair rest frame (boost along z), events weighted: KS of
    # the probability transform on an unweighted sample
    g = pair[:, 0] / b.mass[:, b.index("gamma*")]
    bz = pair[:, 3] / pair[:, 0]
    pz_rest = g * (chi[:, 3] - bz * chi[:, 0])
    c = pz_rest / np.sqrt(chi[:, 1] ** 2 + chi[:, 2] ** 2 + pz_rest**2)
    beta2 = 1 - 4 * 1900.0**2 / b.mass[:, b.index("gamma*")] ** 2
    a = 2 - beta2
    u = (a * (c + 1) + beta2 * (c**3 + 1) / 3) / (2 * a + 2 * beta2 / 3)
    keep = np.random.default_rng(1).random(len(u)) * b.weight.max() < b.weight
    assert stats.kstest(u[keep], "uniform").pvalue > 1e-3
    # the weighted mean ISR energy fraction against the quadrature of the convolution
    s = 4000.0**2
    x = 2 * b.E[:, b.index("gamma_isr")] / b.sqrt_s
    bb = float(P.isr_b(s))
    x_max = 1 - 4 * 1900.0**2 / s

    def conv(t, power):
        xx = t ** (1 / bb)
        return xx**power * float(P.radiator_over_leading(xx, s, "kuraev-fadin") * P.born_sigma(s * (1 - xx), 1900.0))
    num = integrate.quad(lambda t: conv(t, 1), 0, x_max**bb, limit=400)[0]
    den = integrate.quad(lambda t: conv(t, 0), 0, x_max**bb, limit=400)[0]
    mean = np.average(x, weights=b.weight)
    err = math.sqrt(np.average((x - mean) ** 2, weights=b.weight) / keep.sum())
    # the 2.1 MeV spread shifts <x> by O((sigma_0/sqrt(s))^2): negligible here
    assert abs(mean - num / den) < 5 * err


def test_xsec_command(capsys):
    assert main(["xsec", "--process", "ee", "--sqrt-s", "4GeV", "--mass", "1.9GeV", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["sigma_pb"] == pytest.approx(2459.896, rel=1e-6) and d["sigma_err_pb"] == 0.0
    assert main(["xsec", "--process", "ee", "--sqrt-s", "4GeV", "--mass", "1.9GeV", "--isr",
                 "--spread", "2.1MeV", "--json", "--precision", "3e-3"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["isr"] == "kuraev-fadin" and 0 < d["sigma_err_pb"] < 0.004 * d["sigma_pb"]
    for bad, needle in ((["--mass", "2.1GeV"], "--mass"), (["--mass", "1GeV", "--spread", "-1"], "--spread")):
        assert main(["xsec", "--process", "ee", "--sqrt-s", "4GeV", *bad]) == 2
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1


def test_ee_run_with_the_tracker(tmp_path):
    """steering -> e+e- events -> tracker -> ROOT -> eps intervals (a region closed above
    for the ionisation signature: fast-enough MCPs at large eps stop or ionise too little)."""
    import csv

    import mcpgen
    from mcpgen.io.root import read_events

    text = """\
[run]
name = "stcf"
seed = 2
events = 2000
precision = 0.01

[physics]
process = "ee"
masses = [1499, 1510]

[[setup]]
label = "STCF"
source = "collider"
sqrt_s = "3 GeV"
luminosity = 100
energy_spread = "2.1 MeV"
detector = "stcf_tracker"
"""
    path = tmp_path / "stcf.toml"
    path.write_text(text)
    from mcpgen.errors import ConfigError

    with pytest.raises(ConfigError, match="kinematic limit"):   # 1510 MeV > (3 GeV + 5 x 2.1)/2
        mcpgen.run(path, tmp_path / "bad", workers=1, progress=False)
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())
    path.write_text(text.replace("[1499, 1510]", "[1499, 1500]"))
    res = mcpgen.run(path, tmp_path / "out", workers=1, progress=False)
    batch, meta = read_events(tmp_path / "out" / "STCF_m1499MeV.root")
    assert meta["weight_unit"] == "pb" and meta["exposure"] == 1e5
    assert "det_hit" in batch.collections and batch.det_eff_table.shape[1] == 51
    with open(tmp_path / "out" / "limits.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["m_chi_MeV"] == "1499.0"]
    lo = float(rows[0]["eps_low"])
    # the ionisation floor of the PSTAR stopping power: eps >= 3.26e-3 (validation/ionisation.py)
    assert 3.2e-3 < lo < 5e-3
    assert res.yields and all(p.weight_unit == "pb" for p in res.yields)
