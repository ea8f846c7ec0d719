"""Uploaded files: only document types, a size limit, and names that cannot leave the uploads folder."""

import pytest

from assistant.errors import IngestError
from assistant.uploads import safe_name, save_upload


@pytest.mark.parametrize(
    "name, expected",
    [
        ("báo cáo quý 1.PDF", "báo cáo quý 1.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        ("/abs/path/x.html", "x.html"),
        ("a\x00b<>:|?*.txt", "ab______.txt"),
        ("...", "tai-lieu"),
        (".bashrc", "bashrc"),
        ("Hoa\u0300n Kie\u0302\u0301m.txt", "Hoàn Kiếm.txt"),  # NFD in, NFC out
    ],
)
def test_safe_names(name, expected):
    assert safe_name(name) == expected


def test_long_names_keep_their_extension():
    name = safe_name("x" * 500 + ".docx")
    assert name.endswith(".docx") and len(name) <= 120


@pytest.mark.parametrize(
    "crafted",
    [
        "../outside.txt",
        "../../outside.txt",
        "sub/../../outside.txt",
        "/tmp/outside.txt",
        "..",
        "uploads/../../outside.txt",
    ],
)
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


def _source(folder, name, text):
    path = folder / "incoming" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_an_indexed_name_is_kept_beside_not_replaced(tmp_path):
    from assistant.uploads import UploadBatch

    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "bao-cao.txt").write_text("bản cũ", encoding="utf-8")
    batch = UploadBatch(folder, 10_000, existing={"bao-cao.txt", "seed.txt"})
    batch.add(_source(tmp_path, "bao-cao.txt", "bản mới"), "bao-cao.txt")
    batch.add(_source(tmp_path, "seed.txt", "không phải hạt giống"), "seed.txt")
    assert [p.name for p in batch.paths] == ["bao-cao-2.txt", "seed-2.txt"]
    assert (folder / "bao-cao.txt").read_text(encoding="utf-8") == "bản cũ"
    assert all("cả hai được giữ" in m for m in batch.messages)


def test_names_that_sanitise_alike_in_one_batch_both_survive_even_when_replacing(tmp_path):
    from assistant.uploads import UploadBatch

    batch = UploadBatch(tmp_path / "uploads", 10_000, existing=set(), replace=True)
    batch.add(_source(tmp_path, "a", "một"), "báo cáo?.txt")
    batch.add(_source(tmp_path, "b", "hai"), "báo cáo*.txt")
    assert [p.read_text(encoding="utf-8") for p in batch.paths] == ["một", "hai"]
    assert [p.name for p in batch.paths] == ["báo cáo_.txt", "báo cáo_-2.txt"]


def test_replace_keeps_the_old_file_until_indexed_and_failures_leave_nothing(tmp_path):
    from assistant.uploads import UploadBatch

    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "x.txt").write_text("cũ", encoding="utf-8")
    batch = UploadBatch(folder, 10_000, existing={"x.txt"}, replace=True)
    batch.add(_source(tmp_path, "x.txt", "mới"), "x.txt")
    batch.add(_source(tmp_path, "y.txt", "hỏng"), "y.txt")
    batch.add(_source(tmp_path, "z.xyz", "a,b"), "z.xyz")
    assert any("không hỗ trợ" in m for m in batch.messages)
    batch.finish(failed=[str(folder / "x.txt"), "y.txt"])  # indexing skipped both: the old x.txt comes back
    assert (folder / "x.txt").read_text(encoding="utf-8") == "cũ" and not (folder / "y.txt").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["x.txt"]

    batch = UploadBatch(folder, 10_000, existing={"x.txt"}, replace=True)
    batch.add(_source(tmp_path, "x.txt", "mới"), "x.txt")
    batch.finish(failed=[])
    assert (folder / "x.txt").read_text(encoding="utf-8") == "mới"
    assert sorted(p.name for p in folder.iterdir()) == ["x.txt"]

    batch = UploadBatch(folder, 10_000, existing={"x.txt"})
    batch.add(_source(tmp_path, "w.txt", "w"), "w.txt")
    batch.finish(failed=None)  # indexing raised: nothing of the batch stays
    assert sorted(p.name for p in folder.iterdir()) == ["x.txt"]


def test_sizes_in_the_unit_of_the_label():
    from assistant.uploads import megabytes

    assert megabytes(20_000_000) == "20 MB" and megabytes(19_100_000) == "19,1 MB"
    assert megabytes(50_000) == "0,05 MB" and megabytes(500_000_000) == "500 MB"
