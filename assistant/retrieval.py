"""Hybrid retrieval: dense (FAISS) and BM25 over Vietnamese syllables, fused by reciprocal rank.

A question typed without diacritics is matched against the diacritic-folded BM25 field, and
its diacritics are restored from the corpus's own vocabulary so that the dense arm and the
accented BM25 field see real Vietnamese too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config import RetrievalConfig
from .embeddings import Embedder
from .diacritics import DiacriticRestorer
from .store import IndexStore
from .text import fold, has_diacritics, syllables

# Multiplies dense_weight for questions typed without diacritics (restoration is not perfect);
# an effective 0.3 (0.5 x 0.6) beat both arms for them in the fusion sweep.
UNACCENTED_DENSE_WEIGHT = 0.6


@dataclass
class Passage:
    doc_id: str
    title: str
    source: str
    text: str
    start: int  # character offsets of `text` in the document's normalised text
    end: int
    score: float
    chunk: int = -1
    dense_score: float = 0.0  # cosine similarity of the question and this passage
    lexical_score: float = 0.0  # BM25 score in the field the question was matched against
    sentences: list[tuple[int, int]] = field(default_factory=list)  # document offsets

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("doc_id", "title", "source", "text", "start", "end", "score")}


@dataclass
class Query:
    """A question prepared once for every stage that looks at it."""

    text: str
    accented: bool
    tokens: list[str]  # syllables in the field the lexical arm searches

    restored: str | None = None  # the question with diacritics restored, when typed without

    @classmethod
    def of(cls, text: str, restorer: DiacriticRestorer | None = None) -> "Query":
        accented = has_diacritics(text)
        tokens = syllables(text)
        if accented:
            return cls(text, True, tokens)
        return cls(text, False, [fold(t) for t in tokens], restorer.restore(text) if restorer else None)

    @property
    def dense_text(self) -> str:
        return self.restored or self.text


class Retriever:
    def __init__(self, store: IndexStore, embedder: Embedder, config: RetrievalConfig):
        self.store, self.embedder, self.config = store, embedder, config
        self._reranker = None

    def query(self, question: str) -> Query:
        return Query.of(question, self.store.restorer)

    def lexical_scores(self, query: Query) -> np.ndarray:
        if not query.tokens or not self.store.chunks:
            return np.zeros(len(self.store.chunks), dtype=np.float32)
        if query.accented:
            return self.store.lexical.get_scores(query.tokens)
        scores = self.store.lexical_folded.get_scores(query.tokens)
        if query.restored:
            scores = scores + self.store.lexical.get_scores(syllables(query.restored))
        return scores

    def dense_scores(self, vector: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        scores, ids = self.store.vectors.search(vector.reshape(1, -1), n)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def search(self, question: str, k: int | None = None) -> list[Passage]:
        k = k or self.config.k
        n_chunks = len(self.store.chunks)
        if n_chunks == 0 or not question.strip():
            return []
        query = self.query(question)
        n = min(self.config.candidates, n_chunks)

        lexical = self.lexical_scores(query)
        lex_top = np.argsort(-lexical)[:n]
        lex_top = lex_top[lexical[lex_top] > 0]
        vector = self.embedder.embed_queries([query.dense_text])[0]
        dense_ids, dense_sims = self.dense_scores(vector, n)
        dense_of = dict(zip(dense_ids.tolist(), dense_sims.tolist()))

        dense_weight = self.config.dense_weight * (1.0 if query.accented else UNACCENTED_DENSE_WEIGHT)
        fused: dict[int, float] = {}
        for rank, i in enumerate(dense_ids.tolist()):
            fused[i] = fused.get(i, 0.0) + dense_weight / (self.config.rrf_k + rank + 1)
        for rank, i in enumerate(lex_top.tolist()):
            fused[i] = fused.get(i, 0.0) + self.config.lexical_weight / (self.config.rrf_k + rank + 1)

        ranked = sorted(fused, key=fused.get, reverse=True)
        passages: list[Passage] = []
        seen_texts: set[str] = set()
        for i in ranked:
            chunk = self.store.chunks[i]
            if chunk.text_hash in seen_texts:
                continue
            seen_texts.add(chunk.text_hash)
            doc = self.store.documents[chunk.doc_id]
            if i not in dense_of:
                dense_of[i] = float(self.store.vectors.reconstruct(int(i)) @ vector)
            passages.append(Passage(
                doc_id=chunk.doc_id, title=doc.title, source=doc.source, text=doc.text[chunk.start:chunk.end],
                start=chunk.start, end=chunk.end, score=float(fused[i]), chunk=int(i),
                dense_score=float(dense_of[i]), lexical_score=float(lexical[i]),
                sentences=[tuple(s) for s in chunk.sentences],
            ))
            if len(passages) >= max(k, self.config.reranker_candidates if self.config.reranker else 0):
                break
        if self.config.reranker:
            passages = self._rerank(question, passages)
        return passages[:k]

    def _rerank(self, question: str, passages: list[Passage]) -> list[Passage]:
        if self._reranker is None:
            from sentence_transformers import CrossEncoder

            self._reranker = CrossEncoder(self.config.reranker, device="cpu")
        scores = self._reranker.predict([(question, p.text) for p in passages], show_progress_bar=False)
        for p, s in zip(passages, scores):
            p.score = float(s)
        return sorted(passages, key=lambda p: p.score, reverse=True)
