"""Milvus Lite served over the network, so several processes on one machine share one store file."""

from __future__ import annotations

import threading
from pathlib import Path

from ..errors import IndexStoreError


def serve(db: str | Path, host: str = "127.0.0.1", port: int = 19530) -> int:
    """Serve a Milvus Lite file over the network (`http://host:port`) until interrupted, so several
    processes on one machine share one store; a production deployment uses a Milvus server instead."""
    import signal
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # milvus-lite imports the deprecated pkg_resources
        from milvus_lite.server import Server

    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    server = Server(str(db), address=f"{host}:{port}")
    if not server.init() or not server.start():
        raise IndexStoreError(
            f"Không khởi động được Milvus Lite cho {db} tại {host}:{port} "
            "(tệp đang được mở ở nơi khác, hoặc cổng đã bị dùng)."
        )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"Milvus Lite phục vụ {db} tại http://{host}:{port} (Ctrl-C để dừng).", flush=True)
    try:
        while not stop.is_set() and server._p.poll() is None:
            stop.wait(0.5)
        return 0 if stop.is_set() else 1
    finally:
        server.stop()
