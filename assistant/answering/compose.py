"""Composing the answer: which sentences to quote (the best, the one before it when it starts with a
pronoun, a second one likely to hold the answer), their [n] markers and citations, and the span of the
quoted text that answers what was asked."""

from __future__ import annotations

import re

from ..text import fold, syllables
from ..types import Answer, Citation, Short
from .features import CLOCK, COUNT, DATE, NUMBER_WORDS, TITLES
from .question import is_name_word
from .ranking import Candidate
from .terms import tokens_of

_BRACKETED = re.compile(r"^\s*[\[(][^\])]*[\])]\W*$")  # "[cần xác minh]", "(ảnh minh họa)"
_PRONOUN_START = re.compile(
    r"^(?:(?:anh|chị|cô|ông|bà|cậu) ấy|(?:ông|bà|anh|chị)(?= (?:cho|nói|đã|là|cũng|được|còn|sinh|mất))"
    r"|họ|nó|hắn|điều này|việc này)\b",
    re.IGNORECASE,
)
_UNITS = {
    "%",
    "triệu",
    "tỷ",
    "tỉ",
    "nghìn",
    "ngàn",
    "trăm",
    "đồng",
    "usd",
    "km",
    "m",
    "kg",
    "tấn",
    "ha",
    "người",
    "lần",
    "năm",
    "tháng",
    "ngày",
    "giờ",
    "phút",
    "giây",
    "chiếc",
    "con",
    "ca",
    "điểm",
    "bàn",
    "triệu đồng",
}
_SPAN_END = re.compile(r"[,.;:!?()]|\s[-–—]\s")


def antecedent(best: Candidate) -> Candidate | None:
    """The sentence before one that starts with a pronoun ("Anh ấy ..."), past a bracketed note."""
    if not _PRONOUN_START.match(best.text):
        return None
    spans = best.passage.sentences
    i = spans.index((best.start, best.end)) if (best.start, best.end) in spans else -1
    p = best.passage
    for start, end in reversed(spans[max(i - 2, 0) : max(i, 0)]):
        text = p.text[start - p.start : end - p.start]
        if not _BRACKETED.match(text):
            return Candidate(p, best.rank, start, end, text, 0.0, 0.0, 0.0)
    return None


def near_duplicate(a: str, b: str) -> bool:
    """Whether `a` says nothing `b` does not (a headline and its lead, say): then it is not quoted.
    A headline that adds the figures ("16 Chủ tịch") is not a duplicate."""
    ta, tb = set(syllables(a)), set(syllables(b))
    return len(ta & tb) >= 0.6 * min(len(ta), len(tb), max(len(ta | tb), 1)) and len(ta - tb) < 2


def choose(candidates: list[Candidate], max_sentences: int, second_probability: float) -> list[Candidate]:
    """The quoted sentences: the best first (after the sentence its pronoun refers to), then another one
    likely to hold the answer."""
    best = candidates[0]
    chosen = [best]
    before = antecedent(best) if max_sentences > 1 else None
    if before is not None:  # "Anh ấy ..." needs the sentence that says who he is
        chosen.insert(0, before)
    for other in candidates[1 : max_sentences + 3]:
        if len(chosen) >= max_sentences:
            break
        # A second sentence often holds the answer when the best one only restates the question
        # (benchmarks/calibrate_answer.py, "answer ∋ gold").
        if other.probability >= second_probability and not any(near_duplicate(other.text, c.text) for c in chosen):
            chosen.append(other)
    return chosen


def compose(
    chosen: list[Candidate],
    answer_type: str,
    q_words: set[str],
    accented: bool,
    best: Candidate,
    confidence: float,
    passages,
    signals: dict,
) -> Answer:
    citations, parts, short = [], [], None
    at = 0
    for marker, c in enumerate(chosen, 1):
        sentence = c.text.rstrip(" .;:,")
        if c is best and short is None:
            span = answer_span(answer_type, sentence, q_words, accented)
            if span is not None:
                s, e = span
                short = Short(sentence[s:e], marker, c.start + s, c.start + e, at + s)
        part = f"{sentence} [{marker}]."
        parts.append(part)
        at += len(part) + 1
        p = c.passage
        citations.append(
            Citation(
                marker,
                p.doc_id,
                p.title,
                p.source,
                p.text,
                c.start,
                c.end,
                p.score,
                c.text,
                p.start,
                dict(getattr(p, "location", None) or {}),
            )
        )
    return Answer(
        " ".join(parts), citations, False, confidence, passages, signals=signals, answer_type=answer_type, short=short
    )


def _unit(word: str, q_words: set[str], accented: bool) -> bool:
    lowered = word.lower()
    return lowered in _UNITS or (lowered if accented else fold(lowered)) in q_words


def _in_question(words: str, q_words: set[str], accented: bool) -> bool:
    tokens = tokens_of(words, accented)
    return bool(tokens) and set(tokens) <= q_words


def answer_span(answer_type: str, sentence: str, q_words: set[str], accented: bool) -> tuple[int, int] | None:
    """Character offsets in `sentence` of what answers a question of `answer_type`: the number with its
    unit, the date, the new name, the title, the place. None for kinds whose answer is the sentence."""
    if answer_type == "number":
        for m in COUNT.finditer(sentence):
            if _in_question(m.group(), q_words, accented):
                continue
            end = m.end()
            for _ in range(3):  # the unit after the number: "16 Chủ tịch", "35%", "10 phòng chuyên môn"
                w = re.match(r"\s*(%|[^\W\d]+)", sentence[end:])
                if not w or not _unit(w.group(1), q_words, accented):
                    break
                end += w.end()
            return m.start(), end
        for m in re.finditer(r"\w+", sentence):
            if m.group().lower() in NUMBER_WORDS and not _in_question(m.group(), q_words, accented):
                return m.start(), m.end()
        return None
    if answer_type == "date":
        for m in (*DATE.finditer(sentence), *CLOCK.finditer(sentence)):
            if not _in_question(m.group(), q_words, accented):
                start, end = m.start(), m.end()
                tail = re.match(r"[\d/.-]*\d", sentence[end:])  # "ngày 27" → "ngày 27/2/2025"
                return start, end + (tail.end() if tail else 0)
        return None
    if answer_type in ("person", "place", "organization", "name"):
        return _name_span(sentence, q_words, accented, 2 if answer_type == "person" else 1)
    if answer_type == "role":
        folded = fold(sentence.lower())
        best = None
        for t in TITLES:
            for m in re.finditer(r"(?<!\w)" + re.escape(t) + r"(?!\w)", folded):
                if _in_question(sentence[m.start() : m.end()], q_words, accented):
                    continue
                if best is None or m.start() < best:
                    best = m.start()
                break
        if best is None:
            return None
        stop = _SPAN_END.search(sentence, best)
        end = stop.start() if stop else len(sentence)
        words = sentence[best:end].split()
        return best, best + len(" ".join(words[:8]))
    return None


def _name_span(sentence: str, q_words: set[str], accented: bool, min_words: int) -> tuple[int, int] | None:
    words = list(re.finditer(r"\S+", sentence))
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and is_name_word(words[j].group().strip(".,;:!?()\"“”'‘’")):
            j += 1
            if words[j - 1].group()[-1:] in ",.;:!?)":
                break
        first = i
        while first < j and _in_question(words[first].group(), q_words, accented):  # "Hàng Bài" of the question
            first += 1
        if j - first >= min_words and first > 0:  # a capitalised first word is just the sentence's start
            text = sentence[words[first].start() : words[j - 1].end()].rstrip('.,;:!?)"”’')
            return words[first].start(), words[first].start() + len(text)
        i = max(j, i + 1)
    return None
