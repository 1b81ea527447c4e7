"""Faults: 429 waited out, 5xx retried with back-off (the sweep the last resort), a failed mark
tried again, a database blip waited out, a stop within its deadline, 403 marks the user
unreachable, a restart in the middle of a dialogue resumes it, a message whose handling keeps
failing is a dead letter and its sender told, and the bot does its own housekeeping."""

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
    assert [c.status for c in emulator.calls_of("sendMessage", chat=U, ok=None)][:3] == [500, 500, 200]
    assert [c.status for c in emulator.calls_of("answerCallbackQuery", ok=None)] == [502, 200]


def test_an_outage_of_a_few_seconds_is_ridden_out_without_the_sweep(emulator, polling_bot, sqlite_db_url):
    """5xx for three seconds: the reply is tried again with growing pauses (0.5 s, 1 s, 2 s...)
    and arrives once the outage is over; the sweep (never due in this test) is not needed."""
    bot = polling_bot(sqlite_db_url, sweep_interval=3600)
    emulator.inject("sendMessage", 502, seconds=3.0)
    emulator.command(U, "/start")
    sent = emulator.wait_sent(U, 1)
    tries = emulator.calls_of("sendMessage", chat=U, ok=None)
    assert [c.status for c in tries][-1] == 200 and len(tries) >= 3
    gaps = [b.at - a.at for a, b in zip(tries, tries[1:])]
    assert gaps == sorted(gaps) and gaps[0] < 1.0  # backing off, from under a second
    assert "lang:fr" in buttons(sent[0])
    bot.run(lambda ch: ch.runtime.drain())
    assert _pending(sqlite_db_url) == []


def test_a_reply_that_could_not_be_sent_is_resent_by_the_sweep(emulator, polling_bot, sqlite_db_url):
    """An outage longer than the runtime's patience: the reply stays in the outbox, and the
    sweep sends it once the channel is back."""
    bot = polling_bot(sqlite_db_url, patience=1.5, sweep_interval=3600)
    emulator.inject("sendMessage", 500, seconds=600)
    emulator.command(U, "/start")
    emulator.wait(lambda: len(emulator.calls_of("sendMessage", chat=U, ok=False)) >= 2)
    bot.run(lambda ch: ch.runtime.drain())
    assert emulator.sent(U) == [] and len(_pending(sqlite_db_url)) == 1
    emulator.faults.clear()
    bot.run(lambda ch: ch.runtime.sweep(min_age=0))
    sent = emulator.sent(U)
    assert len(sent) == 1 and "lang:fr" in buttons(sent[0])
    assert _pending(sqlite_db_url) == []


def test_the_sweep_resends_a_chat_s_replies_joined_as_they_were(emulator, polling_bot, sqlite_db_url):
    """/help is answered with several outbox items joined into one message; when that message
    could not be sent, the sweep sends the same one message (not one per outbox item)."""
    engine, uows = _uows(sqlite_db_url)
    code = invite(uows)
    engine.dispose()
    bot = polling_bot(sqlite_db_url, patience=1.5, sweep_interval=3600)
    emulator.command(U, f"/start inv_{code}")
    emulator.wait(lambda: any("menu:help" in buttons(c) for c in emulator.sent(U)))
    emulator.command(U, "/help")
    (live,) = [c for c in emulator.wait_sent(U, 2)[1:]]
    emulator.inject("sendMessage", 500, seconds=600)
    emulator.command(U, "/help")
    emulator.wait(lambda: len(emulator.calls_of("sendMessage", chat=U, ok=False)) >= 2)
    bot.run(lambda ch: ch.runtime.drain())
    assert len(_pending(sqlite_db_url)) >= 2  # one answer, several outbox items
    emulator.faults.clear()
    bot.run(lambda ch: ch.runtime.sweep(min_age=0))
    resent = emulator.sent(U)[2:]
    assert [c.params["text"] for c in resent] == [live.params["text"]]
    assert buttons(resent[0]) == buttons(live)
    assert _pending(sqlite_db_url) == []


def test_a_failed_mark_sent_is_tried_again_and_nothing_is_sent_twice(emulator, polling_bot, sqlite_db_url):
    from sqlalchemy.exc import OperationalError

    bot = polling_bot(sqlite_db_url, sweep_interval=3600)
    store = bot.channel.runtime.store
    real, failures = store.finish, []

    def finish(channel, updates):
        if len(failures) < 2:
            failures.append(updates)
            raise OperationalError("UPDATE outbox", {}, Exception("connection lost"))
        return real(channel, updates)

    store.finish = finish
    emulator.command(U, "/start")
    emulator.wait_sent(U, 1)
    bot.run(lambda ch: ch.runtime.drain())
    assert len(failures) == 2 and _pending(sqlite_db_url) == []
    bot.run(lambda ch: ch.runtime.sweep(min_age=0))
    assert len(emulator.sent(U)) == 1  # marked in the end: the sweep had nothing to resend


def test_a_database_blip_while_handling_is_waited_out(emulator, polling_bot, sqlite_db_url):
    """The database away for a moment (OperationalError twice): the message is handled once it
    is back, within seconds, and that does not count as a failure of the message."""
    from sqlalchemy.exc import OperationalError

    bot = polling_bot(sqlite_db_url, sweep_interval=3600)
    runtime = bot.channel.runtime
    real, blips = runtime.dispatcher.handle, []

    def handle(incoming, *args):
        if len(blips) < 2:
            blips.append(incoming.message_id)
            raise OperationalError("SELECT", {}, Exception("terminating connection"))
        return real(incoming, *args)

    runtime.dispatcher.handle = handle
    emulator.command(U, "/start")
    sent = emulator.wait_sent(U, 1)
    assert "lang:fr" in buttons(sent[0]) and len(blips) == 2
    bot.run(lambda ch: ch.runtime.drain())
    assert runtime.store.dead_letters() == [] and runtime.store.pending("telegram") == []


def test_a_stop_ends_within_its_deadline_whatever_the_rate_limiter_holds(
    emulator, polling_bot, sqlite_db_url
):
    """Telegram asks to wait a minute (429): stopping does not wait it out. The reply stays in
    the outbox, and the next start sends it, once."""
    bot = polling_bot(sqlite_db_url, drain_timeout=1.0)
    emulator.inject("sendMessage", 429, count=1, retry_after=60)
    emulator.command(U, "/start")
    emulator.wait(lambda: emulator.calls_of("sendMessage", chat=U, ok=False))
    started = time.monotonic()
    bot.stop()
    assert time.monotonic() - started < 10  # not the minute the rate limiter was waiting
    assert len(_pending(sqlite_db_url)) == 1
    polling_bot(sqlite_db_url)
    sent = emulator.wait_sent(U, 1)
    assert "lang:fr" in buttons(sent[0])
    assert len(emulator.calls_of("sendMessage", chat=U)) == 1


def test_a_user_who_blocked_the_bot_is_marked_unreachable(emulator, polling_bot, sqlite_db_url):
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
    emulator.push(
        {
            "my_chat_member": {
                "chat": {"id": U, "type": "private"},
                "from": emulator.user(U),
                "date": 1700000000,
                "old_chat_member": {
                    "status": "kicked",
                    "until_date": 0,
                    "user": {"id": 1, "is_bot": True, "first_name": "B"},
                },
                "new_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True, "first_name": "B"}},
            }
        }
    )
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


def test_updates_recorded_before_a_crash_are_processed_at_start(emulator, polling_bot, sqlite_db_url):
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


def test_a_message_whose_handling_keeps_failing_is_a_dead_letter_and_its_sender_told(
    emulator, polling_bot, db_url
):
    """A bug that fails one message every time: tried `handle_attempts` times within seconds,
    then kept as a dead letter, and its sender gets the error message in their language (here
    Arabic, from Telegram's language code); the others are answered meanwhile."""
    from bot.i18n import default_catalog

    bot = polling_bot(db_url, sweep_interval=3600)
    runtime = bot.channel.runtime
    broken, fine = U + 1, U + 2
    real = runtime.dispatcher.handle

    def handle(incoming, *args):
        if incoming.chat_id == str(U):
            time.sleep(0.5)  # the next two messages queue meanwhile: they go over together
        if incoming.chat_id == str(broken):
            raise RuntimeError("a bug in a handler")
        return real(incoming, *args)

    runtime.dispatcher.handle = handle
    emulator.command(U, "/start")
    emulator.wait(lambda: bool(runtime._inflight))
    failing = emulator.command(broken, "/start", lang="ar")
    emulator.command(fine, "/start")
    emulator.wait_sent(fine, 1)
    emulator.wait_sent(U, 1)
    (told,) = emulator.wait_sent(broken, 1)
    assert told.params["text"] == default_catalog().text("common.error", "ar")
    bot.run(lambda ch: ch.runtime.drain())
    (dead,) = runtime.store.dead_letters()
    assert (dead["external_id"], dead["stage"], dead["attempts"]) == (
        str(failing["update_id"]),
        "handle",
        runtime.handle_attempts,
    )
    assert "RuntimeError: a bug in a handler" in dead["error"]
    assert runtime.store.pending("telegram") == [] and _pending(db_url) == []


def test_a_running_bot_does_its_own_housekeeping(emulator, polling_bot, sqlite_db_url):
    """Nobody set up `athar db prune`: the channel's sweep runs it every `prune_interval`."""
    from datetime import timedelta
    from domain.ports import OutboxItem
    from domain.records import utcnow
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(sqlite_db_url)
    uows = make_uow_factory(engine)
    long_ago = utcnow() - timedelta(days=90)
    with uows() as uow:
        uow.outbox.add(
            OutboxItem(
                channel="telegram", chat_id="9", payload={"old": True}, created_at=long_ago, sent_at=long_ago
            )
        )
        uow.commit()

    def old_items() -> int:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar()

    assert old_items() == 1
    polling_bot(sqlite_db_url, sweep_interval=0.05, prune_interval=0.1)
    emulator.wait(lambda: old_items() == 0, timeout=30)
    engine.dispose()
