"""The project aggregate: add, get, save (children added, changed, removed, moved), delete."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from domain.records import (
    Effect,
    Indicator,
    Measurement,
    Poll,
    Project,
    Respondent,
    Response,
    Stakeholder,
    Story,
    TargetPublic,
)
from storage.tables import (
    EffectRow,
    IndicatorRow,
    MeasurementRow,
    PollRow,
    RespondentRow,
    ResponseRow,
    StakeholderRow,
    StoryRow,
    TargetPublicRow,
)


def _full_project() -> Project:
    return Project(
        commune_id="ait_baha",
        title="Espace jeunes",
        problem="Peu de lieux pour les jeunes",
        activities=["ateliers", "sorties"],
        period_start=date(2026, 1, 1),
        publics=[
            TargetPublic(category="youth", detail="15-24 ans", expected_number=120),
            TargetPublic(category="women"),
        ],
        stakeholders=[
            Stakeholder(group="families", kind="indirect", how_affected="temps libre", polarity="positive"),
            Stakeholder(group="non_selected_peers", polarity="negative"),
        ],
        effects=[
            Effect(
                statement="Les jeunes se sentent plus en confiance",
                domain="wellbeing",
                indicators=[
                    Indicator(
                        label="% de jeunes confiants",
                        unit="%",
                        baseline_value=20,
                        target_value=50,
                        target_date=date(2027, 6, 30),
                        disaggregation=["sex", "age_band"],
                        measurements=[
                            Measurement(period="2026-S1", value=25.5, disaggregated={"f": 30, "m": 21})
                        ],
                    ),
                    Indicator(label="Nombre de visites", unit="visites"),
                ],
            ),
            Effect(
                statement="Tension avec les non-sélectionnés",
                expected=False,
                polarity="negative",
                party="non_selected_peers",
            ),
        ],
    )


def _strip_ids(project: Project) -> dict:
    """The aggregate as data without any id, to compare content."""

    def walk(x):
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items() if k != "id"}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x

    return walk(project.model_dump())


def _all_ids(project: Project) -> list:
    ids = [project.id]
    ids += [p.id for p in project.publics] + [s.id for s in project.stakeholders]
    for e in project.effects:
        ids.append(e.id)
        for i in e.indicators:
            ids.append(i.id)
            ids += [m.id for m in i.measurements]
    return ids


def _count(uow, row) -> int:
    return uow.session.scalar(select(func.count()).select_from(row))


def test_add_fills_ids_and_get_returns_the_same(uow_factory):
    given = _full_project()
    with uow_factory() as uow:
        saved = uow.projects.add(given)
        uow.commit()
    assert None not in _all_ids(saved)
    assert given.id is None and given.effects[0].id is None  # the argument is not mutated
    assert _strip_ids(saved) == _strip_ids(given)
    with uow_factory() as uow:
        assert uow.projects.get(saved.id) == saved
        assert uow.projects.get(saved.id + 1000) is None


def test_save_adds_changes_and_removes_children(uow_factory):
    with uow_factory() as uow:
        saved = uow.projects.add(_full_project())
        uow.commit()
    eff0, eff1 = saved.effects
    ind0, ind1 = eff0.indicators
    new = saved.model_copy(deep=True)
    new.title = "Espace jeunes (v2)"
    new.activities = ["ateliers"]
    new.publics = [new.publics[1]]  # youth removed, women kept
    new.publics[0].detail = "mères"
    new.stakeholders.append(Stakeholder(group="associations"))
    new.effects = [eff1.model_copy(deep=True), eff0.model_copy(deep=True)]  # reordered
    new.effects[0].statement = "Moins de tensions"
    new.effects[1].indicators = [ind0.model_copy(deep=True)]  # ind1 removed
    new.effects[1].indicators[0].measurements.append(Measurement(period="2026-S2", value=31))
    new.effects[1].indicators[0].measurements[0].value = 26.0
    new.effects.append(
        Effect(statement="Les familles participent", indicators=[Indicator(label="Parents présents")])
    )
    with uow_factory() as uow:
        result = uow.projects.save(new)
        uow.commit()
    assert _strip_ids(result) == _strip_ids(new)
    # kept children keep their ids, new ones get fresh ids
    assert result.publics[0].id == saved.publics[1].id
    assert result.stakeholders[0].id == saved.stakeholders[0].id
    assert result.stakeholders[2].id not in (None, *[s.id for s in saved.stakeholders])
    assert [e.id for e in result.effects[:2]] == [eff1.id, eff0.id]
    assert result.effects[1].indicators[0].id == ind0.id
    m_old, m_new = result.effects[1].indicators[0].measurements
    assert m_old.id == ind0.measurements[0].id and m_old.value == 26.0
    assert m_new.id is not None and m_new.id != m_old.id
    with uow_factory() as uow:
        assert uow.projects.get(saved.id) == result
        # removed children are really gone from the tables
        assert _count(uow, TargetPublicRow) == 1
        assert _count(uow, StakeholderRow) == 3
        assert _count(uow, EffectRow) == 3
        assert _count(uow, IndicatorRow) == 2
        assert _count(uow, MeasurementRow) == 2
        assert uow.session.get(IndicatorRow, ind1.id) is None


def test_indicator_moves_to_another_effect_keeping_id_and_measurements(uow_factory):
    with uow_factory() as uow:
        saved = uow.projects.add(_full_project())
        uow.commit()
    moved = saved.effects[0].indicators[0]
    new = saved.model_copy(deep=True)
    new.effects[0].indicators = new.effects[0].indicators[1:]
    new.effects[1].indicators = [moved]
    # ... and the first effect is removed altogether in a second save below
    with uow_factory() as uow:
        result = uow.projects.save(new)
        uow.commit()
    assert result.effects[1].indicators[0].id == moved.id
    assert result.effects[1].indicators[0].measurements == moved.measurements
    new2 = result.model_copy(deep=True)
    new2.effects = new2.effects[1:]
    with uow_factory() as uow:
        result2 = uow.projects.save(new2)
        uow.commit()
    with uow_factory() as uow:
        got = uow.projects.get(saved.id)
        assert got == result2
        assert [i.id for e in got.effects for i in e.indicators] == [moved.id]
        assert _count(uow, MeasurementRow) == 1


def test_save_empty_lists_removes_everything(uow_factory):
    with uow_factory() as uow:
        saved = uow.projects.add(_full_project())
        uow.commit()
    with uow_factory() as uow:
        uow.projects.save(saved.model_copy(update={"publics": [], "stakeholders": [], "effects": []}))
        uow.commit()
    with uow_factory() as uow:
        got = uow.projects.get(saved.id)
        assert (got.publics, got.stakeholders, got.effects) == ([], [], [])
        for row in (TargetPublicRow, StakeholderRow, EffectRow, IndicatorRow, MeasurementRow):
            assert _count(uow, row) == 0, row


def test_child_id_of_another_project_is_inserted_not_stolen(uow_factory):
    with uow_factory() as uow:
        a = uow.projects.add(_full_project())
        b = uow.projects.add(Project(commune_id="tiznit", title="B"))
        uow.commit()
    foreign = a.effects[0].model_copy(deep=True)
    with uow_factory() as uow:
        b2 = uow.projects.save(b.model_copy(update={"effects": [foreign]}))
        uow.commit()
    assert b2.effects[0].id != foreign.id
    with uow_factory() as uow:
        assert uow.projects.get(a.id) == a  # untouched


def test_list_summaries(uow_factory):
    with uow_factory() as uow:
        a = uow.projects.add(_full_project())
        b = uow.projects.add(Project(commune_id="tiznit", title="B", phase="monitoring"))
        uow.commit()
    with uow_factory() as uow:
        summaries = uow.projects.list()
        assert [(s.id, s.commune_id, s.title, s.phase, s.n_effects, s.n_indicators) for s in summaries] == [
            (a.id, "ait_baha", "Espace jeunes", "design", 2, 2),
            (b.id, "tiznit", "B", "monitoring", 0, 0),
        ]
        assert [s.id for s in uow.projects.list("tiznit")] == [b.id]


def test_delete_cascades_to_every_child(uow_factory):
    with uow_factory() as uow:
        keep = uow.projects.add(_full_project())
        gone = uow.projects.add(_full_project())
        poll = uow.polls.add(Poll(project_id=gone.id, token="tok"))
        resp = uow.respondents.add(Respondent(poll_id=poll.id, pseudonym="p", consent=True))
        uow.responses.upsert(Response(respondent_id=resp.id, question="q", value=1))
        uow.respondents.add_refusal(poll.id)
        uow.stories.add(Story(project_id=gone.id, respondent_id=resp.id, text="x"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.projects.delete(gone.id) is True
        assert uow.projects.delete(gone.id) is False
        uow.commit()
    with uow_factory() as uow:
        assert uow.projects.get(gone.id) is None
        assert uow.projects.get(keep.id) == keep
        assert _count(uow, EffectRow) == 2 and _count(uow, IndicatorRow) == 2
        assert _count(uow, MeasurementRow) == 1 and _count(uow, TargetPublicRow) == 2
        for row in (PollRow, RespondentRow, ResponseRow, StoryRow):
            assert _count(uow, row) == 0, row
        assert uow.respondents.count_refusals(poll.id) == 0
