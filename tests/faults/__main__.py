"""`make faults`: the whole fault table against the real processes, printed as one table.

    python -m tests.faults [--short] [--pg] [only ...]

`only`: run the faults whose name contains one of these words (e.g. `kill sigterm`). Exits 1
when a fault did not hold."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from tests.faults.harness import print_table, rasa_url, run_fault
from tests.faults.table import FAULTS


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.faults")
    ap.add_argument("only", nargs="*", help="words of the faults to run (default: all)")
    ap.add_argument("--short", action="store_true", help="the small counts of `make test`")
    ap.add_argument("--pg", action="store_true", help="on PostgreSQL (default: SQLite)")
    ap.add_argument("--keep", action="store_true", help="keep every run's logs")
    args = ap.parse_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    chosen = [
        fn
        for fn in FAULTS
        if not args.only
        or any(w.lower() in fn.__name__.removeprefix("fault_").replace("_", " ") for w in args.only)
    ]
    with contextlib.ExitStack() as stack:
        rasa = None
        if any(getattr(fn, "needs_rasa", False) for fn in chosen):
            rasa = rasa_url() or stack.enter_context(_local_rasa())
        rows = []
        for fn in chosen:
            name = fn.__name__.removeprefix("fault_").replace("_", " ")
            print(f"... {name}", file=sys.stderr, flush=True)
            row = run_fault(
                fn, pg=args.pg, size="short" if args.short else "full", keep=args.keep, rasa_url=rasa
            )
            print(
                f"    {'held' if row.ok else 'NOT HELD'} ({row.seconds:.0f} s)", file=sys.stderr, flush=True
            )
            rows.append(row)
    print_table(rows)
    return 0 if all(r.ok for r in rows) else 1


@contextlib.contextmanager
def _local_rasa():
    """The real Rasa server with the trained model, on a free port, for the run (None when
    its environment or model is missing: the NLU rows then say so)."""
    from nlu import trainer
    from nlu.server import LocalRasa, free_port

    if not trainer.rasa_bin().exists():
        print("Rasa's environment is missing (make rasa-venv): NLU faults without Rasa", file=sys.stderr)
        yield None
        return
    model = trainer.train(log=lambda m: print(m, file=sys.stderr))
    logdir = Path(tempfile.mkdtemp(prefix="athar-faults-rasa-"))
    server = LocalRasa(free_port(), model, logdir / "rasa.log")
    print("starting Rasa ...", file=sys.stderr, flush=True)
    server.start()
    try:
        server.wait_ready(timeout=300, log=lambda m: None)
        yield server.url
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
