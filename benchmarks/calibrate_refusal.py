"""Calibrate the extractive answerer's refusal threshold on data anyone can rerun.

A fixed random half of the XQuAD-vi article titles is indexed (plus VNTC distractors); questions
about those articles are answerable, questions about the other half are not. Every question is
asked once with refusal disabled (`refusal_threshold = -1`) and `dense_confidence_weight = 0`, which
makes `Answer.confidence` the sentence coverage; the dense score of the top passage is recorded too,
and `ExtractiveAnswerer.confidence` recombines them for each weight of the grid.

Articles (not questions) are split in two halves, A and B, each with answerable and unanswerable
articles: the weight and threshold maximising the F1 of refusal (positive class = refuse) are chosen
on A and reported on B, then the other way round. Stripped questions (no diacritics) are
calibrated on their own (the product has `refusal_threshold_unaccented`).

    .venv/bin/python benchmarks/calibrate_refusal.py                 # 1000 distractors, as retrieval.py
    .venv/bin/python benchmarks/calibrate_refusal.py --distractors 0 --limit-questions 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import (CACHE_DIR, RESULTS_DIR, CachingEmbedder, add_fusion_args, as_records, build_index, contains_answer,  # noqa: E402
                        fusion_of, fusion_tag, git_commit, load_distractors, load_passages, load_questions, make_config, write_json)
else:
    from .common import (CACHE_DIR, RESULTS_DIR, CachingEmbedder, add_fusion_args, as_records, build_index, contains_answer,
                         fusion_of, fusion_tag, git_commit, load_distractors, load_passages, load_questions, make_config, write_json)

from assistant.text import clean_question, fold  # noqa: E402

SEED = 13
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
THRESHOLDS = [round(i * 0.01, 2) for i in range(0, 101)]
FORMS = ("accented", "stripped")


def split_titles(titles: list[str], seed: int = SEED) -> dict[str, str]:
    """title -> "<indexed|removed>/<A|B>": half the articles indexed, and each half split for calibration."""
    order = sorted(titles)
    random.Random(seed).shuffle(order)
    half = len(order) // 2
    groups = {}
    for kind, part in (("indexed", order[:half]), ("removed", order[half:])):
        for i, title in enumerate(part):
            groups[title] = f"{kind}/{'A' if i < (len(part) + 1) // 2 else 'B'}"
    return groups


def collect(assistant, questions: list[dict], progress: bool = True) -> list[dict]:
    """One row per question and form: coverage, dense score of the top passage, forced refusal, correctness."""
    from tqdm import tqdm

    loaded = assistant._current()
    loaded.retriever.embedder = CachingEmbedder(loaded.retriever.embedder)
    cfg = assistant.config.answer
    for name in vars(cfg):  # refusal_threshold, and refusal_threshold_unaccented where the product has it
        if name.startswith("refusal_threshold"):
            setattr(cfg, name, -1.0)
    cfg.dense_confidence_weight = 0.0
    rows = []
    for q in tqdm(questions, desc="questions", unit="q", disable=not progress, mininterval=5, file=sys.stderr):
        text = clean_question(q["question"])
        for form, asked in (("accented", text), ("stripped", fold(text))):
            answer = assistant.ask(asked)
            top = answer.passages[0] if answer.passages else None
            rows.append({
                "id": q["id"], "form": form, "answerable": q["answerable"], "half": q["half"],
                "coverage": answer.confidence,  # = coverage, since dense_confidence_weight = 0
                "dense": top.dense_score if top else 0.0,
                "forced_refusal": answer.refused,  # no content terms or no candidates: refused at any threshold
                "gold_retrieved": bool(top) and top.doc_id == q["passage_id"],
                "correct": (not answer.refused) and contains_answer(answer.text, q["answers"]),
            })
    return rows


def confidences(assistant, rows: list[dict], weight: float) -> list[float]:
    """The product's own combination (ExtractiveAnswerer.confidence) at `weight`."""
    answerer = assistant._current().answerer
    saved = answerer.config.dense_confidence_weight
    answerer.config.dense_confidence_weight = weight
    try:
        return [float("-inf") if r["forced_refusal"] else
                answerer.confidence(r["coverage"], r["dense"]) for r in rows]
    finally:
        answerer.config.dense_confidence_weight = saved


def scores(rows: list[dict], conf: list[float], threshold: float) -> dict:
    """Refusal is the positive class: refused = confidence below threshold (as the answerer does)."""
    tp = fp = fn = tn = 0
    correct = 0
    for r, c in zip(rows, conf):
        refuse = c < threshold
        if refuse and not r["answerable"]:
            tp += 1
        elif refuse:
            fp += 1
        elif not r["answerable"]:
            fn += 1
        else:
            tn += 1
            correct += r["correct"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    answerable = tn + fp
    return {"threshold": threshold, "f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4),
            "answered_of_answerable": round(tn / answerable, 4) if answerable else 0.0,
            "correct_of_answerable": round(correct / answerable, 4) if answerable else 0.0,
            "n": len(rows), "n_unanswerable": tp + fn}


def calibrate(assistant, rows: list[dict], weights=WEIGHTS) -> dict:
    """Best (weight, threshold) on one half, scored on the other; both directions."""
    folds = {}
    for fit, test in (("A", "B"), ("B", "A")):
        fit_rows = [r for r in rows if r["half"] == fit]
        test_rows = [r for r in rows if r["half"] == test]
        best = None
        for w in weights:
            conf = confidences(assistant, fit_rows, w)
            for t in THRESHOLDS:
                s = scores(fit_rows, conf, t)
                key = (s["f1"], s["answered_of_answerable"], -abs(w - 0.5))
                if best is None or key > best[0]:
                    best = (key, w, t, s)
        _, w, t, fit_scores = best
        held = scores(test_rows, confidences(assistant, test_rows, w), t)
        folds[f"fit_{fit}_test_{test}"] = {"dense_confidence_weight": w, "refusal_threshold": t,
                                           "fit": fit_scores, "held_out": held}
    return folds


def evaluate_fixed(assistant, rows: list[dict], weight: float, threshold: float) -> dict:
    return scores(rows, confidences(assistant, rows, weight), threshold)


def weight_table(assistant, rows: list[dict]) -> list[dict]:
    """Best F1 over thresholds for each weight, on all rows (accented): how much the dense score helps."""
    out = []
    for w in WEIGHTS:
        conf = confidences(assistant, rows, w)
        best = max((scores(rows, conf, t) for t in THRESHOLDS), key=lambda s: (s["f1"], s["answered_of_answerable"]))
        out.append({"dense_confidence_weight": w, **best})
    return out


def run(distractors: int = 1000, index_dir: str | Path | None = None, json_path: str | Path | None = None,
        limit_questions: int | None = None, seed: int = SEED, progress: bool = True, quiet: bool = False,
        fusion: dict | None = None) -> dict:
    """`fusion`: retrieval settings to calibrate under (dense_weight, lexical_weight, rrf_k on the config;
    unaccented_dense_weight patches assistant.retrieval.UNACCENTED_DENSE_WEIGHT for this run)."""
    import assistant.retrieval as product_retrieval

    fusion = {k: v for k, v in (fusion or {}).items() if v is not None}
    saved = product_retrieval.UNACCENTED_DENSE_WEIGHT
    try:
        if "unaccented_dense_weight" in fusion:
            product_retrieval.UNACCENTED_DENSE_WEIGHT = fusion["unaccented_dense_weight"]
        return _run(distractors, index_dir, json_path, limit_questions, seed, progress, quiet, fusion)
    finally:
        product_retrieval.UNACCENTED_DENSE_WEIGHT = saved


def _run(distractors, index_dir, json_path, limit_questions, seed, progress, quiet, fusion) -> dict:
    import assistant.retrieval as product_retrieval

    config = make_config(**{f"retrieval__{k}": v for k, v in fusion.items() if k != "unaccented_dense_weight"})
    size, ov = config.chunking.size, config.chunking.overlap
    passages = load_passages()
    groups = split_titles(sorted({p["title"] for p in passages}), seed)
    indexed = [p for p in passages if groups[p["title"]].startswith("indexed")]
    records = as_records(indexed, load_distractors(distractors))
    target = Path(index_dir) if index_dir else CACHE_DIR / f"refusal-n{distractors}-c{size}-o{ov}-s{seed}"
    assistant, report, build_seconds = build_index(target, records, config)  # vectors reused from retrieval.py's index

    title_of = {p["id"]: p["title"] for p in passages}
    questions = []
    for q in load_questions():
        kind, half = groups[title_of[q["passage_id"]]].split("/")
        questions.append({**q, "answerable": kind == "indexed", "half": half})
    if limit_questions and limit_questions < len(questions):
        keep = set(random.Random(0).sample(range(len(questions)), limit_questions))
        questions = [q for i, q in enumerate(questions) if i in keep]

    answer_cfg = config.answer  # the product's settings, before collect() disables refusal
    default_w = answer_cfg.dense_confidence_weight
    default_t = {"accented": answer_cfg.refusal_threshold,
                 "stripped": getattr(answer_cfg, "refusal_threshold_unaccented", answer_cfg.refusal_threshold)}
    t0 = time.perf_counter()
    rows = collect(assistant, questions, progress)
    collect_seconds = time.perf_counter() - t0
    result = {
        "benchmark": "calibrate_refusal",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "product_commit": git_commit(), "seed": seed,
        "fusion": {"dense_weight": config.retrieval.dense_weight, "lexical_weight": config.retrieval.lexical_weight,
                   "fusion": config.retrieval.fusion, "bigram_weight": config.retrieval.bigram_weight,
                   "rrf_k": config.retrieval.rrf_k, "unaccented_dense_weight": product_retrieval.UNACCENTED_DENSE_WEIGHT}, "distractors": distractors, "chunking": {"size": size, "overlap": ov},
        "articles_indexed": sorted(t for t, g in groups.items() if g.startswith("indexed")),
        "passages_indexed": len(indexed), "chunks": report.chunks,
        "questions": len(questions), "answerable": sum(q["answerable"] for q in questions),
        "timing": {"index_build_seconds": round(build_seconds, 2), "chunks_embedded": report.embedded,
                   "collect_seconds": round(collect_seconds, 2)},
    }
    for form in FORMS:
        form_rows = [r for r in rows if r["form"] == form]
        folds = calibrate(assistant, form_rows, WEIGHTS)
        result[form] = {
            "folds": folds,
            "gold_top1_retrieved_answerable": round(
                sum(r["gold_retrieved"] for r in form_rows if r["answerable"]) / max(1, sum(r["answerable"] for r in form_rows)), 4),
            "current_defaults": {"dense_confidence_weight": default_w, "refusal_threshold": default_t[form],
                                 **evaluate_fixed(assistant, form_rows, default_w, default_t[form])},
            "best_f1_by_weight_all": weight_table(assistant, form_rows),
        }
    # One threshold serves both forms in the product: fit it on all rows of half A+B jointly, per weight.
    fit = _recommend(assistant, rows, result)
    result["recommended"] = fit
    write_json(CACHE_DIR / f"refusal-rows-n{distractors}-s{seed}.json", {"rows": rows})  # for re-analysis
    result["_rows"] = rows
    if not quiet:
        print(format_report(result))
    if json_path is not False:
        tag = fusion_tag(fusion)
        path = Path(json_path) if json_path else RESULTS_DIR / f"refusal{tag}.json"
        write_json(path, {k: v for k, v in result.items() if not k.startswith("_")})
        if not quiet:
            print(f"\nwrote {path}")
    return result


def _recommend(assistant, rows: list[dict], result: dict) -> dict:
    """The weight comes from the accented folds (the mean of their choices, snapped to the grid). Then
    both ways the product may work: one threshold for both forms (maximising F1 over accented and
    stripped questions together), and separate thresholds (`refusal_threshold_unaccented`), each
    maximising F1 on its own form; all on all articles, each form reported at each setting."""
    acc = result["accented"]["folds"]
    w_mean = sum(f["dense_confidence_weight"] for f in acc.values()) / len(acc)
    w = min(WEIGHTS, key=lambda x: abs(x - w_mean))
    best = lambda rs: max((scores(rs, confidences(assistant, rs, w), t) for t in THRESHOLDS),  # noqa: E731
                          key=lambda s: (s["f1"], s["answered_of_answerable"]))
    joint = best(rows)
    out = {"dense_confidence_weight": w, "single_threshold": joint["threshold"], "joint_all": joint}
    for form in FORMS:
        form_rows = [r for r in rows if r["form"] == form]
        out[form] = scores(form_rows, confidences(assistant, form_rows, w), joint["threshold"])
        out[f"{form}_only_threshold"] = best(form_rows)
    separate = hasattr(assistant.config.answer, "refusal_threshold_unaccented")
    out["product_has_unaccented_threshold"] = separate
    out["refusal_threshold"] = out["accented_only_threshold"]["threshold"] if separate else joint["threshold"]
    out["refusal_threshold_unaccented"] = out["stripped_only_threshold"]["threshold"] if separate else None
    return out


def _row(label: str, s: dict, w="", t="") -> str:
    return (f"| {label} | {w} | {t if t != '' else s['threshold']} | {s['f1']:.3f} | {s['precision']:.3f} | "
            f"{s['recall']:.3f} | {s['answered_of_answerable']:.3f} | {s['correct_of_answerable']:.3f} |")


def format_report(r: dict) -> str:
    out = [f"## Refusal calibration: {r['passages_indexed']} passages of {len(r['articles_indexed'])} articles "
           f"indexed + {r['distractors']} distractors ({r['chunks']} chunks); {r['questions']} questions, "
           f"{r['answerable']} answerable; seed {r['seed']}", "",
           "| setting (held-out unless noted) | dense_confidence_weight | refusal_threshold | F1(refuse) | precision "
           "| recall | answered/answerable | correct/answerable |", "|---|---|---|---|---|---|---|---|"]
    for form in FORMS:
        for name, fold_ in r[form]["folds"].items():
            out.append(_row(f"{form}: {name}", fold_["held_out"], fold_["dense_confidence_weight"],
                            fold_["refusal_threshold"]))
        d = r[form]["current_defaults"]
        out.append(_row(f"{form}: product config now (all)", d, d["dense_confidence_weight"], d["refusal_threshold"]))
    rec = r["recommended"]
    for form in FORMS:
        out.append(_row(f"{form}: one threshold for both forms (all)", rec[form], rec["dense_confidence_weight"],
                        rec["single_threshold"]))
        s = rec[f"{form}_only_threshold"]
        out.append(_row(f"{form}: threshold for this form alone (all)", s, rec["dense_confidence_weight"]))
    for form in FORMS:
        out += ["", f"Best F1 by dense_confidence_weight ({form}, all questions, best threshold each):", "",
                "| weight | threshold | F1 | precision | recall | answered/answerable |", "|---|---|---|---|---|---|"]
        for s in r[form]["best_f1_by_weight_all"]:
            out.append(f"| {s['dense_confidence_weight']} | {s['threshold']} | {s['f1']:.3f} | {s['precision']:.3f} | "
                       f"{s['recall']:.3f} | {s['answered_of_answerable']:.3f} |")
    out += ["", "Recommended (assistant.toml):", "", "[answer]",
            f"refusal_threshold = {rec['refusal_threshold']}",
            *([f"refusal_threshold_unaccented = {rec['refusal_threshold_unaccented']}"]
              if rec["product_has_unaccented_threshold"] else []),
            f"dense_confidence_weight = {rec['dense_confidence_weight']}"]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distractors", type=int, default=1000, help="VNTC documents added (default 1000)")
    parser.add_argument("--index-dir", help="index folder (default benchmarks/.cache/refusal-...)")
    parser.add_argument("--json", help="result file (default benchmarks/results/refusal.json)")
    parser.add_argument("--limit-questions", type=int, help="a fixed random subset of M questions")
    parser.add_argument("--seed", type=int, default=SEED, help="which half of the articles is indexed")
    add_fusion_args(parser)
    args = parser.parse_args(argv)
    fusion = fusion_of(args)
    run(args.distractors, args.index_dir, args.json, args.limit_questions, args.seed, fusion=fusion)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
