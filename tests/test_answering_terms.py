"""The question's terms: acronyms read as the words they stand for."""

import pytest

from assistant.answering.terms import Acronyms, IdfTable, coverage, tokens_of


@pytest.mark.parametrize(
    "question, sentence, held",
    [
        ("Ai là Giám đốc Bệnh viện Đa khoa Lâm Đồng?", "Theo BVĐK Lâm Đồng, ông A là giám đốc.", "bệnh viện đa khoa"),
        ("Kỳ họp HĐND quận diễn ra khi nào?", "Hội đồng nhân dân quận họp ngày 2/3.", "hđnd"),
        ("Ông Ryan giữ chức vụ gì tại Việt Nam?", "Ông Ryan, Đại diện UNDP tại VN.", "việt nam"),
        ("ai la truong ban khu do thi moi thu thiem?", "Trưởng ban KĐTM Thủ Thiêm là ông B.", "khu do thi moi"),
    ],
)
def test_an_acronym_holds_the_words_it_stands_for(question, sentence, held):
    accented = question[:2] != "ai"
    tokens = tokens_of(sentence, accented)
    added = Acronyms(question, accented).expand(tokens, sentence)[len(tokens) :]
    assert added == held.split()


@pytest.mark.parametrize(
    "question, sentence",
    [
        ("Thu phí bao nhiêu cho mỗi con mèo một ngày dịp Tết?", "Chủ phải trả 80 NDT mỗi ngày."),  # nhân dân tệ
        ("Thiếu tá Phạm Công Danh nói gì?", "CSGT TP HCM cho biết."),  # two letters: a capitalised pair only
        ("Ông nói gì về việc của bà?", "Theo VCB, lãi suất tăng."),  # "việc của bà": a function word
        ("Quận có bao nhiêu phường?", "Quận có 18 phường."),  # no acronym on either side
    ],
)
def test_initials_that_are_no_acronym_add_nothing(question, sentence):
    tokens = tokens_of(sentence, True)
    assert Acronyms(question, True).expand(tokens, sentence) == tokens


def test_an_acronym_counts_toward_coverage():
    question = "Ai là Giám đốc Bệnh viện Đa khoa Lâm Đồng?"
    idf = IdfTable(10, {}, {})
    weights = idf.term_weights(tokens_of(question, True), True)
    sentence = "Theo BVĐK Lâm Đồng, ông A là giám đốc."
    tokens = tokens_of(sentence, True)
    assert coverage(weights, Acronyms(question, True).expand(tokens, sentence)) == pytest.approx(1.0)
    assert coverage(weights, tokens) < 0.7
