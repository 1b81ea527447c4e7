"""Dialogue "effects": coaching an official from a project idea to well-worded expected effects.

The heart of the loop (DESIGN §4, DOMAIN §1.4 and §2.1):
- the coach tells the level of a statement only when it is sure (domain.effects.classify with the
  calibrated thresholds); otherwise it asks one question with three buttons (what the team does,
  what is delivered or counted, what changes for people) and places the statement from the answer;
- an activity ("organiser 10 ateliers") or an output ("120 jeunes formés") is recognised, said
  kindly in one line with an example for this public, and the question comes back as "after that,
  what will be different for them?";
- "I don't know" offers examples from the knowledge base as buttons;
- a real effect is checked for who, what changes, direction and horizon; only the missing parts
  are asked; then a better wording is proposed from a template: [That's right] [Edit] [Figure];
- the effect is stored with its level, domain, public, polarity and horizon.
"""

from __future__ import annotations

import re
from typing import Any

from domain.knowledge import EffectExample
from domain.buttons import (
    DirectionPick,
    DomainPick,
    EffectClarify,
    ExamplePick,
    HorizonMonths,
    HorizonYear,
    PublicPick,
    TargetShare,
    decode,
)
from domain.dates import read_date
from domain.dialogue import (
    EDIT,
    SUMMARY,
    Answer,
    Ctx,
    Dialogue,
    Goto,
    Invalid,
    Option,
    Reading,
    Start,
    Step,
    read_number,
)
from domain.effects import (
    LEVELS,
    Horizon,
    change_clause,
    check_effect,
    choose_template,
    classify,
    find_horizon,
    horizon_template,
    level_for,
    placed_by_answer,
    rule_clues,
)
from domain.messages import Msg, Reply, msg
from domain.records import Effect, Project

from bot.handlers import Handlers, MenuEntry, reached, with_moment
from bot.handlers._coaching import (
    NextChoice,
    check_project_on_start,
    confidence,
    current_project,
    domain_options,
    entity_values,
    find_effect,
    fmt_number,
    intent_of,
    kb,
    kb_option,
    lexicon,
    next_dialogue,
    project_public_ids,
    public_options,
    raw,
    statement_probs,
    text,
    today,
    who,
)
from bot.handlers._projects import after_edit, choose_project_step, editing, mended
from bot.i18n import plural_rule

DIALOGUE = "effects"
NEXT = "effects_next"
DONT_KNOW = "eff:dk"
WRITE_OWN = "eff:own"
OK, EDIT_WORDING, FIGURE = "eff:ok", "eff:edit", "eff:fig"
MAX_EXAMPLES = 3
DONT_KNOW_MAX_WORDS = 6  # a longer sentence is a statement, even with "3arfin" or "je ne sais" in it
ENTITIES = ("public", "domain", "duration", "percent")


# -- state helpers ---------------------------------------------------------------------------
def _public(ctx: Ctx) -> str | None:
    d = ctx.state.data
    if d.get("public"):
        return d["public"]
    ids = project_public_ids(current_project(ctx))
    return ids[0] if len(ids) == 1 else None


def _flag(name: str):
    return lambda ctx: bool(ctx.state.data.get(name))


def _flag_or_review(name: str):
    """Asked only when needed, but always listed in the summary and the edit menu."""
    return lambda ctx: ctx.state.step in (SUMMARY, EDIT) or bool(ctx.state.data.get(name))


def _examples(ctx: Ctx, domain: str | None = None) -> list[EffectExample]:
    base = kb(ctx)
    public = _public(ctx)
    out = list(base.examples_for(public=public, domain=domain)) if domain else []
    out += [e for e in base.examples_for(public=public) if e not in out]
    out += [e for e in base.effect_examples if e not in out]
    return out


def _coach_lines(ctx: Ctx, kind: str, txt: str, ents: dict[str, list[Any]]) -> list[Msg]:
    """One kind line saying what the answer is, and an example of an effect for this public."""
    d = ctx.state.data
    rounds = int(d.get("coach_rounds") or 0)
    d["coach_rounds"] = rounds + 1
    domains = [str(v) for v in ents.get("domain", ())] + lexicon(ctx).domains_in(txt)
    examples = _examples(ctx, domains[0] if domains else d.get("domain"))
    lines = [msg(f"effects.coach.{kind}", who=who(ctx, _public(ctx)))]
    if examples:
        ex = examples[rounds % len(examples)]
        lines.append(msg("effects.coach.example", example=text(ctx, ex.effect)))
    if rounds >= 1:
        lines.append(msg("effects.coach.examples_hint"))
    return lines


# -- the statement -----------------------------------------------------------------------------
def _statement_prompt(ctx: Ctx) -> Msg | list[Msg]:
    d = ctx.state.data
    w = who(ctx, _public(ctx))
    if d.get("pending"):
        return msg("effects.clarify.ask", text=d["pending"]["text"])
    if d.get("coach") == "activity":
        verb = next((v for v in kb(ctx).coaching.activity_verbs if v.id == d.get("coach_verb")), None)
        if verb is not None:
            return raw(ctx, verb.so_what)
        return msg("effects.ask_after_activity", who=w)
    if d.get("coach") == "output":
        return msg("effects.ask_after_output", who=w)
    return msg("effects.ask", who=w)


def _statement_options(ctx: Ctx) -> list[Option]:
    if ctx.state.data.get("pending"):
        return [Option(EffectClarify(level).encode(), msg(f"effects.clarify.{level}")) for level in LEVELS]
    return [Option(DONT_KNOW, msg("effects.dont_know"))]


def _parse_statement(ctx: Ctx, answer: Answer, txt: str | None) -> Any:
    d = ctx.state.data
    if d.get("pending"):
        placed = _clarified(ctx, answer, txt)
        if placed is not None:
            return placed
    intent, conf = intent_of(answer)
    short = len((txt or "").split()) <= DONT_KNOW_MAX_WORDS
    if answer.button == DONT_KNOW or (intent == "dont_know" and conf >= 0.5 and short):
        d["show_examples"], d["pending"] = True, None
        return Goto("examples")
    if txt is None:
        return Invalid(msg("common.button_expired"))
    d["pending"] = None
    _trap_note(ctx, txt)
    lex = lexicon(ctx)
    c = classify(txt, lex, statement_probs(answer), confidence(ctx))
    ents = _entities(answer)
    if not c.sure:
        # not sure: one question a layperson can answer, then the statement is placed from it
        d["pending"] = {"text": txt, "entities": ents}
        return Goto("statement")
    return _place(ctx, c.kind, txt, ents, c.activity_verb)


def _entities(answer: Answer) -> dict[str, list[Any]]:
    return {name: entity_values(answer, name) for name in ENTITIES}


def _clarified(ctx: Ctx, answer: Answer, txt: str | None) -> Any:
    """The answer to the clarifying question: a button, or a few typed words that point to a
    level ("c'est nous", "les gens changent"); a short answer that points nowhere gets the
    question again. A longer text is a new statement (None: read it as one)."""
    d = ctx.state.data
    pending = d["pending"]
    level: str | None = None
    if answer.button:
        clarified = EffectClarify.read(answer.button)
        if clarified is None or clarified.code not in LEVELS:
            return Invalid(msg("common.button_expired"))
        level = clarified.code
    elif txt:
        if len(txt.split()) > DONT_KNOW_MAX_WORDS:
            return None
        level = placed_by_answer(txt, lexicon(ctx))
    if level is None:
        return Invalid(msg("common.choose_option", n=len(LEVELS)))
    d["pending"] = None
    verbs = lexicon(ctx).activity_verbs_in(pending["text"])
    return _place(ctx, level, pending["text"], pending["entities"], verbs[0] if verbs else None)


def _place(ctx: Ctx, kind: str, txt: str, ents: dict[str, list[Any]], verb: str | None) -> Any:
    """An activity or an output is coached (and the question comes back); an effect is taken."""
    d = ctx.state.data
    if kind in ("activity", "output"):
        d["coach"], d["coach_verb"] = kind, verb if kind == "activity" else None
        reached(ctx, "activity_as_effect")
        return Invalid(_coach_lines(ctx, kind, txt, ents))
    return _take_effect(ctx, ents, txt)


def _trap_note(ctx: Ctx, txt: str) -> None:
    """A word whose level depends on the framework ("résultat", "réalisation", "impact"): say
    once, in one line, what it may mean (DOMAIN §1.3)."""
    said = ctx.state.data.setdefault("traps_said", [])
    for term in kb(ctx).traps_in(txt):
        if term.id not in said and term.trap is not None:
            said.append(term.id)
            ctx.say("effects.trap", note=text(ctx, term.trap.note))
            return


def _take_effect(ctx: Ctx, ents: dict[str, list[Any]], txt: str) -> str:
    """An effect: keep what it says, say what is there and ask only for what is missing."""
    d = ctx.state.data
    lex = lexicon(ctx)
    chk = check_effect(
        txt,
        lex,
        publics=[str(v) for v in ents.get("public", ())],
        domains=[str(v) for v in ents.get("domain", ())],
        durations=ents.get("duration", ()),
        kind="effect",
        today=today(),
    )
    public = chk.public or _public(ctx)
    percents = list(ents.get("percent", ()))
    has_change = lex.change_verb_span(txt) is not None or lex.has_result_verb(txt)
    d.update(
        public=public,
        coach=None,
        coach_verb=None,
        show_examples=False,
        from_example=None,
        own=False,
        own_text=None,
        want_target=False,
        change=change_clause(txt, lex, chk.public) or txt,
        direction=None if chk.direction == "implied" else chk.direction,
        direction_chosen=False,
        horizon=chk.horizon.as_text() or None,
        domain=chk.domain,
        ask_change=not has_change,
        ask_direction=not has_change and chk.direction is None,
        ask_horizon=not chk.horizon.known,
        ask_domain=chk.domain is None,
        target=_percent(percents[0]) if percents else None,
        target_share=bool(percents),
    )
    if d["target"] is None:
        d["target_share"] = False
    if d["ask_change"]:
        ctx.say("effects.coach.vague")
    elif d["ask_horizon"]:
        ctx.say("effects.coach.no_horizon")
    else:
        ctx.say("effects.coach.good")
    return txt


def _percent(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if 0 < x <= 100 else None


# -- examples (when the user does not know) ----------------------------------------------------
def _shown_examples(ctx: Ctx) -> list[EffectExample]:
    return _examples(ctx, ctx.state.data.get("domain"))[:MAX_EXAMPLES]


def _examples_prompt(ctx: Ctx) -> list[Msg]:
    lines = [msg("effects.examples_intro", who=who(ctx, _public(ctx)))]
    for i, ex in enumerate(_shown_examples(ctx), 1):
        lines.append(msg("effects.example_line", n=i, text=text(ctx, ex.effect)))
    return lines


def _example_options(ctx: Ctx) -> list[Option]:
    opts = [
        Option(ExamplePick(ex.id).encode(), msg("effects.example_pick", n=i))
        for i, ex in enumerate(_shown_examples(ctx), 1)
    ]
    return opts + [Option(WRITE_OWN, msg("effects.write_own"))]


def _parse_example(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    d = ctx.state.data
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(_example_options(ctx))))
    if choice == WRITE_OWN:
        d["show_examples"] = False
        d["coach"] = None
        return Goto("statement")
    ex = next((e for e in _shown_examples(ctx) if ExamplePick(e.id).encode() == choice), None)
    if ex is None:
        return Invalid(msg("common.button_expired"))
    h = find_horizon(text(ctx, ex.effect), today=today())
    d.update(
        from_example=ex.id,
        domain=ex.domain,
        public=_public(ctx) or ex.public,
        own=False,
        own_text=None,
        want_target=False,
        change=None,
        direction=None,
        target=None,
        target_share=False,
        ask_change=False,
        ask_direction=False,
        horizon=h.as_text() or None,
        ask_horizon=not h.known,
        ask_domain=False,
    )
    return choice


# -- the missing parts ---------------------------------------------------------------------------
def _parse_change(ctx: Ctx, answer: Answer, txt: str | None) -> Any:
    d = ctx.state.data
    if txt is None:
        return Invalid(msg("common.button_expired"))
    lex = lexicon(ctx)
    c = classify(txt, lex, statement_probs(answer), confidence(ctx))
    # asked for a change: only a sure verdict refuses, and the answer is a clause whose subject the
    # question gave (the people); the bars were calibrated on whole statements, so on a clause the
    # model alone does not refuse: a lexicon clue of an activity or an output must be there too
    if c.sure and c.kind in ("activity", "output") and rule_clues(txt, lex)[0] in ("activity", "output"):
        return Invalid(_coach_lines(ctx, c.kind, txt, _entities(answer)))
    chk = check_effect(txt, lex, kind=c.kind, durations=entity_values(answer, "duration"), today=today())
    when = _only_a_time(answer, txt)
    if when is not None:  # "f 12 chhar": when, not what; noted, and the change asked again
        d["horizon"], d["ask_horizon"] = when, False
        return Invalid(msg("effects.when_noted", when=_show_horizon(ctx, when)))
    d["change"] = change_clause(txt, lex, chk.public) or txt
    own_direction = lex.direction_in(txt)
    if own_direction or lex.change_verb_span(txt) is not None:  # the answer says it itself
        d.update(direction=own_direction, ask_direction=False, direction_chosen=False)
    elif d.get("direction"):  # said in the first sentence ("plus d'emploi pour les jeunes")
        d.update(ask_direction=False, direction_chosen=True)
    else:
        d["ask_direction"] = True
    if d.get("ask_horizon") and chk.horizon.known:
        d["horizon"], d["ask_horizon"] = chk.horizon.as_text(), False
    if d.get("ask_domain") and chk.domain:
        d["domain"], d["ask_domain"] = chk.domain, False
    return d["change"]  # stored as this step's value: the clause, without its subject


def _only_a_time(answer: Answer, txt: str) -> str | None:
    """The horizon a message gives when it is nothing but a time ("f 12 chhar", "dans 12 mois",
    "d'ici fin 2027"): outside the NLU's date, duration and number spans, at most two short
    words ("dans", "f", "في غضون"); None otherwise."""
    u = answer.understanding
    spans = [
        (e.start, e.end)
        for e in (u.entities if u is not None else ())
        if e.entity in ("date", "duration", "number") and e.start < e.end
    ]
    if not any(e.entity in ("date", "duration") for e in (u.entities if u is not None else ())):
        return None
    rest = "".join(" " if any(a <= i < b for a, b in spans) else ch for i, ch in enumerate(txt))
    words = [w for w in re.split(r"[\s,.;:!?؟،'’-]+", rest) if w]
    if len(words) > 2 or any(len(w) > 5 for w in words):
        return None
    h = _horizon_of(read_date(txt, entity_values(answer, "date"), [], today(), end=True)[0])
    if not h.known:
        h = find_horizon(txt, entity_values(answer, "duration"), today())
    return h.as_text() if h.known else None


def _direction_options(ctx: Ctx) -> list[Option]:
    return [kb_option(ctx, DirectionPick(x.id).encode(), x.label) for x in kb(ctx).templates.directions]


def _parse_direction(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(_direction_options(ctx))))
    direction = DirectionPick.read(choice)
    if direction is None:
        return Invalid(msg("common.button_expired"))
    ctx.state.data["direction_chosen"] = True
    return direction.code


def _end_year(ctx: Ctx) -> int:
    project = current_project(ctx)
    now = today()
    if project is not None and project.period_end is not None and project.period_end.year >= now.year:
        return project.period_end.year
    return now.year if now.month < 10 else now.year + 1


def _horizon_options(ctx: Ctx) -> list[Option]:
    return [
        Option(HorizonMonths(6).encode(), msg("effects.horizon_months", n=6)),
        Option(HorizonMonths(12).encode(), msg("effects.horizon_months", n=12)),
        Option(
            HorizonYear(_end_year(ctx)).encode(),
            msg("effects.horizon_year", year=_end_year(ctx)),
            # "d'ici la fin du projet" is this button when the project's end is that year
            words=msg("effects.horizon_project_end") if _project_ends(ctx) else None,
        ),
    ]


def _project_ends(ctx: Ctx) -> bool:
    project = current_project(ctx)
    return (
        project is not None and project.period_end is not None and project.period_end.year == _end_year(ctx)
    )


def _parse_horizon(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is not None:
        pressed = decode(choice)
        if isinstance(pressed, HorizonYear):
            h = Horizon(year=pressed.year)
        elif isinstance(pressed, HorizonMonths):
            h = Horizon(months=pressed.months)
        else:
            return Invalid(msg("common.button_expired"))
    else:
        if answer.button:
            return Invalid(msg("common.button_expired"))
        raw_text = (answer.text or "").strip()
        h = _horizon_of(read_date(raw_text, entity_values(answer, "date"), [], today(), end=True)[0])
        if not h.known:
            h = find_horizon(raw_text, entity_values(answer, "duration"), today())
        if not h.known and raw_text.isdigit() and 1 <= int(raw_text) <= 120:
            h = Horizon(months=int(raw_text))
        if not h.known:
            return Invalid(msg("effects.horizon_invalid"))
    return h.as_text()


def _horizon_of(day: Any) -> Horizon:
    """A date said in words ("fin mars", "février 2027"): the end of a year, or the months
    until then."""
    now = today()
    if day is None or day <= now:
        return Horizon()
    if (day.month, day.day) == (12, 31):
        return Horizon(year=day.year)
    return Horizon(months=max(1, (day.year - now.year) * 12 + day.month - now.month))


def _show_horizon(ctx: Ctx, value: Any) -> Msg:
    h = Horizon.parse(value)
    if h.year is not None:
        return msg("effects.horizon_year", year=h.year)
    if h.months is not None:
        return msg("effects.horizon_months", n=h.months)
    return msg("summary.empty")


# -- the figure ------------------------------------------------------------------------------------
TARGET_BUTTONS = (30, 50)  # shares in percent


def _target_options(ctx: Ctx) -> list[Option]:
    return [Option(TargetShare(v).encode(), msg("effects.target_share", n=str(v))) for v in TARGET_BUTTONS]


def _parse_target(ctx: Ctx, answer: Answer, number: float | None) -> Any:
    d = ctx.state.data
    if answer.button:
        pressed = TargetShare.read(answer.button)
        if pressed is None:
            return Invalid(msg("common.button_expired"))
        d["target"], d["target_share"] = pressed.percent, True
        return d["target"]
    if number is None:
        return Invalid(msg("common.need_number"))
    share = bool(entity_values(answer, "percent")) or "%" in (answer.text or "")
    if share and number > 100:
        return Invalid(msg("effects.share_too_big"))
    if number <= 0:
        return Invalid(msg("common.number_too_small", min=1))
    d["target"], d["target_share"] = float(number), share
    return d["target"]


# -- the proposal ------------------------------------------------------------------------------------
def compose(ctx: Ctx) -> str:
    """The wording to propose (or the user's own, or the chosen example), always up to date."""
    d = ctx.state.data
    if d.get("own_text"):
        return str(d["own_text"])
    if d.get("from_example"):
        ex = next((e for e in kb(ctx).effect_examples if e.id == d["from_example"]), None)
        if ex is not None:
            return text(ctx, ex.effect)
    h = Horizon.parse(d.get("horizon"))
    if not h.known:
        h = Horizon(months=12)
    hid, months = horizon_template(h)
    hvals: dict[str, str | int] = dict(months)
    change = str(d.get("change") or "")
    if d.get("direction_chosen") and d.get("direction"):
        change = ctx.render(msg(f"effects.direction_phrase.{d['direction']}", what=change))
    target = d.get("target")
    values: dict[str, Any] = {"who": who(ctx, _public(ctx)), "change": change}
    if target is not None:
        values["target"] = fmt_number(target)
    tid = choose_template(target, bool(d.get("target_share")))
    lang = ctx.lang or "fr"
    return kb(ctx).templates.propose(lang, tid, hid, hvals, plural=plural_rule(lang), **values)


def _proposal_prompt(ctx: Ctx) -> list[Msg]:
    d = ctx.state.data
    key = (
        "effects.proposal_current"
        if editing(ctx) and d.get("own_text")
        else "effects.proposal_example"
        if d.get("from_example")
        else "effects.proposal"
    )
    return [msg(key, text=compose(ctx))]


def _proposal_options(ctx: Ctx) -> list[Option]:
    d = ctx.state.data
    opts = [Option(OK, msg("effects.ok")), Option(EDIT_WORDING, msg("effects.edit"))]
    if not d.get("from_example") and not d.get("own_text"):
        label = "effects.change_figure" if d.get("target") is not None else "effects.add_figure"
        opts.append(Option(FIGURE, msg(label), words=msg("effects.figure_words")))
    return opts


def _figure_typed(ctx: Ctx, answer: Answer) -> Reading | None:
    """A figure typed at the proposal ("70%", "tlt rbo3", "النصف", "mitin"): a share, or a
    count beyond the buttons' numbers, in a short answer (a sentence is a new statement)."""
    text = (answer.text or "").strip()
    if answer.button or not text or len(text.split()) > 5:
        return None
    reading = read_number(answer)
    if reading is None or not (reading.percent or reading.value > len(_proposal_options(ctx))):
        return None
    return reading


def _parse_proposal(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    d = ctx.state.data
    if choice == OK:
        d["own"] = False
        return choice
    if choice == EDIT_WORDING:
        d["own"] = True
        return Goto("own_wording", choice)
    if choice == FIGURE:
        d["want_target"] = True
        return Goto("target", choice)
    figure = _figure_typed(ctx, answer) if choice is None else None
    if figure is not None:  # the figure itself, without pressing "add a figure" first
        verdict = _parse_target(ctx, answer, figure.value)
        if isinstance(verdict, Invalid):
            return verdict
        d["want_target"] = True
        if not figure.literal:
            ctx.understood(figure.shown())
        return Goto("proposal", FIGURE)
    if answer.intent == "affirm" and read_number(answer) is None:
        return OK
    return Invalid(msg("common.choose_option", n=len(_proposal_options(ctx))))


def _own_prompt(ctx: Ctx) -> list[Msg]:
    return [msg("effects.ask_own", text=compose(ctx))]


def _parse_own(ctx: Ctx, answer: Answer, txt: str | None) -> Any:
    if txt is None:
        return Invalid(msg("common.button_expired"))
    c = classify(txt, lexicon(ctx), statement_probs(answer), confidence(ctx))
    if c.sure and c.kind in ("activity", "output"):
        return Invalid(_coach_lines(ctx, c.kind, txt, _entities(answer)))
    ctx.state.data["own_text"] = txt
    return txt


def _parse_domain(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(domain_options(ctx))))
    domain = DomainPick.read(choice)
    if domain is None:
        return Invalid(msg("common.button_expired"))
    ctx.state.data["domain"] = domain.code
    return domain.code


def _parse_public(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(public_options(ctx, current_project(ctx)))))
    public = PublicPick.read(choice)
    if public is None:
        return Invalid(msg("common.button_expired"))
    ctx.state.data["public"] = public.code
    return public.code


def _when_public(ctx: Ctx) -> bool:
    if ctx.state.step in (SUMMARY, EDIT):
        return True
    return len(project_public_ids(current_project(ctx))) != 1


def _show_public(ctx: Ctx, value: Any) -> Msg:
    pub = kb(ctx).public(_public(ctx) or "")
    return raw(ctx, pub.label) if pub else msg("summary.empty")


def _show_domain(ctx: Ctx, value: Any) -> Msg:
    dom = kb(ctx).domain(ctx.state.data.get("domain") or "")
    return raw(ctx, dom.label) if dom else msg("summary.empty")


# -- mending a recorded effect ----------------------------------------------------------------------
def edit_data(project: Project, effect: Effect) -> dict[str, Any]:
    """The dialogue's data for mending a recorded expected effect (opened on its summary): its
    wording is kept as the user's own, so confirming without a change changes nothing."""
    return {
        "project_id": project.id,
        "record_id": effect.id,
        "public": effect.public,
        "own_text": effect.statement,
        "horizon": effect.horizon,
        "domain": effect.domain,
        "ask_horizon": False,
        "ask_domain": False,
        "own": False,
    }


def _update(ctx: Ctx, project: Project) -> Start:
    d = ctx.state.data
    effect = find_effect(project, d.get("record_id"))
    if effect is None or not effect.expected:
        return after_edit(ctx, "records.not_found")
    h = Horizon.parse(d.get("horizon"))
    horizon = h.as_text() or None
    if horizon != effect.horizon:  # the level follows the horizon only when it changes
        effect.level = level_for(h, today())  # type: ignore[assignment]
    effect.statement = compose(ctx)[:2000]
    effect.horizon = horizon
    effect.public = d.get("public") or effect.public
    effect.domain = d.get("domain")
    return mended(ctx, project, "effect", effect.id)


# -- saving ----------------------------------------------------------------------------------------
def _save(ctx: Ctx) -> list[Reply] | Start:
    d = ctx.state.data
    project = current_project(ctx)
    if project is None:
        return [Reply.of("projects.not_found")]
    if editing(ctx):
        return _update(ctx, project)
    h = Horizon.parse(d.get("horizon"))
    effect = Effect(
        statement=compose(ctx)[:2000],
        level=level_for(h, today()),  # type: ignore[arg-type]
        expected=True,
        polarity="positive",
        domain=d.get("domain"),
        public=_public(ctx),
        horizon=h.as_text() or None,
    )
    project.effects.append(effect)
    saved = ctx.uow.projects.save(project)
    ctx.say("effects.saved", title=project.title, n=len(saved.effects))
    return Start(NEXT, {"project_id": saved.id, "effect_id": saved.effects[-1].id})


def _on_start(ctx: Ctx) -> Start | None:
    return check_project_on_start(ctx)


def setup(h: Handlers) -> None:
    h.registry.add(
        Dialogue(
            id=DIALOGUE,
            on_start=with_moment(_on_start, DIALOGUE, "effect"),
            on_complete=_save,
            summary_title=msg("effects.summary_title"),
            steps=[
                choose_project_step(),
                Step(
                    "public",
                    prompt=msg("effects.ask_public"),
                    kind="choice",
                    options=lambda ctx: public_options(ctx, current_project(ctx)),
                    parse=_parse_public,
                    when=_when_public,
                    label=msg("effects.label.public"),
                    show=_show_public,
                ),
                Step(
                    "statement",
                    prompt=_statement_prompt,
                    kind="text",
                    max_len=400,
                    options=_statement_options,
                    parse=_parse_statement,
                ),
                Step(
                    "examples",
                    prompt=_examples_prompt,
                    kind="choice",
                    options=_example_options,
                    parse=_parse_example,
                    when=_flag("show_examples"),
                ),
                Step(
                    "change",
                    prompt=lambda ctx: msg("effects.ask_change", who=who(ctx, _public(ctx))),
                    kind="text",
                    max_len=300,
                    parse=_parse_change,
                    when=_flag("ask_change"),
                ),
                Step(
                    "direction",
                    prompt=msg("effects.ask_direction"),
                    kind="choice",
                    options=_direction_options,
                    parse=_parse_direction,
                    when=_flag("ask_direction"),
                ),
                Step(
                    "horizon",
                    prompt=msg("effects.ask_horizon"),
                    kind="choice",
                    options=_horizon_options,
                    parse=_parse_horizon,
                    values="number",
                    when=_flag_or_review("ask_horizon"),
                    label=msg("effects.label.horizon"),
                    show=_show_horizon,
                ),
                Step(
                    "target",
                    prompt=msg("effects.ask_target"),
                    kind="number",
                    options=_target_options,
                    parse=_parse_target,
                    optional=True,
                    when=_flag("want_target"),
                    next="proposal",
                ),
                Step(
                    "proposal",
                    prompt=_proposal_prompt,
                    kind="choice",
                    options=_proposal_options,
                    parse=_parse_proposal,
                    label=msg("effects.label.statement"),
                    show=lambda ctx, v: msg("common.raw", text=compose(ctx)),
                ),
                Step(
                    "own_wording",
                    prompt=_own_prompt,
                    kind="text",
                    max_len=400,
                    parse=_parse_own,
                    when=_flag("own"),
                ),
                Step(
                    "domain",
                    prompt=msg("effects.ask_domain"),
                    kind="choice",
                    options=domain_options,
                    parse=_parse_domain,
                    when=_flag_or_review("ask_domain"),
                    label=msg("effects.label.domain"),
                    show=_show_domain,
                ),
            ],
        )
    )
    h.registry.add(
        next_dialogue(
            h,
            NEXT,
            msg("effects.next.ask"),
            [
                NextChoice("nx:more", msg("effects.next.more"), DIALOGUE, intent="add_effect"),
                NextChoice(
                    "nx:unexpected", msg("effects.next.unexpected"), "unexpected", intent="add_unexpected"
                ),
                NextChoice(
                    "nx:indicators",
                    msg("effects.next.indicators"),
                    "indicators",
                    keep=("project_id", "effect_id"),
                    intent="add_indicator",
                ),
            ],
        )
    )
    h.add_menu(
        MenuEntry(
            data="menu:effects", label=msg("effects.menu"), dialogue=DIALOGUE, order=30, intent="add_effect"
        )
    )
