"""Beam-degradation kernels (mcpgen.physics.beam_degradation) against independent
calculations: Tsai's I(E0, E, s) = [ln(E0/E)]^(b s - 1) / (E0 Gamma(b s)), b = 4/3
(Tsai, Rev. Mod. Phys. 46 (1974) 815) through scipy.stats.gamma, scipy.special.gammainc
and scipy quadrature; the muon mean-dE/dx source through scipy.stats.uniform."""

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from mcpgen.generators import brem_kernels as K
from mcpgen.physics import beam_degradation as bd

E0 = 100e3                      # MeV
B = 4.0 / 3.0
S_VALUES = (0.01, 0.3, 0.75, 1.0, 2.5, 10.0)   # depths in X0: b s below and above 1
X_MIN = (0.1, 0.5, 0.9)


def tsai_I(E, E0, s, b=B):
    """Independent transcription of Tsai's I(E0, E, s) with scipy.special.gamma."""
    return np.log(E0 / E) ** (b * s - 1.0) / (E0 * special.gamma(b * s))


def test_b_is_four_thirds():
    assert bd.B_TSAI == 4.0 / 3.0 and K.B_TSAI == bd.B_TSAI


@pytest.mark.parametrize("s", S_VALUES)
def test_tsai_density_is_a_gamma_density_in_log_energy(s):
    """I(E0, E, s) dE = Gamma(b s, 1) density of u = ln(E0/E) du (dE = E du).
    rtol 1e-12: both sides are double-precision evaluations of the same closed form
    (math.lgamma and a log of a log against scipy's gamma pdf); 1e-12 allows ~5000
    ulps, far above their rounding, far below any error in the formula."""
    E = E0 * np.exp(-np.linspace(1e-3, 5.0, 101))
    ref = stats.gamma(a=B * s).pdf(np.log(E0 / E)) / E
    np.testing.assert_allclose(bd.tsai_energy_density(E, E0, s), ref, rtol=1e-12)
    np.testing.assert_allclose(bd.tsai_energy_density(E, E0, s), tsai_I(E, E0, s), rtol=1e-12)
    # outside (0, E0) and at the target face the density is 0
    assert bd.tsai_density_kernel(E0, 1.01 * E0, s, B) == 0.0
    assert bd.tsai_density_kernel(E0, 0.5 * E0, 0.0, B) == 0.0


@pytest.mark.parametrize("s", (1.0, 2.5, 10.0))
def test_tsai_density_normalised_above_threshold(s):
    """Quadrature of I over E in [x_min E0, E0] equals the regularised incomplete gamma
    P(b s, ln(1/x_min)).  Only b s >= 1 (I finite at E0, so plain quad converges);
    rtol 1e-8: quad's requested accuracy is 1e-11 and its error estimate is checked."""
    for x in X_MIN:
        val, err = integrate.quad(lambda E: bd.tsai_density_kernel(E0, E, s, B), x * E0, E0,
                                  epsabs=0.0, epsrel=1e-11, limit=200)
        assert err < 1e-9 * val
        assert val == pytest.approx(special.gammainc(B * s, -math.log(x)), rel=1e-8)


@pytest.mark.parametrize("s", S_VALUES)
@pytest.mark.parametrize("x_min", X_MIN)
def test_sampled_energies_reproduce_tsai_moments(s, x_min):
    """The sampler's change of variables is exact: for h(E) = (E/E0)^k,
    Integral_0^1 w(y) h(E(y)) dy = Integral_{x_min E0}^{E0} I h dE
    = (k+1)^(-b s) P(b s, (k+1) ln(1/x_min)) (substituting u = ln(E0/E)).
    The left side by scipy quadrature over y of the kernels, the right side analytic
    (scipy.special.gammainc).  rtol 1e-9: quad at epsrel 1e-12 on an integrand that is
    smooth on (0, 1) (its derivative is singular at y = 0 for b s > 1, which quad's
    endpoint rule tolerates), a margin of 1e3 over the requested accuracy."""
    U = -math.log(x_min)
    lnU = math.log(U)
    bs = B * s

    def lhs(k):
        def f(y):
            E, w = bd.tsai_energy_kernel(E0, bs, U, lnU, y)
            return w * (E / E0) ** k
        return integrate.quad(f, 0.0, 1.0, epsabs=0.0, epsrel=1e-12, limit=400)[0]

    for k in (0, 1, 2):
        ref = (k + 1.0) ** (-bs) * special.gammainc(bs, (k + 1.0) * U)
        assert lhs(k) == pytest.approx(ref, rel=1e-9)
    # every sampled energy passes the generator threshold
    E, _ = bd.sample_tsai_energy(np.linspace(0.0, 1.0, 1001)[:-1], E0, s, x_min)
    assert E.min() >= x_min * E0 * (1.0 - 1e-15) and E.max() <= E0


def test_sampled_energy_distribution_against_scipy_gamma():
    """MC as the sampler uses it: weighted histogram of u = ln(E0/E) from fixed-seed
    uniforms vs bin probabilities of scipy.stats.gamma(b s); chi^2 with the per-bin
    variance sum(w^2) - (sum w)^2/n.  Fixed seed: deterministic; a correct sampler
    fails with probability 1e-3."""
    s, x_min = 0.6, 0.3
    U = -math.log(x_min)
    n = 200_000
    y = np.random.default_rng(2024).random(n)
    E, w = bd.sample_tsai_energy(y, E0, s, x_min)
    u = np.log(E0 / E)
    edges = np.linspace(0.0, U, 13)
    idx = np.clip(np.digitize(u, edges) - 1, 0, len(edges) - 2)
    h = np.bincount(idx, weights=w, minlength=12) / n
    h2 = np.bincount(idx, weights=w * w, minlength=12) / n
    var = (h2 - h * h) / n
    ref = np.diff(stats.gamma(a=B * s).cdf(edges))
    chi2 = np.sum((h - ref) ** 2 / var)
    assert stats.chi2.sf(chi2, len(ref)) > 1e-3


def test_target_face_is_undegraded():
    """At s = 0 the beam keeps its energy with weight 1 (exactly)."""
    U = -math.log(0.5)
    for y in (0.0, 0.3, 0.999):
        assert bd.tsai_energy_kernel(E0, 0.0, U, math.log(U), y) == (E0, 1.0)


def test_depth_averaged_survival_probability():
    """Source as the brem sampler uses it: z = L y0, s = z/X0, E from y1.  The mean
    weight over (y0, y1) is (1/L) Integral_0^L P(b z/X0, ln(1/x_min)) dz, the fraction of
    the target length over which the beam still has E >= x_min E0 (effective length /
    L), by scipy quadrature of gammainc.  Tolerance 5 standard deviations of the MC mean
    (fixed seed)."""
    L, X0, x_min = 40.0, 5.6, 0.5       # mm (Pb: X0 = 5.6 mm), NA64e-like 40 X0 target
    U = -math.log(x_min)
    n = 400_000
    y0, y1 = np.random.default_rng(7).random((2, n))
    z = np.array([bd.uniform_depth_kernel(L, a) for a in y0[:10]])
    np.testing.assert_array_equal(z, L * y0[:10])
    _, w = bd.sample_tsai_energy(y1, E0, L * y0 / X0, x_min)
    ref = integrate.quad(lambda zz: special.gammainc(B * zz / X0, U) if zz > 0 else 1.0,
                         0.0, L, limit=200)[0] / L
    assert abs(w.mean() - ref) < 5 * w.std() / math.sqrt(n)
    # of order X0 / L (seed 001: L_eff ~ X0)
    assert 0.2 < ref * L / X0 < 1.5


def test_muon_depth_uniform_and_mean_energy():
    """Muons: z = L y uniform in [0, L) (KS test against scipy.stats.uniform, fixed seed,
    fails with probability 1e-3 if wrong) and E = E0 - <dE/dx> z.  The mean energy
    over the target by quadrature of the kernels over y equals E0 - <dE/dx> L/2 to
    rounding (rtol 1e-12: a linear integrand, quad is exact up to rounding)."""
    L, dedx, E = 2000.0, 1.27, 160e3     # mm, MeV/mm (mean loss of a muon in Pb), MeV
    y = np.random.default_rng(3).random(50_000)
    z = np.array([bd.uniform_depth_kernel(L, a) for a in y])
    assert stats.kstest(z, stats.uniform(0.0, L).cdf).pvalue > 1e-3
    mean = integrate.quad(
        lambda a: bd.muon_energy_at_depth_kernel(E, dedx, bd.uniform_depth_kernel(L, a)), 0, 1)[0]
    assert mean == pytest.approx(E - dedx * L / 2, rel=1e-12)
    np.testing.assert_array_equal(bd.muon_energy_at_depth(z, E, dedx), E - dedx * z)
    assert bd.muon_energy_at_depth_kernel(E, 0.0, 123.0) == E


def test_brem_source_uses_these_kernels():
    """The sampler's source (brem_kernels._source) is exactly the kernels of this module."""
    from mcpgen.generators.brem import BremSetup
    from mcpgen.sources.materials import get_material

    pb = get_material("Pb")
    for beam, kw in (("e-", {}), ("e-", {"electron_length": "x0"}),
                     ("mu-", {"muon_energy_loss": True})):
        s = BremSetup(beam=beam, energy=E0, material=pb, m_chi=10.0, x_min=0.5, method="ww",
                      source="target", length=40 * pb.X0, **kw)
        c = K._consts(s.parameters())
        for y0, y1 in ((0.0, 0.5), (0.3, 0.1), (0.9, 0.99)):
            z, E, w = K._source(y0, y1, c)
            if beam == "mu-":
                zz = bd.uniform_depth_kernel(40 * pb.X0, y0)
                assert (z, E, w) == (zz, bd.muon_energy_at_depth_kernel(E0, pb.dEdx, zz), 1.0)
            elif kw:
                assert (z, E, w) == (bd.uniform_depth_kernel(pb.X0, y0), E0, pb.X0 / (40 * pb.X0))
            else:
                zz = bd.uniform_depth_kernel(40 * pb.X0, y0)
                U = -math.log(0.5)
                ref = bd.tsai_energy_kernel(E0, bd.B_TSAI * zz / pb.X0, U, math.log(U), y1)
                assert (z, E, w) == (zz, *ref)
