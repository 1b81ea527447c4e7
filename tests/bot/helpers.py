"""A small driver for conversations through the real dispatcher (tests only)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from domain.dialogue import Engine
from domain.messages import Incoming, Rendered

from bot.commands.admin import create_invite
from bot.dispatcher import Dispatcher, Services
from bot.handlers import load_handlers
from bot.i18n import default_catalog
from knowledge.loader import load_communes, load_knowledge

_ids = itertools.count(1)
BIDI_CONTROLS = {ord(c): None for c in "\u2066\u2067\u2068\u2069\u200e\u200f"}


def make_dispatcher(uow_factory, nlu=None) -> Dispatcher:
    handlers = load_handlers()
    services = Services(
        engine=Engine(handlers.registry),
        handlers=handlers,
        catalog=default_catalog(),
        nlu=nlu,
        communes=load_communes(),
        knowledge=load_knowledge(),
    )
    return Dispatcher(uow_factory, services)


def invite(uow_factory, role="official", commune="Berkane", days=30) -> str:
    with uow_factory() as uow:
        inv = create_invite(uow, load_communes(), commune, role, days)
        uow.commit()
    return inv.code


@dataclass
class Chat:
    """One user talking to the bot on the console channel."""

    dispatcher: Dispatcher
    user: str = "u1"
    channel: str = "console"
    log: list[Rendered] = field(default_factory=list)

    def _send(self, **kw) -> list[Rendered]:
        kw.setdefault("message_id", f"m{next(_ids)}")
        out = self.dispatcher.handle(
            Incoming(channel=self.channel, chat_id=self.user, user_ref=self.user, **kw)
        )
        # as a channel does: a reply's job (an export) runs just before it is sent
        replies = [self.dispatcher.fulfil(r) for r in out.replies]
        self.log.extend(replies)
        return replies

    def say(self, text: str, **kw) -> list[Rendered]:
        return self._send(text=text, **kw)

    def press(self, data: str) -> list[Rendered]:
        return self._send(button=data)

    def command(self, name: str, arg: str | None = None) -> list[Rendered]:
        return self._send(command=name, command_arg=arg)

    @staticmethod
    def text(replies: list[Rendered]) -> str:
        """The replies' text without the invisible bidi controls (tested on their own)."""
        return "\n".join(r.text for r in replies).translate(BIDI_CONTROLS)

    @staticmethod
    def buttons(replies: list[Rendered]) -> list[str]:
        return [b.data for r in replies for b in r.buttons]

    def state(self) -> dict:
        with self.dispatcher.uow_factory() as uow:
            conv = uow.conversations.get(self.channel, self.user)
            return dict(conv.state) if conv else {}

    def register(self, uow_factory, role="official", commune="Berkane", lang="fr") -> None:
        code = invite(uow_factory, role, commune)
        self.say("salam")
        self.press(f"lang:{lang}")
        self.say(code)
