"""The "effects" dialogue through the real dispatcher: coaching, proposal, storage, access."""

from __future__ import annotations

import pytest

from tests.bot.helpers import Chat, make_dispatcher
from tests.effects.fakes import make_project, registered_chat

# (lang, activity, output, effect, the coaching words expected, a word of the proposal)
FLOWS = {
    "fr": (
        "organiser 10 ateliers de recherche d'emploi",
        "120 jeunes formés",
        "ils trouvent du travail",
        ("activité", "produit du projet"),
        "les jeunes trouvent du travail",
    ),
    "ar": (
        "تنظيم 10 ورشات للبحث عن الشغل",
        "120 شابا تم تكوينهم",
        "يجد الشباب عملا",
        ("نشاط", "مُخرَج"),
        "الشباب يجد عملا",
    ),
    "ary": (
        "غادي نديرو 10 ديال الورشات",
        "120 شاب تكونو",
        "الشباب غادي يلقاو خدمة",
        ("نشاط", "مُخرَج"),
        "الشباب غادي يلقاو خدمة",
    ),
    "ary-Latn": (
        "ghadi ndiro 10 dyal les ateliers",
        "120 chab tkawno",
        "chabab ghadi yl9aw khedma",
        ("nacha6", "mokhraj"),
        "chabab ghadi yl9aw khedma",
    ),
}


def start_effects(chat, pid):
    chat.press("menu:effects")
    return chat.press(f"prj:{pid}")


@pytest.mark.parametrize("lang", list(FLOWS))
def test_coached_from_activity_to_a_stored_effect(sqlite_uow_factory, lang):
    uf = sqlite_uow_factory
    activity, output, effect, (w_act, w_out), proposal = FLOWS[lang]
    pid = make_project(uf)
    chat = registered_chat(uf, lang)
    r = start_effects(chat, pid)
    assert "eff:dk" in chat.buttons(r)
    r = chat.say(activity)
    assert w_act in chat.text(r)
    assert chat.state()["step"] == "statement"  # asked again, differently
    r = chat.say(output)
    assert w_out in chat.text(r)
    r = chat.say(effect)
    assert chat.buttons(r)[:2] == ["hz:6", "hz:12"]  # the horizon is the missing part
    r = chat.press("hz:6")
    assert proposal in chat.text(r)
    assert chat.buttons(r)[:3] == ["eff:ok", "eff:edit", "eff:fig"]
    r = chat.press("eff:fig")
    r = chat.press("tg:30p")
    assert "30" in chat.text(r) and proposal.split()[-1] in chat.text(r)
    r = chat.press("eff:ok")
    assert chat.buttons(r) == ["sys:confirm", "sys:edit", "sys:cancel"]  # domain found by itself
    r = chat.press("sys:confirm")
    assert "nx:more" in chat.buttons(r)
    with uf() as uow:
        (e,) = uow.projects.get(pid).effects
    assert (e.public, e.domain, e.horizon, e.level, e.polarity, e.expected) == (
        "youth",
        "employment_income",
        "P6M",
        "outcome",
        "positive",
        True,
    )
    assert "30" in e.statement and proposal.split()[-1] in e.statement


def test_french_flow_on_both_databases(uow_factory):
    pid = make_project(uow_factory)
    chat = registered_chat(uow_factory, "fr")
    start_effects(chat, pid)
    r = chat.say("Les jeunes formés trouvent un emploi d'ici fin 2026")
    text = chat.text(r)
    assert "vrai effet" in text and "« D'ici fin 2026, les jeunes formés trouvent un emploi. »" in text
    chat.press("eff:ok")
    chat.press("sys:confirm")
    with uow_factory() as uow:
        (e,) = uow.projects.get(pid).effects
    assert (e.statement, e.horizon, e.domain) == (
        "D'ici fin 2026, les jeunes formés trouvent un emploi.",
        "2026",
        "employment_income",
    )


@pytest.mark.parametrize(
    "lang,words", [("fr", "je ne sais pas"), ("ar", "لا أعرف"), ("ary", "ما عرفتش"), ("ary-Latn", "ma3rftch")]
)
def test_dont_know_offers_examples_as_buttons(sqlite_uow_factory, lang, words):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, lang)
    start_effects(chat, pid)
    r = chat.say(words)
    buttons = chat.buttons(r)
    assert buttons[:3] == ["ex:youth_job_workshops", "ex:youth_micro_projects", "ex:youth_council"]
    assert "eff:own" in buttons
    r = chat.press("eff:own")  # back to writing one's own
    assert chat.state()["step"] == "statement"
    r = chat.press("eff:dk")
    chat.press("ex:youth_micro_projects")
    r = chat.press("hz:12")
    assert "eff:fig" not in chat.buttons(r)  # an example keeps its own figures
    chat.press("eff:ok")
    chat.press("sys:confirm")
    with uf() as uow:
        (e,) = uow.projects.get(pid).effects
    assert e.domain == "employment_income" and e.horizon == "P12M"
    assert ("10" in e.statement) and e.public == "youth"


def test_a_vague_effect_is_made_precise_part_by_part(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf, publics=("youth", "women"))
    chat = registered_chat(uf, "fr")
    r = start_effects(chat, pid)
    assert chat.buttons(r)[:2] == ["pub:youth", "pub:women"]  # two publics: which one?
    chat.press("pub:women")
    r = chat.say("la situation des femmes")  # no change verb, no direction, no horizon
    assert "Précisons" not in chat.text(r)  # nothing the coach recognises: never praised, asked
    assert chat.buttons(r)[:3] == ["clr:activity", "clr:output", "clr:effect"]
    r = chat.press("clr:effect")
    assert "Précisons" in chat.text(r) and chat.state()["step"] == "change"
    r = chat.say("le suivi de grossesse")
    assert chat.buttons(r)[:5] == ["dir:increase", "dir:decrease", "dir:start", "dir:stop", "dir:keep"]
    r = chat.press("dir:increase")
    r = chat.press("hz:12")
    assert "« D'ici 12 mois, les femmes ont davantage : le suivi de grossesse. »" in chat.text(r)
    r = chat.press("eff:ok")
    assert "dom:health_wellbeing" in chat.buttons(r)  # no domain word: asked with buttons
    r = chat.press("dom:health_wellbeing")
    text = chat.text(r)
    assert "Femmes" in text and "Santé" in text
    chat.press("sys:confirm")
    with uf() as uow:
        (e,) = uow.projects.get(pid).effects
    assert (e.public, e.domain, e.horizon) == ("women", "health_wellbeing", "P12M")


@pytest.mark.parametrize(
    "lang,when,change",
    [
        ("fr", "dans 6 mois", "le suivi de grossesse"),
        ("ary-Latn", "f 6 chhor", "ytb3o l7aml dyalhom 3nd tbib"),
    ],
)
def test_a_time_alone_where_the_change_is_asked_is_the_horizon(sqlite_uow_factory, lang, when, change):
    """Seen in `athar chat`: "f 12 chhar" typed where the change was asked became the change
    ("... kayzid 3ndhom: f 12 chhar")."""
    uf = sqlite_uow_factory
    pid = make_project(uf, publics=("women",))
    chat = registered_chat(uf, lang)
    start_effects(chat, pid)
    chat.say("la situation des femmes" if lang == "fr" else "l7ala dyal l3yalat")
    chat.press("clr:effect")
    assert chat.state()["step"] == "change"
    r = chat.say(when)
    assert chat.state()["step"] == "change" and chat.state()["data"]["horizon"] == "P6M"
    assert when not in (chat.state()["data"].get("change") or "")
    r = chat.say(change)
    if "dir:increase" in chat.buttons(r):
        r = chat.press("dir:increase")
    assert chat.state()["step"] == "proposal"  # the horizon is not asked again
    assert "6" in chat.text(r) and when not in chat.text(r)


def test_a_direction_said_first_is_kept_when_the_change_comes_later(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, "fr")
    start_effects(chat, pid)
    chat.say("plus d'emploi pour les jeunes")  # a direction, no change verb, no horizon
    r = chat.say("ça change leur vie")  # the clarifying question answered in words
    assert chat.state()["step"] == "change", chat.text(r)
    r = chat.say("un emploi stable")
    assert chat.buttons(r)[0] == "hz:6"  # the direction is not asked again
    r = chat.press("hz:6")
    assert "« D'ici 6 mois, les jeunes ont davantage : un emploi stable. »" in chat.text(r)


def test_an_activity_typed_as_ones_own_wording_is_coached_too(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, "fr")
    start_effects(chat, pid)
    chat.say("les jeunes trouvent du travail dans 6 mois")
    chat.press("eff:edit")
    r = chat.say("former 40 jeunes")
    assert "activité" in chat.text(r) and chat.state()["step"] == "own_wording"
    r = chat.say("Dans 6 mois, 40 jeunes ont un emploi stable")
    assert "Dans 6 mois, 40 jeunes ont un emploi stable" in chat.text(r)
    assert chat.buttons(r)[0] == "sys:confirm"


def test_a_wrong_answer_at_every_step(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, "fr")
    chat.press("menu:effects")
    r = chat.say("le projet bleu")  # project: not a choice
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    chat.press(f"prj:{pid}")
    r = chat.say("👍👍")  # statement: no words
    assert "quelques mots" in chat.text(r)
    r = chat.press("hz:6")  # a button of another question
    assert "question précédente" in chat.text(r)
    chat.say("les jeunes trouvent du travail")
    r = chat.say("bientôt")  # horizon: not understood
    assert "Je n'ai pas compris l'échéance" in chat.text(r)
    r = chat.say("18")  # a bare number of months is fine
    assert "D'ici 18 mois" in chat.text(r)
    r = chat.say("bof")  # proposal: not a choice
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    chat.press("eff:fig")
    r = chat.say("beaucoup")  # figure: not a number
    assert "J'attends un nombre" in chat.text(r)
    r = chat.say("150 %")
    assert "ne peut pas dépasser 100" in chat.text(r)
    r = chat.say("40")  # a number of people
    assert "au moins 40 parmi les jeunes" in chat.text(r)
    chat.press("eff:ok")
    r = chat.say("peut-être")  # summary: not a choice
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    assert chat.state()["step"] == "__summary__"


def test_a_framework_dependent_word_is_explained_once(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, "fr")
    start_effects(chat, pid)
    r = chat.say("le résultat : organiser 10 ateliers")
    assert "À noter" in chat.text(r) and "activité" in chat.text(r)
    r = chat.say("résultat : 120 jeunes formés")
    assert "À noter" not in chat.text(r)


def test_back_edit_and_resume(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, "fr")
    start_effects(chat, pid)
    chat.say("les jeunes trouvent du travail")
    r = chat.press("sys:back")  # from the horizon back to the statement
    assert chat.state()["step"] == "statement"
    chat.say("les jeunes trouvent du travail")
    chat.press("hz:6")
    # the conversation resumes where it was
    prompt, _ = chat.dispatcher.current_prompt("console", "u1", "u1")
    assert "D'ici 6 mois, les jeunes trouvent du travail" in prompt[0].text
    chat.press("eff:ok")
    chat.press("sys:edit")
    r = chat.press("edit:horizon")
    r = chat.press("hz:12")  # the wording follows the new horizon
    assert "D'ici 12 mois, les jeunes trouvent du travail" in chat.text(r)
    chat.press("sys:confirm")
    with uf() as uow:
        assert uow.projects.get(pid).effects[0].horizon == "P12M"


def test_an_official_of_another_commune_cannot_reach_the_project(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf, commune="berkane")
    chat = registered_chat(uf, "fr", user="tanger1", commune="Tanger")
    r = chat.press("menu:effects")  # no project of their own yet: told so, back to the menu
    assert "pas encore de projet" in chat.text(r) and chat.state()["dialogue"] == "menu"
    own = make_project(uf, commune="tanger", title="Projet de Tanger")
    r = chat.press("menu:effects")  # the question's buttons (a lesson may be offered before it)
    assert chat.buttons(r[-1:])[0] == f"prj:{own}" and f"prj:{pid}" not in chat.buttons(r)
    r = chat.press(f"prj:{pid}")  # a forged button
    assert "Ateliers emploi jeunes" not in chat.text(r)
    assert chat.state()["step"] == "project_id" and chat.state()["data"].get("project_id") is None
    # a dialogue started with a forged id asks for a project instead
    from domain.dialogue import Ctx, DialogueState

    with uf() as uow:
        user = uow.users.by_identity("console", "tanger1")
        services = chat.dispatcher.services
        ctx = Ctx(state=DialogueState(), lang="fr", uow=uow, user=user, services=services)
        services.engine.start(ctx, "effects", {"project_id": pid})
        assert ctx.state.step == "project_id" and ctx.state.data["project_id"] is None
        assert [n.lines[0].key for n in ctx.notes] == ["projects.not_found"]


def test_an_unsure_statement_gets_one_question_and_is_placed_from_the_answer(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, "fr")
    start_effects(chat, pid)
    r = chat.say("la maison des jeunes du quartier")
    assert "la maison des jeunes du quartier" in chat.text(r) and "l'équipe" in chat.text(r)
    assert chat.buttons(r)[:3] == ["clr:activity", "clr:output", "clr:effect"]
    r = chat.say("bof")  # points to no level: the question again, nothing placed
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    assert chat.state()["data"]["pending"]["text"] == "la maison des jeunes du quartier"
    r = chat.say("c'est nous qui la faisons vivre")  # typed: the team does it -> activity
    assert "activité" in chat.text(r) and chat.state()["step"] == "statement"
    assert not chat.state()["data"]["pending"]
    chat.say("la salle polyvalente")
    r = chat.press("clr:output")
    assert "produit du projet" in chat.text(r)
    r = chat.say("le réseau des associations")
    r = chat.say("les jeunes trouvent du travail dans 6 mois")  # a new statement instead
    assert "vrai effet" in chat.text(r) and chat.state()["step"] == "proposal"


def test_an_effect_without_horizon_is_accepted_and_asked_for_it(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, "fr")
    start_effects(chat, pid)
    r = chat.say("les jeunes trouvent plus souvent un emploi")
    assert "Il ne manque que l'échéance" in chat.text(r)
    assert chat.buttons(r)[:2] == ["hz:6", "hz:12"]


@pytest.mark.parametrize("lang", list(FLOWS))
def test_forged_figure_buttons_are_refused_and_change_nothing(sqlite_uow_factory, lang):
    """Issue 14: `tg:abcp` or `tg:p` raised in the figure's parse; `tg:infp`, `tg:nanp`,
    `tg:-5p`, `tg:1000p` were stored ("au moins -5 %"). Each is now "expired" in the user's
    language, the figure question again, the dialogue's data untouched."""
    from tests.dialogues.helpers import expect, in_language

    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, lang)
    start_effects(chat, pid)
    chat.say(FLOWS[lang][2])
    chat.press("hz:6")
    chat.press("eff:fig")
    before = chat.state()
    assert before["step"] == "target"
    for data in (
        "tg:abcp",
        "tg:p",
        "tg:infp",
        "tg:nanp",
        "tg:-5p",
        "tg:1000p",
        "tg:1e3p",
        "tg:30",
        "tg:0p",
        "tg:",
        "tg:30pp",
        "tg:٣٠p",
        "eff:ok",
        "hz:6",
        "x" * 64,
    ):
        r = chat.press(data)
        expect(r, "common.button_expired", lang)
        assert in_language(r, lang), (data, chat.text(r))
        after = chat.state()
        assert (after["dialogue"], after["step"], after["data"], after["history"]) == (
            before["dialogue"],
            before["step"],
            before["data"],
            before["history"],
        ), data
    r = chat.press("tg:50p")  # the real button still works
    assert "50" in chat.text(r) and chat.state()["data"]["target"] == 50.0


@pytest.mark.parametrize(
    "lang, said",
    [
        ("fr", "d'ici la fin du projet"),
        ("ar", "في نهاية المشروع"),
        ("ary", "فآخر المشروع"),
        ("ary-Latn", "f akhir lmachrou3"),
    ],
)
def test_the_end_of_the_project_said_in_words_is_its_end_year(sqlite_uow_factory, lang, said):
    from datetime import date

    from domain.records import Project, TargetPublic

    end = date(date.today().year + 1, 12, 31)
    with sqlite_uow_factory() as uow:
        pid = uow.projects.add(
            Project(
                commune_id="berkane",
                title="Ateliers emploi jeunes",
                problem="chômage des jeunes après le bac",
                publics=[TargetPublic(category="youth", expected_number=120)],
                period_start=date(date.today().year, 1, 1),
                period_end=end,
            )
        ).id
        uow.commit()
    chat = registered_chat(sqlite_uow_factory, lang)
    start_effects(chat, pid)
    chat.say(FLOWS[lang][4])  # an effect without a horizon
    assert chat.state()["step"] == "horizon"
    chat.say(said)
    assert chat.state()["step"] == "proposal" and chat.state()["data"]["horizon"] == str(end.year)


def test_the_end_of_a_project_without_a_period_is_not_guessed(sqlite_uow_factory):
    pid = make_project(sqlite_uow_factory)
    chat = registered_chat(sqlite_uow_factory, "fr")
    start_effects(chat, pid)
    chat.say("les jeunes trouvent plus souvent un emploi")
    r = chat.say("d'ici la fin du projet")
    assert chat.state()["step"] == "horizon" and "échéance" in chat.text(r)


class _AffirmingNLU:
    """The worst case seen with the real Rasa: "تلت ربع" (three quarters) read as `affirm`."""

    def parse(self, text, *, hint=None):
        from domain.nlu import Entity, Intent, Understanding
        from nlu.numbers import extract

        ents = [
            Entity(entity=q.entity, value=q.value, start=q.start, end=q.end)
            for q in extract(text)
            if q.entity in ("number", "percent", "qualifier", "duration")
        ]
        return Understanding(
            text=text,
            language="ary",
            intent=Intent(name="affirm", confidence=0.9),
            entities=ents,
            engine="rasa",
        )


@pytest.mark.parametrize(
    "typed, target",
    [("تلت ربع", 75.0), ("النصف", 50.0), ("70%", 70.0), ("sab3in f lmya", 70.0), ("la moitié", 50.0)],
)
def test_a_figure_typed_at_the_proposal_is_the_figure_not_a_yes(sqlite_uow_factory, typed, target):
    pid = make_project(sqlite_uow_factory)
    chat = Chat(make_dispatcher(sqlite_uow_factory, nlu=_AffirmingNLU()), user="u9")
    chat.register(sqlite_uow_factory, "official", "Berkane", "ary")
    start_effects(chat, pid)
    while chat.state()["step"] != "proposal":  # the dialogue's own questions, answered by buttons
        step = chat.state()["step"]
        if step == "statement":
            chat.say(FLOWS["ary"][4])
        elif step == "horizon":
            chat.press("hz:12")
        else:
            pytest.fail(f"unexpected step {step}")
    chat.say(typed)
    data = chat.state()["data"]
    assert chat.state()["step"] == "proposal" and data["target"] == target and data["target_share"] is True
    chat.say("واخا")  # a real yes still accepts the proposal
    assert chat.state()["step"] != "proposal"


def test_the_figure_button_typed_in_other_words(sqlite_uow_factory):
    pid = make_project(sqlite_uow_factory)
    chat = registered_chat(sqlite_uow_factory, "ary")
    start_effects(chat, pid)
    chat.say(FLOWS["ary"][4])
    chat.press("hz:12")
    assert chat.state()["step"] == "proposal"
    chat.say("زيد رقم")
    assert chat.state()["step"] == "target"


def test_where_the_change_is_asked_only_a_clear_activity_is_refused(sqlite_uow_factory):
    """At the change step the answer is a clause whose subject the question gave: a refusal needs
    the lexicon's reading of an activity beside a sure model, so a clear activity is still
    refused and a change is taken (the corpus' "يواظبون على الحضور", which the model alone was
    sure of, is the other side)."""
    uf = sqlite_uow_factory
    pid = make_project(uf, publics=("women",))
    chat = registered_chat(uf, "fr")
    start_effects(chat, pid)
    chat.say("la situation des femmes")
    chat.press("clr:effect")
    assert chat.state()["step"] == "change"
    r = chat.say("nous organisons des ateliers de couture")  # us, an activity verb: refused
    assert chat.state()["step"] == "change" and "activité" in chat.text(r)
    assert "ateliers" not in (chat.state()["data"].get("change") or "")
    chat.say("elles gagnent un revenu régulier")
    assert chat.state()["step"] != "change" and "revenu" in chat.state()["data"]["change"]
