"""LlamaIndex integration: our Vietnamese hybrid retriever as a `BaseRetriever`, and a query engine
that answers with our verified, cited answers.

    from assistant.integrations.llama_index import AssistantRetriever
    retriever = AssistantRetriever(index_dir="index", k=5)       # or AssistantRetriever(Assistant(...))
    nodes = retriever.retrieve("Ai là Chủ tịch UBND phường Hàng Bài?")
    engine = retriever.as_query_engine()                          # answers with [n] markers
    response = engine.query("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?")

Nodes carry doc_id, title, source, start/end (offsets of the passage in the document's normalised
text) and page where known in their metadata; the offsets and the source path are hidden from
LLM prompts and embeddings. The retriever also fits LlamaIndex's own pipelines
(`RetrieverQueryEngine`, `QueryFusionRetriever`, node postprocessors).
"""

from __future__ import annotations

import os
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from ..api import Assistant
from ..config import Config
from ..types import Answer, Citation, Passage

HIDDEN_FROM_MODELS = ["source", "start", "end", "page", "marker", "sentence", "sentence_start", "sentence_end"]


def _page(item: Passage | Citation) -> int | None:
    return (getattr(item, "location", None) or {}).get("page")


def _node(
    doc_id: str, title: str, source: str, text: str, start: int, score: float, extra: dict, page: int | None
) -> NodeWithScore:
    end = start + len(text)
    metadata = {"doc_id": doc_id, "title": title, "source": source, "start": start, "end": end, **extra}
    if page is not None:
        metadata["page"] = page
    node = TextNode(
        id_=f"{doc_id}:{start}-{end}",
        text=text,
        metadata=metadata,
        start_char_idx=start,
        end_char_idx=end,
        excluded_llm_metadata_keys=HIDDEN_FROM_MODELS,
        excluded_embed_metadata_keys=HIDDEN_FROM_MODELS,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc_id)},
    )
    return NodeWithScore(node=node, score=float(score))


def passage_node(p: Passage) -> NodeWithScore:
    return _node(p.doc_id, p.title, p.source, p.text, p.start, p.score, {}, _page(p))


def citation_node(c: Citation) -> NodeWithScore:
    """The passage a citation quotes, with the marker and the cited sentence's offsets."""
    extra = {"marker": c.marker, "sentence": c.sentence, "sentence_start": c.start, "sentence_end": c.end}
    return _node(c.doc_id, c.title, c.source, c.text, c.passage_start, c.score, extra, _page(c))


class AssistantRetriever(BaseRetriever):
    """Dense + BM25 (syllables and syllable pairs) retrieval over an assistant's index, diacritics
    restored for questions typed without them."""

    def __init__(
        self,
        assistant: Assistant | None = None,
        *,
        k: int | None = None,
        index_dir: str | os.PathLike | None = None,
        config: Config | str | os.PathLike | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.assistant = assistant or Assistant(index_dir=index_dir, config=config)
        self.k = k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [passage_node(p) for p in self.assistant.retrieve(query_bundle.query_str, self.k)]

    def as_query_engine(self, use_llm: bool = True) -> AssistantQueryEngine:
        return AssistantQueryEngine(assistant=self.assistant, use_llm=use_llm)


class AssistantQueryEngine(CustomQueryEngine):
    """Answers as the assistant does: verified text with [n] markers (or the refusal); the source nodes
    are the cited passages, in marker order; `metadata` has the citations, `refused`, `backend`, `notice`."""

    assistant: Any
    use_llm: bool = True

    def custom_query(self, query_str: str) -> Response:
        return to_response(self.assistant.ask(query_str, use_llm=self.use_llm))


def to_response(answer: Answer) -> Response:
    citations = []
    for c in answer.citations:
        item = {
            "marker": c.marker,
            "doc_id": c.doc_id,
            "title": c.title,
            "source": c.source,
            "sentence": c.sentence,
            "start": c.start,
            "end": c.end,
        }
        if _page(c) is not None:
            item["page"] = _page(c)
        citations.append(item)
    return Response(
        response=answer.text,
        source_nodes=[citation_node(c) for c in answer.citations],
        metadata={
            "citations": citations,
            "refused": answer.refused,
            "backend": answer.backend,
            "notice": answer.notice,
        },
    )


def as_query_engine(assistant: Assistant | None = None, use_llm: bool = True, **kwargs: Any) -> AssistantQueryEngine:
    """A query engine over `assistant` (default: one over the default index, or `index_dir`/`config`)."""
    return AssistantQueryEngine(assistant=assistant or Assistant(**kwargs), use_llm=use_llm)
