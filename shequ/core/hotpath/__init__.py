"""Machinery for the hot write paths ADR 0006 allows (one statement for a row and its audit event)."""
