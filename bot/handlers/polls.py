"""Beneficiary perception polls.

Beneficiaries (not registered users) arrive through a deep link `/start p_<token>` (QR code):
language → consent (nothing is stored before "yes"; "no" stores only a count) → one question
per message with emoji buttons, skip and "previous" → thank-you. Every answer is stored at once
(`responses.upsert`), so a person can stop and come back; scanning the code again after finishing
updates the answers (one answer set per person and poll).

Pseudonymity: the respondent is found by `pseudonym(key, channel, user_ref, project_id)`,
recomputed on every message; neither the respondent id nor any answer is kept in the
conversation state, so the chat is never linked to its answers in the database.

Each answer gets exactly one outgoing message (the next question, notes folded into it), which
fits Telegram's one-message-per-second-per-chat limit.

Officials (menu "Poll"): create a poll for a project, see results (summary and chart), close a
poll, get its invitation, and pick the most significant story with a reason.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from domain.dialogue import Answer, Ctx, Dialogue, Goto, Invalid, Option, Start, Step
from domain.messages import Msg, Reply, msg
from domain.polls import (
    Question, compare, poll_results, profile_update, pseudonym, questions_of, tag_story,
)
from domain.records import Poll, Respondent, Response, Story

from bot.handlers import Handlers
from bot.handlers.onboarding import language_options

TOKEN_PREFIX = "p_"
ANSWER = "pq:"  # pq:<index>:<value>
SKIP = "pq:skip"
PREVIOUS = "pq:prev"
CONSENT_YES = "pc:yes"
CONSENT_NO = "pc:no"
MAX_STORY = 2000
DEFAULT_RETENTION_MONTHS = 36


def new_token() -> str:
    """An unguessable invitation token (128 random bits), valid as a /start payload."""
    return TOKEN_PREFIX + secrets.token_urlsafe(16)


def invitation_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


# -- helpers -----------------------------------------------------------------------------------
def _key(ctx: Ctx) -> bytes | None:
    services = ctx.services
    key = services.extras.get("pseudonym_key") if services is not None else None
    if key:
        return key if isinstance(key, bytes) else str(key).encode("utf-8")
    settings = getattr(services, "settings", None)
    secret = getattr(settings, "pseudonym_key", None)
    if secret is not None and secret.get_secret_value():
        return secret.get_secret_value().encode("utf-8")
    return None


def _bank(ctx: Ctx) -> Any:
    """The question bank (domain.polls.QuestionBank), installed by the composition root."""
    services = ctx.services
    return services.extras.get("poll_bank") if services is not None else None


def _retention(ctx: Ctx) -> int:
    settings = getattr(ctx.services, "settings", None)
    polls = getattr(settings, "polls", None)
    return int(getattr(polls, "retention_months", DEFAULT_RETENTION_MONTHS))


def _pseudonym(ctx: Ctx, poll: Poll) -> str | None:
    key = _key(ctx)
    if key is None or ctx.chat is None:
        return None
    return pseudonym(key, ctx.chat.channel, ctx.chat.user_ref, poll.project_id)


def _respondent(ctx: Ctx, poll: Poll) -> Respondent | None:
    p = _pseudonym(ctx, poll)
    return ctx.uow.respondents.find(poll.id, p) if p else None


def _end(ctx: Ctx, *lines: Msg) -> list[Reply]:
    """Park the chat in the neutral end state (the same after a refusal and after finishing)."""
    ctx.extra["poll_end_lines"] = list(lines)
    return ctx.services.engine.start(ctx, "poll_end")


def _now() -> datetime:
    return datetime.now(timezone.utc)


# -- the deep link -------------------------------------------------------------------------------
def poll_payload(ctx: Ctx, payload: str) -> list[Reply] | None:
    if not payload.startswith(TOKEN_PREFIX):
        return None
    poll = ctx.uow.polls.by_token(payload[:64])
    if poll is None:
        ctx.state.reset()
        return [Reply.of("polls.link_unknown")]
    if not poll.is_open:
        return _end(ctx, msg("polls.closed"))
    if _key(ctx) is None:
        ctx.state.reset()
        return [Reply.of("polls.unavailable")]
    return ctx.services.engine.start(ctx, "poll_answer", {"poll": poll.id, "guess": ctx.lang})


# -- language and consent ------------------------------------------------------------------------
def _language(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None:
        return Invalid(msg("polls.use_buttons"))
    ctx.lang = str(choice).split(":", 1)[1]
    return ctx.lang


def _consent_prompt(ctx: Ctx) -> list[Msg]:
    return [msg("polls.consent", months=_retention(ctx)), msg("polls.consent_question")]


CONSENT_OPTIONS = [Option(CONSENT_YES, msg("polls.consent_yes")),
                   Option(CONSENT_NO, msg("polls.consent_no"))]


def _consent(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None and answer.text:
        typed = answer.text.strip().casefold()
        if typed == ctx.render(msg("polls.typed_yes")).casefold():
            choice = CONSENT_YES
        elif typed == ctx.render(msg("polls.typed_no")).casefold():
            choice = CONSENT_NO
    if choice is None and answer.intent in ("affirm", "deny"):
        choice = CONSENT_YES if answer.intent == "affirm" else CONSENT_NO
    if choice is None:
        return Invalid(msg("polls.use_buttons"))
    poll = ctx.uow.polls.get(int(ctx.state.data["poll"]))
    if poll is None or not poll.is_open:
        return _end_start(ctx, msg("polls.closed"))
    if choice == CONSENT_NO:
        ctx.uow.respondents.add_refusal(poll.id)  # a count: no identity, no pseudonym
        return _end_start(ctx, msg("polls.refused"))
    p = _pseudonym(ctx, poll)
    if p is None:
        return _end_start(ctx, msg("polls.unavailable"))
    respondent = ctx.uow.respondents.find(poll.id, p)
    start = 0
    if respondent is None:
        ctx.uow.respondents.add(Respondent(poll_id=poll.id, pseudonym=p, consent=True,
                                           language=ctx.lang))
    else:
        respondent.consent, respondent.consent_at, respondent.language = True, _now(), ctx.lang
        ctx.uow.respondents.save(respondent)
        answered = {r.question for r in ctx.uow.responses.for_respondent(respondent.id)}
        qs = questions_of(poll)
        pending = [i for i, q in enumerate(qs) if q.id not in answered]
        if pending and answered:
            start = pending[0]
            ctx.extra["poll_lines"] = [msg("polls.resume")]
        elif not pending:
            ctx.extra["poll_lines"] = [msg("polls.again")]
    return Start("poll_q", {"poll": poll.id, "i": start}, then=None)


def _end_start(ctx: Ctx, *lines: Msg) -> Start:
    if ctx.user is not None and ctx.user.registered:  # an official trying a poll: back to work
        for line in lines:
            ctx.notes.append(Reply(lines=[line]))
        return Start("menu")
    ctx.extra["poll_end_lines"] = list(lines)
    return Start("poll_end", then=None)


# -- the questions -------------------------------------------------------------------------------
def _current(ctx: Ctx) -> tuple[Poll | None, list[Question], int]:
    pid = int(ctx.state.data.get("poll", 0) or 0)
    cached = ctx.extra.get("poll_cache")
    if cached is None or cached[0] != pid:
        poll = ctx.uow.polls.get(pid)
        cached = (pid, poll, questions_of(poll) if poll is not None else [])
        ctx.extra["poll_cache"] = cached
    _, poll, qs = cached
    i = int(ctx.state.data.get("i", 0) or 0)
    return poll, qs, min(max(i, 0), max(len(qs) - 1, 0))


def _option_label(q: Question, o: Any, lang: str) -> Msg:
    label = o.label.get(lang) or next(iter(o.label.values()))
    return msg("common.raw", text=f"{o.emoji} {label}".strip())


def _question_prompt(ctx: Ctx) -> list[Msg]:
    _, qs, i = _current(ctx)
    lines: list[Msg] = list(ctx.extra.pop("poll_lines", []))
    if not qs:
        return lines + [msg("polls.closed")]
    q = qs[i]
    lines.append(msg("polls.progress", i=i + 1, n=len(qs)))
    lines.append(msg("common.raw", text=q.text_in(ctx.lang)))
    if q.kind == "text":
        lines.append(msg("polls.text_hint"))
    return lines


def _question_options(ctx: Ctx) -> list[Option]:
    _, qs, i = _current(ctx)
    if not qs:
        return []
    q = qs[i]
    opts = [Option(f"{ANSWER}{i}:{o.value}"[:64], _option_label(q, o, ctx.lang)) for o in q.options]
    opts.append(Option(SKIP, msg("polls.skip")))
    if i > 0:
        opts.append(Option(PREVIOUS, msg("polls.previous")))
    return opts


def _again(ctx: Ctx, *lines: Msg) -> Goto:
    ctx.extra["poll_lines"] = list(lines)
    return Goto("q")


def _answer(ctx: Ctx, answer: Answer, pre: Any) -> Any:
    poll, qs, i = _current(ctx)
    if poll is None or not qs:
        return _end_start(ctx, msg("polls.closed"))
    if not poll.is_open:
        return _end_start(ctx, msg("polls.closed"))
    respondent = _respondent(ctx, poll)
    if respondent is None:  # consent was not given in this conversation (or the key changed)
        return _end_start(ctx, msg("polls.unavailable"))
    q = qs[i]
    button = answer.button
    if button == PREVIOUS:
        ctx.state.data["i"] = max(i - 1, 0)
        return Goto("q")
    value: Any = None
    story: tuple[str | None, str | None] | None = None
    if button == SKIP:
        value = None
    elif button is not None:
        if not button.startswith(ANSWER):
            return _again(ctx, msg("polls.expired"))
        idx, _, raw = button[len(ANSWER):].partition(":")
        if idx != str(i):
            return _again(ctx, msg("polls.expired"))
        value = q.coerce(raw)
        if value is None:  # forged or out-of-range button data
            return _again(ctx, msg("polls.use_buttons"))
    elif q.kind == "text":
        text = (answer.text or "").strip()
        media = answer.media.ref if answer.media is not None else None
        if not text and not media:
            return _again(ctx, msg("polls.text_hint"))
        if len(text) > MAX_STORY:
            return _again(ctx, msg("polls.too_long", max=MAX_STORY))
        story = (text or None, media)
    else:
        value = q.match_typed(answer.text or "", ctx.lang) if answer.text else None
        if value is None:
            return _again(ctx, msg("polls.use_buttons"))
    _store(ctx, poll, respondent, q, value, story, skipped=button == SKIP)
    if i + 1 >= len(qs):
        respondent = ctx.uow.respondents.get(respondent.id) or respondent
        respondent.completed_at = _now()
        ctx.uow.respondents.save(respondent)
        return _end_start(ctx, msg("polls.thanks"))
    ctx.state.data["i"] = i + 1
    return Goto("q")


def _store(ctx: Ctx, poll: Poll, respondent: Respondent, q: Question, value: Any,
           story: tuple[str | None, str | None] | None, skipped: bool) -> None:
    uow = ctx.uow
    if skipped:
        # skipping never erases an earlier answer; it marks the question as seen
        previous = {r.question: r.value for r in uow.responses.for_respondent(respondent.id)}
        if q.id in previous:
            return
        uow.responses.upsert(Response(respondent_id=respondent.id, question=q.id, value=None))
        return
    if story is not None:
        text, media = story
        bank = _bank(ctx)
        tags, polarity = tag_story(text, bank.lexicon) if bank is not None else (["other"], None)
        previous = {r.question: r.value for r in uow.responses.for_respondent(respondent.id)}
        old = previous.get(q.id)
        sid = old.get("story") if isinstance(old, dict) else None
        saved = uow.stories.save(Story(id=sid, project_id=poll.project_id,
                                       respondent_id=respondent.id, text=text, media_ref=media,
                                       tags=tags, polarity=polarity))
        value = {"story": saved.id}
    uow.responses.upsert(Response(respondent_id=respondent.id, question=q.id, value=value))
    if q.kind in ("sex", "age_band", "public", "wg4"):
        answers = {r.question: r.value for r in uow.responses.for_respondent(respondent.id)}
        profile = profile_update(respondent.profile, q, value, answers)
        if profile != respondent.profile:
            respondent.profile = profile
            uow.respondents.save(respondent)


# -- the end -------------------------------------------------------------------------------------
def _end_prompt(ctx: Ctx) -> list[Msg]:
    return list(ctx.extra.pop("poll_end_lines", [])) + [msg("polls.goodbye")]


def _after_end(ctx: Ctx, answer: Answer, pre: Any) -> Any:
    return Invalid(msg("polls.already"), reprompt=False)


def setup(h: Handlers) -> None:
    h.payloads.append(poll_payload)
    h.registry.add(Dialogue(
        id="poll_answer", confirm=False, then=None,
        steps=[
            Step("language", prompt=[msg("polls.hello")], kind="choice",
                 options=language_options, parse=_language, store=False),
            Step("consent", prompt=_consent_prompt, kind="choice", options=CONSENT_OPTIONS,
                 parse=_consent, store=False),
        ],
    ))
    h.registry.add(Dialogue(
        id="poll_q", confirm=False, then=None,
        steps=[Step("q", prompt=_question_prompt, kind="any", options=_question_options,
                    parse=_answer, store=False, max_len=MAX_STORY)],
    ))
    h.registry.add(Dialogue(
        id="poll_end", confirm=False, then=None,
        steps=[Step("end", prompt=_end_prompt, kind="any", parse=_after_end, store=False)],
    ))


# -- services shared with the CLI ----------------------------------------------------------------
def baseline_for(uow: Any, poll: Poll) -> Poll | None:
    """The baseline a follow-up poll is compared with: the project's latest baseline poll
    created before it."""
    if poll.wave != "follow-up":
        return None
    earlier = [p for p in uow.polls.list(poll.project_id)
               if p.wave == "baseline" and (p.id or 0) < (poll.id or 0)]
    return earlier[-1] if earlier else None


def create_poll(uow: Any, bank: Any, project: Any, wave: str, modules: list[str] | None = None,
                custom: list[Question] | None = None, title: str | None = None) -> Poll:
    """A new open poll for a project. A follow-up without an explicit module choice copies the
    questions of the project's latest baseline, so that the two waves are comparable."""
    questions: list[Question] | None = None
    if wave == "follow-up" and modules is None and not custom:
        baselines = [p for p in uow.polls.list(project.id) if p.wave == "baseline"]
        if baselines:
            questions = questions_of(baselines[-1])
    if questions is None:
        publics = [p.category for p in getattr(project, "publics", [])]
        questions = bank.build(modules or [], publics=list(dict.fromkeys(publics)),
                               custom=custom or [])
    token = new_token()
    while uow.polls.by_token(token) is not None:  # pragma: no cover - 128 random bits
        token = new_token()
    return uow.polls.add(Poll(project_id=project.id, wave=wave, title=title or project.title,  # type: ignore[arg-type]
                              questions=[q.model_dump() for q in questions], token=token))


def results_of(uow: Any, poll: Poll, min_group_size: int) -> Any:
    respondents = [r for r in uow.respondents.list(poll.id) if r.consent]
    stories = uow.stories.list(poll.project_id)
    return poll_results(poll, respondents, uow.responses.for_poll(poll.id), stories,
                        uow.respondents.count_refusals(poll.id), min_group_size)


def comparison_of(uow: Any, poll: Poll) -> Any:
    base = baseline_for(uow, poll)
    if base is None:
        return None
    return compare(base, [r for r in uow.respondents.list(base.id) if r.consent],
                   uow.responses.for_poll(base.id),
                   poll, [r for r in uow.respondents.list(poll.id) if r.consent],
                   uow.responses.for_poll(poll.id))
