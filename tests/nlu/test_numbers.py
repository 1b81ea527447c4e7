"""Numbers, percentages and durations in the four variants (table-driven)."""

import pytest

from nlu.numbers import extract

CASES = [
    # text, [(entity, value, surface)]
    ("120 jeunes", [("number", 120, "120")]),
    ("١٢٠ شاب", [("number", 120, "١٢٠")]),
    ("۴۵ نفر", [("number", 45, "۴۵")]),
    ("2,5 tonnes", [("number", 2.5, "2,5")]),
    ("vingt", [("number", 20, "vingt")]),
    ("vingt-et-un ateliers", [("number", 21, "vingt-et-un")]),
    ("quatre-vingt-dix", [("number", 90, "quatre-vingt-dix")]),
    ("soixante-dix-sept", [("number", 77, "soixante-dix-sept")]),
    ("deux mille trois cents", [("number", 2300, "deux mille trois cents")]),
    ("un atelier", []),  # an article, not a number
    ("عشرين", [("number", 20, "عشرين")]),
    ("خمسة وعشرين", [("number", 25, "خمسة وعشرين")]),
    ("ثلاثة آلاف", [("number", 3000, "ثلاثة آلاف")]),
    ("مية وعشرين", [("number", 120, "مية وعشرين")]),
    ("مائتين مستفيد", [("number", 200, "مائتين")]),
    ("ثلاثمائة وعشرون", [("number", 320, "ثلاثمائة وعشرون")]),
    ("أحد عشر", [("number", 11, "أحد عشر")]),
    ("اثنا عشر", [("number", 12, "اثنا عشر")]),
    ("أحد المستفيدين", []),  # "one of", not a number
    ("جوج ديال الورشات", [("number", 2, "جوج")]),
    ("ميا وخمسين", [("number", 150, "ميا وخمسين")]),
    ("تلاتين", [("number", 30, "تلاتين")]),
    ("3echrin", [("number", 20, "3echrin")]),
    ("3chrin drari", [("number", 20, "3chrin")]),
    ("khmsa w 3chrin", [("number", 25, "khmsa w 3chrin")]),
    ("wahd w tlatin", [("number", 31, "wahd w tlatin")]),
    ("jouj", [("number", 2, "jouj")]),
    ("3afak", []),  # Arabizi letter, not a number
    ("30 %", [("percent", 30, "30 %")]),
    ("30%", [("percent", 30, "30%")]),
    ("trente pour cent", [("percent", 30, "trente pour cent")]),
    ("٣٠ في المائة", [("percent", 30, "٣٠ في المائة")]),
    ("خمسين في المئة", [("percent", 50, "خمسين في المئة")]),
    ("40 فالمية", [("percent", 40, "40 فالمية")]),
    ("30 f lmya", [("percent", 30, "30 f lmya")]),
    ("sb3in f lmia", [("percent", 70, "sb3in f lmia")]),
    ("6 mois", [("duration", 6, "6 mois")]),
    ("six mois", [("duration", 6, "six mois")]),
    ("un an", [("duration", 12, "un an")]),
    ("2 ans", [("duration", 24, "2 ans")]),
    ("ستة أشهر", [("duration", 6, "ستة أشهر")]),
    ("سنتين", [("duration", 24, "سنتين")]),
    ("عامين", [("duration", 24, "عامين")]),
    ("3 سنوات", [("duration", 36, "3 سنوات")]),
    ("تلاتة شهور", [("duration", 3, "تلاتة شهور")]),
    ("jouj chhor", [("duration", 2, "jouj chhor")]),
    ("3am", [("duration", 12, "3am")]),
    ("khamsa snin", [("duration", 60, "khamsa snin")]),
    ("had l3am", []),  # "this year" is a date, not a duration
    ("jeunes de 18 à 30 ans", [("number", 18, "18"), ("number", 30, "30")]),  # an age range
]


@pytest.mark.parametrize("text, expected", CASES, ids=[c[0] for c in CASES])
def test_quantities(text, expected):
    got = [(q.entity, q.value, text[q.start : q.end]) for q in extract(text)]
    assert got == [(e, float(v), s) for e, v, s in expected]


def test_quantities_inside_a_sentence_keep_their_offsets():
    text = "D'ici 2 ans, 30 % des 120 jeunes formés ont un emploi"
    got = [(q.entity, q.value, text[q.start : q.end]) for q in extract(text)]
    assert got == [("duration", 24.0, "2 ans"), ("percent", 30.0, "30 %"), ("number", 120.0, "120")]


@pytest.mark.parametrize(
    "text, kind, value",
    [
        ("au moins 1500", "at_least", 1500),
        ("pas moins de 30", "at_least", 30),
        ("moins de 10 %", "at_most", 10),
        ("machi ktar men 5", "at_most", 5),
        ("3la l2a9al 50%", "at_least", 50),
        ("على الأقل 1500", "at_least", 1500),
        ("أقل من 5٪", "at_most", 5),
        ("environ 30", "about", 30),
        ("حوالي 30 شاب", "about", 30),
        ("ta9riban 40 f lmya", "about", 40),
        ("30 au moins", "at_least", 30),
        ("une trentaine", "about", 30),
        ("deux centaines de jeunes", "about", 200),
    ],
)
def test_qualifiers_around_numbers(text, kind, value):
    found = extract(text)
    assert [q.value for q in found if q.entity == "qualifier"] == [kind]
    assert [q.value for q in found if q.entity in ("number", "percent")] == [value]


@pytest.mark.parametrize(
    "text, value", [("1 500 jeunes", 1500), ("2 000 000", 2_000_000), ("خلال 12 شهرا", None)]
)
def test_thousands_written_with_spaces(text, value):
    assert [q.value for q in extract(text) if q.entity == "number"] == ([value] if value else [])


FRACTIONS = [
    # a share of people, read as a percent
    ("la moitié", [("percent", 50, "la moitié")]),
    ("nos", [("percent", 50, "nos")]),
    ("ness dyal l3yalat", [("percent", 50, "ness")]),
    ("النصف", [("percent", 50, "النصف")]),
    ("الثلث", [("percent", 33.3, "الثلث")]),
    ("ثلثي المستفيدات", [("percent", 66.7, "ثلثي")]),
    ("deux tiers", [("percent", 66.7, "deux tiers")]),
    ("trois quarts des femmes", [("percent", 75, "trois quarts")]),
    ("tlt rbo3", [("percent", 75, "tlt rbo3")]),
    ("ثلاثة أرباع", [("percent", 75, "ثلاثة أرباع")]),
    ("rob3", [("percent", 25, "rob3")]),
    # before a unit, a duration; after one, half of it added
    ("nos 3am", [("duration", 6, "nos 3am")]),
    ("نصف سنة", [("duration", 6, "نصف سنة")]),
    ("3am w nos", [("duration", 18, "3am w nos")]),
    ("عام ونصف", [("duration", 18, "عام ونصف")]),
    ("2 ans et demi", [("duration", 30, "2 ans et demi")]),
    # French "nos" is "our"; "tlt" alone stays three
    ("nos jeunes", []),
    ("nos bénéficiaires ont un emploi", []),
    ("tlt", [("number", 3, "tlt")]),
]


@pytest.mark.parametrize("text, expected", FRACTIONS, ids=[c[0] for c in FRACTIONS])
def test_fractions_in_words(text, expected):
    got = [(q.entity, q.value, text[q.start : q.end]) for q in extract(text) if q.entity != "qualifier"]
    assert got == [(e, float(v), s) for e, v, s in expected]


def test_a_qualifier_before_a_fraction():
    kinds = [(q.entity, q.value) for q in extract("au moins la moitié des jeunes")]
    assert kinds == [("qualifier", "at_least"), ("percent", 50.0)]
