"""Batch computations over the store's tables as Ibis expressions, one definition for every engine."""
