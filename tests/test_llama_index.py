"""The LlamaIndex integration inside real llama-index pipelines: RetrieverQueryEngine with its response
synthesizer, QueryFusionRetriever over two of our indexes, and our own query engine."""

from __future__ import annotations

import pytest
from helpers import DOC_000, REFUSAL, write
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.schema import NodeWithScore

from assistant.integrations.llama_index import AssistantRetriever, as_query_engine

QUESTION = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"
LIBRARY = "Thư viện phường Tràng Tiền\nThư viện phường Tràng Tiền hiện có 12.500 đầu sách tiếng Việt."


@pytest.fixture(scope="module")
def library_assistant(tmp_path_factory):
    """A second, one-document index."""
    from assistant import Assistant

    root = tmp_path_factory.mktemp("library")
    write(root / "docs" / "thu_vien.txt", LIBRARY)
    bot = Assistant(index_dir=root / "idx", open_now=False)
    bot.index([root / "docs"])
    return bot


def test_retriever_nodes_carry_our_metadata(seeds_assistant, seed_docs):
    nodes = AssistantRetriever(seeds_assistant, k=3).retrieve("ai la chu tich ubnd phuong hang bai")
    assert len(nodes) == 3 and all(isinstance(n, NodeWithScore) for n in nodes)
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)
    for n in nodes:
        meta = n.node.metadata
        assert {"doc_id", "title", "source", "start", "end"} <= set(meta)
        assert seed_docs[meta["doc_id"]].text[meta["start"] : meta["end"]] == n.node.get_content()
        assert n.node.ref_doc_id == meta["doc_id"] and n.node.start_char_idx == meta["start"]
        shown = n.node.get_content(metadata_mode="llm")
        assert meta["title"] in shown and meta["source"] not in shown  # offsets and paths stay out of prompts
    assert "Nguyễn Thị Ngọc Anh" in nodes[0].node.get_content()  # unaccented question, accented passage


def test_inside_a_retriever_query_engine(seeds_assistant):
    """llama-index's own synthesizer builds its prompt from our nodes (MockLLM echoes the prompt)."""
    engine = RetrieverQueryEngine.from_args(
        AssistantRetriever(seeds_assistant, k=2), llm=MockLLM(), response_mode="compact"
    )
    response = engine.query(QUESTION)
    assert len(response.source_nodes) == 2 and response.source_nodes[0].node.metadata["doc_id"] == DOC_000
    assert "16 Chủ tịch" in response.source_nodes[0].node.get_content()
    assert response.source_nodes[0].node.get_content() in str(response) and QUESTION in str(response)


def test_inside_a_query_fusion_retriever(seeds_assistant, library_assistant):
    def fusion(*retrievers):
        return QueryFusionRetriever(
            list(retrievers),
            llm=MockLLM(),
            num_queries=1,
            mode="reciprocal_rerank",
            similarity_top_k=4,
            use_async=False,
        )

    seeds = AssistantRetriever(seeds_assistant, k=3)
    library = AssistantRetriever(library_assistant)
    nodes = fusion(seeds, library).retrieve("Thư viện phường Tràng Tiền có bao nhiêu đầu sách?")
    by_doc = {n.node.metadata["doc_id"]: n for n in nodes}
    assert len(nodes) == 4 and "thu_vien.txt" in by_doc and len(by_doc) >= 2  # both indexes, fused
    assert "12.500" in by_doc["thu_vien.txt"].node.get_content() and by_doc["thu_vien.txt"].node.metadata["end"] > 0
    # Our node ids are stable (doc_id:start-end), so the same passage from two retrievers is fused into one.
    alone = [n.node.node_id for n in seeds.retrieve(QUESTION)]
    assert sorted(n.node.node_id for n in fusion(seeds, seeds).retrieve(QUESTION)) == sorted(alone)


def test_our_query_engine_answers_with_verified_citations(seeds_assistant, seed_docs):
    engine = AssistantRetriever(seeds_assistant).as_query_engine()
    response = engine.query(QUESTION)
    assert "16 Chủ tịch" in str(response) and "[1]" in str(response) and response.metadata["refused"] is False
    citations = response.metadata["citations"]
    assert [n.node.metadata["marker"] for n in response.source_nodes] == [c["marker"] for c in citations]
    for node, c in zip(response.source_nodes, citations):
        meta = node.node.metadata
        assert seed_docs[c["doc_id"]].text[c["start"] : c["end"]] == c["sentence"] == meta["sentence"]
        assert meta["sentence"] in node.node.get_content() and f"[{c['marker']}]" in str(response)
    refused = as_query_engine(seeds_assistant).query("Thời tiết ở Đà Nẵng ngày mai thế nào?")
    assert str(refused) == REFUSAL and refused.source_nodes == [] and refused.metadata["refused"] is True
