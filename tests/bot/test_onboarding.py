"""Onboarding with an invite code typed early (first message, language question) and greetings
at the code question, through the real dispatcher."""

from __future__ import annotations

import pytest

from domain.nlu import Intent, Understanding

from tests.bot.helpers import Chat, invite, make_dispatcher
from tests.dialogues.helpers import text_of


class GuessNLU:
    """Language by script and a few Darija words; "greet" for greetings (as the real NLU)."""

    greetings = {"bonjour", "salam", "السلام عليكم", "سلام", "salut"}

    def parse(self, text, *, hint=None):
        t = text.strip().lower()
        lang = "fr"
        if any("\u0600" <= c <= "\u06ff" for c in t):
            lang = "ary" if "سلام" == t or "شنو" in t else "ar"
        elif any(w in t.split() for w in ("salam", "wach", "3afak")):
            lang = "ary-Latn"
        name = "greet" if t in self.greetings else "out_of_scope"
        return Understanding(
            text=text, language=lang, intent=Intent(name=name, confidence=0.95 if name == "greet" else 0.3)
        )


@pytest.fixture
def chat(uow_factory):
    return Chat(make_dispatcher(uow_factory, nlu=GuessNLU()))


def user(uow_factory, ref="u1"):
    with uow_factory() as uow:
        return uow.users.by_identity("console", ref)


@pytest.mark.parametrize(
    "greeting,lang",
    [("bonjour", "fr"), ("السلام عليكم", "ar"), ("سلام", "ary"), ("salam wach labas", "ary-Latn")],
)
def test_a_code_typed_at_the_language_question_keeps_the_guessed_language(chat, uow_factory, greeting, lang):
    r = chat.say(greeting)
    assert chat.buttons(r)[:4] == ["lang:fr", "lang:ar", "lang:ary", "lang:ary-Latn"]
    code = invite(uow_factory, "official", "Berkane")
    r = chat.say(f"{code[:4]}-{code[4:]}")
    assert text_of("menu.title", lang) in chat.text(r)
    assert r[-1].language == lang
    u = user(uow_factory)
    assert (u.role, u.commune_id, u.language) == ("official", "berkane", lang)


def test_the_code_as_the_first_message(chat, uow_factory):
    code = invite(uow_factory, "staff", "Tanger")
    r = chat.say(code.lower())
    assert text_of("menu.title", "fr") in chat.text(r)
    assert user(uow_factory).role == "staff"


def test_a_wrong_code_typed_early_goes_to_the_code_question(chat, uow_factory):
    chat.say("السلام عليكم")
    r = chat.say("ZZZZ-ZZZZ")
    text = chat.text(r)
    assert text_of("onboarding.code_unknown", "ar") in text
    assert text_of("onboarding.ask_code", "ar") in text
    assert chat.state()["step"] == "code"
    r = chat.say(invite(uow_factory))
    assert text_of("menu.title", "ar") in chat.text(r)


def test_a_word_of_eight_letters_is_not_taken_for_a_code(chat, uow_factory):
    chat.say("bonjour")
    r = chat.say("mzyanbzf")
    assert text_of("common.choose_option", "fr", n=4) in chat.text(r)
    assert user(uow_factory) is None


@pytest.mark.parametrize(
    "lang,greeting", [("fr", "Bonjour"), ("ar", "السلام عليكم"), ("ary", "سلام"), ("ary-Latn", "salam")]
)
def test_a_greeting_at_the_code_question_is_answered_as_one(chat, uow_factory, lang, greeting):
    chat.say("hello")
    chat.press(f"lang:{lang}")
    r = chat.say(greeting)
    text = chat.text(r)
    assert text_of("onboarding.greeting_back", lang) in text
    assert text_of("onboarding.ask_code", lang) in text
    assert text_of("onboarding.code_unknown", lang) not in text
    r = chat.say("je voudrais m'inscrire s'il vous plaît" if lang == "fr" else "bghit ndkhol")
    assert text_of("onboarding.not_a_code", lang) in chat.text(r)
    r = chat.say(invite(uow_factory))
    assert text_of("menu.title", lang) in chat.text(r)


def test_greetings_are_known_without_the_nlu(uow_factory):
    chat = Chat(make_dispatcher(uow_factory, nlu=None))
    chat.say("x")
    chat.press("lang:ary-Latn")
    r = chat.say("salam alaykoum")
    assert text_of("onboarding.greeting_back", "ary-Latn") in chat.text(r)
