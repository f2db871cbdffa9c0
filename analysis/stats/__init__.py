"""Statistics: confidence intervals, significances, expected limits and coverage."""

from analysis.stats import feldman_cousins, rolke, significance

__all__ = ["feldman_cousins", "rolke", "significance"]
