"""`athar export learning` and `athar export artefact` end to end (the CLI builds the app from
settings, on a real SQLite database)."""

from __future__ import annotations

import csv
from datetime import datetime, timezone

import pytest

from bot.cli import main
from bot.commands._demo_data import berkane
from domain.records import LessonProgress, User

from tests.exports.readback import docx_text, xlsx_cells


@pytest.fixture
def db(sqlite_db_url, sqlite_uow_factory, monkeypatch):
    monkeypatch.setenv("ATHAR_DATABASE_URL", sqlite_db_url)
    from bot.settings import get_settings

    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    yield sqlite_uow_factory
    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()


def seed(uow_factory) -> int:
    when = datetime(2026, 2, 10, tzinfo=timezone.utc)
    with uow_factory() as uow:
        pid = uow.projects.add(berkane()).id
        a = uow.users.add(User(role="official", commune_id="berkane"))
        b = uow.users.add(User(role="staff", commune_id="berkane"))
        for user, first in ((a, True), (b, False)):
            uow.lessons.save(
                LessonProgress(
                    user_id=user.id,
                    lesson_id="writing_an_effect",
                    step=5,
                    completed=True,
                    started_at=when,
                    completed_at=when,
                    offered_at=when,
                    tries=1,
                    first_try=first,
                )
            )
        uow.lessons.save(LessonProgress(user_id=b.id, lesson_id="useful_indicators", step=2, started_at=when))
        uow.commit()
    return pid


def test_learning_as_csv_and_xlsx(db, tmp_path, capsys):
    seed(db)
    out = tmp_path / "l.csv"
    assert main(["export", "learning", "--format", "csv", "-o", str(out)]) == 0
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 10 * 8  # every commune, every module
    row = next(r for r in rows if (r["commune_id"], r["lesson_id"]) == ("berkane", "writing_an_effect"))
    assert (row["offered"], row["started"], row["completed"], row["first_try"]) == ("2", "2", "2", "1")
    ind = next(r for r in rows if (r["commune_id"], r["lesson_id"]) == ("berkane", "useful_indicators"))
    assert (ind["started"], ind["completed"]) == ("1", "0")
    # a semester without completions, one commune, in Arabic
    out2 = tmp_path / "l.xlsx"
    assert (
        main(
            [
                "export",
                "learning",
                "--commune",
                "Berkane",
                "--period",
                "2026-S2",
                "--lang",
                "ar",
                "--format",
                "xlsx",
                "-o",
                str(out2),
            ]
        )
        == 0
    )
    cells = xlsx_cells(out2)
    assert "بركان" in str(cells) and "التعلم بالممارسة" in str(cells)
    assert main(["export", "learning", "--period", "2026-X9", "-o", str(out2)]) == 2
    assert "2026-S1" in capsys.readouterr().err


def test_artefact_from_a_project_and_without(db, tmp_path, capsys):
    pid = seed(db)
    out = tmp_path / "a.docx"
    assert (
        main(
            [
                "export",
                "artefact",
                "--lesson",
                "useful_indicators",
                "--project",
                str(pid),
                "--format",
                "docx",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    text = docx_text(out)
    assert "Les fiches de référence des indicateurs" in text and "Passerelle emploi jeunes" in text
    assert (
        main(
            [
                "export",
                "artefact",
                "--lesson",
                "doing_to_changing",
                "--format",
                "docx",
                "--lang",
                "ar",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert "سلم نتائج المشروع" in docx_text(out)
    assert main(["export", "artefact", "--lesson", "nope", "-o", str(out)]) == 2
    assert "unknown lesson" in capsys.readouterr().err
