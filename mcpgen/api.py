"""The Python API of mcpgen (the CLI is a thin layer over it).

* :func:`xsec` — total cross section of a process at eps = 1 with its MC error.
* :func:`generate` — events of one set-up and mass as an :class:`EventBatch`.
* :func:`run` — a whole study from a steering file: ROOT files per mass point,
  yields, limits, reach plot and provenance, written atomically into a folder.

Units: hepunits (MeV, mm); pass e.g. ``160 * GeV`` from ``hepunits``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__
from . import rng as _rng
from .errors import ConfigError
from .generators.brem import BremGenerator, BremSetup
from .sources.materials import get_material


# --------------------------------------------------------------------------- xsec
PROCESSES = {
    "brem": "pair",        # l N -> l N gamma* (-> chi chibar), mass = m_chi
    "darkphoton": "vector",  # l N -> l N A' (on-shell, invisible), mass = m_A'
}
#: smallest x_min accepted by the sampler; the kernels also require E_V >= m_V
_FULL_RANGE = 1e-12


def xsec(process: str = "brem", *, beam: str, energy: float, target: str, mass: float,
         xmin: float | None = None, method: str = "etl", eps: float = 1.0, seed: int = 1,
         points: int = 400_000, train_points: int = 20_000, train_iterations: int = 8) -> dict:
    """Total cross section (pb) for a lepton beam of fixed ``energy`` on one ``target`` nucleus.

    ``process="brem"``: l N -> l N chi chibar with m_chi = ``mass`` and
    (E_chi + E_chibar)/E0 >= ``xmin``; ``process="darkphoton"``: l N -> l N A' with
    m_A' = ``mass`` and E_A'/E0 >= ``xmin``.  ``xmin=None`` takes the full
    kinematic range.  ``method``: "etl" (exact tree level, default), "ww", "iww".
    Returns a dict with ``sigma_pb`` and ``sigma_err_pb`` (statistical MC error)
    at the given ``eps`` (sigma scales as eps^2).
    """
    if process not in PROCESSES:
        raise ConfigError(f"unknown process {process!r}; allowed: {', '.join(PROCESSES)}", key="process")
    if not eps > 0:
        raise ConfigError(f"eps = {eps} must be > 0", key="eps")
    if not points > 1:
        raise ConfigError(f"points = {points} must be > 1", key="points")
    try:
        material = get_material(target)
    except ValueError as e:
        raise ConfigError(str(e), key="target") from None
    x_min = _FULL_RANGE if xmin is None else float(xmin)
    setup = BremSetup(beam=beam, energy=float(energy), material=material, m_chi=float(mass),
                      x_min=x_min, method=method, source="fixed", final_state=PROCESSES[process])
    gen = BremGenerator(setup, seed=seed)
    gen.train(train_points, train_iterations)
    res = gen.integrate(points)
    return {
        "process": process, "method": method, "beam": beam, "energy_GeV": energy / 1000.0,
        "target": target, "Z": material.Z, "A": material.A, "mass_MeV": mass,
        "x_min": None if xmin is None else x_min, "eps": eps,
        "sigma_pb": res.sigma_pb * eps**2, "sigma_err_pb": res.sigma_err_pb * eps**2,
        "points": res.n_points, "seed": seed, "unweighting_efficiency": res.efficiency,
    }


# ----------------------------------------------------------------------- generate
def _job_seed(master: int, *key: int) -> int:
    """Independent seed of job ``key`` (set-up index, mass index) of a run."""
    ss = np.random.SeedSequence(int(master), spawn_key=tuple(int(k) for k in key))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _setup_for(steering, setup, m_chi: float) -> BremSetup:
    return BremSetup(beam=setup.beam, energy=setup.energy, material=setup.material, m_chi=m_chi,
                     x_min=steering.x_min(setup), method=steering.physics.method, source="target",
                     length=setup.thickness, electron_length=setup.electron_length,
                     muon_energy_loss=setup.muon_energy_loss)


def generate(steering, setup_index: int = 0, mass: float | None = None, *, events: int | None = None,
             seed: int | None = None, unweighted: bool | None = None, detector: bool = True,
             progress=None):
    """Generate the events of one set-up and mass of a steering (path or object).

    Returns ``(batch, metadata)``; weights are in pb at the steering's reference
    eps, and the detector decision is filled when ``detector`` is true.
    """
    from .steering import load_steering

    st = steering if hasattr(steering, "setups") else load_steering(steering)
    if not 0 <= setup_index < len(st.setups):
        raise ConfigError(f"setup_index = {setup_index}; allowed: 0 to {len(st.setups) - 1}",
                          key="setup_index")
    if mass is None:
        mass = st.physics.masses[0]
    mass_index = st.physics.masses.index(mass) if mass in st.physics.masses else 0
    return _generate_job(st, setup_index, mass_index, float(mass),
                         events=events, seed=seed, unweighted=unweighted, detector=detector,
                         progress=progress)


def _generate_job(st, setup_index, mass_index, mass, *, events=None, seed=None, unweighted=None,
                  detector=True, progress=None):
    from .detectors.spectrometer import apply_spectrometer

    setup = st.setups[setup_index]
    master = st.run.seed if seed is None else int(seed)
    n_events = st.run.events if events is None else int(events)
    unw = st.run.unweighted if unweighted is None else bool(unweighted)
    job_seed = _job_seed(master, setup_index, mass_index)
    bs = _setup_for(st, setup, mass)
    t0 = time.perf_counter()
    gen = BremGenerator(bs, seed=job_seed)
    gen.train(st.run.train_events, st.run.train_iterations)
    xs = gen.integrate(st.run.integrate_events)
    batch = gen.generate(n_events, unweighted=unw, progress=progress)
    eps = st.physics.eps
    batch.weight *= eps**2
    if detector:
        # detector randomness per block of events, so it does not depend on chunking
        for b, lo in enumerate(range(0, len(batch), _rng.BLOCK_SIZE)):
            part = batch.take(slice(lo, lo + _rng.BLOCK_SIZE))
            apply_spectrometer(part, setup.card, setup.energy, _rng.block_rng(job_seed, "detector", b))
            sl = slice(lo, lo + len(part))
            batch.det_pass[sl], batch.det_eff[sl], batch.det_E_rec[sl] = \
                part.det_pass, part.det_eff, part.det_E_rec
    mat = setup.material
    meta = {
        "process": "brem", "process_description": "l N -> l N gamma*(-> chi chibar)",
        "method": st.physics.method, "label": setup.label, "beam": setup.beam,
        "beam_pdgid": int(setup.lepton_pdgid), "beam_energy_MeV": setup.energy,
        "target": mat.name, "Z": mat.Z, "A": mat.A, "target_length_mm": setup.thickness,
        "target_X0_mm": mat.X0, "n_target_per_mm3": mat.atoms_per_volume(),
        "leptons_on_target": setup.leptons_on_target, "electron_length": setup.electron_length,
        "muon_energy_loss": setup.muon_energy_loss, "m_chi_MeV": mass, "eps": eps,
        "x_min": bs.x_min, "x_th": setup.x_th, "detector": setup.card.to_dict(),
        "sigma_pb": xs.sigma_pb * eps**2, "sigma_err_pb": xs.sigma_err_pb * eps**2,
        "sigma_note": "per nucleus, averaged over the target source (per unit length)",
        "sum_weights_pb": float(batch.weight.sum()), "events": len(batch),
        "trials": int(gen.last_trials), "unweighted": unw,
        "unweighting_efficiency": xs.efficiency, "seed": master, "job_seed": job_seed,
        "setup_index": setup_index, "mass_index": mass_index,
        "mcpgen_version": __version__, "cpu_seconds": time.perf_counter() - t0,
    }
    return batch, meta


# ---------------------------------------------------------------------------- run
@dataclass
class RunResult:
    out: Path
    files: list
    yields: list
    seconds: float


def _check_masses(st):
    """Every (set-up, mass) must be producible; errors name the steering file and key."""
    for i, setup in enumerate(st.setups):
        for m in st.physics.masses:
            try:
                _setup_for(st, setup, m)
            except ConfigError as e:
                msg = str(e).split(": ", 1)[-1] if str(e).startswith("'") else str(e)
                raise ConfigError(f"{msg} (set-up {setup.label!r})", file=st.path or "<steering>",
                                  key="physics.masses") from None


def _prepare_out(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".mcpgen-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise ConfigError(f"output directory is not writable: {e.strerror}", file=out) from None
    return out


def _job(args):
    st, i, j, m, events, seed, staging = args
    from .io.root import write_events

    batch, meta = _generate_job(st, i, j, m, events=events, seed=seed)
    name = f"{_slug(st.setups[i].label)}_m{m:.6g}MeV.root"
    path = Path(staging) / name
    write_events(path, batch, meta, st.text)
    return name, meta


def _slug(s: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in s)


def run(steering, out=None, *, events: int | None = None, seed: int | None = None,
        workers: int | None = None, progress: bool = True) -> RunResult:
    """Run a study: ROOT files per (set-up, mass), yields.csv, limits.csv, reach.png, provenance.json.

    Everything is first written into a hidden staging folder inside ``out`` and
    moved into place only when the whole run succeeded; bad input is reported
    before anything is written.
    """
    from .analysis.limits import signal_upper_limit
    from .analysis.plots import reach_plot
    from .analysis.yields import write_limits_csv, write_yields_csv, yields_from_files
    from .steering import load_steering

    t0 = time.perf_counter()
    st = steering if hasattr(steering, "setups") else load_steering(steering)
    if events is not None and not int(events) > 0:
        raise ConfigError(f"--events = {events} must be > 0", key="events")
    if seed is not None and int(seed) < 0:
        raise ConfigError(f"--seed = {seed} must be >= 0", key="seed")
    _check_masses(st)
    lim = st.limits
    s_up = signal_upper_limit(lim.cl, lim.method, lim.background, lim.observed)
    out = Path(out) if out is not None else Path("results") / _slug(st.run.name)
    _prepare_out(out)

    jobs = [(st, i, j, m, events, seed) for i in range(len(st.setups))
            for j, m in enumerate(st.physics.masses)]
    staging = out / f".mcpgen-staging-{os.getpid()}"
    staging.mkdir()
    try:
        results = _run_jobs([(*a, str(staging)) for a in jobs], workers, progress)
        files = [staging / name for name, _ in results]
        points = yields_from_files(files, s_up=s_up)
        write_yields_csv(points, staging / "yields.csv")
        write_limits_csv(points, staging / "limits.csv")
        reach_plot(points, staging / "reach.png",
                   title=f"{st.run.name}: {100 * lim.cl:g}% CL, s_up = {s_up:.3g}")
        prov = _provenance(st, results, s_up, time.perf_counter() - t0, events, seed, workers)
        (staging / "provenance.json").write_text(json.dumps(prov, indent=2, default=str))
        final = []
        for f in sorted(staging.iterdir()):
            os.replace(f, out / f.name)
            final.append(out / f.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RunResult(out=out, files=final, yields=points, seconds=time.perf_counter() - t0)


def _run_jobs(jobs, workers, progress):
    n = len(jobs)
    if workers is None:
        workers = min(n, os.cpu_count() or 1)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n, unit="mass point", desc="mcpgen run", disable=None)
    try:
        if workers <= 1 or n == 1:
            results = []
            for a in jobs:
                results.append(_job(a))
                if bar is not None:
                    bar.update(1)
            return results
        from concurrent.futures import ProcessPoolExecutor
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # no fork of threads (numba, tqdm)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
            futs = [ex.submit(_job, a) for a in jobs]
            for f in futs:
                f.add_done_callback(lambda _: bar.update(1) if bar is not None else None)
            return [f.result() for f in futs]
    finally:
        if bar is not None:
            bar.close()


def _provenance(st, results, s_up, seconds, events, seed, workers):
    import platform
    import sys
    from importlib import metadata as md

    pkgs = {}
    for p in ("numpy", "numba", "awkward", "uproot", "vegas", "scipy", "hepunits", "particle"):
        try:
            pkgs[p] = md.version(p)
        except md.PackageNotFoundError:
            pkgs[p] = None
    return {
        "mcpgen_version": __version__, "python": sys.version.split()[0],
        "platform": platform.platform(), "packages": pkgs,
        "steering_file": str(st.path) if st.path else None, "steering": st.to_dict(),
        "overrides": {"events": events, "seed": seed, "workers": workers},
        "s_up": s_up, "wall_seconds": seconds,
        "files": [{"file": name, "m_chi_MeV": meta["m_chi_MeV"], "label": meta["label"],
                   "sigma_pb": meta["sigma_pb"], "sigma_err_pb": meta["sigma_err_pb"],
                   "events": meta["events"], "job_seed": meta["job_seed"]} for name, meta in results],
    }
