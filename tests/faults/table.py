"""The faults of the table (issue 14), each against the real bot process: see harness.py for how
a run is counted. Each `fault_*` function returns its `Row`; `FAULTS` lists them in the order
of the table. Sizes: "short" for `make test`, "full" for `make faults`."""

from __future__ import annotations

import collections
import random
import threading
import time

from tests.faults.harness import Inbox, Row, Run

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

    def during(bot, people):
        for i in range(run.n(2, 6)):
            time.sleep(1.5)
            run.emulator.inject("sendMessage", 502 if i % 2 else 500, seconds=2.5)
            time.sleep(3.0)
            run.emulator.inject("sendMessage", 429, count=run.n(5, 20), retry_after=1)
        time.sleep(2.0)

    _load_with(run, row, "polling", during, run.n(8, 30), env={"ATHAR_TELEGRAM__MAX_RETRIES": "3"})
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
    secrets_ = [
        None,
        "",
        SECRET[:-1] + ("x" if SECRET[-1] != "x" else "y"),
        SECRET + "0",
        SECRET.upper(),
        "s" * 256,
    ]
    url = f"http://127.0.0.1:{bot.port}/telegram"
    with httpx.Client(trust_env=False, timeout=10) as client:
        for i in range(run.n(30, 300)):
            secret = secrets_[i % len(secrets_)]
            headers = {"Content-Type": "application/json"}
            if secret is not None:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            update = {
                "update_id": 900_000_000 + i,
                "message": {
                    "message_id": i,
                    "date": int(time.time()),
                    "chat": {"id": victim, "type": "private"},
                    "from": {"id": victim, "is_bot": False, "first_name": "X"},
                    "text": "/help" if i % 2 else "/menu",
                },
            }
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
        modes = (
            ["down", "slow", "garbled"]
            if run.short
            else ["down", "refuse", "slow", "garbled", "wrong", "hang"] * 2
        )
        for mode in modes:
            proxy.mode = mode
            time.sleep(run.n(3.0, 6.0))
            proxy.mode = "ok"
            time.sleep(run.n(5.0, 8.0))
        people.stop()
        people.count(row)
        worst = max(people.answer_times(), default=0.0)
        row.note = f"slowest answer {worst:.1f} s; NLU calls " + ", ".join(
            f"{m} {n}" for m, n in sorted(proxy.calls.items())
        )
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
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).all()
            )
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
        row.note = f"{len(killed)} rounds, {sum(killed)} connections killed; slowest answer {worst:.1f} s"
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


# ---------------------------------------------------------------------------------------------
# Cross-commune attempts

SECRET_TITLE = "Projet-secret-XQ7"


def _other_commune_records(db_url: str) -> tuple[int, int, int]:
    """A project and a poll of Tanger (the attackers are officials of Berkane), and a project
    of Berkane; their ids."""
    from domain.records import Project, TargetPublic
    from knowledge.polls import load_question_bank
    from storage.db import make_engine, make_uow_factory
    from bot.services.polls import create_poll

    engine = make_engine(db_url)
    try:
        uows = make_uow_factory(engine)
        with uows() as uow:
            other = uow.projects.add(
                Project(
                    commune_id="tanger",
                    title=SECRET_TITLE,
                    problem="Un besoin de Tanger, secret",
                    publics=[TargetPublic(category="youth")],
                )
            )
            own = uow.projects.add(
                Project(
                    commune_id="berkane", title="Projet de Berkane", publics=[TargetPublic(category="youth")]
                )
            )
            poll = create_poll(uow, load_question_bank(), other, "baseline", None)
            poll_id = poll.id
            uow.commit()
            return other.id, poll_id, own.id
    finally:
        engine.dispose()


def _shown(call) -> str:
    """Everything a sent message shows: its text or caption and its buttons' labels."""
    import json

    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    labels = [b.get("text", "") for row in markup.get("inline_keyboard", []) for b in row]
    return "\n".join([call.params.get("text") or call.params.get("caption") or ""] + labels)


def fault_cross_commune_attempts(run: Run) -> Row:
    """Officials of Berkane forge buttons (and type numbers) that name a project and a poll of
    Tanger at every step that takes one: my projects, the project card, poll results, exports.
    Every attempt must be answered without anything of Tanger's (a reply naming its project is
    a leak)."""
    from tests.faults.harness import error_texts, seed_users

    row = Row("cross-commune attempts")
    other, poll, own = _other_commune_records(run.db_url)
    bot = run.bot("polling").start()
    emu = run.emulator
    attackers = list(range(30_000, 30_000 + run.n(2, 10)))
    seed_users(run.db_url, attackers)
    errors = error_texts()
    forged = [
        f"prj:{other}",
        f"pp:{poll}",
        f"exp:p:{poll}",
        "exp:c:tanger",
        f"ps:{poll}",
        f"prj:{other}:x",
        "card:edit",
        "card:delete",
        "del:yes",
    ]
    paths = [  # how the attacker gets to a step that reads such data
        [("command", "/menu"), ("press", "menu:my_projects")],
        [("command", "/menu"), ("press", "menu:my_projects"), ("press", f"prj:{own}")],
        [("command", "/menu"), ("press", "menu:poll"), ("press", "pa:res")],
        [("command", "/menu"), ("press", "menu:export"), ("press", "exp:w:results")],
        [("command", "/menu")],
    ]
    counts = {"attempts": 0, "answered": 0, "leaks": 0, "crashes": 0}
    lock = threading.Lock()

    inbox = Inbox(emu)

    def step(uid: int, kind: str, data: str) -> list:
        before = len(inbox.sent(uid))
        (emu.command if kind == "command" else emu.press if kind == "press" else emu.text)(uid, data)
        if not inbox.wait_more(uid, before, timeout=30):
            return []
        time.sleep(0.1)
        return inbox.sent(uid)[before:]

    def attacker(uid: int) -> None:
        for path in paths:
            for data in forged + [str(other), str(poll)]:
                for kind, d in path:
                    step(uid, kind, d)
                got = step(uid, "text" if data.isdigit() else "press", data)
                texts = [_shown(c) for c in got]
                files = [c for c in got if c.method in ("sendDocument", "sendPhoto")]
                with lock:
                    counts["attempts"] += 1
                    counts["answered"] += bool(got)
                    counts["leaks"] += bool(files or any(SECRET_TITLE in t or "Tanger" in t for t in texts))
                    counts["crashes"] += any(t in errors for t in texts)

    threads = [threading.Thread(target=attacker, args=(u,)) for u in attackers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    attempts, answered, leaks = counts["attempts"], counts["answered"], counts["leaks"]
    # the control: an official of Tanger sees its project, so the check above can see a leak
    insider = 39_999
    seed_users(run.db_url, [insider], commune="tanger")
    step(insider, "command", "/menu")
    if not any(SECRET_TITLE in _shown(c) for c in step(insider, "press", "menu:my_projects")):
        row.problems.append("the control failed: Tanger's own official does not see its project")
    row.tries, row.survived = attempts, answered - leaks
    row.lost, row.leaks, row.crashed = attempts - answered, leaks, counts["crashes"]
    row.note = f"{len(attackers)} officials, {len(paths)} steps, {len(forged) + 2} forgeries each"
    if not bot.alive:
        row.problems.append("the bot stopped")
    return row


# ---------------------------------------------------------------------------------------------
# A poll burst


def fault_poll_burst(run: Run) -> Row:
    """Respondents (1,000 in the full table) all open the poll's link at once and answer its
    8 questions, each sending the next answer as soon as the question arrives; every tenth
    answer is delivered twice. The database must hold every answer once, and each answer get
    exactly one message."""
    import collections
    import threading
    from domain.polls import questions_of
    from storage.db import make_engine, make_uow_factory
    from tests.faults.harness import error_texts
    from tests.polls.helpers import make_project, make_short_poll
    from tests.polls.load import check, expected_value
    from bench.bench_polls import QUESTIONS

    respondents = run.n(60, 1000)
    row = Row(f"poll burst ({respondents} respondents, PostgreSQL)")
    engine = make_engine(run.db_url)
    uows = make_uow_factory(engine)
    poll = make_short_poll(uows, make_project(uows), QUESTIONS)
    qs = questions_of(poll)
    base = 500_000
    scripts = {}
    for n in range(respondents):
        steps = [("press", f"lang:{('fr', 'ar', 'ary', 'ary-Latn')[n % 4]}"), ("press", "pc:yes")]
        steps += [
            ("text", f"story {n}") if q.kind == "text" else ("press", f"pq:{i}:{expected_value(n, i, q)}")
            for i, q in enumerate(qs)
        ]
        scripts[base + n] = steps
    emu = run.emulator
    lock = threading.Lock()
    pos = {uid: -1 for uid in scripts}
    replies = collections.Counter()  # (uid, step) → messages received for it
    errors = error_texts()
    crashed = [0]
    ready: collections.deque = collections.deque()

    def on_call(call) -> None:
        if call.status != 200 or call.method != "sendMessage":
            return
        chat = int(call.params.get("chat_id", 0) or 0)
        with lock:
            if chat not in pos:
                return
            replies[(chat, pos[chat])] += 1
            crashed[0] += (call.params.get("text") or "") in errors
            if replies[(chat, pos[chat])] == 1:
                ready.append(chat)

    emu.listeners.append(on_call)
    bot = run.bot("polling").start()
    sent = 0
    for uid in scripts:
        emu.command(uid, f"/start {poll.token}")
    deadline = time.monotonic() + run.n(300, 1800)
    finished = 0
    while finished < respondents and time.monotonic() < deadline:
        with lock:
            batch = list(ready)
            ready.clear()
        if not batch:
            time.sleep(0.005)
            continue
        for uid in batch:
            with lock:
                pos[uid] += 1
                k = pos[uid]
            if k >= len(scripts[uid]):
                finished += 1
                continue
            kind, value = scripts[uid][k]
            update = emu.press(uid, value) if kind == "press" else emu.text(uid, value)
            sent += 1
            if sent % 10 == 0:
                emu.push(dict(update))
    time.sleep(1.0)
    got = check(uows, poll, respondents)
    engine.dispose()
    answers = respondents * len(qs)
    extra = sum(max(0, n - 1) for (uid, k), n in replies.items() if k >= 0)
    row.tries = answers
    row.survived = got["stored_answers"] - got["duplicated"] - got["wrong"]
    row.lost = got["missing"]
    row.duplicated = got["duplicated"] + extra
    row.crashed = crashed[0]
    row.note = f"{finished} of {respondents} finished; {got['wrong']} wrong answers; {extra} extra messages"
    if got["wrong"]:
        row.problems.append(f"{got['wrong']} answers stored wrong")
    if not bot.alive:
        row.problems.append("the bot stopped")
    return row


fault_poll_burst.needs_pg = True  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# Fuzz

JUNK_TEXTS = [
    "👍🏽🔥",
    "x" * 10_000,
    "123",
    "-5",
    "1e309",
    "NaN",
    "٣٤٥",
    "٫",
    "ok ok ok",
    "salam 3afak chno hadchi",
    "بغيت نعرف 42 %",
    "\u202e\u2066abc",
    "/start p_nothing",
    "/start inv_ZZZZ-ZZZZ",
    "/menu extra",
    "/back",
    "/skip",
    "/cancel",
    "1" * 64,
    " ",
    "\u200f",
    "%s %d {0} {name}",
    "<b>x</b>",
    "'; DROP TABLE users; --",
]


def _forge(data: str, rnd: random.Random, prefixes: list[str]) -> str:
    """A button datum a client could send although no button carries it."""
    head, _, tail = data.rpartition(":")
    choice = rnd.randrange(7)
    if choice == 0:
        return f"{head}:{rnd.choice(['-5', 'NaN', 'inf', '1e309', '99999999999', '', 'x', '0'])}"
    if choice == 1:
        return data + rnd.choice([":", "::", ":x", "0", "é", "\u0000"])
    if choice == 2:
        return rnd.choice(prefixes) + rnd.choice(["", "1", "-1", "abc", "999999", "1:2:3"])
    if choice == 3:
        return data[: rnd.randrange(len(data) + 1)]
    if choice == 4:
        return "".join(
            rnd.choice("abcdefghijklmnopqrstuvwxyz:0123456789_-") for _ in range(rnd.randrange(1, 64))
        )
    if choice == 5:
        return data.upper()
    return rnd.choice(prefixes) + tail


# button data prefixes the fuzz forges from the start (it learns more from the keyboards it sees)
FUZZ_PREFIXES = (
    "menu:",
    "prj:",
    "pp:",
    "pq:",
    "pc:",
    "lang:",
    "exp:w:",
    "card:",
    "tg:",
    "eff:",
    "ind:",
    "per:",
    "day:",
    "pub:",
    "party:",
    "dir:",
)


def _send(emu, uid: int, kind: str, value: str) -> None:
    if kind == "command":
        emu.command(uid, value)
    elif kind == "press":
        emu.press(uid, value)
    else:
        emu.text(uid, value)


def _fuzz_next(rnd: random.Random, data: list[str], prefixes: list[str]) -> tuple[str, str]:
    """The fuzz's next message: a button of the keyboard shown (6 in 10), forged button data,
    a stray command or junk text."""
    r = rnd.random()
    if data and r < 0.6:
        return "press", rnd.choice(data)
    if r < 0.85:
        return "press", _forge(rnd.choice(data) if data else "menu:x", rnd, prefixes)
    if r < 0.9:
        return "command", rnd.choice(["/menu", "/help", "/back", "/cancel"])
    return "text", rnd.choice(JUNK_TEXTS)


def fault_fuzz_every_step(run: Run) -> Row:
    """Officials and poll respondents walk the dialogues by their buttons, and at random
    steps send what no button or person would: forged button data (numbers out of range,
    NaN, other prefixes, cut or padded data), 10,000 characters, emoji, mixed scripts,
    numbers where a choice is expected, stray commands. Every message must be answered,
    without the error reply."""
    from tests.faults.harness import error_texts, seed_users
    from storage.db import make_engine, make_uow_factory
    from tests.polls.helpers import make_project, make_poll

    row = Row("fuzz at every step")
    engine = make_engine(run.db_url)
    uows = make_uow_factory(engine)
    poll = make_poll(uows, make_project(uows, title="Projet fuzz"))
    engine.dispose()
    bot = run.bot("polling").start()
    emu = run.emulator
    officials = list(range(40_000, 40_000 + run.n(3, 10)))
    respondents = list(range(41_000, 41_000 + run.n(3, 10)))
    seed_users(run.db_url, officials)
    errors = error_texts()
    steps = run.n(40, 150)
    counts = collections.Counter()
    seen_prefixes: set[str] = set(FUZZ_PREFIXES)
    lock = threading.Lock()

    inbox = Inbox(emu)

    def keyboard_of(uid: int) -> list[str]:
        from tests.telegram.emulator import buttons

        for call in reversed(inbox.sent(uid)):
            data = buttons(call)
            if data:
                return data
        return []

    def walk(uid: int, start: tuple[str, str], seed: int) -> None:
        rnd = random.Random(seed)
        kind, value = start
        for _ in range(steps):
            before = len(inbox.sent(uid))
            _send(emu, uid, kind, value)
            answered = inbox.wait_more(uid, before, timeout=30)
            time.sleep(0.05)
            got = inbox.sent(uid)[before:]
            with lock:
                counts["tries"] += 1
                counts["answered"] += answered
                counts["errors"] += any((c.params.get("text") or "") in errors for c in got)
                if not answered:
                    counts["unanswered_" + kind] += 1
            data = keyboard_of(uid)
            with lock:
                seen_prefixes.update(d.rsplit(":", 1)[0] + ":" for d in data if ":" in d)
                prefixes = sorted(seen_prefixes)
            kind, value = _fuzz_next(rnd, data, prefixes)

    starts = [(u, ("command", "/menu")) for u in officials] + [
        (u, ("command", f"/start {poll.token}")) for u in respondents
    ]
    threads = [threading.Thread(target=walk, args=(u, s, i)) for i, (u, s) in enumerate(starts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    row.tries, row.survived = counts["tries"], counts["answered"]
    row.lost, row.crashed = counts["tries"] - counts["answered"], counts["errors"]
    row.note = f"{len(starts)} people × {steps} steps"
    unanswered = {k: v for k, v in counts.items() if k.startswith("unanswered_")}
    if unanswered:
        row.note += f"; unanswered {unanswered}"
    if not bot.alive:
        row.problems.append("the bot stopped")
    return row


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
    fault_cross_commune_attempts,
    fault_poll_burst,
    fault_fuzz_every_step,
]
