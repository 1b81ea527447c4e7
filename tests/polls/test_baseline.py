"""One baseline per follow-up, wherever it is read: the bot's results message and `athar poll
results` (tests/polls/test_officials.py, test_cli.py), the reports' figures, the dashboard's poll
page and the results PNG (`exports.reports.focus_figures`) compare a follow-up with the same
baseline (`domain.figures.baseline_of`)."""

from __future__ import annotations

from bot.dashboard.views import Dashboard
from bot.services.exports import Exporter
from bot.services.polls import comparison_of
from domain.figures import semester_of
from domain.records import User
from exports.reports import focus_figures, project_figures
from knowledge.loader import load_communes, load_knowledge
from tests.dashboard.helpers import TODAY
from tests.polls.helpers import make_project, two_baselines


def test_reports_the_dashboard_and_the_bot_compare_a_follow_up_with_the_same_baseline(uow_factory):
    polls = two_baselines(uow_factory, make_project(uow_factory))
    ids = {name: p.id for name, p in polls.items()}
    knowledge = load_knowledge()
    exporter = Exporter(load_communes(), min_group_size=5, knowledge=knowledge)
    dashboard = Dashboard(exporter, TODAY, "fr", tuple(m.id for m in knowledge.lessons))
    coordinator = User(id=1, role="coordinator")
    with uow_factory() as uow:
        project = uow.projects.get(polls["main"].project_id)
        pd = exporter.project_data(uow, project)
        # the report (whole project, and the semester everyone answered in): the main follow-up
        for period in (None, semester_of(polls["main"].created_at.date())):
            f = project_figures(pd, period, TODAY)
            assert (f.followup.poll.id, f.baseline.poll.id) == (ids["main"], ids["late_base"])
            assert f.comparison.baseline_poll_id == ids["late_base"]
        for follow, base in (("early", "big"), ("main", "late_base")):
            # the dashboard's poll page and the results PNG
            focus = focus_figures(pd, ids[follow], TODAY)
            assert (focus.followup.poll.id, focus.baseline.poll.id) == (ids[follow], ids[base])
            assert focus.comparison.baseline_poll_id == ids[base]
            assert dashboard.poll(uow, coordinator, ids[follow]).baseline.poll_id == ids[base]
            # the bot's results message and `athar poll results`
            assert comparison_of(uow, uow.polls.get(ids[follow])).baseline_poll_id == ids[base]


def test_a_baseline_nobody_answered_is_named_by_the_bot_and_not_charted(uow_factory):
    """With no answers to any baseline yet, the bot says which baseline the follow-up will be
    compared with (0 people answered both); reports and the dashboard have no figures to show."""
    from tests.polls.helpers import answered, make_poll

    pid = make_project(uow_factory)
    first, second = make_poll(uow_factory, pid), make_poll(uow_factory, pid)
    follow = make_poll(uow_factory, pid, "follow-up")
    answered(uow_factory, follow.id, 6)
    exporter = Exporter(load_communes(), min_group_size=5, knowledge=load_knowledge())
    with uow_factory() as uow:
        cmp = comparison_of(uow, uow.polls.get(follow.id))
        assert (cmp.baseline_poll_id, cmp.n_linked) == (second.id, 0) and first.id < second.id
        f = focus_figures(exporter.project_data(uow, uow.projects.get(pid)), follow.id, TODAY)
        assert f.followup.poll.id == follow.id and f.baseline is None and f.comparison is None
