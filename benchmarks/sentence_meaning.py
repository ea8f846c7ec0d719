"""Would the embedding model choose the quoted sentence better than the ranker? For every answerable
question asked with diacritics and without history (news QA dev split, where fitting is allowed, and
XQuAD-vi), the top sentences the ranker offers are embedded with the question, and the sentence chosen by
the ranker's score plus `w` times the meaning similarity is checked for the gold answer, for a range of
`w` (`w=inf`: similarity alone). The answerer embeds sentences only for English questions, where no word
is shared; this measures whether Vietnamese questions would gain from it too (several embeddings per
question, against `ask()`'s goal of at most two question embeddings).

    .venv/bin/python benchmarks/sentence_meaning.py              # 1,000 distractors, ~4 min with cached indexes
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import RESULTS_DIR, contains_answer, load_passages, make_config, write_json  # noqa: E402
else:
    from .common import RESULTS_DIR, contains_answer, load_passages, make_config, write_json

WEIGHTS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, math.inf)


def sentence_rows(assistant, questions: list[dict], top: int) -> list[dict]:
    """For each question: its top sentences' ranker scores, meaning similarities and whether each holds
    the gold answer."""
    loaded = assistant._current()
    answerer, retriever = loaded.answerer, loaded.retriever
    embedder = retriever.embedder
    rows = []
    for q in questions:
        ranked = answerer.rank(q["question"], retriever.search(q["question"]))[:top]
        if not ranked:
            continue
        vector = np.asarray(embedder.embed_queries([retriever.query(q["question"]).dense_text])[0], dtype=np.float32)
        sentences = np.asarray(embedder.embed_passages([c.text for c in ranked]), dtype=np.float32)
        rows.append(
            {
                "scores": [c.score for c in ranked],
                "similarities": (sentences @ vector).tolist(),
                "gold": [contains_answer(c.text, q["answers"]) for c in ranked],
            }
        )
    return rows


def chosen_holds_gold(rows: list[dict], weight: float) -> float:
    right = 0
    for r in rows:
        sims = np.asarray(r["similarities"])
        combined = sims if math.isinf(weight) else np.asarray(r["scores"]) + weight * sims
        right += r["gold"][int(np.argmax(combined))]
    return right / len(rows) if rows else 0.0


def run(distractors: int = 1000, top: int = 5, limit: int | None = None, json_path=None) -> dict:
    """`json_path=False` writes nothing (quick runs are not comparable)."""
    import news_qa
    from calibrate_refusal import half_index

    questions = news_qa.load_set()
    wanted = [
        q
        for q in questions
        if q["split"] == "dev" and q["answerable"] and news_qa.form_of(q) == "accented" and not q.get("history")
    ]
    sets = {"news dev": sentence_rows(news_qa.news_index(questions, distractors), wanted[:limit], top)}
    groups, _, (xquad, _, _) = half_index(make_config(), load_passages(), distractors)
    answerable = [q for q in news_qa.xquad_questions(groups, None) if q["answerable"]]
    sets["XQuAD-vi"] = sentence_rows(xquad, answerable[:limit], top)

    result = {}
    print(f"{'set':10} {'n':>5} {'any of top':>10} " + " ".join(f"{'w=' + str(w):>7}" for w in WEIGHTS))
    for name, rows in sets.items():
        ceiling = sum(any(r["gold"]) for r in rows) / len(rows)
        figures = {str(w): round(chosen_holds_gold(rows, w), 4) for w in WEIGHTS}
        result[name] = {"n": len(rows), "any_of_top": round(ceiling, 4), "chosen_holds_gold": figures}
        print(f"{name:10} {len(rows):>5} {ceiling:>10.3f} " + " ".join(f"{v:>7.3f}" for v in figures.values()))
    summary = {"distractors": distractors, "top": top, "sets": result}
    if json_path is not False:
        write_json(Path(json_path or RESULTS_DIR / "sentence-meaning.json"), summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distractors", type=int, default=1000)
    parser.add_argument("--top", type=int, default=5, help="sentences re-scored per question")
    parser.add_argument("--limit", type=int, default=None, help="questions per set")
    args = parser.parse_args(argv)
    run(args.distractors, args.top, args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
