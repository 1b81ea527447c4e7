"""Storage: SQLAlchemy 2 tables, repositories and the unit of work behind domain.ports.

    from storage.db import make_engine, make_uow_factory
    from storage.migrate import upgrade

    upgrade(url)                                    # `athar db upgrade`
    uows = make_uow_factory(make_engine(url))       # domain.ports.UnitOfWorkFactory
    with uows() as uow:                             # one per incoming message
        if uow.inbox.record(channel, message_id):   # False: a duplicate delivery, drop it
            conv = uow.conversations.lock(channel, chat_id)
            ...
            uow.commit()                            # the only commit

Imports only `domain` (never bot, nlu, knowledge, exports).
"""
