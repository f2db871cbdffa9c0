"""Cost of the Parquet output per written event (``analysis.storage.TableWriter``).

The rows are those the fused chain writes: a K+ → e+ν sample of NA62 2015 (about
half of its decays are written) is simulated once, read back and laid out as the
kernel's row-major block of doubles.  The writer is then timed alone, fed in
batches of one random-number block's rows as :func:`analysis.simulate.simulate`
feeds it:

* ``write_rows``: the block as it comes from the kernel (the path the
  simulation takes);
* ``write strided``: one strided view per column of that block (the path the
  simulation took before ``write_rows``);
* ``write typed``: one contiguous array of the column's type per column (the
  path of whole tables).

    python benchmarks/bench_storage.py                 # 10^6 decays, best of five
    python benchmarks/bench_storage.py --decays 4e6 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decays", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=5, help="best of N runs")
    args = parser.parse_args(argv)
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

    from analysis import storage
    from analysis.experiments import na62
    from analysis.rng import BLOCK_SIZE
    from analysis.simulate import Sample, simulate

    columns = na62.COLUMNS
    with tempfile.TemporaryDirectory() as tmp:
        source = pathlib.Path(tmp) / "ke2.parquet"
        simulate(Sample("ke2", "na62", {"ke2": 1.0}), int(args.decays), 1, source, progress=False)
        table = storage.read_table(source)
        rows = np.column_stack([table[name].to_numpy(np.float64) for name, _ in columns])
        batch = max(1, len(rows) * BLOCK_SIZE // int(args.decays))  # rows of one block
        arrays = {name: table[name].to_numpy() for name, _ in columns}

        def by_rows(writer):
            for first in range(0, len(rows), batch):
                writer.write_rows(rows[first : first + batch])

        def by_strided_columns(writer):
            for first in range(0, len(rows), batch):
                block = rows[first : first + batch]
                writer.write({name: block[:, i] for i, (name, _) in enumerate(columns)})

        def by_typed_columns(writer):
            for first in range(0, len(rows), batch):
                writer.write({k: v[first : first + batch] for k, v in arrays.items()})

        paths = [
            ("write_rows", by_rows),
            ("write strided", by_strided_columns),
            ("write typed", by_typed_columns),
        ]
        target = pathlib.Path(tmp) / "out.parquet"
        for label, feed in paths:
            best = float("inf")
            for _ in range(args.repeat + 1):  # the first run compiles the transposition
                start = time.perf_counter()
                writer = storage.TableWriter(target, columns, {"sample": "bench"})
                feed(writer)
                writer.close()
                best = min(best, time.perf_counter() - start)
            size = target.stat().st_size
            print(
                f"{label:13s} {best / len(rows) * 1e9:6.0f} ns per row"
                f"  ({len(rows)} rows of {len(columns)} columns, batches of {batch},"
                f" {size / len(rows):.1f} bytes per row)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
