"""What every index store shares: the interfaces retrieval and the API rely on (as Protocols), the
chunk view and build report they return, and the steps both stores take the same way: the text a
chunk is embedded and indexed as, its hash, embedding what no earlier build embedded, the plan of a
document diff, the model check and the corpus statistics the answerer and diacritic restorer read.
A store implements only what differs (faiss.py: files on disk; milvus.py: a Milvus collection)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..config import ChunkingConfig
from ..diacritics import MIN_BIGRAM_COUNT, DiacriticRestorer
from ..embeddings import Embedder
from ..errors import ModelMismatchError
from ..ingest import Document
from ..locations import heading, located_chunks
from ..text import fold

# 2: syllable-bigram BM25 indexes (lexical_bigrams, lexical_bigrams_folded); 3: chunk locations (page, slide,
# sheet and row, legal path) and the legal path indexed with the chunk; 4: sentences split at a full stop
# typed without its space (chunking._GLUED)
FORMAT = 4  # the layout both stores write; older ones are upgraded by a rebuild
Progress = Callable[[int, int], None]  # (documents done, documents expected)

BM25_FIELDS = ("lexical", "lexical_folded", "lexical_bigrams", "lexical_bigrams_folded")


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


def top_positive(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The n best entries with a positive score, best first."""
    order = np.argsort(-scores, kind="stable")[:n]
    order = order[scores[order] > 0]
    return order, scores[order]


def embed_text(title: str, text: str, location: dict | None = None) -> str:
    """What a chunk is embedded and lexically indexed as: its document title gives it context, and its
    legal path ("khoản 2 Điều 12") lets a question that names an article find it."""
    path = heading(location or {})
    if path and not text.startswith(path):
        text = f"{path}\n{text}"
    return f"{title}\n{text}" if title and not text.startswith(title) else text


@dataclass
class ChunkRow:
    """One chunk as both stores write it: its place in the document (offsets, sentence offsets, the
    n-th chunk, page/article location), and the text it is embedded and indexed as, with that text's hash."""

    doc_id: str
    n: int
    start: int
    end: int
    sentences: list[tuple[int, int]]
    text: str
    text_hash: str
    location: dict


def chunk_rows(doc: Document, chunking: ChunkingConfig) -> Iterator[ChunkRow]:
    for n, (piece, location) in enumerate(located_chunks(doc, chunking.size, chunking.overlap)):
        text = embed_text(doc.title, doc.text[piece.start : piece.end], location)
        sentences = [(s.start, s.end) for s in piece.sentences]
        yield ChunkRow(doc.doc_id, n, piece.start, piece.end, sentences, text, text_hash(text), location)


def text_hash(text: str) -> str:
    """What vectors are cached and reused by: the hash of the text that was embedded."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def embed_into(
    cache: dict[str, np.ndarray],
    texts: list[str],
    hashes: list[str],
    embedder: Embedder,
    progress: Progress | None,
    batch: int = 16,
) -> None:
    from tqdm import tqdm

    # one batch (the streaming build's calls) shows no bar: the build shows documents instead
    quiet = True if len(texts) <= batch else None
    with tqdm(total=len(texts), desc="Đang nhúng các đoạn", unit="đoạn", disable=quiet) as bar:
        for i in range(0, len(texts), batch):
            vectors = embedder.embed_passages(texts[i : i + batch])
            for h, v in zip(hashes[i : i + batch], vectors):
                cache[h] = v
            bar.update(len(vectors))
            if progress:
                progress(min(i + batch, len(texts)), len(texts))


def check_model(built_with: str, expected: str | None, place: str, rebuild: str) -> None:
    """An index answers only questions embedded by the model that built it."""
    if expected is not None and built_with != expected:
        raise ModelMismatchError(
            f"Chỉ mục {place} được xây dựng bằng mô hình nhúng «{built_with}», còn cấu hình hiện tại dùng "
            f"«{expected}». Hãy dùng lại mô hình «{built_with}», hoặc xây dựng lại chỉ mục: {rebuild}"
        )


@dataclass
class Changes:
    """The plan of a document diff: which documents an update adds, changes and removes."""

    wanted: set[str]
    added: list[str]
    changed: list[str]
    removed: list[str]

    @property
    def none(self) -> bool:
        return not (self.added or self.changed or self.removed)


def plan_changes(
    old: Mapping[str, str], given: Mapping[str, str], *, replace: bool, remove: Iterable[str] = ()
) -> Changes:
    """`old` and `given` map document ids to content hashes (what is indexed, what was read). With
    `replace` the index then holds exactly `given`; otherwise `given` is added or updated and `remove`
    taken away."""
    wanted = set(given) if replace else (set(old) | set(given)) - (set(remove) - set(given))
    return Changes(
        wanted=wanted,
        added=[d for d in given if d in wanted and d not in old],
        changed=[d for d in given if d in old and old[d] != given[d]],
        removed=sorted(set(old) - wanted),
    )


class TermStatistics:
    """Corpus statistics over syllables: chunk frequencies (accented and folded) for the answerer, and
    syllable and pair counts for the diacritic restorer. Both stores keep the same four tables; Milvus
    updates them by deltas, the FAISS build counts them in bulk."""

    def __init__(
        self,
        df: dict[str, int] | None = None,
        df_folded: dict[str, int] | None = None,
        unigrams: dict[str, int] | None = None,
        bigrams: dict[str, int] | None = None,
    ):
        self.df, self.df_folded = df or {}, df_folded or {}
        self.unigrams, self.bigrams = unigrams or {}, bigrams or {}  # bigrams: "w1 w2" -> count

    def count(self, tokens: Sequence[str], sign: int = 1) -> None:
        """Add (or take away) one chunk's syllables: the statistics stay exact under incremental updates."""
        folded = [fold(t) for t in tokens]
        for table, terms in (
            (self.df, set(tokens)),
            (self.df_folded, set(folded)),
            (self.unigrams, tokens),
            (self.bigrams, [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]),
        ):
            for t in terms:
                value = table.get(t, 0) + sign
                if value > 0:
                    table[t] = value
                else:
                    table.pop(t, None)

    def restorer(self) -> DiacriticRestorer:
        return DiacriticRestorer(self.unigrams, {k: c for k, c in self.bigrams.items() if c >= MIN_BIGRAM_COUNT})

    def to_dict(self) -> dict:
        return {"df": self.df, "df_folded": self.df_folded, "unigrams": self.unigrams, "bigrams": self.bigrams}

    @classmethod
    def from_dict(cls, data: dict) -> TermStatistics:
        return cls(data.get("df"), data.get("df_folded"), data.get("unigrams"), data.get("bigrams"))


class Store(Protocol):
    """An opened index: what retrieval reads. `remote` stores wait on the network (retrieval overlaps
    their calls)."""

    remote: bool
    restorer: DiacriticRestorer
    df: dict[str, int]  # chunks each syllable occurs in (the answerer's IDF)
    df_folded: dict[str, int]

    @property
    def model_id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def n_chunks(self) -> int: ...
    @property
    def has_bigrams(self) -> bool: ...
    def document_info(self) -> dict[str, dict]: ...
    def dense(self, vector: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]: ...
    def bm25(self, requests: list[tuple[str, list[str]]], n: int) -> tuple[np.ndarray, np.ndarray]: ...
    def similarities(self, keys: list[int], vector: np.ndarray) -> list[float]: ...
    def views(self, keys: list[int]) -> dict[int, ChunkView]: ...


class Backend(Protocol):
    """Where an index lives: it says whether one exists and which version, opens it, and builds it."""

    @property
    def where(self) -> str: ...
    def exists(self) -> bool: ...
    def version(self) -> str | None: ...
    def open(self, expected_model: str | None = None) -> Store: ...
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
        **options,
    ) -> BuildReport: ...
