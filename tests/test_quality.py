"""The one "good Vietnamese" scorer behind encoding detection and the text-layer-or-OCR choice."""

import json

from helpers import ROOT

from assistant.quality import GOOD, is_syllable, plain_latin, score, vietnamese_share

DATA = ROOT.parent / "shared" / "data"


def test_valid_syllables_with_tones_vowel_marks_and_clusters():
    for word in ("nghiêng", "khuyết", "quốc", "thuở", "người", "Đường", "gì", "ở", "oằn", "quỳnh", "hoà", "hòa"):
        assert is_syllable(word), word


def test_mojibake_and_impossible_spellings_are_not_syllables():
    for word in ("Néi", "lµ", "ViÖt", "chaøo", "bạc̀", "hátt", "sáchk", "tiếngg", "cafộ"):
        assert not is_syllable(word), word
    assert not is_syllable("bạch" + "\u0300")  # two tone marks
    assert not is_syllable("mạnx")


def test_a_stop_final_takes_only_the_rising_or_heavy_tone():
    assert is_syllable("học") and is_syllable("hóc") and is_syllable("hoc")
    assert not is_syllable("hòc") and not is_syllable("hỏt")


def test_real_news_text_scores_high_and_its_mojibake_low():
    with open(DATA / "vntc_news.docs.jsonl", encoding="utf-8") as handle:
        texts = [json.loads(next(handle))["text"] for _ in range(50)]
    shares = [vietnamese_share(t) for t in texts]
    assert min(shares) > 0.8 and sum(shares) / len(shares) > 0.93  # the rest: abbreviations, foreign names
    assert vietnamese_share("Hµ Néi lµ thñ ®« cña ViÖt Nam, thµnh phè ngh×n n¨m v¨n hiÕn") < 0.3 < GOOD


def test_plain_latin_text_is_recognised_as_such():
    assert plain_latin("The annual report covers revenue and costs")
    assert not plain_latin("Báo cáo thường niên về doanh thu")
    assert score("").share == 0.0 and score("2024 - 15/3").words == 0
