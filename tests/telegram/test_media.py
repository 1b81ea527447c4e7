"""Media both ways: voice notes and photos received and stored with an acknowledgement;
documents and pictures sent."""

from __future__ import annotations

import time

from tests.bot.helpers import BIDI_CONTROLS, invite
from tests.telegram.emulator import buttons, texts

U = 777


def _register(emulator, uows, lang="fr"):
    code = invite(uows, role="official", commune="Berkane")
    emulator.command(U, f"/start inv_{code}", lang=lang)
    emulator.wait(lambda: any("menu:help" in buttons(c) for c in emulator.sent(U)))
    return len(emulator.sent(U))


def test_voice_note_and_photo_are_stored_and_acknowledged(emulator, polling_bot, sqlite_db_url):
    from bot.i18n import default_catalog
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(sqlite_db_url)
    uows = make_uow_factory(engine)
    bot = polling_bot(sqlite_db_url)
    n = _register(emulator, uows)
    emulator.voice(U, file_id="VOICE-abc", duration=9)
    emulator.photo(U, file_id="PHOTO-xyz", caption="Atelier couture — الخياطة 🧵")
    emulator.wait(lambda: len(emulator.sent(U)) >= n + 2)
    bot.run(lambda ch: ch.runtime.drain())
    said = "\n".join(texts(emulator.sent(U)[n:])).translate(BIDI_CONTROLS)
    cat = default_catalog()
    assert cat.text("media.stored_voice", "fr") in said
    assert cat.text("media.stored_photo", "fr") in said
    with uows() as uow:
        refs = {s.media_ref for s in uow.stories.list()}
        captions = {s.media_ref: s.text for s in uow.stories.list()}
        audit = [a for a in uow.audit.list() if a.action == "media.received"]
        user = uow.users.by_identity("telegram", str(U))
    assert refs == {"telegram:voice:VOICE-abc", "telegram:photo:PHOTO-xyz"}
    # what the sender wrote with the photo is kept with it
    assert captions == {
        "telegram:voice:VOICE-abc": None,
        "telegram:photo:PHOTO-xyz": "Atelier couture — الخياطة 🧵",
    }
    assert {a.detail["kind"] for a in audit} == {"voice", "photo"}
    assert all(a.user_id == user.id for a in audit)
    assert [a.detail["duration"] for a in audit if a.detail["kind"] == "voice"] == [9]
    engine.dispose()


def test_documents_and_pictures_are_sent(emulator, polling_bot, sqlite_db_url, tmp_path):
    from domain.messages import Rendered, RenderedButton

    bot = polling_bot(sqlite_db_url)
    doc = tmp_path / "cadre-logique.docx"
    doc.write_bytes(b"PK" + b"x" * 5000)
    png = tmp_path / "qr.png"
    png.write_bytes(b"\x89PNG" + b"y" * 300)
    bot.run(
        lambda ch: ch.send(
            str(U),
            Rendered(
                text="Votre document",
                attachment={
                    "kind": "document",
                    "path": str(doc),
                    "filename": "Cadre logique.docx",
                    "caption": "v1",
                },
            ),
        )
    )
    bot.run(
        lambda ch: ch.send(
            str(U),
            Rendered(
                text="",
                buttons=[RenderedButton(data="menu:x", label="Menu")],
                attachment={"kind": "photo", "path": str(png), "caption": "QR"},
            ),
        )
    )
    docs = emulator.calls_of("sendDocument", chat=U)
    photos = emulator.calls_of("sendPhoto", chat=U)
    assert [c.files["document"] for c in docs] == [("Cadre logique.docx", 5002)]
    assert docs[0].params["caption"] == "v1"
    assert [c.files["photo"][1] for c in photos] == [304]
    assert buttons(photos[0]) == ["menu:x"]  # the keyboard goes with the last message
    assert texts(emulator.calls_of("sendMessage", chat=U)) == ["Votre document"]


def test_export_says_it_is_preparing_then_sends_the_document(emulator, polling_bot, sqlite_db_url, tmp_path):
    """/export by button presses: the progress message is on the user's screen before the
    file is made (the job runs after it is sent), then the file comes as a document."""
    from bot.commands.demo import seed
    from bot.i18n import default_catalog
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(sqlite_db_url)
    uows = make_uow_factory(engine)
    with uows() as uow:
        done = {cid: pid for cid, pid, _ in seed(uow, respondents=12)}
        uow.commit()
    bot = polling_bot(sqlite_db_url)
    exporter = bot.athar.services.exporter
    exporter.out_dir = tmp_path / "out"
    started: list[float] = []
    run = exporter.run

    def timed_run(*args, **kwargs):  # when the file starts being made
        started.append(time.perf_counter())
        return run(*args, **kwargs)

    exporter.run = timed_run
    n = _register(emulator, uows)

    def press_when_offered(data: str) -> None:
        k = len(emulator.sent(U))
        emulator.wait(lambda: any(data in buttons(c) for c in emulator.sent(U)[n:]))
        emulator.press(U, data)
        emulator.wait(lambda: len(emulator.sent(U)) > k)

    emulator.command(U, "/export")
    for data in ("exp:w:logframe", f"prj:{done['berkane']}", "exp:f:docx", "exp:l:fr"):
        press_when_offered(data)
    emulator.wait(lambda: emulator.calls_of("sendDocument", chat=U), timeout=60)
    progress = default_catalog().text("export.progress", "fr")
    (doc,) = emulator.calls_of("sendDocument", chat=U)
    told = [
        c
        for c in emulator.calls_of("sendMessage", chat=U)
        if progress in c.params.get("text", "").translate(BIDI_CONTROLS)
    ]
    # on the user's screen before the file is even started, and the file after it
    assert told and len(started) == 1 and told[0].at < started[0] < doc.at
    name, size = doc.files["document"]
    assert name.endswith(".docx") and size > 1000
    engine.dispose()
