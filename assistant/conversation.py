"""Follow-up questions: whether a question leans on the conversation before it, and what to search with.

A follow-up ("Anh ấy phải làm khán giả bao nhiêu trận?") names neither its subject nor its article: those
are in the turn before ("Cầu thủ nào của Italy bị treo giò …?" — "Totti bị treo giò …"). It is searched
and read with that question, that answer finds one more passage, and what it asks stays its own (the
`focus`, see `answering.extractive`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .answering import is_stopword
from .answering.question import is_name_word
from .text import clean_question, fold, has_diacritics, is_syllable, syllables
from .types import REFUSAL

# Openings that continue a conversation: "Còn …", "Thế …", "Vậy …", "Thì sao?" (accented, lower case)
OPENINGS = ("còn ", "thế ", "vậy ", "thì ")
ASKING_AGAIN = "thì sao"  # "Hà Nội thì sao?": the question before, about something else
# Words that point back: a demonstrative after a noun ("người đó", "vụ này", "anh ấy") or a pronoun
POINTERS = frozenset({"ấy", "đó", "này", "kia", "nó", "họ", "hắn"})
# "ông ta", "cô ta": "ta" points back only after a person word
PERSONS = frozenset({"ông", "bà", "anh", "chị", "cô", "cậu", "em", "hắn", "người"})
# Without diacritics "do", "nay", "ta" are also "do" (because), "nay" (now), "ta" (we): they point back
# only after a noun that takes a demonstrative
NOUNS_FOLDED = frozenset(
    "nguoi ong ba anh chi co cau em vu viec chuyen dieu cai noi cho luc khi truoc sau trong "
    "ngay hom doi nhom to chuc cong ty du an benh thuoc tran hanh trinh chuong trinh so".split()
)
TIME_BEFORE_NAY = frozenset({"hom", "ngay", "bay", "gio", "xua", "tu"})  # "hôm nay", "ngày nay": now
SHORT = 4  # a question with at most this many content words leans on the one before
ANSWER_CHARS = 400  # of the previous answer: its first sentences name the subject
_MARKER = re.compile(r"\s*\[\d{1,3}\]")
_PUNCTUATION = ".,;:!?()\"“”'‘’-–"
# A person the follow-up is about, replaced by the name the previous answer gives: "anh ấy", "ông ta",
# "người đó", "hắn" (and without diacritics "anh ay", "ong ta", "nguoi do") opening the question. Not
# elsewhere: in "Theo ông ấy, máy bay … khi nào?" the person only says it, and ranking by his name found
# him instead. Without diacritics "do" / "nay" point back only after "nguoi", "ong", "anh": "co do" may
# be "có độ", "chi do" "chỉ do".
PERSON_POINTERS = re.compile(
    r"\b(?:(?:anh|ông|bà|cô|chị|em|cậu|người)\s+(?:ấy|ta|đó|này)|hắn)\b"
    r"|\b(?:anh|ong|ba|co|chi|em|cau|nguoi)\s+(?:ay|ta)\b|\b(?:nguoi|ong|anh)\s+(?:do|nay)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """Whether `question` (cleaned, NFC) refers back to the conversation."""
    accented = has_diacritics(question)
    if sum(not is_stopword(t if accented else fold(t), accented) for t in syllables(question)) <= SHORT:
        return True
    lowered = question.lower()
    if ASKING_AGAIN in lowered or fold(ASKING_AGAIN) in fold(lowered):
        return True
    if accented:
        words = [w.lower() for w in syllables(question)]
        if lowered.startswith(OPENINGS):
            return True
        return any(
            (w in POINTERS and words[i + 1 : i + 2] != ["tên"])  # "họ tên" is a full name
            or (w == "ta" and i and words[i - 1] in PERSONS)
            for i, w in enumerate(words)
        )
    words = [fold(w.lower()) for w in syllables(question)]
    if fold(lowered).startswith(tuple(fold(o) for o in OPENINGS if o != "thế ")):  # "the" is also "thể", "thẻ"
        return True
    for i, w in enumerate(words):
        before = words[i - 1] if i else ""
        if w in ("ay", "kia") or (w in ("do", "ta") and before in NOUNS_FOLDED):
            return True
        if w == "nay" and before in NOUNS_FOLDED and before not in TIME_BEFORE_NAY:
            return True
    return False


@dataclass(frozen=True)
class Turn:
    """A question as asked within a conversation."""

    question: str  # what is searched and answered: a follow-up with the question before it
    focus: str | None = None  # a follow-up's own words (None for a question standing alone)
    # a follow-up with the turn before and its answer, which names whom or what "anh ấy" points at
    # ("Totti"): the passage it finds first is read too
    context: str | None = None


def read(question: str, history: Sequence[tuple[str, str]]) -> Turn:
    """A question in the light of the conversation before it. The previous answer (without its [n]
    markers) only finds one more passage: searched with the follow-up, its words would outweigh the
    follow-up's ("Chủ trì kỳ họp có đồng chí …" then "Sau kỳ họp đó có bao nhiêu phòng chuyên môn?"),
    and a name in it is no name the question asks about; but it says whom "anh ấy" means (`referent`),
    and the follow-up's own words (the focus) name that person instead."""
    if not history or not is_follow_up(question):
        return Turn(question)
    previous = clean_question(str(history[-1][0]))
    if not previous:
        return Turn(question)
    answered = _MARKER.sub("", clean_question(str(history[-1][1] or "")))
    if REFUSAL in answered:  # a refusal names nothing
        answered = ""
    answered = answered[:ANSWER_CHARS].rsplit(" ", 1)[0] if len(answered) > ANSWER_CHARS else answered
    # typed without diacritics, the follow-up is searched and read as such with the question before it
    asked = previous if has_diacritics(question) else fold(previous)
    focus = question
    name = referent(answered, previous)
    if name and PERSON_POINTERS.match(question):  # "Anh ấy phải làm …?" → "Totti phải làm …?"
        focus = PERSON_POINTERS.sub(name if has_diacritics(question) else fold(name), question, count=1)
    return Turn(f"{asked} {question}", focus, f"{previous} {answered} {question}" if answered else None)


def referent(answer: str, previous: str) -> str | None:
    """Whom "anh ấy" means: the first name the previous answer gives that its question did not ("Totti
    bị treo giò …" after "Cầu thủ nào …?"; "Chủ trì kỳ họp có đồng chí Vũ Đăng Định …"). A lone
    capitalised syllable opening a sentence ("Chủ", "Sáng") is no name."""
    asked = {fold(w.lower()) for w in syllables(previous)}
    for sentence in re.split(r"(?<=[.!?])\s+", answer):
        words = sentence.split()
        run: list[str] = []
        start = 0
        for i, raw in enumerate([*words, ""]):
            word = raw.strip(_PUNCTUATION)
            if is_name_word(word):
                start = start if run else i
                run.append(word)
                if raw == word:
                    continue
            opening = run and start == 0 and len(run) == 1 and is_syllable(run[0])
            if run and not opening and not all(fold(w.lower()) in asked for w in run):
                return " ".join(run)
            run = []
    return None


__all__ = ["Turn", "is_follow_up", "read", "referent"]
