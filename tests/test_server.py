"""The HTTP API over real HTTP on 127.0.0.1: `assistant serve` (and the same routes mounted on the web
chat's app), driven by the official `openai` client and by plain httpx for framing and error shapes."""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import httpx
import openai
import pytest
from helpers import CLI, DOC_000, DOC_004, REFUSAL, clean_env, run_cli

KEY = "sk-assistant-test-key"
QUESTION = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"


def _wait(url: str, proc: subprocess.Popen, log, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError("server did not start")


@pytest.fixture(scope="module")
def api(seeds_index, tmp_path_factory):
    """`assistant serve` over the seeds index, with an API key."""
    from llm_servers import free_port

    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [*CLI, "serve", "--index-dir", str(seeds_index), "--port", str(port)],
            env=clean_env(ASSISTANT_API_KEY=KEY),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, proc, log)
        yield SimpleNamespace(url=url, client=openai.OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0), log=log)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def post(api, path: str, body, key: str | None = KEY, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    content = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return httpx.post(api.url + path, content=content, headers=headers, timeout=120, **kwargs)


# -- OpenAI chat completions ----------------------------------------------------------------------
def test_models_list_the_assistant_and_the_extractive_answerer(api):
    assert [m.id for m in api.client.models.list()] == ["assistant", "assistant-extractive"]
    assert api.client.models.retrieve("assistant-extractive").id == "assistant-extractive"


def test_a_cited_answer_through_the_openai_client(api, seed_docs):
    reply = api.client.chat.completions.create(
        model="assistant",
        messages=[{"role": "system", "content": "Bạn là trợ lý."}, {"role": "user", "content": QUESTION}],
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    text, citations = choice.message.content, reply.model_extra["citations"]
    answer, sources = text.split("\n\nNguồn:\n")
    assert "16 Chủ tịch" in answer and "[1]" in answer and reply.model_extra["refused"] is False
    assert citations and [c["marker"] for c in citations] == list(range(1, len(citations) + 1))
    for c in citations:
        assert {"doc_id", "title", "source", "sentence", "start", "end"} <= set(c)
        assert seed_docs[c["doc_id"]].text[c["start"] : c["end"]] == c["sentence"]
        assert f"[{c['marker']}]" in answer and f"[{c['marker']}] {c['title']} — {c['doc_id']}" in sources
    assert DOC_000 in [c["doc_id"] for c in citations]


def test_streaming_gives_the_same_reply_and_its_citations_at_the_end(api):
    messages = [{"role": "user", "content": QUESTION}]
    whole = api.client.chat.completions.create(model="assistant", messages=messages)
    chunks = list(api.client.chat.completions.create(model="assistant", messages=messages, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks].count("stop") == 1 and chunks[-1].choices[0].finish_reason
    assert chunks[-1].model_extra["citations"] == whole.model_extra["citations"]
    assert len({c.id for c in chunks}) == 1


def test_server_sent_events_framing(api):
    body = {
        "model": "assistant",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": QUESTION}],
    }
    with httpx.stream(
        "POST", api.url + "/v1/chat/completions", json=body, timeout=120, headers={"Authorization": f"Bearer {KEY}"}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = response.read().decode("utf-8")
    events = raw.split("\n\n")
    assert events[-1] == "" and events[-2] == "data: [DONE]"
    payloads = [json.loads(e[len("data: ") :]) for e in events[:-2]]
    assert all(e.startswith("data: ") and "\n" not in e for e in events[:-1])
    assert all(p["object"] == "chat.completion.chunk" for p in payloads)
    assert payloads[-1]["choices"] == [] and set(payloads[-1]["usage"]) == {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
    }


def test_a_refusal_is_a_normal_reply(api):
    for stream in (False, True):
        reply = api.client.chat.completions.create(
            model="assistant",
            stream=stream,
            messages=[{"role": "user", "content": "Thời tiết ở Đà Nẵng ngày mai thế nào?"}],
        )
        if stream:
            chunks = list(reply)
            text = "".join(c.choices[0].delta.content or "" for c in chunks)
            finish, extra = chunks[-1].choices[0].finish_reason, chunks[-1].model_extra
        else:
            text, finish, extra = reply.choices[0].message.content, reply.choices[0].finish_reason, reply.model_extra
        assert text == REFUSAL and finish == "stop" and extra["citations"] == [] and extra["refused"] is True


def test_two_concurrent_conversations_with_follow_ups(api):
    """Each conversation sends its own earlier turns (our replies, with their sources list) as history."""
    conversations = [
        (QUESTION, "Còn Phó Chủ tịch thì sao?", "35 Phó Chủ tịch", DOC_000),
        ("Kỳ họp thứ 17 HĐND quận Hoàn Kiếm diễn ra khi nào?", "Ai chủ trì kỳ họp đó?", "Vũ Đăng Định", DOC_004),
    ]

    def talk(first: str, follow_up: str, stream: bool):
        messages = [{"role": "user", "content": first}]
        reply = api.client.chat.completions.create(model="assistant", messages=messages)
        messages += [
            {"role": "assistant", "content": reply.choices[0].message.content},
            {"role": "user", "content": follow_up},
        ]
        if not stream:
            second = api.client.chat.completions.create(model="assistant", messages=messages)
            return second.choices[0].message.content, second.model_extra["citations"]
        chunks = list(api.client.chat.completions.create(model="assistant", messages=messages, stream=True))
        return "".join(c.choices[0].delta.content or "" for c in chunks), chunks[-1].model_extra["citations"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [
            pool.submit(talk, first, follow, stream) for first, follow, *_ in conversations for stream in (False, True)
        ]
        results = [f.result() for f in futures]
    for (text, citations), (_, _, expected, doc) in zip(results, [c for c in conversations for _ in (0, 1)]):
        assert expected in text.split("\n\nNguồn:")[0] and doc in [c["doc_id"] for c in citations], text


# -- errors -----------------------------------------------------------------------------------------
def _error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["type"] and error["message"] and "Traceback" not in response.text
    return error


def test_the_api_key_is_required_when_set(api):
    question = {"model": "assistant", "messages": [{"role": "user", "content": QUESTION}]}
    _error(post(api, "/v1/chat/completions", question, key=None), 401, "missing_api_key")
    _error(post(api, "/v1/chat/completions", question, key="sk-wrong"), 401, "invalid_api_key")
    _error(post(api, "/api/ask", {"question": QUESTION}, key=None), 401, "missing_api_key")
    assert httpx.get(api.url + "/v1/models").status_code == 401
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=api.url + "/v1", api_key="sk-wrong", max_retries=0).models.list()
    assert post(api, "/v1/chat/completions", question).status_code == 200


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}, 404, "model_not_found"),
        ({"model": "assistant", "messages": []}, 422, "invalid_request"),
        ({"model": "assistant"}, 422, "invalid_request"),
        ({"model": "assistant", "messages": [{"role": "robot", "content": "x"}]}, 422, "invalid_request"),
        (
            {
                "model": "assistant",
                "messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}],
            },
            400,
            "invalid_messages",
        ),
        (
            {"model": "assistant", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
            400,
            "unsupported_content",
        ),
        ({"model": "assistant", "n": 2, "messages": [{"role": "user", "content": "x"}]}, 400, "unsupported_n"),
        ('{"model": "assistant", "messages": [', 400, "invalid_json"),
        ("[1, 2]", 422, "invalid_request"),
    ],
)
def test_bad_requests_get_openai_shaped_errors(api, body, status, code):
    from assistant.text import has_diacritics

    error = _error(post(api, "/v1/chat/completions", body), status, code)
    assert has_diacritics(error["message"])  # in Vietnamese


def test_the_openai_client_raises_its_own_error_classes(api):
    with pytest.raises(openai.NotFoundError):
        api.client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.UnprocessableEntityError):
        api.client.chat.completions.create(model="assistant", messages=[])
    with pytest.raises(openai.BadRequestError):
        api.client.chat.completions.create(model="assistant", messages=[{"role": "assistant", "content": "x"}])


# -- /api/ask and the schema -------------------------------------------------------------------------
def test_api_ask_returns_the_answer_json(api, seed_docs):
    data = post(api, "/api/ask", {"question": QUESTION}).json()
    assert data["refused"] is False and "16 Chủ tịch" in data["text"] and data["backend"] == "extractive"
    for c in data["citations"]:
        assert seed_docs[c["doc_id"]].text[c["start"] : c["end"]] == c["sentence"]
        assert c["text"][c["start"] - c["passage_start"] : c["end"] - c["passage_start"]] == c["sentence"]
    follow = post(
        api,
        "/api/ask",
        {
            "question": "Còn Phó Chủ tịch thì sao?",
            "history": [[QUESTION, data["text"]]],
            "model": "assistant-extractive",
        },
    ).json()
    assert "35 Phó Chủ tịch" in follow["text"]
    _error(post(api, "/api/ask", {"history": []}), 422, "invalid_request")
    _error(post(api, "/api/ask", {"question": QUESTION, "model": "x"}), 404, "model_not_found")
    empty = post(api, "/api/ask", {"question": "  "}).json()
    assert empty["refused"] is True and empty["text"] == "Vui lòng nhập câu hỏi."


def test_openapi_schema_and_docs_page(api):
    schema = httpx.get(api.url + "/openapi.json").json()
    assert {"/api/ask", "/v1/chat/completions", "/v1/models"} <= set(schema["paths"])
    ask = schema["paths"]["/api/ask"]["post"]
    assert ask["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AnswerOut")
    fields = schema["components"]["schemas"]["CitationOut"]["properties"]
    assert {"doc_id", "title", "source", "page", "sentence", "start", "end"} <= set(fields)
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    docs = httpx.get(api.url + "/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text and "swagger" in docs.text.lower()


def test_serve_off_loopback_needs_a_key(seeds_index):
    proc = run_cli("serve", "--host", "0.0.0.0", "--index-dir", str(seeds_index), timeout=60)
    assert proc.returncode == 2 and "ASSISTANT_API_KEY" in proc.stderr and "Traceback" not in proc.stderr


# -- pure helpers --------------------------------------------------------------------------------------
def test_history_from_messages_and_page_in_citations():
    from assistant.answering import Answer, Citation
    from assistant.server import ChatMessage, citation_json, conversation, tail_text

    c = Citation(1, "bao-cao.pdf", "Báo cáo", "/docs/bao-cao.pdf", "Đoạn.", 10, 15, 0.5, "Đoạn.", 10)
    c.location = {"page": 3}
    answer = Answer("Câu trả lời [1].", [c], notice="Đã bỏ 1 ý.")
    reply = answer.text + tail_text(answer)
    assert reply == "Câu trả lời [1].\n\n(Đã bỏ 1 ý.)\n\nNguồn:\n[1] Báo cáo — bao-cao.pdf, trang 3"
    assert citation_json(c)["page"] == 3 and citation_json(c)["location"] == {"page": 3}
    messages = [
        ChatMessage(role="system", content="x"),
        ChatMessage(role="user", content="Q1"),
        ChatMessage(role="assistant", content=reply),
        ChatMessage(role="user", content="Q2"),
        ChatMessage(role="user", content=[{"type": "text", "text": "Q3"}]),
    ]
    assert conversation(messages) == ("Q3", [("Q1", "Câu trả lời [1]."), ("Q2", "")])


# -- mounted on the web chat, with an LLM backend -------------------------------------------------------
def test_the_chat_app_serves_the_api_on_its_own_port(seeds_index, tmp_path):
    from llm_servers import ScriptedServer
    from test_api import quoting_model
    from test_app import start_app, stop

    llm = ScriptedServer(quoting_model)
    app = start_app(
        seeds_index,
        tmp_path / "data",
        "--backend",
        "openai:scripted",
        env=clean_env(ASSISTANT_LLM_BASE_URL=llm.url, ASSISTANT_LLM_API_KEY="sk-llm"),
    )
    try:
        base = app.url.rstrip("/")
        assert "gradio" in httpx.get(base + "/", timeout=30).text.lower()  # the chat is still there
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused-on-loopback", max_retries=0)
        assert [m.id for m in client.models.list()] == ["assistant", "assistant-extractive", "openai:scripted"]
        chunks = list(
            client.chat.completions.create(
                model="openai:scripted", stream=True, messages=[{"role": "user", "content": QUESTION}]
            )
        )
        final = chunks[-1].model_extra
        text = "".join(c.choices[0].delta.content or "" for c in chunks)
        assert final["backend"] == "openai:scripted" and final["notice"] == "" and len(final["citations"]) == 1
        assert text.split("\n\nNguồn:")[0].endswith("[1].") and len(llm.chat_requests()) == 1
        quoted = client.chat.completions.create(
            model="assistant-extractive", messages=[{"role": "user", "content": QUESTION}]
        )
        assert quoted.model_extra["backend"] == "extractive" and len(llm.chat_requests()) == 1
        assert "16 Chủ tịch" in quoted.choices[0].message.content
        assert httpx.get(base + "/openapi.json").json()["paths"].keys() >= {"/api/ask", "/v1/chat/completions"}
    finally:
        stop(app)
        llm.close()


def test_the_chat_off_loopback_mounts_the_api_only_with_a_key(seeds_assistant, monkeypatch, caplog):
    """app.py passes mount_kwargs() to Gradio's launch(): off loopback without a key, no API routes."""
    from assistant import load_config
    from assistant.server import mount_kwargs

    monkeypatch.delenv("ASSISTANT_API_KEY", raising=False)
    exposed = SimpleNamespace(config=load_config(overrides={"app.host": "0.0.0.0"}, environ={}), llm=None)
    assert mount_kwargs(exposed) == {} and "ASSISTANT_API_KEY" in caplog.text
    monkeypatch.setenv("ASSISTANT_API_KEY", KEY)
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    client = TestClient(FastAPI(**mount_kwargs(exposed)))
    assert {"/v1/chat/completions", "/v1/models", "/api/ask"} <= set(client.get("/openapi.json").json()["paths"])
    assert client.get("/v1/models").status_code == 401 and client.get("/docs").status_code == 200
    assert mount_kwargs(seeds_assistant)["openapi_url"] is None  # loopback: mounted; Gradio's own schema off
