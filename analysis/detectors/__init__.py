"""Detector response: transport, spectrometers, calorimeters and vetoes."""
