"""The glossary disarms the French traps and speaks the four variants."""

from __future__ import annotations

import pytest

from domain.knowledge import LANG_TAGS
from knowledge.loader import load_knowledge


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.mark.parametrize("term_id", ["result", "realisation"])
def test_traps_have_a_disambiguation_question_in_four_variants(kb, term_id):
    term = kb.term(term_id)
    assert term is not None and term.trap is not None
    for tag in LANG_TAGS:
        q = term.trap.question.get(tag)
        assert q.rstrip().endswith(("?", "؟")), (tag, q)
    levels = {o.level for o in term.trap.options}
    assert {"output", "outcome"} <= levels


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Nos résultats attendus : 3 ateliers", "result"),
        ("Le résultat du projet", "result"),
        ("Les réalisations de la commune", "realisation"),
        ("النتائج المنتظرة من المشروع", "result"),
        ("شنو هي الإنجازات ديال الجماعة؟", "realisation"),
        ("chno hiya nata2ij dyal lmachrou3", "result"),
    ],
)
def test_trap_triggers_are_found_in_user_text(kb, text, expected):
    assert expected in [t.id for t in kb.traps_in(text)]


def test_no_trap_in_a_plain_effect(kb):
    assert kb.traps_in("Les jeunes formés trouvent un emploi dans les six mois") == []


def test_glossary_covers_each_results_chain_level(kb):
    levels = {t.level for t in kb.glossary}
    assert {"input", "activity", "output", "outcome", "impact", "result"} <= levels
    for must in ("indicator", "baseline", "target", "assumption", "logframe", "unintended_effect"):
        assert kb.term(must) is not None, must
