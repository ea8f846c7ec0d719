"""Errors whose messages are shown to users as they are, so they are in Vietnamese.

Each kind carries the exit code the CLI returns for it (documented in docs/errors.md), so a script
can tell a full disk from a broken index without reading the message.
"""

from __future__ import annotations

import errno
import os
import re


class AssistantError(Exception):
    """Base class: the message is the user-facing explanation."""

    exit_code = 2


class ConfigError(AssistantError):
    exit_code = 3


class IngestError(AssistantError):
    exit_code = 4


class IndexStoreError(AssistantError):
    """The index on disk is missing, broken or incompatible."""

    exit_code = 5


class ModelMismatchError(IndexStoreError):
    exit_code = 6


class IndexLocationError(IndexStoreError):
    """The index folder is a file, or lies below one."""

    exit_code = 7


class NotWritableError(IndexStoreError):
    """The index folder (or its lock file) cannot be written: permissions or a read-only file system."""

    exit_code = 8


class DiskFullError(IndexStoreError):
    """The disk (or quota) filled up while writing; the previous index is untouched."""

    exit_code = 9


class QuestionError(AssistantError):
    """A question that is not text: invalid UTF-8 bytes or lone surrogates."""

    exit_code = 10


KEPT = "Chỉ mục trước đó vẫn nguyên vẹn."


def index_os_error(exc: OSError, where: str | os.PathLike) -> IndexStoreError:
    """An OSError met while building or opening an index, as the one-line message a user can act on."""
    code = exc.errno
    short_write = re.search(r"\d+ requested and \d+ written", str(exc))  # numpy's tofile on a full disk
    if code is None and (short_write or _nearly_full(where)):
        code = errno.ENOSPC
    if code in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"Hết dung lượng đĩa khi ghi chỉ mục vào {where}. Hãy giải phóng dung lượng rồi chạy lại. {KEPT}"
        )
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "hệ thống tệp chỉ đọc" if code == errno.EROFS else "không có quyền ghi"
        return NotWritableError(
            f"Không ghi được vào thư mục chỉ mục {where} ({why}). Hãy chọn thư mục khác "
            f"bằng --index-dir hoặc cấp quyền ghi. {KEPT}"
        )
    if code in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return IndexLocationError(
            f"Thư mục chỉ mục {where} không dùng được: đường dẫn này (hoặc một thư mục cha "
            f"của nó) là một tệp chứ không phải thư mục. Hãy chọn --index-dir khác."
        )
    return IndexStoreError(f"Lỗi hệ thống tệp với chỉ mục tại {where}: {exc.strerror or exc}. {KEPT}")


def _nearly_full(where: str | os.PathLike) -> bool:
    """Whether the file system holding `where` has (almost) no room left."""
    import shutil
    from pathlib import Path

    for part in (Path(where), *Path(where).parents):
        if part.is_dir():
            return shutil.disk_usage(part).free < 64 * 1024
    return False


def check_index_dir(path: str | os.PathLike) -> None:
    """Refuse an index folder that is a file or lies below one, before anything tries to use it."""
    from pathlib import Path

    path = Path(path)
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise index_os_error(OSError(errno.ENOTDIR, "not a directory"), path)
            return
