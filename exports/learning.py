"""Learning documents: each module's artefact made from a project (issue 17), and the programme's
learning figures per commune (`athar export learning`, the reports' short table).

An artefact is a working document the official fills in with the team: what the project's
records already say is written in, what is still missing is left as a space to fill ("……").
Without a project (an official who has none yet) the module's document is made from a library
example, with the spaces to fill. Every text comes from `exports/labels.yml` (French or Arabic);
the knowledge base (glossary, circle of effects, lessons) is passed in as data.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any, Callable, Sequence

from domain.effects import Horizon, smart_check
from domain.figures import semesters_between, value_at
from domain.knowledge import KnowledgeBase, Lesson
from domain.learning import CommuneLearning
from domain.polls import questions_of
from domain.privacy import mask_identifiers
from domain.records import Effect, Indicator, Project

from exports.doc import Bullets, Document, Heading, Para, Table
from exports.labels import Labels
from exports.reports import ProjectData

BLANK = "……"  # a space left for the reader to fill
PARTNERS = ("associations", "commune_actors", "state_services")
MARKER_LEVELS = ("expect", "like", "love")
CARD_FIELDS = ("who", "what", "when_where", "why", "contribution", "confirm")
STORY_ROWS = 30
# The fields of an indicator reference sheet, in the order of DOMAIN §3.2.
SHEET_FIELDS = (
    "definition",
    "unit",
    "calculation",
    "baseline",
    "target",
    "source",
    "frequency",
    "collector",
    "disaggregation",
)
FINDING_FIELD = {
    "baseline_value": "baseline",
    "baseline_date": "baseline",
    "baseline_source": "baseline",
    "target_value": "target",
    "target_date": "target",
}
CSV_COLUMNS = (
    "commune_id",
    "commune",
    "module",
    "lesson_id",
    "title",
    "offered",
    "started",
    "completed",
    "first_try",
)


class Builder:
    def __init__(
        self,
        lesson: Lesson,
        data: ProjectData | None,
        kb: KnowledgeBase,
        lang: str,
        today: date,
        retention_months: int | None = None,
    ):
        self.lesson, self.kb, self.today = lesson, kb, today
        self.data = data
        self.project: Project | None = data.project if data is not None else None
        self.L = Labels(lang)
        self.lang = self.L.lang
        self.retention_months = retention_months

    def t(self, key: str, **kw: Any) -> str:
        return self.L.t(key, **kw)

    def k(self, text: Any) -> str:
        """A knowledge-base text in the document's language."""
        return text.get(self.lang)

    # -- the document ----------------------------------------------------------------------------
    def build(self) -> Document:
        lesson = self.lesson
        doc = Document(
            title=self.k(lesson.artefact),
            lang=self.lang,
            subtitle=self.t("learning.module", number=lesson.number, title=self.k(lesson.title)),
        )
        doc.meta[self.t("doc.project")] = (
            self.project.title if self.project else self.t("learning.no_project")
        )
        doc.meta[self.t("doc.generated")] = self.L.date(self.today)
        doc.add(Para(self.k(lesson.goal), style="note"))
        BUILDERS[lesson.id](self, doc)
        return doc

    # -- helpers -----------------------------------------------------------------------------------
    def effects(self, expected: bool | None = None) -> list[Effect]:
        return [
            e
            for e in (self.project.effects if self.project else [])
            if expected is None or e.expected == expected
        ]

    def indicators(self) -> list[tuple[Effect, Indicator]]:
        return [(e, i) for e in self.effects() for i in e.indicators]

    def example(self) -> Any:
        publics = [p.category for p in (self.project.publics if self.project else [])]
        return next((e for e in self.kb.effect_examples if e.public in publics), self.kb.effect_examples[0])

    def joined(self, items: Sequence[str]) -> str:
        return self.t("report.list_sep").join(items) if items else BLANK

    def horizon(self, value: str | None) -> str:
        h = Horizon.parse(value)
        if h.year is not None:
            return self.t("learning.horizon_year", year=str(h.year))
        if h.months is not None:
            return self.t("learning.horizon_months", n=h.months)
        return BLANK

    def value(self, ind: Indicator, v: float | None, when: date | None = None) -> str:
        if v is None:
            return BLANK
        shown = self.L.number(v, ind.unit)
        return self.t("logframe.on_date", value=shown, date=self.L.date(when)) if when else shown

    # -- 1. glossary and results ladder --------------------------------------------------------------
    def ladder(self, doc: Document) -> None:
        doc.add(Heading(self.t("learning.ladder"), 1))
        if self.project is not None:
            levels = [
                ("logframe.level_activities", list(self.project.activities)),
                ("logframe.level_output", [e.statement for e in self.effects(True) if e.level == "output"]),
                ("logframe.level_outcome", [e.statement for e in self.effects(True) if e.level == "outcome"]),
                ("logframe.level_impact", [e.statement for e in self.effects(True) if e.level == "impact"]),
            ]
        else:
            ex = self.example()
            levels = [
                ("logframe.level_activities", [self.k(ex.activity)]),
                ("logframe.level_output", [self.k(ex.output)]),
                ("logframe.level_outcome", [self.k(ex.effect)]),
                ("logframe.level_impact", []),
            ]
        doc.add(
            Table(
                headers=[self.t("learning.col_level"), self.t("learning.col_project_says")],
                rows=[[self.t(key), self.joined(items)] for key, items in levels],
                widths=[1.4, 4.0],
            ),
            Para(self.t("learning.ladder_note"), style="note"),
        )
        doc.add(Heading(self.t("learning.glossary"), 1))
        doc.add(
            Table(
                headers=[self.t("learning.col_term"), self.t("learning.col_meaning")],
                rows=[[self.k(term.term), self.k(term.gloss)] for term in self.kb.glossary],
                widths=[1.4, 4.0],
                compact=True,
            )
        )

    # -- 2. circle of effects ---------------------------------------------------------------------------
    def circle(self, doc: Document) -> None:
        doc.add(Heading(self.t("learning.circle"), 1))
        rows = []
        stakeholders = self.project.stakeholders if self.project else []
        for party in self.kb.parties:
            mine = [s for s in stakeholders if s.group == party.id]
            unexpected = [e for e in self.effects(False) if e.party == party.id]
            how = [s.how_affected for s in mine if s.how_affected] + [e.statement for e in unexpected]
            signs = sorted(
                {self.L.opt("polarity", s.polarity) for s in mine if s.polarity}
                | {self.L.opt("polarity", e.polarity) for e in unexpected}
            )
            rows.append(
                [
                    self.L.opt("party", party.id),
                    self.t("doc.yes") if mine or unexpected else self.t("learning.to_look"),
                    self.joined(how),
                    self.joined(signs),
                    self.t("learning.unexpected_yes") if unexpected else BLANK,
                    BLANK,
                ]
            )
        doc.add(
            Table(
                headers=[
                    self.t(f"learning.col_{c}")
                    for c in ("party", "touched", "how", "sign", "unplanned", "witness")
                ],
                rows=rows,
                widths=[1.6, 0.9, 3.0, 1.0, 1.0, 1.4],
            ),
            Para(self.t("learning.circle_note"), style="note"),
        )

    # -- 3. effect sheet ------------------------------------------------------------------------------------
    def effect_sheet(self, doc: Document) -> None:
        doc.add(Heading(self.t("learning.effect_sheet"), 1))
        effects = [e for e in self.effects() if e.level != "output"]
        rows = []
        for e in effects:
            start = e.baseline_text or next(
                (
                    self.value(i, i.baseline_value, i.baseline_date)
                    for i in e.indicators
                    if i.baseline_value is not None
                ),
                BLANK,
            )
            rows.append(
                [
                    e.statement,
                    self.L.opt("public", e.public) or self.L.opt("party", e.party, BLANK),
                    self.horizon(e.horizon),
                    start,
                    self.t("learning.expected" if e.expected else "learning.unexpected"),
                    self.L.opt("polarity", e.polarity),
                ]
            )
        if not rows:
            rows.append([self.t("learning.effect_template"), BLANK, BLANK, BLANK, BLANK, BLANK])
        doc.add(
            Table(
                headers=[
                    self.t(f"learning.col_{c}") for c in ("effect", "who", "horizon", "start", "kind", "sign")
                ],
                rows=rows,
                widths=[3.4, 1.2, 1.0, 1.4, 1.0, 0.8],
            )
        )
        doc.add(
            Heading(self.t("learning.checklist"), 2),
            Bullets(
                [
                    self.t(f"learning.check_{c}")
                    for c in ("change", "who", "one", "direction", "horizon", "means", "baseline")
                ]
            ),
        )
        doc.add(Para(self.t("learning.validated")))

    # -- 4. progress markers and outcome journal -----------------------------------------------------------
    def markers(self, doc: Document) -> None:
        doc.add(Heading(self.t("learning.markers"), 1))
        stakeholders = self.project.stakeholders if self.project else []
        partners = list(
            dict.fromkeys(
                s.group
                for s in stakeholders
                if s.kind in ("intermediary", "institution") or s.group in PARTNERS
            )
        ) or list(PARTNERS)
        for group in partners:
            doc.add(
                Heading(self.L.opt("party", group), 2),
                Para(self.t("learning.challenge")),
                Table(
                    headers=[self.t("learning.col_marker_level"), self.t("learning.col_markers")],
                    rows=[[self.t(f"learning.marker_{lv}"), BLANK] for lv in MARKER_LEVELS],
                    widths=[1.8, 4.0],
                ),
            )
        doc.add(Heading(self.t("learning.journal"), 1))
        p = self.project
        start = (p.period_start or p.created_at.date()) if p else None
        semesters = semesters_between(start, p.period_end or self.today)[:10] if p and start else []
        rows = [[self.L.period(s)] + [BLANK] * 5 for s in semesters] or [[BLANK] * 6 for _ in range(2)]
        doc.add(
            Table(
                headers=[
                    self.t(f"learning.col_{c}")
                    for c in ("semester", "seen", "strength", "evidence", "reported_by", "surprise")
                ],
                rows=rows,
                widths=[1.2, 2.2, 1.0, 1.6, 1.2, 1.6],
            ),
            Para(self.t("learning.journal_note"), style="note"),
        )

    # -- 5. indicator reference sheets and monitoring matrix ---------------------------------------------------
    def indicator_sheets(self, doc: Document) -> None:
        pairs = self.indicators()
        doc.add(Heading(self.t("learning.sheets"), 1))
        if not pairs:
            doc.add(Para(self.t("learning.no_indicator"), style="note"))
        for effect, ind in pairs:
            doc.add(Heading(ind.label, 2))
            doc.add(
                Table(
                    headers=[self.t("learning.col_field"), self.t("learning.col_value")],
                    rows=[[self.t("learning.field.result"), effect.statement]]
                    + [[self.t(f"learning.field.{f}"), self.sheet_value(ind, f)] for f in SHEET_FIELDS]
                    + [[self.t("learning.field.ethics"), self.t("learning.ethics")]],
                    widths=[1.6, 4.0],
                    sheet=ind.label[:28],
                )
            )
            missing = self.missing(ind)
            if missing:
                doc.add(
                    Para(
                        self.t("learning.to_complete", fields=self.t("report.list_sep").join(missing)),
                        style="note",
                    )
                )
        doc.add(Heading(self.t("learning.matrix"), 1))
        rows = []
        for _, ind in pairs:
            rows.append(
                [
                    ind.label,
                    self.value(ind, ind.baseline_value, ind.baseline_date),
                    self.value(ind, ind.target_value, ind.target_date),
                    self.latest(ind),
                    self.L.opt("frequency", ind.frequency, BLANK),
                    ind.collector or BLANK,
                ]
            )
        doc.add(
            Table(
                headers=[
                    self.t(f"learning.col_{c}")
                    for c in ("indicator", "start", "target", "latest", "frequency", "collector")
                ],
                rows=rows or [[BLANK] * 6],
                widths=[2.6, 1.2, 1.4, 1.2, 1.0, 1.0],
                sheet=self.t("learning.matrix_sheet"),
            )
        )

    def latest(self, ind: Indicator) -> str:
        """The newest follow-up value (a baseline measurement is the start, not a result)."""
        m = value_at(ind, None)
        return (
            self.t("report.value_of", value=self.L.number(m.value, ind.unit), period=self.L.period(m.period))
            if m is not None
            else BLANK
        )

    def sheet_value(self, ind: Indicator, field: str) -> str:
        if field == "baseline":
            if ind.baseline_value is not None:
                shown = self.value(ind, ind.baseline_value, ind.baseline_date)
                return f"{shown} — {ind.baseline_source}" if ind.baseline_source else shown
            return self.t("logframe.baseline_plan", plan=ind.baseline_plan) if ind.baseline_plan else BLANK
        if field == "target":
            return self.value(ind, ind.target_value, ind.target_date)
        if field == "unit":
            return self.L.opt("unit_name", ind.unit, BLANK)
        if field == "frequency":
            return self.L.opt("frequency", ind.frequency, BLANK)
        if field == "disaggregation":
            return self.joined([self.L.opt("learning.disaggregation", d) for d in ind.disaggregation])
        return getattr(ind, field, None) or BLANK

    def missing(self, ind: Indicator) -> list[str]:
        """The sheet's fields the SMART check finds missing (domain.effects.smart_check)."""
        fields = []
        for f in smart_check(ind, today=self.today):
            name = FINDING_FIELD.get(f.field, f.field)
            if name in SHEET_FIELDS and name not in fields:
                fields.append(name)
        return [self.t(f"learning.field.{f}") for f in fields]

    # -- 6. perception questionnaire, consent, baseline plan ------------------------------------------------------
    def perception(self, doc: Document) -> None:
        doc.add(Heading(self.t("learning.questionnaire"), 1))
        polls = self.data.polls if self.data is not None else []
        if polls:
            poll = max(polls, key=lambda pl: (pl.poll.created_at, pl.poll.id or 0)).poll
            items = []
            for q in questions_of(poll):
                opts = (
                    " / ".join(o.label.get(self.lang) or o.label.get("fr", "") for o in q.options)
                    if q.options and len(q.options) <= 5
                    else ""
                )
                items.append(q.text_in(self.lang) + (f" — {opts}" if opts else ""))
            doc.add(
                Para(
                    self.t(
                        "learning.questionnaire_of",
                        wave=self.t(f"wave.{poll.wave}"),
                        date=self.L.date(poll.created_at),
                    ),
                    style="meta",
                ),
                Bullets(items),
            )
        else:
            doc.add(
                Para(self.t("learning.no_poll"), style="note"),
                Bullets(
                    [
                        self.t(f"learning.dimension_{d}")
                        for d in ("support", "contacts", "respect", "navigation", "voice", "open")
                    ]
                ),
            )
        if self.project is not None and any(p.category == "migrants" for p in self.project.publics):
            doc.add(Para(self.t("learning.migrant_dimensions")))
        doc.add(Para(self.t("learning.washington")))
        doc.add(
            Heading(self.t("learning.consent"), 1),
            Para(self.t("learning.consent_text", months=self.retention_months or 12)),
        )
        doc.add(Heading(self.t("learning.baseline_plan"), 1))
        rows = [
            [
                ind.label,
                self.value(ind, ind.baseline_value, ind.baseline_date),
                ind.baseline_plan or (BLANK if ind.baseline_value is None else "—"),
                BLANK if ind.baseline_value is None else "—",
            ]
            for _, ind in self.indicators()
        ]
        doc.add(
            Table(
                headers=[self.t(f"learning.col_{c}") for c in ("indicator", "start", "plan", "before")],
                rows=rows or [[BLANK] * 4],
                widths=[2.6, 1.4, 2.2, 1.2],
            ),
            Para(self.t("learning.baseline_note"), style="note"),
        )

    # -- 7. story bank, outcome cards -------------------------------------------------------------------------
    def stories(self, doc: Document) -> None:
        doc.add(Heading(self.t("learning.story_bank"), 1))
        stories = sorted(
            self.data.stories if self.data is not None else [],
            key=lambda s: (not s.significant, s.created_at),
        )
        rows = []
        for s in stories[:STORY_ROWS]:
            told = mask_identifiers(s.text) if s.text else self.t("learning.voice_note")
            rows.append(
                [
                    self.L.date(s.created_at),
                    told,
                    self.L.opt("polarity", s.polarity, BLANK),
                    self.t("doc.yes") if s.significant else "",
                    s.significance_reason or "",
                ]
            )
        doc.add(
            Table(
                headers=[self.t(f"learning.col_{c}") for c in ("date", "story", "sign", "chosen", "reason")],
                rows=rows or [[BLANK] * 5],
                widths=[1.0, 3.6, 0.8, 0.8, 2.0],
            )
        )
        if not rows:
            doc.add(Para(self.t("learning.no_story"), style="note"))
        unexpected = self.effects(False)
        doc.add(Heading(self.t("logframe.unexpected"), 1))
        doc.add(
            Bullets(
                [
                    self.t(
                        "report.unexpected_line",
                        statement=e.statement,
                        polarity=self.L.opt("polarity", e.polarity),
                    )
                    for e in unexpected
                ]
            )
            if unexpected
            else Para(self.t("report.no_unexpected"), style="note")
        )
        doc.add(
            Heading(self.t("learning.outcome_card"), 1),
            Table(
                headers=[self.t("learning.col_field"), self.t("learning.col_answer")],
                rows=[[self.t(f"learning.card_{f}"), BLANK] for f in CARD_FIELDS],
                widths=[2.4, 3.6],
            ),
        )

    # -- 8. report templates ---------------------------------------------------------------------------------
    def report_templates(self, doc: Document) -> None:
        doc.add(
            Heading(self.t("learning.semester_template"), 1),
            Bullets(
                [
                    self.t(f"learning.semester_{s}")
                    for s in ("changed", "for_whom", "surprises", "stories", "decisions")
                ]
            ),
        )
        doc.add(Heading(self.t("learning.your_figures"), 2))
        rows = []
        for _, ind in self.indicators():
            rows.append(
                [
                    ind.label,
                    self.value(ind, ind.baseline_value),
                    self.value(ind, ind.target_value),
                    self.latest(ind),
                ]
            )
        doc.add(
            Table(
                headers=[self.t(f"learning.col_{c}") for c in ("indicator", "start", "target", "latest")],
                rows=rows or [[BLANK] * 4],
                widths=[3.0, 1.2, 1.2, 1.6],
            ),
            Para(self.t("learning.small_numbers"), style="note"),
        )
        doc.add(
            Heading(self.t("learning.final_template"), 1),
            Bullets(
                [
                    self.t(f"learning.final_{s}")
                    for s in ("overview", "effects", "unexpected", "contribution", "lessons", "annexes")
                ]
            ),
        )


BUILDERS: dict[str, Callable[[Builder, Document], None]] = {
    "doing_to_changing": Builder.ladder,
    "who_is_affected": Builder.circle,
    "writing_an_effect": Builder.effect_sheet,
    "progress_markers": Builder.markers,
    "useful_indicators": Builder.indicator_sheets,
    "measuring_integration": Builder.perception,
    "harvesting_the_unexpected": Builder.stories,
    "analyse_decide_report": Builder.report_templates,
}


def artefact_document(
    lesson: Lesson,
    data: ProjectData | None,
    kb: KnowledgeBase,
    lang: str,
    today: date,
    retention_months: int | None = None,
) -> Document:
    """The document a module produces, from the project's records (or a library example)."""
    if lesson.id not in BUILDERS:
        raise ValueError(f"no document for lesson {lesson.id!r}")
    return Builder(lesson, data, kb, lang, today, retention_months).build()


# -- the programme's learning figures ------------------------------------------------------------------
def learning_table(
    figures: Sequence[CommuneLearning], names: dict[str, str], L: Labels, n_modules: int
) -> Table:
    """One row per commune: people with a module completed, completions, different modules,
    completions right at the first try (the reports' short table)."""
    rows = [
        [
            names.get(f.commune_id, f.commune_id),
            L.number(f.people),
            L.number(f.completed),
            L.t("report.of", part=L.number(f.modules), whole=L.number(n_modules)),
            L.t("report.of", part=L.number(f.first_try), whole=L.number(f.completed)),
        ]
        for f in figures
    ]
    return Table(
        headers=[
            L.t(f"learning.col_{c}") for c in ("commune", "people", "completed", "modules", "first_try")
        ],
        rows=rows,
        widths=[1.8, 1.0, 1.0, 1.2, 1.4],
        numeric={1, 2},
        compact=len(rows) > 5,
        sheet=L.t("learning.sheet_communes"),
    )


def learning_document(
    figures: Sequence[CommuneLearning],
    names: dict[str, str],
    lessons: Sequence[Lesson],
    lang: str,
    period: str | None,
    today: date,
) -> Document:
    L = Labels(lang)
    doc = Document(title=L.t("learning.export_title"), lang=L.lang, subtitle=L.t("doc.programme"))
    doc.meta[L.t("doc.period")] = L.period(period) if period else L.t("report.whole_period")
    doc.meta[L.t("doc.generated")] = L.date(today)
    doc.add(Para(L.t("learning.export_note")))
    doc.add(learning_table(figures, names, L, len(lessons)))
    rows = []
    for f in figures:
        for lesson, m in zip(lessons, f.by_module):
            rows.append(
                [
                    names.get(f.commune_id, f.commune_id),
                    lesson.number,
                    lesson.title.get(L.lang),
                    m.offered,
                    m.started,
                    m.completed,
                    m.first_try,
                ]
            )
    doc.add(
        Heading(L.t("learning.by_module"), 1),
        Table(
            headers=[
                L.t(f"learning.col_{c}")
                for c in ("commune", "number", "module", "offered", "started", "done", "right_first")
            ],
            rows=rows,
            numeric={1, 3, 4, 5, 6},
            sheet=L.t("learning.sheet_modules"),
            widths=[1.6, 0.5, 2.6, 0.8, 0.8, 0.8, 1.0],
            compact=True,
        ),
    )
    return doc


def write_learning_csv(
    path: Path,
    figures: Sequence[CommuneLearning],
    names: dict[str, str],
    lessons: Sequence[Lesson],
    lang: str,
) -> None:
    """One row per commune and module, stable column names (for a spreadsheet or a script)."""
    L = Labels(lang)
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for f in figures:
            for lesson, m in zip(lessons, f.by_module):
                w.writerow(
                    [
                        f.commune_id,
                        names.get(f.commune_id, f.commune_id),
                        lesson.number,
                        lesson.id,
                        lesson.title.get(L.lang),
                        m.offered,
                        m.started,
                        m.completed,
                        m.first_try,
                    ]
                )
