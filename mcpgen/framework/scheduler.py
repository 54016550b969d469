"""Run jobs in-process or on dask.distributed.

``workers = 1`` runs the jobs one after the other in this process.  More workers
start an embedded local dask cluster: by default its workers are threads of this
process (the Numba kernels release the GIL, and the Numba kernels are loaded once,
not once per process); with ``processes=True`` the scheduler and workers are
separate ``python`` processes (``distributed``'s SubprocessCluster), which do not
re-import the user's ``__main__``.  Either way the Python API works from a plain
script without an ``if __name__ == "__main__"`` guard.  ``address`` sends the jobs to a running
cluster (``dask scheduler`` + ``dask worker``, or dask-jobqueue on SLURM/HTCondor);
its workers must see the output folder.  Every job is a pure function of its key
and seed, so the outputs do not depend on where or in which order jobs run.
"""

from __future__ import annotations

import contextlib
import os
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
    if processes:
        from distributed.deploy.subprocess import SubprocessCluster

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SubprocessCluster announces itself as experimental
            cluster = SubprocessCluster(n_workers=workers, threads_per_worker=1,
                                        dashboard_address=None, silence_logs=40)
    else:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                               dashboard_address=None, silence_logs=40)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def run_jobs(fn, jobs, *, workers=1, address=None, processes=False, progress=None):
    """``[fn(job) for job in jobs]``, in order, run in-process or on dask."""
    if not jobs:
        return []
    if address is None and workers <= 1:
        out = []
        for job in jobs:
            out.append(fn(job))
            if progress is not None:
                progress(1)
        return out
    from distributed import as_completed

    with _client(workers, address, processes) as client:
        futures = [client.submit(fn, job, pure=False, key=f"mcpgen-job-{i}-{os.getpid()}")
                   for i, job in enumerate(jobs)]
        for f in as_completed(futures):
            f.result()  # re-raises the job's exception here
            if progress is not None:
                progress(1)
        return [f.result() for f in futures]
