"""Command line of mcpgen.

  mcpgen run STEERING [--out DIR] [--events N] [--seed S] [--workers N] [--scheduler ADDRESS]
             [--mass M ...] [--setup LABEL ...]
  mcpgen collect DIR... [--out DIR]
  mcpgen xsec --process brem|darkphoton --beam mu- --energy 160 --target Pb --mass 100 [--xmin 0.5]
              [--method etl|ww|iww] [--eps 1e-4] [--precision 1e-3] [--json]
  mcpgen recast --darkphoton-limit LIMIT.csv STEERING_OR_CARD [--out DIR] [--masses M1,M2,...]
  mcpgen br --meson NAME --mass M [--eps E] [--json]
  mcpgen export FILE.root --format hepmc3|lhe [--out PATH] [--chi-pdgid ID] [--force]
  mcpgen plot FILE.root... [--out DIR] [--format png,pdf] [--force]
  mcpgen hepdata RUN_DIR [--out DIR] [--force]
  mcpgen list
  mcpgen bench [--events N]

Units: energies are in GeV and masses in MeV unless a unit is attached, e.g.
``--energy 160GeV``, ``--energy "8 GeV"``, ``--mass 0.1GeV`` (eV, keV, MeV, GeV, TeV).
Bad input gives one line ``mcpgen: error: ...`` on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys

UNITS_HELP = ("Energies are in GeV and masses in MeV unless given with a unit "
              "(eV, keV, MeV, GeV, TeV), e.g. 160GeV or '8 GeV' or 0.1GeV.")


class _Parser(argparse.ArgumentParser):
    """argparse with the package's one-line errors (exit status 2)."""

    def error(self, message):
        self.exit(2, f"mcpgen: error: {message}\n")


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default, except where it has none (None) or says it itself."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _parser(xsec_process: str = "brem") -> argparse.ArgumentParser:
    fmt = _DefaultsFormatter
    p = _Parser(prog="mcpgen", description="Monte Carlo event generator for millicharged particles.",
                epilog=UNITS_HELP)
    from . import __version__

    p.add_argument("--version", action="version", version=f"mcpgen {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run a study from a steering file", formatter_class=fmt,
                       description="Generate events for every set-up, channel and mass of a steering "
                                   "file, apply the detector, write ROOT files, yields.csv, limits.csv, "
                                   "reach.png and provenance.json into DIR.  Rerunning after a kill "
                                   "reuses the finished jobs.", epilog=UNITS_HELP)
    r.add_argument("steering", help="steering file (TOML); see README 'Steering files'")
    r.add_argument("--out", help="output folder (default: results/<run name>)")
    r.add_argument("--events", type=int, help="events per job, about (overrides run.events)")
    r.add_argument("--seed", type=int, help="master seed (overrides run.seed)")
    r.add_argument("--workers", type=int, help="parallel workers of an embedded dask cluster "
                                                "(default: number of cores; 1 runs in-process); "
                                                "the output does not depend on it")
    r.add_argument("--processes", action="store_true",
                   help="workers as separate processes instead of threads of this process "
                        "(the kernels release the GIL, so threads scale for ETL)")
    r.add_argument("--scheduler", help="address of a running dask scheduler, e.g. "
                                       "tcp://host:8786 (its workers must see --out)")
    r.add_argument("--mass", action="append", help="run only this mass (MeV unless a unit is "
                                                   "given); repeatable")
    r.add_argument("--setup", action="append", help="run only the set-up with this label; repeatable")
    r.add_argument("--quiet", action="store_true", help="no progress bar")

    c = sub.add_parser("collect", help="merge run folders (split jobs) into yields, limits, plot",
                       formatter_class=fmt,
                       description="Merge the job files of one or more run folders of the same "
                                   "study (e.g. made with --mass on several machines) into yields.csv, "
                                   "limits.csv and reach.png.")
    c.add_argument("dirs", nargs="+", metavar="DIR", help="run folders")
    c.add_argument("--out", help="output folder (default: the first DIR)")

    x = sub.add_parser("xsec", help="total cross section of a process at eps = 1",
                       formatter_class=fmt,
                       description="Total cross section of one process and its MC error, at eps = 1 "
                                   "(or --eps).  Each process takes its own options; "
                                   "`mcpgen xsec --process NAME --help` lists them.  brem: l N -> l N "
                                   "chi chibar with (E_chi + E_chibar)/E0 >= XMIN, MASS = m_chi; "
                                   "darkphoton: l N -> l N A' (on-shell A') with E_A'/E0 >= XMIN, "
                                   "MASS = m_A'.", epilog=UNITS_HELP)
    x.add_argument("--process", default=xsec_process, help="production channel (`mcpgen list`)")
    x.add_argument("--eps", default="1", help="millicharge eps (sigma scales as eps^2)")
    x.add_argument("--precision", default="1e-3", help="target relative MC error of sigma")
    x.add_argument("--seed", type=int, default=1, help="random seed, >= 0")
    x.add_argument("--json", action="store_true", help="print one JSON object")
    from .framework.registry import PROCESSES

    if xsec_process in PROCESSES:
        for o in PROCESSES.get(xsec_process).xsec_options:
            if o.flag:
                x.add_argument(o.cli_name, dest=o.name, action="store_true", help=o.help)
            else:
                x.add_argument(o.cli_name, dest=o.name, required=o.required, default=o.default,
                               help=o.help)

    rc = sub.add_parser("recast", help="turn a dark-photon limit into an MCP limit (seed 001 eq. 20)",
                        description="Recast a dark-photon limit eps_up(m_A') into the MCP limit for the same "
                                    "target and missing-energy cut (seed 001 eqs. 18-20).  LIMIT.csv needs the "
                                    "columns m_Aprime_MeV and eps_limit.  The m_chi points come from the "
                                    "steering file (physics.masses) or from --masses; with a detector card and "
                                    "no --masses, 30 points spanning the table.  Writes limits.csv and reach.png.",
                        epilog=UNITS_HELP)
    rc.add_argument("--darkphoton-limit", required=True, dest="limit", help="CSV dark-photon limit")
    rc.add_argument("target", help="steering file, detector card name (na64mu, na64e, ldmx) or card path")
    rc.add_argument("--out", default="results/recast", help="output folder")
    rc.add_argument("--masses", help="comma-separated m_chi values (MeV unless a unit is given)")
    rc.add_argument("--label", help="label of the curve")

    br = sub.add_parser("br", help="branching fraction of a meson to chi pairs",
                        formatter_class=fmt,
                        description="BR(V -> chi chibar) or BR(P -> gamma chi chibar) with the PDG "
                                    "inputs (pdg package, offline); for vector mesons also the BR "
                                    "averaged over the line shape.", epilog=UNITS_HELP)
    br.add_argument("--meson", required=True, help="pi0, eta, eta'(958), rho(770)0, omega(782), "
                    "phi(1020), J/psi(1S), psi(2S), Upsilon(1S|2S|3S), or an alias: rho0, rho, "
                    "omega, phi, J/psi, jpsi, eta', etap, psi2s, upsilon1s, ...")
    br.add_argument("--mass", required=True, help="m_chi (MeV unless a unit is given)")
    br.add_argument("--eps", default="1", help="millicharge eps")
    br.add_argument("--json", action="store_true", help="print JSON (key br)")

    e = sub.add_parser("export", help="write a ROOT event file as HepMC3 (Geant4) or LHE (Pythia 8)",
                       formatter_class=fmt,
                       description="Write the events of one mcpgen ROOT file as HepMC3 (vertices in "
                                   "mm, MeV; for Geant4) or LHE (GeV; for Pythia 8, Beams:frameType = "
                                   "4), next to the file unless --out is given.  README 'Event "
                                   "export'.")
    from .io.export import add_export_arguments

    add_export_arguments(e)

    pl = sub.add_parser("plot", help="differential distributions of event files (PNG, PDF)",
                        formatter_class=fmt,
                        description="Draw the differential distributions of each mcpgen ROOT file "
                                    "(one mass point): generated (event weight) and after the "
                                    "detector (weight x det_eff), one multi-panel figure per file.")
    pl.add_argument("files", nargs="+", metavar="FILE.root", help="mcpgen event files")
    pl.add_argument("--out", help="output folder (default: the distributions/ folder next to "
                                  "each file)")
    pl.add_argument("--format", default="png,pdf", help="comma-separated formats: png, pdf, svg")
    pl.add_argument("--force", action="store_true", help="replace existing figures of the same names")

    h = sub.add_parser("hepdata", help="a run's reach and cross sections as a HEPData submission",
                       formatter_class=fmt,
                       description="Write the eps limits and cross sections of a finished run "
                                   "folder as a HEPData submission, validated with "
                                   "hepdata-validator: OUT/submission.tar.gz (to upload) and "
                                   "OUT/submission/.  Masses in MeV, cross sections in the run's "
                                   "weight unit (pb, or per POT).")
    h.add_argument("run_dir", metavar="RUN_DIR", help="finished run folder (mcpgen run / collect)")
    h.add_argument("--out", help="output folder (default: RUN_DIR/hepdata)")
    h.add_argument("--force", action="store_true", help="replace an earlier mcpgen hepdata output")

    sub.add_parser("list", help="processes, sources, detector modules, cards and materials")

    b = sub.add_parser("bench", help="measure generation speed, ROOT writing and peak memory",
                       formatter_class=fmt)
    b.add_argument("--events", type=int, default=1_000_000, help="events per measurement")
    b.add_argument("--memory", action="store_true", help="only the streaming memory benchmark: "
                                                         "peak RSS at 1e5, 1e6, 1e7 ETL events")
    b.add_argument("--json", action="store_true")
    return p


def _float(value, key):
    from .errors import ConfigError

    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{value!r} is not a number", key=key) from None


def _cmd_xsec(a) -> int:
    from .api import xsec
    from .framework.registry import PROCESSES

    from .units import parse_quantity

    options = {}
    for o in PROCESSES.get(a.process).xsec_options:
        v = getattr(a, o.name)
        if o.kind is not None and v is not None:
            v = parse_quantity(v, o.kind, default_unit=o.cli_unit, key=o.cli_name)
        options[o.name] = v
    res = xsec(a.process, eps=_float(a.eps, "--eps"), seed=a.seed,
               precision=_float(a.precision, "--precision"), **options)
    if a.json:
        print(json.dumps(res))
    else:
        print(" ".join(f"{k} = {v}" for k, v in res.items() if k not in ("sigma_pb", "sigma_err_pb")))
        print(f"sigma = {res['sigma_pb']:.6g} +- {res['sigma_err_pb']:.2g} pb")
    return 0


def _cmd_br(a) -> int:
    from .errors import ConfigError
    from .physics.mesons import report
    from .units import parse_quantity

    mass = parse_quantity(a.mass, "mass", default_unit="MeV", key="--mass")
    eps = _float(a.eps, "--eps")
    if not (eps == eps and 0 < abs(eps) <= 1e3):
        raise ConfigError(f"value {a.eps!r} out of range; allowed: 0 < |eps| <= 1000", key="--eps")
    res = report(a.meson, mass, eps)
    if a.json:
        print(json.dumps(res))
    else:
        print(f"BR({res['decay']}) = {res['br']:.6g} at m_chi = {mass:g} MeV, eps = {eps:g}")
        if "br_line_shape" in res:
            print(f"  averaged over the line shape: {res['br_line_shape']:.6g}")
        print("  " + " ".join(f"{k} = {v}" for k, v in res.items()
                              if k not in ("br", "br_line_shape", "decay", "mass_MeV", "eps")))
    return 0


def _cmd_run(a) -> int:
    from .api import run

    res = run(a.steering, a.out, events=a.events, seed=a.seed, workers=a.workers,
              scheduler=a.scheduler, processes=a.processes, masses=a.mass, setups=a.setup,
              progress=not a.quiet)
    reused = f" ({res.reused} finished jobs reused)" if res.reused else ""
    print(f"mcpgen: {len(res.files)} job files in {res.out}{reused}, {res.seconds:.1f} s")
    _print_points(res.yields)
    return 0


def _print_points(points):
    for p in points:
        iv = p.intervals
        lim = "no reach" if not iv else "excluded: " + ", ".join(
            f"eps > {lo:.3g}" if hi >= 1.0 else f"{lo:.3g} < eps < {hi:.3g}" for lo, hi in iv)
        print(f"  {p.label:>10s} {p.channel:>10s}  m = {p.m_chi:9.4g} MeV   "
              f"N(eps=1) = {p.n_per_eps2:.4g}   {lim}")


def _cmd_export(a) -> int:
    from .io.export import export_main

    return export_main(a)


def _cmd_plot(a) -> int:
    from .analysis.distributions import plot_files

    written = plot_files(a.files, a.out, formats=[f for f in a.format.split(",") if f.strip()],
                         overwrite=a.force)
    print(f"mcpgen: wrote {len(written)} figures" + (f" to {a.out}" if a.out else ""))
    return 0


def _cmd_hepdata(a) -> int:
    from .analysis.hepdata import write_hepdata

    out = write_hepdata(a.run_dir, a.out, overwrite=a.force)
    print(f"mcpgen: wrote {out / 'submission.tar.gz'} (validated) and {out / 'submission'}/")
    return 0


def _cmd_collect(a) -> int:
    from .api import collect

    points = collect(a.dirs, a.out)
    labels = list(dict.fromkeys(p.label for p in points))   # the masses in order, per set-up
    points = sorted(points, key=lambda p: (labels.index(p.label), p.m_chi))
    print(f"mcpgen: wrote yields.csv, limits.csv and the reach figures (PNG, PDF) to "
          f"{a.out if a.out is not None else a.dirs[0]}")
    _print_points(points)
    return 0


def _summary(cls) -> str:
    """The class's one-line ``description`` (else its docstring's first line)."""
    text = getattr(cls, "description", "") or (cls.__doc__ or "").strip().splitlines()[0]
    return text if isinstance(text, str) else ""


def _cmd_list(a) -> int:
    from .detectors.cards import BUILTIN_CARDS
    from .framework.registry import DETECTORS, PROCESSES, SOURCES
    from .sources.materials import MATERIALS

    print("processes:")
    for n in PROCESSES.names():
        cls = PROCESSES.get(n)
        print(f"  {n:14s} {cls.description}  [model {cls.model}; sources: "
              f"{', '.join(cls.source_kinds)}]")
    print("sources:")
    for n in SOURCES.names():
        print(f"  {n:14s} {_summary(SOURCES.get(n))}")
    print("detector modules:")
    for n in DETECTORS.names():
        print(f"  {n:14s} {_summary(DETECTORS.get(n))}")
    print(f"built-in detector cards: {', '.join(BUILTIN_CARDS)}")
    print(f"materials: {', '.join(MATERIALS)}")
    from .sources.meson_spectrum import builtin_spectra

    print(f"shipped meson spectra (setup.spectrum): {', '.join(builtin_spectra())}")
    return 0


def _cmd_recast(a) -> int:
    from .analysis.recast import recast
    from .units import parse_quantity

    masses = None
    if a.masses:
        masses = [parse_quantity(m.strip(), "mass", default_unit="MeV", key="--masses")
                  for m in a.masses.split(",") if m.strip()]
    rows = recast(a.limit, a.target, a.out, masses=masses, label=a.label)
    print(f"mcpgen: wrote limits.csv and reach.png, reach.pdf to {a.out}")
    for r in rows:
        lim = "no limit" if r.eps_limit != r.eps_limit else f"excluded: eps > {r.eps_limit:.3g}"
        print(f"  {r.label:>10s}  m_chi = {r.m_chi:9.4g} MeV   {lim}")
    return 0


def _cmd_bench(a) -> int:
    from .bench import run_benchmarks

    if a.memory:
        from .bench import memory_benchmark

        res = memory_benchmark()
    else:
        res = run_benchmarks(a.events)
    if a.json:
        print(json.dumps(res))
    return 0


def main(argv=None) -> int:
    from .errors import ConfigError

    argv = sys.argv[1:] if argv is None else list(argv)
    process = "brem"
    if argv and argv[0] == "xsec":  # the xsec options depend on --process
        pre = argparse.ArgumentParser(add_help=False)
        pre.add_argument("--process", default="brem")
        process = pre.parse_known_args(argv[1:])[0].process
    from .framework.registry import PROCESSES

    if process not in PROCESSES:
        try:
            PROCESSES.get(process, key="--process")
        except ConfigError as e:
            print(f"mcpgen: error: {e}", file=sys.stderr)
            return 2
    p = _parser(process)
    a = p.parse_args(argv)
    try:
        return _dispatch(a)
    finally:
        # the process is about to exit: spare its final garbage collection the ~3e5
        # objects of the loaded libraries (0.2-0.5 s of a short run, measured)
        import gc

        gc.freeze()


def _with_flag(e, a) -> str:
    """The error's text, naming the option (``'--events'``) where the API named its
    parameter (``'events'``) for a value that came from the command line."""
    text = str(e)
    if e.file is None and isinstance(e.key, str) and not e.key.startswith("-") \
            and getattr(a, e.key, None) is not None:
        return text.replace(f"'{e.key}'", f"'--{e.key.replace('_', '-')}'", 1)
    return text


def _dispatch(a) -> int:
    from .errors import ConfigError

    try:
        return {"xsec": _cmd_xsec, "run": _cmd_run, "recast": _cmd_recast, "collect": _cmd_collect,
                "list": _cmd_list, "bench": _cmd_bench, "br": _cmd_br, "export": _cmd_export,
                "plot": _cmd_plot, "hepdata": _cmd_hepdata}[a.command](a)
    except ConfigError as e:
        print(f"mcpgen: error: {_with_flag(e, a)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mcpgen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `mcpgen run ... | head`: the reader left, not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
