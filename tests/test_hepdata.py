"""HEPData export: the numbers of every limit table, the layout, the record and atomic writes."""

from __future__ import annotations

import tarfile

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import hepdata, storage

BANDS = ("m2", "m1", "med", "p1", "p2")
LIFETIMES = (1.0, 10.0, 100.0)


def make_scan(masses, with_u2=True, seed=3) -> pd.DataFrame:
    """A small scan table with the columns of ``scan.parquet``."""
    rng = np.random.default_rng(seed)
    n = len(masses)
    n_bkg = rng.uniform(0.5, 6.0, n)
    acceptance = rng.uniform(0.1, 0.4, n)
    med = 2.44 + 1.28 * np.sqrt(n_bkg)
    scan = pd.DataFrame(
        {
            "mass_mev": np.asarray(masses, dtype=float),
            "n_obs": rng.poisson(n_bkg),
            "n_bkg": n_bkg,
            "n_bkg_err": 0.1 * n_bkg,
            "acceptance": acceptance,
            "n_ul": med * rng.uniform(0.6, 1.6, n),
            "local_significance": rng.normal(size=n),
            "n_ul_exp_m2": 0.35 * med,
            "n_ul_exp_m1": 0.6 * med,
            "n_ul_exp_med": med,
            "n_ul_exp_p1": 1.5 * med,
            "n_ul_exp_p2": 2.1 * med,
        }
    )
    scan["br_ul"] = scan["n_ul"] / (6.0e6 * acceptance)
    if with_u2:
        scan["u2_ul"] = 1.1 * scan["br_ul"]
    return scan


def make_lifetime_scan() -> pd.DataFrame:
    masses = np.arange(250.0, 260.0, 2.0)
    parts = []
    for i, tau in enumerate(LIFETIMES):
        part = make_scan(masses, with_u2=False, seed=10 + i)
        part.insert(1, "lifetime_ps", tau)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def summary(seed=20150701, **extra) -> dict:
    return {
        "seed": seed,
        "scale": 0.02,
        "config_hash": "0123456789abcdef",
        "n_kaon_decays": 6.0e6,
        "n_kaon_decays_err": 7.0e4,
        "confidence_level": 0.9,
        **extra,
    }


#: Expectation entries of a K+ -> pi+ nu nubar summary (known while blind).
PNN = {
    "background_by_source": {"k2pi": 0.024, "k3pi": 0.017, "kmu2": 0.011},
    "background_by_source_err": {"k2pi": 0.005, "k3pi": 0.006, "kmu2": 0.003},
    "n_bkg": 0.052,
    "n_bkg_err": 0.0085,
    "n_sm_expected": 0.064,
    "n_sm_expected_err": 0.002,
    "ses": 1.31e-9,
    "br_ul_expected": 3.0e-9,
}
SCANS = {"na62_en": make_scan(np.arange(170.0, 180.0)), "na48_2_lnv": make_lifetime_scan()}
SUMMARIES = {
    "na62_en": summary(),
    "na48_2_lnv": summary(seed=11),
    "na62_pnn": summary(n_obs=None, br_ul=None, **PNN),
}


def load_tables(outdir):
    """(submission.yaml documents, {table name: data file}) of a written submission."""
    documents = list(yaml.safe_load_all((outdir / "submission.yaml").read_text()))
    tables = {
        doc["name"]: yaml.safe_load((outdir / doc["data_file"]).read_text())
        for doc in documents[1:]
    }
    return documents, tables


def dependent(table, text):
    (variable,) = [v for v in table["dependent_variables"] if text in v["header"]["name"]]
    return variable


def values(variable):
    return np.array([v["value"] for v in variable["values"]], dtype=float)


def band_edges(variable):
    """(m2, m1, med, p1, p2) edges of the expected limit, from its asymmetric errors."""
    med = values(variable)
    edges = {"med": med}
    for entry, centre in zip(variable["values"], med):
        for error in entry["errors"]:
            sigma = error["label"][0]
            edges.setdefault(f"m{sigma}", []).append(centre + error["asymerror"]["minus"])
            edges.setdefault(f"p{sigma}", []).append(centre + error["asymerror"]["plus"])
    return [np.asarray(edges[b]) for b in BANDS]


def qualifiers(variable):
    return {q["name"]: q["value"] for q in variable["qualifiers"]}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("results") / "hepdata"
    hepdata.write_submission(hepdata.build_submission(SCANS, SUMMARIES), outdir)
    return outdir


def test_tables_and_tarball(written):
    documents, tables = load_tables(written)
    lifetime_tables = {f"na48_2_lnv BR limits tau {tau:g} ps" for tau in LIFETIMES}
    expected = {"na62_en BR limits", "na62_en U2 limits", "na62_pnn expected events"}
    assert set(tables) == expected | lifetime_tables
    with tarfile.open(written / "submission.tar.gz") as tar:
        names = set(tar.getnames())
    assert names == {"submission.yaml"} | {d["data_file"] for d in documents[1:]}
    assert not [p for p in written.parent.iterdir() if p.name.startswith(".")]


def test_br_table_numbers(written):
    _, tables = load_tables(written)
    table = tables["na62_en BR limits"]
    scan = SCANS["na62_en"]
    (mass,) = table["independent_variables"]
    assert mass["header"] == {"name": "M(N)", "units": "MeV"}
    np.testing.assert_allclose(values(mass), scan["mass_mev"])
    observed = dependent(table, "(observed)")
    np.testing.assert_allclose(values(observed), scan["br_ul"], rtol=1e-4)
    assert qualifiers(observed) == {"RE": "K+ --> e+ N", "CL": "90%", "LIMIT": "observed"}
    edges = band_edges(dependent(table, "(expected)"))
    ratio = scan["br_ul"] / scan["n_ul"]
    for band, edge in zip(BANDS, edges):
        np.testing.assert_allclose(edge, scan[f"n_ul_exp_{band}"] * ratio, rtol=1e-4)
    for lower, upper in zip(edges, edges[1:]):
        assert np.all(lower <= upper)


def test_u2_table_numbers(written):
    _, tables = load_tables(written)
    table = tables["na62_en U2 limits"]
    scan = SCANS["na62_en"]
    observed = dependent(table, "|U_e4|^2 upper limit (observed)")
    np.testing.assert_allclose(values(observed), scan["u2_ul"], rtol=1e-4)
    median = band_edges(dependent(table, "(expected)"))[2]
    np.testing.assert_allclose(
        median, scan["n_ul_exp_med"] * scan["u2_ul"] / scan["n_ul"], rtol=1e-4
    )


def test_one_table_per_lifetime(written):
    _, tables = load_tables(written)
    scan = SCANS["na48_2_lnv"]
    for tau in LIFETIMES:
        table = tables[f"na48_2_lnv BR limits tau {tau:g} ps"]
        rows = scan[scan["lifetime_ps"] == tau]
        np.testing.assert_allclose(values(table["independent_variables"][0]), rows["mass_mev"])
        observed = dependent(table, "(observed)")
        np.testing.assert_allclose(values(observed), rows["br_ul"], rtol=1e-4)
        assert qualifiers(observed)["TAU(N)"] == tau
        assert qualifiers(observed)["RE"] == "K+- --> mu+- N, N --> pi-+ mu+-"
        edges = band_edges(dependent(table, "(expected)"))
        for lower, upper in zip(edges, edges[1:]):
            assert np.all(lower <= upper)


def test_record_describes_pseudo_data(written):
    documents, _ = load_tables(written)
    comment = documents[0]["comment"]
    assert "pseudo-data" in comment
    for text in ("seed 20150701", "seed 11", "scale 0.02", "config hash 0123456789abcdef"):
        assert text in comment
    assert "na62_pnn: no limit table, the result is still blinded" in comment
    keywords = {k["name"]: k["values"] for k in documents[1]["keywords"]}
    assert keywords["reactions"] and keywords["observables"] and keywords["phrases"]


def test_blind_counting_experiment_gives_its_expectation(written):
    _, tables = load_tables(written)
    assert "na62_pnn BR limit" not in tables
    table = tables["na62_pnn expected events"]
    (source,) = table["independent_variables"]
    names = [v["value"] for v in source["values"]]
    assert names == ["k2pi", "k3pi", "kmu2", "total background", "SM signal"]
    events = dependent(table, "Expected events")
    np.testing.assert_allclose(values(events), [0.024, 0.017, 0.011, 0.052, 0.064])
    assert "Observed" not in str(table)


def test_rows_without_a_limit_are_left_out():
    scan = make_scan(np.arange(200.0, 205.0))
    scan.loc[1, ["n_ul", "br_ul", "u2_ul"]] = 0.0
    scan.loc[3, ["acceptance", "br_ul", "u2_ul"]] = [0.0, np.inf, np.inf]
    (table,) = hepdata.br_tables("na62rk_mun", scan, summary())
    (mass,) = [v for v in table.variables if v.is_independent]
    assert mass.values == [200.0, 202.0, 204.0]
    assert "2 hypotheses without a finite limit are left out" in table.description
    assert hepdata.u2_tables("na62rk_mun", scan.drop(columns="u2_ul"), summary()) == []


def test_unblinded_counting_experiment(tmp_path):
    summaries = {"na62_pnn": summary(n_obs=1, br_ul=1.4e-9, confidence_level=0.95, **PNN)}
    hepdata.write_submission(hepdata.build_submission({}, summaries), tmp_path / "hepdata")
    documents, tables = load_tables(tmp_path / "hepdata")
    table = tables["na62_pnn BR limit"]
    assert table["independent_variables"] == []
    limit = dependent(table, "upper limit")
    np.testing.assert_allclose(values(limit), [1.4e-9])
    assert qualifiers(limit)["CL"] == "95%"
    assert values(dependent(table, "Observed events")).tolist() == [1]
    assert "blinded" not in documents[0]["comment"]


def test_export_replaces_previous_output(tmp_path):
    storage.write_table(
        tmp_path / "scan.parquet",
        [(c, SCANS["na62_en"][c].dtype) for c in SCANS["na62_en"].columns],
        {c: SCANS["na62_en"][c].to_numpy() for c in SCANS["na62_en"].columns},
        {"sample": "scan"},
    )
    storage.write_json(tmp_path / "summary.json", summary())
    outdir = tmp_path / "out" / "hepdata"
    outdir.mkdir(parents=True)
    (outdir / "stale.yaml").write_text("old: true\n")
    hepdata.export(
        {"na62_en": tmp_path / "scan.parquet"}, {"na62_en": tmp_path / "summary.json"}, outdir
    )
    assert sorted(p.name for p in outdir.iterdir()) == [
        "na62_en_br_limits.yaml",
        "na62_en_u2_limits.yaml",
        "submission.tar.gz",
        "submission.yaml",
    ]
    assert [p.name for p in outdir.parent.iterdir()] == ["hepdata"]


def test_interrupted_write_leaves_no_output(tmp_path, monkeypatch):
    submission = hepdata.build_submission(SCANS, {"na62_en": SUMMARIES["na62_en"]})

    def fail(outdir, **kwargs):
        (submission.tables[0]).write_yaml(outdir)
        raise KeyboardInterrupt

    monkeypatch.setattr(submission, "create_files", fail)
    with pytest.raises(KeyboardInterrupt):
        hepdata.write_submission(submission, tmp_path / "hepdata")
    assert list(tmp_path.iterdir()) == []


def test_table_without_any_limit_is_noted(tmp_path):
    scan = SCANS["na48_2_lnv"].copy()
    scan.loc[scan["lifetime_ps"] == 10.0, "br_ul"] = np.inf
    submission = hepdata.build_submission({"na48_2_lnv": scan}, {"na48_2_lnv": summary()})
    hepdata.write_submission(submission, tmp_path / "hepdata")
    documents, tables = load_tables(tmp_path / "hepdata")
    assert sorted(tables) == ["na48_2_lnv BR limits tau 1 ps", "na48_2_lnv BR limits tau 100 ps"]
    assert (
        "na48_2_lnv BR limits tau 10 ps: no hypothesis with a finite limit"
        in (documents[0]["comment"])
    )
