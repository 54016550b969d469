"""Meson energy-angle tables per proton on target from real hadronic interaction models.

Proton beam dumps (issue 7, item 2).  The tables hold, for pi0, eta, eta'(958),
rho(770)0, omega(782), phi(1020) (and J/psi(1S) if the model makes any), the number of
mesons per proton on target in bins of log10 of the lab momentum (GeV/c) and of the
lab polar angle to the beam (rad).  They are made by

    python -m mcpgen.sources.meson_tables --model sibyll23d --energy 400 \\
        --events 1500000 --out mcpgen/data/meson_spectra/sibyll23d_400GeV.csv

with SIBYLL-2.3d or PYTHIA-6.428 run through chromo (Fedynitch et al.,
https://github.com/impy-project/chromo) or Pythia 8.317 (pythia8mc, Bierlich et al.,
SciPost Phys. Codebases 8 (2022)).  Only one instance of a Fortran model can live in
a process: each table is one process, and the helper runs (``--secondary-estimate``)
are subprocesses.

Counting (the same for every model): the generator decays every particle with
c tau < 9 mm (chromo's 30 ps default; Pythia 8 ``ParticleDecays:tau0Max = 9``), so
K0S, Lambda, Sigma+-, Xi and Omega stay stable and their decay pi0 are not counted.
Each history entry of a listed species is counted once: prompt mesons, mesons from
decays of other hadrons (K*, Delta, ...) and from decays of other listed species
(eta from eta', pi0 from eta and omega, rho0 from eta' and phi).  ``--direct`` sets
the listed species stable instead (no feed-down among them), to measure the feed-down.

Approximations (written into every table header): p-p collisions at the beam momentum
stand for p-Mo/W; a thick dump makes one inelastic interaction per proton, so mesons
per inelastic collision = mesons per proton on target; the interactions of the
secondary hadrons in the dump are neglected (``--secondary-estimate N`` estimates them
by folding the hadrons above 10 GeV from the primary collision with the model's meson
multiplicities at their energy).

Units are GeV and rad, as in the table files; the run-time source converts at its edge.
Nothing is imported from the models and no work is done at import time.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT_LINE = "# mcpgen meson spectrum table, format 1"

#: (name as the ``particle`` package writes it, PDG id), in table order
SPECIES = (
    ("pi0", 111),
    ("eta", 221),
    ("eta'(958)", 331),
    ("rho(770)0", 113),
    ("omega(782)", 223),
    ("phi(1020)", 333),
    ("J/psi(1S)", 443),
)
MESON_NAMES = tuple(name for name, _ in SPECIES)
MESON_PDGIDS = tuple(pid for _, pid in SPECIES)

#: uniform bins in log10 p [GeV/c] and log10 theta [rad]; values outside are folded
#: into the edge bins (theta = 0 and p -> 0 land in the lowest bin)
LOG10_P_MIN, LOG10_P_MAX, LOG10_P_STEP = -3.0, 2.7, 0.1
LOG10_THETA_MIN, LOG10_THETA_MAX, LOG10_THETA_STEP = -5.0, 0.5, 0.1
N_P_BINS = round((LOG10_P_MAX - LOG10_P_MIN) / LOG10_P_STEP)
N_THETA_BINS = round((LOG10_THETA_MAX - LOG10_THETA_MIN) / LOG10_THETA_STEP)

_EDGES_P = np.round(LOG10_P_MIN + LOG10_P_STEP * np.arange(N_P_BINS + 1), 6)

COLUMNS = ("meson", "log10_p_lo", "log10_p_hi", "log10_theta_lo", "log10_theta_hi",
           "per_pot", "stat_err")

#: model key -> (label, python package that runs it)
MODELS = {
    "sibyll23d": ("SIBYLL-2.3d", "chromo"),
    "pythia6": ("PYTHIA-6.428", "chromo"),
    "pythia8": ("Pythia 8.317", "pythia8mc"),
}
PROJECTILES = {"p": 2212, "pi+": 211}

TAU0_MAX_MM = 9.0  #: c tau above which particles stay stable (chromo's 30 ps)

#: hadrons of the primary collision that interact again in a thick dump, by the
#: projectile that stands for them in ``--secondary-estimate`` (isospin and
#: strangeness ignored: n and hyperons like p, K like pi)
NUCLEON_LIKE = (2212, 2112, 3122, 3222, 3112, 3312, 3322, 3334)
MESON_LIKE = (211, 321, 130, 310)
SECONDARY_E_MIN = 10.0   #: GeV, the lowest secondary energy folded in
GRID_E_MIN = 60.0        #: GeV, lowest grid energy (chromo needs sqrt(s) >= 10 GeV)
_LOG10_E_EDGES = np.arange(1.0, 3.05 + 1e-9, 0.05)

#: mean number of pi0 per decay of the long-lived hadrons kept stable (PDG 2024):
#: K0S -> pi0 pi0 (30.69 %), Lambda -> n pi0 (35.8 %), Sigma+ -> p pi0 (51.57 %)
_PI0_PER_DECAY = {310: 2 * 0.3069, 3122: 0.358, -3122: 0.358, 3222: 0.5157, -3222: 0.5157}

PER_POT_NOTE = ("mesons per proton on target per bin (= per inelastic collision, "
                "see approximations)")
APPROXIMATIONS = (
    "{projectile}-p collisions at beam momentum {energy:g} GeV/c stand for p-Mo/W (no nuclear "
    "target: SIBYLL takes only light nuclei, PYTHIA 6 and Pythia 8 p-p); a thick dump makes one "
    "inelastic interaction per proton, so mesons per inelastic collision = mesons per POT; "
    "interactions of the secondary hadrons in the dump neglected (estimate in "
    "validation/meson_tables.md and secondary_estimate below if given); the generator decays "
    "everything with c tau < 9 mm, each entry of a listed species in the history counted once "
    "(prompt, from decays of other hadrons and of other listed species, e.g. eta from eta'); "
    "K0S, Lambda, Sigma, Xi, Omega kept stable (their pi0 not counted, see "
    "pi0_from_long_lived); {outside} of the mesons outside the binning folded into the edge bins"
)


class ModelNotInstalled(RuntimeError):
    """The Python package that runs the requested model is missing."""


# --------------------------------------------------------------------------------------
# the table file


@dataclass(frozen=True)
class FlatTable:
    """A meson spectrum table as read from disk (one row per non-zero bin)."""

    path: str
    header: dict
    meson: np.ndarray
    log10_p_lo: np.ndarray
    log10_p_hi: np.ndarray
    log10_theta_lo: np.ndarray
    log10_theta_hi: np.ndarray
    per_pot: np.ndarray
    stat_err: np.ndarray

    @property
    def species(self) -> tuple:
        """Mesons with at least one bin, in table order."""
        present = set(self.meson.tolist())
        return tuple(name for name in MESON_NAMES if name in present)

    def multiplicity(self, meson: str, p_min: float = 0.0) -> float:
        """Mesons per POT, summed over the bins (with log10 p_lo >= log10 p_min)."""
        sel = self.meson == meson
        if p_min > 0.0:
            sel &= self.log10_p_lo >= math.log10(p_min) - 1e-9
        return float(self.per_pot[sel].sum())

    def header_multiplicities(self) -> dict:
        """{meson: (per collision, stat. error)} from the ``multiplicity_per_collision`` line."""
        return parse_species_values(self.header["multiplicity_per_collision"])


def parse_species_values(text: str) -> dict:
    """``"pi0 4.1e+00 +- 2e-03; eta ..."`` -> {"pi0": (4.1, 0.002), ...}."""
    out = {}
    for item in text.split(";"):
        fields = item.split()
        if not fields:
            continue
        name, value = fields[0], float(fields[1])
        err = float(fields[3]) if len(fields) >= 4 and fields[2] == "+-" else float("nan")
        out[name] = (value, err)
    return out


def read_columns(path) -> FlatTable:
    """Read a meson spectrum table (format 1) written by :func:`write_table`, validated by
    the run-time reader :func:`mcpgen.sources.meson_spectrum.read_table`, as flat columns."""
    from .meson_spectrum import read_table as read_spectrum

    path = str(path)
    with open(path, newline="") as f:
        first = f.readline().rstrip("\n")
    if first != FORMAT_LINE:
        raise ValueError(f"{path}: not a mcpgen meson table (first line {first!r})")
    t = read_spectrum(path)
    names = [n for n in MESON_NAMES if n in t.species]
    sp = [t.species[n] for n in names]
    meson = np.array([n for n, s in zip(names, sp) for _ in range(len(s.per_pot))], dtype=object)
    lo = np.concatenate([s.lo for s in sp])
    hi = np.concatenate([s.hi for s in sp])
    return FlatTable(path, t.header, meson, lo[:, 0], hi[:, 0], lo[:, 1], hi[:, 1],
                      np.concatenate([s.per_pot for s in sp]),
                      np.concatenate([s.stat_err for s in sp]))


def _edges(lo, step, n):
    return np.round(lo + step * np.arange(n + 1), 6)


def write_table(path, header: dict, per_pot: np.ndarray, stat_err: np.ndarray) -> None:
    """Write the non-zero bins of ``per_pot[species, p bin, theta bin]``."""
    pe = _edges(LOG10_P_MIN, LOG10_P_STEP, N_P_BINS)
    te = _edges(LOG10_THETA_MIN, LOG10_THETA_STEP, N_THETA_BINS)
    lines = [FORMAT_LINE]
    lines += [f"# {k} = {v}" for k, v in header.items()]
    lines.append(",".join(COLUMNS))
    for s, name in enumerate(MESON_NAMES):
        for i, j in zip(*np.nonzero(per_pot[s])):
            lines.append(f"{name},{pe[i]:.1f},{pe[i + 1]:.1f},{te[j]:.1f},{te[j + 1]:.1f},"
                         f"{per_pot[s, i, j]:.3e},{stat_err[s, i, j]:.1e}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# --------------------------------------------------------------------------------------
# the models: each yields per event (pid, final, px, py, pz, en) of the history entries


def _need(package: str, model: str):
    try:
        return __import__(package)
    except ImportError as exc:
        raise ModelNotInstalled(
            f"model {model} needs the Python package {package!r}, which is not installed "
            f"(pip install {package if package != 'pythia8mc' else 'pythia8mc==8.317.2'})"
        ) from exc


def _chromo_events(model, projectile, momentum, n_events, seed, direct):
    _need("chromo", model)
    from chromo.kinematics import FixedTarget, Momentum
    from chromo.models import Pythia6, Sibyll23d

    cls = {"sibyll23d": Sibyll23d, "pythia6": Pythia6}[model]
    gen = cls(FixedTarget(Momentum(momentum), projectile, "p"), seed=int(seed))
    if direct:
        for pid in MESON_PDGIDS:
            if pid in gen._unstable_pids:
                gen.set_stable(pid, True)
    for ev in gen(n_events):
        st = np.asarray(ev.status)
        keep = (st == 1) | (st == 2)   # final and decayed; 3/4 are documentation and beams
        yield (np.asarray(ev.pid)[keep], st[keep] == 1, np.asarray(ev.px)[keep],
               np.asarray(ev.py)[keep], np.asarray(ev.pz)[keep], np.asarray(ev.en)[keep])


def _pythia8_events(model, projectile, momentum, n_events, seed, direct):
    p8 = _need("pythia8mc", model)
    py = p8.Pythia("", False)
    settings = [
        "Print:quiet = on", "Beams:frameType = 3", f"Beams:idA = {PROJECTILES[projectile]}",
        "Beams:idB = 2212", f"Beams:pzA = {momentum!r}", "Beams:pzB = 0.",
        "SoftQCD:inelastic = on", "ParticleDecays:limitTau0 = on",
        f"ParticleDecays:tau0Max = {TAU0_MAX_MM!r}",
        "Random:setSeed = on", f"Random:seed = {int(seed) % 900_000_000}",
    ]
    if direct:
        settings += [f"{pid}:mayDecay = off" for pid in MESON_PDGIDS]
    for s in settings:
        if not py.readString(s):
            raise RuntimeError(f"Pythia 8 rejected the setting {s!r}")
    if not py.init():
        raise RuntimeError("Pythia 8 initialisation failed")
    done = 0
    while done < n_events:
        if not py.next():
            continue
        done += 1
        ev = py.event
        rows = []
        for j in range(ev.size()):
            q = ev[j]
            st = q.status()
            # final particles and decayed hadrons, each once: the last copy of a hadron
            # (status -81..-99 from hadronisation and decays; onia of the hard process and
            # the multiparton interactions, e.g. chi_c, carry -2x..-6x and may be copied);
            # beams (-11..-19) excluded
            if st > 0 or (st <= -21 and q.isHadron() and q.iBotCopyId() == j):
                rows.append((q.id(), st > 0, q.px(), q.py(), q.pz(), q.e()))
        a = np.array(rows, dtype=float).reshape(-1, 6)
        yield a[:, 0].astype(np.int64), a[:, 1] > 0, a[:, 2], a[:, 3], a[:, 4], a[:, 5]


def model_label(model: str) -> str:
    label, package = MODELS[model]
    from importlib.metadata import version

    return f"{label} ({package} {version(package)})"


# --------------------------------------------------------------------------------------
# accumulation


class _Accumulator:
    """Sums and sums of squares of per-event counts, per bin and per species."""

    def __init__(self):
        ns = len(SPECIES)
        self.nbins = ns * N_P_BINS * N_THETA_BINS
        self.sum = np.zeros(self.nbins)
        self.sumsq = np.zeros(self.nbins)
        self.mult_sum = np.zeros(ns)
        self.mult_sumsq = np.zeros(ns)
        self.outside = np.zeros(ns)
        self.sec_nucleon = np.zeros(len(_LOG10_E_EDGES) - 1)
        self.sec_meson = np.zeros(len(_LOG10_E_EDGES) - 1)
        self.long_lived_pi0 = 0.0
        self.n_events = 0
        self._order = np.argsort(MESON_PDGIDS)
        self._sorted = np.asarray(MESON_PDGIDS)[self._order]

    def add(self, batch):
        """``batch``: list of per-event tuples (pid, final, px, py, pz, en)."""
        if not batch:
            return
        ev = np.concatenate([np.full(len(b[0]), k) for k, b in enumerate(batch)])
        pid, final, px, py, pz, en = (np.concatenate([b[i] for b in batch]) for i in range(6))
        self.n_events += len(batch)
        pos = np.clip(np.searchsorted(self._sorted, pid), 0, len(self._sorted) - 1)
        is_meson = self._sorted[pos] == pid
        s = self._order[pos[is_meson]]
        e = ev[is_meson]
        mx, my, mz = px[is_meson], py[is_meson], pz[is_meson]
        pt = np.hypot(mx, my)
        p = np.hypot(pt, mz)
        theta = np.arctan2(pt, mz)
        with np.errstate(divide="ignore"):
            fi = (np.log10(p) - LOG10_P_MIN) / LOG10_P_STEP
            fj = (np.log10(theta) - LOG10_THETA_MIN) / LOG10_THETA_STEP
        i = np.floor(np.nan_to_num(fi, neginf=-1.0)).astype(np.int64)
        j = np.floor(np.nan_to_num(fj, neginf=0.0)).astype(np.int64)   # theta = 0 -> lowest bin
        out = (i < 0) | (i >= N_P_BINS) | (j < 0) | (j >= N_THETA_BINS)
        np.add.at(self.outside, s[out], 1.0)
        i = np.clip(i, 0, N_P_BINS - 1)
        j = np.clip(j, 0, N_THETA_BINS - 1)
        flat = (s * N_P_BINS + i) * N_THETA_BINS + j
        key, cnt = np.unique(e * self.nbins + flat, return_counts=True)
        self.sum += np.bincount(key % self.nbins, weights=cnt, minlength=self.nbins)
        self.sumsq += np.bincount(key % self.nbins, weights=cnt.astype(float) ** 2,
                                  minlength=self.nbins)
        ns = len(SPECIES)
        key, cnt = np.unique(e * ns + s, return_counts=True)
        self.mult_sum += np.bincount(key % ns, weights=cnt, minlength=ns)
        self.mult_sumsq += np.bincount(key % ns, weights=cnt.astype(float) ** 2, minlength=ns)
        # secondary hadrons above 10 GeV and pi0 carriers kept stable (final state only)
        apid = np.abs(pid)
        hot = final & (en > SECONDARY_E_MIN)
        le = np.log10(en[hot])
        self.sec_nucleon += np.histogram(le[np.isin(apid[hot], NUCLEON_LIKE)], _LOG10_E_EDGES)[0]
        self.sec_meson += np.histogram(le[np.isin(apid[hot], MESON_LIKE)], _LOG10_E_EDGES)[0]
        for q, w in _PI0_PER_DECAY.items():
            self.long_lived_pi0 += w * np.count_nonzero(final & (pid == q))

    def results(self):
        n = self.n_events
        shape = (len(SPECIES), N_P_BINS, N_THETA_BINS)
        mean = self.sum / n
        err = np.sqrt(np.maximum(self.sumsq / n - mean**2, 0.0) / n)
        m = self.mult_sum / n
        m_err = np.sqrt(np.maximum(self.mult_sumsq / n - m**2, 0.0) / n)
        return mean.reshape(shape), err.reshape(shape), m, m_err


def generate(model, energy, n_events, seed=1, projectile="p", direct=False, batch=5000):
    """Run ``n_events`` inelastic collisions; return the accumulator and the CPU time."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if projectile not in PROJECTILES:
        raise ValueError(f"unknown projectile {projectile!r}; choose one of {', '.join(PROJECTILES)}")
    events = _pythia8_events if model == "pythia8" else _chromo_events
    acc = _Accumulator()
    t0 = time.process_time()
    buf = []
    for rec in events(model, projectile, float(energy), int(n_events), seed, direct):
        buf.append(rec)
        if len(buf) == batch:
            acc.add(buf)
            buf = []
    acc.add(buf)
    return acc, time.process_time() - t0


def _species_line(values, errors=None, fmt=".4e"):
    parts = []
    for k, name in enumerate(MESON_NAMES):
        item = f"{name} {values[k]:{fmt}}"
        if errors is not None:
            item += f" +- {errors[k]:.2e}"
        parts.append(item)
    return "; ".join(parts)


def make_header(model, energy, projectile, seed, direct, acc, cpu, extra=None):
    _, _, m, m_err = acc.results()
    n = acc.n_events
    frac_out = acc.outside / np.maximum(acc.mult_sum, 1.0)
    header = {
        "model": model_label(model),
        "projectile": projectile,
        "target": "p",
        "beam_energy_GeV": f"{energy:g}",
        "collisions": f"{n}",
        "normalisation": PER_POT_NOTE,
        "approximations": APPROXIMATIONS.format(
            projectile=projectile, energy=energy,
            outside=f"at most {frac_out.max():.1e}"),
        "beam": f"momentum {energy:g} GeV/c along +z on a proton at rest; inelastic collisions "
                "(SIBYLL: all inelastic; PYTHIA 6: chromo's ISUB 11-13,28,53,68,92-96; "
                "Pythia 8: SoftQCD:inelastic)",
        "counting": ("direct: listed species set stable (no feed-down among them)" if direct
                     else "all history entries (listed species decayed by the generator)"),
        "multiplicity_per_collision": _species_line(m, m_err),
        "outside_range_folded": _species_line(frac_out, fmt=".1e"),
        "binning": (f"log10 p/(GeV/c) {LOG10_P_MIN:g}..{LOG10_P_MAX:g} step {LOG10_P_STEP:g}; "
                    f"log10 theta/rad {LOG10_THETA_MIN:g}..{LOG10_THETA_MAX:g} step "
                    f"{LOG10_THETA_STEP:g}; out-of-range values folded into the edge bins"),
        "secondary_hadrons_above_10GeV": (
            f"nucleon-like {acc.sec_nucleon.sum() / n:.4f}, meson-like "
            f"{acc.sec_meson.sum() / n:.4f} per collision (final state, E > 10 GeV)"),
        "pi0_from_long_lived": (
            f"{acc.long_lived_pi0 / n:.4f} per collision if every K0S, Lambda, Sigma+ decayed "
            "(not counted)"),
        "seed": f"{seed}",
        "cpu_seconds": f"{cpu:.0f}",
    }
    if extra:
        header.update(extra)
    return header


# --------------------------------------------------------------------------------------
# secondary interactions in the dump, one generation


def _grid(energy):
    n = max(3, 1 + math.ceil(math.log2(energy / GRID_E_MIN)))
    return np.geomspace(GRID_E_MIN, energy, n)


def _interp_log(e, grid, values):
    """Linear in ln E, extrapolated linearly below the grid; clipped at 0."""
    x, lg = np.log(e), np.log(grid)
    y = np.interp(x, lg, values)
    slope = (values[1] - values[0]) / (lg[1] - lg[0])
    y = np.where(x < lg[0], values[0] + slope * (x - lg[0]), y)
    return np.maximum(y, 0.0)


def secondary_estimate(model, energy, acc, events_per_point, seed):
    """Mesons made by one more generation: hadrons above 10 GeV from the primary
    collision, each interacting once more (thick dump), with the model's p-p (nucleon-like)
    or pi+-p (meson-like) multiplicities at its energy.  Returns {meson: (all, p > 10 GeV)}
    per primary collision."""
    grid = _grid(energy)
    mult = {}
    with tempfile.TemporaryDirectory() as tmp:
        for a, proj in enumerate(PROJECTILES):
            rows = []
            for k, e in enumerate(grid):
                out = os.path.join(tmp, f"{proj}_{k}.csv")
                cmd = [sys.executable, "-m", "mcpgen.sources.meson_tables", "--model", model,
                       "--energy", f"{e:.6g}", "--events", str(events_per_point),
                       "--projectile", proj, "--seed", str(seed + 1000 + 100 * a + k),
                       "--out", out]
                run = subprocess.run(cmd, capture_output=True, text=True)
                if run.returncode:
                    raise RuntimeError(f"{' '.join(cmd)} failed:\n{run.stderr[-2000:]}")
                t = read_columns(out)
                rows.append([(t.multiplicity(name), t.multiplicity(name, p_min=10.0))
                             for name in MESON_NAMES])
            mult[proj] = np.array(rows)      # [grid, species, (all, p>10)]
    centres = 10 ** (0.5 * (_LOG10_E_EDGES[1:] + _LOG10_E_EDGES[:-1]))
    n = acc.n_events
    result = {}
    for s, name in enumerate(MESON_NAMES):
        vals = []
        for c in range(2):
            tot = (acc.sec_nucleon * _interp_log(centres, grid, mult["p"][:, s, c])).sum()
            tot += (acc.sec_meson * _interp_log(centres, grid, mult["pi+"][:, s, c])).sum()
            vals.append(tot / n)
        result[name] = tuple(vals)
    return result, grid


# --------------------------------------------------------------------------------------
# command line


def _parser():
    ap = argparse.ArgumentParser(
        prog="python -m mcpgen.sources.meson_tables",
        description="Meson energy-angle table per proton on target from a hadronic model "
                    "(p in GeV/c, theta in rad, beam momentum in GeV/c).")
    ap.add_argument("--model", required=True, choices=sorted(MODELS))
    ap.add_argument("--energy", required=True, type=float, help="beam momentum in GeV/c")
    ap.add_argument("--events", required=True, type=int, help="number of inelastic collisions")
    ap.add_argument("--out", required=True, help="output CSV path")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--projectile", choices=sorted(PROJECTILES), default="p")
    ap.add_argument("--direct", action="store_true",
                    help="set the listed mesons stable (no feed-down among them)")
    ap.add_argument("--secondary-estimate", type=int, default=0, metavar="N",
                    help="also estimate one generation of secondary interactions with N "
                         "collisions per grid point (subprocesses)")
    return ap


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.events <= 0 or args.energy <= 0:
        print("meson_tables: --events and --energy must be > 0", file=sys.stderr)
        return 2
    try:
        acc, cpu = generate(args.model, args.energy, args.events, args.seed,
                            args.projectile, args.direct)
    except ModelNotInstalled as exc:
        print(f"meson_tables: {exc}", file=sys.stderr)
        return 1
    extra = {}
    _, _, m, _ = acc.results()
    if args.secondary_estimate > 0:
        t0 = time.time()
        sec, grid = secondary_estimate(args.model, args.energy, acc, args.secondary_estimate,
                                       args.seed)
        ratio = [sec[name][0] / m[k] if m[k] > 0 else 0.0 for k, name in enumerate(MESON_NAMES)]
        extra["secondary_estimate"] = (
            "one more generation (hadrons of the primary collision above 10 GeV interacting "
            f"once more; p-p / pi+-p at {', '.join(f'{e:.0f}' for e in grid)} GeV, linear in "
            f"ln E, extrapolated below {grid[0]:.0f} GeV) adds, relative to the table: "
            + "; ".join(f"{name} {r:.2f}" for name, r in zip(MESON_NAMES, ratio))
            + f" ({args.secondary_estimate} collisions per point, {time.time() - t0:.0f} s)")
        per_pot, _, _, _ = acc.results()
        m10 = per_pot[:, _EDGES_P[:-1] >= 1.0 - 1e-9, :].sum(axis=(1, 2))
        extra["secondary_estimate_p_above_10GeV"] = "relative to the table above 10 GeV/c: " + "; ".join(
            f"{name} {sec[name][1] / m10[k] if m10[k] > 0 else 0.0:.2f}"
            for k, name in enumerate(MESON_NAMES))
    header = make_header(args.model, args.energy, args.projectile, args.seed, args.direct,
                         acc, cpu, extra)
    per_pot, err, _, _ = acc.results()
    write_table(args.out, header, per_pot, err)
    print(f"meson_tables: {args.out}: {acc.n_events} collisions, {cpu:.1f} s CPU; per collision "
          + header["multiplicity_per_collision"], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
