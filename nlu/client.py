"""HTTP client for a Rasa server (rasa run --enable-api): one shared httpx.Client with timeouts."""
from __future__ import annotations

import threading
from typing import Any

import httpx


class RasaError(Exception):
    """Rasa did not give a usable answer (down, slow, HTTP error, or garbage)."""


class RasaClient:
    """Thread-safe: one httpx.Client (connection pool) shared by all callers."""

    def __init__(self, url: str, *, timeout: float = 3.0, transport: httpx.BaseTransport | None = None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=self.url,
            timeout=httpx.Timeout(timeout, connect=min(1.0, timeout)),
            transport=transport,
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
            headers={"content-type": "application/json"},
            trust_env=False,
        )
        self._closed = False
        self._lock = threading.Lock()

    def parse(self, text: str) -> dict[str, Any]:
        """POST /model/parse; return the validated JSON body or raise RasaError."""
        try:
            resp = self._http.post("/model/parse", json={"text": text})
        except httpx.HTTPError as exc:
            raise RasaError(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code != 200:
            raise RasaError(f"HTTP {resp.status_code}")
        try:
            body = resp.json()
        except ValueError as exc:
            raise RasaError("answer is not JSON") from exc
        return validate(body)

    def ping(self, timeout: float | None = None) -> bool:
        """True when a Rasa server answers on the root URL."""
        try:
            resp = self._http.get("/", timeout=timeout or self.timeout)
            return resp.status_code == 200 and "rasa" in resp.text.lower()
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._http.close()


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
    return {"intent": {"name": intent["name"], "confidence": float(conf)}, "entities": clean,
            "text": body.get("text")}
