"""Benchmarks: `make bench` prints one table with PRODUCT.md's target beside each figure. Not tests."""
