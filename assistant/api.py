"""The Python API every front end (CLI, web chat, evaluation) is a thin layer over."""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import conversation
from .answering import EMPTY_QUESTION, NO_DOCUMENTS, TOO_LONG, Answer, ExtractiveAnswerer, IdfTable
from .config import DEFAULT_INDEX_DIR, SEEDS_DIR, Config, load_config
from .embeddings import get_embedder, model_id_for
from .errors import IndexStoreError, IngestError, QuestionError, check_index_dir, index_os_error
from .generation import LLMAnswerer
from .index import BuildReport, Store, backend_for
from .index.faiss import FaissBackend
from .ingest import Document, DocumentStream, Problem
from .llms import LLM, get_llm
from .prompts import Prompts
from .retrieval import Retriever
from .text import clean_question
from .types import Passage

History = Sequence[tuple[str, str]] | None
# Conversation history is bounded so that no request can stall the others: the newest turns that fit,
# each no longer than a question (answers up to HISTORY_ANSWER_CHARS), all together HISTORY_CHARS.
HISTORY_TURNS = 6
HISTORY_CHARS = 8_000
HISTORY_ANSWER_CHARS = 4_000
HISTORY_DROPPED = "Đã bỏ qua {n} lượt hội thoại trước quá dài khi hiểu câu hỏi này."
INVALID_TEXT = (
    "Câu hỏi chứa byte không phải UTF-8 hoặc ký tự không hợp lệ (surrogate). "
    "Hãy nhập lại câu hỏi dưới dạng văn bản Unicode."
)


@dataclass
class IndexResult:
    report: BuildReport
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Loaded:
    store: Store
    retriever: Retriever
    answerer: ExtractiveAnswerer
    generator: LLMAnswerer | None  # None: extractive answers only


class Assistant:
    """Question answering over one index (a FAISS folder, or a Milvus store shared by replicas).

    The default index with nothing in it is built from the bundled seeds, so `Assistant()` works
    on a fresh checkout. An index changed by another process is picked up within
    `store.refresh_seconds`.
    """

    def __init__(
        self,
        index_dir: str | os.PathLike | None = None,
        config: Config | str | os.PathLike | None = None,
        *,
        open_now: bool = True,
    ):
        """`open_now=False` defers opening (and checking) the index to first use, for callers that
        are about to (re)build it."""
        self.config = config if isinstance(config, Config) else load_config(config)
        if index_dir is not None:
            self.config.index_dir = str(index_dir)
        self.index_dir = Path(self.config.index_dir)
        self.backend = backend_for(self.config)
        if isinstance(self.backend, FaissBackend):
            check_index_dir(self.index_dir)
        self.llm: LLM | None = get_llm(self.config)  # bad backend strings fail here, before any work
        self.prompts = Prompts(self.config.answer.prompts_dir) if self.llm else None
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()  # one build at a time; answering holds only self._lock
        self._checked_at = time.monotonic()
        if not open_now:
            return
        if self.backend.exists():
            self._load()
        elif (
            self.index_dir.resolve() == DEFAULT_INDEX_DIR.resolve() and not self.config.store.uri and SEEDS_DIR.is_dir()
        ):
            self.index([SEEDS_DIR])

    @property
    def embedder(self):
        return get_embedder(self.config.embedding)

    def _load(self) -> _Loaded:
        try:
            opened = self.backend.open(expected_model=model_id_for(self.config.embedding))
        except OSError as exc:
            raise index_os_error(exc, self.backend.where) from None
        idf = IdfTable(opened.n_chunks, opened.df, opened.df_folded)
        extractive = ExtractiveAnswerer(self.config.answer, idf, self.embedder, restorer=opened.restorer)
        generator = (
            LLMAnswerer(self.llm, self.config.answer, idf, extractive, self.prompts)
            if self.llm and self.prompts
            else None
        )
        loaded = _Loaded(opened, Retriever(opened, self.embedder, self.config.retrieval), extractive, generator)
        self._loaded = loaded
        return loaded

    def _current(self) -> _Loaded:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                loaded = self._loaded or self._load()
        elif 0 < self.config.store.refresh_seconds <= time.monotonic() - self._checked_at:
            loaded = self._refresh(loaded)
        return loaded

    def _refresh(self, loaded: _Loaded) -> _Loaded:
        """Reload when another process (a replica, `assistant index`) changed the index. Never waits for
        a build in this process: its questions are answered from the current index until the swap."""
        if not self._lock.acquire(blocking=False):
            return loaded
        try:
            self._checked_at = time.monotonic()
            if self._loaded is loaded and self.backend.version() not in (None, loaded.store.version):
                return self._load()
            return self._loaded or loaded
        except (IndexStoreError, OSError):
            return loaded  # unreachable or mid-change: keep answering from what is loaded
        finally:
            self._lock.release()

    # -- indexing -----------------------------------------------------------------------------
    def index(
        self,
        paths: Sequence[str | os.PathLike],
        *,
        replace: bool = True,
        rebuild: bool = False,
        progress: Callable[[int, int], None] | None = None,
        follow_symlinks: bool = False,
    ) -> IndexResult:
        """Index files and folders. With `replace` the index then holds exactly these documents;
        otherwise they are added to it (a document with the same id is updated). Symlinks leading
        out of the folders given are skipped (and reported) unless `follow_symlinks`."""
        stream = DocumentStream(list(paths), follow_symlinks=follow_symlinks)
        try:
            reading = iter(stream)
            first = next(reading, None)
            if first is None:
                details = "; ".join(str(p) for p in stream.problems) or "không có tệp nào"
                raise IngestError(f"Không có tài liệu nào lập chỉ mục được ({details}).")
            documents: Iterable[Document] = itertools.chain([first], reading)
            if not getattr(self.backend, "streams", False):
                documents = list(documents)
            # Not under self._lock: questions go on being answered (from the documents committed so
            # far, for a first index) while the build runs.
            with self._build_lock, self._os_errors():
                report = self.backend.build(
                    documents,
                    self.embedder,
                    self.config.chunking,
                    replace=replace,
                    rebuild=rebuild,
                    progress=progress,
                    total=stream.total,
                )
        finally:
            stream.close()
        with self._lock:
            loaded = self._loaded
            if not report.unchanged or (loaded is not None and loaded.store.version != self.backend.version()):
                self._load()  # unchanged and not loaded yet: loaded on first use
        return IndexResult(report, stream.problems)

    def indexing(self) -> tuple[int, int] | None:
        """(documents done, documents expected) while a build runs on this index, in any process."""
        progress = getattr(self.backend, "progress", None)
        return progress() if progress else None

    def remove(self, doc_ids: Sequence[str]) -> BuildReport:
        with self._build_lock, self._lock, self._os_errors():
            report = self.backend.build([], self.embedder, self.config.chunking, replace=False, remove=list(doc_ids))
            self._load()
        return report

    @contextmanager
    def _os_errors(self) -> Iterator[None]:
        """A full disk, a read-only folder or a file in the way: one clear message, old index kept."""
        try:
            yield
        except OSError as exc:
            raise index_os_error(exc, self.backend.where) from None

    def documents(self) -> dict[str, dict]:
        """Indexed documents by id, with title, source, chunk count and time indexed."""
        return dict(self._current().store.document_info())

    # -- questions ----------------------------------------------------------------------------
    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        question = clean_question(_text(question))[: self.config.answer.max_question_chars]
        if not question:
            return []
        return self._current().retriever.search(question, k or self.config.retrieval.k)

    def ask(self, question: str, history: History = None, *, use_llm: bool = True) -> Answer:
        """The answer with its citations; `history` holds earlier (question, answer) pairs."""
        answer = None
        for item in self.ask_stream(question, history, use_llm=use_llm):
            answer = item
        assert isinstance(answer, Answer)
        return answer

    def ask_stream(self, question: str, history: History = None, *, use_llm: bool = True) -> Iterator[str | Answer]:
        """Text pieces as they are verified, then the final Answer, whose text is authoritative
        (an LLM answer that fails verification is replaced by the extractive one). `use_llm=False`
        answers with extractive quotes even when an LLM is configured."""
        limit = self.config.answer.max_question_chars
        question = _text(question)
        if len(question) > 4 * limit:  # far too long: refused without even normalising it
            yield from _just(Answer(TOO_LONG.format(limit=f"{limit:,}".replace(",", ".")), refused=True))
            return
        question = clean_question(question)
        if not question:
            yield from _just(Answer(EMPTY_QUESTION, refused=True))
            return
        if len(question) > limit:
            yield from _just(Answer(TOO_LONG.format(limit=f"{limit:,}".replace(",", ".")), refused=True))
            return
        loaded = self._current()
        if not use_llm:
            loaded = _Loaded(loaded.store, loaded.retriever, loaded.answerer, None)
        if not loaded.store.n_chunks:
            yield from _just(Answer(NO_DOCUMENTS, refused=True))
            return
        history, dropped = bounded_history(history, limit)
        turn = self._with_history(question, history, loaded.generator)
        passages = self._passages(loaded.retriever, turn)
        if loaded.generator is not None:
            for item in loaded.generator.stream(turn.question, passages, turn.focus):
                if isinstance(item, Answer) and dropped:
                    _note(item, HISTORY_DROPPED.format(n=dropped))
                yield item
            return
        answer = loaded.answerer.answer(turn.question, passages, focus=turn.focus)
        answer.question = turn.question
        if dropped:
            _note(answer, HISTORY_DROPPED.format(n=dropped))
        yield from _just(answer)

    def _passages(self, retriever: Retriever, turn: conversation.Turn) -> list[Passage]:
        """The passages found for the question; for a follow-up, also the best one found with the answer
        before it (`conversation.Turn.context`)."""
        passages = retriever.search(turn.question, self.config.retrieval.k)
        if turn.context:
            passages += _new(retriever.search(turn.context, self.config.retrieval.k), passages)[:1]
        return passages

    def _with_history(self, question: str, history: History, generator: LLMAnswerer | None) -> conversation.Turn:
        """A follow-up is rewritten by the LLM when there is one; otherwise (or when the rewrite is
        unusable) it is read with the previous question, and the previous answer finds one more passage
        (`conversation.read`)."""
        if not history:
            return conversation.Turn(question)
        if generator is not None and self.config.answer.condense:
            condensed = generator.condense(question, history)
            if condensed:
                return conversation.Turn(condensed)
        return conversation.read(question, history)


def _new(passages: list[Passage], known: list[Passage]) -> list[Passage]:
    """Those of `passages` that are not in `known` (the same span of the same document)."""
    seen = {(p.doc_id, p.start, p.end) for p in known}
    return [p for p in passages if (p.doc_id, p.start, p.end) not in seen]


def _text(value) -> str:
    """A question as text; bytes must be UTF-8, and lone surrogates (undecodable command-line bytes)
    are refused rather than crashing the embedder or the output."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise QuestionError(INVALID_TEXT) from None
    value = str(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise QuestionError(INVALID_TEXT) from None
    return value


def _safe(value) -> str:
    """History text: whatever it holds, as valid UTF-8 (it only steers retrieval)."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value or "").encode("utf-8", "replace").decode("utf-8")


def bounded_history(history: History, question_limit: int) -> tuple[list[tuple[str, str]], int]:
    """The newest turns that fit the bounds, and how many over-long turns were dropped. Long turns are
    measured before any normalisation, so a megabyte of history costs nothing."""
    recent = list(history[-(4 * HISTORY_TURNS) :] if isinstance(history, Sequence) else history or [])
    kept: list[tuple[str, str]] = []
    dropped, total = 0, 0
    for turn in reversed(recent):
        try:
            q, a = turn
        except (TypeError, ValueError):
            dropped += 1
            continue
        q, a = (
            (q if isinstance(q, (str, bytes)) else str(q or "")),
            (a if isinstance(a, (str, bytes)) else str(a or "")),
        )
        if len(q) > question_limit or len(a) > HISTORY_ANSWER_CHARS:
            dropped += 1
            continue
        size = len(q) + len(a)
        if len(kept) >= HISTORY_TURNS or total + size > HISTORY_CHARS:
            break
        total += size
        kept.append((clean_question(_safe(q)), _safe(a)))
    return kept[::-1], dropped


def _note(answer: Answer, note: str) -> None:
    answer.notice = f"{answer.notice} {note}".strip()


def _just(answer: Answer) -> Iterator[str | Answer]:
    if answer.text:
        yield answer.text
    yield answer


_default: Assistant | None = None
_default_lock = threading.Lock()


def answer(question: str, history: History = None) -> Answer:
    """Ask the process-wide default assistant (the seeds, unless configured otherwise)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Assistant()
    return _default.ask(question, history)
