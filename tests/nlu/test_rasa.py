"""The real trained model on the real Rasa server (started once per session, see conftest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from nlu.evaluate import evaluate, format_report

pytestmark = pytest.mark.rasa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_heldout_meets_the_contract_bar(rasa_nlu, heldout):
    rep = evaluate(rasa_nlu, heldout)
    report = format_report(rep)
    assert rep.engines == {"rasa": len(heldout)}, report
    for lang in ("fr", "ar", "ary", "ary-Latn"):
        assert rep.intent_accuracy(lang) >= 0.90, report
        assert rep.lang_accuracy(lang) >= 0.95, report
        assert rep.entity_prf(lang, "public")[2] >= 0.85, report
        assert rep.entity_prf(lang, "domain")[2] >= 0.85, report


@pytest.mark.parametrize(
    "text, intent",
    [
        ("wach momkin t3awni?", "help"),
        ("الشباب غادي يلقاو خدمة", "describe_effect"),
        ("يحصل الشباب المستفيدون على عمل", "describe_effect"),
        ("Les jeunes formés trouvent un emploi", "describe_effect"),
        ("chabab ghadi yl9aw khedma", "describe_effect"),
        ("organiser 10 ateliers de recherche d'emploi", "describe_activity"),
        ("120 jeunes ont été formés", "describe_output"),
        ("la2", "deny"),
        ("wakha", "affirm"),
    ],
)
def test_contract_examples(rasa_nlu, text, intent):
    u = rasa_nlu.parse(text)
    assert (u.engine, u.intent.name) == ("rasa", intent)


@pytest.mark.parametrize(
    "text, word, value",
    [
        ("Nous avons formé cinq animateurs", "cinq", "5"),  # fr
        ("تم تكوين خمسة منشطين في الحي", "خمسه", "5"),  # ar (sent normalised)
        ("كونّا عشرين ديال الشباب", "عشرين", "20"),  # ary
        ("kwwenna 3echrin dyal chabab", "3echrin", "20"),  # ary-Latn
        ("tlata dyal les ateliers", "tlata", "3"),
    ],
)
def test_rasa_itself_extracts_number_words_with_their_value(rasa_server, text, word, value):
    """The `number` lookup table and synonyms (generated from nlu/numbers.py) are in the model."""
    from nlu.client import RasaClient
    from nlu.normalize import normalize

    client = RasaClient(rasa_server.url, timeout=10.0)
    try:
        norm = normalize(text)
        body = client.parse(norm)
    finally:
        client.close()
    nums = [(norm[e["start"] : e["end"]], e["value"]) for e in body["entities"] if e["entity"] == "number"]
    assert nums == [(word, value)], body["entities"]


def test_rasa_does_not_take_an_article_for_a_number(rasa_server):
    from nlu.client import RasaClient

    client = RasaClient(rasa_server.url, timeout=10.0)
    try:
        for text in ("un atelier pour les jeunes", "wahd nhar ghadi nji", "واحد الدرس"):
            assert [e for e in client.parse(text)["entities"] if e["entity"] == "number"] == [], text
    finally:
        client.close()


def test_rasa_answers_the_same_in_every_script_spelling(rasa_nlu):
    a = rasa_nlu.parse("شكراااا بزاااف")
    b = rasa_nlu.parse("شكرا بزاف")
    assert a.intent == b.intent and a.intent.name == "thanks"


def test_stop_rasa_in_the_middle_of_a_conversation(rasa_model):
    """Rasa dies between two messages: the conversation goes on with the fallback parser."""
    from nlu.server import LocalRasa, free_port
    from nlu.service import make_nlu

    server = LocalRasa(free_port(), rasa_model, rasa_model.parent / "test-kill.log")
    server.start()
    try:
        server.wait_ready(timeout=300, log=lambda m: None)
        nlu = make_nlu(server.url, timeout=2.0)
        first = nlu.parse("salam")
        second = nlu.parse("ghadi nnadmo 3echrin dyal les ateliers l chabab")
        assert (first.engine, first.intent.name) == ("rasa", "greet")
        assert (second.engine, second.intent.name) == ("rasa", "describe_activity")
        server.kill()
        t0 = time.monotonic()
        answers = [nlu.parse(t) for t in ("3afak 3awni", "wakha", "chabab ghadi yl9aw khedma", "bslama")]
        elapsed = time.monotonic() - t0
        assert [(u.engine, u.intent.name) for u in answers] == [
            ("fallback", "help"),
            ("fallback", "affirm"),
            ("fallback", "describe_effect"),
            ("fallback", "goodbye"),
        ]
        assert answers[2].first("public").value == "youth"
        assert elapsed < 10  # one failed connection, not one timeout per message
        nlu.close()
    finally:
        server.stop()


def _cli(args, stdin: str, url: str | None = None, timeout=300):
    env = dict(os.environ)
    if url:
        env["ATHAR_NLU__URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin.encode("utf-8"),
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )


def test_cli_parse_jsonl_with_rasa(rasa_server):
    lines = ["wach momkin t3awni?", "", "🙂", "120 jeunes ont été formés", "30 f lmya dyal l3yalat"]
    proc = _cli(["nlu", "parse", "--jsonl"], "\n".join(lines) + "\n", url=rasa_server.url)
    assert proc.returncode == 0, proc.stderr.decode()
    out = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert [o["text"] for o in out] == lines
    assert [o["engine"] for o in out] == ["rasa", "none", "none", "rasa", "rasa"]
    assert out[0]["language"] == "ary-Latn" and out[0]["intent"]["name"] == "help"
    assert 0 < out[0]["intent"]["confidence"] <= 1
    assert {"entity": "number", "value": 120.0, "start": 0, "end": 3} in out[3]["entities"]
    assert {(e["entity"], e["value"]) for e in out[4]["entities"]} == {("percent", 30.0), ("public", "women")}


def test_cli_train_skips_when_the_data_is_unchanged(rasa_model):
    proc = _cli(["nlu", "train"], "", timeout=120)
    assert proc.returncode == 0
    assert "skipped" in proc.stdout.decode()


def test_an_already_running_server_is_used_and_an_outdated_model_is_reported(rasa_server, rasa_model):
    from pathlib import Path

    from nlu.server import local_rasa

    said: list[str] = []
    with local_rasa(rasa_server.url, log=said.append) as started:
        assert started is None and said == []  # the current model: used as it is, silently
    with local_rasa(
        rasa_server.url, log=said.append, model=Path("/elsewhere/0000000000000000.tar.gz")
    ) as started:
        assert started is None
    assert len(said) == 1 and rasa_model.name in said[0] and "0000000000000000" in said[0]


def test_the_local_server_is_started_with_progress_and_stopped_on_exit(rasa_model):
    """What `make run` does: a local NLU URL where nothing answers → Rasa as a child process, with
    progress while the model loads, stopped when Athar ends (here by SIGTERM)."""
    import signal

    from nlu.server import answering, free_port

    url = f"http://127.0.0.1:{free_port()}"
    env = dict(os.environ, ATHAR_NLU__URL=url, ATHAR_NLU__AUTOSTART="true")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "nlu", "parse", "--jsonl"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        proc.stdin.write("salam\n".encode())
        proc.stdin.flush()
        line = json.loads(proc.stdout.readline())  # waits while the model loads
        assert (line["engine"], line["intent"]["name"]) == ("rasa", "greet")
        assert answering(url)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        err = proc.stderr.read().decode()
        assert f"Starting the NLU server (Rasa) on 127.0.0.1:{url.rsplit(':', 1)[1]}" in err
        assert "NLU ready after" in err
        deadline = time.monotonic() + 20
        while answering(url) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not answering(url)
    finally:
        if proc.poll() is None:
            proc.kill()
        _kill_rasa_on_port(url.rsplit(":", 1)[1])  # only if the test failed and left it behind


def _kill_rasa_on_port(port: str) -> None:
    import signal
    from pathlib import Path

    for d in Path("/proc").glob("[0-9]*"):
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"run" in argv and b"--enable-api" in argv and b"-p" in argv and port.encode() in argv:
            try:
                os.kill(int(d.name), signal.SIGKILL)
            except OSError:
                pass
