"""Energy loss of slow MCPs (issue 8, items 2 and 4): mcpgen.physics.ionisation.

Each physics test compares with an independent calculation: the PDG Bethe formula
written out here from the review, the Sternheimer limits from the plasma energy, the
PSTAR nodes of physics-notes sec. 3, the Lindhard-Scharff ratio quoted there, scipy
quadrature of the PDG delta-ray spectrum, a KS test of the sampled delta energies with
a fixed seed, and the continuous-slowing-down range by quadrature for the stepper.
"""

import math

import numpy as np
import pytest
from hepunits import MeV, cm, eV, g, keV, m as metre, mm
from scipy import stats
from scipy.integrate import quad

from mcpgen.physics import delta_rays as dr
from mcpgen.physics import ionisation as io

U = io.MASS_STOPPING_UNIT
M_MU = 105.6583755 * MeV
M_P = 938.272089 * MeV
M_CHI = 1500.0 * MeV
PSTAR = np.array(io.PSTAR_PROPANE)


# ------------------------------------------------------------------ Bethe-Bloch
def _pdg_bethe(bg, M, Z_over_A, I, Cbar, x0, x1, a, k, delta0=0.0):
    """PDG review eqs. 34.4, 34.5, 34.7 written out independently (MeV cm^2/g, eps = 1)."""
    me, K = 0.51099895, 0.307075
    gamma = math.sqrt(1.0 + bg * bg)
    beta = bg / gamma
    wmax = 2 * me * bg**2 / (1 + 2 * gamma * me / M + (me / M) ** 2)
    x = math.log10(bg)
    if x >= x1:
        delta = 2 * math.log(10) * x - Cbar
    elif x >= x0:
        delta = 2 * math.log(10) * x - Cbar + a * (x1 - x) ** k
    else:
        delta = delta0 * 10 ** (2 * (x - x0))
    return K * Z_over_A / beta**2 * (0.5 * math.log(2 * me * bg**2 * wmax / I**2)
                                     - beta**2 - delta / 2)


def test_bethe_bloch_muon_propane_bg3():
    """Muon in propane at beta gamma = 3 against the formula written out above: the same
    formula, so the tolerance is rounding (1e-12)."""
    bg = 3.0
    beta = bg / math.sqrt(1 + bg * bg)
    ref = _pdg_bethe(bg, 105.6583755, 0.58961, 47.1e-6, 8.7878, 1.4326, 3.7998, 0.09916, 3.592)
    got = float(io.bethe_bloch(beta, M_MU, 1.0, "propane") / U)
    assert got == pytest.approx(ref, rel=1e-12)
    assert got == pytest.approx(2.2666, abs=1e-3)  # hand evaluation of the same numbers


def test_bethe_bloch_minimum_ionisation_propane():
    """Minimum of the muon curve: PDG Atomic and Nuclear Properties lists
    <-dE/dx>_min = 2.261 MeV cm^2/g for propane; we allow 0.2 % (its 4 digits, and the
    spin-1/2 and radiative terms it includes and we omit are < 1e-4 here)."""
    bg = np.logspace(0.2, 0.8, 601)
    s = io.bethe_bloch(bg / np.sqrt(1 + bg**2), M_MU, 1.0, "propane") / U
    assert s.min() == pytest.approx(2.261, rel=2e-3)
    assert 3.0 < bg[s.argmin()] < 4.0


@pytest.mark.parametrize("name", list(io.MATERIALS))
def test_density_effect_limits(name):
    """Sternheimer delta: continuous at x1; delta(x0) = delta0 (conductors) or 0 (gases) to
    the 4 digits of the table; high-energy limit 2 ln(beta gamma) + 2 ln(hbar w_p/I) - 1
    with hbar w_p = 28.816 sqrt(rho <Z/A>) eV (PDG eq. 34.6), i.e. Cbar = 2 ln(I/hbar w_p) + 1
    (the table's 4-5 digits: 2e-3)."""
    m = io.get_material(name)
    d = lambda x: float(io.density_effect(10.0**x, m))  # noqa: E731
    assert d(m.x1 - 1e-9) == pytest.approx(d(m.x1 + 1e-9), abs=1e-6)
    assert d(m.x0 + 1e-12) == pytest.approx(m.delta0, abs=2e-3)
    assert d(m.x0 - 1e-12) == pytest.approx(m.delta0, abs=1e-9)
    hw = 28.816e-6 * math.sqrt(m.density_g_cm3 * m.Z_over_A)  # MeV
    bg = 1e4
    limit = 2 * math.log(bg) + 2 * math.log(hw / (m.I / MeV)) - 1
    assert d(math.log10(bg)) == pytest.approx(limit, abs=2e-3)
    if m.delta0 == 0.0:
        assert d(m.x0 - 0.5) == 0.0


def test_bethe_bloch_eps_squared_and_mass():
    beta = np.array([0.1, 0.5, 0.9])
    s1 = io.bethe_bloch(beta, M_CHI, 1.0)
    np.testing.assert_allclose(io.bethe_bloch(beta, M_CHI, 3e-3), 9e-6 * s1, rtol=1e-14)
    # W_max: for a light chi it is smaller, so is the stopping
    assert np.all(io.bethe_bloch(beta, 1.0 * MeV) < s1)


# ------------------------------------------------------------------ low velocity
def test_pstar_nodes_reproduced():
    """Both the wrapper and the combined kernel give the PSTAR nodes at equal velocity."""
    beta = io.beta_from_T(PSTAR[:, 0] * keV, M_P)
    np.testing.assert_allclose(io.pstar_stopping(beta) / U, PSTAR[:, 1], rtol=1e-12)
    np.testing.assert_allclose(io.electronic_stopping(beta * (1 + 1e-13), M_CHI) / U,
                               PSTAR[:, 1], rtol=1e-9)
    assert np.isnan(io.pstar_stopping(0.5 * beta[0]))
    assert np.isnan(io.pstar_stopping(beta[0], material="aluminium"))


def test_lindhard_scharff_vs_pstar():
    """LS for propane: 1.737e5 beta MeV cm^2/g and 1.16 x PSTAR at T_p <= 10 keV
    (physics-notes sec. 3; 1 % covers the quoted digits)."""
    assert io.get_material("propane").lindhard_scharff_coefficient == pytest.approx(1.737e5,
                                                                                    rel=1e-3)
    low = PSTAR[PSTAR[:, 0] <= 10.0]
    ratio = io.lindhard_scharff(io.beta_from_T(low[:, 0] * keV, M_P)) / U / low[:, 1]
    np.testing.assert_allclose(ratio, 1.16, rtol=1e-2)


def test_joins_continuous():
    """S_e is continuous at the PSTAR ends (1 keV and 2 MeV proton velocity); the raw
    jumps of pure LS (+16 %) and pure Bethe-Bloch (+2 %) are what the joins remove."""
    par = io.get_material("propane").kernel_data[0]
    for b in (par[io._BLO], par[io._BHI]):
        lo, hi = io.electronic_stopping(np.array([b * (1 - 1e-10), b * (1 + 1e-10)]), M_CHI) / U
        assert hi == pytest.approx(lo, rel=1e-8)
    bl, bh = par[io._BLO], par[io._BHI]
    assert float(io.lindhard_scharff(bl) / U) / 218.3 == pytest.approx(1.162, abs=2e-3)
    assert 1.0 < float(io.bethe_bloch(bh, M_P) / U) / 189.0 < 1.03


def test_combined_tends_to_bethe():
    """Far above the join the fading correction vanishes (< 1e-3 at beta gamma = 1)."""
    beta = np.array([1 / math.sqrt(2), 0.95, 0.99])
    np.testing.assert_allclose(io.electronic_stopping(beta, M_MU), io.bethe_bloch(beta, M_MU),
                               rtol=1e-3)
    for name in ("beryllium", "aluminium", "graphite"):  # power-mean recipe
        b = np.array([0.3, 0.9])
        np.testing.assert_allclose(io.electronic_stopping(b, M_MU, material=name),
                                   io.bethe_bloch(b, M_MU, material=name), rtol=3e-4)


def test_interpolation_recipe_against_pstar():
    """The recipe used for materials without PSTAR data, applied to propane, stays within
    -7 % ... +16 % of the PSTAR nodes (the calibration quoted in the module docstring)."""
    beta = io.beta_from_T(PSTAR[:, 0] * keV, M_P)
    r = io.interpolated_stopping(beta, M_CHI) / U / PSTAR[:, 1]
    assert 0.93 < r.min() and r.max() < 1.16


def test_stopping_eps_squared_and_lowest_velocity():
    beta = np.logspace(-3, -0.05, 40)
    for name in io.MATERIALS:
        s = io.electronic_stopping(beta, M_CHI, 1.0, name)
        assert np.all(s > 0) and np.all(np.isfinite(s))
        np.testing.assert_allclose(io.electronic_stopping(beta, M_CHI, 2e-3, name), 4e-6 * s,
                                   rtol=1e-14)
    # velocity-proportional below the table
    b = np.array([1e-4, 5e-4, 1e-3])
    s = io.electronic_stopping(b, M_CHI) / U
    np.testing.assert_allclose(s / b, s[0] / b[0], rtol=1e-12)


# ------------------------------------------------------------------ range and stepping
@pytest.mark.parametrize("name,nuclear", [("propane", False), ("propane", True),
                                          ("beryllium", False), ("aluminium", True)])
def test_stepper_range_against_csda(name, nuclear):
    """Stopping depth of the stepper (f = 0.02) against the CSDA quadrature: the midpoint
    rule's global error is O(f^2) ~ 4e-4; we see <= 1e-4, tolerance 1e-3."""
    eps = 3e-3
    beta0 = np.array([5e-4, 2e-3, 5e-3, 1e-2, 3e-2])
    T = io.T_from_beta(beta0, M_CHI)
    R = io.csda_range(T, M_CHI, eps, name, nuclear=nuclear)
    T_out, x, stopped = io.transport_slab(T, M_CHI, eps, 1e15 * mm, name, nuclear=nuclear)
    assert stopped.all() and np.all(T_out == 0.0)
    np.testing.assert_allclose(x, R, rtol=1e-3)


def test_stepper_partial_slab():
    """A chi that crosses: R(T0) - R(T_exit) = L (CSDA), 1e-3 as above; and the energy-loss
    per step bound makes the result stable against f."""
    eps, L = 3e-3, 1.0 * metre
    T = io.T_from_beta(np.array([4e-3, 1e-2, 3e-2]), M_CHI)
    T_out, x, stopped = io.transport_slab(T, M_CHI, eps, L)
    assert not stopped.any() and np.all(x == L)
    dR = io.csda_range(T, M_CHI, eps) - io.csda_range(T_out, M_CHI, eps)
    np.testing.assert_allclose(dR, L, rtol=1e-3)
    T_fine, _, _ = io.transport_slab(T, M_CHI, eps, L, max_step_fraction=0.005)
    np.testing.assert_allclose(T_out, T_fine, rtol=1e-3)


def test_range_eps_scaling_and_ls_limit():
    """Electronic range ~ 1/eps^2; below the PSTAR table S = c beta gives the closed form
    R = M beta0 / (rho eps^2 c) (non-relativistic, gamma^3 = 1 + O(1e-6))."""
    T = io.T_from_beta(np.array([1e-3, 1e-2]), M_CHI)
    r1 = io.csda_range(T, M_CHI, 1.0)
    np.testing.assert_allclose(io.csda_range(T, M_CHI, 1e-2), 1e4 * r1, rtol=1e-9)
    m = io.get_material("propane")
    c = 218.3 / m.kernel_data[0][io._BLO] * U  # S/beta below the table
    b0 = 1e-3
    analytic = M_CHI * b0 / (m.density * c)
    assert float(r1[0]) == pytest.approx(analytic, rel=1e-5)
    # the same chi in eps-scaled slabs: identical exit energy
    a = io.transport_slab(T, M_CHI, 1e-2, 1e4 * 0.3 * r1)[0]
    b = io.transport_slab(T, M_CHI, 1.0, 0.3 * r1)[0]
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_transport_bad_input():
    with pytest.raises(ValueError, match="max_step_fraction"):
        io.transport_slab(1 * keV, M_CHI, 1e-3, 1 * mm, max_step_fraction=0.5)
    with pytest.raises(ValueError, match="unknown stopping material 'xenon'"):
        io.electronic_stopping(0.01, M_CHI, material="xenon")
    T, x, stopped = io.transport_slab(0.0, M_CHI, 1e-3, 1 * mm)
    assert stopped and x == 0.0


# ------------------------------------------------------------------ delta electrons
def _pdg_delta(Te, T_chi, M, Z_over_A, rho):
    """PDG review eq. 34.10 with the spin-1/2 term, 1/(MeV cm), eps = 1, written out."""
    me, K = 0.51099895, 0.307075
    E = T_chi + M
    gamma = E / M
    beta2 = 1 - 1 / gamma**2
    wmax = 2 * me * beta2 * gamma**2 / (1 + 2 * gamma * me / M + (me / M) ** 2)
    F = 1 - beta2 * Te / wmax + Te**2 / (2 * E**2)
    return 0.5 * K * Z_over_A * rho / beta2 * F / Te**2, wmax


@pytest.mark.parametrize("T_chi,M", [(5.0, 1500.0), (0.9, 1500.0), (2000.0, 105.66),
                                     (50.0, 10.0)])
def test_delta_mean_number_against_quad(T_chi, M):
    """Closed-form count (chi_e_scattering window integral, built from alpha, m_e, hbar c)
    against scipy quad of the PDG spectrum (built from K = 0.307075, rounded to 6 digits:
    the exact 4 pi N_A r_e^2 m_e is 2.4e-7 lower); tolerance 1e-6."""
    m = io.get_material("propane")
    T_min = 1e-3
    _, wmax = _pdg_delta(T_min, T_chi, M, m.Z_over_A, m.density_g_cm3)
    assert wmax > T_min
    ref = quad(lambda t: _pdg_delta(t, T_chi, M, m.Z_over_A, m.density_g_cm3)[0], T_min, wmax,
               epsrel=1e-12, limit=200)[0]  # per cm
    got = float(dr.delta_ray_mean_number(T_min * MeV, T_chi * MeV, M * MeV, 1.0) * cm)
    assert got == pytest.approx(ref, rel=1e-6)
    t = 0.5 * (T_min + wmax)
    spec = float(dr.delta_ray_spectrum(t * MeV, T_chi * MeV, M * MeV) * MeV * cm)
    assert spec == pytest.approx(_pdg_delta(t, T_chi, M, m.Z_over_A, m.density_g_cm3)[0],
                                 rel=1e-12)
    assert float(dr.delta_ray_spectrum(1.001 * wmax * MeV, T_chi * MeV, M * MeV)) == 0.0
    # eps^2
    assert float(dr.delta_ray_mean_number(T_min * MeV, T_chi * MeV, M * MeV, 0.01) * cm) == \
        pytest.approx(1e-4 * got, rel=1e-14)


def test_delta_threshold_velocity():
    """No delta electron above T_min once W_max = 2 m_e beta^2 gamma^2 < T_min
    (beta gamma < 0.03128 for T_min = 1 keV): the seed's beta > 3e-2."""
    bg_star = math.sqrt(1e-3 / (2 * 0.51099895))
    T_lo = io.T_from_beta(0.999 * bg_star / math.sqrt(1 + bg_star**2), M_CHI)
    T_hi = io.T_from_beta(1.001 * bg_star / math.sqrt(1 + bg_star**2), M_CHI)
    assert float(dr.delta_ray_mean_number(1 * keV, T_lo, M_CHI, 0.1)) == 0.0
    assert float(dr.delta_ray_mean_number(1 * keV, T_hi, M_CHI, 0.1)) > 0.0


def test_delta_sampling_ks():
    """Sampled T against the exact CDF (closed-form ratio), KS with a fixed seed; one
    uniform per electron.  A correct sampler fails with probability 1e-3."""
    rng = np.random.default_rng(20240508)
    T_chi, T_min = 3.0 * MeV, 1.0 * keV
    n = 20000
    Ts = dr.sample_delta_ray_T(n, T_chi, M_CHI, T_min, rng)
    total = float(dr.delta_ray_mean_number(T_min, T_chi, M_CHI))

    def cdf(t):
        return dr.delta_ray_mean_number(T_min, T_chi, M_CHI, T_max=np.maximum(t, T_min)) / total

    assert stats.kstest(Ts, cdf).pvalue > 1e-3
    # the same draws as rng.random(n), in order
    u = np.random.default_rng(20240508).random(n)
    np.testing.assert_array_equal(dr.delta_ray_T_from_uniform(u, T_chi, M_CHI, T_min), Ts)
    assert Ts.min() >= T_min and Ts.max() <= io.w_max_kernel(
        io.beta_from_T_kernel(T_chi / MeV, M_CHI / MeV), M_CHI / MeV) * MeV * (1 + 1e-12)


# ------------------------------------------------------------------ seed 004
def test_seed004_eq6_reproduced():
    """Seed 004 eq. (6): 25 eV/cm at eps = 1.8e-3, beta = 1e-2 with its propane (I = 11 eV,
    rho = 1.864e-3 g/cm^3, Z = 26, A = 44) and eq. (4)-(5); the seed rounds 24.4 to 25."""
    v = float(io.seed004_dedx(1e-2, 1.8e-3, M_CHI) / (eV / cm))
    assert v == pytest.approx(24.4, abs=0.1)
    # eq. (6)'s scaling eps^2 / beta^2 holds up to the logarithm
    v2 = float(io.seed004_dedx(2e-2, 3.6e-3, M_CHI) / (eV / cm))
    # (the argument 2 m_e beta^2 T_max/I^2 grows as beta^4)
    assert v2 / v == pytest.approx(1 + math.log(16) / math.log(86.3), rel=1e-3)


def test_ionisation_per_length_seed_point():
    """Our model at the seed point: PSTAR at T_p = 46.9 keV, 1191 MeV cm^2/g x rho x eps^2."""
    v = float(io.ionisation_per_length(1e-2, M_CHI, 1.8e-3) / (eV / cm))
    assert v == pytest.approx(1191.2 * 1.879e-3 * 1.8e-3**2 * 1e6, rel=1e-3)


def test_materials_table():
    for m in io.MATERIALS.values():
        Z = sum(n * z for z, _, n in m.composition)
        A = sum(n * a for _, a, n in m.composition)
        assert m.Z_over_A == pytest.approx(Z / A, rel=1e-4)
        assert m.source and m.description
    assert io.get_material("propane").density == pytest.approx(1.879e-3 * g / cm**3)


def test_sternheimer_parameters_against_geant4(tmp_path):
    """The density-effect parameters of every medium equal Geant4's compiled
    G4DensityEffectData (Sternheimer et al. 1984) to 1e-3 (the tables' printed digits),
    when geant4-pybind is installed (validation/sternheimer_geant4.py; no Geant4 data set
    needed)."""
    import importlib.util
    import os
    import subprocess
    import sys
    from pathlib import Path

    if importlib.util.find_spec("geant4_pybind") is None:
        pytest.skip("geant4-pybind is not installed")
    script = Path(__file__).resolve().parents[1] / "validation" / "sternheimer_geant4.py"
    env = {**os.environ, "GEANT4_DATA_DIR": str(tmp_path)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(script.parents[1]),
                                                       env.get("PYTHONPATH")]))
    r = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "largest relative difference" in r.stdout
