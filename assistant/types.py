"""The values that flow between the stages and out to callers: a retrieved passage, and an answer with
its citations and the span that answers. At the bottom of the import graph (nothing here imports the
package), so retrieval, answering, generation, verification, the web chat and the API all import them
from here and none of them imports "up"."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Passage:
    doc_id: str
    title: str
    source: str
    text: str
    start: int  # character offsets of `text` in the document's normalised text
    end: int
    score: float
    chunk: int = -1
    dense_score: float = 0.0  # cosine similarity of the question and this passage
    lexical_score: float = 0.0  # BM25 score in the field the question was matched against
    sentences: list[tuple[int, int]] = field(default_factory=list)  # document offsets
    location: dict = field(default_factory=dict)  # page, slide, sheet/row, Chương/Điều/khoản (locations.py)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("doc_id", "title", "source", "text", "start", "end", "score", "location")}


REFUSAL = "Xin lỗi, tôi không tìm thấy thông tin này trong tài liệu."
LOW_CONFIDENCE = "Độ tin cậy thấp: đoạn trích có thể không trả lời đúng câu hỏi, hãy đối chiếu với nguồn."
EMPTY_QUESTION = "Vui lòng nhập câu hỏi."
TOO_LONG = "Câu hỏi quá dài (tối đa {limit} ký tự). Vui lòng rút gọn câu hỏi."
NO_DOCUMENTS = "Chưa có tài liệu nào được lập chỉ mục."


@dataclass
class Citation:
    marker: int
    doc_id: str
    title: str
    source: str
    text: str  # the passage the cited sentence was taken from
    start: int  # offsets of the cited sentence in the document's normalised text
    end: int
    score: float
    sentence: str = ""  # the cited sentence: document text[start:end]
    passage_start: int = 0  # offset of `text` in the document
    location: dict = field(default_factory=dict)  # page / slide / sheet + row / legal path, where known

    def to_dict(self) -> dict:
        return {
            k: getattr(self, k)
            for k in (
                "marker",
                "doc_id",
                "title",
                "source",
                "text",
                "start",
                "end",
                "score",
                "sentence",
                "passage_start",
                "location",
            )
        }


@dataclass
class Short:
    """The words that answer what was asked (a number, a name, a date, a title) inside a cited sentence:
    `start`/`end` are document offsets, `at` their place in the answer's text."""

    text: str
    marker: int
    start: int
    end: int
    at: int = -1

    def to_dict(self) -> dict:
        return {"text": self.text, "marker": self.marker, "start": self.start, "end": self.end, "at": self.at}


@dataclass
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    confidence: float = 0.0
    passages: list[Passage] = field(default_factory=list)
    backend: str = "extractive"  # what wrote `text`
    notice: str = ""  # why an LLM answer was replaced or changed, for the user
    claims: list = field(default_factory=list)  # verification.ClaimSupport per sentence of the LLM's answer
    question: str = ""  # the question answered (a follow-up rewritten by the LLM, when it was)
    signals: dict = field(default_factory=dict)  # what the extractive refusal decision was made from
    answer_type: str = ""  # what the question asks for (question.ANSWER_TYPES)
    short: Short | None = None  # the answering span, when one was found

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "refused": self.refused,
            "confidence": round(self.confidence, 4),
            "backend": self.backend,
            "notice": self.notice,
            "question": self.question,
            "answer_type": self.answer_type,
            "short": self.short.to_dict() if self.short else None,
            "citations": [c.to_dict() for c in self.citations],
            "claims": [c.to_dict() for c in self.claims],
        }
