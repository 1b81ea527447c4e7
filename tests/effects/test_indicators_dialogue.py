"""Indicators, measurements and unexpected effects through the real dispatcher."""

from __future__ import annotations

from datetime import date

import pytest

from domain.records import Effect, Indicator
from nlu.service import make_nlu

from tests.effects.fakes import make_project, registered_chat

EFFECTS = {
    "fr": "Les jeunes formés trouvent un emploi d'ici fin 2027",
    "ar": "يجد الشباب عملا بحلول 2027",
    "ary": "الشباب غادي يلقاو خدمة قبل 2027",
    "ary-Latn": "chabab ghadi yl9aw khedma 2027",
}


def add_effect(uf, pid, **kw) -> int:
    with uf() as uow:
        p = uow.projects.get(pid)
        p.effects.append(
            Effect(
                statement=kw.pop("statement", "Les jeunes trouvent un emploi"),
                domain="employment_income",
                public="youth",
                **kw,
            )
        )
        p = uow.projects.save(p)
        uow.commit()
        return p.effects[-1].id


@pytest.mark.parametrize("lang", list(EFFECTS))
def test_from_a_new_project_to_a_confirmed_indicator(sqlite_uow_factory, lang):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, lang)
    chat.press("menu:effects")
    chat.press(f"prj:{pid}")
    r = chat.say(EFFECTS[lang])
    assert chat.buttons(r)[0] == "eff:ok"  # complete: proposed at once
    chat.press("eff:ok")
    chat.press("sys:confirm")
    r = chat.press("nx:indicators")  # straight to this effect's indicators
    suggested = [b for b in chat.buttons(r) if b.startswith("ind:") and b != "ind:own"]
    assert 2 <= len(suggested) <= 3 and "ind:own" in chat.buttons(r)
    assert suggested[0] == "ind:trainees_in_work_6_months"
    r = chat.press(suggested[0])
    assert chat.buttons(r)[0] == "keep"
    for _ in range(3):  # unit, definition, calculation from the library
        r = chat.press("keep")
    assert chat.buttons(r)[:3] == ["base:known", "base:plan", "base:help"]
    chat.press("base:known")
    chat.say("12")
    r = chat.say("01/2026")
    r = chat.press("pre:survey")
    r = chat.say("30")
    r = chat.say("12/2027")
    r = chat.press("keep")  # the library's source
    r = chat.press("freq:semester")
    r = chat.press("pre:bascs")
    assert "dis:done" in chat.buttons(r)
    r = chat.press("dis:done")
    assert chat.buttons(r)[0] == "smart:go"  # nothing to fix
    r = chat.press("smart:go")
    assert chat.buttons(r) == ["sys:confirm", "sys:edit", "sys:cancel"]
    r = chat.press("sys:confirm")
    assert "nx:same" in chat.buttons(r)
    with uf() as uow:
        (e,) = uow.projects.get(pid).effects
        (ind,) = e.indicators
    assert (ind.library_id, ind.unit, ind.baseline_value, ind.target_value) == (
        "trainees_in_work_6_months",
        "percent",
        12,
        30,
    )
    assert (ind.baseline_date, ind.target_date) == (date(2026, 1, 1), date(2027, 12, 31))
    assert ind.frequency == "semester" and ind.collector and ind.source and ind.definition
    assert "sex" in ind.disaggregation and ind.calculation


@pytest.mark.parametrize(
    "lang,typed,keep",
    [
        ("fr", "cinq pour cent", "ok"),
        ("ar", "خمسة في المائة", "نعم"),
        ("ary", "خمسة فالمية", "واخا"),
        ("ary-Latn", "khamsa f lmya", "wakha"),
    ],
)
def test_the_starting_value_typed_at_the_known_or_to_measure_question(sqlite_uow_factory, lang, typed, keep):
    """Seen in `athar chat`: "5%" where "I know it / to be measured" was asked was refused,
    and "ok" where "Keep" was offered became the definition."""
    uf = sqlite_uow_factory
    pid = make_project(uf)
    eid = add_effect(uf, pid)
    chat = registered_chat(uf, lang, nlu=make_nlu(None))  # number words: the app's own reader
    chat.press("menu:indicators")
    chat.press(f"prj:{pid}")
    chat.press(f"eff:{eid}")
    chat.press("ind:trainees_in_work_6_months")
    for _ in range(3):  # unit, definition, calculation: the library's, kept by a typed yes
        r = chat.say(keep)
    assert chat.buttons(r)[:2] == ["base:known", "base:plan"]
    r = chat.say("enquête de 2024")  # a date in a sentence is not the value
    assert chat.state()["step"] == "baseline"
    r = chat.say("2")  # the value 2, or the second button? asked
    assert chat.buttons(r) == ["sys:value", "base:plan"] and chat.state()["step"] == "baseline"
    r = chat.press("base:plan")
    assert chat.state()["step"] == "baseline_plan"
    chat.command("back")
    r = chat.say(typed)
    assert "5" in chat.text(r) and chat.state()["step"] == "baseline_date"
    r = chat.say("120")  # not a date: asked again, the value stays
    chat.command("back")
    assert chat.state()["step"] == "baseline"
    r = chat.say("130 %")
    assert chat.state()["step"] == "baseline"  # a percentage goes from 0 to 100
    chat.say("7")  # no button has that number: the value
    assert chat.state()["step"] == "baseline_date"
    data = chat.state()["data"]
    assert (data["baseline"], data["baseline_value"]) == ("known", 7)
    assert data["definition"] and data["definition"] not in ("ok", "نعم", "واخا", "wakha")


def test_own_indicator_smart_feedback_and_fix(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    eid = add_effect(uf, pid)
    chat = registered_chat(uf, "fr")
    chat.press("menu:indicators")
    chat.press(f"prj:{pid}")
    r = chat.press(f"eff:{eid}")
    chat.press("ind:own")
    chat.say("Nombre de jeunes en emploi")
    r = chat.press("unit:number")
    assert "keep" not in chat.buttons(r)  # nothing to keep for one's own indicator
    chat.say("un emploi d'au moins 3 mois")
    r = chat.press("base:plan")
    chat.press("pre:poll")
    chat.say("40")
    chat.press(chat.buttons(chat.log[-1:])[0])  # first date button
    chat.say("registre du BASCS")
    chat.press("freq:yearly")
    chat.say("Mme Amal")
    r = chat.press("dis:done")  # people, but no breakdown
    text = chat.text(r)
    assert "1 point à améliorer" in text and "ventilez au moins par sexe" in text
    assert chat.buttons(r)[:2] == ["fix:disaggregation", "smart:go"]
    r = chat.press("fix:disaggregation")
    r = chat.press("dis:sex")
    assert any(b.label.startswith("✅") for b in r[-1].buttons if b.data == "dis:sex")
    r = chat.press("dis:disability")
    assert "Washington Group" in chat.text(r)
    r = chat.press("dis:done")  # back to the summary, the check is fine now
    assert "Contrôle SMART : ✅ complet" in chat.text(r)
    chat.press("sys:confirm")
    with uf() as uow:
        (ind,) = uow.projects.get(pid).effects[0].indicators
    assert ind.baseline_value is None and ind.baseline_plan == "Un sondage Athar avant les activités"
    assert ind.disaggregation == ["sex", "disability"] and ind.library_id is None


def test_a_target_below_the_baseline_is_flagged(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    add_effect(uf, pid)
    chat = registered_chat(uf, "fr")
    chat.press("menu:indicators")
    chat.press(f"prj:{pid}")  # one effect only: still asked, one tap
    chat.press(chat.buttons(chat.log[-1:])[0])
    chat.press("ind:trainees_in_work_6_months")
    for _ in range(3):
        chat.press("keep")
    chat.press("base:known")
    chat.say("40")
    chat.press(chat.buttons(chat.log[-1:])[0])
    chat.press("pre:register")
    chat.say("25")
    chat.press(chat.buttons(chat.log[-1:])[0])
    chat.press("keep")
    chat.press("keep")
    chat.press("pre:me")
    r = chat.press("dis:done")
    assert "La cible n'est pas au-dessus du départ" in chat.text(r)
    assert chat.buttons(r)[0] == "fix:target_value"
    r = chat.press("fix:target_value")
    r = chat.say("55")
    assert "Contrôle SMART : ✅ complet" in chat.text(r)


def test_a_wrong_answer_at_every_indicator_step(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    eid = add_effect(uf, pid)
    chat = registered_chat(uf, "fr")
    chat.press("menu:indicators")
    chat.press(f"prj:{pid}")
    r = chat.say("le dixième")  # an ordinal past the list ("le premier" picks the first)
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    chat.press(f"eff:{eid}")
    r = chat.say("aucun")
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    chat.press("ind:own")
    r = chat.say("🙂")
    assert "quelques mots" in chat.text(r)
    chat.say("% de jeunes en emploi")
    r = chat.say("en kilos")
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    chat.press("unit:percent")
    chat.say("emploi de 3 mois au moins")
    chat.say("jeunes en emploi / jeunes formés")
    r = chat.say("peut-être")
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    r = chat.press("base:help")
    assert "valeur de départ, c'est le chiffre avant les activités" in chat.text(r)
    chat.press("base:known")
    r = chat.say("beaucoup")
    assert "J'attends un nombre" in chat.text(r)
    r = chat.say("120")
    assert "Un pourcentage va de 0 à 100" in chat.text(r)
    chat.say("10")
    r = chat.say("demain")
    assert "Je n'ai pas compris la date" in chat.text(r)
    r = chat.say("12/2099")
    assert "ne peut pas être dans le futur" in chat.text(r)
    chat.say("01/2026")
    chat.say("enquête")
    chat.say("30")
    r = chat.say("2020")
    assert "doit être après aujourd'hui" in chat.text(r)
    chat.say("12/2030")
    chat.say("enquête de suivi")
    r = chat.say("souvent")
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    chat.press("freq:semester")
    chat.say("BASCS")
    r = chat.say("par genre")
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    chat.press("dis:sex")
    r = chat.press("dis:done")
    r = chat.say("ok")
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    r = chat.press("smart:go")
    assert chat.buttons(r)[0] == "sys:confirm"


def test_measure_and_progress(uow_factory):
    uf = uow_factory
    pid = make_project(uf)
    with uf() as uow:
        p = uow.projects.get(pid)
        p.effects.append(
            Effect(
                statement="Les jeunes trouvent un emploi",
                indicators=[
                    Indicator(
                        label="% de jeunes en emploi",
                        unit="percent",
                        baseline_value=10,
                        target_value=30,
                        source="enquête",
                        disaggregation=["sex"],
                    )
                ],
            )
        )
        p = uow.projects.save(p)
        uow.commit()
        iid = p.effects[0].indicators[0].id
    chat = registered_chat(uf, "fr")
    r = chat.press("menu:measures")
    chat.press(f"prj:{pid}")
    r = chat.say("mon indicateur")
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    chat.press(f"mi:{iid}")
    r = chat.say("bientôt")
    assert "Je n'ai pas reconnu la période" in chat.text(r)
    chat.say("2026-S1")
    r = chat.say("beaucoup")
    assert "J'attends un nombre" in chat.text(r)
    r = chat.say("120")
    assert "Un pourcentage va de 0 à 100" in chat.text(r)
    chat.say("25")
    r = chat.say("12")
    assert "J'attends 2 nombres, dans cet ordre : femmes, hommes." in chat.text(r)
    chat.say("28 22")
    r = chat.press("keep")
    assert "femmes 28, hommes 22" in chat.text(r)
    r = chat.press("sys:confirm")
    text = chat.text(r)
    assert "Départ 10 → dernière mesure 25 (2026-S1) → cible 30" in text
    assert "▓▓▓▓▓▓▓▓░░ 75 % du chemin parcouru" in text
    with uf() as uow:
        (m,) = uow.projects.get(pid).effects[0].indicators[0].measurements
    assert (m.period, m.value, m.source, m.disaggregated) == (
        "2026-S1",
        25,
        "enquête",
        {"sex": {"female": 28, "male": 22}},
    )


@pytest.mark.parametrize(
    "lang,typed,months_back",
    [
        ("fr", "le mois dernier", 1),
        ("ar", "الشهر الماضي", 1),
        ("ary", "الشهر اللي فات", 1),
        ("ary-Latn", "chhar li fat", 1),
        ("fr", "l'an dernier", None),
    ],
)
def test_the_period_of_a_measure_in_words(sqlite_uow_factory, lang, typed, months_back):
    """Seen in `athar chat`: "الشهر الماضي" where the period was asked was refused."""
    from domain.dates import add_months
    from bot.handlers._coaching import today

    uf = sqlite_uow_factory
    pid = make_project(uf)
    with uf() as uow:
        p = uow.projects.get(pid)
        p.effects.append(
            Effect(
                statement="Les jeunes trouvent un emploi",
                indicators=[
                    Indicator(
                        label="% de jeunes en emploi", unit="percent", baseline_value=10, target_value=30
                    )
                ],
            )
        )
        p = uow.projects.save(p)
        uow.commit()
        iid = p.effects[0].indicators[0].id
    chat = registered_chat(uf, lang, nlu=make_nlu(None))
    chat.press("menu:measures")
    chat.press(f"prj:{pid}")
    chat.press(f"mi:{iid}")
    r = chat.say(typed)
    now = today()
    want = f"{add_months(now, -1):%Y-%m}" if months_back else str(now.year - 1)
    assert chat.state()["step"] == "value" and chat.state()["data"]["period"] == want
    assert want in chat.text(r)  # said back


def test_measures_without_indicators_lead_to_indicators(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, "ary-Latn")
    chat.press("menu:measures")
    r = chat.press(f"prj:{pid}")
    assert chat.buttons(r)[0] == "go:indicators"
    r = chat.press("go:indicators")  # and the project has no effect yet either
    assert chat.buttons(r[-1:])[0] == "go:effects"  # (a lesson may be offered before it)
    r = chat.press("go:effects")
    assert chat.state()["dialogue"] == "effects"


@pytest.mark.parametrize(
    "lang,words",
    [
        ("fr", "ils se sentent exclus"),
        ("ary", "حاسين بالحكرة"),
        ("ar", "يشعرون بالإقصاء"),
        ("ary-Latn", "7assin b l7ogra"),
    ],
)
def test_unexpected_effect_for_a_party(sqlite_uow_factory, lang, words):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, lang)
    chat.press("menu:unexpected")
    r = chat.press(f"prj:{pid}")
    assert "party:non_selected_peers" in chat.buttons(r)
    r = chat.press("party:non_selected_peers")
    first = chat.text(r)
    r = chat.press("unx:idea")  # another question to think with
    assert chat.text(r) != first
    r = chat.say(words)
    chat.press("pol:negative")
    chat.press("when:possible")
    r = chat.press("sys:confirm")
    assert "nx:again" in chat.buttons(r)
    with uf() as uow:
        (e,) = uow.projects.get(pid).effects
    assert (e.expected, e.polarity, e.party, e.statement, e.horizon) == (
        False,
        "negative",
        "non_selected_peers",
        words,
        None,
    )


def test_something_that_happened_to_another_group(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, "fr")
    chat.press("menu:unexpected")
    chat.press(f"prj:{pid}")
    chat.say("les voisins")  # part of a button's label: that button
    assert chat.state()["data"]["party"] == "host_community"
    chat.press("sys:back")
    r = chat.say("🙂")  # no button, no group named
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    r = chat.say("les commerçants du souk")  # a group of no button: another group, named
    assert "« les commerçants du souk »" in chat.text(r)
    chat.say("ils vendent plus le jour des ateliers")
    r = chat.say("bof")
    assert "Je n'ai pas reconnu ce choix" in chat.text(r)
    chat.press("pol:positive")
    when = chat.buttons(chat.log[-1:])[0]
    chat.press(when)
    chat.press("sys:confirm")
    with uf() as uow:
        (e,) = uow.projects.get(pid).effects
    assert (e.party, e.polarity, e.horizon) == ("les commerçants du souk", "positive", when[5:])


def test_effects_and_indicators_of_another_project_are_out_of_reach(sqlite_uow_factory):
    uf = sqlite_uow_factory
    mine = make_project(uf)
    other = make_project(uf, commune="tanger", title="Projet de Tanger")
    foreign_effect = add_effect(uf, other)
    add_effect(uf, mine)
    chat = registered_chat(uf, "fr")
    chat.press("menu:indicators")
    chat.press(f"prj:{mine}")
    r = chat.press(f"eff:{foreign_effect}")  # forged: an effect of the Tanger project
    assert "question précédente" in chat.text(r) and chat.state()["step"] == "effect_id"
    chat.press("sys:cancel")
    chat.press("menu:measures")
    r = chat.press(f"prj:{other}")
    assert chat.state()["data"].get("project_id") is None


@pytest.mark.parametrize(
    "lang, said, label",
    [
        ("fr", "d'ici la fin du projet", "Fin du projet (06/2031)"),
        ("ary-Latn", "f akhir lmachrou3", "Akhir lmachrou3 (06/2031)"),
        ("ar", "في نهاية المشروع", "نهاية المشروع"),
    ],
)
def test_the_target_date_at_the_end_of_the_project(sqlite_uow_factory, lang, said, label):
    """The first target-date button is the project's end, named so (it said "Fin 2031" for a
    project ending in June 2031), and "d'ici la fin du projet" typed selects it."""
    uf = sqlite_uow_factory
    pid = make_project(uf)
    with uf() as uow:
        p = uow.projects.get(pid)
        p.period_start, p.period_end = date(2026, 1, 1), date(2031, 6, 30)
        uow.projects.save(p)
        uow.commit()
    chat = registered_chat(uf, lang)
    chat.press("menu:effects")
    chat.press(f"prj:{pid}")
    chat.say(EFFECTS[lang])
    chat.press("eff:ok")
    chat.press("sys:confirm")
    r = chat.press("nx:indicators")
    suggested = [b for b in chat.buttons(r) if b.startswith("ind:") and b != "ind:own"]
    chat.press(suggested[0])
    for _ in range(3):
        chat.press("keep")
    chat.press("base:known")
    chat.say("12")
    chat.say("01/2026")
    chat.press("pre:survey")
    r = chat.say("30")
    assert chat.state()["step"] == "target_date"
    labels = [b.label for reply in r for b in reply.buttons]
    assert any(label in lb for lb in labels), labels
    chat.say(said)
    assert chat.state()["data"]["target_date"] == "2031-06-30"
