"""Wiring for polls: the pseudonymisation key and the question bank, put into
`Services.extras` by the composition root (handlers never read files or the environment).

The key (ATHAR_PSEUDONYM_KEY) turns a channel identity into a respondent's pseudonym; if it
changed, baseline and follow-up answers could no longer be linked. Policy when it is missing:
- PostgreSQL (production): no key is invented; polls answer "not available" and an error is
  logged until ATHAR_PSEUDONYM_KEY is set.
- SQLite (the embedded, local default): a random key is generated once and kept in
  var/pseudonym.key (mode 0600), with a warning in the log. Keep that file with the database.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterable

log = logging.getLogger("athar.polls")

VAR = Path(__file__).resolve().parent.parent / "var"
KEY_FILE = VAR / "pseudonym.key"
OUT_DIR = VAR / "polls"  # QR codes, posters and charts sent by the bot
POLL_DIALOGUE = "poll_q"  # the dialogue of a respondent answering questions (bot.handlers.polls)


def resolve_pseudonym_key(settings: Any, database_url: str, key_file: Path = KEY_FILE) -> bytes | None:
    secret = getattr(settings, "pseudonym_key", None)
    if secret is not None and secret.get_secret_value().strip():
        return secret.get_secret_value().strip().encode("utf-8")
    if not database_url.startswith("sqlite"):
        log.error(
            "ATHAR_PSEUDONYM_KEY is not set: beneficiary polls are disabled "
            "(set it in the environment; never change it once polls have started)"
        )
        return None
    if key_file.exists():
        key = key_file.read_text(encoding="ascii").strip()
        if key:
            log.warning("ATHAR_PSEUDONYM_KEY is not set: using the local key in %s", key_file)
            return key.encode("ascii")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    log.warning(
        "ATHAR_PSEUDONYM_KEY is not set: generated a local key in %s "
        "(keep it with the database; set ATHAR_PSEUDONYM_KEY in production)",
        key_file,
    )
    return key.encode("ascii")


def install(
    services: Any, settings: Any, database_url: str, key: bytes | None = None, out_dir: Path = OUT_DIR
) -> None:
    """Put the poll services into services.extras: the question bank, the key, and the makers
    of invitations (QR + poster) and charts used by the officials' dialogue."""
    from knowledge.polls import load_question_bank

    services.extras["poll_bank"] = load_question_bank()
    if key is None and settings is not None:
        key = resolve_pseudonym_key(settings, database_url)
    if key is not None:
        services.extras["pseudonym_key"] = key
    catalog = services.catalog

    def invitation(poll: Any, link: str, commune: str, title: str) -> list[Path]:
        return make_invitation(catalog, poll, link, Path(out_dir), commune=commune, title=title)

    def chart(poll: Any, results: Any, lang: str, render: Any) -> Path:
        return make_chart(catalog, poll, results, lang, Path(out_dir))

    services.extras["poll_invitation"] = invitation
    services.extras["poll_chart"] = chart


def make_chart(catalog: Any, poll: Any, results: Any, lang: str, outdir: Path) -> Path:
    """A bar chart (PNG) of the answers to the emoji-scale questions of a poll."""
    from domain.polls import questions_of
    from exports.charts import DistributionRow, distribution_chart

    qs = {q.id: q for q in questions_of(poll)}
    rows, legend = [], None
    for r in results.questions:
        q = qs.get(r.id)
        if q is None or q.kind != "scale5" or r.n == 0:
            continue
        rows.append(DistributionRow(label=q.short_in(lang), counts=list(r.distribution.values()), n=r.n))
        if legend is None:
            legend = [o.label.get(lang) or o.label["fr"] for o in q.options]
    title = catalog.text(
        "polls.official.chart_title",
        lang,
        id=poll.id,
        wave=catalog.text(f"polls.official.wave.{poll.wave}", lang),
    )
    from exports.poll_poster import clean

    return distribution_chart(
        outdir / f"poll-{poll.id}-{lang}.png",
        rows,
        title=clean(title),
        legend=legend or [],
        rtl=lang in ("ar", "ary"),
    )


def make_invitation(
    catalog: Any, poll: Any, link: str, outdir: Path, commune: str = "", title: str = ""
) -> list[Path]:
    """The QR code PNG and the A4 poster PDF (French and Arabic) of a poll, in outdir."""
    from exports.poll_poster import PosterText, poster_pdf, qr_png

    outdir = Path(outdir)
    png = qr_png(link, outdir / f"poll-{poll.id}-qr.png")

    step2 = "polls.poster.step2_whatsapp" if link.startswith("https://wa.me/") else "polls.poster.step2"

    def block(lang: str) -> PosterText:
        t = lambda key, **kw: catalog.text(key, lang, **kw)  # noqa: E731
        return PosterText(
            title=t("polls.poster.title"),
            lines=[t("polls.poster.step1"), t(step2), t("polls.poster.step3")],
            rtl=lang in ("ar", "ary"),
        )

    header = catalog.text("polls.poster.header", "fr", commune=commune, title=title) if commune else ""
    pdf = poster_pdf(outdir / f"poll-{poll.id}-poster.pdf", link, [block("fr"), block("ar")], header=header)
    return [png, pdf]


REMINDABLE = ("telegram", "whatsapp")  # channels that can write first (not the terminal)


def remind_respondents(uow_factory: Any, dispatcher: Any, poll: Any, idle_for: timedelta) -> int:
    """Each respondent who stopped on a question of `poll` at least `idle_for` ago gets, once,
    a reminder and that question again (Dispatcher.remind), through the outbox: the running bot
    sends them within its sweep's grace period, on WhatsApp as the `poll_reminder` template
    when the user's 24-hour window is closed. How many were written."""
    from bot.dispatcher import REMINDED
    from domain.messages import Notice, msg
    from domain.records import utcnow

    def in_poll(state: dict[str, Any]) -> bool:
        try:
            return int((state.get("data") or {}).get("poll") or 0) == poll.id
        except (TypeError, ValueError):
            return False

    with uow_factory() as uow:
        idle = [
            c
            for c in uow.conversations.idle_in(POLL_DIALOGUE, utcnow() - idle_for)
            if c.channel in REMINDABLE and in_poll(c.state) and not (c.state.get("data") or {}).get(REMINDED)
        ]
        project = uow.projects.get(poll.project_id)
        uow.rollback()
    title = poll.title or (project.title if project is not None else "")
    return sum(
        dispatcher.remind(
            c.channel,
            c.chat_id,
            msg("polls.reminder", title=title),
            Notice(kind="poll_reminder", params={"title": title}),
            lambda state: state.dialogue == POLL_DIALOGUE and in_poll(state.model_dump()),
        )
        for c in idle
    )


PHONE = re.compile(r"\d{8,15}")


def phone_numbers(lines: Iterable[str]) -> tuple[list[str], list[str]]:
    """(numbers in international digits, each once, in order; lines that are not a number).
    Spaces, dashes, dots, brackets and a leading + or 00 are allowed; blank lines and lines
    starting with # are skipped."""
    numbers: list[str] = []
    bad: list[str] = []
    for line in lines:
        raw = line.strip()
        if not raw or raw.startswith("#"):
            continue
        digits = re.sub(r"[\s().-]", "", raw)
        digits = digits[1:] if digits.startswith("+") else digits[2:] if digits.startswith("00") else digits
        if PHONE.fullmatch(digits):
            if digits not in numbers:
                numbers.append(digits)
        else:
            bad.append(raw)
    return numbers, bad


def invite_numbers(
    uow_factory: Any, poll: Any, numbers: list[str], link: str, commune: str, lang: str
) -> int:
    """Invite WhatsApp numbers to a poll: for each, an invitation in the outbox (any worker's
    sweep sends it): the `poll_invitation` template (title, commune, a button that starts the
    poll), or the same words with the `wa.me` link when the person wrote to Athar in the last
    24 hours. The numbers are kept nowhere else: the invitations are private outbox items,
    deleted once sent."""
    from domain.messages import Notice, Reply, msg
    from domain.ports import OutboxItem

    with uow_factory() as uow:
        project = uow.projects.get(poll.project_id)
        title = poll.title or (project.title if project is not None else "")
        reply = Reply(
            lines=[msg("polls.invitation", commune=commune, title=title, link=link)],
            notice=Notice(
                kind="poll_invitation", params={"title": title, "commune": commune}, payload=poll.token
            ),
        )
        payload = {"reply": reply.model_dump(mode="json"), "language": lang}
        uow.outbox.add_many(
            [OutboxItem(channel="whatsapp", chat_id=n, payload=payload, private=True) for n in numbers]
        )
        uow.commit()
    return len(numbers)
