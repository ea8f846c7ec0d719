"""Prompt templates from `prompts/` (text files users can edit) turned into chat messages.

Templates use `{name}` placeholders, filled by plain replacement so that braces in a template or
in document text need no escaping. Document text goes inside <nguon …> … </nguon> delimiters that
the system prompt declares to be data; a document cannot close the delimiter early.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .types import Passage

# File name -> placeholders it must contain.
TEMPLATES = {
    "answer_system.txt": ("{refusal}",),
    "answer_user.txt": ("{sources}", "{question}"),
    "condense.txt": ("{history}", "{question}"),
    "judge.txt": ("{sources}", "{question}", "{answer}"),
}
_DELIMITER = re.compile(r"<\s*(/?)\s*nguon", re.IGNORECASE)


@dataclass(frozen=True)
class Message:
    role: str  # "system", "user" or "assistant"
    content: str


class Prompts:
    def __init__(self, folder: str | Path):
        folder = Path(folder)
        self.templates: dict[str, str] = {}
        for name, required in TEMPLATES.items():
            path = folder / name
            try:
                text = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"Không đọc được mẫu lời nhắc {path}: {exc}") from None
            missing = [p for p in required if p not in text]
            if missing:
                raise ConfigError(f"Mẫu lời nhắc {path} thiếu chỗ điền: {', '.join(missing)}")
            self.templates[name] = text

    def answer(self, question: str, passages: Sequence[Passage], refusal: str) -> list[Message]:
        system = _fill(self.templates["answer_system.txt"], refusal=refusal)
        user = _fill(self.templates["answer_user.txt"], sources=format_sources(passages), question=question)
        return [Message("system", system), Message("user", user)]

    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> list[Message]:
        lines = []
        for asked, answered in history:
            lines.append(f"Người dùng: {asked}")
            if answered:
                lines.append(f"Trợ lý: {answered}")
        return [Message("user", _fill(self.templates["condense.txt"], history="\n".join(lines), question=question))]

    def judge(self, question: str, answer: str, passages: Sequence[Passage]) -> list[Message]:
        text = _fill(self.templates["judge.txt"], sources=format_sources(passages), question=question, answer=answer)
        return [Message("user", text)]


def format_sources(passages: Sequence[Passage]) -> str:
    """Numbered, delimited sources: [n] in an answer names the n-th block."""
    blocks = []
    for n, p in enumerate(passages, 1):
        title = _escape(p.title).replace('"', "'")
        blocks.append(f'<nguon so="{n}" tieu_de="{title}">\n{_escape(p.text)}\n</nguon>')
    return "\n\n".join(blocks)


def _escape(text: str) -> str:
    """Defuse delimiter look-alikes inside document text ("</nguon>" would end the data early)."""
    return _DELIMITER.sub(lambda m: "‹" + m.group(1) + "nguon", text)


def _fill(template: str, **values: str) -> str:
    pattern = re.compile("|".join(re.escape("{" + k + "}") for k in values))
    return pattern.sub(lambda m: values[m.group(0)[1:-1]], template)
