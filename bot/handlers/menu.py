"""The main menu: what a registered user can do, by role."""
from __future__ import annotations

from typing import Any

from domain.dialogue import Answer, Ctx, Dialogue, Goto, Invalid, Option, Start, Step
from domain.messages import msg

from bot.handlers import Handlers

HELP = "menu:help"
LANGUAGE = "menu:language"


def setup(h: Handlers) -> None:
    def options(ctx: Ctx) -> list[Option]:
        role = ctx.user.role if ctx.user is not None else None
        opts = [Option(e.data, e.label) for e in h.menu_for(role)]
        return opts + [Option(HELP, msg("menu.help")), Option(LANGUAGE, msg("menu.language"))]

    def choose(ctx: Ctx, answer: Answer, choice: Any) -> Any:
        if choice is None:
            return Invalid(msg("common.choose_option", n=len(options(ctx))))
        if choice == HELP:
            ctx.say("help.general")
            ctx.say("help.commands")
            return Goto("choice")
        if choice == LANGUAGE:
            ctx.extra["ask_language"] = True
            return Goto("choice")
        entry = next(e for e in h.menu if e.data == choice)
        return Start(entry.dialogue)

    h.registry.add(Dialogue(
        id="menu", confirm=False, then=None,
        steps=[Step("choice", prompt=msg("menu.title"), kind="choice", options=options,
                    parse=choose, store=False)],
    ))
