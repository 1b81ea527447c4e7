"""Channel-neutral messages.

Incoming: what a channel adapter hands to the dispatcher. Reply: what handlers return — catalog
keys with parameters, never literal sentences. Rendered: a reply in one language, ready for any
channel adapter (which knows its own limits).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

MAX_TEXT = 10_000  # longer messages are cut by the dispatcher before anything else sees them


class Media(BaseModel):
    kind: Literal["voice", "audio", "photo", "document", "video", "location", "other"]
    ref: str  # channel file id / URL / path; never the content
    mime: str | None = None
    size: int | None = None
    duration: int | None = None
    caption: str | None = None  # what the sender wrote with it (Telegram: up to 1024 characters)


class Incoming(BaseModel):
    channel: str
    chat_id: str
    user_ref: str  # the sender's channel identity
    message_id: str | None = None  # external id, used to drop duplicate deliveries
    text: str | None = None
    button: str | None = None  # callback data of a pressed button
    command: str | None = None  # "start", "help", ... without the slash
    command_arg: str | None = None  # deep-link payload of /start
    media: Media | None = None
    lang_hint: str | None = None  # e.g. Telegram's language_code


class Msg(BaseModel):
    """A catalog key and its parameters."""

    key: str
    params: dict[str, Any] = Field(default_factory=dict)


def msg(key: str, **params: Any) -> Msg:
    return Msg(key=key, params=params)


class Button(BaseModel):
    data: str = Field(max_length=64)  # short, stable, ≤ 64 bytes (Telegram callback data)
    label: Msg


class Attachment(BaseModel):
    kind: Literal["document", "photo"]
    path: str
    filename: str | None = None
    caption: Msg | None = None


class Job(BaseModel):
    """Slow work (making a file) that a channel does just before it sends the reply carrying
    it, after the replies before it are on the user's screen ("preparing your file…", then the
    file). Plain data, so it waits in the outbox like any reply: a crash means it runs again."""

    kind: str  # a job runner registered by a handler (Handlers.add_job)
    params: dict[str, Any] = Field(default_factory=dict)


class Notice(BaseModel):
    """A message Athar starts rather than answers (a poll invitation, a reminder). A channel
    that may only start a conversation with an approved template (WhatsApp, 24 hours after the
    user's last message) sends the template configured for `kind`, filled with `params`; its
    button gives back `payload` (a /start payload, or a channel's own)."""

    kind: str
    params: dict[str, str] = Field(default_factory=dict)
    payload: str | None = None


REMINDED = "reminded"  # a dialogue's data: a reminder was sent in it (Dispatcher.remind)


class Reply(BaseModel):
    lines: list[Msg]
    buttons: list[Button] = Field(default_factory=list)
    attachment: Attachment | None = None
    job: Job | None = None  # when set, the channel sends what the job's runner returns instead
    notice: Notice | None = None

    @classmethod
    def of(cls, key: str, buttons: list[Button] | None = None, **params: Any) -> "Reply":
        return cls(lines=[msg(key, **params)], buttons=buttons or [])


class RenderedButton(BaseModel):
    data: str
    label: str
    short: str | None = None  # the catalog's short form, for channels with tight limits


class Rendered(BaseModel):
    """A reply rendered in one language: what adapters send."""

    text: str
    buttons: list[RenderedButton] = Field(default_factory=list)
    rtl: bool = False
    language: str = "fr"
    attachment: dict[str, Any] | None = None
    job: dict[str, Any] | None = None  # see Job: to be run (Dispatcher.fulfil) before sending
    notice: dict[str, Any] | None = None  # see Notice
