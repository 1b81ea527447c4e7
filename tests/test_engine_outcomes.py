"""Hooks return outcomes and the engine alone moves (toy dialogues, no database): what each
outcome does, a questionnaire that keeps no path, and its own Skip and Back."""

from __future__ import annotations

from typing import Any

from domain.dialogue import (
    BACK_DATA,
    SUMMARY,
    Answer,
    Back,
    Ctx,
    Dialogue,
    DialogueState,
    End,
    Engine,
    Goto,
    Invalid,
    Next,
    Option,
    Registry,
    Restore,
    Skip,
    Start,
    Stay,
    Step,
    outcome,
)
from domain.messages import Reply, msg


def ctx() -> Ctx:
    return Ctx(state=DialogueState(), lang="fr", uow=None)


def keys(replies: list[Reply]) -> list[str]:
    return [m.key for r in replies for m in r.lines]


def buttons(replies: list[Reply]) -> list[str]:
    return [b.data for r in replies for b in r.buttons]


def by_word(ctx: Ctx, answer: Answer, value: Any) -> Any:
    """A hook that answers each word with an outcome."""
    return {
        "stay": Stay(),
        "goto": Goto("c", "jumped"),
        "start": Start("other", {"x": 1}, said=(Reply.of("t.said"),)),
        "end": End(),
        "bad": Invalid(msg("t.bad")),
        "quiet": Invalid(msg("t.bad"), reprompt=False),
        "next": Next("explicit"),
        "back": Back(),
        "skip": Skip(),
    }.get(value, value)


def engine() -> Engine:
    reg = Registry()
    reg.add(
        Dialogue(
            id="toy",
            confirm=False,
            then=None,
            steps=[
                Step("a", prompt=msg("t.a")),
                Step("b", prompt=msg("t.b"), parse=by_word, optional=True),
                Step("c", prompt=msg("t.c")),
            ],
        )
    )
    reg.add(Dialogue(id="other", confirm=False, then=None, steps=[Step("o", prompt=msg("t.o"))]))
    reg.add(
        Dialogue(
            id="elsewhere",
            confirm=False,
            on_start=lambda ctx: Start("other") if ctx.state.data.get("away") else None,
            steps=[Step("e", prompt=msg("t.e"))],
        )
    )
    reg.add(
        Dialogue(
            id="follow",
            confirm=False,
            then="toy",  # not started: on_complete goes elsewhere
            on_complete=lambda ctx: Start("other", {"from": ctx.state.data.get("f")}),
            steps=[Step("f", prompt=msg("t.f"))],
        )
    )
    reg.add(
        Dialogue(
            id="form",
            steps=[
                Step("x", prompt=msg("t.x"), label=msg("t.x")),
                Step("y", prompt=msg("t.y"), label=msg("t.y")),
            ],
        )
    )
    return Engine(reg)


def at_b(e: Engine) -> Ctx:
    c = ctx()
    e.start(c, "toy")
    e.answer(c, Answer(text="premier"))
    assert c.state.step == "b" and c.state.history == ["a"]
    return c


def test_a_plain_value_is_next_and_every_outcome_is_carried_out_by_the_engine():
    assert outcome("x") == Next("x") and outcome(None) == Next(None) and outcome(Stay()) == Stay()
    e = engine()
    c = at_b(e)
    e.answer(c, Answer(text="next"))
    assert c.state.step == "c" and c.state.data["b"] == "explicit" and c.state.history == ["a", "b"]

    c = at_b(e)
    r = e.answer(c, Answer(text="stay"))
    assert c.state.step == "b" and "b" not in c.state.data and keys(r) == ["t.b"]

    c = at_b(e)
    r = e.answer(c, Answer(text="goto"))
    assert c.state.step == "c" and c.state.data["b"] == "jumped" and keys(r) == ["t.c"]

    c = at_b(e)
    r = e.answer(c, Answer(text="start"))
    assert c.state.dialogue == "other" and c.state.data == {"x": 1} and keys(r) == ["t.said", "t.o"]

    c = at_b(e)
    r = e.answer(c, Answer(text="end"))
    assert c.state.dialogue is None and r == []

    c = at_b(e)
    r = e.answer(c, Answer(text="bad"))
    assert c.state.step == "b" and keys(r) == ["t.bad", "t.b"] and c.extra.get("refused")
    c = at_b(e)
    assert keys(e.answer(c, Answer(text="quiet"))) == ["t.bad"]

    c = at_b(e)
    e.answer(c, Answer(text="back"))  # as the Back button
    assert c.state.step == "a" and c.state.history == []

    c = at_b(e)
    e.answer(c, Answer(text="skip"))  # as the Skip button: the optional step is passed over
    assert c.state.step == "c" and c.state.data["b"] is None


def test_on_start_and_on_complete_send_elsewhere_through_outcomes():
    e = engine()
    c = ctx()
    r = e.start(c, "elsewhere", {"away": True})
    assert c.state.dialogue == "other" and keys(r) == ["t.o"]
    c = ctx()
    e.start(c, "elsewhere")
    assert c.state.dialogue == "elsewhere" and c.state.step == "e"
    c = ctx()
    e.start(c, "follow")
    r = e.answer(c, Answer(text="fin"))
    # the follow-up dialogue, not `then`: what on_complete said it goes on with
    assert c.state.dialogue == "other" and c.state.data == {"from": "fin"} and keys(r) == ["t.o"]


def test_review_opens_a_dialogue_on_its_summary_and_restore_puts_a_conversation_back():
    e = engine()
    c = ctx()
    e.go(c, Start("form", {"x": "un", "y": "deux"}, review=True))
    assert (
        c.state.step == SUMMARY and c.state.history == ["x", "y"] and c.state.data == {"x": "un", "y": "deux"}
    )
    e.back(c)
    assert c.state.step == "y"
    c = ctx()
    e.go(c, Start("form", {"x": "un"}, review=True, history=("x",)))
    assert c.state.history == ["x"]

    saved = at_b(e).state.model_dump(mode="json")
    c = ctx()
    e.start(c, "other")
    r = e.go(c, Restore(saved))
    assert (
        c.state.dialogue == "toy" and c.state.step == "b" and c.state.history == ["a"] and keys(r) == ["t.b"]
    )


asked = {"q1": True}  # the toy questionnaire's condition for its second question
skipped: list[str] = []


def questionnaire() -> Engine:
    reg = Registry()
    reg.add(
        Dialogue(
            id="quiz",
            confirm=False,
            then=None,
            remembers=False,
            on_start=lambda ctx: Goto(f"q{ctx.state.data.pop('at', 0)}"),
            skip_button=Option("qz:skip", msg("t.skip")),
            back_button=Option("qz:prev", msg("t.prev")),
            steps=[
                Step(
                    f"q{i}",
                    prompt=msg(f"t.q{i}"),
                    kind="any",
                    optional=True,
                    store=False,
                    when=(lambda ctx: asked["q1"]) if i == 1 else None,
                    on_skip=lambda ctx, i=i: skipped.append(f"q{i}") and None,
                )
                for i in range(3)
            ],
        )
    )
    return Engine(reg)


def test_a_questionnaire_keeps_no_path_and_runs_its_own_skip_and_back():
    e = questionnaire()
    c = ctx()
    asked["q1"] = True
    r = e.start(c, "quiz")
    assert c.state.step == "q0" and buttons(r) == ["qz:skip"]  # no Back at the first question
    r = e.answer(c, Answer(text="oui"))
    assert c.state.step == "q1" and buttons(r) == ["qz:skip", "qz:prev"] and c.state.history == []
    skipped.clear()
    e.answer(c, Answer(button="qz:skip"))
    assert c.state.step == "q2" and skipped == ["q1"] and c.state.history == []
    # Back goes to the nearest earlier question asked as things stand, not along a record
    asked["q1"] = False
    e.answer(c, Answer(button="qz:prev"))
    assert c.state.step == "q0"
    asked["q1"] = True
    e.answer(c, Answer(button="qz:prev"))  # an old keyboard's Back at the first question: asked again
    assert c.state.step == "q0"
    e.back(c)  # /back likewise
    assert c.state.step == "q0"
    assert e.answer(c, Answer(button=BACK_DATA)) and c.state.step == "q0"
    # started in the middle (where it was left): Back still reaches the earlier questions
    c = ctx()
    e.start(c, "quiz", {"at": 2})
    assert c.state.step == "q2" and c.state.data == {}
    e.back(c)
    assert c.state.step == "q1"
    e.skip(c)
    e.skip(c)
    assert c.state.dialogue is None  # skipping the last question ends it


def test_skip_and_back_returned_for_a_steps_own_button_do_not_loop():
    reg = Registry()
    reg.add(
        Dialogue(
            id="own",
            confirm=False,
            then=None,
            steps=[
                Step("a", prompt=msg("t.a")),
                Step(
                    "b",
                    prompt=msg("t.b"),
                    kind="any",
                    optional=True,
                    skip_as="own:skip",
                    back_as="own:back",
                    parse=lambda ctx, a, v: Skip() if a.button == "own:skip" else Back(),
                ),
                Step("c", prompt=msg("t.c")),
            ],
        )
    )
    e = Engine(reg)
    c = ctx()
    e.start(c, "own")
    e.answer(c, Answer(text="un"))
    e.skip(c)  # /skip presses own:skip, whose parse asks the engine to skip: it does, once
    assert c.state.step == "c" and c.state.data["b"] is None
    e.back(c)
    e.back(c)  # /back presses own:back, whose parse asks the engine to go back
    assert c.state.step == "a"


def test_on_start_may_begin_further_on_with_the_steps_before_as_answered():
    reg = Registry()
    reg.add(
        Dialogue(
            id="cards",
            confirm=False,
            then=None,
            on_start=lambda ctx: Goto("c", history=("a", "b")) if ctx.state.data.get("resume") else None,
            steps=[Step(s, prompt=msg(f"t.{s}"), kind="any", store=False) for s in "abc"],
        )
    )
    e = Engine(reg)
    c = ctx()
    r = e.start(c, "cards", {"resume": True})
    assert c.state.step == "c" and c.state.history == ["a", "b"] and keys(r) == ["t.c"]
    e.back(c)
    assert c.state.step == "b" and c.state.history == ["a"]
    c = ctx()
    e.start(c, "cards")
    assert c.state.step == "a" and c.state.history == []
