"""PDFs and page images to text, page by page: a page's text layer when it is good Vietnamese, OCR otherwise.

A scanned decision has no text layer; an old one may have a layer in a TCVN3 font (repaired by
encodings.repair) or a broken font mapping (garbage). quality.score tells them apart: a layer is
kept when enough of its words are valid Vietnamese syllables (or it is plain Latin text, which OCR
would not improve); otherwise the page is rendered at 300 dpi and read by Tesseract, and the better
of the two readings is kept. Pages still poor after OCR are reported with their number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import ocr
from .encodings import NAMES, repair
from .errors import IngestError
from .quality import GOOD, plain_latin, score
from .text import join_wrapped_lines, normalize

MIN_WORDS = 3  # a text layer with fewer words than this is not a reading of the page
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}


@dataclass
class Pages:
    """The text of each page (1-based numbers) and how it was read."""

    texts: list[str]
    ocr_pages: list[int] = field(default_factory=list)
    poor_pages: list[tuple[int, float]] = field(default_factory=list)  # (page, share of valid syllables)
    encoding: str | None = None  # the legacy font a text layer was repaired from
    notes: list[str] = field(default_factory=list)


def _layer_is_good(text: str) -> bool:
    s = score(text)
    return s.words >= MIN_WORDS and (s.share >= GOOD or plain_latin(text))


def read_pdf(path: Path, progress=None) -> Pages:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise IngestError("tệp PDF được bảo vệ bằng mật khẩu") from None
        raise IngestError(f"tệp PDF hỏng hoặc không đọc được ({exc})") from None
    try:
        texts: list[str] = []
        encodings: set[str] = set()
        for page in document:
            raw = page.get_textpage().get_text_range()
            text, encoding = repair(normalize(raw))
            if encoding:
                encodings.add(encoding)
            texts.append(normalize(join_wrapped_lines(text)))  # lines wrapped at the margin: one sentence
        pages = Pages(texts, encoding=", ".join(NAMES[e] for e in sorted(encodings)) or None)
        wanted = [i for i, text in enumerate(texts) if not _layer_is_good(text)]
        if wanted:
            if not ocr.available():
                pages.notes.append(f"{len(wanted)} trang không có lớp chữ dùng được nhưng {ocr.MISSING}")
            else:
                scale = ocr.DPI / 72
                images = (document[i].render(scale=scale, grayscale=True).to_pil() for i in wanted)
                read = ocr.read_images(images, len(wanted), progress=progress, desc=f"OCR {path.name}")
                for i, text in zip(wanted, read):
                    new, old = score(text), score(texts[i])
                    if (new.valid, new.words) > (old.valid, old.words):  # the better reading of the page
                        texts[i] = text
                        pages.ocr_pages.append(i + 1)
        _mark_poor(pages)
        return pages
    finally:
        document.close()


def read_image_file(path: Path, progress=None) -> Pages:
    """A photo or scan (a multi-page TIFF gives several pages), read by OCR."""
    from PIL import Image, ImageSequence

    ocr.check()
    with Image.open(path) as image:
        frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]
    pages = Pages(ocr.read_images(iter(frames), len(frames), progress=progress, desc=f"OCR {path.name}"))
    pages.ocr_pages = list(range(1, len(frames) + 1))
    _mark_poor(pages)
    return pages


def _mark_poor(pages: Pages) -> None:
    for number in pages.ocr_pages:
        text = pages.texts[number - 1]
        s = score(text)
        if s.words and s.share < GOOD and not plain_latin(text):
            pages.poor_pages.append((number, s.share))
