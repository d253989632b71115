"""Benchmarks of the lakehouse on the local stack: `python -m bench` (see docs/PERFORMANCE.md)."""
