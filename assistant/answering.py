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
_BRACKETED = re.compile(r"^\s*[\[(][^\])]*[\])]\W*$")  # "[cần xác minh]", "(ảnh minh họa)"
_COUNT = re.compile(r"(?<![\d/.,-])\d+(?:[.,]\d+)*(?![\d/-])")  # "16", "1.200", not the date "30/6"
_WORDS = re.compile(r"\w+")
_TRAILING = ".,;:!?)\"'”’"
# Refusal: a logistic model over signals of how well the retrieved text answers the question (see
# `signals`); its output is the answer's confidence, compared with [answer] refusal_threshold. A
# question that names something no passage names, while a passage names another of the same kind
# ("phường Hàng Trống" asked, "phường Hàng Bài" found), is refused whatever the model says: dense
# similarity stays high for a passage about the same kind of thing. Fitted by
# benchmarks/calibrate_refusal.py on XQuAD-vi with half of the articles removed from the index.
REFUSAL_MODEL = {
    "accented": {"bias": -7.323, "coverage": 0.232, "sentence": 5.155, "dense": 9.545, "passage_pairs": 4.514,
                 "missing_weight": -2.338, "missing_name": -0.69},
    "unaccented": {"bias": -7.023, "coverage": 0.017, "sentence": 4.919, "dense": 9.251, "passage_pairs": 4.281,
                   "missing_weight": -2.018, "missing_name": -1.111},
}
# Which sentence holds the answer, from `sentence_features` plus where the sentence sits (passage rank
# and score, what its neighbours cover of the question). Two fits over the same features, both by
# benchmarks/calibrate_answer.py on XQuAD-vi (one half of the articles scored on the other):
# SENTENCE_RANKER orders a question's sentences (a conditional logit: the answer's sentence against the
# others of the same question); SENTENCE_MODEL is a logistic regression over all sentences, the
# probability that a sentence holds an answer, which the refusal model and the second sentence read.
# It is also fitted on the sentences retrieved for questions whose article is not indexed.
SENTENCE_RANKER = {
    "coverage": -1.704, "bigrams": 7.135, "long": -12.245, "log_length": 0.592, "number": 0.873, "time": 2.493,
    "person": 0.424, "new_name": -0.049, "definition": 0.239, "new_share": -1.891, "density": -0.315,
    "counted": 2.569, "phrase": -2.572, "named": 1.142, "inv_rank": 0.166, "passage_score": 3.185,
    "previous": -0.492, "next": -0.225, "first": 0.092, "passage_best": 1.164, "context": 2.217, "local": 4.784,
    "slot": 0.422, "dense": 44.229,
}
SENTENCE_MODEL = {
    "bias": -6.171, "coverage": 0.478, "bigrams": 5.836, "long": -1.504, "log_length": 0.497, "number": 0.259,
    "time": 0.251, "person": 0.074, "new_name": 0.016, "definition": 0.628, "new_share": -1.729, "density": -0.124,
    "counted": 0.887, "phrase": -2.295, "named": 0.491, "inv_rank": 2.693, "passage_score": -0.37,
    "previous": -0.887, "next": -0.576, "first": 0.297, "passage_best": 0.329, "context": 1.993, "local": 2.581,
    "slot": 0.251, "dense": 3.311,
}
SECOND_SENTENCE_PROBABILITY = 0.02  # a second sentence is quoted when it is this likely to hold the answer
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
    location: dict = field(default_factory=dict)  # page, slide, sheet/row, Điều/khoản of the passage

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in
                ("marker", "doc_id", "title", "source", "text", "start", "end", "score", "sentence", "passage_start",
                 "location")}


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
    score: float  # SENTENCE_RANKER's score: candidates are ordered by it
    probability: float  # that the sentence holds the answer (SENTENCE_MODEL)
    features: dict = field(default_factory=dict)


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
        signals = self.signals(query, candidates, passages)
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
            # A second sentence often holds the answer when the best one only restates the question
            # (benchmarks/calibrate_answer.py, "answer ∋ gold").
            if (other.probability >= SECOND_SENTENCE_PROBABILITY
                    and not any(_near_duplicate(other.text, c.text) for c in chosen)):
                chosen.append(other)
        if len({c.passage.doc_id for c in chosen}) == 1:  # one document: in its own order
            chosen.sort(key=lambda c: c.start)
        citations, parts = [], []
        for marker, c in enumerate(chosen, 1):
            sentence = c.text.rstrip(" .;:,")
            parts.append(f"{sentence} [{marker}].")
            p = c.passage
            citations.append(Citation(marker, p.doc_id, p.title, p.source, p.text, c.start, c.end, p.score, c.text,
                                      p.start, p.location))
        return Answer(" ".join(parts), citations, False, confidence, passages, signals=signals)

    def signals(self, query: Query, candidates: list[_Candidate], passages: list[Passage]) -> dict[str, float]:
        """Evidence for answering, each in [0, 1]: the best sentence's share of the question (IDF-weighted),
        the highest probability that a sentence holds the answer, the best passage's meaning similarity,
        the question's syllable pairs found in that passage, the weight of the heaviest question word it
        lacks (a changed name: "quận Ba Đình"), and whether the question names something no passage names
        (`missing_name`; `other_name` when a passage names another of that kind, see _missing_names)."""
        weights = self._term_weights(query)
        best, top = candidates[0], passages[0]
        tokens = _tokens(top.text, query.accented)
        present = set(tokens)
        pairs = set(zip(query.tokens, query.tokens[1:]))
        missing, other = _missing_names(query.text, passages)
        return {
            "coverage": best.coverage,
            "sentence": max(c.probability for c in candidates),
            "dense": min(max((top.dense_score - 0.75) / 0.15, 0.0), 1.0),
            "passage_pairs": len(pairs & set(zip(tokens, tokens[1:]))) / len(pairs) if pairs else 0.0,
            "missing_weight": (max((w for t, w in weights.items() if t not in present), default=0.0)
                               / max(weights.values())),
            "missing_name": float(missing),
            "other_name": float(other),
        }

    def confidence(self, signals: dict[str, float], accented: bool) -> float:
        return refusal_confidence(REFUSAL_MODEL["accented" if accented else "unaccented"], signals)

    def _antecedent(self, best: _Candidate) -> _Candidate | None:
        if not _PRONOUN_START.match(best.text):
            return None
        spans = best.passage.sentences
        i = spans.index((best.start, best.end)) if (best.start, best.end) in spans else -1
        p = best.passage
        for start, end in reversed(spans[max(i - 2, 0):max(i, 0)]):  # past a "[cần xác minh]" between them
            text = p.text[start - p.start:end - p.start]
            if not _BRACKETED.match(text):
                return _Candidate(p, best.rank, start, end, text, 0.0, 0.0, 0.0)
        return None

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
        """Every sentence of the passages, best first by SENTENCE_RANKER."""
        cues = question_cues(query)
        q_words, q_bigrams = set(query.tokens), set(zip(query.tokens, query.tokens[1:]))
        q_names = {fold(w) for w in _capitalised(query.text)}
        top_score = passages[0].score if passages and passages[0].score > 0 else 1.0
        top_dense = max((p.dense_score for p in passages), default=0.0)
        model, ranker = SENTENCE_MODEL, SENTENCE_RANKER
        out: list[_Candidate] = []
        seen: set[str] = set()
        texts = [[p.text[start - p.start:end - p.start] for start, end in p.sentences] for p in passages]
        tokens = [[_tokens(t, query.accented) for t in ts] for ts in texts]
        local = _local_weights(weights, {text: toks for ts, tks in zip(texts, tokens) for text, toks in zip(ts, tks)})
        for rank, p in enumerate(passages):
            coverages = [_coverage(weights, t) for t in tokens[rank]]
            best_in_passage = max(coverages, default=0.0)
            for i, ((start, end), text, toks) in enumerate(zip(p.sentences, texts[rank], tokens[rank])):
                if text in seen or len(text) < 2:
                    continue
                seen.add(text)
                f = sentence_features(text, toks, coverages[i], weights, q_words, q_bigrams, q_names, cues,
                                      query.accented, query.tokens)
                f.update(local=_coverage(local, toks) if local else 0.0,
                         inv_rank=1.0 / (rank + 1), passage_score=max(p.score, 0.0) / top_score,
                         dense=p.dense_score - top_dense,
                         previous=coverages[i - 1] if i > 0 else 0.0,
                         # what the sentence before adds: "Nó được tái lập năm 1991" after the one naming "nó"
                         context=_coverage(weights, tokens[rank][i - 1] + toks) - coverages[i] if i > 0 else 0.0,
                         next=coverages[i + 1] if i + 1 < len(coverages) else 0.0,
                         first=float(i == 0), passage_best=best_in_passage)
                out.append(_Candidate(p, rank, start, end, text, coverages[i], linear(ranker, f), logistic(model, f),
                                      f))
        out.sort(key=lambda c: c.score, reverse=True)
        return out


def refusal_confidence(model: dict[str, float], signals: dict[str, float]) -> float:
    """Probability that the question is answerable from the passages: `model` (REFUSAL_MODEL) over the
    signals, and 0 when the passages name another thing of the kind the question names."""
    return 0.0 if signals.get("other_name") else logistic(model, signals)


def logistic(model: dict[str, float], values: dict[str, float]) -> float:
    """A logistic model written as {"bias": b, name: weight, ...} applied to `values` by name."""
    return 1.0 / (1.0 + math.exp(-linear(model, values)))


def linear(model: dict[str, float], values: dict[str, float]) -> float:
    return model.get("bias", 0.0) + sum(w * values[name] for name, w in model.items() if name != "bias")


def question_cues(query: Query) -> dict[str, bool]:
    """What kind of answer the question asks for, from its (folded) wording."""
    folded = " " + " ".join(fold(t) for t in query.tokens) + " "
    return {"number": any(c in folded for c in NUMBER_CUES), "time": any(c in folded for c in TIME_CUES),
            "person": any(f" {c}" in folded for c in PERSON_CUES), "which": " nao " in folded,
            "definition": " goi la " in folded or " la gi " in folded, "unit": _counted_unit(query.tokens, query.accented),
            "slot": _answer_slot(query.tokens, query.accented)}


def _counted_unit(tokens: list[str], accented: bool) -> str:
    """The word a "bao nhiêu"/"mấy" question counts ("bao nhiêu phòng" → "phòng"), or ""."""
    folded = [fold(t) for t in tokens]
    for i, t in enumerate(folded):
        after = i + 2 if t == "bao" and i + 1 < len(folded) and folded[i + 1] == "nhieu" else i + 1 if t == "may" else 0
        if after and after < len(tokens):
            return tokens[after]
    return ""


def _answer_slot(tokens: list[str], accented: bool) -> tuple[str, str]:
    """The question's content words right around its question word, where the answer sits in a
    sentence that holds it: "quận" in "nằm ở quận nào" (→ "Quận Duval"), "hát" in "Ai đã hát" (→ "Lady
    Gaga hát"). Either may be ""."""
    folded = [fold(t) for t in tokens]
    left = right = ""
    for i, t in enumerate(folded):
        if not (t in ("nao", "gi", "ai", "dau", "may") or (t == "nhieu" and i and folded[i - 1] == "bao")):
            continue
        if t in ("nao", "gi") and i and not is_stopword(tokens[i - 1], accented):
            left = tokens[i - 1]
        after = next((j for j in range(i + 1, min(i + 4, len(tokens))) if not is_stopword(tokens[j], accented)), None)
        if after is not None:
            right = tokens[after]
    return left, right


def _fills_slot(tokens: list[str], slot: tuple[str, str], q_words: set[str], accented: bool) -> bool:
    """Whether new content stands where the question's word would be: after its left word or just
    before its right word."""
    left, right = slot

    def new(t: str) -> bool:
        return t not in q_words and t.isalpha() and not is_stopword(t, accented)

    return any((left and a == left and new(b)) or (right and b == right and new(a)) or
               (right and c == right and new(a)) for a, b, c in zip(tokens, tokens[1:], tokens[2:] + [""]))


def _name_beside_question(text: str, q_words: set[str], accented: bool) -> bool:
    """A name the question lacks right next to two of its words: "Bí thư Quận ủy Hoàn Kiếm Vũ Đăng Định"
    for "Ai là Bí thư Quận ủy Hoàn Kiếm?"; not a deputy's ("Phó Bí thư ...") unless the question asks for one."""
    raw = text.split()
    words = [w.strip(_TRAILING + "(“‘\"") for w in raw]
    ends = [w != w.rstrip(_TRAILING) or not w.strip(_TRAILING) for w in raw]  # punctuation after the word
    in_question = [(w.lower() if accented else fold(w.lower())) in q_words for w in words]

    deputy_asked = ("phó" if accented else "pho") in q_words

    def question_pair(a: int) -> bool:  # words a, a+1 are question words with nothing between
        if not (a >= 0 and a + 1 < len(words) and in_question[a] and in_question[a + 1] and not ends[a]):
            return False
        while a > 0 and in_question[a - 1] and not ends[a - 1]:  # where this stretch of them starts
            a -= 1
        return deputy_asked or a == 0 or fold(words[a - 1].lower()) != "pho"

    def deputy_before(i: int) -> bool:  # "Phó Bí thư Thường trực quận ủy Hoàn Kiếm Đinh Hồng Phong"
        for m in range(i - 1, max(i - 11, -1), -1):
            if ends[m] and m < i - 1:
                return False
            if fold(words[m].lower()) == "pho":
                return not deputy_asked
        return False

    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _is_name_word(words[j]) and not in_question[j]:
            j += 1
            if ends[j - 1]:
                break
        if j - i >= 2 and not any(ends[i:j - 1]) and (
                (question_pair(i - 2) and not ends[i - 1] and not deputy_before(i))
                or (not ends[j - 1] and question_pair(j))
                or (not ends[j - 1] and _titled(words, raw, j, question_pair))):
            return True
        i = max(j, i + 1)
    return False


def _titled(words: list[str], raw: list[str], dash: int, question_pair) -> bool:
    """A name followed by its title, as news writes it: "Phạm Tuấn Long - Phó Bí thư Quận ủy, Chủ tịch UBND
    quận", where the title holds two of the question's words."""
    if dash >= len(words) or words[dash] not in ("-", "–", "—"):
        return False
    for k in range(dash + 1, min(dash + 9, len(words))):
        if question_pair(k):
            return True
        if raw[k].endswith((";", ".", "!", "?")):
            return False
    return False


def _longest_run(q_tokens: list[str], tokens: list[str]) -> int:
    """Length of the longest stretch of the question's syllables found word for word in the sentence."""
    where: dict[str, list[int]] = {}
    for i, t in enumerate(q_tokens):
        where.setdefault(t, []).append(i)
    best, previous = 0, {}
    for t in tokens:
        current = {i: previous.get(i - 1, 0) + 1 for i in where.get(t, ())}
        best = max(best, *current.values(), 0)
        previous = current
    return best


def sentence_features(text: str, tokens: list[str], coverage: float, weights: dict[str, float], q_words: set[str],
                      q_bigrams: set, q_names: set[str], cues: dict, accented: bool,
                      q_tokens: list[str]) -> dict[str, float]:
    """What makes a sentence likely to hold the answer, beyond sharing the question's words: the kind of
    answer asked for (a number, a name), new content, and how tightly the question's words sit together."""
    bigrams = set(zip(tokens, tokens[1:]))
    content = [t for t in tokens if not is_stopword(t, accented)]
    new = [t for t in content if t not in q_words]
    positions = [j for j, t in enumerate(tokens) if t in weights]
    span = positions[-1] - positions[0] + 1 if positions else 0
    digit = bool(_DIGIT.search(text))
    count = any(m.group() not in q_words for m in _COUNT.finditer(text))
    unit = cues["unit"]
    counted = bool(unit) and any(a.isdigit() and b == unit for a, b in zip(tokens, tokens[1:]))
    new_name = bool({fold(w) for w in _capitalised(text)} - q_names)
    return {
        "coverage": coverage,
        "bigrams": len(q_bigrams & bigrams) / len(q_bigrams) if q_bigrams else 0.0,
        "long": min(max(len(tokens) - 40, 0) * 0.002, 0.15),
        "log_length": math.log(len(tokens) + 1),
        "number": float(count and cues["number"]),
        "time": float(digit and cues["time"]),
        "person": float(cues["person"] and _has_new_name(text, q_words, accented)),
        "new_name": float(new_name and (cues["which"] or cues["person"])),
        "definition": float(cues["definition"] and ("là" in tokens or "la" in tokens)),
        "new_share": len(new) / max(len(content), 1),
        "density": len(positions) / span if span else 0.0,
        "counted": float(counted),  # "10 phòng" for "bao nhiêu phòng"
        "named": float((cues["person"] or cues["which"]) and _name_beside_question(text, q_words, accented)),
        "phrase": _longest_run(q_tokens, tokens) / max(len(q_tokens), 1),
        "slot": float(_fills_slot(tokens, cues["slot"], q_words, accented)),
    }


def _missing_names(question: str, passages: list[Passage]) -> tuple[bool, bool]:
    """Whether the question names something (capitalised words in a row, not starting a sentence, as in
    "phường Hàng Trống") that none of the passages names, and whether a passage names another thing of
    the same kind instead (the word before the name, "phường", followed by another name: "phường Hàng
    Bài"): documents about another place or person. A longer name counts as named when two of its
    words stand together in a passage ("Grainger Market" for "Chợ Grainger Market"). Compared without
    diacritics, so "Hang Trong" typed that way is checked too."""
    words = question.split()
    runs: list[list[str]] = [[]]
    heads = [""]  # the word before each name: "phường"
    for previous, word in zip(words, words[1:]):  # the first word is capitalised anyway
        if _is_name_word(word.rstrip(_TRAILING)) and not (runs[-1] == [] and previous.endswith((".", "?", "!"))):
            if not runs[-1]:
                heads[-1] = fold(previous.lower().strip(_TRAILING + "(\"“‘"))
            runs[-1].append(word)
            if word == word.rstrip(_TRAILING):
                continue
        runs.append([])
        heads.append("")
    named = [(head, {tuple(_tokens(f"{a} {b}", False)) for a, b in zip(run, run[1:])})
             for head, run in zip(heads, runs) if len(run) >= 2]
    if not named:
        return False, False
    wanted = set().union(*(pairs for _, pairs in named))
    found: set[tuple[str, str]] = set()
    for p in passages:
        tokens = _tokens(p.text, False)
        found |= set(zip(tokens, tokens[1:])) & wanted
    missing = {head for head, pairs in named if not pairs & found}
    if not missing:
        return False, False
    kinds = {head for head in missing if head.isalpha() and not is_stopword(head, False)}
    for p in passages:
        texts = p.text.split()
        for a, b in zip(texts, texts[1:]):
            if a[0].islower() and fold(a) in kinds and _is_name_word(b.rstrip(_TRAILING)):
                return True, True
    return True, False


def _is_name_word(word: str) -> bool:
    """"Trống", not "UBND", "2021", "phường" or "Trống," (a comma ends the name)."""
    return len(word) > 1 and word.isalpha() and word[0].isupper() and word[1:].islower()


def _capitalised(text: str) -> list[str]:
    return [w for w in _WORDS.findall(text) if w[:1].isupper()]


def is_stopword(token: str, accented: bool) -> bool:
    return token in (STOPWORDS if accented else FOLDED_STOPWORDS)


def _tokens(text: str, accented: bool) -> list[str]:
    tokens = syllables(text)
    return tokens if accented else [fold(t) for t in tokens]


def _local_weights(weights: dict[str, float], sentences: dict[str, list[str]]) -> dict[str, float]:
    """The question's syllable weights times their rarity among the candidate sentences: a name every
    retrieved sentence repeats ("Hốt Tất Liệt") says little about which sentence answers, the verb
    only one has ("phân chia") says much."""
    sets = [set(t) for t in sentences.values()]
    local = {t: w * math.log((len(sets) + 1) / (sum(t in s for s in sets) + 0.5)) for t, w in weights.items()}
    return local if sum(local.values()) > 0 else {}


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
    """Whether `a` says nothing `b` does not (a headline and its lead, say): then it is not quoted.
    A headline that adds the figures ("16 Chủ tịch") is not a duplicate."""
    ta, tb = set(syllables(a)), set(syllables(b))
    return len(ta & tb) >= 0.6 * min(len(ta), len(tb), max(len(ta | tb), 1)) and len(ta - tb) < 2


class IdfTable:
    """Inverse document frequencies of syllables over the indexed chunks, for both fields."""

    def __init__(self, n: int, df: dict[str, int], df_folded: dict[str, int]):
        self.n, self.df, self.df_folded = max(n, 1), df, df_folded

    def weight(self, term: str, accented: bool) -> float:
        df = (self.df if accented else self.df_folded).get(term, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))
