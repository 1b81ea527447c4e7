"""Housekeeping of the database: what `athar db prune` runs, and what a running bot runs by
itself every few hours (the Telegram channel's sweep), so nothing grows without end and the
retention promised at consent holds even where nobody set up a cron job.

- processed message ids (duplicate detection) older than `inbox_days`: channels redeliver for
  hours at most;
- outbox items sent, or given up (never to be sent), older than `outbox_days` (private ones,
  a beneficiary's, are deleted when sent or given up; those whose attempts ran out go at once,
  WhatsApp's still waiting for their delivery status after a day);
- WhatsApp delivery statuses (a row per message sent: its id, the number, the status) older
  than 30 days;
- dead letters (payloads that could never be handled, kept with their error for the operators;
  they may hold a chat id and a message) older than `dead_letter_days`;
- poll respondents who consented more than `polls.retention_months` ago, with their answers and
  stories;
- conversations of chats that are nobody's (a beneficiary's poll, an onboarding never finished)
  untouched for `conversation_days`: the chat id and the time of its last message are all a
  beneficiary leaves, and they are not kept longer than needed to resume a poll.
Several workers may run it at the same time: every step is an idempotent DELETE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from domain.records import utcnow

INBOX_DAYS = 30
OUTBOX_DAYS = 30
DEAD_LETTER_DAYS = 14
WHATSAPP_STATUS_DAYS = 30
CONVERSATION_DAYS = 30


@dataclass
class Pruned:
    message_ids: int = 0
    outbox_items: int = 0
    dead_letters: int = 0
    whatsapp_statuses: int = 0
    respondents: int = 0
    conversations: int = 0


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the last day of a shorter month)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    next_month = datetime(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def prune(
    uow_factory: Callable[[], Any],
    retention_months: int,
    *,
    now: datetime | None = None,
    inbox_days: int = INBOX_DAYS,
    outbox_days: int = OUTBOX_DAYS,
    dead_letter_days: int = DEAD_LETTER_DAYS,
    conversation_days: int = CONVERSATION_DAYS,
) -> Pruned:
    now = now or utcnow()
    retention = months_before(now, retention_months)
    with uow_factory() as uow:
        out = Pruned(
            message_ids=uow.inbox.prune(now - timedelta(days=inbox_days)),
            outbox_items=uow.outbox.prune(
                now - timedelta(days=outbox_days), private_before=now - timedelta(days=1)
            ),
            dead_letters=uow.dead_letters.prune(now - timedelta(days=dead_letter_days)),
            whatsapp_statuses=uow.whatsapp_messages.prune(now - timedelta(days=WHATSAPP_STATUS_DAYS)),
            respondents=uow.respondents.purge(retention),
            conversations=uow.conversations.prune_nobodys(now - timedelta(days=conversation_days)),
        )
        uow.commit()
    return out
