"""The span that answers what was asked, marked inside the quoted sentence."""

import pytest

from assistant.answering.compose import answer_span, choose
from assistant.answering.ranking import Candidate
from assistant.text import has_diacritics, syllables
from assistant.types import Passage

_HANG_BAI = (
    "Tại Hội nghị, Chủ tịch UBND phường Hàng Bài Nguyễn Thị Ngọc Anh bày tỏ, đây thời khắc rất quan trọng đối với"
    " chính quyền cơ sở."
)


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
            "Phó Bí thư Quận ủy, Chủ tịch UBND quận",
        ),
        # the title before the name, without the name; after it, up to the verb of saying
        (
            "role",
            "Vũ Đăng Định giữ chức vụ gì?",
            "Bí thư Quận ủy Hoàn Kiếm Vũ Đăng Định trao quyết định bổ nhiệm Chủ tịch, Phó Chủ tịch UBND phường",
            "Bí thư Quận ủy Hoàn Kiếm",
        ),
        (
            "role",
            "ong nguyen ngoc hoa giu chuc vu gi",
            "Ông Nguyễn Ngọc Hòa - phó tổng giám đốc siêu thị cho biết, loại trứng này sẽ được đóng gói",
            "phó tổng giám đốc siêu thị",
        ),
        # "khóa mấy": the number after "khóa", a Roman one too; "là giai đoạn nào": a span of years
        ("number", "HĐND quận Hoàn Kiếm khóa mấy?", "HĐND quận khóa XX, nhiệm kỳ 2021-2026 họp kỳ thứ 17", "khóa XX"),
        (
            "date",
            "Nhiệm kỳ của HĐND quận là giai đoạn nào?",
            "Sáng 27/2/2025, HĐND quận khóa XX, nhiệm kỳ 2021-2026 tổ chức kỳ họp thứ 17",
            "2021-2026",
        ),
        # a person's name starts at the surname after the place that ends their title
        (
            "person",
            "Ai trao quyết định bổ nhiệm?",
            "Bí thư Quận ủy Hoàn Kiếm Vũ Đăng Định trao quyết định bổ nhiệm Chủ tịch UBND phường",
            "Vũ Đăng Định",
        ),
        # titles as written: "vừa" is no "vua", "thị trường" holds no "trưởng"
        (
            "role",
            "Ông Nguyễn Văn An giữ chức vụ gì?",
            "Ông Nguyễn Văn An vừa qua nói về thị trường, ông là Giám đốc Sở Tài chính",
            "Giám đốc Sở Tài chính",
        ),
        ("place", "Hội nghị diễn ra ở đâu?", "Hội nghị diễn ra tại thành phố Đà Nẵng hôm qua", "Đà Nẵng"),
        # of several numbers, the one counting what was asked, not the year before it
        (
            "number",
            "Hùng thừa nhận đã buôn lậu bao nhiêu chuyến tàu?",
            "Trước tòa, Hùng thừa nhận hành vi buôn lậu từ năm 1988 với 45 chuyến tàu xăng dầu",
            "45 chuyến tàu",
        ),
        # ... or the one beside the question's words, without the function words after it
        (
            "number",
            "Cứ mỗi 10 năm thì lượng hormone này giảm bao nhiêu?",
            "Hiện tượng giảm sút testosterone từ tuổi 30, cứ mỗi 10 năm giảm 15%, điều này khiến cơ thể mệt mỏi",
            "15%",
        ),
        (
            "number",
            "Người dùng cần ít nhất bao lâu để quyết định?",
            "Phải mất tối thiểu 2 năm để người dùng cân nhắc",
            "2 năm",
        ),
        # the name after an honorific, not the country in the title before it
        (
            "person",
            "HLV trưởng đội bóng chuyền nam Bưu Điện Hà Nội là ai?",
            "Nhưng HLV trưởng đội Bưu Điện Hà Nội, và là cựu HLV trưởng đội tuyển nữ Việt Nam, ông Nguyễn Mạnh Hùng,"
            " lập tức chứng minh đấy chỉ là sự cố",
            "Nguyễn Mạnh Hùng",
        ),
        # a name opening the sentence, with or without its honorific; a one-word foreign name
        (
            "person",
            "Ai được xem là nhà địa chất hiện đại đầu tiên?",
            "James Hutton thường được xem là nhà địa chất hiện đại đầu tiên",
            "James Hutton",
        ),
        (
            "person",
            "Ai là người đặt viên gạch đầu tiên trong cuộc đời ca hát của Phương Nga?",
            "Cô Thu Lan là người đặt viên gạch đầu tiên trong cuộc đời ca hát chuyên nghiệp của tôi",
            "Thu Lan",
        ),
        ("person", "Ai đã lấy lại được bóng?", "Quả bóng bật ngược trở lại và Ward đã lấy lại được bóng", "Ward"),
        # the kind of place asked ("tỉnh nào"), not another kind after its head word ("huyện")
        (
            "place",
            "Tỉnh nào trở thành tỉnh thứ 37 có ổ dịch cúm gia cầm?",
            "Vĩnh Long trở thành tỉnh thứ 37 có ổ dịch cúm gia cầm, tại 2 hộ ở huyện Vũng Liêm",
            "Vĩnh Long",
        ),
        # of two candidates of the same kind, the one whose clause holds the question's words
        (
            "date",
            "Quân đội Đức tái xuất hiện tại Rhineland vào khi nào?",
            "Quân đồng minh đã rời khỏi Rhineland vào năm 1930 và quân đội Đức đã chiếm lại nó vào năm 1936",
            "năm 1936",
        ),
        (
            "number",
            "Jared Allen có bao nhiêu lần vật ngã trong sự nghiệp?",
            "Jared Allen, người tham gia Pro Bowl 5 lần, dẫn đầu về số lần vật ngã trong sự nghiệp NFL với 136 lần",
            "136 lần",
        ),
        # a date written out is one span; "thứ hai" after a title is an ordinal, not the weekday asked
        (
            "date",
            "Kibaki và Odinga ký thỏa thuận thành lập chính phủ khi nào?",
            "Vào ngày 28 tháng 2 năm 2008, Kibaki và Odinga đã ký một thỏa thuận về việc thành lập một chính phủ"
            " liên minh, trong đó Odinga sẽ trở thành Thủ tướng thứ hai của Kenya",
            "ngày 28 tháng 2 năm 2008",
        ),
        # a month's number is a date, not an amount
        (
            "number",
            "Người máy ASIMO của Honda cao bao nhiêu?",
            "Cao 1,2m, nặng 52 kg - người máy giống người nhất thế giới sẽ đến thăm Việt Nam vào tháng 4 tới theo"
            " lời mời của Honda Việt Nam",
            "1,2m",
        ),
        # a rank for "thứ mấy": the ordinal, not the population before it
        (
            "number",
            "Siêu đô thị Nam California đứng thứ mấy về dân số so với toàn quốc?",
            "Với dân số 17.786.419 người, đây là siêu đô thị lớn thứ ba ở Hoa Kỳ",
            "thứ ba",
        ),
        # an organisation after the kind asked ("công ty nào"), not the court in the same sentence
        (
            "organization",
            "Anh Nguyễn Văn Toán làm việc ở công ty nào?",
            "Sáng nay, TAND Hà Nội xét xử vụ đâm chết anh Nguyễn Văn Toán (27 tuổi, nhân viên Công ty"
            " Mercedes-Benz VN)",
            "Mercedes-Benz VN",
        ),
        # a lone Vietnamese syllable opening a title ("Bộ" of "Bộ trưởng") ranks below a foreign name
        (
            "person",
            "Bộ trưởng Giao thông vận tải Ai Cập nói có đám cháy nhỏ là ai?",
            "Theo Bộ trưởng Giao thông vận tải Ai Cập M.Mansour hôm 4-2 thì một đám cháy nhỏ đã bộc phát",
            "M.Mansour",
        ),
        # the counted word right after the number: "35 Phó Chủ tịch", not the "16 Chủ tịch" before it
        (
            "number",
            "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Phó Chủ tịch UBND phường?",
            "Quận Hoàn Kiếm công bố quyết định bổ nhiệm 16 Chủ tịch, 35 Phó Chủ tịch UBND phường",
            "35 Phó Chủ tịch",
        ),
        (  # typed without diacritics: "Chủ" is no function word "chứ" as the sentence writes it
            "number",
            "quan hoan kiem bo nhiem bao nhieu pho chu tich phuong",
            "Quận Hoàn Kiếm công bố quyết định bổ nhiệm 16 Chủ tịch, 35 Phó Chủ tịch UBND phường",
            "35 Phó Chủ tịch",
        ),
        # "kỳ họp thứ 17" is an ordinal, not a weekday; for "khi nào" a day before a term of years
        (
            "date",
            "Kỳ họp thứ 17 diễn ra khi nào?",
            "Sáng 27/2/2025, HĐND quận Hoàn Kiếm khóa XX, nhiệm kỳ 2021-2026 tổ chức kỳ họp thứ 17 để xem xét",
            "27/2/2025",
        ),
        # a person after "đồng chí", not the capitalised start of a title ("Phó Bí thư", "Ban Thường vụ")
        (
            "person",
            "Ai là Chủ tịch UBND quận Hoàn Kiếm?",
            "Tham dự kỳ họp có đồng chí Phạm Tuấn Long - Phó Bí thư Quận ủy, Chủ tịch UBND quận; các đồng chí"
            " trong Ban Thường vụ Quận ủy",
            "Phạm Tuấn Long",
        ),
        # the titles after the dash are the name's: the deputy asked, the deputy's name; the head asked, not hers
        (
            "person",
            "Ai là Phó Chủ tịch HĐND quận Hoàn Kiếm?",
            "Chủ trì kỳ họp có đồng chí Vũ Đăng Định - Thành ủy viên, Bí thư Quận ủy, Chủ tịch HĐND quận; đồng chí"
            " Nguyễn Thị Phương Chung - UVTV, Phó Chủ tịch HĐND quận",
            "Nguyễn Thị Phương Chung",
        ),
        (
            "person",
            "Ai là Chủ tịch HĐND quận Hoàn Kiếm?",
            "Chủ trì kỳ họp có đồng chí Vũ Đăng Định - Thành ủy viên, Bí thư Quận ủy, Chủ tịch HĐND quận; đồng chí"
            " Nguyễn Thị Phương Chung - UVTV, Phó Chủ tịch HĐND quận",
            "Vũ Đăng Định",
        ),
        # in a law, "ai" is answered by the office acting, when no name is there
        (
            "person",
            "Ai bổ nhiệm Chủ tịch Ủy ban nhân dân phường?",
            "Chủ tịch Ủy ban nhân dân phường do Chủ tịch Ủy ban nhân dân quận bổ nhiệm, miễn nhiệm",
            "Chủ tịch Ủy ban nhân dân quận",
        ),
        # a name run into the title after it: the name alone
        ("person", "Ai đã phát biểu?", "Tại buổi họp, ông Kemp Chalmers Chủ tịch hiệp hội phát biểu", "Kemp Chalmers"),
        # an institution's name capitalises only its words' first syllables: "Quốc hội", "Bộ Tài chính"
        (
            "organization",
            "Nghị quyết 97 là của cơ quan nào?",
            "UBND phường làm các nhiệm vụ theo quy định của Nghị quyết 97 của Quốc hội, Nghị định 32 của Chính phủ",
            "Quốc hội",
        ),
        ("organization", "Cơ quan nào ban hành thông tư?", "Thông tư do Bộ Tài chính ban hành", "Bộ Tài chính"),
        # through its compounds, not the term "XII" nor the quoted title's "Một"
        (
            "organization",
            "Nghị quyết số 18-NQ/TW của cơ quan nào?",
            "triển khai Nghị quyết số 18-NQ/TW ngày 25/10/2017 của Ban Chấp hành Trung ương Đảng khóa XII “Một số"
            " vấn đề về tiếp tục đổi mới”",
            "Ban Chấp hành Trung ương Đảng",
        ),
        # a span of years written with spaces; a count of deputies for a question about deputies
        (
            "date",
            "HĐND phường ban hành kế hoạch chuyển đổi số giai đoạn nào?",
            "HĐND phường đã ban hành kế hoạch chuyển đổi số toàn diện giai đoạn 2026 - 2031.",
            "2026 - 2031",
        ),
        (
            "number",
            "Bao nhiêu người được bổ nhiệm làm Phó Chủ tịch phường?",
            "UBND quận công bố quyết định bổ nhiệm 16 Chủ tịch, 35 Phó Chủ tịch UBND phường.",
            "35 Phó Chủ tịch",
        ),
        # who a named person is: the titles before the name, or the description after its comma
        ("role", "Nguyễn Thị Ngọc Anh là ai?", _HANG_BAI, "Chủ tịch UBND phường Hàng Bài"),
        ("role", "nguyen thi ngoc anh la ai", _HANG_BAI, "Chủ tịch UBND phường Hàng Bài"),
        (
            "role",
            "Ulrich Bernier là ai?",
            '"Muỗi rất tài tình", Ulrich Bernier, một nhà hóa học tại Bộ Nông nghiệp Mỹ nhận định.',
            "một nhà hóa học tại Bộ Nông nghiệp Mỹ",
        ),
    ],
)
def test_the_answering_words_are_found(kind, question, sentence, span):
    accented = has_diacritics(question)
    found = answer_span(kind, sentence, syllables(question if accented else question.lower()), accented)
    assert found is not None and sentence[found[0] : found[1]] == span


def test_a_word_of_place_alone_is_no_name_and_the_office_acting_is_marked():
    """A lone "Quận" of "Chủ tịch UBND Quận" was marked as the person who runs the ward's committee; with no
    name in the sentence, the office it opens with acts (features.subject_office)."""
    question = syllables("Ai chịu trách nhiệm điều hành hoạt động của UBND phường?")
    sentence = (
        "Chủ tịch UBND phường điều hành hoạt động của UBND phường, chịu trách nhiệm trước UBND, Chủ tịch UBND"
        " Quận và trước pháp luật."
    )
    found = answer_span("person", sentence, question, True)
    assert found is not None and sentence[found[0] : found[1]] == "Chủ tịch UBND phường"
    # a name in the sentence is still the answer, and an office the question names whole is none
    named = "Chủ tịch UBND quận Hoàn Kiếm Phạm Tuấn Long điều hành hoạt động của UBND phường."
    found = answer_span("person", named, question, True)
    assert found is not None and named[found[0] : found[1]] == "Phạm Tuấn Long"
    whole = syllables("Chủ tịch UBND phường là ai?")
    assert answer_span("person", "Chủ tịch UBND phường điều hành.", whole, True) is None


def test_a_full_stop_missing_its_space_does_not_make_a_name():
    from assistant.answering.compose import _span_word

    assert not _span_word("thời.Kiến", False)  # "… một thời.Kiến trúc sư …"
    assert _span_word("D.Ryan", False) and _span_word("al-Turabi", False)


def test_no_span_for_what_the_whole_sentence_answers():
    assert answer_span("reason", "Vì trời mưa", ["vì", "sao"], True) is None


def test_the_span_is_marked_in_the_answer_and_its_citation(seeds_assistant, seed_docs):
    answer = seeds_assistant.ask("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?")
    short = answer.short
    assert answer.answer_type == "number" and short is not None and "16" in short.text
    assert answer.text[short.at : short.at + len(short.text)] == short.text
    cited = next(c for c in answer.citations if c.marker == short.marker)
    assert seed_docs[cited.doc_id].text[short.start : short.end] == short.text
    assert answer.to_dict()["short"]["text"] == short.text


def _ranked(sentences: list[str], order: list[int]) -> list[Candidate]:
    """Candidates over one passage holding `sentences`, ranked in `order` (the second likely to answer)."""
    text = " ".join(sentences)
    spans, at = [], 0
    for sentence in sentences:
        spans.append((at, at + len(sentence)))
        at += len(sentence) + 1
    passage = Passage("d", "t", "s", text, 0, len(text), 1.0, sentences=spans)
    return [Candidate(passage, 0, *spans[i], sentences[i], 0.5, 1.0 - k, 0.5) for k, i in enumerate(order)]


def _quoted(sentences: list[str], order: list[int], kind: str, question: str) -> list[str]:
    return [c.text for c in choose(_ranked(sentences, order), 2, 0.02, kind, syllables(question), True)]


LINKED = [
    # pointing back: "Đây là loại thuốc …" says nothing without the sentence naming the drug
    (
        ["Cần điều trị sớm.", "Nên dùng Azithromycin.", "Đây là loại thuốc uống liều đơn tốt nhất hiện nay.", "Hết."],
        [2, 0, 1, 3],
        "name",
        "Thuốc uống liều đơn tốt nhất hiện nay là gì?",
        ["Nên dùng Azithromycin.", "Đây là loại thuốc uống liều đơn tốt nhất hiện nay.", "Cần điều trị sớm."],
    ),
    (
        ["Vòng tay đầy ý nghĩa", "Theo khảo sát, các cô gái rất thích cách xin lỗi này.", "Hãy thử."],
        [1, 2, 0],
        "content",
        "Các cô gái thích cách xin lỗi nào?",
        ["Vòng tay đầy ý nghĩa", "Theo khảo sát, các cô gái rất thích cách xin lỗi này.", "Hãy thử."],
    ),
    # an interview's question is answered by the sentence after it
    (
        ["Anh sinh ở Huế.", "- Vì sao anh nói luôn bị phụ nữ bỏ rơi?", "- Vì tôi lãng mạn ngây thơ."],
        [1, 0, 2],
        "reason",
        "Vì sao nhạc sĩ nói mình luôn bị phụ nữ bỏ rơi?",
        ["- Vì sao anh nói luôn bị phụ nữ bỏ rơi?", "- Vì tôi lãng mạn ngây thơ.", "Anh sinh ở Huế."],
    ),
    # what the next sentence announces it completes
    (
        ["Chúc vui.", "Tôi chỉ giới thiệu cách tôi thường làm.", "Đó là mời bạn vào hội thoại nhóm."],
        [1, 0, 2],
        "definition",
        "Cách bạn đọc thường làm là gì?",
        ["Tôi chỉ giới thiệu cách tôi thường làm.", "Đó là mời bạn vào hội thoại nhóm.", "Chúc vui."],
    ),
]


@pytest.mark.parametrize("sentences,order,kind,question,quoted", LINKED)
def test_the_sentence_the_best_one_needs_is_quoted_with_it(sentences, order, kind, question, quoted):
    assert _quoted(sentences, order, kind, question) == quoted


def test_a_best_sentence_that_holds_what_was_asked_stands_alone():
    sentences = ["Phường có nhiều hộ nghèo.", "Năm nay phường này có 16 hộ nghèo.", "Hết."]
    quoted = _quoted(sentences, [1, 2, 0], "number", "Phường có bao nhiêu hộ nghèo?")
    assert quoted == ["Năm nay phường này có 16 hộ nghèo.", "Hết."]


def test_a_number_of_the_kind_asked_is_marked_in_the_sentence_quoted_beside_the_best(seeds_assistant):
    """The best sentence names the session ("kỳ họp thứ 17 ... năm 2025"); the count is in the next one."""
    answer = seeds_assistant.ask("Kỳ họp thứ 17 quyết định thành lập bao nhiêu phòng chuyên môn?")
    assert not answer.refused and answer.short is not None and answer.short.text == "10 phòng chuyên môn"
    assert answer.text[answer.short.at : answer.short.at + len(answer.short.text)] == answer.short.text
    cited = next(c for c in answer.citations if c.marker == answer.short.marker)
    assert cited.sentence[answer.short.start - cited.start : answer.short.end - cited.start] == answer.short.text
