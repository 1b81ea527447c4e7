"""/export through the real dispatcher: what → scope → project/poll → format → language →
progress message and the document; access rules by role."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.commands.demo import seed
from bot.services.exports import Exporter
from knowledge.loader import load_communes

from tests.bot.helpers import Chat, make_dispatcher
from tests.exports.readback import docx_text, xlsx_cells


@pytest.fixture
def world(sqlite_uow_factory, tmp_path):
    with sqlite_uow_factory() as uow:
        done = {
            cid: (pid, polls)
            for cid, pid, polls in seed(uow, communes=("belfaa", "berkane", "ait_zineb"), respondents=12)
        }
        uow.commit()
    d = make_dispatcher(sqlite_uow_factory)
    d.services.exporter = Exporter(load_communes(), out_dir=tmp_path / "out", min_group_size=5)
    return d, done


def attachment(replies) -> Path:
    docs = [r.attachment for r in replies if r.attachment]
    assert len(docs) == 1, [r.text for r in replies]
    assert docs[0]["kind"] == "document"
    path = Path(docs[0]["path"])
    assert path.is_file() and path.stat().st_size > 0
    return path


def test_the_menu_and_the_command_open_the_export_dialogue(world, sqlite_uow_factory):
    d, _ = world
    chat = Chat(d, user="off")
    chat.register(sqlite_uow_factory, role="official", commune="Berkane")
    menu = chat.command("menu")
    assert "menu:export" in Chat.buttons(menu)
    out = chat.command("export")
    assert Chat.buttons(out)[:5] == [
        "exp:w:logframe",
        "exp:w:results",
        "exp:w:report_semester",
        "exp:w:report_final",
        "exp:w:xlsform",
    ]
    assert "Quel document voulez-vous ?" in Chat.text(out)


def test_an_official_exports_the_logframe_of_a_project_in_arabic(world, sqlite_uow_factory):
    d, done = world
    chat = Chat(d, user="off")
    chat.register(sqlite_uow_factory, role="official", commune="Berkane")
    chat.command("export")
    out = chat.press("exp:w:logframe")
    pid = done["berkane"][0]
    # only the projects of the official's commune are offered
    assert [b for b in Chat.buttons(out) if b.startswith("prj:")] == [f"prj:{pid}"]
    out = chat.press(f"prj:{pid}")
    assert "exp:f:docx" in Chat.buttons(out) and "exp:f:json" in Chat.buttons(out)
    out = chat.press("exp:f:docx")
    assert Chat.buttons(out)[:2] == ["exp:l:fr", "exp:l:ar"]
    out = chat.press("exp:l:ar")
    text = Chat.text(out)
    assert text.index("Je prépare le document") < text.index("Voici votre document")
    assert "الإطار المنطقي" in docx_text(attachment(out))
    assert chat.state().get("dialogue") == "menu"  # back to the menu afterwards


def test_an_official_gets_the_report_of_their_own_commune_only(world, sqlite_uow_factory):
    d, _ = world
    chat = Chat(d, user="off2")
    chat.register(sqlite_uow_factory, role="official", commune="Belfaa")
    chat.command("export")
    out = chat.press("exp:w:report_semester")
    assert not [b for b in Chat.buttons(out) if b.startswith("exp:s:")]  # no scope question
    # the chat asks which semester, newest first, within the project's dates (from 03/2025)
    assert "Sur quel semestre ?" in Chat.text(out)
    semesters = [b for b in Chat.buttons(out) if b.startswith("exp:t:")]
    assert semesters[-1] == "exp:t:2025-S1" and semesters == sorted(semesters, reverse=True)
    assert "1er semestre 2026" in [b.label for r in out for b in r.buttons]
    chat.press("exp:t:2026-S1")
    chat.press("exp:f:docx")
    text = docx_text(attachment(chat.press("exp:l:fr")))
    assert "Accueil et orientation des nouveaux habitants" in text and "1er semestre 2026" in text
    assert "Passerelle emploi jeunes" not in text


def test_a_coordinator_chooses_the_whole_programme(world, sqlite_uow_factory):
    d, _ = world
    chat = Chat(d, user="coord")
    chat.register(sqlite_uow_factory, role="coordinator", commune=None)
    chat.command("export")
    out = chat.press("exp:w:report_final")
    assert Chat.buttons(out)[:2] == ["exp:s:commune", "exp:s:all"]
    chat.press("exp:s:all")
    chat.press("exp:f:docx")
    text = docx_text(attachment(chat.press("exp:l:fr")))
    for title in (
        "Passerelle emploi jeunes",
        "Accueil et orientation des nouveaux habitants",
        "النقل المدرسي لفتيات الدواوير",
        "Annexe A — Méthodes",
    ):
        assert title in text


def test_a_coordinator_can_pick_one_commune(world, sqlite_uow_factory):
    d, _ = world
    chat = Chat(d, user="coord2")
    chat.register(sqlite_uow_factory, role="coordinator", commune=None)
    chat.command("export")
    chat.press("exp:w:report_semester")
    out = chat.press("exp:s:commune")
    assert (
        "exp:c:ait_zineb" in Chat.buttons(out)
        and len([b for b in Chat.buttons(out) if b.startswith("exp:c:")]) == 10
    )
    chat.press("exp:c:ait_zineb")
    chat.press("exp:t:2026-S1")
    chat.press("exp:f:docx")
    text = docx_text(attachment(chat.press("exp:l:ar")))
    assert "النقل المدرسي لفتيات الدواوير" in text and "Passerelle" not in text


def test_poll_results_ask_which_poll_and_give_the_kobo_sheet_to_a_coordinator(world, sqlite_uow_factory):
    d, done = world
    pid, polls = done["berkane"]
    chat = Chat(d, user="coord3")
    chat.register(sqlite_uow_factory, role="coordinator", commune=None)
    chat.command("export")
    chat.press("exp:w:results")
    out = chat.press(f"prj:{pid}")
    assert [b for b in Chat.buttons(out) if b.startswith("exp:p:")] == [f"exp:p:{p}" for p in polls]
    out = chat.press(f"exp:p:{polls[0]}")
    assert [b for b in Chat.buttons(out) if b.startswith("exp:f:")] == [
        "exp:f:xlsx",
        "exp:f:csv",
        "exp:f:floip",
        "exp:f:png",
    ]
    chat.press("exp:f:xlsx")
    cells = xlsx_cells(attachment(chat.press("exp:l:fr")))
    data, labels = cells.values()
    assert "meta/instanceID" in data[0] and len(data) == 1 + 12
    assert labels[0][0].startswith("Réservé aux coordinateurs du programme")  # the file says so


def test_row_level_results_are_for_coordinators_only(world, sqlite_uow_factory):
    d, done = world
    pid, polls = done["berkane"]
    chat = Chat(d, user="off3")
    chat.register(sqlite_uow_factory, role="staff", commune="Berkane")
    chat.command("export")
    chat.press("exp:w:results")
    chat.press(f"prj:{pid}")
    out = chat.press(f"exp:p:{polls[1]}")
    assert not [b for b in Chat.buttons(out) if b.startswith("exp:f:")]  # the chart only: no question
    assert attachment(chat.press("exp:l:fr")).suffix == ".png"
    from bot.services.exports import ExportError, ExportJob

    exporter = d.services.exporter
    with sqlite_uow_factory() as uow, pytest.raises(ExportError) as err:
        exporter.run(uow, ExportJob("results", "csv", poll_id=polls[1], coordinator=False))
    assert err.value.key == "export.coordinators_only"


def test_a_csv_needs_no_language_question(world, sqlite_uow_factory):
    d, done = world
    pid, polls = done["ait_zineb"]
    chat = Chat(d, user="coord4")
    chat.register(sqlite_uow_factory, role="coordinator", commune=None)
    chat.command("export")
    chat.press("exp:w:results")
    chat.press(f"prj:{pid}")
    chat.press(f"exp:p:{polls[1]}")
    out = chat.press("exp:f:csv")
    assert attachment(out).suffix == ".csv"


def test_a_project_without_poll_is_refused_for_results(world, sqlite_uow_factory):
    from domain.records import Project

    d, _ = world
    with sqlite_uow_factory() as uow:
        empty = uow.projects.add(Project(commune_id="berkane", title="Sans sondage"))
        uow.commit()
    chat = Chat(d, user="off5")
    chat.register(sqlite_uow_factory, role="official", commune="Berkane")
    chat.command("export")
    chat.press("exp:w:results")
    out = chat.press(f"prj:{empty.id}")
    assert "pas encore de sondage" in Chat.text(out)
    assert f"prj:{empty.id}" in Chat.buttons(out)  # asked again


def test_an_arabic_speaker_is_offered_arabic_first(world, sqlite_uow_factory):
    d, done = world
    chat = Chat(d, user="off6")
    chat.register(sqlite_uow_factory, role="official", commune="Berkane", lang="ary")
    chat.command("export")
    chat.press("exp:w:logframe")
    chat.press(f"prj:{done['berkane'][0]}")
    out = chat.press("exp:f:md")
    assert Chat.buttons(out)[:2] == ["exp:l:ar", "exp:l:fr"]
