"""The structure of Vietnamese legal and administrative documents: Chương / Mục / Điều N. / khoản 1. / điểm a).

Recognised from the text alone: an article ("Điều 5. Phạm vi điều chỉnh") starts a line, its clauses
("1. ...", "2. ...") start lines inside it. Each clause (with the article's heading kept with its
first clause) becomes one located span, so chunks never straddle two articles and each knows its
path. The header gives the number ("Số: 97/2019/QH14"), type ("NGHỊ QUYẾT"), issuing body and date.
"""

from __future__ import annotations

import re

TYPES = (
    "BỘ LUẬT",
    "LUẬT",
    "PHÁP LỆNH",
    "NGHỊ ĐỊNH",
    "NGHỊ QUYẾT",
    "QUYẾT ĐỊNH",
    "THÔNG TƯ LIÊN TỊCH",
    "THÔNG TƯ",
    "CHỈ THỊ",
    "CÔNG VĂN",
    "THÔNG BÁO",
    "KẾ HOẠCH",
    "HƯỚNG DẪN",
    "BÁO CÁO",
    "TỜ TRÌNH",
)
_ARTICLE = re.compile(r"^Điều\s+(\d{1,4})[a-zđ]?\s*[.:]\s*(.*)$", re.MULTILINE)
_CHAPTER = re.compile(r"^(?:Chương|CHƯƠNG)\s+([IVXLCDM]+|\d{1,3})\b.*$", re.MULTILINE)
_SECTION = re.compile(r"^(?:Mục|MỤC)\s+(\d{1,3}|[IVXLCDM]+)\b.*$", re.MULTILINE)
_CLAUSE = re.compile(r"^(\d{1,3})\.\s+\S.*$", re.MULTILINE)
_NUMBER = re.compile(
    r"\bSố(?:\s*(?:hiệu|ký hiệu))?\s*:\s*([0-9]{1,5}(?:/[0-9]{4})?/[A-ZĐ0-9][A-ZĐ0-9\-–]*)", re.IGNORECASE
)
_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_MOTTO = re.compile(
    r"CỘNG\s+HÒA\s+XÃ\s+HỘI\s+CHỦ\s+NGHĨA\s+VIỆT\s+NAM|CỘNG\s+HOÀ\s+XÃ\s+HỘI\s+CHỦ\s+NGHĨA\s+VIỆT\s+NAM"
    r"|Độc\s+lập\s*-\s*Tự\s+do\s*-\s*Hạnh\s+phúc",
    re.IGNORECASE,
)
HEADER_LINES = 25


def is_legal(text: str) -> bool:
    return len(_ARTICLE.findall(text)) >= 2


def header(text: str) -> dict:
    """Number, type, issuer and date of issue, as far as the header states them."""
    lines = [line.strip() for line in text.split("\n")[:HEADER_LINES] if line.strip()]
    head = "\n".join(lines)
    out: dict = {}
    number = _NUMBER.search(head)
    if number:
        out["so_hieu"] = number.group(1).rstrip("-–")
    date = _DATE.search(head)
    if date:
        day, month, year = (int(g) for g in date.groups())
        if 1 <= day <= 31 and 1 <= month <= 12:
            out["ngay_ban_hanh"] = f"{year:04d}-{month:02d}-{day:02d}"
    for i, line in enumerate(lines):
        upper = _MOTTO.sub("", line).strip().upper()
        kind = next((t for t in TYPES if upper == t or upper.startswith(t + " ")), None)
        if kind and len(upper) < 60:
            out["loai"] = kind.capitalize()
            if i + 1 < len(lines) and not _ARTICLE.match(lines[i + 1]) and not lines[i + 1].startswith("Căn cứ"):
                out["trich_yeu"] = lines[i + 1]
            break
    if "loai" not in out and re.search(r"^V/v\b", head, re.MULTILINE):
        out["loai"] = "Công văn"
        subject = re.search(r"^V/v\b.*$", head, re.MULTILINE)
        out["trich_yeu"] = subject.group().strip() if subject else ""
    if lines:
        issuer = _MOTTO.sub("", lines[0]).strip(" -")
        if issuer and not issuer.upper().startswith(tuple(TYPES)) and len(issuer) < 80:
            out["co_quan"] = issuer
    return out


def title(info: dict) -> str | None:
    """ "Nghị quyết 97/2019/QH14 của QUỐC HỘI ngày 27/11/2019: <trích yếu>", from what is known."""
    if "loai" not in info:
        return None
    parts = [info["loai"]]
    if "so_hieu" in info:
        parts.append(info["so_hieu"])
    if "co_quan" in info:
        parts.append(f"của {info['co_quan']}")
    if "ngay_ban_hanh" in info:
        y, m, d = info["ngay_ban_hanh"].split("-")
        parts.append(f"ngày {int(d)}/{int(m)}/{y}")
    out = " ".join(parts)
    return f"{out}: {info['trich_yeu']}" if info.get("trich_yeu") else out


def spans(text: str) -> list[tuple[int, int, dict]]:
    """(start, end, path) for each clause of each article; an article without clauses is one span."""
    marks: list[tuple[int, str, str]] = []  # (offset, kind, label)
    for m in _CHAPTER.finditer(text):
        marks.append((m.start(), "chuong", m.group(1)))
    for m in _SECTION.finditer(text):
        marks.append((m.start(), "muc", m.group(1)))
    for m in _ARTICLE.finditer(text):
        marks.append((m.start(), "dieu", m.group(1)))
    marks.sort()
    out: list[tuple[int, int, dict]] = []
    chapter = section = None
    for i, (start, kind, number) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        if kind in ("chuong", "muc"):  # its heading is a span of its own: no chunk joins it to an article
            if kind == "chuong":
                chapter, section = number, None
            else:
                section = number
            out.append((start, end, {k: v for k, v in (("chuong", chapter), ("muc", section)) if v}))
            continue
        line_end = text.find("\n", start)
        found = _ARTICLE.match(text, start)
        heading = found.group(2).strip() if found else ""
        base: dict[str, int | str] = {"dieu": int(number)}
        if chapter:
            base["chuong"] = chapter
        if section:
            base["muc"] = section
        if heading:
            base["ten_dieu"] = heading[:120]
        body_start = line_end + 1 if 0 <= line_end < end else end
        clauses = [m for m in _CLAUSE.finditer(text, body_start, end)]
        if not clauses:
            out.append((start, end, dict(base)))
            continue
        for k, clause in enumerate(clauses):
            lo = start if k == 0 else clause.start()
            hi = clauses[k + 1].start() if k + 1 < len(clauses) else end
            out.append((lo, hi, {**base, "khoan": int(clause.group(1))}))
    return [(lo, hi, path) for lo, hi, path in out if text[lo:hi].strip()]


_REFERENCE = re.compile(
    r"\b(?:khoan\s+(\d{1,3})\s*(?:,\s*|cua\s+|tai\s+)?)?dieu\s+(\d{1,4})\b"
    r"(?:\s*,?\s*khoan\s+(\d{1,3}))?"
)


def reference(question: str) -> tuple[int, int | None] | None:
    """The article (and clause) a question names: "khoản 2 Điều 12", "Điều 12 khoản 2", "dieu 5" -> (12, 2)."""
    from .text import fold

    m = _REFERENCE.search(fold(question).lower())
    if not m:
        return None
    clause = m.group(1) or m.group(3)
    return int(m.group(2)), int(clause) if clause else None
