"""`athar poll ...`: create, invite, close and read the results of beneficiary polls.

athar poll create --project ID --wave baseline|follow-up [--modules migrants,wellbeing,wg]
athar poll invite ID [-o DIR]      QR code PNG + A4 poster PDF (French and Arabic)
athar poll invite ID --whatsapp [--send-to FILE [--lang fr|ar]]   wa.me link; invitations sent
athar poll close ID
athar poll remind ID [--after HOURS]   respondents who stopped half-way, once
athar poll results ID [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import App
    from domain.polls import Comparison, PollResults
    from domain.records import Poll, Project


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("poll", help="beneficiary perception polls")
    psub = p.add_subparsers(dest="poll_command", metavar="ACTION")
    c = psub.add_parser("create", help="create a poll for a project; prints its id and link")
    c.add_argument("--project", type=int, required=True, help="project id")
    c.add_argument("--wave", choices=["baseline", "follow-up"], required=True)
    c.add_argument(
        "--modules",
        default=None,
        help="optional modules, comma-separated: migrants, wellbeing, wg "
        "(a follow-up without it reuses the baseline's questions)",
    )
    c.add_argument("--title", default=None)
    c.add_argument(
        "--question",
        action="append",
        default=[],
        metavar="TEXT",
        help="a custom question answered on the emoji scale (repeatable), placed before the open question",
    )
    c.add_argument(
        "--question-lang",
        default="fr",
        choices=["fr", "ar", "ary", "ary-Latn"],
        help="language of the --question texts (respondents of another language see "
        "it with a line saying which language it is in)",
    )
    c.add_argument(
        "--languages",
        default=None,
        metavar="TAGS",
        help="the languages the poll is offered in, comma-separated among fr, ar, ary, "
        "ary-Latn (default: all four)",
    )
    c.set_defaults(func=create)
    i = psub.add_parser("invite", help="QR code (PNG) and A4 poster (PDF) for a poll")
    i.add_argument("poll_id", type=int)
    i.add_argument("-o", "--output", default=".", help="directory for the files (default: .)")
    i.add_argument(
        "--whatsapp",
        action="store_true",
        help="a wa.me link to Athar's WhatsApp number rather than a Telegram link",
    )
    i.add_argument(
        "--send-to",
        default=None,
        metavar="FILE",
        help="also invite these WhatsApp numbers (one a line, international form; - "
        "for standard input): the poll_invitation template, sent by the running "
        "bot",
    )
    i.add_argument(
        "--lang",
        default="fr",
        choices=["fr", "ar"],
        help="language of the invitations sent with --send-to (default: fr)",
    )
    i.set_defaults(func=invite)
    rm = psub.add_parser("remind", help="remind the respondents who stopped half-way (once each)")
    rm.add_argument("poll_id", type=int)
    rm.add_argument(
        "--after",
        type=float,
        default=24.0,
        metavar="HOURS",
        help="only those silent for at least this many hours (default: 24)",
    )
    rm.set_defaults(func=remind)
    cl = psub.add_parser("close", help="close a poll: no more answers")
    cl.add_argument("poll_id", type=int)
    cl.set_defaults(func=close)
    r = psub.add_parser("results", help="results of a poll (and the comparison with its baseline)")
    r.add_argument("poll_id", type=int)
    r.add_argument("--json", action="store_true", help="machine-readable output")
    r.add_argument(
        "--record-indicators",
        action="store_true",
        help="add the results as measurements of the project's indicators linked to "
        "a question of this poll (Indicator.poll_question)",
    )
    r.set_defaults(func=results)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def _app() -> App:
    from bot.app import build_app
    from bot.settings import get_settings

    return build_app(get_settings(), nlu=None, migrate=True)


def create(args: argparse.Namespace) -> int:
    from bot.services.polls import invitation_link, publish_poll
    from domain.polls import custom_question

    app = _app()
    try:
        bank = app.services.poll_bank
        if bank is None:
            raise LookupError("the question bank is not installed (bot.poll_support.install)")
        modules = None
        if args.modules is not None:
            modules = [m.strip() for m in args.modules.split(",") if m.strip()]
            unknown = set(modules) - set(bank.optional_modules)
            if unknown:
                print(
                    f"athar: unknown module(s) {', '.join(sorted(unknown))}; choose among "
                    f"{', '.join(bank.optional_modules)}",
                    file=sys.stderr,
                )
                return 2
        languages = None
        if args.languages is not None:
            languages = [t.strip() for t in args.languages.split(",") if t.strip()]
            unknown = set(languages) - {"fr", "ar", "ary", "ary-Latn"}
            if unknown or not languages:
                print(
                    f"athar: unknown language(s) {', '.join(sorted(unknown)) or '(none)'}; "
                    "choose among fr, ar, ary, ary-Latn",
                    file=sys.stderr,
                )
                return 2
        with app.uow_factory() as uow:
            project = uow.projects.get(args.project)
            if project is None:
                print(f"athar: no project {args.project}", file=sys.stderr)
                return 2
            custom = [
                custom_question(f"custom_{i}", {args.question_lang: text.strip()}, "scale5", bank)
                for i, text in enumerate(args.question, 1)
                if text.strip()
            ]
            poll = publish_poll(
                uow, bank, project, args.wave, modules, custom=custom, title=args.title, languages=languages
            )
            uow.commit()
        if app.services.pseudonym_key is None:
            print(
                "athar: warning: ATHAR_PSEUDONYM_KEY is not set: the bot will refuse answers until it is",
                file=sys.stderr,
            )
        print(f"Poll {poll.id} ({poll.wave}) for project {project.id}: {len(poll.questions)} questions.")
        print(f"Invitation link: {invitation_link(app.settings.telegram.bot_username, poll.token)}")
        print(poll.id)
        return 0
    finally:
        app.close()


def close(args: argparse.Namespace) -> int:
    from bot.services.polls import close_poll

    app = _app()
    try:
        with app.uow_factory() as uow:
            poll = uow.polls.get(args.poll_id)
            if poll is None:
                print(f"athar: no poll {args.poll_id}", file=sys.stderr)
                return 2
            close_poll(uow, poll)
            uow.commit()
        print(f"Poll {args.poll_id} is closed.")
        return 0
    finally:
        app.close()


def remind(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bot.services.polls import remind_respondents
    from domain.records import AuditEntry

    app = _app()
    try:
        with app.uow_factory() as uow:
            poll = uow.polls.get(args.poll_id)
        if poll is None:
            print(f"athar: no poll {args.poll_id}", file=sys.stderr)
            return 2
        if not poll.is_open:
            print(f"athar: poll {args.poll_id} is closed: no reminders", file=sys.stderr)
            return 2
        sent = remind_respondents(
            app.uow_factory, app.dispatcher, poll, timedelta(hours=max(args.after, 0.0))
        )
        with app.uow_factory() as uow:
            uow.audit.add(AuditEntry(action="poll.reminded", target=str(poll.id), detail={"reminders": sent}))
            uow.commit()
        print(f"Poll {poll.id}: {sent} reminder(s) queued; the running bot sends them.")
        return 0
    finally:
        app.close()


def invite(args: argparse.Namespace) -> int:
    from bot.services.polls import invitation_link, whatsapp_link
    from bot.poll_support import make_invitation

    app = _app()
    try:
        with app.uow_factory() as uow:
            poll = uow.polls.get(args.poll_id)
            project = uow.projects.get(poll.project_id) if poll else None
        if poll is None:
            print(f"athar: no poll {args.poll_id}", file=sys.stderr)
            return 2
        phone = app.settings.whatsapp.phone_number
        if args.send_to and not args.whatsapp:
            print("athar: --send-to invites WhatsApp numbers: add --whatsapp", file=sys.stderr)
            return 2
        if args.whatsapp and not phone:
            print(
                "athar: set whatsapp.phone_number (ATHAR_WHATSAPP_PHONE_NUMBER) for WhatsApp invitations",
                file=sys.stderr,
            )
            return 2
        link = (
            whatsapp_link(phone, poll.token)
            if args.whatsapp and phone  # (no phone with --whatsapp was refused above)
            else invitation_link(app.settings.telegram.bot_username, poll.token)
        )
        commune = app.services.commune_name(project.commune_id if project else None, "fr")
        files = make_invitation(
            app.services.catalog, poll, link, Path(args.output), commune=commune, title=poll.title or ""
        )
        print(f"Invitation link: {link}")
        for f in files:
            print(f)
        if not poll.is_open:
            print("athar: warning: this poll is closed", file=sys.stderr)
        if args.send_to:
            return _send_invitations(app, poll, args, link, project)
        return 0
    finally:
        app.close()


def _send_invitations(
    app: App, poll: Poll, args: argparse.Namespace, link: str, project: Project | None
) -> int:
    from bot.services.polls import invite_numbers, phone_numbers
    from domain.records import AuditEntry

    if not poll.is_open:
        print("athar: a closed poll: no invitations sent", file=sys.stderr)
        return 2
    if args.send_to == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = Path(args.send_to).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"athar: cannot read {args.send_to}: {exc}", file=sys.stderr)
            return 2
    numbers, bad = phone_numbers(lines)
    if bad:  # a file with mistakes is refused whole: nothing half sent
        print(
            f"athar: {len(bad)} line(s) are not phone numbers in international form, e.g. "
            f"212600000000 (first: {bad[0]!r}); nothing sent",
            file=sys.stderr,
        )
        return 2
    commune = app.services.commune_name(project.commune_id if project else None, args.lang)
    sent = invite_numbers(app.uow_factory, poll, numbers, link, commune, args.lang)
    with app.uow_factory() as uow:  # how many, never the numbers
        uow.audit.add(AuditEntry(action="poll.invitations", target=str(poll.id), detail={"numbers": sent}))
        uow.commit()
    print(f"{sent} invitation(s) queued; the running bot sends them.")
    return 0


def results(args: argparse.Namespace) -> int:
    from bot.services.polls import comparison_of, record_indicators, results_of

    app = _app()
    try:
        with app.uow_factory() as uow:
            poll = uow.polls.get(args.poll_id)
            if poll is None:
                print(f"athar: no poll {args.poll_id}", file=sys.stderr)
                return 2
            res = results_of(uow, poll, app.settings.polls.min_group_size)
            cmp = comparison_of(uow, poll)
            recorded = record_indicators(uow, poll, res) if args.record_indicators else []
            uow.commit()
        if args.json:
            out = {
                "results": res.model_dump(mode="json"),
                "comparison": cmp.model_dump(mode="json") if cmp else None,
                "recorded": [{"indicator": lbl, **m.model_dump(mode="json")} for lbl, m in recorded],
            }
            print(json.dumps(out, ensure_ascii=False, indent=2))
            return 0
        print(format_results(res, cmp))
        for label, m in recorded:
            print(f"indicator '{label}': {m.value:g} % ({m.period}, n={m.disaggregated.get('n')})")
        return 0
    finally:
        app.close()


def _f(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else str(x)


def _p(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def format_results(res: PollResults, cmp: Comparison | None) -> str:
    lines = [
        f"Poll {res.poll_id} ({res.wave}, {'open' if res.is_open else 'closed'}): "
        f"{res.respondents} respondents, {res.completed} completed, {res.refusals} refusals"
    ]
    lines.append(f"{'question':<16} {'n':>4} {'skip':>4} {'median':>6}  distribution")
    for q in res.questions:
        dist = " ".join(f"{k}:{v}" for k, v in q.distribution.items())
        lines.append(f"{q.id:<16} {q.n:>4} {q.skipped:>4} {_f(q.median):>6}  {dist}")
    shown = [
        (qid, key, groups) for qid, keys in res.breakdowns.items() for key, groups in keys.items() if groups
    ]
    if shown:
        lines.append("")
        lines.append("Breakdowns (median, n; groups under the minimum size are hidden):")
        for qid, key, groups in shown:
            cells = ", ".join(
                f"{g.group}: hidden" if g.suppressed else f"{g.group}: {_f(g.median)} (n={g.n})"
                for g in groups
            )
            lines.append(f"  {qid:<16} by {key:<10} {cells}")
    if cmp is not None:
        lines.append("")
        lines.append(
            f"Compared with baseline poll {cmp.baseline_poll_id}: {cmp.n_linked} people answered both"
        )
        lines.append(
            f"{'question':<16} {'pairs':>5} {'better':>6} {'same':>5} {'worse':>5} "
            f"{'sign p':>7} {'wilc. p':>7} | {'n0':>4} {'n1':>4} {'med0':>5} {'med1':>5} {'MW p':>6}"
        )
        unp = {u.id: u for u in cmp.unpaired}
        for p in cmp.paired:
            u = unp[p.id]
            lines.append(
                f"{p.id:<16} {p.n_pairs:>5} {p.improved:>6} {p.same:>5} {p.worse:>5} "
                f"{_p(p.sign_p):>7} {_p(p.wilcoxon_p):>7} | {u.n_baseline:>4} "
                f"{u.n_followup:>4} {_f(u.median_baseline):>5} {_f(u.median_followup):>5} "
                f"{_p(u.p):>6}"
            )
    if res.stories:
        lines.append("")
        lines.append(f"Stories ({len(res.stories)}):")
        for s in res.stories:
            star = "*" if s.significant else " "
            text = (s.text or "[voice note]").replace("\n", " ")[:100]
            lines.append(f"{star} #{s.id} [{', '.join(s.tags)}; {s.polarity or '?'}] {text}")
            if s.significant and s.reason:
                lines.append(f"    why: {s.reason}")
    return "\n".join(lines)
