"""The dashboard in a real browser: Debian's Chromium (headless) driven by Selenium through the
system chromedriver, against `athar web`'s ASGI app served by uvicorn on a loopback port.

A coordinator and an official get their sign-in link from the bot (/dashboard in the chat),
open it and press the button; every page is opened in French, then in Arabic through the
page's own language switch; figures are read off the rendered page and checked against the
database; Arabic pages must be laid out right to left (the first column of a table is on the
right). Refused: a signed-out browser, an official on another commune's pages, a reused link and
an expired one. Screenshots of every page are kept in var/test-artifacts/dashboard/.

`make test` installs Chromium and chromedriver with apt (bot/dashboard/dashboard.mk); where they
cannot be installed these tests are skipped with the reason.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.app import build_app
from bot.channels.web import create_app
from bot.settings import ROOT, load_settings
from domain.figures import value_at
from domain.records import utcnow

from tests.bot.helpers import Chat
from tests.dashboard.helpers import TODAY
from tests.dashboard.test_access import LINK

ARTIFACTS = ROOT / "var" / "test-artifacts" / "dashboard"


def _browser() -> tuple[str, str] | str:
    """(chromium, chromedriver), or why there is none."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        return (
            "Chromium and chromedriver are not installed and could not be installed here "
            "(make test runs `make dashboard-testdeps`: apt-get install chromium chromium-driver)"
        )
    return chromium, driver


BROWSER = _browser()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(isinstance(BROWSER, str), reason=str(BROWSER))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(seeded_db_url):
    """`athar web`'s app on a loopback port (uvicorn in a thread); yields (base URL, app)."""
    import uvicorn

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = load_settings(database_url=seeded_db_url, nlu={"url": ""}, dashboard={"url": base})
    athar = build_app(settings, nlu=None)
    config = uvicorn.Config(
        create_app(settings, athar=athar),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield base, athar
    srv.should_exit = True
    thread.join(10)
    athar.close()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = BROWSER  # type: ignore[misc]
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--lang=fr-FR",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
    ):
        options.add_argument(arg)
    b = webdriver.Chrome(service=Service(driver), options=options)
    b.set_page_load_timeout(30)
    yield b
    b.quit()


def link(athar, user: str, role: str = "official", commune: str | None = "Berkane", lang: str = "fr") -> str:
    chat = Chat(athar.dispatcher, user=user)
    chat.register(athar.uow_factory, role, commune, lang)
    said = Chat.text(chat.command("dashboard"))
    m = LINK.search(said)
    assert m, said
    return m.group(0)


def open_link(b, url: str) -> None:
    """Open a sign-in link and press its button (waiting for the next page)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    b.get(url)
    button = b.find_element(By.ID, "signin")
    button.click()
    WebDriverWait(b, 15).until(ec.staleness_of(button))


def shot(b, name: str) -> None:
    """A screenshot of the whole page (the window made as tall as the page)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width = b.get_window_size()["width"]
    height = b.execute_script("return Math.min(document.documentElement.scrollHeight, 6000)")
    b.set_window_size(width, max(height + 120, 600))
    b.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    b.set_window_size(width, 1000)
    assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000


def figure(b, row_attr: str, row: str, name: str) -> int:
    from selenium.webdriver.common.by import By

    cell = b.find_element(By.CSS_SELECTOR, f'[{row_attr}="{row}"] [data-figure="{name}"]')
    return int(re.sub(r"\D", "", re.search(r"\d[\d\s\u00a0\u202f.]*", cell.text).group(0)))


def layout(b) -> tuple[str, str]:
    return (
        b.execute_script("return document.documentElement.dir"),
        b.execute_script("return getComputedStyle(document.body).direction"),
    )


def first_column_side(b, table_id: str) -> str:
    """Which side the first column of a table is on: 'right' in a right-to-left layout."""
    from selenium.webdriver.common.by import By

    ths = b.find_elements(By.CSS_SELECTOR, f"#{table_id} thead th")
    first, last = ths[0].rect["x"], ths[-1].rect["x"]
    return "right" if first > last else "left"


def switch_language(b) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    button = b.find_element(By.CSS_SELECTOR, "form.lang button")
    button.click()
    WebDriverWait(b, 15).until(ec.staleness_of(button))


def test_coordinator_pages_in_french_and_arabic(server, browser):
    base, athar = server
    b = browser
    open_link(b, link(athar, "karim", "coordinator", None))
    assert b.current_url == base + "/dashboard"
    with athar.uow_factory() as uow:
        project = uow.projects.get(uow.projects.list("berkane")[0].id)
        polls = uow.polls.list(project.id)
        answers = sum(1 for pl in polls for r in uow.respondents.list(pl.id) if r.consent)
        follow = next(p for p in polls if p.wave == "follow-up")
        follow_answered = sum(1 for r in uow.respondents.list(follow.id) if r.consent)
        all_projects = len(uow.projects.list())
    pages = {
        "overview": "/dashboard",
        "commune": "/dashboard/commune/berkane",
        "project": f"/dashboard/project/{project.id}",
        "poll": f"/dashboard/poll/{follow.id}",
    }
    for lang in ("fr", "ar"):
        for name, path in pages.items():
            b.get(base + path)
            assert layout(b) == (("rtl", "rtl") if lang == "ar" else ("ltr", "ltr")), (name, lang)
            if name == "overview":
                assert figure(b, "data-commune", "berkane", "projects") == 1
                assert figure(b, "data-commune", "berkane", "polls") == len(polls)
                assert figure(b, "data-commune", "berkane", "answers") == answers
                assert figure(b, "data-commune", "", "projects") == all_projects
                assert first_column_side(b, "communes") == ("right" if lang == "ar" else "left")
            if name == "project":
                ind = next(
                    i
                    for e in project.effects
                    for i in e.indicators
                    if value_at(i, TODAY) is not None and i.target_value is not None
                )
                assert figure(b, "data-indicator", str(ind.id), "latest") == int(value_at(ind, TODAY).value)
                assert figure(b, "data-indicator", str(ind.id), "target") == int(ind.target_value)
                assert b.find_elements("css selector", f'[data-indicator="{ind.id}"] svg.chart')
            if name == "poll":
                shown = b.find_element("css selector", '[data-figure="answered"]')
                assert int(shown.get_attribute("data-value")) == follow_answered
                assert str(follow_answered) in shown.text
                svg_dir = b.execute_script(
                    "const s = document.querySelector('svg.chart'); return s && getComputedStyle(s).direction"
                )
                assert svg_dir == ("rtl" if lang == "ar" else "ltr")
            shot(b, f"{name}-{lang}")
        if lang == "fr":
            switch_language(b)  # kept for this user: every page after is in Arabic
            assert layout(b)[0] == "rtl"
    # on a phone
    b.set_window_size(390, 844)
    b.get(base + pages["project"])
    overflow = b.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, "the page is wider than a phone's screen"
    shot(b, "project-ar-phone")


def test_refusals_in_the_browser(server, browser):
    base, athar = server
    b = browser
    # signed out
    b.get(base + "/dashboard/commune/berkane")
    assert "/dashboard" in b.find_element("css selector", ".error").text
    shot(b, "refused-signed-out")
    # an official of Berkane: their commune, not Tanger's
    url = link(athar, "amina")
    open_link(b, url)
    assert b.current_url == base + "/dashboard/commune/berkane"
    b.get(base + "/dashboard/commune/tanger")
    assert b.find_elements("css selector", ".error") and "Tanger" not in b.page_source
    shot(b, "refused-other-commune")
    # the same link again, in a fresh browser session
    b.delete_all_cookies()
    b.get(url)
    assert "une fois" in b.find_element("css selector", ".error").text  # used
    assert not b.find_elements("id", "signin")
    shot(b, "refused-reused-link")
    b.get(base + "/dashboard/commune/berkane")
    assert b.find_elements("css selector", ".error")  # and still signed out
    # an expired link
    expired = link(athar, "omar")
    with athar.db_engine.begin() as conn:
        conn.execute(
            text("UPDATE web_tokens SET expires_at = :t WHERE kind = 'link' AND used_at IS NULL"),
            {"t": (utcnow() - timedelta(seconds=1)).replace(tzinfo=None)},
        )
    b.get(expired)
    assert "expiré" in b.find_element("css selector", ".error").text
    assert not b.find_elements("id", "signin")
    shot(b, "refused-expired-link")
