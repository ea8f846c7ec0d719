"""Answers with citations. The default `extractive` backend needs no LLM: it quotes the
sentences of the retrieved passages that best cover the question, each with its [n] marker,
and refuses when the evidence is too weak.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .config import AnswerConfig
from .retrieval import Passage, Query
from .text import fold, syllables

REFUSAL = "Xin lỗi, tôi không tìm thấy thông tin này trong tài liệu."
EMPTY_QUESTION = "Vui lòng nhập câu hỏi."
TOO_LONG = "Câu hỏi quá dài (tối đa {limit} ký tự). Vui lòng rút gọn câu hỏi."
NO_DOCUMENTS = "Chưa có tài liệu nào được lập chỉ mục."

# Syllables that carry no content in a question. Folded, several collide with content words
# ("chứ"/"chủ", "đó"/"đô"), so the folded set is used only for questions typed without diacritics.
STOPWORDS = {w for w in """
    ai gì nào đâu sao bao nhiêu mấy khi lúc giờ thế nào như thì là có không được bị của và với các những
    cái này đó kia ấy hãy cho tôi biết hỏi về trong ở tại từ đến theo một hai đã đang sẽ vậy hả nhỉ chứ à
    ạ ơi nhé mà nên rằng bởi vì do để làm việc người ta nó họ chúng nhưng hay hoặc cũng rất nhiều ít
    còn gồm những nhất thứ bằng ra vào lên xuống the a an of what who when where which how is are was
    did do does in on to for and or
""".split()}
FOLDED_STOPWORDS = {fold(w) for w in STOPWORDS}
NUMBER_CUES = ("bao nhieu", "may ", "so luong", "ty le", "bao lau")
PERSON_CUES = ("ai ", "nguoi nao", "vi nao", "ong nao", "ba nao", "dong chi nao")
# Vietnamese personal names are mostly three or more capitalised syllables ("Phạm Tuấn Long").
TIME_CUES = ("khi nao", "nam nao", "ngay nao", "bao gio", "thoi gian nao", "luc nao", "thang nao")
_DIGIT = re.compile(r"\d")
# Refusal: a logistic model over signals of how well the retrieved text answers the question (see
# `signals`); its output is the answer's confidence. benchmarks/calibrate_refusal.py fits such models
# on XQuAD-vi with half of the articles removed. A model fitted there on all four signals refuses
# better on XQuAD-vi (F1 0.925 against 0.911) but answers questions about another district or ward
# than the one the documents cover (tests/questions/seeds.yaml, refuse-*), so the product keeps the
# rule those pass: refuse when 0.5 × coverage + 0.5 × dense < 0.62 (weights 10, 10, bias -12.4).
REFUSAL_MODEL = {
    "accented": {"bias": -12.4, "coverage": 10.0, "dense": 10.0, "passage_pairs": 0.0, "missing_weight": 0.0},
    "unaccented": {"bias": -12.4, "coverage": 10.0, "dense": 10.0, "passage_pairs": 0.0, "missing_weight": 0.0},
}
SECOND_SENTENCE_SCORE = 0.6  # share of the best sentence's score
SECOND_SENTENCE_COVERAGE = 0.3
_PRONOUN_START = re.compile(r"^(?:(?:anh|chị|cô|ông|bà|cậu) ấy|(?:ông|bà|anh|chị)(?= (?:cho|nói|đã|là|cũng|được|còn|sinh|mất))"
                            r"|họ|nó|hắn|điều này|việc này)\b", re.IGNORECASE)


@dataclass
class Citation:
    marker: int
    doc_id: str
    title: str
    source: str
    text: str  # the passage the cited sentence was taken from
    start: int  # offsets of the cited sentence in the document's normalised text
    end: int
    score: float
    sentence: str = ""  # the cited sentence: document text[start:end]
    passage_start: int = 0  # offset of `text` in the document

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in
                ("marker", "doc_id", "title", "source", "text", "start", "end", "score", "sentence", "passage_start")}


@dataclass
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    confidence: float = 0.0
    passages: list[Passage] = field(default_factory=list)
    backend: str = "extractive"  # what wrote `text`
    notice: str = ""  # why an LLM answer was replaced or changed, for the user
    claims: list = field(default_factory=list)  # verification.ClaimSupport per sentence of the LLM's answer
    question: str = ""  # the question answered (a follow-up rewritten by the LLM, when it was)
    signals: dict = field(default_factory=dict)  # what the extractive refusal decision was made from

    def to_dict(self) -> dict:
        return {"text": self.text, "refused": self.refused, "confidence": round(self.confidence, 4),
                "backend": self.backend, "notice": self.notice, "question": self.question,
                "citations": [c.to_dict() for c in self.citations], "claims": [c.to_dict() for c in self.claims]}


@dataclass
class _Candidate:
    passage: Passage
    rank: int
    start: int
    end: int
    text: str
    coverage: float
    score: float


class ExtractiveAnswerer:
    def __init__(self, config: AnswerConfig, idf: "IdfTable"):
        self.config, self.idf = config, idf

    def answer(self, question: str, passages: list[Passage], focus: str | None = None) -> Answer:
        """`focus`, when given, is the part of a follow-up the answer should cover first."""
        query = Query.of(question)
        weights = self._term_weights(query)
        if not weights or not passages:
            return Answer(REFUSAL, refused=True, passages=passages)
        if focus:
            for term in Query.of(focus).tokens:
                if term in weights:
                    weights[term] *= 2.0
        candidates = self._candidates(query, weights, passages)
        if not candidates:
            return Answer(REFUSAL, refused=True, passages=passages)
        best = candidates[0]
        signals = self.signals(query, best.coverage, passages)
        confidence = self.confidence(signals, query.accented)
        if focus:  # a follow-up is answered only if the answer speaks to the follow-up itself
            confidence = min(confidence, self._coverage(Query.of(focus), best.text))
        threshold = self.config.refusal_threshold if query.accented else self.config.refusal_threshold_unaccented
        if confidence < threshold:
            return Answer(REFUSAL, refused=True, confidence=confidence, passages=passages, signals=signals)

        chosen = [best]
        antecedent = self._antecedent(best) if self.config.max_sentences > 1 else None
        if antecedent is not None:  # "Anh ấy ..." needs the sentence that says who he is
            chosen.insert(0, antecedent)
        for other in candidates[1:self.config.max_sentences + 3]:
            if len(chosen) >= self.config.max_sentences:
                break
            # A second sentence often holds the answer when the best one only restates the question:
            # it is quoted when it scores close to the best (benchmarks/retrieval.py, "answer ∋ gold").
            if (other.score >= SECOND_SENTENCE_SCORE * best.score and other.coverage >= SECOND_SENTENCE_COVERAGE
                    and not any(_near_duplicate(other.text, c.text) for c in chosen)):
                chosen.append(other)
        chosen.sort(key=lambda c: (c.rank, c.start))
        citations, parts = [], []
        for marker, c in enumerate(chosen, 1):
            sentence = c.text.rstrip(" .;:,")
            parts.append(f"{sentence} [{marker}].")
            p = c.passage
            citations.append(Citation(marker, p.doc_id, p.title, p.source, p.text, c.start, c.end, p.score, c.text,
                                      p.start))
        return Answer(" ".join(parts), citations, False, confidence, passages, signals=signals)

    def signals(self, query: Query, coverage: float, passages: list[Passage]) -> dict[str, float]:
        """Evidence for answering, each in [0, 1]: the best sentence's share of the question (IDF-weighted),
        the best passage's meaning similarity, the question's syllable pairs found in that passage, and
        the weight of the heaviest question word it lacks (a changed name: "quận Ba Đình")."""
        weights = self._term_weights(query)
        top = passages[0]
        tokens = _tokens(top.text, query.accented)
        present = set(tokens)
        pairs = set(zip(query.tokens, query.tokens[1:]))
        return {
            "coverage": coverage,
            "dense": min(max((top.dense_score - 0.75) / 0.15, 0.0), 1.0),
            "passage_pairs": len(pairs & set(zip(tokens, tokens[1:]))) / len(pairs) if pairs else 0.0,
            "missing_weight": (max((w for t, w in weights.items() if t not in present), default=0.0)
                               / max(weights.values())),
        }

    def confidence(self, signals: dict[str, float], accented: bool) -> float:
        """Probability that the question is answerable from the passages (REFUSAL_MODEL)."""
        model = REFUSAL_MODEL["accented" if accented else "unaccented"]
        z = model["bias"] + sum(w * signals[name] for name, w in model.items() if name != "bias")
        return 1.0 / (1.0 + math.exp(-z))

    def _antecedent(self, best: _Candidate) -> _Candidate | None:
        if not _PRONOUN_START.match(best.text):
            return None
        spans = best.passage.sentences
        i = spans.index((best.start, best.end)) if (best.start, best.end) in spans else -1
        if i <= 0:
            return None
        start, end = spans[i - 1]
        p = best.passage
        return _Candidate(p, best.rank, start, end, p.text[start - p.start:end - p.start], 0.0, 0.0)

    def _coverage(self, query: Query, sentence: str) -> float:
        weights = self._term_weights(query)
        return _coverage(weights, _tokens(sentence, query.accented)) if weights else 1.0

    def _term_weights(self, query: Query) -> dict[str, float]:
        weights: dict[str, float] = {}
        for t in query.tokens:
            if not is_stopword(t, query.accented):
                weights[t] = self.idf.weight(t, query.accented)
        return weights

    def _candidates(self, query: Query, weights: dict[str, float], passages: list[Passage]) -> list[_Candidate]:
        q_bigrams = set(zip(query.tokens, query.tokens[1:]))
        folded_q = " ".join(fold(t) for t in query.tokens) + " "
        wants_number = any(cue in folded_q for cue in NUMBER_CUES) or any(cue in folded_q for cue in TIME_CUES)
        wants_person = any(folded_q.startswith(cue) or f" {cue}" in folded_q for cue in PERSON_CUES)
        q_words = set(query.tokens)
        out: list[_Candidate] = []
        seen: set[str] = set()
        for rank, p in enumerate(passages):
            for start, end in p.sentences:
                text = p.text[start - p.start:end - p.start]
                if text in seen or len(text) < 2:
                    continue
                seen.add(text)
                tokens = _tokens(text, query.accented)
                coverage = _coverage(weights, tokens)
                bigrams = set(zip(tokens, tokens[1:]))
                bigram = len(q_bigrams & bigrams) / len(q_bigrams) if q_bigrams else 0.0
                # Long sentences cover question words by chance; prefer the focused one.
                score = coverage + 0.3 * bigram + 0.15 / (rank + 1) - min(max(len(tokens) - 40, 0) * 0.002, 0.15)
                if wants_number and _DIGIT.search(text):
                    score += 0.1
                if wants_person and _has_new_name(text, q_words, query.accented):
                    score += 0.1
                out.append(_Candidate(p, rank, start, end, text, coverage, score))
        out.sort(key=lambda c: c.score, reverse=True)
        return out


def is_stopword(token: str, accented: bool) -> bool:
    return token in (STOPWORDS if accented else FOLDED_STOPWORDS)


def _tokens(text: str, accented: bool) -> list[str]:
    tokens = syllables(text)
    return tokens if accented else [fold(t) for t in tokens]


def _coverage(weights: dict[str, float], tokens: list[str]) -> float:
    """IDF-weighted share of the question's content syllables found in `tokens`."""
    present = set(tokens)
    return sum(w for t, w in weights.items() if t in present) / sum(weights.values())


def _has_new_name(text: str, question_words: set[str], accented: bool) -> bool:
    """A personal name in the sentence that the question does not already contain."""
    run: list[str] = []
    for word in text.split() + [""]:
        word = word.strip(".,;:!?()\"“”'‘’-–")
        if len(word) > 1 and word[0].isupper() and word[1:].islower():
            run.append(word)
            continue
        if len(run) >= 3 and any(t not in question_words for t in _tokens(" ".join(run), accented)):
            return True
        run = []
    return False


def _near_duplicate(a: str, b: str) -> bool:
    """Sentences that say the same thing (a headline and its lead, say) are quoted once."""
    ta, tb = set(syllables(a)), set(syllables(b))
    return len(ta & tb) >= 0.6 * min(len(ta), len(tb), max(len(ta | tb), 1))


class IdfTable:
    """Inverse document frequencies of syllables over the indexed chunks, for both fields."""

    def __init__(self, n: int, df: dict[str, int], df_folded: dict[str, int]):
        self.n, self.df, self.df_folded = max(n, 1), df, df_folded

    def weight(self, term: str, accented: bool) -> float:
        df = (self.df if accented else self.df_folded).get(term, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))
