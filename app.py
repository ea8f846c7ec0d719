"""Web chat over the Python API (Gradio), bound to 127.0.0.1 by default.

    python app.py [--index-dir index] [--config assistant.toml] [--backend …] [--host …] [--port 7860]

Two tabs: the chat (streamed answers whose [n] markers link to a sources panel with the cited
sentence highlighted; thumbs up/down and comments) and the documents (list, upload, delete).
Everything shown from documents or from an LLM is escaped: HTML in them shows as text.

`ChatHandlers` is what each event does, `layout` creates the components and wires the handlers to
them. Settings (ASSISTANT_* variables included) come from `assistant.config.load_config`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

_QUIET = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
for _key, _value in _QUIET.items():  # before gradio is imported
    os.environ.setdefault(_key, _value)

import gradio as gr  # noqa: E402
from fastapi import HTTPException, Request  # noqa: E402
from fastapi.responses import FileResponse  # noqa: E402
from fastapi.routing import APIRoute  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from assistant import Answer, Assistant, AssistantError, feedback, server  # noqa: E402
from assistant.config import AppConfig, load_config  # noqa: E402
from assistant.http_guards import SecurityHeaders  # noqa: E402
from assistant.locations import describe  # noqa: E402
from assistant.uploads import UPLOAD_TYPES, UploadBatch, megabytes  # noqa: E402

TITLE = "Trợ lý hỏi đáp tài liệu"
DESCRIPTION = "Đặt câu hỏi bằng tiếng Việt về các tài liệu đã lập chỉ mục; mỗi ý trong câu trả lời dẫn tới đoạn nguồn."
EXAMPLES = [
    "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?",
    "Sau khi sắp xếp, UBND quận Hoàn Kiếm có bao nhiêu phòng chuyên môn?",
    "Kỳ họp thứ 17 HĐND quận Hoàn Kiếm diễn ra khi nào?",
    "chu tich ubnd phuong hang bai la ai",
]
DOC_HEADERS = ["Tiêu đề", "Mã tài liệu", "Số đoạn", "Lập chỉ mục lúc"]
NO_SOURCES = "<p class='empty'>Các đoạn nguồn được trích dẫn sẽ hiện ở đây.</p>"
ORIGINALS = "/tai-lieu"  # the route of the original files (originals_route)
CSS = """
#sources .source { border-left: 3px solid #999; padding: 4px 8px; margin: 6px 0; }
#sources .source:target { border-left-color: #e67e00; background: #fff4e0; }
#sources mark { background: #ffe58a; color: inherit; }
#sources h4 { margin: 12px 0 4px; }
.notice { color: #8a5a00; font-style: italic; }
"""
_MARKER = re.compile(r"\[(\d{1,3})\]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")


def _plain(text: str) -> str:
    """Text shown as text: HTML escaped, Markdown syntax neutralised."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _valid(text: str) -> str:
    """Text that can be sent to the browser (a lone surrogate would break the stream's JSON)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _anchor(turn: int, marker: int) -> str:
    return f"nguon-{turn}-{marker}"


def render_answer(text: str, turn: int, answer: Answer | None = None) -> str:
    """An answer for the chat: escaped, each [n] a link to its source in the panel, and the words that
    answer what was asked (the number, name, date or title: `answer.short`) in bold."""
    markers = {c.marker for c in answer.citations} if answer else None

    def linked(piece: str) -> str:
        parts, last = [], 0
        for m in _MARKER.finditer(piece):
            parts.append(_plain(piece[last : m.start()]))
            n = int(m.group(1))
            if markers is None or n in markers:
                parts.append(f'<a class="cite" href="#{_anchor(turn, n)}">[{n}]</a>')
            else:
                parts.append(_plain(m.group()))
            last = m.end()
        parts.append(_plain(piece[last:]))
        return "".join(parts)

    short = answer.short if answer is not None and text == answer.text else None
    if short is not None and 0 <= short.at and text[short.at : short.at + len(short.text)] == short.text:
        end = short.at + len(short.text)
        body = linked(text[: short.at]) + f"<strong>{linked(short.text)}</strong>" + linked(text[end:])
    else:
        body = linked(text)
    if answer is not None and answer.notice:
        body += f'\n\n<span class="notice">{html.escape(answer.notice)}</span>'
    return body


def render_sources(turns: list[dict]) -> str:
    """Every cited passage of the conversation, newest answer first, cited sentence highlighted."""
    blocks = []
    for turn in reversed(turns):
        citations = turn["answer"]["citations"]
        if not citations:
            continue
        items = []
        for c in citations:
            quote = c["text"]
            lo, hi = c["start"] - c["passage_start"], c["end"] - c["passage_start"]
            if 0 <= lo <= hi <= len(quote):
                body = (
                    html.escape(quote[:lo]) + "<mark>" + html.escape(quote[lo:hi]) + "</mark>" + html.escape(quote[hi:])
                )
            else:
                body = html.escape(quote)
            location = c.get("location") or {}
            where = describe(location)
            page = f"trang {int(location['page'])}" if location.get("page") else ""
            link = (
                (
                    f' <a class="original" href="{ORIGINALS}/{url_quote(c["doc_id"], safe="")}'
                    f'{"#page=" + str(int(location["page"])) if page else ""}" target="_blank" rel="noopener">'
                    f"mở tệp gốc{', ' + page if page else ''}</a>"
                )
                if os.path.isfile(c.get("source") or "")
                else ""
            )
            items.append(
                f'<div class="source" id="{_anchor(turn["n"], c["marker"])}">'
                f"<b>[{c['marker']}] {html.escape(c['title'] or c['doc_id'])}</b> — "
                f"<code>{html.escape(c['doc_id'])}</code> "
                f"<small>({html.escape(where) + ', ' if where else ''}ký tự {c['start']}–{c['end']})</small>"
                f"{link}<p>{body}</p></div>"
            )
        blocks.append(f"<h4>Câu hỏi: {html.escape(turn['question'])}</h4>" + "".join(items))
    return "".join(blocks) or NO_SOURCES


def originals_route(assistant: Assistant) -> APIRoute:
    """GET /tai-lieu/<doc_id>: the original file of an indexed document, so a citation opens it at its
    page. Only files the index lists are served (never a path from the request); signed in when the app
    asks for a password. Given to the app when it is created, so it is there before the first request."""

    def original(doc_id: str, request: Request):
        app = request.app
        if getattr(app, "auth", None) is not None:
            token = request.cookies.get(f"access-token-{app.cookie_id}") or request.cookies.get(
                f"access-token-unsecure-{app.cookie_id}"
            )
            if app.tokens.get(token) is None:
                raise HTTPException(status_code=401, detail="Cần đăng nhập.")
        info = assistant.documents().get(doc_id)
        path = Path(info.get("source", "")) if info else None
        if path is None or not path.is_file():
            raise HTTPException(status_code=404, detail="Không có tệp gốc của tài liệu này trong chỉ mục.")
        return FileResponse(path, filename=path.name, content_disposition_type="inline")

    return APIRoute(ORIGINALS + "/{doc_id:path}", original, methods=["GET"], include_in_schema=False)


def document_rows(assistant: Assistant) -> list[list]:
    rows = []
    for doc_id, info in sorted(assistant.documents().items(), key=lambda kv: kv[1].get("title", "")):
        when = info.get("indexed_at", "")
        try:
            when = dt.datetime.fromisoformat(str(when)).astimezone().strftime("%d/%m/%Y %H:%M")
        except ValueError:
            pass
        rows.append([info.get("title", ""), doc_id, info.get("chunks", 0), when])
    return rows


def indexing_line(assistant: Assistant) -> str:
    running = assistant.indexing()
    return f"⏳ đang lập chỉ mục: {running[0]}/{running[1]} tài liệu" if running else ""


def max_upload_bytes(settings: AppConfig) -> int:
    """The largest upload accepted ([app] max_upload_mb), in bytes."""
    return int(settings.max_upload_mb * 1_000_000)


# Gradio hands a progress tracker to a handler whose parameter defaults to a Progress (one object, as any
# default value is; module-level so that the default is not a call in the signature).
_PROGRESS = gr.Progress()
# Events that are not API endpoints: Gradio 5 and 6 take api_name=False (6's type hints leave it out).
_NOT_API: dict[str, Any] = {"api_name": False}


def _bubble(content: str) -> dict:
    return {"role": "assistant", "content": content}


class ChatHandlers:
    """What the web chat does on each event, over one Assistant; `layout` wires these to the components."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        data_dir = Path(assistant.config.app.data_dir)
        self.uploads_dir, self.feedback_file = data_dir / "uploads", data_dir / "feedback.jsonl"
        self.max_bytes = max_upload_bytes(assistant.config.app)

    # ------------------------------------------------------------------------------------ chat tab

    def respond(self, message: str, chat: list, turns: list) -> Iterator[tuple]:
        """Stream verified text into the last chat bubble, then the answer with its linked sources."""
        message = (message or "").strip()
        if not message:
            yield chat, gr.skip(), "", turns
            return
        n = len(turns) + 1
        history = [(t["question"], t["answer"]["text"]) for t in turns]
        limit = self.assistant.config.answer.max_question_chars
        shown_question = _valid(message if len(message) <= limit else message[:200] + "…")
        chat = [*chat, {"role": "user", "content": html.escape(shown_question)}, _bubble("…")]
        yield chat, gr.skip(), "", turns
        shown, answer = "", None
        try:
            for item in self.assistant.ask_stream(message, history):
                if isinstance(item, str):
                    shown += item
                    chat[-1] = _bubble(render_answer(shown, n))
                    yield chat, gr.skip(), "", turns
                else:
                    answer = item
        except AssistantError as exc:
            chat[-1] = _bubble(_plain(f"Lỗi: {exc}"))
            yield chat, gr.skip(), "", turns
            return
        assert answer is not None, "ask_stream ends with the Answer"
        chat[-1] = _bubble(render_answer(answer.text, n, answer))
        if len(message) > limit:  # refused as too long: kept out of the history the next questions carry
            yield chat, gr.skip(), "", turns
            return
        turns = [*turns, {"n": n, "question": message, "history": history, "answer": answer.to_dict(), "rating": None}]
        yield chat, render_sources(turns), "", turns

    @staticmethod
    def new_conversation() -> tuple:
        return [], NO_SOURCES, "", [], ""

    def on_like(self, turns: list, data: gr.LikeData) -> tuple[list, str]:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = index // 2  # user, assistant, user, assistant, …
        if not 0 <= turn < len(turns):
            return turns, ""
        rating = "up" if data.liked is True or data.liked == "Like" else "down"
        t = turns[turn]
        feedback.record(
            self.feedback_file, question=t["question"], history=t["history"], answer=t["answer"], rating=rating
        )
        turns = [dict(x, rating=rating) if i == turn else x for i, x in enumerate(turns)]
        return turns, "Đã ghi nhận đánh giá. Cảm ơn bạn!"

    def on_comment(self, comment: str, turns: list) -> tuple[str, str]:
        comment = (comment or "").strip()
        if not comment:
            return comment, "Vui lòng nhập góp ý."
        if not turns:
            return comment, "Chưa có câu trả lời nào để góp ý."
        t = turns[-1]
        feedback.record(
            self.feedback_file,
            question=t["question"],
            history=t["history"],
            answer=t["answer"],
            rating=t.get("rating"),
            comment=comment,
        )
        return "", "Đã gửi góp ý cho câu trả lời gần nhất. Cảm ơn bạn!"

    def api_ask(self, question: str, history: list | None = None) -> dict:
        """For programs (gradio_client): the answer as JSON; `history` is a list of [question, answer]
        (bounded by the API: the newest turns that fit)."""
        try:
            return self.assistant.ask(question, history if isinstance(history, list) else None).to_dict()
        except AssistantError as exc:
            return Answer(_valid(str(exc)), refused=True).to_dict()

    def indexing_status(self) -> str:
        return indexing_line(self.assistant)

    # ------------------------------------------------------------------------------- documents tab

    def document_rows(self) -> list[list]:
        return document_rows(self.assistant)

    def refresh(self) -> tuple[list[list], dict]:
        rows = document_rows(self.assistant)
        return rows, gr.update(choices=[r[1] for r in rows], value=None)

    def upload(self, files: list | None, replace: bool = False, progress: gr.Progress = _PROGRESS) -> tuple:
        """Store and index the chosen files. A name already indexed is kept beside it under a suffixed
        name unless `replace` is ticked; whatever fails to index is removed from the uploads folder."""
        files = files or []
        if not files:
            rows, choices = self.refresh()
            return rows, choices, "Chưa chọn tệp nào.", None
        batch = UploadBatch(self.uploads_dir, self.max_bytes, self.assistant.documents(), replace=bool(replace))
        for f in files:
            path = getattr(f, "name", None) or str(f)
            batch.add(path, getattr(f, "orig_name", None) or Path(path).name)
        if batch.stored:
            self._index_batch(batch, progress)
        rows, choices = self.refresh()
        hidden = str(self.uploads_dir.resolve()) + os.sep  # no server paths in messages
        return rows, choices, "\n\n".join(_plain(m.replace(hidden, "")) for m in batch.messages), None

    def _index_batch(self, batch: UploadBatch, progress: gr.Progress) -> None:
        """Index the stored files, adding the outcome to the batch's messages (the summary first); the
        files that could not be indexed are removed (all of them when indexing failed)."""
        messages = batch.messages
        progress(0, desc="Đang lập chỉ mục…")

        def step(done: int, total: int) -> None:
            progress(done / max(total, 1), desc=f"Đang lập chỉ mục: {done}/{total} tài liệu")

        failed = None
        try:
            result = self.assistant.index(batch.paths, replace=False, progress=step)
            r = result.report
            names = [*r.added, *r.changed]
            listed = f": {', '.join(names[:5])}{', …' if len(names) > 5 else ''}" if names else ""
            messages.insert(
                0,
                f"Đã thêm {len(r.added)}, cập nhật {len(r.changed)} tài liệu "
                f"({r.embedded} đoạn mới được nhúng){listed}. Có thể hỏi ngay.",
            )
            failed = [p.name for p in result.problems if p.skipped]
            messages += [
                f"Bỏ qua «{batch.original_name(p.name)}»: {p.reason}"
                if p.skipped
                else f"Lưu ý: {batch.original_name(p.name)}: {p.reason}"
                for p in result.problems
            ]
        except AssistantError as exc:
            messages.append(f"Không lập chỉ mục được: {exc}")
        finally:
            batch.finish(failed)

    def delete(self, doc_id: str | None) -> tuple:
        if not doc_id:
            rows, choices = self.refresh()
            return rows, choices, "Chọn một tài liệu để xóa."
        try:
            self.assistant.remove([doc_id])
            stored = self.uploads_dir / doc_id
            if stored.resolve().parent == self.uploads_dir.resolve() and stored.is_file():
                stored.unlink()
            message = f"Đã xóa «{doc_id}»."
        except AssistantError as exc:
            message = f"Không xóa được: {exc}"
        rows, choices = self.refresh()
        return rows, choices, _plain(message)


def build_app(assistant: Assistant) -> gr.Blocks:
    return layout(ChatHandlers(assistant), assistant.config.app)


def layout(handlers: ChatHandlers, settings: AppConfig) -> gr.Blocks:
    """The components of the two tabs, and the handlers wired to their events."""
    with gr.Blocks(title=TITLE, fill_height=True) as demo:
        gr.Markdown(f"## {TITLE}\n{DESCRIPTION}")
        # A big first index is committed in batches: questions are answered meanwhile, and this line
        # says how far it is (a build in this process or in `assistant index`).
        indexing = gr.Markdown(handlers.indexing_status(), elem_id="indexing-status")
        gr.Timer(2.0).tick(handlers.indexing_status, None, indexing, show_progress="hidden", **_NOT_API)
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("Hỏi đáp", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(
                            label="Hội thoại",
                            height=480,
                            sanitize_html=True,
                            elem_id="chat",
                            feedback_options=("Like", "Dislike"),
                            placeholder="Hỏi gì đó về các tài liệu, ví dụ các câu mẫu bên dưới.",
                        )
                        with gr.Row():
                            box = gr.Textbox(
                                placeholder="Nhập câu hỏi…", show_label=False, scale=5, elem_id="question", max_lines=4
                            )
                            send = gr.Button("Gửi", variant="primary", scale=1, elem_id="send")
                        new = gr.Button("Cuộc trò chuyện mới", elem_id="new-conversation", size="sm")
                        gr.Examples(EXAMPLES, inputs=box, label="Câu hỏi mẫu")
                        with gr.Accordion("Góp ý cho câu trả lời gần nhất", open=False):
                            comment = gr.Textbox(
                                show_label=False,
                                elem_id="comment",
                                placeholder="Câu trả lời sai ở đâu? Đáp án đúng là gì?",
                            )
                            send_comment = gr.Button("Gửi góp ý", size="sm", elem_id="send-comment")
                        status = gr.Markdown(elem_id="status")
                    with gr.Column(scale=2):
                        gr.Markdown("### Nguồn")
                        sources = gr.HTML(NO_SOURCES, elem_id="sources")
            with gr.Tab("Tài liệu", id="documents"):
                # The table's first value is read on each page load (an endpoint Gradio names "/lambda").
                docs = gr.Dataframe(
                    headers=DOC_HEADERS,
                    value=lambda: handlers.document_rows(),
                    interactive=False,
                    elem_id="documents",
                    wrap=True,
                )
                # No file_types / max_file_size for Gradio to enforce: its refusals are English toasts in
                # binary "Mb"; the upload handler refuses other types and sizes in Vietnamese, in MB.
                uploader = gr.File(
                    label=f"Tải lên ({', '.join(UPLOAD_TYPES)}; tối đa {megabytes(handlers.max_bytes)})",
                    file_count="multiple",
                    elem_id="upload",
                )
                replace_box = gr.Checkbox(
                    label="Thay thế tài liệu cùng tên (nếu không, tệp mới được lưu với tên khác)",
                    value=False,
                    elem_id="replace-existing",
                )
                upload_btn = gr.Button("Lập chỉ mục các tệp đã chọn", variant="primary", elem_id="index-upload")
                upload_status = gr.Markdown(elem_id="upload-status")
                with gr.Row():
                    chosen = gr.Dropdown(label="Tài liệu cần xóa", choices=[], elem_id="delete-choice")
                    delete_btn = gr.Button("Xóa tài liệu", variant="stop", elem_id="delete")
                delete_status = gr.Markdown(elem_id="delete-status")

        outputs = [chat, sources, box, turns]
        limit = settings.concurrency
        box.submit(handlers.respond, [box, chat, turns], outputs, concurrency_limit=limit, **_NOT_API)
        send.click(handlers.respond, [box, chat, turns], outputs, concurrency_limit=limit, **_NOT_API)
        new.click(handlers.new_conversation, None, [chat, sources, box, turns, status], **_NOT_API)
        chat.like(handlers.on_like, [turns], [turns, status], **_NOT_API)
        send_comment.click(handlers.on_comment, [comment, turns], [comment, status], **_NOT_API)
        upload_btn.click(
            handlers.upload,
            [uploader, replace_box],
            [docs, chosen, upload_status, uploader],
            concurrency_limit=1,
            **_NOT_API,
        )
        delete_btn.click(handlers.delete, [chosen], [docs, chosen, delete_status], concurrency_limit=1, **_NOT_API)
        demo.load(handlers.refresh, None, [docs, chosen], **_NOT_API)
        gr.api(handlers.api_ask, api_name="ask", concurrency_limit=limit)
    return demo


def app_kwargs(settings: AppConfig) -> dict:
    """For the FastAPI app Gradio creates: security headers on every route (routes mounted on it later
    included), and request bodies bounded to ten uploads at the size limit."""
    cap = max_upload_bytes(settings) * 10 + 1_000_000
    return {"middleware": [Middleware(SecurityHeaders, max_body_bytes=cap)]}


def route_kwargs(assistant: Assistant) -> dict:
    """The FastAPI app's extra routes: the HTTP API (when allowed) and the original files behind citations."""
    kwargs = server.mount_kwargs(assistant)  # the HTTP API on the same app and port
    kwargs["routes"] = kwargs.get("routes", []) + [originals_route(assistant)]
    return kwargs


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--index-dir")
    parser.add_argument("--config")
    parser.add_argument("--backend", help="extractive, openai:<model> or llamacpp:<path.gguf>")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    return parser.parse_args(argv)


NEEDS_AUTH = (
    "Lỗi: mở cổng trên địa chỉ {host} cần tên đăng nhập và mật khẩu "
    "(đặt ASSISTANT_AUTH_USER và ASSISTANT_AUTH_PASSWORD, hoặc [app] auth_user/auth_password)."
)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:  # ASSISTANT_* variables are read by load_config; an empty --host or --port 0 leaves the setting
        config = load_config(
            args.config,
            {
                "index_dir": args.index_dir,
                "answer.backend": args.backend,
                "app.host": args.host or None,
                "app.port": args.port or None,
            },
        )
    except AssistantError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    settings = config.app
    auth = None
    if not server.is_loopback(settings.host):
        if not (settings.auth_user and settings.auth_password):
            print(NEEDS_AUTH.format(host=settings.host), file=sys.stderr)
            return 2
        auth = (settings.auth_user, settings.auth_password)
    try:
        assistant = Assistant(config=config)
    except AssistantError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    demo = build_app(assistant)
    demo.queue(default_concurrency_limit=settings.concurrency)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        share=False,
        css=CSS,
        show_error=False,
        app_kwargs=app_kwargs(settings) | route_kwargs(assistant),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
