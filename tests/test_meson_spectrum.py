"""The tabulated meson-spectrum source (mcpgen.sources.meson_spectrum) and the meson
channels fed by it: table validation, exact sampling of the bins, weights."""

import math

import numpy as np
import pytest
from scipy import stats

from mcpgen.errors import ConfigError
from mcpgen.physics.mesons import branching_fraction, line_shape_br, meson
from mcpgen.processes.meson_decay import ETA, PI0, RHO, MesonSettings
from mcpgen.sources.meson_spectrum import MesonSpectrumSource, read_table

HEADER = "meson,log10_p_lo,log10_p_hi,log10_theta_lo,log10_theta_hi,per_pot,stat_err"
ROWS = ["pi0,0.0,0.5,-3.0,-2.0,1.0,0.01", "pi0,0.5,1.0,-3.0,-2.0,2.0,0.02",
        "pi0,0.5,1.0,-2.0,-1.0,0.5,0.01", "rho0,1.0,1.5,-2.5,-2.0,0.25,0.005"]


def _write(tmp_path, lines, name="spec.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _source(tmp_path, lines=None):
    path = _write(tmp_path, ["# mcpgen meson spectrum table, format 1", "# model = toy",
                             HEADER, *(ROWS if lines is None else lines)])
    return MesonSpectrumSource(protons_on_target=1e19, spectrum=str(path), table=read_table(path))


def test_read_table(tmp_path):
    src = _source(tmp_path)
    t = src.table
    assert t.header["model"] == "toy" and t.variable == "p"
    assert set(t.species) == {"pi0", "rho(770)0"}   # the alias rho0 is resolved
    assert t.species["pi0"].total == pytest.approx(3.5)
    assert t.species["pi0"].total_err == pytest.approx(math.sqrt(0.01**2 + 0.02**2 + 0.01**2))
    assert src.exposure == 1e19


@pytest.mark.parametrize("lines, needle", [
    (["meson,p,theta,n"], "header row"),
    ([HEADER, "pi0,0,1,-3,-2"], "5 values, expected 7"),
    ([HEADER, "pi0,0,1,-3,-2,abc,0"], "non-numeric"),
    ([HEADER, "pi0,1,0,-3,-2,1,0"], "not increasing"),
    ([HEADER, "pi0,0,1,-3,-2,-1,0"], "negative"),
    ([HEADER, "kaon,0,1,-3,-2,1,0"], "unknown meson 'kaon'"),
    ([HEADER, "pi0,0,1,0.5,1,1,0"], r"log10\(pi\)"),
    ([HEADER, "pi0,0,1,-3,-2,nan,0"], "non-finite"),
    (["# only a comment"], "no header row or no bins"),
])
def test_malformed_tables(tmp_path, lines, needle):
    path = _write(tmp_path, lines)
    with pytest.raises(ConfigError, match=needle) as err:
        read_table(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    if len(lines) > 1:
        assert "line 2" in str(err.value)


def test_sampling_follows_the_bins(tmp_path):
    src = _source(tmp_path)
    u = np.random.default_rng(3).random((60000, 4))
    p4 = src.sample("pi0", meson("pi0").mass, u)
    p = np.linalg.norm(p4[:, 1:], axis=1) / 1000.0
    theta = np.arccos(p4[:, 3] / np.linalg.norm(p4[:, 1:], axis=1))
    lp, lt = np.log10(p), np.log10(theta)
    counts = [np.sum((lp < 0.5) & (lt < -2)), np.sum((lp >= 0.5) & (lt < -2)),
              np.sum((lp >= 0.5) & (lt >= -2))]
    assert sum(counts) == len(u) and lp.min() >= 0 and lp.max() <= 1
    # chi^2 of the bin contents against per_pot (2 dof; p > 1e-4 for a correct sampler)
    assert stats.chisquare(counts, np.array([1.0, 2.0, 0.5]) / 3.5 * len(u)).pvalue > 1e-4
    # uniform in log10 p inside a bin
    inside = (lp >= 0.5) & (lt < -2)
    assert stats.kstest((lp[inside] - 0.5) / 0.5, "uniform").pvalue > 1e-3
    assert np.allclose(p4[:, 0] ** 2 - (p4[:, 1:] ** 2).sum(1), meson("pi0").mass ** 2, rtol=1e-6)


def test_energy_tables(tmp_path):
    lines = ["meson,log10_E_lo,log10_E_hi,log10_theta_lo,log10_theta_hi,per_pot",
             "eta,0.5,1.0,-3,-2,1.0"]
    src = MesonSpectrumSource(protons_on_target=1.0, spectrum="x",
                              table=read_table(_write(tmp_path, lines)))
    p4 = src.sample("eta", meson("eta").mass, np.random.default_rng(1).random((1000, 4)))
    E = p4[:, 0] / 1000
    assert src.table.variable == "E" and E.min() >= 10**0.5 and E.max() <= 10.0


def test_channel_weights_are_mesons_times_br(tmp_path):
    src = _source(tmp_path)
    pi = PI0.build(src, 20.0, MesonSettings(), seed=1)
    xs = pi.integrate(1e-3, 10)
    assert xs.sigma == pytest.approx(3.5 * branching_fraction(meson("pi0"), 20.0), rel=1e-14)
    b = pi.block(0, 1000, 2000, False)
    assert np.allclose(b.weight, xs.sigma / 2000)
    assert b.names == ("P", "gamma", "gamma*", "chi", "chibar") and pi.weight_unit == "per POT"
    rho = RHO.build(src, 300.0, MesonSettings(), seed=1)
    assert rho.integrate(1e-3, 10).sigma == pytest.approx(0.25 * line_shape_br(meson("rho"), 300.0))
    # same seed and block: identical events
    assert np.array_equal(pi.block(3, 100, 100, False).E, pi.block(3, 100, 100, False).E)
    with pytest.raises(ConfigError, match="has no eta"):
        ETA.build(src, 20.0, MesonSettings(), seed=1)


def _rest(p, q):
    m = np.sqrt(np.maximum(q[:, 0] ** 2 - (q[:, 1:] ** 2).sum(1), 0.0))
    b = q[:, 1:] / q[:, [0]]
    b2 = (b * b).sum(1)
    g = q[:, 0] / m
    return p[:, 1:] + (((g - 1) * (b * p[:, 1:]).sum(1) / b2) - g * p[:, 0])[:, None] * b


@pytest.mark.parametrize("cls, m_chi", [(RHO, 300.0), (PI0, 20.0)])
def test_spectrum_events_kinematics(tmp_path, cls, m_chi):
    """The one-pass kernels: on-shell chi, conservation, isotropic unpolarised V decays,
    the V mass from the line shape, the fixed slots."""
    src = _source(tmp_path)
    proc = cls.build(src, m_chi, MesonSettings(), seed=9)
    proc.integrate(1e-3, 1)
    b = proc.block(0, 20000, 20000, False)
    vec = lambda lab: np.stack([getattr(b, c)[:, b.index(lab)] for c in ("E", "px", "py", "pz")], 1)  # noqa
    parent = vec("V" if cls is RHO else "P")
    chi, bar = vec("chi"), vec("chibar")
    m = lambda v: np.sqrt(np.maximum(v[:, 0] ** 2 - (v[:, 1:] ** 2).sum(1), 0.0))  # noqa
    assert np.allclose(m(chi), m_chi, rtol=1e-6) and np.allclose(m(bar), m_chi, rtol=1e-6)
    assert np.all(b.pdgid[:, b.index("chi")] == 9000011) and np.all(b.status[:, 0] == 2)
    if cls is RHO:
        assert np.allclose(chi + bar, parent, rtol=1e-12, atol=1e-8)
        assert np.allclose(b.mass[:, 0], m(parent), rtol=1e-8)
        q = _rest(chi, parent)
        c = q[:, 2] / np.linalg.norm(q, axis=1)
        assert stats.kstest(c, lambda x: (x + 1) / 2).pvalue > 1e-3
        x, cdf, _ = proc.line_shape
        assert stats.kstest(b.mass[:, 0], lambda v: np.interp(v, x, cdf)).pvalue > 1e-3
    else:
        assert np.allclose(vec("gamma") + chi + bar, parent, rtol=1e-12, atol=1e-8)
        assert np.allclose(b.mass[:, 2], m(vec("gamma*")), rtol=1e-6)
