"""Dashboard access (pure): the secrets of sign-in links and sessions, kept only as hashes.

A sign-in link carries a random secret (256 bits); the database keeps its SHA-256, so a copy of
the database cannot be used to sign in. The same goes for the session a link opens (the
browser's cookie). A form's CSRF token is derived from the session's secret (an HMAC), so it
needs no storage and is worthless without the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from domain.records import User, WebToken

SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def csrf_token(session_secret: str) -> str:
    return hmac.new(
        session_secret.encode("utf-8", "surrogateescape"), b"athar-dashboard-csrf", hashlib.sha256
    ).hexdigest()


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison; a missing value never matches."""
    if not given:
        return False
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


def new_token(kind: str, user_id: int, now: datetime, lifetime: timedelta) -> tuple[str, WebToken]:
    """A new link or session: (the secret to hand out, the record to store)."""
    secret = new_secret()
    return secret, WebToken(
        kind=kind,  # type: ignore[arg-type]
        token_hash=secret_hash(secret),
        user_id=user_id,
        created_at=now,
        expires_at=now + lifetime,
    )


def link_state(token: WebToken | None, now: datetime) -> str:
    """What a sign-in link is worth now: valid, used, expired or unknown."""
    if token is None or token.kind != "link":
        return "unknown"
    if token.used_at is not None:
        return "used"
    if token.expires_at <= now:
        return "expired"
    return "valid"


def sees_everything(user: User | None) -> bool:
    """Coordinators and admins see the whole programme."""
    return user is not None and user.role in ("coordinator", "admin")


def may_use(user: User | None) -> bool:
    """Who may sign in to the dashboard: coordinators, admins, and officials and staff of a
    commune (who see only their commune's pages: User.can_see_commune)."""
    return sees_everything(user) or (
        user is not None and user.role in ("official", "staff") and bool(user.commune_id)
    )
