"""`athar demo seed`: fill the database with realistic, fictitious data so that every export can
be tried at once: the ten communes, a distinct project each with publics,
parties, expected and unexpected effects, indicators and measurements, a baseline and a
follow-up poll answered by the same pseudonymous people, and stories of change."""

from __future__ import annotations

import argparse
import sys


def seed(
    uow, communes: tuple[str, ...] | list[str] | None = None, respondents: int = 28, force: bool = False
) -> list[tuple[str, int | None, list[int | None]]]:
    """Store the demo in this unit of work (not committed). Returns (commune, project id or None
    when skipped, poll ids) per commune."""
    from bot.commands._demo_data import DEMO_COMMUNES, UowStore, build_demo, materialise
    from bot.services.polls import new_token

    class Store(UowStore):
        def add_poll(self, p):
            return super().add_poll(p.model_copy(update={"token": new_token()}))

    out: list[tuple[str, int | None, list[int | None]]] = []
    for cid in communes or DEMO_COMMUNES:
        demo = build_demo(cid, n_respondents=respondents)
        existing = [s for s in uow.projects.list(cid) if s.title == demo.project.title]
        if existing and not force:
            out.append((cid, None, []))
            continue
        stored = materialise(demo, Store(uow))
        out.append((cid, stored.project.id, [p.id for p, _, _ in stored.polls]))
    return out


def _seed(args: argparse.Namespace) -> int:
    from bot.app import build_app
    from bot.settings import get_settings

    app = build_app(get_settings(), nlu=None, migrate=True)
    try:
        with app.uow_factory() as uow:
            done = seed(uow, respondents=args.respondents, force=args.force)
            uow.commit()
        for cid, pid, polls in done:
            if pid is None:
                print(f"{cid}: demo project already there (use --force to add another)")
            else:
                print(f"{cid}: project {pid}, polls {', '.join(str(p) for p in polls)}")
        print("Try: athar export report --kind semester --all --format pdf -o rapport.pdf")
        return 0
    finally:
        app.close()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="demonstration data")
    dsub = p.add_subparsers(dest="demo_command", metavar="ACTION")
    s = dsub.add_parser("seed", help="fill the database with fictitious demo data")
    s.add_argument("--respondents", type=int, default=28, help="people per poll (default 28)")
    s.add_argument("--force", action="store_true", help="add the demo again even if it is there")
    s.set_defaults(func=_seed)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])
    _ = sys
