"""The main menu: what a registered user can do, by role.

A typed answer is read by meaning (domain.dialogue): a button's label (any variant, typos aside),
else the NLU's intent when it asks for a menu entry ("je veux voir mes projets", "bghit nzid
indicateur"), help or another language; anything else gets the menu again with one line of help.
"""

from __future__ import annotations

from typing import Any

from domain.dialogue import Answer, Ctx, Dialogue, Goto, Invalid, Option, Start, Step
from domain.messages import msg

from bot.handlers import Handlers

HELP = "menu:help"
LANGUAGE = "menu:language"


def setup(h: Handlers) -> None:
    def entries(ctx: Ctx) -> list[Any]:
        return h.menu_for(ctx.user.role if ctx.user is not None else None)

    def options(ctx: Ctx) -> list[Option]:
        opts = [Option(e.data, e.label, intent=e.intent) for e in entries(ctx)]
        return opts + [
            Option(HELP, msg("menu.help"), intent="help"),
            Option(LANGUAGE, msg("menu.language"), intent="change_language"),
        ]

    def choose(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
        if choice is None:
            return Invalid(msg("menu.not_understood"))
        if choice == HELP:
            ctx.say("help.general")
            ctx.say("help.commands")
            return Goto("choice")
        if choice == LANGUAGE:
            ctx.extra["ask_language"] = True
            return Goto("choice")
        entry = next(e for e in h.menu if e.data == choice)
        return Start(entry.dialogue)

    h.registry.add(
        Dialogue(
            id="menu",
            confirm=False,
            then=None,
            steps=[
                Step(
                    "choice",
                    prompt=msg("menu.title"),
                    kind="choice",
                    options=options,
                    parse=choose,
                    store=False,
                )
            ],
        )
    )
