"""Vietnamese text primitives shared by every stage: normalisation, folding, syllables.

Everything the index stores and every question it sees goes through `normalize`, so
character offsets and token matches mean the same thing everywhere.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_WORD = re.compile(r"\w+", re.UNICODE)

# Old-style tone placement ("hòa", "thủy") is the canonical form; new-style ("hoà",
# "thuỷ") is folded onto it so both spellings match in the lexical index.
_TONED = {
    "a": "àáảãạ",
    "e": "èéẻẽẹ",
    "y": "ỳýỷỹỵ",
}
_UNTONED_O = "o"
_UNTONED_U = "u"
_O_TONED = "òóỏõọ"
_U_TONED = "ùúủũụ"
_NEW_STYLE = {}
for _i in range(5):
    _NEW_STYLE["o" + _TONED["a"][_i]] = _O_TONED[_i] + "a"
    _NEW_STYLE["o" + _TONED["e"][_i]] = _O_TONED[_i] + "e"
    _NEW_STYLE["u" + _TONED["y"][_i]] = _U_TONED[_i] + "y"
_NEW_STYLE_TAIL = re.compile("(?<!q)(" + "|".join(_NEW_STYLE) + ")$")


def normalize(text: str) -> str:
    """NFC, no control characters, tidy whitespace: the one form offsets refer to."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(" ", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


# A line that opens an item of a list or of a legal text ("2. …", "a) …", "- …"), or a table row led by its
# number ("1 Hàng Bài …"), is no continuation.
_OPENS_ITEM = re.compile(r"(?:\d{1,3}[.)]|[a-zđ]\)|[-–•*+])\s")
_ROW_NUMBER = re.compile(r"\d{1,3}\s+(\w)")


def _opens_item(line: str) -> bool:
    row = _ROW_NUMBER.match(line)
    return bool(_OPENS_ITEM.match(line) or (row and row.group(1).isupper()))


# A line at least this share of the page's widest (in characters) reached the margin: the line after it
# goes on with the same sentence even when it starts with a capital ("… đồng chí Vũ Đăng" / "Định, …").
WIDE_LINE = 0.8
WIDE_MIN_CHARS = 60  # pages whose widest line is shorter have no margin to read


def join_wrapped_lines(text: str, columns: int | None = None) -> str:
    """A page read line by line (a PDF's text layer, Tesseract's reading) breaks lines where the page
    did: a line that goes on in lower case, with a number or an opening quote, or after a line that
    reached the margin, is the same sentence, unless it opens an item. Short and capitalised lines
    (headings, table rows) keep theirs. `columns`: a text file wrapped at that width, whose lines
    reached the margin when the next line's first word would not have fitted — joined whatever they end
    with, since a sentence's end there is no paragraph's."""
    lines = text.split("\n")
    widest = max(map(len, lines), default=0)
    wide = WIDE_LINE * widest if widest >= WIDE_MIN_CHARS else float("inf")
    out: list[str] = []
    last = ""  # the previous line as the page had it
    for line in lines:
        previous = out[-1] if out else ""
        goes_on = line[:1].islower() or line[:1].isdigit() or line[:1] in ('"', "(", "“")
        ended = previous[-1:] in tuple(".!?:;…")
        if columns:  # a file's wrap: its newline means nothing, whatever the line ends with
            reached_margin = bool(line.strip()) and len(last) + 1 + len(line.split()[0]) > columns
        else:
            reached_margin = len(last) >= wide and not last.isupper() and not line.isupper() and not ended
        if previous and line and not _opens_item(line) and ((goes_on and not ended) or reached_margin):
            # "2021-" / "2026", "Mercedes-" / "Benz": a hyphen at the margin joins its word
            hyphen = previous[-1] == "-" and previous[-2:-1].isalnum() and line[:1].isalnum()
            out[-1] = f"{previous}{line}" if hyphen else f"{previous} {line}"
        else:
            out.append(line)
        last = line
    return "\n".join(out)


# A text file broken into lines at a fixed width (pdftotext's output, an e-mail, an 80-column editor) has no
# line longer than this, and at least WRAP_SHARE of its lines could not have taken the next line's first word.
WRAP_COLUMNS = 120
WRAP_MIN_LINES = 8
WRAP_SHARE = 0.7


def wrapped_width(text: str) -> int | None:
    """The width a text file was wrapped at, or None when it was written a paragraph (or an item) per
    line: wrapped, nearly every line stops because the next line's first word would not fit (a line
    before an item aside). A list of items of uneven length does not, nor does one paragraph per line
    (longer than any editor's width)."""
    lines = text.split("\n")
    width = max(map(len, lines), default=0)
    # a line before an item ("- Rau ngót …", "2. …") ends where its item does, wrapped or not
    pairs = [(a, b) for a, b in zip(lines, lines[1:]) if a.strip() and b.strip() and not _opens_item(b)]
    if len(pairs) < WRAP_MIN_LINES or not 40 <= width <= WRAP_COLUMNS:
        return None
    full = sum(len(a) + 1 + len(b.split()[0]) > width for a, b in pairs)
    return width if full >= WRAP_SHARE * len(pairs) else None


def clean_question(text: str) -> str:
    """A question on one line: NFC, control characters and runs of space removed."""
    return " ".join(normalize(text).split())


def _fold_slow(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


# Folding runs on every syllable the index and the verifier see: a translation table built once
# from the NFD definition above is several times faster than decomposing each time.
_FOLD_TABLE: dict[int, str | None] = {
    c: _fold_slow(chr(c)) for c in range(0xC0, 0x1F00) if _fold_slow(chr(c)) != chr(c) and len(_fold_slow(chr(c))) == 1
}
_FOLD_TABLE.update({c: None for c in range(0x300, 0x370)})  # combining marks left after NFC


def fold(text: str) -> str:
    """Strip tone and vowel marks (đ→d) the way people type without diacritics."""
    return unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)


def has_diacritics(text: str) -> bool:
    return fold(text) != text


def canonical_syllable(syllable: str) -> str:
    """Lower-case syllable with old-style tone placement ("hoà" → "hòa")."""
    syllable = syllable.lower()
    return _NEW_STYLE_TAIL.sub(lambda m: _NEW_STYLE[m.group(1)], syllable)


_CANONICAL: dict[str, str] = {}  # word -> canonical syllable; a bounded memo (words repeat a lot)


def syllables(text: str) -> list[str]:
    """Lower-cased syllables of NFC text; one-letter syllables such as "ở" are kept."""
    out = []
    for word in _WORD.findall(unicodedata.normalize("NFC", text)):
        syllable = _CANONICAL.get(word)
        if syllable is None:
            if len(_CANONICAL) > 200_000:
                _CANONICAL.clear()
            syllable = _CANONICAL[word] = canonical_syllable(word)
        out.append(syllable)
    return out


def folded_syllables(text: str) -> list[str]:
    return [fold(s) for s in syllables(text)]


def bigrams(tokens: list[str]) -> list[str]:
    """Adjacent syllable pairs ("hoàn_kiếm"): most Vietnamese words are two syllables, so pairs
    match words and names where single syllables match by chance."""
    return [f"{a}_{b}" for a, b in zip(tokens, tokens[1:])]


# English, told from Vietnamese typed without diacritics: most of its words are not Vietnamese syllables.
_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(uye|uya|uyu|oa|oe|uy|ue|uo|ua|ia|ie|ye|[aeiouy])"
    r"(ch|ng|nh|[cmnpt]|[iyou])?$"
)


def is_syllable(word: str) -> bool:
    """Whether `word` could be a Vietnamese syllable ("Hà", "trong"; not "Totti", "Lucas")."""
    return bool(_SYLLABLE.match(fold(word.lower())))


_ENGLISH_WORDS = {
    "the",
    "of",
    "what",
    "who",
    "when",
    "where",
    "which",
    "how",
    "is",
    "are",
    "was",
    "were",
    "did",
    "does",
    "do",
    "in",
    "on",
    "to",
    "for",
    "and",
    "or",
    "many",
    "much",
    "why",
    "whom",
    "whose",
    "with",
    "by",
    "from",
    "at",
    "as",
    "that",
    "this",
    "has",
    "have",
    "will",
    "been",
    "be",
    "its",
    "their",
}


def is_english(text: str) -> bool:
    """A question in English: most words are English function words or not Vietnamese syllables ("How many
    ward chairpersons ..."), while "quan hoan kiem" is all syllables. Vietnamese words in it ("What is
    tắc dục nam?") count as Vietnamese, and such mixed text needs a clearer English majority."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) < 2:
        return False
    # a Vietnamese question word and no English one: names, not the language, are foreign
    # ("Indra Sahdan Daud thi dau cho CLB nao?", "dave parry giu chuc vu gi tai hang silicon graphics")
    if _VIETNAMESE_ASKING & {fold(w) for w in words} and not _ENGLISH_ASKING & set(words):
        return False
    foreign = sum(1 for w in words if w in _ENGLISH_WORDS or not is_syllable(w))
    return foreign / len(words) >= (0.65 if text != fold(text) else 0.4)


_VIETNAMESE_ASKING = frozenset("gi nao ai dau bao nhieu sao khong".split())  # folded; none is English
_ENGLISH_ASKING = frozenset(
    "what who whom whose which when where why how is are was were do does did can could will would should "
    "has have had".split()
)


# Words of office documents an English question uses, as the Vietnamese text writes them: the lexical arm
# matches an English question only through these and its names ("Secretary" finds "Bí thư").
ENGLISH_TERMS = {
    "people's committee": "ủy ban nhân dân",
    "people's council": "hội đồng nhân dân",
    "party committee": "đảng ủy",
    "district party committee": "quận ủy",
    "city party committee": "thành ủy",
    "national assembly": "quốc hội",
    "prime minister": "thủ tướng",
    "secretary": "bí thư",
    "chairman": "chủ tịch",
    "chairwoman": "chủ tịch",
    "chairperson": "chủ tịch",
    "president": "chủ tịch",
    "vice": "phó",
    "deputy": "phó",
    "director": "giám đốc",
    "minister": "bộ trưởng",
    "ministry": "bộ",
    "government": "chính phủ",
    "district": "quận",
    "ward": "phường",
    "commune": "xã",
    "province": "tỉnh",
    "city": "thành phố",
    "department": "phòng",
    "decision": "quyết định",
    "decree": "nghị định",
    "circular": "thông tư",
    "resolution": "nghị quyết",
    "law": "luật",
    "police": "công an",
    "school": "trường",
    "hospital": "bệnh viện",
    "company": "công ty",
    "bank": "ngân hàng",
    "population": "dân số",
    "budget": "ngân sách",
    "price": "giá",
    "hanoi": "hà nội",
    "vietnam": "việt nam",
}
# Countries and their peoples that Vietnamese writes in Sino-Vietnamese ("Polish troops" are "lính Ba
# Lan"); names Vietnamese news keeps as spelt ("Iraq", "Singapore") need no entry, their adjectives do.
# (The iso-codes Vietnamese names are archaic, "Hoà Lan", "Căm Bốt": not what news writes.)
_COUNTRIES = {
    "ba lan": "poland polish",
    "pháp": "france french",
    "đức": "germany german",
    "trung quốc": "china chinese",
    "nhật bản": "japan japanese",
    "hàn quốc": "korea korean",
    "triều tiên": "north_korea north_korean",
    "nga": "russia russian",
    "anh": "britain british england",
    "mỹ": "america american united_states",
    "hà lan": "netherlands dutch holland",
    "tây ban nha": "spain spanish",
    "bồ đào nha": "portugal portuguese",
    "italy": "italian",
    "thái lan": "thailand thai",
    "đan mạch": "denmark danish",
    "thụy sĩ": "switzerland swiss",
    "thụy điển": "sweden swedish",
    "na uy": "norway norwegian",
    "hy lạp": "greece greek",
    "ấn độ": "india indian",
    "úc": "australia australian",
    "ai cập": "egypt egyptian",
    "thổ nhĩ kỳ": "turkey turkish",
    "bỉ": "belgium belgian",
    "áo": "austria austrian",
    "campuchia": "cambodia cambodian",
    "lào": "laos laotian",
    "việt nam": "vietnamese",
    "iraq": "iraqi",
    "iran": "iranian",
    "israel": "israeli",
    "brazil": "brazilian",
    "argentina": "argentine argentinian",
    "indonesia": "indonesian",
    "malaysia": "malaysian",
    "singapore": "singaporean",
    "philippines": "philippine filipino",
    "châu âu": "europe european",
    "châu á": "asia asian",
    "châu phi": "africa african",
}
ENGLISH_TERMS.update(
    {english.replace("_", " "): vietnamese for vietnamese, names in _COUNTRIES.items() for english in names.split()}
)
_ENGLISH_TERM = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, ENGLISH_TERMS), key=len, reverse=True)) + r")(?:e?s)?\b", re.IGNORECASE
)


# English day and month names: capitalised, yet no name; Vietnamese text writes "thứ Bảy", "tháng 2", and
# matched as written they find English e-mail headers ("Sent: Saturday, February 01") instead
_CALENDAR = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december""".split()
)


def english_terms(text: str) -> str:
    """The words an English question can share with Vietnamese text: names and numbers ("Pham Bang",
    "ASIMO", "2005": capitalised after the first word, or digits) and the office words of
    ENGLISH_TERMS in Vietnamese. Its other words only match Vietnamese syllables by accident ("the" is
    folded "thế", "to" is "tổ")."""
    text = text.replace("\u2019", "'")  # "People’s Committee" as phones type it
    terms = [ENGLISH_TERMS[m.group(1).lower()] for m in _ENGLISH_TERM.finditer(text)]
    words = re.findall(r"[^\W_]+", _ENGLISH_TERM.sub(" ", text))
    names = [
        w for i, w in enumerate(words) if w[0].isdigit() or (i > 0 and w[0].isupper() and w.lower() not in _CALENDAR)
    ]
    names = [re.sub(r"^(\d+)(?:st|nd|rd|th)$", r"\1", w) for w in names]  # "the 17th session": "thứ 17"
    return " ".join(names + terms)
