"""Shared by the effect, unexpected-effect, indicator and measure dialogues: the knowledge base
as data for the pure rules of domain/effects.py, and small rendering helpers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from domain import wording
from domain.buttons import DomainPick, PublicPick
from domain.dialogue import Answer, Ctx, Dialogue, Invalid, Option, Start, Step
from domain.effects import DIRECTIONS, LEVELS, Confidence, Lexicon, statement_probabilities
from domain.knowledge import KnowledgeBase
from domain.languages import LANG_TAGS
from domain.messages import Msg, msg
from domain.records import Effect, Project
from nlu.numbers import QUALIFIERS

from bot.handlers._projects import load_project, visible_projects

PUBLIC_IDS = ("youth", "women", "disability", "migrants", "children", "elderly", "other")
_LEXICONS: dict[int, Lexicon] = {}


def kb(ctx: Ctx) -> KnowledgeBase:
    """The knowledge base (knowledge.loader.load_knowledge()), set by the composition root."""
    knowledge = ctx.services.knowledge
    if knowledge is None:
        raise RuntimeError("the knowledge base is not loaded (Services.knowledge)")
    return knowledge


def _all(terms: Any) -> list[str]:
    if terms is None:
        return []
    out: list[str] = []
    for tag in LANG_TAGS:
        out.extend(terms.get(tag))
    return out


def lexicon(ctx: Ctx) -> Lexicon:
    """The coaching lexicon with the four variants merged (people mix them in one message)."""
    return lexicon_of(kb(ctx))


def lexicon_of(base: KnowledgeBase) -> Lexicon:
    """The coaching lexicon of a knowledge base (knowledge.loader.load_knowledge())."""
    key = id(base)
    if key not in _LEXICONS:
        co = base.coaching
        _LEXICONS[key] = Lexicon(
            activity_verbs={v.id: _all(v.forms) for v in co.activity_verbs},
            output_patterns={p.id: _all(p.patterns) for p in co.output_patterns},
            actor_subjects=_all(co.actor_subjects),
            change_verbs=_all(co.change_verbs),
            publics={p.id: _all(p.synonyms) for p in base.publics if p.synonyms is not None},
            domains={d.id: _all(d.synonyms) for d in base.domains if d.synonyms is not None},
            directions=_directions(getattr(co, "direction_words", None)),
            pronouns=_all(getattr(co, "subject_pronouns", None)),
            result_verbs=_all(co.result_verbs),
            subject_blockers=_all(co.subject_blockers),
            answer_cues={level: _all(getattr(co.answer_cues, level)) for level in LEVELS},
            arabic_suffixes=co.arabic_suffixes,
            bounds={kind: where["before"] for kind, where in QUALIFIERS.items() if kind != "about"},
        )
    return _LEXICONS[key]


def confidence(ctx: Ctx) -> Confidence:
    """The coach's calibrated verdict thresholds (knowledge/coaching.yml `confidence`)."""
    return confidence_of(kb(ctx))


def confidence_of(base: KnowledgeBase) -> Confidence:
    """The calibrated verdict thresholds of a knowledge base."""
    c = base.coaching.confidence
    return Confidence(
        alone=c.alone,
        agree=c.agree,
        contra=c.contra,
        not_alone=c.not_alone,
        not_agree=c.not_agree,
        not_contra=c.not_contra,
    )


def _directions(words: Any) -> dict[str, list[str]]:
    if words is None:
        return {}
    if isinstance(words, dict):
        return {k: _all(v) for k, v in words.items()}
    return {d: _all(getattr(words, d, None)) for d in DIRECTIONS}


def text(ctx: Ctx, t: Any) -> str:
    """A knowledge-base text (Text / Text4) in the conversation's language."""
    return t.get(ctx.lang if ctx.lang in LANG_TAGS else "fr")


def raw(ctx: Ctx, t: Any) -> Msg:
    return msg("common.raw", text=text(ctx, t))


def kb_option(ctx: Ctx, data: str, t: Any) -> Option:
    """A button labelled with a knowledge-base text, which typed in any variant selects."""
    return Option(
        data,
        raw(ctx, t),
        words=msg("common.raw", text="|".join(t.get(tag) for tag in LANG_TAGS)),
        as_labels=True,
    )


def today() -> date:
    return datetime.now(timezone.utc).date()


def current_project(ctx: Ctx) -> Project | None:
    """The project of the running dialogue, re-read with the access check every time."""
    return load_project(ctx, ctx.state.data.get("project_id"))


def check_project_on_start(ctx: Ctx) -> Start | None:
    """A dialogue started with {"project_id": id} the user may not see asks for a project instead
    (the same answer whether the id is forbidden or does not exist); with no project at all, the
    user is told so and lands on the menu."""
    pid = ctx.state.data.get("project_id")
    if pid is not None and load_project(ctx, pid) is None:
        ctx.state.data["project_id"] = None
        ctx.say("projects.not_found")
    if ctx.state.data.get("project_id") is None and not visible_projects(ctx):
        ctx.say("projects.none")
        return Start("menu")
    return None


def project_public_ids(project: Project | None) -> list[str]:
    out: list[str] = []
    for p in project.publics if project else []:
        if p.category not in out:
            out.append(p.category)
    return out


def public_options(ctx: Ctx, project: Project | None) -> list[Option]:
    ids = project_public_ids(project) or [p.id for p in kb(ctx).publics]
    out = []
    for pid in ids:
        pub = kb(ctx).public(pid)
        out.append(
            kb_option(ctx, PublicPick(pid).encode(), pub.label)
            if pub
            else Option(PublicPick(pid).encode(), msg("common.raw", text=pid))
        )
    return out


_DETERMINERS = re.compile(r"(?i)^(les|des|la|le|l'|l’|ces|nos|leurs|un|une|tous|toutes)\b")


def who(ctx: Ctx, public: str | None) -> dict[str, Any]:
    """The public as sentences name it ("les jeunes", "الشباب"), inflected ({who:gen} gives the
    MSA form after a preposition: "لدى المهاجرين"). For "other", the official's own description
    of that public in the project ("les commerçants du souk"), not a generic "people concerned"."""
    pid = public if public in PUBLIC_IDS else "other"
    if pid == "other":
        project = current_project(ctx)
        detail = next(
            (p.detail for p in (project.publics if project else []) if p.category == "other" and p.detail),
            None,
        )
        if detail:
            fr = detail if _DETERMINERS.match(detail) else f"les {detail[:1].lower()}{detail[1:]}"
            return wording.forms({tag: {"": fr if tag == "fr" else detail} for tag in LANG_TAGS})
    known = kb(ctx).public(pid)
    if known is None:
        raise LookupError(f"public {pid!r} is not in the knowledge base")
    return known.who_forms()


def domain_options(ctx: Ctx) -> list[Option]:
    return [kb_option(ctx, DomainPick(d.id).encode(), d.label) for d in kb(ctx).domains]


def find_effect(project: Project | None, effect_id: Any) -> Effect | None:
    if project is None:
        return None
    try:
        eid = int(effect_id)
    except (TypeError, ValueError):
        return None
    return next((e for e in project.effects if e.id == eid), None)


def fmt_number(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}".rstrip("0").rstrip(".")


def entity_values(answer: Any, name: str) -> list[Any]:
    u = getattr(answer, "understanding", None)
    return list(u.values(name)) if u is not None else []


def statement_probs(answer: Any) -> dict[str, float] | None:
    """P(activity/output/effect) of the answer: the NLU's statement-level model when it gave
    them, else its intent ranking's statement intents; None without either."""
    u = getattr(answer, "understanding", None)
    if u is None:
        return None
    if u.levels:
        return dict(u.levels)
    ranking = [(i.name, i.confidence) for i in (u.ranking or [u.intent])]
    return statement_probabilities(ranking)


def intent_of(answer: Any) -> tuple[str | None, float]:
    u = getattr(answer, "understanding", None)
    if u is None:
        return None, 0.0
    return u.intent.name, u.intent.confidence


# -- "what next?" after a saved effect, indicator or measure ---------------------------------------
@dataclass(frozen=True)
class NextChoice:
    data: str  # button data, "nx:<name>"
    label: Msg
    dialogue: str  # the dialogue it starts; offered only when that dialogue is installed
    keep: tuple[str, ...] = ("project_id",)  # what it carries over from the current data
    intent: str | None = None  # the NLU intent that asks for it in words ("add_indicator")


def next_dialogue(h: Any, dialogue_id: str, prompt: Msg, choices: list[NextChoice]) -> Dialogue:
    """A one-step dialogue offering `choices`, then the main menu."""

    def offered(ctx: Ctx) -> list[NextChoice]:
        return [c for c in choices if c.dialogue in h.registry]

    def options(ctx: Ctx) -> list[Option]:
        return [Option(c.data, c.label, intent=c.intent) for c in offered(ctx)] + [
            Option("nx:menu", msg("nav.menu"), intent="menu")
        ]

    def parse(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
        if choice is None:
            return Invalid(msg("common.choose_option", n=len(options(ctx))))
        for c in offered(ctx):
            if choice == c.data:
                return Start(c.dialogue, {k: ctx.state.data.get(k) for k in c.keep})
        return Start("menu")

    return Dialogue(
        id=dialogue_id,
        confirm=False,
        then=None,
        steps=[Step("next", prompt=prompt, kind="choice", options=options, parse=parse, store=False)],
    )
