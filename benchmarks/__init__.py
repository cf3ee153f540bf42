"""Benchmarks: `python -m benchmarks.bench` (or `invoke bench`). Not part of the test suite."""
