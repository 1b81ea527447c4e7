"""The aiohttp request layer's answer parsing (bot/channels/http.py): the Bot API's JSON as PTB's
own parser reads it, bad bytes and broken JSON included."""

from __future__ import annotations

import pytest
from telegram.error import TelegramError
from telegram.request import BaseRequest

from bot.channels.http import AiohttpRequest


@pytest.mark.parametrize(
    "payload",
    [
        b'{"ok":true,"result":[{"update_id":5,"message":{"text":"\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85 \xf0\x9f\x91\x8b"}}]}',
        b'{"ok":false,"error_code":429,"parameters":{"retry_after":3},"description":"Too Many Requests"}',
        b'{"ok":true,"result":{"id":-1001234567890123,"big":12345678901234567890,"f":1.5e3}}',
    ],
    ids=["arabic and emoji", "an error with parameters", "big numbers"],
)
def test_answers_read_as_ptb_reads_them(payload):
    assert AiohttpRequest.parse_json_payload(payload) == BaseRequest.parse_json_payload(payload)


def test_bytes_that_are_not_utf8_are_replaced_as_ptb_does():
    payload = b'{"ok":true,"result":"caf\xe9"}'
    assert AiohttpRequest.parse_json_payload(payload) == {"ok": True, "result": "caf\ufffd"}


def test_an_answer_that_is_not_json_is_a_telegram_error():
    with pytest.raises(TelegramError, match="Invalid server response"):
        AiohttpRequest.parse_json_payload(b"<html>502 Bad Gateway</html>")
