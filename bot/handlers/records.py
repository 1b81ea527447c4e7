"""Dialogue "records": a project's effects, indicators and measurements, one by one, to mend them.

Opened from the project card ("my projects"): the list of one kind of record, then a record's
card with [Edit] [Delete] (and, for an effect, its indicators; for an indicator, its measurements
and a new measurement). Edit opens the record's own dialogue on its summary, filled in with the
record (`edit_data` of effects.py, unexpected.py, indicators.py, measures.py); confirming changes
that record and nothing else, and comes back here. Delete asks first, saying what goes with it
(an effect's indicators, an indicator's measurements).

The state holds ids only ("kind", "project_id", filters "effect_id" / "indicator_id", the open
"record_id"); every step reloads the project through `load_project`, so a forged id or a record
deleted meanwhile reads as "not found". Moving to another list starts this dialogue afresh, so
Back never leads to a record of another kind.
"""

from __future__ import annotations

from typing import Any

from domain.buttons import RecordPick
from domain.dialogue import Answer, Ctx, Dialogue, Invalid, Option, Start, Step
from domain.effects import period_key, progress
from domain.messages import Msg, msg
from domain.records import AuditEntry, Effect, Indicator, Measurement, Project

from bot.handlers import Handlers
from bot.handlers import effects as effects_dialogue
from bot.handlers import indicators as indicators_dialogue
from bot.handlers import measures as measures_dialogue
from bot.handlers import unexpected as unexpected_dialogue
from bot.handlers._coaching import current_project, fmt_number
from bot.handlers._projects import open_on_summary
from bot.handlers.project import choice_error, said

DIALOGUE = "records"
KINDS = ("effect", "indicator", "measurement")
ADD, ADD_UNEXPECTED, MORE, UP = "rec:add", "rec:add_unx", "rec:more", "rec:up"
EDIT, DELETE, CHILDREN, MEASURE = "rac:edit", "rac:delete", "rac:children", "rac:measure"
DEL_YES, DEL_NO = "rdel:yes", "rdel:no"
PAGE = 8
SHORT = 48


def _d(ctx: Ctx) -> dict[str, Any]:
    return ctx.state.data


def _short(text: str, n: int = SHORT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _id(project: Project) -> int:
    """A stored project's id (every project these lists show was loaded from storage)."""
    if project.id is None:
        raise LookupError("a stored project has an id")
    return project.id


def start_data(project_id: int, kind: str, **filters: Any) -> dict[str, Any]:
    """The data to open this dialogue on a list (filters: effect_id, indicator_id) or, with
    record_id, on one record's card."""
    return {"project_id": project_id, "kind": kind, **{k: v for k, v in filters.items() if v is not None}}


# -- what the project holds ------------------------------------------------------------------------
def _indicators(project: Project) -> list[tuple[Effect, Indicator]]:
    return [(e, i) for e in project.effects for i in e.indicators]


def _measurements(project: Project) -> list[tuple[Indicator, Measurement]]:
    return [(i, m) for _, i in _indicators(project) for m in i.measurements]


def records_of(ctx: Ctx, project: Project | None) -> list[Any]:
    """The records of the list being shown, in the order they are listed."""
    if project is None:
        return []
    d = _d(ctx)
    kind = d.get("kind")
    if kind == "effect":
        return sorted(project.effects, key=lambda e: not e.expected)
    if kind == "indicator":
        return [
            i for e, i in _indicators(project) if d.get("effect_id") is None or e.id == d.get("effect_id")
        ]
    if kind == "measurement":
        found = [
            (i, m)
            for i, m in _measurements(project)
            if d.get("indicator_id") is None or i.id == d.get("indicator_id")
        ]
        found.sort(key=lambda x: (period_key(x[1].period), x[1].recorded_at), reverse=True)
        return [m for _, m in found]
    return []


def _find(project: Project | None, kind: str, record_id: Any) -> Any:
    if project is None or record_id is None:
        return None
    try:
        rid = int(record_id)
    except (TypeError, ValueError):
        return None
    pool: list[Any] = (
        project.effects
        if kind == "effect"
        else [i for _, i in _indicators(project)]
        if kind == "indicator"
        else [m for _, m in _measurements(project)]
    )
    return next((r for r in pool if r.id == rid), None)


def _indicator_of(project: Project, measurement: Measurement) -> Indicator | None:
    return next((i for i, m in _measurements(project) if m.id == measurement.id), None)


def _effect_of(project: Project, indicator: Indicator) -> Effect | None:
    return next((e for e, i in _indicators(project) if i.id == indicator.id), None)


def _label(ctx: Ctx, project: Project, record: Any) -> str:
    kind = _d(ctx).get("kind")
    if kind == "effect":
        return ("🎯 " if record.expected else "⚠️ ") + _short(record.statement)
    if kind == "indicator":
        return "📏 " + _short(record.label)
    ind = _indicator_of(project, record)
    value = f"{record.period} · {fmt_number(record.value)}"
    if record.baseline:
        value = "📍 " + value
    if _d(ctx).get("indicator_id") is None and ind is not None:
        value += " · " + _short(ind.label, 30)
    return value


# -- the list ------------------------------------------------------------------------------------
def _list_prompt(ctx: Ctx) -> list[Msg]:
    project = current_project(ctx)
    if project is None:
        return [msg("projects.not_found")]
    found = records_of(ctx, project)
    parent = _parent_name(ctx, project)
    key = str(_d(ctx).get("kind")) + ("_of" if parent else "")
    if not found:
        return [msg(f"records.none.{key}", title=project.title, parent=parent)]
    return [msg(f"records.list.{key}", title=project.title, parent=parent, n=len(found))]


def _parent_name(ctx: Ctx, project: Project) -> str:
    d = _d(ctx)
    if d.get("kind") == "indicator" and d.get("effect_id") is not None:
        effect = _find(project, "effect", d["effect_id"])
        return _short(effect.statement, 80) if effect else ""
    if d.get("kind") == "measurement" and d.get("indicator_id") is not None:
        ind = _find(project, "indicator", d["indicator_id"])
        return _short(ind.label, 80) if ind else ""
    return ""


def list_options(ctx: Ctx) -> list[Option]:
    project = current_project(ctx)
    found = records_of(ctx, project)
    page = int(_d(ctx).get("page") or 0)
    if page * PAGE >= len(found):
        page = 0
    opts = [
        Option(RecordPick(r.id).encode(), msg("common.raw", text=_label(ctx, project, r)))
        for r in found[page * PAGE : (page + 1) * PAGE]
        if r.id is not None and project is not None
    ]
    if len(found) > PAGE:
        opts.append(Option(MORE, msg("records.more")))
    kind = _d(ctx).get("kind")
    if kind == "effect":
        opts += [
            Option(ADD, msg("records.add.effect")),
            Option(ADD_UNEXPECTED, msg("records.add.unexpected")),
        ]
    elif kind == "indicator" or (project is not None and _indicators(project)):
        opts.append(Option(ADD, msg(f"records.add.{kind}")))
    return opts + [Option(UP, msg("nav.back"))]


def _choose(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    project = current_project(ctx)
    d = _d(ctx)
    if project is None:
        ctx.say("projects.not_found")
        return Start("menu")
    if choice is None:
        return choice_error(answer, len(list_options(ctx)))
    if choice == UP:
        return _up(ctx, project)
    if choice == MORE:
        page = int(d.get("page") or 0) + 1
        d["page"] = page if page * PAGE < len(records_of(ctx, project)) else 0
        return Start(DIALOGUE, {**_list_data(ctx), "page": d["page"]})
    if choice in (ADD, ADD_UNEXPECTED):
        return _add(ctx, project, choice)
    pick = RecordPick.read(choice)
    record = _find(project, str(d.get("kind")), pick.id) if pick is not None else None
    if record is None or record not in records_of(ctx, project):
        return Invalid(msg("records.not_found"))
    return record.id


def _list_data(ctx: Ctx) -> dict[str, Any]:
    d = _d(ctx)
    return start_data(
        d["project_id"], d["kind"], effect_id=d.get("effect_id"), indicator_id=d.get("indicator_id")
    )


def _up(ctx: Ctx, project: Project) -> Start:
    """From a list: to the record it belongs to (an effect's indicators → the effect), or to the
    project card."""
    d = _d(ctx)
    if d.get("kind") == "indicator" and d.get("effect_id") is not None:
        return Start(DIALOGUE, start_data(_id(project), "effect", record_id=d["effect_id"]))
    if d.get("kind") == "measurement" and d.get("indicator_id") is not None:
        return Start(DIALOGUE, start_data(_id(project), "indicator", record_id=d["indicator_id"]))
    return Start("projects", {"project_id": project.id})


def _add(ctx: Ctx, project: Project, choice: str) -> Start:
    d = _d(ctx)
    kind = d.get("kind")
    if kind == "effect":
        return Start("effects" if choice == ADD else "unexpected", {"project_id": project.id})
    if kind == "indicator":
        return Start("indicators", {"project_id": project.id, "effect_id": d.get("effect_id")})
    return Start("measures", {"project_id": project.id, "indicator_id": d.get("indicator_id")})


# -- one record ------------------------------------------------------------------------------------
def _record(ctx: Ctx) -> tuple[Project | None, Any]:
    project = current_project(ctx)
    return project, _find(project, str(_d(ctx).get("kind")), _d(ctx).get("record_id"))


def _card_prompt(ctx: Ctx) -> list[Msg]:
    project, record = _record(ctx)
    if record is None or project is None:  # (no record without its project)
        return [msg("records.not_found")]
    return card_lines(ctx, project, record) + [msg("records.what_now")]


def card_lines(ctx: Ctx, project: Project, record: Any) -> list[Msg]:
    kind = _d(ctx).get("kind")
    if kind == "effect":
        return [
            msg(
                "records.card.effect",
                statement=record.statement,
                kind=msg("records.expected" if record.expected else "records.unexpected"),
                polarity=msg(f"records.polarity.{record.polarity}"),
                indicators=len(record.indicators),
            )
        ]
    if kind == "indicator":
        p = progress(record)
        return [
            msg(
                "records.card.indicator",
                label=record.label,
                baseline=fmt_number(p.baseline) if p.baseline is not None else "?",
                target=fmt_number(p.target) if p.target is not None else "?",
                latest=fmt_number(p.latest) if p.latest is not None else "—",
                measurements=len(record.measurements),
            )
        ]
    ind = _indicator_of(project, record)
    lines = [
        msg(
            "records.card.measurement",
            label=ind.label if ind else "",
            period=record.period,
            value=fmt_number(record.value),
            source=record.source or "—",
        )
    ]
    if record.baseline:
        lines.append(msg("records.is_baseline"))
    if record.disaggregated:
        lines.append(measures_dialogue.disaggregation_line(ctx, record.disaggregated))
    return lines


def card_options(ctx: Ctx) -> list[Option]:
    kind = _d(ctx).get("kind")
    opts = [Option(EDIT, msg("records.edit")), Option(DELETE, msg("records.delete"))]
    if kind == "effect":
        opts.append(Option(CHILDREN, msg("records.children.effect")))
    elif kind == "indicator":
        opts += [
            Option(CHILDREN, msg("records.children.indicator")),
            Option(MEASURE, msg("records.add.measurement")),
        ]
    if not ctx.state.history:  # opened on the card: no Back button to the list, so offer it
        opts.append(Option(UP, msg("nav.back")))
    return opts


def _act(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    project, record = _record(ctx)
    d = _d(ctx)
    if record is None or project is None:  # (no record without its project)
        ctx.say("records.not_found")
        return Start(DIALOGUE, _list_data(ctx)) if project is not None else Start("menu")
    if choice == UP or answer.button == UP:  # also "/back" (back_as): to the list
        return Start(DIALOGUE, _list_data(ctx))
    if choice is None:
        return choice_error(answer, len(card_options(ctx)))
    kind = d["kind"]
    if choice == DELETE:
        return choice
    if choice == CHILDREN:
        if kind == "effect":
            return Start(DIALOGUE, start_data(_id(project), "indicator", effect_id=record.id))
        return Start(DIALOGUE, start_data(_id(project), "measurement", indicator_id=record.id))
    if choice == MEASURE and kind == "indicator":
        return Start("measures", {"project_id": project.id, "indicator_id": record.id})
    if choice == EDIT:
        back = {**_list_data(ctx), "record_id": record.id}
        return _open_editor(ctx, project, kind, record, back)  # on the record dialogue's summary
    return choice_error(answer, len(card_options(ctx)))


def _open_editor(ctx: Ctx, project: Project, kind: str, record: Any, back: dict[str, Any]) -> Start:
    if kind == "effect" and record.expected:
        dialogue, data = effects_dialogue.DIALOGUE, effects_dialogue.edit_data(project, record)
    elif kind == "effect":
        dialogue, data = unexpected_dialogue.DIALOGUE, unexpected_dialogue.edit_data(ctx, project, record)
    elif kind == "indicator":
        effect = _effect_of(project, record)
        if effect is None:
            raise LookupError("an indicator of the project belongs to one of its effects")
        dialogue, data = (
            indicators_dialogue.DIALOGUE,
            indicators_dialogue.edit_data(ctx, project, effect, record),
        )
    else:
        ind = _indicator_of(project, record)
        if ind is None:
            raise LookupError("a measurement of the project belongs to one of its indicators")
        dialogue, data = measures_dialogue.DIALOGUE, measures_dialogue.edit_data(project, ind, record)
    return open_on_summary(dialogue, {**data, "return_to": back})


# -- deleting ----------------------------------------------------------------------------------------
def _delete_prompt(ctx: Ctx) -> list[Msg]:
    project, record = _record(ctx)
    if record is None or project is None:  # (no record without its project)
        return [msg("records.not_found")]
    kind = _d(ctx)["kind"]
    if kind == "effect":
        n_ind = len(record.indicators)
        n_mes = sum(len(i.measurements) for i in record.indicators)
        return [
            msg(
                "records.delete_confirm.effect",
                text=_short(record.statement, 120),
                indicators=n_ind,
                measurements=n_mes,
            )
        ]
    if kind == "indicator":
        return [
            msg(
                "records.delete_confirm.indicator",
                text=_short(record.label, 120),
                measurements=len(record.measurements),
            )
        ]
    return [msg("records.delete_confirm.measurement", period=record.period, value=fmt_number(record.value))]


def delete_options(ctx: Ctx) -> list[Option]:
    return [
        Option(DEL_YES, msg("myprojects.delete_yes"), by_meaning=False),
        Option(DEL_NO, msg("myprojects.delete_no")),
    ]


def _delete(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None and said(answer, "deny"):
        choice = DEL_NO
    if choice == DEL_NO:
        ctx.say("records.kept")
        return Start(DIALOGUE, {**_list_data(ctx), "record_id": _d(ctx).get("record_id")})
    if choice != DEL_YES:  # deleting needs the button (or its number): never a guess
        return choice_error(answer, 2)
    project, record = _record(ctx)
    if record is None or project is None:  # (no record without its project)
        ctx.say("records.not_found")
        return Start(DIALOGUE, _list_data(ctx)) if project is not None else Start("menu")
    kind = _d(ctx)["kind"]
    detail: dict[str, Any] = {"project": project.id}
    if kind == "effect":
        project.effects = [e for e in project.effects if e.id != record.id]
        detail.update(
            statement=record.statement[:200], expected=record.expected, indicators=len(record.indicators)
        )
    elif kind == "indicator":
        for e in project.effects:
            e.indicators = [i for i in e.indicators if i.id != record.id]
        detail.update(label=record.label[:200], measurements=len(record.measurements))
    else:
        for _, i in _indicators(project):
            if any(m.id == record.id for m in i.measurements):
                i.measurements = [m for m in i.measurements if m.id != record.id]
                if record.baseline:
                    measures_dialogue.forget_baseline(i, record)
        detail.update(period=record.period, value=record.value)
    ctx.uow.projects.save(project)
    ctx.uow.audit.add(
        AuditEntry(
            user_id=ctx.user.id if ctx.user else None,
            action=f"{kind}.deleted",
            target=f"{kind}:{record.id}",
            detail=detail,
        )
    )
    ctx.say(f"records.deleted.{kind}")
    return Start(DIALOGUE, _list_data(ctx))


def _start(ctx: Ctx) -> Start | None:
    d = _d(ctx)
    if d.get("kind") not in KINDS or current_project(ctx) is None:
        ctx.say("projects.not_found")
        return Start("menu")
    return None


def setup(h: Handlers) -> None:
    h.registry.add(
        Dialogue(
            id=DIALOGUE,
            confirm=False,
            on_start=_start,
            steps=[
                Step(
                    "record_id",
                    prompt=_list_prompt,
                    kind="choice",
                    options=list_options,
                    parse=_choose,
                    when=lambda ctx: _d(ctx).get("record_id") is None,
                    back_as=UP,
                ),
                Step(
                    "action",
                    prompt=_card_prompt,
                    kind="choice",
                    options=card_options,
                    parse=_act,
                    store=False,
                    back_as=UP,
                ),
                Step(
                    "confirm_delete",
                    prompt=_delete_prompt,
                    kind="choice",
                    options=delete_options,
                    parse=_delete,
                    store=False,
                ),
            ],
        )
    )
