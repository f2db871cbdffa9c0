"""Locks left behind by a Snakemake run that was killed.

Snakemake locks a working directory with files under ``.snakemake/locks``
and removes them when it ends.  A run killed with ``kill -9`` (or by a
power cut) cannot remove them, and the next run refuses to start until
``snakemake --unlock``, because Snakemake cannot tell the lock of a killed
run from that of a live one.  This module can, on Linux: a lock is stale
when no process that works in the directory runs Snakemake or one of its
jobs.  ``make run`` (and ``python -m analysis unlock-stale``) remove stale
locks, so after a kill the same command completes the run.

Processes are read from ``/proc``; without it (not Linux) nothing is
removed.  Only processes of this machine are seen: do not use it in a
directory that a run on another machine (a cluster login node) may lock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True)
class LockState:
    """The lock files of a directory and the Snakemake processes working in it."""

    locks: tuple[Path, ...]
    live_processes: tuple[int, ...]
    can_tell: bool

    @property
    def stale(self) -> bool:
        """True if there are locks and certainly no live run that owns them."""
        return bool(self.locks) and self.can_tell and not self.live_processes


def _cmdline(pid_dir: Path) -> str:
    return pid_dir.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


def snakemake_processes(directory: str | Path, exclude: tuple[int, ...] = ()) -> list[int]:
    """PIDs of the processes running Snakemake (or a job of it) in ``directory``."""
    target = Path(directory).resolve()
    found = []
    for pid_dir in _PROC.iterdir():
        if not pid_dir.name.isdigit() or int(pid_dir.name) in exclude:
            continue
        try:
            if Path(os.readlink(pid_dir / "cwd")).resolve() != target:
                continue
            if "snakemake" in _cmdline(pid_dir):
                found.append(int(pid_dir.name))
        except OSError:  # ended meanwhile, or not ours to read
            continue
    return sorted(found)


def lock_state(directory: str | Path) -> LockState:
    """Lock files of ``directory`` and the live Snakemake processes in it (not this one)."""
    lock_dir = Path(directory) / ".snakemake" / "locks"
    locks = tuple(sorted(lock_dir.glob("*.lock"))) if lock_dir.is_dir() else ()
    if not _PROC.is_dir():
        return LockState(locks, (), can_tell=False)
    own = (os.getpid(), os.getppid())
    return LockState(locks, tuple(snakemake_processes(directory, exclude=own)), can_tell=True)


def remove_stale_locks(directory: str | Path) -> LockState:
    """Remove the locks of ``directory`` if they are stale; returns what was found."""
    state = lock_state(directory)
    if state.stale:
        for lock in state.locks:
            lock.unlink(missing_ok=True)
    return state
