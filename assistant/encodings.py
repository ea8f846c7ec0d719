"""Vietnamese text in whatever encoding offices saved it in, to Unicode.

Bytes: UTF-8 (with or without BOM), UTF-16 (BOM or not, either byte order), Windows-1258 (whose
tone marks are combining characters, composed by NFC), TCVN3 (ABC, ".VnTime": one byte per
letter) and VNI (a base letter then a byte for its marks). Text: a .doc/.docx/PDF set in a legacy
font reaches us as Unicode made of the font's Latin-1 look-alikes ("Hµ Néi"), and is repaired line
by line. No library converts TCVN3 or VNI, so the tables are here.

Every choice is made by quality.score: a conversion is kept only where it makes more words valid
Vietnamese syllables, so text that already was good Unicode is never changed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import partial

from .quality import GOOD, score

# TCVN3 (ABC): the character a legacy byte shows as in Latin-1 -> the Vietnamese letter it stands for.
_TCVN3_FROM = "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢§£¤¥¦"
_TCVN3_TO = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ"
assert len(_TCVN3_FROM) == len(_TCVN3_TO)
_TCVN3 = str.maketrans(_TCVN3_FROM, _TCVN3_TO)
# Latin-1 letters Vietnamese itself uses: their presence says nothing about a legacy font.
_VIETNAMESE_LATIN1 = set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
_TCVN3_CHARS = set(_TCVN3_FROM) - _VIETNAMESE_LATIN1

# VNI Windows: marks follow the vowel as separate bytes (lower-case and upper-case glyphs).
_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_VNI_TONES = {"ø": _GRAVE, "ù": _ACUTE, "û": _HOOK, "õ": _TILDE, "ï": _DOT}
_VNI_CIRCUMFLEX = {"â": "", "à": _GRAVE, "á": _ACUTE, "å": _HOOK, "ã": _TILDE, "ä": _DOT}
_VNI_BREVE = {"ê": "", "è": _GRAVE, "é": _ACUTE, "ú": _HOOK, "ü": _TILDE, "ë": _DOT}
_VNI_SINGLE = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(key: str, value: str) -> None:
        for k, v in ((key, value), (key.upper(), value.upper()), (key[0] + key[1:].upper(), value)):
            table.setdefault(k, unicodedata.normalize("NFC", v))

    for base in "aeouy":
        for mark, tone in _VNI_TONES.items():
            add(base + mark, base + tone)
    for base in "aeo":
        for mark, tone in _VNI_CIRCUMFLEX.items():
            add(base + mark, base + "\u0302" + tone)
    for mark, tone in _VNI_BREVE.items():
        add("a" + mark, "a\u0306" + tone)
    for legacy, letter in (("ô", "ơ"), ("ö", "ư")):
        for mark, tone in _VNI_TONES.items():
            add(legacy + mark, letter + tone)
    for legacy, letter in _VNI_SINGLE.items():
        add(legacy, letter)
    return table


_VNI = _vni_table()
_VNI_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(_VNI, key=len, reverse=True)))
_VNI_CHARS = set("".join(_VNI)) - _VIETNAMESE_LATIN1 - set("aeouyAEOUY")
_WORD = re.compile(r"\S+")
MARGIN = 0.2  # a line is converted only when this much more of it becomes valid syllables

NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "cp1258": "Windows-1258",
    "tcvn3": "TCVN3 (ABC)",
    "vni": "VNI",
}


def from_tcvn3(text: str) -> str:
    """TCVN3 look-alikes to Unicode. The capitals font (.VnTimeH) draws capitals at the lower-case
    codes, so a word, or a line, otherwise in capitals is put in capitals."""
    out = []
    for line in text.split("\n"):
        shouting = _mostly_capitals(line)
        out.append(_WORD.sub(partial(_tcvn3_match, shouting=shouting), line))
    return "\n".join(out)


def _tcvn3_match(match: re.Match[str], shouting: bool) -> str:
    return _tcvn3_word(match.group(), shouting)


def _tcvn3_word(word: str, shouting: bool) -> str:
    converted = word.translate(_TCVN3)
    letters = [c for c in word if c.isascii() and c.isalpha()]
    if converted != word and letters and all(c.isupper() for c in letters) and (shouting or len(letters) >= 2):
        return converted.upper()
    return converted


def _mostly_capitals(line: str) -> bool:
    letters = [c for c in line if c.isascii() and c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def from_vni(text: str) -> str:
    return _VNI_PATTERN.sub(lambda m: _VNI[m.group()], text)


_LEGACY = {"tcvn3": (from_tcvn3, _TCVN3_CHARS), "vni": (from_vni, _VNI_CHARS)}


def repair(text: str) -> tuple[str, str | None]:
    """Text set in a TCVN3 or VNI font, converted; returns (text, "tcvn3" | "vni" | None).
    Each line is converted only if more of its words become valid Vietnamese syllables."""
    lines = text.split("\n")
    before = sum(score(line).valid for line in lines)
    best, best_valid, best_name = text, before, None
    for name, (convert, chars) in _LEGACY.items():
        if not any(c in chars for c in text):
            continue
        out, valid = [], 0
        for line in lines:
            fixed = _better(line, convert(line)) if any(c in chars for c in line) else line
            out.append(fixed)
            valid += score(fixed).valid
        if valid > best_valid:
            best, best_valid, best_name = "\n".join(out), valid, name
    return best, best_name


def _better(original: str, converted: str) -> str:
    if converted == original:
        return original
    old, new = score(original), score(converted)
    if new.share >= GOOD and new.share >= old.share + MARGIN:
        return converted
    return original


def decode(data: bytes) -> tuple[str, str]:
    """Bytes of a text file to Unicode NFC; returns (text, encoding name from NAMES)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _nfc(data[3:].decode("utf-8", errors="replace")), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _nfc(data.decode("utf-16")), "utf-16"
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _nfc(data.decode(utf16, errors="replace")), utf16
    try:
        return _nfc(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = {
        "cp1258": _nfc(data.decode("cp1258", errors="replace")),
        "tcvn3": from_tcvn3(data.decode("latin-1")),
        "vni": from_vni(data.decode("cp1252", errors="replace")),
    }
    name = max(candidates, key=lambda k: (score(candidates[k]).valid, k == "cp1258"))
    if score(candidates[name]).share < GOOD:  # not Vietnamese in any of them: binary, or another language
        raise UnicodeDecodeError("utf-8", data, 0, len(data), "no Vietnamese encoding fits")
    return _nfc(candidates[name]), name


def _utf16_without_bom(data: bytes) -> str | None:
    """Text of mostly Latin letters in UTF-16 has a zero in every other byte."""
    sample = data[:4000]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
