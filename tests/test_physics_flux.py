"""Form factors and photon flux against independent quadrature and known limits."""

import math

import pytest
from scipy import integrate

from mcpgen.physics import formfactors as ff
from mcpgen.physics.formfactors import flux, g2

PB = (82, 207.2)
AL = (13, 26.9815385)


def test_tsai_parameters_match_physics_notes():
    # physics-notes: Pb a = 49999 GeV^-1, a' = 80146 GeV^-1, d = 0.004684 GeV^2;
    # Al a = 92382, a' = 273609, d = 0.01823 (quoted to 4-5 digits -> 2e-4 relative)
    for (Z, A), (a, ap, d) in [(PB, (49999, 80146, 0.004684)), (AL, (92382, 273609, 0.01823))]:
        a2, ap2, dd = ff.tsai_parameters(float(Z), float(A))
        assert math.sqrt(a2) * 1e3 == pytest.approx(a, rel=2e-4)
        assert math.sqrt(ap2) * 1e3 == pytest.approx(ap, rel=2e-4)
        assert dd / 1e6 == pytest.approx(d, rel=2e-4)


def test_elastic_form_factor_limits():
    Z, A = PB
    # intermediate t: 1/a^2 = 4e-4 MeV^2 << t = 1 MeV^2 << d = 4.7e3 MeV^2 -> Z^2 up to
    # corrections (1/(a^2 t))^2 + 2 t/d ~ 1.2e-3
    assert g2(1.0, Z, A, inelastic=False) / Z**2 == pytest.approx(1.0, abs=2e-3)
    # screening: t -> 0 gives (a^2 t)^2 -> 0; nuclear size: t -> inf gives (d/t)^2 -> 0
    assert g2(1e-10, Z, A, inelastic=False) / Z**2 < 1e-12
    assert g2(1e9, Z, A, inelastic=False) / Z**2 < 1e-9
    # inelastic part alone tends to Z at intermediate t (screening a'^-2 ~ 2.4e-4 MeV^2,
    # proton form-factor corrections ~ t/0.71 GeV^2): within 1e-3 at t = 100 MeV^2
    tot = g2(100.0, Z, A, inelastic=True) - g2(100.0, Z, A, inelastic=False)
    assert tot / Z == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("E0,m,ml", [(100e3, 1.0, 0.511), (100e3, 100.0, 105.66), (8e3, 300.0, 0.511),
                                     (160e3, 10.0, 105.66)])
@pytest.mark.parametrize("ZA", [PB, AL])
def test_flux_closed_and_numerical_against_quad(E0, m, ml, ZA):
    Z, A = ZA
    tmin, tmax = m**4 / (4 * E0**2), m**2 + ml**2

    def integrand(lt, inel):
        t = math.exp(lt)
        return (1 - tmin / t) * float(g2(t, Z, A, inelastic=inel))

    for inel in (False, True):
        ref, err = integrate.quad(integrand, math.log(tmin), math.log(tmax), args=(inel,),
                                  epsabs=0, epsrel=1e-11, limit=500)
        # scipy's estimate is ~1e-11; our 16-point panels are accurate to ~1e-10
        assert flux(tmin, tmax, Z, A, inelastic=inel) == pytest.approx(ref, rel=1e-9)
        if not inel:
            assert flux(tmin, tmax, Z, A, inelastic=False, method="closed") == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("m,expected", [(1, 6.82), (10, 11.39), (100, 12.23), (1000, 3.30)])
def test_flux_values_from_physics_notes(m, expected):
    # physics-notes sec. 1: chi_el/Z^2 for Pb at E0 = 100 GeV, t_max = m^2 (3-4 digits quoted)
    Z, A = PB
    chi = flux(m**4 / (4 * 1e10), m**2, Z, A, inelastic=False)
    assert chi / Z**2 == pytest.approx(expected, abs=0.006)


def test_flux_bad_method():
    with pytest.raises(ValueError):
        flux(1e-6, 1.0, 82, 207.2, method="simpson")
    with pytest.raises(ValueError):
        flux(1e-6, 1.0, 82, 207.2, inelastic=True, method="closed")
