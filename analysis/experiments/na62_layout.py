"""NA62 (2015 setup): the geometry table and the layout of the reconstructed-event table.

Geometry values and their sources live in ``analysis/data/experiments/na62.yaml``;
kernels receive them as a record (:func:`geometry_record`).  The reconstructed
events written by the simulation (and accepted from real data) have the columns
:data:`RECO_COLUMNS`; Monte Carlo files add :data:`TRUTH_COLUMNS`.
"""

from __future__ import annotations

import numpy as np

from analysis.experiments.geometry import flatten, geometry_type, load_table

NAME = "na62"
TABLE = load_table(NAME)
_FLAT = flatten(TABLE)
#: The geometry as a flat named tuple of floats (fields ``<section>_<key>``), and its
#: constructor with overrides of individual fields (e.g. in tests).
Geometry, make_geometry = geometry_type(_FLAT, "NA62")

GEOMETRY = make_geometry()


def geometry_record(geometry: Geometry = GEOMETRY) -> np.recarray:
    """The geometry as a one-element record array, the form the kernels take.

    Numba passes a record by reference; a named tuple of ~80 floats would be
    copied into every call of every helper, which costs more than the physics.
    Any geometry named tuple of floats works (NA48/2 extends this one's fields).
    """
    record = np.recarray(1, dtype=np.dtype([(name, np.float64) for name in geometry._fields]))
    for name, value in geometry._asdict().items():
        record[name] = value
    return record


def track_columns(muon_veto: str) -> list[tuple[str, type]]:
    """Columns of tracks 1–3: charge, momentum, LKr E/p and the muon-veto signal (6 each)."""
    columns: list[tuple[str, type]] = []
    for k in (1, 2, 3):
        columns += [
            (f"charge_{k}", np.int8),
            (f"px_{k}", np.float64),
            (f"py_{k}", np.float64),
            (f"pz_{k}", np.float64),
            (f"eop_{k}", np.float32),
            (f"{muon_veto}_{k}", np.bool_),
        ]
    return columns


#: Output columns of the reconstructed-event table (name, dtype).
RECO_COLUMNS = [
    ("event", np.uint64),
    ("stream", np.uint8),
    ("weight", np.float32),
    ("n_tracks", np.uint8),
    *track_columns("muv3"),
]
RECO_COLUMNS += [
    ("z_vtx", np.float32),
    ("cda", np.float32),
    ("n_lkr_extra", np.uint8),
    ("lav", np.bool_),
    ("irc_sac", np.bool_),
]
TRUTH_COLUMNS = [
    ("true_channel", np.uint8),
    ("true_z", np.float32),
    ("true_mass_n", np.float32),
    ("true_pk", np.float32),
    ("true_pid_1", np.int32),
]
COLUMNS = RECO_COLUMNS + TRUTH_COLUMNS
N_OUT = len(COLUMNS)
_COL = {name: i for i, (name, _) in enumerate(COLUMNS)}
C_EVENT, C_STREAM, C_WEIGHT, C_NTRK = 0, 1, 2, 3
C_TRK0 = 4  # first track column; 6 columns per track
C_ZVTX, C_CDA, C_LKR, C_LAV, C_IRC = (
    _COL[c] for c in ("z_vtx", "cda", "n_lkr_extra", "lav", "irc_sac")
)
C_TCH, C_TZ, C_TM, C_TPK, C_TPID = (
    _COL[c] for c in ("true_channel", "true_z", "true_mass_n", "true_pk", "true_pid_1")
)

STREAM_POSITRON, STREAM_CONTROL, STREAM_THREE_TRACK = 1, 2, 3
