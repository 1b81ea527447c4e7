"""/dashboard: a sign-in link to the coordinators' dashboard (bot/dashboard), sent in the chat.

The link works once, for `dashboard.link_minutes`; only its hash is stored (domain.access). It
is for coordinators and admins, and for officials and staff of a commune (their commune's pages
only); anyone else is told the dashboard is not for them. The command answers without leaving
the running dialogue: the question it was on is asked again after the link.
"""

from __future__ import annotations

from datetime import timedelta

from domain.access import may_use, new_token
from domain.dialogue import Ctx
from domain.messages import Reply
from domain.records import AuditEntry, utcnow

from bot.handlers import Handlers

PATH = "/dashboard/signin/"


def send_link(ctx: Ctx) -> list[Reply]:
    user = ctx.user
    if user is None or not may_use(user) or user.id is None:
        return [Reply.of("dashboard.not_allowed")]
    from bot.settings import DashboardSettings

    settings = getattr(ctx.services.settings, "dashboard", None) or DashboardSettings.model_validate({})
    secret, token = new_token("link", user.id, utcnow(), timedelta(minutes=settings.link_minutes))
    ctx.uow.web.add_token(token)
    ctx.uow.audit.add(
        AuditEntry(
            user_id=user.id, action="dashboard.link", detail={"channel": getattr(ctx.chat, "channel", None)}
        )
    )
    return [
        Reply.of("dashboard.link", url=settings.url + PATH + secret, minutes=settings.link_minutes),
        Reply.of("dashboard.link_note"),
    ]


def setup(h: Handlers) -> None:
    h.add_action("dashboard", send_link)
