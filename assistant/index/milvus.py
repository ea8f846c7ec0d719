"""Milvus as the index store, so several app replicas share one index.

A local file path runs Milvus Lite in-process (one process per file); `http://host:19530` talks to a
Milvus server or cluster that any number of processes share. Three collections, named from a prefix:
    <prefix>_chunks     one row per chunk: vector, passage text, offsets, and the four BM25 fields
                        (syllables and syllable pairs, accented and folded) that Milvus scores itself
    <prefix>_documents  one row per document: id, content hash, title, source, chunk count
    <prefix>_meta       the head row (model, chunking, version, chunk count) and the corpus statistics
                        the answerer and the diacritic restorer need, compressed into rows

Texts are normalised and split into syllables in Python exactly as for the FAISS store, then handed
to Milvus space-joined with a whitespace analyzer, so both stores index the same terms (Milvus'
own "standard" tokenizer would split "hoàn_kiếm" and would not fold diacritics). BM25 uses bm25s'
k1 and b. Fusion, answering and citations are shared code (retrieval.py).

Updates are incremental: only added or changed documents are chunked and embedded (vectors of
unchanged chunk texts are read back), new rows are written before the old ones are deleted, and the
head row's version changes last, which is what other replicas watch. The statistics are updated by
deltas; when another process committed an update meanwhile they are recounted from the rows.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import threading
import time
import warnings
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ChunkingConfig
from ..embeddings import Embedder
from ..errors import AssistantError, ConfigError, IndexStoreError
from ..ingest import Document
from ..text import bigrams, fold, syllables
from .base import (
    BM25_FIELDS,
    FORMAT,
    BuildReport,
    ChunkView,
    Progress,
    TermStatistics,
    check_model,
    chunk_rows,
    embed_into,
    plan_changes,
    top_positive,
)

ANALYZER = {"tokenizer": "whitespace"}  # the text arrives as normalised, space-joined terms
BM25_INDEX = {"inverted_index_algo": "DAAT_MAXSCORE", "bm25_k1": 1.5, "bm25_b": 0.75}  # bm25s' defaults
MAX_BYTES = 65_535  # a VARCHAR's limit on a Milvus server, counted in UTF-8 bytes
PART_CHARS = 60_000  # statistics are stored in rows of at most this much base64
BATCH = 256
HEAD = "head"
_CHUNK_FIELDS = [
    "doc_id",
    "title",
    "source",
    "text",
    "start_offset",
    "end_offset",
    "sentences",
    "text_hash",
    "location",
]

_clients: dict[tuple[str, str], object] = {}
_clients_lock = threading.Lock()
_build_locks: dict[str, threading.Lock] = {}


def _key(text: str) -> int:
    """A stable signed 64-bit id (Milvus INT64 primary keys); filters then never quote user strings."""
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big", signed=True)


def _fit(text: str, limit: int = MAX_BYTES) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


class MilvusBackend:
    """The Milvus store of one collection prefix at one URI."""

    def __init__(self, uri: str, token: str = "", prefix: str = "assistant"):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,200}", prefix):
            raise ConfigError(
                f"Tên bộ sưu tập Milvus không hợp lệ: {prefix!r} (chỉ chữ Latin, chữ số và dấu _, "
                "không bắt đầu bằng chữ số)"
            )
        self.uri, self.token, self.prefix = uri, token, prefix
        self.chunks_name, self.docs_name, self.meta_name = (f"{prefix}_chunks", f"{prefix}_documents", f"{prefix}_meta")
        self._ready = False  # collections known to exist and be loaded

    @property
    def where(self) -> str:
        return f"Milvus {self.uri} ({self.prefix})"

    @property
    def is_local(self) -> bool:
        return "://" not in self.uri

    # -- connection ----------------------------------------------------------------------------
    def client(self):
        """One client per URI and process (Milvus Lite allows one process per file; its server is shared
        by every client of that process)."""
        with _clients_lock:
            key = (self.uri, self.token)
            if key not in _clients:
                _clients[key] = self._connect()
            return _clients[key]

    def _connect(self):
        # gRPC's C core would print keepalive notices ("too_many_pings") from Milvus Lite during long
        # writes; failures reach the user as exceptions anyway.
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # milvus-lite imports the deprecated pkg_resources
                from pymilvus import MilvusClient

                if self.is_local:
                    import milvus_lite  # noqa: F401
        except ImportError:
            raise IndexStoreError("Kho Milvus cần gói pymilvus và milvus-lite: pip install -e '.[milvus]'") from None
        if self.is_local:
            path = Path(self.uri)
            if path.suffix != ".db":
                raise IndexStoreError(f"Đường dẫn Milvus Lite phải là một tệp .db: {self.uri}")
            path.parent.mkdir(parents=True, exist_ok=True)
        # pymilvus logs every failed call with a traceback; what failed reaches the user as our message
        logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
        try:
            return MilvusClient(uri=self.uri, token=self.token, timeout=30)
        except Exception as exc:  # pymilvus raises its own exception types, and gRPC ones
            hint = (
                (
                    " Tệp này có thể đang được một tiến trình khác mở: nhiều tiến trình dùng chung một kho cần "
                    'máy chủ Milvus (uri = "http://...").'
                )
                if self.is_local
                else ""
            )
            raise IndexStoreError(f"Không kết nối được tới Milvus tại {self.uri} ({_reason(exc)}).{hint}") from None

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except AssistantError:  # ours (a model mismatch, an embedding failure): already said well
            raise
        except Exception as exc:
            raise IndexStoreError(f"Milvus tại {self.uri} báo lỗi khi {what}: {_reason(exc)}") from None

    def _load(self, client) -> bool:
        """Whether the collections exist; they are loaded for search (a server does not keep that state
        across restarts, and loading an already loaded collection is not free, so only on demand)."""
        names = (self.chunks_name, self.docs_name, self.meta_name)
        if not all(client.has_collection(n) for n in names):
            return False
        for n in names:
            client.load_collection(n)
        return True

    def head(self) -> dict | None:
        """The head row, or None when there is no index; one cheap read once the collections are loaded."""
        client = self.client()
        if not self._ready:
            if not self._call("đọc chỉ mục", self._load, client):
                return None
            self._ready = True
        try:
            rows = client.get(self.meta_name, ids=[HEAD], output_fields=["value"])
        except Exception:  # dropped, or released by a server restart: look again
            self._ready = False
            if not self._call("đọc chỉ mục", self._load, client):
                return None
            self._ready = True
            rows = self._call("đọc chỉ mục", client.get, self.meta_name, ids=[HEAD], output_fields=["value"])
        return json.loads(rows[0]["value"]) if rows else None

    # -- the backend interface (store.FaissBackend has the same) ---------------------------------
    def exists(self) -> bool:
        return self.head() is not None

    def version(self) -> str | None:
        head = self.head()
        return head["version"] if head else None

    def open(self, expected_model: str | None = None) -> MilvusStore:
        head = self.head()
        if head is None:
            raise IndexStoreError(f"Chưa có chỉ mục trong {self.where}. Hãy chạy: assistant index <thư mục tài liệu>")
        _check_model(head, expected_model, self.where)
        return MilvusStore(self, head, self._read_stats(head))

    def build(
        self,
        documents: Iterable[Document],
        embedder: Embedder,
        chunking: ChunkingConfig,
        *,
        replace: bool = True,
        remove: list[str] | None = None,
        rebuild: bool = False,
        progress: Progress | None = None,
        vectors: dict[str, np.ndarray] | None = None,
        **_ignored,
    ) -> BuildReport:
        """Same contract as faiss.build: with `replace` the index then holds exactly `documents`.
        `vectors` (by chunk-text hash, e.g. a FAISS index's) are used instead of embedding those texts."""
        started = time.perf_counter()
        with _build_locks.setdefault(f"{self.uri}|{self.prefix}", threading.Lock()):
            client = self.client()
            head = None if rebuild else self.head()
            if head is not None and head.get("format") != FORMAT and replace:
                head = None  # an older schema (no chunk locations): the collections are made afresh
            if head is not None:
                _check_model(head, embedder.model_id, self.where)
            if head is None:
                self._call("tạo bộ sưu tập", self._create, client, embedder.dim)
                self._ready = True
            report = self._call(
                "lập chỉ mục",
                self._update,
                client,
                head,
                list(documents),
                embedder,
                chunking,
                replace,
                remove or [],
                progress,
                vectors or {},
            )
        report.seconds_total = time.perf_counter() - started
        return report

    # -- writing -------------------------------------------------------------------------------
    def _create(self, client, dim: int) -> None:
        from pymilvus import DataType, Function, FunctionType

        for name in (self.chunks_name, self.docs_name, self.meta_name):
            if client.has_collection(name):
                client.drop_collection(name)
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("doc_key", DataType.INT64)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=2048)
        schema.add_field("title", DataType.VARCHAR, max_length=8192)
        schema.add_field("source", DataType.VARCHAR, max_length=8192)
        schema.add_field("text", DataType.VARCHAR, max_length=MAX_BYTES)
        schema.add_field("start_offset", DataType.INT64)
        schema.add_field("end_offset", DataType.INT64)
        schema.add_field("sentences", DataType.VARCHAR, max_length=MAX_BYTES)
        schema.add_field("text_hash", DataType.VARCHAR, max_length=64)
        schema.add_field("location", DataType.VARCHAR, max_length=4096)  # JSON, see locations.py
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        index = client.prepare_index_params()
        index.add_index(field_name="vector", index_type="AUTOINDEX", metric_type="IP")
        for name in BM25_FIELDS:
            schema.add_field(
                name, DataType.VARCHAR, max_length=MAX_BYTES, enable_analyzer=True, analyzer_params=ANALYZER
            )
            schema.add_field(f"sparse_{name}", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name=f"bm25_{name}",
                    function_type=FunctionType.BM25,
                    input_field_names=[name],
                    output_field_names=[f"sparse_{name}"],
                )
            )
            index.add_index(
                field_name=f"sparse_{name}", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25_INDEX
            )
        client.create_collection(self.chunks_name, schema=schema, index_params=index)

        for name, fields in (
            (
                self.docs_name,
                [
                    ("doc_key", DataType.INT64, {"is_primary": True}),
                    ("doc_id", DataType.VARCHAR, {"max_length": 2048}),
                    ("hash", DataType.VARCHAR, {"max_length": 64}),
                    ("title", DataType.VARCHAR, {"max_length": 8192}),
                    ("source", DataType.VARCHAR, {"max_length": 8192}),
                    ("chunks", DataType.INT64, {}),
                    ("indexed_at", DataType.VARCHAR, {"max_length": 64}),
                ],
            ),
            (
                self.meta_name,
                [
                    ("key", DataType.VARCHAR, {"is_primary": True, "max_length": 256}),
                    ("value", DataType.VARCHAR, {"max_length": MAX_BYTES}),
                ],
            ),
        ):
            schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
            for field_name, kind, extra in fields:
                schema.add_field(field_name, kind, **dict(extra))  # type: ignore[call-overload]
            schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field
            index = client.prepare_index_params()
            index.add_index(field_name="unused", index_type="AUTOINDEX", metric_type="L2")
            client.create_collection(name, schema=schema, index_params=index)

    def _update(
        self,
        client,
        head: dict | None,
        documents: list[Document],
        embedder: Embedder,
        chunking: ChunkingConfig,
        replace: bool,
        remove: list[str],
        progress: Progress | None,
        known: dict[str, np.ndarray],
    ) -> BuildReport:
        """Plan the document diff, write the new rows (then drop the stale ones), commit the head."""
        old = self.document_rows() if head is not None else {}
        given = {d.doc_id: d for d in documents}
        changes = plan_changes(
            {d: r["hash"] for d, r in old.items()},
            {d: g.content_hash for d, g in given.items()},
            replace=replace,
            remove=remove,
        )
        report = BuildReport(
            documents=len(changes.wanted), added=changes.added, changed=changes.changed, removed=changes.removed
        )
        resync = head is not None and (head["chunking"] != asdict(chunking) or head.get("format") != FORMAT)
        if resync and not replace:
            raise IndexStoreError(
                "Cách chia đoạn đã thay đổi nên phải lập chỉ mục lại toàn bộ tài liệu "
                "(chạy assistant index với cả thư mục, không dùng --add)."
            )
        if head is not None and not resync and changes.none:
            report.unchanged = True
            report.chunks = head["chunks"]
            return report

        to_index = [
            given[d]
            for d in given
            if d in changes.wanted and (resync or d not in old or old[d]["hash"] != given[d].content_hash)
        ]
        dropped = set(old) if resync else set(changes.changed) | set(changes.removed)
        old_rows = self._chunk_rows([_key(d) for d in dropped], ["id", "lexical"])
        rows, texts, per_doc = _chunk_rows(to_index, chunking)
        report.chunks = (head["chunks"] if head else 0) - len(old_rows) + len(rows)
        self._attach_vectors(rows, texts, head, known, embedder, progress, report)
        stats = self._updated_statistics(head, resync, old_rows, rows)
        self._write_rows(client, old_rows, rows, to_index, per_doc, changes.removed)
        self._commit_head(client, head, stats, embedder, chunking, report)
        return report

    def _attach_vectors(
        self,
        rows: list[dict],
        texts: list[str],
        head: dict | None,
        known: dict[str, np.ndarray],
        embedder: Embedder,
        progress: Progress | None,
        report: BuildReport,
    ) -> None:
        """Each row's vector: given, already stored for the same text, or embedded now."""
        hashes = {r["text_hash"] for r in rows}
        cache = {h: known[h] for h in hashes if h in known}
        if head is not None:
            cache.update(self._vectors_by_hash(hashes - set(cache)))
        missing = sorted({r["text_hash"]: i for i, r in enumerate(rows) if r["text_hash"] not in cache}.values())
        report.embedded = len(missing)
        t0 = time.perf_counter()
        embed_into(cache, [texts[i] for i in missing], [rows[i]["text_hash"] for i in missing], embedder, progress)
        report.seconds_embedding = time.perf_counter() - t0
        for row in rows:
            row["vector"] = np.asarray(cache[row["text_hash"]], dtype=np.float32)

    def _updated_statistics(
        self, head: dict | None, resync: bool, old_rows: list[dict], rows: list[dict]
    ) -> TermStatistics | None:
        """The stored statistics moved by the rows that go and come; None when they must be recounted."""
        try:
            stats = self._read_stats(head) if head is not None and not resync else TermStatistics()
        except IndexStoreError:
            return None  # replaced by another process meanwhile: recounted when the head is committed
        for row in old_rows:
            stats.count(row["lexical"].split(), -1)
        for row in rows:
            stats.count(row["lexical"].split(), +1)
        return stats

    def _write_rows(
        self,
        client,
        old_rows: list[dict],
        rows: list[dict],
        to_index: list[Document],
        per_doc: Counter[str],
        removed: list[str],
    ) -> None:
        """New rows first, then the old ones go: a reader never finds a document missing. Rows already
        stored (equal ids) are neither written again nor deleted. Upsert, not insert: Milvus does not
        enforce unique ids, and another process may be writing the same document."""
        old_ids = {r["id"] for r in old_rows}
        fresh = [r for r in rows if r["id"] not in old_ids]
        for i in range(0, len(fresh), BATCH):
            client.upsert(self.chunks_name, fresh[i : i + BATCH])
        new_ids = {r["id"] for r in rows}
        stale = [r["id"] for r in old_rows if r["id"] not in new_ids]
        for i in range(0, len(stale), BATCH):
            client.delete(self.chunks_name, ids=stale[i : i + BATCH])
        now = datetime.now(UTC).isoformat(timespec="seconds")
        doc_rows = [
            {
                "doc_key": _key(d.doc_id),
                "doc_id": d.doc_id,
                "hash": d.content_hash,
                "title": _fit(d.title, 8000),
                "source": _fit(d.source, 8000),
                "chunks": per_doc[d.doc_id],
                "indexed_at": now,
                "unused": [0.0, 0.0],
            }
            for d in to_index
        ]
        for i in range(0, len(doc_rows), BATCH):
            client.upsert(self.docs_name, doc_rows[i : i + BATCH])
        gone = [_key(d) for d in removed]
        for i in range(0, len(gone), BATCH):
            client.delete(self.docs_name, ids=gone[i : i + BATCH])

    def _commit_head(
        self,
        client,
        head: dict | None,
        stats: TermStatistics | None,
        embedder: Embedder,
        chunking: ChunkingConfig,
        report: BuildReport,
    ) -> None:
        """The statistics, then the head row with a new version (what other replicas watch)."""
        now_head = self.head()
        if stats is None or (now_head is not None and head is not None and now_head["version"] != head["version"]):
            # Another process committed an update meanwhile: our deltas started from stale statistics,
            # so count them afresh from the rows (exact, and only in this case: it reads every chunk).
            stats, report.chunks = self._stats_from_rows()
        version = str(time.time_ns())
        parts = _pack(stats)
        client.upsert(
            self.meta_name,
            [{"key": f"stats/{version}/{i}", "value": p, "unused": [0.0, 0.0]} for i, p in enumerate(parts)],
        )
        new_head = {
            "format": FORMAT,
            "embedding": {"model": embedder.model_id, "dim": embedder.dim},
            "chunking": asdict(chunking),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "version": version,
            "chunks": report.chunks,
            "stats_parts": len(parts),
        }
        client.upsert(self.meta_name, [{"key": HEAD, "value": json.dumps(new_head), "unused": [0.0, 0.0]}])
        for old_head in {json.dumps(h, sort_keys=True): h for h in (head, now_head) if h is not None}.values():
            client.delete(
                self.meta_name, ids=[f"stats/{old_head['version']}/{i}" for i in range(old_head["stats_parts"])]
            )
        for name in (self.chunks_name, self.docs_name, self.meta_name):
            client.flush(name)

    # -- reading -------------------------------------------------------------------------------
    def document_rows(self) -> dict[str, dict]:
        client = self.client()
        out: dict[str, dict] = {}
        iterator = self._call(
            "đọc danh sách tài liệu",
            client.query_iterator,
            self.docs_name,
            batch_size=1000,
            output_fields=["doc_id", "hash", "title", "source", "chunks", "indexed_at"],
        )
        while True:
            batch = iterator.next()
            if not batch:
                iterator.close()
                return out
            for r in batch:
                out[r["doc_id"]] = {k: r[k] for k in ("hash", "title", "source", "chunks", "indexed_at")}

    def _chunk_rows(self, doc_keys: list[int], fields: list[str]) -> list[dict]:
        rows = []
        client = self.client()
        for i in range(0, len(doc_keys), 64):
            iterator = client.query_iterator(
                self.chunks_name, batch_size=1000, output_fields=fields, filter=f"doc_key in {doc_keys[i : i + 64]}"
            )
            while batch := iterator.next():
                rows.extend(batch)
            iterator.close()
        return rows

    def _stats_from_rows(self) -> tuple[TermStatistics, int]:
        stats, n = TermStatistics(), 0
        client = self.client()
        client.flush(self.chunks_name)
        iterator = client.query_iterator(self.chunks_name, batch_size=1000, output_fields=["lexical"])
        while batch := iterator.next():
            for row in batch:
                stats.count(row["lexical"].split(), +1)
            n += len(batch)
        iterator.close()
        return stats, n

    def _vectors_by_hash(self, hashes: set[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for these chunk texts, so unchanged texts are not embedded again."""
        out: dict[str, np.ndarray] = {}
        wanted = sorted(hashes)
        client = self.client()
        for i in range(0, len(wanted), BATCH):
            batch = wanted[i : i + BATCH]  # hex digests: safe inside the filter string
            for r in client.query(
                self.chunks_name,
                filter=f"text_hash in {json.dumps(batch)}",
                output_fields=["text_hash", "vector"],
                limit=16_384,
            ):
                out[r["text_hash"]] = np.asarray(r["vector"], dtype=np.float32)
        return out

    def _read_stats(self, head: dict) -> TermStatistics:
        keys = [f"stats/{head['version']}/{i}" for i in range(head["stats_parts"])]
        rows = {
            r["key"]: r["value"]
            for r in self._call(
                "đọc thống kê chỉ mục", self.client().get, self.meta_name, ids=keys, output_fields=["value"]
            )
        }
        if len(rows) != len(keys):
            raise IndexStoreError(f"Chỉ mục trong {self.where} không nhất quán (thiếu thống kê). Hãy xây dựng lại.")
        blob = zlib.decompress(base64.b64decode("".join(rows[k] for k in keys))).decode("utf-8")
        return TermStatistics.from_dict(json.loads(blob))


class MilvusStore:
    """A replica's view of the Milvus index: statistics in memory, everything else asked of Milvus."""

    has_bigrams = True
    remote = True  # retrieval overlaps its round trips

    def __init__(self, backend: MilvusBackend, head: dict, stats: TermStatistics):
        self.backend, self.head = backend, head
        self.manifest = {k: head[k] for k in ("format", "embedding", "chunking", "built_at")}
        self.df, self.df_folded = stats.df, stats.df_folded
        self.restorer = stats.restorer()

    @property
    def model_id(self) -> str:
        return self.head["embedding"]["model"]

    @property
    def version(self) -> str:
        return self.head["version"]

    @property
    def n_chunks(self) -> int:
        return self.head["chunks"]

    def document_info(self) -> dict[str, dict]:
        return self.backend.document_rows()

    def dense(self, vector: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        hits = self._search(
            "tìm kiếm vectơ", [np.asarray(vector, dtype=np.float32).tolist()], "vector", n, {"metric_type": "IP"}
        )
        return _arrays(hits)

    def bm25(self, requests: list[tuple[str, list[str]]], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Sum over the requests of Milvus' BM25 scores. Each field gives its own top n, so a chunk
        outside one field's top n counts 0 there (the FAISS store sums over every chunk)."""
        total: dict[int, float] = {}
        for name, terms in requests:
            if not terms:
                continue
            for hit in self._search("tìm kiếm BM25", [" ".join(terms)], f"sparse_{name}", n, {"metric_type": "BM25"}):
                total[hit["id"]] = total.get(hit["id"], 0.0) + float(hit["distance"])
        keys = np.array(list(total), dtype=np.int64)
        ids, scores = top_positive(np.array([total[k] for k in keys.tolist()], dtype=np.float32), n)
        return keys[ids], scores

    def similarities(self, keys: list[int], vector: np.ndarray) -> list[float]:
        """Computed by Milvus (a search restricted to these ids): no vectors cross the network."""
        if not keys:
            return []
        client = self.backend.client()
        hits = self.backend._call(
            "tìm kiếm vectơ",
            client.search,
            self.backend.chunks_name,
            data=[np.asarray(vector, dtype=np.float32).tolist()],
            anns_field="vector",
            filter=f"id in {[int(k) for k in keys]}",
            limit=len(keys),
            search_params={"metric_type": "IP"},
            output_fields=[],
        )
        found = {h["id"]: float(h["distance"]) for h in (hits[0] if hits else [])}
        return [found.get(int(k), 0.0) for k in keys]

    def views(self, keys: list[int]) -> dict[int, ChunkView]:
        if not keys:
            return {}
        return {
            r["id"]: ChunkView(
                r["doc_id"],
                r["title"],
                r["source"],
                r["text"],
                r["start_offset"],
                r["end_offset"],
                [tuple(s) for s in json.loads(r["sentences"])],
                r["text_hash"],
                json.loads(r.get("location") or "{}"),
            )
            for r in self._get(keys, _CHUNK_FIELDS)
        }

    def _search(self, what: str, data, field: str, n: int, params: dict) -> list[dict]:
        client = self.backend.client()
        hits = self.backend._call(
            what,
            client.search,
            self.backend.chunks_name,
            data=data,
            anns_field=field,
            limit=n,
            search_params=params,
            output_fields=[],
        )
        return list(hits[0]) if hits else []

    def _get(self, keys: list[int], fields: list[str]) -> list[dict]:
        client = self.backend.client()
        return self.backend._call(
            "đọc đoạn văn", client.get, self.backend.chunks_name, ids=[int(k) for k in keys], output_fields=fields
        )


def _chunk_rows(to_index: list[Document], chunking: ChunkingConfig) -> tuple[list[dict], list[str], Counter[str]]:
    """The chunk rows of these documents (without vectors), the texts to embed, and chunks per document."""
    rows, texts = [], []
    per_doc: Counter[str] = Counter()
    for doc in to_index:
        for chunk in chunk_rows(doc, chunking):
            tokens = syllables(chunk.text)
            folded = [fold(t) for t in tokens]
            row: dict[str, Any] = {
                "doc_key": _key(doc.doc_id),
                "doc_id": doc.doc_id,
                "title": _fit(doc.title, 8000),
                "source": _fit(doc.source, 8000),
                "text": doc.text[chunk.start : chunk.end],
                "start_offset": chunk.start,
                "end_offset": chunk.end,
                "sentences": json.dumps([list(s) for s in chunk.sentences]),
                "text_hash": chunk.text_hash,
                "location": _fit(json.dumps(chunk.location, ensure_ascii=False), 4000),
                "lexical": " ".join(tokens),
                "lexical_folded": " ".join(folded),
                "lexical_bigrams": " ".join(bigrams(tokens)),
                "lexical_bigrams_folded": " ".join(bigrams(folded)),
            }
            for name in ("text", "sentences", *BM25_FIELDS):
                if len(row[name].encode("utf-8")) > MAX_BYTES:
                    raise IndexStoreError(
                        f"Một đoạn của tài liệu {doc.doc_id} quá dài cho Milvus "
                        f"(hơn {MAX_BYTES} byte): hãy giảm chunking.size."
                    )
            # Everything a row holds follows from these, so an equal id means an identical row.
            identity = (doc.doc_id, doc.content_hash, chunk.n, chunk.start, chunk.end, chunk.text_hash)
            row["id"] = _key("\x00".join(map(str, identity)))
            rows.append(row)
            texts.append(chunk.text)
            per_doc[doc.doc_id] += 1
    return rows, texts, per_doc


def _arrays(hits: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array([h["id"] for h in hits], dtype=np.int64),
        np.array([h["distance"] for h in hits], dtype=np.float32),
    )


def _check_model(head: dict, expected: str | None, where: str) -> None:
    check_model(head["embedding"]["model"], expected, f"trong {where}", "assistant index <thư mục tài liệu> --rebuild")


def _pack(stats: TermStatistics) -> list[str]:
    blob = base64.b64encode(zlib.compress(json.dumps(stats.to_dict(), ensure_ascii=False).encode("utf-8"), 6)).decode(
        "ascii"
    )
    return [blob[i : i + PART_CHARS] for i in range(0, len(blob), PART_CHARS)] or [""]


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "message", "") or exc).strip().splitlines()[0][:300] if str(exc) else type(exc).__name__
