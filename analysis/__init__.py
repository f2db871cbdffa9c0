"""Kaon-decay searches of NA48/2 and NA62: simulation, selection, scans and limits."""

__version__ = "0.1.0"
