"""Wiring for polls: the pseudonymisation key and the question bank, put into
`Services` by the composition root (handlers never read files or the environment).

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
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from domain.messages import Msg

if TYPE_CHECKING:
    from bot.i18n import Catalog
    from domain.polls import PollResults
    from domain.records import Poll

from domain.languages import is_rtl

log = logging.getLogger("athar.polls")

VAR = Path(__file__).resolve().parent.parent / "var"
KEY_FILE = VAR / "pseudonym.key"
OUT_DIR = VAR / "polls"  # QR codes, posters and charts sent by the bot


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
    """Put the poll services into services: the question bank, the key, and the makers
    of invitations (QR + poster) and charts used by the officials' dialogue."""
    from knowledge.polls import load_question_bank

    services.poll_bank = load_question_bank()
    if key is None and settings is not None:
        key = resolve_pseudonym_key(settings, database_url)
    if key is not None:
        services.pseudonym_key = key
    catalog = services.catalog

    def invitation(poll: Poll, link: str, commune: str, title: str) -> list[Path]:
        return make_invitation(catalog, poll, link, Path(out_dir), commune=commune, title=title)

    def chart(poll: Poll, results: PollResults, lang: str, render: Callable[[Msg], str]) -> Path:
        return make_chart(catalog, poll, results, lang, Path(out_dir))

    services.poll_invitation = invitation
    services.poll_chart = chart


def make_chart(catalog: Catalog, poll: Poll, results: PollResults, lang: str, outdir: Path) -> Path:
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
        rtl=is_rtl(lang),
    )


def make_invitation(
    catalog: Catalog, poll: Poll, link: str, outdir: Path, commune: str = "", title: str = ""
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
            rtl=is_rtl(lang),
        )

    header = catalog.text("polls.poster.header", "fr", commune=commune, title=title) if commune else ""
    pdf = poster_pdf(outdir / f"poll-{poll.id}-poster.pdf", link, [block("fr"), block("ar")], header=header)
    return [png, pdf]
