"""Structured logs (key=value), never a token, never a beneficiary's text above DEBUG."""
from __future__ import annotations

import logging
import os


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = f"{self.formatTime(record)} level={record.levelname} logger={record.name} msg={record.getMessage()!r}"
        for key in ("conv", "update_id"):
            if hasattr(record, key):
                base += f" {key}={getattr(record, key)}"
        if record.exc_info:
            base += "\n" + self.formatException(record.exc_info)
        return base


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
    for noisy in ("httpx", "httpcore", "telegram", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    root._athar = True  # type: ignore[attr-defined]
