"""Reach every step of every dialogue through the real dispatcher, and keep a snapshot of the
conversation at each one (tests only).

A breadth-first walk: from a few starting points (an official at the main menu, a coordinator,
a newcomer, a beneficiary opening a poll, a lesson with `data["lesson"]` seeded), it presses
every button each question offers and types a few plausible answers where a text or a number is
expected; each (dialogue, step) met for the first time is kept as a `Snapshot` (the stored
conversation state and language). A snapshot can be put back (`restore`) to try something at
that step again, as often as wanted: `tests/dialogues/test_forged_buttons.py` forges button
data there. Buttons that delete are never pressed, so the seeded records stay.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import create_engine, inspect, text

from domain.dialogue import CANCEL_DATA, EDIT, RESUME, SUMMARY
from domain.messages import Incoming, Rendered
from domain.records import (
    Effect,
    Indicator,
    LessonProgress,
    Measurement,
    Project,
    Respondent,
    Stakeholder,
    Story,
    TargetPublic,
)

from bot.handlers.lessons import GO
from tests.bot.helpers import invite, make_dispatcher
from tests.polls.helpers import KEY

_ids = itertools.count(1)
NEVER_PRESSED = {"del:yes", "rdel:yes", CANCEL_DATA}  # deleting, or losing the walk's input
# what is typed where a question takes words or a number, tried in turn until one moves on
TYPED = {
    "text": [
        "Atelier emploi des jeunes",
        "Les jeunes du quartier trouvent un emploi stable d'ici fin 2027",
        "ils trouvent plus facilement du travail",
        "Enquête auprès des participants",
        "2026-S1",
        "2026",
    ],
    "number": ["40", "12", "1"],
    "any": ["Ma vie a changé : j'ai trouvé un travail", "40"],
    "choice": [],
}
# per step, answers that move on where the general ones above do not
TYPED_AT = {
    ("effects", "change"): ["l'emploi des jeunes"],
    ("effects", "statement"): [
        "ils font plus de sport",
        "nous allons organiser des ateliers",
        "Les jeunes trouvent un emploi",
    ],
    ("lesson", "practice"): [
        "D'ici fin 2027, plus de filles du quartier font du sport chaque semaine",
        "nous allons distribuer des ballons",
    ],
    ("indicators", "label"): ["Nombre de jeunes en emploi"],
    ("measures", "period"): ["2026-S1"],
    ("project", "period"): ["2025-2026"],
    ("unexpected", "party_other"): ["les commerçants du quartier"],
    ("unexpected", "when"): ["dans six mois"],
    ("poll_new", "custom"): ["Vous sentez-vous écouté ?"],
}
# tables a refused answer may write to (the message's delivery), and the rest: the records
DELIVERY_TABLES = {
    "conversations",
    "inbox",
    "outbox",
    "inbound_updates",
    "whatsapp_chats",
    "whatsapp_messages",
    "dead_letters",
    "alembic_version",
}


@dataclass
class Snapshot:
    who: str  # the chat (Chat.user) whose conversation this is
    state: dict[str, Any]
    language: str | None
    offered: list[str] = field(default_factory=list)  # the buttons shown with the question

    @property
    def key(self) -> tuple[str, str]:
        return step_key(self.state)


def step_key(state: dict[str, Any]) -> tuple[str, str]:
    """(dialogue, step); a clarifying question that waits ("leave?", "value or button?",
    "resume the draft?") counts as a step of its own, so does each poll question."""
    step = str(state.get("step"))
    pending = state.get("pending") or {}
    if pending.get("kind") in ("leave", "value"):
        step += f"?{pending['kind']}"
    if state.get("dialogue") == "poll_q":
        step += f"#{(state.get('data') or {}).get('i', 0)}"
    return str(state.get("dialogue")), step


@dataclass
class World:
    """A database with two communes' projects, an open poll and people to walk with."""

    uow_factory: Any
    db_url: str
    dispatcher: Any
    berkane: int = 0
    tanger: int = 0
    poll_token: str = ""
    lesson_ids: list[str] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)  # every id of every kind, both communes
    moves: int = 0  # messages the walk sent
    _reader: Any = None

    # -- talking --------------------------------------------------------------------------------
    def send(self, who: str, **kw: Any) -> list[Rendered]:
        """One message through the dispatcher (no job is run: exports are not made here)."""
        out = self.dispatcher.handle(
            Incoming(channel="console", chat_id=who, user_ref=who, message_id=f"w{next(_ids)}", **kw)
        )
        return out.replies

    def state(self, who: str) -> tuple[dict[str, Any], str | None]:
        with self.uow_factory() as uow:
            conv = uow.conversations.get("console", who)
            return (copy.deepcopy(dict(conv.state)), conv.language) if conv else ({}, None)

    def snapshot(self, who: str, replies: list[Rendered]) -> Snapshot:
        state, lang = self.state(who)
        return Snapshot(who, state, lang, [b.data for r in replies for b in r.buttons])

    def restore(self, snap: Snapshot, language: str | None = None) -> None:
        """Put the conversation back as it was at the snapshot (in `language` if given)."""
        with self.uow_factory() as uow:
            conv = uow.conversations.lock("console", snap.who)
            conv.state = copy.deepcopy(snap.state)
            conv.language = language or snap.language
            uow.conversations.save(conv)
            user = uow.users.by_identity("console", snap.who)
            if user is not None and user.language != conv.language:
                user.language = conv.language
                uow.users.save(user)
            uow.commit()

    def step_accepts(self, snap: Snapshot, data: str) -> bool:
        """Whether the snapshot's step takes this button (Engine.accepts)."""
        from domain.dialogue import Ctx, DialogueState

        services = self.dispatcher.services
        state = DialogueState.model_validate(copy.deepcopy(snap.state))
        try:
            step = services.handlers.registry.get(str(state.dialogue)).step(str(state.step))
        except KeyError:  # the summary, the edit menu, "resume?": the engine's own
            return False
        with self.uow_factory() as uow:
            ctx = Ctx(
                state=state,
                lang=snap.language or "fr",
                uow=uow,
                services=services,
                user=uow.users.by_identity("console", snap.who),
            )
            try:
                return services.engine.accepts(ctx, step, data)
            finally:
                uow.rollback()

    def records(self) -> dict[str, list[tuple]]:
        """Every stored record (all tables but the delivery's), to compare before and after."""
        if self._reader is None:
            self._reader = create_engine(self.db_url)
        with self._reader.connect() as conn:
            out = {}
            for table in sorted(set(inspect(conn).get_table_names()) - DELIVERY_TABLES):
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
                out[table] = sorted((tuple(map(repr, r)) for r in rows))
            return out

    def close(self) -> None:
        if self._reader is not None:
            self._reader.dispose()


def make_world(uow_factory, db_url: str, out_dir: Any) -> World:
    from bot.services.exports import Exporter
    from bot.poll_support import install
    from knowledge.loader import load_communes, load_knowledge
    from tests.dialogues.helpers import make_nlu
    from tests.polls.helpers import make_poll

    d = make_dispatcher(uow_factory, nlu=make_nlu())
    install(d.services, None, "sqlite://", key=KEY)
    d.services.exporter = Exporter(
        load_communes(), out_dir=out_dir, min_group_size=5, knowledge=load_knowledge(), retention_months=24
    )
    w = World(uow_factory, db_url, d)
    w.berkane, w.tanger = _seed(uow_factory, "berkane"), _seed(uow_factory, "tanger")
    poll = make_poll(uow_factory, w.berkane)
    make_poll(uow_factory, w.berkane, wave="follow-up")  # two polls: the export asks which
    w.poll_token = poll.token
    with uow_factory() as uow:  # a story told in the poll, for "the most significant change"
        r = uow.respondents.add(Respondent(poll_id=poll.id, pseudonym="seeded", consent=True))
        uow.stories.add(
            Story(project_id=w.berkane, respondent_id=r.id, text="J'ai trouvé un stage grâce aux ateliers")
        )
        uow.commit()
    w.lesson_ids = [m.id for m in load_knowledge().lessons]
    with uow_factory() as uow:
        for pid in (w.berkane, w.tanger):
            p = uow.projects.get(pid)
            w.record_ids.append(p.id)
            for e in p.effects:
                w.record_ids.append(e.id)
                for i in e.indicators:
                    w.record_ids += [i.id] + [m.id for m in i.measurements]
        w.record_ids += [p.id for p in uow.polls.list(None)]
    return w


def _seed(uow_factory, commune: str) -> int:
    with uow_factory() as uow:
        p = uow.projects.add(
            Project(
                commune_id=commune,
                title=f"Ateliers emploi jeunes {commune}",
                problem="chômage des jeunes",
                activities=["organiser 10 ateliers"],
                period_text="2025-2027",
                publics=[TargetPublic(category="youth", detail="18-30 ans", expected_number=120)],
                stakeholders=[
                    Stakeholder(
                        group="families",
                        kind="indirect",
                        how_affected="les filles gardent",
                        polarity="negative",
                    )
                ],
                effects=[
                    Effect(
                        statement="D'ici fin 2027, les jeunes trouvent un emploi.",
                        domain="employment_income",
                        public="youth",
                        horizon="2027",
                        indicators=[
                            Indicator(
                                label="% de jeunes en emploi",
                                unit="percent",
                                baseline_value=10,
                                target_value=40,
                                source="enquête",
                                frequency="semester",
                                measurements=[Measurement(period="2026-S1", value=20, source="enquête")],
                            ),
                            Indicator(label="Un espace jeunes ouvert", unit="yes_no"),
                            Indicator(
                                label="Nombre de jeunes inscrits",
                                unit="number",
                                disaggregation=["sex", "age_band", "disability", "migrant_status"],
                            ),
                        ],
                    ),
                    Effect(
                        statement="les filles gardent", expected=False, polarity="negative", party="families"
                    ),
                ],
            )
        )
        uow.commit()
        return p.id


# -- walking ----------------------------------------------------------------------------------------
def starts(w: World) -> list[tuple[str, Callable[[], list[Rendered]]]]:
    """Where the walk begins: (chat, what brings it to its first question)."""

    def registered(who: str, role: str, commune: str | None, lang: str = "fr"):
        def go() -> list[Rendered]:
            code = invite(w.uow_factory, role, commune)
            w.send(who, text="salam")
            w.send(who, button=f"lang:{lang}")
            return w.send(who, text=code)

        return go

    def lesson(who: str, lesson_id: str):
        def go() -> list[Rendered]:
            return w.send(who, button=GO + lesson_id)

        return go

    out: list[tuple[str, Callable[[], list[Rendered]]]] = [
        ("newcomer", lambda: w.send("newcomer", text="salam")),
        ("official", registered("official", "official", "Berkane")),
        ("coordinator", registered("coordinator", "coordinator", None)),
        ("beneficiary", lambda: w.send("beneficiary", command="start", command_arg=w.poll_token)),
    ]
    for i, lesson_id in enumerate(w.lesson_ids):  # every lesson: their steps differ
        who = f"learner{i}"
        out.append((who, registered(who, "official", "Berkane")))
        out.append((who, lesson(who, lesson_id)))
    # a coordinator sees several projects: the lesson asks which one
    out += [
        ("learner_c", registered("learner_c", "coordinator", None)),
        ("learner_c", lesson("learner_c", w.lesson_ids[0])),
    ]

    def done_before() -> list[Rendered]:  # a lesson done before opens on its review
        with w.uow_factory() as uow:
            user = uow.users.by_identity("console", "reviewer")
            uow.lessons.save(LessonProgress(user_id=user.id, lesson_id=w.lesson_ids[0], completed=True))
            uow.commit()
        return w.send("reviewer", button=GO + w.lesson_ids[0])

    out += [("reviewer", registered("reviewer", "official", "Berkane")), ("reviewer", done_before)]
    return out


def walk(w: World, budget: int = 4000, per_step: int = 3) -> dict[tuple[str, str], Snapshot]:
    """Every (dialogue, step) reachable from the starts, with the first snapshot met there.
    Up to `per_step` different states of a step are explored on (a ticked option, an answer
    that sets a flag: a later step may need them)."""
    found: dict[tuple[str, str], Snapshot] = {}
    explored: dict[tuple[str, str], set[str]] = {}
    queue: deque[Snapshot] = deque()
    for who, go in starts(w):
        replies = go()
        queue.append(w.snapshot(who, replies))
    # drafts and leave questions: an answer given, then the dialogue left and started again
    queue.extend(_detours(w))
    # paths the breadth-first walk is too shallow for, followed to their end
    for snap in _routes(w):
        queue.append(snap)
    moves = 0
    while queue and moves < budget:
        snap = queue.popleft()
        seen = explored.setdefault(snap.key, set())
        sig = snap.who + json.dumps(
            {k: snap.state.get(k) for k in ("data", "history", "pending")}, sort_keys=True, default=str
        )
        # a summary is met with many pasts (a new record, one being mended): each may end elsewhere
        limit = per_step * 3 if snap.state.get("step") == SUMMARY else per_step
        if not snap.state.get("dialogue") or sig in seen or len(seen) >= limit:
            continue
        seen.add(sig)
        found.setdefault(snap.key, snap)
        for kind, value in _moves(snap):
            w.restore(snap)
            replies = w.send(snap.who, **{kind: value})
            moves += 1
            queue.append(w.snapshot(snap.who, replies))
    w.moves = moves
    return found


def _moves(snap: Snapshot) -> list[tuple[str, str]]:
    moves = [("button", b) for b in snap.offered if b not in NEVER_PRESSED]
    expects = str(snap.state.get("expects") or "text")
    dialogue, step = snap.key
    typed = TYPED_AT.get((dialogue, step.split("#")[0]), []) + TYPED.get(expects, TYPED["text"])
    return moves + [("text", t) for t in typed] + [("command", "skip")]


def _detours(w: World) -> list[Snapshot]:
    out = []
    who = "drafter"
    code = invite(w.uow_factory, "official", "Berkane")
    w.send(who, text="salam")
    w.send(who, button="lang:fr")
    w.send(who, text=code)
    w.send(who, button="menu:new_project")
    w.send(who, text="Terrain de sport")
    out.append(w.snapshot(who, w.send(who, text="menu")))  # "leave this dialogue?"
    w.send(who, button="sys:leave")
    out.append(w.snapshot(who, w.send(who, button="menu:new_project")))  # resume the draft?
    w.send(who, button="sys:restart")
    w.send(who, text="Terrain de sport")
    w.send(who, text="peu d'espaces pour les jeunes")
    w.send(who, button="pub:youth")
    w.send(who, text="18-30 ans")
    out.append(w.snapshot(who, w.send(who, text="1")))  # a number: the value, or button 1?
    return out


PREFERRED = ("done", ":go", ":ok", "confirm", "nocode")  # buttons that move a route on


def follow(w: World, who: str, opening: list[dict[str, Any]], steps: int = 40) -> list[Snapshot]:
    """Send the opening messages, then answer each question as a hurried user would (a button
    that ends a list first, else a button not pressed yet, else a typed answer, else /skip),
    until the dialogue ends; every snapshot on the way."""
    out = []
    for m in opening:
        out.append(w.snapshot(who, w.send(who, **m)))
    dialogue = out[-1].state.get("dialogue")
    tried: dict[tuple[str, str], set[str]] = {}
    for _ in range(steps):
        snap = out[-1]
        if snap.state.get("dialogue") != dialogue:
            break
        buttons = [b for b in snap.offered if b not in NEVER_PRESSED | {"sys:back", "sys:skip"}]
        typed = TYPED_AT.get(snap.key, []) + TYPED.get(str(snap.state.get("expects")), TYPED["text"])
        moves = (
            [("button", b) for b in buttons if b.endswith(PREFERRED)]
            + [("button", b) for b in buttons]
            + [("text", t) for t in typed]
            + [("command", "skip")]
        )
        done = tried.setdefault(snap.key, set())
        move = next((m for m in moves if repr(m) not in done), None)
        if move is None:
            break
        done.add(repr(move))
        out.append(w.snapshot(who, w.send(who, **{move[0]: move[1]})))
    return out


def _routes(w: World) -> list[Snapshot]:
    who = "router"
    code = invite(w.uow_factory, "official", "Berkane")
    out = [w.snapshot(who, w.send(who, text="salam"))]
    w.send(who, button="lang:fr")
    w.send(who, text=code)
    # a change without a direction: "in which direction?"
    out += follow(
        w,
        who,
        [
            {"command": "menu"},
            {"button": "menu:effects"},
            {"button": f"prj:{w.berkane}"},
            {"text": "les jeunes"},
            {"text": "l'emploi des jeunes"},
        ],
        steps=0,
    )
    # a new indicator to its end, then "what next?"
    with w.uow_factory() as uow:
        p = uow.projects.get(w.berkane)
        effect = p.effects[0]
        counted = next(i for i in effect.indicators if i.disaggregation)
    out += follow(
        w,
        who,
        [
            {"command": "menu"},
            {"button": "menu:indicators"},
            {"button": f"prj:{w.berkane}"},
            {"button": f"eff:{effect.id}"},
        ],
    )
    # a measurement of an indicator broken down four ways
    out += follow(
        w,
        who,
        [
            {"command": "menu"},
            {"button": "menu:measures"},
            {"button": f"prj:{w.berkane}"},
            {"button": f"mi:{counted.id}"},
        ],
    )
    return out


def expected_steps(w: World) -> set[tuple[str, str]]:
    """Every step of every registered dialogue (a poll question counted once), with the
    summary and edit menu of those that end with one."""
    registry = w.dispatcher.services.handlers.registry
    out = set()
    for d in registry.all():
        for s in d.steps:
            out.add((d.id, s.id))
        if d.confirm:
            out |= {(d.id, SUMMARY), (d.id, EDIT)}
    return out


def covered(found: dict[tuple[str, str], Snapshot]) -> set[tuple[str, str]]:
    return {(d, s.split("#")[0].split("?")[0]) for d, s in found} - {(d, RESUME) for d, _ in found}
