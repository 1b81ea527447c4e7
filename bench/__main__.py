"""Run every bench/bench_*.py module's main(), or only those named: python -m bench nlu storage.

Exits with status 1 when a benchmark fails or misses an aim (its main() returns non-zero).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")
    )
    wanted = {a if a.startswith("bench_") else f"bench_{a}" for a in argv if not a.startswith("-")}
    failed = 0
    for name in names:
        if wanted and name not in wanted:
            continue
        print(f"== {name} ==", flush=True)
        t0 = time.monotonic()
        try:
            status = importlib.import_module(f"bench.{name}").main()
        except Exception as exc:  # keep running the others
            failed += 1
            print(f"{name} failed: {type(exc).__name__}: {exc}", flush=True)
        else:
            if status:
                failed += 1
                print(f"{name}: aims NOT met", flush=True)
        print(f"== {name}: {time.monotonic() - t0:.1f} s ==\n", flush=True)
    if failed:
        print(f"{failed} benchmark(s) failed or missed an aim", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
