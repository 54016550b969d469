"""Benchmarks: ``mcpgen bench`` prints the figures the README quotes.

* sampler speed, weighted and unweighted events per second on one core after
  warm-up (compilation and VEGAS training excluded), for a muon and an
  electron set-up;
* the WW sampler against bare kernels that draw the same uniforms and write the same
  arrays (:mod:`mcpgen.bench_kernel`);
* ROOT writing rate (MB/s of event payload) through :mod:`mcpgen.io.root`;
* peak resident memory of the process;
* ``--memory``: peak RSS and events/s of one streamed mass point at 1e5, 1e6 and 1e7
  weighted ETL events written to ROOT, each in a fresh process.

The machines are shared and noisy: compare figures within one run.
"""

from __future__ import annotations

import resource
import sys
import time


def _sampler(label, beam, energy, target, mass, method, n_events):
    from .generators.brem import BremGenerator, BremSetup
    from .sources.materials import get_material

    s = BremSetup(beam=beam, energy=energy, material=get_material(target), m_chi=mass, x_min=0.5,
                  method=method, source="target", length=10 * get_material(target).X0)
    g = BremGenerator(s, seed=2024)
    g.train()
    g.integrate(200_000)
    out = {"label": label, "method": method, "unweighting_efficiency": g.xsec.efficiency}
    for mode in ("weighted", "unweighted"):
        unw = mode == "unweighted"
        g.generate(10_000, unweighted=unw)  # warm-up (JIT, caches)
        t = time.perf_counter()
        c = time.process_time()
        ev = g.generate(n_events, unweighted=unw)
        wall = time.perf_counter() - t
        cpu = time.process_time() - c
        out[f"{mode}_events_per_s"] = len(ev) / wall
        out[f"{mode}_events_per_cpu_s"] = len(ev) / cpu
    return out


def _etl(label, beam, energy, target, mass, n_events):
    """Issue 3 figures: time to sigma_ETL at 0.1% statistical precision (training +
    integration, after warm-up), and unweighted ETL events per second."""
    from .generators.brem import BremGenerator, BremSetup
    from .sources.materials import get_material

    s = BremSetup(beam=beam, energy=energy, material=get_material(target), m_chi=mass, x_min=0.5,
                  method="etl")
    warm = BremGenerator(s, seed=1)
    warm.train(2000, 2)
    warm.integrate(10_000)
    warm.generate(1000, unweighted=True)
    g = BremGenerator(s, seed=2024)
    t = time.perf_counter()
    g.train()
    t_train = time.perf_counter() - t
    xs = g.integrate(rel_err=1e-3)
    t_total = time.perf_counter() - t
    g.generate(1000, unweighted=True)
    t = time.perf_counter()
    ev = g.generate(n_events, unweighted=True)
    rate = len(ev) / (time.perf_counter() - t)
    return {"label": label, "sigma_pb": xs.sigma_pb, "rel_err": xs.sigma_err_pb / xs.sigma_pb,
            "points": xs.n_points, "train_s": t_train, "seconds_to_0.1pct": t_total,
            "unweighted_events_per_s": rate, "unweighting_efficiency": xs.efficiency}


def run_benchmarks(n_events: int = 1_000_000, stream=sys.stdout) -> dict:
    from .io.root import bench_root_write

    def say(msg):
        print(msg, file=stream, flush=True)

    res = {"n_events": n_events, "sampler": []}
    say(f"mcpgen bench: {n_events} events per measurement, one core (single thread)")
    for args in [("NA64mu 160 GeV mu- Pb, m_chi = 100 MeV", "mu-", 160e3, "Pb", 100.0, "ww"),
                 ("LDMX 8 GeV e- Al, m_chi = 10 MeV", "e-", 8e3, "Al", 10.0, "ww")]:
        r = _sampler(*args, n_events)
        res["sampler"].append(r)
        say(f"  {r['label']} [{r['method']}]: weighted {r['weighted_events_per_s']:.3g} ev/s, "
            f"unweighted {r['unweighted_events_per_s']:.3g} ev/s "
            f"(unweighting efficiency {r['unweighting_efficiency']:.2f})")
    res["etl"] = []
    for args in [("NA64mu 160 GeV mu- Pb, m_chi = 100 MeV", "mu-", 160e3, "Pb", 100.0),
                 ("LDMX 8 GeV e- Al, m_chi = 10 MeV", "e-", 8e3, "Al", 10.0),
                 ("NA64e 100 GeV e- Pb, m_chi = 100 MeV", "e-", 100e3, "Pb", 100.0)]:
        r = _etl(*args, max(n_events // 5, 10_000))
        res["etl"].append(r)
        say(f"  ETL {r['label']}: sigma at {100 * r['rel_err']:.3f}% in {r['seconds_to_0.1pct']:.2f} s "
            f"({r['points']} points, training {r['train_s']:.2f} s); unweighted "
            f"{r['unweighted_events_per_s']:.3g} ev/s (efficiency {r['unweighting_efficiency']:.2f})")
    from .bench_kernel import kernel_efficiency

    k = kernel_efficiency(n_events)
    res["kernel_efficiency"] = k
    say(f"  kernel efficiency (NA64mu WW weighted, best of 5): sampler {k['sampler']:.3g} "
        f"ev/s = {k['ratio_numba']:.3f} of a bare Numba kernel drawing the same uniforms and "
        f"writing the same arrays ({k['bare_numba']:.3g} ev/s), "
        f"{k['ratio_numpy']:.3f} of one fed numpy block draws ({k['bare_numpy']:.3g} ev/s)")
    from .bench_meson import meson_benchmark

    mb = meson_benchmark(max(1, n_events // 65536))
    res["meson_decays"] = mb
    for ch in ("pi0", "rho"):
        r = mb[ch]
        say(f"  meson decays {ch} ({mb['spectrum']}, m_chi = {r['m_chi_MeV']:g} MeV): sampler "
            f"{r['sampler_events_per_s']:.3g} weighted ev/s = {r['efficiency']:.2f} of a bare "
            f"Numba kernel drawing the same uniforms and writing the same arrays "
            f"({r['bare_events_per_s']:.3g} ev/s)")
    from .bench_ee import ee_benchmark

    res["ee"] = []
    for card in ("stcf_tracker", "stcf_tracker_delta"):
        e = ee_benchmark(max(1, n_events // 262144), card=card)
        res["ee"].append(e)
        say(f"  e+e- -> chi chibar (3 GeV, 1499 MeV, ISR, {card}): generated "
            f"{e['generated_events_per_s']:.3g} ev/s = {e['efficiency']:.2f} of a bare kernel "
            f"({e['bare_events_per_s']:.3g} ev/s); tracker {e['transported_mcps_per_s']:.3g} "
            f"MCPs/s on {e['eps_grid_points']} eps points")
    w = bench_root_write(n_events)
    res["root_write"] = w
    say(f"  ROOT writing ({w['compression']}): {w['payload_MB_per_s']:.1f} MB/s of event payload "
        f"({w['payload_MB']:.0f} MB -> {w['file_MB']:.0f} MB on disk in {w['seconds']:.2f} s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    res["peak_memory_MB"] = peak
    say(f"  peak memory: {peak:.0f} MB")
    return res


# ------------------------------------------------------------ streaming memory benchmark
MEMORY_STEERING = {
    "run": {"name": "bench-memory", "seed": 7, "unweighted": False},
    "physics": {"process": "brem", "method": "etl", "masses": [100.0]},
    "setup": [{"label": "NA64mu", "beam": "mu-", "energy": "160 GeV", "leptons_on_target": 1e14,
               "target": "Pb", "thickness": "22.5 cm", "detector": "na64mu"}],
}


def _memory_point(n_events: int) -> dict:
    """One job of ``n_events`` weighted ETL events written to ROOT, in this process."""
    import tempfile

    from .framework.jobs import jobs_of, run_job
    from .steering import steering_from_dict

    st = steering_from_dict(MEMORY_STEERING)
    job = jobs_of(st)[0]
    with tempfile.TemporaryDirectory(prefix="mcpgen-bench-") as tmp:
        t = time.perf_counter()
        meta = run_job(st, job, tmp, events=n_events)
        wall = time.perf_counter() - t
    gen = wall - meta["setup_seconds"]
    return {"events": meta["events"], "seconds": wall, "events_per_s": meta["events"] / gen,
            "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}


def memory_benchmark(sizes=(100_000, 1_000_000, 10_000_000), stream=sys.stdout) -> dict:
    """Peak RSS and events/s of one mass point (NA64mu, 100 MeV, weighted ETL, written to
    ROOT) at each size, each in a fresh process so that the peaks are separate."""
    import json
    import subprocess

    out = []
    print("mcpgen bench --memory: one NA64mu mass point (100 MeV), weighted ETL events "
          "streamed to ROOT, one fresh process per size", file=stream, flush=True)
    for n in sizes:
        res = subprocess.run([sys.executable, "-m", "mcpgen.bench", "memory", str(int(n))],
                             capture_output=True, text=True, check=True)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        out.append(r)
        print(f"  {r['events']:>10d} events: peak RSS {r['peak_rss_MB']:.0f} MB, "
              f"{r['events_per_s']:.3g} events/s (generation + detector + writing), "
              f"{r['seconds']:.1f} s in all", file=stream, flush=True)
    ratio = out[-1]["peak_rss_MB"] / out[0]["peak_rss_MB"]
    print(f"  peak RSS ratio largest/smallest: {ratio:.2f}", file=stream, flush=True)
    return {"points": out, "rss_ratio": ratio}


if __name__ == "__main__":  # internal entry point of memory_benchmark
    import json as _json

    if len(sys.argv) == 3 and sys.argv[1] == "memory":
        print(_json.dumps(_memory_point(int(sys.argv[2]))))
