"""Tesseract's Vietnamese model on real rendered pages, in parallel; a clear message when it is missing."""

import pytest
from real_files import page_image, wrap

from assistant import ocr
from assistant.ingest import load_documents
from assistant.quality import score

TEXT = (
    "Ủy ban nhân dân phường Hàng Bài tổ chức hội nghị tổng kết công tác năm 2024. Phường đã hoàn thành "
    "vượt mức kế hoạch thu ngân sách, đạt 125 tỷ đồng."
)


def test_a_rendered_page_is_read_with_its_tone_marks():
    text = ocr.read_image(page_image(wrap(TEXT)))
    assert text == TEXT


def test_pages_are_read_in_parallel_in_order_with_progress():
    pages = [page_image([f"Trang số {n}: danh sách hộ nghèo của tổ dân phố {n}."]) for n in range(1, 5)]
    seen = []
    texts = ocr.read_images(iter(pages), len(pages), workers=2, progress=lambda done, total: seen.append((done, total)))
    assert texts == [f"Trang số {n}: danh sách hộ nghèo của tổ dân phố {n}." for n in range(1, 5)]
    assert seen[-1] == (4, 4) and len(seen) == 4


def test_image_files_are_indexed_and_noted_as_ocr(tmp_path):
    page_image(wrap(TEXT)).save(tmp_path / "bien_ban.png")
    page_image(wrap(TEXT), dpi=200).convert("RGB").save(tmp_path / "anh_chup.jpg", quality=90)
    documents, problems = load_documents([tmp_path])
    assert [d.doc_id for d in documents] == ["anh_chup.jpg", "bien_ban.png"]
    assert documents[1].text == TEXT and score(documents[0].text).share > 0.95
    assert documents[1].metadata["locations"] == [[0, len(TEXT), {"page": 1}]]
    assert all(not p.skipped and "OCR" in p.reason for p in problems)


def test_without_tesseract_images_are_reported_naming_the_package_and_the_rest_indexes(tmp_path, monkeypatch):
    page_image(wrap(TEXT)).save(tmp_path / "scan.png")
    (tmp_path / "ghi_chu.txt").write_text("Ghi chú cuộc họp tổ dân phố số 5.", encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path / "khong-co"))
    ocr._languages.cache_clear()
    try:
        documents, problems = load_documents([tmp_path])
        with pytest.raises(ocr.OcrUnavailable, match="tesseract-ocr-vie"):
            ocr.check()
    finally:
        monkeypatch.undo()
        ocr._languages.cache_clear()
    assert [d.doc_id for d in documents] == ["ghi_chu.txt"]
    assert len(problems) == 1 and problems[0].skipped and problems[0].name.endswith("scan.png")
    assert "tesseract-ocr" in problems[0].reason
