"""Vietnamese text primitives: normalisation, folding, syllables."""

import re
import unicodedata
from pathlib import Path

from assistant.text import (
    canonical_syllable,
    clean_question,
    english_terms,
    fold,
    folded_syllables,
    has_diacritics,
    join_wrapped_lines,
    normalize,
    syllables,
    wrapped_width,
)


def test_normalize_produces_nfc():
    nfc = "Quận Hoàn Kiếm bổ nhiệm Chủ tịch phường"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert normalize(nfd) == nfc
    assert unicodedata.is_normalized("NFC", normalize(nfd))


def test_normalize_removes_control_characters_and_tidies_whitespace():
    raw = "\ufeffDòng\x00 một\x1b\r\nDòng\t\u00a0 hai  \r\n\n\n\n\nDòng\u200b ba   "
    assert normalize(raw) == "Dòng một\nDòng hai\n\nDòng ba"


def test_clean_question_is_one_line():
    assert clean_question("  Quận\x00 Hoàn\x1b Kiếm\n bổ nhiệm\t bao nhiêu?  ") == "Quận Hoàn Kiếm bổ nhiệm bao nhiêu?"


def test_fold_strips_marks_and_d_bar():
    assert fold("Đà Nẵng đẹp lắm") == "Da Nang dep lam"
    assert fold("Phó Chủ tịch UBND phường Hàng Bài") == "Pho Chu tich UBND phuong Hang Bai"
    assert fold(unicodedata.normalize("NFD", "Hoàn Kiếm")) == "Hoan Kiem"


def test_has_diacritics():
    assert has_diacritics("Hoàn Kiếm")
    assert has_diacritics("đi")
    assert not has_diacritics("quan hoan kiem bo nhiem bao nhieu chu tich phuong")


def test_canonical_syllable_unifies_tone_placement():
    assert canonical_syllable("hoà") == canonical_syllable("hòa") == "hòa"
    assert canonical_syllable("Thuỷ") == "thủy"
    assert canonical_syllable("khoẻ") == "khỏe"
    assert canonical_syllable("quý") == "quý"  # "qu" is a consonant: nothing to move


def test_syllables_keep_one_letter_words_and_lowercase():
    assert syllables("Tôi ở Hà Nội, đi ô tô") == ["tôi", "ở", "hà", "nội", "đi", "ô", "tô"]
    assert syllables(unicodedata.normalize("NFD", "Ở Hoà Bình")) == ["ở", "hòa", "bình"]
    assert "ở" in syllables("Ông ấy ở đó")


def test_folded_syllables():
    assert folded_syllables("Ủy ban ở Hà Nội") == ["uy", "ban", "o", "ha", "noi"]


def test_fast_fold_and_syllables_agree_with_their_definitions():
    """fold() uses a translation table and syllables() a memo: both must equal the plain definitions."""
    import unicodedata

    from assistant.text import _fold_slow, canonical_syllable, fold, normalize, syllables

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    for path in sorted(seeds.glob("*.txt")):
        doc = normalize(path.read_text(encoding="utf-8"))
        assert fold(doc) == _fold_slow(doc)
        assert syllables(doc) == [canonical_syllable(w) for w in re.findall(r"\w+", doc)]
    for letter in "aăâeêioôơuưyd" + "AĂÂEÊIOÔƠUƯYĐ":
        for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            for form in ("NFC", "NFD"):
                c = unicodedata.normalize(form, letter + tone)
                assert fold(c) == _fold_slow(c)


def test_english_terms_are_names_numbers_and_office_words_in_vietnamese():
    assert (
        english_terms("How many ward chairpersons did Hoan Kiem district appoint?") == "Hoan Kiem phường chủ tịch quận"
    )
    assert english_terms("How fast can Honda's ASIMO robot move in 2005?") == "Honda ASIMO 2005"
    assert english_terms("What is the population of Da Nang?") == "Da Nang dân số"
    assert english_terms("When was the 17th session held?") == "17"  # "kỳ họp thứ 17"
    assert english_terms("Who chairs the People’s Committee?") == "ủy ban nhân dân"
    # countries and peoples as Vietnamese news writes them: "Polish troops" are "lính Ba Lan"
    assert english_terms("How many Polish troops are stationed in Iraq?") == "Iraq ba lan"
    assert english_terms("Did the United States talk to North Korea?") == "mỹ triều tiên"
    assert english_terms("Which French researcher found Angkor Wat?") == "Angkor Wat pháp"
    # days and months are capitalised but name nothing a Vietnamese text writes so ("thứ Bảy"); searched as
    # written they found English e-mail headers ("Sent: Saturday, March 06, 2004")
    assert english_terms("What does he give up to her on Saturday nights?") == ""
    assert english_terms("Which birds were hit by the bird flu in early February in Long An?") == "Long An"


def test_lines_wrapped_at_the_margin_are_one_sentence_but_items_rows_and_headings_keep_theirs():
    wrapped = [
        "Chủ tọa kỳ họp gồm đồng chí Vũ Đăng Định, Phó Bí thư Thường trực Quận ủy, Chủ",
        "tịch Hội đồng nhân dân quận, cùng",
        "“các đồng chí” trong Thường trực; tổng số",
        "165 công chức.",
    ]
    kept = [  # items of a list or a legal text, a table's header and numbered rows
        "Điều 1. Thành lập các phòng:",
        "1. Phòng Nội vụ;",
        "a) Phòng Tư pháp",
        "- Phòng Y tế",
        "STT Phường Họ và tên",
        "1 Hàng Bài Nguyễn Thị Ngọc Anh",
        "2 Đồng Xuân Lê Văn Bình",
    ]
    page = "\n".join(["QUYẾT ĐỊNH", *wrapped, *kept])
    assert join_wrapped_lines(page).split("\n") == ["QUYẾT ĐỊNH", " ".join(wrapped), *kept]


def test_a_line_that_reached_the_margin_goes_on_even_before_a_capital():
    wrapped = [
        "Chủ tọa kỳ họp gồm đồng chí Phó Bí thư Thường trực Quận ủy, cùng với đồng chí Vũ Đăng",
        "Định và các đồng chí trong Thường trực Hội đồng nhân dân quận Hoàn Kiếm, khóa XX.",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM, ĐỘC LẬP, TỰ DO, HẠNH PHÚC, NĂM HAI NGHÌN",
        "QUYẾT ĐỊNH",
        "Ngắn",
        "Hết",
    ]
    assert join_wrapped_lines("\n".join(wrapped)).split("\n") == [
        " ".join(wrapped[:2]),
        *wrapped[2:],  # a heading in capitals, a short line: their own lines
    ]


ARTICLE = (
    "Sáng 27/2/2025, Hội đồng nhân dân quận Hoàn Kiếm khóa XX, nhiệm kỳ 2021-2026 tổ chức kỳ họp thứ 17 để "
    "xem xét, quyết định các nội dung quan trọng thuộc thẩm quyền. Chủ tọa kỳ họp gồm đồng chí Vũ Đăng Định, "
    "Phó Bí thư Thường trực Quận ủy, Chủ tịch Hội đồng nhân dân quận cùng các đồng chí trong Thường trực Hội "
    "đồng nhân dân quận. Kỳ họp đã thông qua nghị quyết thành lập 12 phòng chuyên môn thuộc Ủy ban nhân dân "
    "quận, trong đó có Phòng Văn hóa, Khoa học và Thông tin, Phòng Kinh tế, Hạ tầng và Đô thị."
)


def test_a_text_file_wrapped_at_a_width_is_joined_back_into_its_paragraph():
    import textwrap

    text = f"{ARTICLE}\n\nTIN LIÊN QUAN\n\n{ARTICLE}"
    wrapped = "\n".join(line for p in text.split("\n") for line in textwrap.wrap(p, 56) or [""])
    assert "\nXX, nhiệm kỳ" in wrapped  # a line going on with a capital
    assert wrapped_width(wrapped) == max(len(line) for line in wrapped.split("\n")) <= 56
    assert join_wrapped_lines(wrapped, wrapped_width(wrapped)) == text


def test_a_wrapped_list_is_read_as_wrapped():
    """A recipe list wrapped at 80 columns: the lines before its items end where the item does, not at
    the margin; counted against it, it was not read as wrapped and "rau ngót rửa sạch," stayed cut from
    "vò nát 60-100 g"."""
    import textwrap

    items = [
        "Canh lạc - dược thiện cho người sốt xuất huyết",
        "Các món canh dưới đây có tác dụng thanh nhiệt, tiêu độc, tăng khả năng miễn dịch của cơ thể và phòng "
        "chống xuất huyết. Chủ vị là hạt lạc xay nát hoặc giã nhỏ, gọi là nhuyễn lạc, kết hợp với một số loại "
        "rau. Người bệnh nên ăn khi canh còn ấm, mỗi ngày một đến hai bát, liên tục trong năm đến bảy ngày, và "
        "uống thêm nhiều nước theo lời dặn của bác sĩ điều trị.",
        "- Rau ngót rửa sạch, vò nát 60-100 g, nhuyễn lạc 30-50 g, nấu thành canh ăn.",
        "- Gan lợn tươi ép cho ra hết máu, rửa sạch, băm nhỏ 20-30 g; rau ngót rửa sạch, vò nát 60-100 g; nhuyễn"
        " lạc 30-50 g. Nấu rau ngót với lạc thật chín rồi cho gan lợn vào đảo đều, đun sôi 5 phút là được.",
        "- Đậu xanh cả vỏ, vỡ đôi 50-60 g, nhuyễn lạc 30-50 g, nấu canh ăn.",
        "- Rau dền rửa sạch thái nhỏ 60-100 g, nhuyễn lạc 30-50 g. Nấu chín lạc rồi mới cho rau dền vào, đun sôi"
        " 10 phút là được.",
        "- Rau mồng tơi rửa sạch, thái nhỏ 60-100 g, nhuyễn lạc 30-50 g. Nấu chín lạc rồi mới cho rau mồng tơi vào,"
        " đun sôi 10 phút.",
        "- Mướp ngọt gọt vỏ thái nhỏ 100-150 g, nhuyễn lạc 30-50 g, nấu canh ăn.",
    ]
    text = "\n".join(items)
    wrapped = "\n".join(line for p in items for line in textwrap.wrap(p, 80))
    assert wrapped_width(wrapped) == max(len(line) for line in wrapped.split("\n"))
    assert "rau ngót rửa sạch, vò nát 60-100 g; nhuyễn" in join_wrapped_lines(wrapped, wrapped_width(wrapped))
    assert wrapped_width(text) is None  # an item per line, as written


def test_a_paragraph_or_an_item_per_line_is_not_wrapped():
    paragraphs = "\n".join([ARTICLE] * 9)  # longer than any editor's width
    items = "\n".join(
        f"{name} - {role}"
        for name, role in [
            ("Nguyễn Văn An", "Chủ tịch UBND phường Hàng Bài"),
            ("Lê Thị Bình", "Phó Chủ tịch"),
            ("Trần Văn Cường", "Chủ tịch UBND phường Tràng Tiền"),
            ("Phạm Thị Dung", "Bí thư"),
            ("Hoàng Văn Em", "Chủ tịch UBND phường Cửa Nam"),
            ("Vũ Thị Giang", "Phó Bí thư"),
            ("Đỗ Văn Hùng", "Chủ tịch UBND phường Hàng Trống"),
            ("Bùi Thị Lan", "Ủy viên"),
            ("Ngô Văn Minh", "Chủ tịch UBND phường Đồng Xuân"),
            ("Lý Thị Nga", "Ủy viên"),
        ]
    )
    assert wrapped_width(paragraphs) is None and wrapped_width(items) is None


def test_a_hyphen_at_the_margin_joins_its_word():
    assert join_wrapped_lines("Nhiệm kỳ 2021-\n2026 của quận, tuyến Hà Nội -\nHải Phòng") == (
        "Nhiệm kỳ 2021-2026 của quận, tuyến Hà Nội -\nHải Phòng"  # a dash between words is no hyphen
    )
