"""The basic web chat: a real Gradio server on 127.0.0.1, asked through gradio_client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app exited early: {proc.stdout.read() if proc.stdout else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise AssertionError("app did not start listening")


@pytest.fixture(scope="module")
def chat_server(seeds_index):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--index-dir", str(seeds_index), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(port, proc)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_chat_answers_with_cited_passage(chat_server):
    from gradio_client import Client

    client = Client(chat_server, verbose=False)
    reply = client.predict("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", api_name="/ask")
    assert "16" in reply and "[1]" in reply
    assert "Nguồn" in reply
    assert "000_1f2b7184f6891828.txt" in reply  # the source file of the cited passage


def test_chat_refuses_out_of_scope(chat_server):
    from gradio_client import Client

    reply = Client(chat_server, verbose=False).predict("Giá vàng SJC hôm nay là bao nhiêu?", api_name="/ask")
    assert reply.startswith("Xin lỗi, tôi không tìm thấy thông tin này trong tài liệu.")


def test_render_shows_document_markup_as_text():
    sys.path.insert(0, str(ROOT))
    import app
    from assistant.answering import Answer, Citation

    text = "Trước <script>alert(1)</script> câu <img src=x onerror=alert(2)> trích dẫn."
    citation = Citation(1, "d", "<b>Tiêu đề</b>", "a.html", text, 0, len(text), 1.0, text, 0)
    rendered = app.render(Answer("Trả lời [1].", [citation]))
    assert "<script>" not in rendered and "<img" not in rendered and "<b>" not in rendered
    assert "&lt;script&gt;" in rendered


def test_refuses_public_address_without_credentials():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_AUTH_")}
    proc = subprocess.run([sys.executable, str(ROOT / "app.py"), "--host", "0.0.0.0", "--port", str(_free_port())],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "ASSISTANT_AUTH_USER" in proc.stderr and "mật khẩu" in proc.stderr


def test_chat_streams_a_verified_llm_answer(seeds_index):
    from gradio_client import Client
    from llm_servers import ScriptedServer
    from test_api import quoting_model

    server = ScriptedServer(quoting_model)
    port = _free_port()
    env = {**os.environ, "ASSISTANT_LLM_BASE_URL": server.url, "ASSISTANT_LLM_API_KEY": "sk-app-SECRET"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--index-dir", str(seeds_index), "--port", str(port),
                             "--backend", "openai:scripted"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(port, proc)
        job = Client(f"http://127.0.0.1:{port}/", verbose=False).submit(
            "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", api_name="/ask")
        final = job.result(timeout=120)
        outputs = job.outputs()
        assert len(outputs) >= 2 and outputs[-1] == final  # text first, then the answer with its sources
        assert "[1]" in outputs[0] and "Nguồn" not in outputs[0]
        assert "Nguồn" in final and "000_1f2b7184f6891828.txt" in final and "sk-app-SECRET" not in final
        assert len(server.chat_requests()) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        server.close()
