"""Benchmarks (each `bench/<area>/run.py`) and what only they need: `bench.settings` installs `bench.benchapp`."""
