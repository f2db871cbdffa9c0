"""Locks of a killed Snakemake run are removed, those of a live run kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis import stale_locks

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")


def make_locks(directory: Path) -> list[Path]:
    lock_dir = directory / ".snakemake" / "locks"
    lock_dir.mkdir(parents=True)
    locks = [lock_dir / "0.input.lock", lock_dir / "0.output.lock"]
    for lock in locks:
        lock.write_text(str(directory / "results" / "x.parquet") + "\n")
    return locks


def test_locks_without_a_live_run_are_removed(tmp_path):
    locks = make_locks(tmp_path)
    state = stale_locks.remove_stale_locks(tmp_path)
    assert state.stale and set(state.locks) == set(locks)
    assert not any(lock.exists() for lock in locks)


def test_locks_of_a_live_run_are_kept(tmp_path):
    locks = make_locks(tmp_path)
    # a process working in the directory whose command line names Snakemake
    live = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "snakemake"], cwd=tmp_path
    )
    try:
        state = stale_locks.remove_stale_locks(tmp_path)
    finally:
        live.kill()
        live.wait()
    assert not state.stale and state.live_processes == (live.pid,)
    assert all(lock.exists() for lock in locks)


def test_a_live_run_elsewhere_does_not_protect_the_locks(tmp_path):
    locks = make_locks(tmp_path / "run")
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    live = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "snakemake"], cwd=elsewhere
    )
    try:
        state = stale_locks.remove_stale_locks(tmp_path / "run")
    finally:
        live.kill()
        live.wait()
    assert state.stale
    assert not any(lock.exists() for lock in locks)


def test_no_locks_nothing_to_do(tmp_path):
    state = stale_locks.remove_stale_locks(tmp_path)
    assert state.locks == () and not state.stale
