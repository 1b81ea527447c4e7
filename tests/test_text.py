"""domain/text.py: the one digit table and the bidirectional controls, and the places that read
digits through it (Persian digits included)."""

from __future__ import annotations

from domain.effects import plain
from domain.matching import fold
from domain.text import FSI, PDI, RLM, ascii_digits, without_bidi_controls
from nlu.normalize import normalize


def test_arabic_indic_and_persian_digits_read_as_ascii():
    assert ascii_digits("٣٠ ۳۰ 30 ٢٠٢٦") == "30 30 30 2026"


def test_every_reader_of_digits_uses_the_same_table():
    assert plain("٣٠ ۳۰") == "30 30"  # effects' statements: Persian digits were left as they were
    assert fold("۳۰") == fold("٣٠") == "30"
    assert "30" in normalize("۳۰ ٪")


def test_bidi_controls_are_removed():
    assert without_bidi_controls(f"{RLM}{FSI}2026-S1{PDI} \u200e\u202b") == "2026-S1 "
