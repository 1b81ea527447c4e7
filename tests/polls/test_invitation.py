"""`athar poll invite`: the QR code PNG and the A4 poster PDF."""

from __future__ import annotations

import re

from tests.polls.helpers import make_project
from tests.polls.test_cli import cli  # noqa: F401 - the fixture


def test_invite_writes_a_qr_png_and_an_a4_pdf(cli, capsys, tmp_path):  # noqa: F811
    main, uow_factory = cli
    pid = make_project(uow_factory)
    assert main(["poll", "create", "--project", str(pid), "--wave", "baseline"]) == 0
    poll_id = int(capsys.readouterr().out.strip().splitlines()[-1])
    out_dir = tmp_path / "out"
    assert main(["poll", "invite", str(poll_id), "-o", str(out_dir)]) == 0
    out = capsys.readouterr().out
    png, pdf = out_dir / f"poll-{poll_id}-qr.png", out_dir / f"poll-{poll_id}-poster.pdf"
    assert str(png) in out and str(pdf) in out
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    assert width >= 25 * 12  # at least a version-2 code at 12 px per module
    doc = pdf.read_bytes()
    assert doc[:5] == b"%PDF-"
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", doc)
    assert box and abs(float(box.group(1)) - 595.4) < 1 and abs(float(box.group(2)) - 841.7) < 1
    assert b"DejaVu" in doc  # the embedded font that has Arabic glyphs
    assert main(["poll", "invite", "999", "-o", str(out_dir)]) == 2
