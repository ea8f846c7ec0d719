"""Vietnamese sentence splitting and sentence-aligned chunks with exact character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviations whose final period does not end a sentence (compared lower-cased, without the dot).
ABBREVIATIONS = {
    "tp",
    "ths",
    "ts",
    "pgs",
    "gs",
    "bs",
    "ks",
    "cn",
    "ls",
    "nxb",
    "tt",
    "q",
    "p",
    "tx",
    "h",
    "đ",
    "st",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "no",
    "vs",
    "etc",
    "v.v",
    "tr",
    "th.s",
    "t.ư",
    "tw",
    "ubnd",
    "đc",
    "đ/c",
    "sđd",
    "nsnd",
    "nsưt",
    "gđ",
    "pgđ",
    "tgđ",
    "btv",
    "ctv",
    "x",
    "ng",
}
_END = re.compile(r"[.!?…]+[\"”’)\]»]*(?=\s)")
# A full stop typed without its space ("không chảy máu.Bác sĩ …", ~5% of news articles): a lower-case word
# of two letters or more, then a capitalised word. Abbreviations ("tp.Hồ"), initials ("Q.Liêm"), domains
# and addresses ("vnexpress.net", "www.Site") are not boundaries.
_GLUED = re.compile(r"(?<=[^\W\d_]{2})[.!?]+(?=[^\W\d_]{2})")
_DOMAIN_AFTER = re.compile(r"[^\W\d_]+\.[^\W\d_]")
_GLUED_BEFORE = re.compile(r"(?:^|[\s(\"“'‘«\[])([^\W\d_]+)$")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass
class Chunk:
    doc_id: str
    start: int
    end: int
    sentences: list[Span]  # offsets into the document, covering this chunk


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of `text`: lines always break; `.!?…` break unless they close an abbreviation,
    an initial, or are not followed by a capital, digit or opening quote; a full stop missing its space
    breaks between a lower-case word and a capitalised one."""
    spans: list[Span] = []
    line_start = 0
    for line in text.split("\n"):
        _split_line(line, line_start, spans)
        line_start += len(line) + 1
    return spans


def _split_line(line: str, offset: int, spans: list[Span]) -> None:
    start = 0
    ends = sorted([*_END.finditer(line), *_GLUED.finditer(line)], key=lambda m: m.start())
    for match in ends:
        end = match.end()
        if end <= start:
            continue
        if not (_is_glued(line, match.start(), end) if match.re is _GLUED else _is_boundary(line, match.start(), end)):
            continue
        _add(line, offset, start, end, spans)
        start = end
    _add(line, offset, start, len(line), spans)


def _is_boundary(line: str, dot: int, end: int) -> bool:
    rest = line[end:].lstrip()
    if not rest:
        return False
    nxt = rest[0]
    if not (nxt.isupper() or nxt.isdigit() or nxt in "\"“'‘(«[-–•*"):
        return False
    if line[dot] == ".":
        word = re.search(r"(\S+)$", line[:dot])
        token = word.group(1).lower().lstrip("(\"“'") if word else ""
        if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
            return False
    return True


def _is_glued(line: str, dot: int, end: int) -> bool:
    word = _GLUED_BEFORE.search(line[:dot])
    token = word.group(1) if word else ""
    after = line[end : end + 2]
    return (
        len(token) >= 2
        and token.islower()
        and token not in ABBREVIATIONS
        and token != "www"
        and after[:1].isupper()
        and after[1:].islower()
        and not _DOMAIN_AFTER.match(line, end)  # "site.Google.com"
    )


def _add(line: str, offset: int, start: int, end: int, spans: list[Span]) -> None:
    piece = line[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    spans.append(Span(offset + start + lead, offset + start + lead + len(stripped)))


def _hard_split(text: str, span: Span, size: int) -> list[Span]:
    """Break an over-long sentence at spaces so no piece exceeds `size` characters."""
    pieces, start = [], span.start
    while span.end - start > size:
        cut = text.rfind(" ", start + 1, start + size)
        cut = cut if cut > start else start + size
        pieces.append(Span(start, cut))
        start = cut + 1 if text[cut : cut + 1] == " " else cut
    pieces.append(Span(start, span.end))
    return pieces


def chunk_document(
    doc_id: str, text: str, size: int = 1000, overlap: int = 1, bounds: list[int] | None = None
) -> list[Chunk]:
    """Pack whole sentences into chunks of about `size` characters; the last `overlap` sentences
    of a chunk open the next one, so a fact on a boundary is whole in at least one chunk. No chunk
    crosses an offset in `bounds` (a page, a slide, a spreadsheet row, an article of a law)."""
    sentences: list[Span] = []
    for span in split_sentences(text):
        sentences += _hard_split(text, span, size) if span.end - span.start > size else [span]
    if not bounds:
        return _pack(doc_id, sentences, size, overlap)
    chunks: list[Chunk] = []
    cuts = sorted(set(bounds))
    group: list[Span] = []
    k = 0
    for span in sentences:
        if k < len(cuts) and span.start >= cuts[k]:
            chunks += _pack(doc_id, group, size, overlap)
            group = []
            while k < len(cuts) and span.start >= cuts[k]:
                k += 1
        group.append(span)
    return chunks + _pack(doc_id, group, size, overlap)


def _pack(doc_id: str, sentences: list[Span], size: int, overlap: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j].end - sentences[i].start <= size:
            j += 1
        group = sentences[i:j]
        chunks.append(Chunk(doc_id, group[0].start, group[-1].end, group))
        if j >= len(sentences):
            break
        i = max(j - overlap, i + 1)
    return chunks
