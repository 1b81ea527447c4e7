"""`athar export logframe|results|report …`: documents from the records, written to a file.

    athar export logframe --project 3 --format docx --lang ar -o cadre.docx
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

LANGS = ("fr", "ar")


def _app():
    from bot.app import build_app
    from bot.settings import get_settings
    return build_app(get_settings(), nlu=None, migrate=True)


def _run(job, output: str | None) -> int:
    from bot.exporting import ExportError, Exporter
    app = _app()
    try:
        exporter = Exporter(app.services.communes)
        with app.uow_factory() as uow:
            try:
                path = exporter.run(uow, job, Path(output) if output else None)
            except ExportError as exc:
                print(f"athar: {exc}", file=sys.stderr)
                return 2
        print(path)
        return 0
    finally:
        app.close()


def _logframe(args: argparse.Namespace) -> int:
    from bot.exporting import ExportJob
    return _run(ExportJob(what="logframe", fmt=args.format, lang=args.lang,
                          project_id=args.project), args.output)


def register(sub: argparse._SubParsersAction) -> None:
    from bot.exporting import FORMATS
    p = sub.add_parser("export", help="export logframes, poll results and reports to files")
    esub = p.add_subparsers(dest="export_command", metavar="WHAT")
    lf = esub.add_parser("logframe", help="the logframe (cadre logique) of a project")
    lf.add_argument("--project", type=int, required=True, help="project id")
    lf.add_argument("--format", default="json", choices=FORMATS["logframe"])
    lf.add_argument("--lang", default="fr", choices=LANGS)
    lf.add_argument("-o", "--output", default=None, help="file to write (default: var/exports/…)")
    lf.set_defaults(func=_logframe)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])
