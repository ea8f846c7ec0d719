"""OCR of Vietnamese pages: how much of the text, and of its tone marks, comes back, how fast, and whether
retrieval over OCR'd text is as good as over the original.

VNTC articles are rendered to A4 page images with a Debian font (DejaVu Serif, 11 pt), one page each
(what fits), at two qualities: a clean 300 dpi scan, and a poor 150 dpi one with speckle noise and a
1° skew. Each page is read by the product's OCR (assistant/ocr.py: Tesseract `vie`, pages in parallel).

- character accuracy: 1 - edit distance / length, whitespace collapsed
- syllable accuracy: 1 - (substituted + deleted + inserted syllables) / syllables, tone marks counted
  (lower case; "hoà" = "hòa")
- pages per second: wall time of the OCR, all cores
- retrieval: XQuAD-vi passages rendered the same way, indexed once as OCR'd and once as the original
  text; R@1 of their questions (the gold passage ranked first) over each. Target: OCR ≥ 0.97 × original.

    nice -n 10 .venv/bin/python benchmarks/ocr.py                 # 100 articles, 100 XQuAD passages
    nice -n 10 .venv/bin/python benchmarks/ocr.py --n 20 --passages 40
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import (  # noqa: E402
        DATA_DIR,
        as_records,
        build_index,
        git_commit,
        load_passages,
        load_questions,
        make_config,
        publish,
        read_jsonl,
    )
else:
    from .common import (
        DATA_DIR,
        as_records,
        build_index,
        git_commit,
        load_passages,
        load_questions,
        make_config,
        publish,
        read_jsonl,
    )

from assistant import ocr  # noqa: E402
from assistant.text import syllables  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
SEED = 20
A4 = (8.27, 11.69)  # inches
QUALITIES = {
    "clean 300 dpi": {"dpi": 300, "noise": 0.0, "skew": 0.0},
    "150 dpi, noise, 1° skew": {"dpi": 150, "noise": 0.004, "skew": 1.0},
}
WIDTH_CHARS = 80
POINTS = 11


def page_lines(text: str) -> list[str]:
    """The lines of `text` that fit on one A4 page at POINTS size."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, WIDTH_CHARS) if paragraph.strip() else []
    fit = int((A4[1] - 1.6) * 72 / (POINTS * 1.5))
    return lines[:fit]


def render(lines: list[str], dpi: int, noise: float, skew: float, seed: int):
    from PIL import Image, ImageDraw, ImageFont

    size = round(POINTS * dpi / 72)
    face = ImageFont.truetype(FONT, size)
    image = Image.new("L", (round(A4[0] * dpi), round(A4[1] * dpi)), 255)
    draw = ImageDraw.Draw(image)
    margin, step = round(0.8 * dpi), round(size * 1.5)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * step), line, fill=0, font=face)
    if skew:
        image = image.rotate(skew, resample=Image.BICUBIC, fillcolor=255)
    if noise:
        rng = np.random.default_rng(seed)
        pixels = np.array(image)
        mask = rng.random(pixels.shape) < noise
        pixels[mask] = 255 - pixels[mask]
        image = Image.fromarray(pixels)
    return image


def edit_distance(a: list, b: list) -> int:
    """Levenshtein distance, one numpy row at a time (insertions resolved by a running minimum)."""
    if not a or not b:
        return max(len(a), len(b))
    codes: dict = {}
    x = np.array([codes.setdefault(t, len(codes)) for t in a])
    y = np.array([codes.setdefault(t, len(codes)) for t in b])
    index = np.arange(len(y) + 1)
    previous = index.copy()
    for i, token in enumerate(x, 1):
        current = np.empty_like(previous)
        current[0] = i
        current[1:] = np.minimum(previous[1:] + 1, previous[:-1] + (y != token))
        current = np.minimum.accumulate(current - index) + index  # insertions along the row
        previous = current
    return int(previous[-1])


def accuracy(reference: str, read: str) -> tuple[float, float]:
    ref_chars, got_chars = list(" ".join(reference.split())), list(" ".join(read.split()))
    ref_syl, got_syl = syllables(reference), syllables(read)
    char = 1 - edit_distance(ref_chars, got_chars) / max(len(ref_chars), 1)
    syl = 1 - edit_distance(ref_syl, got_syl) / max(len(ref_syl), 1)
    return max(char, 0.0), max(syl, 0.0)


def ocr_pages(texts: list[list[str]], quality: dict) -> tuple[list[str], float]:
    images = (render(lines, seed=i, **quality) for i, lines in enumerate(texts))
    t0 = time.perf_counter()
    read = ocr.read_images(images, len(texts), desc="OCR")
    return read, time.perf_counter() - t0


def run(n: int = 100, passages: int = 100, json_path=None, quiet: bool = False) -> dict:
    ocr.check()
    docs = read_jsonl(DATA_DIR / "vntc_news.docs.jsonl")
    random.Random(SEED).shuffle(docs)
    pages = [page_lines(d["text"]) for d in docs[:n]]
    result = {
        "benchmark": "ocr",
        "date": dt.date.today().isoformat(),
        "commit": git_commit(),
        "articles": n,
        "font": Path(FONT).name,
        "points": POINTS,
        "workers": ocr.os.cpu_count(),
        "qualities": {},
    }
    for name, quality in QUALITIES.items():
        read, seconds = ocr_pages(pages, quality)
        scores = [accuracy("\n".join(lines), text) for lines, text in zip(pages, read)]
        result["qualities"][name] = {
            "pages": len(pages),
            "characters": sum(len("\n".join(p)) for p in pages),
            "char_accuracy": round(float(np.mean([c for c, _ in scores])), 4),
            "syllable_accuracy": round(float(np.mean([s for _, s in scores])), 4),
            "syllable_accuracy_p10": round(float(np.percentile([s for _, s in scores], 10)), 4),
            "pages_per_second": round(len(pages) / seconds, 3),
            "seconds": round(seconds, 1),
        }
    if passages:
        result["retrieval"] = retrieval(passages)
    return publish(result, json_path, f"ocr-n{n}.json", quiet, format_report)


def retrieval(limit: int) -> dict:
    """R@1 of XQuAD questions over their passages as original text and as OCR'd from clean and poor pages."""
    rng = random.Random(SEED)
    passages = load_passages()
    rng.shuffle(passages)
    passages = passages[:limit]
    ids = {p["id"] for p in passages}
    questions = [q for q in load_questions() if str(q["passage_id"]) in ids]
    out = {"passages": len(passages), "questions": len(questions)}
    versions = {"original": passages}
    for name, quality in QUALITIES.items():
        # A passage is one paragraph: rendered whole (it fits a page), read back, indexed under the same id.
        read, _ = ocr_pages([textwrap.wrap(p["text"], WIDTH_CHARS) for p in passages], quality)
        versions[name] = [{**p, "text": text or "(trống)"} for p, text in zip(passages, read)]
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        for name, version in versions.items():
            bot, _, _ = build_index(
                Path(tmp) / name.split()[0], as_records(version, []), make_config(), share_vectors=False
            )
            hits = sum(
                1
                for q in questions
                if (top := bot.retrieve(q["question"], k=1)) and top[0].doc_id == str(q["passage_id"])
            )
            out[name] = round(hits / max(len(questions), 1), 4)
    for name in QUALITIES:
        out[f"{name} / original"] = round(out[name] / out["original"], 4) if out["original"] else None
    return out


def format_report(r: dict) -> str:
    rows = [
        f"OCR of {r['articles']} VNTC articles, one A4 page each ({r['font']} {r['points']} pt), "
        f"{r['workers']} workers",
        f"{'quality':<26} {'pages':>5} {'char acc':>9} {'syll acc':>9} {'syll p10':>9} {'pages/s':>8}",
    ]
    for name, q in r["qualities"].items():
        rows.append(
            f"{name:<26} {q['pages']:>5} {q['char_accuracy']:>9.2%} {q['syllable_accuracy']:>9.2%} "
            f"{q['syllable_accuracy_p10']:>9.2%} {q['pages_per_second']:>8.2f}"
        )
    if "retrieval" in r:
        t = r["retrieval"]
        rows += [
            "",
            f"Retrieval R@1, {t['questions']} XQuAD questions over {t['passages']} passages:",
            f"{'text':<26} {'R@1':>7} {'vs original':>12}",
            f"{'original':<26} {t['original']:>7.2%} {'':>12}",
        ]
        for name in QUALITIES:
            rows.append(f"{name:<26} {t[name]:>7.2%} {t[name + ' / original']:>12.3f}")
    clean = r["qualities"]["clean 300 dpi"]
    met = clean["syllable_accuracy"] >= 0.98
    rows += ["", f"targets: clean syllable accuracy ≥ 98%: {'met' if met else 'NOT met'}"]
    if "retrieval" in r:
        ratio = r["retrieval"]["clean 300 dpi / original"]
        rows.append(f"         clean OCR R@1 ≥ 0.97 × original: {'met' if ratio and ratio >= 0.97 else 'NOT met'}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="VNTC articles (one page each)")
    ap.add_argument("--passages", type=int, default=100, help="XQuAD passages for the retrieval part (0: none)")
    ap.add_argument("--json", help="where to write the result (default benchmarks/results/ocr-n<N>.json)")
    args = ap.parse_args(argv)
    run(args.n, args.passages, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
