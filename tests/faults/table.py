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
    people = run.last_users
    waits = [s.answered_at - s.at for s in people.sent if s.answered_at is not None]
    worst = max(waits, default=0.0)
    row.note = f"slowest answer {worst:.1f} s"
    if worst > 15.0:  # the sweep runs after 30 s: an answer this late waited for it
        row.problems.append(f"an answer took {worst:.1f} s (the sweep's, not the retries')")
    return row


FAULTS = [
    fault_kill_9_polling,
    fault_kill_9_webhook,
    fault_sigterm_under_load_polling,
    fault_sigterm_during_flood_control_polling,
    fault_sigterm_during_flood_control_webhook,
    fault_429_and_5xx,
]
