"""The dialogue engine: dialogues are sequences of steps declared as data.

Back, skip, edit and the summary-and-confirm ending live here, not in every handler. The state is
a JSON-serialisable `DialogueState`, stored with the conversation and read on every message.

The engine alone moves the conversation: it starts, ends, goes back and skips. Hooks never call
it and never set the dialogue or the step; they return an `Outcome` that the engine carries out:

- a step's `parse` turns an `Answer` into `Next(value)` (a plain value is short for it), or
  `Invalid(reason)` (a catalog message; the step is asked again), `Stay()` (asked again, the
  hook having said why), `Goto(step)`, `Back()` / `Skip()` (as the buttons: "question d'avant"
  typed), `Start(dialogue)` (also on a record's summary: `review=True`), `Restore(saved)` (back
  to a conversation saved earlier) or `End()`;
- a dialogue's `on_start` returns None to begin at its first step, or an outcome (`Start("menu")`
  when there is nothing to do here, `Goto(step)` to begin further on);
- its `on_complete` returns the replies to its end (then the dialogue's `then` starts), or an
  outcome (`Start` the follow-up dialogue; what it says goes to `ctx.say`);
- a step's `on_skip` does what passing it over means besides moving on (None), or returns an
  outcome instead;
- button and /start-payload handlers (bot.handlers) return replies or an outcome likewise.

Steps are passed over when their `when` is False. A dialogue that `remembers` nothing (a poll's
questionnaire: the path through its conditions would tell the answers) has no history: Back
goes to the nearest earlier step whose `when` holds.

Hooks may read and change `ctx.state.data`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Sequence

from pydantic import BaseModel, Field

from domain.matching import MEANINGS, Choice, Matcher
from domain.messages import Button, Incoming, Media, Msg, Reply, msg
from domain.nlu import Understanding
from domain.ports import BareServices
from domain.records import User
from domain.text import ASCII_DIGITS

if TYPE_CHECKING:
    from domain.ports import AppServices, UnitOfWork


SUMMARY = "__summary__"
EDIT = "__edit__"
CONFIRM_DATA = "sys:confirm"
EDIT_DATA = "sys:edit"
SKIP_DATA = "sys:skip"
BACK_DATA = "sys:back"
CANCEL_DATA = "sys:cancel"
RESUME = "__resume__"  # pseudo-step: "resume the draft you left?"
RESUME_DATA = "sys:resume"
RESTART_DATA = "sys:restart"
VALUE_DATA = "sys:value"  # "the number I typed is a value, not a button's position"
MAX_DRAFTS = 5
# NLU intents that stand for a button's meaning when the parser is sure and the message short
INTENT_MEANS = {"affirm": "yes", "deny": "no", "dont_know": "dont_know"}
SURE = 0.80
SHORT = 4
INTENT_SURE = 0.60  # an option's own intent ("add_indicator") selects it from this confidence on


class DialogueState(BaseModel):
    dialogue: str | None = None
    step: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    history: list[str] = Field(default_factory=list)
    editing: bool = False
    offered: list[str] = Field(default_factory=list)  # button data offered with the last question
    expects: str | None = None  # kind of answer the last question expects (a typed number
    #                             selects an offered button unless a value is expected)
    then: str | None = None  # dialogue to start when this one ends
    # a short clarifying question waiting for its answer ({"kind": "value" | "resume" | ...})
    pending: dict[str, Any] | None = None
    # dialogues left before their end, by dialogue id: step, data, history, then (resumable)
    drafts: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def reset(self) -> None:
        """Leave the current dialogue (the drafts of others are kept)."""
        self.dialogue = None
        self.step = None
        self.data = {}
        self.history = []
        self.editing = False
        self.offered = []
        self.expects = None
        self.then = None
        self.pending = None


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
class Next:
    """The step is answered: `value` is stored (when the step stores), then the following step."""

    value: Any = None


@dataclass(frozen=True)
class Start:
    """Leave this dialogue and start another one (or the same one afresh)."""

    dialogue: str
    data: dict[str, Any] | None = None
    then: str | None = None
    said: tuple[Reply, ...] = ()  # replies before its first question
    # open it on its summary, filled in with `data` (a record to mend): Confirm saves, Edit
    # changes one field, Back walks through `history` (by default the steps the dialogue would
    # have asked for this data) as if they had been answered
    review: bool = False
    history: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Goto:
    """Jump to another step of the same dialogue (`value` is stored as the step's answer). From
    `on_start`, `history` gives the steps Back walks through as if they had been answered (a
    module resumed at its fourth card)."""

    step: str
    value: Any = None
    history: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Restore:
    """Put back a conversation saved earlier (a `DialogueState` as JSON: a module opened in the
    middle of a dialogue returns to it) and ask its question again."""

    saved: dict[str, Any]


@dataclass(frozen=True)
class Stay:
    """Nothing moves: the current question is asked again (none when no dialogue runs)."""


@dataclass(frozen=True)
class Back:
    """Back to the previous question, as the Back button does ("question d'avant" typed)."""


@dataclass(frozen=True)
class Skip:
    """Pass the question over, as the Skip button does ("passer" typed)."""


@dataclass(frozen=True)
class End:
    """Leave the running dialogue (nothing kept, nothing asked after)."""


Outcome = Next | Goto | Start | Restore | Stay | Back | Skip | End | Invalid
OUTCOMES = (Next, Goto, Start, Restore, Stay, Back, Skip, End, Invalid)


def outcome(value: Any) -> Outcome:
    """What a parse hook returned, as an outcome: a plain value is `Next(value)`."""
    if isinstance(value, OUTCOMES):
        return value
    return Next(value)


@dataclass(frozen=True)
class Option:
    data: str
    label: Msg
    # what the button means beyond its label ("yes", "done"...; domain.matching.MEANINGS), so
    # that "safi" or "👍" selects it; by default read from the label's own words
    means: tuple[str, ...] = ()
    by_meaning: bool = True  # False: only its whole label or the button itself select it (a
    #                          destructive choice is not made by a bare "oui")
    words: Msg | None = None  # other ways people say it (a catalog entry, |-separated phrasings
    #                           in each variant: "une fois par an" for "Chaque année"): only
    #                           whole phrasings select
    as_labels: bool = False  # `words` are the label itself in every variant (a knowledge-base
    #                          text): a part of them selects too, as of a label
    intent: str | None = None  # the NLU intent that asks for it ("add_indicator": "bghit nzid
    #                            indicateur" selects "📏 Indicateurs")


Prompt = Msg | list[Msg] | Callable[["Ctx"], Msg | list[Msg]]
Options = Sequence[Option] | Callable[["Ctx"], Sequence[Option]]


@dataclass(frozen=True)
class Step:
    id: str
    prompt: Prompt
    kind: Literal["text", "choice", "number", "any"] = "text"
    options: Options = ()
    parse: Callable[["Ctx", Answer, Any], Any] | None = None  # (ctx, answer, preparsed) -> value | Outcome
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
    # a choice step that also takes a typed value: "text" (a date: words around a label are a
    # value, not that button) or "number" (a duration: besides, a typed number may be a value
    # as well as a button's position, which is asked)
    values: Literal["", "text", "number"] = ""
    multi: bool = False  # several buttons may be picked (ticks): a typed answer naming several
    #                      ("sexe et âge") reaches the parse whole (Engine.pick_many)
    # how button data that is not one of this step's buttons is refused (an old keyboard, a
    # forged callback): by default "this button has expired" and the question again
    foreign: Invalid | None = None
    # button data the step takes besides its own buttons, which its parse then checks (the
    # "what next?" question takes a main-menu button pressed on an older keyboard)
    takes: Callable[["Ctx", str], bool] | None = None
    # what passing an optional step over does besides moving on (a poll notes the question as
    # seen): None to move on, or an outcome instead (the poll was closed meanwhile)
    on_skip: Callable[["Ctx"], "Outcome | None"] | None = None


@dataclass
class Dialogue:
    id: str
    steps: list[Step]
    # its end: the replies (then `then` starts), or an outcome (the follow-up dialogue)
    on_complete: Callable[["Ctx"], "list[Reply] | Outcome"] | None = None
    confirm: bool = True  # end with a summary the user confirms or edits
    summary_title: Msg | None = None
    # before its first step: None to begin, or an outcome (elsewhere, e.g. Start("menu"))
    on_start: Callable[["Ctx"], "Outcome | None"] | None = None
    then: str | None = "menu"  # where the user lands when it ends
    title: Msg | None = None  # its name for the user ("leave «New project»?"), e.g. its menu label
    # False: the steps passed are not recorded (the path through a questionnaire's conditions
    # would tell its answers); Back goes to the nearest earlier step whose `when` holds
    remembers: bool = True
    # its own Skip and Back buttons (data and label) in place of the engine's
    skip_button: Option | None = None
    back_button: Option | None = None

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
    uow: UnitOfWork
    user: User | None = None
    services: AppServices = field(default_factory=BareServices)
    render: Callable[[Msg], str] = lambda m: m.key
    variants: Callable[[Msg], list[str]] | None = None  # a text in every language variant
    chat: Incoming | None = None  # the message being handled
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[Reply] = field(default_factory=list)  # said before the next question

    def say(self, key: str, buttons: list[Button] | None = None, **params: Any) -> None:
        self.notes.append(Reply.of(key, buttons=buttons, **params))

    def all_variants(self, m: Msg) -> list[str]:
        """`m` rendered in every language variant (people type labels in any of them)."""
        return self.variants(m) if self.variants is not None else [self.render(m)]

    def understood(self, value: Msg | str) -> None:
        """Echo a value read from free text ("sab3in f lmya" → 70 %) before the next question."""
        self.say("common.understood", value=value)

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


# A number written as a word of its own: digits glued to letters are Arabizi letters ("sab3in",
# "ma3rftch"), not numbers.
STANDALONE_NUMBER = re.compile(r"(?<![^\W\d_])-?\d+(?:[.,]\d+)?(?![^\W\d_])")


def parse_number(text: str) -> float | None:
    """A number written with digits (Latin or Arabic-Indic) as a word of its own, with , or . as
    decimal mark."""
    t = text.translate(ASCII_DIGITS).replace("\u066b", ".").replace("\u066c", "")
    m = STANDALONE_NUMBER.search(t)
    if not m:
        return None
    return float(m.group(0).replace(",", "."))


@dataclass(frozen=True)
class Reading:
    """A number as the person wrote it: the value, and what was said around it."""

    value: float
    percent: bool = False
    about: bool = False  # "une trentaine", "environ 30", "حوالي 30"
    bound: str | None = None  # "at_least" ("au moins 30") or "at_most" ("moins de 30")
    literal: bool = True  # written in digits (nothing to echo back)

    def shown(self) -> Msg | str:
        n = _fmt(self.value)
        value: Msg | str = msg("common.percent", n=n) if self.percent else n
        if self.bound:
            value = msg(f"common.{self.bound}", value=value)
        if self.about:
            value = msg("common.about", value=value)
        return value


def read_number(answer: "Answer") -> Reading | None:
    """The first number of a typed answer: from the NLU's entities (number words, percentages,
    "about", "at least"), else from digits written as a word of their own."""
    text = answer.text or ""
    u = answer.understanding
    if u is not None:
        nums = sorted((e for e in u.entities if e.entity in ("number", "percent")), key=lambda e: e.start)
        for e in nums:
            try:
                value = float(e.value)
            except (TypeError, ValueError):
                continue
            quals = [
                q
                for q in u.entities
                if q.entity == "qualifier"
                and (0 <= e.start - q.end <= 2 or 0 <= q.start - e.end <= 2 or q.start <= e.start < q.end)
            ]
            kinds = {str(q.value) for q in quals}
            span = text[e.start : e.end].translate(ASCII_DIGITS)
            literal = not kinds and parse_number(span) == value
            bound = "at_least" if "at_least" in kinds else "at_most" if "at_most" in kinds else None
            return Reading(
                value=value,
                percent=e.entity == "percent",
                about="about" in kinds,
                bound=bound,
                literal=literal,
            )
    t = text.translate(ASCII_DIGITS)
    m = STANDALONE_NUMBER.search(t.replace("\u066b", ".").replace("\u066c", ""))
    if not m:
        return None
    return Reading(
        value=float(m.group(0).replace(",", ".")), percent=t[m.end() :].lstrip().startswith(("%", "\u066a"))
    )


def has_words(text: str) -> bool:
    return any(unicodedata.category(c)[0] in ("L", "N") for c in text)


class Engine:
    """Runs dialogues. Every public method returns the replies to send."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._matcher: Matcher | None = None
        self._meanings: dict[tuple[str, ...], tuple[str, ...]] = {}

    # -- navigation ------------------------------------------------------------------------
    def go(self, ctx: Ctx, result: Outcome) -> list[Reply]:
        """Carry out an outcome a hook returned, from where the conversation stands (a step's
        answer is handled by `answer`, which stores it first)."""
        st = ctx.state
        if isinstance(result, Start):
            said = list(result.said)
            if result.review:
                return said + self._review(ctx, result)
            return said + self.start(ctx, result.dialogue, result.data, then=result.then)
        if isinstance(result, Back):  # a step's own way back already led here: the engine's
            return self.back(ctx, own=False)
        if isinstance(result, Skip):
            return self.skip(ctx, own=False)
        if isinstance(result, End):
            st.reset()
            return []
        if isinstance(result, Restore):
            saved = DialogueState.model_validate(result.saved)
            for name in DialogueState.model_fields:
                setattr(st, name, getattr(saved, name))
            return self.prompt(ctx)
        if isinstance(result, Invalid):
            ctx.refused()
            reasons = result.reason if isinstance(result.reason, list) else [result.reason]
            return [Reply(lines=reasons)] + (self.prompt(ctx) if result.reprompt else [])
        if isinstance(result, Goto) and st.dialogue is not None:
            # from a step, or from the start (on_start: a questionnaire resumed where it was left)
            if st.step is not None and st.step != result.step and self.registry.get(st.dialogue).remembers:
                st.history.append(st.step)
            if result.history is not None:
                st.history = list(result.history)
            st.step = result.step
        if (
            isinstance(result, Next)
            and st.dialogue is not None
            and st.step not in (None, SUMMARY, EDIT, RESUME)
        ):
            d = self.registry.get(st.dialogue)
            return self._advance(ctx, d, d.step(st.step or ""))
        return self.prompt(ctx)

    def start(
        self,
        ctx: Ctx,
        dialogue_id: str,
        data: dict[str, Any] | None = None,
        then: str | None = None,
        resume: bool = True,
    ) -> list[Reply]:
        """Start a dialogue; when a draft of it was left earlier (with the same project...),
        first ask whether to resume it."""
        d = self.registry.get(dialogue_id)
        st = ctx.state
        draft = st.drafts.get(d.id)
        if (
            resume
            and draft is not None
            and all(draft["data"].get(k) == v for k, v in (data or {}).items() if v is not None)
        ):
            st.reset()
            st.dialogue, st.step = d.id, RESUME
            st.pending = {"kind": "resume", "data": dict(data or {}), "then": then}
            return self.prompt(ctx)
        st.reset()
        st.dialogue = d.id
        st.data = dict(data or {})
        st.then = then if then is not None else d.then
        if d.on_start:
            elsewhere = d.on_start(ctx)
            if elsewhere is not None:
                return self.go(ctx, elsewhere)
        first = self._next_from(ctx, d, -1)
        if first is None:
            return self._finish(ctx, d)
        st.step = first
        return self.prompt(ctx)

    def _review(self, ctx: Ctx, start: Start) -> list[Reply]:
        """Open a dialogue on its summary, filled in with the start's data."""
        d = self.registry.get(start.dialogue)
        st = ctx.state
        st.reset()
        st.dialogue, st.data, st.step = d.id, dict(start.data or {}), SUMMARY
        st.then = start.then if start.then is not None else d.then
        if start.history is None:
            st.history = [s.id for s in d.steps if s.store and (s.when is None or s.when(ctx))]
        else:
            st.history = list(start.history)
        return self.prompt(ctx)

    def has_input(self, ctx: Ctx) -> bool:
        """The user is inside a dialogue that saves at its end and has answered something:
        leaving now would leave that input behind (it is kept as a draft)."""
        st = ctx.state
        if st.dialogue is None or st.step in (None, RESUME) or not st.history:
            return False
        return self.registry.get(st.dialogue).confirm

    def leave(self, ctx: Ctx) -> bool:
        """Leave the current dialogue; its input is kept as a draft, resumable the next time
        the dialogue starts. True when a draft was kept."""
        st = ctx.state
        kept = self.has_input(ctx)
        if kept and st.dialogue is not None:
            st.drafts.pop(st.dialogue, None)
            st.drafts[st.dialogue] = {
                "step": st.step,
                "data": st.data,
                "history": st.history,
                "then": st.then,
            }
            for old in list(st.drafts)[:-MAX_DRAFTS]:
                del st.drafts[old]
        st.reset()
        return kept

    def title(self, dialogue_id: str | None) -> Msg | None:
        if dialogue_id is None or dialogue_id not in self.registry:
            return None
        return self.registry.get(dialogue_id).title

    def prompt(self, ctx: Ctx) -> list[Reply]:
        st = ctx.state
        if st.dialogue is None or st.step is None:
            return []
        d = self.registry.get(st.dialogue)
        if st.step == SUMMARY:
            return [self._summary(ctx, d)]
        if st.step == EDIT:
            return [self._edit_menu(ctx, d)]
        if st.step == RESUME:
            return [self._resume_question(ctx, d)]
        step = d.step(st.step)
        lines = self._prompt_lines(ctx, step)
        buttons = [Button(data=o.data, label=o.label) for o in self._options(ctx, step)]
        nav = [Button(data=o.data, label=o.label) for o in self._nav(ctx, step)]
        st.offered = [b.data for b in buttons + nav]
        kind = self._kind(ctx, step)
        st.expects = "number" if step.values == "number" else kind
        return [Reply(lines=lines, buttons=buttons + nav)]

    def back(self, ctx: Ctx, own: bool = True) -> list[Reply]:
        """The previous question (`own`: through the step's `back_as` button when it has one)."""
        st = ctx.state
        if st.dialogue is None:
            return [Reply.of("nav.nothing_to_undo")]
        st.pending = None
        if st.step in (SUMMARY, EDIT):
            d = self.registry.get(st.dialogue)
            st.editing = False
            if st.history:
                st.step = st.history.pop()
            else:
                st.step = d.steps[-1].id
            return self.prompt(ctx)
        d = self.registry.get(st.dialogue)
        step = d.step(st.step or "")
        if own and step.back_as is not None:
            return self.answer(ctx, Answer(button=step.back_as))
        if not d.remembers:
            earlier = self._previous(ctx, d, step)
            if earlier is None:  # its own Back is not offered here (an old keyboard's): asked again
                return self.prompt(ctx)
            st.step = earlier
            return self.prompt(ctx)
        if not st.history:
            return [Reply.of("nav.at_first_step")] + self.prompt(ctx)
        st.step = st.history.pop()
        return self.prompt(ctx)

    def skip(self, ctx: Ctx, own: bool = True) -> list[Reply]:
        """Pass the question over (`own`: through the step's `skip_as` button when it has one)."""
        st = ctx.state
        if st.dialogue is None or st.step in (None, SUMMARY, EDIT, RESUME):
            return [Reply.of("nav.cannot_skip")] + self.prompt(ctx)
        st.pending = None
        d = self.registry.get(st.dialogue)
        step = d.step(st.step)
        if own and step.skip_as is not None:
            return self.answer(ctx, Answer(button=step.skip_as))
        if not step.optional:
            return [Reply.of("nav.cannot_skip")] + self.prompt(ctx)
        if step.on_skip is not None:
            elsewhere = step.on_skip(ctx)
            if elsewhere is not None:
                return self.go(ctx, elsewhere)
        if step.store:
            st.data[step.id] = None
        return self._advance(ctx, d, step)

    # -- answers ---------------------------------------------------------------------------
    def answer(self, ctx: Ctx, answer: Answer) -> list[Reply]:  # noqa: C901
        st = ctx.state
        if st.dialogue is None or st.step is None:
            return []
        d = self.registry.get(st.dialogue)
        if st.step == RESUME:
            return self._answer_resume(ctx, d, answer)
        if st.step == SUMMARY:
            return self._answer_summary(ctx, d, answer)
        if st.step == EDIT:
            return self._answer_edit(ctx, d, answer)
        step = d.step(st.step)
        pending, st.pending = st.pending, None
        resolve = True
        if pending and pending.get("kind") == "value":
            value_text = str(pending.get("text") or "")
            options = [
                Option(VALUE_DATA, msg("common.the_value", value=value_text)),
                Option(str(pending.get("option")), Msg.model_validate(pending.get("label"))),
            ]
            typed = (answer.text or "").strip().translate(ASCII_DIGITS)
            if (
                typed == value_text.translate(ASCII_DIGITS)
                or self.match(ctx, options, answer, loose=True) == VALUE_DATA
            ):
                answer, resolve = Answer(text=value_text), False  # "the number was the value"
        if resolve and answer.button is None and answer.text:
            read = self._typed(ctx, step, answer)
            if isinstance(read, list):
                return read  # a clarifying question
            answer = read
        if answer.button is not None and answer.button in (SKIP_DATA, d.skip_button and d.skip_button.data):
            return self.skip(ctx)
        if answer.button is not None and answer.button in (BACK_DATA, d.back_button and d.back_button.data):
            return self.back(ctx)
        reading = read_number(answer) if self._kind(ctx, step) == "number" and not answer.button else None
        if answer.button is not None and not self.accepts(ctx, step, answer.button):
            value: Any = step.foreign or Invalid(msg("common.button_expired"))
        else:
            value = self._parse(ctx, step, answer)
        result = outcome(value)
        if isinstance(result, (Goto, Next)) and step.store:
            st.data[step.id] = result.value
        if isinstance(result, Next):
            if reading is not None and not reading.literal:
                ctx.understood(reading.shown())
            return self._advance(ctx, d, step)
        return self.go(ctx, result)

    def accepts(self, ctx: Ctx, step: Step, data: str) -> bool:
        """Whether button data is one of the step's buttons as it stands now (its options, its
        Skip and Back, and what /skip and /back press for it). Anything else (a button of an
        earlier question, an index past the list, a record the user may not see, forged data)
        never reaches the step's parse: hooks read only data they offered themselves."""
        if data in (step.skip_as, step.back_as) or (step.takes is not None and step.takes(ctx, data)):
            return True
        return any(o.data == data for o in list(self._options(ctx, step)) + self._nav(ctx, step))

    def match(
        self, ctx: Ctx, options: Sequence[Option], answer: Answer, loose: bool = False, around: bool = True
    ) -> str | None:
        """The option a typed answer means (see domain.matching), or its button if it is one
        of them; None when it is none of them."""
        datas = [o.data for o in options]
        if answer.button is not None:
            return answer.button if answer.button in datas else None
        text = (answer.text or "").strip()
        if not text:
            return None
        digits = text.translate(ASCII_DIGITS)
        if re.fullmatch(r"\d{1,2}", digits):
            k = int(digits)
            return datas[k - 1] if 1 <= k <= len(datas) else None
        choices = [self._choice(ctx, o) for o in options]
        # a label, a meaning word, light typos; then what the NLU is sure of; then parts of
        # labels ("je veux créer un projet" is "new project", not "Mes projets")
        found = self.matcher(ctx).match(text, choices)
        u = answer.understanding
        if (
            found is None
            and u is not None
            and u.intent.name in INTENT_MEANS
            and u.intent.confidence >= SURE
            and len(text.split()) <= SHORT
            # a figure is a value, never a yes ("تلت ربع", three quarters, was read as affirm)
            and not any(e.entity in ("number", "percent") for e in u.entities)
        ):
            meaning = INTENT_MEANS[u.intent.name]
            hits = [c.data for c in choices if meaning in c.means]
            found = hits[0] if len(hits) == 1 else None
        if found is None and u is not None and u.intent.confidence >= INTENT_SURE:
            hits = [o.data for o in options if o.intent and o.intent == u.intent.name]
            found = hits[0] if len(hits) == 1 else None
        if found is None and loose:
            found = self.matcher(ctx).match(text, choices, loose=True, around=around)
        return found

    def meant(self, ctx: Ctx, text: str) -> tuple[str, ...]:
        """What a typed text means when it is nothing but words for yes, no, done, don't know,
        skip or back (the `words.*` catalog entries, every variant)."""
        return self.matcher(ctx).meant(text or "")

    def pick_many(self, ctx: Ctx, options: Sequence[Option], text: str) -> list[str]:
        """The options a typed answer names, several at once ("sexe et âge"); [] unless every
        part of it names one."""
        joiners = [w for v in ctx.all_variants(msg("words.and")) for w in v.split("|")]
        return self.matcher(ctx).match_many(text, [self._choice(ctx, o) for o in options], joiners)

    def matcher(self, ctx: Ctx) -> Matcher:
        """Built once from the catalog's `words.*` entries (every variant: people mix them)."""
        if self._matcher is None:

            def listed(key: str) -> list[str]:
                return [w for v in ctx.all_variants(msg(key)) for w in v.split("|")]

            ordinals: list[list[str]] = []
            for v in ctx.all_variants(msg("words.ordinals")):
                for i, group in enumerate(v.split(",")):
                    while len(ordinals) <= i:
                        ordinals.append([])
                    ordinals[i] += group.split("|")
            self._matcher = Matcher(
                {m: listed(f"words.{m}") for m in MEANINGS}, listed("words.stop"), ordinals
            )
        return self._matcher

    def _choice(self, ctx: Ctx, o: Option) -> Choice:
        labels = tuple(dict.fromkeys(ctx.all_variants(o.label)))
        also: tuple[str, ...] = ()
        if o.words is not None:
            also = tuple(w for v in ctx.all_variants(o.words) for w in v.split("|") if w.strip())
            if o.as_labels:
                labels, also = tuple(dict.fromkeys(labels + also)), ()
        means = o.means
        if not o.by_meaning:
            means = ()
        elif not means:
            if labels not in self._meanings:
                if len(self._meanings) > 4096:
                    self._meanings.clear()
                self._meanings[labels] = self.matcher(ctx).meanings(labels)
            means = self._meanings[labels]
        return Choice(data=o.data, labels=labels, means=means, whole=not o.by_meaning, also=also)

    def _typed(self, ctx: Ctx, step: Step, answer: Answer) -> Answer | list[Reply]:
        """A typed answer that means one of the step's buttons becomes that button; a number
        that could be a value as well as a button's position gets a short question."""
        kind = self._kind(ctx, step)
        if kind == "any":
            return answer  # the step reads every answer itself
        text = (answer.text or "").strip()
        options = list(self._options(ctx, step))
        digits = text.translate(ASCII_DIGITS)
        if re.fullmatch(r"\d{1,3}", digits) and (kind == "number" or step.values == "number"):
            k = int(digits)
            if 1 <= k <= len(options) and not self._choice(ctx, options[k - 1]).means:
                return self._value_or_option(ctx, text, options[k - 1])
            return answer
        found = self.match(
            ctx,
            options + self._nav(ctx, step),
            answer,
            loose=kind == "choice" and not step.multi,
            around=not step.values,
        )
        return Answer(button=found) if found is not None else answer

    def offered(self, ctx: Ctx, answer: Answer) -> str | None:
        """The button of the current question a typed answer means, if any (a typed label
        comes before a global command read in the same words: "ليس بعد" is a button's label
        before it is "skip")."""
        st = ctx.state
        text = (answer.text or "").strip()
        if st.dialogue is None or st.step is None or not text:
            return None
        if re.fullmatch(r"\d{1,3}", text.translate(ASCII_DIGITS)):
            return None
        d = self.registry.get(st.dialogue)
        # the engine's own questions: "🆕 N3awdo mn lowl" typed at "resume the draft?" is that
        # button, not the command "restart"
        if st.step == RESUME and (st.pending or {}).get("kind") == "resume":
            return self.match(ctx, self._resume_options(), answer, loose=True)
        if st.pending:
            return None
        if st.step == SUMMARY:
            return self.match(ctx, self._summary_options(), answer, loose=True)
        if st.step == EDIT:
            back = Option(BACK_DATA, msg("nav.back"))
            return self.match(ctx, self._edit_options(ctx, d) + [back], answer, loose=True)
        if st.step == RESUME:
            return None
        step = d.step(st.step)
        kind = self._kind(ctx, step)
        if kind == "any":
            return None
        return self.match(
            ctx, list(self._options(ctx, step)), answer, loose=kind == "choice", around=not step.values
        )

    def _value_or_option(self, ctx: Ctx, text: str, option: Option) -> list[Reply]:
        st = ctx.state
        st.pending = {
            "kind": "value",
            "text": text,
            "option": option.data,
            "label": option.label.model_dump(mode="json"),
        }
        # typing the number again means the value: positions are the engine's business here
        st.offered, st.expects = [VALUE_DATA, option.data], "number"
        ctx.refused()
        return [
            Reply(
                lines=[msg("common.value_or_option", value=text, option=option.label)],
                buttons=[
                    Button(data=VALUE_DATA, label=msg("common.the_value", value=text)),
                    Button(data=option.data, label=option.label),
                ],
            )
        ]

    @staticmethod
    def _kind(ctx: Ctx, step: Step) -> str:
        return step.kind_of(ctx) if step.kind_of is not None else step.kind

    def _parse(self, ctx: Ctx, step: Step, answer: Answer) -> Any:  # noqa: C901
        pre: Any = None
        text = (answer.text or "").strip()
        kind = self._kind(ctx, step)
        if kind == "choice":
            options = list(self._options(ctx, step))
            pre = answer.button if answer.button in [o.data for o in options] else None
            if pre is None and step.parse is None:
                if answer.button:
                    return Invalid(msg("common.button_expired"))
                return Invalid(msg("common.choose_option", n=len(options)))
        elif kind == "number":
            if answer.button:
                pre = None
            else:
                reading = read_number(answer)
                pre = reading.value if reading is not None else None
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
        if d.remembers:
            st.history.append(step.id)
        if nxt is None or nxt == SUMMARY:
            if d.confirm:
                st.step = SUMMARY
                return self.prompt(ctx)
            return self._finish(ctx, d)
        st.step = nxt
        return self.prompt(ctx)

    def _next_from(self, ctx: Ctx, d: Dialogue, index: int) -> str | None:
        for s in d.steps[index + 1 :]:
            if s.when is None or s.when(ctx):
                return s.id
        return None

    def _previous(self, ctx: Ctx, d: Dialogue, step: Step) -> str | None:
        """The nearest earlier step asked as things stand (a dialogue that keeps no path)."""
        for s in reversed(d.steps[: d.index(step.id)]):
            if s.when is None or s.when(ctx):
                return s.id
        return None

    # -- resuming a draft --------------------------------------------------------------------
    def _resume_options(self) -> list[Option]:
        return [
            Option(RESUME_DATA, msg("nav.resume"), means=("yes",)),
            Option(RESTART_DATA, msg("nav.start_again"), means=("no",)),
        ]

    def _resume_question(self, ctx: Ctx, d: Dialogue) -> Reply:
        opts = self._resume_options()
        ctx.state.offered, ctx.state.expects = [o.data for o in opts], "choice"
        line = msg("nav.resume_ask", what=d.title) if d.title else msg("nav.resume_ask_untitled")
        return Reply(lines=[line], buttons=[Button(data=o.data, label=o.label) for o in opts])

    def _answer_resume(self, ctx: Ctx, d: Dialogue, answer: Answer) -> list[Reply]:
        st = ctx.state
        choice = self.match(ctx, self._resume_options(), answer, loose=True)
        pending = st.pending or {}
        if choice == RESUME_DATA and d.id in st.drafts:
            draft = st.drafts.pop(d.id)
            st.reset()
            st.dialogue, st.step = d.id, draft["step"]
            st.data, st.history, st.then = draft["data"], draft["history"], draft.get("then")
            return self.prompt(ctx)
        if choice in (RESUME_DATA, RESTART_DATA):
            st.drafts.pop(d.id, None)
            return self.start(ctx, d.id, pending.get("data"), then=pending.get("then"), resume=False)
        ctx.refused()
        return [Reply.of("common.choose_option", n=2)] + self.prompt(ctx)

    # -- summary, edit, finish ---------------------------------------------------------------
    def _summary(self, ctx: Ctx, d: Dialogue) -> Reply:
        st = ctx.state
        lines = [d.summary_title or msg("summary.title")]
        for s in self._editable(ctx, d):
            value = st.data.get(s.id)
            shown = s.show(ctx, value) if s.show else _show_value(value)
            assert s.label is not None  # _editable keeps labelled steps only
            lines.append(msg("summary.line", label=ctx.render(s.label), value=ctx.render(shown)))
        opts = self._summary_options()
        st.offered = [o.data for o in opts]
        st.expects = "choice"
        return Reply(
            lines=lines + [msg("summary.question")],
            buttons=[Button(data=o.data, label=o.label) for o in opts],
        )

    @staticmethod
    def _summary_options() -> list[Option]:
        return [
            Option(CONFIRM_DATA, msg("summary.confirm"), means=("yes", "done")),
            Option(EDIT_DATA, msg("summary.edit"), means=("no",)),
            Option(CANCEL_DATA, msg("nav.cancel")),
        ]

    def _editable(self, ctx: Ctx, d: Dialogue) -> list[Step]:
        return [s for s in d.steps if s.label is not None and s.store and (s.when is None or s.when(ctx))]

    def _edit_options(self, ctx: Ctx, d: Dialogue) -> list[Option]:
        return [Option(f"edit:{s.id}"[:64], s.label) for s in self._editable(ctx, d)]  # type: ignore[arg-type]

    def _edit_menu(self, ctx: Ctx, d: Dialogue) -> Reply:
        opts = self._edit_options(ctx, d)
        ctx.state.offered = [o.data for o in opts] + [BACK_DATA]
        ctx.state.expects = "choice"
        return Reply(
            lines=[msg("summary.edit_which")],
            buttons=[Button(data=o.data, label=o.label) for o in opts]
            + [Button(data=BACK_DATA, label=msg("nav.back"))],
        )

    def _answer_summary(self, ctx: Ctx, d: Dialogue, answer: Answer) -> list[Reply]:
        choice = self.match(ctx, self._summary_options(), answer, loose=True)
        if choice is None and answer.button is None:  # a field named: "le titre" → edit it
            field = self.match(ctx, self._edit_options(ctx, d), answer, loose=True)
            if field is not None:
                return self._edit_field(ctx, d, field)
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
        opts = self._edit_options(ctx, d)
        back = Option(BACK_DATA, msg("nav.back"))
        choice = self.match(ctx, opts + [back], answer, loose=True)
        if choice == BACK_DATA:
            ctx.state.step = SUMMARY
            return self.prompt(ctx)
        if choice is None:
            ctx.refused()
            return [Reply.of("common.choose_option", n=len(opts))] + self.prompt(ctx)
        return self._edit_field(ctx, d, choice)

    def _edit_field(self, ctx: Ctx, d: Dialogue, choice: str) -> list[Reply]:
        target = next(s for s in self._editable(ctx, d) if f"edit:{s.id}"[:64] == choice)
        ctx.state.step = target.id
        ctx.state.editing = True
        return self.prompt(ctx)

    def _finish(self, ctx: Ctx, d: Dialogue) -> list[Reply]:
        st = ctx.state
        then = st.then
        ended = d.on_complete(ctx) if d.on_complete else []
        if not isinstance(ended, list):  # on_complete goes on elsewhere (a follow-up dialogue)
            st.reset()
            return self.go(ctx, ended)
        st.reset()
        if then and then in self.registry:
            ended += self.start(ctx, then)
        return ended

    # -- helpers ---------------------------------------------------------------------------
    def _prompt_lines(self, ctx: Ctx, step: Step) -> list[Msg]:
        p = step.prompt(ctx) if callable(step.prompt) else step.prompt
        return list(p) if isinstance(p, list) else [p]

    def _options(self, ctx: Ctx, step: Step) -> Sequence[Option]:
        return step.options(ctx) if callable(step.options) else step.options

    def _nav(self, ctx: Ctx, step: Step) -> list[Option]:
        """Skip (optional steps) and Back (after the first answer), offered after the step's
        own buttons (the dialogue's own, when it has them)."""
        name = ctx.state.dialogue
        d = self.registry.get(name) if name is not None and name in self.registry else None
        nav = []
        if step.optional:
            own = d.skip_button if d is not None else None
            nav.append(own or Option(SKIP_DATA, msg("nav.skip"), means=("skip",)))
        if d is not None and not d.remembers:
            if self._previous(ctx, d, step) is not None:
                nav.append(d.back_button or Option(BACK_DATA, msg("nav.back"), means=("back",)))
        elif ctx.state.history:
            own = d.back_button if d is not None else None
            nav.append(own or Option(BACK_DATA, msg("nav.back"), means=("back",)))
        return nav


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
