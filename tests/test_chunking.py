"""Vietnamese sentence splitting and sentence-aligned chunks with exact offsets."""

import pytest
from helpers import SEEDS

from assistant.chunking import chunk_document, split_sentences
from assistant.ingest import load_documents
from assistant.text import normalize


def sentences_of(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_abbreviations_dates_and_decimals_do_not_end_a_sentence():
    text = (
        "Ông Nguyễn Văn A là ThS. Kinh tế, công tác tại TP. Hồ Chí Minh từ ngày 30/6/2021. "
        "Doanh thu tăng 3.5 lần so với ngày 21.2.2006. Đây là câu cuối."
    )
    assert sentences_of(text) == [
        "Ông Nguyễn Văn A là ThS. Kinh tế, công tác tại TP. Hồ Chí Minh từ ngày 30/6/2021.",
        "Doanh thu tăng 3.5 lần so với ngày 21.2.2006.",
        "Đây là câu cuối.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Cuộc họp diễn ra tại TP. Hà Nội vào buổi sáng.",
        "Bà Lê Thị Hoa, ThS. Quản lý công, phát biểu.",
        "Ông được bổ nhiệm theo quyết định ký ngày 30/6/2021 của UBND quận.",
        "Tỷ lệ tăng trưởng đạt 3.5 phần trăm.",
        "Văn bản ban hành ngày 21.2.2006 vẫn còn hiệu lực.",
        "Tham dự có PGS. TS. Trần Văn B và GS. Lê C.",
        "Tác giả Nguyễn V. Hùng viết cuốn sách này.",
    ],
)
def test_no_split_inside(text):
    assert sentences_of(text) == [text]


def test_splits_at_normal_period_before_capital_and_at_question_marks():
    text = "Quận có 18 phường. Mỗi phường có một Chủ tịch! Ai là Chủ tịch? Đó là bà Anh… Hết."
    assert sentences_of(text) == [
        "Quận có 18 phường.",
        "Mỗi phường có một Chủ tịch!",
        "Ai là Chủ tịch?",
        "Đó là bà Anh…",
        "Hết.",
    ]


def test_splits_before_digit_and_quote():
    text = "Hội nghị kết thúc. 165 công chức được chuyển đổi. “Vinh dự và tự hào”, bà nói."
    assert sentences_of(text) == [
        "Hội nghị kết thúc.",
        "165 công chức được chuyển đổi.",
        "“Vinh dự và tự hào”, bà nói.",
    ]


def test_no_split_before_lower_case():
    text = "Xem tài liệu v.v. và các phụ lục kèm theo."
    assert sentences_of(text) == [text]


def test_a_full_stop_missing_its_space_ends_a_sentence():
    text = "Khi giao hợp nó không rách nên không chảy máu.Bác sĩ Sriani Basnayake là Giám đốc y học."
    assert sentences_of(text) == [
        "Khi giao hợp nó không rách nên không chảy máu.",
        "Bác sĩ Sriani Basnayake là Giám đốc y học.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Ông về tp.Hồ Chí Minh và Q.Liêm chụp ảnh.",  # an abbreviation, an initial
        "Thư gửi tamsu@VnExpress.net và www.Google.com hoặc site.Google.com.",  # addresses
        "Doanh thu tăng 3.5 lần, xem vnexpress.net nhé.",  # a decimal, a domain
        "Anh ấy nói HLV.Hùng và Xong.Hết đều đúng.",  # the word before is not lower case
    ],
)
def test_glued_stops_that_are_not_boundaries(text):
    assert sentences_of(text) == [text]


def test_lines_always_break_and_blank_lines_are_skipped():
    text = "Tiêu đề bài viết\n\nDòng thứ nhất không có dấu chấm\nDòng thứ hai."
    assert sentences_of(text) == ["Tiêu đề bài viết", "Dòng thứ nhất không có dấu chấm", "Dòng thứ hai."]


def test_sentence_spans_slice_text_exactly():
    text = "  Câu thứ nhất.   Câu thứ hai!  \n\n  Câu thứ ba?  "
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == ["Câu thứ nhất.", "Câu thứ hai!", "Câu thứ ba?"]
    for s in spans:
        piece = text[s.start : s.end]
        assert piece == piece.strip()


@pytest.fixture(scope="module")
def seed_texts():
    documents, _ = load_documents([SEEDS])
    return {d.doc_id: d.text for d in documents}


@pytest.mark.parametrize("size, overlap", [(1000, 1), (300, 0), (300, 2), (120, 1)])
def test_chunks_of_seeds_slice_exactly_and_respect_size(seed_texts, size, overlap):
    for doc_id, text in seed_texts.items():
        chunks = chunk_document(doc_id, text, size=size, overlap=overlap)
        assert len(chunks) > 1
        covered: set[tuple[int, int]] = set()
        for c in chunks:
            assert c.doc_id == doc_id
            assert 0 <= c.start < c.end <= len(text)
            assert c.end - c.start <= size
            assert c.sentences[0].start == c.start and c.sentences[-1].end == c.end
            for s in c.sentences:
                assert c.start <= s.start < s.end <= c.end
                piece = text[s.start : s.end]
                assert piece and piece == piece.strip()
                covered.add((s.start, s.end))
        # Every sentence (or hard-split piece) of the document is in some chunk.
        all_pieces = {(s.start, s.end) for c in chunk_document(doc_id, text, size=size, overlap=0) for s in c.sentences}
        assert all_pieces <= covered


def test_overlap_repeats_last_sentences():
    text = " ".join(f"Câu số {i} nói về phường thứ {i}." for i in range(1, 21))
    for overlap in (1, 2):
        chunks = chunk_document("d", text, size=150, overlap=overlap)
        assert len(chunks) >= 3
        for prev, nxt in zip(chunks, chunks[1:]):
            shared = min(overlap, len(prev.sentences) - 1)
            assert shared >= 1
            assert nxt.sentences[:shared] == prev.sentences[-shared:]
            assert nxt.start < prev.end
    chunks = chunk_document("d", text, size=150, overlap=0)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start > prev.end
        assert not set(prev.sentences) & set(nxt.sentences)


def test_single_long_sentence_is_hard_split_at_spaces():
    text = normalize(" ".join(f"từ{i}" for i in range(600)))  # one ~3,800-character "sentence"
    chunks = chunk_document("d", text, size=200, overlap=0)
    pieces = [text[s.start : s.end] for c in chunks for s in c.sentences]
    assert len(pieces) > 10
    assert all(len(p) <= 200 for p in pieces)
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in pieces)
    assert " ".join(pieces) == text  # nothing lost, cut only at spaces


def test_word_longer_than_size_is_cut_at_size():
    text = "A" * 450
    chunks = chunk_document("d", text, size=100, overlap=0)
    assert [c.end - c.start for c in chunks] == [100, 100, 100, 100, 50]
    assert "".join(text[c.start : c.end] for c in chunks) == text


def test_small_document_is_one_chunk():
    text = "Tiêu đề\nMột câu ngắn. Một câu nữa."
    chunks = chunk_document("d", text)
    assert len(chunks) == 1
    assert (chunks[0].start, chunks[0].end) == (0, len(text))
