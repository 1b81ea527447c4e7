"""The fault table's harness: the real bot (`athar telegram` or `athar web`, its own process)
against the Bot API emulator of the tests, a real database (SQLite or PostgreSQL), simulated
users, and the counting of what reached them.

A fault is a function (see tests/faults/table.py) that gets a `Run`: it starts the bot, drives
users, injects its fault (kill -9, SIGTERM, 429/5xx, the database's connections killed...) and
returns a `Row`: tries, survived, lost, duplicated, crashed, leaks.

How replies are counted. Registered users sit at the main menu and send, one message at a time
(each waits for the answer to the last before sending the next, as people do), commands whose
answers differ from one to the next (/help, then /menu, then /help...). The answer to a message
is the first reply after it with the text that message gets (learnt at the start, with no
fault); a message with no such answer by the end of the run (the faults are over, the bot had
time to recover) is lost. A reply beyond what was asked (the same text once more) is a
duplicate. A reply with the generic error text is a crash (a handler raised), like a bot
process that died on its own or a webhook answered 500.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[2]

from tests.telegram.emulator import TOKEN, BotApiEmulator, Call, buttons, free_port  # noqa: E402

SECRET = "faults-Secret_1"
COMMANDS = ("/help", "/menu")


@dataclass
class Row:
    """One line of the fault table."""

    fault: str
    tries: int = 0
    survived: int = 0
    lost: int = 0
    duplicated: int = 0
    crashed: int = 0
    leaks: int = 0
    note: str = ""
    # the bars of this fault: most duplicates allowed (the issue: one per chat per crash)
    max_duplicated: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # other bars not met (said in the note)

    @property
    def ok(self) -> bool:
        return (
            not self.problems
            and self.lost == 0
            and self.crashed == 0
            and self.leaks == 0
            and self.duplicated <= self.max_duplicated
            and self.survived == self.tries
        )


def print_table(rows: list[Row], out=sys.stdout) -> None:
    head = ("fault", "tries", "survived", "lost", "duplicated", "crashed", "leaks", "ok", "s", "note")
    lines = [head] + [
        (
            r.fault,
            str(r.tries),
            str(r.survived),
            str(r.lost),
            f"{r.duplicated}" + (f" (≤{r.max_duplicated})" if r.max_duplicated else ""),
            str(r.crashed),
            str(r.leaks),
            "yes" if r.ok else "NO",
            f"{r.seconds:.0f}",
            "; ".join(r.problems + ([r.note] if r.note else [])),
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for n, line in enumerate(lines):
        cells = [c.ljust(w) if i in (0, 9) else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))]
        print("  ".join(cells).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)
    bad = [r.fault for r in rows if not r.ok]
    print(
        f"\n{len(rows) - len(bad)} of {len(rows)} faults held"
        + (f"; NOT held: {', '.join(bad)}" if bad else ""),
        file=out,
        flush=True,
    )


# ---------------------------------------------------------------------------------------------
# Databases


@contextlib.contextmanager
def database(pg: bool, workdir: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file in `workdir`, or a scratch PostgreSQL schema
    (dropped afterwards)."""
    from storage.migrate import upgrade

    if not pg:
        url = f"sqlite:///{workdir / 'athar.db'}"
        upgrade(url)
        yield url
        return
    from sqlalchemy.engine import make_url
    from bench.common import drop_schema, new_schema

    name, url = new_schema("athar_faults")
    # the bot's connections carry the schema's name: a fault can kill exactly those
    url = make_url(url).update_query_dict({"application_name": name}).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        drop_schema(name)


def seed_users(
    db_url: str, user_ids: list[int], commune: str = "berkane", role: str = "official", language: str = "fr"
) -> None:
    """Registered users of a commune (at the main menu once they write)."""
    from domain.records import Identity, User
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(db_url)
    try:
        uows = make_uow_factory(engine)
        with uows() as uow:
            for uid in user_ids:
                uow.users.add(
                    User(role=role, commune_id=commune, language=language),
                    Identity(channel="telegram", external_id=str(uid), user_id=0),
                )
            uow.commit()
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# The bot's process


class BotProcess:
    """`athar telegram` (polling) or `athar web` (webhook, `workers` uvicorn workers)."""

    def __init__(
        self,
        mode: str,
        db_url: str,
        emulator: BotApiEmulator,
        workdir: Path,
        nlu_url: str = "",
        env: dict[str, str] | None = None,
        workers: int = 1,
    ):
        self.mode = mode
        self.db_url = db_url
        self.emulator = emulator
        self.workdir = workdir
        self.nlu_url = nlu_url
        self.extra_env = env or {}
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.died: list[int] = []  # exit codes of processes that ended without being told to
        self.port = free_port()
        self.logs: list[Path] = []
        self._told: set[int] = set()  # pids ended on purpose (kill -9, SIGTERM)

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "ATHAR_TELEGRAM_TOKEN": TOKEN,
            "ATHAR_TELEGRAM_API_URL": self.emulator.api_url,
            "ATHAR_DATABASE_URL": self.db_url,
            "ATHAR_TELEGRAM__MAX_RATE": "0",
            "ATHAR_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "ATHAR_LOGGING__LEVEL": "INFO",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "ATHAR_NLU__URL": self.nlu_url,
            "ATHAR_NLU__AUTOSTART": "false",
            "PYTHONUNBUFFERED": "1",
            "ATHAR_PSEUDONYM_KEY": "faults-pseudonym-key-0123456789abcdef",
        }
        env.pop("ATHAR_TELEGRAM__API_URL", None)
        env.update(self.extra_env)
        return env

    def start(self, wait: bool = True) -> "BotProcess":
        if self.mode == "polling":
            cmd = [sys.executable, "-m", "bot.cli", "telegram"]
        else:
            cmd = [
                sys.executable,
                "-m",
                "bot.cli",
                "web",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--webhook-url",
                f"http://127.0.0.1:{self.port}/telegram",
            ]
        self.starts += 1
        log = self.workdir / f"bot-{self.starts}.log"
        self.logs.append(log)
        calls_before = len(self.emulator.calls)
        self.proc = subprocess.Popen(
            cmd,
            env=self.env(),
            cwd=ROOT,
            stdout=open(log, "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait:
            self.wait_ready(calls_before)
        return self

    def wait_ready(self, calls_before: int = 0, timeout: float = 120) -> None:
        emu = self.emulator
        method = "getUpdates" if self.mode == "polling" else "setWebhook"
        emu.wait(
            lambda: any(c.method == method for c in emu.calls[calls_before:]) or self.proc.poll() is not None,
            timeout=timeout,
        )
        if self.proc.poll() is not None:
            raise RuntimeError(f"the bot did not start: {self.log_tail()}")
        if self.mode != "polling":  # uvicorn binds its port after the webhook is registered
            import socket

            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", self.port)) == 0:
                        return
                time.sleep(0.05)
            raise RuntimeError("the webhook server did not listen")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check(self) -> None:
        """Note a process that ended on its own (a crash)."""
        if self.proc is not None and self.proc.poll() is not None and self.proc.pid not in self._told:
            self.died.append(self.proc.returncode)
            self._told.add(self.proc.pid)

    def kill(self) -> None:
        """kill -9, the whole process group (uvicorn's workers too)."""
        if self.alive:
            self._told.add(self.proc.pid)
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self, timeout: float = 60) -> float:
        """SIGTERM as a process manager sends it; the seconds until the process ended."""
        if not self.alive:
            return 0.0
        self._told.add(self.proc.pid)
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        return time.monotonic() - started

    def log_tail(self, n: int = 3000) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs)[-n:]

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())


# ---------------------------------------------------------------------------------------------
# Users and the counting of their answers


@dataclass
class Sent:
    chat: int
    expect: str  # the label of the answer this message gets (see Users.label)
    at: float
    answered_at: float | None = None


FREE_TEXTS = [
    "bonjour",
    "salam",
    "merci beaucoup",
    "مرحبا",
    "شكرا بزاف",
    "salam labas",
    "ok merci",
    "السلام عليكم",
    "bonsoir",
    "ça va ?",
    "choukran",
    "👍",
]
MENU_BUTTON = "menu:new_project"  # on the main menu's keyboard, which ends every answer here


class Users:
    """Registered users at the menu, each sending one message at a time; counts the answers.

    `script`: "commands" (/help, /menu, /help...: each answer told apart by its text) or
    "texts" (free text through the NLU; an answer is any reply that ends at the main menu)."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        ids: list[int],
        error_texts: set[str],
        wait: float = 90.0,
        think: float = 0.05,
        script: str = "commands",
        on_sent: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.emu = emulator
        self.ids = ids
        self._idset = set(ids)
        self.error_texts = error_texts
        self.wait = wait
        self.think = think
        self.script = script
        self.on_sent = on_sent
        self.expected: dict[str, str] = {}  # answer text → the command that gets it
        self.sent: list[Sent] = []
        self.replies: dict[int, list[tuple[Call, str | None]]] = collections.defaultdict(list)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.errors = 0
        self.others = 0  # replies that are neither an answer nor the error text
        emulator.listeners.append(self._on_call)

    def label(self, call: Call) -> str | None:
        text = call.params.get("text") or ""
        if text in self.error_texts:
            return "error"
        if self.script == "texts":
            return "text" if MENU_BUTTON in buttons(call) else None
        return self.expected.get(text)

    def _on_call(self, call: Call) -> None:
        if call.status != 200 or call.method not in ("sendMessage", "sendDocument", "sendPhoto"):
            return
        try:
            chat = int(call.params.get("chat_id"))
        except (TypeError, ValueError):
            return
        if chat not in self._idset:
            return
        label = self.label(call)
        with self._lock:
            self.replies[chat].append((call, label))
            if label == "error":
                self.errors += 1
            elif label is None and (self.expected or self.script == "texts"):
                self.others += 1

    def learn(self) -> None:
        """The answer of each command (or of a free text), with no fault: one message each."""
        uid = self.ids[0]
        probes = COMMANDS if self.script == "commands" else FREE_TEXTS[:2]
        for probe in probes:
            before = len(self.replies[uid])
            if probe.startswith("/"):
                self.emu.command(uid, probe)
            else:
                self.emu.text(uid, probe)
            self.emu.wait(lambda before=before: len(self.replies[uid]) > before, timeout=60)
            time.sleep(0.3)  # an answer in several messages: all of them
            with self._lock:
                got = self.replies[uid][before:]
            if len(got) != 1:
                raise RuntimeError(f"{probe!r} is answered with {len(got)} messages, not one")
            if self.script == "commands":
                self.expected[got[0][0].params.get("text") or ""] = probe
            elif got[0][1] != "text":
                raise RuntimeError(f"{probe!r} is not answered at the menu")
        if self.script == "commands" and len(self.expected) != len(COMMANDS):
            raise RuntimeError("the commands' answers are not told apart")
        with self._lock:
            self.replies.clear()
            self.errors = self.others = 0

    def _answered_unlocked(self, s: Sent) -> bool:
        if s.answered_at is None:
            for call, label in self.replies[s.chat]:
                if call.at >= s.at and label == s.expect:
                    s.answered_at = call.at
                    break
        return s.answered_at is not None

    def _answered(self, s: Sent) -> bool:
        with self._lock:
            return self._answered_unlocked(s)

    def send_one(self, uid: int, n: int) -> Sent:
        if self.script == "commands":
            command = COMMANDS[n % len(COMMANDS)]
            s = Sent(uid, command, time.perf_counter())
            with self._lock:
                self.sent.append(s)
            update = self.emu.command(uid, command)
        else:
            s = Sent(uid, "text", time.perf_counter())
            with self._lock:
                self.sent.append(s)
            update = self.emu.text(uid, f"{FREE_TEXTS[(uid + n) % len(FREE_TEXTS)]}")
        if self.on_sent is not None:
            self.on_sent(update)
        return s

    def _user(self, uid: int) -> None:
        n = 0
        while not self._stop.is_set():
            s = self.send_one(uid, n)
            n += 1
            deadline = time.monotonic() + self.wait
            while not self._answered(s) and time.monotonic() < deadline:
                time.sleep(0.02)
            if s.answered_at is None:  # lost for good: the count says so
                return
            if self.think:
                time.sleep(self.think)

    def start(self) -> None:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._user, args=(u,), daemon=True) for u in self.ids]
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        """No new messages; wait for the answers of those sent (up to `wait` seconds)."""
        self._stop.set()
        for t in self._threads:
            t.join(self.wait + 10)

    def count(self, row: Row) -> Row:
        """tries, survived, lost, duplicated and crashed (error replies) into `row`."""
        with self._lock:
            for s in self.sent:
                self._answered_unlocked(s)
            row.tries += len(self.sent)
            row.survived += sum(1 for s in self.sent if s.answered_at is not None)
            row.lost += sum(1 for s in self.sent if s.answered_at is None)
            row.duplicated += sum(self._duplicates_unlocked().values())
            row.crashed += self.errors
            if self.others:
                row.problems.append(f"{self.others} replies that answer nothing sent")
        return row

    def _duplicates_unlocked(self) -> dict[int, int]:
        asked = collections.Counter((s.chat, s.expect) for s in self.sent)
        out: dict[int, int] = collections.Counter()
        for chat, calls in self.replies.items():
            got = collections.Counter(label for _, label in calls if label not in (None, "error"))
            out[chat] += sum(max(0, n - asked[(chat, label)]) for label, n in got.items())
        return dict(out)

    def per_chat_duplicates(self) -> dict[int, int]:
        with self._lock:
            return self._duplicates_unlocked()

    def answer_times(self) -> list[float]:
        with self._lock:
            return [s.answered_at - s.at for s in self.sent if s.answered_at is not None]


def error_texts() -> set[str]:
    """The generic error message in every variant (what a handler that raised says)."""
    from bot.i18n import default_catalog

    catalog = default_catalog()
    return {catalog.text("common.error", lang) for lang in ("fr", "ar", "ary", "ary-Latn")}


# ---------------------------------------------------------------------------------------------
# One fault's run


@dataclass
class Run:
    """What a fault gets: a database, the emulator, a place for logs, the size of the run."""

    name: str
    pg: bool
    size: str  # "short" (make test) or "full" (make faults)
    workdir: Path
    db_url: str
    emulator: BotApiEmulator
    nlu_url: str = ""
    rasa_url: str | None = None  # a real Rasa server with the trained model, when there is one
    bots: list[BotProcess] = field(default_factory=list)
    last_users: "Users | None" = None

    @property
    def short(self) -> bool:
        return self.size == "short"

    def n(self, short: int, full: int) -> int:
        return short if self.short else full

    def bot(self, mode: str = "polling", **kw: Any) -> BotProcess:
        kw.setdefault("nlu_url", self.nlu_url)
        b = BotProcess(mode, self.db_url, self.emulator, self.workdir, **kw)
        self.bots.append(b)
        return b

    def users(self, count: int, first: int = 10_000, **kw: Any) -> Users:
        ids = list(range(first, first + count))
        seed_users(self.db_url, ids)
        self.last_users = Users(self.emulator, ids, error_texts(), **kw)
        return self.last_users


def run_fault(
    fn: Callable[[Run], Row],
    *,
    pg: bool = False,
    size: str = "short",
    nlu_url: str = "",
    rasa_url: str | None = None,
    keep: bool = False,
) -> Row:
    """Run one fault in a fresh database and emulator; the row it returns, with the crashes of
    bot processes that died on their own added."""
    name = fn.__name__.removeprefix("fault_").replace("_", " ")
    pg = pg or getattr(fn, "needs_pg", False)
    tmp = tempfile.mkdtemp(prefix="athar-faults-")
    workdir = Path(tmp)
    emu = BotApiEmulator(deliverers=8).start()
    started = time.monotonic()
    run: Run | None = None
    try:
        with database(pg, workdir) as url:
            run = Run(name, pg, size, workdir, url, emu, nlu_url=nlu_url, rasa_url=rasa_url)
            try:
                row = fn(run)
            finally:
                for b in run.bots:
                    b.check()
                    b.terminate()
            row.crashed += sum(len(b.died) for b in run.bots)
            if any(b.died for b in run.bots):
                row.note = (row.note + "; " if row.note else "") + "a bot process died"
    finally:
        emu.stop()
    row.seconds = time.monotonic() - started
    if not keep and row.ok:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    elif not row.ok:
        row.note = (row.note + "; " if row.note else "") + f"logs in {tmp}"
    return row


# ---------------------------------------------------------------------------------------------
# The NLU between the bot and Rasa


class NluProxy:
    """An HTTP server in front of the real Rasa server that can be made to fail: "ok" (passes
    everything on), "down" (the connection is dropped), "refuse" (503), "slow" (answers after
    `delay` seconds), "garbled" (200 with bytes that are not Rasa's JSON), "wrong" (JSON of the
    wrong shape), "hang" (never answers in time)."""

    def __init__(self, target: str | None, delay: float = 5.0):
        from starlette.applications import Starlette
        from starlette.routing import Route
        from tests.telegram.emulator import ServerThread

        self.target = target.rstrip("/") if target else None
        self.mode = "ok"
        self.delay = delay
        self.calls = collections.Counter()
        self._client = None
        app = Starlette(routes=[Route("/{path:path}", self._any, methods=["GET", "POST"])])
        self.server = ServerThread(app)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def start(self) -> "NluProxy":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    async def _any(self, request):
        import asyncio
        import httpx
        from starlette.responses import Response

        mode = self.mode
        self.calls[mode] += 1
        body = await request.body()
        if mode == "down":  # what a reverse proxy says when Rasa's process is gone
            return Response(b"", status_code=502)
        if mode == "refuse":
            return Response(b"Service Unavailable", status_code=503)
        if mode == "garbled":
            return Response(b'\x00\xff{"intent": [garbled', status_code=200, media_type="application/json")
        if mode == "wrong":
            return Response(
                b'{"intent": "greet", "entities": {"x": 1}}', status_code=200, media_type="application/json"
            )
        if mode in ("slow", "hang"):
            await asyncio.sleep(self.delay if mode == "slow" else 60.0)
        if self.target is None:
            return Response(b"no Rasa behind this proxy", status_code=503)
        if self._client is None:
            self._client = httpx.AsyncClient(trust_env=False, timeout=30)
        r = await self._client.request(
            request.method,
            self.target + "/" + request.path_params["path"],
            content=body,
            headers={"Content-Type": "application/json"},
        )
        return Response(r.content, status_code=r.status_code, media_type="application/json")


def rasa_url() -> str | None:
    """The URL of a real Rasa server with the trained model for a run of the table: the one at
    ATHAR_FAULTS_RASA_URL, else None (the caller starts one)."""
    return os.environ.get("ATHAR_FAULTS_RASA_URL") or None


class Inbox:
    """What the bot sent to some chats, kept per chat by a listener of the emulator (reading
    the emulator's whole call list on every wait costs more, the more calls there are)."""

    def __init__(self, emulator: BotApiEmulator, chats: set[int] | None = None):
        self.chats = chats
        self._by_chat: dict[int, list[Call]] = collections.defaultdict(list)
        self._changed = threading.Condition()
        emulator.listeners.append(self._on_call)

    def _on_call(self, call: Call) -> None:
        if call.status != 200 or call.method not in ("sendMessage", "sendDocument", "sendPhoto"):
            return
        try:
            chat = int(call.params.get("chat_id"))
        except (TypeError, ValueError):
            return
        if self.chats is not None and chat not in self.chats:
            return
        with self._changed:
            self._by_chat[chat].append(call)
            self._changed.notify_all()

    def sent(self, chat: int) -> list[Call]:
        with self._changed:
            return list(self._by_chat[chat])

    def wait_more(self, chat: int, than: int, timeout: float = 30.0) -> bool:
        """Whether more than `than` messages reached `chat` within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._by_chat[chat]) <= than:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True
