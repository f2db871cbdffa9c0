"""Stages of the NA62 2015 K+ → e+ N search (see :mod:`analysis.analyses.lepton_search`)."""

from __future__ import annotations

from analysis.analyses.lepton_search import LeptonSearch
from analysis.selections import na62_en as cuts_module

SELECTION = "na62_en"
SEARCH = LeptonSearch(SELECTION, cuts_module)

kaon_momentum = SEARCH.kaon_momentum
select = SEARCH.select
normalise = SEARCH.normalise
run_scan = SEARCH.run_scan
plot = SEARCH.plot
