"""What the bot and the CLI call: one function per export, records in, a file out.

Generation is synchronous and pure (records → file); callers run it off the event loop when
they need to (the Telegram channel does).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.commune import Commune
from domain.privacy import mask_identifiers
from domain.records import Project

from domain.languages import document_language
from exports.logframe import logframe_dict, logframe_document
from exports.writers import atomic_path, write

LOGFRAME_FORMATS = ("xlsx", "docx", "odt", "pdf", "md", "json")


def export_logframe(
    project: Project, fmt: str, lang: str, path: str | Path, commune: Commune | None = None
) -> Path:
    path = Path(path)
    if fmt not in LOGFRAME_FORMATS:
        raise ValueError(f"logframe format {fmt!r} is not one of {', '.join(LOGFRAME_FORMATS)}")
    if fmt == "json":
        with atomic_path(path) as tmp:
            tmp.write_text(
                json.dumps(masked_data(logframe_dict(project)), ensure_ascii=False, indent=2),
                encoding="utf-8",
            )
        return path
    return write(logframe_document(project, document_language(lang), commune, typed=fmt == "xlsx"), fmt, path)


def masked_data(value: Any) -> Any:
    """JSON-ready data with contact details masked in every string."""
    if isinstance(value, str):
        return mask_identifiers(value)
    if isinstance(value, list):
        return [masked_data(v) for v in value]
    if isinstance(value, dict):
        return {k: masked_data(v) for k, v in value.items()}
    return value
