"""Single-writer locks: one job at a time per checkpoint (and per table it writes).

Spark does not stop a second process from running a query on a checkpoint that another
process is using; both would write, and the second can corrupt the checkpoint or double
rows. Each writer therefore takes an exclusive `flock` on a lock file first. The kernel
releases it when the process dies, even by kill -9, so a crash never leaves a stale lock.

Lock files live under the local state folder. They protect writers on this machine; on a
cluster, the scheduler (one active run per DAG) is what keeps writers single.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path


class LockHeldError(Exception):
    """Another live process holds the lock; the message names it and what to do."""


def lock_path(state_dir: Path, resource: str) -> Path:
    """The lock file guarding one resource (a checkpoint or table location)."""
    digest = hashlib.sha256(resource.encode()).hexdigest()[:16]
    readable = "".join(c if c.isalnum() else "_" for c in resource.rstrip("/"))[-60:]
    return state_dir / "locks" / f"{readable}-{digest}.lock"


@contextlib.contextmanager
def exclusive(state_dir: Path, resource: str, purpose: str) -> Iterator[Path]:
    """Hold the resource's lock for the duration, or raise LockHeldError at once."""
    path = lock_path(state_dir, resource)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Path(path).read_text(errors="replace").strip() or "another process"
            raise LockHeldError(
                f"{resource} is in use by {holder}. Only one writer may run at a time: "
                "wait for it to finish or stop it, then run this again."
            ) from None
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(handle, 0)
        os.write(handle, f"pid {os.getpid()} ({purpose}, since {started})".encode())
        yield path
    finally:
        os.close(handle)


@contextlib.contextmanager
def exclusive_all(state_dir: Path, resources: list[str], purpose: str) -> Iterator[None]:
    """Hold several locks, taken in a fixed order so two writers cannot deadlock."""
    with contextlib.ExitStack() as stack:
        for resource in sorted(set(resources)):
            stack.enter_context(exclusive(state_dir, resource, purpose))
        yield
