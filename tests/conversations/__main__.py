"""Play the conversation corpus outside pytest, against a running NLU, and print the figures.

    .venv/bin/python -m tests.conversations [--url http://127.0.0.1:5005] [-k WORDS] [-v]

--url: the Rasa server (default: the configured one; "none" = the fallback parser only);
-k: only exchanges whose id contains WORDS; -v: print each exchange's transcript.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from nlu.service import make_nlu
from storage.db import make_engine, make_uow_factory
from storage.migrate import upgrade

from tests.conversations.runner import LANGS, load, make_services, play


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.conversations")
    ap.add_argument("--url", default=None)
    ap.add_argument("-k", default="")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    url = args.url
    if url is None:
        from bot.settings import load_settings

        url = load_settings().nlu.url
    nlu = make_nlu(None if url == "none" else url, timeout=10.0)
    services = make_services(nlu)
    tmp = Path(tempfile.mkdtemp(prefix="athar-corpus-"))
    template = tmp / "template.db"
    upgrade(f"sqlite:///{template}")
    figures = {lang: [0, 0, 0] for lang in LANGS}
    failed = 0
    for ex in load():
        if args.k not in ex.id:
            continue
        path = tmp / "athar.db"
        shutil.copyfile(template, path)
        engine = make_engine(f"sqlite:///{path}")
        try:
            r = play(ex, services, make_uow_factory(engine))
        finally:
            engine.dispose()
        f = figures[ex.lang]
        f[0] += 1
        f[1] += r.typed
        f[2] += r.first_try
        if r.problems or args.v:
            print(f"== {ex.id}: {'FAILED' if r.problems else 'ok'}")
            for p in r.problems:
                print("   ", p)
            if args.v or r.problems:
                print("\n".join("      " + line.replace("\n", "\n      ") for line in r.transcript))
        failed += bool(r.problems)
    print("variant   exchanges  typed answers  understood at the first try")
    for lang, (n, typed, first) in figures.items():
        rate = f"{first / typed:.1%}" if typed else "-"
        print(f"{lang:<9} {n:>9}  {typed:>13}  {rate:>8} ({first})")
    print(f"{failed} exchange(s) failed")
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
