"""Conversations through the real dispatcher on the real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from domain.messages import Incoming
from domain.nlu import Intent, Understanding

from tests.bot.helpers import Chat, invite, make_dispatcher

AR = "\u0600-\u06ff"


class KeywordNLU:
    """A fake NLU for unit tests: a few fixed words → intents, language by script."""

    table = {
        "aide": "help",
        "3awni": "help",
        "annuler": "cancel",
        "menu": "menu",
        "retour": "back",
        "langue": "change_language",
    }

    def parse(self, text, *, hint=None):
        lang = "ar" if any("\u0600" <= c <= "\u06ff" for c in text) else "fr"
        name = self.table.get(text.strip().lower(), "out_of_scope")
        return Understanding(
            text=text,
            language=lang,
            command_only=name != "out_of_scope",
            intent=Intent(name=name, confidence=0.95 if name != "out_of_scope" else 0.4),
        )


@pytest.fixture
def chat(uow_factory):
    return Chat(make_dispatcher(uow_factory, nlu=KeywordNLU()))


def test_onboarding_in_french_with_an_invite_code(chat, uow_factory):
    r = chat.say("bonjour")
    assert "Athar" in chat.text(r)
    assert chat.buttons(r)[:4] == ["lang:fr", "lang:ar", "lang:ary", "lang:ary-Latn"]
    r = chat.say("1")  # a typed number selects the option
    assert "code d'invitation" in chat.text(r)
    r = chat.say("ZZZZ-ZZZZ")
    assert "Je ne trouve pas ce code" in chat.text(r)
    code = invite(uow_factory, "official", "Berkane")
    r = chat.say(code[:4].lower() + " " + code[4:].lower())  # case and spaces do not matter
    text = chat.text(r)
    assert "élu·e de la commune de Berkane" in text and "Que voulez-vous faire" in text
    with uow_factory() as uow:
        user = uow.users.by_identity("console", "u1")
        assert user.role == "official" and user.commune_id == "berkane" and user.language == "fr"
        assert uow.invites.by_code(code).used_by == user.id


def test_a_reused_or_expired_code_is_refused(chat, uow_factory):
    code = invite(uow_factory)
    chat.say("salam")  # the first user spends the code
    chat.press("lang:fr")
    chat.say(code)
    other = Chat(chat.dispatcher, user="u2")
    other.say("bonjour")
    other.press("lang:ary-Latn")
    r = other.say(code)
    assert "tkhdem bih men 9bel" in other.text(r)
    expired = invite(uow_factory)
    with uow_factory() as uow:  # expire it by hand
        inv = uow.invites.by_code(expired)
        inv.expires_at = datetime.now(timezone.utc) - timedelta(days=1)
        uow.invites.save(inv)
        uow.commit()
    r = other.say(expired)
    assert "salat salahiya" in other.text(r)


@pytest.mark.parametrize(
    "lang,needle", [("ar", "رمز دعوة"), ("ary", "كود ديال الدعوة"), ("ary-Latn", "code dyal da3wa")]
)
def test_onboarding_in_each_language(chat, uow_factory, lang, needle):
    chat.say("سلام")
    r = chat.press(f"lang:{lang}")
    assert needle in chat.text(r)
    r = chat.say(invite(uow_factory, "staff", "Tanger"))
    assert ("طنجة" in chat.text(r)) == (lang in ("ar", "ary"))
    assert r[-1].rtl == (lang in ("ar", "ary"))


def test_the_first_message_guesses_the_language(chat):
    r = chat.say("السلام عليكم")
    assert r[0].language == "ar" and r[0].rtl
    assert chat.buttons(r)[:4] == ["lang:fr", "lang:ar", "lang:ary", "lang:ary-Latn"]  # always


def test_a_message_delivered_twice_is_handled_once(chat):
    chat.say("bonjour")
    first = chat.dispatcher.handle(
        Incoming(channel="console", chat_id="u1", user_ref="u1", message_id="tg-42", button="lang:fr")
    )
    version = _version(chat)
    again = chat.dispatcher.handle(
        Incoming(channel="console", chat_id="u1", user_ref="u1", message_id="tg-42", button="lang:fr")
    )
    assert first.replies and not again.replies and again.duplicate
    assert _version(chat) == version


def _version(chat) -> int:
    with chat.dispatcher.uow_factory() as uow:
        return uow.conversations.get("console", "u1").version


def test_bad_input_gets_a_clear_answer_in_the_users_language(chat, uow_factory):
    chat.register(uow_factory, lang="ary")
    before = chat.state()
    cases = {
        "": "خاوي",
        "x" * 10_000: "",  # at the menu: a long text is not a choice
        "🙂🙂🙂": "",
        "Berkane بركان 2026 projet": "",
    }
    for text, needle in cases.items():
        r = chat.say(text)
        assert r, f"no answer to {text[:20]!r}"
        assert needle in chat.text(r)
        assert any(ch for ch in chat.text(r) if "\u0600" <= ch <= "\u06ff"), "answer not in Darija"
    r = chat.command("frobnicate")
    assert "/frobnicate" in chat.text(r) and "ما كنعرفش" in chat.text(r)
    assert chat.state()["dialogue"] == before["dialogue"] == "menu"


def test_a_long_message_at_a_text_step_is_refused_with_its_length(chat):
    chat.say("bonjour")
    chat.press("lang:fr")
    r = chat.say("A" * 10_000)  # the invite code step takes 64 characters at most
    assert "10000" in chat.text(r) and "64" in chat.text(r)
    assert chat.state()["step"] == "code"


def test_global_intents_come_first(chat, uow_factory):
    chat.register(uow_factory)
    r = chat.say("aide")
    assert "pas à pas" in chat.text(r) and "Que voulez-vous faire" in chat.text(r)
    r = chat.command("language")
    assert chat.buttons(r)[0].startswith("lang:")
    r = chat.press("lang:ary-Latn")
    assert "darija" in chat.text(r).lower() and "Chno bghiti dir" in chat.text(r)
    r = chat.command("cancel")
    assert "walo" in chat.text(r).lower()
    r = chat.command("menu")
    assert "Chno bghiti dir" in chat.text(r)


def test_state_survives_a_new_dispatcher(uow_factory):
    """A restart (new process, same database) resumes at the same step."""
    a = Chat(make_dispatcher(uow_factory))
    a.say("bonjour")
    a.press("lang:fr")
    b = make_dispatcher(uow_factory)
    replies, lang = b.current_prompt("console", "u1", "u1")
    assert lang == "fr" and "code d'invitation" in replies[0].text
    r = Chat(b).say("nope")
    assert "Un code d'invitation a 8 lettres et chiffres" in Chat.text(r)  # still at the code


def test_two_messages_at_once_leave_a_consistent_state(uow_factory):
    """Run on PostgreSQL (row lock) and on SQLite (serialised writers)."""
    chat = Chat(make_dispatcher(uow_factory, nlu=KeywordNLU()))
    chat.register(uow_factory)
    v0 = _version(chat)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            barrier.wait()
            chat.dispatcher.handle(
                Incoming(channel="console", chat_id="u1", user_ref="u1", message_id=f"c{i % 4}", text="aide")
            )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    # 8 deliveries of 4 distinct messages: each handled exactly once, serially
    assert _version(chat) == v0 + 4
    assert chat.state()["dialogue"] == "menu"


def test_an_invite_code_is_never_read_as_a_command(uow_factory):
    """Even when the NLU is sure that the code means 'menu', the code step takes it literally."""

    class SureMenu(KeywordNLU):
        def parse(self, text, *, hint=None):
            return Understanding(
                text=text, language="fr", intent=Intent(name="menu", confidence=0.99), command_only=True
            )

    chat = Chat(make_dispatcher(uow_factory, nlu=SureMenu()))
    chat.press("lang:fr")
    code = invite(uow_factory)
    r = chat.say(code)
    assert "élu·e de la commune de Berkane" in chat.text(r)


def test_a_slow_job_reads_apart_and_does_not_hold_up_other_messages(db_url):
    """An export runs (Dispatcher.fulfil) in a reading unit of work of the app's read engine:
    while it is still running, another user's message is handled, with the dispatcher's units
    of work taking turns on the gate as in the Telegram channel (on SQLite a job holding the
    write lock would stop everyone until it ends)."""
    from concurrent.futures import ThreadPoolExecutor

    from domain.messages import Rendered, Reply

    from bot.app import build_app
    from storage.delivery import Gate
    from bot.settings import get_settings

    app = build_app(get_settings(), nlu=None, database_url=db_url)
    d = app.dispatcher
    d.uow_factory = Gate(app.db_engine).wrap(d.uow_factory)
    reading, release = threading.Event(), threading.Event()

    def slow_job(services, uow, params):
        uow.conversations.get("console", "nobody")  # its snapshot begins
        reading.set()
        release.wait(10)
        return Reply.of("common.error")

    d.services.handlers.jobs["slow"] = slow_job
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            job = pool.submit(d.fulfil, Rendered(text="", job={"kind": "slow"}))
            assert reading.wait(10)
            out = d.handle(
                Incoming(
                    channel="console", chat_id="other", user_ref="other", message_id="m-other", text="bonjour"
                )
            )
            handled_while_the_job_ran = not job.done()
            release.set()
            assert job.result(10).text
        assert out.replies and handled_while_the_job_ran
    finally:
        release.set()
        app.close()


@pytest.mark.parametrize(
    "typed, intent, step",
    [
        ("Recommencer", "restart", "title"),  # "🆕 Recommencer" typed at "resume the draft?"
        ("Reprendre", "restart", "problem"),
    ],
)
def test_a_label_typed_at_the_engines_own_questions_beats_a_command(uow_factory, typed, intent, step):
    """The NLU reads "N3awdo mn lowl" / "Recommencer" as `restart` at 0.98; typed at the resume
    question it is that question's button, not the command that drops everything."""

    class SureCommand(KeywordNLU):
        def parse(self, text, *, hint=None):
            if text == typed:
                return Understanding(
                    text=text, language="fr", intent=Intent(name=intent, confidence=0.98), command_only=True
                )
            return super().parse(text, hint=hint)

    chat = Chat(make_dispatcher(uow_factory, nlu=SureCommand()))
    chat.press("lang:fr")
    chat.say(invite(uow_factory))
    chat.press("menu:new_project")
    chat.say("Ateliers emploi jeunes")
    assert chat.state()["step"] == "problem"
    r = chat.say("menu")  # leaving with an answer given: asked first
    if chat.state()["dialogue"] != "menu":
        chat.press(chat.buttons(r)[0])
    chat.press("menu:new_project")
    assert chat.state()["step"] == "__resume__"
    chat.say(typed)
    assert chat.state()["dialogue"] == "project" and chat.state()["step"] == step
