"""The NA48/2 three-track trigger: its two streams and the downscale of the normalisation one.

The downscale of the three-track (K3π) stream is drawn before the event reaches
the detector, and events it drops are followed only while they can still be
dimuon-like (:func:`analysis.experiments.na48_2.muon_signals_possible`).  If that
bound were wrong, dimuon-like events would be lost with the downscale on.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import storage
from analysis.experiments import na48_2
from analysis.simulate import Sample, simulate

N = 2_000_000
# forced pion decays before the MUV: about 0.15% of the decays become dimuon-like
FORCED = 0.3


def _streams(tmp_path, downscale):
    sample = Sample(
        "k3pi",
        "na48_2",
        {"k3pi": 1.0},
        forced_decays=FORCED,
        geometry={"trigger_downscale_three_track": float(downscale), "blind_enabled": 0.0},
    )
    path = tmp_path / f"d{downscale}.parquet"
    simulate(sample, N, 11, path, progress=False)
    table = storage.read_table(path)
    out = {}
    for name, code in (("dimuon", na48_2.STREAM_DIMUON), ("three", na48_2.STREAM_THREE_TRACK)):
        w = table.loc[table["stream"] == code, "weight"].to_numpy(np.float64)
        out[name] = (w.sum(), math.sqrt((w**2).sum()), w)
    return out


@pytest.fixture(scope="module")
def streams(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("na48_2")
    return _streams(tmp, 1), _streams(tmp, 1000)


def test_dimuon_stream_does_not_depend_on_the_three_track_downscale(streams):
    full, downscaled = streams
    (a, a_err, wa), (b, b_err, wb) = full["dimuon"], downscaled["dimuon"]
    assert len(wa) > 1500 and len(wb) > 1500
    assert abs(a - b) < 4.0 * math.hypot(a_err, b_err), (a, b)


def test_three_track_stream_is_downscaled_and_weighted_by_the_factor(streams):
    full, downscaled = streams
    n_full, n_down = len(full["three"][2]), len(downscaled["three"][2])
    # roughly one event in a thousand of the full stream, each weighted back up
    assert 0.5 * n_full / 1000 < n_down < 1.5 * n_full / 1000
    # every weight carries the factor on top of the importance weight of the forced decays
    assert downscaled["three"][2].min() > 100.0 * full["three"][2].min()
    a, a_err, _ = full["three"]
    b, b_err, _ = downscaled["three"]
    assert abs(a - b) < 4.0 * math.hypot(a_err, b_err), (a, b)
