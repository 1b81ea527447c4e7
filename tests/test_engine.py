"""The dialogue engine on a toy dialogue (no database: the engine is pure)."""

from __future__ import annotations

from domain.dialogue import (
    CONFIRM_DATA,
    EDIT,
    EDIT_DATA,
    RESTART_DATA,
    RESUME,
    RESUME_DATA,
    SKIP_DATA,
    SUMMARY,
    VALUE_DATA,
    Answer,
    Ctx,
    Dialogue,
    DialogueState,
    Engine,
    Invalid,
    Option,
    Registry,
    Step,
    parse_number,
)
from domain.messages import msg
from domain.nlu import Entity, Intent, Understanding

done: list[dict] = []


def make_engine() -> Engine:
    reg = Registry()
    reg.add(
        Dialogue(
            id="toy",
            then=None,
            on_complete=lambda ctx: done.append(dict(ctx.state.data)) or [],
            steps=[
                Step("title", prompt=msg("t.title"), label=msg("t.title"), max_len=20),
                Step(
                    "public",
                    prompt=msg("t.public"),
                    kind="choice",
                    label=msg("t.public"),
                    options=[Option("pub:youth", msg("pub.youth")), Option("pub:women", msg("pub.women"))],
                ),
                Step(
                    "number",
                    prompt=msg("t.number"),
                    kind="number",
                    optional=True,
                    min_value=1,
                    max_value=100000,
                    label=msg("t.number"),
                ),
                Step(
                    "why",
                    prompt=msg("t.why"),
                    label=msg("t.why"),
                    parse=lambda ctx, a, v: (
                        Invalid(msg("t.activity")) if v and v.startswith("organiser") else v
                    ),
                ),
            ],
        )
    )
    return Engine(reg)


def ctx() -> Ctx:
    labels = {"pub.youth": "Jeunes", "pub.women": "Femmes"}
    return Ctx(state=DialogueState(), lang="fr", uow=None, render=lambda m: labels.get(m.key, m.key))


def keys(replies) -> list[str]:
    return [m.key for r in replies for m in r.lines]


def test_a_whole_dialogue_with_back_skip_edit_and_confirm():
    e, c = make_engine(), ctx()
    r = e.start(c, "toy")
    assert keys(r) == ["t.title"] and c.state.step == "title"
    assert "common.empty" in keys(e.answer(c, Answer(text="   ")))
    assert "common.need_words" in keys(e.answer(c, Answer(text="🙂🙂")))
    assert "common.too_long" in keys(e.answer(c, Answer(text="x" * 21)))
    assert c.state.step == "title"
    e.answer(c, Answer(text="Ateliers emploi"))
    assert c.state.step == "public"
    # a typed label, case and accents aside, selects the option; so does its number
    assert "common.choose_option" in keys(e.answer(c, Answer(text="hommes")))
    e.answer(c, Answer(text="FEMMES"))
    assert c.state.data["public"] == "pub:women"
    e.back(c)
    assert c.state.step == "public"
    e.answer(c, Answer(text="1"))
    assert c.state.data["public"] == "pub:youth"
    # number: words are refused, the bounds hold, skip is allowed
    assert "common.need_number" in keys(e.answer(c, Answer(text="beaucoup")))
    assert "common.number_too_big" in keys(e.answer(c, Answer(text="999999")))
    e.answer(c, Answer(button=SKIP_DATA))
    assert c.state.data["number"] is None and c.state.step == "why"
    # a hook refuses an activity with its own explanation, then accepts a change
    assert "t.activity" in keys(e.answer(c, Answer(text="organiser des ateliers")))
    r = e.answer(c, Answer(text="Les jeunes trouvent un emploi"))
    assert c.state.step == SUMMARY and "summary.title" in keys(r)
    # edit one field from the summary, come back to the summary
    e.answer(c, Answer(button=EDIT_DATA))
    assert c.state.step == EDIT
    e.answer(c, Answer(button="edit:number"))
    assert c.state.step == "number"
    e.answer(c, Answer(text="١٢٠ jeunes"))  # Arabic-Indic digits
    assert c.state.step == SUMMARY and c.state.data["number"] == 120.0
    done.clear()
    e.answer(c, Answer(button=CONFIRM_DATA))
    assert done == [
        {
            "title": "Ateliers emploi",
            "public": "pub:youth",
            "number": 120.0,
            "why": "Les jeunes trouvent un emploi",
        }
    ]
    assert c.state.dialogue is None


def test_required_steps_cannot_be_skipped_and_back_at_start_says_so():
    e, c = make_engine(), ctx()
    e.start(c, "toy")
    assert "nav.cannot_skip" in keys(e.skip(c))
    assert "nav.at_first_step" in keys(e.back(c))
    assert c.state.step == "title"


def test_an_old_button_is_refused_kindly():
    e, c = make_engine(), ctx()
    e.start(c, "toy")
    e.answer(c, Answer(text="Titre"))
    assert "common.button_expired" in keys(e.answer(c, Answer(button="menu:new_project")))
    assert c.state.step == "public"


def test_a_button_that_is_not_the_steps_never_reaches_its_parse():
    """Whatever the step's kind (here a number step with buttons, a text step with one), data
    that is not one of its buttons is refused before its parse hook reads it; the step's own
    refusal when it declares one."""
    seen: list[Answer] = []

    def parse(ctx, answer, value):
        seen.append(answer)
        return float(answer.button[3:]) if answer.button else value

    reg = Registry()
    reg.add(
        Dialogue(
            id="d",
            then=None,
            confirm=False,
            steps=[
                Step(
                    "n",
                    prompt=msg("t.n"),
                    kind="number",
                    options=[Option("tg:30", msg("t.30"))],
                    parse=parse,
                    optional=True,
                ),
                Step(
                    "t",
                    prompt=msg("t.t"),
                    parse=lambda ctx, a, v: seen.append(a) or v,
                    skip_as="k:keep",
                    foreign=Invalid(msg("t.gone"), reprompt=False),
                ),
            ],
        )
    )
    e, c = Engine(reg), ctx()
    e.start(c, "d")
    for data in ("tg:abc", "tg:", "tg:inf", "k:keep", CONFIRM_DATA, "x" * 64):
        assert keys(e.answer(c, Answer(button=data))) == ["common.button_expired", "t.n"]
    assert seen == [] and c.state.step == "n" and c.state.data == {}
    e.answer(c, Answer(button="tg:30"))
    assert c.state.data == {"n": 30.0} and c.state.step == "t"
    assert keys(e.answer(c, Answer(button="tg:30"))) == ["t.gone"]  # no prompt: reprompt=False
    assert c.state.step == "t" and len(seen) == 1
    e.skip(c)  # /skip presses the step's own skip_as button, even if not listed
    assert c.state.dialogue is None and len(seen) == 2


def test_number_from_the_nlu_entity_wins():
    e, c = make_engine(), ctx()
    e.start(c, "toy")
    e.answer(c, Answer(text="Titre"))
    e.answer(c, Answer(button="pub:youth"))
    u = Understanding(
        text="mia w 3echrin",
        intent=Intent(name="out_of_scope", confidence=0.5),
        entities=[Entity(entity="number", value=120)],
    )
    e.answer(c, Answer(text="mia w 3echrin", understanding=u))
    assert c.state.data["number"] == 120


def test_state_is_json_round_trippable():
    e, c = make_engine(), ctx()
    e.start(c, "toy")
    e.answer(c, Answer(text="Titre"))
    dumped = c.state.model_dump(mode="json")
    again = DialogueState.model_validate(dumped)
    assert again == c.state and again.history == ["title"]


def test_parse_number():
    assert parse_number("120 jeunes") == 120
    assert parse_number("٣٠٪") == 30
    assert parse_number("2,5") == 2.5
    assert parse_number("aucun") is None
    assert parse_number("sab3in") is None  # Arabizi letters, not a number
    assert parse_number("ma3rftch") is None


def value_engine() -> Engine:
    reg = Registry()
    reg.add(
        Dialogue(
            id="fig",
            then=None,
            on_complete=lambda ctx: done.append(dict(ctx.state.data)) or [],
            title=msg("t.fig"),
            steps=[
                Step("title", prompt=msg("t.title"), label=msg("t.title")),
                Step(
                    "target",
                    prompt=msg("t.target"),
                    kind="number",
                    label=msg("t.target"),
                    options=[Option("tg:30p", msg("t.at_least_30")), Option("tg:50p", msg("t.at_least_50"))],
                    parse=lambda ctx, a, v: a.button or v,
                ),
            ],
        )
    )
    return Engine(reg)


def value_ctx() -> Ctx:
    labels = {"t.at_least_30": "au moins 30 %", "t.at_least_50": "au moins 50 %"}
    return Ctx(state=DialogueState(), lang="fr", uow=None, render=lambda m: labels.get(m.key, m.key))


def test_a_number_that_could_be_a_buttons_position_is_asked_about():
    e, c = value_engine(), value_ctx()
    e.start(c, "fig")
    e.answer(c, Answer(text="Titre"))
    r = e.answer(c, Answer(text="2"))
    assert keys(r) == ["common.value_or_option"] and c.extra.get("refused")
    assert [b.data for b in r[0].buttons] == [VALUE_DATA, "tg:50p"] and c.state.step == "target"
    e.answer(c, Answer(button="tg:50p"))  # it was the button
    assert c.state.data["target"] == "tg:50p"
    e.back(c)
    e.answer(c, Answer(text="2"))
    e.answer(c, Answer(text="2"))  # typed again: the value
    assert c.state.data["target"] == 2
    e.back(c)
    e.answer(c, Answer(text="120"))  # no button has that position: a value, no question
    assert c.state.data["target"] == 120 and c.state.pending is None


def test_a_typed_label_selects_the_button_at_a_number_step():
    e, c = value_engine(), value_ctx()
    e.start(c, "fig")
    e.answer(c, Answer(text="Titre"))
    e.answer(c, Answer(text="Au moins 50%"))
    assert c.state.data["target"] == "tg:50p"


def test_a_number_read_from_words_is_echoed_back():
    e, c = value_engine(), value_ctx()
    e.start(c, "fig")
    e.answer(c, Answer(text="Titre"))
    u = Understanding(
        text="sab3in f lmya",
        intent=Intent(name="nlu_fallback", confidence=0.2),
        entities=[Entity(entity="percent", value=70.0, start=0, end=13)],
    )
    e.answer(c, Answer(text="sab3in f lmya", understanding=u))
    assert c.state.data["target"] == 70
    (note,) = [m for r in c.notes for m in r.lines]
    assert note.key == "common.understood" and note.params["value"].key == "common.percent"
    assert note.params["value"].params == {"n": "70"}
    c.notes.clear()
    e.back(c)
    e.answer(c, Answer(text="70"))  # digits: nothing to echo
    assert not c.notes


def test_a_left_dialogue_is_kept_as_a_draft_and_resumed():
    e, c = make_engine(), ctx()
    e.start(c, "toy")
    assert not e.has_input(c)
    e.answer(c, Answer(text="Ateliers"))
    assert e.has_input(c)
    assert e.leave(c) and c.state.dialogue is None
    assert c.state.drafts["toy"]["data"] == {"title": "Ateliers"}
    r = e.start(c, "toy")
    assert c.state.step == RESUME and [b.data for b in r[0].buttons] == [RESUME_DATA, RESTART_DATA]
    e.answer(c, Answer(button=RESUME_DATA))
    assert c.state.step == "public" and c.state.data == {"title": "Ateliers"}
    assert c.state.drafts == {} and c.state.history == ["title"]
    # leave again, then start afresh: the draft is dropped
    e.leave(c)
    e.start(c, "toy")
    e.answer(c, Answer(button=RESTART_DATA))
    assert c.state.step == "title" and c.state.data == {} and c.state.drafts == {}


def test_a_draft_is_offered_only_for_the_same_project():
    e, c = make_engine(), ctx()
    e.start(c, "toy", {"project_id": 1})
    e.answer(c, Answer(text="Ateliers"))
    e.leave(c)
    e.start(c, "toy", {"project_id": 2})
    assert c.state.step == "title" and "toy" in c.state.drafts
    e.start(c, "toy", {"project_id": 1})
    assert c.state.step == RESUME
