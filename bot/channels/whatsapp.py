"""The WhatsApp channel, on the WhatsApp Cloud API (Meta's Graph API) with a small client of ours.

What is WhatsApp's own lives here: the webhook's signature, reading its JSON into `Incoming`
messages and delivery statuses, rendering replies within WhatsApp's limits, and sending them
through the Graph API with its errors mapped. The rest — recording before acknowledging, per-chat
order, the dispatcher's unit of work, the outbox and the sweep — is the channel-neutral runtime's.

Why not pywa: it builds its own object for every update and every message and sends through
httpx, whose per-request cost was more than half the Telegram channel's CPU here (see
bot/channels/http.py); Athar already reads the platform's JSON straight into `Incoming`, and the
Graph API calls it needs are four (send a message, upload a medium, look a medium up, download
it). `make bench BENCH_ARGS=whatsapp-client` measures both clients against the emulator.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

from domain.messages import Incoming, Media, Rendered, RenderedButton

log = logging.getLogger("athar.whatsapp")

CHANNEL = "whatsapp"
MAX_TEXT = 4096  # a text message's body
MAX_BODY = 1024  # an interactive message's body, a medium's caption
MAX_BUTTONS = 3  # reply buttons per message
MAX_BUTTON_TITLE = 20
MAX_ROWS = 10  # rows of a list message
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_LIST_BUTTON = 20  # the label of the button that opens a list
WINDOW_SECONDS = 24 * 3600  # free-form messages only this long after the user's last message
WINDOW_MARGIN = 120  # seconds kept in hand: a reply sent at 23:59:30 may arrive after 24:00
SIGNATURE_HEADER = "x-hub-signature-256"
PATH = "/whatsapp"
LOCAL = "wa:"  # button data handled by the channel itself (list pages, resuming)
MORE = LOCAL + "more:"  # wa:more:<page> of the question waiting (its options re-rendered)
RESUME = LOCAL + "resume"  # a template's quick-reply button: "show me what is waiting"
# A wa.me invitation's prefilled text: "start p_<token>" (a poll) or "start inv_<code>"
START = re.compile(r"/?start\s+((?:p|inv)_[A-Za-z0-9_-]{4,62})", re.IGNORECASE)
COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:\s+(.*))?", re.DOTALL)
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Graph API error codes (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
RE_ENGAGEMENT = 131047  # more than 24 hours since the user's last message: a template only
THROUGHPUT = 130429  # the number's messages per second
PAIR_RATE = 131056  # too many messages to the same user in a short time
UNDELIVERABLE = 131026  # not a WhatsApp number, old app, terms not accepted
RETRIED_CODES = {1, 2, 4, 80007, THROUGHPUT, PAIR_RATE, 131000, 131016}
UNREACHABLE_CODES = {UNDELIVERABLE, 131030, 131021}


# ---------------------------------------------------------------------------------------------
# The webhook: signature and events

def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signed(secret: bytes, body: bytes, header: str | None) -> bool:
    """The X-Hub-Signature-256 header is the HMAC-SHA256 of the raw body with the app secret
    (compared in constant time)."""
    if not header:
        return False
    return hmac.compare_digest(header.strip().encode("utf-8", "surrogateescape"),
                               signature(secret, body).encode())


@dataclass(frozen=True)
class Event:
    """One thing a webhook call told: a message from a user, or a status of a message sent.
    `key` identifies it for recording (a second delivery of the same key is a duplicate)."""
    key: str
    chat: str | None
    payload: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.payload["kind"]


def events(body: Any) -> list[Event]:
    """The events of a webhook body (several entries, changes, messages and statuses may come
    in one call). Raises ValueError when the body is not a WhatsApp Business Account
    notification."""
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account" \
            or not isinstance(body.get("entry"), list):
        raise ValueError("not a WhatsApp Business Account notification")
    out: list[Event] = []
    for entry in body["entry"]:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            phone = (value.get("metadata") or {}).get("phone_number_id")
            names = {c.get("wa_id"): (c.get("profile") or {}).get("name")
                     for c in value.get("contacts") or [] if isinstance(c, dict)}
            for m in value.get("messages") or []:
                if isinstance(m, dict) and isinstance(m.get("id"), str) and m.get("from"):
                    sender = str(m["from"])
                    out.append(Event(key=m["id"], chat=sender, payload={
                        "kind": "message", "message": m, "phone_number_id": phone,
                        "name": names.get(sender)}))
            for s in value.get("statuses") or []:
                if isinstance(s, dict) and isinstance(s.get("id"), str) and s.get("status"):
                    out.append(Event(key=f"status:{s['id']}:{s['status']}",
                                     chat=str(s.get("recipient_id") or "") or None,
                                     payload={"kind": "status", "status": s}))
    return out


def message_time(payload: dict[str, Any]) -> datetime | None:
    """When the user sent a message (its `timestamp`, Unix seconds as a string)."""
    ts = (payload.get("message") or {}).get("timestamp")
    try:
        return datetime.fromtimestamp(int(ts), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _media(m: dict[str, Any], kind: str) -> Media:
    part = m[m["type"]]
    caption = part.get("caption") if isinstance(part.get("caption"), str) else None
    return Media(kind=kind, ref=str(part["id"]), mime=part.get("mime_type"),
                 caption=(caption or "").strip()[:MAX_BODY] or None)


def _start(text: str) -> tuple[str, str | None] | None:
    """A command typed (or prefilled by a wa.me link): (name, argument)."""
    t = text.strip()
    s = START.fullmatch(t)
    if s:
        return "start", s.group(1)
    c = COMMAND.fullmatch(t)
    if c:
        name, arg = c.group(1).lower(), (c.group(2) or "").strip() or None
        if name == "start" and arg is not None and not START_PAYLOAD.fullmatch(arg):
            arg = None
        return name, arg
    return None


def to_incoming(payload: dict[str, Any]) -> Incoming | None:
    """The channel-neutral message of a recorded message event, or None for what Athar does not
    answer (reactions, system notices, edits and deletions). Raises KeyError, TypeError or
    ValueError on a malformed message."""
    m = payload["message"]
    sender = str(m["from"])
    base = dict(channel=CHANNEL, chat_id=sender, user_ref=sender, message_id=str(m["id"]))
    kind = m.get("type")
    if kind == "text":
        text = m["text"]["body"]
        if not isinstance(text, str):
            raise TypeError("text body is not a string")
        command = _start(text)
        if command is not None:
            return Incoming(**base, command=command[0], command_arg=command[1])
        return Incoming(**base, text=text)
    if kind == "interactive":
        part = m["interactive"]
        reply = part.get(part.get("type") or "")
        if part.get("type") in ("button_reply", "list_reply") and isinstance(reply, dict):
            return Incoming(**base, button=str(reply["id"]))
        return Incoming(**base, media=Media(kind="other", ref=str(part.get("type"))))
    if kind == "button":  # a template's quick-reply button
        data = str(m["button"].get("payload") or m["button"].get("text") or "")
        if START_PAYLOAD.fullmatch(data) and data.startswith(("p_", "inv_")):
            return Incoming(**base, command="start", command_arg=data)
        return Incoming(**base, button=data)
    if kind == "audio":
        return Incoming(**base, media=_media(m, "voice" if m["audio"].get("voice", True) else "audio"))
    if kind == "image":
        return Incoming(**base, media=_media(m, "photo"))
    if kind in ("video", "document"):
        return Incoming(**base, media=_media(m, kind))
    if kind == "location":
        loc = m["location"]
        return Incoming(**base, media=Media(
            kind="location", ref=f"{float(loc['latitude']):.6f},{float(loc['longitude']):.6f}"))
    if kind in ("reaction", "system", "edit", "revoke", "request_welcome"):
        return None
    # stickers, contacts, orders, unsupported and unknown types: answered politely
    return Incoming(**base, media=Media(kind="other", ref=str(kind)))


def status_of(payload: dict[str, Any]) -> tuple[str, str, int | None, datetime | None]:
    """(message id, status, error code, when) of a recorded status event."""
    s = payload["status"]
    errors = s.get("errors") or []
    code = errors[0].get("code") if errors and isinstance(errors[0], dict) else None
    try:
        at = datetime.fromtimestamp(int(s.get("timestamp")), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        at = None
    return str(s["id"]), str(s["status"]).lower(), code if isinstance(code, int) else None, at


# ---------------------------------------------------------------------------------------------
# Rendering: a reply → WhatsApp messages within the limits

@dataclass(frozen=True)
class Labels:
    """The channel's own words in one language (catalog `whatsapp.*`)."""
    choose: str  # an interactive message's body when the reply has no text
    list_button: str  # the button that opens a list
    more: str  # the row that shows the next page of a long list
    more_description: str
    first: str  # the row that goes back to the first page


def _fit(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when something was cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Messages of at most `limit` characters: cut at a paragraph, else a line, else a space."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        head = rest[:limit]
        for sep in ("\n\n", "\n", " "):
            i = head.rfind(sep)
            if i > 0:
                chunks.append(rest[:i])
                rest = rest[i + len(sep):]
                break
        else:
            chunks.append(head)
            rest = rest[limit:]
    chunks.append(rest)
    return [c for c in chunks if c.strip()]


def _title(button: RenderedButton, limit: int) -> str:
    """A button's title within `limit`: its label, else its catalog short form, else cut."""
    label = " ".join(button.label.split())
    if len(label) <= limit:
        return label
    if button.short and len(button.short) <= limit:
        return button.short
    return _fit(label, limit)


def _body(text: str, labels: Labels) -> tuple[list[str], str]:
    """(texts sent before, the interactive body ≤ 1024): a long text goes ahead in plain
    messages and its last paragraphs become the body."""
    if not text.strip():
        return [], labels.choose
    if len(text) <= MAX_BODY:
        return [], text
    parts = split_text(text, MAX_BODY)
    body = parts[-1]
    before = text[:len(text) - len(body)].rstrip()
    return split_text(before), body


def _buttons_message(body: str, buttons: list[RenderedButton]) -> dict[str, Any] | None:
    titles = [_title(b, MAX_BUTTON_TITLE) for b in buttons]
    if len(set(titles)) < len(titles):  # WhatsApp refuses two buttons with one title
        return None
    return {"type": "interactive", "interactive": {
        "type": "button", "body": {"text": body},
        "action": {"buttons": [{"type": "reply", "reply": {"id": b.data, "title": t}}
                               for b, t in zip(buttons, titles)]}}}


def _row(button: RenderedButton) -> dict[str, Any]:
    label = " ".join(button.label.split())
    row = {"id": button.data, "title": _title(button, MAX_ROW_TITLE)}
    if row["title"] != label:  # the whole label under a short or cut title
        row["description"] = _fit(label, MAX_ROW_DESCRIPTION)
    return row


def pages(buttons: list[RenderedButton]) -> list[list[RenderedButton]]:
    """Options in pages of a list: 10 fit one list; more go 9 by page, the tenth row
    leading to the next page."""
    if len(buttons) <= MAX_ROWS:
        return [buttons]
    per = MAX_ROWS - 1
    return [buttons[i:i + per] for i in range(0, len(buttons), per)]


def _list_message(body: str, buttons: list[RenderedButton], labels: Labels,
                  page: int) -> dict[str, Any]:
    chunks = pages(buttons)
    page = page % len(chunks)
    rows = [_row(b) for b in chunks[page]]
    if len(chunks) > 1:
        nxt = (page + 1) % len(chunks)
        rows.append({"id": f"{MORE}{nxt}", "title": _fit(labels.more if nxt else labels.first,
                                                        MAX_ROW_TITLE),
                     "description": _fit(labels.more_description.format(
                         page=nxt + 1, pages=len(chunks)), MAX_ROW_DESCRIPTION)})
    return {"type": "interactive", "interactive": {
        "type": "list", "body": {"text": body},
        "action": {"button": _fit(labels.list_button, MAX_LIST_BUTTON),
                   "sections": [{"rows": rows}]}}}


def render(reply: Rendered, labels: Labels, page: int = 0) -> list[dict[str, Any]]:
    """The WhatsApp messages (Graph API bodies without `to`) of a rendered reply, in order;
    `page`: the page of a long list. A medium to upload is given as
    {"type": "image"|"document", "upload": {...}, "caption": ...}."""
    out: list[dict[str, Any]] = []
    att = reply.attachment
    text = reply.text
    if att:
        kind = "image" if att.get("kind") == "photo" else "document"
        upload = {"path": att["path"], "filename": att.get("filename")}
        caption = _fit(att.get("caption") or "", MAX_BODY) if att.get("caption") else None
        out.extend({"type": "text", "text": {"body": c}} for c in split_text(text))
        out.append({"type": kind, "upload": upload, "caption": caption})
        text = ""
    if not reply.buttons:
        if not att:
            out.extend({"type": "text", "text": {"body": c}} for c in split_text(text))
        return out
    before, body = _body(text, labels)
    out.extend({"type": "text", "text": {"body": c}} for c in before)
    message = None
    if len(reply.buttons) <= MAX_BUTTONS:
        message = _buttons_message(body, reply.buttons)
    out.append(message or _list_message(body, reply.buttons, labels, page))
    return out


# ---------------------------------------------------------------------------------------------
# The Graph API: a small client on aiohttp

class GraphError(Exception):
    """A refused Graph API call: the HTTP status and WhatsApp's error code."""

    def __init__(self, status: int, code: int | None, message: str = ""):
        super().__init__(f"HTTP {status}, code {code}: {message}")
        self.status = status
        self.code = code

    @property
    def retried(self) -> bool:
        return self.status >= 500 or self.status == 429 or self.code in RETRIED_CODES

    @property
    def window_closed(self) -> bool:
        return self.code == RE_ENGAGEMENT

    @property
    def unreachable(self) -> bool:
        return self.code in UNREACHABLE_CODES


class GraphClient:
    """The four Graph API calls Athar needs, with a bearer token, on one aiohttp session."""

    def __init__(self, api_url: str, token: str, phone_number_id: str, *,
                 connections: int = 16, timeout: float = 30.0):
        self.api_url = api_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self._headers = {"Authorization": f"Bearer {token}"}
        self._connections = connections
        self._timeout = timeout
        self._session: Any = None

    async def open(self) -> None:
        import aiohttp
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self._headers, trust_env=False,
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=aiohttp.ClientTimeout(total=self._timeout))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _json(self, response: Any) -> dict[str, Any]:
        try:
            data = await response.json(content_type=None)
        except ValueError:
            data = None
        if response.status >= 400 or not isinstance(data, dict):
            error = data.get("error") if isinstance(data, dict) else None
            error = error if isinstance(error, dict) else {}
            code = error.get("code")
            raise GraphError(response.status, code if isinstance(code, int) else None,
                             str(error.get("message") or "")[:200])
        return data

    async def send(self, to: str, message: dict[str, Any]) -> str:
        """POST /{phone-number-id}/messages; the sent message's id (wamid…)."""
        await self.open()
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                **message}
        async with self._session.post(f"{self.api_url}/{self.phone_number_id}/messages",
                                      json=body) as r:
            data = await self._json(r)
        try:
            return str(data["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise GraphError(r.status, None, "no message id in the answer") from None

    async def upload(self, path: str, mime: str, filename: str) -> str:
        """POST /{phone-number-id}/media (multipart); the medium's id."""
        import aiohttp
        await self.open()
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime)
        with open(path, "rb") as fh:
            form.add_field("file", fh.read(), filename=filename, content_type=mime)
        async with self._session.post(f"{self.api_url}/{self.phone_number_id}/media",
                                      data=form) as r:
            data = await self._json(r)
        return str(data["id"])

    async def download(self, media_id: str, max_bytes: int) -> tuple[bytes, str | None]:
        """GET /{media-id} (its short-lived URL), then the bytes from that URL with the same
        token. Refuses a file over `max_bytes`."""
        await self.open()
        async with self._session.get(f"{self.api_url}/{media_id}") as r:
            info = await self._json(r)
        url = info.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise GraphError(200, None, "no media URL in the answer")
        async with self._session.get(url) as r:
            if r.status >= 400:
                raise GraphError(r.status, None, "media download refused")
            data = bytearray()
            async for chunk in r.content.iter_chunked(65536):
                data.extend(chunk)
                if len(data) > max_bytes:
                    raise GraphError(413, None, "media too large")
        return bytes(data), info.get("mime_type")


def template_message(name: str, language: str, params: list[str],
                     button_payload: str | None) -> dict[str, Any]:
    """A template message's body: its body parameters, and its quick-reply button's payload."""
    components: list[dict[str, Any]] = []
    if params:
        components.append({"type": "body", "parameters": [
            {"type": "text", "text": _fit(str(p), 1024) or "-"} for p in params]})
    if button_payload is not None:
        components.append({"type": "button", "sub_type": "quick_reply", "index": "0",
                           "parameters": [{"type": "payload", "payload": button_payload}]})
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if components:
        template["components"] = components
    return {"type": "template", "template": template}


def window_open(last_inbound: datetime | None, now: datetime | None = None) -> bool:
    """Free-form messages may still be sent: the user wrote less than 24 hours ago."""
    if last_inbound is None:
        return False
    now = now or datetime.now(timezone.utc)
    return (now - last_inbound).total_seconds() < WINDOW_SECONDS - WINDOW_MARGIN


class Pacer:
    """At most `rate` sends per second for the number (evenly spaced; 0: no pacing)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


def iter_rows(messages: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The buttons and list rows of rendered messages (tests and checks)."""
    for m in messages:
        inter = m.get("interactive") or {}
        action = inter.get("action") or {}
        for b in action.get("buttons") or []:
            yield b["reply"]
        for section in action.get("sections") or []:
            yield from section.get("rows") or []


# ---------------------------------------------------------------------------------------------
# The channel

class WindowClosed(Exception):
    """The Graph API refused a free-form message: the user's last message is over 24 hours old."""


class Unreachable(Exception):
    """WhatsApp cannot deliver to this user (not on WhatsApp, or refused)."""


@dataclass
class Stats:
    handled: int = 0
    duplicates: int = 0
    sent: int = 0
    failed_sends: int = 0
    templates: int = 0
    statuses: int = 0
    latencies: Any = None  # event received → its last reply accepted, in seconds

    def __post_init__(self) -> None:
        import collections
        self.latencies = collections.deque(maxlen=10_000)


MEDIA_KINDS = {"voice": ".ogg", "audio": ".audio", "photo": ".jpg", "document": ".bin",
               "video": ".mp4"}
EXTENSIONS = {"audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac",
              "audio/amr": ".amr", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
              "video/mp4": ".mp4", "application/pdf": ".pdf"}


class WhatsAppChannel:
    """Receives webhook events, runs messages through the dispatcher, sends the replies.

    Each event is recorded (`inbound_updates`) before the webhook answers 200 and removed once
    handled; messages of one chat are handled in order; replies wait in the outbox until the
    Graph API accepted them. A sweep (at start, then every `sweep_interval` seconds) handles
    what a crash left and resends what is due."""

    def __init__(self, athar: Any, settings: Any = None, *, grace: float | None = None,
                 sweep_interval: float | None = None, db_threads: int = 4, nlu_threads: int = 4,
                 threads: int = 2, retry_backoff: float = 0.5, max_media: int = 16 * 2**20,
                 client: GraphClient | None = None):
        from concurrent.futures import ThreadPoolExecutor
        from pathlib import Path

        from bot.channels.batch import GroupCommit
        from storage.delivery import DeliveryStore
        from bot.settings import ROOT
        from storage.whatsapp import WhatsAppStore

        settings = settings or athar.settings
        self.athar = athar
        self.settings = settings.whatsapp
        self.dispatcher = athar.dispatcher
        self.catalog = athar.services.catalog
        self.client = client or GraphClient(
            self.settings.api_url, settings.whatsapp_token.get_secret_value(),
            str(self.settings.phone_number_id))
        self.store = DeliveryStore(athar.db_engine)
        self.dispatcher.uow_factory = self.store.gate.wrap(self.dispatcher.uow_factory)
        self.wa = WhatsAppStore(athar.db_engine, self.store.gate)
        self.grace = self.settings.grace_seconds if grace is None else grace
        self.sweep_interval = self.settings.sweep_seconds if sweep_interval is None else sweep_interval
        self.retry_backoff = retry_backoff
        self.max_retries = self.settings.max_retries
        self.max_media = max_media
        media_dir = Path(self.settings.media_dir)
        self.media_dir = media_dir if media_dir.is_absolute() else ROOT / media_dir
        self.pacer = Pacer(self.settings.max_rate)
        self.stats = Stats()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="athar-wa-job")
        self._nlu = ThreadPoolExecutor(max_workers=nlu_threads, thread_name_prefix="athar-wa-nlu")
        self._dbx = ThreadPoolExecutor(max_workers=1 if self.store.gate.enabled else db_threads,
                                       thread_name_prefix="athar-wa-db")
        self._ingest = ThreadPoolExecutor(max_workers=1, thread_name_prefix="athar-wa-in")
        self._recorder = GroupCommit(self._record_many, self._ingest)
        self._finished = GroupCommit(self._finish_many, self._dbx)
        self._seen = GroupCommit(self.wa.seen, self._dbx)
        self._sent_rows = GroupCommit(self._sent_many, self._dbx)
        self._status_rows = GroupCommit(self.wa.statuses, self._dbx)
        self._window: dict[str, datetime] = {}  # chat → the user's last message (a cache)
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self._tasks: set[asyncio.Task] = set()
        self._inflight: set[str] = set()
        self._received: dict[str, float] = {}
        self._sweeper: asyncio.Task | None = None
        self._labels: dict[str, Labels] = {}

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self, sweep: bool = True) -> None:
        await self.client.open()
        warm_up = getattr(self.athar.services.nlu, "warm_up", None)
        if callable(warm_up):
            await self._work(warm_up)
        if sweep:
            await self.sweep()
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        await self.drain()
        await self.client.close()
        for pool in (self._pool, self._nlu, self._dbx, self._ingest):
            pool.shutdown(wait=True)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _db(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._dbx, fn, *args)

    async def _work(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def labels(self, lang: str) -> Labels:
        if lang not in self._labels:
            t = lambda key: self.catalog.text(f"whatsapp.{key}", lang)  # noqa: E731
            self._labels[lang] = Labels(choose=t("choose"), list_button=t("list_button"),
                                        more=t("more"), more_description=t("more_description"),
                                        first=t("first"))
        return self._labels[lang]

    # -- receiving --------------------------------------------------------------------------
    async def receive(self, evs: list[Event]) -> list[bool]:
        """Record events (one transaction with others arriving meanwhile), then schedule the
        new ones. Only after this returns may the webhook answer 200."""
        if not evs:
            return []
        now = time.perf_counter()
        fresh = await self._recorder.submit(
            [(e.key, e.chat, {**e.payload, "key": e.key, "chat": e.chat}) for e in evs])
        for e, new in zip(evs, fresh):
            if new:
                self._received[e.key] = now
                self._schedule({**e.payload, "key": e.key, "chat": e.chat})
            else:
                self.stats.duplicates += 1
        return fresh

    def _record_many(self, batches: list[list[tuple[str, str | None, dict[str, Any]]]]) -> list[list[bool]]:
        flags = self.store.record(CHANNEL, [item for batch in batches for item in batch])
        out, i = [], 0
        for batch in batches:
            out.append(flags[i:i + len(batch)])
            i += len(batch)
        return out

    def _finish_many(self, items: list[tuple[str | None, list[int]]]) -> list[None]:
        return self.store.finish(CHANNEL, items)

    def _sent_many(self, batches: list[list[tuple[str, str, int | None]]]) -> list[None]:
        self.wa.sent([row for batch in batches for row in batch])
        return [None] * len(batches)

    def _schedule(self, payload: dict[str, Any]) -> None:
        key = payload["key"]
        if key in self._inflight:
            return
        self._inflight.add(key)
        task = asyncio.create_task(self._process(payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, payload: dict[str, Any]) -> None:
        key = payload["key"]
        chat = payload.get("chat") or key
        lock = self._locks.setdefault(chat, asyncio.Lock())
        self._waiting[chat] = self._waiting.get(chat, 0) + 1
        try:
            async with lock:  # one chat at a time, in the order received
                if payload.get("kind") == "status":
                    await self._on_status(payload)
                else:
                    await self._on_message(payload)
        except Exception:  # noqa: BLE001 - counted; the sweep tries again, a few times
            left = await self._db(self.store.failed, CHANNEL, key)
            log.exception("event %s failed (%s)", key,
                          f"attempt {left}, kept for a retry" if left else "dropped")
        finally:
            self._waiting[chat] -= 1
            if not self._waiting[chat]:
                del self._waiting[chat]
                self._locks.pop(chat, None)
            self._inflight.discard(key)
            self._received.pop(key, None)

    async def _on_message(self, payload: dict[str, Any]) -> None:
        key, chat = payload["key"], str(payload["chat"])
        try:
            incoming = to_incoming(payload)
        except (KeyError, TypeError, ValueError):
            log.warning("event %s cannot be read: dropped", key)
            await self._finished.submit((key, []))
            return
        at = message_time(payload) or datetime.now(timezone.utc)
        if chat not in self._window or at > self._window[chat]:
            self._window[chat] = at
        waited = await self._seen.submit((chat, at))
        if waited is not None:  # replies waited for the user to write again: they go first
            await self._release(chat)
        if incoming is None:
            await self._finished.submit((key, []))
            return
        if incoming.button and incoming.button.startswith(LOCAL):
            await self._local(incoming, waited is not None)
            await self._finished.submit((key, []))
            return
        if incoming.media is not None and incoming.media.kind in MEDIA_KINDS:
            incoming = await self._download(incoming)
        understanding = await asyncio.get_running_loop().run_in_executor(
            self._nlu, self.dispatcher.understand, incoming) if incoming.text else None
        outcome = await self._db(self.dispatcher.handle, incoming, understanding)
        if outcome.duplicate:
            self.stats.duplicates += 1
            await self._finished.submit((key, []))
            return
        self.stats.handled += 1
        # the window runs from when the user wrote (Meta retries a delivery for days)
        sent = await self.deliver(chat, outcome.replies, outcome.outbox_ids,
                                  live=window_open(at))
        await self._finished.submit((key, sent))
        started = self._received.get(key)
        if started is not None:
            self.stats.latencies.append(time.perf_counter() - started)

    async def _local(self, incoming: Incoming, released: bool) -> None:
        """The channel's own buttons: the next page of a long list; "show me" under a template
        (what waited was just sent; else the question the conversation waits on)."""
        data = incoming.button or ""
        page = 0
        if data.startswith(MORE):
            try:
                page = int(data[len(MORE):])
            except ValueError:
                page = 0
        elif released:
            return
        replies, lang = await self._db(self.dispatcher.current_prompt, CHANNEL, incoming.chat_id,
                                       incoming.user_ref)
        if not replies:  # no question waits: the menu (or the onboarding), as any message would
            outcome = await self._db(self.dispatcher.handle, incoming.model_copy(
                update={"button": None, "command": "menu"}), None)
            await self._finished.submit((None, await self.deliver(
                incoming.chat_id, outcome.replies, outcome.outbox_ids, live=True)))
            return
        asked = [r for r in replies if r.buttons][-1:] or replies[-1:]
        for reply in asked:
            await self.send(incoming.chat_id, reply, page=page)

    async def _download(self, incoming: Incoming) -> Incoming:
        """A voice note or picture is fetched through the media endpoint and kept under
        media_dir by content hash (WhatsApp's media ids expire); if that fails, its id is kept."""
        media = incoming.media
        assert media is not None
        try:
            data, mime = await self._retried(lambda: self.client.download(media.ref, self.max_media))
        except Exception as exc:  # noqa: BLE001 - the message still goes on, with the id
            log.warning("medium not downloaded, its id kept: %s", exc)
            return incoming
        digest = hashlib.sha256(data).hexdigest()
        mime = (mime or media.mime or "").split(";")[0].strip()
        name = digest + EXTENSIONS.get(mime, MEDIA_KINDS[media.kind])
        await self._work(self._save, name, data)
        return incoming.model_copy(update={"media": media.model_copy(update={
            "ref": name, "size": len(data), "mime": mime or media.mime})})

    def _save(self, name: str, data: bytes) -> None:
        self.media_dir.mkdir(parents=True, exist_ok=True)
        path = self.media_dir / name
        if not path.exists():
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)

    async def _on_status(self, payload: dict[str, Any]) -> None:
        wamid, status, code, _ = status_of(payload)
        chat = str(payload.get("chat") or "")
        item_id, _ = await self._status_rows.submit((wamid, chat, status, code))
        self.stats.statuses += 1
        if status == "failed":  # what follows is idempotent: a retry after a crash repeats it
            log.info("message to a user failed with code %s", code)
            if code == RE_ENGAGEMENT and chat:
                await self._window_closed(chat, item_id)
            elif code in UNREACHABLE_CODES and chat:
                await self._unreachable(chat, [])
        await self._finished.submit((payload["key"], []))

    async def _window_closed(self, chat: str, item_id: int | None) -> None:
        """WhatsApp accepted a free-form message, then refused it (131047): the reply goes back
        to the outbox and the user gets a template instead."""
        self._window.pop(chat, None)
        item = await self._db(self.wa.outbox_item, item_id) if item_id else None
        if item is not None:
            notice = (item.payload.get("reply") or {}).get("notice")
            lang = item.payload.get("language") or "fr"
            if notice:
                await self._template(chat, notice["kind"], lang, notice.get("params") or {},
                                     notice.get("payload"))
                return
            await self._db(self.wa.reopen, item.id)
            await self._park(chat, lang)
        else:
            await self._park(chat, "fr")

    # -- sending ------------------------------------------------------------------------------
    async def _window_open(self, chat: str) -> bool:
        last = self._window.get(chat)
        if last is None or not window_open(last):
            last = await self._db(self.wa.last_inbound, chat)
            if last is not None:
                self._window[chat] = last
        return window_open(last)

    async def deliver(self, chat: str, replies: list[Rendered], outbox_ids: list[int],
                      live: bool = False) -> list[int]:
        """Send replies in order; return the outbox ids sent. `live`: answers to a message just
        received (the window is open). Outside the window a notice goes as its template and
        the rest waits for the user (one "a reply waits" template). Stops at the first failure:
        the rest stays in the outbox for the sweep."""
        from bot.channels.runtime import coalesce

        ids = list(outbox_ids) + [0] * (len(replies) - len(outbox_ids))
        batches = coalesce(replies, ids, lambda text: len(text) <= MAX_TEXT)
        open_ = live or await self._window_open(chat)
        sent: list[int] = []
        for i, (reply, item_ids) in enumerate(batches):
            try:
                if open_:
                    try:
                        if reply.job:
                            reply = await self._work(self.dispatcher.fulfil, reply)
                        wamids = await self.send(chat, reply)
                        await self._sent_rows.submit(
                            [(w, chat, item_ids[-1] if item_ids else None) for w in wamids])
                        self.stats.sent += 1
                        sent.extend(item_ids)
                        continue
                    except WindowClosed:
                        open_ = False
                        self._window.pop(chat, None)
                if reply.notice:
                    n = reply.notice
                    await self._template(chat, n["kind"], reply.language, n.get("params") or {},
                                         n.get("payload"))
                    sent.extend(item_ids)
                    continue
                await self._park(chat, reply.language)
                break
            except Unreachable:
                await self._unreachable(chat, [x for _, b in batches[i:] for x in b])
                self.stats.failed_sends += len(batches) - i
                break
            except Exception as exc:  # noqa: BLE001 - kept in the outbox, resent by the sweep
                log.warning("reply not sent, kept in the outbox: %s", exc)
                self.stats.failed_sends += len(batches) - i
                break
        return sent

    async def send(self, chat: str, reply: Rendered, page: int = 0) -> list[str]:
        """Send one rendered reply (several WhatsApp messages when it must be); their ids."""
        wamids = []
        for body in render(reply, self.labels(reply.language), page=page):
            if "upload" in body:
                body = await self._uploaded(body)
            wamids.append(await self._call(chat, body))
        return wamids

    async def _uploaded(self, body: dict[str, Any]) -> dict[str, Any]:
        from pathlib import Path
        kind, up = body["type"], body["upload"]
        path = Path(up["path"])
        filename = up.get("filename") or path.name
        mime = "image/png" if kind == "image" else _mime(filename)
        media_id = await self._retried(lambda: self.client.upload(str(path), mime, filename))
        part: dict[str, Any] = {"id": media_id}
        if body.get("caption"):
            part["caption"] = body["caption"]
        if kind == "document":
            part["filename"] = filename
        return {"type": kind, kind: part}

    async def _retried(self, call: Any) -> Any:
        """A Graph API call; throughput errors (130429, 131056), 5xx and network errors are
        retried with a growing pause."""
        import aiohttp
        attempt = 0
        while True:
            try:
                return await call()
            except GraphError as exc:
                if not exc.retried or attempt >= self.max_retries:
                    raise
                pause = self.retry_backoff * (2 ** attempt) * (4 if exc.code == PAIR_RATE else 1)
                log.info("Graph API busy (%s), retrying in %.1fs", exc.code or exc.status, pause)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                if attempt >= self.max_retries:
                    raise
                pause = self.retry_backoff * (2 ** attempt)
                log.info("network error, retrying in %.1fs: %s", pause, exc)
            await asyncio.sleep(pause)
            attempt += 1

    async def _call(self, chat: str, body: dict[str, Any]) -> str:
        async def once() -> str:
            await self.pacer.wait()
            return await self.client.send(chat, body)
        try:
            return await self._retried(once)
        except GraphError as exc:
            if exc.window_closed:
                raise WindowClosed(str(exc)) from exc
            if exc.unreachable:
                raise Unreachable(str(exc)) from exc
            raise

    async def _template(self, chat: str, kind: str, lang: str, params: dict[str, Any],
                        payload: str | None) -> None:
        """Send the template configured for `kind` (config.yml whatsapp.templates)."""
        t = self.settings.templates.get(kind)
        if t is None:
            raise LookupError(f"no WhatsApp template configured for {kind!r}")
        body = template_message(t.name, t.language_code(lang),
                                [str(params.get(p, "")) for p in t.params],
                                (payload or RESUME) if t.button else None)
        await self._call(chat, body)
        self.stats.templates += 1

    async def _park(self, chat: str, lang: str) -> None:
        """The window is closed: replies wait in the outbox until the user writes again; the
        user is told once, by the "a reply waits" template."""
        if await self._db(self.wa.set_waiting, chat, datetime.now(timezone.utc)):
            try:
                await self._template(chat, "reply_waiting", lang, {}, RESUME)
            except Exception:
                await self._db(self.wa.set_waiting, chat, None)  # told at the next attempt
                raise

    async def _release(self, chat: str) -> None:
        """The user wrote again: what waited for them goes now, in order."""
        await self._db(self.wa.set_waiting, chat, None)
        for item in await self._db(self.wa.waiting, chat):
            if not await self._db(self.store.claim, item):
                continue
            await self._resend(item)

    async def _resend(self, item: Any) -> None:
        from domain.messages import Reply
        reply = Reply.model_validate(item.payload["reply"])
        rendered = self.catalog.render(reply, item.payload.get("language") or "fr")
        await self._finished.submit((None, await self.deliver(item.chat_id, [rendered],
                                                              [item.id or 0])))

    async def _unreachable(self, chat: str, item_ids: list[int]) -> None:
        log.warning("a WhatsApp user cannot be reached: replies given up")
        await self._db(self.wa.set_unreachable, chat, True)
        await self._db(self._mark_user, chat)
        await self._db(self.store.give_up, item_ids)

    def _mark_user(self, chat: str) -> None:
        with self.athar.uow_factory() as uow:
            user = uow.users.by_identity(CHANNEL, chat)
            if user is not None and not user.unreachable:
                user.unreachable = True
                uow.users.save(user)
                uow.commit()

    # -- recovery -----------------------------------------------------------------------------
    async def sweep(self, min_age: float | None = None) -> None:
        """Handle recorded events left behind; send what is due: replies unsent after the grace
        period (crash, network down) and notices (invitations, reminders) queued by others."""
        age = self.grace if min_age is None else min_age
        for key, chat, payload in await self._db(self.store.pending, CHANNEL, age):
            self._schedule({**payload, "key": key, "chat": chat})
        await self.drain()
        before = datetime.now(timezone.utc).timestamp() - age
        for item in await self._db(self.store.due, CHANNEL, 0.0):
            notice = (item.payload.get("reply") or {}).get("notice")
            if not notice and item.created_at is not None and item.created_at.timestamp() > before:
                continue  # being sent by the worker that made it

            chat = await self._db(self.wa.chat, item.chat_id)
            if chat is not None and chat.unreachable:
                await self._db(self.store.give_up, [item.id])
                continue
            if chat is not None and chat.waiting_since is not None and not notice:
                continue  # waits for the user to write again
            if not await self._db(self.store.claim, item):
                continue
            lock = self._locks.setdefault(item.chat_id, asyncio.Lock())
            async with lock:
                await self._resend(item)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            try:
                await self.sweep()
            except Exception:  # noqa: BLE001 - the next sweep tries again
                log.exception("sweep failed")


def _mime(filename: str) -> str:
    import mimetypes
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
