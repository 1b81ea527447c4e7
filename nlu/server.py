"""Start a local Rasa server when the configured NLU URL is local and nothing answers there."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

from nlu import trainer

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def is_local(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return host in LOCAL_HOSTS or host.startswith("127.")


def answering(url: str, timeout: float = 1.0) -> bool:
    """True when a Rasa server with a loaded model answers at `url`."""
    return loaded_model(url, timeout) is not None


def loaded_model(url: str, timeout: float = 1.0) -> str | None:
    """The model file the Rasa server at `url` has loaded (its /status), or None."""
    try:
        with _DIRECT.open(url.rstrip("/") + "/status", timeout=timeout) as r:
            value = json.loads(r.read()).get("model_file") if r.status == 200 else None
        return str(value) if value else None
    except (OSError, ValueError, AttributeError):  # URLError and HTTPError are OSErrors
        return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalRasa:
    """A `rasa run --enable-api` child process on 127.0.0.1."""

    def __init__(self, port: int, model: Path, log_file: Path):
        self.port = port
        self.model = model
        self.log_file = log_file
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            str(trainer.rasa_bin()),
            "run",
            "--enable-api",
            "-i",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-m",
            str(self.model),
            "--log-file",
            str(self.log_file),
        ]

    def start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log_file.with_suffix(".out"), "ab")
        self.proc = subprocess.Popen(
            self.command(),
            cwd=str(trainer.ROOT),
            env=trainer.rasa_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()

    def wait_ready(self, timeout: float = 240.0, log: Callable[[str], None] = print) -> None:
        t0 = time.monotonic()
        last = 0.0
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"Rasa exited with code {self.proc.returncode}; see {self.log_file}.out")
            if answering(self.url, timeout=1.0):
                log(f"NLU ready after {time.monotonic() - t0:.0f} s")
                return
            elapsed = time.monotonic() - t0
            if elapsed > timeout:
                self.stop()
                raise RuntimeError(f"Rasa did not answer within {timeout:.0f} s; see {self.log_file}.out")
            if elapsed - last >= 5:
                log(f"Loading the NLU model ... {elapsed:.0f} s")
                last = elapsed
            time.sleep(0.3)

    def stop(self) -> None:
        p = self.proc
        if p is None or p.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=5)

    def kill(self) -> None:
        """Stop at once (tests: a crash in the middle of a conversation)."""
        p = self.proc
        if p is not None and p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=5)


@contextlib.contextmanager
def local_rasa(
    url: str | None, *, log: Callable[[str], None] = print, model: Path | None = None, timeout: float = 240.0
) -> Iterator[LocalRasa | None]:
    """If `url` is local and nothing answers there, run Rasa on its port until the block ends.

    Does nothing (yields None) when the URL is remote, empty, or already answering; when Rasa
    cannot be started (no Rasa env, no model, does not come up) it says so and yields None: the
    app's NLU then answers with the fallback parser.
    """
    if not url or not is_local(url):
        yield None
        return
    model = model or trainer.model_path()
    if answering(url):
        # Someone else's server (another terminal, a container): used as it is, but an outdated
        # model there would silently give outdated answers, so say so.
        running = loaded_model(url)
        if running and Path(running).name != model.name:
            log(
                f"The NLU server at {url} runs {Path(running).name}, not the current model {model.name}: "
                "stop it (or retrain) to use the current one"
            )
        yield None
        return
    problem = None
    if not trainer.rasa_bin().exists():
        problem = f"{trainer.rasa_bin()} is missing (make rasa-venv builds it)"
    elif not model.exists():
        problem = f"no trained NLU model at {model} (athar nlu train)"
    if problem:
        log(f"NLU server not started: {problem}; the fallback parser answers instead")
        yield None
        return
    port = urlparse(url).port or 5005
    server = LocalRasa(port, model, trainer.ROOT / "var" / "log" / f"rasa-{port}.log")
    log(f"Starting the NLU server (Rasa) on 127.0.0.1:{port} ...")
    server.start()
    restore = _exit_on_sigterm()
    try:
        try:
            server.wait_ready(timeout=timeout, log=log)
        except RuntimeError as exc:
            log(f"NLU server not started: {exc}; the fallback parser answers instead")
            server.stop()
            yield None
            return
        yield server
    finally:
        server.stop()
        restore()


def _exit_on_sigterm() -> Callable[[], None]:
    """Turn SIGTERM/SIGHUP into SystemExit while the child Rasa runs, so `finally` stops it (Rasa
    runs in its own session: a terminal's Ctrl-C reaches only us, and a `kill` would orphan it)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            previous[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for sig, h in previous.items():
            signal.signal(sig, h)

    return restore
