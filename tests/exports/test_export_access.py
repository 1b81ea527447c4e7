"""Who may have which export (Exporter.refusal): the one check behind the /export dialogue and the
dashboard's downloads. An official gets their commune's projects, polls and reports; another
commune's records, or the whole programme, are refused with the key the chat shows; coordinators
get everything."""

from __future__ import annotations

import pytest

from bot.services.exports import Exporter, ExportJob
from domain.records import User
from knowledge.loader import load_communes
from tests.polls.helpers import make_poll, make_project

OFFICIAL = User(id=1, role="official", commune_id="berkane", language="fr")
COORDINATOR = User(id=2, role="coordinator", commune_id=None, language="fr")


@pytest.fixture
def records(uow_factory, tmp_path):
    own, other = make_project(uow_factory), make_project(uow_factory, title="Ailleurs")
    with uow_factory() as uow:
        project = uow.projects.get(other)
        project.commune_id = "tanger"
        uow.projects.save(project)
        uow.commit()
    own_poll, other_poll = make_poll(uow_factory, own), make_poll(uow_factory, other)
    return Exporter(load_communes(), out_dir=tmp_path), own, other, own_poll.id, other_poll.id


def test_an_official_gets_their_communes_exports_only(uow_factory, records):
    exporter, own, other, own_poll, other_poll = records
    cases = [
        (ExportJob("logframe", "docx", project_id=own), None),
        (ExportJob("logframe", "docx", project_id=other), "export.no_project"),
        (ExportJob("logframe", "docx", project_id="not a number"), "export.no_project"),
        (ExportJob("results", "png", project_id=own, poll_id=own_poll), None),
        (ExportJob("results", "png", project_id=own, poll_id=other_poll), "export.no_poll"),
        (ExportJob("xlsform", "xlsx", poll_id=other_poll), "export.no_poll"),
        (ExportJob("report_semester", "pdf", commune_id="berkane"), None),
        (ExportJob("report_final", "pdf", commune_id="tanger"), "export.failed"),
        (ExportJob("report_final", "pdf", commune_id=None), "export.failed"),
        (ExportJob("report_final", "pdf", programme=True), "export.failed"),
        (ExportJob("learning", "xlsx", programme=True), "export.failed"),
    ]
    with uow_factory() as uow:
        got = [exporter.refusal(uow, OFFICIAL, job) for job, _ in cases]
        as_dict = exporter.refusal(uow, OFFICIAL, {"what": "logframe", "fmt": "docx", "project_id": other})
    assert got == [want for _, want in cases]
    assert as_dict == "export.no_project"  # the chat's jobs are plain data


def test_a_coordinator_gets_everything_and_nobody_gets_nothing(uow_factory, records):
    exporter, own, other, own_poll, other_poll = records
    jobs = [
        ExportJob("logframe", "docx", project_id=other),
        ExportJob("results", "xlsx", poll_id=other_poll),
        ExportJob("report_final", "pdf", commune_id="tanger"),
        ExportJob("report_final", "pdf", programme=True),
    ]
    with uow_factory() as uow:
        assert [exporter.refusal(uow, COORDINATOR, job) for job in jobs] == [None] * 4
        assert [exporter.refusal(uow, None, job) for job in jobs] == [
            "export.no_project",
            "export.no_poll",
            "export.failed",
            "export.failed",
        ]
