"""The Python API of mcpgen (the CLI is a thin layer over it).

* :func:`xsec` -- total cross section of a process at eps = 1 with its MC error.
* :func:`generate` -- events of one set-up, channel and mass as an :class:`EventBatch`.
* :func:`run` -- a whole study from a steering file: ROOT files per (set-up,
  channel, mass), yields, limits, reach plot and provenance, in a locked,
  resumable folder; jobs run in-process or on dask.distributed.
* :func:`collect` -- merge the job files of one or more run folders into yields,
  limits and plots.

Quantities accept numbers in hepunits base units (MeV, mm) or strings with a
unit, as in steering files: ``energy="160 GeV"``, ``mass="100 MeV"``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import ConfigError


def _quantity(value, kind, key, default_unit="MeV"):
    from .units import parse_quantity

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return parse_quantity(value, kind, default_unit=default_unit, key=key)


# --------------------------------------------------------------------------- xsec
def xsec(process: str = "brem", *, eps: float = 1.0, seed: int = 1, precision: float = 1e-3,
         max_points: int = 10_000_000, **options) -> dict:
    """Total cross section of ``process`` at charge ``eps`` to relative MC error
    ``precision`` (or with ``max_points`` points, whichever comes first), with its MC
    error: a dict with ``sigma_pb`` and ``sigma_err_pb``.

    The other keyword arguments are the process's own (its ``xsec_options``; see
    ``mcpgen list`` and ``mcpgen xsec --process NAME --help``).  For ``"brem"`` and
    ``"darkphoton"``: ``beam``, ``energy``, ``target``, ``mass``, ``xmin`` (None: the
    full kinematic range) and ``method`` ("etl", "ww", "iww"), for a lepton beam of
    fixed energy on one nucleus.
    """
    from .framework.registry import PROCESSES

    proc_cls = PROCESSES.get(process, key="process")
    for key, v, lo, hi in (("eps", eps, 1e-20, 1e3), ("precision", precision, 1e-6, 0.5)):
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi):
            raise ConfigError(f"value {v!r} out of range; allowed: {lo:g} <= {key} <= {hi:g}",
                              key=key)
    if not (isinstance(seed, int) and 0 <= seed < 2**63):
        raise ConfigError(f"value {seed!r} out of range; allowed: 0 <= seed < 2^63", key="seed")
    if not (isinstance(max_points, int) and 1000 <= max_points <= 10**9):
        raise ConfigError(f"value {max_points!r} out of range; allowed: 1e3 <= max_points <= 1e9",
                          key="max_points")
    allowed = [o.name for o in proc_cls.xsec_options]
    for k in options:
        if k not in allowed:
            raise ConfigError(f"unknown option {k!r} for process {process!r}; allowed: "
                              f"{', '.join(allowed)}", key=k)
    for o in proc_cls.xsec_options:
        if o.required and options.get(o.name) is None:
            raise ConfigError(f"process {process!r} needs {o.name!r} ({o.help})", key=o.name)
    return proc_cls.xsec(eps=eps, seed=seed, precision=precision, max_points=max_points,
                         **options)


# ----------------------------------------------------------------------- generate
def _steering(steering):
    from .steering import load_steering

    return steering if hasattr(steering, "setups") else load_steering(steering)


def generate(steering, setup_index: int = 0, mass=None, *, channel=None, events=None, seed=None):
    """Events of one set-up, channel and mass of a steering (path or object), in memory.

    The same events as the job's ROOT file of :func:`run`.  Returns
    ``(batch, metadata)``; weights are in pb at the steering's reference eps and
    the detector decision is filled.
    """
    import tempfile

    from .framework.jobs import Job, check_job, run_job
    from .io.root import read_events

    st = _steering(steering)
    if not (isinstance(setup_index, int) and 0 <= setup_index < len(st.setups)):
        raise ConfigError(f"setup_index = {setup_index!r}; allowed: 0 to {len(st.setups) - 1}",
                          key="setup_index")
    mass = st.physics.masses[0] if mass is None else _quantity(mass, "mass", "mass")
    channel = st.physics.channels[0] if channel is None else channel
    if channel not in st.physics.channels:
        raise ConfigError(f"channel {channel!r} is not in the steering; allowed: "
                          f"{', '.join(st.physics.channels)}", key="channel")
    job = Job(setup_index, st.setups[setup_index].label, channel, float(mass),
              len(st.physics.channels) > 1)
    check_job(st, job)
    with tempfile.TemporaryDirectory(prefix="mcpgen-generate-") as tmp:
        run_job(st, job, tmp, seed=seed, events=_events(events))
        return read_events(Path(tmp) / job.filename)


def _events(events):
    from .steering import MAX_EVENTS

    if events is None:
        return None
    if not (isinstance(events, int) and 0 < events <= MAX_EVENTS):
        raise ConfigError(f"value {events!r} out of range; allowed: 0 < events <= "
                          f"{MAX_EVENTS:.0e}", key="events")
    return events


# ---------------------------------------------------------------------------- run
@dataclass
class RunResult:
    out: Path
    files: list
    yields: list
    seconds: float
    reused: int = 0


def _job_task(args):
    """One job on a worker: (steering, job, out, seed, events, identity, log) -> summary;
    ``log``: block lines for a batch log (:class:`~mcpgen.framework.progress.BlockLog`)."""
    st, job, out, seed, events, identity, log = args
    from .framework.jobs import run_job

    progress = None
    if log:
        from .framework.progress import BlockLog

        progress = BlockLog(f"{job.label} {job.channel} m = {job.mass:.6g} MeV",
                            st.run.events if events is None else events)
    meta = run_job(st, job, out, seed=seed, events=events, identity=identity, progress=progress)
    return {k: meta[k] for k in ("label", "channel", "mass_MeV", "sigma", "sigma_err",
                                 "weight_unit", "events", "job_seed", "setup_seconds",
                                 "cpu_seconds")}


def run(steering, out=None, *, events: int | None = None, seed: int | None = None,
        workers: int | None = None, scheduler: str | None = None, processes: bool = False,
        masses=None, setups=None, progress: bool = True) -> RunResult:
    """Run a study: ROOT files per (set-up, channel, mass), yields.csv, limits.csv,
    reach.png, provenance.json in ``out`` (default ``results/<run name>``).

    ``masses`` / ``setups`` restrict the run to some masses (values, units allowed)
    and set-up labels; the other jobs of the study can run elsewhere and be merged
    with :func:`collect`.  ``workers`` > 1 run the jobs on that many threads of this
    process, ``processes=True`` on an embedded dask.distributed cluster of worker
    processes, and a dask ``scheduler`` address on a running cluster; the output does
    not depend on any of these.  Bad input is reported before anything is written;
    rerunning after a kill reuses the finished jobs.
    """
    t0 = time.perf_counter()
    gc_phase = _LoadPhaseGC()
    try:
        return _run(steering, out, events, seed, workers, scheduler, processes, masses, setups,
                    progress, t0, gc_phase)
    finally:
        gc_phase.close()


def _run(steering, out, events, seed, workers, scheduler, processes, masses, setups, progress,
         t0, gc_phase):
    from .framework.jobs import check_job, jobs_of
    from .steering import slug

    st = _steering(steering)
    events = _events(events)
    if seed is not None and not (isinstance(seed, int) and 0 <= seed < 2**63):
        raise ConfigError(f"value {seed!r} out of range; allowed: 0 <= seed < 2^63", key="--seed")
    if workers is not None and not (isinstance(workers, int) and 1 <= workers <= 1024):
        raise ConfigError(f"value {workers!r} out of range; allowed: 1 <= workers <= 1024",
                          key="--workers")
    mass_values = None if masses is None else [_quantity(m, "mass", "--mass") for m in masses]
    labels = None if setups is None else list(setups)
    for lab in labels or ():
        if lab not in [s.label for s in st.setups]:
            raise ConfigError(f"no set-up labelled {lab!r}; allowed: "
                              f"{', '.join(s.label for s in st.setups)}", key="--setup")
    jobs = jobs_of(st, masses=mass_values, labels=labels)
    for m in mass_values or ():
        if not any(j.mass_text == f"{m:.6g}" for j in jobs):
            raise ConfigError(f"mass {m:g} MeV is not in the steering's masses; allowed: "
                              f"{', '.join(f'{x:g}' for x in st.physics.masses)}", key="--mass")
    for job in jobs:
        check_job(st, job)
    if out is not None and str(out).strip() == "":
        raise ConfigError("empty output folder name; allowed: a folder path", key="--out")
    # absolute: workers of a remote cluster have their own working directory
    out = (Path(out) if out is not None else Path("results") / slug(st.run.name)).resolve()
    # From here on the Numba kernels (~0.6 s) load on a thread, while this thread computes
    # the limit, locks the folder and starts the jobs (jobs in this process find them
    # loaded), and the reach plot's helper process loads matplotlib (~0.5 s of this
    # process's GIL otherwise).
    import threading

    from .analysis.plots import ReachPlotProcess

    # what this thread imports while the warm-up thread imports the kernels: imported
    # first, so that the two threads never wait on each other's module locks (a
    # _DeadlockError through numpy.random otherwise, seen on reruns that reuse every job)
    from .analysis import limits, yields  # noqa: F401
    from .framework import rundir, scheduler as _scheduler  # noqa: F401

    local = scheduler is None and not processes
    warm = threading.Thread(target=_warm_up, args=(st, jobs if local else [], gc_phase),
                            name="mcpgen-warm-up", daemon=True)
    warm.start()
    plotter = ReachPlotProcess(distributions=bool(st.output.distributions))
    try:
        return _run_jobs(st, jobs, out, events, seed, workers, scheduler, processes, progress,
                         t0, plotter)
    finally:
        plotter.close()
        warm.join()   # never leave it loading code behind a failed run


def _run_jobs(st, jobs, out, events, seed, workers, scheduler, processes, progress, t0,
              plotter):
    from .analysis.limits import signal_upper_limit
    from .framework import scheduler as sched
    from .framework.jobs import jobs_of
    from .framework.rundir import RunFolder, run_identity

    lim = st.limits
    s_up = signal_upper_limit(lim.cl, lim.method, lim.background, lim.n_observed)
    identity = run_identity(st, seed=st.run.seed if seed is None else seed,
                            events=st.run.events if events is None else events)
    description = {"steering_file": str(st.path) if st.path else None, "seed": seed,
                   "events": events, "mcpgen_version": __version__}
    with RunFolder(out, identity, description) as folder:
        todo = [j for j in jobs if folder.finished(j) is None]
        bar = None
        if progress:
            from .framework.progress import RunProgress, compile_notice

            if todo:
                compile_notice()
            bar = RunProgress(len(todo))
        log = bar is not None and bar.bar is None
        try:
            n_workers = sched.default_workers(len(todo)) if workers is None else workers
            sched.run_jobs(_job_task, [(st, j, str(out), seed, events, identity, log)
                                       for j in todo],
                           workers=n_workers, address=scheduler, processes=processes,
                           progress=None if bar is None else bar.job_done)
        finally:
            if bar is not None:
                bar.close()
        finished = {j: folder.finished(j) for j in jobs_of(st)}   # every split of the study
        missing = [j for j in todo if finished[j] is None]
        if missing:
            raise ConfigError(f"{len(missing)} jobs left no file here (first: {missing[0].filename});"
                              " workers of a remote scheduler must see this folder at the same "
                              "path", file=out, key="--scheduler")
        metas = [m for m in finished.values() if m is not None]
        _write_exports(st, out, metas)
        plotted = [out / _file_of(m) for m in metas if st.output.plots_mass(m["mass_MeV"])]
        points, files = write_summary(
            out, metas, s_up, title=f"{st.run.name}: {100 * st.limits.cl:g}% CL, s_up = {s_up:.3g}",
            provenance=_provenance(st, metas, s_up, time.perf_counter() - t0,
                                   dict(events=events, seed=seed, workers=workers,
                                        scheduler=scheduler, processes=processes)),
            plotter=plotter, plots=st.plots, distributions=plotted)
        if st.output.hepdata:
            from .analysis.hepdata import write_hepdata

            write_hepdata(out, overwrite=True, lock=False)   # the run holds the lock
    return RunResult(out=out, files=files, yields=points, seconds=time.perf_counter() - t0,
                     reused=len(jobs) - len(todo))


class _LoadPhaseGC:
    """The cyclic garbage collector of one :func:`run`: paused while the libraries load,
    then blind to what they loaded, and back to normal when the run ends.

    Loading numba, scipy and uproot and the cached kernels makes ~2e5 long-lived
    objects (modules, types, functions); the collector scanned them at each full
    collection (three in a default run, 0.15-0.25 s of the GIL).  They are not
    garbage, so collection is paused until they are loaded (:meth:`resume`, from the
    warm-up thread, at the latest after :attr:`MAX_PAUSE` seconds: a first run that
    compiles the kernels makes cyclic garbage and collects as usual), they are then
    frozen (``gc.freeze``: later collections skip them), and :meth:`close` unfreezes
    everything, so no object stays exempt after the run.  Nothing is touched if the
    caller disabled the collector or froze objects itself.
    """

    #: longest pause (s); loading takes ~1 s
    MAX_PAUSE = 2.0

    def __init__(self):
        import gc
        import threading

        self._gc = gc
        self._lock = threading.Lock()
        self._active = gc.isenabled() and gc.get_freeze_count() == 0
        self._paused = self._active
        self._timer = None
        if self._active:
            gc.disable()
            self._timer = threading.Timer(self.MAX_PAUSE, self.resume)
            self._timer.daemon = True
            self._timer.start()

    def resume(self):
        """The libraries are loaded: freeze them and collect normally again."""
        with self._lock:
            if self._paused:
                self._gc.freeze()
                self._gc.enable()
                self._paused = False

    def close(self):
        if self._timer is not None:
            self._timer.cancel()
        self.resume()
        with self._lock:
            if self._active:
                self._gc.unfreeze()
                self._active = False


def _warm_up(st, jobs, gc_phase=None):
    """Load the kernels of the jobs' channels (first job of each).  Errors are left to
    the jobs themselves, which report them."""
    try:
        from .framework.jobs import settings_for
        from .framework.registry import PROCESSES

        for channel in dict.fromkeys(j.channel for j in jobs):
            job = next(j for j in jobs if j.channel == channel)
            setup = st.setups[job.setup_index]
            PROCESSES.get(channel).build(setup.source, job.mass, settings_for(st, setup, channel),
                                         0).warm_up()
    except Exception:  # noqa: BLE001 - the job (or the plot) raises the same error itself
        pass
    finally:
        if gc_phase is not None:
            gc_phase.resume()


def write_summary(out, metas, s_up, *, title="", provenance=None, plotter=None, plots=None,
                  distributions=()):
    """Write the summary files for job metadata ``metas``; return (points, files).
    ``plots``: the steering's :class:`~mcpgen.plot_spec.PlotSpec` (default: the one in
    the job metadata); ``plotter``: an optional
    :class:`~mcpgen.analysis.plots.ReachPlotProcess` that draws the reach figures
    (in-process if it fails); ``distributions``: ROOT files whose distribution plots go
    to ``out/distributions``."""
    from .analysis.yields import channel_sums, point_from_metadata, write_limits_csv, \
        write_yields_csv
    from .framework.rundir import write_atomic

    out = Path(out)
    points = channel_sums([point_from_metadata(m, s_up=s_up) for m in metas])
    try:
        write_yields_csv(points, out / "yields.csv")
        write_limits_csv(points, out / "limits.csv")
        _write_detector_csv(metas, out / "detector.csv")
        bands = {m["label"]: m["band"] for m in metas if m.get("band")}
        if plots is None:
            plots = next((m["plot_spec"] for m in metas if m.get("plot_spec")), None)
        request = None
        if distributions:
            request = {"paths": [str(p) for p in distributions],
                       "out": str(out / "distributions"), "formats": ["png", "pdf"]}
        if plotter is None or not plotter.plot(points, out, plots, title=title, bands=bands,
                                               distributions=request):
            from .analysis.plots import reach_figures

            reach_figures(points, out, plots, title=title, bands=bands)
            if request:
                from .analysis.distributions import plot_request

                plot_request(request)
    except OSError as e:
        raise ConfigError(f"cannot write the summary files: {e.strerror or e}", file=out) from None
    if provenance is not None:
        write_atomic(out / "provenance.json",
                     json.dumps(provenance, indent=2, default=str, allow_nan=False).encode())
    files = sorted(out / f"{_file_of(m)}" for m in metas)
    return points, files


def _write_exports(st, out, metas):
    """The ``[output] export`` files of the finished jobs (``mcpgen export``); exports
    written for the same job file and chi id are kept."""
    if st.output.export and metas:
        from .io.export import export_run_files

        export_run_files([out / _file_of(m) for m in metas], st.output.export,
                         chi_pdgid=st.output.chi_pdgid, overwrite=True)


def _write_detector_csv(metas, path):
    """``detector.csv`` when the detector module tallies something (the chi flux through a
    scattering detector): one row per job and quantity, the count at eps = 1 (exposure x
    sum w q / eps_ref^p) and the power p of eps it scales with."""
    from .analysis.yields import _write_csv

    rows = []
    for m in sorted(metas, key=lambda m: (m["label"], m["mass_MeV"], m["channel"])):
        for name, t in (m.get("detector_tally") or {}).items():
            power = float(m.get("eps_power", 2)) + float(t["detector_eps_power"])
            at1 = float(m["exposure"]) * float(t["sum"]) / float(m["eps"]) ** power
            rows.append([m["label"], m["channel"], repr(float(m["mass_MeV"])), name,
                         repr(at1), repr(power), t["doc"]])
    if rows:
        _write_csv(path, ("label", "channel", "m_chi_MeV", "quantity", "count_at_eps1",
                          "eps_power", "meaning"), rows)


def _file_of(meta):
    from .framework.jobs import Job

    j = meta["job"]
    return j.get("file") or Job(0, j["label"], j["channel"], j["mass_MeV"]).filename


def collect(dirs, out=None, *, cl=None, method=None, background=None, observed=None):
    """Merge the job files of run folders ``dirs`` (splits of one study) into yields.csv,
    limits.csv and reach.png in ``out`` (default: the first folder).  The limit settings
    default to those of the steering the jobs were made from."""
    from .analysis.limits import signal_upper_limit
    from .framework.rundir import RunFolder, read_identity
    from .io.root import read_metadata

    if out is not None and str(out).strip() == "":
        raise ConfigError("empty output folder name; allowed: a folder path", key="--out")
    dirs = [Path(d) for d in dirs]
    if not dirs:
        raise ConfigError("no run folders given", key="DIR")
    metas, identity = {}, None
    for d in dirs:
        ident = read_identity(d)
        if identity is not None and ident != identity:
            raise ConfigError("holds the jobs of another run (other steering, seed or event "
                              "count) than the first folder", file=d)
        identity = ident
        for f in sorted(d.glob("*.root")):
            m = read_metadata(f)
            if m.get("run_identity") != identity:
                continue
            key = (m["job"]["label"], m["job"]["channel"], f"{m['job']['mass_MeV']:.6g}")
            if key in metas and metas[key]["job_seed"] != m["job_seed"]:
                raise ConfigError(f"job {key} differs between folders", file=f)
            metas.setdefault(key, m)
    if not metas:
        raise ConfigError("no finished jobs found", file=dirs[0])
    lim = next(iter(metas.values()))["limits"]
    cl = lim["cl"] if cl is None else cl
    method = lim["method"] if method is None else method
    background = lim["background"] if background is None else background
    observed = lim["n_observed"] if observed is None else observed
    s_up = signal_upper_limit(cl, method, background, observed)
    out = Path(out) if out is not None else dirs[0]
    # the figures of the latest run of the first folder (the job files keep the spec of
    # the run that made them)
    plots = _read_provenance(dirs[0]).get("plot_spec")
    sources = [str(d.resolve()) for d in dirs]
    # the output folder is a run folder of the same study (new, empty, or one of its splits):
    # a summary never lands beside another run's files
    with RunFolder(out, identity, {"collected_from": sources}):
        metas = list(metas.values())   # the order of the files: outputs as the run's
        # the folder's own provenance (steering, packages) with the merged job list
        provenance = {**_read_provenance(out), "mcpgen_version": __version__,
                      "collected_from": sources, "s_up": s_up, "plot_spec": plots,
                      "files": _file_entries(metas)}
        name = (provenance.get("steering") or {}).get("run", {}).get("name")
        title = (f"{name}: " if name else "") + f"{100 * cl:g}% CL, s_up = {s_up:.3g}"
        points, _ = write_summary(out, metas, s_up, title=title, plots=plots,
                                  provenance=provenance)
        if (out / "hepdata").is_dir():   # refresh a submission of the folder
            from .analysis.hepdata import write_hepdata

            write_hepdata(out, overwrite=True, lock=False)
    return points


def _read_provenance(folder) -> dict:
    try:
        d = json.loads((Path(folder) / "provenance.json").read_text())
    except (OSError, ValueError):
        return {}
    return d if isinstance(d, dict) else {}


def _file_entries(metas) -> list:
    """The per-job lines of provenance.json."""
    return [{"file": _file_of(m), "label": m["label"], "channel": m["channel"],
             "mass_MeV": m["mass_MeV"], "sigma": m.get("sigma", m.get("sigma_pb")),
             "sigma_err": m.get("sigma_err", m.get("sigma_err_pb")),
             "weight_unit": m.get("weight_unit", "pb"), "events": m["events"],
             "job_seed": m["job_seed"], "setup_seconds": m.get("setup_seconds"),
             "cpu_seconds": m.get("cpu_seconds")} for m in metas]


def _provenance(st, metas, s_up, seconds, overrides):
    import platform
    import sys
    from importlib import metadata as md

    pkgs = {}
    for p in ("numpy", "numba", "awkward", "uproot", "vegas", "scipy", "hepunits", "particle",
              "distributed"):
        try:
            pkgs[p] = md.version(p)
        except md.PackageNotFoundError:
            pkgs[p] = None
    return {
        "mcpgen_version": __version__, "python": sys.version.split()[0],
        "platform": platform.platform(), "packages": pkgs,
        "steering_file": str(st.path) if st.path else None, "steering": st.to_dict(),
        "overrides": overrides, "s_up": s_up, "wall_seconds": seconds,
        "plot_spec": st.plots.to_dict(), "files": _file_entries(metas),
    }
