"""Speed of the assistant as users feel it: `retrieve()` and `ask()` latency, the query-embedding
time they contain, indexing throughput (embedding vs everything else), peak memory, and the time
to re-index an unchanged corpus.

    .venv/bin/python benchmarks/speed.py                          # seeds + a 200-document indexing run
    .venv/bin/python benchmarks/speed.py --index-dir benchmarks/.cache/retrieval-n1000-c600-o1 --label n1000
    .venv/bin/python benchmarks/speed.py --build-docs 1000        # indexing throughput on 1,000 VNTC articles
    .venv/bin/python benchmarks/speed.py --scale-docs 9994 --build-docs 0   # latency over all VNTC articles

`--scale-docs N` times XQuAD-vi + N VNTC articles with their real texts, chunks and BM25 fields; chunks
that no cached benchmark index has embedded yet borrow the vector of an embedded chunk, because
embedding ~50,000 chunks takes hours here and search time depends on how many vectors there are, not
on which. Those rows measure speed only (their answers mean nothing) and are labelled so.

Latency runs in this process (a warm assistant, like the chat app). Each indexing run is a fresh
subprocess, so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("BENCH_PRODUCT_OMP", "1")  # latency as users get it (common.py would make it passive)

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import (
        BORROWED_MARKER,
        CACHE_DIR,
        ROOT,
        as_records,
        build_index,
        git_commit,
        load_distractors,  # noqa
        load_passages,
        load_questions,
        make_config,
        publish,
        vector_pool,
    )
else:
    from .common import (
        BORROWED_MARKER,
        CACHE_DIR,
        ROOT,
        as_records,
        build_index,
        git_commit,
        load_distractors,
        load_passages,
        load_questions,
        make_config,
        publish,
        vector_pool,
    )

SEED_QUESTIONS = ROOT / "tests" / "questions" / "seeds.yaml"


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _stats(ms: list[float]) -> dict:
    return {
        "p50_ms": round(_pct(ms, 0.5), 2),
        "p95_ms": round(_pct(ms, 0.95), 2),
        "mean_ms": round(statistics.mean(ms), 2),
    }


def seeds_index() -> Path:
    target = CACHE_DIR / "startup-seeds"
    if not (target / "CURRENT").exists():
        from assistant import Assistant

        Assistant(index_dir=target, open_now=False).index([ROOT / "seeds"])
    return target


def latency(index_dir: Path, questions: list[str], rounds: int = 2) -> dict:
    from assistant import Assistant

    bot = Assistant(index_dir=index_dir)
    embedder = bot.embedder
    for q in questions[:5]:  # warm up: model, memo tables, page cache
        bot.ask(q)
    embed, retrieve, ask = [], [], []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            embedder.embed_queries([q])
            embed.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            bot.retrieve(q)
            retrieve.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            bot.ask(q)
            ask.append((time.perf_counter() - t0) * 1000)
    chunks = len(bot._current().store.chunks)
    return {
        "index_dir": str(index_dir),
        "documents": len(bot.documents()),
        "chunks": chunks,
        "questions": len(questions) * rounds,
        "embed_query": _stats(embed),
        "retrieve": _stats(retrieve),
        "ask": _stats(ask),
    }


_BUILD = r"""
import json, sys, time
from assistant import Assistant
records_path, index_dir = sys.argv[1], sys.argv[2]
bot = Assistant(index_dir=index_dir, open_now=False)
t0 = time.perf_counter(); first = bot.index([records_path]).report; t1 = time.perf_counter()
again = bot.index([records_path]).report; t2 = time.perf_counter()
print(json.dumps({"documents": first.documents, "chunks": first.chunks, "embedded": first.embedded,
                  "seconds_total": t1 - t0, "seconds_embedding": first.seconds_embedding,
                  "unchanged_seconds": t2 - t1, "unchanged": again.unchanged,
                  # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
                  "peak_rss_mb": next(int(l.split()[1]) for l in open("/proc/self/status")
                                      if l.startswith("VmHWM:")) / 1024}))
"""


def scale_index(n_docs: int, index_dir: Path | None = None) -> tuple[Path, int]:
    """XQuAD-vi + n VNTC articles, indexed with borrowed vectors where none is cached (see the module
    docstring); returns the folder and how many chunk vectors were borrowed."""
    from assistant.embeddings import model_id_for
    from assistant.index import faiss as store

    target = Path(index_dir) if index_dir else CACHE_DIR / f"latency-n{n_docs}"
    config = make_config()
    borrowed = 0

    def embed_into(cache, texts, hashes, embedder, progress, batch=16):
        nonlocal borrowed
        pool = vector_pool(model_id_for(config.embedding), target)
        donors = list(pool.values()) or [embedder.embed_passages(["."])[0]]
        for i, h in enumerate(hashes):
            if h not in pool:
                borrowed += 1
            cache[h] = pool.get(h, donors[i % len(donors)])

    target.mkdir(parents=True, exist_ok=True)
    (target / BORROWED_MARKER).touch()  # first: no other index may take these vectors for real ones
    original, store.embed_into = store.embed_into, embed_into
    try:
        _, report, _ = build_index(
            target, as_records(load_passages(), load_distractors(n_docs)), config, share_vectors=False
        )
    finally:
        store.embed_into = original
    marker = target / BORROWED_MARKER
    if not report.unchanged:
        marker.write_text(json.dumps({"borrowed": borrowed, "chunks": report.chunks}))
    text = marker.read_text()
    return target, json.loads(text)["borrowed"] if text else 0


def indexing(n_docs: int) -> dict:
    """Index n VNTC articles from scratch in a fresh process, then again unchanged."""
    docs = load_distractors(n_docs)
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "docs.jsonl"
        records.write_text(
            "".join(
                json.dumps({"id": d["id"], "title": d.get("title") or "", "text": d["text"]}, ensure_ascii=False) + "\n"
                for d in docs
            ),
            encoding="utf-8",
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", _BUILD, str(records), str(Path(tmp) / "index")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    other = r["seconds_total"] - r["seconds_embedding"]
    return {
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()},
        "chunks_per_s": round(r["chunks"] / r["seconds_total"], 2),
        "embedding_share": round(r["seconds_embedding"] / r["seconds_total"], 4),
        "other_share": round(other / r["seconds_total"], 4),
        "unchanged_seconds_per_1000_docs": round(r["unchanged_seconds"] * 1000 / r["documents"], 3),
    }


def run(
    index_dirs: list[tuple[str, Path]] | None = None,
    build_docs: int = 200,
    json_path=None,
    quiet: bool = False,
    limit_questions: int | None = None,
    seeds_dir: Path | None = None,
    scale_docs: int | None = None,
    scale_dir: Path | None = None,
) -> dict:
    from assistant.evaluation import load_question_set

    seed_qs = [c.question for c in load_question_set(SEED_QUESTIONS) if not c.history]
    xquad_qs = [q["question"] for q in load_questions()]
    if limit_questions:
        seed_qs, xquad_qs = seed_qs[:limit_questions], xquad_qs[:limit_questions]
    rows = {"seeds": latency(seeds_dir or seeds_index(), seed_qs)}
    for label, path in index_dirs or []:
        rows[label] = latency(path, xquad_qs[:200])
    if scale_docs:
        path, borrowed = scale_index(scale_docs, scale_dir)
        rows[f"n{scale_docs}*"] = {**latency(path, xquad_qs[:200]), "borrowed_vectors": borrowed}
    result = {
        "benchmark": "speed",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "product_commit": git_commit(),
        "latency": rows,
        "indexing": indexing(build_docs) if build_docs else None,
    }
    return publish(result, json_path, "speed.json", quiet, format_report)


def format_report(r: dict) -> str:
    rows = [f"{'index':<10} {'docs':>6} {'chunks':>7} {'embed q p50':>12} {'retrieve p50/p95':>17} {'ask p50/p95':>14}"]
    for label, x in r["latency"].items():
        rows.append(
            f"{label:<10} {x['documents']:>6} {x['chunks']:>7} {x['embed_query']['p50_ms']:>10.1f}ms "
            f"{x['retrieve']['p50_ms']:>8.1f}/{x['retrieve']['p95_ms']:<6.1f}ms "
            f"{x['ask']['p50_ms']:>6.1f}/{x['ask']['p95_ms']:<6.1f}ms"
        )
    for x in r["latency"].values():
        if "borrowed_vectors" in x:
            rows.append(
                f"* latency only: {x['borrowed_vectors']} of {x['chunks']} chunk vectors borrowed from "
                f"embedded chunks (search speed depends on their number, not their values)"
            )
    i = r.get("indexing")
    if i:
        rows.append("")
        rows.append(
            f"indexing {i['documents']} VNTC articles ({i['chunks']} chunks): {i['seconds_total']:.1f} s, "
            f"{i['chunks_per_s']:.2f} chunks/s; embedding {i['embedding_share']:.1%}, everything else "
            f"{i['other_share']:.1%}; peak RSS {i['peak_rss_mb']:.0f} MB"
        )
        rows.append(
            f"re-index unchanged: {i['unchanged_seconds']:.2f} s "
            f"({i['unchanged_seconds_per_1000_docs']:.2f} s per 1,000 documents)"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", action="append", default=[], help="another built index to time (repeatable)")
    ap.add_argument("--label", action="append", default=[], help="a name for each --index-dir")
    ap.add_argument("--build-docs", type=int, default=200, help="VNTC articles to index for throughput (0 = skip)")
    ap.add_argument("--scale-docs", type=int, help="also time XQuAD + N VNTC articles (latency only, see above)")
    ap.add_argument("--json", default=None, help="where to write the JSON ('' to skip)")
    args = ap.parse_args(argv)
    labels = args.label + [Path(p).name for p in args.index_dir[len(args.label) :]]
    run(
        list(zip(labels, map(Path, args.index_dir))),
        args.build_docs,
        False if args.json == "" else args.json,
        scale_docs=args.scale_docs,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
