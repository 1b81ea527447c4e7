"""Wiring for polls: the pseudonymisation key and the question bank, put into
`Services.extras` by the composition root (handlers never read files or the environment).

The key (ATHAR_PSEUDONYM_KEY) turns a channel identity into a respondent's pseudonym; if it
changed, baseline and follow-up answers could no longer be linked. Policy when it is missing:
- PostgreSQL (production): no key is invented; polls answer "not available" and an error is
  logged until ATHAR_PSEUDONYM_KEY is set.
- SQLite (the embedded, local default): a random key is generated once and kept in
  var/pseudonym.key (mode 0600), with a warning in the log. Keep that file with the database.
"""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

log = logging.getLogger("athar.polls")

KEY_FILE = Path(__file__).resolve().parent.parent / "var" / "pseudonym.key"


def resolve_pseudonym_key(settings: Any, database_url: str, key_file: Path = KEY_FILE) -> bytes | None:
    secret = getattr(settings, "pseudonym_key", None)
    if secret is not None and secret.get_secret_value().strip():
        return secret.get_secret_value().strip().encode("utf-8")
    if not database_url.startswith("sqlite"):
        log.error("ATHAR_PSEUDONYM_KEY is not set: beneficiary polls are disabled "
                  "(set it in the environment; never change it once polls have started)")
        return None
    if key_file.exists():
        key = key_file.read_text(encoding="ascii").strip()
        if key:
            log.warning("ATHAR_PSEUDONYM_KEY is not set: using the local key in %s", key_file)
            return key.encode("ascii")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    log.warning("ATHAR_PSEUDONYM_KEY is not set: generated a local key in %s "
                "(keep it with the database; set ATHAR_PSEUDONYM_KEY in production)", key_file)
    return key.encode("ascii")


def install(services: Any, settings: Any, database_url: str, key: bytes | None = None) -> None:
    """Put the poll services into services.extras."""
    from knowledge.polls import load_question_bank
    services.extras["poll_bank"] = load_question_bank()
    if key is None and settings is not None:
        key = resolve_pseudonym_key(settings, database_url)
    if key is not None:
        services.extras["pseudonym_key"] = key
