"""Answers from PDFs with a text layer against answers from the same text: does reading a PDF lose anything?

The news QA set's articles (benchmarks/data/news_qa/, the ones its accented answerable questions without
history are about) are written three times: as UTF-8 text files, a paragraph per line; as PDFs with a text
layer the way a word processor prints them — DejaVu Sans 10 pt, each paragraph broken into lines at the
margin by the font's real widths (reportlab's simpleSplit), A4 pages; and as text files wrapped at 80
columns (what pdftotext or an e-mail gives). Each form is indexed on its own with the product's defaults,
and every question is asked of each:

- answer ∋ gold: the answer holds the gold answer (not refused);
- first citation gold: the first citation is the question's article;
- ratio: PDF / text and wrapped / text. Target: ≥ 0.97 × text.

    .venv/bin/python benchmarks/pdf_answers.py              # all 175 articles, 333 questions (~5 min)
    .venv/bin/python benchmarks/pdf_answers.py --limit 20   # the questions of 20 articles
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import textwrap
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import news_qa  # noqa: E402
    from common import DATA_DIR, contains_answer, git_commit, make_config, publish, read_jsonl  # noqa: E402
else:
    from . import news_qa
    from .common import DATA_DIR, contains_answer, git_commit, make_config, publish, read_jsonl

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_SIZE, LEADING, MARGIN = 10, 13, 56  # points; A4 is 595 x 842
COLUMNS = 80  # the wrapped text files' width


def questions_and_articles(limit: int | None) -> tuple[list[dict], dict[str, dict]]:
    """Accented answerable questions without history, and the articles they are about (the first `limit`
    articles by id)."""
    questions = [
        q
        for q in news_qa.load_set()
        if q["answerable"] and q.get("lang") == "vi" and not q.get("history") and news_qa.has_diacritics(q["question"])
    ]
    wanted = sorted({q["doc_id"] for q in questions})[:limit]
    articles = {d["id"]: d for d in read_jsonl(DATA_DIR / "vntc_news.docs.jsonl") if d["id"] in set(wanted)}
    return [q for q in questions if q["doc_id"] in articles], articles


def write_pdf(path: Path, text: str) -> None:
    """`text` printed on A4 pages, each paragraph wrapped at the margin by the font's widths."""
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", FONT))
    page = canvas.Canvas(str(path), pagesize=(595, 842))
    page.setFont("DejaVu", FONT_SIZE)
    y = 842 - MARGIN
    for paragraph in text.split("\n"):
        for line in simpleSplit(paragraph, "DejaVu", FONT_SIZE, 595 - 2 * MARGIN) or [""]:
            if y < MARGIN:
                page.showPage()
                page.setFont("DejaVu", FONT_SIZE)
                y = 842 - MARGIN
            page.drawString(MARGIN, y, line)
            y -= LEADING
    page.save()


def ask_all(index_dir: Path, files: Path, questions: list[dict]) -> dict:
    from assistant import Assistant

    assistant = Assistant(index_dir=index_dir, config=make_config(), open_now=False)
    t0 = time.perf_counter()
    assistant.index([files])
    seconds = time.perf_counter() - t0
    right = first = 0
    for q in questions:
        answer = assistant.ask(q["question"])
        right += not answer.refused and contains_answer(answer.text, q["answers"])
        first += bool(answer.citations) and Path(answer.citations[0].doc_id).stem == q["doc_id"]
    n = len(questions)
    return {
        "answer_has_gold": round(right / n, 4),
        "first_citation_gold": round(first / n, 4),
        "index_s": round(seconds, 1),
    }


def run(limit: int | None = None, json_path=None, quiet: bool = False) -> dict:
    questions, articles = questions_and_articles(limit)
    with tempfile.TemporaryDirectory(prefix="pdf-answers-") as tmp:
        folders = {form: Path(tmp) / form for form in ("text", "pdf", "wrapped")}
        for folder in folders.values():
            folder.mkdir()
        for doc_id, article in articles.items():
            (folders["text"] / f"{doc_id}.txt").write_text(article["text"], encoding="utf-8")
            write_pdf(folders["pdf"] / f"{doc_id}.pdf", article["text"])
            wrapped = [line for p in article["text"].split("\n") for line in textwrap.wrap(p, COLUMNS) or [""]]
            (folders["wrapped"] / f"{doc_id}.txt").write_text("\n".join(wrapped), encoding="utf-8")
        forms = {form: ask_all(Path(tmp) / f"index-{form}", folder, questions) for form, folder in folders.items()}
    result = {
        "date": dt.datetime.now().isoformat(timespec="minutes"),
        "commit": git_commit(),
        "articles": len(articles),
        "questions": len(questions),
        "forms": forms,
        "ratio": round(forms["pdf"]["answer_has_gold"] / max(forms["text"]["answer_has_gold"], 1e-9), 3),
        "ratio_wrapped": round(forms["wrapped"]["answer_has_gold"] / max(forms["text"]["answer_has_gold"], 1e-9), 3),
    }
    suffix = f"-limit{limit}" if limit else ""
    return publish(result, json_path, f"pdf-answers{suffix}.json", quiet, format_report)


def format_report(r: dict) -> str:
    lines = [
        f"{r['articles']} news articles as text, as PDFs with a text layer and wrapped at {COLUMNS} columns, "
        f"{r['questions']} questions "
        f"(commit {r['commit']}, {r['date']})",
        f"{'form':<8} {'∋ gold':>8} {'1st cit.':>9} {'index s':>8}",
        "-" * 36,
    ]
    for form, f in r["forms"].items():
        lines.append(f"{form:<8} {f['answer_has_gold']:>8.3f} {f['first_citation_gold']:>9.3f} {f['index_s']:>8.1f}")
    for name, ratio in (("PDF / text", r["ratio"]), ("wrapped / text", r["ratio_wrapped"])):
        met = "met" if ratio >= 0.97 else "not met"
        lines.append(f"{name}, answer ∋ gold: {ratio:.3f} × (target ≥ 0.97 ×: {met})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="only the questions of this many articles")
    ap.add_argument("--json", help="where to write the result (default benchmarks/results/pdf-answers.json)")
    args = ap.parse_args(argv)
    run(args.limit, json_path=args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
