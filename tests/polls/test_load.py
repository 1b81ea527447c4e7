"""1,000 respondents answering at the same time through the dispatcher, on PostgreSQL:
nothing lost, nothing duplicated, every duplicate delivery dropped."""

from __future__ import annotations

import pytest

from tests.polls.helpers import make_project, make_short_poll, poll_dispatcher
from tests.polls.load import burst, check

pytestmark = pytest.mark.slow


def test_a_thousand_respondents_at_once(uow_factory, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the load test runs on PostgreSQL (SQLite serialises every write anyway)")
    d = poll_dispatcher(uow_factory)
    pid = make_project(uow_factory)
    # 3 questions (a profile answer, a scale, the story): 6 messages per person
    poll = make_short_poll(uow_factory, pid, ("sex", "respect", "change"))
    n, refusers = 1000, 40
    res = burst(d.handle, poll, n, workers=12, refusers=refusers, duplicate_every=50)
    got = check(uow_factory, poll, n, refusers)
    assert got == {
        "respondents": n - refusers,
        "expected_answers": (n - refusers) * len(poll.questions),
        "stored_answers": (n - refusers) * len(poll.questions),
        "missing": 0,
        "duplicated": 0,
        "wrong": 0,
        "stories": n - refusers,
        "refusals": refusers,
        "completed": n - refusers,
    }
    assert res.duplicates_sent > 0 and res.duplicates_dropped == res.duplicates_sent
    assert res.single_reply == res.answers  # one outgoing message per answer
