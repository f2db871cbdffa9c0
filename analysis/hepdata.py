"""HEPData submission of the limit tables, written with ``hepdata_lib``.

Layout (one YAML file per table, plus ``submission.yaml`` and ``submission.tar.gz``):

- ``<selection> BR limits``: the 90% CL upper limit on the branching ratio against the HNL
  mass (independent variable ``M(N)`` in MeV).  Two dependent variables: the observed limit
  and the expected limit under the background-only hypothesis, whose value is the median and
  whose asymmetric errors ``1 sigma`` and ``2 sigma`` reach the edges of the ±1σ and ±2σ
  bands (the usual HEPData form of a limit with its Brazil band).
- ``<selection> U2 limits``: the same for |U_ℓ4|², for the selections that have ``u2_ul``.
- Scans with a ``lifetime_ps`` column (NA48/2) give one such table per HNL lifetime, with the
  lifetime as a ``TAU(N)`` qualifier: each table is one curve of the published figure.
- ``na62_pnn expected events``: background by source, SM signal, single-event
  sensitivity and expected limit (blind-safe);
- ``na62_pnn BR limit``: the counting experiment, a single number, only once ``br_ul`` is
  known (unblinded); otherwise the record says it was left out.

The expected bands on BR and |U|² are those on signal events scaled by the sensitivity of each
hypothesis, ``br_ul / n_ul`` (resp. ``u2_ul / n_ul``).  Hypotheses without a finite limit
(``n_ul`` = 0, zero acceptance) are left out of the tables; the table description counts them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import __version__, storage

with warnings.catch_warnings():
    # hepdata_validator imports jsonschema.RefResolver, deprecated in jsonschema >= 4.18
    warnings.simplefilter("ignore", DeprecationWarning)
    from hepdata_lib import Submission, Table, Uncertainty, Variable

BANDS = ("m2", "m1", "med", "p1", "p2")

#: Reaction, observable labels and a plain-language description of each selection.
SELECTIONS: dict[str, dict[str, str]] = {
    "na62_en": {
        "reaction": "K+ --> e+ N",
        "br": "BR(K+ --> e+ N)",
        "u2": "|U_e4|^2",
        "description": "NA62 2015 minimum-bias search for K+ --> e+ N, N invisible "
        "(missing-mass peak).",
    },
    "na62rk_mun": {
        "reaction": "K+ --> mu+ N",
        "br": "BR(K+ --> mu+ N)",
        "u2": "|U_mu4|^2",
        "description": "NA62-RK 2007 search for K+ --> mu+ N, N invisible (missing-mass peak).",
    },
    "na48_2_lnv": {
        "reaction": "K+- --> mu+- N, N --> pi-+ mu+-",
        "br": "BR(K+- --> mu+- N) * BR(N --> pi-+ mu+-)",
        "u2": "|U_mu4|^2",
        "description": "NA48/2 search for the lepton-number-violating K+- --> pi-+ mu+- mu+- "
        "through a resonant HNL, N --> pi-+ mu+-.",
    },
    "na48_2_lnc": {
        "reaction": "K+- --> mu+- N, N --> pi+- mu-+",
        "br": "BR(K+- --> mu+- N) * BR(N --> pi+- mu-+)",
        "u2": "|U_mu4|^2",
        "description": "NA48/2 search for the lepton-number-conserving K+- --> pi+- mu+- mu-+ "
        "through a resonant HNL, N --> pi+- mu-+.",
    },
    "na62_pnn": {
        "reaction": "K+ --> pi+ nu nubar",
        "br": "BR(K+ --> pi+ nu nubar)",
        "u2": "",
        "description": "NA62 2016 blind counting analysis of K+ --> pi+ nu nubar.",
    },
}

PHRASES = ["Kaon decay", "Heavy neutral lepton", "Upper limit", "Simulation", "Pseudo-data"]


def has_scan(selection: str) -> bool:
    """Whether ``selection`` is a mass scan (``scan.parquet``) rather than a counting experiment."""
    return selection != "na62_pnn"


def provenance(summary: dict) -> str:
    """Scale, seed and configuration hash of one selection's pseudo-data, as one phrase."""
    return (
        f"pseudo-data simulated at scale {summary.get('scale')} of the published statistics, "
        f"seed {summary.get('seed')}, config hash {summary.get('config_hash')}"
    )


def _cl(summary: dict) -> float:
    return float(summary.get("confidence_level") or 0.9)


def _new_table(name: str, selection: str, observable: str, summary: dict, text: str) -> Table:
    info = SELECTIONS[selection]
    table = Table(name)
    table.description = (
        f"{info['description']} {text} Results of the simulation pipeline on {provenance(summary)}."
    )
    source = "scan.parquet" if has_scan(selection) else "summary.json"
    table.location = f"results/{selection}/{source}"
    table.keywords = {
        "observables": [observable],
        "reactions": [info["reaction"]],
        "phrases": list(PHRASES),
    }
    return table


def _dependent(name: str, values, selection: str, summary: dict, limit: str, lifetime=None):
    variable = Variable(name, is_independent=False, is_binned=False, values=list(values))
    variable.zero_uncertainties_warning = False
    variable.add_qualifier("RE", SELECTIONS[selection]["reaction"])
    variable.add_qualifier("CL", f"{100 * _cl(summary):g}%")
    if limit:
        variable.add_qualifier("LIMIT", limit)
    if lifetime is not None:
        variable.add_qualifier("TAU(N)", float(lifetime), "ps")
    return variable


def limit_rows(scan: pd.DataFrame, column: str) -> pd.Series:
    """Rows of ``scan`` whose ``column`` limit and expected bands are finite and meaningful."""
    n_ul = scan["n_ul"].to_numpy(dtype=float)
    ok = np.isfinite(scan[column].to_numpy(dtype=float)) & np.isfinite(n_ul) & (n_ul > 0)
    for band in BANDS:
        ok &= np.isfinite(scan[f"n_ul_exp_{band}"].to_numpy(dtype=float))
    return pd.Series(ok, index=scan.index)


def expected_bands(scan: pd.DataFrame, column: str) -> pd.DataFrame:
    """Expected limits on ``column`` (−2σ … +2σ): bands on signal events × ``column / n_ul``.

    Only for rows selected by :func:`limit_rows` (elsewhere the ratio is undefined).
    """
    ratio = scan[column].to_numpy(dtype=float) / scan["n_ul"].to_numpy(dtype=float)
    return pd.DataFrame(
        {band: scan[f"n_ul_exp_{band}"].to_numpy(dtype=float) * ratio for band in BANDS},
        index=scan.index,
    )


def _limit_table(selection, scan, summary, column, label, name, observable, lifetime=None):
    """Observed and expected limits on ``column`` against mass; ``None`` if no row has one."""
    keep = limit_rows(scan, column)
    if not keep.any():
        return None
    rows = scan[keep].sort_values("mass_mev")
    bands = expected_bands(rows, column)
    cl = f"{100 * _cl(summary):g}%"
    text = (
        f"Upper limits at {cl} CL on {label} against the HNL mass"
        + (f", for an HNL lifetime of {lifetime:g} ps" if lifetime is not None else "")
        + ". Observed limit, and expected limit under the background-only hypothesis: median,"
        " with asymmetric errors '1 sigma' and '2 sigma' reaching the edges of the 68% and 95%"
        " bands."
    )
    if (~keep).sum():
        text += f" {int((~keep).sum())} hypotheses without a finite limit are left out."
    table = _new_table(name, selection, observable, summary, text)
    mass = Variable("M(N)", is_independent=True, is_binned=False, units="MeV")
    mass.values = rows["mass_mev"].tolist()
    table.add_variable(mass)
    observed = f"{label} upper limit (observed)"
    table.add_variable(_dependent(observed, rows[column], selection, summary, "observed", lifetime))
    median = bands["med"].to_numpy()
    expected = _dependent(
        f"{label} upper limit (expected)",
        median,
        selection,
        summary,
        "expected (median, background only)",
        lifetime,
    )
    for sigma, (lo, hi) in (("1 sigma", ("m1", "p1")), ("2 sigma", ("m2", "p2"))):
        band = Uncertainty(sigma, is_symmetric=False)
        band.values = list(zip(bands[lo].to_numpy() - median, bands[hi].to_numpy() - median))
        expected.add_uncertainty(band)
    table.add_variable(expected)
    return table


def _per_lifetime(selection, scan, summary, column, label, kind, observable, notes):
    """One table for a scan in mass, one per lifetime for a scan in mass and lifetime."""
    if "lifetime_ps" in scan.columns:
        groups = [(float(tau), rows) for tau, rows in scan.groupby("lifetime_ps", sort=True)]
    else:
        groups = [(None, scan)]
    tables = []
    for tau, rows in groups:
        name = f"{selection} {kind} limits" + (f" tau {tau:g} ps" if tau is not None else "")
        table = _limit_table(selection, rows, summary, column, label, name, observable, tau)
        if table is not None:
            tables.append(table)
        elif notes is not None:
            notes.append(f"{name}: no hypothesis with a finite limit, table left out.")
    return tables


def br_tables(selection: str, scan: pd.DataFrame, summary: dict, notes=None) -> list[Table]:
    """Branching-ratio limits against mass (one table, or one per lifetime).

    A table without any finite limit is left out, with a line appended to ``notes``.
    """
    label = SELECTIONS[selection]["br"]
    return _per_lifetime(selection, scan, summary, "br_ul", label, "BR", "BR", notes)


def u2_tables(selection: str, scan: pd.DataFrame, summary: dict, notes=None) -> list[Table]:
    """|U|² limits against mass, for scans with a ``u2_ul`` column (else none)."""
    if "u2_ul" not in scan.columns:
        return []
    label = SELECTIONS[selection]["u2"]
    return _per_lifetime(selection, scan, summary, "u2_ul", label, "U2", "|U|^2", notes)


def counting_table(selection: str, summary: dict) -> Table | None:
    """The single-number limit of a counting experiment; ``None`` while ``br_ul`` is unknown."""
    if summary.get("br_ul") is None:
        return None
    label = SELECTIONS[selection]["br"]
    cl = f"{100 * _cl(summary):g}%"
    text = f"Observed events and the {cl} CL upper limit on {label}."
    table = _new_table(f"{selection} BR limit", selection, "BR", summary, text)
    if summary.get("n_obs") is not None:
        table.add_variable(
            _dependent("Observed events", [summary["n_obs"]], selection, summary, None)
        )
    table.add_variable(
        _dependent(f"{label} upper limit", [summary["br_ul"]], selection, summary, "observed")
    )
    return table


def expectation_table(selection: str, summary: dict) -> Table:
    """Expected events in the signal regions of a counting experiment (blind-safe).

    Background by source (with its uncertainty), their sum and the Standard-Model
    signal, and the single-event sensitivity with the expected upper limit.
    """
    by_source = summary["background_by_source"]
    errors = summary.get("background_by_source_err", {})
    names = [*by_source, "total background", "SM signal"]
    values = [*by_source.values(), summary["n_bkg"], summary["n_sm_expected"]]
    sigma = [
        *(errors.get(s, 0.0) for s in by_source),
        summary["n_bkg_err"],
        summary.get("n_sm_expected_err", 0.0),
    ]
    text = (
        "Expected events in the signal regions by source, their sum and the Standard-Model "
        f"signal; single-event sensitivity {summary['ses']:.3g} and median expected "
        f"{100 * _cl(summary):g}% CL upper limit {summary['br_ul_expected']:.3g} on "
        f"{SELECTIONS[selection]['br']}."
    )
    table = _new_table(f"{selection} expected events", selection, "N", summary, text)
    source = Variable("Source", is_independent=True, is_binned=False, values=names)
    events = Variable("Expected events", is_independent=False, is_binned=False, values=values)
    events.add_qualifier("RE", SELECTIONS[selection]["reaction"])
    uncertainty = Uncertainty("total", is_symmetric=True)
    uncertainty.values = sigma
    events.add_uncertainty(uncertainty)
    table.add_variable(source)
    table.add_variable(events)
    return table


def build_submission(scans: dict[str, pd.DataFrame], summaries: dict[str, dict]) -> Submission:
    """The submission of every limit table: ``scans`` per scan selection, ``summaries`` of all."""
    submission = Submission()
    origins, notes = [], []
    for selection, summary in summaries.items():
        if selection not in SELECTIONS:
            raise ValueError(f"unknown selection {selection!r}")
        if has_scan(selection):
            tables = br_tables(selection, scans[selection], summary, notes)
            tables += u2_tables(selection, scans[selection], summary, notes)
        else:
            table = counting_table(selection, summary)
            tables = [expectation_table(selection, summary)]
            tables += [] if table is None else [table]
            if table is None:
                notes.append(f"{selection}: no limit table, the result is still blinded.")
        for table in tables:
            submission.add_table(table)
        origins.append(f"{selection}: {provenance(summary)}.")
    submission.comment = (
        "Upper limits (90% CL unless stated) from the kaon-searches simulation pipeline "
        f"(code version {__version__}), a reproduction of the NA48/2 and NA62 heavy-neutral-"
        "lepton and K+ --> pi+ nu nubar searches. These are results on simulated pseudo-data, "
        "not the collaborations' data. " + " ".join(origins + notes)
    )
    return submission


def write_submission(submission: Submission, outdir: str | os.PathLike) -> None:
    """Write the YAML files and ``submission.tar.gz`` into ``outdir``, replacing it whole.

    Everything is written and validated in a temporary directory next to ``outdir``, then
    renamed into place, so an interrupted run never leaves a complete-looking ``outdir``.
    """
    outdir = Path(outdir).resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", suffix=".tmp", dir=outdir.parent))
    try:
        files = staging / outdir.name
        # hepdata_lib writes the tarball into the working directory; its validator leaves
        # files to the garbage collector and uses deprecated jsonschema interfaces
        with contextlib.chdir(staging), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", ResourceWarning)
            submission.create_files(str(files), remove_old=True)
        os.replace(staging / "submission.tar.gz", files / "submission.tar.gz")
        if outdir.exists():
            os.replace(outdir, staging / "previous")
        os.replace(files, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def export(scan_paths: dict, summary_paths: dict, outdir: str | os.PathLike) -> None:
    """Read the scan tables and summaries of the selections and write the submission."""
    summaries = {s: storage.read_json(p) for s, p in summary_paths.items()}
    scans = {s: storage.read_table(p) for s, p in scan_paths.items()}
    write_submission(build_submission(scans, summaries), outdir)
