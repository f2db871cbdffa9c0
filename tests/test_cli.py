"""``python -m analysis``: the stages runnable without Snakemake, and their error messages."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from workflow_helpers import output_of, run_cli

STAGES = ["simulate", "select", "normalise", "scan", "estimate", "plot"]
CHANNELS = ["kmu2", "ke2", "k2pi", "k3pi", "ke3", "kmu3", "k3pi0", "hnl_e", "hnl_mu", "halo_mu"]
EXPERIMENTS = ["na62", "na62rk", "na48_2"]


def _simulate(tmp_path, *options):
    return run_cli(["simulate", *options, "--quiet"], cwd=tmp_path)


def test_help_lists_every_stage(tmp_path):
    process = run_cli(["--help"], cwd=tmp_path)
    assert process.returncode == 0, output_of(process)
    for stage in STAGES:
        assert stage in process.stdout, f"{stage!r} not in:\n{process.stdout}"


@pytest.mark.parametrize("stage", [*STAGES, "kaon-momentum"])
def test_every_stage_has_help(tmp_path, stage):
    process = run_cli([stage, "--help"], cwd=tmp_path)
    assert process.returncode == 0, output_of(process)
    assert process.stdout.startswith("usage:"), process.stdout


def test_list_channels(tmp_path):
    process = run_cli(["simulate", "--list-channels"], cwd=tmp_path)
    assert process.returncode == 0, output_of(process)
    listed = [line.split()[0] for line in process.stdout.splitlines() if line.strip()]
    for name in CHANNELS:
        assert name in listed, f"{name!r} not listed:\n{process.stdout}"
    for name in EXPERIMENTS:
        assert name in process.stdout


@pytest.mark.slow
def test_simulate_one_channel(tmp_path):
    output = tmp_path / "kmu2.parquet"
    process = _simulate(
        tmp_path,
        "--experiment",
        "na62",
        "--channel",
        "kmu2",
        "--decays",
        "100000",
        "--seed",
        "3",
        "--output",
        output,
    )
    assert process.returncode == 0, output_of(process)
    report = json.loads(process.stdout.strip().splitlines()[-1])
    assert report["n_generated"] == 100000
    assert report["sample"] == "kmu2"
    assert 0 < report["n_written"] <= report["n_fiducial"] <= report["n_generated"]

    assert output.is_file()
    assert pq.read_metadata(output).num_rows == report["n_written"]
    from analysis.storage import read_metadata

    meta = read_metadata(output)
    assert meta["n_generated"] == 100000
    assert meta["seed"] == 3
    assert meta["sample"] == "kmu2"
    assert not list(tmp_path.glob(".*.tmp")), "a temporary file was left behind"


@pytest.mark.slow
def test_simulate_is_reproducible(tmp_path):
    tables = []
    for name in ("a", "b"):
        output = tmp_path / f"{name}.parquet"
        process = _simulate(
            tmp_path,
            "--experiment",
            "na62",
            "--channel",
            "ke3",
            "--decays",
            "70000",
            "--seed",
            "11",
            "--output",
            output,
        )
        assert process.returncode == 0, output_of(process)
        tables.append(pd.read_parquet(output))
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)


@pytest.mark.slow
def test_simulate_signal_channel_with_a_mass(tmp_path):
    output = tmp_path / "hnl.parquet"
    process = _simulate(
        tmp_path,
        "--experiment",
        "na62",
        "--channel",
        "hnl_e",
        "--mass",
        "300",
        "--decays",
        "70000",
        "--seed",
        "2",
        "--output",
        output,
    )
    assert process.returncode == 0, output_of(process)
    assert json.loads(process.stdout.strip().splitlines()[-1])["n_generated"] == 70000


def test_signal_channel_without_mass_is_refused(tmp_path):
    output = tmp_path / "hnl.parquet"
    process = _simulate(
        tmp_path,
        "--experiment",
        "na62",
        "--channel",
        "hnl_e",
        "--decays",
        "1000",
        "--output",
        output,
    )
    assert process.returncode != 0, output_of(process)
    assert "--mass" in process.stderr, output_of(process)
    assert "hnl_e" in process.stderr, output_of(process)
    assert "Traceback" not in process.stderr, output_of(process)
    assert not output.exists()


def test_unknown_channel_lists_the_valid_ones(tmp_path):
    process = _simulate(
        tmp_path,
        "--experiment",
        "na62",
        "--channel",
        "kmu9",
        "--decays",
        "1000",
        "--output",
        tmp_path / "x.parquet",
    )
    assert process.returncode != 0, output_of(process)
    assert "kmu9" in process.stderr, output_of(process)
    for name in CHANNELS:
        assert name in process.stderr, f"{name!r} not in:\n{output_of(process)}"
    assert "Traceback" not in process.stderr, output_of(process)


def test_unknown_experiment_lists_the_valid_ones(tmp_path):
    process = _simulate(
        tmp_path,
        "--experiment",
        "na99",
        "--channel",
        "kmu2",
        "--decays",
        "1000",
        "--output",
        tmp_path / "x.parquet",
    )
    assert process.returncode != 0, output_of(process)
    assert "na99" in process.stderr, output_of(process)
    for name in EXPERIMENTS:
        assert name in process.stderr, f"{name!r} not in:\n{output_of(process)}"
    assert "Traceback" not in process.stderr, output_of(process)


def test_na48_2_simulation_writes_three_track_events(tmp_path):
    out = tmp_path / "k3pi.parquet"
    process = _simulate(
        tmp_path,
        "--experiment",
        "na48_2",
        "--channel",
        "k3pi",
        "--decays",
        "20000",
        "--output",
        out,
    )
    assert process.returncode == 0, output_of(process)
    df = pd.read_parquet(out)
    assert len(df) > 0
    # K+ and K- decays: total charge +-1, both signs present
    charge = df["charge_1"].astype(int) + df["charge_2"].astype(int) + df["charge_3"].astype(int)
    assert set(charge.unique()) == {-1, 1}
    assert {"z_vtx", "cda", "muv_1", "eop_3", "true_kcharge"} <= set(df.columns)


def test_na62_pnn_run_writes_weighted_single_track_events(tmp_path):
    out = tmp_path / "k2pi.parquet"
    options = ["--experiment", "na62", "--run", "pnn", "--channel", "k2pi", "--decays", "20000"]
    process = _simulate(tmp_path, *options, "--output", out)
    assert process.returncode == 0, output_of(process)
    df = pd.read_parquet(out)
    assert len(df) > 1000
    # GTK beam track, RICH angle and the veto/identification probabilities of the MC
    assert {"gtk_pz", "rich_theta", "true_w_veto", "true_w_pid"} <= set(df.columns)
    assert (df["true_w_veto"] < 1e-3).mean() > 0.99  # the pi0 is almost always vetoed
    process = _simulate(tmp_path, *options[:3], "2017", *options[4:], "--output", out)
    assert process.returncode != 0
    assert "valid runs: pnn" in output_of(process)


def test_missing_options_are_named(tmp_path):
    process = run_cli(["simulate", "--channel", "kmu2"], cwd=tmp_path)
    assert process.returncode != 0, output_of(process)
    for option in ("--experiment", "--decays", "--output"):
        assert option in process.stderr, output_of(process)


@pytest.mark.parametrize("decays", ["0", "-5"])
def test_non_positive_decays_are_refused(tmp_path, decays):
    process = _simulate(
        tmp_path,
        "--experiment",
        "na62",
        "--channel",
        "kmu2",
        "--decays",
        decays,
        "--output",
        tmp_path / "x.parquet",
    )
    assert process.returncode != 0, output_of(process)
    assert "--decays" in process.stderr, output_of(process)
    assert not (tmp_path / "x.parquet").exists()
