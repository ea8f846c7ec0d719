"""LLM answers: numbered passages in, a verified answer with checked citations out.

The model's reply is never shown as it is. Each sentence is checked against the passages it cites
(verification.verify) as soon as the next one begins, so a stream only ever shows verified text;
when nothing verifiable is left, or the backend fails, the user gets the extractive answer with a
short notice saying why.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence

from .answering import ExtractiveAnswerer, IdfTable
from .chunking import split_sentences
from .config import AnswerConfig
from .llms import LLM, LLMError
from .prompts import Prompts
from .text import clean_question, fold, syllables
from .types import REFUSAL, Answer, Passage
from .verification import MARKER_RUN, verify

FALLBACK = "{reason}, nên dưới đây là câu trích nguyên văn từ tài liệu."
FALLBACK_REFUSED = "{reason}."
UNVERIFIED = "Câu trả lời của mô hình ngôn ngữ không được các đoạn trích xác nhận"
REMOVED = "Đã bỏ {n} ý mà đoạn trích được dẫn không xác nhận."
FLAGGED = "{n} ý được đánh dấu «chưa kiểm chứng» vì đoạn trích được dẫn không xác nhận."
TRIMMED = "Đã bớt {n} đoạn trích cho vừa độ dài mô hình nhận được."
CONTEXT_ATTEMPTS = 4  # tries with ever fewer passages when the model says the prompt is too long
PROMPT_MARGIN = 64  # tokens kept free for chat-template wrapping
MAX_CONDENSED_CHARS = 500
_SENTENCE_END = re.compile(r"[.!?…]")
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_REFUSAL_CORE = fold("không tìm thấy thông tin")


class LLMAnswerer:
    def __init__(self, llm: LLM, config: AnswerConfig, idf: IdfTable, extractive: ExtractiveAnswerer, prompts: Prompts):
        self.llm, self.config, self.idf, self.extractive, self.prompts = llm, config, idf, extractive, prompts

    def stream(self, question: str, passages: list[Passage], focus: str | None = None) -> Iterator[str | Answer]:
        """Verified text pieces, then the final Answer (whose text is authoritative)."""
        if not passages:
            yield from _done(self._fallback(question, passages, focus, None))
            return
        budget: int | None = None
        for _attempt in range(CONTEXT_ATTEMPTS):
            raw, emitted, used, prepared = "", "", passages[:1], {}  # type: str, str, list[Passage], dict
            try:
                used = self._fit(question, passages, budget)
                messages = self.prompts.answer(question, used, REFUSAL)
                checked_ends = 0  # sentence ends in `raw` already behind a verified prefix
                for piece in self.llm.stream(messages):
                    raw += piece
                    ends = len(_SENTENCE_END.findall(raw))
                    if ends <= checked_ends or not any(ch.isalnum() for ch in piece):
                        continue
                    delta, complete = self._verified_delta(raw, used, emitted, prepared)
                    if complete:
                        checked_ends = ends
                    if delta:
                        emitted += delta
                        yield delta
                if not _THINK.sub("", raw).strip():
                    # A stream can end silently on errors (llama.cpp's server does so for a prompt that is
                    # too long): one request without streaming reports them properly.
                    raw = self.llm.complete(messages)
            except LLMError as error:
                if error.kind == "context" and not emitted and _attempt + 1 < CONTEXT_ATTEMPTS and budget != 1:
                    budget = max(1, self._sources_tokens(used) // 2)
                    continue
                answer = self._fallback(question, passages, focus, str(error))
                yield from _done(answer, emitted)
                return
            yield from _done(self._finish(question, raw, used, passages, focus, prepared), emitted)
            return

    # -- steps --------------------------------------------------------------------------------
    def _verified_delta(self, raw: str, used: list[Passage], emitted: str, prepared: dict) -> tuple[str, bool]:
        """New verified text once a sentence is complete (the next one has begun), and whether one was."""
        prefix = _complete_prefix(_THINK.sub("", raw))
        if not prefix:
            return "", False
        checked = verify(prefix, used, self.config.verify, self.config.verify_threshold, self.idf, prepared)
        text = checked.text
        if not checked.verified or not text.startswith(emitted) or len(text) <= len(emitted):
            return "", True
        return text[len(emitted) :], True

    def _finish(
        self,
        question: str,
        raw: str,
        used: list[Passage],
        passages: list[Passage],
        focus: str | None,
        prepared: dict | None = None,
    ) -> Answer:
        text = _THINK.sub("", raw).strip()
        if not text:
            return self._fallback(question, passages, focus, str(LLMError("empty")))
        checked = verify(text, used, self.config.verify, self.config.verify_threshold, self.idf, prepared)
        claims = [c for c in checked.claims if not _is_refusal(c.text)]
        if not checked.verified:
            if _is_refusal(text):
                return Answer(REFUSAL, refused=True, passages=passages, backend=self.llm.name, question=question)
            answer = self._fallback(question, passages, focus, UNVERIFIED)
            answer.claims = checked.claims
            return answer
        notes = []
        unsupported = [c for c in claims if not c.supported]
        if unsupported:
            notes.append((REMOVED if self.config.verify == "remove" else FLAGGED).format(n=len(unsupported)))
        if len(used) < len(passages):
            notes.append(TRIMMED.format(n=len(passages) - len(used)))
        real = [c for c in claims if c.kind == "claim"]
        confidence = sum(c.supported for c in real) / len(real) if real else 0.0
        return Answer(
            checked.text,
            checked.citations,
            False,
            confidence,
            passages,
            self.llm.name,
            " ".join(notes),
            checked.claims,
            question,
        )

    def _fallback(self, question: str, passages: list[Passage], focus: str | None, reason: str | None) -> Answer:
        """The extractive answer, with a notice saying why the LLM's was not used."""
        answer = self.extractive.answer(question, passages, focus=focus)
        answer.question = question
        if reason:  # after why the LLM's answer was not used, the extractive answer's own low-confidence notice
            why = (FALLBACK_REFUSED if answer.refused else FALLBACK).format(reason=reason)
            answer.notice = f"{why} {answer.notice}".strip()
        return answer

    def _sources_tokens(self, passages: Sequence[Passage]) -> int:
        return sum(self.llm.count_tokens(p.text) + 16 for p in passages)

    def _fit(self, question: str, passages: list[Passage], budget: int | None) -> list[Passage]:
        """The leading passages that fit the model's context next to the prompt and the reply."""
        fixed = sum(self.llm.count_tokens(m.content) for m in self.prompts.answer(question, [], REFUSAL))
        room = self.llm.context_window - self.llm.max_tokens - fixed - PROMPT_MARGIN
        if budget is not None:
            room = min(room, budget)
        used: list[Passage] = []
        spent = 0
        for p in passages:
            cost = self.llm.count_tokens(p.text) + 16
            if spent + cost > room:
                break
            used.append(p)
            spent += cost
        if not used:  # not even one passage fits: keep the head of the first (offsets stay valid)
            p = passages[0]
            share = max(room - 16, 0) / max(self.llm.count_tokens(p.text), 1)
            cut = p.text[: int(len(p.text) * share)].rsplit(" ", 1)[0] if share > 0 else ""
            if not cut.strip():
                raise LLMError("context")
            end = p.start + len(cut)
            used = [dataclasses.replace(p, text=cut, end=end, sentences=[s for s in p.sentences if s[1] <= end])]
        return used

    # -- follow-ups ---------------------------------------------------------------------------
    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str | None:
        """A standalone version of a follow-up question, or None when the model gives nothing usable."""
        try:
            reply = self.llm.complete(self.prompts.condense(question, history))
        except LLMError:
            return None
        lines = [line for line in _THINK.sub("", reply).strip().splitlines() if line.strip()]
        if not lines:
            return None
        condensed = clean_question(re.sub(r"^(?:câu hỏi đầy đủ|câu hỏi)\s*:\s*", "", lines[0], flags=re.IGNORECASE))
        condensed = condensed.strip(" \"'«»“”")
        if not condensed or len(condensed) > MAX_CONDENSED_CHARS:
            return None
        # It must be about this conversation: share a content syllable with the question or the history.
        known = {fold(t) for t in syllables(" ".join([question, *(q for q, _ in history)]))}
        if not any(len(t) > 1 and fold(t) in known for t in syllables(condensed)):
            return None
        return condensed


def _complete_prefix(raw: str) -> str:
    """The reply up to the start of its last (maybe unfinished) sentence, markers included."""
    spans = split_sentences(raw)
    if len(spans) < 2:
        return ""
    last = spans[-1]
    markers = MARKER_RUN.match(raw, last.start)  # "… phường. [1] Câu sau": [1] closes the previous one
    cut = markers.end() if markers else last.start
    return raw[:cut] if raw[cut:].strip() else ""


def _is_refusal(text: str) -> bool:
    return _REFUSAL_CORE in fold(text.lower())


def _done(answer: Answer, emitted: str = "") -> Iterator[str | Answer]:
    """Close a stream: show the rest of the final text (all of it if nothing was shown), then the Answer."""
    if answer.text.startswith(emitted) and len(answer.text) > len(emitted):
        yield answer.text[len(emitted) :]
    yield answer
