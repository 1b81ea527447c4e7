"""The "projects" dialogue ("my projects"): list the projects the user may see, open one as a
compact card, then edit it, walk its circle of parties, open the list of its effects,
indicators or measurements (the "records" dialogue: each can be edited or deleted there), or
delete it after a confirmation.

Every action reloads the project through `load_project`, which applies the access rule: an id
the user may not see (forged button data included) behaves as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from domain.buttons import ProjectPick
from domain.dialogue import Answer, Ctx, Dialogue, Goto, Invalid, Option, Start, Step
from domain.messages import Msg, msg
from domain.records import AuditEntry, Project

from bot.handlers import Handlers, MenuEntry
from bot.handlers._projects import load_project, visible_projects
from bot.handlers.project import (
    choice_error,
    is_programme_wide,
    open_for_edit,
    public_text,
    said,
)

DIALOGUE = "projects"
EDIT, DELETE, PARTIES = "card:edit", "card:delete", "card:parties"
# card button -> the kind of records it lists (the "records" dialogue: open, edit, delete)
RECORD_LISTS = (
    ("card:effects", "effect", "myprojects.effects"),
    ("card:indicators", "indicator", "myprojects.indicators"),
    ("card:measures", "measurement", "myprojects.measures"),
)
DEL_YES, DEL_NO = "del:yes", "del:no"
MORE = "prj:more"
PAGE = 8  # projects per page: fits a WhatsApp list with "more" and "back"


def _start(ctx: Ctx) -> Start | None:
    if not visible_projects(ctx):
        ctx.say("projects.none")
        return Start("menu")
    return None


def list_options(ctx: Ctx) -> list[Option]:
    """One page of projects (PAGE at most), then "more" when there are others."""
    wide = is_programme_wide(ctx)
    projects = visible_projects(ctx)
    page = int(ctx.state.data.get("page") or 0)
    if page * PAGE >= len(projects):
        page = 0
    out = []
    for p in projects[page * PAGE : (page + 1) * PAGE]:
        title = p.title[:50]
        if wide:
            title = f"{title} · {ctx.services.commune_name(p.commune_id, ctx.lang)}"
        out.append(Option(ProjectPick(p.id).encode(), msg("common.raw", text=title)))
    if len(projects) > PAGE:
        out.append(Option(MORE, msg("myprojects.more")))
    return out


def _list_prompt(ctx: Ctx) -> Msg:
    return msg("myprojects.list", n=len(visible_projects(ctx)))


def _choose(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is None:
        return choice_error(answer, len(list_options(ctx)))
    if choice == MORE:
        page = int(ctx.state.data.get("page") or 0) + 1
        ctx.state.data["page"] = page if page * PAGE < len(visible_projects(ctx)) else 0
        return Goto("project_id", None)
    pick = ProjectPick.read(choice)
    project = load_project(ctx, pick.id) if pick is not None else None
    if project is None:
        return Invalid(msg("projects.not_found"))
    return project.id


def _project(ctx: Ctx) -> Project | None:
    return load_project(ctx, ctx.state.data.get("project_id"))


def card_lines(ctx: Ctx, project: Project) -> list[Msg]:
    n_indicators = sum(len(e.indicators) for e in project.effects)
    n_measures = sum(len(i.measurements) for e in project.effects for i in e.indicators)
    groups = {s.group for s in project.stakeholders}
    publics = "; ".join(
        public_text(ctx, {"category": p.category, "detail": p.detail, "number": p.expected_number})
        for p in project.publics
    )
    if project.period_start:
        period = f"{project.period_start:%m/%Y} → " + (
            f"{project.period_end:%m/%Y}" if project.period_end else ""
        )
    else:
        period = project.period_text or "—"
    return [
        msg(
            "myprojects.card",
            title=project.title,
            commune=ctx.services.commune_name(project.commune_id, ctx.lang),
            period=period,
            publics=publics or "—",
        ),
        msg(
            "myprojects.counts",
            parties=len(groups),
            effects=len(project.effects),
            indicators=n_indicators,
            measures=n_measures,
        ),
    ]


def _card_prompt(ctx: Ctx) -> list[Msg]:
    project = _project(ctx)
    if project is None:
        return [msg("projects.not_found")]
    return card_lines(ctx, project) + [msg("myprojects.what_now")]


def card_options(ctx: Ctx) -> list[Option]:
    registry = ctx.services.handlers.registry
    opts = [Option(EDIT, msg("myprojects.edit"))]
    if "parties" in registry:
        opts.append(Option(PARTIES, msg("myprojects.parties")))
    if "records" in registry:
        opts += [Option(data, msg(key)) for data, _, key in RECORD_LISTS]
    return opts + [Option(DELETE, msg("myprojects.delete"))]


def _card(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    project = _project(ctx)
    if project is None:
        ctx.say("projects.not_found")
        return Start("menu")
    if choice is None:
        return choice_error(answer, len(card_options(ctx)))
    if choice == EDIT:
        return open_for_edit(ctx, project)  # the project dialogue, on its summary
    if choice == DELETE:
        return choice
    if choice == PARTIES:
        return Start("parties", {"project_id": project.id})
    for data, kind, _ in RECORD_LISTS:
        if choice == data:
            return Start("records", {"project_id": project.id, "kind": kind})
    return choice_error(answer, len(card_options(ctx)))


def _delete_prompt(ctx: Ctx) -> list[Msg]:
    project = _project(ctx)
    if project is None:
        return [msg("projects.not_found")]
    n_indicators = sum(len(e.indicators) for e in project.effects)
    return [
        msg(
            "myprojects.delete_confirm",
            title=project.title,
            effects=len(project.effects),
            indicators=n_indicators,
        )
    ]


def delete_options(ctx: Ctx) -> list[Option]:
    return [
        Option(DEL_YES, msg("myprojects.delete_yes"), by_meaning=False),
        Option(DEL_NO, msg("myprojects.delete_no")),
    ]


def _delete(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is None and said(answer, "deny"):
        choice = DEL_NO
    if choice == DEL_NO:
        ctx.say("myprojects.kept")
        return Goto("action")
    if choice != DEL_YES:  # deleting needs the button (or its number): never a guess
        return choice_error(answer, 2)
    project = _project(ctx)
    if project is None or project.id is None:
        ctx.say("projects.not_found")
        return Start("menu")
    ctx.uow.projects.delete(project.id)
    ctx.uow.audit.add(
        AuditEntry(
            user_id=ctx.user.id if ctx.user is not None else None,
            action="project.deleted",
            target=f"project:{project.id}",
            detail={"commune": project.commune_id, "title": project.title},
        )
    )
    ctx.say("myprojects.deleted", title=project.title)
    return "deleted"


def setup(h: Handlers) -> None:
    h.registry.add(
        Dialogue(
            id=DIALOGUE,
            confirm=False,
            on_start=_start,
            steps=[
                Step(
                    "project_id",
                    prompt=_list_prompt,
                    kind="choice",
                    options=list_options,
                    parse=_choose,
                    when=lambda ctx: ctx.state.data.get("project_id") is None,
                ),
                Step(
                    "action",
                    prompt=_card_prompt,
                    kind="choice",
                    options=card_options,
                    parse=_card,
                    store=False,
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
    h.add_menu(
        MenuEntry(
            data="menu:my_projects",
            label=msg("menu.my_projects"),
            dialogue=DIALOGUE,
            order=20,
            intent="show_projects",
        )
    )
