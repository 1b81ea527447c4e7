"""Test doubles and set-up shared by the effect dialogue tests."""

from __future__ import annotations

import re

from domain.nlu import Entity, Intent, Understanding
from domain.records import Project, TargetPublic

from tests.bot.helpers import Chat, make_dispatcher

DONT_KNOW = re.compile(r"je ne sais pas|ma ?3r(e)?ftch|ما عرفتش|لا أعرف", re.I)
MONTHS = re.compile(r"(\d+)\s*(mois|chhor|chher|شهور|شهر|أشهر)", re.I)
PERCENT = re.compile(r"(\d+)\s*%")


class TinyNLU:
    """A stand-in for the NLU in dialogue tests: dont_know, durations in months, percents."""

    def parse(self, text, *, hint=None):
        lang = "ar" if re.search(r"[\u0600-\u06ff]", text) else "fr"
        ents = []
        if m := MONTHS.search(text):
            ents.append(Entity(entity="duration", value=float(m.group(1)), start=m.start(), end=m.end()))
        if m := PERCENT.search(text):
            ents.append(Entity(entity="percent", value=float(m.group(1)), start=m.start(), end=m.end()))
            ents.append(Entity(entity="number", value=float(m.group(1)), start=m.start(), end=m.end()))
        name, conf = ("dont_know", 0.95) if DONT_KNOW.search(text) else ("nlu_fallback", 0.2)
        return Understanding(
            text=text,
            language=lang,
            intent=Intent(name=name, confidence=conf),
            entities=ents,
            engine="fallback",
        )


def make_project(uow_factory, commune="berkane", title="Ateliers emploi jeunes", publics=("youth",)) -> int:
    with uow_factory() as uow:
        p = uow.projects.add(
            Project(
                commune_id=commune,
                title=title,
                problem="chômage des jeunes après le bac",
                publics=[TargetPublic(category=c, expected_number=120) for c in publics],
            )
        )
        uow.commit()
        return p.id


def registered_chat(uow_factory, lang="fr", user="u1", commune="Berkane", nlu=None) -> Chat:
    chat = Chat(make_dispatcher(uow_factory, nlu=nlu or TinyNLU()), user=user)
    chat.register(uow_factory, "official", commune, lang)
    return chat
