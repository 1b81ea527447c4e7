"""Effect templates render in every variant; the coaching lexicon of knowledge/coaching.yml, as the
bot reads it (bot.handlers._coaching.lexicon_of: the four variants merged), spots activities and outputs."""

from __future__ import annotations

import pytest

from domain.effects import classify
from domain.knowledge import EffectTemplate, placeholders
from domain.languages import LANG_TAGS
from knowledge.loader import load_knowledge

from bot.handlers._coaching import lexicon_of


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.fixture(scope="module")
def lex(kb):
    return lexicon_of(kb)


def test_propose_a_rewrite_in_french(kb):
    text = kb.templates.propose(
        "fr",
        "with_share",
        "end_of_year",
        {"year": 2026},
        who="les 120 jeunes formés",
        change="ont un emploi, un stage ou une activité",
        target="30",
    )
    assert (
        text
        == "D'ici fin 2026, au moins 30 % parmi les 120 jeunes formés ont un emploi, un stage ou une activité."
    )


def test_every_template_and_horizon_renders_in_every_variant(kb):
    values = {"who": "W", "change": "C", "target": "7", "place": "Belfaa"}
    for tpl in kb.templates.effects:
        for hz in kb.templates.horizons:
            for tag in LANG_TAGS:
                out = kb.templates.propose(
                    tag,
                    tpl.id,
                    hz.id,
                    {"year": 2026, "months": 6, "date": "06/2026"},
                    **{k: v for k, v in values.items() if k in tpl.fields},
                )
                assert "{" not in out and "W" in out and "C" in out, (tpl.id, hz.id, tag)


def test_missing_value_is_an_error(kb):
    with pytest.raises(KeyError):
        kb.templates.effect("basic").render("fr", who="x", horizon="y")


def test_template_must_name_who_and_change():
    with pytest.raises(ValueError, match="who"):
        EffectTemplate.model_validate(
            {
                "id": "bad",
                "text": {
                    "fr": "{horizon} {change}",
                    "ar": "{horizon} {change}",
                    "ary": "{horizon} {change}",
                    "ary-Latn": "{horizon} {change}",
                },
            }
        )


def test_placeholders_helper():
    assert placeholders("D'ici {horizon}, {who} {change}.") == {"horizon", "who", "change"}


def test_directions_cover_the_five_ways_to_change(kb):
    assert {d.id for d in kb.templates.directions} == {"increase", "decrease", "start", "stop", "keep"}


@pytest.mark.parametrize(
    "lang, text, verb",
    [
        ("fr", "Organiser 10 ateliers de recherche d'emploi", "organiser"),
        ("fr", "Sensibiliser les parents à la scolarisation des filles", "sensibiliser"),
        ("fr", "Former 25 enseignants", "former"),
        ("fr", "Distribuer 30 fauteuils roulants", "distribuer"),
        ("fr", "Construire une rampe d'accès", "construire"),
        ("ar", "تنظيم 10 ورشات للبحث عن الشغل", "organiser"),
        ("ar", "توزيع 200 حقيبة مدرسية", "distribuer"),
        ("ary", "غادي نديرو 10 ديال الورشات", "organiser"),
        ("ary", "نفرقو القفف على العائلات", "distribuer"),
        ("ary", "غادي نسجلو العيالات فالتكوين ديال الخياطة", "former"),
        ("ar", "وبالتحسيس نغير العقليات", "sensibiliser"),
        ("ary-Latn", "ghadi ndiro 10 dyal les ateliers", "organiser"),
        ("ary-Latn", "ghadi nkawno chabab f l informatique", "former"),
    ],
)
def test_activity_verbs_are_spotted(lex, lang, text, verb):
    assert verb in lex.activity_verbs_in(text)


@pytest.mark.parametrize(
    "lang, text",
    [
        ("fr", "120 jeunes formés"),
        ("fr", "40 femmes inscrites au cours"),
        ("fr", "3 séances tenues"),
        ("fr", "200 kits distribués"),
        ("fr", "une rampe construite"),
        ("ar", "120 شابا تم تكوينهم"),
        ("ar", "تم بناء ممر منحدر"),
        ("ary", "120 شاب تكونو"),
        ("ary", "200 قفة تفرقات"),
        ("ary-Latn", "120 chab tkawno"),
        ("ary-Latn", "rampe tbnat"),
    ],
)
def test_outputs_are_spotted(lex, lang, text):
    assert lex.output_pattern_in(text) is not None


@pytest.mark.parametrize(
    "lang, text",
    [
        ("fr", "Les jeunes formés trouvent un emploi"),
        ("fr", "Les femmes décident elles-mêmes de l'usage de leur revenu"),
        ("ar", "يجد الشباب المستفيدون عملا"),
        ("ary", "الشباب غادي يلقاو خدمة"),
        ("ary-Latn", "chabab ghadi yl9aw khedma"),
    ],
)
def test_effects_are_neither_activity_nor_output_and_have_a_change_verb(lex, lang, text):
    assert lex.activity_verbs_in(text) == []
    assert lex.output_pattern_in(text) is None
    assert lex.change_verb_span(text) is not None


def test_arabic_forms_do_not_match_inside_other_words(lex):
    # "وضعية" (situation) must not look like an activity, nor "الجمعيات" (associations).
    assert lex.activity_verbs_in("الناس في وضعية إعاقة والجمعيات") == []


def test_every_example_ladder_is_classified_consistently(kb, lex):
    """The teaching ladders double as fixtures: the rules are never sure that the effect rung is
    an activity or an output, and they find the activity rung's verb. (The merged lexicon may see
    a counted output in an effect, "30 % des jeunes formés": Arabizi takes French participles;
    the change it names outweighs it.)"""
    for ex in kb.effect_examples:
        for tag in LANG_TAGS:
            c = classify(ex.effect.get(tag), lex)
            assert c.kind == "effect" or not c.sure, (ex.id, tag, c)
            assert lex.activity_verbs_in(ex.activity.get(tag)), (ex.id, tag)


@pytest.mark.parametrize(
    "lang, text, direction",
    [
        ("fr", "Les femmes décident plus souvent de l'usage de leurs revenus", "increase"),
        ("fr", "Les dépôts sauvages diminuent", "decrease"),
        ("fr", "Les jeunes commencent à chercher un stage", "start"),
        ("fr", "Les filles n'ont plus peur de rentrer le soir", "stop"),
        ("ar", "تتراجع المطارح العشوائية", "decrease"),
        ("ary", "العيالات ولاو كيقراو الوراق بوحدهم", "start"),
        ("ary", "الضغط نقص عليهم", "decrease"),
        ("ary-Latn", "chabab ba9yin khddamin mn b3d 12 chher", "keep"),
        ("ary-Latn", "lbi3a katzid", "increase"),
    ],
)
def test_direction_of_change_is_found(lex, lang, text, direction):
    assert lex.direction_in(text) == direction


def test_no_direction_in_a_flat_statement(lex):
    assert lex.direction_in("Les jeunes et l'emploi") is None


def test_actor_subject(lex):
    assert lex.has_actor_subject("La commune va organiser 10 ateliers")
    assert lex.has_actor_subject("7na ghadi ndiro 10 dyal les ateliers")
    assert not lex.has_actor_subject("Les jeunes trouvent un emploi")
    # the means of a change ("grâce à", "بفضل") are not its subject
    assert not lex.has_actor_subject("Les jeunes trouvent un emploi grâce à la commune")
