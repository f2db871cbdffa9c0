"""The workflow on a real SLURM cluster: ``profiles/slurm`` on a single-node SLURM.

``tools/slurm/start_single_node.sh`` installs SLURM and munge when they are missing and
starts munged, slurmctld and slurmd on this machine (no accounting, so job states come
from squeue). The tiny configuration then runs through
``snakemake --workflow-profile profiles/slurm`` — every job an sbatch job — and its result
tables must equal those of a local ``--cores 2`` run of the same configuration and of the
same snapshot of the package (``code_root`` of ``conftest.py``).

Needs root (packages, daemons). Outside CI (environment variable ``CI`` unset) the test is
skipped without root, or without apt-get on a machine without SLURM; in CI it never skips.
On two cores the SLURM run takes three to four minutes and the local run one more; most
of the SLURM run is overhead per job (two Snakemake start-ups in each job, the status
polls) in a chain of about 25 jobs, the simulation jobs (one thread each) two at a time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from workflow_helpers import (
    REPO_ROOT,
    Run,
    config_arguments,
    output_of,
    run_workflow,
)

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

START_SCRIPT = REPO_ROOT / "tools" / "slurm" / "start_single_node.sh"
#: Installation (apt-get update + install on a fresh machine) and start-up.
START_TIMEOUT = 600

#: Command-line settings on top of profiles/slurm, for speed only: the first status query
#: 2 s after a submission instead of 40 s (the plugin then waits 10 s longer after every
#: query that finds no finished job, up to 180 s).
SLURM_SPEED_ARGUMENTS = [
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--seconds-between-status-checks",
    "2",
]

#: Fields of summary.json that may differ between two runs of the same configuration.
VOLATILE_SUMMARY_WORDS = {
    "timing",
    "timings",
    "elapsed",
    "duration",
    "seconds",
    "walltime",
    "runtime",
    "timestamp",
    "created",
    "date",
    "host",
    "hostname",
}

RESULT_TABLES = ("scan.parquet", "spectrum.parquet")


def _reason_to_skip() -> str | None:
    if os.environ.get("CI"):
        return None
    if os.geteuid() != 0:
        return f"needs root to install and start a single-node SLURM ({START_SCRIPT.name})"
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        return "SLURM is not installed and apt-get is missing to install it"
    return None


# --------------------------------------------------------------------------- fixtures


def _start_cluster() -> str:
    """Run the start script (installs, starts, waits for the node); its report."""
    process = subprocess.run(
        ["bash", str(START_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )
    assert process.returncode == 0, f"{START_SCRIPT} failed:\n{output_of(process)}"
    return process.stdout


@pytest.fixture(scope="session")
def slurm_cluster() -> str:
    """A running single-node SLURM; the start script's report."""
    reason = _reason_to_skip()
    if reason:
        pytest.skip(f"{reason}; set CI=1 to make this an error")
    return _start_cluster()


@pytest.fixture(scope="session")
def local_run(tmp_path_factory, code_root, slurm_cluster) -> Run:
    # Needs the cluster only to be skipped with it; runs first, so that the SLURM jobs
    # find Numba's cache of the snapshot filled.
    return run_workflow(
        tmp_path_factory.mktemp("slurm_reference"),
        code_root,
        ["--cores", "2", *config_arguments()],
    )


def _cluster_report() -> str:
    """The queue, the node and the controller's last log lines: why jobs wait."""
    parts = []
    for command in (["squeue", "--all", "--long"], ["sinfo", "--long", "-R"], ["sinfo", "-N"]):
        try:
            process = subprocess.run(command, capture_output=True, text=True, timeout=30)
            parts.append(f"$ {' '.join(command)}\n{process.stdout}{process.stderr}")
        except (OSError, subprocess.TimeoutExpired) as error:
            parts.append(f"$ {' '.join(command)}: {error}")
    log = Path("/var/log/slurm/slurmctld.log")
    if log.exists():
        tail = log.read_text(errors="replace").splitlines()[-40:]
        parts.append("--- end of slurmctld.log ---\n" + "\n".join(tail))
    return "\n".join(parts)


@pytest.fixture(scope="session")
def slurm_run(tmp_path_factory, code_root, slurm_cluster, local_run) -> Run:
    try:
        return run_workflow(
            tmp_path_factory.mktemp("slurm_run"),
            code_root,
            ["--workflow-profile", "profiles/slurm", *SLURM_SPEED_ARGUMENTS, *config_arguments()],
        )
    except subprocess.TimeoutExpired as error:
        stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else ""
        pytest.fail(
            f"the SLURM run did not end within {error.timeout:.0f} s.\n"
            f"--- Snakemake (end) ---\n{stderr[-4000:]}\n{_cluster_report()}",
            pytrace=False,
        )


# --------------------------------------------------------------------------- tests


def test_every_job_but_the_target_is_a_slurm_job(slurm_run):
    output = slurm_run.output
    rules = re.findall(r"^rule (\w+):$", output, flags=re.MULTILINE)
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", output)
    assert rules, f"no job ran:\n{output[-6000:]}"
    assert len(submitted) == len(rules), f"{len(rules)} jobs, {len(submitted)} submitted"
    assert len(set(submitted)) == len(submitted), f"SLURM job ids repeat: {submitted}"
    # Samples are spread over chunk jobs: every simulation chunk is a SLURM job of its own.
    n_chunks = len(list(slurm_run.results.glob("sim/*/chunk_*.parquet")))
    assert rules.count("generate_and_reconstruct") == n_chunks > 1, (
        rules.count("generate_and_reconstruct"),
        n_chunks,
    )


def test_job_states_come_from_squeue(slurm_run):
    # The plugin falls back to sacct when MinJobAge is too short for squeue; without
    # accounting that fallback fails.
    assert "Falling back to 'sacct'" not in slurm_run.output, slurm_run.output[-6000:]


@pytest.mark.parametrize("table", RESULT_TABLES)
def test_result_tables_equal_those_of_a_local_run(local_run, slurm_run, table):
    pd.testing.assert_frame_equal(
        pd.read_parquet(local_run.results / table),
        pd.read_parquet(slurm_run.results / table),
        check_exact=True,
    )


def test_summary_equals_that_of_a_local_run(local_run, slurm_run):
    def stable(summary: dict) -> dict:
        return {
            key: value
            for key, value in summary.items()
            if not set(key.lower().split("_")) & VOLATILE_SUMMARY_WORDS
        }

    local, slurm = stable(local_run.summary), stable(slurm_run.summary)
    assert set(local) == set(slurm)
    different = {key: (local[key], slurm[key]) for key in local if local[key] != slurm[key]}
    assert not different, different


def _kill_daemon(pid_file: str) -> None:
    """SIGKILL the daemon of a pid file and wait until it is gone or a zombie."""
    pid = int(Path(pid_file).read_text())
    os.kill(pid, 9)
    for _ in range(100):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone
            return
        if state == "Z":
            return
        time.sleep(0.1)
    raise AssertionError(f"process {pid} of {pid_file} survived SIGKILL")


def test_a_restarted_cluster_cancels_the_jobs_of_an_interrupted_run(slurm_cluster):
    # The last test of the file (pytest keeps file order): it kills the cluster under jobs.
    # A controller killed under running and pending jobs (a reboot, a killed container)
    # recovers them from its saved state when it starts again; they would hold the node
    # until their time limits or SlurmdTimeout ran out, then run again, and a workflow
    # started meanwhile would wait for them. The start script cancels them.
    marker = "617.25"  # a sleep nobody else runs, to clean up after the test
    for _ in range(3):  # two run on the two CPUs of the node, the third waits
        subprocess.run(
            ["sbatch", "--time", "30", "--output", "/dev/null", "--wrap", f"sleep {marker}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    try:
        for _ in range(100):
            queue = subprocess.run(
                ["squeue", "--noheader", "--format=%T"], capture_output=True, text=True, timeout=30
            ).stdout.split()
            if "RUNNING" in queue:
                break
            time.sleep(0.2)
        assert "RUNNING" in queue, queue
        _kill_daemon("/run/slurmctld.pid")
        _kill_daemon("/run/slurmd.pid")
        report = _start_cluster()
        assert "is idle" in report, report
        queue = subprocess.run(
            ["squeue", "--noheader"], capture_output=True, text=True, timeout=30, check=True
        )
        assert queue.stdout.strip() == "", f"jobs of the interrupted run:\n{queue.stdout}"
    finally:
        subprocess.run(["pkill", "-f", f"sleep {marker}"], check=False)
