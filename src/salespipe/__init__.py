"""Salespipe: an open-source sales pipeline manager."""

__version__ = "0.1.0"
