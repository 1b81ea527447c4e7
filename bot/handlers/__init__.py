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

from domain.dialogue import Ctx, Outcome, Registry
from domain.messages import Msg, Reply


@dataclass(frozen=True)
class MenuEntry:
    data: str  # button data, "menu:<name>"
    label: Msg
    dialogue: str
    order: int = 100
    roles: tuple[str, ...] = ("official", "staff", "coordinator", "admin")
    intent: str | None = None  # the NLU intent that asks for it in words (domain.nlu.FEATURE_INTENTS)


# A /start payload handler: returns replies, or where the conversation goes (an outcome the
# engine carries out), if it recognises the payload; else None.
PayloadHandler = Callable[[Ctx, str], list[Reply] | Outcome | None]
# A job runner (see domain.messages.Job): (services, read-only unit of work, params) → the reply
# to send in place of the one that carried the job. It may take seconds; it must not write.
JobRunner = Callable[[Any, Any, dict], Reply]
# A moment of need (domain.knowledge.MOMENTS): a dialogue reached a step that may call for a
# lesson (the first effect, the first indicator…). The hook may add a note (ctx.say); it never
# changes the running dialogue.
MomentHook = Callable[[Ctx, str], None]
# A button that works whatever the running dialogue (a note's button, pressed now or later):
# (ctx, button data) → the replies, or where the conversation goes (an outcome the engine
# carries out; what it says before goes to ctx.say).
ButtonHandler = Callable[[Ctx, str], list[Reply] | Outcome]


@dataclass
class Handlers:
    registry: Registry = field(default_factory=Registry)
    menu: list[MenuEntry] = field(default_factory=list)
    payloads: list[PayloadHandler] = field(default_factory=list)
    commands: dict[str, str] = field(default_factory=dict)  # /command -> the dialogue it starts
    # /command -> replies given without leaving the running dialogue (registered users only)
    actions: dict[str, Callable[[Ctx], "list[Reply]"]] = field(default_factory=dict)
    # dialogue id -> replies for an unregistered user who cancels or leaves it (instead of the
    # onboarding), e.g. a beneficiary leaving a poll
    on_leave: dict[str, Callable[[Ctx], "list[Reply] | Outcome"]] = field(default_factory=dict)
    jobs: dict[str, JobRunner] = field(default_factory=dict)  # Job.kind -> its runner
    moments: list[MomentHook] = field(default_factory=list)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)  # data prefix -> handler
    # dialogues of anonymous conversations (a beneficiary's poll): their replies are outbox
    # items that leave no row once sent (OutboxItem.private)
    anonymous: set[str] = field(default_factory=set)

    def add_menu(self, entry: MenuEntry) -> None:
        """A main-menu entry; its label also names its dialogue ("leave «New project»?")."""
        self.menu.append(entry)
        self.menu.sort(key=lambda e: (e.order, e.data))
        if entry.dialogue in self.registry and self.registry.get(entry.dialogue).title is None:
            self.registry.get(entry.dialogue).title = entry.label

    def add_command(self, name: str, dialogue: str) -> None:
        """A slash command (without the slash) that starts a dialogue for registered users."""
        self.commands[name] = dialogue

    def add_action(self, name: str, action: Callable[[Ctx], "list[Reply]"]) -> None:
        """A slash command (without the slash) that answers registered users without leaving
        the running dialogue; its question is asked again after the answer."""
        self.actions[name] = action

    def add_job(self, kind: str, runner: JobRunner) -> None:
        self.jobs[kind] = runner

    def menu_for(self, role: str | None) -> list[MenuEntry]:
        return [e for e in self.menu if role in e.roles]

    def add_button(self, prefix: str, handler: ButtonHandler) -> None:
        self.buttons[prefix] = handler

    def button_handler(self, data: str) -> ButtonHandler | None:
        """The handler of a button that works everywhere (its data starts with a registered
        prefix), else None."""
        return next((h for prefix, h in self.buttons.items() if data.startswith(prefix)), None)


def with_moment(
    on_start: Callable[[Ctx], Outcome | None] | None, dialogue_id: str, moment: str
) -> Callable[[Ctx], Outcome | None]:
    """A dialogue's on_start that also reports `moment` once the dialogue really starts (not
    when on_start sends the user elsewhere, e.g. to the menu for want of a project)."""

    def start(ctx: Ctx) -> Outcome | None:
        elsewhere = on_start(ctx) if on_start is not None else None
        if elsewhere is None:
            reached(ctx, moment)
        return elsewhere

    return start


def reached(ctx: Ctx, moment: str) -> None:
    """Tell the hooks that the running dialogue reached a moment of need (one call where a step
    is first met: the start of the effects dialogue, the coach seeing an activity again…)."""
    handlers = getattr(ctx.services, "handlers", None) if ctx.services is not None else None
    for hook in handlers.moments if handlers is not None else ():
        hook(ctx, moment)


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
