"""Downloads from the dashboard: every export (logframe, poll results, poll chart, XLSForm,
semester and final reports, learning figures) made by the same exporter as the chat and the CLI
(bot.services.exports.Exporter), as a job.

A form on a page names the export; `job_for` checks it against what the viewer may have (their
commune's records; the whole programme and row-level poll results for coordinators only; the
formats of that export) and gives the ExportJob, or None. The job is stored (web_jobs) and run
in a worker thread with a reading unit of work; its page shows where it is (queued, being made,
ready, failed: the page reloads itself every two seconds, no script), then the file. A job is
its owner's only; a job a dead worker left "running" is given up after `STALE` (the page says
so and the user asks again). Files are the exporter's (var/exports/, removed after a day).
"""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from concurrent.futures import Future
from typing import Any, Callable

from domain.access import sees_everything
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.records import User, WebJob, utcnow

from bot.services.exports import ExportError, Exporter, ExportJob

log = logging.getLogger("athar.dashboard")

STALE = timedelta(minutes=10)
WAIT = 1.5  # seconds the request waits for a quick file before showing the job's page
WHAT = ("logframe", "results", "xlsform", "report_semester", "report_final", "learning")
ERRORS = (
    "export.bad_period",
    "export.coordinators_only",
    "export.no_poll",
    "export.no_project",
    "export.nothing",
    "export.too_few",
    "export.unavailable",
)


def _int(v: str | None) -> int | None:
    return int(v) if v is not None and v.isdigit() and len(v) < 12 else None


def job_for(form: dict[str, str], viewer: User, uow: UnitOfWork, exporter: Exporter) -> ExportJob | None:
    """The export a form asks for, if the viewer may have it; None otherwise."""
    what, fmt, lang = form.get("what", ""), form.get("fmt", ""), form.get("lang", "")
    coordinator = sees_everything(viewer)
    if what not in WHAT or lang not in ("fr", "ar") or fmt not in exporter.formats(what, coordinator):
        return None
    job = ExportJob(what=what, fmt=fmt, lang=lang, coordinator=coordinator)
    if what == "logframe":
        job.project_id = _int(form.get("project")) or 0
    elif what in ("results", "xlsform"):
        poll = uow.polls.get(_int(form.get("poll")) or 0)
        if poll is None:
            return None
        job.poll_id, job.project_id = poll.id, poll.project_id
    else:
        job.commune_id = form.get("commune") or None
        job.programme = job.commune_id is None  # no commune: the whole programme
        if job.commune_id is not None and exporter.commune(job.commune_id) is None:
            return None
    if exporter.refusal(uow, viewer, job) is not None:
        return None
    if what == "report_semester" and form.get("period"):
        if form["period"] not in exporter.semesters(uow, job.programme, job.commune_id):
            return None
        job.period = form["period"]
    return job


class Jobs:
    """Runs export jobs in worker threads and keeps their state in the database."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        read_uow_factory: UnitOfWorkFactory,
        exporter: Exporter,
        workers: int = 2,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.uow_factory = uow_factory
        self.read_uow_factory = read_uow_factory
        self.exporter = exporter
        self.clock = clock
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="athar-dashboard-job")

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    def submit(self, uow: UnitOfWork, user: User, job: ExportJob) -> WebJob:
        """Store the job (the caller commits, then `start`s it)."""
        return uow.web.add_job(
            WebJob(
                public_id=secrets.token_urlsafe(16),
                user_id=user.id or 0,
                params=asdict(job),
                created_at=self.clock(),
            )
        )

    def start(self, public_id: str) -> Future[None]:
        """Run a committed job in a worker thread; returns its future."""
        return self.pool.submit(self.run, public_id)

    def run(self, public_id: str) -> None:
        with self.uow_factory() as uow:
            job = uow.web.job(public_id)
            if job is None or job.status != "queued":
                return
            uow.web.save_job(job.model_copy(update={"status": "running", "started_at": self.clock()}))
            uow.commit()
        update: dict[str, Any]
        try:
            path = self.exporter.run_with(self.read_uow_factory, ExportJob(**job.params))
            update = {"status": "done", "path": str(path)}
        except ExportError as exc:
            update = {"status": "failed", "error": exc.key if exc.key in ERRORS else "export.failed"}
        except Exception:  # noqa: BLE001 - told to the user on the job's page, logged for us
            log.exception("dashboard export job failed")
            update = {"status": "failed", "error": "export.failed"}
        update["finished_at"] = self.clock()
        with self.uow_factory() as uow:
            current = uow.web.job(public_id)
            if current is not None:
                uow.web.save_job(current.model_copy(update=update))
                uow.commit()

    def state(self, job: WebJob) -> str:
        """queued, running, done, failed; a job left running too long by a dead worker: failed."""
        if job.status in ("queued", "running") and self.clock() - job.created_at > STALE:
            return "failed"
        if job.status == "done" and (not job.path or not Path(job.path).is_file()):
            return "gone"
        return job.status
