"""The Python API: `from assistant import Assistant, answer`, JSONL ids through to citations."""

import json
import subprocess
import sys

import pytest
from helpers import DOC_000, ROOT, clean_env, write

import assistant
from assistant import Answer, Assistant, Citation, Config, load_config


def test_public_names():
    from assistant import Assistant as A  # noqa: F401
    from assistant import answer as f

    for name in (
        "Assistant",
        "answer",
        "Answer",
        "Citation",
        "Passage",
        "Config",
        "load_config",
        "ConfigError",
        "ModelMismatchError",
        "IndexStoreError",
        "IngestError",
        "AssistantError",
        "IndexResult",
    ):
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
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=900,
    )
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
        {
            "id": "tin-001",
            "title": "Khánh thành cầu mới",
            "text": "Ngày 2/9/2024, thành phố khánh thành cầu Tứ Liên dài 5,2 km bắc qua sông Hồng.",
            "chuyen_muc": "giao thông",
        },
        {
            "id": "tin-002",
            "title": "Lễ hội hoa",
            "text": "Lễ hội hoa anh đào diễn ra tại công viên Lý Thái Tổ với 20.000 cành hoa.",
            "chuyen_muc": "văn hóa",
        },
        {
            "id": "tin-003",
            "title": "Tuyển sinh lớp 10",
            "text": "Kỳ thi tuyển sinh lớp 10 năm nay có 105.000 thí sinh đăng ký dự thi.",
            "chuyen_muc": "giáo dục",
        },
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

    questions = ["Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", "Ai là Chủ tịch UBND phường Hàng Bài?"] * 3
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(seeds_assistant.ask, questions))
    assert all("16 Chủ tịch" in a.text for a in answers[0::2])
    assert all("Nguyễn Thị Ngọc Anh" in a.text for a in answers[1::2])


# -- with an LLM backend: real llama.cpp (in-process and served over HTTP) and scripted servers -----
QUESTION = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"


def llm_assistant(index_dir, backend: str, **llm) -> Assistant:
    overrides = {"answer.backend": backend, "llm.max_tokens": 24, "llm.max_retries": 0, "llm.timeout": 30}
    overrides.update({f"llm.{k}": v for k, v in llm.items()})
    return Assistant(index_dir=index_dir, config=load_config(overrides=overrides, environ={}))


def quoting_model(request: dict):
    """A scripted model that answers with the longest sentence of its first source, cited [1]."""
    from llm_servers import Reply, sources_of

    from assistant.chunking import split_sentences

    text = sources_of(request)[1]
    best = max((text[s.start : s.end] for s in split_sentences(text) if "*" not in text[s.start : s.end]), key=len)
    return Reply(text=best.rstrip(".") + " [1].")


def test_nonsense_from_a_real_llama_cpp_server_falls_back_to_the_extractive_answer(
    seeds_index, seeds_assistant, llama_server, llama_proxy
):
    from conftest import LLAMA_API_KEY

    bot = llm_assistant(seeds_index, f"openai:{llama_server.alias}", base_url=llama_proxy.url, api_key=LLAMA_API_KEY)
    items = list(bot.ask_stream(QUESTION))
    answer, expected = items[-1], seeds_assistant.ask(QUESTION)
    assert isinstance(answer, Answer) and all(isinstance(i, str) for i in items[:-1])
    assert answer.backend == "extractive" and answer.notice.startswith("Câu trả lời của mô hình ngôn ngữ không")
    assert answer.text == expected.text and answer.citations == expected.citations and answer.citations
    assert answer.claims and not any(c.supported for c in answer.claims)  # what the model said, rejected
    # The request carried the system prompt and the retrieved passages, numbered, then the question.
    request = llama_proxy.chat_requests()[0]
    system, user = request["messages"]
    assert system["role"] == "system" and "Chỉ dùng số của các nguồn đã cho" in system["content"]
    for n, p in enumerate(answer.passages, 1):
        assert f'<nguon so="{n}" tieu_de="{p.title}">\n{p.text}\n</nguon>' in user["content"]
    assert user["content"].rstrip().endswith(f"Câu hỏi: {QUESTION}")
    assert request["stream"] is True and request["model"] == "tiny"


def test_nonsense_from_llama_cpp_in_process_falls_back(seeds_index, seeds_assistant, tiny_gguf):
    bot = llm_assistant(seeds_index, f"llamacpp:{tiny_gguf}", context_window=4096)
    answer = bot.ask(QUESTION)
    assert answer.backend == "extractive" and answer.notice and answer.text == seeds_assistant.ask(QUESTION).text


def test_a_real_quantised_model_in_process_answers_or_falls_back(seeds_index, seeds_assistant, gemma_gguf):
    """Gemma 3 270M (a base model) through the whole LLM path: what it writes is verified against the
    passages; unverified, the extractive answer is given with the notice."""
    bot = llm_assistant(seeds_index, f"llamacpp:{gemma_gguf}", context_window=4096)
    answer = bot.ask(QUESTION)
    assert answer.citations and not answer.refused
    if answer.backend == "extractive":
        assert answer.notice and answer.text == seeds_assistant.ask(QUESTION).text
    else:
        assert answer.backend == f"llamacpp:{gemma_gguf}" and all(c.supported for c in answer.claims)


def test_a_verified_llm_answer_over_http_streams_and_cites_exact_sentences(seeds_index, seed_docs):
    from llm_servers import ScriptedServer

    server = ScriptedServer(quoting_model)
    try:
        bot = llm_assistant(seeds_index, "openai:scripted", base_url=server.url, api_key="sk-x")
        *pieces, answer = list(bot.ask_stream(QUESTION))
        assert answer.backend == "openai:scripted" and not answer.refused and answer.notice == ""
        assert "".join(pieces) == answer.text and answer.text.endswith("[1].")
        (c,) = answer.citations
        assert seed_docs[c.doc_id].text[c.start : c.end] == c.sentence and c.sentence.rstrip(".") in answer.text
        assert bot.ask(QUESTION).to_dict()["claims"][0]["supported"] is True
    finally:
        server.close()


def test_follow_ups_are_condensed_by_the_llm(seeds_index):
    from llm_servers import Reply, ScriptedServer

    standalone = "Chủ tịch UBND phường Hàng Bạc là ai?"

    def reply(request):
        if "Câu hỏi đầy đủ" in request["messages"][-1]["content"]:
            return Reply(text=standalone)
        return quoting_model(request)

    server = ScriptedServer(reply)
    try:
        bot = llm_assistant(seeds_index, "openai:scripted", base_url=server.url, api_key="sk-x")
        answer = bot.ask("Còn phường Hàng Bạc?", history=[("Chủ tịch UBND phường Hàng Bài là ai?", "Ông A [1].")])
        condense, ask = server.chat_requests()
        assert "Người dùng: Chủ tịch UBND phường Hàng Bài là ai?" in condense["messages"][0]["content"]
        assert answer.question == standalone and ask["messages"][1]["content"].rstrip().endswith(standalone)
    finally:
        server.close()


@pytest.mark.parametrize(
    "failure", ["refused", "wrong_key", "http_500", "http_429", "timeout", "malformed", "too_long"]
)
def test_llm_failures_still_give_a_cited_answer_and_never_show_the_key(
    failure, seeds_index, seeds_assistant, llama_server, llama_proxy, caplog
):
    import logging

    from llm_servers import Reply, ScriptedServer, free_port

    secret = "sk-live-DO-NOT-LEAK-42"
    server = None
    settings = {"api_key": secret, "timeout": 1.0}
    if failure == "refused":
        settings["base_url"] = f"http://127.0.0.1:{free_port()}/v1"
    elif failure in ("wrong_key", "too_long"):
        settings["base_url"] = llama_server.url
        if failure == "too_long":
            settings["base_url"] = llama_proxy.url  # the server has 2,048 tokens of context; the config claims 8,192
            from conftest import LLAMA_API_KEY

            settings.update(api_key=LLAMA_API_KEY, context_window=8192, timeout=60)
    else:
        reply = {
            "http_500": Reply(status=500),
            "http_429": Reply(status=429, headers={"Retry-After": "0"}),
            "timeout": Reply(delay=3, text="muộn [1]."),
            "malformed": Reply(raw=b"<html>oops"),
        }[failure]
        server = ScriptedServer(lambda request: reply)
        settings["base_url"] = server.url
    try:
        bot = llm_assistant(seeds_index, f"openai:{llama_server.alias}", **settings)
        with caplog.at_level(logging.DEBUG):
            answer = bot.ask(QUESTION)
        expected = seeds_assistant.ask(QUESTION)
        assert answer.backend == "extractive" and answer.text == expected.text and answer.citations
        assert answer.notice, failure
        shown = json.dumps(answer.to_dict(), ensure_ascii=False)
        assert secret not in shown and secret not in caplog.text
        if failure == "too_long":  # the server said "too long": retried with fewer passages
            sent = [r["messages"][1]["content"].count("<nguon so=") for r in llama_proxy.chat_requests()]
            assert len(sent) >= 2 and sent[0] == len(answer.passages) and sent[-1] < sent[0]
    finally:
        if server:
            server.close()


def test_an_index_changed_by_another_process_is_picked_up(tmp_path, make_assistant):
    """Another Assistant over the same index (another replica, or `assistant index` in a shell)
    updates it; this one answers from the update within `store.refresh_seconds`, without a restart."""
    import time

    write(tmp_path / "docs" / "nha_hat.txt", "Nhà hát Lớn\nNhà hát Lớn Hà Nội có 598 chỗ ngồi.")
    make_assistant(tmp_path / "idx", open_now=False).index([tmp_path / "docs"])
    reader = make_assistant(tmp_path / "idx", **{"store.refresh_seconds": 0.2})
    question = "Thư viện phường Tràng Tiền có bao nhiêu đầu sách?"
    assert reader.ask(question).refused
    write(tmp_path / "more" / "thu_vien.txt", "Thư viện\nThư viện phường Tràng Tiền có 12.500 đầu sách.")
    make_assistant(tmp_path / "idx").index([tmp_path / "more"], replace=False)
    time.sleep(0.3)
    answer = reader.ask(question)
    assert not answer.refused and answer.citations[0].doc_id == "thu_vien.txt"
