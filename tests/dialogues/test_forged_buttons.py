"""Forged button data at every step of every dialogue (issue 14, item 2).

The walk (tests/dialogues/walk.py) reaches each step; hypothesis then forges button data there:
each of the step's own buttons with its value made wrong, and every prefix the bot uses (and
the channel-wide ones), with tails that are out of range, not numbers, ids of records of another
commune, buttons of other questions, or any text. Whatever
comes, the bot answers in the user's language, raises nothing, and changes nothing: no stored
record, and the conversation stays at the same step with the same data. Button data the step
really offers is the real button (checked elsewhere); here it need only not crash.

`ATHAR_FUZZ_EXAMPLES` sets the number of forged presses per step drawn by hypothesis (default 6
in `make test`; try 200 for a long run); besides, every run presses each button of each step
once with a wrong value, and every prefix once somewhere.
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.languages import ALL_LANGS

from tests.dialogues.helpers import in_language
from tests.dialogues.walk import Snapshot, World, covered, expected_steps, make_world, walk

EXAMPLES = int(os.environ.get("ATHAR_FUZZ_EXAMPLES", "6"))
LANGS = [lang.value for lang in ALL_LANGS]
BAD_TAILS = [
    "",
    "abc",
    "inf",
    "nan",
    "-5",
    "1000",
    "1e3",
    "0",
    "-0",
    "1.5",
    "٣",
    " 1",
    "9" * 30,
    "-1",
    "p",
    "x:y",
    "\u202e",
    "🙂",
    "'; DROP TABLE projects; --",
    "None",
    "null",
    "[]",
]


def prefixes_of(data: str) -> set[str]:
    """'a:b:c' → {'a:', 'a:b:'}: where button data of one kind starts."""
    parts = data.split(":")
    return {":".join(parts[:i]) + ":" for i in range(1, len(parts))}


def genuine(w: World, snap: Snapshot, data: str) -> bool:
    """Data the bot would take as a real button here: one the question offers, or a button
    that works everywhere (a language, cancel/back/skip, a lesson that exists)."""
    if data in snap.offered or data in ("sys:cancel", "sys:back", "sys:skip"):
        return True
    if data.startswith("lang:") and data[5:] in LANGS:
        return True
    if any(data == p + lesson for p in ("lsn:go:", "lsn:no:") for lesson in w.lesson_ids):
        return True
    # the step's own buttons left on the screen under a short question asked on top of it
    # ("the value, or button 1?", "leave?"), and what a step takes besides (a main-menu button
    # at "what next?")
    return w.step_accepts(snap, data)


def mutated(data: str, tail: str) -> str:
    """A real button with its value replaced: its last number ("tg:30p" → "tg:abcp", "prj:1" →
    "prj:<an id of another commune>"), else its last part ("exp:w:logframe" → "exp:w:-5")."""
    numbers = list(re.finditer(r"[0-9]+", data))
    if numbers:
        m = numbers[-1]
        return data[: m.start()] + tail + data[m.end() :]
    head, _, _ = data.rpartition(":")
    return f"{head}:{tail}" if head else tail


def own_buttons(snap: Snapshot) -> list[str]:
    return [b for b in snap.offered if not b.startswith("sys:")]


def forged_data(
    prefixes: list[str], seen: list[str], ids: list[int], own: list[str]
) -> st.SearchStrategy[str]:
    tails = st.one_of(
        st.sampled_from(BAD_TAILS),
        st.sampled_from([str(i) for i in ids]),  # records of both communes, polls
        st.integers(min_value=-10, max_value=10**20).map(str),
        st.text(max_size=20),
        st.sampled_from(sorted({d.rsplit(":", 1)[-1] for d in seen})),  # tails of real buttons
    )
    suffixes = st.sampled_from(["", "", "p", ":0", ":x"])
    built = st.builds(lambda p, t, s: p + t + s, st.sampled_from(prefixes), tails, suffixes)
    anything = st.one_of(built, st.sampled_from(seen), st.text(max_size=70))
    if not own:
        return anything
    # half of the time, this step's own buttons with a wrong value: what its parse reads
    return st.one_of(st.builds(mutated, st.sampled_from(own), tails), anything)


def press_forged(w: World, snap: Snapshot, data: str, lang: str) -> None:
    w.restore(snap, language=lang)
    before = w.records()
    replies = w.send(snap.who, button=data)  # raises if a handler does
    where = f"{snap.key} {data!r} [{lang}]"
    # every reply says something, but a job's placeholder, which the channel replaces by the
    # job's own reply (a genuine export button, drawn now and then, completes the dialogue)
    assert replies and all(r.text.strip() or r.job is not None for r in replies), where
    if genuine(w, snap, data):
        return
    assert all(r.language == lang for r in replies), where
    assert in_language(replies[:1], lang), (where, replies[0].text)
    assert w.records() == before, where
    state, language = w.state(snap.who)
    kept = ("dialogue", "step", "data", "history", "drafts")
    assert {k: state.get(k) for k in kept} == {k: snap.state.get(k) for k in kept}, where
    assert language == lang, where


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    """One walk for the module, on its own SQLite database."""
    from storage.db import make_engine, make_uow_factory
    from storage.migrate import upgrade

    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    w = make_world(make_uow_factory(engine), url, tmp_path_factory.mktemp("out"))
    yield w, walk(w)
    w.close()
    engine.dispose()


def unreachable(w: World) -> dict[tuple[str, str], str]:
    """Steps no conversation can reach, and why."""
    from bot.handlers.lessons import MAX_CARDS
    from knowledge.loader import load_knowledge

    longest = max(len(m.cards) for m in load_knowledge().lessons)
    out = {
        ("lesson", f"card{i}"): f"no lesson has more than {longest} cards" for i in range(longest, MAX_CARDS)
    }
    from domain.polls import MAX_QUESTIONS, questions_of

    with w.uow_factory() as uow:
        poll = uow.polls.by_token(w.poll_token)
        asked = len(questions_of(poll)) if poll is not None else 0
    # one step per poll question, all made by the same function (bot.handlers.polls): those
    # past the walk's poll differ from the ones it reaches only by their number
    out |= {
        ("poll_q", f"q{i}"): f"the walk's poll has {asked} questions (a poll has at most {MAX_QUESTIONS})"
        for i in range(asked, MAX_QUESTIONS)
    }
    out[("parties", "project_id")] = (
        "the circle of effects always starts with its project (from "
        "the project card, or once a project is saved)"
    )
    return out


def test_the_walk_reaches_every_step(walked):
    w, found = walked
    missing = expected_steps(w) - covered(found) - set(unreachable(w))
    assert not missing, sorted(missing)


def test_forged_button_data_at_every_step(walked):
    w, found = walked
    snaps = [found[k] for k in sorted(found)]
    seen = sorted({b for s in snaps for b in s.offered})
    prefixes = sorted(
        set().union(*(prefixes_of(d) for d in seen))
        | {"lang:", "sys:", "menu:", "lsn:go:", "lsn:no:", "edit:"}
    )
    # every prefix at least once, somewhere, with a tail that is wrong
    for i, prefix in enumerate(prefixes):
        press_forged(
            w, snaps[(i * 7) % len(snaps)], prefix + BAD_TAILS[i % len(BAD_TAILS)], LANGS[i % len(LANGS)]
        )
    foreign = [str(i) for i in w.record_ids]
    for n, snap in enumerate(snaps):
        # each of the step's own buttons once, its value made wrong (in turn: not a number, out
        # of range, an id of the other commune's records...)
        for i, data in enumerate(own_buttons(snap)):
            bad = (BAD_TAILS + foreign)[(n + i) % (len(BAD_TAILS) + len(foreign))]
            press_forged(w, snap, mutated(data, bad), LANGS[(n + i) % len(LANGS)])
        # then what hypothesis makes of them
        strategy = forged_data(prefixes, seen, w.record_ids, own_buttons(snap))

        @settings(
            max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(data=strategy, lang=st.sampled_from(LANGS))
        def forged(data: str, lang: str) -> None:
            press_forged(w, snap, data, lang)  # noqa: B023 (run at once, in this iteration)

        forged()
