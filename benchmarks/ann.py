"""When should the vector index stop being exact? Flat inner-product search against HNSW (the
settings in assistant/store.py) at growing sizes: search latency, build time and recall@10 of HNSW
relative to flat, for real question embeddings.

Vectors: the real chunk vectors of the largest cached benchmark index, extended to the larger sizes
with random mixtures of three real vectors plus a little noise (renormalised), so the data keeps
the shape of real news text without near-duplicate clusters.

    .venv/bin/python benchmarks/ann.py                       # sizes 3k … 200k, 200 questions
    .venv/bin/python benchmarks/ann.py --sizes 10000 50000 --questions 100
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import CACHE_DIR, git_commit, load_questions, publish  # noqa: E402
else:
    from .common import CACHE_DIR, git_commit, load_questions, publish

DEFAULT_SIZES = (3_000, 25_000, 50_000, 100_000, 200_000)


def base_vectors(index_dir: Path | None) -> np.ndarray:
    from assistant.index import faiss as store

    def size(path: Path) -> int:
        return int(path.name.split("-")[1][1:])

    candidates = [index_dir] if index_dir else sorted(CACHE_DIR.glob("retrieval-n*-c600-o1"), key=size, reverse=True)
    for path in candidates:
        if path and store.exists(path):
            opened = store.open_index(path)
            return opened.vectors.reconstruct_n(0, opened.vectors.ntotal)
    raise SystemExit("no cached index: run benchmarks/retrieval.py first, or pass --index-dir")


def grow(base: np.ndarray, size: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """New vectors as random mixtures of three real ones plus noise: like new text on mixed topics,
    without the near-duplicate clusters that plain noisy copies would form."""
    if size <= len(base):
        return base[:size].copy()
    n = size - len(base)
    weights = rng.dirichlet([1.0, 1.0, 1.0], n).astype(np.float32)
    picks = base[rng.integers(0, len(base), (n, 3))]
    extra = np.einsum("nk,nkd->nd", weights, picks) + rng.normal(0, noise, (n, base.shape[1])).astype(np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    return np.vstack([base, extra]).astype(np.float32)


def run(
    sizes=DEFAULT_SIZES,
    questions: int = 200,
    index_dir: Path | None = None,
    noise: float = 0.02,
    json_path=None,
    quiet: bool = False,
) -> dict:
    import faiss

    from assistant.config import EmbeddingConfig
    from assistant.embeddings import get_embedder
    from assistant.index import faiss as store

    rng = np.random.default_rng(0)
    base = base_vectors(index_dir)
    texts = [q["question"] for q in load_questions()][:questions]
    queries = get_embedder(EmbeddingConfig()).embed_queries(texts).astype(np.float32)
    rows = []
    for size in sizes:
        data = grow(base, size, noise, rng)
        flat = faiss.IndexFlatIP(data.shape[1])
        flat.add(data)
        t0 = time.perf_counter()
        hnsw = store.vector_index(data, approximate_above=1)
        build = time.perf_counter() - t0
        flat_ms, hnsw_ms, recall = [], [], []
        for q in queries:
            q = q.reshape(1, -1)
            t0 = time.perf_counter()
            _, exact = flat.search(q, 10)
            flat_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            _, approx = hnsw.search(q, 10)
            hnsw_ms.append((time.perf_counter() - t0) * 1000)
            recall.append(len(set(exact[0]) & set(approx[0])) / 10)
        rows.append(
            {
                "vectors": size,
                "flat_p50_ms": round(statistics.median(flat_ms), 3),
                "hnsw_p50_ms": round(statistics.median(hnsw_ms), 3),
                "hnsw_build_s": round(build, 2),
                "hnsw_recall_at_10": round(statistics.mean(recall), 4),
            }
        )
    result = {
        "benchmark": "ann",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "product_commit": git_commit(),
        "base_vectors": len(base),
        "noise": noise,
        "questions": len(texts),
        "hnsw": {"M": store.HNSW_M, "efConstruction": store.HNSW_EF_CONSTRUCTION, "efSearch": store.HNSW_EF_SEARCH},
        "approximate_above": store.APPROXIMATE_ABOVE,
        "rows": rows,
    }
    return publish(result, json_path, "ann.json", quiet, format_report)


def format_report(r: dict) -> str:
    h = r["hnsw"]
    lines = [
        f"flat vs HNSW (M {h['M']}, efSearch {h['efSearch']}) on {r['base_vectors']} real chunk vectors grown "
        f"with mixtures of them; {r['questions']} XQuAD-vi questions; switch-over at {r['approximate_above']:,} chunks",
        f"{'vectors':>9} {'flat p50':>10} {'HNSW p50':>10} {'HNSW build':>11} {'recall@10':>10}",
    ]
    for x in r["rows"]:
        lines.append(
            f"{x['vectors']:>9,} {x['flat_p50_ms']:>8.2f}ms {x['hnsw_p50_ms']:>8.2f}ms "
            f"{x['hnsw_build_s']:>10.1f}s {x['hnsw_recall_at_10']:>10.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--index-dir", type=Path, help="a built index whose vectors to start from")
    ap.add_argument("--json", default=None, help="where to write the JSON ('' to skip)")
    args = ap.parse_args(argv)
    run(args.sizes, args.questions, args.index_dir, json_path=False if args.json == "" else args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
