"""First contact: language choice (guessed from the first message), then the invite code that
binds the user to a commune and a role."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from domain.dialogue import Answer, Ctx, Dialogue, Invalid, Option, Step
from domain.language import ALL_LANGS
from domain.messages import Reply, msg
from domain.records import AuditEntry, Identity, User

from bot.handlers import Handlers

NO_CODE = "onb:nocode"


def normalise_code(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def language_options(ctx: Ctx) -> list[Option]:
    langs = list(ALL_LANGS)
    guess = ctx.state.data.get("guess")
    if guess in [lang.value for lang in langs]:
        langs.sort(key=lambda lang: lang.value != guess)
    return [Option(f"lang:{lang.value}", msg(f"langname.{lang.value}")) for lang in langs]


def _language(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(ALL_LANGS)))
    ctx.lang = choice.split(":", 1)[1]
    return ctx.lang


def _code(ctx: Ctx, answer: Answer, text: Any) -> Any:
    if answer.button == NO_CODE or answer.intent == "dont_know":
        return Invalid(msg("onboarding.how_to_get_code"))
    if not text:
        return Invalid(msg("common.empty"))
    code = normalise_code(str(text))
    invite = ctx.uow.invites.by_code(code) if 4 <= len(code) <= 16 else None
    if invite is None:
        return Invalid(msg("onboarding.code_unknown"))
    if invite.used_at is not None:
        return Invalid(msg("onboarding.code_used"))
    now = datetime.now(timezone.utc)
    expires = invite.expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    if expires is not None and expires < now:
        return Invalid(msg("onboarding.code_expired"))
    return redeem(ctx, invite)


def redeem(ctx: Ctx, invite: Any) -> str:
    """Bind the sender to the invite's commune and role; the invite is spent."""
    chat = ctx.chat
    user = ctx.user
    if user is not None and user.registered:
        ctx.say("onboarding.already_registered")
        return invite.code
    if user is None:
        user = ctx.uow.users.add(
            User(role=invite.role, commune_id=invite.commune_id, language=ctx.lang),
            Identity(channel=chat.channel, external_id=chat.user_ref, user_id=0),
        )
    else:
        user.role, user.commune_id, user.language = invite.role, invite.commune_id, ctx.lang
        user = ctx.uow.users.save(user)
    ctx.user = user
    invite.used_at = datetime.now(timezone.utc)
    invite.used_by = user.id
    ctx.uow.invites.save(invite)
    ctx.uow.audit.add(AuditEntry(user_id=user.id, action="invite.redeemed", target=invite.code,
                                 detail={"role": invite.role, "commune": invite.commune_id}))
    role = msg(f"role.{invite.role}")
    if invite.commune_id:
        commune = ctx.services.commune_name(invite.commune_id, ctx.lang)
        ctx.say("onboarding.welcome_commune", role=role, commune=commune)
    else:
        ctx.say("onboarding.welcome_programme", role=role)
    return invite.code


def setup(h: Handlers) -> None:
    h.payloads.append(lambda ctx, payload: invite_payload(ctx, payload))
    h.registry.add(Dialogue(
        id="onboarding",
        confirm=False,
        then="menu",
        steps=[
            Step("language", prompt=[msg("onboarding.hello"), msg("language.ask")], kind="choice",
                 options=language_options, parse=_language,
                 when=lambda ctx: not ctx.state.data.get("language_chosen")),
            Step("code", prompt=msg("onboarding.ask_code"), kind="text", max_len=64, literal=True,
                 options=[Option(NO_CODE, msg("onboarding.no_code"))], parse=_code),
        ],
    ))


INVITE_PAYLOAD = "inv_"


def invite_payload(ctx: Ctx, payload: str) -> list[Reply] | None:
    """/start inv_<code>: a deep link that carries the invite code."""
    if not payload.startswith(INVITE_PAYLOAD):
        return None
    code = payload[len(INVITE_PAYLOAD):]
    engine = ctx.services.engine
    result = _code(ctx, Answer(text=code), code)
    if isinstance(result, Invalid):
        reasons = result.reason if isinstance(result.reason, list) else [result.reason]
        return [Reply(lines=reasons)] + engine.start(ctx, "onboarding", {"guess": ctx.lang})
    return engine.start(ctx, "menu")
