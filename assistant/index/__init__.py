"""Index stores: where chunks, vectors and BM25 fields live, behind one interface (base.Store and
base.Backend). "faiss" keeps files under the index folder (faiss.py); "milvus" keeps collections in
Milvus Lite or a Milvus server (milvus.py). `backend_for` is the one place a config names its store;
another store joins with `@STORES.register("name")`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..config import STORE_BACKENDS, Config
from ..errors import ConfigError
from ..registry import Registry
from .base import Backend, BuildReport, ChunkView, Store

__all__ = ["STORES", "Backend", "BuildReport", "ChunkView", "Store", "backend_for"]

StoreFactory = Callable[[str, Config], Backend]
STORES: Registry[StoreFactory] = Registry("store", known=STORE_BACKENDS)


@STORES.register("faiss")
def _faiss(argument: str, config: Config) -> Backend:
    from .faiss import FaissBackend

    return FaissBackend(config.index_dir, config.retrieval.approximate_above)


@STORES.register("milvus")
def _milvus(argument: str, config: Config) -> Backend:
    from .milvus import MilvusBackend

    uri = config.store.uri or str(Path(config.index_dir) / "milvus.db")
    return MilvusBackend(uri, config.store.token, config.store.collection)


def backend_for(config: Config) -> Backend:
    """The store a config names ([store] backend)."""
    found = STORES.resolve(config.store.backend)
    if found is None:
        raise ConfigError(f"Kho chỉ mục không hợp lệ: «{config.store.backend}». Hiện có: {', '.join(STORES.names())}.")
    _, factory, argument = found
    return factory(argument, config)
