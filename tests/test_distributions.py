"""Differential distributions (mcpgen.analysis.distributions): normalisation against the
file metadata, angular shapes against the analytic densities, the x shape against the
project's analytic d sigma/dx, and the figure files (formats, atomicity, bad input).

Small runs (one mass, a few thousand events) shared by a module fixture.  Shape tests
are chi-square tests conditional on the per-event weights and velocities: the angle of
an event is drawn after its weight (and, for the decays, its parent mass) is fixed, so
the expected content of bin b is E_b = sum_i w_i p_ib with p_ib the probability of the
bin under the analytic density at the event's beta, and the variance sum_i w_i^2 p_ib
(Pearson's statistic for weighted events, k - 1 degrees of freedom).  Fixed seeds: the
p-values are deterministic; the threshold 1e-3 is the test's size.
"""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mcpgen import api
from mcpgen.analysis import distributions as D
from mcpgen.errors import ConfigError
from mcpgen.io.root import read_events

from _framework_cases import LDMX_SETUP, NA64MU_SETUP

P_MIN = 1e-3   # chi-square p-value threshold (size of each shape test)

LIMITS = """
[limits]
cl = 0.95
method = "poisson"
background = 0.0
observed = -1
"""
STEERINGS = {
    "na64mu": """
[run]
name = "dist_na64mu"
seed = 11
events = 600
[physics]
process = "brem"
method = "etl"
eps = 1.0
masses = ["100 MeV"]
[[setup]]
label = "NA64mu"
""" + NA64MU_SETUP,
    "ee": """
[run]
name = "dist_ee"
seed = 12
events = 8000
[physics]
process = "ee"
eps = 1.0
masses = ["500 MeV"]
[[setup]]
label = "ee no ISR"
source = "collider"
sqrt_s = "3 GeV"
luminosity = 100
energy_spread = "2.1 MeV"
isr = "none"
detector = "stcf_tracker"
""",
    "ldmx": """
[run]
name = "dist_ldmx"
seed = 13
events = 3000
[physics]
process = ["omega"]
eps = 1.0
masses = ["10 MeV"]
[[setup]]
""" + LDMX_SETUP + """electron_length = "tsai"
""",
    "ship": """
[run]
name = "dist_ship"
seed = 14
events = 3000
[physics]
process = ["pi0", "rho"]
eps = 1.0
masses = ["10 MeV"]
[[setup]]
label = "SHiP"
source = "meson-spectrum"
spectrum = "pythia8_400GeV"
protons_on_target = 2e20
detector = "ship_scatter"
""",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """{name: [ROOT files]} of the four small runs."""
    base = tmp_path_factory.mktemp("dist")
    out = {}
    for name, text in STEERINGS.items():
        path = base / f"{name}.toml"
        path.write_text(text + LIMITS, encoding="utf-8")
        res = api.run(path, base / name, workers=1, progress=False)
        out[name] = [Path(p) for p in res.files]
    return out


def _one(files, name, channel=None):
    paths = [p for p in files[name] if channel is None or f"_{channel}_" in p.name]
    assert len(paths) == 1, paths
    return paths[0]


def _chi2_p(obs, exp, var):
    from scipy.stats import chi2

    keep = var > 0
    stat = float(np.sum((obs[keep] - exp[keep]) ** 2 / var[keep]))
    return stat, float(chi2.sf(stat, keep.sum() - 1))


def _transverse_bin_probabilities(edges, beta):
    """P(cos in bin) for the density 1 + c^2 + (1 - beta^2)(1 - c^2) = 2 - beta^2 + beta^2 c^2
    (physics-notes sec. 3 for e+e-; sec. 2 and the mcpgen.generators.meson_decay docstring
    for a transversely polarised V and the gamma* of a Dalitz decay), one row per event."""
    b2 = (np.asarray(beta) ** 2)[:, None]
    cdf = (2.0 - b2) * (edges + 1.0) + b2 * (edges**3 + 1.0) / 3.0
    return np.diff(cdf, axis=1) / (4.0 - 4.0 * b2 / 3.0)


def _shape_test(h, weights, probs):
    """Chi-square p-value of the generated cos histogram ``h`` against sum_i w_i p_ib."""
    sub = h[:, "generated"]
    exp = weights @ probs
    var = (weights**2) @ probs
    return _chi2_p(sub.values(), exp, var)


# ----------------------------------------------------------------------- normalisation
def test_sums_equal_the_file_normalisation(files):
    """Every variable's generated histogram (flow bins included) sums to the file's
    sum_weights (rounding: 1e-12 relative, summation order) and agrees with sigma within
    5 MC standard deviations (sigma is the integration estimate, sum_weights that of the
    events); the detector histograms sum to yield_sums.sum_w_eff."""
    for paths in files.values():
        for path in paths:
            batch, meta = read_events(path)
            hists = D.histograms(batch, meta)
            assert len(hists) >= 5, path.name
            err = math.hypot(meta["sigma_err"], math.sqrt(float(np.sum(batch.weight**2))))
            for name, h in hists.items():
                gen = h[:, "generated"].sum(flow=True).value
                det = h[:, "detector"].sum(flow=True).value
                assert gen == pytest.approx(meta["sum_weights"], rel=1e-12), (path.name, name)
                assert abs(gen - meta["sigma"]) < 5.0 * err, (path.name, name)
                assert det == pytest.approx(meta["yield_sums"]["sum_w_eff"], rel=1e-12,
                                            abs=1e-300), (path.name, name)


def test_chunks_add_up(files):
    """Histograms of two halves filled into one dict equal those of the whole file."""
    path = _one(files, "na64mu")
    batch, meta = read_events(path)
    whole = D.histograms(batch, meta)
    half = len(batch) // 2
    parts = D.histograms(batch.take(slice(0, half)), meta)
    parts = D.histograms(batch.take(slice(half, None)), meta, into=parts)
    for name in whole:
        np.testing.assert_allclose(parts[name].values(flow=True), whole[name].values(flow=True),
                                   rtol=1e-12, atol=0)


def test_lepton_variables(files):
    """x is E_pair/E_beam and lies above the generator's x_min; E_rec is the recoil."""
    batch, meta = read_events(_one(files, "na64mu"))
    pairs = D.variables(batch, meta)
    v = {var.name: vals for var, vals in pairs}
    unit = {var.name: var.unit for var, _ in pairs}
    assert set(v) == {"x", "E_chi", "theta_chi", "E_recoil", "det_E_rec", "m_pair", "Q"}
    assert unit["E_chi"] == unit["m_pair"] == "GeV" and unit["theta_chi"] == "rad"
    assert np.all(v["x"] >= meta["x_min"] - 1e-12) and np.all(v["x"] <= 1.0)
    np.testing.assert_allclose(v["det_E_rec"], v["E_recoil"])   # ideal spectrometer card
    np.testing.assert_allclose(v["E_chi"], batch.E[:, batch.index("chi")] / 1e3)
    assert np.all(v["m_pair"] >= 2e-3 * meta["m_chi_MeV"] * (1 - 1e-9))


# ----------------------------------------------------------------------- angular shapes
def test_ee_born_angular_distribution(files):
    """e+e- -> chi chibar without ISR: dsigma/dcos ~ 1 + cos^2 + (1 - beta^2) sin^2
    (physics-notes sec. 3) at the event's beta = sqrt(1 - 4 m^2/s) (s with the spread);
    a flat distribution is rejected (the test has power)."""
    batch, meta = read_events(_one(files, "ee"))
    h = D.histograms(batch, meta)["cos_theta_chi"]
    edges = h.axes[0].edges
    beta = np.sqrt(1.0 - (2.0 * meta["m_chi_MeV"] / batch.sqrt_s_pair) ** 2)
    stat, p = _shape_test(h, batch.weight, _transverse_bin_probabilities(edges, beta))
    assert p > P_MIN, (stat, p)
    _, p_flat = _shape_test(h, batch.weight, _transverse_bin_probabilities(edges, 0 * beta))
    assert p_flat < 1e-6


def test_photoproduced_vector_is_transverse(files):
    """omega from photoproduction (SCHC, polarised): the chi in the V rest frame follows
    2 - beta^2 sin^2 about the spin axis (meson_decay docstring), beta from the event's
    V mass; flat is rejected."""
    batch, meta = read_events(_one(files, "ldmx"))
    assert meta["polarised"] is True
    h = D.histograms(batch, meta)["cos_theta_star"]
    edges = h.axes[0].edges
    mv = batch.mass[:, batch.index("V")]
    beta = np.sqrt(1.0 - (2.0 * meta["m_chi_MeV"] / mv) ** 2)
    stat, p = _shape_test(h, batch.weight, _transverse_bin_probabilities(edges, beta))
    assert p > P_MIN, (stat, p)
    _, p_flat = _shape_test(h, batch.weight, _transverse_bin_probabilities(edges, 0 * beta))
    assert p_flat < 1e-6


def test_spectrum_mesons(files):
    """Spectrum mesons are unpolarised: V -> chi chibar flat in the helicity frame; the
    Dalitz pi0 -> gamma chi chibar follows 2 - beta^2 sin^2 about the photon in the gamma*
    frame (physics-notes sec. 2), beta from the event's pair mass."""
    batch, meta = read_events(_one(files, "ship", "rho"))
    h = D.histograms(batch, meta)["cos_theta_star"]
    edges = h.axes[0].edges
    n = len(batch)
    stat, p = _shape_test(h, batch.weight, _transverse_bin_probabilities(edges, np.zeros(n)))
    assert p > P_MIN, (stat, p)

    batch, meta = read_events(_one(files, "ship", "pi0"))
    h = D.histograms(batch, meta)["cos_theta_star"]
    q = batch.mass[:, batch.index("gamma*")]
    beta = np.sqrt(np.clip(1.0 - (2.0 * meta["m_chi_MeV"] / q) ** 2, 0.0, 1.0))
    stat, p = _shape_test(h, batch.weight, _transverse_bin_probabilities(edges, beta))
    assert p > P_MIN, (stat, p)
    _, p_flat = _shape_test(h, batch.weight, _transverse_bin_probabilities(edges, 0 * beta))
    assert p_flat < P_MIN


def test_darkphoton_x_against_analytic_ww():
    """mu N -> mu N A' in the IWW method at a fixed 160 GeV beam: chi (t_min = m^4/4E0^2)
    does not depend on x, so dsigma/dx has the shape of the WW angular integral
    :func:`mcpgen.physics.lepton_nucleus.ww.ww_dsigma_dx_physical_kernel` (integrated over
    each bin by quadrature); chi-square over the bins above x_min."""
    from scipy.integrate import quad

    from mcpgen.generators.brem import BremGenerator, BremSetup
    from mcpgen.physics.lepton_nucleus.ww import ww_dsigma_dx_physical_kernel
    from mcpgen.sources.materials import get_material

    E0, m, x_min = 160000.0, 100.0, 0.1
    setup = BremSetup(beam="mu-", energy=E0, material=get_material("Pb"), m_chi=m,
                      x_min=x_min, method="iww", final_state="vector", source="fixed")
    gen = BremGenerator(setup, seed=5)
    gen.prepare(1e-2, max_points=200_000)
    batch = gen.generate(8000)
    meta = {"process": "darkphoton", "beam_energy_MeV": E0, "mass_MeV": m, "weight_unit": "pb"}
    h = D.histograms(batch, meta)["x"][:, "generated"]
    edges = h.axes[0].edges
    ml = setup.lepton_mass
    lo = np.maximum(edges[:-1], x_min)
    hi = np.minimum(edges[1:], 1.0 - ml / E0)
    shape = np.array([quad(lambda x: ww_dsigma_dx_physical_kernel(x, E0, m, ml, 1.0), a, b)[0]
                      if b > a else 0.0 for a, b in zip(lo, hi)])
    obs, var = h.values(), h.variances()
    keep = shape > 0
    exp = shape / shape[keep].sum() * obs[keep].sum()
    stat, p = _chi2_p(obs[keep], exp[keep], var[keep])
    assert p > P_MIN, (stat, p)


# ----------------------------------------------------------------------- figures
def test_figures_written_readable(files, tmp_path):
    """PNG and PDF per file, default folder <run dir>/distributions, mode 0666 - umask."""
    path = _one(files, "na64mu")
    written = D.plot_distributions(path)
    assert [p.name for p in written] == [path.stem + ".png", path.stem + ".pdf"]
    assert all(p.parent == path.parent / "distributions" for p in written)
    png, pdf = (p.read_bytes() for p in written)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and pdf.startswith(b"%PDF")
    umask = os.umask(0)
    os.umask(umask)
    for p in written:
        assert (p.stat().st_mode & 0o777) == (0o666 & ~umask)
    # every family draws, into a chosen folder, no temporary files left
    many = [p for paths in files.values() for p in paths]
    out = D.plot_files(many, tmp_path / "figs", formats=("png",))
    assert len(out) == len(many)
    assert sorted(os.listdir(tmp_path / "figs")) == sorted(p.stem + ".png" for p in many)


def test_no_debris_on_failure(files, tmp_path, monkeypatch):
    """A failing PDF save leaves no file of this call and no temporary file; an existing
    figure stays untouched."""
    from matplotlib.figure import Figure

    path = _one(files, "na64mu")
    out = tmp_path / "figs"
    out.mkdir()
    (out / (path.stem + ".png")).write_bytes(b"old")
    real = Figure.savefig

    def failing(self, fname, *a, **kw):
        if kw.get("format") == "pdf":
            raise OSError(28, "No space left on device")
        return real(self, fname, *a, **kw)

    monkeypatch.setattr(Figure, "savefig", failing)
    with pytest.raises(ConfigError, match="No space left"):
        D.plot_distributions(path, out, overwrite=True)
    assert os.listdir(out) == [path.stem + ".png"]
    assert (out / (path.stem + ".png")).read_bytes() == b"old"
    # a folder created by the failed call is removed again
    with pytest.raises(ConfigError):
        D.plot_distributions(path, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_bad_input_one_line_errors(files, tmp_path):
    missing = tmp_path / "none.root"
    with pytest.raises(ConfigError, match="no such event file") as e:
        D.plot_distributions(missing, tmp_path / "o1")
    assert "\n" not in str(e.value) and str(missing) in str(e.value)
    junk = tmp_path / "junk.root"
    junk.write_text("not root", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a readable ROOT file"):
        D.plot_files([_one(files, "na64mu"), junk], tmp_path / "o2")
    with pytest.raises(ConfigError, match="allowed: png, pdf, svg"):
        D.plot_distributions(_one(files, "na64mu"), tmp_path / "o3", formats=("png", "gif"))
    assert not any((tmp_path / d).exists() for d in ("o1", "o2", "o3"))


def test_two_inputs_one_target_is_an_error(files, tmp_path):
    """The same file twice, or two files of one name from different run folders, into one
    folder: a one-line error naming both inputs, before anything is written."""
    path = _one(files, "na64mu")
    out = tmp_path / "figs"
    with pytest.raises(ConfigError, match="given twice") as e:
        D.plot_files([path, path], out)
    assert "\n" not in str(e.value) and str(e.value).count(str(path)) == 2
    a, b = tmp_path / "a" / path.name, tmp_path / "b" / path.name
    for copy in (a, b):
        copy.parent.mkdir()
        copy.write_bytes(path.read_bytes())
    with pytest.raises(ConfigError, match="different --out folders") as e:
        D.plot_files([a, b], out, formats=("png",))
    assert str(a) in str(e.value) and str(b) in str(e.value)
    assert not out.exists()


def test_existing_figure_needs_overwrite(files, tmp_path):
    """An existing figure (any format, any input) is a one-line error saying --force,
    checked for every input before drawing; ``overwrite=True`` replaces it."""
    first, second = _one(files, "ee"), _one(files, "na64mu")
    out = tmp_path / "figs"
    out.mkdir()
    old = out / (second.stem + ".pdf")
    old.write_bytes(b"old")
    with pytest.raises(ConfigError, match="pass --force") as e:
        D.plot_files([first, second], out)
    assert "\n" not in str(e.value) and str(old) in str(e.value)
    assert os.listdir(out) == [old.name] and old.read_bytes() == b"old"
    written = D.plot_distributions(second, out, overwrite=True)
    assert [p.name for p in written] == [second.stem + ".png", old.name]
    assert old.read_bytes().startswith(b"%PDF")


def test_plot_request_refreshes_by_default(files, tmp_path):
    """``mcpgen run`` owns its distributions/ folder: plot_request replaces its figures
    unless the request says ``"overwrite": false``."""
    request = {"paths": [str(_one(files, "na64mu"))], "out": str(tmp_path), "formats": ["png"]}
    first = D.plot_request(request)
    assert D.plot_request(request) == first
    with pytest.raises(ConfigError, match="pass --force"):
        D.plot_request(dict(request, overwrite=False))


def test_file_histograms_reads_through_iter_events(files, monkeypatch):
    """file_histograms reads with mcpgen.io.root.iter_events (its step) and its chunks add
    up to the histograms of the whole file."""
    import mcpgen.io.root as root

    path = _one(files, "na64mu")
    steps = []
    real = root.iter_events

    def counting(p, *, step):
        steps.append(step)
        yield from real(p, step=step)

    monkeypatch.setattr(root, "iter_events", counting)
    hists, meta = D.file_histograms(path, chunk_events=250)
    batch, _ = read_events(path)
    assert steps == [250] and len(batch) > 250
    whole = D.histograms(batch, meta)
    for name in whole:
        np.testing.assert_allclose(hists[name].values(flow=True), whole[name].values(flow=True),
                                   rtol=1e-12, atol=0)


def test_binning_from_metadata_only(files):
    """The binning does not depend on the events (an empty chunk bins as a full one):
    the muon mass for theta_chi comes from the metadata's beam (m_chi = 10 MeV < m_mu)."""
    batch, meta = read_events(_one(files, "na64mu"))
    meta = dict(meta, mass_MeV=10.0)
    full = {v.name: v for v, _ in D.variables(batch, meta)}
    empty = {v.name: v for v, _ in D.variables(batch.take(slice(0, 0)), meta)}
    assert empty == full


def test_import_is_light():
    """Importing the module loads neither matplotlib, mplhep nor hist."""
    code = ("import sys, mcpgen.analysis.distributions; "
            "print(sorted(m for m in ('matplotlib', 'mplhep', 'hist') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
