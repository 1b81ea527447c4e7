"""A small Telegram Bot API emulator for the tests and the benchmark (127.0.0.1, real HTTP).

It answers what Athar's bot uses: getMe (is_bot), deleteWebhook, setWebhook, getWebhookInfo,
getUpdates (long poll with offset), sendMessage, editMessageText, answerCallbackQuery,
sendDocument and sendPhoto (multipart), setMyCommands, getFile; 400 for any other method (a 404
would make python-telegram-bot think the token is invalid). Every call is recorded, including a
call sent back in a webhook's answer, which Telegram performs too. Faults can be injected per
method: 429 with retry_after, 403, 500.

Users are simulated with `text`, `command`, `press`, `voice`, `photo`, `blocked`: each builds a
real update and queues it; getUpdates hands it out, or, once a webhook is set, it is POSTed to the
webhook URL with the secret token header, retried until the webhook answers 200, like Telegram.

The server runs in its own thread and event loop; the methods used by tests are thread-safe.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "123456:TEST-token_for-the-emulator"
BOT = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Athar",
    "username": "AtharTestBot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, int]] = field(default_factory=dict)  # name → (filename, bytes)
    status: int = 200
    at: float = field(default_factory=time.perf_counter)
    in_webhook_answer: bool = False  # sent back in a webhook's HTTP answer, not requested


class ServerThread:
    """A uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any, port: int | None = None):
        self.port = port or free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


class BotApiEmulator:
    def __init__(self, token: str = TOKEN, deliverers: int = 1):
        self.token = token
        self.deliverers = deliverers  # concurrent webhook connections (Telegram: up to 40)
        self.listeners: list[Callable[[Call], None]] = []  # called with every recorded call
        self.ack_latencies: list[float] = []  # webhook POST → answer, seconds
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self._again: list[dict[str, Any]] = []
        self.confirmed = 0  # every update with a smaller id was confirmed by getUpdates' offset
        self.webhook: dict[str, Any] | None = None
        self.closing = False
        self._keyboards: dict[int | None, list[Call]] = {}  # chat → its last calls with buttons
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, status)
        self.faults: dict[str, list[dict[str, Any]]] = {}
        self.blocked: set[int] = set()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._deliveries: asyncio.Queue | None = None
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ],
            lifespan=self._lifespan,
        )
        self.server = ServerThread(app)

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def api_url(self) -> str:
        return self.base + "/bot"

    def start(self) -> "BotApiEmulator":
        self.server.start()
        return self

    def stop(self) -> None:
        self.closing = True  # long polls end now rather than being cancelled at shutdown
        if self.loop is not None and self._new_update is not None:
            self.loop.call_soon_threadsafe(self._new_update.set)
        self.server.stop()

    def _lifespan(self, app: Any):
        emulator = self

        class _Ctx:
            async def __aenter__(self_inner):
                emulator.loop = asyncio.get_running_loop()
                emulator._new_update = asyncio.Event()
                emulator._deliveries = asyncio.Queue()
                emulator._deliverer = [
                    asyncio.create_task(emulator._deliver_forever()) for _ in range(emulator.deliverers)
                ]

            async def __aexit__(self_inner, *exc):
                for task in emulator._deliverer:
                    task.cancel()

        return _Ctx()

    # -- faults -----------------------------------------------------------------------------
    def inject(
        self, method: str, status: int, count: int = 1, retry_after: int = 1, seconds: float | None = None
    ) -> None:
        """The next `count` calls of `method` fail with `status` (429, 403, 500, 502...); with
        `seconds`, every call for that long (an outage)."""
        with self._lock:
            if seconds is not None:
                self.faults.setdefault(method, []).append(
                    {"status": status, "retry_after": retry_after, "until": time.monotonic() + seconds}
                )
                return
            self.faults.setdefault(method, []).extend(
                [{"status": status, "retry_after": retry_after}] * count
            )

    def _fault(self, method: str, params: dict[str, Any]) -> JSONResponse | None:
        with self._lock:
            chat = params.get("chat_id")
            if method.startswith("send") and chat is not None and int(chat) in self.blocked:
                spec: dict[str, Any] | None = {"status": 403}
            else:
                queue = self.faults.get(method) or []
                while queue and queue[0].get("until", float("inf")) < time.monotonic():
                    queue.pop(0)  # an outage that is over
                spec = None
                if queue:
                    spec = queue[0] if "until" in queue[0] else queue.pop(0)
        if spec is None:
            return None
        status = spec["status"]
        body: dict[str, Any] = {"ok": False, "error_code": status}
        if status == 429:
            body["description"] = f"Too Many Requests: retry after {spec['retry_after']}"
            body["parameters"] = {"retry_after": spec["retry_after"]}
        elif status == 403:
            body["description"] = "Forbidden: bot was blocked by the user"
        else:
            body["description"] = "Internal Server Error"
        return JSONResponse(body, status_code=status)

    # -- the Bot API --------------------------------------------------------------------------
    async def _file(self, request: Request) -> Any:
        from starlette.responses import Response

        return Response(b"OggS-fake-voice-note", media_type="application/octet-stream")

    async def _params(self, request: Request) -> tuple[dict[str, Any], dict[str, tuple[str, int]]]:
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, int]] = {}
        ctype = request.headers.get("content-type", "")
        if "application/json" in ctype:
            body = await request.body()
            return (json.loads(body) if body else {}), files
        form = await request.form()
        for key, value in form.multi_items():
            if hasattr(value, "read"):
                data = await value.read()
                files[key] = (value.filename or key, len(data))
                continue
            try:
                params[key] = json.loads(value)
            except (TypeError, ValueError):
                params[key] = value
        return params, files

    async def _api(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        params, files = await self._params(request)
        fault = self._fault(method, params)
        self._record(Call(method, params, files, status=fault.status_code if fault else 200))
        if fault is not None:
            return fault
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": f"Bad Request: method {method} not found"},
                status_code=400,
            )
        result = await handler(params, files)
        if method == "getUpdates" and any("_raw" in u for u in result):
            # updates pushed as raw JSON text (poison no encoder would write): spliced in
            body = (
                '{"ok":true,"result":['
                + ",".join(u["_raw"] if "_raw" in u else json.dumps(u) for u in result)
                + "]}"
            )
            return Response(body.encode("utf-8", "surrogatepass"), media_type="application/json")
        return JSONResponse({"ok": True, "result": result})

    def _record(self, call: Call) -> Call:
        """Keep a call (and the keyboard it showed), wake the waiters, tell the listeners."""
        with self._changed:
            self.calls.append(call)
            if call.status == 200 and _button_data(call):
                recent = self._keyboards.setdefault(_chat(call), [])
                recent.append(call)
                del recent[:-5]
            self._changed.notify_all()
        for listener in self.listeners:
            listener(call)
        return call

    async def _m_getMe(self, p, f):
        return BOT

    async def _m_deleteWebhook(self, p, f):
        with self._lock:
            self.webhook = None
        return True

    async def _m_setWebhook(self, p, f):
        with self._lock:
            self.webhook = {"url": p.get("url"), "secret": p.get("secret_token")}
            pending = [u for u in self.updates if u["update_id"] >= self.confirmed]
            self.confirmed = max([self.confirmed] + [u["update_id"] + 1 for u in pending])
        for u in pending:
            self._deliveries.put_nowait(u)
        return True

    async def _m_getWebhookInfo(self, p, f):
        with self._lock:
            return {
                "url": (self.webhook or {}).get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }

    async def _m_getUpdates(self, p, f):
        offset = int(p.get("offset") or 0)
        timeout = float(p.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while True:
            self._new_update.clear()
            with self._lock:
                if offset:
                    self.confirmed = max(self.confirmed, offset)
                # updates are kept in update_id order: skip the confirmed ones without a scan
                first = bisect.bisect_left(self.updates, self.confirmed, key=lambda u: u["update_id"])
                ready = self._again + self.updates[first : first + 100]
                self._again = []
                if self.webhook is not None:
                    return []  # Telegram answers 409 here; the bot never polls with a webhook
            if ready:
                limit = int(p.get("limit") or 100)
                return ready[: max(1, min(limit, 100))]
            left = deadline - time.monotonic()
            if left <= 0 or self.closing:
                return []
            try:
                await asyncio.wait_for(self._new_update.wait(), left)
            except asyncio.TimeoutError:
                return []

    def _message(self, p: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat = int(p["chat_id"])
        msg = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
            "from": {k: BOT[k] for k in ("id", "is_bot", "first_name", "username")},
        }
        if p.get("reply_markup"):
            msg["reply_markup"] = p["reply_markup"]
        msg.update(extra)
        return msg

    async def _m_sendMessage(self, p, f):
        return self._message(p, text=p.get("text", ""))

    async def _m_editMessageText(self, p, f):
        return self._message(p, text=p.get("text", ""), message_id=int(p.get("message_id", 0)))

    async def _m_answerCallbackQuery(self, p, f):
        return True

    async def _m_setMyCommands(self, p, f):
        return True

    async def _m_sendDocument(self, p, f):
        name, size = f.get("document", (str(p.get("document")), 0))
        return self._message(
            p,
            caption=p.get("caption"),
            document={
                "file_id": f"doc{size}",
                "file_unique_id": f"udoc{size}",
                "file_name": name,
                "file_size": size,
            },
        )

    async def _m_sendPhoto(self, p, f):
        name, size = f.get("photo", ("photo", 0))
        return self._message(
            p,
            caption=p.get("caption"),
            photo=[
                {
                    "file_id": f"pho{size}",
                    "file_unique_id": f"upho{size}",
                    "width": 512,
                    "height": 512,
                    "file_size": size,
                }
            ],
        )

    async def _m_getFile(self, p, f):
        fid = str(p.get("file_id"))
        return {"file_id": fid, "file_unique_id": "u" + fid, "file_size": 20, "file_path": f"voice/{fid}.oga"}

    # -- webhook delivery -----------------------------------------------------------------------
    async def _deliver_forever(self) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as client:
            while True:
                update = await self._deliveries.get()
                for attempt in range(50):
                    with self._lock:
                        hook = self.webhook
                    if hook is None:
                        break
                    headers = {}
                    if hook.get("secret"):
                        headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret"]
                    started = time.perf_counter()
                    answer = b""
                    body = (update["_raw"] if "_raw" in update else json.dumps(update)).encode(
                        "utf-8", "surrogatepass"
                    )
                    headers["Content-Type"] = "application/json"
                    try:
                        async with client.post(hook["url"], data=body, headers=headers) as r:
                            answer = await r.read()
                            status = r.status
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        status = 0
                    took = time.perf_counter() - started
                    with self._changed:
                        if status == 200:
                            self.ack_latencies.append(took)
                        self.webhook_deliveries.append((update["update_id"], status))
                        if status == 200:
                            self.confirmed = max(self.confirmed, update["update_id"] + 1)
                        self._changed.notify_all()
                    if status == 200:
                        await self._perform_answer(answer)
                        break
                    await asyncio.sleep(0.05 * (attempt + 1))

    async def _perform_answer(self, answer: bytes) -> None:
        """Like Telegram: a webhook's answer may carry one Bot API call ({"method": …, params}),
        which is performed (recorded like any call; its result goes nowhere)."""
        try:
            body = json.loads(answer) if answer else None
        except ValueError:
            return
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            return
        params = {k: v for k, v in body.items() if k != "method"}
        call = self._record(Call(body["method"], params, in_webhook_answer=True))
        handler = getattr(self, "_m_" + call.method, None)
        if handler is not None:
            await handler(params, {})

    # -- simulated users ----------------------------------------------------------------------
    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update. An update that already has an update_id is delivered once more
        (a duplicate delivery), even if its offset was confirmed."""
        again = "update_id" in update
        with self._changed:
            if not again:  # numbered under the lock: `updates` stays in update_id order
                update["update_id"] = next(self._update_ids)
            if again:
                self._again.append(update)  # served once more whatever the offset
            else:
                self.updates.append(update)
            webhook = self.webhook is not None
            self._changed.notify_all()
        if self.loop is not None:
            if webhook:
                self.loop.call_soon_threadsafe(self._deliveries.put_nowait, update)
            else:
                self.loop.call_soon_threadsafe(self._new_update.set)
        return update

    def push_raw(self, text: str) -> dict[str, Any]:
        """Queue an update given as raw JSON text, its update id written `@ID@` (what no JSON
        encoder would write: lone surrogates, NaN, nesting 32,000 deep)."""
        with self._changed:
            uid = next(self._update_ids)
            update = {"update_id": uid, "_raw": text.replace("@ID@", str(uid))}
            self.updates.append(update)
            webhook = self.webhook is not None
            self._changed.notify_all()
        if self.loop is not None:
            if webhook:
                self.loop.call_soon_threadsafe(self._deliveries.put_nowait, update)
            else:
                self.loop.call_soon_threadsafe(self._new_update.set)
        return update

    @staticmethod
    def user(uid: int, lang: str = "fr") -> dict[str, Any]:
        return {"id": uid, "is_bot": False, "first_name": f"U{uid}", "language_code": lang}

    def _msg(self, uid: int, lang: str, **extra: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": uid, "type": "private", "first_name": f"U{uid}"},
            "from": self.user(uid, lang),
            **extra,
        }

    def text(self, uid: int, text: str, lang: str = "fr") -> dict[str, Any]:
        return self.push({"message": self._msg(uid, lang, text=text)})

    def command(self, uid: int, text: str, lang: str = "fr") -> dict[str, Any]:
        length = len(text.split()[0])
        return self.push(
            {
                "message": self._msg(
                    uid, lang, text=text, entities=[{"type": "bot_command", "offset": 0, "length": length}]
                )
            }
        )

    def press(self, uid: int, data: str, lang: str = "fr") -> dict[str, Any]:
        """Press the button `data` on the last bot message to `uid` that shows it."""
        with self._lock:
            source = None
            for call in reversed(self._keyboards.get(uid, [])):
                if data in _button_data(call):
                    source = call
                    break
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": uid, "type": "private"},
            "from": {k: BOT[k] for k in ("id", "is_bot", "first_name", "username")},
            "text": (source.params.get("text") if source else "") or ".",
        }
        return self.push(
            {
                "callback_query": {
                    "id": f"cq{next(self._update_ids)}",
                    "from": self.user(uid, lang),
                    "chat_instance": f"ci{uid}",
                    "data": data,
                    "message": message,
                }
            }
        )

    def voice(self, uid: int, file_id: str = "VOICE1", duration: int = 7, lang: str = "fr"):
        return self.push(
            {
                "message": self._msg(
                    uid,
                    lang,
                    voice={
                        "file_id": file_id,
                        "file_unique_id": "u" + file_id,
                        "duration": duration,
                        "mime_type": "audio/ogg",
                        "file_size": 12345,
                    },
                )
            }
        )

    def photo(self, uid: int, file_id: str = "PHOTO1", lang: str = "fr", caption: str | None = None):
        extra = {"caption": caption} if caption is not None else {}
        return self.push(
            {
                "message": self._msg(
                    uid,
                    lang,
                    **extra,
                    photo=[
                        {
                            "file_id": file_id + "s",
                            "file_unique_id": "us" + file_id,
                            "width": 90,
                            "height": 90,
                            "file_size": 1000,
                        },
                        {
                            "file_id": file_id,
                            "file_unique_id": "u" + file_id,
                            "width": 800,
                            "height": 800,
                            "file_size": 80000,
                        },
                    ],
                )
            }
        )

    def block(self, uid: int) -> dict[str, Any]:
        """The user blocks the bot: sends fail with 403 and a my_chat_member update arrives."""
        with self._lock:
            self.blocked.add(uid)
        return self.push(
            {
                "my_chat_member": {
                    "chat": {"id": uid, "type": "private"},
                    "from": self.user(uid),
                    "date": int(time.time()),
                    "old_chat_member": {
                        "status": "member",
                        "user": {k: BOT[k] for k in ("id", "is_bot", "first_name")},
                    },
                    "new_chat_member": {
                        "status": "kicked",
                        "until_date": 0,
                        "user": {k: BOT[k] for k in ("id", "is_bot", "first_name")},
                    },
                }
            }
        )

    # -- reading what the bot did ---------------------------------------------------------------
    def calls_of(self, method: str, chat: int | None = None, ok: bool | None = True) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method
                and (chat is None or _chat(c) == chat)
                and (ok is None or (c.status == 200) == ok)
            ]

    def sent(self, chat: int) -> list[Call]:
        """Successful sendMessage/sendDocument/sendPhoto calls to `chat`, in order."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.status == 200
                and _chat(c) == chat
                and c.method in ("sendMessage", "sendDocument", "sendPhoto")
            ]

    def wait(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        """Block until `predicate()` holds; a bot that never gets there fails the test."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "the bot never got there (emulator calls: "
                        + ", ".join(c.method for c in self.calls[-15:])
                        + ")"
                    )
                self._changed.wait(min(left, 0.2))

    def wait_sent(self, chat: int, count: int, timeout: float = 30.0) -> list[Call]:
        self.wait(lambda: len(self.sent(chat)) >= count, timeout)
        return self.sent(chat)


def _chat(call: Call) -> int | None:
    chat = call.params.get("chat_id")
    try:
        return int(chat) if chat is not None else None
    except (TypeError, ValueError):
        return None


def _button_data(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b.get("callback_data") for row in markup.get("inline_keyboard", []) for b in row]


def texts(calls: list[Call]) -> list[str]:
    return [c.params.get("text") or c.params.get("caption") or "" for c in calls]


def buttons(call: Call) -> list[str]:
    return _button_data(call)
