"""The question's terms and how much each weighs: stopwords, syllable tokens (accented or folded),
IDF over the indexed chunks, and IDF-weighted coverage of a sentence."""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

from ..text import fold, has_diacritics, syllables

# Syllables that carry no content in a question. Folded, several collide with content words
# ("chứ"/"chủ", "đó"/"đô"), so the folded set is used only for questions typed without diacritics.
STOPWORDS = {
    w
    for w in """
    ai gì nào đâu sao bao nhiêu mấy khi lúc giờ thế nào như thì là có không được bị của và với các những
    cái này đó kia ấy hãy cho tôi biết hỏi về trong ở tại từ đến theo một hai đã đang sẽ vậy hả nhỉ chứ à
    ạ ơi nhé mà nên rằng bởi vì do để làm việc người ta nó họ chúng nhưng hay hoặc cũng rất nhiều ít
    còn gồm những nhất thứ bằng ra vào lên xuống the a an of what who when where which how is are was
    did do does in on to for and or
""".split()
}
FOLDED_STOPWORDS = {fold(w) for w in STOPWORDS}


def is_stopword(token: str, accented: bool) -> bool:
    return token in (STOPWORDS if accented else FOLDED_STOPWORDS)


def tokens_of(text: str, accented: bool) -> list[str]:
    return list(_tokens(text, accented))


@lru_cache(maxsize=8192)
def _tokens(text: str, accented: bool) -> tuple[str, ...]:
    """A sentence's syllables, kept: ranking, refusal and the marked span read the same sentences."""
    tokens = syllables(text)
    return tuple(tokens if accented else (fold(t) for t in tokens))


def coverage(weights: dict[str, float], tokens: list[str]) -> float:
    """IDF-weighted share of the question's content syllables found in `tokens`."""
    present = set(tokens)
    return sum(w for t, w in weights.items() if t in present) / sum(weights.values())


# An acronym as Vietnamese writes one: the initials of the syllables it stands for, capitalised ("HĐND" for
# "Hội đồng nhân dân", "BVĐK" for "Bệnh viện đa khoa", "TQ" for "Trung Quốc"). Two letters stand for a
# capitalised pair only ("VN": "Việt Nam"; not "TP" for "tá phạm"); a run capitalised after its first word
# is a name's end ("ngày dịp Tết" is no "NDT"), and a function word ("của", "và") ends a run.
_ACRONYM = re.compile(r"(?<!\w)[A-ZĐ]{2,6}(?!\w)")
_WORDS = re.compile(r"\w+")


def _words(text: str) -> tuple[list[str], str]:
    """The words of `text` as written and the string of their folded initials, one letter per word."""
    words = _WORDS.findall(unicodedata.normalize("NFC", text))
    return words, "".join(fold(w[0].lower()) for w in words)


def _stands_for(words: list[str], initials: str, acronym: str):
    """Starts of the runs of `words` an acronym (folded) may stand for."""
    n, at = len(acronym), initials.find(acronym)
    while at >= 0:
        run = words[at : at + n]
        capitals = [w[:1].isupper() for w in run]
        if (
            (n > 2 or all(capitals))
            and (capitals[0] or not any(capitals))
            # not a function word typed without diacritics: "do" may be "đô"
            and not any(is_stopword(w.lower(), True) and has_diacritics(w) for w in run)
        ):
            yield at
        at = initials.find(acronym, at + 1)


class Acronyms:
    """A question read for acronyms once, so that a sentence's "HĐND" holds the question's "hội đồng nhân
    dân" and a sentence's "bệnh viện đa khoa" the question's "BVĐK": coverage does not count as missing
    what is written the other way."""

    def __init__(self, question: str, accented: bool):
        self.accented = accented
        self.words, self.initials = _words(question)
        self.asked = {fold(a.lower()): tokens_of(a, accented) for a in _ACRONYM.findall(question)}

    def expand(self, tokens: list[str], text: str) -> list[str]:
        """A sentence's `tokens` with the question's words its acronyms stand for, and the question's
        acronyms it spells out."""
        written = {fold(a.lower()) for a in _ACRONYM.findall(text)}
        added = [
            t
            for a in written
            for at in _stands_for(self.words, self.initials, a)
            for t in tokens_of(" ".join(self.words[at : at + len(a)]), self.accented)
        ]
        if self.asked:
            words, initials = _words(text)
            added += [
                t
                for a, own in self.asked.items()
                if next(_stands_for(words, initials, a), None) is not None
                for t in own
            ]
        return tokens + added if added else tokens


class IdfTable:
    """Inverse document frequencies of syllables over the indexed chunks, for both fields."""

    def __init__(self, n: int, df: dict[str, int], df_folded: dict[str, int]):
        self.n, self.df, self.df_folded = max(n, 1), df, df_folded

    def weight(self, term: str, accented: bool) -> float:
        df = (self.df if accented else self.df_folded).get(term, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def term_weights(self, tokens: list[str], accented: bool) -> dict[str, float]:
        """The question's content syllables with their IDF (not the words that only frame what is asked:
        "bàn về những nội dung gì")."""
        framing = frame_positions(tokens)
        return {
            t: self.weight(t, accented)
            for i, t in enumerate(tokens)
            if not is_stopword(t, accented) and i not in framing
        }


# Words that say a list, a content or a title is asked for, not what it is about: "Kỳ họp bàn về những nội
# dung gì?" is answered by "Kỳ họp thông qua ...", which has neither "bàn" nor "nội dung". Folded; each is
# framing only right before a question word or another framing phrase.
# "giữ chức vụ gì" is answered by the title itself ("đồng chí ... - UVTV, Phó Chủ tịch HĐND quận").
FRAME_PHRASES = tuple(
    p.split()
    for p in (
        "noi dung",
        "van de",
        "thong tin",
        "ban ve",
        "de cap",
        "de cap den",
        "de cap toi",
        "giu chuc vu",
        "giu chuc",
        "chuc vu",
        "dam nhiem chuc vu",
    )
)
# "là giai đoạn nào?", "kế hoạch ... giai đoạn nào?" ask for a span of years ("nhiệm kỳ 2021-2026"); "có
# những giai đoạn nào?" for the stages themselves ("giai đoạn say mê, gắn kết ..."), after these words.
PERIOD_PHRASES = (["giai", "doan"], ["thoi", "ky"])
STAGES_AFTER = ("nhung", "cac", "co", "may", "hai", "ba", "bon", "nam")


def period_at(folded: list[str]) -> int:
    """Where "giai đoạn nào" / "thời kỳ nào" asking for a span of years starts in folded tokens, or -1."""
    for i in range(1, len(folded) - 2):
        if folded[i : i + 2] in PERIOD_PHRASES and folded[i + 2] == "nao" and folded[i - 1] not in STAGES_AFTER:
            return i
    return -1


FRAME_BEFORE = ("gi", "nao", "nhung", "noi dung", "van de", "thong tin", "cac")


# "diễn ra" (takes place) only frames a when/where/how question about the event before it ("Kỳ họp thứ 17
# diễn ra vào ngày nào?" is answered by "Sáng 27/2/2025, HĐND quận ... tổ chức kỳ họp thứ 17"): framing
# when a question word follows it, content otherwise ("... khiến nhịp thở diễn ra mạnh hơn?").
EVENT_PHRASE = ["dien", "ra"]
QUESTION_WORDS = {"ai", "gi", "nao", "dau", "sao", "nhieu", "may", "khi"}


def frame_positions(tokens: list[str]) -> set[int]:
    folded = [fold(t) for t in tokens]
    out: set[int] = set()
    for i in range(len(folded)):
        n = len(EVENT_PHRASE)
        if folded[i : i + n] == EVENT_PHRASE and QUESTION_WORDS & set(folded[i + n :]):
            out.update(range(i, i + n))
        for words in FRAME_PHRASES:
            after = folded[i + len(words) : i + len(words) + 2]
            if (
                folded[i : i + len(words)] == words
                and after
                and (after[0] in FRAME_BEFORE or " ".join(after) in FRAME_BEFORE)
            ):
                out.update(range(i, i + len(words)))
    if (period := period_at(folded)) >= 0:
        out.update((period, period + 1))
    return out
