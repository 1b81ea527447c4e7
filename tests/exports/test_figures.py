"""One place for every figure (domain.figures): statuses by the indicator's own deadline and
baseline, the period's waves and measures, and report summaries equal to their tables."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from bot.commands._demo_data import DEMO_COMMUNES, MemoryStore, build_demo, materialise, project_data
from domain.figures import (
    baseline_of,
    baseline_with_answers,
    choose_waves,
    favourable,
    indicator_figure,
    indicator_status,
    is_favourable,
    period_end,
    value_at,
)
from domain.records import Indicator, Measurement, Poll, Project, Respondent
from exports.reports import (
    CommuneData,
    PeriodError,
    PollData,
    ReportInput,
    build_report,
    check_period,
    report_semesters,
)

from tests.exports.readback import clean

TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module")
def communes_by_id():
    from knowledge.loader import load_communes

    return {c.id: c for c in load_communes()}


@pytest.fixture(scope="module")
def demo():
    store = MemoryStore()
    return {c: project_data(materialise(build_demo(c), store)) for c in DEMO_COMMUNES}


def _m(period: str, value: float) -> Measurement:
    end = period_end(period)
    return Measurement(
        period=period, value=value, recorded_at=datetime(end.year, end.month, end.day, tzinfo=timezone.utc)
    )


PROJECT = Project(
    commune_id="berkane", title="P", period_start=date(2025, 1, 1), period_end=date(2026, 12, 31)
)


def test_status_follows_the_indicators_own_deadline_in_every_report():
    trained = Indicator(
        label="formés",
        baseline_value=0,
        target_value=120,
        target_date=date(2026, 6, 30),
        measurements=[_m("2026-S1", 97)],
    )
    semester = indicator_figure(trained, PROJECT, "2026-S1", TODAY)
    final = indicator_figure(trained, PROJECT, None, TODAY)
    assert semester.status == final.status == "not_achieved"  # the project's pace is not the rule
    early = indicator_figure(trained, PROJECT, "2025-S2", TODAY).status  # no measurement yet in 2025-S2
    assert early == "no_data"
    assert indicator_status(0, 120, 97, date(2026, 3, 31), date(2025, 1, 1), date(2026, 6, 30)) == "on_track"
    assert indicator_status(50, 20, 35, date(2026, 1, 1), date(2025, 1, 1), date(2027, 1, 1)) == "on_track"
    assert indicator_status(50, 20, 60, date(2026, 1, 1), date(2025, 1, 1), date(2027, 1, 1)) == "worse"


def test_a_missing_baseline_is_never_taken_as_zero():
    ind = Indicator(label="satisfaits", target_value=80, measurements=[_m("2025-S2", 72)])
    fig = indicator_figure(ind, PROJECT, None, TODAY)
    assert fig.status == "no_baseline" and fig.progress is None


def test_a_semester_without_a_measure_shows_the_last_known_one_as_carried():
    ind = Indicator(label="x", baseline_value=10, target_value=50, measurements=[_m("2025-S2", 30)])
    fig = indicator_figure(ind, PROJECT, "2026-S1", TODAY)
    assert fig.value == 30 and fig.carried and fig.status != "no_data"
    assert value_at(ind, date(2025, 6, 30)) is None


def test_a_baseline_measurement_is_the_starting_value_not_an_observed_one():
    start = _m("2025-S1", 12).model_copy(update={"baseline": True})
    ind = Indicator(label="x", baseline_value=12, target_value=40, measurements=[start])
    fig = indicator_figure(ind, PROJECT, None, TODAY)
    assert fig.value is None and fig.status == "no_data"
    ind.measurements.append(_m("2026-S1", 30))
    assert indicator_figure(ind, PROJECT, None, TODAY).value == 30


def test_favourable_answers_are_judged_once():
    assert is_favourable("scale5", 4) and not is_favourable("scale5", 3)
    assert is_favourable("wg4", 2) and not is_favourable("wg4", 3)
    assert is_favourable("yes_no", "yes") and is_favourable("choice", "x") is None
    assert favourable("scale5", [5, 4, 1, None, "2"]) == (2, 4)


def _poll(pid: int, wave: str, created: date, answers: list[date]) -> tuple:
    poll = Poll(
        id=pid,
        project_id=1,
        wave=wave,
        token=f"t{pid}",
        created_at=datetime(created.year, created.month, created.day, tzinfo=timezone.utc),
    )
    rs = [
        Respondent(
            id=pid * 100 + i,
            poll_id=pid,
            pseudonym=f"p{i}",
            consent=True,
            consent_at=datetime(d.year, d.month, d.day, tzinfo=timezone.utc),
        )
        for i, d in enumerate(answers)
    ]
    return (pid, poll, rs)


def test_the_period_chooses_the_waves_not_the_newest_poll():
    base = _poll(1, "baseline", date(2025, 1, 20), [date(2025, 1, 21)] * 28)
    follow = _poll(2, "follow-up", date(2026, 6, 10), [date(2026, 6, 11)] * 25)
    imported = _poll(3, "follow-up", date(2026, 11, 28), [date(2026, 11, 28)] * 2)
    polls = [base, follow, imported]
    s1 = choose_waves(polls, "2026-S1")
    assert (s1.baseline, s1.followup) == (1, 2)
    assert choose_waves(polls, None).followup == 2  # the final report: the real follow-up
    assert choose_waves(polls, "2026-S2").followup == 3
    only_base = choose_waves(polls, "2025-S1")
    assert (only_base.baseline, only_base.followup) == (1, None)
    assert choose_waves(polls, "2025-S2") == choose_waves([], None)


def _wave(pid: int, wave: str, day: int, project: int = 1) -> Poll:
    return Poll(
        id=pid,
        project_id=project,
        wave=wave,
        token=f"t{pid}",
        created_at=datetime(2026, 1, day, tzinfo=timezone.utc),
    )


# (what it shows, [(id, wave, day created, consenting people, project)], the follow-up's id, its baseline)
BASELINE_CASES = [
    ("the most answers, not the newest", [(1, "baseline", 1, 30, 1), (2, "baseline", 2, 3, 1)], 1),
    ("ties: the newest", [(1, "baseline", 1, 5, 1), (2, "baseline", 2, 5, 1)], 2),
    ("nobody answered: the newest", [(1, "baseline", 1, 0, 1), (2, "baseline", 2, 0, 1)], 2),
    ("one created after is not its baseline", [(1, "baseline", 1, 3, 1), (4, "baseline", 4, 50, 1)], 1),
    (
        "created the same day: the lower id is before",
        [(7, "baseline", 3, 1, 1), (9, "baseline", 3, 50, 1)],
        7,
    ),
    ("another project's is not", [(1, "baseline", 1, 1, 1), (2, "baseline", 2, 50, 2)], 1),
    ("a follow-up is never a baseline", [(1, "baseline", 1, 1, 1), (2, "follow-up", 2, 50, 1)], 1),
    ("none created before", [(4, "baseline", 4, 50, 1)], None),
    ("none at all", [], None),
]


@pytest.mark.parametrize(
    "polls, expected", [c[1:] for c in BASELINE_CASES], ids=[c[0] for c in BASELINE_CASES]
)
def test_the_baseline_of_a_follow_up(polls, expected):
    follow = _wave(8, "follow-up", 3)  # created on day 3, id 8
    triples = [(pid, _wave(pid, wave, day, project), n) for pid, wave, day, n, project in polls]
    assert baseline_of(follow, triples) == expected
    assert baseline_of(follow, list(reversed(triples))) == expected  # the order given does not matter
    # reports and the dashboard: the same baseline, none when it has no answers to show
    with_people = [
        (pid, poll, [Respondent(poll_id=pid, pseudonym=f"p{i}", consent=True) for i in range(n)])
        for pid, poll, n in triples
    ]
    shown = expected if expected is not None and dict((t[0], t[2]) for t in triples)[expected] else None
    assert baseline_with_answers(follow, with_people) == shown


def test_a_baseline_is_compared_with_nothing():
    base = _wave(1, "baseline", 1)
    assert baseline_of(_wave(8, "baseline", 3), [(1, base, 30)]) is None


def test_an_imported_small_follow_up_does_not_replace_the_real_one(demo, communes_by_id, tmp_path):
    pd = demo["berkane"]
    follow = pd.polls[1].poll
    small = PollData(
        follow.model_copy(
            update={
                "id": 999,
                "token": "imported",
                "questions": follow.questions[:3],
                "created_at": datetime(2026, 11, 28, tzinfo=timezone.utc),
            }
        ),
        [
            Respondent(
                id=99901 + i,
                poll_id=999,
                pseudonym=f"x{i}",
                consent=True,
                consent_at=datetime(2026, 11, 28, tzinfo=timezone.utc),
            )
            for i in range(2)
        ],
    )
    data = pd.__class__(pd.project, pd.polls + [small], pd.stories)
    for kind, period in (("semester", "2026-S1"), ("final", None)):
        doc = build_report(
            ReportInput(
                kind=kind,
                period=period,
                today=TODAY,
                communes=[CommuneData("berkane", communes_by_id["berkane"], [data])],
            ),
            "fr",
            tmp_path,
        )
        text = clean(
            "\n".join(getattr(b, "text", "") for b in doc.blocks)
            + "\n".join(i for b in doc.blocks for i in getattr(b, "items", []))
        )
        assert "du 10/06/2026 : 25 personnes ont répondu" in text, kind
        assert "résultat non publié" not in text
        if kind == "final":  # the annexed questionnaire is the one analysed (all its questions)
            tools = [
                b
                for b in doc.blocks
                if getattr(b, "items", None) and any("Vous sentez-vous chez vous" in i for i in b.items)
            ]
            assert tools and len(tools[0].items) == len(follow.questions)


def _n(cell: str) -> int:
    return int(re.sub(r"\D", "", clean(cell)) or 0)


@pytest.mark.parametrize("kind,lang", [("semester", "fr"), ("final", "ar"), ("semester", "ar")])
def test_every_summary_figure_equals_its_table(demo, communes_by_id, tmp_path, kind, lang):
    from exports.labels import Labels

    L = Labels(lang)
    doc = build_report(
        ReportInput(
            kind=kind,
            programme=True,
            today=TODAY,
            communes=[CommuneData(c, communes_by_id[c], [demo[c]]) for c in DEMO_COMMUNES],
        ),
        lang,
        tmp_path,
    )
    overview, indicators = doc.tables()[:2]
    effects = sum(_n(r[2]) for r in overview.rows)
    good = sum(_n(clean(r[3]).split()[0]) for r in overview.rows)
    total = sum(_n(clean(r[3]).split()[-1]) for r in overview.rows)
    respondents = sum(_n(r[4]) for r in overview.rows)
    stories = sum(_n(r[5]) for r in overview.rows)
    assert total == len(indicators.rows)  # the on-track column counts the rows shown
    good_labels = {L.t("report.status_achieved"), L.t("report.status_on_track")}
    assert good == sum(1 for r in indicators.rows if r[6] in good_labels)
    measured = sum(1 for r in indicators.rows if clean(r[4]))
    summary = [clean(b.text) for b in doc.blocks if type(b).__name__ == "Para"][:2]
    expect = [
        L.t("count.projects", n=len(overview.rows)),
        L.t("count.effects", n=effects),
        L.t("count.indicators", n=total),
        L.t("count.respondents", n=respondents),
        L.t("count.stories", n=stories),
        L.t("count.measured", n=measured, total=L.number(total)),
        L.t("count.good", n=good),
    ]
    for part in expect:
        assert clean(part) in " ".join(summary), part


def test_a_commune_summary_equals_its_tables(demo, communes_by_id, tmp_path):
    from exports.labels import Labels

    L = Labels("fr")
    doc = build_report(
        ReportInput(
            kind="semester",
            today=TODAY,
            communes=[CommuneData("belfaa", communes_by_id["belfaa"], [demo["belfaa"]])],
        ),
        "fr",
        tmp_path,
    )
    table = doc.tables()[1]
    assert table.headers[0] == "Effet attendu"
    effects = sum(1 for r in table.rows if r[0])
    indicators = sum(1 for r in table.rows if r[1] != L.t("logframe.no_indicator"))
    summary = clean(doc.blocks[1].text)
    assert L.t("count.effects", n=effects) in summary and L.t("count.indicators", n=indicators) in summary


def test_no_story_is_quoted_twice_and_every_commune_is_distinct(demo, communes_by_id, tmp_path):
    doc = build_report(
        ReportInput(
            kind="final",
            programme=True,
            today=TODAY,
            communes=[CommuneData(c, communes_by_id[c], [demo[c]]) for c in DEMO_COMMUNES],
        ),
        "fr",
        tmp_path,
    )
    quotes = [clean(b.text) for b in doc.blocks if type(b).__name__ == "Para" and " — «" in clean(b.text)]
    assert len(quotes) == len(set(q.split(" — ", 1)[1] for q in quotes)) == 10
    titles = {demo[c].project.title for c in DEMO_COMMUNES}
    stories = {s.text for c in DEMO_COMMUNES for s in demo[c].stories}
    assert len(titles) == 10 and len(stories) == sum(len(demo[c].stories) for c in DEMO_COMMUNES)


def test_a_period_outside_the_projects_is_refused(demo, communes_by_id):
    communes = [CommuneData("berkane", communes_by_id["berkane"], [demo["berkane"]])]
    assert report_semesters(communes, TODAY) == ["2026-S2", "2026-S1", "2025-S2", "2025-S1"]
    check_period(communes, "2026-S1", TODAY)
    for bad in ("2031-S1", "2024-S2"):
        with pytest.raises(PeriodError, match="2025-S1 … 2026-S2"):
            check_period(communes, bad, TODAY)
    with pytest.raises(PeriodError):  # a semester still to come is refused too
        check_period(communes, "2026-S2", date(2026, 3, 1))
