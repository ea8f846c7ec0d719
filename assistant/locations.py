"""Where a chunk is in its document: page, slide, sheet and row, and the Chương/Điều/khoản of a legal text.

Readers record located spans of a document's text in `Document.metadata["locations"]` as
[start, end, {"page": 2}] (several layers may overlap: a page and an article). Chunks never cross
the start of a span, so every chunk has one location: the union of the spans it starts in. The
location travels chunk → stored chunk → Passage → Citation, and its legal path is also indexed
with the chunk ("khoản 2 Điều 12"), so a question naming an article finds it.
"""

from __future__ import annotations

from .chunking import Chunk, chunk_document

KEY = "locations"


def spans_of(metadata: dict) -> list[tuple[int, int, dict]]:
    return [(int(s), int(e), dict(loc)) for s, e, loc in metadata.get(KEY) or []]


def located_chunks(doc, size: int, overlap: int) -> list[tuple[Chunk, dict]]:
    """The document's chunks, none crossing a span start, each with its location."""
    spans = spans_of(doc.metadata)
    chunks = chunk_document(doc.doc_id, doc.text, size, overlap, [s for s, _, _ in spans] if spans else None)
    return [(c, locate(spans, c.start)) for c in chunks]


def locate(spans: list[tuple[int, int, dict]], offset: int) -> dict:
    location: dict = {}
    for start, end, loc in spans:
        if start <= offset < end:
            location.update(loc)
    return location


def heading(location: dict) -> str:
    """The legal path as people cite it ("Chương II, khoản 2 Điều 12. Tên điều"), indexed with the chunk."""
    if "dieu" not in location:
        return ""
    parts = []
    if location.get("chuong"):
        parts.append(f"Chương {location['chuong']}")
    article = f"Điều {location['dieu']}"
    if location.get("khoan"):
        article = f"khoản {location['khoan']} {article}"
    if location.get("ten_dieu"):
        article += f". {location['ten_dieu']}"
    parts.append(article)
    return ", ".join(parts)


def describe(location: dict) -> str:
    """A citation's location for people: "trang 2, Điều 12, khoản 2", "trang chiếu 3", "trang tính Sheet1, dòng 5"."""
    parts = []
    if location.get("page"):
        parts.append(f"trang {location['page']}")
    if location.get("slide"):
        parts.append(f"trang chiếu {location['slide']}")
    if location.get("sheet"):
        parts.append(f"trang tính {location['sheet']}")
    if location.get("row"):
        parts.append(f"dòng {location['row']}")
    if "dieu" in location:
        parts.append(f"Điều {location['dieu']}")
        if location.get("khoan"):
            parts.append(f"khoản {location['khoan']}")
    return ", ".join(parts)
