"""`athar nlu train | serve | parse --jsonl | eval FILE` (see shared NLU contract)."""

from __future__ import annotations

import contextlib
import json
import os
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser("nlu", help="the NLU: train, serve, parse, evaluate")
    sub = p.add_subparsers(dest="nlu_command", metavar="ACTION")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    t = sub.add_parser(
        "train",
        help="train the statement-level model and the Rasa model (each skipped when "
        "its inputs' hash is unchanged)",
    )
    t.add_argument("--force", action="store_true", help="train even when a model for this data exists")
    t.set_defaults(func=_train)

    s = sub.add_parser("serve", help="run `rasa run --enable-api` on 127.0.0.1 with the trained model")
    s.add_argument("--port", type=int, default=None, help="port (default: the configured NLU URL's, or 5005)")
    s.set_defaults(func=_serve)

    q = sub.add_parser("parse", help="parse messages (one per line on stdin) into JSON lines")
    q.add_argument(
        "--jsonl", action="store_true", help="read UTF-8 lines on stdin, write JSON lines (default)"
    )
    q.add_argument("--no-rasa", action="store_true", help="use the fallback parser only")
    q.set_defaults(func=_parse)

    e = sub.add_parser("eval", help="per-variant accuracy, P/R/F1 and confusion on a JSONL file")
    e.add_argument("file", nargs="?", help="JSONL: text, language and, optionally, intent and entities")
    e.add_argument(
        "--real",
        choices=("test", "train"),
        help="instead of a file: the real dev set's statements of that split (nlu/eval/real/), "
        "then its language-id lines of that split",
    )
    e.add_argument("--no-rasa", action="store_true", help="evaluate the fallback parser only")
    e.add_argument("--json", action="store_true", help="print the figures as JSON")
    e.add_argument(
        "--errors",
        type=int,
        default=0,
        help="also list up to N messages with a wrong intent, and N with a wrong language",
    )
    e.set_defaults(func=_eval)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _train(args) -> int:
    from nlu import levels, trainer

    levels.build()  # the statement-level model (numpy, in-process; cached by hash)
    try:
        trainer.train(force=args.force)
    except RuntimeError as exc:
        _err(f"athar nlu train: {exc}")
        return 1
    return 0


def _serve(args) -> int:
    from urllib.parse import urlparse

    from bot.settings import get_settings
    from nlu import trainer

    model = trainer.model_path()
    if not model.exists():
        _err("no trained model for the current data: run `athar nlu train` first")
        return 1
    port = args.port or urlparse(get_settings().nlu.url or "").port or 5005
    cmd = [
        str(trainer.rasa_bin()),
        "run",
        "--enable-api",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-m",
        str(model),
    ]
    _err("running: " + " ".join(cmd))
    os.execve(cmd[0], cmd, trainer.rasa_env())
    return 0  # pragma: no cover


@contextlib.contextmanager
def nlu_for_cli(no_rasa: bool):
    """The configured NLU for a command (the local Rasa started if needed), else the fallback."""
    from bot.settings import get_settings
    from nlu.server import local_rasa
    from nlu.service import make_nlu

    cfg = get_settings().nlu
    if no_rasa or not cfg.url:
        yield make_nlu(None, max_chars=cfg.max_chars)
        return
    ctx = local_rasa(cfg.url, log=_err) if cfg.autostart else contextlib.nullcontext()
    try:
        with ctx:
            nlu = make_nlu(cfg.url, timeout=cfg.timeout_seconds, max_chars=cfg.max_chars)
            try:
                yield nlu
            finally:
                nlu.close()
    except RuntimeError as exc:  # could not start Rasa: the fallback still answers
        _err(f"NLU server unavailable ({exc}); using the fallback parser")
        yield make_nlu(None, max_chars=cfg.max_chars)


def _parse(args) -> int:
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="replace", newline="\n", closefd=False)
    with nlu_for_cli(args.no_rasa) as nlu:
        for line in stdin:
            text = line.rstrip("\n").rstrip("\r")
            u = nlu.parse(text)
            out = {
                "text": u.text,
                "language": u.language,
                "intent": {"name": u.intent.name, "confidence": u.intent.confidence},
                "entities": [
                    {"entity": e.entity, "value": e.value, "start": e.start, "end": e.end} for e in u.entities
                ],
                "levels": u.levels,
                "engine": u.engine,
            }
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    return 0


def _eval(args) -> int:
    from nlu.evaluate import evaluate, format_report, load

    if bool(args.file) == bool(args.real):
        _err("athar nlu eval: give a FILE or --real SPLIT")
        return 2
    if args.real:
        from nlu import realset

        sets = {
            f"real statements ({args.real})": realset.load(split=args.real),
            f"real language-id lines ({args.real})": realset.langid_lines(split=args.real),
        }
    else:
        sets = {args.file: load(args.file)}
    with nlu_for_cli(args.no_rasa) as nlu:
        reports = {name: evaluate(nlu, rows) for name, rows in sets.items() if rows}
    if args.json:
        figures = {name: rep.to_dict() for name, rep in reports.items()}
        print(json.dumps(figures if args.real else figures[args.file], indent=2, ensure_ascii=False))
        return 0
    for name, rep in reports.items():
        if args.real:
            print(f"== {name} ==")
        print(format_report(rep))
        for e in rep.errors[: args.errors]:
            print(f"  [{e['language']}] {e['gold']} -> {e['pred']}: {e['text']}")
        for e in rep.lang_errors[: args.errors]:
            print(f"  language {e['language']} -> {e['pred']}: {e['text']}")
    return 0
