"""Faults: 429 waited out, 5xx retried, 403 marks the user unreachable, unsent replies resent,
and a restart in the middle of a dialogue resumes it; a message whose handling fails fails alone."""
from __future__ import annotations

import time

from storage.delivery import DeliveryStore
from tests.bot.helpers import invite
from tests.telegram.emulator import buttons, texts

U = 901


def _uows(url):
    from storage.db import make_engine, make_uow_factory
    engine = make_engine(url)
    return engine, make_uow_factory(engine)


def _pending(url) -> list:
    engine, _ = _uows(url)
    try:
        return DeliveryStore(engine).due("telegram")
    finally:
        engine.dispose()


def test_429_is_waited_out_and_the_reply_delivered(emulator, polling_bot, sqlite_db_url):
    bot = polling_bot(sqlite_db_url)
    emulator.inject("sendMessage", 429, count=1, retry_after=1)
    emulator.command(U, "/start")
    sent = emulator.wait_sent(U, 1)
    tries = emulator.calls_of("sendMessage", chat=U, ok=None)
    assert [c.status for c in tries] == [429, 200]
    assert tries[0].params["text"] == tries[1].params["text"] == sent[0].params["text"]
    bot.run(lambda ch: ch.runtime.drain())
    assert _pending(sqlite_db_url) == []


def test_server_errors_are_retried(emulator, polling_bot, sqlite_db_url):
    polling_bot(sqlite_db_url)
    emulator.inject("sendMessage", 500, count=2)
    emulator.inject("answerCallbackQuery", 502, count=1)
    emulator.command(U, "/start")
    emulator.wait_sent(U, 1)
    emulator.press(U, "lang:fr")
    emulator.wait_sent(U, 2)
    assert [c.status for c in emulator.calls_of("sendMessage", chat=U, ok=None)][:3] == \
        [500, 500, 200]
    assert [c.status for c in emulator.calls_of("answerCallbackQuery", ok=None)] == [502, 200]


def test_a_reply_that_could_not_be_sent_is_resent_by_the_sweep(emulator, polling_bot,
                                                                sqlite_db_url):
    bot = polling_bot(sqlite_db_url)
    emulator.inject("sendMessage", 500, count=4)  # 1 try + 3 retries: all fail
    emulator.command(U, "/start")
    emulator.wait(lambda: len(emulator.calls_of("sendMessage", chat=U, ok=False)) == 4)
    bot.run(lambda ch: ch.runtime.drain())
    assert emulator.sent(U) == [] and len(_pending(sqlite_db_url)) == 1
    bot.run(lambda ch: ch.runtime.sweep(min_age=0))
    sent = emulator.sent(U)
    assert len(sent) == 1 and "lang:fr" in buttons(sent[0])
    assert _pending(sqlite_db_url) == []


def test_a_user_who_blocked_the_bot_is_marked_unreachable(emulator, polling_bot,
                                                          sqlite_db_url):
    engine, uows = _uows(sqlite_db_url)
    code = invite(uows)
    bot = polling_bot(sqlite_db_url)
    emulator.command(U, f"/start inv_{code}")
    emulator.wait(lambda: any("menu:help" in buttons(c) for c in emulator.sent(U)))
    # a send refused with 403: the user is unreachable and the reply is given up, not retried
    emulator.inject("sendMessage", 403, count=1)
    emulator.command(U, "/help")
    emulator.wait(lambda: emulator.calls_of("sendMessage", chat=U, ok=False))
    bot.run(lambda ch: ch.runtime.drain())
    with uows() as uow:
        assert uow.users.by_identity("telegram", str(U)).unreachable is True
    assert _pending(sqlite_db_url) == []
    bot.run(lambda ch: ch.runtime.sweep(min_age=0))
    assert len(emulator.calls_of("sendMessage", chat=U, ok=False)) == 1  # never resent
    # unblocking (my_chat_member "member") makes the user reachable again
    emulator.push({"my_chat_member": {
        "chat": {"id": U, "type": "private"}, "from": emulator.user(U), "date": 1700000000,
        "old_chat_member": {"status": "kicked", "until_date": 0,
                            "user": {"id": 1, "is_bot": True, "first_name": "B"}},
        "new_chat_member": {"status": "member",
                            "user": {"id": 1, "is_bot": True, "first_name": "B"}}}})
    emulator.wait(lambda: not emulator._again and emulator.confirmed > emulator.updates[-1]["update_id"])
    bot.run(lambda ch: ch.runtime.drain())
    with uows() as uow:
        assert uow.users.by_identity("telegram", str(U)).unreachable is False
    # blocking: the my_chat_member "kicked" update marks them unreachable at once
    emulator.block(U)
    emulator.wait(lambda: emulator.confirmed > emulator.updates[-1]["update_id"])
    bot.run(lambda ch: ch.runtime.drain())
    with uows() as uow:
        assert uow.users.by_identity("telegram", str(U)).unreachable is True
    engine.dispose()


def test_a_restart_in_the_middle_of_a_dialogue_resumes_it(emulator, polling_bot, db_url):
    engine, uows = _uows(db_url)
    code = invite(uows, role="official", commune="Berkane")
    first = polling_bot(db_url)
    emulator.command(U, "/start", lang="ar")
    emulator.wait_sent(U, 1)
    emulator.press(U, "lang:ary")
    n = len(emulator.wait_sent(U, 2))
    first.stop()
    # while the bot is down the user answers; the update waits at Telegram
    emulator.text(U, code)
    polling_bot(db_url)
    emulator.wait(lambda: any("menu:help" in buttons(c) for c in emulator.sent(U)[n:]))
    with uows() as uow:
        user = uow.users.by_identity("telegram", str(U))
    assert user.registered and user.language == "ary"
    engine.dispose()


def test_updates_recorded_before_a_crash_are_processed_at_start(emulator, polling_bot,
                                                                sqlite_db_url):
    """getUpdates' offset acknowledged them, the process died before handling them: they are
    in inbound_updates and the next start handles them, in order."""
    engine, _ = _uows(sqlite_db_url)
    store = DeliveryStore(engine)
    start = emulator.command(U, "/start")  # never fetched: the emulator is told it was
    emulator.confirmed = start["update_id"] + 1
    store.record("telegram", [(str(start["update_id"]), str(U), start)])
    engine.dispose()
    polling_bot(sqlite_db_url)
    sent = emulator.wait_sent(U, 1)
    assert "lang:fr" in buttons(sent[0])
    assert len(texts(sent)) == 1


def test_a_message_whose_handling_fails_is_kept_and_the_others_go_on(emulator, polling_bot,
                                                                     sqlite_db_url):
    """Messages reach the database thread together; one that fails there fails alone: it
    stays recorded (its failure counted, for a later retry), the others are answered."""
    bot = polling_bot(sqlite_db_url)
    broken, fine = U + 1, U + 2
    real = bot.channel.runtime.dispatcher.handle

    def handle(incoming, *args):
        if incoming.chat_id == str(U):
            time.sleep(0.5)  # the next two messages queue meanwhile: they go over together
        if incoming.chat_id == str(broken):
            raise RuntimeError("a bug in a handler")
        return real(incoming, *args)

    bot.channel.runtime.dispatcher.handle = handle
    emulator.command(U, "/start")
    emulator.wait(lambda: bool(bot.channel.runtime._inflight))
    failing = emulator.command(broken, "/start")
    emulator.command(fine, "/start")
    emulator.wait_sent(fine, 1)
    emulator.wait_sent(U, 1)
    engine, _ = _uows(sqlite_db_url)
    try:
        def attempts():
            with engine.connect() as conn:
                return conn.exec_driver_sql(
                    "SELECT external_id, attempts FROM inbound_updates").all()
        emulator.wait(lambda: attempts() == [(str(failing["update_id"]), 1)])
    finally:
        engine.dispose()
    assert emulator.sent(broken) == []
