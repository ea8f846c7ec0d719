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
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .config import ChunkingConfig
from .diacritics import DiacriticRestorer
from .embeddings import Embedder
from .errors import IndexStoreError, ModelMismatchError
from .ingest import Document
from .locations import heading, located_chunks
from .text import bigrams, fold, syllables

# 2: syllable-bigram BM25 indexes (lexical_bigrams, lexical_bigrams_folded); 3: chunk locations (page, slide,
# sheet and row, legal path) and the legal path indexed with the chunk
FORMAT = 3
CURRENT = "CURRENT"
Progress = Callable[[int, int], None]


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
    seconds_embedding: float = 0.0
    seconds_total: float = 0.0


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

    def build(self, documents: list[Document], embedder: Embedder, chunking: ChunkingConfig, **options) -> BuildReport:
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


def build(index_dir: str | os.PathLike, documents: list[Document], embedder: Embedder,
          chunking: ChunkingConfig, *, replace: bool = True, remove: list[str] | None = None,
          rebuild: bool = False, progress: Progress | None = None,
          approximate_above: int = APPROXIMATE_ABOVE) -> BuildReport:
    """Make the index hold `documents`: with `replace`, exactly them (others are removed);
    otherwise they are added to (or update) what is indexed, and `remove` ids are dropped."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    with _build_lock(index_dir):
        _remove_stale_builds(index_dir)
        previous = None
        gen = current_generation(index_dir)
        if gen is not None and not rebuild:
            check_model(gen, embedder.model_id, index_dir)
            same = _unchanged(gen, documents, chunking, replace, remove or [])
            if same is not None:
                same.seconds_total = time.perf_counter() - started
                return same
            try:
                previous = IndexStore(gen)
            except IndexStoreError:
                previous = None  # unreadable: build afresh rather than fail
        old_docs = previous.documents if previous else {}
        wanted: dict[str, Document] = {} if replace else dict(old_docs)
        for doc_id in remove or []:
            wanted.pop(doc_id, None)
        for doc in documents:
            wanted[doc.doc_id] = doc

        report = BuildReport(documents=len(wanted))
        old_hashes = previous.manifest["documents"] if previous else {}
        for doc_id, doc in wanted.items():
            if doc_id not in old_hashes:
                report.added.append(doc_id)
            elif old_hashes[doc_id]["hash"] != doc.content_hash:
                report.changed.append(doc_id)
        report.removed = sorted(set(old_docs) - set(wanted))
        same_chunking = previous is not None and previous.manifest["chunking"] == asdict(chunking)
        same_format = previous is not None and previous.manifest.get("format") == FORMAT
        if previous and same_chunking and same_format and not (report.added or report.changed or report.removed):
            report.unchanged = True
            report.chunks = len(previous.chunks)
            report.seconds_total = time.perf_counter() - started
            return report

        new_gen = index_dir / f"gen-{time.time_ns()}"
        tmp = index_dir / f".building-{new_gen.name}"
        tmp.mkdir(parents=True)
        try:
            _write_generation(tmp, list(wanted.values()), embedder, chunking, previous, report, progress,
                              approximate_above)
            tmp.rename(new_gen)
            _atomic_write(index_dir / CURRENT, new_gen.name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        for old in index_dir.glob("gen-*"):
            if old != new_gen:
                shutil.rmtree(old, ignore_errors=True)
        report.seconds_total = time.perf_counter() - started
        return report


def _unchanged(gen: Path, documents: list[Document], chunking: ChunkingConfig, replace: bool,
               remove: list[str]) -> BuildReport | None:
    """The report of a build that would change nothing, decided from the manifest alone (loading the
    whole index only to find that out cost most of an unchanged re-index); None when it would change."""
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        old = manifest["documents"]
        if manifest.get("format") != FORMAT or manifest["chunking"] != asdict(chunking):
            return None
        new = {d.doc_id: d.content_hash for d in documents}
        if any(old.get(doc_id, {}).get("hash") != h for doc_id, h in new.items()):
            return None
        if (set(old) != set(new)) if replace else bool(set(remove) & set(old)):
            return None
        return BuildReport(documents=len(old), chunks=sum(d["chunks"] for d in old.values()), unchanged=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable: the full path decides (and rebuilds a broken index)


def _write_generation(out: Path, docs: list[Document], embedder: Embedder, chunking: ChunkingConfig,
                      previous: IndexStore | None, report: BuildReport, progress: Progress | None,
                      approximate_above: int = 0) -> None:
    import bm25s
    import faiss

    chunks: list[StoredChunk] = []
    texts: list[str] = []
    for doc in docs:
        for c, location in located_chunks(doc, chunking.size, chunking.overlap):
            text = embed_text(doc.title, doc.text[c.start:c.end], location)
            texts.append(text)
            chunks.append(StoredChunk(doc.doc_id, c.start, c.end, [(s.start, s.end) for s in c.sentences],
                                      _hash(text), location))
    report.chunks = len(chunks)

    cache = previous.vectors_by_hash() if previous else {}
    missing = sorted({c.text_hash: i for i, c in enumerate(chunks) if c.text_hash not in cache}.values())
    report.embedded = len(missing)
    t0 = time.perf_counter()
    _embed_into(cache, [texts[i] for i in missing], [chunks[i].text_hash for i in missing], embedder, progress)
    report.seconds_embedding = time.perf_counter() - t0

    matrix = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    for i, c in enumerate(chunks):
        matrix[i] = cache[c.text_hash]
    _write_index(vector_index(matrix, approximate_above), out / "vectors.faiss")

    tokens = [syllables(t) for t in texts]
    folded = [[fold(t) for t in doc] for doc in tokens]
    fields = (("lexical", tokens), ("lexical_folded", folded), ("lexical_bigrams", [bigrams(t) for t in tokens]),
              ("lexical_bigrams_folded", [bigrams(t) for t in folded]))
    for name, corpus in fields:
        bm25 = bm25s.BM25()
        # bm25s needs one token somewhere: chunks of one syllable have no bigrams, an empty index no chunks.
        bm25.index([doc or [""] for doc in corpus] or [[""]], show_progress=False)
        bm25.save(str(out / name), show_progress=False)
    stats = {"df": _document_frequencies(tokens), "df_folded": _document_frequencies(folded),
             "restore": DiacriticRestorer.from_corpus(tokens).to_dict()}
    (out / "stats.json").write_text(json.dumps(stats, ensure_ascii=False), encoding="utf-8")

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
    with (out / "documents.jsonl").open("w", encoding="utf-8") as handle:
        for d in docs:
            handle.write(json.dumps(asdict(d), ensure_ascii=False) + "\n")
    (out / "chunks.json").write_text(json.dumps([asdict(c) for c in chunks], ensure_ascii=False), encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_tree(out)


def _write_index(index, path: Path) -> None:
    """Written from Python rather than by faiss.write_index, whose C++ writer prints "close error" to
    stderr and raises without an errno when the disk is full; here that is an OSError(ENOSPC)."""
    import faiss

    with open(path, "wb") as handle:
        handle.write(memoryview(faiss.serialize_index(index)))


def _document_frequencies(corpus: list[list[str]]) -> dict[str, int]:
    df: dict[str, int] = {}
    for tokens in corpus:
        for t in set(tokens):
            df[t] = df.get(t, 0) + 1
    return df


def _embed_into(cache: dict[str, np.ndarray], texts: list[str], hashes: list[str], embedder: Embedder,
                progress: Progress | None, batch: int = 16) -> None:
    from tqdm import tqdm

    with tqdm(total=len(texts), desc="Đang nhúng các đoạn", unit="đoạn", disable=None) as bar:
        for i in range(0, len(texts), batch):
            vectors = embedder.embed_passages(texts[i:i + batch])
            for h, v in zip(hashes[i:i + batch], vectors):
                cache[h] = v
            bar.update(len(vectors))
            if progress:
                progress(min(i + batch, len(texts)), len(texts))


def _atomic_write(path: Path, content: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
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
