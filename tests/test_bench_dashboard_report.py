"""The dashboard benchmark's verdict (bench.bench_dashboard.misses): a page over the 300 ms aim, or
answering another status than it should, fails the run; made-up rows, the benchmark itself runs in
`make bench`."""

from __future__ import annotations

from bench.bench_dashboard import misses

ROWS = [
    ("overview, 10 communes (coordinator)", 200, 200, 120.0),
    ("project", 200, 200, 80.0),
    ("refused: another commune", 403, 403, 12.0),
]


def test_every_page_in_time_with_its_status_is_no_miss():
    assert misses(ROWS) == []


def test_a_slow_page_and_a_wrong_status_are_misses():
    rows = ROWS[:1] + [("project", 500, 200, 80.0), ("refused: another commune", 200, 403, 301.0)]
    assert misses(rows) == [
        "project: answered 500, not 200",
        "refused: another commune: answered 200, not 403",
        "refused: another commune: p95 301.0 ms > 300 ms",
    ]
