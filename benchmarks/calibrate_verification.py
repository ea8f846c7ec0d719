"""Calibrate the citation verifier's overlap threshold ([answer] verify_threshold) on XQuAD-vi.

Too low, a claim cited to the wrong passage passes; too high, a true claim is dropped. Claims shaped
like LLM answer sentences are built from the 1,190 questions: positives (the question turned into a
statement with the gold answer; the gold sentence, shortened) cited to the 600-char chunk of the gold
passage that holds the answer; negatives: the same claims cited to the most similar chunk (BM25) of
another passage without the answer, or with one number changed; each also folded (no diacritics).
IDF is counted over all 240 passages' chunks. The setting with the best F1 and wrong-source
acceptance <= 5% on one half of the questions (--seed) is reported on the other half. verify() runs
once per claim at threshold 0; the verdict at t is "supported at 0 and overlap >= t" (exact for one
cited passage, spot-checked against real calls).

    .venv/bin/python benchmarks/calibrate_verification.py                   # all 1,190 questions, ~20 s
    .venv/bin/python benchmarks/calibrate_verification.py --limit-questions 200 --json ''
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import re
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import RESULTS_DIR, git_commit, load_passages, load_questions, write_json  # noqa: E402
else:
    from .common import RESULTS_DIR, git_commit, load_passages, load_questions, write_json

from assistant import verification  # noqa: E402
from assistant.answering import STOPWORDS, IdfTable  # noqa: E402
from assistant.chunking import chunk_document, split_sentences  # noqa: E402
from assistant.text import fold, normalize, syllables  # noqa: E402
from assistant.types import Passage  # noqa: E402

SEED = 7
CHUNK_SIZE, CHUNK_OVERLAP = 600, 1  # the index defaults (assistant.example.toml)
THRESHOLDS = [round(0.3 + 0.05 * i, 2) for i in range(13)]  # 0.3 .. 0.9
MAX_FALSE_ACCEPTANCE = 0.05
FORMS = ("accented", "unaccented")
SETTINGS = (("uniform", False), ("idf", True))
NEGATIVES = ("wrong_source", "changed_number")
SPOT_CHECK = 60  # claims re-verified at every threshold to confirm the threshold-0 shortcut
DEFAULT_JSON = RESULTS_DIR / "verification-calibration.json"

# Wh-phrases, most specific first. A wh-word proper is looked for before "{noun} nào", which keeps
# its noun ("đội nào" -> "đội Denver Broncos") and is often a quantifier ("bất kỳ vấn đề nào").
_WHY = r"tại sao|vì sao|do đâu|vì lý do gì|vì lí do gì"
_WH = re.compile(
    r"(?<!\w)(?P<why>" + _WHY + r")(?!\w)"
    r"|(?<!\w)(?P<prep>ở|tại) đâu(?!\w)"
    r"|(?<!\w)(?P<full>như thế nào|thế nào|ra sao|bằng cách nào|khi nào|lúc nào|bao giờ|bao lâu|bao nhiêu|mấy"
    r"|đâu|ai|(?:cái|điều|những|việc) gì|gì)(?!\w)",
    re.IGNORECASE,
)
_WH_NOUN = re.compile(r"(?<!\w)(?P<noun>\w+) nào(?!\w)", re.IGNORECASE)
_NUM = re.compile(r"(?<![\w.,/:])\d+(?:[.,/:]\d+)*")


# ------------------------------------------------------------------------------------------ claims


def statement(question: str, answer: str) -> str:
    """The question as a statement: its wh-phrase replaced by the answer, no question mark."""
    q = " ".join(question.split()).rstrip(" ?？.")
    answer = answer.strip().rstrip(" .;,")
    # "Ai" capitalised inside the question is a name ("Ai Cập"), not "who".
    m = next((m for m in _WH.finditer(q) if m.group() != "Ai" or m.start() == 0), None) or _WH_NOUN.search(q)
    if m is None:
        s = f"{q} {answer}"
    elif m.re is _WH_NOUN:
        noun = m.group("noun")
        head = answer if answer.lower().startswith(noun.lower() + " ") else f"{noun} {answer}"
        s = q[: m.start()] + head + q[m.end() :]
    elif m.group("why"):
        s = (q[: m.start()] + q[m.end() :]).strip(" ,") + " vì " + answer
    elif m.group("prep"):
        prep = m.group("prep")
        head = answer if answer.lower().startswith(("ở ", "tại ", "trong ")) else f"{prep} {answer}"
        s = q[: m.start()] + head + q[m.end() :]
    else:
        s = q[: m.start()] + answer + q[m.end() :]
    s = " ".join(s.split()).strip(" ,")
    return s[:1].upper() + s[1:]


def shorten(sentence: str, rel_answer: int, answer_len: int, max_words: int = 25, window: int = 20) -> str:
    """The sentence without end punctuation; a long one cut to its clauses (split at , and ;) around
    the answer, with the first clause (usually the subject) when it fits, else ~`window` words."""

    def cap(text: str) -> str:
        text = text.strip().strip("\"“”'").rstrip(" .;:,!?…").lstrip(" ,;:-–")
        return text[:1].upper() + text[1:]

    n_words = lambda a, b: len(sentence[a:b].split())  # noqa: E731
    if n_words(0, len(sentence)) <= max_words:
        return cap(sentence)
    cuts = [0] + [m.end() for m in re.finditer(r"[,;]\s", sentence)] + [len(sentence)]
    clauses = list(zip(cuts, cuts[1:]))
    hit = [i for i, (a, b) in enumerate(clauses) if a < rel_answer + answer_len and b > rel_answer]
    lo, hi = hit[0], hit[-1]
    if n_words(clauses[lo][0], clauses[hi][1]) > max_words:  # one long clause: a window of words
        words = [(m.start(), m.end()) for m in re.finditer(r"\S+", sentence)]
        first = next((i for i, (s, e) in enumerate(words) if e > rel_answer), 0)
        last = next((i for i, (s, e) in enumerate(words) if e >= rel_answer + answer_len), len(words) - 1)
        start = max(0, min(first - 6, len(words) - window))
        end = max(start + window, last + 1)
        return cap(sentence[words[start][0] : words[min(end, len(words)) - 1][1]])
    keep = list(range(lo, hi + 1))
    size = lambda ks: sum(n_words(*clauses[k]) for k in ks)  # noqa: E731
    if lo > 0 and size(keep + [0]) <= max_words:
        keep.append(0)
    for d in range(1, len(clauses)):  # then the nearest clauses, right before left, while they fit
        for k in (hi + d, lo - d):
            if 0 <= k < len(clauses) and k not in keep and size(keep + [k]) <= max_words:
                keep.append(k)
    return cap(", ".join(sentence[a:b].strip().rstrip(",;") for a, b in (clauses[k] for k in sorted(keep))))


def change_number(claim: str, evidence: str) -> str | None:
    """The claim with its first number changed (last digit group + k) to one absent from `evidence`.

    Absent also as a part: the verifier matches "3" in "3:08" and "207" in "AS-207/208", so every digit
    run of the evidence counts as present (a superset of what the verifier would find)."""
    present = set(_NUM.findall(evidence)) | {d.lstrip("0") or "0" for d in re.findall(r"\d+", evidence)}
    for m in _NUM.finditer(claim):
        token = m.group()
        head, last = re.match(r"(.*?)(\d+)$", token).groups()
        for k in range(1, 10):
            new_last = str(int(last) + k).zfill(len(last))
            new = head + new_last
            if new not in present and (new_last.lstrip("0") or "0") not in present:
                return claim[: m.start()] + new + claim[m.end() :]
    return None


# ------------------------------------------------------------------------------------------ corpus


class Corpus:
    """The 240 passages (normalised, as indexed), their 600-character chunks as Passages, the IDF
    table over the chunks and a small BM25 over content syllables to find the hardest wrong chunk."""

    def __init__(self, passages: list[dict]):
        self.text: dict[str, str] = {}
        self.title: dict[str, str] = {}
        self.chunks: list[Passage] = []
        self.by_passage: dict[str, list[int]] = {}
        for p in passages:
            text, title = normalize(p["text"]), p["title"].replace("_", " ")
            self.text[p["id"]], self.title[p["id"]] = text, title
            for i, c in enumerate(chunk_document(p["id"], text, CHUNK_SIZE, CHUNK_OVERLAP)):
                self.by_passage.setdefault(p["id"], []).append(len(self.chunks))
                self.chunks.append(
                    Passage(
                        doc_id=p["id"],
                        title=title,
                        source="xquad_vi.passages.jsonl",
                        text=text[c.start : c.end],
                        start=c.start,
                        end=c.end,
                        score=1.0,
                        chunk=i,
                        sentences=[(s.start, s.end) for s in c.sentences],
                    )
                )
        # What the index counts df over: the chunk text with its document title (store.embed_text).
        tokens = [syllables(p.text if p.text.startswith(p.title) else f"{p.title}\n{p.text}") for p in self.chunks]
        df: dict[str, int] = {}
        df_folded: dict[str, int] = {}
        for toks in tokens:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
            for t in {fold(t) for t in toks}:
                df_folded[t] = df_folded.get(t, 0) + 1
        self.lower = {pid: t.lower() for pid, t in self.text.items()}
        self.idf = IdfTable(len(self.chunks), df, df_folded)
        # BM25 (k1 1.5, b 0.75) on accented syllables.
        self._tf = [{} for _ in tokens]
        for tf, toks in zip(self._tf, tokens):
            for t in toks:
                tf[t] = tf.get(t, 0) + 1
        self._len = [len(t) for t in tokens]
        self._avg = sum(self._len) / max(1, len(self._len))
        self._postings: dict[str, list[int]] = {}
        for i, tf in enumerate(self._tf):
            for t in tf:
                self._postings.setdefault(t, []).append(i)

    def gold_chunk(self, pid: str, start: int, end: int) -> Passage:
        """The chunk of passage `pid` holding [start, end) whole, else the one holding `start`."""
        ids = self.by_passage[pid]
        for i in ids:
            if self.chunks[i].start <= start and end <= self.chunks[i].end:
                return self.chunks[i]
        return next(
            (self.chunks[i] for i in ids if self.chunks[i].start <= start < self.chunks[i].end), self.chunks[ids[0]]
        )

    def hardest_wrong(self, claim: str, excluded: set[str]) -> Passage | None:
        """The chunk most similar to the claim (BM25, content syllables) of a passage not in `excluded`."""
        query = [t for t in dict.fromkeys(syllables(claim)) if t not in STOPWORDS and not t.isdigit()]
        scores: dict[int, float] = {}
        n = len(self.chunks)
        for t in query:
            post = self._postings.get(t, ())
            idf = math.log(1 + (n - len(post) + 0.5) / (len(post) + 0.5))
            for i in post:
                f = self._tf[i][t]
                scores[i] = scores.get(i, 0.0) + idf * f * 2.5 / (f + 1.5 * (0.25 + 0.75 * self._len[i] / self._avg))
        ranked = sorted(scores, key=lambda i: (-scores[i], i))
        return next((self.chunks[i] for i in ranked if self.chunks[i].doc_id not in excluded), None)


def locate_answer(text: str, answer: str, near: int) -> int:
    """Offset of the answer in the normalised passage: the occurrence closest to the raw answer_start."""
    hits = [m.start() for m in re.finditer(re.escape(answer), text)]
    if not hits:
        hits = [m.start() for m in re.finditer(re.escape(answer.lower()), text.lower())]
    return min(hits, key=lambda h: abs(h - near)) if hits else -1


def build_claims(questions: list[dict], corpus: Corpus, seed: int = SEED) -> tuple[list[dict], dict]:
    """Labelled claims (one row per claim and form) and counts of what was skipped."""
    order = sorted(q["id"] for q in questions)
    random.Random(seed).shuffle(order)
    half_of = {qid: ("calibration" if i < (len(order) + 1) // 2 else "held_out") for i, qid in enumerate(order)}
    rows: list[dict] = []
    skipped = {"answer_not_found": 0, "no_wrong_passage": 0, "no_number": 0}
    for q in questions:
        pid, answer = q["passage_id"], normalize(q["answer"]).strip()
        text = corpus.text[pid]
        pos = locate_answer(text, answer, q["answer_start"])
        if pos < 0:
            skipped["answer_not_found"] += 1
            continue
        end = pos + len(answer)
        spans = [s for s in split_sentences(text) if s.start < end and s.end > pos] or [
            min(split_sentences(text), key=lambda s: abs(s.start - pos))
        ]
        s0, s1 = spans[0].start, spans[-1].end
        gold = corpus.gold_chunk(pid, s0, s1)
        claims = {
            "question": statement(normalize(q["question"]), answer),
            "sentence": shorten(text[s0:s1], pos - s0, len(answer)),
        }
        # Passages that contain the answer could support the claim: never a wrong source.
        excluded = {p for p, t in corpus.lower.items() if answer.lower() in t} | {pid}
        for kind, claim in claims.items():
            cases = [("positive", claim, gold)]
            wrong = corpus.hardest_wrong(claim, excluded)
            if wrong is None:
                skipped["no_wrong_passage"] += 1
            else:
                cases.append(("wrong_source", claim, wrong))
            changed = change_number(claim, gold.text)
            if changed is None:
                skipped["no_number"] += 1
            else:
                cases.append(("changed_number", changed, gold))
            for label, text_, passage in cases:
                for form in FORMS:
                    written = text_ if form == "accented" else fold(text_)
                    rows.append(
                        {
                            "qid": q["id"],
                            "half": half_of[q["id"]],
                            "kind": kind,
                            "label": label,
                            "form": form,
                            "answer": f"{written} [1].",
                            "passage": passage,
                        }
                    )
    return rows, skipped


# ------------------------------------------------------------------------------------------ verify


def _verdicts(result) -> tuple[bool, float]:
    """(every claim supported at threshold 0, lowest overlap among threshold-dependent claims)."""
    claims = [c for c in result.claims if c.kind == "claim"]
    ok = bool(claims) and all(c.supported for c in result.claims)
    return ok, min((c.overlap for c in claims), default=1.0)


def score_rows(rows: list[dict], corpus: Corpus) -> None:
    """Adds ok0/overlap (per weighting) and `n_claims` to every row: one verify() call per setting."""
    for r in rows:
        for name, use_idf in SETTINGS:
            result = verification.verify(
                r["answer"], [r["passage"]], mode="remove", threshold=0.0, idf=corpus.idf if use_idf else None
            )
            r[f"ok0_{name}"], r[f"overlap_{name}"] = _verdicts(result)
            r["n_claims"] = len(result.claims)
            r.setdefault("reasons", {})[name] = [x for c in result.claims for x in c.reasons]


def accepted(r: dict, setting: str, threshold: float) -> bool:
    return r[f"ok0_{setting}"] and r[f"overlap_{setting}"] >= threshold - 1e-9


def spot_check(rows: list[dict], corpus: Corpus, n: int = SPOT_CHECK) -> dict:
    """Real verify() calls at every threshold on a fixed sample: mismatches with the shortcut."""
    sample = random.Random(1).sample(rows, min(n, len(rows)))
    calls = mismatches = 0
    for r in sample:
        for name, use_idf in SETTINGS:
            for t in THRESHOLDS:
                res = verification.verify(r["answer"], [r["passage"]], threshold=t, idf=corpus.idf if use_idf else None)
                real = bool([c for c in res.claims if c.kind == "claim"]) and all(c.supported for c in res.claims)
                calls += 1
                mismatches += real != accepted(r, name, t)
    return {"claims": len(sample), "calls": calls, "mismatches": mismatches}


# ------------------------------------------------------------------------------------------ figures


def figures(rows: list[dict], setting: str, threshold: float) -> dict:
    """Supported = predicted positive; positives vs all negatives, and each negative's acceptance."""
    n = {k: 0 for k in ("positive", *NEGATIVES)}
    acc = dict(n)
    for r in rows:
        n[r["label"]] += 1
        acc[r["label"]] += accepted(r, setting, threshold)
    tp, fp = acc["positive"], acc["wrong_source"] + acc["changed_number"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / n["positive"] if n["positive"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    rate = lambda k: round(acc[k] / n[k], 4) if n[k] else 0.0  # noqa: E731
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "false_acceptance": rate("wrong_source"),
        "changed_number_accepted": rate("changed_number"),
        "true_rejected": round(1 - recall, 4) if n["positive"] else 0.0,
        "n_positive": n["positive"],
        "n_wrong_source": n["wrong_source"],
        "n_changed_number": n["changed_number"],
    }


def grid(rows: list[dict]) -> dict:
    """setting -> form ("accented", "unaccented", "both") -> [figures at each threshold]."""
    out = {}
    for name, _ in SETTINGS:
        out[name] = {}
        for form in (*FORMS, "both"):
            sub = rows if form == "both" else [r for r in rows if r["form"] == form]
            out[name][form] = [{"threshold": t, **figures(sub, name, t)} for t in THRESHOLDS]
    return out


def choose(cal: dict, forms=FORMS) -> dict:
    """Max F1 (over `forms` pooled) with wrong-source acceptance <= 5% in each of `forms`; if no
    setting meets that, the lowest worst-form false acceptance (then best F1)."""
    pooled = "both" if len(forms) > 1 else forms[0]
    candidates = []
    for name, _ in SETTINGS:
        for i, t in enumerate(THRESHOLDS):
            fa = max(cal[name][f][i]["false_acceptance"] for f in forms)
            f1 = cal[name][pooled][i]["f1"]
            candidates.append(
                (fa <= MAX_FALSE_ACCEPTANCE, f1 if fa <= MAX_FALSE_ACCEPTANCE else -fa, f1, -fa, -t, name, t)
            )
    best = max(candidates)
    return {"setting": best[5], "idf": best[5] == "idf", "threshold": best[6], "meets_constraint": best[0]}


def run(limit_questions: int | None = None, json_path=None, quiet: bool = False, seed: int = SEED) -> dict:
    """Build the claims, verify them, calibrate on one half and report on the other.

    json_path: None = benchmarks/results/verification-calibration.json; False or "" = no file."""
    t0 = time.perf_counter()
    passages = load_passages()
    questions = load_questions()
    if limit_questions and limit_questions < len(questions):
        keep = set(random.Random(0).sample(range(len(questions)), limit_questions))
        questions = [q for i, q in enumerate(questions) if i in keep]
    corpus = Corpus(passages)
    rows, skipped = build_claims(questions, corpus, seed)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    score_rows(rows, corpus)
    t_verify = time.perf_counter() - t1
    check = spot_check(rows, corpus)

    halves = {h: [r for r in rows if r["half"] == h] for h in ("calibration", "held_out")}
    grids = {h: grid(rs) for h, rs in halves.items()}
    rec = choose(grids["calibration"])
    i = THRESHOLDS.index(rec["threshold"])
    s = rec["setting"]

    def at(half: str, setting: str, idx: int) -> dict:
        return {f: grids[half][setting][f][idx] for f in (*FORMS, "both")}

    current = verification.MIN_OVERLAP
    per_kind = {}
    for kind in ("question", "sentence"):
        sub = [r for r in halves["held_out"] if r["kind"] == kind]
        per_kind[kind] = {f: figures([r for r in sub if r["form"] == f], s, rec["threshold"]) for f in FORMS}
    per_form = {}
    for form in FORMS:
        c = choose(grids["calibration"], (form,))
        per_form[form] = {**c, "held_out": grids["held_out"][c["setting"]][form][THRESHOLDS.index(c["threshold"])]}
    reasons: dict[str, dict[str, int]] = {}  # why positives are rejected / negatives caught, at threshold 0
    for r in rows:
        for x in r["reasons"][s]:
            key = x.split(":")[0]
            bucket = reasons.setdefault(r["label"], {})
            bucket[key] = bucket.get(key, 0) + 1
    result = {
        "benchmark": "calibrate_verification",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "product_commit": git_commit(),
        "seed": seed,
        "questions": len(questions),
        "passages": len(passages),
        "chunks": len(corpus.chunks),
        "chunking": {"size": CHUNK_SIZE, "overlap": CHUNK_OVERLAP},
        "claims": {
            h: {lab: sum(r["label"] == lab for r in rs) for lab in ("positive", *NEGATIVES)} for h, rs in halves.items()
        },
        "skipped": skipped,
        "multi_sentence_claims": sum(r["n_claims"] > 1 for r in rows),
        "max_false_acceptance": MAX_FALSE_ACCEPTANCE,
        "thresholds": THRESHOLDS,
        "recommended": {
            **rec,
            "calibration": at("calibration", s, i),
            "held_out": at("held_out", s, i),
            "held_out_by_kind": per_kind,
            "all": {f: figures([r for r in rows if r["form"] == f], s, rec["threshold"]) for f in FORMS},
        },
        "per_form_choice": per_form,
        "current_min_overlap": {
            "threshold": current,
            **{
                name: {
                    "held_out": {
                        f: figures([r for r in halves["held_out"] if r["form"] == f], name, current) for f in FORMS
                    }
                }
                for name, _ in SETTINGS
            },
        },
        "reasons_at_threshold_0": reasons,
        "grid": grids,
        "spot_check": check,
        "examples": [
            {k: (r[k] if k != "passage" else r[k].text[:160]) for k in ("label", "kind", "answer", "passage")}
            for r in rows[:12]
            if r["form"] == "accented"
        ],
        "timing": {
            "build_seconds": round(t_build, 2),
            "verify_seconds": round(t_verify, 2),
            "verify_calls": 2 * len(rows),
            "ms_per_call": round(1000 * t_verify / max(1, 2 * len(rows)), 3),
            "total_seconds": round(time.perf_counter() - t0, 2),
        },
    }
    if not quiet:
        print(format_report(result))
    if json_path is not False and json_path != "":
        path = Path(json_path) if json_path else DEFAULT_JSON
        write_json(path, result)
        if not quiet:
            print(f"\nwrote {path}")
    return result


def _line(label: str, f: dict) -> str:
    return (
        f"{label:<30} {f['precision']:>5.3f} {f['recall']:>5.3f} {f['f1']:>5.3f} {f['false_acceptance']:>6.1%} "
        f"{f['changed_number_accepted']:>6.1%} {f['true_rejected']:>6.1%}"
    )


def format_report(r: dict) -> str:
    c = r["claims"]
    out = [
        f"Verification threshold calibration: {r['questions']} XQuAD-vi questions, {r['chunks']} chunks of "
        f"{r['passages']} passages; seed {r['seed']}; claims (x2 forms) calibration {c['calibration']}, "
        f"held-out {c['held_out']}",
        "Calibration half. F1 of 'supported' (positives vs wrong-source + changed-number), FA = wrong-source "
        "accepted, TR = true claims rejected:",
        f"{'':<9} {'t':>4} | {'accented F1':>11} {'FA':>6} {'TR':>6} | {'unaccented F1':>13} {'FA':>6} {'TR':>6}",
    ]
    for name, _ in SETTINGS:
        g = r["grid"]["calibration"][name]
        for i, t in enumerate(r["thresholds"]):
            a, u = g["accented"][i], g["unaccented"][i]
            out.append(
                f"{name if i == 0 else '':<9} {t:>4.2f} | {a['f1']:>11.3f} {a['false_acceptance']:>6.1%} "
                f"{a['true_rejected']:>6.1%} | {u['f1']:>13.3f} {u['false_acceptance']:>6.1%} "
                f"{u['true_rejected']:>6.1%}"
            )
    rec = r["recommended"]
    note = (
        ""
        if rec["meets_constraint"]
        else (f" -- NO setting keeps false acceptance <= {r['max_false_acceptance']:.0%}; lowest FA chosen")
    )
    out += [
        "",
        f"Recommended: threshold {rec['threshold']}, idf {'yes' if rec['idf'] else 'no'} "
        f"(max F1 with FA <= {r['max_false_acceptance']:.0%} on the calibration half){note}",
        f"{'held-out':<30} {'P':>5} {'R':>5} {'F1':>5} {'FA':>6} {'num.acc':>6} {'TR':>6}",
    ]
    for form in FORMS:
        out.append(_line(form, rec["held_out"][form]))
    for kind, v in rec["held_out_by_kind"].items():
        for form in FORMS:
            out.append(_line(f"  {kind} claims, {form}", v[form]))
    cur = r["current_min_overlap"]
    for name, _ in SETTINGS:
        for form in FORMS:
            out.append(_line(f"now {cur['threshold']} {name}, {form}", cur[name]["held_out"][form]))
    for form, v in r["per_form_choice"].items():
        out.append(_line(f"{form} alone: {v['setting']} {v['threshold']}", v["held_out"]))
    sc, tm = r["spot_check"], r["timing"]
    out.append(
        f"spot check: {sc['mismatches']} mismatches in {sc['calls']} real calls; "
        f"{tm['verify_calls']} verify() calls, {tm['ms_per_call']} ms each; total {tm['total_seconds']} s"
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit-questions", type=int, help="a fixed random subset of N questions")
    parser.add_argument("--seed", type=int, default=SEED, help="how the questions are split in two halves")
    parser.add_argument(
        "--json",
        default=None,
        help=f"result file (default {DEFAULT_JSON.relative_to(RESULTS_DIR.parent.parent)}; '' = none)",
    )
    args = parser.parse_args(argv)
    run(args.limit_questions, args.json, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
