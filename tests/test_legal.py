"""Chương/Mục/Điều/khoản of Vietnamese legal texts, their header, and questions that name an article."""

from assistant import legal
from assistant.ingest import Document
from assistant.locations import located_chunks

RESOLUTION = """QUỐC HỘI
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 97/2019/QH14
Hà Nội, ngày 27 tháng 11 năm 2019
NGHỊ QUYẾT
VỀ VIỆC THÍ ĐIỂM TỔ CHỨC MÔ HÌNH CHÍNH QUYỀN ĐÔ THỊ TẠI THÀNH PHỐ HÀ NỘI
QUỐC HỘI
Căn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam;
QUYẾT NGHỊ:
Chương I
NHỮNG QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Nghị quyết này quy định việc tổ chức chính quyền đô thị tại thành phố Hà Nội.
Điều 2. Chính quyền địa phương ở quận, phường
1. Chính quyền địa phương ở quận, phường là Ủy ban nhân dân quận, phường.
2. Tại phường không tổ chức Hội đồng nhân dân phường.
Chương II
TỔ CHỨC CHÍNH QUYỀN
Mục 1
ỦY BAN NHÂN DÂN PHƯỜNG
Điều 3. Ủy ban nhân dân phường
1. Ủy ban nhân dân phường là cơ quan hành chính nhà nước ở phường, gồm Chủ tịch, Phó Chủ tịch và các ủy viên.
2. Chủ tịch Ủy ban nhân dân phường do Chủ tịch Ủy ban nhân dân quận bổ nhiệm, miễn nhiệm, cách chức.
3. Ủy ban nhân dân phường có không quá 02 Phó Chủ tịch, gồm:
a) Phó Chủ tịch phụ trách kinh tế;
b) Phó Chủ tịch phụ trách văn hóa - xã hội.
Điều 4. Hiệu lực thi hành
Nghị quyết này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2021.
"""


def test_header_number_type_issuer_and_date():
    info = legal.header(RESOLUTION)
    assert info["so_hieu"] == "97/2019/QH14"
    assert info["loai"] == "Nghị quyết" and info["co_quan"] == "QUỐC HỘI"
    assert info["ngay_ban_hanh"] == "2019-11-27"
    assert legal.title(info).startswith("Nghị quyết 97/2019/QH14 của QUỐC HỘI ngày 27/11/2019: VỀ VIỆC THÍ ĐIỂM")


def test_official_letter_header():
    letter = (
        "UBND QUẬN HOÀN KIẾM\nSố: 1234/UBND-VP\nV/v tổ chức Tết Trung thu năm 2025\n"
        "Hoàn Kiếm, ngày 5 tháng 9 năm 2025\n"
    )
    info = legal.header(letter)
    assert info["so_hieu"] == "1234/UBND-VP" and info["loai"] == "Công văn"
    assert info["ngay_ban_hanh"] == "2025-09-05" and info["co_quan"] == "UBND QUẬN HOÀN KIẾM"


def test_every_clause_is_a_span_with_its_path():
    spans = legal.spans(RESOLUTION)
    paths = {(p.get("chuong"), p.get("muc"), p.get("dieu"), p.get("khoan")) for _, _, p in spans}
    assert ("I", None, 1, None) in paths and ("I", None, 2, 2) in paths
    assert ("II", "1", 3, 3) in paths and ("II", "1", 4, None) in paths
    clause = next((s, e) for s, e, p in spans if p.get("dieu") == 3 and p.get("khoan") == 3)
    text = RESOLUTION[clause[0] : clause[1]]
    assert text.startswith("3. Ủy ban") and "a) Phó Chủ tịch phụ trách kinh tế" in text  # points stay in
    first = next((s, e) for s, e, p in spans if p.get("dieu") == 3 and p.get("khoan") == 1)
    assert RESOLUTION[first[0] : first[1]].startswith("Điều 3. Ủy ban nhân dân phường\n1.")


def test_chunks_never_straddle_two_articles_even_when_large():
    import re

    doc = Document(
        "nq.txt",
        "NQ",
        "nq.txt",
        RESOLUTION.strip(),
        {"locations": [[s, e, p] for s, e, p in legal.spans(RESOLUTION.strip())]},
    )
    for size in (120, 400, 5000):
        for chunk, location in located_chunks(doc, size, 1):
            text = doc.text[chunk.start : chunk.end]
            assert len(set(re.findall(r"^Điều (\d+)", text, re.MULTILINE))) <= 1, text
            if re.search(r"^Điều (\d+)", text, re.MULTILINE):
                assert location["dieu"] == int(re.search(r"^Điều (\d+)", text, re.MULTILINE).group(1))


def test_questions_naming_an_article():
    assert legal.reference("Điều 5 quy định gì?") == (5, None)
    assert legal.reference("khoản 2 Điều 12 nói gì?") == (12, 2)
    assert legal.reference("Điều 12, khoản 3 áp dụng cho ai?") == (12, 3)
    assert legal.reference("dieu 7 khoan 1") == (7, 1)
    assert legal.reference("Điều này có hiệu lực khi nào?") is None
    assert not legal.is_legal("Điều 5 của bài báo nói về giá vàng.")
