"""The Python API: `from assistant import Assistant, answer`, JSONL ids through to citations."""

import json
import subprocess
import sys

import pytest

import assistant
from assistant import Answer, Assistant, Citation, Config, load_config
from helpers import DOC_000, ROOT, clean_env, write


def test_public_names():
    from assistant import Assistant as A, answer as f  # noqa: F401

    for name in ("Assistant", "answer", "Answer", "Citation", "Passage", "Config", "load_config", "ConfigError",
                 "ModelMismatchError", "IndexStoreError", "IngestError", "AssistantError", "IndexResult"):
        assert hasattr(assistant, name), name
        assert name in assistant.__all__
    assert callable(f)


def test_default_answer_over_seeds_in_a_fresh_process():
    """`answer()` with no setup: the default assistant over seeds/ (built into index/ if missing)."""
    script = """
import json
from assistant import answer
a = answer("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?")
b = answer("Giá vàng SJC hôm nay là bao nhiêu?")
print(json.dumps({"a": a.to_dict(), "b": b.to_dict()}, ensure_ascii=False))
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=clean_env(), capture_output=True, text=True,
                          encoding="utf-8", timeout=900)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["a"]["refused"] is False
    assert "16 Chủ tịch" in result["a"]["text"]
    assert DOC_000 in [c["doc_id"] for c in result["a"]["citations"]]
    assert result["b"]["refused"] is True
    assert (ROOT / "index" / "CURRENT").exists()


def test_assistant_accepts_config_object_or_toml_path(tmp_path, seeds_index):
    path = tmp_path / "cfg.toml"
    path.write_text("[retrieval]\nk = 2\n", encoding="utf-8")
    from_path = Assistant(index_dir=seeds_index, config=path)
    assert from_path.config.retrieval.k == 2
    assert len(from_path.retrieve("phòng chuyên môn")) == 2
    config = load_config(overrides={"retrieval.k": 3}, environ={})
    from_object = Assistant(index_dir=seeds_index, config=config)
    assert isinstance(from_object.config, Config)
    assert len(from_object.retrieve("phòng chuyên môn")) == 3
    assert from_object.config.index_dir == str(seeds_index)  # the index_dir argument wins


def test_index_result_lists_problems(tmp_path):
    docs = tmp_path / "docs"
    write(docs / "a.txt", "Hồ Gươm\nHồ Gươm nằm ở trung tâm Hà Nội.")
    write(docs / "b.xlsx", "không đọc được")
    result = Assistant(index_dir=tmp_path / "idx", open_now=False).index([docs])
    assert result.report.documents == 1
    assert [p.name for p in result.problems] == [str(docs / "b.xlsx")]


def test_index_with_nothing_readable_raises(tmp_path):
    from assistant import IngestError

    write(tmp_path / "docs" / "b.xlsx", "không đọc được")
    with pytest.raises(IngestError) as info:
        Assistant(index_dir=tmp_path / "idx", open_now=False).index([tmp_path / "docs"])
    assert "b.xlsx" in str(info.value)


@pytest.fixture(scope="module")
def jsonl_assistant(tmp_path_factory):
    root = tmp_path_factory.mktemp("jsonl")
    records = [
        {"id": "tin-001", "title": "Khánh thành cầu mới", "text": "Ngày 2/9/2024, thành phố khánh thành cầu Tứ Liên "
         "dài 5,2 km bắc qua sông Hồng.", "chuyen_muc": "giao thông"},
        {"id": "tin-002", "title": "Lễ hội hoa", "text": "Lễ hội hoa anh đào diễn ra tại công viên Lý Thái Tổ "
         "với 20.000 cành hoa.", "chuyen_muc": "văn hóa"},
        {"id": "tin-003", "title": "Tuyển sinh lớp 10", "text": "Kỳ thi tuyển sinh lớp 10 năm nay có 105.000 thí "
         "sinh đăng ký dự thi.", "chuyen_muc": "giáo dục"},
    ]
    write(root / "tin.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    bot = Assistant(index_dir=root / "idx", open_now=False)
    result = bot.index([root / "tin.jsonl"])
    assert not result.problems and result.report.documents == 3
    return bot


def test_jsonl_ids_reach_citations(jsonl_assistant):
    answer = jsonl_assistant.ask("Cầu Tứ Liên dài bao nhiêu km?")
    assert isinstance(answer, Answer) and not answer.refused, answer.text
    assert "5,2 km" in answer.text
    assert [c.doc_id for c in answer.citations][0] == "tin-001"
    assert all(isinstance(c, Citation) for c in answer.citations)
    assert answer.citations[0].title == "Khánh thành cầu mới"
    assert sorted(jsonl_assistant.documents()) == ["tin-001", "tin-002", "tin-003"]


def test_jsonl_ids_reach_retrieval(jsonl_assistant):
    passages = jsonl_assistant.retrieve("thi tuyen sinh lop 10", k=1)
    assert passages[0].doc_id == "tin-003"
    assert passages[0].title == "Tuyển sinh lớp 10"


def test_assistant_is_reusable_across_threads(seeds_assistant):
    from concurrent.futures import ThreadPoolExecutor

    questions = ["Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?",
                 "Ai là Chủ tịch UBND phường Hàng Bài?"] * 3
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(seeds_assistant.ask, questions))
    assert all("16 Chủ tịch" in a.text for a in answers[0::2])
    assert all("Nguyễn Thị Ngọc Anh" in a.text for a in answers[1::2])
