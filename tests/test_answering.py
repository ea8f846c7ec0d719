"""Questions over the seeds, end to end through Assistant.ask: facts, citations, refusals, bad input."""

import re
import unicodedata

import pytest
from helpers import DOC_000, DOC_004, EMPTY_QUESTION, REFUSAL

from assistant import Answer
from assistant.text import fold, has_diacritics, syllables

FACTS = [
    # (question, fact that must be in the answer, document that must be cited)
    ("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", "16 Chủ tịch", DOC_000),
    ("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Phó Chủ tịch UBND phường?", "35 Phó Chủ tịch", DOC_000),
    ("Bao nhiêu công chức phường được chuyển thành công chức do UBND quận quản lý?", "165 công chức", DOC_000),
    ("Sau khi sắp xếp, UBND quận Hoàn Kiếm có bao nhiêu phòng chuyên môn?", "10 phòng chuyên môn", DOC_004),
    ("HĐND quận Hoàn Kiếm tổ chức kỳ họp thứ 17 vào ngày nào?", "27/2/2025", DOC_004),
    ("Từ ngày nào UBND các phường hoạt động theo mô hình chính quyền đô thị?", "1/7/2021", DOC_000),
    ("Các phòng chuyên môn đi vào hoạt động từ ngày nào?", "01/3/2025", DOC_004),
    ("Ai là Chủ tịch UBND phường Hàng Bài?", "Nguyễn Thị Ngọc Anh", DOC_000),
    ("Ai là Phó Bí thư Thường trực quận ủy Hoàn Kiếm?", "Đinh Hồng Phong", DOC_000),
    ("Ai là Chủ tịch UBND quận tham dự kỳ họp thứ 17?", "Phạm Tuấn Long", DOC_004),
    ("Từ ngày 1/7/2021, chính quyền bao nhiêu phường sẽ hoạt động theo mô hình mới?", "18 phường", DOC_000),
]

FACTS_WITHOUT_DIACRITICS = [
    ("quan hoan kiem bo nhiem bao nhieu chu tich phuong", "16 Chủ tịch", DOC_000),
    ("quan hoan kiem bo nhiem bao nhieu pho chu tich phuong", "35 Phó Chủ tịch", DOC_000),
    ("pho bi thu thuong truc quan uy hoan kiem la ai", "Đinh Hồng Phong", DOC_000),
    ("chu tich ubnd phuong hang bai la ai", "Nguyễn Thị Ngọc Anh", DOC_000),
    ("ky hop thu 17 hdnd quan hoan kiem dien ra ngay nao", "27/2/2025", DOC_004),
    ("bao nhieu cong chuc phuong duoc chuyen thanh cong chuc do ubnd quan quan ly", "165 công chức", DOC_000),
    ("ubnd quan hoan kiem co bao nhieu phong chuyen mon", "10 phòng chuyên môn", DOC_004),
]

OUT_OF_SCOPE = [
    "Giá vàng SJC hôm nay là bao nhiêu?",
    "Kết quả trận đấu bóng đá giữa Việt Nam và Thái Lan tối qua thế nào?",
    "Thời tiết ở Đà Nẵng ngày mai thế nào?",
    "Tỷ giá đô la Mỹ hôm nay là bao nhiêu?",
    "gia vang hom nay bao nhieu",
]


def check_citations(answer: Answer, seed_docs) -> None:
    """Markers 1..n, each shown as [n] in the text; each cited span slices its document exactly."""
    assert answer.citations
    assert [c.marker for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert sorted(set(int(m) for m in re.findall(r"\[(\d+)\]", answer.text))) == [c.marker for c in answer.citations]
    for c in answer.citations:
        doc = seed_docs[c.doc_id]
        assert doc.text[c.start : c.end] == c.sentence
        assert c.sentence and c.sentence in c.text
        assert c.title == doc.title and c.source == doc.source
        assert c.text == doc.text[c.passage_start : c.passage_start + len(c.text)]


@pytest.mark.parametrize("question, fact, doc_id", FACTS + FACTS_WITHOUT_DIACRITICS)
def test_fact_is_answered_with_citation(seeds_assistant, seed_docs, question, fact, doc_id):
    answer = seeds_assistant.ask(question)
    assert not answer.refused, answer.text
    assert fact in answer.text, answer.text
    assert doc_id in [c.doc_id for c in answer.citations]
    # the fact comes from a sentence cited from that document
    assert any(fact in c.sentence for c in answer.citations if c.doc_id == doc_id)
    assert len(answer.citations) <= seeds_assistant.config.answer.max_sentences
    check_citations(answer, seed_docs)


def test_there_are_enough_questions_without_diacritics():
    assert len(FACTS_WITHOUT_DIACRITICS) >= 3
    assert not any(has_diacritics(q) for q, _, _ in FACTS_WITHOUT_DIACRITICS)


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_is_refused(seeds_assistant, question):
    answer = seeds_assistant.ask(question)
    assert answer.refused is True
    assert answer.text == REFUSAL
    assert answer.citations == []


def test_follow_up_question_uses_history(seeds_assistant, seed_docs):
    first_q = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"
    first = seeds_assistant.ask(first_q)
    assert "16" in first.text
    answer = seeds_assistant.ask("Còn Phó Chủ tịch thì sao?", history=[(first_q, first.text)])
    assert not answer.refused, answer.text
    assert "35" in answer.text
    assert DOC_000 in [c.doc_id for c in answer.citations]
    check_citations(answer, seed_docs)


def test_a_follow_up_with_its_own_question_word_is_answered_for_it(seeds_assistant):
    """Searched with the turn before, but what it asks is its own: "bao nhiêu" here, not the earlier
    "Ai"; the earlier answer's words (who presided) neither pick the sentence nor crowd out the passage
    holding the count."""
    history = [
        (
            "Ai chủ trì kỳ họp thứ 17 HĐND quận Hoàn Kiếm?",
            "Chủ trì kỳ họp có đồng chí Vũ Đăng Định - Thành ủy viên, Bí thư Quận ủy, Chủ tịch HĐND quận; "
            "đồng chí Nguyễn Thị Phương Chung - UVTV, Phó Chủ tịch HĐND quận [1].",
        )
    ]
    for question in (
        "Sau kỳ họp đó, UBND quận có bao nhiêu phòng chuyên môn?",
        "sau ky hop do, ubnd quan co bao nhieu phong chuyen mon",
    ):
        answer = seeds_assistant.ask(question, history=history)
        assert answer.answer_type == "number" and not answer.refused, answer.text
        assert answer.short is not None and "10 phòng" in answer.short.text
        assert answer.citations[0].doc_id == DOC_004
    # "ông ấy" is the man the answer named; what he asked for is in the other seed (refused before:
    # the question "Ai chủ trì …" made it a "who" question, and its words picked the sentence quoted)
    answer = seeds_assistant.ask("Ông ấy đề nghị HĐND quận và Ủy ban MTTQ làm gì?", history=history)
    assert answer.answer_type == "content" and not answer.refused, answer.text
    assert "tăng cường công tác giám sát" in answer.text and answer.citations[0].doc_id == DOC_000


def test_a_follow_up_about_the_person_the_answer_named(seeds_assistant, seed_docs):
    """ "Bà ấy" is whom the previous answer named: the follow-up is read as "Nguyễn Thị Ngọc Anh phát
    biểu những gì?" (it was refused: none of its own words but "phát biểu" is in the answer)."""
    history = [
        ("Ai là Chủ tịch UBND phường Hàng Bài?", "Chủ tịch UBND phường Hàng Bài Nguyễn Thị Ngọc Anh phát biểu [1].")
    ]
    answer = seeds_assistant.ask("Bà ấy phát biểu những gì?", history=history)
    assert not answer.refused, answer.text
    assert "thời khắc rất quan trọng" in answer.text and answer.citations[0].doc_id == DOC_000
    check_citations(answer, seed_docs)


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_is_refused_after_history(seeds_assistant, question):
    """A new, unrelated question in a conversation must not be answered with the previous topic."""
    history = [
        (
            "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?",
            "Quận Hoàn Kiếm công bố quyết định bổ nhiệm 16 Chủ tịch, 35 Phó Chủ tịch UBND phường [1].",
        )
    ]
    answer = seeds_assistant.ask(question, history=history)
    assert answer.refused is True, answer.text
    assert answer.text == REFUSAL


def test_answer_to_dict(seeds_assistant):
    data = seeds_assistant.ask(FACTS[0][0]).to_dict()
    assert data["refused"] is False and "16 Chủ tịch" in data["text"]
    for key in ("marker", "doc_id", "title", "source", "text", "start", "end", "score", "sentence"):
        assert key in data["citations"][0]


# -- bad input, never a crash --------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "\n\t  \n", "\x00\x1b"])
def test_empty_question(seeds_assistant, question):
    answer = seeds_assistant.ask(question)
    assert answer.refused is True
    assert answer.text == EMPTY_QUESTION
    assert answer.citations == []


def test_too_long_question(seeds_assistant):
    answer = seeds_assistant.ask("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch? " * 2300)  # > 100,000 characters
    assert answer.refused is True
    assert "quá dài" in answer.text
    assert "2.000" in answer.text  # says what the limit is
    assert answer.citations == []


def test_control_characters_are_ignored(seeds_assistant, seed_docs):
    answer = seeds_assistant.ask("Quận\x00 Hoàn\x1b Kiếm bổ nhiệm bao nhiêu Chủ tịch?")
    assert not answer.refused
    assert "16 Chủ tịch" in answer.text
    assert DOC_000 in [c.doc_id for c in answer.citations]
    check_citations(answer, seed_docs)


@pytest.mark.parametrize("question", [FACTS[0][0], FACTS[7][0], FACTS[4][0]])
def test_nfd_question_gets_the_nfc_answer(seeds_assistant, question):
    nfc = seeds_assistant.ask(question)
    nfd = seeds_assistant.ask(unicodedata.normalize("NFD", question))
    assert nfd.text == nfc.text
    assert [(c.doc_id, c.start, c.end) for c in nfd.citations] == [(c.doc_id, c.start, c.end) for c in nfc.citations]


def test_english_question_does_not_crash(seeds_assistant):
    answer = seeds_assistant.ask("How many ward chairmen did Hoan Kiem district appoint?")
    assert isinstance(answer, Answer)
    if answer.refused:
        assert answer.text == REFUSAL
    else:
        assert answer.citations and has_diacritics(answer.text)


@pytest.mark.parametrize("question", ["???", "!!! ... ---", "12345", "a", "[1] [2]", "<script>alert(1)</script>"])
def test_odd_questions_do_not_crash(seeds_assistant, question):
    answer = seeds_assistant.ask(question)
    assert isinstance(answer, Answer) and answer.text
    if answer.refused:
        assert answer.citations == []


def test_refusal_confidence_is_the_refusal_model_over_the_signals(seeds_assistant):
    """Questions typed without diacritics are embedded restored: their dense score counts as well."""
    from assistant.answering import refusal

    answerer = seeds_assistant._current().answerer
    models = answerer.models

    def confidence(values, accented, kind=""):
        return refusal.confidence(models, "accented" if accented else "unaccented", values, kind)

    weak = {
        "coverage": 0.6,
        "sentence": 0.5,
        "dense": 0.2,
        "passage_pairs": 0.5,
        "missing_weight": 1.0,
        "missing_name": 0.0,
        "typed": 0.6,
    }
    strong = dict(weak, dense=1.0)
    for accented in (True, False):
        low, high = confidence(weak, accented), confidence(strong, accented)
        assert 0.0 < low < 0.5 < high < 1.0
    model = models.refusal["accented"]
    z = model["bias"] + sum(model[k] * v for k, v in strong.items())
    assert confidence(strong, True) == pytest.approx(1 / (1 + 2.718281828459045**-z))

    # a name no passage has counts against answering; another name of that kind instead refuses outright
    assert confidence(dict(strong, missing_name=1.0), True) < confidence(strong, True)
    assert confidence(dict(strong, missing_name=1.0, other_name=1.0), True) == 0.0

    answer = seeds_assistant.ask("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?")
    assert set(answer.signals) == set(model) - {"bias"} | {"other_name"}
    assert all(0.0 <= v <= 1.0 for v in answer.signals.values()) and answer.signals["missing_name"] == 0.0
    assert answer.confidence == pytest.approx(confidence(answer.signals, True, answer.answer_type))
    refused = seeds_assistant.ask("gia vang hom nay bao nhieu mot luong")
    assert refused.refused is True and refused.text == REFUSAL and refused.signals["missing_weight"] == 1.0


def test_an_answer_in_the_low_confidence_band_says_so(seeds_assistant):
    """Between the refusal threshold and the fitted caution, where wrong answers gather, the answer is given
    with a notice to check it against its source; above the caution, without."""
    import dataclasses

    from assistant.types import LOW_CONFIDENCE

    answerer = seeds_assistant._current().answerer
    shipped = answerer.models
    for key in ("accented", "unaccented", "crosslingual"):
        assert shipped.thresholds[key] <= shipped.caution[key] < 1.0
    question = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"
    sure = seeds_assistant.ask(question)
    assert not sure.refused and sure.confidence >= shipped.caution["accented"] and sure.notice == ""
    try:
        answerer.models = dataclasses.replace(shipped, caution={"accented": sure.confidence + 0.01})
        unsure = seeds_assistant.ask(question)
        answerer.models = dataclasses.replace(shipped, caution={"accented": 1.0}, thresholds={"accented": 1.0})
        refused = seeds_assistant.ask(question)
    finally:
        answerer.models = shipped
    assert not unsure.refused and unsure.text == sure.text and unsure.notice == LOW_CONFIDENCE
    assert unsure.to_dict()["notice"] == LOW_CONFIDENCE  # what the web chat, the CLI and the server show
    assert refused.refused and refused.notice == ""  # a refusal says so itself


def test_a_name_with_its_title_after_a_dash_answers_who():
    """News writes "Phạm Tuấn Long - Phó Bí thư Quận ủy, Chủ tịch UBND quận": the name sits beside the title."""
    from assistant.answering.features import name_beside_question as _name_beside_question

    question = {"chủ", "tịch", "ubnd", "quận", "hoàn", "kiếm", "là", "ai"}
    sentence = "Tham dự kỳ họp có đồng chí Phạm Tuấn Long - Phó Bí thư Quận ủy, Chủ tịch UBND quận; các đồng chí khác."
    assert _name_beside_question(sentence, question, True)
    assert _name_beside_question(sentence.replace("Chủ tịch UBND", "Trưởng ban"), question, True) is False
    assert _name_beside_question("Có đồng chí Phạm Tuấn Long - Phó Bí thư; Chủ tịch UBND quận", question, True) is False


def test_a_question_naming_what_no_passage_names_is_caught():
    from assistant.answering.question import missing_names as _missing_names
    from assistant.types import Passage

    def passages(text):
        return [Passage("d", "t", "s", text, 0, len(text), 1.0)]

    # (missing, another of the same kind named instead)
    assert _missing_names("Ai là Chủ tịch UBND phường Hàng Trống?", passages("Chủ tịch UBND phường Hàng Bài")) == (
        True,
        True,
    )
    assert _missing_names("chu tich ubnd quan Tay Ho la ai", passages("Chủ tịch UBND quận Hoàn Kiếm")) == (True, True)
    assert _missing_names("Quận Ba Đình bổ nhiệm ai?", passages("quận Hoàn Kiếm bổ nhiệm")) == (True, True)
    assert _missing_names("Ai là Chủ tịch UBND phường Hàng Bài?", passages("Chủ tịch UBND phường Hàng Bài")) == (
        False,
        False,
    )
    assert _missing_names("ai la chu tich phuong Hang Bai", passages("Chủ tịch UBND phường Hàng Bài")) == (False, False)
    # a foreign name a letter off is named (misspelt, or an English plural): "Clipper", "Shelly", "Ultar Pradesh"
    assert _missing_names("Los Angeles Clipper chơi môn gì?", passages("Los Angeles Clippers là đội NBA")) == (
        False,
        False,
    )
    assert _missing_names("Ai đã gặp Percy Shelly?", passages("ông Percy Shelley và vợ")) == (False, False)
    assert _missing_names("Ai đã gặp Percy Johnson?", passages("ông Percy Jackson và vợ"))[0] is True
    # a Vietnamese name is not: "Hàng Bông" is another street than "Hàng Bồ"
    assert _missing_names("Ai sống ở phố Hàng Bông?", passages("Ông sống ở phố Hàng Bồ"))[0] is True
    # a longer name is named when two of its words stand together: "Grainger Market" for "Chợ Grainger Market"
    assert _missing_names("Ai xếp hạng Chợ Grainger Market?", passages("The Grainger Market was listed"))[0] is False
    assert _missing_names("Ai xếp hạng Chợ Grainger Market?", passages("Grainger Town, the Market"))[0] is True
    assert _missing_names("Hoàn Kiếm ở đâu?", passages("không liên quan")) == (False, False)  # it starts the question
    # a part of the question's own name is not another of its kind: "dịch vụ Internet" of "dịch vụ
    # Internet Connexion" (still missing, as the pair is nowhere)
    internet = passages("Boeing mở dịch vụ Internet băng thông rộng trên máy bay")
    assert _missing_names("Phí dịch vụ Internet Connexion là bao nhiêu?", internet) == (True, False)
    # the capitalised kind of a body heads its name as "phường" does: "Thứ trưởng Bộ Công nghiệp" is not
    # "another trưởng" than "Bộ trưởng Thương mại" (the run "Bộ Công" was named, and missing)
    asked = "Thứ trưởng Bộ Công nghiệp nào dự buổi họp ở TP HCM?"
    trade = passages("Bộ trưởng Thương mại Trương Đình Tuyển và Thứ trưởng Công nghiệp Bùi Xuân Khu dự họp")
    assert _missing_names(asked, trade) == (False, False)
    assert _missing_names("Bộ sưu tập Viễn Đông có gì?", passages("không liên quan"))[0] is True  # "Viễn" is no "Viện"


def test_sentences_are_ordered_by_the_ranker_and_refusal_reads_their_probability(seeds_assistant):
    from assistant.answering import refusal
    from assistant.answering.models import linear, logistic
    from assistant.retrieval import Query

    answerer = seeds_assistant._current().answerer
    SENTENCE_RANKER, SENTENCE_MODEL = answerer.models.ranker, answerer.models.sentence
    question = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"
    passages = seeds_assistant.retrieve(question)
    query = Query.of(question)
    weights = answerer.term_weights(query)
    candidates = answerer.candidates(query, weights, passages)
    assert len(candidates) > 2
    assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)
    for c in candidates:
        assert set(c.features) == set(SENTENCE_RANKER) == set(SENTENCE_MODEL) - {"bias"}
        assert c.score == pytest.approx(linear(SENTENCE_RANKER, c.features))
        assert c.probability == pytest.approx(logistic(SENTENCE_MODEL, c.features))
    assert "16 Chủ tịch" in candidates[0].text
    signals = refusal.signals(query, weights, candidates, passages)
    assert signals["sentence"] == max(c.probability for c in candidates)


def test_passage_signals_read_the_passage_the_best_sentence_comes_from(seeds_assistant):
    """A related-news list fused first ("… kỳ thi diễn ra …") must not lend its weak meaning similarity to
    an answer quoted from the second passage."""
    from assistant.answering import refusal
    from assistant.retrieval import Query
    from assistant.types import Passage

    answerer = seeds_assistant._current().answerer
    question = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"
    passages = seeds_assistant.retrieve(question)
    query = Query.of(question)
    weights = answerer.term_weights(query)
    best = answerer.candidates(query, weights, passages)[0].passage
    other = "Tin liên quan: diễn tập tình huống thi tốt nghiệp, kỳ thi diễn ra an toàn."
    unrelated = Passage("tin.txt", "Tin", "tin.txt", other, 0, len(other), 9.0, dense_score=0.76)
    shuffled = [unrelated, *passages]
    candidates = answerer.candidates(query, weights, shuffled)
    assert candidates[0].passage.doc_id == best.doc_id
    signals = refusal.signals(query, weights, candidates, shuffled)
    alone = refusal.signals(query, weights, answerer.candidates(query, weights, passages), passages)
    for name in ("dense", "passage_pairs", "missing_weight"):  # the sentence's own signals depend on its rank
        assert signals[name] == alone[name], name
    assert signals["dense"] == min(max((best.dense_score - 0.75) / 0.15, 0.0), 1.0) > 0.1


def test_a_syllable_every_candidate_repeats_weighs_less_than_one_only_the_answer_has():
    """The topic ("Hốt Tất Liệt") is in every retrieved sentence; the verb asked about ("phân chia") is not."""
    from assistant.answering.features import local_weights as _local_weights
    from assistant.text import syllables

    weights = {"hốt": 3.0, "phân": 2.0, "chia": 2.0}
    sentences = {
        t: syllables(t)
        for t in [
            "Hốt Tất Liệt lên ngôi năm 1260.",
            "Triều đình của Hốt Tất Liệt ở Đại Đô.",
            "Chính quyền của Hốt Tất Liệt có sự phân chia ba bên.",
        ]
    }
    local = _local_weights(weights, sentences)
    assert local["phân"] > local["hốt"] > 0


def test_new_words_where_the_question_word_stands_fill_its_slot():
    from assistant.answering.features import fills_slot as _fills_slot
    from assistant.answering.question import answer_slot as _answer_slot
    from assistant.text import syllables

    question = syllables("Jacksonville nằm ở quận nào?")
    slot = _answer_slot(question, True)
    assert slot == ("quận", "")
    assert _fills_slot(syllables("Đây là quận lỵ của Quận Duval."), slot, set(question), True)
    assert not _fills_slot(syllables("Jacksonville nằm ở quận."), slot, set(question), True)
    who = syllables("Ai đã hát quốc ca tại Super Bowl 50?")
    assert _answer_slot(who, True) == ("", "hát")
    assert _fills_slot(syllables("Lady Gaga hát quốc ca."), _answer_slot(who, True), set(who), True)
    folded = syllables("jacksonville nam o quan nao")
    assert _answer_slot(folded, False) == ("quan", "")


def test_a_deputy_is_not_the_person_asked_for():
    """ "Ai là Bí thư Quận ủy?" is not answered by "Phó Bí thư ... Đinh Hồng Phong", unless it asks for the deputy."""
    from assistant.answering.features import name_beside_question as _name_beside_question
    from assistant.text import syllables

    secretary = set(syllables("Ai là Bí thư Quận ủy Hoàn Kiếm?"))
    deputy = "Phó Bí thư Thường trực quận ủy Hoàn Kiếm Đinh Hồng Phong trao quyết định."
    assert _name_beside_question("Bí thư Quận ủy Hoàn Kiếm Vũ Đăng Định phát biểu.", secretary, True)
    assert not _name_beside_question(deputy, secretary, True)
    assert not _name_beside_question(
        "Có đồng chí Phạm Tuấn Long - Phó Bí thư Quận ủy, các đồng chí khác.", secretary, True
    )
    assert _name_beside_question(deputy, set(syllables("Phó Bí thư Thường trực Quận ủy Hoàn Kiếm là ai?")), True)
    # a deputy of another office is not the deputy asked for: "phó" alone matched the question's "Phó"
    assert not _name_beside_question(deputy, set(syllables("Ai là Phó Chủ tịch UBND quận Hoàn Kiếm?")), True)
    # the dash title still answers the question its other part matches
    chairman = set(syllables("Chủ tịch UBND quận Hoàn Kiếm là ai?"))
    assert _name_beside_question(
        "Có đồng chí Phạm Tuấn Long - Phó Bí thư Quận ủy, Chủ tịch UBND quận; các đồng chí.", chairman, True
    )


@pytest.mark.parametrize(
    "question, title",
    [
        ("Ai là Phó Chủ tịch UBND quận Hoàn Kiếm?", ("pho chu tich", "ubnd")),
        ("ai la pho chu tich ubnd quan hoan kiem", ("pho chu tich", "ubnd")),
        ("Chủ tịch HĐND quận Hoàn Kiếm là ai?", ("chu tich", "hdnd")),
        ("Ban Chỉ đạo do Phó Thủ tướng nào làm trưởng ban?", ("pho thu tuong", "")),
        ("Ai được bổ nhiệm làm đại diện của Canon tại Hà Nội?", None),  # who got a post
        ("Báo cáo đổ lỗi cho ai về cái chết của tiến sĩ Kelly?", None),  # a title named in passing
    ],
)
def test_the_title_whose_holder_is_asked_for(question, title):
    from assistant.answering.features import asked_title

    assert asked_title(question) == title


def test_a_sentence_holds_the_title_asked_only_beside_a_name():
    """ "Ai là Phó Chủ tịch UBND quận Hoàn Kiếm?" was answered "Đinh Hồng Phong" (Phó Bí thư) and then
    "Phạm Tuấn Long" (Chủ tịch): the seeds name no deputy chairman of the district committee, and no
    sentence holding a name with that title means the question is refused (refusal.typed_signal)."""
    from assistant.answering.features import asked_title, holds_title

    def holds(question: str, sentence: str) -> bool:
        asked = asked_title(question)
        assert asked is not None, question
        return holds_title(sentence, asked, {fold(w) for w in syllables(question)})

    deputy = "Ai là Phó Chủ tịch UBND quận Hoàn Kiếm?"
    attendance = (
        "Tham dự kỳ họp có đồng chí Phạm Tuấn Long - Phó Bí thư Quận ủy, Chủ tịch UBND quận; các đồng chí trong"
        " Ban Thường vụ Quận ủy; Phó Chủ tịch UBND quận, Trưởng các phòng chuyên môn thuộc quận."
    )
    presiding = (
        "Chủ trì kỳ họp có đồng chí Vũ Đăng Định - Thành ủy viên, Bí thư Quận ủy, Chủ tịch HĐND quận; đồng chí"
        " Nguyễn Thị Phương Chung - UVTV, Phó Chủ tịch HĐND quận."
    )
    assert not holds(deputy, attendance) and not holds(deputy, presiding)
    assert not holds(deputy, "Phó Bí thư Thường trực quận ủy Hoàn Kiếm Đinh Hồng Phong trao quyết định.")
    assert holds("Ai là Chủ tịch UBND quận Hoàn Kiếm?", attendance)
    assert holds("Ai là Phó Chủ tịch HĐND quận Hoàn Kiếm?", presiding)
    assert holds("Ai là Chủ tịch UBND quận?", "Ông Phạm Tuấn Long, Chủ tịch Ủy ban nhân dân quận, phát biểu.")
    assert holds("Chủ tịch của IPCC là ai?", "Nhà kinh tế học Hoesung Lee là chủ tịch của IPCC kể từ năm 2015.")
    # not "là vợ ... của Giám đốc": the title right after "là"; names with initials and hyphens count
    assert not holds("Ai là Giám đốc Taxi Cienco 8?", "Tạm giữ Trần Thị Huệ là vợ và em gái của Giám đốc Taxi.")
    assert holds("Bộ trưởng Giao thông Ai Cập là ai?", "Theo Bộ trưởng Giao thông vận tải Ai Cập M.Mansour hôm 4-2.")
    # folded, "Đặng" is "Đảng" (dang): a surname opens a name, an office's first word does not
    assert holds("Ai là Bộ trưởng Bộ Tài nguyên?", "Bộ trưởng Bộ Tài nguyên Đặng Hùng Võ cho biết.")
    # "Hoàng" is a surname before it is a title; "Trưởng" opening a list item is no name
    assert holds("Ai la Truong Ban quan ly rung?", "Ông Hoàng Ngọc Lanh, Trưởng Ban quản lý rừng cho biết.")


def test_the_sentence_naming_the_holder_is_quoted_first(seeds_assistant):
    """The attendance list ("Phạm Tuấn Long - ..., Chủ tịch UBND quận; ...") was quoted and marked first
    for "Chủ tịch HĐND quận Hoàn Kiếm là ai?"; a near miss about a title no one holds is refused."""
    chairman = seeds_assistant.ask("Chủ tịch HĐND quận Hoàn Kiếm là ai?")
    assert chairman.short is not None and chairman.short.text == "Vũ Đăng Định"
    deputy = seeds_assistant.ask("Ai là Phó Chủ tịch HĐND quận Hoàn Kiếm?")
    assert deputy.short is not None and deputy.short.text == "Nguyễn Thị Phương Chung"
    assert seeds_assistant.ask("Ai là Phó Chủ tịch UBND quận Hoàn Kiếm?").refused


def test_a_pronoun_sentence_is_quoted_with_the_sentence_before_a_bracketed_note():
    """ "Ông cũng mô tả…" needs who "ông" is, not the "[cần xác minh]" between them."""
    from assistant.answering import ExtractiveAnswerer, IdfTable
    from assistant.config import AnswerConfig
    from assistant.types import Passage

    sentences = [
        "Al-Muwaffaq là một thầy thuốc người Ba Tư ở thế kỷ 10.",
        "[cần xác minh]",
        "Ông cũng mô tả việc chưng cất nước biển để uống.",
    ]
    text = " ".join(sentences)
    spans, start = [], 0
    for s in sentences:
        spans.append((start, start + len(s)))
        start += len(s) + 1
    passage = Passage("d", "t", "s", text, 0, len(text), 1.0, dense_score=0.9, sentences=spans)
    config = AnswerConfig(refusal_threshold=0.0, refusal_threshold_unaccented=0.0)
    answer = ExtractiveAnswerer(config, IdfTable(10, {}, {})).answer(
        "Ai mô tả việc chưng cất nước biển để uống?", [passage]
    )
    assert [c.sentence for c in answer.citations] == [sentences[0], sentences[2]]
    assert "Al-Muwaffaq" in answer.text and "cần xác minh" not in answer.text


def test_a_number_of_another_kind_does_not_answer_how_much_or_how_long(tmp_path):
    """A near miss: the article dates the console but never prices it, and prices the sofa but never says
    how long its warranty is. "Giá bao nhiêu" needs money, "bao lâu" a duration: refused, not answered
    with the year or the price; the questions the articles do answer still are."""
    from assistant.answering.features import answers_number
    from assistant.text import syllables

    articles = [
        "Máy chơi game PlayStation 3 của Sony sẽ ra mắt năm 2006 tại Nhật Bản. Máy được trang bị đầu đọc "
        "Blu-Ray và bộ xử lý Cell do Sony, IBM và Toshiba cùng phát triển.",
        "Bộ salon da tự nhiên Alida được bày bán tại cửa hàng An Dương, Hà Nội. Mỗi bộ salon Alida có giá "
        "32.900.000 đồng, gồm một ghế dài và hai ghế đơn bọc da bò Italy.",
    ]
    bot = assistant_over(tmp_path, articles)
    for question in (
        "Máy chơi game PlayStation 3 của Sony được bán với giá bao nhiêu?",
        "Bộ salon da Alida bán tại An Dương được bảo hành bao lâu?",
    ):
        answer = bot.ask(question)
        assert answer.refused, (question, answer.text)
    assert "2006" in bot.ask("Máy chơi game PlayStation 3 ra mắt năm nào?").text
    price = bot.ask("Bộ salon da Alida có giá bao nhiêu?")
    assert not price.refused and "32.900.000 đồng" in price.text
    # the check itself, on both spellings of a question
    tokens = syllables("Máy có giá 499 USD.")
    assert answers_number(syllables("Máy có giá bao nhiêu?"), "", "Máy có giá 499 USD.", tokens, True)
    assert not answers_number(syllables("Máy có giá bao nhiêu?"), "", "Máy ra mắt năm 2006.", syllables("x"), True)
    # "Tiền" of the ward "Tràng Tiền" does not make it a question about money
    library = syllables("Thư viện phường Tràng Tiền có bao nhiêu đầu sách?")
    sentence = "Thư viện có 12.500 đầu sách."
    names = frozenset(syllables("Tràng Tiền"))
    assert answers_number(library, "đầu", sentence, syllables(sentence), True, names)
    folded = syllables("may duoc bao hanh bao lau")
    assert answers_number(folded, "", "Bảo hành 5 năm.", ["bao", "hanh", "5", "nam"], False)
    # a year is not a duration: "năm 1988" does not answer "bao nhiêu năm tù", "6 năm tù" does
    sentence_tokens = syllables("Hùng buôn lậu từ năm 1988 với 45 chuyến tàu.")
    prison = syllables("Tòa tuyên phạt Hùng bao nhiêu năm tù?")
    assert not answers_number(prison, "năm", "Hùng buôn lậu từ năm 1988 với 45 chuyến tàu.", sentence_tokens, True)
    assert answers_number(prison, "năm", "Hùng bị phạt 6 năm tù.", syllables("Hùng bị phạt 6 năm tù."), True)


def test_a_number_counts_the_word_right_after_it(tmp_path):
    """ "165 công chức phường" counts civil servants, not wards: "Có bao nhiêu phường ở quận Hoàn Kiếm?" was
    answered "165" from the seeds. The counted word is the first after the number, past number words and
    a classifier ("hai mươi chiếc xe"); a document that counts no wards is refused."""
    from assistant.answering.features import answers_number
    from assistant.text import fold, syllables

    article = (
        "Ngày 30/6, UBND quận Hoàn Kiếm tổ chức hội nghị công bố quyết định bổ nhiệm cán bộ phường. "
        "Cùng với đó, UBND quận Hoàn Kiếm đã chuyển đổi 165 công chức phường thành công chức do UBND quận quản lý."
    )
    bot = assistant_over(tmp_path, [article])
    wards = bot.ask("Có bao nhiêu phường ở quận Hoàn Kiếm?")
    assert wards.refused, wards.text
    servants = bot.ask("Quận Hoàn Kiếm đã chuyển đổi bao nhiêu công chức phường?")
    assert not servants.refused and servants.short is not None and "165" in servants.short.text

    def counts(unit: str, sentence: str, accented: bool = True) -> bool:
        tokens = syllables(sentence) if accented else [fold(t) for t in syllables(sentence)]
        question = syllables(f"có bao nhiêu {unit}")
        return answers_number(question, unit, sentence, tokens, accented)

    assert counts("phường", "Chính quyền 18 phường sẽ hoạt động theo mô hình mới.")
    assert not counts("phường", "Quận chuyển đổi 165 công chức phường.")
    assert counts("xe", "Đoàn có hai mươi chiếc xe.")
    assert counts("xe", "Doan co hai muoi chiec xe.", accented=False)
    assert counts("tuổi", "Ông Minh, tuổi 38, là kỹ sư.")  # the counted word before its number


def test_a_number_word_the_question_has_counts_when_it_counts_something_else(tmp_path):
    """ "một hào" answers "mua một bát ngô rang hết bao nhiêu tiền?" although the question has "một": its
    "một" is the bowl's; an old coin is money."""
    from assistant.answering.compose import answer_span
    from assistant.answering.features import carries_type
    from assistant.text import syllables

    question = "Vào những năm 50, ở Hà Nội mua một bát ngô rang hết bao nhiêu tiền?"
    q_words = set(syllables(question))
    priced = "Chỉ cần một hào là đã có một bát ngô rang, hột nào hột nấy nở bung."
    unpriced = "Các bà bán ngô rang, mỗi người một bát."
    assert carries_type("number", priced, syllables(priced), q_words, True)
    assert not carries_type("number", unpriced, syllables(unpriced), q_words, True)
    start, end = answer_span("number", priced, syllables(question), True)
    assert priced[start:end] == "một hào"
    told = "Ở Hà Nội những năm 50, chỉ cần một hào là mua được một bát ngô rang nóng."
    bot = assistant_over(tmp_path, [f"Ngô rang Hà Nội. Mùa đông, ngô rang bán khắp phố. {told}"])
    answer = bot.ask(question)
    assert not answer.refused and "một hào" in answer.text


def test_a_question_typed_without_diacritics_asks_for_money_only_when_its_restored_words_do(tmp_path):
    """Folded, the money cues are other words too ("phát hiện" is "phat hien", "phạt" is "phat"; "lực
    lượng" holds "luong"): read as typed, "... phat hien dien tich rung ... la bao nhieu" asked for money
    and its answer, "2,5 ha", was refused. The answerer restores the question with the index's words first."""
    from assistant.answering.features import answers_number
    from assistant.text import syllables

    articles = [
        "Ngày 17-2, khi trở lại kiểm tra, lực lượng bảo vệ rừng phát hiện một diện tích rừng lên tới 2,5 ha "
        "bị tàn phá nghiêm trọng. Lực lượng kiểm lâm đã phát hiện nhiều vụ chặt phá rừng trong năm qua.",
        "Vé vào cửa khu du lịch có giá 40.000 đồng một người. Lực lượng bảo vệ khu du lịch có 12 người.",
    ]
    bot = assistant_over(tmp_path, articles)
    area = bot.ask("Ngay 17-2, luc luong bao ve rung phat hien dien tich rung bi tan pha la bao nhieu?")
    assert not area.refused and "2,5 ha" in area.text, area.text
    price = bot.ask("Ve vao cua khu du lich co gia bao nhieu?")
    assert not price.refused and "40.000 đồng" in price.text, price.text
    # the check itself: folded alone, "phat" is a fine; restored, it is "phát hiện"
    question = syllables("luc luong phat hien dien tich rung la bao nhieu")
    restored = syllables("lực lượng phát hiện diện tích rừng là bao nhiêu")
    sentence = "Lực lượng bảo vệ phát hiện 2,5 ha rừng bị phá."
    tokens = syllables(fold(sentence))
    assert not answers_number(question, "", sentence, tokens, False)
    assert answers_number(question, "", sentence, tokens, False, restored=restored)
    fine = syllables("muc phat la bao nhieu")
    assert not answers_number(fine, "", sentence, tokens, False, restored=syllables("mức phạt là bao nhiêu"))


def test_free_of_charge_asks_for_no_sum(tmp_path):
    """ "miễn phí" holds the money cue "phí" but asks for no sum: "dung lượng lưu trữ miễn phí … lên bao
    nhiêu?" is answered by "250 MB", typed with or without diacritics; "phí" alone still asks for money."""
    from assistant.answering.features import answers_number
    from assistant.text import syllables

    sentence = "Hotmail tăng dung lượng lưu trữ miễn phí lên 250 MB."
    asked = "Hotmail tăng dung lượng lưu trữ miễn phí lên bao nhiêu?"
    assert answers_number(syllables(asked), "", sentence, syllables(sentence), True)
    typed = syllables("hotmail tang dung luong luu tru mien phi len bao nhieu")  # read as restored
    restored = syllables(asked.rstrip("?"))
    assert answers_number(typed, "", sentence, syllables(fold(sentence)), False, restored=restored)
    fee = syllables("Phí dịch vụ Hotmail là bao nhiêu?")
    assert not answers_number(fee, "", sentence, syllables(sentence), True)
    bot = assistant_over(tmp_path, [f"Thư điện tử. {sentence} Yahoo cho 100 MB."])
    answer = bot.ask("Hotmail tăng dung lượng lưu trữ miễn phí lên bao nhiêu?")
    assert not answer.refused and answer.short is not None and answer.short.text.startswith("250"), answer.text


def test_a_score_answers_what_score_and_a_word_only_folded_into_a_number_does_not():
    """ "Tỷ số bao nhiêu" is answered by "3-1" (two numbers a date's pattern would skip), not by a count;
    a question typed without diacritics still needs a number word as the sentence writes it: "Đội" is
    not "đôi", "sau" not "sáu"."""
    from assistant.answering.compose import answer_span
    from assistant.answering.features import answers_number, carries_type
    from assistant.text import syllables

    score = syllables("Đội nữ Thái Bình thắng Bưu Điện Hà Nội tỷ số bao nhiêu?")
    result = "Kết quả chung cuộc của trận bán kết là 3-1 nghiêng về Thái Bình."
    assert answers_number(score, "", result, syllables(result), True)
    assert not answers_number(score, "", "Thái Bình có 12 vận động viên.", syllables("x"), True)
    span = answer_span("number", result, score, True)
    assert span is not None and result[span[0] : span[1]] == "3-1"
    # "Công ty … trong số đó" does not ask for a score
    company = syllables("Công ty AA trong số đó có bao nhiêu nhân viên?")
    assert answers_number(company, "nhân", "AA hiện có khoảng 1.500 nhân viên.", syllables("1.500 nhân viên"), True)
    folded = set(syllables("doi nu thai binh thang bao nhieu tran"))
    team = "Đội nữ Bưu Điện thua sau trận bán kết."
    assert not carries_type("number", team, [w.lower() for w in team.split()], folded, False)
    assert carries_type("number", "Đội nữ thắng sáu trận.", syllables("x"), folded, False)


def test_a_foreign_surname_answers_who(tmp_path):
    """ "Ai …?" is answered by one foreign word ("Miller"), not refused for want of a two-word name."""
    article = (
        "Trận chung kết diễn ra tại sân Levi's. Ở lượt chơi tiếp theo, Miller đã tước bóng từ Newton và "
        "đội phòng ngự lấy lại được bóng. Sau trận, huấn luyện viên khen ngợi hàng thủ."
    )
    bot = assistant_over(tmp_path, [article])
    who = bot.ask("Ai đã tước bóng từ Newton?")
    assert not who.refused and who.short is not None and who.short.text == "Miller", who.text


def test_a_sentence_pointing_back_carries_the_asked_type_with_the_sentence_before():
    """ "Sự tồn tại của nó … năm 1962" answers "Plastome được phát hiện khi nào?" when the sentence
    before names plastome: the typed evidence is read with it, not refused for the sentence's own few
    shared words. A sentence that does not point back is read alone."""
    from assistant.answering.ranking import Candidate
    from assistant.answering.refusal import typed_signal
    from assistant.retrieval import Query
    from assistant.types import Passage

    passage = Passage("d", "t", "s", "x", 0, 1, 1.0)
    query = Query.of("Plastome được phát hiện khi nào?")

    def candidate(text: str) -> Candidate:
        return Candidate(passage, 0, 0, 1, text, 0.1, 1.0, 0.5, {"typed": 1.0, "context": 0.4})

    pointing = candidate("Sự tồn tại của nó được chứng minh lần đầu vào năm 1962.")
    assert typed_signal([pointing], query, "date") == pytest.approx(0.5)
    alone = candidate("Lục lạp được chứng minh lần đầu vào năm 1962.")
    assert typed_signal([alone], query, "date") == pytest.approx(0.1)


def test_a_date_question_wants_the_precision_it_asks_for():
    from assistant.answering.features import answers_date
    from assistant.text import syllables

    year = syllables("Tòa nhà dự kiến hoàn thành vào năm nào?")
    assert answers_date(year, "Tòa nhà sẽ hoàn thành năm 2007.")
    assert not answers_date(year, "Tòa nhà sẽ được nghiệm thu trong tháng 6.")
    day = syllables("tran dau dien ra vao ngay nao")
    assert answers_date(day, "Trận đấu diễn ra tối qua trên sân Mỹ Đình.")
    assert answers_date(day, "Trận đấu diễn ra ngày 12/5.")
    assert not answers_date(day, "Giải đấu năm 2005 có 14 đội.")
    assert answers_date(syllables("Khi nào trận đấu diễn ra?"), "Giải đấu năm 2005.")  # any date will do


def test_an_office_acting_answers_who_and_an_office_acted_on_does_not():
    """In a law, "ai bổ nhiệm" is answered by an office: "... do Chủ tịch Ủy ban nhân dân quận bổ nhiệm"."""
    from assistant.answering.features import carries_type
    from assistant.text import syllables

    law = "Chủ tịch Ủy ban nhân dân phường do Chủ tịch Ủy ban nhân dân quận bổ nhiệm, miễn nhiệm."
    who = set(syllables("ai bổ nhiệm chủ tịch ủy ban nhân dân phường"))
    assert carries_type("person", law, syllables(law.lower()), who, True)
    news = "UBND quận công bố quyết định bổ nhiệm Chủ tịch, Phó Chủ tịch UBND phường trên địa bàn"
    head = set(syllables("ai là chủ tịch ubnd quận hoàn kiếm"))
    assert not carries_type("person", news, syllables(news.lower()), head, True)


def test_an_ordinal_is_no_date_and_a_budget_is_money():
    """ "kỳ họp thứ 17" is the 17th session, not a weekday (those are "thứ 2" to "thứ 7"); "ngân sách
    ... là bao nhiêu" asks for a sum, which "kỳ họp thứ 17 ... năm 2025" does not give."""
    from assistant.answering.features import answers_number, carries_type
    from assistant.text import syllables

    session = "HĐND quận tổ chức kỳ họp thứ 17 để xem xét dự toán"
    assert not carries_type("date", session, syllables(session), set(syllables("Khi nào?")), True)
    assert carries_type("date", "Họp vào thứ 2 hằng tuần", syllables("Họp vào thứ 2 hằng tuần"), set(), True)
    budget = syllables("Ngân sách quận năm 2025 là bao nhiêu?")
    sentence = "Kỳ họp thứ 17 xem xét dự toán ngân sách quận năm 2025 và 10 phòng"
    assert not answers_number(budget, "", sentence, syllables(sentence), True)
    assert answers_number(budget, "", "Ngân sách quận là 1.200 tỷ đồng.", syllables("là 1.200 tỷ đồng"), True)


def test_the_answer_confidence_is_exactly_what_refusal_computes_from_its_signals(seeds_assistant):
    """Follow-ups and English questions too: a benchmark that rescores saved signals must score what the
    product does (the follow-up cap and the English missing-name rule live in refusal.confidence)."""
    from assistant.answering import refusal

    models = seeds_assistant._current().answerer.models
    follow_up = seeds_assistant.ask(
        "Ông ấy giữ chức vụ gì?", history=[("Ai chủ trì kỳ họp thứ 17?", "Ông Vũ Đăng Định chủ trì [1].")]
    )
    english = seeds_assistant.ask("How many ward chairpersons did Hoan Kiem district appoint?")
    for answer, key in ((follow_up, "accented"), (english, "crosslingual")):
        assert answer.signals, answer
        assert answer.confidence == pytest.approx(refusal.confidence(models, key, answer.signals, answer.answer_type))
    assert 0.0 <= follow_up.signals["focus"] <= 1.0
    assert english.signals["missing_name"] == 0.0 and not english.refused
    # an English question naming what no passage has is refused whatever the model says
    assert refusal.confidence(models, "crosslingual", dict(english.signals, missing_name=1.0)) == 0.0
    # a follow-up is answered at most as confidently as the share of its own words the sentence holds
    capped = dict(follow_up.signals, focus=0.1)
    assert refusal.confidence(models, "accented", capped) <= models.focus_scale * 0.1 + 1e-9


def test_an_english_question_quotes_the_two_sentences_closest_in_meaning(seeds_assistant):
    answer = seeds_assistant.ask("How many ward chairpersons did Hoan Kiem district appoint?")
    assert not answer.refused and answer.text.count("[") == 2 and "16" in answer.text


@pytest.mark.parametrize(
    "question, sentence, holds",
    [
        ("How fast can Honda's ASIMO robot move?", "Nó di chuyển với tốc độ 1,6 km/h.", True),
        ("How fast can Honda's ASIMO robot move?", "Honda bắt đầu nghiên cứu ASIMO từ năm 1986.", False),
        ("What rank does Vietnam hold among garment exporters?", "Việt Nam đứng thứ 8.", True),
        ("What rank does Vietnam hold among garment exporters?", "Năm 2005 xuất khẩu tăng 20%.", False),
        ("How long should the ointment be applied?", "Tra thuốc 2 lần một ngày trong vòng 6 tuần.", True),
        ("How much does the ticket cost?", "Giá vé 200.000 đồng.", True),
        ("How much gold did Britain sell?", "Anh đã bán 395 tấn vàng.", True),  # an amount, not money
        ("How many Polish troops are in Iraq?", "Ba Lan có 2.500 lính ở Iraq.", True),
        ("How many Polish troops are in Iraq?", "Ba Lan đưa quân vào Iraq năm 2003.", False),  # a year
    ],
)
def test_an_english_number_question_asks_for_its_measure(question, sentence, holds):
    """A "how fast" question is answered by a speed, not by "năm 1986" (the sentence the embedding model put first);
    "how many" by a count, not a year."""
    from assistant.answering.features import answers_english_number

    assert answers_english_number(question, sentence) is holds


def test_a_sentence_carries_a_title_only_as_written():
    """Folded, "vừa" (just) is "vua" (king), "Nguyễn" "nguyên" (former), "thị trường" holds "trưởng": every
    sentence carried a title. A sentence written without diacritics is matched folded."""
    from assistant.answering.features import carries_type, titles_in
    from assistant.text import syllables

    plain = "Ông Nguyễn Văn An vừa qua nói về thị trường phố cổ."
    assert titles_in(plain) == []
    assert not carries_type("role", plain, syllables(fold(plain)), {"ong", "an"}, False)
    titled = "Ông Nguyễn Văn An là Phó Chủ tịch UBND quận."
    assert carries_type("role", titled, syllables(fold(titled)), {"ong", "an"}, False)
    assert "phó" in titles_in(titled) and "pho" in titles_in(fold(titled))
    assert titles_in("Chủ trì kỳ họp có đồng chí Vũ Đăng Định") == []  # "chủ trì" (presides) is no "chủ"
    assert titles_in("Ông là chủ quán phở") == ["chủ quán"]


def test_a_sentence_carries_a_reason_a_manner_or_a_place_word_only_as_written():
    """Folded, "đó" is "do" (because), "tư" is "tu" (from), "tài" is "tai" (at): nearly every sentence
    carried a reason and a place word. Matched as written, "để"/"do" are reasons, "đề"/"đó" are not."""
    from assistant.answering.features import carries_type
    from assistant.text import syllables

    plain = "Đó là đề án tài chính của Hà Nội."
    folded = syllables(fold(plain))
    assert not carries_type("reason", plain, folded, {"sao"}, False)
    reason = "Dự án chậm do thiếu vốn của Hà Nội."
    assert carries_type("reason", reason, syllables(fold(reason)), {"sao"}, False)
    assert carries_type("reason", fold(plain), folded, {"sao"}, False)  # written without diacritics: folded


def assistant_over(tmp_path, articles: list[str]):
    """An assistant over a real index of `articles` (one JSON line each)."""
    import json

    from assistant import Assistant

    corpus = tmp_path / "tin.jsonl"
    corpus.write_text(
        "".join(json.dumps({"id": f"a{i}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(articles)),
        encoding="utf-8",
    )
    bot = Assistant(index_dir=tmp_path / "idx", open_now=False)
    bot.index([corpus])
    return bot
