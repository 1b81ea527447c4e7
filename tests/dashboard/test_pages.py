"""The dashboard's pages against the database: every figure a page shows is checked against
the records themselves (counted here directly, not through the dashboard's code)."""

from __future__ import annotations

import re

import pytest

from bot.dashboard.render import Page, Texts, render, texts
from bot.dashboard.views import Dashboard, Forbidden, NotFound
from domain.access import may_use
from bot.services.exports import Exporter
from domain.figures import value_at
from domain.records import User
from exports.labels import problems
from knowledge.loader import load_communes, load_knowledge

from tests.dashboard.helpers import TODAY, cells, html_attrs, number


class Urls:
    overview = "/dashboard"

    @staticmethod
    def commune(cid):
        return f"/dashboard/commune/{cid}"

    @staticmethod
    def project(pid):
        return f"/dashboard/project/{pid}"

    @staticmethod
    def poll(pid):
        return f"/dashboard/poll/{pid}"


def dashboard(lang="fr", minimum=5):
    knowledge = load_knowledge()
    exporter = Exporter(load_communes(), min_group_size=minimum, knowledge=knowledge)
    return Dashboard(exporter, TODAY, lang, tuple(m.id for m in knowledge.lessons))


def page(name, view, lang="fr", minimum=5):
    return render(f"{name}.html.j2", Page(lang, TODAY, minimum), urls=Urls, page=view)


def test_texts_have_both_languages_and_the_same_placeholders():
    assert texts(), "no dashboard texts loaded"
    assert problems(texts()) == []
    assert Texts("ar").t("report.status_behind") == "متأخر"  # falls back on the documents' labels


def test_overview_figures_match_the_records(programme):
    coordinator = User(id=1, role="coordinator")
    d = dashboard()
    with programme() as uow:
        html = page("overview", d.overview(uow, coordinator))
        rows = cells(html, "data-commune")
        total_projects = total_indicators = total_answers = 0
        for c in load_communes():
            row = rows[c.id]
            projects = [uow.projects.get(s.id) for s in uow.projects.list(c.id)]
            indicators = [
                i
                for p in projects
                for e in p.effects
                if e.expected and e.level in ("impact", "outcome")
                for i in e.indicators
            ]
            unmeasured = [i for i in indicators if value_at(i, TODAY) is None]
            polls = [pl for p in projects for pl in uow.polls.list(p.id)]
            answers = sum(1 for pl in polls for r in uow.respondents.list(pl.id) if r.consent)
            assert number(row["projects"]) == len(projects), c.id
            assert number(row["polls"]) == len(polls), c.id
            assert number(row["answers"]) == answers, c.id
            assert number(row["unmeasured"]) == len(unmeasured), c.id
            judged = sum(number(row[k]) for k in ("good", "late", "unmeasured", "unjudged"))
            assert judged == len(indicators), c.id
            total_projects += len(projects)
            total_indicators += len(indicators)
            total_answers += answers
        assert total_projects == 10 and total_answers > 0
        assert number(rows[""]["projects"]) == total_projects
        assert number(rows[""]["answers"]) == total_answers
        assert f"/dashboard/commune/{load_communes()[0].id}" in html


def test_arabic_pages_are_right_to_left(programme):
    d = dashboard("ar")
    coordinator = User(id=1, role="coordinator")
    with programme() as uow:
        project_id = uow.projects.list("berkane")[0].id
        poll_id = uow.polls.list(project_id)[-1].id
        pages = {
            "overview": page("overview", d.overview(uow, coordinator), "ar"),
            "commune": page("commune", d.commune(uow, coordinator, "berkane"), "ar"),
            "project": page("project", d.project(uow, coordinator, project_id), "ar"),
            "poll": page("poll", d.poll(uow, coordinator, poll_id), "ar"),
        }
    for name, html in pages.items():
        assert html_attrs(html) == {"lang": "ar", "dir": "rtl"}, name
        assert "الجماعة" in html or "جماعة" in html, name
        for svg in re.findall(r"<svg[^>]*>", html):
            assert 'direction="rtl"' in svg, name
    assert "<svg" in pages["project"] and "<svg" in pages["poll"]
    # no physical left/right in the style sheet: logical properties only
    css = re.search(r"<style>(.*)</style>", pages["overview"], re.S).group(1)
    assert not re.search(r"(margin|padding|border)-(left|right)|text-align:\s*(left|right)", css)


def test_project_page_shows_baseline_latest_target_and_masks_contacts(programme):
    d = dashboard()
    viewer = User(id=2, role="official", commune_id="berkane")
    with programme() as uow:
        project = uow.projects.get(uow.projects.list("berkane")[0].id)
        project.problem = "Appelez le 0612345678 ou x.y@example.org : les jeunes sont sans travail"
        uow.projects.save(project)
        uow.commit()
        html = page("project", d.project(uow, viewer, project.id))
    assert "0612345678" not in html and "x.y@example.org" not in html
    assert "les jeunes sont sans travail" in html
    figures = {k: v for k, v in cells(html, "data-indicator").items() if k}
    indicators = {i.id: i for e in project.effects for i in e.indicators}
    assert set(figures) == {str(i) for i in indicators}
    for iid, fig in figures.items():
        ind = indicators[int(iid)]
        m = value_at(ind, TODAY)
        if ind.baseline_value is not None:
            assert number(fig["baseline"]) == int(ind.baseline_value)
        if m is not None:
            assert number(fig["latest"]) == int(m.value)
        if ind.target_value is not None:
            assert number(fig["target"]) == int(ind.target_value)
    for e in project.effects:
        if not e.expected:
            assert e.statement in html


def test_poll_page_suppresses_small_groups_as_the_exports_do(programme):
    coordinator = User(id=1, role="coordinator")
    with programme() as uow:
        project_id = uow.projects.list("berkane")[0].id
        follow = next(p for p in uow.polls.list(project_id) if p.wave == "follow-up")
        answers = uow.responses.for_poll(follow.id)
        consenting = {r.id for r in uow.respondents.list(follow.id) if r.consent}
        shown = page("poll", dashboard().poll(uow, coordinator, follow.id))
        hidden = page("poll", dashboard(minimum=100).poll(uow, coordinator, follow.id), minimum=100)
    rows = cells(shown, "data-question")
    assert rows, "no question shown for 12 people with a minimum of 5"
    for qid, fig in rows.items():
        if "n" in fig:
            assert number(fig["n"]) == sum(
                1
                for a in answers
                if a.question == qid and a.respondent_id in consenting and a.value is not None
            )
    assert "data-question" not in hidden
    assert "small-group" in hidden


def test_who_sees_what(programme):
    d = dashboard()
    official = User(id=3, role="official", commune_id="berkane")
    other = User(id=4, role="official", commune_id="tanger")
    with programme() as uow:
        berkane = uow.projects.list("berkane")[0].id
        poll = uow.polls.list(berkane)[0].id
        with pytest.raises(Forbidden):
            d.overview(uow, official)
        assert d.commune(uow, official, "berkane").projects
        for call in (
            lambda: d.commune(uow, other, "berkane"),
            lambda: d.project(uow, other, berkane),
            lambda: d.poll(uow, other, poll),
        ):
            with pytest.raises(Forbidden):
                call()
        with pytest.raises(NotFound):
            d.commune(uow, official, "atlantis")
        with pytest.raises(NotFound):
            d.project(uow, official, 10**6)
    assert may_use(official) and may_use(User(role="coordinator"))
    assert not may_use(User(role=None)) and not may_use(User(role="staff", commune_id=None))
