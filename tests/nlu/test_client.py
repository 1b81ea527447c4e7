"""The Rasa client and the resilient service, against a mock transport (no server), and the
client's own keep-alive transport against a small local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from domain.nlu import NLU
from nlu.client import RasaClient, RasaError, validate
from nlu.service import ResilientNLU, _Breaker, make_nlu


class FakeRasa:
    """A mock transport that records what it was sent and answers with `reply(text)`, a
    (status, body) pair."""

    def __init__(self, reply):
        self.reply = reply
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def request(self, method: str, path: str, body: bytes | None, timeout: float) -> tuple[int, bytes]:
        assert (method, path) == ("POST", "/model/parse")
        text = json.loads(body)["text"]
        with self.lock:
            self.sent.append(text)
        return self.reply(text)

    def close(self) -> None:
        pass


def answer(status: int, body) -> tuple[int, bytes]:
    return status, body if isinstance(body, bytes) else json.dumps(body).encode()


def ok(intent="help", confidence=0.93, entities=()):
    return lambda text: answer(
        200, {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": list(entities)}
    )


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def service(reply, *, max_chars=1000, clock=None):
    fake = FakeRasa(reply)
    client = RasaClient("http://rasa.test", timeout=1.0, transport=fake)
    nlu = ResilientNLU(client, max_chars=max_chars, breaker=_Breaker(clock=clock or Clock()))
    return nlu, fake


def test_a_good_answer_is_used():
    nlu, fake = service(ok("help", 0.93))
    u = nlu.parse("wach momkin t3awni?")
    assert isinstance(nlu, NLU)
    assert (u.engine, u.intent.name, u.intent.confidence, u.language) == ("rasa", "help", 0.93, "ary-Latn")
    assert fake.sent == ["wach momkin t3awni?"]


def test_text_is_normalised_before_it_is_sent():
    nlu, fake = service(ok("describe_effect"))
    nlu.parse("الشَّبابُ غـــادي يلقاو خدمة ٣٠")
    assert fake.sent == ["الشباب غادي يلقاو خدمه 30"]


def test_rasa_entities_are_mapped_back_and_normalised():
    raw = "دعم الشَّباب في الصحة"
    norm = "دعم الشباب في الصحه"
    s = norm.index("الشباب")
    ents = [
        {"entity": "public", "value": "youth", "start": s, "end": s + 6, "extractor": "RegexEntityExtractor"},
        {"entity": "domain", "value": "الصحه", "start": norm.index("الصحه"), "end": len(norm)},
    ]
    nlu, _ = service(ok("describe_activity", 0.8, ents))
    u = nlu.parse(raw)
    got = [(e.entity, e.value, raw[e.start : e.end]) for e in u.entities]
    assert got == [("public", "youth", "الشَّباب"), ("domain", "health_wellbeing", "الصحة")]


def test_numbers_come_from_our_extractor_even_with_rasa():
    nlu, _ = service(ok("describe_output"))
    u = nlu.parse("3echrin dyal chabab f 6 chhor, 30 f lmya")
    assert {(e.entity, e.value) for e in u.entities} >= {
        ("number", 20.0),
        ("duration", 6.0),
        ("percent", 30.0),
        ("public", "youth"),
    }


def test_the_longest_public_or_domain_wins_and_set_phrases_are_no_entity():
    norm = "35 dyal drari sghar, ورشات عمل"
    s = norm.index("drari")
    w = norm.index("عمل")
    ents = [
        {"entity": "public", "value": "youth", "start": s, "end": s + 5},  # "drari" alone
        {"entity": "domain", "value": "employment_income", "start": w, "end": w + 3},
    ]  # in "ورشات عمل"
    nlu, _ = service(ok("describe_output", 0.9, ents))
    u = nlu.parse(norm)
    assert [
        (e.entity, e.value, norm[e.start : e.end]) for e in u.entities if e.entity in ("public", "domain")
    ] == [("public", "children", "drari sghar")]


def test_rasa_number_words_outside_our_quantities_are_added():
    """Rasa's `number` lookup entities (value = the synonym) fill what nlu.numbers did not find;
    where our extractor already has a quantity (joined, percent, duration) it wins."""
    raw = "ghadi n3tiw KHAMSSA dyal kits, khamsa w 3chrin l chabab, 6 chhor, xyz"
    norm = "ghadi n3tiw khamssa dyal kits, khamsa w 3chrin l chabab, 6 chhor, xyz"

    def at(word, value, entity="number"):
        s = norm.index(word)
        return {
            "entity": entity,
            "value": value,
            "start": s,
            "end": s + len(word),
            "extractor": "RegexEntityExtractor",
        }

    ents = [
        at("khamssa", "5"),  # a spelling nlu.numbers does not know: added
        at("khamsa", "5"),
        at("3chrin", "20"),  # inside "khamsa w 3chrin" (25): ours wins
        at("6", "6"),  # inside the duration "6 chhor": ours wins
        at("xyz", "not a number"),  # garbage value: ignored
        at("kits", "nan"),
    ]  # not finite: ignored
    nlu, fake = service(ok("describe_activity", 0.9, ents))
    u = nlu.parse(raw)
    assert fake.sent == [norm]
    got = [(e.entity, e.value, raw[e.start : e.end]) for e in u.entities if e.entity != "public"]
    assert got == [
        ("number", 5.0, "KHAMSSA"),
        ("number", 25.0, "khamsa w 3chrin"),
        ("duration", 6.0, "6 chhor"),
    ]


def test_rasa_number_spans_map_back_to_the_original_text():
    raw = "وزعنا خمســـة  كراسي"  # tatweel and a double space before normalisation
    nlu, fake = service(
        ok("describe_output", 0.9, [{"entity": "number", "value": "5", "start": 6, "end": 10}])
    )
    u = nlu.parse(raw)
    assert fake.sent == ["وزعنا خمسه كراسي"]
    nums = [(e.value, raw[e.start : e.end]) for e in u.entities if e.entity == "number"]
    assert nums == [(5.0, "خمســـة")]


@pytest.mark.parametrize(
    "reply",
    [
        lambda t: answer(500, b"boom"),
        lambda t: answer(200, b"<html>not json</html>"),
        lambda t: answer(200, b"\xff\xfe not UTF-8"),
        lambda t: answer(200, ["a", "list"]),
        lambda t: answer(200, {"intent": {"name": "help"}}),
        lambda t: answer(200, {"intent": {"name": "help", "confidence": 7}}),
        lambda t: answer(200, {"intent": {"name": "no_such_intent", "confidence": 0.9}, "entities": []}),
        lambda t: answer(200, {"intent": {"name": "help", "confidence": 0.9}, "entities": "x"}),
    ],
    ids=[
        "http500",
        "html",
        "not-utf8",
        "list",
        "no-confidence",
        "confidence>1",
        "unknown-intent",
        "entities-not-list",
    ],
)
def test_garbage_falls_back(reply):
    nlu, fake = service(reply)
    u = nlu.parse("je ne comprends pas")
    assert u.engine == "fallback"
    assert u.intent.name == "help"
    assert len(fake.sent) == 1


def test_timeouts_and_refused_connections_fall_back():
    def slow(text):
        raise TimeoutError("timed out")

    nlu, _ = service(slow)
    assert nlu.parse("annuler").intent.name == "cancel"
    nlu = make_nlu("http://127.0.0.1:9", timeout=0.5)  # nothing listens on port 9
    u = nlu.parse("bslama")
    assert (u.engine, u.intent.name) == ("fallback", "goodbye")


def test_breaker_skips_a_dead_rasa_then_tries_again():
    clock = Clock()
    calls = {"n": 0}

    def flaky(text):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError("refused")
        return ok("affirm", 0.9)(text)

    nlu, fake = service(flaky, clock=clock)
    assert nlu.parse("oui").engine == "fallback"
    assert nlu.parse("oui").engine == "fallback"  # breaker open: Rasa not asked
    assert len(fake.sent) == 1
    clock.t += 1.5
    assert nlu.parse("oui").engine == "rasa"  # cool-down over: tried again, and it works
    assert len(fake.sent) == 2


def test_breaker_cool_down_grows_and_resets():
    clock = Clock()
    b = _Breaker(first=1.0, longest=4.0, clock=clock)
    for wait in (1.0, 2.0, 4.0, 4.0):
        b.failure()
        assert not b.allow()
        clock.t += wait - 0.01
        assert not b.allow()
        clock.t += 0.02
        assert b.allow()
    b.success()
    b.failure()
    clock.t += 1.01
    assert b.allow()


@pytest.mark.parametrize("text", ["", "   ", "🙂", "👍👍👍", "?!", "...", "😀 !", "\n"])
def test_empty_emoji_and_punctuation_never_reach_rasa(text):
    nlu, fake = service(ok("affirm", 1.0))
    u = nlu.parse(text)
    assert (u.engine, u.intent.name) == ("none", "nlu_fallback")
    assert fake.sent == []


def test_long_text_is_cut_before_it_is_sent():
    nlu, fake = service(ok("describe_effect"), max_chars=1000)
    text = "les jeunes trouvent un emploi " * 700  # 21,000 characters
    u = nlu.parse(text)
    assert u.engine == "rasa" and u.text == text
    assert len(fake.sent) == 1 and len(fake.sent[0]) <= 1000
    assert all(e.end <= 1000 for e in u.entities)


def test_one_shared_client_across_threads():
    nlu, fake = service(ok("thanks", 0.99))
    results = []

    def work():
        for _ in range(20):
            results.append(nlu.parse("merci").intent.name)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["thanks"] * 160 and len(fake.sent) == 160


def test_validate_keeps_only_what_we_use():
    body = validate(
        {
            "text": "x",
            "intent": {"name": "greet", "confidence": 1},
            "entities": [],
            "intent_ranking": [],
            "response_selector": {},
        }
    )
    assert body["intent"] == {"name": "greet", "confidence": 1.0}
    with pytest.raises(RasaError):
        validate(
            {
                "intent": {"name": "greet", "confidence": 0.5},
                "entities": [{"entity": "public", "start": 5, "end": 2}],
            }
        )


def test_no_url_means_fallback_only():
    nlu = make_nlu(None)
    u = nlu.parse("merci")
    assert (u.engine, u.intent.name) == ("fallback", "thanks")


# -- the keep-alive transport, against a real HTTP server on 127.0.0.1 -------------------------


class _Rasaish(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: "_Server"

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append((self.path, self.client_address[1], body["text"]))
        if body["text"] == "slow":
            threading.Event().wait(1.0)
        data = json.dumps(
            {"text": body["text"], "intent": {"name": "thanks", "confidence": 0.9}, "entities": []}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.server.close_after_each:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        if self.server.drop_after_each:  # closed without saying so, like an idle timeout
            self.close_connection = True

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Rasaish)
        self.seen: list[tuple[str, int, str]] = []
        self.close_after_each = False
        self.drop_after_each = False
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def http_server():
    server = _Server()
    yield server
    server.shutdown()
    server.server_close()


def test_keep_alive_reuses_one_connection_per_thread(http_server):
    client = RasaClient(http_server.url + "/rasa/", timeout=2.0)
    try:
        assert [client.parse(f"merci {i}")["intent"]["name"] for i in range(5)] == ["thanks"] * 5
        assert {path for path, _, _ in http_server.seen} == {"/rasa/model/parse"}
        assert len({port for _, port, _ in http_server.seen}) == 1  # one connection, kept alive

        def work(n):
            for i in range(5):
                assert client.parse(f"{n}-{i}")["text"] == f"{n}-{i}"

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(http_server.seen) == 25
        assert len({port for _, port, _ in http_server.seen}) == 5  # one more per thread
    finally:
        client.close()


def test_a_connection_closed_by_the_server_is_replaced(http_server):
    client = RasaClient(http_server.url, timeout=2.0)
    try:
        client.parse("one")
        http_server.close_after_each = True  # 'Connection: close': not kept
        assert client.parse("two")["text"] == "two"
        http_server.close_after_each = False
        http_server.drop_after_each = True  # kept, but closed by the server behind our back:
        assert client.parse("three")["text"] == "three"
        assert client.parse("four")["text"] == "four"  # sent again on a new connection
    finally:
        client.close()
    texts = [text for _, _, text in http_server.seen]
    assert texts == ["one", "two", "three", "four"]  # each handled once
    assert len({port for _, port, _ in http_server.seen}) == 3  # one, two | three | four


def test_a_server_that_hangs_up_without_answering_is_an_error(http_server):
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def hang_up():
            conn, _ = listener.accept()
            conn.close()

        threading.Thread(target=hang_up, daemon=True).start()
        client = RasaClient(f"http://127.0.0.1:{port}", timeout=2.0)
        # which error the hang-up shows depends on when it lands: before the request is
        # written (broken pipe), while it is (reset) or before the answer (disconnected)
        with pytest.raises(RasaError, match="RemoteDisconnected|ConnectionReset|BrokenPipe"):
            client.parse("anyone?")
        client.close()


def test_read_timeout_and_closed_client_raise_rasa_errors(http_server):
    client = RasaClient(http_server.url, timeout=0.2)
    with pytest.raises(RasaError, match="timed out|Timeout"):
        client.parse("slow")
    assert client.parse("fast")["text"] == "fast"  # a new connection after the cut-off one
    client.close()
    with pytest.raises(RasaError, match="closed"):
        client.parse("after close")
