"""`athar export …` end to end on a real database (the CLI builds the app from settings)."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.commands._demo_data import berkane

from tests.exports.readback import docx_text


@pytest.fixture
def db(sqlite_db_url, sqlite_uow_factory, monkeypatch):
    monkeypatch.setenv("ATHAR_DATABASE_URL", sqlite_db_url)
    from bot.settings import get_settings

    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    yield sqlite_uow_factory
    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()


def test_logframe_json_and_docx(db, tmp_path, capsys):
    with db() as uow:
        pid = uow.projects.add(berkane()).id
        uow.commit()
    out = tmp_path / "lf.json"
    assert main(["export", "logframe", "--project", str(pid), "--format", "json", "-o", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["project"]["title"] == "Passerelle emploi jeunes"
    assert data["effects"][0]["indicators"][0]["latest"]["value"] == 31
    out2 = tmp_path / "lf.docx"
    assert (
        main(
            ["export", "logframe", "--project", str(pid), "--format", "docx", "--lang", "ar", "-o", str(out2)]
        )
        == 0
    )
    assert "الإطار المنطقي" in docx_text(out2)
    assert str(out2) in capsys.readouterr().out


def test_unknown_project_is_an_error(db, tmp_path, capsys):
    assert main(["export", "logframe", "--project", "999", "-o", str(tmp_path / "x.json")]) == 2
    assert "999" in capsys.readouterr().err


def test_demo_seed_then_every_export_from_the_command_line(db, tmp_path, capsys):
    assert main(["demo", "seed", "--respondents", "10"]) == 0
    out = capsys.readouterr().out
    assert "berkane: project" in out and "ait_zineb: project" in out
    assert main(["demo", "seed"]) == 0  # a second seed does not duplicate
    assert "already there" in capsys.readouterr().out
    with db() as uow:
        projects = uow.projects.list(None)
        assert len(projects) == 10 and len({p.commune_id for p in projects}) == 10
        assert len({p.title for p in projects}) == 10
        pid = next(p.id for p in projects if p.commune_id == "belfaa")
        polls = uow.polls.list(pid)
        assert [p.wave for p in polls] == ["baseline", "follow-up"]
        assert all(p.token.startswith("p_") or len(p.token) >= 16 for p in polls)
    res = tmp_path / "r.csv"
    assert main(["export", "results", "--project", str(pid), "--format", "csv", "-o", str(res)]) == 0
    header = res.read_text(encoding="utf-8-sig").splitlines()[0].split(";")
    assert header[:2] == ["sex", "age_band"] and "pseudonym" not in header and "start" not in header
    rep = tmp_path / "rep.docx"
    assert (
        main(
            [
                "export",
                "report",
                "--kind",
                "semester",
                "--commune",
                "Belfaa",
                "--format",
                "docx",
                "--lang",
                "ar",
                "-o",
                str(rep),
            ]
        )
        == 0
    )
    assert "التقرير نصف السنوي" in docx_text(rep)
    assert (
        main(
            [
                "export",
                "report",
                "--all",
                "--kind",
                "final",
                "--period",
                "2026-S1",
                "--format",
                "md",
                "-o",
                str(tmp_path / "p.md"),
            ]
        )
        == 0
    )
    md = (tmp_path / "p.md").read_text(encoding="utf-8")
    assert "Aït Zineb" in md and "](data:image/png;base64," in md  # charts inside the one file
    assert not (tmp_path / "p_files").exists()
    form = tmp_path / "form.xlsx"
    assert main(["export", "xlsform", "--project", str(pid), "-o", str(form)]) == 0
    from pyxform.xls2xform import convert

    assert "<h:title>" in convert(str(form)).xform
    # the form comes back in as a new poll
    capsys.readouterr()
    assert (
        main(
            [
                "export",
                "import-xlsform",
                str(form),
                "--project",
                str(pid),
                "--wave",
                "follow-up",
                "--title",
                "Suivi 2",
            ]
        )
        == 0
    )
    new_id = int(capsys.readouterr().out.split()[-1])
    with db() as uow:
        new = uow.polls.get(new_id)
        assert new.title == "Suivi 2" and [q["id"] for q in new.questions] == [
            q["id"] for q in polls[1].questions
        ]


def five_feature_form(path, extra_rows=()):
    """An XLSForm with select_one, select_multiple, integer (with a range), text and skip
    logic, built with openpyxl."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label::French (fr)", "label::Arabic (ar)", "relevant", "constraint"])
    ws.append(["select_one yn", "trained", "Formé ?", "هل تكونت؟", None, None])
    ws.append(["select_multiple svc", "services", "Services", "الخدمات", "${trained} = 'yes'", None])
    ws.append(
        [
            "integer",
            "months",
            "Depuis combien de mois ?",
            "منذ كم شهرا؟",
            "selected(${services}, 'job')",
            ". >= 0 and . <= 60",
        ]
    )
    ws.append(["text", "change", "Qu'est-ce qui a changé ?", "ما الذي تغير؟", None, None])
    for row in extra_rows:
        ws.append(list(row))
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label::French (fr)", "label::Arabic (ar)"])
    for row in (
        ["yn", "yes", "Oui", "نعم"],
        ["yn", "no", "Non", "لا"],
        ["svc", "job", "Emploi", "الشغل"],
        ["svc", "health", "Santé", "الصحة"],
        ["svc", "school", "École", "المدرسة"],
    ):
        ch.append(row)
    st = wb.create_sheet("settings")
    st.append(["form_title", "form_id", "default_language"])
    st.append(["Suivi jeunes", "suivi_jeunes", "French (fr)"])
    wb.save(path)
    return path


def test_an_xlsform_with_all_five_features_imports_natively(db, tmp_path, capsys):
    from pyxform.xls2xform import convert

    with db() as uow:
        pid = uow.projects.add(berkane()).id
        uow.commit()
    path = five_feature_form(tmp_path / "f.xlsx")
    xml = convert(str(path), warnings=[]).xform  # the form is a valid XLSForm
    assert "selected(" in xml and "/data/months" in xml and "constraint=" in xml
    assert main(["export", "import-xlsform", str(path), "--project", str(pid)]) == 0
    poll_id = int(capsys.readouterr().out.split()[-1])
    with db() as uow:
        poll = uow.polls.get(poll_id)
    from domain.polls import questions_of

    qs = {q.id: q for q in questions_of(poll)}
    assert [q["id"] for q in poll.questions] == ["trained", "services", "months", "change"]
    assert qs["trained"].kind == "yes_no" and qs["services"].kind == "multi"
    assert qs["services"].values() == ["job", "health", "school"]
    assert (qs["months"].kind, qs["months"].min, qs["months"].max) == ("integer", 0, 60)
    assert qs["change"].kind == "text"
    assert qs["services"].relevant == "${trained} = 'yes'"
    assert qs["months"].relevant == "selected(${services}, 'job')"
    assert poll.title == "Suivi jeunes"
    # and it goes out again as the same questions
    out = tmp_path / "again.xlsx"
    assert main(["export", "xlsform", "--poll", str(poll_id), "-o", str(out)]) == 0
    convert(str(out), warnings=[])
    from exports.xlsform import read_xlsform

    back = read_xlsform(out)
    for orig, q in zip(poll.questions, back.questions):
        for key in ("id", "kind", "relevant", "min", "max"):
            assert q.get(key) == orig.get(key), key
        assert [o["value"] for o in q.get("options", [])] == [o["value"] for o in orig["options"]]


def test_import_refuses_types_the_chat_cannot_ask_unless_adapted(db, tmp_path, capsys):
    with db() as uow:
        pid = uow.projects.add(berkane()).id
        uow.commit()
    path = five_feature_form(
        tmp_path / "f.xlsx",
        extra_rows=[
            ("date", "since", "Depuis quand ?", "منذ متى؟", None, None),
            ("geopoint", "where", "Où ?", "أين؟", None, None),
        ],
    )
    assert main(["export", "import-xlsform", str(path), "--project", str(pid)]) == 2
    err = capsys.readouterr().err
    assert "since, where" in err and "--adapt" in err
    assert main(["export", "import-xlsform", str(path), "--project", str(pid), "--adapt"]) == 0
    poll_id = int(capsys.readouterr().out.split()[-1])
    with db() as uow:
        kinds = {q["id"]: q["kind"] for q in uow.polls.get(poll_id).questions}
    assert kinds == {"trained": "yes_no", "services": "multi", "months": "integer", "change": "text"}


def test_bad_output_paths_and_periods_are_one_line_errors(db, tmp_path, capsys):
    with db() as uow:
        pid = uow.projects.add(berkane()).id
        uow.commit()
    (tmp_path / "afile").write_text("x")
    cases = [
        (
            ["export", "logframe", "--project", str(pid), "--format", "docx", "-o", str(tmp_path)],
            "is a directory",
        ),
        (
            [
                "export",
                "logframe",
                "--project",
                str(pid),
                "--format",
                "docx",
                "-o",
                str(tmp_path / "afile" / "lf.docx"),
            ],
            "is not a directory",
        ),
        (
            [
                "export",
                "report",
                "--commune",
                "Berkane",
                "--period",
                "2031-S1",
                "--format",
                "md",
                "-o",
                str(tmp_path / "r.md"),
            ],
            "2031-S1 is outside the projects' dates (2025-S1 …",
        ),
    ]
    for argv, message in cases:
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert not (tmp_path / "r.md").exists()
    # a good export leaves exactly its file: no temporary file, no NAME_files/ folder
    out = tmp_path / "ok" / "r.md"
    assert (
        main(
            [
                "export",
                "report",
                "--commune",
                "Berkane",
                "--period",
                "2026-S1",
                "--format",
                "md",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert sorted(p.name for p in out.parent.iterdir()) == ["r.md"]


def test_contact_details_are_masked_in_every_logframe_file(db, tmp_path):
    from domain.privacy import MASK

    from tests.exports.readback import read_text

    p = berkane()
    p.problem = "Appelez Fatima au 06 61 23 45 67 ou écrivez à fatima.b@example.ma pour s'inscrire."
    with db() as uow:
        pid = uow.projects.add(p).id
        uow.commit()
    for fmt in ("json", "md", "docx", "odt", "xlsx", "pdf"):
        out = tmp_path / f"lf.{fmt}"
        assert main(["export", "logframe", "--project", str(pid), "--format", fmt, "-o", str(out)]) == 0
        text = read_text(out) if fmt != "json" else out.read_text(encoding="utf-8")
        assert "61 23 45 67" not in text and "example.ma" not in text, fmt
        assert text.count(MASK) >= 2, fmt
