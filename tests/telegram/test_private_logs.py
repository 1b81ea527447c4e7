"""Logs name nobody (issue 14, item 4): a whole conversation through the real bot (an official
registering and writing, a beneficiary answering a poll with a voice note before consent and a
story with a phone number) at DEBUG, every log record scanned for the chat and user ids, the
names and the phone number used. Chats are correlated by a keyed tag (bot.logs.tag) instead."""

from __future__ import annotations

import itertools
import logging
import time

import pytest
from sqlalchemy import text

from domain.polls import questions_of

from bot.logs import NOISY, _Formatter, tag
from tests.bot.helpers import invite
from tests.polls.helpers import make_poll, make_project
from tests.telegram.emulator import buttons

OFFICIAL, BENEFICIARY = 4440009876, 5550001234
NAMES = {OFFICIAL: ("Amina", "Benali", "amina_benali"), BENEFICIARY: ("Fatima", "Zahra", "fatima_zahra88")}
PHONE = "06 12 34 56 78"
_message_ids = itertools.count(1)
_STANDARD = set(vars(logging.LogRecord("x", 0, "", 0, "", None, None))) | {"message", "asctime"}


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self.fmt = _Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.fmt.format(record))


@pytest.fixture
def debug_logs():
    """The application's logging at DEBUG, as `logging.level: DEBUG` sets it up."""
    root = logging.getLogger()
    keep = _Keep()
    levels = {name: logging.getLogger(name).level for name in NOISY}
    old = root.level
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    yield keep
    root.removeHandler(keep)
    root.setLevel(old)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _person(uid: int) -> dict:
    first, last, username = NAMES[uid]
    return {
        "id": uid,
        "is_bot": False,
        "first_name": first,
        "last_name": last,
        "username": username,
        "language_code": "fr",
    }


def _message(uid: int, **extra) -> dict:
    first, last, username = NAMES[uid]
    return {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": uid, "type": "private", "first_name": first, "last_name": last, "username": username},
        "from": _person(uid),
        **extra,
    }


def _say(emulator, uid: int, words: str) -> None:
    extra = {}
    if words.startswith("/"):
        extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(words.split()[0])}]
    emulator.push({"message": _message(uid, text=words, **extra)})


def _press(emulator, uid: int, data: str) -> None:
    emulator.push(
        {
            "callback_query": {
                "id": f"cq-{next(_message_ids)}",
                "from": _person(uid),
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": next(_message_ids),
                    "date": int(time.time()),
                    "chat": {"id": uid, "type": "private"},
                    "text": ".",
                },
            }
        }
    )


def _voice(emulator, uid: int, file_id: str) -> None:
    emulator.push(
        {
            "message": _message(
                uid,
                voice={
                    "file_id": file_id,
                    "file_unique_id": "u" + file_id,
                    "duration": 5,
                    "mime_type": "audio/ogg",
                    "file_size": 2345,
                },
                caption=f"Appelez {PHONE}",
            )
        }
    )


sent = 0


def _turn(emulator, uid: int, act) -> None:
    """One message, then wait for the bot's answer to it."""
    global sent
    sent += 1
    n = len(emulator.sent(uid))
    act()
    emulator.wait(lambda: len(emulator.sent(uid)) > n)


def test_a_whole_conversation_at_debug_logs_no_id_name_or_phone(
    emulator, polling_bot, sqlite_db_url, monkeypatch, debug_logs
):
    from storage.db import make_engine, make_uow_factory

    global sent
    sent = 0
    monkeypatch.setenv("ATHAR_PSEUDONYM_KEY", "log-test-key")
    engine = make_engine(sqlite_db_url)
    uows = make_uow_factory(engine)
    poll = make_poll(uows, make_project(uows))
    bot = polling_bot(sqlite_db_url)

    # an official registers, opens the menu, asks for help, sends a voice note
    code = invite(uows)
    _turn(emulator, OFFICIAL, lambda: _say(emulator, OFFICIAL, f"/start inv_{code}"))
    emulator.wait(lambda: any("menu:help" in buttons(c) for c in emulator.sent(OFFICIAL)))
    _turn(emulator, OFFICIAL, lambda: _say(emulator, OFFICIAL, "/help"))
    _turn(emulator, OFFICIAL, lambda: _say(emulator, OFFICIAL, f"mon numéro est le {PHONE}"))
    _turn(emulator, OFFICIAL, lambda: _voice(emulator, OFFICIAL, "VOICE-official"))

    # a beneficiary answers the poll: a voice note before consent, a story with a phone
    b = BENEFICIARY
    _turn(emulator, b, lambda: _say(emulator, b, f"/start {poll.token}"))
    _turn(emulator, b, lambda: _voice(emulator, b, "VOICE-before-consent"))
    _turn(emulator, b, lambda: _press(emulator, b, "lang:fr"))
    _turn(emulator, b, lambda: _press(emulator, b, "pc:yes"))
    for i, q in enumerate(questions_of(poll)):
        if q.kind == "text":
            story = f"Fatima de Hay Salam a trouvé du travail, appelez-la au {PHONE}"
            _turn(emulator, b, lambda story=story: _say(emulator, b, story))
        else:
            _turn(emulator, b, lambda i=i, q=q: _press(emulator, b, f"pq:{i}:{q.values()[0]}"))
    _turn(emulator, b, lambda: _say(emulator, b, "merci Fatima"))

    # the beneficiary's replies leave no outbox row once sent; under load the deletion (the
    # update's bookkeeping) may come a little after the last reply: wait for it, up to 10 s
    def left() -> int:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM outbox WHERE chat_id = :c"), {"c": str(b)}
            ).scalar()

    deadline = time.monotonic() + 10
    while left() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left() == 0
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM outbox WHERE chat_id = :c"), {"c": str(OFFICIAL)}
            ).scalar()
            > 0
        )  # an official's are kept
        assert conn.execute(text("SELECT count(*) FROM stories")).scalar() == 2
    bot.run(lambda ch: ch.runtime.drain())
    engine.dispose()

    needles = [
        str(OFFICIAL),
        str(BENEFICIARY),
        PHONE,
        PHONE.replace(" ", ""),
        *NAMES[OFFICIAL],
        *NAMES[BENEFICIARY],
    ]
    records = debug_logs.records
    handled = [r for r in records if r.name == "athar.dispatcher" and r.levelno == logging.DEBUG]
    assert len(handled) >= sent  # a DEBUG line for every message handled
    for record in records:
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        raw = " ".join(
            [
                str(record.msg),
                repr(record.args),
                repr(extras),
                record.exc_text or "",
                repr(record.exc_info) if record.exc_info else "",
            ]
        )
        found = [n for n in needles if n.lower() in raw.lower()]
        assert not found, f"{found} in a log record of {record.name}: {raw[:300]}"
    for line in debug_logs.lines:
        assert not [n for n in needles if n.lower() in line.lower()], line
    # chats are told apart by their tag, the same for every message of a chat
    convs = [r.conv for r in handled]
    assert set(convs) == {tag("telegram", str(OFFICIAL)), tag("telegram", str(BENEFICIARY))}
    assert convs.count(tag("telegram", str(OFFICIAL))) >= 4
