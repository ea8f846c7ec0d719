"""Sentence features: what makes a retrieved sentence likely to answer the question, beyond sharing its
words — the kind of answer asked for (a number, a name, a date, a title) standing in it, new content, how
tightly the question's words sit together, and where the question's word would be."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

from ..text import fold, has_diacritics, is_syllable
from .question import SURNAMES, Cues, asks_score, is_name_word
from .terms import coverage, is_stopword, period_at, tokens_of

_DIGIT = re.compile(r"\d")
COUNT = re.compile(r"(?<![\d/.,-])\d+(?:[.,]\d+)*(?![\d/-])")  # "16", "1.200", not the date "30/6"
SCORE = re.compile(r"(?<![\d/.,-])\d{1,2} ?- ?\d{1,2}(?![\d/.,-])")  # "3-1": what "tỷ số bao nhiêu" asks
_WORDS = re.compile(r"\w+")
# words that point back at an earlier sentence: "Sự tồn tại của nó …", "Ông ấy …", "thành phố này"
REFERS_BACK = re.compile(r"\b(?:nó|này|đó|đây|họ|(?:ông|bà|anh|chị|cô) ấy)\b", re.IGNORECASE)
_TRAILING = ".,;:!?)\"'”’"
NUMBER_WORDS = {
    "một",
    "hai",
    "ba",
    "bốn",
    "năm",
    "sáu",
    "bảy",
    "tám",
    "chín",
    "mười",
    "mươi",
    "trăm",
    "nghìn",
    "ngàn",
    "triệu",
    "tỷ",
    "tỉ",
    "chục",
    "nửa",
    "đôi",
    "vạn",
    "phần",
}
FOLDED_NUMBER_WORDS = {fold(w) for w in NUMBER_WORDS} - {"ba", "nam"}  # "bà", "nam" (south) when folded
CLOCK = re.compile(r"\b\d{1,2}\s*(?:giờ|gio|h\b|:\d\d)", re.IGNORECASE)  # "7 giờ 30", "21h", "9:15"
RELATIVE_DAYS = "hôm nay|hôm qua|sáng nay|chiều nay|tối qua|đêm qua|chủ nhật|thứ (?:hai|ba|tư|năm|sáu|bảy)"
DATE = re.compile(
    r"\b\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b|\b(?:1[89]|20)\d\d\b|"
    r"\b(?:ngày|tháng|năm|quý|tuần|ngay|thang|nam|quy|tuan)\s+\d|"
    r"\b(?:thứ|thu)\s+[2-7](?![\d.,])|"  # a weekday "thứ 2"–"thứ 7", not the ordinal "kỳ họp thứ 17"
    rf"\b(?:{RELATIVE_DAYS})\b",
    re.IGNORECASE,
)
TITLE_WORDS = tuple(  # as written, lower case: "phó" is a title, "phố" is not; "chủ" only as one ("chủ trì")
    t.strip()
    for t in """
    chủ tịch|phó|giám đốc|bộ trưởng|thứ trưởng|trưởng|tổng|bí thư|thủ tướng|tổng thống|chủ nhiệm|hlv|
    huấn luyện viên|đội trưởng|phát ngôn viên|biên tập|viện trưởng|hiệu trưởng|chánh|ủy viên|uỷ viên|đại sứ|
    cục trưởng|vụ trưởng|thẩm phán|kiểm sát viên|luật sư|bác sĩ|giáo sư|tiến sĩ|chuyên gia|thư ký|tổng thư ký|
    thiếu tướng|trung tướng|đại tướng|thượng tá|đại tá|trung tá|thiếu tá|đại úy|giám sát|điều tra viên|
    kỹ sư|nhà báo|ca sĩ|diễn viên|đạo diễn|nhạc sĩ|họa sĩ|nhà văn|nhà thơ|thủ môn|tiền đạo|hậu vệ|tiền vệ|
    vua|hoàng|nữ hoàng|giáo hoàng|ngoại trưởng|lãnh đạo|chủ nhà|chủ quán|chủ tiệm|chủ hộ|chủ xe|chủ đầu tư|
    chủ doanh nghiệp|chủ sở hữu|chủ trại|chủ tàu|chủ nhân|người phát ngôn|đại biểu|đại diện|trợ lý|cố vấn|
    ceo|president|minister|director
""".replace("\n", "").split("|")
    if t.strip()
)
TITLES = tuple(fold(t) for t in TITLE_WORDS)
SPAN_END = re.compile(r"[,.;:!?()]|\s[-–—]\s")  # where a title or an office written out ends
# Compound words of institution names, as written, lower case. Vietnamese capitalises only the first
# syllable of each word of such a name ("Quốc hội", "Chính phủ", "Bộ Tài chính", "Ban Thường vụ Quận ủy"),
# so a run of capitalised words may stop inside one; a personal name capitalises every syllable.
INSTITUTION_WORDS = frozenset(
    w.strip()
    for w in """quốc hội|chính phủ|thường vụ|thành ủy|thành uỷ|quận ủy|quận uỷ|huyện ủy|huyện uỷ|tỉnh ủy|tỉnh uỷ|
    đảng ủy|đảng uỷ|thị ủy|thị uỷ|ủy ban|uỷ ban|hội đồng|nhân dân|tài chính|nội vụ|tư pháp|y tế|ngoại giao|
    quốc phòng|công an|công thương|xây dựng|giáo dục|đào tạo|kế hoạch|đầu tư|nông nghiệp|tài nguyên|
    môi trường|giao thông|vận tải|lao động|văn hóa|văn hoá|thể thao|du lịch|khoa học|công nghệ|thông tin|
    truyền thông|thanh tra|kiểm toán|an ninh|kiểm sát|mặt trận|tổ quốc|công đoàn|thanh niên|phụ nữ|
    ngân hàng|bảo hiểm|hải quan|thuế vụ|quản lý|nội chính|tuyên giáo|dân vận|tổ chức|kiểm tra|chấp hành|
    trung ương""".split("|")
)


def title_forms(text: str) -> tuple[str, tuple[str, ...]]:
    """The sentence lower-cased and the title words to find in it, as written ("vừa" is no "vua", "phố"
    no "phó", "Nguyễn" no "nguyên"); both folded only for a sentence written without diacritics."""
    if has_diacritics(text):
        return text.lower(), TITLE_WORDS
    return fold(text.lower()), TITLES


def titles_in(text: str) -> list[str]:
    """The title words a sentence holds (title_forms)."""
    lowered, titles = title_forms(text)
    spaced = " " + " ".join(_WORDS.findall(lowered)) + " "
    return [t for t in titles if f" {t} " in spaced]


PLACE_WORDS = frozenset(  # as written, lower case: "phố" is a place, "phó" is not
    """tại ở đến từ tỉnh thành phố huyện quận xã phường thị trấn nước bang
    vùng khu làng thôn ấp đường phố sân""".split()
)
# Words that carry a kind of answer, as written; a sentence is matched as written ("để" is a reason, "đề"
# is not; folded, "do" is also "đó", "tu" "tư", "la" "lá"), folded only when written without diacritics.
REASON_WORDS = frozenset("vì do bởi nhằm để nên khiến nguyên nhân lý do tại vì dẫn đến".split())
MANNER_WORDS = frozenset("bằng thông qua cách qua theo sử dụng dùng nhờ".split())
CONTENT_WORDS = frozenset("gồm bao gồm như về là việc".split())


def carries_type(
    kind: str, text: str, tokens: list[str], q_words: set[str], accented: bool, score: bool = False
) -> bool:
    """Whether the sentence holds something of the kind the question asks for that the question itself
    lacks: a number for "bao nhiêu", a date for "khi nào", a name for "ai", a title for "chức vụ gì"."""
    if kind == "number":
        if score:  # question.asks_score
            return bool(SCORE.search(text))
        if any(m.group() not in q_words for m in COUNT.finditer(text)):
            return True
        # the sentence's words as written: folded, "đội", "sau", "muối" would be numbers; one the question
        # has counts when what follows it is not the question's ("một hào" for "mua một bát … bao nhiêu tiền")
        as_written = [w.lower() for w in _WORDS.findall(text)]
        key = (lambda w: w) if accented else fold
        return any(
            w in NUMBER_WORDS
            and (key(w) not in q_words or (i + 1 < len(as_written) and key(as_written[i + 1]) not in q_words))
            for i, w in enumerate(as_written)
        )
    if kind == "date":  # a date or a time of day ("lúc mấy giờ" is a date question)
        return any(
            not set(tokens_of(m.group(), accented)) <= q_words for m in (*DATE.finditer(text), *CLOCK.finditer(text))
        )
    if kind == "person":  # "Nguyễn Văn Toán", or one word no Vietnamese syllable is: "Miller", "Totti"
        return _has_new_name(text, q_words, accented, min_words=2, foreign=True) or bool(
            acting_offices(text, q_words, accented)
        )
    if kind in ("organization", "name"):  # "Vicofa", "FPT", "Nhà xuất bản Kim Đồng"; "Tên ông là Lâm"
        raw = [w.strip(_TRAILING + '("“‘') for w in text.split()[1:]]  # not the sentence's first word
        return any(
            (is_name_word(w) or (len(w) > 1 and w.isupper() and w.isalpha()))
            and not set(tokens_of(w, accented)) <= q_words
            for w in raw
        )
    if kind == "role":
        q_folded = {fold(w) for w in q_words}
        return any(not set(fold(t).split()) <= q_folded for t in titles_in(text))
    written = has_diacritics(text)
    words = set(_WORDS.findall(text.lower())) if written else {fold(t) for t in tokens}

    def holds(vocabulary: frozenset[str]) -> bool:
        return bool(words & (vocabulary if written else {fold(w) for w in vocabulary}))

    if kind == "place":
        raw = [w.strip(_TRAILING + '("“‘') for w in text.split()]
        names = {fold(w.lower()) for w in raw if is_name_word(w)} - {fold(w) for w in q_words}
        return bool(names) and (holds(PLACE_WORDS) or _has_new_name(text, q_words, accented, 2))
    if kind == "reason":
        return holds(REASON_WORDS)
    if kind == "manner":
        return holds(MANNER_WORDS)
    if kind == "content":
        return ":" in text or text.count(",") >= 2 or holds(CONTENT_WORDS)
    if kind == "definition":
        return holds(frozenset({"là"}))
    return True


DURATION_UNITS = set("năm tháng ngày giờ phút giây tuần tiếng kỷ".split())  # "bao lâu": "3 năm", "hai tuần"
MONEY_UNITS = set(  # "một hào", "50 xu": the old coins count too
    "đồng usd euro eur yên bảng ndt tệ won rúp đô đôla triệu tỷ tỉ nghìn ngàn $ vnd vnđ hào xu cent bạt baht".split()
)
# "giá bao nhiêu", "bao nhiêu tiền", "ngân sách ... là bao nhiêu"
MONEY_CUES = "giá tiền phí lương thưởng phạt vốn".split() + ["ngân sách", "doanh thu", "lợi nhuận", "dự toán"]
NOT_MONEY = ("miễn phí", "lãng phí")  # "dung lượng lưu trữ miễn phí ... bao nhiêu" asks for no sum
FOLDED_DURATION_UNITS = {fold(u) for u in DURATION_UNITS}
FOLDED_MONEY_UNITS = {fold(u) for u in MONEY_UNITS}
UNIT_REACH = 3  # tokens after a number where its unit may stand ("16 Chủ tịch", "1.200 tỷ đồng")


# words between a number and what it counts: classifiers and measures ("hai chiếc xe", "60-100 g rau ngót")
CLASSIFIERS = frozenset(
    """chiếc con cái vị ngôi căn tấm bức quyển cuốn cây quả trái cụ g gr gam kg ký lạng tạ tấn mg ml lít
    m cm mm km mét ha hecta m2 m3 chén bát cốc ly thìa muỗng gói hộp chai túi bó""".split()
)
FOLDED_CLASSIFIERS = frozenset(fold(c) for c in CLASSIFIERS)


def _counted_after(tokens: list[str], i: int, words) -> list[str]:
    """The words after a number up to the one it counts: the first that is no digit or number word, and
    the one after a classifier ("12.500 đầu sách", "hai mươi chiếc xe", "6 năm tù"); "165 công chức
    phường" counts "công chức", not "phường"."""
    end = i
    while end < len(tokens) and (tokens[end] in words or tokens[end].isdigit()):
        end += 1
    while end < len(tokens) and fold(tokens[end]) in FOLDED_CLASSIFIERS and end - i < UNIT_REACH:
        end += 1
    return tokens[i : end + 1]


def _numbers_with(tokens: list[str], text: str, units: set[str], accented: bool, counted: bool = False) -> bool:
    """A number (digits or a number word) with one of `units` among the tokens just after it; compared
    without diacritics when the question has none (its tokens are folded then)."""
    units = units if accented else {fold(u) for u in units}
    durations = DURATION_UNITS if accented else FOLDED_DURATION_UNITS
    words = NUMBER_WORDS if accented else FOLDED_NUMBER_WORDS
    for i, t in enumerate(tokens):
        if t[:1].isdigit() and t[-1:].isalpha():  # "30m", "220mw": a measure written onto its number
            return True
        # "16 phòng", "tuổi 38"; but "năm 1988" is a date, not a duration
        before = [u for u in tokens[max(i - UNIT_REACH, 0) : i] if u not in durations]
        after = _counted_after(tokens, i + 1, words) if counted else tokens[i + 1 : i + 1 + UNIT_REACH]
        near = before + after
        if (t[:1].isdigit() or t in words) and any(u in units for u in near):
            return True
    return "$" in units and bool(re.search(r"\$\s?\d|\d\s?\$", text))


def answers_number(
    question_tokens: list[str],
    unit: str,
    text: str,
    tokens: list[str],
    accented: bool,
    names: frozenset[str] = frozenset(),
    restored: Sequence[str] = (),
) -> bool:
    """Stricter than carries_type for "bao nhiêu": the number must be of what is asked: a duration for
    "bao lâu", money for "giá bao nhiêu" / "bao nhiêu tiền", a share for "tỷ lệ", and otherwise the counted
    word beside it ("7 người" for "bao nhiêu người") when the question names one. `names`: the question's
    syllables that belong to names ("Tiền" of "Tràng Tiền" is not money); cues are matched with
    diacritics when the question has them. `restored`: a question typed without diacritics, restored
    (diacritics.DiacriticRestorer); money is asked for when its restored words say so, since the cues
    folded are other words too ("gia đình", "phát hiện", "số lượng", "khán giả")."""
    words = [t for t in question_tokens if t not in names]
    spaced = " " + " ".join(words) + " "

    def asks(cue: str) -> bool:
        return f" {cue if accented else fold(cue)} " in spaced

    def asks_money() -> bool:
        if accented or not restored:
            text, key = spaced, (lambda w: w) if accented else fold
        else:  # names: folded
            text, key = " " + " ".join(t for t in restored if fold(t) not in names) + " ", (lambda w: w)
        for phrase in NOT_MONEY:
            text = text.replace(f" {key(phrase)} ", " ")
        return any(f" {key(cue)} " in text for cue in MONEY_CUES)

    if asks_score(words):
        return bool(SCORE.search(text))
    if asks("bao lâu"):
        return _numbers_with(tokens, text, DURATION_UNITS, accented)
    if asks("tỷ lệ") or asks("tỉ lệ") or asks("phần trăm"):  # "35%", "hai phần ba", "cứ 4 người thì có 1"
        folded = " " + fold(text.lower()) + " "
        return "%" in text or " phan " in folded or " cu " in folded or bool(re.search(r"\d\s*/\s*\d", text))
    counts = bool(unit) and unit not in names and fold(unit) not in ("tien", "phan", "lan", "nguoi")  # often left out
    if counts and fold(unit) not in FOLDED_MONEY_UNITS:  # "phạt bao nhiêu năm tù" counts years
        return _numbers_with(tokens, text, {unit}, accented, counted=True)
    if asks_money():
        return _numbers_with(tokens, text, MONEY_UNITS, accented)
    if counts:
        return _numbers_with(tokens, text, {unit}, accented, counted=True)
    return True


# What an English number question asks for, as the Vietnamese sentence writes it: "how fast" a speed,
# "how long" a duration, "how old" an age ... (the Vietnamese questions' counterpart is answers_number).
_MEASURE = r"\d[\d.,]*\s*(?:km|m|mét|cm|mm|ha|hecta|héc-ta|km2|m2|dặm|feet|inch)\b"
ENGLISH_NUMBER_KINDS = tuple(
    (re.compile(cue, re.IGNORECASE), re.compile(answer, re.IGNORECASE))
    for cue, answer in (
        (r"\bhow fast\b|\bwhat speed\b", r"\d\s*(?:km|m|dặm|hải lý)\s*/\s*(?:h|giờ|s|giây)\b|\d\s*km/h"),
        (
            r"\bhow long\b",
            r"\d[\d.,]*\s*(?:năm|tháng|ngày|giờ|phút|giây|tuần|tiếng)\b|\b(?:một|hai|ba|vài)\s+(?:năm|tháng|ngày|tuần)\b",
        ),
        (r"\bhow old\b|\bwhat age\b|\bat what age\b", r"\btuổi\b"),
        (r"\bwhat percent|\bwhat share\b|\bwhat proportion\b", r"%|phần trăm"),
        (r"\bhow (?:far|tall|high|deep|wide|large|big)\b", _MEASURE),
        (r"\bwhat (?:rank|position|place)\b", r"\b(?:thứ|hạng)\s+\d+|\bthứ (?:nhất|nhì|hai|ba|tư|năm)\b"),
        (
            r"\bhow much\b.*\b(?:cost|price|pay|paid|fine|worth|money|budget|spend|spent|charge)",
            r"\d[\d.,]*\s*(?:đồng|usd|euro|yên|bảng|triệu|tỷ|tỉ|nghìn|ngàn|đô|\$)|\$\s?\d",
        ),
    )
)


@lru_cache(maxsize=1024)
def english_measure(question: str) -> re.Pattern[str] | None:
    """How a Vietnamese sentence writes the measure an English number question names, or None ("how many")."""
    return next((answer for cue, answer in ENGLISH_NUMBER_KINDS if cue.search(question)), None)


def answers_english_number(question: str, text: str) -> bool:
    """Whether the sentence holds a number of the kind an English question asks for; any number but a
    bare year when its words name no kind ("how many")."""
    if measure := english_measure(question):
        return bool(measure.search(text))
    return any(not YEAR.fullmatch(m.group()) for m in COUNT.finditer(text))


PERIOD = re.compile(r"\b(?:1[5-9]|20)\d\d\s*[-–]\s*(?:1[5-9]|20)\d\d\b")  # "giai đoạn nào": "2021-2026"
YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b|\b(?:năm|nam)\s+\d+", re.IGNORECASE)
MONTH = re.compile(r"\b(?:tháng|thang)\s+(?:\d+|giêng|chạp|gieng|chap)|\b\d{1,2}[/.-]\d{1,2}\b", re.IGNORECASE)
DAY = re.compile(
    r"\b\d{1,2}[/.-]\d{1,2}\b|\b(?:ngày|ngay|mùng|mung|hôm|hom)\s+\d+|"
    rf"\b(?:{RELATIVE_DAYS}|hôm kia|tối nay|sáng qua|chiều qua|"
    r"hom nay|hom qua|toi qua|chu nhat|thu (?:hai|ba|tu|nam|sau|bay))\b",
    re.IGNORECASE,
)


def answers_date(question_tokens: list[str], text: str) -> bool:
    """Stricter than carries_type for a date: of the precision asked: a year for "năm nào", a month for
    "tháng nào/mấy", a day for "ngày nào", a time for "mấy giờ"; any date for "khi nào"."""
    pattern = asked_precision(question_tokens)
    return pattern is None or bool(pattern.search(text))


def asked_precision(question_tokens: list[str]) -> re.Pattern[str] | None:
    """What a date must hold for the question ("năm nào": a year, "giai đoạn nào": a span of years); None
    when any date answers ("khi nào")."""
    spaced = " " + " ".join(fold(t) for t in question_tokens) + " "
    for cues, pattern in (
        ((" may gio ", " gio nao "), CLOCK),
        ((" ngay nao ", " ngay may ", " hom nao ", " what day ", " what date "), DAY),
        ((" thang nao ", " thang may "), MONTH),
        ((" nam nao ", " nam may ", " what year ", " which year "), YEAR),
    ):
        if any(c in spaced for c in cues):
            return pattern
    return PERIOD if period_at([fold(t) for t in question_tokens]) >= 0 else None


_HOLDER_QUESTIONS = (r"^ ai la (?:\w+ )?{t} ", r"^ {t} .* la ai $", r"^ (?:\w+ )?{t} .* ten (?:la )?gi $", r" {t} nao ")
HOLDER_REACH = 12  # words before a name where its title may stand ("Phó Bí thư Thường trực quận ủy Hoàn Kiếm X")
_BODIES = frozenset("ubnd hdnd mttq tand vksnd".split())  # acronyms of bodies, typed lower case too


@lru_cache(maxsize=1024)  # asked by refusal and by compose for the same question
def asked_title(question: str) -> tuple[str, str] | None:
    """The title whose holder a question asks for, folded, with its "phó", and the acronym of its body after
    it ("Ai là Phó Chủ tịch UBND quận?": ("pho chu tich", "ubnd"); "do Phó Thủ tướng nào": ("pho thu
    tuong", "")); None for any other question ("Ai được bổ nhiệm làm đại diện ...?" asks who got a post,
    "đổ lỗi cho ai về cái chết của tiến sĩ Kelly" names a title in passing)."""
    raw = _WORDS.findall(question)
    words = [fold(w.lower()) for w in raw]
    spaced = " " + " ".join(words) + " "
    held = [t for t in TITLES if f" {t} " in spaced]
    if not held:
        return None
    title = max(held, key=len)
    title = f"pho {title}" if f" pho {title} " in spaced else title
    if not any(re.search(p.format(t=title), spaced) for p in _HOLDER_QUESTIONS):
        return None
    n = len(title.split())
    at = next(i for i in range(len(words)) if words[i : i + n] == title.split())
    body = raw[at + n] if at + n < len(raw) else ""
    acronym = (len(body) > 1 and body.isupper()) or fold(body.lower()) in _BODIES
    return title, fold(body.lower()) if acronym else ""


# capitalised first words of offices and bodies, not of names ("Ban Thường vụ", "Quận ủy", "Sở Y tế")
_NOT_NAMES = frozenset("ban uy hoi quan phuong huyen tinh xa bo so cuc vien phong toa doan dang".split())


def _name_like(word: str) -> bool:
    """A word of a name, foreign ones too: "Lanh", "M.Mansour", "Stetsiv-Herman"."""
    parts = [p for p in re.split(r"[-.]", word) if p]
    return bool(parts) and all(p.isalpha() for p in parts) and word[0].isupper() and is_name_word(parts[-1])


def holds_title(text: str, asked: tuple[str, str], q_words: set[str]) -> bool:
    """Whether the sentence names someone with that title: just before the name ("Bí thư Quận ủy Hoàn Kiếm
    Vũ Đăng Định") or after its dash, comma or "là" ("Phạm Tuấn Long - Phó Bí thư Quận ủy, Chủ tịch UBND quận");
    `asked` (asked_title) and `q_words` folded; the body's acronym matches its words written out ("UBND":
    "Ủy ban nhân dân"). No one holds "Phó Chủ tịch UBND quận" in "Phạm Tuấn Long - Phó Bí thư Quận ủy, Chủ tịch
    UBND quận" nor in "Nguyễn Thị Phương Chung - UVTV, Phó Chủ tịch HĐND quận"."""
    raw = text.split()
    words = [w.strip(_TRAILING + '(“‘"') for w in raw]
    folded = [fold(w.lower()) for w in words]

    title, body = asked
    head = title.split()

    def within(window: list[str]) -> bool:
        n = len(head)
        for k in range(len(window) - n + 1):
            if window[k : k + n] == head:
                rest = window[k + n :]
                if not body or rest[:1] == [body] or "".join(w[:1] for w in rest[: len(body)]) == body:
                    return True
        return False

    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _name_like(words[j]) and folded[j] not in q_words:
            j += 1
            if raw[j - 1][-1:] in _TRAILING:
                break
        named = any(w.lower() in SURNAMES for w in words[i:j])  # "Hoàng" is a surname; "Trưởng" no "Trương"
        office = folded[i] in _NOT_NAMES and words[i].lower() not in SURNAMES  # "Đảng", not "Đặng" (both "dang")
        if j > i and (named or not titles_in(" ".join(words[i:j]))) and not office:  # "Trưởng"
            # "X, Chủ tịch ...", "X - Chủ tịch ..."; "X là chủ tịch ..." with the title right after "là"
            apposition = raw[j - 1].endswith(",") or (j < len(raw) and folded[j] in ("-", "–", "—"))
            copula = j < len(raw) and folded[j] in ("la", "lam")
            if copula and within(folded[j + 1 : j + 3 + len(head)]):
                return True
            # neither window crosses into another item of a list: "...; Phó Chủ tịch UBND quận, ..."
            start = max(
                [i - HOLDER_REACH, 0] + [k + 1 for k in range(max(i - HOLDER_REACH, 0), i) if raw[k][-1:] == ";"]
            )
            stop = next((k + 1 for k in range(j, min(j + 16, len(raw))) if raw[k][-1:] == ";"), j + 16)
            if within(folded[start:i]) or (apposition and within(folded[j:stop])):
                return True
        i = max(j, i + 1)
    return False


def name_beside_question(text: str, q_words: set[str], accented: bool) -> bool:
    """A name the question lacks right next to two of its words: "Bí thư Quận ủy Hoàn Kiếm Vũ Đăng Định"
    for "Ai là Bí thư Quận ủy Hoàn Kiếm?"; not a deputy's ("Phó Bí thư ...") unless the question asks for one."""
    raw = text.split()
    words = [w.strip(_TRAILING + '(“‘"') for w in raw]
    ends = [w != w.rstrip(_TRAILING) or not w.strip(_TRAILING) for w in raw]  # punctuation after the word
    in_question = [(w.lower() if accented else fold(w.lower())) in q_words for w in words]

    deputy_asked = ("phó" if accented else "pho") in q_words
    q_folded = {fold(w) for w in q_words}
    asked_titles = [t for t in TITLES if set(t.split()) <= q_folded]

    def question_pair(a: int) -> bool:  # words a, a+1 are question words with nothing between
        if not (a >= 0 and a + 1 < len(words) and in_question[a] and in_question[a + 1] and not ends[a]):
            return False
        while a > 0 and in_question[a - 1] and not ends[a - 1]:  # where this stretch of them starts
            a -= 1
        if deputy_asked:  # "Phó Chủ tịch HĐND quận" asked: "Chủ tịch HĐND quận" is another's title
            b = a
            while b + 1 < len(words) and in_question[b + 1] and not ends[b]:
                b += 1
            return fold(words[a].lower()) == "pho" or not titles_in(" ".join(words[a : b + 1]))
        return a == 0 or fold(words[a - 1].lower()) != "pho"

    def other_title_before(i: int) -> bool:  # "Bí thư Quận ủy Hoàn Kiếm Vũ Đăng Định" for "Ai là Chủ tịch ...?"
        m = i
        while m > 0 and not ends[m - 1] and i - m < 10:
            m -= 1
        held = titles_in(" ".join(words[m:i]))  # the longest is the name's: "phó bí thư", not its "phó"
        return bool(held and asked_titles) and not set(fold(max(held, key=len)).split()) <= q_folded

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
        while j < len(words) and is_name_word(words[j]) and not in_question[j]:
            j += 1
            if ends[j - 1]:
                break
        if (
            j - i >= 2
            and not any(ends[i : j - 1])
            and (
                (question_pair(i - 2) and not ends[i - 1] and not deputy_before(i) and not other_title_before(i))
                or (not ends[j - 1] and question_pair(j))
                or (not ends[j - 1] and _titled(words, raw, j, question_pair))
            )
        ):
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


def longest_run(q_tokens: list[str], tokens: list[str]) -> int:
    """Length of the longest stretch of the question's syllables found word for word in the sentence."""
    where: dict[str, list[int]] = {}
    for i, t in enumerate(q_tokens):
        where.setdefault(t, []).append(i)
    best, previous = 0, {}  # type: int, dict[int, int]
    for t in tokens:
        current = {i: previous.get(i - 1, 0) + 1 for i in where.get(t, ())}
        best = max(best, *current.values(), 0)
        previous = current
    return best


def fills_slot(tokens: list[str], slot: tuple[str, str], q_words: set[str], accented: bool) -> bool:
    """Whether new content stands where the question's word would be: after its left word or just
    before its right word."""
    left, right = slot

    def new(t: str) -> bool:
        return t not in q_words and t.isalpha() and not is_stopword(t, accented)

    return any(
        (left and a == left and new(b)) or (right and b == right and new(a)) or (right and c == right and new(a))
        for a, b, c in zip(tokens, tokens[1:], tokens[2:] + [""])
    )


def local_weights(weights: dict[str, float], sentences: dict[str, list[str]]) -> dict[str, float]:
    """The question's syllable weights times their rarity among the candidate sentences: a name every
    retrieved sentence repeats ("Hốt Tất Liệt") says little about which sentence answers, the verb
    only one has ("phân chia") says much."""
    sets = [set(t) for t in sentences.values()]
    local = {t: w * math.log((len(sets) + 1) / (sum(t in s for s in sets) + 0.5)) for t, w in weights.items()}
    return local if sum(local.values()) > 0 else {}


def capitalised(text: str) -> list[str]:
    return [w for w in _WORDS.findall(text) if w[:1].isupper()]


def _has_new_name(
    text: str, question_words: set[str], accented: bool, min_words: int = 3, foreign: bool = False
) -> bool:
    """A personal name in the sentence that the question does not already contain; with `foreign`, a
    single word no Vietnamese syllable is counts too (not the sentence's first). A run that opens a title
    or an institution ("Phó Chủ tịch", "Ban Thường vụ") is not one."""
    run: list[str] = []
    raw = text.split() + [""]
    for i, word in enumerate(raw):
        word = word.strip(".,;:!?()\"“”'‘’-–")
        if len(word) > 1 and word[0].isupper() and word[1:].islower():
            run.append(word)
            continue
        if run and run_opens_compound(run[-1], word) and raw[i - 1][-1:].isalpha():
            run = without_titles(run[:-1])
        named = len(run) >= min_words or (foreign and len(run) == 1 and i > 1 and not is_syllable(run[0]))
        if named and any(t not in question_words for t in tokens_of(" ".join(run), accented)):
            return True
        run = []
    return False


def acting_offices(text: str, q_words: set[str], accented: bool) -> list[tuple[int, int]]:
    """Where offices written with a capital after "do" / "bởi" (by) stand that the question does not
    name whole: who acts in a law or a decision ("... phường do Chủ tịch Ủy ban nhân dân quận bổ nhiệm"
    for "ai bổ nhiệm Chủ tịch Ủy ban nhân dân phường?": "Chủ tịch Ủy ban nhân dân quận"), not an office
    acted on ("bổ nhiệm Chủ tịch, Phó Chủ tịch"). Each ends at its last word the question lacks."""
    lowered, titles = title_forms(text)
    if " do " not in lowered and " bởi " not in lowered and " boi " not in lowered:
        return []
    found = []
    for m in _OFFICE_AFTER_BY[titles is TITLE_WORDS].finditer(lowered):
        if not text[m.start()].isupper():
            continue
        stop = SPAN_END.search(text, m.start())
        words = list(re.finditer(r"\S+", text[m.start() : stop.start() if stop else len(text)]))[:8]
        new = [i for i, w in enumerate(words) if not set(tokens_of(w.group(), accented)) <= q_words]
        if new:
            found.append((m.start(), m.start() + words[new[-1]].end()))
    return found


_BODY_WORDS = frozenset("phường quận xã tỉnh huyện thành phố thị trấn".split())


def subject_office(text: str, q_words: set[str], accented: bool) -> tuple[int, int] | None:
    """The office a sentence opens with, when the question lacks it: who acts ("Chủ tịch UBND phường điều
    hành hoạt động của UBND phường" for "Ai chịu trách nhiệm điều hành …?"). It runs over the title, its
    bodies and names, capitalised, words of place ("UBND phường") and the compounds they open ("quận ủy")."""
    lowered, titles = title_forms(text)
    title = next((t for t in sorted(titles, key=len, reverse=True) if lowered.startswith(t + " ")), None)
    if title is None:
        return None
    end, previous = len(title), title.split()[-1]
    for word in re.finditer(r"\S+", text[len(title) :]):
        plain = word.group().strip(_TRAILING)
        lower = plain.lower()
        if not plain or not (plain[:1].isupper() or lower in _BODY_WORDS or run_opens_compound(previous, lower)):
            break
        end, previous = len(title) + word.start() + len(plain), lower
        if plain != word.group():  # "Quận," : punctuation ends the office
            break
    if set(tokens_of(text[:end], accented)) <= q_words:
        return None
    return 0, end


def _after_by(titles: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t) for t in sorted(titles, key=len, reverse=True))
    return re.compile(r"(?:(?<=\bdo )|(?<=\bbởi )|(?<=\bboi ))(?:" + alternatives + r")(?!\w)")


_OFFICE_AFTER_BY = {True: _after_by(TITLE_WORDS), False: _after_by(TITLES)}  # as written / folded


def run_opens_compound(last: str, following: str) -> str:
    """Whether a capitalised word and the lower-case word after it make a title ("Chủ" + "tịch") or an
    institution's compound ("Quốc" + "hội"): "title", "institution" or ""."""
    pair = f"{last.lower()} {following.lower()}"
    return "institution" if pair in INSTITUTION_WORDS else "title" if pair in TITLE_WORDS else ""


def without_titles(run: list[str]) -> list[str]:
    """A run of capitalised words without the titles that end it ("Kemp Chalmers Phó" → "Kemp Chalmers")."""
    while run and run[-1].lower() in TITLE_WORDS:
        run = run[:-1]
    return run


def sentence_features(
    text: str,
    tokens: list[str],
    cover: float,
    weights: dict[str, float],
    q_words: set[str],
    q_bigrams: set,
    q_names: set[str],
    cues: Cues,
    accented: bool,
    q_tokens: list[str],
) -> dict[str, float]:
    """The sentence's own features (its place among the passages is added by ranking.candidates)."""
    bigrams = set(zip(tokens, tokens[1:]))
    content = [t for t in tokens if not is_stopword(t, accented)]
    new = [t for t in content if t not in q_words]
    positions = [j for j, t in enumerate(tokens) if t in weights]
    span = positions[-1] - positions[0] + 1 if positions else 0
    digit = bool(_DIGIT.search(text))
    count = any(m.group() not in q_words for m in COUNT.finditer(text))
    unit = cues.unit
    counted = bool(unit) and any(a.isdigit() and b == unit for a, b in zip(tokens, tokens[1:]))
    new_name = bool({fold(w) for w in capitalised(text)} - q_names)
    return {
        "coverage": cover,
        "bigrams": len(q_bigrams & bigrams) / len(q_bigrams) if q_bigrams else 0.0,
        "long": min(max(len(tokens) - 40, 0) * 0.002, 0.15),
        "log_length": math.log(len(tokens) + 1),
        "number": float(count and cues.number),
        "time": float(digit and cues.time),
        "person": float(cues.person and _has_new_name(text, q_words, accented)),
        "new_name": float(new_name and (cues.which or cues.person)),
        "definition": float(cues.definition and ("là" in tokens or "la" in tokens)),
        "new_share": len(new) / max(len(content), 1),
        "density": len(positions) / span if span else 0.0,
        "counted": float(counted),  # "10 phòng" for "bao nhiêu phòng"
        "named": float((cues.person or cues.which) and name_beside_question(text, q_words, accented)),
        "phrase": longest_run(q_tokens, tokens) / max(len(q_tokens), 1),
        "slot": float(fills_slot(tokens, cues.slot, q_words, accented)),
        "typed": float(carries_type(cues.type, text, tokens, q_words, accented, cues.score)),
    }


__all__ = ["sentence_features", "carries_type", "name_beside_question", "local_weights", "coverage", "capitalised"]
