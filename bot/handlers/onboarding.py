"""First contact: language choice (guessed from the first message), then the invite code that
binds the user to a commune and a role.

An invite code is recognised by its shape wherever it comes before the onboarding is done: as
the very first message, at the language question (the guessed language is kept), at the code
question. A greeting at the code question is answered as a greeting, not as a wrong code, and a
sentence is told what a code looks like.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from domain.buttons import LanguagePick
from domain.dialogue import Answer, Ctx, Dialogue, Goto, Invalid, Option, Start, Step
from domain.languages import ALL_LANGS
from domain.messages import Reply, msg
from domain.records import AuditEntry, Identity, Invite, User

from bot.handlers import Handlers
from bot.handlers.project import matches_words, said

NO_CODE = "onb:nocode"
# what a code typed by hand looks like: 8 letters and digits, maybe cut in two (K7QP-2MXA)
CODE_SHAPE = re.compile(r"[A-Za-z0-9]{4}[\s\-–—_.]?[A-Za-z0-9]{4}")
CUT_CODE = re.compile(r"[A-Za-z0-9]{4}[\s\-–—_.][A-Za-z0-9]{4}")


def normalise_code(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def language_options(ctx: Ctx, tags: list[str] | None = None) -> list[Option]:
    """The language buttons, always in the same order (a returning user who types "3" gets what
    the list showed the first time); the guess shows in the language of the question."""
    return [
        Option(
            LanguagePick(lang.value).encode(),
            msg(lang.variant.name_key),
            words=msg(lang.variant.words_key),
        )  # "arabizi", "بالدارجة"...
        for lang in ALL_LANGS
        if tags is None or lang.value in tags
    ]


def _invite(ctx: Ctx, text: str, sure: bool) -> Any:
    """The invite a typed text names, when it is a code: None when it is not one; a refusal
    (Invalid) when it looks like a code that cannot be used. With `sure`, any text of a code's
    shape is taken as a code; otherwise only a code that exists (a word of eight letters is a
    word, unless someone was invited with it)."""
    t = text.strip()
    if not CODE_SHAPE.fullmatch(t):
        return None
    code = normalise_code(t)
    invite = ctx.uow.invites.by_code(code)
    if invite is None:
        return Invalid(msg("onboarding.code_unknown")) if sure or CUT_CODE.fullmatch(t) else None
    if invite.used_at is not None:
        return Invalid(msg("onboarding.code_used"))
    expires = invite.expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    if expires is not None and expires < datetime.now(timezone.utc):
        return Invalid(msg("onboarding.code_expired"))
    return invite


def _on_start(ctx: Ctx) -> Start | None:
    """The first message is already the code: welcome, in the language guessed (or the hint)."""
    text = ctx.chat.text if ctx.chat is not None else None
    if not text or ctx.state.data.get("language_chosen"):
        return None
    found = _invite(ctx, text, sure=False)
    if isinstance(found, Invalid):
        ctx.notes.append(Reply(lines=_reasons(found)))
    elif found is not None:
        redeem(ctx, found)
        return Start("menu")
    return None


def _reasons(invalid: Invalid) -> list[Any]:
    return invalid.reason if isinstance(invalid.reason, list) else [invalid.reason]


def _language(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is None and answer.text:
        found = _invite(ctx, answer.text, sure=False)
        if isinstance(found, Invalid):  # a code, but not a good one: keep the guess, ask again
            for line in _reasons(found):
                ctx.notes.append(Reply(lines=[line]))
            ctx.state.data["language_chosen"] = True
            return Goto("code", ctx.lang)
        if found is not None:
            redeem(ctx, found)
            return Start("menu")
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(ALL_LANGS)))
    pick = LanguagePick.read(choice)
    if pick is None:
        return Invalid(msg("common.button_expired"))
    ctx.lang = pick.code
    return ctx.lang


def _greeting(ctx: Ctx, answer: Answer) -> bool:
    return said(answer, "greet") or matches_words(ctx, "onboarding.greetings", answer.text or "")


def _code(ctx: Ctx, answer: Answer, text: Any) -> Any:
    if answer.button == NO_CODE or answer.intent == "dont_know":
        return Invalid(msg("onboarding.how_to_get_code"))
    if not text:
        return Invalid(msg("common.empty"))
    found = _invite(ctx, str(text), sure=True)
    if isinstance(found, Invalid):
        return found
    if found is None:
        if _greeting(ctx, answer):
            return Invalid(msg("onboarding.greeting_back"))
        return Invalid(msg("onboarding.not_a_code"))
    return redeem(ctx, found)


def redeem(ctx: Ctx, invite: Invite) -> str:
    """Bind the sender to the invite's commune and role; the invite is spent."""
    chat = ctx.chat
    user = ctx.user
    if user is not None and user.registered:
        ctx.say("onboarding.already_registered")
        return invite.code
    if user is None:
        if chat is None:
            raise LookupError("an invite is redeemed for the sender of a message (ctx.chat)")
        identity = {"channel": chat.channel, "external_id": chat.user_ref, "user_id": 0}
        user = ctx.uow.users.add(
            User(role=invite.role, commune_id=invite.commune_id, language=ctx.lang),
            Identity.model_validate(identity),
        )
    else:
        user.role, user.commune_id, user.language = invite.role, invite.commune_id, ctx.lang
        user = ctx.uow.users.save(user)
    ctx.user = user
    invite.used_at = datetime.now(timezone.utc)
    invite.used_by = user.id
    ctx.uow.invites.save(invite)
    ctx.uow.audit.add(
        AuditEntry(
            user_id=user.id,
            action="invite.redeemed",
            target=invite.code,
            detail={"role": invite.role, "commune": invite.commune_id},
        )
    )
    role = msg(f"role.{invite.role}")
    if invite.commune_id:
        commune = ctx.services.commune_name(invite.commune_id, ctx.lang)
        ctx.say("onboarding.welcome_commune", role=role, commune=commune)
    else:
        ctx.say("onboarding.welcome_programme", role=role)
    return invite.code


def setup(h: Handlers) -> None:
    h.payloads.append(lambda ctx, payload: invite_payload(ctx, payload))
    h.registry.add(
        Dialogue(
            id="onboarding",
            confirm=False,
            then="menu",
            on_start=_on_start,
            steps=[
                Step(
                    "language",
                    prompt=[msg("onboarding.hello"), msg("language.ask")],
                    kind="choice",
                    options=language_options,
                    parse=_language,
                    when=lambda ctx: not ctx.state.data.get("language_chosen"),
                ),
                Step(
                    "code",
                    prompt=msg("onboarding.ask_code"),
                    kind="text",
                    max_len=64,
                    literal=True,
                    options=[Option(NO_CODE, msg("onboarding.no_code"))],
                    parse=_code,
                ),
            ],
        )
    )


INVITE_PAYLOAD = "inv_"


def invite_payload(ctx: Ctx, payload: str) -> Start | None:
    """/start inv_<code>: a deep link that carries the invite code."""
    if not payload.startswith(INVITE_PAYLOAD):
        return None
    code = payload[len(INVITE_PAYLOAD) :]
    result = _code(ctx, Answer(text=code), code)
    if isinstance(result, Invalid):
        ctx.notes.append(Reply(lines=_reasons(result)))
        return Start("onboarding", {"guess": ctx.lang})
    return Start("menu")
