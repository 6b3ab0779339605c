"""bench.benchapp: the benchmark-only model and endpoints, installed only by `bench.settings` (never in production)."""
