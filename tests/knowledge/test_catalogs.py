"""The real knowledge base loads and covers what the dialogues need."""

from __future__ import annotations

from collections import Counter

import pytest

from domain.knowledge import (
    DISAGGREGATIONS,
    DOMAIN_IDS,
    INDICATOR_GROUPS,
    LANG_TAGS,
    PARTY_IDS,
    PUBLIC_IDS,
    Text4,
)
from domain.nlu import DOMAINS, PUBLICS
from knowledge.loader import (
    load_coaching_lexicon,
    load_domains,
    load_effect_examples,
    load_glossary,
    load_indicators,
    load_knowledge,
    load_lessons,
    load_parties,
    load_publics,
    load_templates,
)


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def test_every_loader_returns_content():
    assert load_indicators() and load_publics() and load_domains() and load_parties()
    assert load_effect_examples() and load_glossary() and load_lessons()
    assert load_templates().effects and load_coaching_lexicon().activity_verbs


def test_loaders_are_cached():
    assert load_knowledge() is load_knowledge()
    assert load_indicators() is load_indicators()


def test_at_least_60_indicators_with_unique_ids(kb):
    ids = [i.id for i in kb.indicators]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)


def test_each_nlu_domain_has_indicators_and_examples(kb):
    by_domain = Counter(i.domain for i in kb.indicators)
    assert set(DOMAINS) == set(DOMAIN_IDS)
    for d in DOMAINS:
        assert by_domain[d] >= 2, d
        assert kb.examples_for(domain=d), d


def test_indicator_groups_cover_brief_sections(kb):
    assert {i.group for i in kb.indicators} == set(INDICATOR_GROUPS)


def test_each_public_has_indicators_and_examples(kb):
    for p in PUBLICS:
        assert any(p in i.publics for i in kb.indicators), p
        assert kb.examples_for(public=p), p


def test_all_levels_present_and_percent_has_denominator(kb):
    assert {i.level for i in kb.indicators} == {"output", "outcome", "impact"}
    for ind in kb.indicators:
        if ind.unit == "percent":
            assert ind.calculation.denominator is not None, ind.id
        assert set(ind.disaggregation) <= set(DISAGGREGATIONS)


def test_people_based_indicators_are_disaggregated(kb):
    # DOMAIN §3.3: indicators fed by a perception poll count people, so they are broken down;
    # an age split goes with a sex split unless the indicator is about women only.
    for ind in kb.indicators:
        if ind.poll_question is not None:
            assert ind.disaggregation, ind.id
        if "age_band" in ind.disaggregation and ind.publics != ["women"]:
            assert "sex" in ind.disaggregation, ind.id


def test_sensitive_tools_are_flagged(kb):
    for ind in kb.indicators:
        if ind.tool in ("WHO-5", "WG-SS", "IPL-12"):
            assert ind.sensitive, ind.id


def test_publics_and_domains_match_the_contract(kb):
    assert [p.id for p in kb.publics] == list(PUBLIC_IDS)
    assert [d.id for d in kb.domains] == list(DOMAIN_IDS)


def test_circle_of_effects_parties(kb):
    assert [p.id for p in kb.parties] == list(PARTY_IDS)
    for party in kb.parties:
        assert {e.polarity for e in party.examples} == {"positive", "negative"}
        assert party.unexpected_prompts
    assert len(kb.unexpected_prompts) >= 5


def test_eight_lessons_with_three_to_five_cards(kb):
    assert [m.number for m in kb.lessons] == list(range(1, 9))
    for m in kb.lessons:
        assert 3 <= len(m.cards) <= 5


def _all_text4(obj):
    """Every Text4 inside a model tree."""
    from pydantic import BaseModel

    if isinstance(obj, Text4):
        yield obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _all_text4(getattr(obj, name))
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _all_text4(x)


def test_every_user_text_exists_in_four_variants_in_the_right_script(kb):
    texts = list(_all_text4(kb))
    assert len(texts) > 350
    arabic = lambda s: any("\u0600" <= ch <= "\u06ff" for ch in s)  # noqa: E731
    for t in texts:
        for tag in LANG_TAGS:
            assert t.get(tag).strip()
        assert arabic(t.ar) and arabic(t.ary), t.fr
        assert not arabic(t.fr) and not arabic(t.ary_latn), t.fr


def test_darija_is_not_a_copy_of_msa(kb):
    texts = [t for t in _all_text4(kb) if len(t.ar) > 40]
    same = [t.fr for t in texts if t.ar == t.ary]
    assert len(same) <= len(texts) // 20, same[:5]


def test_labels_cover_every_value_used_by_the_library(kb):
    for ind in kb.indicators:
        for tag in LANG_TAGS:
            assert kb.labels.label("units", ind.unit, tag)
            assert kb.labels.label("frequencies", ind.frequency, tag)
            assert kb.labels.label("levels", ind.level, tag)
            for dim in ind.disaggregation:
                assert kb.labels.label("disaggregations", dim, tag)
    for party in kb.parties:
        assert kb.labels.label("party_kinds", party.kind, "ary")


def test_poll_links_name_real_poll_questions(kb):
    """`poll_question` feeds domain.polls.measurement_from_results: it must be a question id of
    the poll question bank, and the indicator a percentage (the favourable share)."""
    from knowledge.polls import load_question_bank

    bank = load_question_bank()
    ids = {q.id for m in bank.module_ids for q in bank.module_questions(m)}
    linked = [i for i in kb.indicators if i.poll_question is not None]
    assert len(linked) >= 10
    for ind in linked:
        assert ind.poll_question in ids, (ind.id, ind.poll_question)
        assert ind.unit == "percent", ind.id
