"""Documents in: files and folders become normalised `Document`s; what cannot be read is reported."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import legal, office
from .encodings import NAMES, decode, repair
from .errors import IngestError
from .locations import KEY as LOCATIONS
from .pdf import IMAGE_SUFFIXES, Pages, read_image_file, read_pdf
from .text import join_wrapped_lines, normalize, wrapped_width

SPREADSHEETS = {".xlsx", ".xls", ".csv"}
SUPPORTED = {
    ".txt",
    ".md",
    ".markdown",
    ".html",
    ".htm",
    ".pdf",
    ".docx",
    ".jsonl",
    ".doc",
    ".odt",
    ".rtf",
    ".pptx",
    *SPREADSHEETS,
    *IMAGE_SUFFIXES,
}
_DROP_HTML = "script, style, noscript, nav, header, footer, aside, form, svg, iframe, template, button, menu"
_BLOCK_HTML = "p, div, br, li, tr, h1, h2, h3, h4, h5, h6, section, article, blockquote, pre, table, ul, ol, dd, dt"
MAX_TITLE = 200


@dataclass
class Document:
    doc_id: str
    title: str
    source: str
    text: str  # normalised: citation offsets point into this string
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        payload = json.dumps([self.title, self.source, self.text, self.metadata], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class Problem:
    """A file (or JSONL line) that was skipped, with the reason in Vietnamese; with `skipped` False, a
    note on a file that was indexed (converted from a legacy encoding, pages read by OCR or still poor)."""

    name: str
    reason: str
    skipped: bool = True

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


SYMLINK_OUTSIDE = (
    "liên kết tượng trưng trỏ ra ngoài thư mục được lập chỉ mục, đã bỏ qua (dùng --follow-symlinks để cho phép)"
)


def load_documents(
    paths: list[str | os.PathLike], *, follow_symlinks: bool = False
) -> tuple[list[Document], list[Problem]]:
    """Read every supported file under `paths`; ids are paths relative to the folder given. A symlink
    that resolves outside the folder it was found in is skipped and reported unless `follow_symlinks`
    (a `passwd.txt -> /etc/passwd` must not become searchable by whoever can ask questions)."""
    problems: list[Problem] = []
    documents = list(iter_documents(paths, problems, follow_symlinks=follow_symlinks))
    return documents, problems


def iter_documents(
    paths: list[str | os.PathLike], problems: list[Problem], *, follow_symlinks: bool = False
) -> Iterator[Document]:
    """`load_documents` one document at a time; what cannot be read is appended to `problems` (and
    notes on what was read, such as a legacy encoding converted or pages read by OCR)."""
    seen: set[str] = set()

    def fresh(docs: list[Document]) -> Iterator[Document]:
        for doc in docs:
            if doc.doc_id in seen:
                problems.append(Problem(doc.source, f"mã tài liệu trùng lặp «{doc.doc_id}», đã bỏ qua"))
                continue
            seen.add(doc.doc_id)
            problems.extend(Problem(doc.source, note, skipped=False) for note in _notes(doc.metadata))
            yield doc

    for raw in paths:
        root = Path(raw)
        if not root.exists():
            problems.append(Problem(str(raw), "không tồn tại"))
            continue
        inside = root.resolve()
        for path, rel_id in _walk(root):
            if not follow_symlinks and path.is_symlink() and not path.resolve().is_relative_to(inside):
                problems.append(Problem(rel_id, SYMLINK_OUTSIDE))
                continue
            try:
                docs = _read(path, rel_id)
            except _LineProblems as lp:
                problems.extend(lp.problems)
                docs = lp.documents
            except Exception as exc:  # any parser failure becomes a reported, skipped file
                problems.append(Problem(str(path), _describe(exc)))
                continue
            yield from fresh(docs)


def count_documents(paths: list[str | os.PathLike]) -> int:
    """About how many documents `paths` hold (files, or lines of .jsonl files), without parsing them:
    the N of the "n/N tài liệu" progress."""
    total = 0
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            continue
        for path, _ in _walk(root):
            if path.suffix.lower() == ".jsonl":
                try:
                    with path.open("rb") as handle:
                        total += sum(1 for line in handle if line.strip())
                except OSError:
                    total += 1
            elif path.suffix.lower() in SUPPORTED:
                total += 1
    return total


class DocumentStream:
    """Documents read (and parsed, OCR included) by a background thread while the caller embeds the ones
    already read: parsing overlaps embedding. `problems` is complete once iteration has finished."""

    _END = object()

    def __init__(self, paths: list[str | os.PathLike], queue_size: int = 32, follow_symlinks: bool = False):
        import queue
        import threading

        self.paths = list(paths)
        self.follow_symlinks = follow_symlinks
        self.total = count_documents(self.paths)
        self.problems: list[Problem] = []
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)  # bounds memory: a few documents ahead
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="ingest-reader", daemon=True)
        self._thread.start()

    def _produce(self) -> None:
        try:
            for doc in iter_documents(self.paths, self.problems, follow_symlinks=self.follow_symlinks):
                if not self._put(doc):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)

    def _put(self, item) -> bool:
        import queue

        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[Document]:
        """Iterate once: leaving the loop (or an error) stops the reader."""
        try:
            while True:
                item = self._queue.get()
                if item is self._END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop.set()

    def close(self) -> None:
        self._stop.set()


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    if root.is_file():
        yield root, root.name
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            yield path, path.relative_to(root).as_posix()


class _LineProblems(Exception):
    def __init__(self, documents: list[Document], problems: list[Problem]):
        self.documents, self.problems = documents, problems


class _Unsupported(Exception):
    pass


class _Empty(Exception):
    pass


def _notes(metadata: dict) -> list[str]:
    """What the indexing report says about a document that was read, in Vietnamese."""
    notes = []
    if metadata.get("encoding"):
        notes.append(f"đã chuyển từ bảng mã {metadata['encoding']} sang Unicode")
    if metadata.get("ocr_pages"):
        notes.append("đã đọc bằng OCR: trang " + ", ".join(map(str, metadata["ocr_pages"])))
    for page, share in metadata.get("poor_pages") or []:
        notes.append(f"trang {page} vẫn đọc kém sau OCR (chỉ {share:.0%} số từ là âm tiết tiếng Việt hợp lệ)")
    notes += metadata.get("notes") or []
    return notes


def _describe(exc: Exception) -> str:
    if isinstance(exc, _Unsupported):
        return "định dạng không được hỗ trợ (chỉ nhận " + ", ".join(sorted(SUPPORTED)) + ")"
    if isinstance(exc, IngestError):
        return str(exc)
    if isinstance(exc, _Empty):
        return "tệp rỗng, không có văn bản"
    if isinstance(exc, UnicodeDecodeError):
        return "không đọc được: tệp không phải văn bản UTF-8, UTF-16, Windows-1258, TCVN3 hay VNI"
    if isinstance(exc, PermissionError):
        return "không có quyền đọc tệp"
    return f"không đọc được tệp ({type(exc).__name__}: {exc})"


def _read(path: Path, doc_id: str) -> list[Document]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise _Unsupported()
    if suffix == ".jsonl":
        return _read_jsonl(path, doc_id)
    title, text, pieces, metadata = None, "", None, {}  # type: str | None, str, list[tuple[str, dict]] | None, dict
    if suffix == ".pdf":
        pieces = _pages(read_pdf(path), metadata)
    elif suffix in IMAGE_SUFFIXES:
        pieces = _pages(read_image_file(path), metadata)
    elif suffix == ".docx":
        title, text = _docx(path)
    elif suffix == ".doc":
        text = office.read_doc(path)
    elif suffix == ".odt":
        title, text = office.read_odt(path)
    elif suffix == ".rtf":
        text = office.read_rtf(path)
    elif suffix in SPREADSHEETS or suffix == ".pptx":
        reader = {
            ".xlsx": office.read_xlsx,
            ".xls": office.read_xls,
            ".csv": office.read_csv,
            ".pptx": office.read_pptx,
        }[suffix]
        title, pieces = reader(path)
        if suffix in SPREADSHEETS:  # its first line is a row: the file's name says more
            title = title or path.stem.replace("_", " ")
        if suffix == ".csv":
            _note_encoding(decode(path.read_bytes())[1], metadata)
    elif suffix in {".html", ".htm"}:
        title, text = _html(_decoded(path, metadata))
    else:
        text = _decoded(path, metadata)
        columns = wrapped_width(text)
        if columns:  # pdftotext's output, an e-mail: lines broken at a width, not between sentences
            text = join_wrapped_lines(text, columns)
        title = _markdown_title(text) if suffix in {".md", ".markdown"} else None
    if pieces is None:
        pieces = [(text, {})]
    text, spans = _assemble(pieces, metadata)
    if not text:
        raise _Empty()
    if legal.is_legal(text):
        info = legal.header(text)
        metadata.update(info)
        spans += [[s, e, loc] for s, e, loc in legal.spans(text)]
        title = title or legal.title(info)
    if spans:
        metadata[LOCATIONS] = spans
    return [Document(doc_id, _title(title, text), str(path), text, metadata)]


def _decoded(path: Path, metadata: dict) -> str:
    text, encoding = decode(path.read_bytes())
    _note_encoding(encoding, metadata)
    return text


def _note_encoding(encoding: str, metadata: dict) -> None:
    if encoding not in ("utf-8", "utf-8-sig"):
        metadata["encoding"] = NAMES.get(encoding, encoding)


def _pages(pages: Pages, metadata: dict) -> list[tuple[str, dict]]:
    if pages.encoding:
        metadata["encoding"] = pages.encoding
    if pages.ocr_pages:
        metadata["ocr_pages"] = pages.ocr_pages
    if pages.poor_pages:
        metadata["poor_pages"] = [[n, round(share, 3)] for n, share in pages.poor_pages]
    if pages.notes:
        metadata["notes"] = pages.notes
    return [(text, {"page": i}) for i, text in enumerate(pages.texts, 1)]


def _assemble(pieces: list[tuple[str, dict]], metadata: dict) -> tuple[str, list[list]]:
    """One normalised text from located pieces (pages, slides, rows), with the span of each piece.
    Text in a legacy Vietnamese font is converted here, whatever format it came in."""
    parts: list[str] = []
    spans: list[list] = []
    offset = 0
    for raw, location in pieces:
        piece, encoding = repair(normalize(raw))
        piece = normalize(piece)
        if encoding and "encoding" not in metadata:
            metadata["encoding"] = NAMES[encoding]
        if not piece:
            continue
        if parts:
            offset += 2  # the "\n\n" between pieces
        if location:
            spans.append([offset, offset + len(piece), location])
        parts.append(piece)
        offset += len(piece)
    return "\n\n".join(parts), spans


def _title(explicit: str | None, text: str) -> str:
    title = normalize(explicit or "")
    if not title:
        title = text.split("\n", 1)[0]
    return " ".join(title.split())[:MAX_TITLE]


def _markdown_title(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def _html(markup: str) -> tuple[str | None, str]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(markup)
    title_node = tree.css_first("title")
    title = title_node.text() if title_node else None
    for node in tree.css(_DROP_HTML):
        node.decompose()
    for node in tree.css(_BLOCK_HTML):
        node.insert_after("\n")
    body = tree.body or tree.root
    return title, body.text(separator="") if body else ""


def _docx(path: Path) -> tuple[str | None, str]:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    title = document.core_properties.title or None
    return title, "\n".join(parts)


def _read_jsonl(path: Path, rel_id: str) -> list[Document]:
    documents: list[Document] = []
    problems: list[Problem] = []
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            name = f"{path}:{line_no}"
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                problems.append(Problem(name, f"dòng JSON không hợp lệ ({exc})"))
                continue
            if not isinstance(record, dict):
                problems.append(Problem(name, "mỗi dòng phải là một đối tượng JSON"))
                continue
            text = normalize(str(record.get("text") or ""))
            if not text:
                problems.append(Problem(name, "thiếu trường «text» hoặc văn bản rỗng"))
                continue
            doc_id = normalize(str(record.get("id") or f"{rel_id}#{line_no}"))
            metadata = {k: v for k, v in record.items() if k not in {"id", "title", "text"}}
            documents.append(Document(doc_id, _title(record.get("title"), text), name, text, metadata))
    if not documents and not problems:
        raise _Empty()
    if problems:
        raise _LineProblems(documents, problems)
    return documents
