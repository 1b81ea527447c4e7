"""HTML of the dashboard's pages: jinja2 templates (bot/dashboard/templates) over the views.

Texts: `bot/dashboard/texts.yml`, then the documents' labels (`exports/labels.yml`: statuses,
waves, units, column headers), in French or Arabic, numbers by CLDR (Babel), as in the reports.
Every string written into a page goes through `domain.privacy.mask_identifiers` (jinja's
`finalize`): a phone number or an e-mail address typed into a project's free text never shows.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from domain.figures import SEMESTER, period_end
from domain.privacy import mask_identifiers

from bot.dashboard import svg
from bot.dashboard.views import IndicatorView
from exports.labels import Labels, load_labels

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def texts() -> dict[str, dict[str, Any]]:
    return load_labels(HERE / "texts.yml")


class Texts(Labels):
    """The dashboard's texts, then the documents' labels."""

    def entry(self, key: str) -> dict[str, Any] | None:
        return texts().get(key) or super().entry(key)


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return mask_identifiers(value)
    return value


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
    )
    return env


class Page:
    """What every template gets: `t` (texts), `L` (numbers, dates, enumerations), the language,
    its direction, and helpers that turn figures into what a reader sees."""

    def __init__(self, lang: str, today: date, min_group_size: int):
        self.L = Texts(lang)
        self.lang = self.L.lang
        self.dir = "rtl" if self.L.rtl else "ltr"
        self.today = today
        self.min_group_size = min_group_size
        self.colors = svg.SCALE

    def t(self, key: str, **params: Any) -> str:
        return self.L.t(key, **params)

    def n(self, x: float | int | None, unit: str | None = None) -> str:
        return self.L.number(x, unit)

    def pct(self, x: float | None) -> str:
        return self.L.percent(x)

    def date(self, d: Any) -> str:
        return self.L.date(d)

    def period(self, text: str | None) -> str:
        return self.L.period(text)

    def opt(self, prefix: str, value: str | None) -> str:
        return self.L.opt(prefix, value)

    def publics(self, project: Any) -> str:
        return self.t("report.list_sep").join(
            self.t("report.public_n", name=self.opt("public", x.category), n=self.n(x.expected_number))
            if x.expected_number
            else self.opt("public", x.category)
            for x in project.publics
        )

    # -- indicators -----------------------------------------------------------------------------
    def baseline(self, v: IndicatorView) -> str:
        ind = v.indicator
        if ind.baseline_value is None:
            return self.t("report.baseline_missing")
        return self.n(ind.baseline_value, ind.unit)

    def latest(self, v: IndicatorView) -> str:
        f = v.figure
        if f.measurement is None:
            return self.t("report.status_no_data")
        value = self.n(f.value, v.indicator.unit)
        return self.t("report.value_of", value=value, period=self.period(f.measurement.period))

    def target(self, v: IndicatorView) -> str:
        ind = v.indicator
        if ind.target_value is None:
            return self.t("report.status_no_target")
        value = self.n(ind.target_value, ind.unit)
        return (
            self.t("report.value_by", value=value, date=self.date(v.figure.deadline))
            if v.figure.deadline
            else value
        )

    def short_period(self, text: str | None) -> str:
        """A period in a few characters, for a chart's axis: S1 2026, 05/2026."""
        m = SEMESTER.match(text or "")
        if m:
            return self.t("chart.semester", half=m.group(2), year=m.group(1))
        end = period_end(text)
        return self.month(end) if end is not None and len(text or "") > 4 else (text or "")

    def month(self, d: Any) -> str:
        return d.strftime("%m/%Y") if d is not None else ""

    def chart(self, v: IndicatorView) -> Markup:
        ind = v.indicator
        points = []
        if ind.baseline_value is not None:
            points.append(
                svg.Point(
                    self.month(ind.baseline_date) if ind.baseline_date else self.t("chart.baseline"),
                    ind.baseline_value,
                    self.n(ind.baseline_value, ind.unit),
                    "baseline",
                )
            )
        for m in v.measurements:
            if m.baseline and ind.baseline_value is not None:
                continue  # the baseline is already the first point
            points.append(
                svg.Point(
                    self.short_period(m.period),
                    m.value,
                    self.n(m.value, ind.unit),
                    "baseline" if m.baseline else "measure",
                )
            )
        if ind.target_value is not None:
            points.append(
                svg.Point(
                    self.month(v.figure.deadline) if v.figure.deadline else self.t("chart.target"),
                    ind.target_value,
                    self.n(ind.target_value, ind.unit),
                    "target",
                )
            )
        label = self.t(
            "project.chart_label",
            indicator=ind.label,
            baseline=self.baseline(v),
            latest=self.latest(v),
            target=self.target(v),
        )
        return svg.indicator_chart(points, label, rtl=self.L.rtl)

    def progress(self, v: IndicatorView) -> str:
        return self.pct(v.figure.progress) if v.figure.progress is not None else ""

    # -- polls --------------------------------------------------------------------------------------
    def stacked(self, counts: list[int], label: str) -> Markup:
        return svg.stacked_bar(counts, label, rtl=self.L.rtl)

    def pair(self, line: Any) -> Markup:
        texts = tuple(
            self.pct(s) if s is not None else "—" for s in (line.share_baseline, line.share_followup)
        )
        label = (
            f"{line.label} — {self.t('report.baseline')} {texts[0]}, {self.t('report.followup')} {texts[1]}"
        )
        return svg.pair_bars(
            line.share_baseline,
            line.share_followup,
            texts,  # type: ignore[arg-type]
            label,
            rtl=self.L.rtl,
        )


def render(template: str, p: Page, *, urls: Any, chrome: Any = None, **context: Any) -> str:
    """A page's HTML. `urls` makes the links (overview, commune, project, poll); `chrome` the
    header's forms (language, sign-out: their URLs and the CSRF token), None for none."""
    return environment().get_template(template).render(p=p, urls=urls, chrome=chrome, **context)
