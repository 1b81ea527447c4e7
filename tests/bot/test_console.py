"""The terminal channel: piped input, numbered buttons, resume across runs, kill -9 mid-dialogue."""

from __future__ import annotations

import io
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.channels.console import run_console, to_incoming
from tests.bot.helpers import BIDI_CONTROLS as BIDI, invite, make_dispatcher

ATHAR = str(Path(sys.executable).parent / "athar")


def test_commands_and_text_lines():
    assert to_incoming("/start inv_ABCD2345", "u").command == "start"
    assert to_incoming("/start inv_ABCD2345", "u").command_arg == "inv_ABCD2345"
    assert to_incoming("/help", "u").command == "help"
    assert to_incoming("1/2 des jeunes", "u").text == "1/2 des jeunes"
    assert to_incoming("/ ", "u").command is None


def test_piped_session_numbers_the_buttons_and_ends_at_eof(sqlite_uow_factory):
    d = make_dispatcher(sqlite_uow_factory)
    code = invite(sqlite_uow_factory, "coordinator", None)
    out = io.StringIO()
    run_console(d, user="amina", stdin=io.StringIO(f"salam\n4\n{code}\n"), stdout=out, interactive=False)
    text = out.getvalue()
    assert "  1) Français" in text and "  4) Darija (latin)" in text
    assert "> 4" in text and "code dyal da3wa" in text  # 4 chose Darija (latin)
    assert "Chno bghiti dir?" in text  # the menu, in Arabizi


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ATHAR_DATABASE_URL=f"sqlite:///{tmp_path / 'athar.db'}",
        ATHAR_NLU__URL="",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def test_the_next_run_resumes_where_the_last_one_stopped(tmp_path):
    env = _env(tmp_path)
    first = subprocess.run(
        [ATHAR, "chat", "--user", "karim"],
        input="bonjour\n1\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    assert "code d'invitation" in first.stdout
    second = subprocess.run(
        [ATHAR, "chat", "--user", "karim"],
        input="",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert second.returncode == 0, second.stderr
    assert "code d'invitation" in second.stdout  # resumed at the same question


def test_admin_invite_prints_the_code_on_its_last_line(tmp_path):
    env = _env(tmp_path)
    out = subprocess.run(
        [ATHAR, "admin", "invite", "--commune", "ait baha", "--role", "staff"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    code = out.stdout.strip().splitlines()[-1]
    assert len(code) == 9 and code[4] == "-"
    bad = subprocess.run(
        [ATHAR, "admin", "invite", "--commune", "Atlantis", "--role", "staff"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert bad.returncode == 2 and "Atlantis" in bad.stderr and "Berkane" in bad.stderr
    chat = subprocess.run(
        [ATHAR, "chat", "--user", "nadia", "--lang", "fr"],
        input=f"{code}\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert "commune de Aït Baha" in chat.stdout.replace("\u2068", "").replace("\u2069", "")
    again = subprocess.run(
        [ATHAR, "chat", "--user", "omar", "--lang", "fr"],
        input=f"{code}\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert "déjà été utilisé" in again.stdout


def _read_until(proc: subprocess.Popen, needle: str, timeout: float = 60) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while needle.encode() not in seen:
        if time.monotonic() > deadline or proc.poll() is not None:
            raise AssertionError(f"{needle!r} never came; got {seen.decode(errors='replace')!r}")
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            seen += os.read(fd, 65536)
    return seen.decode(errors="replace")


@pytest.mark.slow
def test_a_process_killed_mid_dialogue_resumes_at_the_same_step(tmp_path):
    env = _env(tmp_path)
    proc = subprocess.Popen(
        [ATHAR, "chat", "--user", "salma"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
    )
    try:
        proc.stdin.write("مرحبا\n".encode())
        proc.stdin.flush()
        _read_until(proc, "1)")
        proc.stdin.write(b"3\n")  # the third option: Darija in Arabic script
        proc.stdin.flush()
        _read_until(proc, "كود ديال الدعوة")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    after = subprocess.run(
        [ATHAR, "chat", "--user", "salma"],
        input="ZZZZ-ZZZZ\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert after.returncode == 0, after.stderr
    assert after.stdout.count("كود ديال الدعوة") >= 1  # the question is asked again on resume
    assert "ما لقيتش هاد الكود" in after.stdout  # and the next answer is read as a code


def test_a_message_that_fails_is_answered_with_the_error_in_the_language_of_the_moment(tmp_path):
    """The terminal tells a failure at once (nothing waits in a queue there), in the language
    the conversation is in at that moment: here Arabic, chosen during the session. Every save of
    the conversation fails once it is in Arabic (a trigger, as a bug or a broken row would)."""
    from sqlalchemy import create_engine, text
    from bot.i18n import default_catalog

    env = _env(tmp_path)
    subprocess.run(
        [ATHAR, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=60, cwd=tmp_path
    )
    engine = create_engine(env["ATHAR_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER poisoned BEFORE UPDATE ON conversations "
                "WHEN OLD.language = 'ar' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
            )
        )
    engine.dispose()
    out = subprocess.run(
        [ATHAR, "chat", "--user", "leila"],
        input="bonjour\n2\nمرحبا\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    said = out.stdout.translate(BIDI)
    assert default_catalog().text("common.error", "ar").translate(BIDI) in said
    assert default_catalog().text("common.error", "fr").translate(BIDI) not in said
