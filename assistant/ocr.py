"""Reading scanned pages and photos with Tesseract's Vietnamese model (Debian: tesseract-ocr, tesseract-ocr-vie).

Each page is one `tesseract` process; pages are read in parallel (one process per core) with a progress
bar, so a 40-page scan takes a 40th of the time per core, not 40 times a page.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from .errors import IngestError
from .text import join_wrapped_lines, normalize

LANGUAGE = "vie"
DPI = 300  # Tesseract reads best at about 300 dots per inch
TIMEOUT = 300  # seconds for one page
MISSING = (
    "chưa cài Tesseract OCR để đọc ảnh và bản quét (cài gói Debian tesseract-ocr và tesseract-ocr-vie: "
    "sudo apt-get install tesseract-ocr tesseract-ocr-vie)"
)
MISSING_VIE = "Tesseract chưa có mô hình tiếng Việt (cài gói Debian tesseract-ocr-vie)"


class OcrUnavailable(IngestError):
    """Tesseract or its Vietnamese model is not installed."""


@lru_cache(maxsize=1)
def _languages() -> tuple[str, ...]:
    if shutil.which("tesseract") is None:
        return ()
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(line.strip() for line in out.splitlines()[1:] if line.strip())


def check() -> None:
    """Raise OcrUnavailable with the package to install when OCR cannot run here."""
    languages = _languages()
    if not languages:
        raise OcrUnavailable(MISSING)
    if LANGUAGE not in languages:
        raise OcrUnavailable(MISSING_VIE)


def available() -> bool:
    try:
        check()
        return True
    except OcrUnavailable:
        return False


def read_image(image) -> str:
    """The text of one page image (a PIL image), normalised."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    # One thread per tesseract process: the pages themselves run in parallel.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    result = subprocess.run(
        ["tesseract", "stdin", "stdout", "-l", LANGUAGE, "--psm", "3"],
        input=buffer.getvalue(),
        capture_output=True,
        timeout=TIMEOUT,
        env=env,
    )
    if result.returncode != 0:
        raise IngestError(f"Tesseract lỗi: {result.stderr.decode('utf-8', 'replace').strip()[:200]}")
    return normalize(join_wrapped_lines(normalize(result.stdout.decode("utf-8", "replace"))))


def read_images(
    images: Iterable,
    total: int,
    workers: int | None = None,
    desc: str = "Đang nhận dạng chữ (OCR)",
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Texts of the page images, in order; `images` is consumed lazily (rendering overlaps reading)."""
    from tqdm import tqdm

    check()
    workers = max(1, min(workers or os.cpu_count() or 1, total or 1))
    texts: list[str] = []
    with (
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr") as pool,
        tqdm(total=total, desc=desc, unit="trang", disable=None) as bar,
    ):
        for text in _bounded_map(pool, read_image, images, 2 * workers):
            texts.append(text)
            bar.update(1)
            if progress:
                progress(len(texts), total)
    return texts


def _bounded_map(pool: ThreadPoolExecutor, fn, items: Iterable, ahead: int) -> Iterator:
    """pool.map that keeps at most `ahead` items in flight, so page images are not all held in memory."""
    pending = []
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= ahead:
            yield pending.pop(0).result()
    for future in pending:
        yield future.result()
