"""`athar admin invite --commune NAME --role ROLE`: a one-time invite code, on the last line."""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import datetime, timedelta, timezone

from domain.commune import find_commune
from domain.records import ROLES, AuditEntry, Invite

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to read aloud and type


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def pretty(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("admin", help="administration")
    asub = p.add_subparsers(dest="admin_command", metavar="ACTION")
    inv = asub.add_parser("invite", help="create a one-time invite code")
    inv.add_argument("--commune", default=None, help="commune name or id (not needed for a coordinator)")
    inv.add_argument("--role", required=True, choices=[r for r in ROLES])
    inv.set_defaults(func=invite)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def create_invite(uow, communes, commune: str | None, role: str, valid_days: int) -> Invite:
    commune_id = None
    if commune:
        found = find_commune(list(communes), commune)
        if found is None:
            names = ", ".join(c.names.fr for c in communes)
            raise ValueError(f"unknown commune {commune!r}; choose one of: {names}")
        commune_id = found.id
    elif role in ("official", "staff"):
        raise ValueError(f"a {role} invite needs --commune")
    for _ in range(5):
        code = new_code()
        if uow.invites.by_code(code) is None:
            break
    invite = uow.invites.add(
        Invite(
            code=code,
            commune_id=commune_id,
            role=role,  # type: ignore[arg-type]
            expires_at=datetime.now(timezone.utc) + timedelta(days=valid_days),
        )
    )
    uow.audit.add(
        AuditEntry(action="invite.created", target=code, detail={"role": role, "commune": commune_id})
    )
    return invite


def invite(args: argparse.Namespace) -> int:
    from bot.app import build_app
    from bot.settings import get_settings

    settings = get_settings()
    app = build_app(settings, nlu=None, migrate=True)
    try:
        with app.uow_factory() as uow:
            try:
                inv = create_invite(
                    uow, app.services.communes, args.commune, args.role, settings.invites.valid_days
                )
            except ValueError as exc:
                print(f"athar: {exc}", file=sys.stderr)
                return 2
            uow.commit()
        where = inv.commune_id or "all communes"
        print(f"Invite for a {inv.role} ({where}), valid until {inv.expires_at:%Y-%m-%d}.")
        print(f"Deep link: https://t.me/{settings.telegram.bot_username}?start=inv_{inv.code}")
        print(pretty(inv.code))
        return 0
    finally:
        app.close()
