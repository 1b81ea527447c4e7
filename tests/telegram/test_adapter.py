"""The Telegram adapter's pure parts: recorded updates → Incoming, text splitting, keyboards."""

from __future__ import annotations

import pytest

from bot.channels.telegram import (
    chat_key,
    file_url,
    keyboard,
    keyboard_json,
    layout,
    split_text,
    to_incoming,
    utf16_len,
)
from domain.messages import RenderedButton

FROM = {"id": 42, "is_bot": False, "first_name": "A", "language_code": "ar"}
CHAT = {"id": 42, "type": "private"}


def msg(**extra):
    return {"message_id": 7, "date": 1700000000, "chat": CHAT, "from": FROM, **extra}


CASES = [
    (
        "text",
        {"update_id": 1, "message": msg(text="salam")},
        dict(text="salam", chat_id="42", user_ref="42", message_id="1", lang_hint="ar"),
    ),
    (
        "command",
        {
            "update_id": 2,
            "message": msg(text="/help", entities=[{"type": "bot_command", "offset": 0, "length": 5}]),
        },
        dict(command="help", text=None),
    ),
    ("command with bot name", {"update_id": 3, "message": msg(text="/menu@AtharBot")}, dict(command="menu")),
    (
        "deep link",
        {"update_id": 4, "message": msg(text="/start inv_AB12-x")},
        dict(command="start", command_arg="inv_AB12-x"),
    ),
    (
        "deep link with bad characters is dropped",
        {"update_id": 5, "message": msg(text="/start a b!c")},
        dict(command="start", command_arg=None),
    ),
    (
        "callback",
        {
            "update_id": 6,
            "callback_query": {
                "id": "q1",
                "from": FROM,
                "chat_instance": "c",
                "data": "menu:help",
                "message": {"message_id": 9, "date": 1700000000, "chat": CHAT, "text": "x"},
            },
        },
        dict(button="menu:help", chat_id="42", message_id="6"),
    ),
    (
        "voice",
        {
            "update_id": 7,
            "message": msg(
                voice={
                    "file_id": "V1",
                    "file_unique_id": "u",
                    "duration": 12,
                    "mime_type": "audio/ogg",
                    "file_size": 999,
                }
            ),
        },
        dict(
            media={
                "kind": "voice",
                "ref": "V1",
                "mime": "audio/ogg",
                "size": 999,
                "duration": 12,
                "caption": None,
            }
        ),
    ),
    (
        "photo: the largest size",
        {
            "update_id": 8,
            "message": msg(
                photo=[
                    {"file_id": "small", "file_unique_id": "a", "width": 90, "height": 90},
                    {"file_id": "big", "file_unique_id": "b", "width": 900, "height": 900, "file_size": 5000},
                ],
                caption="  Notre atelier  ",
            ),
        },
        dict(
            media={
                "kind": "photo",
                "ref": "big",
                "mime": "image/jpeg",
                "size": 5000,
                "duration": None,
                "caption": "Notre atelier",
            }
        ),
    ),
    (
        "location",
        {"update_id": 9, "message": msg(location={"latitude": 34.9, "longitude": -2.3})},
        dict(
            media={
                "kind": "location",
                "ref": "34.900000,-2.300000",
                "mime": None,
                "size": None,
                "duration": None,
                "caption": None,
            }
        ),
    ),
]


@pytest.mark.parametrize("name,payload,expected", CASES, ids=[c[0] for c in CASES])
def test_updates_become_incoming_messages(name, payload, expected):
    incoming = to_incoming(payload)
    assert incoming is not None and incoming.channel == "telegram"
    got = incoming.model_dump()
    for key, value in expected.items():
        assert got[key] == value, key
    assert chat_key(payload) == "42"


@pytest.mark.parametrize(
    "payload",
    [
        {"update_id": 10, "edited_message": msg(text="edited")},
        {"update_id": 11, "message": {**msg(text="hi"), "from": {**FROM, "is_bot": True}}},
        {"update_id": 12, "message": msg(new_chat_title="x")},
        {
            "update_id": 13,
            "my_chat_member": {
                "chat": CHAT,
                "from": FROM,
                "date": 1700000000,
                "old_chat_member": {"status": "member", "user": FROM},
                "new_chat_member": {"status": "kicked", "user": FROM, "until_date": 0},
            },
        },
    ],
    ids=["edited", "from a bot", "service message", "member change"],
)
def test_updates_athar_ignores(payload):
    assert to_incoming(payload) is None


@pytest.mark.parametrize(
    "payload",
    [
        {"update_id": 14, "callback_query": {"id": "q", "data": "menu:help"}},  # no sender
        {"update_id": 15, "message": {**msg(text="hi"), "chat": "42"}},  # chat not an object
        {"update_id": 16, "message": msg(voice={"duration": 3})},  # a voice note without file id
        {"update_id": "17", "message": msg(text="hi")},  # not an integer id
    ],
)
def test_malformed_updates_raise_and_are_not_guessed(payload):
    """The channel counts these as failed and drops them after a few attempts."""
    with pytest.raises((KeyError, TypeError, ValueError)):
        to_incoming(payload)


def test_split_prefers_paragraphs_then_lines_and_counts_utf16():
    para = ("a" * 3000) + "\n\n" + ("b" * 3000)
    assert split_text(para) == ["a" * 3000, "b" * 3000]
    lines = "\n".join(["ligne " + str(i) for i in range(2000)])
    chunks = split_text(lines)
    assert all(utf16_len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks) == lines
    emoji = "😀" * 3000  # two UTF-16 units each: 6000 units
    chunks = split_text(emoji)
    assert [utf16_len(c) for c in chunks] == [4096, 6000 - 4096]
    assert "".join(chunks) == emoji
    assert split_text("court") == ["court"]


def test_keyboard_rows_and_callback_data():
    short = [RenderedButton(data=f"s:{i}", label=e) for i, e in enumerate("😞🙁😐🙂😀")]
    assert [len(r) for r in layout(short)] == [5]
    mid = [RenderedButton(data=f"m:{i}", label=f"Choix {i}") for i in range(3)]
    assert [len(r) for r in layout(mid)] == [2, 1]
    long = [RenderedButton(data="l:1", label="Une réponse plutôt longue ici")] * 2
    assert [len(r) for r in layout(long)] == [1, 1]
    kb = keyboard(mid)
    assert [b.callback_data for row in kb.inline_keyboard for b in row] == ["m:0", "m:1", "m:2"]
    assert keyboard([]) is None
    # the hot path's JSON is exactly what PTB would send for the same keyboard
    assert keyboard_json(mid) == kb.to_dict()
    assert keyboard_json([]) is None


def test_file_url_follows_the_api_url():
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"


def test_the_exact_api_url_variable_is_read(monkeypatch):
    from bot.settings import load_settings

    monkeypatch.setenv("ATHAR_TELEGRAM_API_URL", "http://127.0.0.1:9/bot")
    assert load_settings().telegram.api_url == "http://127.0.0.1:9/bot"
    monkeypatch.setenv("ATHAR_TELEGRAM__API_URL", "http://127.0.0.1:10/bot")
    assert load_settings().telegram.api_url == "http://127.0.0.1:10/bot"
    monkeypatch.delenv("ATHAR_TELEGRAM_API_URL")
    assert load_settings().telegram.api_url == "http://127.0.0.1:10/bot"


def test_plain_replies_are_joined_to_the_next_one_when_they_fit():
    from bot.channels.runtime import coalesce as join
    from domain.messages import Rendered

    def coalesce(replies, ids):
        return join(replies, ids, lambda text: utf16_len(text) <= 4096)

    a = Rendered(text="Aide.")
    b = Rendered(text="Commandes.")
    menu = Rendered(text="Menu ?", buttons=[RenderedButton(data="menu:x", label="X")])
    after = Rendered(text="Après le clavier.")
    out = coalesce([a, b, menu, after], [1, 2, 3, 4])
    assert [(r.text, ids) for r, ids in out] == [
        ("Aide.\n\nCommandes.\n\nMenu ?", [1, 2, 3]),
        ("Après le clavier.", [4]),
    ]
    assert out[0][0].buttons == menu.buttons
    big = Rendered(text="x" * 3000)
    assert [ids for _, ids in coalesce([big, big], [1, 2])] == [[1], [2]]  # would not fit
    doc = Rendered(text="Le fichier", attachment={"kind": "document", "path": "/x"})
    assert [ids for _, ids in coalesce([a, doc], [1, 2])] == [[1], [2]]
