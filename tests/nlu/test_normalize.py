import pytest

from nlu.normalize import has_letters_or_digits, map_span, normalize, normalize_with_map
from nlu.trainer import normalize_example


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("أحمد إلى آخر ٱلبيت", "احمد الي اخر البيت"),  # alef variants, alef maqsura
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("فارسی", "فارسي"),  # Farsi yeh
        ("المدرسة الجميلة", "المدرسه الجميله"),  # taa marbuta
        ("مُحَمَّدٌ", "محمد"),  # harakat, shadda, tanwin
        ("شــــكرا", "شكرا"),  # tatweel
        ("شكرااااا بزااااف", "شكرا بزاف"),  # elongation
        ("merciiiii", "merci"),
        ("bzzaf", "bzzaf"),  # a double letter is kept
        ("٣٠ شاب و۱۲ امرأة", "30 شاب و12 امراه"),  # Arabic-Indic and Persian digits
        ("Élèves  FORMÉS   à l’école", "eleves formes a l'ecole"),
        ("واش؟ نعم، طيب؛", "واش? نعم, طيب;"),
        ("  ", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_mapping_points_back_to_the_original():
    raw = "الشـــباب   ٣٠ مُتَطَوِّع"
    norm, mapping = normalize_with_map(raw)
    i = norm.index("30")
    a, b = map_span(mapping, i, i + 2)
    assert raw[a:b] == "٣٠"
    j = norm.index("متطوع")
    a, b = map_span(mapping, j, j + len("متطوع"))
    assert raw[a:b] == "مُتَطَوِّع"


def test_normalising_twice_changes_nothing():
    for raw in ["Les jeunes FORMÉS", "الشَّبابُ غادي يلقاو خدمة", "3afaaaak wach momkin"]:
        assert normalize(normalize(raw)) == normalize(raw)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", False),
        ("   ", False),
        ("🙂🙂", False),
        ("?!...", False),
        ("👍 !", False),
        ("ok", True),
        ("3", True),
        ("١", True),
        ("شكرا", True),
    ],
)
def test_has_letters_or_digits(text, expected):
    assert has_letters_or_digits(text) is expected


def test_training_examples_are_normalised_like_messages_and_keep_annotations():
    line = 'تم تكوين ٣٠ من [الشَّباب]{"entity": "public", "value": "youth"} فـــي الحي'
    out = normalize_example(line)
    assert out == 'تم تكوين 30 من [الشباب]{"entity": "public", "value": "youth"} في الحي'
    plain = out.replace('[الشباب]{"entity": "public", "value": "youth"}', "الشباب")
    assert plain == normalize("تم تكوين ٣٠ من الشَّباب فـــي الحي")
