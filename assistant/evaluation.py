"""Regression runs of a question set: which answers are right, which got worse since a baseline.

A question set is YAML (`questions: [...]`) or JSONL (one question per line) with the keys shown in
the README. Every check is deterministic; with an LLM backend an optional faithfulness score judged
by the LLM is reported beside them. Messages and reports are in Vietnamese.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import html
import json
import re
import statistics
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .errors import AssistantError
from .text import fold, normalize
from .types import LOW_CONFIDENCE, Answer

EXPECT_KEYS = ("contains_any", "contains_all", "regex", "fold", "cites", "refuse", "marks")
CASE_KEYS = ("id", "question", "history", "expect", "tags", "note")  # note: free text, not checked


class QuestionSetError(AssistantError):
    pass


@dataclass
class Expectation:
    contains_any: list[str] = field(default_factory=list)
    contains_all: list[str] = field(default_factory=list)
    regex: str | None = None
    fold: bool = False
    cites: list[str] = field(default_factory=list)
    refuse: bool = False
    marks: list[str] = field(default_factory=list)  # the marked answering words (Answer.short) hold one


@dataclass
class Case:
    id: str
    question: str
    expect: Expectation
    history: list[tuple[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    where: str = ""  # "file:line", for messages


# ------------------------------------------------------------------------------------------ loading


def load_question_set(path: str | Path) -> list[Case]:
    """Read a .yaml/.yml or .jsonl question set; a malformed one raises QuestionSetError naming the line."""
    path = Path(path)
    if path.suffix.lower() not in (".jsonl", ".yaml", ".yml"):
        raise QuestionSetError(f"Tệp câu hỏi phải là .yaml, .yml hoặc .jsonl: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionSetError(f"Không tìm thấy tệp câu hỏi: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetError(f"Không đọc được tệp câu hỏi {path}: {exc}") from None
    if path.suffix.lower() == ".jsonl":
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append((json.loads(line), f"{path}:{number}"))
            except json.JSONDecodeError as exc:
                raise QuestionSetError(f"{path}:{number}: dòng JSON không hợp lệ ({exc.msg}).") from None
    else:
        items = _yaml_items(path, text)
    cases = [_case(raw, where) for raw, where in items]
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise QuestionSetError(f"{case.where}: mã câu hỏi «{case.id}» trùng với {seen[case.id]}.")
        seen[case.id] = case.where
    if not cases:
        raise QuestionSetError(f"Tệp câu hỏi {path} không có câu hỏi nào.")
    return cases


def _yaml_items(path: Path, text: str) -> list[tuple[Any, str]]:
    import yaml

    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise QuestionSetError(f"{where}: YAML không hợp lệ ({getattr(exc, 'problem', None) or exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QuestionSetError(f"{path}:1: cần khóa «questions» chứa danh sách câu hỏi.")
    nodes = next(v for k, v in root.value if k.value == "questions").value
    return [(item, f"{path}:{node.start_mark.line + 1}") for item, node in zip(data["questions"], nodes, strict=True)]


def _strings(value: Any, key: str, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise QuestionSetError(f"{where}: «{key}» phải là một chuỗi hoặc danh sách chuỗi.")
    return [normalize(str(v)) for v in value]


def _known_keys(mapping: dict, allowed: Sequence[str], where: str, label: str) -> None:
    unknown = [k for k in mapping if k not in allowed]
    if unknown:
        raise QuestionSetError(
            f"{where}: {label} không hợp lệ: {', '.join(map(str, unknown))} (dùng: {', '.join(allowed)})."
        )


def _case(raw: Any, where: str) -> Case:
    if not isinstance(raw, dict):
        raise QuestionSetError(f"{where}: mỗi câu hỏi phải là một bảng khóa–giá trị.")
    _known_keys(raw, CASE_KEYS, where, "khóa")
    qid, question = raw.get("id"), raw.get("question")
    if not isinstance(qid, (str, int)) or not str(qid).strip():
        raise QuestionSetError(f"{where}: thiếu «id».")
    if not isinstance(question, str) or not question.strip():
        raise QuestionSetError(f"{where}: câu hỏi «{qid}» thiếu «question».")
    expect_raw = raw.get("expect") or {}
    if not isinstance(expect_raw, dict):
        raise QuestionSetError(f"{where}: «expect» phải là một bảng khóa–giá trị.")
    _known_keys(expect_raw, EXPECT_KEYS, where, "khóa «expect»")
    regex = expect_raw.get("regex")
    if regex is not None:
        try:
            re.compile(str(regex))
        except re.error as exc:
            raise QuestionSetError(f"{where}: biểu thức chính quy không hợp lệ «{regex}» ({exc}).") from None
    expect = Expectation(
        _strings(expect_raw.get("contains_any"), "contains_any", where),
        _strings(expect_raw.get("contains_all"), "contains_all", where),
        None if regex is None else normalize(str(regex)),
        bool(expect_raw.get("fold", False)),
        _strings(expect_raw.get("cites"), "cites", where),
        bool(expect_raw.get("refuse", False)),
        _strings(expect_raw.get("marks"), "marks", where),
    )
    checks = expect.contains_any or expect.contains_all or expect.regex or expect.cites or expect.marks
    if not expect.refuse and not checks:
        raise QuestionSetError(f"{where}: câu hỏi «{qid}» không có điều kiện nào trong «expect».")
    history = []
    for pair in raw.get("history") or []:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise QuestionSetError(f"{where}: «history» là danh sách các cặp [câu hỏi, câu trả lời].")
        history.append((normalize(str(pair[0])), normalize(str(pair[1] or ""))))
    tags = raw.get("tags") or []
    if not isinstance(tags, list):
        raise QuestionSetError(f"{where}: «tags» phải là một danh sách.")
    return Case(str(qid), normalize(question), expect, history, [str(t) for t in tags], where)


# ------------------------------------------------------------------------------------------ checking


class FailureKind(enum.StrEnum):
    """What went wrong with an answer; the summary counts these, never the wording of the reasons."""

    NOT_REFUSED = "not_refused"  # answered a question it should have refused
    REFUSED = "refused"  # refused a question it should have answered
    MISSING_TEXT = "missing_text"  # lacks an expected text (contains_any, contains_all)
    NO_MATCH = "no_match"  # does not match the expected regex
    MISSING_CITATION = "missing_citation"  # cites none of the expected documents
    WRONG_MARK = "wrong_mark"  # its marked answering words hold none of `marks`


# the answer's text is wrong
CONTENT_FAILURES = frozenset({FailureKind.MISSING_TEXT, FailureKind.NO_MATCH, FailureKind.WRONG_MARK})

# The reason given for each kind, in Vietnamese; {fields} are filled in by `check_failures`.
REASONS = {
    FailureKind.NOT_REFUSED: "lẽ ra phải từ chối",
    FailureKind.REFUSED: "từ chối sai",
    FailureKind.MISSING_TEXT: "thiếu {texts}",
    FailureKind.NO_MATCH: "không khớp «{regex}»",
    FailureKind.MISSING_CITATION: "không trích dẫn {expected} (đã dẫn: {cited})",
    FailureKind.WRONG_MARK: "từ được đánh dấu «{marked}» không chứa {texts}",
}


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str  # for people, in Vietnamese

    @classmethod
    def of(cls, kind: FailureKind, **fields: str) -> Failure:
        return cls(kind, REASONS[kind].format(**fields))

    def to_dict(self) -> dict:
        return {"kind": self.kind.value, "reason": self.reason}


def check(answer: Answer, expect: Expectation) -> list[str]:
    """Why `answer` fails `expect` (Vietnamese reasons); empty when it passes."""
    return [f.reason for f in check_failures(answer, expect)]


def check_failures(answer: Answer, expect: Expectation) -> list[Failure]:
    """How `answer` fails `expect`, each failure with its kind and reason; empty when it passes."""
    if expect.refuse:
        return [] if answer.refused else [Failure.of(FailureKind.NOT_REFUSED)]
    if answer.refused:
        return [Failure.of(FailureKind.REFUSED)]
    return _content_failures(answer.text, expect) + _mark_failures(answer, expect) + _citation_failures(answer, expect)


def _prepared(s: str, expect: Expectation) -> str:
    return fold(s.lower()) if expect.fold else s


def _content_failures(text: str, expect: Expectation) -> list[Failure]:
    def prep(s: str) -> str:
        return _prepared(s, expect)

    failures = []
    body = prep(text)
    if expect.contains_any and not any(prep(s) in body for s in expect.contains_any):
        texts = " hoặc ".join(f"«{s}»" for s in expect.contains_any)
        failures.append(Failure.of(FailureKind.MISSING_TEXT, texts=texts))
    missing = [s for s in expect.contains_all if prep(s) not in body]
    if missing:
        failures.append(Failure.of(FailureKind.MISSING_TEXT, texts=", ".join(f"«{s}»" for s in missing)))
    if expect.regex and not re.search(prep(expect.regex), body, re.IGNORECASE if expect.fold else 0):
        failures.append(Failure.of(FailureKind.NO_MATCH, regex=expect.regex))
    return failures


def _mark_failures(answer: Answer, expect: Expectation) -> list[Failure]:
    """The words shown in bold must be the answer ("35 Phó Chủ tịch"), not a word beside it ("Quận")."""
    marked = answer.short.text if answer.short else ""
    if not expect.marks or any(_prepared(m, expect) in _prepared(marked, expect) for m in expect.marks):
        return []
    texts = " hoặc ".join(f"«{m}»" for m in expect.marks)
    return [Failure.of(FailureKind.WRONG_MARK, marked=marked or "không có", texts=texts)]


def _citation_failures(answer: Answer, expect: Expectation) -> list[Failure]:
    if not expect.cites or any(c.doc_id in expect.cites for c in answer.citations):
        return []
    cited = ", ".join(sorted({c.doc_id for c in answer.citations})) or "không có"
    return [Failure.of(FailureKind.MISSING_CITATION, expected=" hoặc ".join(expect.cites), cited=cited)]


@dataclass
class CaseResult:
    id: str
    question: str
    passed: bool
    failures: list[Failure]  # of the attempt shown (the first failing one); empty when it passed
    answer: dict  # Answer.to_dict()
    latency_ms: float
    retrieved: list[str]  # doc ids of the passages the answer was drawn from, best first
    refuse_expected: bool
    tags: list[str] = field(default_factory=list)
    cites: list[str] = field(default_factory=list)
    faithfulness: float | None = None  # 0..1, judged by the LLM (--judge)
    where: str = ""  # "file:line" of the question
    runs: int = 1  # times asked (--repeat); `passed` means every time
    passes: int = 0  # of them, how many passed

    @property
    def reasons(self) -> list[str]:
        return [f.reason for f in self.failures]

    @property
    def kinds(self) -> set[FailureKind]:
        return {f.kind for f in self.failures}

    @property
    def hit(self) -> bool | None:
        return None if not self.cites else any(d in self.cites for d in self.retrieved)

    @property
    def pass_rate(self) -> float:
        return round(self.passes / self.runs, 4) if self.runs else 0.0

    @property
    def flaky(self) -> bool:
        """Passed some times and failed others (LLM backends)."""
        return 0 < self.passes < self.runs

    def to_dict(self) -> dict:
        """The JSON report's entry: every field (each failure with its kind), the reasons alone as they
        always were, and the derived figures."""
        return dataclasses.asdict(self) | {
            "failures": [f.to_dict() for f in self.failures],
            "reasons": self.reasons,
            "hit": self.hit,
            "pass_rate": self.pass_rate,
            "flaky": self.flaky,
        }


@dataclass
class Report:
    results: list[CaseResult]
    summary: dict
    meta: dict = field(default_factory=dict)
    flips: dict = field(default_factory=lambda: {"regressed": [], "fixed": []})
    baseline: dict[str, bool] | None = None  # id -> passed in the baseline (compare)

    def to_dict(self) -> dict:
        return {
            "meta": self.meta,
            "summary": self.summary,
            "flips": self.flips,
            "results": [r.to_dict() for r in self.results],
        }

    def known_failures(self) -> list[str]:
        """Questions failing now that also failed in the baseline: listed, not fatal."""
        base = self.baseline or {}
        return [r.id for r in self.results if not r.passed and base.get(r.id) is False]

    def new_failures(self) -> list[str]:
        """Failing questions the baseline does not have."""
        base = self.baseline or {}
        return [r.id for r in self.results if not r.passed and r.id not in base]


def evaluate(
    assistant,
    cases: Sequence[Case],
    progress: Callable[[int, int], None] | None = None,
    judge: Callable[[str, Answer], float | None] | None = None,
    *,
    repeat: int = 1,
    jobs: int = 1,
) -> Report:
    """Ask every question of `cases` through `assistant` (an api.Assistant) and check the answers.

    Each question is asked `repeat` times (an LLM's answers vary: the pass rate shows how often it
    passes); `jobs` questions are asked at the same time. Results keep the order of `cases`."""
    repeat, jobs = max(1, repeat), max(1, jobs)
    attempts = _ask_all(assistant, cases, repeat, jobs, progress, judge)
    results = [_case_result(case, [a for a in attempts if a.case == i]) for i, case in enumerate(cases)]
    summary = summarize(results, cases)
    if repeat > 1:
        summary |= {"repeat": repeat, "flaky": sum(r.flaky for r in results)}
    return Report(results, summary)


class _Attempt(NamedTuple):
    case: int  # index in `cases`
    answer: Answer
    failures: list[Failure]
    latency_ms: float
    faithfulness: float | None


def _ask_all(
    assistant,
    cases: Sequence[Case],
    repeat: int,
    jobs: int,
    progress: Callable[[int, int], None] | None,
    judge: Callable[[str, Answer], float | None] | None,
) -> list[_Attempt]:
    """Every question asked `repeat` times, `jobs` at once; the attempts in the order of `cases`."""
    from concurrent.futures import ThreadPoolExecutor

    tasks = [(i, case) for i, case in enumerate(cases) for _ in range(repeat)]
    lock, done = threading.Lock(), [0]

    def attempt(task: tuple[int, Case]) -> _Attempt:
        i, case = task
        t0 = time.perf_counter()
        answer = assistant.ask(case.question, history=case.history or None)
        latency = (time.perf_counter() - t0) * 1000
        score = judge(case.question, answer) if judge and not answer.refused else None
        if progress:
            with lock:
                done[0] += 1
                progress(done[0], len(tasks))
        return _Attempt(i, answer, check_failures(answer, case.expect), latency, score)

    if jobs == 1:
        return [attempt(t) for t in tasks]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(attempt, tasks))


def _case_result(case: Case, attempts: Sequence[_Attempt]) -> CaseResult:
    """A question's result over its attempts: passed when every one did; the first failing one is shown."""
    shown = next((a for a in attempts if a.failures), attempts[0])
    scores = [a.faithfulness for a in attempts if a.faithfulness is not None]
    return CaseResult(
        case.id,
        case.question,
        passed=not any(a.failures for a in attempts),
        failures=shown.failures,
        answer=shown.answer.to_dict(),
        latency_ms=round(statistics.median(a.latency_ms for a in attempts), 1),
        retrieved=[p.doc_id for p in shown.answer.passages],
        refuse_expected=case.expect.refuse,
        tags=case.tags,
        cites=case.expect.cites,
        faithfulness=round(statistics.mean(scores), 3) if scores else None,
        where=case.where,
        runs=len(attempts),
        passes=sum(not a.failures for a in attempts),
    )


def summarize(results: Sequence[CaseResult], cases: Sequence[Case]) -> dict:
    by_id = {c.id: c for c in cases}
    answerable = [r for r in results if not r.refuse_expected]
    content = [r for r in answerable if _has_content_check(by_id[r.id].expect)]
    cited = [r for r in answerable if r.cites]
    refused = [r for r in results if r.answer["refused"]]
    must_refuse = [r for r in results if r.refuse_expected]
    hits = [r.hit for r in results if r.hit is not None]
    latencies = sorted(r.latency_ms for r in results)
    judged = [r.faithfulness for r in results if r.faithfulness is not None]

    def rate(good: int, total: int) -> float | None:
        return round(good / total, 4) if total else None

    return {
        "questions": len(results),
        "passed": sum(r.passed for r in results),
        "pass_rate": rate(sum(r.passed for r in results), len(results)),
        "answer_accuracy": rate(
            sum(not r.answer["refused"] and not r.kinds & CONTENT_FAILURES for r in content), len(content)
        ),
        "citation_accuracy": rate(
            sum(not r.answer["refused"] and FailureKind.MISSING_CITATION not in r.kinds for r in cited), len(cited)
        ),
        "refusal_precision": rate(sum(r.refuse_expected for r in refused), len(refused)),
        "refusal_recall": rate(sum(r.answer["refused"] for r in must_refuse), len(must_refuse)),
        "retrieval_hit": rate(sum(hits), len(hits)),
        # answers that came with the low-confidence notice: fewer sure answers is a regression too
        "low_confidence": rate(
            sum(LOW_CONFIDENCE in r.answer["notice"] for r in results if not r.answer["refused"]),
            len(results) - len(refused),
        ),
        "latency_p50_ms": round(_percentile(latencies, 0.5), 1) if latencies else None,
        "latency_p95_ms": round(_percentile(latencies, 0.95), 1) if latencies else None,
        "faithfulness": round(statistics.mean(judged), 4) if judged else None,
    }


def _has_content_check(expect: Expectation) -> bool:
    return bool(expect.contains_any or expect.contains_all or expect.regex)


def _percentile(values: Sequence[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def llm_judge(assistant) -> Callable[[str, Answer], float | None]:
    """Faithfulness 0..1 of an answer to the passages it cites, scored by the assistant's LLM."""
    from .llms import LLMError
    from .types import Passage

    def judge(question: str, answer: Answer) -> float | None:
        passages = [
            Passage(c.doc_id, c.title, c.source, c.text, c.passage_start, c.passage_start + len(c.text), c.score)
            for c in answer.citations
        ]
        if not passages:
            return None
        try:
            reply = assistant.llm.complete(assistant.prompts.judge(question, answer.text, passages))
        except LLMError:
            return None
        match = re.search(r"\d+(?:[.,]\d+)?", reply)
        if not match:
            return None
        score = float(match.group().replace(",", "."))
        return round(min(score / 10 if score > 1 else score, 1.0), 3)

    return judge


# ------------------------------------------------------------------------------------------ baseline


def load_baseline(path: str | Path) -> dict[str, bool]:
    """id -> passed, from a JSON report written by `assistant eval --report X.json`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return {str(r["id"]): bool(r["passed"]) for r in data["results"]}
    except FileNotFoundError:
        raise QuestionSetError(f"Không tìm thấy tệp kết quả gốc: {path}") from None
    except (ValueError, KeyError, TypeError):
        raise QuestionSetError(
            f"Tệp kết quả gốc không hợp lệ (cần báo cáo JSON của «assistant eval»): {path}"
        ) from None


def compare(report: Report, baseline: dict[str, bool]) -> dict:
    """Questions that passed in the baseline and fail now (regressed), and the reverse (fixed)."""
    flips = {
        "regressed": [r.id for r in report.results if baseline.get(r.id) is True and not r.passed],
        "fixed": [r.id for r in report.results if baseline.get(r.id) is False and r.passed],
    }
    report.flips, report.baseline = flips, baseline
    return flips


# ------------------------------------------------------------------------------------------ reports

SUMMARY_LABELS = {
    "pass_rate": "Tỉ lệ đạt",
    "answer_accuracy": "Độ đúng câu trả lời",
    "citation_accuracy": "Độ đúng trích dẫn",
    "refusal_precision": "Độ chính xác từ chối",
    "refusal_recall": "Độ phủ từ chối",
    "retrieval_hit": "Tìm thấy tài liệu mong đợi (hit@k)",
    "low_confidence": "Câu trả lời kèm lưu ý độ tin cậy thấp",
    "latency_p50_ms": "Độ trễ p50 (ms)",
    "latency_p95_ms": "Độ trễ p95 (ms)",
    "faithfulness": "Độ trung thành (LLM chấm)",
    "repeat": "Số lần hỏi mỗi câu (--repeat)",
    "flaky": "Số câu lúc đạt lúc trượt",
}


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value <= 1.0:
        return f"{value:.1%}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def format_table(report: Report, width: int = 60) -> str:
    judged = any(r.faithfulness is not None for r in report.results)
    repeated = any(r.runs > 1 for r in report.results)
    rows = [
        f"{'mã câu hỏi':<28} {'kết quả':<8} "
        + ("đạt/lần  " if repeated else "")
        + f"{'ms':>7}  "
        + ("trung thành  " if judged else "")
        + "lý do"
    ]
    for r in report.results:
        reason = "; ".join(r.reasons)
        if len(reason) > width:
            reason = reason[: width - 1] + "…"
        score = ("—" if r.faithfulness is None else f"{r.faithfulness:.2f}").rjust(11) + "  " if judged else ""
        rate = f"{f'{r.passes}/{r.runs}':>7}  " if repeated else ""
        rows.append(f"{r.id[:28]:<28} {'ĐẠT' if r.passed else 'TRƯỢT':<8} {rate}{r.latency_ms:>7.0f}  {score}{reason}")
    s = report.summary
    rows.append("")
    rows.append(f"{s['passed']}/{s['questions']} câu đạt.")
    for key, label in SUMMARY_LABELS.items():
        if s.get(key) is not None:
            rows.append(f"  {label}: {_fmt(s[key])}")
    rows += _flip_lines(report)
    return "\n".join(rows)


def _flip_lines(report: Report) -> list[str]:
    lines = []
    if report.flips["regressed"]:
        lines.append("Tệ đi so với kết quả gốc: " + ", ".join(report.flips["regressed"]))
    if report.flips["fixed"]:
        lines.append("Tốt lên so với kết quả gốc: " + ", ".join(report.flips["fixed"]))
    if report.known_failures():
        lines.append("Đã trượt từ kết quả gốc (đã biết): " + ", ".join(report.known_failures()))
    flaky = [f"{r.id} ({r.passes}/{r.runs})" for r in report.results if r.flaky]
    if flaky:
        lines.append("Không ổn định (lúc đạt lúc trượt): " + ", ".join(flaky))
    return lines


REPORT_SUFFIXES = (".json", ".md", ".html", ".htm", ".xml")


def check_report_path(path: str | Path) -> None:
    """Before a long run: a report name whose format is unknown fails now, not after the run."""
    if Path(path).suffix.lower() not in REPORT_SUFFIXES:
        raise QuestionSetError(f"Báo cáo phải là .md, .json, .html hoặc .xml (JUnit): {path}")


def write_report(report: Report, path: str | Path) -> Path:
    path = Path(path)
    check_report_path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=1)
    elif suffix == ".md":
        text = _markdown(report)
    elif suffix in (".html", ".htm"):
        text = _html(report)
    else:
        text = junit_xml(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _runs(r: CaseResult) -> str:
    return f" ({r.passes}/{r.runs})" if r.runs > 1 else ""


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(report: Report) -> str:
    lines = [f"# Kết quả đánh giá — {report.meta.get('date', '')}", ""]
    for key, value in report.meta.items():
        if key != "date":
            lines.append(f"- {key}: {value}")
    lines += ["", "| chỉ số | giá trị |", "|---|---|"]
    lines += [f"| {label} | {_fmt(report.summary.get(k))} |" for k, label in SUMMARY_LABELS.items()]
    lines += [""] + [f"**{line}**" for line in _flip_lines(report)]
    lines += ["", "| mã | kết quả | lý do | ms | câu hỏi | câu trả lời |", "|---|---|---|---|---|---|"]
    for r in report.results:
        lines.append(
            f"| {_md_cell(r.id)} | {'đạt' if r.passed else '**trượt**'}{_runs(r)} "
            f"| {_md_cell('; '.join(r.reasons))} "
            f"| {r.latency_ms:.0f} | {_md_cell(r.question)} | {_md_cell(r.answer['text'])} |"
        )
    return "\n".join(lines) + "\n"


def _html(report: Report) -> str:
    e = html.escape
    rows = "".join(
        f'<tr class="{"ok" if r.passed else "fail"}"><td>{e(r.id)}</td>'
        f"<td>{'đạt' if r.passed else 'trượt'}{_runs(r)}</td>"
        f"<td>{e('; '.join(r.reasons))}</td><td>{r.latency_ms:.0f}</td><td>{e(r.question)}</td>"
        f"<td>{e(r.answer['text'])}</td></tr>"
        for r in report.results
    )
    summary = "".join(
        f"<tr><th>{e(label)}</th><td>{e(_fmt(report.summary.get(k)))}</td></tr>" for k, label in SUMMARY_LABELS.items()
    )
    flips = "".join(f"<p><strong>{e(line)}</strong></p>" for line in _flip_lines(report))
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Kết quả đánh giá</title>'
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:4px;vertical-align:top}.fail{background:#fee}</style></head><body>"
        f"<h1>Kết quả đánh giá</h1><table>{summary}</table>{flips}<table><tr><th>mã</th><th>kết quả</th>"
        f"<th>lý do</th><th>ms</th><th>câu hỏi</th><th>câu trả lời</th></tr>{rows}</table></body></html>\n"
    )


def junit_xml(report: Report) -> str:
    """JUnit XML, as GitHub Actions, GitLab and Jenkins read it: one <testsuite> per question file, one
    <testcase> per question; a failure's message is its reasons. A question that already failed in
    the baseline is <skipped> (known, not fatal), as the exit code treats it."""
    known = set(report.known_failures())
    files: dict[str, list[CaseResult]] = {}
    for r in report.results:
        files.setdefault(r.where.rsplit(":", 1)[0] or "questions", []).append(r)
    root = ET.Element("testsuites", name="assistant eval")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for file, results in files.items():
        counts = {
            "tests": len(results),
            "failures": sum(not r.passed and r.id not in known for r in results),
            "skipped": sum(r.id in known for r in results),
        }
        suite = _junit_suite(root, file, results, counts, report.meta)
        for r in results:
            _junit_case(suite, file, r, r.id in known)
        for key, value in counts.items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _junit_suite(
    root: ET.Element, file: str, results: list[CaseResult], counts: dict[str, int], meta: dict
) -> ET.Element:
    """The <testsuite> of one question file, with the run's settings as <properties>."""
    seconds = sum(r.latency_ms * r.runs for r in results) / 1000
    suite = ET.SubElement(
        root,
        "testsuite",
        name=file,
        tests=str(counts["tests"]),
        failures=str(counts["failures"]),
        errors="0",
        skipped=str(counts["skipped"]),
        time=f"{seconds:.3f}",
        timestamp=str(meta.get("date", "")),
    )
    props = ET.SubElement(suite, "properties")
    for key in ("backend", "embedding", "index_dir", "baseline"):
        if meta.get(key):
            ET.SubElement(props, "property", name=key, value=str(meta[key]))
    return suite


def _junit_case(suite: ET.Element, file: str, r: CaseResult, known: bool) -> None:
    """A question's <testcase>: <skipped> when it failed in the baseline too, else <failure> when it fails."""
    line = r.where.rsplit(":", 1)[1] if ":" in r.where else ""
    case = ET.SubElement(
        suite,
        "testcase",
        name=r.id,
        classname=Path(file).stem,
        time=f"{r.latency_ms * r.runs / 1000:.3f}",
        file=file,
        line=line,
    )
    reasons = "; ".join(r.reasons)
    if r.runs > 1 and not r.passed:
        reasons = f"đạt {r.passes}/{r.runs} lần: {reasons}"
    details = f"câu hỏi: {r.question}\ntrả lời: {r.answer['text']}\ntrích dẫn: " + (
        ", ".join(f"[{c['marker']}] {c['doc_id']}" for c in r.answer["citations"]) or "không có"
    )
    if known:
        ET.SubElement(case, "skipped", message=f"đã trượt ở kết quả gốc: {reasons}")
    elif not r.passed:
        ET.SubElement(case, "failure", message=reasons, type="AnswerCheck").text = details
    if r.runs > 1:
        ET.SubElement(case, "system-out").text = f"đạt {r.passes}/{r.runs} lần ({r.pass_rate:.0%})"


def run_meta(assistant, files: Sequence[str | Path]) -> dict:
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": [str(f) for f in files],
        "backend": assistant.config.answer.backend,
        "embedding": assistant.config.embedding.model,
        "index_dir": str(assistant.index_dir),
    }


# ------------------------------------------------------------------------------------------ import


def import_squad(path: str | Path, limit: int | None = None) -> list[dict]:
    """SQuAD-style JSONL (question, answers/answer, passage_id) → question-set entries."""
    out = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            answers = row.get("answers") or [row["answer"]]
            entry = {
                "id": str(row.get("id", number)),
                "question": normalize(row["question"]),
                "expect": {
                    "contains_any": sorted({_answer_text(a) for a in answers if _answer_text(a)}),
                    "cites": [str(row["passage_id"])] if row.get("passage_id") else [],
                },
                "tags": ["squad"],
            }
        except (json.JSONDecodeError, KeyError, TypeError):
            raise QuestionSetError(
                f"{path}:{number}: cần một dòng JSON có «question» và «answers» hoặc «answer»."
            ) from None
        out.append(entry)
        if limit and len(out) >= limit:
            break
    return out


def _answer_text(answer) -> str:
    """A gold span as the answer must contain it: a sentence-final full stop in the span ("… bằng
    nước.") would otherwise fail against "… bằng nước [1]."."""
    return normalize(str(answer)).strip().rstrip(".,;:!?").strip()


def write_question_set(entries: list[dict], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".jsonl":
        path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8")
    else:
        import yaml

        path.write_text(
            yaml.safe_dump({"questions": entries}, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8"
        )
    return path


# ------------------------------------------------------------------------------------------ pytest


def pytest_params(path: str | Path) -> dict:
    """`@pytest.mark.parametrize("case", **pytest_params("questions.yaml"))`: one test per question."""
    cases = load_question_set(path)
    return {"argvalues": cases, "ids": [c.id for c in cases]}


def assert_case(assistant, case: Case) -> Answer:
    """Ask `case` and fail with a readable message: question, expectation, answer, citations."""
    answer = assistant.ask(case.question, history=case.history or None)
    reasons = check(answer, case.expect)
    if reasons:
        expect = {k: v for k, v in dataclasses.asdict(case.expect).items() if v not in (None, [], False)}
        cites = (
            "\n".join(f"    [{c.marker}] {c.doc_id}{_where(c)}: {c.sentence}" for c in answer.citations)
            or "    (không có)"
        )
        raise AssertionError(
            f"{case.where} «{case.id}»: {'; '.join(reasons)}\n"
            f"  câu hỏi:   {case.question}\n  mong đợi:  {expect}\n"
            f"  trả lời:   {answer.text}\n  trích dẫn:\n{cites}"
        )
    return answer


def _where(citation) -> str:
    """ " (trang 2, Điều 12, khoản 2)" for a citation that knows where it is."""
    from .locations import describe

    where = describe(getattr(citation, "location", None) or {})
    return f" ({where})" if where else ""
