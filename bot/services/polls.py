"""Poll operations: create (or import from a form) and publish, close, read the results and
compare with the baseline, record them as indicator measurements, mark a significant story,
remind the respondents who stopped, invite WhatsApp numbers; invitation tokens and links.

Used alike by the officials' dialogue (`bot.handlers.polls`), `athar poll` (`bot.commands.poll`),
`athar export import-xlsform` and the tests; the caller commits. Reminders and WhatsApp invitations go through the outbox and
open their own units of work (`remind_respondents`, `invite_numbers`).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any, Callable, Iterable, Protocol

from domain.dialogue import DialogueState
from domain.figures import baseline_of
from domain.languages import ALL_LANGS
from domain.messages import REMINDED, Msg, Notice, Reply, msg
from domain.polls import (
    Comparison,
    PollResults,
    Question,
    QuestionBank,
    compare,
    measurement_from_results,
    poll_results,
    questions_of,
)
from domain.ports import OutboxItem, UnitOfWork, UnitOfWorkFactory
from domain.records import AuditEntry, Measurement, Poll, Project, Story, Wave, utcnow

TOKEN_PREFIX = "p_"
POLL_DIALOGUE = "poll_q"  # the dialogue of a respondent answering questions (bot.handlers.polls)
REMINDABLE = ("telegram", "whatsapp")  # channels that can write first (not the terminal)
PHONE = re.compile(r"\d{8,15}")


def saved_id(record_id: int | None, what: str = "record") -> int:
    """The id of a stored record; a record that was never saved has none to read answers by."""
    if record_id is None:
        raise ValueError(f"this {what} was never saved")
    return record_id


def new_token() -> str:
    """An unguessable invitation token (128 random bits), valid as a /start payload."""
    return TOKEN_PREFIX + secrets.token_urlsafe(16)


def invitation_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


def whatsapp_link(phone_number: str, token: str) -> str:
    """A wa.me link: WhatsApp opens a chat with Athar's number, "start <token>" typed in;
    sending it starts the poll (the WhatsApp channel reads it as /start <token>)."""
    return f"https://wa.me/{phone_number}?text=start%20{token}"


def fresh_token(uow: UnitOfWork) -> str:
    """A token no poll has yet."""
    token = new_token()
    while uow.polls.by_token(token) is not None:  # pragma: no cover - 128 random bits
        token = new_token()
    return token


def baseline_for(uow: UnitOfWork, poll: Poll) -> Poll | None:
    """The baseline a follow-up poll is compared with (`domain.figures.baseline_of`: of the
    project's baselines created before it, the one most people answered; ties and none answered:
    the newest). None for a baseline, or a follow-up without an earlier baseline."""
    if poll.wave != "follow-up":
        return None
    return baseline_of(
        poll, _counted(uow, [p for p in uow.polls.list(poll.project_id) if p.wave == "baseline"])
    )


def _counted(uow: UnitOfWork, polls: list[Poll]) -> list[tuple[Poll, Poll, int]]:
    """(poll, poll, consenting respondents) for `baseline_of`."""
    return [(p, p, sum(1 for r in uow.respondents.list(saved_id(p.id, "poll")) if r.consent)) for p in polls]


def create_poll(
    uow: UnitOfWork,
    bank: QuestionBank,
    project: Project,
    wave: Wave,
    modules: list[str] | None = None,
    custom: list[Question] | None = None,
    title: str | None = None,
    languages: list[str] | None = None,
) -> Poll:
    """A new open poll for a project, in `languages` (all four when None). A follow-up without
    an explicit module choice copies the questions (and languages) of the baseline it will be
    compared with (`baseline_of` for a follow-up created now: the baseline most people answered,
    ties and none answered: the newest), so that the two waves are comparable."""
    questions: list[Question] | None = None
    if wave == "follow-up" and modules is None and not custom:
        baselines = [p for p in uow.polls.list(project.id) if p.wave == "baseline"]
        now = Poll(project_id=saved_id(project.id, "project"), wave="follow-up", token="", id=None)
        base = baseline_of(now, _counted(uow, baselines))
        if base is not None:
            questions = questions_of(base)
            languages = languages or base.languages
    if questions is None:
        publics = [p.category for p in getattr(project, "publics", [])]
        questions = bank.build(modules or [], publics=list(dict.fromkeys(publics)), custom=custom or [])
    token = fresh_token(uow)
    all_four = [lang.value for lang in ALL_LANGS]
    chosen = [t for t in all_four if t in (languages or [])]
    return uow.polls.add(
        Poll(
            project_id=saved_id(project.id, "project"),
            wave=wave,
            title=title or project.title,
            questions=[q.model_dump() for q in questions],
            token=token,
            languages=[] if chosen in ([], all_four) else chosen,
        )
    )


def publish_poll(
    uow: UnitOfWork,
    bank: QuestionBank,
    project: Project,
    wave: Wave,
    modules: list[str] | None = None,
    custom: list[Question] | None = None,
    title: str | None = None,
    languages: list[str] | None = None,
    user_id: int | None = None,
) -> Poll:
    """`create_poll`, and the audit entry saying who created it (None: the command line)."""
    poll = create_poll(uow, bank, project, wave, modules, custom=custom, title=title, languages=languages)
    uow.audit.add(
        AuditEntry(
            user_id=user_id,
            action="poll.created",
            target=str(poll.id),
            detail={"project": project.id, "wave": poll.wave},
        )
    )
    return poll


def import_poll(
    uow: UnitOfWork,
    project: Project,
    wave: Wave,
    questions: list[dict[str, Any]],
    title: str | None,
    file_name: str,
) -> Poll:
    """A new open poll with checked questions read from a form (`athar export import-xlsform`),
    in all four languages; audited with the file's name."""
    poll = uow.polls.add(
        Poll(
            project_id=saved_id(project.id, "project"),
            wave=wave,
            questions=questions,
            title=title,
            token=fresh_token(uow),
        )
    )
    uow.audit.add(
        AuditEntry(
            action="poll.imported",
            target=str(poll.id),
            detail={"project": project.id, "file": file_name},
        )
    )
    return poll


def close_poll(uow: UnitOfWork, poll: Poll, user_id: int | None = None) -> None:
    """No more answers to `poll`; audited."""
    poll.is_open = False
    uow.polls.save(poll)
    uow.audit.add(AuditEntry(user_id=user_id, action="poll.closed", target=str(poll.id)))


def results_of(uow: UnitOfWork, poll: Poll, min_group_size: int) -> PollResults:
    poll_id = saved_id(poll.id, "poll")
    respondents = [r for r in uow.respondents.list(poll_id) if r.consent]
    stories = uow.stories.list(poll.project_id)
    return poll_results(
        poll,
        respondents,
        uow.responses.for_poll(poll_id),
        stories,
        uow.respondents.count_refusals(poll_id),
        min_group_size,
    )


def comparison_of(uow: UnitOfWork, poll: Poll) -> Comparison | None:
    base = baseline_for(uow, poll)
    if base is None:
        return None
    base_id, poll_id = saved_id(base.id, "poll"), saved_id(poll.id, "poll")
    return compare(
        base,
        [r for r in uow.respondents.list(base_id) if r.consent],
        uow.responses.for_poll(base_id),
        poll,
        [r for r in uow.respondents.list(poll_id) if r.consent],
        uow.responses.for_poll(poll_id),
    )


def record_indicators(uow: UnitOfWork, poll: Poll, res: PollResults) -> list[tuple[str, Measurement]]:
    """Append the poll's results to the project's indicators linked to one of its questions
    (one measurement per indicator and poll: recording again replaces it)."""
    project = uow.projects.get(poll.project_id)
    if project is None:
        return []
    period = f"{poll.wave} {poll.created_at:%Y-%m}"
    source = f"poll:{poll.id}:{poll.wave}"
    out = []
    for effect in project.effects:
        for ind in effect.indicators:
            if not ind.poll_question:
                continue
            m = measurement_from_results(ind, res, period)
            if m is None:
                continue
            ind.measurements = [x for x in ind.measurements if x.source != source] + [m]
            out.append((ind.label, m))
    if out:
        uow.projects.save(project)
    return out


def mark_significant(uow: UnitOfWork, story: Story, reason: str, user_id: int | None = None) -> None:
    """The story an official picked as the most significant change, with their reason; audited."""
    story.significant = True
    story.significance_reason = reason
    uow.stories.save(story)
    uow.audit.add(AuditEntry(user_id=user_id, action="story.significant", target=str(story.id)))


class Reminders(Protocol):
    """What writes a reminder into a waiting conversation (bot.dispatcher.Dispatcher)."""

    def remind(
        self, channel: str, chat_id: str, lead: Msg, notice: Notice, still: Callable[[DialogueState], bool]
    ) -> bool: ...


def remind_respondents(
    uow_factory: UnitOfWorkFactory, dispatcher: Reminders, poll: Poll, idle_for: timedelta
) -> int:
    """Each respondent who stopped on a question of `poll` at least `idle_for` ago gets, once,
    a reminder and that question again (Dispatcher.remind), through the outbox: the running bot
    sends them within its sweep's grace period, on WhatsApp as the `poll_reminder` template
    when the user's 24-hour window is closed. How many were written."""

    def in_poll(state: dict[str, Any]) -> bool:
        try:
            return int((state.get("data") or {}).get("poll") or 0) == poll.id
        except (TypeError, ValueError):
            return False

    with uow_factory() as uow:
        idle = [
            c
            for c in uow.conversations.idle_in(POLL_DIALOGUE, utcnow() - idle_for)
            if c.channel in REMINDABLE and in_poll(c.state) and not (c.state.get("data") or {}).get(REMINDED)
        ]
        project = uow.projects.get(poll.project_id)
        uow.rollback()
    title = poll.title or (project.title if project is not None else "")
    return sum(
        dispatcher.remind(
            c.channel,
            c.chat_id,
            msg("polls.reminder", title=title),
            Notice(kind="poll_reminder", params={"title": title}),
            lambda state: state.dialogue == POLL_DIALOGUE and in_poll(state.model_dump()),
        )
        for c in idle
    )


def phone_numbers(lines: Iterable[str]) -> tuple[list[str], list[str]]:
    """(numbers in international digits, each once, in order; lines that are not a number).
    Spaces, dashes, dots, brackets and a leading + or 00 are allowed; blank lines and lines
    starting with # are skipped."""
    numbers: list[str] = []
    bad: list[str] = []
    for line in lines:
        raw = line.strip()
        if not raw or raw.startswith("#"):
            continue
        digits = re.sub(r"[\s().-]", "", raw)
        digits = digits[1:] if digits.startswith("+") else digits[2:] if digits.startswith("00") else digits
        if PHONE.fullmatch(digits):
            if digits not in numbers:
                numbers.append(digits)
        else:
            bad.append(raw)
    return numbers, bad


def invite_numbers(
    uow_factory: UnitOfWorkFactory, poll: Poll, numbers: list[str], link: str, commune: str, lang: str
) -> int:
    """Invite WhatsApp numbers to a poll: for each, an invitation in the outbox (any worker's
    sweep sends it): the `poll_invitation` template (title, commune, a button that starts the
    poll), or the same words with the `wa.me` link when the person wrote to Athar in the last
    24 hours. The numbers are kept nowhere else: the invitations are private outbox items,
    deleted once sent."""
    with uow_factory() as uow:
        project = uow.projects.get(poll.project_id)
        title = poll.title or (project.title if project is not None else "")
        reply = Reply(
            lines=[msg("polls.invitation", commune=commune, title=title, link=link)],
            notice=Notice(
                kind="poll_invitation", params={"title": title, "commune": commune}, payload=poll.token
            ),
        )
        payload = {"reply": reply.model_dump(mode="json"), "language": lang}
        uow.outbox.add_many(
            [OutboxItem(channel="whatsapp", chat_id=n, payload=payload, private=True) for n in numbers]
        )
        uow.commit()
    return len(numbers)
