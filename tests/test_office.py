"""Office formats made by real tools: .doc/.odt/.rtf/.xls by LibreOffice, .docx/.xlsx/.pptx by their libraries."""

import shutil

import pytest
from real_files import docx, libreoffice_convert, pptx, to_cp1258, to_tcvn3, xlsx

from assistant import office
from assistant.ingest import load_documents

LETTER = [
    "Công văn về việc tổ chức Tết Trung thu cho thiếu nhi phường Lý Thái Tổ năm 2025.",
    "Mỗi tổ dân phố cử hai cán bộ phụ trách và chuẩn bị 150 suất quà.",
]
TABLE = [["Tổ dân phố", "Số suất quà"], ["Tổ 1", "40"], ["Tổ 2", "35"]]
OLD = "Chợ Đồng Xuân được xây dựng năm 1889, là chợ lớn nhất Hà Nội."
OFFICIALS = [
    ["Phường", "Chức vụ", "Họ và tên"],
    ["Hàng Bài", "Chủ tịch", "Nguyễn Thị Ngọc Anh"],
    ["Tràng Tiền", "Chủ tịch", "Lê Văn Bình"],
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("office")
    src = tmp_path_factory.mktemp("office-src")
    letter = docx(src / "cong_van.docx", LETTER, TABLE)
    legacy = docx(src / "van_ban_cu.docx", [to_tcvn3(OLD).decode("latin-1")])  # typed in a .VnTime font
    libreoffice_convert([letter, legacy], "doc", d)
    libreoffice_convert([letter], "odt", d)
    libreoffice_convert([letter], "rtf", d)
    book = xlsx(src / "can_bo.xlsx", {"Chủ tịch phường": OFFICIALS, "Trống": []})
    shutil.copy(book, d / "can_bo.xlsx")
    (d / "xls").mkdir()
    libreoffice_convert([book], "xls", d / "xls")
    (d / "danh_sach.csv").write_bytes(to_cp1258("\n".join(",".join(r) for r in OFFICIALS) + "\n"))
    pptx(
        d / "ke_hoach.pptx",
        [
            ("Kế hoạch năm 2025", ["Xây dựng phường văn minh"]),
            ("Ngân sách", ["Tổng ngân sách 45 tỷ đồng", "Chi đầu tư 20 tỷ đồng"]),
        ],
    )
    documents, problems = load_documents([d])
    return {doc.doc_id: doc for doc in documents}, problems


def test_legacy_word_file_through_a_real_converter(files):
    docs, _ = files
    text = docs["cong_van.doc"].text
    assert LETTER[0] in text and LETTER[1] in text
    assert "Tổ 1" in text and "40" in text


def test_legacy_word_file_in_a_tcvn3_font_is_converted_and_reported(files):
    docs, problems = files
    assert docs["van_ban_cu.doc"].text == OLD
    assert any(p.name.endswith("van_ban_cu.doc") and "TCVN3" in p.reason and not p.skipped for p in problems)


def test_odt_and_rtf_keep_paragraphs_and_table_rows(files):
    docs, _ = files
    for name in ("cong_van.odt", "cong_van.rtf"):
        text = docs[name].text
        assert LETTER[0] in text and LETTER[1] in text, name
    assert "Tổ 1 | 40" in docs["cong_van.odt"].text


def test_each_spreadsheet_row_is_one_unit_with_its_headers_sheet_and_row(files):
    docs, _ = files
    for name in ("can_bo.xlsx", "xls/can_bo.xls"):
        doc = docs[name]
        line = "Chủ tịch phường — Phường: Hàng Bài | Chức vụ: Chủ tịch | Họ và tên: Nguyễn Thị Ngọc Anh"
        start = doc.text.index(line)
        assert [start, start + len(line), {"sheet": "Chủ tịch phường", "row": 2}] in doc.metadata["locations"], name
        assert {"sheet": "Chủ tịch phường", "row": 3} in [loc for _, _, loc in doc.metadata["locations"]]


def test_csv_in_windows_1258_keeps_rows_with_headers(files):
    docs, problems = files
    doc = docs["danh_sach.csv"]
    assert "Phường: Tràng Tiền | Chức vụ: Chủ tịch | Họ và tên: Lê Văn Bình" in doc.text
    assert [loc for _, _, loc in doc.metadata["locations"]] == [{"row": 2}, {"row": 3}]
    assert any(p.name.endswith("danh_sach.csv") and "Windows-1258" in p.reason for p in problems)


def test_one_unit_per_slide(files):
    docs, _ = files
    doc = docs["ke_hoach.pptx"]
    assert [loc for _, _, loc in doc.metadata["locations"]] == [{"slide": 1}, {"slide": 2}]
    start, end, _ = doc.metadata["locations"][1]
    assert doc.text[start:end] == "Ngân sách\nTổng ngân sách 45 tỷ đồng\nChi đầu tư 20 tỷ đồng"


def test_doc_without_any_converter_names_the_packages(files, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Exception, match="antiword"):
        office.read_doc(tmp_path / "x.doc")
