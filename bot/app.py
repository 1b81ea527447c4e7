"""The composition root: settings → database, NLU, knowledge, catalogs, handlers → dispatcher."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from domain.dialogue import Engine
from domain.nlu import NLU

from bot.dispatcher import Dispatcher, Services
from bot.handlers import load_handlers
from bot.i18n import default_catalog
from bot.settings import Settings, get_settings
from knowledge.loader import load_communes, load_knowledge

log = logging.getLogger("athar")


@dataclass
class App:
    settings: Settings
    db_engine: Any
    uow_factory: Any
    services: Services
    dispatcher: Dispatcher
    read_engine: Any = None  # for units of work that only read (storage.db.make_read_engine)

    def close(self) -> None:
        close = getattr(self.services.nlu, "close", None)
        if callable(close):
            close()
        self.db_engine.dispose()
        if self.read_engine is not None and self.read_engine.pool is not self.db_engine.pool:
            self.read_engine.dispose()


def make_nlu(settings: Settings) -> NLU | None:
    from nlu.service import make_nlu as _make

    return _make(settings.nlu.url, timeout=settings.nlu.timeout_seconds, max_chars=settings.nlu.max_chars)


def build_app(
    settings: Settings | None = None,
    *,
    nlu: NLU | None | str = "auto",
    database_url: str | None = None,
    migrate: bool = False,
) -> App:
    from storage.db import make_engine, make_read_engine, make_uow_factory

    settings = settings or get_settings()
    url = database_url or settings.sqlalchemy_url
    if migrate:
        from storage.migrate import upgrade

        upgrade(url)
    db_engine = make_engine(url)
    uow_factory = make_uow_factory(db_engine)
    read_engine = make_read_engine(db_engine)
    handlers = load_handlers()
    services = Services(
        engine=Engine(handlers.registry),
        handlers=handlers,
        catalog=default_catalog(),
        nlu=make_nlu(settings) if nlu == "auto" else nlu,  # type: ignore[arg-type]
        communes=load_communes(),
        knowledge=load_knowledge(),
        settings=settings,
    )
    from bot.poll_support import install as install_polls

    install_polls(services, settings, url)
    from bot.services.exports import install as install_exports

    install_exports(services, settings)
    dispatcher = Dispatcher(
        uow_factory,
        services,
        default_language=settings.default_language.value,
        read_uow_factory=make_uow_factory(read_engine),
    )
    return App(settings, db_engine, uow_factory, services, dispatcher, read_engine)
