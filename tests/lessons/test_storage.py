"""Lesson progress in the database (SQLite and PostgreSQL): every field round-trips, one row per
user and module, and the programme reads it per commune."""

from __future__ import annotations

from datetime import datetime, timezone

from domain.records import LessonProgress, Project, User


def test_progress_round_trips_and_is_read_per_commune(uow_factory):
    when = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    with uow_factory() as uow:
        a = uow.users.add(User(role="official", commune_id="berkane"))
        b = uow.users.add(User(role="staff", commune_id="tanger"))
        c = uow.users.add(User(role="coordinator"))
        project = uow.projects.add(Project(commune_id="berkane", title="P"))
        full = LessonProgress(
            user_id=a.id,
            lesson_id="writing_an_effect",
            step=5,
            completed=True,
            project_id=project.id,
            signals=1,
            offered_at=when,
            started_at=when,
            completed_at=when,
            tries=3,
            first_try=False,
        )
        uow.lessons.save(full)
        uow.lessons.save(LessonProgress(user_id=b.id, lesson_id="doing_to_changing", signals=1))
        uow.lessons.save(LessonProgress(user_id=c.id, lesson_id="doing_to_changing", step=1))
        uow.commit()
    with uow_factory() as uow:
        assert uow.lessons.get(a.id, "writing_an_effect") == full
        # saved again: the same row, updated
        uow.lessons.save(full.model_copy(update={"tries": 4, "signals": 2}))
        uow.commit()
    with uow_factory() as uow:
        assert uow.lessons.get(a.id, "writing_an_effect").tries == 4
        assert [(cid, p.lesson_id) for cid, p in uow.lessons.by_commune()] == [
            ("berkane", "writing_an_effect"),
            ("tanger", "doing_to_changing"),
        ]  # no coordinator
        assert [p.user_id for _, p in uow.lessons.by_commune("tanger")] == [b.id]
        # the project goes: the progress stays, without it
        assert uow.projects.delete(project.id)
        uow.commit()
    with uow_factory() as uow:
        assert uow.lessons.get(a.id, "writing_an_effect").project_id is None
