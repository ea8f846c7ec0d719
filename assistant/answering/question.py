"""Question analysis: what kind of answer the question asks for (person, role, number, date, place,
reason, manner, content, definition, yes/no), where in a sentence that answer would stand, which names
the question names, and whether it is written in English rather than Vietnamese."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..text import fold, has_diacritics, is_english, is_syllable  # noqa: F401 (re-exported)
from .terms import is_stopword, period_at, tokens_of

ANSWER_TYPES = (
    "person",
    "organization",
    "name",
    "role",
    "number",
    "date",
    "place",
    "reason",
    "manner",
    "content",
    "definition",
    "yesno",
    "other",
)
# Cues on the folded question padded with spaces, in the order they are tried: the first type whose cue
# appears wins ("ai giữ chức vụ" asks for a person, "giữ chức vụ gì" for a role).
TYPE_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("date", (" thang may ", " ngay may ", " nam may ", " thu may ", " luc may gio ", " may gio ")),
    (
        "number",
        (
            " bao nhieu ",
            " may ",
            " so luong ",
            " ty le ",
            " bao lau ",
            " how many ",
            " how much ",
            " how long ",
            " what percentage ",
            " how old ",
            " muc phat ",
            " gia bao ",
            " ty so nao ",
            " ti so nao ",
        ),
    ),
    (
        "date",
        (
            " khi nao ",
            " nam nao ",
            " ngay nao ",
            " bao gio ",
            " luc nao ",
            " thang nao ",
            " thoi gian nao ",
            " thoi diem nao ",
            " when ",
            " what year ",
            " what date ",
            " which year ",
            " what day ",
            " hom nao ",
            " dip nao ",
            " mua nao ",
        ),
    ),
    (
        "person",
        (
            " ai ",
            " nguoi nao ",
            " vi nao ",
            " ong nao ",
            " ba nao ",
            " dong chi nao ",
            " who ",
            " whom ",
            " whose ",
            " cau thu nao ",
            " tay vot nao ",
            " van dong vien nao ",
            " hlv nao ",
            " tac gia nao ",
        ),
    ),
    (
        "role",
        (
            " chuc vu ",
            " chuc danh ",
            " cuong vi ",
            " vai tro gi ",
            " giu chuc ",
            " what position ",
            " what title ",
            " what role ",
            " what post ",
            " lam nghe gi ",
            " nghe nghiep ",
            " what job ",
        ),
    ),
    (
        "place",
        (
            " o dau ",
            " tai dau ",
            " dau ",
            " noi nao ",
            " dia diem ",
            " tinh nao ",
            " thanh pho nao ",
            " nuoc nao ",
            " quoc gia nao ",
            " where ",
            " what country ",
            " which country ",
            " what city ",
            " which city ",
            " san nao ",
            " benh vien nao ",
            " dia phuong nao ",
            " quan nao ",
            " huyen nao ",
            " xa nao ",
            " phuong nao ",
            " bang nao ",
            " san van dong nao ",
            " vung nao ",
            " khu vuc nao ",
            " chau luc nao ",
            " thu do nao ",
            " which state ",
        ),
    ),
    # a proper name: "Vợ ông tên là gì?", "Chiếc phà mang tên gì?"
    (
        "name",
        (
            " ten la gi ",
            " ten gi ",
            " ho ten ",
            " ten that ",
            " ten day du ",
            " ten goi ",
            " what is the name ",
            " named ",
        ),
    ),
    ("reason", (" vi sao ", " tai sao ", " ly do ", " nguyen nhan ", " why ", " de lam gi ", " vi dau ", " muc dich ")),
    ("manner", (" nhu the nao ", " the nao ", " bang cach nao ", " ra sao ", " how ", " cach nao ")),
    ("definition", (" la gi ", " goi la ", " nghia la ", " what is ", " what are ", " what does ", " la cai gi ")),
    (
        "content",
        (
            " gom nhung ",
            " bao gom ",
            " nhung gi ",
            " noi dung ",
            " nhung nao ",
            " ban ve ",
            " quy dinh gi ",
            " gi ",
            " what ",
            " which ",
            " nao ",
            " list ",
        ),
    ),
)
YESNO_ENDS = (" khong", " chua", " phai khong", " dung khong", " co phai")
YESNO_STARTS_EN = ("is ", "are ", "was ", "were ", "did ", "does ", "do ", "can ", "has ", "have ", "will ")

NUMBER_CUES = ("bao nhieu", "may ", "so luong", "ty le", "bao lau")
PERSON_CUES = ("ai ", "nguoi nao", "vi nao", "ong nao", "ba nao", "dong chi nao")
TIME_CUES = ("khi nao", "nam nao", "ngay nao", "bao gio", "thoi gian nao", "luc nao", "thang nao")
_TRAILING = ".,;:!?)\"'”’"


@dataclass(frozen=True)
class Cues:
    """What the question asks for, from its (folded) wording."""

    type: str
    number: bool
    time: bool
    person: bool
    which: bool
    definition: bool
    unit: str  # the word a "bao nhiêu" question counts
    slot: tuple[str, str]
    score: bool = False  # a number question asking for a score (asks_score)

    def __getitem__(self, key: str):  # the features read cues by name
        return getattr(self, key)


# Question words whose folded spelling other words share: in a question with diacritics only the
# question word itself is a cue ("người máy" is a robot, not "mấy"; "đầu tư" is not "đâu").
# ("cảnh báo nhiều doanh nghiệp" does not ask "bao nhiêu"; "treo giò" is not "bao giờ")
_CUE_SPELLING = {
    "may": "mấy",
    "dau": "đâu",
    "ai": "ai",
    "nao": "nào",
    "gi": "gì",
    "sao": "sao",
    "nhieu": "nhiêu",
    "gio": "giờ",
    "lau": "lâu",
    "khi": "khi",  # "loại khí nào" asks for a gas, not "khi nào"
}
# A quotation in a question is what was said or written, not what is asked: "Câu nói 'Yêu là không bao
# giờ phải nói hối tiếc' nổi tiếng từ bộ phim nào?" asks for a film, not a date.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|(?<!\w)'[^']*'(?!\w)|‘[^’]*’")
# "<kind of person> nào" asks for a person, "<kind of organisation> nào" for an organisation's name.
PERSON_NOUNS = tuple(
    f" {n.strip()} "
    for n in """nha nghien cuu|dao dien|nhac si|ca si|dien vien|cau thu|hlv|huan luyen vien|tac gia|nha van|nha tho|
    hoa si|bac si|giao su|tien si|chuyen gia|thu tuong|pho thu tuong|bo truong|thu truong|chu tich|pho chu tich|
    giam doc|tong thong|quan chuc|lanh dao|nguoi|nhan vat|thi sinh|vdv|van dong vien|tay vot|tay dua|ky thu|nha bao|
    nha khoa hoc|thu mon|tien dao|trong tai|bi thu|doanh nhan|ty phu|hoa hau|nguoi mau|sinh vien|hoc sinh|
    nghe si|tuong|nguyen thu|thu linh|nha vua|hoang tu|cong chua""".replace("\n", "").split("|")
)
# ("tờ báo nào", not "báo nào": folded, "bao nao" is as often "cơn bão nào")
ORGANIZATION_NOUNS = tuple(
    f" {n.strip()} "
    for n in """hang|cong ty|tap doan|truong|nha xuat ban|doi|doi bong|cau lac bo|clb|to chuc|coquan|ngan hang|
    to bao|tap chi|donvi|doanh nghiep|nha mang|hang phim|ban nhac|nhom nhac|quy|vien|dai truyen hinh|
    kenh|trang web|website|hang hang khong|hang xe|nha san xuat|thuong hieu|nhan hieu|dang|bo|so|nganh""".replace(
        "\n", ""
    ).split("|")
)


# Typed without diacritics, "may" is as often "máy" (a machine) or "may" (sewing) as "mấy": not a
# question word beside the words that make those ("nha may", "may bay", "det may").
_MAY_BEFORE = set("nha det nguoi chiec bo cai con tau cac nhung".split())  # "các máy ThinkPad"
_MAY_AFTER = set(
    """bay tinh choi xach mac anh in quay giat lanh moc nghe phat ui khoan cat xuc ep bom man rui chu thu tau
    khau dieu nen hut loc pha say han phay tien cay gat keo chieu do dem ao o ra man""".split()
)


# Typed without diacritics, "dau" after these is "đấu" / "đầu" ("thi đấu", "bắt đầu", "hàng đầu"), not "đâu".
# "che dấu", "tinh dầu", "xăng dầu", "giá dầu", "nhức đầu", "cúi đầu", "lần đầu", "cầm đầu"
_DAU_BEFORE = set("thi bat hang dung ban mo dan khoi tran giai chien che tinh xang gia nhuc cui lan cam".split())
# ... and before these, "đầu" / "đậu" / "dầu" / "đấu" ("đầu tiên", "đầu tư", "đậu nành", "dầu mỏ", "đấu tranh")
_DAU_AFTER = set("tien tu nanh bep mo khi moi tranh".split())
# typed without diacritics, "bao nhieu" after these is "báo nhiều" ("cảnh báo nhiều doanh nghiệp", "thông báo")
_BAO_BEFORE = set("canh thong".split())
# typed without diacritics, "khi nao" after these is "khí nào" (a gas): "những khí nào", "loại khí nào"
_KHI_BEFORE = set("nhung cac loai chat".split())


def is_question_may(words: list[str], i: int, accented: bool) -> bool:
    """Whether words[i] (lower case) is the question word "mấy"."""
    if accented:
        return words[i] == "mấy"
    if words[i] != "may":
        return False
    before = words[i - 1] if i else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    return before not in _MAY_BEFORE and after not in _MAY_AFTER


def _is_question_dau(words: list[str], i: int) -> bool:
    """Whether words[i], "dau" typed without diacritics, is the question word "đâu"."""
    after = words[i + 1] if i + 1 < len(words) else ""
    return not ((i and words[i - 1] in _DAU_BEFORE) or after in _DAU_AFTER)


def _cue_text(text: str) -> str:
    """The question folded and padded with spaces, words that only look like question words blanked."""
    unquoted = _QUOTED.sub(" ", text)
    words = re.findall(r"\w+", (unquoted if len(unquoted.split()) >= 2 else text).lower())
    if has_diacritics(text):
        words = [w if _CUE_SPELLING.get(fold(w), w) == w else "_" for w in words]
    else:
        words = [
            "_"
            if (w == "may" and not is_question_may(words, i, False))
            or (w == "dau" and not _is_question_dau(words, i))
            or (w == "khi" and i and words[i - 1] in _KHI_BEFORE)
            or (w == "bao" and i and words[i - 1] in _BAO_BEFORE)
            else w
            for i, w in enumerate(words)
        ]
    return _joined(" " + " ".join(fold(w) for w in words) + " ")


def _joined(folded: str) -> str:
    """ "đơn vị nào" asks for an organisation, not for "vị nào" (a person); "cơ quan nào" not for "quận nào"
    (a place)."""
    return folded.replace(" don vi ", " donvi ").replace(" co quan ", " coquan ")


WHICH_REACH = 6  # words before "nào" where the kind of thing asked for may stand ("hãng lữ hành nước ngoài nào")


# Function words (folded, sharing no spelling with a kind's words) that end the phrase before "nào"
_NOT_IN_KIND = frozenset("boi nhung cua la va cac duoc voi theo".split())  # "người cư xử theo cách nào"


def _which_kind(folded: str) -> str:
    """ "person" or "organization" for "đạo diễn nào" / "hãng lữ hành nào", or "": the kind nearest "nào"."""
    at = folded.find(" nao ")
    if at < 0:
        return ""
    words = folded[:at].split()[-WHICH_REACH:]
    for start in range(len(words) - 1, -1, -1):
        if words[start] in _NOT_IN_KIND:  # "bị thu hút bởi những chất nào" asks for no "bí thư"
            break
        head = " " + " ".join(words[start:]) + " "
        for kind, nouns in (("person", PERSON_NOUNS), ("organization", ORGANIZATION_NOUNS)):
            if any(head.startswith(n) for n in nouns):
                return kind
    return ""


# An English question's type is that of its first question word ("Where is the lab whose ...": a place);
# at one position the longest cue wins ("how many" over "how").
ENGLISH_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "number",
        (
            "how many",
            "how much",
            "how long",
            "how old",
            "how fast",
            "how large",
            "how big",
            "how far",
            "how tall",
            "how high",
            "how deep",
            "how heavy",
            "how often",
            "what percentage",
            "what share",
            "what rank",
            "what score",
            "what price",
        ),
    ),
    ("date", ("when", "what year", "which year", "what date", "what day", "what time", "what month")),
    ("person", ("who", "whom", "whose")),
    ("role", ("what position", "what title", "what role", "what post", "what job")),
    (
        "place",
        ("where", "what country", "which country", "what city", "which city", "which province", "what province"),
    ),
    ("name", ("what is the name", "what was the name", "what name")),
    ("reason", ("why", "for what reason")),
    ("manner", ("how",)),
    ("content", ("what are the", "what were the")),  # "What are the departments ...?": a list
    ("definition", ("what is", "what are", "what does", "what was", "what were")),
    ("content", ("what", "which", "list")),
)


_WHO_NAMED_EN = re.compile(r"^\s*who\s+(?:is|was)\s+((?:[A-Z][\w'.-]*\s*){1,5})\W*$", re.IGNORECASE)


def _english_type(text: str) -> str:
    named = _WHO_NAMED_EN.match(text)
    if named and all(w[:1].isupper() for w in named.group(1).split()):
        return "role"  # "Who is Pham Tuan Long?": what he is (asks_who_named)
    lowered = " " + " ".join(re.findall(r"[\w']+", text.lower())) + " "
    found = [
        (at, -len(cue), kind) for kind, cues in ENGLISH_CUES for cue in cues if (at := lowered.find(f" {cue} ")) >= 0
    ]
    if found:
        return min(found)[2]
    return "yesno" if lowered.strip().startswith(YESNO_STARTS_EN) else "other"


# "vào thứ mấy", "hôm nay là thứ mấy" ask for a weekday; "xếp thứ mấy", "phút thứ mấy" for a rank or an ordinal
_WEEKDAY_BEFORE = ("vao", "la", "hom", "nay", "ngay", "sang", "chieu", "toi")


def asks_ordinal(folded: str) -> bool:
    """Whether the folded question, padded with spaces, asks "thứ mấy" for a rank or an ordinal."""
    at = folded.find(" thu may ")
    before = folded[:at].split() if at >= 0 else []
    return bool(before) and before[-1] not in _WEEKDAY_BEFORE


# the commonest Vietnamese surnames, as written, lower case (not "hà", "thái", "văn": "Hà Nội", "Thái Bình")
SURNAMES = frozenset(
    """nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đinh đào đoàn trịnh mai lương lưu
    tạ cao chu tô vương quách lâm triệu mạc kiều tăng tôn thân nghiêm doãn diệp phùng trương tống lại""".split()
)
# folded, those no common word shares ("do", "le", "dang", "mai", "cao" are words too)
_FOLDED_SURNAMES = frozenset(
    "nguyen tran pham hoang huynh phan vu vo bui ngo duong dinh dao doan trinh luong luu trieu kieu nghiem "
    "phung truong tong quach vuong".split()
)
_NAMED_WHO = re.compile(r"^((?:\w[\w'-]*\s+){1,4}\w[\w'-]*)\s*(?:,.*,\s*)?(?:là|la) ai\W*$")


def asks_who_named(text: str) -> bool:
    """Whether a question asks who a person it names is ("Phạm Tuấn Long là ai?", "Ulrich Bernier, người
    nghiên cứu ..., là ai?"): what they are, their titles, not a name. Typed all lower case, the name is
    told by its surname ("pham tuan long la ai")."""
    found = _NAMED_WHO.match(text.strip())
    if not found:
        return False
    words = found.group(1).split()
    if any(w[:1].isupper() for w in words):
        return all(w[:1].isupper() and not w.isupper() for w in words)
    return not has_diacritics(text) and fold(words[0]) in _FOLDED_SURNAMES and "," not in text


def answer_type(text: str) -> str:
    """One of ANSWER_TYPES for a question, Vietnamese (with or without diacritics) or English."""
    if is_english(text):
        return _english_type(text)
    if asks_who_named(text):
        return "role"
    folded = _cue_text(text)
    if asks_ordinal(folded):
        return "number"
    for kind, cues in TYPE_CUES:
        if kind == "content" and folded.rstrip().endswith(YESNO_ENDS):
            break
        if any(c in folded for c in cues) or (kind == "date" and period_at(folded.split()) >= 0):
            return kind  # "là giai đoạn nào": "2021-2026" (terms.period_at)
        if kind == "place" and (which := _which_kind(folded)):  # after the explicit places: "bệnh viện nào"
            return which
    if folded.rstrip().endswith(YESNO_ENDS) or folded.strip().startswith(YESNO_STARTS_EN) or " co phai " in folded:
        return "yesno"
    return "other"


def question_cues(text: str, tokens: list[str], accented: bool) -> Cues:
    folded = _joined(" " + " ".join(fold(t) for t in tokens) + " ")
    return Cues(
        type=answer_type(text),
        number=any(c in folded for c in NUMBER_CUES),
        time=any(c in folded for c in TIME_CUES),
        person=any(f" {c}" in folded for c in PERSON_CUES),
        which=" nao " in folded,
        definition=" goi la " in folded or " la gi " in folded,
        unit=counted_unit(tokens),
        slot=answer_slot(tokens, accented),
        score=asks_score(tokens),
    )


def asks_score(question_tokens: Sequence[str]) -> bool:
    """Whether a number question asks for a score ("tỷ số bao nhiêu", "ti so nao"): "3-1", not a count."""
    folded = [fold(t) for t in question_tokens]
    return any(a in ("ty", "ti") and b == "so" for a, b in zip(folded, folded[1:]))


def counted_unit(tokens: list[str], restored: Sequence[str] = ()) -> str:
    """The word a "bao nhiêu"/"mấy" question counts ("bao nhiêu phòng" → "phòng"), or "" (none, or a
    word that is not one: "bao nhiêu mỗi tàu", "bao nhiêu để"). `restored`: a question typed without
    diacritics, restored word for word, says whether that word is a function word ("de" is "để" or
    "đề": "bao nhieu de nghi" counts "đề nghị")."""
    folded = [fold(t) for t in tokens]
    accented = tokens != folded
    aligned = not accented and len(restored) == len(tokens)
    for i, t in enumerate(folded):
        is_may = t == "may" and is_question_may(tokens, i, accented)
        after = i + 2 if t == "bao" and i + 1 < len(folded) and folded[i + 1] == "nhieu" else i + 1 if is_may else 0
        if after and after < len(tokens):
            unit = tokens[after]
            function_word = is_stopword(restored[after], True) if aligned else is_stopword(unit, accented)
            so_voi = folded[after : after + 2] == ["so", "voi"]  # "thấp hơn bao nhiêu so với hiện nay"
            return "" if function_word or so_voi or folded[after] in ("moi", "tren") else unit
    return ""


def answer_slot(tokens: list[str], accented: bool) -> tuple[str, str]:
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


def is_name_word(word: str) -> bool:
    """ "Trống", not "UBND", "2021", "phường" or "Trống," (a comma ends the name)."""
    return len(word) > 1 and word.isalpha() and word[0].isupper() and word[1:].islower()


# the capitalised kind of body before its name ("Bộ Công nghiệp", "Sở Y tế"): the name's head, as
# "phường" is of "phường Hàng Trống", not a part of it; as written only ("Viễn Đông" is no "Viện", and
# typed without diacritics "Vien Dong" could be either)
BODY_KINDS = frozenset("bộ sở cục viện ban tòa toà".split())


def _named_runs(question: str) -> list[tuple[str, list[str]]]:
    """(the word before, the name) for each run of capitalised words not starting a sentence."""
    words = question.split()
    runs: list[list[str]] = [[]]
    heads = [""]  # the word before each name: "phường"
    for previous, word in zip(words, words[1:]):  # the first word is capitalised anyway
        if is_name_word(word.rstrip(_TRAILING)) and not (runs[-1] == [] and previous.endswith((".", "?", "!"))):
            if not runs[-1]:
                heads[-1] = fold(previous.lower().strip(_TRAILING + '("“‘'))
                if word.lower() in BODY_KINDS:  # "Bộ Công nghiệp": "bộ" heads "Công nghiệp"
                    heads[-1] = fold(word.lower())
                    continue
            runs[-1].append(word)
            if word == word.rstrip(_TRAILING):
                continue
        runs.append([])
        heads.append("")
    return [(head, run) for head, run in zip(heads, runs) if run]


# Words that put a place's name after them ("phường hàng trống"), the only names found in a question typed
# all in lower case: after any other word the next syllables are as often a common noun ("hội đồng giáo sĩ")
# or a name and a verb ("truong iran tuyen bo"), and checking them refused one answerable question in four.
PLACE_KINDS = frozenset("phuong quan huyen xa tinh duong pho thon lang ap".split())
# syllables that end no two-syllable name: "iran la ai", "tp.hcm ra quyet dinh" (folded)
NOT_IN_NAME = frozenset("la o ra co duoc bi thi da se dang nao gi ai cua voi va tai vao".split())


def _lowercase_runs(question: str, passages_text: list[str]) -> list[tuple[str, list[str]]]:
    """Names in a question typed all in lower case ("chu tich phuong hang trong la ai"): after a word of
    place that the passages use before a name ("phường Hàng Bài"), the next two content syllables."""
    kinds: set[str] = set()
    for text in passages_text:
        words = text.split()
        for a, b in zip(words, words[1:]):
            if a[:1].islower() and a.isalpha() and fold(a) in PLACE_KINDS and is_name_word(b.rstrip(_TRAILING)):
                kinds.add(fold(a))
    words = [w.strip(_TRAILING + '("“‘') for w in question.split()]
    out = []
    after = 0  # a name's own syllables start no name
    for i, w in enumerate(words[:-2]):
        head = fold(w.lower())
        if i >= after and head in kinds:
            name = words[i + 1 : i + 3]  # "hang trong": the second syllable may be a stopword's spelling
            if all(name) and not is_stopword(fold(name[0].lower()), False) and fold(name[1].lower()) not in NOT_IN_NAME:
                out.append((head, name))
                after = i + 3
    return out


def _foreign(word: str) -> bool:
    """A word of a foreign name (no Vietnamese syllable, 5 letters or more): "Clippers", "Shelley"."""
    return len(word) >= 5 and not is_syllable(word)


def _near(a: str, b: str) -> bool:
    """The same word, or a foreign word one letter added, dropped or changed: misspelt or an English plural."""
    if a == b:
        return True
    if not (_foreign(a) and _foreign(b)) or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _spelt(word: str, vocabulary: set[str]) -> bool:
    """Whether the passages have `word`, or a foreign word a letter off."""
    return word in vocabulary or (_foreign(word) and any(_near(word, w) for w in vocabulary if w[:1] == word[:1]))


def missing_names(question: str, passages, single_words: bool = True) -> tuple[bool, bool]:
    """Whether the question names something (capitalised words in a row, not starting a sentence, as in
    "phường Hàng Trống") that none of the passages names, and whether a passage names another thing of
    the same kind instead (the word before the name, "phường", followed by another name: "phường Hàng
    Bài"): documents about another place or person. A longer name counts as named when two of its
    words stand together in a passage ("Grainger Market" for "Chợ Grainger Market"). Compared without
    diacritics, so "Hang Trong" typed that way is checked too; a question typed all in lower case has
    its names found after the words the passages put before names. `single_words`: a one-word name
    counts too (not for English, which capitalises common nouns: "Council")."""
    runs = _named_runs(question)
    words = question.split()
    opening = (fold(words[0].lower()), words[1]) if len(words) > 1 and is_name_word(words[0]) else None
    single = [
        run[0].strip(_TRAILING)
        for head, run in runs  # not "Kiếm" of "Hoàn Kiếm ở đâu?"
        if single_words and len(run) == 1 and len(run[0].strip(_TRAILING)) >= 3 and (head, run[0]) != opening
    ]
    runs = [(head, run) for head, run in runs if len(run) >= 2]
    if not runs and question == question.lower():
        runs = _lowercase_runs(question, [p.text for p in passages])
    named = [(head, {tuple(tokens_of(f"{a} {b}", False)) for a, b in zip(run, run[1:])}) for head, run in runs]
    # a passage's document title names what the whole article is about ("Phương Nga: 'Tình yêu …'")
    passage_tokens = [tokens_of(f"{p.title}\n{p.text}", False) for p in passages]
    # a one-word name ("Huế", "Arsenal") the passages never use: missing, though never "another of its kind"
    vocabulary = set().union(*map(set, passage_tokens)) if passage_tokens else set()
    single_missing = any(not _spelt(fold(w.lower()), vocabulary) for w in single)
    if not named:
        return single_missing, False
    wanted = set().union(*(pairs for _, pairs in named))
    found: set[tuple[str, ...]] = set()
    for tokens in passage_tokens:
        adjacent = set(zip(tokens, tokens[1:]))
        found |= adjacent & wanted
        # written as one word: "Nauy" for "Na Uy"
        present = set(tokens)
        found |= {pair for pair in wanted if "".join(pair) in present}
        # a foreign name a letter off: "Clipper" for "Clippers", "Shelly" for "Shelley"
        found |= {
            (a, b)
            for a, b in wanted - found
            if (_foreign(a) or _foreign(b)) and any(_near(a, x) and _near(b, y) for x, y in adjacent)
        }
    missing = {head for head, pairs in named if not pairs & found}
    if not missing:
        return single_missing, False
    kinds = {head for head in missing if head.isalpha() and not is_stopword(head, False)}
    # the missing names' own words: "dịch vụ Internet" is a part of "dịch vụ Internet Connexion", not another
    own = {fold(w.strip(_TRAILING).lower()) for head, run in runs if head in missing for w in run}
    for p in passages:
        texts = p.text.split()
        for i, (a, b) in enumerate(zip(texts, texts[1:])):
            if not (a[0].islower() and fold(a) in kinds and is_name_word(b.rstrip(_TRAILING))):
                continue
            name = []
            for w in texts[i + 1 :]:
                if not is_name_word(w.rstrip(_TRAILING)):
                    break
                name.append(fold(w.strip(_TRAILING).lower()))
                if w[-1:] in _TRAILING:
                    break
            if not set(name) <= own:  # "phường Hàng Bài" for "phường Hàng Trống"
                return True, True
    return True, False
