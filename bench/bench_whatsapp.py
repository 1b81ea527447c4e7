"""WhatsApp channel benchmark: the real `athar web` (one worker, in its own process) against the
Graph API emulator of the tests and its signed-webhook sender, with the configured NLU and a real
database (SQLite and PostgreSQL).

Load: registered users sitting at the main menu (a list in pages) pick its "next page" row and type free
text at the same time, 80 events per second in all by default (60 + 20), each user with at most
one message in flight; every reply the emulator accepts is followed by its delivery statuses
(sent, delivered, read), three more signed webhook calls, as WhatsApp does. An event is complete
when the bot's reply (the menu again) reaches the emulator: latency = event queued at "Meta" →
that reply accepted. The acknowledgement is the webhook POST's answer time, as Meta sees it (every
call: messages and statuses). Sends are paced to `whatsapp.max_rate` (80 per second, the Cloud
API's default throughput), as in production.

Aims (issue 16): the offered rate handled; p95 webhook → reply under 300 ms for list picks and
500 ms for free text; acknowledgement p50 ≤ 50 ms, p99 ≤ 250 ms; no send refused by the emulator;
no second with more sends than `max_rate` allows.

Every one of these counts as a miss and makes the run fail (exit status 1), as in the Telegram
benchmark: an aim not met; a send the schedule could not make because no user was free for it
(the bot too slow to give users back: the event is dropped, and counted); an event never answered;
a text answered by the fallback parser because Rasa failed (the bot logs every Rasa failure). With
no Rasa configured (ATHAR_NLU__URL=none) every text goes to the fallback parser, as the first line
says; that is the run asked for, not a miss.

It also measures the HTTP client: CPU per Graph API send with our aiohttp client against httpx
(the transport pywa uses), the same bodies to the same emulator.

    python -m bench.bench_whatsapp [--seconds 10] [--buttons 60 --texts 20] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_telegram import _fallbacks, _tree_cpu_seconds, machine_speed  # noqa: E402
from bench.common import drop_schema, new_schema, percentile  # noqa: E402

FREE_TEXTS = [
    "bonjour, je voulais juste dire merci",
    "salam, kayn chi jdid?",
    "مرحبا، أريد أن أعرف المزيد",
    "واش ممكن نعرف شنو كاين؟",
    "je ne sais pas encore quoi faire",
    "chno khassni ndir daba?",
]
_WORDS = [
    "lyoum",
    "aujourd'hui",
    "اليوم",
    "demain",
    "ghda",
    "غدا",
    "merci",
    "choukran",
    "شكرا",
    "3afak",
    "s'il vous plaît",
    "من فضلك",
    "bien",
    "mzyan",
    "مزيان",
    "vraiment",
    "bzaf",
    "كثيرا",
]


def _free_text(n: int, rnd: random.Random) -> str:
    """A different message each time (no cache of the bot's sees the same text twice)."""
    return f"{rnd.choice(FREE_TEXTS)} {rnd.choice(_WORDS)} {rnd.choice(_WORDS)} {n}"


def _nlu_label() -> str:
    from bot.settings import get_settings

    settings = get_settings()
    if not settings.nlu.url:
        return "fallback parser (no Rasa URL)"
    try:
        with urllib.request.urlopen(settings.nlu.url + "/status", timeout=2) as answer:
            answer.read()
        return f"Rasa at {settings.nlu.url}"
    except Exception:  # noqa: BLE001
        return f"fallback parser (Rasa at {settings.nlu.url} not answering)"


MORE = "wa:more:"  # the menu is a list in pages: a row shows the next page (the list pick)


@dataclass
class Kind:
    name: str
    rate: float
    users: list[str]
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    dropped: int = 0  # sends the schedule could not make: no user of this kind was free


def _pct(values: list[float], q: float) -> float:
    return percentile(values, q / 100) * 1000


def _seed(db_url: str, numbers: list[str]) -> None:
    from domain.records import Identity, User
    from knowledge.loader import load_communes
    from storage.db import make_engine, make_uow_factory
    from storage.migrate import upgrade

    upgrade(db_url)
    engine = make_engine(db_url)
    uows = make_uow_factory(engine)
    commune = load_communes()[0].id
    with uows() as uow:
        for n in numbers:
            uow.users.add(
                User(role="official", commune_id=commune, language="fr"),
                Identity(channel="whatsapp", external_id=n, user_id=0),
            )
        uow.commit()
    engine.dispose()


class _Load:
    """The users' side: who is free to send, who waits for a reply (since when), the "next page"
    row each one sees, and the time of every send the emulator accepted."""

    def __init__(self, kinds: list[Kind]):
        self.lock = threading.Lock()
        self.inflight: dict[str, tuple[float, Kind]] = {}
        self.free = {k.name: collections.deque(k.users) for k in kinds}
        self.warm: set[str] = set()
        self.shown: dict[str, str] = {}  # user → the "next page" row of the menu they see
        self.sends: list[float] = []

    def on_call(self, call) -> None:
        if call.method != "messages" or call.status != 200:
            return
        with self.lock:
            self.sends.append(call.at)
            more = [i for i in call.ids if i.startswith(MORE)]
            if not more:
                return
            self.shown[call.to] = more[0]
            self.warm.add(call.to)
            started = self.inflight.pop(call.to, None)
            if started is not None:
                t0, kind = started
                kind.latencies.append(call.at - t0)
                self.free[kind.name].append(call.to)

    def send(self, emu, user: str, kind: Kind, text: str) -> None:
        """A list pick of the row the user sees, or the free text."""
        if kind.name == "button":
            emu.press(user, self.shown[user])
        else:
            emu.text(user, text)


def _bot_env(emu, db_url: str, max_rate: float, tmp: Path) -> dict[str, str]:
    from tests.whatsapp.emulator import APP_SECRET, PHONE, PHONE_ID, TOKEN, VERIFY_TOKEN

    env = {
        **os.environ,
        "ATHAR_WHATSAPP_TOKEN": TOKEN,
        "ATHAR_WHATSAPP_APP_SECRET": APP_SECRET,
        "ATHAR_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "ATHAR_WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "ATHAR_WHATSAPP_PHONE_NUMBER": PHONE,
        "ATHAR_WHATSAPP_API_URL": emu.api_url,
        "ATHAR_WHATSAPP__MAX_RATE": str(max_rate),
        "ATHAR_DATABASE_URL": db_url,
        "ATHAR_WHATSAPP__MEDIA_DIR": str(tmp / "media"),
        "ATHAR_LOGGING__LEVEL": "WARNING",
        "ATHAR_NLU__AUTOSTART": "false",
        "ATHAR_PSEUDONYM_KEY": "b" * 32,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    for k in ("ATHAR_TELEGRAM_TOKEN", "ATHAR_TELEGRAM_WEBHOOK_SECRET"):
        env.pop(k, None)
    return env


def _wait_healthy(proc: subprocess.Popen, port: int) -> None:
    import httpx

    deadline = time.monotonic() + 120
    with httpx.Client(trust_env=False, timeout=2) as c:
        while True:
            try:
                if c.get(f"http://127.0.0.1:{port}/healthz").text == "ok":
                    return
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("athar web did not start: see its log")
            time.sleep(0.2)


def _solo(emu, load: _Load, kinds: list[Kind]) -> dict:
    """One message at a time (no queueing): the latency of the path itself."""
    solo = {"button": Kind("button", 0, []), "text": Kind("text", 0, [])}
    rnd0 = random.Random(4)
    for i in range(30):
        k = solo["button" if i % 2 == 0 else "text"]
        user = kinds[0].users[0] if k.name == "button" else kinds[1].users[0]
        with load.lock:
            load.free[kinds[0].name if k.name == "button" else kinds[1].name].remove(user)
            load.inflight[user] = (time.perf_counter(), k)
        load.send(emu, user, k, _free_text(i, rnd0) if k.name != "button" else "")
        emu.wait(lambda user=user: user not in load.inflight, timeout=60)
        time.sleep(0.05)
    return {
        "solo_" + k.name: {
            "p50_ms": round(_pct(k.latencies, 50), 1),
            "p95_ms": round(_pct(k.latencies, 95), 1),
        }
        for k in solo.values()
    }


def _schedule(emu, load: _Load, kinds: list[Kind], seconds: float) -> tuple[float, float]:
    """The measured run: two open-loop schedules, each user one message at a time; a send with
    no free user is dropped (and counted). Returns when it started and when it stopped sending."""
    rnd = random.Random(5)
    start = time.perf_counter()
    nxt = {k.name: start for k in kinds}
    end = start + seconds
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        k = min(kinds, key=lambda k: nxt[k.name])
        wait = nxt[k.name] - now
        if wait > 0:
            time.sleep(wait)
        nxt[k.name] += 1.0 / k.rate
        with load.lock:
            if not load.free[k.name]:
                k.dropped += 1
                continue
            user = load.free[k.name].popleft()
            load.inflight[user] = (time.perf_counter(), k)
        load.send(emu, user, k, _free_text(k.sent, rnd) if k.name != "button" else "")
        k.sent += 1
    return start, time.perf_counter()


def _figures(kinds: list[Kind], elapsed: float) -> dict:
    return {
        k.name: {
            "target_per_s": k.rate,
            "sent": k.sent,
            "done": len(k.latencies),
            "per_s": round(len(k.latencies) / elapsed, 1),
            "p50_ms": round(_pct(k.latencies, 50), 1),
            "p95_ms": round(_pct(k.latencies, 95), 1),
            "dropped": k.dropped,
        }
        for k in kinds
    }


def run_database(
    database: str,
    seconds: float,
    button_rate: float,
    text_rate: float,
    max_rate: float,
) -> dict:
    from tests.telegram.emulator import free_port
    from tests.whatsapp.emulator import GraphApiEmulator

    n_buttons = max(20, int(button_rate * 1.5))
    n_texts = max(10, int(text_rate * 2))
    numbers = [f"2126{i:08d}" for i in range(n_buttons + n_texts)]
    kinds = [Kind("button", button_rate, numbers[:n_buttons]), Kind("text", text_rate, numbers[n_buttons:])]
    tmp = tempfile.TemporaryDirectory(prefix="athar-bench-wa-")
    schema = None
    if database == "postgresql":
        schema, db_url = new_schema("athar_bench_wa")
    else:
        db_url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    _seed(db_url, numbers)

    emu = GraphApiEmulator(deliverers=32).start()
    load = _Load(kinds)
    emu.listeners.append(load.on_call)
    port = free_port()
    cmd = [sys.executable, "-m", "bot.cli", "web", "--host", "127.0.0.1", "--port", str(port)]
    log_path = Path(tmp.name) / "bot.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        cmd,
        env=_bot_env(emu, db_url, max_rate, Path(tmp.name)),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    result: dict = {"database": database}
    try:
        _wait_healthy(proc, port)
        emu.webhook_url = f"http://127.0.0.1:{port}/whatsapp"
        # warm-up: everyone opens the menu (not measured)
        for n in numbers:
            emu.text(n, "/menu")
        emu.wait(lambda: len(load.warm) == len(numbers), timeout=300)
        time.sleep(1.0)  # the warm-up's statuses
        emu.ack_latencies.clear()
        result.update(_solo(emu, load, kinds))
        time.sleep(0.5)
        emu.ack_latencies.clear()
        cpu_bot, cpu_here = _tree_cpu_seconds(proc.pid), time.process_time()
        with load.lock:
            load.sends.clear()
        start, sent_until = _schedule(emu, load, kinds, seconds)
        try:
            emu.wait(lambda: not load.inflight, timeout=120)
        except AssertionError:
            result["unfinished"] = len(load.inflight)
        elapsed = max(time.perf_counter() - start, sent_until - start)
        done = sum(len(k.latencies) for k in kinds)
        time.sleep(1.0)  # the last statuses
        result["cpu"] = {
            "bot_ms_per_event": round((_tree_cpu_seconds(proc.pid) - cpu_bot) / max(done, 1) * 1000, 2),
            "emulator_ms_per_event": round((time.process_time() - cpu_here) / max(done, 1) * 1000, 2),
        }
        result.update(_figures(kinds, elapsed))
        with load.lock:
            ts = sorted(load.sends)
        result["busiest_second"] = max((sum(1 for t in ts if s <= t < s + 1.0) for s in ts), default=0)
        acks = list(emu.ack_latencies)
        result["ack"] = {
            "n": len(acks),
            "p50_ms": round(_pct(acks, 50), 1),
            "p99_ms": round(_pct(acks, 99), 1),
        }
        result["refused"] = len(emu.refused())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        result["fallbacks"] = _fallbacks(log_path)
        emu.stop()
        if schema:
            drop_schema(schema)
        tmp.cleanup()
    return result


def client_cost(n: int = 400) -> dict:
    """CPU per Graph API send: our aiohttp client against httpx (pywa's transport), the same
    text messages to the emulator, 8 at a time, statuses off (only the sending is measured)."""
    import httpx

    from bot.channels.whatsapp import GraphClient
    from tests.whatsapp.emulator import PHONE_ID, TOKEN, GraphApiEmulator

    emu = GraphApiEmulator(statuses=False).start()
    body = {"type": "text", "text": {"body": "Bonjour ! Voici le menu."}}
    for i in range(50):
        emu.last_seen[f"2127{i:08d}"] = time.time()
    out: dict = {}

    async def with_aiohttp() -> None:
        client = GraphClient(emu.api_url, TOKEN, PHONE_ID, connections=8)
        await client.open()
        try:
            await _batches(lambda to: client.send(to, body), n)
        finally:
            await client.close()

    async def with_httpx() -> None:
        url = f"{emu.api_url}/{PHONE_ID}/messages"
        async with httpx.AsyncClient(
            headers={"Authorization": f"Bearer {TOKEN}"},
            trust_env=False,
            limits=httpx.Limits(max_connections=8),
        ) as c:

            async def send(to: str) -> str:
                r = await c.post(
                    url,
                    json={"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **body},
                )
                r.raise_for_status()
                return r.json()["messages"][0]["id"]

            await _batches(send, n)

    try:
        for name, fn in (("aiohttp (ours)", with_aiohttp), ("httpx (pywa's transport)", with_httpx)):
            asyncio.run(fn())  # warm-up
            cpu, wall = time.process_time(), time.perf_counter()
            asyncio.run(fn())
            out[name] = {
                "cpu_ms_per_send": round((time.process_time() - cpu) / n * 1000, 3),
                "wall_s": round(time.perf_counter() - wall, 2),
            }
    finally:
        emu.stop()
    return out


async def _batches(send, n: int) -> None:
    sem = asyncio.Semaphore(8)

    async def one(i: int) -> None:
        async with sem:
            await send(f"2127{i % 50:08d}")

    await asyncio.gather(*(one(i) for i in range(n)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_whatsapp", description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 10)))
    p.add_argument("--buttons", type=float, default=60)
    p.add_argument("--texts", type=float, default=20)
    p.add_argument("--max-rate", type=float, default=80, help="whatsapp.max_rate for the run")
    p.add_argument("--databases", default="sqlite,postgresql")
    p.add_argument("--no-client", action="store_true", help="skip the HTTP client comparison")
    args, _ = p.parse_known_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    from bot.commands.run import nlu_context
    from bot.settings import get_settings

    with nlu_context(get_settings()):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    print(
        f"== machine speed: a 10-million-step Python loop takes {machine_speed():.2f} s "
        "(smaller is faster; compare runs by it)"
    )
    print(
        f"== WhatsApp channel: {args.buttons:g} list picks/s + {args.texts:g} free texts/s for "
        f"{args.seconds:g}s, each reply followed by 3 statuses, sends paced to "
        f"{args.max_rate:g}/s, NLU: {_nlu_label()}, {os.cpu_count()} CPUs"
    )
    ok = True
    for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
        r = run_database(database, args.seconds, args.buttons, args.texts, args.max_rate)
        ok = report(r, args) and ok
    if not args.no_client:
        for name, c in client_cost().items():
            print(
                f"Graph API client {name}: {c['cpu_ms_per_send']} ms CPU per send "
                f"({c['wall_s']} s for 400 sends, 8 at a time)"
            )
    return 0 if ok else 1


def report(r: dict, args: argparse.Namespace) -> bool:
    """Print one database's figures; True when every aim is met and nothing was missed."""
    database = r["database"]
    b, t, a = r["button"], r["text"], r["ack"]
    print(
        f"{database:10} list picks {b['per_s']}/s (of {b['target_per_s']:g}) p50 "
        f"{b['p50_ms']} ms p95 {b['p95_ms']} ms | free text {t['per_s']}/s (of "
        f"{t['target_per_s']:g}) p50 {t['p50_ms']} ms p95 {t['p95_ms']} ms"
    )
    sb, st = r["solo_button"], r["solo_text"]
    print(
        f"{'':10} one message at a time: list pick p50 {sb['p50_ms']} ms p95 "
        f"{sb['p95_ms']} ms, free text p50 {st['p50_ms']} ms p95 {st['p95_ms']} ms"
    )
    print(
        f"{'':10} webhook acknowledgement (messages and statuses): p50 {a['p50_ms']} ms, "
        f"p99 {a['p99_ms']} ms ({a['n']} calls); busiest second {r['busiest_second']} "
        f"sends; refused by the emulator {r['refused']}"
    )
    c = r["cpu"]
    print(
        f"{'':10} CPU per event (with its 3 statuses): bot {c['bot_ms_per_event']} ms, "
        f"emulator and load {c['emulator_ms_per_event']} ms"
    )
    misses = []
    if b["dropped"] or t["dropped"]:
        misses.append(
            f"sends dropped for want of a free user: {b['dropped']} list picks, {t['dropped']} free texts"
        )
    if r.get("unfinished"):
        misses.append(f"{r['unfinished']} events never answered")
    if r.get("fallbacks"):
        misses.append(
            f"{len(r['fallbacks'])} Rasa failures (texts answered by the fallback parser), "
            f"first: {r['fallbacks'][0][:200]}"
        )
    aims = [
        b["per_s"] >= 0.95 * args.buttons,
        t["per_s"] >= 0.95 * args.texts,
        b["p95_ms"] < 300,
        t["p95_ms"] < 500,
        a["p50_ms"] <= 50,
        a["p99_ms"] <= 250,
        r["refused"] == 0,
        args.max_rate <= 0 or r["busiest_second"] <= args.max_rate + 2,
    ]
    for miss in misses:
        print(f"{'':10} MISS: {miss}")
    met = all(aims) and not misses
    print(f"{'':10} aims {'met' if met else 'NOT met'}")
    return met


if __name__ == "__main__":
    sys.exit(main())
