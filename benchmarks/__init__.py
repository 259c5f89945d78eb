"""Benchmarks: print ratios measured in one run; never asserted (these machines are noisy)."""
