"""Real HTTP servers on 127.0.0.1 for the LLM tests.

* `LlamaServer`: `python -m llama_cpp.server` serving the tiny random-weight GGUF (tiny_gguf.py), a
  real OpenAI-compatible server;
* `RecordingProxy`: forwards requests to such a server and keeps each request body, so a test can
  see exactly what the assistant sent;
* `ScriptedServer`: speaks the OpenAI chat API with replies a test computes from the request
  (a model that quotes its first source, a 429, a 500, a hang, malformed JSON, …).
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    def __init__(self, model: Path, n_ctx: int = 2048, api_key: str | None = None, alias: str = "tiny"):
        self.port = free_port()
        self.api_key, self.alias = api_key, alias
        cmd = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(n_ctx),
            "--model_alias",
            alias,
        ]
        if api_key:
            cmd += ["--api_key", api_key]
        # The server logs every request: to a file, since an undrained pipe would fill up and block it.
        self.log = tempfile.NamedTemporaryFile("w+", prefix="llama-server-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/v1/models", headers={"Authorization": f"Bearer {api_key or 'x'}"})
                if conn.getresponse().status in (200, 401):
                    return
            except OSError:
                time.sleep(0.3)
        self.close()
        raise RuntimeError("llama_cpp.server did not start in 120 s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # a client that gave up (timeout tests): not news
        pass


class _Base:
    def __init__(self, handler_factory):
        self.requests: list[dict] = []  # {"path", "body" (parsed JSON), "headers"}
        self.httpd = _Server(("127.0.0.1", 0), handler_factory(self))
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def chat_requests(self) -> list[dict]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


class RecordingProxy(_Base):
    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        super().__init__(self._handler)

    @staticmethod
    def _handler(proxy: RecordingProxy):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self, method: str) -> None:
                raw = _read_body(self) if method == "POST" else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                proxy.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                conn.request(method, self.path, body=raw or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                self._forward("POST")

            def do_GET(self):
                self._forward("GET")

        return Handler


@dataclass
class Reply:
    text: str | None = None  # the assistant message (sent as SSE chunks when the request streams)
    status: int = 200
    raw: bytes | None = None  # the exact body to send instead (malformed replies)
    delay: float = 0.0  # seconds to wait before answering
    headers: dict = field(default_factory=dict)


def _error_body(status: int) -> bytes:
    return json.dumps({"error": {"message": f"scripted error {status}", "type": "error", "code": status}}).encode()


class ScriptedServer(_Base):
    def __init__(self, reply: Callable[[dict], Reply]):
        self.reply = reply
        super().__init__(self._handler)

    @staticmethod
    def _handler(server: ScriptedServer):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, content_type: str = "application/json", headers=None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._send(
                    200, json.dumps({"object": "list", "data": [{"id": "scripted", "object": "model"}]}).encode()
                )

            def do_POST(self):
                body = json.loads(_read_body(self) or b"{}")
                server.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                reply = server.reply(body)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.raw is not None:
                    return self._send(reply.status, reply.raw, headers=reply.headers)
                if reply.status != 200:
                    return self._send(reply.status, _error_body(reply.status), headers=reply.headers)
                text = reply.text or ""
                if body.get("stream"):
                    return self._send(200, _sse(text), "text/event-stream")
                message = {"role": "assistant", "content": text}
                self._send(
                    200,
                    json.dumps(
                        {
                            "id": "chatcmpl-1",
                            "object": "chat.completion",
                            "created": int(time.time()),
                            "model": "scripted",
                            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                        }
                    ).encode(),
                )

        return Handler


def _sse(text: str, piece: int = 7) -> bytes:
    events = []
    for i in range(0, len(text), piece):
        chunk = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "scripted",
            "choices": [{"index": 0, "delta": {"content": text[i : i + piece]}, "finish_reason": None}],
        }
        events.append(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n")
    done = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    events.append(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n")
    return "".join(events).encode("utf-8")


def sources_of(request: dict) -> dict[int, str]:
    """The numbered source texts in an answer request, by number."""
    import re

    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    return {int(n): text.strip() for n, text in re.findall(r'<nguon so="(\d+)"[^>]*>\n(.*?)\n</nguon>', user, re.S)}
