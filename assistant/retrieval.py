"""Hybrid retrieval: dense (FAISS or Milvus) and BM25 over Vietnamese syllables and syllable pairs, fused.

A question typed without diacritics is matched against the diacritic-folded BM25 fields, and
its diacritics are restored from the corpus's own vocabulary so that the dense arm and the
accented BM25 fields see real Vietnamese too. Fusion adds each arm's scores scaled to [0, 1]
over its own candidates: unlike reciprocal ranks it keeps how far ahead an arm's best passage is
(benchmarks/retrieval.py --sweep-fusion; docs/benchmarks.md).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import RetrievalConfig
from .diacritics import DiacriticRestorer
from .embeddings import Embedder
from .index.base import Store
from .legal import reference
from .text import bigrams, english_terms, fold, has_diacritics, is_english, syllables
from .types import Passage

# Multiplies dense_weight for questions typed without diacritics (restoration is not perfect);
# chosen by the fusion sweep on 1,000 distractors.
UNACCENTED_DENSE_WEIGHT = 0.8


@dataclass
class Query:
    """A question prepared once for every stage that looks at it."""

    text: str
    accented: bool
    tokens: list[str]  # syllables in the field the lexical arm searches

    restored: str | None = None  # the question with diacritics restored, when typed without

    @classmethod
    def of(cls, text: str, restorer: DiacriticRestorer | None = None) -> Query:
        accented = has_diacritics(text)
        tokens = syllables(text)
        if accented:
            return cls(text, True, tokens)
        if is_english(text):  # not restored: its words would become syllables the dense model misreads;
            # searched lexically by its names and office words alone (text.english_terms)
            return cls(text, False, [fold(t) for t in syllables(english_terms(text))])
        restored = restorer.restore(text) if restorer else None
        return cls(text, False, [fold(t) for t in tokens], restored)

    @property
    def dense_text(self) -> str:
        return self.restored or self.text

    @property
    def restored_tokens(self) -> list[str]:
        """The restored question's syllables, word for word with `tokens` ([] when not restored)."""
        return syllables(self.restored) if self.restored else []


class Retriever:
    """One code path over any store with the interface of `index.base.Store` (FAISS files or Milvus)."""

    def __init__(self, store: Store, embedder: Embedder, config: RetrievalConfig):
        self.store, self.embedder, self.config = store, embedder, config
        self._reranker: Any = None

    def query(self, question: str) -> Query:
        return Query.of(question, self.store.restorer)

    def lexical_top(self, query: Query, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The BM25 arm over syllables: chunk keys and scores, best first."""
        return self._bm25(query, "lexical", "lexical_folded", lambda tokens: tokens, n)

    def bigram_top(self, query: Query, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The BM25 arm over adjacent syllable pairs."""
        return self._bm25(query, "lexical_bigrams", "lexical_bigrams_folded", bigrams, n)

    def _bm25(self, query: Query, accented_field: str, folded_field: str, terms, n: int):
        """The field the question was typed for; a question typed without diacritics adds its restored
        form's scores in the accented field."""
        if query.accented:
            requests = [(accented_field, terms(query.tokens))]
        else:
            requests = [(folded_field, terms(query.tokens))]
            if query.restored:
                requests.append((accented_field, terms(query.restored_tokens)))
        requests = [(name, t) for name, t in requests if t]
        if not requests or not self.store.n_chunks:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return self.store.bm25(requests, n)

    def dense_top(self, vector: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self.store.dense(vector, n)

    def search(self, question: str, k: int | None = None) -> list[Passage]:
        k = k or self.config.k
        n_chunks = self.store.n_chunks
        if n_chunks == 0 or not question.strip():
            return []
        query = self.query(question)
        n = min(self.config.candidates, n_chunks)

        # A remote store's BM25 searches run while the question is embedded (one round trip each).
        lexical = _start(self.store, self.lexical_top, query, n)
        use_bigrams = self.config.bigram_weight > 0 and self.store.has_bigrams
        bigram = _start(self.store, self.bigram_top, query, n) if use_bigrams else None
        vector = self.embedder.embed_queries([query.dense_text])[0]
        dense_ids, dense_sims = self.dense_top(vector, n)
        dense_of = dict(zip(dense_ids.tolist(), dense_sims.tolist()))
        lexical_ids, lexical_scores = lexical.result()
        lexical_of = dict(zip(lexical_ids.tolist(), lexical_scores.tolist()))

        dense_weight = self.config.dense_weight * (1.0 if query.accented else UNACCENTED_DENSE_WEIGHT)
        # (ids, scores, weight, whether the floor is the arm's own n-th score): a cosine similarity has no
        # natural zero, while BM25 returning fewer than n chunks means the rest scored 0.
        arms = [
            (dense_ids, dense_sims, dense_weight, True),
            (lexical_ids, lexical_scores, self.config.lexical_weight, len(lexical_ids) == n),
        ]
        if bigram is not None:
            ids, top = bigram.result()
            arms.append((ids, top, self.config.bigram_weight, len(ids) == n))
        fused: dict[int, float] = {}
        for ids, scores, weight, full in arms:
            contributions = (
                _min_max(scores, full=full)
                if self.config.fusion == "score"
                else 1.0 / (self.config.rrf_k + 1 + np.arange(len(ids)))
            )
            for i, c in zip(ids.tolist(), contributions.tolist()):
                fused[i] = fused.get(i, 0.0) + weight * c

        ranked = sorted(fused, key=lambda i: fused[i], reverse=True)
        article = reference(question)
        if article is not None:
            ranked = self._article_first(ranked, article)
        wanted = max(k, self.config.reranker_candidates if self.config.reranker else 0)
        passages: list[Passage] = []
        seen_texts: set[str] = set()
        # Chunks are read in batches (one round trip each for a remote store), in fused order.
        for offset in range(0, len(ranked), 2 * wanted):
            batch = ranked[offset : offset + 2 * wanted]
            missing = [i for i in batch if i not in dense_of]
            similarities = _start(self.store, self.store.similarities, missing, vector)
            views = self.store.views(batch)
            dense_of.update(zip(missing, similarities.result()))
            for i in batch:
                view = views.get(i)
                if view is None or view.text_hash in seen_texts:
                    continue  # None: removed by another replica since the search
                if any(p.doc_id == view.doc_id and _nested(p.start, p.end, view.start, view.end) for p in passages):
                    continue  # one holds the other (a document's opening chunk and its title's): no new text
                seen_texts.add(view.text_hash)
                passages.append(
                    Passage(
                        doc_id=view.doc_id,
                        title=view.title,
                        source=view.source,
                        text=view.text,
                        start=view.start,
                        end=view.end,
                        score=float(fused[i]),
                        chunk=int(i),
                        dense_score=float(dense_of[i]),
                        lexical_score=float(lexical_of.get(i, 0.0)),
                        sentences=list(view.sentences),
                        location=dict(view.location or {}),
                    )
                )
                if len(passages) >= wanted:
                    break
            if len(passages) >= wanted:
                break
        if self.config.reranker:
            passages = self._rerank(question, passages)
        return passages[:k]

    def _article_first(self, ranked: list[int], article: tuple[int, int | None]) -> list[int]:
        """A question naming "khoản 2 Điều 12" gets that clause first, then the rest of that article,
        in fused order (a question's words alone rank "Điều 1. Phạm vi điều chỉnh" above it)."""
        views = self.store.views(ranked)
        dieu, khoan = article

        def rank(key: int) -> int:
            location = views[key].location if key in views else {}
            if location.get("dieu") != dieu:
                return 2
            return 0 if location.get("khoan") == khoan or (khoan is None and location.get("khoan") in (None, 1)) else 1

        return sorted(ranked, key=rank)

    def _rerank(self, question: str, passages: list[Passage]) -> list[Passage]:
        if self._reranker is None:
            from sentence_transformers import CrossEncoder

            self._reranker = CrossEncoder(self.config.reranker, device="cpu")
        scores = self._reranker.predict([(question, p.text) for p in passages], show_progress_bar=False)
        for p, s in zip(passages, scores):
            p.score = float(s)
        return sorted(passages, key=lambda p: p.score, reverse=True)


class _Done:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


_pool: ThreadPoolExecutor | None = None


def _start(store, fn, *args):
    """`fn(*args)` in a thread for a store that waits on the network (`store.remote`), else now."""
    global _pool
    if not store.remote:
        return _Done(fn(*args))
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="retrieval")
    return _pool.submit(fn, *args)


def _nested(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Whether one of two character ranges of a document lies inside the other."""
    return (a_start <= b_start and b_end <= a_end) or (b_start <= a_start and a_end <= b_end)


def _min_max(scores: np.ndarray, full: bool) -> np.ndarray:
    """An arm's candidate scores (best first) scaled so its best is 1 and its n-th best 0. When the arm
    found fewer than n candidates (BM25 matching few chunks) the floor is 0, the score of a non-match."""
    if len(scores) == 0:
        return scores
    top, floor = float(scores[0]), float(scores[-1]) if full else 0.0
    if top - floor <= 1e-9:
        return np.ones_like(scores, dtype=np.float64)
    return (scores - floor) / (top - floor)
