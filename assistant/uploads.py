"""Documents uploaded through the web chat: checked, given a safe name, stored under one folder.

An upload never silently replaces a document: a name already indexed (or already on disk, or taken
by another file of the same batch) gets a suffix ("bao-cao-2.txt"), unless replacing was asked for.
Files whose indexing fails are removed again, and a replaced file comes back.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import IngestError

UPLOAD_TYPES = (
    ".txt",
    ".md",
    ".html",
    ".htm",
    ".pdf",
    ".docx",
    ".doc",
    ".odt",
    ".rtf",
    ".xlsx",
    ".xls",
    ".csv",
    ".pptx",
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
)
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


def megabytes(n_bytes: float) -> str:
    """Sizes as the upload label shows them: decimal MB (10^6 bytes), Vietnamese decimal comma."""
    value = n_bytes / 1e6
    text = f"{value:.0f}" if value >= 100 else f"{value:.3g}"
    return text.replace(".", ",") + " MB"


def check_upload(size: int, original_name: str, max_bytes: int) -> str:
    """The sanitised name of an acceptable upload; other types, files over `max_bytes` and empty
    files are refused with a Vietnamese message in the unit of the upload label."""
    name = safe_name(original_name)
    if Path(name).suffix.lower() not in UPLOAD_TYPES:
        raise IngestError(f"«{original_name}»: không hỗ trợ loại tệp này (chỉ nhận {', '.join(UPLOAD_TYPES)}).")
    if size > max_bytes:
        raise IngestError(f"«{original_name}»: tệp quá lớn ({megabytes(size)}; tối đa {megabytes(max_bytes)}).")
    if size == 0:
        raise IngestError(f"«{original_name}»: tệp rỗng.")
    return name


def save_upload(
    source: str | Path, original_name: str, folder: str | Path, max_bytes: int, name: str | None = None
) -> Path:
    """Copy an uploaded temp file into `folder` under its sanitised name (or `name`); refuse other types
    and files over `max_bytes` with a Vietnamese message."""
    checked = check_upload(Path(source).stat().st_size, original_name, max_bytes)
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = (folder / safe_name(name or checked)).resolve()
    if target.parent != folder:  # belt and braces: safe_name already makes this impossible
        raise IngestError(f"«{original_name}»: tên tệp không hợp lệ.")
    tmp = target.with_name(f".{target.name}.part")
    try:
        shutil.copyfile(source, tmp)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def free_name(name: str, taken: set[str]) -> str:
    """`name`, or `name` with the smallest suffix -2, -3, … that is not taken."""
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, "." + ext) if dot else (name, "")
    n = 2
    while f"{stem}-{n}{ext}" in taken:
        n += 1
    return f"{stem}-{n}{ext}"


@dataclass
class Stored:
    path: Path  # where the upload now is; its name is the document id
    original: str  # the name the client sent
    backup: Path | None = None  # the file it replaced, kept until the upload is indexed


class UploadBatch:
    """The files of one upload click. `existing` are the document ids already indexed; with `replace`
    an upload takes the place of the document with its name, otherwise it is stored beside it."""

    def __init__(self, folder: str | Path, max_bytes: int, existing: Iterable[str], replace: bool = False):
        self.folder, self.max_bytes, self.replace = Path(folder).resolve(), max_bytes, replace
        self.existing = set(existing)
        self.stored: list[Stored] = []
        self.messages: list[str] = []

    def add(self, source: str | Path, original: str) -> None:
        try:
            name = check_upload(Path(source).stat().st_size, original, self.max_bytes)
            on_disk = {p.name for p in self.folder.iterdir()} if self.folder.is_dir() else set()
            claimed = {s.path.name for s in self.stored}  # two files of one batch never overwrite each other
            taken = claimed | (set() if self.replace else self.existing | on_disk)
            final = free_name(name, taken)
            if final != name and name not in claimed:
                self.messages.append(
                    f"«{original}»: đã có tài liệu tên «{name}», nên tệp mới được lưu thành "
                    f"«{final}» (cả hai được giữ; chọn «Thay thế tài liệu cùng tên» để thay thế)."
                )
            elif final != name:
                self.messages.append(
                    f"«{original}»: trùng tên «{name}» với một tệp khác vừa tải lên, nên được lưu thành «{final}»."
                )
            backup = None
            target = self.folder / final
            if target.exists():  # replacing, as asked: keep the old file until the new one is indexed
                backup = target.with_name(f".{final}.replaced")
                target.replace(backup)
            try:
                path = save_upload(source, original, self.folder, self.max_bytes, name=final)
            except BaseException:
                if backup is not None:
                    backup.replace(target)
                raise
            self.stored.append(Stored(path, original, backup))
        except IngestError as exc:
            self.messages.append(f"Bỏ qua {exc}")
        except OSError as exc:
            self.messages.append(f"Bỏ qua «{original}»: không lưu được tệp ({exc.strerror or type(exc).__name__}).")

    @property
    def paths(self) -> list[Path]:
        return [s.path for s in self.stored]

    def original_name(self, name: str) -> str:
        """The client's name for a stored file (its name or path, as a problem report gives it)."""
        base = Path(name).name
        return next((s.original for s in self.stored if s.path.name == base), base)

    def finish(self, failed: Iterable[str] | None) -> None:
        """Keep the uploads that were indexed (dropping what they replaced); remove the `failed` ones
        (names or paths; None: all of them) and put back what they replaced, so a failed upload
        leaves nothing behind."""
        failed_names = None if failed is None else {Path(f).name for f in failed}
        for s in self.stored:
            if failed_names is not None and s.path.name not in failed_names:
                if s.backup is not None:
                    s.backup.unlink(missing_ok=True)
            else:
                s.path.unlink(missing_ok=True)
                if s.backup is not None:
                    s.backup.replace(s.path)
