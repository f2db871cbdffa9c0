"""Kaon flux: N_K = N_norm / Σ_c B_c A_c (PHYSICS.md §4).

N_norm is the (downscale-weighted) number of normalisation candidates in the
data; A_c the MC acceptance of the normalisation selection for channel c
(selected / decays in the fiducial region) and B_c its branching ratio.  The
sum runs over every simulated channel, so that the small leakage of other
decays into the normalisation sample is accounted for.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Acceptance:
    """Weighted selected MC events out of ``n_fiducial`` decays in the fiducial region."""

    selected: float
    selected_w2: float
    n_fiducial: int

    @property
    def value(self) -> float:
        return self.selected / self.n_fiducial if self.n_fiducial else 0.0

    @property
    def error(self) -> float:
        return math.sqrt(self.selected_w2) / self.n_fiducial if self.n_fiducial else 0.0


def mc_acceptances(summaries: dict[str, dict], channels) -> dict[str, Acceptance]:
    """Acceptances of the normalisation selection of the MC samples named in ``channels``.

    ``summaries`` are selection summaries (``analysis.analyses.lepton_search.select_sample``)
    keyed by sample name; each gives its weighted normalisation count and its decays in
    the fiducial region.
    """
    return {
        name: Acceptance(
            s["normalisation"]["weighted"], s["normalisation"]["weighted_w2"], s["n_fiducial"]
        )
        for name, s in summaries.items()
        if name in channels
    }


@dataclass(frozen=True)
class KaonFlux:
    n_kaon_decays: float
    n_kaon_decays_err: float
    n_norm: float
    n_norm_err: float
    expected_per_kaon: float
    expected_per_kaon_err: float

    def as_dict(self) -> dict:
        return asdict(self)


def kaon_flux(
    n_norm: float,
    n_norm_w2: float,
    acceptances: dict[str, Acceptance],
    branching_ratios: dict[str, float],
) -> KaonFlux:
    """N_K and its uncertainty (data statistics ⊕ MC statistics of the acceptances)."""
    if n_norm <= 0:
        raise ValueError(
            "no normalisation candidates selected in the pseudo-data: cannot measure N_K"
        )
    per_kaon = sum(branching_ratios[c] * a.value for c, a in acceptances.items())
    per_kaon_err = math.sqrt(
        sum((branching_ratios[c] * a.error) ** 2 for c, a in acceptances.items())
    )
    if per_kaon <= 0:
        raise ValueError("the normalisation selection accepts no simulated decay: check the cuts")
    n_k = n_norm / per_kaon
    rel = math.sqrt(n_norm_w2 / n_norm**2 + (per_kaon_err / per_kaon) ** 2)
    return KaonFlux(n_k, n_k * rel, n_norm, math.sqrt(n_norm_w2), per_kaon, per_kaon_err)


def flux_record(summaries: dict[str, dict], data: list[dict], cuts: dict, n_true: float) -> dict:
    """The normalisation record (``normalisation.json``) of a selection.

    ``summaries``: selection summaries of every sample, keyed by sample name (the MC
    ones named in ``cuts["background_channels"]`` give the acceptances); ``data``: the
    summaries of the pseudo-data samples holding the normalisation candidates;
    ``n_true``: the kaon decays simulated in the fiducial region (the check of N_K).
    """
    from analysis import decays

    acceptances = mc_acceptances(summaries, cuts["background_channels"])
    brs = decays.branching_ratios(acceptances)
    counts = [d["normalisation"] for d in data]
    flux = kaon_flux(
        sum(c["weighted"] for c in counts), sum(c["weighted_w2"] for c in counts), acceptances, brs
    )
    return {
        **flux.as_dict(),
        "normalisation_channel": cuts["normalisation"]["channel"],
        "n_norm_events": int(sum(c["events"] for c in counts)),
        "acceptance_by_channel": {
            c: {"value": a.value, "error": a.error} for c, a in acceptances.items()
        },
        "n_kaon_decays_true": n_true,
    }
