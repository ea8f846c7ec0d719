"""PDFs page by page: a good text layer is kept, a scanned page is read by OCR, located by page number."""

from pypdf import PdfWriter
from real_files import encrypted_pdf, page_image, to_tcvn3, two_page_pdf, wrap

from assistant.ingest import load_documents
from assistant.pdf import read_pdf

PAGE1 = ["Báo cáo tình hình phường Tràng Tiền năm 2024", "Phường có 12 tổ dân phố và 3.100 hộ gia đình."]
PAGE2 = (
    "Thư viện phường Tràng Tiền mở cửa từ 7 giờ 30 đến 21 giờ mỗi ngày. Thư viện hiện có 12.500 đầu sách "
    "tiếng Việt và 800 đầu sách ngoại văn."
)


def test_scanned_second_page_is_read_by_ocr_and_located(tmp_path):
    path = two_page_pdf(tmp_path / "bao_cao.pdf", PAGE1, wrap(PAGE2))
    pages = read_pdf(path)
    assert pages.ocr_pages == [2] and pages.poor_pages == []
    assert pages.texts[0] == "\n".join(PAGE1)  # the text layer, untouched
    assert pages.texts[1] == PAGE2
    (doc,), notes = load_documents([path])
    start = doc.text.index("Thư viện")
    assert [start, len(doc.text), {"page": 2}] in doc.metadata["locations"]
    assert doc.metadata["locations"][0] == [0, len("\n".join(PAGE1)), {"page": 1}]
    assert [n.reason for n in notes] == ["đã đọc bằng OCR: trang 2"] and not notes[0].skipped


def test_a_text_layer_in_a_tcvn3_font_is_repaired_not_ocred(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    line = "Chợ Đồng Xuân được xây dựng năm 1889, là chợ lớn nhất Hà Nội."
    pdfmetrics.registerFont(TTFont("DejaVu", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    c = canvas.Canvas(str(tmp_path / "cu.pdf"))
    c.setFont("DejaVu", 12)
    c.drawString(72, 750, to_tcvn3(line).decode("latin-1"))  # glyphs of a .VnTime font: "Chî §ång Xu©n"
    c.save()
    pages = read_pdf(tmp_path / "cu.pdf")
    assert pages.texts == [line] and pages.encoding == "TCVN3 (ABC)" and pages.ocr_pages == []


def test_a_page_still_poor_after_ocr_is_reported_with_its_number(tmp_path):
    # A scan of words no Vietnamese syllable looks like: OCR reads them, but they are not good Vietnamese.
    garbled = page_image(["Xqé zzkà wrrtộ brrkqữ vvxờ qqjấ fjjxể mfuuvả qqrẹ ghjkỗ"])
    path = tmp_path / "mo.pdf"
    garbled.save(path, "PDF", resolution=300)
    (doc,), notes = load_documents([path])
    assert doc.metadata["poor_pages"] and doc.metadata["poor_pages"][0][0] == 1
    assert any("trang 1 vẫn đọc kém sau OCR" in n.reason for n in notes)


def test_corrupt_and_password_protected_pdfs_are_reported_and_the_rest_kept(tmp_path):
    encrypted_pdf(tmp_path / "mat.pdf", "Bi mat")
    (tmp_path / "hong.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF")
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with open(tmp_path / "trang.pdf", "wb") as handle:
        writer.write(handle)
    (tmp_path / "tot.txt").write_text("Tài liệu tốt về phường Cửa Nam.", encoding="utf-8")
    documents, problems = load_documents([tmp_path])
    assert [d.doc_id for d in documents] == ["tot.txt"]
    reasons = {p.name.rsplit("/", 1)[-1]: p.reason for p in problems if p.skipped}
    assert "mật khẩu" in reasons["mat.pdf"]
    assert "hỏng" in reasons["hong.pdf"]
    assert "rỗng" in reasons["trang.pdf"]


def test_a_table_in_a_text_layer_keeps_each_row_on_one_line(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    c = canvas.Canvas(str(tmp_path / "bang.pdf"))
    c.setFont("DejaVu", 11)
    c.drawString(72, 780, "Danh sách Chủ tịch Ủy ban nhân dân phường năm 2025")
    rows = [
        ("Phường", "Chức vụ", "Họ và tên"),
        ("Hàng Bài", "Chủ tịch", "Nguyễn Thị Ngọc Anh"),
        ("Tràng Tiền", "Chủ tịch", "Lê Văn Bình"),
    ]
    for i, row in enumerate(rows):
        for x, cell in zip((72, 220, 360), row):  # cells drawn apart, as a table's columns
            c.drawString(x, 740 - i * 20, cell)
    c.save()
    lines = read_pdf(tmp_path / "bang.pdf").texts[0].split("\n")
    assert "Hàng Bài Chủ tịch Nguyễn Thị Ngọc Anh" in lines and "Tràng Tiền Chủ tịch Lê Văn Bình" in lines


def test_a_paragraph_wrapped_at_the_margin_of_a_text_layer_is_read_as_its_sentences(tmp_path):
    """A PDF's text layer breaks every line where the page did; quoting "… Quận ủy, Chủ" as a sentence
    would cut the title in two."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    from assistant.chunking import split_sentences

    sentence = (
        "Chủ tọa kỳ họp gồm đồng chí Vũ Đăng Định, Phó Bí thư Thường trực Quận ủy, Chủ tịch Hội đồng nhân "
        "dân quận cùng các đồng chí trong Thường trực Hội đồng nhân dân quận."
    )
    pdfmetrics.registerFont(TTFont("DejaVu", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    c = canvas.Canvas(str(tmp_path / "ky_hop.pdf"))
    c.setFont("DejaVu", 11)
    c.drawString(72, 780, "KỲ HỌP THỨ 17")
    lines = wrap(sentence, 80)
    assert len(lines) == 3 and lines[0].endswith("Chủ")  # wrapped inside "Chủ tịch"
    for i, line in enumerate(lines):
        c.drawString(72, 750 - i * 16, line)
    c.save()
    text = read_pdf(tmp_path / "ky_hop.pdf").texts[0]
    assert text == "KỲ HỌP THỨ 17\n" + sentence
    assert [text[s.start : s.end] for s in split_sentences(text)] == ["KỲ HỌP THỨ 17", sentence]
