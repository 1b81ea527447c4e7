"""Export times: one commune and the whole programme (ten communes), on demo-sized data stored
in a temporary SQLite database (reading the records is part of each measured export).

    make bench BENCH_ARGS=exports        (or: .venv/bin/python -m bench exports)
"""

from __future__ import annotations

import functools
import statistics
import tempfile
import time
from typing import Any, Callable
from pathlib import Path


def _timed(fn: Callable[[], Any], repeat: int = 2) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    from bot.commands._demo_data import UowStore, build_demo, materialise
    from bot.services.exports import Exporter, ExportJob
    from knowledge.loader import load_communes
    from storage.db import make_engine, make_uow_factory
    from storage.migrate import upgrade

    communes = load_communes()
    with tempfile.TemporaryDirectory(prefix="athar-bench-") as tmp:
        tmpdir = Path(tmp)
        url = f"sqlite:///{tmpdir / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        uow_factory = make_uow_factory(engine)
        t0 = time.perf_counter()
        with uow_factory() as uow:
            stored = {c.id: materialise(build_demo(c.id, n_respondents=28), UowStore(uow)) for c in communes}
            uow.commit()
        print(
            f"seeded 10 communes (1 project, 2 polls x ~28 people, stories each) in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        exporter = Exporter(communes, out_dir=tmpdir / "out")
        one = stored["berkane"]
        poll_id = one.polls[1][0].id
        jobs = [
            ("logframe, 1 project", ExportJob("logframe", "xlsx", "fr", project_id=one.project.id)),
            ("logframe, 1 project", ExportJob("logframe", "docx", "ar", project_id=one.project.id)),
            ("logframe, 1 project", ExportJob("logframe", "odt", "fr", project_id=one.project.id)),
            ("logframe, 1 project", ExportJob("logframe", "pdf", "ar", project_id=one.project.id)),
            ("poll results, 1 poll", ExportJob("results", "xlsx", "fr", poll_id=poll_id)),
            ("poll results, 1 poll", ExportJob("results", "floip", "ar", poll_id=poll_id)),
            ("poll chart, 1 project", ExportJob("results", "png", "ar", poll_id=poll_id)),
            ("semester report, 1 commune", ExportJob("report_semester", "docx", "fr", commune_id="berkane")),
            ("semester report, 1 commune", ExportJob("report_semester", "pdf", "ar", commune_id="berkane")),
            ("final report, 1 commune", ExportJob("report_final", "pdf", "fr", commune_id="berkane")),
            ("semester report, 10 communes", ExportJob("report_semester", "docx", "fr", programme=True)),
            ("semester report, 10 communes", ExportJob("report_semester", "pdf", "ar", programme=True)),
            ("final report, 10 communes", ExportJob("report_final", "odt", "ar", programme=True)),
            ("final report, 10 communes", ExportJob("report_final", "pdf", "fr", programme=True)),
        ]
        print(f"{'export':32} {'format':6} {'lang':4} {'median s':>9} {'pages':>5} {'size KB':>8}")
        for label, job in jobs:
            with uow_factory() as uow:
                secs, path = _timed(functools.partial(exporter.run, uow, job))
            pages = ""
            if job.fmt == "pdf":
                from pypdf import PdfReader

                pages = str(len(PdfReader(str(path)).pages))
            print(
                f"{label:32} {job.fmt:6} {job.lang:4} {secs:9.2f} {pages:>5} "
                f"{Path(path).stat().st_size / 1024:8.0f}",
                flush=True,
            )
        engine.dispose()


if __name__ == "__main__":
    main()
