"""Each kind of error has its own documented exit code, and OS errors become the right kind."""

import errno
import re
from pathlib import Path

import pytest

from assistant import errors

ROOT = Path(__file__).resolve().parent.parent


def test_exit_codes_are_distinct_and_documented():
    kinds = [
        errors.AssistantError,
        errors.ConfigError,
        errors.IngestError,
        errors.IndexStoreError,
        errors.ModelMismatchError,
        errors.IndexLocationError,
        errors.NotWritableError,
        errors.DiskFullError,
        errors.QuestionError,
    ]
    codes = [k.exit_code for k in kinds]
    assert len(set(codes)) == len(codes) and all(c > 1 for c in codes)
    table = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    for kind in kinds:
        assert re.search(rf"^\| {kind.exit_code} \| `{kind.__name__}`", table, re.M), kind.__name__


@pytest.mark.parametrize(
    "code, kind, words",
    [
        (errno.ENOSPC, errors.DiskFullError, "Hết dung lượng"),
        (errno.EDQUOT, errors.DiskFullError, "Hết dung lượng"),
        (errno.EROFS, errors.NotWritableError, "chỉ đọc"),
        (errno.EACCES, errors.NotWritableError, "không có quyền ghi"),
        (errno.ENOTDIR, errors.IndexLocationError, "là một tệp"),
        (errno.EIO, errors.IndexStoreError, "Lỗi hệ thống tệp"),
    ],
)
def test_os_errors_become_one_line_messages(code, kind, words):
    error = errors.index_os_error(OSError(code, "x"), "/chi-muc")
    assert type(error) is kind and words in str(error) and "\n" not in str(error) and "/chi-muc" in str(error)


def test_a_short_write_is_a_full_disk():
    error = errors.index_os_error(OSError("4102 requested and 3040 written"), "/chi-muc")
    assert isinstance(error, errors.DiskFullError)


def test_index_dir_below_a_file_is_refused(tmp_path):
    a_file = tmp_path / "tep"
    a_file.write_text("x")
    for bad in (a_file, a_file / "con" / "chau"):
        with pytest.raises(errors.IndexLocationError):
            errors.check_index_dir(bad)
    errors.check_index_dir(tmp_path / "moi" / "chi-muc")  # not there yet: fine
