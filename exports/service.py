"""What the bot and the CLI call: one function per export, records in, a file out.

Generation is synchronous and pure (records → file); callers run it off the event loop when
they need to (the Telegram channel does).
"""
from __future__ import annotations

import json
from pathlib import Path

from domain.commune import Commune
from domain.records import Project

from exports.labels import doc_lang
from exports.logframe import logframe_dict, logframe_document
from exports.writers import write

LOGFRAME_FORMATS = ("xlsx", "docx", "odt", "pdf", "md", "json")


def export_logframe(project: Project, fmt: str, lang: str, path: str | Path,
                    commune: Commune | None = None) -> Path:
    path = Path(path)
    if fmt not in LOGFRAME_FORMATS:
        raise ValueError(f"logframe format {fmt!r} is not one of {', '.join(LOGFRAME_FORMATS)}")
    if fmt == "json":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(logframe_dict(project), ensure_ascii=False, indent=2),
                        encoding="utf-8")
        return path
    return write(logframe_document(project, doc_lang(lang), commune), fmt, path)
