"""How the dispatcher reads typed text: commands only when a message is nothing but a command,
leaving a dialogue with input asks first and keeps a draft, the menu is routed by meaning. With
the real fallback parser (no Rasa: the corpus in tests/conversations runs the real Rasa)."""

from __future__ import annotations

import pytest

from tests.dialogues.helpers import expect, registered_chat, seed_projects


@pytest.fixture
def chat(sqlite_uow_factory):
    return registered_chat(sqlite_uow_factory, "fr")


def _new_project_until_problem(chat):
    chat.press("menu:new_project")
    chat.say("Ateliers emploi jeunes")
    assert chat.state()["step"] == "problem"


def test_a_sentence_with_a_command_word_is_an_answer(chat, sqlite_uow_factory):
    _new_project_until_problem(chat)
    chat.say("Un meilleur accueil des jeunes")
    st = chat.state()
    assert st["dialogue"] == "project" and st["data"]["problem"] == "Un meilleur accueil des jeunes"


def test_leaving_with_input_asks_first_and_keeps_a_draft(chat):
    _new_project_until_problem(chat)
    r = chat.say("retour au menu svp")
    expect(r, "nav.leave_ask", "fr", what="📝 Nouveau projet")
    assert chat.state()["dialogue"] == "project"
    r = chat.say("non")  # stay
    assert chat.state()["step"] == "problem" and "Quel problème" in chat.text(r)
    chat.say("menu")
    r = chat.say("oui")
    assert chat.state()["dialogue"] == "menu"
    assert "Ateliers emploi jeunes" == chat.state()["drafts"]["project"]["data"]["title"]
    expect(r, "nav.draft_kept", "fr", what="📝 Nouveau projet")
    r = chat.press("menu:new_project")
    expect(r, "nav.resume_ask", "fr", what="📝 Nouveau projet")
    chat.say("oui")  # resume
    st = chat.state()
    assert st["step"] == "problem" and st["data"]["title"] == "Ateliers emploi jeunes"
    assert st["drafts"] == {}


def test_it_was_my_answer(chat):
    _new_project_until_problem(chat)
    r = chat.say("Accueil")
    assert "sys:answer" in chat.buttons(r)
    chat.press("sys:answer")
    st = chat.state()
    assert st["step"] == "public_cat" and st["data"]["problem"] == "Accueil"


def test_commands_leave_without_a_question(chat):
    _new_project_until_problem(chat)
    r = chat.command("menu")
    assert chat.state()["dialogue"] == "menu" and "project" in chat.state()["drafts"]
    expect(r, "nav.draft_kept", "fr", what="📝 Nouveau projet")
    chat.press("menu:new_project")
    chat.press("sys:restart")  # start again: the draft goes
    assert chat.state()["step"] == "title" and chat.state()["drafts"] == {}
    chat.say("Titre")
    r = chat.command("cancel")  # an explicit cancel drops what was typed
    expect(r, "nav.cancelled", "fr")
    assert chat.state()["drafts"] == {}


def test_a_message_without_input_leaves_at_once(chat):
    chat.press("menu:new_project")
    r = chat.say("retour au menu")
    assert chat.state()["dialogue"] == "menu" and "Que voulez-vous faire" in chat.text(r)


@pytest.mark.parametrize(
    "lang, typed, dialogue",
    [
        ("fr", "je veux voir mes projets", "projects"),
        ("ary", "بغيت نشوف المشاريع ديالي", "projects"),
        ("ary-Latn", "bghit nzid indicateur", "indicators"),
        ("ar", "إضافة مؤشر", "indicators"),
        ("fr", "exporter un document", "export"),
        ("ary-Latn", "ndiro sondage", "poll"),
    ],
)
def test_free_text_at_the_menu_is_routed_by_meaning(sqlite_uow_factory, lang, typed, dialogue):
    seed_projects(sqlite_uow_factory)
    chat = registered_chat(sqlite_uow_factory, lang)
    chat.say(typed)
    assert chat.state()["dialogue"] == dialogue


@pytest.mark.parametrize("lang", ["fr", "ar", "ary", "ary-Latn"])
def test_anything_else_gets_the_menu_with_one_line_of_help(sqlite_uow_factory, lang):
    chat = registered_chat(sqlite_uow_factory, lang)
    r = chat.say("le couscous de vendredi")
    expect(r, "menu.not_understood", lang)
    expect(r, "menu.title", lang)
    assert chat.state()["dialogue"] == "menu"


def test_a_request_for_another_entry_at_a_choice_step(chat):
    _new_project_until_problem(chat)
    chat.say("Les jeunes sont sans travail")
    assert chat.state()["step"] == "public_cat"
    r = chat.say("je veux exporter un document")
    expect(r, "nav.leave_ask", "fr", what="📝 Nouveau projet")
    chat.say("oui")
    st = chat.state()
    assert st["dialogue"] == "export" and st["drafts"]["project"]["step"] == "public_cat"


def test_a_text_step_never_takes_a_request_for_another_entry(chat):
    _new_project_until_problem(chat)
    chat.say("exporter les produits du terroir")
    st = chat.state()
    assert st["dialogue"] == "project" and st["data"]["problem"] == "exporter les produits du terroir"
