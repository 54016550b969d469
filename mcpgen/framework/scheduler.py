"""Run jobs in-process, on threads of this process, or on dask.distributed.

``workers = 1`` runs the jobs one after the other in this process.  More workers (the
default: one per core, at most one per job) run the jobs on ``dask.distributed``: an
embedded local cluster whose workers are threads of this process (the Numba kernels
release the GIL and are loaded once, not once per process); with ``processes=True``
its scheduler and workers are separate ``python`` processes (``distributed``'s
SubprocessCluster, which does not re-import the user's ``__main__``); ``address``
sends the jobs to a running cluster (``dask scheduler`` + ``dask worker``, or
dask-jobqueue on SLURM/HTCondor), whose workers must see the output folder.
``use_dask=False`` (API only) runs the threads on a plain ``concurrent.futures`` pool
instead, without importing and starting ``distributed`` (0.4-0.65 s of start-up,
measured).  The Python API works from a plain script without an
``if __name__ == "__main__"`` guard.  Every job is a pure function of its key and
seed, so the outputs do not depend on where or in which order jobs run.

When a job fails (or the run is interrupted) the jobs on the thread pool that have
not started are cancelled and the running ones stop at their next block
(:func:`check_cancelled`), so nothing writes into the output folder after
:func:`run_jobs` has returned.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
import warnings


#: how long to try reaching a running scheduler
SCHEDULER_TIMEOUT = "20s"


def _probe(address):
    """One-line error, at once, for a malformed or refused ``tcp://host:port`` address
    (dask itself retries until its timeout)."""
    import socket
    from urllib.parse import urlsplit

    from ..errors import ConfigError

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if parts.scheme != "tcp" or not host or not port:
        raise ConfigError(f"malformed scheduler address {address!r}; allowed: tcp://HOST:PORT",
                          key="--scheduler")
    try:
        socket.create_connection((host, port), timeout=10).close()
    except OSError as e:
        raise ConfigError(f"cannot reach a dask scheduler at {address!r}: {e.strerror or e}",
                          key="--scheduler") from None


def default_workers(n_jobs: int) -> int:
    return max(1, min(n_jobs, os.cpu_count() or 1))


class Cancelled(Exception):
    """A job stopped early because another job of its run failed or the run was
    interrupted."""


#: the cancel flag of the thread-pool run a job belongs to (unset elsewhere)
_CANCEL = contextvars.ContextVar("mcpgen_cancel", default=None)


def check_cancelled() -> None:
    """Raise :class:`Cancelled` if the run of the calling job is being cancelled
    (jobs call this between blocks; a no-op outside the thread pool)."""
    flag = _CANCEL.get()
    if flag is not None and flag.is_set():
        raise Cancelled("job cancelled: another job of the run failed or the run was "
                        "interrupted")


def _run_threads(fn, jobs, workers, progress):
    """``[fn(job) for job in jobs]`` on ``workers`` threads of this process."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    cancel = threading.Event()

    def task(job):
        _CANCEL.set(cancel)
        check_cancelled()
        return fn(job)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mcpgen-job")
    try:
        futures = [pool.submit(task, job) for job in jobs]
        for f in as_completed(futures):
            result = f.result()  # re-raises the job's exception here
            if progress is not None:
                progress(result)
        return [f.result() for f in futures]
    except BaseException:
        cancel.set()
        raise
    finally:
        # cancel what has not started; the running jobs stop at their next block
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _client(workers, address, processes=False):
    from distributed import Client

    from ..errors import ConfigError

    if address:
        _probe(address)
        try:
            client = Client(address, timeout=SCHEDULER_TIMEOUT)
        except (OSError, ValueError, TypeError) as e:
            raise ConfigError(f"cannot reach a dask scheduler at {address!r}: "
                              f"{' '.join(str(e).split())[:200]}", key="--scheduler") from None
        try:
            yield client
        finally:
            client.close()
        return
    # the scheduler's HTTP server (dashboard routes) on a free port: the default 8787 may be
    # taken by another dask session, which would print a warning into the user's run
    if processes:
        from distributed.deploy.subprocess import SubprocessCluster

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SubprocessCluster announces itself as experimental
            cluster = SubprocessCluster(n_workers=workers, threads_per_worker=1,
                                        dashboard_address=":0", silence_logs=40)
    else:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                               dashboard_address=":0", silence_logs=40)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def run_jobs(fn, jobs, *, workers=1, address=None, processes=False, progress=None,
             use_dask=None):
    """``[fn(job) for job in jobs]``, in order, run in-process, on threads or on dask;
    ``progress(result)`` is called as each job finishes.

    ``use_dask`` (default True) runs several workers on dask.distributed (an embedded
    cluster of threads, of processes with ``processes``, or the cluster at ``address``);
    ``use_dask=False`` runs threads of this process on a plain pool instead, without
    importing ``distributed`` (0.4-0.65 s less start-up)."""
    if not jobs:
        return []
    if use_dask is None:
        use_dask = True   # issue 6: the default is an embedded dask cluster
    if address is None and workers <= 1:
        out = []
        for job in jobs:
            out.append(fn(job))
            if progress is not None:
                progress(out[-1])
        return out
    if not use_dask:
        return _run_threads(fn, jobs, min(workers, len(jobs)), progress)
    from distributed import as_completed

    with _client(workers, address, processes) as client:
        futures = [client.submit(fn, job, pure=False, key=f"mcpgen-job-{i}-{os.getpid()}")
                   for i, job in enumerate(jobs)]
        for f in as_completed(futures):
            result = f.result()  # re-raises the job's exception here
            if progress is not None:
                progress(result)
        return [f.result() for f in futures]
