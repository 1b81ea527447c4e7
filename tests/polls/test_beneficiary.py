"""The beneficiary's path through the real dispatcher, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from domain.polls import pseudonym, questions_of

from bot.services.polls import comparison_of, results_of
from tests.bot.helpers import Chat
from tests.polls.helpers import KEY, make_poll, make_project, poll_dispatcher


@pytest.fixture
def setup(uow_factory):
    d = poll_dispatcher(uow_factory)
    pid = make_project(uow_factory)
    poll = make_poll(uow_factory, pid)
    return d, pid, poll


def answer_all(chat: Chat, poll, values: dict[str, object] | None = None, story="J'ai trouvé du travail"):
    """Answer every question with buttons (scale questions: 4 unless given), the story typed."""
    values = values or {}
    outs = []
    for i, q in enumerate(questions_of(poll)):
        if q.kind == "text":
            outs.append(chat.say(story) if story else chat.press("pq:skip"))
        else:
            v = values.get(q.id, q.values()[min(3, len(q.values()) - 1)])
            outs.append(chat.press(f"pq:{i}:{v}"))
    return outs


def start(chat: Chat, poll, lang="fr"):
    chat.command("start", poll.token)
    chat.press(f"lang:{lang}")
    return chat.press("pc:yes")


def test_the_whole_path_in_french(setup, uow_factory):
    d, pid, poll = setup
    chat = Chat(d, user="tg-100", channel="telegram")
    r = chat.command("start", poll.token)
    assert chat.buttons(r)[:4] == ["lang:fr", "lang:ar", "lang:ary", "lang:ary-Latn"]
    r = chat.press("lang:fr")
    text = chat.text(r)
    assert "Anonyme" in text and "36 mois" in text and chat.buttons(r)[:2] == ["pc:yes", "pc:no"]
    with uow_factory() as uow:  # nothing stored before consent
        assert uow.respondents.list(poll.id) == []
    r = chat.press("pc:yes")
    assert len(r) == 1 and "Question 1 sur 10" in chat.text(r)
    assert chat.buttons(r) == ["pq:0:female", "pq:0:male", "pq:skip"]
    outs = answer_all(chat, poll, {"sex": "female", "respect": 5})
    assert all(len(o) == 1 for o in outs), "one outgoing message per answer"
    assert "😀" in [b.label.split()[0] for b in outs[3][0].buttons]  # emoji scale
    assert "Merci beaucoup" in chat.text(outs[-1])
    with uow_factory() as uow:
        [resp] = uow.respondents.list(poll.id)
        assert resp.consent and resp.completed_at is not None
        assert resp.profile == {"sex": "female", "age_band": "35-59"}
        answers = {r.question: r.value for r in uow.responses.for_respondent(resp.id)}
        assert answers["respect"] == 5 and answers["relations"] == 4
        [story] = uow.stories.list(pid)
        assert story.text == "J'ai trouvé du travail" and "autonomy" in story.tags
        assert answers["change"] == {"story": story.id}
        assert resp.pseudonym == pseudonym(KEY, "telegram", "tg-100", pid)
        conv = uow.conversations.get("telegram", "tg-100")
        assert conv.user_id is None and conv.state["dialogue"] == "poll_end"
        assert conv.state["data"] == {}
    # a later plain message: a short "already answered", never the officials' onboarding
    r = chat.say("bonjour")
    assert len(r) == 1 and "déjà terminé" in chat.text(r) and "invitation" not in chat.text(r)


@pytest.mark.parametrize(
    "lang,consent,question,rtl",
    [
        ("ar", "بدون هوية", "السؤال 1 من 10", True),
        ("ary", "بلا سمية", "السؤال 1 من 10", True),
        ("ary-Latn", "Bla smiya", "Soual 1 men 10", False),
        ("fr", "Anonyme", "Question 1 sur 10", False),
    ],
)
def test_each_language_variant(setup, uow_factory, lang, consent, question, rtl):
    d, pid, poll = setup
    chat = Chat(d, user=f"u-{lang}")
    chat.command("start", poll.token)
    r = chat.press(f"lang:{lang}")
    assert consent in chat.text(r) and r[-1].rtl == rtl
    r = chat.press("pc:yes")
    assert question in chat.text(r)
    assert questions_of(poll)[0].text_in(lang) in chat.text(r)
    outs = answer_all(chat, poll, story="")
    assert outs[-1][-1].rtl == rtl
    with uow_factory() as uow:
        [resp] = uow.respondents.list(poll.id)
        assert resp.language == lang and resp.completed_at is not None


def test_consent_no_stores_only_a_count(setup, uow_factory):
    d, pid, poll = setup
    chat = Chat(d, user="shy")
    chat.command("start", poll.token)
    chat.press("lang:ary")
    r = chat.press("pc:no")
    assert len(r) == 1 and "ما تسجل والو" in chat.text(r)
    with uow_factory() as uow:
        assert uow.respondents.count_refusals(poll.id) == 1
        assert uow.respondents.list(poll.id) == [] and uow.responses.for_poll(poll.id) == []
        assert uow.stories.list(pid) == []
        state = uow.conversations.get("console", "shy").state
        assert state["dialogue"] == "poll_end" and state["data"] == {}
    r = chat.say("salam")
    assert "onboarding" not in str(chat.state())


def test_answering_again_updates_and_resume_after_a_pause(setup, uow_factory):
    d, pid, poll = setup
    chat = Chat(d, user="again")
    start(chat, poll)
    chat.press("pq:0:male")
    chat.press("pq:1:25-34")
    chat.press("pq:2:2")
    # comes back later through the QR code: resumes at question 4
    r = start(chat, poll)
    assert "On reprend" in chat.text(r) and "Question 4 sur 10" in chat.text(r)
    answer_all(chat, poll)
    # finished; answers again: one answer set, updated
    r = start(chat, poll)
    assert "remplaceront" in chat.text(r) and "Question 1 sur 10" in chat.text(r)
    chat.press("pq:0:female")
    with uow_factory() as uow:
        [resp] = uow.respondents.list(poll.id)
        answers = {r.question: r.value for r in uow.responses.for_respondent(resp.id)}
        assert answers["sex"] == "female" and resp.profile["sex"] == "female"
        assert len(uow.responses.for_poll(poll.id)) == len(poll.questions)


def test_skip_previous_and_abuse_inside_the_dialogue(setup, uow_factory):
    d, pid, poll = setup
    chat = Chat(d, user="abuse")
    start(chat, poll)
    r = chat.press("pq:skip")
    assert "Question 2 sur 10" in chat.text(r)
    r = chat.press("pq:prev")
    assert "Question 1 sur 10" in chat.text(r)
    r = chat.press("pq:0:alien")  # forged value
    assert len(r) == 1 and "Touchez un des boutons" in chat.text(r) and "Question 1" in chat.text(r)
    r = chat.press("pq:7:female")  # a button of another question
    assert "autre question" in chat.text(r)
    r = chat.say("je sais pas trop")  # free text where a button is expected
    assert len(r) == 1 and "Touchez un des boutons" in chat.text(r)
    chat.say("Homme")  # a typed label is understood
    r = chat.say("2")  # a typed number picks the second button
    assert "Question 3 sur 10" in chat.text(r)
    chat.say("🙂")  # an emoji typed for a scale
    with uow_factory() as uow:
        [resp] = uow.respondents.list(poll.id)
        answers = {r.question: r.value for r in uow.responses.for_respondent(resp.id)}
        assert answers == {"sex": "male", "age_band": "18-24", "relations": 4}


def test_baseline_and_follow_up_are_linked_through_the_pseudonym(uow_factory):
    d = poll_dispatcher(uow_factory)
    pid = make_project(uow_factory)
    base = make_poll(uow_factory, pid, "baseline")
    follow = make_poll(uow_factory, pid, "follow-up")
    assert follow.questions == base.questions  # same questions copied from the baseline
    for n in range(3):
        c = Chat(d, user=f"p{n}")
        start(c, base)
        answer_all(c, base, {"respect": 2})
        start(c, follow)
        answer_all(c, follow, {"respect": 4 if n else 2})
    late = Chat(d, user="late")
    start(late, follow)
    answer_all(late, follow, {"respect": 5})
    with uow_factory() as uow:
        cmp = comparison_of(uow, uow.polls.get(follow.id))
        res = results_of(uow, uow.polls.get(follow.id), 5)
    assert cmp.n_linked == 3
    respect = next(p for p in cmp.paired if p.id == "respect")
    assert (respect.improved, respect.same, respect.worse) == (2, 1, 0)
    unp = next(u for u in cmp.unpaired if u.id == "respect")
    assert unp.n_baseline == 3 and unp.n_followup == 4 and unp.median_followup == 4
    q = next(q for q in res.questions if q.id == "respect")
    assert q.n == 4 and q.distribution == {"1": 0, "2": 1, "3": 0, "4": 2, "5": 1}
    # 4 respondents, all "male"... groups under 5 are suppressed
    assert all(g.suppressed for g in res.breakdowns["respect"]["sex"])


def test_pseudonym_differs_per_project_and_nothing_identifies(uow_factory):
    d = poll_dispatcher(uow_factory)
    p1, p2 = make_project(uow_factory), make_project(uow_factory, title="Autre")
    a, b = make_poll(uow_factory, p1), make_poll(uow_factory, p2)
    chat = Chat(d, user="212600000000", channel="whatsapp")
    start(chat, a)
    chat.press("pq:0:male")
    start(chat, b)
    chat.press("pq:0:male")
    with uow_factory() as uow:
        [ra], [rb] = uow.respondents.list(a.id), uow.respondents.list(b.id)
        assert ra.pseudonym != rb.pseudonym
        for r in (ra, rb):
            assert "212600000000" not in r.model_dump_json()
        assert uow.users.by_identity("whatsapp", "212600000000") is None


def test_closed_poll_unknown_link_and_missing_key(uow_factory):
    pid = make_project(uow_factory)
    poll = make_poll(uow_factory, pid)
    d = poll_dispatcher(uow_factory, key=None)
    chat = Chat(d, user="k")
    r = chat.command("start", poll.token)
    assert "pas disponibles" in chat.text(r)
    d = poll_dispatcher(uow_factory)
    chat = Chat(d, user="k2")
    r = chat.command("start", "p_doesnotexist")
    assert "pas valide" in chat.text(r)
    with uow_factory() as uow:
        p = uow.polls.get(poll.id)
        p.is_open = False
        uow.polls.save(p)
        uow.commit()
    r = chat.command("start", poll.token)
    assert "terminé" in chat.text(r)


def test_consent_can_be_typed(setup, uow_factory):
    d, pid, poll = setup
    chat = Chat(d, user="typist")
    chat.command("start", poll.token)
    chat.say("2")  # the second language button: العربية
    r = chat.say("نعم")
    assert "السؤال 1 من 10" in chat.text(r)


@pytest.mark.parametrize("how", ["cancel", "menu", "restart"])
def test_leaving_a_poll_never_leads_to_the_officials_onboarding(setup, uow_factory, how):
    d, pid, poll = setup
    chat = Chat(d, user=f"leaver-{how}")
    start(chat, poll)
    chat.press("pq:0:female")
    r = chat.command(how)
    text = chat.text(r)
    assert "invitation" not in text and "scannez à nouveau" in text
    assert chat.state()["dialogue"] == "poll_end"
    if how == "cancel":
        assert "gardées" in text
    with uow_factory() as uow:  # the answer given before leaving is kept
        [resp] = uow.respondents.list(poll.id)
        assert {r.question for r in uow.responses.for_respondent(resp.id)} == {"sex"}
    # leaving before consent: nothing stored, no onboarding either
    other = Chat(d, user=f"early-{how}")
    other.command("start", poll.token)
    r = other.command(how)
    assert "invitation" not in other.text(r) and other.state()["dialogue"] == "poll_end"
