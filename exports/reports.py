"""Semester and final reports, per commune or for the whole programme, from the records.

A report shows the activities of the period, expected against observed effects (indicator table
with progress), poll results with charts (baseline against follow-up), stories of change,
unexpected effects, and a section left for recommendations. The final report adds the project
overview and annexes the methods and the tools (questionnaires, logframes).

Page budget (A4 portrait): semester ≤ 5 pages, final ≤ 10 pages. The programme-wide reports
stay within it by summarising each commune in tables and one story per commune.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal

from domain.commune import Commune
from domain.polls import sign_test
from domain.records import Effect, Indicator, Measurement, Poll, Project, Respondent, Response, Story

from exports.charts import CompareRow, DistributionRow, compare_chart, distribution_chart
from exports.doc import Bullets, Document, Heading, Image, PageBreak, Para, Table
from exports.labels import Labels
from exports.logframe import concerns, logframe_dict, logframe_table
from domain.polls import asked_ids
from exports.poll_results import is_select_one, olabel, options, ovalue, qid, qkind, qlabel

Kind = Literal["semester", "final"]
MAX_PAGES = {"semester": 5, "final": 10}


@dataclass
class PollData:
    poll: Poll
    respondents: list[Respondent] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    refusals: int = 0


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


# -- periods ------------------------------------------------------------------------------------
def semester_bounds(period: str) -> tuple[date, date]:
    year, half = period.split("-S")
    y = int(year)
    return (date(y, 1, 1), date(y, 6, 30)) if half == "1" else (date(y, 7, 1), date(y, 12, 31))


def semester_of(d: date) -> str:
    return f"{d.year}-S{1 if d.month <= 6 else 2}"


def latest_semester_with_data(communes: list[CommuneData], today: date) -> str:
    """The most recent semester (not after today) in which something was measured, polled or
    told; the current semester when there is nothing yet."""
    days: list[date] = []
    for c in communes:
        for pd in c.projects:
            for e in pd.project.effects:
                for i in e.indicators:
                    days += [m.recorded_at.date() for m in i.measurements]
            for p in pd.polls:
                days += [r.consent_at.date() for r in p.respondents]
            days += [s.created_at.date() for s in pd.stories]
    days = [d for d in days if d <= today]
    return semester_of(max(days) if days else today)


def period_label(period: str | None, L: Labels) -> str:
    if not period:
        return L.t("report.whole_period")
    year, half = period.split("-S")
    return L.t(f"report.s{half}", year=year)


def in_period(when: datetime | date, period: str | None) -> bool:
    if period is None:
        return True
    start, end = semester_bounds(period)
    d = when.date() if isinstance(when, datetime) else when
    return start <= d <= end


# -- indicators -----------------------------------------------------------------------------------
def value_for(ind: Indicator, period: str | None) -> Measurement | None:
    """The last measurement of the period (a semester report), or the last one (final report)."""
    ms = [m for m in ind.measurements if period is None or m.period == period
          or in_period(m.recorded_at, period)]
    if not ms:
        return None
    return sorted(enumerate(ms), key=lambda im: (im[1].recorded_at, im[0]))[-1][1]


def progress(ind: Indicator, value: float | None) -> float | None:
    if value is None or ind.target_value is None:
        return None
    base = ind.baseline_value if ind.baseline_value is not None else 0.0
    if ind.target_value == base:
        return 100.0 if value == base else None
    return 100.0 * (value - base) / (ind.target_value - base)


def status(ind: Indicator, value: float | None, project: Project, at: date) -> str:
    if value is None:
        return "no_data"
    p = progress(ind, value)
    if p is None:
        return "no_target"
    if p >= 100:
        return "achieved"
    if p < 0:
        return "worse"
    expected = 50.0
    if project.period_start and project.period_end and project.period_end > project.period_start:
        span = (project.period_end - project.period_start).days
        expected = 100.0 * max(0, min(span, (at - project.period_start).days)) / span
    return "on_track" if p >= 0.8 * expected else "behind"


# -- polls ----------------------------------------------------------------------------------------
FAVOURABLE = {"scale5": lambda v: _int(v) is not None and _int(v) >= 4,
              "yes_no": lambda v: v == "yes",
              "wg4": lambda v: _int(v) is not None and _int(v) <= 2}


def _int(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def answers_of(pd: PollData) -> dict[str, dict[str, Any]]:
    """Answers by pseudonym, for consenting respondents (without answers to questions the skip
    logic passed over)."""
    ids = {r.id: r.pseudonym for r in pd.respondents if r.consent}
    out: dict[str, dict[str, Any]] = {}
    for r in pd.responses:
        if r.respondent_id in ids:
            out.setdefault(ids[r.respondent_id], {})[r.question] = r.value
    for p, a in out.items():
        keep = asked_ids(pd.poll.questions, a)
        out[p] = {k: v for k, v in a.items() if k in keep}
    return out


def favourable(q: dict[str, Any], values: list[Any]) -> tuple[int, int]:
    """(favourable, answered) for an ordinal question."""
    test = FAVOURABLE[qkind(q)]
    answered = [v for v in values if v is not None]
    return sum(1 for v in answered if test(v)), len(answered)


def ordinal_questions(poll: Poll) -> list[dict[str, Any]]:
    return [q for q in poll.questions if qkind(q) in FAVOURABLE]


def pick_waves(polls: list[PollData]) -> tuple[PollData | None, PollData | None]:
    base = [p for p in polls if p.poll.wave == "baseline"]
    follow = [p for p in polls if p.poll.wave == "follow-up"]
    key = lambda p: (p.poll.created_at, p.poll.id or 0)  # noqa: E731
    return (max(base, key=key) if base else None, max(follow, key=key) if follow else None)


@dataclass
class QuestionCompare:
    question: dict[str, Any]
    fav_b: tuple[int, int] | None
    fav_f: tuple[int, int] | None
    pairs: int = 0
    improved: int = 0
    same: int = 0
    worse: int = 0


def compare_waves(b: PollData | None, f: PollData | None) -> list[QuestionCompare]:
    ab = answers_of(b) if b else {}
    af = answers_of(f) if f else {}
    ref = (f or b)
    if ref is None:
        return []
    bq = {qid(q): q for q in ordinal_questions(b.poll)} if b else {}
    out = []
    for q in ordinal_questions(ref.poll):
        i = qid(q)
        fav_b = favourable(q, [a.get(i) for a in ab.values()]) if b and i in bq else None
        fav_f = favourable(q, [a.get(i) for a in af.values()]) if f else None
        qc = QuestionCompare(q, fav_b, fav_f)
        if b and f and i in bq:
            sign = -1 if qkind(q) == "wg4" else 1
            for p in set(ab) & set(af):
                vb, vf = _score(q, ab[p].get(i)), _score(q, af[p].get(i))
                if vb is None or vf is None:
                    continue
                qc.pairs += 1
                d = (vf - vb) * sign
                qc.improved += d > 0
                qc.worse += d < 0
                qc.same += d == 0
        out.append(qc)
    return out


def _score(q: dict[str, Any], v: Any) -> float | None:
    if v is None:
        return None
    if qkind(q) == "yes_no":
        return {"yes": 1.0, "no": 0.0}.get(v)
    i = _int(v)
    return float(i) if i is not None else None


def pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


# -- the builder ----------------------------------------------------------------------------------
class ReportBuilder:
    def __init__(self, data: ReportInput, lang: str, workdir: Path):
        self.data = data
        self.L = Labels(lang)
        self.lang = self.L.lang
        self.workdir = workdir
        self.final = data.kind == "final"
        self.period = None if self.final else (data.period or latest_semester_with_data(
            data.communes, data.today))
        self.at = semester_bounds(self.period)[1] if self.period else data.today
        self.n_charts = 0

    # helpers
    def t(self, key: str, **kw: Any) -> str:
        return self.L.t(key, **kw)

    def chart_path(self) -> Path:
        self.n_charts += 1
        return self.workdir / f"chart-{self.n_charts:02d}.png"

    def build(self) -> Document:
        L = self.L
        title = self.t("report.final_title" if self.final else "report.semester_title")
        scope = self.t("doc.all_communes") if self.data.programme else \
            ", ".join(c.name(self.lang) for c in self.data.communes)
        doc = Document(title=f"{title} — {scope}", lang=self.lang, subtitle=self.t("doc.programme"))
        doc.meta[self.t("report.scope")] = scope
        doc.meta[self.t("doc.period")] = period_label(self.period, L)
        doc.meta[self.t("doc.generated")] = L.date(self.data.today)
        self.summary(doc)
        if self.data.programme:
            self.programme_body(doc)
        else:
            for c in self.data.communes:
                for pd in c.projects:
                    self.project_section(doc, pd)
        doc.add(Heading(self.t("report.recommendations"), 1),
                Para(self.t("report.recommendations_hint"), style="placeholder"))
        if self.final:
            self.annexes(doc)
        return doc

    def all_projects(self) -> list[ProjectData]:
        return [pd for c in self.data.communes for pd in c.projects]

    def summary(self, doc: Document) -> None:
        projects = self.all_projects()
        effects = [e for pd in projects for e in pd.project.effects if e.expected and e.level != "output"]
        inds = [(pd.project, i) for pd in projects for e in pd.project.effects if e.expected
                for i in e.indicators]
        measured = [(p, i, value_for(i, self.period)) for p, i in inds]
        good = sum(1 for p, i, m in measured if m is not None and
                   status(i, m.value, p, self.at) in ("achieved", "on_track"))
        respondents = sum(len([r for r in pl.respondents if r.consent and in_period(r.consent_at, self.period)])
                          for pd in projects for pl in pd.polls)
        stories = sum(1 for pd in projects for s in pd.stories if in_period(s.created_at, self.period))
        doc.add(Heading(self.t("report.summary"), 1),
                Para(self.t("report.summary_line", projects=len(projects), effects=len(effects),
                            indicators=len(inds), respondents=respondents, stories=stories)),
                Para(self.t("report.summary_progress", measured=sum(1 for *_, m in measured if m),
                            total=len(inds), good=good)))

    # -- one project (commune reports) -------------------------------------------------------------
    def project_section(self, doc: Document, pd: ProjectData) -> None:
        p = pd.project
        doc.add(Heading(self.t("report.project", title=p.title), 1))
        if self.final:
            self.overview(doc, p)
        doc.add(Heading(self.t("report.activities_all" if self.final else "report.activities"), 2),
                Bullets(list(p.activities) or [self.t("doc.to_complete")]))
        doc.add(Heading(self.t("report.effects"), 2))
        doc.add(self.indicator_table([(None, pd)]), Para(self.t("report.progress_note"), style="note"))
        doc.add(Heading(self.t("report.polls"), 2))
        self.poll_block(doc, pd)
        doc.add(Heading(self.t("report.stories"), 2))
        self.stories_block(doc, pd.stories, limit=4 if self.final else 2)
        doc.add(Heading(self.t("report.unexpected"), 2))
        unexpected = [e for e in p.effects if not e.expected]
        if unexpected:
            doc.add(Bullets([self.unexpected_line(e) for e in unexpected]))
        else:
            doc.add(Para(self.t("report.no_unexpected"), style="note"))

    def overview(self, doc: Document, p: Project) -> None:
        doc.add(Heading(self.t("report.overview"), 2))
        if p.problem:
            doc.add(Para(f"{self.t('doc.problem')} : {p.problem}"))
        if p.publics:
            doc.add(Para(self.t("logframe.publics") + " : " + "; ".join(
                self.L.opt("public", x.category) + (f" ({self.L.number(x.expected_number)})"
                                                      if x.expected_number else "")
                for x in p.publics)))
        if p.stakeholders:
            doc.add(Para(self.t("logframe.parties") + " : " + "; ".join(
                self.L.opt("party", s.group) for s in p.stakeholders)))

    def unexpected_line(self, e: Effect) -> str:
        who = concerns({"party": e.party, "public": e.public}, self.L)
        return f"{e.statement} ({self.L.opt('polarity', e.polarity)}{', ' + who if who else ''})"

    def indicator_table(self, projects: list[tuple[str | None, ProjectData]]) -> Table:
        """One row per indicator of an expected effect. A programme table names the commune
        instead of repeating the effect statement, and leaves the outputs out (page budget)."""
        L = self.L
        programme = any(c for c, _ in projects)
        cols = ["col_effect", "col_indicator", "col_baseline", "col_target",
                "col_final" if self.final else "col_value", "col_progress", "col_status"]
        widths = [3.2, 3.2, 1.3, 1.3, 1.4, 1.1, 1.5]
        if programme:
            cols[0], widths[0] = "col_commune", 1.5
            widths[1] = 4.2
        headers = [self.t(f"report.{c}") for c in cols]
        rows = []
        for commune, pd in projects:
            p = pd.project
            first_of_commune = True
            for e in p.effects:
                if not e.expected or (e.level == "output" and programme):
                    continue
                if programme and not e.indicators:
                    continue
                for k, ind in enumerate(e.indicators or [None]):  # type: ignore[list-item]
                    lead = (commune if first_of_commune else "") if programme else \
                        (e.statement if k == 0 else "")
                    first_of_commune = False
                    if ind is None:
                        rows.append([lead, self.t("logframe.no_indicator"), "", "", "", "", ""])
                        continue
                    m = value_for(ind, self.period)
                    v = m.value if m else None
                    prog = progress(ind, v)
                    rows.append([lead, ind.label, L.number(ind.baseline_value, ind.unit),
                                 L.number(ind.target_value, ind.unit), L.number(v, ind.unit),
                                 "" if prog is None else f"{prog:.0f}%",
                                 self.t(f"report.status_{status(ind, v, p, self.at)}")])
        return Table(headers=headers, rows=rows, widths=widths, compact=programme)

    # -- polls -------------------------------------------------------------------------------------
    def poll_block(self, doc: Document, pd: ProjectData) -> None:
        if not pd.polls:
            doc.add(Para(self.t("report.no_poll"), style="note"))
            return
        b, f = pick_waves(pd.polls)
        lines = []
        for pl in (b, f):
            if pl is None:
                continue
            n = sum(1 for r in pl.respondents if r.consent)
            lines.append(self.t("report.poll_line", title=pl.poll.title or pl.poll.wave, n=n,
                                date=self.L.date(pl.poll.created_at)))
        doc.add(Bullets(lines))
        comps = compare_waves(b, f)
        minimum = self.data.min_group_size
        shown = [c for c in comps if (c.fav_f or c.fav_b or (0, 0))[1] >= minimum]
        if not shown:
            if comps:
                doc.add(Para(self.t("report.small_group", min=minimum), style="note"))
            else:
                self.distribution(doc, f or b)
            return
        rows = [CompareRow(label=qlabel(c.question, self.lang, short=True),
                           baseline=pct(*c.fav_b) if c.fav_b and c.fav_b[1] >= minimum else None,
                           followup=pct(*c.fav_f) if c.fav_f and c.fav_f[1] >= minimum else None,
                           n_baseline=c.fav_b[1] if c.fav_b else 0,
                           n_followup=c.fav_f[1] if c.fav_f else 0) for c in shown]
        path = compare_chart(self.chart_path(), rows, self.t("report.chart_compare"),
                             (self.t("report.baseline"), self.t("report.followup")),
                             rtl=self.L.rtl)
        doc.add(Image(path, width_cm=13.5 if self.final else 12.5))
        if b is not None and f is not None:
            table_rows = []
            for c in shown:
                fb = f"{c.fav_b[0]}/{c.fav_b[1]}" if c.fav_b and c.fav_b[1] >= minimum else "—"
                ff = f"{c.fav_f[0]}/{c.fav_f[1]}" if c.fav_f and c.fav_f[1] >= minimum else "—"
                paired = c.pairs >= minimum
                p = sign_test(c.improved, c.worse) if paired else None
                table_rows.append([qlabel(c.question, self.lang, short=True), fb, ff,
                                   str(c.pairs) if paired else "—",
                                   str(c.improved) if paired else "—", str(c.same) if paired else "—",
                                   str(c.worse) if paired else "—",
                                   "—" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}")])
            doc.add(Table(headers=[self.t("report.col_question"), self.t("report.col_fav_baseline"),
                                   self.t("report.col_fav_followup"), self.t("report.col_pairs"),
                                   self.t("report.col_improved"), self.t("report.col_same"),
                                   self.t("report.col_worse"), self.t("report.col_p")],
                          rows=table_rows, widths=[4, 1.5, 1.5, 1.2, 1, 1, 1, 1.2],
                          numeric={3, 4, 5, 6, 7}),
                    Para(self.t("report.paired_note"), style="note"))

    def distribution(self, doc: Document, pl: PollData | None) -> None:
        if pl is None:
            return
        answers = answers_of(pl)
        qs = [q for q in pl.poll.questions if is_select_one(q) and qkind(q) == "scale5"]
        if not qs or len(answers) < self.data.min_group_size:
            doc.add(Para(self.t("report.small_group", min=self.data.min_group_size), style="note"))
            return
        legend = [olabel(o, self.lang) for o in options(qs[0])]
        rows = []
        for q in qs:
            vals = [str(a.get(qid(q))) for a in answers.values() if a.get(qid(q)) is not None]
            rows.append(DistributionRow(qlabel(q, self.lang, short=True),
                                        [vals.count(ovalue(o)) for o in options(q)], len(vals)))
        doc.add(Image(distribution_chart(self.chart_path(), rows, self.t("report.chart_distribution"),
                                         legend, rtl=self.L.rtl), width_cm=12.5))

    # -- stories -----------------------------------------------------------------------------------
    def stories_block(self, doc: Document, stories: list[Story], limit: int) -> None:
        chosen = [s for s in stories if s.text and in_period(s.created_at, self.period)]
        chosen.sort(key=lambda s: (not s.significant, -s.created_at.timestamp()))
        if not chosen:
            doc.add(Para(self.t("report.no_story"), style="note"))
            return
        for s in chosen[:limit]:
            doc.add(Para(f"« {s.text} »" if self.lang == "fr" else f"«{s.text}»"))
            if s.significant and s.significance_reason:
                doc.add(Para(self.t("report.story_significant", reason=s.significance_reason),
                             style="note"))

    # -- programme ---------------------------------------------------------------------------------
    def programme_body(self, doc: Document) -> None:
        L = self.L
        rows = []
        for c in self.data.communes:
            for pd in c.projects:
                inds = [(i, value_for(i, self.period)) for e in pd.project.effects if e.expected
                        for i in e.indicators]
                good = sum(1 for i, m in inds if m is not None and
                           status(i, m.value, pd.project, self.at) in ("achieved", "on_track"))
                resp = sum(1 for pl in pd.polls for r in pl.respondents
                           if r.consent and in_period(r.consent_at, self.period))
                stories = sum(1 for s in pd.stories if in_period(s.created_at, self.period))
                rows.append([c.name(self.lang), pd.project.title,
                             str(sum(1 for e in pd.project.effects if e.expected)),
                             f"{good}/{len(inds)}", str(resp), str(stories)])
        doc.add(Heading(self.t("report.programme_table"), 1),
                Table(headers=[self.t(f"report.{k}") for k in (
                    "col_commune", "col_project", "col_effects", "col_on_track",
                    "col_respondents", "col_stories")],
                      rows=rows, widths=[1.6, 3.6, 0.9, 1.3, 1.0, 1.0], numeric={2, 4, 5}))
        doc.add(Heading(self.t("report.effects"), 1))
        doc.add(self.indicator_table([(c.name(self.lang), pd) for c in self.data.communes
                                      for pd in c.projects]),
                Para(self.t("report.progress_note"), style="note"))
        self.programme_chart(doc)
        doc.add(Heading(self.t("report.highlights"), 1))
        for c in self.data.communes:
            stories = [s for pd in c.projects for s in pd.stories
                       if s.text and in_period(s.created_at, self.period)]
            stories.sort(key=lambda s: (not s.significant, -s.created_at.timestamp()))
            if stories:
                doc.add(Para(f"{c.name(self.lang)} — « {stories[0].text} »" if self.lang == "fr"
                             else f"{c.name(self.lang)} — «{stories[0].text}»"))
        unexpected = [(c, e) for c in self.data.communes for pd in c.projects
                      for e in pd.project.effects if not e.expected]
        doc.add(Heading(self.t("report.unexpected"), 1))
        if unexpected:
            doc.add(Bullets([f"{c.name(self.lang)} : {self.unexpected_line(e)}" for c, e in unexpected]))
        else:
            doc.add(Para(self.t("report.no_unexpected"), style="note"))
        _ = L

    def programme_chart(self, doc: Document) -> None:
        """Share of favourable answers per commune in the latest poll (all ordinal questions)."""
        rows = []
        for c in self.data.communes:
            fb = ff = (0, 0)
            for pd in c.projects:
                b, f = pick_waves(pd.polls)
                for qc in compare_waves(b, f):
                    if qc.fav_b:
                        fb = (fb[0] + qc.fav_b[0], fb[1] + qc.fav_b[1])
                    if qc.fav_f:
                        ff = (ff[0] + qc.fav_f[0], ff[1] + qc.fav_f[1])
            if fb[1] >= self.data.min_group_size or ff[1] >= self.data.min_group_size:
                rows.append(CompareRow(c.name(self.lang),
                                       pct(*fb) if fb[1] >= self.data.min_group_size else None,
                                       pct(*ff) if ff[1] >= self.data.min_group_size else None))
        if rows:
            doc.add(Image(compare_chart(self.chart_path(), rows, self.t("report.chart_programme"),
                                        (self.t("report.baseline"), self.t("report.followup")),
                                        rtl=self.L.rtl), width_cm=12.5 if len(rows) < 6 else 14))

    # -- annexes -------------------------------------------------------------------------------------
    def annexes(self, doc: Document) -> None:
        doc.add(PageBreak(), Heading(self.t("report.annex_methods"), 1))
        for k in ("chain", "indicators", "polls", "analysis", "stories", "limits"):
            doc.add(Heading(self.t(f"report.method_{k}_title"), 3), Para(self.t(f"report.method_{k}")))
        doc.add(Heading(self.t("report.annex_tools"), 1))
        seen: set[tuple[str, ...]] = set()
        for pd in self.all_projects():
            b, f = pick_waves(pd.polls)
            pl = f or b
            if pl is None:
                continue
            key = tuple(qid(q) for q in pl.poll.questions)
            if key in seen:
                continue
            seen.add(key)
            doc.add(Heading(self.t("report.tools_questionnaire", title=pl.poll.title or pd.project.title), 3))
            doc.add(Bullets([qlabel(q, self.lang) + (
                " — " + " / ".join(olabel(o, self.lang) for o in options(q)) if options(q) and
                len(options(q)) <= 5 else "") for q in pl.poll.questions]))
        if not self.data.programme:
            for pd in self.all_projects():
                doc.add(Heading(self.t("report.tools_logframe", title=pd.project.title), 3))
                t = logframe_table(logframe_dict(pd.project), self.L)
                # the summary keeps logic, indicator, baseline, target, latest value
                doc.add(Table(headers=t.headers[:5], rows=[r[:5] for r in t.rows],
                              widths=[3.2, 3.0, 1.5, 1.5, 1.5], group_rows=t.group_rows))


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


def poll_chart(pd: ProjectData, lang: str, path: Path, min_group_size: int = 5,
               focus: int | None = None) -> Path | None:
    """The chart of a project's polls as one PNG: baseline against follow-up when both exist,
    else the distribution of the answers of the (focus) poll. None when groups are too small."""
    L = Labels(lang)
    b, f = pick_waves(pd.polls)
    if focus is not None:
        chosen = next((p for p in pd.polls if p.poll.id == focus), None)
        if chosen is None or chosen.poll.wave == "baseline":
            b, f = chosen, None  # a baseline on its own: the distribution of its answers
        else:
            f = chosen  # a follow-up: against the baseline when there is one
    if b is not None and f is not None:
        rows = [CompareRow(qlabel(c.question, L.lang, short=True), pct(*c.fav_b), pct(*c.fav_f),
                           c.fav_b[1], c.fav_f[1])
                for c in compare_waves(b, f)
                if c.fav_b and c.fav_f and min(c.fav_b[1], c.fav_f[1]) >= min_group_size]
        if rows:
            return compare_chart(path, rows, L.t("report.chart_compare"),
                                 (L.t("report.baseline"), L.t("report.followup")), rtl=L.rtl)
    pl = f or b
    if pl is None:
        return None
    answers = answers_of(pl)
    qs = [q for q in pl.poll.questions if qkind(q) == "scale5"]
    if not qs or len(answers) < min_group_size:
        return None
    rows2 = []
    for q in qs:
        vals = [str(a.get(qid(q))) for a in answers.values() if a.get(qid(q)) is not None]
        rows2.append(DistributionRow(qlabel(q, L.lang, short=True),
                                     [vals.count(ovalue(o)) for o in options(q)], len(vals)))
    return distribution_chart(path, rows2, L.t("report.chart_distribution"),
                              [olabel(o, L.lang) for o in options(qs[0])], rtl=L.rtl)
