"""Answers and refusals on two sets in one table: XQuAD-vi (translated Wikipedia, what the answerer was
first fitted on) and the news QA set (benchmarks/data/news_qa/, questions written by hand over VNTC news
articles, split by article into `dev` for fitting and inspection and `test` for the reported figures).

Each set is indexed with VNTC distractors (never the set's own articles). XQuAD's unanswerable questions
are those about the half of its articles calibrate_refusal.py leaves out of the index (off-topic); the
news set's are written unanswerable: about articles not indexed, and near misses about indexed ones.
Every question is asked once with refusal off (threshold 0), so one pass gives the answer, its citations
and the refusal signals; refusal at the fitted thresholds is then applied to the recorded confidence.
"span": of the answered questions whose quoted sentences hold the gold answer and whose type has its
answering words marked (a name, a number, a date, a title, a place), the share whose marked span and the
gold answer hold one another.

    .venv/bin/python benchmarks/news_qa.py                       # 1000 distractors, every question
    .venv/bin/python benchmarks/news_qa.py --distractors 200 --limit-xquad 400
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import (  # noqa: E402
        BENCH_DIR,
        CACHE_DIR,
        DATA_DIR,
        RESULTS_DIR,
        build_index,
        contains_answer,
        load_distractors,
        load_passages,
        load_questions,
        make_config,
        read_jsonl,
        write_json,
    )
else:
    from .common import (
        BENCH_DIR,
        CACHE_DIR,
        DATA_DIR,
        RESULTS_DIR,
        build_index,
        contains_answer,
        load_distractors,
        load_passages,
        load_questions,
        make_config,
        read_jsonl,
        write_json,
    )

from assistant.answering import refusal  # noqa: E402
from assistant.answering.models import Models, load  # noqa: E402
from assistant.answering.models import read as read_model
from assistant.answering.models import write as write_model
from assistant.text import clean_question, fold, has_diacritics  # noqa: E402

SET_DIR = BENCH_DIR / "data" / "news_qa"
FORMS = ("accented", "unaccented", "english", "stripped")
# answer types whose answering words are marked (Answer.short, bold in the web chat)
SPAN_TYPES = ("person", "organization", "name", "role", "number", "date", "place")


def span_matches(short: str, answers: list[str]) -> bool:
    """Whether the marked span and a gold answer hold one another ("Nguyễn Mạnh Hùng" / "ông Nguyễn Mạnh
    Hùng"), case, diacritics-free typing and end punctuation aside."""
    span = fold(short.lower()).strip(' .,;:"“”')
    golds = [fold(a.lower()).strip(' .,;:"“”') for a in answers]
    return bool(span) and any(g and (span in g or g in span) for g in golds)


TARGETS = {"refusal_f1": 0.90, "answered": 0.90, "answer_has_gold": 0.85, "first_citation_gold": 0.90}


def split_of(doc_id: str) -> str:
    """`dev` or `test`, by article: a question's split is its article's, so no article is in both."""
    return "dev" if int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def load_set(folder: Path = SET_DIR) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        for r in read_jsonl(path):
            r["split"] = split_of(r["doc_id"])
            r["answers"] = [r["answer"]] if r["answerable"] else []
            rows.append(r)
    return rows


def form_of(q: dict) -> str:
    return "english" if q.get("lang") == "en" else "accented" if q.get("diacritics", True) else "unaccented"


def news_records(questions: list[dict], distractors: int) -> list[dict]:
    """The set's indexed articles (all but the `not_indexed` ones) and `distractors` other VNTC articles."""
    docs = {d["id"]: d for d in read_jsonl(Path(DATA_DIR) / "vntc_news.docs.jsonl")}
    used = {q["doc_id"] for q in questions}
    indexed = sorted({q["doc_id"] for q in questions if q["unanswerable_kind"] != "not_indexed"})
    not_indexed = used - set(indexed)
    assert not (not_indexed & set(indexed)), "an article is both indexed and not indexed"
    extra = [d for d in load_distractors(distractors + len(used)) if d["id"] not in used][:distractors]
    return [{"id": i, "title": docs[i].get("title") or "", "text": docs[i]["text"]} for i in indexed] + [
        {"id": d["id"], "title": d.get("title") or "", "text": d["text"]} for d in extra
    ]


def news_index(questions: list[dict], distractors: int, index_dir: Path | None = None):
    """The assistant over the news set's index (cached under benchmarks/.cache)."""
    config = make_config()
    target = index_dir or CACHE_DIR / f"news-qa-n{distractors}-c{config.chunking.size}-o{config.chunking.overlap}"
    return build_index(target, news_records(questions, distractors), config)[0]


def ask_rows(assistant, questions: list[dict], set_name: str, progress: bool = True) -> list[dict]:
    """One row per question and form, asked with refusal off."""
    from tqdm import tqdm

    cfg = assistant.config.answer
    cfg.refusal_threshold = cfg.refusal_threshold_unaccented = 0.0
    models = assistant._current().answerer.models
    models_thresholds = dict(models.thresholds)
    models.thresholds.update({k: 0.0 for k in models.thresholds})  # answer everything; refusal applied later
    rows = []
    try:
        for q in tqdm(questions, desc=set_name, unit="q", disable=not progress, mininterval=10, file=sys.stderr):
            forms = {form_of(q): q["question"]}
            if form_of(q) == "accented":
                forms["stripped"] = fold(clean_question(q["question"]))
            history = [tuple(t) for t in q.get("history") or []]
            for form, text in forms.items():
                answer = assistant.ask(text, history=history)
                short = answer.short.text if answer.short else ""
                gold_doc = q["doc_id"]
                rows.append(
                    {
                        "id": q["id"],
                        "set": set_name,
                        "split": q.get("split", "all"),
                        "form": form,
                        "answerable": q["answerable"],
                        "kind": q.get("unanswerable_kind", ""),
                        "type": answer.answer_type,
                        "follow_up": bool(history),
                        "signals": answer.signals,
                        "confidence": answer.confidence,
                        "model_key": model_key(answer),
                        "forced_refusal": answer.refused,
                        "correct": (not answer.refused) and contains_answer(answer.text, q["answers"]),
                        "first_gold": bool(answer.citations) and answer.citations[0].doc_id == gold_doc,
                        "short": short,
                        "short_gold": span_matches(short, q["answers"]),
                    }
                )
    finally:
        models.thresholds.update(models_thresholds)
    return rows


def model_key(answer) -> str:
    """Which refusal model and threshold the answerer used (refusal.model_key)."""
    if "similarity" in answer.signals:
        return "crosslingual"
    return "accented" if has_diacritics(answer.question or "") else "unaccented"


def xquad_questions(groups: dict, limit: int | None) -> list[dict]:
    import random

    questions = load_questions()
    if limit:
        questions = random.Random(0).sample(questions, min(limit, len(questions)))
    out = []
    for q in questions:
        indexed = groups[q["title"]].startswith("indexed")
        out.append(
            {
                "id": q["id"],
                "question": q["question"],
                "answers": q["answers"] if indexed else [],
                "answerable": indexed,
                "unanswerable_kind": "" if indexed else "not_indexed",
                "doc_id": q["passage_id"],
                "split": "all",
                "lang": "vi",
                "diacritics": True,
            }
        )
    return out


def refused(row: dict, thresholds: dict[str, float]) -> bool:
    return row["forced_refusal"] or row["confidence"] < thresholds[row["model_key"]]


def score(rows: list[dict], thresholds: dict[str, float]) -> dict:
    """Refusal is the positive class (as calibrate_refusal.py); answers are scored on answerable rows."""
    tp = fp = fn = tn = correct = first = spans = span_right = 0
    for r in rows:
        refuse = refused(r, thresholds)
        if not r["answerable"]:
            tp, fn = tp + refuse, fn + (not refuse)
            continue
        fp, tn = fp + refuse, tn + (not refuse)
        correct += (not refuse) and r["correct"]
        first += r["first_gold"]
        if not refuse and r["correct"] and r["type"] in SPAN_TYPES:  # the quoted sentence holds the answer:
            spans += 1  # is the right part of it marked?
            span_right += bool(r.get("short_gold"))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    answerable = tn + fp
    return {
        "n": len(rows),
        "n_unanswerable": tp + fn,
        "refusal_f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "answered": round(tn / answerable, 4) if answerable else 0.0,
        "answer_has_gold": round(correct / answerable, 4) if answerable else 0.0,
        "first_citation_gold": round(first / answerable, 4) if answerable else 0.0,
        "span_gold": round(span_right / spans, 4) if spans else 0.0,
    }


def groups(rows: list[dict]) -> dict[str, list[dict]]:
    """The rows per set, split and form, and per set and split as written (every form but stripped)."""
    out = {}
    for set_name in sorted({r["set"] for r in rows}):
        for split in sorted({r["split"] for r in rows if r["set"] == set_name}):
            part = [r for r in rows if r["set"] == set_name and r["split"] == split]
            for form in FORMS:
                sub = [r for r in part if r["form"] == form]
                if sub:
                    out[f"{set_name}/{split}/{form}"] = sub
            out[f"{set_name}/{split}/as written"] = [r for r in part if r["form"] != "stripped"]
    return out


def table(rows: list[dict], thresholds: dict[str, float]) -> dict:
    return {name: score(part, thresholds) for name, part in groups(rows).items()}


def format_table(t: dict) -> str:
    head = (
        f"{'set/split/form':32} {'n':>5} {'unans':>5} {'refusal F1':>10} {'answered':>8} {'∋ gold':>7} {'1st cit.':>8}"
        f" {'span':>6}"
    )
    lines = [head, "-" * len(head)]
    for k, s in t.items():
        lines.append(
            f"{k:32} {s['n']:5d} {s['n_unanswerable']:5d} {s['refusal_f1']:10.3f} {s['answered']:8.3f} "
            f"{s['answer_has_gold']:7.3f} {s['first_citation_gold']:8.3f} {s.get('span_gold', 0.0):6.3f}"
        )
    return "\n".join(lines)


MIN_ANSWERED = TARGETS["answered"]  # the refusal threshold must answer at least this share of answerable questions
# English questions: the target is 0.75 × the accented figure, and a few dozen rows are all there is to fit on
MIN_ANSWERED_CROSSLINGUAL = 0.75
C = 1.0  # inverse L2 strength of the refusal regression
F1_TIE = 0.005  # refusal F1 differences below this are noise on ~1,000 rows


def signal_names(key: str) -> tuple[str, ...]:
    return refusal.CROSSLINGUAL_SIGNALS if key == "crosslingual" else refusal.SIGNALS


def fit_refusal(rows: list[dict], require_type: tuple[str, ...] = (), typed_floor: float = 0.0) -> dict:
    """Per refusal model key: a logistic regression answerable ~ signals over the rows the answerer could
    answer at all, and the threshold with the best refusal F1 among those answering ≥ MIN_ANSWERED."""
    from sklearn.linear_model import LogisticRegression

    out = {}
    rules = Models({}, {}, {}, {}, require_type, typed_floor)
    for key in ("accented", "unaccented", "crosslingual"):
        part = [r for r in rows if r["model_key"] == key]
        names = signal_names(key)
        usable = [
            r for r in part if not r["forced_refusal"] and not refusal.vetoed(rules, key, r["signals"], r["type"])
        ]
        labels = [r["answerable"] for r in usable]
        if len(set(labels)) < 2:
            continue
        lr = LogisticRegression(C=C, max_iter=5000).fit([[r["signals"][k] for k in names] for r in usable], labels)
        model = {
            "bias": round(float(lr.intercept_[0]), 3),
            **{k: round(float(w), 3) for k, w in zip(names, lr.coef_[0])},
        }
        # the threshold is the model's, chosen without the follow-up cap (with_focus_scale fits that next)
        scored = rescore(part, {key: {"model": model, "focus_scale": UNCAPPED}}, require_type, typed_floor)
        floor = MIN_ANSWERED_CROSSLINGUAL if key == "crosslingual" else MIN_ANSWERED
        grid = [score(scored, {key: t / 100}) | {"threshold": t / 100} for t in range(1, 100)]
        allowed = [s for s in grid if s["answered"] >= floor] or grid
        top = max(s["refusal_f1"] for s in allowed)
        # among thresholds within F1_TIE of the best (a difference that size is noise here), the one that
        # answers the most: refusing an answerable question is only worth a clear gain
        best = max((s for s in allowed if s["refusal_f1"] >= top - F1_TIE), key=lambda s: s["answered"])
        out[key] = {"model": model, "threshold": best["threshold"]}
    return with_focus_scale(rows, out, require_type, typed_floor)


FOCUS_SCALES = (1.0, 1.25, 1.5, 2.0, 3.0)  # refusal.confidence: a follow-up's cap, focus_scale × its focus
UNCAPPED = 1e9


def with_focus_scale(
    rows: list[dict], fitted: dict, require_type: tuple[str, ...] = (), typed_floor: float = 0.0
) -> dict:
    """The fitted models with the follow-up cap that scores best on `rows` (only follow-ups change)."""
    thresholds = thresholds_of(fitted, load().thresholds)
    grid = []
    for scale in FOCUS_SCALES:
        scaled = {k: v | {"focus_scale": scale} for k, v in fitted.items()}
        grid.append((score(rescore(rows, scaled, require_type, typed_floor), thresholds), scaled))
    top = max(s["refusal_f1"] for s, _ in grid)
    return max((g for g in grid if g[0]["refusal_f1"] >= top - F1_TIE), key=lambda g: g[0]["answered"])[1]


def rescore(
    rows: list[dict], models: dict[str, dict], require_type: tuple[str, ...] = (), typed_floor: float = 0.0
) -> list[dict]:
    """The rows with the confidence the answerer would give under `models` ({key: {"model": ...}}; rows of
    other keys unchanged)."""
    out = []
    for r in rows:
        entry = models.get(r["model_key"])
        if entry is None:
            out.append(r)
            continue
        model = entry["model"]
        fake = Models({}, {}, {r["model_key"]: model}, {}, require_type, typed_floor, entry.get("focus_scale", 1.0))
        out.append(r | {"confidence": refusal.confidence(fake, r["model_key"], r["signals"], r["type"])})
    return out


def thresholds_of(fitted: dict, fallback: dict[str, float]) -> dict[str, float]:
    return fallback | {k: v["threshold"] for k, v in fitted.items()}


def cross_domain(rows: list[dict], require_type: tuple[str, ...], typed_floor: float = 0.0) -> dict:
    """Refusal fitted on one domain and scored on the other (XQuAD-vi → news test, news dev → XQuAD-vi) and
    the shipped fit on both (scored on news test; its dev figures beside it show the dev/test gap). Last,
    a ceiling, never shipped: the model fitted on news test itself, the best these signals can do there."""
    xquad = [r for r in rows if r["set"] == "xquad"]
    dev = [r for r in rows if r["set"] == "news" and r["split"] == "dev"]
    test = [r for r in rows if r["set"] == "news" and r["split"] == "test"]
    current = load().thresholds
    fits = {
        "xquad": fit_refusal(xquad, require_type, typed_floor),
        "news_dev": fit_refusal(dev, require_type, typed_floor),
        "both": fit_refusal(xquad + dev, require_type, typed_floor),
        "news_test": fit_refusal([r for r in test if r["form"] != "stripped"], require_type, typed_floor),
    }
    report = {}
    for name, fitted, target in (
        ("xquad → news test", "xquad", test),
        ("news dev → xquad", "news_dev", xquad),
        ("both → news test", "both", test),
        ("both → news dev (in-sample)", "both", dev),
        ("both → xquad (in-sample)", "both", xquad),
        ("ceiling: news test → itself", "news_test", test),
    ):
        written = [r for r in target if r["form"] != "stripped"]
        report[name] = score(
            rescore(written, fits[fitted], require_type, typed_floor), thresholds_of(fits[fitted], current)
        )
    return {"fits": fits, "report": report}


CAUTION_RIGHT_SHARE = 0.10  # a notice is the exception: at most this share of right answers carry one


def fit_caution(rows: list[dict], thresholds: dict[str, float]) -> dict[str, float]:
    """Per refusal model key, the confidence below which an answer comes with a low-confidence notice: the
    highest that marks at most CAUTION_RIGHT_SHARE of the right answers among `rows` (answered at
    `thresholds`). Wrong answers and near misses gather just above the threshold: the refusal model
    ranks them lower, but refusing them all would refuse right answers too."""
    out = {}
    for key in sorted({r["model_key"] for r in rows}):
        answered = [r for r in rows if r["model_key"] == key and not refused(r, thresholds)]
        right = sorted(r["confidence"] for r in answered if r["answerable"] and r["correct"])
        if right:  # right[allowed]: the confidence with `allowed` right answers below it
            allowed = int(CAUTION_RIGHT_SHARE * len(right))
            out[key] = max(thresholds[key], int(right[allowed] * 100) / 100)
    return out


def caution_table(rows: list[dict], thresholds: dict[str, float], caution: dict[str, float]) -> dict:
    """Per set, split and form: how many answers are right and how many wrong (or answer an unanswerable
    question), and the share of each that carries the low-confidence notice."""
    out = {}
    for name, part in groups(rows).items():
        answered = [r for r in part if not refused(r, thresholds)]
        right = [r for r in answered if r["answerable"] and r["correct"]]
        wrong = [r for r in answered if not (r["answerable"] and r["correct"])]

        def noticed(some: list[dict]) -> float:
            marked = sum(r["confidence"] < caution.get(r["model_key"], 0.0) for r in some)
            return round(marked / len(some), 4) if some else 0.0

        out[name] = {
            "right": len(right),
            "right_noticed": noticed(right),
            "wrong": len(wrong),
            "wrong_noticed": noticed(wrong),
        }
    return out


def format_caution(t: dict) -> str:
    head = f"{'set/split/form':32} {'right':>6} {'noticed':>8} {'wrong':>6} {'noticed':>8}"
    lines = [head, "-" * len(head)]
    for k, s in t.items():
        lines.append(f"{k:32} {s['right']:6d} {s['right_noticed']:8.3f} {s['wrong']:6d} {s['wrong_noticed']:8.3f}")
    return "\n".join(lines)


def write_caution(caution: dict[str, float]) -> None:
    """The low-confidence notice's confidences, into the shipped refusal model's file."""
    write_model("refusal", read_model("refusal") | {"caution": caution})


def write_refusal(fitted: dict, require_type: tuple[str, ...], typed_floor: float = 0.0) -> None:
    """The shipped refusal model and thresholds, as the answerer loads them."""
    import datetime as dt

    current = read_model("refusal")
    content = {
        "written_by": "benchmarks/calibrate_refusal.py (via benchmarks/news_qa.py --write-refusal)",
        "fitted_on": ["xquad_vi", "news_qa/dev"],
        "date": dt.date.today().isoformat(),
        "kind": "logistic",
        "models": current["models"] | {k: v["model"] for k, v in fitted.items()},
        "thresholds": current["thresholds"] | {k: v["threshold"] for k, v in fitted.items()},
        "require_type": list(require_type),
        "typed_floor": typed_floor,
        "focus_scale": next(iter(fitted.values()), {}).get("focus_scale", 1.0),
        # fitted on the confidences of the model it came with: refit it with --write-caution
        "caution": current.get("caution", {}),
    }
    write_model("refusal", content)


def collect(
    distractors: int, limit_xquad: int | None, progress: bool = True, limit_news: int | None = None
) -> list[dict]:
    import random

    from calibrate_refusal import half_index

    questions = load_set()
    if limit_news:
        questions = random.Random(0).sample(questions, min(limit_news, len(questions)))
    rows = ask_rows(news_index(questions, distractors), questions, "news", progress)
    groups, _, (xq_assistant, _, _) = half_index(make_config(), load_passages(), distractors)
    rows += ask_rows(xq_assistant, xquad_questions(groups, limit_xquad), "xquad", progress)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distractors", type=int, default=1000)
    parser.add_argument("--limit-xquad", type=int, help="a fixed random sample of XQuAD-vi questions")
    parser.add_argument("--limit-news", type=int, help="a fixed random sample of the news set's questions")
    parser.add_argument("--rows", help="reuse rows saved by an earlier run (JSON) instead of asking")
    parser.add_argument("--json", help="where to save the rows and table")
    parser.add_argument(
        "--require-type",
        default=",".join(load().require_type),
        help="answer types refused when no top sentence carries one (comma-separated)",
    )
    parser.add_argument(
        "--typed-floor",
        type=float,
        default=load().typed_floor,
        help="with --require-type: refuse unless a sentence carrying the type holds more than this share of the"
        " question's terms",
    )
    parser.add_argument(
        "--write-caution",
        action="store_true",
        help="fit the low-confidence notice on XQuAD-vi + news dev and write it into assistant/answering/models/"
        " (after --write-refusal: on the confidences of the model written)",
    )
    parser.add_argument(
        "--write-refusal",
        action="store_true",
        help="fit the refusal model on XQuAD-vi + news dev and write it into assistant/answering/models/",
    )
    args = parser.parse_args(argv)
    if args.rows:
        rows = json.loads(Path(args.rows).read_text(encoding="utf-8"))["rows"]
    else:
        rows = collect(args.distractors, args.limit_xquad, limit_news=args.limit_news)
    t = table(rows, load().thresholds)
    print("Product as it is:\n" + format_table(t))
    require = tuple(x for x in args.require_type.split(",") if x)
    domains = cross_domain(rows, require, args.typed_floor)
    print(
        "\nRefusal refitted across domains (require_type: "
        + (", ".join(require) or "none")
        + f", typed floor {args.typed_floor}):\n"
        + format_table(domains["report"])
    )
    scored = rows  # the confidences of the refusal model shipped: the one just written, if it was
    if args.write_refusal:
        both = domains["fits"]["both"]
        write_refusal(both, require, args.typed_floor)
        scored = rescore(rows, both, require, args.typed_floor)
        shipped = table(scored, thresholds_of(both, load().thresholds))
        print("\nWith the refusal model written (fitted on XQuAD-vi + news dev):\n" + format_table(shipped))
    fitting = [r for r in scored if r["set"] == "xquad" or r["split"] == "dev"]
    caution = fit_caution(fitting, load().thresholds) if args.write_caution else load().caution
    if args.write_caution:
        write_caution(caution)
    notices = caution_table(scored, load().thresholds, caution)
    print(
        "\nLow-confidence notice (below "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(caution.items()))
        + "; fitted on XQuAD-vi + news dev): answers and the share carrying it\n"
        + format_caution(notices)
    )
    path = Path(args.json) if args.json else RESULTS_DIR / f"news-qa-n{args.distractors}.json"
    write_json(
        path,
        {
            "distractors": args.distractors,
            "limit_xquad": args.limit_xquad,
            "table": t,
            "cross_domain": domains["report"],
            "caution": {"below": caution, "table": notices},
            "rows": rows,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
