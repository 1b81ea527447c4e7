"""Round trips through every repository, on SQLite and PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from domain.ports import ConversationRecord, OutboxItem
from domain.records import (
    AuditEntry,
    Identity,
    Invite,
    LessonProgress,
    Poll,
    Project,
    Respondent,
    Response,
    Story,
    User,
)

UTC = timezone.utc


def _project(uow, commune="ait_baha") -> Project:
    return uow.projects.add(Project(commune_id=commune, title="Maison des jeunes"))


# --- users, identities, invites ---------------------------------------------------------------


def test_user_add_get_by_identity_and_save(uow_factory):
    with uow_factory() as uow:
        user = uow.users.add(
            User(display_name="Samira", role="official", commune_id="ait_baha", language="ary"),
            Identity(channel="telegram", external_id="1001", user_id=0),
        )
        uow.commit()
    assert user.id is not None
    with uow_factory() as uow:
        found = uow.users.by_identity("telegram", "1001")
        assert found == user
        assert uow.users.by_identity("whatsapp", "1001") is None
        assert uow.users.identities(user.id) == [
            Identity(channel="telegram", external_id="1001", user_id=user.id)
        ]
        changed = uow.users.save(found.model_copy(update={"language": "fr", "unreachable": True}))
        uow.commit()
    with uow_factory() as uow:
        again = uow.users.get(user.id)
    assert again == changed
    assert again.language == "fr" and again.unreachable is True
    assert again.created_at.tzinfo is not None
    assert again.created_at == user.created_at


def test_user_list_filters_by_commune_and_identity_moves(uow_factory):
    with uow_factory() as uow:
        a = uow.users.add(User(role="official", commune_id="ait_baha"))
        b = uow.users.add(User(role="staff", commune_id="tiznit"))
        c = uow.users.add(User(role="coordinator"))
        uow.users.link_identity(Identity(channel="whatsapp", external_id="+212600", user_id=a.id))
        uow.commit()
    with uow_factory() as uow:
        assert [u.id for u in uow.users.list()] == [a.id, b.id, c.id]
        assert [u.id for u in uow.users.list("tiznit")] == [b.id]
        # The same phone now belongs to b: it moves, it is not duplicated.
        uow.users.link_identity(Identity(channel="whatsapp", external_id="+212600", user_id=b.id))
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.by_identity("whatsapp", "+212600").id == b.id
        assert uow.users.identities(a.id) == []
        assert uow.users.get(9999) is None


def test_invite_round_trip(uow_factory):
    expires = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)
    with uow_factory() as uow:
        user = uow.users.add(User())
        invite = uow.invites.add(
            Invite(code="ABC123", commune_id="ait_baha", role="staff", expires_at=expires)
        )
        uow.commit()
    with uow_factory() as uow:
        got = uow.invites.by_code("ABC123")
        assert got == invite and got.expires_at == expires
        assert uow.invites.by_code("nope") is None
        used = uow.invites.save(
            got.model_copy(update={"used_at": expires - timedelta(days=1), "used_by": user.id})
        )
        uow.commit()
    with uow_factory() as uow:
        assert uow.invites.by_code("ABC123") == used


def test_timestamps_are_stored_in_utc(uow_factory):
    casablanca = timezone(timedelta(hours=1))
    local = datetime(2026, 11, 29, 13, 30, tzinfo=casablanca)
    with uow_factory() as uow:
        user = uow.users.add(User(created_at=local))
        uow.commit()
    with uow_factory() as uow:
        got = uow.users.get(user.id).created_at
    assert got == local
    assert got.utcoffset() == timedelta(0) and got.hour == 12


# --- conversations, inbox, outbox -------------------------------------------------------------


def test_conversation_lock_creates_then_save_and_get(uow_factory):
    with uow_factory() as uow:
        assert uow.conversations.get("telegram", "42") is None
        rec = uow.conversations.lock("telegram", "42")
        assert (rec.channel, rec.chat_id, rec.state, rec.version) == ("telegram", "42", {}, 0)
        user = uow.users.add(User())
        uow.conversations.save(
            rec.model_copy(
                update={
                    "state": {"dialogue": "project", "step": "title", "data": {"n": [1, 2]}},
                    "version": 1,
                    "user_id": user.id,
                    "language": "ary-Latn",
                }
            )
        )
        uow.commit()
    with uow_factory() as uow:
        got = uow.conversations.lock("telegram", "42")
        assert got.state == {"dialogue": "project", "step": "title", "data": {"n": [1, 2]}}
        assert (got.version, got.user_id, got.language) == (1, user.id, "ary-Latn")
        assert uow.conversations.get("telegram", "42") == got
        assert uow.conversations.get("whatsapp", "42") is None


def test_conversation_save_without_lock_inserts(uow_factory):
    with uow_factory() as uow:
        uow.conversations.save(ConversationRecord(channel="console", chat_id="me", state={"a": 1}))
        uow.commit()
    with uow_factory() as uow:
        assert uow.conversations.get("console", "me").state == {"a": 1}


def test_inbox_records_once(uow_factory):
    with uow_factory() as uow:
        assert uow.inbox.record("telegram", "100") is True
        assert uow.inbox.record("telegram", "100") is False
        assert uow.inbox.record("whatsapp", "100") is True
        uow.commit()
    with uow_factory() as uow:
        assert uow.inbox.record("telegram", "100") is False
        assert uow.inbox.record("telegram", "101") is True


def test_inbox_rolled_back_id_can_come_again(uow_factory):
    """A message whose processing crashed (no commit) is processed when delivered again."""
    with uow_factory() as uow:
        assert uow.inbox.record("telegram", "7") is True
    with uow_factory() as uow:
        assert uow.inbox.record("telegram", "7") is True


def test_inbox_prune(uow_factory):
    with uow_factory() as uow:
        uow.inbox.record("telegram", "old")
        uow.commit()
    with uow_factory() as uow:
        assert uow.inbox.prune(datetime.now(UTC) - timedelta(days=1)) == 0
        assert uow.inbox.prune(datetime.now(UTC) + timedelta(seconds=1)) == 1
        uow.commit()
    with uow_factory() as uow:
        assert uow.inbox.record("telegram", "old") is True


def _outbox(uow) -> list:
    from sqlalchemy import select
    from storage.tables import OutboxRow

    return list(uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def test_outbox_add_and_mark_sent(uow_factory):
    with uow_factory() as uow:
        a = uow.outbox.add(OutboxItem(channel="telegram", chat_id="1", payload={"text": "salam"}))
        b = uow.outbox.add(
            OutboxItem(channel="whatsapp", chat_id="2", payload={"text": "bonjour", "buttons": ["a"]})
        )
        uow.commit()
    with uow_factory() as uow:
        uow.outbox.mark_sent(a.id)
        uow.commit()
    with uow_factory() as uow:
        rows = {r.id: (r.sent_at is not None, r.attempts, r.payload) for r in _outbox(uow)}
    assert rows[a.id] == (True, 1, {"text": "salam"})
    assert rows[b.id] == (False, 0, {"text": "bonjour", "buttons": ["a"]})


def test_outbox_add_many_pairs_each_item_with_its_own_id(uow_factory):
    """One statement for all the rows; each returned item carries the id of its own row, in
    the order given (what is sent first is stored first), also for more than one page."""
    items = [OutboxItem(channel="telegram", chat_id=str(n % 3), payload={"n": n}) for n in range(40)]
    with uow_factory() as uow:
        uow.outbox.add(OutboxItem(channel="telegram", chat_id="x", payload={"n": -1}))
        added = uow.outbox.add_many(items)
        uow.commit()
    ids = [i.id for i in added]
    assert ids == sorted(ids) and len(set(ids)) == 40
    with uow_factory() as uow:
        stored = {r.id: r.payload["n"] for r in _outbox(uow)}
    assert [stored[i.id] for i in added] == list(range(40))


# --- polls, respondents, responses, refusals, stories, lessons, audit -------------------------


def test_poll_round_trip(uow_factory):
    questions = [
        {"id": "q1", "kind": "scale", "labels": {"fr": "Êtes-vous…", "ar": "هل"}},
        {"id": "q2", "kind": "choice", "options": ["a", "b"]},
    ]
    with uow_factory() as uow:
        project = _project(uow)
        other = _project(uow, "tiznit")
        poll = uow.polls.add(Poll(project_id=project.id, questions=questions, token="tok-1", title="Départ"))
        uow.polls.add(Poll(project_id=other.id, token="tok-2", wave="follow-up"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.polls.get(poll.id) == poll
        assert uow.polls.by_token("tok-1") == poll
        assert uow.polls.by_token("missing") is None
        assert [p.token for p in uow.polls.list(project.id)] == ["tok-1"]
        assert [p.token for p in uow.polls.list()] == ["tok-1", "tok-2"]
        closed = uow.polls.save(poll.model_copy(update={"is_open": False}))
        uow.commit()
    with uow_factory() as uow:
        assert uow.polls.get(poll.id) == closed and closed.is_open is False


def _poll(uow) -> Poll:
    return uow.polls.add(Poll(project_id=_project(uow).id, token="t"))


def test_respondent_round_trip_and_refusals(uow_factory):
    with uow_factory() as uow:
        poll = _poll(uow)
        r = uow.respondents.add(
            Respondent(
                poll_id=poll.id,
                pseudonym="h1",
                consent=True,
                language="ar",
                profile={"sex": "f", "age": "18-24"},
            )
        )
        uow.respondents.add_refusal(poll.id)
        uow.respondents.add_refusal(poll.id)
        uow.commit()
    with uow_factory() as uow:
        assert uow.respondents.get(r.id) == r
        assert uow.respondents.find(poll.id, "h1") == r
        assert uow.respondents.find(poll.id, "h2") is None
        assert uow.respondents.count_refusals(poll.id) == 2
        assert uow.respondents.count_refusals(poll.id + 1) == 0
        done = uow.respondents.save(r.model_copy(update={"completed_at": datetime.now(UTC)}))
        uow.commit()
    with uow_factory() as uow:
        assert uow.respondents.list(poll.id) == [done]


def test_respondent_add_twice_keeps_the_first(uow_factory):
    with uow_factory() as uow:
        poll = _poll(uow)
        first = uow.respondents.add(Respondent(poll_id=poll.id, pseudonym="h", consent=True, language="fr"))
        second = uow.respondents.add(Respondent(poll_id=poll.id, pseudonym="h", consent=True, language="ar"))
        uow.commit()
    assert second == first
    with uow_factory() as uow:
        assert [r.language for r in uow.respondents.list(poll.id)] == ["fr"]


def test_respondent_purge_erases_answers_and_stories_keeps_refusals(uow_factory):
    now = datetime.now(UTC)
    with uow_factory() as uow:
        poll = _poll(uow)
        old = uow.respondents.add(
            Respondent(poll_id=poll.id, pseudonym="old", consent=True, consent_at=now - timedelta(days=400))
        )
        new = uow.respondents.add(
            Respondent(poll_id=poll.id, pseudonym="new", consent=True, consent_at=now - timedelta(days=10))
        )
        for r in (old, new):
            uow.responses.upsert(Response(respondent_id=r.id, question="q1", value=r.pseudonym))
            uow.stories.add(Story(project_id=poll.project_id, respondent_id=r.id, text=r.pseudonym))
        uow.respondents.add_refusal(poll.id)
        uow.commit()
    with uow_factory() as uow:
        assert uow.respondents.purge(now - timedelta(days=365)) == 1
        uow.commit()
    with uow_factory() as uow:
        assert [r.pseudonym for r in uow.respondents.list(poll.id)] == ["new"]
        assert [x.value for x in uow.responses.for_poll(poll.id)] == ["new"]
        assert [s.text for s in uow.stories.list(poll.project_id)] == ["new"]
        assert uow.respondents.count_refusals(poll.id) == 1
        assert uow.respondents.purge(now - timedelta(days=365)) == 0


def test_response_upsert_replaces(uow_factory):
    with uow_factory() as uow:
        poll = _poll(uow)
        r1 = uow.respondents.add(Respondent(poll_id=poll.id, pseudonym="a", consent=True))
        r2 = uow.respondents.add(Respondent(poll_id=poll.id, pseudonym="b", consent=True))
        first = uow.responses.upsert(Response(respondent_id=r1.id, question="q1", value=3))
        uow.responses.upsert(Response(respondent_id=r1.id, question="q2", value=["x", "y"]))
        uow.responses.upsert(Response(respondent_id=r2.id, question="q1", value={"k": "v"}))
        uow.responses.upsert(Response(respondent_id=r2.id, question="q3", value=None))
        uow.commit()
    with uow_factory() as uow:
        again = uow.responses.upsert(Response(respondent_id=r1.id, question="q1", value=5))
        uow.commit()
    assert again.id == first.id
    with uow_factory() as uow:
        mine = uow.responses.for_respondent(r1.id)
        assert [(x.question, x.value) for x in mine] == [("q1", 5), ("q2", ["x", "y"])]
        by_poll = uow.responses.for_poll(poll.id)
        assert [(x.respondent_id, x.question, x.value) for x in by_poll] == [
            (r1.id, "q1", 5),
            (r1.id, "q2", ["x", "y"]),
            (r2.id, "q1", {"k": "v"}),
            (r2.id, "q3", None),
        ]
        assert uow.responses.for_poll(poll.id + 1) == []


def test_story_round_trip(uow_factory):
    with uow_factory() as uow:
        project = _project(uow)
        s = uow.stories.add(
            Story(project_id=project.id, text="Daba kanl9a blasa", tags=["youth"], polarity="positive")
        )
        uow.stories.add(Story(text="sans projet"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.stories.list(project.id) == [s]
        assert len(uow.stories.list()) == 2
        chosen = uow.stories.save(
            s.model_copy(update={"significant": True, "significance_reason": "lieu sûr"})
        )
        uow.commit()
    with uow_factory() as uow:
        assert uow.stories.list(project.id) == [chosen]


def test_lesson_progress_upsert(uow_factory):
    with uow_factory() as uow:
        user = uow.users.add(User())
        assert uow.lessons.get(user.id, "effects-101") is None
        uow.lessons.save(LessonProgress(user_id=user.id, lesson_id="effects-101", step=1))
        uow.commit()
    with uow_factory() as uow:
        assert uow.lessons.get(user.id, "effects-101").step == 1
        uow.lessons.save(LessonProgress(user_id=user.id, lesson_id="effects-101", step=4, completed=True))
        assert uow.lessons.get(user.id, "effects-101") == LessonProgress(
            user_id=user.id, lesson_id="effects-101", step=4, completed=True
        )
        uow.commit()


def test_audit_newest_first(uow_factory):
    with uow_factory() as uow:
        user = uow.users.add(User())
        for i in range(3):
            uow.audit.add(AuditEntry(user_id=user.id, action=f"a{i}", target="project:1", detail={"i": i}))
        uow.commit()
    with uow_factory() as uow:
        entries = uow.audit.list()
        assert [(e.action, e.detail) for e in entries] == [
            ("a2", {"i": 2}),
            ("a1", {"i": 1}),
            ("a0", {"i": 0}),
        ]
        assert [e.action for e in uow.audit.list(limit=1)] == ["a2"]


def test_user_delete_keeps_audit_and_drops_identities(uow_factory):
    with uow_factory() as uow:
        user = uow.users.add(User(), Identity(channel="console", external_id="me", user_id=0))
        uow.lessons.save(LessonProgress(user_id=user.id, lesson_id="l"))
        uow.audit.add(AuditEntry(user_id=user.id, action="login"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.delete(user.id) is True
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.by_identity("console", "me") is None
        assert uow.lessons.get(user.id, "l") is None
        assert [(e.action, e.user_id) for e in uow.audit.list()] == [("login", None)]


# --- the unit of work ---------------------------------------------------------------------------


def test_uow_without_commit_leaves_nothing(uow_factory):
    with uow_factory() as uow:
        uow.users.add(User(display_name="ghost"))
        uow.inbox.record("telegram", "1")
        uow.conversations.lock("telegram", "1")
        _project(uow)
    with uow_factory() as uow:
        assert uow.users.list() == []
        assert uow.conversations.get("telegram", "1") is None
        assert uow.projects.list() == []
        assert uow.inbox.record("telegram", "1") is True


def test_uow_exception_rolls_back(uow_factory):
    with pytest.raises(RuntimeError):
        with uow_factory() as uow:
            uow.users.add(User(display_name="ghost"))
            raise RuntimeError("handler crashed")
    with uow_factory() as uow:
        assert uow.users.list() == []


def test_uow_rollback_then_continue(uow_factory):
    with uow_factory() as uow:
        uow.users.add(User(display_name="dropped"))
        uow.rollback()
        kept = uow.users.add(User(display_name="kept"))
        uow.commit()
    with uow_factory() as uow:
        assert [u.display_name for u in uow.users.list()] == ["kept"]
        assert uow.users.get(kept.id) is not None


def test_naive_datetime_is_refused(uow_factory):
    with uow_factory() as uow:
        with pytest.raises(Exception, match="naive datetime"):
            uow.users.add(User(created_at=datetime(2026, 1, 1)))


def test_dates_round_trip(uow_factory):
    with uow_factory() as uow:
        p = uow.projects.add(
            Project(
                commune_id="x",
                title="t",
                period_start=date(2026, 1, 1),
                period_end=date(2027, 6, 30),
                activities=["a", "b"],
            )
        )
        uow.commit()
    with uow_factory() as uow:
        got = uow.projects.get(p.id)
    assert (got.period_start, got.period_end, got.activities) == (
        date(2026, 1, 1),
        date(2027, 6, 30),
        ["a", "b"],
    )
