"""Documents uploaded through the web chat: checked, given a safe name, stored under one folder."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

from .errors import IngestError

UPLOAD_TYPES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".doc", ".odt", ".rtf", ".xlsx", ".xls", ".csv",
                ".pptx", ".png", ".jpg", ".jpeg", ".tif", ".tiff")
MAX_NAME = 120


def safe_name(name: str) -> str:
    """A file name that stays inside its folder whatever the client sent ("../../x", "C:\\\\x", NUL…)."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name)
    name = re.sub(r"[^\w.\- ]", "_", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem[: MAX_NAME - len(ext) - 1] or "tai-lieu"
    return f"{stem}.{ext.lower()}" if ext else stem


def save_upload(source: str | Path, original_name: str, folder: str | Path, max_bytes: int) -> Path:
    """Copy an uploaded temp file into `folder` under its sanitised name; refuse other types and
    files over `max_bytes` with a Vietnamese message."""
    name = safe_name(original_name)
    if Path(name).suffix.lower() not in UPLOAD_TYPES:
        raise IngestError(f"«{original_name}»: không hỗ trợ loại tệp này (chỉ nhận {', '.join(UPLOAD_TYPES)}).")
    size = Path(source).stat().st_size
    if size > max_bytes:
        raise IngestError(f"«{original_name}»: tệp quá lớn ({size / 1e6:.1f} MB; tối đa {max_bytes / 1e6:g} MB).")
    if size == 0:
        raise IngestError(f"«{original_name}»: tệp rỗng.")
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = (folder / name).resolve()
    if target.parent != folder:  # belt and braces: safe_name already makes this impossible
        raise IngestError(f"«{original_name}»: tên tệp không hợp lệ.")
    tmp = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    return target
