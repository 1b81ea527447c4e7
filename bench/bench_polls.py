"""Poll burst benchmark (issue 6): 1,000 respondents × 8 answers on PostgreSQL.

1. Through the dispatcher: every respondent opens the deep link, picks a language, consents and
   answers 8 questions; in each round all respondents send their next message at the same time
   from a thread pool (16 threads). Some answers are delivered twice (a webhook retry).
2. Through the Telegram emulator (when the Telegram channel and its emulator are present): the
   real bot (`athar telegram`, polling, its own process) against the Bot API emulator; each
   respondent sends their next answer as soon as the previous one was answered.

Reported: throughput (answers per second), p50/p95 from an answer to the next question, the
number of outgoing messages per answer (must be 1: Telegram allows about one message per second
per chat), and the database check: expected, stored, missing, duplicated and wrong answers.

    python -m bench.bench_polls [--respondents 1000] [--threads 16] [--skip-telegram]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import drop_schema, new_schema  # noqa: E402

QUESTIONS = ("sex", "age_band", "relations", "contacts", "respect", "help", "voice", "change")


def _setup(url: str):
    from storage.db import make_engine, make_uow_factory
    from storage.migrate import upgrade
    from tests.polls.helpers import make_project, make_short_poll

    upgrade(url)
    engine = make_engine(url, pool_size=20, max_overflow=10)
    uows = make_uow_factory(engine)
    pid = make_project(uows)
    return engine, uows, make_short_poll(uows, pid, QUESTIONS)


def _ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def run_dispatcher(respondents: int, threads: int) -> bool:
    from tests.polls.helpers import poll_dispatcher
    from tests.polls.load import burst, check

    name, url = new_schema("athar_bench_polls")
    try:
        engine, uows, poll = _setup(url)
        d = poll_dispatcher(uows)
        res = burst(d.handle, poll, respondents, workers=threads, duplicate_every=50)
        got = check(uows, poll, respondents)
        engine.dispose()
    finally:
        drop_schema(name)
    ok = (
        got["missing"] == 0
        and got["duplicated"] == 0
        and got["wrong"] == 0
        and got["stored_answers"] == got["expected_answers"]
        and res.single_reply == res.answers
        and res.duplicates_dropped == res.duplicates_sent
    )
    print(
        f"dispatcher, PostgreSQL, {threads} threads: {respondents} respondents × "
        f"{len(QUESTIONS)} answers ({res.messages} messages incl. link, language, consent)"
    )
    print(
        f"  throughput      {res.answers / res.seconds:.0f} answers/s "
        f"({res.messages / res.seconds:.0f} messages/s, {res.seconds:.1f} s)"
    )
    print(f"  answer → next   p50 {_ms(res.p(0.50))}  p95 {_ms(res.p(0.95))}  max {_ms(res.p(1.0))}")
    print(
        f"  one message per answer: {res.single_reply}/{res.answers}; duplicate deliveries "
        f"dropped: {res.duplicates_dropped}/{res.duplicates_sent}"
    )
    print(
        f"  database: expected {got['expected_answers']}, stored {got['stored_answers']}, "
        f"lost {got['missing']}, duplicated {got['duplicated']}, wrong {got['wrong']}, "
        f"respondents {got['respondents']}, completed {got['completed']}"
    )
    print(f"  {'OK' if ok else 'FAILED'}")
    return ok


def _scripts(poll, respondents: int, base_uid: int) -> dict[int, list[tuple[str, str]]]:
    """Each respondent's script after /start: language, consent, then the 8 answers."""
    from domain.polls import questions_of
    from tests.polls.load import expected_value

    qs = questions_of(poll)
    scripts: dict[int, list[tuple[str, str]]] = {}
    for n in range(respondents):
        steps = [("press", f"lang:{('fr', 'ar', 'ary', 'ary-Latn')[n % 4]}"), ("press", "pc:yes")]
        for i, q in enumerate(qs):
            steps.append(
                ("text", f"story {n}") if q.kind == "text" else ("press", f"pq:{i}:{expected_value(n, i, q)}")
            )
        scripts[base_uid + n] = steps
    return scripts


class _Burst:
    """The respondents' side of the Telegram run: each sends their next step as soon as the bot's
    answer to the previous one arrives (the emulator's listener marks them ready)."""

    def __init__(self, scripts: dict[int, list[tuple[str, str]]]):
        self.scripts = scripts
        self.lock = threading.Lock()
        self.pos = {uid: -1 for uid in scripts}  # index of the step in flight (-1: /start)
        self.sent_at: dict[int, float] = {}
        self.out_count: dict[int, int] = {uid: 0 for uid in scripts}
        self.latencies: list[float] = []
        self.per_answer: list[int] = []
        self.ready: list[int] = []
        self.finished = 0

    def on_call(self, call) -> None:
        if call.status != 200 or call.method not in ("sendMessage", "editMessageText"):
            return
        chat = int(call.params.get("chat_id", 0) or 0)
        with self.lock:
            if chat not in self.pos:
                return
            self.out_count[chat] += 1
            k = self.pos[chat]
            if chat in self.sent_at:
                if k >= 2:  # an answer (not the link, language or consent)
                    self.latencies.append(call.at - self.sent_at[chat])
                del self.sent_at[chat]
                self.ready.append(chat)

    def start(self, emu, token: str) -> None:
        for uid in self.scripts:
            with self.lock:
                self.sent_at[uid] = time.perf_counter()
                self.out_count[uid] = 0
            emu.command(uid, f"/start {token}")

    def drive(self, emu, deadline: float) -> None:
        while self.finished < len(self.scripts) and time.monotonic() < deadline:
            with self.lock:
                batch, self.ready[:] = list(self.ready), []
            if not batch:
                time.sleep(0.002)
                continue
            for uid in batch:
                self._next(emu, uid)

    def _next(self, emu, uid: int) -> None:
        with self.lock:
            if self.pos[uid] >= 2:
                self.per_answer.append(self.out_count[uid])
            self.pos[uid] += 1
            k = self.pos[uid]
            if k >= len(self.scripts[uid]):
                self.finished += 1
                return
            self.out_count[uid] = 0
            self.sent_at[uid] = time.perf_counter()
        kind, value = self.scripts[uid][k]
        if kind == "press":
            emu.press(uid, value)
        else:
            emu.text(uid, value)


def _bot_env(api_url: str, token: str, url: str) -> dict[str, str]:
    return {
        **os.environ,
        "ATHAR_TELEGRAM_TOKEN": token,
        "ATHAR_TELEGRAM_API_URL": api_url,
        "ATHAR_DATABASE_URL": url,
        "ATHAR_TELEGRAM__MAX_RATE": "0",
        "ATHAR_LOGGING__LEVEL": "WARNING",
        "ATHAR_PSEUDONYM_KEY": "bench-key",
        "NO_PROXY": "127.0.0.1,localhost",
        "ATHAR_NLU__AUTOSTART": "false",
        "ATHAR_NLU__URL": "",
    }


def _report_telegram(burst: _Burst, got: dict, respondents: int, seconds: float) -> bool:
    answers = len(burst.latencies)
    xs = sorted(burst.latencies)
    p = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0  # noqa: E731
    single = sum(1 for c in burst.per_answer if c == 1)
    ok = (
        burst.finished == respondents
        and got["missing"] == 0
        and got["duplicated"] == 0
        and got["wrong"] == 0
        and single == len(burst.per_answer)
    )
    print(
        f"telegram emulator (athar telegram, polling), PostgreSQL: {respondents} respondents × "
        f"{len(QUESTIONS)} answers, each sending the next answer when the question arrives"
    )
    print(f"  throughput      {answers / seconds:.0f} answers/s ({seconds:.1f} s)")
    print(f"  answer → next   p50 {_ms(p(0.50))}  p95 {_ms(p(0.95))}  max {_ms(p(1.0))}")
    print(f"  one message per answer: {single}/{len(burst.per_answer)}")
    print(
        f"  database: expected {got['expected_answers']}, stored {got['stored_answers']}, "
        f"lost {got['missing']}, duplicated {got['duplicated']}, wrong {got['wrong']}"
    )
    print(f"  {'OK' if ok else 'FAILED'}")
    return ok


def run_telegram(respondents: int) -> bool | None:
    try:
        from tests.telegram.emulator import TOKEN, BotApiEmulator
    except ImportError:
        print("telegram: skipped (the Telegram channel and its emulator are not installed here)")
        return None
    import subprocess
    import tempfile

    from tests.polls.load import check

    name, url = new_schema("athar_bench_polls")
    engine, uows, poll = _setup(url)
    burst = _Burst(_scripts(poll, respondents, base_uid=500_000))
    emu = BotApiEmulator(deliverers=16).start()
    emu.listeners.append(burst.on_call)
    tmp = tempfile.TemporaryDirectory(prefix="athar-bench-polls-")
    log = open(Path(tmp.name) / "bot.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "telegram"],
        env=_bot_env(emu.api_url, TOKEN, url),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    ok = False
    try:
        emu.wait(lambda: bool(emu.calls_of("getUpdates")), timeout=120)
        t0 = time.perf_counter()
        burst.start(emu, poll.token)
        burst.drive(emu, deadline=time.monotonic() + 1800)
        seconds = time.perf_counter() - t0
        time.sleep(1.0)  # late extra messages, if any, would show in out_count
        ok = _report_telegram(burst, check(uows, poll, respondents), respondents, seconds)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        emu.stop()
        log.close()
        engine.dispose()
        drop_schema(name)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_polls")
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--skip-telegram", action="store_true")
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    ok = run_dispatcher(args.respondents, args.threads)
    if not args.skip_telegram:
        tg = run_telegram(args.respondents)
        ok = ok and tg is not False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
