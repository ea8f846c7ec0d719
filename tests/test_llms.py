"""Backends: config strings, the in-process llama.cpp model and OpenAI-compatible HTTP servers,
with every failure turned into an LLMError that never carries the API key."""

from __future__ import annotations

import logging
import socket

import pytest
from conftest import LLAMA_API_KEY
from llm_servers import Reply, ScriptedServer, free_port

from assistant.config import load_config
from assistant.errors import ConfigError
from assistant.llms import FAILURE_NOTICES, LLMError, backend_names, get_llm
from assistant.prompts import Message

MESSAGES = [Message("system", "Bạn là trợ lý."), Message("user", "Quận Hoàn Kiếm có bao nhiêu phường?")]


def config(backend: str, **llm):
    overrides = {"answer.backend": backend, "llm.max_tokens": 16, "llm.max_retries": 0, "llm.timeout": 20}
    overrides.update({f"llm.{k}": v for k, v in llm.items()})
    return load_config(overrides=overrides, environ={})


# -- resolving config strings ----------------------------------------------------------------------
def test_extractive_needs_no_llm():
    assert get_llm(load_config(environ={})) is None
    assert "openai:…" in backend_names() and "llamacpp:…" in backend_names()


@pytest.mark.parametrize("spec", ["gpt-4o", "foo:bar", "openai:", "llamacpp:  ", "OPENAI"])
def test_unknown_or_incomplete_backend_is_a_vietnamese_config_error(spec):
    with pytest.raises(ConfigError, match="Bộ trả lời không hợp lệ") as err:
        get_llm(config(spec))
    assert "openai:" in str(err.value) and "llamacpp:" in str(err.value)


def test_missing_or_broken_gguf_file(tmp_path):
    with pytest.raises(ConfigError, match="Không tìm thấy tệp mô hình GGUF"):
        get_llm(config(f"llamacpp:{tmp_path / 'khong-co.gguf'}"))
    broken = tmp_path / "hong.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 100)
    with pytest.raises(ConfigError, match="Không nạp được mô hình GGUF"):
        get_llm(config(f"llamacpp:{broken}"))


def test_openai_without_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        get_llm(config("openai:gpt-4o-mini"))
    with pytest.raises(ConfigError, match="http://"):
        get_llm(config("openai:m", base_url="localhost:8000"))


def test_openai_settings_come_from_config_or_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    llm = get_llm(config("openai:qwen2.5:7b-instruct"))
    assert llm.name == "openai:qwen2.5:7b-instruct"
    assert llm._llm.api_base == "http://127.0.0.1:9/v1" and llm._llm.api_key == "sk-from-env"
    llm = get_llm(config("openai:m", base_url="http://127.0.0.1:8/v1/", api_key="sk-from-config"))
    assert llm._llm.api_base == "http://127.0.0.1:8/v1" and llm._llm.api_key == "sk-from-config"
    assert "sk-from-config" not in repr(load_config(overrides={"llm.api_key": "sk-from-config"}, environ={}))


# -- llama.cpp in-process --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def local_llm(tiny_gguf):
    return get_llm(config(f"llamacpp:{tiny_gguf}", context_window=512))


def test_llamacpp_runs_the_gguf_in_process_with_its_chat_template(local_llm, tiny_gguf):
    assert local_llm.name == f"llamacpp:{tiny_gguf}" and local_llm.context_window == 512
    prompt = local_llm._llm.messages_to_prompt(__import__("assistant.llms").llms.to_llama_index(MESSAGES))
    assert prompt.startswith("<|im_start|>system\nBạn là trợ lý.<|im_end|>") and prompt.endswith(
        "<|im_start|>assistant\n"
    )
    pieces = list(local_llm.stream(MESSAGES))
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert local_llm.complete(MESSAGES) == "".join(pieces)  # temperature 0.1 but a fixed seed: deterministic
    assert 0 < local_llm.count_tokens("Hoàn Kiếm") <= len("Hoàn Kiếm".encode())


def test_llamacpp_prompt_longer_than_the_context_is_a_context_error(local_llm):
    with pytest.raises(LLMError) as err:
        local_llm.complete([Message("user", "phường " * 600)])
    assert err.value.kind == "context" and str(err.value).startswith(FAILURE_NOTICES["context"])


def test_llamacpp_runs_a_real_q4_k_model(gemma_gguf):
    """Gemma 3 270M, Q4_K_M: on this machine llama.cpp's AMX kernels segfaulted on such a model's first
    token, killing the process (the Makefile builds without them; llms.without_amx guards other builds)."""
    import llama_cpp

    llm = get_llm(config(f"llamacpp:{gemma_gguf}", context_window=1024))
    assert llm.context_window == 1024
    amx = b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info()
    assert not amx or not llm._llm._model.model_params.use_extra_bufts
    pieces = list(llm.stream(MESSAGES))
    assert "".join(pieces).strip()  # a base model says something; what it says is not judged
    assert 1 <= llm.count_tokens("Hoàn Kiếm") <= 4  # Gemma's own tokenizer, not bytes


# -- OpenAI-compatible servers ---------------------------------------------------------------------
def test_openai_backend_against_llama_cpp_server(llama_server, llama_proxy):
    llm = get_llm(config(f"openai:{llama_server.alias}", base_url=llama_proxy.url, api_key=LLAMA_API_KEY))
    pieces = list(llm.stream(MESSAGES))
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert isinstance(llm.complete(MESSAGES), str)
    sent = llama_proxy.chat_requests()
    assert len(sent) == 2 and sent[0]["stream"] is True and sent[1].get("stream") in (False, None)
    assert sent[0]["messages"] == [
        {"role": "system", "content": "Bạn là trợ lý."},
        {"role": "user", "content": "Quận Hoàn Kiếm có bao nhiêu phường?"},
    ]
    assert sent[0]["model"] == "tiny" and sent[0]["max_tokens"] == 16


def test_llama_cpp_server_rejects_a_wrong_key_without_leaking_it(llama_server, caplog):
    secret = "sk-wrong-key-ABCDEF123456"
    llm = get_llm(config("openai:tiny", base_url=llama_server.url, api_key=secret))
    with caplog.at_level(logging.DEBUG), pytest.raises(LLMError) as err:
        llm.complete(MESSAGES)
    assert err.value.kind == "auth" and "401" in str(err.value)
    assert secret not in str(err.value) and secret not in caplog.text
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_llama_cpp_server_prompt_too_long_is_a_context_error(llama_server):
    llm = get_llm(config("openai:tiny", base_url=llama_server.url, api_key=LLAMA_API_KEY))
    long = [Message("user", "phường " * 1500)]  # the tiny model's tokenizer: ~7 tokens a word, n_ctx 2048
    with pytest.raises(LLMError) as err:
        llm.complete(long)
    assert err.value.kind == "context"
    assert list(llm.stream(long)) == []  # streaming, the server just ends the stream: the answerer retries


def test_connection_refused():
    llm = get_llm(config("openai:m", base_url=f"http://127.0.0.1:{free_port()}/v1", api_key="k"))
    with pytest.raises(LLMError) as err:
        llm.complete(MESSAGES)
    assert err.value.kind == "connection"
    with pytest.raises(LLMError) as err:
        list(llm.stream(MESSAGES))
    assert err.value.kind == "connection"


@pytest.mark.parametrize(
    "reply, kind",
    [
        (Reply(status=429, headers={"Retry-After": "0"}), "rate_limit"),
        (Reply(status=500), "server"),
        (Reply(status=503), "server"),
        (Reply(status=401), "auth"),
        (Reply(raw=b"{not json"), "bad_output"),
        (Reply(raw=b'{"choices": []}'), "bad_output"),
        (Reply(delay=2.0, text="muộn"), "timeout"),
    ],
)
def test_http_failures_become_llm_errors(reply, kind):
    server = ScriptedServer(lambda request: reply)
    try:
        llm = get_llm(config("openai:m", base_url=server.url, api_key="sk-scripted-SECRET", timeout=0.5))
        with pytest.raises(LLMError) as err:
            llm.complete(MESSAGES)
        assert err.value.kind == kind and "sk-scripted-SECRET" not in str(err.value)
    finally:
        server.close()


def test_scripted_server_streams_the_reply():
    server = ScriptedServer(lambda request: Reply(text="Quận có 18 phường [1]."))
    try:
        llm = get_llm(config("openai:m", base_url=server.url, api_key="k"))
        pieces = list(llm.stream(MESSAGES))
        assert len(pieces) > 1 and "".join(pieces) == "Quận có 18 phường [1]."
        assert server.chat_requests()[0]["stream"] is True
    finally:
        server.close()


def test_nothing_listens_on_a_free_port():
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", free_port())) != 0
