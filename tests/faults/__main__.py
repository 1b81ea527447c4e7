"""`make faults`: the whole fault table against the real processes, printed as one table.

    python -m tests.faults [--short] [--pg] [only ...]

`only`: run the faults whose name contains one of these words (e.g. `kill sigterm`). Exits 1
when a fault did not hold."""
from __future__ import annotations

import argparse
import os
import sys

from tests.faults.harness import print_table, run_fault
from tests.faults.table import FAULTS


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.faults")
    ap.add_argument("only", nargs="*", help="words of the faults to run (default: all)")
    ap.add_argument("--short", action="store_true", help="the small counts of `make test`")
    ap.add_argument("--pg", action="store_true", help="on PostgreSQL (default: SQLite)")
    ap.add_argument("--keep", action="store_true", help="keep every run's logs")
    args = ap.parse_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    rows = []
    for fn in FAULTS:
        name = fn.__name__.removeprefix("fault_").replace("_", " ")
        if args.only and not any(w.lower() in name for w in args.only):
            continue
        print(f"... {name}", file=sys.stderr, flush=True)
        row = run_fault(fn, pg=args.pg, size="short" if args.short else "full", keep=args.keep)
        print(f"    {'held' if row.ok else 'NOT HELD'} ({row.seconds:.0f} s)", file=sys.stderr,
              flush=True)
        rows.append(row)
    print_table(rows)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
