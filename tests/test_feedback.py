"""Feedback on answers: JSONL records, and thumbs-down turned into regression questions."""

import json
import threading

from helpers import clean_env, run_cli

from assistant import feedback
from assistant.evaluation import load_question_set

ANSWER = {
    "text": "Sai [1].",
    "refused": False,
    "backend": "extractive",
    "citations": [
        {
            "marker": 1,
            "doc_id": "a.txt",
            "source": "a.txt",
            "start": 0,
            "end": 4,
            "sentence": "Sai.",
            "text": "Sai. Đúng.",
            "title": "A",
            "score": 1.0,
            "passage_start": 0,
        }
    ],
}


def test_records_are_appended_safely_from_many_threads(tmp_path):
    path = tmp_path / "data" / "feedback.jsonl"
    threads = [
        threading.Thread(
            target=feedback.record,
            args=(path,),
            kwargs={"question": f"Câu {i}?", "history": [], "answer": ANSWER, "rating": "down" if i % 2 else "up"},
        )
        for i in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = feedback.load(path)
    assert len(entries) == 16 and {e["question"] for e in entries} == {f"Câu {i}?" for i in range(16)}
    e = entries[0]
    assert set(e) >= {"time", "question", "answer", "citations", "backend", "rating", "comment"}
    assert e["citations"][0]["doc_id"] == "a.txt" and e["answer"] == "Sai [1]."


def test_thumbs_down_export_to_a_question_set(tmp_path):
    path = tmp_path / "feedback.jsonl"
    feedback.record(path, question="Q tốt?", history=[], answer=ANSWER, rating="up")
    feedback.record(
        path,
        question="Quận có bao nhiêu phường?",
        history=[["Hỏi trước?", "Đáp trước."]],
        answer=ANSWER,
        rating="down",
        comment="Phải là 18 phường",
    )
    out = tmp_path / "from-feedback.yaml"
    proc = run_cli("feedback-export", "--feedback", str(path), "-o", str(out))
    assert proc.returncode == 0 and "Đã ghi 1 câu" in proc.stdout
    (case,) = load_question_set(out)
    assert case.question == "Quận có bao nhiêu phường?" and case.history == [("Hỏi trước?", "Đáp trước.")]
    assert case.expect.contains_any == [feedback.TODO] and case.tags == ["feedback"]
    proc = run_cli("feedback-export", "-o", str(out), env=clean_env(ASSISTANT_APP_DATA_DIR=str(tmp_path / "none")))
    assert proc.returncode == 2 and "Chưa có góp ý nào" in proc.stderr
    path.write_text(path.read_text(encoding="utf-8") + "{hỏng\n", encoding="utf-8")
    proc = run_cli("feedback-export", "--feedback", str(path), "-o", str(out))
    assert proc.returncode == 2 and f"{path}:3" in proc.stderr
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[1])["comment"] == "Phải là 18 phường"
