"""Files and folders in, normalised documents out; what cannot be read is reported by name."""

import json
import unicodedata
from pathlib import Path

import docx
from helpers import DOC_000, DOC_004, SEEDS, make_pdf, run_cli, write

from assistant.ingest import load_documents


def load_one(path: Path):
    documents, problems = load_documents([path])
    assert not [p for p in problems if p.skipped], [str(p) for p in problems]  # notes (conversions) are fine
    assert len(documents) == 1
    return documents[0]


def test_seed_ids_are_file_names():
    documents, problems = load_documents([SEEDS])
    assert not problems
    assert sorted(d.doc_id for d in documents) == [DOC_000, DOC_004]
    by_id = {d.doc_id: d for d in documents}
    assert by_id[DOC_004].title == "Kỳ họp thứ mười bảy HĐND quận Hoàn Kiếm khóa XX"
    assert "16 Chủ tịch, 35 Phó Chủ tịch" in by_id[DOC_000].text


def test_txt(tmp_path):
    doc = load_one(write(tmp_path / "tin.txt", "Tiêu đề tin\n\nNội dung   của\ttin.\r\nDòng hai."))
    assert doc.doc_id == "tin.txt"
    assert doc.title == "Tiêu đề tin"
    assert doc.text == "Tiêu đề tin\n\nNội dung của tin.\nDòng hai."
    assert doc.source == str(tmp_path / "tin.txt")


def test_a_txt_wrapped_at_a_width_is_read_as_its_paragraphs(tmp_path):
    """pdftotext's output or an e-mail: lines broken at 60 columns, not between sentences."""
    import textwrap

    paragraph = (
        "Chủ tọa kỳ họp gồm đồng chí Vũ Đăng Định, Phó Bí thư Thường trực Quận ủy, Chủ tịch Hội đồng nhân "
        "dân quận cùng các đồng chí trong Thường trực Hội đồng nhân dân quận. Kỳ họp đã thông qua nghị quyết "
        "thành lập 12 phòng chuyên môn thuộc Ủy ban nhân dân quận Hoàn Kiếm."
    )
    text = f"KỲ HỌP THỨ 17\n\n{paragraph}\n\n{paragraph}"
    lines = [line for p in text.split("\n") for line in textwrap.wrap(p, 60) or [""]]
    write(tmp_path / "ky_hop.txt", "\n".join(lines))
    (doc,), _ = load_documents([tmp_path / "ky_hop.txt"])
    assert doc.text == text
    write(tmp_path / "mot_dong.txt", text)  # a paragraph per line: as written
    (doc,), _ = load_documents([tmp_path / "mot_dong.txt"])
    assert doc.text == text


def test_txt_utf16_with_bom(tmp_path):
    path = tmp_path / "utf16.txt"
    path.write_bytes("Văn bản UTF-16 có dấu.".encode("utf-16"))
    assert load_one(path).text == "Văn bản UTF-16 có dấu."


def test_markdown_title_is_first_h1(tmp_path):
    path = write(
        tmp_path / "ghi_chu.md", "Lời mở đầu\n\n## Mục phụ\n\n# Tiêu đề Markdown\n\nNội dung chính.\n\n# Tiêu đề sau"
    )
    doc = load_one(path)
    assert doc.title == "Tiêu đề Markdown"
    assert "Nội dung chính." in doc.text


def test_markdown_without_heading_uses_first_line(tmp_path):
    assert load_one(write(tmp_path / "a.md", "Dòng đầu tiên\nDòng sau")).title == "Dòng đầu tiên"


def test_html_title_and_stripping(tmp_path):
    markup = unicodedata.normalize(
        "NFD",
        """<!doctype html><html><head>
<title>Tiêu đề trang HTML</title>
<style>.an { color: red } STYLEMARK</style>
<script>var x = "SCRIPTMARK";</script></head>
<body><nav><a href="/">NAVMARK Trang chủ</a></nav>
<h1>Quận Hoàn Kiếm</h1><p>Phường Hàng Bài có <b>nhiều</b> di tích.</p><p>Đoạn thứ hai ở đây.</p>
<script>alert("SCRIPTMARK2")</script></body></html>""",
    )
    doc = load_one(write(tmp_path / "trang.html", markup))
    assert doc.title == "Tiêu đề trang HTML"
    for marker in ("SCRIPTMARK", "STYLEMARK", "NAVMARK", "<", "color"):
        assert marker not in doc.text
    assert "Phường Hàng Bài có nhiều di tích." in doc.text
    assert "Đoạn thứ hai ở đây." in doc.text
    # block elements become separate lines
    assert doc.text.splitlines() == ["Quận Hoàn Kiếm", "Phường Hàng Bài có nhiều di tích.", "Đoạn thứ hai ở đây."]
    assert unicodedata.is_normalized("NFC", doc.text)
    assert unicodedata.is_normalized("NFC", doc.title)


def test_pdf(tmp_path):
    path = tmp_path / "bao_cao.pdf"
    path.write_bytes(make_pdf(["Bao cao quy ba", "Thanh pho Da Nang co 8 quan huyen (2024).", "Dong cuoi."]))
    doc = load_one(path)
    assert doc.doc_id == "bao_cao.pdf"
    assert doc.title == "Bao cao quy ba"
    assert "Thanh pho Da Nang co 8 quan huyen (2024)." in doc.text
    assert "Dong cuoi." in doc.text


def test_docx_with_title_paragraphs_and_table(tmp_path):
    document = docx.Document()
    document.core_properties.title = "Báo cáo DOCX"
    document.add_paragraph("Đoạn thứ nhất của báo cáo.")
    document.add_paragraph(unicodedata.normalize("NFD", "Đoạn thứ hai có dấu tổ hợp."))
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Phường"
    table.cell(0, 1).text = "Hàng Bài"
    path = tmp_path / "bao_cao.docx"
    document.save(path)
    doc = load_one(path)
    assert doc.title == "Báo cáo DOCX"
    assert "Đoạn thứ nhất của báo cáo." in doc.text
    assert "Đoạn thứ hai có dấu tổ hợp." in doc.text
    assert "Phường | Hàng Bài" in doc.text


def test_docx_without_title_uses_first_paragraph(tmp_path):
    document = docx.Document()
    document.add_paragraph("Dòng đầu của tài liệu")
    document.add_paragraph("Dòng sau.")
    path = tmp_path / "khong_tieu_de.docx"
    document.save(path)
    assert load_one(path).title == "Dòng đầu của tài liệu"


def test_jsonl_records_metadata_and_bad_lines(tmp_path):
    lines = [
        json.dumps(
            {
                "id": "tin-001",
                "title": "Tin một",
                "text": "Văn bản tin một.",
                "tac_gia": "Công Thọ",
                "ngay": "2021-06-30",
            },
            ensure_ascii=False,
        ),
        '{"id": "tin-002", "text": "bị cắt',
        "",
        json.dumps(
            {"id": "tin-003", "text": unicodedata.normalize("NFD", "Tin ba không có tiêu đề.\nDòng hai.")},
            ensure_ascii=False,
        ),
        json.dumps({"id": "tin-004", "title": "Không có văn bản"}, ensure_ascii=False),
        json.dumps(["không", "phải", "đối tượng"], ensure_ascii=False),
    ]
    path = write(tmp_path / "tin.jsonl", "\n".join(lines) + "\n")
    documents, problems = load_documents([tmp_path])
    by_id = {d.doc_id: d for d in documents}
    assert sorted(by_id) == ["tin-001", "tin-003"]
    assert by_id["tin-001"].title == "Tin một"
    assert by_id["tin-001"].text == "Văn bản tin một."
    assert by_id["tin-001"].metadata == {"tac_gia": "Công Thọ", "ngay": "2021-06-30"}
    assert by_id["tin-003"].title == "Tin ba không có tiêu đề."
    assert by_id["tin-003"].text == "Tin ba không có tiêu đề.\nDòng hai."
    names = sorted(p.name for p in problems)
    assert names == [f"{path}:2", f"{path}:5", f"{path}:6"]
    assert all(p.reason for p in problems)


def test_jsonl_without_id_gets_file_and_line(tmp_path):
    write(tmp_path / "sub" / "x.jsonl", json.dumps({"text": "Không có mã."}, ensure_ascii=False) + "\n")
    documents, problems = load_documents([tmp_path])
    assert not problems
    assert [d.doc_id for d in documents] == ["sub/x.jsonl#1"]


def test_duplicate_jsonl_ids_are_reported(tmp_path):
    write(
        tmp_path / "a.jsonl", '{"id": "tin-001", "text": "Bản thứ nhất."}\n{"id": "tin-001", "text": "Bản thứ hai."}\n'
    )
    documents, problems = load_documents([tmp_path])
    assert [d.text for d in documents] == ["Bản thứ nhất."]
    assert len(problems) == 1 and "tin-001" in problems[0].reason


def test_duplicate_jsonl_ids_are_reported_when_file_also_has_a_bad_line(tmp_path):
    """Same as above, but the file also has a broken line: the duplicate must still be caught."""
    write(
        tmp_path / "a.jsonl",
        '{"id": "tin-001", "text": "Bản thứ nhất."}\n{hỏng\n{"id": "tin-001", "text": "Bản thứ hai."}\n',
    )
    documents, problems = load_documents([tmp_path])
    assert [d.doc_id for d in documents] == ["tin-001"]
    assert [d.text for d in documents] == ["Bản thứ nhất."]
    assert any("tin-001" in p.reason for p in problems), [str(p) for p in problems]


def test_ids_are_paths_relative_to_the_folder_given(tmp_path):
    root = tmp_path / "kho"
    write(root / "a.txt", "Tài liệu A.")
    write(root / "chuong_1" / "b.md", "# B\nTài liệu B.")
    write(root / "chuong_1" / "muc" / "c.txt", "Tài liệu C.")
    write(root / ".an" / "d.txt", "Ẩn.")
    write(root / ".e.txt", "Ẩn.")
    documents, problems = load_documents([root])
    assert not problems
    assert sorted(d.doc_id for d in documents) == ["a.txt", "chuong_1/b.md", "chuong_1/muc/c.txt"]
    single, _ = load_documents([root / "chuong_1" / "muc" / "c.txt"])
    assert [d.doc_id for d in single] == ["c.txt"]


def test_unsupported_empty_and_unreadable_files_are_reported_and_skipped(tmp_path):
    write(tmp_path / "tot.txt", "Tài liệu tốt.")
    write(tmp_path / "ban_ve.dwg", "a,b\n1,2\n")
    write(tmp_path / "rong.txt", "")
    write(tmp_path / "khoang_trang.md", "   \n\t\n")
    (tmp_path / "nhi_phan.txt").write_bytes(b"\xff\xfe\x00\xd8" * 3 + b"\x80\x81\xfe")
    (tmp_path / "hong.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (tmp_path / "hong.docx").write_bytes(b"PK not a zip")
    (tmp_path / "rong.jsonl").write_bytes(b"\n\n")
    documents, problems = load_documents([tmp_path, tmp_path / "khong_ton_tai"])
    assert [d.doc_id for d in documents] == ["tot.txt"]
    reported = {Path(p.name).name for p in problems}
    assert reported == {
        "ban_ve.dwg",
        "rong.txt",
        "khoang_trang.md",
        "nhi_phan.txt",
        "hong.pdf",
        "hong.docx",
        "rong.jsonl",
        "khong_ton_tai",
    }
    assert all(p.reason and str(p).startswith(p.name) for p in problems)


def test_invalid_utf8_reason_is_vietnamese(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Tiếng Việt".encode()[:-1] + b"\xe9\xff")
    _, problems = load_documents([tmp_path])
    assert len(problems) == 1 and "UTF-8" in problems[0].reason


def test_nfd_input_is_stored_as_nfc(tmp_path):
    nfc = "Quận Hoàn Kiếm công bố quyết định bổ nhiệm Chủ tịch phường."
    doc = load_one(write(tmp_path / "nfd.txt", unicodedata.normalize("NFD", nfc)))
    assert doc.text == nfc and doc.title == nfc


def test_content_hash_changes_with_text(tmp_path):
    a = load_one(write(tmp_path / "a" / "x.txt", "Một."))
    b = load_one(write(tmp_path / "b" / "x.txt", "Hai."))
    assert a.content_hash != b.content_hash


# -- through the command line -----------------------------------------------------------------


def test_cli_index_reports_skipped_files_and_succeeds(tmp_path):
    docs = tmp_path / "docs"
    write(docs / "tot.txt", "Hồ Gươm\nHồ Gươm nằm ở trung tâm quận Hoàn Kiếm.")
    write(docs / "ban_ve.dwg", "a,b\n")
    write(docs / "rong.txt", "")
    (docs / "hong.pdf").write_bytes(b"%PDF-1.4 broken")
    write(docs / "tin.jsonl", '{"id": "tin-001", "text": "Tin một."}\n{hỏng\n')
    proc = run_cli("index", str(docs), "--index-dir", str(tmp_path / "idx"))
    assert proc.returncode == 0, proc.stderr
    for name in ("ban_ve.dwg", "rong.txt", "hong.pdf", f"{docs / 'tin.jsonl'}:2"):
        assert name in proc.stderr
    assert "tot.txt" not in proc.stderr and "tin.jsonl:1" not in proc.stderr
    assert "Đã lập chỉ mục 2 tài liệu" in proc.stdout


def test_cli_index_fails_only_when_nothing_indexed(tmp_path):
    docs = tmp_path / "docs"
    write(docs / "ban_ve.dwg", "a,b\n")
    write(docs / "rong.txt", "  ")
    proc = run_cli("index", str(docs), "--index-dir", str(tmp_path / "idx"))
    assert proc.returncode != 0
    assert "ban_ve.dwg" in proc.stderr and "rong.txt" in proc.stderr
    assert not (tmp_path / "idx" / "CURRENT").exists()


def test_symlinks_out_of_the_folder_are_skipped_and_reported(tmp_path):
    secret = write(tmp_path / "outside" / "bi-mat.txt", "Mật khẩu máy chủ: hunter2.")
    docs = tmp_path / "docs"
    write(docs / "tot.txt", "Tài liệu tốt.")
    write(docs / "sub" / "ban-goc.txt", "Bản gốc trong thư mục.")
    (docs / "passwd.txt").symlink_to(secret)
    (docs / "ban-sao.txt").symlink_to(docs / "sub" / "ban-goc.txt")  # inside: fine
    documents, problems = load_documents([docs])
    assert sorted(d.doc_id for d in documents) == ["ban-sao.txt", "sub/ban-goc.txt", "tot.txt"]
    assert [p.name for p in problems] == ["passwd.txt"] and "ngoài thư mục" in problems[0].reason
    documents, problems = load_documents([docs], follow_symlinks=True)
    assert "passwd.txt" in {d.doc_id for d in documents} and not problems


def test_cli_reports_outside_symlinks_and_follows_them_only_when_asked(tmp_path):
    secret = write(tmp_path / "outside" / "bi-mat.txt", "Mật khẩu máy chủ của phường là hunter2.")
    docs = tmp_path / "docs"
    write(docs / "tot.txt", "Hồ Gươm\nHồ Gươm nằm ở trung tâm quận Hoàn Kiếm.")
    (docs / "passwd.txt").symlink_to(secret)
    proc = run_cli("index", str(docs), "--index-dir", str(tmp_path / "idx"))
    assert proc.returncode == 0 and "passwd.txt" in proc.stderr and "--follow-symlinks" in proc.stderr
    assert "Đã lập chỉ mục 1 tài liệu" in proc.stdout
    proc = run_cli("index", str(docs), "--index-dir", str(tmp_path / "idx"), "--follow-symlinks")
    assert proc.returncode == 0 and "Đã lập chỉ mục 2 tài liệu" in proc.stdout, proc.stderr


def test_pypdf_repair_warnings_stay_off_stderr(tmp_path):
    pdf = make_pdf(["Ho Guom nam o trung tam quan Hoan Kiem."])
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "eof-cut.pdf").write_bytes(pdf.replace(b"%%EOF\n", b"%%EO"))  # "EOF marker seems truncated"
    (docs / "bad-xref.pdf").write_bytes(pdf.replace(b"startxref", b"startxref\n9999999\n%"))  # "incorrect startxref"
    proc = run_cli("index", str(docs), "--index-dir", str(tmp_path / "idx"))
    assert proc.returncode == 0 and "Đã lập chỉ mục 2 tài liệu" in proc.stdout, proc.stderr
    assert proc.stderr == "", proc.stderr  # pypdf repaired both without a word
