"""Dialogue "unexpected": effects nobody planned, positive or negative (DOMAIN §2.3-2.5).

For a group of the "circle of effects" (the project's impacted parties first, then the standard
circle of the knowledge base) the bot asks its question, a "negative programme theory" prompt and
one good and one bad example; the user says in a few words what happened or could happen, whether
it is positive or negative, and when. Reachable after the expected effects, and from the menu
("Something we did not expect") to record one later. Stored as an Effect with expected=False.
"""

from __future__ import annotations

from typing import Any

from domain.buttons import PartyPick, PolarityPick, WhenPick
from domain.dialogue import Answer, Ctx, Dialogue, Goto, Invalid, Option, Start, Step
from domain.messages import Msg, Reply, msg
from domain.records import Effect, Project

from bot.handlers import Handlers, MenuEntry, with_moment
from bot.handlers._coaching import (
    NextChoice,
    check_project_on_start,
    current_project,
    find_effect,
    kb,
    kb_option,
    lexicon,
    next_dialogue,
    raw,
    text,
    today,
)
from bot.handlers._projects import after_edit, choose_project_step, editing, mended

DIALOGUE = "unexpected"
NEXT = "unexpected_next"
OTHER = PartyPick("other").encode()
ANOTHER = "unx:another"


def _d(ctx: Ctx) -> dict[str, Any]:
    return ctx.state.data


def _party_ids(ctx: Ctx) -> list[str]:
    known: list[str] = [p.id for p in kb(ctx).parties]
    project = current_project(ctx)
    first = [s.group for s in (project.stakeholders if project else []) if s.group in known]
    ordered = list(dict.fromkeys(first))
    return ordered + [p for p in known if p not in ordered]


def _party_options(ctx: Ctx) -> list[Option]:
    opts = []
    for pid in _party_ids(ctx):
        party = kb(ctx).party(pid)
        if party is None:
            raise LookupError(f"party {pid!r} is not in the knowledge base")
        opts.append(kb_option(ctx, PartyPick(pid).encode(), party.label))
    return opts + [Option(OTHER, msg("unexpected.other_group"))]


def _parse_party(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    d = _d(ctx)
    typed = (answer.text or "").strip()
    if choice is None and not any(c.isalpha() for c in typed):
        return Invalid(msg("common.choose_option", n=len(_party_options(ctx))))
    d["prompt_round"] = 0
    if choice is None:  # a group of no button ("les commerçants"): another group, named
        d["party_other"] = " ".join(typed.split())[:100]
        return "other"
    d["party_other"] = None
    party = PartyPick.read(choice)
    return party.code if party is not None else Invalid(msg("common.button_expired"))


def _party(ctx: Ctx) -> Any:
    return kb(ctx).party(_d(ctx).get("party") or "")


def _what_prompt(ctx: Ctx) -> list[Msg]:
    party = _party(ctx)
    if party is None:
        return [msg("unexpected.ask_what_other", group=_d(ctx).get("party_other") or "")]
    lines: list[Msg] = [raw(ctx, party.prompt)]
    rnd = int(_d(ctx).get("prompt_round") or 0)
    questions = list(party.unexpected_prompts) + list(kb(ctx).unexpected_prompts)
    if questions:
        q = questions[rnd % len(questions)]
        lines.append(msg("unexpected.think", question=text(ctx, getattr(q, "text", q))))
    pos = next((e for e in party.examples if e.polarity == "positive"), None)
    neg = next((e for e in party.examples if e.polarity == "negative"), None)
    if pos is not None and neg is not None and rnd == 0:
        lines.append(msg("unexpected.examples", good=text(ctx, pos.text), bad=text(ctx, neg.text)))
    lines.append(msg("unexpected.ask_what"))
    return lines


def _what_options(ctx: Ctx) -> list[Option]:
    return [
        Option("unx:idea", msg("unexpected.another_question")),
        Option(ANOTHER, msg("unexpected.another_group")),
    ]


def _parse_what(ctx: Ctx, answer: Answer, txt: str | None) -> Any:
    d = _d(ctx)
    if answer.button == ANOTHER:
        return Goto("party")
    if answer.button == "unx:idea" or answer.intent == "dont_know":
        d["prompt_round"] = int(d.get("prompt_round") or 0) + 1
        return Goto("what")
    if txt is None:
        return Invalid(msg("common.button_expired"))
    return txt


def _polarity_options(ctx: Ctx) -> list[Option]:
    return [
        Option(PolarityPick("positive").encode(), msg("unexpected.positive")),
        Option(PolarityPick("negative").encode(), msg("unexpected.negative")),
    ]


def _parse_polarity(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is None:
        return Invalid(msg("common.choose_option", n=2))
    polarity = PolarityPick.read(choice)
    return polarity.code if polarity is not None else Invalid(msg("common.button_expired"))


def _when_options(ctx: Ctx) -> list[Option]:
    now = today()
    return [
        Option(WhenPick(f"{now.year}-{now.month:02d}").encode(), msg("unexpected.when_month")),
        Option(WhenPick(str(now.year)).encode(), msg("unexpected.when_year")),
        Option(WhenPick("possible").encode(), msg("unexpected.when_possible")),
    ]


def _parse_when(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is None:
        return Invalid(msg("common.choose_option", n=3))
    when = WhenPick.read(choice)
    return when.code if when is not None else Invalid(msg("common.button_expired"))


def _show_party(ctx: Ctx, value: Any) -> Msg:
    party = _party(ctx)
    return raw(ctx, party.label) if party else msg("common.raw", text=_d(ctx).get("party_other") or "")


def _show_polarity(ctx: Ctx, value: Any) -> Msg:
    return msg("unexpected.positive" if value == "positive" else "unexpected.negative")


def _show_when(ctx: Ctx, value: Any) -> Msg:
    if value == "possible":
        return msg("unexpected.when_possible")
    return msg("common.raw", text=str(value or ""))


def edit_data(ctx: Ctx, project: Project, effect: Effect) -> dict[str, Any]:
    """The dialogue's data for mending a recorded unexpected effect (opened on its summary)."""
    known = effect.party is not None and kb(ctx).party(effect.party) is not None
    return {
        "project_id": project.id,
        "record_id": effect.id,
        "party": effect.party if known else "other",
        "party_other": None if known else effect.party,
        "what": effect.statement,
        "polarity": effect.polarity,
        "when": effect.horizon or "possible",
    }


def _update(ctx: Ctx, project: Project, what: str, party: str, when: Any) -> Start:
    d = _d(ctx)
    effect = find_effect(project, d.get("record_id"))
    if effect is None or effect.expected:
        return after_edit(ctx, "records.not_found")
    if what[:2000] != effect.statement:  # the domain is read again only from new words
        domains = lexicon(ctx).domains_in(what)
        effect.domain = domains[0] if domains else None
    effect.statement = what[:2000]
    effect.polarity = "negative" if d.get("polarity") == "negative" else "positive"
    effect.party = party[:200]
    effect.horizon = None if when in (None, "possible") else str(when)
    return mended(ctx, project, "effect", effect.id)


def _save(ctx: Ctx) -> list[Reply] | Start:
    d = _d(ctx)
    project = current_project(ctx)
    if project is None:
        return [Reply.of("projects.not_found")]
    what = str(d.get("what") or "")
    party = d.get("party") if d.get("party") != "other" else (d.get("party_other") or "other")
    when = d.get("when")
    if editing(ctx):
        return _update(ctx, project, what, str(party), when)
    domains = lexicon(ctx).domains_in(what)
    project.effects.append(
        Effect(
            statement=what[:2000],
            level="outcome",
            expected=False,
            polarity="negative" if d.get("polarity") == "negative" else "positive",
            domain=domains[0] if domains else None,
            party=str(party)[:200],
            horizon=None if when in (None, "possible") else str(when),
        )
    )
    ctx.uow.projects.save(project)
    ctx.say("unexpected.saved_happened" if when not in (None, "possible") else "unexpected.saved_possible")
    return Start(NEXT, {"project_id": project.id})


def setup(h: Handlers) -> None:
    lbl = lambda key: msg(f"unexpected.label.{key}")  # noqa: E731
    h.registry.add(
        Dialogue(
            id=DIALOGUE,
            on_start=with_moment(check_project_on_start, DIALOGUE, "unexpected"),
            on_complete=_save,
            summary_title=msg("unexpected.summary_title"),
            steps=[
                choose_project_step(),
                Step(
                    "party",
                    prompt=msg("unexpected.ask_party"),
                    kind="choice",
                    options=_party_options,
                    parse=_parse_party,
                    label=lbl("party"),
                    show=_show_party,
                ),
                Step(
                    "party_other",
                    prompt=msg("unexpected.ask_party_other"),
                    kind="text",
                    max_len=100,
                    when=lambda ctx: _d(ctx).get("party") == "other" and not _d(ctx).get("party_other"),
                ),
                Step(
                    "what",
                    prompt=_what_prompt,
                    kind="text",
                    max_len=600,
                    options=_what_options,
                    parse=_parse_what,
                    label=lbl("what"),
                ),
                Step(
                    "polarity",
                    prompt=msg("unexpected.ask_polarity"),
                    kind="choice",
                    options=_polarity_options,
                    parse=_parse_polarity,
                    label=lbl("polarity"),
                    show=_show_polarity,
                ),
                Step(
                    "when",
                    prompt=msg("unexpected.ask_when"),
                    kind="choice",
                    options=_when_options,
                    parse=_parse_when,
                    label=lbl("when"),
                    show=_show_when,
                ),
            ],
        )
    )
    h.registry.add(
        next_dialogue(
            h,
            NEXT,
            msg("unexpected.next.ask"),
            [
                NextChoice("nx:again", msg("unexpected.next.again"), DIALOGUE, intent="add_unexpected"),
                NextChoice(
                    "nx:indicators", msg("effects.next.indicators"), "indicators", intent="add_indicator"
                ),
            ],
        )
    )
    h.add_menu(
        MenuEntry(
            data="menu:unexpected",
            label=msg("unexpected.menu"),
            dialogue=DIALOGUE,
            order=60,
            intent="add_unexpected",
        )
    )
