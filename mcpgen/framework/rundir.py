"""The output folder of a run: one writer at a time, resumable, never mixed.

* A lock (``fcntl.flock`` on ``.mcpgen.lock``, released by the kernel even when
  the process is killed) refuses a second run into the same folder.
* ``run.json`` names the run's identity (a hash of the resolved steering, the
  seed, the event count and the mcpgen version).  A folder holding another run's
  outputs, or files that are not mcpgen outputs, is refused, so outputs of
  different runs never sit side by side.
* Rerunning the same command after a kill reuses every finished job file (files
  are written under a temporary name and renamed when complete) and removes the
  temporary debris.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sys
from pathlib import Path

from .. import __version__
from ..errors import ConfigError

MANIFEST = "run.json"
LOCK = ".mcpgen.lock"
#: files a run writes besides its job files
SUMMARY = ("yields.csv", "limits.csv", "reach.png", "reach.pdf", "provenance.json", "detector.csv",
           "distributions", "hepdata")
#: event exports written beside the job files ([output] export)
EXPORT_SUFFIXES = (".hepmc3", ".lhe")


#: revision of what the events of a job are, beyond the steering and the seed: raised when
#: a change of mcpgen changes the events (2: nuclear ids with matching masses, file names
#: without the channel for studies of one channel)
EVENTS_REVISION = 2


def run_identity(steering, *, seed, events) -> str:
    """Hash of what determines the events of every job of a run."""
    d = steering.to_dict()
    d["run"] = {k: v for k, v in d["run"].items() if k != "name"}
    for not_events in ("reference", "plot", "output"):   # restyling a figure reuses the events
        d.pop(not_events, None)
    d["overrides"] = {"seed": seed, "events": events, "version": __version__,
                      "revision": EVENTS_REVISION}
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _is_debris(name: str) -> bool:
    return (name.startswith(".") and ".tmp" in name) or name.startswith(".mcpgen-staging-")


def _ours(name: str) -> bool:
    return (name.endswith((".root",) + EXPORT_SUFFIXES) or name in SUMMARY
            or name in (MANIFEST, LOCK) or _is_debris(name)
            or (name.startswith("reach_") and name.endswith((".png", ".pdf"))))


class RunFolder:
    """Context manager that locks ``out`` for one run of identity ``identity``."""

    def __init__(self, out, identity: str, description: dict):
        out = str(out)
        if not out.strip():
            raise ConfigError("empty output folder name; allowed: a folder path", key="--out")
        self.path = Path(out)
        self.identity = identity
        self.description = description
        self._lock = None
        self._created = False
        self._made_manifest = False

    def __enter__(self):
        try:
            self._created = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"output folder is not writable: {e.strerror}", file=self.path) \
                from None
        self._lock = lock_folder(self.path)
        try:
            self._check_and_clean()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and self._lock is not None:
            self._discard_if_empty()
        if self._lock is not None:
            unlock_folder(self.path, self._lock)
            self._lock = None
        return False

    def _discard_if_empty(self):
        """After a failure: remove what this run made if no job finished (no empty
        folders or manifests left behind)."""
        names = [n for n in os.listdir(self.path) if n != LOCK and not _is_debris(n)]
        if any(n.endswith(".root") for n in names):
            return
        for n in os.listdir(self.path):
            if (n == MANIFEST and self._made_manifest) or _is_debris(n):
                with contextlib.suppress(OSError):
                    (self.path / n).unlink()
        if self._created:
            unlock_folder(self.path, self._lock)
            self._lock = None
            with contextlib.suppress(OSError):
                os.rmdir(self.path)

    def _check_and_clean(self):
        manifest = self.path / MANIFEST
        names = [n for n in os.listdir(self.path) if n != LOCK]
        if manifest.exists():
            if read_identity(self.path) != self.identity:
                raise ConfigError("holds the outputs of another run (other steering, seed, "
                                  "event count or mcpgen revision); choose another --out or "
                                  "remove the folder",
                                  file=self.path)
        elif [n for n in names if not _is_debris(n)]:
            raise ConfigError("folder is not empty and holds no mcpgen run; choose an empty or "
                              "new --out", file=self.path)
        foreign = [n for n in names if not _ours(n)]
        if foreign:
            raise ConfigError(f"holds files that are not outputs of this run ({foreign[0]!r}); "
                              "choose another --out", file=self.path)
        for n in names:
            if _is_debris(n):
                p = self.path / n
                if p.is_dir():
                    import shutil

                    shutil.rmtree(p, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        p.unlink()
        if not manifest.exists():
            self._made_manifest = True
            write_atomic(manifest, json.dumps({"identity": self.identity, **self.description},
                                              indent=2, default=str).encode())

    def finished(self, job) -> dict | None:
        """Metadata of ``job``'s file if it is complete and belongs to this run."""
        from ..io.root import read_metadata

        path = self.path / job.filename
        if not path.is_file():
            return None
        try:
            meta = read_metadata(path)
        except ConfigError:
            return None
        return meta if meta.get("run_identity") == self.identity else None


def read_identity(folder) -> str:
    """The run identity in ``folder/run.json``; a one-line error if there is none."""
    folder = Path(folder)
    try:
        ident = json.loads((folder / MANIFEST).read_text())["identity"]
    except FileNotFoundError:
        raise ConfigError(f"not an mcpgen run folder (no {MANIFEST})", file=folder) from None
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(f"unreadable {MANIFEST}; remove the folder or choose another --out",
                          file=folder) from None
    if not isinstance(ident, str):
        raise ConfigError(f"unreadable {MANIFEST} (no identity)", file=folder)
    return ident


def lock_folder(path: Path) -> int:
    """Take the exclusive lock of ``path`` (a file descriptor), or refuse in one line.

    The lock file is removed on unlock; a process that locked a file that was removed
    meanwhile (its inode is no longer the path's) retries on the new one, so two runs
    can never hold the folder at once."""
    import fcntl

    for _ in range(100):
        try:
            fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise ConfigError(f"output folder is not writable: {e.strerror}", file=path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ConfigError("another mcpgen run is writing into this folder; wait for it or "
                              "choose another --out", file=path) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path / LOCK).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
    raise ConfigError("could not take the folder lock", file=path)


def unlock_folder(path: Path, fd: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path / LOCK)  # while still holding it: late openers see the new inode
    os.close(fd)


@contextlib.contextmanager
def locked(path):
    """Hold the lock of folder ``path`` (created if needed) for a block."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"output folder is not writable: {e.strerror}", file=path) from None
    fd = lock_folder(path)
    try:
        yield path
    finally:
        unlock_folder(path, fd)


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temporary file name next to ``path``; move it onto ``path`` on success.

    The temporary file lives in the same directory so that ``os.replace`` is an
    atomic rename; on an exception it is removed and ``path`` is untouched.  It is
    created with mode 0666 less the umask, like the ROOT files and any file ``open``
    makes (``tempfile.mkstemp`` would give 0600: unreadable for collaborators).
    """
    path = Path(path)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}{suffix}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield str(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_path` (synced before the rename);
    errors are one line."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
    except OSError as e:
        raise ConfigError(f"cannot write: {e.strerror}", file=path) from None
