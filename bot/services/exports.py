"""Export operations: load the records through the ports, call the pure writers of `exports/`.

One `Exporter` makes every file: the /export dialogue's (through `services.exporter`,
so handlers never import the writers), `athar export …` and the dashboard's downloads.
`Exporter.run(uow, job)` is synchronous and only reads: a channel or the dashboard may run it in a
worker thread with its own unit of work (`run_with`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from domain.access import sees_everything
from domain.commune import Commune
from domain.knowledge import KnowledgeBase, Lesson
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.records import Poll, Project, User
from domain.text import ascii_slug

from bot.services.polls import saved_id
from bot.settings import ROOT

if TYPE_CHECKING:  # the writers load when a file is made, not when the bot starts
    from exports.reports import CommuneData, ProjectData

EXPORT_DIR = ROOT / "var" / "exports"
REPORTS = ("report_semester", "report_final")
SCOPED = REPORTS + ("learning",)  # about a commune, or the whole programme
FORMATS: dict[str, tuple[str, ...]] = {
    "logframe": ("xlsx", "docx", "odt", "pdf", "md", "json"),
    "results": ("xlsx", "csv", "floip", "png"),
    "report_semester": ("docx", "odt", "pdf", "md"),
    "report_final": ("docx", "odt", "pdf", "md"),
    "xlsform": ("xlsx",),
    "artefact": ("docx", "odt", "pdf", "md", "xlsx"),  # a learning module's document
    "learning": ("xlsx", "csv"),  # the programme's learning figures per commune
}
EXTENSIONS = {"floip": "zip"}
ROW_LEVEL = ("xlsx", "csv", "floip")  # poll results person by person: coordinators only


class ExportError(ValueError):
    """A job that cannot run (unknown project, nothing to export); `key` names a catalog text."""

    def __init__(self, key: str, detail: str = ""):
        super().__init__(detail or key)
        self.key = key


@dataclass
class ExportJob:
    what: str  # logframe | results | report_semester | report_final | xlsform | artefact | learning
    fmt: str
    lang: str = "fr"
    project_id: int | None = None
    poll_id: int | None = None
    commune_id: str | None = None  # reports: one commune; None with programme=True: all
    programme: bool = False
    period: str | None = None  # "2026-S1" for a semester report (default: last one with data)
    coordinator: bool = True  # may have row-level poll results (the CLI is the coordinator's)
    link: bool = False  # row-level results carry the linking pseudonym (else one per file)
    options: dict[str, Any] = field(default_factory=dict)  # artefact: {"lesson": id}


def slug(text: str) -> str:
    return ascii_slug(text)[:40] or "export"


def latest_poll(polls: list[Poll]) -> Poll | None:
    """The poll results are about by default: the newest follow-up, else the newest poll."""
    if not polls:
        return None
    key = lambda p: (p.wave == "follow-up", p.created_at, p.id or 0)  # noqa: E731
    return max(polls, key=key)


class Exporter:
    def __init__(
        self,
        communes: tuple[Commune, ...] | list[Commune],
        out_dir: Path | None = None,
        min_group_size: int = 5,
        knowledge: KnowledgeBase | None = None,
        retention_months: int | None = None,
    ):
        self.communes = {c.id: c for c in communes}
        self.order = [c.id for c in communes]
        self.out_dir = Path(out_dir or EXPORT_DIR)
        self.min_group_size = min_group_size
        self.knowledge = knowledge  # domain.knowledge.KnowledgeBase: the lessons' documents
        self.retention_months = retention_months

    def commune(self, commune_id: str | None) -> Commune | None:
        return self.communes.get(commune_id or "")

    def formats(self, what: str, coordinator: bool = True) -> tuple[str, ...]:
        """The formats of an export; row-level poll results only for coordinators."""
        out = FORMATS.get(what, ())
        if what == "results" and not coordinator:
            out = tuple(f for f in out if f not in ROW_LEVEL)
        return out

    def refusal(self, uow: UnitOfWork, viewer: User | None, job: ExportJob | dict[str, Any]) -> str | None:
        """Why `viewer` may not have this export (a catalog key), or None when they may: its
        project, and its poll's project, in a commune they see; a commune's report or figures
        theirs to see; the whole programme only for those who see everything. The one check of
        the /export dialogue and the dashboard's downloads (the command line is the
        coordinator's); which formats a viewer gets is `formats`."""
        if isinstance(job, dict):
            job = ExportJob(**job)

        def sees(project: Project | None) -> bool:
            return project is not None and viewer is not None and viewer.can_see_commune(project.commune_id)

        if job.project_id is not None and not sees(uow.projects.get(_id(job.project_id))):
            return "export.no_project"
        if job.poll_id is not None:
            poll = uow.polls.get(_id(job.poll_id))
            if poll is None or not sees(uow.projects.get(poll.project_id)):
                return "export.no_poll"
        if job.what in SCOPED:
            if job.programme:
                if not sees_everything(viewer):
                    return "export.failed"
            elif not job.commune_id or viewer is None or not viewer.can_see_commune(job.commune_id):
                return "export.failed"
        return None

    def default_path(self, job: ExportJob, stem: str) -> Path:
        self.prune()
        ext = EXTENSIONS.get(job.fmt, job.fmt)
        name = f"{job.what}-{slug(stem)}-{job.lang}-{time.strftime('%Y%m%d')}-{uuid.uuid4().hex[:6]}.{ext}"
        return self.out_dir / name

    def prune(self, max_age_hours: float = 24.0) -> None:
        """Files sent more than a day ago are removed (they hold pseudonymous answers)."""
        if not self.out_dir.is_dir():
            return
        limit = time.time() - max_age_hours * 3600
        for f in self.out_dir.iterdir():
            try:
                if f.is_file() and f.stat().st_mtime < limit:
                    f.unlink()
            except OSError:
                pass

    def run(self, uow: UnitOfWork, job: ExportJob | dict[str, Any], path: Path | None = None) -> Path:
        """Produce the file of a job (an ExportJob, or the same as a plain dict)."""
        if isinstance(job, dict):
            job = ExportJob(**job)
        if job.what not in FORMATS:
            raise ExportError("export.failed", f"unknown export {job.what!r}")
        if job.fmt not in FORMATS[job.what]:
            raise ExportError("export.failed", f"{job.what} cannot be written as {job.fmt}")
        if job.fmt not in self.formats(job.what, job.coordinator):
            raise ExportError("export.coordinators_only", "row-level results are for coordinators")
        if job.lang not in ("fr", "ar"):
            job.lang = "ar" if job.lang == "ary" else "fr"
        if job.what == "logframe":
            return self._logframe(uow, job, path)
        if job.what in ("results", "xlsform"):
            return self._poll(uow, job, path)
        if job.what == "artefact":
            return self._artefact(uow, job, path)
        if job.what == "learning":
            return self._learning(uow, job, path)
        return self._report(uow, job, path)

    def run_with(self, uow_factory: UnitOfWorkFactory, job: ExportJob, path: Path | None = None) -> Path:
        """The same job in its own read-only unit of work (for a worker thread)."""
        with uow_factory() as uow:
            try:
                return self.run(uow, job, path)
            finally:
                uow.rollback()

    # -- jobs ----------------------------------------------------------------------------------
    def _project(self, uow: UnitOfWork, project_id: Any) -> Project:
        project = uow.projects.get(int(project_id or 0))
        if project is None:
            raise ExportError("export.no_project", f"no project {project_id}")
        return project

    def _logframe(self, uow: UnitOfWork, job: ExportJob, path: Path | None) -> Path:
        from exports.service import export_logframe

        project = self._project(uow, job.project_id)
        path = path or self.default_path(job, project.title)
        return export_logframe(project, job.fmt, job.lang, path, self.commune(project.commune_id))

    def _poll(self, uow: UnitOfWork, job: ExportJob, path: Path | None) -> Path:
        if job.poll_id is not None:
            poll = uow.polls.get(int(job.poll_id))
            if poll is None or (job.project_id is not None and poll.project_id != int(job.project_id)):
                raise ExportError("export.no_poll", f"no poll {job.poll_id}")
        else:
            self._project(uow, job.project_id)
            poll = latest_poll(uow.polls.list(int(job.project_id or 0)))
            if poll is None:
                raise ExportError("export.no_poll", f"project {job.project_id} has no poll")
        project = self._project(uow, poll.project_id)
        path = path or self.default_path(job, f"{project.title}-{poll.wave}")
        from exports.writers import atomic_path

        with atomic_path(path) as tmp:
            self._poll_file(uow, job, project, poll, tmp)
        return path

    def _poll_file(self, uow: UnitOfWork, job: ExportJob, project, poll, path: Path) -> None:
        if job.what == "xlsform":
            from exports.xlsform import form_id_for, write_xlsform

            title = poll.title or project.title
            write_xlsform(path, poll.questions, title, form_id_for(title, poll.id), default_lang=job.lang)
            return
        if job.fmt == "png":
            self._charts(uow, job, project, poll, path)
            return
        respondents = uow.respondents.list(poll.id)
        responses = uow.responses.for_poll(poll.id)
        stories = uow.stories.list(project.id)
        from exports import poll_results as pr
        from exports.labels import Labels

        L, small = Labels(job.lang), self.min_group_size
        if job.fmt == "csv":
            pr.write_kobo_csv(path, poll, respondents, responses, stories, min_group_size=small)
        elif job.fmt == "floip":
            pr.write_floip(
                path,
                poll,
                respondents,
                responses,
                stories,
                lang=job.lang,
                min_group_size=small,
                link=job.link,
                description=L.t("rows.notice"),
            )
        else:
            pr.write_kobo_xlsx(
                path,
                poll,
                respondents,
                responses,
                stories,
                lang=job.lang,
                labels={k: L.t(f"rows.{k}") for k in ("notice", "name", "label", "value", "choice")},
                min_group_size=small,
            )

    def _charts(self, uow: UnitOfWork, job: ExportJob, project, poll, path: Path) -> Path:
        from exports.reports import poll_chart

        data = self.project_data(uow, project)
        if not poll_chart(data, job.lang, path, self.min_group_size, focus=poll.id):
            raise ExportError("export.too_few", f"poll {poll.id}: fewer answers than the minimum")
        return path

    def scope_data(
        self,
        uow: UnitOfWork,
        programme: bool,
        commune_id: str | None,
        answers: bool = True,
        responses: bool = True,
    ) -> list[CommuneData]:
        """The communes of a report (exports.reports.CommuneData) with their projects' records
        (without the polls and stories when `answers` is False: the projects' dates only;
        without the polls' answers when `responses` is False: who answered, not what)."""
        from exports.reports import CommuneData, ProjectData

        if programme:
            ids = self.order
        else:
            if commune_id not in self.communes:
                raise ExportError("export.failed", f"unknown commune {commune_id!r}")
            ids = [commune_id]
        communes = []
        for cid in ids:
            projects = []
            for summary in uow.projects.list(cid):
                project = uow.projects.get(summary.id)
                if project is not None:
                    projects.append(
                        self.project_data(uow, project, responses) if answers else ProjectData(project)
                    )
            if projects or not programme:
                communes.append(
                    CommuneData(
                        cid, self.commune(cid), projects, learning=[p for _, p in uow.lessons.by_commune(cid)]
                    )
                )
        return communes

    def semesters(self, uow: UnitOfWork, programme: bool, commune_id: str | None) -> list[str]:
        """The semesters a report on this scope can be about, newest first."""
        from exports.reports import report_semesters

        return report_semesters(self.scope_data(uow, programme, commune_id, answers=False), today())

    def _report(self, uow: UnitOfWork, job: ExportJob, path: Path | None) -> Path:
        from exports.reports import PeriodError, ReportInput, check_period, export_report

        communes = self.scope_data(uow, job.programme, job.commune_id)
        if not any(c.projects for c in communes):
            raise ExportError("export.nothing", "no project to report on")
        kind: Literal["semester", "final"] = "final" if job.what == "report_final" else "semester"
        data = ReportInput(
            kind=kind,
            communes=communes,
            programme=job.programme,
            period=job.period,
            min_group_size=self.min_group_size,
            today=today(),
            lessons=self._lesson_ids(),
        )
        if kind == "semester" and job.period:
            try:
                check_period(communes, job.period, data.today)
            except (PeriodError, ValueError) as exc:
                raise ExportError("export.bad_period", str(exc)) from exc
        stem = "programme" if job.programme else (job.commune_id or "commune")
        path = path or self.default_path(job, stem)
        return export_report(data, job.fmt, job.lang, path)

    # -- learning ------------------------------------------------------------------------------------
    def _knowledge(self) -> KnowledgeBase:
        if self.knowledge is None:
            raise ExportError("export.unavailable", "the knowledge base is not loaded")
        return self.knowledge

    def _lessons(self) -> tuple[Lesson, ...]:
        return tuple(self._knowledge().lessons)

    def _lesson_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.knowledge.lessons) if self.knowledge is not None else ()

    def _artefact(self, uow: UnitOfWork, job: ExportJob, path: Path | None) -> Path:
        """A learning module's document, from the project's records (or library examples)."""
        from exports.learning import artefact_document
        from exports.writers import write

        lesson = next((m for m in self._lessons() if m.id == job.options.get("lesson")), None)
        if lesson is None:
            raise ExportError("export.failed", f"no lesson {job.options.get('lesson')!r}")
        project = self._project(uow, job.project_id) if job.project_id is not None else None
        path = path or self.default_path(job, f"{lesson.id}-{project.title if project else ''}")
        data = self.project_data(uow, project) if project is not None else None
        doc = artefact_document(lesson, data, self._knowledge(), job.lang, today(), self.retention_months)
        return write(doc, job.fmt, path)

    def _learning(self, uow: UnitOfWork, job: ExportJob, path: Path | None) -> Path:
        """The learning figures per commune (and per module): XLSX or CSV."""
        from domain.learning import learning_by_commune
        from exports.learning import learning_document, write_learning_csv
        from exports.writers import atomic_path, write

        lessons = self._lessons()
        if job.programme or job.commune_id is None:
            ids = self.order
        elif job.commune_id in self.communes:
            ids = [job.commune_id]
        else:
            raise ExportError("export.failed", f"unknown commune {job.commune_id!r}")
        figures = learning_by_commune(
            uow.lessons.by_commune(None if len(ids) > 1 else ids[0]), ids, [m.id for m in lessons], job.period
        )
        names = {cid: c.name(job.lang) for cid, c in self.communes.items()}
        path = path or self.default_path(job, "programme" if len(ids) > 1 else ids[0])
        if job.fmt == "csv":
            with atomic_path(path) as tmp:
                write_learning_csv(tmp, figures, names, lessons, job.lang)
            return path
        return write(learning_document(figures, names, lessons, job.lang, job.period, today()), job.fmt, path)

    def project_data(self, uow: UnitOfWork, project: Project, responses: bool = True) -> ProjectData:
        """A project's records for the reports; `responses` False leaves out the polls' answers
        (the counts of people who answered, the statuses and the stories do not need them)."""
        from exports.reports import PollData, ProjectData

        polls = []
        for poll in uow.polls.list(project.id):
            poll_id = saved_id(poll.id, "poll")
            polls.append(
                PollData(
                    poll,
                    uow.respondents.list(poll_id),
                    uow.responses.for_poll(poll_id) if responses else [],
                    uow.respondents.count_refusals(poll_id),
                )
            )
        return ProjectData(project, polls, uow.stories.list(project.id))


def install(services: Any, settings: Any) -> None:
    """Put the exporter where handlers find it (services.exporter)."""
    polls = getattr(settings, "polls", None)
    services.exporter = Exporter(
        services.communes,
        min_group_size=getattr(polls, "min_group_size", 5) if polls else 5,
        knowledge=services.knowledge,
        retention_months=getattr(polls, "retention_months", None),
    )


def _id(value: Any) -> int:
    """A record id from a job (0, which no record has, when it is not a number)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def today() -> date:
    return datetime.now(timezone.utc).date()
