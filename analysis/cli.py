"""Command-line interface: one sub-command per stage of the pipeline.

Every stage the workflow runs can be run, debugged and benchmarked on its own::

    python -m analysis simulate --experiment na62 --channel kmu2 --decays 1e7 --seed 1 \
        --output kmu2.parquet
    python -m analysis simulate --list-channels
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis import decays
from analysis.storage import CorruptFileError


def _simulate(args) -> int:
    from analysis.experiments import EXPERIMENTS
    from analysis.simulate import Sample, simulate

    if args.list_channels:
        width = max(len(n) for n in decays.CHANNELS)
        for name, ch in decays.CHANNELS.items():
            if ch.signal:
                br = "signal (BR set by --br / injection)"
            elif ch.beam_halo:
                br = "muons per kaon decay set by the selection"
            else:
                br = f"BR = {ch.branching_ratio:.4g}"
            print(f"{name:<{width}}  {ch.description:<40}  {br}")
        print(f"\nexperiments: {', '.join(EXPERIMENTS)}")
        return 0
    missing = [o for o in ("experiment", "channel", "decays", "output") if getattr(args, o) is None]
    if missing:
        raise SystemExit(
            f"simulate: missing required option(s): {', '.join('--' + m for m in missing)}"
        )
    ch = decays.channel(args.channel)
    masses = (0.0,)
    if ch.signal:
        if args.mass is None:
            raise SystemExit(
                f"simulate: channel {args.channel!r} is a signal: "
                "give --mass (MeV), e.g. --mass 300"
            )
        masses = tuple(float(m) * 1e-3 for m in args.mass)
    n = int(float(args.decays))
    if n <= 0:
        raise SystemExit(f"simulate: --decays must be positive, got {args.decays}")
    sample = Sample(
        args.sample or args.channel,
        args.experiment,
        {args.channel: 1.0},
        masses=masses,
        forced_decays=args.forced_decays,
        run=args.run or "",
        # Monte Carlo of the 2016 run: vetoes and identification as weights
        geometry={"run_weighted": 1.0} if args.run == "pnn" else {},
    )
    meta = simulate(sample, n, args.seed, args.output, progress=not args.quiet)
    print(json.dumps({k: meta[k] for k in ("sample", "n_generated", "n_fiducial", "n_written")}))
    return 0


def _select(args) -> int:
    from analysis.analyses import analysis_module

    analysis_module(args.selection).select(
        args.inputs, args.kaon_momentum, args.output, args.summary
    )
    return 0


def _kaon_momentum(args) -> int:
    from analysis.analyses import analysis_module

    print(
        json.dumps(
            analysis_module(args.selection).kaon_momentum(args.inputs, args.output), indent=2
        )
    )
    return 0


def _pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep:
            raise SystemExit(f"expected NAME=PATH, got {item!r}")
        out[name] = path
    return out


def _normalise(args) -> int:
    from analysis.analyses import analysis_module

    print(
        json.dumps(
            analysis_module(args.selection).normalise(_pairs(args.summaries), args.output), indent=2
        )
    )
    return 0


def _scan(args) -> int:
    from analysis.analyses import analysis_module
    from analysis.config import load_config

    config = load_config(args.config) if args.config else {"seed": args.seed, "scale": args.scale}
    analysis_module(args.selection).run_scan(
        _pairs(args.candidates),
        _pairs(args.summaries),
        args.normalisation,
        config,
        args.scan,
        args.spectrum,
        args.summary,
    )
    return 0


def _estimate(args) -> int:
    from analysis.analyses import analysis_module
    from analysis.config import load_config

    config = (
        load_config(args.config)
        if args.config
        else {"seed": args.seed, "scale": args.scale, "unblind": args.unblind}
    )
    module = analysis_module(args.selection)
    candidates = _pairs(args.candidates)
    summary = module.estimate(
        candidates,
        _pairs(args.summaries),
        args.normalisation,
        config,
        args.summary,
        args.budget,
        args.spectrum,
    )
    if args.figures:
        module.plot(candidates, args.summary, args.budget, args.spectrum, args.figures)
    print(json.dumps({k: summary[k] for k in ("n_kaon_decays", "ses", "n_sm_expected", "n_bkg")}))
    return 0


def _plot(args) -> int:
    from analysis.analyses import analysis_module

    for path in analysis_module(args.selection).plot(args.scan, args.spectrum, args.outdir):
        print(path)
    return 0


def _unlock_stale(args) -> int:
    from analysis.stale_locks import remove_stale_locks

    state = remove_stale_locks(args.directory)
    if not state.locks:
        return 0
    if state.stale:
        print(
            f"removed {len(state.locks)} lock(s) of a Snakemake run that was killed",
            file=sys.stderr,
        )
    elif state.live_processes:
        pids = ", ".join(map(str, state.live_processes))
        print(f"locks kept: Snakemake runs in {args.directory} (pid {pids})", file=sys.stderr)
    else:
        print("locks kept: cannot tell a killed run from a live one here", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    p = sub.add_parser(
        "simulate", help="fused generation -> detector -> trigger for one decay channel"
    )
    p.add_argument("--experiment", help="na62, na62rk or na48_2")
    p.add_argument("--run", help="run of the experiment: pnn (NA62 2016, weighted MC)")
    p.add_argument("--channel", help="decay channel (see --list-channels)")
    p.add_argument("--decays", help="number of kaon decays to generate (e.g. 1e7)")
    p.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    p.add_argument("--output", type=Path, help="output Parquet file of triggered events")
    p.add_argument("--mass", type=float, nargs="+", help="HNL mass(es) in MeV for signal channels")
    p.add_argument("--sample", help="sample name keying the random stream (default: the channel)")
    p.add_argument(
        "--forced-decays",
        type=float,
        default=0.0,
        help="MC importance sampling of mu->e and pi->e decays in flight (0 = natural)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.add_argument("--list-channels", action="store_true", help="list decay channels and exit")
    p.set_defaults(func=_simulate)

    p = sub.add_parser(
        "kaon-momentum", help="nominal K+ momentum from K3pi events in the pseudo-data"
    )
    p.add_argument("--selection", required=True)
    p.add_argument("--inputs", nargs="+", required=True, type=Path)
    p.add_argument("--output", required=True, type=Path)
    p.set_defaults(func=_kaon_momentum)

    p = sub.add_parser("select", help="apply a selection to the chunks of one sample")
    p.add_argument("--selection", required=True)
    p.add_argument("--inputs", nargs="+", required=True, type=Path)
    p.add_argument("--kaon-momentum", required=True, type=Path)
    p.add_argument("--output", required=True, type=Path, help="candidates Parquet")
    p.add_argument("--summary", required=True, type=Path, help="counts and cut flow JSON")
    p.set_defaults(func=_select)

    p = sub.add_parser("normalise", help="kaon flux N_K from the normalisation channel")
    p.add_argument("--selection", required=True)
    p.add_argument("--summaries", nargs="+", required=True, help="SAMPLE=select-summary.json ...")
    p.add_argument("--output", required=True, type=Path)
    p.set_defaults(func=_normalise)

    p = sub.add_parser("scan", help="mass scan with Rolke-Lopez upper limits")
    p.add_argument("--selection", required=True)
    p.add_argument("--candidates", nargs="+", required=True, help="SAMPLE=candidates.parquet ...")
    p.add_argument("--summaries", nargs="+", required=True, help="SAMPLE=select-summary.json ...")
    p.add_argument("--normalisation", required=True, type=Path)
    p.add_argument("--config", type=Path, help="workflow config (for seed, scale, injection)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--scan", required=True, type=Path)
    p.add_argument("--spectrum", required=True, type=Path)
    p.add_argument("--summary", required=True, type=Path)
    p.set_defaults(func=_scan)

    p = sub.add_parser(
        "estimate", help="backgrounds, sensitivity and limit of the blind counting analysis"
    )
    p.add_argument("--selection", required=True, help="na62_pnn")
    p.add_argument("--candidates", nargs="+", required=True, help="SAMPLE=candidates.parquet ...")
    p.add_argument("--summaries", nargs="+", required=True, help="SAMPLE=select-summary.json ...")
    p.add_argument("--normalisation", required=True, type=Path)
    p.add_argument("--config", type=Path, help="workflow config (for seed, scale, unblind)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--unblind", action="store_true", help="open the signal regions")
    p.add_argument("--summary", required=True, type=Path)
    p.add_argument("--budget", required=True, type=Path, help="background budget Parquet")
    p.add_argument("--spectrum", required=True, type=Path)
    p.add_argument("--figures", type=Path, help="also draw the figures into this directory")
    p.set_defaults(func=_estimate)

    p = sub.add_parser("plot", help="figures of a scan")
    p.add_argument("--selection", required=True)
    p.add_argument("--scan", required=True, type=Path)
    p.add_argument("--spectrum", required=True, type=Path)
    p.add_argument("--outdir", required=True, type=Path)
    p.set_defaults(func=_plot)

    p = sub.add_parser(
        "unlock-stale", help="remove the Snakemake locks of a killed run (none if one is live)"
    )
    p.add_argument("--directory", type=Path, default=Path("."), help="working directory")
    p.set_defaults(func=_unlock_stale)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, NotImplementedError, FileNotFoundError, CorruptFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
