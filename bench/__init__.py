"""Benchmarks that print figures; they never assert on time."""
