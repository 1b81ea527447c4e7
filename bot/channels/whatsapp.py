"""The WhatsApp channel, on the WhatsApp Cloud API (Meta's Graph API) with a small client of ours:
an adapter of the delivery runtime (bot/channels/runtime.py), as the Telegram channel is.

What is WhatsApp's own lives here: the webhook's signature, reading its JSON into `Incoming`
messages and delivery statuses, rendering replies within WhatsApp's limits, the 24-hour window
(templates, replies held for the user), and sending through the Graph API with its errors mapped
to the runtime's. The rest — recording before acknowledging, per-chat order, the dispatcher's
unit of work, the outbox, retries with back-off and the sweep — is the runtime's. Its SQL is in
storage/whatsapp.py.

Why not pywa: it builds its own object for every update and every message and sends through
httpx, whose per-request cost was more than half the Telegram channel's CPU here (see
bot/channels/http.py); Athar already reads the platform's JSON straight into `Incoming`, and the
Graph API calls it needs are four (send a message, upload a medium, look a medium up, download
it), on the aiohttp the Telegram channel already uses.
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
from typing import Any, Iterator, Sequence

from domain.messages import Incoming, Media, Rendered, RenderedButton

from bot.channels.runtime import Deferred, Malformed, Rejected, Transient, Unreachable

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
    return hmac.compare_digest(
        header.strip().encode("utf-8", "surrogateescape"), signature(secret, body).encode()
    )


@dataclass(frozen=True)
class Event:
    """One thing a webhook call told: a message from a user, or a status of a message sent.
    `payload` is what is recorded (`Runtime.receive`); `key` identifies it (a second delivery
    of the same key is a duplicate) and `chat` orders it (see `identify`)."""

    key: str
    chat: str | None
    payload: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.payload["kind"]


def identify(payload: dict[str, Any]) -> tuple[str, str | None]:
    """(key, chat) of a recorded event: a message by its id (wamid…), a status by the message
    it is about and the status itself (sent, delivered, read and failed are four events); the
    chat is the user's number. ValueError when there is no id."""
    if payload.get("kind") == "status":
        s = payload.get("status")
        if isinstance(s, dict) and isinstance(s.get("id"), str) and s.get("status"):
            return f"status:{s['id']}:{s['status']}", str(s.get("recipient_id") or "") or None
    elif payload.get("kind") == "message":
        m = payload.get("message")
        if isinstance(m, dict) and isinstance(m.get("id"), str) and m.get("from"):
            return m["id"], str(m["from"])
    raise ValueError("a WhatsApp event without an id")


def events(body: Any) -> list[Event]:
    """The events of a webhook body (several entries, changes, messages and statuses may come
    in one call). Raises ValueError when the body is not a WhatsApp Business Account
    notification. The sender's profile name is not kept (beneficiaries are never identified)."""
    if (
        not isinstance(body, dict)
        or body.get("object") != "whatsapp_business_account"
        or not isinstance(body.get("entry"), list)
    ):
        raise ValueError("not a WhatsApp Business Account notification")
    payloads: list[dict[str, Any]] = []
    for entry in body["entry"]:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            payloads += [
                {"kind": "message", "message": m} for m in value.get("messages") or [] if isinstance(m, dict)
            ]
            payloads += [
                {"kind": "status", "status": s} for s in value.get("statuses") or [] if isinstance(s, dict)
            ]
    out: list[Event] = []
    for payload in payloads:
        try:
            key, chat = identify(payload)
        except ValueError:
            continue
        out.append(Event(key=key, chat=chat, payload=payload))
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
    return Media(
        kind=kind,
        ref=str(part["id"]),
        mime=part.get("mime_type"),
        caption=(caption or "").strip()[:MAX_BODY] or None,
    )


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
        return Incoming(
            **base,
            media=Media(kind="location", ref=f"{float(loc['latitude']):.6f},{float(loc['longitude']):.6f}"),
        )
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
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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
                rest = rest[i + len(sep) :]
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
    before = text[: len(text) - len(body)].rstrip()
    return split_text(before), body


def _buttons_message(body: str, buttons: list[RenderedButton]) -> dict[str, Any] | None:
    titles = [_title(b, MAX_BUTTON_TITLE) for b in buttons]
    if len(set(titles)) < len(titles):  # WhatsApp refuses two buttons with one title
        return None
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": b.data, "title": t}} for b, t in zip(buttons, titles)
                ]
            },
        },
    }


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
    return [buttons[i : i + per] for i in range(0, len(buttons), per)]


def _list_message(body: str, buttons: list[RenderedButton], labels: Labels, page: int) -> dict[str, Any]:
    chunks = pages(buttons)
    page = page % len(chunks)
    rows = [_row(b) for b in chunks[page]]
    if len(chunks) > 1:
        nxt = (page + 1) % len(chunks)
        rows.append(
            {
                "id": f"{MORE}{nxt}",
                "title": _fit(labels.more if nxt else labels.first, MAX_ROW_TITLE),
                "description": _fit(
                    labels.more_description.format(page=nxt + 1, pages=len(chunks)), MAX_ROW_DESCRIPTION
                ),
            }
        )
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {"button": _fit(labels.list_button, MAX_LIST_BUTTON), "sections": [{"rows": rows}]},
        },
    }


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

    def __init__(
        self, api_url: str, token: str, phone_number_id: str, *, connections: int = 16, timeout: float = 30.0
    ):
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
                headers=self._headers,
                trust_env=False,
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )

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
            raise GraphError(
                response.status,
                code if isinstance(code, int) else None,
                str(error.get("message") or "")[:200],
            )
        return data

    async def send(self, to: str, message: dict[str, Any]) -> str:
        """POST /{phone-number-id}/messages; the sent message's id (wamid…)."""
        await self.open()
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
        async with self._session.post(f"{self.api_url}/{self.phone_number_id}/messages", json=body) as r:
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
        async with self._session.post(f"{self.api_url}/{self.phone_number_id}/media", data=form) as r:
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


def template_message(
    name: str, language: str, params: list[str], button_payload: str | None
) -> dict[str, Any]:
    """A template message's body: its body parameters, and its quick-reply button's payload."""
    components: list[dict[str, Any]] = []
    if params:
        components.append(
            {
                "type": "body",
                "parameters": [{"type": "text", "text": _fit(str(p), 1024) or "-"} for p in params],
            }
        )
    if button_payload is not None:
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": button_payload}],
            }
        )
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
    """At most `rate` sends per second for the number, evenly spaced (0: no pacing). The senders
    take turns: a sleep that overran (a busy event loop) never lets the waiting ones go in a
    burst to catch up."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            delay = self._next - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = time.monotonic() + self.interval


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
# The channel: an adapter of the delivery runtime (bot/channels/runtime.py)


class WindowClosed(Exception):
    """The Graph API refused a free-form message: the user's last message is over 24 hours old."""


MEDIA_KINDS = {"voice": ".ogg", "audio": ".audio", "photo": ".jpg", "document": ".bin", "video": ".mp4"}
EXTENSIONS = {
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "application/pdf": ".pdf",
}
MEDIA_PATIENCE = 10.0  # seconds spent retrying a medium's download before keeping its id
PAIR_PAUSE = 2.0  # seconds before a retry after 131056 (too many messages to one user)


@dataclass
class Stats:
    templates: int = 0
    statuses: int = 0


class WhatsAppChannel:
    """Parses webhook events, sends replies within WhatsApp's limits and its 24-hour window,
    maps the Graph API's errors; the runtime does the rest (recording, order, handling, the
    outbox, retries, the sweep).

    The window: a reply goes as it is while the user's last message is under 24 hours old (a
    margin kept); otherwise a notice (a poll invitation, a reminder) goes as its configured
    template, and any other reply is held (`Deferred`) with those after it, the user told once
    by the "a reply waits" template, until they write again (`Runtime.release`). WhatsApp may
    still refuse a reply for the window, at once or later in a failed status (131047): the
    reply is then held the same way."""

    name = CHANNEL

    def __init__(
        self,
        athar: Any,
        settings: Any = None,
        *,
        max_media: int = 16 * 2**20,
        client: GraphClient | None = None,
    ):
        from pathlib import Path

        from bot.settings import ROOT
        from storage.delivery import Gate
        from storage.whatsapp import WhatsAppStore

        settings = settings or athar.settings
        self.settings = settings.whatsapp
        self.dispatcher = athar.dispatcher
        self.catalog = athar.services.catalog
        self.client = client or GraphClient(
            self.settings.api_url,
            settings.whatsapp_token.get_secret_value(),
            str(self.settings.phone_number_id),
        )
        self.wa = WhatsAppStore(athar.db_engine, Gate.of(athar.db_engine))
        self.max_media = max_media
        media_dir = Path(self.settings.media_dir)
        self.media_dir = media_dir if media_dir.is_absolute() else ROOT / media_dir
        self.pacer = Pacer(self.settings.max_rate)
        self.stats = Stats()
        self.runtime: Any = None
        self._window: dict[str, datetime] = {}  # chat → the user's last message (a cache)
        self._labels: dict[str, Labels] = {}
        self._pages: dict[str, int] = {}  # chat → the page of the menu asked for (see _local)

    def bind(self, runtime: Any) -> None:
        self.runtime = runtime
        # written in batches with other chats' (they come in crowds under load)
        self._seen = runtime.batched(self.wa.seen)
        self._statuses = runtime.batched(self.wa.statuses)
        self._sent = runtime.batched(self._sent_many)

    async def open(self) -> None:
        await self.client.open()

    async def close(self) -> None:
        await self.client.close()

    def labels(self, lang: str) -> Labels:
        if lang not in self._labels:
            t = lambda key: self.catalog.text(f"whatsapp.{key}", lang)  # noqa: E731
            self._labels[lang] = Labels(
                choose=t("choose"),
                list_button=t("list_button"),
                more=t("more"),
                more_description=t("more_description"),
                first=t("first"),
            )
        return self._labels[lang]

    # -- receiving ----------------------------------------------------------------------------
    def identify(self, payload: dict[str, Any]) -> tuple[str, str | None]:
        return identify(payload)

    async def incoming(self, payload: dict[str, Any]) -> Incoming | None:
        if payload.get("kind") == "status":
            await self._on_status(payload)
            return None
        try:
            incoming = to_incoming(payload)
            chat = str(payload["message"]["from"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Malformed(f"WhatsApp message: {exc!r}") from exc
        # every message opens the window for 24 hours from when the user wrote it (Meta
        # retries a delivery for days, so a message may come in already too old)
        at = message_time(payload) or datetime.now(timezone.utc)
        if chat not in self._window or at > self._window[chat]:
            self._window[chat] = at
        waited = await self._seen.submit((chat, at))
        if waited is not None:  # replies waited for the user to write again: they go first
            await self.runtime.db(self.wa.set_waiting, chat, None)
            await self.runtime.release(CHANNEL, chat)
        if incoming is None:
            return None
        if incoming.button and incoming.button.startswith(LOCAL):
            return await self._local(incoming, released=waited is not None)
        if incoming.media is not None and incoming.media.kind in MEDIA_KINDS:
            incoming = await self._download(incoming)
        return incoming

    async def _local(self, incoming: Incoming, released: bool) -> Incoming | None:
        """The channel's own buttons: the next page of a long list; "show me" under a template
        (what waited was just sent; else the question the conversation waits on). With no
        question waiting, the message is the menu (or the onboarding), as any would be."""
        data = incoming.button or ""
        page = 0
        if data.startswith(MORE):
            try:
                page = int(data[len(MORE) :])
            except ValueError:
                page = 0
        elif released:
            return None
        replies, _ = await self.runtime.db(
            self.dispatcher.current_prompt, CHANNEL, incoming.chat_id, incoming.user_ref
        )
        if not replies:  # the menu (its page asked for, when it has several)
            if page:
                self._pages[incoming.chat_id] = page
            return incoming.model_copy(update={"button": None, "command": "menu"})
        for reply in [r for r in replies if r.buttons][-1:] or replies[-1:]:
            try:
                await self._deliver(incoming.chat_id, reply, (), page)
            except Exception as exc:  # noqa: BLE001 - a view of the question, not a reply to keep
                log.warning("the question's page was not sent: %s", exc)
        return None

    async def _download(self, incoming: Incoming) -> Incoming:
        """A voice note or picture is fetched through the media endpoint and kept under
        media_dir by content hash (WhatsApp's media ids expire); if that fails, its id is kept."""
        media = incoming.media
        assert media is not None
        try:
            data, mime = await self.runtime.call(
                self._mapped, self.client.download, media.ref, self.max_media, patience=MEDIA_PATIENCE
            )
        except Exception as exc:  # noqa: BLE001 - the message still goes on, with the id
            log.warning("medium not downloaded, its id kept: %s", exc)
            return incoming
        digest = hashlib.sha256(data).hexdigest()
        mime = (mime or media.mime or "").split(";")[0].strip()
        name = digest + EXTENSIONS.get(mime, MEDIA_KINDS[media.kind])
        await self.runtime.work(self._save, name, data)
        return incoming.model_copy(
            update={
                "media": media.model_copy(update={"ref": name, "size": len(data), "mime": mime or media.mime})
            }
        )

    def _save(self, name: str, data: bytes) -> None:
        self.media_dir.mkdir(parents=True, exist_ok=True)
        path = self.media_dir / name
        if not path.exists():
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)

    async def _on_status(self, payload: dict[str, Any]) -> None:
        """A delivery status is recorded; a failed one acted on. What follows the recording is
        repeated if a crash makes the runtime process the event again (a held reply is held
        again, a user marked again)."""
        try:
            wamid, status, code, at = status_of(payload)
            chat = str(payload["status"].get("recipient_id") or "")
        except (KeyError, TypeError, ValueError) as exc:
            raise Malformed(f"WhatsApp status: {exc!r}") from exc
        item_id, _ = await self._statuses.submit((wamid, chat, status, code))
        self.stats.statuses += 1
        if status != "failed" or not chat:
            return
        log.info("a message to a user failed with code %s", code)
        if code == RE_ENGAGEMENT:
            await self._window_closed(chat, item_id, at or datetime.now(timezone.utc))
        elif code in UNREACHABLE_CODES:
            await self._unreachable(chat)

    async def _window_closed(self, chat: str, item_id: int | None, at: datetime) -> None:
        """WhatsApp accepted a free-form message, then refused it (131047): the replies of that
        message are held again and go out as the window allows (a notice as its template; the
        rest when the user writes again)."""
        self._window.pop(chat, None)
        await self.runtime.db(self.wa.close_window, chat, at)
        if item_id is None:
            return  # not a reply (a list's other page): nothing to send again
        await self.runtime.db(self.wa.hold_again, chat, item_id)
        await self.runtime.release(CHANNEL, chat)

    async def _unreachable(self, chat: str) -> None:
        log.warning("a WhatsApp user cannot be reached: marked so")
        await self.runtime.db(self.wa.set_unreachable, chat, True)
        await self.runtime.set_reachable(CHANNEL, chat, False)

    # -- sending ------------------------------------------------------------------------------
    def fits(self, text: str) -> bool:
        return len(text) <= MAX_TEXT

    async def _window_open(self, chat: str) -> bool:
        last = self._window.get(chat)
        if last is None or not window_open(last):
            last = await self.runtime.db(self.wa.last_inbound, chat)
            if last is not None:
                self._window[chat] = last
        return window_open(last)

    async def send(self, chat_id: str, reply: Rendered, items: Sequence[int] = ()) -> None:
        """Send one reply (several WhatsApp messages when it must be); `items`: its outbox ids,
        kept with the messages' ids for their delivery statuses."""
        page = self._pages.pop(chat_id, 0) if reply.buttons else 0
        await self._deliver(chat_id, reply, items, page)

    async def _deliver(self, chat: str, reply: Rendered, items: Sequence[int], page: int = 0) -> None:
        if not await self._window_open(chat):
            await self._outside_window(chat, reply, items)
            return
        wamids: list[str] = []
        try:
            for body in render(reply, self.labels(reply.language), page=page):
                if "upload" in body:
                    body = await self._uploaded(body)
                wamids.append(await self._post(chat, body))
        except WindowClosed:
            # WhatsApp counts the window otherwise: closed until the user writes again (what
            # went out of this reply goes again then: a part of it may come twice)
            self._window.pop(chat, None)
            await self.runtime.db(self.wa.close_window, chat, datetime.now(timezone.utc))
            await self._outside_window(chat, reply, items)
        except Unreachable:
            await self.runtime.db(self.wa.set_unreachable, chat, True)
            raise
        finally:
            if wamids:
                await self._sent.submit([(w, chat, items[0] if items else None) for w in wamids])

    async def _outside_window(self, chat: str, reply: Rendered, items: Sequence[int]) -> None:
        """A notice goes as its template; any other reply waits for the user (Deferred)."""
        if reply.notice:
            n = reply.notice
            wamid = await self._template(
                chat, n["kind"], reply.language, n.get("params") or {}, n.get("payload")
            )
            await self._sent.submit([(wamid, chat, items[0] if items else None)])
            return
        await self._park(chat, reply.language)
        raise Deferred("the 24-hour window is closed")

    async def _park(self, chat: str, lang: str) -> None:
        """Replies wait for the user to write again; the user is told once, by the "a reply
        waits" template."""
        if await self.runtime.db(self.wa.set_waiting, chat, datetime.now(timezone.utc)):
            try:
                await self._template(chat, "reply_waiting", lang, {}, RESUME)
            except BaseException:
                await self.runtime.db(self.wa.set_waiting, chat, None)  # told next time
                raise

    async def _template(
        self, chat: str, kind: str, lang: str, params: dict[str, Any], payload: str | None
    ) -> str:
        """Send the template configured for `kind` (config.yml whatsapp.templates)."""
        t = self.settings.templates.get(kind)
        if t is None:
            raise Rejected(f"no WhatsApp template configured for {kind!r}")
        body = template_message(
            t.name,
            t.language_code(lang),
            [str(params.get(p, "")) for p in t.params],
            (payload or RESUME) if t.button else None,
        )
        wamid = await self._post(chat, body)
        self.stats.templates += 1
        return wamid

    async def _post(self, chat: str, body: dict[str, Any]) -> str:
        """One message, paced to the number's throughput, through the runtime's retries."""

        async def once() -> str:
            await self.pacer.wait()
            return await self.client.send(chat, body)

        return await self.runtime.call(self._mapped, once)

    async def _uploaded(self, body: dict[str, Any]) -> dict[str, Any]:
        from pathlib import Path

        kind, up = body["type"], body["upload"]
        path = Path(up["path"])
        filename = up.get("filename") or path.name
        mime = "image/png" if kind == "image" else _mime(filename)
        media_id = await self.runtime.call(self._mapped, self.client.upload, str(path), mime, filename)
        part: dict[str, Any] = {"id": media_id}
        if body.get("caption"):
            part["caption"] = body["caption"]
        if kind == "document":
            part["filename"] = filename
        return {"type": kind, kind: part}

    @staticmethod
    async def _mapped(fn: Any, *args: Any) -> Any:
        """A Graph API call with its errors mapped to the runtime's: throughput (130429,
        131056), 5xx, network errors and a refused token (the operator may fix it: the reply
        stays in the outbox) are transient; 131047 is the window; a number WhatsApp cannot
        deliver to is unreachable; any other refusal is final."""
        import aiohttp

        try:
            return await fn(*args)
        except GraphError as exc:
            if exc.window_closed:
                raise WindowClosed(str(exc)) from exc
            if exc.unreachable:
                raise Unreachable(str(exc)) from exc
            if exc.retried:
                raise Transient(str(exc), retry_after=PAIR_PAUSE if exc.code == PAIR_RATE else None) from exc
            if exc.status == 401 or exc.code == 190:
                log.error("the Graph API refused the access token (ATHAR_WHATSAPP_TOKEN)")
                raise Transient(str(exc)) from exc
            raise Rejected(str(exc)) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from exc

    def _sent_many(self, batches: list[list[tuple[str, str, int | None]]]) -> list[None]:
        self.wa.sent([row for batch in batches for row in batch])
        return [None] * len(batches)


def _mime(filename: str) -> str:
    import mimetypes

    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
