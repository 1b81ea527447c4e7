"""domain.privacy.mask_identifiers: the one masking function of stories and exports."""

from __future__ import annotations

import pytest

from domain.privacy import MASK, day_of, mask_identifiers

M = MASK

MASKED = [
    # Moroccan mobiles and landlines, national form
    ("appelez-moi au 0612345678 svp", f"appelez-moi au {M} svp"),
    ("06 12 34 56 78", M),
    ("06.12.34.56.78", M),
    ("06-12-34-56-78", M),
    ("0612 34 56 78", M),
    ("0612-345678", M),
    ("06 123 456 78", M),
    ("07 00 11 22 33", M),
    ("fixe: 05 36 61 23 45.", f"fixe: {M}."),
    ("06\u00a012\u00a034\u00a056\u00a078", M),
    # international form
    ("+212 6 12 34 56 78", M),
    ("+212612345678", M),
    ("+212-6-12-34-56-78", M),
    ("+212 (0)6 12 34 56 78", M),
    ("(+212) 6 12 34 56 78", M),
    ("00212612345678", M),
    ("00 212 6 12 34 56 78", M),
    ("212612345678", M),
    ("212 6 12 34 56 78", M),
    ("mon frère en Belgique: +32 470 12 34 56", f"mon frère en Belgique: {M}"),
    ("+33 6 12 34 56 78 ou +212 7 11 22 33 44", f"{M} ou {M}"),
    # Arabic-Indic and Persian digits, inside Arabic and Darija
    ("رقمي ٠٦١٢٣٤٥٦٧٨ عافاك", f"رقمي {M} عافاك"),
    ("عيط ليا ف ٠٦ ١٢ ٣٤ ٥٦ ٧٨", f"عيط ليا ف {M}"),
    ("+٢١٢٦١٢٣٤٥٦٧٨", M),
    ("۰۶۱۲۳۴۵۶۷۸", M),
    ("nemra dyali 0661-223344 3afak", f"nemra dyali {M} 3afak"),
    ("رقمي٠٦١٢٣٤٥٦٧٨", f"رقمي{M}"),  # glued to a word: still a run of digits
    # two numbers side by side
    ("0612345678 0698765432", f"{M} {M}"),
    # e-mails
    ("écrivez à amina.benali@gmail.com.", f"écrivez à {M}."),
    ("contact: a_b-c+tag@asso-berkane.org.ma", f"contact: {M}"),
    ("fatima @ yahoo.fr", M),
    ("ايميل: مريم@مثال.مغرب", f"ايميل: {M}"),
    # national-id-like numbers
    ("ma CIN est AB123456", f"ma CIN est {M}"),
    ("CIN: J123456", f"CIN: {M}"),
    ("BK 654321", M),
    ("BE-123456", M),
    ("cin dyali ab123456", f"cin dyali {M}"),
    ("code massar G123456789", f"code massar {M}"),
    ("بطاقة رقم AB١٢٣٤٥٦", f"بطاقة رقم {M}"),
    ("CNSS 123456789", f"CNSS {M}"),
    ("RIB 011780000012345678901234", f"RIB {M}"),
    # handles
    ("sur telegram @amina_berkane", f"sur telegram {M}"),
]

KEPT = [
    "Mon fils a trouvé un travail à Berkane en 2024.",
    "On a reçu 1 000 000 dh pour 120 jeunes.",
    "le 05/06/2024 à 10h30",
    "le 05.06.2024 10h",
    "entre 2020 et 2024, 15 ateliers",
    "Les cours ont lieu de 18h à 20h, 3 fois par semaine",
    "ولدي لقا خدمة ف 2024 وولا كيعاون الدار",
    "wlidi l9a khedma f 2025, l7amdolilah",
    "B2 en français, niveau A1",
    "covid19, h1n1, mp3, 4G, G5",
    "le lot 12345 du quartier",  # lowercase word and a space: not an id
    "un score de 95 %, de 3,5 sur 5",
    "mail@",  # no domain
    "@ab",  # too short for a handle
    "",
]


@pytest.mark.parametrize("text,expected", MASKED, ids=[t for t, _ in MASKED])
def test_identifiers_are_masked(text, expected):
    assert mask_identifiers(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_kept(text):
    assert mask_identifiers(text) == text


@pytest.mark.parametrize("text,expected", MASKED, ids=[t for t, _ in MASKED])
def test_masking_is_idempotent(text, expected):
    assert mask_identifiers(mask_identifiers(text)) == expected


def test_none_and_empty():
    assert mask_identifiers(None) is None
    assert mask_identifiers("") == ""


def test_day_of_keeps_only_the_utc_day():
    from datetime import datetime, timedelta, timezone

    casa = timezone(timedelta(hours=1))
    assert day_of(datetime(2026, 3, 1, 0, 30, 12, 345, tzinfo=casa)) == datetime(
        2026, 2, 28, tzinfo=timezone.utc
    )
    assert day_of(datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc)) == datetime(
        2026, 3, 1, tzinfo=timezone.utc
    )
    with pytest.raises(ValueError):
        day_of(datetime(2026, 3, 1))
