"""The same rules on the real coaching lexicon of the knowledge base (knowledge/*.yml)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from domain.dialogue import Ctx, DialogueState
from domain.effects import change_clause, check_effect, classify
from knowledge.loader import load_knowledge

from bot.handlers._coaching import lexicon


@pytest.fixture(scope="module")
def lex():
    ctx = Ctx(
        state=DialogueState(), lang="fr", uow=None, services=SimpleNamespace(knowledge=load_knowledge())
    )
    return lexicon(ctx)


@pytest.mark.parametrize(
    "text,kind",
    [
        ("Organiser 10 ateliers de recherche d'emploi", "activity"),
        ("sensibiliser les parents à la scolarisation des filles", "activity"),
        ("Construire une rampe d'accès à la commune", "activity"),
        ("120 jeunes formés", "output"),
        ("une rampe construite", "output"),
        ("les femmes décident de l'usage de leurs revenus", "effect"),
        ("تنظيم 10 ورشات للبحث عن الشغل", "activity"),
        ("120 شابا تم تكوينهم", "output"),
        ("تم تكوين 40 شابا في تقنيات البحث عن الشغل", "output"),  # passive, then the count
        ("تتحسن صحة النساء", "effect"),
        ("غادي نديرو 10 ديال الورشات", "activity"),
        ("120 شاب تكونو", "output"),
        ("العيالات ولاو كيقررو فالفلوس ديالهم", "effect"),
        ("ghadi nfer9o 30 koursi roulant", "activity"),
        ("120 chab tkawno", "output"),
        ("chabab ghadi yl9aw khedma", "effect"),
    ],
)
def test_classify_with_the_knowledge_base(lex, text, kind):
    assert classify(text, lex).kind == kind


def test_arabic_words_match_with_or_without_article_and_proclitics(lex):
    assert lex.domains_in("يجد الشباب عملا") == ["employment_income"]
    assert "youth" in lex.publics_in("للشباب")
    c = check_effect("يجد الشباب عملا بحلول 2027", lex)
    assert c.public == "youth" and c.missing == ()


def test_pronouns_and_direction_words_from_the_lexicon(lex):
    assert change_clause("ils trouvent un travail", lex) == "trouvent un travail"
    assert change_clause("homa yl9aw khedma", lex) == "yl9aw khedma"
    assert check_effect("moins de décrochage scolaire", lex).direction == "decrease"


def test_the_lexicon_bugs_of_issue_13_stay_fixed(lex):
    # "khdaw" (they received) is a delivery, and a confident NLU is never overridden
    c = classify("les 25 coopératives khdaw tamwil", lex, {"activity": 0.0, "output": 1.0, "effect": 0.0})
    assert (c.kind, c.sure) == ("output", True)
    assert "change_verb" not in classify("les 25 coopératives khdaw tamwil", lex).reasons
    # "نوعية" (quality) is not "نوعي" (we raise awareness)
    assert lex.activity_verbs_in("تحسين نوعية الخدمات الصحية") == []
    # the project named after "thanks to" is not the subject: a textbook effect
    c = classify("بزاف ديال العيالات ولاو كيخدمو بفضل المشروع ديالنا", lex)
    assert (c.kind, c.sure) == ("effect", True) and "actor_subject" not in c.reasons
    # the project as the subject of a change it made possible
    assert classify("Le projet a permis aux femmes de vendre leurs produits", lex).kind == "effect"
