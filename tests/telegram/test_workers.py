"""`athar web --workers 2` on PostgreSQL: two uvicorn worker processes behind one port serve
the webhook together; the database keeps every conversation whole and in order, and an update
delivered twice at once (Telegram retrying) is handled once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from tests.bot.helpers import invite
from tests.telegram.emulator import TOKEN, BotApiEmulator, buttons, free_port

SECRET = "workers-Secret_1"
USERS = list(range(801, 807))


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_serve_one_bot_on_postgresql(_postgres, tmp_path):
    if _postgres.error:
        pytest.skip(_postgres.error)
    from storage.db import make_engine, make_uow_factory
    from storage.migrate import upgrade

    schema, url = _postgres.new_schema()
    emu = BotApiEmulator(deliverers=8).start()  # Telegram opens up to 40 connections
    proc = None
    try:
        upgrade(url)
        engine = make_engine(url)
        codes = {u: invite(make_uow_factory(engine), role="official", commune="Berkane") for u in USERS}
        engine.dispose()
        port = free_port()
        env = {
            **os.environ,
            "ATHAR_TELEGRAM_TOKEN": TOKEN,
            "ATHAR_TELEGRAM_API_URL": emu.api_url,
            "ATHAR_DATABASE_URL": url,
            "ATHAR_NLU__URL": "",
            "ATHAR_TELEGRAM__MAX_RATE": "0",
            "ATHAR_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "NO_PROXY": "127.0.0.1,localhost",
        }
        env.pop("ATHAR_TELEGRAM__API_URL", None)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "web",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
                "--webhook-url",
                f"http://127.0.0.1:{port}/telegram",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        emu.wait(lambda: emu.webhook is not None, timeout=90)
        emu.wait(lambda: len(_children(proc.pid)) >= 2, timeout=90)

        def onboard(uid: int) -> None:
            emu.command(uid, "/start")  # retried by the emulator until a worker is up
            emu.wait_sent(uid, 1, timeout=90)
            emu.press(uid, "lang:fr")
            n = len(emu.wait_sent(uid, 2, timeout=60))
            emu.text(uid, codes[uid])
            emu.wait(lambda: any("menu:help" in buttons(c) for c in emu.sent(uid)[n:]), timeout=60)

        threads = [threading.Thread(target=onboard, args=(u,)) for u in USERS]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        assert not any(t.is_alive() for t in threads)

        # Telegram delivers one update twice at the same moment (both workers may get it);
        # another chat sends the same once, for reference
        twice, ref = USERS[0], USERS[1]
        before = {u: len(emu.sent(u)) for u in (twice, ref)}
        update = emu.command(twice, "/help")
        emu.push(dict(update))
        emu.command(ref, "/help")
        emu.wait(
            lambda: (
                sum(1 for uid, s in emu.webhook_deliveries if uid == update["update_id"] and s == 200) == 2
            ),
            timeout=60,
        )
        for u in (twice, ref):
            emu.command(u, "/menu")

        def finished(u: int) -> bool:  # the /help answer and the /menu answer, each ending
            return sum(1 for c in emu.sent(u)[before[u] :] if "menu:help" in buttons(c)) >= 2

        emu.wait(lambda: finished(twice) and finished(ref), timeout=60)
        engine = make_engine(url)

        def pending() -> int:  # recorded updates not yet finished (removed after the send)
            with engine.connect() as conn:
                return conn.exec_driver_sql("SELECT count(*) FROM inbound_updates").scalar()

        try:
            emu.wait(lambda: pending() == 0, timeout=30)
            with engine.connect() as conn:
                rows = dict(
                    conn.exec_driver_sql("SELECT chat_id, count(*) FROM outbox GROUP BY chat_id").all()
                )
        finally:
            engine.dispose()
        assert rows[str(twice)] == rows[str(ref)]  # the duplicate left no trace
        counts = {u: len(emu.sent(u)) for u in USERS}
        assert counts[twice] == counts[ref], counts  # the duplicate was answered once
        assert len({counts[u] for u in USERS[2:]}) == 1, counts  # same dialogue, same replies
        for u in USERS:
            sent = emu.sent(u)
            assert "lang:fr" in buttons(sent[0])  # in order: the language question first
        delivered = {uid for uid, s in emu.webhook_deliveries if s == 200}
        assert delivered == {uid for uid, _ in emu.webhook_deliveries}
        assert {s for _, s in emu.webhook_deliveries} <= {0, 200}  # 0: before uvicorn listened
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
        emu.stop()
        _postgres.drop_schema(schema)
    assert proc.returncode in (0, -signal.SIGTERM), err[-2000:]
