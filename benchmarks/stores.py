"""The index stores side by side: retrieve() on Milvus Lite against FAISS over the same chunks and vectors.

    .venv/bin/python benchmarks/stores.py --index-dir benchmarks/.cache/latency-n9994   # 10,234 documents
    .venv/bin/python benchmarks/stores.py --index-dir benchmarks/.cache/retrieval-n1000-c600-o1

It copies a cached FAISS index's documents into a Milvus Lite file (benchmarks/.cache/milvus-<name>.db),
reusing the FAISS vectors (nothing is embedded), and asks both the XQuAD-vi questions whose gold passage
is indexed, as written and with diacritics stripped. Each question is embedded once beforehand, so the
latencies are what the store and the fusion cost; the time to embed a question is reported beside them.
Per store: retrieve() p50/p95, R@1 and R@5 of the gold passage; and how many of FAISS's top 5
passages Milvus also returns (the stores score BM25 alike, so they should agree). A second pass over
half the questions times retrieve() end to end, embedding included, as a user's question arrives.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import CACHE_DIR, CachingEmbedder, git_commit, load_questions, make_config, publish  # noqa: E402
    from speed import _pct  # noqa: E402
else:
    from .common import CACHE_DIR, CachingEmbedder, git_commit, load_questions, make_config, publish
    from .speed import _pct

from assistant import Assistant  # noqa: E402
from assistant.text import clean_question, fold  # noqa: E402

K = 5


def milvus_copy(faiss_bot: Assistant, db: Path, collection: str = "bench") -> tuple[Assistant, dict]:
    """The FAISS index's documents in Milvus Lite, with the FAISS vectors."""
    config = make_config(
        store__backend="milvus", store__uri=str(db), store__collection=collection, store__refresh_seconds=0
    )
    bot = Assistant(index_dir=db.parent, config=config, open_now=False)
    faiss_store = faiss_bot._current().store
    t0 = time.perf_counter()
    report = bot.backend.build(
        list(faiss_store.documents.values()),
        bot.embedder,
        faiss_bot.config.chunking,
        vectors=faiss_store.vectors_by_hash(),
    )
    build = {
        "seconds": round(time.perf_counter() - t0, 1),
        "unchanged": report.unchanged,
        "embedded": report.embedded,
        "chunks": report.chunks,
    }
    return bot, build


def run(
    index_dir: Path,
    db: Path | None = None,
    limit_questions: int = 300,
    seed: int = 0,
    json_path=None,
    quiet: bool = False,
) -> dict:
    index_dir = Path(index_dir)
    db = Path(db) if db else CACHE_DIR / f"milvus-{index_dir.name}.db"
    faiss_bot = Assistant(index_dir=index_dir, config=make_config(store__refresh_seconds=0))
    milvus_bot, build = milvus_copy(faiss_bot, db)
    faiss_store = faiss_bot._current().store
    if build["embedded"]:
        raise SystemExit(f"{build['embedded']} chunks were embedded: the FAISS vectors did not cover them")

    embedder = CachingEmbedder(faiss_bot._current().retriever.embedder)
    for bot in (faiss_bot, milvus_bot):
        bot._current().retriever.embedder = embedder
    questions = [q for q in load_questions() if q["passage_id"] in faiss_store.documents]
    random.Random(seed).shuffle(questions)
    questions = questions[:limit_questions]

    stores = {"faiss": faiss_bot, "milvus": milvus_bot}
    latency = {s: [] for s in stores}
    ranks = {s: {"accented": [], "stripped": []} for s in stores}
    overlap, embed_ms = [], []
    for q in questions:
        for form, text in (
            ("accented", clean_question(q["question"])),
            ("stripped", fold(clean_question(q["question"]))),
        ):
            t0 = time.perf_counter()
            embedder.embed_queries([faiss_bot._current().retriever.query(text).dense_text])  # once, for both
            embed_ms.append((time.perf_counter() - t0) * 1000)
            found = {}
            for name, bot in stores.items():
                t0 = time.perf_counter()
                passages = bot.retrieve(text, k=K)
                latency[name].append((time.perf_counter() - t0) * 1000)
                docs = list(dict.fromkeys(p.doc_id for p in passages))
                ranks[name][form].append(docs.index(q["passage_id"]) + 1 if q["passage_id"] in docs else None)
                found[name] = {(p.doc_id, p.start) for p in passages}
            overlap.append(len(found["faiss"] & found["milvus"]) / max(len(found["faiss"]), 1))

    # End to end, as a user's question arrives: embedding included (a remote store's BM25 searches
    # overlap it), each question embedded anew for each store.
    for bot in stores.values():
        bot._current().retriever.embedder = embedder.inner
    end_to_end = {s: [] for s in stores}
    for q in questions[: max(1, len(questions) // 2)]:
        for text in (clean_question(q["question"]), fold(clean_question(q["question"]))):
            for name, bot in stores.items():
                t0 = time.perf_counter()
                bot.retrieve(text, k=K)
                end_to_end[name].append((time.perf_counter() - t0) * 1000)

    def recall(rs, k):
        return round(sum(1 for r in rs if r is not None and r <= k) / max(len(rs), 1), 3)

    table = []
    for name in stores:
        table.append(
            {
                "store": name,
                "retrieve_p50_ms": round(_pct(latency[name], 0.5), 1),
                "retrieve_p95_ms": round(_pct(latency[name], 0.95), 1),
                "end_to_end_p50_ms": round(_pct(end_to_end[name], 0.5), 1),
                "end_to_end_p95_ms": round(_pct(end_to_end[name], 0.95), 1),
                **{f"{form}_R@{k}": recall(ranks[name][form], k) for form in ("accented", "stripped") for k in (1, 5)},
            }
        )
    result = {
        "date": dt.date.today().isoformat(),
        "commit": git_commit(),
        "index_dir": str(index_dir),
        "documents": len(faiss_store.documents),
        "chunks": faiss_store.n_chunks,
        "questions": len(questions),
        "milvus_build": build,
        "embed_question_p50_ms": round(statistics.median(embed_ms), 1),
        "top5_agreement": round(statistics.mean(overlap), 3) if overlap else 0.0,
        "table": table,
    }
    return publish(result, json_path, f"stores-{index_dir.name}.json", quiet, format_report)


def format_report(r: dict) -> str:
    lines = [
        f"## Index stores: {r['documents']} documents, {r['chunks']} chunks, {r['questions']} XQuAD-vi questions "
        f"(each as written and without diacritics)",
        "",
        "| store | retrieve() p50 | p95 | with embedding p50 | p95 | R@1 accented | R@5 | R@1 stripped | R@5 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in r["table"]:
        lines.append(
            f"| {row['store']} | {row['retrieve_p50_ms']} ms | {row['retrieve_p95_ms']} ms | "
            f"{row['end_to_end_p50_ms']} ms | {row['end_to_end_p95_ms']} ms | "
            f"{row['accented_R@1']:.3f} | {row['accented_R@5']:.3f} | {row['stripped_R@1']:.3f} | "
            f"{row['stripped_R@5']:.3f} |"
        )
    b = r["milvus_build"]
    lines += [
        "",
        f"retrieve() latencies exclude embedding the question (p50 {r['embed_question_p50_ms']} ms with the "
        f"diacritic restoration of questions typed without, the same for both stores); Milvus returns "
        f"{r['top5_agreement']:.1%} of FAISS's top-{K} passages.",
        f"Milvus Lite copy: {b['chunks']} chunks in {b['seconds']} s (unchanged: {b['unchanged']}; nothing embedded).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=CACHE_DIR / "retrieval-n1000-c600-o1",
        help="a FAISS index built by retrieval.py or speed.py",
    )
    parser.add_argument("--db", type=Path, help="Milvus Lite file (default benchmarks/.cache/milvus-<index>.db)")
    parser.add_argument("--limit-questions", type=int, default=300)
    parser.add_argument("--json", dest="json_path", help="where to write the JSON (default benchmarks/results/)")
    args = parser.parse_args(argv)
    run(args.index_dir, args.db, args.limit_questions, json_path=args.json_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
