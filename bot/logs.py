"""Structured logs (key=value), never a token, never a beneficiary's text above DEBUG, and at
no level a chat id, a user id, a name or a phone number.

Where log lines must be correlated (the messages of one chat), they carry `tag(...)`: a short
keyed hash whose key is random, made at start and never written anywhere, so a tag names the
same chat within a process and nothing outside it. As a last line of defence the formatter
masks what looks like a phone number, an e-mail address or an id number
(domain.privacy.mask_identifiers) in every line, exception texts included.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets

from domain.privacy import mask_identifiers

_TAG_KEY = secrets.token_bytes(16)
# libraries whose lower levels log requests with their parameters (chat ids): WARNING at least
NOISY = ("httpx", "httpcore", "telegram", "alembic")


def tag(*parts: object) -> str:
    """A short keyed hash naming a chat, a user or a message in the logs (8 letters and digits
    2-7: never mistaken for a number)."""
    digest = hashlib.blake2b(
        "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass"), key=_TAG_KEY, digest_size=5
    ).digest()
    return base64.b32encode(digest).decode("ascii").lower()


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = f"{self.formatTime(record)} level={record.levelname} logger={record.name} msg={record.getMessage()!r}"
        for key in ("conv", "update_id"):
            if hasattr(record, key):
                base += f" {key}={getattr(record, key)}"
        if record.exc_info:
            base += "\n" + self.formatException(record.exc_info)
        return mask_identifiers(base) or base


def setup_logging(level: str = "INFO", path: str | None = None) -> None:
    root = logging.getLogger()
    if getattr(root, "_athar", False):
        return
    handler: logging.Handler
    if path:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    else:
        handler = logging.StreamHandler()
    handler.setFormatter(_Formatter())
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    root._athar = True  # type: ignore[attr-defined]
