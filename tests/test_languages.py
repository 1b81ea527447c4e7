"""domain/languages.py: one registry of the four variants, and the modules that read a variant's
fallback order, direction or document language through it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.dashboard.web import browser_lang, page_lang
from bot.i18n import default_catalog, plural_rule
from bot.settings import WhatsAppTemplate
from domain import wording
from domain.commune import Commune
from domain.languages import (
    ALL_LANGS,
    DOCUMENT_LANGS,
    LANG_TAGS,
    VARIANTS,
    Lang,
    document_language,
    fallback,
    is_rtl,
    name_key,
    pick,
    variant,
)
from domain.polls import Question
from exports.doc import Document
from exports.labels import Labels
from exports.poll_results import qlabel
from exports.xlsform import _text as xlsform_text

# every text in all four variants but the one a reader would read first
ONLY = {"fr": "F", "ar": "A", "ary": "D", "ary-Latn": "L"}


def test_the_registry_holds_the_four_variants_in_the_contract_order():
    assert LANG_TAGS == ("fr", "ar", "ary", "ary-Latn") == tuple(VARIANTS)
    assert [lang.value for lang in ALL_LANGS] == list(LANG_TAGS)
    assert [variant(t).script for t in LANG_TAGS] == ["Latn", "Arab", "Arab", "Latn"]
    assert [variant(t).direction for t in LANG_TAGS] == ["ltr", "rtl", "rtl", "ltr"]
    assert [Lang(t).rtl for t in LANG_TAGS] == [False, True, True, False]
    assert set(DOCUMENT_LANGS) == {variant(t).document for t in LANG_TAGS}


def test_every_variant_has_a_name_in_the_catalog_in_every_variant():
    cat = default_catalog()
    for t in LANG_TAGS:
        assert variant(t).name_key in cat and variant(t).words_key in cat
        assert name_key(t) == variant(t).name_key
        names = {cat.text(variant(t).name_key, other) for other in LANG_TAGS}
        assert all(n.strip() for n in names)


def test_a_fallback_order_starts_with_the_variant_and_holds_all_four():
    for t in LANG_TAGS:
        chain = fallback(t)
        assert chain[0] == t and sorted(chain) == sorted(LANG_TAGS)


def test_a_missing_text_comes_from_the_same_script_first_then_the_same_language():
    # the other variant in the same script
    assert [fallback(t)[1] for t in LANG_TAGS] == ["ary-Latn", "ary", "ar", "fr"]
    # then Darija readers get Darija in the other script before the other language
    assert fallback("ary")[2] == "ary-Latn" and fallback("ary-Latn")[2] == "ary"
    assert fallback("fr")[2] == "ar" and fallback("ar")[2] == "fr"


def test_an_unknown_or_no_variant_reads_the_default_order():
    assert fallback(None) == fallback("") == fallback("fr")
    assert fallback("en") == ("en",) + fallback("fr")
    assert variant("en") is variant(None) is VARIANTS["fr"]


def test_pick_walks_the_order_then_takes_any_text():
    for t in LANG_TAGS:
        assert pick(ONLY, t) == ONLY[t]
    assert pick({"ar": "A", "fr": "F"}, "ary") == "A"
    assert pick({"ary-Latn": "L", "fr": "F"}, "ary") == "L"  # Darija before French
    assert pick({"ary": "D", "ar": "A"}, "ary-Latn") == "D"  # Darija before MSA
    assert pick({"ar": "", "fr": "F"}, "ar") == "F"  # an empty text is missing
    assert pick({"en": "E"}, "fr") == "E"
    assert pick({}, "fr") == pick(None, "ar") == ""


def test_document_language_and_direction():
    assert [document_language(t) for t in LANG_TAGS] == ["fr", "ar", "ar", "fr"]
    assert document_language(None) == document_language("en") == "fr"
    assert [is_rtl(t) for t in LANG_TAGS] == [False, True, True, False]
    assert not is_rtl(None) and not is_rtl("en")


@pytest.mark.parametrize("tag", LANG_TAGS)
def test_exports_and_pages_follow_the_document_language(tag):
    doc = document_language(tag)
    assert Labels(tag).lang == doc and Labels(tag).rtl == (doc == "ar")
    assert Document(title="t", lang=tag).rtl == is_rtl(tag)
    commune = Commune.model_validate(
        {"id": "x", "province": "p", "region": "r", "names": {"fr": "Aït Baha", "ar": "آيت باها"}}
    )
    assert commune.name(tag) == ("آيت باها" if doc == "ar" else "Aït Baha")
    template = WhatsAppTemplate(name="t")
    assert template.language_code(tag) == doc


def test_the_dashboard_page_language():
    for tag in LANG_TAGS:
        assert page_lang(tag) == document_language(tag)
    for accept, lang in [("ar-MA,ar;q=0.9", "ar"), ("fr-FR,fr;q=0.8", "fr"), ("en-US", "fr"), ("", "fr")]:
        assert browser_lang(SimpleNamespace(headers={"accept-language": accept})) == lang


def test_plural_rules_follow_the_registry():
    # Darija agrees like Arabic (ar_MA): 3 is "few" in both, as in MSA; French has no "few"
    assert plural_rule("ary")(3) == plural_rule("ary-Latn")(3) == plural_rule("ar")(3) == "few"
    assert plural_rule("fr")(3) == "other"


MISSING_ARY = {"fr": "F", "ar": "", "ary": "", "ary-Latn": "L"}
MISSING_LATN = {"fr": "", "ar": "A", "ary": "D", "ary-Latn": ""}


def test_every_reader_of_a_text_by_variant_uses_the_one_order():
    # the poll results, the XLSForm writer, the poll model and template forms took different third
    # steps for Darija: a Darija reader now gets Darija in the other script before the other language
    q = Question.model_validate({"id": "q1", "kind": "text", "text": MISSING_ARY, "short": MISSING_ARY})
    assert q.text_in("ary") == q.short_in("ary") == "L"
    assert qlabel({"id": "q1", "text": MISSING_ARY}, "ary") == "L"
    assert xlsform_text(MISSING_ARY, "ary") == "L"
    assert qlabel({"id": "q1", "text": MISSING_LATN}, "ary-Latn") == "D"
    assert xlsform_text(MISSING_LATN, "fr") == "A"
    forms = wording.forms({t: {"": v} for t, v in MISSING_ARY.items() if v})
    assert wording.pick_form(forms, "ary") == "L"
