"""Shared helpers for the benchmarks: the public data, deterministic corpora and cached indexes.

The data is read from ../shared/data (or $BENCH_DATA_DIR) and never copied into the repository.
Indexes live under benchmarks/.cache/ (git-ignored); each keeps its corpus JSONL at a fixed path
beside it so re-runs find every document unchanged and embed nothing.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
import unicodedata
from pathlib import Path
from typing import Iterable, Sequence

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

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


def build_index(index_dir: Path, records: Sequence[dict], config, seed_from: Path | None = None):
    """Index `records` with the product API; returns (assistant, build report, seconds).

    `seed_from`: an existing index folder to copy first when `index_dir` has none, so vectors of
    chunk texts it already holds are reused instead of embedded again (the store caches by text hash).
    """
    from assistant import Assistant
    from assistant import store

    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    if seed_from is not None and not store.exists(index_dir) and store.exists(seed_from):
        gen = store.current_generation(Path(seed_from))
        shutil.copytree(gen, index_dir / gen.name)
        (index_dir / store.CURRENT).write_text(gen.name, encoding="utf-8")
    corpus = index_dir / "corpus.jsonl"
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if not corpus.exists() or corpus.read_text(encoding="utf-8") != payload:
        tmp = corpus.with_suffix(".tmp")
        tmp.write_text(payload, encoding="utf-8")
        os.replace(tmp, corpus)
    assistant = Assistant(index_dir=index_dir, config=config, open_now=False)
    t0 = time.perf_counter()
    result = assistant.index([corpus])
    seconds = time.perf_counter() - t0
    if result.problems:
        print(f"warning: {len(result.problems)} records skipped, e.g. {result.problems[0]}", file=sys.stderr)
    return assistant, result.report, seconds


def nfc_lower(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    hay = nfc_lower(text)
    return any(a and nfc_lower(a.strip()) in hay for a in answers)


class CachingEmbedder:
    """Wraps the product's embedder so each question is embedded once however many stages ask."""

    def __init__(self, inner):
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self._queries: dict[str, object] = {}

    def embed_queries(self, texts):
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._queries]
        if missing:
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
