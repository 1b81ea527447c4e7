"""What each dashboard page shows, read through the ports and computed by the reports' code.

Every figure comes from `exports.reports` (`project_figures`, `comparison_lines`,
`distributions`, `focus_figures`), which call `domain.figures` and `domain.polls`: the dashboard
never counts on its own, so a page and a report of the same day say the same thing, and poll
answers are suppressed exactly as in the exports (`polls.min_group_size`). Templates only lay
these values out.

Who sees what: coordinators and admins every commune; officials and staff their own commune's
pages (`domain.records.User.can_see_commune`). A page the viewer may not see raises `Forbidden`;
one that does not exist raises `NotFound`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.access import sees_everything
from domain.figures import STATUS_GROUPS, IndicatorFigure
from domain.learning import CommuneLearning, commune_learning
from domain.privacy import mask_identifiers
from domain.records import Effect, Indicator, Measurement, Project, Stakeholder, Story, User

from exports.reports import (
    ComparisonLine,
    Distribution,
    PollData,
    ProjectData,
    ProjectFigures,
    comparison_lines,
    distributions,
    focus_figures,
    project_figures,
    report_semesters,
)


class Forbidden(Exception):
    """The viewer may not see this page."""


class NotFound(Exception):
    """No such commune, project or poll."""


@dataclass
class Counts:
    """Counts of one project, commune or the whole programme (the overview's columns)."""

    projects: int = 0
    effects: int = 0
    indicators: int = 0
    good: int = 0
    late: int = 0
    unmeasured: int = 0
    unjudged: int = 0
    polls: int = 0
    answers: int = 0
    stories: int = 0

    def add(self, other: "Counts") -> None:
        for k in self.__dataclass_fields__:
            setattr(self, k, getattr(self, k) + getattr(other, k))


def counts_of(f: ProjectFigures) -> Counts:
    groups = {g: 0 for g in STATUS_GROUPS}
    for fig in f.indicators:
        groups[fig.group] += 1
    return Counts(
        projects=1,
        effects=f.n_effects,
        indicators=len(f.indicators),
        polls=len(f.data.polls),
        answers=f.respondents,
        stories=len(f.stories),
        **groups,
    )


@dataclass
class CommuneRow:
    commune_id: str
    name: str
    counts: Counts
    learning: CommuneLearning | None


@dataclass
class Overview:
    rows: list[CommuneRow]
    total: Counts
    learning_total: tuple[int, int]  # completions, people who completed a module
    semesters: list[str]  # a semester report can be about these, newest first


@dataclass
class ProjectRow:
    project: Project
    counts: Counts


@dataclass
class CommunePage:
    commune_id: str
    name: str
    projects: list[ProjectRow]
    total: Counts
    learning: CommuneLearning | None
    semesters: list[str]  # a semester report can be about these, newest first


@dataclass
class IndicatorView:
    effect: Effect
    figure: IndicatorFigure
    measurements: list[Measurement]  # in the order they count (oldest first)

    @property
    def indicator(self) -> Indicator:
        return self.figure.indicator


@dataclass
class PollRow:
    poll_id: int
    wave: str
    title: str
    created: date
    answered: int
    is_open: bool


@dataclass
class ProjectPage:
    project: Project
    commune_name: str
    impacts: list[Effect]
    outcomes: list[Effect]
    outputs: list[Effect]
    stakeholders: list[Stakeholder]
    indicators: list[IndicatorView]
    unexpected: list[Effect]
    stories: list[Story]  # contact details masked
    polls: list[PollRow]
    counts: Counts


@dataclass
class PollPage:
    project: Project
    commune_name: str
    poll: PollRow
    baseline: PollRow | None  # the baseline a follow-up is compared with
    lines: list[ComparisonLine]
    distributions: list[Distribution]
    compared: bool  # a follow-up with a baseline


@dataclass
class Dashboard:
    """The pages, from a unit of work and the exporter's loaders (bot.services.exports.Exporter)."""

    exporter: Any
    today: date
    lang: str = "fr"
    lesson_ids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def minimum(self) -> int:
        return self.exporter.min_group_size

    def commune_name(self, commune_id: str | None) -> str:
        c = self.exporter.commune(commune_id)
        return c.name(self.lang) if c else (commune_id or "")

    def _learning(self, c: Any) -> CommuneLearning | None:
        if c.learning is None or not self.lesson_ids:
            return None
        return commune_learning(c.commune_id, c.learning, self.lesson_ids, None)

    # -- pages ---------------------------------------------------------------------------------
    def overview(self, uow: Any, viewer: User) -> Overview:
        if not sees_everything(viewer):
            raise Forbidden("the programme overview is for coordinators")
        rows, total = [], Counts()
        done = people = 0
        # counts only (statuses, people who answered): the polls' answers are not read
        communes = self.exporter.scope_data(uow, True, None, responses=False)
        for c in communes:
            counts = Counts()
            for pd in c.projects:
                counts.add(counts_of(project_figures(pd, None, self.today)))
            learning = self._learning(c)
            if learning is not None:
                done, people = done + learning.completed, people + learning.people
            rows.append(CommuneRow(c.commune_id, c.name(self.lang), counts, learning))
            total.add(counts)
        return Overview(rows, total, (done, people), report_semesters(communes, self.today))

    def commune(self, uow: Any, viewer: User, commune_id: str) -> CommunePage:
        if self.exporter.commune(commune_id) is None:
            raise NotFound(commune_id)
        if not viewer.can_see_commune(commune_id):
            raise Forbidden(commune_id)
        (c,) = self.exporter.scope_data(uow, False, commune_id, responses=False)
        rows, total = [], Counts()
        for pd in c.projects:
            counts = counts_of(project_figures(pd, None, self.today))
            rows.append(ProjectRow(pd.project, counts))
            total.add(counts)
        return CommunePage(
            commune_id, c.name(self.lang), rows, total, self._learning(c), report_semesters([c], self.today)
        )

    def _project_data(self, uow: Any, viewer: User, project_id: int, responses: bool = True) -> ProjectData:
        project = uow.projects.get(project_id)
        if project is None:
            raise NotFound(project_id)
        if not viewer.can_see_commune(project.commune_id):
            raise Forbidden(project_id)
        return self.exporter.project_data(uow, project, responses)

    def project(self, uow: Any, viewer: User, project_id: int) -> ProjectPage:
        # the poll results are on the polls' pages: their answers are not read here
        pd = self._project_data(uow, viewer, project_id, responses=False)
        p = pd.project
        f = project_figures(pd, None, self.today)
        by_effect = {id(e): figs for e, figs in f.effects + f.outputs}
        indicators = []
        for e in p.effects:
            for fig in by_effect.get(id(e), []):
                ms = sorted(
                    (m for m in fig.indicator.measurements),
                    key=lambda m: (m.baseline is False, _measured(m), m.recorded_at),
                )
                indicators.append(IndicatorView(e, fig, ms))
        expected = [e for e in p.effects if e.expected]
        return ProjectPage(
            project=p.model_copy(update={"problem": mask_identifiers(p.problem)}),
            commune_name=self.commune_name(p.commune_id),
            impacts=[e for e in expected if e.level == "impact"],
            outcomes=[e for e in expected if e.level == "outcome"],
            outputs=[e for e in expected if e.level == "output"],
            stakeholders=list(p.stakeholders),
            indicators=indicators,
            unexpected=[e for e in p.effects if not e.expected],
            stories=f.stories,
            polls=[poll_row(pl) for pl in sorted(pd.polls, key=lambda x: x.poll.created_at)],
            counts=counts_of(f),
        )

    def poll(self, uow: Any, viewer: User, poll_id: int) -> PollPage:
        poll = uow.polls.get(poll_id)
        if poll is None:
            raise NotFound(poll_id)
        pd = self._project_data(uow, viewer, poll.project_id)
        f = focus_figures(pd, poll_id, self.today)
        if f is None:  # pragma: no cover - the poll is the project's
            raise NotFound(poll_id)
        chosen = f.followup if f.followup is not None else f.baseline
        assert chosen is not None
        lines = comparison_lines(f, self.lang, self.minimum)
        return PollPage(
            project=pd.project,
            commune_name=self.commune_name(pd.project.commune_id),
            poll=poll_row(chosen),
            baseline=poll_row(f.baseline) if f.comparison and f.baseline is not None else None,
            lines=lines,
            distributions=distributions(chosen, self.lang, self.minimum),
            compared=f.comparison is not None,
        )


def poll_row(pl: PollData) -> PollRow:
    return PollRow(
        poll_id=pl.poll.id or 0,
        wave=pl.poll.wave,
        title=pl.poll.title or "",
        created=pl.poll.created_at.date(),
        answered=len(pl.consenting),
        is_open=pl.poll.is_open,
    )


def _measured(m: Measurement) -> date:
    from domain.figures import measured_on

    return measured_on(m)
