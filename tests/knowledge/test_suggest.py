"""Indicator suggestions: domain match first, then public, then level; stable and bounded."""

from __future__ import annotations

from domain.knowledge import Calculation, Indicator, KnowledgeBase, Text4, suggest_indicators
from knowledge.loader import load_knowledge


def _t4(s: str) -> Text4:
    return Text4.model_validate({"fr": s, "ar": "نص", "ary": "كلام", "ary-Latn": s})


def _ind(iid: str, domain: str, publics: list[str], level: str) -> Indicator:
    return Indicator(
        id=iid,
        group="A",
        label=_t4(iid),
        definition=_t4("d"),
        unit="number",
        calculation=Calculation(numerator=_t4("n")),
        level=level,
        publics=publics,
        domain=domain,
        source=_t4("s"),
        frequency="yearly",
    )


def _kb(*indicators: Indicator) -> KnowledgeBase:
    real = load_knowledge()
    return real.model_copy(update={"indicators": tuple(indicators)})


def test_domain_outranks_public_which_outranks_level():
    kb = _kb(
        _ind("level_only", "social_ties", ["elderly"], "outcome"),
        _ind("public_only", "social_ties", ["youth"], "output"),
        _ind("public_level", "social_ties", ["youth"], "outcome"),
        _ind("domain_only", "employment_income", ["elderly"], "output"),
        _ind("domain_public", "employment_income", ["youth"], "output"),
        _ind("all_three", "employment_income", ["youth", "women"], "outcome"),
    )
    got = [i.id for i in suggest_indicators(kb, "employment_income", "youth", "outcome", limit=10)]
    assert got == ["all_three", "domain_public", "domain_only", "public_level", "public_only"]


def test_no_match_on_domain_or_public_is_never_proposed():
    kb = _kb(_ind("unrelated", "social_ties", ["elderly"], "outcome"))
    assert suggest_indicators(kb, "employment_income", "youth", "outcome") == []


def test_limit_and_ties_keep_library_order():
    kb = _kb(*[_ind(f"i{n}", "culture_sport", ["youth"], "outcome") for n in range(6)])
    assert [i.id for i in suggest_indicators(kb, "culture_sport", "youth", "outcome")] == ["i0", "i1", "i2"]
    assert [i.id for i in suggest_indicators(kb, "culture_sport", None, None, limit=2)] == ["i0", "i1"]
    assert suggest_indicators(kb, "culture_sport", "youth", "outcome", limit=0) == []


def test_unknown_public_still_ranks_by_domain():
    kb = _kb(
        _ind("a", "health_wellbeing", ["women"], "output"),
        _ind("b", "health_wellbeing", ["women"], "outcome"),
    )
    assert [i.id for i in suggest_indicators(kb, "health_wellbeing", "other", "outcome")] == ["b", "a"]


def test_real_library_gives_fitting_suggestions_for_every_domain_and_public():
    kb = load_knowledge()
    for d in [x.id for x in kb.domains]:
        for p in ("youth", "women", "disability", "migrants"):
            got = suggest_indicators(kb, d, p, "outcome")
            assert len(got) == 3, (d, p)
            assert got[0].domain == d, (d, p)


def test_real_library_youth_employment_example():
    kb = load_knowledge()
    got = suggest_indicators(kb, "employment_income", "youth", "outcome")
    assert got[0].id == "trainees_in_work_6_months"
    assert all(i.domain == "employment_income" and "youth" in i.publics for i in got)


def test_indicator_draft_prefills_a_project_indicator():
    from domain.effects import smart_check
    from domain.knowledge import indicator_draft

    kb = load_knowledge()
    ind = kb.indicator("trainees_in_work_6_months")
    draft = indicator_draft(ind, "ary")
    assert draft.library_id == ind.id and draft.label == ind.label.ary
    # the unit stays a code, as the indicator dialogue stores it (it was drafted as "%")
    assert draft.definition == ind.definition.ary and draft.unit == "percent"
    over = draft.model_copy(update={"target_value": 150.0})  # the SMART check reads it as a percentage
    assert "percent_out_of_range" in [f.code for f in smart_check(over)]
    assert ind.calculation.denominator.ary in draft.calculation  # in Darija, not MSA
    latn = indicator_draft(ind, "ary-Latn")  # and in Latin letters, never French
    assert ind.calculation.denominator.ary_latn in latn.calculation
    assert draft.disaggregation == ind.disaggregation and draft.baseline_value is None
    days = indicator_draft(kb.indicator("days_to_get_document_disability"), "fr")
    assert days.unit == "days" and days.poll_question is None
    linked = indicator_draft(kb.indicator("feel_accepted_in_neighbourhood"), "fr")
    assert linked.poll_question == "respect"
