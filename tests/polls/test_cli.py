"""`athar poll create|close|results` on a SQLite file."""

from __future__ import annotations

import json

import pytest

from tests.polls.helpers import make_project, two_baselines


@pytest.fixture
def cli(tmp_path, monkeypatch):
    from bot.cli import main
    from bot.settings import get_settings
    from storage.db import make_engine, make_uow_factory
    from storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("ATHAR_DATABASE_URL", url)
    monkeypatch.setenv("ATHAR_PSEUDONYM_KEY", "cli-test-key")
    monkeypatch.setenv("ATHAR_NLU__URL", "")
    get_settings.cache_clear()
    engine = make_engine(url)
    yield main, make_uow_factory(engine)
    engine.dispose()
    get_settings.cache_clear()


def test_create_results_and_close(cli, capsys):
    main, uow_factory = cli
    pid = make_project(uow_factory, publics=("youth", "women"))
    assert (
        main(["poll", "create", "--project", str(pid), "--wave", "baseline", "--modules", "wg,migrants"]) == 0
    )
    out = capsys.readouterr().out.strip().splitlines()
    poll_id = int(out[-1])
    assert any("t.me/AtharBot?start=p_" in line for line in out)
    with uow_factory() as uow:
        poll = uow.polls.get(poll_id)
        ids = [q["id"] for q in poll.questions]
        assert poll.wave == "baseline" and "public" in ids and "wg_see" in ids and "mig_home" in ids
        assert poll.token.startswith("p_") and len(poll.token) >= 20
        assert poll.token in "\n".join(out)
    assert main(["poll", "results", str(poll_id), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["results"]["respondents"] == 0 and data["comparison"] is None
    assert main(["poll", "close", str(poll_id)]) == 0
    with uow_factory() as uow:
        assert uow.polls.get(poll_id).is_open is False
    assert main(["poll", "create", "--project", "999", "--wave", "baseline"]) == 2
    assert (
        main(["poll", "create", "--project", str(pid), "--wave", "follow-up", "--modules", "astrology"]) == 2
    )
    assert main(["poll", "create", "--project", str(pid), "--wave", "follow-up"]) == 0
    follow_id = int(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["poll", "results", str(follow_id)]) == 0
    assert f"Compared with baseline poll {poll_id}" in capsys.readouterr().out


def test_custom_questions_breakdowns_and_indicators(cli, capsys):
    from domain.records import Effect, Indicator, Project
    from tests.bot.helpers import Chat
    from tests.polls.helpers import poll_dispatcher
    from tests.polls.test_beneficiary import answer_all, start

    main, uow_factory = cli
    with uow_factory() as uow:
        project = uow.projects.add(
            Project(
                commune_id="berkane",
                title="P",
                effects=[
                    Effect(
                        statement="Les jeunes se sentent respectés",
                        indicators=[
                            Indicator(label="% respectés", unit="%", poll_question="respect"),
                            Indicator(label="sans lien"),
                        ],
                    )
                ],
            )
        )
        uow.commit()
    assert (
        main(
            [
                "poll",
                "create",
                "--project",
                str(project.id),
                "--wave",
                "baseline",
                "--question",
                "Le bus passe-t-il assez souvent ?",
            ]
        )
        == 0
    )
    poll_id = int(capsys.readouterr().out.strip().splitlines()[-1])
    with uow_factory() as uow:
        poll = uow.polls.get(poll_id)
    assert [q["id"] for q in poll.questions][-2:] == ["custom_1", "change"]
    assert poll.questions[-2]["text"] == {"fr": "Le bus passe-t-il assez souvent ?"}
    d = poll_dispatcher(uow_factory)
    for n in range(7):
        c = Chat(d, user=f"r{n}")
        start(c, poll)
        answer_all(c, poll, {"sex": "female" if n < 6 else "male", "respect": 5 if n < 4 else 2})
    assert main(["poll", "results", str(poll_id), "--record-indicators"]) == 0
    out = capsys.readouterr().out
    assert "respect" in out and "by sex" in out and "male: hidden" in out and "female: hidden" in out
    assert "indicator '% respectés': 57.1 %" in out
    with uow_factory() as uow:
        linked, other = uow.projects.get(project.id).effects[0].indicators
    assert [m.value for m in linked.measurements] == [57.1] and other.measurements == []
    # recording again replaces the poll's measurement
    assert main(["poll", "results", str(poll_id), "--record-indicators", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["recorded"][0]["value"] == 57.1
    with uow_factory() as uow:
        assert len(uow.projects.get(project.id).effects[0].indicators[0].measurements) == 1


def test_results_compare_a_follow_up_with_the_baseline_most_people_answered(cli, capsys):
    main, uow_factory = cli
    polls = two_baselines(uow_factory, make_project(uow_factory))
    for follow, base in (("early", "big"), ("main", "late_base")):
        assert main(["poll", "results", str(polls[follow].id), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["comparison"]["baseline_poll_id"] == polls[base].id
        assert main(["poll", "results", str(polls[follow].id)]) == 0
        assert f"Compared with baseline poll {polls[base].id}:" in capsys.readouterr().out
