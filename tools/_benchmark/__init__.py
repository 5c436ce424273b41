"""Benchmark harness pieces for tools/benchmark.py (issue 8): simulator process, measurement, scenarios, report."""
