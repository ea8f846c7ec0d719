"""Composing the answer: which sentences to quote (the best, the one before it when it starts with a
pronoun, a second one likely to hold the answer), their [n] markers and citations, and the span of the
quoted text that answers what was asked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import takewhile
from typing import NamedTuple

from ..text import fold, is_syllable, syllables
from ..types import Answer, Citation, Short
from .features import (
    CLOCK,
    COUNT,
    DATE,
    DAY,
    NUMBER_WORDS,
    PERIOD,
    PLACE_WORDS,
    SCORE,
    SPAN_END,
    TITLE_WORDS,
    TITLES,
    YEAR,
    acting_offices,
    answers_date,
    answers_number,
    asked_precision,
    holds_title,
    run_opens_compound,
    subject_office,
    title_forms,
    without_titles,
)
from .question import SURNAMES, asks_ordinal, asks_score, counted_unit, is_name_word
from .ranking import Candidate
from .terms import is_stopword, tokens_of

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
    "hào",
    "xu",
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
_ORDINAL = re.compile(r"\bthứ\s+(?:\d+|nhất|nhì|hai|ba|tư|năm|sáu|bảy|tám|chín|mười)\b", re.IGNORECASE)
_DATE_PART = re.compile(r"\s+(?:tháng|năm|thang|nam)\s+\d+(?:[/.-]\d+)*", re.IGNORECASE)
# where a clause ends: the question's words in the same clause as a candidate are the ones about it
_CLAUSE_BREAK = re.compile(r"[,;:]|\s(?:và|còn|trong khi|nhưng)\s|\s[-–—]\s")
_WORD = re.compile(r"\w+")
HOLDER_DEPTH = 5  # how far down a sentence naming the holder of the title asked may come from
_COUNTED = 2  # a number's span tier: of the kind asked, the counted word right after it ("35 Phó Chủ tịch")
_DASH = re.compile(r"\s[-–—]\s")
_ROMAN = re.compile(r"[IVXLC]+")
# verbs of saying that end a title written before them: "ông X - phó tổng giám đốc siêu thị cho biết, ..."
_SAID = re.compile(
    r"\s(?:cho biết|cho rằng|nói|khẳng định|nhấn mạnh|phát biểu|bày tỏ|chia sẻ|thông báo|tuyên bố|nhận định|đã|vừa)\b"
)
_COMMA = re.compile(r",\s*")
# a description after a name and its comma ("Ulrich Bernier, một nhà hóa học tại Bộ Nông nghiệp Mỹ"):
# what "X là ai?" asks when X holds no title
_DESCRIPTION_OPENERS = ("một ", "người ", "nhà ", "đại diện ", "chuyên gia ", "thành viên ", "cựu ")
_APPOSITION_END = re.compile(r";|\s[-–—]\s")
_STRIP = ".,;:!?()\"'“”‘’"
_OPENING_QUOTES = "\"“‘'("
# lower case, as written (folded, "cụ" would be "cử"): before a name, who is named ("ông Cốc Lâm")
_HONORIFICS = set("ông bà anh chị cô chú bác cụ em cháu thầy ngài vua".split())
_PLACE_WORDS = PLACE_WORDS | {"châu"}  # "châu Âu"
_PREPOSITIONS = set("tại ở đến từ".split())
# capitalised only because they open the sentence
_OPENERS = set("sau trước ngoài bên cả mặc dù tuy nhiên hiện nay đây đó chiều sáng tối trưa đêm hôm".split())


# a sentence that points back at the one before: "Đây là loại thuốc …", "Ý tưởng này …", "… cách xin lỗi này."
_POINTS_BACK = re.compile(
    r"^(?:(?:đây|đó|đấy) |điều (?:này|đó)|việc (?:này|đó)|\w+(?: \w+){0,2} này\b)|\bnày\W*$", re.IGNORECASE
)
# a sentence the next one completes: a question ("- Vì sao anh …?") or a lead-in ending in a colon; or a
# next sentence that says what this one announced ("Đó là …", "Theo đó, …")
_LEADS_ON = re.compile(r"[?:]\W*$")
_COMPLETES = re.compile(r"^\W*(?:(?:đó|đấy|đây) là|theo đó|cụ thể|vì|bởi vì)\b", re.IGNORECASE)


def _neighbour(best: Candidate, step: int) -> Candidate | None:
    """The sentence `step` away from `best` in its passage, past a bracketed note ("(ảnh minh họa)")."""
    spans = best.passage.sentences
    if (best.start, best.end) not in spans:
        return None
    i = spans.index((best.start, best.end))
    p = best.passage
    for j in (i + step, i + 2 * step):
        if not 0 <= j < len(spans):
            return None
        start, end = spans[j]
        text = p.text[start - p.start : end - p.start]
        if not _BRACKETED.match(text):
            return Candidate(p, best.rank, start, end, text, 0.0, 0.0, 0.0)
    return None


def antecedent(best: Candidate) -> Candidate | None:
    """The sentence before one that starts with a pronoun ("Anh ấy ..."), past a bracketed note."""
    return _neighbour(best, -1) if _PRONOUN_START.match(best.text) else None


def linked(best: Candidate, answer_type: str, question_tokens: Sequence[str], accented: bool) -> Candidate | None:
    """The sentence `best` cannot be read without, when `best` does not itself carry what was asked: the
    one before for "Đây là loại thuốc kháng sinh …", the answer after an interview's question."""
    sentence = best.text.strip()
    if answer_span(answer_type, sentence.rstrip(" .;:,"), question_tokens, accented) is not None:
        return None
    if _LEADS_ON.search(sentence):
        return _neighbour(best, 1)
    if _POINTS_BACK.search(sentence):
        return _neighbour(best, -1)
    after = _neighbour(best, 1)
    return after if after is not None and _COMPLETES.match(after.text) else None


def near_duplicate(a: str, b: str) -> bool:
    """Whether `a` says nothing `b` does not (a headline and its lead, say): then it is not quoted.
    A headline that adds the figures ("16 Chủ tịch") is not a duplicate."""
    ta, tb = set(syllables(a)), set(syllables(b))
    return len(ta & tb) >= 0.6 * min(len(ta), len(tb), max(len(ta | tb), 1)) and len(ta - tb) < 2


def holder_first(
    candidates: list[Candidate], holder: tuple[str, str] | None, question_tokens: Sequence[str]
) -> list[Candidate]:
    """`holder`: the title a question asks the holder of (features.asked_title). A top sentence naming
    someone with it goes first ("Vũ Đăng Định - ..., Chủ tịch HĐND quận" before the attendance list that
    names the district committee's chairman, for "Chủ tịch HĐND quận Hoàn Kiếm là ai?")."""
    q_folded = {fold(t) for t in question_tokens}
    if not holder or not candidates or holds_title(candidates[0].text, holder, q_folded):
        return candidates
    holding = next((c for c in candidates[1:HOLDER_DEPTH] if holds_title(c.text, holder, q_folded)), None)
    return candidates if holding is None else [holding, *(c for c in candidates if c is not holding)]


def choose(
    candidates: list[Candidate],
    max_sentences: int,
    second_probability: float,
    answer_type: str = "",
    question_tokens: Sequence[str] = (),
    accented: bool = True,
) -> list[Candidate]:
    """The quoted sentences: the best first (after the sentence its pronoun refers to), then another one
    likely to hold the answer; the sentence the best one cannot be read without comes with it."""
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
    link = linked(best, answer_type, question_tokens, accented) if max_sentences > 1 and before is None else None
    if link is not None:  # beside the best one, in the document's order (also when already chosen second)
        chosen = [c for c in chosen if c is best or not near_duplicate(c.text, link.text)]  # itself too
        chosen.insert(chosen.index(best) + (link.start > best.start), link)
    return chosen


def compose(
    chosen: list[Candidate],
    answer_type: str,
    question_tokens: Sequence[str],
    accented: bool,
    best: Candidate,
    confidence: float,
    passages,
    signals: dict,
    restored: Sequence[str] = (),
) -> Answer:
    citations, parts, spans = [], [], []
    at = 0
    for marker, c in enumerate(chosen, 1):
        sentence = c.text.rstrip(" .;:,")
        if c is best or (answer_type in ("number", "role") and c.passage.doc_id == best.passage.doc_id):
            span = _best_span(answer_type, sentence, question_tokens, accented, restored)
            if span is not None:
                spans.append(_Marked(span, c is best, marker, c, sentence, at))
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
    short = None
    if marked := _marked(spans, answer_type):
        s, e = marked.span.start, marked.span.end
        short = Short(marked.sentence[s:e], marked.marker, marked.c.start + s, marked.c.start + e, marked.at + s)
    return Answer(
        " ".join(parts), citations, False, confidence, passages, signals=signals, answer_type=answer_type, short=short
    )


class _Marked(NamedTuple):
    span: _Span
    best: bool  # in the best sentence
    marker: int
    c: Candidate
    sentence: str
    at: int  # where the sentence starts in the answer


def _marked(spans: list[_Marked], answer_type: str) -> _Marked | None:
    """The best sentence's span; another quoted sentence's of the same article only for a number or a
    title the best one lacks: a number with the counted word right after it when the best one has none
    of the kind asked (a year, an address: tier ≤ 0, not a number word) — "10 phòng chuyên môn" for "bao
    nhiêu phòng chuyên môn" beside "kỳ họp thứ 17 ... năm 2025" — or a title when the best one has none."""
    best = next((m for m in spans if m.best), None)
    others = [m for m in spans if not m.best]
    if answer_type == "number":
        counted = [m for m in others if m.span.tier >= _COUNTED]
        if counted and (best is None or best.span.tier in (-1, 0)):
            return max(counted, key=lambda m: (m.span.tier, -m.marker))
    if answer_type == "role" and best is None and others:
        return max(others, key=lambda m: (m.span.tier, -m.marker))
    return best


def _unit(word: str, q_words: set[str], accented: bool) -> bool:
    """A unit after a number: a known one, or a word the question counts ("16 Chủ tịch"), not a
    function word the question also has ("2 năm để người"); a capitalised word is none (folded, "Chủ"
    of "35 Phó Chủ tịch" would be the function word "chứ")."""
    lowered = word.lower()
    if lowered in _UNITS:
        return True
    token = _token(word, accented)
    return token in q_words and (word[:1].isupper() or not is_stopword(token, accented))


def _token(word: str, accented: bool) -> str:
    """A word of the sentence as the question's tokens are: lower case, folded for a question without
    diacritics."""
    return word.lower() if accented else fold(word.lower())


def _in_question(words: str, q_words: set[str], accented: bool) -> bool:
    tokens = tokens_of(words, accented)
    return bool(tokens) and set(tokens) <= q_words


@dataclass
class _Span:
    """A candidate answering span; `tier` ranks what kind of match it is (the unit asked for beside a
    number, a title before a name); within a tier, the question's words in its clause, then nearness."""

    start: int
    end: int
    tier: int = 0


def answer_span(
    answer_type: str, sentence: str, question_tokens: Sequence[str], accented: bool, restored: Sequence[str] = ()
) -> tuple[int, int] | None:
    """Character offsets in `sentence` of what answers a question of `answer_type`: the number with its
    unit, the date, the new name, the title, the place. None for kinds whose answer is the sentence.
    Of several candidates, the one of the kind asked ("45 chuyến tàu" for "bao nhiêu chuyến tàu", not
    the year 1988; "ông Nguyễn Mạnh Hùng", not "Việt Nam"), whose clause holds most of the question's
    words, then nearest them. `restored`: see features.answers_number."""
    best = _best_span(answer_type, sentence, question_tokens, accented, restored)
    return (best.start, best.end) if best is not None else None


def _best_span(
    answer_type: str, sentence: str, question_tokens: Sequence[str], accented: bool, restored: Sequence[str] = ()
) -> _Span | None:
    """answer_span's choice, its tier the kind of match it is."""
    q_words = set(question_tokens)
    if answer_type == "number":
        spans = _number_spans(sentence, list(question_tokens), q_words, accented, restored)
    elif answer_type == "date":
        spans = _date_spans(sentence, list(question_tokens), q_words, accented)
    elif answer_type in ("person", "place", "organization", "name"):
        spans = _name_spans(sentence, q_words, accented, answer_type)
        if answer_type == "person":  # below a name: "do Chủ tịch Ủy ban nhân dân quận bổ nhiệm" in a law
            spans += [_Span(start, end, -1) for start, end in acting_offices(sentence, q_words, accented)]
            if subject := subject_office(sentence, q_words, accented):  # "Chủ tịch UBND phường điều hành …"
                spans.append(_Span(*subject, -2))
    elif answer_type == "role":
        spans = _role_spans(sentence, q_words, accented)
    else:
        return None
    if not spans:
        return None
    anchors = _anchors(sentence, q_words, accented)

    person = answer_type == "person"

    def tier(sp: _Span) -> int:
        return sp.tier - int(person and _deputy(sentence, sp, question_tokens))

    deputy_asked = _token("phó", accented) in q_words

    def deputy(sp: _Span) -> int:
        """A count of deputies answers a question about deputies ("35 Phó Chủ tịch" for "bao nhiêu người
        ... làm Phó Chủ tịch"), a count of heads one about heads ("16 Chủ tịch")."""
        if answer_type != "number":
            return 0
        counted = {_token(w, accented) for w in _WORD.findall(sentence[sp.start : sp.end])}
        return (1 if deputy_asked else -1) if _token("phó", accented) in counted else 0

    best = max(
        spans,
        key=lambda sp: (
            tier(sp) + 2 * deputy(sp),  # above the counted word: "Còn Phó Chủ tịch?" after "bao nhiêu Chủ tịch"
            _support(sp, sentence, anchors, person),
            -_distance(sp, anchors),
            -sp.start,
        ),
    )
    return _Span(best.start, best.end, tier(best))


def _anchors(sentence: str, q_words: set[str], accented: bool) -> list[tuple[int, int, str]]:
    """Where the question's content words stand in the sentence (character start, end, the word)."""
    out = []
    for m in _WORD.finditer(sentence):
        token = _token(m.group(), accented)
        if token in q_words and not is_stopword(token, accented):  # question words are stopwords too
            out.append((m.start(), m.end(), token))
    return out


def _support(span: _Span, sentence: str, anchors: list[tuple[int, int, str]], person: bool = False) -> int:
    """How many of the question's content words share the span's clause: "Edison ... vào năm 1915 và
    Tesla đã nhận được ... vào năm 1937" answers Tesla's year with the second."""
    start, end = _clause(sentence, span, person)
    return len({token for s, _, token in anchors if start <= s < end})


def _clause(sentence: str, span: _Span, person: bool) -> tuple[int, int]:
    """Where the clause holding the span starts and ends; a person's runs over the titles after a dash."""
    start = max((m.end() for m in _CLAUSE_BREAK.finditer(sentence, 0, span.start)), default=0)
    stop = _CLAUSE_BREAK.search(sentence, span.end)
    if person and stop and _DASH.fullmatch(stop.group()) and not sentence[span.end : stop.start()].strip():
        # "đồng chí Nguyễn Thị Phương Chung - UVTV, Phó Chủ tịch HĐND quận; ...": the titles after the
        # dash are the name's, up to the next person in the list
        stop = _APPOSITION_END.search(sentence, stop.end())
    return start, stop.start() if stop else len(sentence)


def _deputy(sentence: str, span: _Span, question_tokens: Sequence[str]) -> bool:
    """Whether the name's clause holds the title asked only as its deputy's ("Nguyễn Thị Phương Chung -
    UVTV, Phó Chủ tịch HĐND quận" for "Ai là Chủ tịch HĐND quận?"), the question asking for no deputy."""
    asked = " " + " ".join(fold(t) for t in question_tokens) + " "
    titles = [t for t in TITLES if " " in t and f" {t} " in asked]
    if " pho " in asked or not titles:
        return False
    start, end = _clause(sentence, span, True)
    around = " " + " ".join(_WORD.findall(fold(sentence[start:end].lower()))) + " "
    found = [m.start() for t in titles for m in re.finditer(f" {t} ", around)]
    return bool(found) and all(around[:at].endswith(" pho") for at in found)


def _distance(span: _Span, anchors: list[tuple[int, int, str]]) -> int:
    """Characters between the span and the nearest of the question's words (0 when none is there)."""
    if not anchors:
        return 0
    return min(max(span.start - end, start - span.end, 0) for start, end, _ in anchors)


def _number_spans(
    sentence: str, tokens: list[str], q_words: set[str], accented: bool, restored: Sequence[str] = ()
) -> list[_Span]:
    unit = counted_unit(tokens, restored)
    spans = []
    for m in COUNT.finditer(sentence):
        if _in_question(m.group(), q_words, accented):
            continue
        end = m.end()
        for _ in range(3):  # the unit after the number: "16 Chủ tịch", "35%", "10 phòng chuyên môn"
            w = re.match(r"\s*(%|[^\W\d]+)", sentence[end:])
            if not w or not _unit(w.group(1), q_words, accented):
                break
            end += w.end()
            if w.group(1) == "%":  # "75,8%", not "75,8% năm"
                break
        before = sentence[max(m.start() - 12, 0) : m.start()]
        window = before + sentence[m.start() : m.end() + 30]
        of_kind = answers_number(tokens, unit, window, tokens_of(window, accented), accented, restored=restored)
        after = sentence[m.end() :].lstrip()
        # "năm 1988", "1993", "tháng 4": a date; "số 72", "97 Nguyễn Đình Chiểu": an address
        year = bool(YEAR.fullmatch(m.group())) or fold(before.lower()).rstrip().endswith(("nam", "thang", "so"))
        address = bool(after) and is_name_word(after.split()[0].strip(",.;:"))
        # the word counted right after the number: "35 Phó Chủ tịch", not "16 Chủ tịch, 35 Phó ..."
        first = re.match(r"[^\W\d]+", after)
        counted = first is not None and bool(unit) and _token(first.group(), accented) == unit
        spans.append(_Span(m.start(), end, int(of_kind) + int(counted) - int(year or address)))  # _COUNTED: 2
    words = list(_WORD.finditer(sentence))
    for i, m in enumerate(words):
        # one the question has counts when what follows it is not the question's ("một hào", "một bát")
        after = words[i + 1].group() if i + 1 < len(words) else ""
        new = not _in_question(m.group(), q_words, accented) or not _in_question(after, q_words, accented)
        if m.group().lower() in NUMBER_WORDS and new:
            # with a known unit after it ("một hào"), not a word of the question's ("một Lê" of "Lê Minh Sơn")
            end = words[i + 1].end() if after.lower() in _UNITS else m.end()
            spans.append(_Span(m.start(), end, -2))  # "một hào": only when no digits are there
    if asks_score(tokens):  # "3-1" for "tỷ số bao nhiêu"
        spans += [_Span(m.start(), m.end(), 2) for m in SCORE.finditer(sentence)]
    if numbered := _numbered(tokens, accented):  # "khóa mấy": "khóa XX"; "tầng mấy": "tầng 5"
        pattern = re.compile(r"(?<!\w)" + re.escape(numbered) + r"\s+(?:[ivxlc]+|\d+)(?!\w)", re.IGNORECASE)
        matched = sentence if accented else fold(sentence)
        spans += [  # a Roman numeral as written, upper case: "khóa XX", not "khóa xin"
            _Span(m.start(), m.end(), _COUNTED)
            for m in pattern.finditer(matched)
            if m.group()[-1].isdigit() or m.group().split()[-1].isupper()
        ]
    if asks_ordinal(" " + " ".join(fold(t) for t in tokens) + " "):  # a rank: "xếp thứ 139", "thứ ba"
        ordinals = (m for m in _ORDINAL.finditer(sentence) if not _in_question(m.group(), q_words, accented))
        spans += [_Span(m.start(), m.end(), 2) for m in ordinals]
    return spans


def _numbered(tokens: list[str], accented: bool) -> str:
    """The word a question ending in "<word> mấy" asks the number of ("khóa mấy", "tầng mấy"), or "";
    not "thứ mấy" (asks_ordinal) nor a counted "mấy người"."""
    if len(tokens) < 2 or fold(tokens[-1]) != "may":
        return ""
    word = tokens[-2]
    return "" if fold(word) == "thu" or is_stopword(word, accented) else word


def _date_spans(sentence: str, tokens: list[str], q_words: set[str], accented: bool) -> list[_Span]:
    """Dates of the precision asked; for "khi nào" (any date), a day before a bare year or a term
    ("Sáng 27/2/2025 ... nhiệm kỳ 2021-2026": the day)."""
    general = asked_precision(tokens) is None
    spans: list[_Span] = []
    for m in sorted((*DATE.finditer(sentence), *CLOCK.finditer(sentence)), key=lambda m: m.start()):
        if _in_question(m.group(), q_words, accented) or any(sp.start <= m.start() < sp.end for sp in spans):
            continue
        start, end = m.start(), m.end()
        tail = re.match(r"[\d/.-]*\d", sentence[end:])  # "ngày 27" → "ngày 27/2/2025"
        end += tail.end() if tail else 0
        if period := PERIOD.match(sentence, start):  # "2026 - 2031": one span of years
            end = max(end, period.end())
        while more := _DATE_PART.match(sentence, end):  # "ngày 27 tháng 1 năm 1967": one date
            end = more.end()
        # "thứ hai" is a weekday after "vào", but more often an ordinal ("Thủ tướng thứ hai")
        weekday = fold(m.group().lower()).startswith("thu ") and not m.group()[-1].isdigit()
        day = general and not weekday and bool(DAY.search(sentence[start:end]))
        spans.append(_Span(start, end, int(answers_date(tokens, sentence[start:end])) - int(weekday) + int(day)))
    return spans


def _role_spans(sentence: str, q_words: set[str], accented: bool) -> list[_Span]:
    """The titles of the person the question names: all of them after the name and its dash ("Nguyễn Thị
    Phương Chung - UVTV, Phó Chủ tịch HĐND quận"), else the title just before the name ("Bí thư Quận ủy
    Hoàn Kiếm Vũ Đăng Định", without the name), else the sentence's other titles, each up to punctuation.
    Of titles in a row, the first ("Phó Bí thư Quận ủy", not its "Bí thư Quận ủy")."""
    named = _asked_name(sentence, q_words, accented)
    if named is not None and (comma := _COMMA.match(sentence, named[1])):
        stop = SPAN_END.search(sentence, comma.end())
        apposition = sentence[comma.end() : stop.start() if stop else len(sentence)]
        if said := _SAID.search(apposition):
            apposition = apposition[: said.start()]
        text = " ".join(apposition.split()[:12]).rstrip(_STRIP)
        if _opens_with_title(text) or text.lower().startswith(_DESCRIPTION_OPENERS):
            return [_Span(comma.end(), comma.end() + len(text), 2)]
    if named is not None and (dash := _DASH.match(sentence, named[1])):
        stop = _APPOSITION_END.search(sentence, dash.end())
        apposition = sentence[dash.end() : stop.start() if stop else len(sentence)]
        parts = apposition.split(",")
        text = ",".join([parts[0], *takewhile(_opens_with_title, parts[1:])])  # "UVTV, Phó Chủ tịch HĐND quận"
        if said := _SAID.search(text):  # "phó tổng giám đốc siêu thị cho biết, ..."
            text = text[: said.start()]
        text = " ".join(text.split()[:12]).rstrip(_STRIP)
        if text:
            return [_Span(dash.end(), dash.end() + len(text), 2)]
    lowered, titles = title_forms(sentence)  # as written: "vừa qua" holds no "vua"
    starts = sorted(
        {
            m.start()
            for t in titles
            for m in re.finditer(r"(?<!\w)" + re.escape(t) + r"(?!\w)", lowered)
            if not _in_question(sentence[m.start() : m.end()], q_words, accented)
        }
    )
    spans: list[_Span] = []
    for start in starts:
        if spans and start < spans[-1].end:
            continue  # inside the title before it
        stop = SPAN_END.search(sentence, start)
        end = stop.start() if stop else len(sentence)
        limit = 8
        if named is not None and start < named[0] < end:
            end, limit = named[0], 12  # "Phó Bí thư Thường trực quận ủy Hoàn Kiếm", not "... Đinh Hồng"
        text = " ".join(sentence[start:end].split()[:limit]).rstrip(_STRIP)
        before_name = named is not None and 0 <= named[0] - (start + len(text)) <= 2
        if text:
            spans.append(_Span(start, start + len(text), int(before_name)))
    return spans


def _opens_with_title(text: str) -> bool:
    lowered, titles = title_forms(text.strip())
    return any(lowered == t or lowered.startswith(t + " ") for t in titles)


def _asked_name(sentence: str, q_words: set[str], accented: bool) -> tuple[int, int] | None:
    """Where the person the question names stands in the sentence: the first run of two or more
    capitalised words the question has ("Vũ Đăng Định" of "Vũ Đăng Định giữ chức vụ gì?")."""
    run: list[re.Match[str]] = []
    for w in [*re.finditer(r"\S+", sentence), None]:
        word = w.group().strip(_STRIP) if w else ""
        if w and word[:1].isupper() and _token(word, accented) in q_words and _plain(w) not in TITLE_WORDS:
            run.append(w)
            if w.group()[-1:] not in _STRIP:
                continue
        if len(run) >= 2:
            return run[0].start(), run[-1].start() + len(run[-1].group().rstrip(_STRIP))
        run = []
    return None


def _span_word(word: str, acronyms: bool) -> bool:
    """A word of a name: "Trống", "McEwen", "al-Turabi", "D.Ryan"; "FPT" only where acronyms count."""
    parts = [p for p in re.split(r"[-.]", word) if p]
    if not parts or not all(p.isalpha() for p in parts):
        return False
    if "." in word and not word[0].isupper():  # "thời.Kiến": a full stop missing its space, not "D.Ryan"
        return False
    if acronyms and len(word) > 1 and word.isupper():
        return True
    return any(p[0].isupper() and not p.isupper() for p in parts) and (word[0].isupper() or len(parts) > 1)


def _name_spans(sentence: str, q_words: set[str], accented: bool, answer_type: str) -> list[_Span]:
    """Runs of capitalised words the question does not have. A run that opens the sentence counts when
    it is a name ("Peyton Manning trở thành", "Cô Thu Lan là": the honorific left out), not a
    capitalised first word ("Trong", "Sau"). A one-word name ("Gandhi") counts for a person below longer
    ones, unless an honorific or a title stands before it ("ông Lâm"). A run whose last word opens a
    title or an institution's compound word ends before it ("Kemp Chalmers" of "Kemp Chalmers Chủ tịch")
    or, for an organisation, takes it whole ("Quốc hội"); a person's name starts at its surname
    ("Vũ Đăng Định" of "Hoàn Kiếm Vũ Đăng Định")."""
    words = list(re.finditer(r"\S+", sentence))
    acronyms = answer_type in ("organization", "name")
    spans = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words):
            raw = words[j].group()
            if j > i and raw[:1] in _OPENING_QUOTES:  # "Nguyễn Đình Nghi "Nếu ...": the quote is not the name
                break
            if j == i and _ROMAN.fullmatch(raw.strip(_STRIP)):  # "khóa XII" is a number; "Super Bowl XLIX" a name
                break
            if not _span_word(raw.strip(_STRIP), acronyms):
                compound = j > i and words[j - 1].group()[-1:] not in _STRIP
                if not (acronyms and compound and _completion(words, j) == "institution"):
                    break  # an organisation goes on through its compounds: "Ban Chấp hành Trung ương Đảng"
            j += 1
            if raw[-1:] in ",.;:!?)":
                break
        first = i
        while first < j and _in_question(words[first].group(), q_words, accented):  # "Hàng Bài" of the question
            first += 1
        if first == 0 and first < j:  # the sentence's first word is capitalised anyway
            opener = _plain(words[0])
            if opener in _HONORIFICS or opener in _OPENERS or is_stopword(opener, True) or j - first < 2:
                first += 1
        elif first < j and words[first].group()[:1] in _OPENING_QUOTES and is_stopword(_plain(words[first]), True):
            first += 1  # a quoted title opens capitalised: "“Một số vấn đề ...”"
        last = j - 1  # the run's last word; "Quốc" + "hội", "Phó Chủ" + "tịch", "Kemp Chalmers Chủ" + "tịch"
        completed = _completion(words, j) if first < j else ""
        if completed == "institution" and answer_type in ("organization", "name"):
            last += 1  # "Quốc hội", "Bộ Tài chính"
        elif completed:  # no name: the word opening the compound, and the titles before it
            last = first + len(without_titles([_plain(w) for w in words[first:last]])) - 1
        if answer_type == "person" and first < last and _plain(words[first]) not in SURNAMES:
            # "Quận ủy Hoàn Kiếm Vũ Đăng Định": the person's name starts at the surname after the place
            first = next((k for k in range(first + 1, last) if _plain(words[k]) in SURNAMES), first)
        if first <= last:
            s = words[first].start() + len(words[first].group()) - len(words[first].group().lstrip(_STRIP))
            text = sentence[s : words[last].end()].rstrip(_STRIP)
            tier = _name_tier(words, first, answer_type, q_words, accented)
            lone = last == first and answer_type == "person"
            if last == first and _plain(words[first]) in _PLACE_WORDS:  # "Quận" of "Chủ tịch UBND Quận"
                i = max(j, i + 1)
                continue
            if lone and is_syllable(words[first].group().strip(_STRIP)) and not _after_honorific(words, first):
                # a lone Vietnamese syllable ("Bộ", "Thường" of "Thứ trưởng Thường trực", "Điều" of "Phó Chủ
                # tịch Điều hành") is more often a title's word than a name, unless named: "ông Lâm"
                tier = min(tier, 0) - 2
            elif lone and tier < 1:  # "Gandhi": below longer names
                tier -= 1
            spans.append(_Span(s, s + len(text), tier))
        i = max(j, i + 1)
    return spans


def _completion(words: list[re.Match[str]], j: int) -> str:
    """Whether the lower-case word after a run of capitalised words (words[:j]) finishes a compound the
    run's last word opens (features.run_opens_compound); "" when the run ends at punctuation."""
    if not 0 < j < len(words) or words[j - 1].group()[-1:] in _STRIP:
        return ""
    return run_opens_compound(_plain(words[j - 1]), _plain(words[j]))


def _plain(word: re.Match[str]) -> str:
    """A word of the sentence as written, lower case, without the punctuation around it."""
    return word.group().strip(_STRIP).lower()


def _after_honorific(words: list[re.Match[str]], at: int) -> bool:
    """Whether "ông", "bà", "đồng chí" ... stands just before word `at` ("ông Lâm")."""
    before = [_plain(w) for w in words[max(at - 2, 0) : at]]
    return bool(before) and (before[-1] in _HONORIFICS or before == ["đồng", "chí"])


def _after_title(words: list[re.Match[str]], at: int) -> bool:
    """Whether an honorific or a title stands just before word `at` ("ông Cốc Lâm", "HLV Lê Thụy Hải",
    "đồng chí Phạm Tuấn Long")."""
    if _after_honorific(words, at):
        return True
    spaced = " " + " ".join(_plain(w) for w in words[max(at - 3, 0) : at]) + " "
    return any(spaced.endswith(f" {t} ") for t in TITLE_WORDS)


def _name_tier(words: list[re.Match[str]], at: int, answer_type: str, q_words: set[str], accented: bool) -> int:
    """A person's name after a title or an honorific, a place after "tại / ở / tỉnh", an organisation
    after the kind the question asks for ("công ty nào": "Công ty Mercedes-Benz VN"): the kind asked."""
    previous = _plain(words[at - 1]) if at else ""
    if answer_type == "organization":
        asked = previous if accented else fold(previous)
        return int(bool(asked) and asked in q_words and not is_stopword(asked, accented))
    place = previous in _PLACE_WORDS or _plain(words[at]) in _PLACE_WORDS  # "tại Baghdad", "Phố Fresno"
    if answer_type == "person":
        return int(_after_title(words, at)) - int(place)
    if answer_type == "place":  # "ở Hà Nội", or the kind of place asked ("tỉnh" for "tỉnh nào"), not "huyện"
        return int(previous in _PREPOSITIONS or (previous in _PLACE_WORDS and previous in q_words))
    return 0
