"""Progress of a run: a tqdm bar on a terminal, plain lines in a batch log.

On a terminal (stderr is a TTY) :class:`RunProgress` draws a tqdm bar; otherwise
(a batch system's log, ``nohup``, CI) it writes one line per finished job (a
set-up, channel and mass) and :class:`BlockLog` one line per block of a long job,
at most every :data:`BLOCK_LOG_SECONDS`.  :func:`compile_notice` tells both, once,
that the Numba kernels compile for the first time (1-2 minutes on a fresh machine).
"""

from __future__ import annotations

import glob
import os
import sys
import time

#: least seconds between two block lines of one job in a batch log
BLOCK_LOG_SECONDS = 30.0


def interactive(stream=None) -> bool:
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _job_name(summary) -> str:
    return f"{summary['label']} {summary['channel']} m = {summary['mass_MeV']:.6g} MeV"


class RunProgress:
    """Progress of ``total`` jobs; :meth:`job_done` takes a job's summary dict
    (``label``, ``channel``, ``mass_MeV``, ``cpu_seconds``)."""

    def __init__(self, total: int, *, stream=None, tty=None):
        self.stream = sys.stderr if stream is None else stream
        self.total, self.done, self.t0 = total, 0, time.perf_counter()
        self.bar = None
        if interactive(self.stream) if tty is None else tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="job", desc="mcpgen run", file=self.stream)
        elif total:
            self._line(f"mcpgen run: {total} jobs to run")

    def _line(self, text):
        print(text, file=self.stream, flush=True)

    def job_done(self, summary=None):
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        what = f" {_job_name(summary)}" if isinstance(summary, dict) else ""
        cpu = summary.get("cpu_seconds") if isinstance(summary, dict) else None
        took = f" in {cpu:.1f} s" if isinstance(cpu, (int, float)) else ""
        self._line(f"mcpgen run: [{self.done}/{self.total}]{what} done{took}, "
                   f"{time.perf_counter() - self.t0:.1f} s elapsed")

    def close(self):
        if self.bar is not None:
            self.bar.close()


class BlockLog:
    """The ``progress(n_events)`` callback of one long job in a batch log: a line
    ``<job>: <events> of ~<total> events`` at most every ``every`` seconds."""

    def __init__(self, name: str, total: int, *, stream=None, every=BLOCK_LOG_SECONDS):
        self.name, self.total, self.every = name, total, every
        self.stream = stream
        self.done, self.last = 0, time.perf_counter()

    def __call__(self, n: int):
        self.done += n
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            print(f"mcpgen run: {self.name}: {self.done} of ~{self.total} events",
                  file=sys.stderr if self.stream is None else self.stream, flush=True)


def kernels_cached(package=None) -> bool:
    """Whether Numba has cached kernels of this mcpgen (an index file beside the
    generator kernels of ``package``, default this mcpgen, or in ``NUMBA_CACHE_DIR``).
    A heuristic: kernels of a channel not run before still compile without a notice."""
    here = package or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.environ.get("NUMBA_CACHE_DIR"):      # numba then caches there only
        where = [os.environ["NUMBA_CACHE_DIR"]]
    else:                                      # beside the sources, or per user if read-only
        where = [os.path.join(here, "generators", "__pycache__"),
                 os.path.join(os.path.expanduser("~"), ".cache", "numba")]
    return any(glob.glob(os.path.join(d, "**", "*.nbi"), recursive=True) for d in where)


def compile_notice(stream=None) -> None:
    """One line when the kernels are not cached yet (the first run on a machine)."""
    if os.environ.get("NUMBA_DISABLE_JIT") != "1" and not kernels_cached():
        print("mcpgen: compiling the Numba kernels for the first time (cached afterwards; "
              "about 1-2 minutes)", file=sys.stderr if stream is None else stream, flush=True)


__all__ = ["RunProgress", "BlockLog", "compile_notice", "kernels_cached", "interactive"]
