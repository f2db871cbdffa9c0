"""The public API of analysis.stats (other packages rely on these names)."""

from __future__ import annotations

import inspect

import pytest

import analysis.stats as stats_pkg
from analysis.stats import coverage, expected, feldman_cousins, rolke, significance

API = {
    rolke: [
        "chi2_level",
        "interval",
        "interval_poisson_bkg",
        "profile_statistic",
        "profile_statistic_poisson_bkg",
    ],
    feldman_cousins: ["acceptance", "interval"],
    significance: [
        "global_significance",
        "local_significance",
        "p_value",
        "p_to_z",
        "scan_toys",
        "z_to_p",
    ],
    expected: ["BANDS", "expected_limits", "expected_limits_poisson_bkg"],
    coverage: ["coverage", "coverage_poisson_bkg"],
}


def test_package_exports_modules():
    assert sorted(stats_pkg.__all__) == [
        "coverage",
        "expected",
        "feldman_cousins",
        "rolke",
        "significance",
    ]


@pytest.mark.parametrize("module", list(API), ids=lambda m: m.__name__)
def test_module_all(module):
    assert sorted(module.__all__) == sorted(API[module])
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj):
            assert obj.__doc__ and "Examples" in obj.__doc__, name


def test_contract_signatures():
    assert str(inspect.signature(rolke.interval)) == (
        "(n_obs, bkg, bkg_sigma=0.0, eff=1.0, eff_sigma=0.0, cl=0.9)"
    )
    assert (
        str(inspect.signature(rolke.interval_poisson_bkg))
        == "(n_obs, n_control, tau, eff=1.0, eff_sigma=0.0, cl=0.9)"
    )
    assert (
        str(inspect.signature(significance.global_significance))
        == "(local_z_max_observed, toy_local_z_max)"
    )
    params = list(inspect.signature(significance.scan_toys).parameters)
    assert params[:7] == [
        "bin_expectation",
        "windows_lo_idx",
        "windows_hi_idx",
        "bkg",
        "bkg_sigma",
        "n_toys",
        "seed",
    ]
