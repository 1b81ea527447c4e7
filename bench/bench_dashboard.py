"""Dashboard pages: server time of every page with the ten communes' demo data (28 people per
poll, as `athar demo seed`), `athar web`'s app served by uvicorn on a loopback port.

Server time is what the app reports in `Server-Timing: app;dur=` (bot/dashboard/web.py: from the
request reaching the route to the response built, database reads, figures, template and the
audit row included). Aim: every page ≤ 300 ms (p95 of 20 requests after 2 warm-ups). A page over
the aim, or answering another status than it should (200; 403 for another commune's page), is a
miss: the run fails (exit status 1), as the other benchmarks.

    make bench BENCH_ARGS=dashboard        (or: .venv/bin/python -m bench dashboard [--pg])
"""

from __future__ import annotations

import re
import socket
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

AIM_MS = 300.0
REQUESTS = 20
WARMUP = 2


def machine_speed() -> float:
    """Seconds for a 10-million-step Python loop (smaller is faster), as the other benches."""
    t0 = time.perf_counter()
    n = 0
    for i in range(10_000_000):
        n += i
    return time.perf_counter() - t0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, respondents: int = 28):
    """Seed the demo into `url`, serve the app; returns (base, athar, server, thread)."""
    import uvicorn

    from bot.app import build_app
    from bot.channels.web import create_app
    from bot.commands.demo import seed
    from bot.settings import load_settings
    from storage.migrate import upgrade

    upgrade(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = load_settings(
        database_url=url, nlu={"url": ""}, dashboard={"url": base}, logging={"level": "WARNING"}
    )
    athar = build_app(settings, nlu=None)
    t0 = time.perf_counter()
    with athar.uow_factory() as uow:
        seed(uow, respondents=respondents)
        uow.commit()
    print(f"seeded 10 communes ({respondents} people per poll) in {time.perf_counter() - t0:.1f} s")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, athar=athar),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return base, athar, server, thread


def sign_in(client, athar, role: str, commune: str | None) -> None:
    from domain.access import new_token
    from domain.records import User, utcnow

    with athar.uow_factory() as uow:
        user = uow.users.add(User(role=role, commune_id=commune))  # type: ignore[arg-type]
        secret, token = new_token("link", user.id, utcnow(), timedelta(minutes=5))
        uow.web.add_token(token)
        uow.commit()
    r = client.post(f"/dashboard/signin/{secret}")
    assert r.status_code == 303, r.status_code


def measure(client, path: str) -> tuple[list[float], int]:
    times = []
    status = 0
    for k in range(WARMUP + REQUESTS):
        r = client.get(path)
        status = r.status_code
        m = re.search(r"app;dur=([\d.]+)", r.headers.get("server-timing", ""))
        if k >= WARMUP and m:
            times.append(float(m.group(1)))
    return times, status


def misses(rows: list[tuple[str, int, int, float]]) -> list[str]:
    """What fails the run, from (page, status, expected status, p95 ms) rows."""
    out = [
        f"{name}: answered {status}, not {expected}"
        for name, status, expected, _ in rows
        if status != expected
    ]
    out += [f"{name}: p95 {p95:.1f} ms > {AIM_MS:.0f} ms" for name, _, _, p95 in rows if p95 > AIM_MS]
    return out


def main() -> int:
    import httpx

    from bench.common import drop_schema, new_schema, percentile

    pg = "--pg" in sys.argv
    print(f"machine speed: {machine_speed():.2f} s (10-million-step loop)")
    schema = None
    with tempfile.TemporaryDirectory(prefix="athar-bench-dash-") as tmp:
        if pg:
            schema, url = new_schema("athar_bench_dash")
        else:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        base, athar, server, thread = serve(url)
        try:
            with athar.uow_factory() as uow:
                project = uow.projects.list("berkane")[0].id
                polls = uow.polls.list(project)
            coordinator = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
            official = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
            sign_in(coordinator, athar, "coordinator", None)
            sign_in(official, athar, "official", "berkane")
            pages = [
                ("overview, 10 communes (coordinator)", coordinator, "/dashboard", 200),
                ("commune (official)", official, "/dashboard/commune/berkane", 200),
                ("commune (coordinator)", coordinator, "/dashboard/commune/tanger", 200),
                ("project", official, f"/dashboard/project/{project}", 200),
            ]
            pages += [(f"poll, {p.wave}", official, f"/dashboard/poll/{p.id}", 200) for p in polls]
            pages += [("refused: another commune", official, "/dashboard/commune/tanger", 403)]
            print(
                f"{'page':40} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  aim ≤ {AIM_MS:.0f} ms"
            )
            rows = []
            for name, client, path, expected in pages:
                times, status = measure(client, path)
                p95 = percentile(times, 0.95)
                rows.append((name, status, expected, p95))
                print(
                    f"{name:40} {status:>6} {percentile(times, 0.5):8.1f} {p95:8.1f} "
                    f"{max(times):8.1f}  {'ok' if p95 <= AIM_MS else 'OVER'}"
                )
            worst = max(p95 for *_, p95 in rows)
            print(
                f"every page ≤ {AIM_MS:.0f} ms (p95): {'yes' if worst <= AIM_MS else 'NO'} "
                f"({'PostgreSQL' if pg else 'SQLite'})"
            )
            missed = misses(rows)
            for miss in missed:
                print(f"MISS: {miss}")
            print(f"aims {'NOT met' if missed else 'met'}")
            coordinator.close()
            official.close()
        finally:
            server.should_exit = True
            thread.join(10)
            athar.close()
            if schema:
                drop_schema(schema)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
