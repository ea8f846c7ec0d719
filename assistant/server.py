"""The HTTP API for programs: OpenAI-compatible chat completions with citations, and `/api/ask`.

Mounted on the web chat's FastAPI app (app.py, same process and port) or served alone
(`assistant serve`). Chat front ends (Open WebUI, LibreChat, any OpenAI SDK) talk the
chat-completions protocol; the answer keeps its [n] markers, the citations travel beside it (a
`citations` array) and as a short "Nguồn:" list at the end of the text for clients that show only
text. Errors have OpenAI's shape (`{"error": {"message", "type", "param", "code"}}`) and Vietnamese
messages. A bearer key (`[app] api_key` or $ASSISTANT_API_KEY) is required off loopback.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from .errors import AssistantError
from .types import Answer, Citation

log = logging.getLogger(__name__)

MODEL = "assistant"  # the configured answerer (the LLM when there is one)
EXTRACTIVE_MODEL = "assistant-extractive"  # quoted sentences only, even when an LLM is configured
SOURCES_HEADING = "Nguồn:"
API_KEY_ENV = "ASSISTANT_API_KEY"
TITLE = "Trợ lý hỏi đáp tài liệu — API"
VERSION = "1"
_bearer = HTTPBearer(auto_error=False, description="[app] api_key hoặc $ASSISTANT_API_KEY")


# ------------------------------------------------------------------------------------ errors


class ApiError(Exception):
    """An error answered in OpenAI's shape."""

    TYPES = {
        400: "invalid_request_error",
        401: "invalid_request_error",
        404: "invalid_request_error",
        422: "invalid_request_error",
        500: "server_error",
        503: "server_error",
    }

    def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param

    def body(self) -> dict:
        return {
            "error": {
                "message": self.message,
                "type": self.TYPES.get(self.status, "invalid_request_error"),
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def _validation_error(exc: RequestValidationError) -> ApiError:
    errors = list(exc.errors())
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        return ApiError(400, "Nội dung yêu cầu không phải JSON hợp lệ.", "invalid_json")
    where = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
    kind = str(first.get("type", ""))
    detail = _PROBLEMS.get(kind) or ("sai kiểu dữ liệu" if kind.endswith("_type") else "giá trị không hợp lệ")
    return ApiError(422, f"Yêu cầu không hợp lệ: «{where or 'nội dung'}» {detail}.", "invalid_request", where)


_PROBLEMS = {
    "missing": "bị thiếu",
    "too_short": "không được rỗng",
    "literal_error": "có giá trị không được nhận",
    "model_attributes_type": "phải là một đối tượng JSON",
    "dict_type": "phải là một đối tượng JSON",
    "model_type": "phải là một đối tượng JSON",
    "list_type": "phải là một danh sách",
    "string_type": "phải là chuỗi",
    "too_long": "quá dài",
}


def _route_class(key: str) -> type[APIRoute]:
    """Every API route: the key checked, every failure answered as an OpenAI-shaped error."""

    class Route(APIRoute):
        def get_route_handler(self):
            handler = super().get_route_handler()

            async def route(request: Request):
                try:
                    if key:
                        _check_key(request, key)
                    return await handler(request)
                except ApiError as exc:
                    return exc.response()
                except RequestValidationError as exc:
                    return _validation_error(exc).response()
                except AssistantError as exc:
                    return ApiError(503, str(exc), "assistant_error").response()
                except Exception:  # never a traceback to the client
                    log.exception("API request %s failed", request.url.path)
                    return ApiError(500, "Lỗi máy chủ nội bộ.", "internal_error").response()

            return route

    return Route


def _check_key(request: Request, key: str) -> None:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(401, "Thiếu khóa API: gửi tiêu đề «Authorization: Bearer <khóa>».", "missing_api_key")
    if not hmac.compare_digest(given.strip().encode(), key.encode()):
        raise ApiError(401, "Khóa API không đúng.", "invalid_api_key")


# ------------------------------------------------------------------------------------ schemas


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


class ChatRequest(BaseModel):
    """OpenAI's chat-completions request; sampling settings (temperature, max_tokens, …) are accepted
    and ignored: the answer is what the documents support."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL,
                    "messages": [
                        {"role": "user", "content": "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"}
                    ],
                }
            ]
        },
    )
    model: str = Field(description=f"«{MODEL}», «{EXTRACTIVE_MODEL}» or the LLM backend (GET /v1/models)")
    messages: list[ChatMessage] = Field(min_length=1, description="earlier turns are the conversation's history")
    stream: bool = False
    n: int = 1
    stream_options: dict[str, Any] | None = None


class AskRequest(BaseModel):
    question: str = Field(examples=["Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"])
    history: list[tuple[str, str]] = Field(default_factory=list, description="earlier [question, answer] pairs")
    model: str = Field(default=MODEL, description=f"«{MODEL}» or «{EXTRACTIVE_MODEL}»")


class CitationOut(BaseModel):
    marker: int = Field(description="the [n] in the answer text")
    doc_id: str
    title: str
    source: str
    text: str = Field(description="the passage the sentence was taken from")
    start: int = Field(description="offset of the cited sentence in the document's normalised text")
    end: int
    score: float
    sentence: str = Field(description="document text[start:end]")
    passage_start: int
    page: int | None = Field(default=None, description="page (PDF) or slide, where known")
    location: dict[str, Any] = Field(default_factory=dict, description="page/slide/sheet/row, where known")


class AnswerOut(BaseModel):
    text: str = Field(description="the answer with its [n] markers, or the refusal")
    refused: bool
    confidence: float
    backend: str = Field(description="what wrote the text: extractive or the LLM's config string")
    notice: str = Field(description="why an LLM answer was changed or replaced")
    question: str = Field(description="the question answered (a follow-up as rewritten)")
    citations: list[CitationOut]
    claims: list[dict[str, Any]] = Field(description="with an LLM: the verdict on each sentence of its reply")


# ------------------------------------------------------------------------------------ answers


def citation_json(c: Citation, full: bool = False) -> dict:
    """A citation for clients: doc_id, title, source, page where known, sentence and offsets."""
    out = (
        c.to_dict()
        if full
        else {
            "marker": c.marker,
            "doc_id": c.doc_id,
            "title": c.title,
            "source": c.source,
            "sentence": c.sentence,
            "start": c.start,
            "end": c.end,
            "score": round(c.score, 4),
        }
    )
    location = dict(getattr(c, "location", None) or {})
    if location.get("page") is not None:
        out["page"] = location["page"]
    if location:
        out["location"] = location
    return out


def answer_json(answer: Answer) -> dict:
    data = answer.to_dict()
    data["citations"] = [citation_json(c, full=True) for c in answer.citations]
    return data


def sources_text(citations: list[Citation]) -> str:
    """The "Nguồn:" list for clients that show only the text."""
    lines = [SOURCES_HEADING]
    for c in citations:
        page = (getattr(c, "location", None) or {}).get("page")
        where = f"{c.doc_id}, trang {page}" if page is not None else c.doc_id
        lines.append(f"[{c.marker}] {c.title or c.doc_id} — {where}")
    return "\n".join(lines)


def tail_text(answer: Answer) -> str:
    """What follows the answer in the reply text: the notice, then the sources."""
    parts = [f"({answer.notice})"] if answer.notice else []
    if answer.citations:
        parts.append(sources_text(answer.citations))
    return "".join("\n\n" + p for p in parts)


def strip_sources(text: str) -> str:
    """An earlier reply of ours as history: its answer, without the notice and sources appended."""
    head = text.split("\n\n" + SOURCES_HEADING + "\n", 1)[0]
    if head.endswith(")") and "\n\n(" in head:
        head = head.rsplit("\n\n(", 1)[0]
    return head


def _llm_model_id(name: str) -> str:
    prefix, _, argument = name.partition(":")
    if prefix == "llamacpp":  # a file path: its name only
        argument = PurePath(argument).name
    return f"{prefix}:{argument}"


def models(assistant) -> dict[str, bool]:
    """Model id -> whether it answers with the LLM."""
    out = {MODEL: True, EXTRACTIVE_MODEL: False}
    if assistant.llm is not None:
        out[_llm_model_id(assistant.llm.name)] = True
    return out


def _text_of(message: ChatMessage) -> str:
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    parts = []
    for part in message.content:
        if part.type != "text":
            raise ApiError(
                400, f"Chỉ nhận nội dung văn bản (không nhận «{part.type}»).", "unsupported_content", "messages"
            )
        parts.append(part.text or "")
    return "\n".join(parts)


def conversation(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last message, from the user) and the earlier (question, answer) pairs."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise ApiError(
            400, "Tin nhắn cuối cùng phải là câu hỏi của người dùng (role «user»).", "invalid_messages", "messages"
        )
    history: list[tuple[str, str]] = []
    for m in turns[:-1]:
        if m.role == "user":
            history.append((_text_of(m), ""))
        elif history and not history[-1][1]:
            history[-1] = (history[-1][0], strip_sources(_text_of(m)))
    return _text_of(turns[-1]), history


def _use_llm(assistant, model: str) -> bool:
    table = models(assistant)
    if model not in table:
        raise ApiError(404, f"Không có mô hình «{model}». Hiện có: {', '.join(table)}.", "model_not_found", "model")
    return table[model]


# ------------------------------------------------------------------------------------ routes


def api_key(settings) -> str:
    """The API's bearer key: `[app] api_key`, else $ASSISTANT_API_KEY."""
    return settings.api_key or os.environ.get(API_KEY_ENV, "")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


NEEDS_KEY = (
    "Lỗi: mở API trên địa chỉ {host} cần khóa API (đặt ASSISTANT_API_KEY hoặc [app] api_key); "
    "mỗi yêu cầu gửi «Authorization: Bearer <khóa>»."
)


def router(assistant) -> APIRouter:
    """/v1/models, /v1/chat/completions, /api/ask, with /openapi.json and /docs for them."""
    key = api_key(assistant.config.app)
    # strict_content_type=False: a JSON body is read as JSON whatever its Content-Type (curl -d).
    api = APIRouter(route_class=_route_class(key), dependencies=[Depends(_bearer)], strict_content_type=False)
    docs = APIRouter(strict_content_type=False)

    @api.get("/v1/models", tags=["OpenAI"], summary="Các mô hình (OpenAI)")
    def list_models() -> dict:
        return {"object": "list", "data": [_model_card(m) for m in models(assistant)]}

    @api.get("/v1/models/{model}", tags=["OpenAI"], summary="Một mô hình (OpenAI)")
    def get_model(model: str) -> dict:
        _use_llm(assistant, model)
        return _model_card(model)

    @api.post(
        "/v1/chat/completions",
        tags=["OpenAI"],
        summary="Trả lời có trích dẫn (OpenAI chat completions)",
        responses={
            200: {
                "description": "chat.completion, or server-sent chat.completion.chunk events when "
                "`stream` is true; with `citations` beside `choices`"
            }
        },
    )
    def chat_completions(request: ChatRequest):
        use_llm = _use_llm(assistant, request.model)
        if request.n != 1:
            raise ApiError(400, "Chỉ hỗ trợ n = 1.", "unsupported_n", "n")
        question, history = conversation(request.messages)
        reply_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if not request.stream:
            answer = assistant.ask(question, history, use_llm=use_llm)
            message = {"role": "assistant", "content": answer.text + tail_text(answer)}
            return JSONResponse(
                {
                    "id": reply_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": request.model,
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": _usage(),
                    **_extras(answer),
                }
            )
        items = assistant.ask_stream(question, history, use_llm=use_llm)
        first = next(items)  # errors before the first piece are plain HTTP errors
        usage = bool((request.stream_options or {}).get("include_usage"))
        return StreamingResponse(
            _events(first, items, reply_id, created, request.model, usage),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @api.post("/api/ask", tags=["Hỏi đáp"], summary="Câu trả lời dạng JSON", response_model=AnswerOut)
    def ask(request: AskRequest) -> dict:
        """The answer JSON of `assistant ask --json`: text with [n] markers, citations with offsets."""
        use_llm = _use_llm(assistant, request.model)
        return answer_json(assistant.ask(request.question, list(request.history), use_llm=use_llm))

    def schema() -> dict:
        return get_openapi(
            title=TITLE,
            version=VERSION,
            routes=api.routes,
            description="OpenAI-compatible chat completions with citations, and the answer "
            "JSON. See docs/integrations.md.",
        )

    @docs.get("/openapi.json", include_in_schema=False)
    def openapi() -> JSONResponse:
        return JSONResponse(schema())

    @docs.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=TITLE)

    docs.include_router(api)
    return docs


def _model_card(model: str) -> dict:
    return {"id": model, "object": "model", "created": 0, "owned_by": "assistant"}


def _usage() -> dict:
    return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}  # not counted


def _extras(answer: Answer) -> dict:
    return {
        "citations": [citation_json(c) for c in answer.citations],
        "refused": answer.refused,
        "notice": answer.notice,
        "backend": answer.backend,
    }


def _events(first, items: Iterator, reply_id: str, created: int, model: str, usage: bool) -> Iterator[str]:
    """Server-sent events: the verified text as it comes, the notice and sources, then [DONE]."""

    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        body = {
            "id": reply_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    shown = ""
    try:
        for item in _chain(first, items):
            if isinstance(item, str):
                shown += item
                yield chunk({"content": item})
                continue
            answer: Answer = item
            rest = answer.text[len(shown) :] if answer.text.startswith(shown) else "\n\n" + answer.text
            yield chunk({"content": rest + tail_text(answer)})
            yield chunk({}, "stop", **_extras(answer))
            if usage:
                yield (
                    "data: "
                    + json.dumps(
                        {
                            "id": reply_id,
                            "object": "chat.completion.chunk",
                            "created": created,
                            "model": model,
                            "choices": [],
                            "usage": _usage(),
                        }
                    )
                    + "\n\n"
                )
    except AssistantError as exc:
        yield f"data: {json.dumps(ApiError(503, str(exc), 'assistant_error').body(), ensure_ascii=False)}\n\n"
    except Exception:
        log.exception("streamed answer failed")
        yield f"data: {json.dumps(ApiError(500, 'Lỗi máy chủ nội bộ.', 'internal_error').body())}\n\n"
    yield "data: [DONE]\n\n"


def _chain(first, items: Iterator) -> Iterator:
    yield first
    yield from items


# ------------------------------------------------------------------------------------ serving


def mount_kwargs(assistant) -> dict:
    """`app_kwargs` for Gradio's launch(): the API routes go first on the chat's own FastAPI app. Off
    loopback without a key the API stays off (the chat itself has its password)."""
    settings = assistant.config.app
    if not is_loopback(settings.host) and not api_key(settings):
        log.warning(NEEDS_KEY.format(host=settings.host).replace("Lỗi: ", "API tắt: "))
        return {}
    return {"routes": list(router(assistant).routes), "openapi_url": None}


def create_app(assistant) -> FastAPI:
    """The API alone (`assistant serve`)."""
    app = FastAPI(title=TITLE, version=VERSION, docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(router(assistant))

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app


def serve(config) -> int:
    """Run the API alone on `[app] host`/`port`; off loopback only with a key."""
    import sys

    import uvicorn

    from .api import Assistant

    settings = config.app
    if not is_loopback(settings.host) and not api_key(settings):
        print(NEEDS_KEY.format(host=settings.host), file=sys.stderr)
        return 2
    app = create_app(Assistant(config=config))
    print(f"API: http://{settings.host}:{settings.port}/v1 (tài liệu: /docs)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0
