"""The regression runner: loading question sets, checks, summary figures, baseline flips, exit codes,
reports, the SQuAD importer and the LLM answer cache."""

from __future__ import annotations

import json
import re

import pytest
from helpers import DOC_000, DOC_004, clean_env, run_cli

from assistant import evaluation
from assistant.answering import REFUSAL, Answer, Citation
from assistant.evaluation import (
    Case,
    Expectation,
    FailureKind,
    QuestionSetError,
    check,
    compare,
    evaluate,
    format_table,
    import_squad,
    load_baseline,
    load_question_set,
    summarize,
    write_report,
)
from assistant.types import LOW_CONFIDENCE, Short

SET = """questions:
  - id: chu-tich
    question: "Quận Hoàn Kiếm đã bổ nhiệm bao nhiêu Chủ tịch UBND phường?"
    expect:
      contains_any: ["16 Chủ tịch"]
      cites: ["000_1f2b7184f6891828.txt"]
    tags: [number]
  - id: pho-chu-tich
    question: "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Phó Chủ tịch UBND phường?"
    expect:
      contains_all: ["35", "Phó Chủ tịch"]
      cites: ["000_1f2b7184f6891828.txt"]
  - id: khong-dau
    question: "chu tich ubnd phuong hang bai la ai"
    expect:
      contains_any: ["nguyen thi ngoc anh"]
      fold: true
  - id: tiep-theo
    question: "Còn Phó Chủ tịch thì sao?"
    history: [["Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", "16 Chủ tịch [1]."]]
    expect:
      regex: "35\\\\s+Phó"
  - id: thoi-tiet
    question: "Thời tiết ở Đà Nẵng ngày mai thế nào?"
    expect:
      refuse: true
"""


@pytest.fixture
def qset(tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text(SET, encoding="utf-8")
    return path


def answer(text: str, docs=(DOC_000,), refused: bool = False) -> Answer:
    cites = [Citation(n, d, "t", d, "x", 0, 1, 1.0, "x", 0) for n, d in enumerate(docs, 1)]
    return Answer(text, [] if refused else cites, refused)


# -- loading ------------------------------------------------------------------------------------
def test_yaml_and_jsonl_load_the_same_cases(qset, tmp_path):
    cases = load_question_set(qset)
    assert [c.id for c in cases] == ["chu-tich", "pho-chu-tich", "khong-dau", "tiep-theo", "thoi-tiet"]
    assert cases[0].where == f"{qset}:2" and cases[3].where == f"{qset}:18"
    assert cases[3].history == [("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", "16 Chủ tịch [1].")]
    assert cases[4].expect == Expectation(refuse=True) and cases[0].tags == ["number"]
    import yaml

    jsonl = tmp_path / "set.jsonl"
    jsonl.write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n\n" for q in yaml.safe_load(SET)["questions"]), encoding="utf-8"
    )
    again = load_question_set(jsonl)
    assert [(c.id, c.question, c.expect, c.history) for c in again] == [
        (c.id, c.question, c.expect, c.history) for c in cases
    ]
    assert again[1].where == f"{jsonl}:3"


@pytest.mark.parametrize(
    "text, message",
    [
        ("questions:\n  - id: a\n    question: 'x'\n    expect: {contains_any: [a]\n", r":5: YAML không hợp lệ"),
        (
            "questions:\n  - id: a\n    question: x\n    expect: {contains_any: [a]}\n  - id: b\n    question: y\n"
            "    expect: {cointains: [b]}\n",
            r"set\.yaml:5: khóa «expect» không hợp lệ: cointains",
        ),
        (
            "questions:\n  - id: a\n    question: x\n    expect: {contains_any: [a]}\n  - id: a\n    question: y\n"
            "    expect: {refuse: true}\n",
            r"set\.yaml:5: mã câu hỏi «a» trùng với .*set\.yaml:2",
        ),
        ("questions:\n  - id: a\n    expect: {refuse: true}\n", r"set\.yaml:2: câu hỏi «a» thiếu «question»"),
        ("questions:\n  - id: a\n    question: x\n    expect: {}\n", r"không có điều kiện nào"),
        ("questions:\n  - id: a\n    question: x\n    expect: {regex: '(('}\n", r"biểu thức chính quy không hợp lệ"),
        ("questions:\n  - id: a\n    question: x\n    answer: y\n", r"set\.yaml:2: khóa không hợp lệ: answer"),
        ("items: []\n", r"set\.yaml:1: cần khóa «questions»"),
        ("questions:\n  - id: a\n    question: x\n    history: [q]\n    expect: {refuse: true}\n", r"«history»"),
    ],
)
def test_malformed_question_sets_name_the_line(tmp_path, text, message):
    path = tmp_path / "set.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionSetError, match=message):
        load_question_set(path)


def test_malformed_jsonl_names_the_line_and_other_files_are_refused(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(
        '{"id": "a", "question": "x", "expect": {"refuse": true}}\n{"id": "b", question}\n', encoding="utf-8"
    )
    with pytest.raises(QuestionSetError, match=r"set\.jsonl:2: dòng JSON không hợp lệ"):
        load_question_set(path)
    with pytest.raises(QuestionSetError, match=r"\.yaml, \.yml hoặc \.jsonl"):
        load_question_set(tmp_path / "set.csv")
    with pytest.raises(QuestionSetError, match="Không tìm thấy tệp câu hỏi"):
        load_question_set(tmp_path / "missing.yaml")


# -- checks -------------------------------------------------------------------------------------
def test_checks_and_their_reasons():
    assert check(answer("Bổ nhiệm 16 Chủ tịch [1]."), Expectation(contains_any=["16 Chủ tịch"], cites=[DOC_000])) == []
    assert check(answer("Bổ nhiệm 61 Chủ tịch [1]."), Expectation(contains_any=["16 Chủ tịch", "mười sáu"])) == [
        "thiếu «16 Chủ tịch» hoặc «mười sáu»"
    ]
    assert check(answer("35 Phó [1]."), Expectation(contains_all=["35", "Phó Chủ tịch"])) == ["thiếu «Phó Chủ tịch»"]
    assert (
        check(answer("Bà Nguyễn Thị Ngọc Anh [1]."), Expectation(contains_any=["nguyen thi ngoc anh"], fold=True)) == []
    )
    assert check(answer("Bà Nguyễn Thị Ngọc Anh [1]."), Expectation(contains_any=["nguyen thi ngoc anh"])) != []
    assert check(answer("x [1].", docs=[DOC_004]), Expectation(cites=[DOC_000])) == [
        f"không trích dẫn {DOC_000} (đã dẫn: {DOC_004})"
    ]
    assert check(answer(REFUSAL, refused=True), Expectation(refuse=True)) == []
    assert check(answer("Có [1]."), Expectation(refuse=True)) == ["lẽ ra phải từ chối"]
    assert check(answer(REFUSAL, refused=True), Expectation(contains_any=["16"])) == ["từ chối sai"]
    assert check(answer("ngày 27/2/2025 [1]."), Expectation(regex=r"\d+/2/2025")) == []
    # the words shown in bold: "Quận" beside the answer is wrong even though the sentence is right
    sentence = answer("Chủ tịch UBND phường điều hành, chịu trách nhiệm trước Chủ tịch UBND Quận [1].")
    sentence.short = Short("Quận", 1, 0, 4)
    assert check(sentence, Expectation(marks=["Chủ tịch UBND phường"])) == [
        "từ được đánh dấu «Quận» không chứa «Chủ tịch UBND phường»"
    ]
    sentence.short = Short("Chủ tịch UBND phường", 1, 0, 20)
    assert check(sentence, Expectation(marks=["chu tich ubnd phuong"], fold=True)) == []
    sentence.short = None
    assert check(sentence, Expectation(marks=["Chủ tịch"])) == ["từ được đánh dấu «không có» không chứa «Chủ tịch»"]


class CannedAssistant:
    """Answers each question with a fixed reply."""

    def __init__(self, replies: dict[str, Answer]):
        self.replies = replies

    def ask(self, question, history=None):
        return self.replies[question]


KIND_CASES = [
    Case("sai-so", "q1", Expectation(contains_any=["16 Chủ tịch"], cites=[DOC_000])),
    Case("khong-khop", "q2", Expectation(regex=r"35\s+Phó", cites=[DOC_000])),
    Case("khong-dan", "q3", Expectation(contains_all=["35"], cites=[DOC_000])),
    Case("tu-choi-sai", "q4", Expectation(contains_any=["16"], cites=[DOC_000])),
    Case("khong-tu-choi", "q5", Expectation(refuse=True)),
    Case("dung", "q6", Expectation(contains_any=["16 Chủ tịch"], cites=[DOC_000])),
]
KIND_REPLIES = {
    "q1": answer("61 Chủ tịch [1]."),
    "q2": answer("35 Chủ tịch [1]."),
    "q3": answer("35 Phó [1].", docs=[DOC_004]),
    "q4": answer(REFUSAL, refused=True),
    "q5": answer("Có [1]."),
    "q6": answer("16 Chủ tịch [1]."),
}


def _figures(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if not k.startswith("latency")}


def test_failures_have_kinds_and_the_summary_counts_kinds_not_their_wording(monkeypatch, tmp_path):
    report = evaluate(CannedAssistant(KIND_REPLIES), KIND_CASES)
    assert {r.id: [f.kind for f in r.failures] for r in report.results} == {
        "sai-so": [FailureKind.MISSING_TEXT],
        "khong-khop": [FailureKind.NO_MATCH],
        "khong-dan": [FailureKind.MISSING_CITATION],
        "tu-choi-sai": [FailureKind.REFUSED],
        "khong-tu-choi": [FailureKind.NOT_REFUSED],
        "dung": [],
    }
    assert report.results[0].reasons == ["thiếu «16 Chủ tịch»"]
    # 2 of the 5 answerable questions have the right text, 3 of the 5 cite the expected document.
    assert _figures(report.summary) == {
        "questions": 6,
        "passed": 1,
        "pass_rate": 0.1667,
        "answer_accuracy": 0.4,
        "citation_accuracy": 0.6,
        "refusal_precision": 0.0,
        "refusal_recall": 0.0,
        "retrieval_hit": 0.0,
        "low_confidence": 0.0,
        "faithfulness": None,
    }

    # Every reason reworded: the same kinds, the same figures.
    for kind, reason in {
        FailureKind.NOT_REFUSED: "cần từ chối",
        FailureKind.REFUSED: "không nên từ chối",
        FailureKind.MISSING_TEXT: "không có {texts}",
        FailureKind.NO_MATCH: "sai mẫu «{regex}»",
        FailureKind.MISSING_CITATION: "chưa dẫn {expected} (có: {cited})",
    }.items():
        monkeypatch.setitem(evaluation.REASONS, kind, reason)
    reworded = evaluate(CannedAssistant(KIND_REPLIES), KIND_CASES)
    assert reworded.results[0].reasons == ["không có «16 Chủ tịch»"]
    assert reworded.results[2].reasons == [f"chưa dẫn {DOC_000} (có: {DOC_004})"]
    assert [r.kinds for r in reworded.results] == [r.kinds for r in report.results]
    assert _figures(reworded.summary) == _figures(report.summary)
    # Whatever a result's reasons say, only its failures' kinds count.
    import dataclasses

    mislabelled = [
        dataclasses.replace(r, failures=[dataclasses.replace(f, reason="thiếu") for f in r.failures])
        for r in report.results
    ]
    assert _figures(summarize(mislabelled, KIND_CASES)) == _figures(report.summary)

    data = json.loads(write_report(reworded, tmp_path / "r.json").read_text(encoding="utf-8"))
    first = data["results"][0]
    assert first["reasons"] == ["không có «16 Chủ tịch»"]
    assert first["failures"] == [{"kind": "missing_text", "reason": "không có «16 Chủ tịch»"}]
    assert [f["kind"] for r in data["results"] for f in r["failures"]] == [
        "missing_text",
        "no_match",
        "missing_citation",
        "refused",
        "not_refused",
    ]


# -- running --------------------------------------------------------------------------------------
class BrokenAssistant:
    """The real assistant, except that it garbles numbers in some answers and drops citations in others."""

    def __init__(self, real, garble: set[str], uncite: set[str]):
        self.real, self.garble, self.uncite = real, garble, uncite

    def ask(self, question, history=None):
        result = self.real.ask(question, history)
        if question in self.garble:
            result.text = re.sub(r"\d+", "99", result.text)
        if question in self.uncite:
            result.citations = [c for c in result.citations if c.doc_id != DOC_000]
        return result


def test_a_broken_answerer_fails_exactly_the_right_questions(qset, seeds_assistant):
    cases = load_question_set(qset)
    good = evaluate(seeds_assistant, cases)
    assert [r.id for r in good.results if not r.passed] == [], format_table(good)
    assert good.summary | {"latency_p50_ms": 0, "latency_p95_ms": 0} == {
        "questions": 5,
        "passed": 5,
        "pass_rate": 1.0,
        "answer_accuracy": 1.0,
        "citation_accuracy": 1.0,
        "refusal_precision": 1.0,
        "refusal_recall": 1.0,
        "retrieval_hit": 1.0,
        "low_confidence": 0.0,
        "latency_p50_ms": 0,
        "latency_p95_ms": 0,
        "faithfulness": None,
    }

    broken = BrokenAssistant(seeds_assistant, garble={cases[0].question, cases[3].question}, uncite={cases[1].question})
    bad = evaluate(broken, cases, progress=lambda n, total: None)
    reasons = {r.id: r.reasons for r in bad.results if not r.passed}
    assert set(reasons) == {"chu-tich", "pho-chu-tich", "tiep-theo"}
    assert reasons["chu-tich"] == ["thiếu «16 Chủ tịch»"]
    assert reasons["pho-chu-tich"][0].startswith(f"không trích dẫn {DOC_000}")
    assert reasons["tiep-theo"] == [r"không khớp «35\s+Phó»"]
    assert bad.summary["pass_rate"] == 0.4 and bad.summary["citation_accuracy"] == 0.5
    assert bad.summary["answer_accuracy"] == 0.5  # 2 of the 4 answerable questions have the right content

    flips = compare(bad, {r.id: r.passed for r in good.results} | {"khong-dau": False})
    assert flips == {"regressed": ["chu-tich", "pho-chu-tich", "tiep-theo"], "fixed": ["khong-dau"]}
    table = format_table(bad)
    assert "TRƯỢT" in table and "Tệ đi so với kết quả gốc: chu-tich, pho-chu-tich, tiep-theo" in table

    # answers that come with the low-confidence notice are counted among the answered ones
    class Unsure(BrokenAssistant):
        def ask(self, question, history=None):
            result = self.real.ask(question, history)
            if question == cases[0].question:
                result.notice = LOW_CONFIDENCE
            return result

    unsure = evaluate(Unsure(seeds_assistant, set(), set()), cases)
    answered = sum(not r.answer["refused"] for r in unsure.results)
    assert unsure.summary["passed"] == 5 and unsure.summary["low_confidence"] == round(1 / answered, 4)
    assert "Câu trả lời kèm lưu ý độ tin cậy thấp" in format_table(unsure)


def test_reports_round_trip_and_escape(qset, seeds_assistant, tmp_path):
    report = evaluate(seeds_assistant, load_question_set(qset))
    report.results[0].answer["text"] = "<script>alert(1)</script> | ô"
    write_report(report, tmp_path / "r.json")
    assert load_baseline(tmp_path / "r.json") == {r.id: r.passed for r in report.results}
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["results"][0]["hit"] is True and data["summary"]["questions"] == 5
    html_text = write_report(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>" not in html_text and "&lt;script&gt;" in html_text
    md = write_report(report, tmp_path / "r.md").read_text(encoding="utf-8")
    assert "\\| ô" in md and "Tỉ lệ đạt | 100.0%" in md
    with pytest.raises(QuestionSetError):
        write_report(report, tmp_path / "r.txt")
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(QuestionSetError, match="không hợp lệ"):
        load_baseline(tmp_path / "bad.json")


# -- the command ----------------------------------------------------------------------------------
def test_eval_command_baseline_and_exit_codes(qset, seeds_index, tmp_path):
    base = tmp_path / "base.json"
    proc = run_cli(
        "eval", str(qset), "--index-dir", str(seeds_index), "--report", str(base), "--report", str(tmp_path / "r.md")
    )
    assert proc.returncode == 0, proc.stderr
    assert "5/5 câu đạt" in proc.stdout and "Độ phủ từ chối: 100.0%" in proc.stdout and base.exists()
    # A worse configuration: everything answerable is now refused.
    env = clean_env(ASSISTANT_ANSWER_REFUSAL_THRESHOLD="1.5", ASSISTANT_ANSWER_REFUSAL_THRESHOLD_UNACCENTED="1.5")
    proc = run_cli("eval", str(qset), "--index-dir", str(seeds_index), "--baseline", str(base), env=env)
    assert proc.returncode == 1
    assert "chu-tich" in proc.stderr and "từ chối sai" in proc.stdout and "Tệ đi so với kết quả gốc" in proc.stdout
    proc = run_cli("eval", str(qset), "--index-dir", str(seeds_index), "--fail-under", "0.5", env=env)
    assert proc.returncode == 1 and "thấp hơn ngưỡng 50.0%" in proc.stderr
    proc = run_cli("eval", str(qset), "--index-dir", str(seeds_index), "--fail-under", "90")
    assert proc.returncode == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "questions:\n  - id: a\n    question: x\n    expect: {refuse: maybe, oops: 1}\n", encoding="utf-8"
    )
    proc = run_cli("eval", str(broken), "--index-dir", str(seeds_index))
    assert proc.returncode == 2 and f"{broken}:2" in proc.stderr and "oops" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_squad_import_feeds_the_same_runner(tmp_path):
    from helpers import ROOT

    source = ROOT.parent / "shared" / "data" / "xquad_vi.questions.jsonl"
    out = tmp_path / "xquad.yaml"
    proc = run_cli("eval-import", str(source), "-o", str(out), "--limit", "25")
    assert proc.returncode == 0 and "25 câu hỏi" in proc.stdout
    cases = load_question_set(out)
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()[:25]]
    assert [c.id for c in cases] == [r["id"] for r in rows]
    for case, row in zip(cases, rows):
        assert row["answer"].rstrip(".,;:!?").strip() in case.expect.contains_any
        assert case.expect.cites == [row["passage_id"]]
    assert len(import_squad(source, limit=3)) == 3
    span = tmp_path / "span.jsonl"
    span.write_text(
        json.dumps(
            {"id": "x", "question": "Q?", "answers": ["bằng nước.", "nước"], "passage_id": "p"}, ensure_ascii=False
        )
        + "\n",
        encoding="utf-8",
    )
    assert import_squad(span)[0]["expect"]["contains_any"] == ["bằng nước", "nước"]


def test_llm_answers_are_cached_by_model_and_prompt(seeds_index, tmp_path):
    from llm_servers import ScriptedServer
    from test_api import quoting_model

    qpath = tmp_path / "q.yaml"
    qpath.write_text(SET.split("  - id: khong-dau")[0], encoding="utf-8")  # the first two questions
    server = ScriptedServer(
        lambda request: (
            quoting_model(request)
            if "Điểm:" not in request["messages"][-1]["content"]
            else __import__("llm_servers").Reply(text="8")
        )
    )
    try:
        env = clean_env(
            ASSISTANT_LLM_BASE_URL=server.url, ASSISTANT_LLM_API_KEY="sk-eval", XDG_CACHE_HOME=str(tmp_path)
        )
        args = [
            "eval",
            str(qpath),
            "--index-dir",
            str(seeds_index),
            "--backend",
            "openai:scripted",
            "--judge",
            "--report",
            str(tmp_path / "r.json"),
        ]
        first = run_cli(*args, env=env)
        # The quoting model's sentences miss the expected numbers: failing questions make the run exit 1.
        assert first.returncode == 1 and "2 câu trượt" in first.stderr, first.stdout + first.stderr
        asked = len(server.chat_requests())
        assert asked == 4  # two answers, two judgements
        report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
        assert report["summary"]["faithfulness"] == 0.8 and report["meta"]["backend"] == "openai:scripted"
        assert all(r["answer"]["backend"] == "openai:scripted" for r in report["results"])
        assert len(list((tmp_path / "assistant" / "llm").glob("*.json"))) == 4
        second = run_cli(*args[:-1], str(tmp_path / "r2.json"), env=env)
        assert second.returncode == 1 and len(server.chat_requests()) == asked  # all from the cache
        again = json.loads((tmp_path / "r2.json").read_text(encoding="utf-8"))
        assert [(r["id"], r["passed"], r["answer"]["text"], r["faithfulness"]) for r in again["results"]] == [
            (r["id"], r["passed"], r["answer"]["text"], r["faithfulness"]) for r in report["results"]
        ]
        third = run_cli(*args, "--no-cache", env=env)
        assert third.returncode == 1 and len(server.chat_requests()) == 2 * asked
    finally:
        server.close()
    proc = run_cli("eval", str(qpath), "--index-dir", str(seeds_index), "--judge")
    assert proc.returncode == 2 and "--judge cần một LLM" in proc.stderr


# -- exit codes, JUnit, --repeat and --jobs -------------------------------------------------------
def _junit(path):
    """The JUnit file as CI tools read it: by ElementTree and by junitparser (which GitHub's
    publish-unit-test-result action uses)."""
    import xml.etree.ElementTree as ET

    from junitparser import JUnitXml

    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    parsed = JUnitXml.fromfile(str(path))
    cases = {case.name: case for suite in parsed for case in suite}
    assert len(cases) == int(root.get("tests"))
    return root, cases


def test_eval_fails_on_any_failure_and_a_baseline_makes_known_failures_not_fatal(qset, seeds_index, tmp_path):
    refusing = clean_env(ASSISTANT_ANSWER_REFUSAL_THRESHOLD="1.5", ASSISTANT_ANSWER_REFUSAL_THRESHOLD_UNACCENTED="1.5")
    bad_base, xml = tmp_path / "bad.json", tmp_path / "junit.xml"
    proc = run_cli(
        "eval",
        str(qset),
        "--index-dir",
        str(seeds_index),
        "--report",
        str(bad_base),
        "--report",
        str(xml),
        env=refusing,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # no --baseline, no --fail-under: any failure fails
    assert "4 câu trượt: chu-tich, pho-chu-tich, khong-dau, tiep-theo" in proc.stderr
    root, cases = _junit(xml)
    assert (root.get("tests"), root.get("failures"), root.get("skipped"), root.get("errors")) == ("5", "4", "0", "0")
    (suite,) = root.findall("testsuite")
    assert (
        suite.get("name") == str(qset)
        and suite.find("properties/property[@name='backend']").get("value") == "extractive"
    )
    lines = {c.get("name"): c.get("line") for c in suite.findall("testcase")}
    assert lines == {c.id: c.where.rsplit(":", 1)[1] for c in load_question_set(qset)} and lines["chu-tich"] == "2"
    assert all(c.get("classname") == "set" and float(c.get("time")) > 0 for c in suite.findall("testcase"))
    failure = suite.find("testcase[@name='chu-tich']/failure")
    assert failure.get("message") == "từ chối sai" and "câu hỏi: Quận Hoàn Kiếm" in failure.text
    assert cases["chu-tich"].result[0].message == "từ chối sai" and not cases["thoi-tiet"].result
    # The same failures against a baseline where they already failed: listed, not fatal; JUnit says skipped.
    proc = run_cli(
        "eval",
        str(qset),
        "--index-dir",
        str(seeds_index),
        "--baseline",
        str(bad_base),
        "--report",
        str(xml),
        env=refusing,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Đã trượt từ kết quả gốc (không tính là lỗi): chu-tich, pho-chu-tich, khong-dau, tiep-theo" in proc.stderr
    root, cases = _junit(xml)
    assert (root.get("failures"), root.get("skipped")) == ("0", "4")
    assert "từ chối sai" in cases["tiep-theo"].result[0].message
    # A question the baseline does not have fails: listed as new, not fatal.
    partial = tmp_path / "partial.json"
    data = json.loads(bad_base.read_text(encoding="utf-8"))
    data["results"] = [r for r in data["results"] if r["id"] != "khong-dau"]
    partial.write_text(json.dumps(data), encoding="utf-8")
    proc = run_cli("eval", str(qset), "--index-dir", str(seeds_index), "--baseline", str(partial), env=refusing)
    assert proc.returncode == 0
    assert "chưa có trong kết quả gốc, đang trượt (không tính là lỗi): khong-dau" in proc.stderr
    proc = run_cli("eval", str(qset), "--index-dir", str(seeds_index), "--repeat", "0")
    assert proc.returncode == 2 and "số nguyên dương" in proc.stderr
    proc = run_cli("eval", str(qset), "--index-dir", str(seeds_index), "--report", str(tmp_path / "r.txt"))
    assert proc.returncode == 2 and ".xml (JUnit)" in proc.stderr and "Traceback" not in proc.stderr


class FlakyAssistant:
    """The real assistant, except that the second time a question is asked its numbers are garbled;
    it records how many questions were in flight at once."""

    def __init__(self, real, flaky_question: str):
        import threading

        self.real, self.flaky_question = real, flaky_question
        self.lock, self.calls, self.in_flight, self.most = threading.Lock(), {}, 0, 0

    def ask(self, question, history=None):
        import time

        with self.lock:
            self.calls[question] = n = self.calls.get(question, 0) + 1
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            time.sleep(0.05)
            result = self.real.ask(question, history)
        finally:
            with self.lock:
                self.in_flight -= 1
        if question == self.flaky_question and n == 2:
            result.text = re.sub(r"\d+", "99", result.text)
        return result


def test_repeat_reports_pass_rates_and_flaky_questions_and_jobs_run_concurrently(qset, seeds_assistant, tmp_path):
    cases = load_question_set(qset)
    bot = FlakyAssistant(seeds_assistant, cases[0].question)
    seen = []
    report = evaluate(bot, cases, progress=lambda n, total: seen.append((n, total)), repeat=3, jobs=3)
    assert bot.most >= 2 and set(bot.calls.values()) == {3}
    assert [r.id for r in report.results] == [c.id for c in cases]  # the order of the set, whatever finished first
    first, *rest = report.results
    assert (first.runs, first.passes, first.pass_rate, first.flaky, first.passed) == (3, 2, 0.6667, True, False)
    assert first.reasons == ["thiếu «16 Chủ tịch»"] and "99" in first.answer["text"]  # the failing run is shown
    assert all(r.passed and r.passes == 3 and not r.flaky for r in rest)
    assert report.summary["repeat"] == 3 and report.summary["flaky"] == 1 and report.summary["passed"] == 4
    assert sorted(seen) == [(n, 15) for n in range(1, 16)]
    assert "Không ổn định (lúc đạt lúc trượt): chu-tich (2/3)" in format_table(report)
    assert json.loads(json.dumps(report.to_dict()))["results"][0]["flaky"] is True
    root, junit_cases = _junit(write_report(report, tmp_path / "r.xml"))
    assert junit_cases["chu-tich"].result[0].message == "đạt 2/3 lần: thiếu «16 Chủ tịch»"
    assert root.find(".//testcase[@name='chu-tich']/system-out").text == "đạt 2/3 lần (67%)"
    once = evaluate(seeds_assistant, cases, jobs=2)
    assert [(r.id, r.passed, r.answer["text"]) for r in once.results] == [
        (r.id, True, seeds_assistant.ask(c.question, c.history or None).text) for r, c in zip(once.results, cases)
    ]
    assert "repeat" not in once.summary


def test_eval_repeat_asks_an_llm_again_each_time(seeds_index, tmp_path):
    """--repeat turns the answer cache off: a model that is right two times in three is flaky."""
    import threading

    from llm_servers import Reply, ScriptedServer, sources_of

    from assistant.chunking import split_sentences

    qpath = tmp_path / "q.yaml"
    qpath.write_text(SET.split("  - id: khong-dau")[0], encoding="utf-8")  # the first two questions
    counts, lock = {}, threading.Lock()

    def reply(request):
        """Right (the sentence naming 16 Chủ tịch and 35 Phó Chủ tịch, cited) except the second time."""
        question = request["messages"][-1]["content"].rsplit("Câu hỏi:", 1)[-1]
        with lock:
            counts[question] = n = counts.get(question, 0) + 1
        if n == 2:
            return Reply(text=REFUSAL)
        for number, text in sources_of(request).items():
            for span in split_sentences(text):
                if "16 Chủ tịch, 35 Phó Chủ tịch" in text[span.start : span.end]:
                    return Reply(text=text[span.start : span.end].rstrip(".") + f" [{number}].")
        return Reply(text=REFUSAL)

    server = ScriptedServer(reply)
    try:
        env = clean_env(
            ASSISTANT_LLM_BASE_URL=server.url, ASSISTANT_LLM_API_KEY="sk-eval", XDG_CACHE_HOME=str(tmp_path)
        )
        proc = run_cli(
            "eval",
            str(qpath),
            "--index-dir",
            str(seeds_index),
            "--backend",
            "openai:scripted",
            "--repeat",
            "3",
            "--jobs",
            "2",
            "--report",
            str(tmp_path / "r.json"),
            env=env,
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert len(server.chat_requests()) == 6 and not (tmp_path / "assistant" / "llm").exists()  # no cache
        data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
        assert [(r["id"], r["runs"], r["passes"], r["flaky"]) for r in data["results"]] == [
            ("chu-tich", 3, 2, True),
            ("pho-chu-tich", 3, 2, True),
        ]
        assert data["results"][0]["reasons"] == ["từ chối sai"] and data["summary"]["flaky"] == 2
        assert "2/3" in proc.stdout and "2 câu trượt" in proc.stderr
    finally:
        server.close()
