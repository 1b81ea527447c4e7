"""The dialogue engine: dialogues are sequences of steps declared as data.

Back, skip, edit and the summary-and-confirm ending live here, not in every handler. The state is
a JSON-serialisable `DialogueState`, stored with the conversation and read on every message.

A step turns an `Answer` into a value with its `parse` hook, or refuses it with `Invalid` (a catalog
message explaining why; the step is asked again). Hooks may read and change `ctx.state.data`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Sequence

from pydantic import BaseModel, Field

from domain.messages import Button, Media, Msg, Reply, msg
from domain.nlu import Understanding

SUMMARY = "__summary__"
EDIT = "__edit__"
CONFIRM_DATA = "sys:confirm"
EDIT_DATA = "sys:edit"
SKIP_DATA = "sys:skip"
BACK_DATA = "sys:back"
CANCEL_DATA = "sys:cancel"
YES_DATA = "sys:yes"
NO_DATA = "sys:no"

ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class DialogueState(BaseModel):
    dialogue: str | None = None
    step: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    history: list[str] = Field(default_factory=list)
    editing: bool = False
    offered: list[str] = Field(default_factory=list)  # button data offered with the last question
    expects: str | None = None  # kind of answer the last question expects (a typed number
    #                             selects an offered button unless a number is expected)
    then: str | None = None  # dialogue to start when this one ends

    def reset(self) -> None:
        self.dialogue = None
        self.step = None
        self.data = {}
        self.history = []
        self.editing = False
        self.offered = []
        self.expects = None
        self.then = None


class Answer(BaseModel):
    text: str | None = None
    button: str | None = None
    media: Media | None = None
    understanding: Understanding | None = None

    @property
    def intent(self) -> str | None:
        return self.understanding.intent.name if self.understanding else None


@dataclass(frozen=True)
class Invalid:
    """The answer is refused; `reason` is shown, then the step is asked again."""
    reason: Msg | list[Msg]
    reprompt: bool = True


@dataclass(frozen=True)
class Start:
    """Returned by a hook: leave this dialogue and start another one."""
    dialogue: str
    data: dict[str, Any] | None = None
    then: str | None = None


@dataclass(frozen=True)
class Goto:
    """Returned by a hook: jump to another step of the same dialogue (the answer is stored)."""
    step: str
    value: Any = None


@dataclass(frozen=True)
class Option:
    data: str
    label: Msg


Prompt = Msg | list[Msg] | Callable[["Ctx"], Msg | list[Msg]]
Options = Sequence[Option] | Callable[["Ctx"], Sequence[Option]]


@dataclass(frozen=True)
class Step:
    id: str
    prompt: Prompt
    kind: Literal["text", "choice", "number", "any"] = "text"
    options: Options = ()
    parse: Callable[["Ctx", Answer, Any], Any] | None = None  # (ctx, answer, preparsed) -> value | Invalid
    optional: bool = False
    max_len: int = 500
    min_value: float | None = None
    max_value: float | None = None
    next: str | Callable[["Ctx"], str | None] | None = None  # default: the following step
    when: Callable[["Ctx"], bool] | None = None  # the step is passed over when False
    label: Msg | None = None  # name of the field in the summary and the edit menu
    show: Callable[["Ctx", Any], Msg] | None = None  # how the value appears in the summary
    store: bool = True  # store the value in state.data[id]
    literal: bool = False  # typed text is an answer, never a global intent (codes, names)
    kind_of: Callable[["Ctx"], str] | None = None  # the kind, when it depends on the context
    #                                                (one step asking questions of several kinds)
    skip_as: str | None = None  # a step that skips its own way: "/skip" (and the intent) answer
    #                             it with this button data, e.g. a poll question's Skip button
    back_as: str | None = None  # likewise for "/back": e.g. a poll's "previous question"


@dataclass
class Dialogue:
    id: str
    steps: list[Step]
    on_complete: Callable[["Ctx"], list[Reply]] | None = None
    confirm: bool = True  # end with a summary the user confirms or edits
    summary_title: Msg | None = None
    on_start: Callable[["Ctx"], None] | None = None
    then: str | None = "menu"  # where the user lands when it ends

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(f"{self.id}: no step {step_id!r}")

    def index(self, step_id: str) -> int:
        return [s.id for s in self.steps].index(step_id)


@dataclass
class Ctx:
    """What a handler sees while handling one message."""
    state: DialogueState
    lang: str
    uow: Any  # domain.ports.UnitOfWork
    user: Any = None  # domain.records.User | None
    services: Any = None
    render: Callable[[Msg], str] = lambda m: m.key
    chat: Any = None  # the Incoming being handled
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[Reply] = field(default_factory=list)  # said before the next question

    def say(self, key: str, buttons: list[Button] | None = None, **params: Any) -> None:
        self.notes.append(Reply.of(key, buttons=buttons, **params))

    def refused(self) -> None:
        """The message was not taken as an answer (the question is asked again, or a
        clarifying question comes first): counted as "not understood at the first try"."""
        self.extra["refused"] = True


class Registry:
    def __init__(self) -> None:
        self._dialogues: dict[str, Dialogue] = {}

    def add(self, dialogue: Dialogue) -> Dialogue:
        if dialogue.id in self._dialogues:
            raise ValueError(f"dialogue {dialogue.id!r} registered twice")
        self._dialogues[dialogue.id] = dialogue
        return dialogue

    def get(self, dialogue_id: str) -> Dialogue:
        return self._dialogues[dialogue_id]

    def __contains__(self, dialogue_id: str) -> bool:
        return dialogue_id in self._dialogues

    def all(self) -> Iterable[Dialogue]:
        return self._dialogues.values()


def fold(text: str) -> str:
    """Case-, accent- and space-insensitive key for matching a typed label."""
    t = unicodedata.normalize("NFKD", text).casefold()
    t = "".join(c for c in t if not unicodedata.combining(c))
    return re.sub(r"[\s\W_]+", " ", t).strip()


def parse_number(text: str) -> float | None:
    """A number written with digits (Latin or Arabic-Indic), with , or . as decimal mark."""
    t = text.translate(ARABIC_INDIC).replace("\u066b", ".").replace("\u066c", "")
    m = re.search(r"-?\d+(?:[.,]\d+)?", t)
    if not m:
        return None
    return float(m.group(0).replace(",", "."))


def has_words(text: str) -> bool:
    return any(unicodedata.category(c)[0] in ("L", "N") for c in text)


class Engine:
    """Runs dialogues. Every public method returns the replies to send."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    # -- navigation ------------------------------------------------------------------------
    def start(self, ctx: Ctx, dialogue_id: str, data: dict[str, Any] | None = None,
              then: str | None = None) -> list[Reply]:
        d = self.registry.get(dialogue_id)
        st = ctx.state
        st.reset()
        st.dialogue = d.id
        st.data = dict(data or {})
        st.then = then if then is not None else d.then
        if d.on_start:
            d.on_start(ctx)
            if st.dialogue != d.id:  # on_start switched elsewhere
                return self.prompt(ctx)
        first = self._next_from(ctx, d, -1)
        if first is None:
            return self._finish(ctx, d)
        st.step = first
        return self.prompt(ctx)

    def prompt(self, ctx: Ctx) -> list[Reply]:
        st = ctx.state
        if st.dialogue is None or st.step is None:
            return []
        d = self.registry.get(st.dialogue)
        if st.step == SUMMARY:
            return [self._summary(ctx, d)]
        if st.step == EDIT:
            return [self._edit_menu(ctx, d)]
        step = d.step(st.step)
        lines = self._prompt_lines(ctx, step)
        buttons = [Button(data=o.data, label=o.label) for o in self._options(ctx, step)]
        nav: list[Button] = []
        if step.optional:
            nav.append(Button(data=SKIP_DATA, label=msg("nav.skip")))
        if st.history:
            nav.append(Button(data=BACK_DATA, label=msg("nav.back")))
        st.offered = [b.data for b in buttons + nav]
        st.expects = self._kind(ctx, step)
        return [Reply(lines=lines, buttons=buttons + nav)]

    def back(self, ctx: Ctx) -> list[Reply]:
        st = ctx.state
        if st.dialogue is None:
            return [Reply.of("nav.nothing_to_undo")]
        if st.step in (SUMMARY, EDIT):
            d = self.registry.get(st.dialogue)
            st.editing = False
            if st.history:
                st.step = st.history.pop()
            else:
                st.step = d.steps[-1].id
            return self.prompt(ctx)
        step = self.registry.get(st.dialogue).step(st.step)
        if step.back_as is not None:
            return self.answer(ctx, Answer(button=step.back_as))
        if not st.history:
            return [Reply.of("nav.at_first_step")] + self.prompt(ctx)
        st.step = st.history.pop()
        return self.prompt(ctx)

    def skip(self, ctx: Ctx) -> list[Reply]:
        st = ctx.state
        if st.dialogue is None or st.step in (None, SUMMARY, EDIT):
            return [Reply.of("nav.cannot_skip")] + self.prompt(ctx)
        d = self.registry.get(st.dialogue)
        step = d.step(st.step)
        if step.skip_as is not None:
            return self.answer(ctx, Answer(button=step.skip_as))
        if not step.optional:
            return [Reply.of("nav.cannot_skip")] + self.prompt(ctx)
        if step.store:
            st.data[step.id] = None
        return self._advance(ctx, d, step)

    # -- answers ---------------------------------------------------------------------------
    def answer(self, ctx: Ctx, answer: Answer) -> list[Reply]:
        st = ctx.state
        if st.dialogue is None or st.step is None:
            return []
        d = self.registry.get(st.dialogue)
        if st.step == SUMMARY:
            return self._answer_summary(ctx, d, answer)
        if st.step == EDIT:
            return self._answer_edit(ctx, d, answer)
        step = d.step(st.step)
        if answer.button == SKIP_DATA:
            return self.skip(ctx)
        if answer.button == BACK_DATA:
            return self.back(ctx)
        value = self._parse(ctx, step, answer)
        if isinstance(value, Start):
            return self.start(ctx, value.dialogue, value.data, then=value.then)
        if isinstance(value, Goto):
            if step.store:
                st.data[step.id] = value.value
            if value.step != step.id:
                st.history.append(step.id)
            st.step = value.step
            return self.prompt(ctx)
        if isinstance(value, Invalid):
            ctx.refused()
            reasons = value.reason if isinstance(value.reason, list) else [value.reason]
            out = [Reply(lines=reasons)]
            return out + (self.prompt(ctx) if value.reprompt else [])
        if st.dialogue != d.id or st.step != step.id:
            # the hook moved the conversation (started another dialogue, jumped to a step)
            return self.prompt(ctx) if st.dialogue else []
        if step.store:
            st.data[step.id] = value
        return self._advance(ctx, d, step)

    @staticmethod
    def _kind(ctx: Ctx, step: Step) -> str:
        return step.kind_of(ctx) if step.kind_of is not None else step.kind

    def _parse(self, ctx: Ctx, step: Step, answer: Answer) -> Any:
        pre: Any = None
        text = (answer.text or "").strip()
        kind = self._kind(ctx, step)
        if kind == "choice":
            options = list(self._options(ctx, step))
            pre = self._match_option(ctx, options, answer)
            if pre is None and step.parse is None:
                if answer.button:
                    return Invalid(msg("common.button_expired"))
                return Invalid(msg("common.choose_option", n=len(options)))
        elif kind == "number":
            if answer.button:
                pre = None
            else:
                pre = self._number(answer)
                if pre is None and step.parse is None:
                    return Invalid(msg("common.need_number"))
                if pre is not None:
                    if step.min_value is not None and pre < step.min_value:
                        return Invalid(msg("common.number_too_small", min=_fmt(step.min_value)))
                    if step.max_value is not None and pre > step.max_value:
                        return Invalid(msg("common.number_too_big", max=_fmt(step.max_value)))
        elif kind == "text":
            if answer.button and not text:
                if step.parse is None:
                    return Invalid(msg("common.need_text"))
            elif not text:
                return Invalid(msg("common.empty"))
            elif not has_words(text):
                return Invalid(msg("common.need_words"))
            elif len(text) > step.max_len:
                return Invalid(msg("common.too_long", max=step.max_len, n=len(text)))
            else:
                pre = text
        else:  # any
            pre = text or answer.button
        if step.parse is not None:
            return step.parse(ctx, answer, pre)
        return pre

    def _number(self, answer: Answer) -> float | None:
        if answer.understanding is not None:
            for e in answer.understanding.entities:
                if e.entity == "number":
                    try:
                        return float(e.value)
                    except (TypeError, ValueError):
                        pass
        return parse_number(answer.text or "")

    def _match_option(self, ctx: Ctx, options: list[Option], answer: Answer) -> str | None:
        datas = [o.data for o in options]
        if answer.button is not None:
            return answer.button if answer.button in datas else None
        text = (answer.text or "").strip().translate(ARABIC_INDIC)
        if not text:
            return None
        if re.fullmatch(r"\d{1,3}", text):
            i = int(text)
            if 1 <= i <= len(options):
                return options[i - 1].data
            return None
        key = fold(text)
        for o in options:
            if key == fold(ctx.render(o.label)):
                return o.data
        return None

    def _advance(self, ctx: Ctx, d: Dialogue, step: Step) -> list[Reply]:
        st = ctx.state
        if st.editing:
            st.editing = False
            st.step = SUMMARY
            return self.prompt(ctx)
        nxt: str | None
        if step.next is not None:
            nxt = step.next(ctx) if callable(step.next) else step.next
            if nxt is not None and nxt != SUMMARY:
                target = d.step(nxt)
                if target.when is not None and not target.when(ctx):
                    nxt = self._next_from(ctx, d, d.index(nxt))
        else:
            nxt = self._next_from(ctx, d, d.index(step.id))
        st.history.append(step.id)
        if nxt is None or nxt == SUMMARY:
            if d.confirm:
                st.step = SUMMARY
                return self.prompt(ctx)
            return self._finish(ctx, d)
        st.step = nxt
        return self.prompt(ctx)

    def _next_from(self, ctx: Ctx, d: Dialogue, index: int) -> str | None:
        for s in d.steps[index + 1:]:
            if s.when is None or s.when(ctx):
                return s.id
        return None

    # -- summary, edit, finish ---------------------------------------------------------------
    def _summary(self, ctx: Ctx, d: Dialogue) -> Reply:
        st = ctx.state
        lines = [d.summary_title or msg("summary.title")]
        for s in self._editable(ctx, d):
            value = st.data.get(s.id)
            shown = s.show(ctx, value) if s.show else _show_value(value)
            lines.append(msg("summary.line", label=ctx.render(s.label), value=ctx.render(shown)))
        st.offered = [CONFIRM_DATA, EDIT_DATA, CANCEL_DATA]
        st.expects = "choice"
        return Reply(lines=lines + [msg("summary.question")], buttons=[
            Button(data=CONFIRM_DATA, label=msg("summary.confirm")),
            Button(data=EDIT_DATA, label=msg("summary.edit")),
            Button(data=CANCEL_DATA, label=msg("nav.cancel")),
        ])

    def _editable(self, ctx: Ctx, d: Dialogue) -> list[Step]:
        return [s for s in d.steps if s.label is not None and s.store
                and (s.when is None or s.when(ctx))]

    def _edit_menu(self, ctx: Ctx, d: Dialogue) -> Reply:
        steps = self._editable(ctx, d)
        buttons = [Button(data=f"edit:{s.id}"[:64], label=s.label) for s in steps]  # type: ignore[arg-type]
        ctx.state.offered = [b.data for b in buttons] + [BACK_DATA]
        ctx.state.expects = "choice"
        return Reply(lines=[msg("summary.edit_which")],
                     buttons=buttons + [Button(data=BACK_DATA, label=msg("nav.back"))])

    def _answer_summary(self, ctx: Ctx, d: Dialogue, answer: Answer) -> list[Reply]:
        choice = self._match_option(ctx, [
            Option(CONFIRM_DATA, msg("summary.confirm")),
            Option(EDIT_DATA, msg("summary.edit")),
            Option(CANCEL_DATA, msg("nav.cancel")),
        ], answer)
        sure = (answer.understanding is not None and answer.understanding.intent.confidence >= 0.8
                and len((answer.text or "").split()) <= 4)
        if choice is None and sure and answer.intent in ("affirm", "thanks"):
            choice = CONFIRM_DATA
        if choice is None and sure and answer.intent == "deny":
            choice = EDIT_DATA
        if choice == CONFIRM_DATA:
            return self._finish(ctx, d)
        if choice == EDIT_DATA:
            ctx.state.step = EDIT
            return self.prompt(ctx)
        if choice == CANCEL_DATA:
            ctx.state.reset()
            return [Reply.of("nav.cancelled")]
        ctx.refused()
        return [Reply.of("common.choose_option", n=3)] + self.prompt(ctx)

    def _answer_edit(self, ctx: Ctx, d: Dialogue, answer: Answer) -> list[Reply]:
        if answer.button == BACK_DATA:
            ctx.state.step = SUMMARY
            return self.prompt(ctx)
        steps = self._editable(ctx, d)
        choice = self._match_option(ctx, [Option(f"edit:{s.id}"[:64], s.label) for s in steps], answer)  # type: ignore[arg-type]
        if choice is None:
            ctx.refused()
            return [Reply.of("common.choose_option", n=len(steps))] + self.prompt(ctx)
        target = next(s for s in steps if f"edit:{s.id}"[:64] == choice)
        ctx.state.step = target.id
        ctx.state.editing = True
        return self.prompt(ctx)

    def _finish(self, ctx: Ctx, d: Dialogue) -> list[Reply]:
        st = ctx.state
        then = st.then
        replies = d.on_complete(ctx) if d.on_complete else []
        if st.dialogue == d.id:  # on_complete did not start another dialogue
            st.reset()
            if then and then in self.registry:
                replies += self.start(ctx, then)
        else:
            replies += self.prompt(ctx) if not replies else []
        return replies

    # -- helpers ---------------------------------------------------------------------------
    def _prompt_lines(self, ctx: Ctx, step: Step) -> list[Msg]:
        p = step.prompt(ctx) if callable(step.prompt) else step.prompt
        return list(p) if isinstance(p, list) else [p]

    def _options(self, ctx: Ctx, step: Step) -> Sequence[Option]:
        return step.options(ctx) if callable(step.options) else step.options


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _show_value(value: Any) -> Msg:
    if value is None or value == "" or value == []:
        return msg("summary.empty")
    if isinstance(value, float):
        value = _fmt(value)
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return msg("common.raw", text=str(value))
