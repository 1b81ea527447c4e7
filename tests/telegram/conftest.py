"""Fixtures of the Telegram tests: the Bot API emulator and the real bot (python-telegram-bot
over HTTP, the real dispatcher and database) running against it in a background thread:
`polling_bot` (long polling, as `athar telegram`) and `web_bot` (the webhook app under uvicorn,
as `athar web`)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Iterator

import pytest

from tests.telegram.emulator import TOKEN, BotApiEmulator, ServerThread

SECRET = "s3cret-Token_1"  # make_settings' webhook secret


@pytest.fixture(autouse=True)
def _loopback_without_proxy(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def emulator() -> Iterator[BotApiEmulator]:
    emu = BotApiEmulator().start()
    yield emu
    emu.stop()


def make_settings(emulator: BotApiEmulator, db_url: str, **telegram: Any):
    from bot.settings import load_settings

    tg = {"api_url": emulator.api_url, "max_rate": 0, "max_retries": 3}
    tg.update(telegram)
    return load_settings(
        database_url=db_url,
        telegram_token=TOKEN,
        telegram_webhook_secret=SECRET,
        nlu={"url": None},
        telegram=tg,
    )


class PollingBot:
    """`run_polling` in its own thread and event loop, as `athar telegram` runs it."""

    def __init__(self, settings, db_url: str, **kwargs: Any):
        self.settings = settings
        self.db_url = db_url
        self.kwargs = kwargs
        self.kwargs.setdefault("poll_timeout", 2)
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.channel = None
        self.athar = None

    def start(self) -> "PollingBot":
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self.thread.start()
        if not self.ready.wait(60):
            raise AssertionError("the bot did not start")
        if self.error is not None:
            raise self.error
        return self

    async def _main(self) -> None:
        from bot.app import build_app
        from bot.channels.telegram import run_polling

        self.loop = asyncio.get_running_loop()
        self.stop_event = asyncio.Event()
        self.athar = build_app(self.settings, nlu=None, database_url=self.db_url)

        def ready(channel) -> None:
            self.channel = channel
            self.ready.set()

        try:
            await run_polling(self.athar, self.settings, self.stop_event, ready=ready, **self.kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported by stop()/start()
            self.error = exc
            self.ready.set()
        finally:
            self.athar.close()

    def run(self, coro_fn, timeout: float = 60):
        """Run a coroutine function (given the channel) on the bot's loop; return its result."""
        fut = asyncio.run_coroutine_threadsafe(coro_fn(self.channel), self.loop)
        return fut.result(timeout)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.stop_event.set)
            self.thread.join(60)
        if self.error is not None:
            raise self.error


@pytest.fixture
def polling_bot(emulator):
    bots: list[PollingBot] = []

    def start(db_url: str, **kwargs: Any) -> PollingBot:
        settings = make_settings(emulator, db_url, **kwargs.pop("telegram", {}))
        bot = PollingBot(settings, db_url, **kwargs).start()
        bots.append(bot)
        return bot

    yield start
    for bot in bots:
        bot.stop()


class WebBot:
    """`bot.channels.web.create_app` served by uvicorn in a thread, as `athar web` serves it."""

    def __init__(self, emulator, db_url, register=True, **runtime_kwargs):
        from bot.channels.web import create_app

        self.settings = make_settings(emulator, db_url)
        runtime_kwargs.setdefault("grace", 0.0)
        self.app = create_app(self.settings, runtime_kwargs=runtime_kwargs)
        self.server = ServerThread(self.app).start()
        self.url = f"http://127.0.0.1:{self.server.port}/telegram"
        if register:
            from bot.commands.web import _prepare

            asyncio.run(_prepare(self.settings, self.url))

    @property
    def runtime(self):
        return self.app.state.runtime

    def stop(self):
        self.server.stop()


@pytest.fixture
def web_bot(emulator):
    bots = []

    def start(db_url, **kw):
        bot = WebBot(emulator, db_url, **kw)
        bots.append(bot)
        return bot

    yield start
    for b in bots:
        b.stop()
