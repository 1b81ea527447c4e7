"""Webhook mode: the ASGI app under uvicorn on 127.0.0.1; the emulator plays Telegram and POSTs
updates with the secret token given to setWebhook."""

from __future__ import annotations

import httpx

from tests.bot.helpers import invite
from tests.telegram.conftest import SECRET
from tests.telegram.emulator import buttons

U = 601


def _client():
    return httpx.Client(trust_env=False, timeout=30)


def _inbound(db_url) -> int:
    from storage.delivery import DeliveryStore
    from storage.db import make_engine

    engine = make_engine(db_url)
    try:
        return DeliveryStore(engine).count_pending("telegram")
    finally:
        engine.dispose()


def test_a_dialogue_through_the_webhook(emulator, web_bot, db_url):
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(db_url)
    code = invite(make_uow_factory(engine), role="official", commune="Berkane")
    engine.dispose()
    web_bot(db_url)
    assert emulator.webhook["secret"] == SECRET
    assert emulator.calls_of("setMyCommands")
    emulator.command(U, "/start")
    emulator.wait_sent(U, 1)
    emulator.press(U, "lang:ar")
    n = len(emulator.wait_sent(U, 2))
    emulator.text(U, code)
    emulator.wait(lambda: any("menu:help" in buttons(c) for c in emulator.sent(U)[n:]))
    assert {status for _, status in emulator.webhook_deliveries} == {200}
    # the button's callback query was answered once, in the webhook's own HTTP answer
    (answer,) = emulator.calls_of("answerCallbackQuery")
    assert answer.in_webhook_answer


def test_the_secret_is_required(emulator, web_bot, sqlite_db_url):
    bot = web_bot(sqlite_db_url)
    update = {
        "update_id": 5,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "chat": {"id": U, "type": "private"},
            "from": {"id": U, "is_bot": False, "first_name": "A"},
            "text": "/start",
        },
    }
    with _client() as c:
        assert c.post(bot.url, json=update).status_code == 403
        assert (
            c.post(bot.url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}).status_code
            == 403
        )
        assert (
            c.post(
                bot.url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"}
            ).status_code
            == 403
        )
        assert (
            c.post(
                bot.url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "é".encode("latin-1")}
            ).status_code
            == 403
        )
    assert _inbound(sqlite_db_url) == 0 and emulator.sent(U) == []
    with _client() as c:
        assert (
            c.post(bot.url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}).status_code
            == 200
        )
    emulator.wait_sent(U, 1)


def test_big_or_broken_bodies_are_refused_before_parsing(emulator, web_bot, sqlite_db_url):
    bot = web_bot(sqlite_db_url)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    big = b'{"update_id": 1, "pad": "' + b"x" * (64 * 1024) + b'"}'

    def chunks():  # no Content-Length: the body is counted while it is read
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    with _client() as c:
        assert c.post(bot.url, content=big, headers=headers).status_code == 413
        assert c.post(bot.url, content=chunks(), headers=headers).status_code == 413
        assert c.post(bot.url, content=b"{not json", headers=headers).status_code == 400
        assert c.post(bot.url, json={"no": "id"}, headers=headers).status_code == 400
        assert c.post(bot.url, json=[1, 2], headers=headers).status_code == 400
        assert c.get(bot.url.replace("/telegram", "/healthz")).text == "ok"
    assert _inbound(sqlite_db_url) == 0


def test_the_same_update_twice_is_handled_once(emulator, web_bot, sqlite_db_url):
    bot = web_bot(sqlite_db_url)
    update = emulator.command(U, "/start")
    emulator.wait_sent(U, 1)
    with _client() as c:  # Telegram retries a delivery it thinks failed
        r = c.post(bot.url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert r.status_code == 200
    emulator.push(dict(update))  # and once more through the emulator
    emulator.wait(lambda: len(emulator.webhook_deliveries) >= 2)
    emulator.press(U, "lang:fr")
    emulator.wait_sent(U, 2)
    sent = emulator.sent(U)
    assert len(sent) == 2  # /start answered once, then the language answer
    assert bot.runtime.stats.duplicates == 2


def test_an_acknowledged_update_survives_a_crash(emulator, web_bot, sqlite_db_url):
    """Recorded, acknowledged (200), then the worker dies before processing it: the next
    worker's start-up sweep processes it and the reply goes out."""
    bot = web_bot(sqlite_db_url)
    bot.runtime._schedule = lambda *args: None  # the crash: recorded, never processed
    emulator.command(U, "/start")
    emulator.wait(lambda: [s for _, s in emulator.webhook_deliveries] == [200])
    assert _inbound(sqlite_db_url) == 1 and emulator.sent(U) == []
    bot.stop()
    web_bot(sqlite_db_url)  # restart
    sent = emulator.wait_sent(U, 1)
    assert "lang:fr" in buttons(sent[0])
    emulator.wait(lambda: _inbound(sqlite_db_url) == 0)  # removed once the reply is sent


def test_athar_web_serves_the_webhook(emulator, tmp_path):
    """`athar web` (what production runs): migrates, registers the webhook with the secret,
    serves POST /telegram with uvicorn, stops on SIGTERM; without a secret it refuses to start."""
    import os
    import signal
    import subprocess
    import sys
    from tests.telegram.emulator import TOKEN, free_port

    port = free_port()
    env = {
        **os.environ,
        "ATHAR_TELEGRAM_TOKEN": TOKEN,
        "ATHAR_TELEGRAM_API_URL": emulator.api_url,
        "ATHAR_DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
        "ATHAR_NLU__URL": "",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env.pop("ATHAR_TELEGRAM_WEBHOOK_SECRET", None)
    cmd = [
        sys.executable,
        "-m",
        "bot.cli",
        "web",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--webhook-url",
        f"http://127.0.0.1:{port}/telegram",
    ]
    refused = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "ATHAR_TELEGRAM_WEBHOOK_SECRET" in refused.stderr
    env["ATHAR_TELEGRAM_WEBHOOK_SECRET"] = SECRET
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        emulator.wait(lambda: emulator.webhook is not None, timeout=60)
        assert emulator.webhook == {"url": f"http://127.0.0.1:{port}/telegram", "secret": SECRET}
        emulator.command(U, "/start")  # retried by the emulator until uvicorn is up
        sent = emulator.wait_sent(U, 1, timeout=60)
        assert "lang:fr" in buttons(sent[0])
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert "Application shutdown complete" in err
    assert TOKEN not in err and SECRET not in err
