"""The fallback parser: the safety net when Rasa is down (no Rasa needed here)."""

from collections import Counter

import pytest

from domain.nlu import NLU
from nlu.fallback import FallbackNLU


@pytest.fixture(scope="module")
def fb():
    return FallbackNLU()


def test_implements_the_port(fb):
    assert isinstance(fb, NLU)


CASES = {
    "help": [
        "aidez-moi svp",
        "je ne comprends pas la question",
        "عافاك عاوني",
        "ما فهمتش",
        "wach momkin t3awni?",
        "mafhmtch 3afak",
        "ساعدني من فضلك",
        "j'ai besoin d'aide",
    ],
    "back": ["retour", "revenir en arrière svp", "رجعني اللور", "rje3 llour", "السؤال السابق"],
    "skip": ["je passe", "question suivante", "دوز", "douzha 3afak", "تخطي هذا السؤال"],
    "cancel": ["annuler", "laisse tomber", "بلاش", "7bes", "إلغاء العملية"],
    "menu": ["menu principal", "المونيو", "lmenu 3afak", "القائمة الرئيسية"],
    "affirm": ["oui", "d'accord", "واخا", "wakha", "نعم موافق", "iyeh", "ok"],
    "deny": ["non", "pas du tout", "لا", "la2", "لا ماشي هادشي", "lla"],
    "dont_know": ["je ne sais pas", "ماعرفتش", "ma3reftch", "لا أدري", "aucune idée"],
    "change_language": [
        "en arabe s'il vous plaît",
        "بدل اللغة",
        "hder m3aya b darija",
        "changer de langue",
        "بالعربية من فضلك",
    ],
    "thanks": ["merci beaucoup", "شكرا بزاف", "chokran", "شكرا جزيلا"],
    "greet": ["bonjour", "السلام عليكم", "salam", "سلام لاباس"],
    "goodbye": ["au revoir", "بسلامة", "bslama", "مع السلامة"],
    "restart": ["recommencer", "عاود من اللول", "3awd mn lowl", "ابدأ من جديد"],
    "describe_activity": [
        "La commune va organiser 10 ateliers de recherche d'emploi pour les jeunes",
        "ghadi ndiro 10 dyal les ateliers l chabab",
        "غادي ننظمو ورشات ديال التكوين للعيالات",
        "ستقوم الجماعة بتنظيم حملة تحسيسية حول الصحة",
    ],
    "describe_output": [
        "120 jeunes ont été formés",
        "تم تكوين 40 من النساء",
        "درنا عشرين ديال الورشات",
        "fr9na 200 dyal lmahafid 3la drari sghar",
    ],
    "describe_effect": [
        "les jeunes trouvent un emploi",
        "chabab ghadi yl9aw khedma",
        "العيالات ولاو واثقين فراسهم",
        "تحسنت صحة المسنين بفضل المشروع",
    ],
}


@pytest.mark.parametrize("intent, text", [(i, t) for i, ts in CASES.items() for t in ts])
def test_intents_in_the_four_variants(fb, intent, text):
    assert fb.parse(text).intent.name == intent


def test_entities(fb):
    u = fb.parse("D'ici 6 mois, 30 % des 120 jeunes formés ont un emploi")
    assert u.engine == "fallback"
    got = {(e.entity, e.value) for e in u.entities}
    assert got == {
        ("duration", 6.0),
        ("percent", 30.0),
        ("number", 120.0),
        ("public", "youth"),
        ("domain", "employment_income"),
    }
    text = "للشباب فالحومة"
    u = fb.parse(text)
    assert [(e.entity, e.value, text[e.start : e.end]) for e in u.entities] == [
        ("public", "youth", "للشباب"),
        ("domain", "living_environment", "فالحومة"),
    ]


def test_bad_input_never_raises(fb):
    for text in ["", "🙂", "?!", None, "x" * 5000, "\x00\x01", "ـــ"]:
        u = fb.parse(text)  # type: ignore[arg-type]
        assert u.intent.name
    assert fb.parse("🙂").engine == "none"
    assert fb.parse("🙂").intent.name == "nlu_fallback"


def test_deterministic(fb):
    t = "les femmes participent davantage à la vie locale"
    assert fb.parse(t) == FallbackNLU().parse(t)


def test_heldout_accuracy(fb, heldout):
    """The safety net keeps the contract's intent bar on the held-out split."""
    n, ok = Counter(), Counter()
    for row in heldout:
        n[row["language"]] += 1
        ok[row["language"]] += fb.parse(row["text"]).intent.name == row["intent"]
    acc = {k: ok[k] / n[k] for k in n}
    assert all(v >= 0.90 for v in acc.values()), acc


def test_the_warm_up_builds_the_fallback_classifier_in_the_background(monkeypatch):
    """Rasa may fail at any moment; the first text the fallback parser then classifies must not
    wait for its classifier to be trained (seconds): the warm-up builds it, without holding up
    the start."""
    import time

    from nlu import fallback
    from nlu.service import ResilientNLU

    monkeypatch.setattr(fallback, "_NB_SHARED", None)
    nlu = ResilientNLU(None, level_model=None)
    nlu.warm_up()
    deadline = time.monotonic() + 120
    while fallback._NB_SHARED is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fallback._NB_SHARED is not None
