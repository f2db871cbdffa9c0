"""Which samples a selection needs, how many decays each holds, and how they are chunked.

* ``data`` — the pseudo-data: every standard K+ decay mixed with its PDG
  branching ratio; N_K (decays in the fiducial region) = published N_K × scale.
* ``data_injection`` — only with ``injection``: the injected K+ → ℓ+ N decays,
  Poisson-distributed in number, from their own stream, so that the rest of the
  pseudo-data is unchanged by an injection.
* one MC sample per background channel, ``mc_statistics`` times the number of
  such decays expected in the pseudo-data (at least :data:`MIN_MC_DECAYS`);
* the signal MC, ``signal_decays`` per HNL mass of the signal grid;
* for selections with a ``beam_halo`` section (NA62-RK): ``data_halo``, the
  beam-halo muons of the K+ run (part of the pseudo-data), and
  ``control_kminus``, the μ+ halo of the K−-only control runs; both Poisson in
  number, from their own streams.

The NA48/2 selections (cut tables with a ``dataset`` key) share one pseudo-data
set, planned by :func:`plan_three_track`: only the decays that can give a
three-track vertex are simulated for it (their summed branching ratio is in the
metadata), the LNV box is blinded at the source while ``unblind`` is false, the
K3π Monte Carlo forces pion decays in flight, and the signal MC covers the LNV
and LNC resonance channels and the LNV phase-space decay.

All samples are generated over the same decay range (the experiment's
``beam.z_start`` … ``beam.z_end``); the fraction of decays that fall in the
fiducial region follows from the exponential decay law.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis import decays
from analysis.constants import CTAU_K, M_K
from analysis.experiments import experiment_module
from analysis.kinematics import decay_length
from analysis.rng import BLOCK_SIZE, sample_key
from analysis.selections import IMPLEMENTED, load_cuts
from analysis.simulate import Sample, chunk_ranges

#: Smallest MC sample (decays), so that rare channels still get a usable sample.
MIN_MC_DECAYS = 16 * BLOCK_SIZE


@dataclass(frozen=True)
class SamplePlan:
    sample: Sample
    n_decays: int
    chunks: tuple[tuple[int, int], ...]

    @property
    def name(self) -> str:
        return self.sample.name


def fiducial_fraction(experiment: str, run: str = "") -> float:
    """P(decay in the fiducial region | decay in the generated range), beam-averaged.

    The kaon decay length βγcτ = (p/m_K)cτ is averaged over the Gaussian momentum
    spread with 20-point Gauss–Hermite quadrature.
    """
    g = experiment_module(experiment, run).GEOMETRY
    nodes, weights = np.polynomial.hermite_e.hermegauss(20)
    total = 0.0
    for x, w in zip(nodes, weights, strict=True):
        lam = decay_length.py_func(g.beam_momentum + g.beam_momentum_spread * x, M_K, CTAU_K)

        def survive(z, lam=lam):
            return math.exp(-(z - g.beam_z_start) / lam)

        frac = (survive(g.fiducial_z_min) - survive(g.fiducial_z_max)) / (
            1.0 - survive(g.beam_z_end)
        )
        total += w * frac
    return total / weights.sum()


def signal_masses_gev(cuts: dict) -> tuple[float, ...]:
    start, stop, step = cuts["scan"]["signal_grid_mev"]
    n = int(round((stop - start) / step)) + 1
    return tuple(round((start + i * step) * 1e-3, 9) for i in range(n))


def data_decays(config: dict, selection: str) -> int:
    """Decays generated for the pseudo-data so that N_K(fiducial) = published × scale."""
    cuts = load_cuts(selection)
    n_k = float(cuts["n_kaon_decays_published"]) * float(config["scale"])
    fraction = fiducial_fraction(cuts["experiment"], cuts.get("run", ""))
    return max(1, int(round(n_k / fraction)))


def _count_generator(config: dict, selection: str, sample: str) -> np.random.Generator:
    """The stream of a sample's random size (its own, so other samples stay unchanged)."""
    key = sample_key(config["seed"], f"{selection}/{sample}/count")
    return np.random.Generator(np.random.PCG64(key[0]))


def _poisson_count(config: dict, selection: str, sample: str, mean: float) -> int:
    return int(_count_generator(config, selection, sample).poisson(mean))


def injected_decays(config: dict, selection: str) -> int:
    """Poisson number of injected signal decays (0 without injection), from its own stream."""
    inj = config.get("injection", {}).get(selection)
    if not inj:
        return 0
    mean = data_decays(config, selection) * float(inj["branching_ratio"])
    return _poisson_count(config, selection, "data_injection", mean)


def halo_muons(config: dict, selection: str) -> dict[str, int]:
    """Poisson numbers of halo muons of the K+ run and of the K− control runs."""
    halo = load_cuts(selection).get("beam_halo")
    if not halo:
        return {}
    mean = data_decays(config, selection) * float(halo["muons_per_kaon_decay"])
    return {
        "data_halo": _poisson_count(config, selection, "data_halo", mean),
        "control_kminus": _poisson_count(
            config, selection, "control_kminus", mean * float(halo["control_exposure"])
        ),
    }


def dataset(selection: str) -> str:
    """The pseudo-data set (and simulation directory) of ``selection``."""
    return load_cuts(selection).get("dataset", selection)


def plan_dataset(config: dict, name: str) -> dict[str, SamplePlan]:
    """The samples of dataset ``name`` (that of any selection reading it)."""
    for selection in IMPLEMENTED:
        if dataset(selection) == name:
            return plan_samples(config, selection)
    raise ValueError(f"unknown dataset {name!r}")


def plan_three_track(config: dict, selection: str) -> dict[str, SamplePlan]:
    """Samples of the NA48/2 dataset shared by the LNV and LNC selections."""
    cuts = load_cuts(selection)
    exp = cuts["experiment"]
    chunk = int(config.get("chunk_decays", 50_000_000))
    n_data = data_decays(config, selection)
    blind = {"blind_enabled": 0.0 if config.get("unblind", False) else 1.0}
    plans: dict[str, SamplePlan] = {}

    def add(sample: Sample, n: int) -> None:
        plans[sample.name] = SamplePlan(sample, n, tuple(chunk_ranges(n, chunk)))

    brs = {name: decays.channel(name).branching_ratio for name in cuts["background_channels"]}
    fraction = sum(brs.values())
    add(
        Sample(
            "data",
            exp,
            brs,
            is_data=True,
            description="pseudo-data (the decays that can give three tracks)",
            extra={"branching_fraction_simulated": fraction},
            geometry=blind,
        ),
        max(1, int(round(n_data * fraction))),
    )
    for other in IMPLEMENTED:
        inj = config.get("injection", {}).get(other)
        other_cuts = load_cuts(other)
        if not inj or other_cuts.get("dataset") != cuts["dataset"]:
            continue
        n_inj = injected_decays(config, other)
        if n_inj > 0:
            add(
                Sample(
                    f"data_injection_{other_cuts['mode']}",
                    exp,
                    {other_cuts["signal_channel"]: 1.0},
                    masses=(float(inj["mass_mev"]) * 1e-3,),
                    is_data=True,
                    description="injected signal",
                    extra={"injection": dict(inj), "branching_fraction_simulated": 1.0},
                    # an omitted lifetime is a prompt N decay
                    geometry={**blind, "signal_lifetime_ps": float(inj.get("lifetime_ps", 0.0))},
                ),
                n_inj,
            )
    mc = cuts["monte_carlo"]
    mc_factor = float(config.get("mc_statistics", 1.0))
    for name, br in brs.items():
        factor = mc_factor * float(mc["statistics"].get(name, 1.0))
        n = max(MIN_MC_DECAYS, int(round(factor * n_data * br)))
        forced = float(mc["forced_pion_decays"])
        # downscale of the non-dimuon three-track events: about ``three_track_rows`` written
        rows = n * float(mc["three_track_acceptance"]) / float(mc["three_track_rows"])
        geometry = {"trigger_downscale_three_track": float(max(1, round(rows)))}
        add(
            Sample(
                name,
                exp,
                {name: 1.0},
                forced_decays=forced,
                description=f"MC {name}",
                geometry=geometry,
            ),
            n,
        )
    masses = signal_masses_gev(cuts)
    n_signal = int(config.get("signal_decays", 400_000))
    for name in cuts["signal_channels"]:
        grid = masses if decays.channel(name).max_mass else (0.0,)
        add(
            Sample(name, exp, {name: 1.0}, masses=grid, description="signal MC"),
            n_signal * len(grid),
        )
    return plans


#: Channels whose only positive track is a lepton: thinned in the πνν̄ pseudo-data.
LEPTONIC_CHANNELS = ("kmu2", "kmu2g", "ke2", "ke3", "kmu3")


def pnn_run_conditions(cuts: dict, unblind: bool) -> dict[str, float]:
    """Geometry overrides shared by every πνν̄ sample: boxes, peaks and RICH window of the cuts."""
    r = cuts["regions"]
    return {
        "blind_enabled": 0.0 if unblind else 1.0,
        "blind_p_lo": r["momentum"][0],
        "blind_p_hi": r["momentum"][1],
        "blind_r1_lo": r["region_1"][0],
        "blind_r1_hi": r["region_1"][1],
        "blind_r2_lo": r["region_2"][0],
        "blind_r2_hi": r["region_2"][1],
        "importance_k2pi_lo": r["k2pi"][0],
        "importance_k2pi_hi": r["k2pi"][1],
        "importance_kmu2_hi": r["kmu2"][1],
        "importance_k3pi_lo": r["k3pi"][0],
        "importance_rich_m_lo": cuts["selection"]["rich_mass"][0],
        "importance_rich_m_hi": cuts["selection"]["rich_mass"][1],
        "preselection_z_lo": cuts["selection"]["z_vtx"][0],
        "preselection_z_hi": cuts["selection"]["z_vtx"][1],
        "preselection_p_lo": cuts["selection"]["momentum"][0],
        "preselection_p_hi": cuts["selection"]["momentum"][1],
    }


def plan_pnn(config: dict, selection: str) -> dict[str, SamplePlan]:
    """Samples of the NA62 K+ → π+νν̄ analysis (2016 run).

    * ``data``: the PNN trigger stream of the pseudo-data for the decays with a
      pion track (and the SM signal); ``data_leptonic``: the same for K_μ2, K_e2,
      K_e3 and K_μ3, binomially thinned by the bound of their pass probability
      (:func:`analysis.experiments.na62_pnn.lepton_pid_bound`), from its own stream;
    * ``data_minbias``: the minimum-bias stream, 1/downscale of the decays, weight
      = downscale (the K2π flux normalisation);
    * one weighted MC per background channel and the SM signal MC, with the
      background peaks sampled by ``monte_carlo.peak_downscale``.
    """
    from analysis.experiments import na62_pnn

    cuts = load_cuts(selection)
    exp, run = cuts["experiment"], cuts["run"]
    chunk = int(config.get("chunk_decays", 50_000_000))
    n_data = data_decays(config, selection)
    base = pnn_run_conditions(cuts, bool(config.get("unblind", False)))
    plans: dict[str, SamplePlan] = {}

    def add(sample: Sample, n: int) -> None:
        plans[sample.name] = SamplePlan(sample, n, tuple(chunk_ranges(n, chunk)))

    all_brs = decays.branching_ratios(cuts["data_channels"])
    total = sum(all_brs.values())
    pion = {c: b for c, b in all_brs.items() if c not in LEPTONIC_CHANNELS}
    leptonic = {c: b for c, b in all_brs.items() if c in LEPTONIC_CHANNELS}
    add(
        Sample(
            "data",
            exp,
            pion,
            is_data=True,
            run=run,
            geometry=base,
            description="pseudo-data, PNN stream (decays with a pion track)",
            extra={"branching_fraction_simulated": sum(pion.values()) / total},
        ),
        max(1, int(round(n_data * sum(pion.values()) / total))),
    )
    bound = na62_pnn.lepton_pid_bound()
    n_lep = int(round(n_data * sum(leptonic.values()) / total))
    n_thin = int(_count_generator(config, selection, "data_leptonic").binomial(n_lep, bound))
    if n_thin > 0:
        add(
            Sample(
                "data_leptonic",
                exp,
                leptonic,
                is_data=True,
                run=run,
                geometry={**base, "run_thinning": bound},
                description="pseudo-data, PNN stream (leptonic decays, thinned)",
                extra={
                    "thinning": bound,
                    "branching_fraction_simulated": sum(leptonic.values()) / total,
                },
            ),
            n_thin,
        )
    downscale = int(cuts["normalisation"]["minimum_bias_downscale"])
    add(
        Sample(
            "data_minbias",
            exp,
            all_brs,
            is_data=True,
            run=run,
            geometry={**base, "run_trigger": 2.0, "run_downscale": float(downscale)},
            description="pseudo-data, minimum-bias stream (downscaled)",
            extra={"thinning": 1.0 / downscale, "branching_fraction_simulated": 1.0},
        ),
        max(1, int(round(n_data / downscale))),
    )
    mc = cuts["monte_carlo"]
    mc_factor = float(config.get("mc_statistics", 1.0))
    weighted = {
        **base,
        "run_weighted": 1.0,
        "importance_peak_downscale": float(mc["peak_downscale"]),
    }
    for name in cuts["background_channels"]:
        n = max(MIN_MC_DECAYS, int(round(mc_factor * float(mc["decays"][name]))))
        add(
            Sample(
                name,
                exp,
                {name: 1.0},
                run=run,
                geometry=weighted,
                description=f"MC {name} (vetoes and identification as weights)",
            ),
            n,
        )
    signal = cuts["signal_channel"]
    add(
        Sample(
            signal, exp, {signal: 1.0}, run=run, geometry=weighted, description="signal MC (SM)"
        ),
        max(MIN_MC_DECAYS, int(round(mc_factor * float(mc["decays"][signal])))),
    )
    return plans


def plan_samples(config: dict, selection: str) -> dict[str, SamplePlan]:
    """Every sample of ``selection`` with its size and chunks, keyed by sample name."""
    cuts = load_cuts(selection)
    if "dataset" in cuts:
        return plan_three_track(config, selection)
    if cuts.get("run") == "pnn":
        return plan_pnn(config, selection)
    exp = cuts["experiment"]
    chunk = int(config.get("chunk_decays", 50_000_000))
    n_data = data_decays(config, selection)
    plans: dict[str, SamplePlan] = {}

    def add(sample: Sample, n: int) -> None:
        plans[sample.name] = SamplePlan(sample, n, tuple(chunk_ranges(n, chunk)))

    brs = {name: decays.channel(name).branching_ratio for name in cuts["background_channels"]}
    add(Sample("data", exp, brs, is_data=True, description="pseudo-data"), n_data)
    inj = config.get("injection", {}).get(selection)
    n_inj = injected_decays(config, selection)
    if inj and n_inj > 0:
        add(
            Sample(
                "data_injection",
                exp,
                {cuts["signal_channel"]: 1.0},
                masses=(float(inj["mass_mev"]) * 1e-3,),
                is_data=True,
                description="injected signal",
                extra={"injection": dict(inj)},
            ),
            n_inj,
        )
    for name, n in halo_muons(config, selection).items():
        if n > 0:
            label = "data" if name == "data_halo" else name
            description = "beam-halo muons of the K+ run" if label == "data" else "K- control runs"
            add(
                Sample(
                    name,
                    exp,
                    {"halo_mu": 1.0},
                    is_data=True,
                    data_label=label,
                    description=description,
                ),
                n,
            )
    mc_factor = float(config.get("mc_statistics", 1.0))
    for name, br in brs.items():
        n = max(MIN_MC_DECAYS, int(round(mc_factor * n_data * br)))
        forced = float(cuts.get("monte_carlo", {}).get("forced_decays", 0.0))
        add(Sample(name, exp, {name: 1.0}, forced_decays=forced, description=f"MC {name}"), n)
    masses = signal_masses_gev(cuts)
    add(
        Sample(
            cuts["signal_channel"],
            exp,
            {cuts["signal_channel"]: 1.0},
            masses=masses,
            description="signal MC",
        ),
        int(config.get("signal_decays", 400_000)) * len(masses),
    )
    return plans
