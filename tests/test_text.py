"""domain/text.py: the one digit table, the normalisation and the bidirectional controls, and the
places that read text through them (Persian digits included)."""

from __future__ import annotations

from domain.effects import plain
from domain.polls import Question
from domain.text import (
    FSI,
    PDI,
    RLM,
    ascii_digits,
    ascii_slug,
    direction,
    fold,
    isolate,
    without_bidi_controls,
    without_marks,
)
from nlu.normalize import normalize


def test_arabic_indic_and_persian_digits_read_as_ascii():
    assert ascii_digits("٣٠ ۳۰ 30 ٢٠٢٦") == "30 30 30 2026"


def test_every_reader_of_digits_uses_the_same_table():
    assert plain("٣٠ ۳۰") == "30 30"  # effects' statements: Persian digits were left as they were
    assert fold("۳۰") == fold("٣٠") == "30"
    assert "30" in normalize("۳۰ ٪")


def test_bidi_controls_are_removed():
    assert without_bidi_controls(f"{RLM}{FSI}2026-S1{PDI} \u200e\u202b") == "2026-S1 "


def test_fold_ignores_case_accents_arabic_variants_elongation_and_punctuation():
    assert fold("  Mérciiii !! ") == fold("merci") == "merci"
    assert fold("مدرسة") == fold("مدرسه") and fold("إلى") == fold("الي")
    assert fold("شكراااا") == fold("شكرا")
    assert without_marks("عَمَلٌ Été") == "عمل Ete"


def test_fold_keeps_numbers_whole():
    # letter elongation only: "1000" folded to "10" made "Former 1000 jeunes" the same activity
    # as "Former 10 jeunes"
    assert fold("1000") == "1000" and fold("Former 1000 jeunes") != fold("Former 10 jeunes")
    assert fold("٣٠٠٠") == "3000"


def test_poll_options_are_matched_with_the_same_key():
    q = Question.model_validate(
        {
            "id": "q",
            "kind": "choice",
            "text": {"fr": "Quoi ?"},
            "options": [
                {
                    "value": 1,
                    "label": {
                        "fr": "Moins de 1000 DH",
                        "ar": "أقل من 1000 درهم",
                        "ary": "قل من 1000 درهم",
                        "ary-Latn": "9el mn 1000 dh",
                    },
                },
                {
                    "value": 2,
                    "label": {
                        "fr": "Plus de 1000 DH",
                        "ar": "أكثر من 1000 درهم",
                        "ary": "كثر من 1000 درهم",
                        "ary-Latn": "ktar mn 1000 dh",
                    },
                },
            ],
        }
    )
    assert q.match_typed("moins de 1000 dh", "fr") == 1
    assert q.match_typed("اكثر من ١٠٠٠ درهم", "ar") == 2  # hamza, digits


def test_ascii_slug():
    assert ascii_slug("Aït Baha — 2026") == "ait-baha-2026"
    assert ascii_slug("Aït-Baha", "") == "aitbaha" and ascii_slug("  L'été ", "_") == "l_ete"
    assert ascii_slug("بلدية") == ""


def test_direction_and_isolation():
    assert direction("Bonjour") == "ltr" and direction("مرحبا Ali") == "rtl" and direction("2026") is None
    # the paragraph rule skips an isolated run; the line's first character does not
    line = f"{FSI}Athar{PDI} مرحبا"
    assert direction(line) == "rtl" and direction(line, skip_isolates=False) == "ltr"
    assert isolate("2026-S1", rtl=True) == f"{FSI}2026-S1{PDI}"
    assert isolate("سلا", rtl=False) == f"{FSI}سلا{PDI}"
    assert isolate("Rabat", rtl=False) == "Rabat" and isolate("", rtl=True) == ""
    # an Arabic phrase with a number reads right to left already: wrapped for a chat line, left
    # as it is in a document (nested isolates confuse LibreOffice)
    assert isolate("بعد 6 أشهر", rtl=True) == f"{FSI}بعد 6 أشهر{PDI}"
    assert isolate("بعد 6 أشهر", rtl=True, nest=False) == "بعد 6 أشهر"


def test_a_value_of_several_lines_is_isolated_line_by_line():
    # an isolate ends at a paragraph break (UBA): "⁨1. …\n2. …⁩" left line 2's PDI unmatched
    listing = "1. تنظيم دورات تكوينية\n2. اقتناء 15 حاسوب"
    assert isolate(listing, rtl=True) == f"{FSI}1. تنظيم دورات تكوينية{PDI}\n{FSI}2. اقتناء 15 حاسوب{PDI}"
    assert isolate("Rabat\nسلا", rtl=False) == f"Rabat\n{FSI}سلا{PDI}"
