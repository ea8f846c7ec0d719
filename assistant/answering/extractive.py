"""The default `extractive` backend: it needs no LLM. It quotes the sentences of the retrieved passages that
best answer the question, each with its [n] marker, marks the words that answer what was asked, and
refuses when the evidence is too weak. An English question is answered from the same Vietnamese passages,
its sentences chosen by meaning (the multilingual embedding model) since no word is shared."""

from __future__ import annotations

import re

import numpy as np

from ..config import AnswerConfig
from ..diacritics import DiacriticRestorer
from ..legal import reference
from ..retrieval import Query
from ..text import fold, is_english
from ..types import LOW_CONFIDENCE, REFUSAL, Answer, Passage
from . import refusal
from .compose import choose, compose, holder_first
from .features import answers_english_number, asked_title, carries_type, english_measure
from .models import Models, load
from .question import Cues, answer_type, missing_names, question_cues
from .ranking import Candidate, sentences_of
from .ranking import candidates as rank_candidates
from .terms import IdfTable, coverage, tokens_of

SECOND_SENTENCE_PROBABILITY = 0.02  # a second sentence is quoted when it is this likely to hold the answer
CROSSLINGUAL_PASSAGES = 3  # an English question's sentences are compared by meaning in this many passages
CROSSLINGUAL_TYPED_BONUS = 0.02  # added to the similarity of a sentence carrying the kind of answer asked for
# added again when an English question names the measure ("how fast": "1,6 km/h", "what rank": "thứ 8");
# chosen on the news set's dev English questions (0.03: 22, 0.05 and 0.08: 23 of 35 answered right; test
# 14 of 18 with each), the similarities of a question's sentences lying within a few hundredths
CROSSLINGUAL_MEASURE_BONUS = 0.05


def in_article(question: str, passages: list[Passage]) -> list[Passage]:
    """The passages of the article (and clause) a question names ("Điều 2 quy định gì?"), when retrieval
    found any: its words would otherwise pick "Nghị quyết này quy định ..." of Điều 1."""
    named = reference(question)
    if named is None:
        return passages
    dieu, khoan = named
    found = [
        p
        for p in passages
        if p.location.get("dieu") == dieu and (khoan is None or p.location.get("khoan") in (khoan, None))
    ]
    return found or passages


# A question that only names an article ("Điều 2 quy định gì?", "khoản 2 Điều 3 nói gì?"), folded
ARTICLE_QUESTION_WORDS = frozenset("dieu khoan quy dinh noi gi co dung nhung ve viec the nao".split())
ARTICLE_SENTENCES = 3  # quoted from the start of the article asked for
_NUMBERING = re.compile(r"(?:(?:điều|khoản|chương|mục|phần)\s+)?(?:\d+|[IVXLC]+|[a-zđ])\s*[.):]?", re.IGNORECASE)


def asks_whole_article(query: Query) -> bool:
    """Whether the question only names an article ("Điều 2 quy định gì?"), not something asked of it
    ("Theo Điều 3, ai bổ nhiệm ...?")."""
    return reference(query.text) is not None and all(
        t.isdigit() or fold(t) in ARTICLE_QUESTION_WORDS for t in query.tokens
    )


def whole_article(query: Query, passages: list[Passage]) -> list[Passage]:
    """The passages of the article a question names, from its start; [] when retrieval found none."""
    found = in_article(query.text, passages)
    if found is passages:
        return []
    doc = found[0].doc_id
    return sorted((p for p in found if p.doc_id == doc), key=lambda p: p.start)


class ExtractiveAnswerer:
    def __init__(
        self,
        config: AnswerConfig,
        idf: IdfTable,
        embedder=None,
        models: Models | None = None,
        restorer: DiacriticRestorer | None = None,
    ):
        """`restorer`: the index's, to read a question typed without diacritics as restored where its
        folded words are ambiguous (features.answers_number)."""
        self.config, self.idf, self.embedder, self.restorer = config, idf, embedder, restorer
        self.models = models or load()

    def answer(self, question: str, passages: list[Passage], focus: str | None = None) -> Answer:
        """`focus`, when given, is the part of a follow-up the answer should cover first."""
        query = Query.of(question, self.restorer)
        asked = self._asked(query, focus)
        cues = question_cues(asked.text, asked.tokens, asked.accented)
        if passages and self.embedder is not None and is_english(focus or question):
            return self._crosslingual(query, passages, cues.type)
        if not focus and asks_whole_article(query):
            if article := whole_article(query, passages):
                return self._article(query, article, passages)
            if any("dieu" in p.location for p in passages):  # a law without that article: "Điều 9" of 4
                return Answer(REFUSAL, refused=True, passages=passages, answer_type=cues.type)
        weights = self._weights(query, focus)
        if not weights or not passages:
            return Answer(REFUSAL, refused=True, passages=passages, answer_type=cues.type)
        ranked = self._ranked(query, asked, weights, in_article(question, passages), cues)
        if not ranked:
            return Answer(REFUSAL, refused=True, passages=passages, answer_type=cues.type)
        signals = refusal.signals(query, weights, ranked, passages, cues.type)
        if focus:  # a follow-up is answered only if the answer speaks to the follow-up itself
            signals["focus"] = self.coverage(Query.of(focus), ranked[0].text)
        key = refusal.model_key(query, False)
        confidence = refusal.confidence(self.models, key, signals, cues.type)
        return self._finish(asked, ranked, passages, confidence, signals, key, cues.type)

    def rank(self, question: str, passages: list[Passage], focus: str | None = None) -> list[Candidate]:
        """The sentences of `passages` as `answer` orders them (what the calibration scripts fit on)."""
        query = Query.of(question)
        asked = self._asked(query, focus)
        weights = self._weights(query, focus)
        if not weights or not passages:
            return []
        return self._ranked(query, asked, weights, passages, question_cues(asked.text, asked.tokens, asked.accented))

    def _weights(self, query: Query, focus: str | None) -> dict[str, float]:
        """The question's term weights, a follow-up's own words counting double."""
        weights = self.term_weights(query)
        if focus:
            for term in Query.of(focus).tokens:
                if term in weights:
                    weights[term] *= 2.0
        return weights

    def _ranked(
        self, query: Query, asked: Query, weights: dict[str, float], passages: list[Passage], cues: Cues
    ) -> list[Candidate]:
        """Candidates ranked for what is asked: the question's weights, or a follow-up's own words'."""
        return self.candidates(asked, self.term_weights(asked) if asked is not query else weights, passages, cues)

    def _asked(self, query: Query, focus: str | None) -> Query:
        """What the sentences must answer. A follow-up with its own question word ("Anh ấy phải làm khán
        giả bao nhiêu trận?") asks that, in the passages found with the turn before it ("Cầu thủ nào …
        bị treo giò?" — "Totti …"), whose words would pick the sentence already quoted; an elliptical one
        ("Còn Phó Chủ tịch thì sao?") asks the earlier question again, so it is read with it."""
        if not focus:
            return query
        own = Query.of(focus)
        return own if answer_type(own.text) != "other" and self.term_weights(own) else query

    def term_weights(self, query: Query) -> dict[str, float]:
        return self.idf.term_weights(query.tokens, query.accented)

    def candidates(
        self, query: Query, weights: dict[str, float], passages: list[Passage], cues=None
    ) -> list[Candidate]:
        cues = cues or question_cues(query.text, query.tokens, query.accented)
        return rank_candidates(query, weights, passages, cues, self.models)

    def coverage(self, query: Query, sentence: str) -> float:
        weights = self.term_weights(query)
        return coverage(weights, tokens_of(sentence, query.accented)) if weights else 1.0

    def threshold(self, key: str) -> float:
        configured = {
            "accented": self.config.refusal_threshold,
            "unaccented": self.config.refusal_threshold_unaccented,
        }.get(key, -1.0)
        return configured if configured >= 0 else self.models.thresholds[key]

    def _finish(
        self,
        query: Query,
        ranked: list[Candidate],
        passages: list[Passage],
        confidence: float,
        signals: dict,
        key: str,
        answer_type: str,
    ) -> Answer:
        if confidence < self.threshold(key):
            return Answer(
                REFUSAL,
                refused=True,
                confidence=confidence,
                passages=passages,
                signals=signals,
                answer_type=answer_type,
            )
        if answer_type == "person":
            ranked = holder_first(ranked, asked_title(query.text), query.tokens)
        chosen = choose(
            ranked, self.config.max_sentences, SECOND_SENTENCE_PROBABILITY, answer_type, query.tokens, query.accented
        )
        answer = compose(
            chosen,
            answer_type,
            query.tokens,
            query.accented,
            ranked[0],
            confidence,
            passages,
            signals,
            query.restored_tokens,
        )
        if confidence < self.models.caution.get(key, 0.0):  # answered, but in the band where wrong answers gather
            answer.notice = LOW_CONFIDENCE
        return answer

    def _article(self, query: Query, article: list[Passage], passages: list[Passage]) -> Answer:
        """The article's first sentences, in order: found by its number, not by its words, so no refusal
        model weighs it."""
        chosen: list[Candidate] = []
        for p in article:
            for start, end, text in sentences_of(p):
                numbering = _NUMBERING.fullmatch(text.strip())  # "Điều 2.", "1.", "a)": no sentence
                if not numbering and len(chosen) < ARTICLE_SENTENCES and all(start >= c.end for c in chosen):
                    chosen.append(Candidate(p, passages.index(p), start, end, text, 1.0, 1.0, 1.0))
        signals = {"article": 1.0}
        return compose(chosen, "content", query.tokens, query.accented, chosen[0], 1.0, passages, signals)

    def _crosslingual(self, query: Query, passages: list[Passage], answer_type: str) -> Answer:
        """Sentences of the best passages ordered by their meaning's similarity to the question."""
        ranked: list[Candidate] = []
        for rank, p in enumerate(passages[:CROSSLINGUAL_PASSAGES]):
            for start, end, text in sentences_of(p):
                if len(text) >= 2 and text not in {c.text for c in ranked}:
                    ranked.append(Candidate(p, rank, start, end, text, 0.0, 0.0, 0.0))
        if not ranked:
            return Answer(REFUSAL, refused=True, passages=passages, answer_type=answer_type)
        q = np.asarray(self.embedder.embed_queries([query.text])[0], dtype=np.float32)
        vectors = np.asarray(self.embedder.embed_passages([c.text for c in ranked]), dtype=np.float32)
        names = set(query.tokens)  # a Vietnamese name in the question ("Hoan Kiem") is not the answer
        asks_kind = english_measure(query.text) is not None
        for c, similarity in zip(ranked, (vectors @ q).tolist()):
            typed = carries_type(answer_type, c.text, tokens_of(c.text, False), names, False) and (
                answer_type != "number" or answers_english_number(query.text, c.text)  # "how fast": "1,6 km/h"
            )
            measured = typed and answer_type == "number" and asks_kind
            c.features = {"similarity": similarity, "typed": float(typed)}
            c.score = c.probability = (
                similarity - 0.01 * c.rank + CROSSLINGUAL_TYPED_BONUS * typed + CROSSLINGUAL_MEASURE_BONUS * measured
            )
        ranked.sort(key=lambda c: c.score, reverse=True)
        top = passages[0]
        signals = {
            "dense": min(max((top.dense_score - 0.7) / 0.15, 0.0), 1.0),
            "similarity": min(max((ranked[0].features["similarity"] - 0.7) / 0.15, 0.0), 1.0),
            "typed": ranked[0].features["typed"],
        }
        # a name the question asks about that no passage has ("Da Nang", "World Cup"): with no shared words
        # to weigh, that is the one lexical evidence an English question gives, and it refuses
        signals["missing_name"] = float(missing_names(query.text, passages, single_words=False)[0])
        confidence = refusal.confidence(self.models, "crosslingual", signals)
        return self._finish(query, ranked, passages, confidence, signals, "crosslingual", answer_type)
