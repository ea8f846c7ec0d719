"""Real office documents in, located citations out, over both stores: a scanned PDF page cited as page 2,
legacy encodings answerable, spreadsheet rows and slides cited by sheet/row and slide, a law asked by article."""

import json

import pytest
from helpers import STORES, open_assistant, run_cli
from real_files import (
    docx,
    encrypted_pdf,
    libreoffice_convert,
    pptx,
    to_cp1258,
    to_tcvn3,
    to_vni,
    two_page_pdf,
    wrap,
    xlsx,
)
from test_legal import RESOLUTION

from assistant.chunking import chunk_document
from assistant.ingest import Document
from assistant.locations import describe, heading, located_chunks

PAGE1 = ["Báo cáo tình hình phường Tràng Tiền năm 2024", "Phường có 12 tổ dân phố và 3.100 hộ gia đình."]
PAGE2 = (
    "Thư viện phường Tràng Tiền mở cửa từ 7 giờ 30 đến 21 giờ mỗi ngày. Thư viện hiện có 12.500 đầu sách "
    "tiếng Việt và 800 đầu sách ngoại văn."
)


def make_corpus(folder):
    folder.mkdir(parents=True, exist_ok=True)
    two_page_pdf(folder / "bao_cao.pdf", PAGE1, wrap(PAGE2))
    (folder / "cho.txt").write_bytes(
        to_tcvn3("Chợ Đồng Xuân\nChợ Đồng Xuân được xây dựng năm 1889, là chợ lớn nhất Hà Nội.")
    )
    (folder / "cau.txt").write_bytes(
        to_vni("Cầu Long Biên\nCầu Long Biên bắc qua sông Hồng, được người Pháp xây dựng từ năm 1898 đến năm 1902.")
    )
    (folder / "ho.txt").write_bytes(
        to_cp1258("Hồ Tây\nHồ Tây là hồ nước ngọt lớn nhất nội thành Hà Nội, rộng khoảng 500 héc-ta.")
    )
    (folder / "van_mieu.txt").write_bytes(
        "Văn Miếu\nVăn Miếu được vua Lý Thánh Tông cho xây dựng năm 1070.".encode("utf-16")
    )
    src = folder.parent / "src"
    src.mkdir(exist_ok=True)
    libreoffice_convert(
        [
            docx(
                src / "trung_thu.docx",
                [
                    "Kế hoạch Tết Trung thu phường Lý Thái Tổ năm 2025.",
                    "Mỗi tổ dân phố chuẩn bị 150 suất quà cho thiếu nhi.",
                ],
            )
        ],
        "doc",
        folder,
    )
    xlsx(
        folder / "can_bo.xlsx",
        {
            "Chủ tịch phường": [
                ["Phường", "Chức vụ", "Họ và tên"],
                ["Hàng Bài", "Chủ tịch", "Nguyễn Thị Ngọc Anh"],
                ["Tràng Tiền", "Chủ tịch", "Lê Văn Bình"],
            ]
        },
    )
    pptx(
        folder / "ngan_sach.pptx",
        [
            ("Kế hoạch năm 2025", ["Xây dựng phường văn minh đô thị"]),
            ("Ngân sách năm 2025", ["Tổng ngân sách năm 2025 là 45 tỷ đồng"]),
        ],
    )
    (folder / "nghi_quyet.txt").write_text(RESOLUTION, encoding="utf-8")
    encrypted_pdf(folder / "mat.pdf", "Tai lieu mat")
    (folder / "hong.pdf").write_bytes(b"%PDF-1.4 broken")
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("office-docs") / "docs")


@pytest.fixture(scope="module", params=STORES)
def bot(request, corpus, milvus_db, tmp_path_factory):
    """The corpus indexed once per store (OCR, conversions and embedding are the slow part)."""
    assistant = open_assistant(
        tmp_path_factory.mktemp(f"index-{request.param}"), request.param, milvus_db, open_now=False
    )
    result = assistant.index([corpus])
    skipped = {p.name.rsplit("/", 1)[-1] for p in result.problems if p.skipped}
    assert skipped == {"mat.pdf", "hong.pdf"}
    notes = {p.name.rsplit("/", 1)[-1]: p.reason for p in result.problems if not p.skipped}
    assert notes == {
        "bao_cao.pdf": "đã đọc bằng OCR: trang 2",
        "cho.txt": "đã chuyển từ bảng mã TCVN3 (ABC) sang Unicode",
        "cau.txt": "đã chuyển từ bảng mã VNI sang Unicode",
        "ho.txt": "đã chuyển từ bảng mã Windows-1258 sang Unicode",
        "van_mieu.txt": "đã chuyển từ bảng mã UTF-16 sang Unicode",
    }
    return assistant


def cited(answer, doc_id, fact):
    """The citation of `doc_id` whose sentence states `fact`."""
    assert not answer.refused, answer.text
    found = [c for c in answer.citations if c.doc_id == doc_id and fact in c.sentence]
    assert found, (answer.text, [(c.doc_id, c.sentence) for c in answer.citations])
    return found[0]


def test_a_scanned_page_is_answered_and_cited_as_page_2(bot):
    answer = bot.ask("Thư viện phường Tràng Tiền có bao nhiêu đầu sách ngoại văn?")
    citation = cited(answer, "bao_cao.pdf", "800 đầu sách ngoại văn")
    assert citation.location == {"page": 2}
    assert all(c["location"] == {"page": 2} for c in answer.to_dict()["citations"])
    assert bot.retrieve("Phường Tràng Tiền có bao nhiêu tổ dân phố?", k=1)[0].location == {"page": 1}


@pytest.mark.parametrize(
    "question, doc_id, fact",
    [
        ("Chợ Đồng Xuân được xây dựng năm nào?", "cho.txt", "1889"),
        ("Cầu Long Biên được xây dựng từ năm nào?", "cau.txt", "1898"),
        ("Hồ Tây rộng khoảng bao nhiêu?", "ho.txt", "500 héc-ta"),
        ("Văn Miếu được xây dựng năm nào?", "van_mieu.txt", "1070"),
        ("Mỗi tổ dân phố chuẩn bị bao nhiêu suất quà Trung thu?", "trung_thu.doc", "150 suất quà"),
    ],
)
def test_legacy_encodings_and_word_files_are_answerable(bot, question, doc_id, fact):
    cited(bot.ask(question), doc_id, fact)


def test_spreadsheet_rows_and_slides_are_cited_where_they_are(bot):
    row = cited(bot.ask("Chủ tịch phường Hàng Bài là ai?"), "can_bo.xlsx", "Nguyễn Thị Ngọc Anh")
    assert row.location == {"sheet": "Chủ tịch phường", "row": 2}
    slide = cited(bot.ask("Tổng ngân sách năm 2025 là bao nhiêu?"), "ngan_sach.pptx", "45 tỷ đồng")
    assert slide.location == {"slide": 2}


def test_a_law_asked_by_article_and_clause(bot):
    top = bot.retrieve("khoản 2 Điều 3 nói gì?", k=1)[0]
    assert (top.doc_id, top.location["dieu"], top.location["khoan"]) == ("nghi_quyet.txt", 3, 2)
    assert "bổ nhiệm" in top.text
    assert bot.retrieve("Điều 4 quy định gì?", k=1)[0].location["dieu"] == 4
    assert bot.retrieve("Nghị quyết 97 của Quốc hội", k=1)[0].doc_id == "nghi_quyet.txt"
    citation = cited(
        bot.ask("Theo Điều 3, ai bổ nhiệm Chủ tịch Ủy ban nhân dân phường?"),
        "nghi_quyet.txt",
        "Chủ tịch Ủy ban nhân dân quận bổ nhiệm",
    )
    assert describe(citation.location) == "Điều 3, khoản 2"
    info = bot.documents()["nghi_quyet.txt"]
    assert info["title"].startswith("Nghị quyết 97/2019/QH14 của QUỐC HỘI ngày 27/11/2019")


def test_an_article_asked_for_whole_is_quoted_from_its_start(bot):
    """ "Điều 2 quy định gì?" is answered by Điều 2 (its words would pick "Nghị quyết này quy định ..." of
    Điều 1), without its numbering; an article the law does not have is refused."""
    answer = bot.ask("Điều 2 quy định gì?")
    assert not answer.refused and answer.citations, answer.text
    assert {c.location.get("dieu") for c in answer.citations} == {2}
    assert answer.text.startswith("Chính quyền địa phương ở quận, phường [1].")
    assert "Tại phường không tổ chức Hội đồng nhân dân phường" in answer.text
    clause = bot.ask("khoan 2 dieu 3 noi gi")  # typed without diacritics
    assert clause.text.startswith("Chủ tịch Ủy ban nhân dân phường do Chủ tịch Ủy ban nhân dân quận bổ nhiệm")
    assert bot.ask("Điều 9 quy định gì?").refused


@pytest.mark.parametrize("bot", ["faiss"], indirect=True)  # the JSON is Answer.to_dict over either store
def test_cli_json_carries_the_page(bot):
    proc = run_cli(
        "ask", "--json", "--index-dir", bot.config.index_dir, "Thư viện phường Tràng Tiền mở cửa lúc mấy giờ?"
    )
    assert proc.returncode == 0, proc.stderr
    citation = json.loads(proc.stdout)["citations"][0]
    assert citation["doc_id"] == "bao_cao.pdf" and citation["location"] == {"page": 2}


def test_chunks_break_at_every_located_span():
    text = "Trang một có câu A. Câu B.\n\nTrang hai có câu C. Câu D."
    doc = Document("d", "t", "s", text, {"locations": [[0, 26, {"page": 1}], [28, len(text), {"page": 2}]]})
    chunks = located_chunks(doc, 1000, 1)
    assert [(doc.text[c.start : c.end], loc) for c, loc in chunks] == [
        ("Trang một có câu A. Câu B.", {"page": 1}),
        ("Trang hai có câu C. Câu D.", {"page": 2}),
    ]
    assert len(chunk_document("d", text, 1000, 1)) == 1  # without spans: one chunk, as before
    assert (
        heading({"chuong": "II", "dieu": 12, "khoan": 2, "ten_dieu": "Ủy ban"}) == "Chương II, khoản 2 Điều 12. Ủy ban"
    )
    assert describe({"page": 3, "dieu": 12, "khoan": 2}) == "trang 3, Điều 12, khoản 2"
