"""The WhatsApp adapter's own parts, table-driven on notifications in the Cloud API's shapes:
signatures, events, Incoming messages, statuses, rendering within WhatsApp's limits."""

from __future__ import annotations

import json

import pytest

from bot.channels import whatsapp as wa
from domain.messages import Rendered, RenderedButton

SECRET = b"app-secret"
META = {"display_phone_number": "212522000000", "phone_number_id": "1065"}


def note(messages=(), statuses=(), contacts=True) -> dict:
    value = {"messaging_product": "whatsapp", "metadata": META}
    if contacts and messages:
        value["contacts"] = [{"profile": {"name": "Amina"}, "wa_id": "212600000001"}]
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1022", "changes": [{"field": "messages", "value": value}]}],
    }


def m(kind, part=None, **extra) -> dict:
    out = {"from": "212600000001", "id": "wamid.HBgMMjEy", "timestamp": "1764750000", "type": kind, **extra}
    if part is not None:
        out[kind] = part
    return out


def test_signature_is_the_hmac_of_the_raw_body():
    body = json.dumps(note([m("text", {"body": "salam"})])).encode()
    good = wa.signature(SECRET, body)
    assert good.startswith("sha256=") and wa.signed(SECRET, body, good)
    assert not wa.signed(SECRET, body, None)
    assert not wa.signed(SECRET, body, "")
    assert not wa.signed(SECRET, body, "sha256=" + "0" * 64)
    assert not wa.signed(b"other", body, good)
    assert not wa.signed(SECRET, body + b" ", good)  # the raw bytes, not the JSON's meaning
    one_off = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert not wa.signed(SECRET, body, one_off)
    assert not wa.signed(SECRET, body, "sha1=" + good[7:])
    assert not wa.signed(SECRET, body, "sha256=é")


CASES = [
    ("text", m("text", {"body": "Bonjour, 3afak"}), dict(text="Bonjour, 3afak")),
    ("arabic text", m("text", {"body": "السلام عليكم"}), dict(text="السلام عليكم")),
    ("command", m("text", {"body": "/menu"}), dict(command="menu")),
    (
        "wa.me poll link",
        m("text", {"body": "start p_Ab3-xY_9zQwErTyUiOpAsD"}),
        dict(command="start", command_arg="p_Ab3-xY_9zQwErTyUiOpAsD"),
    ),
    (
        "wa.me invite link",
        m("text", {"body": "START inv_K7QP2MXA"}),
        dict(command="start", command_arg="inv_K7QP2MXA"),
    ),
    (
        "start with a bad payload",
        m("text", {"body": "/start <script>"}),
        dict(command="start", command_arg=None),
    ),
    (
        "button reply",
        m("interactive", {"type": "button_reply", "button_reply": {"id": "sys:yes", "title": "Oui"}}),
        dict(button="sys:yes"),
    ),
    (
        "list reply",
        m(
            "interactive",
            {
                "type": "list_reply",
                "list_reply": {"id": "prj:12", "title": "Ateliers emploi", "description": "Berkane"},
            },
            context={"from": "212522000000", "id": "wamid.OUT"},
        ),
        dict(button="prj:12"),
    ),
    ("template quick reply", m("button", {"payload": "wa:resume", "text": "Voir"}), dict(button="wa:resume")),
    (
        "template button with a poll",
        m("button", {"payload": "p_Ab3-xY_9zQwErTyUiOpAsD", "text": "Commencer"}),
        dict(command="start", command_arg="p_Ab3-xY_9zQwErTyUiOpAsD"),
    ),
    (
        "voice note",
        m("audio", {"mime_type": "audio/ogg; codecs=opus", "sha256": "x", "id": "1234567", "voice": True}),
        dict(media=("voice", "1234567", None)),
    ),
    (
        "audio file",
        m("audio", {"mime_type": "audio/mpeg", "id": "99", "voice": False}),
        dict(media=("audio", "99", None)),
    ),
    (
        "image with caption",
        m("image", {"mime_type": "image/jpeg", "id": "77", "caption": "  Atelier couture 🧵 "}),
        dict(media=("photo", "77", "Atelier couture 🧵")),
    ),
    (
        "document",
        m("document", {"mime_type": "application/pdf", "id": "55", "filename": "rapport.pdf"}),
        dict(media=("document", "55", None)),
    ),
    (
        "location",
        m("location", {"latitude": 34.9186, "longitude": -2.3199, "name": "Berkane"}),
        dict(media=("location", "34.918600,-2.319900", None)),
    ),
    ("sticker", m("sticker", {"id": "5", "mime_type": "image/webp"}), dict(media=("other", "sticker", None))),
    ("contacts", m("contacts", [{"name": {"formatted_name": "X"}}]), dict(media=("other", "contacts", None))),
    (
        "unsupported",
        m("unsupported", None, errors=[{"code": 131051, "title": "Message type unknown"}]),
        dict(media=("other", "unsupported", None)),
    ),
    ("a type that does not exist yet", m("hologram", {"x": 1}), dict(media=("other", "hologram", None))),
    ("reaction", m("reaction", {"message_id": "wamid.OUT", "emoji": "👍"}), None),
    ("system", m("system", {"body": "changed number", "type": "user_changed_number"}), None),
]


@pytest.mark.parametrize("name,message,expected", CASES, ids=[c[0] for c in CASES])
def test_messages_become_incoming(name, message, expected):
    (event,) = wa.events(note([message]))
    assert event.kind == "message" and event.key == "wamid.HBgMMjEy"
    assert event.chat == "212600000001"
    incoming = wa.to_incoming(event.payload)
    if expected is None:
        assert incoming is None
        return
    assert incoming.channel == "whatsapp" and incoming.chat_id == "212600000001"
    assert incoming.user_ref == "212600000001" and incoming.message_id == "wamid.HBgMMjEy"
    media = expected.pop("media", None)
    for field, value in expected.items():
        assert getattr(incoming, field) == value, field
    if media is None:
        assert incoming.media is None
    else:
        kind, ref, caption = media
        assert (incoming.media.kind, incoming.media.ref, incoming.media.caption) == (kind, ref, caption)


def test_several_events_in_one_notification_and_statuses():
    body = note(
        [m("text", {"body": "a"}), m("text", {"body": "b"}, id="wamid.2")],
        statuses=[
            {
                "id": "wamid.OUT1",
                "status": "delivered",
                "timestamp": "1764750001",
                "recipient_id": "212600000002",
            },
            {
                "id": "wamid.OUT2",
                "status": "failed",
                "timestamp": "1764750002",
                "recipient_id": "212600000002",
                "errors": [{"code": 131047, "title": "Re-engagement message"}],
            },
        ],
    )
    body["entry"].append({"id": "1023", "changes": [{"field": "account_update", "value": {}}]})
    evs = wa.events(body)
    assert [e.key for e in evs] == [
        "wamid.HBgMMjEy",
        "wamid.2",
        "status:wamid.OUT1:delivered",
        "status:wamid.OUT2:failed",
    ]
    assert wa.status_of(evs[2].payload)[:3] == ("wamid.OUT1", "delivered", None)
    wamid, status, code, at = wa.status_of(evs[3].payload)
    assert (wamid, status, code, at.year) == ("wamid.OUT2", "failed", 131047, 2025)


@pytest.mark.parametrize(
    "body", [[], {"object": "page", "entry": []}, {"object": "whatsapp_business_account"}, "x", None]
)
def test_not_a_whatsapp_notification(body):
    with pytest.raises(ValueError):
        wa.events(body)


def test_malformed_messages_are_skipped_or_refused():
    assert wa.events(note([{"type": "text"}, "x", {"id": 5, "from": "1"}])) == []
    (event,) = wa.events(note([m("text", {"nobody": 1})]))
    with pytest.raises((KeyError, TypeError, ValueError)):
        wa.to_incoming(event.payload)


LABELS = wa.Labels(
    choose="Choisissez :",
    list_button="Voir les choix",
    more="Suite ▶",
    more_description="Page {page} sur {pages}",
    first="↩ Début",
)


def B(data, label, short=None):
    return RenderedButton(data=data, label=label, short=short)


def test_a_long_text_is_split_under_4096():
    text = ("Un paragraphe assez long. " * 60 + "\n\n") * 6
    out = wa.render(Rendered(text=text), LABELS)
    assert len(out) > 1 and all(len(x["text"]["body"]) <= 4096 for x in out)
    assert "".join(x["text"]["body"] for x in out).replace("\n", "").replace(" ", "") == text.replace(
        "\n", ""
    ).replace(" ", "")


def test_three_options_are_buttons_with_short_titles():
    (msg,) = wa.render(
        Rendered(
            text="Est-ce juste ?",
            buttons=[
                B("sys:confirm", "✅ Confirmer"),
                B("sys:edit", "✏️ Modifier les réponses", "✏️ Modifier"),
                B("sys:cancel", "✖️ Annuler tout ce qui a été saisi"),
            ],
        ),
        LABELS,
    )
    inter = msg["interactive"]
    assert inter["type"] == "button" and inter["body"]["text"] == "Est-ce juste ?"
    titles = [b["reply"]["title"] for b in inter["action"]["buttons"]]
    assert titles[:2] == ["✅ Confirmer", "✏️ Modifier"]
    assert len(titles[2]) <= 20 and titles[2].endswith("…")  # no short form: cut, never refused


def test_four_to_ten_options_are_a_list_with_descriptions():
    buttons = [
        B(f"o:{i}", f"Option numéro {i} qui est plutôt longue à lire", f"Option {i}") for i in range(7)
    ]
    (msg,) = wa.render(Rendered(text="", buttons=buttons), LABELS)
    inter = msg["interactive"]
    assert inter["type"] == "list" and inter["body"]["text"] == "Choisissez :"
    rows = inter["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [f"o:{i}" for i in range(7)]
    assert rows[0] == {
        "id": "o:0",
        "title": "Option 0",
        "description": "Option numéro 0 qui est plutôt longue à lire",
    }


def test_more_than_ten_options_come_in_pages():
    buttons = [B(f"c:{i}", f"Commune {i}") for i in range(23)]
    shown = []
    for page in range(4):
        (msg,) = wa.render(Rendered(text="Quelle commune ?", buttons=buttons), LABELS, page=page)
        rows = msg["interactive"]["action"]["sections"][0]["rows"]
        assert len(rows) <= 10
        shown.append([r["id"] for r in rows])
    assert shown[0][:9] == [f"c:{i}" for i in range(9)] and shown[0][9] == "wa:more:1"
    assert shown[1][-1] == "wa:more:2" and shown[2][-1] == "wa:more:0"  # back to the start
    assert shown[3] == shown[0]
    assert sorted({d for page in shown[:3] for d in page if not d.startswith("wa:")}) == sorted(
        b.data for b in buttons
    )


def test_a_long_body_goes_ahead_as_text():
    text = "\n\n".join(f"• Ligne {i} " + "x" * 120 for i in range(20))
    out = wa.render(Rendered(text=text, buttons=[B("a", "Oui"), B("b", "Non")]), LABELS)
    assert out[-1]["type"] == "interactive" and len(out[-1]["interactive"]["body"]["text"]) <= 1024
    assert all(x["type"] == "text" for x in out[:-1])
    said = "\n\n".join([x["text"]["body"] for x in out[:-1]] + [out[-1]["interactive"]["body"]["text"]])
    assert said == text


def test_duplicate_titles_fall_back_to_a_list():
    buttons = [
        B("a", "Un titre bien trop long pour un bouton A"),
        B("b", "Un titre bien trop long pour un bouton B"),
    ]
    (msg,) = wa.render(Rendered(text="?", buttons=buttons), LABELS)
    assert msg["interactive"]["type"] == "list"
    rows = msg["interactive"]["action"]["sections"][0]["rows"]
    assert rows[0]["description"].endswith("A") and rows[1]["description"].endswith("B")


def test_attachments_are_uploaded_media_with_a_caption():
    out = wa.render(
        Rendered(
            text="Votre document",
            attachment={"kind": "document", "path": "/tmp/x.docx", "filename": "Cadre.docx", "caption": "v1"},
        ),
        LABELS,
    )
    assert out == [
        {"type": "text", "text": {"body": "Votre document"}},
        {"type": "document", "upload": {"path": "/tmp/x.docx", "filename": "Cadre.docx"}, "caption": "v1"},
    ]


def test_template_message_and_window():
    from datetime import datetime, timedelta, timezone

    body = wa.template_message("athar_poll_reminder", "ar", ["Sondage jeunes"], "wa:resume")
    assert body["template"]["language"] == {"code": "ar"}
    assert body["template"]["components"][0]["parameters"] == [{"type": "text", "text": "Sondage jeunes"}]
    assert body["template"]["components"][1]["parameters"] == [{"type": "payload", "payload": "wa:resume"}]
    now = datetime(2026, 12, 3, 12, tzinfo=timezone.utc)
    assert wa.window_open(now - timedelta(hours=23), now)
    assert not wa.window_open(now - timedelta(hours=23, minutes=59), now)  # the margin
    assert not wa.window_open(now - timedelta(hours=25), now)
    assert not wa.window_open(None, now)
    from bot.services.polls import whatsapp_link

    link = whatsapp_link("212522000000", "p_Ab3-xY_9zQwErTyUiOpAsD")
    assert link == "https://wa.me/212522000000?text=start%20p_Ab3-xY_9zQwErTyUiOpAsD"
    # what WhatsApp types in for the user is read as the poll's /start
    text = link.split("?text=")[1].replace("%20", " ")
    (event,) = wa.events(note([m("text", {"body": text})]))
    assert wa.to_incoming(event.payload).command_arg == "p_Ab3-xY_9zQwErTyUiOpAsD"


def test_the_pacer_spaces_sends_without_catching_up_in_a_burst():
    import asyncio
    import time

    async def run() -> list[float]:
        pacer, times = wa.Pacer(100), []

        async def one(i: int) -> None:
            if i == 10:
                time.sleep(0.2)  # the event loop stalls (blocking work)
            await pacer.wait()
            times.append(time.monotonic())

        await asyncio.gather(*(one(i) for i in range(40)))
        return times

    times = sorted(asyncio.run(run()))
    assert times[-1] - times[0] >= 39 / 100 * 0.95
    busiest = max(sum(1 for t in times if s <= t < s + 0.1) for s in times)
    assert busiest <= 10 + 2  # 100 per second: about 10 in any tenth of a second
