"""Fixtures of the WhatsApp tests: the Graph API emulator (with its signed-webhook sender) and
the real `athar web` process serving /whatsapp against it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any, Iterator

import httpx
import pytest

from tests.telegram.emulator import free_port
from tests.whatsapp.emulator import APP_SECRET, PHONE, PHONE_ID, TOKEN, VERIFY_TOKEN, GraphApiEmulator


@pytest.fixture(autouse=True)
def _loopback_without_proxy(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def graph() -> Iterator[GraphApiEmulator]:
    emu = GraphApiEmulator().start()
    yield emu
    emu.stop()


def whatsapp_env(graph: GraphApiEmulator, db_url: str, media_dir: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATHAR_") or k == "ATHAR_TEST_PG_URL"}
    env.update(
        {
            "ATHAR_WHATSAPP_TOKEN": TOKEN,
            "ATHAR_WHATSAPP_APP_SECRET": APP_SECRET,
            "ATHAR_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
            "ATHAR_WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
            "ATHAR_WHATSAPP_PHONE_NUMBER": PHONE,
            "ATHAR_WHATSAPP_API_URL": graph.api_url,
            "ATHAR_DATABASE_URL": db_url,
            "ATHAR_NLU__URL": "",
            "ATHAR_PSEUDONYM_KEY": "k" * 32,
            "ATHAR_WHATSAPP__MEDIA_DIR": media_dir,
            "ATHAR_WHATSAPP__GRACE_SECONDS": "0",
            "ATHAR_WHATSAPP__SWEEP_SECONDS": "1",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    env.update(extra)
    return env


class AtharWeb:
    """`athar web` as production runs it, in its own process, serving /whatsapp."""

    def __init__(self, graph: GraphApiEmulator, env: dict[str, str], command: str = "web"):
        self.graph = graph
        self.env = env
        self.command = command  # "web", or "run" (what `make run` starts)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/whatsapp"
        self.proc: subprocess.Popen | None = None
        self.log: str | None = None  # its stderr, once stopped

    def start(self) -> "AtharWeb":
        cmd = [sys.executable, "-m", "bot.cli", self.command, "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        with httpx.Client(trust_env=False, timeout=2) as c:
            while True:
                if self.proc.poll() is not None:
                    raise AssertionError("athar web stopped: " + self.proc.stderr.read()[-3000:])
                try:
                    if c.get(self.url.replace("/whatsapp", "/healthz")).text == "ok":
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError("athar web did not start")
                time.sleep(0.1)
        self.graph.webhook_url = self.url
        return self

    def kill(self) -> None:
        """kill -9: no shutdown of any kind."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.graph.webhook_url = None

    def stop(self) -> str:
        """SIGTERM, as a service manager stops it; returns its log (stderr)."""
        if self.log is not None:
            return self.log
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _, self.log = self.proc.communicate(timeout=60)
        return self.log

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        with httpx.Client(trust_env=False, timeout=30) as c:
            return c.post(self.url, content=body, headers=headers or {})


@pytest.fixture
def athar_web(graph, tmp_path):
    started: list[AtharWeb] = []

    def start(db_url: str, command: str = "web", **extra: Any) -> AtharWeb:
        env = whatsapp_env(graph, db_url, str(tmp_path / "media"), **extra)
        web = AtharWeb(graph, env, command).start()
        started.append(web)
        return web

    yield start
    for web in started:
        err = web.stop()
        if web.proc.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL):
            raise AssertionError(err[-3000:])
