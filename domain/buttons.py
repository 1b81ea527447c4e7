"""Button data: one frozen dataclass per kind of button that carries a value (`ProjectPick(12)`
is "prj:12"), built with `encode()` and read with `Kind.read(data)` or `decode(data)`.

Button data comes back from the user's device: a client may send any string (a forged callback,
an old keyboard, a typed "button"). The engine refuses data that is not one of the current
step's buttons (Engine.answer); the handler that reads the value still reads it through its
kind, which checks its form and range, so that nothing but a well-formed value reaches a record.
Reading is total: it never raises. Encoding refuses data over Telegram's 64 bytes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import ClassVar, Self

MAX_DATA = 64  # bytes: Telegram's limit on callback data, and ours everywhere
MAX_ID = 2**63 - 1  # the largest id a database integer column holds
_DIGITS = re.compile(r"[0-9]{1,18}")
_DECIMAL = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,6})?")


def tail(data: object, prefix: str, suffix: str = "") -> str | None:
    """What follows `prefix` (and precedes `suffix`) in well-formed button data, never empty."""
    if not isinstance(data, str) or len(data.encode("utf-8", "surrogatepass")) > MAX_DATA:
        return None
    if not data.startswith(prefix) or not data.endswith(suffix) or len(data) <= len(prefix) + len(suffix):
        return None
    return data[len(prefix) : len(data) - len(suffix)] if suffix else data[len(prefix) :]


def integer(
    data: object, prefix: str, lo: int | None = None, hi: int | None = None, suffix: str = ""
) -> int | None:
    """A whole number written in ASCII digits (no sign, no spaces, no "1e3"), within [lo, hi]."""
    value = tail(data, prefix, suffix)
    if value is None or not _DIGITS.fullmatch(value):
        return None
    n = int(value)
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        return None
    return n


def number(data: object, prefix: str, lo: float, hi: float, suffix: str = "") -> float | None:
    """A finite decimal number ("30", "12.5", "-3") within [lo, hi]: never inf, nan or 1e400."""
    value = tail(data, prefix, suffix)
    if value is None or not _DECIMAL.fullmatch(value):
        return None
    x = float(value)
    if not math.isfinite(x) or x < lo or x > hi:
        return None
    return x


# -- the codec: one frozen dataclass per kind of button that carries a value ------------------
# Every handler builds its button data with `Kind(value).encode()` and reads it back with
# `Kind.read(data)` (or `decode(data)` when a step takes several kinds): no handler slices
# strings. The wire format is the one the bot has always sent ("prj:12", "hz:y2027",
# "pq:3:yes"...), so keyboards already in chats keep working. Buttons without a value ("eff:ok",
# "sys:back") are constants compared as they are.

_CODE = re.compile(r"[^\s\x00-\x1f\x7f]+")  # one word: no spaces, no control characters
_VALUE = re.compile(r"[^\x00-\x1f\x7f]+")  # no control characters
_KINDS: list[type[ButtonData]] = []


def _fits(data: str) -> bool:
    return len(data.encode("utf-8", "surrogatepass")) <= MAX_DATA


def clip(data: str) -> str:
    """`data` cut to MAX_DATA bytes on a character boundary (a knowledge id or a poll value too
    long for Telegram: the button is matched by its clipped data, as it was offered)."""
    out = data.encode("utf-8", "surrogatepass")[:MAX_DATA]
    return out.decode("utf-8", "ignore")


class ButtonData:
    """A kind of button data: `PREFIX` + the value. Subclasses are frozen dataclasses."""

    PREFIX: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__()
        if cls.PREFIX:  # a kind (the bases have none)
            if any(k.PREFIX == cls.PREFIX for k in _KINDS):
                raise ValueError(f"two button kinds share the prefix {cls.PREFIX!r}")
            _KINDS.append(cls)
            _KINDS.sort(key=lambda k: -len(k.PREFIX))  # "hz:y" before "hz:"

    def tail(self) -> str:
        raise NotImplementedError

    def encode(self) -> str:
        """The data sent with the button; refused (ValueError) when over 64 bytes or when it
        would not read back as this button (a code with a space, an id out of range...)."""
        data = self.PREFIX + self.tail()
        if not _fits(data):
            raise ValueError(f"button data over {MAX_DATA} bytes: {data!r}")
        if decode(data) != self:
            raise ValueError(f"button data that would not read back: {data!r}")
        return data

    @classmethod
    def parse(cls, tail: str) -> Self | None:
        """The button of well-formed `tail` (what follows the prefix), else None; never raises."""
        raise NotImplementedError

    @classmethod
    def read(cls, data: object) -> Self | None:
        """The button of this kind that `data` encodes, else None (never raises)."""
        found = decode(data)
        return found if isinstance(found, cls) else None


def decode(data: object) -> ButtonData | None:
    """The typed button that `data` encodes, or None for anything else (a constant button, an
    unknown prefix, a malformed or out-of-range value, over 64 bytes, not a string)."""
    if not isinstance(data, str) or not _fits(data):
        return None
    for kind in _KINDS:
        if data.startswith(kind.PREFIX):
            rest = data[len(kind.PREFIX) :]
            found = kind.parse(rest) if rest else None
            if found is not None:
                return found
    return None


@dataclass(frozen=True)
class CodeButton(ButtonData):
    """A code: one word (an id from the knowledge base, a language tag, a format...). Which
    codes exist is the handler's check (a step only takes what it offered)."""

    code: str

    def tail(self) -> str:
        return self.code

    @classmethod
    def parse(cls, tail: str) -> Self | None:
        return cls(tail) if _CODE.fullmatch(tail) else None


@dataclass(frozen=True)
class IdButton(ButtonData):
    """A stored record's id (ownership is the caller's check, never implied by the id)."""

    id: int

    def tail(self) -> str:
        return str(self.id)

    @classmethod
    def parse(cls, tail: str) -> Self | None:
        n = integer(tail, "")
        return cls(n) if n is not None and 1 <= n <= MAX_ID else None


@dataclass(frozen=True)
class ClippedButton(CodeButton):
    """A code clipped to the data limit when offered (`encode` never fails); read back only by
    comparing the clipped data with what was offered."""

    def encode(self) -> str:
        return clip(self.PREFIX + self.code)


# records, by id
class ProjectPick(IdButton):
    PREFIX = "prj:"


class RecordPick(IdButton):
    PREFIX = "rec:"  # an effect, an indicator, a party... of the records browser


class EffectPick(IdButton):
    PREFIX = "eff:"


class IndicatorPick(IdButton):
    PREFIX = "mi:"  # an indicator to measure


class PollPick(IdButton):
    PREFIX = "pp:"


class StoryPick(IdButton):
    PREFIX = "ps:"


class ExportPoll(IdButton):
    PREFIX = "exp:p:"


# codes
class LanguagePick(CodeButton):
    PREFIX = "lang:"


class PollLanguage(CodeButton):
    PREFIX = "pl:"


class PollWave(CodeButton):
    PREFIX = "pw:"  # baseline | follow-up


class PollModule(CodeButton):
    PREFIX = "pm:"


class CommunePick(CodeButton):
    PREFIX = "com:"


class PublicPick(CodeButton):
    PREFIX = "pub:"


class DomainPick(CodeButton):
    PREFIX = "dom:"


class DirectionPick(CodeButton):
    PREFIX = "dir:"


class PartyPick(CodeButton):
    PREFIX = "party:"


class LevelPick(CodeButton):
    PREFIX = "lvl:"  # a practice's level question


class LevelClarify(CodeButton):
    PREFIX = "lvc:"  # a practice's answer to the coach's clarifying question


class EffectClarify(CodeButton):
    PREFIX = "clr:"  # the effects dialogue's answer to the clarifying question


class PracticeChoice(CodeButton):
    PREFIX = "opt:"


class SmartGroup(CodeButton):
    PREFIX = "sm:"


class Preset(CodeButton):
    PREFIX = "pre:"


class UnitPick(CodeButton):
    PREFIX = "unit:"


class FrequencyPick(CodeButton):
    PREFIX = "freq:"


class DayPick(CodeButton):
    PREFIX = "day:"  # an ISO date


class Disaggregation(CodeButton):
    PREFIX = "dis:"


class SmartFix(CodeButton):
    PREFIX = "fix:"


class PolarityPick(CodeButton):
    PREFIX = "pol:"  # positive | negative | both


class PeriodPick(CodeButton):
    PREFIX = "per:"


class WhenPick(CodeButton):
    PREFIX = "when:"


class ExportWhat(CodeButton):
    PREFIX = "exp:w:"


class ExportScope(CodeButton):
    PREFIX = "exp:s:"


class ExportCommune(CodeButton):
    PREFIX = "exp:c:"


class ExportPeriod(CodeButton):
    PREFIX = "exp:t:"  # a semester of a report: 2026-S1


class ExportFormat(CodeButton):
    PREFIX = "exp:f:"


class ExportLanguage(CodeButton):
    PREFIX = "exp:l:"


class LessonGo(CodeButton):
    PREFIX = "lsn:go:"


class LessonLater(CodeButton):
    PREFIX = "lsn:no:"


class LessonFormat(CodeButton):
    PREFIX = "lsn:fmt:"


class LessonPick(CodeButton):
    PREFIX = "lsn:m:"


class ExamplePick(ClippedButton):
    PREFIX = "ex:"


class IndicatorSuggestion(ClippedButton):
    PREFIX = "ind:"


# values
@dataclass(frozen=True)
class HorizonMonths(ButtonData):
    PREFIX = "hz:"
    months: int

    def tail(self) -> str:
        return str(self.months)

    @classmethod
    def parse(cls, tail: str) -> Self | None:
        n = integer(tail, "", lo=1, hi=120)
        return cls(n) if n is not None else None


@dataclass(frozen=True)
class HorizonYear(ButtonData):
    PREFIX = "hz:y"
    year: int

    def tail(self) -> str:
        return str(self.year)

    @classmethod
    def parse(cls, tail: str) -> Self | None:
        n = integer(tail, "", lo=2000, hi=2100)
        return cls(n) if n is not None else None


@dataclass(frozen=True)
class TargetShare(ButtonData):
    """A target as a share in percent ("tg:30p")."""

    PREFIX = "tg:"
    percent: float

    def tail(self) -> str:
        return f"{self.percent:g}p"

    @classmethod
    def parse(cls, tail: str) -> Self | None:
        x = number(tail, "", lo=1, hi=100, suffix="p")
        return cls(x) if x is not None else None


@dataclass(frozen=True)
class YesNo(ButtonData):
    PREFIX = "yn:"
    yes: bool

    def tail(self) -> str:
        return "1" if self.yes else "0"

    @classmethod
    def parse(cls, tail: str) -> Self | None:
        return cls(tail == "1") if tail in ("0", "1") else None


@dataclass(frozen=True)
class PollAnswer(ButtonData):
    """An option of a poll question: the question's index in the poll and the option's value
    ("pq:3:yes"); clipped to the data limit when offered, like the value it stands for."""

    PREFIX = "pq:"
    index: int
    value: str

    def tail(self) -> str:
        return f"{self.index}:{self.value}"

    def encode(self) -> str:
        return clip(self.PREFIX + self.tail())

    @classmethod
    def parse(cls, tail: str) -> Self | None:
        head, sep, value = tail.partition(":")
        index = integer(head, "", lo=0, hi=10_000)
        # the index as it is written ("03" is not question 3); the value as the poll has it (a
        # choice imported from a form may hold a space), which the question checks
        if not sep or index is None or head != str(index) or not value or not _VALUE.fullmatch(value):
            return None
        return cls(index, value)
