"""HTTP client for a Rasa server (rasa run --enable-api): one shared client with timeouts.

The transport is the standard library's `http.client` with one kept-alive connection per
calling thread (the dispatcher's worker threads). httpx, used before, cost about 0.8 ms of CPU
per parse against 0.17 ms for this, and more under load (its pool checks every idle connection,
with a system call each, on every request): in the Telegram benchmark it was the largest single
cost of a free-text message in the bot's process, which is bound by one core (the GIL).
"""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any, Protocol
from urllib.parse import urlsplit


class RasaError(Exception):
    """Rasa did not give a usable answer (down, slow, HTTP error, or garbage)."""


class Transport(Protocol):
    """Sends one HTTP request and returns (status, body); raises OSError or
    http.client.HTTPException when there is no answer (refused, timed out, cut off)."""

    def request(self, method: str, path: str, body: bytes | None, timeout: float) -> tuple[int, bytes]: ...

    def close(self) -> None: ...


_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
# what a kept-alive connection closed by the server looks like on its next use
_STALE = (
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
)


class KeepAliveTransport:
    """HTTP/1.1 keep-alive connections to one server, one per calling thread (a connection is
    never shared, so no lock is held while a request is in flight). A request on a kept-alive
    connection that the server has closed meanwhile is sent again once on a new connection
    (Rasa's parse has no side effects)."""

    def __init__(self, url: str, connect_timeout: float):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self._cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._connect_timeout = connect_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[http.client.HTTPConnection] = set()
        self._closed = False

    def request(self, method: str, path: str, body: bytes | None, timeout: float) -> tuple[int, bytes]:
        for attempt in (1, 2):
            conn = self._connection()
            reused = conn.sock is not None
            try:
                if conn.sock is None:
                    conn.connect()  # within the connect timeout
                conn.sock.settimeout(timeout)
                conn.request(method, self._prefix + path, body=body, headers=_HEADERS)
                response = conn.getresponse()
                data = response.read()
            except _STALE:
                self._drop(conn)
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                self._drop(conn)  # a request cut off half-way leaves the connection unusable
                raise
            if response.will_close:
                self._drop(conn)
            return response.status, data
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        if self._closed:
            raise ConnectionError("the Rasa client is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._cls(self._host, self._port, timeout=self._connect_timeout)
            with self._lock:
                if self._closed:
                    raise ConnectionError("the Rasa client is closed")
                self._open.add(conn)
            self._local.conn = conn
        return conn

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None
        with self._lock:
            self._open.discard(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns, self._open = list(self._open), set()
        for conn in conns:
            conn.close()


class RasaClient:
    """Thread-safe: one client (and its connections) shared by all callers."""

    def __init__(self, url: str, *, timeout: float = 3.0, transport: Transport | None = None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._transport = transport or KeepAliveTransport(self.url, connect_timeout=min(1.0, timeout))

    def parse(self, text: str) -> dict[str, Any]:
        """POST /model/parse; return the validated JSON body or raise RasaError."""
        payload = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")
        try:
            status, data = self._transport.request("POST", "/model/parse", payload, self.timeout)
        except (OSError, http.client.HTTPException) as exc:  # refused, timed out, cut off
            raise RasaError(f"{type(exc).__name__}: {exc}") from exc
        if status != 200:
            raise RasaError(f"HTTP {status}")
        try:
            body = json.loads(data)
        except ValueError as exc:  # includes a body that is not UTF-8
            raise RasaError("answer is not JSON") from exc
        return validate(body)

    def close(self) -> None:
        """Close the connections; a later parse raises RasaError. Closing twice is harmless."""
        self._transport.close()


def validate(body: Any) -> dict[str, Any]:
    """Check the shape of a /model/parse answer; raise RasaError on garbage."""
    if not isinstance(body, dict):
        raise RasaError("answer is not an object")
    intent = body.get("intent")
    if not isinstance(intent, dict) or not isinstance(intent.get("name"), str):
        raise RasaError("answer has no intent name")
    conf = intent.get("confidence")
    if isinstance(conf, bool) or not isinstance(conf, (int, float)) or not (0.0 <= float(conf) <= 1.0):
        raise RasaError("answer has no valid intent confidence")
    ents = body.get("entities", [])
    if not isinstance(ents, list):
        raise RasaError("entities is not a list")
    clean = []
    for e in ents:
        if not isinstance(e, dict) or not isinstance(e.get("entity"), str):
            raise RasaError("bad entity")
        s, t = e.get("start"), e.get("end")
        if not isinstance(s, int) or not isinstance(t, int) or isinstance(s, bool) or s < 0 or t < s:
            raise RasaError("bad entity span")
        clean.append(e)
    ranking = []
    for r in body.get("intent_ranking") or ():  # a malformed ranking is dropped, not fatal
        c = r.get("confidence") if isinstance(r, dict) else None
        if (
            isinstance(r, dict)
            and isinstance(r.get("name"), str)
            and isinstance(c, (int, float))
            and not isinstance(c, bool)
            and 0.0 <= float(c) <= 1.0
        ):
            ranking.append({"name": r["name"], "confidence": float(c)})
    return {
        "intent": {"name": intent["name"], "confidence": float(conf)},
        "entities": clean,
        "intent_ranking": ranking,
        "text": body.get("text"),
    }
