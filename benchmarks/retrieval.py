"""Retrieval benchmark: XQuAD-vi passages hidden among VNTC news distractors.

For every question, typed with diacritics and with them stripped (`assistant.text.fold`), it ranks
documents (chunks deduplicated by doc_id) with the product's own pieces:
    lexical   Retriever.lexical_top(Retriever.query(q), all)  (BM25; for stripped questions the folded
              field, plus the accented one on the restored question when the product restores diacritics)
    dense     Retriever.dense_top(embed(query.dense_text), n)   (FAISS cosine)
    hybrid    Retriever.search(q)                     (what the product answers from)
and reports R@1, R@5 and MRR@10 of the gold passage, plus how often the default answer
(`Assistant.ask`) contains the gold answer and cites the gold passage first.

    .venv/bin/python benchmarks/retrieval.py                       # N=1000 distractors, config chunking
    .venv/bin/python benchmarks/retrieval.py --limit-questions 100 # quick look
    .venv/bin/python benchmarks/retrieval.py --distractors 200 --chunk-size 600 --overlap 0
    .venv/bin/python benchmarks/retrieval.py --sweep-fusion        # also grid-search the fusion settings
    .venv/bin/python benchmarks/retrieval.py --dense-weight 0.75 --rrf-k 5 --unaccented-dense-weight 1.0

Indexes are kept under benchmarks/.cache/ so re-runs embed nothing; a new index also reuses the
vectors of identical chunk texts from the other cached indexes (--no-vector-reuse for honest timing).
BENCH_PRODUCT_DIR=<folder with a frozen assistant/> measures that copy instead of the working tree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import (  # noqa: E402
        CACHE_DIR,
        RESULTS_DIR,
        CachingEmbedder,
        add_fusion_args,
        as_records,
        build_index,
        contains_answer,
        fusion_of,
        fusion_tag,
        git_commit,
        load_distractors,
        load_passages,
        load_questions,
        make_config,
        write_json,
    )
else:
    from .common import (
        CACHE_DIR,
        RESULTS_DIR,
        CachingEmbedder,
        add_fusion_args,
        as_records,
        build_index,
        contains_answer,
        fusion_of,
        fusion_tag,
        git_commit,
        load_distractors,
        load_passages,
        load_questions,
        make_config,
        write_json,
    )

import numpy as np  # noqa: E402

import assistant.retrieval as product_retrieval  # noqa: E402
from assistant.retrieval import Query  # noqa: E402
from assistant.text import clean_question, fold  # noqa: E402

METHODS = ("lexical", "bigram", "dense", "hybrid")  # bigram: BM25 over syllable pairs
ARMS = ("lexical", "bigram", "dense")
FORMS = ("accented", "stripped")
DEPTH = 10  # documents ranked per method (MRR@10)
DENSE_CHUNKS = 200  # chunks fetched from FAISS to rank DEPTH distinct documents


def _progress(iterable, total, desc, enabled):
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="q", disable=not enabled, mininterval=5, file=sys.stderr)


def _doc_ranking(chunk_ids, chunks, depth=DEPTH) -> list[str]:
    docs: list[str] = []
    for i in chunk_ids:
        d = chunks[int(i)].doc_id
        if d not in docs:
            docs.append(d)
            if len(docs) >= depth:
                break
    return docs


def _rank_of(gold: str, docs: list[str]) -> int:
    """1-based rank of the gold document, 0 when it is not in the top DEPTH."""
    return docs.index(gold) + 1 if gold in docs else 0


def metrics(ranks: list[int]) -> dict:
    n = max(len(ranks), 1)
    return {
        "R@1": sum(r == 1 for r in ranks) / n,
        "R@5": sum(1 <= r <= 5 for r in ranks) / n,
        "MRR@10": sum(1.0 / r for r in ranks if 1 <= r <= DEPTH) / n,
    }


class Probe:
    """The product's retriever of an opened Assistant, with each question embedded once."""

    def __init__(self, assistant):
        self.assistant = assistant
        loaded = assistant._current()
        self.store, self.retriever = loaded.store, loaded.retriever
        if not isinstance(self.retriever.embedder, CachingEmbedder):
            self.retriever.embedder = CachingEmbedder(self.retriever.embedder)
        self._lexical: dict[tuple, np.ndarray] = {}
        self._dense: dict[str, tuple] = {}

    def query(self, text: str) -> Query:
        """The question as the product's retriever prepares it (diacritics restored, if it does that)."""
        prepare = getattr(self.retriever, "query", None)
        return prepare(text) if prepare else Query.of(text)

    def vector(self, text: str) -> np.ndarray:
        query = self.query(text)
        return self.retriever.embedder.embed_queries([getattr(query, "dense_text", query.text)])[0]

    def lexical(self, text: str) -> list[str]:
        return self._bm25_ranking(self.retriever.lexical_top(self.query(text), len(self.store.chunks)))

    def bigram(self, text: str) -> list[str]:
        return self._bm25_ranking(self.retriever.bigram_top(self.query(text), len(self.store.chunks)))

    def _bm25_ranking(self, top: tuple[np.ndarray, np.ndarray]) -> list[str]:
        return _doc_ranking(top[0], self.store.chunks)

    def dense(self, text: str) -> list[str]:
        n = min(DENSE_CHUNKS, len(self.store.chunks))
        ids, _ = self.retriever.dense_top(self.vector(text), n)
        return _doc_ranking(ids, self.store.chunks)

    def hybrid(self, text: str) -> list[str]:
        passages = self.retriever.search(text, k=len(self.store.chunks))
        return _doc_ranking([p.chunk for p in passages], self.store.chunks)

    def memoize_arms(self) -> None:
        """For fusion sweeps: the arms' scores depend only on the question, so compute them once."""
        retriever, lexical_cache, dense_cache = self.retriever, self._lexical, self._dense
        lexical_top, bigram_top, dense_top = retriever.lexical_top, retriever.bigram_top, retriever.dense_top

        def cached_lexical(query, n, field="syllables", score=lexical_top):
            key = (field, query.text, query.accented, n)
            if key not in lexical_cache:
                lexical_cache[key] = score(query, n)
            return lexical_cache[key]

        def cached_bigrams(query, n):
            return cached_lexical(query, n, "bigrams", bigram_top)

        def cached_dense(vector, n):
            key = (vector.tobytes(), n)
            if key not in dense_cache:
                dense_cache[key] = dense_top(vector, n)
            return dense_cache[key]

        retriever.lexical_top, retriever.bigram_top, retriever.dense_top = cached_lexical, cached_bigrams, cached_dense


def question_forms(q: dict) -> dict[str, str]:
    text = clean_question(q["question"])
    return {"accented": text, "stripped": fold(text)}


def evaluate(assistant, questions: list[dict], *, with_answers: bool = True, progress: bool = True) -> dict:
    probe = Probe(assistant)
    ranks = {m: {f: [] for f in FORMS} for m in METHODS}
    answer_hits = {f: [] for f in FORMS}
    citation_hits = {f: [] for f in FORMS}
    refused = {f: [] for f in FORMS}
    latencies: list[float] = []
    for q in _progress(questions, len(questions), "questions", progress):
        gold = q["passage_id"]
        for form, text in question_forms(q).items():
            misses = probe.retriever.embedder.misses
            t0 = time.perf_counter()
            assistant.retrieve(text)  # first sight of this text: embeds it, as a user's question would
            if probe.retriever.embedder.misses > misses:  # not when a restored question equals the accented one
                latencies.append(time.perf_counter() - t0)
            ranks["lexical"][form].append(_rank_of(gold, probe.lexical(text)))
            ranks["bigram"][form].append(_rank_of(gold, probe.bigram(text)))
            ranks["dense"][form].append(_rank_of(gold, probe.dense(text)))
            ranks["hybrid"][form].append(_rank_of(gold, probe.hybrid(text)))
            if with_answers:
                answer = assistant.ask(text)
                refused[form].append(answer.refused)
                answer_hits[form].append(not answer.refused and contains_answer(answer.text, q["answers"]))
                citation_hits[form].append(bool(answer.citations) and answer.citations[0].doc_id == gold)
    out = {
        "retrieval": {m: {f: metrics(ranks[m][f]) for f in FORMS} for m in METHODS},
        "latency_retrieve_mean_s": statistics.fmean(latencies) if latencies else 0.0,
        "latency_retrieve_p95_s": float(np.percentile(latencies, 95)) if latencies else 0.0,
        "_ranks": ranks,
    }
    if with_answers:
        rate = lambda xs: sum(xs) / max(len(xs), 1)  # noqa: E731
        out["answers"] = {
            f: {
                "contains_gold_answer": rate(answer_hits[f]),
                "first_citation_gold": rate(citation_hits[f]),
                "refused": rate(refused[f]),
            }
            for f in FORMS
        }
    out["_probe"] = probe
    return out


def hybrid_ranks(probe: Probe, questions: list[dict], forms=FORMS) -> dict[str, list[int]]:
    return {f: [_rank_of(q["passage_id"], probe.hybrid(question_forms(q)[f])) for q in questions] for f in forms}


DENSE_WEIGHTS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5)
UNACCENTED_WEIGHTS = (0.2, 0.4, 0.6, 0.8, 1.0)
BIGRAM_WEIGHTS = (0.0, 0.25, 0.5, 1.0)


def article_halves(questions: list[dict]) -> list[str]:
    """ "A" or "B" per question: alternate articles (sorted titles), to check a tuned setting on unseen articles."""
    titles = sorted({q["title"] for q in questions})
    half = {t: "AB"[i % 2] for i, t in enumerate(titles)}
    return [half[q["title"]] for q in questions]


def sweep_fusion(probe: Probe, questions: list[dict], progress: bool = True) -> dict:
    """Hybrid R@1/R@5/MRR for score-fusion weights, by monkeypatching the product's retrieval config,
    plus reciprocal-rank fusion (the earlier default) for comparison.

    lexical_weight stays 1. Accented questions depend on (dense_weight, bigram_weight); stripped ones
    on dense_weight x UNACCENTED_DENSE_WEIGHT, swept here as UNACCENTED_DENSE_WEIGHT with dense_weight = 1.
    Each setting is also scored on two halves of the articles; the best setting on one half is
    reported on the other ("cross_check").
    """
    config = probe.retriever.config
    saved = (
        config.fusion,
        config.dense_weight,
        config.lexical_weight,
        config.bigram_weight,
        config.rrf_k,
        product_retrieval.UNACCENTED_DENSE_WEIGHT,
    )
    probe.memoize_arms()
    halves = article_halves(questions)
    rows = []
    settings = [("accented", "score", w, b, 0) for b in BIGRAM_WEIGHTS for w in DENSE_WEIGHTS]
    settings += [("stripped", "score", w, b, 0) for b in BIGRAM_WEIGHTS for w in UNACCENTED_WEIGHTS]
    settings += [(form, "rrf", w, 0.0, 10) for form in FORMS for w in (0.5, 1.0)]
    try:
        config.lexical_weight = 1.0
        for form, fusion, w, b, rk in _progress(settings, len(settings), "fusion settings", progress):
            config.fusion, config.bigram_weight, config.rrf_k = fusion, b, rk
            if form == "accented":
                config.dense_weight, product_retrieval.UNACCENTED_DENSE_WEIGHT = w, saved[-1]
            else:
                config.dense_weight, product_retrieval.UNACCENTED_DENSE_WEIGHT = 1.0, w
            r = hybrid_ranks(probe, questions, (form,))[form]
            row = {
                "form": form,
                "fusion": fusion,
                "dense_weight": config.dense_weight,
                "lexical_weight": 1.0,
                "bigram_weight": b,
                **({"rrf_k": rk} if fusion == "rrf" else {}),
                **({"unaccented_dense_weight": w} if form == "stripped" else {}),
                **metrics(r),
            }
            for h in "AB":
                row[f"R@1_{h}"] = metrics([x for x, hh in zip(r, halves) if hh == h])["R@1"]
            rows.append(row)
    finally:
        (
            config.fusion,
            config.dense_weight,
            config.lexical_weight,
            config.bigram_weight,
            config.rrf_k,
            product_retrieval.UNACCENTED_DENSE_WEIGHT,
        ) = saved
    cross = {}
    for form in FORMS:
        sub = [row for row in rows if row["form"] == form and row["fusion"] == "score"]
        key = "unaccented_dense_weight" if form == "stripped" else "dense_weight"
        for fit, test in (("A", "B"), ("B", "A")):
            best = max(sub, key=lambda row: (row[f"R@1_{fit}"], row["MRR@10"]))
            cross[f"{form}_fit_{fit}"] = {
                key: best[key],
                "bigram_weight": best["bigram_weight"],
                f"R@1_{fit}": best[f"R@1_{fit}"],
                f"R@1_{test}_held_out": best[f"R@1_{test}"],
            }
        best = max(sub, key=lambda row: (row["R@1"], row["MRR@10"]))
        cross[f"{form}_best_all"] = {k: best[k] for k in (key, "bigram_weight", "R@1", "R@5", "MRR@10")}
    return {"rows": rows, "cross_check": cross}


def select_questions(questions: list[dict], passage_ids: set[str], limit: int | None) -> list[dict]:
    chosen = [q for q in questions if q["passage_id"] in passage_ids]
    if limit and limit < len(chosen):
        keep = set(random.Random(0).sample(range(len(chosen)), limit))
        chosen = [q for i, q in enumerate(chosen) if i in keep]
    return chosen


def default_index_dir(distractors: int, size: int, overlap: int, passages: int | None) -> Path:
    name = f"retrieval-n{distractors}-c{size}-o{overlap}" + (f"-p{passages}" if passages else "")
    return CACHE_DIR / name


def run(
    distractors: int = 1000,
    index_dir: str | Path | None = None,
    json_path: str | Path | None = None,
    limit_questions: int | None = None,
    chunk_size: int | None = None,
    overlap: int | None = None,
    passages_limit: int | None = None,
    with_answers: bool = True,
    sweep: bool = False,
    progress: bool = True,
    quiet: bool = False,
    fusion: dict | None = None,
    reuse_vectors: bool = True,
) -> dict:
    """Build or reuse the index, evaluate, print the table, write JSON (when `json_path` is not False)
    and return the figures. A test can call e.g. run(3, tmp_path, False, 5, passages_limit=5).

    `fusion` tries other fusion settings without touching the product: keys dense_weight, lexical_weight,
    rrf_k (set on the config) and unaccented_dense_weight (assistant.retrieval.UNACCENTED_DENSE_WEIGHT,
    patched for this run only)."""
    fusion = {k: v for k, v in (fusion or {}).items() if v is not None}
    saved_unaccented = product_retrieval.UNACCENTED_DENSE_WEIGHT
    try:
        if "unaccented_dense_weight" in fusion:
            product_retrieval.UNACCENTED_DENSE_WEIGHT = fusion["unaccented_dense_weight"]
        return _run(
            distractors,
            index_dir,
            json_path,
            limit_questions,
            chunk_size,
            overlap,
            passages_limit,
            with_answers,
            sweep,
            progress,
            quiet,
            fusion,
            reuse_vectors,
        )
    finally:
        product_retrieval.UNACCENTED_DENSE_WEIGHT = saved_unaccented


def _run(
    distractors,
    index_dir,
    json_path,
    limit_questions,
    chunk_size,
    overlap,
    passages_limit,
    with_answers,
    sweep,
    progress,
    quiet,
    fusion,
    reuse_vectors,
) -> dict:
    overrides = {f"retrieval__{k}": v for k, v in fusion.items() if k != "unaccented_dense_weight"}
    config = make_config(chunk_size, overlap, **overrides)
    size, ov = config.chunking.size, config.chunking.overlap
    passages = load_passages()
    if passages_limit:
        passages = passages[:passages_limit]
    records = as_records(passages, load_distractors(distractors))
    target = Path(index_dir) if index_dir else default_index_dir(distractors, size, ov, passages_limit)
    assistant, report, build_seconds = build_index(target, records, config, share_vectors=reuse_vectors)
    questions = select_questions(load_questions(), {p["id"] for p in passages}, limit_questions)

    t0 = time.perf_counter()
    figures = evaluate(assistant, questions, with_answers=with_answers, progress=progress)
    eval_seconds = time.perf_counter() - t0
    probe = figures.pop("_probe")
    ranks = figures.pop("_ranks")
    result = {
        "benchmark": "retrieval",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "distractors": distractors,
        "passages": len(passages),
        "documents": report.documents,
        "chunks": report.chunks,
        "questions": len(questions),
        "chunking": {"size": size, "overlap": ov},
        "fusion": {
            "fusion": config.retrieval.fusion,
            "dense_weight": config.retrieval.dense_weight,
            "lexical_weight": config.retrieval.lexical_weight,
            "bigram_weight": config.retrieval.bigram_weight,
            "rrf_k": config.retrieval.rrf_k,
            "candidates": config.retrieval.candidates,
            "unaccented_dense_weight": product_retrieval.UNACCENTED_DENSE_WEIGHT,
            "reranker": config.retrieval.reranker,
        },
        "embedding_model": assistant._current().store.model_id,
        "product_commit": git_commit(),
        "index_dir": str(target),
        "timing": {
            "index_build_seconds": round(build_seconds, 2),
            "embedding_seconds": round(report.seconds_embedding, 2),
            "chunks_embedded": report.embedded,
            "index_unchanged": report.unchanged,
            "first_build": _first_build(target, report, build_seconds),
            "evaluation_seconds": round(eval_seconds, 2),
            "retrieve_mean_latency_s": round(figures.pop("latency_retrieve_mean_s"), 4),
            "retrieve_p95_latency_s": round(figures.pop("latency_retrieve_p95_s"), 4),
        },
        **figures,
    }
    result["targets"] = targets(result["retrieval"])
    result["paired_R@1"] = paired(ranks)
    if sweep:
        result["fusion_sweep"] = sweep_fusion(probe, questions, progress)
    result["_ranks"] = ranks
    if not quiet:
        print(format_report(result))
    if json_path is not False:
        tag = fusion_tag(fusion)
        path = Path(json_path) if json_path else RESULTS_DIR / f"retrieval-n{distractors}-c{size}-o{ov}{tag}.json"
        write_json(path, {k: v for k, v in result.items() if not k.startswith("_")})
        if not quiet:
            print(f"\nwrote {path}")
    return result


def _first_build(index_dir: Path, report, seconds: float) -> dict | None:
    """Cost of the build that embedded this index, remembered beside it (re-runs embed nothing)."""
    import json

    path = Path(index_dir) / "build_stats.json"
    if report.embedded:
        stats = {
            "index_build_seconds": round(seconds, 2),
            "embedding_seconds": round(report.seconds_embedding, 2),
            "chunks_embedded": report.embedded,
            "chunks": report.chunks,
            "seconds_per_chunk": round(report.seconds_embedding / report.embedded, 3),
        }
        previous = json.loads(path.read_text()) if path.exists() else {}
        if report.embedded >= previous.get("chunks_embedded", 0):
            path.write_text(json.dumps(stats, indent=1))
    return json.loads(path.read_text()) if path.exists() else None


def targets(table: dict) -> dict:
    out = {}
    for form in FORMS:
        hybrid = table["hybrid"][form]["R@1"]
        out[f"hybrid_beats_every_arm_R@1_{form}"] = all(hybrid > table[arm][form]["R@1"] for arm in ARMS)
    acc, strip = table["hybrid"]["accented"]["R@1"], table["hybrid"]["stripped"]["R@1"]
    out["stripped_over_accented_hybrid_R@1"] = round(strip / acc, 4) if acc else None
    out["stripped_ge_0.9_accented"] = bool(acc and strip >= 0.9 * acc)
    return out


def paired(ranks: dict) -> dict:
    """Questions the hybrid gets right at rank 1 and an arm does not, and the reverse (a sign test's inputs)."""
    out = {}
    for form in FORMS:
        h = [r == 1 for r in ranks["hybrid"][form]]
        for arm in ("lexical", "dense"):
            a = [r == 1 for r in ranks[arm][form]]
            out[f"{form}_hybrid_vs_{arm}"] = {
                "hybrid_only": sum(x and not y for x, y in zip(h, a)),
                f"{arm}_only": sum(y and not x for x, y in zip(h, a)),
            }
    return out


def format_table(table: dict) -> str:
    lines = ["| method | accented R@1 | R@5 | MRR@10 | stripped R@1 | R@5 | MRR@10 |", "|---|---|---|---|---|---|---|"]
    for m in METHODS:
        cells = [f"{table[m][f][k]:.3f}" for f in FORMS for k in ("R@1", "R@5", "MRR@10")]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_report(r: dict) -> str:
    out = [
        f"## Retrieval: {r['passages']} XQuAD-vi passages + {r['distractors']} VNTC distractors, "
        f"{r['chunks']} chunks (size {r['chunking']['size']}, overlap {r['chunking']['overlap']}), "
        f"{r['questions']} questions",
        "",
        format_table(r["retrieval"]),
        "",
    ]
    if "answers" in r:
        out += ["| answer (default `ask`) | accented | stripped |", "|---|---|---|"]
        for key in ("contains_gold_answer", "first_citation_gold", "refused"):
            out.append(f"| {key} | {r['answers']['accented'][key]:.3f} | {r['answers']['stripped'][key]:.3f} |")
        out.append("")
    t = r["timing"]
    first = t.get("first_build") or {}
    out.append(
        f"timing: build {t['index_build_seconds']} s this run ({t['chunks_embedded']} chunks embedded); "
        f"first build {first.get('index_build_seconds', '?')} s, embedding {first.get('embedding_seconds', '?')} s; "
        f"retrieve() mean {t['retrieve_mean_latency_s'] * 1000:.0f} ms, p95 {t['retrieve_p95_latency_s'] * 1000:.0f} ms"
    )
    pr = r.get("paired_R@1", {})
    if pr:
        out.append(
            "R@1 wins/losses of hybrid vs lexical: accented +{}/-{}, stripped +{}/-{}".format(
                pr["accented_hybrid_vs_lexical"]["hybrid_only"],
                pr["accented_hybrid_vs_lexical"]["lexical_only"],
                pr["stripped_hybrid_vs_lexical"]["hybrid_only"],
                pr["stripped_hybrid_vs_lexical"]["lexical_only"],
            )
        )
    tg = r["targets"]
    out.append(
        f"targets: hybrid R@1 > every arm: accented {tg['hybrid_beats_every_arm_R@1_accented']}, "
        f"stripped {tg['hybrid_beats_every_arm_R@1_stripped']}; stripped/accented hybrid R@1 = "
        f"{tg['stripped_over_accented_hybrid_R@1']} (>= 0.9: {tg['stripped_ge_0.9_accented']})"
    )
    if r.get("fusion_sweep"):
        out += [
            "",
            format_sweep(r["fusion_sweep"]["rows"]),
            "",
            "cross-check (tuned on one half of the articles, "
            "scored on the other): " + json.dumps(r["fusion_sweep"]["cross_check"]),
        ]
    return "\n".join(out)


def format_sweep(rows: list[dict]) -> str:
    """Hybrid R@1 (MRR@10) by weight x bigram_weight (score fusion); lexical_weight = 1 throughout."""
    out = ["### Fusion sweep: hybrid R@1 (MRR@10), score fusion, lexical_weight = 1"]
    for form, key, label in (
        ("accented", "dense_weight", "dense_weight"),
        ("stripped", "unaccented_dense_weight", "UNACCENTED_DENSE_WEIGHT (dense_weight = 1)"),
    ):
        sub = [row for row in rows if row["form"] == form and row["fusion"] == "score"]
        bs = sorted({row["bigram_weight"] for row in sub})
        out += [
            "",
            f"{form} questions, rows = {label}:",
            "",
            "| weight | " + " | ".join(f"bigram_weight={b}" for b in bs) + " |",
            "|---" * (len(bs) + 1) + "|",
        ]
        for w in sorted({row[key] for row in sub}):
            cells = {row["bigram_weight"]: f"{row['R@1']:.3f} ({row['MRR@10']:.3f})" for row in sub if row[key] == w}
            out.append(f"| {w} | " + " | ".join(cells[b] for b in bs) + " |")
        for row in rows:
            if row["form"] == form and row["fusion"] == "rrf":
                out.append(
                    f"reciprocal-rank fusion (no bigrams), {label.split()[0]} {row[key]}, "
                    f"rrf_k {row['rrf_k']}: {row['R@1']:.3f} ({row['MRR@10']:.3f})"
                )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distractors", type=int, default=1000, help="VNTC documents added (default 1000)")
    parser.add_argument("--index-dir", help="index folder (default benchmarks/.cache/retrieval-n<N>-c<S>-o<O>)")
    parser.add_argument("--json", help="result file (default benchmarks/results/retrieval-n<N>-c<S>-o<O>.json)")
    parser.add_argument("--limit-questions", type=int, help="evaluate a fixed random subset of M questions")
    parser.add_argument("--limit-passages", type=int, help="index only the first P XQuAD passages")
    parser.add_argument("--chunk-size", type=int, help="override [chunking] size")
    parser.add_argument("--overlap", type=int, help="override [chunking] overlap (sentences)")
    parser.add_argument("--no-answers", action="store_true", help="skip the ask() answer rates")
    parser.add_argument("--sweep-fusion", action="store_true", help="also grid-search the fusion weights")
    parser.add_argument(
        "--no-vector-reuse",
        action="store_true",
        help="embed every chunk this index lacks (honest build timing; use with a new --index-dir)",
    )
    add_fusion_args(parser)
    args = parser.parse_args(argv)
    fusion = fusion_of(args)
    run(
        args.distractors,
        args.index_dir,
        args.json,
        args.limit_questions,
        args.chunk_size,
        args.overlap,
        args.limit_passages,
        with_answers=not args.no_answers,
        sweep=args.sweep_fusion,
        fusion=fusion,
        reuse_vectors=not args.no_vector_reuse,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
