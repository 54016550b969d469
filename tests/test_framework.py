"""The framework interfaces with the real brem process (no stubs): registries, Process,
Source, DetectorModule, efficiency models and eps intervals, keyed job seeds, locked and
resumable run folders, and collect() of split runs.

Statistics are small (2000 events, 2000 x 2 training points, 1% precision) so that the whole
file runs in seconds; statistical checks allow 5 standard deviations.
"""

import json
import math
import subprocess
import sys
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from hepunits import cm

from mcpgen.analysis.yields import (EPS_SEARCH_MIN, YieldPoint, eps_intervals,
                                    point_from_metadata, read_limits_csv, write_limits_csv)
from mcpgen.constants import CHI_PDGID, nucleus_mass
from mcpgen.detectors.cards import card_from_dict, detector_module, load_card
from mcpgen.detectors.spectrometer import Spectrometer
from mcpgen.errors import ConfigError
from mcpgen.framework.detector import DetectorModule, EfficiencyModel
from mcpgen.framework.jobs import Job, YieldAccumulator, check_job, job_seed, jobs_of
from mcpgen.framework.process import Column, CrossSection, Particle, Process
from mcpgen.framework.registry import DETECTORS, PROCESSES, SOURCES, Registry
from mcpgen.framework.scheduler import run_jobs
from mcpgen.framework.source import Source
from mcpgen.io.record import EventBatch
from mcpgen.processes.lepton_nucleus import (BremProcess, DarkPhotonProcess)
from mcpgen.rng import BLOCK_SIZE, block_rng, block_sizes
from mcpgen.sources.lepton_beam import LeptonBeamSource
from mcpgen.sources.materials import MATERIALS, get_material
from mcpgen.steering import load_steering

from _framework_cases import E0, PRECISION, SETTINGS, muon_source, write_steering


@pytest.fixture(scope="module")
def brem():
    """A BremProcess integrated to 1%."""
    proc = BremProcess.build(muon_source(), 100.0, SETTINGS, seed=11)
    proc.integrate(PRECISION, 10_000_000)
    return proc


# ----------------------------------------------------------------------------- registries
def test_registry_lookups():
    assert PROCESSES.get("brem") is BremProcess
    assert PROCESSES.get("darkphoton") is DarkPhotonProcess
    assert SOURCES.get("lepton-beam") is LeptonBeamSource
    assert DETECTORS.get("spectrometer") is Spectrometer
    assert PROCESSES.names()[:2] == ("brem", "darkphoton")
    assert {"pi0", "eta", "etaprime", "rho", "omega", "phi", "jpsi"} <= set(PROCESSES.names())
    assert "brem" in PROCESSES and "brems" not in PROCESSES
    assert issubclass(BremProcess, Process) and issubclass(LeptonBeamSource, Source)
    assert issubclass(Spectrometer, DetectorModule)
    # every registered name is the implementation's own name
    for reg, attr in ((PROCESSES, "name"), (SOURCES, "kind"), (DETECTORS, "name")):
        for name in reg.names():
            assert getattr(reg.get(name), attr) == name


@pytest.mark.parametrize("registry, name, needle", [
    (PROCESSES, "bremm", "unknown process 'bremm' (did you mean 'brem'?); allowed: brem, "
                         "darkphoton"),
    (PROCESSES, "zzz", "unknown process 'zzz'; allowed: brem, darkphoton"),
    (SOURCES, "lepton_beam", "unknown source 'lepton_beam' (did you mean 'lepton-beam'?)"),
    (DETECTORS, "calorimeter", "unknown detector module 'calorimeter' (did you mean 'spectrometer'?); allowed: spectrometer, scatter, tracker"),
])
def test_registry_unknown_names_are_one_line_errors(registry, name, needle):
    with pytest.raises(ConfigError) as exc:
        registry.get(name, file="study.toml", key="physics.process")
    msg = str(exc.value)
    assert "\n" not in msg and needle in msg
    assert msg.startswith("study.toml: key 'physics.process': ")
    assert exc.value.file == "study.toml" and exc.value.key == "physics.process"


def test_registry_is_lazy():
    # listing and looking up names imports nothing until an implementation is asked for
    reg = Registry("thing", {"a": "no.such.module:Thing"})
    assert reg.names() == ("a",) and "a" in reg
    with pytest.raises(ModuleNotFoundError):
        reg.get("a")
    code = ("import sys, mcpgen.framework.registry as r; r.PROCESSES.names(); "
            "'brem' in r.PROCESSES;"
            "print(any(m in sys.modules for m in ('numba', 'mcpgen.processes.lepton_nucleus',"
            " 'mcpgen.generators.brem', 'uproot')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- process
def test_brem_particles_and_metadata(brem):
    labels = tuple(p.label for p in brem.particles)
    assert labels == ("l", "N", "l'", "N'", "gamma*", "chi", "chibar")
    pb = 1000822070          # PDG nucleus code 10LZZZAAAI for Z = 82, A = 207
    assert [p.pdgid for p in brem.particles] == [13, pb, 13, pb, 22, CHI_PDGID, -CHI_PDGID]
    assert [p.status for p in brem.particles] == [4, 4, 1, 1, 2, 1, 1]
    masses = [p.mass for p in brem.particles]
    assert masses[0] == masses[2] == pytest.approx(105.6583755)
    assert masses[1] == masses[3] == nucleus_mass(82, 207.2)
    assert math.isnan(masses[4]) and masses[5] == masses[6] == 100.0   # gamma* mass per event
    assert all(isinstance(p, Particle) for p in brem.particles)
    assert [c.name for c in BremProcess.columns] == ["E_beam"]
    assert BremProcess.columns[0] == Column("E_beam", "float64", "MeV",
                                            "lepton energy at the vertex")
    meta = brem.metadata()
    assert (meta["process"], meta["model"], meta["weight_unit"], meta["eps_power"]) == \
        ("brem", "mcp", "pb", 2)
    assert meta["m_chi_MeV"] == 100.0 and meta["method"] == "etl" and meta["x_min"] == 0.5
    json.dumps(meta)   # stored with the events: must be JSON-serialisable
    dp = DarkPhotonProcess.build(muon_source(), 100.0, SETTINGS, seed=1)
    assert [p.label for p in dp.particles] == ["l", "N", "l'", "N'", "V"]
    assert dp.metadata()["m_Aprime_MeV"] == 100.0 and dp.model == "dark-photon"


def test_mass_limits():
    src = muon_source()
    free = E0 - 105.6583755
    assert BremProcess.mass_limit(src, SETTINGS) == pytest.approx(free / 2, rel=1e-15)
    assert DarkPhotonProcess.mass_limit(src, SETTINGS) == pytest.approx(free, rel=1e-15)


def test_check_job_names_the_steering_file(tmp_path):
    free = E0 - 105.6583755
    st = load_steering(write_steering(tmp_path))
    check_job(st, Job(0, "NA64mu", "brem", 0.49 * free))
    with pytest.raises(ConfigError, match="at or above the kinematic limit") as exc:
        check_job(st, Job(0, "NA64mu", "brem", free / 2))
    assert exc.value.key == "physics.masses" and str(st.path) in str(exc.value)
    assert "\n" not in str(exc.value)


def test_integrate_to_a_precision(brem):
    xs = brem.xsec
    assert isinstance(xs, CrossSection) and xs.sigma > 0
    assert xs.sigma_err <= PRECISION * xs.sigma          # reached the target
    assert xs.n_points % 1024 == 0                       # whole quasi-MC replicates only
    assert 0 < xs.efficiency <= 1 and 0 < xs.nonzero_fraction <= 1 and xs.w_max > 0
    # the point budget caps the integration
    other = BremProcess.build(muon_source(), 100.0, SETTINGS, seed=12)
    capped = other.integrate(1e-9, 2 * BLOCK_SIZE)
    assert capped.n_points == 2 * BLOCK_SIZE and capped.sigma_err > 1e-9 * capped.sigma
    # an independent seed agrees within 5 combined standard errors
    assert abs(capped.sigma - xs.sigma) < 5 * math.hypot(capped.sigma_err, xs.sigma_err)
    # deterministic for a seed
    again = BremProcess.build(muon_source(), 100.0, SETTINGS, seed=11)
    assert again.integrate(PRECISION, 10_000_000) == xs


@pytest.mark.parametrize("unweighted", [False, True])
def test_plan_and_weights_sum_to_sigma(brem, unweighted):
    n = 3000
    trials = brem.plan(n, unweighted)
    keep = min(brem.xsec.efficiency, 1.0) if unweighted else brem.xsec.nonzero_fraction
    assert trials == math.ceil(n / keep)
    batches = [brem.block(b, size, trials, unweighted) for b, size in block_sizes(trials)]
    events = sum(len(x) for x in batches)
    # about n events: binomial fluctuation of the kept points, 5 sigma
    assert abs(events - n) < 5 * math.sqrt(n * (1 - keep)) + 1
    w = np.concatenate([x.weight for x in batches])
    # the sum of the weights estimates sigma from an independent stream; its error is that
    # of a mean of `trials` points, estimated from the weights themselves
    err = math.sqrt(max((w * w).sum() - w.sum() ** 2 / trials, 0.0))
    assert abs(w.sum() - brem.xsec.sigma) < 5 * math.hypot(err, brem.xsec.sigma_err)
    if unweighted:   # accepted points carry max(w, w_max) / N_trials
        assert np.all(w >= brem.xsec.w_max / trials * (1 - 1e-12))


def test_block_is_a_pure_function_of_seed_and_block(brem):
    n_trials = 5 * BLOCK_SIZE
    a = brem.block(1, BLOCK_SIZE, n_trials, False)
    assert a.names == tuple(p.label for p in brem.particles)
    assert set(a.columns) == {"E_beam"} and len(a) > 0
    # a process built afresh with the same seed makes block 1 without making block 0
    fresh = BremProcess.build(muon_source(), 100.0, SETTINGS, seed=11)
    fresh.integrate(PRECISION, 10_000_000)
    b = fresh.block(1, BLOCK_SIZE, n_trials, False)
    brem.block(0, BLOCK_SIZE, n_trials, False)
    c = brem.block(1, BLOCK_SIZE, n_trials, False)
    for other in (b, c):
        for f in EventBatch.PER_EVENT + EventBatch.PER_PARTICLE:
            assert getattr(a, f).tobytes() == getattr(other, f).tobytes(), f
        assert a.E_beam.tobytes() == other.E_beam.tobytes()
    # another block, another sample
    d = brem.block(2, BLOCK_SIZE, n_trials, False)
    assert not np.array_equal(a.weight[:100], d.weight[:100])
    # the first k points of a block give a prefix of its events
    head = brem.block(1, 1000, n_trials, False)
    assert 0 < len(head) < len(a)
    assert head.weight.tobytes() == a.weight[:len(head)].tobytes()
    assert head.E.tobytes() == a.E[:len(head)].tobytes()
    # normalisation: weights scale as 1 / n_trials
    half = brem.block(1, BLOCK_SIZE, 2 * n_trials, False)
    assert np.array_equal(half.weight * 2, a.weight)      # exact: a factor of two


# ----------------------------------------------------------------------------- source
#: PDG density [g/cm^3] and A [g/mol], written out here independently of mcpgen.sources
PDG = {"Pb": (11.35, 207.2), "W": (19.30, 183.84), "Al": (2.699, 26.9815385),
       "Fe": (7.874, 55.845), "Cu": (8.960, 63.546), "C": (2.210, 12.0107),
       "Si": (2.329, 28.0855)}


@pytest.mark.parametrize("target", sorted(PDG))
def test_exposure_is_lot_nT_L_in_inverse_pb(target):
    rho, A = PDG[target]
    lot, length_cm = 3e13, 7.5
    src = LeptonBeamSource(beam="e-", energy=8e3, leptons_on_target=lot, target=target,
                           material=get_material(target), thickness=length_cm * cm)
    n_T = rho * 6.02214076e23 / A                       # nuclei per cm^3
    hand = lot * n_T * length_cm * 1e-36                # 1 pb = 1e-36 cm^2
    assert src.exposure == pytest.approx(hand, rel=1e-12)
    meta = src.metadata()
    assert meta["exposure"] == src.exposure and meta["source"] == "lepton-beam"
    assert meta["n_target_per_mm3"] * 1e3 == pytest.approx(n_T, rel=1e-12)
    assert set(PDG) == set(MATERIALS)


def test_source_table_round_trip():
    table = {"beam": "mu-", "energy": "160 GeV", "leptons_on_target": "1e14", "target": "Pb",
             "thickness": "40 X0", "muon_energy_loss": True}
    src = LeptonBeamSource.from_table(table, file="s.toml", prefix="setup[0]")
    assert src.thickness == pytest.approx(40 * get_material("Pb").X0, rel=1e-14)
    assert src.thickness_X0 == pytest.approx(40.0) and src.muon_energy_loss
    back = LeptonBeamSource.from_table({k: v for k, v in src.to_table().items() if k != "source"},
                                       file="s.toml", prefix="setup[0]")
    assert back == src
    with pytest.raises(ConfigError) as exc:
        LeptonBeamSource.from_table(dict(table, energy="0.1 GeV"), file="s.toml",
                                    prefix="setup[0]")
    assert exc.value.key == "setup[0].energy" and "mu- mass" in str(exc.value)


# ----------------------------------------------------------------------------- detector
def test_spectrometer_through_the_module_interface(brem):
    card = load_card("na64mu")
    module = detector_module(card)
    assert isinstance(module, Spectrometer) and isinstance(module, DetectorModule)
    assert module.name == "spectrometer" and module.card is card
    assert [c.name for c in module.columns] == ["det_E_rec"]
    assert module.efficiency_model == EfficiencyModel("constant")
    assert module.generator_threshold() == card.x_th == 0.5
    assert module.metadata() == {"module": "spectrometer", "card": card.to_dict(),
                                 "efficiency_model": {"kind": "constant", "power": 0.0,
                                                      "grid": []}}
    src = muon_source()
    module.check(BremProcess, src)   # fine
    with pytest.raises(ConfigError, match="needs a lepton-beam source, not 'cosmic-ray'"):
        module.check(BremProcess, SimpleNamespace(kind="cosmic-ray"))
    # the module's card schema is the generic loader's
    table = {"detector": {"name": "T", "module": "spectrometer"},
             "spectrometer": {"x_th": 0.6}, "sources": {"x_th": "test"}}
    assert Spectrometer.card_from_table(table, file="t.toml") == card_from_dict(table,
                                                                                file="t.toml")
    # on real brem events: with the generator cut x_min = x_th = 0.5 every event passes
    # (E_l' <= E0 - E_pair <= 0.5 E0), with x_th = 0.7 only some do
    batch = brem.block(0, BLOCK_SIZE, BLOCK_SIZE, False)
    module.apply(batch, src, block_rng(1, "detector", 0))
    E_lep = batch.E[:, batch.index("l'")]
    assert np.array_equal(batch.det_E_rec, E_lep)        # ideal resolution
    assert batch.det_pass.all() and np.all(batch.det_eff == 1.0)
    tight = detector_module(replace(card, x_th=0.7, efficiency=0.9))
    tight.apply(batch, src, block_rng(1, "detector", 0))
    assert np.array_equal(batch.det_pass, E_lep <= (1 - 0.7) * E0)
    assert np.array_equal(batch.det_eff, np.where(batch.det_pass, 0.9, 0.0))
    assert 0 < batch.det_pass.mean() < 1
    # smearing draws from the block's generator only: the same generator, the same result
    smeared = detector_module(replace(card, resolution=0.05))
    x, y = (brem.block(0, 5000, BLOCK_SIZE, False) for _ in range(2))
    smeared.apply(x, src, block_rng(1, "detector", 0))
    smeared.apply(y, src, block_rng(1, "detector", 0))
    assert x.det_E_rec.tobytes() == y.det_E_rec.tobytes()
    assert not np.array_equal(x.det_E_rec, x.E[:, x.index("l'")])


# ----------------------------------------------------------------------------- efficiency
def point(model, sums_S, *, exposure=1.0, eps_ref=1.0, s_up=2.3, table=()):
    return YieldPoint(label="T", m_chi=1.0, eps_ref=eps_ref, sigma_sel=sums_S,
                      sigma_sel_err=0.0, exposure=exposure, s_up=s_up,
                      efficiency_model=model.to_dict(), table=tuple(table))


def brute_force_intervals(p, s_up, n=40001):
    """Runs of a fine log grid of eps in [EPS_SEARCH_MIN, 1] where N(eps) >= s_up."""
    eps = np.geomspace(EPS_SEARCH_MIN, 1.0, n)
    inside = np.array([p.n_expected(e) >= s_up for e in eps])
    out, start = [], None
    for i, ok in enumerate(inside):
        if ok and start is None:
            start = eps[i]
        if not ok and start is not None:
            out.append((start, eps[i - 1]))
            start = None
    if start is not None:
        out.append((start, eps[-1]))
    return out, math.log(eps[1] / eps[0])


def assert_intervals_match(p, s_up):
    got = eps_intervals(p, s_up)
    want, step = brute_force_intervals(p, s_up)
    assert len(got) == len(want), (got, want)
    for (lo, hi), (blo, bhi) in zip(got, want):
        # the brute-force edges are within one grid step inside the true edges
        assert blo / math.exp(step) <= lo * (1 + 1e-9) and lo <= blo * (1 + 1e-9)
        assert bhi * (1 - 1e-9) <= hi and hi <= bhi * math.exp(step) * (1 + 1e-9)
    return got


def test_efficiency_model_kinds_and_validation():
    assert EfficiencyModel().kind == "constant"
    for m in (EfficiencyModel("constant"), EfficiencyModel("power", power=2.0),
              EfficiencyModel("table", grid=(1e-3, 1e-1, 1.0))):
        assert EfficiencyModel.from_dict(json.loads(json.dumps(m.to_dict()))) == m
    with pytest.raises(ConfigError, match="unknown efficiency model 'linear'; allowed: "
                                          "constant, power, table"):
        EfficiencyModel("linear")
    for grid in ((), (1.0,), (1e-2, 1e-3), (0.0, 1.0), (1e-3, 1e-3, 1.0)):
        with pytest.raises(ConfigError, match="increasing grid"):
            EfficiencyModel("table", grid=grid)


def test_constant_model():
    p = point(EfficiencyModel("constant"), 0.5, exposure=10.0, eps_ref=1e-2)
    # N = exposure (eps/eps_ref)^2 S
    assert p.n_expected(1e-3) == pytest.approx(10.0 * 0.01 * 0.5, rel=1e-14)
    assert p.n_per_eps2 == pytest.approx(10.0 * 1e4 * 0.5, rel=1e-14)
    (iv,) = assert_intervals_match(p, 2.3)
    assert iv == (pytest.approx(math.sqrt(2.3 / p.n_per_eps2), rel=1e-14), 1.0)
    assert p.eps_limit == iv[0] and p.intervals == (iv,)


@pytest.mark.parametrize("k, exposure", [(2.0, 1e10), (-1.0, 1e10), (-3.0, 1e4)])
def test_power_model(k, exposure):
    # N = exposure (eps/eps_ref)^(2 + k) S: rising for k = 2, -1; falling for k = -3, where
    # the exposure puts the crossing N = s_up at eps = 0.043
    p = point(EfficiencyModel("power", power=k), 1e-3, exposure=exposure, eps_ref=1e-2)
    for eps in (1e-5, 1e-3, 0.3):
        assert p.n_expected(eps) == pytest.approx(exposure * (eps / 1e-2) ** (2 + k) * 1e-3,
                                                  rel=1e-12)
    got = assert_intervals_match(p, 2.3)
    if 2 + k > 0:      # rising: [eps_limit, 1] in closed form
        assert got == ((pytest.approx((2.3 / p.n_expected(1.0)) ** (1 / (2 + k)), rel=1e-13),
                        1.0),)
    else:              # falling: from the bottom of the search range up to the crossing
        ((lo, hi),) = got
        assert lo == pytest.approx(EPS_SEARCH_MIN, rel=1e-12)
        assert hi == pytest.approx(0.1 / 2.3, rel=1e-9)


def one_event_table_point(model, eff, exposure):
    """The YieldPoint of one 1 pb event with efficiency table ``eff``, made as in a job."""
    z = np.zeros((1, 1))
    batch = EventBatch(weight=np.array([1.0]), pdgid=z.astype(np.int32),
                       status=z.astype(np.int32), px=z, py=z, pz=z, E=z, mass=z,
                       vx=np.zeros(1), vy=np.zeros(1), vz=np.zeros(1), names=("x",),
                       det_eff_table=np.array([eff], float))
    acc = YieldAccumulator(model)
    acc.add(batch)
    sums = acc.to_dict()
    assert sums["table_sum_w_eff"] == list(eff)
    meta = {"mass_MeV": 1.0, "eps": 1.0, "label": "T", "channel": "brem", "eps_power": 2,
            "exposure": exposure}
    return point_from_metadata(meta, s_up=2.3, sums=sums)


def test_table_model_with_two_islands_gives_two_intervals(tmp_path):
    # one event of 1 pb whose efficiency vanishes for 1e-2 <= eps <= 1e-1:
    # N(eps) = 1e8 eps^2 eff(eps) is 1, 100, 0, 0, 1e8 at the grid points
    model = EfficiencyModel("table", grid=(1e-4, 1e-3, 1e-2, 1e-1, 1.0))
    p = one_event_table_point(model, (1.0, 1.0, 0.0, 0.0, 1.0), 1e8)
    assert p.n_expected(1e-3) == pytest.approx(100.0, rel=1e-12)
    assert p.n_expected(3e-2) == 0.0
    assert p.n_expected(1.0) == pytest.approx(1e8, rel=1e-12)
    got = assert_intervals_match(p, 2.3)
    assert len(got) == 2
    (a, b), (c, d) = got
    assert 1e-4 < a < 1e-3 < b < 1e-2 < 1e-1 < c < d == 1.0
    for edge in (a, b, c):   # bisected edges sit on N = s_up
        assert p.n_expected(edge) == pytest.approx(2.3, rel=1e-6)
    assert p.eps_limit == a and p.intervals == got
    # limits.csv has one row per interval
    write_limits_csv([p], tmp_path / "limits.csv")
    rows = read_limits_csv(tmp_path / "limits.csv")
    assert [(r["eps_low"], r["eps_high"]) for r in rows] == [(a, b), (c, d)]
    assert all(r["eps_limit"] == a for r in rows)


def test_table_dip_at_a_grid_node_is_found():
    model = EfficiencyModel("table", grid=(1e-4, 1e-3, 1e-2, 1e-1, 1.0))
    p = one_event_table_point(model, (1.0, 1.0, 1e-4, 1.0, 0.0), 1e8)
    assert p.n_expected(1e-2) == pytest.approx(1.0, rel=1e-12)   # below s_up = 2.3
    assert not any(lo <= 1e-2 <= hi for lo, hi in p.intervals)


def test_table_without_reach_and_constant_extrapolation():
    model = EfficiencyModel("table", grid=(1e-3, 1.0))
    p = point(model, math.nan, exposure=1.0, table=(1.0, 1.0))
    assert eps_intervals(p, 2.3) == () and math.isnan(p.eps_limit)
    # outside the grid the table is held at its end values
    assert p.selected(1e-6) == 1.0
    assert_intervals_match(point(model, math.nan, exposure=1e10, table=(0.2, 0.0)), 2.3)


# ----------------------------------------------------------------------------- job seeds
def test_job_seeds_are_keyed_by_label_channel_mass():
    job = Job(0, "NA64mu", "brem", 100.0)
    s = job_seed(7, job)
    assert 0 <= s < 2**63
    assert job_seed(7, Job(5, "NA64mu", "brem", 100.0)) == s          # not by position
    assert job_seed(7, Job(0, "NA64mu", "brem", 100.00000001)) == s   # mass to 6 digits
    others = {job_seed(8, job), job_seed(7, Job(0, "NA64e", "brem", 100.0)),
              job_seed(7, Job(0, "NA64mu", "darkphoton", 100.0)),
              job_seed(7, Job(0, "NA64mu", "brem", 100.1))}
    assert s not in others and len(others) == 4
    assert job.filename == "NA64mu_brem_m100MeV.root"
    # a study of one channel does not name it (issue 9: results/na64mu_2025/NA64mu_m100MeV.root)
    assert Job(0, "NA64mu", "brem", 100.0, False).filename == "NA64mu_m100MeV.root"
    assert Job(0, "NA64 e, 100 GeV", "brem", 1234.56789).filename == \
        "NA64_e__100_GeV_brem_m1234.57MeV.root"


def test_jobs_of_restrictions(tmp_path):
    st = load_steering(write_steering(tmp_path))
    full = jobs_of(st)
    assert [(j.label, j.channel, j.mass) for j in full] == [("NA64mu", "brem", 10.0),
                                                            ("NA64mu", "brem", 100.0)]
    assert jobs_of(st, masses=[100.0]) == full[1:]
    assert jobs_of(st, labels=["other"]) == []


def test_scheduler_in_process():
    seen = []
    assert run_jobs(lambda j: j * j, [3, 1, 2], workers=1, progress=seen.append) == [9, 1, 4]
    assert seen == [9, 1, 4] and run_jobs(None, []) == []   # progress gets each result
    # worker threads: results in job order whatever order the jobs finish in
    seen.clear()
    assert run_jobs(lambda j: j * j, [3, 1, 2, 5], workers=3, progress=seen.append) == \
        [9, 1, 4, 25]
    assert sorted(seen) == [1, 4, 9, 25]
