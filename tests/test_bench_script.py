"""The conversation `make bench` drives (bench/coaching_script.py) still fits the dialogues: two
rounds in each language through the real dispatcher with the real Rasa, every reply judged as the
benchmark judges it, and the database holding what the confirmations said."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from bench import coaching_script as cs
from domain.languages import LANG_TAGS
from domain.messages import Incoming
from domain.records import Identity, User
from knowledge.loader import load_communes, load_knowledge
from storage.tables import ProjectRow, StakeholderRow
from tests.bot.helpers import make_dispatcher

pytestmark = pytest.mark.rasa


def _user(uow_factory, lang: str) -> str:
    with uow_factory() as uow:
        uow.users.add(
            User(role="official", commune_id=load_communes()[0].id, language=lang),
            Identity(channel="telegram", external_id=f"bench-{lang}", user_id=0),
        )
        uow.commit()
    return f"bench-{lang}"


def test_two_rounds_in_every_language(sqlite_uow_factory, rasa_nlu):
    dispatcher = make_dispatcher(sqlite_uow_factory, nlu=rasa_nlu)
    catalog = dispatcher.catalog
    groups = len(load_knowledge().parties)
    ids, numbers = itertools.count(1), itertools.count(1)
    confirmed: dict[str, list[str]] = {"project": [], "circle": []}
    for lang in LANG_TAGS:
        chat = _user(sqlite_uow_factory, lang)

        def send(chat: str = chat, **kw):
            out = dispatcher.handle(
                Incoming(channel="telegram", chat_id=chat, user_ref=chat, message_id=str(next(ids)), **kw)
            )
            return out.replies

        menu = send(command="menu")[-1]
        script = cs.build(tuple(b.data for b in menu.buttons))
        assert len([s for s in script if s.kind == "button"]) == 4 * len(
            [s for s in script if s.kind == "text"]
        )
        rnd = cs.Round(lang=lang)
        for step in script * 2:
            if step.kind == "text":
                replies = send(text=cs.type_text(step, rnd, next(numbers)))
            else:
                replies = send(button=step.send)
            verdicts = [
                cs.judge(step, rnd, r.text, [b.data for b in r.buttons], groups, catalog.text)
                for r in replies
            ]
            wrong = [problem for _, problem in verdicts if problem]
            assert not wrong, (lang, step.send, wrong)
            assert verdicts and verdicts[-1][0], (lang, step.send, [r.text for r in replies])
            cs.note_saved(step, rnd, confirmed)
    with sqlite_uow_factory() as uow:
        titles = list(uow.session.scalars(select(ProjectRow.title)))
        words = list(uow.session.scalars(select(StakeholderRow.how_affected)))
    assert sorted(titles) == sorted(confirmed["project"]) and len(titles) == 8
    assert sorted(words) == sorted(confirmed["circle"]) and len(words) == 16


def test_a_wrong_reply_is_caught():
    step = cs.build(("menu:new_project",))[1]  # the title, answered by the problem's question
    rnd = cs.Round(lang="fr", typed={"title": "x"})
    text = "Quel problème ou quel besoin veut-il résoudre ? Une ou deux phrases."
    assert cs.judge(step, rnd, text, ["sys:back"], 8, lambda k, lang: text) == (True, None)
    answered, problem = cs.judge(step, rnd, "Je n'ai pas compris.", ["sys:back"], 8, lambda k, lang: text)
    assert not answered and "text without" in problem
    assert cs.judge(step, rnd, "Noté.", [], 8, lambda k, lang: text) == (False, None)
