"""Legacy Vietnamese encodings to Unicode, chosen by the syllable scorer, never corrupting good Unicode."""

import json
import unicodedata

import pytest
from helpers import ROOT
from real_files import to_cp1258, to_tcvn3, to_vni

from assistant.encodings import decode, from_tcvn3, from_vni, repair

SAMPLE = (
    "Chợ Đồng Xuân được xây dựng năm 1889, là chợ lớn nhất Hà Nội. Người dân và du khách đến mua sắm "
    "rất đông, nhất là những ngày giáp Tết Nguyên đán; quầy hàng ở đây bán đủ thứ từ vải vóc đến đồ khô."
)
NEWS = ROOT.parent / "shared" / "data" / "vntc_news.docs.jsonl"


def test_tcvn3_bytes_are_detected_and_converted():
    assert decode(to_tcvn3(SAMPLE)) == (SAMPLE, "tcvn3")


def test_tcvn3_capitals_font_lines_come_back_in_capitals():
    text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n" + SAMPLE
    assert decode(to_tcvn3(text))[0] == text


def test_vni_bytes_are_detected_and_converted():
    assert decode(to_vni(SAMPLE)) == (SAMPLE, "vni")


def test_windows_1258_with_combining_tone_marks_is_composed_to_nfc():
    data = to_cp1258(SAMPLE)
    assert b"\xec" in data or b"\xd2" in data  # tone marks really are separate bytes
    text, encoding = decode(data)
    assert (text, encoding) == (SAMPLE, "cp1258") and unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize(
    "codec, name",
    [
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
        ("utf-16", "utf-16"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-8", "utf-8"),
    ],
)
def test_unicode_encodings_with_and_without_bom(codec, name):
    assert decode(SAMPLE.encode(codec)) == (SAMPLE, name)


def test_binary_data_is_refused_not_guessed():
    with pytest.raises(UnicodeDecodeError):
        decode(bytes(range(128, 256)) * 8)


def test_legacy_font_text_inside_unicode_is_repaired_line_by_line():
    legacy = to_tcvn3(SAMPLE).decode("latin-1")  # what a .doc in .VnTime gives as Unicode
    mixed = "Báo cáo này viết bằng Unicode: Thérèse đến Hà Nội.\n" + legacy
    text, encoding = repair(mixed)
    assert encoding == "tcvn3"
    assert text == "Báo cáo này viết bằng Unicode: Thérèse đến Hà Nội.\n" + SAMPLE
    assert repair(to_vni(SAMPLE).decode("cp1252")) == (SAMPLE, "vni")


def test_good_unicode_is_never_changed():
    """Every candidate conversion is tried on 300 real news articles: none may change."""
    with open(NEWS, encoding="utf-8") as handle:
        texts = [json.loads(next(handle))["text"] for _ in range(300)]
    for text in texts:
        assert repair(text) == (text, None)
    # The converters themselves would corrupt it: only the scorer keeps it safe.
    assert from_tcvn3(texts[0]) != texts[0] or from_vni(texts[0]) != texts[0]
