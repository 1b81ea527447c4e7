"""NLU benchmark: /model/parse latency (sequential and 8 concurrent clients) and Rasa's memory.

Starts its own Rasa server on a free loopback port with the trained model. Aims (issue 3):
p95 <= 50 ms sequential, Rasa process under 1.2 GB. Also times the app-side service (language id,
normalisation, entities on top of Rasa) and the fallback parser.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import percentile
from nlu import trainer
from nlu.evaluate import load
from nlu.fallback import FallbackNLU
from nlu.normalize import normalize
from nlu.server import LocalRasa, free_port
from nlu.service import make_nlu
from nlu.training.generate import HELDOUT

SEQUENTIAL = 400
CLIENTS = 8
PER_CLIENT = 60


def _rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) in MB of a process and its children."""
    cur = peak = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    cur += int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak += int(line.split()[1]) / 1024
        except OSError:
            pass
    return cur, peak


def _fmt(xs: list[float]) -> str:
    ms = [x * 1000 for x in xs]
    return (
        f"n={len(ms)} p50={percentile(ms, 0.5):.1f} ms p95={percentile(ms, 0.95):.1f} ms "
        f"max={max(ms):.1f} ms mean={statistics.mean(ms):.1f} ms"
    )


SEQUENTIAL_P95_AIM_MS = 50
MEMORY_AIM_MB = 1200


def main() -> int:
    """Returns 1 when an aim is missed."""
    texts = [normalize(r["text"]) for r in load(HELDOUT)]
    model = trainer.train(log=print)
    server = LocalRasa(free_port(), model, Path(tempfile.mkdtemp(prefix="athar-bench-")) / "rasa.log")
    t0 = time.monotonic()
    server.start()
    assert server.proc is not None
    pid = server.proc.pid
    try:
        server.wait_ready(timeout=300, log=lambda m: None)
        print(f"Rasa ready in {time.monotonic() - t0:.1f} s; memory after load: {_rss_mb(pid)[0]:.0f} MB")
        with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as http:
            for t in texts[:20]:  # warm up
                http.post("/model/parse", json={"text": t})
            lat = []
            for i in range(SEQUENTIAL):
                t = texts[i % len(texts)]
                s = time.perf_counter()
                r = http.post("/model/parse", json={"text": t})
                lat.append(time.perf_counter() - s)
                r.raise_for_status()
        p95_ms = percentile(lat, 0.95) * 1000
        print(f"/model/parse sequential:        {_fmt(lat)}  (aim p95 <= {SEQUENTIAL_P95_AIM_MS} ms)")

        lat_c: list[float] = []
        lock = threading.Lock()

        def client(k: int) -> None:
            with httpx.Client(base_url=server.url, timeout=60, trust_env=False) as http:
                mine = []
                for i in range(PER_CLIENT):
                    t = texts[(k * PER_CLIENT + i) % len(texts)]
                    s = time.perf_counter()
                    http.post("/model/parse", json={"text": t}).raise_for_status()
                    mine.append(time.perf_counter() - s)
                with lock:
                    lat_c.extend(mine)

        s = time.perf_counter()
        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - s
        print(
            f"/model/parse {CLIENTS} concurrent clients: {_fmt(lat_c)}  throughput={len(lat_c) / wall:.0f}/s"
        )

        long_text = normalize(("les jeunes trouvent un emploi " * 40)[:1000])
        with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as http:
            lat_l = []
            for _ in range(30):
                s = time.perf_counter()
                http.post("/model/parse", json={"text": long_text}).raise_for_status()
                lat_l.append(time.perf_counter() - s)
        print(f"/model/parse 1,000 characters:  {_fmt(lat_l)}")

        nlu = make_nlu(server.url)
        raw = [r["text"] for r in load(HELDOUT)]
        lat_s = []
        for i in range(300):
            s = time.perf_counter()
            nlu.parse(raw[i % len(raw)])
            lat_s.append(time.perf_counter() - s)
        nlu.close()
        print(f"service parse (Rasa + langid + entities): {_fmt(lat_s)}")
        cur, peak = _rss_mb(pid)
        print(f"Rasa memory: {cur:.0f} MB now, {peak:.0f} MB peak  (aim < {MEMORY_AIM_MB} MB)")
    finally:
        server.stop()

    fb = FallbackNLU()
    fb.parse("warm up")
    lat_f = []
    for i in range(500):
        s = time.perf_counter()
        fb.parse(raw[i % len(raw)])
        lat_f.append(time.perf_counter() - s)
    print(f"fallback parser:                {_fmt(lat_f)}")
    met = p95_ms <= SEQUENTIAL_P95_AIM_MS and peak < MEMORY_AIM_MB
    print(f"aims {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    main()
