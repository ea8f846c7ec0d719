"""Real office files made by the tests themselves: pages rendered with a Debian font (DejaVu), PDFs by
reportlab, .docx/.xlsx/.pptx by their libraries, .doc/.odt/.rtf/.xls by LibreOffice headless, and
text in the legacy encodings offices used (TCVN3, VNI, Windows-1258, UTF-16)."""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

from assistant.encodings import _TCVN3_FROM, _TCVN3_TO, _VNI

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def page_image(
    lines: list[str],
    dpi: int = 300,
    font_size_pt: float = 12,
    font: str = FONT,
    noise: float = 0.0,
    skew: float = 0.0,
    width_in: float = 8.27,
    height_in: float | None = None,
    seed: int = 0,
):
    """A page of text as a scanner would see it (A4 width; optional speckle noise and skew in degrees)."""
    from PIL import Image, ImageDraw, ImageFont

    size = round(font_size_pt * dpi / 72)
    face = ImageFont.truetype(font, size)
    margin = round(0.8 * dpi)
    line_height = round(size * 1.5)
    height = round(height_in * dpi) if height_in else 2 * margin + line_height * max(len(lines), 1)
    image = Image.new("L", (round(width_in * dpi), height), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * line_height), line, fill=0, font=face)
    if skew:
        image = image.rotate(skew, resample=Image.BICUBIC, expand=False, fillcolor=255)
    if noise:
        rng = random.Random(seed)
        pixels = image.load()
        w, h = image.size
        for _ in range(int(noise * w * h)):
            x, y = rng.randrange(w), rng.randrange(h)
            pixels[x, y] = 0 if pixels[x, y] > 128 else 255
    return image


def wrap(text: str, width: int = 70) -> list[str]:
    import textwrap

    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, width) or [""]
    return lines


def two_page_pdf(path: Path, page1: list[str], page2: list[str]) -> Path:
    """Page 1 has a text layer (DejaVu embedded); page 2 is only an image of its text, like a scan."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", FONT))
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("DejaVu", 12)
    y = A4[1] - 72
    for line in page1:
        c.drawString(72, y, line)
        y -= 18
    c.showPage()
    image = page_image(page2, dpi=300, height_in=A4[1] / 72)
    c.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
    c.showPage()
    c.save()
    return path


def encrypted_pdf(path: Path, text: str) -> Path:
    from pypdf import PdfWriter
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    plain = path.with_suffix(".plain.pdf")
    c = canvas.Canvas(str(plain), pagesize=A4)
    c.drawString(72, 750, text)
    c.save()
    writer = PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password="mat-khau", owner_password="chu-so-huu")
    with open(path, "wb") as handle:
        writer.write(handle)
    plain.unlink()
    return path


def to_tcvn3(text: str) -> bytes:
    """Unicode to TCVN3 bytes, as a .VnTime document stores it (capitals with tones lose their case)."""
    table = {u: t for t, u in zip(_TCVN3_FROM, _TCVN3_TO)}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in table:
            out.append(table[ch])
        elif ch.lower() in table and ch.lower() != ch:
            out.append(table[ch.lower()])  # .VnTimeH draws this code as the capital
        else:
            out.append(ch)
    return "".join(out).encode("latin-1")


def to_vni(text: str) -> bytes:
    reverse = {}
    for legacy, letter in sorted(_VNI.items(), key=lambda kv: len(kv[0])):
        reverse.setdefault(letter, legacy)
    return "".join(reverse.get(ch, ch) for ch in unicodedata.normalize("NFC", text)).encode("cp1252")


def to_cp1258(text: str) -> bytes:
    """Windows-1258: precomposed where the code page has the letter, else base letter + combining tone."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tones = [c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323"]
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            out += base.encode("cp1258") + "".join(tones).encode("cp1258")
    return bytes(out)


def docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None, title: str | None = None) -> Path:
    import docx as python_docx

    document = python_docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    if title:
        document.core_properties.title = title
    document.save(str(path))
    return path


def xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(str(path))
    return path


def pptx(path: Path, slides: list[tuple[str, list[str]]]) -> Path:
    from pptx import Presentation

    deck = Presentation()
    for title, bullets in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        body.text = bullets[0]
        for bullet in bullets[1:]:
            body.add_paragraph().text = bullet
    deck.save(str(path))
    return path


def libreoffice_convert(sources: list[Path], target: str, outdir: Path) -> list[Path]:
    """Convert with LibreOffice headless (Debian libreoffice-writer-nogui / -calc-nogui): a real .doc etc."""
    soffice = shutil.which("soffice") or "soffice"
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(outdir),
                *map(str, sources),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    out = [outdir / f"{s.stem}.{target.split(':')[0]}" for s in sources]
    missing = [p for p in out if not p.exists()]
    assert not missing, f"LibreOffice did not write {missing}"
    return out
