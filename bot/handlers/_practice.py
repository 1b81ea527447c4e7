"""The learning modules on the official's own project: the example taken from their records, and
the practice question judged with the rules the dialogues use (domain/effects.py: `classify`
and the clarifying question, `check_effect`, `smart_check`), never a copy of them.

`own_lines` says what the module looks like on the project (their activity up the "so what?"
ladder, their effect checked part by part, their circle, their partners, their publics and
polls, their figures); `item` chooses what the practice is about (one of their statements, one
of their indicators, else a library example); `judge` reads the answer and says whether it is
right, with the coaching lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.knowledge import Lesson
from domain.buttons import LevelClarify, LevelPick, PracticeChoice, SmartGroup
from domain.dialogue import Answer, Ctx, Option
from domain.effects import LEVELS, check_effect, classify, placed_by_answer, smart_check
from domain.knowledge import indicator_draft, suggest_indicators
from domain.messages import Msg, msg
from domain.records import Effect, Project

from bot.handlers._coaching import (
    confidence,
    fmt_number,
    kb,
    lexicon,
    project_public_ids,
    raw,
    statement_probs,
    text,
    today,
    who,
)

MAX_TRIES = 3  # written answers coached before the module shows an example and moves on
# The fields smart_check names, grouped as a person would say what is missing.
SMART_GROUPS: dict[str, tuple[str, ...]] = {
    "definition": ("unit", "definition", "calculation"),
    "baseline": ("baseline_value", "baseline_date", "baseline_source"),
    "target": ("target_value", "target_date"),
    "source": ("source", "frequency", "collector"),
    "disaggregation": ("disaggregation",),
}
PARTNERS = ("associations", "commune_actors", "state_services")
PARTS = ("who", "change", "direction", "horizon")


@dataclass
class Verdict:
    """What an answer to the practice question comes to."""

    right: bool | None  # None: not judged yet (the coach asks which level first)
    lines: list[Msg] = field(default_factory=list)
    done: bool = False  # the practice is over (right, a quiz answered, or tries used up)


# -- the project's own material ------------------------------------------------------------------
def _public(project: Project | None) -> str | None:
    ids = project_public_ids(project)
    return ids[0] if ids else None


def _expected(project: Project | None) -> list[Effect]:
    return [e for e in (project.effects if project else []) if e.expected and e.level != "output"]


def _join(ctx: Ctx, items: list[str]) -> str:
    return ctx.render(msg("lessons.list_sep")).join(items)


def _party_name(ctx: Ctx, group: str) -> str:
    party = kb(ctx).party(group)
    return text(ctx, party.label) if party else group


def _verb(ctx: Ctx, statement: str) -> Any:
    lex = lexicon(ctx)
    verb_id = lex.leading_activity_verb(statement) or next(iter(lex.activity_verbs_in(statement)), None)
    return next((v for v in kb(ctx).coaching.activity_verbs if v.id == verb_id), None)


def _library_example(ctx: Ctx, project: Project | None) -> Any:
    examples = kb(ctx).examples_for(public=_public(project)) or list(kb(ctx).effect_examples)
    return examples[0]


def own_lines(ctx: Ctx, lesson: Lesson, project: Project | None) -> list[Msg]:
    """The module on the user's project, in a few lines (nothing when it has nothing to show)."""
    builder = OWN.get(lesson.id)
    return builder(ctx, project) if builder is not None else []


def _own_ladder(ctx: Ctx, project: Project | None) -> list[Msg]:
    activity = next(iter(project.activities), None) if project else None
    if not activity or project is None:
        ex = _library_example(ctx, project)
        return [
            msg(
                "lessons.own.example_ladder",
                activity=text(ctx, ex.activity),
                output=text(ctx, ex.output),
                effect=text(ctx, ex.effect),
            )
        ]
    verb = _verb(ctx, activity)
    so_what = (
        msg("lessons.so_what", question=text(ctx, verb.so_what))
        if verb is not None
        else msg("effects.ask_after_activity", who=who(ctx, _public(project)))
    )
    lines = [msg("lessons.own.ladder", title=project.title, activity=activity, question=ctx.render(so_what))]
    effect = next(iter(_expected(project)), None)
    lines.append(
        msg("lessons.own.ladder_effect", effect=effect.statement)
        if effect
        else msg("lessons.own.ladder_open")
    )
    return lines


def _own_circle(ctx: Ctx, project: Project | None) -> list[Msg]:
    if project is None:
        return []
    seen = list(dict.fromkeys(s.group for s in project.stakeholders))
    others = [p.id for p in kb(ctx).parties if p.id not in seen]
    if not seen:
        return [msg("lessons.own.circle_empty", title=project.title)]
    lines = [
        msg("lessons.own.circle", title=project.title, groups=_join(ctx, [_party_name(ctx, g) for g in seen]))
    ]
    if others:
        lines.append(
            msg("lessons.own.circle_others", groups=_join(ctx, [_party_name(ctx, g) for g in others]))
        )
    return lines


def part_marks(ctx: Ctx, statement: str) -> str:
    """ "qui ✅ · quoi ✅ · sens ✅ · quand ❌": the parts of an effect the coach finds."""
    missing = check_effect(statement, lexicon(ctx), kind="effect", today=today()).missing
    return " · ".join(
        ctx.render(msg(f"lessons.part.{p}")) + (" ❌" if p in missing else " ✅") for p in PARTS
    )


def _own_effect(ctx: Ctx, project: Project | None) -> list[Msg]:
    if project is None:
        return []
    effect = next(iter(_expected(project)), None)
    if effect is None:
        return [msg("lessons.own.effect_none", title=project.title)]
    return [msg("lessons.own.effect_check", effect=effect.statement, marks=part_marks(ctx, effect.statement))]


def _own_partners(ctx: Ctx, project: Project | None) -> list[Msg]:
    if project is None:
        return []
    partners = [
        s for s in project.stakeholders if s.kind in ("intermediary", "institution") or s.group in PARTNERS
    ]
    names = list(dict.fromkeys(_party_name(ctx, s.group) for s in partners))
    if not names:
        return [msg("lessons.own.partners_none", title=project.title)]
    return [msg("lessons.own.partners", title=project.title, partners=_join(ctx, names))]


def _own_indicator(ctx: Ctx, project: Project | None) -> list[Msg]:
    if project is not None and not any(e.indicators for e in project.effects):
        return [msg("lessons.own.indicator_library", title=project.title)]
    return []


def _own_publics(ctx: Ctx, project: Project | None) -> list[Msg]:
    if project is None:
        return []
    base = kb(ctx)
    names = [text(ctx, pub.label) for p in project_public_ids(project) if (pub := base.public(p)) is not None]
    polls = ctx.uow.polls.list(project.id)
    lines = [
        msg(
            "lessons.own.publics",
            title=project.title,
            publics=_join(ctx, names) if names else ctx.render(msg("lessons.own.no_public")),
            polls=len(polls),
        )
    ]
    if "migrants" in project_public_ids(project):
        lines.append(msg("lessons.own.migrants"))
    return lines


def _own_stories(ctx: Ctx, project: Project | None) -> list[Msg]:
    if project is None:
        return []
    stories = ctx.uow.stories.list(project.id)
    unexpected = [e for e in project.effects if not e.expected]
    return [
        msg(
            "lessons.own.harvest",
            title=project.title,
            effects=len(unexpected),
            stories=len(stories),
            chosen=sum(s.significant for s in stories),
        )
    ]


def _own_figures(ctx: Ctx, project: Project | None) -> list[Msg]:
    if project is None:
        return []
    indicators = [i for e in project.effects for i in e.indicators]
    follow = [(i, m) for i in indicators for m in i.measurements if not m.baseline]
    lines = [
        msg(
            "lessons.own.figures",
            title=project.title,
            measured=len({id(i) for i, _ in follow}),
            total=len(indicators),
        )
    ]
    if follow:
        ind, m = max(follow, key=lambda im: im[1].recorded_at)
        lines.append(msg("lessons.own.latest", label=ind.label, value=fmt_number(m.value), period=m.period))
    return lines


OWN = {
    "doing_to_changing": _own_ladder,
    "who_is_affected": _own_circle,
    "writing_an_effect": _own_effect,
    "progress_markers": _own_partners,
    "useful_indicators": _own_indicator,
    "measuring_integration": _own_publics,
    "harvesting_the_unexpected": _own_stories,
    "analyse_decide_report": _own_figures,
}


# -- what the practice is about -----------------------------------------------------------------
def item(ctx: Ctx, lesson: Lesson, project: Project | None) -> dict[str, Any]:
    """The subject of the practice question, chosen once per run (kept in the dialogue data):
    for `level`, a statement of the project whose level the coach's rules are sure of (else a
    rung of a library ladder for its public); for `smart`, the project's indicator with the
    most to fix (else a library indicator that suits the project, as a fresh draft)."""
    kind = lesson.practice.kind
    if kind == "level":
        return _level_item(ctx, project)
    if kind == "smart":
        return _smart_item(ctx, project)
    return {}


def _level_item(ctx: Ctx, project: Project | None) -> dict[str, Any]:
    """A statement of the project to sort, but not one the ladder above already placed (its
    first activity and first effect): else a library ladder's output, the rung most often
    mistaken for an effect."""
    lex = lexicon(ctx)
    own = (project.activities[1:] if project else []) + [e.statement for e in _expected(project)[1:]]
    for statement in own:
        c = classify(statement, lex, None, confidence(ctx))
        if c.sure and c.kind in LEVELS:
            return {"text": statement, "level": c.kind}
    ex = _library_example(ctx, project)
    return {"text": text(ctx, ex.output), "level": "output"}


def _findings(ctx: Ctx, ind: Any, effect: Any) -> list[Any]:
    lib = kb(ctx).indicator(ind.library_id) if getattr(ind, "library_id", None) else None
    people = bool(lib.publics) if lib is not None else True
    found = lexicon(ctx).direction_in(effect.statement) if effect is not None else None
    direction = "decrease" if found in ("decrease", "stop") else "increase"
    return smart_check(ind, people_based=people, direction=direction, today=today())


def _smart_item(ctx: Ctx, project: Project | None) -> dict[str, Any]:
    own = [(ind, e) for e in (project.effects if project else []) for ind in e.indicators]
    if own:
        ind, effect = max(own, key=lambda ie: sum(f.severity == "problem" for f in _findings(ctx, *ie)))
        found = _findings(ctx, ind, effect)
    else:
        public = _public(project)
        expected = next(iter(_expected(project)), None)
        lib = (
            next(
                iter(
                    suggest_indicators(
                        kb(ctx), expected.domain if expected else None, public or "youth", "outcome", limit=1
                    )
                ),
                None,
            )
            or kb(ctx).indicators[0]
        )
        ind = indicator_draft(lib, ctx.lang or "fr")
        found = _findings(ctx, ind, expected)
    problems = [f for f in found if f.severity == "problem"]
    return {
        "label": ind.label,
        "own": bool(own),
        "codes": [f.code for f in found],
        "groups": sorted({g for f in problems for g, fields in SMART_GROUPS.items() if f.field in fields}),
    }


# -- the question's buttons -----------------------------------------------------------------------
def options(ctx: Ctx, lesson: Lesson, data: dict[str, Any]) -> list[Option]:
    kind = lesson.practice.kind
    if kind == "level":
        return [Option(LevelPick(level).encode(), msg(f"effects.clarify.{level}")) for level in LEVELS]
    if kind == "choice":
        return [Option(PracticeChoice(o.id).encode(), raw(ctx, o.label)) for o in lesson.practice.options]
    if kind == "smart":
        return [Option(SmartGroup(g).encode(), msg(f"lessons.smart.{g}")) for g in SMART_GROUPS] + [
            Option(SmartGroup("complete").encode(), msg("lessons.smart.complete"))
        ]
    if data.get("pending"):  # a written change the coach is not sure of: it asks first
        return [Option(LevelClarify(level).encode(), msg(f"effects.clarify.{level}")) for level in LEVELS]
    return []


def question(ctx: Ctx, lesson: Lesson, project: Project | None, data: dict[str, Any]) -> Msg:
    from bot.i18n import plural_rule

    lang = ctx.lang or "fr"
    if data.get("pending"):
        return msg("effects.clarify.ask", text=data["pending"])
    values: dict[str, Any] = {}
    kind = lesson.practice.kind
    if kind == "level":
        values["text"] = data["item"]["text"]
    elif kind == "smart":
        values["label"] = data["item"]["label"]
    elif kind in ("effect", "unexpected"):
        values["who"] = who(ctx, _public(project))
    return msg("common.raw", text=lesson.practice.question.render(lang, plural_rule(lang), **values))


# -- judging --------------------------------------------------------------------------------------
def judge(
    ctx: Ctx, lesson: Lesson, project: Project | None, data: dict[str, Any], answer: Answer, pre: Any
) -> Verdict | None:
    """The verdict on an answer, or None when it is not an answer to this question (an unknown
    button, words that point to no option: the question is asked again)."""
    kind = lesson.practice.kind
    if kind == "level":
        return _judge_level(ctx, data, answer, pre)
    if kind == "choice":
        return _judge_choice(ctx, lesson, pre)
    if kind == "smart":
        return _judge_smart(ctx, data, pre)
    return _judge_change(ctx, kind, project, data, answer, pre)


def _level_line(ctx: Ctx, level: str, statement: str) -> list[Msg]:
    """Why a statement is at its level: the coach's own words for each (the "so what?" question
    of its activity verb when there is one)."""
    lines = [msg(f"lessons.level.{level}", text=statement)]
    if level == "activity":
        verb = _verb(ctx, statement)
        if verb is not None:
            lines.append(msg("lessons.so_what", question=text(ctx, verb.so_what)))
    return lines


def _judge_level(ctx: Ctx, data: dict[str, Any], answer: Answer, pre: Any) -> Verdict | None:
    pressed = LevelPick.read(pre)
    chosen = pressed.code if pressed is not None else None
    if chosen is None and answer.text and not answer.button:
        chosen = placed_by_answer(answer.text, lexicon(ctx))  # "c'est nous qui le faisons"
    if chosen not in LEVELS:
        return None
    expected = data["item"]["level"]
    statement = data["item"]["text"]
    lead = msg("lessons.right") if chosen == expected else msg("lessons.not_quite")
    return Verdict(right=chosen == expected, lines=[lead] + _level_line(ctx, expected, statement), done=True)


def _judge_choice(ctx: Ctx, lesson: Lesson, pre: Any) -> Verdict | None:
    pressed = PracticeChoice.read(pre)
    chosen = pressed.code if pressed is not None else None
    option = next((o for o in lesson.practice.options if o.id == chosen), None)
    if option is None:
        return None
    lines = [msg("lessons.right" if option.correct else "lessons.not_quite"), raw(ctx, option.why)]
    if not option.correct:
        right = next(o for o in lesson.practice.options if o.correct)
        lines.append(msg("lessons.answer_was", answer=text(ctx, right.label)))
    return Verdict(right=option.correct, lines=lines, done=True)


def _judge_smart(ctx: Ctx, data: dict[str, Any], pre: Any) -> Verdict | None:
    pressed = SmartGroup.read(pre)
    chosen = pressed.code if pressed is not None else None
    if chosen not in tuple(SMART_GROUPS) + ("complete",):
        return None
    it = data["item"]
    groups = it["groups"]
    right = chosen in groups if groups else chosen == "complete"
    lines = [msg("lessons.right" if right else "lessons.not_quite")]
    codes = it["codes"]
    if codes:  # the indicators dialogue's own SMART findings
        lines.append(msg("indicators.smart_intro", n=len(codes)))
        lines += [msg(f"indicators.smart.{c}") for c in codes[:5]]
    else:
        lines.append(msg("indicators.smart_ok"))
    return Verdict(right=right, lines=lines, done=True)


def _judge_change(
    ctx: Ctx, kind: str, project: Project | None, data: dict[str, Any], answer: Answer, pre: Any
) -> Verdict | None:
    """A written change, read as the effects dialogue reads one: classified (a clarifying
    question when the coach is not sure), an activity or an output coached with the dialogue's
    own lines, an effect checked for who, what, direction and horizon (`effect` practice)."""
    lex = lexicon(ctx)
    public = _public(project)
    statement: str | None
    if data.get("pending"):
        level = None
        clarified = LevelClarify.read(answer.button)
        if clarified is not None:
            level = clarified.code
        elif answer.text and len(answer.text.split()) <= 6:
            level = placed_by_answer(answer.text, lex)
        if level in LEVELS:
            statement, data["pending"] = data["pending"], None
        elif answer.text and not answer.button and len(answer.text.split()) > 6:
            statement, level, data["pending"] = answer.text, None, None  # a new sentence
        else:
            return None
    else:
        if not answer.text or answer.button:
            return None
        statement, level = answer.text, None
    if level is None:
        c = classify(statement, lex, statement_probs(answer), confidence(ctx))
        if not c.sure:
            data["pending"] = statement
            return Verdict(right=None)
        level = c.kind
    tries = int(data.get("tries") or 0) + 1
    data["tries"] = tries
    if level in ("activity", "output"):
        lines = [msg(f"effects.coach.{level}", who=who(ctx, public))]
        return _retry(ctx, project, tries, lines)
    if kind == "unexpected":
        return Verdict(right=True, lines=[msg("lessons.unexpected_ok")], done=True)
    missing = check_effect(statement, lex, kind="effect", today=today()).missing
    if not missing:
        return Verdict(
            right=True,
            lines=[msg("effects.coach.good"), msg("common.raw", text=part_marks(ctx, statement))],
            done=True,
        )
    lines = [
        msg(
            "lessons.effect_missing",
            parts=_join(ctx, [ctx.render(msg(f"lessons.part.{p}")) for p in missing]),
        )
    ]
    return _retry(ctx, project, tries, lines)


def _retry(ctx: Ctx, project: Project | None, tries: int, lines: list[Msg]) -> Verdict:
    """Not right yet: try again, or, after MAX_TRIES, an example and on to the next part."""
    if tries >= MAX_TRIES:
        ex = _library_example(ctx, project)
        return Verdict(
            right=False,
            lines=lines + [msg("lessons.example_instead", example=text(ctx, ex.effect))],
            done=True,
        )
    return Verdict(right=False, lines=lines + [msg("lessons.try_again")])
