"""Polling mode end to end: the real python-telegram-bot application long-polls the emulator."""

from __future__ import annotations

from bot.channels.telegram import utf16_len
from tests.bot.helpers import BIDI_CONTROLS, invite
from tests.telegram.emulator import buttons, texts

U = 501


def _db(url):
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(url)
    return engine, make_uow_factory(engine)


def _last_buttons(emulator, chat):
    return buttons(emulator.sent(chat)[-1])


def _pending_outbox(url) -> int:
    from sqlalchemy import text
    from storage.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar()
    finally:
        engine.dispose()


def test_start_onboarding_and_menu_by_button_presses(emulator, polling_bot, db_url):
    engine, uows = _db(db_url)
    code = invite(uows, role="official", commune="Berkane")
    engine.dispose()
    bot = polling_bot(db_url)

    emulator.command(U, "/start")
    sent = emulator.wait_sent(U, 1)
    assert "lang:fr" in buttons(sent[-1])  # onboarding asks the language first

    emulator.press(U, "lang:fr")
    n = len(emulator.wait_sent(U, 2))
    emulator.text(U, code)
    sent = emulator.wait_sent(U, n + 1)
    emulator.wait(lambda: any("menu:help" in buttons(c) for c in emulator.sent(U)))
    sent = emulator.sent(U)
    assert "Berkane" in "\n".join(texts(sent)).translate(BIDI_CONTROLS)
    n = len(sent)

    emulator.press(U, "menu:help")
    sent = emulator.wait_sent(U, n + 1)
    emulator.wait(lambda: "menu:help" in _last_buttons(emulator, U))

    # every callback query was answered, every button fits Telegram's 64 bytes
    presses = [u for u in emulator.updates if "callback_query" in u]
    answered = {c.params["callback_query_id"] for c in emulator.calls_of("answerCallbackQuery")}
    assert answered == {u["callback_query"]["id"] for u in presses}
    for call in emulator.sent(U):
        assert all(len(d.encode()) <= 64 for d in buttons(call))
        assert utf16_len(call.params["text"]) <= 4096
    # every update was acknowledged (offset) and every reply marked sent
    bot.stop()
    assert emulator.confirmed > max(u["update_id"] for u in emulator.updates)
    assert _pending_outbox(db_url) == 0
    # the command menu was set in French and Arabic
    langs = {c.params.get("language_code") for c in emulator.calls_of("setMyCommands")}
    assert {"fr", "ar"} <= langs


def test_deep_link_invite_registers_at_once(emulator, polling_bot, sqlite_db_url):
    engine, uows = _db(sqlite_db_url)
    code = invite(uows, role="staff", commune="Berkane")
    engine.dispose()
    polling_bot(sqlite_db_url)
    emulator.command(U, f"/start inv_{code}", lang="fr")
    emulator.wait(lambda: any("menu:help" in buttons(c) for c in emulator.sent(U)))
    with uows() as uow:
        user = uow.users.by_identity("telegram", str(U))
    assert user is not None and user.role == "staff" and user.commune_id


def test_the_same_update_delivered_twice_is_handled_once(emulator, polling_bot, sqlite_db_url):
    bot = polling_bot(sqlite_db_url)
    first = emulator.command(U, "/start")
    emulator.wait_sent(U, 1)
    emulator.press(U, "lang:ar")
    n = len(emulator.wait_sent(U, 2))
    again = emulator.push(dict(first))  # Telegram delivers the very same update again
    emulator.wait(lambda: not emulator._again and emulator.confirmed > again["update_id"])
    bot.run(lambda ch: ch.runtime.drain())
    assert len(emulator.sent(U)) == n  # no second answer to the duplicate /start
    assert bot.channel.runtime.stats.duplicates == 1
    # and the conversation goes on normally
    emulator.press(U, "lang:fr")
    emulator.wait_sent(U, n + 1)


def test_a_long_reply_is_split_cleanly_with_the_keyboard_last(emulator, polling_bot, sqlite_db_url):
    from domain.messages import Rendered, RenderedButton

    bot = polling_bot(sqlite_db_url)
    paragraph = "سطر بالعربية مع Berkane و 2026 — ligne en français.\n"
    text = paragraph * 300  # ~ 15 000 characters
    reply = Rendered(text=text, buttons=[RenderedButton(data="x:1", label="OK")], rtl=True, language="ar")
    bot.run(lambda ch: ch.send(str(U), reply))
    sent = emulator.sent(U)
    assert len(sent) >= 4
    assert all(utf16_len(c.params["text"]) <= 4096 for c in sent)
    assert "\n".join(texts(sent)) == text  # split at line ends: nothing lost
    assert [bool(buttons(c)) for c in sent] == [False] * (len(sent) - 1) + [True]


def test_athar_telegram_command_polls_with_the_exact_api_url_variable(emulator, tmp_path):
    """`athar telegram` (what `make run` starts when a token is set), configured by
    ATHAR_TELEGRAM_API_URL, answers /start and stops cleanly on SIGTERM."""
    import os
    import signal
    import subprocess
    import sys
    from tests.telegram.emulator import TOKEN

    env = {
        **os.environ,
        "ATHAR_TELEGRAM_TOKEN": TOKEN,
        "ATHAR_TELEGRAM_API_URL": emulator.api_url,
        "ATHAR_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "ATHAR_NLU__URL": "",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env.pop("ATHAR_TELEGRAM__API_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "telegram"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        emulator.command(U, "/start")
        sent = emulator.wait_sent(U, 1, timeout=60)
        assert "lang:fr" in buttons(sent[0])
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert TOKEN not in err  # the token never appears in the logs


PROJECT = [
    ("press", "menu:new_project"),
    ("say", "Café des jeunes"),
    ("say", "Pas de lieu pour se voir"),
    ("press", "pub:youth"),
    ("say", "15-25 ans"),
    ("say", "80"),
    ("press", "pmore:no"),
    ("say", "ouvrir un café associatif"),
    ("press", "act:done"),
    ("say", "2026"),
    ("press", "sys:confirm"),
]


def test_a_full_project_dialogue_in_arabic_with_french_answers(emulator, polling_bot, sqlite_db_url):
    """/start with an invitation, then a whole project by button presses and short answers,
    in Arabic with French names: the isolates that keep them in place reach Telegram intact."""
    engine, uows = _db(sqlite_db_url)
    code = invite(uows, role="official", commune="Berkane")
    bot = polling_bot(sqlite_db_url)
    emulator.command(U, "/start", lang="ar")
    emulator.wait_sent(U, 1)
    emulator.press(U, "lang:ar", lang="ar")
    emulator.wait_sent(U, 2)
    emulator.text(U, code, lang="ar")
    emulator.wait(lambda: any("menu:new_project" in buttons(c) for c in emulator.sent(U)))
    bot.run(lambda ch: ch.runtime.drain())
    for kind, value in PROJECT:
        n = len(emulator.sent(U))
        if kind == "press":
            offered = [d for c in emulator.sent(U)[-3:] for d in buttons(c)]
            assert value in offered, (value, offered)
            emulator.press(U, value, lang="ar")
        else:
            emulator.text(U, value, lang="ar")
        emulator.wait_sent(U, n + 1)
        bot.run(lambda ch: ch.runtime.drain())
    with uows() as uow:
        (summary,) = uow.projects.list()
        project = uow.projects.get(summary.id)
    assert project.title == "Café des jeunes"
    assert [(p.category, p.expected_number) for p in project.publics] == [("youth", 80)]
    said = "\n".join(texts(emulator.sent(U)))
    assert "\u2068Café des jeunes\u2069" in said  # French inside Arabic, isolated
    answered = {c.params["callback_query_id"] for c in emulator.calls_of("answerCallbackQuery")}
    assert len(answered) == sum(1 for u in emulator.updates if "callback_query" in u)
    engine.dispose()


def test_a_poll_invitation_deep_link_opens_the_poll(emulator, polling_bot, sqlite_db_url):
    from tests.polls.helpers import make_poll, make_project

    engine, uows = _db(sqlite_db_url)
    poll = make_poll(uows, make_project(uows))
    engine.dispose()
    bot = polling_bot(sqlite_db_url)
    assert len(poll.token) <= 64
    emulator.command(U, f"/start {poll.token}", lang="ar")
    emulator.wait(lambda: any("lang:ary" in buttons(c) or "pc:yes" in buttons(c) for c in emulator.sent(U)))
    if not any("pc:yes" in buttons(c) for c in emulator.sent(U)):
        emulator.press(U, "lang:ary", lang="ar")
        emulator.wait(lambda: any("pc:yes" in buttons(c) for c in emulator.sent(U)))
    emulator.press(U, "pc:yes", lang="ar")
    emulator.wait(lambda: any(d.startswith("pq:0:") for d in buttons(emulator.sent(U)[-1])))
    bot.run(lambda ch: ch.runtime.drain())


def test_the_commands_of_the_menu(emulator, polling_bot, sqlite_db_url):
    from bot.i18n import default_catalog

    engine, uows = _db(sqlite_db_url)
    code = invite(uows)
    engine.dispose()
    bot = polling_bot(sqlite_db_url)
    cat = default_catalog()
    emulator.command(U, f"/start inv_{code}")
    emulator.wait(lambda: any("menu:help" in buttons(c) for c in emulator.sent(U)))
    expected = {
        "/help": "help.commands",
        "/language": "language.ask",
        "/cancel": "nav.nothing_to_cancel",
        "/menu": "menu.title",
    }
    for command, key in expected.items():
        n = len(emulator.sent(U))
        emulator.command(U, command)
        emulator.wait_sent(U, n + 1)
        bot.run(lambda ch: ch.runtime.drain())
        said = "\n".join(texts(emulator.sent(U)[n:]))
        assert cat.text(key, "fr") in said, command
    # the command menu, in French and Arabic, from the catalog
    calls = {c.params.get("language_code"): c.params["commands"] for c in emulator.calls_of("setMyCommands")}
    assert [c["command"] for c in calls["ar"]] == [
        "start",
        "menu",
        "help",
        "export",
        "poll",
        "learn",
        "dashboard",
        "language",
        "cancel",
    ]
    assert calls["ar"][2]["description"] == cat.text("telegram.commands.help", "ar")
    assert calls["fr"][2]["description"] == cat.text("telegram.commands.help", "fr")
