"""How much of a text is good Vietnamese: the share of its words that are valid Vietnamese syllables.

One scorer decides both which legacy encoding a text was in (encodings.py) and whether a PDF page's
text layer is kept or the page is read by OCR (pdf.py): mojibake ("Hµ Néi"), a broken font
mapping and a failed OCR all produce words no Vietnamese syllable looks like.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Onsets, longest first so "ngh" is tried before "ng" and "n".
_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|q|r|s|t|v|x"
# Rhymes without tone (vowel marks kept): every rhyme of standard Vietnamese spelling.
_RHYMES = """
a ac ach ai am an ang anh ao ap at au ay ăc ăm ăn ăng ăp ăt âc âm ân âng âp ât âu ây
e ec em en eng eo ep et ê êch êm ên ênh êp êt êu
i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
o oc oi om on ong op ot oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt
oe oen oeo oet ooc oong ô ôc ôi ôm ôn ông ôp ôt ơ ơi ơm ơn ơp ơt
u uc ui um un ung up ut ua uân uâng uât uây uê uêch uên uênh uêt uơ uy uya uych uyên uyêt uyn uynh uyp uyt uyu
uôc uôi uôm uôn uông uôt ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
y yêm yên yêt yêu
""".split()
_SYLLABLE = re.compile(rf"(?:{_ONSETS})?(?:{'|'.join(sorted(_RHYMES, key=len, reverse=True))})")
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng
_STOP_TONES = {"\u0301", "\u0323"}  # a syllable ending in c, ch, p, t takes only sắc or nặng
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
GOOD = 0.6  # the share above which a text reads as Vietnamese


def is_syllable(word: str) -> bool:
    """Whether `word` is spelled as a Vietnamese syllable (with at most one tone mark, where it may go)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    if len(base) > 7 or not _SYLLABLE.fullmatch(base):
        return False
    return not (tones and base.endswith(("c", "ch", "p", "t")) and tones[0] not in _STOP_TONES)


@dataclass(frozen=True)
class Score:
    words: int
    valid: int
    marked: int  # valid syllables carrying a Vietnamese letter (tone or vowel mark, or đ)

    @property
    def share(self) -> float:
        return self.valid / self.words if self.words else 0.0


def score(text: str) -> Score:
    words = _WORD.findall(unicodedata.normalize("NFC", text))
    valid = [w for w in words if is_syllable(w)]
    return Score(len(words), len(valid), sum(1 for w in valid if not w.isascii()))


def vietnamese_share(text: str) -> float:
    """The share of words in `text` that are valid Vietnamese syllables (0 for a text with no words)."""
    return score(text).share


def plain_latin(text: str) -> bool:
    """A text of ASCII words only (English, codes): not Vietnamese, but nothing a re-read would improve."""
    words = _WORD.findall(text)
    return bool(words) and sum(w.isascii() for w in words) >= 0.95 * len(words)
