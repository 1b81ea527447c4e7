"""The poll operations of bot/services/polls.py, shared by the officials' dialogue and `athar
poll`: each leaves one audit entry saying what was done to which poll and by whom (None: the
command line), and a poll imported from a form gets an unused token like a created one."""

from __future__ import annotations

from domain.records import Story, User

from bot.services.polls import close_poll, import_poll, mark_significant, publish_poll
from knowledge.polls import load_question_bank
from tests.polls.helpers import make_project


def _official(uow_factory) -> int:
    with uow_factory() as uow:
        user = uow.users.add(User(role="official", commune_id="berkane", language="fr"))
        uow.commit()
        return user.id


def test_publish_close_and_a_significant_story_are_audited_with_who_did_it(uow_factory):
    pid, official = make_project(uow_factory), _official(uow_factory)
    with uow_factory() as uow:
        project = uow.projects.get(pid)
        poll = publish_poll(uow, load_question_bank(), project, "baseline", [], user_id=official)
        close_poll(uow, poll, user_id=official)
        story = uow.stories.save(Story(project_id=pid, text="Le centre a changé ma vie."))
        mark_significant(uow, story, "the clearest change", user_id=official)
        uow.commit()
    with uow_factory() as uow:
        entries = list(reversed(uow.audit.list()))
        stored, saved = uow.polls.get(poll.id), uow.stories.list(pid)
    assert [(e.action, e.target, e.user_id) for e in entries] == [
        ("poll.created", str(poll.id), official),
        ("poll.closed", str(poll.id), official),
        ("story.significant", str(story.id), official),
    ]
    assert entries[0].detail == {"project": pid, "wave": "baseline"}
    assert stored.is_open is False
    assert [(s.significant, s.significance_reason) for s in saved] == [(True, "the clearest change")]


def test_an_imported_poll_is_audited_with_its_file_and_has_its_own_token(uow_factory):
    pid = make_project(uow_factory)
    questions = [q.model_dump() for q in load_question_bank().build()][:3]
    with uow_factory() as uow:
        project = uow.projects.get(pid)
        first = import_poll(uow, project, "baseline", questions, None, "form.xlsx")
        second = import_poll(uow, project, "follow-up", questions, "Suivi", "form.xlsx")
        uow.commit()
    with uow_factory() as uow:
        [entry, _] = uow.audit.list()
        polls = uow.polls.list(pid)
    assert (entry.action, entry.user_id, entry.detail) == (
        "poll.imported",
        None,
        {"project": pid, "file": "form.xlsx"},
    )
    assert [(p.wave, p.title, p.is_open, len(p.questions)) for p in polls] == [
        ("baseline", None, True, 3),
        ("follow-up", "Suivi", True, 3),
    ]
    assert first.token != second.token and all(p.token.startswith("p_") for p in polls)
