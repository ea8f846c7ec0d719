"""Long documents: does an article of 2,000+ characters rank as well for what it contains as a short one?

XQuAD-vi's passages are short (median 718 characters). Here each article's passages are joined, three
at a time and in order, into long documents (median ~2,200 characters, like a news article), hidden
among the same VNTC distractors as benchmarks/retrieval.py. A question's gold document is then the
long document holding its passage. For each question the R@1 of its long document is compared with
the R@1 of its own short passage in retrieval.py's index, split by where in the long document the
passage sits (first, second or third part: a chunker or pooling that favours openings shows there).

Chunk scores pool into a document's rank in three ways, all measured: `max` (the document ranks by
its best chunk, as the product's passage list does), `sum2` (its two best chunks) and `sum` (all its
retrieved chunks).

    .venv/bin/python benchmarks/long_documents.py                      # 1000 distractors, 600/1 chunks
    .venv/bin/python benchmarks/long_documents.py --chunk-size 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import (  # noqa: E402
        CACHE_DIR,
        as_records,
        build_index,
        git_commit,
        load_distractors,
        load_passages,
        load_questions,
        make_config,
        publish,
    )
    from retrieval import Probe, default_index_dir, question_forms  # noqa: E402
else:
    from .common import (
        CACHE_DIR,
        as_records,
        build_index,
        git_commit,
        load_distractors,
        load_passages,
        load_questions,
        make_config,
        publish,
    )
    from .retrieval import Probe, default_index_dir, question_forms

PARTS = 3  # passages per long document
POOLINGS = ("max", "sum2", "sum")
LONG_CHARS = 2000


def long_documents(passages: list[dict], parts: int = PARTS) -> tuple[list[dict], dict[str, tuple[str, int]]]:
    """Consecutive passages of one article joined into documents; passage id -> (document id, part)."""
    by_title: dict[str, list[dict]] = {}
    for p in passages:
        by_title.setdefault(p["title"], []).append(p)
    docs, where = [], {}
    for title, group in by_title.items():
        for start in range(0, len(group), parts):
            chunk = group[start : start + parts]
            doc_id = f"long-{chunk[0]['id']}"
            docs.append({"id": doc_id, "title": title, "text": "\n\n".join(p["text"] for p in chunk)})
            for part, p in enumerate(chunk, 1):
                where[p["id"]] = (doc_id, part)
    return docs, where


def pooled_ranking(passages, pooling: str, depth: int = 10) -> list[str]:
    """Documents ranked by their chunks' fused scores: best chunk, two best, or all retrieved."""
    per_doc: dict[str, list[float]] = {}
    for p in passages:
        per_doc.setdefault(p.doc_id, []).append(p.score)
    take = {"max": 1, "sum2": 2, "sum": None}[pooling]
    score = {d: sum(sorted(s, reverse=True)[:take]) for d, s in per_doc.items()}
    return sorted(score, key=score.get, reverse=True)[:depth]


def _rank(gold: str, docs: list[str]) -> int:
    return docs.index(gold) + 1 if gold in docs else 0


def run(
    distractors: int = 1000,
    chunk_size: int | None = None,
    overlap: int | None = None,
    limit_questions: int | None = None,
    passages_limit: int | None = None,
    index_dir=None,
    short_index_dir=None,
    json_path=None,
    quiet: bool = False,
) -> dict:
    config = make_config(chunk_size, overlap)
    size, ov = config.chunking.size, config.chunking.overlap
    passages = load_passages()
    if passages_limit:
        passages = passages[:passages_limit]
    docs, where = long_documents(passages)
    distractor_docs = load_distractors(distractors)
    suffix = f"-p{passages_limit}" if passages_limit else ""
    long_dir = Path(index_dir) if index_dir else CACHE_DIR / f"long-n{distractors}-c{size}-o{ov}{suffix}"
    short_dir = Path(short_index_dir) if short_index_dir else default_index_dir(distractors, size, ov, passages_limit)
    long_assistant, long_report, _ = build_index(long_dir, as_records([], distractor_docs) + docs, config)
    short_assistant, _, _ = build_index(short_dir, as_records(passages, distractor_docs), config)
    questions = [q for q in load_questions() if q["passage_id"] in where]
    if limit_questions:
        questions = questions[:limit_questions]

    long_probe, short_probe = Probe(long_assistant), Probe(short_assistant)
    n_chunks = len(long_probe.store.chunks)
    chars = {d["id"]: len(d["text"]) for d in docs}
    rows = []
    for q in questions:
        doc_id, part = where[q["passage_id"]]
        for form, text in question_forms(q).items():
            fused = long_probe.retriever.search(text, k=n_chunks)
            row = {
                "form": form,
                "part": part,
                "long": chars[doc_id] >= LONG_CHARS,
                "short": short_probe.hybrid(text)[:1] == [q["passage_id"]],
            }
            for pooling in POOLINGS:
                row[pooling] = _rank(doc_id, pooled_ranking(fused, pooling)) == 1
            rows.append(row)

    lengths = [len(d["text"]) for d in docs]
    table = []
    for form in ("accented", "stripped"):
        for part in [None, *range(1, PARTS + 1), "long"]:
            sub = [
                r
                for r in rows
                if r["form"] == form and (part is None or r["part"] == part or (part == "long" and r["long"]))
            ]
            if not sub:
                continue
            label = {None: "all", "long": f"documents ≥ {LONG_CHARS:,} characters"}.get(part, part)
            line = {
                "form": form,
                "part": label,
                "questions": len(sub),
                "short_R@1": sum(r["short"] for r in sub) / len(sub),
            }
            line.update({f"long_{p}_R@1": sum(r[p] for r in sub) / len(sub) for p in POOLINGS})
            table.append(line)
    result = {
        "benchmark": "long_documents",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "product_commit": git_commit(),
        "distractors": distractors,
        "chunking": {"size": size, "overlap": ov},
        "long_documents": len(docs),
        "median_long_chars": statistics.median(lengths),
        "long_share_2000_plus": sum(n >= LONG_CHARS for n in lengths) / len(lengths),
        "chunks": long_report.chunks,
        "questions": len(questions),
        "table": table,
    }
    return publish(result, json_path, f"long-documents-c{size}-o{ov}.json", quiet, format_report)


def format_report(r: dict) -> str:
    out = [
        f"## Long documents: {r['long_documents']} documents of {PARTS} XQuAD-vi passages (median "
        f"{r['median_long_chars']:.0f} characters, {r['long_share_2000_plus']:.0%} ≥ 2,000) + {r['distractors']} "
        f"VNTC distractors; chunks {r['chunking']['size']}/{r['chunking']['overlap']}; {r['questions']} questions",
        "",
        "| questions | part | n | short passage R@1 | long: max | long: sum of 2 best | long: sum |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in r["table"]:
        out.append(
            f"| {t['form']} | {t['part']} | {t['questions']} | {t['short_R@1']:.3f} | {t['long_max_R@1']:.3f} | "
            f"{t['long_sum2_R@1']:.3f} | {t['long_sum_R@1']:.3f} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--distractors", type=int, default=1000)
    ap.add_argument("--chunk-size", type=int)
    ap.add_argument("--overlap", type=int)
    ap.add_argument("--limit-questions", type=int)
    ap.add_argument("--json", default=None, help="where to write the JSON ('' to skip)")
    args = ap.parse_args(argv)
    run(
        args.distractors,
        args.chunk_size,
        args.overlap,
        args.limit_questions,
        json_path=False if args.json == "" else args.json,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
