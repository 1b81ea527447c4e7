"""Every benchmark module imports: `make bench` runs them all, and a bench that no longer loads
(a helper it took from another bench was renamed or removed) would only be found there."""

import importlib
import pkgutil

import pytest

import bench

MODULES = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))


def test_the_benchmarks_are_found():
    assert {"bench_telegram", "bench_whatsapp", "bench_dashboard"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_each_benchmark_module_imports_and_has_a_main(name):
    module = importlib.import_module(f"bench.{name}")
    assert callable(getattr(module, "main", None))
