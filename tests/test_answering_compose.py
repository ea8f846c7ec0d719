"""The span that answers what was asked, marked inside the quoted sentence."""

import pytest

from assistant.answering.compose import answer_span
from assistant.text import syllables


@pytest.mark.parametrize(
    "kind, question, sentence, span",
    [
        (
            "number",
            "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?",
            "Quận Hoàn Kiếm công bố quyết định bổ nhiệm 16 Chủ tịch, 35 Phó Chủ tịch UBND phường",
            "16 Chủ tịch",
        ),
        ("number", "Tỷ lệ tăng trưởng là bao nhiêu?", "Tăng trưởng đạt 8,5% trong năm", "8,5%"),
        (
            "date",
            "HĐND quận tổ chức kỳ họp thứ 17 vào ngày nào?",
            "Sáng 27/2/2025, HĐND quận Hoàn Kiếm tổ chức kỳ họp thứ 17",
            "27/2/2025",
        ),
        (
            "person",
            "Ai là Chủ tịch UBND phường Hàng Bài?",
            "Tại Hội nghị, Chủ tịch UBND phường Hàng Bài Nguyễn Thị Ngọc Anh bày tỏ",
            "Nguyễn Thị Ngọc Anh",
        ),
        (
            "role",
            "Phạm Tuấn Long giữ chức vụ gì?",
            "Tham dự kỳ họp có đồng chí Phạm Tuấn Long - Phó Bí thư Quận ủy, Chủ tịch UBND quận",
            "Phó Bí thư Quận ủy",
        ),
        ("place", "Hội nghị diễn ra ở đâu?", "Hội nghị diễn ra tại thành phố Đà Nẵng hôm qua", "Đà Nẵng"),
    ],
)
def test_the_answering_words_are_found(kind, question, sentence, span):
    q_words = set(syllables(question))
    found = answer_span(kind, sentence, q_words, True)
    assert found is not None and sentence[found[0] : found[1]] == span


def test_no_span_for_what_the_whole_sentence_answers():
    assert answer_span("reason", "Vì trời mưa", {"vì", "sao"}, True) is None


def test_the_span_is_marked_in_the_answer_and_its_citation(seeds_assistant, seed_docs):
    answer = seeds_assistant.ask("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?")
    short = answer.short
    assert answer.answer_type == "number" and short is not None and "16" in short.text
    assert answer.text[short.at : short.at + len(short.text)] == short.text
    cited = next(c for c in answer.citations if c.marker == short.marker)
    assert seed_docs[cited.doc_id].text[short.start : short.end] == short.text
    assert answer.to_dict()["short"]["text"] == short.text
