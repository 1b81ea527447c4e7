"""Shared by the poll tests: a dispatcher with the poll services, a project and a poll."""
from __future__ import annotations

from domain.records import Project, TargetPublic

from bot.handlers.polls import create_poll
from bot.poll_support import install
from knowledge.polls import load_question_bank
from tests.bot.helpers import make_dispatcher

KEY = b"test-key-not-secret"


def poll_dispatcher(uow_factory, nlu=None, key: bytes | None = KEY):
    d = make_dispatcher(uow_factory, nlu=nlu)
    install(d.services, None, "sqlite://", key=key)
    if key is None:
        d.services.extras.pop("pseudonym_key", None)
    return d


def make_project(uow_factory, publics=("youth",), title="Jeunes et emploi") -> int:
    with uow_factory() as uow:
        p = uow.projects.add(Project(commune_id="berkane", title=title,
                                     publics=[TargetPublic(category=c) for c in publics]))
        uow.commit()
        return p.id


def make_poll(uow_factory, project_id: int, wave="baseline", modules=None):
    with uow_factory() as uow:
        project = uow.projects.get(project_id)
        poll = create_poll(uow, load_question_bank(), project, wave, modules)
        uow.commit()
        return poll
