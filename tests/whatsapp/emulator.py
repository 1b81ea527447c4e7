"""A small WhatsApp Cloud API emulator for the tests and the benchmark (127.0.0.1, real HTTP).

The Graph API side answers what Athar uses, under `/<version>/`: POST `<phone-number-id>/messages`
(text, interactive buttons and lists, media, templates: each checked against WhatsApp's limits,
400 with code 131009 when one is broken, as the Cloud API does), POST `<phone-number-id>/media`
(multipart upload), GET `<media-id>` (a short-lived URL) and that URL (the bytes). The bearer
token is checked (401, code 190). Every call is recorded.

Faults: `inject(code, count, status)` makes the next sends fail with a Graph API error (130429,
131056, 131047, 131026...) or a bare 5xx; the 24-hour window is kept per user (free-form messages
to a user whose last message is older fail, like the Cloud API, with an asynchronous `failed`
status carrying 131047, or at once with `window_errors="sync"`).

The webhook side plays Meta: users are simulated with `text`, `press` (a reply button), `choose`
(a list row), `voice`, `image`, `location`, `sticker`, `template_button`; each builds a real
notification, signs it with the app secret (X-Hub-Signature-256) and POSTs it to the webhook,
retried until it answers 200. Delivery statuses (sent, delivered, read) follow each message
sent when `statuses` is on.

The server runs in its own thread and event loop; the methods used by tests are thread-safe.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.telegram.emulator import ServerThread

TOKEN = "EAAG-test-token-for-the-emulator"
APP_SECRET = "app-secret-for-the-tests"
VERIFY_TOKEN = "verify-me-42"
PHONE_ID = "106540352242922"
PHONE = "212522000000"
VERSION = "v26.0"
WINDOW = 24 * 3600


@dataclass
class Call:
    method: str  # "messages", "media", "media_url", "download"
    body: dict[str, Any]
    status: int = 200
    wamid: str | None = None
    at: float = field(default_factory=time.perf_counter)

    @property
    def to(self) -> str | None:
        return self.body.get("to")

    @property
    def type(self) -> str | None:
        return self.body.get("type")

    @property
    def text(self) -> str:
        b = self.body
        if b.get("type") == "text":
            return b["text"]["body"]
        if b.get("type") == "interactive":
            return b["interactive"]["body"]["text"]
        if b.get("type") in ("image", "document"):
            return b[b["type"]].get("caption") or ""
        return ""

    @property
    def ids(self) -> list[str]:
        """The ids of the buttons or list rows this message shows."""
        inter = self.body.get("interactive") or {}
        action = inter.get("action") or {}
        out = [b["reply"]["id"] for b in action.get("buttons") or []]
        for s in action.get("sections") or []:
            out.extend(r["id"] for r in s.get("rows") or [])
        return out

    @property
    def titles(self) -> list[str]:
        inter = self.body.get("interactive") or {}
        action = inter.get("action") or {}
        out = [b["reply"]["title"] for b in action.get("buttons") or []]
        for s in action.get("sections") or []:
            out.extend(r["title"] for r in s.get("rows") or [])
        return out


def _text_limits(body: dict[str, Any]) -> str | None:
    text = (body.get("text") or {}).get("body")
    if not isinstance(text, str) or not text.strip() or len(text) > 4096:
        return "text.body must have 1 to 4096 characters"
    return None


def _button_limits(action: dict[str, Any]) -> str | None:
    buttons = action.get("buttons") or []
    titles = [b["reply"]["title"] for b in buttons]
    if not 1 <= len(buttons) <= 3:
        return "1 to 3 buttons"
    if any(not t.strip() or len(t) > 20 for t in titles) or len(set(titles)) < len(titles):
        return "button titles: 1 to 20 characters, unique"
    if any(len(b["reply"]["id"]) > 256 for b in buttons):
        return "button ids: at most 256 characters"
    return None


def _list_limits(action: dict[str, Any]) -> str | None:
    label = action.get("button") or ""
    rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
    if not label.strip() or len(label) > 20:
        return "list button: 1 to 20 characters"
    if not 1 <= len(rows) <= 10:
        return "1 to 10 rows"
    if any(not r["title"].strip() or len(r["title"]) > 24 for r in rows):
        return "row titles: 1 to 24 characters"
    if any(len(r.get("description") or "") > 72 for r in rows):
        return "row descriptions: at most 72 characters"
    ids = [r["id"] for r in rows]
    if len(set(ids)) < len(ids) or any(len(i) > 200 for i in ids):
        return "row ids: unique, at most 200 characters"
    return None


def _interactive_limits(body: dict[str, Any]) -> str | None:
    inter = body["interactive"]
    text = (inter.get("body") or {}).get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 1024:
        return "interactive.body.text must have 1 to 1024 characters"
    action = inter.get("action") or {}
    if inter.get("type") == "button":
        return _button_limits(action)
    if inter.get("type") == "list":
        return _list_limits(action)
    return "unknown interactive type"


def _media_limits(body: dict[str, Any]) -> str | None:
    kind = body["type"]
    part = body.get(kind) or {}
    if not part.get("id") and not part.get("link"):
        return f"{kind}.id or {kind}.link is required"
    if len(part.get("caption") or "") > 1024:
        return "caption: at most 1024 characters"
    return None


def _template_limits(body: dict[str, Any]) -> str | None:
    t = body.get("template") or {}
    if not t.get("name") or not (t.get("language") or {}).get("code"):
        return "template name and language are required"
    return None


_LIMITS_OF_TYPE: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "text": _text_limits,
    "interactive": _interactive_limits,
    "image": _media_limits,
    "document": _media_limits,
    "template": _template_limits,
}


def _limits(body: dict[str, Any]) -> str | None:
    """What breaks WhatsApp's limits in a message body (None when it is fine)."""
    kind = body.get("type")
    if body.get("messaging_product") != "whatsapp" or not body.get("to"):
        return "messaging_product and to are required"
    check = _LIMITS_OF_TYPE.get(kind) if isinstance(kind, str) else None
    if check is None:
        return f"unsupported message type {kind!r}"
    return check(body)


class GraphApiEmulator:
    def __init__(
        self,
        *,
        token: str = TOKEN,
        app_secret: str = APP_SECRET,
        statuses: bool = True,
        window_errors: str = "async",
        deliverers: int = 4,
    ):
        self.token = token
        self.app_secret = app_secret.encode()
        self.statuses = statuses  # post sent/delivered/read statuses after each message
        self.window_errors = window_errors  # "async" (a failed status) or "sync" (the answer)
        self.window = WINDOW  # seconds; 0: every free-form message is outside the window
        self.delay = 0.0  # seconds each send takes (a slow Graph API)
        self.deliverers = deliverers
        self.webhook_url: str | None = None
        self.signing = True  # False: deliveries go without a signature (must be refused)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self.calls: list[Call] = []
        self.deliveries: list[tuple[str, int]] = []  # (first event id, HTTP status)
        self.ack_latencies: list[float] = []  # webhook POST → its answer, seconds
        self.faults: list[dict[str, Any]] = []
        self.last_seen: dict[str, float] = {}  # user → time of their last message (window)
        self.media: dict[str, tuple[bytes, str]] = {}  # media id → (bytes, mime)
        self.listeners: list[Callable[[Call], None]] = []
        self._ids = itertools.count(1)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        app = Starlette(
            routes=[
                Route("/{version}/{phone}/messages", self._messages, methods=["POST"]),
                Route("/{version}/{phone}/media", self._upload, methods=["POST"]),
                Route("/download/{media_id}", self._download, methods=["GET"]),
                Route("/{version}/{media_id}", self._media_url, methods=["GET"]),
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
        return f"{self.base}/{VERSION}"

    def start(self) -> "GraphApiEmulator":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def _lifespan(self, app: Any):
        emu = self

        class _Ctx:
            async def __aenter__(self_inner):
                emu.loop = asyncio.get_running_loop()
                emu._queue = asyncio.Queue()
                emu._workers = [asyncio.create_task(emu._deliver_forever()) for _ in range(emu.deliverers)]

            async def __aexit__(self_inner, *exc):
                for task in emu._workers:
                    task.cancel()

        return _Ctx()

    # -- faults and the window --------------------------------------------------------------
    def inject(self, code: int | None, count: int = 1, status: int = 400, to: str | None = None) -> None:
        """The next `count` sends (to `to`, or anyone) fail: a Graph API error `code` with HTTP
        `status`, or a bare HTTP `status` (500, 502, 503) when `code` is None."""
        with self._lock:
            self.faults.extend([{"code": code, "status": status, "to": to}] * count)

    def age(self, user: str, hours: float) -> None:
        """The user's last message was `hours` ago (the 24-hour window)."""
        with self._lock:
            self.last_seen[user] = time.time() - hours * 3600

    def _fault(self, to: str | None) -> dict[str, Any] | None:
        with self._lock:
            for i, f in enumerate(self.faults):
                if f["to"] in (None, to):
                    return self.faults.pop(i)
        return None

    @staticmethod
    def _error(status: int, code: int | None, message: str) -> JSONResponse:
        if code is None:
            return JSONResponse(
                {"error": {"message": message, "type": "OAuthException", "code": 1}}
                if status < 500
                else {"error": {"message": "Service temporarily unavailable", "code": 2}},
                status_code=status,
            )
        return JSONResponse(
            {
                "error": {
                    "message": message,
                    "type": "OAuthException",
                    "code": code,
                    "error_data": {"details": message},
                    "fbtrace_id": "Aemu",
                }
            },
            status_code=status,
        )

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    # -- the Graph API ----------------------------------------------------------------------
    async def _messages(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self._error(400, 100, "Invalid JSON")
        to = body.get("to")
        if self.delay:
            await asyncio.sleep(self.delay)
        fault = self._fault(to)
        if fault is not None:
            self._record(Call("messages", body, status=fault["status"]))
            return self._error(fault["status"], fault["code"], "injected fault")
        problem = _limits(body)
        if problem is not None:
            self._record(Call("messages", body, status=400))
            return self._error(400, 131009, f"(#131009) Parameter value is not valid: {problem}")
        wamid = f"wamid.EMU{next(self._ids):08d}"
        with self._lock:
            seen = self.last_seen.get(to)
        closed = body.get("type") != "template" and (seen is None or time.time() - seen > self.window)
        if closed and self.window_errors == "sync":
            self._record(Call("messages", body, status=400))
            return self._error(400, 131047, "Re-engagement message")
        self._record(Call("messages", body, wamid=wamid))
        if closed:
            self._status(
                wamid,
                to,
                "failed",
                errors=[
                    {
                        "code": 131047,
                        "title": "Re-engagement message",
                        "message": "Re-engagement message",
                        "error_data": {
                            "details": "Message failed to send because more than 24 hours "
                            "have passed since the customer last replied."
                        },
                    }
                ],
            )
        elif self.statuses:
            for status in ("sent", "delivered", "read"):
                self._status(wamid, to, status)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        )

    async def _upload(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token")
        form = await request.form()
        upload = form.get("file")
        if upload is None or form.get("messaging_product") != "whatsapp" or not form.get("type"):
            return self._error(400, 100, "file, type and messaging_product are required")
        data = await upload.read()
        media_id = f"{next(self._ids) + 9_000_000_000}"
        with self._lock:
            self.media[media_id] = (data, str(form.get("type")))
        self._record(
            Call(
                "media",
                {
                    "type": str(form.get("type")),
                    "filename": upload.filename,
                    "size": len(data),
                    "id": media_id,
                },
            )
        )
        return JSONResponse({"id": media_id})

    async def _media_url(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token")
        media_id = request.path_params["media_id"]
        fault = self._fault("media:" + media_id)
        with self._lock:
            found = self.media.get(media_id)
        self._record(Call("media_url", {"id": media_id}, status=404 if found is None else 200))
        if fault is not None:
            return self._error(fault["status"], fault["code"], "injected fault")
        if found is None:
            return self._error(400, 100, "Unsupported get request")
        data, mime = found
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "id": media_id,
                "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "url": f"{self.base}/download/{media_id}?ext=1",
            }
        )

    async def _download(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(status_code=401)
        with self._lock:
            found = self.media.get(request.path_params["media_id"])
        self._record(Call("download", {"id": request.path_params["media_id"]}))
        if found is None:
            return Response(status_code=404)
        return Response(found[0], media_type=found[1])

    def _record(self, call: Call) -> Call:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        for listener in self.listeners:
            listener(call)
        return call

    # -- the webhook side -------------------------------------------------------------------
    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret, body, hashlib.sha256).hexdigest()

    def notification(self, value: dict[str, Any]) -> dict[str, Any]:
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": PHONE, "phone_number_id": PHONE_ID},
                                **value,
                            },
                        }
                    ],
                }
            ],
        }

    def post(self, body: dict[str, Any] | bytes, *, key: str = "") -> None:
        """Deliver a notification to the webhook (signed), retried until it answers 200."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        assert self.loop is not None and self._queue is not None, "the emulator is not started"
        self.loop.call_soon_threadsafe(self._queue.put_nowait, (key, raw))

    async def _deliver_forever(self) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as client:
            while True:
                key, raw = await self._queue.get()
                for attempt in range(60):
                    url = self.webhook_url
                    if url is None:
                        await asyncio.sleep(0.1)
                        continue
                    headers = {"Content-Type": "application/json"}
                    if self.signing:
                        headers["X-Hub-Signature-256"] = self.sign(raw)
                    started = time.perf_counter()
                    try:
                        async with client.post(url, data=raw, headers=headers) as r:
                            await r.read()
                            status = r.status
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        status = 0
                    took = time.perf_counter() - started
                    with self._changed:
                        self.deliveries.append((key, status))
                        if status == 200:
                            self.ack_latencies.append(took)
                        self._changed.notify_all()
                    if status == 200 or 400 <= status < 500:
                        break  # Meta gives up on a refusal; tests read it in `deliveries`
                    await asyncio.sleep(min(0.05 * (attempt + 1), 1.0))

    def _status(
        self, wamid: str, to: str | None, status: str, errors: list[dict[str, Any]] | None = None
    ) -> None:
        s: dict[str, Any] = {
            "id": wamid,
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": to,
        }
        if errors:
            s["errors"] = errors
        if self.webhook_url is not None:
            self.post(self.notification({"statuses": [s]}), key=f"{status}:{wamid}")

    def message(
        self,
        user: str,
        kind: str,
        part: dict[str, Any] | None = None,
        context: str | None = None,
        at: float | None = None,
    ) -> dict[str, Any]:
        """A user's message as the Cloud API sends it, delivered; returns the notification."""
        now = at if at is not None else time.time()
        with self._lock:
            self.last_seen[user] = max(self.last_seen.get(user, 0.0), now)
        m: dict[str, Any] = {
            "from": user,
            "id": f"wamid.IN{next(self._ids):010d}",
            "timestamp": str(int(now)),
            "type": kind,
        }
        if part is not None:
            m[kind] = part
        if context:
            m["context"] = {"from": PHONE, "id": context}
        body = self.notification(
            {"contacts": [{"profile": {"name": f"U{user[-3:]}"}, "wa_id": user}], "messages": [m]}
        )
        self.post(body, key=m["id"])
        return body

    def text(self, user: str, text: str) -> dict[str, Any]:
        return self.message(user, "text", {"body": text})

    def _shown(self, user: str, data: str) -> Call | None:
        with self._lock:
            for call in reversed(self.calls):
                if call.to == user and call.status == 200 and data in call.ids:
                    return call
        return None

    def press(self, user: str, data: str) -> dict[str, Any]:
        """Press the reply button `data` (or pick the list row `data`) last shown to `user`."""
        call = self._shown(user, data)
        assert call is not None, f"{data!r} was never shown to {user}"
        kind = call.body["interactive"]["type"]
        title = call.titles[call.ids.index(data)]
        reply = {"id": data, "title": title}
        if kind == "button":
            part = {"type": "button_reply", "button_reply": reply}
        else:
            part = {"type": "list_reply", "list_reply": reply}
        return self.message(user, "interactive", part, context=call.wamid)

    def template_button(self, user: str, payload: str, text: str = "OK") -> dict[str, Any]:
        return self.message(user, "button", {"payload": payload, "text": text})

    def voice(self, user: str, data: bytes = b"OggS\x00voice-note", mime: str = "audio/ogg; codecs=opus"):
        media_id = f"{next(self._ids) + 5_000_000_000}"
        with self._lock:
            self.media[media_id] = (data, mime)
        return self.message(
            user,
            "audio",
            {"mime_type": mime, "sha256": hashlib.sha256(data).hexdigest(), "id": media_id, "voice": True},
        )

    def image(self, user: str, data: bytes = b"\xff\xd8\xff\xe0image", caption: str | None = None):
        media_id = f"{next(self._ids) + 6_000_000_000}"
        with self._lock:
            self.media[media_id] = (data, "image/jpeg")
        part = {"mime_type": "image/jpeg", "sha256": hashlib.sha256(data).hexdigest(), "id": media_id}
        if caption is not None:
            part["caption"] = caption
        return self.message(user, "image", part)

    def location(self, user: str, lat: float = 34.9186, lon: float = -2.3199):
        return self.message(user, "location", {"latitude": lat, "longitude": lon, "name": "Berkane"})

    def sticker(self, user: str):
        return self.message(user, "sticker", {"mime_type": "image/webp", "id": "1234", "animated": False})

    def unsupported(self, user: str):
        return self.message(user, "unsupported", None) | {}

    # -- reading what the bot did -----------------------------------------------------------
    def sent(self, user: str) -> list[Call]:
        """Messages accepted for `user`, in order."""
        with self._lock:
            return [c for c in self.calls if c.method == "messages" and c.status == 200 and c.to == user]

    def refused(self, user: str | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == "messages" and c.status != 200 and (user is None or c.to == user)
            ]

    def wait(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "the bot never got there (last calls: "
                        + ", ".join(f"{c.method}:{c.type}:{c.status}" for c in self.calls[-12:])
                        + ")"
                    )
                self._changed.wait(min(left, 0.2))

    def wait_sent(self, user: str, count: int, timeout: float = 30.0) -> list[Call]:
        self.wait(lambda: len(self.sent(user)) >= count, timeout)
        return self.sent(user)

    def wait_for(self, user: str, data: str, after: int = 0, timeout: float = 30.0) -> list[Call]:
        """Wait until a message to `user` (from the `after`-th on) shows the button `data`."""
        self.wait(lambda: any(data in c.ids for c in self.sent(user)[after:]), timeout)
        return self.sent(user)
