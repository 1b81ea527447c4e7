"""Telegram channel benchmark: the real bot (`athar telegram` / `athar web`, one worker unless
--workers, in its own process) against the Bot API emulator of the tests, with its own Rasa server
(started here, on a free port) and a real database (SQLite by default, PostgreSQL with --pg).

Load: registered officials, in the four languages, walk the coaching conversation of
bench/coaching_script.py (describe a project and confirm it, walk its circle of effects and
confirm it, back to the menu; 20 button presses and 5 typed texts a round), spread over the
script beforehand. Two open-loop schedules send a button press (200 per second) and a typed text
(50 per second) from a user whose next step is one, each user with at most one message in flight.
A step is complete when the bot's message asking the next question reaches the emulator and says
what the script expects (its buttons, and words where buttons do not tell questions apart);
latency = update queued at "Telegram" → that message received. Webhook mode also measures the
acknowledgement (the webhook POST's answer time, as Telegram sees it).

Every one of these counts as a miss and makes the run fail (exit status 1):
- an aim not met (issue 5): ≥ 200 button answers and ≥ 50 typed texts per second together;
  p95 < 150 ms (buttons) and < 300 ms (texts); acknowledgement p50 ≤ 50 ms and p99 ≤ 250 ms;
- a send the schedule could not make because no user was ready for it (the bot too slow to give
  users back), a reply that is not the expected one, a step never answered;
- any text answered by the fallback parser instead of Rasa (the bot logs every Rasa failure, and
  only a failure makes it use the fallback parser for a while), or Rasa not starting;
- the database not holding exactly the projects and stakeholders whose confirmations were seen.

The AIORateLimiter is switched off for the run (ATHAR_TELEGRAM__MAX_RATE=0): real Telegram allows
about 30 messages per second, the emulator does not limit. CPU per update is printed for the bot,
and CPU per typed text for the Rasa server, beside each other.

    python -m bench.bench_telegram [--seconds 10] [--modes polling,webhook] [--pg] [--workers N]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import drop_schema, new_schema, percentile  # noqa: E402
from bench import coaching_script as cs  # noqa: E402
from domain.languages import LANG_TAGS  # noqa: E402

KINDS = ("button", "text")
FALLBACK_SIGNS = ("using the fallback parser", "NLU failed")  # nlu/service.py's log lines
USERS_PER_STEP = 10  # users per step of the script: each pool holds about rate × 1 s of them


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    dropped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))


@dataclass
class Flight:
    t0: float
    kind: str
    step: cs.Step
    stats: Stats | None  # where its latency goes (None: warm-up)


class Driver:
    """The simulated officials: sends each one's next step, checks the bot's answer, keeps the
    users ready for a button or a text step in two queues."""

    def __init__(
        self, emu: Any, users: dict[int, cs.Round], script: list[cs.Step], groups: int, catalog: Any
    ):
        self.emu, self.users, self.script, self.groups = emu, users, script, groups
        self.catalog_text = catalog.text
        self.lock = threading.Lock()
        self.inflight: dict[int, Flight] = {}
        self.ready: dict[str, collections.deque[int]] = {k: collections.deque() for k in KINDS}
        self.pooled = False  # measured phases: answered users go back to `ready`
        self.done: collections.deque[int] = collections.deque()  # warm-up: answered users
        self.wrong: list[str] = []
        self.out: set[int] = set()  # users answered wrongly: they stop there
        self.counter = itertools.count(1)
        self.saved: dict[str, list[str]] = {"project": [], "circle": []}
        emu.listeners.append(self.on_call)

    def step_of(self, uid: int) -> cs.Step:
        return self.script[self.users[uid].pos % len(self.script)]

    def send(self, uid: int, stats: Stats | None) -> str:
        """Send `uid`'s next step; returns its kind."""
        rnd = self.users[uid]
        step = self.step_of(uid)
        if step.kind == "text":
            text = cs.type_text(step, rnd, next(self.counter))
        with self.lock:
            self.inflight[uid] = Flight(time.perf_counter(), step.kind, step, stats)
        if step.kind == "button":
            self.emu.press(uid, step.send, lang=rnd.lang)
        else:
            self.emu.text(uid, text, lang=rnd.lang)
        if stats is not None:
            stats.sent[step.kind] += 1
        return step.kind

    def on_call(self, call: Any) -> None:
        if call.status != 200 or call.method not in ("sendMessage", "editMessageText"):
            return
        try:
            uid = int(call.params.get("chat_id"))
        except (TypeError, ValueError):
            return
        buttons = _buttons(call)
        text = call.params.get("text") or ""
        with self.lock:
            flight = self.inflight.get(uid)
            if flight is None:
                if uid in self.users and buttons:
                    self.wrong.append(f"user {uid}: a message nobody waited for: {buttons}")
                return
            rnd = self.users[uid]
            answered, problem = cs.judge(flight.step, rnd, text, buttons, self.groups, self.catalog_text)
            if not answered:
                if problem is None:
                    return  # a note or an offer before the question
                del self.inflight[uid]
                self.out.add(uid)
                self.wrong.append(
                    f"user {uid} ({rnd.lang}), step {rnd.pos % len(self.script)} "
                    f"({flight.step.send}): {problem}; text {cs.visible(text)[:160]!r}"
                )
                return
            del self.inflight[uid]
            if flight.stats is not None:
                flight.stats.latencies[flight.kind].append(call.at - flight.t0)
            cs.note_saved(flight.step, rnd, self.saved)
            rnd.pos += 1
            if self.pooled:
                self.ready[self.step_of(uid).kind].append(uid)
            else:
                self.done.append(uid)

    def walk(self, targets: dict[int, int], timeout: float) -> None:
        """Warm-up: every user sends its steps one after the other until it is at its target
        position (not measured; every answer checked all the same)."""
        deadline = time.monotonic() + timeout
        waiting = set()
        for uid, target in targets.items():
            if self.users[uid].pos < target:
                self.send(uid, None)
                waiting.add(uid)
        while waiting and time.monotonic() < deadline:
            with self.lock:
                batch = list(self.done)
                self.done.clear()
                waiting -= self.out
            if not batch:
                time.sleep(0.002)
                continue
            for uid in batch:
                if self.users[uid].pos < targets[uid]:
                    self.send(uid, None)
                else:
                    waiting.discard(uid)
        if waiting:
            self.wrong.append(f"{len(waiting)} users never reached their start in the warm-up")

    def pool(self) -> None:
        """From now on answered users wait in the queue of their next step's kind."""
        with self.lock:
            self.pooled = True
            for uid in self.users:
                if uid not in self.inflight and uid not in self.out:
                    self.ready[self.step_of(uid).kind].append(uid)
            self.done.clear()

    def take(self, kind: str, uid: int | None = None) -> int | None:
        with self.lock:
            queue = self.ready[kind]
            if uid is not None:
                if uid in queue:
                    queue.remove(uid)
                    return uid
                return None
            return queue.popleft() if queue else None

    def wait_idle(self, emu: Any, timeout: float) -> int:
        """Wait until no step is in flight; returns how many still are after `timeout`."""
        try:
            emu.wait(lambda: not self.inflight, timeout=timeout)
        except AssertionError:
            pass
        with self.lock:
            return len(self.inflight)


def _buttons(call: Any) -> list[str]:
    from tests.telegram.emulator import buttons  # imported once, then found in sys.modules

    return buttons(call)


def _pct(values: list[float], q: float) -> float:
    """The q-th percentile in milliseconds."""
    return percentile(values, q / 100) * 1000


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children that were waited for (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:15]) / ticks


def _tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its live children (uvicorn's worker processes)."""
    total = _cpu_seconds(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(_tree_cpu_seconds(int(c)) for c in children)


def _seed(db_url: str, users: dict[int, cs.Round]) -> None:
    from domain.records import Identity, User
    from knowledge.loader import load_communes
    from storage.db import make_engine, make_uow_factory
    from storage.migrate import upgrade

    upgrade(db_url)
    engine = make_engine(db_url)
    uows = make_uow_factory(engine)
    communes = load_communes()
    with uows() as uow:
        for i, (uid, rnd) in enumerate(users.items()):
            uow.users.add(
                User(role="official", commune_id=communes[i % len(communes)].id, language=rnd.lang),
                Identity(channel="telegram", external_id=str(uid), user_id=0),
            )
        uow.commit()
    engine.dispose()


def _stored(db_url: str) -> dict[str, list[str]]:
    """Project titles and stakeholders' words as the database holds them."""
    from sqlalchemy import select
    from storage.db import make_engine
    from storage.tables import ProjectRow, StakeholderRow

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return {
                "project": list(conn.scalars(select(ProjectRow.title))),
                "circle": [h or "" for h in conn.scalars(select(StakeholderRow.how_affected))],
            }
    finally:
        engine.dispose()


def _fallbacks(log_path: Path) -> list[str]:
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if any(sign in line for sign in FALLBACK_SIGNS)]


def _bot_process(mode: str, workers: int, env: dict[str, str], log: Any) -> subprocess.Popen:
    if mode == "polling":
        cmd = [sys.executable, "-m", "bot.cli", "telegram"]
    else:
        from tests.telegram.emulator import free_port

        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "bot.cli",
            "web",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--webhook-url",
            f"http://127.0.0.1:{port}/telegram",
        ]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def _menu(emu: Any, mode: str, uid: int, lang: str) -> tuple[str, ...]:
    """Wait for the bot to be up; the main menu's button data, as `uid` sees it."""
    seen: list[tuple[str, ...]] = []

    def listen(call: Any) -> None:
        data = _buttons(call)
        if call.method == "sendMessage" and "menu:new_project" in data and not seen:
            seen.append(tuple(data))

    if mode == "polling":
        emu.wait(lambda: bool(emu.calls_of("getUpdates")), timeout=120)
    else:
        emu.wait(lambda: emu.webhook is not None, timeout=120)
        time.sleep(1.0)  # uvicorn binds after setWebhook
    emu.listeners.append(listen)
    emu.command(uid, "/menu", lang=lang)
    emu.wait(lambda: bool(seen), timeout=120)
    emu.listeners.remove(listen)
    return seen[0]


def _warm_up(emu: Any, driver: Driver, ids: list[int], menu: tuple[str, ...]) -> None:
    """Everyone opens the menu, then walks to its start: user i to step i mod the script's length."""
    menu_step = cs.Step("button", "/menu", menu)
    with driver.lock:
        for uid in ids[1:]:
            driver.inflight[uid] = Flight(time.perf_counter(), "button", menu_step, None)
    for uid in ids[1:]:
        emu.command(uid, "/menu", lang=driver.users[uid].lang)
    if driver.wait_idle(emu, timeout=300):
        driver.wrong.append("some users never got the menu")
    driver.done.clear()
    for rnd in driver.users.values():
        rnd.pos = 0  # the menu is where the script starts
    driver.walk({uid: i % len(driver.script) for i, uid in enumerate(ids)}, timeout=600)
    driver.pool()


def _solo(emu: Any, driver: Driver, uid: int) -> Stats:
    """One message at a time (no queueing): the latency of the path itself."""
    solo = Stats()
    for _ in range(2 * len(driver.script)):
        if driver.take(driver.step_of(uid).kind, uid) is None:
            break  # answered wrongly: reported with the others
        driver.send(uid, solo)
        driver.wait_idle(emu, timeout=60)
    return solo


def _load(driver: Driver, seconds: float, rate: dict[str, float]) -> tuple[Stats, float]:
    """Two open-loop schedules, each user one message at a time; returns the figures and when
    the last message was sent (perf_counter)."""
    stats = Stats()
    start = time.perf_counter()
    nxt = dict.fromkeys(KINDS, start)
    end = start + seconds
    while (now := time.perf_counter()) < end:
        kind = min(KINDS, key=lambda k: nxt[k])
        if nxt[kind] > now:
            time.sleep(nxt[kind] - now)
        nxt[kind] += 1.0 / rate[kind]
        uid = driver.take(kind)
        if uid is None:
            stats.dropped[kind] += 1
        else:
            driver.send(uid, stats)
    return stats, time.perf_counter()


def _figures(stats: Stats, rate: dict[str, float], elapsed: float) -> dict[str, dict]:
    return {
        k: {
            "target_per_s": rate[k],
            "sent": stats.sent[k],
            "done": len(stats.latencies[k]),
            "per_s": round(len(stats.latencies[k]) / elapsed, 1),
            "p50_ms": round(_pct(stats.latencies[k], 50), 1),
            "p95_ms": round(_pct(stats.latencies[k], 95), 1),
            "dropped": stats.dropped[k],
        }
        for k in KINDS
    }


def _ms_per(seconds: float, n: int) -> float:
    return round(seconds / max(n, 1) * 1000, 2)


def run_mode(
    mode: str,
    seconds: float,
    button_rate: float,
    text_rate: float,
    pg: bool,
    nlu_url: str,
    nlu_pid: int | None,
    workers: int = 1,
) -> dict:
    from bot.i18n import default_catalog
    from knowledge.loader import load_knowledge
    from tests.telegram.emulator import TOKEN, BotApiEmulator

    rate = {"button": button_rate, "text": text_rate}
    n_users = USERS_PER_STEP * len(cs.build(())) * max(1.0, (button_rate + text_rate) / 250)
    ids = list(range(10_000, 10_000 + int(n_users)))
    users = {uid: cs.Round(lang=LANG_TAGS[i % len(LANG_TAGS)]) for i, uid in enumerate(ids)}
    tmp = tempfile.TemporaryDirectory(prefix="athar-bench-")
    schema = None
    if pg:
        schema, db_url = new_schema()
    else:
        db_url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    _seed(db_url, users)

    emu = BotApiEmulator(deliverers=16).start()
    env = {
        **os.environ,
        "ATHAR_TELEGRAM_TOKEN": TOKEN,
        "ATHAR_TELEGRAM_API_URL": emu.api_url,
        "ATHAR_DATABASE_URL": db_url,
        "ATHAR_TELEGRAM__MAX_RATE": "0",
        "ATHAR_TELEGRAM_WEBHOOK_SECRET": "bench-secret",
        "ATHAR_LOGGING__LEVEL": "WARNING",
        "NO_PROXY": "127.0.0.1,localhost",
        "ATHAR_NLU__AUTOSTART": "false",
        "ATHAR_NLU__URL": nlu_url,
        "ATHAR_PSEUDONYM_KEY": "bench-key",
    }
    env.pop("ATHAR_TELEGRAM__API_URL", None)
    log_path = Path(tmp.name) / "bot.log"
    log = open(log_path, "w")
    proc = _bot_process(mode, workers, env, log)
    result: dict = {
        "mode": mode,
        "database": "postgresql" if pg else "sqlite",
        "workers": workers,
        "users": len(ids),
    }
    try:
        menu = _menu(emu, mode, ids[0], users[ids[0]].lang)
        driver = Driver(emu, users, cs.build(menu), len(load_knowledge().parties), default_catalog())
        _warm_up(emu, driver, ids, menu)
        emu.ack_latencies.clear()
        solo = _solo(emu, driver, ids[0])
        for k in KINDS:
            result["solo_" + k] = {
                "p50_ms": round(_pct(solo.latencies[k], 50), 1),
                "p95_ms": round(_pct(solo.latencies[k], 95), 1),
            }
        solo_acks = list(emu.ack_latencies)
        emu.ack_latencies.clear()
        cpu_bot, cpu_here = _tree_cpu_seconds(proc.pid), time.process_time()
        cpu_nlu = _tree_cpu_seconds(nlu_pid) if nlu_pid else float("nan")
        start = time.perf_counter()
        stats, sent_until = _load(driver, seconds, rate)
        result["unfinished"] = driver.wait_idle(emu, timeout=120)
        elapsed = max(time.perf_counter() - start, sent_until - start)
        done = sum(len(v) for v in stats.latencies.values())
        result["cpu"] = {
            "bot_ms_per_update": _ms_per(_tree_cpu_seconds(proc.pid) - cpu_bot, done),
            "emulator_ms_per_update": _ms_per(time.process_time() - cpu_here, done),
            "nlu_ms_per_text": _ms_per(_tree_cpu_seconds(nlu_pid) - cpu_nlu, len(stats.latencies["text"]))
            if nlu_pid
            else None,
        }
        result.update(_figures(stats, rate, elapsed))
        if mode == "webhook":
            result["solo_ack"] = {
                "p50_ms": round(_pct(solo_acks, 50), 1),
                "p99_ms": round(_pct(solo_acks, 99), 1),
            }
            acks = list(emu.ack_latencies)
            result["ack"] = {
                "n": len(acks),
                "p50_ms": round(_pct(acks, 50), 1),
                "p99_ms": round(_pct(acks, 99), 1),
            }
        result["wrong"] = list(driver.wrong)
        saved = {k: list(v) for k, v in driver.saved.items()}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        emu.stop()
    try:
        result["fallbacks"] = _fallbacks(log_path)
        stored = _stored(db_url)
        result["stored"] = {k: len(v) for k, v in stored.items()}
        result["saved"] = {k: len(v) for k, v in saved.items()}
        result["stored_ok"] = all(sorted(stored[k]) == sorted(saved[k]) for k in stored)
    finally:
        if schema:
            drop_schema(schema)
        tmp.cleanup()
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_telegram", description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 10)))
    p.add_argument("--modes", default="polling,webhook")
    p.add_argument("--buttons", type=float, default=200)
    p.add_argument("--texts", type=float, default=50)
    p.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    p.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes in webhook mode (use with --pg)"
    )
    args, _ = p.parse_known_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    from nlu.server import free_port, local_rasa

    with local_rasa(f"http://127.0.0.1:{free_port()}", log=lambda m: print(m, flush=True)) as rasa:
        if rasa is None or rasa.proc is None:
            print(
                "aims NOT met: the Rasa server did not start, so every text would be answered by "
                "the fallback parser"
            )
            return 1
        return _run(args, rasa.url, rasa.proc.pid)


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop: this shared virtual machine's speed varies (by up
    to twice over an afternoon, with its host's load), so every figure comes with it."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


def _run(args: argparse.Namespace, nlu_url: str, nlu_pid: int) -> int:
    print(
        f"== machine speed: a 10-million-step Python loop takes {machine_speed():.2f} s "
        "(smaller is faster; compare runs by it)"
    )
    print(
        f"== Telegram channel, the coaching conversation: {args.buttons:g} button answers/s + "
        f"{args.texts:g} typed texts/s for {args.seconds:g}s, NLU: Rasa at {nlu_url}, "
        f"{os.cpu_count()} CPUs"
    )
    ok = True
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        r = run_mode(
            mode,
            args.seconds,
            args.buttons,
            args.texts,
            args.pg,
            nlu_url,
            nlu_pid,
            args.workers if mode == "webhook" else 1,
        )
        ok = report(r, args) and ok
    return 0 if ok else 1


def report(r: dict, args: argparse.Namespace) -> bool:
    """Print one mode's figures; True when every aim is met and nothing was missed."""
    b, t = r["button"], r["text"]
    mode = r["mode"]
    print(
        f"{mode:8} ({r['database']}, {r['workers']} worker{'s' if r['workers'] > 1 else ''}, "
        f"{r['users']} users): buttons {b['per_s']}/s (of {b['target_per_s']:g}) "
        f"p50 {b['p50_ms']} ms p95 {b['p95_ms']} ms | typed text {t['per_s']}/s "
        f"(of {t['target_per_s']:g}) p50 {t['p50_ms']} ms p95 {t['p95_ms']} ms"
    )
    sb, st = r["solo_button"], r["solo_text"]
    print(
        f"{'':8} one message at a time: button p50 {sb['p50_ms']} ms p95 {sb['p95_ms']} ms,"
        f" typed text p50 {st['p50_ms']} ms p95 {st['p95_ms']} ms"
        + (
            f", ack p50 {r['solo_ack']['p50_ms']} ms p99 {r['solo_ack']['p99_ms']} ms"
            if "solo_ack" in r
            else ""
        )
    )
    c = r["cpu"]
    print(
        f"{'':8} CPU: bot {c['bot_ms_per_update']} ms per update (on one core it alone would "
        f"handle ~{1000 / max(c['bot_ms_per_update'], 0.01):.0f} updates/s), Rasa "
        f"{c['nlu_ms_per_text']} ms per typed text, emulator and load "
        f"{c['emulator_ms_per_update']} ms per update"
    )
    if "ack" in r:
        a = r["ack"]
        print(
            f"{'':8} webhook acknowledgement: p50 {a['p50_ms']} ms, p99 {a['p99_ms']} ms ({a['n']} updates)"
        )
    print(
        f"{'':8} database: {r['stored']['project']} projects and {r['stored']['circle']} "
        f"stakeholders stored, {r['saved']['project']} and {r['saved']['circle']} confirmed"
        f"{'' if r['stored_ok'] else ' (NOT the same)'}"
    )
    misses = []
    if b["dropped"] or t["dropped"]:
        misses.append(f"sends dropped for want of a ready user: {b['dropped']} buttons, {t['dropped']} texts")
    if r["unfinished"]:
        misses.append(f"{r['unfinished']} steps never answered")
    if r["wrong"]:
        misses.append(f"{len(r['wrong'])} wrong replies, first: " + " | ".join(r["wrong"][:3]))
    if r["fallbacks"]:
        misses.append(
            f"{len(r['fallbacks'])} Rasa failures (texts answered by the fallback "
            f"parser), first: {r['fallbacks'][0][:200]}"
        )
    if not r["stored_ok"]:
        misses.append("the database does not hold what was confirmed")
    aims = [
        b["per_s"] >= 0.95 * args.buttons,
        t["per_s"] >= 0.95 * args.texts,
        b["p95_ms"] < 150,
        t["p95_ms"] < 300,
    ]
    if "ack" in r:
        aims += [r["ack"]["p50_ms"] <= 50, r["ack"]["p99_ms"] <= 250]
    for miss in misses:
        print(f"{'':8} MISS: {miss}")
    met = all(aims) and not misses
    print(f"{'':8} aims {'met' if met else 'NOT met'}")
    return met


if __name__ == "__main__":
    sys.exit(main())
