"""Runs the conversation corpus (tests/conversations/*.yml; the format is in README.md there).

An exchange is played through the real dispatcher (real handlers, catalogs and knowledge base,
the NLU it is given: the real Rasa in the test suite) on its own SQLite database, then what is
stored is compared with what the exchange expects. Each typed answer is counted as understood at
the first try or not (the bot asked again, or asked a clarifying question first).
"""

from __future__ import annotations

import calendar
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from domain.dialogue import Engine
from domain.text import fold
from domain.messages import Incoming, Rendered
from domain.records import Effect, Indicator, Project, TargetPublic

from bot.commands.admin import create_invite
from bot.dispatcher import Dispatcher, Services
from bot.handlers import load_handlers
from bot.services.polls import create_poll
from bot.i18n import default_catalog
from bot.poll_support import install
from knowledge.loader import load_communes, load_knowledge
from knowledge.polls import load_question_bank

HERE = Path(__file__).resolve().parent
LANGS = ("fr", "ar", "ary", "ary-Latn")
_ids = itertools.count(1)


# -- the corpus ---------------------------------------------------------------------------------
@dataclass
class Turn:
    tries: list[str]  # what the person sends; the next one only if the bot did not understand
    step: str | None = None  # the conversation's step afterwards
    dialogue: str | None = None  # ... and its dialogue ("-" = none)
    refused: bool = False  # bad input on purpose: the bot must refuse it (not an answer)
    buttons: list[str] = field(default_factory=list)  # button data the reply must offer
    if_offered: str | None = None  # played only when the last replies offer a button whose data
    #                                starts with this (an answer to a question the bot may ask)

    @property
    def typed(self) -> bool:
        """A typed answer (counted in "understood at the first try"), not a button or a command."""
        first = self.tries[0]
        return not (first.startswith("[") or first.startswith("/"))


@dataclass
class Exchange:
    name: str
    file: str
    lang: str
    role: str | None
    given: list[str]
    turns: list[Turn]
    stored: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.file}:{self.name}"


def _turn(raw: Any) -> Turn:
    if isinstance(raw, dict):
        say = str(raw["say"])
        extra = {k: raw[k] for k in ("step", "dialogue", "refused", "buttons", "if_offered") if k in raw}
    else:
        say, extra = str(raw), {}
    tries = [t.strip() for t in say.split("||")]
    return Turn(tries=tries, **extra)


def load(directory: Path = HERE) -> list[Exchange]:
    out: list[Exchange] = []
    for path in sorted(directory.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        lang = doc.get("lang")
        for i, ex in enumerate(doc.get("exchanges") or []):
            name = ex.get("name") or f"#{i + 1}"
            ex_lang = ex.get("lang", lang)
            if ex_lang not in LANGS:
                raise ValueError(f"{path.name}: {name}: lang must be one of {LANGS}")
            if not ex.get("stored"):
                raise ValueError(f"{path.name}: {name}: every exchange asserts what is stored")
            given = ex.get("given") or []
            out.append(
                Exchange(
                    name=name,
                    file=path.name,
                    lang=ex_lang,
                    role=None if ex.get("role", "official") in (None, "none") else ex.get("role", "official"),
                    given=[given] if isinstance(given, str) else list(given),
                    turns=[_turn(t) for t in ex.get("say") or []],
                    stored=ex["stored"],
                )
            )
    names = [e.id for e in out]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError(f"exchange names used twice: {sorted(dupes)}")
    return out


# -- seeds --------------------------------------------------------------------------------------
TITLES = {
    "fr": "Ateliers emploi jeunes",
    "ar": "ورشات تشغيل الشباب",
    "ary": "ورشات الخدمة للشباب",
    "ary-Latn": "Ateliers l khedma l chabab",
}
EFFECTS = {
    "fr": "D'ici 12 mois, les jeunes formés trouvent un emploi",
    "ar": "في غضون 12 شهرا، يجد الشباب المكوَّنون عملا",
    "ary": "من هنا 12 شهر، الشباب اللي تكونو غادي يلقاو خدمة",
    "ary-Latn": "men hna 12 chhar, chabab li tkawno ghadi yl9aw khedma",
}
INDICATORS = {
    "fr": "% de jeunes formés en emploi",
    "ar": "نسبة الشباب المكوَّنين الذين يعملون",
    "ary": "نسبة الشباب اللي خدامين",
    "ary-Latn": "% dyal chabab li khddamin",
}


def seed(uow_factory, lang: str, given: list[str], user_id: int | None) -> dict[str, Any]:
    """The records an exchange starts from; returns the ids, for {placeholders} in turns."""
    ids: dict[str, Any] = {}
    if not given:
        return ids
    unknown = set(given) - {"project", "effect", "indicator", "poll"}
    if unknown:
        raise ValueError(f"unknown seeds {sorted(unknown)}")
    project = Project(
        commune_id="berkane",
        title=TITLES[lang],
        problem="-",
        activities=["ateliers"],
        created_by=user_id,
        publics=[TargetPublic(category="youth", expected_number=120)],
    )
    if "effect" in given or "indicator" in given:
        effect = Effect(statement=EFFECTS[lang], domain="employment_income", public="youth", horizon="P12M")
        if "indicator" in given:
            effect.indicators.append(
                Indicator(
                    label=INDICATORS[lang],
                    unit="percent",
                    definition="-",
                    calculation="-",
                    baseline_value=10,
                    target_value=40,
                    disaggregation=["sex"],
                )
            )
        project.effects.append(effect)
    with uow_factory() as uow:
        saved = uow.projects.add(project)
        uow.commit()
    ids["project_id"] = saved.id
    if "poll" in given:  # the project's baseline poll, all its default questions
        with uow_factory() as uow:
            poll = create_poll(uow, load_question_bank(), uow.projects.get(saved.id), "baseline", None)
            uow.commit()
        ids["poll"] = poll.token
    if saved.effects:
        ids["effect_id"] = saved.effects[0].id
        if saved.effects[0].indicators:
            ids["indicator_id"] = saved.effects[0].indicators[0].id
    return ids


# -- playing --------------------------------------------------------------------------------------
def make_services(nlu) -> Services:
    handlers = load_handlers()
    services = Services(
        engine=Engine(handlers.registry),
        handlers=handlers,
        catalog=default_catalog(),
        nlu=nlu,
        communes=load_communes(),
        knowledge=load_knowledge(),
    )
    install(services, None, "sqlite://", key=b"corpus-key-not-secret")  # polls, pseudonyms
    return services


@dataclass
class Result:
    exchange: Exchange
    typed: int = 0  # typed answers
    first_try: int = 0  # ... understood at the first try
    transcript: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Player:
    def __init__(self, services: Services, uow_factory, channel: str = "console", user: str = "u1"):
        self.dispatcher = Dispatcher(uow_factory, services)
        self.uow_factory = uow_factory
        self.channel, self.user = channel, user
        self.last: list[Rendered] = []

    def send(self, line: str) -> tuple[list[Rendered], bool]:
        kw: dict[str, Any] = {}
        if line.startswith("[") and line.endswith("]"):
            kw["button"] = self._button(line[1:-1])
        elif line.startswith("/"):
            name, _, arg = line[1:].partition(" ")
            kw.update(command=name, command_arg=arg.strip() or None)
        else:
            kw["text"] = line
        out = self.dispatcher.handle(
            Incoming(
                channel=self.channel, chat_id=self.user, user_ref=self.user, message_id=f"c{next(_ids)}", **kw
            )
        )
        self.last = [self.dispatcher.fulfil(r) for r in out.replies]
        return self.last, out.refused

    def _button(self, label: str) -> str:
        """The button of the last replies whose label contains `label` (case, accents aside)."""
        want = fold(label)
        offered = [b for r in self.last for b in r.buttons]
        exact = [b for b in offered if fold(b.label) == want]
        found = exact or [b for b in offered if want in fold(b.label)]
        if not found:
            raise AssertionError(f"no button [{label}] among {[b.label for b in offered]}")
        return found[0].data

    def state(self) -> dict[str, Any]:
        with self.uow_factory() as uow:
            conv = uow.conversations.get(self.channel, self.user)
            return dict(conv.state) if conv else {}

    def register(self, lang: str, role: str) -> int:
        with self.uow_factory() as uow:
            code = create_invite(
                uow, load_communes(), None if role == "coordinator" else "Berkane", role, 30
            ).code
            uow.commit()
        nlu, self.dispatcher.services.nlu = self.dispatcher.services.nlu, None
        try:  # registration is the onboarding's business, not what the corpus measures
            self.send("salam")
            self.send(f"[{default_catalog().text(f'langname.{lang}', lang)}]")
            self.send(code)
        finally:
            self.dispatcher.services.nlu = nlu
        with self.uow_factory() as uow:
            user = uow.users.by_identity(self.channel, self.user)
        assert user is not None and user.registered, "registration failed"
        return user.id


def play(exchange: Exchange, services: Services, uow_factory) -> Result:
    result = Result(exchange)
    player = Player(services, uow_factory)
    user_id = player.register(exchange.lang, exchange.role) if exchange.role else None
    with uow_factory() as uow:
        code = create_invite(uow, load_communes(), "Berkane", "official", 30).code
        uow.commit()
    params = {"code": code, **seed(uow_factory, exchange.lang, exchange.given, user_id)}
    if exchange.role:
        player.send("/menu")
    for turn in exchange.turns:
        if turn.if_offered and not any(
            b.data.startswith(turn.if_offered) for r in player.last for b in r.buttons
        ):
            continue
        for k, line in enumerate(turn.tries):
            line = line.format(**params) if "{" in line else line
            try:
                replies, refused = player.send(line)
            except AssertionError as exc:  # a button the bot did not offer
                result.problems.append(f"at {line!r}: {exc}")
                return result
            result.transcript.append(f"> {line}")
            result.transcript.extend(_show(r) for r in replies)
            if k == 0 and turn.typed and not turn.refused:
                result.typed += 1
                result.first_try += not refused
            if turn.refused and k == 0:
                if not refused:
                    result.problems.append(f"{line!r} should have been refused")
                continue
            if not refused:
                break
        st = player.state()
        if turn.step is not None and st.get("step") != turn.step:
            result.problems.append(f"after {turn.tries!r}: step {st.get('step')!r}, expected {turn.step!r}")
        if turn.dialogue is not None and (st.get("dialogue") or "-") != turn.dialogue:
            result.problems.append(
                f"after {turn.tries!r}: dialogue {st.get('dialogue')!r}, expected {turn.dialogue!r}"
            )
        offered = [b.data for r in player.last for b in r.buttons]
        for b in turn.buttons:
            if not any(o == b or o.startswith(b) for o in offered):
                result.problems.append(f"after {turn.tries!r}: no button {b!r} in {offered}")
    result.problems += check_stored(exchange.stored, player, uow_factory)
    return result


def _answers(uow_factory) -> dict[str, Any] | None:
    """The answers of the newest poll's only respondent, by question id (None: skipped)."""
    with uow_factory() as uow:
        polls = uow.polls.list()
        if not polls:
            return None
        respondents = uow.respondents.list(max(polls, key=lambda p: p.id).id)
        if len(respondents) != 1:
            return {"respondents": len(respondents)}
        return {r.question: r.value for r in uow.responses.for_respondent(respondents[0].id)}


def _show(r: Rendered) -> str:
    text = r.text.translate({ord(c): None for c in "\u2066\u2067\u2068\u2069\u200e\u200f"})
    return "\n".join([text] + [f"  [{b.label}]" for b in r.buttons])


# -- what is stored ---------------------------------------------------------------------------------
def check_stored(expected: dict[str, Any], player: Player, uow_factory) -> list[str]:
    problems: list[str] = []
    with uow_factory() as uow:
        summaries = uow.projects.list(None)
        newest = uow.projects.get(max(p.id for p in summaries)) if summaries else None
        user = uow.users.by_identity(player.channel, player.user)
    for key, want in expected.items():
        if key == "projects":
            got: Any = len(summaries)
        elif key == "project":
            got = newest.model_dump(mode="json") if newest else None
        elif key == "state":
            got = player.state()
        elif key == "user":
            got = user.model_dump(mode="json") if user else None
        elif key == "answers":
            got = _answers(uow_factory)
        elif key == "stories":
            with uow_factory() as uow:
                got = [st.text for st in uow.stories.list()]
        else:
            problems.append(f"unknown stored key {key!r}")
            continue
        problems += [f"stored {key}{p}" for p in mismatch(want, got)]
    return problems


def mismatch(want: Any, got: Any, path: str = "") -> list[str]:
    """Where `got` differs from `want`: dicts match on the keys `want` names, lists element by
    element (same length), strings case- and space-insensitively, numbers by value; "@..." values
    are dates relative to today (see README)."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{path}: expected a mapping, got {got!r}"]
        out: list[str] = []
        for k, v in want.items():
            if k not in got:
                out.append(f"{path}.{k}: missing (have {sorted(got)})")
            else:
                out += mismatch(v, got[k], f"{path}.{k}")
        return out
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{path}: expected {len(want)} item(s) {want!r}, got {got!r}"]
        return [p for i, (w, g) in enumerate(zip(want, got)) for p in mismatch(w, g, f"{path}[{i}]")]
    if isinstance(want, str) and want.startswith("@"):
        want = relative_date(want[1:]).isoformat()
    if isinstance(want, date):
        want = want.isoformat()
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        ok = isinstance(got, (int, float)) and not isinstance(got, bool) and abs(got - want) < 1e-9
    elif isinstance(want, str) and isinstance(got, str):
        ok = " ".join(want.split()).casefold() == " ".join(got.split()).casefold()
    else:
        ok = want == got
    return [] if ok else [f"{path}: expected {want!r}, got {got!r}"]


def today() -> date:
    return datetime.now(timezone.utc).date()


def relative_date(expr: str, now: date | None = None) -> date:
    """ "+12m": the last day of the month 12 months from now; "start-1m": the first day of last
    month; "next 03-31": the next 31 March after today; "end": the last day of this month."""
    now = now or today()
    m = re.fullmatch(r"start-(\d+)m", expr)
    if m:
        y, mo = divmod(now.month - 1 - int(m.group(1)), 12)
        return date(now.year + y, mo + 1, 1)
    m = re.fullmatch(r"\+(\d+)m", expr)
    if m:
        y, mo = divmod(now.month - 1 + int(m.group(1)), 12)
        y, mo = now.year + y, mo + 1
        return date(y, mo, calendar.monthrange(y, mo)[1])
    m = re.fullmatch(r"next (\d\d)-(\d\d)", expr)
    if m:
        d = date(now.year, int(m.group(1)), int(m.group(2)))
        return d if d > now else date(now.year + 1, d.month, d.day)
    if expr == "end":
        return date(now.year, now.month, calendar.monthrange(now.year, now.month)[1])
    raise ValueError(f"unknown relative date @{expr}")
