"""`athar nlu parse --jsonl --no-rasa` and `athar nlu eval --no-rasa` (no Rasa needed)."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(args, stdin=""):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin.encode("utf-8"),
                          capture_output=True, cwd=ROOT, timeout=120)


def test_parse_jsonl_no_rasa():
    lines = ["wach momkin t3awni?", "👍", "الشباب غادي يلقاو خدمة من هنا ستة شهور", "Bonjour"]
    proc = run(["nlu", "parse", "--jsonl", "--no-rasa"], "\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr.decode()
    out = [json.loads(x) for x in proc.stdout.decode("utf-8").splitlines()]
    assert [o["text"] for o in out] == lines
    assert [o["engine"] for o in out] == ["fallback", "none", "fallback", "fallback"]
    assert [o["language"] for o in out] == ["ary-Latn", None, "ary", "fr"]
    assert [o["intent"]["name"] for o in out] == ["help", "nlu_fallback", "describe_effect", "greet"]
    assert set(out[0]) == {"text", "language", "intent", "entities", "engine"}
    ents = {(e["entity"], e["value"]) for e in out[2]["entities"]}
    assert ents == {("public", "youth"), ("domain", "employment_income"), ("duration", 6.0)}


def test_eval_no_rasa(tmp_path):
    f = tmp_path / "e.jsonl"
    rows = [{"text": "merci", "language": "fr", "intent": "thanks", "entities": []},
            {"text": "شكرا بزاف", "language": "ary", "intent": "thanks", "entities": []},
            {"text": "les femmes trouvent un emploi", "language": "fr", "intent": "describe_effect",
             "entities": [{"entity": "public", "value": "women"}, {"entity": "domain", "value": "employment_income"}]},
            {"text": "la2", "language": "ary-Latn", "intent": "affirm", "entities": []}]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    proc = run(["nlu", "eval", str(f), "--no-rasa", "--json"])
    assert proc.returncode == 0, proc.stderr.decode()
    figures = json.loads(proc.stdout)
    assert figures["fr"]["intent_accuracy"] == 1.0
    assert figures["ary-Latn"]["intent_accuracy"] == 0.0   # la2 is deny, the file says affirm
    assert figures["fr"]["entity_f1"] == {"public": 1.0, "domain": 1.0}
    proc = run(["nlu", "eval", str(f), "--no-rasa"])
    text = proc.stdout.decode()
    assert "Per variant" in text and "Intent confusion" in text and "Language-id confusion" in text
