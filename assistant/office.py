"""Office formats to text pieces, each with where it is: .doc, .odt, .rtf, .xlsx, .xls, .csv, .pptx.

A spreadsheet row becomes one line carrying its column headers ("Phường: Hàng Bài | Chức vụ: Chủ
tịch | Họ và tên: Nguyễn Thị Ngọc Anh"), located by sheet and row; a slide is one piece located by
its number. Legacy Word files go through a real converter (antiword, else LibreOffice headless).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .encodings import decode
from .errors import IngestError

Piece = tuple[str, dict]  # text, location ({"page": 2}, {"slide": 3}, {"sheet": "Sheet1", "row": 5})
CONVERT_TIMEOUT = 120
MISSING_DOC = (
    "không đọc được tệp .doc: cần antiword hoặc LibreOffice (cài gói Debian antiword hoặc libreoffice-writer-nogui)"
)


def read_doc(path: Path) -> str:
    """Legacy Word (97-2003) text: antiword (fast), else LibreOffice converts it."""
    if shutil.which("antiword"):
        proc = subprocess.run(
            ["antiword", "-m", "UTF-8.txt", "-w", "0", str(path)], capture_output=True, timeout=CONVERT_TIMEOUT
        )
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.decode("utf-8", "replace")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise IngestError(MISSING_DOC)
    with tempfile.TemporaryDirectory(prefix="assistant-doc-") as tmp:
        # A private profile: a user's running LibreOffice would otherwise take the job and exit at once.
        proc = subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                "txt:Text (encoded):UTF8",
                "--outdir",
                tmp,
                str(path),
            ],
            capture_output=True,
            timeout=CONVERT_TIMEOUT,
        )
        out = Path(tmp) / (path.stem + ".txt")
        if proc.returncode != 0 or not out.exists():
            raise IngestError("LibreOffice không chuyển được tệp .doc (tệp hỏng hoặc được bảo vệ?)")
        return decode(out.read_bytes())[0]


def read_odt(path: Path) -> tuple[str | None, str]:
    from odf import teletype
    from odf.namespaces import TABLENS, TEXTNS
    from odf.opendocument import load

    document = load(str(path))
    lines: list[str] = []

    def walk(node) -> None:
        for child in node.childNodes:
            name = getattr(child, "qname", None)
            if name == (TABLENS, "table-row"):
                cells = [
                    teletype.extractText(c).strip()
                    for c in child.childNodes
                    if getattr(c, "qname", None) == (TABLENS, "table-cell")
                ]
                lines.append(" | ".join(cells))
            elif name in ((TEXTNS, "p"), (TEXTNS, "h")):
                lines.append(teletype.extractText(child))
            elif name is not None:
                walk(child)

    walk(document.text)
    title = None
    for node in document.meta.childNodes:
        if getattr(node, "qname", (None, None))[1] == "title":
            title = teletype.extractText(node) or None
    return title, "\n".join(lines)


def read_rtf(path: Path) -> str:
    from striprtf.striprtf import rtf_to_text

    raw = path.read_bytes().decode("latin-1")
    codepage = re.search(r"\\ansicpg(\d+)", raw)
    encoding = f"cp{codepage.group(1)}" if codepage else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    return rtf_to_text(raw, encoding=encoding, errors="replace")


def _row_line(headers: list[str], values: list) -> str:
    parts = []
    for i, value in enumerate(values):
        text = _cell(value)
        if not text:
            continue
        header = headers[i] if i < len(headers) and headers[i] else f"Cột {i + 1}"
        parts.append(f"{header}: {text}")
    return " | ".join(parts)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y") if not getattr(value, "hour", 0) else value.strftime("%d/%m/%Y %H:%M")
    return " ".join(str(value).split())


def _table_pieces(rows, sheet: str | None) -> list[Piece]:
    """Rows (1-based numbers, lists of values) to pieces; the first non-empty row names the columns."""
    pieces: list[Piece] = []
    headers: list[str] | None = None
    for number, values in rows:
        values = list(values)
        if not any(_cell(v) for v in values):
            continue
        if headers is None:
            headers = [_cell(v) for v in values]
            continue
        line = _row_line(headers, values)
        if line:
            location = {"sheet": sheet, "row": number} if sheet is not None else {"row": number}
            pieces.append((f"{sheet} — {line}" if sheet else line, location))
    if headers is not None and not pieces:  # a sheet of one row: keep it as it is
        pieces.append((" | ".join(h for h in headers if h), {"sheet": sheet, "row": 1} if sheet else {"row": 1}))
    return pieces


def read_xlsx(path: Path) -> tuple[str | None, list[Piece]]:
    import openpyxl

    book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    try:
        pieces: list[Piece] = []
        for sheet in book.worksheets:
            pieces += _table_pieces(
                ((i, row) for i, row in enumerate(sheet.iter_rows(values_only=True), 1)), sheet.title
            )
        return book.properties.title or None, pieces
    finally:
        book.close()


def read_xls(path: Path) -> tuple[str | None, list[Piece]]:
    import xlrd

    book = xlrd.open_workbook(str(path))
    pieces: list[Piece] = []
    for sheet in book.sheets():
        rows = []
        for i in range(sheet.nrows):
            values = []
            for cell in sheet.row(i):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    values.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                else:
                    values.append(cell.value)
            rows.append((i + 1, values))
        pieces += _table_pieces(rows, sheet.name)
    return None, pieces


def read_csv(path: Path) -> tuple[str | None, list[Piece]]:
    text, _ = decode(path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    return None, _table_pieces(((i, row) for i, row in enumerate(rows, 1)), None)


def read_pptx(path: Path) -> tuple[str | None, list[Piece]]:
    from pptx import Presentation

    deck = Presentation(str(path))
    pieces: list[Piece] = []
    for number, slide in enumerate(deck.slides, 1):
        lines: list[str] = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                lines += [p.text for p in shape.text_frame.paragraphs if p.text.strip()]
            elif getattr(shape, "has_table", False) and shape.has_table:
                for row in shape.table.rows:
                    lines.append(" | ".join(cell.text.strip() for cell in row.cells))
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.strip()
            if notes:
                lines.append(notes)
        if lines:
            pieces.append(("\n".join(lines), {"slide": number}))
    return deck.core_properties.title or None, pieces
