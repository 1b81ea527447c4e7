"""A poll burst: many respondents answering at the same time through the dispatcher.

Shared by the load test (tests/polls/test_load.py) and the benchmark (bench/bench_polls.py).
Every respondent's answers are known in advance, so the database can be checked exactly:
nothing lost, nothing duplicated.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from domain.messages import Incoming
from domain.polls import Question, questions_of


def expected_value(n: int, i: int, q: Question) -> Any:
    values = q.values()
    return values[(n + i) % len(values)]


def script(poll: Any, n: int, refuse: bool = False) -> list[dict[str, Any]]:
    """The messages respondent n sends: deep link, language, consent, then every answer."""
    msgs: list[dict[str, Any]] = [
        dict(command="start", command_arg=poll.token),
        dict(button=f"lang:{('fr', 'ar', 'ary', 'ary-Latn')[n % 4]}"),
        dict(button="pc:no" if refuse else "pc:yes"),
    ]
    if refuse:
        return msgs
    for i, q in enumerate(questions_of(poll)):
        if q.kind == "text":
            msgs.append(dict(text=f"story {n}"))
        else:
            msgs.append(dict(button=f"pq:{i}:{expected_value(n, i, q)}"))
    return msgs


@dataclass
class BurstResult:
    messages: int = 0
    answers: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # answer → next question, seconds
    single_reply: int = 0  # answers that got exactly one outgoing message
    duplicates_sent: int = 0
    duplicates_dropped: int = 0

    def p(self, q: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0


def burst(
    handle: Callable[[Incoming], Any],
    poll: Any,
    respondents: int,
    workers: int = 16,
    refusers: int = 0,
    duplicate_every: int = 0,
    channel: str = "telegram",
) -> BurstResult:
    """Run the scripts round by round: in each round every respondent sends their next message
    at the same time (a thread pool). Respondents n < refusers say no to consent. Every
    `duplicate_every`-th answer is delivered twice (a webhook retry): the copy must be dropped."""
    scripts = [script(poll, n, refuse=n < refusers) for n in range(respondents)]
    res = BurstResult()
    t0 = time.perf_counter()

    def send(n: int, k: int) -> tuple[float, int, bool, int]:
        m = scripts[n][k]
        inc = Incoming(
            channel=channel, chat_id=f"{channel}-{n}", user_ref=f"user-{n}", message_id=f"{n}-{k}", **m
        )
        start = time.perf_counter()
        out = handle(inc)
        took = time.perf_counter() - start
        dropped = 0
        if duplicate_every and k >= 3 and (n * 31 + k) % duplicate_every == 0:
            dropped = 1 if handle(inc).duplicate else 0
            return took, len(out.replies), True, dropped
        return took, len(out.replies), False, dropped

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for k in range(max(len(s) for s in scripts)):
            live = [n for n in range(respondents) if k < len(scripts[n])]
            for took, n_replies, dup, dropped in pool.map(lambda n, k=k: send(n, k), live):
                res.messages += 1
                if k >= 3:
                    res.answers += 1
                    res.latencies.append(took)
                    res.single_reply += n_replies == 1
                res.duplicates_sent += dup
                res.duplicates_dropped += dropped
    res.seconds = time.perf_counter() - t0
    return res


def check(uow_factory: Callable[[], Any], poll: Any, respondents: int, refusers: int = 0) -> dict[str, int]:
    """Compare the database with the scripts: counts of expected, stored, missing, wrong and
    duplicated answers (duplicates: more than one row per respondent and question)."""
    qs = questions_of(poll)
    with uow_factory() as uow:
        rs = uow.respondents.list(poll.id)
        rows = uow.responses.for_poll(poll.id)
        stories = uow.stories.list(poll.project_id)
        refusals = uow.respondents.count_refusals(poll.id)
    by_id = {r.id: r for r in rs}
    seen: dict[tuple[int, str], Any] = {}
    dup = 0
    for row in rows:
        key = (row.respondent_id, row.question)
        dup += key in seen
        seen[key] = row.value
    story_text = {s.id: s.text for s in stories}
    from domain.polls import pseudonym  # noqa: F401 - documents what links rows to people

    wrong = 0
    lang_of = {}
    for r in rs:
        lang_of[r.id] = r.language
    # each respondent's number n is recovered from their story text ("story n")
    n_of: dict[int, int] = {}
    for (rid, _q), v in seen.items():
        if isinstance(v, dict) and v.get("story") in story_text:
            n_of[rid] = int(str(story_text[v["story"]]).split()[-1])
    for (rid, qid), v in seen.items():
        n = n_of.get(rid)
        i = next(i for i, q in enumerate(qs) if q.id == qid)
        if qs[i].kind == "text" or n is None:
            continue
        wrong += v != expected_value(n, i, qs[i])
    expected = (respondents - refusers) * len(qs)
    return {
        "respondents": len(by_id),
        "expected_answers": expected,
        "stored_answers": len(rows),
        "missing": expected - len(seen),
        "duplicated": dup,
        "wrong": wrong,
        "stories": len(stories),
        "refusals": refusals,
        "completed": sum(1 for r in rs if r.completed_at is not None),
    }
