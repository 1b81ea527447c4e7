"""The WhatsApp benchmark's verdict (bench.bench_whatsapp.report): a send the schedule had to drop
for want of a free user, an event never answered, or a text the fallback parser answered because
Rasa failed is a miss that fails the run, as in the Telegram benchmark; a run that meets every aim
passes. The figures are made up here: the benchmark itself runs in `make bench`, never in the
tests."""

from __future__ import annotations

import argparse
import copy

from bench.bench_whatsapp import report

ARGS = argparse.Namespace(buttons=60.0, texts=20.0, max_rate=80.0)


def _kind(rate: float, per_s: float, p95: float) -> dict:
    return {"target_per_s": rate, "sent": 600, "done": 600, "per_s": per_s, "p50_ms": 40.0, "p95_ms": p95}


MET = {
    "database": "sqlite",
    "button": {**_kind(60, 59.8, 120.0), "dropped": 0},
    "text": {**_kind(20, 19.9, 240.0), "dropped": 0},
    "solo_button": {"p50_ms": 30.0, "p95_ms": 45.0},
    "solo_text": {"p50_ms": 60.0, "p95_ms": 90.0},
    "ack": {"n": 3200, "p50_ms": 4.0, "p99_ms": 40.0},
    "busiest_second": 80,
    "refused": 0,
    "cpu": {"bot_ms_per_event": 3.1, "emulator_ms_per_event": 1.2},
    "fallbacks": [],
}


def test_a_run_that_meets_every_aim_passes(capsys):
    assert report(copy.deepcopy(MET), ARGS) is True
    out = capsys.readouterr().out
    assert "aims met" in out and "MISS" not in out


def test_dropped_sends_are_a_miss_even_when_the_rates_look_met(capsys):
    r = copy.deepcopy(MET)
    r["text"]["dropped"] = 3  # three texts never sent: the bot kept every text user busy
    assert report(r, ARGS) is False
    out = capsys.readouterr().out
    assert "MISS: sends dropped for want of a free user: 0 list picks, 3 free texts" in out
    assert "aims NOT met" in out


def test_an_event_never_answered_is_a_miss(capsys):
    r = copy.deepcopy(MET)
    r["unfinished"] = 2
    assert report(r, ARGS) is False
    assert "MISS: 2 events never answered" in capsys.readouterr().out


def test_a_rasa_failure_in_the_bot_log_is_a_miss(capsys, tmp_path):
    from bench.bench_whatsapp import _fallbacks

    log = tmp_path / "bot.log"
    log.write_text(
        "WARNING athar.web started\n"
        "WARNING nlu.service Rasa unavailable (timeout); using the fallback parser\n",
        encoding="utf-8",
    )
    r = copy.deepcopy(MET)
    r["fallbacks"] = _fallbacks(log)
    assert len(r["fallbacks"]) == 1
    assert report(r, ARGS) is False
    assert "MISS: 1 Rasa failures (texts answered by the fallback parser)" in capsys.readouterr().out


def test_an_aim_missed_fails_without_a_miss_line(capsys):
    r = copy.deepcopy(MET)
    r["button"]["p95_ms"] = 301.0
    assert report(r, ARGS) is False
    out = capsys.readouterr().out
    assert "aims NOT met" in out and "MISS" not in out
