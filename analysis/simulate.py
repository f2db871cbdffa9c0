"""The fused simulation chain: generation → detector response → trigger, per chunk.

For large samples nothing but triggered, reconstructed events and exact counts
are written (DESIGN.md §2).  A sample of ``n_decays`` decays is cut into blocks
of :data:`analysis.rng.BLOCK_SIZE`; a chunk (one job) is a contiguous range of
blocks, and every block has its own random stream, so results do not depend on
the chunking, on ``--cores`` or on the number of threads.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np

from analysis import decays, storage
from analysis.decays import dispatch
from analysis.experiments import experiment_module
from analysis.rng import BLOCK_SIZE, sample_key


@dataclass(frozen=True)
class Sample:
    """What a sample contains: channel weights and, for signal, the HNL masses (GeV)."""

    name: str
    experiment: str
    channels: dict[str, float]
    masses: tuple[float, ...] = (0.0,)
    is_data: bool = False
    #: ``sample`` metadata of real-data-like samples (no truth columns): ``data`` for the
    #: pseudo-data, another name for control runs (e.g. the K− halo runs).
    data_label: str = "data"
    forced_decays: float = 0.0
    description: str = ""
    extra: dict = field(default_factory=dict)
    #: Overrides of the experiment table for this sample (run conditions such as
    #: the blinding of the pseudo-data or the lifetime of an injected HNL).
    geometry: dict = field(default_factory=dict)
    #: Run of the experiment ("" for its default run; ``pnn``: the NA62 2016 πνν̄ run).
    run: str = ""

    def __post_init__(self):
        for name in self.channels:
            decays.channel(name)
        if not self.channels:
            raise ValueError(f"sample {self.name!r} has no decay channel")
        if any(w <= 0 for w in self.channels.values()):
            raise ValueError(f"sample {self.name!r}: channel weights must be positive")
        if any(m < 0 for m in self.masses):
            raise ValueError(f"sample {self.name!r}: HNL masses must be non-negative")
        for name in self.channels:
            end_point = decays.channel(name).max_mass
            if end_point and any(m >= end_point for m in self.masses):
                raise ValueError(
                    f"sample {self.name!r}: HNL mass must be below the {name} end point "
                    f"m_K - m_l = {end_point * 1e3:.1f} MeV, got {max(self.masses) * 1e3:.1f} MeV"
                )
            threshold = decays.channel(name).min_mass
            if threshold and any(m <= threshold for m in self.masses):
                raise ValueError(
                    f"sample {self.name!r}: HNL mass must be above the {name} threshold "
                    f"m_pi + m_l = {threshold * 1e3:.1f} MeV, got {min(self.masses) * 1e3:.1f} MeV"
                )
        if not 0.0 <= self.forced_decays < 1.0:
            raise ValueError(
                f"sample {self.name!r}: forced_decays must be in [0, 1), got {self.forced_decays}"
            )
        if self.is_data and self.forced_decays:
            raise ValueError(
                f"sample {self.name!r}: pseudo-data must be simulated without forced decays"
            )

    def model_digest(self) -> str:
        """A digest of everything that shapes the sample's events besides seed and size.

        The channel mixture, the signal masses, the forced decays, the kind of sample
        and the complete experiment table of its run (the YAML with the sample's
        overrides).  The workflow passes it as a parameter, so that a change of the
        model — an edited experiment or cut table — re-simulates the sample instead
        of reusing files made with the old one.
        """
        exp = experiment_module(self.experiment, self.run)
        payload = {
            "experiment": self.experiment,
            "run": self.run,
            "channels": self.channels,
            "masses": list(self.masses),
            "is_data": self.is_data,
            "data_label": self.data_label,
            "forced_decays": self.forced_decays,
            "geometry": exp.make_geometry(**self.geometry)._asdict(),
        }
        text = json.dumps(payload, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def n_blocks(n_decays: int) -> int:
    """Number of blocks holding ``n_decays`` decays."""
    return max(1, math.ceil(n_decays / BLOCK_SIZE))


def chunk_ranges(n_decays: int, chunk_decays: int) -> list[tuple[int, int]]:
    """Split a sample into chunks of whole blocks: a list of (first_block, n_blocks)."""
    total = n_blocks(n_decays)
    per_chunk = max(1, chunk_decays // BLOCK_SIZE)
    return [(first, min(per_chunk, total - first)) for first in range(0, total, per_chunk)]


class Progress:
    """Prints decays done and the rate to stderr every few seconds."""

    def __init__(self, label: str, total: int, every: float = 5.0, enabled: bool = True):
        self.label, self.total, self.every, self.enabled = label, total, every, enabled
        self.start = self.last = time.perf_counter()

    def update(self, done: int, final: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (not final and now - self.last < self.every):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        print(
            f"[{self.label}] {done:,}/{self.total:,} decays"
            f" ({100.0 * done / max(self.total, 1):.1f}%),"
            f" {rate / 1e6:.2f} M decays/s",
            file=sys.stderr,
            flush=True,
        )


def simulate(
    sample: Sample,
    n_decays: int,
    seed: int,
    output: str | Path,
    first_block: int = 0,
    blocks: int | None = None,
    chunk: int = 0,
    config_hash: str = "",
    progress: bool = True,
) -> dict:
    """Run the fused chain for blocks [first_block, first_block + blocks) of ``sample``.

    Writes the triggered events to ``output`` (Parquet, atomic) and returns the
    file's metadata, including the exact numbers of generated decays and of
    decays in the fiducial region per HNL mass.
    """
    if n_decays <= 0:
        raise ValueError(f"number of decays must be positive, got {n_decays}")
    exp = experiment_module(sample.experiment, sample.run)
    total_blocks = n_blocks(n_decays)
    if blocks is None:
        blocks = total_blocks - first_block
    if first_block < 0 or blocks <= 0 or first_block + blocks > total_blocks:
        raise ValueError(
            f"block range [{first_block}, {first_block + blocks}) outside"
            f" the sample's {total_blocks} blocks"
        )
    key = sample_key(seed, sample.name)
    weights = {decays.channel(c).code: w for c, w in sample.channels.items()}
    codes, cumulative = dispatch.mixture(weights)
    masses = np.asarray(sample.masses, dtype=np.float64)

    columns = exp.RECO_COLUMNS if sample.is_data else exp.COLUMNS
    metadata = {
        "sample": sample.data_label if sample.is_data else sample.name,
        "stream": sample.name,
        "experiment": sample.experiment,
        **({"run": sample.run} if sample.run else {}),
        "channels": sample.channels,
        "masses_gev": list(sample.masses),
        "seed": int(seed),
        "chunk": int(chunk),
        "first_block": int(first_block),
        "n_blocks": int(blocks),
        "block_size": BLOCK_SIZE,
        "n_decays_sample": int(n_decays),
        "weights": "trigger downscale factor x importance weight of forced decays in flight",
        "forced_decays": sample.forced_decays,
        "fiducial_z_m": [exp.GEOMETRY.fiducial_z_min, exp.GEOMETRY.fiducial_z_max],
        "config_hash": config_hash,
        "geometry_overrides": dict(sample.geometry),
        **sample.extra,
    }
    geometry = exp.geometry_record(exp.make_geometry(**sample.geometry))
    per_batch = max(2, 4 * numba.get_num_threads())
    out = np.empty((per_batch, BLOCK_SIZE, exp.N_OUT))  # every written row is filled
    counts = np.zeros((masses.shape[0], 2), dtype=np.int64)
    writer = storage.TableWriter(output, columns, metadata)
    bar = Progress(
        f"{sample.name} chunk {chunk}",
        min(n_decays, (first_block + blocks) * BLOCK_SIZE) - first_block * BLOCK_SIZE,
        enabled=progress,
    )
    try:
        done = 0
        for first in range(first_block, first_block + blocks, per_batch):
            nb = min(per_batch, first_block + blocks - first)
            n_out = np.zeros(nb, dtype=np.int64)
            counters = np.zeros((nb, masses.shape[0], 2), dtype=np.int64)
            exp.simulate_batch(
                key,
                first,
                nb,
                n_decays,
                codes,
                cumulative,
                masses,
                sample.forced_decays,
                geometry,
                out,
                n_out,
                counters,
            )
            counts += counters.sum(axis=0)
            for b in range(nb):
                writer.write_rows(out[b, : n_out[b]])
            done = int(counts[:, 0].sum())
            bar.update(done)
        bar.update(done, final=True)
    except BaseException:
        writer.abort()
        raise
    final = {
        "n_generated": int(counts[:, 0].sum()),
        "n_fiducial": int(counts[:, 1].sum()),
        "n_generated_per_mass": counts[:, 0].tolist(),
        "n_fiducial_per_mass": counts[:, 1].tolist(),
        "n_written": int(writer.rows),
    }
    writer.close(final)
    metadata.update(final)
    return metadata
