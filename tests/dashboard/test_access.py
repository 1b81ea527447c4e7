"""Signing in to the dashboard with a link the bot sends, sessions, CSRF, who sees what, and
the audit log: through the real ASGI app of `athar web` (Starlette's test client)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from bot.app import build_app
from bot.channels.web import create_app
from bot.settings import load_settings
from domain.records import utcnow

from tests.bot.helpers import Chat
from tests.dashboard.helpers import html_attrs

LINK = re.compile(r"(https?://[^\s\u2066-\u2069]+)/dashboard/signin/([A-Za-z0-9_\-]+)")


@pytest.fixture
def athar(seeded_db_url):
    settings = load_settings(
        database_url=seeded_db_url, nlu={"url": ""}, dashboard={"url": "http://testserver"}
    )
    app = build_app(settings, nlu=None)
    yield app
    app.close()


@pytest.fixture
def web(athar):
    with TestClient(create_app(athar.settings, athar=athar), follow_redirects=False) as client:
        yield client


def link_from_bot(
    athar, user="amina", role="official", commune="Berkane", lang="fr", registered=True
) -> tuple[str, str]:
    """Register a user in the chat (unless done), send /dashboard, return (reply text, link path)."""
    chat = Chat(athar.dispatcher, user=user)
    if registered:
        chat.register(athar.uow_factory, role, commune, lang)
    replies = chat.command("dashboard")
    said = Chat.text(replies)
    m = LINK.search(said)
    return said, (f"/dashboard/signin/{m.group(2)}" if m else "")


def sign_in(web, path) -> object:
    assert web.get(path).status_code == 200  # the page with the button: a GET uses nothing
    return web.post(path)


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)


def test_an_official_signs_in_with_the_link_and_sees_only_their_commune(athar, web):
    said, path = link_from_bot(athar)
    assert path, said
    assert "15 minutes" in said
    r = sign_in(web, path)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/commune/berkane"
    cookie = r.headers["set-cookie"]
    assert "athar_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/dashboard" in cookie and "Secure" not in cookie  # plain http here
    page = web.get("/dashboard/commune/berkane")
    assert page.status_code == 200 and "Berkane" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src" not in page.headers["content-security-policy"]
    assert web.get("/dashboard").headers["location"] == "/dashboard/commune/berkane"
    with athar.uow_factory() as uow:
        project = uow.projects.list("berkane")[0].id
        other = uow.projects.list("tanger")[0].id
        other_poll = uow.polls.list(other)[0].id
    assert web.get(f"/dashboard/project/{project}").status_code == 200
    for refused in (
        "/dashboard/commune/tanger",
        f"/dashboard/project/{other}",
        f"/dashboard/poll/{other_poll}",
    ):
        r = web.get(refused)
        assert r.status_code == 403, refused
        assert "Tanger" not in r.text
    assert web.get("/dashboard/commune/atlantis").status_code == 404


def test_a_link_works_once_and_not_after_it_expires(athar, web):
    _, path = link_from_bot(athar)
    assert sign_in(web, path).status_code == 303
    again = TestClient(web.app, follow_redirects=False)
    r = again.post(path)
    assert r.status_code == 410 and "/dashboard" in r.text
    assert again.get(path).status_code == 410
    assert again.get("/dashboard/commune/berkane").status_code == 401  # no session
    _, path2 = link_from_bot(athar, user="amina2")
    with athar.db_engine.begin() as conn:
        conn.execute(
            text("UPDATE web_tokens SET expires_at = :t WHERE kind = 'link' AND used_at IS NULL"),
            {"t": (utcnow() - timedelta(seconds=1)).replace(tzinfo=None)},
        )
    r = again.post(path2)
    assert r.status_code == 410 and "expir" in r.text
    assert again.get("/dashboard/signin/nothing-like-a-link").status_code == 404
    with athar.uow_factory() as uow:
        audit = uow.audit.list(50)
    reasons = {e.detail.get("reason") for e in audit if e.action == "dashboard.refused"}
    assert {"link_used", "link_expired", "link_unknown", "signed_out"} <= reasons
    for e in audit:  # no secret, no address, no browser in the log
        assert path.rsplit("/", 1)[1] not in repr(e) and "testclient" not in repr(e)


def test_only_the_secret_hash_is_stored(athar, web):
    _, path = link_from_bot(athar)
    secret = path.rsplit("/", 1)[1]
    r = sign_in(web, path)
    session = r.cookies.get("athar_session") or web.cookies.get("athar_session")
    with athar.db_engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM web_tokens")).all())
    assert secret not in dump and session and session not in dump


def test_forms_need_the_csrf_token_and_the_language_is_kept_per_user(athar, web):
    _, path = link_from_bot(athar)
    sign_in(web, path)
    page = web.get("/dashboard/commune/berkane")
    assert html_attrs(page.text) == {"lang": "fr", "dir": "ltr"}
    token = csrf(page.text)
    assert web.post("/dashboard/language", data={"lang": "ar"}).status_code == 403
    assert web.post("/dashboard/language", data={"lang": "ar", "csrf": "0" * 64}).status_code == 403
    assert (
        web.post(
            "/dashboard/language",
            data={"lang": "ar", "csrf": token},
            headers={"origin": "https://evil.example"},
        ).status_code
        == 403
    )
    r = web.post(
        "/dashboard/language", data={"lang": "ar", "csrf": token, "next": "/dashboard/commune/berkane"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/commune/berkane"
    assert html_attrs(web.get("/dashboard/commune/berkane").text) == {"lang": "ar", "dir": "rtl"}
    r = web.post("/dashboard/language", data={"lang": "ar", "csrf": token, "next": "https://evil.example/"})
    assert r.headers["location"] == "/dashboard"
    # a new sign-in (another browser) keeps the user's choice
    _, path2 = link_from_bot(athar, registered=False)
    other = TestClient(web.app, follow_redirects=False)
    sign_in(other, path2)
    assert html_attrs(other.get("/dashboard/commune/berkane").text)["dir"] == "rtl"
    # signing out needs the token too, then the session is gone
    assert web.post("/dashboard/signout", data={}).status_code == 403
    r = web.post("/dashboard/signout", data={"csrf": token})
    assert r.status_code == 200
    assert web.get("/dashboard/commune/berkane").status_code == 401
    assert other.get("/dashboard/commune/berkane").status_code == 200  # its own session


def test_a_coordinator_sees_the_programme_and_every_access_is_logged(athar, web):
    said, path = link_from_bot(athar, user="karim", role="coordinator", commune=None, lang="ar")
    assert "دقيقة" in said
    r = sign_in(web, path)
    assert r.headers["location"] == "/dashboard"
    overview = web.get("/dashboard")
    assert overview.status_code == 200 and html_attrs(overview.text)["dir"] == "rtl"
    assert web.get("/dashboard/commune/tanger").status_code == 200
    with athar.uow_factory() as uow:
        audit = uow.audit.list(20)
        user = next(u for u in uow.users.list() if u.role == "coordinator")
    views = [(e.user_id, e.target) for e in audit if e.action == "dashboard.view"]
    assert (user.id, "overview:programme") in views and (user.id, "commune:tanger") in views
    assert any(e.action == "dashboard.signin" and e.user_id == user.id for e in audit)


def test_secure_cookie_over_https(athar):
    _, path = link_from_bot(athar)
    with TestClient(
        create_app(athar.settings, athar=athar), base_url="https://testserver", follow_redirects=False
    ) as client:
        r = sign_in(client, path)
    assert "Secure" in r.headers["set-cookie"]


def test_the_command_in_every_variant_and_for_people_it_is_not_for(athar):
    for k, lang in enumerate(("fr", "ar", "ary", "ary-Latn")):
        said, path = link_from_bot(athar, user=f"v{k}", lang=lang)
        assert path, (lang, said)
    said, path = link_from_bot(athar, user="stranger", registered=False)
    assert not path  # an unregistered person gets the onboarding, not a link
    with athar.uow_factory() as uow:
        assert not any(e.action == "dashboard.link" and e.user_id is None for e in uow.audit.list(50))
