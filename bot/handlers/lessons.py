"""Learning by doing (issue 17): the eight modules of knowledge/lessons.yml, at the moment of need
and on the official's own project.

- **Offers.** Dialogues report the moments a lesson may help with (`bot.handlers.reached`: the
  first effect, impacted parties, indicator, measurement, poll, unexpected effect, report; the
  coach seeing activities written as effects again). The first time an official or a staff member
  meets one, a one-line note offers the matching module ("2 minutes?") with two buttons: the
  running dialogue goes on underneath. The buttons work whenever they are pressed ("lsn:go:",
  "lsn:no:" are handled by the dispatcher whatever runs): the module opens and, once done or
  paused, the conversation comes back to the question it left.
- **A module** ("lesson" dialogue): its cards one at a time (the first with the module's goal and
  the project it runs on), the module on the project (`_practice.own_lines`), a practice
  question judged by the dialogues' own rules (`_practice.judge`), then its document (artefact)
  made from the project, sent as an export job.
- **The learning menu** ("learn", /learn and the main menu): the eight modules with done /
  started / not started; a started module resumes where it was left, a done one offers its
  document again or a new reading.

Progress lives in the database (`LessonProgress`, one row per user and module): the position, the
project, when it was offered, started and completed, the practice tries and whether the first
answer was right (the programme's figures: domain/learning.py).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any, Callable

from domain.buttons import LessonFormat, LessonGo, LessonLater, LessonPick
from domain.dialogue import (
    Answer,
    Ctx,
    Dialogue,
    DialogueState,
    Goto,
    Invalid,
    Option,
    Outcome,
    Restore,
    Start,
    Stay,
    Step,
)
from domain.languages import document_language
from domain.messages import Button, Job, Msg, Reply, msg
from domain.records import LessonProgress, Project

from bot.handlers import Handlers, MenuEntry
from bot.handlers._coaching import kb, text
from bot.handlers._practice import item, judge, options as practice_options, own_lines, question
from bot.handlers._projects import choose_project_step, load_project, visible_projects
from bot.handlers.project import choice_error, said

DIALOGUE = "lesson"
MENU = "learn"
NEXT, PAUSE = "lsn:next", "lsn:pause"
REVIEW_DOC, REVIEW_READ, REVIEW_BACK = "lsn:doc", "lsn:read", "lsn:back"
GO = LessonGo.PREFIX  # + a lesson id: a note's button, works whatever runs (as "lsn:no:")
CONTINUE = "lsn:cont"
HOME = "lsn:home"
MAX_CARDS = 5  # domain.knowledge.Lesson allows five at most
LEARNERS = ("official", "staff")  # offered modules at moments of need (all roles have /learn)
OFFER_AFTER = {"activity_as_effect": 2}  # times a need is seen before the module is offered
DOC_FORMATS = ("docx", "pdf")
SHEETS = ("useful_indicators",)  # modules whose document is also a spreadsheet
NOT_RESUMED = (None, "menu", MENU)  # what a module opened from there does not come back to


def _now() -> datetime:
    return datetime.now(timezone.utc)


# -- progress -------------------------------------------------------------------------------------
def progress_of(ctx: Ctx, lesson_id: str) -> LessonProgress:
    user_id = _user_id(ctx)
    if user_id is None:
        raise LookupError("a module's progress is kept for a stored user")
    return ctx.uow.lessons.get(user_id, lesson_id) or LessonProgress(user_id=user_id, lesson_id=lesson_id)


def _lesson(ctx: Ctx) -> Any:
    return kb(ctx).lesson(str(ctx.state.data.get("lesson") or ""))


def _project(ctx: Ctx) -> Project | None:
    return load_project(ctx, ctx.state.data.get("project_id"))


def _n(ctx: Ctx) -> int:
    lesson = _lesson(ctx)
    return len(lesson.cards) if lesson is not None else 0


def _save(ctx: Ctx, **changes: Any) -> LessonProgress:
    p = progress_of(ctx, ctx.state.data["lesson"])
    for k, v in changes.items():
        setattr(p, k, v)
    return ctx.uow.lessons.save(p)


# -- offers at the moment of need -----------------------------------------------------------------
def _moment(ctx: Ctx, moment: str) -> None:
    user = ctx.user
    if user is None or user.id is None or user.role not in LEARNERS:
        return
    lesson = next((m for m in kb(ctx).lessons if moment in m.moments), None)
    if lesson is None:
        return
    p = progress_of(ctx, lesson.id)
    if p.offered_at is not None or p.started:
        return
    p.signals += 1
    if p.signals >= OFFER_AFTER.get(moment, 1):
        p.offered_at = _now()
        ctx.say(
            f"lessons.offer.{moment}",
            number=lesson.number,
            title=text(ctx, lesson.title),
            buttons=[
                Button(data=LessonGo(lesson.id).encode(), label=msg("lessons.offer_yes")),
                Button(data=LessonLater(lesson.id).encode(), label=msg("lessons.offer_later")),
            ],
        )
    ctx.uow.lessons.save(p)


def _registered(ctx: Ctx) -> bool:
    return ctx.user is not None and ctx.user.registered and ctx.user.id is not None


def _user_id(ctx: Ctx) -> int | None:
    return ctx.user.id if ctx.user is not None else None


def _current(ctx: Ctx) -> Outcome:
    return Stay() if ctx.state.dialogue else Start("menu")


def _snapshot(ctx: Ctx) -> dict[str, Any] | None:
    """The running conversation, to come back to when the module is over."""
    st = ctx.state
    if st.dialogue in NOT_RESUMED or st.step is None:
        return None
    if st.dialogue == DIALOGUE:  # a module opened from another one: back to where that came from
        return st.data.get("resume")
    return st.model_dump(mode="json")


def _go(ctx: Ctx, data: str) -> Outcome:
    pressed = LessonGo.read(data)
    lesson = kb(ctx).lesson(pressed.code) if pressed is not None else None
    if lesson is None or not _registered(ctx):
        ctx.say("common.button_expired")
        return Stay()
    pid = ctx.state.data.get("project_id") if ctx.state.dialogue not in NOT_RESUMED else None
    start: dict[str, Any] = {"lesson": lesson.id, "resume": _snapshot(ctx)}
    project = load_project(ctx, pid)
    if project is not None:
        start["project_id"] = project.id
    return Start(DIALOGUE, start)


def _later(ctx: Ctx, data: str) -> Outcome:
    pressed = LessonLater.read(data)
    if pressed is None or kb(ctx).lesson(pressed.code) is None or not _registered(ctx):
        ctx.say("common.button_expired")
        return Stay()
    ctx.say("lessons.later")
    return _current(ctx)


def _restorable(ctx: Ctx, snapshot: Any) -> dict[str, Any] | None:
    """The conversation a module interrupted, to put back (None if there is none)."""
    try:
        saved = DialogueState.model_validate(snapshot) if snapshot else None
    except ValueError:
        return None
    if (
        saved is None
        or saved.dialogue is None
        or saved.dialogue not in ctx.services.handlers.registry
        or saved.step is None
    ):
        return None
    return saved.model_dump(mode="json")


def _leave(ctx: Ctx) -> Outcome:
    """Back to the interrupted conversation, else to the learning menu."""
    saved = _restorable(ctx, ctx.state.data.get("resume"))
    if saved is not None:
        ctx.say("lessons.back_to_work")
        return Restore(saved)
    return Start(MENU)


# -- the module -----------------------------------------------------------------------------------
def _on_start(ctx: Ctx) -> Start | Goto | None:
    d = ctx.state.data
    lesson = _lesson(ctx)
    if lesson is None or not _registered(ctx):
        ctx.say("lessons.unknown")
        return Start(MENU if _registered(ctx) else "menu")
    p = progress_of(ctx, lesson.id)
    project = load_project(ctx, d.get("project_id") if d.get("project_id") is not None else p.project_id)
    if project is None:
        visible = visible_projects(ctx)
        if len(visible) == 1:
            project = load_project(ctx, visible[0].id)
        d["no_project"] = not visible
    d["project_id"] = project.id if project is not None else None
    n = len(lesson.cards)
    resumed: Goto | None = None
    if p.completed:
        d["review"], d["from"] = True, n + 2  # only the "done" step: its document, or again
    else:
        start = min(p.step, n)
        d["from"] = d["start"] = start
        if start and project is not None:  # where it was left (Back walks through the cards read)
            ctx.say("lessons.resumed")
            at = f"card{start}" if start < n else "practice"
            resumed = Goto(at, history=tuple(f"card{i}" for i in range(start)))
        if p.started_at is None:
            p.started_at = _now()
    if project is not None:
        p.project_id = project.id
    ctx.uow.lessons.save(p)
    return resumed


def _at(position: Callable[[Ctx], int]) -> Callable[[Ctx], bool]:
    """A step is passed over before the position the module resumes at."""
    return lambda ctx: (
        not ctx.state.data.get("review") and position(ctx) >= int(ctx.state.data.get("from") or 0)
    )


def _project_step() -> Step:
    base = choose_project_step("project_id")

    def parse(ctx: Ctx, answer: Answer, choice: Any) -> Any:
        value = base.parse(ctx, answer, choice) if base.parse else choice
        if isinstance(value, int):
            _save(ctx, project_id=value)
        return value

    return dataclasses.replace(
        base,
        prompt=msg("lessons.project_ask"),
        parse=parse,
        when=lambda ctx: (
            ctx.state.data.get("project_id") is None
            and not ctx.state.data.get("no_project")
            and not ctx.state.data.get("review")
        ),
    )


def _card_prompt(i: int):
    def prompt(ctx: Ctx) -> list[Msg]:
        lesson, d = _lesson(ctx), ctx.state.data
        card = lesson.cards[i]
        lines = _header(ctx) if i == int(d.get("start") or 0) else []
        lines.append(
            msg(
                "lessons.card",
                i=i + 1,
                n=len(lesson.cards),
                title=text(ctx, card.title),
                body=text(ctx, card.body),
            )
        )
        return lines

    return prompt


def _card_options(i: int):
    def options(ctx: Ctx) -> list[Option]:
        last = i == _n(ctx) - 1
        return [
            Option(NEXT, msg("lessons.to_practice" if last else "lessons.next")),
            Option(PAUSE, msg("lessons.pause")),
        ]

    return options


def _card_parse(i: int):
    def parse(ctx: Ctx, answer: Answer, choice: Any) -> Any:
        if choice is None and said(answer, "affirm", "thanks"):
            choice = NEXT  # "ok", "wakha", "d'accord": read on
        if choice == PAUSE:
            _save(ctx, step=i)
            ctx.say("lessons.paused")
            return _leave(ctx)
        if choice != NEXT:
            return choice_error(answer, 2)
        ctx.state.data["from"] = 0
        _save(ctx, step=i + 1)
        return NEXT

    return parse


def _card_step(i: int) -> Step:
    return Step(
        f"card{i}",
        prompt=_card_prompt(i),
        kind="choice",
        options=_card_options(i),
        parse=_card_parse(i),
        store=False,
        when=lambda ctx: i < _n(ctx) and _at(lambda _: i)(ctx),
    )


def _header(ctx: Ctx) -> list[Msg]:
    """What the module is and what it runs on: said with the first card of a reading."""
    lesson, project = _lesson(ctx), _project(ctx)
    return [
        msg(
            "lessons.header", number=lesson.number, title=text(ctx, lesson.title), goal=text(ctx, lesson.goal)
        ),
        msg("lessons.on_project", title=project.title)
        if project is not None
        else msg("lessons.without_project"),
    ]


def _practice_prompt(ctx: Ctx) -> list[Msg]:
    lesson, d = _lesson(ctx), ctx.state.data
    project = _project(ctx)
    if "item" not in d:
        d["item"] = item(ctx, lesson, project)
    if d.get("asked"):
        return [question(ctx, lesson, project, d)]
    resumed_here = int(d.get("start") or 0) == len(lesson.cards)  # no card read in this run
    return (
        (_header(ctx) if resumed_here else [])
        + own_lines(ctx, lesson, project)
        + [question(ctx, lesson, project, d)]
    )


def _practice_kind(ctx: Ctx) -> str:
    lesson = _lesson(ctx)
    return "text" if lesson is not None and lesson.practice.kind in ("effect", "unexpected") else "choice"


def _practice_parse(ctx: Ctx, answer: Answer, pre: Any) -> Any:
    lesson, d = _lesson(ctx), ctx.state.data
    d["asked"] = True
    if "item" not in d:
        d["item"] = item(ctx, lesson, _project(ctx))
    verdict = judge(ctx, lesson, _project(ctx), d, answer, pre)
    if verdict is None:
        return choice_error(answer, len(practice_options(ctx, lesson, d)) or 3)
    if verdict.right is None:  # the coach asks which level first (its clarifying question)
        return Goto("practice")
    p = progress_of(ctx, lesson.id)
    p.tries += 1
    if p.first_try is None:
        p.first_try = bool(verdict.right)
    if verdict.done:
        p.step = len(lesson.cards) + 1
        if not p.completed:
            p.completed, p.completed_at = True, _now()
    ctx.uow.lessons.save(p)
    if not verdict.done:
        return Invalid(verdict.lines)
    ctx.notes.append(Reply(lines=verdict.lines))
    d["from"] = 0
    return "done"


def _artefact_prompt(ctx: Ctx) -> list[Msg]:
    lesson = _lesson(ctx)
    project = _project(ctx)
    lines = (
        []
        if ctx.state.data.get("fetch")
        else [msg("lessons.done", number=lesson.number, title=text(ctx, lesson.title))]
    )
    lines.append(msg("lessons.artefact", name=text(ctx, lesson.artefact)))
    lines.append(
        msg("lessons.artefact_from", title=project.title)
        if project is not None
        else msg("lessons.artefact_examples")
    )
    return lines


def _formats(ctx: Ctx) -> tuple[str, ...]:
    return DOC_FORMATS + (("xlsx",) if ctx.state.data.get("lesson") in SHEETS else ())


def _artefact_options(ctx: Ctx) -> list[Option]:
    return [Option(LessonFormat(f).encode(), msg(f"export.fmt.{f}")) for f in _formats(ctx)] + [
        Option(CONTINUE, msg("lessons.continue"))
    ]


def _artefact_parse(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None and said(answer, "deny", "skip"):
        choice = CONTINUE
    if choice == CONTINUE:
        ctx.state.data["fmt"] = None
        return choice
    pressed = LessonFormat.read(choice)
    if pressed is None or pressed.code not in _formats(ctx):
        return choice_error(answer, len(_artefact_options(ctx)))
    ctx.state.data["fmt"] = pressed.code
    return choice


def _review_parse(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    d = ctx.state.data
    if choice == REVIEW_DOC:
        d["review"], d["fetch"], d["from"] = False, True, _n(ctx) + 1
        return Goto("artefact")
    if choice == REVIEW_READ:
        d["review"], d["from"], d["start"] = False, 0, 0
        return Goto("card0")
    if choice == REVIEW_BACK:
        return Start(MENU)
    return choice_error(answer, 3)


def _complete(ctx: Ctx) -> Outcome:
    d = ctx.state.data
    replies: list[Reply] = []
    if d.get("fmt"):
        lang = document_language(ctx.lang)
        replies += [
            Reply.of("export.progress"),
            Reply(
                lines=[],
                job=Job(
                    kind="export",
                    params={
                        "what": "artefact",
                        "fmt": d["fmt"],
                        "lang": lang,
                        "project_id": d.get("project_id"),
                        "options": {"lesson": d["lesson"]},
                    },
                ),
            ),
        ]
    ctx.notes.extend(replies)  # said before the conversation it goes back to
    return _leave(ctx)


# -- the learning menu ----------------------------------------------------------------------------
def _menu_prompt(ctx: Ctx) -> list[Msg]:
    done = (
        {p.lesson_id for p in ctx.uow.lessons.list(uid) if p.completed}
        if _registered(ctx) and (uid := _user_id(ctx)) is not None
        else set()
    )
    lessons = kb(ctx).lessons
    return [
        msg("lessons.learn.title"),
        msg("lessons.learn.count", done=sum(m.id in done for m in lessons), total=len(lessons)),
    ]


def _menu_options(ctx: Ctx) -> list[Option]:
    mine = (
        {p.lesson_id: p for p in ctx.uow.lessons.list(uid)}
        if _registered(ctx) and (uid := _user_id(ctx)) is not None
        else {}
    )
    out = []
    for m in kb(ctx).lessons:
        p = mine.get(m.id)
        title = text(ctx, m.title)
        if p is not None and p.completed:
            label = msg("lessons.learn.done", number=m.number, title=title)
        elif p is not None and p.started:
            label = msg(
                "lessons.learn.started",
                number=m.number,
                title=title,
                at=min(p.step, len(m.cards)),
                n=len(m.cards),
            )
        else:
            label = msg("lessons.learn.new", number=m.number, title=title)
        out.append(Option(LessonPick(m.id).encode(), label))
    return out + [Option(HOME, msg("nav.menu"))]


def _menu_parse(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice == HOME:
        return Start("menu")
    pressed = LessonPick.read(choice)
    lesson = kb(ctx).lesson(pressed.code) if pressed is not None else None
    if lesson is None:
        return choice_error(answer, len(_menu_options(ctx)))
    return Start(DIALOGUE, {"lesson": lesson.id})


def setup(h: Handlers) -> None:
    h.moments.append(_moment)
    h.add_button(LessonGo.PREFIX, _go)
    h.add_button(LessonLater.PREFIX, _later)
    n = lambda ctx: _n(ctx)  # noqa: E731
    h.registry.add(
        Dialogue(
            id=DIALOGUE,
            on_start=_on_start,
            on_complete=_complete,
            confirm=False,
            then=None,
            steps=[_project_step()]
            + [_card_step(i) for i in range(MAX_CARDS)]
            + [
                Step(
                    "practice",
                    prompt=_practice_prompt,
                    kind="choice",
                    kind_of=_practice_kind,
                    options=lambda ctx: practice_options(ctx, _lesson(ctx), ctx.state.data),
                    parse=_practice_parse,
                    store=False,
                    max_len=400,
                    when=_at(n),
                ),
                Step(
                    "artefact",
                    prompt=_artefact_prompt,
                    kind="choice",
                    options=_artefact_options,
                    parse=_artefact_parse,
                    store=False,
                    when=_at(lambda ctx: n(ctx) + 1),
                ),
                Step(
                    "review",
                    prompt=lambda ctx: msg(
                        "lessons.review", number=_lesson(ctx).number, title=text(ctx, _lesson(ctx).title)
                    ),
                    kind="choice",
                    store=False,
                    parse=_review_parse,
                    options=[
                        Option(REVIEW_DOC, msg("lessons.review_doc")),
                        Option(REVIEW_READ, msg("lessons.review_read")),
                        Option(REVIEW_BACK, msg("lessons.review_back")),
                    ],
                    when=lambda ctx: bool(ctx.state.data.get("review")),
                ),
            ],
        )
    )
    h.registry.add(
        Dialogue(
            id=MENU,
            confirm=False,
            then=None,
            steps=[
                Step(
                    "module",
                    prompt=_menu_prompt,
                    kind="choice",
                    options=_menu_options,
                    parse=_menu_parse,
                    store=False,
                )
            ],
        )
    )
    h.add_menu(MenuEntry(data="menu:learn", label=msg("lessons.menu"), dialogue=MENU, order=85))
    h.add_command("learn", MENU)
