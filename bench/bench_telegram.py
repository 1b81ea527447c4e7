"""Telegram channel benchmark: the real bot (`athar telegram` / `athar web`, one worker unless --workers, in its
own process) against the Bot API emulator of the tests, with the configured NLU and a real
database (SQLite by default, PostgreSQL with --pg).

Load: registered users sitting at the main menu press a button (200 per second) and type free
text (50 per second) at the same time, each user with at most one message in flight. An update
is complete when the bot's last reply to it (the menu again, with its keyboard) reaches the
emulator: latency = update queued at "Telegram" → that reply received. Webhook mode also
measures the acknowledgement (the webhook POST's answer time, as Telegram sees it).

Aims (issue 5): ≥ 200 button answers and ≥ 50 free-text messages per second together;
processing p95 < 150 ms (buttons) and < 300 ms (free text); acknowledgement p50 ≤ 50 ms and
p99 ≤ 250 ms. The AIORateLimiter is switched off for the run (ATHAR_TELEGRAM__MAX_RATE=0): real
Telegram allows about 30 messages per second, the emulator does not limit.

    python -m bench.bench_telegram [--seconds 10] [--modes polling,webhook] [--pg]
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import drop_schema, new_schema, percentile  # noqa: E402

BUTTON = "menu:help"
FREE_TEXTS = ["bonjour, je voulais juste dire merci", "salam, kayn chi jdid?",
              "مرحبا، أريد أن أعرف المزيد", "واش ممكن نعرف شنو كاين؟",
              "je ne sais pas encore quoi faire", "chno khassni ndir daba?"]


_WORDS = ["lyoum", "aujourd'hui", "اليوم", "demain", "ghda", "غدا", "merci", "choukran", "شكرا",
          "3afak", "s'il vous plaît", "من فضلك", "bien", "mzyan", "مزيان", "vraiment", "bzaf", "كثيرا"]


def _free_text(n: int, rnd: random.Random) -> str:
    """A different message each time (no cache of the bot's sees the same text twice)."""
    return f"{rnd.choice(FREE_TEXTS)} {rnd.choice(_WORDS)} {rnd.choice(_WORDS)} {n}"


@dataclass
class Kind:
    name: str
    rate: float
    users: list[int]
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    saturated: int = 0


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


def _seed(db_url: str, user_ids: list[int]) -> None:
    from domain.records import Identity, User
    from knowledge.loader import load_communes
    from storage.db import make_engine, make_uow_factory
    from storage.migrate import upgrade

    upgrade(db_url)
    engine = make_engine(db_url)
    uows = make_uow_factory(engine)
    commune = load_communes()[0].id
    with uows() as uow:
        for uid in user_ids:
            uow.users.add(User(role="official", commune_id=commune, language="fr"),
                          Identity(channel="telegram", external_id=str(uid), user_id=0))
        uow.commit()
    engine.dispose()


def run_mode(mode: str, seconds: float, button_rate: float, text_rate: float,
             pg: bool, workers: int = 1) -> dict:
    from tests.telegram.emulator import TOKEN, BotApiEmulator, buttons, free_port

    n_buttons = max(20, int(button_rate * 1.5))
    n_texts = max(10, int(text_rate * 2))
    ids = list(range(10_000, 10_000 + n_buttons + n_texts))
    kinds = [Kind("button", button_rate, ids[:n_buttons]), Kind("text", text_rate, ids[n_buttons:])]
    tmp = tempfile.TemporaryDirectory(prefix="athar-bench-")
    schema = None
    if pg:
        schema, db_url = new_schema()
    else:
        db_url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    _seed(db_url, ids)

    emu = BotApiEmulator(deliverers=16).start()
    lock = threading.Lock()
    inflight: dict[int, tuple[float, Kind]] = {}
    free = {k.name: collections.deque(k.users) for k in kinds}
    warm: set[int] = set()

    def on_call(call) -> None:
        if call.method != "sendMessage" or call.status != 200:
            return
        if BUTTON not in buttons(call):
            return
        chat = int(call.params["chat_id"])
        with lock:
            warm.add(chat)
            started = inflight.pop(chat, None)
            if started is not None:
                t0, kind = started
                kind.latencies.append(call.at - t0)
                free[kind.name].append(chat)

    emu.listeners.append(on_call)
    env = {**os.environ, "ATHAR_TELEGRAM_TOKEN": TOKEN, "ATHAR_TELEGRAM_API_URL": emu.api_url,
           "ATHAR_DATABASE_URL": db_url, "ATHAR_TELEGRAM__MAX_RATE": "0",
           "ATHAR_TELEGRAM_WEBHOOK_SECRET": "bench-secret", "ATHAR_LOGGING__LEVEL": "WARNING",
           "NO_PROXY": "127.0.0.1,localhost", "ATHAR_NLU__AUTOSTART": "false"}
    env.pop("ATHAR_TELEGRAM__API_URL", None)
    if mode == "polling":
        cmd = [sys.executable, "-m", "bot.cli", "telegram"]
    else:
        port = free_port()
        cmd = [sys.executable, "-m", "bot.cli", "web", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--webhook-url", f"http://127.0.0.1:{port}/telegram"]
    log = open(Path(tmp.name) / "bot.log", "w")
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    result: dict = {"mode": mode, "database": "postgresql" if pg else "sqlite", "workers": workers}
    try:
        if mode == "polling":
            emu.wait(lambda: bool(emu.calls_of("getUpdates")), timeout=120)
        else:
            emu.wait(lambda: emu.webhook is not None, timeout=120)
            time.sleep(1.0)  # uvicorn binds after setWebhook
        # warm-up: everyone opens the menu (not measured)
        for uid in ids:
            emu.command(uid, "/menu")
        emu.wait(lambda: len(warm) == len(ids), timeout=300)
        emu.ack_latencies.clear()
        # one message at a time (no queueing): the latency of the path itself
        solo = {"button": Kind("button", 0, []), "text": Kind("text", 0, [])}
        rnd0 = random.Random(4)
        for i in range(40):
            k = solo["button" if i % 2 == 0 else "text"]
            uid = ids[0] if k.name == "button" else ids[-1]
            with lock:
                free[kinds[0].name if k.name == "button" else kinds[1].name].remove(uid)
                inflight[uid] = (time.perf_counter(), k)
            if k.name == "button":
                emu.press(uid, BUTTON)
            else:
                emu.text(uid, _free_text(i, rnd0))
            emu.wait(lambda: uid not in inflight, timeout=60)
        for k in solo.values():
            result["solo_" + k.name] = {"p50_ms": round(_pct(k.latencies, 50), 1),
                                        "p95_ms": round(_pct(k.latencies, 95), 1)}
        solo_acks = list(emu.ack_latencies)
        emu.ack_latencies.clear()
        # the measured run: two open-loop schedules, each user one message at a time
        rnd = random.Random(5)
        cpu_bot, cpu_here = _tree_cpu_seconds(proc.pid), time.process_time()
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
            with lock:
                if not free[k.name]:
                    k.saturated += 1
                    continue
                uid = free[k.name].popleft()
                inflight[uid] = (time.perf_counter(), k)
            if k.name == "button":
                emu.press(uid, BUTTON)
            else:
                emu.text(uid, _free_text(k.sent, rnd))
            k.sent += 1
        sent_until = time.perf_counter()
        try:
            emu.wait(lambda: not inflight, timeout=120)
        except AssertionError:
            result["unfinished"] = len(inflight)
        elapsed = max(time.perf_counter() - start, sent_until - start)
        done = sum(len(k.latencies) for k in kinds)
        result["cpu"] = {"bot_ms_per_update": round((_tree_cpu_seconds(proc.pid) - cpu_bot) / max(done, 1) * 1000, 2),
                         "emulator_ms_per_update": round((time.process_time() - cpu_here) / max(done, 1) * 1000, 2)}
        for k in kinds:
            result[k.name] = {
                "target_per_s": k.rate, "sent": k.sent, "done": len(k.latencies),
                "per_s": round(len(k.latencies) / elapsed, 1),
                "p50_ms": round(_pct(k.latencies, 50), 1),
                "p95_ms": round(_pct(k.latencies, 95), 1),
                "saturated": k.saturated}
        if mode == "webhook":
            result["solo_ack"] = {"p50_ms": round(_pct(solo_acks, 50), 1),
                                  "p99_ms": round(_pct(solo_acks, 99), 1)}
            acks = list(emu.ack_latencies)
            result["ack"] = {"n": len(acks), "p50_ms": round(_pct(acks, 50), 1),
                             "p99_ms": round(_pct(acks, 99), 1)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        emu.stop()
        if schema:
            drop_schema(schema)
        tmp.cleanup()
    return result


def _nlu_label() -> str:
    from bot.settings import get_settings
    settings = get_settings()
    if not settings.nlu.url:
        return "fallback parser (no Rasa URL)"
    try:
        import httpx
        httpx.get(settings.nlu.url + "/status", timeout=2, trust_env=False).raise_for_status()
        return f"Rasa at {settings.nlu.url}"
    except Exception:  # noqa: BLE001
        return f"fallback parser (Rasa at {settings.nlu.url} not answering)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_telegram", description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 10)))
    p.add_argument("--modes", default="polling,webhook")
    p.add_argument("--buttons", type=float, default=200)
    p.add_argument("--texts", type=float, default=50)
    p.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    p.add_argument("--workers", type=int, default=1,
                   help="uvicorn worker processes in webhook mode (use with --pg)")
    args, _ = p.parse_known_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    from bot.commands.run import nlu_context
    from bot.settings import get_settings
    with nlu_context(get_settings()):
        return _run(args)


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop: this shared virtual machine's speed varies (by up
    to twice over an afternoon, with its host's load), so every figure comes with it."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


def _run(args: argparse.Namespace) -> int:
    print(f"== machine speed: a 10-million-step Python loop takes {machine_speed():.2f} s "
          "(smaller is faster; compare runs by it)")
    print(f"== Telegram channel: {args.buttons:g} button answers/s + {args.texts:g} free texts/s "
          f"for {args.seconds:g}s, NLU: {_nlu_label()}, {os.cpu_count()} CPUs")
    ok = True
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        r = run_mode(mode, args.seconds, args.buttons, args.texts, args.pg,
                     args.workers if mode == "webhook" else 1)
        b, t = r["button"], r["text"]
        print(f"{mode:8} ({r['database']}, {r['workers']} worker{'s' if r['workers'] > 1 else ''}): buttons {b['per_s']}/s (of {b['target_per_s']:g}) "
              f"p50 {b['p50_ms']} ms p95 {b['p95_ms']} ms | free text {t['per_s']}/s "
              f"(of {t['target_per_s']:g}) p50 {t['p50_ms']} ms p95 {t['p95_ms']} ms"
              + (f" | unfinished {r['unfinished']}" if r.get("unfinished") else "")
              + (f" | saturated b={b['saturated']} t={t['saturated']}"
                 if b["saturated"] or t["saturated"] else ""))
        sb, st = r["solo_button"], r["solo_text"]
        print(f"{'':8} one message at a time: button p50 {sb['p50_ms']} ms p95 {sb['p95_ms']} ms,"
              f" free text p50 {st['p50_ms']} ms p95 {st['p95_ms']} ms"
              + (f", ack p50 {r['solo_ack']['p50_ms']} ms p99 {r['solo_ack']['p99_ms']} ms"
                 if "solo_ack" in r else ""))
        c = r["cpu"]
        print(f"{'':8} CPU per update: bot {c['bot_ms_per_update']} ms, emulator and load "
              f"{c['emulator_ms_per_update']} ms (on one core the bot alone would handle "
              f"~{1000 / c['bot_ms_per_update']:.0f} updates/s)" if c['bot_ms_per_update'] else "")
        if "ack" in r:
            a = r["ack"]
            print(f"{'':8} webhook acknowledgement: p50 {a['p50_ms']} ms, p99 {a['p99_ms']} ms "
                  f"({a['n']} updates)")
        aims = [b["per_s"] >= 0.95 * args.buttons, t["per_s"] >= 0.95 * args.texts,
                b["p95_ms"] < 150, t["p95_ms"] < 300]
        if "ack" in r:
            aims += [r["ack"]["p50_ms"] <= 50, r["ack"]["p99_ms"] <= 250]
        print(f"{'':8} aims {'met' if all(aims) else 'NOT met'}")
        ok = ok and all(aims)
    return 0


if __name__ == "__main__":
    sys.exit(main())
