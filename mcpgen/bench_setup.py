"""Benchmark of the per-mass set-up of the sampler (issue 6, item 4).

``python -m mcpgen.bench_setup`` prints, side by side, the seconds spent in training +
integration per mass point and the relative error of sigma reached:

* baseline: ``train()`` (8 x 20000 pseudo-random points) + 200000 pseudo-random points,
  the method of the parent commit (its plain-MC integration is reproduced here by
  :func:`_plain_integrate`, point for point);
* new: :meth:`BremGenerator.prepare` at rel_err = 1e-3 (the steering default), and at the
  relative error the baseline reached (same precision).

Speed-ups: at the same precision, new(baseline's error) vs baseline; at 1e-3, new(1e-3)
vs the baseline with its integration scaled to 1e-3 (time x (error / 1e-3)^2).
Times are CPU seconds of this process (``time.process_time``; the kernels are single
threaded), median over seeds, methods interleaved so that both see the same machine load.
"""

from __future__ import annotations

import math
import statistics
import sys
import time

CASES = (
    # label, beam, E0 (MeV), target, thickness (mm, or "k X0"), x_min, masses (MeV)
    ("NA64mu 160 GeV mu- Pb 22.5 cm", "mu-", 160e3, "Pb", 225.0, 0.5, (10.0, 30.0, 100.0, 300.0, 1000.0)),
    ("LDMX 8 GeV e- Al 0.4 X0 (tsai)", "e-", 8e3, "Al", "0.4 X0", 0.7, (10.0,)),
    ("NA64e 100 GeV e- Pb 40 X0 (tsai)", "e-", 100e3, "Pb", "40 X0", 0.5, (100.0,)),
)


def _setup(beam, energy, target, length, x_min, mass, method="etl"):
    from .generators.brem import BremSetup
    from .sources.materials import get_material

    mat = get_material(target)
    if isinstance(length, str):
        length = float(length.split()[0]) * mat.X0
    return BremSetup(beam=beam, energy=energy, material=mat, m_chi=mass, x_min=x_min, method=method,
                     source="target", length=length, electron_length="tsai")


def _plain_integrate(g, n_points=200_000):
    """The parent commit's integration: n_points pseudo-random points in blocks of
    BLOCK_SIZE from block_rng(seed, "integrate", b); returns (sigma, error)."""
    import numpy as np

    from . import rng as _rng
    from .generators import brem_kernels as K

    s1 = s2 = 0.0
    n = 0
    for b, size in _rng.block_sizes(n_points):
        ys, jac, rs = g._points(_rng.block_rng(g.seed, "integrate", b), size)
        w = np.empty(size)
        K.brem_weights(ys, rs, g._par, w)
        f = w * jac
        s1 += f.sum()
        s2 += (f * f).sum()
        n += size
    mean = s1 / n
    return mean, math.sqrt(max(s2 / n - mean * mean, 0.0) / (n - 1))


def _baseline(setup, seed):
    from .generators.brem import BremGenerator

    g = BremGenerator(setup, seed=seed)
    t = time.process_time()
    g.train()
    t_train = time.process_time() - t
    sigma, err = _plain_integrate(g)
    return time.process_time() - t, sigma, err / sigma, 200_000, t_train


def _new(setup, seed, rel_err):
    from .generators.brem import BremGenerator

    g = BremGenerator(setup, seed=seed)
    t = time.process_time()
    xs = g.prepare(rel_err)
    return time.process_time() - t, xs.sigma_pb, xs.sigma_err_pb / xs.sigma_pb, xs.n_points


def measure(seeds=(1, 2, 3), cases=CASES, rel_err=1e-3):
    """One row per (set-up, mass): medians over ``seeds`` of the baseline and the new way."""
    rows = []
    for label, beam, energy, target, length, x_min, masses in cases:
        _new(_setup(beam, energy, target, length, x_min, masses[0]), 99, 0.05)   # JIT warm-up
        for m in masses:
            s = _setup(beam, energy, target, length, x_min, m)
            base, new, same = [], [], []
            for seed in seeds:
                b = _baseline(s, seed)
                base.append(b)
                new.append(_new(s, seed, rel_err))
                same.append(_new(s, seed, b[2]))
            med = lambda rs, i: statistics.median(r[i] for r in rs)   # noqa: E731
            # baseline with its integration scaled from the error it reached to rel_err
            scaled = [b[4] + (b[0] - b[4]) * (b[2] / rel_err) ** 2 for b in base]
            rows.append(dict(
                setup=label, m_chi_MeV=m,
                baseline_s=med(base, 0), baseline_train_s=med(base, 4), baseline_rel_err=med(base, 2),
                new_s=med(new, 0), new_rel_err=med(new, 2), new_points=med(new, 3),
                same_precision_s=med(same, 0), same_precision_rel_err=med(same, 2),
                speedup_same_precision=statistics.median(b[0] / n[0] for b, n in zip(base, same)),
                speedup_at_rel_err=statistics.median(sc / n[0] for sc, n in zip(scaled, new)),
                sigma_baseline=med(base, 1), sigma_new=med(new, 1)))
    return rows


def main(argv=None, stream=sys.stdout) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3, help="seeds per mass point (default 3)")
    ap.add_argument("--rel-err", type=float, default=1e-3, help="target relative error (default 1e-3)")
    a = ap.parse_args(argv)
    rows = measure(seeds=tuple(range(1, a.seeds + 1)), rel_err=a.rel_err)

    def say(msg=""):
        print(msg, file=stream, flush=True)

    say(f"training + integration per mass point, CPU seconds (median of {a.seeds} seeds), ETL, x_min as listed")
    say(f"{'set-up':34s} {'m [MeV]':>8s} | {'baseline s':>10s} {'rel err':>8s} | "
        f"{'new s':>7s} {'rel err':>8s} {'points':>7s} | {'same-prec s':>11s} {'rel err':>8s} | "
        f"{'x same prec':>11s} {'x at ' + format(a.rel_err, 'g'):>9s}")
    for r in rows:
        say(f"{r['setup']:34s} {r['m_chi_MeV']:8g} | {r['baseline_s']:10.3f} {r['baseline_rel_err']:8.2e} | "
            f"{r['new_s']:7.3f} {r['new_rel_err']:8.2e} {r['new_points']:7.0f} | "
            f"{r['same_precision_s']:11.3f} {r['same_precision_rel_err']:8.2e} | "
            f"{r['speedup_same_precision']:11.1f} {r['speedup_at_rel_err']:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
