"""Uploaded files: only document types, a size limit, and names that cannot leave the uploads folder."""

import pytest

from assistant.errors import IngestError
from assistant.uploads import safe_name, save_upload


@pytest.mark.parametrize("name, expected", [
    ("báo cáo quý 1.PDF", "báo cáo quý 1.pdf"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\evil.md", "evil.md"),
    ("/abs/path/x.html", "x.html"),
    ("a\x00b<>:|?*.txt", "ab______.txt"),
    ("...", "tai-lieu"),
    (".bashrc", "bashrc"),
    ("Hoa\u0300n Kie\u0302\u0301m.txt", "Hoàn Kiếm.txt"),  # NFD in, NFC out
])
def test_safe_names(name, expected):
    assert safe_name(name) == expected


def test_long_names_keep_their_extension():
    name = safe_name("x" * 500 + ".docx")
    assert name.endswith(".docx") and len(name) <= 120


@pytest.mark.parametrize("crafted", ["../outside.txt", "../../outside.txt", "sub/../../outside.txt", "/tmp/outside.txt",
                                     "..", "uploads/../../outside.txt"])
def test_crafted_names_never_write_outside_the_folder(tmp_path, crafted):
    source = tmp_path / "src.bin"
    source.write_text("Nội dung.", encoding="utf-8")
    folder = tmp_path / "data" / "uploads"
    try:
        saved = save_upload(source, crafted, folder, 1_000_000)
    except IngestError:
        saved = None
    if saved is not None:
        assert saved.parent == folder.resolve()
    assert not (tmp_path / "outside.txt").exists() and not (tmp_path / "data" / "outside.txt").exists()


def test_type_size_and_empty_are_refused_with_messages(tmp_path):
    source = tmp_path / "src"
    source.write_bytes(b"x" * 2000)
    with pytest.raises(IngestError, match="không hỗ trợ loại tệp"):
        save_upload(source, "virus.exe", tmp_path / "up", 10_000)
    with pytest.raises(IngestError, match="tệp quá lớn"):
        save_upload(source, "lon.txt", tmp_path / "up", 1000)
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(IngestError, match="tệp rỗng"):
        save_upload(tmp_path / "empty", "rong.txt", tmp_path / "up", 1000)
    saved = save_upload(source, "ok.TXT", tmp_path / "up", 10_000)
    assert saved.name == "ok.txt" and saved.read_bytes() == b"x" * 2000
    assert not list((tmp_path / "up").glob(".*part"))
