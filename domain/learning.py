"""The programme's own capacity indicators (DOMAIN §6): who learns what, per commune.

Pure: from lesson progress rows (domain.records.LessonProgress with each learner's commune) to
the figures the reports and `athar export learning` show. A module counts as completed in a
period when its first completion falls in it; "right at the first try" is counted among those
completions (the very first practice answer of that person on that module was right), so the
two figures always read together: "9 completions, 6 of them right at the first try".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from domain.figures import in_period
from domain.records import LessonProgress


@dataclass(frozen=True)
class ModuleFigure:
    lesson_id: str
    started: int = 0  # people who opened the module (a completion included)
    completed: int = 0  # people who completed it in the period
    first_try: int = 0  # of those, right at the first try
    offered: int = 0  # people it was offered to at a moment of need


@dataclass(frozen=True)
class CommuneLearning:
    commune_id: str
    people: int  # people with at least one module completed in the period
    completed: int  # completions (person × module) in the period
    modules: int  # different modules completed in the period
    first_try: int  # completions right at the first try
    learners: int  # people who started at least one module (ever)
    by_module: tuple[ModuleFigure, ...]


def completed_in(p: LessonProgress, period: str | None) -> bool:
    if not p.completed:
        return False
    return period is None or (p.completed_at is not None and in_period(p.completed_at, period))


def commune_learning(
    commune_id: str, progress: Iterable[LessonProgress], lesson_ids: Sequence[str], period: str | None = None
) -> CommuneLearning:
    """The learning figures of one commune (its users' progress) for a semester ("2026-S1") or,
    with `period` None, since the start."""
    rows = [p for p in progress if p.lesson_id in lesson_ids]
    done = [p for p in rows if completed_in(p, period)]
    modules = []
    for lid in lesson_ids:
        mine = [p for p in rows if p.lesson_id == lid]
        finished = [p for p in done if p.lesson_id == lid]
        modules.append(
            ModuleFigure(
                lesson_id=lid,
                started=sum(p.started for p in mine),
                completed=len(finished),
                first_try=sum(p.first_try is True for p in finished),
                offered=sum(p.offered_at is not None for p in mine),
            )
        )
    return CommuneLearning(
        commune_id=commune_id,
        people=len({p.user_id for p in done}),
        completed=len(done),
        modules=len({p.lesson_id for p in done}),
        first_try=sum(p.first_try is True for p in done),
        learners=len({p.user_id for p in rows if p.started}),
        by_module=tuple(modules),
    )


def learning_by_commune(
    rows: Iterable[tuple[str, LessonProgress]],
    commune_ids: Sequence[str],
    lesson_ids: Sequence[str],
    period: str | None = None,
) -> list[CommuneLearning]:
    """One CommuneLearning per commune of `commune_ids`, in that order (a commune where nobody
    learnt anything yet gets zeros: the table shows who has not started)."""
    by: dict[str, list[LessonProgress]] = {c: [] for c in commune_ids}
    for commune_id, p in rows:
        if commune_id in by:
            by[commune_id].append(p)
    return [commune_learning(c, by[c], lesson_ids, period) for c in commune_ids]
