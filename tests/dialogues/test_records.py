"""Mending records from the project card ("records" dialogue), through the real dispatcher:
edit and delete an effect, an unexpected effect, an indicator and a measurement, each with a
confirmation; a dialogue run again without a change changes nothing; disaggregated values and
baselines when measuring."""

from __future__ import annotations

from datetime import date

import pytest

from domain.records import (
    Effect,
    Indicator,
    Measurement,
    Project,
    Stakeholder,
    TargetPublic,
)

from tests.dialogues.helpers import LANGS, expect, registered_chat, tamper, text_of


def seed(uf, commune="berkane") -> int:
    """A project with an expected effect (an indicator, two measurements), an unexpected effect
    of the circle (families) and a positive unexpected effect recorded on its own."""
    with uf() as uow:
        p = uow.projects.add(
            Project(
                commune_id=commune,
                title="Ateliers emploi jeunes",
                problem="chômage",
                publics=[TargetPublic(category="youth", detail="18-30 ans", expected_number=120)],
                stakeholders=[
                    Stakeholder(
                        group="participants",
                        kind="direct",
                        how_affected="ils découvrent",
                        polarity="positive",
                    ),
                    Stakeholder(
                        group="families",
                        kind="indirect",
                        how_affected="les filles gardent",
                        polarity="negative",
                    ),
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
                                baseline_date=date(2025, 1, 1),
                                baseline_source="enquête",
                                target_value=40,
                                target_date=date(2027, 12, 31),
                                source="enquête",
                                frequency="semester",
                                collector="BASCS",
                                disaggregation=["sex", "age_band"],
                                measurements=[
                                    Measurement(
                                        period="2026-S1",
                                        value=20,
                                        disaggregated={"sex": {"female": 18, "male": 22}},
                                        source="enquête",
                                    ),
                                    Measurement(period="2026-S2", value=25, source="enquête"),
                                ],
                            )
                        ],
                    ),
                    Effect(
                        statement="les filles gardent", expected=False, polarity="negative", party="families"
                    ),
                    Effect(
                        statement="les familles parlent plus du travail",
                        expected=False,
                        polarity="positive",
                        party="families",
                        domain="social_ties",
                    ),
                ],
            )
        )
        uow.commit()
        return p.id


def project(uf, pid) -> Project:
    with uf() as uow:
        return uow.projects.get(pid)


def ids(p: Project) -> dict[str, int]:
    e = p.effects[0]
    ind = e.indicators[0]
    return {
        "effect": e.id,
        "circle": p.effects[1].id,
        "own": p.effects[2].id,
        "indicator": ind.id,
        "m1": ind.measurements[0].id,
        "m2": ind.measurements[1].id,
    }


def open_list(chat, pid, button):
    chat.press("menu:my_projects")
    chat.press(f"prj:{pid}")
    return chat.press(button)


def dump(p: Project) -> dict:
    return p.model_dump(exclude={"created_at"})


# -- editing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_edit_an_expected_effect_from_the_card(uow_factory, lang):
    pid = seed(uow_factory)
    before = project(uow_factory, pid)
    i = ids(before)
    chat = registered_chat(uow_factory, lang=lang)
    r = open_list(chat, pid, "card:effects")
    expect(r, "records.list.effect", lang, title="Ateliers emploi jeunes", n=3)
    assert chat.buttons(r)[:3] == [f"rec:{i['effect']}", f"rec:{i['circle']}", f"rec:{i['own']}"]
    r = chat.press(f"rec:{i['effect']}")
    expect(r, "records.what_now", lang)
    assert chat.buttons(r)[:3] == ["rac:edit", "rac:delete", "rac:children"]
    r = chat.press("rac:edit")  # the effects dialogue, on its summary, with the recorded wording
    text = expect(r, "effects.summary_title", lang)
    assert "D'ici fin 2027, les jeunes trouvent un emploi." in text
    chat.press("sys:edit")
    r = chat.press("edit:proposal")
    expect(r, "effects.proposal_current", lang, text="D'ici fin 2027, les jeunes trouvent un emploi.")
    chat.press("eff:edit")
    chat.say("D'ici fin 2027, au moins 40 % des jeunes formés ont un emploi.")
    r = chat.press("sys:confirm")
    expect(r, "records.updated.effect", lang)
    expect(r, "records.what_now", lang)  # back on the record's card
    after = project(uow_factory, pid)
    assert [e.id for e in after.effects] == [e.id for e in before.effects]
    changed = after.effects[0]
    assert changed.statement == "D'ici fin 2027, au moins 40 % des jeunes formés ont un emploi."
    assert changed.indicators == before.effects[0].indicators  # its indicator is untouched
    assert (changed.level, changed.horizon, changed.domain, changed.public) == (
        "outcome",
        "2027",
        "employment_income",
        "youth",
    )
    assert dump(after) | {"effects": None} == dump(before) | {"effects": None}
    with uow_factory() as uow:
        assert [a.target for a in uow.audit.list() if a.action == "effect.updated"] == [
            f"effect:{i['effect']}"
        ]


def test_edit_an_unexpected_effect(uow_factory):
    pid = seed(uow_factory)
    i = ids(project(uow_factory, pid))
    chat = registered_chat(uow_factory, lang="ary")
    open_list(chat, pid, "card:effects")
    chat.press(f"rec:{i['own']}")
    r = chat.press("rac:edit")
    text = expect(r, "unexpected.summary_title", "ary")
    assert "les familles parlent plus du travail" in text
    chat.press("sys:edit")
    chat.press("edit:polarity")
    r = chat.press("pol:negative")
    expect(r, "unexpected.summary_title", "ary")
    r = chat.press("sys:confirm")
    expect(r, "records.updated.effect", "ary")
    e = project(uow_factory, pid).effects[2]
    assert (e.id, e.statement, e.polarity, e.party, e.expected, e.domain) == (
        i["own"],
        "les familles parlent plus du travail",
        "negative",
        "families",
        False,
        "social_ties",
    )


def test_edit_an_indicator_keeps_its_measurements(uow_factory):
    pid = seed(uow_factory)
    before = project(uow_factory, pid)
    i = ids(before)
    chat = registered_chat(uow_factory, lang="fr")
    r = open_list(chat, pid, "card:indicators")
    expect(r, "records.list.indicator", "fr", title="Ateliers emploi jeunes", n=1)
    r = chat.press(f"rec:{i['indicator']}")
    assert "Départ 10 → cible 40 · dernière mesure : 25" in chat.text(r)
    r = chat.press("rac:edit")
    assert "% de jeunes en emploi" in expect(r, "indicators.summary_title", "fr")
    chat.press("sys:edit")
    r = chat.press("edit:source")
    assert chat.buttons(r)[0] == "keep"  # the recorded value can be kept as it is
    chat.say("registre du BASCS")
    chat.press("sys:edit")
    chat.press("edit:target_value")
    r = chat.say("45")
    r = chat.press("sys:confirm")
    expect(r, "records.updated.indicator", "fr")
    after = project(uow_factory, pid).effects[0].indicators[0]
    old = before.effects[0].indicators[0]
    assert (after.id, after.source, after.target_value) == (old.id, "registre du BASCS", 45)
    assert after.measurements == old.measurements
    assert after.model_dump(exclude={"source", "target_value"}) == old.model_dump(
        exclude={"source", "target_value"}
    )


def test_edit_a_measurement(uow_factory):
    pid = seed(uow_factory)
    i = ids(project(uow_factory, pid))
    chat = registered_chat(uow_factory, lang="ar")
    r = open_list(chat, pid, "card:measures")
    assert chat.buttons(r)[:2] == [f"rec:{i['m2']}", f"rec:{i['m1']}"]  # the latest first
    r = chat.press(f"rec:{i['m1']}")
    assert "النساء 18، الرجال 22" in chat.text(r)
    r = chat.press("rac:edit")
    expect(r, "measures.summary_title", "ar")
    chat.press("sys:edit")
    chat.press("edit:value")
    r = chat.say("21")
    chat.press("sys:edit")
    chat.press("edit:by_sex")
    r = chat.say("الرجال 23 النساء 19")  # named, in another order
    assert "النساء 19، الرجال 23" in chat.text(r)
    r = chat.press("sys:confirm")
    expect(r, "records.updated.measurement", "ar")
    m = project(uow_factory, pid).effects[0].indicators[0].measurements[0]
    assert (m.id, m.value, m.disaggregated, m.period) == (
        i["m1"],
        21,
        {"sex": {"female": 19, "male": 23}},
        "2026-S1",
    )


# -- confirming without a change changes nothing ---------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "button,record",
    [
        ("card:effects", "effect"),
        ("card:effects", "circle"),
        ("card:effects", "own"),
        ("card:indicators", "indicator"),
        ("card:measures", "m1"),
        ("card:measures", "m2"),
    ],
)
def test_confirming_an_edit_without_a_change_changes_nothing(sqlite_uow_factory, lang, button, record):
    uf = sqlite_uow_factory
    pid = seed(uf)
    before = project(uf, pid)
    chat = registered_chat(uf, lang=lang)
    open_list(chat, pid, button)
    chat.press(f"rec:{ids(before)[record]}")
    chat.press("rac:edit")
    r = chat.press("sys:confirm")
    assert chat.state()["dialogue"] == "records"
    assert any(
        text_of(f"records.updated.{k}", lang) in chat.text(r) for k in ("effect", "indicator", "measurement")
    )
    assert dump(project(uf, pid)) == dump(before)


@pytest.mark.parametrize("lang", LANGS)
def test_walking_the_circle_again_without_a_change_changes_nothing(sqlite_uow_factory, lang):
    """Seen in issue 12: a positive unexpected effect came back as a new negative one."""
    uf = sqlite_uow_factory
    pid = seed(uf)
    before = project(uf, pid)
    chat = registered_chat(uf, lang=lang)
    open_list(chat, pid, "card:parties")
    r = chat.press("party:done")
    expect(r, "parties.summary_title", lang)
    r = chat.press("sys:confirm")
    expect(r, "parties.saved", lang, n=2, k=0)
    assert dump(project(uf, pid)) == dump(before)
    # and walking it to the end, skipping every group, is the same
    chat.press("sys:cancel") if chat.state().get("dialogue") else None
    open_list(chat, pid, "card:parties")
    for _ in range(8):
        r = chat.command("skip")
    chat.press("sys:confirm")
    assert dump(project(uf, pid)) == dump(before)


def test_a_new_wording_in_the_circle_mends_its_own_unexpected_effect(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = seed(uf)
    i = ids(project(uf, pid))
    chat = registered_chat(uf, lang="fr")
    open_list(chat, pid, "card:parties")
    chat.command("skip")  # participants: as recorded
    chat.press("party:yes")  # families
    chat.say("les grandes sœurs gardent les petits")
    chat.press("pol:negative")
    chat.press("unexp:yes")
    chat.press("party:done")
    chat.press("sys:confirm")
    p = project(uf, pid)
    assert [(e.id, e.statement, e.polarity) for e in p.effects[1:]] == [
        (i["circle"], "les grandes sœurs gardent les petits", "negative"),
        (i["own"], "les familles parlent plus du travail", "positive"),
    ]


def test_editing_the_project_without_a_change_keeps_an_other_public(sqlite_uow_factory):
    uf = sqlite_uow_factory
    with uf() as uow:
        pid = uow.projects.add(
            Project(
                commune_id="berkane",
                title="Couture",
                activities=["ateliers"],
                publics=[
                    TargetPublic(category="other", detail="mères célibataires du douar", expected_number=30)
                ],
            )
        ).id
        uow.commit()
    before = project(uf, pid)
    chat = registered_chat(uf, lang="fr")
    chat.press("menu:my_projects")
    chat.press(f"prj:{pid}")
    chat.press("card:edit")
    chat.press("sys:edit")
    chat.press("edit:public_cat")
    r = chat.press("pub:other")
    assert "mères célibataires du douar" in chat.text(r) and chat.buttons(r)[0] == "pdet:keep"
    r = chat.press("pdet:keep")
    r = chat.command("skip")  # the number, as recorded
    chat.press("pmore:no")
    chat.press("sys:confirm")
    assert dump(project(uf, pid)) == dump(before)


# -- deleting --------------------------------------------------------------------------------------


def test_delete_an_effect_asks_first_and_says_what_goes_with_it(uow_factory):
    pid = seed(uow_factory)
    i = ids(project(uow_factory, pid))
    chat = registered_chat(uow_factory, lang="fr")
    open_list(chat, pid, "card:effects")
    chat.press(f"rec:{i['effect']}")
    r = chat.press("rac:delete")
    expect(
        r,
        "records.delete_confirm.effect",
        "fr",
        text="D'ici fin 2027, les jeunes trouvent un emploi.",
        indicators=1,
        measurements=2,
    )
    assert "(1 indicateur, 2 mesures)" in chat.text(r)
    r = chat.say("oui")  # deleting needs the button: a typed word is not enough
    assert chat.state()["step"] == "confirm_delete"
    r = chat.press("rdel:no")
    expect(r, "records.kept", "fr")
    assert len(project(uow_factory, pid).effects) == 3
    chat.press("rac:delete")
    r = chat.press("rdel:yes")
    expect(r, "records.deleted.effect", "fr")
    expect(r, "records.list.effect", "fr", title="Ateliers emploi jeunes", n=2)
    p = project(uow_factory, pid)
    assert [e.id for e in p.effects] == [i["circle"], i["own"]]
    with uow_factory() as uow:
        (audit,) = [a for a in uow.audit.list() if a.action == "effect.deleted"]
    assert audit.target == f"effect:{i['effect']}" and audit.detail["indicators"] == 1


def test_delete_an_indicator_and_a_measurement(uow_factory):
    pid = seed(uow_factory)
    i = ids(project(uow_factory, pid))
    chat = registered_chat(uow_factory, lang="ary-Latn")
    open_list(chat, pid, "card:effects")
    chat.press(f"rec:{i['effect']}")
    r = chat.press("rac:children")  # the effect's indicators
    expect(
        r,
        "records.list.indicator_of",
        "ary-Latn",
        parent="D'ici fin 2027, les jeunes trouvent un emploi.",
        n=1,
    )
    chat.press(f"rec:{i['indicator']}")
    r = chat.press("rac:children")  # the indicator's measurements
    chat.press(f"rec:{i['m2']}")
    r = chat.press("rac:delete")
    expect(r, "records.delete_confirm.measurement", "ary-Latn", period="2026-S2", value=25)
    r = chat.press("rdel:yes")
    expect(r, "records.deleted.measurement", "ary-Latn")
    ind = project(uow_factory, pid).effects[0].indicators[0]
    assert [m.id for m in ind.measurements] == [i["m1"]]
    r = chat.press("rec:up")  # up: the indicator's card
    expect(r, "records.what_now", "ary-Latn")
    r = chat.press("rac:delete")
    assert "9iyas wa7ed" in chat.text(r)
    chat.press("rdel:yes")
    assert project(uow_factory, pid).effects[0].indicators == []


def test_forged_and_foreign_records_are_out_of_reach(sqlite_uow_factory):
    uf = sqlite_uow_factory
    mine = seed(uf)
    other = seed(uf, commune="tanger")
    foreign = ids(project(uf, other))
    chat = registered_chat(uf, lang="fr")
    open_list(chat, mine, "card:effects")
    r = chat.press(f"rec:{foreign['effect']}")  # not one of the buttons shown
    expect(r, "common.button_expired", "fr")
    tamper(chat, project_id=other)  # a forged project id: as if it did not exist
    r = chat.press(f"rec:{foreign['effect']}")
    expect(r, "projects.not_found", "fr")
    assert len(project(uf, other).effects) == 3
    chat.command("menu")  # (a list of a project out of reach takes none of its old buttons)
    chat.press("menu:my_projects")
    chat.press(f"prj:{mine}")
    chat.press("card:effects")
    chat.press(f"rec:{ids(project(uf, mine))['effect']}")
    tamper(chat, record_id=foreign["effect"])
    r = chat.press("rac:delete")
    expect(r, "records.not_found", "fr")
    assert len(project(uf, other).effects) == 3 and len(project(uf, mine).effects) == 3


# -- measuring: disaggregations and the baseline ---------------------------------------------------


def test_every_disaggregation_ticked_is_asked_when_measuring(sqlite_uow_factory):
    uf = sqlite_uow_factory
    with uf() as uow:
        p = uow.projects.add(
            Project(
                commune_id="berkane",
                title="Accueil",
                effects=[
                    Effect(
                        statement="Les jeunes participent",
                        indicators=[
                            Indicator(
                                label="Nombre de jeunes inscrits",
                                unit="number",
                                baseline_value=0,
                                disaggregation=["sex", "age_band", "disability", "migrant_status"],
                            )
                        ],
                    )
                ],
            )
        )
        uow.commit()
        pid, iid = p.id, p.effects[0].indicators[0].id
    chat = registered_chat(uf, lang="fr")
    chat.press("menu:measures")
    chat.press(f"prj:{pid}")
    chat.press(f"mi:{iid}")  # it has a baseline: no question about it
    chat.say("2026-S1")
    r = chat.say("40")
    expect(r, "measures.ask_by.sex", "fr")
    r = chat.say("25 20")  # 45 is not 40
    expect(r, "measures.dis_sum", "fr", sum=45, total=40)
    r = chat.say("hommes 15 femmes 25")
    expect(r, "measures.ask_by.age_band", "fr")
    assert "0-14 ans, 15-17 ans, 18-24 ans, 25-34 ans, 35-59 ans, 60 ans" not in chat.text(r)
    assert "0-14 ans, 15-17 ans, 18-24 ans, 25-34 ans, 35-59 ans, 60+ ans" in chat.text(r)
    r = chat.say("0 5 20 15 0 0")
    expect(r, "measures.ask_by.disability", "fr")
    r = chat.command("skip")
    expect(r, "measures.ask_by.migrant_status", "fr")
    r = chat.say("١٠ ٣٠")  # Arabic-Indic digits
    chat.command("skip")  # source
    r = chat.press("sys:confirm")
    expect(r, "measures.saved", "fr")
    (m,) = project(uf, pid).effects[0].indicators[0].measurements
    assert m.disaggregated == {
        "sex": {"female": 25, "male": 15},
        "age_band": {"0-14": 0, "15-17": 5, "18-24": 20, "25-34": 15, "35-59": 0, "60+": 0},
        "migrant_status": {"yes": 10, "no": 30},
    }


@pytest.mark.parametrize("lang", LANGS)
def test_a_measurement_recorded_as_the_baseline(sqlite_uow_factory, lang):
    uf = sqlite_uow_factory
    with uf() as uow:
        p = uow.projects.add(
            Project(
                commune_id="berkane",
                title="Accueil",
                effects=[
                    Effect(
                        statement="Les jeunes participent",
                        indicators=[
                            Indicator(
                                label="% de jeunes qui se sentent accueillis",
                                unit="percent",
                                target_value=60,
                                baseline_plan="sondage de départ",
                            )
                        ],
                    )
                ],
            )
        )
        uow.commit()
        pid, iid = p.id, p.effects[0].indicators[0].id
    chat = registered_chat(uf, lang=lang)
    chat.press("menu:measures")
    chat.press(f"prj:{pid}")
    r = chat.press(f"mi:{iid}")  # no baseline yet: is this it?
    expect(r, "measures.ask_baseline", lang)
    chat.press("base:yes")
    chat.say("2025-10")
    chat.say("20")
    chat.say("sondage")
    r = chat.press("sys:confirm")
    expect(r, "measures.saved_baseline", lang)
    ind = project(uf, pid).effects[0].indicators[0]
    (base,) = ind.measurements
    assert base.baseline and (
        ind.baseline_value,
        ind.baseline_date,
        ind.baseline_source,
        ind.baseline_plan,
    ) == (20, date(2025, 10, 1), "sondage", None)
    # a follow-up: the baseline is not asked again, and the way is measured from it
    chat.press("nx:again")
    chat.press(f"mi:{iid}")
    chat.say("2026-S1")
    chat.say("40")
    chat.command("skip")
    r = chat.press("sys:confirm")
    expect(r, "measures.progress_values", lang, baseline=20, latest=40, period="2026-S1", target=60)
    expect(r, "measures.progress_share", lang, bar="▓▓▓▓▓░░░░░", percent=50)
    ind = project(uf, pid).effects[0].indicators[0]
    assert [m.baseline for m in ind.measurements] == [True, False]
    # deleting the baseline measurement takes the indicator's starting value with it
    chat.press("nx:menu")
    chat.press("menu:my_projects")
    chat.press(f"prj:{pid}")
    chat.press("card:measures")
    chat.press(f"rec:{base.id}")
    chat.press("rac:delete")
    chat.press("rdel:yes")
    ind = project(uf, pid).effects[0].indicators[0]
    assert ind.baseline_value is None and [m.value for m in ind.measurements] == [40]


def test_measuring_from_the_indicator_card(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = seed(uf)
    i = ids(project(uf, pid))
    chat = registered_chat(uf, lang="ary")
    open_list(chat, pid, "card:indicators")
    chat.press(f"rec:{i['indicator']}")
    r = chat.press("rac:measure")  # straight to the period: the indicator is known
    expect(r, "measures.ask_period", "ary")


@pytest.mark.parametrize("how", ["button", "command", "typed"])
def test_back_from_a_record_leads_to_its_list_then_to_the_card(sqlite_uow_factory, how):
    uf = sqlite_uow_factory
    pid = seed(uf)
    i = ids(project(uf, pid))
    chat = registered_chat(uf, lang="fr")
    open_list(chat, pid, "card:effects")
    chat.press(f"rec:{i['effect']}")
    chat.press("rac:edit")
    r = chat.press("sys:confirm")  # back on the card, opened afresh: no history
    back = {
        "button": lambda: chat.press("rec:up"),
        "command": lambda: chat.command("back"),
        "typed": lambda: chat.say("↩️ Retour"),
    }[how]
    r = back()
    expect(r, "records.list.effect", "fr", title="Ateliers emploi jeunes", n=3)
    chat.press(f"rec:{i['own']}")  # opened from the list: the engine's Back
    r = chat.press("sys:back")
    expect(r, "records.list.effect", "fr", title="Ateliers emploi jeunes", n=3)
    r = chat.command("back")
    expect(r, "myprojects.what_now", "fr")  # the project card
