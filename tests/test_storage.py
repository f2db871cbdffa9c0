"""Parquet intermediates: atomic writes, provenance metadata, and refusal of damaged files."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis import __version__, storage
from analysis.storage import CorruptFileError

COLUMNS = [("event", np.uint64), ("px_1", np.float64), ("stream", np.uint8), ("lav", np.bool_)]


def _arrays(n, offset=0):
    g = np.random.default_rng(offset)
    return {
        "event": np.arange(offset, offset + n, dtype=np.uint64),
        "px_1": g.normal(size=n),
        "stream": g.integers(1, 4, n).astype(np.uint8),
        "lav": g.random(n) < 0.1,
    }


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


# ----------------------------------------------------------------- atomic writes


def test_atomic_path_leaves_nothing_on_exception(tmp_path):
    target = tmp_path / "sub" / "result.json"
    with pytest.raises(RuntimeError, match="boom"):
        with storage.atomic_path(target) as tmp:
            tmp.write_text("half written")
            assert not target.exists()
            raise RuntimeError("boom")
    assert not target.exists()
    assert _leftovers(target.parent) == []


def test_atomic_path_keeps_previous_file_on_exception(tmp_path):
    target = tmp_path / "result.json"
    storage.write_json(target, {"n": 1})
    with pytest.raises(KeyboardInterrupt):
        with storage.atomic_path(target) as tmp:
            tmp.write_text("garbage")
            raise KeyboardInterrupt
    assert storage.read_json(target) == {"n": 1}
    assert _leftovers(tmp_path) == []


def test_written_files_get_the_permissions_of_the_umask(tmp_path):
    """The private temporary file is not what a group sharing the results gets."""
    mode = storage._FILE_MODE
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    storage.write_json(tmp_path / "a.json", {"n": 1})
    storage.write_table(tmp_path / "a.parquet", [("x", np.float64)], {"x": np.ones(3)}, {})
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "a.parquet").stat().st_mode) == mode
    # as a file created with open(), not the private mode of the temporary file
    (tmp_path / "c.txt").write_text("x")
    assert stat.S_IMODE((tmp_path / "c.txt").stat().st_mode) == mode


def test_json_round_trip_with_numpy_values(tmp_path):
    doc = {"n": np.int64(3), "x": np.float32(0.5), "a": np.arange(3), "s": "text"}
    storage.write_json(tmp_path / "d.json", doc)
    assert storage.read_json(tmp_path / "d.json") == {"n": 3, "x": 0.5, "a": [0, 1, 2], "s": "text"}
    with pytest.raises(TypeError):
        storage.write_json(tmp_path / "e.json", {"bad": object()})
    assert not (tmp_path / "e.json").exists()
    assert _leftovers(tmp_path) == []


def test_read_json_reports_missing_and_corrupt_files(tmp_path):
    with pytest.raises(CorruptFileError, match="missing"):
        storage.read_json(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"n": 1,')
    with pytest.raises(CorruptFileError, match=str(bad)):
        storage.read_json(bad)


# ----------------------------------------------------------------- tables


@pytest.mark.parametrize(("row_group_rows", "row_groups"), [(1 << 17, [150]), (60, [60, 60, 30])])
def test_table_writer_round_trip_with_final_counts(tmp_path, row_group_rows, row_groups):
    """Rows come back in order; writes are buffered into row groups of row_group_rows."""
    path = tmp_path / "events.parquet"
    meta = {"sample": "kmu2", "seed": 7, "chunk": 0, "masses_gev": [0.3]}
    writer = storage.TableWriter(path, COLUMNS, meta, row_group_rows=row_group_rows)
    writer.write(_arrays(100))
    writer.write({name: np.array([], dtype=dt) for name, dt in COLUMNS})  # empty batch: nothing
    writer.write(_arrays(50, offset=100))
    # nothing at the destination until the file is complete
    assert not path.exists()
    assert writer.rows == 150
    writer.close({"n_generated": 1000, "n_fiducial": np.int64(750), "n_written": 150})
    assert path.exists()
    assert _leftovers(tmp_path) == []

    document = storage.read_metadata(path)
    assert document["code_version"] == __version__
    for key, value in meta.items():
        assert document[key] == value
    assert (document["n_generated"], document["n_fiducial"], document["n_written"]) == (
        1000,
        750,
        150,
    )

    df = storage.read_table(path)
    assert list(df.columns) == [name for name, _ in COLUMNS]
    for name, dtype in COLUMNS:
        assert df[name].dtype == np.dtype(dtype)
    expected = {k: np.concatenate([_arrays(100)[k], _arrays(50, 100)[k]]) for k, _ in COLUMNS}
    for name, _ in COLUMNS:
        np.testing.assert_array_equal(df[name].to_numpy(), expected[name])
    # writes of 100 and 50 rows become groups of exactly row_group_rows, the rest at close
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == row_groups
    sub = storage.read_table(path, columns=["px_1"])
    assert list(sub.columns) == ["px_1"]


def test_write_rows_casts_like_numpy_whatever_the_batches(tmp_path):
    """A row-major float block written with write_rows equals its columns cast by numpy.

    The file's row groups do not depend on how the rows were cut into calls.
    """
    g = np.random.default_rng(3)
    n = 257
    rows = np.empty((n, 6))  # more columns than the file: the extra ones are ignored
    rows[:, 0] = np.arange(n) * 1_000_003  # event numbers
    rows[:, 1] = g.normal(size=n)
    rows[::7, 1] = np.nan
    rows[:, 2] = g.integers(0, 4, n)  # a stream code
    rows[:, 3] = g.random(n) < 0.3  # a flag
    rows[::11, 3] = np.nan  # numpy casts NaN to True
    rows[:, 4:] = g.normal(size=(n, 2))
    expected = {name: np.array(rows[:, i], dtype=dt) for i, (name, dt) in enumerate(COLUMNS)}
    for cuts in ([n], [0, 37, 100, 13, 107], [1] * 10 + [n - 10]):
        path = tmp_path / f"rows_{len(cuts)}.parquet"
        writer = storage.TableWriter(path, COLUMNS, {"sample": "x"}, row_group_rows=60)
        start = 0
        for k in cuts:
            writer.write_rows(rows[start : start + k])
            start += k
        writer.close()
        df = storage.read_table(path)
        for name, dtype in COLUMNS:
            assert df[name].dtype == np.dtype(dtype)
            np.testing.assert_array_equal(df[name].to_numpy(), expected[name])
        meta = pq.ParquetFile(path).metadata
        assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [60] * 4 + [17]
    writer = storage.TableWriter(tmp_path / "bad.parquet", COLUMNS, {})
    with pytest.raises(ValueError, match="rows must be"):
        writer.write_rows(rows[:, :3])
    writer.abort()
    writer = storage.TableWriter(tmp_path / "text.parquet", [("source", object)], {})
    with pytest.raises(TypeError, match="numeric columns"):
        writer.write_rows(rows[:, :1])
    writer.abort()


def test_table_writer_abort_leaves_no_file(tmp_path):
    path = tmp_path / "events.parquet"
    writer = storage.TableWriter(path, COLUMNS, {"sample": "x"})
    writer.write(_arrays(10))
    writer.abort()
    assert not path.exists()
    assert _leftovers(tmp_path) == []


def test_write_table_failure_leaves_no_file(tmp_path):
    path = tmp_path / "events.parquet"
    arrays = _arrays(10)
    del arrays["lav"]
    with pytest.raises(KeyError):
        storage.write_table(path, COLUMNS, arrays, {"sample": "x"})
    # a column longer than the others is refused, not cut to the first one's length
    arrays = _arrays(10)
    arrays["px_1"] = np.zeros(11)
    with pytest.raises(ValueError, match="unequal lengths"):
        storage.write_table(path, COLUMNS, arrays, {"sample": "x"})
    assert not path.exists()
    assert _leftovers(tmp_path) == []


def test_write_table_empty_is_a_valid_file(tmp_path):
    path = tmp_path / "empty.parquet"
    storage.write_table(
        path, COLUMNS, {name: np.array([], dtype=dt) for name, dt in COLUMNS}, {"sample": "x"}
    )
    df = storage.read_table(path)
    assert len(df) == 0 and list(df.columns) == [n for n, _ in COLUMNS]
    assert storage.read_metadata(path)["sample"] == "x"


def test_empty_chunk_yields_its_counts_and_only_the_columns_asked_for(tmp_path):
    from analysis.analyses.lepton_search import read_chunks

    path = tmp_path / "chunk_0.parquet"
    empty = {name: np.array([], dtype=dt) for name, dt in COLUMNS}
    storage.write_table(path, COLUMNS, empty, {"sample": "x", "n_generated": 65536})
    ((meta, df),) = read_chunks([path], columns=["px_1", "stream"])
    assert meta["n_generated"] == 65536
    assert len(df) == 0 and list(df.columns) == ["px_1", "stream"]
    ((_, df),) = read_chunks([path])
    assert list(df.columns) == [n for n, _ in COLUMNS]


# ----------------------------------------------------------------- damaged files


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.parquet"
    storage.write_table(path, COLUMNS, _arrays(2000), {"sample": "x"})
    return path


@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_truncated_parquet_is_reported_with_its_path(good_file, tmp_path, keep):
    data = good_file.read_bytes()
    bad = tmp_path / "truncated.parquet"
    bad.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(CorruptFileError, match="truncated.parquet"):
        storage.read_table(bad)
    with pytest.raises(CorruptFileError, match="truncated.parquet"):
        storage.read_metadata(bad)


def test_garbage_and_empty_files_are_reported(tmp_path):
    for name, content in (
        ("garbage.parquet", b"not a parquet file at all" * 10),
        ("empty.parquet", b""),
    ):
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(CorruptFileError, match=name):
            storage.read_table(bad)
        with pytest.raises(CorruptFileError, match=name):
            storage.read_metadata(bad)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(CorruptFileError, match="missing"):
        storage.read_table(tmp_path / "nothing.parquet")
    with pytest.raises(CorruptFileError, match="missing"):
        storage.read_metadata(tmp_path / "nothing.parquet")


def test_foreign_parquet_without_provenance_is_refused(tmp_path):
    path = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), path)
    with pytest.raises(CorruptFileError, match="not written by this pipeline"):
        storage.read_metadata(path)


def test_schema_metadata_is_json(tmp_path):
    schema = storage.schema_for(COLUMNS, {"seed": np.int64(5)})
    assert json.loads(schema.metadata[storage.METADATA_KEY]) == {
        "code_version": __version__,
        "seed": 5,
    }
    assert [f.name for f in schema] == [n for n, _ in COLUMNS]
    assert schema.field("stream").type == pa.uint8()


# ----------------------------------------------------------------- batches and chunking


def _weight_chunks(tmp_path, weights, sizes):
    """The rows of ``weights`` written as consecutive chunk files of ``sizes`` rows."""
    paths, first = [], 0
    for k, size in enumerate(sizes):
        path = tmp_path / f"chunk_{k}.parquet"
        meta = {
            "sample": "mc",
            "stream": "mc",
            "experiment": "na62",
            "seed": 1,
            "channels": {"kmu2": 1.0},
            "masses_gev": [0.0],
            "n_generated": size,
            "n_fiducial": size,
            "n_fiducial_per_mass": [size],
        }
        rows = {"weight": weights[first : first + size]}
        storage.write_table(path, [("weight", np.float64)], rows, meta)
        paths.append(path)
        first += size
    return paths


def _sum_selection(df):
    w = df["weight"].to_numpy()
    flow = [{"cut": "all", "events": len(df), "weighted": float(w.sum())}]
    return df, flow, df, flow


@pytest.mark.parametrize("sizes", [[3_000], [1_000, 2_000], [7, 993, 1_500, 500], [2_999, 1]])
def test_selection_sums_do_not_depend_on_the_chunking(tmp_path, sizes):
    """Weighted counts and cut flows summed batch by batch are the same, bit for bit,
    however the rows are split into files (the batches are cut from the row
    sequence, not per file); per-file sums of these weights would differ."""
    from analysis.analyses.lepton_search import fixed_batches, select_sample

    w = np.random.default_rng(5).lognormal(0.0, 4.0, 3_000)
    ref = [float(b["weight"].sum()) for b in fixed_batches([pd.DataFrame({"weight": w})], 400)]
    _, info, _ = select_sample("test", _weight_chunks(tmp_path, w, sizes), _sum_selection, 400)
    acc = 0.0
    for r in ref:
        acc += r
    assert info["normalisation"]["weighted"] == acc
    assert info["cutflow_normalisation"][0]["weighted"] == acc
    assert info["n_generated"] == 3_000 and info["normalisation"]["events"] == 3_000
    # the per-file partial sums of the same weights round differently
    per_file, first = 0.0, 0
    for size in [1_000, 2_000]:
        per_file += float(w[first : first + size].sum())
        first += size
    assert per_file != acc


def test_fixed_batches_cut_the_row_sequence():
    from analysis.analyses.lepton_search import fixed_batches

    rows = pd.DataFrame({"x": np.arange(10)})
    parts = [rows.iloc[:3], rows.iloc[3:3], rows.iloc[3:9], rows.iloc[9:]]
    got = [b["x"].tolist() for b in fixed_batches(parts, 4)]
    assert got == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [len(b) for b in fixed_batches([rows.iloc[:0]], 4)] == [0]
