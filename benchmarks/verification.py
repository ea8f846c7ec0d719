"""Time the citation verifier (assistant.verification.verify) on synthetic LLM answers.

Each answer gets 5 passages of about 600 characters cut from seeds/*.txt (sentence-aligned, as the
index cuts them) and 2-5 claims written from sentences of those passages: some copied, some shortened,
some with a changed number, a wrong or missing source, markers in every format, some typed without
diacritics. Every call prepares its passages from scratch, as it will for a live answer.

    .venv/bin/python benchmarks/verification.py                  # 2000 answers
    .venv/bin/python benchmarks/verification.py --answers 500 --mode flag
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assistant import text, verification  # noqa: E402
from assistant.answering import IdfTable  # noqa: E402
from assistant.chunking import chunk_document  # noqa: E402
from assistant.text import fold, normalize, syllables  # noqa: E402
from assistant.types import Passage  # noqa: E402
from assistant.verification import verify  # noqa: E402

SEEDS = ROOT / "seeds"
PASSAGES_PER_ANSWER = 5
CHUNK_SIZE = 800  # sentence-aligned chunks of at most 800 characters average about 600 on the seeds
MARKER_FORMATS = ("[{a}]", "[{a}, {b}]", "[{a},{b}]", "[{a}][{b}]", "[{a}] [{b}]")


def seed_passages(size: int = CHUNK_SIZE) -> list[Passage]:
    passages = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = normalize(path.read_text(encoding="utf-8"))
        for i, chunk in enumerate(chunk_document(path.stem, text, size=size, overlap=1)):
            passages.append(
                Passage(
                    doc_id=path.stem,
                    title=path.stem,
                    source=path.name,
                    text=text[chunk.start : chunk.end],
                    start=chunk.start,
                    end=chunk.end,
                    score=1.0,
                    chunk=i,
                    sentences=[(s.start, s.end) for s in chunk.sentences],
                )
            )
    return passages


def _claim(rng: random.Random, passages: list[Passage]) -> tuple[str, str]:
    """One sentence of a synthetic answer with its marker(s), and what was done to it."""
    k = rng.randrange(len(passages))
    p = passages[k]
    spans = [(s, e) for s, e in p.sentences if e - s > 30] or p.sentences
    s, e = rng.choice(spans)
    sentence = p.text[s - p.start : e - p.start].rstrip(" .;:")
    words = sentence.split()
    if len(words) > 25:  # an LLM shortens: keep the head of the sentence, or a window of it
        i = 0 if rng.random() < 0.6 else rng.randrange(len(words) - 20)
        words = words[i : i + rng.randint(12, 20)]
    quote = " ".join(words)
    kind = "copied"
    roll = rng.random()
    if roll < 0.15 and any(w.isdigit() for w in words):
        words, kind = [str(int(w) + 1) if w.isdigit() else w for w in words], "changed_number"
    elif roll < 0.25:
        words, kind = [fold(w) for w in words], "unaccented"
    elif roll < 0.35:
        k, kind = (k + 1) % len(passages), "wrong_source"
    text = " ".join(words)
    text = text[0].upper() + text[1:]
    roll = rng.random()
    if roll < 0.05:
        return text + ".", "no_marker"
    if roll < 0.1:
        return text + " [7].", "unknown_source"
    fmt = rng.choice(MARKER_FORMATS)
    other = rng.randrange(len(passages))
    cited = {k, other} if "{b}" in fmt else {k}
    marker = fmt.format(a=k + 1, b=other + 1) if other != k else f"[{k + 1}]"
    if kind == "wrong_source" and any(quote in passages[i].text for i in cited):
        kind = "copied"  # passages overlap by a sentence, and the seeds repeat a paragraph
    return (f"{text} {marker}." if rng.random() < 0.7 else f"{text}. {marker}"), kind


def synthetic_answers(n: int, seed: int = 0) -> list[tuple[str, list[Passage], list[str]]]:
    """(answer, its 5 passages, what was done to each claim)."""
    rng = random.Random(seed)
    pool = seed_passages()
    out = []
    for _ in range(n):
        passages = rng.sample(pool, PASSAGES_PER_ANSWER)
        claims = [_claim(rng, passages) for _ in range(rng.randint(2, 5))]
        out.append((" ".join(c for c, _ in claims), passages, [k for _, k in claims]))
    return out


def _stats(times: list[float]) -> dict:
    times = sorted(times)
    pct = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    return {
        "mean_ms": round(statistics.mean(times), 3),
        "p50_ms": round(pct(0.50), 3),
        "p95_ms": round(pct(0.95), 3),
        "max_ms": round(times[-1], 3),
    }


def seeds_idf() -> IdfTable:
    """Syllable IDF over the seed passages, as the index would give it (for --idf)."""
    pool = seed_passages()
    df: dict[str, int] = {}
    df_folded: dict[str, int] = {}
    for p in pool:
        tokens = syllables(p.text)
        for t in set(tokens):
            df[t] = df.get(t, 0) + 1
        for t in {fold(t) for t in tokens}:
            df_folded[t] = df_folded.get(t, 0) + 1
    return IdfTable(len(pool), df, df_folded)


class _ReplayLLM:
    """A zero-latency backend replaying a written answer in small pieces, as a model streams."""

    name, context_window, max_tokens = "replay", 32768, 512

    def __init__(self):
        self.text = ""

    def stream(self, messages):
        for i in range(0, len(self.text), 4):
            yield self.text[i : i + 4]

    def complete(self, messages):
        return self.text

    def count_tokens(self, text_: str) -> int:
        return len(text_.encode("utf-8")) // 2 + 1


def _streamed_answerer(mode: str, threshold: float | None, table: IdfTable | None):
    from assistant.answering import ExtractiveAnswerer
    from assistant.config import PROMPTS_DIR, load_config
    from assistant.generation import LLMAnswerer
    from assistant.prompts import Prompts

    overrides = {"answer.verify": mode}
    if threshold is not None:
        overrides["answer.verify_threshold"] = threshold
    config = load_config(overrides=overrides, environ={})
    table = table or IdfTable(1, {}, {})
    llm = _ReplayLLM()
    return llm, LLMAnswerer(llm, config.answer, table, ExtractiveAnswerer(config.answer, table), Prompts(PROMPTS_DIR))


def run(
    answers: int = 2000,
    seed: int = 0,
    mode: str = "remove",
    warmup: int = 20,
    threshold: float | None = None,
    idf: bool = True,
) -> dict:
    """Time verify() per answer twice: with the syllable memo warm (a running server) and emptied
    before every call (the first answer after start-up); then the whole streamed LLM path
    (generation.LLMAnswerer over a zero-latency model: prompt, per-sentence checks, final check)."""
    cases = synthetic_answers(answers, seed)
    table = seeds_idf() if idf else None
    kw = {"mode": mode, "threshold": threshold, "idf": table}
    for answer, passages, _ in cases[:warmup]:
        verify(answer, passages, **kw)
    replay, answerer = _streamed_answerer(mode, threshold, table)
    streamed: list[float] = []
    for answer, passages, _ in cases:
        replay.text = answer
        t0 = time.perf_counter()
        for _ in answerer.stream("Câu hỏi?", passages):
            pass
        streamed.append((time.perf_counter() - t0) * 1000)
    warm, cold, verified, claims = [], [], 0, 0
    by_kind: dict[str, list[int]] = {}
    for answer, passages, kinds in cases:
        t0 = time.perf_counter()
        result = verify(answer, passages, **kw)
        warm.append((time.perf_counter() - t0) * 1000)
        text._CANONICAL.clear()
        t0 = time.perf_counter()
        verify(answer, passages, **kw)
        cold.append((time.perf_counter() - t0) * 1000)
        verified += result.verified
        claims += len(result.claims)
        if len(result.claims) == len(kinds):  # a claim split in two is left out of the rates
            for kind, claim in zip(kinds, result.claims):
                by_kind.setdefault(kind, []).append(claim.supported)
    chars = [sum(len(p.text) for p in ps) / len(ps) for _, ps, _ in cases]
    return {
        "answers": answers,
        "passages_per_answer": PASSAGES_PER_ANSWER,
        "mode": mode,
        "seed": seed,
        "threshold": verification.MIN_OVERLAP if threshold is None else threshold,
        "idf": idf,
        "mean_passage_chars": round(statistics.mean(chars), 1),
        "mean_answer_chars": round(statistics.mean(len(a) for a, _, _ in cases), 1),
        "claims_per_answer": round(claims / answers, 2),
        "answers_verified": round(verified / answers, 3),
        **_stats(warm),
        "cold": _stats(cold),
        "streamed": _stats(streamed),
        "supported_by_kind": {
            k: {"claims": len(v), "supported": round(sum(v) / len(v), 3)} for k, v in sorted(by_kind.items())
        },
    }


def format_report(r: dict) -> str:
    rows = [
        f"verify(): {r['answers']} synthetic answers x {r['passages_per_answer']} passages "
        f"(~{r['mean_passage_chars']:.0f} chars each), {r['claims_per_answer']} claims/answer "
        f"(~{r['mean_answer_chars']:.0f} chars), mode={r['mode']}, threshold={r['threshold']}, "
        f"weights={'idf' if r['idf'] else 'uniform'}",
        f"{'ms per answer':<14} {'mean':>7} {'p50':>7} {'p95':>7} {'max':>7}",
    ]
    for label, t in (("warm memo", r), ("cold memo", r["cold"]), ("streamed path", r["streamed"])):
        rows.append(f"{label:<14} {t['mean_ms']:>7.2f} {t['p50_ms']:>7.2f} {t['p95_ms']:>7.2f} {t['max_ms']:>7.2f}")
    rows.append(f"{'claim kind':<16} {'claims':>7} {'supported':>10}")
    for kind, v in r["supported_by_kind"].items():
        rows.append(f"{kind:<16} {v['claims']:>7} {v['supported']:>10.1%}")
    rows.append(f"answers verified: {r['answers_verified']:.1%}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mode", choices=("remove", "flag"), default="remove")
    ap.add_argument("--threshold", type=float, default=None, help="default: assistant.verification.MIN_OVERLAP")
    ap.add_argument("--uniform", action="store_true", help="uniform syllable weights (the product uses IDF)")
    ap.add_argument("--show", type=int, default=0, help="print this many answers with their verdicts")
    args = ap.parse_args(argv)
    print(format_report(run(args.answers, args.seed, args.mode, threshold=args.threshold, idf=not args.uniform)))
    for answer, passages, kinds in synthetic_answers(args.show, args.seed):
        result = verify(answer, passages, mode=args.mode, threshold=args.threshold)
        print("\n" + answer + "\n→ " + result.text)
        for c, kind in zip(result.claims, kinds + [""] * len(result.claims)):
            text = re.sub(r"\s+", " ", c.text)[:70]
            print(f"   {'OK ' if c.supported else 'BAD'} {kind:<15} {c.reasons} {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
