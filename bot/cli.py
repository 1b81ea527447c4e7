"""The `athar` command line.

Sub-commands live in `bot/commands/<name>.py`, each exposing
`register(subparsers) -> None`; the parser it adds sets `func=<callable(args) -> int>`.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import bot.commands
from bot.settings import SettingsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="athar", description="Athar, the M&E coaching assistant")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(bot.commands.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"bot.commands.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        code = int(func(args) or 0)
    except SettingsError as exc:
        print(f"athar: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    if getattr(args, "quick_exit", False):
        quick_exit(code)
    return code


def quick_exit(code: int) -> None:
    """End a server command at once once it has stopped cleanly (its work committed, its
    connections closed, its children stopped): the interpreter's own teardown frees every
    object one by one, 2-4 s on a busy machine, which a process manager's stop timeout
    (commonly 10 s after SIGTERM) would count. Logs and output are flushed first."""
    import logging
    import os

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
