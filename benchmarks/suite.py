"""Every benchmark in one command: each prints its table and writes its JSON to benchmarks/results/.

    .venv/bin/python benchmarks/suite.py            # retrieval (N = 0 and 1,000), long documents, refusal,
                                                    # verification, speed (also at 10,000 documents),
                                                    # Milvus Lite against FAISS at 10,000 documents,
                                                    # approximate search, start-up, OCR of scanned pages,
                                                    # embedding engines
    .venv/bin/python benchmarks/suite.py --quick    # a few questions each: checks that all of it runs
    .venv/bin/python benchmarks/suite.py --large    # also retrieval at all 9,994 VNTC articles (slow: the
                                                    # first run embeds ~44,000 chunks)

Indexes are cached under benchmarks/.cache/, so only the first run embeds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# One benchmark at a time on an otherwise idle machine: keep OpenMP as the product ships it.
os.environ.setdefault("BENCH_PRODUCT_OMP", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ann  # noqa: E402
import calibrate_answer  # noqa: E402
import calibrate_refusal  # noqa: E402
import calibrate_verification  # noqa: E402
import embedders  # noqa: E402
import long_documents  # noqa: E402
import news_qa  # noqa: E402
import ocr  # noqa: E402
import pdf_answers  # noqa: E402
import retrieval  # noqa: E402
import sentence_meaning  # noqa: E402
import speed  # noqa: E402
import startup  # noqa: E402
import stores  # noqa: E402
import verification  # noqa: E402


def run(quick: bool = False, large: bool = False) -> dict:
    """Run the benchmarks in turn; in quick mode results are not written (they would not be comparable)."""
    out = False if quick else None
    questions = 20 if quick else None
    steps = [
        ("retrieval, no distractors", lambda: retrieval.run(0, json_path=out, limit_questions=questions)),
        ("retrieval, 1,000 distractors", lambda: retrieval.run(1000, json_path=out, limit_questions=questions)),
        ("long documents", lambda: long_documents.run(1000, limit_questions=questions, json_path=out)),
        ("sentence choice", lambda: calibrate_answer.run(json_path=out, limit_questions=questions)),
        ("sentence choice by meaning", lambda: sentence_meaning.run(limit=questions, json_path=out)),
        ("refusal", lambda: calibrate_refusal.run(json_path=out, limit_questions=questions)),
        (
            "answers and refusals on XQuAD-vi and the news QA set",
            lambda: news_qa.main(
                ["--distractors", "1000"]
                + (
                    [
                        "--limit-xquad",
                        "20",
                        "--limit-news",
                        "20",
                        "--json",
                        str(Path(tempfile.gettempdir()) / "news-qa-quick.json"),
                    ]
                    if quick
                    else []
                )
            ),
        ),
        ("verification threshold", lambda: calibrate_verification.run(limit_questions=questions, json_path=out)),
        ("verification cost", lambda: print(verification.format_report(verification.run(200 if quick else 2000)))),
        (
            "speed",
            lambda: speed.run(
                [("n1000", retrieval.default_index_dir(1000, 600, 1, None))],
                build_docs=5 if quick else 200,
                json_path=out,
                limit_questions=questions,
                scale_docs=None if quick else 9994,
            ),
        ),
        (
            "index stores: Milvus Lite and FAISS",
            lambda: stores.run(
                retrieval.default_index_dir(1000, 600, 1, None) if quick else speed.scale_index(9994)[0],
                limit_questions=questions or 300,
                json_path=out,
            ),
        ),
        (
            "approximate search",
            lambda: ann.run(
                sizes=(3_000, 25_000) if quick else ann.DEFAULT_SIZES, questions=20 if quick else 200, json_path=out
            ),
        ),
        ("start-up", lambda: startup.run(runs=1 if quick else 3, json_path=out)),
        ("OCR of scanned pages", lambda: ocr.run(4 if quick else 100, passages=6 if quick else 100, json_path=out)),
        ("answers from PDFs", lambda: pdf_answers.run(3 if quick else None, json_path=out)),
        ("embedding engines", lambda: embedders.run(16, 1, 64, 20, json_path=False) if quick else embedders.run()),
    ]
    if large:
        steps.append(
            ("retrieval, all 9,994 distractors", lambda: retrieval.run(9994, json_path=out, limit_questions=questions))
        )
    seconds = {}
    for name, step in steps:
        print(f"\n=== {name} ===", flush=True)
        t0 = time.perf_counter()
        step()
        seconds[name] = round(time.perf_counter() - t0, 1)
    print("\n=== time per benchmark ===")
    for name, s in seconds.items():
        print(f"{name:<36} {s:>8.1f} s")
    return seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few questions each, nothing written")
    ap.add_argument("--large", action="store_true", help="also the 9,994-distractor retrieval run")
    args = ap.parse_args(argv)
    run(args.quick, args.large)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
