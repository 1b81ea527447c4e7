"""Plurals and word forms in the catalogs and the knowledge base (domain/wording.py, bot/i18n.py):
number agreement from CLDR's rules (Babel), publics in the case a sentence needs."""

from __future__ import annotations

import pytest

from bot.i18n import (
    Catalog,
    check_entries,
    default_catalog,
    load_entries,
    plural_categories,
    plural_rule,
)
from domain import wording
from domain.text import FSI, PDI
from knowledge.loader import load_knowledge

CAT = default_catalog()
CLEAN = {ord(FSI): None, ord(PDI): None, 0x200F: None}


def text(key: str, lang: str, **params) -> str:
    return CAT.text(key, lang, **params).translate(CLEAN)


def test_cldr_categories_of_each_variant():
    assert plural_categories("fr") == ("one", "many", "other")
    for lang in ("ar", "ary", "ary-Latn"):  # Darija agrees like Arabic ("تلت شهور", "12 شهر")
        assert plural_categories(lang) == ("zero", "one", "two", "few", "many", "other")
    ar = plural_rule("ar")
    assert [ar(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 103, 111)] == [
        "zero",
        "one",
        "two",
        "few",
        "few",
        "many",
        "many",
        "other",
        "few",
        "many",
    ]
    assert plural_rule("fr")(0) == "one" and plural_rule("fr")(2) == "other"


def test_every_plural_of_the_catalogs_covers_its_language():
    entries = load_entries()
    plural_keys = {k for k, v in entries.items() if any(wording.plurals(t) for t in v.values())}
    assert len(plural_keys) >= 15, sorted(plural_keys)
    for key in plural_keys:
        for lang, template in entries[key].items():
            blocks = wording.plurals(template)
            assert blocks, f"{key} [{lang}] is not a plural"
            for block in blocks:
                assert set(plural_categories(lang)) <= block.selectors(), (key, lang, block.name)
    assert check_entries(entries) == []


def test_a_plural_missing_a_category_or_a_variant_is_caught(tmp_path):
    (tmp_path / "x.yml").write_text(
        "a:\n  b:\n"
        "    fr: '{n, plural, one {# mois} other {# mois}}'\n"  # no 'many'
        "    ar: '{n, plural, one {شهر} two {شهران} few {# أشهر} many {# شهرا} other {# شهر}}'\n"
        "    ary: '{n} شهور'\n"  # not a plural at all
        "    ary-Latn: '{n, plural, zero {walo} one {chher} two {chehrin} few {# chhor} "
        "many {# chher} other {# chher} many {x}}'\n",
        encoding="utf-8",
    )
    problems = "\n".join(check_entries(load_entries(tmp_path)))
    assert "a.b [fr]: plural of 'n' lacks many" in problems
    assert "a.b [ar]: plural of 'n' lacks zero" in problems
    assert "a.b [ary]: not a plural: n" in problems


@pytest.mark.parametrize(
    "bad", ["{n, plural, one {x}}", "{n, plural, other {x}", "{n, plural}", "{who:}", "{ }", "x}"]
)
def test_a_template_that_does_not_parse_is_refused(bad):
    with pytest.raises(wording.TemplateError):
        wording.parse(bad)
    problems = check_entries({"k": {"fr": bad, "ar": "س", "ary": "س", "ary-Latn": "s"}})
    assert problems and "k:" in problems[0]


@pytest.mark.parametrize(
    "lang,n,want",
    [
        # the errors seen in issue 12 and what they are now
        ("ar", 12, "في غضون 12 شهراً"),
        ("ar", 6, "في غضون 6 أشهر"),
        ("ar", 2, "في غضون شهرين"),
        ("ar", 1, "في غضون شهر واحد"),
        ("ary", 6, "من هنا 6 شهور"),
        ("ary", 12, "من هنا 12 شهر"),
        ("ary-Latn", 6, "Men hna 6 chhor"),
        ("fr", 12, "Dans 12 mois"),
        ("fr", 1, "Dans 1 mois"),
    ],
)
def test_months_agree_with_their_number(lang, n, want):
    assert text("effects.horizon_months", lang, n=n) == want
    assert text("indicators.in_months", lang, n=n) == want


def test_counts_agree_with_their_number():
    assert text("indicators.suggest_intro", "ar", n=2).endswith("هذان مؤشران مناسبان:")
    assert text("indicators.suggest_intro", "ar", n=3).endswith("هذه 3 مؤشرات مناسبة:")
    assert (
        text("indicators.suggest_intro", "fr", n=1)
        == "Pour savoir s'il se produit, voici 1 indicateur qui convient :"
    )
    assert text("polls.official.stories_line", "ar", label="x", n=4) == "• x: 4 قصص"
    assert text("polls.official.stories_line", "ar", label="x", n=12) == "• x: 12 قصة"
    summary = text("polls.official.summary", "fr", id=2, wave="départ", n=1, done=1, refusals=1)
    assert "1 personne a répondu" in summary and "1 personne a refusé" in summary
    assert "aucun refus" in text("polls.official.summary", "fr", id=2, wave="x", n=3, done=3, refusals=0)
    assert "ورفض شخص واحد" in text("polls.official.summary", "ar", id=2, wave="x", n=5, done=4, refusals=1)
    assert text("indicators.smart_short", "fr", n=2) == "⚠️ 2 points à améliorer"
    fr = text("myprojects.delete_confirm", "fr", title="T", effects=0, indicators=1)
    assert "(aucun effet, 1 indicateur)" in fr
    assert "(أثران، 11 مؤشراً)" in text("myprojects.delete_confirm", "ar", title="T", effects=2, indicators=11)


def test_the_number_of_a_plural_is_isolated_in_arabic_script():
    out = CAT.text("effects.horizon_months", "ar", n=12)
    assert f"{FSI}12{PDI}" in out
    assert FSI not in CAT.text("effects.horizon_months", "fr", n=12)


def test_an_exact_value_branch_comes_before_the_category():
    t = "{n, plural, =0 {aucun} one {# seul} many {# de} other {#}}"
    ar = "{n, plural, zero {#} one {#} two {#} few {#} many {#} other {#}}"
    cat = Catalog({"k": {"fr": t, "ar": ar, "ary": ar, "ary-Latn": ar}})
    assert cat.text("k", "fr", n=0) == "aucun"
    assert cat.text("k", "fr", n=1) == "1 seul"
    assert cat.text("k", "fr", n=1.5) == "1.5 seul"  # CLDR: French "one" is i = 0..1
    assert cat.text("k", "fr", n=1_000_000) == "1000000 de"
    assert cat.text("k", "fr", n="7") == "7"  # a number given as text still selects


def test_a_msg_read_back_from_json_still_renders():
    """Replies wait in the outbox as JSON: a nested message comes back as a plain dict."""
    nested = {"key": "role.official", "params": {}}
    fr = CAT.text("onboarding.welcome_programme", "fr", role=nested)
    assert CAT.text("role.official", "fr") in fr


# -- publics in the right case ------------------------------------------------------------------

KB = load_knowledge()


def test_every_public_names_itself_in_every_variant_and_case():
    for public in KB.publics:
        forms = public.who_forms()
        for lang in ("fr", "ar", "ary", "ary-Latn"):
            assert wording.pick_form(forms, lang), (public.id, lang)
            assert wording.pick_form(forms, lang, "gen"), (public.id, lang)
    migrants = KB.public("migrants").who_forms()
    assert wording.pick_form(migrants, "ar") == "المهاجرون"
    assert wording.pick_form(migrants, "ar", "gen") == "المهاجرين"
    assert wording.pick_form(migrants, "ary", "gen") == "المهاجرين"


def test_arabic_sentences_put_a_public_after_a_preposition_in_the_genitive():
    migrants = KB.public("migrants").who_forms()
    for key in ("effects.ask", "effects.ask_after_activity", "effects.coach.activity"):
        out = text(key, "ar", who=migrants)
        assert "لدى المهاجرين" in out and "المهاجرون" not in out, out
    assert "لفائدة المهاجرين" in text("effects.examples_intro", "ar", who=migrants)
    # as the subject of a verb, the nominative stays
    assert "سيفعله المهاجرون" in text("effects.ask_change", "ar", who=migrants)
    assert "pour les personnes migrantes" in text("effects.ask", "fr", who=migrants)


def test_effect_proposals_agree_in_number_and_case():
    migrants = KB.public("migrants").who_forms()
    t = KB.templates
    out = t.propose(
        "ar",
        "with_count",
        "in_months",
        {"months": 12},
        plural=plural_rule("ar"),
        who=migrants,
        change="يحصلون على تغطية صحية",
        target="30",
    )
    assert out == "في غضون 12 شهراً، 30 على الأقل من بين المهاجرين يحصلون على تغطية صحية."
    out = t.propose(
        "ary",
        "basic",
        "in_months",
        {"months": 6},
        plural=plural_rule("ary"),
        who=KB.public("youth").who_forms(),
        change="لقاو خدمة",
    )
    assert out == "من هنا 6 شهور، الشباب لقاو خدمة."
    out = t.propose(
        "fr",
        "with_share",
        "after_activities",
        {"months": 1},
        plural=plural_rule("fr"),
        who=KB.public("women").who_forms(),
        change="ont un revenu",
        target="40",
    )
    assert out == "1 mois après la fin des activités, au moins 40 % parmi les femmes ont un revenu."


def test_knowledge_plurals_cover_their_languages():
    horizons = [h.text for h in KB.templates.horizons] + [e.text for e in KB.templates.effects]
    found = 0
    for t in horizons:
        for lang in ("fr", "ar", "ary", "ary-Latn"):
            template = t.get(lang)
            found += len(wording.plurals(template))
            assert not wording.plural_problems(template, plural_categories(lang)), (template, lang)
    assert found >= 8  # in_months and after_activities, in four variants


@pytest.mark.parametrize(
    "lang,statement",
    [
        ("ary", "الشباب كيقضيو وقتهم فالتيران"),
        ("ary-Latn", "chabab kay9dio wa9thom f terrain"),
        ("fr", "les jeunes passent leur temps au terrain"),
        ("ar", "الشباب يقضون وقتهم في الملعب"),
    ],
)
def test_a_proposal_never_names_its_public_twice(sqlite_uow_factory, lang, statement):
    """Seen in issue 12: "الشباب الشباب كيقضيو" when the change, asked again, named its public."""
    from tests.dialogues.helpers import registered_chat
    from tests.effects.fakes import make_project

    uf = sqlite_uow_factory
    pid = make_project(uf)
    chat = registered_chat(uf, lang=lang)
    chat.press("menu:effects")
    chat.press(f"prj:{pid}")
    r = chat.say(statement)
    for _ in range(6):  # the change asked again (with its subject), the direction, the horizon
        buttons = chat.buttons(r)
        if "eff:ok" in buttons:
            break
        pick = [b for b in buttons if b.startswith(("hz:", "dir:")) or b == "clr:effect"]
        r = chat.press(pick[0]) if pick else chat.say(statement)  # (the coach may ask what
        #                                                            kind of statement it is)
    proposal = chat.state()["data"]
    youth = wording.pick_form(KB.public("youth").who_forms(), lang)
    text = chat.text(r)
    assert "eff:ok" in chat.buttons(r), text
    assert text.count(youth) == 1, text
    assert proposal.get("change") and youth not in proposal["change"]
