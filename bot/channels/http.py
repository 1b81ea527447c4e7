"""python-telegram-bot's HTTP requests on aiohttp (PTB's `BaseRequest` extension point).

PTB's default, `HTTPXRequest`, spent more than half of the bot's CPU time in the Telegram
benchmark inside httpx and httpcore (whose pool scans every idle connection, with a system call
each, for every request). aiohttp's C parser and simpler pool do the same work for a fraction of
it; everything above the request (the Bot, its rate limiter, error mapping, JSON parsing) stays
PTB's own. Semantics follow HTTPXRequest, but for a JSON body where it sends a form (multipart
for files as it does): PTB's timeouts, `TimedOut`/`NetworkError` for transport failures,
(status, body) returned as is.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

import aiohttp
from pydantic_core import from_json, to_json
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData


_JSON = {"Content-Type": "application/json"}


class UnreadableAnswer(TelegramError):
    """An answer of the Bot API that is not JSON anyone can read; `raw` holds its bytes."""

    def __init__(self, raw: bytes, cause: BaseException):
        super().__init__(f"Invalid server response ({type(cause).__name__})")
        self.raw = raw


@functools.lru_cache(maxsize=64)
def _timeout(
    total: float | None, sock_connect: float | None, connect: float | None, sock_read: float | None
) -> aiohttp.ClientTimeout:
    """aiohttp's timeout object for these values (a frozen dataclass: shared between requests)."""
    return aiohttp.ClientTimeout(total=total, sock_connect=sock_connect, connect=connect, sock_read=sock_read)


class JsonBody:
    """The parameters of a Bot API call sent as they are, as a JSON body: what the channel's hot
    calls hand to `BaseRequest.post` instead of PTB's `RequestData` (whose per-parameter objects
    and JSON encodings are only needed for uploads)."""

    __slots__ = ("params",)

    def __init__(self, params: dict[str, Any]):
        self.params = params


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 8,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ):
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            # trust_env off: the Bot API URL is taken as configured, never through a proxy
            # picked up from the environment (tests and the emulator are on 127.0.0.1)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                trust_env=False,
                auto_decompress=True,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """The Bot API's answer parsed by pydantic-core (PTB's documented override point; its
        json.loads took a tenth of the bot's time spent in requests). What pydantic-core
        refuses (bad bytes, lone surrogates, very deep nesting) goes to the standard library's
        parser, bad bytes replaced, as PTB does; an answer neither can read raises
        `UnreadableAnswer` with its bytes (PTB would log the whole body, users' messages
        included, and a deep nesting would escape as a RecursionError)."""
        try:
            return from_json(payload)
        except ValueError:
            pass
        try:
            return json.loads(payload.decode("utf-8", "replace"))
        except (ValueError, RecursionError) as exc:
            raise UnreadableAnswer(payload, exc) from None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        # The Bot API takes a JSON body for everything but uploads: encoded in Rust, where
        # a form body went through urlencode, in Python, at about half a millisecond per reply.
        files = params = None
        if isinstance(request_data, JsonBody):
            params = request_data.params
        elif request_data is not None:
            files = request_data.multipart_data
            params = None if files else request_data.parameters
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        write = (
            (self._media_write if files else self._write)
            if isinstance(write_timeout, DefaultValue)
            else write_timeout
        )
        # aiohttp has no separate write timeout: a request may take the write and read
        # budgets together; waiting for a pooled connection counts as connecting.
        total = None if read is None or write is None else read + write + (connect or 0) + (pool or 0)
        timeout = _timeout(total, connect, None if connect is None or pool is None else connect + pool, read)
        data: Any = None
        headers = None
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, part in files.items():
                filename, content, mime = part  # PTB's InputFile.field_tuple
                if not isinstance(content, (bytes, bytearray)):
                    content = content.read()
                form.add_field(
                    name, content, filename=filename, content_type=mime or "application/octet-stream"
                )
            data = form
        elif params:
            data = to_json(params)  # UTF-8, nothing escaped, as json.dumps(ensure_ascii=False)
            headers = _JSON
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout) as res:
                return res.status, await res.read()
        except asyncio.TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
