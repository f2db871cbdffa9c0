"""Statistics: confidence intervals, significances, expected limits and coverage.

Modules
-------
:mod:`~analysis.stats.rolke`
    Rolke–López profile-likelihood intervals (Gaussian or Poisson background,
    known or Gaussian efficiency).
:mod:`~analysis.stats.feldman_cousins`
    Feldman–Cousins intervals for known background.
:mod:`~analysis.stats.significance`
    Local significance of a count and global significance of a scan.
:mod:`~analysis.stats.expected`
    Median expected limits and ±1σ/±2σ bands.
:mod:`~analysis.stats.coverage`
    Toy measurement of the coverage of the Rolke–López intervals.
"""

from analysis.stats import coverage, expected, feldman_cousins, rolke, significance

__all__ = ["coverage", "expected", "feldman_cousins", "rolke", "significance"]
