"""Every keyboard of the dialogues, rendered for WhatsApp: random walks through the real dispatcher
(an official of a commune, in each of the four variants, pressing buttons and answering what is
asked) collect every reply that has buttons, and each is rendered as WhatsApp messages. Every
message must be within WhatsApp's limits (the emulator's checks), and no label may be cut where
nothing else shows it whole: a reply button's title (≤ 20 characters) is its label or the
label's short form (catalog `short.<key>`, bot/catalogs/short.yml), and a list row's title
(≤ 24) is its label, its short form, or a cut title above a description that holds the whole
label (≤ 72)."""

from __future__ import annotations

import random

import pytest

from bot.channels import whatsapp as wa
from tests.bot.helpers import Chat, make_dispatcher
from tests.whatsapp.emulator import _limits

ANSWERS = [
    "Ateliers emploi jeunes",
    "Beaucoup de jeunes sont sans travail",
    "120",
    "2026",
    "18-30 ans, Hay Salam",
    "ils trouvent un travail",
    "12",
    "oui",
]
STEPS = 160


def _walk(d, uow_factory, lang: str, seed: int) -> list:
    rnd = random.Random(seed)
    chat = Chat(d, user=f"kb-{lang}-{seed}")
    chat.register(uow_factory, lang=lang)
    seen = []
    replies = chat.command("menu")
    for _ in range(STEPS):
        seen.extend(r for r in replies if r.buttons)
        buttons = [b.data for r in replies for b in r.buttons]
        if buttons and rnd.random() < 0.85:
            replies = chat.press(rnd.choice(buttons))
        elif rnd.random() < 0.9:
            replies = chat.say(rnd.choice(ANSWERS))
        else:
            replies = chat.command("menu")
    return seen


@pytest.mark.parametrize("lang", ["fr", "ar", "ary", "ary-Latn"])
def test_every_keyboard_fits_whatsapp_without_losing_a_label(sqlite_uow_factory, lang):
    d = make_dispatcher(sqlite_uow_factory)
    keyboards = [r for seed in (1, 2, 3) for r in _walk(d, sqlite_uow_factory, lang, seed)]
    assert len({b.data for r in keyboards for b in r.buttons}) > 40  # the walks went places
    labels = wa.Labels(
        **{
            k: d.catalog.text(f"whatsapp.{k}", lang)
            for k in ("choose", "list_button", "more", "more_description", "first")
        }
    )
    cut: dict[str, str] = {}
    for reply in keyboards:
        pages = len(wa.pages(reply.buttons))
        for page in range(pages):
            for body in wa.render(reply, labels, page=page):
                assert _limits({"messaging_product": "whatsapp", "to": "1", **body}) is None, body
        for page in range(pages):
            (message,) = [m for m in wa.render(reply, labels, page=page) if m["type"] == "interactive"]
            rows = {r["id"]: r for r in wa.iter_rows([message])}
            for b in reply.buttons:
                row = rows.get(b.data)
                if row is None:
                    continue
                label = " ".join(b.label.split())
                whole = row["title"] in (label, b.short) or (
                    message["interactive"]["type"] == "list" and row.get("description") == label
                )
                if not whole:
                    cut[label] = row["title"]
    assert not cut, "labels cut for WhatsApp: give them a short form in bot/catalogs/short.yml: " + "; ".join(
        f"{k!r} → {v!r}" for k, v in sorted(cut.items())
    )


def test_short_forms_fit_a_reply_button_in_every_variant():
    from bot.i18n import SHORT, default_catalog

    cat = default_catalog()
    keys = [k for k in cat.entries if k.startswith(SHORT)]
    assert keys
    for key in keys:
        assert key[len(SHORT) :] in cat.entries, f"{key}: no such label"
        for lang in ("fr", "ar", "ary", "ary-Latn"):
            short = cat.text(key, lang)
            assert 0 < len(short) <= wa.MAX_BUTTON_TITLE, (key, lang, short)
            assert (
                len(short) < len(cat.text(key[len(SHORT) :], lang))
                or len(cat.text(key[len(SHORT) :], lang)) <= wa.MAX_BUTTON_TITLE
            ), (key, lang)
