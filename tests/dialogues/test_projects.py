"""'My projects' (list, open, edit, delete) and the access rule, through the real dispatcher."""

from __future__ import annotations

import pytest

from tests.dialogues.helpers import expect, registered_chat, seed_projects, tamper


def _labels(replies) -> str:
    return " | ".join(b.label for r in replies for b in r.buttons)


def _audit(uow_factory, action):
    with uow_factory() as uow:
        return [a for a in uow.audit.list() if a.action == action]


def test_list_open_and_the_card(uow_factory):
    berkane, tanger = seed_projects(uow_factory)
    chat = registered_chat(uow_factory, lang="ary-Latn")
    r = chat.press("menu:my_projects")
    expect(r, "myprojects.list", "ary-Latn", n=1)
    assert chat.buttons(r)[0] == f"prj:{berkane}"
    r = chat.say("1")
    text = expect(r, "myprojects.what_now", "ary-Latn")
    assert "Terrain de sport Berkane" in text and "Chabab (200) — 12-18 ans" in text
    expect(r, "myprojects.counts", "ary-Latn", parties=0, effects=0, indicators=0, measures=0)
    assert chat.buttons(r)[0] == "card:edit" and "card:delete" in chat.buttons(r)
    r = chat.press("sys:back")  # back to the list
    expect(r, "myprojects.list", "ary-Latn", n=1)


def test_no_project_yet_goes_back_to_the_menu(sqlite_uow_factory):
    chat = registered_chat(sqlite_uow_factory, lang="ar")
    r = chat.press("menu:my_projects")
    expect(r, "projects.none", "ar")
    expect(r, "menu.title", "ar")
    assert chat.state()["dialogue"] == "menu"


def test_edit_updates_the_same_project(uow_factory):
    berkane, _ = seed_projects(uow_factory)
    chat = registered_chat(uow_factory)
    chat.press("menu:my_projects")
    chat.press(f"prj:{berkane}")
    r = chat.press("card:edit")  # the project dialogue, on its summary, filled in
    text = expect(r, "project.summary_title", "fr")
    assert "Terrain de sport Berkane" in text and "rénover le terrain" in text
    chat.press("sys:edit")
    chat.press("edit:title")
    chat.say("Terrain multisport Berkane")
    chat.press("sys:edit")
    chat.press("edit:period")
    r = chat.say("09/2025 - 08/2026")
    assert "09/2025 → 08/2026" in expect(r, "project.summary_title", "fr")
    r = chat.press("sys:confirm")
    expect(r, "project.updated", "fr", title="Terrain multisport Berkane")
    with uow_factory() as uow:
        assert len(uow.projects.list()) == 2  # updated, not added
        p = uow.projects.get(berkane)
    assert p.title == "Terrain multisport Berkane" and p.activities == ["rénover le terrain"]
    assert [(x.category, x.expected_number) for x in p.publics] == [("youth", 200)]
    assert str(p.period_start) == "2025-09-01" and str(p.period_end) == "2026-08-31"
    assert _audit(uow_factory, "project.updated")[0].target == f"project:{berkane}"


def test_delete_asks_first(uow_factory):
    berkane, _ = seed_projects(uow_factory)
    chat = registered_chat(uow_factory, lang="ary")
    chat.press("menu:my_projects")
    chat.press(f"prj:{berkane}")
    r = chat.press("card:delete")
    expect(r, "myprojects.delete_confirm", "ary", title="Terrain de sport Berkane", effects=0, indicators=0)
    r = chat.say("إيه")  # deleting needs the button: a typed word is not enough
    expect(r, "common.choose_option", "ary", n=2)
    r = chat.press("del:no")
    expect(r, "myprojects.kept", "ary")
    chat.press("card:delete")
    r = chat.press("del:yes")
    expect(r, "myprojects.deleted", "ary", title="Terrain de sport Berkane")
    expect(r, "menu.title", "ary")
    with uow_factory() as uow:
        assert uow.projects.get(berkane) is None
    (entry,) = _audit(uow_factory, "project.deleted")
    assert entry.target == f"project:{berkane}" and entry.detail["commune"] == "berkane"


# -- access ------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["official", "staff"])
def test_commune_users_cannot_reach_another_communes_project(uow_factory, role):
    berkane, tanger = seed_projects(uow_factory)
    chat = registered_chat(uow_factory, role=role, commune="Berkane")
    # list: only Berkane
    r = chat.press("menu:my_projects")
    assert chat.buttons(r) == [f"prj:{berkane}"]
    assert "Tanger" not in chat.text(r) + _labels(r)
    # open with forged button data: refused like any button that was not offered
    r = chat.press(f"prj:{tanger}")
    expect(r, "common.button_expired", "fr")
    assert "Tanger" not in chat.text(r) and chat.state()["step"] == "project_id"
    # open Berkane's card, then forge the stored id: edit, delete and follow-ups all refuse
    chat.press(f"prj:{berkane}")
    for button in ("card:edit", "card:delete", "card:parties"):
        tamper(chat, project_id=tanger)
        r = chat.press(button)
        expect(r, "projects.not_found", "fr")
        assert chat.state()["dialogue"] == "menu"
        chat.press("menu:my_projects")
        chat.press(f"prj:{berkane}")
    # confirm a delete whose id was forged after the question
    chat.press("card:delete")
    tamper(chat, project_id=tanger)
    r = chat.press("del:yes")
    expect(r, "projects.not_found", "fr")
    # save an "edit" whose id was forged: nothing is written to Tanger, nothing is created
    chat.press("menu:my_projects")
    chat.press(f"prj:{berkane}")
    chat.press("card:edit")
    tamper(chat, project_id=tanger, title="Pirate")
    r = chat.press("sys:confirm")
    expect(r, "projects.not_found", "fr")
    # a new project cannot be put in another commune either (no commune step for them)
    chat.press("menu:new_project")
    tamper(chat, commune="tanger")
    for text in ("Projet X", "Un problème", "1"):
        chat.say(text)
    chat.command("skip")
    chat.press("pnum:unknown")
    chat.press("pmore:no")
    chat.say("une activité")
    chat.press("act:done")
    chat.command("skip")
    chat.press("sys:confirm")
    with uow_factory() as uow:
        t = uow.projects.get(tanger)
        assert t is not None and t.title == "Accueil migrants Tanger"
        assert [p.commune_id for p in uow.projects.list()] == ["berkane", "tanger", "berkane"]
    assert not _audit(uow_factory, "project.deleted")
    assert not [a for a in _audit(uow_factory, "project.updated")]


def test_a_coordinator_sees_and_changes_every_commune(uow_factory):
    berkane, tanger = seed_projects(uow_factory)
    chat = registered_chat(uow_factory, role="coordinator", commune=None)
    r = chat.press("menu:my_projects")
    assert chat.buttons(r)[:2] == [f"prj:{berkane}", f"prj:{tanger}"]
    assert "Accueil migrants Tanger · Tanger" in _labels(r)
    r = chat.press(f"prj:{tanger}")
    expect(r, "myprojects.counts", "fr", parties=1, effects=1, indicators=1, measures=1)
    r = chat.press("card:edit")
    assert "Tanger" in expect(r, "project.summary_title", "fr")
    chat.press("sys:edit")
    chat.press("edit:title")
    chat.say("Accueil et orientation Tanger")
    chat.press("sys:confirm")
    with uow_factory() as uow:
        t = uow.projects.get(tanger)
    assert t.title == "Accueil et orientation Tanger" and t.commune_id == "tanger"
    assert len(t.effects) == 1 and len(t.stakeholders) == 1  # editing keeps the rest
    chat.press("next:menu")
    chat.press("menu:my_projects")
    chat.press(f"prj:{tanger}")
    chat.press("card:delete")
    chat.press("del:yes")
    with uow_factory() as uow:
        assert uow.projects.get(tanger) is None


def test_a_long_list_comes_in_pages(sqlite_uow_factory):
    from domain.records import Project

    with sqlite_uow_factory() as uow:
        ids = [uow.projects.add(Project(commune_id="berkane", title=f"Projet {i}")).id for i in range(11)]
        uow.commit()
    chat = registered_chat(sqlite_uow_factory)
    r = chat.press("menu:my_projects")
    expect(r, "myprojects.list", "fr", n=11)
    assert chat.buttons(r) == [f"prj:{i}" for i in ids[:8]] + ["prj:more"]
    r = chat.press("prj:more")
    assert chat.buttons(r)[:4] == [f"prj:{i}" for i in ids[8:]] + ["prj:more"]
    r = chat.say("2")  # the second project of this page
    assert "Projet 9" in expect(r, "myprojects.what_now", "fr")
    r = chat.press("sys:back")
    r = chat.press("prj:more")  # after the last page, the first one again
    assert chat.buttons(r)[0] == f"prj:{ids[0]}"


def _with_exporter(chat, tmp_path):
    from bot.services.exports import Exporter
    from knowledge.loader import load_communes

    chat.dispatcher.services.exporter = Exporter(load_communes(), out_dir=tmp_path / "out")
    return chat


def test_an_official_cannot_export_another_communes_project(sqlite_uow_factory, tmp_path):
    berkane, tanger = seed_projects(sqlite_uow_factory)
    chat = _with_exporter(registered_chat(sqlite_uow_factory), tmp_path)
    chat.command("export")
    r = chat.press("exp:w:logframe")
    assert [b for b in chat.buttons(r) if b.startswith("prj:")] == [f"prj:{berkane}"]
    r = chat.press(f"prj:{tanger}")  # forged button data: refused, nothing revealed
    expect(r, "projects.choose", "fr")
    assert chat.state()["step"] == "project_id" and "Tanger" not in chat.text(r)
    chat.press(f"prj:{berkane}")
    tamper(chat, project_id=tanger)  # forged after the choice
    r = chat.press("exp:f:json")
    expect(r, "export.no_project", "fr")
    assert not [x for x in r if x.attachment] and not (tmp_path / "out").exists()


def test_a_coordinator_exports_any_commune(sqlite_uow_factory, tmp_path):
    _, tanger = seed_projects(sqlite_uow_factory)
    chat = _with_exporter(registered_chat(sqlite_uow_factory, role="coordinator", commune=None), tmp_path)
    chat.command("export")
    chat.press("exp:w:logframe")
    chat.press(f"prj:{tanger}")
    r = chat.press("exp:f:json")
    (doc,) = [x.attachment for x in r if x.attachment]
    assert "Accueil migrants Tanger" in open(doc["path"], encoding="utf-8").read()
