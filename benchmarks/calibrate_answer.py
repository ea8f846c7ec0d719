"""Fit and check the extractive answerer's sentence choice on data anyone can rerun.

The index is retrieval.py's (XQuAD-vi passages + VNTC distractors). For every question, typed with
and without diacritics, every sentence of the retrieved passages is a candidate with the features
the answerer computes (`answering.sentence_features` and the sentence's place among the passages);
its label is whether it contains a gold answer. Two fits over those features: a conditional logit
orders each question's sentences (`answering.SENTENCE_RANKER`), and a logistic regression over all
sentences is the probability that a sentence holds the answer (`answering.SENTENCE_MODEL`).

That probability is what refusal reads, so the logistic regression also sees questions the index
cannot answer: those about the articles calibrate_refusal.py removes from its index (the same split and
cached index), every sentence retrieved for them a negative. Without them it only ever compares
sentences retrieved for answerable questions, and is too sure of sentences about the right topic.

Articles are split in two halves (retrieval.article_halves): the model fitted on one half is scored on
the other, both ways, by asking the real answerer with that model. The figures are the share of
questions whose answer (at most two sentences, refusals counted as misses) contains a gold answer,
against the product's current model. The recommended model is fitted on all questions.

    .venv/bin/python benchmarks/calibrate_answer.py                    # 1000 distractors
    .venv/bin/python benchmarks/calibrate_answer.py --limit-questions 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from calibrate_refusal import half_index  # noqa: E402
    from common import (  # noqa: E402
        RESULTS_DIR,
        article_folds,
        as_records,
        build_index,
        contains_answer,
        git_commit,
        load_distractors,
        load_passages,
        load_questions,
        make_config,
        write_json,
    )
    from retrieval import article_halves, default_index_dir, question_forms, select_questions  # noqa: E402
else:
    from .calibrate_refusal import half_index
    from .common import (
        RESULTS_DIR,
        article_folds,
        as_records,
        build_index,
        contains_answer,
        git_commit,
        load_distractors,
        load_passages,
        load_questions,
        make_config,
        write_json,
    )
    from .retrieval import article_halves, default_index_dir, question_forms, select_questions

from assistant.answering import models as answer_models  # noqa: E402
from assistant.answering.models import linear  # noqa: E402
from assistant.answering.ranking import SENTENCE_FEATURES  # noqa: E402
from assistant.retrieval import Query  # noqa: E402
from assistant.text import clean_question, fold  # noqa: E402

FEATURES = list(SENTENCE_FEATURES)
FORMS = ("accented", "stripped")
C = 1.0  # inverse L2 strength of the logistic regression
LAMBDA = 1.0  # L2 strength of the conditional logit, over standardised features


def collect(
    assistant, questions: list[dict], progress: bool = True, halves: list[str] | None = None, answerable: bool = True
) -> list[dict]:
    """One row per question and form: the retrieved passages and every candidate sentence's features,
    labelled by whether it contains a gold answer (never, when the index lacks the question's article)."""
    from tqdm import tqdm

    answerer = assistant._current().answerer
    halves = halves or article_halves(questions)
    rows = []
    for q, half in tqdm(
        list(zip(questions, halves)), desc="questions", unit="q", disable=not progress, mininterval=5, file=sys.stderr
    ):
        for form, text in question_forms(q).items():
            passages = assistant.retrieve(text)
            query = Query.of(text)
            weights = answerer.term_weights(query)
            candidates = answerer.candidates(query, weights, passages) if weights and passages else []
            rows.append(
                {
                    "id": q["id"],
                    "form": form,
                    "half": half,
                    "text": text,
                    "answers": q["answers"],
                    "passages": passages,
                    "focus": None,
                    "set": "xquad",
                    "split": "all",
                    "answerable": answerable,
                    "candidates": [
                        (c.features, answerable and contains_answer(c.text, q["answers"])) for c in candidates
                    ],
                }
            )
    return rows


def collect_news(assistant, questions: list[dict], progress: bool = True) -> list[dict]:
    """Rows for the news QA set (news_qa.load_set), every form a question is asked in; a follow-up is
    searched and answered as Assistant.ask does (conversation.read: with the previous question, one more
    passage found with the previous answer, its own words as focus)."""
    from news_qa import form_of
    from tqdm import tqdm

    answerer = assistant._current().answerer
    rows = []
    for q in tqdm(questions, desc="news questions", unit="q", disable=not progress, mininterval=5, file=sys.stderr):
        forms = {form_of(q): q["question"]}
        if forms.get("accented"):
            forms["stripped"] = fold(clean_question(q["question"]))
        history = [tuple(t) for t in q.get("history") or []]
        for form, text in forms.items():
            turn = assistant._with_history(clean_question(text), history, None)
            search, focus = turn.question, turn.focus
            passages = assistant._passages(assistant._current().retriever, turn)
            candidates = answerer.rank(search, passages, focus)
            rows.append(
                {
                    "id": q["id"],
                    "form": form,
                    "half": q["split"],
                    "text": search,
                    "focus": focus,
                    "answers": q["answers"],
                    "passages": passages,
                    "set": "news",
                    "split": q["split"],
                    "answerable": q["answerable"],
                    "candidates": [
                        (c.features, q["answerable"] and contains_answer(c.text, q["answers"])) for c in candidates
                    ],
                }
            )
    return rows


def collect_unanswerable(
    distractors: int,
    passages: list[dict],
    questions: list[dict],
    progress: bool = True,
    index_dir: str | Path | None = None,
) -> list[dict]:
    """Rows for the questions whose article calibrate_refusal.py leaves out of its index, asked of that index."""
    groups, _, (assistant, _, _) = half_index(make_config(), passages, distractors, index_dir=index_dir)
    half_of = dict(zip((q["id"] for q in questions), article_halves(questions)))
    removed = [q for q in questions if groups[q["title"]].startswith("removed")]
    return collect(assistant, removed, progress, [half_of[q["id"]] for q in removed], answerable=False)


def fit(rows: list[dict]) -> dict:
    """{"model": SENTENCE_MODEL, "ranker": SENTENCE_RANKER} fitted on `rows`: a logistic regression over all
    sentences, and a conditional logit (`conditional_logit`), which orders sentences better (held out, the
    best sentence holds the answer 0.81 of the time against 0.78)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    X = np.array([[f[k] for k in FEATURES] for r in rows for f, _ in r["candidates"]], dtype=float).reshape(
        -1, len(FEATURES)
    )
    y = np.array([label for r in rows for _, label in r["candidates"]], dtype=bool)
    question = np.repeat(np.arange(len(rows)), [len(r["candidates"]) for r in rows])
    if y.all() or not y.any() or len(set(question[y])) < 2:  # a tiny sample: keep the product's models
        return product()
    lr = LogisticRegression(C=C, max_iter=5000).fit(X, y)
    model = {
        "bias": round(float(lr.intercept_[0]), 3),
        **{k: round(float(w), 3) for k, w in zip(FEATURES, lr.coef_[0])},
    }
    ranker = conditional_logit(X, y, question)
    return {"model": model, "ranker": {k: round(float(w), 3) for k, w in zip(FEATURES, ranker)}}


def conditional_logit(X, y, question):
    """Weights that make each question's answer sentences (y) likelier than its other sentences under a
    softmax over the question's candidates; questions without an answer sentence teach nothing and are
    left out. L2 penalty LAMBDA over standardised features, fitted by L-BFGS."""
    import numpy as np
    from scipy.optimize import minimize

    keep = np.isin(question, question[y])
    mean, scale = X[keep].mean(0), X[keep].std(0) + 1e-9
    Z, label, group = (X[keep] - mean) / scale, y[keep], np.unique(question[keep], return_inverse=True)[1]
    n = group.max() + 1

    def group_logsumexp(s):
        top = np.full(n, -np.inf)
        np.maximum.at(top, group, s)
        total = np.zeros(n)
        np.add.at(total, group, np.exp(s - top[group]))
        return top + np.log(total)

    def loss(w):
        s = Z @ w
        everything, answers = group_logsumexp(s), group_logsumexp(np.where(label, s, -np.inf))
        p_all, p_answers = np.exp(s - everything[group]), np.where(label, np.exp(s - answers[group]), 0.0)
        return float((everything - answers).sum() + LAMBDA * w @ w), Z.T @ (p_all - p_answers) + 2 * LAMBDA * w

    return minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B").x / scale


def answer_rate(answerer, rows: list[dict], fitted: dict) -> dict:
    """Share of rows whose real answer, with `fitted` sentence models, contains a gold answer."""
    saved = answerer.models
    answerer.models = replace(saved, sentence=fitted["model"], ranker=fitted["ranker"])
    try:
        hits = refused = 0
        for r in rows:
            answer = answerer.answer(r["text"], r["passages"], focus=r.get("focus"))
            refused += answer.refused
            hits += (not answer.refused) and contains_answer(answer.text, r["answers"])
    finally:
        answerer.models = saved
    n = max(len(rows), 1)
    return {"contains_gold_answer": round(hits / n, 4), "refused": round(refused / n, 4), "n": len(rows)}


def top_k_rate(rows: list[dict], ranker: dict, k: int) -> float:
    """Share of rows where one of the ranker's k best sentences contains a gold answer (refusal ignored)."""
    hits = 0
    for r in rows:
        ranked = sorted(r["candidates"], key=lambda c: linear(ranker, c[0]), reverse=True)
        hits += any(label for _, label in ranked[:k])
    return round(hits / max(len(rows), 1), 4)


def rates(answerer, rows: list[dict], fitted: dict) -> dict:
    return {
        **answer_rate(answerer, rows, fitted),
        "top1": top_k_rate(rows, fitted["ranker"], 1),
        "top2": top_k_rate(rows, fitted["ranker"], 2),
    }


def product() -> dict:
    loaded = answer_models.load()
    return {"model": dict(loaded.sentence), "ranker": dict(loaded.ranker)}


def cross_domain(xquad: tuple, news: tuple) -> dict:
    """Each fit scored on the domain it was not fitted on: XQuAD-vi → the news set's test split, the news
    set's dev split → XQuAD-vi, and the shipped fit (both) → the news test split; with the dev figures of
    the shipped fit beside its test figures (a large gap means overfitting)."""
    (xq_answerer, xq_rows), (news_answerer, news_rows) = xquad, news
    dev = [r for r in news_rows if r["split"] == "dev"]
    test = [r for r in news_rows if r["split"] == "test" and r["answerable"]]
    xq_answerable = [r for r in xq_rows if r["answerable"]]
    fits = {"xquad": fit(xq_rows), "news_dev": fit(dev), "both": fit(xq_rows + dev)}
    report = {
        "xquad → news test": rates(news_answerer, test, fits["xquad"]),
        "news dev → xquad": rates(xq_answerer, xq_answerable, fits["news_dev"]),
        "both → news test": rates(news_answerer, test, fits["both"]),
        "both → news dev (in-sample)": rates(news_answerer, [r for r in dev if r["answerable"]], fits["both"]),
        "both → xquad (in-sample)": rates(xq_answerer, xq_answerable, fits["both"]),
        "product → news test": rates(news_answerer, test, product()),
        "product → xquad": rates(xq_answerer, xq_answerable, product()),
    }
    return {"fits": fits, "report": report}


def write_models(fitted: dict, sources: list[str]) -> None:
    """The shipped sentence models, as the answerer loads them (assistant/answering/models/)."""
    date = dt.date.today().isoformat()
    for name, kind, key in (("ranker", "conditional_logit", "ranker"), ("sentence", "logistic", "model")):
        answer_models.write(
            name,
            {
                "written_by": "benchmarks/calibrate_answer.py",
                "fitted_on": sources,
                "date": date,
                "kind": kind,
                "weights": fitted[key],
            },
        )


def calibrate(answerer, rows: list[dict]) -> dict:
    """The product's model and one fitted on the other half of the articles, scored on each half."""
    out = {}
    for name, fit_rows, test_rows in article_folds(rows):
        fitted = fit(fit_rows)
        by_form = {form: [r for r in test_rows if r["form"] == form and r["answerable"]] for form in FORMS}
        out[name] = {
            **fitted,
            **{
                form: {"product": rates(answerer, part, product()), "fitted": rates(answerer, part, fitted)}
                for form, part in by_form.items()
            },
        }
    return out


def run(
    distractors: int = 1000,
    index_dir: str | Path | None = None,
    json_path: str | Path | None = None,
    limit_questions: int | None = None,
    passages_limit: int | None = None,
    progress: bool = True,
    quiet: bool = False,
    unanswerable_index_dir: str | Path | None = None,
    news: bool = True,
    write: bool = False,
    news_questions: list[dict] | None = None,
    news_index_dir: str | Path | None = None,
) -> dict:
    config = make_config()
    passages = load_passages()
    if passages_limit:
        passages = passages[:passages_limit]
    records = as_records(passages, load_distractors(distractors))
    target = (
        Path(index_dir)
        if index_dir
        else default_index_dir(distractors, config.chunking.size, config.chunking.overlap, passages_limit)
    )
    assistant, report, _ = build_index(target, records, config)
    questions = select_questions(load_questions(), {p["id"] for p in passages}, limit_questions)
    answerable = collect(assistant, questions, progress)
    rows = answerable + collect_unanswerable(distractors, passages, questions, progress, unanswerable_index_dir)
    answerer = assistant._current().answerer
    folds = calibrate(answerer, rows)
    recommended = fit(rows)
    domains = None
    if news:
        from news_qa import load_set, news_index

        news_set = news_questions if news_questions is not None else load_set()
        news_assistant = news_index(news_set, distractors, Path(news_index_dir) if news_index_dir else None)
        news_rows = collect_news(news_assistant, news_set, progress)
        domains = cross_domain((answerer, rows), (news_assistant._current().answerer, news_rows))
        recommended = domains["fits"]["both"]
    result = {
        "benchmark": "calibrate_answer",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "product_commit": git_commit(),
        "distractors": distractors,
        "chunks": report.chunks,
        "questions": len(questions),
        "unanswerable_rows": len(rows) - len(answerable),
        "folds": folds,
        "held_out": {
            form: {which: _mean([f[form][which] for f in folds.values()]) for which in ("product", "fitted")}
            for form in FORMS
        }
        if folds
        else {},
        "all_questions": {
            form: {"product": answer_rate(answerer, [r for r in answerable if r["form"] == form], product())}
            for form in FORMS
        },
        "cross_domain": domains["report"] if domains else {},
        "recommended": recommended,
    }
    if write:
        write_models(recommended, ["xquad_vi", "news_qa/dev"] if news else ["xquad_vi"])
    if not quiet:
        print(format_report(result))
    if json_path is not False:
        path = Path(json_path) if json_path else RESULTS_DIR / f"answer-n{distractors}.json"
        write_json(path, result)
        if not quiet:
            print(f"\nwrote {path}")
    return result


def _mean(parts: list[dict]) -> dict:
    """Figures of the folds, weighted by their number of questions."""
    n = sum(p["n"] for p in parts)
    return {k: round(sum(p[k] * p["n"] for p in parts) / max(n, 1), 4) for k in parts[0] if k != "n"} | {"n": n}


def format_report(r: dict) -> str:
    lines = [
        f"Sentence choice, XQuAD-vi + {r['distractors']} distractors, {r['questions']} questions "
        f"({r['date']}, commit {r['product_commit']}); the sentence model also fitted on "
        f"{r['unanswerable_rows']} unanswerable question rows",
        "",
        "| held-out half | form | answer ∋ gold | refused | best sentence ∋ gold | best two ∋ gold |",
        "|---|---|---|---|---|---|",
    ]
    for form, parts in r["held_out"].items():
        for which, label in (("product", "product model"), ("fitted", "fitted on the other half")):
            s = parts[which]
            lines.append(
                f"| {label} | {form} | {s['contains_gold_answer']:.3f} | {s['refused']:.3f} | "
                f"{s['top1']:.3f} | {s['top2']:.3f} |"
            )
    if r.get("cross_domain"):
        lines += [
            "",
            "Across domains (fit → scored on):",
            "",
            "| fit → scored on | n | answer ∋ gold | refused | best sentence ∋ gold | best two ∋ gold |",
            "|---|---|---|---|---|---|",
        ]
        for name, s in r["cross_domain"].items():
            lines.append(
                f"| {name} | {s['n']} | {s['contains_gold_answer']:.3f} | {s['refused']:.3f} | "
                f"{s['top1']:.3f} | {s['top2']:.3f} |"
            )
    lines += [
        "",
        "All questions, product model: "
        + ", ".join(f"{form} {v['product']['contains_gold_answer']:.3f}" for form, v in r["all_questions"].items()),
        "",
        "Recommended (fitted on XQuAD-vi and the news set's dev split; --write puts it in "
        "assistant/answering/models/):",
        "sentence_ranker.json = " + repr(r["recommended"]["ranker"]),
        "sentence_model.json = " + repr(r["recommended"]["model"]),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--distractors", type=int, default=1000)
    ap.add_argument("--index-dir")
    ap.add_argument("--json")
    ap.add_argument("--limit-questions", type=int)
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--no-news", action="store_true", help="XQuAD-vi only (no cross-domain figures)")
    ap.add_argument("--write", action="store_true", help="write the fitted models into assistant/answering/models/")
    args = ap.parse_args(argv)
    run(
        args.distractors,
        args.index_dir,
        args.json,
        args.limit_questions,
        progress=not args.no_progress,
        news=not args.no_news,
        write=args.write,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
