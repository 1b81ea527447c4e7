"""Shared by the project dialogues: which projects a user may see, and choosing one.

Access rule: officials and staff see and change only their commune's projects; coordinators and
admins see all. Every read of a project by id goes through `load_project`, which enforces it.
"""

from __future__ import annotations

from typing import Any

from domain.buttons import ProjectPick
from domain.dialogue import Answer, Ctx, Invalid, Option, Start, Step
from domain.messages import msg
from domain.ports import ProjectSummary
from domain.records import AuditEntry, Project

MAX_LISTED = 30


def visible_projects(ctx: Ctx) -> list[ProjectSummary]:
    user = ctx.user
    if user is None or not user.registered:
        return []
    if user.role in ("coordinator", "admin"):
        return ctx.uow.projects.list(None)
    return ctx.uow.projects.list(user.commune_id)


def load_project(ctx: Ctx, project_id: Any) -> Project | None:
    """The project if it exists and the user may see it, else None (the same for both cases,
    so that a forbidden id reveals nothing)."""
    try:
        pid = int(project_id)
    except (TypeError, ValueError):
        return None
    project = ctx.uow.projects.get(pid)
    if project is None or ctx.user is None or not ctx.user.can_see_commune(project.commune_id):
        return None
    return project


def project_options(ctx: Ctx) -> list[Option]:
    return [
        Option(ProjectPick(p.id).encode(), msg("common.raw", text=p.title[:60]))
        for p in visible_projects(ctx)[:MAX_LISTED]
    ]


def _choose(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is None:
        n = len(project_options(ctx))
        return Invalid(msg("projects.none") if n == 0 else msg("common.choose_option", n=n))
    pick = ProjectPick.read(choice)
    project = load_project(ctx, pick.id) if pick is not None else None
    if project is None:
        return Invalid(msg("projects.not_found"))
    return project.id


def open_on_summary(dialogue_id: str, data: dict[str, Any], history: list[str] | None = None) -> Start:
    """Open a dialogue on its summary, filled in with `data` (a record to mend): Confirm saves,
    Edit changes one field, Back walks through the steps as if they had been answered (by
    default the steps the dialogue would have asked for this data)."""
    return Start(dialogue_id, dict(data), review=True, history=None if history is None else tuple(history))


def editing(ctx: Ctx) -> bool:
    """The running dialogue mends a record (opened from "my projects"), it does not add one."""
    return ctx.state.data.get("record_id") is not None


def mended(ctx: Ctx, project: Project, kind: str, record_id: Any) -> Start:
    """Save a project with one mended record (an effect, indicator or measurement), note it in
    the audit log, say so and go back to where the edit was started."""
    ctx.uow.projects.save(project)
    ctx.uow.audit.add(
        AuditEntry(
            user_id=ctx.user.id if ctx.user else None,
            action=f"{kind}.updated",
            target=f"{kind}:{record_id}",
            detail={"project": project.id},
        )
    )
    return after_edit(ctx, f"records.updated.{kind}")


def after_edit(ctx: Ctx, saved_key: str) -> Start:
    """Once an edit is over (saved, or its record gone): say so and go back to where it was
    started."""
    ctx.say(saved_key)
    back = ctx.state.data.get("return_to")
    if isinstance(back, dict) and "records" in ctx.services.handlers.registry:
        return Start("records", back)
    return Start("menu")


def choose_project_step(step_id: str = "project_id") -> Step:
    """A first step that asks which project, passed over when the dialogue was started with one
    (`data={"project_id": id}`)."""
    return Step(
        step_id,
        prompt=msg("projects.choose"),
        kind="choice",
        options=project_options,
        parse=_choose,
        when=lambda ctx: ctx.state.data.get(step_id) is None,
    )
