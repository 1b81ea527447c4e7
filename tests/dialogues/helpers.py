"""Helpers for the dialogue conversation tests: expected catalog texts, seeding, tampering."""

from __future__ import annotations

from domain.records import Effect, Indicator, Measurement, Project, Stakeholder, TargetPublic

from bot.i18n import default_catalog
from tests.bot.helpers import BIDI_CONTROLS, Chat, make_dispatcher

CATALOG = default_catalog()
LANGS = ("fr", "ar", "ary", "ary-Latn")


def make_nlu():
    """The real fallback parser (no Rasa) when the NLU package is there, else None."""
    try:
        from nlu.service import make_nlu as _make
    except ImportError:
        return None
    return _make(None)


def text_of(key: str, lang: str, **params) -> str:
    return CATALOG.text(key, lang, **params).translate(BIDI_CONTROLS)


def expect(replies, key: str, lang: str, **params) -> str:
    """Assert the replies contain the catalog text `key` in `lang`; return the replies' text."""
    got = Chat.text(replies)
    want = text_of(key, lang, **params)
    assert want in got, f"{key} [{lang}]: {want!r} not in {got!r}"
    return got


def in_language(replies, lang: str) -> bool:
    """Rough script check: Arabic-script variants answer in Arabic letters, the others not only."""
    text = Chat.text(replies)
    arabic = sum(1 for c in text if "\u0600" <= c <= "\u06ff")
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    return arabic > latin if lang in ("ar", "ary") else latin > arabic


def registered_chat(
    uow_factory, lang="fr", role="official", commune="Berkane", user="u1", nlu="fallback"
) -> Chat:
    # registration (the onboarding's business) runs without the NLU, so that a random invite
    # code read as a command by the parser cannot make these tests flaky
    chat = Chat(make_dispatcher(uow_factory, nlu=None), user=user)
    chat.register(uow_factory, role=role, commune=commune, lang=lang)
    chat.dispatcher = make_dispatcher(uow_factory, nlu=make_nlu() if nlu == "fallback" else nlu)
    return chat


def seed_projects(uow_factory) -> tuple[int, int]:
    """A Berkane project and a fuller Tanger project; returns their ids."""
    with uow_factory() as uow:
        b = uow.projects.add(
            Project(
                commune_id="berkane",
                title="Terrain de sport Berkane",
                problem="peu d'espaces",
                activities=["rénover le terrain"],
                publics=[TargetPublic(category="youth", detail="12-18 ans", expected_number=200)],
            )
        )
        t = uow.projects.add(
            Project(
                commune_id="tanger",
                title="Accueil migrants Tanger",
                problem="accès aux services",
                activities=["ouvrir un guichet", "cours de darija"],
                publics=[TargetPublic(category="migrants", expected_number=150)],
                stakeholders=[
                    Stakeholder(
                        group="host_community",
                        kind="indirect",
                        how_affected="plus de contacts",
                        polarity="positive",
                    )
                ],
                effects=[
                    Effect(
                        statement="Les migrants obtiennent une couverture santé",
                        domain="access_services",
                        public="migrants",
                        indicators=[
                            Indicator(
                                label="% de migrants couverts",
                                unit="percent",
                                measurements=[Measurement(period="2026-S1", value=12.0)],
                            )
                        ],
                    )
                ],
            )
        )
        uow.commit()
        return b.id, t.id


def tamper(chat: Chat, **data) -> None:
    """Change the stored dialogue data by hand, as a forged request could."""
    with chat.dispatcher.uow_factory() as uow:
        conv = uow.conversations.lock(chat.channel, chat.user)
        state = dict(conv.state)
        state["data"] = {**state.get("data", {}), **data}
        conv.state = state
        uow.conversations.save(conv)
        uow.commit()
