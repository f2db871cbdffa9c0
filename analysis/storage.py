"""Parquet intermediates: atomic writes, provenance metadata, checked reads.

Every file the pipeline writes carries a JSON document under the file-metadata
key ``analysis`` (sample, experiment, chunk, seed, counts of generated decays,
weights convention, code version, config hash).  Writes go to a temporary name
in the destination directory and are renamed into place, so a killed job never
leaves a file that looks complete.  Reads verify that the file is a complete
Parquet file and report the path of any that is not.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from analysis import __version__
from analysis._jit import jit

METADATA_KEY = b"analysis"
FINAL_KEY = b"analysis_final"  # counts known only when a file is complete


class CorruptFileError(RuntimeError):
    """An intermediate file is missing, truncated or not what the pipeline wrote."""


def _file_mode() -> int:
    """The mode a newly created file gets under the process's umask (0o644 for 022).

    Read once, at import (reading the umask means setting it for an instant).
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp"):
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    The file gets the permissions of a file created with ``open`` (the temporary
    file is private, which would make results unreadable to a group sharing them).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: str | os.PathLike, document: Any) -> None:
    """Write ``document`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(
            json.dumps(document, indent=2, sort_keys=False, default=_json_default) + "\n"
        )


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file written by :func:`write_json`, reporting corrupt files with their path."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise CorruptFileError(f"missing file: {path}") from None
    except json.JSONDecodeError as exc:
        raise CorruptFileError(f"corrupt JSON file {path}: {exc}") from None


def schema_for(columns: list[tuple[str, Any]], metadata: dict[str, Any]) -> pa.Schema:
    """An explicit Arrow schema from (name, numpy dtype) pairs plus provenance metadata.

    Numeric columns are declared non-nullable (a NaN is a value, not a null): the
    writer then stores no definition levels, a quarter of its time per row.
    """
    fields = [
        pa.field(name, pa.string())
        if np.dtype(dtype) == object
        else pa.field(name, pa.from_numpy_dtype(np.dtype(dtype)), nullable=False)
        for name, dtype in columns
    ]
    document = {"code_version": __version__, **metadata}
    return pa.schema(fields, metadata={METADATA_KEY: json.dumps(document, default=_json_default)})


def encoding_options(schema: pa.Schema) -> dict[str, Any]:
    """Parquet encodings that suit the pipeline's columns (zstd on top of all).

    Measured values (floats) are noise in their low mantissa bits, which no
    compressor shrinks; the byte-stream-split encoding groups the bytes of equal
    significance (signs and exponents compress well), 25% smaller files than
    plain zstd.  Event numbers (64-bit, increasing) are delta-encoded (0.4
    instead of 2.6 bytes per row).  Small integer codes and flags are written
    plain: zstd shrinks them as well as a dictionary would, and the dictionary
    cost a tenth of the writing time; strings keep it.
    Row-group statistics (minimum, maximum) are kept for the integer and
    boolean columns, which readers filter on (streams, codes, event numbers);
    for the floats they cost a tenth of the writing time and no reader uses them.
    """
    encoding: dict[str, str] = {}
    for f in schema:
        if pa.types.is_floating(f.type):
            encoding[f.name] = "BYTE_STREAM_SPLIT"
        elif pa.types.is_integer(f.type) and f.type.bit_width == 64:
            encoding[f.name] = "DELTA_BINARY_PACKED"
    dictionary = [f.name for f in schema if pa.types.is_string(f.type)]
    return {
        "compression": "zstd",
        "use_dictionary": dictionary or False,
        "write_statistics": [f.name for f in schema if not pa.types.is_floating(f.type)] or False,
        **({"column_encoding": encoding} if encoding else {}),
    }


@jit
def _transpose(rows, first, count, out):
    """out[c, r] = rows[first + r, c] for the first out.shape[0] columns.

    Row by row: each row is read once, its values go to as many output streams
    as there are columns (faster here than tiles of rows read column by column).
    """
    for r in range(count):
        for c in range(out.shape[0]):
            out[c, r] = rows[first + r, c]


class TableWriter:
    """Incremental, atomic Parquet writer (:func:`encoding_options`).

    Rows passed to :meth:`write` or :meth:`write_rows` are copied into column
    buffers and written as row groups of exactly ``row_group_rows`` rows (the
    last one may be shorter), so a file's row groups do not depend on how its
    rows arrived.  Every row group costs its column chunks, their encoders and
    compressors (~2 ms for the 35 columns of a simulated event) whatever its
    length, so a writer fed a few triggered events per batch would otherwise
    spend more time on row groups than on rows.
    """

    def __init__(
        self,
        path,
        columns: list[tuple[str, Any]],
        metadata: dict[str, Any],
        row_group_rows: int = 1 << 17,
    ):
        self.path = Path(path)
        self.columns = columns
        self.metadata = dict(metadata)
        self.row_group_rows = int(row_group_rows)
        if self.row_group_rows <= 0:
            raise ValueError(f"row_group_rows must be positive, got {row_group_rows}")
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._schema = schema_for(columns, self.metadata)
        self._writer = pq.ParquetWriter(self._tmp, self._schema, **encoding_options(self._schema))
        self._buffers = [np.empty(self.row_group_rows, dtype) for _, dtype in columns]
        self._scratch = None  # (columns, rows) float64 of write_rows, made when first needed
        self._numeric = all(np.dtype(dtype) != object for _, dtype in columns)
        self._filled = 0
        self.rows = 0

    def write(self, arrays: dict[str, np.ndarray]) -> None:
        """Add rows (one array per column, equal lengths; copied) to the file."""
        n = len(next(iter(arrays.values()))) if arrays else 0
        sources = [arrays[name] for name, _ in self.columns] if n else []
        lengths = {name: len(source) for (name, _), source in zip(self.columns, sources)}
        if any(length != n for length in lengths.values()):
            raise ValueError(f"columns of unequal lengths for {self.path}: {lengths}")

        def fill(first, count, at):
            for buffer, source in zip(self._buffers, sources):
                buffer[at : at + count] = source[first : first + count]

        self._append(n, fill)

    def write_rows(self, rows: np.ndarray) -> None:
        """Add rows given as a (rows, ≥ columns) float array: file column i is ``rows[:, i]``.

        The rows are transposed in one pass over them (a column-wise gather would
        read every row once per column) and cast to the columns' types by numpy;
        every column must be numeric.
        """
        if not self._numeric:
            raise TypeError(f"write_rows needs numeric columns only ({self.path})")
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        if rows.ndim != 2 or (len(rows) and rows.shape[1] < len(self.columns)):
            raise ValueError(
                f"rows must be (n, >= {len(self.columns)}) for {self.path}, got {rows.shape}"
            )

        if self._scratch is None:
            # rows 8 values longer than a row group: with the columns a power of two
            # apart, all of them map onto the same cache sets (2-3 times slower)
            self._scratch = np.empty((len(self.columns), self.row_group_rows + 8))

        def fill(first, count, at):
            _transpose(rows, first, count, self._scratch[:, :count])
            for buffer, column in zip(self._buffers, self._scratch):
                buffer[at : at + count] = column[:count]

        self._append(len(rows), fill)

    def _append(self, n: int, fill) -> None:
        first = 0
        while first < n:
            count = min(n - first, self.row_group_rows - self._filled)
            fill(first, count, self._filled)
            self._filled += count
            first += count
            if self._filled == self.row_group_rows:
                self._flush()
        self.rows += n

    def _flush(self) -> None:
        if not self._filled:
            return
        table = pa.Table.from_arrays(
            [
                pa.array(buffer[: self._filled], type=field.type)
                for buffer, field in zip(self._buffers, self._schema)
            ],
            schema=self._schema,
        )
        self._writer.write_table(table)  # encodes (copies) the buffers: they are free again
        self._filled = 0

    def close(self, extra_metadata: dict[str, Any] | None = None) -> None:
        """Finish the file, adding final counts to its footer, and move it into place."""
        self._flush()
        if extra_metadata:
            self.metadata.update(extra_metadata)
            self._writer.add_key_value_metadata(
                {FINAL_KEY: json.dumps(extra_metadata, default=_json_default)}
            )
        self._writer.close()
        self._ctx.__exit__(None, None, None)

    def abort(self) -> None:
        try:
            self._writer.close()
        finally:
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)


def write_table(
    path, columns: list[tuple[str, Any]], arrays: dict[str, np.ndarray], metadata: dict[str, Any]
) -> None:
    """Write a whole table at once (atomic, :func:`encoding_options`, explicit schema)."""
    writer = TableWriter(path, columns, metadata)
    try:
        writer.write(arrays)
    except BaseException:
        writer.abort()
        raise
    writer.close()


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The provenance metadata of a Parquet file written by this package."""
    try:
        raw = pq.read_metadata(path).metadata or {}
    except FileNotFoundError:
        raise CorruptFileError(f"missing intermediate file: {path}") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise CorruptFileError(f"corrupt or truncated Parquet file {path}: {exc}") from None
    if METADATA_KEY not in raw:
        raise CorruptFileError(
            f"{path} carries no '{METADATA_KEY.decode()}' metadata: not written by this pipeline"
        )
    document = json.loads(raw[METADATA_KEY])
    if FINAL_KEY in raw:
        document.update(json.loads(raw[FINAL_KEY]))
    return document


def read_table(path: str | os.PathLike, columns: Iterable[str] | None = None):
    """Read a Parquet file into a pandas DataFrame, reporting corrupt files with their path."""
    try:
        return pq.read_table(
            path, columns=list(columns) if columns is not None else None
        ).to_pandas()
    except FileNotFoundError:
        raise CorruptFileError(f"missing intermediate file: {path}") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise CorruptFileError(f"corrupt or truncated Parquet file {path}: {exc}") from None
