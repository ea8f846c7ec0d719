"""How long the web chat takes to start with an index already built: from `python app.py` to the
page being served, and to the first answer through the API. Target: served within 10 s.
Then a few more questions through the API, and the server process's peak resident memory (VmHWM):
target ≤ 1 GB on the seeds.

    .venv/bin/python benchmarks/startup.py                 # 3 starts over the seeds index
    .venv/bin/python benchmarks/startup.py --runs 5 --index-dir benchmarks/.cache/retrieval-n1000-c600-o1
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import CACHE_DIR, ROOT, git_commit, publish  # noqa: E402
else:
    from .common import CACHE_DIR, ROOT, git_commit, publish

QUESTION = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"
MORE_QUESTIONS = (
    "Ai được bổ nhiệm làm Chủ tịch UBND phường Hàng Bạc?",
    "quan hoan kiem sap xep bao nhieu phuong",
    "Hồ Gươm có bao nhiêu du khách?",
    "Giá vàng hôm nay là bao nhiêu?",
)


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of a running process (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seeds_index() -> Path:
    target = CACHE_DIR / "startup-seeds"
    if not (target / "CURRENT").exists():
        sys.path.insert(0, str(ROOT))
        from assistant import Assistant

        Assistant(index_dir=target, open_now=False).index([ROOT / "seeds"])
    return target


def one_start(index_dir: Path, timeout: float = 120) -> dict:
    port = _free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--index-dir", str(index_dir), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        served = None
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                raise RuntimeError("app.py exited during start-up")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    if resp.status == 200:
                        served = time.perf_counter() - t0
                        break
            except OSError:
                time.sleep(0.05)
        if served is None:
            raise RuntimeError(f"app.py did not serve within {timeout} s")
        from gradio_client import Client

        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        data = client.predict(QUESTION, [], api_name="/ask")
        first_answer = time.perf_counter() - t0
        for question in MORE_QUESTIONS:
            client.predict(question, [], api_name="/ask")
        return {
            "served_s": round(served, 2),
            "first_answer_s": round(first_answer, 2),
            "refused": data["refused"],
            "peak_rss_mb": round(peak_rss_mb(proc.pid), 1),
        }
    finally:
        proc.terminate()
        proc.wait(30)


def run(
    runs: int = 3, index_dir: str | Path | None = None, json_path: str | Path | None = None, quiet: bool = False
) -> dict:
    index = Path(index_dir) if index_dir else seeds_index()
    starts = [one_start(index) for _ in range(runs)]
    result = {
        "benchmark": "startup",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "product_commit": git_commit(),
        "index_dir": str(index),
        "runs": starts,
        "served_s_median": statistics.median(s["served_s"] for s in starts),
        "served_s_max": max(s["served_s"] for s in starts),
        "first_answer_s_median": statistics.median(s["first_answer_s"] for s in starts),
        "peak_rss_mb_max": max(s["peak_rss_mb"] for s in starts),
    }
    return publish(result, json_path, "startup.json", quiet, format_report)


def format_report(r: dict) -> str:
    rows = [
        f"app.py start-up over {r['index_dir']}",
        f"{'run':>4} {'served (s)':>11} {'first answer (s)':>17} {'peak RSS (MB)':>14}",
    ]
    for i, s in enumerate(r["runs"], 1):
        rows.append(f"{i:>4} {s['served_s']:>11.2f} {s['first_answer_s']:>17.2f} {s['peak_rss_mb']:>14.0f}")
    rows.append(
        f"median served {r['served_s_median']:.2f} s (max {r['served_s_max']:.2f} s; target ≤ 10 s), "
        f"first answer {r['first_answer_s_median']:.2f} s; "
        f"peak RSS {r['peak_rss_mb_max']:.0f} MB (target ≤ 1024 MB)"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--index-dir", help="a built index (default: the seeds, built once into benchmarks/.cache)")
    ap.add_argument("--json", default=None, help="where to write the JSON ('' to skip)")
    args = ap.parse_args(argv)
    run(args.runs, args.index_dir, False if args.json == "" else args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
