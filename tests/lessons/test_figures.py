"""domain/learning.py: the programme's learning figures per commune, per period."""

from __future__ import annotations

from datetime import datetime, timezone

from domain.learning import commune_learning, learning_by_commune
from domain.records import LessonProgress

IDS = ("a", "b", "c")


def at(y, m, d):
    return datetime(y, m, d, 12, tzinfo=timezone.utc)


def done(user, lesson, when, first_try):
    return LessonProgress(
        user_id=user,
        lesson_id=lesson,
        completed=True,
        completed_at=when,
        started_at=when,
        first_try=first_try,
        tries=1 if first_try else 2,
    )


def test_completions_people_modules_and_first_tries():
    rows = [
        done(1, "a", at(2026, 2, 1), True),
        done(1, "b", at(2026, 3, 1), False),
        done(2, "a", at(2026, 8, 1), True),
        LessonProgress(user_id=3, lesson_id="c", started_at=at(2026, 1, 5), step=2),
        LessonProgress(user_id=4, lesson_id="c", offered_at=at(2026, 1, 5)),
        done(5, "zz", at(2026, 2, 1), True),
    ]  # a module that no longer exists
    f = commune_learning("berkane", rows, IDS)
    assert (f.people, f.completed, f.modules, f.first_try, f.learners) == (2, 3, 2, 2, 3)
    a, b, c = f.by_module
    assert (a.started, a.completed, a.first_try) == (2, 2, 2)
    assert (b.completed, b.first_try) == (1, 0)
    assert (c.offered, c.started, c.completed) == (1, 1, 0)


def test_a_semester_counts_the_completions_that_fall_in_it():
    rows = [
        done(1, "a", at(2026, 2, 1), True),
        done(1, "b", at(2026, 8, 1), False),
        done(2, "a", at(2026, 6, 30), False),
    ]
    s1 = commune_learning("x", rows, IDS, "2026-S1")
    s2 = commune_learning("x", rows, IDS, "2026-S2")
    assert (s1.people, s1.completed, s1.first_try) == (2, 2, 1)
    assert (s2.people, s2.completed, s2.first_try) == (1, 1, 0)
    assert commune_learning("x", rows, IDS, "2025-S2").completed == 0


def test_every_commune_gets_a_row_in_order_even_without_learners():
    rows = [("tanger", done(1, "a", at(2026, 2, 1), True)), ("nowhere", done(2, "a", at(2026, 2, 1), True))]
    out = learning_by_commune(rows, ["berkane", "tanger"], IDS)
    assert [(f.commune_id, f.completed) for f in out] == [("berkane", 0), ("tanger", 1)]
