"""LLM backends behind one small interface, chosen by a config string.

    extractive            no LLM (answering.ExtractiveAnswerer); get_llm returns None
    openai:<model>        any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama /v1, LM Studio,
                          llama.cpp's server, hosted providers), via llama-index's OpenAILike
    llamacpp:<path.gguf>  a local model run in-process by llama-cpp-python, via llama-index's LlamaCPP

Every failure of a backend is raised as LLMError with a Vietnamese message and a `kind` the
answerer acts on ("context" means: send fewer passages). Messages never contain the API key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .config import Config, LLMConfig
from .errors import AssistantError, ConfigError
from .prompts import Message
from .registry import Registry

log = logging.getLogger(__name__)

DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"

# What the user is told when a backend fails; the answer then falls back to extractive quotes.
FAILURE_NOTICES = {
    "connection": "Không kết nối được tới mô hình ngôn ngữ",
    "timeout": "Mô hình ngôn ngữ không trả lời kịp thời gian chờ",
    "auth": "Mô hình ngôn ngữ từ chối khóa API (HTTP 401/403)",
    "rate_limit": "Mô hình ngôn ngữ đang giới hạn số yêu cầu (HTTP 429)",
    "server": "Máy chủ mô hình ngôn ngữ gặp lỗi",
    "context": "Câu hỏi và các đoạn trích vượt quá độ dài mô hình ngôn ngữ nhận được",
    "empty": "Mô hình ngôn ngữ trả về câu trả lời rỗng",
    "bad_output": "Mô hình ngôn ngữ trả về dữ liệu không hợp lệ",
    "other": "Mô hình ngôn ngữ gặp lỗi",
}
_CONTEXT_HINTS = re.compile(
    r"context[_ ]length|context window|maximum context|too many tokens|exceeds? .*context"
    r"|requested \d+ tokens|prompt is too long|n_ctx",
    re.IGNORECASE,
)


class LLMError(AssistantError):
    def __init__(self, kind: str, detail: str = ""):
        self.kind = kind if kind in FAILURE_NOTICES else "other"
        self.detail = detail  # short, key-free: e.g. "HTTP 500"
        super().__init__(FAILURE_NOTICES[self.kind] + (f" ({detail})" if detail else ""))


class LLM(Protocol):
    """What the answerer needs from a backend."""

    name: str  # the config string, e.g. "openai:qwen2.5:7b"
    context_window: int  # tokens
    max_tokens: int  # reserved for the answer

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        """Text pieces of the reply; raises LLMError."""

    def complete(self, messages: Sequence[Message]) -> str:
        """The whole reply at once; raises LLMError."""

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes (an upper estimate where the backend cannot say)."""


# ------------------------------------------------------------------------------------ resolving

BackendFactory = Callable[[str, LLMConfig], LLM]
LLMS: Registry[BackendFactory] = Registry("llm")


def register(prefix: str) -> Callable[[BackendFactory], BackendFactory]:
    """Register a backend for config strings "<prefix>:<argument>" (the way plugins add models)."""
    return LLMS.register(prefix)


def backend_names() -> list[str]:
    return ["extractive", *(f"{p}:…" for p in LLMS.names())]


def get_llm(config: Config) -> LLM | None:
    """The one place a config string becomes a backend; None means extractive answers only."""
    spec = config.answer.backend.strip()
    if spec == "extractive":
        return None
    found = LLMS.resolve(spec) if ":" in spec else None
    if found is None or not found[2]:
        raise ConfigError(
            f"Bộ trả lời không hợp lệ: «{spec}». Hiện có: {', '.join(backend_names())} "
            "(ví dụ: openai:gpt-4o-mini, llamacpp:/đường/dẫn/model.gguf)."
        )
    _, factory, argument = found
    llm = factory(argument, config.llm)
    return CachedLLM(llm, Path(config.llm.cache_dir), config.llm) if config.llm.cache_dir else llm


class CachedLLM:
    """Replies stored on disk by model, settings and prompt, so re-runs (evaluation) are deterministic
    and free. Failures are not cached."""

    def __init__(self, inner: LLM, folder: Path, config: LLMConfig):
        self.inner, self.folder = inner, folder
        self.name, self.context_window, self.max_tokens = inner.name, inner.context_window, inner.max_tokens
        self._settings = {
            "temperature": config.temperature,
            "max_tokens": config.max_tokens,
            "base_url": config.base_url,
        }
        self.hits = self.misses = 0

    def _path(self, messages: Sequence[Message]) -> Path:
        key = json.dumps(
            {"model": self.name, **self._settings, "messages": [[m.role, m.content] for m in messages]},
            ensure_ascii=False,
            sort_keys=True,
        )
        return self.folder / (hashlib.sha256(key.encode("utf-8")).hexdigest() + ".json")

    def _get(self, messages: Sequence[Message]) -> str | None:
        try:
            reply = json.loads(self._path(messages).read_text(encoding="utf-8"))["reply"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self.hits += 1
        return reply if isinstance(reply, str) else None

    def _put(self, messages: Sequence[Message], reply: str) -> None:
        path = self._path(messages)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"model": self.name, "reply": reply}, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # a read-only or full disk must not break answering
            log.warning("LLM cache not written: %s", exc)

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        cached = self._get(messages)
        if cached is not None:
            yield cached
            return
        self.misses += 1
        pieces = []
        for piece in self.inner.stream(messages):
            pieces.append(piece)
            yield piece
        if "".join(pieces).strip():
            self._put(messages, "".join(pieces))

    def complete(self, messages: Sequence[Message]) -> str:
        cached = self._get(messages)
        if cached is not None:
            return cached
        self.misses += 1
        reply = self.inner.complete(messages)
        if reply.strip():
            self._put(messages, reply)
        return reply

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def to_llama_index(messages: Sequence[Message]):
    from llama_index.core.llms import ChatMessage, MessageRole

    roles = {"system": MessageRole.SYSTEM, "user": MessageRole.USER, "assistant": MessageRole.ASSISTANT}
    return [ChatMessage(role=roles[m.role], content=m.content) for m in messages]


def _set_default(llm) -> None:
    """llama-index falls back to OpenAI wherever Settings.llm is left unset; name ours explicitly."""
    from llama_index.core import Settings

    Settings.llm = llm


def redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


# --------------------------------------------------------------------------------------- openai


@dataclass
class OpenAIBackend:
    name: str
    context_window: int
    max_tokens: int
    _llm: Any
    _api_key: str

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        try:
            for chunk in self._llm.stream_chat(to_llama_index(messages)):
                if chunk.delta:
                    yield chunk.delta
        except Exception as exc:  # noqa: BLE001 - every failure becomes an LLMError
            raise self._error(exc) from None

    def complete(self, messages: Sequence[Message]) -> str:
        try:
            response = self._llm.chat(to_llama_index(messages))
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc) from None
        content = response.message.content
        if not isinstance(content, str):
            raise LLMError("bad_output")
        return content

    def count_tokens(self, text: str) -> int:
        # No tokenizer for an arbitrary endpoint: UTF-8 bytes / 2 over-counts every common tokenizer on
        # Vietnamese (about one token per syllable, 4-6 bytes) and most on other text.
        return len(text.encode("utf-8")) // 2 + 1

    def _error(self, exc: Exception) -> LLMError:
        import httpx
        import openai

        status = getattr(exc, "status_code", None)
        text = redact(str(exc), [self._api_key])
        if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException)):
            error = LLMError("timeout")
        elif isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
            error = LLMError("connection")
        elif status in (401, 403):
            error = LLMError("auth", f"HTTP {status}")
        elif status == 429:
            error = LLMError("rate_limit")
        elif status is not None and (status >= 500 or status == 400) and _CONTEXT_HINTS.search(text):
            error = LLMError("context", f"HTTP {status}")
        elif status is not None and status >= 500:
            error = LLMError("server", f"HTTP {status}")
        elif status is not None:
            error = LLMError("other", f"HTTP {status}")
        elif isinstance(exc, (ValueError, LookupError, TypeError, AttributeError, openai.APIResponseValidationError)):
            error = LLMError("bad_output")
        else:
            error = LLMError("other", type(exc).__name__)
        log.warning("LLM %s failed: %s (%s)", self.name, error.kind, error.detail or type(exc).__name__)
        return error


@register("openai")
def _openai(model: str, config: LLMConfig) -> LLM:
    from llama_index.llms.openai_like import OpenAILike

    base_url = config.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL
    api_key = config.api_key or os.environ.get("OPENAI_API_KEY") or ""
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"Địa chỉ máy chủ mô hình không hợp lệ: «{base_url}» (cần bắt đầu bằng http:// hoặc https://)."
        )
    if not api_key and base_url.rstrip("/") == DEFAULT_OPENAI_BASE_URL:
        raise ConfigError(
            "Thiếu khóa API cho OpenAI: đặt biến môi trường OPENAI_API_KEY (hoặc ASSISTANT_LLM_API_KEY), "
            "hoặc khóa [llm] api_key trong tệp cấu hình."
        )
    llm = OpenAILike(
        model=model,
        api_base=base_url.rstrip("/"),
        api_key=api_key or "không-cần-khóa",
        is_chat_model=True,
        context_window=config.context_window,
        max_tokens=config.max_tokens,
        temperature=config.temperature,
        timeout=config.timeout,
        max_retries=config.max_retries,
    )
    _set_default(llm)
    return OpenAIBackend(f"openai:{model}", config.context_window, config.max_tokens, llm, api_key)


# ------------------------------------------------------------------------------------- llamacpp


@dataclass
class LlamaCppBackend:
    name: str
    context_window: int
    max_tokens: int
    _llm: Any
    _lock: threading.Lock

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        # One generation at a time: a llama.cpp context is not thread-safe.
        with self._lock:
            try:
                for chunk in self._llm.stream_chat(to_llama_index(messages)):
                    if chunk.delta:
                        yield chunk.delta
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc) from None

    def complete(self, messages: Sequence[Message]) -> str:
        return "".join(self.stream(messages))

    def count_tokens(self, text: str) -> int:
        return len(self._llm._model.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _error(self, exc: Exception) -> LLMError:
        kind = "context" if isinstance(exc, ValueError) and _CONTEXT_HINTS.search(str(exc)) else "other"
        log.warning("LLM %s failed: %s (%s)", self.name, kind, type(exc).__name__)
        return LLMError(kind, "" if kind == "context" else type(exc).__name__)


_LOADING = threading.Lock()


@contextmanager
def without_amx() -> Iterator[None]:
    """Loads a model without llama.cpp's extra buffer types when the build has AMX kernels: they segfault
    on Q4_K models on some AMX CPUs (ggml-org/llama.cpp#20824; here, on the first token), killing the
    process and every conversation in it. The Makefile builds without AMX; this covers other builds, at the
    cost of weight repacking."""
    import llama_cpp

    if b"AMX_INT8 = 1" not in llama_cpp.llama_print_system_info():
        yield
        return
    log.warning("llama.cpp built with AMX: loading the model without AMX/repacked weights")
    module = llama_cpp.llama.llama_cpp  # what Llama.__init__ reads its default parameters from
    default = module.llama_model_default_params

    def params():
        p = default()
        p.use_extra_bufts = False
        return p

    with _LOADING:
        module.llama_model_default_params = params
        try:
            yield
        finally:
            module.llama_model_default_params = default


@register("llamacpp")
def _llamacpp(path: str, config: LLMConfig) -> LLM:
    model_path = Path(path).expanduser()
    if not model_path.is_file():
        raise ConfigError(f"Không tìm thấy tệp mô hình GGUF: {model_path}")
    try:
        from llama_index.llms.llama_cpp import LlamaCPP
    except ImportError:
        raise ConfigError(
            "Chưa cài llama-cpp-python: chạy «pip install -e .[local]» (mất vài phút để biên dịch)."
        ) from None
    model_kwargs = {"n_gpu_layers": config.gpu_layers, "n_ctx": config.context_window, "verbose": False}
    if config.threads:
        model_kwargs["n_threads"] = config.threads
    try:
        with without_amx():
            llm = LlamaCPP(
                model_path=str(model_path),
                temperature=config.temperature,
                max_new_tokens=config.max_tokens,
                context_window=config.context_window,
                model_kwargs=model_kwargs,
                verbose=False,
                messages_to_prompt=lambda m: "",
                completion_to_prompt=lambda c: c,
            )
    except Exception as exc:  # noqa: BLE001 - a broken or unsupported file
        raise ConfigError(f"Không nạp được mô hình GGUF {model_path}: {type(exc).__name__}") from None
    formatter, stop = _chat_format(llm._model)
    llm.messages_to_prompt = formatter
    llm.generate_kwargs.update({"stop": stop, "max_tokens": config.max_tokens, "temperature": config.temperature})
    _set_default(llm)
    n_ctx = llm._model.n_ctx()
    return LlamaCppBackend(f"llamacpp:{model_path}", n_ctx, config.max_tokens, llm, threading.Lock())


def _chat_format(model) -> tuple[Callable, list[str]]:
    """The GGUF's own chat template (every instruct model ships one), else ChatML."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    meta = model.metadata
    template = meta.get("tokenizer.chat_template")

    def token(key: str) -> str:
        tid = meta.get(key)
        if tid is None:
            return ""
        try:
            return model.detokenize([int(tid)], special=True).decode("utf-8", "ignore")
        except Exception:  # noqa: BLE001
            return ""

    eos, bos = token("tokenizer.ggml.eos_token_id"), token("tokenizer.ggml.bos_token_id")
    if not template:
        template = (
            "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
            "<|im_start|>assistant\n"
        )
        eos = "<|im_end|>"
    formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    def messages_to_prompt(messages) -> str:
        items = [{"role": m.role.value, "content": m.content or ""} for m in messages]
        prompt = formatter(messages=items).prompt  # type: ignore[arg-type]  # plain dicts are what it reads
        return prompt[len(bos) :] if bos and prompt.startswith(bos) else prompt  # llama.cpp adds BOS itself

    stop = [s for s in {eos, "<|im_end|>", "<|eot_id|>", "<end_of_turn>"} if s]
    return messages_to_prompt, stop
