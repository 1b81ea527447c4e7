"""Export jobs: load the records through the ports, call the pure writers of `exports/`.

Used by the `athar export` CLI and by the /export dialogue (through `services.extras["exporter"]`,
so handlers never import the writers). `Exporter.run(uow, job)` is synchronous and touches only
what it reads: the Telegram channel may run it in a worker thread with its own unit of work.
"""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.commune import Commune
from domain.ports import UnitOfWork

from bot.settings import ROOT

EXPORT_DIR = ROOT / "var" / "exports"


class ExportError(ValueError):
    """A job that cannot run (unknown project, nothing to export); `key` names a catalog text."""

    def __init__(self, key: str, detail: str = ""):
        super().__init__(detail or key)
        self.key = key


@dataclass
class ExportJob:
    what: str  # logframe | results | report_semester | report_final | xlsform
    fmt: str
    lang: str = "fr"
    project_id: int | None = None
    poll_id: int | None = None
    commune_id: str | None = None  # None: the whole programme (reports)
    period: str | None = None  # "2026-S1" for a semester report
    options: dict[str, Any] = field(default_factory=dict)


FORMATS: dict[str, tuple[str, ...]] = {
    "logframe": ("xlsx", "docx", "odt", "pdf", "md", "json"),
}


def slug(text: str) -> str:
    import unicodedata
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", t).strip("-")[:40] or "export"


class Exporter:
    def __init__(self, communes: tuple[Commune, ...] | list[Commune], out_dir: Path | None = None):
        self.communes = {c.id: c for c in communes}
        self.out_dir = Path(out_dir or EXPORT_DIR)

    def commune(self, commune_id: str | None) -> Commune | None:
        return self.communes.get(commune_id or "")

    def formats(self, what: str) -> tuple[str, ...]:
        return FORMATS.get(what, ())

    def default_path(self, job: ExportJob, stem: str) -> Path:
        ext = "zip" if job.fmt == "floip" else job.fmt
        name = f"{job.what}-{slug(stem)}-{job.lang}-{time.strftime('%Y%m%d')}-{uuid.uuid4().hex[:6]}.{ext}"
        return self.out_dir / name

    def run(self, uow: UnitOfWork, job: ExportJob, path: Path | None = None) -> Path:
        if job.fmt not in self.formats(job.what):
            raise ExportError("export.bad_format", f"{job.what} cannot be written as {job.fmt}")
        if job.what == "logframe":
            return self._logframe(uow, job, path)
        raise ExportError("export.unknown", f"unknown export {job.what!r}")

    # -- jobs ----------------------------------------------------------------------------------
    def _logframe(self, uow: UnitOfWork, job: ExportJob, path: Path | None) -> Path:
        from exports.service import export_logframe
        project = uow.projects.get(int(job.project_id or 0))
        if project is None:
            raise ExportError("export.no_project", f"no project {job.project_id}")
        path = path or self.default_path(job, project.title)
        return export_logframe(project, job.fmt, job.lang, path, self.commune(project.commune_id))
