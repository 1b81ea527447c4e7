"""The NLU the app uses: Rasa over HTTP, with our language id and entity normalisation, and the
fallback parser whenever Rasa is down, slow or answers garbage. Never raises.

- Empty, emoji-only or punctuation-only text never reaches Rasa (Rasa calls it `affirm` with
  confidence 1.0): intent `nlu_fallback`, engine "none".
- Text is cut to `max_chars` before anything else (a 20,000-character text blocks Rasa for seconds).
- The text sent to Rasa is normalised with nlu.normalize, like the training data.
- Every message with letters also gets the statement-level model's P(activity/output/effect)
  (`Understanding.levels`, nlu/levels.py), with Rasa or without it.
- A circuit breaker: after a failure Rasa is skipped for a short, growing cool-down (1 s … 30 s), so
  a dead Rasa costs one timeout, not one per message; then one message tries again.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any, Callable

from domain.nlu import ALL_INTENTS, ENTITY_TYPES, Entity, Intent, Understanding
from nlu import commands, dates, levels, lexicon, numbers
from nlu.client import RasaClient, RasaError
from nlu.fallback import FallbackNLU, _script_ok
from nlu.langid import identify
from nlu.normalize import has_letters_or_digits, map_span, normalize_with_map

log = logging.getLogger(__name__)


class _Breaker:
    def __init__(self, first: float = 1.0, longest: float = 30.0, clock=time.monotonic):
        self.first, self.longest, self.clock = first, longest, clock
        self._until = 0.0
        self._wait = first
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            return self.clock() >= self._until

    def success(self) -> None:
        with self._lock:
            self._until = 0.0
            self._wait = self.first

    def failure(self) -> None:
        with self._lock:
            self._until = self.clock() + self._wait
            self._wait = min(self.longest, self._wait * 2)


class ResilientNLU:
    """Implements domain.nlu.NLU."""

    def __init__(
        self,
        client: RasaClient | None,
        *,
        fallback: FallbackNLU | None = None,
        max_chars: int = 1000,
        breaker: _Breaker | None = None,
        level_model: Callable[[], levels.LevelModel] | None = levels.model,
    ):
        self.client = client
        self.level_model = level_model
        self.fallback = fallback or FallbackNLU()
        self.max_chars = max_chars
        self.breaker = breaker or _Breaker()

    def parse(self, text: str, *, hint: str | None = None) -> Understanding:
        original = text if isinstance(text, str) else ""
        try:
            return self._parse(original, hint)
        except Exception:  # pragma: no cover - the port must never raise
            log.exception("NLU failed; answering nlu_fallback")
            return Understanding(
                text=original,
                language=hint,
                intent=Intent(name="nlu_fallback", confidence=0.0),
                engine="none",
            )

    def _parse(self, original: str, hint: str | None) -> Understanding:
        cut = original[: self.max_chars]
        if not has_letters_or_digits(cut):
            return Understanding(
                text=original,
                language=hint,
                intent=Intent(name="nlu_fallback", confidence=0.0),
                engine="none",
            )
        lang, conf = identify(cut)
        if hint and (lang is None or conf < 0.7) and _script_ok(hint, cut):
            lang = hint
        bare = commands.command_only(cut)
        if self.client is not None and self.breaker.allow():
            norm, mapping = normalize_with_map(cut)
            try:
                body = self.client.parse(norm)
                u = self._from_rasa(original, cut, lang, body, mapping)
                self.breaker.success()
                return u.model_copy(update={"command_only": bare, "levels": self._levels(cut, lang)})
            except RasaError as exc:
                self.breaker.failure()
                log.warning("Rasa unavailable (%s); using the fallback parser", exc)
        u = self.fallback.parse(cut, hint=hint)
        return u.model_copy(
            update={
                "text": original,
                "language": lang,
                "command_only": bare,
                "levels": self._levels(cut, lang),
            }
        )

    def _levels(self, text: str, lang: str | None) -> dict[str, float] | None:
        if self.level_model is None:
            return None
        try:
            return {k: round(v, 4) for k, v in self.level_model().probabilities(text, lang).items()}
        except Exception:  # the model missing or broken: the coach reads the intent ranking
            log.exception("statement-level model unavailable")
            self.level_model = None
            return None

    def _from_rasa(
        self, original: str, cut: str, lang: str | None, body: dict[str, Any], mapping: list[int]
    ) -> Understanding:
        name = body["intent"]["name"]
        if name not in ALL_INTENTS:
            raise RasaError(f"unknown intent {name!r}")
        ents: list[Entity] = []
        rasa_numbers: list[tuple[int, int, float]] = []
        blocked = lexicon.not_entity_spans(cut)
        # (start, end, entity, value, rank): Rasa's lookup matches, then our lexicon's (clitics,
        # multi-word forms); the longest wins where they overlap ("drari sghar" over "drari").
        found: list[tuple[int, int, str, str, int]] = []
        for e in body["entities"]:
            kind = e["entity"]
            start, end = map_span(mapping, e["start"], e["end"])
            if kind == "number":
                value = _number_value(e.get("value"))
                if value is not None and end > start:
                    rasa_numbers.append((start, end, value))
                continue
            if kind not in ("public", "domain"):
                continue  # percent/duration come from our own extractor
            value = lexicon.canonical(kind, str(e.get("value", ""))) or lexicon.canonical(
                kind, cut[start:end]
            )
            if value is None or end <= start or lexicon.inside(blocked, start, end):
                continue
            found.append((start, end, kind, value, 0))
        for m in lexicon.find_entities(cut):
            found.append((m.start, m.end, m.entity, m.value, 1))
        spans: list[tuple[int, int]] = []
        for start, end, kind, value, _ in sorted(found, key=lambda f: (f[0] - f[1], f[4], f[0])):
            if lexicon.overlaps(spans, start, end):
                continue
            ents.append(Entity(entity=kind, value=value, start=start, end=end))
            spans.append((start, end))
        # Numbers, percents and durations from our extractor (it joins "khamsa w 3chrin" and knows
        # units); a number word Rasa's lookup table found outside all of them is added as well.
        quantities: list[tuple[int, int]] = []
        for q in numbers.extract(cut):
            ents.append(Entity(entity=q.entity, value=q.value, start=q.start, end=q.end))
            quantities.append((q.start, q.end))
        for start, end, value in rasa_numbers:
            if lexicon.overlaps(quantities, start, end):
                continue
            ents.append(Entity(entity="number", value=value, start=start, end=end))
            quantities.append((start, end))
        ents += [Entity(entity="date", value=d.value, start=d.start, end=d.end) for d in dates.extract(cut)]
        ents = [e for e in ents if e.entity in ENTITY_TYPES]
        ents.sort(key=lambda e: (e.start, e.end))
        ranking = [
            Intent(name=r["name"], confidence=round(r["confidence"], 4))
            for r in body.get("intent_ranking") or ()
            if r["name"] in ALL_INTENTS
        ]
        return Understanding(
            text=original,
            language=lang,
            intent=Intent(name=name, confidence=round(body["intent"]["confidence"], 4)),
            entities=ents,
            ranking=ranking,
            engine="rasa",
        )

    def warm_up(self) -> None:
        """Build what the first parse would build lazily (the language-id model, about a
        second), so that the first user after a start does not wait for it. The fallback
        parser's classifier (trained on the whole training data: seconds, more on a busy
        machine) is built in the background: it is needed the moment Rasa fails, and a
        message should not wait for it then."""
        identify("bonjour")
        self.fallback.parse("bonjour")
        self._levels("bonjour", "fr")
        threading.Thread(target=self.fallback.prepare, name="athar-nlu-warm-up", daemon=True).start()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


def _number_value(value: Any) -> float | None:
    """A Rasa `number` entity's value: the synonym ("5") the lookup table mapped the word to."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        v = float(str(value).strip().replace(",", "."))
    except ValueError:
        return numbers.first_number(str(value))
    return v if math.isfinite(v) else None


def make_nlu(url: str | None, *, timeout: float = 3.0, max_chars: int = 1000) -> ResilientNLU:
    """The app's NLU: Rasa at `url` with the fallback parser; `url=None` → fallback only."""
    client = RasaClient(url, timeout=timeout) if url else None
    return ResilientNLU(client, max_chars=max_chars)
