"""The reports' learning table (issue 17 item 4): the right figures for the period, and the
programme's reports stay within their page limits with it (ten communes, both languages)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.commands._demo_data import DEMO_COMMUNES, MemoryStore, build_demo, materialise, project_data
from domain.records import LessonProgress
from exports.reports import MAX_PAGES, CommuneData, ReportInput, build_report, export_report
from knowledge.loader import load_communes, load_lessons

from tests.exports.readback import office_pages, pdf_pages, pdf_text

TODAY = date(2026, 11, 29)
LESSONS = tuple(m.id for m in load_lessons())


def done(user: int, lesson: str, day: date, first: bool) -> LessonProgress:
    when = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return LessonProgress(
        user_id=user,
        lesson_id=lesson,
        completed=True,
        completed_at=when,
        started_at=when,
        first_try=first,
        tries=1 if first else 2,
    )


@pytest.fixture(scope="module")
def programme_data():
    communes = {c.id: c for c in load_communes()}
    store = MemoryStore()
    demo = {c: project_data(materialise(build_demo(c), store)) for c in DEMO_COMMUNES}
    learning = {
        "berkane": [
            done(1, "writing_an_effect", date(2026, 10, 2), True),
            done(1, "doing_to_changing", date(2026, 3, 2), False),
            done(2, "writing_an_effect", date(2026, 9, 1), False),
        ],
        "tanger": [done(3, "useful_indicators", date(2026, 11, 2), True)],
    }

    def make(kind: str) -> ReportInput:
        return ReportInput(
            kind=kind,
            programme=True,
            today=TODAY,
            lessons=LESSONS,
            period=("2026-S2" if kind == "semester" else None),
            communes=[
                CommuneData(c, communes[c], [demo[c]], learning=learning.get(c, [])) for c in DEMO_COMMUNES
            ],
        )

    return make


def learning_rows(doc):
    from exports.doc import Heading, Table

    blocks = doc.blocks
    at = next(i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.text == "Apprendre en faisant")
    return next(b for b in blocks[at:] if isinstance(b, Table)).rows


def test_the_semester_counts_its_completions_and_the_final_all_of_them(programme_data, tmp_path):
    sem = {r[0]: r[1:] for r in learning_rows(build_report(programme_data("semester"), "fr", tmp_path))}
    assert sem["Berkane"] == ["2", "2", "1 sur 8", "1 sur 2"]  # March's completion is in S1
    assert sem["Tanger"] == ["1", "1", "1 sur 8", "1 sur 1"]
    assert sem["Gourrama"] == ["0", "0", "0 sur 8", "0 sur 0"]
    fin = {r[0]: r[1:] for r in learning_rows(build_report(programme_data("final"), "fr", tmp_path))}
    assert fin["Berkane"] == ["2", "3", "2 sur 8", "1 sur 3"]
    assert len(fin) == 10


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_programme_reports_with_the_learning_table_fit_their_pages(programme_data, tmp_path, lang):
    for kind in ("semester", "final"):
        pdf = export_report(programme_data(kind), "pdf", lang, tmp_path / f"{kind}.pdf")
        assert pdf_pages(pdf) <= MAX_PAGES[kind], (kind, lang)
        assert ("Apprendre en faisant" if lang == "fr" else "التعلم بالممارسة") in pdf_text(pdf)
        docx = export_report(programme_data(kind), "docx", lang, tmp_path / f"{kind}.docx")
        assert office_pages(docx) <= MAX_PAGES[kind], (kind, lang)
