"""Reading figures back from the dashboard's HTML, and the demo programme the tests use."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from typing import Any

from domain.records import User


class Cells(HTMLParser):
    """Every element carrying `data-figure`, with the text inside, by the nearest enclosing
    element that carries `row_attr` (data-commune, data-project, data-question...)."""

    def __init__(self, row_attr: str):
        super().__init__()
        self.row_attr = row_attr
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.rows: dict[str, dict[str, str]] = {}
        self._figure: list[Any] = []  # (row, figure, depth, parts)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append((tag, a))
        if "data-figure" in a:
            row = next((x[1][self.row_attr] for x in reversed(self.stack) if self.row_attr in x[1]), None)
            self._figure.append((row, a["data-figure"], len(self.stack), []))

    def handle_endtag(self, tag):
        if self._figure and self._figure[-1][2] == len(self.stack):
            row, fig, _, parts = self._figure.pop()
            self.rows.setdefault(row or "", {})[fig] = "".join(parts).strip()
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        for f in self._figure:
            f[3].append(data)


def cells(html: str, row_attr: str) -> dict[str, dict[str, str]]:
    p = Cells(row_attr)
    p.feed(html)
    return p.rows


def number(text: str) -> int:
    """The first whole number in a cell ("12", "1 234", "3 sur 5" -> 3)."""
    m = re.search(r"\d[\d\s\u00a0\u202f.]*", text)
    assert m, f"no number in {text!r}"
    return int(re.sub(r"\D", "", m.group(0)))


def html_attrs(html: str) -> dict[str, str]:
    m = re.search(r"<html([^>]*)>", html)
    assert m
    return dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))


def seed_programme(uow_factory, respondents: int = 12) -> None:
    from bot.commands.demo import seed

    with uow_factory() as uow:
        seed(uow, respondents=respondents)
        uow.commit()


def add_user(uow_factory, role: str, commune_id: str | None = None) -> User:
    with uow_factory() as uow:
        user = uow.users.add(User(role=role, commune_id=commune_id, display_name=None))  # type: ignore[arg-type]
        uow.commit()
    return user


TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
