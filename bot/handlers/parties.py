"""The "parties" dialogue: a guided walk around the "circle of effects" of a project.

For each group of the knowledge base (participants, families, non-selected peers, neighbours,
associations, commune actors, state services, people who could lose out) the bot asks its
question; the user answers in a few words (or Yes, then a few words), No, or Don't know, then says
whether the change is positive, negative or both. A negative answer, and anything about people who
could lose out, is also offered as a possible unexpected effect to follow.

The group being asked is the number of `affected` answers already in the history, so Back walks
to the previous group; the answers live in `data["answers"][group]`. Confirming replaces the
project's stakeholders of the groups that were asked (others are kept) and adds the accepted
unexpected effects (Effect expected=False, polarity negative, party=group).

Walking the circle again starts from what is recorded, and finishing it without a change changes
nothing: an answer remembers the unexpected effect the circle made of it (`unexpected_id`, the
negative effect of that group with the same words), which a new wording mends instead of adding
a second one; other unexpected effects of the group (recorded on their own, positive ones
included) are not the circle's and are left alone.
"""

from __future__ import annotations

from typing import Any

from domain.knowledge import Party
from domain.buttons import PolarityPick
from domain.dialogue import SUMMARY, Answer, Ctx, Dialogue, Goto, Invalid, Option, Start, Step
from domain.messages import Msg, Reply, msg
from domain.records import AuditEntry, Effect, Project, Stakeholder

from bot.handlers import Handlers, with_moment
from bot.handlers._projects import choose_project_step, load_project, visible_projects
from bot.handlers.project import choice_error, has_letters, offer_next

DIALOGUE = "parties"
YES, NO, UNKNOWN, DONE = "party:yes", "party:no", "party:unknown", "party:done"
POSITIVE, NEGATIVE, BOTH = (PolarityPick(p).encode() for p in ("positive", "negative", "both"))
KEEP, DROP = "unexp:yes", "unexp:no"
KIND = {  # fallback when the knowledge base gives no kind
    "participants": "direct",
    "families": "indirect",
    "non_selected_peers": "indirect",
    "host_community": "indirect",
    "associations": "intermediary",
    "commune_actors": "institution",
    "state_services": "institution",
    "people_losing_out": "could_lose",
}


def parties(ctx: Ctx) -> list[Party]:
    kb = getattr(ctx.services, "knowledge", None)
    return list(getattr(kb, "parties", ()) or ())


def _answers(ctx: Ctx) -> dict[str, dict[str, Any]]:
    return ctx.state.data.setdefault("answers", {})


def _index(ctx: Ctx, at_affected: bool) -> int:
    n = ctx.state.history.count("affected")
    return n if at_affected else max(n - 1, 0)


def _party(ctx: Ctx, at_affected: bool = False) -> Any:
    groups = parties(ctx)
    i = min(_index(ctx, at_affected), len(groups) - 1)
    return groups[i]


def _answer(ctx: Ctx, at_affected: bool = False) -> dict[str, Any]:
    return _answers(ctx).setdefault(_party(ctx, at_affected).id, {})


def _label(ctx: Ctx, party: Party) -> str:
    return party.label.get(ctx.lang or "fr")


def _text(ctx: Ctx, text4: Any) -> Msg:
    return msg("common.raw", text=text4.get(ctx.lang or "fr"))


def _next_group(ctx: Ctx, at_affected: bool) -> str:
    """After the current group: the next group's question, or the summary."""
    i = _index(ctx, at_affected)
    return "affected" if i + 1 < len(parties(ctx)) else SUMMARY


# -- project and prefill -------------------------------------------------------------------
def prefill(ctx: Ctx, project: Project) -> None:
    """Answers already recorded for the project's groups, so that a second walk starts from
    them (Skip keeps an answer)."""
    answers: dict[str, dict[str, Any]] = {}
    known = {p.id for p in parties(ctx)}
    for s in project.stakeholders:
        if s.group not in known:
            continue
        a = answers.setdefault(
            s.group, {"affected": "yes", "how": s.how_affected, "polarity": s.polarity, "unexpected": False}
        )
        if a["polarity"] and s.polarity and a["polarity"] != s.polarity:
            a["polarity"] = "both"
    for e in project.effects:
        given = answers.get(e.party or "")
        if (
            given is not None
            and not e.expected
            and e.polarity == "negative"
            and e.statement == given.get("how")
        ):
            given.update(unexpected=True, unexpected_id=e.id)
    ctx.state.data["answers"] = answers
    ctx.state.data["title"] = project.title


def _start(ctx: Ctx) -> Start | None:
    pid = ctx.state.data.get("project_id")
    if pid is None:
        if not visible_projects(ctx):
            ctx.say("projects.none")
            return Start("menu")
        return None
    project = load_project(ctx, pid)
    if project is None or not parties(ctx):
        ctx.say("projects.not_found")
        return Start("menu")
    prefill(ctx, project)
    return None


_choose_step = choose_project_step("project_id")


def _pick(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    result = _choose_step.parse(ctx, answer, choice)  # type: ignore[misc]
    if isinstance(result, int):
        project = load_project(ctx, result)
        if project is not None:
            prefill(ctx, project)
    return result


# -- is the group affected, and how? -------------------------------------------------------
def affected_options(ctx: Ctx) -> list[Option]:
    return [
        Option(YES, msg("parties.b_yes")),
        Option(NO, msg("parties.b_no")),
        Option(UNKNOWN, msg("parties.unknown")),
        Option(DONE, msg("parties.done"), means=("done",), words=msg("parties.done_words")),
    ]


def _affected_prompt(ctx: Ctx) -> list[Msg]:
    st = ctx.state
    if st.editing:  # "edit the circle" from the summary: walk it again from the first group
        st.editing = False
        if "affected" in st.history:
            del st.history[st.history.index("affected") :]
    groups = parties(ctx)
    i = min(_index(ctx, True), len(groups) - 1)
    party = groups[i]
    lines = []
    if i == 0:
        lines.append(msg("parties.intro", title=st.data.get("title", "")))
    lines += [
        msg("parties.group", i=i + 1, n=len(groups), label=_label(ctx, party)),
        _text(ctx, party.prompt),
    ]
    current = _answers(ctx).get(party.id)
    if current and current.get("affected"):
        lines.append(msg("parties.current", answer=_summary_line(ctx, party, current)))
    lines.append(msg("parties.ask_affected"))
    return lines


def _affected(ctx: Ctx, answer: Answer, text: Any) -> Any:
    b = answer.button
    typed = (answer.text or "").strip()
    if b == DONE:
        return Goto(SUMMARY, None)
    if b is not None and b not in (YES, NO, UNKNOWN):
        return Invalid(msg("common.button_expired"))
    # typed yes, no, "je sais pas" and their words are these buttons (domain.matching)
    if b == YES:
        _answer(ctx, True).update(affected="yes")
        return "yes"
    if b == NO:
        _answers(ctx)[_party(ctx, True).id] = {"affected": "no"}
        return "no"
    if b == UNKNOWN:
        _answers(ctx)[_party(ctx, True).id] = {"affected": "unknown"}
        return "unknown"
    if not has_letters(typed):
        return Invalid(msg("parties.need_words"))
    a = _answer(ctx, True)
    a.update(affected="yes", how=" ".join(typed.split()))
    return "said"


def _after_affected(ctx: Ctx) -> str:
    value = ctx.state.data.get("affected")
    if value == "yes":
        return "how"
    if value == "said":
        return _after_how(ctx, at_affected=True)
    return _next_group(ctx, at_affected=True)


def _how_prompt(ctx: Ctx) -> list[Msg]:
    party = _party(ctx)
    examples = {e.polarity: e for e in party.examples}
    lines = [msg("parties.ask_how", label=_label(ctx, party))]
    if "positive" in examples and "negative" in examples:
        lines.append(
            msg(
                "parties.examples",
                positive=examples["positive"].text.get(ctx.lang),
                negative=examples["negative"].text.get(ctx.lang),
            )
        )
    if _answer(ctx).get("how"):
        lines.append(msg("project.current_value", value=_answer(ctx)["how"]))
    return lines


def _how(ctx: Ctx, answer: Answer, text: Any) -> Any:
    if answer.button:
        return Invalid(msg("common.button_expired"))
    if not has_letters(str(text or "")):
        return Invalid(msg("parties.need_words"))
    how = " ".join(str(text).split())
    _answer(ctx)["how"] = how
    return how


def _after_how(ctx: Ctx, at_affected: bool = False) -> str:
    party = _party(ctx, at_affected)
    if kind_of(party) == "could_lose":  # negative by definition: offer to follow it
        _answer(ctx, at_affected)["polarity"] = "negative"
        return "unexpected"
    return "polarity"


# -- positive or negative, and an unexpected effect to follow? ---------------------------------
def polarity_options(ctx: Ctx) -> list[Option]:
    return [
        Option(POSITIVE, msg("parties.positive")),
        Option(NEGATIVE, msg("parties.negative")),
        Option(BOTH, msg("parties.both")),
    ]


def _polarity_prompt(ctx: Ctx) -> list[Msg]:
    return [msg("parties.ask_polarity", label=_label(ctx, _party(ctx)))]


def _polarity(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None:
        return choice_error(answer, 3)
    polarity = PolarityPick.read(choice)
    if polarity is None:
        return choice_error(answer, 3)
    value = polarity.code
    _answer(ctx)["polarity"] = value
    return value


def _after_polarity(ctx: Ctx) -> str:
    if ctx.state.data.get("polarity") in ("negative", "both"):
        return "unexpected"
    _answer(ctx)["unexpected"] = False
    return _next_group(ctx, at_affected=False)


def unexpected_options(ctx: Ctx) -> list[Option]:
    return [Option(KEEP, msg("parties.unexpected_yes")), Option(DROP, msg("parties.unexpected_no"))]


def _unexpected_prompt(ctx: Ctx) -> list[Msg]:
    party = _party(ctx)
    lines = [msg("parties.offer_unexpected", label=_label(ctx, party))]
    if party.unexpected_prompts:
        lines.insert(0, msg("parties.think", question=party.unexpected_prompts[0].get(ctx.lang)))
    return lines


def _unexpected(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None:  # typed yes / no are the buttons (domain.matching)
        return choice_error(answer, 2)
    keep = choice == KEEP
    _answer(ctx)["unexpected"] = keep
    if keep:
        ctx.say("parties.unexpected_noted", label=_label(ctx, _party(ctx)))
    return keep


# -- summary and saving --------------------------------------------------------------------
def _summary_line(ctx: Ctx, party: Party, a: dict[str, Any]) -> str:
    render = ctx.render
    if a.get("affected") == "no":
        return render(msg("parties.s_no"))
    if a.get("affected") == "unknown":
        return render(msg("parties.s_unknown"))
    out = a.get("how") or render(msg("parties.s_yes"))
    if a.get("polarity"):
        out += f" ({render(msg('parties.s_' + a['polarity']))})"
    if a.get("unexpected"):
        out += " ⚠️"
    return out


def _show_circle(ctx: Ctx, value: Any) -> Msg:
    answers = ctx.state.data.get("answers") or {}
    lines = [
        f"\n  – {_label(ctx, p)} : {_summary_line(ctx, p, answers[p.id])}"
        if ctx.lang == "fr"
        else f"\n  – {_label(ctx, p)}: {_summary_line(ctx, p, answers[p.id])}"
        for p in parties(ctx)
        if p.id in answers
    ]
    if not lines:
        return msg("summary.empty")
    return msg("common.raw", text="".join(lines))


def kind_of(party: Party) -> str | None:
    return getattr(party, "kind", None) or KIND.get(party.id)


def stakeholders_for(party: Party, a: dict[str, Any]) -> list[Stakeholder]:
    """The stakeholder records of one answered group ("both" gives a positive and a negative)."""
    if a.get("affected") != "yes":
        return []
    pol = a.get("polarity")
    polarities = ["positive", "negative"] if pol == "both" else [pol]
    return [  # validated: a polarity is positive, negative or none
        Stakeholder.model_validate(
            {"group": party.id, "kind": kind_of(party), "how_affected": a.get("how"), "polarity": p}
        )
        for p in polarities
    ]


def _save(ctx: Ctx) -> list[Reply] | Start:
    d = ctx.state.data
    project = load_project(ctx, d.get("project_id"))
    if project is None:
        ctx.say("projects.not_found")
        return []
    answers: dict[str, dict[str, Any]] = d.get("answers") or {}
    old = {(s.group, s.polarity): s.id for s in project.stakeholders}
    kept = [s for s in project.stakeholders if s.group not in answers]
    new: list[Stakeholder] = []
    for p in parties(ctx):
        if p.id in answers:
            for s in stakeholders_for(p, answers[p.id]):
                s.id = old.get((s.group, s.polarity))
                new.append(s)
    project.stakeholders = kept + new
    added = 0
    for group, a in answers.items():
        if not (a.get("unexpected") and a.get("affected") == "yes" and a.get("how")):
            continue
        linked = next(
            (
                e
                for e in project.effects
                if e.id is not None and e.id == a.get("unexpected_id") and not e.expected
            ),
            None,
        )
        if linked is not None:  # the circle's own effect: its words follow the answer's
            linked.statement = a["how"]
            continue
        if any(not e.expected and e.party == group and e.statement == a["how"] for e in project.effects):
            continue
        project.effects.append(
            Effect(statement=a["how"], level="outcome", expected=False, polarity="negative", party=group)
        )
        added += 1
    saved = ctx.uow.projects.save(project)
    if saved.id is None:
        raise LookupError("a saved project has an id")
    ctx.uow.audit.add(
        AuditEntry(
            user_id=ctx.user.id if ctx.user is not None else None,
            action="project.parties_updated",
            target=f"project:{project.id}",
            detail={
                "groups": sorted(g for g, a in answers.items() if a.get("affected") == "yes"),
                "unexpected_added": added,
            },
        )
    )
    n = len({s.group for s in project.stakeholders})
    ctx.say("parties.saved", n=n, k=added)
    return offer_next(ctx, saved.id, after=DIALOGUE)


def setup(h: Handlers) -> None:
    h.registry.add(
        Dialogue(
            id=DIALOGUE,
            on_start=with_moment(_start, DIALOGUE, "parties"),
            on_complete=_save,
            summary_title=msg("parties.summary_title"),
            steps=[
                Step(
                    "project_id",
                    prompt=msg("projects.choose"),
                    kind="choice",
                    options=_choose_step.options,
                    parse=_pick,
                    when=_choose_step.when,
                ),
                Step(
                    "affected",
                    prompt=_affected_prompt,
                    kind="text",
                    max_len=500,
                    options=affected_options,
                    parse=_affected,
                    next=_after_affected,
                    optional=True,
                    label=msg("parties.f.circle"),
                    show=_show_circle,
                ),
                Step("how", prompt=_how_prompt, max_len=500, parse=_how, next=_after_how),
                Step(
                    "polarity",
                    prompt=_polarity_prompt,
                    kind="choice",
                    options=polarity_options,
                    parse=_polarity,
                    next=_after_polarity,
                ),
                Step(
                    "unexpected",
                    prompt=_unexpected_prompt,
                    kind="choice",
                    options=unexpected_options,
                    parse=_unexpected,
                    next=lambda ctx: _next_group(ctx, at_affected=False),
                ),
            ],
        )
    )
