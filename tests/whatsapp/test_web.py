"""The WhatsApp channel end to end: the real `athar web` process, the Graph API emulator and
its signed-webhook sender, the real dispatcher and database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time

import pytest

from tests.bot.helpers import BIDI_CONTROLS, invite
from tests.whatsapp.emulator import PHONE

U = "212600000101"


def _uows(db_url):
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(db_url)
    return engine, make_uow_factory(engine)


def said(calls) -> str:
    return "\n".join(c.text for c in calls).translate(BIDI_CONTROLS)


def tap(graph, user: str, label: str, after: int = 0):
    """Press the button (or pick the list row) whose title or description starts with `label`,
    on the last message to `user` that shows one, as a person would; waits for it."""

    def find():
        for call in reversed(graph.sent(user)[after:]):
            rows = []
            inter = call.body.get("interactive") or {}
            action = inter.get("action") or {}
            rows += [b["reply"] for b in action.get("buttons") or []]
            rows += [r for s in action.get("sections") or [] for r in s.get("rows") or []]
            for r in rows:
                text = (r["title"] + " " + r.get("description", "")).translate(BIDI_CONTROLS)
                if r["title"].translate(BIDI_CONTROLS).startswith(label) or label in text:
                    return r["id"]
        return None

    graph.wait(lambda: find() is not None)
    n = len(graph.sent(user))
    graph.press(user, find())
    return n


def answer(graph, user: str, text: str) -> int:
    n = len(graph.sent(user))
    graph.text(user, text)
    return n


def test_onboarding_by_invite_and_a_project_by_buttons_and_lists(graph, athar_web, db_url):
    engine, uows = _uows(db_url)
    code = invite(uows, role="official", commune="Berkane")
    athar_web(db_url)
    # the handshake Meta does once
    import httpx

    with httpx.Client(trust_env=False) as c:
        url = graph.webhook_url
        ok = c.get(
            url,
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": "verify-me-42",
                "hub.challenge": "1158201444",
            },
        )
        assert (ok.status_code, ok.text) == (200, "1158201444")
        assert (
            c.get(
                url, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
            ).status_code
            == 403
        )
    graph.text(U, "Salam")
    first = graph.wait_sent(U, 1)[0]
    assert first.body["interactive"]["type"] == "list"  # four languages: a list
    tap(graph, U, "Français")
    graph.wait(lambda: "code d'invitation" in said(graph.sent(U)[-1:]))
    n = answer(graph, U, code)
    graph.wait(lambda: "Bienvenue" in said(graph.sent(U)[n:]))
    menu = graph.sent(U)[-1]
    assert menu.body["interactive"]["type"] == "list" and len(menu.ids) == 10
    n = len(graph.sent(U))
    graph.press(U, "wa:more:1")  # the menu's next page
    graph.wait_for(U, "menu:help", after=n)
    tap(graph, U, "📝")
    steps = [
        ("text", "Ateliers emploi jeunes"),
        ("text", "Beaucoup de jeunes du quartier sont sans travail après le bac"),
        ("tap", "Jeunes"),
        ("text", "18-30 ans, Hay Salam"),
        ("text", "120"),
        ("tap", "➡️"),
        ("text", "organiser 10 ateliers; visites d'entreprises"),
        ("tap", "✅"),
        ("text", "2025-2026"),
    ]
    for kind, value in steps:
        before = len(graph.sent(U))
        graph.wait_sent(U, before)
        if kind == "text":
            time.sleep(0.05)
            answer(graph, U, value)
        else:
            tap(graph, U, value)
        graph.wait_sent(U, before + 1)
    graph.wait(lambda: "Est-ce juste" in said(graph.sent(U)[-2:]))
    summary = graph.sent(U)[-1]
    assert summary.body["interactive"]["type"] == "button"
    assert [t for t in summary.titles] == ["✅ Confirmer", "✏️ Modifier", "✖️ Annuler"]
    n = tap(graph, U, "✅ Confirmer")
    graph.wait(lambda: "est enregistré" in said(graph.sent(U)[n:]))
    from sqlalchemy import text

    with uows() as uow:
        user = uow.users.by_identity("whatsapp", U)
    with engine.connect() as conn:
        titles = [r[0] for r in conn.execute(text("SELECT title FROM projects"))]
    assert user is not None and user.registered and user.commune_id == "berkane"
    assert titles == ["Ateliers emploi jeunes"]
    # every message the bot sent was within WhatsApp's limits (the emulator refuses others)
    assert graph.refused() == []
    engine.dispose()


def test_signatures_are_required(graph, athar_web, sqlite_db_url):
    web = athar_web(sqlite_db_url)
    body = json.dumps(
        graph.notification(
            {
                "contacts": [{"wa_id": U, "profile": {"name": "A"}}],
                "messages": [
                    {
                        "from": U,
                        "id": "wamid.SIG1",
                        "timestamp": str(int(time.time())),
                        "type": "text",
                        "text": {"body": "bonjour"},
                    }
                ],
            }
        )
    ).encode()
    good = graph.sign(body)
    one_off = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert web.post(body).status_code == 403  # missing
    assert web.post(body, {"X-Hub-Signature-256": "sha256=" + "ab" * 32}).status_code == 403
    assert web.post(body, {"X-Hub-Signature-256": one_off}).status_code == 403
    assert web.post(body, {"X-Hub-Signature-256": good.upper()}).status_code == 403
    changed = body.replace(b"bonjour", b"bonjoor")  # the body changed, the signature did not
    assert web.post(changed, {"X-Hub-Signature-256": good}).status_code == 403
    big = b'{"object": "whatsapp_business_account", "pad": "' + b"x" * 70_000 + b'"}'
    assert web.post(big, {"X-Hub-Signature-256": graph.sign(big)}).status_code == 413
    assert web.post(b"{oops", {"X-Hub-Signature-256": graph.sign(b"{oops")}).status_code == 400
    time.sleep(0.5)
    assert graph.sent(U) == []
    assert web.post(body, {"X-Hub-Signature-256": good}).status_code == 200
    graph.wait_sent(U, 1)


def test_the_same_event_twice_is_handled_once(graph, athar_web, sqlite_db_url):
    web = athar_web(sqlite_db_url)
    note = graph.text(U, "bonjour")
    graph.wait_sent(U, 1)
    raw = json.dumps(note).encode()
    for _ in range(3):  # Meta retries a delivery it thinks failed
        assert web.post(raw, {"X-Hub-Signature-256": graph.sign(raw)}).status_code == 200
    graph.text(U, "1")
    graph.wait_sent(U, 2)
    time.sleep(1.0)
    assert len(graph.sent(U)) == 2  # the greeting once, then the answer to "1"


def test_throughput_errors_and_5xx_are_retried(graph, athar_web, sqlite_db_url):
    athar_web(sqlite_db_url)
    graph.inject(130429, count=2)
    graph.inject(131056, count=1)
    graph.inject(None, status=503, count=1)
    graph.inject(None, status=500, count=1)
    graph.inject(None, status=429, count=1)  # a bare HTTP 429
    graph.text(U, "bonjour")
    (greeting,) = graph.wait_sent(U, 1, timeout=60)
    assert greeting.body["interactive"]["type"] == "list"
    assert [c.status for c in graph.refused(U)] == [400, 400, 400, 503, 500, 429]
    gaps = [b.at - a.at for a, b in zip(graph.refused(U), graph.refused(U)[1:] + [greeting])]
    assert gaps[-1] > gaps[0]  # backing off: the pauses grow


def test_a_user_who_cannot_be_reached_is_marked(graph, athar_web, sqlite_db_url):
    engine, uows = _uows(sqlite_db_url)
    athar_web(sqlite_db_url)
    graph.inject(131026, count=1, to=U)
    graph.text(U, "bonjour")
    graph.wait(lambda: len(graph.refused(U)) == 1)
    from storage.whatsapp import WhatsAppStore

    store = WhatsAppStore(engine)
    graph.wait(lambda: store.chat(U) is not None and store.chat(U).unreachable)
    time.sleep(1.5)  # two sweeps: nothing is tried again
    assert len(graph.refused(U)) == 1 and graph.sent(U) == []
    graph.text(U, "bonjour encore")  # writing again makes them reachable
    graph.wait_sent(U, 1)
    assert not store.chat(U).unreachable
    engine.dispose()


def test_voice_notes_and_images_are_downloaded_and_kept(graph, athar_web, sqlite_db_url, tmp_path):
    import hashlib

    engine, uows = _uows(sqlite_db_url)
    code = invite(uows, role="official", commune="Berkane")
    athar_web(sqlite_db_url)
    graph.text(U, f"start inv_{code}")
    graph.wait(lambda: "Bienvenue" in said(graph.sent(U)) or "Welcome" in said(graph.sent(U)))
    n = len(graph.sent(U))
    voice = b"OggS\x00\x02" + bytes(range(256)) * 20
    graph.voice(U, voice)
    graph.wait(lambda: "🎙️" in said(graph.sent(U)[n:]))
    graph.image(U, b"\xff\xd8\xff\xe0" + b"j" * 3000, caption="Atelier couture 🧵")
    graph.location(U)
    graph.sticker(U)
    graph.wait(lambda: "📷" in said(graph.sent(U)[n:]))
    from bot.i18n import default_catalog

    cat = default_catalog()
    graph.wait(lambda: cat.text("media.location", "fr") in said(graph.sent(U)[n:]))
    graph.wait(lambda: cat.text("media.unsupported", "fr") in said(graph.sent(U)[n:]))
    with uows() as uow:
        stories = {s.media_ref: s.text for s in uow.stories.list()}
    digest = hashlib.sha256(voice).hexdigest()
    assert f"whatsapp:voice:{digest}.ogg" in stories
    kept = tmp_path / "media" / f"{digest}.ogg"
    assert kept.read_bytes() == voice
    (photo,) = [ref for ref in stories if ref.startswith("whatsapp:photo:")]
    assert stories[photo] == "Atelier couture 🧵" and photo.endswith(".jpg")
    engine.dispose()


def test_statuses_are_recorded(graph, athar_web, sqlite_db_url):
    engine, _ = _uows(sqlite_db_url)
    athar_web(sqlite_db_url)
    graph.text(U, "bonjour")
    (sent,) = graph.wait_sent(U, 1)
    from storage.whatsapp import WhatsAppStore

    store = WhatsAppStore(engine)
    graph.wait(lambda: store.status(sent.wamid) == ("read", None))
    engine.dispose()


@pytest.mark.parametrize("case", ["late", "async", "sync"])
def test_a_closed_window_sends_the_template_and_the_reply_waits(graph, athar_web, sqlite_db_url, case):
    """The reply cannot go as it is: the message reached Athar 25 hours after it was written
    (Meta retries deliveries for days), or WhatsApp says the window is closed (131047, in a
    failed status or at once). The user gets the "a reply waits" template, once, and the reply
    goes when they press its button."""
    graph.window_errors = "sync" if case == "sync" else "async"
    athar_web(sqlite_db_url)
    if case == "late":
        graph.message(U, "text", {"body": "bonjour"}, at=time.time() - 25 * 3600)
    else:
        graph.window = 0  # WhatsApp counts the window differently than Athar did
        graph.text(U, "bonjour")
    graph.wait(lambda: any(c.type == "template" for c in graph.sent(U)))
    (template,) = [c for c in graph.sent(U) if c.type == "template"]
    assert template.body["template"]["name"] == "athar_reply_waiting"
    assert template.body["template"]["language"]["code"] == "fr"
    time.sleep(1.5)  # sweeps: the reply waits, no second template
    assert len([c for c in graph.sent(U) if c.type == "template"]) == 1
    graph.window = 24 * 3600
    n = len(graph.sent(U))
    graph.template_button(U, "wa:resume", "Voir")
    graph.wait(lambda: any(c.type == "interactive" for c in graph.sent(U)[n:]))
    greeting = [c for c in graph.sent(U)[n:] if c.type == "interactive"][0]
    assert "Athar" in greeting.text
    time.sleep(0.5)
    assert len([c for c in graph.sent(U)[n:] if c.type == "interactive"]) == 1


def test_a_poll_answered_through_a_wa_me_invitation(graph, athar_web, db_url):
    """The official's invitation link opens WhatsApp with "start p_…" typed in; the beneficiary
    sends it and answers every question with buttons and lists; the answers are stored."""
    from bot.services.polls import whatsapp_link
    from tests.polls.helpers import make_project, make_short_poll

    engine, uows = _uows(db_url)
    poll = make_short_poll(uows, make_project(uows))
    athar_web(db_url)
    link = whatsapp_link(PHONE, poll.token)
    assert link.startswith(f"https://wa.me/{PHONE}?text=start%20p_")
    graph.text(U, link.split("?text=")[1].replace("%20", " "))  # what the user sends
    for _ in range(30):
        graph.wait_sent(U, 1)
        before = len(graph.sent(U))
        last = graph.sent(U)[-1]
        ids = [i for i in last.ids if not i.startswith("wa:")]
        choice = next((i for i in ids if i in ("lang:fr", "pc:yes")), None) or next(
            (i for i in ids if i.startswith("pq:") and i not in ("pq:skip", "pq:prev")), None
        )
        if choice is None:
            break
        graph.press(U, choice)
        graph.wait(lambda before=before: len(graph.sent(U)) > before)
        time.sleep(0.05)  # a person reads before tapping
    else:
        raise AssertionError("the poll never ended")
    from sqlalchemy import text

    with engine.connect() as conn:
        answers = conn.execute(text("SELECT count(*) FROM responses")).scalar()
        people = conn.execute(text("SELECT count(*) FROM respondents")).scalar()
    assert answers >= 3 and people == 1, said(graph.sent(U))
    assert graph.refused() == []
    engine.dispose()


def test_nothing_acknowledged_is_lost_across_kill_9(graph, athar_web, sqlite_db_url):
    """Twenty users write at once; the Graph API is slow, so when the process is killed (-9)
    events are recorded and acknowledged but not handled, replies stored but not sent. The next
    process answers every one of them."""
    users = [f"2126000003{i:02d}" for i in range(20)]
    web = athar_web(sqlite_db_url)
    graph.delay = 0.3  # each send takes 0.3 s
    for u in users:
        graph.text(u, "bonjour")
    graph.wait(lambda: sum(1 for _, s in graph.deliveries if s == 200) >= len(users))
    web.kill()
    answered = {u for u in users if graph.sent(u)}
    assert len(answered) < len(users)  # the kill came before everything was answered
    graph.delay = 0.0
    athar_web(sqlite_db_url)
    graph.wait(lambda: all(graph.sent(u) for u in users), timeout=60)
    from storage.delivery import DeliveryStore
    from storage.db import make_engine

    engine = make_engine(sqlite_db_url)
    graph.wait(lambda: DeliveryStore(engine).count_pending("whatsapp") == 0)
    engine.dispose()
    for u in users:  # the greeting, at least once and in one piece
        assert graph.sent(u)[0].body["interactive"]["type"] == "list"


@pytest.mark.parametrize("refusal", ["async", "sync"])
def test_a_poll_reminder_outside_the_window_goes_as_its_template(graph, athar_web, sqlite_db_url, refusal):
    """A respondent stopped on a question; a day later `athar poll remind` writes to them.
    Athar's own records still think the window open, WhatsApp does not (131047, in a failed
    status or at once): the reminder goes as the poll_reminder template, and its button brings
    the question back."""
    import subprocess
    import sys
    from tests.polls.helpers import make_project, make_short_poll

    engine, uows = _uows(sqlite_db_url)
    poll = make_short_poll(uows, make_project(uows))
    graph.window_errors = refusal
    web = athar_web(sqlite_db_url)
    graph.text(U, f"start {poll.token}")
    for data in ("lang:fr", "pc:yes"):
        graph.wait_for(U, data)
        n = len(graph.sent(U))
        graph.press(U, data)
        graph.wait_sent(U, n + 1)
    question = graph.sent(U)[-1]
    assert any(i.startswith("pq:0:") for i in question.ids)
    graph.age(U, 25)  # they put the phone down; the window closed for WhatsApp
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "poll", "remind", str(poll.id), "--after", "0"],
        env=web.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "1 reminder(s) queued" in done.stdout, done.stderr
    graph.wait(lambda: any(c.type == "template" for c in graph.sent(U)))
    (template,) = [c for c in graph.sent(U) if c.type == "template"]
    t = template.body["template"]
    assert (t["name"], t["language"]["code"]) == ("athar_poll_reminder", "fr")
    assert t["components"][0]["parameters"] == [{"type": "text", "text": "Jeunes et emploi"}]
    time.sleep(1.5)  # sweeps: nothing else goes out while the window is closed
    assert [c.type for c in graph.sent(U)].count("template") == 1
    n = len(graph.sent(U))
    graph.template_button(U, "wa:resume", "Continuer")
    graph.wait_for(U, question.ids[0], after=n)
    assert len(graph.refused(U)) == (1 if refusal == "sync" else 0)  # the 131047 answer
    engine.dispose()


def test_the_number_sends_at_most_its_rate(graph, athar_web, sqlite_db_url):
    """30 users write at once to a number allowed 10 messages a second: the replies are paced."""
    athar_web(sqlite_db_url, ATHAR_WHATSAPP__MAX_RATE="10")
    users = [f"2126000005{i:02d}" for i in range(30)]
    for u in users:
        graph.text(u, "bonjour")
    graph.wait(lambda: all(graph.sent(u) for u in users), timeout=90)
    times = sorted(c.at for c in graph.calls if c.method == "messages" and c.status == 200)
    assert len(times) >= 30
    busiest = max(sum(1 for t in times if s <= t < s + 2.0) for s in times)
    assert busiest <= 2 * 10 + 2, busiest
    assert times[-1] - times[0] >= (len(times) - 1) / 10 * 0.8


def test_make_run_serves_whatsapp_and_polls_telegram_in_one_process(graph, athar_web, sqlite_db_url):
    """`athar run` (what `make run` starts) with the WhatsApp settings and a Telegram token:
    the /whatsapp webhook and Telegram's long polling, one process, one delivery runtime; it
    stops cleanly on SIGTERM."""
    from tests.telegram.emulator import TOKEN as TG_TOKEN, BotApiEmulator, buttons

    tg = BotApiEmulator().start()
    try:
        web = athar_web(
            sqlite_db_url, "run", ATHAR_TELEGRAM_TOKEN=TG_TOKEN, ATHAR_TELEGRAM_API_URL=tg.api_url
        )
        graph.text(U, "bonjour")
        (greeting,) = graph.wait_sent(U, 1)
        assert "lang:fr" in greeting.ids
        tg.command(4242, "/start")
        (hello,) = tg.wait_sent(4242, 1, timeout=60)
        assert "lang:fr" in buttons(hello)
        err = web.stop()
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert web.proc.returncode in (0, -15) and "shutdown complete" in err, err[-3000:]
        assert TG_TOKEN not in err and "app-secret" not in err
    finally:
        tg.stop()


def test_numbers_invited_to_a_poll_get_its_template_and_its_button_starts_it(
    graph, athar_web, sqlite_db_url, tmp_path
):
    """`athar poll invite --whatsapp --send-to FILE`: people who never wrote to Athar get the
    poll_invitation template (title, commune); its button starts the poll."""
    import subprocess
    import sys
    from tests.polls.helpers import make_project, make_short_poll

    engine, uows = _uows(sqlite_db_url)
    poll = make_short_poll(uows, make_project(uows))
    web = athar_web(sqlite_db_url)
    a, b = "212600000201", "212600000202"
    numbers = tmp_path / "numbers.txt"
    numbers.write_text(f"# beneficiaries who agreed to be invited\n+{a}\n00 {b[:3]} {b[3:]}\n{a}\n")
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{a}\nAmina 0600\n")
    cmd = [
        sys.executable,
        "-m",
        "bot.cli",
        "poll",
        "invite",
        str(poll.id),
        "--whatsapp",
        "-o",
        str(tmp_path),
        "--lang",
        "ar",
        "--send-to",
    ]
    refused = subprocess.run(cmd + [str(bad)], env=web.env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "nothing sent" in refused.stderr
    done = subprocess.run(cmd + [str(numbers)], env=web.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "2 invitation(s) queued" in done.stdout, done.stderr
    for user in (a, b):
        graph.wait(lambda user=user: any(c.type == "template" for c in graph.sent(user)))
    time.sleep(1.5)
    (template,) = graph.sent(a)  # once, though the number was listed twice
    t = template.body["template"]
    assert (t["name"], t["language"]["code"]) == ("athar_poll_invitation", "ar")
    assert [p["text"] for p in t["components"][0]["parameters"]] == ["Jeunes et emploi", "بركان"]
    assert t["components"][1]["parameters"] == [{"type": "payload", "payload": poll.token}]
    graph.template_button(a, poll.token, "ابدأ")
    graph.wait_for(a, "lang:ar")
    engine.dispose()


def poison_conversation(db_url: str, channel: str, chat: str, language: str) -> None:
    """Make every message of one chat fail in the dispatcher, whatever the code does: its
    conversation (in `language`) cannot be saved any more (a trigger refuses it), as a bug or a
    broken row would. Nothing else is touched: the error reply and the dead letter still go."""
    from sqlalchemy import text

    engine, uows = _uows(db_url)
    with uows() as uow:
        conv = uow.conversations.lock(channel, chat)
        conv.language = language
        uow.conversations.save(conv)
        uow.commit()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    f"CREATE TRIGGER poisoned BEFORE UPDATE ON conversations WHEN OLD.chat_id = '{chat}' "
                    "BEGIN SELECT RAISE(ABORT, 'poisoned by the test'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION poisoned() RETURNS trigger AS $$ BEGIN "
                    f"IF OLD.chat_id = '{chat}' THEN RAISE EXCEPTION 'poisoned by the test'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER poisoned BEFORE UPDATE ON conversations "
                    "FOR EACH ROW EXECUTE FUNCTION poisoned()"
                )
            )
    engine.dispose()


def test_a_message_whose_handling_keeps_failing_is_a_dead_letter_and_its_sender_told(
    graph, athar_web, db_url
):
    """Issue 14: a message that fails every time it is handled is tried a few times, then
    kept as a dead letter, and its sender gets the error message in their language (here
    Arabic); other users are answered meanwhile, and the poisoned one is not tried for ever."""
    from bot.i18n import default_catalog
    from storage.delivery import DeliveryStore

    broken, fine = "212600000201", "212600000202"
    poison_conversation(db_url, "whatsapp", broken, "ar")
    web = athar_web(db_url)
    note = graph.text(broken, "salam")
    graph.text(fine, "bonjour")
    graph.wait_sent(fine, 1)
    (told,) = graph.wait_sent(broken, 1, timeout=60)
    assert told.text.translate(BIDI_CONTROLS) == default_catalog().text("common.error", "ar").translate(
        BIDI_CONTROLS
    )
    engine, _ = _uows(db_url)
    store = DeliveryStore(engine)
    graph.wait(lambda: len(store.dead_letters("whatsapp")) == 1)
    (dead,) = store.dead_letters("whatsapp")
    wamid = note["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert dead["stage"] == "handle" and dead["attempts"] >= 2 and wamid in dead["external_id"]
    assert "poisoned by the test" in dead["error"]
    time.sleep(2.5)  # two sweeps: it is not tried again, nor its sender told twice
    assert len(graph.sent(broken)) == 1 and store.count_pending("whatsapp") == 0
    assert "salam" not in web.stop()  # what the sender wrote stays out of the log
    engine.dispose()
