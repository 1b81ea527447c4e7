"""/export: what (logframe, poll results, semester or final report, XLSForm) → scope (a commune
or the whole programme, for coordinators; officials get their own commune) → project and poll
when needed → format → language → a progress message, then the file as a document.

Generation runs in `generate()` through `services.exporter` (bot/services/exports.py), so this
module never imports the writers; the dispatcher is synchronous, so it runs in the handler for
now, and a channel may call the same exporter off its event loop.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any, Callable

from domain.records import Poll
from domain.buttons import (
    CodeButton,
    ExportCommune,
    ExportFormat,
    ExportLanguage,
    ExportPeriod,
    ExportPoll,
    ExportScope,
    ExportWhat,
)
from domain.dialogue import Answer, Ctx, Dialogue, Invalid, Option, Step
from domain.languages import DOCUMENT_LANGS, document_language
from domain.messages import Attachment, Job, Reply, msg
from domain.ports import AppServices, ExporterPort, UnitOfWork

from bot.handlers import Handlers, MenuEntry, reached
from bot.handlers._projects import choose_project_step

WHAT = ("logframe", "results", "report_semester", "report_final", "xlsform")
WHAT_LABEL = {
    "logframe": "export.what_logframe",
    "results": "export.what_results",
    "report_semester": "export.what_semester",
    "report_final": "export.what_final",
    "xlsform": "export.what_xlsform",
}
REPORTS = ("report_semester", "report_final")
POLL_BASED = ("results", "xlsform")
NO_LANGUAGE = ("csv", "json")
COORDINATORS = ("coordinator", "admin")
log = logging.getLogger("athar.export")
JOB = "export"
MAX_SEMESTERS = 6  # the newest ones offered as buttons


def _data(ctx: Ctx) -> dict[str, Any]:
    return ctx.state.data


def _exporter(ctx: Ctx) -> ExporterPort | None:
    return ctx.services.exporter


def _coordinator(ctx: Ctx) -> bool:
    return ctx.user is not None and ctx.user.role in COORDINATORS


def _code(kind: type[CodeButton]) -> Callable[[Ctx, Answer, Any], str | Invalid]:
    """The parse of a step whose buttons are all of one kind: the code pressed."""

    def parse(ctx: Ctx, answer: Answer, choice: str | None) -> str | Invalid:
        pressed = kind.read(choice)
        if pressed is None:
            return Invalid(
                msg("common.button_expired")
                if answer.button or choice is not None
                else msg("common.choose_option", n=len(ctx.state.offered) or 1)
            )
        return pressed.code

    return parse


# -- steps ----------------------------------------------------------------------------------------
def what_options(ctx: Ctx) -> list[Option]:
    return [Option(ExportWhat(w).encode(), msg(WHAT_LABEL[w])) for w in WHAT]


def scope_options(ctx: Ctx) -> list[Option]:
    return [
        Option(ExportScope("commune").encode(), msg("export.scope_commune")),
        Option(ExportScope("all").encode(), msg("export.scope_all")),
    ]


def commune_options(ctx: Ctx) -> list[Option]:
    return [
        Option(ExportCommune(c.id).encode(), msg("common.raw", text=c.name(ctx.lang)))
        for c in ctx.services.communes
    ]


def _polls(ctx: Ctx) -> list[Poll]:
    pid = _data(ctx).get("project_id")
    return ctx.uow.polls.list(int(pid)) if pid is not None else []


def poll_options(ctx: Ctx) -> list[Option]:
    return [
        Option(
            ExportPoll(p.id).encode(),
            msg("common.raw", text=f"{(p.title or p.wave)[:50]} ({p.created_at:%d/%m/%Y})"),
        )
        for p in sorted(_polls(ctx), key=lambda p: p.created_at)
        if p.id is not None
    ]


def _report_scope(ctx: Ctx) -> tuple[bool, str | None]:
    """(whole programme, commune id) of the report being asked for."""
    if _coordinator(ctx):
        return _data(ctx).get("scope") == "all", _data(ctx).get("commune")
    return False, ctx.user.commune_id if ctx.user is not None else None


def _semesters(ctx: Ctx) -> list[str]:
    exporter = _exporter(ctx)
    if exporter is None:
        return []
    programme, commune = _report_scope(ctx)
    try:
        return exporter.semesters(ctx.uow, programme, commune)[:MAX_SEMESTERS]
    except ValueError:  # an unknown commune: the job says so when it runs
        return []


def period_options(ctx: Ctx) -> list[Option]:
    return [
        Option(ExportPeriod(s).encode(), msg(f"export.semester.s{s[-1]}", year=s[:4]))
        for s in _semesters(ctx)
    ]


def _period_parse(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    value = _code(ExportPeriod)(ctx, answer, choice)
    if isinstance(value, Invalid):
        return value
    return value if value in _semesters(ctx) else Invalid(msg("export.bad_period"))


def format_options(ctx: Ctx) -> list[Option]:
    exporter = _exporter(ctx)
    formats = exporter.formats(_data(ctx).get("what", ""), _coordinator(ctx)) if exporter else ()
    return [Option(ExportFormat(f).encode(), msg(f"export.fmt.{f}")) for f in formats]


def lang_options(ctx: Ctx) -> list[Option]:
    first = document_language(ctx.lang)
    langs = [first] + [x for x in DOCUMENT_LANGS if x != first]
    return [Option(ExportLanguage(x).encode(), msg(f"export.lang_{x}")) for x in langs]


def _project_parse(base: Step):
    def parse(ctx: Ctx, answer: Answer, choice: Any) -> Any:
        value = base.parse(ctx, answer, choice) if base.parse else choice
        if isinstance(value, Invalid) or _data(ctx).get("what") not in POLL_BASED:
            return value
        if not ctx.uow.polls.list(int(value)):
            return Invalid(msg("export.no_poll"))
        return value

    return parse


def _poll_parse(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is None:
        return Invalid(
            msg("common.button_expired")
            if answer.button
            else msg("common.choose_option", n=len(ctx.state.offered) or 1)
        )
    pressed = ExportPoll.read(choice)
    ids = {p.id for p in _polls(ctx)}
    return pressed.id if pressed is not None and pressed.id in ids else Invalid(msg("common.button_expired"))


def _commune_parse(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    value = _code(ExportCommune)(ctx, answer, choice)
    if isinstance(value, Invalid):
        return value
    return (
        value if any(c.id == value for c in ctx.services.communes) else Invalid(msg("common.button_expired"))
    )


def _fmt_parse(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    value = _code(ExportFormat)(ctx, answer, choice)
    if isinstance(value, Invalid):
        return value
    exporter = _exporter(ctx)
    return (
        value
        if exporter and value in exporter.formats(_data(ctx).get("what", ""), _coordinator(ctx))
        else Invalid(msg("common.button_expired"))
    )


def _is(*whats: str):
    return lambda ctx: _data(ctx).get("what") in whats


def steps() -> list[Step]:
    base = choose_project_step("project_id")
    project = dataclasses.replace(
        base,
        parse=_project_parse(base),
        when=lambda ctx: _data(ctx).get("what") not in REPORTS and (base.when is None or base.when(ctx)),
    )
    return [
        Step("what", prompt=msg("export.what"), kind="choice", options=what_options, parse=_code(ExportWhat)),
        Step(
            "scope",
            prompt=msg("export.scope"),
            kind="choice",
            options=scope_options,
            parse=_code(ExportScope),
            when=lambda ctx: _is(*REPORTS)(ctx) and _coordinator(ctx),
        ),
        Step(
            "commune",
            prompt=msg("export.commune"),
            kind="choice",
            options=commune_options,
            parse=_commune_parse,
            when=lambda ctx: (
                _is(*REPORTS)(ctx) and _coordinator(ctx) and _data(ctx).get("scope") == "commune"
            ),
        ),
        project,
        Step(
            "period",
            prompt=msg("export.period"),
            kind="choice",
            options=period_options,
            parse=_period_parse,
            when=lambda ctx: _is("report_semester")(ctx) and bool(_semesters(ctx)),
        ),
        Step(
            "poll",
            prompt=msg("export.poll"),
            kind="choice",
            options=poll_options,
            parse=_poll_parse,
            when=lambda ctx: _is(*POLL_BASED)(ctx) and len(_polls(ctx)) > 1,
        ),
        Step(
            "fmt",
            prompt=msg("export.format"),
            kind="choice",
            options=format_options,
            parse=_fmt_parse,
            when=lambda ctx: len(format_options(ctx)) > 1,
        ),
        Step(
            "lang",
            prompt=msg("export.lang"),
            kind="choice",
            options=lang_options,
            parse=_code(ExportLanguage),
            when=lambda ctx: _chosen_format(ctx) not in NO_LANGUAGE,
        ),
    ]


def _chosen_format(ctx: Ctx) -> str | None:
    fmt = _data(ctx).get("fmt")
    if fmt is None:
        opts = format_options(ctx)
        if len(opts) == 1:
            only = ExportFormat.read(opts[0].data)
            fmt = only.code if only is not None else None
    return fmt


# -- the job --------------------------------------------------------------------------------------
def job_of(ctx: Ctx) -> dict[str, Any]:
    """The export job as plain data (what a worker needs to produce the file)."""
    d = _data(ctx)
    what = d.get("what")
    job: dict[str, Any] = {
        "what": what,
        "fmt": _chosen_format(ctx),
        "lang": d.get("lang") or document_language(ctx.lang),
    }
    if what in REPORTS:
        job["programme"], job["commune_id"] = _report_scope(ctx)
        if what == "report_semester" and d.get("period"):
            job["period"] = d["period"]
    else:
        job["project_id"] = d.get("project_id")
        job["poll_id"] = d.get("poll")
        job["coordinator"] = _coordinator(ctx)
    return job


def generate(exporter: ExporterPort, uow: UnitOfWork, job: dict[str, Any]) -> Path:
    """Produce the file of a job (synchronous: call it in a worker thread when needed)."""
    return exporter.run(uow, dict(job))


def _complete(ctx: Ctx) -> list[Reply]:
    exporter = _exporter(ctx)
    if exporter is None:
        return [Reply.of("export.unavailable")]
    job = job_of(ctx)
    refusal = exporter.refusal(ctx.uow, ctx.user, job)
    if refusal is not None:
        return [Reply.of(refusal)]
    if job["what"] in REPORTS:
        reached(ctx, "report")
    # The file is made by the channel once "preparing…" is on the user's screen (Job).
    return [Reply.of("export.progress"), Reply(lines=[], job=Job(kind=JOB, params=job))]


def run_job(services: AppServices, uow: UnitOfWork, job: dict[str, Any]) -> Reply:
    """The export job's runner: the file as a document, or why there is none."""
    exporter = services.exporter
    if exporter is None:
        return Reply.of("export.unavailable")
    try:
        path = generate(exporter, uow, job)
    except Exception as exc:  # a job that cannot run is told, never crashes the conversation
        key = getattr(exc, "key", None)
        log.warning("export failed: %s", exc)
        return Reply.of(key if key else "export.failed")
    return Reply(
        lines=[msg("export.ready", name=path.name)],
        attachment=Attachment(kind="document", path=str(path), filename=path.name),
    )


def setup(h: Handlers) -> None:
    h.add_job(JOB, run_job)
    h.registry.add(Dialogue(id="export", steps=steps(), on_complete=_complete, confirm=False, then="menu"))
    h.add_menu(
        MenuEntry(data="menu:export", label=msg("export.menu"), dialogue="export", order=80, intent="export")
    )
    h.add_command("export", "export")
