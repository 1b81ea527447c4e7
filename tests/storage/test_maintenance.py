"""Database housekeeping (bot.maintenance.prune): what `athar db prune` and a running bot do,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from domain.ports import OutboxItem
from domain.records import Poll, Project, Respondent, User, utcnow

from bot.maintenance import prune
from storage.tables import OutboxRow


def test_prune_forgets_what_is_old_and_done_and_keeps_the_rest(uow_factory):
    now = utcnow()
    old = now - timedelta(days=40)
    with uow_factory() as uow:
        sent_old, unsent_old, sent_new, dead_old = uow.outbox.add_many(
            [
                OutboxItem(channel="telegram", chat_id="1", payload={"n": 1}, created_at=old, sent_at=old),
                OutboxItem(channel="telegram", chat_id="1", payload={"n": 2}, created_at=old),
                OutboxItem(channel="telegram", chat_id="1", payload={"n": 3}, created_at=now, sent_at=now),
                OutboxItem(
                    channel="telegram", chat_id="1", payload={"n": 4}, created_at=old, attempts=1000
                ),  # given up: the user blocked the bot
                # private (a beneficiary's): unsendable goes at once, still sendable stays
                OutboxItem(
                    channel="telegram",
                    chat_id="2",
                    payload={"n": 5},
                    created_at=now,
                    attempts=6,
                    private=True,
                ),
                OutboxItem(
                    channel="telegram",
                    chat_id="2",
                    payload={"n": 6},
                    created_at=now,
                    attempts=2,
                    private=True,
                ),
            ]
        )[:4]
        uow.inbox.record("telegram", "m-old")
        for chat in ("chat-old", "ben-old", "ben-new"):
            uow.conversations.lock("telegram", chat)
        user = uow.users.add(User(role="official", commune_id="berkane"))
        conv = uow.conversations.lock("telegram", "chat-old")
        conv.user_id = user.id
        uow.conversations.save(conv)
        uow.commit()
    with uow_factory() as uow:  # back-date rows (the repositories stamp "now"): test-only SQL
        uow.session.execute(
            text("UPDATE conversations SET updated_at = :t WHERE chat_id IN ('chat-old', 'ben-old')"),
            {"t": now - timedelta(days=4 * 365)},
        )
        uow.session.execute(text("UPDATE inbox SET received_at = :t"), {"t": old})
        project = uow.projects.add(Project(commune_id="berkane", title="Sport pour toutes"))
        poll = uow.polls.add(Poll(project_id=project.id, title="Sondage", token="tok-maint"))
        uow.respondents.add(
            Respondent(
                poll_id=poll.id, pseudonym="p-gone", consent=True, consent_at=now - timedelta(days=400)
            )
        )
        uow.respondents.add(Respondent(poll_id=poll.id, pseudonym="p-kept", consent=True, consent_at=now))
        for wamid, age in (("wamid.old", 31), ("wamid.new", 29)):  # WhatsApp statuses: a month
            uow.session.execute(
                text(
                    "INSERT INTO whatsapp_messages (wamid, chat_id, outbox_id, status, error_code, "
                    "updated_at) VALUES (:w, '212600', NULL, 'read', NULL, :t)"
                ),
                {"w": wamid, "t": now - timedelta(days=age)},
            )
        for age in (15, 13):  # dead letters (they may hold a chat id): kept two weeks
            uow.session.execute(
                text(
                    "INSERT INTO dead_letters (channel, stage, payload, error, attempts, created_at) "
                    "VALUES ('telegram', 'record', '{}', 'e', 0, :t)"
                ),
                {"t": now - timedelta(days=age)},
            )
        uow.commit()

    done = prune(uow_factory, retention_months=12, now=now)

    assert (
        done.outbox_items,
        done.message_ids,
        done.respondents,
        done.dead_letters,
        done.whatsapp_statuses,
        done.conversations,
    ) == (3, 1, 1, 1, 1, 1)
    with uow_factory() as uow:
        left = {
            r.payload["n"]
            for r in uow.session.scalars(select(OutboxRow))
            if r.sent_at is None and r.attempts < 1000
        }
        assert left == {2, 6}  # unsent and still deliverable: kept whatever its age
        assert uow.conversations.get("telegram", "chat-old") is not None  # a user's dialogue stays
        assert uow.conversations.get("telegram", "ben-old") is None  # nobody's, untouched: gone
        assert uow.conversations.get("telegram", "ben-new") is not None
    assert sent_new.id and sent_old.id and unsent_old.id and dead_old.id
    # a second run (another worker at the same time) finds nothing more
    assert prune(uow_factory, retention_months=12, now=now) == type(done)()
