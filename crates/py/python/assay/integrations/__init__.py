"""Adapters that plug an Assay pipeline into trainers: ``trl`` and ``verl``."""

from . import trl, verl

__all__ = ["trl", "verl"]
