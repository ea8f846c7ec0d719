"""The `assistant` command, run as a real subprocess."""

import json
import shutil
import unicodedata

import pytest
from helpers import DOC_000, DOC_004, EMPTY_QUESTION, REFUSAL, SEEDS, clean_env, run_cli, write

CITATION_KEYS = {"marker", "doc_id", "title", "source", "text", "start", "end", "score"}
PASSAGE_KEYS = {"doc_id", "title", "source", "text", "start", "end", "score", "location"}
QUESTION = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"


def ok_json(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_help():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for command in ("index", "ask", "retrieve"):
        assert command in proc.stdout


def test_index_unchanged_corpus(seeds_index, tmp_path):
    index_dir = tmp_path / "idx"
    shutil.copytree(seeds_index, index_dir)
    before = (index_dir / "CURRENT").read_text()
    proc = run_cli("index", str(SEEDS), "--index-dir", str(index_dir))
    assert proc.returncode == 0, proc.stderr
    assert "Không có thay đổi" in proc.stdout and "2 tài liệu" in proc.stdout
    assert (index_dir / "CURRENT").read_text() == before


def test_index_add_and_rebuild_flags(tmp_path):
    index_dir = tmp_path / "idx"
    write(tmp_path / "a" / "ho.txt", "Hồ Gươm\nHồ Gươm nằm ở trung tâm Hà Nội.")
    write(tmp_path / "b" / "cau.txt", "Cầu Thê Húc\nCầu Thê Húc sơn màu đỏ.")
    proc = run_cli("index", str(tmp_path / "a"), "--index-dir", str(index_dir))
    assert proc.returncode == 0, proc.stderr
    assert "Đã lập chỉ mục 1 tài liệu" in proc.stdout
    assert (index_dir / "CURRENT").read_text().strip().startswith("gen-")
    proc = run_cli("index", str(tmp_path / "b"), "--add", "--index-dir", str(index_dir))
    assert proc.returncode == 0, proc.stderr
    assert "2 tài liệu" in proc.stdout and "thêm 1" in proc.stdout and "xóa 0" in proc.stdout
    proc = run_cli("retrieve", "Cầu Thê Húc", "-k", "5", "--json", "--index-dir", str(index_dir))
    assert {p["doc_id"] for p in ok_json(proc)} == {"ho.txt", "cau.txt"}
    proc = run_cli("index", str(tmp_path / "b"), "--rebuild", "--index-dir", str(index_dir))
    assert proc.returncode == 0, proc.stderr
    assert "đã nhúng 1 đoạn trong" in proc.stdout and "tổng thời gian" in proc.stdout
    proc = run_cli("retrieve", "Hồ Gươm", "--json", "--index-dir", str(index_dir))
    assert {p["doc_id"] for p in ok_json(proc)} == {"cau.txt"}


def test_index_summary_separates_embedding_time_from_total_time():
    """«đã nhúng 23 đoạn trong 57.5 giây» used to give the whole run's time as the embedding time."""
    from assistant.cli import index_summary
    from assistant.index.faiss import BuildReport

    report = BuildReport(
        documents=4, chunks=23, embedded=23, added=["a", "b", "c", "d"], seconds_embedding=12.34, seconds_total=57.5
    )
    assert index_summary(report, "index") == (
        "Đã lập chỉ mục 4 tài liệu, 23 đoạn vào index: thêm 4, cập nhật 0, xóa 0; "
        "đã nhúng 23 đoạn trong 12.3 giây, tổng thời gian 57.5 giây."
    )
    unchanged = BuildReport(documents=4, chunks=23, unchanged=True, seconds_total=0.2)
    assert index_summary(unchanged, "index") == "Không có thay đổi: 4 tài liệu, 23 đoạn (không cần nhúng lại)."


def test_index_on_a_terminal_shows_a_progress_bar(tmp_path, monkeypatch, capsys):
    """On a terminal, `index` draws a progress bar (it ended in tqdm's TypeError: a bar with no total
    yet has no truth value)."""
    import io
    import sys

    from assistant.cli import main

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    write(tmp_path / "docs" / "ho.txt", "Hồ Gươm\nHồ Gươm nằm ở trung tâm Hà Nội.")
    assert main(["index", str(tmp_path / "docs"), "--index-dir", str(tmp_path / "idx")]) == 0
    assert "Đã lập chỉ mục 1 tài liệu" in capsys.readouterr().out
    assert "Đang lập chỉ mục" in terminal.getvalue()


def test_ask_json(seeds_index, seed_docs):
    data = ok_json(run_cli("ask", QUESTION, "--json", "--index-dir", str(seeds_index)))
    assert data["refused"] is False
    assert "16 Chủ tịch" in data["text"]
    assert data["citations"]
    for n, c in enumerate(data["citations"], 1):
        assert CITATION_KEYS <= set(c)
        assert c["marker"] == n and f"[{n}]" in data["text"]
        doc = seed_docs[c["doc_id"]]
        assert doc.text[c["start"] : c["end"]] == c["sentence"]
        assert c["title"] == doc.title
        assert isinstance(c["score"], float)
    assert DOC_000 in [c["doc_id"] for c in data["citations"]]


def test_ask_plain_text(seeds_index):
    proc = run_cli("ask", QUESTION, "--index-dir", str(seeds_index))
    assert proc.returncode == 0, proc.stderr
    assert "16 Chủ tịch" in proc.stdout and "[1]" in proc.stdout and DOC_000 in proc.stdout


def test_ask_refusal_json(seeds_index):
    data = ok_json(run_cli("ask", "Thời tiết ở Đà Nẵng ngày mai thế nào?", "--json", "--index-dir", str(seeds_index)))
    assert data == {**data, "text": REFUSAL, "refused": True, "citations": []}


def test_retrieve_json_k(seeds_index, seed_docs):
    data = ok_json(
        run_cli("retrieve", "phòng chuyên môn thuộc UBND quận", "-k", "2", "--json", "--index-dir", str(seeds_index))
    )
    assert len(data) == 2
    for p in data:
        assert set(p) == PASSAGE_KEYS
        assert seed_docs[p["doc_id"]].text[p["start"] : p["end"]] == p["text"]
    assert data[0]["doc_id"] == DOC_004
    assert data[0]["score"] >= data[1]["score"]


def test_config_file_is_honoured(seeds_index, tmp_path):
    config = tmp_path / "cfg.toml"
    config.write_text("[retrieval]\nk = 2\n", encoding="utf-8")
    data = ok_json(
        run_cli("retrieve", "phòng chuyên môn", "--json", "--config", str(config), "--index-dir", str(seeds_index))
    )
    assert len(data) == 2
    # ASSISTANT_CONFIG is the same as --config
    data = ok_json(
        run_cli(
            "retrieve",
            "phòng chuyên môn",
            "--json",
            "--index-dir",
            str(seeds_index),
            env=clean_env(ASSISTANT_CONFIG=str(config)),
        )
    )
    assert len(data) == 2


def test_env_beats_config_file_and_flag_beats_env(seeds_index, tmp_path):
    config = tmp_path / "cfg.toml"
    config.write_text("[retrieval]\nk = 2\n", encoding="utf-8")
    env = clean_env(ASSISTANT_RETRIEVAL_K="1")
    data = ok_json(
        run_cli(
            "retrieve", "phòng chuyên môn", "--json", "--config", str(config), "--index-dir", str(seeds_index), env=env
        )
    )
    assert len(data) == 1
    data = ok_json(
        run_cli(
            "retrieve",
            "phòng chuyên môn",
            "-k",
            "3",
            "--json",
            "--config",
            str(config),
            "--index-dir",
            str(seeds_index),
            env=env,
        )
    )
    assert len(data) == 3


def test_index_dir_flag_beats_env(seeds_index, tmp_path):
    elsewhere = tmp_path / "khong_co_chi_muc"
    env = clean_env(ASSISTANT_INDEX_DIR=str(elsewhere))
    data = ok_json(
        run_cli("retrieve", QUESTION, "-k", "1", "--json", "--index-dir", str(seeds_index), env=env, cwd=tmp_path)
    )
    assert data[0]["doc_id"] == DOC_000
    # without the flag the environment variable is used
    proc = run_cli("retrieve", QUESTION, "--json", env=env, cwd=tmp_path)
    assert proc.returncode != 0
    assert str(elsewhere) in proc.stderr
    data = ok_json(
        run_cli(
            "retrieve", QUESTION, "-k", "1", "--json", env=clean_env(ASSISTANT_INDEX_DIR=str(seeds_index)), cwd=tmp_path
        )
    )
    assert data[0]["doc_id"] == DOC_000


def test_index_dir_from_config_file(seeds_index, tmp_path):
    config = tmp_path / "cfg.toml"
    config.write_text(f"index_dir = {json.dumps(str(seeds_index))}\n", encoding="utf-8")
    data = ok_json(run_cli("retrieve", QUESTION, "-k", "1", "--json", "--config", str(config), cwd=tmp_path))
    assert data[0]["doc_id"] == DOC_000


def test_bad_config_is_reported(seeds_index, tmp_path):
    config = tmp_path / "cfg.toml"
    config.write_text("[retrieval]\nkk = 2\n", encoding="utf-8")
    proc = run_cli("ask", QUESTION, "--config", str(config), "--index-dir", str(seeds_index))
    assert proc.returncode != 0 and "retrieval.kk" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("ask", QUESTION, "--config", str(tmp_path / "missing.toml"), "--index-dir", str(seeds_index))
    assert proc.returncode != 0 and "Không tìm thấy tệp cấu hình" in proc.stderr
    proc = run_cli("ask", QUESTION, "--index-dir", str(seeds_index), env=clean_env(ASSISTANT_RETRIEVAL_K="nhiều"))
    assert proc.returncode != 0 and "retrieval.k" in proc.stderr


# -- bad input, never a crash ------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   \t  "])
def test_cli_empty_question(seeds_index, question):
    data = ok_json(run_cli("ask", question, "--json", "--index-dir", str(seeds_index)))
    assert data["refused"] is True and data["text"] == EMPTY_QUESTION and data["citations"] == []


def test_cli_too_long_question(seeds_index):
    data = ok_json(run_cli("ask", "Quan Hoan Kiem bo nhiem? " * 4000, "--json", "--index-dir", str(seeds_index)))
    assert data["refused"] is True and "quá dài" in data["text"]


def test_cli_control_characters(seeds_index):
    data = ok_json(
        run_cli("ask", "Quận\x07 Hoàn\x1b Kiếm bổ nhiệm bao nhiêu Chủ tịch?", "--json", "--index-dir", str(seeds_index))
    )
    assert data["refused"] is False and "16 Chủ tịch" in data["text"]


def test_cli_nfd_question_same_as_nfc(seeds_index, seeds_assistant):
    data = ok_json(run_cli("ask", unicodedata.normalize("NFD", QUESTION), "--json", "--index-dir", str(seeds_index)))
    expected = seeds_assistant.ask(QUESTION)
    assert data["text"] == expected.text
    assert [c["doc_id"] for c in data["citations"]] == [c.doc_id for c in expected.citations]


def test_cli_english_question(seeds_index):
    data = ok_json(
        run_cli(
            "ask", "How many ward chairmen did Hoan Kiem district appoint?", "--json", "--index-dir", str(seeds_index)
        )
    )
    assert isinstance(data["refused"], bool)
    if data["refused"]:
        assert data["text"] == REFUSAL
    else:
        assert data["citations"]


def test_cli_retrieve_empty_question(seeds_index):
    assert ok_json(run_cli("retrieve", "  ", "--json", "--index-dir", str(seeds_index))) == []


def test_ask_with_an_llm_backend_streams_the_verified_answer(seeds_index, seed_docs):
    from llm_servers import ScriptedServer
    from test_api import quoting_model

    server = ScriptedServer(quoting_model)
    try:
        env = clean_env(ASSISTANT_LLM_BASE_URL=server.url, ASSISTANT_LLM_API_KEY="sk-cli")
        proc = run_cli("ask", QUESTION, "--backend", "openai:scripted", "--index-dir", str(seeds_index), env=env)
        assert proc.returncode == 0, proc.stderr
        first_line = proc.stdout.splitlines()[0]
        assert first_line.endswith("[1].") and "\n[1] " in proc.stdout and "(" not in first_line[:1]
        data = ok_json(
            run_cli("ask", QUESTION, "--json", "--backend", "openai:scripted", "--index-dir", str(seeds_index), env=env)
        )
        assert data["backend"] == "openai:scripted" and data["notice"] == "" and data["claims"][0]["supported"]
    finally:
        server.close()


def test_ask_with_a_rejected_key_answers_extractively_and_hides_the_key(seeds_index, llama_server):
    secret = "sk-cli-SECRET-987654"
    env = clean_env(ASSISTANT_LLM_BASE_URL=llama_server.url, OPENAI_API_KEY=secret)
    proc = run_cli("ask", QUESTION, "--backend", "openai:tiny", "--index-dir", str(seeds_index), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "16 Chủ tịch" in proc.stdout and "khóa API" in proc.stdout  # the notice says what went wrong
    assert secret not in proc.stdout and secret not in proc.stderr


def test_ask_with_an_unknown_backend_is_a_clear_error(seeds_index):
    proc = run_cli("ask", QUESTION, "--backend", "gpt4", "--index-dir", str(seeds_index))
    assert proc.returncode == 3 and "Bộ trả lời không hợp lệ" in proc.stderr and "Traceback" not in proc.stderr
