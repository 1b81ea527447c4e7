"""Downloads from the dashboard: every export as a job with its own page, only what the viewer
may have, the file its owner's only."""

from __future__ import annotations

import re
import time

import pytest
from starlette.testclient import TestClient

from tests.dashboard.test_access import athar, csrf, link_from_bot, sign_in, web  # noqa: F401


def signed_in(athar, web, **kw):  # noqa: F811
    _, path = link_from_bot(athar, **kw)
    r = sign_in(web, path)
    assert r.status_code == 303
    return web


def ask(web, page: str, **form) -> object:  # noqa: F811
    html = web.get(page).text
    return web.post("/dashboard/export", data={"csrf": csrf(html), "back": page, **form})


def wait_done(web, location: str, seconds: float = 60) -> str:  # noqa: F811
    end = time.monotonic() + seconds
    while True:
        html = web.get(location).text
        state = re.search(r'data-state="(\w+)"', html).group(1)
        if state not in ("queued", "running"):
            return html
        assert 'http-equiv="refresh"' in html  # the page reloads itself while it waits
        assert time.monotonic() < end, "the job did not finish"
        time.sleep(0.3)


def test_an_official_downloads_the_logframe_of_their_project(athar, web):  # noqa: F811
    signed_in(athar, web)
    with athar.uow_factory() as uow:
        project = uow.projects.list("berkane")[0].id
    page = f"/dashboard/project/{project}"
    assert 'data-what="logframe"' in web.get(page).text
    r = ask(web, page, what="logframe", fmt="xlsx", lang="ar", project=str(project))
    assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/jobs/")
    html = wait_done(web, r.headers["location"])
    assert 'data-state="done"' in html and f'href="{page}"' in html
    file_url = re.search(r'id="file" href="([^"]+)"', html).group(1)
    f = web.get(file_url)
    assert f.status_code == 200 and f.content[:2] == b"PK"  # a real XLSX (a zip)
    assert "attachment" in f.headers["content-disposition"]
    # another user may not fetch it
    other = TestClient(web.app, follow_redirects=False)
    signed_in(athar, other, user="omar")
    assert other.get(file_url).status_code == 404
    assert other.get(r.headers["location"]).status_code == 404
    with athar.uow_factory() as uow:
        actions = [(e.action, e.target) for e in uow.audit.list(50)]
    assert ("dashboard.export", "export:logframe") in actions
    assert ("dashboard.download", "export:logframe") in actions


def test_what_an_official_may_not_download(athar, web):  # noqa: F811
    signed_in(athar, web)
    with athar.uow_factory() as uow:
        mine = uow.projects.list("berkane")[0].id
        other = uow.projects.list("tanger")[0].id
        my_poll = uow.polls.list(mine)[0].id
    page = f"/dashboard/project/{mine}"
    refused = [
        dict(what="logframe", fmt="pdf", lang="fr", project=str(other)),
        dict(what="results", fmt="csv", lang="fr", poll=str(my_poll)),  # row-level
        dict(what="report_final", fmt="pdf", lang="fr"),  # the whole programme
        dict(what="report_final", fmt="pdf", lang="fr", commune="tanger"),
        dict(what="logframe", fmt="exe", lang="fr", project=str(mine)),
        dict(what="report_semester", fmt="pdf", lang="fr", commune="berkane", period="1999-S1"),
    ]
    for form in refused:
        assert ask(web, page, **form).status_code == 403, form
    poll_page = web.get(f"/dashboard/poll/{my_poll}").text
    assert 'data-what="results"' in poll_page and 'value="csv"' not in poll_page
    assert web.post("/dashboard/export", data=refused[0] | {"csrf": "0" * 64}).status_code == 403


@pytest.mark.slow
def test_a_coordinator_gets_a_programme_report_through_the_job_page(athar, web):  # noqa: F811
    signed_in(athar, web, user="karim", role="coordinator", commune=None)
    overview = web.get("/dashboard").text
    assert 'data-what="report_semester"' in overview and 'data-what="learning"' in overview
    r = ask(web, "/dashboard", what="report_final", fmt="md", lang="fr")
    html = wait_done(web, r.headers["location"], 120)
    assert 'data-state="done"' in html
    f = web.get(re.search(r'id="file" href="([^"]+)"', html).group(1))
    assert f.status_code == 200 and "Rapport final" in f.text
    with athar.uow_factory() as uow:
        poll = uow.polls.list(uow.projects.list("berkane")[0].id)[-1].id
    r = ask(web, f"/dashboard/poll/{poll}", what="results", fmt="csv", lang="fr", poll=str(poll))
    assert 'data-state="done"' in wait_done(web, r.headers["location"])
