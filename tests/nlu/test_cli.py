"""`athar nlu parse --jsonl --no-rasa` and `athar nlu eval --no-rasa` (no Rasa needed)."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin.encode("utf-8"),
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )


def test_parse_jsonl_no_rasa():
    lines = ["wach momkin t3awni?", "👍", "الشباب غادي يلقاو خدمة من هنا ستة شهور", "Bonjour"]
    proc = run(["nlu", "parse", "--jsonl", "--no-rasa"], "\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr.decode()
    out = [json.loads(x) for x in proc.stdout.decode("utf-8").splitlines()]
    assert [o["text"] for o in out] == lines
    assert [o["engine"] for o in out] == ["fallback", "none", "fallback", "fallback"]
    assert [o["language"] for o in out] == ["ary-Latn", None, "ary", "fr"]
    assert [o["intent"]["name"] for o in out] == ["help", "nlu_fallback", "describe_effect", "greet"]
    assert set(out[0]) == {"text", "language", "intent", "entities", "levels", "engine"}
    # the statement-level model's reading: none for an emoji, an effect for the Darija statement
    assert out[1]["levels"] is None
    assert max(out[2]["levels"], key=out[2]["levels"].get) == "effect"
    ents = {(e["entity"], e["value"]) for e in out[2]["entities"]}
    assert ents == {("public", "youth"), ("domain", "employment_income"), ("duration", 6.0)}


def test_eval_no_rasa(tmp_path):
    f = tmp_path / "e.jsonl"
    rows = [
        {"text": "merci", "language": "fr", "intent": "thanks", "entities": []},
        {"text": "شكرا بزاف", "language": "ary", "intent": "thanks", "entities": []},
        {
            "text": "les femmes trouvent un emploi",
            "language": "fr",
            "intent": "describe_effect",
            "entities": [
                {"entity": "public", "value": "women"},
                {"entity": "domain", "value": "employment_income"},
            ],
        },
        {"text": "la2", "language": "ary-Latn", "intent": "affirm", "entities": []},
    ]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    proc = run(["nlu", "eval", str(f), "--no-rasa", "--json"])
    assert proc.returncode == 0, proc.stderr.decode()
    figures = json.loads(proc.stdout)
    assert figures["fr"]["intent_accuracy"] == 1.0
    assert figures["ary-Latn"]["intent_accuracy"] == 0.0  # la2 is deny, the file says affirm
    assert figures["fr"]["entity_f1"] == {"public": 1.0, "domain": 1.0}
    proc = run(["nlu", "eval", str(f), "--no-rasa"])
    text = proc.stdout.decode()
    assert "Per variant" in text and "Intent confusion" in text and "Language-id confusion" in text
    # an entity mismatch shows in the entity confusion table: gold youth, predicted children
    g = tmp_path / "g.jsonl"
    g.write_text(
        json.dumps(
            {
                "text": "drari sghar wlaw kaymchiw l madrasa",
                "language": "ary-Latn",
                "intent": "describe_effect",
                "entities": [
                    {"entity": "public", "value": "youth"},
                    {"entity": "domain", "value": "education_training"},
                ],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    text = run(["nlu", "eval", str(g), "--no-rasa"]).stdout.decode()
    table = text.split("Entity confusion")[1].split("Engines")[0]
    assert [line.split() for line in table.strip().splitlines()[2:]] == [
        ["ary-Latn", "public", "youth", "children", "1"]
    ]


def test_eval_a_language_id_file_without_intents(tmp_path):
    f = tmp_path / "langid.jsonl"
    rows = [
        {"text": "bonjour à tous", "language": "fr"},
        {"text": "wach kayn chi jdid", "language": "ary-Latn"},
        {"text": "شنو خاصني ندير دابا", "language": "ary"},
        {"text": "ما هي الخطوة التالية", "language": "ary"},
    ]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    proc = run(["nlu", "eval", str(f), "--no-rasa", "--json"])
    assert proc.returncode == 0, proc.stderr.decode()
    figures = json.loads(proc.stdout)
    assert figures["fr"] == {
        "n": 1,
        "intent_accuracy": None,
        "language_accuracy": 1.0,
        "level_accuracy": None,
        "entity_f1": {},
    }
    assert figures["ary"]["language_accuracy"] == 0.5  # the MSA line is labelled ary on purpose
    proc = run(["nlu", "eval", str(f), "--no-rasa", "--errors", "5"])
    assert proc.returncode == 0, proc.stderr.decode()
    text = proc.stdout.decode()
    assert "Language-id confusion" in text and "Intent confusion" not in text
    assert "language ary -> ar: ما هي الخطوة التالية" in text


def test_without_python310_the_makefile_says_how_to_get_it(tmp_path):
    """nlu/find-python310.sh (used by the Makefile) on a machine with no Python 3.10 at all."""
    import shutil

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "cat"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [str(bin_dir / "bash"), os.path.join(ROOT, "nlu", "find-python310.sh")],
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=30,
    )
    msg = proc.stderr.decode()
    assert proc.returncode == 1 and proc.stdout == b""
    assert "pyenv install 3.10" in msg and "uv python install 3.10" in msg
    assert "rasa/rasa:3.6" in msg and "ATHAR_NLU__URL" in msg


def test_eval_the_real_dev_set():
    proc = run(["nlu", "eval", "--real", "train", "--no-rasa", "--json"])
    assert proc.returncode == 0, proc.stderr.decode()
    figures = json.loads(proc.stdout)
    statements = figures["real statements (train)"]
    assert {"fr", "ar"} <= set(statements) and statements["fr"]["intent_accuracy"] is not None
    assert statements["fr"]["entity_f1"] == {}  # not annotated: not judged
    assert run(["nlu", "eval", "--no-rasa"]).returncode == 2  # neither a file nor --real
