"""The faults of the table (issue 14), each against the real bot process: see harness.py for how
a run is counted. Each `fault_*` function returns its `Row`; `FAULTS` lists them in the order
of the table. Sizes: "short" for `make test`, "full" for `make faults`."""
from __future__ import annotations

import random
import time

from tests.faults.harness import Row, Run

STOP_DEADLINE = 10.0  # seconds a process manager usually waits after SIGTERM before SIGKILL


def _load_with(run: Run, row: Row, mode: str, during, users: int, **bot_kw) -> Row:
    """Users at the menu send commands while `during(bot, users)` does its harm; then the
    senders stop and everything sent is counted."""
    bot = run.bot(mode, **bot_kw).start()
    people = run.users(users)
    people.learn()
    people.start()
    try:
        during(bot, people)
    finally:
        if not bot.alive:
            bot.start()
        people.stop()
    return people.count(row)


def _kill_9(mode: str):
    def fault(run: Run) -> Row:
        kills = run.n(2, 20)
        users = run.n(8, 40)
        row = Row(f"kill -9 under load ({mode})")
        rnd = random.Random(14)

        def during(bot, people):
            for _ in range(kills):
                time.sleep(rnd.uniform(1.0, 3.0))
                bot.kill()
                bot.start()
            time.sleep(1.0)
        _load_with(run, row, mode, during, users)
        row.max_duplicated = kills * users
        worst = max(people_dups(run).values(), default=0)
        row.note = f"{kills} kills; at most {worst} duplicate(s) per chat"
        if worst > kills:
            row.problems.append(f"a chat got {worst} duplicates in {kills} crashes")
        return row
    return fault


def people_dups(run: Run) -> dict[int, int]:
    return run.last_users.per_chat_duplicates() if run.last_users else {}


def fault_kill_9_polling(run: Run) -> Row:
    return _kill_9("polling")(run)


def fault_kill_9_webhook(run: Run) -> Row:
    return _kill_9("webhook")(run)


def _sigterm(mode: str, flood: bool):
    def fault(run: Run) -> Row:
        what = "SIGTERM during flood control" if flood else "SIGTERM under load"
        row = Row(f"{what} ({mode})")
        stops: list[float] = []

        def during(bot, people):
            time.sleep(2.0)
            if flood:  # Telegram asks to wait a minute: the rate limiter holds the replies
                run.emulator.inject("sendMessage", 429, count=5, retry_after=60)
                time.sleep(1.0)
            stops.append(bot.terminate())
            run.emulator.faults.clear()
            bot.start()
            time.sleep(1.0)
        _load_with(run, row, mode, during, run.n(10, 40))
        row.note = f"stopped in {max(stops):.1f} s"
        if max(stops) > STOP_DEADLINE:
            row.problems.append(f"the stop took {max(stops):.1f} s (> {STOP_DEADLINE:.0f} s)")
        return row
    return fault


def fault_sigterm_under_load_polling(run: Run) -> Row:
    return _sigterm("polling", flood=False)(run)


def fault_sigterm_during_flood_control_polling(run: Run) -> Row:
    return _sigterm("polling", flood=True)(run)


def fault_sigterm_during_flood_control_webhook(run: Run) -> Row:
    return _sigterm("webhook", flood=True)(run)


def fault_429_and_5xx(run: Run) -> Row:
    """Windows of 5xx (a few seconds each) and bursts of 429 on sendMessage while users talk:
    every answer arrives, once, without waiting for the sweep."""
    row = Row("429 and 5xx windows")
    slow: list[float] = []

    def during(bot, people):
        for i in range(run.n(2, 6)):
            time.sleep(1.5)
            run.emulator.inject("sendMessage", 502 if i % 2 else 500, seconds=2.5)
            time.sleep(3.0)
            run.emulator.inject("sendMessage", 429, count=run.n(5, 20), retry_after=1)
        time.sleep(2.0)
    _load_with(run, row, "polling", during, run.n(8, 30),
               env={"ATHAR_TELEGRAM__MAX_RETRIES": "3"})
    worst = max(run.last_users.answer_times(), default=0.0)
    row.note = f"slowest answer {worst:.1f} s"
    if worst > 15.0:  # the sweep runs after 30 s: an answer this late waited for it
        row.problems.append(f"an answer took {worst:.1f} s (the sweep's, not the retries')")
    return row




# ---------------------------------------------------------------------------------------------
# Deliveries: the same update more than once, forged webhook calls, poison

def _duplicates(mode: str):
    def fault(run: Run) -> Row:
        """Telegram delivers updates again (a webhook retry, an offset not yet confirmed):
        every third message twice at once, every fifth once more a moment later."""
        row = Row(f"duplicate deliveries ({mode})")
        again = {"n": 0}

        def on_sent(update):
            again["n"] += 1
            if again["n"] % 3 == 0:
                run.emulator.push(dict(update))
                again["extra"] = again.get("extra", 0) + 1
            if again["n"] % 5 == 0:
                import threading
                threading.Timer(0.3, lambda: run.emulator.push(dict(update))).start()
                again["extra"] = again.get("extra", 0) + 1
        bot = run.bot(mode).start()
        people = run.users(run.n(8, 30))
        people.learn()
        people.on_sent = on_sent
        people.start()
        time.sleep(run.n(6, 30))
        people.stop()
        people.count(row)
        row.note = f"{again.get('extra', 0)} extra deliveries"
        assert bot.alive
        return row
    return fault


def fault_duplicate_deliveries_polling(run: Run) -> Row:
    return _duplicates("polling")(run)


def fault_duplicate_deliveries_webhook(run: Run) -> Row:
    return _duplicates("webhook")(run)


def fault_forged_webhooks(run: Run) -> Row:
    """While users talk, someone posts to the webhook: no secret, a wrong one (one character
    off, another length, empty), a right-looking update for a registered user's chat. Every
    forged call must be refused (403) and none answered; `tries` counts the users' messages and
    the forged calls, a forged call accepted is a leak."""
    import httpx
    from tests.faults.harness import SECRET
    row = Row("forged webhooks")
    bot = run.bot("webhook").start()
    people = run.users(run.n(6, 20))
    people.learn()
    people.start()
    victim = people.ids[0]
    forged = 0
    accepted = 0
    secrets_ = [None, "", SECRET[:-1] + ("x" if SECRET[-1] != "x" else "y"), SECRET + "0",
                SECRET.upper(), "s" * 256]
    url = f"http://127.0.0.1:{bot.port}/telegram"
    with httpx.Client(trust_env=False, timeout=10) as client:
        for i in range(run.n(30, 300)):
            secret = secrets_[i % len(secrets_)]
            headers = {"Content-Type": "application/json"}
            if secret is not None:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            update = {"update_id": 900_000_000 + i, "message": {
                "message_id": i, "date": int(time.time()),
                "chat": {"id": victim, "type": "private"},
                "from": {"id": victim, "is_bot": False, "first_name": "X"},
                "text": "/help" if i % 2 else "/menu"}}
            r = client.post(url, json=update, headers=headers)
            forged += 1
            if r.status_code != 403:
                accepted += 1
            time.sleep(0.02)
    people.stop()
    people.count(row)
    row.tries += forged
    row.survived += forged - accepted
    row.leaks += accepted
    row.note = f"{forged} forged calls, {accepted} accepted"
    return row


def _poison(mode: str, pg_note: str = ""):
    def fault(run: Run) -> Row:
        """Updates no one could store or read as they are (NUL, lone surrogates, NaN, a caption
        with NUL, nesting 32,000 deep) arrive among the users' messages: each poison update is
        answered or kept as a dead letter, every other user is answered meanwhile."""
        from tests.telegram.test_poison import DEEP, POISON, _deep
        row = Row(f"poison messages ({mode}{', ' + pg_note if pg_note else ''})")
        bot = run.bot(mode).start()
        people = run.users(run.n(6, 20))
        people.learn()
        people.start()
        rounds = run.n(2, 10)
        senders = []
        for r in range(rounds):
            for uid, raw in POISON.items():
                chat = 70_000 + r * 100 + uid % 100
                run.emulator.push_raw(raw.replace(str(uid), str(chat)))
                senders.append(chat)
            run.emulator.push_raw(_deep(DEEP))
            run.emulator.push_raw(_deep(40))
            time.sleep(1.0)
        people.stop()
        people.count(row)
        # each poison sender answered (made storable), the two unreadable ones dead letters
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            unanswered = [c for c in senders if not run.emulator.sent(c)]
            dead = _dead_letters(run.db_url)
            if not unanswered and dead >= 2 * rounds:
                break
            time.sleep(0.5)
        row.tries += len(senders) + 2 * rounds
        row.survived += len(senders) - len(unanswered) + min(dead, 2 * rounds)
        row.lost += len(unanswered) + max(0, 2 * rounds - dead)
        row.note = f"{len(senders) + 2 * rounds} poison updates, {dead} dead letters"
        if unanswered:
            row.problems.append(f"poison senders not answered: {unanswered}")
        if not bot.alive:
            row.problems.append("the bot stopped")
        return row
    return fault


def _dead_letters(db_url: str) -> int:
    from storage.db import make_engine
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM dead_letters").scalar()
    finally:
        engine.dispose()


def fault_poison_messages_polling(run: Run) -> Row:
    return _poison("polling")(run)


def fault_poison_messages_webhook(run: Run) -> Row:
    return _poison("webhook")(run)




# ---------------------------------------------------------------------------------------------
# The NLU

def fault_nlu_down_slow_garbled(run: Run) -> Row:
    """Users type free text while the NLU (the real Rasa behind a proxy) goes down, answers
    503, answers after 5 s (its timeout is 3 s), answers garbage or JSON of the wrong shape,
    hangs: every text is answered (by the fallback parser meanwhile), nothing crashes."""
    from tests.faults.harness import NluProxy
    row = Row("NLU down, slow, garbled" + ("" if run.rasa_url else " (no Rasa behind)"))
    proxy = NluProxy(run.rasa_url).start()
    try:
        bot = run.bot("polling", nlu_url=proxy.url).start()
        people = run.users(run.n(6, 20), script="texts")
        people.learn()
        people.start()
        # each failure, then long enough a healthy Rasa for the NLU's circuit breaker (which
        # skips Rasa for 1 s, 2 s, 4 s... after each failure) to try it again
        modes = ["down", "slow", "garbled"] if run.short else \
            ["down", "refuse", "slow", "garbled", "wrong", "hang"] * 2
        for mode in modes:
            proxy.mode = mode
            time.sleep(run.n(3.0, 6.0))
            proxy.mode = "ok"
            time.sleep(run.n(5.0, 8.0))
        people.stop()
        people.count(row)
        worst = max(people.answer_times(), default=0.0)
        row.note = (f"slowest answer {worst:.1f} s; NLU calls "
                    + ", ".join(f"{m} {n}" for m, n in sorted(proxy.calls.items())))
        if not bot.alive:
            row.problems.append("the bot stopped")
    finally:
        proxy.stop()
    return row


fault_nlu_down_slow_garbled.needs_rasa = True  # type: ignore[attr-defined]




# ---------------------------------------------------------------------------------------------
# The database

def _terminate_backends(db_url: str) -> int:
    """pg_terminate_backend on every connection of the bot (they carry the run's schema name
    as their application_name); how many were killed."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool
    from storage.db import make_engine
    from bench.common import pg_base
    name = make_url(db_url).query["application_name"]
    engine = make_engine(pg_base(), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND pid <> pg_backend_pid()"),
                {"name": name}).all())
    finally:
        engine.dispose()


def _pg_terminate(mode: str):
    def fault(run: Run) -> Row:
        """The database's connections killed (pg_terminate_backend) again and again while
        users talk: every message answered, once, within seconds (not by the sweep)."""
        row = Row(f"database connections killed ({mode}, PostgreSQL)")
        killed = []

        def during(bot, people):
            for _ in range(run.n(4, 20)):
                time.sleep(1.5)
                killed.append(_terminate_backends(run.db_url))
            time.sleep(1.0)
        _load_with(run, row, mode, during, run.n(8, 30))
        worst = max(run.last_users.answer_times(), default=0.0)
        row.note = (f"{len(killed)} rounds, {sum(killed)} connections killed; "
                    f"slowest answer {worst:.1f} s")
        if worst > 15.0:
            row.problems.append(f"an answer took {worst:.1f} s (the sweep's, not the retries')")
        return row
    fault.needs_pg = True  # type: ignore[attr-defined]
    return fault


def fault_pg_terminate_backend_polling(run: Run) -> Row:
    return _pg_terminate("polling")(run)


def fault_pg_terminate_backend_webhook(run: Run) -> Row:
    return _pg_terminate("webhook")(run)


fault_pg_terminate_backend_polling.needs_pg = True  # type: ignore[attr-defined]
fault_pg_terminate_backend_webhook.needs_pg = True  # type: ignore[attr-defined]


FAULTS = [
    fault_kill_9_polling,
    fault_kill_9_webhook,
    fault_sigterm_under_load_polling,
    fault_sigterm_during_flood_control_polling,
    fault_sigterm_during_flood_control_webhook,
    fault_429_and_5xx,
    fault_duplicate_deliveries_polling,
    fault_duplicate_deliveries_webhook,
    fault_forged_webhooks,
    fault_poison_messages_polling,
    fault_poison_messages_webhook,
    fault_nlu_down_slow_garbled,
    fault_pg_terminate_backend_polling,
    fault_pg_terminate_backend_webhook,
]
