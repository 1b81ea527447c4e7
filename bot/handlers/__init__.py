"""Dialogue handlers, one module per dialogue.

Each module exposes `setup(h: Handlers)` and registers its dialogues, its entries in the main
menu and the /start payloads it understands. Handlers call domain rules and repositories through
ports (ctx.uow); they never import telegram, a WhatsApp library or sqlalchemy, and they hold no
user-facing sentence: only catalog keys.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

from domain.dialogue import Ctx, Registry
from domain.messages import Msg, Reply


@dataclass(frozen=True)
class MenuEntry:
    data: str  # button data, "menu:<name>"
    label: Msg
    dialogue: str
    order: int = 100
    roles: tuple[str, ...] = ("official", "staff", "coordinator", "admin")


# A /start payload handler: returns replies if it recognises the payload, else None.
PayloadHandler = Callable[[Ctx, str], "list[Reply] | None"]
# A job runner (see domain.messages.Job): (services, read-only unit of work, params) → the reply
# to send in place of the one that carried the job. It may take seconds; it must not write.
JobRunner = Callable[[Any, Any, dict], Reply]


@dataclass
class Handlers:
    registry: Registry = field(default_factory=Registry)
    menu: list[MenuEntry] = field(default_factory=list)
    payloads: list[PayloadHandler] = field(default_factory=list)
    commands: dict[str, str] = field(default_factory=dict)  # /command -> the dialogue it starts
    # dialogue id -> replies for an unregistered user who cancels or leaves it (instead of the
    # onboarding), e.g. a beneficiary leaving a poll
    on_leave: dict[str, Callable[[Ctx], "list[Reply]"]] = field(default_factory=dict)
    jobs: dict[str, JobRunner] = field(default_factory=dict)  # Job.kind -> its runner

    def add_menu(self, entry: MenuEntry) -> None:
        self.menu.append(entry)
        self.menu.sort(key=lambda e: (e.order, e.data))

    def add_command(self, name: str, dialogue: str) -> None:
        """A slash command (without the slash) that starts a dialogue for registered users."""
        self.commands[name] = dialogue

    def add_job(self, kind: str, runner: JobRunner) -> None:
        self.jobs[kind] = runner

    def menu_for(self, role: str | None) -> list[MenuEntry]:
        return [e for e in self.menu if role in e.roles]


def load_handlers() -> Handlers:
    h = Handlers()
    import bot.handlers as pkg
    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"bot.handlers.{mod.name}")
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(h)
    return h
