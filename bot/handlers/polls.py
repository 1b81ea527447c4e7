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

The questionnaire is one engine step per question (`poll_q`: "q0", "q1"…): the engine asks them
in order, passes over those whose skip logic does not hold (`Step.when`), and runs Skip
(`Step.on_skip` notes the question as seen) and "previous question" itself; the dialogue keeps
no path (`Dialogue.remembers`), so Back is the nearest earlier question asked as things stand.

Typed answers: "passer", "دوز", "dowz", "/skip"… skip in every variant, "question d'avant" or
"/back" goes back; a free answer becomes an option when it is unambiguous ("45 ans" → the age
band, "je suis une femme", "bzaf"), "je ne sais pas" / "ma3reftch" the question's don't-know
option where there is one (elsewhere a word on how to pass); anything else is asked again.

Languages: a poll is offered in the languages its official chose (`Poll.languages`, all four
when empty), always in the same order; a question missing in the respondent's language (a
custom one the official did not translate) is shown with a line saying which language it is in.

Question kinds: one option button per answer (scale, yes/no, choice, profile); `multi` (several
answers): each button ticks or unticks an option (✅) and the ticked set is stored at once — one
commit per press, nothing kept in the conversation state — then "Done" moves on; typed numbers
("1 3", "1,3") give the whole set at once. `integer`: digits, Arabic-Indic digits or number words
(the NLU's `number` entity), checked against the question's min and max. A question whose skip
logic (`relevant`) does not hold for this person's earlier answers is passed over.

Officials (menu "Poll"): create a poll for a project, see results (summary and chart), close a
poll, get its invitation, and pick the most significant story with a reason.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from domain.buttons import LanguagePick, PollAnswer, PollLanguage, PollModule, PollPick, PollWave, StoryPick
from domain.dialogue import (
    SUMMARY,
    Answer,
    Back,
    Ctx,
    Dialogue,
    End,
    Goto,
    Invalid,
    Next,
    Option,
    Outcome,
    Skip,
    Start,
    Stay,
    Step,
)
from domain.languages import ALL_LANGS, Lang, name_key
from domain.messages import Attachment, Msg, Reply, msg
from domain.text import ASCII_DIGITS
from domain.polls import (
    MAX_QUESTIONS,
    Question,
    QuestionBank,
    asked_ids,
    custom_question,
    profile_update,
    pseudonym,
    questions_of,
    tag_story,
)
from domain.records import Poll, Respondent, Response, Story

from bot.handlers import Handlers, MenuEntry, with_moment
from bot.services.polls import (
    TOKEN_PREFIX,
    close_poll,
    comparison_of,
    invitation_link,
    mark_significant,
    publish_poll,
    results_of,
    whatsapp_link,
)
from bot.handlers._projects import choose_project_step, load_project, visible_projects
from bot.handlers.onboarding import language_options
from bot.handlers.project import matches_label, matches_words, means

SKIP = "pq:skip"
PREVIOUS = "pq:prev"
DONE = "pq:done"  # a multi question: the ticked options are the answer
CONSENT_YES = "pc:yes"
CONSENT_NO = "pc:no"
MAX_STORY = 2000
LOCKED_KINDS = ("sex", "age_band", "public", "wg4", "text", "multi")
DEFAULT_RETENTION_MONTHS = 36


# -- helpers -----------------------------------------------------------------------------------
def _key(ctx: Ctx) -> bytes | None:
    services = ctx.services
    key = services.pseudonym_key
    if key:
        return key
    settings = getattr(services, "settings", None)
    secret = getattr(settings, "pseudonym_key", None)
    if secret is not None and secret.get_secret_value():
        return secret.get_secret_value().encode("utf-8")
    return None


def _bank(ctx: Ctx) -> QuestionBank | None:
    """The question bank, installed by the composition root."""
    return ctx.services.poll_bank


def _retention(ctx: Ctx) -> int:
    settings = getattr(ctx.services, "settings", None)
    polls = getattr(settings, "polls", None)
    return int(getattr(polls, "retention_months", DEFAULT_RETENTION_MONTHS))


def _pseudonym(ctx: Ctx, poll: Poll) -> str | None:
    key = _key(ctx)
    if key is None or ctx.chat is None:
        return None
    return pseudonym(key, ctx.chat.channel, ctx.chat.user_ref, poll.project_id)


def _respondent(ctx: Ctx, poll: Poll, lock: bool = False) -> Respondent | None:
    """This person's respondent row; `lock`: locked until the commit, so that the answers of
    one person are serialised across chats (the same person writing from two chats at once
    must not lose a profile field or leave a stray story)."""
    p = _pseudonym(ctx, poll)
    if not p:
        return None
    return ctx.uow.respondents.find(poll.id, p, lock=lock)


def _end(ctx: Ctx, *lines: Msg) -> Start:
    """Park the chat in the neutral end state (the same after a refusal and after finishing);
    a registered user goes back to the menu."""
    if ctx.user is not None and ctx.user.registered:
        return Start("menu", said=tuple(Reply(lines=[line]) for line in lines))
    ctx.extra["poll_end_lines"] = list(lines)
    return Start("poll_end")


def _now() -> datetime:
    return datetime.now(timezone.utc)


# -- the deep link -------------------------------------------------------------------------------
def poll_payload(ctx: Ctx, payload: str) -> Outcome | None:
    if not payload.startswith(TOKEN_PREFIX):
        return None
    poll = ctx.uow.polls.by_token(payload[:64])
    if poll is None:
        ctx.say("polls.link_unknown")
        return End()
    if not poll.is_open:
        return _end(ctx, msg("polls.closed"))
    if _key(ctx) is None:
        ctx.say("polls.unavailable")
        return End()
    langs = poll_languages(poll)
    if len(langs) == 1:  # one language: no question about it
        ctx.lang = langs[0]
    return Start("poll_answer", {"poll": poll.id, "guess": ctx.lang, "languages": langs})


def poll_languages(poll: Poll) -> list[str]:
    """The languages a poll is offered in, in the usual order (all four when none was chosen)."""
    chosen = set(poll.languages or [])
    return [lang.value for lang in ALL_LANGS if not chosen or lang.value in chosen]


# -- language and consent ------------------------------------------------------------------------
def _poll_language_options(ctx: Ctx) -> list[Option]:
    return language_options(ctx, ctx.state.data.get("languages"))


def _language(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None:
        return Invalid(msg("polls.use_buttons"))
    pick = LanguagePick.read(choice)
    if pick is None:
        return Invalid(msg("common.button_expired"))
    ctx.lang = pick.code
    return ctx.lang


def _consent_prompt(ctx: Ctx) -> list[Msg]:
    return [msg("polls.consent", months=_retention(ctx)), msg("polls.consent_question")]


CONSENT_OPTIONS = [Option(CONSENT_YES, msg("polls.consent_yes")), Option(CONSENT_NO, msg("polls.consent_no"))]


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
        ctx.uow.respondents.add(Respondent(poll_id=poll.id, pseudonym=p, consent=True, language=ctx.lang))
    else:
        respondent.consent, respondent.consent_at, respondent.language = True, _now(), ctx.lang
        ctx.uow.respondents.save(respondent)
        given = {r.question: r.value for r in ctx.uow.responses.for_respondent(respondent.id)}
        answered = set(given)
        qs = questions_of(poll)
        asked = asked_ids(qs, given)
        pending = [i for i, q in enumerate(qs) if q.id not in answered and q.id in asked]
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
# One step per question ("q0", "q1"…, up to domain.polls.MAX_QUESTIONS): the engine asks them in
# order, passes over those whose skip logic does not hold for this person's stored answers (the
# step's `when`), and runs Skip and Back ("previous question") itself. The dialogue records no
# path (Dialogue.remembers): which questions were asked would tell the answers; Back goes to
# the nearest earlier question asked as things stand.
def _poll(ctx: Ctx) -> tuple[Poll | None, list[Question]]:
    pid = int(ctx.state.data.get("poll", 0) or 0)
    cached = ctx.extra.get("poll_cache")
    if cached is None or cached[0] != pid:
        poll = ctx.uow.polls.get(pid)
        cached = (pid, poll, questions_of(poll) if poll is not None else [])
        ctx.extra["poll_cache"] = cached
    _, poll, qs = cached
    return poll, qs


def _current(ctx: Ctx, i: int) -> tuple[Poll | None, list[Question], int]:
    poll, qs = _poll(ctx)
    return poll, qs, min(max(i, 0), max(len(qs) - 1, 0))


def _asked(ctx: Ctx, i: int) -> bool:
    """Question i is asked of this person: it exists and its skip logic holds for the answers
    stored so far (read once per message, again after each write)."""
    poll, qs = _poll(ctx)
    if poll is None or i >= len(qs):
        return False
    if not qs[i].relevant:
        return True
    given = ctx.extra.get("poll_given")
    if given is None:
        given = ctx.extra["poll_given"] = _given(ctx, poll)
    return qs[i].id in asked_ids(qs, given)


def _changed(ctx: Ctx) -> None:
    """This person's answers were written: read them again for the skip logic."""
    ctx.extra.pop("poll_given", None)


def _questions_start(ctx: Ctx) -> Goto:
    """The questionnaire begins at the question it was started with (where a person who
    stopped earlier left off); nothing of it stays in the conversation state."""
    _, qs = _poll(ctx)
    i = int(ctx.state.data.pop("i", 0) or 0)
    return Goto(_step_id(min(max(i, 0), max(len(qs) - 1, 0))))


def _step_id(i: int) -> str:
    return f"q{i}"


def _option_text(o: Any, lang: str) -> str:
    return o.label.get(lang) or next(iter(o.label.values()))


def _option_label(q: Question, o: Any, lang: str, ticked: bool = False) -> Msg:
    mark = "✅" if ticked else o.emoji
    return msg("common.raw", text=f"{mark} {_option_text(o, lang)}".strip())


def _given(ctx: Ctx, poll: Poll) -> dict[str, Any]:
    """This person's stored answers (question id -> value), read through the pseudonym."""
    respondent = _respondent(ctx, poll)
    if respondent is None or respondent.id is None:
        return {}
    return {r.question: r.value for r in ctx.uow.responses.for_respondent(respondent.id)}


def _kind(ctx: Ctx, i: int) -> str:
    """How the engine reads a typed answer: a number for integer questions (so that a typed
    number is not taken as a button), otherwise anything."""
    _, qs, i = _current(ctx, i)
    return "number" if qs and qs[i].kind == "integer" else "any"


def _question_prompt(ctx: Ctx, i: int) -> list[Msg]:
    _, qs, i = _current(ctx, i)
    lines: list[Msg] = list(ctx.extra.pop("poll_lines", []))
    if not qs:
        return lines + [msg("polls.closed")]
    q = qs[i]
    lines.append(msg("polls.progress", i=i + 1, n=len(qs)))
    shown = q.shown_language(ctx.lang)
    if shown != ctx.lang:  # never another language without a word
        lines.append(msg("polls.other_language", language=msg(name_key(shown))))
    if q.kind == "wg4":
        lines.append(msg("polls.wg_lead"))
    lines.append(msg("common.raw", text=q.text_in(ctx.lang)))
    if q.kind == "text":  # told before writing: names cannot be masked, so none is asked for
        lines.append(msg("polls.no_names"))
        lines.append(msg("polls.text_hint"))
    elif q.kind == "multi":
        lines.append(msg("polls.multi_hint"))
    elif q.kind == "integer":
        lines.append(
            msg("polls.integer_range", min=q.min, max=q.max)
            if q.min is not None and q.max is not None
            else msg("polls.integer_hint")
        )
    return lines


def _question_options(ctx: Ctx, i: int) -> list[Option]:
    """The answer buttons (and Done for several answers); the engine adds Skip and Back."""
    poll, qs, i = _current(ctx, i)
    if not qs:
        return []
    q = qs[i]
    ticked: list[Any] = []
    if q.kind == "multi" and poll is not None:
        ticked = q.coerce(_given(ctx, poll).get(q.id)) or []
    opts = [
        Option(PollAnswer(i, str(o.value)).encode(), _option_label(q, o, ctx.lang, o.value in ticked))
        for o in q.options
    ]
    if q.kind == "multi":
        opts.append(Option(DONE, msg("polls.multi_done")))
    return opts


def _again(ctx: Ctx, *lines: Msg) -> Stay:
    """The same question again, after `lines` saying why: the message was not taken."""
    ctx.extra["poll_lines"] = list(lines)
    ctx.refused()
    return Stay()


def _typed_multi(q: Question, text: str, lang: str) -> list[str] | None:
    """A multi answer typed as option numbers ("1 3", "1,3", "١ ٣") or as labels separated by
    commas; None when a part is not an option."""
    t = text.strip().translate(ASCII_DIGITS)
    # numbers joined by spaces, commas (also the Arabic comma \u060c), "+", "&" or "و" (\u0648)
    if re.fullmatch(r"\d{1,2}(?:\s*[\s,;&+\u060c\u0648]\s*\d{1,2})*", t):
        picked = [int(n) for n in re.findall(r"\d+", t)]
        if not all(1 <= n <= len(q.options) for n in picked):
            return None
        return q.coerce([q.options[n - 1].value for n in picked])
    parts = [p for p in re.split(r"[,;\u060c]", text) if p.strip()]
    values = [q.match_typed(p, lang) for p in parts]
    if not values or any(v is None for v in values):
        return None
    return q.coerce(values)


def _typed_integer(ctx: Ctx, q: Question, number: Any) -> int | Stay:
    """The whole number of a typed answer (the engine read it from the NLU's `number` entity
    or the digits), or the message asking again."""
    if number is None:
        return _again(ctx, msg("polls.integer_not_number"))
    if not float(number).is_integer():
        return _again(ctx, msg("polls.integer_not_whole"))
    n = int(number)
    if q.min is not None and n < q.min:
        return _again(ctx, msg("polls.integer_too_small", min=q.min))
    if q.max is not None and n > q.max:
        return _again(ctx, msg("polls.integer_too_big", max=q.max))
    value = q.integer(n)
    return value if value is not None else _again(ctx, msg("polls.integer_not_number"))


DONT_KNOW_VALUES = ("dk", "dont_know", "do_not_know", "ne_sait_pas", "nsp", "ns")  # XLSForm habits


def _typed_button(ctx: Ctx, q: Question, answer: Answer) -> str | None:
    """A navigation button typed in words, in any variant: "passer", "دوز", "dowz" (or the
    skip intent), "question d'avant", "terminé" for a question with several answers."""
    text = (answer.text or "").strip()
    if not text:
        return None
    if (
        matches_label(ctx, "polls.skip", text)
        or matches_words(ctx, "polls.skip_words", text)
        or means(ctx, answer, "skip")
    ):
        return SKIP
    if matches_label(ctx, "polls.previous", text) or means(ctx, answer, "back"):
        return PREVIOUS
    if q.kind == "multi" and (matches_label(ctx, "polls.multi_done", text) or means(ctx, answer, "done")):
        return DONE
    return None


def _dont_know_option(ctx: Ctx, q: Question) -> Any:
    """The value of the question's "don't know" option, if it has one."""
    for o in q.options:
        if str(o.value).casefold() in DONT_KNOW_VALUES or any(
            means(ctx, label, "dont_know") for label in o.label.values()
        ):
            return o.value
    return None


def _typed_choice(ctx: Ctx, q: Question, answer: Answer) -> Any:
    """An option for a typed answer: its label or emoji, an age for an age band, yes/no words,
    a label inside a short sentence; None when it is not clear."""
    text = answer.text or ""
    if not text.strip():
        return None
    number = answer.understanding.first("number") if answer.understanding is not None else None
    try:
        n = float(number.value) if number is not None else None
    except (TypeError, ValueError):
        n = None
    value = q.match_free(text, ctx.lang, n)
    if value is None and set(q.values()) >= {"yes", "no"}:
        if means(ctx, answer, "yes"):
            value = "yes"
        elif means(ctx, answer, "no"):
            value = "no"
    return value


def _may_be_last(qs: list[Question], i: int) -> bool:
    return all(q.relevant for q in qs[i + 1 :])


def _open_poll(ctx: Ctx, i: int, lock: bool = False) -> tuple[Poll, Question, Respondent] | Start:
    """The poll, question i and this person's respondent row, or the end when the poll closed
    meanwhile or this person has not consented in this conversation (or the key changed)."""
    poll, qs, i = _current(ctx, i)
    if poll is None or not qs or not poll.is_open:
        return _end_start(ctx, msg("polls.closed"))
    q = qs[i]
    # read-modify-write answers (profile, story, ticked options) are serialised per person; a
    # plain scale answer is a single atomic upsert and needs no lock
    respondent = _respondent(ctx, poll, lock=lock and (q.kind in LOCKED_KINDS or _may_be_last(qs, i)))
    if respondent is None:
        return _end_start(ctx, msg("polls.unavailable"))
    return poll, q, respondent


def _answer(ctx: Ctx, i: int, answer: Answer, pre: Any) -> Any:  # noqa: C901
    found = _open_poll(ctx, i, lock=True)
    if isinstance(found, Start):
        return found
    poll, q, respondent = found
    button = answer.button or _typed_button(ctx, q, answer)
    if button is None and q.kind not in ("text", "integer") and means(ctx, answer, "dont_know"):
        dk = _dont_know_option(ctx, q)
        if dk is None:  # no such answer to give: say how to pass, never guess one
            return _again(ctx, msg("polls.dk_hint"))
        button = PollAnswer(i, str(dk)).encode()
    if button == PREVIOUS:  # typed: the engine goes back, as for the button
        return Back()
    if button == SKIP:
        return Skip()
    value: Any = None
    story: tuple[str | None, str | None] | None = None
    skipped = False
    if button == DONE and q.kind == "multi":
        given = {r.question: r.value for r in ctx.uow.responses.for_respondent(respondent.id)}
        value = q.coerce(given.get(q.id))
        skipped = value is None  # "done" with nothing ticked: as if passed
    elif button is not None:
        pressed = PollAnswer.read(button)
        if pressed is None or pressed.index != i:
            return _again(ctx, msg("polls.expired"))
        raw = pressed.value
        if q.kind == "multi":
            if raw not in q.values():  # forged button data
                return _again(ctx, msg("polls.use_buttons"))
            given = {r.question: r.value for r in ctx.uow.responses.for_respondent(respondent.id)}
            ticked = q.toggled(given.get(q.id), raw)
            ctx.uow.responses.upsert(Response(respondent_id=respondent.id, question=q.id, value=ticked))
            _changed(ctx)
            return Stay()  # the same question again, with the ticks
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
    elif q.kind == "integer":
        got = _typed_integer(ctx, q, pre)
        if isinstance(got, Stay):
            return got
        value = got
    elif q.kind == "multi":
        value = _typed_multi(q, answer.text or "", ctx.lang) if answer.text else None
        if value is None:
            return _again(ctx, msg("polls.multi_numbers", n=len(q.options)))
    else:
        value = _typed_choice(ctx, q, answer)
        if value is None:
            return _again(ctx, msg("polls.use_buttons"))
    _store(ctx, poll, respondent, q, value, story, skipped=skipped)
    return Next()  # the engine asks the next question this person is asked, or ends


def _skip(ctx: Ctx, i: int) -> Start | None:
    """Skip (the button, /skip or a word for it): the question is noted as seen, never an
    earlier answer erased; then the engine moves on."""
    found = _open_poll(ctx, i, lock=True)
    if isinstance(found, Start):
        return found
    poll, q, respondent = found
    _store(ctx, poll, respondent, q, None, None, skipped=True)
    return None


def _finished(ctx: Ctx) -> Start:
    """After the last question this person is asked: done, thanked, parked."""
    poll, _ = _poll(ctx)
    respondent = _respondent(ctx, poll) if poll is not None else None
    if respondent is not None:
        respondent = ctx.uow.respondents.get(respondent.id) or respondent
        respondent.completed_at = _now()
        ctx.uow.respondents.save(respondent)
    return _end_start(ctx, msg("polls.thanks"))


def _question_step(i: int) -> Step:
    return Step(
        _step_id(i),
        prompt=lambda ctx: _question_prompt(ctx, i),
        kind="any",
        options=lambda ctx: _question_options(ctx, i),
        parse=lambda ctx, answer, pre: _answer(ctx, i, answer, pre),
        store=False,
        optional=True,
        on_skip=lambda ctx: _skip(ctx, i),
        when=lambda ctx: _asked(ctx, i),
        max_len=MAX_STORY,
        kind_of=lambda ctx: _kind(ctx, i),
        foreign=Invalid(msg("polls.expired")),
        # an answer button of any question: _answer checks which one, and its value
        takes=lambda ctx, data: data.startswith(PollAnswer.PREFIX),
    )


def _store(
    ctx: Ctx,
    poll: Poll,
    respondent: Respondent,
    q: Question,
    value: Any,
    story: tuple[str | None, str | None] | None,
    skipped: bool,
) -> None:
    uow = ctx.uow
    if skipped:
        # skipping never erases an earlier answer; it marks the question as seen
        previous = {r.question: r.value for r in uow.responses.for_respondent(respondent.id)}
        if q.id in previous:
            return
        uow.responses.upsert(Response(respondent_id=respondent.id, question=q.id, value=None))
        _changed(ctx)
        return
    if story is not None:
        text, media = story
        bank = _bank(ctx)
        tags, polarity = tag_story(text, bank.lexicon) if bank is not None else (["other"], None)
        previous = {r.question: r.value for r in uow.responses.for_respondent(respondent.id)}
        old = previous.get(q.id)
        sid = old.get("story") if isinstance(old, dict) else None
        saved = uow.stories.save(
            Story(
                id=sid,
                project_id=poll.project_id,
                respondent_id=respondent.id,
                text=text,
                media_ref=media,
                tags=tags,
                polarity=polarity,
            )
        )
        value = {"story": saved.id}
    uow.responses.upsert(Response(respondent_id=respondent.id, question=q.id, value=value))
    _changed(ctx)
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
    setup_officials(h)
    h.payloads.append(poll_payload)
    h.on_leave["poll_answer"] = lambda ctx: _end(ctx)
    h.on_leave["poll_q"] = lambda ctx: _end(ctx, msg("polls.stopped"))
    h.on_leave["poll_end"] = lambda ctx: _end(ctx)
    h.anonymous.update({"poll_answer", "poll_q", "poll_end"})
    h.registry.add(
        Dialogue(
            id="poll_answer",
            confirm=False,
            then=None,
            steps=[
                Step(
                    "language",
                    prompt=[msg("polls.hello")],
                    kind="choice",
                    options=_poll_language_options,
                    parse=_language,
                    store=False,
                    when=lambda ctx: len(ctx.state.data.get("languages") or ALL_LANGS) > 1,
                ),
                Step(
                    "consent",
                    prompt=_consent_prompt,
                    kind="choice",
                    options=CONSENT_OPTIONS,
                    parse=_consent,
                    store=False,
                ),
            ],
        )
    )
    h.registry.add(
        Dialogue(
            id="poll_q",
            confirm=False,
            then=None,
            on_start=_questions_start,
            on_complete=_finished,
            remembers=False,
            skip_button=Option(SKIP, msg("polls.skip")),
            back_button=Option(PREVIOUS, msg("polls.previous")),
            steps=[_question_step(i) for i in range(MAX_QUESTIONS)],
        )
    )
    h.registry.add(
        Dialogue(
            id="poll_end",
            confirm=False,
            then=None,
            steps=[
                Step(
                    "end",
                    prompt=_end_prompt,
                    kind="any",
                    parse=_after_end,
                    store=False,
                    foreign=Invalid(msg("polls.already"), reprompt=False),
                )
            ],
        )
    )


# == officials ====================================================================================
MENU = "menu:poll"
ACT_NEW, ACT_RESULTS, ACT_INVITE, ACT_CLOSE, ACT_MSC = "pa:new", "pa:res", "pa:inv", "pa:close", "pa:msc"
WAVE_BASE, WAVE_FOLLOW = PollWave("baseline").encode(), PollWave("follow-up").encode()
MOD_DONE = "pm:done"
LANGS_DONE, TR_SKIP = "pl:done", "ptr:skip"
MAX_POLLS_LISTED, MAX_STORIES_LISTED = 20, 12


def _action(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None:
        return Invalid(msg("common.choose_option", n=5))
    if choice == ACT_NEW:
        return Start("poll_new")
    return Start("poll_pick", {"action": choice})


def _wave(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None:
        return Invalid(msg("common.choose_option", n=2))
    wave = PollWave.read(choice)
    return wave.code if wave is not None else Invalid(msg("common.button_expired"))


def _has_baseline(ctx: Ctx) -> bool:
    pid = ctx.state.data.get("project_id")
    return pid is not None and any(p.wave == "baseline" for p in ctx.uow.polls.list(int(pid)))


def _module_options(ctx: Ctx) -> list[Option]:
    bank = _bank(ctx)
    chosen = ctx.state.data.get("chosen") or []
    opts = [
        Option(
            PollModule(m).encode(),
            msg(
                "polls.official.module_on" if m in chosen else "polls.official.module_off",
                name=msg(f"polls.official.module.{m}"),
            ),
        )
        for m in (bank.optional_modules if bank is not None else [])
    ]
    return opts + [Option(MOD_DONE, msg("polls.official.modules_done"))]


def _modules(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(_module_options(ctx))))
    if choice == MOD_DONE:
        return list(ctx.state.data.get("chosen") or [])
    module = PollModule.read(choice)
    if module is None:
        return Invalid(msg("common.button_expired"))
    m = module.code
    chosen = list(ctx.state.data.get("chosen") or [])
    chosen.remove(m) if m in chosen else chosen.append(m)
    ctx.state.data["chosen"] = chosen
    return Goto("modules", value=chosen)


# -- the poll's languages, and the official's own question in each of them ------------------------
def _chosen_languages(ctx: Ctx) -> list[str]:
    chosen = ctx.state.data.get("languages")
    return [lang.value for lang in ALL_LANGS if chosen is None or lang.value in chosen]


def _language_choices(ctx: Ctx) -> list[Option]:
    chosen = _chosen_languages(ctx)
    opts = [
        Option(
            PollLanguage(lang.value).encode(),
            msg(
                "polls.official.module_on" if lang.value in chosen else "polls.official.module_off",
                name=msg(lang.variant.name_key),
            ),
        )
        for lang in ALL_LANGS
    ]
    return opts + [Option(LANGS_DONE, msg("polls.official.modules_done"))]


def _languages(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    data = ctx.state.data
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(_language_choices(ctx))))
    chosen = _chosen_languages(ctx)
    if choice == LANGS_DONE:
        if not chosen:
            return Invalid(msg("polls.official.languages_none"))
        if ctx.state.editing and data.get("custom") and _untranslated(ctx):
            ctx.state.editing = False  # a new language: ask the question in it too
            return Goto("custom_tr", chosen)
        return chosen
    pressed = PollLanguage.read(choice)
    if pressed is None:
        return Invalid(msg("common.button_expired"))
    tag = pressed.code
    chosen = [t for t in chosen if t != tag] if tag in chosen else chosen + [tag]
    data["languages"] = [lang.value for lang in ALL_LANGS if lang.value in chosen]
    return Goto("languages", data["languages"])


def _show_languages(ctx: Ctx, value: Any) -> Msg:
    return msg("common.raw", text=", ".join(ctx.render(msg(name_key(t))) for t in _chosen_languages(ctx)))


def _custom(ctx: Ctx, answer: Answer, text: Any) -> Any:
    """The official's own question, in the language they speak here; then in the poll's other
    languages (`custom_tr`), so that nobody is asked it in a language they did not choose."""
    if answer.button:
        return Invalid(msg("common.button_expired"))
    data = ctx.state.data
    data.update(custom=str(text), custom_texts={ctx.lang: str(text)}, custom_skipped=[])
    if ctx.state.editing and _untranslated(ctx):  # a new wording: in the other languages too
        ctx.state.editing = False
        return Goto("custom_tr", str(text))
    return str(text)


def _untranslated(ctx: Ctx) -> str | None:
    """The next poll language the official's question is not written in (nor passed over)."""
    data = ctx.state.data
    if not data.get("custom"):
        return None
    done = set(data.get("custom_texts") or {}) | set(data.get("custom_skipped") or [])
    return next((t for t in _chosen_languages(ctx) if t not in done), None)


def _tr_prompt(ctx: Ctx) -> list[Msg]:
    tag = _untranslated(ctx) or ctx.lang
    return [
        msg(
            "polls.official.ask_translation",
            language=msg(name_key(tag)),
            text=str(ctx.state.data.get("custom") or ""),
        )
    ]


def _translation(ctx: Ctx, answer: Answer, text: Any) -> Any:
    data = ctx.state.data
    tag = _untranslated(ctx)
    if tag is None:
        return Goto(SUMMARY)
    if answer.button == TR_SKIP:
        data["custom_skipped"] = list(data.get("custom_skipped") or []) + [tag]
    elif answer.button:
        return Invalid(msg("common.button_expired"))
    elif _arabic_script(str(text)) != Lang(tag).rtl:  # Darija in Latin letters for French...
        return Invalid(msg("polls.official.translation_script", language=msg(name_key(tag))))
    else:
        data["custom_texts"] = {**(data.get("custom_texts") or {}), tag: str(text)}
    return Goto("custom_tr") if _untranslated(ctx) else Goto(SUMMARY)


def _arabic_script(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return sum(0x0600 <= ord(c) <= 0x06FF for c in letters) * 2 > len(letters)


def _show_custom(ctx: Ctx, value: Any) -> Msg:
    texts = ctx.state.data.get("custom_texts") or {}
    if not value or not texts:
        return msg("summary.empty")
    return msg(
        "common.raw",
        text=" / ".join(
            f"{ctx.render(msg(name_key(t)))}: {texts[t]}" for t in _chosen_languages(ctx) if t in texts
        ),
    )


def _show_modules(ctx: Ctx, value: Any) -> Msg:
    if not value:
        return msg("polls.official.modules_none")
    return msg("common.raw", text=", ".join(ctx.render(msg(f"polls.official.module.{m}")) for m in value))


def _show_wave(ctx: Ctx, value: Any) -> Msg:
    return msg(f"polls.official.wave.{value}") if value else msg("summary.empty")


def _create(ctx: Ctx) -> list[Reply]:
    bank = _bank(ctx)
    data = ctx.state.data
    project = load_project(ctx, data.get("project_id"))
    if project is None or bank is None:
        return [Reply.of("polls.unavailable")]
    custom = []
    if data.get("custom"):
        text = dict(data.get("custom_texts") or {ctx.lang: str(data["custom"])})
        custom.append(custom_question("custom_1", text, "scale5", bank))
    reuse = data.get("wave") == "follow-up" and data.get("modules") is None and not custom
    poll = publish_poll(
        ctx.uow,
        bank,
        project,
        data.get("wave") or "baseline",
        None if reuse else list(data.get("modules") or []),
        custom=custom,
        languages=_chosen_languages(ctx),
        user_id=ctx.user.id if ctx.user else None,
    )
    return [
        Reply.of("polls.official.created", id=poll.id, n=len(poll.questions), title=project.title)
    ] + _invitation_replies(ctx, poll, project)


def _link(ctx: Ctx, poll: Poll) -> str:
    """The link of the channel the official uses (their beneficiaries most likely use it too)."""
    settings = getattr(ctx.services, "settings", None)
    phone = getattr(getattr(settings, "whatsapp", None), "phone_number", None)
    if phone and ctx.chat is not None and ctx.chat.channel == "whatsapp":
        return whatsapp_link(phone, poll.token)
    bot = getattr(getattr(settings, "telegram", None), "bot_username", None) or "AtharBot"
    return invitation_link(bot, poll.token)


def _invitation_replies(ctx: Ctx, poll: Poll, project: Any) -> list[Reply]:
    link = _link(ctx, poll)
    make = ctx.services.poll_invitation
    if make is None:
        return [Reply.of("polls.official.link", link=link)]
    commune = ctx.services.commune_name(project.commune_id, "fr") if project else ""
    try:
        png, pdf = make(poll, link, commune, poll.title or "")
    except Exception:  # a document problem must not lose the poll
        return [Reply.of("polls.official.link", link=link)]
    caption = msg("polls.poster.caption", id=poll.id, link=link)
    return [
        Reply(
            lines=[msg("polls.official.link", link=link)],
            attachment=Attachment(kind="photo", path=str(png), filename=png.name, caption=caption),
        ),
        Reply(
            lines=[msg("polls.official.poster")],
            attachment=Attachment(kind="document", path=str(pdf), filename=pdf.name),
        ),
    ]


# -- picking a poll (results, invitation, close, stories) ----------------------------------------
def _visible_polls(ctx: Ctx) -> list[tuple[Poll, str]]:
    out = []
    for p in visible_projects(ctx):
        for poll in ctx.uow.polls.list(p.id):
            out.append((poll, p.title))
    out.sort(key=lambda x: -(x[0].id or 0))
    return out[:MAX_POLLS_LISTED]


def _poll_options(ctx: Ctx) -> list[Option]:
    return [
        Option(
            PollPick(poll.id).encode(),
            msg(
                "polls.official.poll_label",
                id=poll.id,
                title=title[:40],
                wave=msg(f"polls.official.wave.{poll.wave}"),
                state=msg("polls.official.open" if poll.is_open else "polls.official.closed"),
            ),
        )
        for poll, title in _visible_polls(ctx)
        if poll.id is not None
    ]


def _load_poll(ctx: Ctx, poll_id: Any) -> tuple[Poll | None, Any]:
    try:
        poll = ctx.uow.polls.get(int(poll_id))
    except (TypeError, ValueError):
        return None, None
    project = load_project(ctx, poll.project_id) if poll is not None else None
    return (poll, project) if project is not None else (None, None)


def _pick(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None:
        n = len(_poll_options(ctx))
        return Invalid(msg("polls.official.no_polls") if n == 0 else msg("common.choose_option", n=n))
    pressed = PollPick.read(choice)
    poll, project = _load_poll(ctx, pressed.id) if pressed is not None else (None, None)
    if poll is None:
        return Invalid(msg("polls.official.no_polls"))
    action = ctx.state.data.get("action")
    if action == ACT_MSC:
        return Start("poll_msc", {"poll": poll.id})
    if action == ACT_CLOSE:
        close_poll(ctx.uow, poll, ctx.user.id if ctx.user else None)
        ctx.notes.append(Reply.of("polls.official.closed_now", id=poll.id))
    elif action == ACT_INVITE:
        ctx.notes.extend(_invitation_replies(ctx, poll, project))
    else:
        ctx.notes.extend(_results_replies(ctx, poll))
    return Start("menu")


def _min_group(ctx: Ctx) -> int:
    settings = getattr(ctx.services, "settings", None)
    return int(getattr(getattr(settings, "polls", None), "min_group_size", 5))


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def _results_replies(ctx: Ctx, poll: Poll) -> list[Reply]:
    res = results_of(ctx.uow, poll, _min_group(ctx))
    cmp = comparison_of(ctx.uow, poll)
    qs = {q.id: q for q in questions_of(poll)}
    lines = [
        msg(
            "polls.official.summary",
            id=poll.id,
            wave=msg(f"polls.official.wave.{poll.wave}"),
            n=res.respondents,
            done=res.completed,
            refusals=res.refusals,
        )
    ]
    for r in res.questions:
        q = qs[r.id]
        if r.kind == "text":
            lines.append(msg("polls.official.stories_line", label=q.short_in(ctx.lang), n=r.n))
        elif r.kind == "multi" and r.n:
            shares = ", ".join(
                f"{_option_text(o, ctx.lang)} {round(100 * (r.share(o.value) or 0))} %" for o in q.options
            )
            lines.append(msg("polls.official.multi_line", label=q.short_in(ctx.lang), n=r.n, shares=shares))
        elif r.kind == "integer" and r.n:
            lines.append(
                msg(
                    "polls.official.integer_line",
                    label=q.short_in(ctx.lang),
                    n=r.n,
                    median=_fmt(r.median),
                    min=_fmt(r.minimum),
                    max=_fmt(r.maximum),
                )
            )
        elif r.favourable is not None:
            lines.append(
                msg(
                    "polls.official.q_line",
                    label=q.short_in(ctx.lang),
                    n=r.n,
                    median=_fmt(r.median),
                    pct=round(100 * r.favourable),
                )
            )
    if res.respondents < _min_group(ctx):
        lines.append(msg("polls.official.small_n", min=_min_group(ctx)))
    if cmp is not None:
        lines.append(msg("polls.official.compare", base=cmp.baseline_poll_id, linked=cmp.n_linked))
        for p in cmp.paired:
            if p.n_pairs:
                lines.append(
                    msg(
                        "polls.official.pair_line",
                        label=qs[p.id].short_in(ctx.lang),
                        better=p.improved,
                        same=p.same,
                        worse=p.worse,
                        p=_fmt(p.sign_p if p.sign_p is None else round(p.sign_p, 3)),
                    )
                )
    replies = [Reply(lines=lines)]
    chart = ctx.services.poll_chart
    if chart is not None and res.respondents:
        try:
            path = chart(poll, res, ctx.lang, ctx.render)
            replies.append(
                Reply(
                    lines=[msg("polls.official.chart")],
                    attachment=Attachment(kind="photo", path=str(path), filename=path.name),
                )
            )
        except Exception:  # the summary is enough when the chart fails
            pass
    return replies


# -- Most Significant Change ------------------------------------------------------------------------
def _stories(ctx: Ctx) -> list[Story]:
    poll, _ = _load_poll(ctx, ctx.state.data.get("poll"))
    if poll is None:
        return []
    ids = {r.id for r in ctx.uow.respondents.list(poll.id)}
    return [s for s in ctx.uow.stories.list(poll.project_id) if s.respondent_id in ids and s.text]


def _story_prompt(ctx: Ctx) -> list[Msg]:
    stories = _stories(ctx)[:MAX_STORIES_LISTED]
    if not stories:
        return [msg("polls.official.no_stories")]
    lines = [msg("polls.official.stories_title")]
    for n, s in enumerate(stories, 1):
        tags = ", ".join(
            ctx.render(msg(f"polls.official.tag.{t}"))
            for t in s.tags
            if t in ("autonomy", "relations", "services", "other")
        )
        mark = "⭐ " if s.significant else ""
        lines.append(
            msg(
                "polls.official.story_line",
                n=n,
                text=mark + (s.text or "")[:200],
                tags=tags,
                polarity=msg(f"polls.official.polarity.{s.polarity or 'unknown'}"),
            )
        )
    lines.append(msg("polls.official.choose_story"))
    return lines


def _story_options(ctx: Ctx) -> list[Option]:
    return [
        Option(StoryPick(s.id).encode(), msg("common.raw", text=f"{n}"))
        for n, s in enumerate(_stories(ctx)[:MAX_STORIES_LISTED], 1)
        if s.id is not None
    ]


def _story(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None:
        if not _stories(ctx):
            ctx.notes.append(Reply.of("polls.official.no_stories"))
            return Start("menu")
        return Invalid(msg("common.choose_option", n=len(_story_options(ctx))))
    story = StoryPick.read(choice)
    return story.id if story is not None else Invalid(msg("common.button_expired"))


def _mark(ctx: Ctx) -> list[Reply]:
    data = ctx.state.data
    story = next((s for s in _stories(ctx) if s.id == data.get("story")), None)
    if story is None:
        return [Reply.of("polls.official.no_stories")]
    mark_significant(ctx.uow, story, str(data.get("reason") or ""), ctx.user.id if ctx.user else None)
    return [Reply.of("polls.official.marked")]


def setup_officials(h: Handlers) -> None:
    h.add_menu(
        MenuEntry(
            data=MENU,
            label=msg("polls.official.menu"),
            dialogue="poll",
            order=70,
            intent="poll",
            roles=("official", "staff", "coordinator", "admin"),
        )
    )
    h.add_command("poll", "poll")
    h.registry.add(
        Dialogue(
            id="poll",
            confirm=False,
            steps=[
                Step(
                    "action",
                    prompt=msg("polls.official.what"),
                    kind="choice",
                    store=False,
                    parse=_action,
                    options=[
                        Option(ACT_NEW, msg("polls.official.new")),
                        Option(ACT_RESULTS, msg("polls.official.results")),
                        Option(ACT_INVITE, msg("polls.official.invite")),
                        Option(ACT_MSC, msg("polls.official.msc")),
                        Option(ACT_CLOSE, msg("polls.official.close")),
                    ],
                ),
            ],
        )
    )
    h.registry.add(
        Dialogue(
            id="poll_new",
            on_start=with_moment(None, "poll_new", "poll"),
            on_complete=_create,
            summary_title=msg("polls.official.summary_title"),
            steps=[
                choose_project_step(),
                Step(
                    "wave",
                    prompt=msg("polls.official.ask_wave"),
                    kind="choice",
                    parse=_wave,
                    options=[
                        Option(WAVE_BASE, msg("polls.official.wave.baseline")),
                        Option(WAVE_FOLLOW, msg("polls.official.wave.follow-up")),
                    ],
                    label=msg("polls.official.wave_label"),
                    show=_show_wave,
                ),
                Step(
                    "modules",
                    prompt=msg("polls.official.ask_modules"),
                    kind="choice",
                    options=_module_options,
                    parse=_modules,
                    label=msg("polls.official.modules_label"),
                    show=_show_modules,
                    when=lambda ctx: not (ctx.state.data.get("wave") == "follow-up" and _has_baseline(ctx)),
                ),
                Step(
                    "languages",
                    prompt=msg("polls.official.ask_languages"),
                    kind="choice",
                    options=_language_choices,
                    parse=_languages,
                    label=msg("polls.official.languages_label"),
                    show=_show_languages,
                ),
                Step(
                    "custom",
                    prompt=msg("polls.official.ask_custom"),
                    kind="text",
                    optional=True,
                    max_len=200,
                    parse=_custom,
                    label=msg("polls.official.custom_label"),
                    show=_show_custom,
                    when=lambda ctx: not (ctx.state.data.get("wave") == "follow-up" and _has_baseline(ctx)),
                ),
                Step(
                    "custom_tr",
                    prompt=_tr_prompt,
                    kind="text",
                    max_len=200,
                    parse=_translation,
                    options=[Option(TR_SKIP, msg("polls.official.translation_skip"))],
                    skip_as=TR_SKIP,
                    store=False,
                    when=lambda ctx: _untranslated(ctx) is not None,
                ),
            ],
        )
    )
    h.registry.add(
        Dialogue(
            id="poll_pick",
            confirm=False,
            steps=[
                Step(
                    "poll",
                    prompt=msg("polls.official.choose_poll"),
                    kind="choice",
                    options=_poll_options,
                    parse=_pick,
                    store=False,
                ),
            ],
        )
    )
    h.registry.add(
        Dialogue(
            id="poll_msc",
            on_complete=_mark,
            confirm=False,
            steps=[
                Step("story", prompt=_story_prompt, kind="choice", options=_story_options, parse=_story),
                Step("reason", prompt=msg("polls.official.ask_reason"), kind="text", max_len=500),
            ],
        )
    )
