"""`athar export …`: documents from the records, written to a file (its path is printed).

athar export logframe --project 3 --format docx --lang ar -o cadre.docx
athar export logframe --project 3 --format json      # prints the JSON
athar export results --project 3 --format xlsx -o resultats.xlsx     (or --poll 7)
athar export report --kind semester --commune Berkane --format pdf --lang fr -o rapport.pdf
athar export report --kind final --all --format odt -o programme.odt
athar export xlsform --poll 7 -o questionnaire.xlsx
athar export learning --format xlsx --all -o apprendre.xlsx     (or --commune Berkane, --period 2026-S1)
athar export artefact --lesson writing_an_effect --project 3 --format docx
athar export import-xlsform questionnaire.xlsx --project 3 --wave baseline
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

from domain.languages import DOCUMENT_LANGS

TEXT_FORMATS = ("json", "md")


def _app():
    from bot.app import build_app
    from bot.settings import get_settings

    return build_app(get_settings(), nlu=None, migrate=True)


def output_problem(output: str | None) -> str | None:
    """Why a file cannot be written at this path (None when it can be tried)."""
    if not output or output == "-":
        return None
    path = Path(output)
    if path.is_dir():
        return f"{output} is a directory; give a file name (-o {Path(output) / 'export'}.…)"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"cannot write {output}: {parent} is not a directory"
    if not os.access(parent, os.W_OK):
        return f"cannot write {output}: {parent} is not writable"
    return None


def _run(job, output: str | None, to_stdout: bool = False) -> int:
    from bot.services.exports import ExportError

    problem = output_problem(output)
    if problem:
        print(f"athar: {problem}", file=sys.stderr)
        return 2
    app = _app()
    try:
        exporter = app.services.exporter
        if exporter is None:
            raise LookupError("the exporter is not installed (bot.services.exports.install)")
        with app.uow_factory() as uow:
            try:
                if to_stdout:  # a text format printed instead of written to a file
                    with tempfile.TemporaryDirectory() as tmp:
                        path = exporter.run(uow, job, Path(tmp) / f"export.{job.fmt}")
                        sys.stdout.write(path.read_text(encoding="utf-8") + "\n")
                    return 0
                path = exporter.run(uow, job, Path(output) if output else None)
            except ExportError as exc:
                print(f"athar: {exc}", file=sys.stderr)
                return 2
            except OSError as exc:  # a path that looked writable but was not (full disk…)
                print(f"athar: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
                return 2
        print(path)
        return 0
    finally:
        app.close()


def _logframe(args: argparse.Namespace) -> int:
    from bot.services.exports import ExportJob

    # JSON goes to standard output unless a file is named; "-o -" prints any text format
    if args.output == "-" and args.format not in TEXT_FORMATS:
        print(f"athar: {args.format} cannot be printed; use -o FILE", file=sys.stderr)
        return 2
    to_stdout = args.output == "-" or (args.format == "json" and args.output is None)
    return _run(
        ExportJob(what="logframe", fmt=args.format, lang=args.lang, project_id=args.project),
        args.output,
        to_stdout=to_stdout,
    )


def _results(args: argparse.Namespace) -> int:
    from bot.services.exports import ExportJob

    if args.poll is None and args.project is None:
        print("athar: give --poll ID or --project ID", file=sys.stderr)
        return 2
    return _run(
        ExportJob(
            what="results",
            fmt=args.format,
            lang=args.lang,
            project_id=args.project,
            poll_id=args.poll,
            link=args.link,
        ),
        args.output,
    )


def _xlsform(args: argparse.Namespace) -> int:
    from bot.services.exports import ExportJob

    if args.poll is None and args.project is None:
        print("athar: give --poll ID or --project ID", file=sys.stderr)
        return 2
    return _run(
        ExportJob(what="xlsform", fmt="xlsx", lang=args.lang, project_id=args.project, poll_id=args.poll),
        args.output,
    )


def _period_problem(args: argparse.Namespace) -> bool:
    if args.period and not re.fullmatch(r"\d{4}-S[12]", args.period):
        print("athar: --period looks like 2026-S1 or 2026-S2", file=sys.stderr)
        return True
    return False


def _report(args: argparse.Namespace) -> int:
    from bot.services.exports import ExportJob

    if _period_problem(args):
        return 2
    commune_id, status = _commune_id(args)
    if status:
        return status
    what = "report_final" if args.kind == "final" else "report_semester"
    return _run(
        ExportJob(
            what=what,
            fmt=args.format,
            lang=args.lang,
            commune_id=commune_id,
            programme=args.all,
            period=args.period,
        ),
        args.output,
    )


def _commune_id(args: argparse.Namespace) -> tuple[str | None, int]:
    """(commune id, 0) for --commune NAME, (None, 0) for --all, (None, 2) after an error."""
    from domain.commune import find_commune
    from knowledge.loader import load_communes

    if args.all:
        return None, 0
    if not args.commune:
        print("athar: give --commune NAME or --all", file=sys.stderr)
        return None, 2
    found = find_commune(list(load_communes()), args.commune)
    if found is None:
        print(f"athar: unknown commune {args.commune!r}", file=sys.stderr)
        return None, 2
    return found.id, 0


def _learning(args: argparse.Namespace) -> int:
    from bot.services.exports import ExportJob

    if _period_problem(args):
        return 2
    args.all = args.all or not args.commune  # the whole programme unless a commune is named
    commune_id, status = _commune_id(args)
    if status:
        return status
    return _run(
        ExportJob(
            what="learning",
            fmt=args.format,
            lang=args.lang,
            commune_id=commune_id,
            programme=args.all,
            period=args.period,
        ),
        args.output,
    )


def _artefact(args: argparse.Namespace) -> int:
    from bot.services.exports import ExportJob
    from knowledge.loader import load_lessons

    ids = [m.id for m in load_lessons()]
    if args.lesson not in ids:
        print(f"athar: unknown lesson {args.lesson!r} (one of {', '.join(ids)})", file=sys.stderr)
        return 2
    return _run(
        ExportJob(
            what="artefact",
            fmt=args.format,
            lang=args.lang,
            project_id=args.project,
            options={"lesson": args.lesson},
        ),
        args.output,
    )


def _import_xlsform(args: argparse.Namespace) -> int:
    from domain.polls import Question, check_questions
    from exports.xlsform import XLSFormError, read_xlsform
    from pydantic import ValidationError

    from bot.services.polls import import_poll

    try:
        form = read_xlsform(Path(args.file))
    except (XLSFormError, OSError) as exc:
        print(f"athar: {exc}", file=sys.stderr)
        return 2
    for w in form.warnings:
        print(f"athar: note: {w}", file=sys.stderr)
    if form.unsupported and not args.adapt:
        print(
            "athar: the chat poll cannot ask " + ", ".join(form.unsupported) + " (only "
            "select_one, select_multiple, integer and text); run again with --adapt to import "
            "the form without them",
            file=sys.stderr,
        )
        return 2
    try:
        parsed = [Question.model_validate(q) for q in form.questions]
        check_questions(parsed)
    except ValidationError as exc:
        print(f"athar: the form does not make a valid poll: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"athar: the form does not make a valid poll: {exc}", file=sys.stderr)
        return 2
    checked = [q.model_dump() for q in parsed]
    app = _app()
    try:
        with app.uow_factory() as uow:
            project = uow.projects.get(args.project)
            if project is None:
                print(f"athar: no project {args.project}", file=sys.stderr)
                return 2
            poll = import_poll(
                uow, project, args.wave, checked, args.title or form.title or None, Path(args.file).name
            )
            uow.commit()
        print(f"Poll {poll.id} ({poll.wave}) for project {project.id}: {len(checked)} questions.")
        print(poll.id)
        return 0
    finally:
        app.close()


def register(sub: argparse._SubParsersAction) -> None:
    from bot.services.exports import FORMATS

    p = sub.add_parser("export", help="export logframes, poll results, reports and forms to files")
    esub = p.add_subparsers(dest="export_command", metavar="WHAT")

    def common(q: argparse.ArgumentParser, what: str, default: str) -> None:
        q.add_argument("--format", default=default, choices=FORMATS[what])
        q.add_argument("--lang", default="fr", choices=DOCUMENT_LANGS)
        q.add_argument("-o", "--output", default=None, help="file to write (default: var/exports/…)")

    lf = esub.add_parser("logframe", help="the logframe (cadre logique) of a project")
    lf.add_argument("--project", type=int, required=True, help="project id")
    common(lf, "logframe", "json")  # JSON without -o: printed on standard output
    lf.set_defaults(func=_logframe)

    rs = esub.add_parser("results", help="poll answers (Kobo-shaped XLSX/CSV, FLOIP) or a chart")
    rs.add_argument("--poll", type=int, default=None)
    rs.add_argument("--project", type=int, default=None, help="its newest follow-up poll")
    common(rs, "results", "xlsx")
    rs.add_argument(
        "--link",
        action="store_true",
        help="FLOIP: write the respondents' linking pseudonym (the same in every poll "
        "of the project) instead of contact ids of this file only",
    )
    rs.set_defaults(func=_results)

    rp = esub.add_parser("report", help="a semester or final report")
    rp.add_argument("--kind", default="semester", choices=("semester", "final"))
    where = rp.add_mutually_exclusive_group()
    where.add_argument("--commune", default=None, help="commune name or id")
    where.add_argument("--all", action="store_true", help="the whole programme")
    rp.add_argument("--period", default=None, help="semester, e.g. 2026-S1 (default: the last one with data)")
    common(rp, "report_semester", "pdf")
    rp.set_defaults(func=_report)

    xf = esub.add_parser("xlsform", help="a poll's questionnaire as an XLSForm")
    xf.add_argument("--poll", type=int, default=None)
    xf.add_argument("--project", type=int, default=None)
    xf.add_argument("--lang", default="fr", choices=DOCUMENT_LANGS, help="default language of the form")
    xf.add_argument("-o", "--output", default=None)
    xf.set_defaults(func=_xlsform)

    ln = esub.add_parser("learning", help="learning modules completed per commune and module")
    where = ln.add_mutually_exclusive_group()
    where.add_argument("--commune", default=None, help="commune name or id")
    where.add_argument("--all", action="store_true", help="the whole programme (the default)")
    ln.add_argument("--period", default=None, help="semester, e.g. 2026-S1 (default: since the start)")
    common(ln, "learning", "xlsx")
    ln.set_defaults(func=_learning)

    af = esub.add_parser("artefact", help="the document of a learning module, made from a project")
    af.add_argument("--lesson", required=True, help="lesson id (knowledge/lessons.yml)")
    af.add_argument("--project", type=int, default=None, help="project id (default: examples)")
    common(af, "artefact", "docx")
    af.set_defaults(func=_artefact)

    xi = esub.add_parser("import-xlsform", help="create a poll from an XLSForm")
    xi.add_argument("file")
    xi.add_argument("--project", type=int, required=True)
    xi.add_argument("--wave", default="baseline", choices=("baseline", "follow-up"))
    xi.add_argument("--title", default=None)
    xi.add_argument(
        "--adapt",
        action="store_true",
        help="leave out the questions of types the chat cannot ask (date, geopoint, "
        "decimal...) instead of refusing the form",
    )
    xi.set_defaults(func=_import_xlsform)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])
