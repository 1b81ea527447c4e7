"""Pure rules of domain/effects.py, table-driven, in the four language variants."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from domain.effects import (
    Confidence,
    Horizon,
    Lexicon,
    check_effect,
    change_clause,
    choose_template,
    classify,
    find_horizon,
    level_for,
    period_key,
    placed_by_answer,
    plain,
    progress,
    smart_check,
    statement_probabilities,
)
from domain.records import Indicator, Measurement

from tests.effects.lexicon_data import LEXICON, SUFFIXES

CLASSIFY = [
    # (variant, text, expected kind)
    ("fr", "organiser 10 ateliers de recherche d'emploi", "activity"),
    ("fr", "La commune va sensibiliser les parents", "activity"),
    ("fr", "Nous allons former 40 femmes", "activity"),
    ("fr", "120 jeunes formés", "output"),
    ("fr", "3 séances tenues et 200 kits distribués", "output"),
    ("fr", "les jeunes trouvent du travail", "effect"),
    ("fr", "120 jeunes formés trouvent un emploi", "effect"),  # counting people who do differently
    ("fr", "Les femmes se sentent plus écoutées", "effect"),
    ("fr", "sensibiliser les femmes pour qu'elles utilisent le centre", "activity"),  # means
    ("ar", "تنظيم 10 ورشات للبحث عن الشغل", "activity"),
    ("ar", "الجماعة ستنظم دورات تكوين", "activity"),
    ("ar", "120 شابا تم تكوينهم", "output"),
    ("ar", "يجد الشباب عملا بعد التكوين", "effect"),
    ("ary", "غادي نديرو 10 ديال الورشات", "activity"),
    ("ary", "120 شاب تكونو", "output"),
    ("ary", "الشباب غادي يلقاو خدمة", "effect"),
    ("ary-Latn", "ghadi ndiro 10 dyal les ateliers", "activity"),
    ("ary-Latn", "120 chab tkawno", "output"),
    ("ary-Latn", "chabab ghadi yl9aw khedma", "effect"),
    ("ary-Latn", "200 9ouffa tfer9o", "output"),
]


@pytest.mark.parametrize("lang,text,kind", CLASSIFY, ids=[f"{c[0]}-{i}" for i, c in enumerate(CLASSIFY)])
def test_classify_by_rules(lang, text, kind):
    assert classify(text, LEXICON).kind == kind


def test_the_activity_verb_is_named_for_its_so_what_question():
    c = classify("Organiser 10 ateliers", LEXICON)
    assert (c.kind, c.activity_verb) == ("activity", "organiser")
    assert "leading_verb" in c.reasons
    assert classify("120 jeunes formés", LEXICON).output_pattern == "people_counted"


def test_accents_case_and_arabic_letter_variants_do_not_matter():
    assert classify("ORGANISER des ateliers", LEXICON).kind == "activity"
    assert classify("les jeunes Trouvent un emploi", LEXICON).kind == "effect"
    assert classify("les femmes s'ameliorent", Lexicon_with(change=["amélior"])).kind == "effect"
    assert plain("إعلان أمل") == "اعلان امل"
    assert plain("١٢٠ شاب") == "120 شاب"


def Lexicon_with(change):
    from domain.effects import Lexicon

    return Lexicon(change_verbs=change)


def probs(effect, activity=None):
    """Statement probabilities with P(effect) = `effect`, the rest activity (or split)."""
    rest = 1.0 - effect
    a = rest if activity is None else activity
    return {"activity": a, "output": rest - a, "effect": effect}


C = Confidence(alone=0.85, agree=0.65, contra=0.9)


@pytest.mark.parametrize(
    "p,kind,sure",
    [
        (probs(0.95), "effect", True),  # rules silent: a confident NLU decides alone
        (probs(0.8), "effect", False),  # not confident enough alone: ask
        (probs(0.1, 0.02), "output", True),
        (probs(0.3), "activity", False),
        (None, "unknown", False),  # no clue at all: ask, never praise
    ],
)
def test_the_nlu_decides_alone_only_when_confident(p, kind, sure):
    c = classify("l'accès au centre de santé", LEXICON, p, C)
    assert (c.kind, c.sure) == (kind, sure)


def test_rules_never_override_a_confident_contrary_nlu():
    # "organiser …" at the start is a strong rule: with the NLU on its side a lower bar is enough
    assert (
        classify("organiser 10 ateliers", LEXICON, probs(0.3), C).kind,
        classify("organiser 10 ateliers", LEXICON, probs(0.3), C).sure,
    ) == ("activity", True)
    # a confident contrary NLU wins over the rule
    c = classify("organiser 10 ateliers", LEXICON, probs(0.95), C)
    assert (c.kind, c.sure) == ("effect", True) and "nlu_over_rules" in c.reasons
    # an unsure contrary NLU: neither wins, the coach asks (its guess stays the rule's)
    c = classify("organiser 10 ateliers", LEXICON, probs(0.7), C)
    assert (c.kind, c.sure) == ("activity", False)
    # without the NLU a strong rule is sure, a weak one is only a guess
    assert classify("organiser 10 ateliers", LEXICON).sure
    c = classify("la formation des jeunes au numérique", LEXICON)
    assert (c.kind, c.sure) == ("activity", False)


def test_telling_an_effect_and_telling_not_an_effect_have_their_own_bars():
    two = Confidence(alone=0.6, agree=0.6, contra=0.9, not_alone=0.95, not_agree=0.9, not_contra=0.99)
    assert classify("l'accès au centre de santé", LEXICON, probs(0.65), two).sure
    assert not classify("l'accès au centre de santé", LEXICON, probs(0.35), two).sure
    assert classify("l'accès au centre de santé", LEXICON, probs(0.03), two).sure
    # without `not_*` both sides share the bars
    assert C.bars(False) == C.bars(True) == (0.85, 0.65, 0.9)


def test_between_activity_and_output_a_strong_rule_wins_then_the_likelier():
    assert classify("120 jeunes formés", LEXICON, probs(0.05, 0.9), C).kind == "output"
    assert classify("la salle des fêtes", LEXICON, probs(0.05, 0.9), C).kind == "activity"
    assert classify("la salle des fêtes", LEXICON, probs(0.05, 0.1), C).kind == "output"
    # an activity noun alone is a weak clue: the NLU's likelier of the two says which
    assert classify("la formation des jeunes au numérique", LEXICON, probs(0.05, 0.01), C).kind == "output"


def test_statement_probabilities_leave_dialogue_intents_out():
    ranking = [("menu", 0.7), ("describe_effect", 0.2), ("describe_output", 0.1)]
    assert statement_probabilities(ranking) == pytest.approx(
        {"activity": 0.0, "output": 1 / 3, "effect": 2 / 3}
    )
    assert statement_probabilities([("greet", 1.0)]) is None


def test_the_subject_test_looks_at_the_grammatical_subject_only():
    lex = Lexicon(
        actor_subjects=["le projet", "la commune", "المشروع", "الجماعة"],
        subject_blockers=["grâce", "avec", "بفضل", "مع"],
        change_verbs=["trouv", "ولاو"],
        activity_verbs={"organiser": ["organis", "تنظيم"]},
        arabic_suffixes=SUFFIXES,
    )
    assert lex.has_actor_subject("La commune va organiser des ateliers")
    assert lex.has_actor_subject("Cette année, la commune organise des ateliers")
    assert lex.has_actor_subject("ستقوم الجماعة بتنظيم ورشات")  # verb before its subject
    assert not lex.has_actor_subject("Les jeunes trouvent un emploi grâce au soutien de la commune")
    assert not lex.has_actor_subject("بزاف ديال العيالات ولاو كيخدمو بفضل المشروع ديالنا")
    assert classify("بزاف ديال العيالات ولاو كيخدمو بفضل المشروع ديالنا", lex).kind == "effect"


def test_arabic_forms_are_whole_words_with_their_inflections():
    lex = Lexicon(activity_verbs={"sensibiliser": ["نوعي"]}, change_verbs=["تحسن"], arabic_suffixes=SUFFIXES)
    assert lex.activity_verbs_in("غادي نوعيو الناس") == ["sensibiliser"]
    assert lex.activity_verbs_in("تحسين نوعية الخدمات") == []  # "نوعية" is quality
    assert lex.change_verb_span("تحسنت صحة النساء") is not None
    assert lex.change_verb_span("تحسينات") is None


def test_a_typed_answer_to_the_clarifying_question_is_placed_by_its_first_cue():
    lex = Lexicon(
        answer_cues={
            "activity": ["nous", "l'équipe", "7na"],
            "output": ["compte"],
            "effect": ["les gens", "change", "nnass"],
        }
    )
    assert placed_by_answer("c'est nous qui le faisons", lex) == "activity"
    assert placed_by_answer("l'équipe le fait pour les gens", lex) == "activity"
    assert placed_by_answer("ça change la vie des gens", lex) == "effect"
    assert placed_by_answer("on le compte", lex) == "output"
    assert placed_by_answer("nnass", lex) == "effect"
    assert placed_by_answer("bof", lex) is None


CHECKS = [
    # (text, durations from the NLU, expected missing parts, public found)
    ("les jeunes trouvent du travail d'ici fin 2026", [], (), "youth"),
    ("les jeunes trouvent du travail", [], ("horizon",), "youth"),
    ("ils trouvent du travail", [6], ("who",), None),
    ("l'emploi des femmes", [], ("change", "direction", "horizon"), "women"),
    ("plus d'emploi", [], ("who", "change", "horizon"), None),
    ("يجد الشباب عملا", [12], (), "youth"),
    ("الشباب غادي يلقاو خدمة", [], ("horizon",), "youth"),
    ("chabab ghadi yl9aw khedma 2027", [], (), "youth"),
    ("l3yalat ky7esso b rashom", [], ("horizon",), "women"),
]


@pytest.mark.parametrize("text,durations,missing,public", CHECKS)
def test_check_effect_finds_the_missing_parts(text, durations, missing, public):
    c = check_effect(text, LEXICON, durations=durations, today=date(2026, 1, 10))
    assert c.missing == missing
    assert c.public == public
    assert c.complete == (not missing)


def test_check_effect_uses_the_nlu_entities_and_the_domain():
    c = check_effect(
        "ils vont mieux",
        LEXICON,
        publics=["women"],
        domains=["health_wellbeing"],
        durations=[6],
        kind="effect",
    )
    assert c.public == "women" and c.domain == "health_wellbeing" and c.change
    assert c.horizon == Horizon(months=6)
    assert check_effect("les jeunes trouvent du travail", LEXICON).domain == "employment_income"
    assert check_effect("les jeunes travaillent plus", LEXICON).direction == "increase"
    assert check_effect("les jeunes trouvent", LEXICON).direction == "implied"


def test_horizons():
    assert find_horizon("d'ici 2026", today=date(2025, 5, 1)) == Horizon(year=2026)
    assert find_horizon("en 2019", today=date(2025, 5, 1)) == Horizon()  # past: not a horizon
    assert find_horizon("dans six mois", durations=[6.0]) == Horizon(months=6)
    assert find_horizon("120 jeunes") == Horizon()
    assert Horizon.parse(Horizon(months=18).as_text()) == Horizon(months=18)
    assert Horizon.parse(Horizon(year=2027).as_text()) == Horizon(year=2027)
    assert Horizon.parse("soon") == Horizon()
    assert level_for(Horizon(months=6)) == "outcome"
    assert level_for(Horizon(months=48)) == "impact"
    assert level_for(Horizon(year=2031), today=date(2026, 1, 1)) == "impact"


@pytest.mark.parametrize(
    "text,public,clause",
    [
        ("Les jeunes trouvent du travail", "youth", "trouvent du travail"),
        ("les jeunes formés trouvent un emploi d'ici 2026", "youth", "formés trouvent un emploi"),
        ("ils trouvent du travail.", None, "trouvent du travail"),
        ("الشباب غادي يلقاو خدمة", "youth", "غادي يلقاو خدمة"),
        ("chabab ghadi yl9aw khedma", "youth", "ghadi yl9aw khedma"),
        ("homa yl9aw khedma", None, "yl9aw khedma"),
        ("trouver un emploi stable", None, "trouver un emploi stable"),
        ("يجد الشباب عملا", "youth", "يجد عملا"),
        ("les jeunes trouvent du travail en fin 2026.", "youth", "trouvent du travail"),
    ],
)
def test_change_clause(text, public, clause):
    assert change_clause(text, LEXICON, public) == clause


def test_template_choice():
    assert choose_template(None, False) == "basic"
    assert choose_template(30, True) == "with_share"
    assert choose_template(40, False) == "with_count"


# -- SMART -----------------------------------------------------------------------------------
def good_indicator(**kw) -> Indicator:
    base = dict(
        label="% de jeunes en emploi 6 mois après",
        definition="emploi, stage ou auto-emploi",
        unit="percent",
        calculation="jeunes en emploi / jeunes formés",
        baseline_value=10,
        baseline_date=date(2026, 1, 1),
        baseline_source="enquête",
        target_value=30,
        target_date=date(2026, 12, 31),
        source="enquête de suivi",
        frequency="semester",
        collector="BASCS",
        disaggregation=["sex", "age_band"],
    )
    base.update(kw)
    return Indicator(**base)


def codes(ind, **kw):
    return [f.code for f in smart_check(ind, today=date(2026, 2, 1), **kw)]


def test_a_complete_indicator_has_no_finding():
    assert codes(good_indicator()) == []


@pytest.mark.parametrize(
    "changes,expected",
    [
        (dict(baseline_value=None, baseline_date=None, baseline_source=None), ["no_baseline"]),
        (
            dict(
                baseline_value=None, baseline_date=None, baseline_source=None, baseline_plan="sondage en mars"
            ),
            [],
        ),
        (dict(target_date=None), ["target_without_date"]),
        (dict(target_value=None, target_date=None), ["no_target"]),
        (dict(unit=None), ["no_unit"]),
        (dict(target_value=5), ["target_not_above_baseline"]),
        (dict(target_value=10), ["target_not_above_baseline"]),
        (dict(disaggregation=[]), ["no_disaggregation"]),
        (dict(calculation=None), ["percent_without_calculation"]),
        (dict(target_value=130), ["percent_out_of_range"]),
        (dict(target_date=date(2025, 12, 1)), ["target_date_before_baseline"]),
        (dict(source=None), ["no_source"]),
        (dict(definition=""), ["no_definition"]),
        (dict(frequency=None, collector=None), ["no_frequency", "no_collector"]),
        (
            dict(baseline_date=None, baseline_source=None),
            ["baseline_without_date", "baseline_without_source"],
        ),
    ],
)
def test_smart_findings_are_specific(changes, expected):
    assert codes(good_indicator(**changes)) == expected


def test_smart_direction_disaggregation_and_dates():
    dec = good_indicator(unit="days", calculation=None, baseline_value=30, target_value=10)
    assert codes(dec, direction="decrease") == []
    assert codes(dec) == ["target_not_above_baseline"]
    assert codes(good_indicator(disaggregation=[]), people_based=False) == []
    yn = good_indicator(unit="yes_no", baseline_value=0, target_value=2, disaggregation=[])
    assert codes(yn) == ["yes_no_not_0_or_1"]
    past = good_indicator(baseline_date=None, baseline_source="x", target_date=date(2025, 6, 1))
    assert "target_date_past" in codes(past)
    # problems come before advice
    sev = [f.severity for f in smart_check(good_indicator(frequency=None, target_date=None))]
    assert sev == sorted(sev, key=lambda s: s != "problem")


# -- progress ----------------------------------------------------------------------------------
def m(period, value, day=1):
    return Measurement(period=period, value=value, recorded_at=datetime(2026, 1, day, tzinfo=timezone.utc))


@pytest.mark.parametrize(
    "period,key",
    [
        ("2026", (2026, 12)),
        ("2026-S1", (2026, 6)),
        ("2026 s2", (2026, 12)),
        ("2026-T2", (2026, 6)),
        ("2026-Q3", (2026, 9)),
        ("2026-11", (2026, 11)),
        ("11/2026", (2026, 11)),
        ("2026-11-30", (2026, 11)),
        ("bientôt", (0, 0)),
        ("2026-13", (0, 0)),
    ],
)
def test_period_keys(period, key):
    assert period_key(period) == key


def test_progress_between_baseline_and_target():
    ind = good_indicator(measurements=[m("2026-S2", 25, 1), m("2026-S1", 15, 2)])
    p = progress(ind)
    assert (p.baseline, p.latest, p.latest_period, p.target) == (10, 25, "2026-S2", 30)
    assert p.percent == 75 and not p.reached and p.n_measurements == 2
    assert progress(good_indicator(measurements=[m("2027", 31)])).reached
    down = progress(good_indicator(baseline_value=30, target_value=10, measurements=[m("2026", 20)]))
    assert down.percent == 50
    worse = progress(good_indicator(measurements=[m("2026", 5)]))
    assert worse.percent == -25 and not worse.reached
    empty = progress(good_indicator())
    assert empty.latest is None and empty.percent is None and empty.n_measurements == 0
    no_base = progress(good_indicator(baseline_value=None, measurements=[m("2026", 31)]))
    assert no_base.percent is None and no_base.reached


@pytest.mark.parametrize(
    "text,end,expected",
    [
        ("2026-03-15", False, date(2026, 3, 15)),
        ("15/03/2026", False, date(2026, 3, 15)),
        ("03/2026", False, date(2026, 3, 1)),
        ("03/2026", True, date(2026, 3, 31)),
        ("2026-02", True, date(2026, 2, 28)),
        ("fin 2026", True, date(2026, 12, 31)),
        ("2025", False, date(2025, 1, 1)),
        ("٢٠٢٦-٠٣-١٥", False, date(2026, 3, 15)),
        ("31/02/2026", False, None),
        ("bientôt", False, None),
        ("13/2026", False, None),
    ],
)
def test_parse_day(text, end, expected):
    from domain.dates import parse_day

    assert parse_day(text, end=end) == expected


def test_add_months():
    from domain.dates import add_months

    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 29), 12) == date(2027, 11, 30)


@pytest.mark.parametrize(
    "text,kind,clue",
    [
        ("40 femmes présentes à au moins 75 % des séances", "output", "leading_count"),
        ("25 شاب يلقاو خدمة", "effect", "change_verb"),  # a change verb wins over the count
        ("au moins 30 % des filles du quartier", "effect", "share"),
        ("30% mn chabab 3ndhom khedma", "effect", "share"),  # a share is not a count
        ("Un festival, 2 000 visiteurs", "output", "counted_inside"),
        ("Les jeunes de 2026", "unknown", None),  # a year is not a count
    ],
)
def test_weak_counting_and_share_clues(text, kind, clue):
    c = classify(text, LEXICON)
    assert c.kind == kind and (clue is None or clue in c.reasons)


def test_weak_clues_yield_to_a_confident_nlu():
    assert classify("40 femmes présentes", LEXICON, probs(0.95), C).kind == "effect"
    assert classify("au moins 30 % des filles", LEXICON, probs(0.05, 0.0), C).kind == "output"
