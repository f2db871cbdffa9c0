"""End to end: the real ``snakemake`` command line on a tiny configuration of na62_en.

Three full runs are shared by the tests of this file (about three minutes on two cores):

* ``baseline`` — the tiny configuration, ``--cores 2``, background-only pseudo-data;
* ``rechunked`` — the same configuration with ``--cores 1`` and another ``chunk_decays``,
  so that every sample is split differently (determinism);
* ``injected`` — the same configuration and seed with an HNL signal injected at 300 MeV.

A fourth run is killed (``kill -9``) mid-way and completed by a rerun.

Each runs in its own copy of the workflow under a temporary directory; all of them
import the same snapshot of the ``analysis`` package (see ``workflow_helpers``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from workflow_helpers import (
    FIGURES,
    REPO_ROOT,
    RUN_TIMEOUT,
    SELECTION,
    TINY_CONFIG,
    Run,
    config_arguments,
    environment,
    make_workdir,
    output_of,
    results_dir,
    run_cli,
    run_snakemake,
    run_workflow,
)

pytestmark = pytest.mark.workflow

#: Published number of kaon decays of NA62 2015 minimum bias (fiducial region, scale 1).
N_K_PUBLISHED = 3.01e8
#: B(K+ -> e+ nu), the Standard-Model reference of the |U_e4|^2 conversion.
BR_KE2 = 1.582e-5
#: Mass hypotheses of the scan: 170 to 448 MeV/c^2 in steps of 1 MeV/c^2.
SCAN_MASSES = np.arange(170.0, 449.0, 1.0)
#: Every sample of na62_en without injection: pseudo-data, background MC, signal MC.
SAMPLES = {"data", "kmu2", "ke2", "k2pi", "k3pi", "ke3", "kmu3", "k3pi0", "hnl_e"}
#: Signal MC masses of na62_en (signal_grid_mev: 160 to 460 MeV in steps of 10 MeV).
N_SIGNAL_MASSES = 31

#: Another chunking: 8 blocks of 65536 decays per job, so every sample (at least 16
#: blocks of background MC, 13 of pseudo-data, 10 of signal MC) is split, some unevenly.
#: (2 blocks per job would give about 70 simulation jobs, too slow for a test.)
RECHUNKED_DECAYS = 524288

#: Injected signal: ~40 selected events at 300 MeV with an acceptance of about 0.3,
#: BR = 40 / (N_K x 0.3), N_K = 3.01e8 x scale.
INJECTION_MASS_MEV = 300
INJECTION_EVENTS = 40
INJECTION_BR = float(f"{INJECTION_EVENTS / (N_K_PUBLISHED * TINY_CONFIG['scale'] * 0.3):.2g}")

SCAN_COLUMNS = [
    "mass_mev",
    "n_obs",
    "n_bkg",
    "n_bkg_err",
    "acceptance",
    "n_ul",
    "br_ul",
    "u2_ul",
    "local_significance",
]
SUMMARY_KEYS = ["n_kaon_decays", "n_kaon_decays_err", "n_generated", "seed", "config_hash"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def baseline(tmp_path_factory, code_root) -> Run:
    return run_workflow(
        tmp_path_factory.mktemp("baseline"), code_root, ["--cores", "2", *config_arguments()]
    )


@pytest.fixture(scope="session")
def rechunked(tmp_path_factory, code_root, baseline) -> Run:
    # Depends on `baseline` only so that the runs happen one after the other.
    return run_workflow(
        tmp_path_factory.mktemp("rechunked"),
        code_root,
        ["--cores", "1", *config_arguments(chunk_decays=RECHUNKED_DECAYS)],
    )


@pytest.fixture(scope="session")
def injected(tmp_path_factory, code_root, baseline) -> Run:
    injection = (
        f"{{{SELECTION}: {{mass_mev: {INJECTION_MASS_MEV}, branching_ratio: {INJECTION_BR}}}}}"
    )
    return run_workflow(
        tmp_path_factory.mktemp("injected"),
        code_root,
        ["--cores", "2", *config_arguments(injection=injection)],
    )


# --------------------------------------------------------------------------- the tiny run


@pytest.mark.slow
def test_summary_has_the_contract_keys(baseline):
    summary = baseline.summary
    missing = [key for key in SUMMARY_KEYS if key not in summary]
    assert not missing, f"summary.json lacks {missing}; has {sorted(summary)}"
    assert summary["seed"] == TINY_CONFIG["seed"]
    assert isinstance(summary["config_hash"], str) and len(summary["config_hash"]) == 16
    assert summary["n_kaon_decays"] > 0 and summary["n_kaon_decays_err"] > 0

    generated = summary["n_generated"]
    assert set(generated) == SAMPLES
    assert all(isinstance(n, int) and n > 0 for n in generated.values()), generated
    assert generated["hnl_e"] == TINY_CONFIG["signal_decays"] * N_SIGNAL_MASSES


@pytest.mark.slow
def test_config_hash_is_that_of_the_run_configuration(baseline):
    from analysis.config import config_hash, load_config

    overrides = {key: str(value) for key, value in TINY_CONFIG.items()}
    cfg = load_config(baseline.workdir / "config" / "config.yaml", overrides=overrides)
    assert baseline.summary["config_hash"] == config_hash(cfg)


@pytest.mark.slow
def test_measured_kaon_flux_agrees_with_the_truth(baseline):
    summary = baseline.summary
    expected = N_K_PUBLISHED * TINY_CONFIG["scale"]
    # The true number of fiducial decays is Poisson around the published N_K x scale.
    assert abs(summary["n_kaon_decays_true"] - expected) < 5 * math.sqrt(expected)
    pull = (summary["n_kaon_decays"] - summary["n_kaon_decays_true"]) / summary["n_kaon_decays_err"]
    assert abs(pull) < 4, (
        f"N_K = {summary['n_kaon_decays']:.0f} +- {summary['n_kaon_decays_err']:.0f}, "
        f"true {summary['n_kaon_decays_true']}: pull {pull:.2f}"
    )


@pytest.mark.slow
def test_scan_table_columns_and_mass_grid(baseline):
    scan = baseline.scan
    missing = [c for c in SCAN_COLUMNS if c not in scan.columns]
    assert not missing, f"scan.parquet lacks {missing}; has {list(scan.columns)}"
    assert len(scan) == 279
    np.testing.assert_array_equal(scan["mass_mev"].to_numpy(), SCAN_MASSES)
    for column in SCAN_COLUMNS:
        assert pd.api.types.is_numeric_dtype(scan[column]), column
    assert baseline.summary["n_hypotheses"] == len(scan)


@pytest.mark.slow
def test_scan_limits_are_consistent(baseline):
    scan = baseline.scan
    n_k = baseline.summary["n_kaon_decays"]
    n_obs = scan["n_obs"].to_numpy()
    assert np.all(n_obs >= 0) and np.all(n_obs == np.round(n_obs))
    assert np.all(scan["n_bkg"] >= 0) and np.all(scan["n_bkg_err"] >= 0)
    acceptance = scan["acceptance"].to_numpy()
    assert np.all((acceptance >= 0) & (acceptance <= 1))
    assert np.all(np.isfinite(scan["local_significance"]))

    n_ul = scan["n_ul"].to_numpy()
    assert np.all(np.isfinite(n_ul)) and np.all(n_ul >= 0)

    seen = acceptance > 0
    assert seen.all(), f"no acceptance at {scan.loc[~seen, 'mass_mev'].tolist()} MeV"
    br_ul = scan["br_ul"].to_numpy()
    np.testing.assert_allclose(br_ul[seen], n_ul[seen] / (n_k * acceptance[seen]), rtol=1e-12)

    from analysis.hnl import rho

    masses_gev = scan["mass_mev"].to_numpy() * 1e-3
    np.testing.assert_allclose(
        scan["u2_ul"].to_numpy(), br_ul / (BR_KE2 * rho(masses_gev, "e")), rtol=1e-12
    )


@pytest.mark.slow
def test_expected_limit_bands_are_ordered(baseline):
    columns = ["n_ul_exp_m2", "n_ul_exp_m1", "n_ul_exp_med", "n_ul_exp_p1", "n_ul_exp_p2"]
    bands = baseline.scan[columns]
    assert np.all(np.diff(bands.to_numpy(), axis=1) >= 0)
    assert np.all(bands.to_numpy() >= 0)


@pytest.mark.slow
@pytest.mark.parametrize("figure", FIGURES)
def test_figures_are_written_as_png_and_pdf(baseline, figure):
    signatures = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF"}
    for ext, magic in signatures.items():
        path = baseline.results / "figures" / f"{figure}.{ext}"
        assert path.is_file(), f"missing {path}"
        content = path.read_bytes()
        assert len(content) > 1000, f"{path} has only {len(content)} bytes"
        assert content.startswith(magic), f"{path} is not a {ext.upper()} file"


# --------------------------------------------------------------------------- pseudo-data


@pytest.mark.slow
def test_pseudo_data_carry_their_sample_name_and_no_truth(baseline):
    from analysis.storage import read_metadata

    paths = sorted((baseline.results / "sim" / "data").glob("*.parquet"))
    assert paths, "no pseudo-data chunk written"
    for path in paths:
        assert read_metadata(path)["sample"] == "data", path
        truth = [name for name in pq.read_schema(path).names if name.startswith("true_")]
        assert not truth, f"{path} carries truth columns {truth}"
    selected = baseline.results / "selected" / "data.parquet"
    truth = [name for name in pq.read_schema(selected).names if name.startswith("true_")]
    assert not truth, f"{selected} carries truth columns {truth}"


# --------------------------------------------------------------------------- determinism


@pytest.mark.slow
def test_rechunked_run_splits_every_sample(rechunked):
    from analysis.storage import read_metadata

    for sample in SAMPLES:
        paths = sorted((rechunked.results / "sim" / sample).glob("chunk_*.parquet"))
        assert len(paths) >= 2, f"{sample} is in {len(paths)} chunk(s)"
        generated = sum(read_metadata(p)["n_generated"] for p in paths)
        assert generated == rechunked.summary["n_generated"][sample]


@pytest.mark.slow
def test_results_do_not_depend_on_cores_or_chunking(baseline, rechunked):
    pd.testing.assert_frame_equal(baseline.scan, rechunked.scan, check_exact=True)
    pd.testing.assert_frame_equal(
        pd.read_parquet(baseline.results / "spectrum.parquet"),
        pd.read_parquet(rechunked.results / "spectrum.parquet"),
        check_exact=True,
    )
    assert set(baseline.summary) == set(rechunked.summary)
    different = [k for k in baseline.summary if baseline.summary[k] != rechunked.summary[k]]
    assert not different, {k: (baseline.summary[k], rechunked.summary[k]) for k in different}


@pytest.mark.slow
def test_run_killed_mid_way_completes_identically_when_rerun(tmp_path, code_root, baseline):
    """``kill -9`` of the whole workflow while jobs run, then the same command.

    The command is what ``make run`` does: remove the locks of a killed run
    (``python -m analysis unlock-stale``, which keeps them while a run is live),
    then Snakemake, which redoes the interrupted jobs (``rerun-incomplete`` in
    profiles/default) and gives the results of an uninterrupted run.
    """
    workdir = make_workdir(tmp_path / "killed")
    arguments = ["--cores", "2", *config_arguments()]
    process = subprocess.Popen(
        [sys.executable, "-m", "snakemake", *arguments],
        cwd=workdir,
        env=environment(code_root),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    sim = results_dir(workdir) / "sim"
    deadline = time.monotonic() + RUN_TIMEOUT
    try:  # kill as soon as the first simulation chunk exists, with other jobs under way
        while not any(sim.glob("*/chunk_*.parquet")):
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no simulation chunk appeared"
            time.sleep(0.1)
        live = run_cli(["unlock-stale"], cwd=workdir, code_root=code_root)
        assert "locks kept: Snakemake runs" in live.stderr, output_of(live)
        assert any((workdir / ".snakemake" / "locks").glob("*.lock"))
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert not (results_dir(workdir) / "summary.json").exists()
    unlock = run_cli(["unlock-stale"], cwd=workdir, code_root=code_root)
    assert unlock.returncode == 0, output_of(unlock)
    assert "lock(s) of a Snakemake run that was killed" in unlock.stderr, output_of(unlock)
    rerun = run_snakemake(workdir, arguments, code_root=code_root)
    assert rerun.returncode == 0, output_of(rerun)
    results = results_dir(workdir)
    pd.testing.assert_frame_equal(
        pd.read_parquet(results / "scan.parquet"), baseline.scan, check_exact=True
    )
    assert json.loads((results / "summary.json").read_text()) == baseline.summary


# --------------------------------------------------------------------------- injection


@pytest.mark.slow
def test_injected_signal_is_found_at_its_mass(injected):
    summary = injected.summary
    assert summary["injection"] == {"mass_mev": INJECTION_MASS_MEV, "branching_ratio": INJECTION_BR}
    assert summary["n_generated"].get("data_injection", 0) > 0, summary["n_generated"]
    best = summary["most_significant"]
    assert abs(best["mass_mev"] - INJECTION_MASS_MEV) <= 10, best
    assert best["local_significance"] > 3, best


@pytest.mark.slow
def test_background_only_run_shows_no_such_excess(baseline, injected):
    best = baseline.summary["most_significant"]
    near = abs(best["mass_mev"] - INJECTION_MASS_MEV) <= 10
    assert not (near and best["local_significance"] > 3), best
    at = {
        name: run.scan.set_index("mass_mev").loc[float(INJECTION_MASS_MEV)]
        for name, run in (("background only", baseline), ("injected", injected))
    }
    assert at["background only"]["local_significance"] < at["injected"]["local_significance"]
    assert at["injected"]["n_obs"] - at["background only"]["n_obs"] >= INJECTION_EVENTS / 4


@pytest.mark.slow
def test_injection_changes_only_the_injected_events(baseline, injected):
    """The rest of the pseudo-data, the MC and N_K are those of the background-only run."""
    base, inj = baseline.scan, injected.scan
    pd.testing.assert_series_equal(base["mass_mev"], inj["mass_mev"], check_exact=True)
    for column in ("n_bkg", "n_bkg_err", "acceptance"):
        pd.testing.assert_series_equal(base[column], inj[column], check_exact=True)
    assert np.all(inj["n_obs"].to_numpy() >= base["n_obs"].to_numpy())
    for key in ("n_kaon_decays", "n_kaon_decays_err", "n_kaon_decays_true"):
        assert injected.summary[key] == baseline.summary[key], key
    pd.testing.assert_frame_equal(
        pd.read_parquet(baseline.results / "sim" / "data" / "chunk_0.parquet"),
        pd.read_parquet(injected.results / "sim" / "data" / "chunk_0.parquet"),
        check_exact=True,
    )


@pytest.mark.slow
def test_injected_events_carry_no_truth(injected):
    paths = sorted((injected.results / "sim" / "data_injection").glob("*.parquet"))
    assert paths, "no injected-signal chunk written"
    for path in paths:
        truth = [name for name in pq.read_schema(path).names if name.startswith("true_")]
        assert not truth, f"{path} (part of the pseudo-data) carries truth columns {truth}"


# --------------------------------------------------------------------------- bad configuration


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("scale=-1", ["'scale'", "-1"]),
        ("selections=[foo]", ["selections", "'foo'"]),
        ("seed=1.5", ["'seed'", "1.5"]),
        (
            f"injection={{{SELECTION}: {{mass_mev: 100, branching_ratio: 1e-6}}}}",
            ["injection.na62_en.mass_mev", "100"],
        ),
        (
            f"injection={{{SELECTION}: {{mass_mev: 300, branching_ratio: 0}}}}",
            ["injection.na62_en.branching_ratio", "0"],
        ),
    ],
    ids=["negative-scale", "unknown-selection", "fractional-seed", "mass-out-of-range", "zero-br"],
)
def test_bad_config_is_refused_before_any_job(tmp_path, override, expected):
    workdir = make_workdir(tmp_path / "wf")
    process = run_snakemake(workdir, ["--cores", "2", "--config", override], timeout=120)
    output = process.stdout + process.stderr
    assert process.returncode != 0, output_of(process)
    assert "config key" in output, output_of(process)
    for text in expected:
        assert text in output, f"{text!r} not in the message:\n{output_of(process)}"
    assert not (workdir / "results").exists(), "results/ was created before validation"
    assert not (workdir / "logs").exists(), "a job ran before validation"


# --------------------------------------------------------------------------- corrupt intermediates


def _corrupt_copy(source: Path, destination: Path, how: str) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if how == "garbage":
        destination.write_bytes(b"not a parquet file \x00\xff" * 64)
    else:  # truncated: a killed writer that somehow left half of the file
        content = source.read_bytes()
        destination.write_bytes(content[: len(content) // 2])
    return destination


def _select_on(path: Path, baseline: Run, code_root: Path, tmp_path: Path):
    return run_cli(
        [
            "select",
            "--selection",
            SELECTION,
            "--inputs",
            path,
            "--kaon-momentum",
            baseline.results / "kaon_momentum.json",
            "--output",
            tmp_path / "out" / "kmu2.parquet",
            "--summary",
            tmp_path / "out" / "kmu2.json",
        ],
        cwd=tmp_path,
        code_root=code_root,
    )


@pytest.mark.slow
@pytest.mark.parametrize("how", ["garbage", "truncated"])
def test_corrupt_chunk_is_reported_with_its_path(baseline, code_root, tmp_path, how):
    source = baseline.results / "sim" / "kmu2" / "chunk_0.parquet"
    bad = _corrupt_copy(source, tmp_path / "sim" / "kmu2" / "chunk_0.parquet", how)
    process = _select_on(bad, baseline, code_root, tmp_path)
    assert process.returncode != 0, output_of(process)
    assert str(bad) in process.stderr, output_of(process)
    assert not (tmp_path / "out" / "kmu2.parquet").exists()
    assert not (tmp_path / "out" / "kmu2.json").exists()


@pytest.mark.slow
def test_corrupt_chunk_gives_a_clean_cli_error(baseline, code_root, tmp_path):
    source = baseline.results / "sim" / "kmu2" / "chunk_0.parquet"
    bad = _corrupt_copy(source, tmp_path / "sim" / "kmu2" / "chunk_0.parquet", "garbage")
    process = _select_on(bad, baseline, code_root, tmp_path)
    assert process.returncode == 2, output_of(process)
    assert "Traceback" not in process.stderr, output_of(process)
    assert process.stderr.startswith("error:") and str(bad) in process.stderr, output_of(process)


@pytest.mark.slow
def test_workflow_reports_a_corrupt_chunk_with_its_path(baseline, code_root, tmp_path):
    """A damaged chunk of a finished run makes the next run fail, naming the file."""
    workdir = tmp_path / "wf"
    shutil.copytree(baseline.workdir, workdir, symlinks=True)
    chunk = Path("results") / SELECTION / "sim" / "kmu2" / "chunk_0.parquet"
    (workdir / chunk).write_bytes(b"not a parquet file \x00\xff" * 64)
    process = run_snakemake(workdir, ["--cores", "2", *config_arguments()], code_root=code_root)
    assert process.returncode != 0, output_of(process)
    output = process.stdout + process.stderr
    assert str(chunk) in output or str(workdir / chunk) in output, output_of(process, tail=20000)
    assert "corrupt" in output.lower(), output_of(process, tail=20000)


# --------------------------------------------------------------------------- lint


def test_snakemake_lint_passes_on_the_checkout():
    process = run_snakemake(REPO_ROOT, ["--lint"], code_root=REPO_ROOT, timeout=300)
    assert process.returncode == 0, output_of(process)


def test_snakemake_of_the_test_interpreter_is_version_9():
    """The runs above use ``sys.executable -m snakemake``: the Snakemake the project pins."""
    process = run_snakemake(REPO_ROOT, ["--version"], timeout=60)
    assert process.returncode == 0, output_of(process)
    assert process.stdout.strip().startswith("9."), process.stdout
