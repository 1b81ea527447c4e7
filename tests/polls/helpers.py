"""Shared by the poll tests: a dispatcher with the poll services, a project and a poll."""

from __future__ import annotations

from domain.records import Project, TargetPublic

from bot.services.polls import create_poll
from bot.poll_support import install
from knowledge.polls import load_question_bank
from tests.bot.helpers import make_dispatcher

KEY = b"test-key-not-secret"


def poll_dispatcher(uow_factory, nlu=None, key: bytes | None = KEY):
    d = make_dispatcher(uow_factory, nlu=nlu)
    install(d.services, None, "sqlite://", key=key)
    if key is None:
        d.services.pseudonym_key = None
    return d


def make_project(uow_factory, publics=("youth",), title="Jeunes et emploi") -> int:
    with uow_factory() as uow:
        p = uow.projects.add(
            Project(commune_id="berkane", title=title, publics=[TargetPublic(category=c) for c in publics])
        )
        uow.commit()
        return p.id


def make_poll(uow_factory, project_id: int, wave="baseline", modules=None):
    with uow_factory() as uow:
        project = uow.projects.get(project_id)
        poll = create_poll(uow, load_question_bank(), project, wave, modules)
        uow.commit()
        return poll


def make_short_poll(uow_factory, project_id: int, ids=("sex", "relations", "respect", "change")):
    """A poll with only some of the default questions (load tests and benchmarks)."""
    from domain.records import Poll
    from bot.services.polls import new_token

    by_id = {q.id: q for q in load_question_bank().build()}
    with uow_factory() as uow:
        poll = uow.polls.add(
            Poll(project_id=project_id, token=new_token(), questions=[by_id[i].model_dump() for i in ids])
        )
        uow.commit()
        return poll


def answered(uow_factory, poll_id: int, consenting: int, refusing: int = 0) -> None:
    """`consenting` respondents who agreed to answer `poll_id` (no answers yet) and `refusing` who
    did not."""
    from domain.records import Respondent

    with uow_factory() as uow:
        for n in range(consenting + refusing):
            uow.respondents.add(
                Respondent(poll_id=poll_id, pseudonym=f"r{poll_id}-{n}", consent=n < consenting)
            )
        uow.commit()


def two_baselines(uow_factory, project_id: int) -> dict:
    """A project whose follow-ups have more than one baseline to be compared with, created in
    this order: `big` baseline (30 people consented), `rerun` baseline (3 consented, 20 refused;
    other modules), `early` follow-up (2), `late_base` baseline (50; other modules again, created
    after `early`), `main` follow-up (10, the one the project's figures analyse).
    By the one rule (`domain.figures.baseline_of`) `early` is compared with `big` and `main` with
    `late_base`; the rules this replaced gave `early` `rerun` (the bot: newest before it) and
    `late_base` (the dashboard: the main follow-up's baseline, created after it)."""
    polls = {}
    for name, wave, modules, consenting, refusing in (
        ("big", "baseline", None, 30, 0),
        ("rerun", "baseline", ["wg"], 3, 20),
        ("early", "follow-up", None, 2, 0),
        ("late_base", "baseline", ["migrants"], 50, 0),
        ("main", "follow-up", None, 10, 0),
    ):
        polls[name] = make_poll(uow_factory, project_id, wave, modules)
        answered(uow_factory, polls[name].id, consenting, refusing)
    return polls
