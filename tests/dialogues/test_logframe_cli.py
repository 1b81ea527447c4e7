"""From a conversation to `athar export logframe --project ID --format json` on standard output."""

from __future__ import annotations

import json

import pytest

from domain.records import Effect, Indicator, Measurement

from bot.cli import main
from tests.dialogues.helpers import registered_chat
from tests.dialogues.test_project import SCRIPTS, _new_project


@pytest.fixture
def db(sqlite_db_url, sqlite_uow_factory, monkeypatch):
    monkeypatch.setenv("ATHAR_DATABASE_URL", sqlite_db_url)
    from bot.settings import get_settings

    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    yield sqlite_uow_factory
    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()


def test_the_logframe_of_a_conversation_as_json(db, capsys):
    chat = registered_chat(db, lang="ary-Latn")
    _new_project(chat, "ary-Latn", SCRIPTS["ary-Latn"])
    chat.press("next:parties")
    chat.say("kayt3allmo bzaf")
    chat.press("pol:positive")
    chat.press("party:yes")
    chat.say("lbnat kayb9aw m3a sghar")
    chat.press("pol:negative")
    chat.press("unexp:yes")
    chat.press("party:done")
    chat.press("sys:confirm")
    with db() as uow:  # an expected effect with an indicator and a measurement, as the effect
        (s,) = uow.projects.list()  # and indicator dialogues record them
        p = uow.projects.get(s.id)
        p.effects.insert(
            0,
            Effect(
                statement="Chabab lqaw khedma",
                level="outcome",
                polarity="positive",
                domain="employment_income",
                public="youth",
                horizon="2026-12",
                indicators=[
                    Indicator(
                        label="% dyal chabab li l9aw khedma",
                        definition="jeunes en emploi à 6 mois",
                        unit="percent",
                        calculation="en emploi / formés",
                        baseline_value=10,
                        baseline_source="enquête 2025",
                        target_value=30,
                        source="sondage",
                        frequency="semester",
                        disaggregation=["sex", "age_band"],
                        library_id="youth_employment_6m",
                        measurements=[
                            Measurement(
                                period="2026-S1",
                                value=18,
                                source="sondage",
                                disaggregated={"sex": {"f": 9, "m": 9}},
                            )
                        ],
                    )
                ],
            ),
        )
        uow.projects.save(p)
        uow.commit()
    capsys.readouterr()
    assert main(["export", "logframe", "--project", str(s.id), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["project"]["title"] == SCRIPTS["ary-Latn"]["title"]
    assert data["project"]["period_start"] == "2025-03-01"
    assert [(x["category"], x["expected_number"]) for x in data["target_publics"]] == [
        ("youth", 120),
        ("women", 40),
    ]
    assert [(x["group"], x["kind"], x["polarity"]) for x in data["impacted_parties"]] == [
        ("participants", "direct", "positive"),
        ("families", "indirect", "negative"),
    ]
    (effect,) = data["effects"]
    assert (effect["level"], effect["polarity"], effect["expected"]) == ("outcome", "positive", True)
    (ind,) = effect["indicators"]
    assert ind["unit"] == "percent" and ind["baseline"]["value"] == 10
    assert ind["target"]["value"] == 30 and ind["disaggregation"] == ["sex", "age_band"]
    assert ind["measurements"][0]["value"] == 18
    assert ind["measurements"][0]["disaggregated"] == {"sex": {"f": 9, "m": 9}}
    (unexpected,) = data["unexpected_effects"]
    assert (unexpected["statement"], unexpected["polarity"], unexpected["party"]) == (
        "lbnat kayb9aw m3a sghar",
        "negative",
        "families",
    )
    assert data["activities"][0] == "ndiro 10 ateliers"


def test_export_errors(db, capsys):
    assert main(["export", "logframe", "--project", "404", "--format", "json"]) == 2
    assert "404" in capsys.readouterr().err
    assert main(["export", "logframe", "--project", "1", "--format", "docx", "-o", "-"]) == 2
    assert "cannot be printed" in capsys.readouterr().err
