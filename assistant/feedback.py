"""Thumbs up/down and comments on answers, kept as JSONL; thumbs-down ones become regression questions."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
from pathlib import Path

from .errors import AssistantError

TODO = "TODO: điền đáp án đúng"


def record(
    path: str | Path, *, question: str, history: list, answer: dict, rating: str | None, comment: str = ""
) -> dict:
    """Append one entry (question, answer, citations, backend, time, rating "up"/"down", comment)."""
    entry = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "question": question,
        "history": [list(p) for p in history],
        "answer": answer.get("text", ""),
        "refused": answer.get("refused", False),
        "backend": answer.get("backend", ""),
        "citations": [
            {k: c.get(k) for k in ("marker", "doc_id", "source", "start", "end", "sentence")}
            for c in answer.get("citations", [])
        ],
        "rating": rating,
        "comment": comment.strip(),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # several conversations may write at once
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return entry


def load(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        raise AssistantError(f"Chưa có góp ý nào: không tìm thấy {path}")
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                raise AssistantError(f"{path}:{number}: dòng góp ý không hợp lệ.") from None
    return entries


def to_question_set(entries: list[dict]) -> list[dict]:
    """Thumbs-down answers as question-set entries. What the right answer is only a person knows, so
    `contains_any` holds a TODO to replace (the test fails until then); the bad answer, its citations
    and the comment come along to help."""
    out = []
    for n, e in enumerate((e for e in entries if e.get("rating") == "down"), 1):
        out.append(
            {
                "id": f"gop-y-{e.get('time', '')[:10]}-{n}",
                "question": e["question"],
                **({"history": e["history"]} if e.get("history") else {}),
                "expect": {"contains_any": [TODO]},
                "tags": ["feedback"],
                "note": f"Câu trả lời bị chê ({e.get('backend', '')}, {e.get('time', '')}): {e.get('answer', '')}"
                + (f" — Góp ý: {e['comment']}" if e.get("comment") else ""),
            }
        )
    return out
