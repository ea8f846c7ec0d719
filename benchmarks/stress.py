"""A bounded stress run of the web chat: N requests from C concurrent clients on 127.0.0.1, each a
question through the app's HTTP API (`/gradio_api/call/ask`, the route gradio_client uses) or, with
--page-every, a page load in between; every answer is checked. Reports p50/p95/max latency and errors.

    nice -n 10 .venv/bin/python benchmarks/stress.py                      # 2,000 requests, 16 clients
    nice -n 10 .venv/bin/python benchmarks/stress.py --requests 500 --clients 8 --index-dir index

Starts `app.py` over a copy of the index given (default: the seeds, indexed into a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (question, text the answer must contain; None: must be refused)
QUESTIONS = [
    ("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", "16 Chủ tịch"),
    ("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Phó Chủ tịch UBND phường?", "35 Phó Chủ tịch"),
    ("Kỳ họp thứ 17 HĐND quận Hoàn Kiếm diễn ra khi nào?", "27/2/2025"),
    ("chu tich ubnd phuong hang bai la ai", "Nguyễn Thị Ngọc Anh"),
    ("Giá vàng SJC hôm nay là bao nhiêu?", None),
]


def ask(client, base: str, question: str, history: list | None = None) -> dict:
    """One question through Gradio's HTTP API: POST starts it, the event stream carries the answer."""
    body = json.dumps({"data": [question, history or []]})  # ASCII escapes: any str, even a lone surrogate
    r = client.post(f"{base}gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
    r.raise_for_status()
    event_id = r.json()["event_id"]
    event = None
    with client.stream("GET", f"{base}gradio_api/call/ask/{event_id}") as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                if event == "error":
                    raise RuntimeError(f"error event: {line[5:].strip()[:200]}")
                return json.loads(line[5:])[0]
    raise RuntimeError("stream ended without an answer")


def run(url: str, requests: int = 2000, clients: int = 16, page_every: int = 0, timeout: float = 120) -> dict:
    """Latencies (seconds) and errors of `requests` requests spread over `clients` threads."""
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker(c: int) -> None:
        with httpx.Client(timeout=timeout) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                try:
                    if page_every and i % page_every == page_every - 1:
                        r = client.get(url)
                        ok = r.status_code == 200 and r.headers.get("x-content-type-options") == "nosniff"
                        problem = None if ok else f"page: HTTP {r.status_code}"
                    else:
                        question, expected = QUESTIONS[(i + c) % len(QUESTIONS)]
                        data = ask(client, url, question)
                        ok = data["refused"] if expected is None else expected in data["text"]
                        problem = None if ok else f"wrong answer to {question!r}: {data['text'][:100]!r}"
                except Exception as exc:  # noqa: BLE001 - every failure is counted, not raised
                    problem = f"{type(exc).__name__}: {exc}"[:200]
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if problem:
                        errors.append(problem)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for f in [pool.submit(worker, c) for c in range(clients)]:
            f.result()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "clients": clients,
        "errors": len(errors),
        "error_samples": errors[:5],
        "seconds": wall,
        "per_second": len(latencies) / wall if wall else 0.0,
        "p50": statistics.median(ordered),
        "p95": ordered[max(0, int(len(ordered) * 0.95) - 1)],
        "max": ordered[-1],
    }


def format_table(result: dict) -> str:
    r = result
    return (
        "| requests | clients | errors | p50 (s) | p95 (s) | max (s) | req/s | wall (s) |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {r['requests']} | {r['clients']} | {r['errors']} | {r['p50']:.3f} | {r['p95']:.3f} | "
        f"{r['max']:.3f} | {r['per_second']:.1f} | {r['seconds']:.1f} |"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(index_dir: Path, data_dir: Path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """app.py on 127.0.0.1 over `index_dir`; returns the process and its URL once it serves."""
    port = _free_port()
    log = open(data_dir.parent / f"stress-app-{port}.log", "w")
    full_env = {
        **os.environ,
        "ASSISTANT_APP_DATA_DIR": str(data_dir),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--index-dir", str(index_dir), "--port", str(port)],
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited: {Path(log.name).read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://127.0.0.1:{port}/"
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("app did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--page-every", type=int, default=0, help="every Nth request loads the page instead")
    parser.add_argument("--index-dir", help="index to serve (copied); default: the seeds")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="stress-") as tmp:
        base = Path(tmp)
        if args.index_dir:
            shutil.copytree(args.index_dir, base / "index")
        else:
            from assistant import Assistant

            Assistant(index_dir=base / "index", open_now=False).index([ROOT / "seeds"])
        proc, url = start_app(base / "index", base / "data")
        try:
            ask(__import__("httpx").Client(timeout=120), url, QUESTIONS[0][0])  # warm up
            result = run(url, args.requests, args.clients, args.page_every)
        finally:
            proc.terminate()
            proc.wait(30)
    print(format_table(result))
    for sample in result["error_samples"]:
        print("error:", sample)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
