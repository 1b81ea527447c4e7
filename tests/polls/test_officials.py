"""The officials' side in the bot: create a poll, get the invitation, results, close, MSC."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.polls import measurement_from_results
from domain.records import Indicator

from bot.services.polls import results_of
from bot.poll_support import install
from tests.bot.helpers import Chat
from tests.polls.helpers import KEY, make_poll, make_project, poll_dispatcher, two_baselines
from tests.polls.test_beneficiary import answer_all, start


@pytest.fixture
def official(sqlite_uow_factory, tmp_path):
    d = poll_dispatcher(sqlite_uow_factory)
    install(d.services, None, "sqlite://", key=KEY, out_dir=tmp_path)
    chat = Chat(d, user="elu")
    chat.register(sqlite_uow_factory, "official", "Berkane", "fr")
    return chat, sqlite_uow_factory


def test_create_a_poll_from_the_bot(official, tmp_path):
    chat, uow_factory = official
    pid = make_project(uow_factory, publics=("youth", "women"))
    make_project(uow_factory, title="Ailleurs")  # another project of the commune
    r = chat.press("menu:poll")
    assert "pa:new" in chat.buttons(r)
    chat.press("pa:new")
    r = chat.press(f"prj:{pid}")
    assert chat.buttons(r)[:2] == ["pw:baseline", "pw:follow-up"]
    r = chat.press("pw:baseline")
    assert "pm:wg" in chat.buttons(r) and "pm:done" in chat.buttons(r)
    r = chat.press("pm:wg")
    assert "☑️" in chat.text(r) or any("☑️" in b.label for b in r[-1].buttons)
    chat.press("pm:done")
    r = chat.press("pl:done")  # the four languages, as ticked
    r = chat.say("Le centre de jeunes vous est-il utile ?")
    assert chat.buttons(r)[0] == "ptr:skip"  # and in Arabic?
    chat.say("هل مركز الشباب مفيد لك؟")
    chat.command("skip")  # not in Darija
    r = chat.press("ptr:skip")  # nor in Arabizi
    assert "sys:confirm" in chat.buttons(r)
    r = chat.press("sys:confirm")
    text = chat.text(r)
    assert "créé" in text and "t.me/AtharBot?start=p_" in text
    photos = [x.attachment for x in r if x.attachment and x.attachment["kind"] == "photo"]
    docs = [x.attachment for x in r if x.attachment and x.attachment["kind"] == "document"]
    assert photos and docs
    assert Path(photos[0]["path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Path(docs[0]["path"]).read_bytes()[:5] == b"%PDF-"
    with uow_factory() as uow:
        [poll] = uow.polls.list(pid)
    ids = [q["id"] for q in poll.questions]
    assert "wg_see" in ids and "public" in ids and "custom_1" in ids and ids[-1] == "change"
    assert "mig_home" not in ids
    custom = next(q for q in poll.questions if q["id"] == "custom_1")
    assert custom["text"] == {
        "fr": "Le centre de jeunes vous est-il utile ?",
        "ar": "هل مركز الشباب مفيد لك؟",
    }
    # a follow-up copies the baseline's questions: no module question
    chat.press("menu:poll")
    chat.press("pa:new")
    chat.press(f"prj:{pid}")
    chat.press("pw:follow-up")
    r = chat.press("pl:done")
    assert "sys:confirm" in chat.buttons(r)
    chat.press("sys:confirm")
    with uow_factory() as uow:
        base, follow = uow.polls.list(pid)
    assert follow.wave == "follow-up" and follow.questions == base.questions


def test_results_close_and_most_significant_change(official):
    chat, uow_factory = official
    pid = make_project(uow_factory)
    poll = make_poll(uow_factory, pid)
    d = chat.dispatcher
    for n in range(6):
        b = Chat(d, user=f"b{n}")
        start(b, poll)
        answer_all(
            b,
            poll,
            {"respect": 5 if n % 2 else 3, "sex": "female" if n < 3 else "male"},
            story=f"Histoire {n} : j'ai trouvé des amis au quartier",
        )
    chat.press("menu:poll")
    chat.press("pa:res")
    r = chat.press(f"pp:{poll.id}")
    text = chat.text(r)
    assert "6 personnes ont répondu" in text and "Accepté·e et respecté·e : 50 %" in text
    charts = [x.attachment for x in r if x.attachment]
    assert charts and Path(charts[0]["path"]).read_bytes()[:4] == b"\x89PNG"
    # most significant change
    chat.press("menu:poll")
    chat.press("pa:msc")
    r = chat.press(f"pp:{poll.id}")
    assert "Histoire 0" in chat.text(r) and "relations et appartenance" in chat.text(r)
    chat.say("3")
    r = chat.say("Elle montre un lien nouveau avec les voisins.")
    assert "retenue comme la plus significative" in chat.text(r)
    with uow_factory() as uow:
        marked = [s for s in uow.stories.list(pid) if s.significant]
        assert len(marked) == 1 and marked[0].text.startswith("Histoire 2")
        assert marked[0].significance_reason == "Elle montre un lien nouveau avec les voisins."
        res = results_of(uow, uow.polls.get(poll.id), 5)
    # the indicator linked to the poll question gets its value from the results
    m = measurement_from_results(Indicator(label="x", poll_question="respect"), res, "2026-S2")
    assert m.value == 50.0 and m.disaggregated["n"] == 6
    assert "sex" not in m.disaggregated  # 3 and 3: suppressed under 5
    assert measurement_from_results(Indicator(label="x", poll_question="nope"), res, "p") is None
    # close
    chat.press("menu:poll")
    chat.press("pa:close")
    r = chat.press(f"pp:{poll.id}")
    assert "est clos" in chat.text(r)
    late = Chat(d, user="late")
    r = late.command("start", poll.token)
    assert "terminé" in late.text(r)


def test_an_official_only_sees_polls_of_their_commune(official):
    chat, uow_factory = official
    from domain.records import Project

    with uow_factory() as uow:
        other = uow.projects.add(Project(commune_id="tanger", title="Tanger"))
        uow.commit()
    poll = make_poll(uow_factory, other.id)
    chat.press("menu:poll")
    r = chat.press("pa:res")
    assert f"pp:{poll.id}" not in chat.buttons(r)
    r = chat.press(f"pp:{poll.id}")
    assert "Tanger" not in chat.text(r)


def test_the_poll_command(official):
    chat, uow_factory = official
    r = chat.command("poll")
    assert "pa:new" in chat.buttons(r)


def test_the_results_message_compares_a_follow_up_with_the_baseline_most_people_answered(official):
    """The bot's rule is the reports' and the dashboard's (tests/polls/test_baseline.py sees them
    give the same baselines for the same polls)."""
    chat, uow_factory = official
    polls = two_baselines(uow_factory, make_project(uow_factory))
    assert polls["early"].questions == polls["big"].questions != polls["rerun"].questions
    assert polls["main"].questions == polls["late_base"].questions
    for follow, base in (("early", "big"), ("main", "late_base")):
        chat.press("menu:poll")
        chat.press("pa:res")
        r = chat.press(f"pp:{polls[follow].id}")
        assert f"Par rapport au départ (sondage n° {polls[base].id})" in chat.text(r)
