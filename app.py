"""Web chat over the Python API (Gradio), bound to 127.0.0.1 by default.

    python app.py [--index-dir index] [--config assistant.toml] [--port 7860]
"""

from __future__ import annotations

import argparse
import html
import ipaddress
import os
import re
import sys

for _key, _value in {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}.items():
    os.environ.setdefault(_key, _value)

import gradio as gr  # noqa: E402

from assistant import Answer, Assistant  # noqa: E402
from assistant.config import load_config  # noqa: E402

TITLE = "Trợ lý hỏi đáp tài liệu"
DESCRIPTION = "Đặt câu hỏi bằng tiếng Việt về các tài liệu đã lập chỉ mục; mỗi câu trả lời kèm trích dẫn nguồn."
EXAMPLES = [
    "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?",
    "Sau khi sắp xếp, UBND quận Hoàn Kiếm có bao nhiêu phòng chuyên môn?",
    "Kỳ họp thứ 17 HĐND quận Hoàn Kiếm diễn ra khi nào?",
    "chu tich ubnd phuong hang bai la ai",
]
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")


def _plain(text: str) -> str:
    """Document text shown as text: HTML escaped, Markdown syntax neutralised."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def render(answer: Answer) -> str:
    parts = [html.escape(answer.text, quote=False)]
    if answer.notice:
        parts.append(f"\n_{_plain(answer.notice)}_")
    if answer.citations:
        parts.append("\n**Nguồn:**")
    for c in answer.citations:
        rel_start, rel_end = c.start - c.passage_start, c.end - c.passage_start
        quote = c.text
        if 0 <= rel_start <= rel_end <= len(quote):
            quote_md = _plain(quote[:rel_start]) + "**" + _plain(quote[rel_start:rel_end]) + "**" + _plain(quote[rel_end:])
        else:
            quote_md = _plain(quote)
        parts.append(f"\n[{c.marker}] **{_plain(c.title)}** — `{html.escape(c.source)}`\n\n> {quote_md.replace(chr(10), ' ')}")
    return "\n".join(parts)


def history_pairs(history: list) -> list[tuple[str, str]]:
    """Gradio's message list → (question, answer) pairs for follow-up questions."""
    pairs, question = [], None
    for message in history or []:
        role = message.get("role") if isinstance(message, dict) else getattr(message, "role", None)
        content = message.get("content") if isinstance(message, dict) else getattr(message, "content", "")
        if isinstance(content, list):
            content = " ".join(str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content)
        if role == "user":
            question = str(content)
        elif role == "assistant" and question is not None:
            pairs.append((question, str(content).split("\n**Nguồn:**")[0].strip()))  # the answer, not its sources
            question = None
    return pairs


def build_app(assistant: Assistant) -> gr.Blocks:
    def respond(message: str, history: list):
        """Stream verified text as it comes, then the final answer with its sources."""
        shown = ""
        for item in assistant.ask_stream(message, history_pairs(history)):
            if isinstance(item, str):
                shown += item
                yield html.escape(shown, quote=False)
            else:
                yield render(item)

    with gr.Blocks(title=TITLE) as demo:
        gr.ChatInterface(
            respond,
            title=TITLE,
            description=DESCRIPTION,
            examples=EXAMPLES,
            examples_label="Câu hỏi mẫu",
            chatbot=gr.Chatbot(label="Hội thoại", height=520, sanitize_html=True),
            textbox=gr.Textbox(placeholder="Nhập câu hỏi…", show_label=False, submit_btn="Gửi", stop_btn="Dừng"),
            api_name="ask",
        )
    return demo


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--index-dir")
    parser.add_argument("--config")
    parser.add_argument("--backend", help="extractive, openai:<model> or llamacpp:<path.gguf>")
    parser.add_argument("--host", default=os.environ.get("ASSISTANT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ASSISTANT_PORT", "7860")))
    args = parser.parse_args(argv)
    auth = None
    if not _is_loopback(args.host):
        user, password = os.environ.get("ASSISTANT_AUTH_USER"), os.environ.get("ASSISTANT_AUTH_PASSWORD")
        if not (user and password):
            print(f"Lỗi: mở cổng trên địa chỉ {args.host} cần tên đăng nhập và mật khẩu "
                  "(đặt ASSISTANT_AUTH_USER và ASSISTANT_AUTH_PASSWORD).", file=sys.stderr)
            return 2
        auth = (user, password)
    assistant = Assistant(config=load_config(args.config, {"index_dir": args.index_dir,
                                                              "answer.backend": args.backend}))
    build_app(assistant).launch(server_name=args.host, server_port=args.port, auth=auth, share=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
