"""One job = one (set-up, channel, mass): generate, detect and write, streamed.

The job builds the process for its source and mass, integrates it to the run's
precision, fixes the trial count, then makes its events block by block
(:data:`mcpgen.rng.BLOCK_SIZE` points each): process -> detector -> ROOT writer,
accumulating the yield sums as it goes, so memory stays flat in the number of
events and nobody re-reads the file for the yields.

Job seeds are keyed by (master seed, set-up label, channel, mass), not by the
position in the scan, so any split of a scan makes the same events.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import numpy as np

from .. import __version__
from .. import rng as _rng
from ..errors import ConfigError


@dataclass(frozen=True)
class Job:
    """The key of a job; ``setup_index`` only locates the set-up in the steering."""

    setup_index: int
    label: str
    channel: str
    mass: float
    tagged: bool = True   #: the file name names the channel (studies of several channels)

    @property
    def mass_text(self) -> str:
        return f"{self.mass:.6g}"

    @property
    def filename(self) -> str:
        """``<label>_m<mass>MeV.root``, ``<label>_<channel>_m<mass>MeV.root`` when the
        study has several channels."""
        from ..steering import slug

        channel = f"_{self.channel}" if self.tagged else ""
        return f"{slug(self.label)}{channel}_m{self.mass_text}MeV.root"


def job_seed(master: int, job: Job) -> int:
    """Seed of ``job``: a hash of (master seed, label, channel, mass to 6 digits)."""
    key = f"{job.label}\x00{job.channel}\x00{job.mass_text}".encode()
    words = np.frombuffer(hashlib.sha256(key).digest(), dtype=np.uint32)
    ss = np.random.SeedSequence([int(master) & 0xFFFFFFFF, int(master) >> 32, *words.tolist()])
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def jobs_of(steering, *, masses=None, labels=None) -> list:
    """The jobs of a steering, optionally restricted to some masses (MeV) and set-up labels.

    A (set-up, channel) is skipped at the masses at or above its kinematic limit (a
    meson channel closes at m_meson/2, an e+e- set-up above sqrt(s)/2) as long as some
    other set-up or channel of the steering is open there; a mass that nothing can
    make stays, so that :func:`check_job` reports it."""
    from ..framework.registry import PROCESSES

    channels = steering.physics.channels
    limits = {(i, c): PROCESSES.get(c).mass_limit(s.source, settings_for(steering, s, c))
              for i, s in enumerate(steering.setups) for c in channels}
    out = []
    for i, s in enumerate(steering.setups):
        if labels is not None and s.label not in labels:
            continue
        for channel in channels:
            for m in steering.physics.masses:
                if masses is not None and f"{m:.6g}" not in {f"{x:.6g}" for x in masses}:
                    continue
                if not m < limits[(i, channel)] and any(m < v for v in limits.values()):
                    continue
                out.append(Job(i, s.label, channel, float(m), len(channels) > 1))
    return out


def settings_for(steering, setup, channel):
    """Generator settings of ``channel`` for ``setup`` (the process's own hook)."""
    from ..framework.registry import PROCESSES

    return PROCESSES.get(channel).settings(steering, setup)


def check_job(steering, job) -> None:
    """Raise ConfigError (naming the steering file) if the job's mass cannot be produced."""
    from ..framework.registry import PROCESSES

    setup = steering.setups[job.setup_index]
    proc = PROCESSES.get(job.channel)
    limit = proc.mass_limit(setup.source, settings_for(steering, setup, job.channel))
    if not job.mass < limit:
        raise ConfigError(f"mass {job.mass:g} MeV is at or above the kinematic limit {limit:g} MeV "
                          f"of {job.channel} for set-up {job.label!r}; allowed: mass < {limit:g} MeV",
                          file=steering.file, key="physics.masses")


class YieldAccumulator:
    """Sums of w eff (and their squares) over passing events, per efficiency model."""

    def __init__(self, model):
        self.model = model
        self.sum_w = 0.0
        self.sum_we = 0.0
        self.sum_we2 = 0.0
        self.n_pass = 0
        self.table = np.zeros(len(model.grid)) if model.kind == "table" else None
        self.table2 = np.zeros(len(model.grid)) if model.kind == "table" else None

    def add(self, batch):
        w = np.asarray(batch.weight, np.float64)
        passed = np.asarray(batch.det_pass, bool)
        we = w[passed] * np.asarray(batch.det_eff, np.float64)[passed]
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(we))):
            raise FloatingPointError("non-finite event weight or efficiency")
        eff = np.asarray(batch.det_eff, np.float64)[passed]
        if np.any((eff < 0.0) | (eff > 1.0)):
            raise ValueError("detector efficiencies must lie in [0, 1]")
        self.sum_w += float(w.sum())
        self.sum_we += float(we.sum())
        self.sum_we2 += float((we * we).sum())
        self.n_pass += int(passed.sum())
        if self.table is not None:
            p = np.asarray(batch.det_eff_table, np.float64)[passed]
            if np.any((p < 0.0) | (p > 1.0)) or not np.all(np.isfinite(p)):
                raise ValueError("tabulated detection probabilities must lie in [0, 1]")
            self.table += (w[passed, None] * p).sum(axis=0)
            self.table2 += ((w[passed, None] * p) ** 2).sum(axis=0)

    def to_dict(self) -> dict:
        d = {"sum_w": self.sum_w, "sum_w_eff": self.sum_we, "sum_w2_eff2": self.sum_we2,
             "n_pass": self.n_pass, "efficiency_model": self.model.to_dict()}
        if self.table is not None:
            d["table_sum_w_eff"] = self.table.tolist()
            d["table_sum_w2_eff2"] = self.table2.tolist()
        return d


def run_job(steering, job, out_dir, *, seed=None, events=None, identity=None,
            progress=None) -> dict:
    """Run ``job`` into ``out_dir/job.filename`` (atomic); return its metadata.

    Weights are stored at the steering's reference eps.  The metadata holds the
    yield sums (``yield_sums``), the exposure of the source and the job key.
    """
    from ..framework.registry import PROCESSES
    from ..io.root import EventLayout, EventWriter
    from .scheduler import check_cancelled
    from pathlib import Path

    st = steering
    setup = st.setups[job.setup_index]
    source, module = setup.source, setup.module
    module.eps_ref = st.physics.eps
    master = st.run.seed if seed is None else int(seed)
    n_events = st.run.events if events is None else int(events)
    unweighted = st.run.unweighted
    jseed = job_seed(master, job)
    eps = st.physics.eps
    t0 = time.perf_counter()
    proc_cls = PROCESSES.get(job.channel)
    proc = proc_cls.build(source, job.mass, settings_for(st, setup, job.channel), jseed)
    xs = proc.integrate(st.run.precision, st.run.integrate_events)
    check_cancelled()
    t_setup = time.perf_counter() - t0
    n_trials = proc.plan(n_events, unweighted)
    scale = eps ** proc.eps_power
    declared = tuple(proc.columns) + tuple(module.columns)
    layout = None
    acc = YieldAccumulator(module.efficiency_model)
    tally = {}
    meta = {**proc.metadata(), **source.metadata(), "label": setup.label, "band": setup.band,
            "channel": job.channel,
            "mass_MeV": job.mass, "eps": eps, "detector": module.metadata(),
            "particles": [vars(p) | {"mass": None if p.mass != p.mass else p.mass}
                          for p in proc.particles],
            "chi_pdgids": [p.pdgid for p in proc.particles if p.label in ("chi", "chibar")],
            "weight_unit": proc.weight_unit,
            "sigma": xs.sigma * scale, "sigma_err": xs.sigma_err * scale,
            "sigma_points": xs.n_points, "unweighting_efficiency": xs.efficiency,
            "unweighted": unweighted, "trials": n_trials, "seed": master, "job_seed": jseed,
            "job": {"label": job.label, "channel": job.channel, "mass_MeV": job.mass,
                    "file": job.filename},
            "run_identity": identity, "mcpgen_version": __version__,
            "plot_spec": st.plots.to_dict(),
            "limits": {"cl": st.limits.cl, "method": st.limits.method,
                       "background": st.limits.background, "n_observed": st.limits.n_observed}}
    if proc.weight_unit == "pb":   # the names of format 2 for cross sections
        meta.update(sigma_pb=meta["sigma"], sigma_err_pb=meta["sigma_err"])
    path = Path(out_dir) / job.filename
    writer = None
    try:
        done = 0
        for b, size in _rng.block_sizes(n_trials):
            check_cancelled()
            batch = proc.block(b, size, n_trials, unweighted)
            batch.weight = batch.weight * scale
            module.apply(batch, source, _rng.block_rng(jseed, "detector", b))
            acc.add(batch)
            for key, value in module.tally(batch).items():
                tally[key] = tally.get(key, 0.0) + value
            if writer is None:
                layout = EventLayout.of(batch, declared=declared)
                writer = EventWriter(path, layout, meta, st.text or "").open()
            writer.write(batch)
            done += len(batch)
            if progress is not None:
                progress(len(batch))
        if writer is None:  # no trials at all cannot happen (plan >= 1), but stay safe
            raise RuntimeError("no events generated")
        seconds = time.perf_counter() - t0
        tally = {k: {"sum": v, "detector_eps_power": module.tallies[k][0],
                     "doc": module.tallies[k][1]}
                 for k, v in tally.items()}
        writer.metadata.update(events=done, sum_weights=acc.sum_w, yield_sums=acc.to_dict(),
                               detector_tally=tally,
                               setup_seconds=t_setup, cpu_seconds=seconds)
        if proc.weight_unit == "pb":
            writer.metadata["sum_weights_pb"] = acc.sum_w
        writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    return writer.metadata
