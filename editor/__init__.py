"""Veil: a local photo editor for faces."""

__version__ = "0.1.0"
