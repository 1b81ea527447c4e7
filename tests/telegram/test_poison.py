"""No poison message (issue 14): updates holding NUL, lone surrogates, NaN or absurd nesting, through
the webhook and long polling, on SQLite and PostgreSQL. Each is made storable and answered, or
refused (400, a dead letter) when it can never be stored; every other user is answered meanwhile
and nothing is left behind."""

from __future__ import annotations

import httpx

from storage.delivery import DeliveryStore
from tests.telegram.emulator import buttons
from tests.telegram.conftest import SECRET

DEEP = 32_000


def _raw(uid: int, text: str = '"salam"', date: str = "1700000000", **extra: str) -> str:
    """A message update as raw JSON text (`text`, `date` and extra fields as JSON tokens)."""
    more = "".join(f',"{k}":{v}' for k, v in extra.items())
    return (
        '{"update_id":@ID@,"message":{"message_id":1,"date":%s,'
        '"chat":{"id":%d,"type":"private"},'
        '"from":{"id":%d,"is_bot":false,"first_name":"A","language_code":"fr"},'
        '"text":%s%s}}' % (date, uid, uid, text, more)
    )


def _photo(uid: int, caption: str) -> str:
    return (
        '{"update_id":@ID@,"message":{"message_id":2,"date":1700000000,'
        '"chat":{"id":%d,"type":"private"},'
        '"from":{"id":%d,"is_bot":false,"first_name":"A","language_code":"fr"},'
        '"photo":[{"file_id":"P1","file_unique_id":"u","width":9,"height":9}],'
        '"caption":%s}}' % (uid, uid, caption)
    )


def _deep(n: int) -> str:
    return '{"update_id":@ID@,"message":' + "[" * n + "]" * n + "}"


POISON = {  # user → raw update; every one of these users must be answered
    701: _raw(701, text='"sa\\u0000lam"'),  # NUL (PostgreSQL refuses it)
    702: _raw(702, text='"x\\ud800y \\udfff"'),  # lone surrogates
    703: _raw(703, date="NaN", edit_date="Infinity"),  # not JSON numbers
    704: _photo(704, caption='"une photo\\u0000 \\ud83d"'),  # a caption, NUL and half an emoji
}


def _store(url):
    from storage.db import make_engine

    engine = make_engine(url)
    return engine, DeliveryStore(engine)


def test_poison_through_the_webhook(emulator, web_bot, db_url):
    bot = web_bot(db_url)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    ids = iter(range(50_000, 60_000))

    def post(raw: str) -> int:
        body = raw.replace("@ID@", str(next(ids))).encode("utf-8", "surrogatepass")
        with httpx.Client(trust_env=False, timeout=30) as c:
            return c.post(bot.url, content=body, headers=headers).status_code

    codes = {uid: post(raw) for uid, raw in POISON.items()}
    assert codes == {uid: 200 for uid in POISON}
    # bodies that can never be stored are a bad request, not a server error (once 500 or 503)
    assert post(_deep(DEEP)) == 400  # deeper than the JSON parser goes
    assert post(_deep(40)) == 400  # parsed, but deeper than any real update
    assert post('{"update_id": "7"}') == 400  # no integer id
    emulator.command(705, "/start")  # someone else, meanwhile
    for uid in list(POISON) + [705]:
        sent = emulator.wait_sent(uid, 1)
        assert sent[0].params["text"]
    engine, store = _store(db_url)
    try:
        emulator.wait(lambda: store.count_pending("telegram") == 0)
        (dead,) = store.dead_letters()  # the one nested 40 deep, with its id
        assert dead["stage"] == "record" and "nested deeper" in dead["error"]
    finally:
        engine.dispose()
    assert bot.runtime.stats.dead_letters == 1


def test_poison_through_long_polling(emulator, polling_bot, db_url):
    """getUpdates hands out poison among ordinary updates: an answer nothing can parse (nesting
    32,000 deep) is read one update at a time and the unreadable one kept as a dead letter; the
    bot never stops polling and everyone else is answered."""
    bot = polling_bot(db_url)
    emulator.command(706, "/start")
    emulator.wait_sent(706, 1)
    for raw in POISON.values():
        emulator.push_raw(raw)
    deep = emulator.push_raw(_deep(DEEP))
    emulator.push_raw(_deep(40))
    emulator.command(707, "/start")
    for uid in list(POISON) + [707]:
        emulator.wait_sent(uid, 1)
    emulator.wait(lambda: emulator.confirmed > emulator.updates[-1]["update_id"])
    bot.run(lambda ch: ch.runtime.drain())
    engine, store = _store(db_url)
    try:
        dead = {d["external_id"]: d for d in store.dead_letters()}
        assert str(deep["update_id"]) in dead and len(dead) == 2
        assert store.count_pending("telegram") == 0
    finally:
        engine.dispose()
    emulator.press(706, "lang:fr")  # still polling, still answering
    emulator.wait(lambda: len(emulator.sent(706)) >= 2)
    assert "lang:fr" not in buttons(emulator.sent(706)[-1])


def test_a_caption_with_nul_reaches_the_dispatcher_clean(db_url):
    """Whatever a channel hands over: the dispatcher strips NUL from a caption as from a text."""
    from bot.app import build_app
    from bot.settings import get_settings
    from domain.messages import Incoming, Media

    app = build_app(get_settings(), nlu=None, database_url=db_url)
    try:
        out = app.dispatcher.handle(
            Incoming(
                channel="telegram",
                chat_id="708",
                user_ref="708",
                message_id="m708",
                media=Media(kind="photo", ref="P", caption="a\x00b"),
            )
        )
        assert out.replies
    finally:
        app.close()
