"""Semester and final reports, per commune or for the whole programme, from the records.

A report shows the outputs of the period, expected against observed effects (indicator table
with progress and status), poll results with charts (baseline against follow-up), stories of
change, unexpected effects, and a section left for recommendations. The final report adds the
project overview and annexes the methods and the tools (questionnaires, logframes).

Every figure comes from `domain.figures` (statuses, progress, favourable shares, the waves a
period is about) and `domain.polls` (comparisons): `project_figures` computes them once per
project, and the summary, the tables and the charts all read that one result, so a summary
count is always the sum of the table it summarises.

Page budget (A4 portrait): semester ≤ 5 pages, final ≤ 10 pages. The programme-wide reports
stay within it by summarising each commune in tables and one story per commune.
"""

from __future__ import annotations

import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal

from domain.commune import Commune
from domain.figures import (
    IndicatorFigure,
    baseline_with_answers,
    choose_waves,
    in_period,
    indicator_figure,
    measured_on,
    semester_bounds,
    semester_of,
    semesters_between,
    share,
)
from domain.polls import (
    Comparison,
    PairedResult,
    Question,
    UnpairedResult,
    compare,
    poll_results,
    questions_of,
)
from domain.learning import commune_learning
from domain.privacy import mask_identifiers
from domain.records import Effect, LessonProgress, Poll, Project, Respondent, Response, Story

from exports.charts import CompareRow, DistributionRow, compare_chart, distribution_chart
from exports.doc import Bullets, Document, Heading, Image, PageBreak, Para, Table, plain
from exports.labels import Labels
from exports.logframe import concerns, logframe_dict, logframe_table

Kind = Literal["semester", "final"]
MAX_PAGES = {"semester": 5, "final": 10}
EFFECT_LEVELS = ("impact", "outcome")  # what the effects table and the summary count


@dataclass
class PollData:
    poll: Poll
    respondents: list[Respondent] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    refusals: int = 0

    @property
    def consenting(self) -> list[Respondent]:
        return [r for r in self.respondents if r.consent]


@dataclass
class ProjectData:
    project: Project
    polls: list[PollData] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)


@dataclass
class CommuneData:
    commune_id: str
    commune: Commune | None = None
    projects: list[ProjectData] = field(default_factory=list)
    learning: list[LessonProgress] | None = None  # its people's learning modules (None: unknown)

    def name(self, lang: str) -> str:
        return self.commune.name(lang) if self.commune else self.commune_id


@dataclass
class ReportInput:
    kind: Kind
    communes: list[CommuneData]
    programme: bool = False  # True: the whole programme; False: one commune
    period: str | None = None  # "2026-S1" (semester reports)
    min_group_size: int = 5
    today: date = field(default_factory=lambda: datetime.now(timezone.utc).date())
    lessons: tuple[str, ...] = ()  # the learning modules' ids (the learning table; () = none)


class PeriodError(ValueError):
    """A semester outside the projects' dates (or after today)."""


# -- periods ------------------------------------------------------------------------------------
def latest_semester_with_data(communes: list[CommuneData], today: date) -> str:
    """The most recent semester (not after today) in which something was measured, polled or
    told; the current semester when there is nothing yet."""
    days: list[date] = []
    for c in communes:
        for pd in c.projects:
            for e in pd.project.effects:
                for i in e.indicators:
                    days += [measured_on(m) for m in i.measurements]
            for p in pd.polls:
                days += [r.consent_at.date() for r in p.consenting]
            days += [s.created_at.date() for s in pd.stories]
    days = [d for d in days if d <= today]
    return semester_of(max(days) if days else today)


def report_semesters(communes: list[CommuneData], today: date) -> list[str]:
    """The semesters a report can be about: those overlapping a project's dates (a project
    without dates: from its creation), not after today's semester; newest first."""
    out: set[str] = set()
    for c in communes:
        for pd in c.projects:
            p = pd.project
            start = p.period_start or p.created_at.date()
            end = min(p.period_end or today, today)
            if start <= end:
                out.update(semesters_between(start, end))
    return sorted(out, reverse=True)


def check_period(communes: list[CommuneData], period: str, today: date) -> None:
    """Refuse a semester no project of the report runs in (or one still to come)."""
    semester_bounds(period)  # the shape (raises ValueError)
    allowed = report_semesters(communes, today)
    if period not in allowed:
        span = f"{allowed[-1]} … {allowed[0]}" if allowed else "—"
        raise PeriodError(f"{period} is outside the projects' dates ({span})")


# -- figures of one project ---------------------------------------------------------------------
@dataclass
class ProjectFigures:
    """Everything a report says about one project in one period, computed once."""

    data: ProjectData
    effects: list[tuple[Effect, list[IndicatorFigure]]]  # expected effects (impact, outcome)
    outputs: list[tuple[Effect, list[IndicatorFigure]]]  # expected outputs
    baseline: PollData | None
    followup: PollData | None
    comparison: Comparison | None
    respondents: int  # people who answered a poll of the project in the period
    stories: list[Story]  # told in the period, contact details masked, best first

    @property
    def project(self) -> Project:
        return self.data.project

    @property
    def indicators(self) -> list[IndicatorFigure]:
        return [f for _, figs in self.effects for f in figs]

    @property
    def n_effects(self) -> int:
        return len(self.effects)

    @property
    def n_measured(self) -> int:
        return sum(1 for f in self.indicators if f.measured)

    @property
    def n_good(self) -> int:
        return sum(1 for f in self.indicators if f.good)

    @property
    def analysed(self) -> PollData | None:
        return self.followup or self.baseline


def project_figures(pd: ProjectData, period: str | None, today: date) -> ProjectFigures:
    p = pd.project
    expected = [e for e in p.effects if e.expected]

    def figs(levels: tuple[str, ...]) -> list[tuple[Effect, list[IndicatorFigure]]]:
        return [
            (e, [indicator_figure(i, p, period, today) for i in e.indicators])
            for e in expected
            if e.level in levels
        ]

    waves = choose_waves([(pl, pl.poll, pl.respondents) for pl in pd.polls], period)
    b, f = waves.baseline, waves.followup
    comparison = None
    if b is not None and f is not None:
        comparison = compare(b.poll, b.consenting, b.responses, f.poll, f.consenting, f.responses)
    respondents = sum(1 for pl in pd.polls for r in pl.consenting if in_period(r.consent_at, period))
    stories = [
        s.model_copy(
            update={
                "text": mask_identifiers(s.text),
                "significance_reason": mask_identifiers(s.significance_reason),
            }
        )
        for s in pd.stories
        if s.text and in_period(s.created_at, period)
    ]
    stories.sort(key=lambda s: (not s.significant, -s.created_at.timestamp()))
    return ProjectFigures(pd, figs(EFFECT_LEVELS), figs(("output",)), b, f, comparison, respondents, stories)


@dataclass(frozen=True)
class ComparisonLine:
    """One question of a follow-up against its baseline, as every reader sees it: a share is
    None (not shown) when fewer than the minimum answered that wave; `pairs` is None when fewer
    than the minimum answered both (the same people)."""

    question: Question
    label: str
    result: UnpairedResult
    pairs: PairedResult | None
    share_baseline: float | None
    share_followup: float | None

    @property
    def shown_n_baseline(self) -> int:
        return self.result.n_baseline if self.share_baseline is not None else 0

    @property
    def shown_n_followup(self) -> int:
        return self.result.n_followup if self.share_followup is not None else 0


def comparison_lines(f: ProjectFigures, lang: str, minimum: int) -> list[ComparisonLine]:
    """The questions of a comparison that may be shown (the larger wave has at least `minimum`
    answers), small groups suppressed: what the reports chart and tabulate, and the dashboard."""
    if f.comparison is None or f.followup is None:
        return []
    qs = {q.id: q for q in questions_of(f.followup.poll)}
    paired = {p.id: p for p in f.comparison.paired}
    out = []
    for u in f.comparison.unpaired:
        if max(u.n_baseline, u.n_followup) < minimum or u.id not in qs:
            continue
        pr = paired.get(u.id)
        out.append(
            ComparisonLine(
                question=qs[u.id],
                label=qs[u.id].short_in(lang),
                result=u,
                pairs=pr if pr is not None and pr.n_pairs >= minimum else None,
                share_baseline=share(u.favourable_baseline, u.n_baseline)
                if u.n_baseline >= minimum
                else None,
                share_followup=share(u.favourable_followup, u.n_followup)
                if u.n_followup >= minimum
                else None,
            )
        )
    return out


@dataclass(frozen=True)
class Distribution:
    """The answers to one five-point question of a poll (only when at least the minimum
    answered it): counts in option order, the options' labels."""

    question: Question
    label: str
    counts: list[int]
    n: int
    legend: list[str]


def distributions(pl: PollData, lang: str, minimum: int) -> list[Distribution]:
    res = poll_results(pl.poll, pl.consenting, pl.responses, min_group_size=minimum)
    qs = {q.id: q for q in questions_of(pl.poll)}
    out = []
    for r in res.questions:
        q: Question | None = qs.get(r.id)
        if q is None or q.kind != "scale5" or r.n < minimum:
            continue
        out.append(
            Distribution(
                q,
                q.short_in(lang),
                list(r.distribution.values()),
                r.n,
                [o.label.get(lang) or o.label["fr"] for o in q.options],
            )
        )
    return out


def focus_figures(pd: ProjectData, poll_id: int, today: date) -> ProjectFigures | None:
    """A project's figures about one of its polls (over the whole project): a baseline on its
    own; a follow-up against its own baseline (`domain.figures.baseline_of`, the bot's rule too),
    whether or not it is the follow-up the project's figures analyse. None when the poll is not
    the project's."""
    f = project_figures(pd, None, today)
    chosen = next((p for p in pd.polls if p.poll.id == poll_id), None)
    if chosen is None:
        return None
    if chosen.poll.wave == "baseline":
        f.baseline, f.followup, f.comparison = chosen, None, None
    elif chosen is not f.followup:
        base = baseline_with_answers(chosen.poll, [(pl, pl.poll, pl.respondents) for pl in pd.polls])
        f.baseline, f.followup = base, chosen
        f.comparison = (
            compare(
                base.poll, base.consenting, base.responses, chosen.poll, chosen.consenting, chosen.responses
            )
            if base
            else None
        )
    return f


def _same_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# -- the builder ----------------------------------------------------------------------------------
class ReportBuilder:
    def __init__(self, data: ReportInput, lang: str, workdir: Path, chart_file: Path | None = None):
        self.data = data
        self.chart_file = chart_file  # one chart, written there (poll_chart)
        self.L = Labels(lang)
        self.lang = self.L.lang
        self.workdir = workdir
        self.final = data.kind == "final"
        self.period = (
            None if self.final else (data.period or latest_semester_with_data(data.communes, data.today))
        )
        self.n_charts = 0
        self.figures = {
            id(pd): project_figures(pd, self.period, data.today) for c in data.communes for pd in c.projects
        }
        self.quoted: set[str] = set()  # stories already quoted (never the same one twice)

    def t(self, key: str, **kw) -> str:
        return self.L.t(key, **kw)

    def chart_percent(self, value: float) -> str:
        return plain(self.L.percent(value))

    def chart_n(self, n: int) -> str:
        return plain(self.t("report.n", n=self.L.number(n)))

    def fig(self, pd: ProjectData) -> ProjectFigures:
        return self.figures[id(pd)]

    def chart_path(self) -> Path:
        if self.chart_file is not None:
            return self.chart_file
        self.n_charts += 1
        return self.workdir / f"chart-{self.n_charts:02d}.png"

    def build(self) -> Document:
        title = self.t("report.final_title" if self.final else "report.semester_title")
        scope = (
            self.t("doc.all_communes")
            if self.data.programme
            else ", ".join(c.name(self.lang) for c in self.data.communes)
        )
        doc = Document(title=f"{title} — {scope}", lang=self.lang, subtitle=self.t("doc.programme"))
        doc.meta[self.t("report.scope")] = scope
        doc.meta[self.t("doc.period")] = (
            self.L.period(self.period) if self.period else self.t("report.whole_period")
        )
        doc.meta[self.t("doc.generated")] = self.L.date(self.data.today)
        self.summary(doc)
        if self.data.programme:
            self.programme_body(doc)
        else:
            for c in self.data.communes:
                for pd in c.projects:
                    self.project_section(doc, pd)
        self.learning_block(doc)
        doc.add(
            Heading(self.t("report.recommendations"), 1),
            Para(self.t("report.recommendations_hint"), style="placeholder"),
        )
        if self.final:
            self.annexes(doc)
        return doc

    def all_figures(self) -> list[ProjectFigures]:
        return [self.fig(pd) for c in self.data.communes for pd in c.projects]

    def summary(self, doc: Document) -> None:
        figs = self.all_figures()
        n_ind = sum(len(f.indicators) for f in figs)
        doc.add(
            Heading(self.t("report.summary"), 1),
            Para(
                self.t(
                    "report.summary_line",
                    projects=self.t("count.projects", n=len(figs)),
                    effects=self.t("count.effects", n=sum(f.n_effects for f in figs)),
                    indicators=self.t("count.indicators", n=n_ind),
                    respondents=self.t("count.respondents", n=sum(f.respondents for f in figs)),
                    stories=self.t("count.stories", n=sum(len(f.stories) for f in figs)),
                )
            ),
            Para(
                self.t(
                    "report.summary_progress",
                    measured=self.t(
                        "count.measured", n=sum(f.n_measured for f in figs), total=self.L.number(n_ind)
                    ),
                    good=self.t("count.good", n=sum(f.n_good for f in figs)),
                )
            ),
        )

    def learning_block(self, doc: Document) -> None:
        """The programme's own capacity indicator: learning modules completed per commune in the
        period, and how many of them right at the first try (domain/learning.py)."""
        from exports.learning import learning_table

        known = [c for c in self.data.communes if c.learning is not None]
        if not known or not self.data.lessons:
            return
        figures = [
            commune_learning(c.commune_id, c.learning or [], self.data.lessons, self.period) for c in known
        ]
        names = {c.commune_id: c.name(self.lang) for c in known}
        doc.add(
            Heading(self.t("learning.report_title"), 1),
            learning_table(figures, names, self.L, len(self.data.lessons)),
            Para(
                self.t("learning.report_note_final" if self.final else "learning.report_note"), style="note"
            ),
        )

    # -- one project (commune reports) -------------------------------------------------------------
    def project_section(self, doc: Document, pd: ProjectData) -> None:
        f = self.fig(pd)
        p = pd.project
        doc.add(Heading(self.t("report.project", title=p.title), 1))
        if self.final:
            self.overview(doc, p)
        doc.add(Heading(self.t("report.outputs_all" if self.final else "report.outputs"), 2))
        self.outputs_block(doc, f)
        doc.add(Heading(self.t("report.effects"), 2))
        doc.add(self.indicator_table([(None, f)]), Para(self.t("report.progress_note"), style="note"))
        doc.add(Heading(self.t("report.polls"), 2))
        self.poll_block(doc, f)
        doc.add(Heading(self.t("report.stories"), 2))
        self.stories_block(doc, f.stories, limit=4 if self.final else 2)
        doc.add(Heading(self.t("report.unexpected"), 2))
        unexpected = [e for e in p.effects if not e.expected]
        if unexpected:
            doc.add(Bullets([self.unexpected_line(e) for e in unexpected]))
        else:
            doc.add(Para(self.t("report.no_unexpected"), style="note"))

    def overview(self, doc: Document, p: Project) -> None:
        doc.add(Heading(self.t("report.overview"), 2))
        if p.problem:
            doc.add(Para(self.t("report.problem", text=p.problem)))
        if p.publics:
            doc.add(
                Para(
                    self.t(
                        "report.publics",
                        items=self.t("report.list_sep").join(
                            self.t(
                                "report.public_n",
                                name=self.L.opt("public", x.category),
                                n=self.L.number(x.expected_number),
                            )
                            if x.expected_number
                            else self.L.opt("public", x.category)
                            for x in p.publics
                        ),
                    )
                )
            )
        if p.stakeholders:
            doc.add(
                Para(
                    self.t(
                        "report.parties",
                        items=self.t("report.list_sep").join(
                            self.L.opt("party", s.group) for s in p.stakeholders
                        ),
                    )
                )
            )
        if p.activities:
            doc.add(Para(self.t("report.activities_planned")), Bullets(list(p.activities)))

    def unexpected_line(self, e: Effect) -> str:
        who = concerns({"party": e.party, "public": e.public}, self.L)
        pol = self.L.opt("polarity", e.polarity)
        return self.t(
            "report.unexpected_line_who" if who else "report.unexpected_line",
            statement=e.statement,
            polarity=pol,
            who=who,
        )

    def value_cell(self, fig: IndicatorFigure) -> str:
        unit = fig.indicator.unit
        if fig.measurement is None:
            return ""
        value = self.L.number(fig.value, unit)
        if fig.carried:  # a value from an earlier period says which
            return self.t("report.value_of", value=value, period=self.L.period(fig.measurement.period))
        return value

    def target_cell(self, fig: IndicatorFigure) -> str:
        ind = fig.indicator
        if ind.target_value is None:
            return ""
        value = self.L.number(ind.target_value, ind.unit)
        return (
            self.t("report.value_by", value=value, date=self.L.date(fig.deadline)) if fig.deadline else value
        )

    def indicator_table(self, projects: list[tuple[str | None, ProjectFigures]]) -> Table:
        """One row per indicator of an expected effect (impact, outcome). A programme table
        names the commune instead of repeating the effect statement and leaves out effects
        without an indicator."""
        L = self.L
        programme = any(c for c, _ in projects)
        cols = [
            "col_effect",
            "col_indicator",
            "col_baseline",
            "col_target",
            "col_final" if self.final else "col_value",
            "col_progress",
            "col_status",
        ]
        widths = [2.8, 2.9, 1.1, 1.9, 1.9, 1.0, 1.5]
        if programme:
            cols[0], widths[0] = "col_commune", 1.5
            widths[1] = 4.2
        rows = []
        for commune, f in projects:
            first_of_commune = True
            for e, figs in f.effects:
                if programme and not figs:
                    continue
                for k, fig in enumerate(figs or [None]):  # type: ignore[list-item]
                    lead = (
                        (commune if first_of_commune else "")
                        if programme
                        else (e.statement if k == 0 else "")
                    )
                    first_of_commune = False
                    if fig is None:
                        rows.append([lead, self.t("logframe.no_indicator"), "", "", "", "", ""])
                        continue
                    ind = fig.indicator
                    base = (
                        L.number(ind.baseline_value, ind.unit)
                        if ind.baseline_value is not None
                        else self.t("report.baseline_missing")
                    )
                    rows.append(
                        [
                            lead,
                            ind.label,
                            base,
                            self.target_cell(fig),
                            self.value_cell(fig),
                            L.percent(fig.progress),
                            self.t(f"report.status_{fig.status}"),
                        ]
                    )
        return Table(
            headers=[self.t(f"report.{c}") for c in cols],
            rows=rows,
            widths=widths,
            compact=programme,
            numeric={2, 4, 5},
        )

    def outputs_block(self, doc: Document, f: ProjectFigures) -> None:
        """The outputs measured in the period (a semester) or over the project (final)."""
        rows = []
        for e, figs in f.outputs:
            for k, fig in enumerate(figs):
                if fig.measurement is None or (fig.carried and not self.final):
                    continue
                rows.append(
                    [
                        e.statement if k == 0 or not rows or rows[-1][0] != e.statement else "",
                        fig.indicator.label,
                        self.value_cell(fig),
                        self.target_cell(fig),
                        self.t(f"report.status_{fig.status}"),
                    ]
                )
        if not rows:
            doc.add(Para(self.t("report.no_output"), style="note"))
            return
        doc.add(
            Table(
                headers=[
                    self.t(f"report.{c}")
                    for c in (
                        "col_output",
                        "col_indicator",
                        "col_final" if self.final else "col_value",
                        "col_target",
                        "col_status",
                    )
                ],
                rows=rows,
                widths=[3.4, 3.8, 1.6, 1.8, 1.5],
                numeric={2},
            )
        )

    # -- polls -------------------------------------------------------------------------------------
    def wave_line(self, pl: PollData) -> str:
        return self.t(
            "report.poll_line",
            wave=self.t(f"wave.{pl.poll.wave}"),
            date=self.L.date(pl.poll.created_at),
            answered=self.t("count.answered", n=len(pl.consenting)),
        )

    def poll_block(self, doc: Document, f: ProjectFigures) -> None:
        if f.analysed is None:
            doc.add(
                Para(self.t("report.no_poll" if not f.data.polls else "report.no_poll_period"), style="note")
            )
            return
        doc.add(Bullets([self.wave_line(pl) for pl in (f.baseline, f.followup) if pl is not None]))
        minimum = self.data.min_group_size
        if f.comparison is None:
            self.distribution(doc, f.analysed)
            return
        lines = comparison_lines(f, self.lang, minimum)
        if not lines:
            doc.add(Para(self.t("report.small_group", min=minimum), style="note"))
            return
        rows = [
            CompareRow(
                label=x.label,
                baseline=x.share_baseline,
                followup=x.share_followup,
                n_baseline=x.shown_n_baseline,
                n_followup=x.shown_n_followup,
            )
            for x in lines
        ]
        path = compare_chart(
            self.chart_path(),
            rows,
            self.t("report.chart_compare"),
            (self.t("report.baseline"), self.t("report.followup")),
            rtl=self.L.rtl,
            value_format=self.chart_percent,
            n_format=self.chart_n,
        )
        doc.add(Image(path, width_cm=13.5 if self.final else 12.5))
        table_rows = []
        for x in lines:
            u, pr = x.result, x.pairs
            table_rows.append(
                [
                    x.label,
                    self.t(
                        "report.of",
                        part=self.L.number(u.favourable_baseline),
                        whole=self.L.number(u.n_baseline),
                    )
                    if x.share_baseline is not None
                    else "—",
                    self.t(
                        "report.of",
                        part=self.L.number(u.favourable_followup),
                        whole=self.L.number(u.n_followup),
                    )
                    if x.share_followup is not None
                    else "—",
                    *(
                        [
                            self.L.number(pr.n_pairs),
                            self.L.number(pr.improved),
                            self.L.number(pr.same),
                            self.L.number(pr.worse),
                            self.p_value(pr.sign_p),
                        ]
                        if pr
                        else ["—"] * 5
                    ),
                ]
            )
        doc.add(
            Table(
                headers=[
                    self.t(f"report.{c}")
                    for c in (
                        "col_question",
                        "col_fav_baseline",
                        "col_fav_followup",
                        "col_pairs",
                        "col_improved",
                        "col_same",
                        "col_worse",
                        "col_p",
                    )
                ],
                rows=table_rows,
                widths=[4, 1.5, 1.5, 1.2, 1, 1, 1, 1.2],
                numeric={1, 2, 3, 4, 5, 6, 7},
            ),
            Para(self.t("report.paired_note"), style="note"),
        )

    def p_value(self, p: float | None) -> str:
        if p is None:
            return "—"
        return "<" + self.L.decimal(0.001, 3) if p < 0.001 else self.L.decimal(p, 3)

    def distribution_rows(self, pl: PollData) -> tuple[list[DistributionRow], list[str]]:
        """One stacked bar per five-point question of a poll (empty when too few answered)."""
        dists = distributions(pl, self.lang, self.data.min_group_size)
        return ([DistributionRow(d.label, d.counts, d.n) for d in dists], dists[0].legend if dists else [])

    def distribution(self, doc: Document, pl: PollData) -> None:
        rows, legend = self.distribution_rows(pl)
        if not rows:
            doc.add(Para(self.t("report.small_group", min=self.data.min_group_size), style="note"))
            return
        doc.add(
            Image(
                distribution_chart(
                    self.chart_path(),
                    rows,
                    self.t("report.chart_distribution"),
                    legend,
                    rtl=self.L.rtl,
                    n_format=self.chart_n,
                ),
                width_cm=12.5,
            )
        )

    # -- stories -----------------------------------------------------------------------------------
    def quote(self, s: Story) -> str | None:
        """The story as a quotation, unless the report already quoted the same words."""
        key = _same_text(s.text or "")
        if key in self.quoted:
            return None
        self.quoted.add(key)
        return self.t("report.quote", text=s.text)

    def stories_block(self, doc: Document, stories: list[Story], limit: int) -> None:
        shown = 0
        for s in stories:
            if shown == limit:
                break
            q = self.quote(s)
            if q is None:
                continue
            shown += 1
            doc.add(Para(q))
            if s.significant and s.significance_reason:
                doc.add(Para(self.t("report.story_significant", reason=s.significance_reason), style="note"))
        if not shown:
            doc.add(Para(self.t("report.no_story"), style="note"))

    # -- programme ---------------------------------------------------------------------------------
    def programme_body(self, doc: Document) -> None:
        L = self.L
        rows = []
        for c in self.data.communes:
            for pd in c.projects:
                f = self.fig(pd)
                rows.append(
                    [
                        c.name(self.lang),
                        pd.project.title,
                        L.number(f.n_effects),
                        self.t("report.of", part=L.number(f.n_good), whole=L.number(len(f.indicators))),
                        L.number(f.respondents),
                        L.number(len(f.stories)),
                    ]
                )
        doc.add(
            Heading(self.t("report.programme_table"), 1),
            Table(
                headers=[
                    self.t(f"report.{k}")
                    for k in (
                        "col_commune",
                        "col_project",
                        "col_effects",
                        "col_on_track",
                        "col_respondents",
                        "col_stories",
                    )
                ],
                rows=rows,
                widths=[1.6, 3.6, 0.9, 1.3, 1.0, 1.0],
                numeric={2, 3, 4, 5},
            ),
        )
        doc.add(Heading(self.t("report.effects"), 1))
        doc.add(
            self.indicator_table(
                [(c.name(self.lang), self.fig(pd)) for c in self.data.communes for pd in c.projects]
            ),
            Para(self.t("report.progress_note"), style="note"),
        )
        self.programme_chart(doc)
        doc.add(Heading(self.t("report.highlights"), 1))
        for c in self.data.communes:
            stories = sorted(
                (s for pd in c.projects for s in self.fig(pd).stories),
                key=lambda s: (not s.significant, -s.created_at.timestamp()),
            )
            for s in stories:
                q = self.quote(s)
                if q is not None:
                    doc.add(Para(self.t("report.commune_quote", commune=c.name(self.lang), quote=q)))
                    break
        unexpected = [
            (c, e)
            for c in self.data.communes
            for pd in c.projects
            for e in pd.project.effects
            if not e.expected
        ]
        doc.add(Heading(self.t("report.unexpected"), 1))
        if unexpected:
            doc.add(
                Bullets(
                    [
                        self.t("report.commune_line", commune=c.name(self.lang), text=self.unexpected_line(e))
                        for c, e in unexpected
                    ]
                )
            )
        else:
            doc.add(Para(self.t("report.no_unexpected"), style="note"))

    def programme_chart(self, doc: Document) -> None:
        """Share of favourable answers per commune (every ordinal question of the waves each
        project's figures chose for the period)."""
        minimum = self.data.min_group_size
        rows = []
        for c in self.data.communes:
            fb = ff = (0, 0)
            for pd in c.projects:
                f = self.fig(pd)
                if f.comparison is not None:
                    for u in f.comparison.unpaired:
                        fb = (fb[0] + u.favourable_baseline, fb[1] + u.n_baseline)
                        ff = (ff[0] + u.favourable_followup, ff[1] + u.n_followup)
            if fb[1] >= minimum or ff[1] >= minimum:
                rows.append(
                    CompareRow(
                        c.name(self.lang),
                        share(*fb) if fb[1] >= minimum else None,
                        share(*ff) if ff[1] >= minimum else None,
                    )
                )
        if rows:
            doc.add(
                Image(
                    compare_chart(
                        self.chart_path(),
                        rows,
                        self.t("report.chart_programme"),
                        (self.t("report.baseline"), self.t("report.followup")),
                        rtl=self.L.rtl,
                        value_format=self.chart_percent,
                        n_format=self.chart_n,
                    ),
                    width_cm=12.5 if len(rows) < 6 else 14,
                )
            )

    # -- annexes -------------------------------------------------------------------------------------
    def annexes(self, doc: Document) -> None:
        doc.add(PageBreak(), Heading(self.t("report.annex_methods"), 1))
        for k in ("chain", "indicators", "polls", "analysis", "stories", "limits"):
            doc.add(Heading(self.t(f"report.method_{k}_title"), 3), Para(self.t(f"report.method_{k}")))
        doc.add(Heading(self.t("report.annex_tools"), 1))
        seen: set[tuple[str, ...]] = set()
        for f in self.all_figures():
            pl = f.analysed  # the questionnaire the report analysed, not the newest one
            if pl is None:
                continue
            qs = questions_of(pl.poll)
            key = tuple(q.id for q in qs)
            if key in seen:
                continue
            seen.add(key)
            doc.add(
                Heading(
                    self.t(
                        "report.tools_questionnaire",
                        wave=self.t(f"wave.{pl.poll.wave}"),
                        title=f.project.title,
                    ),
                    3,
                )
            )
            doc.add(
                Bullets(
                    [
                        q.text_in(self.lang)
                        + (
                            " — " + " / ".join(o.label.get(self.lang) or o.label["fr"] for o in q.options)
                            if q.options and len(q.options) <= 5
                            else ""
                        )
                        for q in qs
                    ]
                )
            )
        if not self.data.programme:
            for f in self.all_figures():
                doc.add(Heading(self.t("report.tools_logframe", title=f.project.title), 3))
                t = logframe_table(logframe_dict(f.project), self.L)
                # the summary keeps logic, indicator, baseline, target, latest value
                doc.add(
                    Table(
                        headers=t.headers[:5],
                        rows=[r[:5] for r in t.rows],
                        widths=[3.2, 3.0, 1.5, 1.5, 1.5],
                        group_rows=t.group_rows,
                    )
                )


def build_report(data: ReportInput, lang: str, workdir: Path) -> Document:
    return ReportBuilder(data, lang, workdir).build()


REPORT_FORMATS = ("docx", "odt", "pdf", "md")


def export_report(data: ReportInput, fmt: str, lang: str, path: str | Path) -> Path:
    from exports.writers import write

    if fmt not in REPORT_FORMATS:
        raise ValueError(f"report format {fmt!r} is not one of {', '.join(REPORT_FORMATS)}")
    workdir = Path(tempfile.mkdtemp(prefix="athar-report-"))
    try:
        return write(build_report(data, lang, workdir), fmt, path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def poll_chart(
    pd: ProjectData, lang: str, path: Path, min_group_size: int = 5, focus: int | None = None
) -> Path | None:
    """The chart of a project's polls as one PNG: a follow-up against its baseline, else the
    distribution of the answers of the (focus) poll. None when groups are too small."""
    data = ReportInput(kind="final", communes=[], min_group_size=min_group_size)
    builder = ReportBuilder(data, lang, path.parent, chart_file=path)
    f = project_figures(pd, None, data.today) if focus is None else focus_figures(pd, focus, data.today)
    if f is None:
        return None
    doc = Document(title="", lang=builder.lang)
    if f.comparison is not None:
        builder.poll_block(doc, f)
    elif f.analysed is not None:
        builder.distribution(doc, f.analysed)
    return path if any(isinstance(b, Image) for b in doc.blocks) else None
