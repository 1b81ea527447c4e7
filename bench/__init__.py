"""Benchmarks (`make bench`): each bench/bench_*.py module exposes main()."""
